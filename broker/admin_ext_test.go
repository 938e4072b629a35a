package broker

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func adminReq(code int32, body []byte, kv ...string) *remoting.Command {
	return remoting.NewRequest(code, ext(kv...), body)
}

func TestAdminSubscriptionGroups(t *testing.T) {
	t.Parallel()
	db := startDataBroker(t, nil)
	body := []byte(`{"brokerId":0,"consumeBroadcastEnable":false,"consumeEnable":true,"consumeFromMinEnable":false,` +
		`"groupName":"g1","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":5,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}`)
	mustCode(t, db.invoke(adminReq(protocol.UpdateAndCreateSubscriptiongroup, body)), protocol.Success)

	resp := db.invoke(adminReq(protocol.GetAllSubscriptiongroupConfig, nil))
	mustCode(t, resp, protocol.Success)
	var w protocol.SubscriptionGroupWrapper
	if err := w.Unmarshal(resp.Body); err != nil {
		t.Fatalf("201 body: %v\n%s", err, resp.Body)
	}
	if g := w.SubscriptionGroupTable["g1"]; g == nil || g.RetryMaxTimes != 5 || g.ConsumeBroadcastEnable {
		t.Fatalf("g1 in 201 = %+v", g)
	}
	if w.SubscriptionGroupTable["TOOLS_CONSUMER"] == nil {
		t.Fatal("built-in group TOOLS_CONSUMER missing from 201")
	}

	resp = db.invoke(adminReq(protocol.GetSubscriptiongroupConfig, nil, "group", "g1"))
	mustCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `"retryMaxTimes":5`) {
		t.Fatalf("352 body %s", resp.Body)
	}

	// Bad bodies are refused and change nothing.
	for _, bad := range []string{`{not json`, `{"retryMaxTimes":3}`, `{"groupName":"g1","retryQueueNums":-1}`} {
		mustCode(t, db.invoke(adminReq(protocol.UpdateAndCreateSubscriptiongroup, []byte(bad))), protocol.SystemError)
	}
	if g := db.b.groups.Get("g1"); g.RetryMaxTimes != 5 || g.RetryQueueNums != 1 {
		t.Fatalf("bad update half-applied: %+v", g)
	}

	// 207 with the 5.x spelling removes the offsets too.
	db.b.offsets.CommitOffset("t", "g1", "T1", 0, 7)
	mustCode(t, db.invoke(adminReq(protocol.DeleteSubscriptiongroup, nil, "groupName", "g1", "cleanOffset", "true")), protocol.Success)
	if db.b.groups.Get("g1") != nil || db.b.offsets.QueryOffset("g1", "T1", 0) != -1 {
		t.Fatal("group or offsets survived 207 cleanOffset=true")
	}
	mustCode(t, db.invoke(adminReq(protocol.GetSubscriptiongroupConfig, nil, "group", "g1")), protocol.SubscriptionGroupNotExist)
	// Unknown group: still 0, as Java.
	mustCode(t, db.invoke(adminReq(protocol.DeleteSubscriptiongroup, nil, "groupName", "nope")), protocol.Success)
	mustCode(t, db.invoke(adminReq(protocol.DeleteSubscriptiongroup, nil)), protocol.SystemError)
}

