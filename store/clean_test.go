package store

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
)

func fillFiles(t *testing.T, s *Store, files int) {
	t.Helper()
	for s.cl.q.count() < files {
		if r := s.PutMessage(newMsg("Ret", 0, strings.Repeat("r", 300))); r.Status != PutOK {
			t.Fatal(r.Status)
		}
	}
}

func TestRetention(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 4096
	cfg.MappedFileSizeConsumeQueue = 8 * cqUnitSize
	cfg.DeleteWhen = "04;16"
	s := mustOpen(t, cfg)
	defer s.Close()
	fillFiles(t, s, 25)
	c := &s.cleaner
	c.ratio = func(string) float64 { return 0.30 }
	at := func(hour int, after time.Duration) func() time.Time {
		return func() time.Time {
			n := time.Now().Add(after)
			return time.Date(n.Year(), n.Month(), n.Day(), hour, 0, 0, 0, time.Local).Add(time.Duration(0))
		}
	}
	// Expired but not the hour: nothing.
	future := 80 * time.Hour
	c.now = func() time.Time { t := at(10, future)(); return t }
	c.runOnce()
	if s.cl.q.count() != 25 {
		t.Fatalf("deleted at the wrong hour: %d files", s.cl.q.count())
	}
	// The right hour but nothing old enough: nothing.
	c.now = at(16, 0)
	if c.now().Before(time.Now()) {
		c.now = at(16, 24*time.Hour)
	}
	c.runOnce()
	if s.cl.q.count() != 25 {
		t.Fatalf("deleted unexpired files: %d left", s.cl.q.count())
	}
	// Pin the first message the way a pull does, then expire everything at 04:00.
	g := s.GetMessage("g", "Ret", 0, 0, 1, 0, nil)
	pinned := append([]byte(nil), g.Buffers[0]...)
	c.now = at(4, future)
	c.runOnce()
	if n := s.cl.q.count(); n != 15 {
		t.Fatalf("%d files after one pass, want 15 (10 per pass)", n)
	}
	if !bytes.Equal(g.Buffers[0], pinned) {
		t.Fatal("pinned record changed under the reader")
	}
	g.Release()
	c.runOnce()
	c.runOnce()
	if n := s.cl.q.count(); n != 1 {
		t.Fatalf("%d files left, want only the current one", n)
	}
	minPhys := s.CommitLogMinOffset()
	if minPhys != 24*4096 {
		t.Fatalf("commitlog min %d", minPhys)
	}
	minQ, maxQ := s.MinOffsetInQueue("Ret", 0), s.MaxOffsetInQueue("Ret", 0)
	if minQ == 0 || minQ >= maxQ {
		t.Fatalf("queue min %d max %d", minQ, maxQ)
	}
	g = s.GetMessage("g", "Ret", 0, 0, 32, 0, nil)
	if g.Status != OffsetTooSmall || g.NextBeginOffset != minQ {
		t.Fatalf("old offset: %v next %d want %d", g.Status, g.NextBeginOffset, minQ)
	}
	g = s.GetMessage("g", "Ret", 0, minQ, 32, 0, nil)
	if g.Status != Found {
		t.Fatal(g.Status)
	}
	m, _ := message.Decode(g.Buffers[0])
	if m.CommitLogOffset < minPhys {
		t.Fatal("served a deleted record")
	}
	g.Release()
	if cqFiles := s.findCQ("Ret", 0).q.count(); cqFiles > 3 {
		t.Fatalf("%d consume queue files kept", cqFiles)
	}
	// Survives a reopen.
	s.Close()
	s2 := mustOpen(t, cfg)
	defer s2.Close()
	if s2.MinOffsetInQueue("Ret", 0) != minQ || s2.MaxOffsetInQueue("Ret", 0) != maxQ {
		t.Fatalf("after reopen min %d max %d", s2.MinOffsetInQueue("Ret", 0), s2.MaxOffsetInQueue("Ret", 0))
	}
}

func TestDiskFullForcesCleaning(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 4096
	cfg.DeleteWhen = "99" // never the hour
	s := mustOpen(t, cfg)
	defer s.Close()
	fillFiles(t, s, 5)
	c := &s.cleaner
	ratio := 0.50
	c.ratio = func(string) float64 { return ratio }
	c.runOnce()
	if s.cl.q.count() != 5 {
		t.Fatal("cleaned with a healthy disk")
	}
	cases := []struct {
		ratio     float64
		files     int
		putStatus PutStatus
	}{
		{0.80, 5, PutOK},               // above diskMaxUsedSpaceRatio: only expired files go (none)
		{0.87, 1, PutOK},               // above the forced ratio: unexpired files go too
		{0.93, 1, ServiceNotAvailable}, // above the warning level: disk full
		{0.40, 1, PutOK},               // recovered
	}
	for _, tc := range cases {
		ratio = tc.ratio
		fillFiles(t, s, tc.files)
		c.lastMin = -1
		c.runOnce()
		if s.cl.q.count() != tc.files {
			t.Fatalf("ratio %.2f: %d files, want %d", tc.ratio, s.cl.q.count(), tc.files)
		}
		if r := s.PutMessage(newMsg("Ret", 0, "x")); r.Status != tc.putStatus {
			t.Fatalf("ratio %.2f: put %v want %v", tc.ratio, r.Status, tc.putStatus)
		}
	}
	if r := diskRatio(cfg.StorePathRootDir); r <= 0 || r > 1 {
		t.Fatalf("disk ratio of a real path: %v", r)
	}
	if r := diskRatio(cfg.StorePathRootDir + "/missing"); r != -1 {
		t.Fatalf("missing path ratio %v", r)
	}
	_ = fmt.Sprint()
}
