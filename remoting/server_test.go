package remoting

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

var logHook *logtest.Hook

func TestMain(m *testing.M) {
	logrus.SetOutput(io.Discard)
	if name := os.Getenv(loopbackServerEnv); name != "" {
		os.Exit(serveLoopback(name)) // a server process of BenchmarkLoopback
	}
	logHook = logtest.NewGlobal()
	os.Exit(m.Run())
}

const (
	codeEcho   int32 = 1001
	codeInline int32 = 1002
	codeLater  int32 = 1003
	codePanic  int32 = 1004
	codeBlock  int32 = 1005
)

// echo answers with the request's ext fields and body.
var echo = ProcessorFunc(func(ch Channel, req *Command) *Command {
	resp := NewResponse(req, CodeSuccess, "")
	resp.ExtFields = append(ExtFields(nil), req.ExtFields...)
	resp.Body = req.Body
	return resp
})

func startServer(t testing.TB, cfg ServerConfig, setup func(s *Server)) (*Server, string) {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s := NewServer(cfg)
	s.Register(codeEcho, echo)
	s.RegisterInline(codeInline, echo)
	if setup != nil {
		setup(s)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s, s.Addr().String()
}

func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

func frameOf(t testing.TB, c *Command) []byte {
	t.Helper()
	b, err := AppendFrame(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readCmd(t testing.TB, nc net.Conn) *Command {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	frame, err := ReadFrame(nc, DefaultMaxFrameSize)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	c, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// expectClosed waits for the server to close nc.
func expectClosed(t testing.TB, nc net.Conn) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	for {
		_, err := nc.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("connection still open")
		}
		return
	}
}

func request(code int32, opaque int32, st SerializeType) *Command {
	c := NewRequest(code, ExtFields{{"topic", "T"}, {"k", "v\x01"}}, []byte("body"))
	c.Opaque, c.Serialize = opaque, st
	return c
}

func TestServerRequestResponse(t *testing.T) {
	_, addr := startServer(t, ServerConfig{Multicore: true}, nil)
	nc := dial(t, addr)
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		for _, code := range []int32{codeEcho, codeInline} {
			req := request(code, 77, st)
			if _, err := nc.Write(frameOf(t, req)); err != nil {
				t.Fatal(err)
			}
			resp := readCmd(t, nc)
			want := &Command{Code: CodeSuccess, Language: LangJava, Version: Version, Opaque: 77,
				Flag: FlagResponse, ExtFields: req.ExtFields, Body: []byte("body"), Serialize: st}
			assertCommand(t, resp, want)
		}
	}
}

func TestServerPartialFrames(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, nil)
	nc := dial(t, addr)
	data := append(frameOf(t, request(codeEcho, 1, SerializeJSON)), frameOf(t, request(codeInline, 2, SerializeRocketMQ))...)
	for i := range data {
		if _, err := nc.Write(data[i : i+1]); err != nil {
			t.Fatal(err)
		}
		if i%16 == 0 {
			time.Sleep(time.Millisecond) // let some bytes arrive on their own
		}
	}
	got := map[int32]bool{}
	for i := 0; i < 2; i++ {
		got[readCmd(t, nc).Opaque] = true
	}
	if !got[1] || !got[2] {
		t.Fatalf("responses for %v", got)
	}
}

func TestServerManyFramesPerWrite(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, nil)
	nc := dial(t, addr)
	const n = 500
	var data []byte
	for i := 1; i <= n; i++ {
		code := codeEcho
		if i%2 == 0 {
			code = codeInline
		}
		data = append(data, frameOf(t, request(code, int32(i), SerializeType(i%2)))...)
	}
	if _, err := nc.Write(data); err != nil {
		t.Fatal(err)
	}
	seen := make(map[int32]bool, n)
	for i := 0; i < n; i++ {
		r := readCmd(t, nc)
		if r.Code != CodeSuccess || r.Serialize != SerializeType(r.Opaque%2) || string(r.Body) != "body" {
			t.Fatalf("bad response %+v", r)
		}
		seen[r.Opaque] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct responses, want %d", len(seen), n)
	}
}

