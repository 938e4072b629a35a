package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/namesrv"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// env is a NameServer and one broker in-process on 127.0.0.1 with stores under t.TempDir().
type env struct {
	ns, addr string
	b        *broker.Broker
}

func startEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	nsCfg := namesrv.NewConfig()
	nsCfg.ListenPort = 0
	nsCfg.BindAddress = "127.0.0.1"
	nsCfg.KvConfigPath = filepath.Join(dir, "ns", "kvConfig.json")
	nsCfg.ConfigStorePath = filepath.Join(dir, "ns", "namesrv.properties")
	ns, err := namesrv.New(nsCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := broker.DefaultConfig()
	cfg.BrokerName, cfg.BrokerClusterName = "broker-a", "DefaultCluster"
	cfg.BrokerIP1, cfg.BrokerIP2, cfg.BindAddress = "127.0.0.1", "127.0.0.1", "127.0.0.1"
	cfg.ListenPort = 0
	cfg.NamesrvAddr = ns.Addr()
	cfg.StorePathRootDir = filepath.Join(dir, "store")
	cfg.MappedFileSizeCommitLog = 4 << 20
	cfg.MappedFileSizeConsumeQueue = 20 * 4096
	b, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
		_ = ns.Shutdown(ctx)
	})
	e := &env{ns: ns.Addr(), addr: b.BrokerAddr(), b: b}
	waitUntil(t, "broker registered", func() bool {
		out, _, code := e.mq("clusterList")
		return code == 0 && strings.Contains(out, e.addr)
	})
	return e
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mq runs one mqadmin command against the env and returns stdout, stderr and the exit code.
func (e *env) mq(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := run(append(args, "-n", e.ns), &out, &errOut)
	return out.String(), errOut.String(), code
}

func mustMatch(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(`(?m)` + p).MatchString(out) {
			t.Errorf("output lacks /%s/:\n%s", p, out)
		}
	}
}

func TestMqadminTopicLifecycle(t *testing.T) {
	e := startEnv(t)
	q := regexp.QuoteMeta
	out, errOut, code := e.mq("updateTopic", "-c", "DefaultCluster", "-t", "GoT", "-r", "2", "-w", "2")
	if code != 0 {
		t.Fatalf("updateTopic exit %d: %s", code, errOut)
	}
	if want := "create topic to " + e.addr + " success.\nTopicConfig [topicName=GoT, readQueueNums=2, writeQueueNums=2, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]"; out != want {
		t.Fatalf("updateTopic output %q, want %q", out, want)
	}
	out, _, _ = e.mq("topicList")
	mustMatch(t, out, `^GoT$`, `^TBW102$`, `^DefaultCluster$`)
	out, _, _ = e.mq("topicRoute", "-t", "GoT")
	mustMatch(t, out, `^\t"brokerDatas":\[$`, `"brokerAddrs":\{0:"`+q(e.addr)+`"$`, `^\t\t\t"readQueueNums":2,$`)
	out, _, _ = e.mq("topicRoute", "-t", "GoT", "-l")
	mustMatch(t, out, `^#ClusterName\s+#BrokerName\s+#BrokerAddrs`, `^DefaultCluster\s+broker-a\s+\{0=`+q(e.addr)+`\}\s+2\s+2\s+6\s*$`,
		`^Total:\s+1\s+2\s+2\s*$`)
	out, _, _ = e.mq("topicClusterList", "-t", "GoT")
	if out != "DefaultCluster\n" {
		t.Fatalf("topicClusterList %q", out)
	}

	out, _, code = e.mq("sendMessage", "-t", "GoT", "-p", "hello", "-k", "K1", "-c", "TagX")
	if code != 0 {
		t.Fatalf("sendMessage: %s", out)
	}
	mustMatch(t, out, `^#Broker Name\s+#QID\s+#Send Result\s+#MsgId$`, `^broker-a\s+[01]\s+SEND_OK\s+[0-9A-F]{32}$`)
	uniq := regexp.MustCompile(`[0-9A-F]{32}`).FindString(out)

	out, _, _ = e.mq("topicStatus", "-t", "GoT")
	mustMatch(t, out, `^#Broker Name\s+#QID\s+#Min Offset\s+#Max Offset\s+#Last Updated$`,
		`^broker-a\s+[01]\s+0\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$`)

	waitUntil(t, "index", func() bool { _, _, c := e.mq("queryMsgByKey", "-t", "GoT", "-k", "K1"); return c == 0 })
	out, _, _ = e.mq("queryMsgByKey", "-t", "GoT", "-k", "K1")
	mustMatch(t, out, `^#Message ID\s+#QID\s+#Offset$`, `^`+uniq+`\s+[01]\s+0$`)
	out, _, _ = e.mq("queryMsgByUniqueKey", "-i", uniq, "-t", "GoT")
	mustMatch(t, out, `^Topic:\s+GoT$`, `^Tags:\s+\[TagX\]$`, `^Keys:\s+\[K1\]$`, `^Properties:\s+\{.*UNIQ_KEY=`+uniq,
		`^Message Body Path:\s+/tmp/rocketmq/msgbodys/`+uniq+`$`, `WARN: No Consumer`)
	adm := newAdmin(e.ns)
	defer adm.close()
	msgs, err := adm.queryByKey("GoT", "K1", 64, false)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("query by key: %d messages, %v", len(msgs), err)
	}
	offsetID := msgs[0].MsgID()
	out, _, _ = e.mq("queryMsgById", "-i", offsetID)
	mustMatch(t, out, `^OffsetID:\s+`+offsetID+`$`, `^Store Host:\s+`+q(e.addr)+`$`, `^Queue Offset:\s+0$`)
	out, _, _ = e.mq("queryMsgByOffset", "-t", "GoT", "-b", "broker-a", "-i", strconv.Itoa(int(msgs[0].QueueID)), "-o", "0")
	mustMatch(t, out, `^OffsetID:\s+`+offsetID+`$`)

	out, _, code = e.mq("deleteTopic", "-c", "DefaultCluster", "-t", "GoT")
	if code != 0 || out != "delete topic [GoT] from cluster [DefaultCluster] success.\ndelete topic [GoT] from NameServer success.\n" {
		t.Fatalf("deleteTopic %d %q", code, out)
	}
	out, _, _ = e.mq("topicList")
	if regexp.MustCompile(`(?m)^GoT$`).MatchString(out) {
		t.Fatalf("GoT still listed:\n%s", out)
	}
}

