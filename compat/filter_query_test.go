package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// Issue 6 points 5–8 with the stock Go client: SQL92 and tag filters, queries by key, unique
// key and offset id, message trace, and the broker-to-client offset reset. Each runs against
// the stock Java broker too with COMPAT_TARGET=java.

const (
	codeQueryMessage            = 12
	codeViewMessageByID         = 33
	codeCheckClientConfig       = 46
	codeInvokeResetOffset       = 222
	codeInvokeGetConsumerStatus = 223
	codeGetConsumerRunningInfo  = 307
	codeConsumeMessageDirectly  = 309
	traceTopic                  = "RMQ_SYS_TRACE_TOPIC"
	traceContentSeparator       = "\x01"
	filterSettleQuietTime       = 700 * time.Millisecond
	filterNoDeliveryWindow      = 3 * time.Second
)

// startSelectorPush starts a clustering push consumer of group on topic with sel, recording
// every delivery in d; extra options are appended.
func startSelectorPush(t *testing.T, c *cluster, group, topic string, sel consumer.MessageSelector, d *deliveries,
	extra ...consumer.Option) rocketmq.PushConsumer {
	t.Helper()
	who := uniq("c")
	opts := append([]consumer.Option{
		consumer.WithNameServer(primitive.NamesrvAddr{c.NamesrvAddr()}),
		consumer.WithGroupName(group),
		consumer.WithInstance(who),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, extra...)
	pc, err := rocketmq.NewPushConsumer(opts...)
	if err != nil {
		t.Fatalf("new push consumer: %v", err)
	}
	err = pc.Subscribe(topic, sel, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			d.add(who, string(m.Body))
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := pc.Start(); err != nil {
		t.Fatalf("start push consumer %s: %v", group, err)
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { _ = pc.Shutdown() }) })
	return pc
}

// TestGoSQL92Filter: with enablePropertyFilter an SQL92 consumer receives exactly the messages
// whose properties satisfy its expression, once each, while a TAG consumer of another group
// receives exactly its tags; messages without the property count as NULL.
func TestGoSQL92Filter(t *testing.T) {
	c := newCluster(t, 1, map[string]string{"enablePropertyFilter": "true"})
	topic := uniq("GoSQL")
	c.createTopic(topic, 2)
	p := startProducer(t, c)
	const expr = "(color = 'red' AND n BETWEEN 5 AND 30) OR (color IS NULL AND TAGS IN ('TagB'))"
	var wantSQL, wantTag []string
	for i := 0; i < 40; i++ {
		color := []string{"red", "blue", "green"}[i%3]
		tag := "TagA"
		if i%2 == 1 {
			tag = "TagB"
		}
		body := fmt.Sprintf("m-%02d-%s-%s", i, color, tag)
		m := newMsg(topic, body).WithTag(tag)
		hasColor := i%5 != 4
		if hasColor {
			m.WithProperty("color", color)
		}
		m.WithProperty("n", strconv.Itoa(i))
		if (hasColor && color == "red" && i >= 5 && i <= 30) || (!hasColor && tag == "TagB") {
			wantSQL = append(wantSQL, body)
		}
		if tag == "TagA" {
			wantTag = append(wantTag, body)
		}
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatalf("send %s: %v", body, err)
		}
	}
	if len(wantSQL) < 5 || len(wantSQL) > 20 {
		t.Fatalf("test data selects %d messages; the scenario needs a real subset", len(wantSQL))
	}
	dSQL, dTag := newDeliveries(), newDeliveries()
	startSelectorPush(t, c, uniq("CGsql"), topic, consumer.MessageSelector{Type: consumer.SQL92, Expression: expr}, dSQL)
	startSelectorPush(t, c, uniq("CGtagA"), topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA"}, dTag)
	dSQL.waitTotal(t, len(wantSQL), deliveryTimeout)
	dTag.waitTotal(t, len(wantTag), deliveryTimeout)
	dSQL.settle(filterSettleQuietTime)
	dTag.settle(filterSettleQuietTime)
	dSQL.assertExactly(t, wantSQL, 1)
	dTag.assertExactly(t, wantTag, 1)
}

