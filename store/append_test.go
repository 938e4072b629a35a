package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
)

func TestBatchPut(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	s.PutMessage(newMsg("B", 1, "before"))
	var body []byte
	for i := 0; i < 5; i++ {
		props := message.AppendProperty(nil, "UNIQ_KEY", fmt.Sprint("U", i))
		if i == 2 {
			props = append(props, message.PropertySeparator) // Go-style trailing separator
		}
		if i == 3 {
			props = nil
		}
		body = message.AppendBatchEntry(body, int32(i), []byte(fmt.Sprint("b", i)), props)
	}
	tmpl := newMsg("B", 1, "", "CLUSTER", "C1")
	r := s.PutMessages(tmpl, body)
	if r.Status != PutOK || r.MsgNum != 5 || r.QueueOffset != 1 {
		t.Fatalf("%+v", r)
	}
	ids := strings.Split(r.MsgID(), ",")
	if len(ids) != 5 {
		t.Fatalf("ids %q", r.MsgID())
	}
	g := s.GetMessage("g", "B", 1, 1, 32, 0, nil)
	defer g.Release()
	if g.MsgCount != 5 {
		t.Fatal(g.MsgCount)
	}
	wantProps := []string{"UNIQ_KEY\x01U0\x02CLUSTER\x01C1", "UNIQ_KEY\x01U1\x02CLUSTER\x01C1",
		"UNIQ_KEY\x01U2\x02CLUSTER\x01C1", "CLUSTER\x01C1", "UNIQ_KEY\x01U4\x02CLUSTER\x01C1"}
	next := r.WroteOffset
	for i, b := range g.Buffers {
		m, err := message.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if m.QueueOffset != int64(i+1) || string(m.Body) != fmt.Sprint("b", i) || m.Flag != int32(i) ||
			string(m.Properties) != wantProps[i] || m.CommitLogOffset != next || m.MsgID() != ids[i] {
			t.Fatalf("msg %d: %v props %q", i, m, m.Properties)
		}
		next += int64(m.StoreSize)
	}
	if next != r.WroteOffset+int64(r.WroteBytes) {
		t.Fatal("batch not contiguous")
	}
	for _, bad := range [][]byte{nil, body[:len(body)-2], {0, 0, 0, 1}} {
		if r := s.PutMessages(tmpl, bad); r.Status != MessageIllegal {
			t.Fatalf("bad batch: %v", r.Status)
		}
	}
	delayed := newMsg("B", 1, "", "DELAY", "1")
	if r := s.PutMessages(delayed, body); r.Status != MessageIllegal {
		t.Fatal("delayed batch accepted")
	}
}

