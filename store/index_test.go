package store

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/rocketgo/rocketgo/message"
)

// The index service is the store's index hook.
var (
	_ IndexBuilder = (*IndexService)(nil)
	_ IndexLoader  = (*IndexService)(nil)
	_ IndexQuerier = (*IndexService)(nil)
	_ IndexCleaner = (*IndexService)(nil)
	_ IndexCloser  = (*IndexService)(nil)
)

// refJavaHash is an independent String.hashCode for the byte-level checks: UTF-16 units of
// the string, h = 31*h + c.
func refJavaHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

func TestIndexKeyHash(t *testing.T) {
	// Expected values printed by the JDK (String.hashCode, Math.abs, MIN_VALUE -> 0).
	cases := []struct {
		key  string
		want int32
	}{
		{"TopicTest#KEY1", 1656969516},
		{"polygenelubricants", 0}, // hashCode is Integer.MIN_VALUE
		{"FixA#k0", 819605020},
		{"t#Aa", 3491503},
		{"t#BB", 3491503},
		{"标签#键😀", 1384646885},
		{"%RETRY%g#x", 1196730086},
		{"", 0},
	}
	for _, c := range cases {
		if got := IndexKeyHash(c.key); got != c.want {
			t.Errorf("IndexKeyHash(%q) = %d, want %d", c.key, got, c.want)
		}
		if got := IndexKeyHash([]byte(c.key)); got != c.want {
			t.Errorf("IndexKeyHash([]byte %q) = %d, want %d", c.key, got, c.want)
		}
	}
}

type indexRec struct {
	topic, keys, uniq string
	off, ts           int64
	sysFlag           int32
}

func newTestIndex(t testing.TB, slots, items int) (*IndexService, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "index")
	s := NewIndexService(IndexConfig{Dir: dir, HashSlotNum: slots, IndexNum: items, MaxMsgsNumBatch: 64})
	if err := s.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func putAll(s *IndexService, recs []indexRec) {
	for _, r := range recs {
		s.BuildIndex(&DispatchRequest{Topic: r.topic, Keys: r.keys, UniqKey: r.uniq, CommitLogOffset: r.off, StoreTimestamp: r.ts, SysFlag: r.sysFlag})
	}
}

const t0 = int64(1795559183234) // a store time from the Java fixture

func TestIndexPutQuery(t *testing.T) {
	s, _ := newTestIndex(t, 16, 100)
	defer s.Close()
	recs := []indexRec{
		{"FixA", "k0", "U0", 0, t0, 0},
		{"FixA", "order-1 order-2  order-3 ", "U1", 182, t0 + 1500, 0},
		{"FixB", "k0", "U2", 400, t0 + 2500, 0},
		{"FixA", "k0", "U3", 600, t0 + 4000, 0},
		{"FixA", "tx", "U4", 800, t0 + 5000, message.TransactionPreparedType},
		{"FixA", "tx", "U5", 1000, t0 + 6000, message.TransactionCommitType},
		{"FixA", "tx", "U6", 1200, t0 + 7000, message.TransactionRollbackType},
		{"FixA", "", "", 1350, t0 + 7500, 0}, // no keys at all
		{"FixA", "last", "", 1400, t0 + 8000, 0},
		{"FixA", "late", "", 1300, t0 + 9000, 0}, // below endPhyOffset: already indexed
		{"FixA", "", "U7", 1400, t0 + 8000, 0},   // == endPhyOffset: re-dispatch of the last one
	}
	putAll(s, recs)
	all := [2]int64{0, 1 << 62}
	cases := []struct {
		topic, key string
		maxNum     int
		begin, end int64
		want       []int64
	}{
		{"FixA", "k0", 32, all[0], all[1], []int64{600, 0}},
		{"FixB", "k0", 32, all[0], all[1], []int64{400}},
		{"FixA", "order-2", 32, all[0], all[1], []int64{182}},
		{"FixA", "order-3", 32, all[0], all[1], []int64{182}},
		{"FixA", "", 32, all[0], all[1], nil},
		{"FixA", "U3", 32, all[0], all[1], []int64{600}},
		{"FixA", "tx", 32, all[0], all[1], []int64{1000, 800}}, // prepared and commit, not rollback
		{"FixA", "U6", 32, all[0], all[1], nil},
		{"FixA", "late", 32, all[0], all[1], nil},
		{"FixA", "U7", 32, all[0], all[1], nil},
		{"FixA", "k0", 1, all[0], all[1], []int64{600}},
		{"FixA", "k0", 0, all[0], all[1], nil},
		{"FixA", "k0", 32, t0 + 3000, all[1], []int64{600}}, // time range cuts the older one
		{"FixA", "k0", 32, t0, t0 + 3999, []int64{0}},       // and the newer one
		{"FixA", "k0", 32, t0 + 100000, t0 + 200000, nil},   // outside the file's range
		{"NoSuch", "k0", 32, all[0], all[1], nil},
	}
	for _, c := range cases {
		got := s.QueryOffsets(c.topic, c.key, c.maxNum, c.begin, c.end)
		if !slices.Equal(got, c.want) {
			t.Errorf("query %s#%s max %d [%d,%d] = %v, want %v", c.topic, c.key, c.maxNum, c.begin-t0, c.end-t0, got, c.want)
		}
	}
	res := s.QueryOffset("FixA", "k0", 32, 0, 1<<62)
	if res.IndexLastUpdatePhyOffset != 1400 || res.IndexLastUpdateTimestamp != t0+8000 {
		t.Errorf("last update = %d/%d", res.IndexLastUpdatePhyOffset, res.IndexLastUpdateTimestamp-t0)
	}
	_, hdrs := s.Files()
	// 2+4+2+2+2+2+1 items: rollback, the keyless record, late and the repeat add none
	if got := s.QueryOffsets("FixA", "last", 32, 0, 1<<62); !slices.Equal(got, []int64{1400}) {
		t.Errorf("last = %v", got)
	}
	if len(hdrs) != 1 || hdrs[0].IndexCount != 1+15 || hdrs[0].BeginPhyOffset != 0 || hdrs[0].EndPhyOffset != 1400 {
		t.Fatalf("header %+v", hdrs)
	}
}

