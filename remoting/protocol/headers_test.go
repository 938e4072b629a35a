package protocol

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"testing"

	jsoniter "github.com/json-iterator/go"

	"github.com/rocketgo/rocketgo/remoting"
)

// fixtureHeader is one recorded frame header from testdata/headers.jsonl (copied from the
// wire-4.9.8 captures).
type fixtureHeader struct {
	File     string `json:"file"`
	ReqCode  int32  `json:"reqCode"`
	Response bool   `json:"response"`
	Code     int32  `json:"code"`
	Header   string `json:"header"`
	ext      remoting.ExtFields
	lang     string
}

// orderedExt parses the extFields of a raw JSON header keeping the key order on the wire.
func orderedExt(t testing.TB, raw string) (remoting.ExtFields, string) {
	it := jsoniter.ParseString(jsoniter.ConfigDefault, raw)
	var ext remoting.ExtFields
	lang := ""
	it.ReadObjectCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "extFields":
			ext = remoting.ExtFields{}
			it.ReadObjectCB(func(it *jsoniter.Iterator, k string) bool {
				ext = append(ext, remoting.Field{Key: k, Value: it.ReadString()})
				return true
			})
		case "language":
			lang = it.ReadString()
		default:
			it.Skip()
		}
		return true
	})
	if it.Error != nil {
		t.Fatalf("parse %s: %v", raw, it.Error)
	}
	return ext, lang
}

func loadHeaders(t testing.TB) []fixtureHeader {
	f, err := os.Open("testdata/headers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixtureHeader
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var h fixtureHeader
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatal(err)
		}
		h.ext, h.lang = orderedExt(t, h.Header)
		out = append(out, h)
	}
	if len(out) == 0 {
		t.Fatal("no fixture headers")
	}
	return out
}

func sameSet(a, b remoting.ExtFields) bool {
	if len(a) != len(b) {
		return false
	}
	for _, f := range a {
		if v, ok := b.Get(f.Key); !ok || v != f.Value {
			return false
		}
	}
	return true
}

func sameOrder(a, b remoting.ExtFields) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGoldenSendHeaders decodes every recorded send request and re-encodes it. Java's frames
// come back in the same key order (its HashMap order, which for a…n is alphabetical); the Go
// client writes a random map order, so for its frames only the set of fields is compared.
func TestGoldenSendHeaders(t *testing.T) {
	n := 0
	for _, fh := range loadHeaders(t) {
		if fh.Response || (fh.ReqCode != SendMessage && fh.ReqCode != SendMessageV2 && fh.ReqCode != SendBatchMessage) {
			continue
		}
		n++
		var h SendMessageRequestHeader
		if err := h.DecodeSend(fh.ReqCode, fh.ext); err != nil {
			t.Fatalf("%s: %v", fh.Header, err)
		}
		if h.Topic == "" || h.ProducerGroup == "" || h.DefaultTopic != "TBW102" || h.DefaultTopicQueueNums != 4 || h.BornTimestamp < 1e12 {
			t.Errorf("decoded %+v from %s", h, fh.Header)
		}
		if h.Batch != (fh.ReqCode == SendBatchMessage) {
			t.Errorf("batch=%v for code %d", h.Batch, fh.ReqCode)
		}
		var back remoting.ExtFields
		if fh.ReqCode == SendMessage {
			h.Encode(&back)
		} else {
			h.EncodeV2(&back)
		}
		want := fh.ext
		if v, ok := want.Get("i"); ok && v == "" {
			want = append(remoting.ExtFields(nil), want...)
			want.Del("i")
		}
		if !sameSet(back, want) {
			t.Errorf("re-encoded\n %v\nwant\n %v", back, fh.ext)
		}
		if fh.lang == "JAVA" && !sameOrder(back, fh.ext) {
			t.Errorf("Java order lost:\n %v\nwant\n %v", back, fh.ext)
		}
	}
	if n < 5 {
		t.Fatalf("only %d send headers in fixtures", n)
	}
}

