package main

import (
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func TestParseStatCPU(t *testing.T) {
	// Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt
	// cmajflt utime stime ...
	tail := " S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 12 0 100 200 300\n"
	cases := []struct {
		name, line string
		want       time.Duration
		bad        bool
	}{
		{"plain", "1234 (mqbroker)" + tail, 3 * time.Second, false},
		{"name with spaces and parens", "1234 (a) b (c))" + tail, 3 * time.Second, false},
		{"no name", "1234 mqbroker" + tail, 0, true},
		{"truncated", "1234 (x) S 1 2 3", 0, true},
		{"garbage numbers", "1234 (x) S 1 2 3 4 5 6 7 8 9 10 abc 50 0", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(c.line))
			if c.bad != (err != nil) {
				t.Fatalf("err = %v, want error %v", err, c.bad)
			}
			if got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tmqbroker\nVmRSS:\t  20480 kB\nRssAnon:\t    9216 kB\nRssFile:\t   11264 kB\n"
	cases := []struct {
		key  string
		want int64
		bad  bool
	}{
		{"RssAnon:", 9216 << 10, false},
		{"RssFile:", 11264 << 10, false},
		{"RssShmem:", 0, true},
	}
	for _, c := range cases {
		got, err := parseStatusKB([]byte(status), c.key)
		if c.bad != (err != nil) || got != c.want {
			t.Errorf("%s: got %d, %v; want %d (error %v)", c.key, got, err, c.want, c.bad)
		}
	}
	if _, err := parseStatusKB([]byte("RssAnon:\t12 MB\n"), "RssAnon:"); err == nil {
		t.Error("a unit other than kB was accepted")
	}
}

func TestOwnProcessFigures(t *testing.T) {
	cpu, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	anon, err := rssAnon(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if cpu < 0 || anon <= 0 {
		t.Fatalf("cpu %v, RssAnon %d: a running test process has resident anonymous memory", cpu, anon)
	}
}

func TestPercentiles(t *testing.T) {
	lat := make([]int64, 1000)
	for i := range lat {
		lat[i] = int64(1000 - i) // reverse order: percentiles must sort
	}
	p50, p99, p999 := percentiles(lat)
	if p50 != 500 || p99 != 990 || p999 != 999 {
		t.Fatalf("got %d %d %d, want 500 990 999", p50, p99, p999)
	}
	if a, b, c := percentiles(nil); a != 0 || b != 0 || c != 0 {
		t.Fatal("empty input must give zeros")
	}
}

func TestSpliceReport(t *testing.T) {
	const summary = summaryBegin + "\nS1\n" + summaryEnd + "\n"
	const section = sectionHead + "\n\nE1\n"
	cases := []struct {
		name, doc string
		want      string
	}{
		{"empty file", "", "# Benchmarks\n\n" + summary + "\n" + section},
		{"others' sections kept, ours appended",
			"# Benchmarks\n\n## Remoting\n\nR\n\n## Store\n\nS\n",
			"# Benchmarks\n\n" + summary + "\n## Remoting\n\nR\n\n## Store\n\nS\n\n" + section},
		{"ours replaced in the middle",
			"# Benchmarks\n\n" + summaryBegin + "\nold\n" + summaryEnd + "\n\n## Remoting\n\nR\n\n" + sectionHead +
				"\n\nold figures\n### sub\nmore\n\n## Store\n\nS\n",
			"# Benchmarks\n\n" + summary + "\n## Remoting\n\nR\n\n" + section + "\n## Store\n\nS\n"},
		{"ours replaced at the end",
			"# Benchmarks\n\n" + summary + "\n## Remoting\n\nR\n\n" + sectionHead + "\n\nold\n",
			"# Benchmarks\n\n" + summary + "\n## Remoting\n\nR\n\n" + section},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := spliceReport(c.doc, section, summary)
			if got != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, c.want)
			}
			// Splicing again changes nothing.
			if again := spliceReport(got, section, summary); again != got {
				t.Fatalf("not idempotent:\n%s", again)
			}
		})
	}
}