func TestMqadminBrokerAndGroups(t *testing.T) {
	e := startEnv(t)
	q := regexp.QuoteMeta
	out, _, _ := e.mq("clusterList")
	mustMatch(t, out, `^#Cluster Name\s+#Broker Name\s+#BID\s+#Addr\s+#Version\s+#InTPS\(LOAD\)\s+#OutTPS\(LOAD\)\s+#PCWait\(ms\)\s+#Hour\s+#SPACE$`,
		`^DefaultCluster\s+broker-a\s+0\s+`+q(e.addr)+`\s+V4_9_8\s+0\.00\(0,0ms\)\s+0\.00\(0,0ms\)\s+0\s+0\.00\s+0\.\d{4}$`)
	out, _, _ = e.mq("clusterList", "-m")
	mustMatch(t, out, `^DefaultCluster\s+broker-a\s+0\s+0\s+0\s+0$`)
	out, _, _ = e.mq("brokerStatus", "-b", e.addr)
	mustMatch(t, out, `^brokerVersionDesc\s+: V4_9_8$`, `^putTps\s+: `)
	out, _, _ = e.mq("getBrokerConfig", "-b", e.addr)
	mustMatch(t, out, `^============`+q(e.addr)+`============$`, `^brokerName\s+=  broker-a$`)
	out, _, code := e.mq("updateBrokerConfig", "-b", e.addr, "-k", "flushConsumerOffsetInterval", "-v", "7777")
	if code != 0 || out != "update broker config success, "+e.addr+"\n" {
		t.Fatalf("updateBrokerConfig %d %q", code, out)
	}
	out, _, _ = e.mq("getBrokerConfig", "-b", e.addr)
	mustMatch(t, out, `^flushConsumerOffsetInterval\s+=  7777$`)
	_, errOut, code := e.mq("updateBrokerConfig", "-b", e.addr, "-k", "noSuchKey", "-v", "1")
	if code == 0 || !strings.Contains(errOut, "UpdateBrokerConfigSubCommand command failed: CODE: 1  DESC: unknown broker config key: noSuchKey") {
		t.Fatalf("bad key: exit %d, stderr %q", code, errOut)
	}

	out, _, code = e.mq("updateSubGroup", "-b", e.addr, "-g", "GG", "-r", "3")
	if code != 0 {
		t.Fatal(out)
	}
	mustMatch(t, out, `^create subscription group to `+q(e.addr)+` success\.$`, `retryMaxTimes=3, brokerId=0`)
	out, _, _ = e.mq("getConsumerConfig", "-g", "GG")
	mustMatch(t, out, `^=============================DefaultCluster:broker-a=============================$`,
		`^groupName\s+=  GG$`, `^retryMaxTimes\s+=  3$`, `^consumeBroadcastEnable\s+=  false$`)
	out, _, _ = e.mq("deleteSubGroup", "-b", e.addr, "-g", "GG")
	if out != "delete subscription group [GG] from broker ["+e.addr+"] success.\n" {
		t.Fatalf("deleteSubGroup %q", out)
	}
	if out, _, _ = e.mq("getConsumerConfig", "-g", "GG"); out != "" {
		t.Fatalf("getConsumerConfig after delete: %q", out)
	}
	_, errOut, code = e.mq("consumerProgress", "-g", "NoSuchGroup")
	if code != 1 || !strings.Contains(errOut, "CODE: 17") {
		t.Fatalf("consumerProgress of an unknown group: %d %q", code, errOut)
	}

	for _, c := range [][]string{{"cleanExpiredCQ", "-b", e.addr}, {"cleanUnusedTopic", "-b", e.addr}} {
		if out, _, code := e.mq(c...); code != 0 || out != "success" {
			t.Fatalf("%s: %d %q", c[0], code, out)
		}
	}

	// NameServer commands.
	if out, _, _ := e.mq("updateKvConfig", "-s", "NS1", "-k", "k", "-v", "v"); out != "create or update kv config to namespace success.\n" {
		t.Fatalf("updateKvConfig %q", out)
	}
	if out, _, _ := e.mq("updateOrderConf", "-t", "OT", "-m", "put", "-v", "broker-a:4"); out != "update orderConf success. topic=[OT], orderConf=[broker-a:4]" {
		t.Fatalf("updateOrderConf put %q", out)
	}
	if out, _, _ := e.mq("updateOrderConf", "-t", "OT", "-m", "get"); out != "get orderConf success. topic=[OT], orderConf=[broker-a:4] " {
		t.Fatalf("updateOrderConf get %q", out)
	}
	if out, _, _ := e.mq("deleteKvConfig", "-s", "NS1", "-k", "k"); out != "delete kv config from namespace success.\n" {
		t.Fatalf("deleteKvConfig %q", out)
	}
	out, _, _ = e.mq("getNamesrvConfig")
	mustMatch(t, out, `^============`+q(e.ns)+`============$`, `^listenPort\s+=  `)
	out, _, _ = e.mq("wipeWritePerm", "-b", "broker-a")
	mustMatch(t, out, `^wipe write perm of broker\[broker-a\] in name server\[`+q(e.ns)+`\] OK, [1-9]\d*$`)
	out, _, _ = e.mq("addWritePerm", "-b", "broker-a")
	mustMatch(t, out, `^add write perm of broker\[broker-a\] in name server\[`+q(e.ns)+`\] OK, [1-9]\d*$`)
}

