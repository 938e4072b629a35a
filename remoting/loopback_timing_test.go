package remoting

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// BenchmarkLoopback measures request/response over loopback TCP: the gnet Server with an
// instant-answer processor (inline on the event loop, and on the worker pool) against a bare
// standard-library echo server (goroutine per connection, buffered reader and writer, flush
// when no more input is buffered) that sends every frame straight back, against the same
// standard-library server doing the gnet server's protocol work (net-codec), and against a
// bare gnet echo (gnet-echo: the transport alone). The same load generator drives them all:
// conns connections, each keeping inflight requests outstanding (SEND_MESSAGE_V2-shaped JSON
// requests with a 256-byte body). It reports req/s, the 99th percentile latency and CPU per
// request.
//
// Each server runs in a process of its own (this test binary started again with
// ROCKETGO_LOOPBACK_SERVER=<name>), as a broker runs apart from its clients: in one process a
// gnet loop parked in epoll_wait keeps its P while the load generator waits for one, and the
// echo's goroutine runs on the thread that wrote the request, so the process layout rather
// than the server decides the ratio (docs/BENCHMARKS.md). BENCH_INPROCESS=1 runs the servers
// inside the benchmark's process instead.
func BenchmarkLoopback(b *testing.B) {
	shapes := []struct {
		name            string
		conns, inflight int
	}{
		{"1conn-1inflight", 1, 1},
		{"64conn-32inflight", 64, 32},
	}
	inProcess := os.Getenv("BENCH_INPROCESS") == "1"
	for _, sh := range shapes {
		for _, srv := range loopbackServers {
			b.Run(sh.name+"/"+srv.name, func(b *testing.B) {
				if inProcess {
					addr, stop, err := srv.start()
					if err != nil {
						b.Fatal(err)
					}
					defer stop()
					runLoad(b, addr, sh.conns, sh.inflight, nil)
					return
				}
				child, err := startLoopbackChild(srv.name)
				if err != nil {
					b.Fatal(err)
				}
				defer child.stop()
				runLoad(b, child.addr, sh.conns, sh.inflight, child.cpuTime)
			})
		}
	}
}

// loopbackServers are the servers BenchmarkLoopback compares, by name.
var loopbackServers = []struct {
	name  string
	start func() (addr string, stop func(), err error)
}{
	{"gnet-inline", func() (string, func(), error) { return startBenchServer(true, instantAnswer) }},
	{"gnet-inline-reuse", func() (string, func(), error) {
		return startBenchServer(true, TransientFunc(instantAnswer))
	}},
	{"gnet-pool", func() (string, func(), error) { return startBenchServer(false, instantAnswer) }},
	{"gnet-pool-reuse", func() (string, func(), error) { return startBenchServer(false, TransientFunc(instantAnswer)) }},
	{"gnet-echo", startGnetEcho},
	{"net-echo", func() (string, func(), error) { return startNetServer(echoFrames) }},
	{"net-codec", func() (string, func(), error) { return startNetServer(codecFrames) }},
}

// loopbackServerEnv names the server a child process of BenchmarkLoopback runs (TestMain).
const loopbackServerEnv = "ROCKETGO_LOOPBACK_SERVER"

// serveLoopback is the child's side: start the named server, print its address, serve until
// standard input closes (the parent is done or gone).
func serveLoopback(name string) int {
	for _, srv := range loopbackServers {
		if srv.name != name {
			continue
		}
		addr, stop, err := srv.start()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if path := os.Getenv("BENCH_SERVER_CPUPROFILE"); path != "" {
			if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
				defer f.Close()
				defer pprof.StopCPUProfile()
			}
		}
		fmt.Println("addr", addr)
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown loopback server", name)
	return 2
}

type loopbackChild struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
}

func startLoopbackChild(name string) (*loopbackChild, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), loopbackServerEnv+"="+name)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &loopbackChild{cmd: cmd, stdin: stdin}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() { // gnet's own logger may write a line first
		if addr, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
			c.addr = addr
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return c, nil
		}
	}
	c.stop()
	return nil, fmt.Errorf("loopback server %s did not start: %v", name, sc.Err())
}

func (c *loopbackChild) stop() {
	_ = c.stdin.Close()
	_ = c.cmd.Wait()
}

