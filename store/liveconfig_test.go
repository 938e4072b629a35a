package store

import (
	"strings"
	"testing"
	"time"
)

// TestApplyConfigLive: the keys Java's store reads at each use change a running store's
// behaviour at once (pull sizes, retention); the keys fixed at Open keep their values.
func TestApplyConfigLive(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 4096
	cfg.MappedFileSizeConsumeQueue = 8 * cqUnitSize
	cfg.DeleteWhen = "04"
	cfg.FileReservedTime = 72
	s := mustOpen(t, cfg)
	defer s.Close()
	fillFiles(t, s, 6)

	pull := func() int32 { return s.GetMessage("g", "Ret", 0, 0, 32, 0, nil).MsgCount }
	if n := pull(); n < 8 {
		t.Fatalf("pull of 32 with default limits returned %d", n)
	}
	next := s.Config()
	next.MaxTransferCountOnMessageInMemory = 3
	next.MaxTransferCountOnMessageInDisk = 3
	next.DeleteWhen = "16"
	next.FileReservedTime = 1
	next.MappedFileSizeCommitLog = 1 << 20 // fixed at Open: ignored
	s.ApplyConfig(next)
	if n := pull(); n != 3 {
		t.Fatalf("pull after maxTransferCount*=3 returned %d messages", n)
	}
	got := s.Config()
	if got.MaxTransferCountOnMessageInMemory != 3 || got.DeleteWhen != "16" || got.FileReservedTime != 1 {
		t.Fatalf("Config() does not show the applied keys: %+v", got)
	}
	if got.MappedFileSizeCommitLog != 4096 {
		t.Fatalf("mappedFileSizeCommitLog changed on a running store: %d", got.MappedFileSizeCommitLog)
	}

	// Retention follows the new deleteWhen and fileReservedTime: at 16:00, two hours after
	// the files were written, they have expired under 1 h (they would not under 72 h, and
	// 16 was not a delete hour before).
	c := &s.cleaner
	c.ratio = func(string) float64 { return 0.30 }
	n := time.Now().Add(2 * time.Hour)
	c.now = func() time.Time { return time.Date(n.Year(), n.Month(), n.Day(), 16, 0, 0, 0, time.Local) }
	if c.now().Before(time.Now().Add(time.Hour)) {
		c.now = func() time.Time { return time.Date(n.Year(), n.Month(), n.Day()+1, 16, 0, 0, 0, time.Local) }
	}
	before := s.cl.q.count()
	c.runOnce()
	if after := s.cl.q.count(); after >= before {
		t.Fatalf("no commitlog file deleted at the new delete hour with fileReservedTime=1: %d -> %d files", before, after)
	}
	if r := s.PutMessage(newMsg("Ret", 0, strings.Repeat("x", 100))); r.Status != PutOK {
		t.Fatalf("put after clean-up: %v", r.Status)
	}
}
