package compat

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/internal/testport"
)

// The stock Java 4.9.8 NameServer and Broker as harness targets (COMPAT_TARGET=java), run from
// <shared>/java/rocketmq-4.9.8 as child processes with their logs under the test's temp dir.

var errJavaMissing = errors.New("no Java runtime or no stock RocketMQ 4.9.8 under ../shared/java (or /work/shared/java)")

// javaHome returns the stock distribution's directory, or "" when it or `java` is missing.
func javaHome() string {
	if _, err := exec.LookPath("java"); err != nil {
		return ""
	}
	d := sharedDir()
	if d == "" {
		return ""
	}
	home := filepath.Join(d, "java", "rocketmq-4.9.8")
	if _, err := os.Stat(filepath.Join(home, "bin", "mqadmin")); err != nil {
		return ""
	}
	return home
}

type javaProc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

func (p *javaProc) Addr() string { return p.addr }

// Shutdown sends SIGTERM (the servers' shutdown hooks unregister and flush) and waits.
func (p *javaProc) Shutdown() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("java server did not stop within 15 s after SIGTERM; killed")
	}
}

func startJavaProc(dir, script, heap string, args []string, port int) (*javaProc, error) {
	home := javaHome()
	if home == "" {
		return nil, errJavaMissing
	}
	logf, err := os.Create(filepath.Join(dir, script+".out"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(home, "bin", script), args...)
	cmd.Env = append(os.Environ(), "ROCKETMQ_LOG_HOME="+dir, "JAVA_HEAP="+heap)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &javaProc{cmd: cmd, addr: "127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-p.done:
			out, _ := os.ReadFile(filepath.Join(dir, script+".out"))
			return nil, fmt.Errorf("%s exited before listening: %s", script, out)
		default:
		}
		if time.Now().After(deadline) {
			_ = p.Shutdown()
			return nil, fmt.Errorf("%s not listening on %s after 30 s", script, p.addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func writeProps(path string, props map[string]string) error {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		sb.WriteString(k + "=" + props[k] + "\n")
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

func startJavaNamesrv(dir string, extra map[string]string) (namesrvHandle, error) {
	if javaHome() == "" {
		return nil, errJavaMissing
	}
	for attempt := 0; ; attempt++ {
		port, err := testport.Reserve(0)
		if err != nil {
			return nil, err
		}
		props := map[string]string{
			"listenPort":   strconv.Itoa(port),
			"kvConfigPath": filepath.Join(dir, "kvConfig.json"),
		}
		for k, v := range extra {
			props[k] = v
		}
		cfg := filepath.Join(dir, "namesrv.properties")
		if err := writeProps(cfg, props); err != nil {
			return nil, err
		}
		h, err := startJavaProc(dir, "mqnamesrv", "128m", []string{"-c", cfg}, port)
		if err == nil || attempt == 2 || !testport.BindFailed(err) {
			return h, err
		}
	}
}

func startJavaBroker(b *brokerNode) (brokerHandle, error) {
	return startFresh(b, startJavaBrokerOnce)
}

func startJavaBrokerOnce(b *brokerNode) (brokerHandle, error) {
	props := map[string]string{
		"brokerClusterName":       b.Cluster,
		"brokerName":              b.Name,
		"brokerId":                "0",
		"brokerIP1":               "127.0.0.1",
		"brokerIP2":               "127.0.0.1",
		"namesrvAddr":             b.c.NamesrvAddr(),
		"listenPort":              strconv.Itoa(b.Port),
		"storePathRootDir":        b.Dir,
		"storePathCommitLog":      filepath.Join(b.Dir, "commitlog"),
		"mappedFileSizeCommitLog": strconv.Itoa(64 << 20),
		"flushDiskType":           "ASYNC_FLUSH",
		"brokerRole":              "ASYNC_MASTER",
	}
	for k, v := range b.Props {
		props[k] = v
	}
	cfg := filepath.Join(b.Dir, "broker.conf")
	if err := writeProps(cfg, props); err != nil {
		return nil, err
	}
	logDir := filepath.Join(filepath.Dir(b.Dir), filepath.Base(b.Dir)+"-logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	return startJavaProc(logDir, "mqbroker", "256m", []string{"-c", cfg}, b.Port)
}
