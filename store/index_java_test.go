package store

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// javaLibDir holds the stock Java 4.9.8 jars (rocketmq-store and its dependencies).
func javaLibDir() string {
	if d := os.Getenv("ROCKETGO_JAVA_LIB"); d != "" {
		return d
	}
	return "/work/shared/java/rocketmq-4.9.8/lib"
}

// TestIndexAgainstJava runs the stock Java IndexFile beside ours on the same input: the file
// Java writes must equal ours byte for byte, and each side must answer queries on the other's
// file exactly as expected (collisions, unicode keys, time ranges, maxNum).
func TestIndexAgainstJava(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("no java on PATH: the Java cross-check of the index does not run")
	}
	if _, err := os.Stat(filepath.Join(javaLibDir(), "rocketmq-store-4.9.8.jar")); err != nil {
		t.Skipf("no RocketMQ 4.9.8 jars in %s: the Java cross-check of the index does not run", javaLibDir())
	}
	const slots, items = 13, 400
	dir := t.TempDir()
	javaDir, goDir := filepath.Join(dir, "java"), filepath.Join(dir, "go")
	os.MkdirAll(javaDir, 0o755)
	javaFile := filepath.Join(javaDir, "20261124222623249")

	type rec struct {
		topic, uniq string
		keys        []string
		off, ts     int64
	}
	var recs []rec
	off, ts := int64(0), t0
	for i := 0; i < 120; i++ {
		r := rec{topic: []string{"FixA", "主题", "%RETRY%g"}[i%3], uniq: fmt.Sprintf("C0000202%08X", i), off: off, ts: ts}
		r.keys = append(r.keys, fmt.Sprintf("k%d", i%9))
		if i%4 == 0 {
			r.keys = append(r.keys, []string{"Aa", "BB"}[i/4%2]) // equal Java hashes
		}
		if i%7 == 0 {
			r.keys = append(r.keys, "键😀")
		}
		recs = append(recs, r)
		off += 150 + int64(i%50)
		ts += int64(137 * (i % 23)) // sub-second and multi-second gaps
	}

	var script bytes.Buffer
	fmt.Fprintf(&script, "OPEN\t%s\t%d\t%d\n", javaFile, slots, items)
	s := NewIndexService(IndexConfig{Dir: goDir, HashSlotNum: slots, IndexNum: items})
	if err := s.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		fmt.Fprintf(&script, "PUT\t%s#%s\t%d\t%d\n", r.topic, r.uniq, r.off, r.ts)
		for _, k := range r.keys {
			fmt.Fprintf(&script, "PUT\t%s#%s\t%d\t%d\n", r.topic, k, r.off, r.ts)
		}
		s.PutRequest(IndexRequest{Topic: r.topic, UniqKey: r.uniq, Keys: strings.Join(r.keys, " "), CommitLogOffset: r.off, StoreTimestamp: r.ts})
	}
	fmt.Fprintf(&script, "FLUSH\n")
	goPaths, _ := s.Files()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(goPaths) != 1 {
		t.Fatalf("ours rolled: %v", goPaths)
	}

	type query struct {
		topic, key string
		maxNum     int
		begin, end int64
	}
	var queries []query
	for _, topic := range []string{"FixA", "主题", "%RETRY%g"} {
		for _, k := range []string{"k0", "k4", "k8", "Aa", "BB", "键😀", "C000020200000003", "C000020200000004", "none"} {
			queries = append(queries, query{topic, k, 64, 0, 1 << 62}, query{topic, k, 3, 0, 1 << 62},
				query{topic, k, 64, t0 + 20000, t0 + 60000})
		}
	}
	// Java answers on our file.
	fmt.Fprintf(&script, "OPEN\t%s\t%d\t%d\n", goPaths[0], slots, items)
	for _, q := range queries {
		fmt.Fprintf(&script, "QUERY\t%s#%s\t%d\t%d\t%d\n", q.topic, q.key, q.maxNum, q.begin, q.end)
	}
	scriptPath := filepath.Join(dir, "script.tsv")
	if err := os.WriteFile(scriptPath, script.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	probe, _ := filepath.Abs("testdata/IndexProbe.java")
	cmd := exec.Command(java, "-cp", filepath.Join(javaLibDir(), "*"), probe, scriptPath)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("java: %v\n%s", err, out)
	}
	var javaAnswers [][]int64
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "R ") && line != "R" {
			continue
		}
		var offs []int64
		for _, f := range strings.Fields(strings.TrimPrefix(line, "R")) {
			n, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatalf("java output %q", line)
			}
			offs = append(offs, n)
		}
		javaAnswers = append(javaAnswers, offs)
	}
	if len(javaAnswers) != len(queries) {
		t.Fatalf("java answered %d of %d queries:\n%s", len(javaAnswers), len(queries), out)
	}

	// The two files are identical.
	a, err := os.ReadFile(javaFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(goPaths[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		for i := range a {
			if i >= len(b) || a[i] != b[i] {
				t.Fatalf("files differ first at byte %d (java %d bytes, ours %d)", i, len(a), len(b))
			}
		}
		t.Fatalf("java file %d bytes, ours %d", len(a), len(b))
	}

	// We answer on Java's file as Java answered on ours, and both match the expectation.
	g := NewIndexService(IndexConfig{Dir: javaDir, HashSlotNum: slots, IndexNum: items})
	if err := g.Load(true, 0); err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	nonEmpty := 0
	for i, q := range queries {
		ours := g.QueryOffsets(q.topic, q.key, q.maxNum, q.begin, q.end)
		if !slices.Equal(ours, javaAnswers[i]) {
			t.Errorf("%s#%s max %d [%d,%d]: ours %v, java %v", q.topic, q.key, q.maxNum, q.begin-t0, q.end-t0, ours, javaAnswers[i])
		}
		want := expectedOffsets(recs, q.topic, q.key, q.maxNum, q.begin, q.end, func(r rec) (string, string, []string, int64, int64) {
			return r.topic, r.uniq, r.keys, r.off, r.ts
		})
		if !slices.Equal(ours, want) {
			t.Errorf("%s#%s max %d [%d,%d]: got %v, want %v", q.topic, q.key, q.maxNum, q.begin-t0, q.end-t0, ours, want)
		}
		if len(ours) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < len(queries)/2 {
		t.Fatalf("only %d of %d queries found anything", nonEmpty, len(queries))
	}
}

// expectedOffsets computes a query's answer from the records themselves: offsets of records
// of topic having a key with the same index hash, stored (to the second, relative to the
// first record) within [begin, end], newest first, at most maxNum, and — as the chain walk
// stops at the first item older than begin — nothing beyond the first too-old entry of the
// bucket.
func expectedOffsets[R any](recs []R, topic, key string, maxNum int, begin, end int64, fields func(R) (string, string, []string, int64, int64)) []int64 {
	want := IndexKeyHash(topic + "#" + key)
	var out []int64
	_, _, _, _, base := fields(recs[0])
	for i := len(recs) - 1; i >= 0 && len(out) < maxNum; i-- {
		tp, uniq, keys, off, ts := fields(recs[i])
		t := base + (ts-base)/1000*1000
		match := false
		for _, k := range append([]string{uniq}, keys...) {
			if IndexKeyHash(tp+"#"+k) == want {
				match = true
			}
		}
		if !match {
			continue
		}
		if t >= begin && t <= end {
			out = append(out, off)
		}
		if t < begin {
			break
		}
	}
	return out
}
