package broker

import (
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/rocketgo/rocketgo/message"
	"github.com/sirupsen/logrus"
)

// replayRecorder collects the held pulls the service hands back.
type replayRecorder struct {
	mu   sync.Mutex
	got  []*heldPull
	when []time.Time
	ch   chan *heldPull
}

func newReplayRecorder() *replayRecorder { return &replayRecorder{ch: make(chan *heldPull, 64)} }

func (r *replayRecorder) replay(h *heldPull) {
	r.mu.Lock()
	r.got = append(r.got, h)
	r.when = append(r.when, time.Now())
	r.mu.Unlock()
	r.ch <- h
}

func (r *replayRecorder) wait(t *testing.T, d time.Duration) *heldPull {
	t.Helper()
	select {
	case h := <-r.ch:
		return h
	case <-time.After(d):
		t.Fatalf("no held pull answered within %v", d)
		return nil
	}
}

func (r *replayRecorder) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case h := <-r.ch:
		t.Fatalf("held pull %v@%d answered unexpectedly", h.key.topic, h.offset)
	case <-time.After(d):
	}
}

func newTestHold(t *testing.T, maxHeld int, maxOffset func(string, int32) int64) (*pullHoldService, *replayRecorder) {
	t.Helper()
	rec := newReplayRecorder()
	if maxOffset == nil {
		maxOffset = func(string, int32) int64 { return 0 }
	}
	s := newPullHoldService(logrus.NewEntry(logrus.StandardLogger()), maxHeld, rec.replay, maxOffset)
	s.start()
	t.Cleanup(s.shutdown)
	return s, rec
}

func TestHoldWakesOnMatchingArrival(t *testing.T) {
	tagA := parseTagExpression("TagA")
	sql, err := compileSQL92("a > 5")
	if err != nil {
		t.Fatal(err)
	}
	props := func(kv ...string) []byte {
		var p []byte
		for i := 0; i+1 < len(kv); i += 2 {
			p = message.AppendProperty(p, kv[i], kv[i+1])
		}
		return p
	}
	tests := []struct {
		name      string
		filter    *tagFilter
		sql       *sqlExpr
		arrive    int64 // new max offset
		tagsCode  int64
		props     []byte
		matchAll  bool
		wantWoken bool
	}{
		{"matching tag", tagA, nil, 6, int64(tagA.codes[0]), nil, false, true},
		{"other tag stays held", tagA, nil, 6, 12345, nil, false, false},
		{"subscribe all", matchAllFilter, nil, 6, 12345, nil, false, true},
		{"offset not beyond the pull", matchAllFilter, nil, 5, 0, nil, true, false},
		{"periodic re-check ignores tags", tagA, nil, 6, 0, nil, true, true},
		{"SQL92 matching properties", matchAllFilter, sql, 6, 0, props("TAGS", "x", "a", "7"), false, true},
		{"SQL92 other properties stay held", matchAllFilter, sql, 6, 0, props("a", "3"), false, false},
		{"SQL92 property absent stays held", matchAllFilter, sql, 6, 0, props("b", "9"), false, false},
		{"SQL92, properties unknown to the caller", matchAllFilter, sql, 6, 0, nil, false, true},
		{"SQL92 periodic re-check", matchAllFilter, sql, 6, 0, nil, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, rec := newTestHold(t, 0, nil)
			h := &heldPull{key: queueKey{"T", 1}, offset: 5, filter: tc.filter, sql: tc.sql}
			if !s.hold(h, time.Minute) {
				t.Fatal("hold refused")
			}
			// An arrival on another queue of the same topic never wakes it.
			s.notifyArriving("T", 2, 100, 0, nil, true)
			s.notifyArriving(tc.name+"-other-topic", 1, 100, 0, nil, true)
			s.notifyArriving("T", 1, tc.arrive, tc.tagsCode, tc.props, tc.matchAll)
			if tc.wantWoken {
				if got := rec.wait(t, time.Second); got != h {
					t.Fatalf("woke %p, want %p", got, h)
				}
				if n := s.held(); n != 0 {
					t.Fatalf("held after wake-up = %d, want 0", n)
				}
			} else {
				rec.none(t, 100*time.Millisecond)
				if n := s.held(); n != 1 {
					t.Fatalf("held = %d, want 1", n)
				}
			}
		})
	}
}

func TestHoldAnswersAtTimeout(t *testing.T) {
	s, rec := newTestHold(t, 0, nil)
	start := time.Now()
	short := &heldPull{key: queueKey{"T", 0}, offset: 0, filter: matchAllFilter}
	long := &heldPull{key: queueKey{"T", 0}, offset: 0, filter: matchAllFilter}
	s.hold(long, 600*time.Millisecond)
	s.hold(short, 200*time.Millisecond)
	if got := rec.wait(t, 2*time.Second); got != short {
		t.Fatal("the shorter timeout must be answered first")
	}
	if el := time.Since(start); el < 190*time.Millisecond || el > time.Second {
		t.Fatalf("short pull answered after %v, want about 200ms", el)
	}
	if got := rec.wait(t, 2*time.Second); got != long {
		t.Fatal("second answer is not the long pull")
	}
	if el := time.Since(start); el < 590*time.Millisecond || el > 2*time.Second {
		t.Fatalf("long pull answered after %v, want about 600ms", el)
	}
}

