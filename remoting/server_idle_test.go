package remoting

import (
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// idleProbe is a pool processor that may run inline while the server is idle: it records, per
// opaque, whether it ran on a worker, and holds the request with opaque holdOpaque inside the
// pool until hold is closed.
type idleProbe struct {
	allow  bool // what InlineWhenIdle answers (always no for holdOpaque)
	mu     sync.Mutex
	onPool map[int32]bool
	held   chan struct{} // closed once holdOpaque is being processed
	hold   chan struct{}
}

const (
	codeIdle   = 4242
	holdOpaque = 1000
)

func (p *idleProbe) InlineWhenIdle(req *Command) bool { return p.allow && req.Opaque != holdOpaque }

func (p *idleProbe) Process(ch Channel, req *Command) *Command {
	buf := make([]byte, 8<<10)
	onPool := strings.Contains(string(buf[:runtime.Stack(buf, false)]), "(*Server).worker")
	p.mu.Lock()
	p.onPool[req.Opaque] = onPool
	p.mu.Unlock()
	if req.Opaque == holdOpaque {
		close(p.held)
		<-p.hold
	}
	return NewResponse(req, CodeSuccess, "")
}

func (p *idleProbe) ranOnPool(t *testing.T, op int32) bool {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	on, ok := p.onPool[op]
	if !ok {
		t.Fatalf("request %d not processed", op)
	}
	return on
}

func startIdleProbe(t *testing.T, allow bool) (*idleProbe, net.Conn) {
	t.Helper()
	p := &idleProbe{allow: allow, onPool: map[int32]bool{}, held: make(chan struct{}), hold: make(chan struct{})}
	_, addr := startServer(t, ServerConfig{Multicore: true}, func(s *Server) { s.Register(codeIdle, p) })
	return p, dial(t, addr)
}

// callIdle writes one request and reads its answer.
func callIdle(t *testing.T, nc net.Conn, opaque int32) {
	t.Helper()
	if _, err := nc.Write(frameOf(t, request(codeIdle, opaque, SerializeJSON))); err != nil {
		t.Fatal(err)
	}
	if r := readCmd(t, nc); r.Opaque != opaque || r.Code != CodeSuccess {
		t.Fatalf("answer %+v for opaque %d", r, opaque)
	}
}

// TestServerIdleInline: an IdleInliner's request runs on the event loop only when it is alone
// in its read, the pool holds nothing and the processor agrees; otherwise on the pool.
func TestServerIdleInline(t *testing.T) {
	t.Run("alone and idle: on the loop", func(t *testing.T) {
		p, nc := startIdleProbe(t, true)
		for op := int32(1); op <= 5; op++ {
			callIdle(t, nc, op)
			if p.ranOnPool(t, op) {
				t.Fatalf("request %d ran on the pool while the server was idle", op)
			}
		}
	})
	t.Run("processor says no: on the pool", func(t *testing.T) {
		p, nc := startIdleProbe(t, false)
		for op := int32(1); op <= 5; op++ {
			callIdle(t, nc, op)
			if !p.ranOnPool(t, op) {
				t.Fatalf("request %d ran on the loop although InlineWhenIdle said no", op)
			}
		}
	})
	t.Run("pool busy: on the pool, behind what it holds", func(t *testing.T) {
		p, nc := startIdleProbe(t, true)
		if _, err := nc.Write(frameOf(t, request(codeIdle, holdOpaque, SerializeJSON))); err != nil {
			t.Fatal(err)
		}
		<-p.held
		// A second connection: its lone request must not run beside the held one on the loop.
		other := dial(t, nc.RemoteAddr().String())
		if _, err := other.Write(frameOf(t, request(codeIdle, 7, SerializeJSON))); err != nil {
			t.Fatal(err)
		}
		if r := readCmd(t, other); r.Opaque != 7 {
			t.Fatalf("answer %+v", r)
		}
		if !p.ranOnPool(t, 7) {
			t.Fatal("a request ran on the loop while the pool held another")
		}
		close(p.hold)
		if r := readCmd(t, nc); r.Opaque != holdOpaque {
			t.Fatalf("answer %+v", r)
		}
	})
	t.Run("many in one read: on the pool", func(t *testing.T) {
		p, nc := startIdleProbe(t, true)
		const n = 64
		var data []byte
		for op := int32(1); op <= n; op++ {
			data = append(data, frameOf(t, request(codeIdle, op, SerializeJSON))...)
		}
		if _, err := nc.Write(data); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			readCmd(t, nc)
		}
		// The first frame of a read that holds more is never inlined, whatever the split.
		if !p.ranOnPool(t, 1) {
			t.Fatal("the first of 64 pipelined requests ran on the loop")
		}
		pooled := 0
		for op := int32(1); op <= n; op++ {
			if p.ranOnPool(t, op) {
				pooled++
			}
		}
		if pooled < n/2 {
			t.Fatalf("only %d of %d pipelined requests ran on the pool", pooled, n)
		}
	})
}