// TestRollover: tiny files; every full commitlog file ends with a blank, every message reads
// back, across a reopen.
func TestRollover(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 4096
	cfg.MappedFileSizeConsumeQueue = 10 * cqUnitSize
	s := mustOpen(t, cfg)
	const n = 300
	for i := 0; i < n; i++ {
		body := strings.Repeat(string(rune('a'+i%26)), 10+(i*37)%400)
		if r := s.PutMessage(newMsg("R", int32(i%3), body, "TAGS", "t")); r.Status != PutOK {
			t.Fatal(i, r.Status, r.Err)
		}
	}
	// A batch that does not fit the rest of a file moves whole to the next one.
	fillers := 0
	for s.CommitLogMaxOffset()%4096 < 1000 {
		s.PutMessage(newMsg("R", 1, "filler"))
		fillers++
	}
	// Four records that together need 100 bytes more than the file has left.
	free := 4096 - int(s.CommitLogMaxOffset()%4096) - message.BlankLen
	one := message.RecordLen(newMsg("R", 0, ""))
	var body []byte
	for i := 0; i < 4; i++ {
		body = message.AppendBatchEntry(body, 0, bytes.Repeat([]byte{'z'}, (free+100)/4-one+1), nil)
	}
	r := s.PutMessages(newMsg("R", 0, ""), body)
	if r.Status != PutOK || r.WroteOffset%4096 != 0 {
		t.Fatalf("batch at %d: %v", r.WroteOffset, r.Status)
	}
	verify := func(s *Store) {
		t.Helper()
		total := 0
		for q := int32(0); q < 3; q++ {
			off := int64(0)
			for {
				g := s.GetMessage("g", "R", q, off, 32, 0, nil)
				if g.Status != Found {
					g.Release()
					break
				}
				for _, b := range g.Buffers {
					m, err := message.Decode(b)
					if err != nil || m.QueueID != q || m.QueueOffset != off {
						t.Fatalf("q%d off %d: %v %v", q, off, m, err)
					}
					off++
					total++
				}
				g.Release()
			}
		}
		if total != n+4+fillers {
			t.Fatalf("read %d messages, want %d", total, n+4+fillers)
		}
		files, _ := os.ReadDir(cfg.CommitLogDir())
		if len(files) < 10 {
			t.Fatalf("only %d commitlog files", len(files))
		}
		for _, f := range files[:lastWithData(t, cfg.CommitLogDir())] {
			checkEndsWithBlank(t, filepath.Join(cfg.CommitLogDir(), f.Name()))
		}
		cqFiles, _ := os.ReadDir(filepath.Join(cfg.ConsumeQueueDir(), "R", "0"))
		if len(cqFiles) < 5 {
			t.Fatalf("only %d cq files", len(cqFiles))
		}
	}
	verify(s)
	s.Close()
	s = mustOpen(t, cfg)
	defer s.Close()
	verify(s)
}

// lastWithData is the index of the last commitlog file that holds a record; files after it
// (a pre-allocated next segment) must be all zeros.
func lastWithData(t *testing.T, dir string) int {
	t.Helper()
	files, _ := os.ReadDir(dir)
	last := -1
	for i, f := range files {
		b, _ := os.ReadFile(filepath.Join(dir, f.Name()))
		if !isZero(b) {
			if last != i-1 {
				t.Fatalf("%s holds data after an empty file", f.Name())
			}
			last = i
		}
	}
	return last
}

// checkEndsWithBlank walks a commitlog file with nothing but the layout (not the store's code).
func checkEndsWithBlank(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pos := 0
	for pos+8 <= len(b) {
		size := int(binary.BigEndian.Uint32(b[pos:]))
		magic := binary.BigEndian.Uint32(b[pos+4:])
		if magic == 0xCBD43194 {
			if size != len(b)-pos {
				t.Fatalf("%s: blank at %d covers %d, want %d", path, pos, size, len(b)-pos)
			}
			return
		}
		if magic != 0xDAA320A7 {
			t.Fatalf("%s: bad magic %x at %d", path, magic, pos)
		}
		pos += size
	}
	t.Fatalf("%s: no blank at the end", path)
}

