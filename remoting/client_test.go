package remoting

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestClientInvoke(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, nil)
	cl := NewClient(ClientConfig{ConnsPerAddr: 2})
	defer cl.Close()
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		req := request(codeEcho, 0, st)
		resp, err := cl.Invoke(addr, req, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Opaque != req.Opaque || resp.Serialize != st || string(resp.Body) != "body" ||
			resp.ExtFields.Value("k") != "v\x01" {
			t.Fatalf("got %+v for %+v", resp, req)
		}
	}
	// Concurrent calls over the pooled connections all get their own answers.
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req := NewRequest(codeInline, ExtFields{{"i", fmt.Sprint(i)}}, nil)
			resp, err := cl.Invoke(addr, req, 3*time.Second)
			if err == nil && resp.ExtFields.Value("i") != fmt.Sprint(i) {
				err = fmt.Errorf("call %d got answer %q", i, resp.ExtFields.Value("i"))
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestClientAsyncAndOneway(t *testing.T) {
	got := make(chan *Command, 1)
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
			got <- req
			return NewResponse(req, CodeSuccess, "")
		}))
	})
	cl := NewClient(ClientConfig{})
	defer cl.Close()
	done := make(chan *Command, 1)
	if err := cl.InvokeAsync(addr, request(codeEcho, 0, SerializeJSON), 5*time.Second, func(r *Command, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- r
	}); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r == nil || string(r.Body) != "body" {
		t.Fatalf("async got %+v", r)
	}
	if err := cl.InvokeOneway(addr, request(codeLater, 0, SerializeJSON)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if !r.IsOneway() {
			t.Fatal("oneway flag not set")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("oneway request not delivered")
	}
}

func TestClientTimeout(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterInline(codeLater, ProcessorFunc(func(Channel, *Command) *Command { return nil }))
	})
	cl := NewClient(ClientConfig{})
	defer cl.Close()
	start := time.Now()
	_, err := cl.Invoke(addr, request(codeLater, 0, SerializeJSON), 100*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || time.Since(start) < 100*time.Millisecond || !strings.Contains(err.Error(), addr) {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	cbErr := make(chan error, 1)
	calls := 0
	var mu sync.Mutex
	cl.InvokeAsync(addr, request(codeLater, 0, SerializeJSON), 50*time.Millisecond, func(r *Command, err error) {
		mu.Lock()
		calls++
		mu.Unlock()
		cbErr <- err
	})
	if err := <-cbErr; !errors.Is(err, ErrTimeout) {
		t.Fatalf("async err = %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("callback ran %d times", calls)
	}
	// The connection is still good after timeouts.
	if _, err := cl.Invoke(addr, request(codeEcho, 0, SerializeJSON), 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestClientConnectErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cl := NewClient(ClientConfig{ConnectTimeout: 500 * time.Millisecond})
	if _, err := cl.Invoke(addr, request(codeEcho, 0, SerializeJSON), time.Second); !errors.Is(err, ErrConnect) {
		t.Fatalf("err = %v, want ErrConnect", err)
	}
	cl.Close()
	if _, err := cl.Invoke(addr, request(codeEcho, 0, SerializeJSON), time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestClientBrokenConnection: a server that dies fails every waiting call at once, and the
// next call dials a new connection.
func TestClientBrokenConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- nc
		}
	}()
	cl := NewClient(ClientConfig{})
	defer cl.Close()
	addr := ln.Addr().String()
	errc := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			_, err := cl.Invoke(addr, request(codeEcho, 0, SerializeJSON), 10*time.Second)
			errc <- err
		}()
	}
	nc := <-accepted
	// Wait until all three requests arrived, then drop the connection.
	for i := 0; i < 3; i++ {
		_ = nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := ReadFrame(nc, 0); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	for i := 0; i < 3; i++ {
		select {
		case err := <-errc:
			if !errors.Is(err, ErrConnClosed) {
				t.Fatalf("err = %v, want ErrConnClosed", err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("waiting call not failed")
		}
	}
	// Reconnects: the fake server answers by hand.
	go func() {
		nc := <-accepted
		defer nc.Close()
		frame, err := ReadFrame(nc, 0)
		if err != nil {
			return
		}
		req, _ := Decode(frame)
		resp := NewResponse(req, CodeSuccess, "again")
		b, _ := AppendFrame(nil, resp)
		nc.Write(b)
		time.Sleep(100 * time.Millisecond)
	}()
	resp, err := cl.Invoke(addr, request(codeEcho, 0, SerializeJSON), 3*time.Second)
	if err != nil || resp.Remark != "again" {
		t.Fatalf("after reconnect: %+v %v", resp, err)
	}
}

func TestClientBadFrameFromServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		ReadFrame(nc, 0)
		nc.Write(unhex(t, "00 00 00 06 09 00 00 02 7B 7D")) // serialize type 9
		time.Sleep(time.Second)
	}()
	cl := NewClient(ClientConfig{})
	defer cl.Close()
	_, err = cl.Invoke(ln.Addr().String(), request(codeEcho, 0, SerializeJSON), 3*time.Second)
	if !errors.Is(err, ErrConnClosed) || !strings.Contains(err.Error(), "serialize type") {
		t.Fatalf("err = %v", err)
	}
}

// TestClientNoLeaks: after Close every goroutine the client started is gone and waiting calls
// have failed.
func TestClientNoLeaks(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterInline(codeLater, ProcessorFunc(func(Channel, *Command) *Command { return nil }))
	})
	_, addr2 := startServer(t, ServerConfig{}, nil)
	settle()
	base := runtime.NumGoroutine()

	cl := NewClient(ClientConfig{ConnsPerAddr: 3})
	for i := 0; i < 20; i++ {
		if _, err := cl.Invoke(addr, request(codeEcho, 0, SerializeJSON), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Invoke(addr2, request(codeEcho, 0, SerializeRocketMQ), 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	cl.CloseAddr(addr2)
	// Calls that will never be answered, sync and async.
	errc := make(chan error, 10)
	for i := 0; i < 5; i++ {
		go func() {
			_, err := cl.Invoke(addr, request(codeLater, 0, SerializeJSON), time.Minute)
			errc <- err
		}()
		if err := cl.InvokeAsync(addr, request(codeLater, 0, SerializeJSON), time.Minute, func(_ *Command, err error) {
			errc <- err
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for pendingCount(cl) < 10 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cl.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		select {
		case err := <-errc:
			if !errors.Is(err, ErrConnClosed) && !errors.Is(err, ErrClosed) {
				t.Fatalf("pending call ended with %v", err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("pending call not failed by Close")
		}
	}
	deadline = time.Now().Add(3 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, baseline %d:\n%s", n, base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pendingCount(cl) != 0 {
		t.Fatal("pending table not empty")
	}
}

func pendingCount(cl *Client) int {
	cl.pending.mu.Lock()
	defer cl.pending.mu.Unlock()
	return len(cl.pending.m)
}

// settle lets goroutines of earlier tests finish before a baseline is taken.
func settle() {
	prev := -1
	for i := 0; i < 50; i++ {
		n := runtime.NumGoroutine()
		if n == prev {
			return
		}
		prev = n
		time.Sleep(20 * time.Millisecond)
	}
}
