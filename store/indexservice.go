package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/rocketgo/rocketgo/message"
)

// IndexConfig sizes the index (Java keys maxHashSlotNum, maxIndexNum, maxMsgsNumBatch).
type IndexConfig struct {
	Dir             string // <storePathRootDir>/index
	HashSlotNum     int    // maxHashSlotNum, default 5,000,000
	IndexNum        int    // maxIndexNum, default 20,000,000
	MaxMsgsNumBatch int    // cap on offsets per query, default 64

	// KeepOnAbnormalExit keeps every index file after a crash instead of Java's rule
	// (drop files newer than the checkpoint's indexMsgTimestamp). Nothing is lost then, but the
	// store must call TruncateFrom with the recovered commitlog end before dispatching again,
	// or entries past a torn tail would survive and hide the records re-written there. With
	// Java's rule the dropped entries come back only for records the recovery re-dispatches.
	KeepOnAbnormalExit bool

	// OnFileFull is called (from a background goroutine) after a full file has been flushed,
	// with its endTimestamp; the store records it as the checkpoint's indexMsgTimestamp, which
	// decides which index files survive a crash. May be nil.
	OnFileFull func(endTimestamp int64)
}

// IndexConfigFrom takes the index settings from the store's config.
func IndexConfigFrom(c *Config) IndexConfig {
	return IndexConfig{Dir: c.IndexDir(), HashSlotNum: c.MaxHashSlotNum, IndexNum: c.MaxIndexNum, MaxMsgsNumBatch: c.MaxMsgsNumBatch}
}

// IndexService keeps the list of index files, adds the keys of every dispatched record and
// answers key queries (Java's IndexService). BuildIndex runs on the dispatcher's single
// goroutine; queries, retention and flushes may come from any goroutine.
type IndexService struct {
	cfg IndexConfig
	// maxBatch is cfg.MaxMsgsNumBatch, live: the store forwards updateBrokerConfig's value
	// (Java's queryOffset reads the live key on every query).
	maxBatch atomic.Int64

	mu      sync.RWMutex
	files   []*IndexFile // oldest first; only the last one is written
	keyBuf  []byte       // "topic#key" scratch for BuildIndex, which is serialised by mu
	failed  bool         // creating a file failed; logged once until one succeeds again
	flushWG sync.WaitGroup
	closed  bool
}

// SetOnFileFull installs the IndexConfig.OnFileFull callback after construction, for a store
// that owns the checkpoint but receives the service ready-made (store.WithIndex). Call it
// before the first BuildIndex.
func (s *IndexService) SetOnFileFull(fn func(endTimestamp int64)) {
	s.mu.Lock()
	s.cfg.OnFileFull = fn
	s.mu.Unlock()
}

// IndexRequest is the index's input in its own terms, for callers without a DispatchRequest.
type IndexRequest struct {
	Topic, Keys, UniqKey string
	CommitLogOffset      int64
	StoreTimestamp       int64
	SysFlag              int32
}

// NewIndexService returns a service over cfg.Dir; call Load before use.
func NewIndexService(cfg IndexConfig) *IndexService {
	if cfg.HashSlotNum <= 0 {
		cfg.HashSlotNum = 5000000
	}
	if cfg.IndexNum <= 1 {
		cfg.IndexNum = 20000000
	}
	if cfg.MaxMsgsNumBatch <= 0 {
		cfg.MaxMsgsNumBatch = 64
	}
	s := &IndexService{cfg: cfg}
	s.maxBatch.Store(int64(cfg.MaxMsgsNumBatch))
	return s
}

// SetMaxMsgsNumBatch changes the cap on offsets per query (maxMsgsNumBatch); n <= 0 is ignored.
func (s *IndexService) SetMaxMsgsNumBatch(n int) {
	if n > 0 {
		s.maxBatch.Store(int64(n))
	}
}

// Load opens the existing index files in name (= time) order. After a crash (lastExitOK
// false), files whose endTimestamp is newer than the checkpoint's indexMsgTimestamp are
// deleted, as Java does; recovery's re-dispatch rebuilds their entries. Files whose name is
// not a 17-digit timestamp are left alone.
func (s *IndexService) Load(lastExitOK bool, indexMsgTimestamp int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.files) > 0 || s.closed {
		return fmt.Errorf("store: index in %s is already loaded or closed", s.cfg.Dir)
	}
	if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() && isIndexFileName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(s.cfg.Dir, name)
		f, err := OpenIndexFile(path, s.cfg.HashSlotNum, s.cfg.IndexNum, 0, 0)
		if err != nil {
			for _, g := range s.files {
				g.Close()
			}
			s.files = nil
			return fmt.Errorf("store: load index file: %w", err)
		}
		if !lastExitOK && !s.cfg.KeepOnAbnormalExit && f.endTs > indexMsgTimestamp {
			logrus.WithFields(logrus.Fields{"file": path, "endTimestamp": f.endTs, "indexMsgTimestamp": indexMsgTimestamp}).
				Info("store: abnormal exit, dropping index file newer than the checkpoint")
			if err := f.destroy(); err != nil {
				return fmt.Errorf("store: drop index file %s: %w", path, err)
			}
			continue
		}
		s.files = append(s.files, f)
	}
	return nil
}

