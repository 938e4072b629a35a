package broker

import (
	"container/heap"
	"runtime"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/sirupsen/logrus"
)

// Long polling (Java's PullRequestHoldService). A PULL_MESSAGE that finds nothing new
// (PULL_NOT_FOUND) and carries FLAG_SUSPEND is not answered: it is parked here, keyed by
// topic and queue, until either
//
//   - a message that passes the pull's tag filter, and its SQL92 expression if it has one,
//     arrives on that queue (notifyArriving, called after every successful put), or
//   - its suspend time (suspendTimeoutMillis, or shortPollingTimeMills when long polling is
//     off) runs out, or
//   - the periodic re-check (every 5 s, as Java) sees the queue's max offset beyond the pull's
//     offset — this catches messages written by paths that do not call the hook.
//
// Then the pull runs again with suspension disabled and its answer goes out through
// Channel.Write with the original opaque. Held pulls cost no goroutine: one goroutine keeps a
// deadline heap, and a small fixed pool of workers re-runs the woken pulls off the notifier's
// goroutine. The number of held pulls is bounded (maxHeld); past it a pull is answered at once
// with PULL_NOT_FOUND, which both clients handle by pulling again.

// queueKey names one consume queue without allocating (Java builds "topic@queueId").
type queueKey struct {
	topic string
	qid   int32
}

// heldPull is one suspended PULL_MESSAGE.
type heldPull struct {
	ch       remoting.Channel
	req      *remoting.Command
	key      queueKey
	offset   int64 // the queue offset the pull asked for
	filter   *tagFilter
	sql      *sqlExpr // the pull's SQL92 expression, or nil
	deadline time.Time
	idx      int // index in the deadline heap; -1 once removed
}

// deadlineHeap orders held pulls by deadline, earliest first.
type deadlineHeap []*heldPull

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *deadlineHeap) Push(x any) {
	p := x.(*heldPull)
	p.idx = len(*h)
	*h = append(*h, p)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	n := len(old)
	p := old[n-1]
	old[n-1] = nil
	p.idx = -1
	*h = old[:n-1]
	return p
}

// Defaults of the hold service; Java has no bound at all, we keep one so a flood of idle
// consumers cannot grow memory without limit.
const (
	defaultMaxHeldPulls  = 100000
	holdRecheckInterval  = 5 * time.Second
	holdWakeQueueLength  = 4096
	holdMinWorkers       = 2
	holdWorkersPerCPU    = 2
	holdTimerIdleBackoff = time.Hour
)

// pullHoldService parks suspended pulls; see the comment at the top of this file.
type pullHoldService struct {
	log *logrus.Entry

	mu     sync.Mutex
	queues map[queueKey][]*heldPull
	byTime deadlineHeap
	max    int
	closed bool

	kick chan struct{}    // the earliest deadline changed
	work chan *heldPull   // woken pulls waiting for a worker
	stop chan struct{}    // closed by shutdown
	wg   sync.WaitGroup   // the timer goroutine and the workers
	once sync.Once        // shutdown
	now  func() time.Time // replaced by tests

	// replay re-runs a pull with suspension disabled and writes its answer.
	replay func(h *heldPull)
	// maxOffset is the queue's next offset to be written (store.MaxOffsetInQueue).
	maxOffset func(topic string, qid int32) int64
	recheck   time.Duration
}

func newPullHoldService(log *logrus.Entry, maxHeld int, replay func(*heldPull),
	maxOffset func(string, int32) int64) *pullHoldService {
	if maxHeld <= 0 {
		maxHeld = defaultMaxHeldPulls
	}
	return &pullHoldService{
		log:       log,
		queues:    make(map[queueKey][]*heldPull),
		max:       maxHeld,
		kick:      make(chan struct{}, 1),
		work:      make(chan *heldPull, holdWakeQueueLength),
		stop:      make(chan struct{}),
		now:       time.Now,
		replay:    replay,
		maxOffset: maxOffset,
		recheck:   holdRecheckInterval,
	}
}

// start runs the deadline goroutine and the replay workers.
func (s *pullHoldService) start() {
	n := runtime.GOMAXPROCS(0) * holdWorkersPerCPU
	if n < holdMinWorkers {
		n = holdMinWorkers
	}
	s.wg.Add(n + 1)
	for i := 0; i < n; i++ {
		go s.worker()
	}
	go s.loop()
}

// shutdown stops the goroutines; pulls still held are dropped without an answer, as Java
// does (the clients time out and reconnect to whoever serves next).
func (s *pullHoldService) shutdown() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.queues = make(map[queueKey][]*heldPull)
		s.byTime = nil
		s.mu.Unlock()
		close(s.stop)
		s.wg.Wait()
	})
}

// held reports how many pulls are parked.
func (s *pullHoldService) held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byTime)
}

// hold parks h until timeout. It returns false when the service is full or stopped; the caller
// then answers the pull at once.
func (s *pullHoldService) hold(h *heldPull, timeout time.Duration) bool {
	h.deadline = s.now().Add(timeout)
	s.mu.Lock()
	if s.closed || len(s.byTime) >= s.max {
		s.mu.Unlock()
		return false
	}
	s.queues[h.key] = append(s.queues[h.key], h)
	heap.Push(&s.byTime, h)
	first := h.idx == 0
	s.mu.Unlock()
	if first {
		s.poke()
	}
	return true
}