func TestAdminBrokerConfig(t *testing.T) {
	t.Parallel()
	db := startDataBroker(t, nil)
	cfgFile := t.TempDir() + "/broker.conf"
	db.b.SetConfigFilePath(cfgFile)

	resp := db.invoke(adminReq(protocol.GetBrokerConfig, nil))
	mustCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), "\nbrokerName=broker-t\n") || !strings.Contains(string(resp.Body), "brokerPermission=6\n") {
		t.Fatalf("26 body lacks keys:\n%.400s", resp.Body)
	}
	var v0 protocol.DataVersion
	if err := v0.Unmarshal([]byte(resp.ExtFields.Value("version"))); err != nil {
		t.Fatalf("version header %q: %v", resp.ExtFields.Value("version"), err)
	}

	cases := []struct {
		body string
		code int32
		want string
	}{
		{"brokerConfigPath=/tmp/x\n", protocol.NoPermission, "Can not update config in black list."},
		{"noSuchKey=1\n", protocol.SystemError, "noSuchKey"},
		{"brokerPermission=abc\n", protocol.SystemError, "brokerPermission"},
		{"brokerPermission=64\n", protocol.SystemError, "brokerPermission"},
		// One bad pair spoils the whole request.
		{"flushConsumerOffsetInterval=1234\nbrokerPermission=x\n", protocol.SystemError, "brokerPermission"},
	}
	for _, c := range cases {
		resp := db.invoke(adminReq(protocol.UpdateBrokerConfig, []byte(c.body)))
		mustCode(t, resp, c.code)
		if !strings.Contains(resp.Remark, c.want) {
			t.Errorf("%q: remark %q lacks %q", c.body, resp.Remark, c.want)
		}
	}
	// The configuration in force: an update publishes a new snapshot.
	cfgNow := func() Config { return *db.b.conf() }
	if c := cfgNow(); c.BrokerPermission != 6 || c.FlushConsumerOffsetInterval == 1234 {
		t.Fatal("a refused update was applied")
	}
	if _, err := os.Stat(cfgFile); err == nil {
		t.Fatal("a refused update was persisted")
	}

	mustCode(t, db.invoke(adminReq(protocol.UpdateBrokerConfig, []byte("brokerPermission=4\n"))), protocol.Success)
	if cfgNow().BrokerPermission != 4 {
		t.Fatal("brokerPermission not applied live")
	}
	data, err := os.ReadFile(cfgFile)
	if err != nil || !strings.Contains(string(data), "brokerPermission=4") {
		t.Fatalf("config file not rewritten: %v %q", err, data)
	}
	// Live: the next registration announces every topic read-only.
	db.b.adm.cfgMu.Lock()
	table, _ := db.b.topicTableForRegistration()
	db.b.adm.cfgMu.Unlock()
	if tc := table["TBW102"]; tc == nil || tc.Perm != 4 {
		t.Fatalf("registration table after brokerPermission=4: %+v", tc)
	}
	resp = db.invoke(adminReq(protocol.GetBrokerConfig, nil))
	var v1 protocol.DataVersion
	_ = v1.Unmarshal([]byte(resp.ExtFields.Value("version")))
	if v1.Counter != v0.Counter+1 {
		t.Fatalf("config version %d -> %d, want +1", v0.Counter, v1.Counter)
	}
}

func TestAdminTopicConfigAndMaintenance(t *testing.T) {
	t.Parallel()
	db := startDataBroker(t, nil)
	db.topic("TC1", 3)
	resp := db.invoke(adminReq(protocol.GetTopicConfig, nil, "topic", "TC1", "lo", "true"))
	mustCode(t, resp, protocol.Success)
	var tc protocol.TopicConfig
	if err := tc.Unmarshal(resp.Body); err != nil || tc.ReadQueueNums != 3 || tc.TopicName != "TC1" || tc.Attributes == nil {
		t.Fatalf("351 body %s: %v %+v", resp.Body, err, tc)
	}
	resp = db.invoke(adminReq(protocol.GetTopicConfig, nil, "topic", "nope"))
	mustCode(t, resp, protocol.TopicNotExist)
	if resp.Remark != "No topic in this broker. topic: nope" {
		t.Fatalf("351 remark %q", resp.Remark)
	}

	resp = db.invoke(adminReq(protocol.GetSystemTopicListFromBroker, nil))
	mustCode(t, resp, protocol.Success)
	for _, want := range []string{`"broker-t"`, `"ClusterT"`, `"SCHEDULE_TOPIC_XXXX"`} {
		if !strings.Contains(string(resp.Body), want) {
			t.Errorf("305 body lacks %s: %s", want, resp.Body)
		}
	}
	if strings.Contains(string(resp.Body), "TC1") {
		t.Errorf("305 lists a user topic: %s", resp.Body)
	}

	// cleanUnusedTopic drops the consume queues of a topic that is no longer configured.
	db.send("TC1", 0, "", "a")
	db.b.topics.DeleteTopicConfig("TC1")
	if db.b.store.MaxOffsetInQueue("TC1", 0) != 1 {
		t.Fatal("setup: queue missing")
	}
	mustCode(t, db.invoke(adminReq(protocol.CleanUnusedTopic, nil)), protocol.Success)
	if db.b.store.MaxOffsetInQueue("TC1", 0) > 0 {
		t.Fatal("316 left the unused topic's queue")
	}
	mustCode(t, db.invoke(adminReq(protocol.CleanExpiredConsumequeue, nil)), protocol.Success)
	mustCode(t, db.invoke(adminReq(protocol.DeleteExpiredCommitlog, nil)), protocol.Success)
}

