package remoting

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkLoopback measures request/response over loopback TCP: the gnet Server with an
// instant-answer processor (inline on the event loop, and on the worker pool) against a bare
// standard-library echo server (goroutine per connection, buffered reader and writer, flush
// when no more input is buffered) that sends every frame straight back, and against the same
// standard-library server doing the gnet server's protocol work (net-codec). The same load
// generator drives all four: conns connections, each keeping inflight requests outstanding
// (SEND_MESSAGE_V2-shaped JSON requests with a 256-byte body). It reports req/s and the 99th
// percentile latency.
func BenchmarkLoopback(b *testing.B) {
	shapes := []struct {
		name            string
		conns, inflight int
	}{
		{"1conn-1inflight", 1, 1},
		{"64conn-32inflight", 64, 32},
	}
	servers := []struct {
		name  string
		start func(b *testing.B) (addr string, stop func())
	}{
		{"gnet-inline", func(b *testing.B) (string, func()) { return startBenchServer(b, true, instantAnswer) }},
		{"gnet-inline-reuse", func(b *testing.B) (string, func()) {
			return startBenchServer(b, true, TransientFunc(instantAnswer))
		}},
		{"gnet-pool", func(b *testing.B) (string, func()) { return startBenchServer(b, false, instantAnswer) }},
		{"net-echo", func(b *testing.B) (string, func()) { return startNetServer(b, echoFrames) }},
		{"net-codec", func(b *testing.B) (string, func()) { return startNetServer(b, codecFrames) }},
	}
	for _, sh := range shapes {
		for _, srv := range servers {
			b.Run(sh.name+"/"+srv.name, func(b *testing.B) {
				addr, stop := srv.start(b)
				defer stop()
				runLoad(b, addr, sh.conns, sh.inflight)
			})
		}
	}
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
func startBenchServer(b *testing.B, inline bool, p Processor) (string, func()) {
	loops, _ := strconv.Atoi(os.Getenv("BENCH_LOOPS"))
	s := NewServer(ServerConfig{Addr: "127.0.0.1:0", Multicore: true, NumEventLoop: loops, Name: "bench"})
	if inline {
		s.RegisterInline(310, p)
	} else {
		s.Register(310, p)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	return s.Addr().String(), func() { _ = s.Shutdown(context.Background()) }
}

// startNetServer serves each connection with serve on a goroutine of its own.
func startNetServer(b *testing.B, serve func(net.Conn)) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
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
	}
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
func runLoad(b *testing.B, addr string, conns, inflight int) {
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
	// Server and load generator share the process and the two cores: CPU per request is the
	// figure that other load on the machine disturbs least.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/req")
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
	addr, stop := startBenchServer(b, true, TransientFunc(instantAnswer))
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