// TestGoSQL92InvalidExpression: an expression that does not compile is refused with Java's
// codes — CHECK_CLIENT_CONFIG answers 23 with a remark, the group's pulls answer 27 — and the
// consumer receives nothing.
func TestGoSQL92InvalidExpression(t *testing.T) {
	c := newCluster(t, 1, map[string]string{"enablePropertyFilter": "true"})
	topic := uniq("GoSQLBad")
	c.createTopic(topic, 1)
	p := startProducer(t, c)
	if _, err := p.SendSync(context.Background(), newMsg(topic, "x").WithTag("TagA")); err != nil {
		t.Fatal(err)
	}
	const bad = "color = "
	conn := dialRaw(t, c.brokers[0].Addr(), langJava)
	check := fmt.Sprintf(`{"clientId":"127.0.0.1@probe","group":"G","subscriptionData":{"classFilterMode":false,`+
		`"codeSet":[],"expressionType":"SQL92","subString":%q,"subVersion":1,"tagsSet":[],"topic":%q}}`, bad, topic)
	r := conn.mustCall(codeCheckClientConfig, nil, []byte(check))
	if r.Code != 23 || r.remark() == "" {
		t.Errorf("CHECK_CLIENT_CONFIG of %q: %s, want 23 with a remark", bad, r)
	}

	group := uniq("CGbad")
	d := newDeliveries()
	startSelectorPush(t, c, group, topic, consumer.MessageSelector{Type: consumer.SQL92, Expression: bad}, d)
	waitConsumerCount(t, c.brokers[0].Addr(), group, 1)
	pr := conn.mustCall(codePullMessage, map[string]string{"consumerGroup": group, "topic": topic, "queueId": "0",
		"queueOffset": "0", "maxMsgNums": "32", "sysFlag": "0", "commitOffset": "0", "suspendTimeoutMillis": "0",
		"subVersion": "0", "expressionType": "TAG"}, nil)
	if pr.Code != 27 {
		t.Errorf("pull of a group with an invalid expression: %s, want 27 FILTER_DATA_NOT_EXIST", pr)
	}
	time.Sleep(filterNoDeliveryWindow)
	if n := d.Total(); n != 0 {
		t.Errorf("consumer with an invalid expression received %d messages: %s", n, d.summary())
	}
}

// queryByKey sends QUERY_MESSAGE as the Java admin API does and decodes the records with the
// Go client's decoder.
func queryByKey(t *testing.T, conn *rawConn, topic, key string, unique bool) []*primitive.MessageExt {
	t.Helper()
	r := conn.mustCall(codeQueryMessage, map[string]string{"topic": topic, "key": key, "maxNum": "32",
		"beginTimestamp": "0", "endTimestamp": strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10),
		"_UNIQUE_KEY_QUERY": strconv.FormatBool(unique)}, nil)
	switch r.Code {
	case 0:
		r.ext(t, "indexLastUpdateTimestamp")
		r.ext(t, "indexLastUpdatePhyoffset")
		return primitive.DecodeMessage(r.Body)
	case 22:
		return nil
	}
	t.Fatalf("QUERY_MESSAGE %s/%s: %s", topic, key, r)
	return nil
}

// TestGoQueryMessage: what the Go producer sent is found by key (QUERY_MESSAGE), by unique key
// (the SendResult's MsgID) and by offset id (VIEW_MESSAGE_BY_ID at the address it encodes).
func TestGoQueryMessage(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoQuery")
	c.createTopic(topic, 2)
	p := startProducer(t, c)
	type sent struct{ body, uniq, offsetID string }
	var all []sent
	for i := 0; i < 6; i++ {
		body := fmt.Sprintf("q-%d", i)
		m := newMsg(topic, body).WithKeys([]string{"order-" + strconv.Itoa(i%2), "all"})
		res, err := p.SendSync(context.Background(), m)
		if err != nil || res.Status != primitive.SendOK {
			t.Fatalf("send: %v %v", res, err)
		}
		all = append(all, sent{body, res.MsgID, res.OffsetMsgID})
	}
	conn := dialRaw(t, c.brokers[0].Addr(), langJava)
	bodiesOf := func(ms []*primitive.MessageExt, keep func(*primitive.MessageExt) bool) []string {
		var out []string
		for _, m := range ms {
			if keep(m) {
				out = append(out, string(m.Body))
			}
		}
		return out
	}
	hasKey := func(k string) func(*primitive.MessageExt) bool {
		return func(m *primitive.MessageExt) bool {
			return m.Topic == topic && strings.Contains(" "+m.GetKeys()+" ", " "+k+" ")
		}
	}
	// The index may lag the send by a dispatch; poll briefly.
	var got []string
	waitFor(t, 5*time.Second, "query by key order-1", func() bool {
		got = bodiesOf(queryByKey(t, conn, topic, "order-1", false), hasKey("order-1"))
		return len(got) == 3
	})
	sort.Strings(got) // the index answers newest first, as Java's
	if strings.Join(got, ",") != "q-1,q-3,q-5" {
		t.Errorf("by key order-1: %v", got)
	}
	if got = bodiesOf(queryByKey(t, conn, topic, "all", false), hasKey("all")); len(got) != 6 {
		t.Errorf("by key all: %v", got)
	}
	if ms := queryByKey(t, conn, topic, "no-such-key", false); len(ms) != 0 {
		t.Errorf("unknown key found %d records", len(ms))
	}
	for _, s := range all {
		ms := queryByKey(t, conn, topic, s.uniq, true)
		got := bodiesOf(ms, func(m *primitive.MessageExt) bool { return m.MsgId == s.uniq })
		if len(got) != 1 || got[0] != s.body {
			t.Errorf("by unique key %s: %v, want [%s]", s.uniq, got, s.body)
		}
		addr, off := decodeOffsetMsgID(t, s.offsetID)
		vc := dialRaw(t, addr, langJava)
		r := vc.mustCall(codeViewMessageByID, map[string]string{"offset": strconv.FormatInt(off, 10)}, nil)
		vm := primitive.DecodeMessage(r.Body)
		if r.Code != 0 || len(vm) != 1 || string(vm[0].Body) != s.body || vm[0].CommitLogOffset != off {
			t.Errorf("view by offset id %s: %s", s.offsetID, r)
		}
		vc.Close()
	}
	r := conn.mustCall(codeViewMessageByID, map[string]string{"offset": "999999999"}, nil)
	if r.Code != 1 || r.remark() == "" {
		t.Errorf("view of a bad offset: %s, want 1 with a remark", r)
	}
}