// cpuTime is the child's user+system CPU so far, from /proc (clock ticks: 10 ms steps, fine
// over a run of a second or more); 0 where there is no /proc.
func (c *loopbackChild) cpuTime() time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// instantAnswer answers like a send: success with a four-field response header.
var instantAnswer = ProcessorFunc(func(ch Channel, req *Command) *Command {
	resp := NewResponse(req, CodeSuccess, "")
	resp.ExtFields = ExtFields{{"msgId", "7F00000100002A9F0000000000001000"}, {"queueId", "3"},
		{"queueOffset", "1024"}, {"MSG_REGION", "DefaultRegion"}}
	return resp
})

// startBenchServer starts the server as the broker does (Multicore). BENCH_LOOPS=n in the
// environment sets NumEventLoop instead, for comparing event-loop counts (docs/BENCHMARKS.md).
func startBenchServer(inline bool, p Processor) (string, func(), error) {
	loops, _ := strconv.Atoi(os.Getenv("BENCH_LOOPS"))
	s := NewServer(ServerConfig{Addr: "127.0.0.1:0", Multicore: true, NumEventLoop: loops, Name: "bench"})
	if inline {
		s.RegisterInline(310, p)
	} else {
		s.Register(310, p)
	}
	if err := s.Start(); err != nil {
		return "", nil, err
	}
	return s.Addr().String(), func() { _ = s.Shutdown(context.Background()) }, nil
}

// gnetEcho writes every byte it reads straight back: gnet's transport with no protocol work,
// the gnet counterpart of net-echo.
type gnetEcho struct {
	gnet.BuiltinEventEngine
	booted chan gnet.Engine
}

func (h *gnetEcho) OnBoot(e gnet.Engine) gnet.Action {
	h.booted <- e
	return gnet.None
}

func (h *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	in, _ := c.Next(-1)
	if _, err := c.Write(in); err != nil {
		return gnet.Close
	}
	return gnet.None
}

func startGnetEcho() (string, func(), error) {
	loops, _ := strconv.Atoi(os.Getenv("BENCH_LOOPS"))
	h := &gnetEcho{booted: make(chan gnet.Engine, 1)}
	done := make(chan error, 1)
	go func() {
		done <- gnet.Run(h, "tcp://127.0.0.1:0", gnet.WithMulticore(true), gnet.WithNumEventLoop(max(1, loops)),
			gnet.WithLogLevel(logging.ErrorLevel))
	}()
	select {
	case eng := <-h.booted:
		stop := func() { _ = eng.Stop(context.Background()); <-done }
		addr, err := boundAddr(eng)
		if err != nil {
			stop()
			return "", nil, err
		}
		return addr.String(), stop, nil
	case err := <-done:
		return "", nil, err
	}
}

// startNetServer serves each connection with serve on a goroutine of its own.
func startNetServer(serve func(net.Conn)) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(nc)
			}()
		}
	}()
	return ln.Addr().String(), func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}, nil
}

func echoFrames(nc net.Conn) {
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	bw := bufio.NewWriterSize(nc, 64<<10)
	buf := make([]byte, 64<<10)
	for {
		if _, err := io.ReadFull(br, buf[:4]); err != nil {
			return
		}
		l := int(binary.BigEndian.Uint32(buf))
		if l < 4 || l > len(buf)-4 {
			return
		}
		if _, err := io.ReadFull(br, buf[4:4+l]); err != nil {
			return
		}
		if _, err := bw.Write(buf[:4+l]); err != nil {
			return
		}
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}
}

// codecFrames is the standard-library server doing the gnet server's work per request: the
// frame read into the same single allocation, the header decoded, the same processor run and
// its response encoded, flushed when no input is buffered. It separates what the transport
// costs from what the protocol costs: net-echo skips the latter.
func codecFrames(nc net.Conn) {
	defer nc.Close()
	br := bufio.NewReaderSize(nc, 64<<10)
	bw := bufio.NewWriterSize(nc, 64<<10)
	var lb [4]byte
	var out []byte
	for {
		if _, err := io.ReadFull(br, lb[:]); err != nil {
			return
		}
		l, err := ParseLength(lb[:], DefaultMaxFrameSize)
		if err != nil {
			return
		}
		req, frame := newFrameCommand(4 + l)
		copy(frame, lb[:])
		if _, err := io.ReadFull(br, frame[4:]); err != nil {
			return
		}
		if err := DecodeFrame(frame, req, 0); err != nil {
			return
		}
		resp := instantAnswer.Process(nil, req)
		prepareResponse(req, resp)
		if out, err = AppendFrame(out[:0], resp); err != nil {
			return
		}
		if _, err := bw.Write(out); err != nil {
			return
		}
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return
			}
		}
	}
}