func TestServerBadFrames(t *testing.T) {
	_, addr := startServer(t, ServerConfig{MaxFrameSize: 1 << 20}, nil)
	good := frameOf(t, request(codeEcho, 5, SerializeJSON))
	jsonFrame := func(hdr string) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(4+len(hdr)))
		b = binary.BigEndian.AppendUint32(b, uint32(len(hdr)))
		return append(b, hdr...)
	}
	tests := []struct {
		name  string
		bytes []byte
		half  bool // close our write side after sending
	}{
		{"L below minimum", unhex(t, "00 00 00 02 00 00"), false},
		{"L negative", unhex(t, "FF FF FF FF"), false},
		{"L over max", unhex(t, "00 10 00 00"), false}, // 4+L = 1 MiB + 4: refused before any body
		{"header length past frame", unhex(t, "00 00 00 08 00 00 00 05 7B 7D 00 00"), false},
		{"unknown serialize type", unhex(t, "00 00 00 06 07 00 00 02 7B 7D"), false},
		{"invalid JSON", jsonFrame(`{"code":`), false},
		{"JSON not an object", jsonFrame(`[1]`), false},
		{"invalid binary", unhex(t, "00 00 00 0A 01 00 00 06 00 01 00 00 00 00"), false},
		{"binary remark past header", append(unhex(t, "00 00 00 19 01 00 00 15"), unhex(t, "0001 00 0000 00000001 00000000 00000FFF 00000000")...), false},
		{"body cut short", good[:len(good)-2], true},
	}
	other := dial(t, addr)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logHook.Reset()
			nc := dial(t, addr)
			if _, err := nc.Write(tt.bytes); err != nil {
				t.Fatal(err)
			}
			if tt.half {
				_ = nc.(*net.TCPConn).CloseWrite()
			}
			expectClosed(t, nc)
			{
				// A log line naming the peer.
				deadline := time.Now().Add(5 * time.Second)
				for !hasLog(nc.LocalAddr().String(), "bad frame") {
					if time.Now().After(deadline) {
						t.Fatalf("no log line for %s: %v", nc.LocalAddr(), logHook.AllEntries())
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			// Another connection carries on.
			if _, err := other.Write(good); err != nil {
				t.Fatal(err)
			}
			if r := readCmd(t, other); r.Opaque != 5 || r.Code != CodeSuccess {
				t.Fatalf("other connection got %+v", r)
			}
		})
	}
}

func hasLog(remote, msg string) bool {
	for _, e := range logHook.AllEntries() {
		if e.Data["remote"] == remote && strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}

func TestServerUnknownCode(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, nil)
	nc := dial(t, addr)
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		for _, oneway := range []bool{false, true} {
			req := request(999, 9, st)
			if oneway {
				req.MarkOneway() // Java answers unknown codes even then
			}
			nc.Write(frameOf(t, req))
			r := readCmd(t, nc)
			if r.Code != CodeRequestCodeNotSupported || r.Remark != " request type 999 not supported" ||
				!r.HasRemark || r.Opaque != 9 || !r.IsResponse() || r.Serialize != st {
				t.Fatalf("got %+v", r)
			}
		}
	}
}

func TestServerDefaultProcessor(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.SetDefault(ProcessorFunc(func(ch Channel, req *Command) *Command {
			return NewResponse(req, 42, "default")
		}))
	})
	nc := dial(t, addr)
	nc.Write(frameOf(t, request(999, 1, SerializeJSON)))
	if r := readCmd(t, nc); r.Code != 42 || r.Remark != "default" {
		t.Fatalf("got %+v", r)
	}
}

