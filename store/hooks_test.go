package store

import (
	"bytes"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
)

type arrival struct {
	topic string
	queue int32
	next  int64
	tags  int64
}

type arrivals struct {
	mu   sync.Mutex
	list []arrival
}

func (a *arrivals) add(topic string, queueID int32, next, tags int64, _ []byte) {
	a.mu.Lock()
	a.list = append(a.list, arrival{topic, queueID, next, tags})
	a.mu.Unlock()
}

func (a *arrivals) take() []arrival {
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.list
	a.list = nil
	return l
}

// TestArrivingListenerProperties: the listener sees each record's stored properties (a held
// SQL92 pull is woken only when they match), including the ones the store adds to a delayed
// message on its way to the schedule topic.
func TestArrivingListenerProperties(t *testing.T) {
	s := mustOpen(t, testConfig(t))
	defer s.Close()
	var seen []string
	s.SetArrivingListener(func(_ string, _ int32, _, _ int64, props []byte) {
		seen = append(seen, string(props)) // a copy: props is only valid during the call
	})
	plain := newMsg("T", 0, "x", "TAGS", "TagA", "a", "7")
	delayed := newMsg("T", 0, "d", "DELAY", "1")
	for _, m := range []*message.Msg{plain, delayed} {
		if r := s.PutMessage(m); r.Status != PutOK {
			t.Fatalf("put: %v %v", r.Status, r.Err)
		}
	}
	wantDelayed := message.AppendProperty(message.AppendProperty(append([]byte(nil), delayed.Properties...),
		message.PropertyRealTopic, "T"), message.PropertyRealQueueID, "0")
	want := []string{string(plain.Properties), string(wantDelayed)}
	if !slices.Equal(seen, want) {
		t.Fatalf("properties seen %q, want %q", seen, want)
	}
}

// TestArrivingListener: every live append that gets a consume-queue unit is reported once, with
// the queue's new max offset and the unit's tags code, whatever the write path; records without
// a unit (half and rollback messages) are not.
func TestArrivingListener(t *testing.T) {
	s := mustOpen(t, testConfig(t))
	defer s.Close()
	var got arrivals
	s.SetArrivingListener(got.add)
	tagA := message.TagsCode("TagA")

	type put struct {
		name string
		do   func() PutResult
		want func(r PutResult) []arrival
	}
	batchBody := func(n int) []byte {
		var b []byte
		for i := 0; i < n; i++ {
			b = message.AppendBatchEntry(b, 0, []byte{byte('a' + i)}, message.AppendProperty(nil, "TAGS", "TagA"))
		}
		return b
	}
	prepared := newMsg("Half", 0, "half")
	prepared.SysFlag = message.ResetTransactionType(0, message.TransactionPreparedType)
	commit := newMsg("Real", 2, "commit", "TAGS", "TagA")
	commit.SysFlag = message.ResetTransactionType(0, message.TransactionCommitType)
	cases := []put{
		{"single", func() PutResult { return s.PutMessage(newMsg("T", 1, "x", "TAGS", "TagA")) },
			func(r PutResult) []arrival { return []arrival{{"T", 1, 1, tagA}} }},
		{"second on the queue", func() PutResult { return s.PutMessage(newMsg("T", 1, "y")) },
			func(r PutResult) []arrival { return []arrival{{"T", 1, 2, 0}} }},
		{"batch", func() PutResult { return s.PutMessages(newMsg("B", 0, ""), batchBody(3)) },
			func(r PutResult) []arrival {
				return []arrival{{"B", 0, 1, tagA}, {"B", 0, 2, tagA}, {"B", 0, 3, tagA}}
			}},
		{"delayed goes to the schedule queue, tagged with its delivery time",
			func() PutResult { return s.PutMessage(newMsg("T", 1, "d", "TAGS", "TagA", "DELAY", "2")) },
			func(r PutResult) []arrival {
				return []arrival{{message.ScheduleTopic, 1, 1, r.StoreTimestamp + 5000}}
			}},
		{"schedule re-put lands in the real queue", func() PutResult {
			return s.PutMessageNoDelay(newMsg("T", 1, "due", "TAGS", "TagA", "DELAY", "2"))
		}, func(r PutResult) []arrival { return []arrival{{"T", 1, 3, tagA}} }},
		{"half message has no unit", func() PutResult { return s.PutMessage(prepared) },
			func(r PutResult) []arrival { return nil }},
		{"transaction commit", func() PutResult { return s.PutMessage(commit) },
			func(r PutResult) []arrival { return []arrival{{"Real", 2, 1, tagA}} }},
	}
	for _, c := range cases {
		r := c.do()
		if r.Status != PutOK {
			t.Fatalf("%s: %v %v", c.name, r.Status, r.Err)
		}
		want := c.want(r)
		if l := got.take(); !equalArrivals(l, want) {
			t.Errorf("%s: arrivals %+v, want %+v", c.name, l, want)
		}
	}

	// A refused put reports nothing.
	if r := s.PutMessage(newMsg("bad/topic", 0, "x")); r.Status != MessageIllegal {
		t.Fatalf("bad topic: %v", r.Status)
	}
	s.SetArrivingListener(nil)
	s.PutMessage(newMsg("T", 1, "z"))
	if l := got.take(); len(l) != 0 {
		t.Errorf("after removal: %+v", l)
	}
}