// consumerClient is a remoting client that heartbeats as a consumer of group and answers the
// broker's relayed calls (220, 307, 309) like a Java consumer would.
type consumerClient struct {
	cli    *remoting.Client
	mu     sync.Mutex
	resets []string
}

func newConsumerClient(t *testing.T, db *dataBroker, clientID, group, topic string) *consumerClient {
	c := &consumerClient{cli: remoting.NewClient(remoting.ClientConfig{Name: "h11-consumer"})}
	t.Cleanup(func() { c.cli.Close() })
	c.cli.Handle(protocol.ResetConsumerClientOffset, remoting.ProcessorFunc(func(ch remoting.Channel, req *remoting.Command) *remoting.Command {
		c.mu.Lock()
		c.resets = append(c.resets, req.ExtFields.Value("topic")+"|"+string(req.Body))
		c.mu.Unlock()
		return nil
	}))
	c.cli.Handle(protocol.GetConsumerRunningInfo, remoting.ProcessorFunc(func(ch remoting.Channel, req *remoting.Command) *remoting.Command {
		resp := remoting.NewResponse(req, protocol.Success, "")
		resp.Body = []byte(`{"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},"jstack":"` + req.ExtFields.Value("clientId") + `"}`)
		return resp
	}))
	c.cli.Handle(protocol.ConsumeMessageDirectly, remoting.ProcessorFunc(func(ch remoting.Channel, req *remoting.Command) *remoting.Command {
		m, err := message.Decode(req.Body)
		resp := remoting.NewResponse(req, protocol.Success, "")
		if err != nil {
			resp.Code = protocol.SystemError
			return resp
		}
		resp.Body = []byte(`{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"remark":"` + string(m.Body) +
			"/" + req.ExtFields.Value("brokerName") + `","spentTimeMills":1}`)
		return resp
	}))
	body, _ := json.Marshal(map[string]any{
		"clientID": clientID,
		"consumerDataSet": []any{map[string]any{"groupName": group, "consumeType": "CONSUME_PASSIVELY",
			"messageModel": "CLUSTERING", "consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET", "unitMode": false,
			"subscriptionDataSet": []any{map[string]any{"classFilterMode": false, "topic": topic, "subString": "*",
				"tagsSet": []string{}, "codeSet": []int{}, "subVersion": 1, "expressionType": "TAG"}}}},
		"producerDataSet": []any{map[string]any{"groupName": "PG_" + group}},
	})
	resp, err := c.cli.Invoke(db.addr, remoting.NewRequest(protocol.HeartBeat, nil, body), 5*time.Second)
	if err != nil || resp.Code != protocol.Success {
		t.Fatalf("heartbeat: %v %v", err, resp)
	}
	return c
}

