package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
)

const (
	benchTopic    = "LoadgenTopic"
	goClientTopic = "LoadgenGoClient"
)

// results is everything one run measured.
type results struct {
	Machine  machine
	Opts     runOpts
	Loopback []phase // the bare echo at 1x1 and 4x32
	Targets  []*targetResult
	JavaWhy  string // why Java did not run, when it did not
	GoWhy    string // why the Go client did not run, when it did not
}

type runOpts struct {
	Duration, Warmup   time.Duration
	Rounds             int
	JavaWarmup         time.Duration
	Queues, Body, Pull int
	Serialize          string
}

// phase is one measured send load.
type phase struct {
	Name           string
	Conns, Window  int
	Elapsed        time.Duration
	Acked          int64
	Failed         int64
	Lost           int64
	Codes          map[int32]int64
	Rate           float64 // acked per second
	P50, P99, P999 time.Duration
	CPU            time.Duration // broker CPU during the phase
	CPUPerMsg      time.Duration
	SelfCPU        time.Duration // the load generator's own CPU during the phase
	SelfCPUPerMsg  time.Duration
	RoundRates     []float64 // acked/s of each round, to show the spread
	Err            string    `json:",omitempty"`
	lat            []int64   // every latency, ns (pooled by mergePhases)
}

type pullResult struct {
	Expected  int64
	Pulled    int64
	Bad       int64
	Elapsed   time.Duration
	Rate      float64
	CPUPerMsg time.Duration
	Err       string `json:",omitempty"`
}

type goClientResult struct {
	Producers int
	Sent      int64
	Failed    int64
	Seconds   float64
	Rate      float64
	P50, P99  time.Duration
	TotalSent int64 // warm-up included, what CPU is divided by
	CPUPerMsg time.Duration
	Err       string `json:",omitempty"`
}

type targetResult struct {
	Name     string
	Startups []time.Duration
	Startup  time.Duration // median
	Warmup   time.Duration // unmeasured 4x32 load before the phases
	IdleAnon int64         // RssAnon right after start-up
	PeakAnon int64         // highest RssAnon sampled during the whole run
	Phases   []phase       // 1x1, 4x32
	Pull     pullResult
	GoClient *goClientResult `json:",omitempty"`
	Shutdown time.Duration
	Err      string `json:",omitempty"`
}

func (t *targetResult) phase(name string) *phase {
	for i := range t.Phases {
		if t.Phases[i].Name == name {
			return &t.Phases[i]
		}
	}
	return nil
}

