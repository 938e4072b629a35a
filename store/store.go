package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/sirupsen/logrus"
)

// Store is the message store of one broker. All methods are safe for concurrent use.
type Store struct {
	cfg         Config                 // as opened: paths, sizes, role, flush type
	live        atomic.Pointer[Config] // in force: cfg plus what ApplyConfig published (conf)
	lock        *storeLock
	cp          *checkpoint
	cl          commitLog
	gc          groupCommit
	index       IndexBuilder
	delayLevels []int64

	cqMu sync.RWMutex // guards cqs
	cqs  map[queueKey]*ConsumeQueue

	dreq     DispatchRequest // reused by dispatch, under putMu (or single-threaded recovery)
	logicsTs atomic.Int64    // store time of the last record dispatched to a consume queue

	lastExitOK bool
	recovery   RecoveryReport
	diskFull   atomic.Bool
	stopped    atomic.Bool
	stop       chan struct{}
	wg         sync.WaitGroup
	memory     int64 // physical memory, for "in memory" pull limits
	stats      stats
	cleaner    cleaner

	replicator atomic.Pointer[replicatorHolder] // master: the HA service (replica.go)
	replica    replicaState                     // slave: dispatch cursor of replicated data
}

type stats struct {
	putCount, putBytes, getCount, getFound atomic.Int64
}

// Option adjusts Open.
type Option func(*Store)

// WithIndex installs the index hook (the IndexService). It must be given to Open because
// recovery already dispatches to it.
func WithIndex(ix IndexBuilder) Option { return func(s *Store) { s.index = ix } }

// WithDefaultIndex installs an IndexService sized from the config (index/ under the root),
// when messageIndexEnable is true. It keeps its files after a crash (recovery cuts them at the
// recovered commitlog end) instead of Java's rule of dropping files newer than the checkpoint,
// which loses the entries of records older than where recovery starts re-dispatching.
func WithDefaultIndex() Option {
	return func(s *Store) {
		if s.cfg.MessageIndexEnable {
			ic := IndexConfigFrom(&s.cfg)
			ic.KeepOnAbnormalExit = true
			s.index = NewIndexService(ic)
		}
	}
}

// Index returns the index hook (nil without one).
func (s *Store) Index() IndexBuilder { return s.index }

// Open locks the store directory, loads and recovers it, and starts the flush and clean-up
// goroutines. The abort file exists from here until Close.
func Open(cfg Config, opts ...Option) (*Store, error) {
	if cfg.MappedFileSizeCommitLog < 4096 {
		return nil, fmt.Errorf("store: mappedFileSizeCommitLog %d is too small", cfg.MappedFileSizeCommitLog)
	}
	if cfg.EnableConsumeQueueExt {
		return nil, errors.New("store: enableConsumeQueueExt is not supported")
	}
	if strings.Contains(cfg.StorePathCommitLog, ",") {
		return nil, errors.New("store: several storePathCommitLog directories are not supported")
	}
	if err := os.MkdirAll(cfg.StorePathRootDir, 0o755); err != nil {
		return nil, err
	}
	s := &Store{
		cfg:         cfg,
		cqs:         make(map[queueKey]*ConsumeQueue),
		stop:        make(chan struct{}),
		delayLevels: parseDelayLevels(cfg.MessageDelayLevel),
	}
	s.live.Store(&cfg)
	s.cl.warm.window = DefaultWarmWindow // before the options: WithWarmWindow changes it
	for _, o := range opts {
		o(s)
	}
	s.cl.q = newMappedFileQueue(cfg.CommitLogDir(), cfg.MappedFileSizeCommitLog)
	s.cl.q.onCreate = func(from int64) {
		if s.stopped.Load() {
			return
		}
		next := from + int64(cfg.MappedFileSizeCommitLog)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.cl.q.preallocate(next)
		}()
	}
	s.cl.queues = make(map[queueKey]*queueState)
	s.cl.initWarmer()
	s.gc.init()
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		s.memory = int64(si.Totalram) * int64(si.Unit)
	}
	lk, err := lockStore(cfg.LockPath())
	if err != nil {
		return nil, err
	}
	s.lock = lk
	fail := func(err error) (*Store, error) {
		s.stopped.Store(true)
		s.wg.Wait() // a pre-allocation started by recovery
		s.closeFiles()
		if s.cp != nil {
			s.cp.f.Close()
		}
		lk.unlock()
		return nil, err
	}
	if err := s.load(); err != nil {
		return fail(err)
	}
	f, err := os.OpenFile(cfg.AbortPath(), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fail(err)
	}
	f.Close()
	if cfg.FlushDiskType == SyncFlush {
		s.wg.Add(2)
		go s.groupCommitLoop()
		go s.groupCommitTicker()
	} else {
		s.wg.Add(1)
		go s.asyncFlushLoop()
	}
	s.wg.Add(1)
	go s.flushConsumeQueueLoop()
	if s.cl.warm.window > 0 {
		s.wg.Add(1)
		go s.warmLoop()
	}
	s.cleaner.init(s)
	s.wg.Add(1)
	go s.cleaner.loop()
	return s, nil
}