func TestAdminConsumerAndProducer(t *testing.T) {
	t.Parallel()
	db := startDataBroker(t, nil)
	db.topic("CT", 2)
	for i := 0; i < 5; i++ {
		db.send("CT", int32(i%2), "", "m")
	}
	db.b.offsets.CommitOffset("t", "CG", "CT", 0, 1)
	db.b.offsets.CommitOffset("t", "CG", "CT", 1, 2)

	// Offline: 203 refuses, 208 still reports progress from the offsets.
	resp := db.invoke(adminReq(protocol.GetConsumerConnectionList, nil, "consumerGroup", "CG"))
	mustCode(t, resp, protocol.ConsumerNotOnline)
	if resp.Remark != "the consumer group[CG] not online" {
		t.Fatalf("203 remark %q", resp.Remark)
	}
	resp = db.invoke(adminReq(protocol.GetConsumeStats, nil, "consumerGroup", "CG"))
	mustCode(t, resp, protocol.Success)
	var cs protocol.ConsumeStats
	if err := cs.Unmarshal(resp.Body); err != nil {
		t.Fatalf("208 body %s: %v", resp.Body, err)
	}
	if len(cs.OffsetTable) != 2 || cs.ComputeTotalDiff() != 2 {
		t.Fatalf("208 table %+v diff %d, want 2 queues and diff (3-1)+(2-2)=2", cs.OffsetTable, cs.ComputeTotalDiff())
	}
	w := cs.OffsetTable[protocol.MessageQueue{Topic: "CT", BrokerName: "broker-t", QueueID: 0}]
	if w.BrokerOffset != 3 || w.ConsumerOffset != 1 || w.LastTimestamp <= 0 {
		t.Fatalf("queue 0 wrapper %+v", w)
	}
	// Reset while offline: CONSUMER_NOT_ONLINE (mqadmin then resets offsets itself).
	resp = db.invoke(adminReq(protocol.InvokeBrokerToResetOffset, nil, "topic", "CT", "group", "CG", "timestamp", "-1", "isForce", "true"))
	mustCode(t, resp, protocol.ConsumerNotOnline)
	resp = db.invoke(adminReq(protocol.InvokeBrokerToResetOffset, nil, "topic", "CT", "group", "NOGROUP", "timestamp", "-1", "isForce", "true"))
	mustCode(t, resp, protocol.SystemError)
	if resp.Remark != "THe consumer group <NOGROUP> not exist" {
		t.Fatalf("222 remark %q", resp.Remark)
	}

	c := newConsumerClient(t, db, "127.0.0.1@c1", "CG", "CT")
	resp = db.invoke(adminReq(protocol.GetConsumerConnectionList, nil, "consumerGroup", "CG"))
	mustCode(t, resp, protocol.Success)
	var cc protocol.ConsumerConnection
	if err := cc.Unmarshal(resp.Body); err != nil || len(cc.ConnectionSet) != 1 || cc.ConnectionSet[0].ClientID != "127.0.0.1@c1" ||
		cc.SubscriptionTable["CT"] == nil || cc.MessageModel != "CLUSTERING" {
		t.Fatalf("203 body %s (%v)", resp.Body, err)
	}
	resp = db.invoke(adminReq(protocol.GetProducerConnectionList, nil, "producerGroup", "PG_CG"))
	mustCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `"clientId":"127.0.0.1@c1"`) {
		t.Fatalf("204 body %s", resp.Body)
	}
	mustCode(t, db.invoke(adminReq(protocol.GetProducerConnectionList, nil, "producerGroup", "nope")), protocol.SystemError)
	resp = db.invoke(adminReq(protocol.GetAllProducerInfo, nil))
	if !strings.Contains(string(resp.Body), `"PG_CG":[{"clientId":"127.0.0.1@c1"`) {
		t.Fatalf("328 body %s", resp.Body)
	}
	resp = db.invoke(adminReq(protocol.QueryTopicConsumeByWho, nil, "topic", "CT"))
	if string(resp.Body) != `{"groupList":["CG"]}` {
		t.Fatalf("300 body %s", resp.Body)
	}

	// Online reset to the end: the answer carries the new offsets and the consumer gets 220.
	resp = db.invoke(adminReq(protocol.InvokeBrokerToResetOffset, nil, "topic", "CT", "group", "CG", "timestamp", "-1", "isForce", "true"))
	mustCode(t, resp, protocol.Success)
	var rb protocol.ResetOffsetBody
	if err := rb.Unmarshal(resp.Body); err != nil || rb.OffsetTable[protocol.MessageQueue{Topic: "CT", BrokerName: "broker-t", QueueID: 0}] != 3 {
		t.Fatalf("222 body %s (%v)", resp.Body, err)
	}
	waitFor(t, 3*time.Second, "220 at the consumer", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.resets) == 1 && strings.HasPrefix(c.resets[0], "CT|")
	})

	// Relays.
	resp = db.invoke(adminReq(protocol.GetConsumerRunningInfo, nil, "consumerGroup", "CG", "clientId", "127.0.0.1@c1", "jstackEnable", "false"))
	mustCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `"jstack":"127.0.0.1@c1"`) {
		t.Fatalf("307 relayed body %s", resp.Body)
	}
	resp = db.invoke(adminReq(protocol.GetConsumerRunningInfo, nil, "consumerGroup", "CG", "clientId", "nobody"))
	mustCode(t, resp, protocol.SystemError)
	if resp.Remark != "The Consumer CG nobody not online" {
		t.Fatalf("307 remark %q", resp.Remark)
	}
	_, msgs := db.pullAll("CT", 0, 0)
	resp = db.invoke(adminReq(protocol.ConsumeMessageDirectly, nil, "consumerGroup", "CG", "clientId", "127.0.0.1@c1",
		"msgId", msgs[0].MsgID(), "brokerName", "other"))
	mustCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `"remark":"m/broker-t"`) {
		t.Fatalf("309 relayed body %s", resp.Body)
	}

	// A consumer send-back counts SNDBCK_PUT_NUMS under the original topic.
	var sb remoting.ExtFields
	(&protocol.ConsumerSendMsgBackRequestHeader{Offset: msgs[0].CommitLogOffset, Group: "CG", DelayLevel: -1,
		OriginMsgID: msgs[0].MsgID(), OriginTopic: "CT", MaxReconsumeTimes: 16}).Encode(&sb)
	mustCode(t, db.invoke(remoting.NewRequest(protocol.ConsumerSendMsgBack, sb, nil)), protocol.Success)
	resp = db.invoke(adminReq(protocol.ViewBrokerStatsData, nil, "statsName", "SNDBCK_PUT_NUMS", "statsKey", "CT@CG"))
	mustCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `"sum":1,`) {
		t.Fatalf("315 SNDBCK_PUT_NUMS body %s", resp.Body)
	}

	// 317 sees the group's progress; the pull above counted GROUP_GET_NUMS.
	resp = db.invoke(adminReq(protocol.GetBrokerConsumeStats, nil, "isOrder", "false"))
	mustCode(t, resp, protocol.Success)
	var list protocol.ConsumeStatsList
	if err := list.Unmarshal(resp.Body); err != nil || list.TotalDiff != 2 || list.BrokerAddr != db.addr {
		t.Fatalf("317 body %s (%v)", resp.Body, err)
	}
	resp = db.invoke(adminReq(protocol.ViewBrokerStatsData, nil, "statsName", "GROUP_GET_NUMS", "statsKey", "CT@CG_TEST"))
	mustCode(t, resp, protocol.Success)
	if !strings.Contains(string(resp.Body), `"statsMinute":{"avgpt":3.0,"sum":3,`) {
		t.Fatalf("315 body %s", resp.Body)
	}
	resp = db.invoke(adminReq(protocol.ViewBrokerStatsData, nil, "statsName", "TOPIC_PUT_NUMS", "statsKey", "CT"))
	if !strings.Contains(string(resp.Body), `"statsDay":{"avgpt":1.0,"sum":5,`) {
		t.Fatalf("315 TOPIC_PUT_NUMS body %s", resp.Body)
	}
	resp = db.invoke(adminReq(protocol.ViewBrokerStatsData, nil, "statsName", "TOPIC_PUT_NUMS", "statsKey", "none"))
	mustCode(t, resp, protocol.SystemError)
	if resp.Remark != "The stats <TOPIC_PUT_NUMS> <none> not exist" {
		t.Fatalf("315 remark %q", resp.Remark)
	}
}

