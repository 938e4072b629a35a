package namesrv

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func ext(kv ...string) remoting.ExtFields {
	e := remoting.ExtFields{}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Set(kv[i], kv[i+1])
	}
	return e
}

func request(code int32, body []byte, kv ...string) *remoting.Command {
	return remoting.NewRequest(code, ext(kv...), body)
}

const topicConfigsJSON = `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":%d,"timestamp":1700000000000},"topicConfigTable":{` +
	`"TopicA":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicA","topicSysFlag":0,"writeQueueNums":4},` +
	`"TBW102":{"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8}}}}`

func registerBodyJSON(counter int) []byte {
	return []byte(strings.Replace(topicConfigsJSON, "%d", strconv.Itoa(counter), 1))
}

func registerRequest(name string, id int, addr string, body []byte, extra ...string) *remoting.Command {
	kv := append([]string{"brokerName", name, "brokerAddr", addr, "clusterName", "DefaultCluster",
		"haServerAddr", addr + "2", "brokerId", strconv.Itoa(id), "compressed", "false",
		"bodyCrc32", strconv.Itoa(int(protocol.BodyCRC32(body)))}, extra...)
	return request(protocol.RegisterBroker, body, kv...)
}

func TestJavaCRC32MatchesCapture(t *testing.T) {
	recs := readRecords(t, "../testdata/namesrv/01-broker-register.jsonl")
	for _, r := range recs {
		if r.Code == 103 && r.Dir == "c2s" {
			want, _ := strconv.Atoi(r.ExtFields["bodyCrc32"])
			if got := protocol.BodyCRC32(r.body(t)); int(got) != want {
				t.Errorf("crc32 = %d, broker sent %d", got, want)
			}
		}
	}
}

func TestRegisterResponses(t *testing.T) {
	ns := newTestNameServer(t)
	ch := newFakeChannel("10.0.0.1:40000")
	body := registerBodyJSON(1)

	tests := []struct {
		name       string
		req        *remoting.Command
		wantCode   int32
		wantRemark string
	}{
		{"crc mismatch", registerRequest("b", 0, "10.0.0.1:10911", body, "bodyCrc32", "12345"), protocol.SystemError, "crc32 not match"},
		{"crc 0 is unchecked", registerRequest("b", 0, "10.0.0.1:10911", body, "bodyCrc32", "0"), protocol.Success, ""},
		{"missing brokerName", request(protocol.RegisterBroker, body, "brokerAddr", "x:1", "clusterName", "C",
			"haServerAddr", "x:2", "brokerId", "0"), protocol.SystemError, "the custom field <brokerName> is null"},
		{"bad body", registerRequest("b", 0, "10.0.0.1:10911", []byte("{not json")), protocol.SystemError, ""},
		{"no body", registerRequest("c", 0, "10.0.0.3:10911", nil), protocol.Success, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := ns.Process(ch, tc.req)
			if resp.Code != tc.wantCode {
				t.Fatalf("code %d (%s), want %d", resp.Code, resp.Remark, tc.wantCode)
			}
			if tc.wantRemark != "" && resp.Remark != tc.wantRemark {
				t.Errorf("remark %q, want %q", resp.Remark, tc.wantRemark)
			}
		})
	}
	// The crc mismatch must not have registered anything before the good one did.
	if _, ok := ns.routes.Route("TopicA"); !ok {
		t.Fatal("TopicA not registered")
	}

	// A slave learns its master; the ORDER_TOPIC_CONFIG namespace comes back as KVTable.
	ns.Process(ch, request(protocol.PutKvConfig, nil, "namespace", NamespaceOrderTopicConfig, "key", "TopicA", "value", "b:4"))
	resp := ns.Process(ch, registerRequest("b", 1, "10.0.0.2:10911", body))
	if resp.Code != 0 || resp.ExtFields.Value("masterAddr") != "10.0.0.1:10911" || resp.ExtFields.Value("haServerAddr") != "10.0.0.1:109112" {
		t.Errorf("slave register: %d %v", resp.Code, resp.ExtFields)
	}
	if want := `{"table":{"TopicA":"b:4"}}`; string(resp.Body) != want {
		t.Errorf("register body %s, want %s", resp.Body, want)
	}
}

