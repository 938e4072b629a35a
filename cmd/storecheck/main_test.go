package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/store"
)

const fixtureDir = "../../testdata/java-4.9.8-store"

// untarFixture unpacks the Java 4.9.8 store under dir and returns its root.
func untarFixture(t testing.TB, dir string) string {
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
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			t.Fatalf("unsafe path %s", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(target, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(target), 0o755)
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return filepath.Join(dir, "store-compact")
}

func runCheck(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String() + errOut.String()
}

// TestJavaFixtureClean checks the Java store: no damage, and the per-queue counts and offsets
// the manifest lists.
func TestJavaFixtureClean(t *testing.T) {
	root := untarFixture(t, t.TempDir())
	code, out := runCheck(t, root)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	data, err := os.ReadFile(filepath.Join(fixtureDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Messages []struct {
			ConsumeQueue []struct {
				Topic   string `json:"topic"`
				QueueID int    `json:"queueId"`
			} `json:"consumeQueue"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, msg := range m.Messages {
		for _, u := range msg.ConsumeQueue {
			counts[fmt.Sprintf("%s/%d", u.Topic, u.QueueID)]++
		}
	}
	if len(counts) != 7 {
		t.Fatalf("manifest queues: %v", counts)
	}
	for q, n := range counts {
		want := fmt.Sprintf("%-40s %8d %12d %12d %10d\n", q, n, 0, n, n)
		if !strings.Contains(out, want) {
			t.Errorf("missing line %q in\n%s", want, out)
		}
	}
	for _, want := range []string{"46 records", "index: 1 file(s), 93 entries", "topics.json: ok", "consumerOffset.json: ok", "damage: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func patch(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// TestDamageFound damages a copy of the Java store in one way at a time; the check must fail
// with a finding that names the place.
func TestDamageFound(t *testing.T) {
	const (
		cl    = "commitlog/00000000000000000000"
		cqA0  = "consumequeue/FixA/0/00000000000000000000"
		index = "index/20261124222623249"
		items = 40 + 5000000*4
	)
	cases := []struct {
		name   string
		damage func(t *testing.T, root string)
		want   []string
	}{
		{"body byte flipped", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, cl), 182+88, []byte{0xFF}) // record 2's body starts at +88
		}, []string{"offset 182): body CRC mismatch"}},
		{"magic overwritten", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, cl), 342+4, be32(0x12345678))
		}, []string{"offset 342): message: bad magic code; recovery stops here", "outside the commitlog"}},
		{"physical offset field", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, cl), 559+28, be64(1))
		}, []string{"@559: record says it is at offset 1"}},
		{"unit size", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, cqA0), 20+8, be32(99))
		}, []string{"consumequeue/FixA/0 queue offset 1: size 99"}},
		{"unit tags", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, cqA0), 12, be64(7))
		}, []string{"consumequeue/FixA/0 queue offset 0: tagsCode 7, record's tags give 2598919"}},
		{"unit points into a record", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, cqA0), 0, be64(5))
		}, []string{"consumequeue/FixA/0 queue offset 0: no record at offset 5"}},
		{"queue lost its tail", func(t *testing.T, root string) {
			os.Truncate(filepath.Join(root, cqA0), 6*20)
		}, []string{"consumequeue/FixA/0: commitlog has records up to queue offset 6, the queue ends at 6"}},
		{"queue missing", func(t *testing.T, root string) {
			os.RemoveAll(filepath.Join(root, "consumequeue/FixB/1"))
		}, []string{"queue FixB/1: 7 records in the commitlog but no consume queue"}},
		{"index item offset", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, index), items+1*20+4, be64(182))
		}, []string{"index/20261124222623249 item 1: no key of the record at 182 hashes to"}},
		{"index item hash", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, index), items+2*20, be32(12345))
		}, []string{"index/20261124222623249: item 2 (hash 12345) sits in the chain of slot"}},
		{"index slot beyond count", func(t *testing.T, root string) {
			patch(t, filepath.Join(root, index), 40+4*17, be32(500))
		}, []string{"index/20261124222623249: slot 17 points at item 500"}},
		{"both config copies corrupt", func(t *testing.T, root string) {
			os.WriteFile(filepath.Join(root, "config/topics.json"), []byte("{"), 0o644)
			os.WriteFile(filepath.Join(root, "config/topics.json.bak"), []byte("{"), 0o644)
		}, []string{"config/topics.json: store: config", "topics.json: unusable"}},
		{"commitlog file too long", func(t *testing.T, root string) {
			// With 8 KiB segments the 9875-byte file is too long, and the data runs past 8 KiB.
			os.WriteFile(filepath.Join(root, "broker.conf"), []byte("mappedFileSizeCommitLog=8192\nstorePathRootDir="+root+"\n"), 0o644)
		}, []string{"configured size is 8192"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := untarFixture(t, t.TempDir())
			tc.damage(t, root)
			args := []string{root}
			if _, err := os.Stat(filepath.Join(root, "broker.conf")); err == nil {
				args = []string{"-c", filepath.Join(root, "broker.conf")}
			}
			code, out := runCheck(t, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestConfigFallbackIsNotDamage: a corrupt config file with a good .bak is what the broker
// recovers from by itself; it is reported but does not fail the check.
func TestConfigFallbackIsNotDamage(t *testing.T) {
	root := untarFixture(t, t.TempDir())
	os.WriteFile(filepath.Join(root, "config/consumerOffset.json"), []byte(`{"offsetTable":{`), 0o644)
	code, out := runCheck(t, root)
	if code != 0 || !strings.Contains(out, "consumerOffset.json: from .bak") || !strings.Contains(out, "note: config/consumerOffset.json: unusable") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestOurStoreClean writes a store with rocketgo's store and index and checks it, with small
// segment files so that the commitlog and the index both roll.
func TestOurStoreClean(t *testing.T) {
	root := t.TempDir()
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = root
	cfg.MappedFileSizeCommitLog = 64 << 10
	cfg.MappedFileSizeConsumeQueue = 50 * 20
	cfg.MaxHashSlotNum = 64
	cfg.MaxIndexNum = 100
	idx := store.NewIndexService(store.IndexConfigFrom(&cfg))
	s, err := store.Open(cfg, store.WithIndex(idx))
	if err != nil {
		t.Fatal(err)
	}
	host := netip.MustParseAddrPort("127.0.0.1:10911")
	const n = 300
	for i := 0; i < n; i++ {
		var props []byte
		props = message.AppendProperty(props, message.PropertyKeys, fmt.Sprintf("k%d order-%d", i%10, i))
		props = message.AppendProperty(props, message.PropertyUniqClientMessageIDKeyIdx, fmt.Sprintf("U%06d", i))
		props = message.AppendProperty(props, message.PropertyTags, fmt.Sprintf("Tag%d", i%3))
		m := &message.Msg{Topic: fmt.Sprintf("T%d", i%2), QueueID: int32(i % 3), BornHost: host, StoreHost: host,
			BornTimestamp: 1795559183234, Body: bytes.Repeat([]byte{byte(i)}, 200+i%300), Properties: props}
		if res := s.PutMessage(m); !res.Status.Stored() {
			t.Fatalf("put %d: %v", i, res.Status)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	idx.Close()
	conf := filepath.Join(root, "broker.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("storePathRootDir=%s\nmappedFileSizeCommitLog=%d\nmappedFileSizeConsumeQueue=%d\nmaxHashSlotNum=64\nmaxIndexNum=100\n",
		root, cfg.MappedFileSizeCommitLog, cfg.MappedFileSizeConsumeQueue)), 0o644)
	code, out := runCheck(t, "-c", conf)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{fmt.Sprintf("%d records", n), fmt.Sprintf("index: 10 file(s), %d entries", 3*n), "T0/0", "T1/2", "damage: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "0 end-of-file blanks") {
		t.Errorf("commitlog did not roll:\n%s", out)
	}

	// Java's multi-path commitlog: the same segments spread over two directories.
	other := filepath.Join(t.TempDir(), "commitlog2")
	os.MkdirAll(other, 0o755)
	segs, _ := os.ReadDir(filepath.Join(root, "commitlog"))
	if len(segs) < 2 {
		t.Fatalf("%d commitlog segments", len(segs))
	}
	for i, e := range segs {
		if i%2 == 1 {
			if err := os.Rename(filepath.Join(root, "commitlog", e.Name()), filepath.Join(other, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	f, _ := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "storePathCommitLog=%s,%s\n", filepath.Join(root, "commitlog"), other)
	f.Close()
	if code, out2 := runCheck(t, "-c", conf); code != 0 || !strings.Contains(out2, fmt.Sprintf("%d records", n)) {
		t.Fatalf("multi-path: exit %d:\n%s", code, out2)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"a", "b"}, {"-x"}, {filepath.Join(t.TempDir(), "missing")}, {"-c", "/nonexistent/broker.conf"}} {
		if code, out := runCheck(t, args...); code != 2 {
			t.Errorf("%q: exit %d\n%s", args, code, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(bad, []byte("mappedFileSizeCommitLog=big\n"), 0o644)
	if code, out := runCheck(t, "-c", bad); code != 2 || !strings.Contains(out, "mappedFileSizeCommitLog") {
		t.Errorf("bad value: exit %d\n%s", code, out)
	}
}

func TestQuoteNumericKeys(t *testing.T) {
	cases := map[string]string{
		`{"offsetTable":{0:250,1:251}}`:       `{"offsetTable":{"0":250,"1":251}}`,
		"{\n\t\"t\":{0:0\n\t}\n}":             "{\n\t\"t\":{\"0\":0\n\t}\n}",
		`{"a":"{1:2}","b":[1,2],-3:4}`:        `{"a":"{1:2}","b":[1,2],"-3":4}`,
		`{"s":"x\"{0:1"}`:                     `{"s":"x\"{0:1"}`,
		`{"dataVersion":{"counter":1},"x":1}`: `{"dataVersion":{"counter":1},"x":1}`,
	}
	for in, want := range cases {
		if got := string(quoteNumericKeys([]byte(in))); got != want {
			t.Errorf("%s -> %s, want %s", in, got, want)
		}
	}
}

func BenchmarkCheckJavaFixture(b *testing.B) {
	root := untarFixture(b, b.TempDir())
	sizes := Sizes{CommitLog: 1 << 30, ConsumeQueue: 6000000, HashSlotNum: 5000000, IndexNum: 20000000,
		DelayLevels: delayLevels(store.DefaultConfig().MessageDelayLevel)}
	for b.Loop() {
		if rep, err := Check(root, "", sizes); err != nil || len(rep.Damage) != 0 {
			b.Fatal(err, rep.Damage)
		}
	}
}
