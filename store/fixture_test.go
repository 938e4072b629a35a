package store

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/message"
)

// fixtureMsg is the part of manifest.json's messages[] this test checks.
type fixtureMsg struct {
	Topic                     string `json:"topic"`
	QueueID                   int32  `json:"queueId"`
	QueueOffset               int64  `json:"queueOffset"`
	CommitLogOffset           int64  `json:"commitLogOffset"`
	StoreSize                 int32  `json:"storeSize"`
	OffsetMsgID               string `json:"offsetMsgId"`
	UniqKey                   string `json:"uniqKey"`
	Keys                      string `json:"keys"`
	Tags                      string `json:"tags"`
	Properties                map[string]string
	PropertiesRaw             string `json:"propertiesRaw"`
	StoredBodyBase64          string `json:"storedBodyBase64"`
	BodyCRC                   int32  `json:"bodyCRC"`
	SysFlag                   int32  `json:"sysFlag"`
	Flag                      int32  `json:"flag"`
	BornTimestamp             int64  `json:"bornTimestamp"`
	StoreTimestamp            int64  `json:"storeTimestamp"`
	BornHost                  string `json:"bornHost"`
	StoreHost                 string `json:"storeHost"`
	ReconsumeTimes            int32  `json:"reconsumeTimes"`
	PreparedTransactionOffset int64  `json:"preparedTransactionOffset"`
	ConsumeQueue              []struct {
		Topic    string `json:"topic"`
		QueueID  int32  `json:"queueId"`
		CQIndex  int64  `json:"cqIndex"`
		TagsCode int64  `json:"tagsCode"`
	} `json:"consumeQueue"`
}

type fixtureManifest struct {
	CommitlogRecordCount int          `json:"commitlogRecordCount"`
	Messages             []fixtureMsg `json:"messages"`
}

const fixtureDir = "../testdata/java-4.9.8-store"

// untarFixture unpacks the compact Java store and returns its root.
func untarFixture(t testing.TB) string {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureDir, "store-compact.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return filepath.Join(dst, "store-compact")
}

func loadManifest(t testing.TB) fixtureManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m fixtureManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestJavaFixtureInterop opens a store written by the stock Java 4.9.8 broker, checks every
// record and consume-queue unit against the manifest, then appends, reopens and checks again.
func TestJavaFixtureInterop(t *testing.T) {
	root := untarFixture(t)
	man := loadManifest(t)
	if len(man.Messages) != man.CommitlogRecordCount || len(man.Messages) == 0 {
		t.Fatalf("manifest has %d messages", len(man.Messages))
	}
	cfg := DefaultConfig() // the fixture uses Java's default file sizes
	cfg.StorePathRootDir = root
	s := mustOpen(t, cfg)
	if !s.lastExitOK || s.recovery.DamagedFile != "" {
		t.Fatalf("recovery: %+v", s.recovery)
	}
	checkFixture(t, s, man)

	// Append to a fixture queue and to a new one, reopen, check everything again.
	r1 := s.PutMessage(newMsg("FixA", 0, "from rocketgo", "TAGS", "TagA", "KEYS", "go-1"))
	r2 := s.PutMessage(newMsg("FixNew", 0, "new topic"))
	if r1.Status != PutOK || r1.QueueOffset != 7 || r1.WroteOffset != 9875 || r2.QueueOffset != 0 {
		t.Fatalf("append: %+v %+v", r1, r2)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, cfg)
	defer s.Close()
	checkFixture(t, s, man)
	g := s.GetMessage("g", "FixA", 0, 7, 32, 0, nil)
	defer g.Release()
	if g.Status != Found || g.MsgCount != 1 {
		t.Fatalf("appended message: %v", g.Status)
	}
	m, _ := message.Decode(g.Buffers[0])
	if string(m.Body) != "from rocketgo" || m.CommitLogOffset != 9875 {
		t.Fatalf("appended: %v", m)
	}
	if s.MaxOffsetInQueue("FixNew", 0) != 1 {
		t.Fatal("new queue lost")
	}
}

