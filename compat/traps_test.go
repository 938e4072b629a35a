package compat

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// Raw-protocol checks of the client-visible traps in remoting-protocol.md §11. Each request is
// built the way the stock client in question builds it (Go: language GO, version 317, no
// oneway bit, V1 send names, properties with a trailing 0x02; Java: JAVA, 409, V2 names,
// oneway bit on oneway calls) and each answer is checked for what that client relies on.
//
// Where each trap is caught (this file unless named):
//
//	1 oneway bit          TestTrapOnewayBit, TestGoOnewaySend, TestJavaClientOffsetsAcrossRestart
//	2 ext values strings  every raw test (rawConn decodes extFields into map[string]string)
//	3 response version    TestTrapSendHeadersV1V2, TestTrapPullNeedsHeartbeat
//	4 route JSON forms    TestTrapNameServerRoutes (byte-exact, both client versions)
//	6 pull subscription   TestTrapPullNeedsHeartbeat (24, 25, Go heartbeat form)
//	7 offset code 22/0    TestTrapQueryConsumerOffset, TestGoConsumeFromLastOffsetYoungQueue
//	8 offset fields       TestTrapQueryConsumerOffset
//	9 offset msg id       TestTrapSendHeadersV1V2, TestGoSyncSendPushConsume, TestGoBatchSend, Java probe
//	10 %RETRY% routable   TestTrapPullNeedsHeartbeat
//	11 TBW102             TestTrapNameServerRoutes, TestGoAutoCreateTopic
//	12 long polling       TestTrapLongPolling, TestGoSentBeforeAndDuringLongPoll, TestJavaClientGroups
//	13 offset moved       TestTrapPullOffsetRules
//	15 header fields      every ext() lookup; TestTrapPullOffsetRules, TestTrapSendHeadersV1V2
//	18 unknown codes      TestTrapNameServerRoutes
//	20 V1/V2/batch send   TestTrapSendHeadersV1V2, TestGoBatchSend, Java probe batch
//	21 property encodings TestTrapSendHeadersV1V2
//	22 Go batch ids       TestGoBatchSend
//	23 empty consumer list TestTrapConsumerListAndNotify
//	26 camel-case names   ext() lookups by exact name
//	28 VIP port           TestTrapVIPPort
//
// Binary headers (16, 17) are exercised end to end by the Java probe's ROCKETMQ-serialization
// variant and byte-exactly by the remoting package's golden tests; 5, 14, 24, 25 and 27 belong to
// the send-back, admin and ACL paths (issues 6 and 7).

// Pull sysFlag bits (PullSysFlag).
const (
	pullCommitOffset = 0x1
	pullSuspend      = 0x2
	pullSubscription = 0x4
)

// goProps encodes properties the Go client's way: a 0x02 after every pair (trap 21).
func goProps(kv ...string) string {
	var sb strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		sb.WriteString(kv[i] + "\x01" + kv[i+1] + "\x02")
	}
	return sb.String()
}

// javaProps encodes them Java's way: no trailing separator.
func javaProps(kv ...string) string {
	return strings.TrimSuffix(goProps(kv...), "\x02")
}

// sendV1 is the Go client's SEND_MESSAGE (code 10, V1 names).
func sendV1(c *rawConn, topic string, queueID int, props string, body []byte) (*rawCmd, error) {
	return c.call(codeSendMessage, map[string]string{
		"producerGroup": "PG_raw", "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
		"queueId": strconv.Itoa(queueID), "sysFlag": "0", "bornTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10),
		"flag": "0", "properties": props, "reconsumeTimes": "0", "unitMode": "false", "maxReconsumeTimes": "0", "batch": "false",
	}, body, 5*time.Second)
}

// sendV2 is the Java client's SEND_MESSAGE_V2 (code 310, one-letter names).
func sendV2(c *rawConn, topic, brokerName string, queueID int, props string, body []byte) (*rawCmd, error) {
	return c.call(codeSendMessageV2, map[string]string{
		"a": "PG_raw", "b": topic, "c": "TBW102", "d": "4", "e": strconv.Itoa(queueID), "f": "0",
		"g": strconv.FormatInt(time.Now().UnixMilli(), 10), "h": "0", "i": props, "j": "0", "k": "false", "m": "false",
		"n": brokerName,
	}, body, 5*time.Second)
}