// runLoad sends b.N requests spread over conns connections with inflight outstanding each.
// serverCPU, when the server runs in another process, reads that process's CPU time.
func runLoad(b *testing.B, addr string, conns, inflight int, serverCPU func() time.Duration) {
	var remaining atomic.Int64
	remaining.Store(int64(b.N))
	var answered sync.WaitGroup
	answered.Add(b.N)
	lat := make([][]time.Duration, conns)
	var ncs []net.Conn
	for i := 0; i < conns; i++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		ncs = append(ncs, nc)
	}
	var loops sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	var srv0 time.Duration
	if serverCPU != nil {
		srv0 = serverCPU()
	}
	start, cpu0 := time.Now(), cpuTime()
	for i, nc := range ncs {
		free := make(chan int32, inflight)
		for s := 0; s < inflight; s++ {
			free <- int32(s)
		}
		sent := make([]atomic.Int64, inflight)
		loops.Add(2)
		go func() {
			defer loops.Done()
			loadWriter(nc, free, sent, &remaining)
		}()
		go func(i int) {
			defer loops.Done()
			lat[i] = loadReader(nc, free, sent, &answered)
		}(i)
	}
	answered.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	var srvCPU time.Duration
	if serverCPU != nil {
		srvCPU = serverCPU() - srv0
	}
	for _, nc := range ncs {
		nc.Close()
	}
	loops.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	// Server and load generator share the two cores: CPU per request (both processes, and the
	// server's alone) is the figure that other load on the machine disturbs least.
	b.ReportMetric(float64((cpu+srvCPU).Nanoseconds())/float64(b.N), "cpu-ns/req")
	if serverCPU != nil {
		b.ReportMetric(float64(srvCPU.Nanoseconds())/float64(b.N), "srv-cpu-ns/req")
	}
}

// loadWriter writes a request whenever a slot (an opaque) is free, batching whatever is free
// at once into one write.
func loadWriter(nc net.Conn, free chan int32, sent []atomic.Int64, remaining *atomic.Int64) {
	req := sendV2Request(SerializeJSON)
	var buf []byte
	for {
		slot, ok := <-free
		if !ok {
			return
		}
		buf = buf[:0]
		for {
			if remaining.Add(-1) < 0 {
				if len(buf) > 0 {
					_, _ = nc.Write(buf)
				}
				return
			}
			req.Opaque = slot
			sent[slot].Store(time.Now().UnixNano())
			buf, _ = AppendFrame(buf, req)
			select {
			case slot = <-free:
				continue
			default:
			}
			break
		}
		if _, err := nc.Write(buf); err != nil {
			return
		}
	}
}

func loadReader(nc net.Conn, free chan int32, sent []atomic.Int64, answered *sync.WaitGroup) []time.Duration {
	var lat []time.Duration
	br := bufio.NewReaderSize(nc, 64<<10)
	frame := make([]byte, 64<<10)
	var c Command
	c.ExtFields = make(ExtFields, 0, 16)
	for {
		if _, err := io.ReadFull(br, frame[:4]); err != nil {
			return lat
		}
		l := int(binary.BigEndian.Uint32(frame))
		if _, err := io.ReadFull(br, frame[4:4+l]); err != nil {
			return lat
		}
		if err := DecodeFrame(frame[:4+l], &c, 0); err != nil {
			panic(err)
		}
		slot := c.Opaque
		lat = append(lat, time.Duration(time.Now().UnixNano()-sent[slot].Load()))
		free <- slot
		answered.Done()
	}
}

// BenchmarkClientInvoke is one synchronous call at a time through Client.Invoke against the
// gnet server answering at once (TransientFunc: the server allocates nothing per frame), so
// allocs/op is the client's cost per call plus the processor's response.
func BenchmarkClientInvoke(b *testing.B) {
	addr, stop, err := startBenchServer(true, TransientFunc(instantAnswer))
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	cl := NewClient(ClientConfig{})
	defer cl.Close()
	req := sendV2Request(SerializeJSON)
	if _, err := cl.Invoke(addr, req, 3*time.Second); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := cl.Invoke(addr, req, 3*time.Second)
		if err != nil || resp.Code != CodeSuccess {
			b.Fatalf("invoke: %v %v", resp, err)
		}
	}
}