// countedWorkload sends n echo frames in total, then runs dry.
type countedWorkload struct {
	*sendWorkload
	left int
}

func (w *countedWorkload) request(dst []byte, slot int, opaque int32) ([]byte, bool) {
	if w.left == 0 {
		return dst, false
	}
	w.left--
	return w.sendWorkload.request(dst, slot, opaque)
}

func (w *countedWorkload) response(slot int, c *remoting.Command) int64 {
	return echoWorkload{w.sendWorkload}.response(slot, c)
}

func TestPipeAgainstEcho(t *testing.T) {
	echo, err := startEcho()
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	var uniq atomic.Int64
	body := make([]byte, 1024)
	for _, c := range []struct{ conns, window, each int }{{1, 1, 50}, {4, 32, 500}, {2, 7, 333}} {
		mk := func(i int) workload {
			return &countedWorkload{newSendWorkload("T", 4, i, body, remoting.SerializeJSON, &uniq, "000000000000000000000000"), c.each}
		}
		st, err := runPipes(echo.Addr(), c.conns, pipeOpts{window: c.window, record: true}, mk, make(chan struct{}))
		if err != nil {
			t.Fatalf("%dx%d: %v", c.conns, c.window, err)
		}
		want := int64(c.conns * c.each)
		if st.requests != want || st.msgs != want || int64(len(st.lat)) != want || st.lost != 0 {
			t.Fatalf("%dx%d: %d answers, %d msgs, %d latencies, %d lost; want %d each, 0 lost",
				c.conns, c.window, st.requests, st.msgs, len(st.lat), st.lost, want)
		}
	}
}

func TestPipeStopsOnTime(t *testing.T) {
	echo, err := startEcho()
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	var uniq atomic.Int64
	stop := make(chan struct{})
	time.AfterFunc(200*time.Millisecond, func() { close(stop) })
	t0 := time.Now()
	st, err := runPipes(echo.Addr(), 2, pipeOpts{window: 8}, func(i int) workload {
		return echoWorkload{newSendWorkload("T", 4, i, make([]byte, 100), remoting.SerializeRocketMQ, &uniq, "000000000000000000000000")}
	}, stop)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("pipes ran %v after a 200 ms stop", d)
	}
	if st.msgs == 0 || st.msgs != st.requests || st.lost != 0 {
		t.Fatalf("%d msgs of %d answers, %d lost", st.msgs, st.requests, st.lost)
	}
}

// A server that reads and never answers: the pipe must give up after the drain time and
// count the requests it lost.
func TestPipeDrainTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	var uniq atomic.Int64
	w := &countedWorkload{newSendWorkload("T", 1, 0, make([]byte, 10), remoting.SerializeJSON, &uniq, "000000000000000000000000"), 3}
	t0 := time.Now()
	st, err := runPipe(ln.Addr().String(), pipeOpts{window: 3, drain: 300 * time.Millisecond}, w, make(chan struct{}))
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("gave up after %v, want about 300 ms", d)
	}
	if err != errPipeTimeout {
		t.Fatalf("err = %v, want the drain timeout", err)
	}
	if st.lost != 3 || st.requests != 0 {
		t.Fatalf("lost %d, answered %d; want 3 lost", st.lost, st.requests)
	}
}

// pullBody builds a PULL_MESSAGE answer body of n stored records with the given body size.
func pullBody(t *testing.T, n, size int, from int64) []byte {
	t.Helper()
	host := netip.MustParseAddrPort("127.0.0.1:10911")
	var out []byte
	for i := range n {
		m := message.Msg{Topic: "T", Body: make([]byte, size), BornHost: host, StoreHost: host,
			Properties: message.AppendProperty(nil, message.PropertyTags, "TagA")}
		out = message.AppendRecord(out, &m, from+int64(i), int64(len(out)), time.Now().UnixMilli())
	}
	return out
}

