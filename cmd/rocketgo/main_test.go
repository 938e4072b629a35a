package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func TestDevModeDefaults(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-p"}, &out, &errb, nil, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, line := range []string{"namesrvAddr=127.0.0.1:9876", "brokerIP1=127.0.0.1", "brokerIP2=127.0.0.1",
		"listenPort=10911", "storePathRootDir=./data"} {
		if !strings.Contains("\n"+out.String(), "\n"+line+"\n") {
			t.Errorf("dev defaults lack %q", line)
		}
	}
	// broker.conf values win, except that -storePathRootDir given on the command line wins over the file.
	conf := filepath.Join(t.TempDir(), "broker.conf")
	os.WriteFile(conf, []byte("brokerIP1=10.0.0.5\nstorePathRootDir=/srv/store\nnamesrvAddr=10.0.0.9:9876\n"), 0o644)
	out.Reset()
	run([]string{"-c", conf, "-p"}, &out, &errb, nil, nil)
	for _, line := range []string{"brokerIP1=10.0.0.5", "brokerIP2=10.0.0.5", "storePathRootDir=/srv/store", "namesrvAddr=10.0.0.9:9876"} {
		if !strings.Contains("\n"+out.String(), "\n"+line+"\n") {
			t.Errorf("with broker.conf lacks %q:\n%s", line, out.String())
		}
	}
	out.Reset()
	run([]string{"-c", conf, "-storePathRootDir", "/other", "-p"}, &out, &errb, nil, nil)
	if !strings.Contains("\n"+out.String(), "\nstorePathRootDir=/other\n") {
		t.Error("-storePathRootDir must override broker.conf")
	}
}

// TestRunBoth starts NameServer and broker in one process on free ports, checks the broker is
// routable through the in-process NameServer, then stops both with SIGTERM.
func TestRunBoth(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "broker.conf")
	os.WriteFile(conf, []byte("brokerName=dev-a\nlistenPort=0\nbindAddress=127.0.0.1\nmappedFileSizeCommitLog=1048576\n"), 0o644)
	stop := make(chan os.Signal, 1)
	ready := make(chan servers, 1)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	store := filepath.Join(dir, "data")
	go func() {
		done <- run([]string{"-c", conf, "-namesrvPort", "0", "-storePathRootDir", store}, &out, &errb, stop, ready)
	}()
	var s servers
	select {
	case s = <-ready:
	case code := <-done:
		t.Fatalf("exited %d: %s", code, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("not started")
	}
	c := remoting.NewClient(remoting.ClientConfig{})
	defer c.Close()
	resp, err := c.Invoke(s.NS.Addr(), remoting.NewRequest(protocol.GetRouteinfoByTopic,
		remoting.ExtFields{{Key: "topic", Value: "dev-a"}}, nil), 3*time.Second)
	if err != nil || resp.Code != protocol.Success || !strings.Contains(string(resp.Body), s.B.BrokerAddr()) {
		t.Fatalf("route: %v %+v", err, resp)
	}
	if !strings.Contains(out.String(), "NameServer on") || !strings.Contains(out.String(), store) {
		t.Fatalf("start-up line %q", out.String())
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
	if _, err := os.Stat(filepath.Join(store, "abort")); !os.IsNotExist(err) {
		t.Fatalf("abort file left: %v", err)
	}
}
