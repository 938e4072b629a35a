package compat

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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

// compileProbe compiles compat/java/CompatProbe.java once per test binary.
func compileProbe(t *testing.T, cp string) string {
	t.Helper()
	probeOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(file), "java", "CompatProbe.java")
		probeDir, probeErr = os.MkdirTemp("", "compat-probe-")
		if probeErr != nil {
			return
		}
		out, err := exec.Command("javac", "-nowarn", "-cp", cp, "-d", probeDir, src).CombinedOutput()
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

// probeVariant is one run of CompatProbe: how the Java client finds the NameServer, which
// header serialization it uses and which tags it subscribes to.
type probeVariant struct {
	name     string
	expr     string
	binary   bool // -Drocketmq.serialize.type=ROCKETMQ: every request header in the binary form
	byDomain bool // no namesrvAddr: the client asks the address server (rocketmq.namesrv.domain)
}

// TestJavaClientProduceConsume: the stock Java producer's sync, async, batch and oneway sends
// are stored, and a Java push consumer gets exactly the messages its subscription matches,
// once each, with tags, keys, user properties and store host intact — with JSON headers and a
// tag filter, and with binary (ROCKETMQ) headers and the NameServer found through the HTTP
// address server.
func TestJavaClientProduceConsume(t *testing.T) {
	home := requireJava(t)
	cp := javaClasspath(t, home)
	classes := compileProbe(t, cp)
	variants := []probeVariant{{name: "json-tagA", expr: "TagA"}}
	opts := clusterOpts{brokers: 1}
	if !targetJava() {
		port, err := freePort()
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
			runProbe(t, c, classes, cp, v, topics[i], opts.nsProps["addressServerPort"])
		})
	}
}

func runProbe(t *testing.T, c *cluster, classes, cp string, v probeVariant, topic, domainPort string) {
	group := uniq("CGjava")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	args := javaJVMFlags(t.TempDir())
	ns := c.NamesrvAddr()
	if v.binary {
		args = append(args, "-Drocketmq.serialize.type=ROCKETMQ")
	}
	if v.byDomain {
		args = append(args, "-Drocketmq.namesrv.domain=127.0.0.1:"+domainPort)
		ns = "-"
	}
	args = append(args, "-cp", classes+":"+cp, "CompatProbe", ns, topic, group, "12", v.expr)
	cmd := exec.CommandContext(ctx, "java", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("CompatProbe: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}

	addr := c.brokers[0].Addr()
	expect := -1
	d := newDeliveries()
	done := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "SENT": // kind body status msgId offsetMsgId brokerName queueId queueOffset
			if len(f) != 9 || f[3] != "SEND_OK" {
				t.Errorf("send: %s", sc.Text())
				continue
			}
			for _, id := range strings.Split(f[5], ",") {
				if got, _ := decodeOffsetMsgID(t, id); got != addr {
					t.Errorf("offsetMsgId %s names %s, want %s", id, got, addr)
				}
			}
			if f[6] != c.brokers[0].Name {
				t.Errorf("send went to broker %q", f[6])
			}
		case "RECV": // body msgId tags keys color queueId queueOffset reconsumeTimes storeHost
			if len(f) != 10 {
				t.Errorf("recv line: %s", sc.Text())
				continue
			}
			d.add("java", f[1])
			if v.expr != "*" && f[3] != v.expr {
				t.Errorf("consumer subscribed to %s got %s", v.expr, sc.Text())
			}
			if f[9] != addr {
				t.Errorf("store host %s, want %s", f[9], addr)
			}
			if strings.HasPrefix(f[1], "java-sync-") {
				i := strings.TrimPrefix(f[1], "java-sync-")
				if f[4] != "key-"+i || f[5] != "c"+i {
					t.Errorf("%s: keys %q color %q", f[1], f[4], f[5])
				}
			}
		case "EXPECT":
			expect, _ = strconv.Atoi(f[1])
		case "DONE":
			done = f[1]
		case "ERROR":
			t.Errorf("probe: %s", sc.Text())
		}
	}
	if done != "all" {
		t.Errorf("probe finished %q; output:\n%s\nstderr:\n%s", done, out, stderr.String())
	}
	// Sync messages alternate TagA/TagB; async, batch and oneway ones are TagA.
	var want []string
	for i := 0; i < 12; i++ {
		if i%2 == 0 || v.expr == "*" {
			want = append(want, fmt.Sprintf("java-sync-%d", i))
		}
	}
	for i := 0; i < 3; i++ {
		want = append(want, fmt.Sprintf("java-async-%d", i))
	}
	for i := 0; i < 4; i++ {
		want = append(want, fmt.Sprintf("java-batch-%d", i))
	}
	want = append(want, "java-oneway-0")
	if expect != len(want) {
		t.Errorf("probe expected %d messages, the test %d", expect, len(want))
	}
	d.assertExactly(t, want, 1)
}

// mqadminRun runs the stock mqadmin once and returns its output. mqadmin prints a broker's
// error answer and still exits 0, so an exception in the output is an error too.
func mqadminRun(home, logDir string, args ...string) (string, error) {
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
			outs[i], errs[i] = mqadminRun(home, t.TempDir(), args...)
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