func TestServerOnewayGetsNoAnswer(t *testing.T) {
	var ran atomic.Int32
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
			ran.Add(1)
			return NewResponse(req, CodeSuccess, "")
		}))
	})
	nc := dial(t, addr)
	for _, code := range []int32{codeLater, codeInline} {
		ow := request(code, 1, SerializeJSON)
		ow.MarkOneway()
		nc.Write(frameOf(t, ow))
	}
	// Let the oneway requests be processed before the next one.
	for deadline := time.Now().Add(3 * time.Second); ran.Load() < 1 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // and give a wrong answer time to arrive first
	nc.Write(frameOf(t, request(codeEcho, 2, SerializeJSON)))
	if r := readCmd(t, nc); r.Opaque != 2 {
		t.Fatalf("first answer is for opaque %d, want 2 (oneway answered?)", r.Opaque)
	}
	if ran.Load() != 1 {
		t.Fatalf("oneway processor ran %d times", ran.Load())
	}
}

func TestServerAsyncAnswer(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterInline(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
			go func() { // long polling: the answer comes later from elsewhere
				time.Sleep(20 * time.Millisecond)
				resp := NewResponse(req, CodeSuccess, "later")
				if err := ch.Write(resp); err != nil {
					t.Error(err)
				}
			}()
			return nil
		}))
	})
	nc := dial(t, addr)
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		nc.Write(frameOf(t, request(codeLater, 31, st)))
		r := readCmd(t, nc)
		if r.Opaque != 31 || r.Remark != "later" || !r.IsResponse() || r.Serialize != st {
			t.Fatalf("got %+v", r)
		}
	}
}

func TestServerPanicBecomesSystemError(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		p := ProcessorFunc(func(ch Channel, req *Command) *Command { panic("boom") })
		s.Register(codePanic, p)
		s.RegisterInline(codePanic+100, p)
	})
	nc := dial(t, addr)
	for _, code := range []int32{codePanic, codePanic + 100} {
		nc.Write(frameOf(t, request(code, 3, SerializeJSON)))
		if r := readCmd(t, nc); r.Code != CodeSystemError || r.Remark != "boom" || r.Opaque != 3 {
			t.Fatalf("got %+v", r)
		}
	}
}

type rejecting struct{ ProcessorFunc }

func (rejecting) RejectRequest() bool { return true }

func TestServerBusy(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	srv, addr := startServer(t, ServerConfig{Workers: 1, QueueLimit: 1}, func(s *Server) {
		s.Register(codeBlock, ProcessorFunc(func(ch Channel, req *Command) *Command {
			started <- struct{}{}
			<-release
			return NewResponse(req, CodeSuccess, "")
		}))
		s.Register(codeLater, rejecting{echo})
	})
	nc := dial(t, addr)
	nc.Write(frameOf(t, request(codeBlock, 1, SerializeJSON)))
	<-started // the only worker is now busy
	nc.Write(frameOf(t, request(codeBlock, 2, SerializeJSON)))
	for deadline := time.Now().Add(3 * time.Second); srv.queued.Load() < 1; { // 2 sits in the queue
		if time.Now().After(deadline) {
			t.Fatal("request 2 never queued")
		}
		time.Sleep(2 * time.Millisecond)
	}
	ow := request(codeBlock, 3, SerializeJSON)
	ow.MarkOneway() // overload: Java writes nothing for oneway requests
	nc.Write(append(frameOf(t, ow), frameOf(t, request(codeBlock, 4, SerializeRocketMQ))...))
	r := readCmd(t, nc)
	if r.Code != CodeSystemBusy || r.Remark != RemarkOverload || r.Opaque != 4 || r.Serialize != SerializeRocketMQ {
		t.Fatalf("got %+v", r)
	}
	// A processor that rejects is answered busy even for a oneway request.
	rj := request(codeLater, 5, SerializeJSON)
	rj.MarkOneway()
	nc.Write(frameOf(t, rj))
	if r := readCmd(t, nc); r.Code != CodeSystemBusy || r.Remark != RemarkRejectRequest || r.Opaque != 5 {
		t.Fatalf("got %+v", r)
	}
	close(release)
	for _, want := range []int32{1, 2} {
		if r := readCmd(t, nc); r.Opaque != want || r.Code != CodeSuccess {
			t.Fatalf("got %+v, want opaque %d", r, want)
		}
	}
}

// recorder is a ConnListener that logs events in order.
type recorder struct {
	mu     sync.Mutex
	events []string
	chans  []Channel
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 100)} }

