package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
)

type tagFilter struct{ code int64 }

func (f tagFilter) MatchTagsCode(c int64) bool { return c == f.code }
func (f tagFilter) MatchRecord([]byte) bool    { return true }

func TestGetMessageStatusRules(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	for i := 0; i < 10; i++ {
		tag := "TagA"
		if i >= 5 {
			tag = "TagB"
		}
		if r := s.PutMessage(newMsg("T", 0, fmt.Sprint("m", i), "TAGS", tag)); r.Status != PutOK {
			t.Fatal(r.Status)
		}
	}
	if _, err := s.findOrCreateCQ("Empty", 0); err != nil {
		t.Fatal(err)
	}
	tagB := tagFilter{message.TagsCode("TagB")}
	tagC := tagFilter{message.TagsCode("TagC")}
	cases := []struct {
		name      string
		topic     string
		offset    int64
		max       int32
		filter    MessageFilter
		status    GetStatus
		next      int64
		count     int32
		firstBody string
	}{
		{"unknown queue", "Nope", 0, 32, nil, NoMatchedLogicQueue, 0, 0, ""},
		{"unknown queue offset 7", "Nope", 7, 32, nil, NoMatchedLogicQueue, 0, 0, ""},
		{"empty queue", "Empty", 3, 32, nil, NoMessageInQueue, 0, 0, ""},
		{"from start", "T", 0, 32, nil, Found, 10, 10, "m0"},
		{"middle", "T", 4, 32, nil, Found, 10, 6, "m4"},
		{"max msgs", "T", 2, 3, nil, Found, 5, 3, "m2"},
		{"last one", "T", 9, 32, nil, Found, 10, 1, "m9"},
		{"at max", "T", 10, 32, nil, OffsetOverflowOne, 10, 0, ""},
		{"past max", "T", 15, 32, nil, OffsetOverflowBadly, 10, 0, ""},
		{"tag filter", "T", 0, 32, tagB, Found, 10, 5, "m5"},
		{"tag filter none", "T", 0, 32, tagC, NoMatchedMessage, 10, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := s.GetMessage("g", c.topic, 0, c.offset, c.max, 0, c.filter)
			defer g.Release()
			if g.Status != c.status || g.NextBeginOffset != c.next || g.MsgCount != c.count || len(g.Buffers) != int(c.count) {
				t.Fatalf("got %v next %d count %d, want %v next %d count %d", g.Status, g.NextBeginOffset, g.MsgCount, c.status, c.next, c.count)
			}
			if c.count > 0 {
				m, err := message.Decode(g.Buffers[0])
				if err != nil || string(m.Body) != c.firstBody {
					t.Fatalf("first %v %v", m, err)
				}
			}
		})
	}
	// maxBytes limits the batch, but one message always comes back.
	g := s.GetMessage("g", "T", 0, 0, 32, 1, nil)
	if g.Status != Found || g.MsgCount != 1 || g.NextBeginOffset != 1 {
		t.Fatalf("maxBytes: %v %d %d", g.Status, g.MsgCount, g.NextBeginOffset)
	}
	g.Release()
	// maxTransferCountOnMessageInMemory (32 by default) caps a pull.
	for i := 0; i < 40; i++ {
		s.PutMessage(newMsg("Many", 0, "x"))
	}
	g = s.GetMessage("g", "Many", 0, 0, 64, 0, nil)
	if g.MsgCount != 32 || g.NextBeginOffset != 32 {
		t.Fatalf("transfer count cap: %d next %d", g.MsgCount, g.NextBeginOffset)
	}
	g.Release()
	if s.MaxOffsetInQueue("T", 0) != 10 || s.MinOffsetInQueue("T", 0) != 0 || s.MaxOffsetInQueue("Nope", 0) != 0 {
		t.Fatal("min/max")
	}
}

// TestSlaveKeepsRequestedOffset: a slave without offsetCheckInSlave corrects nothing.
func TestSlaveKeepsRequestedOffset(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	s.PutMessage(newMsg("T", 0, "a"))
	s.Close()
	cfg.BrokerRole = Slave
	s = mustOpen(t, cfg)
	defer s.Close()
	for _, off := range []int64{5, 9} {
		g := s.GetMessage("g", "T", 0, off, 32, 0, nil)
		if g.Status != OffsetOverflowBadly || g.NextBeginOffset != off {
			t.Fatalf("slave: %v next %d", g.Status, g.NextBeginOffset)
		}
	}
	if r := s.PutMessage(newMsg("T", 0, "a")); r.Status != ServiceNotAvailable {
		t.Fatalf("slave put: %v", r.Status)
	}
}

