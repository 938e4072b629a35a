package broker

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

// TestSQL92RefusalRemarksMatchJava compiles every expression of the golden table and compares
// the refusal text with the remark the stock 4.9.8 broker gives for it: the message of the
// MQFilterException its SqlFilter throws, collected by running
// FilterFactory.INSTANCE.get("SQL92").compile(expr) from the 4.9.8 jars (what
// ClientManageProcessor.checkClientConfig copies into the remark). A null remark means Java
// accepts the expression.
func TestSQL92RefusalRemarksMatchJava(t *testing.T) {
	f, err := os.Open("testdata/java-4.9.8-sql92-refusals.jsonl")
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
	if n < 30 {
		t.Fatalf("golden table has %d rows, want at least 30", n)
	}
}
