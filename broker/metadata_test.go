package broker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// javaConfigDir holds config/*.json written by a real Java 4.9.8 broker (copied from the
// store fixture by the protocol package).
const javaConfigDir = "../remoting/protocol/testdata/java-4.9.8-config"

// TestLoadJavaWrittenConfig starts a broker on a store whose config/ was written by Java and
// checks the topics, groups and offsets are all there; after a shutdown our rewrite of the
// files still decodes to the same content.
func TestLoadJavaWrittenConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "store", "config")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{topicsFile, groupsFile, offsetsFile} {
		data, err := os.ReadFile(filepath.Join(javaConfigDir, f))
		if err != nil {
			t.Skipf("fixture missing: %v", err)
		}
		if err := os.WriteFile(filepath.Join(cfgDir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	javaTopics, javaVersion, err := decodeTopics(mustRead(t, filepath.Join(javaConfigDir, topicsFile)))
	if err != nil {
		t.Fatal(err)
	}
	javaOffsets, err := decodeOffsets(mustRead(t, filepath.Join(javaConfigDir, offsetsFile)))
	if err != nil || javaOffsets["FixB@FixGroupB"][1] != 7 {
		t.Fatalf("java offsets %v %v", javaOffsets, err)
	}
	tb := startTestBroker(t, func(c *Config) { c.StorePathRootDir = filepath.Join(dir, "store") })
	for name, want := range javaTopics {
		if got := tb.B.topics.SelectTopicConfig(name); got == nil || *got != *want {
			t.Errorf("topic %s: got %+v want %+v", name, got, want)
		}
	}
	if v := tb.B.topics.DataVersion(); v != *javaVersion {
		t.Errorf("dataVersion %+v, want Java's %+v", v, *javaVersion)
	}
	if off := tb.B.offsets.QueryOffset("FixGroupB", "FixB", 0); off != 11 {
		t.Errorf("offset FixB@FixGroupB/0 = %d", off)
	}
	javaGroups, _, err := decodeGroups(mustRead(t, filepath.Join(javaConfigDir, groupsFile)))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range javaGroups {
		if got := tb.B.groups.Get(name); got == nil || *got != *want {
			t.Errorf("group %s: got %+v want %+v", name, got, want)
		}
	}
	tb.shutdown()
	again, _, err := decodeTopics(mustRead(t, filepath.Join(cfgDir, topicsFile)))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range javaTopics {
		if got := again[name]; got == nil || *got != *want {
			t.Errorf("rewritten topic %s: %+v", name, got)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConfigBakFallback: a damaged topics.json falls back to topics.json.bak (Java's
// ConfigManager.load); damaged with no usable backup refuses to start.
func TestConfigBakFallback(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	tb.call(protocol.UpdateAndCreateTopic, ext(createTopicExt("First", "2", "6")...), nil)
	tb.call(protocol.UpdateAndCreateTopic, ext(createTopicExt("Second", "2", "6")...), nil) // First now also in .bak
	tb.shutdown()
	path := filepath.Join(tb.Cfg.StorePathRootDir, "config", topicsFile)
	if err := os.WriteFile(path, []byte(`{"topicConfigTable":{"Torn`), 0o644); err != nil {
		t.Fatal(err)
	}
	tb.start()
	if tb.B.topics.SelectTopicConfig("First") == nil {
		t.Fatal("not recovered from topics.json.bak")
	}
	tb.shutdown()
	os.WriteFile(path, []byte("garbage"), 0o644)
	os.WriteFile(path+".bak", []byte("garbage"), 0o644)
	b, err := New(tb.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err == nil || !strings.Contains(err.Error(), topicsFile) {
		t.Fatalf("start with both copies damaged: %v", err)
	}
}

// benchChannel is a remoting.Channel for calling processors directly in benchmarks.
type benchChannel struct{ id uint64 }

func (f *benchChannel) ID() uint64                        { return f.id }
func (f *benchChannel) RemoteAddr() string                { return "127.0.0.1:40000" }
func (f *benchChannel) LocalAddr() string                 { return "127.0.0.1:10911" }
func (f *benchChannel) Write(cmd *remoting.Command) error { return nil }
func (f *benchChannel) Close() error                      { return nil }
func (f *benchChannel) Context() any                      { return nil }
func (f *benchChannel) SetContext(any)                    {}

func benchBroker(b *testing.B) *Broker {
	cfg := testConfig(b.TempDir(), "")
	br, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return br
}

func BenchmarkHeartbeatProcess(b *testing.B) {
	br := benchBroker(b)
	p := &clientManage{br}
	body := heartbeatBody("10.0.0.1@1", "CG", "PG", "TopicTest", "%RETRY%CG")
	ch := &benchChannel{id: 1}
	p.heartBeat(ch, remoting.NewRequest(protocol.HeartBeat, nil, body)) // group and retry topic exist from here on
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.heartBeat(ch, remoting.NewRequest(protocol.HeartBeat, nil, body))
	}
}

func BenchmarkUpdateConsumerOffset(b *testing.B) {
	br := benchBroker(b)
	p := &consumerManage{br}
	ch := &benchChannel{id: 1}
	req := remoting.NewRequest(protocol.UpdateConsumerOffset, ext("consumerGroup", "CG", "topic", "TopicTest",
		"queueId", "3", "commitOffset", "123456"), nil)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.updateConsumerOffset(ch, req)
	}
}

func BenchmarkEncodeOffsets(b *testing.B) {
	table := map[string]map[int32]int64{}
	for g := 0; g < 100; g++ {
		q := map[int32]int64{}
		for i := int32(0); i < 8; i++ {
			q[i] = int64(g*1000) + int64(i)
		}
		table["Topic"+strings.Repeat("x", g%7)+"@Group"+string(rune('A'+g%26))+strings.Repeat("y", g/26)] = q
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		encodeOffsets(table)
	}
}
