package store

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/sirupsen/logrus"
)

// The first write to each page of a fresh segment costs a page fault that allocates and zeroes
// a page-cache page (ext4 reads a fallocated, unwritten extent as zeros) and reserves its block:
// more than the copy of the records written into it, and all of it under the append lock. The
// warmer takes that work off the append path: a goroutine keeps a window ahead of the write
// position faulted in, including the start of the pre-allocated next segment when the window
// reaches past the end of the current one.
//
// It never writes a byte: MADV_POPULATE_WRITE (Linux >= 5.14) faults the pages in writable
// without touching their contents, and the fallback reads one word per page, so it cannot race
// with the appender's writes. Unlike Java's warmMapedFileEnable, which writes zeros over the
// whole file at creation (and, with flushDiskType SYNC_FLUSH, syncs them), only the window is
// touched, so the extra memory stays bounded by the window. The pages come in dirty, but the
// flusher syncs only the range written (MappedFile.sync), so a zero page ahead of the records
// goes to disk only if it stays dirty past the kernel's own writeback age before it is filled.

// DefaultWarmWindow is how far ahead of the write position the commitlog keeps pages faulted in.
// At several hundred MB/s of appends it is some tens of milliseconds of writing, enough slack
// for the warmer to be scheduled late on a busy machine; it is also the most page cache it can
// hold beyond the written data.
const DefaultWarmWindow = 16 << 20

// WithWarmWindow sets how many bytes ahead of the commitlog's write position are kept faulted
// in (0 turns the warmer off; negative means DefaultWarmWindow). It is rounded to whole pages.
func WithWarmWindow(n int) Option {
	return func(s *Store) {
		if n < 0 {
			n = DefaultWarmWindow
		}
		s.cl.warm.window = int64(n+osPageSize-1) &^ (osPageSize - 1)
	}
}

// madvPopulateWrite is Linux's MADV_POPULATE_WRITE (not in package syscall).
const madvPopulateWrite = 23

// warmer is the commitlog's page warmer state. window is fixed before Open starts the goroutine.
type warmer struct {
	window int64
	wake   chan struct{}
	// done is the absolute commitlog offset the warmer has covered; the appender wakes it when
	// the write position comes within half a window of it.
	done atomic.Int64
	// noPopulate is set once MADV_POPULATE_WRITE is refused (kernel < 5.14); then pages are read.
	noPopulate atomic.Bool
	// nextDone is the start of the next segment already warmed, so that it is mapped once.
	nextDone int64
	// populated counts the bytes faulted in, steps the rounds of warmAhead's loop (for tests).
	populated, steps atomic.Int64
}

// initWarmer is called by Open before the goroutines start.
func (c *commitLog) initWarmer() {
	c.warm.wake = make(chan struct{}, 1)
	c.warm.nextDone = -1
}

// kickWarmer is called by the appender, under putMu, with the new end of the log. It costs one
// atomic load unless the write position nears the end of the warmed window.
func (c *commitLog) kickWarmer(end int64) {
	w := &c.warm
	if w.window == 0 || end+w.window/2 <= w.done.Load() {
		return
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// warmLoop runs the warmer until the store stops.
func (s *Store) warmLoop() {
	defer s.wg.Done()
	w := &s.cl.warm
	for {
		select {
		case <-s.stop:
			return
		case <-w.wake:
		}
		s.cl.warmAhead(s.stop)
	}
}

// lastHeld returns the last segment, held (nil if none or going away): tail needs no lock,
// and Hold refuses a segment that was destroyed after it was read.
func (q *mappedFileQueue) lastHeld() *MappedFile {
	if f := q.last(); f != nil && f.Hold() {
		return f
	}
	return nil
}

// warmChunk is how much warmAhead faults in per system call. Between chunks it looks at the
// write position again: if the appender has overtaken it (the warmer got no CPU for a while),
// it jumps ahead instead of warming pages that are already written.
const warmChunk = 512 << 10

// warmAhead faults in [write position, write position + window), the part past the current
// segment's end in the next segment if it has been pre-allocated. The goal is fixed when it
// starts: chasing the moving write position page by page would keep a CPU busy for the few
// pages each append adds; the appender wakes it again once half the window is used up.
func (c *commitLog) warmAhead(stop <-chan struct{}) {
	w := &c.warm
	goal := c.q.maxOffset() + w.window
	for {
		select {
		case <-stop:
			return
		default:
		}
		w.steps.Add(1)
		f := c.q.lastHeld()
		if f == nil {
			return
		}
		fileEnd := f.from + int64(f.size)
		end := f.from + f.wrote.Load()
		at := max(w.done.Load(), end)
		from := at &^ (osPageSize - 1) // the page holding at may be only partly warmed
		switch {
		case at >= goal:
			f.Release()
			return
		case from < fileEnd:
			to := min(from+warmChunk, goal, fileEnd)
			w.populate(f.data[from-f.from : to-f.from])
			w.done.Store(to)
		default:
			// The rest of the window lies in the next segment, which is not mapped yet.
			c.warmNext(fileEnd, min(goal-fileEnd, int64(f.size)))
			w.done.Store(goal)
		}
		f.Release()
	}
}

// warmNext faults in the first n bytes of the segment starting at from, if its pre-allocation
// has finished. It maps the file on its own: the page-cache pages it leaves behind are found by
// the appender's mapping later, which then only has to install them. A file that is not there
// yet, or not at full size, is left alone; the append path's own faults cover it.
func (c *commitLog) warmNext(from, n int64) {
	w := &c.warm
	if w.nextDone == from {
		return
	}
	path := filepath.Join(c.q.dir, fileName(from))
	// Not while a pre-allocation runs (it may still fail and remove the file); not waiting
	// for one either, the append path may need allocMu.
	if !c.q.allocMu.TryLock() {
		return
	}
	fd, err := os.OpenFile(path, os.O_RDWR, 0)
	c.q.allocMu.Unlock()
	if err != nil {
		return
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil || st.Size() != int64(c.q.fileSize) {
		return
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return
	}
	w.populate(data)
	if err := syscall.Munmap(data); err != nil {
		logrus.WithError(err).WithField("file", path).Warn("store: unmapping the warmed next segment")
	}
	w.nextDone = from
}

// populate faults b's pages in without changing their contents.
func (w *warmer) populate(b []byte) {
	if len(b) == 0 {
		return
	}
	if !w.noPopulate.Load() {
		err := syscall.Madvise(b, madvPopulateWrite)
		if err == nil {
			w.populated.Add(int64(len(b)))
			return
		}
		if !errors.Is(err, syscall.EINVAL) {
			// EFAULT/ENOMEM/EIO (e.g. the file was truncated under us): give up on this range,
			// the appender's own faults report anything real.
			return
		}
		w.noPopulate.Store(true)
		logrus.Info("store: MADV_POPULATE_WRITE not supported, warming commitlog pages by reading them")
	}
	// Reading one aligned word per page brings the page in (read-only until the appender's
	// write upgrades it, which is still far cheaper than allocating and zeroing it). Atomic
	// loads keep this a legal concurrent read of memory the appender may be writing.
	var sum uint32
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	for off := (osPageSize - int(base%osPageSize)) % osPageSize; off+4 <= len(b); off += osPageSize {
		sum += atomic.LoadUint32((*uint32)(unsafe.Pointer(&b[off])))
	}
	warmSink.Add(sum)
	w.populated.Add(int64(len(b)))
}

// warmSink keeps the fallback's loads from being optimised away.
var warmSink atomic.Uint32
