package store

import (
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/rocketgo/rocketgo/message"
	"github.com/sirupsen/logrus"
)

// queueKey names a topic-queue; a struct key lets map lookups run without building a string.
type queueKey struct {
	topic string
	queue int32
}

// commitLog is the append side of the store.
//
// Lock order: putMu, then the consume-queue table lock (taken inside dispatch), then a
// mappedFileQueue's mu. Readers take only the last two, briefly.
type commitLog struct {
	q *mappedFileQueue

	putMu sync.Mutex // guards everything below and the write position of the last file
	// lastStoreTs keeps STORETIMESTAMP non-decreasing along the log even if the clock steps
	// back (abnormal recovery keys on it).
	lastStoreTs int64
	// queues holds, per topic-queue, the consume queue and the next logical offset (Java's
	// topicQueueTable), so the append path does one map lookup per message and no locking.
	queues map[queueKey]*queueState
	view   message.View
	closed bool

	// lockedSince is when the append holding putMu took it (ms, 0 when free): IsOSPageCacheBusy.
	lockedSince atomic.Int64
	// arriving is the listener SetArrivingListener installed (nil: none).
	arriving atomic.Pointer[arrivingFunc]
	// warm keeps the pages ahead of the write position faulted in (commitlog_warm.go).
	warm warmer
}

var blankMagic = message.MagicBlank

// queueState is the append side's view of one topic-queue; guarded by putMu.
type queueState struct {
	cq   *ConsumeQueue
	next int64
}

// is reports whether st (which may be nil) is the state of topic-queue.
func (st *queueState) is(topic string, queueID int32) bool {
	return st != nil && st.cq.QueueID == queueID && st.cq.Topic == topic
}

// queueStateLocked finds or creates the state of a topic-queue. putMu must be held.
func (s *Store) queueStateLocked(topic string, queueID int32) (*queueState, error) {
	if st := s.cl.queues[queueKey{topic, queueID}]; st != nil {
		return st, nil
	}
	cq, err := s.findOrCreateCQ(topic, queueID)
	if err != nil {
		return nil, err
	}
	st := &queueState{cq: cq, next: cq.MaxOffset()}
	s.cl.queues[queueKey{cq.Topic, queueID}] = st
	return st, nil
}

// queued reports whether a record of this sysFlag gets a consume-queue unit and a queue offset:
// all but transaction PREPARED and ROLLBACK records (those wait in the commitlog only).
func queued(sysFlag int32) bool {
	tt := message.TransactionType(sysFlag)
	return tt == message.TransactionNotType || tt == message.TransactionCommitType
}

// errTooBig is returned when a record (or batch) cannot fit even an empty segment.
var errTooBig = errors.New("store: message larger than a commitlog segment")

// appendLocked writes msgs contiguously (one segment), assigns offsets and dispatches each
// record. It does not wait for any flush.
func (s *Store) appendLocked(msgs []message.Msg) PutResult {
	c := &s.cl
	var total int
	for i := range msgs {
		total += message.RecordLen(&msgs[i])
	}
	c.putMu.Lock()
	// One deferred call (the body has too many returns for Go to open-code two defers there).
	defer func() {
		c.lockedSince.Store(0)
		c.putMu.Unlock()
	}()
	return s.appendUnderLock(msgs, total)
}

// nowMillis is the wall clock in ms, what Java's System.currentTimeMillis gives the store
// timestamp. gettimeofday reads only the wall clock, one clock read where time.Now makes two
// (wall and monotonic); on a VM each read is tens of nanoseconds.
func nowMillis() int64 {
	var tv syscall.Timeval
	if err := syscall.Gettimeofday(&tv); err != nil {
		return time.Now().UnixMilli()
	}
	return tv.Sec*1000 + tv.Usec/1000
}