func TestIndexHashCollisions(t *testing.T) {
	// Two slots only: every bucket is shared by many keys, and "Aa"/"BB" have equal Java hashes.
	s, _ := newTestIndex(t, 2, 200)
	defer s.Close()
	var recs []indexRec
	want := map[string][]int64{}
	for i := 0; i < 60; i++ {
		key := fmt.Sprintf("key-%d", i%7)
		off := int64(i * 100)
		recs = append(recs, indexRec{"T", key, "", off, t0 + int64(i)*10, 0})
		want[key] = append([]int64{off}, want[key]...)
	}
	recs = append(recs, indexRec{"T", "Aa", "", 7000, t0 + 1000, 0}, indexRec{"T", "BB", "", 7100, t0 + 1000, 0})
	putAll(s, recs)
	for key, w := range want {
		if got := s.QueryOffsets("T", key, 64, 0, 1<<62); !slices.Equal(got, w) {
			t.Errorf("%s: got %v want %v", key, got, w)
		}
	}
	// Only hashes are stored: a true collision returns both, newest first, as Java does.
	for _, key := range []string{"Aa", "BB"} {
		if got := s.QueryOffsets("T", key, 64, 0, 1<<62); !slices.Equal(got, []int64{7100, 7000}) {
			t.Errorf("%s: got %v", key, got)
		}
	}
}

