package protocol

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
)

func readConfig(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "java-4.9.8-config", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenConfigFiles reads the config files a stock 4.9.8 broker persisted, checks the values
// the fixture README states, and writes them back with Pretty(Marshal()). Files whose maps hold
// one entry (or none) must come back byte for byte; topics.json and subscriptionGroup.json list
// many entries in Java's hash order, so for them only the content is compared — and the
// pretty layout is checked against Java's on the file re-sorted by us.
func TestGoldenConfigFiles(t *testing.T) {
	t.Run("consumerOffset", func(t *testing.T) {
		raw := readConfig(t, "consumerOffset.json")
		var w ConsumerOffsetWrapper
		if err := w.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		if got := w.OffsetTable[OffsetKey("FixB", "FixGroupB")]; got[0] != 11 || got[1] != 7 || len(got) != 2 {
			t.Errorf("offsets %v", got)
		}
		if out := Pretty(w.Marshal()); !bytes.Equal(out, raw) {
			t.Errorf("got\n%q\nwant\n%q", out, raw)
		}
	})
	t.Run("delayOffset", func(t *testing.T) {
		raw := readConfig(t, "delayOffset.json")
		var w DelayOffsetWrapper
		if err := w.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		if w.OffsetTable[2] != 1 || len(w.OffsetTable) != 1 {
			t.Errorf("offsets %v", w.OffsetTable)
		}
		if out := Pretty(w.Marshal()); !bytes.Equal(out, raw) {
			t.Errorf("got\n%q\nwant\n%q", out, raw)
		}
	})
	t.Run("consumerFilter", func(t *testing.T) {
		raw := readConfig(t, "consumerFilter.json")
		var w ConsumerFilterWrapper
		if err := w.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		if out := Pretty(w.Marshal()); !bytes.Equal(out, raw) {
			t.Errorf("got\n%q\nwant\n%q", out, raw)
		}
	})
	t.Run("topics", func(t *testing.T) {
		raw := readConfig(t, "topics.json")
		var w TopicConfigSerializeWrapper
		if err := w.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		if w.DataVersion.Counter != 5 || w.DataVersion.Timestamp != 1795559214346 {
			t.Errorf("dataVersion %+v", w.DataVersion)
		}
		fixB := w.TopicConfigTable["FixB"]
		if fixB == nil || fixB.ReadQueueNums != 2 || fixB.WriteQueueNums != 2 || fixB.Perm != 6 || fixB.TopicFilterType != "SINGLE_TAG" {
			t.Errorf("FixB %+v", fixB)
		}
		if s := w.TopicConfigTable[RmqSysScheduleTopic]; s == nil || s.ReadQueueNums != 18 {
			t.Errorf("schedule topic %+v", s)
		}
		out := Pretty(w.Marshal())
		if canonical(t, out) != canonical(t, raw) {
			t.Errorf("content differs:\n%s", out)
		}
		if want := javaBlockSort(raw); !bytes.Equal(out, want) {
			t.Errorf("layout differs:\n%s\nwant\n%s", out, want)
		}
	})
	t.Run("subscriptionGroup", func(t *testing.T) {
		raw := readConfig(t, "subscriptionGroup.json")
		var w SubscriptionGroupWrapper
		if err := w.Unmarshal(raw); err != nil {
			t.Fatal(err)
		}
		g := w.SubscriptionGroupTable["fixture_reader"]
		if g == nil || *g != *NewSubscriptionGroupConfig("fixture_reader") {
			t.Errorf("group %+v", g)
		}
		out := Pretty(w.Marshal())
		if canonical(t, out) != canonical(t, raw) {
			t.Errorf("content differs:\n%s", out)
		}
		if want := javaBlockSort(raw); !bytes.Equal(out, want) {
			t.Errorf("layout differs:\n%s\nwant\n%s", out, want)
		}
	})
}

// javaBlockSort sorts the two-tab-indented entries of the one table in a Java pretty file by
// key, giving the bytes Java would write had its map iterated in sorted order.
func javaBlockSort(raw []byte) []byte {
	lines := strings.Split(string(raw), "\n")
	var head, tail []string
	var blocks [][]string
	i := 0
	for ; i < len(lines); i++ {
		head = append(head, lines[i])
		if strings.HasSuffix(lines[i], "Table\":{") {
			i++
			break
		}
	}
	for ; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "\t\t\"") {
			blocks = append(blocks, nil)
		}
		if !strings.HasPrefix(l, "\t\t") {
			tail = lines[i:]
			break
		}
		if l == "\t\t}," {
			l = "\t\t}" // the separator is re-added after sorting
		}
		blocks[len(blocks)-1] = append(blocks[len(blocks)-1], l)
	}
	// Sort by the key line.
	for a := 1; a < len(blocks); a++ {
		for b := a; b > 0 && blocks[b][0] < blocks[b-1][0]; b-- {
			blocks[b], blocks[b-1] = blocks[b-1], blocks[b]
		}
	}
	var out []string
	out = append(out, head...)
	for k, b := range blocks {
		if k < len(blocks)-1 {
			b[len(b)-1] += ","
		}
		out = append(out, b...)
	}
	out = append(out, tail...)
	return []byte(strings.Join(out, "\n"))
}