// appendUnderLock is appendLocked's body; putMu is held.
func (s *Store) appendUnderLock(msgs []message.Msg, total int) PutResult {
	c := &s.cl
	if c.closed {
		return PutResult{Status: ServiceNotAvailable, Err: errors.New("store: closed")}
	}
	now := nowMillis()
	c.lockedSince.Store(now)
	if now < c.lastStoreTs {
		now = c.lastStoreTs
	}
	c.lastStoreTs = now
	size := c.q.fileSize
	if total+message.BlankLen > size {
		return PutResult{Status: MessageIllegal, Err: errTooBig}
	}
	// Make sure every consume queue involved has room before anything is written, so that a
	// full disk fails the put cleanly instead of leaving a record without its unit. A batch
	// shares one queue, so the state found first is reused rather than looked up again.
	var st0 *queueState
	for i := range msgs {
		if !queued(msgs[i].SysFlag) {
			continue
		}
		if st0.is(msgs[i].Topic, msgs[i].QueueID) {
			continue
		}
		st, err := s.queueStateLocked(msgs[i].Topic, msgs[i].QueueID)
		if err != nil {
			return PutResult{Status: MessageIllegal, Err: err}
		}
		if st0 == nil {
			st0 = st
		}
		if l := st.cq.q.last(); l == nil || l.full() {
			if _, err := st.cq.q.lastWritable(st.next * cqUnitSize); err != nil {
				return s.createFailed(err)
			}
		}
	}
	f, err := c.q.lastWritable(0)
	if err != nil {
		return s.createFailed(err)
	}
	pos := int(f.wrote.Load())
	if pos+total+message.BlankLen > size {
		// End-of-file blank: the message goes whole into the next segment.
		binary.BigEndian.PutUint32(f.data[pos:], uint32(size-pos))
		binary.BigEndian.PutUint32(f.data[pos+4:], uint32(blankMagic))
		f.wrote.Store(int64(size))
		if f, err = c.q.lastWritable(0); err != nil {
			return s.createFailed(err)
		}
		pos = 0
	}
	res := PutResult{Status: PutOK, WroteOffset: f.from + int64(pos), WroteBytes: int32(total),
		MsgNum: int32(len(msgs)), StoreTimestamp: now}
	var ids []byte
	for i := range msgs {
		m := &msgs[i]
		var qo int64
		var st *queueState
		if queued(m.SysFlag) {
			if st = st0; !st0.is(m.Topic, m.QueueID) {
				st = c.queues[queueKey{m.Topic, m.QueueID}] // created by the check above
			}
			qo = st.next
		}
		phys := f.from + int64(pos)
		n := message.PutRecord(f.data[pos:], m, qo, phys, now)
		if i == 0 {
			res.QueueOffset, res.storeHost = qo, m.StoreHost
		}
		if len(msgs) > 1 {
			// Batches get their id list now; a single put computes its id only when asked.
			if i > 0 {
				ids = append(ids, ',')
			}
			ids = message.AppendOffsetMsgID(ids, m.StoreHost, phys)
		}
		rec := f.data[pos : pos+n]
		pos += n
		// wrote before storeTs: a flusher that reads storeTs and then syncs up to wrote never
		// records a checkpoint time newer than what it made durable.
		f.wrote.Store(int64(pos))
		f.storeTs.Store(now)
		var cq *ConsumeQueue
		if st != nil {
			st.next = qo + 1
			cq = st.cq
		}
		viewOf(&c.view, rec, m, qo, phys, now)
		if err := s.dispatchTo(&c.view, cq, true); err != nil {
			logrus.WithError(err).WithFields(logrus.Fields{"topic": m.Topic, "queueId": m.QueueID, "offset": phys}).
				Error("store: dispatch to consume queue failed")
			return PutResult{Status: CreateMappedFileFailed, Err: err}
		}
	}
	if ids != nil {
		res.batchIDs = string(ids)
	}
	c.kickWarmer(f.from + int64(pos))
	s.stats.putCount.Add(int64(len(msgs)))
	s.stats.putBytes.Add(int64(total))
	return res
}

// viewOf fills v for the record rec just encoded from m: what message.Parse would read back,
// taken from the message instead (parsing the record again costs more than the rest of the
// dispatch). Header fields that PutRecord derives are read from rec; Body, Topic and
// Properties alias the message's own memory, which outlives the dispatch of the record.
func viewOf(v *message.View, rec []byte, m *message.Msg, queueOffset, phys, storeTs int64) {
	be := binary.BigEndian
	*v = message.View{
		TotalSize:                 int32(len(rec)),
		Magic:                     int32(be.Uint32(rec[4:])),
		BodyCRC:                   int32(be.Uint32(rec[8:])),
		QueueID:                   m.QueueID,
		Flag:                      m.Flag,
		QueueOffset:               queueOffset,
		PhysicalOffset:            phys,
		SysFlag:                   int32(be.Uint32(rec[36:])), // with the IPv6 host bits PutRecord set
		BornTimestamp:             m.BornTimestamp,
		BornHost:                  m.BornHost,
		StoreTimestamp:            storeTs,
		StoreHost:                 m.StoreHost,
		ReconsumeTimes:            m.ReconsumeTimes,
		PreparedTransactionOffset: m.PreparedTransactionOffset,
		Body:                      m.Body,
		Topic:                     unsafe.Slice(unsafe.StringData(m.Topic), len(m.Topic)),
		Properties:                m.Properties,
	}
}