func TestPullWorkloadResponse(t *testing.T) {
	w := newPullWorkload("T", []int{0, 1}, []int64{5, 3}, 32, remoting.SerializeJSON, 16)
	answer := func(code int32, next int64, body []byte) *remoting.Command {
		c := &remoting.Command{Code: code, Flag: remoting.FlagResponse, Body: body}
		if code == protocol.Success || code == protocol.PullNotFound {
			h := protocol.PullMessageResponseHeader{NextBeginOffset: next, MaxOffset: 5}
			h.Encode(&c.ExtFields)
		}
		return c
	}
	// A first request goes out for each slot.
	for slot := range 2 {
		if _, ok := w.request(nil, slot, int32(slot)); !ok {
			t.Fatalf("slot %d has nothing to pull at the start", slot)
		}
	}
	if n := w.response(0, answer(protocol.Success, 3, pullBody(t, 3, 16, 0))); n != 3 {
		t.Fatalf("3 good records counted as %d", n)
	}
	// A record with the wrong body size is counted bad, not pulled.
	if n := w.response(0, answer(protocol.Success, 5, append(pullBody(t, 1, 16, 3), pullBody(t, 1, 99, 4)...))); n != 1 || w.badRecs != 1 {
		t.Fatalf("got %d pulled, %d bad; want 1 and 1", n, w.badRecs)
	}
	if _, ok := w.request(nil, 0, 2); ok {
		t.Fatal("slot 0 reached its end offset but asks for more")
	}
	// A failed answer keeps the offset and is retried, up to a bound.
	if n := w.response(1, answer(protocol.PullRetryImmediately, 0, nil)); n != 0 || w.next[1] != 0 {
		t.Fatalf("failed pull counted %d or moved the offset to %d", n, w.next[1])
	}
	for range 200 {
		w.response(1, answer(protocol.PullRetryImmediately, 0, nil))
	}
	if _, ok := w.request(nil, 1, 3); ok {
		t.Fatal("a queue that never answers keeps being pulled")
	}
	// Garbage bodies never panic.
	w.response(0, answer(protocol.Success, 6, []byte{0, 0, 0, 200, 1, 2, 3, 4, 5}))
	w.response(0, answer(protocol.Success, 6, []byte{1, 2}))
}

func TestSendWorkloadFrame(t *testing.T) {
	var uniq atomic.Int64
	w := newSendWorkload("BenchTopic", 3, 2, []byte("hello"), remoting.SerializeJSON, &uniq, "0123456789ABCDEF01234567")
	var seen []string
	for i := range 4 {
		frame, ok := w.request(nil, 0, int32(100+i))
		if !ok {
			t.Fatal("send workload ran dry")
		}
		c, err := remoting.Decode(frame)
		if err != nil {
			t.Fatal(err)
		}
		var h protocol.SendMessageRequestHeader
		if err := h.DecodeSend(c.Code, c.ExtFields); err != nil {
			t.Fatal(err)
		}
		if c.Code != protocol.SendMessageV2 || c.Opaque != int32(100+i) || h.Topic != "BenchTopic" || string(c.Body) != "hello" {
			t.Fatalf("frame %d: code %d opaque %d topic %q body %q", i, c.Code, c.Opaque, h.Topic, c.Body)
		}
		if want := int32((2 + i) % 3); h.QueueID != want {
			t.Fatalf("frame %d went to queue %d, want %d (round-robin from 2)", i, h.QueueID, want)
		}
		key, ok := message.PropertyValue([]byte(h.Properties), message.PropertyUniqClientMessageIDKeyIdx)
		if !ok || len(key) != 32 {
			t.Fatalf("UNIQ_KEY %q, want 32 hex digits", key)
		}
		if v, _ := message.PropertyValue([]byte(h.Properties), message.PropertyWaitStoreMsgOK); string(v) != "true" {
			t.Fatalf("WAIT = %q", v)
		}
		seen = append(seen, string(key))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] == seen[i-1] {
			t.Fatal("UNIQ_KEY repeats")
		}
	}
	if !strings.HasPrefix(seen[0], "0123456789ABCDEF01234567") {
		t.Fatalf("UNIQ_KEY %q lost its prefix", seen[0])
	}
}