// TestGoMessageTrace: with traceTopicEnable the broker creates RMQ_SYS_TRACE_TOPIC, and the
// stock Go producer's and consumer's trace records land there and are found by message id
// (what the dashboard's trace page queries).
func TestGoMessageTrace(t *testing.T) {
	c := newCluster(t, 1, map[string]string{"traceTopicEnable": "true"})
	c.waitRoute(traceTopic, c.brokers[0])
	topic := uniq("GoTrace")
	c.createTopic(topic, 1)
	traceCfg := func(group string) *primitive.TraceConfig {
		return &primitive.TraceConfig{GroupName: group, Access: primitive.Local, NamesrvAddrs: []string{c.NamesrvAddr()}}
	}
	pg, cg := uniq("PGtrace"), uniq("CGtrace")
	p := startProducer(t, c, producer.WithGroupName(pg), producer.WithTrace(traceCfg(pg)))
	var ids []string
	for i := 0; i < 3; i++ {
		res, err := p.SendSync(context.Background(), newMsg(topic, fmt.Sprintf("t-%d", i)).WithKeys([]string{"tk"}))
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		ids = append(ids, res.MsgID)
	}
	d := newDeliveries()
	startSelectorPush(t, c, cg, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, d,
		consumer.WithTrace(traceCfg(cg)))
	d.waitTotal(t, 3, deliveryTimeout)

	conn := dialRaw(t, c.brokers[0].Addr(), langJava)
	for _, id := range ids {
		var kinds map[string]bool
		waitFor(t, 15*time.Second, "trace records of "+id, func() bool {
			kinds = map[string]bool{}
			for _, m := range queryByKey(t, conn, traceTopic, id, false) {
				if m.Topic != traceTopic {
					continue
				}
				for _, rec := range bytes.Split(m.Body, []byte{2}) {
					if f := strings.Split(string(rec), traceContentSeparator); len(f) > 1 && strings.Contains(string(rec), id) {
						kinds[f[0]] = true
					}
				}
			}
			return kinds["Pub"] && kinds["SubBefore"]
		})
		if !kinds["Pub"] || !kinds["SubBefore"] {
			t.Errorf("trace of %s: kinds %v, want Pub and SubBefore", id, kinds)
		}
	}
}