func TestTimeQueries(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	var times []int64
	for i := 0; i < 20; i++ {
		r := s.PutMessage(newMsg("T", 0, "x"))
		times = append(times, r.StoreTimestamp)
		if i%5 == 4 {
			waitNextMilli(r.StoreTimestamp)
		}
	}
	if got := s.GetEarliestMessageTime("T", 0); got != times[0] {
		t.Fatalf("earliest %d want %d", got, times[0])
	}
	if got := s.GetMessageStoreTimestamp("T", 0, 7); got != times[7] {
		t.Fatalf("store ts %d want %d", got, times[7])
	}
	for i, ts := range times {
		got := s.GetOffsetInQueueByTime("T", 0, ts)
		// The first offset stored at or after ts.
		want := int64(i)
		for want > 0 && times[want-1] >= ts {
			want--
		}
		if got != want {
			t.Fatalf("by time %d: %d want %d", ts, got, want)
		}
	}
	// As Java: all older gives the last message, not the max offset.
	if got := s.GetOffsetInQueueByTime("T", 0, times[19]+10000); got != 19 {
		t.Fatalf("future: %d", got)
	}
	if got := s.GetOffsetInQueueByTime("Nope", 0, 1); got != 0 {
		t.Fatalf("unknown queue: %d", got)
	}
	if got := s.GetOffsetInQueueByTime("T", 0, 0); got != 0 {
		t.Fatalf("past: %d", got)
	}
}

func waitNextMilli(ts int64) {
	for Now() <= ts {
	}
}

func TestPutValidation(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxMessageSize = 1024
	s := mustOpen(t, cfg)
	defer s.Close()
	cases := []struct {
		name string
		m    *message.Msg
		want PutStatus
	}{
		{"ok", newMsg("T", 0, "x"), PutOK},
		{"body too big", newMsg("T", 0, strings.Repeat("x", 1025)), MessageIllegal},
		{"topic too long", newMsg(strings.Repeat("t", 128), 0, "x"), MessageIllegal},
		{"no topic", newMsg("", 0, "x"), MessageIllegal},
		{"slash topic", newMsg("a/b", 0, "x"), MessageIllegal},
		{"props too long", newMsg("T", 0, "x", "K", strings.Repeat("v", 40000)), PropertiesSizeExceeded},
	}
	for _, c := range cases {
		if r := s.PutMessage(c.m); r.Status != c.want {
			t.Errorf("%s: %v want %v (%v)", c.name, r.Status, c.want, r.Err)
		}
	}
	if s.CommitLogMaxOffset() != int64(message.RecordLen(newMsg("T", 0, "x"))) {
		t.Fatal("a refused put wrote something")
	}
}

func TestDelayRewrite(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	m := newMsg("Real", 3, "later", "TAGS", "TagA", "DELAY", "2")
	r := s.PutMessage(m)
	if r.Status != PutOK || r.QueueOffset != 0 {
		t.Fatal(r)
	}
	if m.Topic != "Real" {
		t.Fatal("caller's message modified")
	}
	g := s.GetMessage("g", message.ScheduleTopic, 1, 0, 1, 0, nil)
	defer g.Release()
	if g.Status != Found {
		t.Fatal(g.Status)
	}
	ext, _ := message.Decode(g.Buffers[0])
	if ext.Property(message.PropertyRealTopic) != "Real" || ext.Property(message.PropertyRealQueueID) != "3" || ext.Property("DELAY") != "2" {
		t.Fatalf("props %q", ext.Properties)
	}
	cq := s.findCQ(message.ScheduleTopic, 1)
	_, _, tags, _ := cq.unitAt(0)
	if tags != ext.StoreTimestamp+5000 {
		t.Fatalf("schedule tags code %d want store+5000 = %d", tags, ext.StoreTimestamp+5000)
	}
	// Levels above the max are clamped.
	s.PutMessage(newMsg("Real", 0, "x", "DELAY", "99"))
	if s.MaxOffsetInQueue(message.ScheduleTopic, 17) != 1 {
		t.Fatal("level 99 not clamped to 18")
	}
}

// TestOffsetByTimeNearest: between two store times the nearer message wins, the older on a tie.
func TestOffsetByTimeNearest(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	a := s.PutMessage(newMsg("N", 0, "a")).StoreTimestamp
	time.Sleep(30 * time.Millisecond)
	b := s.PutMessage(newMsg("N", 0, "b")).StoreTimestamp
	if b-a < 20 {
		t.Skip("clock too coarse")
	}
	cases := []struct {
		ts   int64
		want int64
	}{
		{a, 0}, {b, 1}, {a + 1, 0}, {b - 1, 1}, {a + (b-a)/2, 0}, {a - 100, 0}, {b + 100, 1},
	}
	if (b-a)%2 == 1 {
		cases[4].want = 0 // a+(b-a)/2 is nearer a
	}
	for _, c := range cases {
		if got := s.GetOffsetInQueueByTime("N", 0, c.ts); got != c.want {
			t.Errorf("ts %+d: %d want %d", c.ts-a, got, c.want)
		}
	}
}
