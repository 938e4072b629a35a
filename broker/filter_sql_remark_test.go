package broker

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestSQL92RefusalRemarksMatchJava compiles every expression of the golden table and compares
// the refusal text with the remark the stock 4.9.8 broker gives for it: the message of the
// MQFilterException its SqlFilter throws, collected by running
// FilterFactory.INSTANCE.get("SQL92").compile(expr) from the 4.9.8 jars (what
// ClientManageProcessor.checkClientConfig copies into the remark). A null remark means Java
// accepts the expression. SQL92_GOLDEN names another table of the same form (for ad-hoc
// differential runs with generated expressions).
func TestSQL92RefusalRemarksMatchJava(t *testing.T) {
	path := "testdata/java-4.9.8-sql92-refusals.jsonl"
	if p := os.Getenv("SQL92_GOLDEN"); p != "" {
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var c struct {
			Expr   string  `json:"expr"`
			Remark *string `json:"remark"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
		_, err := compileSQL92(c.Expr)
		switch {
		case c.Remark == nil && err != nil:
			t.Errorf("%q: Java accepts it, we refuse: %v", c.Expr, err)
		case c.Remark != nil && err == nil:
			t.Errorf("%q: Java refuses it, we accept", c.Expr)
		case c.Remark != nil && err.Error() != *c.Remark:
			t.Errorf("%q:\n got %s\nwant %s", c.Expr, strconv.Quote(err.Error()), strconv.Quote(*c.Remark))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d expressions compared", n)
	if n < 30 {
		t.Fatalf("golden table has %d rows, want at least 30", n)
	}
}

// goldenSQL92Exprs reads the expressions of the golden table.
func goldenSQL92Exprs(tb testing.TB) []string {
	f, err := os.Open("testdata/java-4.9.8-sql92-refusals.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c struct {
			Expr string `json:"expr"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			tb.Fatal(err)
		}
		out = append(out, c.Expr)
	}
	return out
}

// TestSQL92RefusalPrefixes cuts every golden expression at every byte: each prefix either
// compiles or is refused with a Java exception's text, never a panic or an empty remark.
func TestSQL92RefusalPrefixes(t *testing.T) {
	for _, expr := range goldenSQL92Exprs(t) {
		for i := 0; i <= len(expr); i++ {
			_, err := compileSQL92(expr[:i])
			if err == nil {
				continue
			}
			if m := err.Error(); !strings.HasPrefix(m, "org.apache.rocketmq.filter.parser.") && !strings.HasPrefix(m, "java.lang.") {
				t.Errorf("%q: remark %q is not a Java exception's text", expr[:i], m)
			}
		}
	}
}

func FuzzSQL92Compile(f *testing.F) {
	for _, expr := range goldenSQL92Exprs(f) {
		f.Add(expr)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if _, err := compileSQL92(expr); err != nil && err.Error() == "" {
			t.Errorf("%q: empty remark", expr)
		}
	})
}

// BenchmarkSQL92CompileRefused is the refusal path: parse, replay of the look-aheads and the
// remark text.
func BenchmarkSQL92CompileRefused(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := compileSQL92("color = 'red' AND b NOT x"); err == nil {
			b.Fatal("compiled")
		}
	}
}

// BenchmarkSQL92Compile is the accepting path with the look-aheads JavaCC would run (every
// operand tries "+" first, NOT and IS try their two-token forms).
func BenchmarkSQL92Compile(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := compileSQL92("a BETWEEN 1 AND 10 AND b NOT IN ('x', 'y') AND c IS NOT NULL OR +d > -2.5"); err != nil {
			b.Fatal(err)
		}
	}
}
