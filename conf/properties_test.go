package conf

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// TestParsePropertiesJavaGolden replays inputs whose expected result was produced by
// java.util.Properties.load on JDK 17 (testdata/Dump.java), covering separators, blanks,
// comments, continuations, line terminators and escapes.
func TestParsePropertiesJavaGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/java_properties_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		In  string          `json:"in"`
		Out json.RawMessage `json:"out"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("golden file has only %d cases", len(cases))
	}
	for _, c := range cases {
		props, err := ParseProperties([]byte(c.In))
		if string(c.Out) == `"ERROR"` {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("%q: want a syntax error like Java, got %v (%v)", c.In, props, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.In, err)
			continue
		}
		var want map[string]string
		if err := json.Unmarshal(c.Out, &want); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, p := range props {
			got[p.Key] = p.Value
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", c.In, got, want)
		}
	}
}

func TestParsePropertiesOrderAndLines(t *testing.T) {
	in := "# broker.conf\r\n" +
		"brokerClusterName = DefaultCluster\r\n" +
		"\r\n" +
		"namesrvAddr=127.0.0.1:9876;\\\r\n" +
		"    127.0.0.2:9876\r\n" +
		"brokerId=0\n" +
		"brokerId=1\n" +
		"bad=\\u00zz\n"
	props, err := ParseProperties([]byte(in))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 8 {
		t.Fatalf("want syntax error on line 8, got %v", err)
	}
	props, err = ParseProperties([]byte(in[:len(in)-len("bad=\\u00zz\n")]))
	if err != nil {
		t.Fatal(err)
	}
	want := []Property{
		{"brokerClusterName", "DefaultCluster", 2},
		{"namesrvAddr", "127.0.0.1:9876;127.0.0.2:9876", 4},
		{"brokerId", "0", 6},
		{"brokerId", "1", 7},
	}
	if !reflect.DeepEqual(props, want) {
		t.Fatalf("got %+v\nwant %+v", props, want)
	}
}

func TestReadPropertiesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broker.conf")
	if err := os.WriteFile(path, []byte("listenPort=10911\nbrokerName=broker-a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	props, err := ReadPropertiesFile(path)
	if err != nil || len(props) != 2 || props[1].Value != "broker-a" {
		t.Fatalf("got %v, %v", props, err)
	}
	if _, err := ReadPropertiesFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestFormatPropertiesRoundTrip(t *testing.T) {
	props := []Property{
		{Key: "plain", Value: "v"},
		{Key: "with space", Value: "  leading and trailing  "},
		{Key: "a=b:c#d!e", Value: "x=y:z#!"},
		{Key: "ctl", Value: "tab\tnl\ncr\rff\f back\\slash"},
		{Key: "uni标", Value: "é😀"},
		{Key: "", Value: ""},
	}
	back, err := ParseProperties(FormatProperties(props))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(props) {
		t.Fatalf("got %d pairs from %q", len(back), FormatProperties(props))
	}
	for i := range props {
		if back[i].Key != props[i].Key || back[i].Value != props[i].Value {
			t.Errorf("pair %d: got %q=%q want %q=%q", i, back[i].Key, back[i].Value, props[i].Key, props[i].Value)
		}
	}
}

// FuzzParseProperties checks that no input panics, that valid UTF-8 input yields valid UTF-8
// pairs, and that formatting the result and parsing it again gives the same pairs.
func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{"a=b\n", "a\\\n b", "#c\\\nx:y", "\\u12", "k\\ =\\u00e9\r\n", "\\\n#c\na=1", "a=b\\"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		props, err := ParseProperties(data)
		if err != nil {
			return
		}
		if utf8.Valid(data) {
			for _, p := range props {
				if !utf8.ValidString(p.Key) || !utf8.ValidString(p.Value) {
					t.Fatalf("invalid UTF-8 out of valid input: %q=%q", p.Key, p.Value)
				}
			}
		}
		again, err := ParseProperties(FormatProperties(props))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if len(again) != len(props) {
			t.Fatalf("re-parse gave %d pairs, want %d", len(again), len(props))
		}
		for i := range props {
			if again[i].Key != props[i].Key || again[i].Value != props[i].Value {
				t.Fatalf("pair %d: %q=%q became %q=%q", i, props[i].Key, props[i].Value, again[i].Key, again[i].Value)
			}
		}
	})
}

func BenchmarkParseProperties(b *testing.B) {
	data := []byte("brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=0\n" +
		"deleteWhen=04\nfileReservedTime=48\nbrokerRole=ASYNC_MASTER\nflushDiskType=ASYNC_FLUSH\n" +
		"# comment\nnamesrvAddr=127.0.0.1:9876;\\\n  127.0.0.2:9876\n")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseProperties(data); err != nil {
			b.Fatal(err)
		}
	}
}