// TestGoldenSendAndPullResponses re-encodes every recorded send and pull response header from
// its decoded values and requires the Java broker's exact field order.
func TestGoldenSendAndPullResponses(t *testing.T) {
	sends, pulls := 0, 0
	for _, fh := range loadHeaders(t) {
		if !fh.Response {
			continue
		}
		switch fh.ReqCode {
		case SendMessage, SendMessageV2, SendBatchMessage:
			if fh.Code != Success {
				continue
			}
			sends++
			var h SendMessageResponseHeader
			if err := h.Decode(fh.ext); err != nil {
				t.Fatal(err)
			}
			var back remoting.ExtFields
			h.Encode(&back)
			if !sameOrder(back, fh.ext) {
				t.Errorf("send response\n %v\nwant\n %v", back, fh.ext)
			}
		case PullMessage:
			pulls++
			var h PullMessageResponseHeader
			if err := h.Decode(fh.ext); err != nil {
				t.Fatal(err)
			}
			var back remoting.ExtFields
			h.Encode(&back)
			if !sameOrder(back, fh.ext) {
				t.Errorf("pull response\n %v\nwant\n %v", back, fh.ext)
			}
		}
	}
	if sends < 3 || pulls < 3 {
		t.Fatalf("sends=%d pulls=%d", sends, pulls)
	}
}

func TestGoldenPullRequests(t *testing.T) {
	n := 0
	for _, fh := range loadHeaders(t) {
		if fh.Response || fh.ReqCode != PullMessage {
			continue
		}
		n++
		var h PullMessageRequestHeader
		if err := h.Decode(fh.ext); err != nil {
			t.Fatalf("%s: %v", fh.Header, err)
		}
		if h.ConsumerGroup == "" || h.Topic == "" || h.MaxMsgNums <= 0 || !h.HasFlag(PullFlagSuspend) {
			t.Errorf("decoded %+v", h)
		}
		var back remoting.ExtFields
		h.Encode(&back)
		// Java leaves out a null subscription; Go sends "". Both decode the same.
		if want := fh.ext; !sameSet(back, want) {
			if v, ok := want.Get("subscription"); ok && v == "" && len(back) == len(want)-1 {
				continue
			}
			t.Errorf("re-encoded\n %v\nwant\n %v", back, want)
		} else if fh.lang == "JAVA" && !sameOrder(back, want) {
			t.Errorf("Java order\n %v\nwant\n %v", back, want)
		}
	}
	if n < 3 {
		t.Fatalf("only %d pull requests", n)
	}
}