// load maps everything and recovers (Java's load + recover).
func (s *Store) load() error {
	_, err := os.Stat(s.cfg.AbortPath())
	s.lastExitOK = errors.Is(err, os.ErrNotExist)
	if err := s.cl.q.load(); err != nil {
		return err
	}
	if err := s.loadConsumeQueues(); err != nil {
		return err
	}
	cp, err := openCheckpoint(s.cfg.CheckpointPath())
	if err != nil {
		return err
	}
	s.cp = cp
	s.logicsTs.Store(cp.logicsMsgTimestamp.Load())
	if h, ok := s.index.(interface{ SetOnFileFull(func(int64)) }); ok {
		// A full index file moves the checkpoint's indexMsgTimestamp.
		h.SetOnFileFull(s.SetIndexMsgTimestamp)
	}
	if l, ok := s.index.(IndexLoader); ok && s.index != nil {
		if err := l.Load(s.lastExitOK, cp.indexMsgTimestamp.Load()); err != nil {
			return fmt.Errorf("store: load index: %w", err)
		}
	}
	return s.recover()
}

func (s *Store) loadConsumeQueues() error {
	root := s.cfg.ConsumeQueueDir()
	topics, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, t := range topics {
		if !t.IsDir() {
			continue
		}
		qs, err := os.ReadDir(filepath.Join(root, t.Name()))
		if err != nil {
			return err
		}
		for _, q := range qs {
			id, err := strconv.Atoi(q.Name())
			if err != nil || !q.IsDir() {
				continue // Java ignores non-numeric queue dirs
			}
			cq := newConsumeQueue(root, t.Name(), int32(id), s.cfg.cqFileSize())
			if err := cq.q.load(); err != nil {
				return err
			}
			s.cqs[queueKey{t.Name(), int32(id)}] = cq
		}
	}
	return nil
}

// findCQ returns the queue or nil.
func (s *Store) findCQ(topic string, queueID int32) *ConsumeQueue {
	s.cqMu.RLock()
	cq := s.cqs[queueKey{topic, queueID}]
	s.cqMu.RUnlock()
	return cq
}

// PutMayBlock reports whether a put to queueID of topic may wait on more than memory and the
// commitlog's lock: for a flush or a slave (SYNC_FLUSH, SYNC_MASTER; a SLAVE refuses puts
// anyway), or to create the queue's first consume-queue file. The broker runs a send on the
// network event loop only when it may not (remoting.IdleInliner).
func (s *Store) PutMayBlock(topic string, queueID int32) bool {
	if s.cfg.FlushDiskType == SyncFlush || s.cfg.BrokerRole != AsyncMaster {
		return true
	}
	return s.findCQ(topic, queueID) == nil
}

// findOrCreateCQ may be called with a topic string aliasing mapped memory; it copies it
// before keeping it.
func (s *Store) findOrCreateCQ(topic string, queueID int32) (*ConsumeQueue, error) {
	if cq := s.findCQ(topic, queueID); cq != nil {
		return cq, nil
	}
	s.cqMu.Lock()
	defer s.cqMu.Unlock()
	if cq := s.cqs[queueKey{topic, queueID}]; cq != nil {
		return cq, nil
	}
	if badTopicName(topic) {
		return nil, fmt.Errorf("%w: %q", errBadTopic, topic)
	}
	t := string([]byte(topic))
	cq := newConsumeQueue(s.cfg.ConsumeQueueDir(), t, queueID, s.cfg.cqFileSize())
	s.cqs[queueKey{t, queueID}] = cq
	return cq, nil
}

// errBadTopic: the topic cannot name a consume-queue directory.
var errBadTopic = errors.New("store: topic cannot name a directory")

func badTopicName(t string) bool {
	if t == "" || t == "." || t == ".." {
		return true
	}
	for i := 0; i < len(t); i++ {
		if t[i] == '/' || t[i] == 0 {
			return true
		}
	}
	return false
}

func (s *Store) consumeQueues() []*ConsumeQueue {
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	out := make([]*ConsumeQueue, 0, len(s.cqs))
	for _, cq := range s.cqs {
		out = append(out, cq)
	}
	return out
}

