package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/internal/testport"
)

func writeConf(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "broker.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrintConfig(t *testing.T) {
	conf := writeConf(t, "brokerClusterName=C1\nbrokerName=broker-x\nlistenPort=20911\nflushDiskType=SYNC_FLUSH\n"+
		"storePathRootDir=/tmp/x\n")
	var out, errb bytes.Buffer
	code := run([]string{"-c", conf, "-n", "10.0.0.1:9876;10.0.0.2:9876", "-p"}, &out, &errb, nil, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, line := range []string{"brokerClusterName=C1", "brokerName=broker-x", "listenPort=20911", "haListenPort=20912",
		"namesrvAddr=10.0.0.1:9876;10.0.0.2:9876", "flushDiskType=SYNC_FLUSH", "storePathRootDir=/tmp/x",
		"autoCreateTopicEnable=true", "defaultTopicQueueNums=8", "brokerPermission=6", "maxMessageSize=4194304",
		"registerNameServerPeriod=30000", "flushConsumerOffsetInterval=5000", "brokerId=0", "brokerRole=ASYNC_MASTER"} {
		if !strings.Contains("\n"+out.String(), "\n"+line+"\n") {
			t.Errorf("-p output lacks %q", line)
		}
	}
	// -m prints only the important keys.
	out.Reset()
	if code := run([]string{"-c", conf, "-m"}, &out, &errb, nil, nil); code != 0 {
		t.Fatalf("-m exit %d", code)
	}
	if !strings.Contains(out.String(), "brokerName=broker-x\n") || strings.Contains(out.String(), "defaultTopicQueueNums=") {
		t.Fatalf("-m output:\n%s", out.String())
	}
}

func TestNamesrvAddrFromEnv(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "10.9.9.9:9876")
	var out, errb bytes.Buffer
	if code := run([]string{"-p"}, &out, &errb, nil, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "\nnamesrvAddr=10.9.9.9:9876\n") {
		t.Fatal("NAMESRV_ADDR not honoured")
	}
	// -n wins over the environment.
	out.Reset()
	run([]string{"-n", "10.1.1.1:9876", "-p"}, &out, &errb, nil, nil)
	if !strings.Contains(out.String(), "\nnamesrvAddr=10.1.1.1:9876\n") {
		t.Fatal("-n does not override NAMESRV_ADDR")
	}
}

func TestUnknownKeyWarned(t *testing.T) {
	conf := writeConf(t, "brokerName=b\nnoSuchKey=1\n")
	var out, errb bytes.Buffer
	if code := run([]string{"-c", conf, "-p"}, &out, &errb, nil, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "noSuchKey") || !strings.Contains(errb.String(), "unknown config key") {
		t.Fatalf("no warning for unknown key; stderr:\n%s", errb.String())
	}
}

func TestBadConfigStopsStartup(t *testing.T) {
	cases := []struct {
		name, conf, args, want string
	}{
		{"bad number", "listenPort=ten\n", "", "listenPort"},
		{"bad bool", "autoCreateTopicEnable=yes\n", "", "autoCreateTopicEnable"},
		{"slave id 0", "brokerRole=SLAVE\nbrokerId=0\n", "", "brokerId > 0"},
		{"unknown role", "brokerRole=LEADER\n", "", "brokerRole"},
		{"unknown flush", "flushDiskType=SOMETIMES\n", "", "flushDiskType"},
		{"bad namesrv", "", "-n=nohostport", "namesrvAddr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"-c", writeConf(t, c.conf), "-p"}
			if c.args != "" {
				args = append(args, c.args)
			}
			var out, errb bytes.Buffer
			code := run(args, &out, &errb, nil, nil)
			if code == 0 || !strings.Contains(errb.String(), c.want) {
				t.Fatalf("exit %d, stderr %q; want failure naming %q", code, errb.String(), c.want)
			}
		})
	}
}