func checkFixture(t *testing.T, s *Store, man fixtureManifest) {
	t.Helper()
	perQueue := map[queueKey]int64{}
	for _, fm := range man.Messages {
		m, err := s.LookMessageByOffset(fm.CommitLogOffset)
		if err != nil {
			t.Fatalf("record at %d: %v", fm.CommitLogOffset, err)
		}
		body, _ := base64.StdEncoding.DecodeString(fm.StoredBodyBase64)
		if m.Topic != fm.Topic || m.QueueID != fm.QueueID || m.QueueOffset != fm.QueueOffset || m.StoreSize != fm.StoreSize ||
			m.MsgID() != fm.OffsetMsgID || m.BodyCRC != fm.BodyCRC || m.SysFlag != fm.SysFlag || m.Flag != fm.Flag ||
			m.BornTimestamp != fm.BornTimestamp || m.StoreTimestamp != fm.StoreTimestamp ||
			m.BornHost != netip.MustParseAddrPort(fm.BornHost) || m.StoreHost != netip.MustParseAddrPort(fm.StoreHost) ||
			m.ReconsumeTimes != fm.ReconsumeTimes || m.PreparedTransactionOffset != fm.PreparedTransactionOffset ||
			!bytes.Equal(m.Body, body) || string(m.Properties) != fm.PropertiesRaw {
			t.Fatalf("record at %d differs:\n got %v props %q\nwant %+v", fm.CommitLogOffset, m, m.Properties, fm)
		}
		if message.BodyCRC(m.Body) != fm.BodyCRC {
			t.Fatalf("record at %d: CRC does not cover the stored body", fm.CommitLogOffset)
		}
		props := message.ParseProperties(m.Properties)
		if props["UNIQ_KEY"] != fm.UniqKey || props["KEYS"] != fm.Keys || props["TAGS"] != fm.Tags || len(props) != len(fm.Properties) {
			t.Fatalf("record at %d properties %v", fm.CommitLogOffset, props)
		}
		for _, u := range fm.ConsumeQueue {
			cq := s.findCQ(u.Topic, u.QueueID)
			if cq == nil {
				t.Fatalf("no queue %s/%d", u.Topic, u.QueueID)
			}
			phys, size, tags, ok := cq.unitAt(u.CQIndex)
			if !ok || phys != fm.CommitLogOffset || size != fm.StoreSize || tags != u.TagsCode {
				t.Fatalf("unit %s/%d/%d = %d %d %d, want %d %d %d", u.Topic, u.QueueID, u.CQIndex, phys, size, tags,
					fm.CommitLogOffset, fm.StoreSize, u.TagsCode)
			}
			if u.Topic != message.ScheduleTopic && tags != message.TagsCode(fm.Tags) {
				t.Fatalf("tags code %d is not the Java hash of %q", tags, fm.Tags)
			}
			g := s.GetMessage("g", u.Topic, u.QueueID, u.CQIndex, 1, 0, nil)
			if g.Status != Found || !bytes.Equal(g.Buffers[0][:g.BufferTotalSize], mustSelect(t, s, fm.CommitLogOffset)) {
				t.Fatalf("pull of %s/%d/%d: %v", u.Topic, u.QueueID, u.CQIndex, g.Status)
			}
			g.Release()
			k := queueKey{u.Topic, u.QueueID}
			perQueue[k] = max(perQueue[k], u.CQIndex+1)
		}
	}
	for k, n := range perQueue {
		if got := s.MaxOffsetInQueue(k.topic, k.queue); got < n || (got != n && !strings.HasPrefix(k.topic, "Fix")) {
			t.Fatalf("%s/%d max offset %d want %d", k.topic, k.queue, got, n)
		}
	}
}

func mustSelect(t *testing.T, s *Store, off int64) []byte {
	sel := s.SelectOneMessageByOffset(off)
	if sel == nil {
		t.Fatalf("no record at %d", off)
	}
	defer sel.Release()
	return append([]byte(nil), sel.Bytes...)
}

// TestJavaFixtureAfterJavaCrash: the same Java store as if the Java broker had been killed
// (abort present): abnormal recovery re-scans it and changes nothing.
func TestJavaFixtureAfterJavaCrash(t *testing.T) {
	root := untarFixture(t)
	man := loadManifest(t)
	cfg := DefaultConfig()
	cfg.StorePathRootDir = root
	if err := os.WriteFile(cfg.AbortPath(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, cfg)
	defer s.Close()
	if !s.recovery.Abnormal || s.recovery.DamagedFile != "" || s.recovery.EndOffset != 9875 || s.recovery.Dispatched != len(man.Messages) {
		t.Fatalf("recovery %+v", s.recovery)
	}
	checkFixture(t, s, man)
}
