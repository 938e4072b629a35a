package compat

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"github.com/rocketgo/rocketgo/internal/testport"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests with the stock Java 4.9.8 client and mqadmin from <shared>/java. They skip, saying
// why, when there is no Java runtime or no shared directory.

func requireJava(t *testing.T) string {
	t.Helper()
	home := javaHome()
	if home == "" {
		t.Skip(errJavaMissing)
	}
	return home
}

func javaClasspath(t *testing.T, home string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(home, "bin", "classpath")).Output()
	if err != nil {
		t.Fatalf("classpath: %v", err)
	}
	return strings.TrimSpace(string(out))
}

var (
	probeOnce sync.Once
	probeDir  string
	probeErr  error
)

// compileProbe compiles the probes in compat/java (CompatProbe, SemanticsProbe) once per test
// binary.
func compileProbe(t *testing.T, cp string) string {
	t.Helper()
	probeOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		srcs, err := filepath.Glob(filepath.Join(filepath.Dir(file), "java", "*.java"))
		if err != nil || len(srcs) == 0 {
			probeErr = fmt.Errorf("no probe sources beside %s: %v", file, err)
			return
		}
		probeDir, probeErr = os.MkdirTemp("", "compat-probe-")
		if probeErr != nil {
			return
		}
		args := append([]string{"-nowarn", "-cp", cp, "-d", probeDir}, srcs...)
		out, err := exec.Command("javac", args...).CombinedOutput()
		if err != nil {
			probeErr = fmt.Errorf("javac: %v\n%s", err, out)
		}
	})
	if probeErr != nil {
		t.Fatal(probeErr)
	}
	return probeDir
}

// javaJVMFlags are what the stock wrappers pass on JDK 17, plus a short rebalance interval so
// the consumer starts pulling quickly, and logs kept under the test's temp dir.
func javaJVMFlags(logDir string) []string {
	return []string{"-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
		"--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
		"-Duser.home=" + logDir, "-Drocketmq.client.logRoot=" + logDir, "-Drocketmq.client.logLevel=WARN",
		"-Drocketmq.client.rebalance.waitInterval=2000"}
}

// javaEnv is what every probe run needs: the distribution, its classpath and the compiled probe.
type javaEnv struct{ home, cp, classes string }

func requireJavaEnv(t *testing.T) javaEnv {
	t.Helper()
	home := requireJava(t)
	cp := javaClasspath(t, home)
	return javaEnv{home: home, cp: cp, classes: compileProbe(t, cp)}
}

// probeResult is CompatProbe's output, parsed.
type probeResult struct {
	out     string
	sent    [][]string             // SENT fields after the tag: kind body status msgId offsetMsgId broker queue offset
	recv    map[string]*deliveries // by consumer name
	lines   map[string][]string    // RECV fields by body, last seen
	expect  int
	done    string
	latency time.Duration
	extra   map[string]string // other tagged lines (ASSIGNED, ...)
}