// TestGoResetOffsetByTime: INVOKE_BROKER_TO_RESET_OFFSET (what mqadmin resetOffsetByTime
// sends) reaches a live Go consumer through RESET_CONSUMER_CLIENT_OFFSET, whose fastjson
// MessageQueue-keyed body only the exact Java form gets through (trap 5): it consumes every
// message again.
func TestGoResetOffsetByTime(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoReset")
	c.createTopic(topic, 2)
	p := startProducer(t, c)
	before := time.Now().Add(-time.Second).UnixMilli()
	want := bodies("r", 8)
	for _, b := range want {
		if _, err := p.SendSync(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatal(err)
		}
	}
	group := uniq("CGreset")
	d := newDeliveries()
	startSelectorPush(t, c, group, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, d)
	d.waitTotal(t, len(want), deliveryTimeout)
	// The broker resets only queues the group has offsets for; the Go client commits every 5 s.
	waitFor(t, 30*time.Second, "offsets committed", func() bool {
		return committedSum(t, c.brokers[0].Addr(), group, topic, 2) == int64(len(want))
	})

	conn := dialRaw(t, c.brokers[0].Addr(), langJava)
	r := conn.mustCall(codeInvokeResetOffset, map[string]string{"topic": topic, "group": group,
		"timestamp": strconv.FormatInt(before, 10), "isForce": "true"}, nil)
	if r.Code != 0 {
		t.Fatalf("INVOKE_BROKER_TO_RESET_OFFSET: %s", r)
	}
	d.waitTotal(t, 2*len(want), deliveryTimeout)
	d.settle(filterSettleQuietTime)
	d.assertExactly(t, want, 2)
}

