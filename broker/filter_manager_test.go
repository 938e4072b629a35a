package broker

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// sqlHeartbeat registers group on topic with an SQL92 subscription, as stock clients do.
func (db *dataBroker) sqlHeartbeat(group, topic, expr string, subVersion int64) {
	db.t.Helper()
	body, _ := json.Marshal(map[string]any{
		"clientID": "127.0.0.1@h12test",
		"consumerDataSet": []any{map[string]any{
			"groupName": group, "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
			"consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET", "unitMode": false,
			"subscriptionDataSet": []any{map[string]any{"classFilterMode": false, "topic": topic, "subString": expr,
				"tagsSet": []string{}, "codeSet": []int{}, "subVersion": subVersion, "expressionType": "SQL92"}},
		}},
		"producerDataSet": []any{},
	})
	mustCode(db.t, db.invoke(remoting.NewRequest(protocol.HeartBeat, nil, body)), protocol.Success)
}

func (db *dataBroker) sendProps(topic string, body string, kv ...string) {
	db.t.Helper()
	mustCode(db.t, db.invoke(sendV1(topic, 0, props(kv...), []byte(body))), protocol.Success)
}

func bodies(t *testing.T, resp *remoting.Command) []string {
	t.Helper()
	msgs, err := message.DecodeAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Body)
	}
	return out
}

// TestPullSQL92 covers issue 6 point 5 for SQL92: a heartbeat-registered expression filters
// pulls by the stored properties, a pull carrying its own expression is filtered by it, and
// the refusals carry Java's codes.
func TestPullSQL92(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.EnablePropertyFilter = true })
	db.topic("S", 1)
	db.sendProps("S", "m0", "color", "red", "size", "1")
	db.sendProps("S", "m1", "color", "blue", "size", "5")
	db.sendProps("S", "m2", "color", "red", "size", "9")
	db.sendProps("S", "m3", "TAGS", "TagA")

	// Go style: the pull says TAG and subVersion 0; the heartbeat's SQL92 subscription rules.
	db.sqlHeartbeat("GS", "S", "color = 'red' AND size > 3", time.Now().UnixNano())
	resp := db.invoke(pullReq("GS", "S", 0, 0, 0, "", 0))
	mustCode(t, resp, protocol.Success)
	if got := bodies(t, resp); strings.Join(got, ",") != "m2" {
		t.Errorf("heartbeat filter pulled %v, want [m2]", got)
	}
	if ph := pullHeader(t, resp); ph.NextBeginOffset != 4 {
		t.Errorf("next %d, want 4", ph.NextBeginOffset)
	}
	// Nothing matches from offset 3 on: 20 with the scan's next offset, as for tags.
	resp = db.invoke(pullReq("GS", "S", 0, 3, 0, "", 0))
	mustCode(t, resp, protocol.PullRetryImmediately)

	// A pull with FLAG_SUBSCRIPTION and its own SQL92 expression (Java lite pull).
	own := func(expr string) *remoting.Command {
		r := pullReq("GS", "S", 0, 0, protocol.PullFlagSubscription, expr, 0)
		r.ExtFields.Set("expressionType", "SQL92")
		return db.invoke(r)
	}
	resp = own("color IN ('blue', 'green') OR TAGS = 'TagA'")
	mustCode(t, resp, protocol.Success)
	if got := bodies(t, resp); strings.Join(got, ",") != "m1,m3" {
		t.Errorf("own expression pulled %v, want [m1 m3]", got)
	}
	resp = own("color = ")
	mustCode(t, resp, protocol.SubscriptionParseFailed)

	// A newer expression from a later heartbeat replaces the old one; an older one does not.
	db.sqlHeartbeat("GS", "S", "size BETWEEN 1 AND 5", time.Now().UnixNano())
	db.sqlHeartbeat("GS", "S", "size = 9", 1)
	resp = db.invoke(pullReq("GS", "S", 0, 0, 0, "", 0))
	mustCode(t, resp, protocol.Success)
	if got := bodies(t, resp); strings.Join(got, ",") != "m0,m1" {
		t.Errorf("replaced filter pulled %v, want [m0 m1]", got)
	}

	// 27: the group's expression does not compile, so no filter data exists.
	db.sqlHeartbeat("GBad", "S", "size >", 1)
	mustCode(t, db.invoke(pullReq("GBad", "S", 0, 0, 0, "", 0)), protocol.FilterDataNotExist)
	// 28: a Java pull with a subVersion newer than the registered filter.
	db.sqlHeartbeat("GOld", "S", "size > 0", 1000)
	newer := pullReq("GOld", "S", 0, 0, 0, "", 0)
	newer.ExtFields.Set("subVersion", "1000")
	mustCode(t, db.invoke(newer), protocol.Success)
	// The filter data lags the subscription (Java: a registration raced by a pull).
	fm := db.b.filters
	fm.mu.Lock()
	fm.topics["S"]["GOld"] = fm.topics["S"]["GOld"].with(func(c *ConsumerFilterData) { c.ClientVersion = 500 })
	fm.mu.Unlock()
	mustCode(t, db.invoke(newer), protocol.FilterDataNotLatest)
}

