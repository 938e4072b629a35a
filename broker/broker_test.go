package broker

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func TestStartRegistersAndShutdownLeavesCleanStore(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	// Start registers synchronously: TBW102 and the broker-name topic are routable at once.
	for _, topic := range []string{TopicAutoCreate, "broker-a", "DefaultCluster", TopicSelfTest} {
		code, body := tb.route(topic)
		if code != protocol.Success || !strings.Contains(body, tb.B.BrokerAddr()) {
			t.Fatalf("route %s: code %d body %s", topic, code, body)
		}
	}
	if _, err := os.Stat(filepath.Join(tb.Cfg.StorePathRootDir, "abort")); err != nil {
		t.Fatalf("abort file should exist while running: %v", err)
	}
	if tb.B.vip == nil {
		t.Fatal("VIP server not started")
	}
	// The VIP port serves the same processors.
	resp := callWith(t, tb.Client, tb.B.vipAddr(), protocol.GetMaxOffset, ext("topic", "T", "queueId", "0"), nil)
	if resp.Code != protocol.Success || resp.ExtFields.Value("offset") != "0" {
		t.Fatalf("VIP GET_MAX_OFFSET: %d %q %v", resp.Code, resp.Remark, resp.ExtFields)
	}
	tb.shutdown()
	if _, err := os.Stat(filepath.Join(tb.Cfg.StorePathRootDir, "abort")); !os.IsNotExist(err) {
		t.Fatalf("abort file left after graceful shutdown: %v", err)
	}
	for _, f := range []string{topicsFile, groupsFile, offsetsFile} {
		if _, err := os.Stat(filepath.Join(tb.Cfg.StorePathRootDir, "config", f)); err != nil {
			t.Errorf("%s not persisted at shutdown: %v", f, err)
		}
	}
	// UNREGISTER_BROKER removed the broker: its topics have no route any more.
	if code, body := tb.route("broker-a"); code != protocol.TopicNotExist {
		t.Fatalf("route after unregister: %d %s", code, body)
	}
}

func TestSystemTopicsAsJava(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		topic  string
		queues int32
		perm   int32
		absent bool
	}{
		{"TBW102", nil, TopicAutoCreate, 8, PermInherit | PermRead | PermWrite, false},
		{"TBW102 queue count", func(c *Config) { c.DefaultTopicQueueNums = 3 }, TopicAutoCreate, 3, 7, false},
		{"TBW102 off", func(c *Config) { c.AutoCreateTopicEnable = false }, TopicAutoCreate, 0, 0, true},
		{"self test", nil, TopicSelfTest, 1, 6, false},
		{"benchmark", nil, TopicBenchmark, 1024, 6, false},
		{"cluster topic", nil, "DefaultCluster", 16, 7, false},
		{"cluster topic off", func(c *Config) { c.ClusterTopicEnable = false }, "DefaultCluster", 16, 1, false},
		{"broker topic", nil, "broker-a", 1, 7, false},
		{"offset moved", nil, TopicOffsetMoved, 1, 6, false},
		{"schedule", nil, TopicSchedule, 18, 6, false},
		{"reply", nil, "DefaultCluster_REPLY_TOPIC", 1, 6, false},
		{"trace off", nil, "RMQ_SYS_TRACE_TOPIC", 0, 0, true},
		{"trace on", func(c *Config) { c.TraceTopicEnable = true }, "RMQ_SYS_TRACE_TOPIC", 1, 6, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig(t.TempDir(), "")
			if c.mutate != nil {
				c.mutate(cfg)
			}
			b, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			tc := b.topics.SelectTopicConfig(c.topic)
			if c.absent {
				if tc != nil {
					t.Fatalf("%s should not exist: %+v", c.topic, tc)
				}
				return
			}
			if tc == nil || tc.ReadQueueNums != c.queues || tc.WriteQueueNums != c.queues || tc.Perm != c.perm {
				t.Fatalf("%s = %+v, want %d queues perm %d", c.topic, tc, c.queues, c.perm)
			}
			if !b.topics.IsSystemTopic(c.topic) {
				t.Fatalf("%s not marked as system topic", c.topic)
			}
		})
	}
}