func (s *Store) createFailed(err error) PutResult {
	logrus.WithError(err).Error("store: cannot create commitlog segment")
	return PutResult{Status: CreateMappedFileFailed, Err: err}
}

// rollNextFile is the start of the segment after the one holding off.
func (c *commitLog) rollNextFile(off int64) int64 {
	size := int64(c.q.fileSize)
	return off + size - off%size
}

// selectRecord returns size bytes at commitlog offset off, with its segment held.
func (c *commitLog) selectRecord(off int64, size int32) ([]byte, *MappedFile) {
	f := c.q.find(off)
	if f == nil {
		return nil, nil
	}
	rel := off - f.from
	if size <= 0 || rel+int64(size) > f.wrote.Load() {
		f.Release()
		return nil, nil
	}
	return f.data[rel : rel+int64(size) : rel+int64(size)], f
}

// selectWhole returns the record at off, sized from its own TOTALSIZE.
func (c *commitLog) selectWhole(off int64) ([]byte, *MappedFile) {
	f := c.q.find(off)
	if f == nil {
		return nil, nil
	}
	rel := off - f.from
	w := f.wrote.Load()
	if rel+8 > w {
		f.Release()
		return nil, nil
	}
	size, err := message.PeekSize(f.data[rel:w])
	if err != nil || size <= 0 || rel+int64(size) > w {
		f.Release()
		return nil, nil
	}
	return f.data[rel : rel+int64(size) : rel+int64(size)], f
}

// groupCommit lets many SYNC_FLUSH appenders share one fdatasync: each waits on cond until the
// flushed offset covers its record; the flusher broadcasts after every flush and every 10 ms
// so waiters can notice their timeout. No allocation per waiter.
type groupCommit struct {
	mu   sync.Mutex
	cond *sync.Cond
	// pending is the highest offset any waiter needs; the flusher runs while it is ahead.
	pending atomic.Int64
	wake    chan struct{}
	waiters atomic.Int32
}

func (g *groupCommit) init() {
	g.cond = sync.NewCond(&g.mu)
	g.wake = make(chan struct{}, 1)
}

func (g *groupCommit) kick() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// waitFlushed blocks until the commitlog is durable up to end or the timeout passes.
func (s *Store) waitFlushed(end int64) PutStatus {
	g := &s.gc
	for {
		p := g.pending.Load()
		if p >= end || g.pending.CompareAndSwap(p, end) {
			break
		}
	}
	g.kick()
	deadline := time.Now().Add(time.Duration(s.cfg.SyncFlushTimeout) * time.Millisecond)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waiters.Add(1)
	defer g.waiters.Add(-1)
	for s.cl.q.flushedWhere.Load() < end {
		if s.stopped.Load() || !time.Now().Before(deadline) {
			logrus.WithFields(logrus.Fields{"offset": end, "timeoutMs": s.cfg.SyncFlushTimeout}).Warn("store: sync flush timed out")
			return FlushDiskTimeout
		}
		g.cond.Wait()
	}
	return PutOK
}

// groupCommitTicker wakes waiters every 10 ms so they notice their timeout even while the
// flusher is stuck in a slow fdatasync.
func (s *Store) groupCommitTicker() {
	defer s.wg.Done()
	g := &s.gc
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		if g.waiters.Load() > 0 {
			g.mu.Lock()
			g.cond.Broadcast()
			g.mu.Unlock()
		}
	}
}

// groupCommitLoop is the SYNC_FLUSH flusher.
func (s *Store) groupCommitLoop() {
	defer s.wg.Done()
	g := &s.gc
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			s.flushCommitLog(0)
			g.mu.Lock()
			g.cond.Broadcast()
			g.mu.Unlock()
			return
		case <-g.wake:
		case <-tick.C:
		}
		// Everything written is flushed each cycle, as Java's GroupCommitService does, so that
		// WAIT=false puts also reach the disk within about 10 ms.
		if s.cl.q.maxOffset() > s.cl.q.flushedWhere.Load() {
			s.flushCommitLog(0)
		}
		if g.waiters.Load() > 0 {
			g.mu.Lock()
			g.cond.Broadcast()
			g.mu.Unlock()
		}
	}
}

