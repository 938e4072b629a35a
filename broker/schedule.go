package broker

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// Delayed messages (Java 4.9.8's ScheduleMessageService).
//
//	send DELAY=n ─▶ store.PutMessage ─▶ SCHEDULE_TOPIC_XXXX queue n-1   (REAL_TOPIC, REAL_QID added;
//	                                     consume-queue tags slot = delivery time)
//	one goroutine per level: read queue n-1 from offsetTable[n] in order
//	   due?  no ─▶ sleep until due
//	         yes ─▶ re-put to REAL_TOPIC / REAL_QID ─▶ offsetTable[n]++
//	offsetTable ─▶ config/delayOffset.json every 10 s and at shutdown
//
// Delivery is at-least-once across a crash, as in Java: a message delivered after the last
// persist of delayOffset.json is delivered again after a restart. A graceful shutdown persists
// the exact offsets, so nothing is repeated.

const (
	delayOffsetFile = "delayOffset.json"
	// Java's FIRST_DELAY_TIME, DELAY_FOR_A_WHILE and the persist period
	// (flushDelayOffsetInterval). A failed re-put is retried after DELAY_FOR_A_WHILE too (4.9.8
	// in its default mode; the synchronous mode waits 10 s): a refusal is usually brief
	// (page cache busy, disk full until cleaned) and a delayed message is due within a second.
	scheduleFirstDelay    = time.Second
	scheduleIdleDelay     = 100 * time.Millisecond
	schedulePersistPeriod = 10 * time.Second
	// scheduleBatch is how many schedule-queue entries one pass reads.
	scheduleBatch = 32
)

// semantics holds the services that give messages their special meanings: delayed delivery,
// transactions and ordered-consumption locks. They hang off one Broker field so broker.go
// needs only a handful of hook lines.
type semantics struct {
	sched *scheduleService
	tx    *transactionService
	locks *rebalanceLockManager
}

// registerSemanticProcessors creates the services and attaches their request processors.
// Called from New.
func (b *Broker) registerSemanticProcessors() {
	b.sem = &semantics{
		sched: newScheduleService(b),
		tx:    newTransactionService(b),
		locks: newRebalanceLockManager(b.log.WithField("component", "lock")),
	}
	// Locks are in-memory map operations: cheap, but they take a mutex, so keep them off the
	// event loop with the other processors.
	b.register(protocol.LockBatchMq, remoting.ProcessorFunc(b.processLockBatch))
	b.register(protocol.UnlockBatchMq, remoting.ProcessorFunc(b.processUnlockBatch))
	b.register(protocol.EndTransaction, remoting.ProcessorFunc(b.sem.tx.processEndTransaction))
	b.register(protocol.ResumeCheckHalfMessage, remoting.ProcessorFunc(b.sem.tx.resumeCheckHalfMessage))
	b.register(protocol.GetAllDelayOffset, remoting.ProcessorFunc(b.sem.sched.processGetAllDelayOffset))
}

// startSemantics starts the schedule and transaction-check services (masters only, as Java);
// the store must be open. Called from Start.
func (b *Broker) startSemantics() {
	if b.cfg.BrokerRole == store.Slave {
		return
	}
	if err := b.sem.sched.start(); err != nil {
		b.log.WithError(err).Error("schedule service not started; delayed messages stay in " + TopicSchedule)
	}
	b.sem.tx.start()
}

// stopSemantics stops both services and persists delayOffset.json. Called from Shutdown
// before the store closes.
func (b *Broker) stopSemantics() {
	b.sem.tx.shutdown()
	b.sem.sched.shutdown()
}

// ChannelClosed is the semantics' part of a connection closing: the client's queue locks go.
func (s *semantics) channelClosed(ch remoting.Channel) {
	s.locks.channelClosed(ch.ID())
}

// scheduleService delivers due delayed messages.
type scheduleService struct {
	b   *Broker
	log *logrus.Entry

	levels  []time.Duration // index 0 = level 1
	failing []bool          // per level, the last re-put failed; only the level's goroutine uses it

	mu      sync.Mutex
	offsets map[int32]int64 // level → next schedule-queue offset to deliver
	fileMu  sync.Mutex

	running bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

func newScheduleService(b *Broker) *scheduleService {
	s := &scheduleService{b: b, log: b.log.WithField("component", "schedule"), offsets: map[int32]int64{}}
	levels, err := parseDelayLevels(b.cfg.MessageDelayLevel)
	if err != nil {
		// Java refuses to start the broker; the store already accepted the string, so we
		// keep the levels that parse and say loudly which did not.
		s.log.WithError(err).Error("bad messageDelayLevel")
	}
	s.levels = levels
	s.failing = make([]bool, len(levels))
	return s
}

// parseDelayLevels reads "1s 5s 10s 30s 1m ... 2h": single-space separated, unit the last
// character (s, m, h, d). Entries that do not parse are skipped and reported.
func parseDelayLevels(spec string) ([]time.Duration, error) {
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}
	var out []time.Duration
	var errs []error
	for _, f := range strings.Split(spec, " ") {
		if len(f) < 2 {
			errs = append(errs, fmt.Errorf("level %q", f))
			continue
		}
		u, ok := units[f[len(f)-1]]
		n, err := strconv.ParseInt(f[:len(f)-1], 10, 64)
		if !ok || err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("level %q", f))
			continue
		}
		out = append(out, time.Duration(n)*u)
	}
	return out, errors.Join(errs...)
}