func TestTopicAutoCreateFromTemplate(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	m := tb.B.topics
	v0 := m.DataVersion()
	tc := m.CreateTopicInSendMessageMethod("AutoTopic", TopicAutoCreate, "127.0.0.1:1", 4, 0)
	if tc == nil || tc.ReadQueueNums != 4 || tc.WriteQueueNums != 4 || tc.Perm != PermRead|PermWrite {
		t.Fatalf("auto-created %+v", tc)
	}
	if v := m.DataVersion(); v.Counter != v0.Counter+1 {
		t.Fatalf("dataVersion %+v after %+v", v, v0)
	}
	// The client asks for more queues than the template has: capped at the template's 8.
	if tc := m.CreateTopicInSendMessageMethod("Wide", TopicAutoCreate, "x", 64, 0); tc == nil || tc.WriteQueueNums != 8 {
		t.Fatalf("capped %+v", tc)
	}
	// A template without INHERIT or an unknown one creates nothing.
	if tc := m.CreateTopicInSendMessageMethod("X1", TopicSelfTest, "x", 4, 0); tc != nil {
		t.Fatalf("created from non-inherit template: %+v", tc)
	}
	if tc := m.CreateTopicInSendMessageMethod("X2", "NoSuchTemplate", "x", 4, 0); tc != nil {
		t.Fatalf("created from missing template: %+v", tc)
	}
	// Persisted and announced to the NameServer without waiting for the 30 s cycle.
	data, err := os.ReadFile(filepath.Join(tb.Cfg.StorePathRootDir, "config", topicsFile))
	if err != nil || !strings.Contains(string(data), `"AutoTopic":{`) {
		t.Fatalf("topics.json: %v\n%s", err, data)
	}
	waitFor(t, 5*time.Second, "AutoTopic route", func() bool {
		code, body := tb.route("AutoTopic")
		return code == protocol.Success && strings.Contains(body, `"writeQueueNums":4`)
	})
	// Survives a restart.
	tb.restart()
	if tc := tb.B.topics.SelectTopicConfig("AutoTopic"); tc == nil || tc.WriteQueueNums != 4 {
		t.Fatalf("after restart %+v", tc)
	}
}

func TestTopicAutoCreateDisabled(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, func(c *Config) { c.AutoCreateTopicEnable = false })
	if tc := tb.B.topics.CreateTopicInSendMessageMethod("AutoTopic", TopicAutoCreate, "x", 4, 0); tc != nil {
		t.Fatalf("created with autoCreateTopicEnable=false: %+v", tc)
	}
	if code, _ := tb.route(TopicAutoCreate); code != protocol.TopicNotExist {
		t.Fatalf("TBW102 routable with auto-create off: %d", code)
	}
}

func TestHeartbeatCreatesGroupRetryTopicAndRoute(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	resp := tb.call(protocol.HeartBeat, nil, heartbeatBody("10.0.0.1@1", "CG", "PG", "TopicTest", "%RETRY%CG"))
	// As the Java broker answers (wire-4.9.8/02 and 03): version 409, no remark, no extFields.
	if resp.Code != protocol.Success || resp.Version != remoting.Version || resp.HasRemark || resp.ExtFields != nil {
		t.Fatalf("heartbeat answer: code %d version %d remark %q", resp.Code, resp.Version, resp.Remark)
	}
	if g := tb.B.groups.Get("CG"); g == nil || g.RetryQueueNums != 1 {
		t.Fatalf("group not auto-created: %+v", g)
	}
	tc := tb.B.topics.SelectTopicConfig("%RETRY%CG")
	if tc == nil || tc.ReadQueueNums != 1 || tc.Perm != PermRead|PermWrite {
		t.Fatalf("retry topic %+v", tc)
	}
	waitFor(t, 5*time.Second, "%RETRY%CG route at the NameServer", func() bool {
		code, _ := tb.route("%RETRY%CG")
		return code == protocol.Success
	})
	sub := tb.B.clients.FindSubscriptionData("CG", "TopicTest")
	if sub == nil || sub.SubString != "*" || sub.SubVersion != 1700000000000 {
		t.Fatalf("subscription %+v", sub)
	}
	if len(tb.B.clients.ProducerChannels("PG")) != 1 {
		t.Fatal("producer not registered")
	}
	resp = tb.call(protocol.GetConsumerListByGroup, ext("consumerGroup", "CG"), nil)
	if resp.Code != protocol.Success || string(resp.Body) != `{"consumerIdList":["10.0.0.1@1"]}` || resp.ExtFields == nil {
		t.Fatalf("consumer list: %d %s ext %v", resp.Code, resp.Body, resp.ExtFields)
	}
}

