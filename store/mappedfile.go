package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/sirupsen/logrus"
)

const osPageSize = 4096

// fileName renders a start offset as Java's 20-digit zero-padded name.
func fileName(offset int64) string {
	s := strconv.FormatInt(offset, 10)
	const zeros = "00000000000000000000"
	if len(s) >= 20 {
		return s
	}
	return zeros[:20-len(s)] + s
}

// allocate reserves the blocks of a new file so that writes through the mapping cannot hit
// ENOSPC later: a full disk on an mmap store shows up as SIGBUS on some random store, which Go
// cannot turn into an error. Failing here turns it into CREATE_MAPEDFILE_FAILED. Tests set
// allocateHook to simulate a full disk.
func allocate(f *os.File, size int64) error {
	if h := allocateHook.Load(); h != nil {
		return (*h)(f, size)
	}
	err := syscall.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) {
		return f.Truncate(size)
	}
	return err
}

var allocateHook atomic.Pointer[func(f *os.File, size int64) error]

// datasync is a seam for tests that need a slow disk; syncCount counts calls (group commit
// tests check that appenders share them).
var (
	datasync  = msyncData
	syncCount atomic.Int64
)

// msyncData makes b, a page-aligned part of a shared file mapping, durable with msync(MS_SYNC),
// which Linux turns into an fdatasync of that range of the file only (vfs_fsync_range with
// datasync set): the data, and the metadata needed to read it back. fdatasync of the whole
// file would also write the zero pages the warmer dirtied ahead of the write position, which
// the appender dirties again moments later: those pages would go to disk twice.
func msyncData(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, _, e := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), syscall.MS_SYNC)
	if e != 0 {
		return e
	}
	return nil
}

// MappedFile is one commitlog or consume-queue segment mapped read-write in full.
//
// Lifetime: the queue owns one reference; every reader that keeps slices of data past a lock
// (a pull result, a message lookup) takes another with Hold and gives it back with Release. The
// mapping is removed only when the count reaches zero, so deleting or closing a file never pulls
// memory out from under a reader; that is also why there is no forced unmap as in Java
// (destroyMapedFileIntervalForcibly): a stuck reader keeps an unlinked file's pages, not a crash.
type MappedFile struct {
	path string
	from int64 // absolute offset of byte 0
	size int
	f    *os.File
	data []byte

	// wrote is the end of valid data; written only by the owner of the queue's write side
	// (the put lock for the commitlog, the dispatcher for a consume queue), read by anyone.
	wrote   atomic.Int64
	flushed atomic.Int64
	// storeTs is the store time of the last record appended, for the checkpoint.
	storeTs atomic.Int64
	refs    atomic.Int64
	gone    atomic.Bool // destroyed or closed: Hold fails
	syncMu  sync.Mutex  // one sync at a time per file
}

