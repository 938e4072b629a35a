package broker

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// pullFrom pulls every message of topic/queueID from offset over cli (explicit "*" subscription).
func pullFrom(t *testing.T, cli *remoting.Client, addr, topic string, queueID int32, offset int64) []*message.MsgExt {
	t.Helper()
	resp, err := cli.Invoke(addr, pullReq("CG_SCHED", topic, queueID, offset, protocol.PullFlagSubscription, "*", 0), 5*time.Second)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	if resp.Code != protocol.Success {
		return nil
	}
	msgs, err := message.DecodeAll(resp.Body)
	if err != nil {
		t.Fatalf("decode pull body: %v", err)
	}
	return msgs
}

// collector polls a queue and records when each message first became readable.
type arrival struct {
	msg *message.MsgExt
	at  time.Time
}

func collect(t *testing.T, cli *remoting.Client, addr func() string, topic string, queueID int32, want int,
	limit time.Duration) []arrival {
	t.Helper()
	var got []arrival
	deadline := time.Now().Add(limit)
	for len(got) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages delivered to %s within %v", len(got), want, topic, limit)
		}
		for _, m := range pullFrom(t, cli, addr(), topic, queueID, int64(len(got))) {
			got = append(got, arrival{m, time.Now()})
		}
		time.Sleep(20 * time.Millisecond)
	}
	return got
}

func TestScheduleDeliversOnTimeInOrder(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.MessageDelayLevel = "1s 2s 3s" })
	db.topic("DelayT", 2)
	type sent struct {
		body  string
		level int
		// before and at bracket the send: the message's store time lies between them.
		before, at time.Time
		uniq       string
	}
	var all []sent
	send := func(body string, level int, qid int32) {
		uniq := "UNIQ-" + body
		before := time.Now()
		resp := db.invoke(sendV1("DelayT", qid, props("DELAY", strconv.Itoa(level), "TAGS", "TD",
			"UNIQ_KEY", uniq, "KEYS", "k-"+body), []byte(body)))
		mustCode(t, resp, protocol.Success)
		if q := resp.ExtFields.Value("queueId"); q != strconv.Itoa(int(qid)) {
			t.Fatalf("answer queueId %s, want %d", q, qid)
		}
		all = append(all, sent{body, min(level, 3), before, time.Now(), uniq})
	}
	// Interleave levels on queue 0; level 9 is clamped to the last configured level (3 s).
	send("a1", 1, 0)
	send("b1", 2, 0)
	send("a2", 1, 0)
	send("c1", 9, 0)
	send("b2", 2, 0)
	send("a3", 1, 0)
	send("q1", 1, 1)

	got := collect(t, db.cli, func() string { return db.addr }, "DelayT", 0, 6, 8*time.Second)
	byBody := map[string]arrival{}
	for _, a := range got {
		byBody[string(a.msg.Body)] = a
	}
	for _, s := range all[:len(all)-1] {
		a, ok := byBody[s.body]
		if !ok {
			t.Fatalf("%s not delivered", s.body)
		}
		delay := time.Duration(s.level) * time.Second
		// Not before: the re-put's store time is at least the original's plus the delay.
		if early := a.msg.StoreTimestamp - s.before.UnixMilli(); early < delay.Milliseconds() {
			t.Errorf("%s (level %d) re-put %d ms after its send, before the delay", s.body, s.level, early)
		}
		// Within a second of being due, as seen by a consumer polling every 20 ms.
		if late := a.at.Sub(s.at); late > delay+time.Second {
			t.Errorf("%s (level %d) readable %v after its send, want at most %v", s.body, s.level, late, delay+time.Second)
		}
		p := message.ParseProperties(a.msg.Properties)
		if a.msg.Topic != "DelayT" || a.msg.QueueID != 0 || p["REAL_TOPIC"] != "DelayT" || p["REAL_QID"] != "0" ||
			p["UNIQ_KEY"] != s.uniq || p["KEYS"] != "k-"+s.body || p["TAGS"] != "TD" {
			t.Errorf("%s delivered as topic %s queue %d props %v", s.body, a.msg.Topic, a.msg.QueueID, p)
		}
		if p["DELAY"] != strconv.Itoa(s.level) {
			t.Errorf("%s: DELAY %q on the delivered message, want the (clamped) level %d as Java", s.body, p["DELAY"], s.level)
		}
	}
	// In order within each level (bodies a* are level 1, b* level 2).
	order := map[int][]string{}
	for _, a := range got {
		order[int(a.msg.Body[0])] = append(order[int(a.msg.Body[0])], string(a.msg.Body))
	}
	if strings.Join(order['a'], ",") != "a1,a2,a3" || strings.Join(order['b'], ",") != "b1,b2" {
		t.Errorf("per-level order %q %q", order['a'], order['b'])
	}
	// The other queue got its own message, the consumer's tag filter still works on it.
	if msgs := collect(t, db.cli, func() string { return db.addr }, "DelayT", 1, 1, 3*time.Second); string(msgs[0].msg.Body) != "q1" {
		t.Errorf("queue 1 got %q", msgs[0].msg.Body)
	}

	// GET_ALL_DELAY_OFFSET reports each level's progress in delayOffset.json's shape.
	waitFor(t, time.Second, "offsets", func() bool { return db.b.sem.sched.offset(3) == 1 })
	resp := db.invoke(remoting.NewRequest(protocol.GetAllDelayOffset, nil, nil))
	mustCode(t, resp, protocol.Success)
	var w protocol.DelayOffsetWrapper
	if err := w.Unmarshal(resp.Body); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	if w.OffsetTable[1] != 4 || w.OffsetTable[2] != 2 || w.OffsetTable[3] != 1 {
		t.Errorf("offset table %v (body %s)", w.OffsetTable, resp.Body)
	}
	if !strings.Contains(string(resp.Body), "{1:4") {
		t.Errorf("level keys must be unquoted as fastjson writes them: %s", resp.Body)
	}
}

