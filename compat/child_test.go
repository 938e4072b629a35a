package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// A broker that can be killed with SIGKILL runs in a child process: the test binary re-executes
// itself with COMPAT_CHILD_BROKER set to the broker's Java config (JSON), and TestMain hands over
// to runChildBroker instead of running tests. This is how a crash (no unregister, no flush, the
// abort file left behind) is produced without building a separate binary.

const childBrokerEnv = "COMPAT_CHILD_BROKER"

// runChildBroker is the child's whole life: start the broker, then wait for SIGTERM (graceful)
// or SIGKILL (the point).
func runChildBroker(spec string) int {
	var props map[string]string
	if err := json.Unmarshal([]byte(spec), &props); err != nil {
		fmt.Fprintln(os.Stderr, "child broker: bad spec:", err)
		return 2
	}
	h, err := startOurBrokerProps(props)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child broker:", err)
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	if err := h.Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "child broker shutdown:", err)
		return 1
	}
	return 0
}

// childBroker is a broker running in a child process.
type childBroker struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Shutdown stops the child gracefully (SIGTERM), as brokerHandle requires.
func (c *childBroker) Shutdown() error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return errors.New("child broker ignored SIGTERM for 15 s; killed")
	}
}

// kill ends the child with SIGKILL: nothing is unregistered, flushed or checkpointed.
func (c *childBroker) kill() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// StartChild starts broker b in a child process on its port and store.
func (b *brokerNode) StartChild() {
	t := b.c.t
	t.Helper()
	if targetJava() {
		t.Skip("crash tests run our broker in a child process; not with COMPAT_TARGET=java")
	}
	if b.h != nil {
		t.Fatalf("broker %s already running", b.Name)
	}
	spec, _ := json.Marshal(ourBrokerProps(b))
	logf, err := os.Create(filepath.Join(b.Dir + "-child.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childBrokerEnv+"="+string(spec))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child broker: %v", err)
	}
	cb := &childBroker{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(cb.done) }()
	b.h = cb
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", b.Addr(), 200*time.Millisecond)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-cb.done:
			out, _ := os.ReadFile(b.Dir + "-child.log")
			b.h = nil
			t.Fatalf("child broker %s exited: %s", b.Name, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("child broker %s not listening after 15 s", b.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.c.waitBrokerRegistered(b)
}

// Kill SIGKILLs a broker started with StartChild.
func (b *brokerNode) Kill() {
	b.c.t.Helper()
	cb, ok := b.h.(*childBroker)
	if !ok {
		b.c.t.Fatalf("broker %s is not a child process", b.Name)
	}
	cb.kill()
	b.h = nil
}
