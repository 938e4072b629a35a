package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/sirupsen/logrus"
)

// Benchmarks come in pairs measured in the same run: the store's operation and the bare
// system operation it is built on. BenchmarkStoreRatios prints the ratios (and, with
// ROCKETGO_BENCH_REPORT=<file>, writes them as a markdown table).

var benchSink int64

func benchConfig(b *testing.B, flush FlushDiskType) Config {
	cfg := DefaultConfig()
	cfg.StorePathRootDir = b.TempDir()
	cfg.MappedFileSizeCommitLog = 128 << 20
	cfg.FlushDiskType = flush
	return cfg
}

func bench1KMsg(topic string, q int32) *message.Msg {
	return &message.Msg{Topic: topic, QueueID: q, Body: make([]byte, 1024),
		Properties: message.AppendProperty(nil, "TAGS", "TagA"), BornHost: testBorn, StoreHost: testStore}
}

// BenchmarkAppend1KAsync: PutMessage of 1 KiB bodies under ASYNC_FLUSH (encode + CRC into the
// mapped commitlog, consume-queue unit, flusher wake-up).
func BenchmarkAppend1KAsync(b *testing.B) {
	logrus.SetLevel(logrus.WarnLevel)
	s, err := Open(benchConfig(b, AsyncFlush))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := bench1KMsg("Bench", 0)
	b.SetBytes(int64(message.RecordLen(m)))
	b.ReportAllocs()
	cpu := startThreadCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := s.PutMessage(m); r.Status != PutOK {
			b.Fatal(r.Status)
		}
	}
	b.StopTimer()
	cpu.report(b)
}

// threadCPU measures CPU time next to the wall clock. cpu-ns/op is the benchmark's own thread
// (RUSAGE_THREAD, the goroutine locked to it): on a shared machine wall time includes whatever
// else ran, while this counts only the time the loop itself spent on a CPU, page faults
// included. proc-cpu-ns/op is the whole process, so it adds what the store hands to its own
// goroutines (page warmer, flusher and its fdatasync; the kernel's own writeback threads, which
// write the bare copy's pages back, are in neither).
type threadCPU struct{ thread, proc time.Duration }

func startThreadCPU() threadCPU {
	runtime.LockOSThread()
	return threadCPU{cpuTime(rusageThread), cpuTime(syscall.RUSAGE_SELF)}
}

func (t threadCPU) report(b *testing.B) {
	th, pr := cpuTime(rusageThread)-t.thread, cpuTime(syscall.RUSAGE_SELF)-t.proc
	runtime.UnlockOSThread()
	b.ReportMetric(float64(th.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(pr.Nanoseconds())/float64(b.N), "proc-cpu-ns/op")
}

const rusageThread = 1 // RUSAGE_THREAD, not in package syscall

func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBareMmapCopy1K: copying the same number of bytes into fresh mapped files that are
// kept (so the kernel has the same writeback to do), the floor for any mmap commitlog.
func BenchmarkBareMmapCopy1K(b *testing.B) {
	size := 128 << 20
	rec := make([]byte, message.RecordLen(bench1KMsg("Bench", 0)))
	b.SetBytes(int64(len(rec)))
	dir := b.TempDir()
	var mf *MappedFile
	var all []*MappedFile
	defer func() {
		for _, f := range all {
			f.destroy()
		}
	}()
	next := 0
	open := func() {
		var err error
		mf, err = openMappedFile(filepath.Join(dir, fileName(int64(next))), int64(next), size)
		if err != nil {
			b.Fatal(err)
		}
		next += size
		all = append(all, mf)
	}
	open()
	pos := 0
	cpu := startThreadCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if pos+len(rec)+8 > size {
			open()
			pos = 0
		}
		copy(mf.data[pos:], rec)
		pos += len(rec)
	}
	b.StopTimer()
	cpu.report(b)
}