func isIndexFileName(name string) bool {
	if len(name) != 17 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// BuildIndex adds the record's UNIQ_KEY and each space-separated KEYS element, under "topic#",
// as Java's IndexService.buildIndex does: rollback records are skipped, and so are records
// below the last file's endPhyOffset (already indexed; recovery re-dispatches them).
func (s *IndexService) BuildIndex(req *DispatchRequest) {
	s.put(req.Topic, req.Keys, req.UniqKey, req.CommitLogOffset, req.StoreTimestamp, req.SysFlag)
}

// PutRequest is BuildIndex for an IndexRequest.
func (s *IndexService) PutRequest(r IndexRequest) {
	s.put(r.Topic, r.Keys, r.UniqKey, r.CommitLogOffset, r.StoreTimestamp, r.SysFlag)
}

func (s *IndexService) put(topic, keys, uniq string, phyOffset, storeTs int64, sysFlag int32) {
	if message.TransactionType(sysFlag) == message.TransactionRollbackType {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	f := s.writable()
	if f == nil {
		return
	}
	// Java skips only offsets below endPhyOffset, so re-dispatching the very last record adds
	// its keys twice. A file that already holds items (or follows one that does) has indexed
	// the record at endPhyOffset, so that one is skipped too.
	if phyOffset < f.endPhy || phyOffset == f.endPhy && (f.indexCount > 1 || len(s.files) > 1) {
		return
	}
	if uniq != "" {
		if f = s.putKey(f, topic, uniq, phyOffset, storeTs); f == nil {
			return
		}
	}
	for keys != "" {
		var k string
		k, keys, _ = strings.Cut(keys, " ")
		if k == "" {
			continue
		}
		if f = s.putKey(f, topic, k, phyOffset, storeTs); f == nil {
			return
		}
	}
}

// putKey writes one key, rolling to a new file when f is full; nil means no file could be
// created and the record stays partly indexed, as in Java.
func (s *IndexService) putKey(f *IndexFile, topic, key string, phyOffset, storeTs int64) *IndexFile {
	s.keyBuf = append(append(append(s.keyBuf[:0], topic...), '#'), key...)
	for !f.PutKey(s.keyBuf, phyOffset, storeTs) {
		if f = s.writable(); f == nil {
			return nil
		}
	}
	return f
}

// writable returns the last file, creating the next one when there is none or it is full.
// The caller holds mu.
func (s *IndexService) writable() *IndexFile {
	var prev *IndexFile
	if n := len(s.files); n > 0 {
		prev = s.files[n-1]
		if !prev.IsWriteFull() {
			return prev
		}
	}
	var prevEndPhy, prevEndTs int64
	if prev != nil {
		prevEndPhy, prevEndTs = prev.endPhy, prev.endTs
	}
	f, err := s.createFile(prevEndPhy, prevEndTs)
	if err != nil {
		if !s.failed {
			logrus.WithError(err).WithField("dir", s.cfg.Dir).Error("store: cannot create index file, records are not indexed")
		}
		s.failed = true
		return nil
	}
	s.failed = false
	s.files = append(s.files, f)
	if prev != nil {
		logrus.WithFields(logrus.Fields{"full": prev.path, "next": f.path}).Info("store: index file full, rolled")
		// Java flushes the full file on a separate thread too: forcing 420 MB must not stall
		// the dispatcher (and with it every append).
		endTs, onFull := prev.endTs, s.cfg.OnFileFull
		s.flushWG.Add(1)
		go func() {
			defer s.flushWG.Done()
			if err := prev.Flush(); err != nil {
				logrus.WithError(err).WithField("file", prev.path).Error("store: flush full index file")
				return
			}
			if onFull != nil {
				onFull(endTs)
			}
		}()
	}
	return f
}

// createFile names the new file by the current local time (yyyyMMddHHmmssSSS), moving a
// millisecond on if that name is taken, so two rolls within one millisecond cannot reopen the
// file just filled.
func (s *IndexService) createFile(prevEndPhy, prevEndTs int64) (*IndexFile, error) {
	if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	t := time.Now()
	for {
		name := indexFileName(t)
		path := filepath.Join(s.cfg.Dir, name)
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			if n := len(s.files); n == 0 || filepath.Base(s.files[n-1].path) < name {
				return OpenIndexFile(path, s.cfg.HashSlotNum, s.cfg.IndexNum, prevEndPhy, prevEndTs)
			}
		}
		t = t.Add(time.Millisecond)
	}
}

func indexFileName(t time.Time) string {
	return t.Format("20060102150405") + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}

// QueryOffsetResult is the answer to a key query, with what QUERY_MESSAGE's response header
// reports about the index (indexLastUpdateTimestamp, indexLastUpdatePhyoffset).
type QueryOffsetResult struct {
	PhyOffsets               []int64
	IndexLastUpdateTimestamp int64
	IndexLastUpdatePhyOffset int64
}

// QueryOffset returns, newest first, the commitlog offsets of records of topic whose key hash
// matches key and whose store time is in [begin, end]; at most min(maxNum, maxMsgsNumBatch).
// Files are visited newest to oldest; the walk stops at the first file that begins before
// begin, as in Java.
func (s *IndexService) QueryOffset(topic, key string, maxNum int, begin, end int64) QueryOffsetResult {
	maxNum = min(maxNum, int(s.maxBatch.Load()))
	var res QueryOffsetResult
	if maxNum <= 0 {
		return res
	}
	k := make([]byte, 0, len(topic)+1+len(key))
	k = append(append(append(k, topic...), '#'), key...)
	s.mu.RLock()
	defer s.mu.RUnlock()
	// Long chain walks pause to let BuildIndex in (see selectPauseSteps); the list may change
	// meanwhile, so walk a snapshot and stop at a file that has been closed.
	files := slices.Clone(s.files)
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		if f.data == nil {
			break
		}
		if i == len(files)-1 {
			res.IndexLastUpdateTimestamp, res.IndexLastUpdatePhyOffset = f.endTs, f.endPhy
		}
		if f.timeMatched(begin, end) {
			res.PhyOffsets = f.selectPhyOffsets(res.PhyOffsets, k, maxNum, begin, end, func() bool {
				s.mu.RUnlock()
				s.mu.RLock()
				return f.data != nil
			})
		}
		if f.beginTs < begin || len(res.PhyOffsets) >= maxNum {
			break
		}
	}
	return res
}