func TestAdminQueryMessage(t *testing.T) {
	t.Parallel()
	db := startDataBroker(t, func(c *Config) { c.MessageIndexEnable = true })
	db.topic("QT", 1)
	mustCode(t, db.invoke(sendV1("QT", 0, props("KEYS", "order-1", "TAGS", "a"), []byte("hello"))), protocol.Success)
	_, msgs := db.pullAll("QT", 0, 0)
	if len(msgs) != 1 {
		t.Fatalf("pulled %d", len(msgs))
	}
	resp := db.invoke(adminReq(protocol.ViewMessageById, nil, "offset", "0"))
	mustCode(t, resp, protocol.Success)
	m, err := message.Decode(resp.Body)
	if err != nil || string(m.Body) != "hello" {
		t.Fatalf("33 body: %v", err)
	}
	resp = db.invoke(adminReq(protocol.ViewMessageById, nil, "offset", "99999"))
	mustCode(t, resp, protocol.SystemError)
	if resp.Remark != "can not find message by the offset, 99999" {
		t.Fatalf("33 remark %q", resp.Remark)
	}

	q := func(key string) *remoting.Command {
		return db.invoke(adminReq(protocol.QueryMessage, nil, "topic", "QT", "key", key, "maxNum", "64",
			"beginTimestamp", "0", "endTimestamp", "9223372036854775807", "_UNIQUE_KEY_QUERY", "false"))
	}
	waitFor(t, 5*time.Second, "index entry", func() bool { return q("order-1").Code == protocol.Success })
	resp = q("order-1")
	all, err := message.DecodeAll(resp.Body)
	if err != nil || len(all) != 1 || string(all[0].Body) != "hello" {
		t.Fatalf("12 body: %v %d", err, len(all))
	}
	var rh protocol.QueryMessageResponseHeader
	if err := rh.Decode(resp.ExtFields); err != nil {
		t.Fatalf("12 header: %v", err)
	}
	resp = q("missing")
	mustCode(t, resp, protocol.QueryNotFound)
	if resp.Remark != "can not find message, maybe time range not correct" || resp.ExtFields.Value("indexLastUpdatePhyoffset") == "" {
		t.Fatalf("12 not found: %q %v", resp.Remark, resp.ExtFields)
	}
}