// MaxDelayLevel is the number of configured levels; larger levels are clamped to it.
func (s *scheduleService) MaxDelayLevel() int { return len(s.levels) }

// load reads delayOffset.json (or its .bak) and clamps each offset into the queue's current
// [min, max] range, as 4.9.8's correctDelayOffset does after a store was truncated or cleaned.
func (s *scheduleService) load() error {
	path := s.b.configPath(delayOffsetFile)
	table := map[int32]int64{}
	from, err := store.LoadConfigFile(path, func(data []byte) error {
		var w protocol.DelayOffsetWrapper
		if err := w.Unmarshal(data); err != nil {
			return err
		}
		table = w.OffsetTable
		if table == nil {
			table = map[int32]int64{}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("broker: load %s: %w", path, err)
	}
	st := s.b.store
	for level, off := range table {
		if level < 1 || int(level) > len(s.levels) {
			continue
		}
		qid := level - 1
		lo, hi := st.MinOffsetInQueue(TopicSchedule, qid), st.MaxOffsetInQueue(TopicSchedule, qid)
		if off < lo || off > hi {
			s.log.WithFields(logrus.Fields{"level": level, "offset": off, "min": lo, "max": hi}).
				Warn("delay offset out of the schedule queue's range, corrected")
			off = min(max(off, lo), hi)
			table[level] = off
		}
	}
	s.mu.Lock()
	s.offsets = table
	s.mu.Unlock()
	if from != "" {
		s.log.WithFields(logrus.Fields{"file": from, "levels": len(table)}).Info("delay offsets loaded")
	}
	return nil
}

// persist writes delayOffset.json in fastjson's pretty form.
func (s *scheduleService) persist() error {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	return writeMetaFile(s.b.configPath(delayOffsetFile), protocol.Pretty(s.encode()))
}

func (s *scheduleService) encode() []byte {
	s.mu.Lock()
	w := protocol.DelayOffsetWrapper{OffsetTable: make(map[int32]int64, len(s.offsets))}
	for k, v := range s.offsets {
		w.OffsetTable[k] = v
	}
	s.mu.Unlock()
	return w.Marshal()
}

func (s *scheduleService) offset(level int32) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offsets[level]
}

func (s *scheduleService) setOffset(level int32, off int64) {
	s.mu.Lock()
	s.offsets[level] = off
	s.mu.Unlock()
}

// start loads the offsets and starts one delivery goroutine per level plus the persister.
func (s *scheduleService) start() error {
	if err := s.load(); err != nil {
		return err
	}
	s.stop = make(chan struct{})
	s.running = true
	for i := range s.levels {
		s.wg.Add(1)
		go s.runLevel(int32(i + 1))
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(schedulePersistPeriod)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if err := s.persist(); err != nil {
					s.log.WithError(err).Error("persist delay offsets failed")
				}
			}
		}
	}()
	return nil
}

// shutdown stops delivery, then persists the offsets reached.
func (s *scheduleService) shutdown() {
	if !s.running {
		return
	}
	s.running = false
	close(s.stop)
	s.wg.Wait()
	if err := s.persist(); err != nil {
		s.log.WithError(err).Error("persist delay offsets at shutdown failed")
	}
}

// runLevel delivers the messages of one level in queue order.
func (s *scheduleService) runLevel(level int32) {
	defer s.wg.Done()
	t := time.NewTimer(scheduleFirstDelay)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		t.Reset(s.deliver(level))
	}
}