func TestIndexRollReopenAndRetention(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	var fullMu sync.Mutex
	var fullTs []int64
	cfg := IndexConfig{Dir: dir, HashSlotNum: 8, IndexNum: 5, OnFileFull: func(ts int64) {
		fullMu.Lock()
		fullTs = append(fullTs, ts)
		fullMu.Unlock()
	}}
	s := NewIndexService(cfg)
	if err := s.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	// 4 items per file (item 0 unused); 10 records of one key each fill two files and start a third.
	for i := 0; i < 10; i++ {
		s.PutRequest(IndexRequest{Topic: "T", Keys: fmt.Sprintf("k%d", i%3), CommitLogOffset: int64(i) * 1000, StoreTimestamp: t0 + int64(i)*1000})
	}
	paths, hdrs := s.Files()
	if len(paths) != 3 {
		t.Fatalf("%d files: %v", len(paths), paths)
	}
	for i, p := range paths {
		name := filepath.Base(p)
		if !isIndexFileName(name) || (i > 0 && name <= filepath.Base(paths[i-1])) {
			t.Errorf("file names not increasing timestamps: %v", paths)
		}
		if _, err := time.ParseInLocation("20060102150405", name[:14], time.Local); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	wantHdr := []IndexHeader{
		{t0, t0 + 3000, 0, 3000, 3, 5},
		{t0 + 4000, t0 + 7000, 4000, 7000, 3, 5},
		{t0 + 8000, t0 + 9000, 8000, 9000, 2, 3},
	}
	if !reflect.DeepEqual(hdrs, wantHdr) {
		t.Fatalf("headers\n got %+v\nwant %+v", hdrs, wantHdr)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fullMu.Lock()
	slices.Sort(fullTs) // the two flushes run on their own goroutines
	if !slices.Equal(fullTs, []int64{t0 + 3000, t0 + 7000}) {
		t.Errorf("OnFileFull got %v", fullTs)
	}
	fullMu.Unlock()

	// Reopen: same answers, appends continue in the last file.
	s = NewIndexService(cfg)
	if err := s.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	if got := s.QueryOffsets("T", "k0", 64, 0, 1<<62); !slices.Equal(got, []int64{9000, 6000, 3000, 0}) {
		t.Fatalf("after reopen k0 = %v", got)
	}
	// Query stops at the first file that begins before begin: [t0+5000, ..] skips file 0.
	if got := s.QueryOffsets("T", "k0", 64, t0+5000, 1<<62); !slices.Equal(got, []int64{9000, 6000}) {
		t.Fatalf("ranged k0 = %v", got)
	}
	s.PutRequest(IndexRequest{Topic: "T", Keys: "k0", CommitLogOffset: 10000, StoreTimestamp: t0 + 10000})
	if got := s.QueryOffsets("T", "k0", 2, 0, 1<<62); !slices.Equal(got, []int64{10000, 9000}) {
		t.Fatalf("after append k0 = %v", got)
	}
	if _, h := s.Files(); len(h) != 3 || h[2].IndexCount != 4 {
		t.Fatalf("append went to %+v", h)
	}

	// Retention: files whose entries are all below the commitlog minimum go, never the last.
	s.DeleteExpiredFiles(3000) // file 0 ends at 3000: not below
	if p, _ := s.Files(); len(p) != 3 {
		t.Fatalf("deleted too early: %v", p)
	}
	s.DeleteExpiredFiles(7001)
	if p, _ := s.Files(); len(p) != 1 || p[0] != paths[2] {
		t.Fatalf("after retention: %v", p)
	}
	for _, p := range paths[:2] {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists: %v", p, err)
		}
	}
	s.DeleteExpiredFiles(1 << 62)
	if p, _ := s.Files(); len(p) != 1 {
		t.Fatalf("last file deleted: %v", p)
	}
	if got := s.QueryOffsets("T", "k0", 64, 0, 1<<62); !slices.Equal(got, []int64{10000, 9000}) {
		t.Fatalf("after retention k0 = %v", got)
	}
	s.Close()

	// Abnormal exit: files ending after the checkpoint's indexMsgTimestamp are dropped.
	s = NewIndexService(cfg)
	if err := s.Load(false, t0+9500); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Files(); len(p) != 0 {
		t.Fatalf("crash load kept %v", p)
	}
	s.Close()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("dropped files still on disk: %v", ents)
	}
}

// TestIndexTruncateFrom checks the recovery hook: cutting the index at an offset leaves the
// files byte for byte as if the later records had never been indexed, and re-dispatching them
// indexes them once.
func TestIndexTruncateFrom(t *testing.T) {
	var recs []indexRec
	for i := 0; i < 14; i++ {
		recs = append(recs, indexRec{"T", fmt.Sprintf("k%d x%d", i%4, i%3), fmt.Sprintf("U%d", i), int64(i) * 100, t0 + int64(i)*1000, 0})
	}
	for _, cut := range []int{0, 1, 5, 6, 9, 13, 14} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			a, _ := newTestIndex(t, 3, 12) // 11 items a file: 3 items per record, files roll
			b, _ := newTestIndex(t, 3, 12)
			putAll(a, recs)
			putAll(b, recs[:cut])
			if err := a.TruncateFrom(int64(cut) * 100); err != nil {
				t.Fatal(err)
			}
			pa, ha := a.Files()
			pb, hb := b.Files()
			if !reflect.DeepEqual(ha, hb) {
				t.Fatalf("headers after cut\n got %+v\nwant %+v", ha, hb)
			}
			for i := range pa {
				da, _ := os.ReadFile(pa[i])
				db, _ := os.ReadFile(pb[i])
				if !slices.Equal(da, db) {
					t.Fatalf("file %d differs from one built without the cut records", i)
				}
			}
			putAll(a, recs[cut:])
			putAll(b, recs[cut:])
			for i := 0; i < 4; i++ {
				ka := a.QueryOffsets("T", fmt.Sprintf("k%d", i), 64, 0, 1<<62)
				kb := b.QueryOffsets("T", fmt.Sprintf("k%d", i), 64, 0, 1<<62)
				if !slices.Equal(ka, kb) || len(ka) != (14-i+3)/4 {
					t.Fatalf("k%d: %v vs %v", i, ka, kb)
				}
			}
			a.Close()
			b.Close()
		})
	}
}

