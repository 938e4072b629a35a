package remoting

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/valyala/bytebufferpool"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// ConnectTimeout bounds dialing (Java's com.rocketmq.remoting.client.connect.timeout,
	// default 3 s).
	ConnectTimeout time.Duration
	// ConnsPerAddr is how many connections to keep per address (default 1); calls are spread
	// over them round-robin.
	ConnsPerAddr int
	// MaxFrameSize bounds 4+L of incoming frames; 0 means DefaultMaxFrameSize.
	MaxFrameSize int
	// Name tags the log lines.
	Name string
}

// Client calls remoting servers (NameServers, brokers) over pooled connections. It is not
// the hot path of the system, so it uses plain net.Conn: per connection one goroutine reads
// frames and one writes whatever calls have queued since its last write (one syscall for a
// burst of concurrent calls). Requests a server sends to us (NOTIFY_CONSUMER_IDS_CHANGED,
// CHECK_TRANSACTION_STATE) go to the processors registered with Handle, each on a goroutine
// of its own. All methods are safe for concurrent use.
type Client struct {
	cfg     ClientConfig
	log     *logrus.Entry
	router  *Router
	pending *pendingTable

	mu     sync.Mutex // guards pools, closed
	pools  map[string]*addrPool
	closed bool
	wg     sync.WaitGroup // reader and writer goroutines
}

type addrPool struct {
	mu    sync.Mutex // serializes dialing for one address
	conns []*clientConn
	next  int
}

// NewClient makes a Client; connections are dialed on first use.
func NewClient(cfg ClientConfig) *Client {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 3 * time.Second
	}
	if cfg.ConnsPerAddr <= 0 {
		cfg.ConnsPerAddr = 1
	}
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	if cfg.Name == "" {
		cfg.Name = "client"
	}
	return &Client{
		cfg:     cfg,
		log:     logrus.WithField("client", cfg.Name),
		router:  NewRouter(),
		pending: newPendingTable(),
		pools:   map[string]*addrPool{},
	}
}

// Handle sets the processor for requests servers send on our connections. Without one, a
// request is answered REQUEST_CODE_NOT_SUPPORTED like Java's client does.
func (cl *Client) Handle(code int32, p Processor) { cl.router.Register(code, p) }

// Invoke sends req to addr and waits up to timeout (connecting included) for the response.
// It sets req's opaque.
func (cl *Client) Invoke(addr string, req *Command, timeout time.Duration) (*Command, error) {
	deadline := time.Now().Add(timeout)
	cc, err := cl.conn(addr, deadline)
	if err != nil {
		return nil, err
	}
	if req.IsResponse() {
		return nil, ErrNotResponse
	}
	req.Opaque = nextOpaque()
	c := &call{connID: cc.id, opaque: req.Opaque, done: make(chan struct{})}
	cl.pending.add(c, 0, addr)
	if err := cc.Write(req); err != nil {
		cl.pending.take(c.opaque)
		return nil, err
	}
	return cl.pending.wait(c, time.Until(deadline), addr)
}

// InvokeAsync sends req and calls cb exactly once, on a goroutine of its own, with the
// response or an error (ErrTimeout, ErrConnClosed...). An error returned here means cb will
// not be called.
func (cl *Client) InvokeAsync(addr string, req *Command, timeout time.Duration, cb func(*Command, error)) error {
	deadline := time.Now().Add(timeout)
	cc, err := cl.conn(addr, deadline)
	if err != nil {
		return err
	}
	if req.IsResponse() {
		return ErrNotResponse
	}
	req.Opaque = nextOpaque()
	c := &call{connID: cc.id, opaque: req.Opaque, cb: cb}
	cl.pending.add(c, time.Until(deadline), addr)
	if err := cc.Write(req); err != nil {
		if cl.pending.take(c.opaque) != nil {
			c.timer.Stop()
		}
		return err
	}
	return nil
}