func (s *pullHoldService) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// wake answers h now if it is still held (a message arrived between the pull's look at the
// queue and its parking, before any notification could find it).
func (s *pullHoldService) wake(h *heldPull) {
	s.mu.Lock()
	if h.idx < 0 {
		s.mu.Unlock()
		return
	}
	heap.Remove(&s.byTime, h.idx)
	s.unlinkLocked(h)
	s.mu.Unlock()
	s.dispatch(h)
}

// notifyArriving wakes the pulls held on topic/qid that asked for an offset below maxOffset
// and whose filter accepts tagsCode and, for an SQL92 pull, whose expression accepts props, the
// new record's properties (nil when the caller does not know them: the pull wakes). matchAll
// skips the filters: the periodic re-check does not know which messages arrived. It is cheap
// when nothing is held on the queue: one map lookup. From the store it runs under the append
// lock, so each SQL92 pull held on the queue adds one evaluation to the put (0.1–1 µs; Java
// pays the same on its dispatch thread); before, each one was woken and re-ran its pull.
func (s *pullHoldService) notifyArriving(topic string, qid int32, maxOffset int64, tagsCode int64, props []byte, matchAll bool) {
	var buf [8]*heldPull
	woken := buf[:0]
	key := queueKey{topic, qid}
	s.mu.Lock()
	list := s.queues[key]
	if len(list) == 0 {
		s.mu.Unlock()
		return
	}
	kept := list[:0]
	for _, h := range list {
		if maxOffset > h.offset && (matchAll || h.filter.matchTagsCode(tagsCode) &&
			(h.sql == nil || props == nil || h.sql.matchProperties(props))) {
			if h.idx >= 0 {
				heap.Remove(&s.byTime, h.idx)
			}
			woken = append(woken, h)
			continue
		}
		kept = append(kept, h)
	}
	for i := len(kept); i < len(list); i++ {
		list[i] = nil
	}
	if len(kept) == 0 {
		delete(s.queues, key)
	} else {
		// Written back under the held pull's own key, not the caller's: assigning replaces a
		// string key, and the caller's topic may alias a request frame the server reuses
		// (a Transient send), while a held pull's request lives as long as it is held.
		s.queues[kept[0].key] = kept
	}
	s.mu.Unlock()
	for _, h := range woken {
		s.dispatch(h)
	}
}

// dispatch hands h to a worker. When all are busy and their queue is full it starts a
// goroutine rather than running the pull on the caller: the notifier may be the store's
// append path, which must not block, and the overflow is bounded by maxHeld anyway.
func (s *pullHoldService) dispatch(h *heldPull) {
	select {
	case s.work <- h:
	case <-s.stop:
	default:
		go s.replay(h)
	}
}

// unlinkLocked removes h from its queue list; s.mu must be held.
func (s *pullHoldService) unlinkLocked(h *heldPull) {
	list := s.queues[h.key]
	for i, x := range list {
		if x == h {
			last := len(list) - 1
			list[i] = list[last]
			list[last] = nil
			list = list[:last]
			break
		}
	}
	if len(list) == 0 {
		delete(s.queues, h.key)
	} else {
		s.queues[h.key] = list
	}
}

func (s *pullHoldService) worker() {
	defer s.wg.Done()
	for {
		select {
		case h := <-s.work:
			s.replay(h)
		case <-s.stop:
			return
		}
	}
}

// loop answers pulls whose time is up and re-checks every held queue periodically.
func (s *pullHoldService) loop() {
	defer s.wg.Done()
	timer := time.NewTimer(holdTimerIdleBackoff)
	defer timer.Stop()
	recheck := time.NewTicker(s.recheck)
	defer recheck.Stop()
	for {
		s.expire()
		s.mu.Lock()
		wait := holdTimerIdleBackoff
		if len(s.byTime) > 0 {
			wait = s.byTime[0].deadline.Sub(s.now())
		}
		s.mu.Unlock()
		if wait < 0 {
			wait = 0
		}
		timer.Reset(wait)
		select {
		case <-s.stop:
			return
		case <-timer.C:
		case <-s.kick:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-recheck.C:
			s.recheckAll()
		}
	}
}

// expire wakes every pull whose deadline has passed.
func (s *pullHoldService) expire() {
	now := s.now()
	for {
		s.mu.Lock()
		if len(s.byTime) == 0 || s.byTime[0].deadline.After(now) {
			s.mu.Unlock()
			return
		}
		h := heap.Pop(&s.byTime).(*heldPull)
		s.unlinkLocked(h)
		s.mu.Unlock()
		s.dispatch(h)
	}
}

// recheckAll compares every held queue with the store's max offset, like Java's 5 s scan.
func (s *pullHoldService) recheckAll() {
	s.mu.Lock()
	keys := make([]queueKey, 0, len(s.queues))
	for k := range s.queues {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	for _, k := range keys {
		s.notifyArriving(k.topic, k.qid, s.maxOffset(k.topic, k.qid), 0, nil, true)
	}
}