// TestIndexFileLayout checks the bytes of a written file with a decoder of its own (not the
// IndexFile code): header, every item, and that every slot's chain holds exactly the items of
// its bucket, newest first.
func TestIndexFileLayout(t *testing.T) {
	const slots, items = 7, 40
	s, _ := newTestIndex(t, slots, items)
	type put struct {
		key string
		off int64
		ts  int64
	}
	var puts []put
	for i := 0; i < 12; i++ {
		r := indexRec{"Topic标", fmt.Sprintf("key-%d 😀%d", i, i%2), fmt.Sprintf("UNIQ%03d", i), 4096 + int64(i)*211, t0 + int64(i)*1700, 0}
		putAll(s, []indexRec{r})
		puts = append(puts, put{r.topic + "#" + r.uniq, r.off, r.ts}, put{r.topic + "#" + fmt.Sprintf("key-%d", i), r.off, r.ts}, put{r.topic + "#" + fmt.Sprintf("😀%d", i%2), r.off, r.ts})
	}
	paths, _ := s.Files()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 40+slots*4+items*20 {
		t.Fatalf("file is %d bytes", len(data))
	}
	be := binary.BigEndian
	u64 := func(p int) int64 { return int64(be.Uint64(data[p:])) }
	u32 := func(p int) int32 { return int32(be.Uint32(data[p:])) }
	begin := puts[0].ts
	if u64(0) != begin || u64(8) != puts[len(puts)-1].ts || u64(16) != puts[0].off || u64(24) != puts[len(puts)-1].off {
		t.Fatalf("header times/offsets: % x", data[:32])
	}
	if u32(36) != int32(len(puts))+1 {
		t.Fatalf("indexCount %d", u32(36))
	}
	if !slices.Equal(data[40+slots*4:40+slots*4+20], make([]byte, 20)) {
		t.Fatal("item 0 is used")
	}
	buckets := map[int32][]int32{} // slot -> item numbers, newest first
	for n, p := range puts {
		item := int32(n + 1)
		pos := 40 + slots*4 + int(item)*20
		h := refJavaHash(p.key)
		if h < 0 {
			h = -h
		}
		if u32(pos) != h || u64(pos+4) != p.off || u32(pos+12) != int32((p.ts-begin)/1000) {
			t.Fatalf("item %d (%s): % x", item, p.key, data[pos:pos+20])
		}
		slot := h % slots
		prev := int32(0)
		if b := buckets[slot]; len(b) > 0 {
			prev = b[0]
		}
		if u32(pos+16) != prev {
			t.Fatalf("item %d prev = %d, want %d", item, u32(pos+16), prev)
		}
		buckets[slot] = append([]int32{item}, buckets[slot]...)
	}
	used := int32(0)
	for slot := int32(0); slot < slots; slot++ {
		head := u32(40 + int(slot)*4)
		var want int32
		if b := buckets[slot]; len(b) > 0 {
			want = b[0]
			used++
		}
		if head != want {
			t.Fatalf("slot %d = %d, want %d", slot, head, want)
		}
	}
	if u32(32) != used {
		t.Fatalf("hashSlotCount %d, want %d", u32(32), used)
	}
	if !slices.Equal(data[40+slots*4+(len(puts)+1)*20:], make([]byte, (items-len(puts)-1)*20)) {
		t.Fatal("bytes after the last item are not zero")
	}
}