// TestGoSQL92JavaSemantics pins the corners of Java's selector evaluation that decide which
// messages a consumer gets: property values are strings converted towards the literal's type
// (Integer.valueOf fails on "7.5", " 5" and "3000000000", Double.valueOf trims), a failed
// conversion makes the message not match even under <>, NOT binds tighter than '=', the float
// literal 0.0 is refused, and tokens after a complete selector are ignored. Run with
// COMPAT_TARGET=java it checks these expectations against the stock broker.
func TestGoSQL92JavaSemantics(t *testing.T) {
	c := newCluster(t, 1, map[string]string{"enablePropertyFilter": "true"})
	topic := uniq("GoSQLSem")
	c.createTopic(topic, 1)
	p := startProducer(t, c)
	msgs := []map[string]string{
		{"a": "5", "b": "abc"},     // m0
		{"a": "7.5"},               // m1
		{"a": "3000000000"},        // m2
		{"a": "-3"},                // m3
		{},                         // m4
		{"a": "abc"},               // m5
		{"a": "5", "flag": "true"}, // m6
		{"a": " 5"},                // m7
		{"a": "0"},                 // m8
		{"b": "it's"},              // m9
	}
	for i, props := range msgs {
		m := newMsg(topic, fmt.Sprintf("m%d", i))
		for k, v := range props {
			m.WithProperty(k, v)
		}
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct{ expr, want string }{
		{"a > 4", "m0,m6"},
		{"a > 4.5", "m0,m1,m2,m6,m7"},
		{"a = 5", "m0,m6"},
		{"a <> 5", "m3,m8"},
		{"a IS NULL OR a = 'abc'", "m4,m5,m9"},
		{"NOT a = 1", ""},
		{"a BETWEEN -5 AND 0", "m3,m8"},
		{"b IN ('abc', 'it''s')", "m0,m9"},
		{"flag = TRUE", "m6"},
		{"a > 0.0", ""},
		{"a = 5 trailing tokens", "m0,m6"},
		{"a >= 2147483648", "m2"},
	}
	ds := make([]*deliveries, len(cases))
	total := 0
	for i, tc := range cases {
		ds[i] = newDeliveries()
		startSelectorPush(t, c, uniq(fmt.Sprintf("CGsem%d", i)), topic,
			consumer.MessageSelector{Type: consumer.SQL92, Expression: tc.expr}, ds[i])
		if tc.want != "" {
			total += len(strings.Split(tc.want, ","))
		}
	}
	waitFor(t, deliveryTimeout, "all expected deliveries", func() bool {
		n := 0
		for _, d := range ds {
			n += d.Total()
		}
		return n >= total
	})
	time.Sleep(filterNoDeliveryWindow) // room for a wrong extra delivery to show up
	for i, tc := range cases {
		var want []string
		if tc.want != "" {
			want = strings.Split(tc.want, ",")
		}
		ds[i].mu.Lock()
		got := make([]string, 0, len(ds[i].count))
		for b, n := range ds[i].count {
			got = append(got, fmt.Sprintf("%s×%d", b, n))
		}
		ds[i].mu.Unlock()
		sort.Strings(got)
		exp := make([]string, len(want))
		for j, w := range want {
			exp[j] = w + "×1"
		}
		if strings.Join(got, ",") != strings.Join(exp, ",") {
			t.Errorf("%q: delivered %v, want %v", tc.expr, got, exp)
		}
	}
}

// TestGoConsumerStatus: INVOKE_BROKER_TO_GET_CONSUMER_STATUS (mqadmin getConsumerStatus)
// gathers each live Go consumer's offsets through GET_CONSUMER_STATUS_FROM_CLIENT; clientAddr
// narrows it to one client, an unknown one to none, an offline group is refused.
func TestGoConsumerStatus(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoStatus")
	c.createTopic(topic, 2)
	p := startProducer(t, c)
	want := bodies("s", 6)
	for _, b := range want {
		if _, err := p.SendSync(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatal(err)
		}
	}
	group := uniq("CGstatus")
	conn := dialRaw(t, c.brokers[0].Addr(), langJava)
	status := func(clientAddr string) (*rawCmd, protocol.GetConsumerStatusBody) {
		ext := map[string]string{"topic": topic, "group": group}
		if clientAddr != "" {
			ext["clientAddr"] = clientAddr
		}
		r := conn.mustCall(codeInvokeGetConsumerStatus, ext, nil)
		var body protocol.GetConsumerStatusBody
		if r.Code == 0 {
			if err := body.Unmarshal(r.Body); err != nil {
				t.Fatalf("GetConsumerStatusBody %q: %v", r.Body, err)
			}
		}
		return r, body
	}
	if r, _ := status(""); r.Code != 1 || r.remark() == "" {
		t.Errorf("offline group: %s, want 1 with a remark", r)
	}
	d := newDeliveries()
	startSelectorPush(t, c, group, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, d)
	d.waitTotal(t, len(want), deliveryTimeout)
	var clientID string
	waitFor(t, 10*time.Second, "consumer status with every offset", func() bool {
		r, body := status("")
		if r.Code != 0 || len(body.ConsumerTable) != 1 {
			return false
		}
		var sum int64
		for id, mqs := range body.ConsumerTable {
			clientID = id
			for mq, off := range mqs {
				if mq.Topic == topic {
					sum += off
				}
			}
		}
		return sum == int64(len(want))
	})
	if r, body := status(clientID); r.Code != 0 || len(body.ConsumerTable) != 1 || body.ConsumerTable[clientID] == nil {
		t.Errorf("narrowed to %s: %s %v", clientID, r, body.ConsumerTable)
	}
	if r, body := status("10.0.0.1@nobody"); r.Code != 0 || len(body.ConsumerTable) != 0 {
		t.Errorf("unknown clientAddr: %s %v", r, body.ConsumerTable)
	}
}

// TestGoRelayedClientCalls: GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY (309)
// reach a live Go consumer through the broker and its answer comes back as the broker's own,
// under the admin request's opaque (trap 25); the directly consumed message is handed to the
// consumer's callback once more.
func TestGoRelayedClientCalls(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoRelay")
	c.createTopic(topic, 1)
	p := startProducer(t, c)
	res, err := p.SendSync(context.Background(), newMsg(topic, "direct-me"))
	if err != nil {
		t.Fatal(err)
	}
	group := uniq("CGrelay")
	d := newDeliveries()
	startSelectorPush(t, c, group, topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, d)
	d.waitTotal(t, 1, deliveryTimeout)

	conn := dialRaw(t, c.brokers[0].Addr(), langJava)
	lr := conn.mustCall(codeGetConsumerListByGroup, map[string]string{"consumerGroup": group}, nil)
	var list struct {
		ConsumerIDList []string `json:"consumerIdList"`
	}
	if err := json.Unmarshal(lr.Body, &list); err != nil || len(list.ConsumerIDList) != 1 {
		t.Fatalf("consumer list %s: %v", lr, err)
	}
	clientID := list.ConsumerIDList[0]

	r := conn.mustCall(codeGetConsumerRunningInfo, map[string]string{"consumerGroup": group, "clientId": clientID,
		"jstackEnable": "false"}, nil)
	if r.Code != 0 || !bytes.Contains(r.Body, []byte(topic)) {
		t.Errorf("GET_CONSUMER_RUNNING_INFO: %s %.300s", r, r.Body)
	}
	r = conn.mustCall(codeGetConsumerRunningInfo, map[string]string{"consumerGroup": group, "clientId": "10.0.0.1@nobody",
		"jstackEnable": "false"}, nil)
	if r.Code != 1 || r.remark() == "" {
		t.Errorf("running info of an unknown client: %s", r)
	}

	r = conn.mustCall(codeConsumeMessageDirectly, map[string]string{"consumerGroup": group, "clientId": clientID,
		"msgId": res.OffsetMsgID}, nil)
	if r.Code != 0 || !bytes.Contains(r.Body, []byte("consumeResult")) {
		t.Errorf("CONSUME_MESSAGE_DIRECTLY: %s %.300s", r, r.Body)
	}
	d.waitTotal(t, 2, deliveryTimeout)
	d.settle(filterSettleQuietTime)
	d.assertExactly(t, []string{"direct-me"}, 2)
}
