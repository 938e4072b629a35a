package broker

import (
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/message"
)

// props encodes name=value pairs the way a stored record holds them.
func sqlProps(kv ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		b = message.AppendProperty(b, kv[i], kv[i+1])
	}
	return b
}

func TestSQL92Evaluate(t *testing.T) {
	msg := sqlProps("a", "5", "b", "abc", "c", "7.5", "TAGS", "TagA", "big", "3000000000", "t", "TRUE", "neg", "-3",
		"q", "it's", "z", "+000000000000000000005")
	cases := []struct {
		expr string
		want bool
	}{
		// equality and inequality, string and numeric
		{"a = 5", true},
		{"a = 6", false},
		{"a = '5'", true},
		{"5 = a", true},
		{"b = 'abc'", true},
		{"b = 'ABC'", false},
		{"b <> 'abc'", false},
		{"b <> 'x'", true},
		{"TAGS = 'TagA'", true},
		{"q = 'it''s'", true},
		{"missing = 'x'", false},
		{"missing <> 'x'", false}, // NULL, not TRUE
		{"a = 5.0", true},         // Integer.valueOf fails? no: Double vs String converts the string
		{"c = 7.5", true},
		{"c = 7", false}, // Integer.valueOf("7.5") throws: no match
		{"big = 3000000000", true},
		{"big = 5", false}, // Integer.valueOf("3000000000") throws
		{"t = TRUE", true}, // String vs Boolean: Boolean.valueOf
		// ordering
		{"a > 3", true},
		{"a > 5", false},
		{"a >= 5", true},
		{"a < 10", true},
		{"a <= 4", false},
		{"c > 7", false}, // Integer.valueOf("7.5") throws
		{"c > 7.4", true},
		{"neg < 0", true},
		{"neg < -2", true},
		{"a > -1", true},
		{"a > +4", true},
		{"b > 1", false}, // not a number
		{"a > c", false}, // two strings compared as doubles: 5 > 7.5
		{"c > a", true},
		{"missing > 1", false},
		{"big > 2147483647", false}, // an Integer literal: Integer.valueOf("3000000000") throws
		{"big > 2147483648", true},  // a Long literal
		// BETWEEN
		{"a BETWEEN 1 AND 5", true},
		{"a BETWEEN 6 AND 9", false},
		{"a NOT BETWEEN 6 AND 9", true},
		{"a NOT BETWEEN 1 AND 9", false},
		{"c BETWEEN 7.0 AND 8.0", true},
		{"missing BETWEEN 1 AND 9", false},
		{"missing NOT BETWEEN 1 AND 9", false},
		// IN
		{"b IN ('x', 'abc')", true},
		{"b IN ('x')", false},
		{"b NOT IN ('x', 'y', 'z', 'w', 'v')", true},
		{"b NOT IN ('abc')", false},
		{"a IN ('5')", true},
		{"missing IN ('x')", false},
		{"missing NOT IN ('x')", false},
		// NULL tests
		{"missing IS NULL", true},
		{"a IS NULL", false},
		{"a IS NOT NULL", true},
		{"missing IS NOT NULL", false},
		// logic, three-valued
		{"a = 5 AND b = 'abc'", true},
		{"a = 5 AND b = 'x'", false},
		{"a = 6 OR b = 'abc'", true},
		{"missing = 1 OR a = 5", true},
		{"missing = 1 OR a = 6", false},
		{"missing = 1 AND a = 6", false},
		{"NOT (a = 6)", true},
		{"NOT (missing = 6)", false},
		{"NOT a = 1", false}, // (NOT a) = 1: NOT binds tighter
		{"(a = 5 OR a = 6) AND NOT (b IN ('x'))", true},
		{"a = 5 and b = 'abc'", true}, // keywords ignore case
		{"TRUE", true},
		{"FALSE", false},
		{"NOT FALSE", true},
		{"a", false}, // a property as a boolean: a String is never TRUE
		{"missing", false},
		{"a = 1 OR c = 7", false}, // c = 7 throws: the whole evaluation fails
		{"a = 5 OR c = 7", true},  // OR stops before the throwing operand
		{"a = 5 -- comment\n AND b = 'abc'", true},
		{"a = 5 /* block */ AND b = 'abc'", true},
		{"a = 5 ) trailing tokens are ignored", true},
		{"a = --5", true}, // "--" without a line break is two minus signs
		{"a = 5L", true},
		{"a = 5e0", true},
		{"a > .5", true},
		{"z = 5", true},   // "+000000000000000000005": Integer.parseInt takes any number of zeros
		{"z > 4.9", true}, // and so does Double.valueOf
	}
	for _, tc := range cases {
		e, err := compileSQL92(tc.expr)
		if err != nil {
			t.Errorf("%q: unexpected compile error %v", tc.expr, err)
			continue
		}
		if got := e.matchProperties(msg); got != tc.want {
			t.Errorf("%q: got %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func TestSQL92CompileErrors(t *testing.T) {
	bad := []string{
		"",
		"   ",
		"a =",
		"a = 'unterminated",
		"a = 1 AND",
		"(a = 1",
		"a = NULL",                // NULL cannot be compared
		"NULL = a",                //
		"TRUE = 1",                // boolean literal vs number
		"a > 'x'",                 // strings cannot be ordered
		"a > TRUE",                //
		"a > (b = 1)",             // a boolean cannot be ordered
		"'abc'",                   // not a boolean
		"5",                       //
		"a BETWEEN 5 AND 1",       // high < low
		"a BETWEEN NULL AND 1",    //
		"a IN ()",                 //
		"a IN (1, 2)",             // IN takes strings only
		"'x' IN ('x')",            // IN needs a property
		"a = 0.0",                 // createFloat refuses zero
		"a = 1e400",               // infinity
		"a = 9223372036854775808", // beyond a long
		"a # 1",
		"a = 1 NOT b", // NOT after an operand must be NOT BETWEEN / NOT IN
		"a IS 1",
		"/* unterminated",
		"a = .",
		strings.Repeat("(", 2000) + "a = 1" + strings.Repeat(")", 2000),
	}
	for _, expr := range bad {
		if _, err := compileSQL92(expr); err == nil {
			t.Errorf("%q: compiled, want an error", expr)
		}
	}
	// Java stops at the first token that cannot continue a complete selector, so these
	// compile to the part before it (no LIKE, no arithmetic in RocketMQ's grammar).
	for expr, want := range map[string]bool{"a LIKE 'x'": false, "a + 1 = 2": false} {
		e, err := compileSQL92(expr)
		if err != nil {
			t.Errorf("%q: %v", expr, err)
			continue
		}
		if got := e.matchProperties(sqlProps("a", "1")); got != want {
			t.Errorf("%q: got %v", expr, got)
		}
	}
}

func TestSQL92RecordMatch(t *testing.T) {
	e, err := compileSQL92("color = 'red' AND size > 3")
	if err != nil {
		t.Fatal(err)
	}
	rec := func(p []byte) []byte {
		m := message.Msg{Topic: "T", Body: []byte("x"), Properties: p}
		return message.AppendRecord(nil, &m, 0, 0, 1)
	}
	if !e.matchRecord(rec(sqlProps("color", "red", "size", "4"))) {
		t.Error("matching record refused")
	}
	if e.matchRecord(rec(sqlProps("color", "red", "size", "2"))) {
		t.Error("non-matching record accepted")
	}
	if e.matchRecord([]byte("garbage")) {
		t.Error("garbage record accepted")
	}
}

func FuzzSQL92(f *testing.F) {
	for _, s := range []string{"a = 1", "a BETWEEN 1 AND 2", "b IN ('x','y')", "NOT (a IS NULL) OR c <> 'z'",
		"a > -1.5e3", "--\n a", "/**/a=1", "'", "((a))"} {
		f.Add(s)
	}
	p := sqlProps("a", "1", "b", "x", "c", "2.5")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := compileSQL92(s)
		if err != nil {
			return
		}
		e.matchProperties(p)
		e.matchProperties(nil)
	})
}

func BenchmarkSQL92Match(b *testing.B) {
	e, err := compileSQL92("a BETWEEN 1 AND 10 AND b IN ('x', 'y') AND c IS NOT NULL")
	if err != nil {
		b.Fatal(err)
	}
	p := sqlProps("KEYS", "k1", "a", "5", "b", "y", "c", "1", "UNIQ_KEY", "0A0B0C0D0E0F")
	b.ReportAllocs()
	for b.Loop() {
		if !e.matchProperties(p) {
			b.Fatal("no match")
		}
	}
}
