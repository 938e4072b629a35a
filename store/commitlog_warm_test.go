package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// resident counts the pages of b (a file mapping) that are in the page cache.
func resident(t *testing.T, b []byte) int {
	t.Helper()
	if len(b) == 0 {
		return 0
	}
	vec := make([]byte, (len(b)+osPageSize-1)/osPageSize)
	_, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(b))),
		uintptr(len(b)), uintptr(unsafe.Pointer(unsafe.SliceData(vec))))
	if e != 0 {
		t.Fatalf("mincore: %v", e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// waitWarmed waits until the warmer covers at least half the window ahead of the current end
// (it is woken when less than that is left, and then warms a whole window) and returns the
// absolute offset it has covered.
func waitWarmed(t *testing.T, s *Store) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	want := s.CommitLogMaxOffset() + s.cl.warm.window/2
	for s.cl.warm.done.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("warmer covered up to %d, want %d", s.cl.warm.done.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
	return s.cl.warm.done.Load()
}

func TestWarmerKeepsWindowResident(t *testing.T) {
	// Larger than the kernel's own read-around on a fault (read_ahead_kb, 8 MiB here), which
	// alone keeps a few MiB ahead of the appender resident.
	const window = 24 << 20
	for _, tc := range []struct {
		name       string
		noPopulate bool // the fallback for kernels without MADV_POPULATE_WRITE
	}{{"madvise", false}, {"read fallback", true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.MappedFileSizeCommitLog = 64 << 20
			s := mustOpen(t, cfg, WithWarmWindow(window))
			defer s.Close()
			s.cl.warm.noPopulate.Store(tc.noPopulate)
			body := strings.Repeat("w", 1000)
			for s.CommitLogMaxOffset() < 3<<20 {
				if r := s.PutMessage(newMsg("W", 0, body)); r.Status != PutOK {
					t.Fatal(r.Status)
				}
			}
			done := waitWarmed(t, s)
			f := s.cl.q.last()
			end := int(f.wrote.Load()+osPageSize-1) &^ (osPageSize - 1)
			if done > f.from+int64(f.size) || done-f.from < int64(end)+window/2 {
				t.Fatalf("warmed up to %d, write position %d", done, f.from+f.wrote.Load())
			}
			ahead := f.data[end : done-f.from]
			if n, want := resident(t, ahead), (len(ahead)+osPageSize-1)/osPageSize; n != want {
				t.Fatalf("%d of %d pages in the window ahead of the write position are resident", n, want)
			}
			// Bounded: nothing well past the window was faulted in. The kernel's read-around
			// on a fault may add up to the device's read_ahead_kb (8 MiB here), hence the margin.
			if n := resident(t, f.data[end+window+(16<<20):]); n != 0 {
				t.Fatalf("%d pages resident beyond the window", n)
			}
			if s.cl.warm.populated.Load() == 0 {
				t.Fatal("warmer counted nothing")
			}
			if tc.noPopulate != s.cl.warm.noPopulate.Load() {
				t.Fatal("fallback flag changed")
			}
		})
	}
}

func TestWarmerWarmsPreallocatedNextSegment(t *testing.T) {
	const size, window = 1 << 20, 512 << 10
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = size
	s := mustOpen(t, cfg, WithWarmWindow(window))
	defer s.Close()
	body := strings.Repeat("n", 1000)
	if r := s.PutMessage(newMsg("N", 0, body)); r.Status != PutOK {
		t.Fatal(r.Status)
	}
	next := filepath.Join(cfg.CommitLogDir(), fileName(size))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, err := os.Stat(next); err == nil && st.Size() == size {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("next segment was not pre-allocated")
		}
		time.Sleep(time.Millisecond)
	}
	for s.CommitLogMaxOffset() < size-window/4 {
		if r := s.PutMessage(newMsg("N", 0, body)); r.Status != PutOK {
			t.Fatal(r.Status)
		}
	}
	waitWarmed(t, s)
	if s.CommitLogMaxOffset() >= size {
		t.Fatal("rolled over before the check")
	}
	// With its window reaching into the next segment, the warmer is idle, not spinning.
	steps := s.cl.warm.steps.Load()
	time.Sleep(50 * time.Millisecond)
	if n := s.cl.warm.steps.Load() - steps; n > 2 {
		t.Fatalf("warmer took %d steps while nothing was appended", n)
	}
	fd, err := os.Open(next)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	data, err := syscall.Mmap(int(fd.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(data)
	// The window reaches window/4 or more into the next segment.
	if n, want := resident(t, data[:window/4]), window/4/osPageSize; n != want {
		t.Fatalf("%d of %d pages at the start of the next segment are resident", n, want)
	}
	// Warming left the pre-allocated segment all zeros, and the roll-over into it works.
	if !isZero(data) {
		t.Fatal("warming wrote into the next segment")
	}
	var last PutResult
	for s.CommitLogMaxOffset() < size+4096 {
		if last = s.PutMessage(newMsg("N", 0, body)); last.Status != PutOK {
			t.Fatal(last.Status)
		}
	}
	sel := s.SelectOneMessageByOffset(last.WroteOffset)
	if sel == nil || !bytes.Contains(sel.Bytes, []byte(body)) {
		t.Fatal("record in the warmed segment does not read back")
	}
	sel.Release()
}

func TestWarmerOff(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg, WithWarmWindow(0))
	for i := 0; i < 100; i++ {
		if r := s.PutMessage(newMsg("O", 0, "x")); r.Status != PutOK {
			t.Fatal(r.Status)
		}
	}
	time.Sleep(20 * time.Millisecond)
	if n := s.cl.warm.populated.Load(); n != 0 {
		t.Fatalf("warmer off, yet %d bytes populated", n)
	}
	s.Close()
}

// Records written while the warmer runs ahead (across several roll-overs) read back intact
// after a reopen: warming never changes bytes.
func TestWarmerKeepsRecordsIntact(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg, WithWarmWindow(8<<10))
	var want []string
	for i := 0; s.CommitLogMaxOffset() < 5*int64(cfg.MappedFileSizeCommitLog); i++ {
		b := fmt.Sprintf("%d-%s", i, strings.Repeat("r", i%700))
		want = append(want, b)
		if r := s.PutMessage(newMsg("R", 0, b)); r.Status != PutOK {
			t.Fatal(r.Status)
		}
	}
	s.Close()
	s = mustOpen(t, cfg)
	defer s.Close()
	for off := 0; off < len(want); {
		g := s.GetMessage("g", "R", 0, int64(off), 32, 0, nil)
		if g.Status != Found {
			t.Fatalf("offset %d: %v", off, g.Status)
		}
		for _, buf := range g.Buffers {
			if !bytes.Contains(buf, []byte(want[off])) {
				t.Fatalf("offset %d does not hold %q", off, want[off])
			}
			off++
		}
		g.Release()
	}
}