func TestMasterIDForced(t *testing.T) {
	conf := writeConf(t, "brokerRole=SYNC_MASTER\nbrokerId=3\n")
	var out, errb bytes.Buffer
	if code := run([]string{"-c", conf, "-p"}, &out, &errb, nil, nil); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out.String(), "\nbrokerId=0\n") {
		t.Fatal("a master's brokerId must be forced to 0")
	}
}

// TestServeAndGracefulStop starts the broker from a config file, stops it with SIGTERM and
// checks the store was closed cleanly (no abort file).
func TestServeAndGracefulStop(t *testing.T) {
	dir := t.TempDir()
	port := testport.Broker(t) // listenPort, and -2 and +1 for the VIP and HA ports
	conf := writeConf(t, "brokerName=b1\nbrokerIP1=127.0.0.1\nbindAddress=127.0.0.1\nlistenPort="+strconv.Itoa(port)+
		"\nstorePathRootDir="+dir+"\nmappedFileSizeCommitLog=1048576\n")
	stop := make(chan os.Signal, 1)
	ready := make(chan *broker.Broker, 1)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() { done <- run([]string{"-c", conf}, &out, &errb, stop, ready) }()
	var b *broker.Broker
	select {
	case b = <-ready:
	case code := <-done:
		t.Fatalf("exited %d: %s", code, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("not started")
	}
	if b.BrokerAddr() != "127.0.0.1:"+strconv.Itoa(port) {
		t.Fatalf("broker addr %s", b.BrokerAddr())
	}
	if _, err := os.Stat(filepath.Join(dir, "abort")); err != nil {
		t.Fatalf("abort missing while running: %v", err)
	}
	stop <- syscall.SIGTERM
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful stop")
	}
	if _, err := os.Stat(filepath.Join(dir, "abort")); !os.IsNotExist(err) {
		t.Fatalf("abort file left: %v", err)
	}
	if !strings.Contains(out.String(), "boot success") {
		t.Fatalf("stdout %q", out.String())
	}
}

// TestJavaDistributionConfs loads the broker.conf shipped with Java 4.9.8 and a 2m-2s slave
// file (store-and-broker.md §8.1): every key is known, the values land.
func TestJavaDistributionConfs(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
	}{
		{"broker.conf", "brokerClusterName = DefaultCluster\nbrokerName = broker-a\nbrokerId = 0\ndeleteWhen = 04\n" +
			"fileReservedTime = 48\nbrokerRole = ASYNC_MASTER\nflushDiskType = ASYNC_FLUSH\n",
			[]string{"brokerName=broker-a", "fileReservedTime=48", "deleteWhen=04", "brokerRole=ASYNC_MASTER"}},
		{"broker-a-s.properties", "brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=1\ndeleteWhen=04\n" +
			"fileReservedTime=48\nbrokerRole=SLAVE\nflushDiskType=ASYNC_FLUSH\n",
			[]string{"brokerId=1", "brokerRole=SLAVE"}},
		{"common keys", "namesrvAddr=10.0.0.1:9876\nbrokerIP1=10.0.0.2\nlistenPort=10921\nstorePathRootDir=/data/rmq\n" +
			"storePathCommitLog=/data/rmq/commitlog\nautoCreateTopicEnable=false\nmaxMessageSize=65536\nsendMessageThreadPoolNums=16\n" +
			"mappedFileSizeCommitLog=1073741824\nflushDiskType=SYNC_FLUSH\naclEnable=false\nbrokerPermission=6\n",
			[]string{"listenPort=10921", "haListenPort=10922", "autoCreateTopicEnable=false", "maxMessageSize=65536",
				"storePathCommitLog=/data/rmq/commitlog", "flushDiskType=SYNC_FLUSH"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run([]string{"-c", writeConf(t, c.text), "-p"}, &out, &errb, nil, nil); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if strings.Contains(errb.String(), "unknown config key") {
				t.Fatalf("warned about a Java key: %s", errb.String())
			}
			for _, w := range c.want {
				if !strings.Contains("\n"+out.String(), "\n"+w+"\n") {
					t.Errorf("lacks %q", w)
				}
			}
		})
	}
}
