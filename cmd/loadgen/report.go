package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

// The report lives in docs/BENCHMARKS.md beside sections other benchmarks own (## Remoting,
// the store sections). The load generator rewrites only two parts of it:
//
//	# Benchmarks
//	<!-- e2e-summary:begin -->   ◀─ the summary at the top (goals and whether they hold)
//	...
//	<!-- e2e-summary:end -->
//	## Remoting ...              ◀─ left as found
//	## End-to-end                ◀─ this heading up to the next "## " heading
//	...

const (
	summaryBegin = "<!-- e2e-summary:begin -->"
	summaryEnd   = "<!-- e2e-summary:end -->"
	sectionHead  = "## End-to-end"
)

// Issue 5's reference figures for the stock Java 4.9.8 broker on this kind of machine, used
// for the goals when Java cannot run here.
var javaReference = struct {
	sendLow, sendHigh float64
	p99               time.Duration
	pull              float64
	cpuPerMsg         time.Duration
}{38000, 62000, 17 * time.Millisecond, 313000, 140 * time.Microsecond}

// nameB labels the -bin-b build in the report.
const nameB = "rocketgo B"

const (
	goalAnonBytes = 70 << 20
	goalStartup   = 100 * time.Millisecond
)

// goal is one line of the goals table. A ratio goal is judged twice: against the Java broker
// of the same run, and against issue 5's reference figures for Java on this kind of machine
// (the conservative end of each range), because a Java broker starved by a loaded machine
// makes the first ratio flatter us.
type goal struct {
	what, target       string
	measured           string
	vsRun, vsRef       string
	holdsRun, holdsRef *bool // nil: not measured
}

func boolp(b bool) *bool { return &b }