// runAll is the whole benchmark: build, loopback ceiling, our broker, the Java broker.
func runAll(o *options, log io.Writer) (*results, error) {
	if o.repo == "" {
		r, err := findRepo()
		if err != nil {
			return nil, err
		}
		o.repo = r
	}
	st, err := parseSerialize(o.serialize)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "rocketgo-loadgen-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintf(log, "loadgen: keeping stores and logs in %s\n", work)
	} else {
		interruptCleanup.Store(work)
		defer os.RemoveAll(work)
	}
	res := &results{Machine: describeMachine(), Opts: runOpts{Duration: o.duration, Warmup: o.warmup, JavaWarmup: o.javaWarm, Rounds: max(1, o.rounds),
		Queues: o.queues, Body: o.bodySize, Pull: o.pullBatch, Serialize: st.String()}}
	fmt.Fprintf(log, "loadgen: building servers (load average %s)\n", res.Machine.LoadStart)
	binDir, goBin, goWhy, err := build(o, work, log)
	if err != nil {
		return nil, err
	}
	res.GoWhy = goWhy
	javaHome, javaWhy := findJava(o)
	if javaHome == "" && o.java == "on" {
		return nil, fmt.Errorf("-java on but %s", javaWhy)
	}
	res.JavaWhy = javaWhy
	if javaHome != "" {
		res.Machine.Java = javaVersion()
	}
	body := make([]byte, o.bodySize)
	for i := range body {
		body[i] = byte('a' + i%26)
	}

	echo, err := startEcho()
	if err != nil {
		return nil, err
	}
	defer echo.Close()

	// Start every server first, so that the measured phases can alternate between them.
	var kinds []serverKind
	if o.ours {
		kinds = append(kinds, ourKind(binDir))
	}
	if o.binB != "" {
		// A second build of ours, measured in the same interleaved rounds: an A/B test of a
		// change (the Java broker can be left out with -java off).
		k := ourKind(o.binB)
		k.name = nameB
		kinds = append(kinds, k)
	}
	if javaHome != "" {
		kinds = append(kinds, javaKind(javaHome, filepath.Join(work, "java-logs")))
	}
	var live []*running
	defer func() {
		for _, r := range live {
			r.tr.PeakAnon = r.t.br.peak()
			r.tr.Shutdown = r.t.stop()
		}
	}()
	for i, k := range kinds {
		starts, warm := o.starts, o.warmup
		if k.java {
			starts = 1 // a Java start takes seconds; one is enough to compare
			warm = o.javaWarm
		}
		fmt.Fprintf(log, "loadgen: starting %s (load average %s)\n", k.name, loadAvg())
		tr := &targetResult{Name: k.name, Warmup: warm}
		res.Targets = append(res.Targets, tr)
		t, err := startTarget(k, filepath.Join(work, "t"+strconv.Itoa(i)), starts)
		if err != nil {
			tr.Err = err.Error()
			fmt.Fprintf(log, "loadgen: %s: %s\n", k.name, tr.Err)
			continue
		}
		r := &running{t: t, tr: tr}
		live = append(live, r)
		tr.Startups = t.startups
		tr.Startup = t.startupMedian()
		tr.IdleAnon, _ = rssAnon(t.br.pid())
		fmt.Fprintf(log, "loadgen:   listening %v after exec (median of %d), RssAnon %s\n",
			tr.Startup.Round(time.Millisecond), len(t.startups), mb(tr.IdleAnon))
		if err := t.createTopic(benchTopic, o.queues); err != nil {
			tr.Err = err.Error()
			live = live[:len(live)-1]
			tr.PeakAnon, tr.Shutdown = t.br.peak(), t.stop()
			continue
		}
		var uniq atomic.Int64
		uniqBase := fmt.Sprintf("7F000001%08X%08X", os.Getpid()&0xFFFFFFFF, i)
		r.mk = func(j int) workload { return newSendWorkload(benchTopic, o.queues, j, body, st, &uniq, uniqBase) }
	}
	// Warm-ups after every start, so a JIT warm-up is not cooled down by the other's start.
	for _, r := range live {
		if r.tr.Warmup > 0 {
			w := sendPhase(r.t.brokerAddr, nil, 4, 32, r.tr.Warmup, r.mk)
			fmt.Fprintf(log, "loadgen: %s warm-up: %.0f msgs/s over %v\n", r.tr.Name, w.Rate, r.tr.Warmup)
		}
	}

	// The measured send phases: rounds of (shape × {echo, servers...}), the servers' order
	// reversed every other round, so load that comes and goes on a shared machine falls on
	// all of them alike. Each figure pools all rounds.
	var echoUniq atomic.Int64
	echoMk := func(i int) workload {
		return echoWorkload{newSendWorkload(benchTopic, o.queues, i, body, st, &echoUniq, "7F00000100002A9F00000000")}
	}
	shapes := [][2]int{{1, 1}, {4, 32}}
	echoParts := make([][]phase, len(shapes))
	parts := make([][][]phase, len(live))
	for i := range parts {
		parts[i] = make([][]phase, len(shapes))
	}
	rounds := max(1, o.rounds)
	for round := range rounds {
		for si, sh := range shapes {
			p := sendPhase(echo.Addr(), nil, sh[0], sh[1], o.duration, echoMk)
			echoParts[si] = append(echoParts[si], p)
			fmt.Fprintf(log, "loadgen: round %d %s loopback echo: %.0f/s p99 %v\n", round+1, p.Name, p.Rate, p.P99)
			for k := range live {
				idx := k
				if round%2 == 1 {
					idx = len(live) - 1 - k
				}
				r := live[idx]
				p := sendPhase(r.t.brokerAddr, r.t.br, sh[0], sh[1], o.duration, r.mk)
				parts[idx][si] = append(parts[idx][si], p)
				fmt.Fprintf(log, "loadgen: round %d %s %s: %.0f acked/s p99 %v cpu/msg %v %s (load %s)\n",
					round+1, p.Name, r.tr.Name, p.Rate, p.P99, p.CPUPerMsg, p.Err, loadAvg())
			}
		}
	}
	for si := range shapes {
		res.Loopback = append(res.Loopback, mergePhases(echoParts[si]))
		for k, r := range live {
			r.tr.Phases = append(r.tr.Phases, mergePhases(parts[k][si]))
		}
	}

	for _, r := range live {
		// An unmeasured pull first, so Java's JIT has compiled the pull path too.
		warm := min(r.tr.Warmup, 5*time.Second)
		if warm > 0 {
			w := pullPhase(r.t, o, st, warm)
			fmt.Fprintf(log, "loadgen: %s pull warm-up: %.0f msgs/s over %v\n", r.tr.Name, w.Rate, w.Elapsed.Round(time.Millisecond))
		}
		r.tr.Pull = pullPhase(r.t, o, st, 0)
		fmt.Fprintf(log, "loadgen: %s pull: %d/%d msgs at %.0f msgs/s %s\n", r.tr.Name, r.tr.Pull.Pulled,
			r.tr.Pull.Expected, r.tr.Pull.Rate, r.tr.Pull.Err)
	}
	if goBin != "" {
		for _, r := range live {
			r.tr.GoClient = goClientPhase(r.t, goBin, o.goDur, r.t.work)
			fmt.Fprintf(log, "loadgen: %s Go client: %.0f msgs/s p99 %v %s\n", r.tr.Name, r.tr.GoClient.Rate,
				r.tr.GoClient.P99, r.tr.GoClient.Err)
		}
	}
	res.Machine.LoadEnd = loadAvg()
	return res, nil
}