// compressBody builds the compressRegister=true body layout.
func compressBody(t *testing.T, dv string, topics []string, filters string) []byte {
	var raw bytes.Buffer
	put := func(b []byte) {
		_ = binary.Write(&raw, binary.BigEndian, int32(len(b)))
		raw.Write(b)
	}
	put([]byte(dv))
	_ = binary.Write(&raw, binary.BigEndian, int32(len(topics)))
	for _, tc := range topics {
		put([]byte(tc))
	}
	put([]byte(filters))
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	w.Write(raw.Bytes())
	w.Close()
	return z.Bytes()
}

func TestRegisterCompressedAndFilterServers(t *testing.T) {
	ns := newTestNameServer(t)
	ch := newFakeChannel("10.0.0.1:40000")
	body := compressBody(t, `{"counter":3,"timestamp":1700000000000}`,
		[]string{"TopicZ 2 3 6 SINGLE_TAG", `Topic5 1 1 6 SINGLE_TAG {"+message.type":"NORMAL"}`}, `["10.0.0.1:7000"]`)
	resp := ns.Process(ch, registerRequest("b", 0, "10.0.0.1:10911", body, "compressed", "true"))
	if resp.Code != 0 {
		t.Fatalf("compressed register: %d %s", resp.Code, resp.Remark)
	}
	r, ok := ns.routes.Route("TopicZ")
	if !ok || r.QueueDatas[0].ReadQueueNums != 2 || r.QueueDatas[0].WriteQueueNums != 3 {
		t.Fatalf("TopicZ route %+v", r)
	}
	if _, ok := ns.routes.Route("Topic5"); !ok {
		t.Error("5.x topic config text with attributes not accepted")
	}
	if got := r.FilterServerTable["10.0.0.1:10911"]; len(got) != 1 || got[0] != "10.0.0.1:7000" {
		t.Errorf("filter servers %v", r.FilterServerTable)
	}
	route := ns.Process(ch, request(protocol.GetRouteinfoByTopic, nil, "topic", "TopicZ"))
	if !bytes.Contains(route.Body, []byte(`"filterServerTable":{"10.0.0.1:10911":["10.0.0.1:7000"]}`)) {
		t.Errorf("route body %s", route.Body)
	}
	for _, bad := range [][]byte{
		[]byte("not zlib"),
		compressBody(t, `{"counter":3}`, []string{"TopicZ 2 3"}, `[]`),
		compressBody(t, `{"counter":3}`, []string{"TopicZ 2 x 6 SINGLE_TAG"}, `[]`),
		compressBody(t, `{"counter":3}`, nil, `[]`)[:10],
	} {
		if resp := ns.Process(ch, registerRequest("b", 0, "10.0.0.1:10911", bad, "compressed", "true")); resp.Code != protocol.SystemError {
			t.Errorf("bad compressed body answered %d", resp.Code)
		}
	}
}

func TestOldBrokerVersionBody(t *testing.T) {
	ns := newTestNameServer(t)
	body := []byte(`{"dataVersion":{"counter":1,"timestamp":5},"topicConfigTable":{"Old":{"perm":6,"readQueueNums":2,"topicName":"Old","writeQueueNums":2}}}`)
	req := registerRequest("b", 0, "10.0.0.1:10911", body)
	req.Version = 36 // before V3_0_11: the body is the bare TopicConfigSerializeWrapper
	if resp := ns.Process(newFakeChannel("x:1"), req); resp.Code != 0 {
		t.Fatalf("old register: %d %s", resp.Code, resp.Remark)
	}
	if _, ok := ns.routes.Route("Old"); !ok {
		t.Error("old-format body not applied")
	}
}