// QueryOffsets is QueryOffset without the index status, for the store's IndexQuerier hook.
func (s *IndexService) QueryOffsets(topic, key string, maxNum int, begin, end int64) []int64 {
	return s.QueryOffset(topic, key, maxNum, begin, end).PhyOffsets
}

// TruncateFrom removes every entry that points at commitlog offset phyOffset or beyond, for
// recovery that cut the commitlog there: files that begin at or after it are deleted, the
// file that straddles it loses its tail. Re-dispatch of the records written after the cut
// then indexes them afresh.
func (s *IndexService) TruncateFrom(phyOffset int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.files) > 0 {
		f := s.files[len(s.files)-1]
		// A file that begins below the cut keeps its first item (whose offset is beginPhy);
		// an empty file that begins at or after it follows a file that must lose its tail.
		if f.beginPhy < phyOffset {
			break
		}
		logrus.WithFields(logrus.Fields{"file": f.path, "phyOffset": phyOffset}).Info("store: deleting index file beyond the recovered commitlog")
		s.files = s.files[:len(s.files)-1]
		if err := f.destroy(); err != nil {
			return err
		}
	}
	if n := len(s.files); n > 0 {
		if removed := s.files[n-1].truncateFrom(phyOffset); removed > 0 {
			logrus.WithFields(logrus.Fields{"file": s.files[n-1].path, "phyOffset": phyOffset, "items": removed}).
				Info("store: truncated index entries beyond the recovered commitlog")
		}
	}
	return nil
}

// DeleteExpiredFiles deletes index files whose entries all point below minPhyOffset (the
// commitlog's new minimum after retention), oldest first, never the last file (Java's
// deleteExpiredFile).
func (s *IndexService) DeleteExpiredFiles(minPhyOffset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(s.files)-1 && s.files[n].endPhy < minPhyOffset {
		n++
	}
	for _, f := range s.files[:n] {
		if err := f.destroy(); err != nil {
			logrus.WithError(err).WithField("file", f.path).Warn("store: delete expired index file")
		} else {
			logrus.WithFields(logrus.Fields{"file": f.path, "endPhyOffset": f.endPhy, "minPhyOffset": minPhyOffset}).
				Info("store: deleted expired index file")
		}
	}
	s.files = append(s.files[:0], s.files[n:]...)
}

// EndPhyOffset is the commitlog offset of the newest indexed record (the last file's
// endPhyOffset), or -1 with no index file: recovery must re-dispatch from there for the index
// to be complete.
func (s *IndexService) EndPhyOffset() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.files) == 0 {
		return -1
	}
	return s.files[len(s.files)-1].endPhy
}

// Files returns copies of the headers and paths of the current files, oldest first.
func (s *IndexService) Files() (paths []string, headers []IndexHeader) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, f := range s.files {
		paths = append(paths, f.path)
		headers = append(headers, f.Header())
	}
	return paths, headers
}

// Flush makes the last (written) file durable; earlier files were flushed when they filled.
// The fsync runs outside the lock so that BuildIndex does not wait for the disk.
func (s *IndexService) Flush() error {
	s.mu.RLock()
	if len(s.files) == 0 {
		s.mu.RUnlock()
		return nil
	}
	f := s.files[len(s.files)-1]
	s.mu.RUnlock()
	return f.Flush()
}

// Close waits for background flushes, flushes the last file and unmaps everything.
// BuildIndex after Close does nothing.
func (s *IndexService) Close() error {
	s.flushWG.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var first error
	for i, f := range s.files {
		if i == len(s.files)-1 {
			if err := f.Flush(); err != nil && first == nil {
				first = err
			}
		}
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	s.files = nil
	return first
}