// running is a started target and the results it collects.
type running struct {
	t  *target
	tr *targetResult
	mk func(int) workload
}

// mergePhases pools the rounds of one shape: total acked over total time, CPU over all
// messages, percentiles over every latency.
func mergePhases(ps []phase) phase {
	if len(ps) == 0 {
		return phase{}
	}
	m := phase{Name: ps[0].Name, Conns: ps[0].Conns, Window: ps[0].Window, Codes: map[int32]int64{}}
	var lat []int64
	var errs []string
	for _, p := range ps {
		m.Elapsed += p.Elapsed
		m.Acked += p.Acked
		m.Failed += p.Failed
		m.Lost += p.Lost
		m.CPU += p.CPU
		m.SelfCPU += p.SelfCPU
		for c, n := range p.Codes {
			m.Codes[c] += n
		}
		lat = append(lat, p.lat...)
		m.RoundRates = append(m.RoundRates, p.Rate)
		if p.Err != "" {
			errs = append(errs, p.Err)
		}
	}
	if m.Elapsed > 0 {
		m.Rate = float64(m.Acked) / m.Elapsed.Seconds()
	}
	if m.Acked > 0 {
		m.CPUPerMsg = m.CPU / time.Duration(m.Acked)
		m.SelfCPUPerMsg = m.SelfCPU / time.Duration(m.Acked)
	}
	m.P50, m.P99, m.P999 = percentiles(lat)
	if len(errs) > 0 {
		m.Err = strings.Join(errs, "; ")
	}
	return m
}

// sendPhase runs conns pipes of window requests for d against addr; br, when set, is the
// broker process whose CPU the phase is charged.
func sendPhase(addr string, br *proc, conns, window int, d time.Duration, mk func(int) workload) phase {
	ph := phase{Name: fmt.Sprintf("%dx%d", conns, window), Conns: conns, Window: window}
	var cpu0 time.Duration
	if br != nil {
		cpu0, _ = br.cpuTime()
	}
	self0, _ := procCPU(os.Getpid())
	stop := make(chan struct{})
	timer := time.AfterFunc(d, func() { close(stop) })
	defer timer.Stop()
	t0 := time.Now()
	st, err := runPipes(addr, conns, pipeOpts{window: window, record: true}, mk, stop)
	ph.Elapsed = time.Since(t0)
	if br != nil {
		cpu1, _ := br.cpuTime()
		ph.CPU = cpu1 - cpu0
	}
	self1, _ := procCPU(os.Getpid())
	ph.SelfCPU = self1 - self0
	if err != nil {
		ph.Err = err.Error()
	}
	ph.Acked = st.msgs
	ph.Failed = st.requests - st.msgs
	ph.Lost = st.lost
	ph.Codes = st.codes
	ph.Rate = float64(st.msgs) / ph.Elapsed.Seconds()
	ph.lat = st.lat
	ph.P50, ph.P99, ph.P999 = percentiles(st.lat)
	if st.msgs > 0 {
		ph.CPUPerMsg = ph.CPU / time.Duration(st.msgs)
		ph.SelfCPUPerMsg = ph.SelfCPU / time.Duration(st.msgs)
	}
	return ph
}

// percentiles returns p50, p99 and p99.9 of latencies in ns (nearest rank).
func percentiles(lat []int64) (p50, p99, p999 time.Duration) {
	if len(lat) == 0 {
		return 0, 0, 0
	}
	slices.Sort(lat)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(lat))+0.999999) - 1
		i = max(0, min(i, len(lat)-1))
		return time.Duration(lat[i])
	}
	return at(0.50), at(0.99), at(0.999)
}

