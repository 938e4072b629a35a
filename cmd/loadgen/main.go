// Command loadgen is the end-to-end benchmark behind `make bench`: it drives a NameServer and a
// broker, run as child processes, with raw remoting frames (our codec, no RocketMQ client
// library, so the broker is what is measured) and writes the figures to docs/BENCHMARKS.md.
//
// Where it sits in the flow:
//
//	loadgen ──SEND_MESSAGE_V2 / PULL_MESSAGE (pipelined TCP)──▶ mqbroker process ─▶ store
//	   │ /proc/<pid>/stat, /proc/<pid>/status (CPU, RssAnon)          ▲
//	   └── the same load, in the same run ──▶ stock Java 4.9.8 broker ─┘ (when java and
//	       ../shared/java are present), and a bare net echo server (the loopback ceiling)
//
// For each broker it measures start-up to accepting connections on an empty store, then sends
// 1 KiB messages at 1 connection × 1 in flight and 4 connections × 32 in flight for a bounded
// time (acked sends/s, p50/p99/p999, broker CPU per message), pulls every stored message back
// (pulled msgs/s), samples the broker's peak RssAnon, and optionally runs the stock Go client
// at 16 sync producers (compat/bench_test.go, built into a test binary).
//
//	loadgen [-report docs/BENCHMARKS.md] [-duration 5s] [-warmup 3s] [-java auto|on|off]
//	        [-goclient=true] [-json out.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/sirupsen/logrus"
)

// interruptCleanup is the temporary directory an interrupt removes (unless -keep).
var interruptCleanup atomic.Value

type options struct {
	repo      string
	report    string
	jsonOut   string
	duration  time.Duration
	warmup    time.Duration
	rounds    int
	javaWarm  time.Duration
	ours      bool
	queues    int
	bodySize  int
	pullBatch int
	starts    int
	java      string
	shared    string
	goClient  bool
	goDur     time.Duration
	binDir    string
	keep      bool
	serialize string
	render    string
	binB      string
}

func main() {
	// The servers run in process groups of their own (so a terminal's Ctrl-C does not kill
	// them in the middle of a measurement); on an interrupt, stop them before leaving.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "loadgen: %v: stopping the servers\n", s)
		stopAll(20 * time.Second)
		if d, _ := interruptCleanup.Load().(string); d != "" {
			_ = os.RemoveAll(d)
		}
		os.Exit(130)
	}()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.repo, "repo", "", "rocketgo checkout (default: the module root above the working directory)")
	fs.StringVar(&o.report, "report", "", "Markdown file whose End-to-end section and summary are rewritten (empty: print only)")
	fs.StringVar(&o.jsonOut, "json", "", "also write the raw results as JSON to this file")
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "length of each measured send phase (one shape, one server, one round)")
	fs.IntVar(&o.rounds, "rounds", 4, "rounds of measured send phases, alternating between the servers")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured 4x32 send load before measuring (JIT, page cache)")
	fs.DurationVar(&o.javaWarm, "java-warmup", 30*time.Second, "warm-up of the Java broker (its JIT compiles the hot paths under load first)")
	fs.BoolVar(&o.ours, "ours", true, "run our servers (false: only the loopback ceiling and Java, for debugging)")
	fs.IntVar(&o.queues, "queues", 8, "queues of the benchmark topic")
	fs.IntVar(&o.bodySize, "body", 1024, "message body size in bytes")
	fs.IntVar(&o.pullBatch, "pullbatch", 32, "maxMsgNums of each pull (the clients' default pullBatchSize)")
	fs.IntVar(&o.starts, "starts", 3, "start-ups of our broker to time (median reported)")
	fs.StringVar(&o.java, "java", "auto", "run the stock Java 4.9.8 servers too: auto (when present), on, off")
	fs.StringVar(&o.shared, "shared", "", "the shared folder with java/rocketmq-4.9.8 (default <repo>/../shared, then /work/shared)")
	fs.BoolVar(&o.goClient, "goclient", true, "also run the stock Go client at 16 sync producers (compat module)")
	fs.DurationVar(&o.goDur, "goclient-duration", 5*time.Second, "length of the Go client phase")
	fs.StringVar(&o.binDir, "bin", "", "directory with prebuilt mqnamesrv and mqbroker (default: build them)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary stores and logs")
	fs.StringVar(&o.serialize, "serialize", "JSON", "header serialization of our requests: JSON or ROCKETMQ")
	fs.StringVar(&o.binB, "bin-b", "", "directory with a second build of mqnamesrv/mqbroker to compare with ours in the same run (A/B)")
	fs.StringVar(&o.render, "render", "", "do not measure: rewrite the report from the results of an earlier -json file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logrus.SetOutput(stderr)
	logrus.SetLevel(logrus.WarnLevel)
	var res *results
	var err error
	if o.render != "" {
		res, err = loadResults(o.render)
	} else {
		res, err = runAll(&o, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
		return 1
	}
	md := renderEndToEnd(res)
	fmt.Fprintln(stdout, md)
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
			return 1
		}
	}
	if o.report != "" {
		if err := updateReport(o.report, md, renderSummary(res)); err != nil {
			fmt.Fprintf(stderr, "loadgen: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "loadgen: figures written to %s\n", o.report)
	}
	return 0
}

// loadResults reads the results an earlier run wrote with -json.
func loadResults(path string) (*results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// findRepo walks up from the working directory to the rocketgo go.mod.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(b), "module github.com/rocketgo/rocketgo\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no rocketgo go.mod above the working directory; pass -repo")
		}
		dir = parent
	}
}