func goals(r *results) []goal {
	ours, java := r.target("rocketgo"), r.target("Java 4.9.8")
	if ours != nil && ours.Err != "" {
		ours = nil
	}
	if java != nil && java.Err != "" {
		java = nil
	}
	var gs []goal
	ph := func(t *targetResult, name string) *phase {
		if t == nil {
			return nil
		}
		return t.phase(name)
	}
	// Send rate at 4x32: at least 2x.
	g := goal{what: "acked sends/s at 4×32", target: "≥ 2× Java"}
	if p := ph(ours, "4x32"); p != nil && p.Rate > 0 {
		g.measured = rate(p.Rate)
		if j := ph(java, "4x32"); j != nil && j.Rate > 0 {
			g.vsRun = fmt.Sprintf("%s → %.2f×", rate(j.Rate), p.Rate/j.Rate)
			g.holdsRun = boolp(p.Rate >= 2*j.Rate)
		}
		g.vsRef = fmt.Sprintf("38k–62k → %.2f–%.2f×", p.Rate/javaReference.sendHigh, p.Rate/javaReference.sendLow)
		g.holdsRef = boolp(p.Rate >= 2*javaReference.sendHigh)
	}
	gs = append(gs, g)
	// p99 at 4x32: at most half.
	g = goal{what: "p99 at 4×32", target: "≤ ½ of Java"}
	if p := ph(ours, "4x32"); p != nil && p.P99 > 0 {
		g.measured = dur(p.P99)
		if j := ph(java, "4x32"); j != nil && j.P99 > 0 {
			g.vsRun = fmt.Sprintf("%s → %.2f×", dur(j.P99), float64(p.P99)/float64(j.P99))
			g.holdsRun = boolp(2*p.P99 <= j.P99)
		}
		g.vsRef = fmt.Sprintf("17–20 ms → %.2f×", float64(p.P99)/float64(javaReference.p99))
		g.holdsRef = boolp(2*p.P99 <= javaReference.p99)
	}
	gs = append(gs, g)
	// Pull rate: at least 1.5x.
	g = goal{what: "pulled msgs/s", target: "≥ 1.5× Java"}
	if ours != nil && ours.Pull.Rate > 0 {
		complete := ours.Pull.Err == "" && ours.Pull.Bad == 0
		g.measured = rate(ours.Pull.Rate)
		if !complete {
			g.measured += " (incomplete)"
		}
		if java != nil && java.Pull.Rate > 0 {
			g.vsRun = fmt.Sprintf("%s → %.2f×", rate(java.Pull.Rate), ours.Pull.Rate/java.Pull.Rate)
			g.holdsRun = boolp(complete && ours.Pull.Rate >= 1.5*java.Pull.Rate)
		}
		g.vsRef = fmt.Sprintf("313k → %.2f×", ours.Pull.Rate/javaReference.pull)
		g.holdsRef = boolp(complete && ours.Pull.Rate >= 1.5*javaReference.pull)
	}
	gs = append(gs, g)
	// CPU per message at 1x1: at most a third.
	g = goal{what: "broker CPU per message at 1×1", target: "≤ ⅓ of Java"}
	if p := ph(ours, "1x1"); p != nil && p.CPUPerMsg > 0 {
		g.measured = dur(p.CPUPerMsg)
		if j := ph(java, "1x1"); j != nil && j.CPUPerMsg > 0 {
			g.vsRun = fmt.Sprintf("%s → %.2f×", dur(j.CPUPerMsg), float64(p.CPUPerMsg)/float64(j.CPUPerMsg))
			g.holdsRun = boolp(3*p.CPUPerMsg <= j.CPUPerMsg)
		}
		g.vsRef = fmt.Sprintf("140 µs → %.2f×", float64(p.CPUPerMsg)/float64(javaReference.cpuPerMsg))
		g.holdsRef = boolp(3*p.CPUPerMsg <= javaReference.cpuPerMsg)
	}
	gs = append(gs, g)
	// Absolute goals: judged once, Java shown for scale.
	g = goal{what: "broker RssAnon, peak over the run", target: "< 70 MB"}
	if ours != nil && ours.PeakAnon > 0 {
		g.measured = mb(ours.PeakAnon)
		if java != nil && java.PeakAnon > 0 {
			g.vsRun = mb(java.PeakAnon)
		}
		g.vsRef = "524 MB"
		g.holdsRun = boolp(ours.PeakAnon < goalAnonBytes)
		g.holdsRef = g.holdsRun
	}
	gs = append(gs, g)
	g = goal{what: "start-up to accepting connections, empty store", target: "< 100 ms"}
	if ours != nil && ours.Startup > 0 {
		g.measured = fmt.Sprintf("%s (median of %d)", dur(ours.Startup), len(ours.Startups))
		if java != nil && java.Startup > 0 {
			g.vsRun = dur(java.Startup)
		}
		g.holdsRun = boolp(ours.Startup < goalStartup)
		g.holdsRef = g.holdsRun
	}
	gs = append(gs, g)
	return gs
}

func (r *results) target(name string) *targetResult {
	for _, t := range r.Targets {
		if t.Name == name {
			return t
		}
	}
	return nil
}

func rate(r float64) string {
	switch {
	case r >= 10000:
		return fmt.Sprintf("%.1fk", r/1000)
	case r >= 1000:
		return fmt.Sprintf("%.2fk", r/1000)
	}
	return fmt.Sprintf("%.0f", r)
}

func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d >= 10*time.Microsecond:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	}
	return fmt.Sprintf("%.1f µs", float64(d)/1e3)
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func codesString(c map[int32]int64) string {
	if len(c) == 0 {
		return ""
	}
	keys := make([]int, 0, len(c))
	for k := range c {
		keys = append(keys, int(k))
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		if k == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("code %d ×%d", k, c[int32(k)]))
	}
	return strings.Join(parts, ", ")
}