// pullPhase pulls every message of the benchmark topic back, queues spread over 4 connections
// with one pull in flight per queue.
//
// limit > 0 makes it an unmeasured warm-up: it stops after limit, wherever it got.
func pullPhase(t *target, o *options, st remoting.SerializeType, limit time.Duration) pullResult {
	var pr pullResult
	ends, err := t.maxOffsets(benchTopic, o.queues)
	if err != nil {
		pr.Err = err.Error()
		return pr
	}
	for _, e := range ends {
		pr.Expected += e
	}
	conns := min(4, o.queues)
	var wls []*pullWorkload
	mk := func(i int) workload {
		var qs []int
		var es []int64
		for q := i; q < o.queues; q += conns {
			qs = append(qs, q)
			es = append(es, ends[q])
		}
		w := newPullWorkload(benchTopic, qs, es, int32(o.pullBatch), st, o.bodySize)
		wls = append(wls, w)
		return w
	}
	// Every pipe's window is its number of queues; build the workloads up front so the
	// window is known.
	ws := make([]workload, conns)
	for i := range conns {
		ws[i] = mk(i)
	}
	cpu0, _ := t.br.cpuTime()
	t0 := time.Now()
	stop := make(chan struct{}) // the workloads end by themselves, unless limited
	if limit > 0 {
		timer := time.AfterFunc(limit, func() { close(stop) })
		defer timer.Stop()
	}
	type out struct {
		st  *pipeStats
		err error
	}
	outs := make(chan out, conns)
	for i := range conns {
		go func() {
			s, err := runPipe(t.brokerAddr, pipeOpts{window: len(wls[i].queues)}, ws[i], stop)
			outs <- out{s, err}
		}()
	}
	for range conns {
		r := <-outs
		if r.err != nil && pr.Err == "" {
			pr.Err = r.err.Error()
		}
		if r.st != nil {
			pr.Pulled += r.st.msgs
		}
	}
	pr.Elapsed = time.Since(t0)
	cpu1, _ := t.br.cpuTime()
	for _, w := range wls {
		pr.Bad += w.badRecs
	}
	pr.Rate = float64(pr.Pulled) / pr.Elapsed.Seconds()
	if pr.Pulled > 0 {
		pr.CPUPerMsg = (cpu1 - cpu0) / time.Duration(pr.Pulled)
	}
	if limit == 0 && pr.Pulled != pr.Expected && pr.Err == "" {
		pr.Err = fmt.Sprintf("pulled %d of %d messages", pr.Pulled, pr.Expected)
	}
	return pr
}

// goClientPhase runs the stock Go client (compat's TestGoClientLoad) against the target's
// NameServer and charges the broker's CPU over the whole client run to every message it sent.
func goClientPhase(t *target, bin string, d time.Duration, work string) *goClientResult {
	r := &goClientResult{Producers: 16}
	if err := t.createTopic(goClientTopic, 8); err != nil {
		r.Err = err.Error()
		return r
	}
	if err := t.waitRoute(goClientTopic, 60*time.Second); err != nil {
		r.Err = err.Error()
		return r
	}
	outPath := filepath.Join(work, "goclient.json")
	cmd := exec.Command(bin, "-test.run", "^TestGoClientLoad$", "-test.count", "1", "-test.timeout", "5m")
	cmd.Env = append(os.Environ(),
		"ROCKETGO_LOADGEN_NAMESRV="+t.nsAddr,
		"ROCKETGO_LOADGEN_TOPIC="+goClientTopic,
		"ROCKETGO_LOADGEN_DURATION="+d.String(),
		"ROCKETGO_LOADGEN_PRODUCERS=16",
		"ROCKETGO_LOADGEN_OUT="+outPath,
	)
	cmd.Dir = work
	cpu0, _ := t.br.cpuTime()
	out, err := cmd.CombinedOutput()
	cpu1, _ := t.br.cpuTime()
	if err != nil {
		msg := string(out)
		if len(msg) > 600 {
			msg = msg[len(msg)-600:]
		}
		r.Err = fmt.Sprintf("%v: %s", err, msg)
		return r
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		r.Err = "the Go client test wrote no figures (skipped?): " + lastLine(string(out))
		return r
	}
	var g struct {
		Producers            int
		Sent, Failed         int64
		Seconds              float64
		P50Micros, P99Micros float64
		TotalSent            int64
	}
	if err := json.Unmarshal(b, &g); err != nil {
		r.Err = err.Error()
		return r
	}
	r.Producers, r.Sent, r.Failed, r.Seconds, r.TotalSent = g.Producers, g.Sent, g.Failed, g.Seconds, g.TotalSent
	if g.Seconds > 0 {
		r.Rate = float64(g.Sent) / g.Seconds
	}
	r.P50 = time.Duration(g.P50Micros * float64(time.Microsecond))
	r.P99 = time.Duration(g.P99Micros * float64(time.Microsecond))
	if g.TotalSent > 0 {
		r.CPUPerMsg = (cpu1 - cpu0) / time.Duration(g.TotalSent)
	}
	return r
}

func lastLine(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	return s
}
