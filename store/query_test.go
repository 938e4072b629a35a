package store

import (
	"fmt"
	"testing"

	"github.com/rocketgo/rocketgo/message"
)

// TestQueryMessageThroughIndex wires the IndexService in and queries by key and UNIQ_KEY,
// live and after a crash-style reopen.
func TestQueryMessageThroughIndex(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxHashSlotNum = 64
	cfg.MaxIndexNum = 256
	s := mustOpen(t, cfg, WithDefaultIndex())
	want := map[string]int64{}
	for i := 0; i < 50; i++ {
		r := s.PutMessage(newMsg("Q", 0, fmt.Sprint("b", i), "KEYS", fmt.Sprintf("k%d shared", i), "UNIQ_KEY", fmt.Sprint("U", i)))
		want[fmt.Sprint("k", i)] = r.WroteOffset
		want[fmt.Sprint("U", i)] = r.WroteOffset
	}
	check := func(s *Store) {
		t.Helper()
		for key, off := range want {
			q := s.QueryMessage("Q", key, 32, 0, Now()+1000)
			found := false
			for _, b := range q.Buffers {
				m, err := message.Decode(b)
				if err == nil && m.CommitLogOffset == off {
					found = true
				}
			}
			q.Release()
			if !found {
				t.Fatalf("key %s: offset %d not found", key, off)
			}
		}
		q := s.QueryMessage("Q", "shared", 100, 0, Now()+1000)
		if len(q.Buffers) != s.cfg.MaxMsgsNumBatch && len(q.Buffers) != 50 {
			t.Fatalf("shared key: %d results", len(q.Buffers))
		}
		q.Release()
	}
	check(s)
	s.Close()
	s = mustOpen(t, cfg, WithDefaultIndex())
	defer s.Close()
	check(s)
}

// TestQueryMaxMsgsNumBatchLive: raising maxMsgsNumBatch on the running store (updateBrokerConfig)
// lets a query return more offsets, as Java's queryOffset reads the key on every query.
func TestQueryMaxMsgsNumBatchLive(t *testing.T) {
	cfg := testConfig(t)
	cfg.MaxHashSlotNum = 64
	cfg.MaxIndexNum = 512
	cfg.MaxMsgsNumBatch = 16
	s := mustOpen(t, cfg, WithDefaultIndex())
	defer s.Close()
	for i := 0; i < 40; i++ {
		s.PutMessage(newMsg("Q", 0, fmt.Sprint("b", i), "KEYS", "same"))
	}
	count := func() int {
		q := s.QueryMessage("Q", "same", 100, 0, Now()+1000)
		defer q.Release()
		return len(q.Buffers)
	}
	if n := count(); n != 16 {
		t.Fatalf("%d results at maxMsgsNumBatch=16", n)
	}
	c := s.Config()
	c.MaxMsgsNumBatch = 32
	s.ApplyConfig(c)
	if n := count(); n != 32 {
		t.Fatalf("%d results after raising maxMsgsNumBatch to 32", n)
	}
}