// renderEndToEnd is the whole "## End-to-end" section.
func renderEndToEnd(r *results) string {
	var b strings.Builder
	m := r.Machine
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n\n", sectionHead)
	w("Measured by `cmd/loadgen` (`make bench`) on %s. Machine: %d CPUs (`nproc`), %s, Linux %s, %s",
		m.Date, m.CPUs, m.Model, m.Kernel, m.GoVersion)
	if m.Java != "" {
		w(", %s", m.Java)
	}
	w(". Load average %s at the start, %s at the end: the machine is shared with other jobs, so "+
		"absolute figures swing between runs; the ratios compare servers measured alternately, seconds apart, in the "+
		"same run.\n\n", m.LoadStart, m.LoadEnd)
	o := r.Opts
	w("Method: the servers run as child processes (NameServer and broker separately, store in a fresh temp "+
		"directory, ASYNC_FLUSH, brokerIP1=127.0.0.1), all of them started before the first measurement; the Java "+
		"ones are the stock 4.9.8 wrappers (256 MB NameServer heap, 512 MB broker heap, G1). The load generator "+
		"speaks raw remoting (%s headers, no client library): %d B bodies with SEND_MESSAGE_V2 (UNIQ_KEY, WAIT, TAGS "+
		"properties as a producer sets them) round-robin over %d queues, closed loop with a fixed number of "+
		"requests in flight per connection. Each broker first gets an unmeasured 4×32 warm-up (%v for rocketgo, "+
		"%v for Java, whose JIT compiles the hot paths under load). Then %d rounds: in each, for each shape, "+
		"%v against the loopback echo and %v against each broker, the brokers' order reversed every other round, "+
		"so load that comes and goes on a shared machine falls on all of them alike; a figure pools its rounds "+
		"(total acked / total time, percentiles over every latency; the per-round rates are listed). Then, after "+
		"an unmeasured pull of up to 5 s (JIT again), every stored message is pulled back with PULL_MESSAGE (maxMsgNums %d, one pull in flight per queue, 4 "+
		"connections) and each record is parsed and checked. Broker CPU is utime+stime of the broker process "+
		"from /proc/<pid>/stat over the phase, divided by the messages acked; memory is RssAnon from "+
		"/proc/<pid>/status sampled every 50 ms (mapped store files do not count). Start-up is exec to the first "+
		"accepted TCP connection on an empty store. The loopback ceiling is a bare `net` echo server (in the "+
		"load generator's process) returning the same frames.\n\n",
		o.Serialize, o.Body, o.Queues, o.Warmup, o.JavaWarmup, o.Rounds, o.Duration, o.Duration, o.Pull)

	ours, java := r.target("rocketgo"), r.target("Java 4.9.8")
	if r.JavaWhy != "" {
		w("Java broker: not run (%s); goals are judged against issue 5's Java figures instead.\n\n", r.JavaWhy)
	}
	for _, t := range r.Targets {
		if t.Err != "" {
			w("**%s failed:** `%s`\n\n", t.Name, oneLine(t.Err))
		}
	}

	w("### Sends (1 KiB, acked)\n\n")
	w("| shape | server | acked sends/s | p50 | p99 | p99.9 | broker CPU/msg | loadgen CPU/msg | not acked | acked/s per round |\n")
	w("|---|---|---:|---:|---:|---:|---:|---:|---|---|\n")
	for i, shape := range []string{"1x1", "4x32"} {
		label := strings.Replace(shape, "x", "×", 1)
		if i < len(r.Loopback) {
			p := r.Loopback[i]
			w("| %s | loopback echo (ceiling) | %s | %s | %s | %s | – | %s (both ends) | %s | %s |\n", label, rate(p.Rate), dur(p.P50), dur(p.P99), dur(p.P999), dur(p.SelfCPUPerMsg), failures(&p), rounds(p.RoundRates))
		}
		for _, t := range r.Targets {
			if p := t.phase(shape); p != nil {
				w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label, t.Name, rate(p.Rate), dur(p.P50), dur(p.P99), dur(p.P999), dur(p.CPUPerMsg), dur(p.SelfCPUPerMsg), failures(p), rounds(p.RoundRates))
			}
		}
		if ours != nil && java != nil && ours.phase(shape) != nil && java.phase(shape) != nil {
			a, j := ours.phase(shape), java.phase(shape)
			w("| %s | **rocketgo / Java** | **%s** | %s | **%s** | %s | **%s** | | | |\n", label, ratio(a.Rate, j.Rate),
				ratio(float64(a.P50), float64(j.P50)), ratio(float64(a.P99), float64(j.P99)),
				ratio(float64(a.P999), float64(j.P999)), ratio(float64(a.CPUPerMsg), float64(j.CPUPerMsg)))
		}
		if ours != nil && i < len(r.Loopback) && ours.phase(shape) != nil {
			w("| %s | rocketgo / loopback | %s | | | | | | | |\n", label, ratio(ours.phase(shape).Rate, r.Loopback[i].Rate))
		}
	}
	if a, j := phaseOf(ours, "4x32"), phaseOf(java, "4x32"); a != nil && j != nil && a.CPUPerMsg > 0 && j.CPUPerMsg > 0 {
		ourCost, javaCost := a.CPUPerMsg+a.SelfCPUPerMsg, j.CPUPerMsg+j.SelfCPUPerMsg
		need := javaCost/2 - a.SelfCPUPerMsg
		w("\nCPU budget at 4×32: during its phases our broker kept %.2f cores busy and the load generator %.2f "+
			"(Java's broker %.2f, the generator %.2f) of the %d CPUs. If these two processes had the cores to "+
			"themselves and were limited by them, the send-rate ratio would tend to (Java's broker + generator CPU "+
			"per message) / (ours) = (%s + %s) / (%s + %s) = %.2f×, and 2× Java would need our broker at about %s "+
			"of CPU per message or less. ", cores(a.CPU, a.Elapsed), cores(a.SelfCPU, a.Elapsed),
			cores(j.CPU, j.Elapsed), cores(j.SelfCPU, j.Elapsed), m.CPUs,
			dur(j.CPUPerMsg), dur(j.SelfCPUPerMsg), dur(a.CPUPerMsg), dur(a.SelfCPUPerMsg),
			float64(javaCost)/float64(ourCost), dur(need))
		if cores(a.CPU+a.SelfCPU, a.Elapsed) < 0.8*float64(m.CPUs) {
			w("They did not saturate the cores here: the other jobs on the machine took the rest, so the rates " +
				"also reflect each process's share of a contended scheduler (Java runs many more threads) and " +
				"wake-up latency, not CPU cost alone.")
		}
		w("\n")
	}
	if b := r.target(nameB); b != nil && ours != nil && b.Err == "" && ours.Err == "" {
		w("\n### A/B: %s (-bin-b) against rocketgo\n\n| | rocketgo | %s | B / rocketgo |\n|---|---:|---:|---:|\n", nameB, nameB)
		for _, sh := range []string{"1x1", "4x32"} {
			a, x := ours.phase(sh), b.phase(sh)
			if a == nil || x == nil {
				continue
			}
			w("| acked sends/s at %s | %s | %s | %s |\n", sh, rate(a.Rate), rate(x.Rate), ratio(x.Rate, a.Rate))
			w("| p99 at %s | %s | %s | %s |\n", sh, dur(a.P99), dur(x.P99), ratio(float64(x.P99), float64(a.P99)))
			w("| broker CPU/msg at %s | %s | %s | %s |\n", sh, dur(a.CPUPerMsg), dur(x.CPUPerMsg), ratio(float64(x.CPUPerMsg), float64(a.CPUPerMsg)))
		}
		w("| pulled msgs/s | %s | %s | %s |\n", rate(ours.Pull.Rate), rate(b.Pull.Rate), ratio(b.Pull.Rate, ours.Pull.Rate))
		w("| RssAnon peak | %s | %s | %s |\n", mb(ours.PeakAnon), mb(b.PeakAnon), ratio(float64(b.PeakAnon), float64(ours.PeakAnon)))
	}
	w("\n### Pull, memory, start-up\n\n")
	w("| | rocketgo | Java 4.9.8 | rocketgo / Java |\n|---|---:|---:|---:|\n")
	get := func(t *targetResult, f func(*targetResult) string) string {
		if t == nil || (t.Err != "" && t.Startup == 0) {
			return "–"
		}
		return f(t)
	}
	num := func(t *targetResult, f func(*targetResult) float64) float64 {
		if t == nil {
			return 0
		}
		return f(t)
	}
	rows := []struct {
		name string
		s    func(*targetResult) string
		v    func(*targetResult) float64
	}{
		{"pulled msgs/s (all messages back)", func(t *targetResult) string {
			s := rate(t.Pull.Rate) + fmt.Sprintf(" (%d of %d", t.Pull.Pulled, t.Pull.Expected)
			if t.Pull.Bad > 0 {
				s += fmt.Sprintf(", %d bad", t.Pull.Bad)
			}
			return s + ")"
		}, func(t *targetResult) float64 { return t.Pull.Rate }},
		{"broker CPU per pulled msg", func(t *targetResult) string { return dur(t.Pull.CPUPerMsg) },
			func(t *targetResult) float64 { return float64(t.Pull.CPUPerMsg) }},
		{"RssAnon after start-up", func(t *targetResult) string { return mb(t.IdleAnon) },
			func(t *targetResult) float64 { return float64(t.IdleAnon) }},
		{"RssAnon peak (whole run)", func(t *targetResult) string { return mb(t.PeakAnon) },
			func(t *targetResult) float64 { return float64(t.PeakAnon) }},
		{"start-up to accepting connections (empty store)", func(t *targetResult) string {
			s := dur(t.Startup)
			if len(t.Startups) > 1 {
				parts := make([]string, len(t.Startups))
				for i, d := range t.Startups {
					parts[i] = dur(d)
				}
				s += " (median of " + strings.Join(parts, ", ") + ")"
			}
			return s
		}, func(t *targetResult) float64 { return float64(t.Startup) }},
		{"shutdown after SIGTERM", func(t *targetResult) string { return dur(t.Shutdown) },
			func(t *targetResult) float64 { return float64(t.Shutdown) }},
	}
	for _, row := range rows {
		w("| %s | %s | %s | %s |\n", row.name, get(ours, row.s), get(java, row.s), ratio(num(ours, row.v), num(java, row.v)))
	}
	w("\n### Stock Go client, 16 sync producers\n\n")
	if r.GoWhy != "" {
		w("Not run: %s.\n", oneLine(r.GoWhy))
	} else {
		w("`compat/bench_test.go` (TestGoClientLoad, rocketmq-client-go/v2 as pinned in compat/go.mod): 16 producer " +
			"instances, each sending 1 KiB messages with SendSync in a loop, against the same servers. CPU per message " +
			"divides the broker's CPU over the whole client run (start-up and warm-up included) by every message sent.\n\n")
		w("| server | sends/s | p50 | p99 | broker CPU/msg | failed |\n|---|---:|---:|---:|---:|---:|\n")
		for _, t := range r.Targets {
			g := t.GoClient
			if g == nil {
				continue
			}
			if g.Err != "" {
				w("| %s | failed: `%s` | | | | |\n", t.Name, oneLine(g.Err))
				continue
			}
			w("| %s | %s | %s | %s | %s | %d |\n", t.Name, rate(g.Rate), dur(g.P50), dur(g.P99), dur(g.CPUPerMsg), g.Failed)
		}
		if ours != nil && java != nil && ours.GoClient != nil && java.GoClient != nil && ours.GoClient.Err == "" && java.GoClient.Err == "" {
			w("| **rocketgo / Java** | **%s** | %s | %s | %s | |\n", ratio(ours.GoClient.Rate, java.GoClient.Rate),
				ratio(float64(ours.GoClient.P50), float64(java.GoClient.P50)), ratio(float64(ours.GoClient.P99), float64(java.GoClient.P99)),
				ratio(float64(ours.GoClient.CPUPerMsg), float64(java.GoClient.CPUPerMsg)))
		}
	}
	w("\n### Goals (issue 5)\n\n")
	b.WriteString(goalsTable(r))
	return b.String()
}