// probe runs CompatProbe with args; between reads, onPause runs when the probe prints PAUSE,
// and the probe continues once it returns.
func (e javaEnv) probe(t *testing.T, jvm []string, onPause func(), args ...string) *probeResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	full := append(append(javaJVMFlags(t.TempDir()), jvm...), "-cp", e.classes+":"+e.cp, "CompatProbe")
	cmd := exec.CommandContext(ctx, "java", append(full, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	release := acquireJVM()
	defer release()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start CompatProbe: %v", err)
	}
	res := &probeResult{recv: map[string]*deliveries{}, lines: map[string][]string{}, expect: -1, extra: map[string]string{}}
	var all strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "SENT":
			res.sent = append(res.sent, f[1:])
		case "RECV": // consumer body msgId tags keys color queueId queueOffset reconsumeTimes storeHost
			if len(f) != 11 {
				t.Errorf("recv line: %s", line)
				continue
			}
			d := res.recv[f[1]]
			if d == nil {
				d = newDeliveries()
				res.recv[f[1]] = d
			}
			d.add(f[1], f[2])
			res.lines[f[2]] = f[1:]
		case "EXPECT":
			res.expect, _ = strconv.Atoi(f[1])
		case "LATENCY":
			ms, _ := strconv.Atoi(f[1])
			res.latency = time.Duration(ms) * time.Millisecond
		case "DONE":
			res.done = f[1]
		case "PAUSE":
			if onPause != nil {
				onPause()
			}
			_, _ = io.WriteString(stdin, "go\n")
		case "ERROR":
			t.Errorf("probe: %s", line)
		default:
			res.extra[f[0]] = strings.Join(f[1:], " ")
		}
	}
	err = cmd.Wait()
	res.out = all.String()
	if err != nil {
		t.Fatalf("CompatProbe %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, res.out, stderr.String())
	}
	if res.done != "all" {
		t.Errorf("probe %v finished %q; output:\n%s\nstderr:\n%s", args, res.done, res.out, stderr.String())
	}
	return res
}

// checkSent fails for a send that was not SEND_OK or whose offset id does not name a broker
// of want; it returns how many sends each broker took.
func (r *probeResult) checkSent(t *testing.T, want ...*brokerNode) map[string]int {
	t.Helper()
	per := map[string]int{}
	for _, f := range r.sent {
		if len(f) != 8 || f[2] != "SEND_OK" {
			t.Errorf("send: %v", f)
			continue
		}
		per[f[5]]++
		for _, id := range strings.Split(f[4], ",") {
			addr, _ := decodeOffsetMsgID(t, id)
			ok := false
			for _, b := range want {
				ok = ok || (addr == b.Addr() && f[5] == b.Name)
			}
			if !ok {
				t.Errorf("send of %s went to %s, offset id %s names %s", f[1], f[5], id, addr)
			}
		}
	}
	return per
}

// merged joins the deliveries of several consumers.
func (r *probeResult) merged(names ...string) *deliveries {
	m := newDeliveries()
	for _, n := range names {
		if d := r.recv[n]; d != nil {
			d.mu.Lock()
			for body, who := range d.by {
				for _, w := range who {
					m.count[body]++
					m.by[body] = append(m.by[body], w)
					m.total++
				}
			}
			d.mu.Unlock()
		}
	}
	return m
}

// javaBodies are the probe's message bodies: prefix-0 ... prefix-(n-1).
func javaBodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// probeVariant is one run of the pc mode: how the Java client finds the NameServer, which
// header serialization it uses and which tags it subscribes to.
type probeVariant struct {
	name     string
	expr     string
	binary   bool // -Drocketmq.serialize.type=ROCKETMQ: every request header in the binary form
	byDomain bool // no namesrvAddr: the client asks the address server (rocketmq.namesrv.domain)
	vip      bool // -Dcom.rocketmq.sendMessageWithVIPChannel=true: sends and offset calls to listenPort-2
}

