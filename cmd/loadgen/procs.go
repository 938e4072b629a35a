package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The servers under test run as child processes so that /proc shows the broker's own CPU time
// and memory, apart from the load generator's.

// clockTick is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; Linux fixes it at 100
// for user space whatever the kernel's HZ.
const clockTick = 10 * time.Millisecond

// proc is one started server process.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error

	peakMu   sync.Mutex
	peakAnon int64
	stopPeak chan struct{}
	peakDone chan struct{}
}

// startProc starts argv with its output in logPath.
func startProc(name string, argv []string, env []string, dir, logPath string) (*proc, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	// Own process group, so a Ctrl-C of the load generator does not hit the servers before
	// they are stopped in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	liveProcs.Store(p, struct{}{})
	go func() {
		p.waitErr = cmd.Wait()
		lf.Close()
		liveProcs.Delete(p)
		close(p.done)
	}()
	return p, nil
}

// liveProcs are the started processes not yet reaped. They run in process groups of their
// own, so an interrupted load generator must stop them itself (stopAll).
var liveProcs sync.Map

// stopAll stops every live process: SIGTERM, then SIGKILL to its group after grace.
func stopAll(grace time.Duration) {
	var ps []*proc
	liveProcs.Range(func(k, _ any) bool { ps = append(ps, k.(*proc)); return true })
	for _, p := range ps {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.After(grace)
	for _, p := range ps {
		select {
		case <-p.done:
		case <-deadline:
			_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
			<-p.done
		}
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to grace, then kills. It returns how long the process took
// to exit after SIGTERM.
func (p *proc) stop(grace time.Duration) time.Duration {
	p.stopSampling()
	if p.exited() {
		return 0
	}
	t0 := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return time.Since(t0)
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return time.Since(t0)
}

// logTail is the end of the process's output, for error messages.
func (p *proc) logTail(n int) string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// waitListening dials addr until it accepts, the process exits, or timeout passes.
func (p *proc) waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited before listening on %s (%v); log %s:\n%s", p.name, addr, p.waitErr, p.logPath, p.logTail(2000))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening on %s after %v; log %s:\n%s", p.name, addr, timeout, p.logPath, p.logTail(2000))
		}
		time.Sleep(time.Millisecond)
	}
}

// cpuTime is the process's user+system CPU time so far (all threads).
func (p *proc) cpuTime() (time.Duration, error) { return procCPU(p.pid()) }

// procCPU reads utime and stime from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads fields 14 (utime) and 15 (stime) of a /proc/<pid>/stat line. The second
// field, the command name, is in parentheses and may itself hold spaces and parentheses, so
// counting starts after the last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("loadgen: /proc stat line without ')'")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("loadgen: /proc stat line has %d fields after the name", len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	stt, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("loadgen: bad utime/stime %q %q", f[11], f[12])
	}
	return time.Duration(ut+stt) * clockTick, nil
}

// rssAnon is the process's RssAnon in bytes: anonymous resident memory, which leaves out the
// mapped store files (RssFile) and shared memory.
func rssAnon(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(b, "RssAnon:")
}

// parseStatusKB reads a "Key:   123 kB" line of /proc/<pid>/status, in bytes.
func parseStatusKB(b []byte, key string) (int64, error) {
	for line := range strings.SplitSeq(string(b), "\n") {
		if !strings.HasPrefix(line, key) {
			continue
		}
		f := strings.Fields(line[len(key):])
		if len(f) < 1 {
			break
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("loadgen: bad %s line %q", key, line)
		}
		if len(f) > 1 && f[1] != "kB" {
			return 0, fmt.Errorf("loadgen: unexpected unit in %q", line)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("loadgen: no %s line", key)
}

// startSampling polls RssAnon every interval and keeps the peak until stop.
func (p *proc) startSampling(interval time.Duration) {
	p.stopPeak = make(chan struct{})
	p.peakDone = make(chan struct{})
	go func() {
		defer close(p.peakDone)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if n, err := rssAnon(p.pid()); err == nil {
				p.peakMu.Lock()
				p.peakAnon = max(p.peakAnon, n)
				p.peakMu.Unlock()
			}
			select {
			case <-p.stopPeak:
				return
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
}

func (p *proc) stopSampling() {
	if p.stopPeak != nil {
		close(p.stopPeak)
		<-p.peakDone
		p.stopPeak = nil
	}
}

// peak is the highest RssAnon seen so far.
func (p *proc) peak() int64 {
	p.peakMu.Lock()
	defer p.peakMu.Unlock()
	return p.peakAnon
}

// freePort returns a loopback port nobody listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// freeBrokerPort returns a listenPort whose VIP port (-2) and HA port (+1) are free as well,
// since both brokers open all three.
func freeBrokerPort() (int, error) {
	for range 50 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p < 1026 || p > 65533 {
			continue
		}
		ok := true
		for _, q := range []int{p - 2, p + 1} {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return p, nil
		}
	}
	return 0, errors.New("loadgen: no free port with free neighbours for a broker")
}

// writeProps writes a Java properties file.
func writeProps(path string, kv [][2]string) error {
	var b strings.Builder
	for _, p := range kv {
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(p[1])
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