func (r *recorder) add(kind string, ch Channel) {
	r.mu.Lock()
	r.events = append(r.events, kind)
	r.chans = append(r.chans, ch)
	r.mu.Unlock()
	r.notify <- struct{}{}
}
func (r *recorder) ch(i int) Channel {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.chans[i]
}

func (r *recorder) OnConnect(ch Channel) { r.add("connect", ch) }
func (r *recorder) OnClose(ch Channel)   { r.add("close", ch) }
func (r *recorder) OnIdle(ch Channel)    { r.add("idle", ch) }

func (r *recorder) wait(t testing.TB, n int) []string {
	t.Helper()
	deadline := time.After(3 * time.Second)
	for {
		r.mu.Lock()
		got := append([]string(nil), r.events...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("events %v, want %d", got, n)
		}
	}
}

func TestServerIdleClose(t *testing.T) {
	// Generous timings: the test must hold on a loaded 2-core machine.
	const idle = 500 * time.Millisecond
	rec := newRecorder()
	_, addr := startServer(t, ServerConfig{IdleTimeout: idle, Listener: rec}, nil)
	nc := dial(t, addr)
	busy := dial(t, addr)
	start := time.Now()
	// busy keeps talking; nc stays silent and must be closed.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := int32(1); ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			busy.Write(frameOf(t, request(codeInline, i, SerializeJSON)))
			_ = busy.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := ReadFrame(busy, 0); err != nil {
				t.Errorf("busy connection: %v", err)
				return
			}
		}
	}()
	expectClosed(t, nc)
	if el := time.Since(start); el < idle {
		t.Fatalf("closed after %v, before the idle timeout", el)
	}
	close(stop)
	wg.Wait()
	ev := rec.wait(t, 4)
	// For the silent connection: connect, idle, close, in that order; nothing else closed.
	var mine []string
	for i, kind := range ev {
		if rec.ch(i).RemoteAddr() == nc.LocalAddr().String() {
			mine = append(mine, kind)
		} else if kind != "connect" {
			t.Fatalf("busy connection got %q (events %v)", kind, ev)
		}
	}
	if strings.Join(mine, ",") != "connect,idle,close" {
		t.Fatalf("silent connection events %v (all %v)", mine, ev)
	}
}