func TestStatsWindows(t *testing.T) {
	m := newBrokerStatsManager("C")
	m.OnPut("T", 2, 100)
	m.OnPut("T", 1, 50)
	d, ok := m.Get(StatsTopicPutNums, "T")
	if !ok || d.Minute.Sum != 3 || d.Day.Sum != 3 || d.Minute.Avgpt != 1.5 {
		t.Fatalf("put nums %+v", d)
	}
	if d, _ := m.Get(StatsTopicPutSize, "T"); d.Hour.Sum != 150 {
		t.Fatalf("put size %+v", d)
	}
	if _, ok := m.Get(StatsGroupGetNums, "T"); ok {
		t.Fatal("two-part stat found without @")
	}
	// Samples roll out of the minute window after 7 samples.
	base := time.Now()
	for i := 1; i <= 8; i++ {
		m.sample(base.Add(time.Duration(i) * 10 * time.Second))
	}
	if d, _ := m.Get(StatsTopicPutNums, "T"); d.Minute.Sum != 0 || d.Day.Sum != 3 {
		t.Fatalf("after rolling the minute window: %+v", d)
	}
	if got := string(StatsData{Minute: StatsWindow{Sum: 1, Tps: 0.5, Avgpt: 1}}.Marshal()); got !=
		`{"statsDay":{"avgpt":0.0,"sum":0,"tps":0.0},"statsHour":{"avgpt":0.0,"sum":0,"tps":0.0},"statsMinute":{"avgpt":1.0,"sum":1,"tps":0.5}}` {
		t.Fatalf("marshal %s", got)
	}
}

func BenchmarkStatsOnGet(b *testing.B) {
	m := newBrokerStatsManager("C")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.OnGet("group", "topic", 32, 4096)
	}
}

// TestAdminDashboardShapes: what rocketmq-dashboard 2.x (rocketmq-tools 5.3.3) sends to the
// VIP port (listenPort-2) and parses: 351 with 5.x header fields, 28 with getTotalTps, 207 with
// cleanOffset, 201, and 5.x extra header fields ignored on 17.
func TestAdminDashboardShapes(t *testing.T) {
	t.Parallel()
	db := startDataBroker(t, nil)
	vip := db.b.VIPAddr()
	if vip == "" {
		t.Skip("VIP port not bound")
	}
	call := func(code int32, body []byte, kv ...string) *remoting.Command {
		req := adminReq(code, body, kv...)
		req.Version = 479 // V5_3_3
		resp, err := db.cli.Invoke(vip, req, 5*time.Second)
		if err != nil {
			t.Fatalf("invoke %d on VIP: %v", code, err)
		}
		return resp
	}
	resp := call(protocol.UpdateAndCreateTopic, nil, "topic", "DashT", "defaultTopic", "TBW102", "readQueueNums", "2",
		"writeQueueNums", "2", "perm", "6", "topicFilterType", "SINGLE_TAG", "topicSysFlag", "0", "order", "false",
		"attributes", "+message.type=NORMAL", "force", "false", "lo", "true", "bname", "broker-t")
	mustCode(t, resp, protocol.Success)
	resp = call(protocol.GetTopicConfig, nil, "topic", "DashT", "lo", "true", "bname", "broker-t")
	mustCode(t, resp, protocol.Success)
	if string(resp.Body) != `{"attributes":{},"order":false,"perm":6,"readQueueNums":2,"topicFilterType":"SINGLE_TAG","topicName":"DashT","topicSysFlag":0,"writeQueueNums":2}` {
		t.Fatalf("351 body %s", resp.Body)
	}
	resp = call(protocol.GetBrokerRuntimeInfo, nil)
	var kvt protocol.KVTable
	if err := kvt.Unmarshal(resp.Body); err != nil {
		t.Fatal(err)
	}
	if kvt.Table["dispatchMaxBuffer"] != "0" || kvt.Table["commitLogDiskRatio_"+db.b.cfg.CommitLogDir()] == "" {
		t.Fatalf("runtime info lacks Java's extra keys: %v", kvt.Table)
	}
	if f := strings.Fields(kvt.Table["getTotalTps"]); len(f) != 3 {
		t.Fatalf("getTotalTps %q", kvt.Table["getTotalTps"])
	}
	db.b.groups.Update(NewSubscriptionGroupConfig("DashG"))
	db.b.offsets.CommitOffset("t", "DashG", "DashT", 0, 1)
	mustCode(t, call(protocol.DeleteSubscriptiongroup, nil, "groupName", "DashG", "cleanOffset", "true"), protocol.Success)
	if db.b.offsets.QueryOffset("DashG", "DashT", 0) != -1 {
		t.Fatal("cleanOffset=true kept the offsets")
	}
	// Without a topic the group's topics come from its offsets: none left.
	resp = call(protocol.GetConsumeStats, nil, "consumerGroup", "DashG")
	if string(resp.Body) != `{"consumeTps":0.0,"offsetTable":{}}` {
		t.Fatalf("208 of a deleted group: %s", resp.Body)
	}
}