// TestEndToEndOurs builds our servers and runs the whole benchmark against them with tiny
// phases: every figure the report needs must come out, every stored message must come back.
func TestEndToEndOurs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the servers")
	}
	o := &options{duration: 300 * time.Millisecond, warmup: 200 * time.Millisecond, rounds: 2, queues: 4, bodySize: 512,
		pullBatch: 16, starts: 2, java: "off", goClient: false, serialize: "ROCKETMQ", ours: true}
	res, err := runAll(o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Targets) != 1 || len(res.Loopback) != 2 {
		t.Fatalf("%d targets, %d loopback phases", len(res.Targets), len(res.Loopback))
	}
	tr := res.Targets[0]
	if tr.Err != "" {
		t.Fatal(tr.Err)
	}
	if len(tr.Startups) != 2 || tr.Startup <= 0 || tr.IdleAnon <= 0 || tr.PeakAnon < tr.IdleAnon {
		t.Fatalf("start-ups %v, RssAnon idle %d peak %d", tr.Startups, tr.IdleAnon, tr.PeakAnon)
	}
	for _, name := range []string{"1x1", "4x32"} {
		p := tr.phase(name)
		if p == nil || p.Err != "" || len(p.RoundRates) != 2 || p.Acked == 0 || p.Failed != 0 || p.Lost != 0 || p.P99 <= 0 || p.P50 > p.P99 || p.P99 > p.P999 {
			t.Fatalf("%s: %+v", name, p)
		}
	}
	if tr.Pull.Err != "" || tr.Pull.Bad != 0 || tr.Pull.Pulled != tr.Pull.Expected || tr.Pull.Expected <
		tr.phase("1x1").Acked+tr.phase("4x32").Acked {
		t.Fatalf("pull: %+v", tr.Pull)
	}
	md := renderEndToEnd(res)
	for _, want := range []string{sectionHead, "| 4×32 | rocketgo |", "Java broker: not run (disabled with -java off)", "| start-up to accepting"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// A server that answers every request twice must not free a slot twice (which would put
// more requests in flight than the window) nor hang the pipe.
func TestPipeDuplicateAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			frame, err := remoting.ReadFrame(c, 0)
			if err != nil {
				return
			}
			if _, err := c.Write(append(append([]byte(nil), frame...), frame...)); err != nil {
				return
			}
		}
	}()
	var uniq atomic.Int64
	w := &countedWorkload{newSendWorkload("T", 1, 0, make([]byte, 10), remoting.SerializeJSON, &uniq, "000000000000000000000000"), 50}
	done := make(chan error, 1)
	go func() {
		_, err := runPipe(ln.Addr().String(), pipeOpts{window: 4, drain: time.Second}, w, make(chan struct{}))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "matches no request") {
			t.Fatalf("err = %v, want the duplicate answer refused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pipe hung on duplicate answers")
	}
}