func TestServerInvokeClient(t *testing.T) {
	const (
		codeNotify = 40 // NOTIFY_CONSUMER_IDS_CHANGED
		codeCheck  = 39 // CHECK_TRANSACTION_STATE
		codeInfo   = 307
	)
	rec := newRecorder()
	s, addr := startServer(t, ServerConfig{Listener: rec}, nil)

	cl := NewClient(ClientConfig{})
	defer cl.Close()
	notified := make(chan *Command, 1)
	cl.Handle(codeNotify, ProcessorFunc(func(ch Channel, req *Command) *Command {
		notified <- req
		return nil
	}))
	cl.Handle(codeInfo, ProcessorFunc(func(ch Channel, req *Command) *Command {
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = []byte(`{"info":1}`)
		return resp
	}))
	if _, err := cl.Invoke(addr, request(codeEcho, 0, SerializeJSON), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 1)
	ch := rec.ch(0)

	resp, err := s.Invoke(ch, NewRequest(codeInfo, ExtFields{{"consumerGroup", "G"}}, nil), 5*time.Second)
	if err != nil || resp.Code != CodeSuccess || string(resp.Body) != `{"info":1}` {
		t.Fatalf("invoke: %+v %v", resp, err)
	}
	// No handler on the client: Java's client answers 3.
	resp, err = s.Invoke(ch, NewRequest(codeCheck, nil, nil), 5*time.Second)
	if err != nil || resp.Code != CodeRequestCodeNotSupported {
		t.Fatalf("invoke unknown: %+v %v", resp, err)
	}
	if err := s.InvokeOneway(ch, NewRequest(codeNotify, ExtFields{{"consumerGroup", "G"}}, nil)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-notified:
		if !r.IsOneway() || r.ExtFields.Value("consumerGroup") != "G" {
			t.Fatalf("notify %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("notify not received")
	}
	done := make(chan error, 1)
	s.InvokeAsync(ch, NewRequest(codeInfo, nil, nil), 5*time.Second, func(r *Command, err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A call waiting on a client that goes away fails at once with ErrConnClosed.
	cl.Handle(codeBlock, ProcessorFunc(func(ch Channel, req *Command) *Command { return nil }))
	errc := make(chan error, 1)
	go func() {
		_, err := s.Invoke(ch, NewRequest(codeBlock, nil, nil), 10*time.Second)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cl.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrConnClosed) {
			t.Fatalf("err = %v, want ErrConnClosed", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("invoke not failed by the close")
	}
	if _, err := s.Invoke(ch, NewRequest(codeInfo, nil, nil), time.Second); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("invoke on closed channel: %v", err)
	}
}

func TestServerInvokeTimeout(t *testing.T) {
	rec := newRecorder()
	s, addr := startServer(t, ServerConfig{Listener: rec}, nil)
	nc := dial(t, addr) // a peer that never answers
	rec.wait(t, 1)
	start := time.Now()
	_, err := s.Invoke(rec.ch(0), NewRequest(307, nil, nil), 100*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	// The request did reach the peer.
	r := readCmd(t, nc)
	if r.Code != 307 || r.IsResponse() {
		t.Fatalf("peer got %+v", r)
	}
	if _, err := s.Invoke(foreignChannel{}, NewRequest(307, nil, nil), time.Second); !errors.Is(err, ErrNotOurs) {
		t.Fatalf("foreign channel: %v", err)
	}
}

func TestSharedRouter(t *testing.T) {
	r := NewRouter()
	r.Register(codeEcho, echo)
	var servers []*Server
	for i := 0; i < 2; i++ {
		s := NewServerShared(ServerConfig{Addr: "127.0.0.1:0"}, r)
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	// Registered after start, seen by both.
	r.RegisterInline(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
		return NewResponse(req, 7, ch.LocalAddr())
	}))
	for _, s := range servers {
		nc := dial(t, s.Addr().String())
		nc.Write(frameOf(t, request(codeLater, 1, SerializeJSON)))
		if resp := readCmd(t, nc); resp.Code != 7 || resp.Remark != s.Addr().String() {
			t.Fatalf("got %+v from %s", resp, s.Addr())
		}
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServerStartErrors(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, nil)
	s := NewServer(ServerConfig{Addr: addr})
	if err := s.Start(); err == nil {
		s.Shutdown(context.Background())
		t.Fatal("second server on the same port started")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestServerShutdownClosesConns(t *testing.T) {
	rec := newRecorder()
	s := NewServer(ServerConfig{Addr: "127.0.0.1:0", Listener: rec})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	nc := dial(t, s.Addr().String())
	rec.wait(t, 1)
	if n := len(s.Conns()); n != 1 {
		t.Fatalf("%d conns", n)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, nc)
	if ev := rec.wait(t, 2); ev[1] != "close" {
		t.Fatalf("events %v", ev)
	}
}

// TestServerRandomChunks: frames of every size (up to 200 KiB, beyond gnet's 64 KiB read
// buffer) sent in random pieces all come back whole.
func TestServerRandomChunks(t *testing.T) {
	_, addr := startServer(t, ServerConfig{}, nil)
	nc := dial(t, addr)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 120
	var data []byte
	bodies := map[int32][]byte{}
	for i := int32(1); i <= n; i++ {
		size := rng.IntN(2048)
		if i%10 == 0 {
			size = rng.IntN(200 << 10)
		}
		body := make([]byte, size)
		for j := range body {
			body[j] = byte(rng.Uint32())
		}
		bodies[i] = body
		req := NewRequest(codeEcho+int32(i%2), ExtFields{{"i", fmt.Sprint(i)}}, body)
		req.Opaque, req.Serialize = i, SerializeType(i%2)
		data = append(data, frameOf(t, req)...)
	}
	go func() {
		for len(data) > 0 {
			k := min(len(data), 1+rng.IntN(3000))
			if _, err := nc.Write(data[:k]); err != nil {
				return
			}
			data = data[k:]
			if rng.IntN(8) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for i := 0; i < n; i++ {
		r := readCmd(t, nc)
		if want := bodies[r.Opaque]; want == nil || !bytes.Equal(r.Body, want) || r.ExtFields.Value("i") != fmt.Sprint(r.Opaque) {
			t.Fatalf("response %d: opaque %d, %d body bytes", i, r.Opaque, len(r.Body))
		}
		delete(bodies, r.Opaque)
	}
}

// TestChannelConcurrentWrites: many goroutines writing on one channel never interleave bytes.
func TestChannelConcurrentWrites(t *testing.T) {
	const writers, each = 8, 100
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterInline(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
			for w := 0; w < writers; w++ {
				go func(w int) {
					for k := 0; k < each; k++ {
						resp := NewResponse(req, CodeSuccess, "")
						resp.Opaque = int32(w*each + k)
						resp.Body = bytes.Repeat([]byte{byte(w)}, 100+k)
						if err := ch.Write(resp); err != nil {
							t.Error(err)
							return
						}
					}
				}(w)
			}
			return nil
		}))
	})
	nc := dial(t, addr)
	nc.Write(frameOf(t, request(codeLater, 0, SerializeRocketMQ)))
	seen := map[int32]bool{}
	for i := 0; i < writers*each; i++ {
		r := readCmd(t, nc)
		w, k := int(r.Opaque)/each, int(r.Opaque)%each
		if seen[r.Opaque] || !bytes.Equal(r.Body, bytes.Repeat([]byte{byte(w)}, 100+k)) {
			t.Fatalf("frame %d: opaque %d corrupt or repeated", i, r.Opaque)
		}
		seen[r.Opaque] = true
	}
}

// TestServerPoolNoLostWakeups drives the worker pool with many pipelined requests on several
// connections: every request is answered (a lost flush or hand-off would hang here).
func TestServerPoolNoLostWakeups(t *testing.T) {
	_, addr := startServer(t, ServerConfig{Workers: 3, Multicore: true}, nil)
	const conns, perConn = 8, 2000
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		nc := dial(t, addr)
		wg.Add(2)
		go func() {
			defer wg.Done()
			var buf []byte
			for k := 1; k <= perConn; k++ {
				buf, _ = AppendFrame(buf, request(codeEcho, int32(k), SerializeType(k%2)))
				if k%37 == 0 || k == perConn {
					if _, err := nc.Write(buf); err != nil {
						t.Error(err)
						return
					}
					buf = buf[:0]
				}
			}
		}()
		go func() {
			defer wg.Done()
			_ = nc.SetReadDeadline(time.Now().Add(20 * time.Second))
			seen := make([]bool, perConn+1)
			for k := 0; k < perConn; k++ {
				frame, err := ReadFrame(nc, 0)
				if err != nil {
					t.Errorf("after %d answers: %v", k, err)
					return
				}
				c, err := Decode(frame)
				if err != nil || c.Opaque < 1 || c.Opaque > perConn || seen[c.Opaque] {
					t.Errorf("bad answer %+v %v", c, err)
					return
				}
				seen[c.Opaque] = true
			}
		}()
	}
	wg.Wait()
}

type foreignChannel struct{ Channel }

// TestInvokeThroughSharedRouter: a processor shared by two Servers (listen port and VIP port)
// may call back the client of either through any of them.
func TestInvokeThroughSharedRouter(t *testing.T) {
	r := NewRouter()
	chans := make(chan Channel, 1)
	r.RegisterInline(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
		chans <- ch
		return NewResponse(req, CodeSuccess, "")
	}))
	var servers []*Server
	for i := 0; i < 2; i++ {
		s := NewServerShared(ServerConfig{Addr: "127.0.0.1:0"}, r)
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		defer s.Shutdown(context.Background())
		servers = append(servers, s)
	}
	nc := dial(t, servers[1].Addr().String())
	nc.Write(frameOf(t, request(codeLater, 1, SerializeJSON)))
	readCmd(t, nc)
	ch := <-chans
	got := make(chan *Command, 1)
	if err := servers[0].InvokeAsync(ch, NewRequest(307, nil, nil), 3*time.Second, func(r *Command, err error) {
		if err != nil {
			t.Error(err)
		}
		got <- r
	}); err != nil {
		t.Fatal(err)
	}
	req := readCmd(t, nc)
	resp := NewResponse(req, CodeSuccess, "from client")
	nc.Write(frameOf(t, resp))
	if r := <-got; r == nil || r.Remark != "from client" {
		t.Fatalf("got %+v", r)
	}
}

func TestChannelContext(t *testing.T) {
	rec := newRecorder()
	_, addr := startServer(t, ServerConfig{Listener: rec}, func(s *Server) {
		s.RegisterInline(codeLater, ProcessorFunc(func(ch Channel, req *Command) *Command {
			n, _ := ch.Context().(int)
			ch.SetContext(n + 1)
			resp := NewResponse(req, CodeSuccess, fmt.Sprint(n+1))
			return resp
		}))
	})
	nc := dial(t, addr)
	for want := 1; want <= 3; want++ {
		nc.Write(frameOf(t, request(codeLater, int32(want), SerializeJSON)))
		if r := readCmd(t, nc); r.Remark != fmt.Sprint(want) {
			t.Fatalf("context count %q, want %d", r.Remark, want)
		}
	}
	rec.wait(t, 1)
	ch := rec.ch(0)
	if ch.ID() == 0 || ch.RemoteAddr() != nc.LocalAddr().String() || ch.LocalAddr() != addr || ch.Context() != 3 {
		t.Fatalf("channel %d %s %s %v", ch.ID(), ch.RemoteAddr(), ch.LocalAddr(), ch.Context())
	}
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, nc)
	rec.wait(t, 2)
	if err := ch.Write(NewRequest(1, nil, nil)); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

// TestServerClosesPeerThatDoesNotRead: answers piling up for a peer that never reads are
// bounded by MaxOutbound.
func TestServerClosesPeerThatDoesNotRead(t *testing.T) {
	logHook.Reset()
	_, addr := startServer(t, ServerConfig{MaxOutbound: 1 << 20}, nil)
	nc := dial(t, addr)
	_ = nc.(*net.TCPConn).SetReadBuffer(64 << 10)
	frame := frameOf(t, NewRequest(codeInline, nil, make([]byte, 256<<10)))
	deadline := time.Now().Add(10 * time.Second)
	for !hasLog(nc.LocalAddr().String(), "does not read") {
		if time.Now().After(deadline) {
			t.Fatal("server kept buffering for a peer that does not read")
		}
		_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := nc.Write(frame); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				break // closed by the server
			}
		}
	}
	deadline = time.Now().Add(10 * time.Second)
	for !hasLog(nc.LocalAddr().String(), "does not read") {
		if time.Now().After(deadline) {
			t.Fatalf("no log line: %v", logHook.AllEntries())
		}
		time.Sleep(10 * time.Millisecond)
	}
	expectClosed(t, nc)
}

// TestServerRemoteAddrPort: a server channel's parsed remote address is the peer's address,
// the same one RemoteAddr spells.
func TestServerRemoteAddrPort(t *testing.T) {
	got := make(chan [2]string, 1)
	_, addr := startServer(t, ServerConfig{}, func(s *Server) {
		s.RegisterInline(4343, ProcessorFunc(func(ch Channel, req *Command) *Command {
			ap := ch.(AddrPortChannel).RemoteAddrPort()
			got <- [2]string{ap.String(), ch.RemoteAddr()}
			return NewResponse(req, CodeSuccess, "")
		}))
	})
	nc := dial(t, addr)
	if _, err := nc.Write(frameOf(t, request(4343, 1, SerializeJSON))); err != nil {
		t.Fatal(err)
	}
	readCmd(t, nc)
	g := <-got
	if want := nc.LocalAddr().String(); g[0] != want || g[1] != want {
		t.Fatalf("RemoteAddrPort %s, RemoteAddr %s; the client is %s", g[0], g[1], want)
	}
}