func equalArrivals(a, b []arrival) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestArrivingListenerWakesReader: the unit is in place when the listener runs, so a reader it
// signals finds the message at once — what a woken long-polling pull relies on.
func TestArrivingListenerWakesReader(t *testing.T) {
	s := mustOpen(t, testConfig(t))
	defer s.Close()
	found := make(chan GetStatus, 8)
	s.SetArrivingListener(func(topic string, queueID int32, next, _ int64, _ []byte) {
		go func() {
			g := s.GetMessage("g", topic, queueID, next-1, 1, 0, nil)
			found <- g.Status
			g.Release()
		}()
	})
	for i := 0; i < 5; i++ {
		s.PutMessage(newMsg("W", 0, "m"))
		select {
		case st := <-found:
			if st != Found {
				t.Fatalf("put %d: reader woken by the listener got %v", i, st)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("listener never ran")
		}
	}
}

// TestPutMessageNoDelay: DELAY is stored as given and not acted on; everything else is checked
// as for PutMessage.
func TestPutMessageNoDelay(t *testing.T) {
	s := mustOpen(t, testConfig(t))
	defer s.Close()
	m := newMsg("Real", 2, "due", "TAGS", "TagA", "DELAY", "3", "REAL_TOPIC", "Real", "REAL_QID", "2")
	r := s.PutMessageNoDelay(m)
	if r.Status != PutOK || r.QueueOffset != 0 {
		t.Fatalf("%v %v offset %d", r.Status, r.Err, r.QueueOffset)
	}
	if n := s.MaxOffsetInQueue(message.ScheduleTopic, 2); n != 0 {
		t.Fatalf("re-delayed: schedule queue holds %d", n)
	}
	g := s.GetMessage("g", "Real", 2, 0, 1, 0, nil)
	defer g.Release()
	if g.Status != Found {
		t.Fatal(g.Status)
	}
	ext, err := message.Decode(g.Buffers[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(ext.Properties), m.Properties) {
		t.Fatalf("properties %q, want exactly %q", ext.Properties, m.Properties)
	}
	// The same message through PutMessage is delayed.
	if r := s.PutMessage(m); r.Status != PutOK || s.MaxOffsetInQueue(message.ScheduleTopic, 2) != 1 {
		t.Fatalf("PutMessage did not delay: %v", r.Status)
	}
	for _, bad := range []*message.Msg{newMsg("", 0, "x"), newMsg("a/b", 0, "x"), newMsg("T", -1, "x")} {
		if r := s.PutMessageNoDelay(bad); r.Status != MessageIllegal {
			t.Errorf("topic %q queue %d: %v", bad.Topic, bad.QueueID, r.Status)
		}
	}
}

// TestOSPageCacheBusy: an append that holds the lock longer than osPageCacheBusyTimeOutMills
// (here made slow by the listener, which runs under it) makes the store report busy and refuse
// other puts with OS_PAGECACHE_BUSY at once; it is quiet again when the append ends.
func TestOSPageCacheBusy(t *testing.T) {
	cfg := testConfig(t)
	cfg.OSPageCacheBusyTimeOutMills = 100
	s := mustOpen(t, cfg)
	defer s.Close()
	if s.IsOSPageCacheBusy() {
		t.Fatal("busy while idle")
	}
	release := make(chan struct{})
	s.SetArrivingListener(func(topic string, _ int32, _, _ int64, _ []byte) {
		if topic == "Slow" {
			<-release
		}
	})
	done := make(chan PutResult, 1)
	go func() { done <- s.PutMessage(newMsg("Slow", 0, "stuck")) }()
	deadline := time.Now().Add(5 * time.Second)
	for !s.IsOSPageCacheBusy() {
		if time.Now().After(deadline) {
			t.Fatal("never busy while an append held the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	r := s.PutMessage(newMsg("Other", 0, "x"))
	if r.Status != OSPageCacheBusy || r.Status.Stored() || r.Err == nil {
		t.Fatalf("put while busy: %v %v", r.Status, r.Err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("refusal took %v: it waited for the lock", el)
	}
	close(release)
	if r := <-done; r.Status != PutOK {
		t.Fatalf("slow put: %v", r.Status)
	}
	if s.IsOSPageCacheBusy() {
		t.Fatal("still busy after the append ended")
	}
	if r := s.PutMessage(newMsg("Other", 0, "y")); r.Status != PutOK || r.QueueOffset != 0 {
		t.Fatalf("put after: %v offset %d", r.Status, r.QueueOffset)
	}
}

// TestCheckInDiskByConsumeOffset: a unit counts as on disk when its record lies more than
// accessMessageInMemoryMaxRatio% of memory behind the commitlog end; missing units do not.
func TestCheckInDiskByConsumeOffset(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	s.memory = 10000 // 40% of it: records more than 4000 bytes behind the end
	var offs []int64
	for i := 0; i < 60; i++ {
		r := s.PutMessage(newMsg("D", 3, "some body of a message"))
		offs = append(offs, r.WroteOffset)
	}
	end := s.CommitLogMaxOffset()
	var onDisk int
	for i, off := range offs {
		want := end-off > 4000
		if want {
			onDisk++
		}
		if got := s.CheckInDiskByConsumeOffset("D", 3, int64(i)); got != want {
			t.Errorf("offset %d (%d behind the end): %v, want %v", i, end-off, got, want)
		}
	}
	if onDisk == 0 || onDisk == len(offs) {
		t.Fatalf("%d of %d on disk: the test does not exercise both sides", onDisk, len(offs))
	}
	for _, c := range []struct {
		topic string
		queue int32
		off   int64
	}{{"D", 3, -1}, {"D", 3, 60}, {"D", 3, 1 << 40}, {"D", 0, 0}, {"Nope", 3, 0}} {
		if s.CheckInDiskByConsumeOffset(c.topic, c.queue, c.off) {
			t.Errorf("%s/%d offset %d: true for a missing unit", c.topic, c.queue, c.off)
		}
	}
	s.memory = 0
	if s.CheckInDiskByConsumeOffset("D", 3, 0) {
		t.Error("unknown memory size: the first record counts as on disk")
	}
}

// TestWaitStore: whether a put waits for the flush follows Java's isWaitStoreMsgOK (no WAIT:
// wait; else Boolean.parseBoolean) unless the broker says NoWait.
func TestWaitStore(t *testing.T) {
	cases := []struct {
		props  []string
		noWait bool
		want   bool
	}{
		{nil, false, true},
		{[]string{"TAGS", "a"}, false, true},
		{[]string{"WAIT", "true"}, false, true},
		{[]string{"WAIT", "TRUE"}, false, true},
		{[]string{"WAIT", "false"}, false, false},
		{[]string{"WAIT", "no"}, false, false},
		{[]string{"WAIT", "true"}, true, false},
		{nil, true, false},
	}
	for _, c := range cases {
		m := newMsg("T", 0, "x", c.props...)
		m.NoWait = c.noWait
		if got := waitStore(m); got != c.want {
			t.Errorf("props %q NoWait %v: wait %v, want %v", c.props, c.noWait, got, c.want)
		}
	}
}

// TestConsumeQueueUnits: units are read from an index to at most the end of the consume-queue
// file holding it (Java's getIndexBuffer); an index outside the queue gives none, a queue the
// store does not have is reported as such.
func TestConsumeQueueUnits(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeConsumeQueue = 4 * cqUnitSize
	s := mustOpen(t, cfg)
	defer s.Close()
	var phys []int64
	for i := 0; i < 6; i++ {
		r := s.PutMessage(newMsg("U", 0, "u", "TAGS", "T"+string(rune('a'+i))))
		if r.Status != PutOK {
			t.Fatal(r.Status)
		}
		phys = append(phys, r.WroteOffset)
	}
	cases := []struct {
		index     int64
		max       int
		want      []int // message numbers
		nilResult bool
	}{
		{0, 10, []int{0, 1, 2, 3}, false}, // stops at the end of the first file
		{2, 1, []int{2}, false},
		{4, 10, []int{4, 5}, false},
		{3, 0, nil, false}, // an existing index, no units asked for: empty, not nil
		{6, 10, nil, true},
		{-1, 10, nil, true},
		{1 << 62, 10, nil, true},
	}
	for _, c := range cases {
		units, exists := s.ConsumeQueueUnits("U", 0, c.index, c.max)
		if !exists || (units == nil) != c.nilResult || len(units) != len(c.want) {
			t.Errorf("index %d max %d: %v (exists %v), want messages %v", c.index, c.max, units, exists, c.want)
			continue
		}
		for i, n := range c.want {
			tag := message.TagsCode("T" + string(rune('a'+n)))
			if units[i].PhysOffset != phys[n] || units[i].TagsCode != tag || units[i].Size <= 0 {
				t.Errorf("index %d unit %d: %+v, want message %d at %d tags %d", c.index, i, units[i], n, phys[n], tag)
			}
		}
	}
	if _, exists := s.ConsumeQueueUnits("U", 1, 0, 1); exists {
		t.Error("queue 1 of U was never written: it should not exist")
	}
}
