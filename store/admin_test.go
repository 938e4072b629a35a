package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
)

func TestTopicsDeleteAndStats(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	for _, tp := range []string{"A", "B", "%RETRY%g", "%DLQ%g"} {
		for q := int32(0); q < 2; q++ {
			s.PutMessage(newMsg(tp, q, "x"))
		}
	}
	if got := strings.Join(s.Topics(), ","); got != "%DLQ%g,%RETRY%g,A,B" {
		t.Fatalf("topics %s", got)
	}
	if qs := s.Queues(); len(qs) != 8 || qs[4].Topic != "A" || qs[4].MaxOffset != 1 {
		t.Fatalf("queues %+v", qs)
	}
	if n := s.DeleteTopics(map[string]bool{"A": true}); n != 2 {
		t.Fatalf("deleted %d queues", n)
	}
	if _, err := os.Stat(filepath.Join(cfg.ConsumeQueueDir(), "A")); !os.IsNotExist(err) {
		t.Fatal("queue directory of a deleted topic remains")
	}
	if g := s.GetMessage("g", "A", 0, 0, 1, 0, nil); g.Status != NoMatchedLogicQueue {
		t.Fatalf("deleted topic: %v", g.Status)
	}
	// A deleted topic starts again from offset 0.
	if r := s.PutMessage(newMsg("A", 0, "again")); r.QueueOffset != 0 {
		t.Fatalf("queue offset after delete %d", r.QueueOffset)
	}
	// Retry and DLQ topics survive CleanUnusedTopic.
	if n := s.CleanUnusedTopic(map[string]bool{"B": true}); n != 1 {
		t.Fatalf("CleanUnusedTopic removed %d", n)
	}
	if got := strings.Join(s.Topics(), ","); got != "%DLQ%g,%RETRY%g,B" {
		t.Fatalf("after clean: %s", got)
	}
	g := s.GetMessage("g", "B", 0, 0, 1, 0, nil)
	g.Release()
	st := s.Stats()
	if st.PutCount != 9 || st.GetCount == 0 || st.GetFoundMessages != 1 || st.CommitLogMaxOffset != s.CommitLogMaxOffset() ||
		st.CommitLogDiskRatio <= 0 || !st.LastExitOK {
		t.Fatalf("stats %+v", st)
	}
}

func TestTransactionTypes(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	cases := []struct {
		name       string
		sysFlag    int32
		dispatched bool
	}{
		{"not", message.TransactionNotType, true},
		{"prepared", message.TransactionPreparedType, false},
		{"commit", message.TransactionCommitType, true},
		{"rollback", message.TransactionRollbackType, false},
	}
	for _, c := range cases {
		before := s.MaxOffsetInQueue("Tx", 0)
		m := newMsg("Tx", 0, c.name)
		m.SysFlag = c.sysFlag
		r := s.PutMessage(m)
		if r.Status != PutOK {
			t.Fatal(r.Status)
		}
		after := s.MaxOffsetInQueue("Tx", 0)
		if c.dispatched != (after == before+1) || (!c.dispatched && r.QueueOffset != 0) {
			t.Fatalf("%s: queue %d -> %d, queue offset %d", c.name, before, after, r.QueueOffset)
		}
		ext, err := s.LookMessageByOffset(r.WroteOffset)
		if err != nil || string(ext.Body) != c.name || ext.SysFlag != c.sysFlag {
			t.Fatalf("%s: %v %v", c.name, ext, err)
		}
	}
}

// TestAsyncFlushPolicy: small writes wait for flushCommitLogLeastPages or the thorough interval;
// a put never waits for the disk.
func TestAsyncFlushPolicy(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 1 << 20
	cfg.FlushIntervalCommitLog = 10
	cfg.FlushCommitLogLeastPages = 4
	cfg.FlushCommitLogThoroughInterval = 600
	s := mustOpen(t, cfg)
	defer s.Close()
	s.PutMessage(newMsg("F", 0, "small"))
	time.Sleep(60 * time.Millisecond)
	if fl := s.cl.q.flushedWhere.Load(); fl != 0 {
		t.Fatalf("one small record flushed before 4 pages (at %d)", fl)
	}
	deadline := time.Now().Add(2 * time.Second)
	for s.cl.q.flushedWhere.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("thorough flush never came")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Four pages of data are flushed on the next tick.
	for s.CommitLogMaxOffset() < 5*osPageSize {
		s.PutMessage(newMsg("F", 0, strings.Repeat("p", 1000)))
	}
	end := s.CommitLogMaxOffset()
	time.Sleep(100 * time.Millisecond)
	if fl := s.cl.q.flushedWhere.Load(); fl < end/osPageSize*osPageSize {
		t.Fatalf("flushed %d of %d", fl, end)
	}
}

// TestAbnormalRecoveryStartsFromCheckpoint: after a crash with a recent checkpoint, recovery
// scans from a later file, not the first, and still rebuilds what the queues lack.
func TestAbnormalRecoveryStartsFromCheckpoint(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 4096
	s := mustOpen(t, cfg)
	for i := 0; i < 40; i++ {
		s.PutMessage(newMsg("K", 0, strings.Repeat("k", 300)))
	}
	time.Sleep(3100 * time.Millisecond) // the checkpoint margin is 3 s
	var last PutResult
	for i := 0; i < 20; i++ {
		last = s.PutMessage(newMsg("K", 0, strings.Repeat("k", 300)))
	}
	s.Close() // writes the checkpoint
	// Pretend the last 5 units never reached the queue and the process died.
	cqPath := filepath.Join(cfg.ConsumeQueueDir(), "K", "0", fileName(0))
	data, _ := os.ReadFile(cqPath)
	clear(data[55*cqUnitSize : 60*cqUnitSize])
	os.WriteFile(cqPath, data, 0o644)
	os.WriteFile(cfg.AbortPath(), nil, 0o644)
	s = mustOpen(t, cfg)
	defer s.Close()
	if s.recovery.StartFile == filepath.Join(cfg.CommitLogDir(), fileName(0)) || s.recovery.Dispatched == 0 {
		t.Fatalf("recovery %+v", s.recovery)
	}
	if s.MaxOffsetInQueue("K", 0) != 60 || s.CommitLogMaxOffset() != last.WroteOffset+int64(last.WroteBytes) {
		t.Fatalf("queue max %d, log end %d", s.MaxOffsetInQueue("K", 0), s.CommitLogMaxOffset())
	}
	g := s.GetMessage("g", "K", 0, 59, 1, 0, nil)
	if g.Status != Found {
		t.Fatal(g.Status)
	}
	g.Release()
}