// TestIndexDamagedFile opens files with broken chains and headers: queries must end and
// nothing may panic.
func TestIndexDamagedFile(t *testing.T) {
	const slots, items = 4, 16
	build := func(t *testing.T) string {
		s, _ := newTestIndex(t, slots, items)
		for i := 0; i < 8; i++ {
			s.PutRequest(IndexRequest{Topic: "T", Keys: "k", CommitLogOffset: int64(i), StoreTimestamp: t0 + int64(i)*1000})
		}
		p, _ := s.Files()
		s.Close()
		return p[0]
	}
	slotOfK := int(IndexKeyHash("T#k") % slots)
	itemPos := func(n int) int { return 40 + slots*4 + n*20 }
	cases := []struct {
		name   string
		damage func(d []byte)
		want   []int64
	}{
		{"intact", func(d []byte) {}, []int64{7, 6, 5, 4, 3, 2, 1, 0}},
		{"self loop", func(d []byte) { binary.BigEndian.PutUint32(d[itemPos(5)+16:], 5) }, []int64{7, 6, 5, 4}},
		{"cycle", func(d []byte) { binary.BigEndian.PutUint32(d[itemPos(3)+16:], 8) }, []int64{7, 6, 5, 4, 3, 2, 1, 0}},
		{"prev beyond count", func(d []byte) { binary.BigEndian.PutUint32(d[itemPos(6)+16:], 1000) }, []int64{7, 6, 5}},
		{"negative timeDiff", func(d []byte) { binary.BigEndian.PutUint32(d[itemPos(7)+12:], 0xFFFFFFFF) }, []int64{7}},
		{"slot beyond count", func(d []byte) { binary.BigEndian.PutUint32(d[40+slotOfK*4:], 1<<30) }, nil},
		{"negative slot", func(d []byte) { binary.BigEndian.PutUint32(d[40+slotOfK*4:], 0xFFFFFFFF) }, nil},
		{"indexCount zero", func(d []byte) { binary.BigEndian.PutUint32(d[36:], 0) }, nil},
		{"indexCount huge", func(d []byte) { binary.BigEndian.PutUint32(d[36:], 1<<31-1) }, []int64{7, 6, 5, 4, 3, 2, 1, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := build(t)
			d, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c.damage(d)
			if err := os.WriteFile(path, d, 0o644); err != nil {
				t.Fatal(err)
			}
			s := NewIndexService(IndexConfig{Dir: filepath.Dir(path), HashSlotNum: slots, IndexNum: items})
			if err := s.Load(true, 0); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got := s.QueryOffsets("T", "k", 64, 0, 1<<62)
			if c.name == "cycle" {
				// A cycle is cut by the step limit; what matters is that the query ends.
				if len(got) == 0 || len(got) > 64 {
					t.Fatalf("cycle: %v", got)
				}
				return
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %v want %v", got, c.want)
			}
			// Appending to a damaged file must not panic either.
			s.PutRequest(IndexRequest{Topic: "T", Keys: "k", CommitLogOffset: 100, StoreTimestamp: t0 + 100000})
		})
	}
}

func TestIndexLoadIgnoresOtherFilesAndBadSizes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	if err := os.MkdirAll(filepath.Join(dir, "20261124222623249.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"README", "2026112422262324", "20261124222623249.tmp"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	// A short file (a compacted copy) is extended; a longer one is read over its first bytes.
	os.WriteFile(filepath.Join(dir, "20261124222623249"), make([]byte, 10), 0o644)
	os.WriteFile(filepath.Join(dir, "20261124222623250"), make([]byte, 40+4*4+8*20+100), 0o644)
	s := NewIndexService(IndexConfig{Dir: dir, HashSlotNum: 4, IndexNum: 8})
	if err := s.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p, _ := s.Files(); len(p) != 2 {
		t.Fatalf("loaded %v", p)
	}
	if st, _ := os.Stat(filepath.Join(dir, "20261124222623249")); st.Size() != 40+4*4+8*20 {
		t.Fatalf("short file not extended: %d", st.Size())
	}
	if _, err := OpenIndexFile(filepath.Join(dir, "x"), 0, 8, 0, 0); err == nil {
		t.Fatal("zero slots accepted")
	}
	// An unusable directory is an error, not a panic.
	bad := NewIndexService(IndexConfig{Dir: filepath.Join(dir, "README", "sub"), HashSlotNum: 4, IndexNum: 8})
	if err := bad.Load(true, 0); err == nil {
		t.Fatal("Load under a regular file succeeded")
	}
	bad.PutRequest(IndexRequest{Topic: "T", Keys: "k", CommitLogOffset: 1, StoreTimestamp: t0})
	if got := bad.QueryOffsets("T", "k", 64, 0, 1<<62); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
}

func TestIndexConcurrentQueries(t *testing.T) {
	s, _ := newTestIndex(t, 64, 300)
	defer s.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got := s.QueryOffsets("T", "k1", 64, 0, 1<<62)
				if !slices.IsSortedFunc(got, func(a, b int64) int { return int(b - a) }) {
					t.Errorf("not newest first: %v", got)
					return
				}
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		s.PutRequest(IndexRequest{Topic: "T", Keys: fmt.Sprintf("k%d", i%5), CommitLogOffset: int64(i) * 10, StoreTimestamp: t0 + int64(i)})
	}
	close(stop)
	wg.Wait()
	if p, _ := s.Files(); len(p) < 6 {
		t.Fatalf("expected several rolled files, got %d", len(p))
	}
	if got := s.QueryOffsets("T", "k1", 1000, 0, 1<<62); len(got) != 64 || got[0] != 19960 {
		t.Fatalf("k1: %d offsets, first %v", len(got), got[:1])
	}
}

