package message

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand"
	"net/netip"
	"strings"
	"testing"
)

// vectorHex is the 4.9.8 test vector drawn in record.go.
const vectorHex = `00 00 00 72 DA A3 20 A7 77 D1 89 82 00 00 00 01
00 00 00 00 00 00 00 00 00 00 00 05 00 00 00 00
00 00 10 00 00 00 00 00 00 00 01 8B CF E5 68 00
7F 00 00 01 00 00 D4 31 00 00 01 8B CF E5 68 7B
C0 A8 00 0A 00 00 2A 9F 00 00 00 00 00 00 00 00
00 00 00 00 00 00 00 05 48 65 6C 6C 6F 09 54 6F
70 69 63 54 65 73 74 00 09 54 41 47 53 01 54 61
67 41`

func unhexString(t testing.TB, s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func vectorMsg() *Msg {
	return &Msg{
		Topic:         "TopicTest",
		QueueID:       1,
		BornTimestamp: 1700000000000,
		BornHost:      netip.MustParseAddrPort("127.0.0.1:54321"),
		StoreHost:     netip.MustParseAddrPort("192.168.0.10:10911"),
		Body:          []byte("Hello"),
		Properties:    AppendProperty(nil, PropertyTags, "TagA"),
	}
}

func TestRecordVector(t *testing.T) {
	want := unhexString(t, vectorHex)
	m := vectorMsg()
	if RecordLen(m) != 114 {
		t.Fatalf("RecordLen = %d, want 114", RecordLen(m))
	}
	got := AppendRecord(nil, m, 5, 4096, 1700000000123)
	if !bytes.Equal(got, want) {
		t.Fatalf("encode mismatch\n got %X\nwant %X", got, want)
	}
	var v View
	if err := Parse(want, &v); err != nil {
		t.Fatal(err)
	}
	if !v.CRCOK() || v.QueueOffset != 5 || v.PhysicalOffset != 4096 || v.StoreTimestamp != 1700000000123 ||
		string(v.Topic) != "TopicTest" || string(v.Body) != "Hello" || v.TagsCode() != 2598919 ||
		v.BornHost != m.BornHost || v.StoreHost != m.StoreHost || v.QueueID != 1 {
		t.Fatalf("parse: %+v", v)
	}
	ext := v.Ext()
	if id := ext.MsgID(); id != "C0A8000A00002A9F0000000000001000" {
		t.Fatalf("msg id %s", id)
	}
	// Re-encoding the decoded message gives the same bytes.
	if again := AppendRecord(nil, &ext.Msg, ext.QueueOffset, ext.CommitLogOffset, ext.StoreTimestamp); !bytes.Equal(again, want) {
		t.Fatal("re-encode differs")
	}
}

func TestRecordIPv6AndV2(t *testing.T) {
	cases := []struct {
		name       string
		born, stor string
		topic      string
		wantLen    int
		wantFlag   int32
		wantMagic  int32
	}{
		{"v4v4", "1.2.3.4:5", "5.6.7.8:9", "T", 91 + 1 + 1, 0, MagicV1},
		{"born6", "[::1]:5", "5.6.7.8:9", "T", 91 + 12 + 2, SysFlagBornHostV6, MagicV1},
		{"store6", "1.2.3.4:5", "[fe80::1]:9", "T", 91 + 12 + 2, SysFlagStoreHostV6, MagicV1},
		{"both6", "[::1]:5", "[::2]:9", "T", 91 + 24 + 2, SysFlagBornHostV6 | SysFlagStoreHostV6, MagicV1},
		{"v2topic", "1.2.3.4:5", "5.6.7.8:9", strings.Repeat("x", 200), 91 + 1 + 200 + 1, 0, MagicV2},
		{"mapped4", "[::ffff:1.2.3.4]:5", "5.6.7.8:9", "T", 91 + 1 + 1, 0, MagicV1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &Msg{Topic: c.topic, BornHost: netip.MustParseAddrPort(c.born), StoreHost: netip.MustParseAddrPort(c.stor),
				Body: []byte("b"), SysFlag: SysFlagCompressed | SysFlagBornHostV6}
			rec := AppendRecord(nil, m, 1, 2, 3)
			if len(rec) != c.wantLen {
				t.Fatalf("len %d want %d", len(rec), c.wantLen)
			}
			var v View
			if err := Parse(rec, &v); err != nil {
				t.Fatal(err)
			}
			if v.SysFlag != SysFlagCompressed|c.wantFlag || v.Magic != c.wantMagic || string(v.Topic) != c.topic {
				t.Fatalf("sysflag %x magic %x", v.SysFlag, v.Magic)
			}
			if v.BornHost.Port() != 5 || v.StoreHost.Port() != 9 || v.StoreTimestamp != 3 || string(v.Body) != "b" {
				t.Fatalf("%+v", v)
			}
			id := OffsetMsgID(v.StoreHost, 2)
			h, off, err := ParseOffsetMsgID(id)
			if err != nil || off != 2 || h.Port() != 9 {
				t.Fatalf("id %s: %v %v %d", id, err, h, off)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	good := unhexString(t, vectorHex)
	blank := []byte{0, 0, 0x10, 0, 0xCB, 0xD4, 0x31, 0x94}
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShortRecord},
		{"short", good[:50], ErrShortRecord},
		{"blank", blank, ErrBlank},
		{"zeros", make([]byte, 200), ErrBadMagic},
		{"magic", mut(func(b []byte) []byte { b[5] = 0; return b }), ErrBadMagic},
		{"size-small", mut(func(b []byte) []byte { b[3] = 0x71; return b }), ErrBadLength},
		{"bodylen", mut(func(b []byte) []byte { b[87] = 0x50; return b }), ErrBadLength},
		{"neg-bodylen", mut(func(b []byte) []byte { b[84] = 0xFF; return b }), ErrBadLength},
		{"topiclen", mut(func(b []byte) []byte { b[93] = 0x7F; return b }), ErrBadLength},
		{"proplen", mut(func(b []byte) []byte { b[104] = 0x08; return b }), ErrBadLength},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v View
			if err := Parse(c.in, &v); !errors.Is(err, c.want) {
				t.Fatalf("got %v want %v", err, c.want)
			}
		})
	}
	var v View
	bad := mut(func(b []byte) []byte { b[90] ^= 1; return b })
	if err := Parse(bad, &v); err != nil || v.CRCOK() {
		t.Fatalf("flipped body byte: err %v crcok %v", err, v.CRCOK())
	}
}