// pullReq builds a PULL_MESSAGE header the way the Go client does.
func pullReq(group, topic string, queueID int, offset int64, sysFlag int, suspend time.Duration, sub string) map[string]string {
	return map[string]string{
		"consumerGroup": group, "topic": topic, "queueId": strconv.Itoa(queueID),
		"queueOffset": strconv.FormatInt(offset, 10), "maxMsgNums": "32", "sysFlag": strconv.Itoa(sysFlag),
		"commitOffset": "0", "suspendTimeoutMillis": strconv.FormatInt(suspend.Milliseconds(), 10),
		"subscription": sub, "subVersion": "0", "expressionType": "TAG",
	}
}

// javaHash is Java's String.hashCode, the consume queue's tags code.
func javaHash(s string) int32 {
	var h int32
	for _, r := range s {
		h = 31*h + int32(r)
	}
	return h
}

// goHeartbeat is the Go client's HEART_BEAT body for one push consumer (§5.4): codeSet as
// strings, subVersion in nanoseconds, %RETRY% subscription included.
func goHeartbeat(clientID, group, topic string, tags []string, subVersion int64) []byte {
	type sub struct {
		ClassFilterMode bool     `json:"classFilterMode"`
		Topic           string   `json:"topic"`
		SubString       string   `json:"subString"`
		TagsSet         []string `json:"tagsSet"`
		CodeSet         []string `json:"codeSet"`
		SubVersion      int64    `json:"subVersion"`
		ExpressionType  string   `json:"expressionType"`
	}
	s := sub{Topic: topic, SubString: "*", TagsSet: []string{}, CodeSet: []string{}, SubVersion: subVersion, ExpressionType: "TAG"}
	if len(tags) > 0 {
		s.SubString = strings.Join(tags, "||")
		s.TagsSet = tags
		for _, t := range tags {
			s.CodeSet = append(s.CodeSet, strconv.Itoa(int(javaHash(t))))
		}
	}
	retry := sub{Topic: "%RETRY%" + group, SubString: "*", TagsSet: []string{}, CodeSet: []string{}, SubVersion: subVersion, ExpressionType: "TAG"}
	hb := map[string]any{
		"clientID":        clientID,
		"producerDataSet": []map[string]string{},
		"consumerDataSet": []map[string]any{{
			"groupName": group, "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
			"consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET", "subscriptionDataSet": []sub{s, retry}, "unitMode": false,
		}},
	}
	b, _ := json.Marshal(hb)
	return b
}

// rawTopic creates a topic with n queues on broker 0 and returns a Go-style connection to it.
func rawTopic(t *testing.T, c *cluster, prefix string, n int) (string, *rawConn) {
	t.Helper()
	topic := uniq(prefix)
	c.createTopic(topic, n)
	return topic, dialRaw(t, c.brokers[0].Addr(), langGo)
}

func mustSend(t *testing.T, conn *rawConn, topic string, q int, props string, body string) *rawCmd {
	t.Helper()
	r, err := sendV1(conn, topic, q, props, []byte(body))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if r.Code != 0 {
		t.Fatalf("send %q: %s", body, r)
	}
	return r
}

var offsetMsgIDRe = regexp.MustCompile(`^[0-9A-F]{32}$`)