func TestHeartbeatGoClientShape(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	// Go v2.1.2: struct order, string codeSet, nanosecond subVersion, unit mode.
	body := `{"clientID":"10.0.0.1@1234","producerDataSet":[{"groupName":"PG"}],"consumerDataSet":[{"groupName":"GCG",` +
		`"consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",` +
		`"subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicTest","subString":"TagA||TagB","tagsSet":["TagA","TagB"],` +
		`"codeSet":["2598919","2598920"],"subVersion":1700000000000000000,"expressionType":"TAG"}],"unitMode":true}]}`
	if resp := tb.call(protocol.HeartBeat, nil, []byte(body)); resp.Code != protocol.Success {
		t.Fatalf("heartbeat: %d %s", resp.Code, resp.Remark)
	}
	sub := tb.B.clients.FindSubscriptionData("GCG", "TopicTest")
	if sub == nil || len(sub.CodeSet) != 2 || sub.CodeSet[0] != 2598919 || sub.SubVersion != 1700000000000000000 {
		t.Fatalf("subscription %+v", sub)
	}
	if tc := tb.B.topics.SelectTopicConfig("%RETRY%GCG"); tc == nil || tc.TopicSysFlag != retryTopicSysFlagUnitSub {
		t.Fatalf("unit-mode retry topic %+v", tc)
	}
	if g := tb.B.clients.ConsumerGroup("GCG"); g.MessageModel() != "CLUSTERING" || g.ConsumeType() != "CONSUME_PASSIVELY" {
		t.Fatalf("group state %s %s", g.MessageModel(), g.ConsumeType())
	}
}

func TestHeartbeatBadBody(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	for _, body := range []string{"", "{", `{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["x"]}]}]}`} {
		resp := tb.call(protocol.HeartBeat, nil, []byte(body))
		if resp.Code != protocol.SystemError || !resp.HasRemark {
			t.Errorf("body %q: code %d remark %q", body, resp.Code, resp.Remark)
		}
	}
}

func TestConsumerListWithoutConsumer(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	resp := tb.call(protocol.GetConsumerListByGroup, ext("consumerGroup", "Nobody"), nil)
	if resp.Code != protocol.SystemError || resp.Remark != "no consumer for this group, Nobody" {
		t.Fatalf("got %d %q", resp.Code, resp.Remark)
	}
	resp = tb.call(protocol.GetConsumerListByGroup, nil, nil)
	if resp.Code != protocol.SystemError || !strings.Contains(resp.Remark, "consumerGroup") {
		t.Fatalf("missing header: %d %q", resp.Code, resp.Remark)
	}
}

