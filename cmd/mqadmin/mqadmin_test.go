package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/conf"
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
		`^DefaultCluster\s+broker-a\s+0\s+`+q(e.addr)+`\s+V4_9_8\s+0\.00\(0,0ms\)\s+0\.00\(0,0ms\)\s+0\s+[1-9]\d{5,}\.\d\d\s+0\.\d{4}$`) // empty store: hours since 1970, as Java
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
	// Java prints these on stdout (and exits 0: ours exits 1).
	out.Reset()
	if code := run([]string{"nope"}, &out, &errOut); code != 1 || out.String() != "The sub command nope not exist.\n" {
		t.Fatalf("unknown command: %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"help", "queryMsgById", "-n", "x"}, &out, &errOut); code != 1 || out.String() != "The sub command help not exist.\n" {
		t.Fatalf("help with more words: %d %q", code, out.String())
	}
	// A parse error prints the usage on stdout like commons-cli, the reason on stderr.
	for _, c := range []struct {
		args []string
		why  string
	}{
		{[]string{"topicStatus"}, "Missing required option: t"},
		{[]string{"topicStatus", "-h"}, "Missing required option: t"}, // checked before -h, as Java does
		{[]string{"updateTopic", "-t", "T"}, "Missing required option: [-b, -c]"},
		{[]string{"updateTopic", "-t", "T", "-b", "x", "-c", "y"}, "an option from this group has already been selected: 'b'"},
		{[]string{"topicStatus", "-t", "T", "-z"}, "Unrecognized option: -z"},
		{[]string{"topicStatus", "-t"}, "Missing argument for option: t"},
	} {
		out.Reset()
		errOut.Reset()
		if code := run(c.args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), c.why) ||
			!strings.HasPrefix(out.String(), "usage: mqadmin "+c.args[0]+" ") {
			t.Errorf("%v: %d stdout %q stderr %q", c.args, code, out.String(), errOut.String())
		}
	}
	out.Reset()
	run([]string{"help", "updateTopic"}, &out, &errOut)
	wantUsage := "usage: mqadmin updateTopic -b <arg> | -c <arg>  [-h] [-n <arg>] [-o <arg>] [-p <arg>] [-r <arg>] [-s <arg>] -t\n" +
		"       <arg> [-u <arg>] [-w <arg>]\n -b,--brokerAddr <arg>       create topic to which broker\n"
	if !strings.HasPrefix(out.String(), wantUsage) {
		t.Errorf("updateTopic usage (commons-cli 1.5 layout, width 110):\n%s", out.String())
	}
	if got := wrapText(20, 5, "aaaa bbbb cccc dddd eeee ffff"); got != "aaaa bbbb cccc dddd\n     eeee ffff" {
		t.Errorf("wrapText %q", got)
	}
	if vals, err := parseOptions(find("consumeMessage"), []string{"-t", "T", "--beginTimestamp", "5", "--endTimestamp=6"}); err != nil || vals["s"] != "5" || vals["e"] != "6" {
		t.Errorf("long-name prefix: %v %v", vals, err)
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
		if got := protocol.VersionDesc(v); got != want {
			t.Errorf("protocol.VersionDesc(%d) = %s, want %s", v, got, want)
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

// TestRunningInfoFormatMatchesJava: consumerStatus -i's text against what the Java 4.9.8
// mqadmin printed for the same answer of a rocketmq-client-go push consumer (both captured
// from one consumer a moment apart, the machine's zone UTC).
func TestRunningInfoFormatMatchesJava(t *testing.T) {
	body, err := os.ReadFile("testdata/runningInfo-goclient.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/consumerStatus-i-java-4.9.8.txt")
	if err != nil {
		t.Fatal(err)
	}
	local := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = local })
	ri, err := parseRunningInfo(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := ri.formatString(); got != string(want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{``, `garbage`, `{"mqTable":{{"topic":"T"}}}`, `[1,2]`, `{"a":"\u12"}`, strings.Repeat("[", 100)} {
		if _, err := parseRunningInfo([]byte(bad)); err == nil {
			t.Errorf("parseRunningInfo(%q) accepted", bad)
		}
	}
}

// TestRunningInfoAnalysis: the subscription check, Java's half-up rounding and the property
// order of a Java client's bigger Properties map.
func TestRunningInfoAnalysis(t *testing.T) {
	now := time.UnixMilli(10 * 60 * 1000)
	mk := func(start int64, subs ...string) *runningInfo {
		ri := &runningInfo{props: [][2]string{{"PROP_CONSUME_TYPE", "CONSUME_PASSIVELY"},
			{"PROP_CONSUMER_START_TIMESTAMP", strconv.FormatInt(start, 10)}}}
		for _, s := range subs {
			ri.subs = append(ri.subs, runningSub{topic: s, subString: "*"})
		}
		return ri
	}
	cases := []struct {
		name  string
		infos map[string]*runningInfo
		same  bool
	}{
		{"equal", map[string]*runningInfo{"a": mk(0, "T"), "b": mk(0, "T")}, true},
		{"different", map[string]*runningInfo{"a": mk(0, "T"), "b": mk(0, "U")}, false},
		{"different but young", map[string]*runningInfo{"a": mk(now.UnixMilli()-1000, "T"), "b": mk(0, "U")}, true},
		{"empty", map[string]*runningInfo{"a": mk(0), "b": mk(0)}, false},
	}
	for _, c := range cases {
		if got := sameSubscription([]string{"a", "b"}, c.infos, now); got != c.same {
			t.Errorf("%s: sameSubscription = %v, want %v", c.name, got, c.same)
		}
	}
	blocked := &runningInfo{props: [][2]string{{"PROP_CONSUME_TYPE", "CONSUME_PASSIVELY"}},
		mqs: []runningMQ{{mq: protocol.MessageQueue{Topic: "T", BrokerName: "b", QueueID: 1}, cachedCount: 3, lastConsume: 1000}}}
	if got, want := processQueueWarnings("c1", blocked, now), "c1 MessageQueue [topic=T, brokerName=b, queueId=1] can't consume for a while, maybe blocked, 599000ms\n"; got != want {
		t.Errorf("warning %q, want %q", got, want)
	}
	for f, want := range map[float64]string{0.125: "0.13", 0: "0.00", 1.005: "1.01", 2.5: "2.50", 9.995: "10.00", -0.001: "-0.00", 123.454: "123.45"} {
		if got := javaF2(f); got != want {
			t.Errorf("javaF2(%v) = %s, want %s", f, got, want)
		}
	}
}

// TestResetOffsetOrder: the rows resetOffsetByTime printed for three topics' two queues
// (Java 4.9.8 against our broker): a putAll into an empty HashMap sizes it to 4 bins.
func TestResetOffsetOrder(t *testing.T) {
	for topic, first := range map[string]int32{"A7T": 0, "CmpT352825940_982": 0, "CmpT344480430_868": 1} {
		m := map[protocol.MessageQueue]int64{{Topic: topic, BrokerName: "broker-a", QueueID: 0}: 0, {Topic: topic, BrokerName: "broker-a", QueueID: 1}: 0}
		if got := hashOrderMQs(m, []int{2}); got[0].QueueID != first {
			t.Errorf("%s: order %v, Java printed queue %d first", topic, got, first)
		}
	}
	for _, c := range []struct {
		batches []int
		bins    uint32
	}{{[]int{2}, 4}, {[]int{8}, 16}, {[]int{16}, 32}, {[]int{2, 2}, 8}, {[]int{4, 4}, 16}, {nil, 1}} {
		if got := putAllBins(c.batches); got != c.bins {
			t.Errorf("putAllBins(%v) = %d, want %d", c.batches, got, c.bins)
		}
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

// TestPropertiesOrderMatchesJava: getBrokerConfig's 180-odd keys in the order the Java 4.9.8
// tool printed them for the same GET_BROKER_CONFIG body (a Properties whose ConcurrentHashMap
// doubled four times while it was loaded).
func TestPropertiesOrderMatchesJava(t *testing.T) {
	body, err := os.ReadFile("testdata/brokerConfig-body.properties")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/getBrokerConfig-java-4.9.8.txt")
	if err != nil {
		t.Fatal(err)
	}
	props, err := conf.ParseProperties(body)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString("============127.0.0.1:20911============\n")
	for _, p := range propertiesOrder(props) {
		fmt.Fprintf(&sb, "%-50s=  %s\n", p.Key, p.Value)
	}
	sb.WriteString("\n")
	if sb.String() != string(want) {
		t.Fatalf("got\n%s\nwant\n%s", sb.String(), want)
	}
	// A repeated key keeps its first place and the last value, as Properties.load does.
	got := javaCHMOrder([][2]string{{"a", "1"}, {"b", "2"}, {"a", "3"}})
	if len(got) != 2 || got[0] != [2]string{"a", "3"} || got[1] != [2]string{"b", "2"} {
		t.Fatalf("repeated key: %v", got)
	}
}

// FuzzParseRunningInfo: whatever a client answers, decoding and formatting never panic.
func FuzzParseRunningInfo(f *testing.F) {
	if body, err := os.ReadFile("testdata/runningInfo-goclient.json"); err == nil {
		f.Add(body)
	}
	f.Add([]byte(`{"mqTable":{{"topic":"T","brokerName":"b","queueId":1}:{"cachedMsgCount":"x"}},"jstack":null}`))
	f.Add([]byte(`{"properties":{1:2},"subscriptionSet":[{"topic":"\ud83d\ude00"}],"statusTable":{"T":[]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ri, err := parseRunningInfo(body)
		if err != nil {
			return
		}
		_ = ri.formatString()
		_ = processQueueWarnings("c", ri, time.Now())
		_ = sameSubscription([]string{"c"}, map[string]*runningInfo{"c": ri}, time.Now())
	})
}

// TestHelpListMatchesJava: "mqadmin" alone lists our commands with Java's descriptions, in
// Java's order (the Java 4.9.8 list, captured, has more commands than we have).
func TestHelpListMatchesJava(t *testing.T) {
	want, err := os.ReadFile("testdata/help-java-4.9.8.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	run(nil, &out, &errOut)
	javaLines := strings.Split(string(want), "\n")
	pos := 0
	for _, l := range strings.Split(out.String(), "\n") {
		i := slices.Index(javaLines[pos:], l)
		if i < 0 {
			t.Fatalf("line %q is not in Java's list after line %d:\n%s", l, pos, want)
		}
		pos += i + 1
	}
	for _, name := range strings.Fields(`updateTopic deleteTopic topicList topicRoute topicStatus topicClusterList
		updateSubGroup deleteSubGroup consumerProgress consumerConnection producerConnection consumerStatus clusterList
		brokerStatus getBrokerConfig updateBrokerConfig queryMsgById queryMsgByKey queryMsgByOffset queryMsgByUniqueKey
		resetOffsetByTime sendMessage consumeMessage statsAll wipeWritePerm addWritePerm updateKvConfig deleteKvConfig
		getNamesrvConfig updateNamesrvConfig cleanExpiredCQ cleanUnusedTopic brokerConsumeStats updateOrderConf allocateMQ
		getConsumerConfig queryCq`) {
		if !strings.Contains(out.String(), "   "+name+" ") {
			t.Errorf("help lists no %s", name)
		}
	}
}

// TestTransportErrorsWorded: a broker that cannot be reached is reported in the Java tool's
// words on every path, including the ones that call the client directly (pull for
// consumeMessage, SEND_MESSAGE_V2, the reset-offset broadcast).
func TestTransportErrorsWorded(t *testing.T) {
	dead := "127.0.0.1:1" // nothing listens on port 1: the dial is refused at once
	want := "connect to " + dead + " failed"
	adm := newAdmin("")
	defer adm.close()
	if _, err := adm.pull(dead, "G", "T", 0, 0, 1); err == nil || err.Error() != want {
		t.Errorf("pull: %v, want %q", err, want)
	}
	if _, err := adm.sendV2(sendTarget{broker: "broker-a", addr: dead}, "P", "T", 0, nil, []byte("x")); err == nil || err.Error() != want {
		t.Errorf("sendV2: %v, want %q", err, want)
	}
	route := &protocol.TopicRouteData{BrokerDatas: []protocol.BrokerData{{BrokerName: "broker-a",
		BrokerAddrs: map[int64]string{0: dead}}}}
	if _, _, _, err := resetOnline(&ctx{adm: adm}, route, "G", "T", 0, true, false); err == nil || err.Error() != want {
		t.Errorf("resetOnline: %v, want %q", err, want)
	}
}

// TestSendMessageAsProducer: sendMessage finds its queue as a 4.9.8 producer does. A topic the
// name server does not know goes out on TBW102's route (the broker creates it); -b alone does
// not narrow the choice; -b with -i names the queue, and a broker nobody knows is Java's
// "The broker[…] not exist". The table is printed only after a send that worked.
func TestSendMessageAsProducer(t *testing.T) {
	e := startEnv(t)
	cases := []struct {
		args    []string
		code    int
		stdout  string // regexp
		errText string
	}{
		{[]string{"-t", "AutoT1", "-p", "x"}, 0, `^#Broker Name +#QID +#Send Result +#MsgId\nbroker-a +[0-3] +SEND_OK +[0-9A-F]{32}\n$`, ""},
		{[]string{"-t", "AutoT2", "-p", "x", "-b", "broker-a", "-i", "2"}, 0, `^#Broker Name.*\nbroker-a +2 +SEND_OK +[0-9A-F]{32}\n$`, ""},
		{[]string{"-t", "AutoT1", "-p", "x", "-b", "nosuch"}, 0, `^#Broker Name.*\nbroker-a +[0-3] +SEND_OK`, ""},
		{[]string{"-t", "AutoT1", "-p", "x", "-b", "nosuch", "-i", "0"}, 1, `^$`,
			"SendMessageCommand command failed: The broker[nosuch] not exist\nFor more information, please visit the url, http://rocketmq.apache.org/docs/faq/\n"},
		{[]string{"-t", "AutoT1", "-p", "x", "-b", "broker-a", "-i", "99"}, 1, `^$`,
			"SendMessageCommand command failed: CODE: 1  DESC: request queueId[99] is illegal"},
	}
	for _, c := range cases {
		out, errOut, code := e.mq(append([]string{"sendMessage"}, c.args...)...)
		if code != c.code || !regexp.MustCompile(c.stdout).MatchString(out) || !strings.HasPrefix(errOut, c.errText) {
			t.Errorf("sendMessage %v: exit %d, stdout %q, stderr %q; want exit %d, stdout /%s/, stderr %q…",
				c.args, code, out, errOut, c.code, c.stdout, c.errText)
		}
	}
	if _, errOut, _ := e.mq("sendMessage", "-t", "AutoT1", "-p", "x", "-b", "broker-a", "-i", "99"); !strings.Contains(errOut, " BROKER: "+e.addr) {
		t.Errorf("a refused send names the broker, as MQBrokerException does: %q", errOut)
	}
}