func BenchmarkIndexBuild(b *testing.B) {
	s, _ := newTestIndex(b, 5000000, 20000000) // Java's default sizes
	defer s.Close()
	req := &DispatchRequest{Topic: "BenchTopic", Keys: "order-123456 user-42", UniqKey: "7F0000010001"}
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		req.CommitLogOffset = i * 1024
		req.StoreTimestamp = t0 + i
		s.BuildIndex(req)
		i++
	}
}

func BenchmarkIndexQuery(b *testing.B) {
	s, _ := newTestIndex(b, 1000, 100000)
	defer s.Close()
	for i := 0; i < 30000; i++ {
		s.PutRequest(IndexRequest{Topic: "T", Keys: fmt.Sprintf("k%d", i%100), CommitLogOffset: int64(i) * 100, StoreTimestamp: t0 + int64(i)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := s.QueryOffsets("T", "k7", 32, 0, 1<<62); len(got) != 32 {
			b.Fatal(len(got))
		}
	}
}

func TestIndexSetOnFileFull(t *testing.T) {
	s, _ := newTestIndex(t, 4, 3)
	got := make(chan int64, 4)
	s.SetOnFileFull(func(ts int64) { got <- ts })
	for i := 0; i < 3; i++ {
		s.PutRequest(IndexRequest{Topic: "T", Keys: "k", CommitLogOffset: int64(i), StoreTimestamp: t0 + int64(i)})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case ts := <-got:
		if ts != t0+1 {
			t.Fatalf("OnFileFull(%d), want %d", ts, t0+1)
		}
	default:
		t.Fatal("OnFileFull not called after the first file filled")
	}
}

// FuzzIndexFile opens arbitrary bytes as a small index file, queries and appends: nothing may
// panic or loop, and answers stay within the file's items.
func FuzzIndexFile(f *testing.F) {
	const slots, items = 4, 8
	size := int(IndexFileSize(slots, items))
	seed := make([]byte, size)
	binary.BigEndian.PutUint32(seed[36:], 3)
	binary.BigEndian.PutUint32(seed[40+int(IndexKeyHash("T#k")%slots)*4:], 2)
	binary.BigEndian.PutUint32(seed[40+slots*4+2*20:], uint32(IndexKeyHash("T#k")))
	binary.BigEndian.PutUint32(seed[40+slots*4+2*20+16:], 1)
	f.Add(seed)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > size+64 {
			data = data[:size+64]
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "20261124222623249"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s := NewIndexService(IndexConfig{Dir: dir, HashSlotNum: slots, IndexNum: items})
		if err := s.Load(true, 0); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, k := range []string{"k", "x", ""} {
			if got := s.QueryOffsets("T", k, 64, 0, 1<<62); len(got) > items {
				t.Fatalf("%d offsets from an %d-item file", len(got), items)
			}
		}
		s.PutRequest(IndexRequest{Topic: "T", Keys: "k x", UniqKey: "u", CommitLogOffset: 1 << 40, StoreTimestamp: t0})
		if err := s.TruncateFrom(1 << 39); err != nil {
			t.Fatal(err)
		}
		s.DeleteExpiredFiles(1 << 50)
	})
}

// TestIndexKeepOnAbnormalExit: with KeepOnAbnormalExit a crash loses no entries; TruncateFrom
// then removes those past the recovered commitlog end, and records re-written at those
// offsets are indexed afresh.
func TestIndexKeepOnAbnormalExit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "index")
	cfg := IndexConfig{Dir: dir, HashSlotNum: 16, IndexNum: 50, KeepOnAbnormalExit: true}
	s := NewIndexService(cfg)
	if err := s.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	if s.EndPhyOffset() != -1 {
		t.Fatalf("empty index EndPhyOffset %d", s.EndPhyOffset())
	}
	for i := 0; i < 10; i++ {
		s.PutRequest(IndexRequest{Topic: "T", Keys: fmt.Sprintf("old%d", i), CommitLogOffset: int64(i) * 100, StoreTimestamp: t0 + int64(i)*1000})
	}
	s.Close() // the files are what a killed process leaves: headers are written through

	s = NewIndexService(cfg)
	if err := s.Load(false, 0); err != nil { // crash, and indexMsgTimestamp older than every file
		t.Fatal(err)
	}
	defer s.Close()
	if s.EndPhyOffset() != 900 {
		t.Fatalf("EndPhyOffset %d after crash load", s.EndPhyOffset())
	}
	// Recovery cut the commitlog at 700 (a torn record there); the appends after it reuse
	// offsets 700, 800, ….
	if err := s.TruncateFrom(700); err != nil {
		t.Fatal(err)
	}
	for i := 7; i < 10; i++ {
		s.PutRequest(IndexRequest{Topic: "T", Keys: fmt.Sprintf("new%d", i), CommitLogOffset: int64(i) * 100, StoreTimestamp: t0 + int64(i)*1000})
	}
	for i := 0; i < 10; i++ {
		old := s.QueryOffsets("T", fmt.Sprintf("old%d", i), 64, 0, 1<<62)
		nw := s.QueryOffsets("T", fmt.Sprintf("new%d", i), 64, 0, 1<<62)
		switch {
		case i < 7 && (!slices.Equal(old, []int64{int64(i) * 100}) || len(nw) != 0):
			t.Errorf("%d: old %v new %v", i, old, nw)
		case i >= 7 && (len(old) != 0 || !slices.Equal(nw, []int64{int64(i) * 100})):
			t.Errorf("%d: old %v new %v", i, old, nw)
		}
	}
}