// TestTrapSendHeadersV1V2: both send forms are accepted (trap 20), every response header field
// is there with the exact camel-case names the Go client reads (traps 15, 26), the offset msg
// id names brokerIP1:listenPort (trap 9), the response version is the broker's (trap 3), ext
// values are JSON strings (trap 2: rawConn decodes extFields into map[string]string, so a
// number there fails the call), and both property encodings round-trip (trap 21).
func TestTrapSendHeadersV1V2(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic, goConn := rawTopic(t, c, "TrapSend", 2)
	javaConn := dialRaw(t, c.brokers[0].Addr(), langJava)

	r1, err := sendV1(goConn, topic, 1, goProps("TAGS", "TagA", "KEYS", "k1", "UNIQ_KEY", "C0A80001000000000000000000000001", "color", "red"), []byte("v1-body"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := sendV2(javaConn, topic, c.brokers[0].Name, 1, javaProps("TAGS", "TagB", "WAIT", "true", "UNIQ_KEY", "C0A80001000000000000000000000002", "color", "green"), []byte("v2-body"))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range []*rawCmd{r1, r2} {
		if r.Code != 0 {
			t.Fatalf("send %d: %s", i, r)
		}
		if r.Version == 0 {
			t.Errorf("send %d: response version 0; Java clients read it as the broker's version (trap 3)", i)
		}
		if r.Flag&1 == 0 {
			t.Errorf("send %d: response flag %d lacks the response bit", i, r.Flag)
		}
		id := r.ext(t, "msgId")
		if !offsetMsgIDRe.MatchString(id) {
			t.Errorf("send %d: msgId %q is not 32 upper-case hex digits", i, id)
		} else if addr, _ := decodeOffsetMsgID(t, id); addr != c.brokers[0].Addr() {
			t.Errorf("send %d: msgId %s names %s, want brokerIP1:listenPort %s", i, id, addr, c.brokers[0].Addr())
		}
		if q := r.ext(t, "queueId"); q != "1" {
			t.Errorf("send %d: queueId %q, want 1", i, q)
		}
		if off := r.extInt(t, "queueOffset"); off != int64(i) {
			t.Errorf("send %d: queueOffset %d, want %d", i, off, i)
		}
		if reg := r.ext(t, "MSG_REGION"); reg != "DefaultRegion" {
			t.Errorf("send %d: MSG_REGION %q", i, reg)
		}
		if tr := r.ext(t, "TRACE_ON"); tr != "true" {
			t.Errorf("send %d: TRACE_ON %q", i, tr)
		}
	}

	// Read both back with a FLAG_SUBSCRIPTION pull (no heartbeat needed).
	pr := goConn.mustCall(codePullMessage, pullReq("CG_trapsend", topic, 1, 0, pullSubscription, 0, "*"), nil)
	if pr.Code != 0 {
		t.Fatalf("pull: %s", pr)
	}
	msgs := primitive.DecodeMessage(pr.Body)
	if len(msgs) != 2 {
		t.Fatalf("pull returned %d messages, want 2", len(msgs))
	}
	for i, want := range []struct{ body, tag, color, uniq string }{
		{"v1-body", "TagA", "red", "C0A80001000000000000000000000001"},
		{"v2-body", "TagB", "green", "C0A80001000000000000000000000002"},
	} {
		m := msgs[i]
		if string(m.Body) != want.body || m.GetTags() != want.tag || m.GetProperty("color") != want.color {
			t.Errorf("message %d: body %q tags %q color %q", i, m.Body, m.GetTags(), m.GetProperty("color"))
		}
		if m.GetProperty("UNIQ_KEY") != want.uniq || m.GetProperty("CLUSTER") != "CompatCluster" {
			t.Errorf("message %d: UNIQ_KEY %q CLUSTER %q", i, m.GetProperty("UNIQ_KEY"), m.GetProperty("CLUSTER"))
		}
		if _, ok := m.GetProperties()["WAIT"]; ok {
			t.Errorf("message %d: WAIT kept in the stored properties; the 4.9.8 broker drops it", i)
		}
		if m.StoreHost != c.brokers[0].Addr() {
			t.Errorf("message %d: store host %q", i, m.StoreHost)
		}
		if m.QueueOffset != int64(i) {
			t.Errorf("message %d: queue offset %d", i, m.QueueOffset)
		}
	}
}

// TestTrapOnewayBit: the Go client's UPDATE_CONSUMER_OFFSET has no oneway bit and must be
// processed (and may be answered); Java's has the bit and must be processed and not answered
// (trap 1).
func TestTrapOnewayBit(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic, conn := rawTopic(t, c, "TrapOneway", 2)
	for i := 0; i < 3; i++ {
		mustSend(t, conn, topic, 0, goProps("TAGS", "a"), fmt.Sprint("m", i))
		mustSend(t, conn, topic, 1, goProps("TAGS", "a"), fmt.Sprint("m", i))
	}
	group := uniq("CG_oneway")
	upd := func(q int, off int64) map[string]string {
		return map[string]string{"consumerGroup": group, "topic": topic, "queueId": strconv.Itoa(q), "commitOffset": strconv.FormatInt(off, 10)}
	}
	// Go style: an ordinary request; the client drops whatever comes back.
	r, err := conn.call(codeUpdateConsumerOffset, upd(0, 2), nil, 3*time.Second)
	if err != nil || r.Code != 0 {
		t.Fatalf("Go-style UPDATE_CONSUMER_OFFSET: %v %v", r, err)
	}
	// Java style: oneway bit set, nothing must come back.
	jconn := dialRaw(t, c.brokers[0].Addr(), langJava)
	if r, err := jconn.oneway(codeUpdateConsumerOffset, upd(1, 3), nil, 700*time.Millisecond); err == nil {
		t.Errorf("a oneway request was answered: %s", r)
	}
	for q, want := range []int64{2, 3} {
		qr := conn.mustCall(codeQueryConsumerOffset, map[string]string{"consumerGroup": group, "topic": topic, "queueId": strconv.Itoa(q)}, nil)
		if qr.Code != 0 || qr.extInt(t, "offset") != want {
			t.Errorf("queue %d: committed %s, want offset %d", q, qr, want)
		}
	}
}

// TestTrapQueryConsumerOffset: a group with no offset gets Java's young-queue answer (0 with
// offset 0) — never 1, which the Go client treats as an error and never starts the queue
// (trap 7); GET_MAX/MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP and GET_EARLIEST_MSG_STORETIME always
// carry their field, even for a queue that does not exist (trap 8).
func TestTrapQueryConsumerOffset(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic, conn := rawTopic(t, c, "TrapOffset", 2)
	t0 := time.Now().UnixMilli()
	for i := 0; i < 5; i++ {
		mustSend(t, conn, topic, 0, goProps("TAGS", "a"), fmt.Sprint("m", i))
		time.Sleep(5 * time.Millisecond)
	}
	group := uniq("CG_q")
	for q := 0; q < 2; q++ {
		r := conn.mustCall(codeQueryConsumerOffset, map[string]string{"consumerGroup": group, "topic": topic, "queueId": strconv.Itoa(q)}, nil)
		// Java 4.9.8 answers 0 with offset 0 for a queue whose first message is still in memory,
		// empty queues included (COMP queryConsumerOffset, checked against the stock broker).
		if r.Code != 0 || r.extInt(t, "offset") != 0 {
			t.Errorf("queue %d: fresh group got %s; want Java's young-queue answer 0 with offset 0 (never 1: trap 7)", q, r)
		}
	}
	max := conn.mustCall(codeGetMaxOffset, map[string]string{"topic": topic, "queueId": "0"}, nil)
	if max.Code != 0 || max.extInt(t, "offset") != 5 {
		t.Errorf("GET_MAX_OFFSET: %s, want 5", max)
	}
	min := conn.mustCall(codeGetMinOffset, map[string]string{"topic": topic, "queueId": "0"}, nil)
	if min.Code != 0 || min.extInt(t, "offset") != 0 {
		t.Errorf("GET_MIN_OFFSET: %s, want 0", min)
	}
	for _, q := range []string{"1", "7"} { // an empty queue and a queue id past the topic's queues
		r := conn.mustCall(codeGetMaxOffset, map[string]string{"topic": topic, "queueId": q}, nil)
		if r.extInt(t, "offset") != 0 {
			t.Errorf("GET_MAX_OFFSET queue %s: %s, want offset 0", q, r)
		}
	}
	r := conn.mustCall(codeGetMaxOffset, map[string]string{"topic": uniq("NoSuchTopic"), "queueId": "0"}, nil)
	r.extInt(t, "offset")
	s := conn.mustCall(codeSearchOffsetByTimestamp, map[string]string{"topic": topic, "queueId": "0", "timestamp": strconv.FormatInt(t0-60_000, 10)}, nil)
	if s.extInt(t, "offset") != 0 {
		t.Errorf("SEARCH_OFFSET_BY_TIMESTAMP before every message: %s, want 0", s)
	}
	s = conn.mustCall(codeSearchOffsetByTimestamp, map[string]string{"topic": topic, "queueId": "0", "timestamp": strconv.FormatInt(time.Now().UnixMilli()+60_000, 10)}, nil)
	if s.extInt(t, "offset") != 4 {
		t.Errorf("SEARCH_OFFSET_BY_TIMESTAMP after every message: %s, want 4 (the last message, not max)", s)
	}
	s = conn.mustCall(codeSearchOffsetByTimestamp, map[string]string{"topic": uniq("NoSuchTopic"), "queueId": "0", "timestamp": "0"}, nil)
	s.extInt(t, "offset")
	e := conn.mustCall(codeGetEarliestMsgStoretime, map[string]string{"topic": topic, "queueId": "0"}, nil)
	if ts := e.extInt(t, "timestamp"); ts < t0-1000 || ts > time.Now().UnixMilli()+1000 {
		t.Errorf("GET_EARLIEST_MSG_STORETIME: %s, want a time around %d", e, t0)
	}
}

// TestTrapPullOffsetRules walks the offset table of §7.3 (trap 13) and checks that every pull
// answer carries all four header fields (trap 15).
func TestTrapPullOffsetRules(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic, conn := rawTopic(t, c, "TrapPull", 4)
	for i := 0; i < 5; i++ {
		mustSend(t, conn, topic, 0, goProps("TAGS", "a"), fmt.Sprint("m", i))
	}
	cases := []struct {
		name      string
		queue     int
		offset    int64
		code      int
		nextBegin int64
	}{
		{"empty queue, offset 0", 1, 0, 19, 0},
		{"empty queue, offset 3", 1, 3, 21, 0},
		{"in range", 0, 2, 0, 5},
		{"offset == max", 0, 5, 19, 5},
		{"offset > max", 0, 9, 21, 5},
	}
	for _, tc := range cases {
		r := conn.mustCall(codePullMessage, pullReq("CG_rules", topic, tc.queue, tc.offset, pullSubscription, 0, "*"), nil)
		if r.Code != tc.code {
			t.Errorf("%s: code %d (%s), want %d", tc.name, r.Code, r.remark(), tc.code)
		}
		if nb := r.extInt(t, "nextBeginOffset"); nb != tc.nextBegin {
			t.Errorf("%s: nextBeginOffset %d, want %d", tc.name, nb, tc.nextBegin)
		}
		r.extInt(t, "minOffset")
		r.extInt(t, "maxOffset")
		r.extInt(t, "suggestWhichBrokerId")
		if tc.code == 0 {
			if n := len(primitive.DecodeMessage(r.Body)); n != 3 {
				t.Errorf("%s: %d messages, want 3", tc.name, n)
			}
		}
	}
}

// TestTrapPullNeedsHeartbeat: a pull without FLAG_SUBSCRIPTION depends on the heartbeat's
// subscription (24 before it, trap 6); the Go heartbeat form (string codeSet, nanosecond
// subVersion) is accepted; the heartbeat creates %RETRY%<group> and registers it (trap 10); a
// newer subVersion than the broker holds gives 25.
func TestTrapPullNeedsHeartbeat(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic, conn := rawTopic(t, c, "TrapHB", 1)
	mustSend(t, conn, topic, 0, goProps("TAGS", "TagA"), "a0")
	mustSend(t, conn, topic, 0, goProps("TAGS", "TagB"), "b0")
	group := uniq("CG_hb")

	r := conn.mustCall(codePullMessage, pullReq(group, topic, 0, 0, 0, 0, ""), nil)
	if r.Code != 24 {
		t.Errorf("pull before any heartbeat: %s, want 24", r)
	}
	subVer := time.Now().UnixNano()
	hb := conn.mustCall(codeHeartBeat, nil, goHeartbeat("127.0.0.1@raw-"+group, group, topic, []string{"TagA"}, subVer))
	if hb.Code != 0 {
		t.Fatalf("heartbeat: %s", hb)
	}
	if hb.Version == 0 {
		t.Errorf("heartbeat response version 0: the Java client would refuse SQL92 pulls (trap 3)")
	}
	r = conn.mustCall(codePullMessage, pullReq(group, topic, 0, 0, 0, 0, ""), nil)
	if r.Code != 0 {
		t.Fatalf("pull after heartbeat: %s", r)
	}
	msgs := primitive.DecodeMessage(r.Body)
	if len(msgs) != 1 || string(msgs[0].Body) != "a0" {
		var got []string
		for _, m := range msgs {
			got = append(got, string(m.Body))
		}
		t.Errorf("pull with the heartbeat's TagA subscription returned %v, want [a0] (tag filter on the consume queue)", got)
	}
	if nb := r.extInt(t, "nextBeginOffset"); nb != 2 {
		t.Errorf("nextBeginOffset %d, want 2 (the TagB unit scanned too)", nb)
	}
	newer := pullReq(group, topic, 0, 0, 0, 0, "")
	newer["subVersion"] = strconv.FormatInt(subVer+1, 10)
	if r := conn.mustCall(codePullMessage, newer, nil); r.Code != 25 {
		t.Errorf("pull with a newer subVersion than the heartbeat's: %s, want 25", r)
	}
	c.waitRoute("%RETRY%" + group)
}

// TestTrapLongPolling: a pull with FLAG_SUSPEND on a caught-up queue is held, woken as soon as
// a matching message arrives (a non-matching one does not wake it), answered with the original
// opaque, and without a message answered at the suspend timeout, well before the client gives
// up (trap 12).
func TestTrapLongPolling(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1, nil)
	topic, conn := rawTopic(t, c, "TrapLP", 1)
	group := uniq("CG_lp")
	if hb := conn.mustCall(codeHeartBeat, nil, goHeartbeat("127.0.0.1@raw-"+group, group, topic, []string{"TagA"}, 1)); hb.Code != 0 {
		t.Fatalf("heartbeat: %s", hb)
	}
	sender := dialRaw(t, c.brokers[0].Addr(), langGo)

	type result struct {
		r   *rawCmd
		err error
		at  time.Time
	}
	hold := func(offset int64, suspend time.Duration) chan result {
		ch := make(chan result, 1)
		go func() {
			r, err := conn.call(codePullMessage, pullReq(group, topic, 0, offset, pullSuspend, suspend, ""), nil, 30*time.Second)
			ch <- result{r, err, time.Now()}
		}()
		return ch
	}

	ch := hold(0, 15*time.Second)
	time.Sleep(300 * time.Millisecond)
	select {
	case res := <-ch:
		t.Fatalf("a suspended pull on an empty queue was answered at once: %v %v", res.r, res.err)
	default:
	}
	mustSend(t, sender, topic, 0, goProps("TAGS", "TagB"), "nomatch")
	select {
	case res := <-ch:
		// Java rechecks the filter on wake-up and keeps the request parked.
		t.Errorf("a non-matching message woke the suspended pull: %v %v", res.r, res.err)
	case <-time.After(500 * time.Millisecond):
	}
	sent := time.Now()
	mustSend(t, sender, topic, 0, goProps("TAGS", "TagA"), "match")
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("held pull: %v", res.err)
		}
		if lat := res.at.Sub(sent); lat > time.Second {
			t.Errorf("held pull answered %v after the message arrived; must be woken at once", lat)
		}
		if res.r.Code != 0 {
			t.Fatalf("woken pull: %s", res.r)
		}
		var got []string
		for _, m := range primitive.DecodeMessage(res.r.Body) {
			got = append(got, string(m.Body))
		}
		if strings.Join(got, ",") != "match" {
			t.Errorf("woken pull returned %v, want [match]", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a suspended pull was not woken by a matching message within 5 s")
	}

	// Nothing arrives: answered 19 at about the suspend timeout (Java checks every 5 s, so up
	// to 5 s late), far below the Go client's 30 s.
	start := time.Now()
	ch = hold(2, 2*time.Second)
	select {
	case res := <-ch:
		if res.err != nil {
			t.Fatalf("held pull: %v", res.err)
		}
		el := res.at.Sub(start)
		if el < 1800*time.Millisecond {
			t.Errorf("held pull answered after %v, before its 2 s suspend timeout", el)
		}
		if res.r.Code != 19 {
			t.Errorf("timed-out pull: %s, want 19", res.r)
		}
		if nb := res.r.extInt(t, "nextBeginOffset"); nb != 2 {
			t.Errorf("timed-out pull nextBeginOffset %d, want 2", nb)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("a suspended pull with a 2 s timeout was not answered within 8 s")
	}
}

// TestTrapConsumerListAndNotify: GET_CONSUMER_LIST_BY_GROUP without consumers is 1 (trap 23);
// with consumers it lists their client ids; a member joining triggers
// NOTIFY_CONSUMER_IDS_CHANGED to the others.
func TestTrapConsumerListAndNotify(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic, conn := rawTopic(t, c, "TrapNotify", 1)
	group := uniq("CG_notify")
	if r := conn.mustCall(codeGetConsumerListByGroup, map[string]string{"consumerGroup": group}, nil); r.Code != 1 {
		t.Errorf("consumer list of a group without consumers: %s, want 1", r)
	}
	a := dialRaw(t, c.brokers[0].Addr(), langGo)
	if r := a.mustCall(codeHeartBeat, nil, goHeartbeat("127.0.0.1@A", group, topic, nil, 1)); r.Code != 0 {
		t.Fatalf("heartbeat A: %s", r)
	}
	b := dialRaw(t, c.brokers[0].Addr(), langGo)
	if r := b.mustCall(codeHeartBeat, nil, goHeartbeat("127.0.0.1@B", group, topic, nil, 1)); r.Code != 0 {
		t.Fatalf("heartbeat B: %s", r)
	}
	if n, ok := a.expectPushed(codeNotifyConsumerIdsChange, 3*time.Second); !ok {
		t.Errorf("member A was not sent NOTIFY_CONSUMER_IDS_CHANGED when B joined")
	} else if g := n.ExtFields["consumerGroup"]; g != group {
		t.Errorf("notify names group %q, want %q", g, group)
	}
	r := conn.mustCall(codeGetConsumerListByGroup, map[string]string{"consumerGroup": group}, nil)
	var body struct {
		ConsumerIDList []string `json:"consumerIdList"`
	}
	if r.Code != 0 || json.Unmarshal(r.Body, &body) != nil {
		t.Fatalf("consumer list: %s %q", r, r.Body)
	}
	if strings.Join(body.ConsumerIDList, ",") != "127.0.0.1@A,127.0.0.1@B" && strings.Join(body.ConsumerIDList, ",") != "127.0.0.1@B,127.0.0.1@A" {
		t.Errorf("consumer list %v, want A and B", body.ConsumerIDList)
	}
	// B's connection closes: it leaves at once and A hears about it.
	b.Close()
	if _, ok := a.expectPushed(codeNotifyConsumerIdsChange, 3*time.Second); !ok {
		t.Errorf("member A was not notified when B's connection closed")
	}
	waitConsumerCount(t, c.brokers[0].Addr(), group, 1)
}

// TestTrapNameServerRoutes: unknown topics are 17 (trap 11) and TBW102 is routable with
// PERM_INHERIT on an auto-create broker; the route JSON is compact, in the fastjson form with
// unquoted broker ids for the Go client (version 317) and quoted for Java ≥ 4.9.4 (trap 4);
// unknown request codes are answered 3 by both servers (trap 18).
func TestTrapNameServerRoutes(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("TrapRoute")
	c.createTopic(topic, 3)
	goNS := dialRaw(t, c.NamesrvAddr(), langGo)
	javaNS := dialRaw(t, c.NamesrvAddr(), langJava)

	if r := goNS.mustCall(codeGetRouteInfoByTopic, map[string]string{"topic": uniq("NoSuchTopic")}, nil); r.Code != 17 {
		t.Errorf("route of an unknown topic: %s, want 17", r)
	}
	tbw := goNS.mustCall(codeGetRouteInfoByTopic, map[string]string{"topic": "TBW102"}, nil)
	if tbw.Code != 0 || !strings.Contains(string(tbw.Body), `"perm":7`) {
		t.Errorf("TBW102 route: %s %s; want perm 7 (read, write, inherit)", tbw, tbw.Body)
	}

	goRoute := goNS.mustCall(codeGetRouteInfoByTopic, map[string]string{"topic": topic}, nil)
	javaRoute := javaNS.mustCall(codeGetRouteInfoByTopic, map[string]string{"topic": topic}, nil)
	addr := c.brokers[0].Addr()
	wantGo := `{"brokerDatas":[{"brokerAddrs":{0:"` + addr + `"},"brokerName":"broker-a","cluster":"CompatCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":3,"topicSysFlag":0,"writeQueueNums":3}]}`
	wantJava := strings.Replace(wantGo, `{0:"`, `{"0":"`, 1)
	if string(goRoute.Body) != wantGo {
		t.Errorf("route for the Go client (version 317):\n got %s\nwant %s", goRoute.Body, wantGo)
	}
	if string(javaRoute.Body) != wantJava {
		t.Errorf("route for Java 4.9.8 (version 409):\n got %s\nwant %s", javaRoute.Body, wantJava)
	}

	for i, conn := range []*rawConn{goNS, dialRaw(t, c.brokers[0].Addr(), langGo)} {
		r, err := conn.call(9999, nil, nil, 3*time.Second)
		if i == 0 && targetJava() {
			// The 4.9.8 NameServer stays silent; ours answers 3 like 5.x (trap 18).
			if err == nil {
				t.Errorf("Java 4.9.8 NameServer answered an unknown code: %s", r)
			}
			continue
		}
		if err != nil || r.Code != 3 {
			t.Errorf("unknown request code: %v %v, want 3", r, err)
		}
	}
}

// TestTrapVIPPort: the broker also serves the port Java clients use with the VIP channel,
// listenPort-2 (trap 28).
func TestTrapVIPPort(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("TrapVIP")
	c.createTopic(topic, 1)
	vip := fmt.Sprintf("127.0.0.1:%d", c.brokers[0].Port-2)
	conn := dialRaw(t, vip, langJava)
	r, err := sendV2(conn, topic, c.brokers[0].Name, 0, javaProps("TAGS", "v"), []byte("vip"))
	if err != nil || r.Code != 0 {
		t.Fatalf("send on the VIP port: %v %v", r, err)
	}
}

// TestAdminUpdateTopic: UPDATE_AND_CREATE_TOPIC (what mqadmin updateTopic sends) creates the
// topic and re-registers it with the NameServer, which then routes it with the given queues.
func TestAdminUpdateTopic(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("AdminCreate")
	conn := dialRaw(t, c.brokers[0].Addr(), langJava)
	r := conn.mustCall(codeUpdateAndCreateTopic, map[string]string{
		"topic": topic, "defaultTopic": "TBW102", "readQueueNums": "5", "writeQueueNums": "5", "perm": "6",
		"topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false",
	}, nil)
	if r.Code != 0 {
		t.Fatalf("UPDATE_AND_CREATE_TOPIC: %s", r)
	}
	waitFor(t, 5*time.Second, "route of the created topic with 5 queues", func() bool {
		r, err := dialRaw(t, c.NamesrvAddr(), langJava).call(codeGetRouteInfoByTopic, map[string]string{"topic": topic}, nil, 2*time.Second)
		return err == nil && r.Code == 0 && strings.Contains(string(r.Body), `"readQueueNums":5`)
	})
	// The cluster name is reserved (AdminBrokerProcessor.updateAndCreateTopic).
	r = conn.mustCall(codeUpdateAndCreateTopic, map[string]string{
		"topic": "CompatCluster", "defaultTopic": "TBW102", "readQueueNums": "4", "writeQueueNums": "4", "perm": "6",
		"topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false",
	}, nil)
	if r.Code != 1 {
		t.Errorf("creating a topic named like the cluster: %s, want 1", r)
	}
}
