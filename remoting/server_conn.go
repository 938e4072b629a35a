package remoting

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/sirupsen/logrus"
	"github.com/valyala/bytebufferpool"
)

// outPool holds the per-connection output buffers between flushes.
var outPool bytebufferpool.Pool

// serverConn is an accepted connection: the Channel processors see.
type serverConn struct {
	s             *Server
	gc            gnet.Conn
	id            uint64
	remote, local string
	remoteAP      netip.AddrPort // remote, parsed once (zero when it is not an IP address)
	lastActive    atomic.Int64   // unix nanos of the last read or flushed write
	idleReported  atomic.Bool

	// Frame being read and pooled requests collected from this read; event loop only.
	frame  []byte
	cmd    *Command // decodes frame, shares its allocation
	filled int
	batch  []taskItem

	mu        sync.Mutex // guards out, scheduled, closed, gnetIdle, loopWriting and direct writes
	out       *bytebufferpool.ByteBuffer
	scheduled bool // a flush task is queued on the event loop
	closed    bool // set by the event loop in OnClose
	// gnetIdle: gnet holds no unsent bytes of ours, as seen by the event loop at its last
	// flush, so a write(2) from another goroutine cannot overtake them (see writeDirectLocked).
	// loopWriting: the loop is inside gc.Write, without c.mu (see flushLocal).
	gnetIdle    bool
	loopWriting bool

	ctxMu sync.Mutex
	ctx   any
}

func (c *serverConn) ID() uint64         { return c.id }
func (c *serverConn) RemoteAddr() string { return c.remote }
func (c *serverConn) LocalAddr() string  { return c.local }

// RemoteAddrPort is RemoteAddr parsed (IPv4-mapped addresses unmapped), kept from the
// connection's start: the broker stamps it on every message it stores (BORNHOST).
func (c *serverConn) RemoteAddrPort() netip.AddrPort { return c.remoteAP }

func (c *serverConn) Context() any {
	c.ctxMu.Lock()
	defer c.ctxMu.Unlock()
	return c.ctx
}

func (c *serverConn) SetContext(v any) {
	c.ctxMu.Lock()
	c.ctx = v
	c.ctxMu.Unlock()
}

func (c *serverConn) String() string { return c.remote }

func (c *serverConn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// Close closes the connection from any goroutine; the listener hears OnClose once.
func (c *serverConn) Close() error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil
	}
	return c.gc.Close()
}

// Write encodes cmd into the connection's output and sends it, or makes sure the event loop
// does soon. It never blocks on the network. cmd must be complete: a later answer built with
// NewResponse(req, ...) already carries req's opaque and serialize type.
func (c *serverConn) Write(cmd *Command) error {
	if err := c.add(cmd); err != nil {
		return err
	}
	return c.push()
}

// WriteParts is Write with the body gathered from parts (PartsWriter).
func (c *serverConn) WriteParts(cmd *Command, parts [][]byte) error {
	if err := c.addFrame(cmd, nil, parts); err != nil {
		return err
	}
	return c.push()
}

// add encodes cmd behind the pending output without sending it; push sends. A worker adds
// every response of its task and pushes once, so that they leave in one syscall.
func (c *serverConn) add(cmd *Command) error { return c.addFrame(cmd, cmd.Body, nil) }

// addFrame is add for a frame whose body is body followed by parts (appendFrame).
func (c *serverConn) addFrame(cmd *Command, body []byte, parts [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("%w: %s", ErrConnClosed, c.remote)
	}
	return c.appendLocked(cmd, body, parts)
}

// push sends the pending output from the calling goroutine when it can (writeDirectLocked),
// and otherwise hands it to the event loop, waking it once for everything queued until it runs.
func (c *serverConn) push() error {
	c.mu.Lock()
	if c.closed || c.out == nil || c.scheduled {
		// Nothing to send, or the loop is already due to send it.
		c.mu.Unlock()
		return nil
	}
	if c.writeDirectLocked() {
		c.mu.Unlock()
		return nil
	}
	c.scheduled = true
	c.mu.Unlock()
	if err := c.gc.EventLoop().Execute(context.Background(), c); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrConnClosed, c.remote, err)
	}
	return nil
}

