package remoting

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of calls. They are wrapped with detail (address, opaque, timeout); test with errors.Is.
var (
	ErrTimeout     = errors.New("remoting: call timed out")
	ErrConnClosed  = errors.New("remoting: connection closed")
	ErrClosed      = errors.New("remoting: closed")
	ErrConnect     = errors.New("remoting: connect failed")
	ErrNotOurs     = errors.New("remoting: channel not made by this package")
	ErrNotResponse = errors.New("remoting: request flagged as response")
)

// opaqueSeq hands out request ids. One counter per process, like Java's
// RemotingCommand.requestId: ids stay unique across all connections, so a pending table may
// be shared.
var opaqueSeq atomic.Int32

func nextOpaque() int32 { return opaqueSeq.Add(1) }

// channelSeq numbers Channels.
var channelSeq atomic.Uint64

// call is one request waiting for its response. Whoever removes it from the pendingTable
// completes it, exactly once.
type call struct {
	connID uint64
	opaque int32
	resp   *Command
	err    error
	done   chan struct{} // closed on completion of a synchronous call
	cb     func(*Command, error)
	timer  *time.Timer // async calls only
}

type pendingTable struct {
	mu sync.Mutex
	m  map[int32]*call
}

func newPendingTable() *pendingTable { return &pendingTable{m: map[int32]*call{}} }

// add registers c. For an asynchronous call (cb set) it also arms the timeout, under the
// lock, so whoever later takes c sees c.timer.
func (t *pendingTable) add(c *call, timeout time.Duration, peer string) {
	t.mu.Lock()
	t.m[c.opaque] = c
	if c.cb != nil {
		c.timer = time.AfterFunc(timeout, func() {
			if t.take(c.opaque) == c {
				c.complete(nil, fmt.Errorf("%w: %s opaque %d after %v", ErrTimeout, peer, c.opaque, timeout))
			}
		})
	}
	t.mu.Unlock()
}

// take removes and returns the call for opaque, if any.
func (t *pendingTable) take(opaque int32) *call {
	t.mu.Lock()
	c := t.m[opaque]
	if c != nil {
		delete(t.m, opaque)
	}
	t.mu.Unlock()
	return c
}

// failConn fails every call waiting on connection id (every call when id is 0).
func (t *pendingTable) failConn(id uint64, err error) {
	var failed []*call
	t.mu.Lock()
	for op, c := range t.m {
		if id == 0 || c.connID == id {
			delete(t.m, op)
			failed = append(failed, c)
		}
	}
	t.mu.Unlock()
	for _, c := range failed {
		c.complete(nil, err)
	}
}

func (c *call) complete(resp *Command, err error) {
	c.resp, c.err = resp, err
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.cb != nil {
		// Never on the caller's reader or event loop: a callback may block or call again.
		go c.cb(resp, err)
		return
	}
	close(c.done)
}

// wait blocks a synchronous call until it completes or times out.
func (t *pendingTable) wait(c *call, timeout time.Duration, peer string) (*Command, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-c.done:
		return c.resp, c.err
	case <-timer.C:
	}
	if t.take(c.opaque) == nil {
		// Completed between the timer firing and take: the result is there.
		<-c.done
		return c.resp, c.err
	}
	return nil, fmt.Errorf("%w: %s opaque %d after %v", ErrTimeout, peer, c.opaque, timeout)
}
