package remoting

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/sirupsen/logrus"
)

// ServerConfig configures one listening port.
type ServerConfig struct {
	// Addr is host:port to listen on; port 0 picks a free port (see Server.Addr).
	Addr string
	// Multicore runs several event loops: half as many as GOMAXPROCS, at least one
	// (NumEventLoop, when set, overrides the count).
	//
	// Why not one per CPU: a gnet loop is a goroutine that waits in epoll_wait as a plain
	// system call and, under load, runs without parking; loops that hold every P leave none
	// for the rest of the process (workers, the Go network poller that wakes client and HA
	// connections, timers), which then run only when a loop sleeps, is preempted (10 ms) or
	// the runtime's monitor steps in. Half the Ps keep the others free; one loop still
	// decodes several hundred thousand SEND-sized frames a second (about 1 µs each), and a
	// single connection is served by one loop anyway. Raising GOMAXPROCS by the number of
	// loops instead was measured too: it costs 30-60 % more CPU per request at one request
	// in flight (more spinning threads). The figures are in docs/BENCHMARKS.md ("Event
	// loops and GOMAXPROCS").
	Multicore    bool
	NumEventLoop int
	// MaxFrameSize bounds 4+L of incoming frames; 0 means DefaultMaxFrameSize.
	MaxFrameSize int
	// IdleTimeout closes connections with neither a read nor a write for that long, telling
	// the listener OnIdle first (Java's serverChannelMaxIdleTimeSeconds). 0 means 120 s,
	// negative disables.
	IdleTimeout time.Duration
	// Workers is the number of goroutines running pooled processors (default 64) and
	// QueueLimit the number of requests that may wait for one (default 10000); beyond that
	// requests are answered SYSTEM_BUSY.
	Workers    int
	QueueLimit int
	// Listener hears connect/close/idle events, in order, on a goroutine of its own (as Java's
	// NettyEventExecutor); at most EventQueue (default 10000) events wait, later ones are
	// dropped with a warning.
	Listener   ConnListener
	EventQueue int
	// MaxOutbound bounds the bytes waiting to be sent to one peer (default 64 MiB). A peer that
	// keeps sending requests but does not read its answers is closed when it is exceeded,
	// instead of growing the server's memory without end.
	MaxOutbound int
	// Name tags the log lines ("namesrv", "broker", "broker-vip").
	Name string
}

func (cfg *ServerConfig) setDefaults() {
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 120 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = 10000
	}
	if cfg.EventQueue <= 0 {
		cfg.EventQueue = 10000
	}
	if cfg.MaxOutbound <= 0 {
		cfg.MaxOutbound = 64 << 20
	}
	if cfg.Name == "" {
		cfg.Name = "remoting"
	}
}

// Server serves the remoting protocol on one port with gnet event loops. Requests go to the
// processors of its Router; the embedded Router's Register, RegisterInline and SetDefault are
// the way to add them.
//
// Life of a request: the event loop copies the frame once into a buffer of its own (the
// command's strings and body alias it), decodes the header and either runs an inline
// processor or queues the request for the worker pool. A response, returned by the processor
// or written later through Channel.Write from any goroutine, is appended to the connection's
// pending output. The event loop flushes what it produced itself; a worker (or any other
// goroutine) writes to the socket directly while gnet has nothing of ours unsent, and hands
// over to the loop otherwise (serverConn.writeDirectLocked). Either way one write syscall
// carries every response ready at that moment, and a worker pushes its task's answers once.
type Server struct {
	*Router
	cfg     ServerConfig
	log     *logrus.Entry
	tasks   chan task
	workers sync.WaitGroup
	pending *pendingTable

	mu      sync.Mutex // guards conns, eng, started, stopped
	conns   map[uint64]*serverConn
	eng     gnet.Engine
	addr    net.Addr
	started bool
	stopped bool
	runErr  chan error

	events   chan connEvent
	eventsWG sync.WaitGroup

	lastBusyLog    atomic.Int64 // unix second of the last "pool full" line
	lastUnknownLog atomic.Int64 // unix second of the last "code not supported" line
	queued         atomic.Int64 // requests handed to the pool and not yet started
	active         atomic.Int64 // requests handed to the pool and not yet finished (IdleInliner)
}

