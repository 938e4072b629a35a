package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
)

// A pipe is one TCP connection driven closed-loop with a fixed number of requests in flight
// ("slots"). One goroutine writes, one reads; neither allocates per request beyond what the
// workload does, because the load generator shares the machine's cores with the broker it
// measures and every cycle it burns is taken from the broker.
//
//	writer: take a free slot ─▶ workload.request(slot) appends a frame ─▶ batch ─▶ write
//	reader: read frame ─▶ slot = opaque % window ─▶ latency, workload.response ─▶ free slot
//
// The opaque of a request is seq*window+slot, so the answer names its slot without a map and a
// slot's send time is never overwritten while the slot is in flight.

// workload produces the requests of one pipe and judges their answers.
type workload interface {
	// request appends the frame to send from slot with the given opaque, or reports false
	// when slot has nothing more to send (the pipe ends when every slot has said so).
	request(dst []byte, slot int, opaque int32) ([]byte, bool)
	// response handles the answer that came back for slot and returns how many messages it
	// accounts for (acked sends, pulled messages); 0 for a failed request.
	response(slot int, c *remoting.Command) int64
}

// pipeStats is what one pipe measured.
type pipeStats struct {
	requests int64           // answers received
	msgs     int64           // messages the answers accounted for
	codes    map[int32]int64 // answers by response code
	lat      []int64         // per-answer latency in ns, when recorded
	lost     int64           // requests without an answer when the pipe was torn down
}

// pipeOpts shapes a run of one pipe.
type pipeOpts struct {
	window  int
	record  bool          // keep every latency
	drain   time.Duration // give up when requests are in flight and nothing was heard for this long
	readBuf int
}

var errPipeTimeout = errors.New("loadgen: requests in flight and no answer within the stall timeout")

// runPipe dials addr and runs w with o.window requests in flight until stop is closed or the
// workload runs dry, then waits for the answers still in flight (giving up when the server
// stalls for o.drain).
func runPipe(addr string, o pipeOpts, w workload, stop <-chan struct{}) (*pipeStats, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return runPipeConn(nc, o, w, stop)
}