// FuzzAdminRequests feeds arbitrary header values and bodies to every admin processor of this
// file set: none may panic, and every answer is a response to the request.
func FuzzAdminRequests(f *testing.F) {
	db := startDataBrokerF(f)
	a := db.b.adm
	handlers := []func(remoting.Channel, *remoting.Command) *remoting.Command{
		a.updateAndCreateSubscriptionGroup, a.getAllSubscriptionGroupConfig, a.deleteSubscriptionGroup, a.getSubscriptionGroupConfig,
		a.getConsumerConnectionList, a.getProducerConnectionList, a.getConsumeStats, a.queryTopicConsumeByWho,
		a.queryConsumeTimeSpan, a.getBrokerConsumeStats, a.getAllProducerInfo, a.cloneGroupOffset, a.resetOffset,
		a.getConsumerRunningInfo, a.consumeMessageDirectly, a.updateBrokerConfig, a.getBrokerConfig, a.getTopicConfig,
		a.getSystemTopicList, a.queryMessage, a.viewMessageByID, a.viewBrokerStatsData, a.queryConsumeQueue,
	}
	f.Add(uint8(0), "g", "TBW102", "-1", []byte(`{"groupName":"g"}`))
	f.Add(uint8(15), "x", "", "abc", []byte("brokerPermission=6\n"))
	f.Add(uint8(14), "CG", "7F00000100002A9F0000000000000B5D", "1", []byte(nil))
	f.Add(uint8(19), "k", "T", "99999999999999999999", []byte{0xff, 0})
	ch := &fakeChannel{remote: "127.0.0.1:1"}
	f.Fuzz(func(t *testing.T, which uint8, s1, s2, num string, body []byte) {
		h := handlers[int(which)%len(handlers)]
		if h == nil || strings.Contains(string(body), "brokerConfigPath") {
			return
		}
		// Keep the fuzzer from rewriting the live config into something the rest of the
		// broker cannot run with; the refusal paths are what matter here.
		if int(which)%len(handlers) == 15 && !strings.Contains(string(body), "=x") {
			body = append([]byte("noSuchKey=1\n"), body...)
		}
		req := remoting.NewRequest(0, ext("groupName", s1, "group", s1, "consumerGroup", s1, "producerGroup", s1,
			"topic", s2, "key", s2, "statsName", s1, "statsKey", s2, "clientId", s2, "msgId", s2, "srcGroup", s1,
			"destGroup", s2, "timestamp", num, "isForce", "true", "offset", num, "maxNum", num, "beginTimestamp", num,
			"endTimestamp", num, "isOrder", "true", "removeOffset", "false", "queueId", num, "index", num, "count", num), body)
		req.Opaque = 42
		resp := h(ch, req)
		if resp == nil || !resp.IsResponse() || resp.Opaque != 42 {
			t.Fatalf("handler %d: bad answer %+v", which, resp)
		}
	})
}

