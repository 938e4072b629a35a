package store

import (
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// Retention (Java's CleanCommitLogService + CleanConsumeQueueService), one pass every
// cleanResourceInterval:
//
//  1. Measure the disk of the commitlog and of the consume queues. Above
//     diskSpaceWarningLevelRatio the store is marked full and refuses puts; above
//     diskSpaceCleanForciblyRatio files are deleted even if not expired (cleanFileForciblyEnable);
//     above diskMaxUsedSpaceRatio expired files are deleted at any hour.
//  2. At the hours in deleteWhen (or for the reasons above, or when asked manually), delete
//     commitlog files oldest first whose last modification is older than fileReservedTime hours,
//     at most 10 per pass, never the file being written, stopping at the first one kept.
//  3. When the commitlog's first offset moved, delete consume-queue files whose last unit points
//     below it (never a queue's last file), move each queue's min offset, and let the index drop
//     its files below it.
//
// Deleting a file only unlinks it and drops the queue's reference: readers that pinned it (a
// pull in flight) keep reading until they release it.
const deleteFilesBatchMax = 10

type cleaner struct {
	s       *Store
	now     func() time.Time
	ratio   func(path string) float64
	manual  atomic.Int32
	lastMin int64
}

func (c *cleaner) init(s *Store) {
	c.s = s
	c.now = time.Now
	c.ratio = diskRatio
	c.lastMin = -1
}

func (c *cleaner) loop() {
	s := c.s
	defer s.wg.Done()
	t := time.NewTicker(time.Duration(max(s.cfg.CleanResourceInterval, 100)) * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			c.runOnce()
		}
	}
}

// ExecuteDeleteFilesManually asks the next clean-up passes to delete expired files regardless
// of deleteWhen (the admin command deleteExpiredCommitLog: up to 20 passes).
func (s *Store) ExecuteDeleteFilesManually() { s.cleaner.manual.Store(20) }

// CleanNow runs one retention pass at once.
func (s *Store) CleanNow() { s.cleaner.runOnce() }

func (c *cleaner) runOnce() {
	s := c.s
	if s.stopped.Load() {
		return
	}
	cleanAtOnce, spaceFull := c.checkDisk()
	manual := false
	if c.manual.Load() > 0 {
		c.manual.Add(-1)
		manual = true
	}
	if c.isTimeToDelete() || spaceFull || manual {
		c.deleteCommitLogFiles(cleanAtOnce && s.conf().CleanFileForciblyEnable)
	}
	c.cleanConsumeQueues()
}

// checkDisk returns whether to delete even unexpired files and whether the disk is over
// diskMaxUsedSpaceRatio; it also raises or clears the disk-full flag.
func (c *cleaner) checkDisk() (cleanAtOnce, spaceFull bool) {
	s := c.s
	maxRatio := float64(min(max(s.conf().DiskMaxUsedSpaceRatio, 10), 95)) / 100
	warn := float64(s.cfg.DiskSpaceWarningLevelRatio) / 100
	force := float64(s.cfg.DiskSpaceCleanForciblyRatio) / 100
	for i, path := range []string{s.cfg.CommitLogDir(), s.cfg.ConsumeQueueDir()} {
		r := c.ratio(path)
		if i == 0 {
			switch {
			case r > warn:
				if !s.diskFull.Swap(true) {
					logrus.WithFields(logrus.Fields{"path": path, "ratio": r}).Error("store: disk full, refusing puts")
				}
				cleanAtOnce = true
			case r > force:
				cleanAtOnce = true
				fallthrough
			default:
				if r <= warn && s.diskFull.Swap(false) {
					logrus.WithFields(logrus.Fields{"path": path, "ratio": r}).Info("store: disk space back to normal")
				}
			}
		} else if r > force {
			cleanAtOnce = true
		}
		if r < 0 || r > maxRatio {
			spaceFull = true
		}
	}
	return cleanAtOnce, spaceFull
}

// isTimeToDelete reports whether the local hour is one of deleteWhen ("04;16").
func (c *cleaner) isTimeToDelete() bool {
	h := c.now().Hour()
	for _, w := range strings.Split(c.s.conf().DeleteWhen, ";") {
		if n, err := strconv.Atoi(strings.TrimSpace(w)); err == nil && n == h {
			return true
		}
	}
	return false
}

func (c *cleaner) deleteCommitLogFiles(cleanAtOnce bool) {
	s := c.s
	expire := time.Duration(s.conf().FileReservedTime) * time.Hour
	files := s.cl.q.snapshot()
	n := 0
	for i := 0; i < len(files)-1 && n < deleteFilesBatchMax; i++ {
		f := files[i]
		if !cleanAtOnce && c.now().Before(f.lastModified().Add(expire)) {
			break
		}
		n++
	}
	if n == 0 {
		return
	}
	for _, f := range files[:n] {
		logrus.WithFields(logrus.Fields{"file": f.path, "forced": cleanAtOnce}).Info("store: deleting expired commitlog file")
	}
	s.cl.q.removeFirst(n)
}

func (c *cleaner) cleanConsumeQueues() {
	s := c.s
	minPhys := s.CommitLogMinOffset()
	if minPhys <= c.lastMin {
		return
	}
	c.lastMin = minPhys
	for _, cq := range s.consumeQueues() {
		files := cq.q.snapshot()
		n := 0
		for i := 0; i < len(files)-1; i++ {
			f := files[i]
			if !f.Hold() {
				break
			}
			w := f.wrote.Load()
			var phys int64 = minPhys
			if w >= cqUnitSize {
				phys, _, _ = readUnit(f.data[w-cqUnitSize:])
			}
			f.Release()
			if phys >= minPhys {
				break
			}
			n++
		}
		if n > 0 {
			logrus.WithFields(logrus.Fields{"topic": cq.Topic, "queueId": cq.QueueID, "files": n}).Info("store: deleting expired consume queue files")
			cq.q.removeFirst(n)
		}
		cq.correctMinOffset(minPhys)
	}
	if ic, ok := s.index.(IndexCleaner); ok && s.index != nil {
		ic.DeleteExpiredFiles(minPhys)
	}
}

// diskRatio is the used fraction of the file system holding path, as Java computes it
// (ceil(100 × used / (used + available)) / 100); -1 if the path is missing.
func diskRatio(path string) float64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return -1
	}
	total := float64(st.Blocks) * float64(st.Bsize)
	free := float64(st.Bfree) * float64(st.Bsize)
	avail := float64(st.Bavail) * float64(st.Bsize)
	used := total - free
	if used+avail <= 0 {
		return -1
	}
	return math.Ceil(100*used/(used+avail)) / 100
}