// Close stops the background work, flushes everything, writes the checkpoint, removes the
// abort file and releases the lock. Puts after Close fail with SERVICE_NOT_AVAILABLE.
func (s *Store) Close() error {
	if !s.stopped.CompareAndSwap(false, true) {
		return nil
	}
	s.cl.putMu.Lock()
	s.cl.closed = true
	s.cl.putMu.Unlock()
	close(s.stop)
	s.wg.Wait()
	var errs []error
	if _, err := s.cl.q.flush(0); err != nil {
		errs = append(errs, err)
	}
	s.cp.physicMsgTimestamp.Store(s.cl.lastStoreTs)
	s.flushConsumeQueues(0)
	s.cp.logicsMsgTimestamp.Store(s.logicsTs.Load())
	if c, ok := s.index.(IndexCloser); ok && s.index != nil {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.cp.close(); err != nil {
		errs = append(errs, err)
	}
	s.closeFiles()
	if len(errs) == 0 {
		if err := os.Remove(s.cfg.AbortPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.lock.unlock()
	return errors.Join(errs...)
}

func (s *Store) closeFiles() {
	s.cl.q.closeAll()
	for _, cq := range s.consumeQueues() {
		cq.close()
	}
}

// validate applies Java's checks before anything is written.
func (s *Store) validate(m *message.Msg) (PutStatus, error) {
	if s.stopped.Load() {
		return ServiceNotAvailable, errors.New("store: shut down")
	}
	if s.cfg.BrokerRole == Slave {
		return ServiceNotAvailable, errors.New("store: a slave does not accept puts")
	}
	if s.diskFull.Load() {
		return ServiceNotAvailable, errors.New("store: disk full")
	}
	if s.IsOSPageCacheBusy() {
		return OSPageCacheBusy, errPageCacheBusy
	}
	if len(m.Topic) == 0 || len(m.Topic) > 127 {
		return MessageIllegal, fmt.Errorf("store: topic length %d out of range", len(m.Topic))
	}
	if badTopicName(m.Topic) {
		return MessageIllegal, fmt.Errorf("%w: %q", errBadTopic, m.Topic)
	}
	if len(m.Properties) > 32767 {
		return PropertiesSizeExceeded, fmt.Errorf("store: properties are %d bytes", len(m.Properties))
	}
	if len(m.Body) > s.cfg.MaxMessageSize {
		return MessageIllegal, fmt.Errorf("store: body of %d bytes exceeds maxMessageSize %d", len(m.Body), s.cfg.MaxMessageSize)
	}
	if m.QueueID < 0 {
		return MessageIllegal, fmt.Errorf("store: queue id %d", m.QueueID)
	}
	return PutOK, nil
}

// applyDelay reroutes a message with DELAY > 0 to SCHEDULE_TOPIC_XXXX queue level-1, keeping the
// real topic and queue in REAL_TOPIC / REAL_QID, as the 4.9.8 CommitLog put does.
func (s *Store) applyDelay(m *message.Msg) {
	if !queued(m.SysFlag) {
		return
	}
	d, ok := message.PropertyValue(m.Properties, message.PropertyDelayTimeLevel)
	if !ok {
		return
	}
	level, err := strconv.Atoi(string(d))
	if err != nil || level <= 0 || len(s.delayLevels) == 0 {
		return
	}
	if level > len(s.delayLevels) {
		level = len(s.delayLevels)
		// Java clamps the stored DELAY property too.
		props := message.DeleteProperty(append([]byte(nil), m.Properties...), message.PropertyDelayTimeLevel)
		m.Properties = message.AppendProperty(props, message.PropertyDelayTimeLevel, strconv.Itoa(level))
	}
	props := append([]byte(nil), m.Properties...)
	props = message.AppendProperty(props, message.PropertyRealTopic, m.Topic)
	props = message.AppendProperty(props, message.PropertyRealQueueID, strconv.Itoa(int(m.QueueID)))
	m.Properties = props
	m.Topic = message.ScheduleTopic
	m.QueueID = int32(level - 1)
}

// PutMessage stores one message and returns when it is as durable as flushDiskType asks
// (SYNC_FLUSH: after the fdatasync covering it, or FLUSH_DISK_TIMEOUT after syncFlushTimeout).
// The message is readable by GetMessage before PutMessage returns. m is not modified. Call it
// off the network event loop: it blocks.
func (s *Store) PutMessage(m *message.Msg) PutResult { return s.putOne(m, true) }

// afterAppend waits for what the put's durability asks. m's WAIT property only matters under
// SYNC_FLUSH or on a SYNC_MASTER, so an ASYNC put never scans for it.
func (s *Store) afterAppend(res PutResult, m *message.Msg) PutResult {
	if res.Status != PutOK {
		return res
	}
	wait := (s.cfg.FlushDiskType == SyncFlush || s.cfg.BrokerRole == SyncMaster) && waitStore(m)
	switch {
	case s.cfg.FlushDiskType == SyncFlush && wait:
		res.Status = s.waitFlushed(res.WroteOffset + int64(res.WroteBytes))
	case s.cfg.FlushDiskType == SyncFlush || !s.conf().FlushCommitLogTimed:
		// Java wakes the flusher here; with flushCommitLogTimed (the default) the async
		// flusher runs on its clock and a wake-up per put would only cost a context switch.
		s.gc.kick()
	}
	s.replicate(&res, wait)
	return res
}

// PutMessages stores a client batch (SEND_BATCH_MESSAGE): tmpl carries the header fields shared
// by every message (topic, queue, sysFlag, born and store hosts, reconsume times) and, in
// Properties, the batch-level properties appended to each message's own; body is the batch body
// (message.NextBatchEntry). The records are written contiguously with consecutive queue offsets.
func (s *Store) PutMessages(tmpl *message.Msg, body []byte) PutResult {
	t := *tmpl
	t.Body = nil
	if st, err := s.validate(&t); st != PutOK {
		return PutResult{Status: st, Err: err}
	}
	if len(body) > s.cfg.MaxMessageSize {
		return PutResult{Status: MessageIllegal, Err: fmt.Errorf("store: batch of %d bytes exceeds maxMessageSize", len(body))}
	}
	tt := message.TransactionType(t.SysFlag)
	if tt != message.TransactionNotType {
		return PutResult{Status: MessageIllegal, Err: errors.New("store: transactional batch")}
	}
	if _, ok := message.PropertyValue(t.Properties, message.PropertyDelayTimeLevel); ok {
		return PutResult{Status: MessageIllegal, Err: errors.New("store: delayed batch")}
	}
	var n int
	for rest := body; len(rest) > 0; n++ {
		var err error
		if _, rest, err = message.NextBatchEntry(rest); err != nil {
			return PutResult{Status: MessageIllegal, Err: err}
		}
	}
	if n == 0 {
		return PutResult{Status: MessageIllegal, Err: message.ErrBadBatch}
	}
	msgs := make([]message.Msg, 0, n)
	props := make([]byte, 0, len(body)+n*(len(t.Properties)+1))
	for rest := body; len(rest) > 0; {
		e, r, _ := message.NextBatchEntry(rest)
		rest = r
		m := t
		m.Flag = e.Flag
		m.Body = e.Body
		start := len(props)
		props = append(props, e.Properties...)
		if len(t.Properties) > 0 {
			if len(props) > start && props[len(props)-1] != message.PropertySeparator {
				props = append(props, message.PropertySeparator)
			}
			props = append(props, t.Properties...)
		}
		m.Properties = props[start:len(props):len(props)]
		if len(m.Properties) > 32767 {
			return PutResult{Status: PropertiesSizeExceeded, Err: errors.New("store: properties too long")}
		}
		msgs = append(msgs, m)
	}
	res := s.appendLocked(msgs)
	return s.afterAppend(res, tmpl)
}

// GetMessage reads up to maxMsgNums messages of topic/queueID from logical offset offset,
// following Java's DefaultMessageStore.getMessage status and next-offset rules. maxBytes > 0
// adds a byte limit on top of Java's in-memory / on-disk transfer limits. filter may be nil.
// The caller must Release the result.
func (s *Store) GetMessage(group, topic string, queueID int32, offset int64, maxMsgNums, maxBytes int32, filter MessageFilter) *GetResult {
	s.stats.getCount.Add(1)
	// The answer stays on the stack until it is known to hold messages: a pull that finds none
	// (the common case under long polling) allocates only its small result.
	head := GetResult{Status: NoMessageInQueue, NextBeginOffset: offset}
	if s.stopped.Load() {
		return head.escape()
	}
	maxPhy := s.cl.q.maxOffset()
	cq := s.findCQ(topic, queueID)
	if cq == nil {
		head.Status = NoMatchedLogicQueue
		head.NextBeginOffset = s.correct(offset, 0)
		return head.escape()
	}
	minOff, maxOff := cq.MinOffset(), cq.MaxOffset()
	head.MinOffset, head.MaxOffset = minOff, maxOff
	switch {
	case maxOff == 0:
		head.Status = NoMessageInQueue
		head.NextBeginOffset = s.correct(offset, 0)
		return head.escape()
	case offset < minOff:
		head.Status = OffsetTooSmall
		head.NextBeginOffset = s.correct(offset, minOff)
		return head.escape()
	case offset == maxOff:
		head.Status = OffsetOverflowOne
		head.NextBeginOffset = s.correct(offset, offset)
		return head.escape()
	case offset > maxOff:
		head.Status = OffsetOverflowBadly
		head.NextBeginOffset = s.correct(offset, maxOff)
		return head.escape()
	}
	units, uf := cq.unitsFrom(offset)
	if uf == nil {
		head.Status = OffsetFoundNull
		head.NextBeginOffset = s.correct(offset, cq.rollNextFile(offset))
		return head.escape()
	}
	defer uf.Release()
	// A pull returns at most this many messages: its result is sized once (one allocation for
	// the default limit of 32).
	c := s.conf() // one set of limits for the whole pull
	n := max(1, min(int(maxMsgNums), max(c.MaxTransferCountOnMessageInMemory, c.MaxTransferCountOnMessageInDisk)))
	r := head.withRoom(n)
	r.Status = NoMatchedMessage
	const noSkip = int64(-1 << 63)
	nextPhyFileStart := noSkip
	var maxPhyPulling int64
	maxFilter := max(16000, int(maxMsgNums)*cqUnitSize)
	i := 0
	for ; i < len(units) && i < maxFilter; i += cqUnitSize {
		phys, size, tags := readUnit(units[i:])
		maxPhyPulling = phys
		if nextPhyFileStart != noSkip && phys < nextPhyFileStart {
			continue
		}
		if size == blankUnitSize {
			continue
		}
		inDisk := s.memory > 0 && maxPhy-phys > s.memory*int64(c.AccessMessageInMemoryMaxRatio)/100
		if batchFull(c, size, maxMsgNums, maxBytes, r.BufferTotalSize, r.MsgCount, inDisk) {
			break
		}
		if filter != nil && !filter.MatchTagsCode(tags) {
			if r.BufferTotalSize == 0 {
				r.Status = NoMatchedMessage
			}
			continue
		}
		rec, f := s.cl.selectRecord(phys, size)
		if f == nil {
			if r.BufferTotalSize == 0 {
				r.Status = MessageWasRemoving
			}
			nextPhyFileStart = s.cl.rollNextFile(phys)
			continue
		}
		if filter != nil && !filter.MatchRecord(rec) {
			if r.BufferTotalSize == 0 {
				r.Status = NoMatchedMessage
			}
			f.Release()
			continue
		}
		r.Buffers = append(r.Buffers, rec)
		r.QueueOffsets = append(r.QueueOffsets, offset+int64(i/cqUnitSize))
		r.held = append(r.held, f)
		r.MsgCount++
		r.BufferTotalSize += size
		r.Status = Found
		nextPhyFileStart = noSkip
	}
	r.NextBeginOffset = offset + int64(i/cqUnitSize) // Java applies no slave correction here
	if s.memory > 0 {
		r.SuggestPullingFromSlave = maxPhy-maxPhyPulling > s.memory*int64(c.AccessMessageInMemoryMaxRatio)/100
	}
	if r.Status == Found {
		s.stats.getFound.Add(int64(r.MsgCount))
	}
	return r
}

// correct is Java's nextOffsetCorrection: a slave without offsetCheckInSlave keeps the
// requested offset.
func (s *Store) correct(old, corrected int64) int64 {
	if s.cfg.BrokerRole != Slave || s.conf().OffsetCheckInSlave {
		return corrected
	}
	return old
}

// batchFull is Java's isTheBatchFull plus the caller's byte limit.
func batchFull(c *Config, size, maxMsgNums, maxBytes, total, count int32, inDisk bool) bool {
	if total == 0 || count == 0 {
		return false
	}
	if maxMsgNums <= count {
		return true
	}
	if maxBytes > 0 && total+size > maxBytes {
		return true
	}
	if inDisk {
		return int(total+size) > c.MaxTransferBytesOnMessageInDisk || int(count) > c.MaxTransferCountOnMessageInDisk-1
	}
	return int(total+size) > c.MaxTransferBytesOnMessageInMemory || int(count) > c.MaxTransferCountOnMessageInMemory-1
}

// MaxOffsetInQueue is the next logical offset to be written (0 for an unknown queue).
func (s *Store) MaxOffsetInQueue(topic string, queueID int32) int64 {
	if cq := s.findCQ(topic, queueID); cq != nil {
		return cq.MaxOffset()
	}
	return 0
}

// CQUnit is one consume-queue unit: where its record is and the tags code (for
// SCHEDULE_TOPIC_XXXX, the delivery time).
type CQUnit struct {
	PhysOffset int64
	Size       int32
	TagsCode   int64
}

// ConsumeQueueUnits reads up to maxUnits units of a queue from logical offset index on, never past
// the end of the consume-queue file holding index (Java's getIndexBuffer, for mqadmin's
// queryCq). exists is false for a queue the store does not have; units is nil when index is
// not stored.
func (s *Store) ConsumeQueueUnits(topic string, queueID int32, index int64, maxUnits int) (units []CQUnit, exists bool) {
	cq := s.findCQ(topic, queueID)
	if cq == nil {
		return nil, false
	}
	if index < 0 || index >= cq.MaxOffset() { // also keeps index*20 from overflowing
		return nil, true
	}
	b, f := cq.unitsFrom(index)
	if f == nil {
		return nil, true
	}
	defer f.Release()
	units = make([]CQUnit, 0, min(max(maxUnits, 0), len(b)/cqUnitSize))
	for ; len(units) < maxUnits && len(b) >= cqUnitSize; b = b[cqUnitSize:] {
		phys, size, tags := readUnit(b)
		units = append(units, CQUnit{phys, size, tags})
	}
	return units, true
}

// MinOffsetInQueue is the first logical offset still stored (0 for an unknown queue).
func (s *Store) MinOffsetInQueue(topic string, queueID int32) int64 {
	if cq := s.findCQ(topic, queueID); cq != nil {
		return cq.MinOffset()
	}
	return 0
}

// storeTimeAt reads the STORETIMESTAMP of the record a unit points at (-1 if gone).
func (s *Store) storeTimeAt(phys int64, size int32) int64 {
	rec, f := s.cl.selectRecord(phys, size)
	if f == nil {
		return -1
	}
	defer f.Release()
	var v message.View
	if message.Parse(rec, &v) != nil {
		return -1
	}
	return v.StoreTimestamp
}

// GetMessageStoreTimestamp is the store time of the message at a logical offset (-1 if none).
func (s *Store) GetMessageStoreTimestamp(topic string, queueID int32, offset int64) int64 {
	cq := s.findCQ(topic, queueID)
	if cq == nil {
		return -1
	}
	phys, size, _, ok := cq.unitAt(offset)
	if !ok {
		return -1
	}
	return s.storeTimeAt(phys, size)
}

// GetEarliestMessageTime is the store time of the first message of the queue (-1 if none).
func (s *Store) GetEarliestMessageTime(topic string, queueID int32) int64 {
	cq := s.findCQ(topic, queueID)
	if cq == nil {
		return -1
	}
	for off := cq.MinOffset(); off < cq.MaxOffset(); off++ {
		phys, size, _, ok := cq.unitAt(off)
		if !ok {
			return -1
		}
		if size != blankUnitSize {
			return s.storeTimeAt(phys, size)
		}
	}
	return -1
}

// GetOffsetInQueueByTime is Java's ConsumeQueue.getOffsetInQueueByTime: the logical offset of a
// message stored exactly at ts if there is one, else of the nearer of its two neighbours in time
// (the older one on a tie); the last message if all are older, the first if all are newer, 0 for
// an empty or unknown queue. Java confines its binary search to the consume-queue file picked
// by modification time; this searches the whole queue, which gives the same answer whenever
// store times increase along the queue (they do: they are assigned under the append lock).
func (s *Store) GetOffsetInQueueByTime(topic string, queueID int32, ts int64) int64 {
	cq := s.findCQ(topic, queueID)
	if cq == nil {
		return 0
	}
	lo, n := cq.MinOffset(), cq.MaxOffset()-cq.MinOffset()
	if n <= 0 {
		return 0
	}
	timeAt := func(off int64) int64 {
		phys, size, _, ok := cq.unitAt(off)
		if !ok || size == blankUnitSize {
			return -1 // gone: counts as older than anything
		}
		return s.storeTimeAt(phys, size)
	}
	first := int64(sort.Search(int(n), func(i int) bool { return timeAt(lo+int64(i)) >= ts }))
	switch {
	case first < n && timeAt(lo+first) == ts:
		return lo + first
	case first == 0:
		return lo // every message is newer
	case first == n:
		return lo + n - 1 // every message is older
	}
	left, right := timeAt(lo+first-1), timeAt(lo+first)
	if ts-left > right-ts {
		return lo + first
	}
	return lo + first - 1
}

// CommitLogMaxOffset is the end of the commitlog.
func (s *Store) CommitLogMaxOffset() int64 { return s.cl.q.maxOffset() }

// CommitLogMinOffset is the start of the first commitlog segment (-1 if none... 0 when empty).
func (s *Store) CommitLogMinOffset() int64 {
	if m := s.cl.q.minOffset(); m >= 0 {
		return m
	}
	return 0
}

// SelectOneMessageByOffset returns the stored record at a commitlog offset, pinned; nil if
// there is none.
func (s *Store) SelectOneMessageByOffset(commitOffset int64) *SelectResult {
	rec, f := s.cl.selectWhole(commitOffset)
	if f == nil {
		return nil
	}
	return &SelectResult{Offset: commitOffset, Bytes: rec, file: f}
}

// LookMessageByOffset decodes the record at a commitlog offset into a copy.
func (s *Store) LookMessageByOffset(commitOffset int64) (*message.MsgExt, error) {
	rec, f := s.cl.selectWhole(commitOffset)
	if f == nil {
		return nil, fmt.Errorf("store: no message at commitlog offset %d", commitOffset)
	}
	defer f.Release()
	return message.Decode(rec)
}

// QueryResult is what QueryMessage found: records pinned until Release.
type QueryResult struct {
	Buffers             [][]byte
	IndexLastUpdateTime int64
	IndexLastUpdatePhy  int64
	held                []*MappedFile
}

// Release unpins the records.
func (q *QueryResult) Release() {
	for _, f := range q.held {
		f.Release()
	}
	q.held, q.Buffers = nil, nil
}

// QueryMessage looks up records by key (or UNIQ_KEY) within [begin, end] through the index.
// Only key hashes are compared; callers filter by the real keys, as Java clients do.
func (s *Store) QueryMessage(topic, key string, maxNum int, begin, end int64) *QueryResult {
	out := &QueryResult{}
	iq, ok := s.index.(IndexQuerier)
	if !ok || s.index == nil {
		return out
	}
	if limit := s.conf().MaxMsgsNumBatch; maxNum <= 0 || maxNum > limit {
		maxNum = limit
	}
	for _, off := range iq.QueryOffsets(topic, key, maxNum, begin, end) {
		rec, f := s.cl.selectWhole(off)
		if f == nil {
			continue
		}
		out.Buffers = append(out.Buffers, rec)
		out.held = append(out.held, f)
	}
	out.IndexLastUpdateTime = s.logicsTs.Load()
	out.IndexLastUpdatePhy = s.cl.q.maxOffset()
	return out
}

// QueueInfo describes one consume queue.
type QueueInfo struct {
	Topic     string
	QueueID   int32
	MinOffset int64
	MaxOffset int64
}

// Topics lists every topic that has a consume queue.
func (s *Store) Topics() []string {
	s.cqMu.RLock()
	seen := map[string]bool{}
	for k := range s.cqs {
		seen[k.topic] = true
	}
	s.cqMu.RUnlock()
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Queues lists the consume queues, sorted by topic and queue id.
func (s *Store) Queues() []QueueInfo {
	cqs := s.consumeQueues()
	out := make([]QueueInfo, 0, len(cqs))
	for _, cq := range cqs {
		out = append(out, QueueInfo{cq.Topic, cq.QueueID, cq.MinOffset(), cq.MaxOffset()})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].QueueID < out[j].QueueID
	})
	return out
}

// DeleteTopics removes the consume queues (and queue offsets) of the given topics. Their
// commitlog records stay until retention removes them.
func (s *Store) DeleteTopics(topics map[string]bool) int {
	s.cl.putMu.Lock()
	defer s.cl.putMu.Unlock()
	drop := s.removeQueuesLocked(func(k queueKey, _ *ConsumeQueue) bool { return topics[k.topic] })
	for _, cq := range drop {
		logrus.WithFields(logrus.Fields{"topic": cq.Topic, "queueId": cq.QueueID}).Info("store: deleting consume queue")
		cq.destroy()
	}
	return len(drop)
}

// removeQueuesLocked takes every consume queue that match selects out of the store, with its
// next logical offset (a later message to it starts again at 0), and returns them for the
// caller to destroy. putMu must be held, so that no unit is being dispatched to them.
func (s *Store) removeQueuesLocked(match func(k queueKey, cq *ConsumeQueue) bool) []*ConsumeQueue {
	s.cqMu.Lock()
	defer s.cqMu.Unlock()
	var out []*ConsumeQueue
	for k, cq := range s.cqs {
		if match(k, cq) {
			out = append(out, cq)
			delete(s.cqs, k)
			delete(s.cl.queues, k)
		}
	}
	return out
}

// CleanUnusedTopic deletes the consume queues of every topic not in retain (Java skips the
// retry and DLQ topics; so do we).
func (s *Store) CleanUnusedTopic(retain map[string]bool) int {
	del := map[string]bool{}
	for _, t := range s.Topics() {
		if retain[t] || len(t) >= 7 && t[:7] == message.RetryGroupTopicPrefix || len(t) >= 5 && t[:5] == message.DLQGroupTopicPrefix {
			continue
		}
		del[t] = true
	}
	return s.DeleteTopics(del)
}

// Stats are the store's runtime figures (GET_BROKER_RUNTIME_INFO).
type Stats struct {
	PutCount, PutBytes, GetCount, GetFoundMessages int64
	CommitLogMinOffset, CommitLogMaxOffset         int64
	CommitLogDiskRatio                             float64
	ConsumeQueueDiskRatio                          float64
	DispatchBehindBytes                            int64
	LastExitOK                                     bool
	Recovery                                       RecoveryReport
}

// Stats returns a snapshot of the runtime figures.
func (s *Store) Stats() Stats {
	return Stats{
		PutCount:              s.stats.putCount.Load(),
		PutBytes:              s.stats.putBytes.Load(),
		GetCount:              s.stats.getCount.Load(),
		GetFoundMessages:      s.stats.getFound.Load(),
		CommitLogMinOffset:    s.CommitLogMinOffset(),
		CommitLogMaxOffset:    s.CommitLogMaxOffset(),
		CommitLogDiskRatio:    diskRatio(s.cfg.CommitLogDir()),
		ConsumeQueueDiskRatio: diskRatio(s.cfg.ConsumeQueueDir()),
		LastExitOK:            s.lastExitOK,
		Recovery:              s.recovery,
	}
}

// Config returns the configuration in force: the one the store was opened with and the live
// keys ApplyConfig changed since.
func (s *Store) Config() Config { return *s.conf() }

// conf is the configuration in force, for the keys Java's store reads at each use.
func (s *Store) conf() *Config { return s.live.Load() }

// ApplyConfig takes the keys that Java's MessageStoreConfig lets an UPDATE_BROKER_CONFIG
// change on a running store, because its services read them at each use: retention
// (deleteWhen, fileReservedTime, diskMaxUsedSpaceRatio, cleanFileForciblyEnable),
// flushing (the commitlog's and consume queues' intervals,
// least pages and thorough intervals, flushCommitLogTimed), pull sizes (maxTransfer*,
// accessMessageInMemoryMaxRatio), maxMsgsNumBatch, osPageCacheBusyTimeOutMills and
// offsetCheckInSlave. Every other key keeps its value from Open (paths, file sizes, role,
// flush type, index shape): those take effect on the next start. The keys are published
// together, so a reader sees the old set or the new one.
func (s *Store) ApplyConfig(c Config) {
	next := *s.conf()
	next.DeleteWhen = c.DeleteWhen
	next.FileReservedTime = c.FileReservedTime
	next.DiskMaxUsedSpaceRatio = c.DiskMaxUsedSpaceRatio
	next.CleanFileForciblyEnable = c.CleanFileForciblyEnable
	next.FlushIntervalCommitLog = c.FlushIntervalCommitLog
	next.FlushCommitLogTimed = c.FlushCommitLogTimed
	next.FlushCommitLogLeastPages = c.FlushCommitLogLeastPages
	next.FlushCommitLogThoroughInterval = c.FlushCommitLogThoroughInterval
	next.FlushIntervalConsumeQueue = c.FlushIntervalConsumeQueue
	next.FlushConsumeQueueLeastPages = c.FlushConsumeQueueLeastPages
	next.FlushConsumeQueueThoroughInterval = c.FlushConsumeQueueThoroughInterval
	next.MaxTransferBytesOnMessageInMemory = c.MaxTransferBytesOnMessageInMemory
	next.MaxTransferCountOnMessageInMemory = c.MaxTransferCountOnMessageInMemory
	next.MaxTransferBytesOnMessageInDisk = c.MaxTransferBytesOnMessageInDisk
	next.MaxTransferCountOnMessageInDisk = c.MaxTransferCountOnMessageInDisk
	next.AccessMessageInMemoryMaxRatio = c.AccessMessageInMemoryMaxRatio
	next.MaxMsgsNumBatch = c.MaxMsgsNumBatch
	next.OSPageCacheBusyTimeOutMills = c.OSPageCacheBusyTimeOutMills
	next.OffsetCheckInSlave = c.OffsetCheckInSlave
	s.live.Store(&next)
	if b, ok := s.index.(interface{ SetMaxMsgsNumBatch(int) }); ok {
		b.SetMaxMsgsNumBatch(next.MaxMsgsNumBatch)
	}
}

// SetIndexMsgTimestamp records the end time of an index file that filled up (the index
// service calls it on roll); it is written with the next checkpoint.
func (s *Store) SetIndexMsgTimestamp(ts int64) { s.cp.indexMsgTimestamp.Store(ts) }

// IsDiskFull reports whether puts are refused because the disk is above the warning ratio.
func (s *Store) IsDiskFull() bool { return s.diskFull.Load() }

// Now is the store clock (ms), used for store timestamps.
func Now() int64 { return time.Now().UnixMilli() }
