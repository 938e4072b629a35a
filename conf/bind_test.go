package conf

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

type flushType string

type storeCfg struct {
	StorePathRootDir   string    `prop:"storePathRootDir,important"`
	MappedFileSize     int64     `prop:"mappedFileSizeCommitLog"`
	FlushDiskType      flushType `prop:"flushDiskType"`
	DiskMaxUsedRatio   int32     `prop:"diskMaxUsedSpaceRatio"`
	CleanForciblyRatio float64   `prop:"diskSpaceCleanForciblyRatio"`
	ListenPort         int       `prop:"listenPort"` // same key as brokerCfg: both get set
}

type nested struct {
	Weight float32 `prop:"weight"`
	Small  uint8   `prop:"small"`
	Tiny   int8    `prop:"tiny"`
	Big    uint64  `prop:"big"`
}

type brokerCfg struct {
	storeCfg
	BrokerName  string  `prop:"brokerName,important"`
	ListenPort  int     `prop:"listenPort,important"`
	AutoCreate  bool    `prop:"autoCreateTopicEnable"`
	Sub         nested  // untagged struct field: walked into
	Opt         *nested // nil pointer: its keys are skipped
	Ignored     string  `prop:"-"`
	notExported int     `prop:"hidden"`
	Plain       int     // untagged scalar: not bound
}

func newBroker() *brokerCfg {
	return &brokerCfg{
		storeCfg:   storeCfg{StorePathRootDir: "/root/store", MappedFileSize: 1 << 30, FlushDiskType: "ASYNC_FLUSH", DiskMaxUsedRatio: 75, CleanForciblyRatio: 0.85},
		BrokerName: "broker-a", ListenPort: 10911, AutoCreate: true,
	}
}

