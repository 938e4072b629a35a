package broker

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// Send flow control. Java bounds sends with a queue in front of its send executor
// (sendThreadPoolQueueCapacity, 10000) and a fast-failure sweeper (BrokerFastFailure) that
// answers SYSTEM_BUSY to requests which waited longer than waitTimeMillsInSendQueue (200 ms)
// or arrive while the OS page cache is busy. We run sends on the remoting worker pool, so the
// equivalent queue is the set of sends waiting for a turn at the store:
//
//	send ─▶ admit ──(slot free)──────────────────────────▶ store.Put ─▶ release
//	          │──(waiters ≥ sendThreadPoolQueueCapacity)─▶ SYSTEM_BUSY [OVERLOAD]
//	          │──(no slot within waitTimeMillsInSendQueue)▶ SYSTEM_BUSY [TIMEOUT_CLEAN_QUEUE]
//	          └──(store reports page cache busy)─────────▶ SYSTEM_BUSY [REJECTREQUEST]
//
// A flood therefore meets a bounded wait and a clear answer, never an unbounded queue or a
// silent drop. The slot count is high enough that SYNC_FLUSH group commit still gathers many
// appends into one fsync.

// defaultPutSlots is how many sends may be inside the store at once.
const defaultPutSlots = 256

// pageCacheBusyChecker is what the limiter asks of the store when the store offers it.
type pageCacheBusyChecker interface {
	IsOSPageCacheBusy() bool
}

// pageCacheBusy returns the store's busy check, or nil when the store has none.
func pageCacheBusy(st any) func() bool {
	if c, ok := st.(pageCacheBusyChecker); ok {
		return c.IsOSPageCacheBusy
	}
	return nil
}

type sendLimiter struct {
	slots    chan struct{} // one token per send inside the store
	waiting  atomic.Int64  // sends waiting for a slot
	maxWait  int64         // sendThreadPoolQueueCapacity
	waitTime time.Duration // waitTimeMillsInSendQueue, unless conf is set
	enabled  bool          // brokerFastFailureEnable, unless conf is set
	timers   chan *time.Timer
	// conf, when set, gives the configuration in force: Java's fast-failure task reads
	// brokerFastFailureEnable and waitTimeMillsInSendQueue at each sweep, so an update of
	// either is live; the queue capacity is fixed at start, as Java's executor queue.
	conf func() *Config
}

func newSendLimiter(conf func() *Config) *sendLimiter {
	cfg := conf()
	l := newSendLimiterSize(defaultPutSlots, int64(cfg.SendThreadPoolQueueCapacity),
		time.Duration(cfg.WaitTimeMillsInSendQueue)*time.Millisecond, cfg.BrokerFastFailureEnable)
	l.conf = conf
	return l
}

// fastFailure returns whether waiting sends time out, and after how long.
func (l *sendLimiter) fastFailure() (bool, time.Duration) {
	if l.conf == nil {
		return l.enabled, l.waitTime
	}
	c := l.conf()
	return c.BrokerFastFailureEnable, sendQueueWait(time.Duration(c.WaitTimeMillsInSendQueue) * time.Millisecond)
}

// sendQueueWait is waitTimeMillsInSendQueue with Java's 200 ms in place of a non-positive value.
func sendQueueWait(d time.Duration) time.Duration {
	if d <= 0 {
		return 200 * time.Millisecond
	}
	return d
}

func newSendLimiterSize(slots int, maxWait int64, waitTime time.Duration, enabled bool) *sendLimiter {
	if slots <= 0 {
		slots = 1
	}
	if maxWait <= 0 {
		maxWait = 10000
	}
	return &sendLimiter{
		slots:    make(chan struct{}, slots),
		maxWait:  maxWait,
		waitTime: sendQueueWait(waitTime),
		enabled:  enabled,
		timers:   make(chan *time.Timer, 64),
	}
}

// release gives back the slot a successful admit took.
func (l *sendLimiter) release() { <-l.slots }

// admit waits for a store slot. On Success the caller owns a slot and must release it;
// otherwise the answer is SYSTEM_BUSY with Java's remark.
func (l *sendLimiter) admit(busy func() bool) (int32, string) {
	if busy != nil && busy() {
		return protocol.SystemBusy, "[REJECTREQUEST]system busy, start flow control for a while"
	}
	select {
	case l.slots <- struct{}{}:
		return protocol.Success, ""
	default:
	}
	n := l.waiting.Add(1)
	defer l.waiting.Add(-1)
	if n > l.maxWait {
		return protocol.SystemBusy, "[OVERLOAD]system busy, start flow control for a while"
	}
	enabled, wait := l.fastFailure()
	if !enabled {
		l.slots <- struct{}{}
		return protocol.Success, ""
	}
	start := time.Now()
	t := l.timer(wait)
	defer l.putTimer(t)
	select {
	case l.slots <- struct{}{}:
		return protocol.Success, ""
	case <-t.C:
		return protocol.SystemBusy, "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: " +
			strconv.FormatInt(time.Since(start).Milliseconds(), 10) + "ms, size of queue: " +
			strconv.FormatInt(l.waiting.Load(), 10)
	}
}

// timer reuses timers so that a congested broker does not allocate one per waiting send.
func (l *sendLimiter) timer(wait time.Duration) *time.Timer {
	select {
	case t := <-l.timers:
		t.Reset(wait)
		return t
	default:
		return time.NewTimer(wait)
	}
}

func (l *sendLimiter) putTimer(t *time.Timer) {
	t.Stop()
	select {
	case l.timers <- t:
	default:
	}
}