// writeDirectLocked writes the pending output straight to the socket from the calling
// goroutine (a worker), sparing the hand-off to the event loop: one eventfd wake-up, one loop
// iteration and a task per response, which at one request in flight cost about as much as
// the request itself. It reports whether everything was written; what the socket does not
// take stays in c.out for the loop, which then owns the ordering again.
//
// Why this is safe next to gnet, which owns the descriptor:
//   - Direct writes happen under c.mu and only while the loop is not writing (loopWriting),
//     so writes never interleave; gnetIdle says gnet had no bytes of ours left after its last
//     write, so these cannot overtake older ones. gnet drains a backlog on its own (EPOLLOUT)
//     but gnetIdle stays false until the loop sees it empty.
//   - gnet calls OnClose (markClosed, which waits for c.mu) before it closes the descriptor,
//     so a descriptor written to under c.mu while !c.closed is this connection's, never a
//     reused one.
//   - The socket is non-blocking (gnet set it so): a full socket answers EAGAIN at once.
func (c *serverConn) writeDirectLocked() bool {
	if !c.gnetIdle || c.loopWriting {
		return false
	}
	b := c.out.B
	for len(b) > 0 {
		n, err := syscall.Write(c.gc.Fd(), b)
		if n > 0 {
			b = b[n:]
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
	}
	if len(b) == 0 {
		outPool.Put(c.out)
		c.out = nil
		c.touch()
		return true
	}
	// The rest goes through gnet, which buffers it and reports a broken socket on its side.
	c.out.B = append(c.out.B[:0], b...)
	c.gnetIdle = false
	return false
}

func (c *serverConn) appendLocked(cmd *Command, body []byte, parts [][]byte) error {
	if c.out == nil {
		c.out = outPool.Get()
	}
	b, err := appendFrame(c.out.B, cmd, body, parts)
	c.out.B = b
	return err
}

// queueLocal adds a response produced on the event loop; flushLocal at the end of OnTraffic
// sends it along with every other response of the same read.
func (c *serverConn) queueLocal(cmd *Command) {
	c.mu.Lock()
	var err error
	if !c.closed {
		err = c.appendLocked(cmd, cmd.Body, nil)
	}
	c.mu.Unlock()
	if err != nil {
		c.s.log.WithError(err).WithFields(logrus.Fields{"remote": c.remote, "code": cmd.Code}).Error("cannot encode response")
	}
}

// Run is the flush task Write queues on the event loop (gnet.Runnable).
func (c *serverConn) Run(context.Context) error {
	c.flushLocal()
	return nil
}

// flushLocal hands the pending output to gnet; event loop only. gnet writes what the socket
// takes and copies the rest into its own outbound buffer, so ours goes back to the pool.
//
// c.mu is not held across gc.Write: a failing write makes gnet close the connection at once,
// and its OnClose takes c.mu. loopWriting keeps workers from writing meanwhile; a Write in
// that window schedules another flush instead. Afterwards the loop records whether gnet still
// holds unsent bytes (gnetIdle), which only the loop can ask.
func (c *serverConn) flushLocal() {
	c.mu.Lock()
	buf := c.out
	c.out = nil
	c.scheduled = false
	if c.closed || buf == nil {
		// A closed connection has no output (markClosed gave it back and nothing is added
		// after). With nothing to send, the loop still notes whether gnet has drained.
		if !c.closed {
			c.gnetIdle = c.gc.OutboundBuffered() == 0
		}
		c.mu.Unlock()
		return
	}
	c.loopWriting = true
	c.mu.Unlock()

	if _, err := c.gc.Write(buf.B); err != nil {
		c.s.log.WithError(err).WithField("remote", c.remote).Debug("write failed")
	}
	outPool.Put(buf)
	c.touch()

	c.mu.Lock()
	c.loopWriting = false
	if !c.closed {
		n := c.gc.OutboundBuffered()
		c.gnetIdle = n == 0
		if n > c.s.cfg.MaxOutbound {
			c.s.log.WithFields(logrus.Fields{"remote": c.remote, "outbound": n, "max": c.s.cfg.MaxOutbound}).
				Warn("peer does not read its answers, closing connection")
			_ = c.gc.Close()
		}
	}
	c.mu.Unlock()
}

func (c *serverConn) markClosed() {
	c.mu.Lock()
	c.closed = true
	if c.out != nil {
		outPool.Put(c.out)
		c.out = nil
	}
	c.mu.Unlock()
	c.frame, c.cmd = nil, nil
}

// readFrames splits the inbound bytes into frames; event loop only. The length is checked
// as soon as its 4 bytes are in, before any of the body is buffered; the body is then read
// straight into the frame's own buffer, so a frame is copied exactly once. The buffer and the
// Command it decodes into are one allocation (newFrameCommand).
func (c *serverConn) readFrames(gc gnet.Conn) gnet.Action {
	maxFrame := c.s.cfg.MaxFrameSize
	for {
		if c.frame == nil {
			n := gc.InboundBuffered()
			if n < 4 {
				return gnet.None
			}
			p, err := gc.Peek(4)
			if err != nil {
				return gnet.None
			}
			if _, err := ParseLength(p, maxFrame); err != nil {
				return c.reject(err)
			}
			if n < prefixLen {
				return gnet.None
			}
			if p, err = gc.Peek(prefixLen); err != nil {
				return gnet.None
			}
			pre, err := ParsePrefix(p, maxFrame)
			if err != nil {
				return c.reject(err)
			}
			c.cmd, c.frame = newFrameCommand(4 + pre.Length)
			c.filled = 0
		}
		m, _ := gc.Read(c.frame[c.filled:])
		c.filled += m
		if c.filled < len(c.frame) {
			return gnet.None
		}
		frame, cmd := c.frame, c.cmd
		c.frame, c.cmd = nil, nil
		if err := DecodeFrame(frame, cmd, 0); err != nil {
			return c.reject(err)
		}
		c.s.handle(c, cmd, gc.InboundBuffered() == 0)
	}
}

// reject logs a malformed frame and closes the connection, as Java's decoder does.
func (c *serverConn) reject(err error) gnet.Action {
	c.s.log.WithError(err).WithField("remote", c.remote).Warn("bad frame, closing connection")
	c.frame, c.cmd = nil, nil
	return gnet.Close
}