// cores is the average number of CPUs kept busy: CPU time over wall time.
func cores(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return cpu.Seconds() / wall.Seconds()
}

func phaseOf(t *targetResult, name string) *phase {
	if t == nil || t.Err != "" {
		return nil
	}
	return t.phase(name)
}

func rounds(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = rate(r)
	}
	return strings.Join(parts, ", ")
}

func failures(p *phase) string {
	var parts []string
	if s := codesString(p.Codes); s != "" {
		parts = append(parts, s)
	}
	if p.Lost > 0 {
		parts = append(parts, fmt.Sprintf("%d unanswered", p.Lost))
	}
	if p.Err != "" {
		parts = append(parts, "error: "+oneLine(p.Err))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "; ")
}

func goalsTable(r *results) string {
	var b strings.Builder
	b.WriteString("| goal | target | rocketgo | Java, this run | holds vs this run | Java, issue 5's figures | holds vs issue 5 |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	yes := func(h *bool) string {
		switch {
		case h == nil:
			return "not measured"
		case *h:
			return "**yes**"
		}
		return "no"
	}
	dash := func(s string) string {
		if s == "" {
			return "–"
		}
		return s
	}
	for _, g := range goals(r) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", g.what, g.target, dash(g.measured),
			dash(g.vsRun), yes(g.holdsRun), dash(g.vsRef), yes(g.holdsRef))
	}
	return b.String()
}