// TestJavaClientProduceConsume: the stock Java producer's sync, async, batch and oneway sends
// are stored, and a Java push consumer gets exactly the messages its subscription matches,
// once each, with tags, keys, user properties and store host intact — with JSON headers and a
// tag filter; with the VIP channel (sends and offset calls on listenPort-2, trap 28); and with
// binary (ROCKETMQ) headers and the NameServer found through the HTTP address server.
func TestJavaClientProduceConsume(t *testing.T) {
	env := requireJavaEnv(t)
	variants := []probeVariant{{name: "json-tagA", expr: "TagA"}, {name: "vip-channel-tagB", expr: "TagB", vip: true}}
	opts := clusterOpts{brokers: 1}
	if !targetJava() {
		port, err := testport.Reserve(0)
		if err != nil {
			t.Fatal(err)
		}
		opts.nsProps = map[string]string{"addressServerPort": strconv.Itoa(port)}
		variants = append(variants, probeVariant{name: "binary-domain-all", expr: "*", binary: true, byDomain: true})
	}
	c := newClusterOpts(t, opts)
	// Topics are made here: the cluster reports failures on the parent test, which must not
	// happen from a parallel subtest.
	topics := make([]string, len(variants))
	for i := range variants {
		topics[i] = uniq("JavaProbe")
		c.createTopic(topics[i], 4)
	}
	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			var jvm []string
			ns := c.NamesrvAddr()
			if v.binary {
				jvm = append(jvm, "-Drocketmq.serialize.type=ROCKETMQ")
			}
			if v.vip {
				jvm = append(jvm, "-Dcom.rocketmq.sendMessageWithVIPChannel=true")
			}
			if v.byDomain {
				jvm = append(jvm, "-Drocketmq.namesrv.domain=127.0.0.1:"+opts.nsProps["addressServerPort"])
				ns = "-"
			}
			res := env.probe(t, jvm, nil, "pc", ns, topics[i], uniq("CGjava"), "12", v.expr)
			res.checkSent(t, c.brokers[0])
			// Sync messages alternate TagA/TagB; async, batch and oneway ones are TagA.
			var want []string
			for i := 0; i < 12; i++ {
				if tag := []string{"TagA", "TagB"}[i%2]; v.expr == "*" || v.expr == tag {
					want = append(want, fmt.Sprintf("java-sync-%d", i))
				}
			}
			if v.expr != "TagB" {
				want = append(want, javaBodies("java-async", 3)...)
				want = append(want, javaBodies("java-batch", 4)...)
				want = append(want, "java-oneway-0")
			}
			if res.expect != len(want) {
				t.Errorf("probe expected %d messages, the test %d", res.expect, len(want))
			}
			res.merged("C").assertExactly(t, want, 1)
			for body, f := range res.lines { // consumer body msgId tags keys color queueId queueOffset reconsume storeHost
				if v.expr != "*" && f[3] != v.expr {
					t.Errorf("consumer subscribed to %s got %s with tag %s", v.expr, body, f[3])
				}
				if f[9] != c.brokers[0].Addr() {
					t.Errorf("%s: store host %s, want %s", body, f[9], c.brokers[0].Addr())
				}
				if i, ok := strings.CutPrefix(body, "java-sync-"); ok && (f[4] != "key-"+i || f[5] != "c"+i) {
					t.Errorf("%s: keys %q color %q", body, f[4], f[5])
				}
			}
		})
	}
}

// TestJavaClientGroups: two Java push consumers of one group split the queues and consume each
// message once between them; two broadcasting ones and a lite pull consumer each get every
// message once; a message sent while they all long-poll arrives at once.
func TestJavaClientGroups(t *testing.T) {
	t.Parallel()
	env := requireJavaEnv(t)
	c := newCluster(t, 1, nil)
	topic := uniq("JavaGroups")
	c.createTopic(topic, 4)
	res := env.probe(t, nil, nil, "group", c.NamesrvAddr(), topic, uniq("CGjg"), "20", "4")
	res.checkSent(t, c.brokers[0])
	want := append(javaBodies("java-group", 20), "java-late")
	t.Logf("assignment: %s", res.extra["ASSIGNED"])
	ab := res.merged("A", "B")
	ab.assertExactly(t, want, 1)
	if res.recv["A"].Total() == 0 || res.recv["B"].Total() == 0 {
		t.Errorf("one clustering instance got nothing: A=%d B=%d", res.recv["A"].Total(), res.recv["B"].Total())
	}
	for _, who := range []string{"C", "D", "L"} {
		res.merged(who).assertExactly(t, want, 1)
	}
	if res.latency > 2*time.Second {
		t.Errorf("the message sent during long polling arrived after %v", res.latency)
	}
}

