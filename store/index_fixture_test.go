package store

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// javaFixtureDir is the store written by a stock Java 4.9.8 broker (see its README in
// /work/shared/fixtures); the copy under testdata/ is what the tests use.
const javaFixtureDir = "../testdata/java-4.9.8-store"

type indexFixtureManifest struct {
	Files []struct {
		Path   string `json:"path"`
		Header *struct {
			BeginTimestamp int64 `json:"beginTimestamp"`
			EndTimestamp   int64 `json:"endTimestamp"`
			BeginPhyOffset int64 `json:"beginPhyOffset"`
			EndPhyOffset   int64 `json:"endPhyOffset"`
			HashSlotCount  int32 `json:"hashSlotCount"`
			IndexCount     int32 `json:"indexCount"`
		} `json:"header"`
	} `json:"files"`
	Messages []struct {
		Topic           string `json:"topic"`
		CommitLogOffset int64  `json:"commitLogOffset"`
		UniqKey         string `json:"uniqKey"`
		Keys            string `json:"keys"`
		SysFlag         int32  `json:"sysFlag"`
		StoreTimestamp  int64  `json:"storeTimestamp"`
	} `json:"messages"`
}

// untarIndexFixture unpacks the fixture tarball under dir and returns the store root.
// Entries are confined to dir; short files stay short (the index code extends them).
func untarIndexFixture(t *testing.T, dir string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(javaFixtureDir, "store-compact.tar.gz"))
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
			t.Fatalf("unsafe path in fixture: %s", h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(out, tr); err != nil {
				t.Fatal(err)
			}
			out.Close()
		}
	}
	return filepath.Join(dir, "store-compact")
}

func loadIndexFixtureManifest(t *testing.T) *indexFixtureManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(javaFixtureDir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m indexFixtureManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Messages) != 46 {
		t.Fatalf("manifest has %d messages, the fixture has 46", len(m.Messages))
	}
	return &m
}

// TestIndexJavaFixture opens the index file the Java broker wrote and finds every key (and
// unique key) of every record of the manifest through it, with exactly the expected offsets,
// newest first.
func TestIndexJavaFixture(t *testing.T) {
	m := loadIndexFixtureManifest(t)
	root := untarIndexFixture(t, t.TempDir())
	cfg := DefaultConfig()
	cfg.StorePathRootDir = root
	s := NewIndexService(IndexConfigFrom(&cfg))
	if err := s.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	paths, hdrs := s.Files()
	if len(paths) != 1 {
		t.Fatalf("index files: %v", paths)
	}
	for _, f := range m.Files {
		if f.Header == nil {
			continue
		}
		if filepath.Base(paths[0]) != filepath.Base(f.Path) {
			t.Fatalf("loaded %s, manifest has %s", paths[0], f.Path)
		}
		want := IndexHeader{f.Header.BeginTimestamp, f.Header.EndTimestamp, f.Header.BeginPhyOffset, f.Header.EndPhyOffset, f.Header.HashSlotCount, f.Header.IndexCount}
		if hdrs[0] != want {
			t.Fatalf("header %+v, manifest %+v", hdrs[0], want)
		}
	}

	expect := map[[2]string][]int64{}
	for _, msg := range m.Messages {
		keys := []string{msg.UniqKey}
		keys = append(keys, strings.Split(msg.Keys, " ")...)
		for _, k := range keys {
			if k != "" {
				expect[[2]string{msg.Topic, k}] = append(expect[[2]string{msg.Topic, k}], msg.CommitLogOffset)
			}
		}
	}
	if len(expect) < 90 {
		t.Fatalf("only %d distinct keys in the manifest", len(expect))
	}
	for tk, offs := range expect {
		slices.SortFunc(offs, func(a, b int64) int { return int(b - a) })
		got := s.QueryOffsets(tk[0], tk[1], 64, 0, math.MaxInt64)
		if !slices.Equal(got, offs) {
			t.Errorf("%s#%s: got %v, want %v", tk[0], tk[1], got, offs)
		}
	}
	// The delayed message's copies share UNIQ_KEY and key but not the topic.
	if got := s.QueryOffsets("SCHEDULE_TOPIC_XXXX", "delayed-1", 64, 0, math.MaxInt64); !slices.Equal(got, []int64{5635}) {
		t.Errorf("schedule copy: %v", got)
	}
	if got := s.QueryOffsets("FixA", "delayed-1", 64, 0, math.MaxInt64); !slices.Equal(got, []int64{9618}) {
		t.Errorf("redelivered copy: %v", got)
	}
}

// TestIndexRebuildMatchesJava indexes the manifest's records, in commitlog order, into a new
// file and compares it byte for byte with the file the Java broker wrote for them: header,
// all 5,000,000 slots and every item.
func TestIndexRebuildMatchesJava(t *testing.T) {
	m := loadIndexFixtureManifest(t)
	root := untarIndexFixture(t, t.TempDir())
	javaFile := ""
	for _, f := range m.Files {
		if f.Header != nil {
			javaFile = filepath.Join(root, f.Path)
		}
	}
	msgs := slices.Clone(m.Messages)
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].CommitLogOffset < msgs[j].CommitLogOffset })
	cfg := DefaultConfig()
	cfg.StorePathRootDir = t.TempDir()
	s := NewIndexService(IndexConfigFrom(&cfg))
	if err := s.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	for _, msg := range msgs {
		s.BuildIndex(&DispatchRequest{Topic: msg.Topic, Keys: msg.Keys, UniqKey: msg.UniqKey,
			CommitLogOffset: msg.CommitLogOffset, StoreTimestamp: msg.StoreTimestamp, SysFlag: msg.SysFlag})
	}
	paths, _ := s.Files()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 {
		t.Fatalf("files %v", paths)
	}
	ours, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	theirs, err := os.Open(javaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer theirs.Close()
	const slotsEnd = 40 + 5000000*4
	itemsEnd := int64(slotsEnd + 94*20) // indexCount 94 in the manifest
	if st, _ := theirs.Stat(); st.Size() < itemsEnd {
		t.Fatalf("java file is %d bytes", st.Size())
	}
	const chunk = 1 << 20
	a, b := make([]byte, chunk), make([]byte, chunk)
	for off := int64(0); off < itemsEnd; off += chunk {
		n := min(chunk, itemsEnd-off)
		if _, err := ours.ReadAt(a[:n], off); err != nil {
			t.Fatal(err)
		}
		if _, err := theirs.ReadAt(b[:n], off); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a[:n], b[:n]) {
			for i := range a[:n] {
				if a[i] != b[i] {
					t.Fatalf("first difference at byte %d: ours %#x, Java %#x", off+int64(i), a[i], b[i])
				}
			}
		}
	}
}