func TestGoals(t *testing.T) {
	mkT := func(name string, r4 float64, p99 time.Duration, cpu1 time.Duration, pull float64, anon int64, start time.Duration) *targetResult {
		return &targetResult{Name: name, Startup: start, Startups: []time.Duration{start}, PeakAnon: anon,
			Phases: []phase{{Name: "1x1", Acked: 10, Rate: 1000, CPUPerMsg: cpu1, P99: time.Millisecond},
				{Name: "4x32", Acked: 10, Rate: r4, P99: p99, CPUPerMsg: 10 * time.Microsecond}},
			Pull: pullResult{Rate: pull, Pulled: 5, Expected: 5}}
	}
	java := mkT("Java 4.9.8", 40000, 20*time.Millisecond, 100*time.Microsecond, 300000, 500<<20, 4*time.Second)
	cases := []struct {
		name    string
		ours    *targetResult
		java    *targetResult
		wantRun []string // holds vs this run, per goal: "y", "n" or "-"
		wantRef []string
	}{
		{"all hold", mkT("rocketgo", 130000, 5*time.Millisecond, 20*time.Microsecond, 500000, 20<<20, 10*time.Millisecond), java,
			[]string{"y", "y", "y", "y", "y", "y"}, []string{"y", "y", "y", "y", "y", "y"}},
		{"none hold", mkT("rocketgo", 79000, 11*time.Millisecond, 34*time.Microsecond, 440000, 70<<20, 100*time.Millisecond), java,
			[]string{"n", "n", "n", "n", "n", "n"}, []string{"n", "n", "n", "y", "n", "n"}},
		{"no Java in the run", mkT("rocketgo", 130000, 5*time.Millisecond, 20*time.Microsecond, 500000, 20<<20, 10*time.Millisecond), nil,
			[]string{"-", "-", "-", "-", "y", "y"}, []string{"y", "y", "y", "y", "y", "y"}},
	}
	flag := func(b *bool) string {
		switch {
		case b == nil:
			return "-"
		case *b:
			return "y"
		}
		return "n"
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &results{Targets: []*targetResult{c.ours}}
			if c.java != nil {
				r.Targets = append(r.Targets, c.java)
			}
			gs := goals(r)
			if len(gs) != 6 {
				t.Fatalf("%d goals", len(gs))
			}
			for i, g := range gs {
				if got := flag(g.holdsRun); got != c.wantRun[i] {
					t.Errorf("%s vs this run: %s, want %s (%s)", g.what, got, c.wantRun[i], g.vsRun)
				}
				if got := flag(g.holdsRef); got != c.wantRef[i] {
					t.Errorf("%s vs issue 5: %s, want %s (%s)", g.what, got, c.wantRef[i], g.vsRef)
				}
			}
			md := renderEndToEnd(r) + renderSummary(r)
			if c.java != nil && !strings.Contains(md, "**rocketgo / Java**") {
				t.Error("no ratio row with Java present")
			}
			if c.java == nil && strings.Contains(md, "**rocketgo / Java**") {
				t.Error("ratio row without Java")
			}
		})
	}
}

// The generator shares the cores with the broker it measures: building a request must stay
// cheap and allocation-free.
func BenchmarkSendWorkloadRequest(b *testing.B) {
	var uniq atomic.Int64
	w := newSendWorkload("BenchTopic", 8, 0, make([]byte, 1024), remoting.SerializeJSON, &uniq, "0123456789ABCDEF01234567")
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf, _ = w.request(buf[:0], 0, int32(i))
	}
}

func TestSendWorkloadAllocs(t *testing.T) {
	var uniq atomic.Int64
	w := newSendWorkload("BenchTopic", 8, 0, make([]byte, 1024), remoting.SerializeJSON, &uniq, "0123456789ABCDEF01234567")
	buf := make([]byte, 0, 4096)
	// At most one allocation: the born timestamp string when the millisecond changes.
	if n := testing.AllocsPerRun(1000, func() { buf, _ = w.request(buf[:0], 0, 1) }); n > 0.5 {
		t.Fatalf("%.2f allocations per request", n)
	}
}

func TestFindJava(t *testing.T) {
	empty := t.TempDir()
	fake := t.TempDir()
	if err := os.MkdirAll(fake+"/java/rocketmq-4.9.8/bin", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fake+"/java/rocketmq-4.9.8/bin/mqbroker", []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, java, shared, path string
		wantHome                 bool
		why                      string
	}{
		{"off", "off", fake, os.Getenv("PATH"), false, "disabled"},
		{"no distribution", "auto", empty, os.Getenv("PATH"), false, "no java/rocketmq-4.9.8 under " + empty},
		{"no java binary", "auto", fake, empty, false, "no java on PATH"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("PATH", c.path)
			home, why := findJava(&options{java: c.java, shared: c.shared, repo: empty})
			if (home != "") != c.wantHome || !strings.Contains(why, c.why) {
				t.Fatalf("home %q, why %q; want home %v, why containing %q", home, why, c.wantHome, c.why)
			}
		})
	}
	// With a java on PATH the fake distribution is found.
	bin := t.TempDir()
	if err := os.WriteFile(bin+"/java", []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	if home, why := findJava(&options{java: "auto", shared: fake}); home == "" || why != "" {
		t.Fatalf("home %q, why %q", home, why)
	}
}