// TestPullSQL92Disabled: with enablePropertyFilter=false a registered SQL92 group gets 1.
func TestPullSQL92Disabled(t *testing.T) {
	db := startDataBroker(t, nil)
	db.topic("S", 1)
	db.sqlHeartbeat("GS", "S", "a = 1", 5)
	resp := db.invoke(pullReq("GS", "S", 0, 0, 0, "", 0))
	mustCode(t, resp, protocol.SystemError)
	if resp.Remark != "The broker does not support consumer to filter message by SQL92" {
		t.Errorf("remark %q", resp.Remark)
	}
}

// TestPullSQL92LongPoll: a held SQL92 pull is answered with the first matching message; a
// message its expression refuses does not wake it (Java's PullRequestHoldService evaluates
// the expression against the new message's properties).
func TestPullSQL92LongPoll(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.EnablePropertyFilter = true })
	db.topic("S", 1)
	db.sqlHeartbeat("GS", "S", "k = 'yes'", 7)
	ch := db.pullAsync(pullReq("GS", "S", 0, 0, protocol.PullFlagSuspend, "", 10000))
	waitFor(t, 5*time.Second, "the pull held", func() bool { return db.b.data.hold.held() == 1 })
	// The arrival hook runs inside the put, before the send is answered: no wait is needed.
	db.sendProps("S", "miss", "k", "no")
	if n := db.b.data.hold.held(); n != 1 {
		t.Fatalf("held pulls after a refused message = %d, want 1", n)
	}
	db.sendProps("S", "hit", "k", "yes")
	r := waitResult(t, ch, 5*time.Second)
	mustCode(t, r.resp, protocol.Success)
	if got := bodies(t, r.resp); strings.Join(got, ",") != "hit" {
		t.Errorf("held pull got %v", got)
	}
}

// TestCheckClientConfigSQL92: CHECK_CLIENT_CONFIG compiles the expression (Java's
// ClientManageProcessor.checkClientConfig).
func TestCheckClientConfigSQL92(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.EnablePropertyFilter = true })
	cases := []struct {
		typ, expr string
		code      int32
		remark    string // Java's, from the 4.9.8 jars; "" = any non-empty remark
	}{
		{"SQL92", "a > 1 AND b IN ('x')", protocol.Success, ""},
		{"TAG", "whatever ||", protocol.Success, ""},
		{"SQL92", "a >", protocol.SubscriptionParseFailed, ""},
		{"SQL92", "a = 'open", protocol.SubscriptionParseFailed, ""},
		{"XPATH", "/a", protocol.SubscriptionParseFailed, ""},
		// Java compiles an empty expression as well and answers the parser's text.
		{"SQL92", "", protocol.SubscriptionParseFailed, sqlEmptyRemark},
	}
	for _, c := range cases {
		body, _ := json.Marshal(map[string]any{"clientId": "c@1", "group": "G", "subscriptionData": map[string]any{
			"classFilterMode": false, "codeSet": []int{}, "expressionType": c.typ, "subString": c.expr,
			"subVersion": 1, "tagsSet": []string{}, "topic": "T"}})
		r := db.invoke(remoting.NewRequest(protocol.CheckClientConfig, nil, body))
		if r.Code != c.code {
			t.Errorf("%s %q: code %d remark %q, want %d", c.typ, c.expr, r.Code, r.Remark, c.code)
		}
		if c.code != protocol.Success && r.Remark == "" {
			t.Errorf("%s %q: refusal without a remark", c.typ, c.expr)
		}
		if c.remark != "" && r.Remark != c.remark {
			t.Errorf("%s %q: remark %q, want Java's %q", c.typ, c.expr, r.Remark, c.remark)
		}
	}
}