func runPipeConn(nc net.Conn, o pipeOpts, w workload, stop <-chan struct{}) (*pipeStats, error) {
	if o.window <= 0 {
		o.window = 1
	}
	if o.drain <= 0 {
		o.drain = 10 * time.Second
	}
	if o.readBuf <= 0 {
		o.readBuf = 256 << 10
	}
	window := o.window
	sent := make([]atomic.Int64, window) // send time of the request in flight in each slot
	busy := make([]atomic.Bool, window)  // whether the slot has a request in flight
	want := make([]atomic.Int32, window) // and its opaque
	free := make(chan int, window)
	for i := range window {
		free <- i
	}
	var (
		inflight  atomic.Int64
		writeDone atomic.Bool
		closeOnce sync.Once
		finished  = make(chan struct{})
		writeErr  error
	)
	finish := func() { closeOnce.Do(func() { close(finished); _ = nc.Close() }) }

	// The stall guard: requests in flight and nothing heard for o.drain means the server is
	// stuck; give up rather than hang the benchmark.
	var (
		drainTimedOut atomic.Bool
		lastActivity  atomic.Int64
	)
	lastActivity.Store(time.Now().UnixNano())
	writerExit := make(chan struct{})
	go func() {
		t := time.NewTicker(min(o.drain/4, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-finished:
				return
			case <-t.C:
			}
			if inflight.Load() > 0 && time.Now().UnixNano()-lastActivity.Load() > int64(o.drain) {
				drainTimedOut.Store(true)
				finish()
				return
			}
		}
	}()

	go func() {
		defer close(writerExit)
		buf := make([]byte, 0, 128<<10)
		seq := int64(0)
		retired := 0
		take := func(slot int) {
			opaque := int32((seq*int64(window) + int64(slot)) & 0x7fffffff)
			seq++
			if opaque%int32(window) != int32(slot) { // wrapped: restart the sequence
				seq = 0
				opaque = int32(slot)
			}
			before := len(buf)
			var ok bool
			buf, ok = w.request(buf, slot, opaque)
			if !ok {
				buf = buf[:before]
				retired++
				return
			}
			inflight.Add(1)
			want[slot].Store(opaque)
			busy[slot].Store(true)
			now := time.Now().UnixNano()
			sent[slot].Store(now)
			lastActivity.Store(now)
		}
		for retired < window {
			var slot int
			select {
			case <-stop:
				retired = window
				continue
			case <-finished:
				writeErr = net.ErrClosed
				retired = window
				continue
			case slot = <-free:
			}
			take(slot)
			// Batch whatever else is free into the same write, as a client's event loop does.
		more:
			for len(buf) < 64<<10 && retired < window {
				select {
				case slot = <-free:
					take(slot)
				default:
					break more
				}
			}
			if len(buf) > 0 {
				if _, err := nc.Write(buf); err != nil {
					writeErr = err
					break
				}
				buf = buf[:0]
			}
		}
		writeDone.Store(true)
		if inflight.Load() == 0 {
			finish()
		}
	}()

	st := &pipeStats{codes: map[int32]int64{}}
	br := bufio.NewReaderSize(nc, o.readBuf)
	frame := make([]byte, 0, 64<<10)
	var cmd remoting.Command
	var lb [4]byte
	var readErr error
	for {
		if _, err := io.ReadFull(br, lb[:]); err != nil {
			readErr = err
			break
		}
		l, err := remoting.ParseLength(lb[:], remoting.DefaultMaxFrameSize)
		if err != nil {
			readErr = err
			break
		}
		if cap(frame) < 4+l {
			frame = make([]byte, 0, 4+l)
		}
		frame = frame[:4+l]
		copy(frame, lb[:])
		if _, err := io.ReadFull(br, frame[4:]); err != nil {
			readErr = err
			break
		}
		if err := remoting.DecodeFrame(frame, &cmd, 0); err != nil {
			readErr = err
			break
		}
		now := time.Now().UnixNano()
		lastActivity.Store(now)
		slot := int(cmd.Opaque) % window
		if cmd.Opaque < 0 || slot < 0 || want[slot].Load() != cmd.Opaque || !busy[slot].Swap(false) {
			// A duplicate or invented answer would free a slot twice; stop instead.
			readErr = fmt.Errorf("loadgen: answer with opaque %d matches no request in flight", cmd.Opaque)
			break
		}
		if o.record {
			st.lat = append(st.lat, now-sent[slot].Load())
		}
		st.requests++
		code := cmd.Code
		if !cmd.IsResponse() { // an echo of our own request
			code = 0
		}
		st.codes[code]++
		st.msgs += w.response(slot, &cmd)
		free <- slot
		if inflight.Add(-1) == 0 && writeDone.Load() {
			finish()
			break
		}
	}
	finish()
	<-writerExit
	st.lost = inflight.Load()
	if st.lost < 0 {
		st.lost = 0
	}
	switch {
	case drainTimedOut.Load():
		return st, errPipeTimeout
	case writeErr != nil && !errors.Is(writeErr, net.ErrClosed):
		return st, writeErr
	case readErr != nil && st.lost > 0:
		return st, readErr
	}
	return st, nil
}

// runPipes runs conns pipes in parallel, each with its own workload from mk, and merges
// their figures. stop ends them; they end earlier when their workloads run dry.
func runPipes(addr string, conns int, o pipeOpts, mk func(i int) workload, stop <-chan struct{}) (*pipeStats, error) {
	var wg sync.WaitGroup
	res := make([]*pipeStats, conns)
	errs := make([]error, conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = runPipe(addr, o, mk(i), stop)
		}()
	}
	wg.Wait()
	all := &pipeStats{codes: map[int32]int64{}}
	for _, r := range res {
		if r == nil {
			continue
		}
		all.requests += r.requests
		all.msgs += r.msgs
		all.lost += r.lost
		all.lat = append(all.lat, r.lat...)
		for c, n := range r.codes {
			all.codes[c] += n
		}
	}
	return all, errors.Join(errs...)
}

// echoServer is the loopback ceiling: a bare standard-library server that sends every frame
// back as it came, flushing when its read buffer runs dry so a burst goes back in one write.
type echoServer struct {
	ln net.Listener
	wg sync.WaitGroup
}

func startEcho() (*echoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &echoServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				echoConn(c)
			}()
		}
	}()
	return s, nil
}

func echoConn(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 256<<10)
	bw := bufio.NewWriterSize(c, 256<<10)
	buf := make([]byte, 64<<10)
	for {
		if _, err := io.ReadFull(br, buf[:4]); err != nil {
			return
		}
		l := int(binary.BigEndian.Uint32(buf))
		if l < remoting.MinFrameLength || l > remoting.DefaultMaxFrameSize {
			return
		}
		if len(buf) < 4+l {
			buf = append(buf[:4], make([]byte, l)...)
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

func (s *echoServer) Addr() string { return s.ln.Addr().String() }

func (s *echoServer) Close() {
	_ = s.ln.Close()
	s.wg.Wait()
}
