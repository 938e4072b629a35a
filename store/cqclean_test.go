package store

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rocketgo/rocketgo/message"
)

// expiredStore builds a store whose commitlog lost its first files, holding:
// Gone/0 and T/0 (every unit points into deleted files), SCHEDULE_TOPIC_XXXX/0 (expired too),
// T/1 (its last units are in the live file) and T/2 (created, no unit).
func expiredStore(t *testing.T) (*Store, Config) {
	t.Helper()
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 4096
	cfg.MappedFileSizeConsumeQueue = 8 * cqUnitSize
	cfg.FileReservedTime = 0
	s := mustOpen(t, cfg)
	put := func(topic string, qid int32) {
		t.Helper()
		if r := s.PutMessage(newMsg(topic, qid, strings.Repeat("x", 300))); r.Status != PutOK {
			t.Fatalf("put %s/%d: %v", topic, qid, r.Status)
		}
	}
	for i := 0; i < 12; i++ {
		put("T", 0)
		put("Gone", 0)
		put(message.ScheduleTopic, 0)
	}
	for s.cl.q.count() < 6 {
		put("T", 1)
	}
	put("T", 1) // at least one unit of T/1 in the file being written
	if _, err := s.findOrCreateCQ("T", 2); err != nil {
		t.Fatal(err)
	}
	s.ExecuteDeleteFilesManually()
	s.CleanNow()
	if n := s.cl.q.count(); n != 1 {
		t.Fatalf("retention left %d commitlog files, want 1", n)
	}
	return s, cfg
}

func TestCleanExpiredConsumeQueues(t *testing.T) {
	s, cfg := expiredStore(t)
	closed := false
	defer func() {
		if !closed {
			s.Close()
		}
	}()
	t1Max := s.MaxOffsetInQueue("T", 1)
	if t1Max < 2 {
		t.Fatalf("T/1 max offset %d", t1Max)
	}

	gone := s.CleanExpiredConsumeQueues()
	want := []QueueInfo{{"Gone", 0, 12, 12}, {"T", 0, 12, 12}}
	if len(gone) != len(want) {
		t.Fatalf("destroyed %+v, want %+v", gone, want)
	}
	for i := range want {
		if gone[i] != want[i] {
			t.Errorf("destroyed[%d] = %+v, want %+v", i, gone[i], want[i])
		}
	}

	cqDir := cfg.ConsumeQueueDir()
	cases := []struct {
		topic string
		qid   int32
		kept  bool
		dir   bool // its directory exists
	}{
		{"Gone", 0, false, false},
		{"T", 0, false, false},
		{"T", 1, true, true},
		{"T", 2, true, false}, // kept in the table; it never had a file
		{message.ScheduleTopic, 0, true, true},
	}
	check := func(stage string) {
		t.Helper()
		for _, c := range cases {
			if got := s.findCQ(c.topic, c.qid) != nil; got != c.kept && !(stage == "reopened" && c.qid == 2) {
				t.Errorf("%s: %s/%d kept=%v, want %v", stage, c.topic, c.qid, got, c.kept)
			}
			_, err := os.Stat(filepath.Join(cqDir, c.topic, strconv.Itoa(int(c.qid))))
			if got := err == nil; got != c.dir {
				t.Errorf("%s: %s/%d directory exists=%v, want %v", stage, c.topic, c.qid, got, c.dir)
			}
		}
		if _, err := os.Stat(filepath.Join(cqDir, "Gone")); err == nil {
			t.Errorf("%s: the directory of a topic without queues is still there", stage)
		}
		for _, tp := range s.Topics() {
			if tp == "Gone" {
				t.Errorf("%s: Topics still lists Gone", stage)
			}
		}
		if got := s.MaxOffsetInQueue("T", 1); got != t1Max {
			t.Errorf("%s: T/1 max offset %d, want %d", stage, got, t1Max)
		}
		g := s.GetMessage("g", "T", 1, t1Max-1, 32, 0, nil)
		if g.Status != Found || len(g.Buffers) != 1 {
			t.Errorf("%s: pull of T/1's last message: %v, %d messages", stage, g.Status, len(g.Buffers))
		}
		g.Release()
	}
	check("cleaned")

	if again := s.CleanExpiredConsumeQueues(); len(again) != 0 {
		t.Errorf("second clean destroyed %+v", again)
	}
	// Java forgets the queue's next offset with it: a new message starts at 0.
	if r := s.PutMessage(newMsg("T", 0, "again")); r.Status != PutOK || r.QueueOffset != 0 {
		t.Fatalf("put to the cleaned queue: %v at offset %d, want offset 0", r.Status, r.QueueOffset)
	}
	cases[1].kept, cases[1].dir = true, true

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	s = mustOpen(t, cfg)
	defer s.Close()
	check("reopened")
	if got := s.MaxOffsetInQueue("T", 0); got != 1 {
		t.Errorf("reopened: T/0 max offset %d, want 1", got)
	}
	if again := s.CleanExpiredConsumeQueues(); len(again) != 0 {
		t.Errorf("clean after reopening destroyed %+v", again)
	}
}

// TestCleanExpiredConsumeQueuesEmptyStore: without commitlog files nothing is judged.
func TestCleanExpiredConsumeQueuesEmptyStore(t *testing.T) {
	s := mustOpen(t, testConfig(t))
	defer s.Close()
	if _, err := s.findOrCreateCQ("T", 0); err != nil {
		t.Fatal(err)
	}
	if gone := s.CleanExpiredConsumeQueues(); len(gone) != 0 {
		t.Errorf("destroyed %+v", gone)
	}
}

// TestCleanExpiredConsumeQueuesConcurrent runs the clean-up while puts and pulls go on (run
// with -race): live queues lose nothing and no put fails.
func TestCleanExpiredConsumeQueuesConcurrent(t *testing.T) {
	s, _ := expiredStore(t)
	defer s.Close()
	start := s.MaxOffsetInQueue("T", 1)
	const n = 200
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			if r := s.PutMessage(newMsg("T", 1, "live")); r.Status != PutOK {
				t.Errorf("put: %v", r.Status)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			g := s.GetMessage("g", "T", 1, start-1, 4, 0, nil)
			if g.Status != Found {
				t.Errorf("pull of T/1 at %d: %v", start-1, g.Status)
			}
			g.Release()
		}
	}()
	for i := 0; i < 20; i++ {
		for _, q := range s.CleanExpiredConsumeQueues() {
			if q.Topic == "T" && q.QueueID == 1 {
				t.Errorf("live queue destroyed: %+v", q)
			}
		}
	}
	wg.Wait()
	if got := s.MaxOffsetInQueue("T", 1); got != start+n {
		t.Errorf("T/1 max offset %d, want %d", got, start+n)
	}
}