// TestParseGarbage: random bytes and random mutations never panic.
func TestParseGarbage(t *testing.T) {
	good := unhexString(t, vectorHex)
	r := rand.New(rand.NewSource(1))
	var v View
	for i := 0; i < 20000; i++ {
		b := append([]byte(nil), good...)
		for k := 0; k < 1+r.Intn(4); k++ {
			b[r.Intn(len(b))] = byte(r.Intn(256))
		}
		_ = Parse(b[:r.Intn(len(b)+1)], &v)
		_ = Parse(b, &v)
		_, _ = SplitBatch(b)
		_ = ParseProperties(b)
	}
}

func TestJavaHash(t *testing.T) {
	cases := []struct {
		in   string
		want int32
	}{
		{"", 0}, {"TagA", 2598919}, {"*", 42}, {"标签", 857175},
		{"TopicTest#KEY1", -1656969516},
		{"😀", 31*0xD83D + 0xDE00},
		{"\xff", 0xFFFD},
	}
	for _, c := range cases {
		if got := JavaHash(c.in); got != c.want {
			t.Errorf("JavaHash(%q) = %d, want %d", c.in, got, c.want)
		}
		if got := JavaHash([]byte(c.in)); got != c.want {
			t.Errorf("JavaHash([]byte %q) = %d, want %d", c.in, got, c.want)
		}
	}
	if TagsCode("TagA") != 2598919 || TagsCode("") != 0 || TagsCode("TopicTest#KEY1") != -1656969516 {
		t.Fatal("TagsCode")
	}
	if BodyCRC([]byte("Hello")) != 2010220930 || BodyCRC(nil) != 0 {
		t.Fatal("crc vectors")
	}
}