func TestMqadminCLI(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(nil, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "The most commonly used mqadmin commands are:\n   updateTopic") {
		t.Fatalf("help: %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"TOPICLIST", "-h"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "usage: mqadmin topicList") {
		t.Fatalf("-h: %d %q", code, out.String())
	}
	errOut.Reset()
	if code := run([]string{"nope"}, &out, &errOut); code != 1 || errOut.String() != "The sub command nope not exist.\n" {
		t.Fatalf("unknown command: %d %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"topicStatus"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "Missing required option: t") {
		t.Fatalf("missing option: %d %q", code, errOut.String())
	}
	errOut.Reset()
	t.Setenv("NAMESRV_ADDR", "")
	if code := run([]string{"topicList"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no name server address") {
		t.Fatalf("no namesrv: %d %q", code, errOut.String())
	}
	vals, err := parseOptions(find("updateTopic"), []string{"-tT1", "--readQueueNums", "3", "--perm=4", "-b", "x:1"})
	if err != nil || vals["t"] != "T1" || vals["r"] != "3" || vals["p"] != "4" || vals["b"] != "x:1" {
		t.Fatalf("parseOptions %v %v", vals, err)
	}
	if got := allocateAveragely(make([]protocol.MessageQueue, 5), 2, 1); len(got) != 2 {
		t.Fatalf("averagely: client 1 of 2 over 5 queues got %d", len(got))
	}
	for v, want := range map[int32]string{409: "V4_9_8", 408: "V4_9_8_SNAPSHOT", 479: "V5_3_3", 213: "V4_0_0"} {
		if got := versionDesc(v); got != want {
			t.Errorf("versionDesc(%d) = %s, want %s", v, got, want)
		}
	}
}

func TestMqadminOffsetsAndPerm(t *testing.T) {
	e := startEnv(t)
	if _, errOut, code := e.mq("updateTopic", "-b", e.addr, "-t", "OffT", "-r", "1", "-w", "1"); code != 0 {
		t.Fatal(errOut)
	}
	waitUntil(t, "route", func() bool { _, _, c := e.mq("topicRoute", "-t", "OffT"); return c == 0 })
	for i := 0; i < 3; i++ {
		if out, _, code := e.mq("sendMessage", "-t", "OffT", "-p", "x"); code != 0 {
			t.Fatal(out)
		}
	}
	// An offline group with a committed offset: skipAccumulatedMessage writes the end offset.
	adm := newAdmin(e.ns)
	defer adm.close()
	if _, err := adm.call(e.addr, protocol.UpdateConsumerOffset, kv("consumerGroup", "OG", "topic", "OffT", "queueId", "0",
		"commitOffset", "1"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.call(e.addr, protocol.UpdateAndCreateSubscriptiongroup, nil, protocol.NewSubscriptionGroupConfig("OG").Marshal()); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := e.mq("skipAccumulatedMessage", "-g", "OG", "-t", "OffT")
	if code != 0 {
		t.Fatalf("skipAccumulatedMessage: %s", errOut)
	}
	mustMatch(t, out, `^#brokerName\s+#queueId\s+#brokerOffset\s+#consumerOffset\s+#timestampOffset\s+#rollbackOffset\s*$`,
		`^broker-a\s+0\s+3\s+1\s+3\s+3\s*$`)
	resp, err := adm.call(e.addr, protocol.QueryConsumerOffset, kv("consumerGroup", "OG", "topic", "OffT", "queueId", "0"), nil)
	if err != nil || resp.ExtFields.Value("offset") != "3" {
		t.Fatalf("offset after skip: %v %v", resp, err)
	}

	out, _, code = e.mq("updateTopicPerm", "-b", e.addr, "-t", "OffT", "-p", "4")
	if code != 0 {
		t.Fatal(out)
	}
	mustMatch(t, out, `^update topic perm from 6 to 4 in `+regexp.QuoteMeta(e.addr)+` success\.$`, `perm=R--`)
	out, _, _ = e.mq("producer", "-b", e.addr)
	_ = out // no producer heartbeats from mqadmin: nothing or empty groups, but no error
	if _, errOut, code := e.mq("producer", "-b", e.addr); code != 0 {
		t.Fatalf("producer: %s", errOut)
	}
}

// TestPrettyJSONMatchesJava: topicRoute's layout against what the Java 4.9.8 mqadmin printed
// for the same route (testdata copied from the wire-4.9.8 fixture).
func TestPrettyJSONMatchesJava(t *testing.T) {
	want, err := os.ReadFile("testdata/topicRoute-java-4.9.8.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := protocol.TopicRouteData{
		BrokerDatas: []protocol.BrokerData{{Cluster: "DefaultCluster", BrokerName: "broker-a",
			BrokerAddrs: map[int64]string{0: "127.0.0.1:20911"}}},
		QueueDatas:        []protocol.QueueData{{BrokerName: "broker-a", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6}},
		FilterServerTable: map[string][]string{},
	}
	if got := prettyJSON(r.Marshal(false)) + "\n"; got != string(want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := prettyJSON([]byte(`{"a":{0:"x",1:"y"},"b":[],"c":"q\"{,"}`)); got != "{\n\t\"a\":{0:\"x\",1:\"y\"\n\t},\n\t\"b\":[],\n\t\"c\":\"q\\\"{,\"\n}" {
		t.Fatalf("edge cases: %q", got)
	}
}

func TestRunningInfoQueues(t *testing.T) {
	body := []byte(`{"jstack":"","mqTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"cachedMsgCount":0,"locked":false},` +
		`{"brokerName":"broker-b","queueId":3,"topic":"T"}:{"cachedMsgCount":1,"locked":false}},"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"},` +
		`"statusTable":{},"subscriptionSet":[{"subString":"*","topic":"T"}]}`)
	got := runningInfoQueues(body)
	sort.Slice(got, func(i, j int) bool { return got[i].Compare(got[j]) < 0 })
	want := []protocol.MessageQueue{{Topic: "T", BrokerName: "broker-a", QueueID: 0}, {Topic: "T", BrokerName: "broker-b", QueueID: 3}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("queues %v, want %v", got, want)
	}
	if runningInfoQueues([]byte(`{"mqTable":{}}`)) != nil || runningInfoQueues([]byte(`garbage`)) != nil {
		t.Fatal("empty or bad running info yields queues")
	}
}

func TestJavaHashOrder(t *testing.T) {
	// Buckets (String.hashCode spread, & 15): T 4, %RETRY%please_rename_unique_group_name_4 7,
	// TopicTest 9, %RETRY%G 10 — computed outside Go.
	got := strings.Join(javaHashOrder([]string{"%RETRY%G", "%RETRY%please_rename_unique_group_name_4", "T", "TopicTest"}), " ")
	if want := "T %RETRY%please_rename_unique_group_name_4 TopicTest %RETRY%G"; got != want {
		t.Fatalf("javaHashOrder = %s, want %s", got, want)
	}
}