// TestScheduleSurvivesRestart: messages pending at a graceful shutdown are delivered after the
// restart, each exactly once, and delayOffset.json holds the progress.
func TestScheduleSurvivesRestart(t *testing.T) {
	tb := startTestBroker(t, func(c *Config) { c.MessageDelayLevel = "1s 2s" })
	send := func(body string, level int) {
		resp := callWith(t, tb.Client, tb.Addr(), protocol.SendMessage, sendV1("DelayR", 0,
			props("DELAY", strconv.Itoa(level), "UNIQ_KEY", "U"+body), []byte(body)).ExtFields, []byte(body))
		mustCode(t, resp, protocol.Success)
	}
	tb.B.topics.UpdateTopicConfig(&TopicConfig{TopicName: "DelayR", ReadQueueNums: 1, WriteQueueNums: 1,
		Perm: PermRead | PermWrite, TopicFilterType: "SINGLE_TAG"})
	for i := 0; i < 3; i++ {
		send("early-"+strconv.Itoa(i), 1)
	}
	addr := func() string { return tb.Addr() }
	collect(t, tb.Client, addr, "DelayR", 0, 3, 5*time.Second)
	for i := 0; i < 3; i++ {
		send("late-"+strconv.Itoa(i), 2)
	}
	tb.restart()
	raw, err := os.ReadFile(filepath.Join(tb.Cfg.StorePathRootDir, "config", delayOffsetFile))
	if err != nil {
		t.Fatal(err)
	}
	var w protocol.DelayOffsetWrapper
	if err := w.Unmarshal(raw); err != nil || w.OffsetTable[1] != 3 {
		t.Fatalf("delayOffset.json after shutdown: %v %s", err, raw)
	}
	got := collect(t, tb.Client, addr, "DelayR", 0, 6, 6*time.Second)
	time.Sleep(1500 * time.Millisecond) // a duplicate would show up now
	got = append(got[:0], collect(t, tb.Client, addr, "DelayR", 0, 6, time.Second)...)
	if extra := pullFrom(t, tb.Client, tb.Addr(), "DelayR", 0, 6); len(extra) != 0 {
		t.Errorf("%d duplicate deliveries after restart", len(extra))
	}
	seen := map[string]int{}
	for _, a := range got {
		seen[string(a.msg.Body)]++
	}
	for _, b := range []string{"early-0", "early-1", "early-2", "late-0", "late-1", "late-2"} {
		if seen[b] != 1 {
			t.Errorf("%s delivered %d times", b, seen[b])
		}
	}
	kv := tb.B.runtimeInfo()
	if kv["scheduleMessageOffset_1"] != "3,3" || kv["scheduleMessageOffset_2"] != "3,3" {
		t.Errorf("runtime info scheduleMessageOffset_1=%q _2=%q, want 3,3", kv["scheduleMessageOffset_1"], kv["scheduleMessageOffset_2"])
	}

	// Progress lost in a crash (delayOffset.json older than the deliveries) means those
	// messages come again: at-least-once, as Java. An offset beyond the queue is clamped to its
	// end at load, so nothing is skipped or invented.
	tb.shutdown()
	stale := (&protocol.DelayOffsetWrapper{OffsetTable: map[int32]int64{1: 1, 2: 99}}).Marshal()
	if err := os.WriteFile(filepath.Join(tb.Cfg.StorePathRootDir, "config", delayOffsetFile), stale, 0o644); err != nil {
		t.Fatal(err)
	}
	tb.start()
	again := collect(t, tb.Client, addr, "DelayR", 0, 8, 5*time.Second)
	if b1, b2 := string(again[6].msg.Body), string(again[7].msg.Body); b1 != "early-1" || b2 != "early-2" {
		t.Errorf("redelivered %q %q, want early-1 early-2", b1, b2)
	}
	time.Sleep(1500 * time.Millisecond)
	if extra := pullFrom(t, tb.Client, tb.Addr(), "DelayR", 0, 8); len(extra) != 0 {
		t.Errorf("%d more deliveries, the clamped level 2 must deliver nothing", len(extra))
	}
}

