package store

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"

	"github.com/rocketgo/rocketgo/message"
)

var (
	testBorn  = netip.MustParseAddrPort("10.0.0.7:40000")
	testStore = netip.MustParseAddrPort("127.0.0.1:10911")
)

// testConfig is a small-file store under a temp dir.
func testConfig(t testing.TB) Config {
	cfg := DefaultConfig()
	cfg.StorePathRootDir = t.TempDir()
	cfg.MappedFileSizeCommitLog = 64 * 1024
	cfg.MappedFileSizeConsumeQueue = 100 * cqUnitSize
	return cfg
}

func mustOpen(t testing.TB, cfg Config, opts ...Option) *Store {
	t.Helper()
	s, err := Open(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newMsg(topic string, qid int32, body string, props ...string) *message.Msg {
	var p []byte
	for i := 0; i+1 < len(props); i += 2 {
		p = message.AppendProperty(p, props[i], props[i+1])
	}
	return &message.Msg{Topic: topic, QueueID: qid, Body: []byte(body), Properties: p,
		BornTimestamp: 1700000000000, BornHost: testBorn, StoreHost: testStore}
}

func TestPutGetRoundTrip(t *testing.T) {
	cfg := testConfig(t)
	s := mustOpen(t, cfg)
	var want [][]byte
	for i := 0; i < 50; i++ {
		m := newMsg("T", int32(i%2), fmt.Sprintf("body-%d", i), "TAGS", "TagA", "KEYS", fmt.Sprint("k", i))
		r := s.PutMessage(m)
		if r.Status != PutOK || r.QueueOffset != int64(i/2) {
			t.Fatalf("put %d: %+v", i, r)
		}
		sel := s.SelectOneMessageByOffset(r.WroteOffset)
		if sel == nil {
			t.Fatal("select")
		}
		want = append(want, append([]byte(nil), sel.Bytes...))
		sel.Release()
		if id := r.MsgID(); len(id) != 32 {
			t.Fatalf("msgid %q", id)
		}
	}
	check := func(s *Store) {
		t.Helper()
		for q := int32(0); q < 2; q++ {
			g := s.GetMessage("g", "T", q, 0, 32, 0, nil)
			if g.Status != Found || g.MsgCount != 25 || g.NextBeginOffset != 25 || g.MaxOffset != 25 {
				t.Fatalf("get q%d: %v count %d next %d", q, g.Status, g.MsgCount, g.NextBeginOffset)
			}
			for i, b := range g.Buffers {
				if !bytes.Equal(b, want[i*2+int(q)]) {
					t.Fatalf("q%d msg %d differs", q, i)
				}
			}
			g.Release()
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, cfg)
	defer s.Close()
	check(s)
	if r := s.PutMessage(newMsg("T", 0, "after")); r.QueueOffset != 25 {
		t.Fatalf("after reopen queue offset %d", r.QueueOffset)
	}
}