// openMappedFile maps path at its full size. A new file is allocated; an existing shorter file
// is extended with zeros (Java refuses it, but a compacted copy like the 4.9.8 fixture is
// exactly that: the tail that was all zeros cut off); a longer one is refused.
func openMappedFile(path string, from int64, size int) (*MappedFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	switch {
	case st.Size() == 0:
		if err := allocate(f, int64(size)); err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("allocate %s: %w", path, err)
		}
	case st.Size() < int64(size):
		logrus.WithFields(logrus.Fields{"file": path, "size": st.Size(), "want": size}).
			Warn("store: short segment file, extending with zeros")
		if err := f.Truncate(int64(size)); err != nil {
			f.Close()
			return nil, err
		}
	case st.Size() > int64(size):
		f.Close()
		return nil, fmt.Errorf("store: %s is %d bytes, configured segment size is %d", path, st.Size(), size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	mf := &MappedFile{path: path, from: from, size: size, f: f, data: data}
	mf.refs.Store(1)
	return mf, nil
}

// Hold pins the mapping; it fails once the file is being closed or deleted.
func (m *MappedFile) Hold() bool {
	for {
		r := m.refs.Load()
		if r <= 0 || m.gone.Load() {
			return false
		}
		if m.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// Release drops one reference; the last one unmaps and closes the file.
func (m *MappedFile) Release() {
	if m.refs.Add(-1) == 0 {
		if err := syscall.Munmap(m.data); err != nil {
			logrus.WithError(err).WithField("file", m.path).Error("store: munmap")
		}
		m.data = nil
		m.f.Close()
	}
}

// close gives up the owner's reference.
func (m *MappedFile) close() {
	if m.gone.CompareAndSwap(false, true) {
		m.Release()
	}
}

// destroy unlinks the file and gives up the owner's reference; readers still holding it keep
// reading the unlinked pages.
func (m *MappedFile) destroy() error {
	err := os.Remove(m.path)
	m.close()
	return err
}

// sync makes data up to wrote durable and returns the new flushed position.
func (m *MappedFile) sync() (int64, error) {
	m.syncMu.Lock()
	defer m.syncMu.Unlock()
	w := m.wrote.Load()
	if w <= m.flushed.Load() {
		return m.flushed.Load(), nil
	}
	// From the page holding the old flushed position (it may have been synced half-full).
	syncCount.Add(1)
	if err := datasync(m.data[m.flushed.Load()&^(osPageSize-1) : w]); err != nil {
		return m.flushed.Load(), err
	}
	m.flushed.Store(w)
	return w, nil
}

func (m *MappedFile) full() bool { return m.wrote.Load() >= int64(m.size) }

func (m *MappedFile) lastModified() time.Time {
	st, err := os.Stat(m.path)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

// mappedFileQueue is the ordered list of segments of one commitlog or consume queue.
type mappedFileQueue struct {
	dir      string
	fileSize int
	mu       sync.RWMutex // guards files
	files    []*MappedFile
	// tail is files' last element, kept beside it under mu so that the append path (which
	// asks for the last segment several times per record) reads it without taking mu.
	tail atomic.Pointer[MappedFile]
	// flushedWhere is the absolute offset up to which data is durable.
	flushedWhere atomic.Int64
	// onCreate, if set, is told the start of each new segment (the commitlog uses it to
	// allocate the following one in the background, as Java's AllocateMappedFileService).
	onCreate func(from int64)
	// allocMu is held by preallocate while it creates and allocates a file, and by create
	// while it opens one, so that an append that catches up with a pre-allocation still in
	// progress waits for it instead of finding the file half-sized (ext4 grows the size as
	// fallocate proceeds) or allocating it a second time.
	allocMu sync.Mutex
}

func newMappedFileQueue(dir string, fileSize int) *mappedFileQueue {
	return &mappedFileQueue{dir: dir, fileSize: fileSize}
}

// load maps every segment in dir, sorted by name. Names that are not offsets are skipped with
// a warning; a gap between segments is an error, since offsets would no longer map to files.
func (q *mappedFileQueue) load() error {
	ents, err := os.ReadDir(q.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	type seg struct {
		name string
		off  int64
	}
	var segs []seg
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		off, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || len(e.Name()) != 20 {
			logrus.WithFields(logrus.Fields{"dir": q.dir, "file": e.Name()}).Warn("store: ignoring unknown file")
			continue
		}
		segs = append(segs, seg{e.Name(), off})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].off < segs[j].off })
	for i, s := range segs {
		if s.off%int64(q.fileSize) != 0 || (i > 0 && s.off != segs[i-1].off+int64(q.fileSize)) {
			q.closeAll()
			return fmt.Errorf("store: %s: segment %s does not follow its predecessor (size %d)", q.dir, s.name, q.fileSize)
		}
		mf, err := openMappedFile(filepath.Join(q.dir, s.name), s.off, q.fileSize)
		if err != nil {
			q.closeAll()
			return err
		}
		// Until recovery trims the last one, every loaded file counts as fully written.
		mf.wrote.Store(int64(q.fileSize))
		mf.flushed.Store(int64(q.fileSize))
		q.files = append(q.files, mf)
	}
	q.setTail()
	return nil
}

// setTail refreshes tail after files changed; mu must be held (or the queue not yet shared).
func (q *mappedFileQueue) setTail() {
	if len(q.files) == 0 {
		q.tail.Store(nil)
		return
	}
	q.tail.Store(q.files[len(q.files)-1])
}

func (q *mappedFileQueue) closeAll() {
	q.mu.Lock()
	for _, f := range q.files {
		f.close()
	}
	q.files = nil
	q.setTail()
	q.mu.Unlock()
}

func (q *mappedFileQueue) last() *MappedFile { return q.tail.Load() }

func (q *mappedFileQueue) first() *MappedFile {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if len(q.files) == 0 {
		return nil
	}
	return q.files[0]
}

func (q *mappedFileQueue) snapshot() []*MappedFile {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return append([]*MappedFile(nil), q.files...)
}

func (q *mappedFileQueue) count() int {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return len(q.files)
}

// create appends a new segment starting at from. Only the writer calls it.
func (q *mappedFileQueue) create(from int64) (*MappedFile, error) {
	if err := os.MkdirAll(q.dir, 0o755); err != nil {
		return nil, err
	}
	q.allocMu.Lock()
	mf, err := openMappedFile(filepath.Join(q.dir, fileName(from)), from, q.fileSize)
	q.allocMu.Unlock()
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.files = append(q.files, mf)
	q.setTail()
	q.mu.Unlock()
	if q.onCreate != nil {
		q.onCreate(from)
	}
	return mf, nil
}

// preallocate creates and allocates the segment file starting at from without mapping it, so
// that the append that needs it later does not wait for the allocation under its lock. A file
// that already exists is left alone; failures are only logged (the append will try again and
// report them).
func (q *mappedFileQueue) preallocate(from int64) {
	path := filepath.Join(q.dir, fileName(from))
	q.allocMu.Lock()
	defer q.allocMu.Unlock()
	// Only while from is still the segment after the last one: a pre-allocation that runs
	// late (the appender created from itself, filled it, and retention deleted it) must not
	// bring a deleted segment back. A stale blank segment before the live one would make the
	// next start stop its scan there and cut off every record after it.
	if l := q.last(); l == nil || l.from+int64(q.fileSize) != from {
		return
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	if err := allocate(f, int64(q.fileSize)); err != nil {
		logrus.WithError(err).WithField("file", path).Warn("store: pre-allocating the next commitlog file failed")
		os.Remove(path) // the deferred Close follows; unlinking an open file is fine
	}
}

// lastWritable returns the segment to append to, creating the next one when the last is full
// or when there is none (then starting at the segment that contains startIfEmpty).
func (q *mappedFileQueue) lastWritable(startIfEmpty int64) (*MappedFile, error) {
	l := q.last()
	if l != nil && !l.full() {
		return l, nil
	}
	from := startIfEmpty - startIfEmpty%int64(q.fileSize)
	if l != nil {
		from = l.from + int64(q.fileSize)
	}
	return q.create(from)
}

// find returns the segment holding absolute offset off, held; the caller releases it.
func (q *mappedFileQueue) find(off int64) *MappedFile {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if len(q.files) == 0 {
		return nil
	}
	first := q.files[0].from
	if off < first {
		return nil
	}
	i := int((off - first) / int64(q.fileSize))
	if i >= len(q.files) {
		return nil
	}
	f := q.files[i]
	if !f.Hold() {
		return nil
	}
	return f
}

// maxOffset is the end of written data.
func (q *mappedFileQueue) maxOffset() int64 {
	l := q.last()
	if l == nil {
		return 0
	}
	return l.from + l.wrote.Load()
}

// minOffset is the start of the first segment (-1 with none, as Java).
func (q *mappedFileQueue) minOffset() int64 {
	f := q.first()
	if f == nil {
		return -1
	}
	return f.from
}

// flush syncs segments from flushedWhere on; with leastPages > 0 a segment is synced only when
// that many whole pages are dirty or it is full. It returns the store time of the last record
// covered, or 0 if nothing was synced.
func (q *mappedFileQueue) flush(leastPages int) (int64, error) {
	var ts int64
	for {
		where := q.flushedWhere.Load()
		f := q.find(where)
		if f == nil {
			return ts, nil
		}
		w, fl := f.wrote.Load(), f.flushed.Load()
		if w > fl && (leastPages <= 0 || f.full() || (w/osPageSize-fl/osPageSize) >= int64(leastPages)) {
			t := f.storeTs.Load()
			if _, err := f.sync(); err != nil {
				f.Release()
				return ts, err
			}
			ts = t
		}
		nw := f.from + f.flushed.Load()
		full := f.flushed.Load() >= int64(f.size)
		f.Release()
		if nw > where {
			q.flushedWhere.Store(nw)
		}
		if !full {
			return ts, nil
		}
	}
}

// truncateTo cuts the queue at absolute offset off: later segments are deleted and the segment
// holding off gets its write position set there.
func (q *mappedFileQueue) truncateTo(off int64) {
	q.mu.Lock()
	keep := q.files[:0]
	var drop []*MappedFile
	for _, f := range q.files {
		end := f.from + int64(f.size)
		switch {
		case end <= off:
			keep = append(keep, f)
		case f.from <= off:
			pos := off - f.from
			f.wrote.Store(pos)
			f.flushed.Store(pos)
			keep = append(keep, f)
		default:
			drop = append(drop, f)
		}
	}
	q.files = keep
	q.setTail()
	q.mu.Unlock()
	for _, f := range drop {
		if f.wrote.Load() > 0 && !isZero(f.data[:min(len(f.data), 8)]) {
			logrus.WithField("file", f.path).Warn("store: deleting segment past the recovered end")
		} else {
			logrus.WithField("file", f.path).Info("store: deleting empty (pre-allocated) segment past the recovered end")
		}
		if err := f.destroy(); err != nil {
			logrus.WithError(err).WithField("file", f.path).Error("store: delete segment")
		}
	}
	if q.flushedWhere.Load() > off {
		q.flushedWhere.Store(off)
	}
}

// removeFirst deletes the first n segments (retention).
func (q *mappedFileQueue) removeFirst(n int) {
	q.mu.Lock()
	if n > len(q.files) {
		n = len(q.files)
	}
	drop := append([]*MappedFile(nil), q.files[:n]...)
	q.files = append(q.files[:0], q.files[n:]...)
	q.setTail()
	q.mu.Unlock()
	for _, f := range drop {
		if err := f.destroy(); err != nil {
			logrus.WithError(err).WithField("file", f.path).Error("store: delete segment")
		}
	}
}

// destroyAll deletes every segment and the directory.
func (q *mappedFileQueue) destroyAll() {
	q.mu.Lock()
	drop := q.files
	q.files = nil
	q.setTail()
	q.mu.Unlock()
	for _, f := range drop {
		f.destroy()
	}
	q.flushedWhere.Store(0)
	os.Remove(q.dir)
}
