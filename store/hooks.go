package store

import (
	"errors"

	"github.com/rocketgo/rocketgo/message"
)

// Hooks the broker probes for beyond the basic facade: the arrival listener that drives long
// polling, the schedule service's verbatim re-put, the page-cache-busy signal flow control
// reads, and the in-disk test QUERY_CONSUMER_OFFSET answers with.

// arrivingFunc is the listener installed with SetArrivingListener.
type arrivingFunc = func(topic string, queueID int32, nextOffset, tagsCode int64, props []byte)

// SetArrivingListener installs f (nil removes it), Java's MessageArrivingListener: after every
// live append that gives a record a consume-queue unit, f gets the queue, the queue's new max
// offset (the record's queue offset + 1), the unit's tags code (the delivery time for
// SCHEDULE_TOPIC_XXXX) and the record's properties, which alias the mapped commitlog and are
// valid only during the call (SQL92 filters of held pulls read them). It sees every write path — sends, batches, send-backs, delayed
// deliveries, transaction commits — but not recovery's re-dispatch, replicated data on a slave
// (Java notifies only on a master) or half and rollback records, which get no unit.
//
// f runs under the append lock, in commitlog order, so it must not block and must not call the
// store's put path; the broker's hold service does a map lookup and hands woken pulls to its
// workers. Java calls it from the reput thread a moment later; here a pull it wakes already
// finds the message, because the unit is written before f is called.
func (s *Store) SetArrivingListener(f func(topic string, queueID int32, nextOffset, tagsCode int64, props []byte)) {
	if f == nil {
		s.cl.arriving.Store(nil)
		return
	}
	s.cl.arriving.Store(&f)
}

// PutMessageNoDelay stores m as PutMessage does but never acts on its DELAY property: the
// schedule service re-puts a due message with its stored properties unchanged (DELAY, REAL_TOPIC
// and REAL_QID included), as Java's ScheduleMessageService does, and it must land in the real
// topic, not go back to SCHEDULE_TOPIC_XXXX.
func (s *Store) PutMessageNoDelay(m *message.Msg) PutResult { return s.putOne(m, false) }

// putOne is PutMessage with the delay rewrite optional.
func (s *Store) putOne(m *message.Msg, delay bool) PutResult {
	msgs := [1]message.Msg{*m}
	if st, err := s.validate(&msgs[0]); st != PutOK {
		return PutResult{Status: st, Err: err}
	}
	if delay {
		s.applyDelay(&msgs[0])
	}
	if message.RecordLen(&msgs[0]) > s.cfg.MaxMessageSize+64*1024 {
		return PutResult{Status: MessageIllegal, Err: errors.New("store: record too large")}
	}
	res := s.appendLocked(msgs[:])
	return s.afterAppend(res, m)
}

// errPageCacheBusy is the reason a put is refused while another holds the append lock too long.
var errPageCacheBusy = errors.New("store: append lock held longer than osPageCacheBusyTimeOutMills")

// IsOSPageCacheBusy reports whether the append in progress has held the append lock longer than
// osPageCacheBusyTimeOutMills (default 1000) — Java's sign that writes into the page cache are
// stalling (the kernel is writing back or reclaiming), on which the broker answers sends with
// SYSTEM_BUSY instead of queueing them behind the stall.
func (s *Store) IsOSPageCacheBusy() bool {
	begin := s.cl.lockedSince.Load()
	if begin == 0 {
		return false
	}
	diff := nowMillis() - begin // the clock lockedSince was read from, and the cheaper read
	// Java's bound on diff also discards a begin time from a clock that stepped far back.
	return diff < 10000000 && diff > int64(s.conf().OSPageCacheBusyTimeOutMills)
}

// CheckInDiskByConsumeOffset is Java's DefaultMessageStore.checkInDiskByConsumeOffset: whether
// the record at a queue offset lies further behind the commitlog end than
// accessMessageInMemoryMaxRatio percent of physical memory, i.e. is likely no longer in the page
// cache. No unit at that offset (unknown queue, offset at or past the end, or before the first
// kept unit) answers false, as Java's does.
func (s *Store) CheckInDiskByConsumeOffset(topic string, queueID int32, consumeOffset int64) bool {
	cq := s.findCQ(topic, queueID)
	if cq == nil {
		return false
	}
	phys, _, _, ok := cq.unitAt(consumeOffset)
	if !ok {
		return false
	}
	return s.inDisk(s.cl.q.maxOffset(), phys)
}

// inDisk is Java's checkInDiskByCommitOffset. Without a known memory size nothing counts as on
// disk, which keeps pulls on the larger in-memory transfer limits.
func (s *Store) inDisk(maxPhy, phys int64) bool {
	return s.memory > 0 && maxPhy-phys > s.memory*int64(s.conf().AccessMessageInMemoryMaxRatio)/100
}

// MaxDelayLevel is the number of levels in messageDelayLevel: a broker that routes delayed
// messages to SCHEDULE_TOPIC_XXXX itself (to write their properties in Java's order and put
// them with PutMessageNoDelay) clamps larger levels to it, as the CommitLog does.
func (s *Store) MaxDelayLevel() int { return len(s.delayLevels) }