// task is work for the pool: the pooled requests one read brought from one connection (at
// most maxBatch), run in order by one worker. Batching turns a burst of pipelined requests
// into one channel hand-off and one worker wake-up, and lets their responses leave in one
// flush; Java's send pool (one thread by default) is sequential too.
type task struct {
	c     *serverConn
	items *[]taskItem // from itemsPool, given back by the worker
}

// itemsPool recycles the item slices of tasks: one fewer allocation per hand-off.
var itemsPool = sync.Pool{New: func() any { s := make([]taskItem, 0, maxBatch); return &s }}

func putItems(p *[]taskItem) {
	clear(*p)
	*p = (*p)[:0]
	itemsPool.Put(p)
}

type taskItem struct {
	cmd       *Command
	p         Processor
	transient bool
}

// maxBatch bounds a task so that a large burst still spreads over several workers.
const maxBatch = 16

type connEventKind uint8

const (
	evConnect connEventKind = iota
	evClose
	evIdle
)

type connEvent struct {
	kind connEventKind
	ch   Channel
}

// NewServer makes a Server with a Router of its own.
func NewServer(cfg ServerConfig) *Server { return NewServerShared(cfg, NewRouter()) }

// NewServerShared makes a Server dispatching through r, which other Servers may share.
func NewServerShared(cfg ServerConfig, r *Router) *Server {
	cfg.setDefaults()
	s := &Server{
		Router:  r,
		cfg:     cfg,
		log:     logrus.WithField("server", cfg.Name),
		tasks:   make(chan task, cfg.QueueLimit),
		pending: newPendingTable(),
		conns:   map[uint64]*serverConn{},
		runErr:  make(chan error, 1),
		events:  make(chan connEvent, cfg.EventQueue),
	}
	return s
}

// Start listens and returns once the server accepts connections.
func (s *Server) Start() error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("remoting: server already started")
	}
	s.started = true
	s.mu.Unlock()

	for i := 0; i < s.cfg.Workers; i++ {
		s.workers.Add(1)
		go s.worker()
	}
	s.eventsWG.Add(1)
	go s.dispatchEvents()

	h := &serverHandler{s: s, booted: make(chan struct{})}
	loops := s.cfg.NumEventLoop
	if loops <= 0 && s.cfg.Multicore {
		loops = max(1, runtime.GOMAXPROCS(0)/2)
	}
	opts := []gnet.Option{
		gnet.WithMulticore(s.cfg.Multicore),
		gnet.WithNumEventLoop(loops),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithReuseAddr(true),
		gnet.WithTicker(s.cfg.IdleTimeout > 0),
		gnet.WithLogger(logrus.WithField("component", "gnet")),
	}
	go func() { s.runErr <- gnet.Run(h, "tcp://"+s.cfg.Addr, opts...) }()
	select {
	case <-h.booted:
		s.log.WithField("addr", s.Addr()).Info("remoting server listening")
		return nil
	case err := <-s.runErr:
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
		s.stopHelpers()
		return fmt.Errorf("remoting: listen %s: %w", s.cfg.Addr, err)
	}
}