func TestLoad(t *testing.T) {
	props, err := ParseProperties([]byte(strings.Join([]string{
		"brokerName=broker-b ", // strings keep trailing blanks, as Java
		"listenPort = 20911 ",  // numbers are trimmed (Java would silently ignore this)
		"autoCreateTopicEnable=FALSE",
		"flushDiskType=SYNC_FLUSH",
		"mappedFileSizeCommitLog=+4096",
		"diskMaxUsedSpaceRatio=-3",
		"diskSpaceCleanForciblyRatio=0.5d",
		"weight=1.25",
		"small=255",
		"tiny=-128",
		"big=18446744073709551615",
		"noSuchKey=1",
		"hidden=3",
		"Ignored=x",
		"noSuchKey=2",
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	c := newBroker()
	unknown, err := Load(props, c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(unknown, ",") != "noSuchKey,hidden,Ignored" {
		t.Errorf("unknown = %q", unknown)
	}
	want := newBroker()
	want.BrokerName = "broker-b "
	want.ListenPort = 20911
	want.storeCfg.ListenPort = 20911
	want.AutoCreate = false
	want.FlushDiskType = "SYNC_FLUSH"
	want.MappedFileSize = 4096
	want.DiskMaxUsedRatio = -3
	want.CleanForciblyRatio = 0.5
	want.Sub = nested{Weight: 1.25, Small: 255, Tiny: -128, Big: 1<<64 - 1}
	if *c != *want {
		t.Fatalf("got  %+v\nwant %+v", *c, *want)
	}
}

func TestLoadBadValues(t *testing.T) {
	cases := []struct {
		line    string
		key     string
		wantMsg string
	}{
		{"listenPort=abc", "listenPort", "not a valid int"},
		{"listenPort=", "listenPort", "not a valid int"},
		{"listenPort=1.5", "listenPort", "not a valid int"},
		{"autoCreateTopicEnable=yes", "autoCreateTopicEnable", "want true or false"},
		{"small=256", "small", "out of range for uint8"},
		{"small=-1", "small", "not a valid uint8"},
		{"tiny=128", "tiny", "out of range for int8"},
		{"diskMaxUsedSpaceRatio=2147483648", "diskMaxUsedSpaceRatio", "out of range for int32"},
		{"diskSpaceCleanForciblyRatio=0.8x", "diskSpaceCleanForciblyRatio", "not a valid float64"},
		{"weight=1e39", "weight", "out of range for float32"},
	}
	for _, tc := range cases {
		props, err := ParseProperties([]byte("# header\n" + tc.line + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		c := newBroker()
		before := *c
		_, err = Load(props, c)
		var ve *ValueError
		if !errors.As(err, &ve) {
			t.Errorf("%s: want ValueError, got %v", tc.line, err)
			continue
		}
		if ve.Key != tc.key || ve.Line != 2 || !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: error %q (key %q line %d)", tc.line, err, ve.Key, ve.Line)
		}
		if *c != before {
			t.Errorf("%s: a bad value changed the config", tc.line)
		}
	}
	// Every bad value is reported, not only the first.
	props, _ := ParseProperties([]byte("listenPort=x\nsmall=y\n"))
	_, err := Load(props, newBroker())
	if err == nil || !strings.Contains(err.Error(), "listenPort") || !strings.Contains(err.Error(), "small") {
		t.Fatalf("joined error = %v", err)
	}
}

func TestLoadSeveralTargetsAndBadTarget(t *testing.T) {
	type netty struct {
		ListenPort   int `prop:"listenPort"`
		WorkerThread int `prop:"serverWorkerThreads"`
	}
	type namesrv struct {
		KVConfigPath string `prop:"kvConfigPath"`
	}
	props, _ := ParseProperties([]byte("listenPort=9877\nkvConfigPath=/tmp/kv.json\nserverWorkerThreads=8\n"))
	n, s := &netty{}, &namesrv{}
	unknown, err := Load(props, s, n)
	if err != nil || len(unknown) != 0 || n.ListenPort != 9877 || n.WorkerThread != 8 || s.KVConfigPath != "/tmp/kv.json" {
		t.Fatalf("got %+v %+v %v %v", n, s, unknown, err)
	}
	for _, bad := range []any{nil, netty{}, (*netty)(nil), new(int)} {
		if _, err := Load(props, bad); err == nil {
			t.Errorf("Load(%T) accepted a bad target", bad)
		}
		if err := Set(bad, "listenPort", "1"); err == nil {
			t.Errorf("Set(%T) accepted a bad target", bad)
		}
	}
}

func TestSet(t *testing.T) {
	c := newBroker()
	c.Opt = &nested{}
	cases := []struct {
		key, value string
		wantErr    error
		check      func() bool
	}{
		{"brokerName", "b2", nil, func() bool { return c.BrokerName == "b2" }},
		{"listenPort", "30911", nil, func() bool { return c.ListenPort == 30911 && c.storeCfg.ListenPort == 30911 }},
		{"weight", "2.5", nil, func() bool { return c.Sub.Weight == 2.5 && c.Opt.Weight == 2.5 }},
		{"autoCreateTopicEnable", "true", nil, func() bool { return c.AutoCreate }},
		{"listenPort", "x", &ValueError{}, func() bool { return c.ListenPort == 30911 }},
		{"nope", "1", ErrUnknownKey, func() bool { return true }},
	}
	for _, tc := range cases {
		err := Set(c, tc.key, tc.value)
		switch want := tc.wantErr.(type) {
		case nil:
			if err != nil {
				t.Errorf("Set(%s): %v", tc.key, err)
			}
		case *ValueError:
			var ve *ValueError
			if !errors.As(err, &ve) || ve.Key != tc.key || ve.Value != tc.value {
				t.Errorf("Set(%s=%s): %v", tc.key, tc.value, err)
			}
		default:
			if !errors.Is(err, want) {
				t.Errorf("Set(%s): got %v want %v", tc.key, err, want)
			}
		}
		if !tc.check() {
			t.Errorf("Set(%s=%s) left %+v", tc.key, tc.value, c)
		}
	}
}

func TestPrintAndToMap(t *testing.T) {
	c := newBroker()
	c.Sub.Weight = 1e7
	var buf bytes.Buffer
	if err := Print(&buf, c); err != nil {
		t.Fatal(err)
	}
	want := "storePathRootDir=/root/store\n" +
		"mappedFileSizeCommitLog=1073741824\n" +
		"flushDiskType=ASYNC_FLUSH\n" +
		"diskMaxUsedSpaceRatio=75\n" +
		"diskSpaceCleanForciblyRatio=0.85\n" +
		"listenPort=0\n" +
		"brokerName=broker-a\n" +
		"listenPort=10911\n" +
		"autoCreateTopicEnable=true\n" +
		"weight=1.0E7\n" +
		"small=0\n" +
		"tiny=0\n" +
		"big=0\n"
	if buf.String() != want {
		t.Fatalf("Print:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := PrintImportant(&buf, c); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "storePathRootDir=/root/store\nbrokerName=broker-a\nlistenPort=10911\n" {
		t.Fatalf("PrintImportant:\n%s", buf.String())
	}

	m := ToMap(c)
	if len(m) != 12 || m["brokerName"] != "broker-a" || m["listenPort"] != "0" || m["diskSpaceCleanForciblyRatio"] != "0.85" {
		t.Fatalf("ToMap = %v", m)
	}
	if got := Keys(c); len(got) != 13 || got[0] != "storePathRootDir" {
		t.Fatalf("Keys = %v", got)
	}

	// Print output reads back into an equal config.
	buf.Reset()
	_ = Print(&buf, c)
	props, err := ParseProperties(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	c2 := &brokerCfg{}
	if _, err := Load(props, c2); err != nil {
		t.Fatal(err)
	}
	c.storeCfg.ListenPort = c.ListenPort // the later duplicate key wins for both
	if *c2 != *c {
		t.Fatalf("round trip:\n got %+v\nwant %+v", *c2, *c)
	}
}

func TestJavaDouble(t *testing.T) {
	cases := []struct {
		f    float64
		bits int
		want string
	}{
		{0, 64, "0.0"}, {1, 64, "1.0"}, {0.75, 64, "0.75"}, {48, 64, "48.0"}, {0.001, 64, "0.001"},
		{0.0001, 64, "1.0E-4"}, {9999999, 64, "9999999.0"}, {1e7, 64, "1.0E7"}, {1.5e10, 64, "1.5E10"},
		{-2.5, 64, "-2.5"}, {0.85, 32, "0.85"}, {1.25e-5, 64, "1.25E-5"},
	}
	for _, tc := range cases {
		if got := JavaDouble(tc.f, tc.bits); got != tc.want {
			t.Errorf("JavaDouble(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	props, _ := ParseProperties([]byte("brokerName=b\nlistenPort=1\nautoCreateTopicEnable=true\nweight=1.5\nunknown=1\n"))
	c := newBroker()
	for b.Loop() {
		if _, err := Load(props, c); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPropertiesRoundTrip(t *testing.T) {
	c := newBroker()
	c.BrokerName = "b with = and # and trailing "
	c.Sub.Weight = 0.25
	props := Properties(c)
	if len(props) != 12 || props[0].Key != "storePathRootDir" || props[6].Key != "brokerName" {
		t.Fatalf("Properties = %+v", props)
	}
	back, err := ParseProperties(FormatProperties(props))
	if err != nil {
		t.Fatal(err)
	}
	c2 := &brokerCfg{}
	if _, err := Load(back, c2); err != nil {
		t.Fatal(err)
	}
	c.ListenPort = c.storeCfg.ListenPort // the first binding of listenPort is the one written
	if *c2 != *c {
		t.Fatalf("round trip:\n got %+v\nwant %+v", *c2, *c)
	}
}