// deliver makes one pass over a level's queue from its offset: every due message is re-put to
// its real topic and queue; it stops at the first message not due yet and returns how long to
// wait before the next pass.
func (s *scheduleService) deliver(level int32) time.Duration {
	qid := level - 1
	delay := s.levels[qid]
	off := s.offset(level)
	if off == s.b.store.MaxOffsetInQueue(TopicSchedule, qid) {
		return scheduleIdleDelay // nothing new: the common case for idle levels
	}
	r := s.b.store.GetMessage("", TopicSchedule, qid, off, scheduleBatch, 0, nil)
	defer r.Release()
	switch r.Status {
	case store.Found:
	case store.OffsetTooSmall, store.OffsetOverflowBadly, store.OffsetFoundNull, store.NoMatchedMessage:
		// Old files were cleaned or the queue was truncated: continue where the store says
		// the readable messages are.
		if r.NextBeginOffset != off {
			s.log.WithFields(logrus.Fields{"level": level, "offset": off, "next": r.NextBeginOffset,
				"status": r.Status}).Warn("delay offset corrected")
			s.setOffset(level, r.NextBeginOffset)
			return 0
		}
		return scheduleIdleDelay
	default:
		return scheduleIdleDelay
	}
	var v message.View
	for i, rec := range r.Buffers {
		qoff := r.QueueOffsets[i]
		if err := message.Parse(rec, &v); err != nil {
			s.log.WithFields(logrus.Fields{"level": level, "queueOffset": qoff, "err": err}).
				Error("unreadable delayed message skipped")
			s.setOffset(level, qoff+1)
			continue
		}
		now := time.Now().UnixMilli()
		due := v.StoreTimestamp + delay.Milliseconds()
		// A delivery time further ahead than one full delay means the clock went back or the
		// level's delay was shortened: Java delivers such a message now.
		if due > now+delay.Milliseconds() {
			due = now
		}
		if due > now {
			s.setOffset(level, qoff)
			return time.Duration(due-now) * time.Millisecond
		}
		if !s.timeUp(level, qoff, &v) {
			s.setOffset(level, qoff)
			return scheduleIdleDelay
		}
		s.setOffset(level, qoff+1)
	}
	s.setOffset(level, r.NextBeginOffset)
	if r.NextBeginOffset < r.MaxOffset {
		return 0 // more entries already waiting
	}
	return scheduleIdleDelay
}

// timeUp re-puts a due message (Java's messageTimeup): same body, flag, sysFlag, born time
// and host, store host and reconsume times; topic and queue from REAL_TOPIC / REAL_QID. Java
// stores the schedule record's property string unchanged — DELAY, REAL_TOPIC and REAL_QID stay
// (it clears DELAY only from the map its CommitLog checks) — so the put must not act on DELAY.
// It returns false when the put failed and is to be retried; a message that cannot be
// delivered at all is logged and skipped (true).
func (s *scheduleService) timeUp(level int32, qoff int64, v *message.View) bool {
	fields := logrus.Fields{"level": level, "queueOffset": qoff}
	realTopic, ok1 := message.PropertyValue(v.Properties, message.PropertyRealTopic)
	realQID, ok2 := message.PropertyValue(v.Properties, message.PropertyRealQueueID)
	qid, err := strconv.Atoi(string(realQID))
	if !ok1 || !ok2 || err != nil || qid < 0 {
		s.log.WithFields(fields).Error("delayed message without a valid REAL_TOPIC/REAL_QID skipped")
		return true
	}
	if string(realTopic) == TopicTransHalf {
		s.log.WithFields(fields).Error("delayed message for the transaction half topic discarded")
		return true
	}
	// The properties alias the mapped record, which stays pinned until the put has copied it.
	m := message.Msg{
		Topic:          string(realTopic),
		QueueID:        int32(qid),
		Flag:           v.Flag,
		SysFlag:        v.SysFlag,
		BornTimestamp:  v.BornTimestamp,
		BornHost:       v.BornHost,
		StoreHost:      v.StoreHost,
		ReconsumeTimes: v.ReconsumeTimes,
		Body:           v.Body,
		Properties:     v.Properties,
		NoWait:         true, // Java: setWaitStoreMsgOK(false) on the object, not in the string
	}
	res := s.b.store.PutMessageNoDelay(&m)
	if !res.Status.Stored() {
		// Logged once per streak of failures of a level, not ten times a second.
		if !s.failing[level-1] {
			fields["topic"], fields["status"] = m.Topic, res.Status
			s.log.WithFields(fields).Warn("due delayed message not stored, retrying every 100 ms")
		}
		s.failing[level-1] = true
		return false
	}
	if s.failing[level-1] {
		s.failing[level-1] = false
		s.log.WithFields(fields).Info("delayed message delivery resumed")
	}
	var tagsCode int64
	if tags, ok := message.PropertyValue(m.Properties, message.PropertyTags); ok {
		tagsCode = message.TagsCode(tags)
	}
	s.b.data.messageArrived(m.Topic, m.QueueID, res.QueueOffset+1, tagsCode)
	return true
}

// processGetAllDelayOffset serves GET_ALL_DELAY_OFFSET (45): delayOffset.json's content.
func (s *scheduleService) processGetAllDelayOffset(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.Body = s.encode() // Java answers the compact form (encode(false))
	return resp
}

// addScheduleRuntimeInfo adds GET_BROKER_RUNTIME_INFO's scheduleMessageOffset_<level> entries,
// "<delivered up to>,<schedule queue max offset>" per configured level (Java's
// buildRunningStats).
func (b *Broker) addScheduleRuntimeInfo(kv map[string]string) {
	s := b.sem.sched
	if b.store == nil {
		return
	}
	for level := int32(1); int(level) <= len(s.levels); level++ {
		kv["scheduleMessageOffset_"+strconv.Itoa(int(level))] = strconv.FormatInt(s.offset(level), 10) + "," +
			strconv.FormatInt(b.store.MaxOffsetInQueue(TopicSchedule, level-1), 10)
	}
}