func TestProperties(t *testing.T) {
	java := []byte("KEYS\x01k0 k1\x02UNIQ_KEY\x01ABC\x02TAGS\x01TagA")
	goStyle := []byte("KEYS\x01k0 k1\x02UNIQ_KEY\x01ABC\x02TAGS\x01TagA\x02")
	for _, p := range [][]byte{java, goStyle} {
		m := ParseProperties(p)
		if len(m) != 3 || m["KEYS"] != "k0 k1" || m["TAGS"] != "TagA" {
			t.Fatalf("%q -> %v", p, m)
		}
		if v, ok := PropertyValue(p, "TAGS"); !ok || string(v) != "TagA" {
			t.Fatalf("PropertyValue TAGS %q %v", v, ok)
		}
		if _, ok := PropertyValue(p, "TAG"); ok {
			t.Fatal("prefix matched")
		}
	}
	// Java drops entries without a name or a value, or shorter than 3 bytes.
	odd := []byte("\x02a\x01\x02\x01b\x02ab\x02x\x01y\x02\x02")
	if m := ParseProperties(odd); len(m) != 1 || m["x"] != "y" {
		t.Fatalf("odd -> %v", m)
	}
	if got := EncodeProperties(map[string]string{"b": "2", "a": "1"}); string(got) != "a\x011\x02b\x012" {
		t.Fatalf("encode %q", got)
	}
	if got := AppendProperty(append([]byte(nil), goStyle...), "CLUSTER", "C"); string(got) != string(goStyle)+"CLUSTER\x01C" {
		t.Fatalf("append after trailing sep %q", got)
	}
	del := []struct{ in, name, want string }{
		{"WAIT\x01true\x02TAGS\x01a", "WAIT", "TAGS\x01a"},
		{"TAGS\x01a\x02WAIT\x01true", "WAIT", "TAGS\x01a"},
		{"TAGS\x01a\x02WAIT\x01true\x02", "WAIT", "TAGS\x01a\x02"},
		{"WAIT\x01true", "WAIT", ""},
		{"TAGS\x01a", "WAIT", "TAGS\x01a"},
	}
	for _, c := range del {
		if got := DeleteProperty([]byte(c.in), c.name); string(got) != c.want {
			t.Errorf("DeleteProperty(%q) = %q want %q", c.in, got, c.want)
		}
	}
}

func TestBatch(t *testing.T) {
	one := AppendBatchEntry(nil, 0, []byte("Hello"), []byte("a\x01b"))
	if want := unhexString(t, "0000001E 00000000 00000000 00000000 00000005 48656C6C6F 0003 610162"); !bytes.Equal(one, want) {
		t.Fatalf("entry %X", one)
	}
	body := AppendBatchEntry(one, 7, nil, nil)
	es, err := SplitBatch(body)
	if err != nil || len(es) != 2 || string(es[0].Body) != "Hello" || es[1].Flag != 7 || len(es[1].Body) != 0 {
		t.Fatalf("%v %+v", err, es)
	}
	for _, bad := range [][]byte{nil, body[:len(body)-1], append(body, 0)} {
		if _, err := SplitBatch(bad); err == nil {
			t.Fatalf("accepted %X", bad)
		}
	}
}

func TestMsgIDErrors(t *testing.T) {
	for _, id := range []string{"", "C0A8000A00002A9F000000000000100", "G0A8000A00002A9F0000000000001000"} {
		if _, _, err := ParseOffsetMsgID(id); err == nil {
			t.Errorf("accepted %q", id)
		}
	}
}

func TestEncodeAllocs(t *testing.T) {
	m := vectorMsg()
	buf := make([]byte, 256)
	var v View
	n := testing.AllocsPerRun(100, func() {
		PutRecord(buf, m, 1, 2, 3)
		_ = Parse(buf, &v)
		_ = v.TagsCode()
		_ = AppendOffsetMsgID(buf[200:200], m.StoreHost, 4096)
	})
	if n != 0 {
		t.Fatalf("allocs per encode+parse: %v", n)
	}
}

var sink int

func BenchmarkPutRecord1K(b *testing.B) {
	m := vectorMsg()
	m.Body = make([]byte, 1024)
	buf := make([]byte, RecordLen(m))
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink += PutRecord(buf, m, int64(i), int64(i), int64(i))
	}
}

func BenchmarkParse(b *testing.B) {
	rec := AppendRecord(nil, vectorMsg(), 1, 2, 3)
	var v View
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = Parse(rec, &v)
		sink += int(v.TagsCode())
	}
}