// TestNotifyOnJoinAndLeave: two consumer instances of one group on separate connections; the
// first is told when the second joins, when it unregisters, and when a connection closes.
func TestNotifyOnJoinAndLeave(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	recA, recB := &notifyRecorder{}, &notifyRecorder{}
	a := remoting.NewClient(remoting.ClientConfig{Name: "consumer-a"})
	a.Handle(protocol.NotifyConsumerIdsChanged, recA)
	defer a.Close()
	bc := remoting.NewClient(remoting.ClientConfig{Name: "consumer-b"})
	bc.Handle(protocol.NotifyConsumerIdsChanged, recB)
	defer bc.Close()

	hb := func(c *remoting.Client, id string) {
		if r := callWith(t, c, tb.Addr(), protocol.HeartBeat, nil, heartbeatBody(id, "CG", "", "T")); r.Code != protocol.Success {
			t.Fatalf("heartbeat %s: %d", id, r.Code)
		}
	}
	hb(a, "a@1")
	waitFor(t, 5*time.Second, "notify to a on its own join", func() bool { return recA.count("CG") == 1 })
	hb(a, "a@1") // unchanged: no notify
	hb(bc, "b@1")
	waitFor(t, 5*time.Second, "notify to a when b joins", func() bool { return recA.count("CG") == 2 })
	waitFor(t, 5*time.Second, "notify to b on its join", func() bool { return recB.count("CG") == 1 })
	resp := tb.call(protocol.GetConsumerListByGroup, ext("consumerGroup", "CG"), nil)
	if string(resp.Body) != `{"consumerIdList":["a@1","b@1"]}` {
		t.Fatalf("list %s", resp.Body)
	}
	// b unregisters (Java client shutdown).
	r := callWith(t, bc, tb.Addr(), protocol.UnregisterClient, ext("clientID", "b@1", "consumerGroup", "CG"), nil)
	if r.Code != protocol.Success {
		t.Fatalf("unregister %d", r.Code)
	}
	waitFor(t, 5*time.Second, "notify to a when b leaves", func() bool { return recA.count("CG") == 3 })
	// b comes back, then its connection drops.
	hb(bc, "b@1")
	waitFor(t, 5*time.Second, "notify on rejoin", func() bool { return recA.count("CG") == 4 })
	bc.Close()
	waitFor(t, 5*time.Second, "notify when b's connection closes", func() bool { return recA.count("CG") == 5 })
	resp = tb.call(protocol.GetConsumerListByGroup, ext("consumerGroup", "CG"), nil)
	if string(resp.Body) != `{"consumerIdList":["a@1"]}` {
		t.Fatalf("list after close %s", resp.Body)
	}
}

func TestNotifyDisabledByGroupConfig(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	g := NewSubscriptionGroupConfig("Quiet")
	g.NotifyConsumerIdsChangedEnable = false
	tb.B.groups.Update(g)
	rec := &notifyRecorder{}
	c := remoting.NewClient(remoting.ClientConfig{})
	c.Handle(protocol.NotifyConsumerIdsChanged, rec)
	defer c.Close()
	callWith(t, c, tb.Addr(), protocol.HeartBeat, nil, heartbeatBody("q@1", "Quiet", "", "T"))
	callWith(t, tb.Client, tb.Addr(), protocol.HeartBeat, nil, heartbeatBody("q@2", "Quiet", "", "T"))
	time.Sleep(200 * time.Millisecond)
	if n := rec.count("Quiet"); n != 0 {
		t.Fatalf("notified %d times with notifyConsumerIdsChangedEnable=false", n)
	}
}

func TestNotifyDisabledBrokerWide(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, func(c *Config) { c.NotifyConsumerIdsChangedEnable = false })
	rec := &notifyRecorder{}
	c := remoting.NewClient(remoting.ClientConfig{})
	c.Handle(protocol.NotifyConsumerIdsChanged, rec)
	defer c.Close()
	callWith(t, c, tb.Addr(), protocol.HeartBeat, nil, heartbeatBody("q@1", "G", "", "T"))
	callWith(t, tb.Client, tb.Addr(), protocol.HeartBeat, nil, heartbeatBody("q@2", "G", "", "T"))
	time.Sleep(200 * time.Millisecond)
	if n := rec.count("G"); n != 0 {
		t.Fatalf("notified %d times with notifyConsumerIdsChangedEnable=false", n)
	}
}