// renderSummary is the block at the top of the report.
func renderSummary(r *results) string {
	var b strings.Builder
	b.WriteString(summaryBegin + "\n")
	fmt.Fprintf(&b, "**End-to-end summary** (`make bench`, %s, %d CPUs, load average %s; details in "+
		"[End-to-end](#end-to-end)):\n\n", r.Machine.Date, r.Machine.CPUs, r.Machine.LoadStart)
	ours, java := r.target("rocketgo"), r.target("Java 4.9.8")
	if ours != nil && java != nil && ours.Err == "" && java.Err == "" {
		var parts []string
		for _, sh := range []string{"1x1", "4x32"} {
			if a, j := ours.phase(sh), java.phase(sh); a != nil && j != nil {
				parts = append(parts, fmt.Sprintf("sends at %s %s (%s vs %s/s)", strings.Replace(sh, "x", "×", 1),
					ratio(a.Rate, j.Rate), rate(a.Rate), rate(j.Rate)))
			}
		}
		parts = append(parts, fmt.Sprintf("pull %s (%s vs %s msgs/s)", ratio(ours.Pull.Rate, java.Pull.Rate),
			rate(ours.Pull.Rate), rate(java.Pull.Rate)))
		if g, h := ours.GoClient, java.GoClient; g != nil && h != nil && g.Err == "" && h.Err == "" {
			parts = append(parts, fmt.Sprintf("stock Go client, 16 sync producers %s (%s vs %s/s)", ratio(g.Rate, h.Rate),
				rate(g.Rate), rate(h.Rate)))
		}
		fmt.Fprintf(&b, "rocketgo / stock Java 4.9.8, same run: %s.\n\n", strings.Join(parts, "; "))
	}
	b.WriteString(goalsTable(r))
	b.WriteString(summaryEnd + "\n")
	return b.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "`", "'")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// updateReport rewrites the End-to-end section and the summary of the report at path,