// findJava locates the stock Java distribution and reports why it cannot run when it cannot.
func findJava(o *options) (home, why string) {
	if o.java == "off" {
		return "", "disabled with -java off"
	}
	cands := []string{}
	if o.shared != "" {
		cands = append(cands, o.shared)
	} else {
		cands = append(cands, filepath.Join(o.repo, "..", "shared"), "/work/shared")
	}
	for _, s := range cands {
		h := filepath.Join(s, "java", "rocketmq-4.9.8")
		if _, err := os.Stat(filepath.Join(h, "bin", "mqbroker")); err == nil {
			if _, err := exec.LookPath("java"); err != nil {
				return "", "no java on PATH"
			}
			abs, _ := filepath.Abs(h)
			return abs, ""
		}
	}
	return "", "no java/rocketmq-4.9.8 under " + strings.Join(cands, " or ")
}

// build compiles the servers (and the Go-client test binary) into dir.
func build(o *options, dir string, log io.Writer) (binDir, goClientBin, goClientWhy string, err error) {
	binDir = o.binDir
	if binDir == "" {
		binDir = filepath.Join(dir, "bin")
		cmd := exec.Command("go", "build", "-o", binDir+"/", "./cmd/mqnamesrv", "./cmd/mqbroker")
		cmd.Dir = o.repo
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", "", "", fmt.Errorf("building the servers in %s: %w (a tree in the middle of an edit? "+
				"-repo can point at a clean checkout, -bin at prebuilt mqnamesrv/mqbroker)", o.repo, err)
		}
	}
	if !o.goClient {
		return binDir, "", "disabled with -goclient=false", nil
	}
	goClientBin = filepath.Join(dir, "compat.test")
	cmd := exec.Command("go", "test", "-c", "-o", goClientBin, ".")
	cmd.Dir = filepath.Join(o.repo, "compat")
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		return binDir, "", "the compat test binary did not build: " + msg, nil
	}
	return binDir, goClientBin, "", nil
}

// machine describes where the figures were taken.
type machine struct {
	Date      string
	CPUs      int
	Model     string
	Kernel    string
	GoVersion string
	Java      string
	LoadStart string
	LoadEnd   string
}

func describeMachine() machine {
	m := machine{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), CPUs: runtime.NumCPU(),
		GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.LoadStart = loadAvg()
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func javaVersion() string {
	out, err := exec.Command("java", "-version").CombinedOutput()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

func parseSerialize(s string) (remoting.SerializeType, error) {
	switch strings.ToUpper(s) {
	case "JSON":
		return remoting.SerializeJSON, nil
	case "ROCKETMQ":
		return remoting.SerializeRocketMQ, nil
	}
	return 0, fmt.Errorf("unknown -serialize %q", s)
}