// InvokeOneway sends req marked oneway; the server writes no answer.
func (cl *Client) InvokeOneway(addr string, req *Command) error {
	cc, err := cl.conn(addr, time.Now().Add(cl.cfg.ConnectTimeout))
	if err != nil {
		return err
	}
	req.Opaque = nextOpaque()
	req.MarkOneway()
	return cc.Write(req)
}

// CloseAddr closes the connections to addr; calls waiting on them fail with ErrConnClosed.
// The next call dials again.
func (cl *Client) CloseAddr(addr string) {
	cl.mu.Lock()
	p := cl.pools[addr]
	delete(cl.pools, addr)
	cl.mu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, cc := range conns {
		if cc != nil {
			cc.closeWith(errors.New("closed by CloseAddr"))
		}
	}
}

// Close closes every connection, fails every waiting call and waits for the client's
// goroutines to end.
func (cl *Client) Close() error {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return nil
	}
	cl.closed = true
	addrs := make([]string, 0, len(cl.pools))
	for a := range cl.pools {
		addrs = append(addrs, a)
	}
	cl.mu.Unlock()
	for _, a := range addrs {
		cl.CloseAddr(a)
	}
	cl.pending.failConn(0, fmt.Errorf("%w: client closed", ErrClosed))
	cl.wg.Wait()
	return nil
}

// conn returns a live connection to addr, dialing one if needed.
func (cl *Client) conn(addr string, deadline time.Time) (*clientConn, error) {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return nil, ErrClosed
	}
	p := cl.pools[addr]
	if p == nil {
		p = &addrPool{conns: make([]*clientConn, cl.cfg.ConnsPerAddr)}
		cl.pools[addr] = p
	}
	cl.mu.Unlock()

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return nil, fmt.Errorf("%w: %s", ErrConnClosed, addr) // CloseAddr raced with us
	}
	i := p.next % len(p.conns)
	p.next++
	if cc := p.conns[i]; cc != nil && !cc.isClosed() {
		return cc, nil
	}
	timeout := cl.cfg.ConnectTimeout
	if left := time.Until(deadline); left < timeout {
		timeout = left
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("%w: %s: no time left to connect", ErrTimeout, addr)
	}
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrConnect, addr, err)
	}
	cc, err := cl.newConn(nc, addr, p)
	if err != nil {
		return nil, err
	}
	p.conns[i] = cc
	return cc, nil
}

func (cl *Client) newConn(nc net.Conn, addr string, p *addrPool) (*clientConn, error) {
	cc := &clientConn{cl: cl, nc: nc, id: channelSeq.Add(1), remote: addr, local: nc.LocalAddr().String(),
		pool: p, wake: make(chan struct{}, 1), done: make(chan struct{})}
	cl.mu.Lock()
	closed := cl.closed
	if !closed {
		cl.wg.Add(2)
	}
	cl.mu.Unlock()
	if closed {
		_ = nc.Close()
		return nil, ErrClosed
	}
	go cc.readLoop()
	go cc.writeLoop()
	return cc, nil
}

// clientConn is one outgoing connection; it is the Channel handlers of server requests see.
type clientConn struct {
	cl            *Client
	nc            net.Conn
	id            uint64
	remote, local string
	pool          *addrPool
	wake          chan struct{} // a write is queued
	done          chan struct{} // closed with the connection

	mu     sync.Mutex // guards out, closed
	out    *bytebufferpool.ByteBuffer
	closed bool

	ctxMu sync.Mutex
	ctx   any
}

func (cc *clientConn) ID() uint64         { return cc.id }
func (cc *clientConn) RemoteAddr() string { return cc.remote }
func (cc *clientConn) LocalAddr() string  { return cc.local }
func (cc *clientConn) Close() error       { cc.closeWith(errors.New("closed locally")); return nil }

func (cc *clientConn) Context() any {
	cc.ctxMu.Lock()
	defer cc.ctxMu.Unlock()
	return cc.ctx
}

func (cc *clientConn) SetContext(v any) {
	cc.ctxMu.Lock()
	cc.ctx = v
	cc.ctxMu.Unlock()
}