// TestJavaClientOffsetsAcrossRestart: a Java consumer group consumes a first batch and shuts
// down (committing with Java's oneway UPDATE_CONSUMER_OFFSET); a second batch is stored; the
// broker restarts; the group comes back and gets exactly the second batch.
func TestJavaClientOffsetsAcrossRestart(t *testing.T) {
	t.Parallel()
	env := requireJavaEnv(t)
	c := newCluster(t, 1, nil)
	topic := uniq("JavaRestart")
	c.createTopic(topic, 4)
	group := uniq("CGjr")
	first := env.probe(t, nil, nil, "pc", c.NamesrvAddr(), topic, group, "8", "*")
	n1 := first.expect
	waitCommitted(t, c.brokers[0].Addr(), group, topic, 4, int64(n1))
	conn := dialRaw(t, c.brokers[0].Addr(), langGo)
	second := bodies("second", 12)
	for i, b := range second {
		mustSend(t, conn, topic, i%4, goProps("TAGS", "TagA"), b)
	}
	conn.Close()
	c.brokers[0].Restart()
	res := env.probe(t, nil, nil, "consume", c.NamesrvAddr(), topic, group, strconv.Itoa(len(second)))
	res.merged("C").assertExactly(t, second, 1)
}

// TestJavaClientProducerFailover: a Java producer keeps sending when one of two broker groups
// stops: every send succeeds, none on the stopped group.
func TestJavaClientProducerFailover(t *testing.T) {
	env := requireJavaEnv(t)
	c := newCluster(t, 2, nil)
	topic := uniq("JavaFailover")
	c.createTopic(topic, 4)
	res := env.probe(t, nil, func() { c.brokers[1].Stop() }, "failover", c.NamesrvAddr(), topic, "16", "30")
	per := res.checkSent(t, c.brokers...)
	post := 0
	for _, f := range res.sent {
		if strings.HasPrefix(f[1], "java-post-") {
			post++
			if f[5] == c.brokers[1].Name {
				t.Errorf("send %s reported success on the stopped %s", f[1], f[5])
			}
		}
	}
	if post != 30 {
		t.Errorf("%d of 30 sends after the stop succeeded", post)
	}
	if per[c.brokers[1].Name] == 0 {
		t.Errorf("before the stop no send went to %s: %v", c.brokers[1].Name, per)
	}
}

// jvmSlots bounds how many JVMs the suite runs at once: on 2 cores, many more starve each other
// until the Java client's own 3 s request timeouts fire.
var jvmSlots = make(chan struct{}, 4)

func acquireJVM() func() {
	jvmSlots <- struct{}{}
	return func() { <-jvmSlots }
}

// transientJava matches the Java client's own transport failures (its 3 s timeouts under CPU
// starvation), as opposed to an error answer from our servers.
var transientJava = regexp.MustCompile(`Remoting(Timeout|Connect|SendRequest)Exception`)

// mqadminRun runs the stock mqadmin once and returns its output. mqadmin prints a broker's
// error answer and still exits 0, so an exception in the output is an error too.
func mqadminRun(home, logDir string, args ...string) (string, error) {
	release := acquireJVM()
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(home, "bin", "mqadmin"), args...)
	cmd.Env = append(os.Environ(), "ROCKETMQ_LOG_HOME="+logDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("mqadmin %v: %v\n%s", args, err, out)
	}
	if bytes.Contains(out, []byte("Exception")) {
		return string(out), fmt.Errorf("mqadmin %v reported an error:\n%s", args, out)
	}
	return string(out), nil
}