func benchSyncAppend(b *testing.B, workers int) {
	logrus.SetLevel(logrus.WarnLevel)
	s, err := Open(benchConfig(b, SyncFlush))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(int64(message.RecordLen(bench1KMsg("Bench", 0))))
	b.ReportAllocs()
	var q atomic.Int32
	b.SetParallelism(max(1, workers/max(1, runtimeProcs())))
	b.ResetTimer()
	if workers == 1 {
		m := bench1KMsg("Bench", 0)
		for i := 0; i < b.N; i++ {
			if r := s.PutMessage(m); r.Status != PutOK {
				b.Fatal(r.Status)
			}
		}
		return
	}
	b.RunParallel(func(pb *testing.PB) {
		m := bench1KMsg("Bench", q.Add(1)%8)
		for pb.Next() {
			if r := s.PutMessage(m); r.Status != PutOK {
				b.Error(r.Status)
				return
			}
		}
	})
}

// BenchmarkSyncFlush1 / 64: SYNC_FLUSH puts from 1 and 64 goroutines (group commit).
func BenchmarkSyncFlush1(b *testing.B)  { benchSyncAppend(b, 1) }
func BenchmarkSyncFlush64(b *testing.B) { benchSyncAppend(b, 64) }

// BenchmarkBareWriteFdatasync: write(1 KiB record) + fdatasync per message, the floor for a
// durable append from one writer.
func BenchmarkBareWriteFdatasync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "bare"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rec := make([]byte, message.RecordLen(bench1KMsg("Bench", 0)))
	b.SetBytes(int64(len(rec)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Write(rec); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSequentialRead: pulling a queue from start to end, 32 messages per GetMessage.
func BenchmarkSequentialRead(b *testing.B) {
	logrus.SetLevel(logrus.WarnLevel)
	s, err := Open(benchConfig(b, AsyncFlush))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := bench1KMsg("Read", 0)
	const n = 20000
	for i := 0; i < n; i++ {
		s.PutMessage(m)
	}
	b.SetBytes(int64(message.RecordLen(m)))
	b.ReportAllocs()
	b.ResetTimer()
	off := int64(0)
	for i := 0; i < b.N; {
		g := s.GetMessage("g", "Read", 0, off, 32, 0, nil)
		if g.Status != Found {
			b.Fatal(g.Status)
		}
		for _, buf := range g.Buffers {
			benchSink += int64(buf[len(buf)-1])
		}
		i += int(g.MsgCount)
		off = g.NextBeginOffset
		if off >= n {
			off = 0
		}
		g.Release()
	}
}

// BenchmarkRecoveryAfterCrash: reopening a store with the abort file present and the page cache
// warm (full scan with CRC and re-dispatch); reports seconds per GiB of commitlog.
func BenchmarkRecoveryAfterCrash(b *testing.B) {
	logrus.SetLevel(logrus.WarnLevel)
	cfg := benchConfig(b, AsyncFlush)
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m := bench1KMsg("Rec", 0)
	for s.CommitLogMaxOffset() < 256<<20 {
		m.QueueID = int32(s.CommitLogMaxOffset()/1024) % 8
		s.PutMessage(m)
	}
	logSize := s.CommitLogMaxOffset()
	s.Close()
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.WriteFile(cfg.AbortPath(), nil, 0o644)
		// Lose the checkpoint too, so recovery scans from the first file.
		os.Remove(cfg.CheckpointPath())
		b.StartTimer()
		start := time.Now()
		s, err := Open(cfg)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		if s.recovery.EndOffset != logSize || s.recovery.Dispatched == 0 {
			b.Fatalf("recovered to %d of %d", s.recovery.EndOffset, logSize)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N)/(float64(logSize)/(1<<30)), "s/GiB")
}

func runtimeProcs() int { return max(1, testingProcs) }

var testingProcs = runtime.NumCPU()

// TestStoreBenchReport runs every pair in one process and writes the ratios as a markdown table
// to $ROCKETGO_BENCH_REPORT (skipped without it): go test -run TestStoreBenchReport ./store/
// (a benchmark cannot run others: testing.Benchmark inside a benchmark deadlocks).
func TestStoreBenchReport(t *testing.T) {
	if os.Getenv("ROCKETGO_BENCH_REPORT") == "" {
		t.Skip("set ROCKETGO_BENCH_REPORT=<file> to run")
	}
	for k, v := range measureRatios(t) {
		t.Logf("%s = %.3f", k, v)
	}
}

func measureRatios(b testing.TB) map[string]float64 {
	res := testing.Benchmark
	// The append and its bare copy run alternately, twice each, and each keeps its faster run:
	// on a shared machine a single run of either can land on a busy second.
	app, bare := res(BenchmarkAppend1KAsync), res(BenchmarkBareMmapCopy1K)
	app2, bare2 := res(BenchmarkAppend1KAsync), res(BenchmarkBareMmapCopy1K)
	app, bare = faster(app, app2), faster(bare, bare2)
	s1, s64, fs := res(BenchmarkSyncFlush1), res(BenchmarkSyncFlush64), res(BenchmarkBareWriteFdatasync)
	rd := res(BenchmarkSequentialRead)
	rec := res(BenchmarkRecoveryAfterCrash)
	ratio := func(x, y testing.BenchmarkResult) float64 { return float64(y.NsPerOp()) / float64(max(1, x.NsPerOp())) }
	cpuRatio := func(x, y testing.BenchmarkResult, unit string) float64 {
		return y.Extra[unit] / max(1, x.Extra[unit])
	}
	rows := []string{
		"| benchmark | ns/op | MB/s | allocs/op | vs bare |",
		"| --- | ---: | ---: | ---: | ---: |",
		row("append 1 KiB, ASYNC_FLUSH", app, ratio(app, bare)),
		row("bare copy into mapped files", bare, 1),
		cpuRow("append 1 KiB, ASYNC_FLUSH: CPU of the appending thread", app, "cpu-ns/op", cpuRatio(app, bare, "cpu-ns/op")),
		cpuRow("bare copy: CPU of the copying thread", bare, "cpu-ns/op", 1),
		cpuRow("append 1 KiB, ASYNC_FLUSH: CPU of the whole process (warmer, flusher)", app, "proc-cpu-ns/op", cpuRatio(app, bare, "proc-cpu-ns/op")),
		cpuRow("bare copy: CPU of the whole process", bare, "proc-cpu-ns/op", 1),
		row("append 1 KiB, SYNC_FLUSH, 1 appender", s1, ratio(s1, fs)),
		row("append 1 KiB, SYNC_FLUSH, 64 appenders", s64, ratio(s64, fs)),
		row("bare write + fdatasync, 1 writer", fs, 1),
		row("sequential read, 32 per pull", rd, 0),
		fmt.Sprintf("| recovery after crash, warm cache | %.3f s/GiB | | | |", rec.Extra["s/GiB"]),
	}
	out := strings.Join(rows, "\n") + "\n"
	b.Log("\n" + out)
	if p := os.Getenv("ROCKETGO_BENCH_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			b.Error(err)
		}
	}
	return map[string]float64{"append/bare": ratio(app, bare), "append/bare thread CPU": cpuRatio(app, bare, "cpu-ns/op"),
		"append/bare process CPU": cpuRatio(app, bare, "proc-cpu-ns/op"), "sync1/bare": ratio(s1, fs),
		"sync64/bare": ratio(s64, fs), "recovery-s/GiB": rec.Extra["s/GiB"]}
}

func faster(x, y testing.BenchmarkResult) testing.BenchmarkResult {
	if y.NsPerOp() < x.NsPerOp() {
		return y
	}
	return x
}

// cpuRow is a CPU-time line (ns of CPU per message, from the benchmark's extra metric unit).
func cpuRow(name string, r testing.BenchmarkResult, unit string, vs float64) string {
	return fmt.Sprintf("| %s | %.0f | | | %.0f%% |", name, r.Extra[unit], vs*100)
}

func row(name string, r testing.BenchmarkResult, vs float64) string {
	mbs := 0.0
	if r.T > 0 {
		mbs = float64(r.Bytes) * float64(r.N) / r.T.Seconds() / 1e6
	}
	v := ""
	if vs > 0 {
		v = fmt.Sprintf("%.0f%%", vs*100)
	}
	return fmt.Sprintf("| %s | %d | %.0f | %d | %s |", name, r.NsPerOp(), mbs, r.AllocsPerOp(), v)
}