// TestQueryConsumeQueue: QUERY_CONSUME_QUEUE (321, mqadmin queryCq) lists units from an index,
// with the queue's bounds; a named group adds its subscription and filter data, or says it is
// not online; an index past the units keeps the bounds and names the index; a queue the store
// does not have is refused as Java does. compat's differential test holds the answers to the
// stock broker's.
func TestQueryConsumeQueue(t *testing.T) {
	db := startDataBroker(t, nil)
	db.topic("CQ", 2)
	for i := 0; i < 3; i++ {
		db.sendProps("CQ", "m"+strconv.Itoa(i), "TAGS", "TagA")
	}
	query := func(kv ...string) *remoting.Command {
		return db.invoke(remoting.NewRequest(protocol.QueryConsumeQueue, ext(kv...), nil))
	}
	tagA := strconv.FormatInt(message.TagsCode("TagA"), 10)
	resp := query("topic", "CQ", "queueId", "0", "index", "1", "count", "5")
	mustCode(t, resp, protocol.Success)
	size := regexp.MustCompile(`"physicSize":(\d+)`).FindStringSubmatch(string(resp.Body))
	if size == nil {
		t.Fatalf("body %s", resp.Body)
	}
	want := `{"maxQueueIndex":3,"minQueueIndex":0,"queueData":[` +
		`{"eval":false,"physicOffset":` + size[1] + `,"physicSize":` + size[1] + `,"tagsCode":` + tagA + `},` +
		`{"eval":false,"physicOffset":` + strconv.Itoa(2*atoi(size[1])) + `,"physicSize":` + size[1] + `,"tagsCode":` + tagA + `}]}`
	if string(resp.Body) != want || resp.Remark != "not set any response code" {
		t.Errorf("units from 1: remark %q body\n%s\nwant\n%s", resp.Remark, resp.Body, want)
	}

	resp = query("topic", "CQ", "queueId", "0", "index", "0", "count", "0", "consumerGroup", "NoSuchGroup")
	if want := `{"filterData":"NoSuchGroup@CQ is not online!","maxQueueIndex":3,"minQueueIndex":0,"queueData":[]}`; string(resp.Body) != want {
		t.Errorf("offline group, count 0: %s, want %s", resp.Body, want)
	}
	mustCode(t, db.invoke(remoting.NewRequest(protocol.HeartBeat, nil, heartbeatBody("127.0.0.1@cq", "GCQ", "", "CQ"))), protocol.Success)
	resp = query("topic", "CQ", "queueId", "0", "index", "2", "count", "9", "consumerGroup", "GCQ")
	if !strings.Contains(string(resp.Body), `"filterData":"null"`) || !strings.Contains(string(resp.Body), `"subscriptionData":{"classFilterMode":false`) ||
		strings.Count(string(resp.Body), "physicOffset") != 1 {
		t.Errorf("online group: %s", resp.Body)
	}

	resp = query("topic", "CQ", "queueId", "0", "index", "3", "count", "1")
	mustCode(t, resp, protocol.Success)
	if resp.Remark != "Index 3 of 0@CQ is not exist!" || string(resp.Body) != `{"maxQueueIndex":3,"minQueueIndex":0}` {
		t.Errorf("past the end: %q %s", resp.Remark, resp.Body)
	}
	for _, kv := range [][]string{{"topic", "CQ", "queueId", "1"}, {"topic", "NoSuchTopic", "queueId", "0"}} {
		resp = query(append(kv, "index", "0", "count", "1")...)
		mustCode(t, resp, protocol.SystemError)
		if want := kv[3] + "@" + kv[1] + " is not exist!"; resp.Remark != want {
			t.Errorf("%v: remark %q, want %q", kv, resp.Remark, want)
		}
	}
	mustCode(t, query("queueId", "0"), protocol.SystemError) // no topic
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// TestConfigBlackListKey: the configBlackList key adds to the keys UPDATE_BROKER_CONFIG
// refuses, as Java's initConfigBlackList does; the ones Java always refuses stay refused.
func TestConfigBlackListKey(t *testing.T) {
	t.Parallel()
	db := startDataBroker(t, func(c *Config) { c.ConfigBlackList = "traceOn;;regionId" })
	for _, body := range []string{"traceOn=false\n", "regionId=x\n", "configBlackList=\n", "rocketmqHome=/x\n", "brokerConfigPath=/x\n"} {
		resp := db.invoke(adminReq(protocol.UpdateBrokerConfig, []byte(body)))
		mustCode(t, resp, protocol.NoPermission)
		if resp.Remark != "Can not update config in black list." {
			t.Errorf("%q: remark %q", body, resp.Remark)
		}
	}
	if !db.b.conf().TraceOn || db.b.conf().RegionID != "DefaultRegion" {
		t.Error("a refused update changed the configuration")
	}
	mustCode(t, db.invoke(adminReq(protocol.UpdateBrokerConfig, []byte("flushConsumerOffsetInterval=4000\n"))), protocol.Success)
}
