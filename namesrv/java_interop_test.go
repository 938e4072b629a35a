package namesrv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// javaHome is the stock RocketMQ 4.9.8 build shared with the project (see its README).
const javaHome = "../../shared/java/rocketmq-4.9.8"

// TestJavaInterop runs a stock Java 4.9.8 broker against our NameServer and drives it with the
// stock mqadmin. The broker registers compressed and with forceRegister=false, so the periodic
// QUERY_DATA_VERSION path (changed=false keeps it alive) runs too; the plain JSON registration
// is covered byte for byte by the golden replay. It takes about a minute (JVM start-up), so it runs only with
// ROCKETGO_JAVA_TESTS=1 and when Java and the stock build are present.
func TestJavaInterop(t *testing.T) {
	if os.Getenv("ROCKETGO_JAVA_TESTS") == "" {
		t.Skip("set ROCKETGO_JAVA_TESTS=1 to run the stock Java broker and mqadmin against our NameServer")
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("no java on PATH")
	}
	if _, err := os.Stat(filepath.Join(javaHome, "bin", "mqbroker")); err != nil {
		t.Skipf("stock Java build not found: %v", err)
	}
	ns := startTestServer(t, func(c *Config) { c.AddressServerPort = freePort(t) })
	dir := t.TempDir()
	port := freePort(t)
	conf := fmt.Sprintf(`brokerClusterName=InteropCluster
brokerName=broker-java
brokerId=0
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
listenPort=%d
haListenPort=%d
namesrvAddr=%s
storePathRootDir=%s/store
storePathCommitLog=%s/store/commitlog
mappedFileSizeCommitLog=16777216
mappedFileSizeConsumeQueue=60000
compressedRegister=true
forceRegister=false
registerNameServerPeriod=10000
`, port, freePort(t), ns.Addr(), dir, dir)
	confPath := filepath.Join(dir, "broker.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "ROCKETMQ_LOG_HOME="+dir)
	broker := exec.Command(filepath.Join(javaHome, "bin", "mqbroker"), "-c", confPath)
	broker.Env = env
	out, err := os.Create(filepath.Join(dir, "broker.out"))
	if err != nil {
		t.Fatal(err)
	}
	broker.Stdout, broker.Stderr = out, out
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = broker.Process.Kill(); _ = broker.Wait() })

	waitUntil(t, 240*time.Second, "the Java broker to register", func() bool {
		_, ok := ns.Routes().ClusterInfo().BrokerAddrTable["broker-java"]
		return ok
	})

	mqadmin := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(javaHome, "bin", "mqadmin"), append(args, "-n", ns.Addr())...)
		cmd.Env = env
		b, _ := cmd.CombinedOutput()
		return string(b)
	}
	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"clusterList"}, []string{"InteropCluster", "broker-java", fmt.Sprintf("127.0.0.1:%d", port), "V4_9_8"}},
		{[]string{"updateTopic", "-c", "InteropCluster", "-t", "InteropTopic", "-r", "3", "-w", "3"}, []string{"success"}},
		{[]string{"topicRoute", "-t", "InteropTopic"}, []string{`"readQueueNums":3`, `"brokerName":"broker-java"`}},
		{[]string{"topicList"}, []string{"InteropTopic", "TBW102"}},
		{[]string{"updateKvConfig", "-s", "NS", "-k", "k", "-v", "v"}, []string{"success"}},
		{[]string{"updateOrderConf", "-t", "InteropTopic", "-m", "put", "-v", "broker-java:3"}, []string{"success"}},
		{[]string{"updateOrderConf", "-t", "InteropTopic", "-m", "get"}, []string{"orderConf=[broker-java:3]"}},
		{[]string{"wipeWritePerm", "-b", "broker-java"}, []string{"OK, "}},
		{[]string{"addWritePerm", "-b", "broker-java"}, []string{"OK, "}},
		{[]string{"getNamesrvConfig"}, []string{"listenPort", "kvConfigPath"}},
		{[]string{"updateNamesrvConfig", "-k", "kvConfigPath", "-v", "/x"}, []string{"CODE: 16"}},
		{[]string{"topicRoute", "-t", "NoSuchInteropTopic"}, []string{"CODE: 17", "No topic route info in name server for the topic: NoSuchInteropTopic"}},
		{[]string{"deleteTopic", "-c", "InteropCluster", "-t", "InteropTopic"}, []string{"success"}},
	}
	for _, s := range steps {
		got := mqadmin(s.args...)
		for _, w := range s.want {
			if !strings.Contains(got, w) {
				t.Errorf("mqadmin %s: output lacks %q:\n%s", strings.Join(s.args, " "), w, got)
			}
		}
	}
	// Without -n the tool asks the address server named by rocketmq.namesrv.domain.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(javaHome, "bin", "mqadmin"), "clusterList")
	for _, kv := range env {
		if !strings.HasPrefix(kv, "NAMESRV_ADDR=") && !strings.HasPrefix(kv, "JAVA_OPT_EXT=") {
			cmd.Env = append(cmd.Env, kv) // an empty NAMESRV_ADDR would count as an address list
		}
	}
	cmd.Env = append(cmd.Env, "JAVA_OPT_EXT=-Drocketmq.namesrv.domain="+ns.AddressServerAddr())
	if b, _ := cmd.CombinedOutput(); !strings.Contains(string(b), "broker-java") {
		t.Errorf("clusterList through the address server:\n%s", b)
	}

	if v, ok := ns.kv.Get("NS", "k"); !ok || v != "v" {
		t.Errorf("kv NS/k = %q %v", v, ok)
	}
	if _, ok := ns.Routes().Route("InteropTopic"); ok {
		t.Error("InteropTopic still routed after deleteTopic")
	}

	// forceRegister=false: every 10 s the broker asks QUERY_DATA_VERSION and re-registers only
	// when we say changed. It must stay registered across a few rounds.
	time.Sleep(25 * time.Second)
	if _, ok := ns.Routes().Route("TBW102"); !ok {
		t.Fatal("broker vanished while heart-beating through QUERY_DATA_VERSION")
	}

	// A broker that dies leaves the routes as soon as its connection closes.
	_ = broker.Process.Signal(syscall.SIGKILL)
	waitUntil(t, 10*time.Second, "the killed broker's removal", func() bool {
		_, ok := ns.Routes().Route("TBW102")
		return !ok
	})
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