// TestSortJavaOrder checks the HashMap model against every Java-written header in the
// fixtures: sorting the recorded keys must leave them where Java put them.
func TestSortJavaOrder(t *testing.T) {
	n := 0
	for _, fh := range loadHeaders(t) {
		if fh.lang != "JAVA" || len(fh.ext) < 2 {
			continue
		}
		n++
		// Already in Java order: sorting must not move anything.
		got := append(remoting.ExtFields(nil), fh.ext...)
		SortJavaOrder(got)
		if !sameOrder(got, fh.ext) {
			t.Errorf("java order\n %v\nwant\n %v", got, fh.ext)
		}
		// Reversed: ties within a bucket come out reversed too (insertion order), but the
		// bucket sequence must be Java's.
		for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
			got[i], got[j] = got[j], got[i]
		}
		SortJavaOrder(got)
		for i := range got {
			if javaBucket(got[i].Key, len(got)) != javaBucket(fh.ext[i].Key, len(got)) {
				t.Errorf("bucket order\n %v\nwant\n %v", got, fh.ext)
				break
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d Java headers", n)
	}
	if JavaHashCode("TagA") != 2598919 || JavaHashCode("TagB") != 2598920 || JavaHashCode("é😀") != 1996812 {
		t.Errorf("hash: %d %d %d", JavaHashCode("TagA"), JavaHashCode("TagB"), JavaHashCode("é😀"))
	}
}

func TestSendHeaderErrors(t *testing.T) {
	full := remoting.ExtFields{{Key: "a", Value: "PG"}, {Key: "b", Value: "T"}, {Key: "c", Value: "TBW102"},
		{Key: "d", Value: "4"}, {Key: "e", Value: "1"}, {Key: "f", Value: "0"}, {Key: "g", Value: "1700000000000"},
		{Key: "h", Value: "0"}}
	without := func(k string) remoting.ExtFields {
		e := append(remoting.ExtFields(nil), full...)
		e.Del(k)
		return e
	}
	with := func(k, v string) remoting.ExtFields {
		e := append(remoting.ExtFields(nil), full...)
		e.Set(k, v)
		return e
	}
	cases := []struct {
		name    string
		ext     remoting.ExtFields
		missing string
		invalid string
	}{
		{"ok", full, "", ""},
		{"no topic", without("b"), "b", ""},
		{"no group", without("a"), "a", ""},
		{"no flag", without("h"), "h", ""},
		{"empty", nil, "a", ""},
		{"queue not a number", with("e", "1x"), "", "e"},
		{"queue overflow", with("e", "2147483648"), "", "e"},
		{"born hex", with("g", "0x10"), "", "g"},
		{"born empty", with("g", ""), "", "g"},
		{"born sign only", with("g", "-"), "", "g"},
		{"optional junk ignored", with("j", "zz"), "", ""},
	}
	for _, c := range cases {
		var h SendMessageRequestHeader
		err := h.DecodeV2(c.ext)
		var me *MissingFieldError
		var ie *InvalidFieldError
		switch {
		case c.missing != "":
			if !errors.As(err, &me) || me.Field != c.missing {
				t.Errorf("%s: err %v, want missing %s", c.name, err, c.missing)
			}
		case c.invalid != "":
			if !errors.As(err, &ie) || ie.Field != c.invalid {
				t.Errorf("%s: err %v, want invalid %s", c.name, err, c.invalid)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if got := (&MissingFieldError{"topic"}).Error(); got != "the custom field <topic> is null" {
		t.Errorf("remark %q", got)
	}
}

func TestParseNumbersAndBools(t *testing.T) {
	i64 := []struct {
		in string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"-1", -1, true}, {"+7", 7, true}, {"9223372036854775807", 1<<63 - 1, true},
		{"-9223372036854775808", -1 << 63, true}, {"9223372036854775808", 0, false},
		{"-9223372036854775809", 0, false}, {"", 0, false}, {"+", 0, false}, {"1_000", 0, false},
		{" 1", 0, false}, {"1.0", 0, false}, {"00012", 12, true},
	}
	for _, c := range i64 {
		v, ok := parseInt64(c.in)
		if v != c.v || ok != c.ok {
			t.Errorf("parseInt64(%q) = %d,%v want %d,%v", c.in, v, ok, c.v, c.ok)
		}
	}
	i32 := []struct {
		in string
		v  int32
		ok bool
	}{{"2147483647", 1<<31 - 1, true}, {"-2147483648", -1 << 31, true}, {"2147483648", 0, false}, {"x", 0, false}}
	for _, c := range i32 {
		v, ok := parseInt32(c.in)
		if v != c.v || ok != c.ok {
			t.Errorf("parseInt32(%q) = %d,%v", c.in, v, ok)
		}
	}
	bools := map[string]bool{"true": true, "TRUE": true, "tRuE": true, "false": false, "1": false, "yes": false, "": false, "true ": false}
	for in, want := range bools {
		if parseBool(in) != want {
			t.Errorf("parseBool(%q) != %v", in, want)
		}
	}
}

func TestGenericHeader(t *testing.T) {
	h := Header{remoting.ExtFields{{Key: "topic", Value: "T"}, {Key: "queueId", Value: "3"},
		{Key: "offset", Value: "x"}, {Key: "force", Value: "True"}}}
	if v, err := h.Str("topic"); v != "T" || err != nil {
		t.Errorf("Str = %q %v", v, err)
	}
	if _, err := h.Str("group"); err == nil || err.Error() != "the custom field <group> is null" {
		t.Errorf("Str missing: %v", err)
	}
	if v, err := h.Int32("queueId"); v != 3 || err != nil {
		t.Errorf("Int32 = %d %v", v, err)
	}
	var ie *InvalidFieldError
	if _, err := h.Int64("offset"); !errors.As(err, &ie) || ie.Value != "x" {
		t.Errorf("Int64 invalid: %v", err)
	}
	if h.OptInt32("offset", 7) != 7 || h.OptInt32("queueId", 7) != 3 || h.OptInt64("none", -1) != -1 {
		t.Error("Opt defaults")
	}
	if !h.Bool("force") || h.Bool("topic") || h.Bool("none") {
		t.Error("Bool")
	}
}

func TestSendResponseDecodeDefaults(t *testing.T) {
	var h SendMessageResponseHeader
	err := h.Decode(remoting.ExtFields{{Key: "msgId", Value: "X"}, {Key: "queueId", Value: "1"}, {Key: "queueOffset", Value: "2"}})
	if err != nil || h.MsgRegion != "DefaultRegion" || !h.TraceOn {
		t.Errorf("%+v %v", h, err)
	}
	err = h.Decode(remoting.ExtFields{{Key: "msgId", Value: "X"}, {Key: "queueId", Value: "1"}, {Key: ExtTraceOn, Value: "false"}})
	var me *MissingFieldError
	if !errors.As(err, &me) || me.Field != "queueOffset" || h.TraceOn {
		t.Errorf("%+v %v", h, err)
	}
}

func javaBucket(k string, n int) uint32 {
	c := uint32(16)
	for uint32(n) > c*3/4 {
		c <<= 1
	}
	h := uint32(JavaHashCode(k))
	return (h ^ h>>16) & (c - 1)
}