// An append that reaches the next segment while its pre-allocation is still running waits for
// it instead of allocating the file a second time or mapping it half-sized.
func TestRollWaitsForPreallocationInProgress(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg, WithWarmWindow(0))
	defer s.Close()
	var calls atomic.Int32
	var nextCalls atomic.Int32
	nextName := fileName(int64(cfg.MappedFileSizeCommitLog))
	slow := func(f *os.File, size int64) error {
		calls.Add(1)
		if filepath.Base(f.Name()) == nextName {
			nextCalls.Add(1)
			time.Sleep(200 * time.Millisecond)
		}
		return f.Truncate(size)
	}
	allocateHook.Store(&slow)
	defer allocateHook.Store(nil)
	if r := s.PutMessage(newMsg("P", 0, "first")); r.Status != PutOK {
		t.Fatal(r.Status)
	}
	// The pre-allocation of the next segment has created its file and sleeps in the hook.
	for nextCalls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for s.CommitLogMaxOffset() < int64(cfg.MappedFileSizeCommitLog)+100 {
		if r := s.PutMessage(newMsg("P", 0, strings.Repeat("p", 900))); r.Status != PutOK {
			t.Fatal(r.Status)
		}
	}
	if n := nextCalls.Load(); n != 1 {
		t.Fatalf("segment %s allocated %d times", nextName, n)
	}
	st, err := os.Stat(filepath.Join(cfg.CommitLogDir(), nextName))
	if err != nil || st.Size() != int64(cfg.MappedFileSizeCommitLog) {
		t.Fatalf("next segment: %v, %v", st, err)
	}
	if calls.Load() == 0 {
		t.Fatal("hook not used")
	}
}