func TestHoldPeriodicRecheck(t *testing.T) {
	var mu sync.Mutex
	max := int64(3)
	rec := newReplayRecorder()
	s := newPullHoldService(logrus.NewEntry(logrus.StandardLogger()), 0, rec.replay, func(string, int32) int64 {
		mu.Lock()
		defer mu.Unlock()
		return max
	})
	s.recheck = 50 * time.Millisecond
	s.start()
	t.Cleanup(s.shutdown)
	h := &heldPull{key: queueKey{"T", 0}, offset: 3, filter: parseTagExpression("X")}
	s.hold(h, time.Minute)
	rec.none(t, 150*time.Millisecond)
	mu.Lock()
	max = 4 // a message arrived through a path that did not call the hook
	mu.Unlock()
	if got := rec.wait(t, time.Second); got != h {
		t.Fatal("re-check did not wake the pull")
	}
}

func TestHoldBounded(t *testing.T) {
	s, _ := newTestHold(t, 3, nil)
	for i := 0; i < 3; i++ {
		if !s.hold(&heldPull{key: queueKey{"T", 0}, filter: matchAllFilter}, time.Minute) {
			t.Fatalf("hold %d refused below the bound", i)
		}
	}
	if s.hold(&heldPull{key: queueKey{"T", 0}, filter: matchAllFilter}, time.Minute) {
		t.Fatal("hold beyond the bound accepted")
	}
	s.shutdown()
	if s.hold(&heldPull{key: queueKey{"T", 0}, filter: matchAllFilter}, time.Minute) {
		t.Fatal("hold after shutdown accepted")
	}
}

func TestTagFilter(t *testing.T) {
	tests := []struct {
		expr string
		tags string
		want bool
	}{
		{"*", "anything", true},
		{"", "anything", true},
		{"TagA", "TagA", true},
		{"TagA", "TagB", false},
		{"TagA || TagB", "TagB", true},
		{" TagA ||  ||TagC ", "TagC", true},
		{"TagA||TagB", "TagC", false},
		{"TagA", "", false}, // untagged messages have tags code 0
	}
	for _, tc := range tests {
		f := parseTagExpression(tc.expr)
		code := int64(0)
		if tc.tags != "" {
			code = int64(javaHashForTest(tc.tags))
		}
		if got := f.matchTagsCode(code); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.expr, tc.tags, got, tc.want)
		}
	}
	// Only the low 32 bits of the consume-queue tags code count, as Java's intValue().
	f := parseTagExpression("TagA")
	if !f.matchTagsCode(int64(f.codes[0]) + 1<<32) {
		t.Error("high bits of the tags code must be ignored")
	}
}

func javaHashForTest(s string) int32 {
	var h int32
	for _, r := range s { // ASCII only in these tests
		h = 31*h + int32(r)
	}
	return h
}

func BenchmarkNotifyArrivingNoHolds(b *testing.B) {
	s := newPullHoldService(logrus.NewEntry(logrus.StandardLogger()), 0, func(*heldPull) {},
		func(string, int32) int64 { return 0 })
	s.hold(&heldPull{key: queueKey{"Other", 0}, filter: matchAllFilter}, time.Hour)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.notifyArriving("T", 1, int64(i), 0, nil, false)
	}
}

func TestHoldWakeOne(t *testing.T) {
	s, rec := newTestHold(t, 0, nil)
	a := &heldPull{key: queueKey{"T", 0}, offset: 1, filter: matchAllFilter}
	b := &heldPull{key: queueKey{"T", 0}, offset: 1, filter: matchAllFilter}
	s.hold(a, time.Minute)
	s.hold(b, time.Minute)
	s.wake(a)
	if got := rec.wait(t, time.Second); got != a {
		t.Fatal("wake answered the wrong pull")
	}
	rec.none(t, 50*time.Millisecond)
	if n := s.held(); n != 1 {
		t.Fatalf("held = %d, want 1", n)
	}
	s.wake(a) // already answered: nothing happens
	rec.none(t, 50*time.Millisecond)
}

// TestHoldKeyOutlivesCallersTopic: an arrival that wakes one pull of a queue and keeps another
// must not leave the queue filed under the caller's topic string, which may alias a request
// frame the server reuses (a Transient send): after that memory changes, the kept pull must
// still be found by its topic.
func TestHoldKeyOutlivesCallersTopic(t *testing.T) {
	s, rec := newTestHold(t, 0, nil)
	low := &heldPull{key: queueKey{"T", 1}, offset: 5, filter: matchAllFilter}
	high := &heldPull{key: queueKey{"T", 1}, offset: 50, filter: matchAllFilter}
	for _, h := range []*heldPull{low, high} {
		if !s.hold(h, time.Minute) {
			t.Fatal("hold refused")
		}
	}
	frame := []byte("T")
	s.notifyArriving(unsafe.String(&frame[0], 1), 1, 6, 0, nil, true) // wakes low only
	if got := rec.wait(t, time.Second); got != low {
		t.Fatalf("woke %p, want the low pull %p", got, low)
	}
	frame[0] = 0xEE // the frame is reused
	s.notifyArriving("T", 1, 51, 0, nil, true)
	if got := rec.wait(t, time.Second); got != high {
		t.Fatalf("woke %p, want the high pull %p", got, high)
	}
}