func TestParseDelayLevels(t *testing.T) {
	cases := []struct {
		spec string
		want []time.Duration
		bad  bool
	}{
		{"1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h", nil, false},
		{"1s 2m 3h 1d", []time.Duration{time.Second, 2 * time.Minute, 3 * time.Hour, 24 * time.Hour}, false},
		{"1s x 2s", []time.Duration{time.Second, 2 * time.Second}, true},
		{"5q", nil, true},
	}
	for _, c := range cases {
		got, err := parseDelayLevels(c.spec)
		if (err != nil) != c.bad {
			t.Errorf("%q: err %v", c.spec, err)
		}
		if c.want == nil && !c.bad && len(got) != 18 {
			t.Errorf("%q: %d levels", c.spec, len(got))
		}
		if c.want != nil && !equalDurations(got, c.want) {
			t.Errorf("%q: %v, want %v", c.spec, got, c.want)
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
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

// BenchmarkScheduleDeliver measures the re-put of due delayed messages (read from the schedule
// queue, property copy, append to the real topic), driving the level loop directly.
func BenchmarkScheduleDeliver(b *testing.B) {
	db := startDataBrokerB(b)
	s := db.b.sem.sched
	s.shutdown() // the benchmark runs the delivery loop itself
	ch := &fakeChannel{remote: "127.0.0.1:50000"}
	req := sendV2(protocol.SendMessageV2, "BenchDelay", 0, props("DELAY", "1", "TAGS", "TagA", "UNIQ_KEY", "ABCDEF0123456789"),
		make([]byte, 1024), false)
	for i := 0; i < b.N; i++ {
		if r := db.b.data.processSend(ch, req); r.Code != protocol.Success {
			b.Fatal(r.Remark)
		}
	}
	time.Sleep(s.levels[0] + 10*time.Millisecond)
	b.ReportAllocs()
	b.SetBytes(1024)
	b.ResetTimer()
	for s.offset(1) < int64(b.N) {
		s.deliver(1)
	}
	b.StopTimer()
	if n := db.b.store.MaxOffsetInQueue("BenchDelay", 0); n != int64(b.N) {
		b.Fatalf("%d delivered, want %d", n, b.N)
	}
}

// untarJavaStore unpacks the stock Java 4.9.8 store fixture (testdata/java-4.9.8-store) and
// returns its root.
func untarJavaStore(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "java-4.9.8-store", "store-compact.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.Clean("/"+h.Name))
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return filepath.Join(dst, "store-compact")
}

// TestScheduleRedeliveryMatchesJava opens the store the stock Java 4.9.8 broker wrote, rewinds
// level 2 of delayOffset.json so that its delayed message ("delayed-1", SCHEDULE_TOPIC_XXXX
// queue 1) is due again, and compares our re-put record with the copy Java delivered to FixA
// queue 2 (queue offset 6, commitlog offset 9618): every field but the offsets and the store
// time must be equal, the property string byte for byte (Java re-puts the stored string,
// DELAY included).
func TestScheduleRedeliveryMatchesJava(t *testing.T) {
	root := untarJavaStore(t)
	cfgDir := filepath.Join(root, "config")
	raw, err := os.ReadFile(filepath.Join(cfgDir, delayOffsetFile))
	if err != nil {
		t.Fatal(err)
	}
	var w protocol.DelayOffsetWrapper
	if err := w.Unmarshal(raw); err != nil || w.OffsetTable[2] != 1 {
		t.Fatalf("fixture delayOffset.json %q: %v", raw, err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, delayOffsetFile),
		protocol.Pretty((&protocol.DelayOffsetWrapper{OffsetTable: map[int32]int64{2: 0}}).Marshal()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig() // Java's default file sizes, as the fixture has
	cfg.BrokerName, cfg.BrokerClusterName = "broker-a", "DefaultCluster"
	cfg.BrokerIP1, cfg.BrokerIP2 = "127.0.0.1", "127.0.0.1"
	cfg.NamesrvAddr = ""
	cfg.ListenPort = 0
	cfg.StorePathRootDir = root
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
	}()
	st := b.Store()
	waitFor(t, 5*time.Second, "redelivery", func() bool { return st.MaxOffsetInQueue("FixA", 2) == 8 })
	javaCopy, err := st.LookMessageByOffset(9618)
	if err != nil {
		t.Fatal(err)
	}
	sched, err := st.LookMessageByOffset(5635)
	if err != nil || sched.Topic != TopicSchedule {
		t.Fatalf("schedule record: %v %v", sched, err)
	}
	r := st.GetMessage("", "FixA", 2, 7, 1, 0, nil)
	defer r.Release()
	if r.Status != store.Found || len(r.Buffers) != 1 {
		t.Fatalf("our copy: status %v", r.Status)
	}
	ours, err := message.Decode(r.Buffers[0])
	if err != nil {
		t.Fatal(err)
	}
	if ours.Topic != javaCopy.Topic || ours.QueueID != javaCopy.QueueID || !bytes.Equal(ours.Body, javaCopy.Body) ||
		ours.Flag != javaCopy.Flag || ours.SysFlag != javaCopy.SysFlag || ours.BornTimestamp != javaCopy.BornTimestamp ||
		ours.BornHost != javaCopy.BornHost || ours.StoreHost != javaCopy.StoreHost ||
		ours.ReconsumeTimes != javaCopy.ReconsumeTimes || ours.PreparedTransactionOffset != javaCopy.PreparedTransactionOffset {
		t.Errorf("our re-put %v differs from Java's %v", ours, javaCopy)
	}
	if !bytes.Equal(ours.Properties, javaCopy.Properties) {
		t.Errorf("properties\n ours %q\n Java %q", ours.Properties, javaCopy.Properties)
	}
	if !bytes.Equal(javaCopy.Properties, sched.Properties) {
		t.Errorf("fixture: Java's copy does not carry the schedule record's properties")
	}
	waitFor(t, time.Second, "level 2 progress", func() bool { return b.sem.sched.offset(2) == 1 })
}