// keeping everything else as found; a missing file is created.
func updateReport(path, section, summary string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	out := spliceReport(string(old), section, summary)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(out), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// spliceReport is updateReport on strings.
func spliceReport(doc, section, summary string) string {
	if strings.TrimSpace(doc) == "" {
		doc = "# Benchmarks\n"
	}
	section = strings.TrimRight(section, "\n") + "\n"
	summary = strings.TrimRight(summary, "\n") + "\n"
	// The summary: replace between the markers, or insert after the title line.
	if i := strings.Index(doc, summaryBegin); i >= 0 {
		if j := strings.Index(doc[i:], summaryEnd); j >= 0 {
			end := i + j + len(summaryEnd)
			if end < len(doc) && doc[end] == '\n' {
				end++
			}
			doc = doc[:i] + summary + doc[end:]
		}
	} else {
		at := 0
		if strings.HasPrefix(doc, "# ") {
			if nl := strings.IndexByte(doc, '\n'); nl >= 0 {
				at = nl + 1
			} else {
				doc += "\n"
				at = len(doc)
			}
		}
		doc = doc[:at] + "\n" + summary + "\n" + strings.TrimLeft(doc[at:], "\n")
	}
	// The section: from its heading to the next level-2 heading.
	lines := strings.SplitAfter(doc, "\n")
	start, stop := -1, len(lines)
	for i, l := range lines {
		t := strings.TrimRight(l, "\n")
		if start < 0 && t == sectionHead {
			start = i
			continue
		}
		if start >= 0 && strings.HasPrefix(t, "## ") {
			stop = i
			break
		}
	}
	if start < 0 {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section
		return doc
	}
	before := strings.Join(lines[:start], "")
	after := strings.Join(lines[stop:], "")
	if after != "" {
		section += "\n"
	}
	return before + section + after
}