func TestSyncFlushGroupCommit(t *testing.T) {
	cfg := testConfig(t)
	cfg.FlushDiskType = SyncFlush
	cfg.MappedFileSizeCommitLog = 1 << 20
	s := mustOpen(t, cfg)
	defer s.Close()
	const workers, per = 64, 20
	before := syncCount.Load()
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				r := s.PutMessage(newMsg("S", int32(w%4), strings.Repeat("x", 100)))
				if r.Status != PutOK {
					errs <- r.Status.String()
					return
				}
				// Acknowledged only after the fsync that covers it.
				if fl := s.cl.q.flushedWhere.Load(); fl < r.WroteOffset+int64(r.WroteBytes) {
					errs <- fmt.Sprintf("acked at %d but flushed only to %d", r.WroteOffset, fl)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	syncs := syncCount.Load() - before
	t.Logf("%d appends shared %d fdatasyncs", workers*per, syncs)
	if syncs >= workers*per/2 {
		t.Fatalf("group commit did not group: %d syncs for %d appends", syncs, workers*per)
	}
	// WAIT=false does not wait, but is flushed soon after.
	r := s.PutMessage(newMsg("S", 0, "x", "WAIT", "false"))
	if r.Status != PutOK {
		t.Fatal(r.Status)
	}
	nw := newMsg("S", 0, "y")
	nw.NoWait = true
	if r := s.PutMessage(nw); r.Status != PutOK {
		t.Fatal(r.Status)
	}
	deadline := time.Now().Add(time.Second)
	for s.cl.q.flushedWhere.Load() < r.WroteOffset+int64(r.WroteBytes) {
		if time.Now().After(deadline) {
			t.Fatal("a WAIT=false put was never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSyncFlushTimeout(t *testing.T) {
	cfg := testConfig(t)
	cfg.FlushDiskType = SyncFlush
	cfg.SyncFlushTimeout = 50
	// The seam is set before the flusher goroutine starts and restored after it stops.
	release := make(chan struct{})
	datasync = func(b []byte) error { <-release; return msyncData(b) }
	s := mustOpen(t, cfg)
	defer func() {
		s.Close()
		datasync = msyncData
	}()
	start := time.Now()
	r := s.PutMessage(newMsg("S", 0, "slow disk"))
	// With the disk still stuck, a NoWait put is acknowledged at once.
	nw := newMsg("S", 0, "no wait")
	nw.NoWait = true
	t0 := time.Now()
	if r := s.PutMessage(nw); r.Status != PutOK || time.Since(t0) > 40*time.Millisecond {
		t.Fatalf("NoWait put: %v after %v", r.Status, time.Since(t0))
	}
	close(release)
	if r.Status != FlushDiskTimeout || !r.Status.Stored() {
		t.Fatalf("status %v", r.Status)
	}
	if el := time.Since(start); el < 50*time.Millisecond || el > 2*time.Second {
		t.Fatalf("timed out after %v", el)
	}
	// Still stored and readable.
	g := s.GetMessage("g", "S", 0, 0, 1, 0, nil)
	if g.Status != Found {
		t.Fatal(g.Status)
	}
	g.Release()
}

func TestDiskFullOnCreate(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 4096
	s := mustOpen(t, cfg)
	defer s.Close()
	s.cl.q.onCreate = nil // no pre-allocated next file: the roll itself must hit the full disk
	var acked int
	for s.CommitLogMaxOffset() < 3000 {
		if r := s.PutMessage(newMsg("D", 0, strings.Repeat("x", 200))); r.Status != PutOK {
			t.Fatal(r.Status)
		}
		acked++
	}
	full := func(f *os.File, size int64) error { return syscall.ENOSPC }
	allocateHook.Store(&full)
	var failed PutResult
	for i := 0; i < 10; i++ {
		r := s.PutMessage(newMsg("D", 0, strings.Repeat("x", 200)))
		if r.Status == PutOK {
			acked++
			continue
		}
		failed = r
		break
	}
	allocateHook.Store(nil)
	if failed.Status != CreateMappedFileFailed || !errors.Is(failed.Err, syscall.ENOSPC) {
		t.Fatalf("want CREATE_MAPEDFILE_FAILED with ENOSPC, got %v %v", failed.Status, failed.Err)
	}
	// The store is consistent: every acked message reads, and appends resume.
	r := s.PutMessage(newMsg("D", 0, "after"))
	if r.Status != PutOK || r.QueueOffset != int64(acked) {
		t.Fatalf("after ENOSPC: %v queue offset %d want %d", r.Status, r.QueueOffset, acked)
	}
	g := s.GetMessage("g", "D", 0, 0, 64, 0, nil)
	defer g.Release()
	if int(g.MsgCount) != acked+1 {
		t.Fatalf("read %d want %d", g.MsgCount, acked+1)
	}
}

// TestNextCommitLogFilePreallocated: creating a segment allocates the next one in the
// background, and the roll then uses it.
func TestNextCommitLogFilePreallocated(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 4096
	s := mustOpen(t, cfg)
	defer s.Close()
	s.PutMessage(newMsg("P", 0, "x"))
	next := filepath.Join(cfg.CommitLogDir(), fileName(4096))
	deadline := time.Now().Add(2 * time.Second)
	for {
		if st, err := os.Stat(next); err == nil && st.Size() == 4096 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("next file not pre-allocated")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for s.CommitLogMaxOffset() < 5000 {
		if r := s.PutMessage(newMsg("P", 0, strings.Repeat("x", 500))); r.Status != PutOK {
			t.Fatal(r.Status)
		}
	}
	g := s.GetMessage("g", "P", 0, 0, 32, 0, nil)
	defer g.Release()
	if g.MsgCount < 9 {
		t.Fatal(g.MsgCount)
	}
}

func TestLockExcludesSecondOpen(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	if _, err := Open(cfg); err == nil {
		t.Fatal("second open in the same process succeeded")
	}
	// Another process (this test binary re-executed) must be refused by the fcntl lock.
	if out, err := runChild(t, "TestLockChild", cfg.StorePathRootDir); err == nil || !strings.Contains(out, "another broker") {
		t.Fatalf("child opened a locked store: %v\n%s", err, out)
	}
	s.Close()
	if out, err := runChild(t, "TestLockChild", cfg.StorePathRootDir); err != nil {
		t.Fatalf("child could not open after close: %v\n%s", err, out)
	}
}

func TestLockChild(t *testing.T) {
	dir := os.Getenv("ROCKETGO_CHILD_DIR")
	if dir == "" {
		t.Skip("helper process")
	}
	cfg := DefaultConfig()
	cfg.StorePathRootDir = dir
	cfg.MappedFileSizeCommitLog = 64 * 1024
	cfg.MappedFileSizeConsumeQueue = 100 * cqUnitSize
	s, err := Open(cfg)
	if err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	s.Close()
}

// TestPutAllocatesNothing: the append path of a single message allocates nothing once the
// queue exists (ASYNC_FLUSH; a SYNC_FLUSH wait adds none either).
func TestPutAllocatesNothing(t *testing.T) {
	for _, fl := range []FlushDiskType{AsyncFlush, SyncFlush} {
		cfg := testConfig(t)
		cfg.MappedFileSizeCommitLog = 16 << 20
		cfg.FlushDiskType = fl
		s := mustOpen(t, cfg)
		m := newMsg("A", 0, strings.Repeat("x", 1024), "TAGS", "TagA", "KEYS", "a b")
		s.PutMessage(m)
		n := testing.AllocsPerRun(200, func() {
			if r := s.PutMessage(m); r.Status != PutOK {
				t.Fatal(r.Status)
			}
		})
		s.Close()
		if n != 0 {
			t.Fatalf("%s: %.1f allocations per put", fl, n)
		}
	}
}

// TestDiskFullOnNewQueue: when the consume-queue file of a new queue cannot be allocated, the
// put fails before anything reaches the commitlog.
func TestDiskFullOnNewQueue(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	defer s.Close()
	s.PutMessage(newMsg("Q", 0, "x"))
	end := s.CommitLogMaxOffset()
	full := func(f *os.File, size int64) error { return syscall.ENOSPC }
	allocateHook.Store(&full)
	r := s.PutMessage(newMsg("Q", 1, "to a new queue"))
	allocateHook.Store(nil)
	if r.Status != CreateMappedFileFailed || s.CommitLogMaxOffset() != end {
		t.Fatalf("status %v, commitlog end %d -> %d", r.Status, end, s.CommitLogMaxOffset())
	}
	if r := s.PutMessage(newMsg("Q", 1, "again")); r.Status != PutOK || r.QueueOffset != 0 {
		t.Fatalf("after the disk recovered: %v offset %d", r.Status, r.QueueOffset)
	}
}
