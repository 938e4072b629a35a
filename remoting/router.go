package remoting

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Response codes of the transport itself (Java's RemotingSysResponseCode). The protocol
// package names the full set; these are the ones remoting writes on its own.
const (
	CodeSuccess                 int32 = 0
	CodeSystemError             int32 = 1
	CodeSystemBusy              int32 = 2
	CodeRequestCodeNotSupported int32 = 3
)

// Remarks Java's NettyRemotingAbstract writes; clients show them to users.
const (
	// RemarkRejectRequest answers a request whose processor's RejectRequest said no; written
	// even for oneway requests.
	RemarkRejectRequest = "[REJECTREQUEST]system busy, start flow control for a while"
	// RemarkOverload answers a request the full worker pool could not take; not written for
	// oneway requests (Java checks isOnewayRPC on this path only).
	RemarkOverload = "[OVERLOAD]system busy, start flow control for a while"
)

// notSupportedRemark is Java's text for an unknown request code, leading space included.
func notSupportedRemark(code int32) string {
	return fmt.Sprintf(" request type %d not supported", code)
}

// Rejecter is implemented by processors that can refuse work before it is queued (Java's
// NettyRequestProcessor.rejectRequest), e.g. a send processor while the page cache is busy.
// A refused request is answered SYSTEM_BUSY with RemarkRejectRequest.
type Rejecter interface {
	RejectRequest() bool
}

// Transient is implemented by processors that keep nothing of a request once Process has
// returned: neither the *Command nor any string, ExtFields slice or Body of it (they copy what
// they store, e.g. with strings.Clone), and they do not answer it later. The server then
// reuses the request's memory for a later frame of the connection's event loop, which spares
// the one allocation per frame and about 1.4 KB of garbage per SEND-sized request; at high
// request rates that garbage is what sets the pace of the collector, and a collection stalls
// the event loops that allocate. A processor that keeps a request (long polling, an answer
// sent later) or a string of it (a table key) must not be Transient.
type Transient interface {
	Processor
	KeepsNoRequest()
}

// TransientFunc is ProcessorFunc for a function that keeps nothing of its request (Transient).
type TransientFunc func(ch Channel, req *Command) *Command

func (f TransientFunc) Process(ch Channel, req *Command) *Command { return f(ch, req) }
func (TransientFunc) KeepsNoRequest()                             {}

// IdleInliner is implemented by pool processors (Register) that may also run on the event
// loop while the server is idle. The server asks InlineWhenIdle for a request that is the
// only one of its read while the worker pool holds no request (queued or running), and runs
// it on the loop when the answer is yes: at one request in flight that spares the hand-off to
// a worker and back, two thread wake-ups that cost more than the work of a small send. Under
// load requests come several per read, or find the pool busy, and go to the pool as before,
// so an inline request never overtakes one queued before it. InlineWhenIdle must be cheap,
// and say yes only when Process cannot block for this request (no fsync or replica wait, no
// file to create or persist).
type IdleInliner interface {
	Processor
	InlineWhenIdle(req *Command) bool
}

type route struct {
	p         Processor
	inline    bool
	transient bool        // p is Transient: the request's memory is reused once p has returned
	idle      IdleInliner // p, when a pool processor may run inline while the server is idle
}

func newRoute(p Processor, inline bool) route {
	_, transient := p.(Transient)
	rt := route{p: p, inline: inline, transient: transient}
	if ii, ok := p.(IdleInliner); ok && !inline {
		rt.idle = ii
	}
	return rt
}

type routeTable struct {
	codes map[int32]route
	def   *route
}

// Router maps request codes to processors. Two Servers may share one Router (the broker's
// listen port and its VIP port, listenPort-2, serve the same table, as in Java). Lookups are
// lock-free; registration copies the table, so it may happen while serving.
type Router struct {
	mu    sync.Mutex // serializes writers; readers load table
	table atomic.Pointer[routeTable]
}

// NewRouter returns an empty Router.
func NewRouter() *Router {
	r := &Router{}
	r.table.Store(&routeTable{codes: map[int32]route{}})
	return r
}

func (r *Router) update(f func(t *routeTable)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.table.Load()
	t := &routeTable{codes: make(map[int32]route, len(old.codes)+1), def: old.def}
	for k, v := range old.codes {
		t.codes[k] = v
	}
	f(t)
	r.table.Store(t)
}

// Register runs p for code on the server's worker pool, off the event loop: the processor
// may block (disk, fsync waits). When the pool's queue is full the request is answered
// SYSTEM_BUSY.
func (r *Router) Register(code int32, p Processor) {
	r.update(func(t *routeTable) { t.codes[code] = newRoute(p, false) })
}

// RegisterInline runs p on the event loop that read the request. Only for processors that
// never block and finish in microseconds (route lookups, heartbeats): the loop serves many
// connections.
func (r *Router) RegisterInline(code int32, p Processor) {
	r.update(func(t *routeTable) { t.codes[code] = newRoute(p, true) })
}

// SetDefault sets the processor for codes without their own (on the worker pool). Without a
// default, unknown codes are answered REQUEST_CODE_NOT_SUPPORTED.
func (r *Router) SetDefault(p Processor) {
	r.update(func(t *routeTable) { rt := newRoute(p, false); t.def = &rt })
}

func (r *Router) lookup(code int32) (route, bool) {
	t := r.table.Load()
	if rt, ok := t.codes[code]; ok {
		return rt, true
	}
	if t.def != nil {
		return *t.def, true
	}
	return route{}, false
}