// TestConsumerFilterFile: consumerFilter.json in fastjson's shape, reloaded after a restart,
// and dead once the group is offline.
func TestConsumerFilterFile(t *testing.T) {
	dir := t.TempDir()
	mutate := func(c *Config) { c.EnablePropertyFilter = true; c.StorePathRootDir = dir }
	db := startDataBroker(t, mutate)
	db.topic("S", 1)
	db.sqlHeartbeat("GS", "S", "a = 'x'", 42)
	if err := db.b.filters.persist(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(db.b.configPath(consumerFilterFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, want := range []string{"{\n\t\"filterDataByTopic\":{\n\t\t\"S\":{\n\t\t\t\"groupFilterData\":{\n\t\t\t\t\"GS\":{\n" +
		"\t\t\t\t\t\"bloomFilterData\":{\n\t\t\t\t\t\t\"bitNum\":112,\n\t\t\t\t\t\t\"bitPos\":[",
		"]\n\t\t\t\t\t},\n\t\t\t\t\t\"bornTime\":",
		"\"clientVersion\":42,", "\"consumerGroup\":\"GS\",", "\"dead\":false,", "\"deadTime\":0,",
		"\"expression\":\"a = 'x'\",", "\"expressionType\":\"SQL92\",", "\t\t\t\"topic\":\"S\"\n\t\t}\n\t}\n}"} {
		if !strings.Contains(s, want) {
			t.Errorf("consumerFilter.json lacks %q:\n%s", want, s)
		}
	}
	// The group goes offline (its connection closes): the next persist marks it dead.
	db.cli.Close()
	waitFor(t, 5*time.Second, "group offline", func() bool { return db.b.clients.ConsumerGroup("GS") == nil })
	if err := db.b.filters.persist(); err != nil {
		t.Fatal(err)
	}
	if d := db.b.filters.Get("S", "GS"); d == nil || !d.dead() {
		t.Fatalf("offline group's filter %+v, want dead", d)
	}

	// A fresh broker on the same store reads it back (dead, as Java treats loaded entries).
	b2, err := New(func() *Config { c := DefaultConfig(); mutate(c); return c }())
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.filters.load(); err != nil {
		t.Fatal(err)
	}
	d := b2.filters.Get("S", "GS")
	if d == nil || d.expr == nil || d.ClientVersion != 42 || !d.dead() {
		t.Fatalf("reloaded %+v", d)
	}
	if !d.expr.matchProperties(sqlProps("a", "x")) {
		t.Error("reloaded expression does not match")
	}
	// The same heartbeat again revives it without replacing it.
	b2.filters.Register("GS", []*SubscriptionData{{Topic: "S", SubString: "a = 'x'", ExpressionType: "SQL92", SubVersion: 42}})
	if d2 := b2.filters.Get("S", "GS"); d2 == nil || d2.BornTime != d.BornTime || d2.expr != d.expr || d2.dead() {
		t.Errorf("after heartbeat %+v", d2)
	}
	// Dropping the subscription marks it dead; the clean span removes it.
	b2.filters.Register("GS", nil)
	if d = b2.filters.Get("S", "GS"); d == nil || !d.dead() {
		t.Fatal("unsubscribed topic not marked dead")
	}
	b2.cfg.FilterDataCleanTimeSpan = 1000
	b2.filters.markOffline(d.DeadTime + 999)
	if b2.filters.Get("S", "GS") == nil {
		t.Fatal("removed before filterDataCleanTimeSpan")
	}
	b2.filters.markOffline(d.DeadTime + 1000)
	if b2.filters.Get("S", "GS") != nil || len(b2.filters.topics) != 0 {
		t.Errorf("not cleaned: %s", b2.filters.encode())
	}
	if enc := string(b2.filters.encode()); enc != "{\n\t\"filterDataByTopic\":{}\n}" {
		t.Errorf("empty file %q", enc)
	}
}

// TestConsumerFilterFileGolden: the file a stock Java 4.9.8 broker persisted for one SQL92
// consumer (testdata) is read, and the same entry is written back byte for byte.
func TestConsumerFilterFileGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/java-4.9.8-consumerFilter.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	m := b.filters
	if err := m.decode(raw); err != nil {
		t.Fatal(err)
	}
	d := m.Get("H12SqlTopic", "CGscratch")
	if d == nil || d.expr == nil || d.Expression != "a = 'it''s' OR b > 1" || d.ClientVersion != 1795889438069725172 ||
		d.BornTime != 1795889438147 {
		t.Fatalf("decoded %+v", d)
	}
	if !d.dead() {
		t.Error("a loaded entry counts as dead until its group's next heartbeat (Java)")
	}
	d.DeadTime = 0 // as it was when Java wrote it
	if got := m.encode(); string(got) != string(raw) {
		t.Errorf("encode differs from Java's file:\n%s\nwant\n%s", got, raw)
	}
}

// BenchmarkPullSQL92 is BenchmarkPull32 with a heartbeat SQL92 subscription that half of the
// messages match: each pull evaluates the expression on the 33–64 records after its offset.
func BenchmarkPullSQL92(b *testing.B) {
	db := startDataBrokerB(b)
	db.b.cfg.EnablePropertyFilter = true
	body := make([]byte, 1024)
	for i := 0; i < 64; i++ {
		p := props("color", []string{"red", "blue"}[i%2], "n", strconv.Itoa(i))
		resp, err := db.cli.Invoke(db.addr, sendV1("BenchSQL", 0, p, body), 5*time.Second)
		if err != nil || resp.Code != protocol.Success {
			b.Fatal(err, resp)
		}
	}
	hb, _ := json.Marshal(map[string]any{"clientID": "127.0.0.1@bench", "consumerDataSet": []any{map[string]any{
		"groupName": "GB", "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
		"consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET", "subscriptionDataSet": []any{map[string]any{
			"topic": "BenchSQL", "subString": "color = 'red' AND n >= 0", "subVersion": 1, "expressionType": "SQL92"}}}}})
	if resp, err := db.cli.Invoke(db.addr, remoting.NewRequest(protocol.HeartBeat, nil, hb), 5*time.Second); err != nil ||
		resp.Code != protocol.Success {
		b.Fatal(err, resp)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := db.cli.Invoke(db.addr, pullReq("GB", "BenchSQL", 0, int64(i&31), 0, "", 0), 5*time.Second)
		if err != nil || resp.Code != protocol.Success {
			b.Fatal(err, resp)
		}
	}
}

// FuzzConsumerFilterFile: any consumerFilter.json content is read or refused, never a panic.
func FuzzConsumerFilterFile(f *testing.F) {
	raw, _ := os.ReadFile("testdata/java-4.9.8-consumerFilter.json")
	f.Add(raw)
	f.Add([]byte(`{"filterDataByTopic":{"T":null,"U":{"groupFilterData":{"g":null}}}}`))
	f.Add([]byte(`{"filterDataByTopic":{1:{}}}`))
	b, err := New(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if b.filters.decode(data) == nil {
			b.filters.encode()
		}
	})
}

// TestPullRetryFilter: with filterSupportRetry a pull of %RETRY%<group> keeps only the retried
// messages matching the group's SQL92 expression on their RETRY_TOPIC; without it all come.
func TestPullRetryFilter(t *testing.T) {
	for _, support := range []bool{true, false} {
		db := startDataBroker(t, func(c *Config) { c.EnablePropertyFilter = true; c.FilterSupportRetry = support })
		db.topic("S", 1)
		db.sqlHeartbeat("GR", "S", "k = 'yes'", 3)
		retry := RetryGroupTopicPre + "GR"
		db.sendProps(retry, "yes", "RETRY_TOPIC", "S", "k", "yes")
		db.sendProps(retry, "no", "RETRY_TOPIC", "S", "k", "no")
		db.sendProps(retry, "plain", "k", "no")
		db.sendProps(retry, "other", "RETRY_TOPIC", "Unfiltered", "k", "no")
		resp := db.invoke(pullReq("GR", retry, 0, 0, protocol.PullFlagSubscription, "*", 0))
		mustCode(t, resp, protocol.Success)
		want := "yes,plain,other"
		if !support {
			want = "yes,no,plain,other"
		}
		if got := strings.Join(bodies(t, resp), ","); got != want {
			t.Errorf("filterSupportRetry=%v: pulled %s, want %s", support, got, want)
		}
	}
}

// sqlEmptyRemark is the 4.9.8 broker's answer to an empty SQL92 expression (the JavaCC
// parser's ParseException, as in testdata/java-4.9.8-sql92-refusals.jsonl).
const sqlEmptyRemark = "org.apache.rocketmq.filter.parser.ParseException: Encountered \"<EOF>\" at line 0, column 0.\n" +
	"Was expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n    <DECIMAL_LITERAL> ...\n" +
	"    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n    \"(\" ...\n    \"-\" ...\n    "