func (cc *clientConn) isClosed() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.closed
}

// Write queues cmd for the writer goroutine.
func (cc *clientConn) Write(cmd *Command) error {
	cc.mu.Lock()
	if cc.closed {
		cc.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrConnClosed, cc.remote)
	}
	if cc.out == nil {
		cc.out = outPool.Get()
	}
	b, err := AppendFrame(cc.out.B, cmd)
	cc.out.B = b
	cc.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case cc.wake <- struct{}{}:
	default: // the writer is already due to run
	}
	return nil
}

func (cc *clientConn) writeLoop() {
	defer cc.cl.wg.Done()
	for {
		select {
		case <-cc.done:
			return
		case <-cc.wake:
		}
		cc.mu.Lock()
		buf := cc.out
		cc.out = nil
		cc.mu.Unlock()
		if buf == nil {
			continue
		}
		_, err := cc.nc.Write(buf.B)
		outPool.Put(buf)
		if err != nil {
			cc.closeWith(err)
			return
		}
	}
}

func (cc *clientConn) readLoop() {
	defer cc.cl.wg.Done()
	br := bufio.NewReaderSize(cc.nc, 64<<10)
	for {
		// One allocation per frame: the Command and the frame it aliases (framebox.go). The
		// box is never recycled here: the waiting call or the handler keeps the command.
		cmd, frame, err := readFrame(br, cc.cl.cfg.MaxFrameSize, newFrameCommand)
		if err != nil {
			cc.closeWith(err)
			return
		}
		if err := DecodeFrame(frame, cmd, 0); err != nil {
			cc.cl.log.WithError(err).WithField("remote", cc.remote).Warn("bad frame, closing connection")
			cc.closeWith(err)
			return
		}
		if cmd.IsResponse() {
			if c := cc.cl.pending.take(cmd.Opaque); c != nil {
				c.complete(cmd, nil)
			} else {
				cc.cl.log.WithFields(logrus.Fields{"remote": cc.remote, "opaque": cmd.Opaque}).
					Debug("response without a waiting call (timed out?)")
			}
			continue
		}
		go cc.serve(cmd)
	}
}

// serve answers a request the server sent us.
func (cc *clientConn) serve(req *Command) {
	var resp *Command
	if rt, ok := cc.cl.router.lookup(req.Code); ok {
		func() {
			defer func() {
				if r := recover(); r != nil {
					cc.cl.log.WithFields(logrus.Fields{"remote": cc.remote, "code": req.Code, "panic": r}).
						Error("handler panicked\n" + string(debug.Stack()))
					resp = NewResponse(req, CodeSystemError, fmt.Sprint(r))
				}
			}()
			resp = rt.p.Process(cc, req)
		}()
		if req.IsOneway() {
			return
		}
	} else {
		resp = NewResponse(req, CodeRequestCodeNotSupported, notSupportedRemark(req.Code))
	}
	if resp == nil {
		return
	}
	prepareResponse(req, resp)
	if err := cc.Write(resp); err != nil {
		cc.cl.log.WithError(err).WithField("remote", cc.remote).Debug("answer to server request not sent")
	}
}

// closeWith closes the connection once, fails the calls waiting on it and drops it from its
// pool.
func (cc *clientConn) closeWith(cause error) {
	cc.mu.Lock()
	if cc.closed {
		cc.mu.Unlock()
		return
	}
	cc.closed = true
	if cc.out != nil {
		outPool.Put(cc.out)
		cc.out = nil
	}
	cc.mu.Unlock()
	_ = cc.nc.Close()
	close(cc.done)
	cc.cl.pending.failConn(cc.id, fmt.Errorf("%w: %s: %v", ErrConnClosed, cc.remote, cause))
	if p := cc.pool; p != nil {
		p.mu.Lock()
		for i, x := range p.conns {
			if x == cc {
				p.conns[i] = nil
			}
		}
		p.mu.Unlock()
	}
	cc.cl.log.WithError(cause).WithField("remote", cc.remote).Debug("connection closed")
}