func TestRouteForms(t *testing.T) {
	ns := newTestNameServer(t)
	ch := newFakeChannel("10.0.0.1:40000")
	ns.Process(ch, registerRequest("b", 0, "10.0.0.1:10911", registerBodyJSON(1)))

	tests := []struct {
		name     string
		version  int32
		extra    []string
		wantBody string
	}{
		{"go client 317 gets bare ids", 317, nil, `{0:"10.0.0.1:10911"}`},
		{"java 409 gets quoted ids", 409, nil, `{"0":"10.0.0.1:10911"}`},
		{"acceptStandardJsonOnly", 317, []string{"acceptStandardJsonOnly", "true"}, `{"0":"10.0.0.1:10911"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := request(protocol.GetRouteinfoByTopic, nil, append([]string{"topic", "TopicA"}, tc.extra...)...)
			req.Version = tc.version
			resp := ns.Process(ch, req)
			if resp.Code != 0 || !bytes.Contains(resp.Body, []byte(tc.wantBody)) {
				t.Errorf("code %d body %s, want it to contain %s", resp.Code, resp.Body, tc.wantBody)
			}
			if bytes.Contains(resp.Body, []byte("orderTopicConf")) {
				t.Error("orderTopicConf present although orderMessageEnable is off")
			}
		})
	}

	resp := ns.Process(ch, request(protocol.GetRouteinfoByTopic, nil, "topic", "Nope"))
	want := "No topic route info in name server for the topic: Nope\nSee http://rocketmq.apache.org/docs/faq/ for further details."
	if resp.Code != protocol.TopicNotExist || resp.Remark != want || resp.Body != nil {
		t.Errorf("unknown topic: %d %q %s", resp.Code, resp.Remark, resp.Body)
	}
	if resp := ns.Process(ch, request(protocol.GetRouteinfoByTopic, nil)); resp.Code != protocol.SystemError {
		t.Errorf("route without topic: %d", resp.Code)
	}

	// orderTopicConf appears between filterServerTable and queueDatas when enabled.
	ns.cfg.OrderMessageEnable = true
	ns.Process(ch, request(protocol.PutKvConfig, nil, "namespace", NamespaceOrderTopicConfig, "key", "TopicA", "value", "b:4"))
	resp = ns.Process(ch, request(protocol.GetRouteinfoByTopic, nil, "topic", "TopicA"))
	if !bytes.Contains(resp.Body, []byte(`"filterServerTable":{},"orderTopicConf":"b:4","queueDatas":[`)) {
		t.Errorf("orderTopicConf missing: %s", resp.Body)
	}
}

func TestKVConfigCodes(t *testing.T) {
	ns := newTestNameServer(t)
	ch := newFakeChannel("10.0.0.9:1")
	steps := []struct {
		req        *remoting.Command
		wantCode   int32
		wantRemark string
		wantValue  string
		wantBody   string
	}{
		{req: request(protocol.GetKvConfig, nil, "namespace", "ns", "key", "k"), wantCode: 22, wantRemark: "No config item, Namespace: ns Key: k"},
		{req: request(protocol.GetKvlistByNamespace, nil, "namespace", "ns"), wantCode: 22, wantRemark: "No config item, Namespace: ns"},
		{req: request(protocol.PutKvConfig, nil, "namespace", "ns", "key", "k"), wantCode: 1, wantRemark: "the custom field <value> is null"},
		{req: request(protocol.PutKvConfig, nil, "namespace", "ns", "key", "k", "value", "v1")},
		{req: request(protocol.PutKvConfig, nil, "namespace", "ns", "key", "k2", "value", "ünï \"q\"")},
		{req: request(protocol.GetKvConfig, nil, "namespace", "ns", "key", "k"), wantValue: "v1"},
		{req: request(protocol.GetKvlistByNamespace, nil, "namespace", "ns"), wantBody: `{"table":{"k":"v1","k2":"ünï \"q\""}}`},
		{req: request(protocol.DeleteKvConfig, nil, "namespace", "ns", "key", "k")},
		{req: request(protocol.DeleteKvConfig, nil, "namespace", "ns", "key", "never")},
		{req: request(protocol.GetKvConfig, nil, "namespace", "ns", "key", "k"), wantCode: 22, wantRemark: "No config item, Namespace: ns Key: k"},
	}
	for i, s := range steps {
		resp := ns.Process(ch, s.req)
		if resp.Code != s.wantCode || (s.wantRemark != "" && resp.Remark != s.wantRemark) {
			t.Fatalf("step %d (code %d): got %d %q, want %d %q", i, s.req.Code, resp.Code, resp.Remark, s.wantCode, s.wantRemark)
		}
		if s.wantValue != "" && resp.ExtFields.Value("value") != s.wantValue {
			t.Errorf("step %d: value %v", i, resp.ExtFields)
		}
		if s.wantBody != "" && string(resp.Body) != s.wantBody {
			t.Errorf("step %d: body %s, want %s", i, resp.Body, s.wantBody)
		}
	}
	data, err := os.ReadFile(ns.cfg.KvConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"configTable":{"ns":{"k2":"ünï \"q\""}}}`; string(data) != want {
		t.Errorf("kvConfig.json = %s, want %s", data, want)
	}
	if _, err := os.Stat(ns.cfg.KvConfigPath + ".bak"); err != nil {
		t.Errorf("no .bak after several writes: %v", err)
	}
	// A new NameServer on the same file sees the table.
	cfg := *ns.cfg
	ns2, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := ns2.kv.Get("ns", "k2"); !ok || v != `ünï "q"` {
		t.Errorf("reloaded k2 = %q %v", v, ok)
	}
}

func TestKVConfigBadFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/kvConfig.json"
	os.WriteFile(path, []byte("{broken"), 0o644)
	cfg := NewConfig()
	cfg.KvConfigPath = path
	if _, err := New(cfg); err == nil {
		t.Error("a damaged kvConfig.json without backup started silently")
	}
	os.WriteFile(path+".bak", []byte(`{"configTable":{"a":{"b":"c"}}}`), 0o644)
	ns, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := ns.kv.Get("a", "b"); v != "c" {
		t.Errorf("backup not used: %q", v)
	}
}

func TestPermAndTopicAdminCodes(t *testing.T) {
	ns := newTestNameServer(t)
	ch := newFakeChannel("10.0.0.1:40000")
	ns.Process(ch, registerRequest("b", 0, "10.0.0.1:10911", registerBodyJSON(1)))

	resp := ns.Process(ch, request(protocol.WipeWritePermOfBroker, nil, "brokerName", "b"))
	if resp.Code != 0 || resp.ExtFields.Value("wipeTopicCount") != "2" {
		t.Errorf("wipe: %d %v", resp.Code, resp.ExtFields)
	}
	r, _ := ns.routes.Route("TopicA")
	if r.QueueDatas[0].Perm != protocol.PermRead {
		t.Errorf("perm after wipe %d", r.QueueDatas[0].Perm)
	}
	resp = ns.Process(ch, request(protocol.AddWritePermOfBroker, nil, "brokerName", "b"))
	if resp.Code != 0 || resp.ExtFields.Value("addTopicCount") != "2" {
		t.Errorf("add: %d %v", resp.Code, resp.ExtFields)
	}
	resp = ns.Process(ch, request(protocol.WipeWritePermOfBroker, nil, "brokerName", "nobody"))
	if resp.ExtFields.Value("wipeTopicCount") != "0" {
		t.Errorf("unknown broker: %v", resp.ExtFields)
	}
	if resp := ns.Process(ch, request(protocol.WipeWritePermOfBroker, nil)); resp.Code != protocol.SystemError {
		t.Errorf("wipe without brokerName: %d", resp.Code)
	}

	resp = ns.Process(ch, request(protocol.GetTopicsByCluster, nil, "cluster", "DefaultCluster"))
	if string(resp.Body) != `{"topicList":["TBW102","TopicA"]}` {
		t.Errorf("topics by cluster: %s", resp.Body)
	}
	resp = ns.Process(ch, request(protocol.GetTopicsByCluster, nil, "cluster", "Other"))
	if resp.Code != 0 || string(resp.Body) != `{"topicList":[]}` {
		t.Errorf("unknown cluster: %d %s", resp.Code, resp.Body)
	}
	resp = ns.Process(ch, request(protocol.GetSystemTopicListFromNs, nil))
	if string(resp.Body) != `{"brokerAddr":"10.0.0.1:10911","topicList":["DefaultCluster","b"]}` {
		t.Errorf("system topics: %s", resp.Body)
	}
	resp = ns.Process(ch, request(protocol.GetUnitTopicList, nil))
	if string(resp.Body) != `{"topicList":[]}` {
		t.Errorf("unit topics: %s", resp.Body)
	}

	resp = ns.Process(ch, request(protocol.DeleteTopicInNamesrv, nil, "topic", "TopicA", "clusterName", "DefaultCluster"))
	if resp.Code != 0 {
		t.Fatalf("delete: %d", resp.Code)
	}
	resp = ns.Process(ch, request(protocol.GetAllTopicListFromNameserver, nil))
	if string(resp.Body) != `{"topicList":["TBW102"]}` {
		t.Errorf("all topics after delete: %s", resp.Body)
	}
}

func TestQueryDataVersionCode(t *testing.T) {
	ns := newTestNameServer(t)
	ch := newFakeChannel("10.0.0.1:40000")
	ns.Process(ch, registerRequest("b", 0, "10.0.0.1:10911", registerBodyJSON(7)))
	id := []string{"brokerName", "b", "brokerAddr", "10.0.0.1:10911", "clusterName", "DefaultCluster", "brokerId", "0"}
	for _, tc := range []struct {
		body, changed string
	}{
		{`{"counter":7,"timestamp":1700000000000}`, "false"},
		{`{"counter":8,"timestamp":1700000000000}`, "true"},
	} {
		resp := ns.Process(ch, request(protocol.QueryDataVersion, []byte(tc.body), id...))
		if resp.Code != 0 || resp.ExtFields.Value("changed") != tc.changed ||
			string(resp.Body) != `{"counter":7,"timestamp":1700000000000}` {
			t.Errorf("query %s: %d %v %s", tc.body, resp.Code, resp.ExtFields, resp.Body)
		}
	}
	if resp := ns.Process(ch, request(protocol.QueryDataVersion, []byte("x"), id...)); resp.Code != protocol.SystemError {
		t.Errorf("bad body: %d", resp.Code)
	}
}

func TestNamesrvConfigCodes(t *testing.T) {
	ns := newTestNameServer(t)
	ns.cfg.Extra = []conf.Property{{Key: "fromFile", Value: "1"}}
	ns.cfg.ProductEnvName = `a=b\c`
	ch := newFakeChannel("10.0.0.1:40000")
	resp := ns.Process(ch, request(protocol.GetNamesrvConfig, nil))
	for _, want := range []string{"listenPort=9876\n", "orderMessageEnable=false\n", `productEnvName=a\=b\\c` + "\n",
		"serverChannelMaxIdleTimeSeconds=120\n", "fromFile=1\n"} {
		if !strings.Contains(string(resp.Body), want) {
			t.Errorf("config text lacks %q:\n%s", want, resp.Body)
		}
	}
	tests := []struct {
		body     string
		wantCode int32
	}{
		{"kvConfigPath=/tmp/x\n", protocol.NoPermission},
		{"orderMessageEnable=true\nconfigStorePath=/x\n", protocol.NoPermission},
		{"listenPort=abc\n", protocol.SystemError},
		{"orderMessageEnable=true\nnoSuchKey=1\nproductEnvName=test\nfromFile=2\n", protocol.Success},
	}
	for _, tc := range tests {
		resp := ns.Process(ch, request(protocol.UpdateNamesrvConfig, []byte(tc.body)))
		if resp.Code != tc.wantCode {
			t.Errorf("update %q: %d %s, want %d", tc.body, resp.Code, resp.Remark, tc.wantCode)
		}
	}
	if !ns.cfg.OrderMessageEnable || ns.cfg.ProductEnvName != "test" || ns.cfg.ListenPort != 9876 {
		t.Errorf("config after updates: %+v", ns.cfg)
	}
	data, err := os.ReadFile(ns.cfg.ConfigStorePath)
	if err != nil || !strings.Contains(string(data), "productEnvName=test\n") || !strings.Contains(string(data), "fromFile=2\n") ||
		strings.Contains(string(data), "noSuchKey") {
		t.Errorf("config file: %v %s", err, data)
	}
}

func TestBrokerHeartbeatCode(t *testing.T) {
	ns := newTestNameServer(t)
	ch := newFakeChannel("10.0.0.1:40000")
	ns.Process(ch, registerRequest("b", 0, "10.0.0.1:10911", registerBodyJSON(1)))
	resp := ns.Process(ch, request(protocol.BrokerHeartbeat, nil, "clusterName", "DefaultCluster", "brokerAddr", "10.0.0.1:10911", "brokerName", "b"))
	if resp.Code != 0 {
		t.Errorf("heartbeat: %d %s", resp.Code, resp.Remark)
	}
	if resp := ns.Process(ch, request(protocol.BrokerHeartbeat, nil, "clusterName", "DefaultCluster")); resp.Code != protocol.SystemError {
		t.Errorf("heartbeat without brokerAddr: %d", resp.Code)
	}
}

func TestUnknownCode(t *testing.T) {
	ns := newTestNameServer(t)
	resp := ns.Process(newFakeChannel("x:1"), request(9999, nil))
	if resp.Code != protocol.RequestCodeNotSupported || resp.Remark != " request type 9999 not supported" {
		t.Errorf("unknown code: %d %q", resp.Code, resp.Remark)
	}
}

func BenchmarkGetRouteInfo(b *testing.B) {
	cfg := NewConfig()
	cfg.KvConfigPath = ""
	ns, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ns.log = quietLog()
	ns.routes.log = ns.log
	ch := newFakeChannel("x:1")
	ns.Process(ch, registerRequest("b", 0, "10.0.0.1:10911", registerBodyJSON(1)))
	req := request(protocol.GetRouteinfoByTopic, nil, "topic", "TopicA")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if resp := ns.Process(ch, req); resp.Code != 0 {
			b.Fatal(resp.Code)
		}
	}
}