// TestIndexLongChainQueryLetsWritersIn walks a bucket of 100k items (one slot) in a loop while
// records are added and old files deleted: answers stay right, and a put never waits for a
// whole walk (the walk pauses every selectPauseSteps items).
func TestIndexLongChainQueryLetsWritersIn(t *testing.T) {
	s, _ := newTestIndex(t, 1, 60000)
	defer s.Close()
	for i := 0; i < 100000; i++ {
		s.PutRequest(IndexRequest{Topic: "T", Keys: "hot", CommitLogOffset: int64(i), StoreTimestamp: t0 + int64(i)})
	}
	stop := make(chan struct{})
	walks := make(chan time.Duration, 1000)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			// "cold" shares the only bucket and matches nothing: the whole chain is walked.
			if got := s.QueryOffsets("T", "cold", 64, 0, 1<<62); len(got) != 0 {
				t.Errorf("cold: %v", got)
				return
			}
			walks <- time.Since(start)
		}
	}()
	var worstPut time.Duration
	for i := 0; i < 3000; i++ {
		start := time.Now()
		s.PutRequest(IndexRequest{Topic: "T", Keys: "hot", CommitLogOffset: int64(100000 + i), StoreTimestamp: t0 + int64(100000+i)})
		worstPut = max(worstPut, time.Since(start))
		if i == 1500 {
			s.DeleteExpiredFiles(70000) // closes the oldest file, maybe under a walk
		}
	}
	close(stop)
	wg.Wait()
	close(walks)
	var n int
	var longest time.Duration
	for w := range walks {
		n++
		longest = max(longest, w)
	}
	if got := s.QueryOffsets("T", "hot", 3, 0, 1<<62); !slices.Equal(got, []int64{102999, 102998, 102997}) {
		t.Fatalf("hot: %v", got)
	}
	t.Logf("%d full walks, longest %v; slowest put %v", n, longest, worstPut)
}