// TestRegisterBody checks the CRC the 4.9.8 broker put in bodyCrc32 and both body forms.
func TestRegisterBody(t *testing.T) {
	var reg *fixtureBody
	bodies := loadBodies(t)
	for i := range bodies {
		if bodies[i].ReqCode == RegisterBroker && !bodies[i].Response {
			reg = &bodies[i]
			break
		}
	}
	if reg == nil {
		t.Fatal("no register body")
	}
	var crc int32
	for _, h := range loadHeaders(t) {
		if h.ReqCode == RegisterBroker && !h.Response {
			var rh RegisterBrokerRequestHeader
			if err := rh.Decode(h.ext); err != nil {
				t.Fatal(err)
			}
			crc = rh.BodyCrc32
			break
		}
	}
	if got := BodyCRC32(reg.raw); got != crc || crc == 0 {
		t.Errorf("crc %d, header says %d", got, crc)
	}
	body, err := UnmarshalRegisterBrokerBody(reg.raw, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(body.TopicConfigSerializeWrapper.TopicConfigTable) < 8 || body.FilterServerList == nil {
		t.Fatalf("body %+v", body)
	}
	z := body.MarshalCompressed()
	back, err := UnmarshalRegisterBrokerBody(z, true)
	if err != nil {
		t.Fatal(err)
	}
	if back.TopicConfigSerializeWrapper.DataVersion != body.TopicConfigSerializeWrapper.DataVersion {
		t.Errorf("data version %+v", back.TopicConfigSerializeWrapper.DataVersion)
	}
	for name, tc := range body.TopicConfigSerializeWrapper.TopicConfigTable {
		got := back.TopicConfigSerializeWrapper.TopicConfigTable[name]
		// The compressed form carries no order and no topicSysFlag, as in Java.
		want := *tc
		want.Order, want.TopicSysFlag = false, 0
		if got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: %+v want %+v", name, got, want)
		}
	}
	// Damaged compressed bodies fail cleanly.
	for _, bad := range [][]byte{nil, {0x78}, z[:len(z)/2], []byte("not zlib")} {
		if _, err := UnmarshalRegisterBrokerBody(bad, true); err == nil {
			t.Errorf("accepted %x", bad)
		}
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{`{0:"x",1:"y"}`, `{"0":"x","1":"y"}`},
		{`{ 0 : "x" , -1:2}`, `{ "0" : "x" , "-1":2}`},
		{`{"t":{0:11,1:7
		}}`, `{"t":{"0":11,"1":7
		}}`},
		{`{{"brokerName":"b","queueId":0,"topic":"t"}:42}`, `{"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"t\"}":42}`},
		{`{"s":"{0:1}","a":[{1:2}]}`, `{"s":"{0:1}","a":[{"1":2}]}`},
		{`{"k\"":{2:3}}`, `{"k\"":{"2":3}}`},
		{`[]`, `[]`},
	}
	for _, c := range cases {
		got, err := normalize([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("normalize(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{`{`, `{"a":"x`, `}`, `{0`, `{{"a":1}`, `[[[`, strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if _, err := normalize([]byte(bad)); !errors.Is(err, ErrBadJSON) {
			t.Errorf("normalize(%q) err %v", bad, err)
		}
	}
}

func TestPretty(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{}`, `{}`},
		{`{"a":{}}`, "{\n\t\"a\":{}\n}"},
		{`{"a":1,"b":{"c":"x,}{"}}`, "{\n\t\"a\":1,\n\t\"b\":{\n\t\t\"c\":\"x,}{\"\n\t}\n}"},
		{`{"o":{0:1,1:2}}`, "{\n\t\"o\":{0:1,1:2\n\t}\n}"},
		{`{"l":["a",{"b":1}]}`, "{\n\t\"l\":[\"a\",{\"b\":1}]\n}"},
	}
	for _, c := range cases {
		if got := string(Pretty([]byte(c.in))); got != c.want {
			t.Errorf("Pretty(%s) = %q want %q", c.in, got, c.want)
		}
	}
}

// TestRouteForms checks both route forms against the protocol notes' generated examples.
func TestRouteForms(t *testing.T) {
	r := TopicRouteData{
		QueueDatas: []QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4}},
		BrokerDatas: []BrokerData{{Cluster: "DefaultCluster", BrokerName: "broker-a",
			BrokerAddrs: map[int64]string{1: "192.168.0.11:10911", 0: "192.168.0.10:10911"}}},
		FilterServerTable: map[string][]string{},
	}
	const fast = `{"brokerDatas":[{"brokerAddrs":{0:"192.168.0.10:10911",1:"192.168.0.11:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	const std = `{"brokerDatas":[{"brokerAddrs":{"0":"192.168.0.10:10911","1":"192.168.0.11:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	if got := string(r.Marshal(false)); got != fast {
		t.Errorf("fastjson form\n%s", got)
	}
	if got := string(r.Marshal(true)); got != std {
		t.Errorf("standard form\n%s", got)
	}
	r.OrderTopicConf = "broker-a:4"
	if got := string(r.Marshal(false)); !strings.Contains(got, `"filterServerTable":{},"orderTopicConf":"broker-a:4","queueDatas"`) {
		t.Errorf("orderTopicConf placement: %s", got)
	}
	// Non-ASCII: raw in the fastjson form, escaped in the standard one.
	r.BrokerDatas[0].Cluster = "集群😀"
	if got := string(r.Marshal(false)); !strings.Contains(got, `"cluster":"集群😀"`) {
		t.Errorf("raw utf-8: %s", got)
	}
	if got := string(r.Marshal(true)); !strings.Contains(got, `"cluster":"\u96C6\u7FA4\uD83D\uDE00"`) {
		t.Errorf("escaped: %s", got)
	}
	var back TopicRouteData
	if err := back.Unmarshal(r.Marshal(true)); err != nil || back.BrokerDatas[0].Cluster != "集群😀" ||
		back.BrokerDatas[0].BrokerAddrs[1] != "192.168.0.11:10911" {
		t.Errorf("%+v %v", back, err)
	}
}

// TestMQKeyedForms checks the object-key map form against the notes' generated examples, which
// the Go client's hand-written parser depends on.
func TestMQKeyedForms(t *testing.T) {
	q0 := MessageQueue{Topic: "TopicTest", BrokerName: "broker-a", QueueID: 0}
	q1 := MessageQueue{Topic: "TopicTest", BrokerName: "broker-a", QueueID: 1}
	r := ResetOffsetBody{OffsetTable: map[MessageQueue]int64{q1: 43, q0: 42}}
	const want = `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:42,{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:43}}`
	if got := string(r.Marshal()); got != want {
		t.Errorf("reset body %s", got)
	}
	var back ResetOffsetBody
	if err := back.Unmarshal([]byte(want)); err != nil || back.OffsetTable[q1] != 43 || len(back.OffsetTable) != 2 {
		t.Errorf("%v %v", back, err)
	}
	// Java also accepts (and may be sent) string keys holding the object's JSON.
	if err := back.Unmarshal([]byte(`{"offsetTable":{"{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"TopicTest\"}":42}}`)); err != nil || back.OffsetTable[q0] != 42 {
		t.Errorf("string key form: %v %v", back, err)
	}
	cs := ConsumeStats{ConsumeTps: 1.5, OffsetTable: map[MessageQueue]OffsetWrapper{q0: {BrokerOffset: 100, ConsumerOffset: 90, LastTimestamp: 1700000000000}}}
	const csWant = `{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000}}}`
	if got := string(cs.Marshal()); got != csWant {
		t.Errorf("consume stats %s", got)
	}
	list := ConsumeStatsList{BrokerAddr: "192.168.0.10:10911", TotalDiff: 10, ConsumeStatsList: []map[string][]ConsumeStats{{"CG": {cs}}}}
	const listWant = `{"brokerAddr":"192.168.0.10:10911","consumeStatsList":[{"CG":[` + csWant + `]}],"totalDiff":10}`
	if got := string(list.Marshal()); got != listWant {
		t.Errorf("stats list %s", got)
	}
	var lb ConsumeStatsList
	if err := lb.Unmarshal([]byte(listWant)); err != nil || lb.ConsumeStatsList[0]["CG"][0].OffsetTable[q0].ConsumerOffset != 90 {
		t.Errorf("%+v %v", lb, err)
	}
	st := GetConsumerStatusBody{MessageQueueTable: map[MessageQueue]int64{q0: 42},
		ConsumerTable: map[string]map[MessageQueue]int64{"192.168.0.2@12345": {q0: 42}}}
	const stWant = `{"consumerTable":{"192.168.0.2@12345":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:42}},"messageQueueTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:42}}`
	if got := string(st.Marshal()); got != stWant {
		t.Errorf("status %s", got)
	}
	var sb GetConsumerStatusBody
	if err := sb.Unmarshal([]byte(stWant)); err != nil || sb.ConsumerTable["192.168.0.2@12345"][q0] != 42 {
		t.Errorf("%+v %v", sb, err)
	}
}

// TestHeartbeatForms decodes the notes' Java and Go heartbeats: codeSet as numbers or strings,
// nanosecond subVersion.
func TestHeartbeatForms(t *testing.T) {
	const java = `{"clientID":"192.168.0.2@12345","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[{"groupName":"PG"}]}`
	const gofmt = `{"clientID":"10.0.0.1@1234","producerDataSet":[{"groupName":"PG"}],"consumerDataSet":[{"groupName":"CG","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicTest","subString":"TagA||TagB","tagsSet":["TagA","TagB"],"codeSet":["2598919"],"subVersion":1700000000000000000,"expressionType":"TAG"}],"unitMode":false}]}`
	var h HeartbeatData
	if err := h.Unmarshal([]byte(java)); err != nil {
		t.Fatal(err)
	}
	if got := string(h.Marshal()); got != java {
		t.Errorf("java re-encode\n%s", got)
	}
	if err := h.Unmarshal([]byte(gofmt)); err != nil {
		t.Fatal(err)
	}
	s := h.ConsumerDataSet[0].SubscriptionDataSet[0]
	if len(s.CodeSet) != 1 || s.CodeSet[0] != 2598919 || s.SubVersion != 1700000000000000000 || h.ClientID != "10.0.0.1@1234" {
		t.Errorf("go heartbeat %+v", h)
	}
	for _, bad := range []string{`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["x"]}]}]}`,
		`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":[true]}]}]}`, `{"clientID":`} {
		if err := h.Unmarshal([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestSmallBodies(t *testing.T) {
	cases := []struct {
		name string
		got  []byte
		want string
	}{
		{"topic list", (&TopicList{TopicList: []string{"TopicTest", "TBW102"}}).Marshal(), `{"topicList":["TopicTest","TBW102"]}`},
		{"system topic list", (&TopicList{TopicList: []string{}, BrokerAddr: "a:1"}).Marshal(), `{"brokerAddr":"a:1","topicList":[]}`},
		{"kv", (&KVTable{Table: map[string]string{"k2": "v2", "k1": "v1"}}).Marshal(), `{"table":{"k1":"v1","k2":"v2"}}`},
		{"group list", (&GroupList{GroupList: []string{"CG"}}).Marshal(), `{"groupList":["CG"]}`},
		{"consumer ids", (&GetConsumerListByGroupResponseBody{ConsumerIDList: []string{"a@1"}}).Marshal(), `{"consumerIdList":["a@1"]}`},
		{"correction", (&QueryCorrectionOffsetBody{CorrectionOffsets: map[int32]int64{0: 10}}).Marshal(), `{"correctionOffsets":{0:10}}`},
		{"data version", (&DataVersion{Counter: 3, Timestamp: 1700000000000}).Marshal(), `{"counter":3,"timestamp":1700000000000}`},
		{"topic config", NewTopicConfig("TopicTest").Marshal(), `{"order":false,"perm":6,"readQueueNums":16,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":16}`},
		{"group config", NewSubscriptionGroupConfig("CG").Marshal(), `{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"CG","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}`},
		{"lock", (&LockBatchResponseBody{LockOKMQSet: []MessageQueue{{Topic: "TopicTest", BrokerName: "broker-a"}}}).Marshal(), `{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}]}`},
		{"topic stats", (&TopicStatsTable{OffsetTable: map[MessageQueue]TopicOffset{{Topic: "TopicTest", BrokerName: "broker-a"}: {MaxOffset: 100, LastUpdateTimestamp: 1700000000000}}}).Marshal(),
			`{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":100,"minOffset":0}}}`},
		{"cluster", (&ClusterInfo{BrokerAddrTable: map[string]*BrokerData{"broker-a": {Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "192.168.0.10:10911", 1: "192.168.0.11:10911"}}},
			ClusterAddrTable: map[string][]string{"DefaultCluster": {"broker-a"}}}).Marshal(),
			`{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"192.168.0.10:10911",1:"192.168.0.11:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`},
	}
	for _, c := range cases {
		if string(c.got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
	// A group body with only some properties keeps Java's defaults for the rest.
	var g SubscriptionGroupConfig
	if err := g.Unmarshal([]byte(`{"groupName":"G","retryMaxTimes":3}`)); err != nil || g.RetryMaxTimes != 3 || !g.ConsumeEnable || g.RetryQueueNums != 1 {
		t.Errorf("%+v %v", g, err)
	}
}

func TestDoubles(t *testing.T) {
	cases := map[float64]string{0: "0.0", 1.5: "1.5", 0.016666666666666666: "0.016666666666666666", 100: "100.0",
		1e7: "1.0E7", 12345678.9: "1.23456789E7", 0.0001: "1.0E-4", -2: "-2.0"}
	for v, want := range cases {
		e := encoder{}
		e.f64(v)
		if string(e.b) != want {
			t.Errorf("%v -> %s want %s", v, e.b, want)
		}
	}
}

func TestBodiesRejectGarbage(t *testing.T) {
	inputs := [][]byte{nil, []byte(""), []byte("{"), []byte(`{"topicConfigTable":[1]}`), []byte("\x00\xff"),
		[]byte(`{"offsetTable":{{"queueId":"x"}:1}}`), []byte(base64.StdEncoding.EncodeToString([]byte("x")))}
	for _, in := range inputs {
		var w TopicConfigSerializeWrapper
		var r ResetOffsetBody
		var h HeartbeatData
		var c ConsumeStats
		// None may panic; most must fail.
		_ = w.Unmarshal(in)
		_ = r.Unmarshal(in)
		_ = h.Unmarshal(in)
		_ = c.Unmarshal(in)
	}
	var r ResetOffsetBody
	if err := r.Unmarshal([]byte(`{"offsetTable":{{"queueId":"x"}:1}}`)); err == nil {
		t.Error("bad MessageQueue key accepted")
	}
}

func TestRegisterBrokerResult(t *testing.T) {
	in := RegisterBrokerResult{HaServerAddr: "10.0.0.1:10912", MasterAddr: "10.0.0.1:10911",
		KVTable: map[string]string{"TopicOrder": "broker-a:4;broker-b:4"}}
	ext := remoting.ExtFields{}
	body := in.Encode(&ext)
	if string(body) != `{"table":{"TopicOrder":"broker-a:4;broker-b:4"}}` || ext.Value("masterAddr") != in.MasterAddr {
		t.Fatalf("%s %v", body, ext)
	}
	var out RegisterBrokerResult
	if err := out.Decode(ext, body); err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("%+v %v", out, err)
	}
	master := RegisterBrokerResult{}
	ext = remoting.ExtFields{}
	if body := master.Encode(&ext); body != nil || len(ext) != 0 || ext == nil {
		t.Errorf("master result: %s %v", body, ext)
	}
}

func TestTimeSpanBody(t *testing.T) {
	q := QueryConsumeTimeSpanBody{ConsumeTimeSpanSet: []QueueTimeSpan{{MessageQueue: MessageQueue{Topic: "TopicTest", BrokerName: "broker-a"},
		MinTimeStamp: 1, MaxTimeStamp: 2, ConsumeTimeStamp: 3, DelayTime: 4}}}
	const want = `{"consumeTimeSpanSet":[{"consumeTimeStamp":3,"consumeTimeStampStr":"1970-01-01#00:00:00:003","delayTime":4,"maxTimeStamp":2,"maxTimeStampStr":"1970-01-01#00:00:00:002","messageQueue":{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"},"minTimeStamp":1,"minTimeStampStr":"1970-01-01#00:00:00:001"}]}`
	if got := string(q.Marshal(time.UTC)); got != want {
		t.Errorf("got %s", got)
	}
	var back QueryConsumeTimeSpanBody
	if err := back.Unmarshal([]byte(want)); err != nil || !reflect.DeepEqual(back, q) {
		t.Errorf("%+v %v", back, err)
	}
}