// Addr is the bound address (with the real port when Addr asked for port 0); nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Shutdown closes the listener and every connection, fails calls waiting on clients, then
// waits (bounded by ctx) for running processors and the listener's events to finish.
func (s *Server) Shutdown(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s.mu.Lock()
	if !s.started || s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	eng := s.eng
	s.mu.Unlock()

	// Engine.Stop polls for the end every 500 ms; gnet.Run returning is the same event, seen
	// at once. Stop is cancelled as soon as Run has returned.
	stopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- eng.Stop(stopCtx) }()
	var err error
	select {
	case err = <-s.runErr:
		cancel()
		<-stopped
	case err = <-stopped:
		if err != nil {
			// Loops may still be running and feeding the workers: leave them be.
			return fmt.Errorf("remoting: stopping %s: %w", s.cfg.Name, err)
		}
		err = <-s.runErr
	}
	s.pending.failConn(0, fmt.Errorf("%w: server shut down", ErrClosed))
	s.stopHelpers()
	done := make(chan struct{})
	go func() { s.workers.Wait(); s.eventsWG.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

// stopHelpers ends the workers and the event goroutine once no loop can feed them.
func (s *Server) stopHelpers() {
	close(s.tasks)
	close(s.events)
}

// Conns returns the open connections.
func (s *Server) Conns() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Invoke sends req to the peer of ch and waits for its answer (GET_CONSUMER_RUNNING_INFO,
// CONSUME_MESSAGE_DIRECTLY). ch may be any channel of this package: a connection of this
// Server, of another Server sharing its Router (the VIP port), or of a Client. It sets req's
// opaque. Never call it from an inline processor: the answer is read by the very event loop
// the call would block.
func (s *Server) Invoke(ch Channel, req *Command, timeout time.Duration) (*Command, error) {
	c, err := invokable(ch, req)
	if err != nil {
		return nil, err
	}
	pt, id, peer := c.callTarget()
	cl := &call{connID: id, opaque: req.Opaque, done: make(chan struct{})}
	pt.add(cl, timeout, peer)
	if err := c.Write(req); err != nil {
		pt.take(cl.opaque)
		return nil, err
	}
	return pt.wait(cl, timeout, peer)
}

// InvokeAsync is Invoke with a callback, run on a goroutine of its own, exactly once. An
// error returned here means cb will not be called.
func (s *Server) InvokeAsync(ch Channel, req *Command, timeout time.Duration, cb func(*Command, error)) error {
	c, err := invokable(ch, req)
	if err != nil {
		return err
	}
	pt, id, peer := c.callTarget()
	cl := &call{connID: id, opaque: req.Opaque, cb: cb}
	pt.add(cl, timeout, peer)
	if err := c.Write(req); err != nil {
		if pt.take(cl.opaque) != nil {
			cl.timer.Stop()
		}
		return err
	}
	return nil
}

// InvokeOneway sends req marked oneway (CHECK_TRANSACTION_STATE,
// NOTIFY_CONSUMER_IDS_CHANGED); nothing is awaited.
func (s *Server) InvokeOneway(ch Channel, req *Command) error {
	c, err := invokable(ch, req)
	if err != nil {
		return err
	}
	req.MarkOneway()
	return c.Write(req)
}

// callChannel is a Channel whose incoming responses this package matches to calls.
type callChannel interface {
	Channel
	callTarget() (pt *pendingTable, connID uint64, peer string)
}

func (c *serverConn) callTarget() (*pendingTable, uint64, string) { return c.s.pending, c.id, c.remote }
func (cc *clientConn) callTarget() (*pendingTable, uint64, string) {
	return cc.cl.pending, cc.id, cc.remote
}

func invokable(ch Channel, req *Command) (callChannel, error) {
	c, ok := ch.(callChannel)
	if !ok {
		return nil, ErrNotOurs
	}
	if req.IsResponse() {
		return nil, ErrNotResponse
	}
	req.Opaque = nextOpaque()
	return c, nil
}

func (s *Server) worker() {
	defer s.workers.Done()
	for t := range s.tasks {
		s.queued.Add(-int64(len(*t.items)))
		// The task's responses are collected and pushed once: one write for the whole batch.
		for _, it := range *t.items {
			resp := s.run(t.c, it.p, it.cmd)
			if resp != nil && !it.cmd.IsOneway() {
				if err := t.c.add(resp); err != nil && !errors.Is(err, ErrConnClosed) {
					s.log.WithError(err).WithFields(logrus.Fields{"remote": t.c.remote, "code": it.cmd.Code}).
						Warn("writing response failed")
				}
			}
			if it.transient {
				// The response is encoded: nothing refers to the request any more.
				recycleRequest(it.cmd)
			}
		}
		if err := t.c.push(); err != nil {
			s.log.WithError(err).WithField("remote", t.c.remote).Debug("flushing responses failed")
		}
		s.active.Add(-int64(len(*t.items)))
		putItems(t.items)
	}
}

// submit hands the connection's collected pooled requests to the workers; event loop only.
// When the queue would exceed QueueLimit they are answered SYSTEM_BUSY instead (not for
// oneway requests, as Java).
func (s *Server) submit(c *serverConn) {
	all := c.batch
	for i := 0; i < len(all); {
		n := min(len(all)-i, maxBatch)
		ip := itemsPool.Get().(*[]taskItem)
		*ip = append((*ip)[:0], all[i:i+n]...)
		items := *ip
		i += n
		if s.queued.Add(int64(n)) <= int64(s.cfg.QueueLimit) {
			s.active.Add(int64(n))
			select {
			case s.tasks <- task{c: c, items: ip}:
				continue
			default:
			}
			s.active.Add(-int64(n))
		}
		s.queued.Add(-int64(n))
		if oncePerSecond(&s.lastBusyLog) {
			s.log.WithFields(logrus.Fields{"remote": c.remote, "code": items[0].cmd.Code, "queue": s.cfg.QueueLimit}).
				Warn("worker pool full, answering SYSTEM_BUSY")
		}
		for _, it := range items {
			if !it.cmd.IsOneway() {
				c.queueLocal(s.busyOr(it.cmd, CodeSystemBusy, RemarkOverload))
			}
		}
		putItems(ip)
	}
	clear(all)
	c.batch = all[:0]
}

// run calls p and prepares its response; a panic becomes SYSTEM_ERROR, as Java turns a
// processor's exception into one.
func (s *Server) run(c *serverConn, p Processor, req *Command) (resp *Command) {
	defer func() {
		if r := recover(); r != nil {
			s.log.WithFields(logrus.Fields{"remote": c.remote, "code": req.Code, "opaque": req.Opaque,
				"panic": r}).Error("processor panicked\n" + string(debug.Stack()))
			resp = NewResponse(req, CodeSystemError, fmt.Sprint(r))
		}
	}()
	resp = p.Process(c, req)
	if resp != nil {
		prepareResponse(req, resp)
	}
	return resp
}

// prepareResponse ties resp to req: same opaque and serialize type, response flag set, and a
// version that Java clients accept (0 breaks SQL92 pulls).
func prepareResponse(req, resp *Command) {
	resp.Opaque = req.Opaque
	resp.Flag |= FlagResponse
	resp.Serialize = req.Serialize
	if resp.Version == 0 {
		resp.Version = Version
	}
}

// handle dispatches one decoded frame; it runs on the connection's event loop.
func (s *Server) handle(c *serverConn, cmd *Command, lastOfRead bool) {
	if cmd.IsResponse() {
		if cl := s.pending.take(cmd.Opaque); cl != nil {
			cl.complete(cmd, nil)
		} else {
			s.log.WithFields(logrus.Fields{"remote": c.remote, "opaque": cmd.Opaque, "code": cmd.Code}).
				Debug("response without a waiting call (timed out?)")
		}
		return
	}
	rt, ok := s.lookup(cmd.Code)
	if !ok {
		// Logged at most once a second: the loop must not spend its time writing logs.
		if oncePerSecond(&s.lastUnknownLog) {
			s.log.WithFields(logrus.Fields{"remote": c.remote, "code": cmd.Code}).Warn("request code not supported")
		}
		// Java answers this even for oneway requests.
		c.queueLocal(s.busyOr(cmd, CodeRequestCodeNotSupported, notSupportedRemark(cmd.Code)))
		return
	}
	if rj, ok := rt.p.(Rejecter); ok && rj.RejectRequest() {
		c.queueLocal(s.busyOr(cmd, CodeSystemBusy, RemarkRejectRequest))
		return
	}
	if rt.inline || (rt.idle != nil && lastOfRead && len(c.batch) == 0 && s.active.Load() == 0 &&
		rt.idle.InlineWhenIdle(cmd)) {
		if resp := s.run(c, rt.p, cmd); resp != nil && !cmd.IsOneway() {
			c.queueLocal(resp)
		}
		if rt.transient {
			recycleRequest(cmd)
		}
		return
	}
	c.batch = append(c.batch, taskItem{cmd: cmd, p: rt.p, transient: rt.transient})
}

// oncePerSecond reports whether a rate-limited log line may be written: true for the first
// call in each second, recorded in last.
func oncePerSecond(last *atomic.Int64) bool {
	now := time.Now().Unix()
	return last.Swap(now) != now
}

func (s *Server) busyOr(req *Command, code int32, remark string) *Command {
	resp := NewResponse(req, code, remark)
	prepareResponse(req, resp)
	return resp
}

func (s *Server) emit(kind connEventKind, c *serverConn) {
	if s.cfg.Listener == nil {
		return
	}
	select {
	case s.events <- connEvent{kind, c}:
	default:
		s.log.WithField("remote", c.remote).Warn("connection event queue full, event dropped")
	}
}

func (s *Server) dispatchEvents() {
	defer s.eventsWG.Done()
	l := s.cfg.Listener
	for ev := range s.events {
		switch ev.kind {
		case evConnect:
			l.OnConnect(ev.ch)
		case evClose:
			l.OnClose(ev.ch)
		case evIdle:
			l.OnIdle(ev.ch)
		}
	}
}

// serverHandler is the gnet side of a Server.
type serverHandler struct {
	gnet.BuiltinEventEngine
	s      *Server
	booted chan struct{}
}

func (h *serverHandler) OnBoot(eng gnet.Engine) gnet.Action {
	s := h.s
	addr, err := boundAddr(eng)
	if err != nil {
		s.log.WithError(err).Warn("cannot read the bound address")
	}
	s.mu.Lock()
	s.eng, s.addr = eng, addr
	s.mu.Unlock()
	close(h.booted)
	return gnet.None
}

// boundAddr reads the listener's address from a duplicate of its descriptor: gnet does not
// expose it, and tests listen on port 0.
func boundAddr(eng gnet.Engine) (net.Addr, error) {
	fd, err := eng.Dup()
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	return ln.Addr(), nil
}

func (h *serverHandler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	s := h.s
	c := &serverConn{s: s, gc: gc, id: channelSeq.Add(1),
		remote: addrString(gc.RemoteAddr()), local: addrString(gc.LocalAddr())}
	if a, ok := gc.RemoteAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		c.remoteAP = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if a, ok := gc.LocalAddr().(*net.TCPAddr); ok && a.Port == 0 {
		// gnet reports the configured listen address; with port 0 the bound one is better.
		c.local = addrString(s.Addr())
	}
	c.touch()
	gc.SetContext(c)
	s.mu.Lock()
	s.conns[c.id] = c
	s.mu.Unlock()
	s.log.WithField("remote", c.remote).Debug("connection opened")
	s.emit(evConnect, c)
	return nil, gnet.None
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func (h *serverHandler) OnClose(gc gnet.Conn, err error) gnet.Action {
	c, ok := gc.Context().(*serverConn)
	if !ok {
		return gnet.None
	}
	s := h.s
	if c.frame != nil || gc.InboundBuffered() > 0 {
		// The peer went away in the middle of a frame (a body cut short).
		s.log.WithFields(logrus.Fields{"remote": c.remote, "have": c.filled + gc.InboundBuffered(),
			"want": len(c.frame)}).Warn("bad frame: connection closed mid-frame")
	}
	c.markClosed()
	s.mu.Lock()
	delete(s.conns, c.id)
	s.mu.Unlock()
	s.pending.failConn(c.id, fmt.Errorf("%w: %s", ErrConnClosed, c.remote))
	entry := s.log.WithField("remote", c.remote)
	if err != nil {
		entry = entry.WithError(err)
	}
	entry.Debug("connection closed")
	s.emit(evClose, c)
	return gnet.None
}

func (h *serverHandler) OnTraffic(gc gnet.Conn) gnet.Action {
	c, ok := gc.Context().(*serverConn)
	if !ok {
		return gnet.Close
	}
	c.touch()
	action := c.readFrames(gc)
	h.s.submit(c)
	c.flushLocal()
	return action
}

// OnTick closes idle connections. gnet calls it from one goroutine of its own.
func (h *serverHandler) OnTick() (time.Duration, gnet.Action) {
	s := h.s
	idle := s.cfg.IdleTimeout
	now := time.Now().UnixNano()
	s.mu.Lock()
	var victims []*serverConn
	for _, c := range s.conns {
		if now-c.lastActive.Load() > int64(idle) {
			victims = append(victims, c)
		}
	}
	s.mu.Unlock()
	for _, c := range victims {
		if c.idleReported.Swap(true) {
			continue
		}
		s.log.WithFields(logrus.Fields{"remote": c.remote, "idle": idle}).Info("closing idle connection")
		s.emit(evIdle, c)
		_ = c.Close()
	}
	return tickInterval(idle), gnet.None
}

// tickInterval checks idleness about ten times per timeout, between 10 ms and 1 s.
func tickInterval(idle time.Duration) time.Duration {
	d := idle / 10
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	if d > time.Second {
		d = time.Second
	}
	return d
}