func TestChannelExpiry(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	// A raw connection, so the test sees the broker close it.
	conn, err := net.Dial("tcp", tb.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := remoting.NewRequest(protocol.HeartBeat, nil, heartbeatBody("c@1", "CG", "PG", "T"))
	req.Opaque = 1
	frame, err := remoting.AppendFrame(nil, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for { // the NOTIFY_CONSUMER_IDS_CHANGED of its own join may come before the answer
		f, err := remoting.ReadFrame(conn, 1<<20)
		if err != nil {
			t.Fatalf("heartbeat answer: %v", err)
		}
		if cmd, err := remoting.Decode(f); err == nil && cmd.IsResponse() {
			break
		}
	}
	m := tb.B.clients
	m.scanExpired(time.Now().Add(119*time.Second), channelExpiredTimeout)
	if m.ConsumerGroup("CG") == nil || len(m.ProducerChannels("PG")) != 1 {
		t.Fatal("dropped before 120 s")
	}
	m.scanExpired(time.Now().Add(121*time.Second), channelExpiredTimeout)
	if m.ConsumerGroup("CG") != nil || len(m.ProducerChannels("PG")) != 0 {
		t.Fatal("not dropped after 120 s")
	}
	// The broker closed the expired connection, as Java's ClientHousekeepingService does.
	// Frames already sent (the heartbeat's NOTIFY_CONSUMER_IDS_CHANGED to itself) come first.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err = remoting.ReadFrame(conn, 1<<20); err != nil {
			break
		}
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("expired connection not closed by the broker")
	}
}

func TestSubscriptionUpdateRules(t *testing.T) {
	g := newConsumerGroupInfo("G")
	s := func(topic string, ver int64) *SubscriptionData {
		return &SubscriptionData{Topic: topic, SubVersion: ver}
	}
	if !g.updateSubscription([]*SubscriptionData{s("A", 5), s("B", 5)}) {
		t.Fatal("new topics must report a change")
	}
	if g.updateSubscription([]*SubscriptionData{s("A", 4), s("B", 6)}) {
		t.Fatal("a version change of known topics is not a membership change")
	}
	if g.FindSubscriptionData("A").SubVersion != 5 || g.FindSubscriptionData("B").SubVersion != 6 {
		t.Fatal("only newer subVersions replace")
	}
	if !g.updateSubscription([]*SubscriptionData{s("A", 5)}) || g.FindSubscriptionData("B") != nil {
		t.Fatal("dropped topic must be removed and reported")
	}
}

func TestCheckClientConfig(t *testing.T) {
	t.Parallel()
	body := func(expr string) []byte {
		return []byte(`{"clientId":"c@1","group":"G","subscriptionData":{"classFilterMode":false,"codeSet":[],"expressionType":"` +
			expr + `","subString":"a > 1","subVersion":1,"tagsSet":[],"topic":"T"}}`)
	}
	off := startTestBroker(t, nil)
	on := startTestBroker(t, func(c *Config) { c.EnablePropertyFilter = true })
	cases := []struct {
		tb     *testBroker
		expr   string
		code   int32
		remark string
	}{
		{off, "TAG", protocol.Success, ""},
		{off, "SQL92", protocol.SystemError, "The broker does not support consumer to filter message by SQL92"},
		{on, "TAG", protocol.Success, ""},
		{on, "SQL92", protocol.Success, ""}, // compiles; bad expressions: filter_manager_test.go
	}
	for _, c := range cases {
		r := c.tb.call(protocol.CheckClientConfig, nil, body(c.expr))
		if r.Code != c.code || !strings.Contains(r.Remark, c.remark) {
			t.Errorf("%s (filter %v): %d %q", c.expr, c.tb.Cfg.EnablePropertyFilter, r.Code, r.Remark)
		}
	}
}

// TestIdleConnectionLeavesGroup: with serverChannelMaxIdleTimeSeconds=1 a silent consumer
// connection is closed by the server and leaves its group at once.
func TestIdleConnectionLeavesGroup(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, func(c *Config) { c.ServerChannelMaxIdleTimeSeconds = 1 })
	c := remoting.NewClient(remoting.ClientConfig{})
	defer c.Close()
	callWith(t, c, tb.Addr(), protocol.HeartBeat, nil, heartbeatBody("idle@1", "IdleGroup", "", "T"))
	if tb.B.clients.ConsumerGroup("IdleGroup") == nil {
		t.Fatal("not registered")
	}
	waitFor(t, 5*time.Second, "idle connection dropped from its group", func() bool {
		return tb.B.clients.ConsumerGroup("IdleGroup") == nil
	})
}