// mqadminRetry is mqadminRun, retried once (and logged) when the run failed only with the
// client's own transport exception.
func mqadminRetry(t *testing.T, home, logDir string, args ...string) (string, error) {
	out, err := mqadminRun(home, logDir, args...)
	if err != nil && transientJava.MatchString(out) {
		t.Logf("mqadmin %v failed in the client's transport, retrying once:\n%s", args, firstLines([]byte(out), 3))
		out, err = mqadminRun(home, logDir, args...)
	}
	return out, err
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(string(b), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

// mqadminAll runs several mqadmin commands at once: each JVM spends most of its ~4 s waiting,
// so running them side by side keeps the test short even on 2 cores.
func mqadminAll(t *testing.T, home string, cmds ...[]string) []string {
	t.Helper()
	outs := make([]string, len(cmds))
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	t0 := time.Now()
	for i, args := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = mqadminRetry(t, home, t.TempDir(), args...)
		}()
	}
	wg.Wait()
	t.Logf("%d mqadmin commands took %v", len(cmds), time.Since(t0).Round(time.Millisecond))
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	return outs
}

// TestJavaMqadmin: the stock mqadmin's clusterList, topicList, updateTopic, topicRoute and
// topicStatus show our cluster, broker, topic and queues in the shape they show Java's
// (compare /work/shared/fixtures/wire-4.9.8/04-mqadmin-output.txt).
func TestJavaMqadmin(t *testing.T) {
	t.Parallel()
	home := requireJava(t)
	c := newCluster(t, 1, nil)
	ns := c.NamesrvAddr()
	addr := c.brokers[0].Addr()
	topic := uniq("AdminTopic")

	outs := mqadminAll(t, home,
		[]string{"updateTopic", "-c", "CompatCluster", "-t", topic, "-r", "4", "-w", "4", "-n", ns},
		[]string{"clusterList", "-n", ns})
	if out := outs[0]; !strings.Contains(out, "create topic to "+addr+" success.") ||
		!strings.Contains(out, "TopicConfig [topicName="+topic+", readQueueNums=4, writeQueueNums=4, perm=RW-") {
		t.Errorf("updateTopic output:\n%s", out)
	}
	row := regexp.MustCompile(`(?m)^CompatCluster\s+broker-a\s+0\s+` + regexp.QuoteMeta(addr) + `\s+V4_9_8\s`)
	if out := outs[1]; !strings.Contains(out, "#Cluster Name") || !row.MatchString(out) {
		t.Errorf("clusterList output lacks our broker row:\n%s", out)
	}
	c.waitRoute(topic)

	conn := dialRaw(t, addr, langGo)
	counts := []int{2, 0, 1, 3}
	for q, n := range counts {
		for i := 0; i < n; i++ {
			r, err := sendV1(conn, topic, q, goProps("TAGS", "t"), []byte("x"))
			if err != nil || r.Code != 0 {
				t.Fatalf("send: %v %v", r, err)
			}
		}
	}

	outs = mqadminAll(t, home,
		[]string{"topicList", "-n", ns},
		[]string{"topicRoute", "-t", topic, "-n", ns},
		[]string{"topicStatus", "-t", topic, "-n", ns})
	for _, want := range []string{topic, "TBW102", "CompatCluster", "broker-a", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).MatchString(outs[0]) {
			t.Errorf("topicList lacks %s:\n%s", want, outs[0])
		}
	}
	compact := strings.Join(strings.Fields(outs[1]), "")
	for _, want := range []string{`"brokerAddrs":{0:"` + addr + `"}`, `"brokerName":"broker-a"`, `"cluster":"CompatCluster"`,
		`"perm":6`, `"readQueueNums":4`, `"writeQueueNums":4`} {
		if !strings.Contains(compact, want) {
			t.Errorf("topicRoute lacks %s:\n%s", want, outs[1])
		}
	}
	if !strings.Contains(outs[2], "#Broker Name") {
		t.Errorf("topicStatus header missing:\n%s", outs[2])
	}
	for q, n := range counts {
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^broker-a\s+%d\s+0\s+%d\s`, q, n))
		if !re.MatchString(outs[2]) {
			t.Errorf("topicStatus lacks queue %d with min 0 max %d:\n%s", q, n, outs[2])
		}
	}
}