// flushCommitLog syncs the commitlog and records the checkpoint's physicMsgTimestamp.
func (s *Store) flushCommitLog(leastPages int) {
	ts, err := s.cl.q.flush(leastPages)
	if err != nil {
		logrus.WithError(err).Error("store: commitlog flush failed")
		return
	}
	if ts > 0 {
		s.cp.physicMsgTimestamp.Store(ts)
	}
}

// asyncFlushLoop is the ASYNC_FLUSH flusher (Java's FlushRealTimeService): every
// flushIntervalCommitLog it syncs when at least flushCommitLogLeastPages pages are dirty, and
// everything every flushCommitLogThoroughInterval.
func (s *Store) asyncFlushLoop() {
	defer s.wg.Done()
	// The keys are read at each round, as Java's FlushRealTimeService does, so that
	// UPDATE_BROKER_CONFIG applies them live (ApplyConfig).
	p := newFlushPace(s.conf().FlushIntervalCommitLog)
	defer p.t.Stop()
	for {
		select {
		case <-s.stop:
			s.flushCommitLog(0)
			return
		case <-p.t.C:
		case <-s.gc.wake:
			if s.conf().FlushCommitLogTimed {
				continue
			}
		}
		c := s.conf()
		least, _ := p.round(c.FlushIntervalCommitLog, c.FlushCommitLogLeastPages, c.FlushCommitLogThoroughInterval)
		s.flushCommitLog(least)
	}
}

// flushPace is a flush service's timing, from keys that may change between rounds: a ticker at
// the flush interval, and a thorough round (least pages 0) once per thorough interval.
type flushPace struct {
	t        *time.Ticker
	interval time.Duration
	last     time.Time // of the last thorough round
}

func newFlushPace(intervalMs int) flushPace {
	d := time.Duration(max(intervalMs, 1)) * time.Millisecond
	return flushPace{t: time.NewTicker(d), interval: d, last: time.Now()}
}

// round adopts a changed interval and returns the least pages to flush this round, 0 (and
// thorough) when the thorough interval has passed.
func (p *flushPace) round(intervalMs, leastPages, thoroughMs int) (least int, thorough bool) {
	if d := time.Duration(max(intervalMs, 1)) * time.Millisecond; d != p.interval {
		p.interval = d
		p.t.Reset(d)
	}
	if time.Since(p.last) >= time.Duration(thoroughMs)*time.Millisecond {
		p.last = time.Now()
		return 0, true
	}
	return leastPages, false
}

// flushConsumeQueueLoop flushes the consume queues (Java's FlushConsumeQueueService) and writes
// the checkpoint after each thorough flush.
func (s *Store) flushConsumeQueueLoop() {
	defer s.wg.Done()
	p := newFlushPace(s.conf().FlushIntervalConsumeQueue)
	defer p.t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-p.t.C:
		}
		c := s.conf() // live keys, as Java's FlushConsumeQueueService reads them
		least, thorough := p.round(c.FlushIntervalConsumeQueue, c.FlushConsumeQueueLeastPages, c.FlushConsumeQueueThoroughInterval)
		logicsTs := s.logicsTs.Load()
		s.flushConsumeQueues(least)
		if thorough {
			s.cp.logicsMsgTimestamp.Store(logicsTs)
			if err := s.cp.flush(); err != nil {
				logrus.WithError(err).Error("store: checkpoint write failed")
			}
		}
	}
}

func (s *Store) flushConsumeQueues(least int) {
	for _, cq := range s.consumeQueues() {
		if err := cq.flush(least); err != nil {
			logrus.WithError(err).WithFields(logrus.Fields{"topic": cq.Topic, "queueId": cq.QueueID}).Error("store: consume queue flush failed")
		}
	}
}

// waitStore reports whether a put must wait for the flush: Msg.NoWait or a WAIT property other
// than "true" lets SYNC_FLUSH acknowledge at once, as Java's isWaitStoreMsgOK (absent: wait;
// present: Boolean.parseBoolean).
func waitStore(m *message.Msg) bool {
	if m.NoWait {
		return false
	}
	v, ok := message.PropertyValue(m.Properties, message.PropertyWaitStoreMsgOK)
	return !ok || strings.EqualFold(string(v), "true")
}
