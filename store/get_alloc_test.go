package store

import (
	"testing"

	"github.com/sirupsen/logrus"
)

// TestGetMessageAllocs: a default 32-message pull allocates its result once (the record slices
// are the mapped files'), and a pull that finds nothing allocates only its small result.
func TestGetMessageAllocs(t *testing.T) {
	s := mustOpen(t, testConfig(t))
	defer s.Close()
	for i := 0; i < 64; i++ {
		s.PutMessage(newMsg("A", 0, "allocation counting"))
	}
	cases := []struct {
		name   string
		offset int64
		max    int32
		status GetStatus
		count  int32
		allocs float64
	}{
		{"32 found", 0, 32, Found, 32, 1},
		{"1 found", 63, 32, Found, 1, 1},
		{"nothing new", 64, 32, OffsetOverflowOne, 0, 1},
		{"above the default limit", 0, 64, Found, 32, 1}, // capped at maxTransferCountOnMessageInMemory
	}
	for _, c := range cases {
		var g *GetResult
		n := testing.AllocsPerRun(100, func() {
			g = s.GetMessage("g", "A", 0, c.offset, c.max, 0, nil)
			g.Release()
		})
		if g.Status != c.status || g.MsgCount != c.count {
			t.Fatalf("%s: %v with %d messages, want %v with %d", c.name, g.Status, g.MsgCount, c.status, c.count)
		}
		if n > c.allocs {
			t.Errorf("%s: %.1f allocations per pull, want at most %.0f", c.name, n, c.allocs)
		}
	}
	// A configuration that allows larger pulls still sizes the result once (three slices).
	larger := s.Config()
	larger.MaxTransferCountOnMessageInMemory = 64
	s.ApplyConfig(larger)
	n := testing.AllocsPerRun(100, func() { s.GetMessage("g", "A", 0, 0, 64, 0, nil).Release() })
	if n > 4 {
		t.Errorf("64-message pull: %.1f allocations, want at most 4", n)
	}
	g := s.GetMessage("g", "A", 0, 0, 64, 0, nil)
	defer g.Release()
	if g.MsgCount != 64 || len(g.QueueOffsets) != 64 || g.QueueOffsets[63] != 63 {
		t.Fatalf("64-message pull: %d messages, offsets %v", g.MsgCount, g.QueueOffsets)
	}
}

// BenchmarkGetMessage32: one default pull of 32 in-memory 1 KiB messages (per pull, not per
// message; BenchmarkSequentialRead reports per message).
func BenchmarkGetMessage32(b *testing.B) {
	logrus.SetLevel(logrus.WarnLevel)
	s, err := Open(benchConfig(b, AsyncFlush))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := bench1KMsg("Pull", 0)
	const n = 3200
	for i := 0; i < n; i++ {
		s.PutMessage(m)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		g := s.GetMessage("g", "Pull", 0, int64(i%100)*32, 32, 0, nil)
		if g.MsgCount != 32 {
			b.Fatal(g.Status, g.MsgCount)
		}
		g.Release()
	}
}
