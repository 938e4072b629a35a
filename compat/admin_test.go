package compat

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// adminCheck is one stock mqadmin run and what its output must show: each entry of want is a
// regular expression (multi-line mode) matched against the output, each of absent must not
// match. The patterns follow what the same command prints against a Java 4.9.8 broker
// (/work/shared/fixtures/wire-4.9.8/04-mqadmin-output.txt, admin-protocol.md §2).
type adminCheck struct {
	args   []string
	want   []string
	absent []string
}

// runAdminChecks runs the checks side by side (each JVM mostly waits) and reports every
// mismatch with the full output.
// mqadminRunIn runs the stock mqadmin in a scratch working directory (consumerStatus writes a
// file per client under the current directory) and returns its combined output.
func mqadminRunIn(home, dir string, args ...string) (string, error) {
	release := acquireJVM() // the suite-wide JVM budget (java_test.go)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(home, "bin", "mqadmin"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ROCKETMQ_LOG_HOME="+dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var transportFailure = regexp.MustCompile(`Remoting(Connect|Timeout|SendRequest)Exception`)

func runAdminChecks(t *testing.T, home, ns string, checks []adminCheck) []string {
	t.Helper()
	cmds := make([][]string, len(checks))
	for i, c := range checks {
		cmds[i] = append(append([]string{}, c.args...), "-n", ns)
	}
	// At most three JVMs at a time: more starve each other on two cores. A run that failed in
	// transport (the JVM timed out connecting or waiting on a loaded machine) is run once more
	// on its own; protocol errors are never retried.
	outs := make([]string, len(cmds))
	for i := 0; i < len(cmds); i += 3 {
		var wg sync.WaitGroup
		for j := i; j < min(i+3, len(cmds)); j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[j], _ = mqadminRunIn(home, t.TempDir(), cmds[j]...)
			}()
		}
		wg.Wait()
	}
	for i := range cmds {
		if transportFailure.MatchString(outs[i]) {
			t.Logf("mqadmin %s failed in transport, running it again:\n%s", strings.Join(cmds[i], " "), outs[i])
			outs[i], _ = mqadminRunIn(home, t.TempDir(), cmds[i]...)
		}
	}
	for i, c := range checks {
		for _, w := range c.want {
			if !regexp.MustCompile(`(?m)` + w).MatchString(outs[i]) {
				t.Errorf("mqadmin %s: output lacks /%s/:\n%s", strings.Join(c.args, " "), w, outs[i])
			}
		}
		for _, a := range c.absent {
			if regexp.MustCompile(`(?m)` + a).MatchString(outs[i]) {
				t.Errorf("mqadmin %s: output shows /%s/:\n%s", strings.Join(c.args, " "), a, outs[i])
			}
		}
	}
	return outs
}

// TestJavaMqadminAdmin drives the stock mqadmin 4.9.8 through the issue-7 subcommands against
// our NameServer and broker, with a live Go producer and push consumer, and checks each
// command's output has the layout and the values Java's broker would make it print.
func TestJavaMqadminAdmin(t *testing.T) {
	t.Parallel()
	home := requireJava(t)
	c := newCluster(t, 1, nil)
	ns := c.NamesrvAddr()
	addr := c.brokers[0].Addr()
	q := regexp.QuoteMeta
	topic, group, pgroup := uniq("AdmT"), uniq("AdmG"), uniq("AdmP")
	delTopic, delGroup := uniq("AdmDel"), uniq("AdmDelG")

	// Setup and read-only commands that need no traffic.
	runAdminChecks(t, home, ns, []adminCheck{
		{args: []string{"updateTopic", "-c", "CompatCluster", "-t", topic, "-r", "2", "-w", "2"},
			want: []string{`^create topic to ` + q(addr) + ` success\.$`,
				q("TopicConfig [topicName=" + topic + ", readQueueNums=2, writeQueueNums=2, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]")}},
		{args: []string{"updateTopic", "-b", addr, "-t", delTopic}, want: []string{`create topic to ` + q(addr) + ` success\.`}},
		{args: []string{"updateSubGroup", "-c", "CompatCluster", "-g", group, "-r", "5"},
			want: []string{`^create subscription group to ` + q(addr) + ` success\.$`,
				q("SubscriptionGroupConfig [groupName=" + group + ", consumeEnable=true, consumeFromMinEnable=false, consumeBroadcastEnable=false, retryQueueNums=1, retryMaxTimes=5, brokerId=0, whichBrokerWhenConsumeSlowly=1, notifyConsumerIdsChangedEnable=true]")}},
		{args: []string{"updateSubGroup", "-b", addr, "-g", delGroup}, want: []string{`create subscription group to ` + q(addr) + ` success\.`}},
		{args: []string{"brokerStatus", "-b", addr},
			want: []string{`^brokerVersionDesc\s+: V4_9_8$`, `^putTps\s+: [0-9.]+( [0-9.]+)*\s*$`, `^getTotalTps\s+: `,
				`^commitLogDiskRatio\s+: 0\.\d+$`, `^bootTimestamp\s+: \d{13}$`, `^runtime\s+: \[ 0 days, 0 hours, `}},
		{args: []string{"getBrokerConfig", "-b", addr},
			want: []string{`^============` + q(addr) + `============$`, `^brokerName\s+=  broker-a$`, `^brokerClusterName\s+=  CompatCluster$`,
				`^listenPort\s+=  \d+$`}},
		{args: []string{"updateBrokerConfig", "-b", addr, "-k", "flushConsumerOffsetInterval", "-v", "4321"},
			want: []string{`^update broker config success, ` + q(addr) + `$`}},
		{args: []string{"updateKvConfig", "-s", "H11NS", "-k", "k1", "-v", "v1"},
			want: []string{`^create or update kv config to namespace success\.$`}},
		{args: []string{"getNamesrvConfig"}, want: []string{`^============` + q(ns) + `============$`, `^listenPort\s+=  `}},
	})

	// Traffic: a Go producer sends keyed messages, a Go push consumer of group consumes them.
	c.waitRoute(topic)
	p := startProducer(t, c, producer.WithGroupName(pgroup))
	var offsetID, uniqKey string
	var qid int
	for i := 0; i < 4; i++ {
		m := primitive.NewMessage(topic, []byte("body-"+string(rune('a'+i))))
		m.WithKeys([]string{"key-" + string(rune('a'+i))})
		m.WithTag("TagA")
		r, err := p.SendSync(context.Background(), m)
		if err != nil || r.Status != primitive.SendOK {
			t.Fatalf("send: %v %v", r, err)
		}
		if i == 0 {
			offsetID, uniqKey, qid = r.OffsetMsgID, r.MsgID, r.MessageQueue.QueueId
		}
	}
	d := newDeliveries()
	startPush(t, c, pushSpec{group: group, topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, 4, 30*time.Second)
	// The Go client commits every 5 s; a loaded machine may need a few rounds.
	waitFor(t, 40*time.Second, "committed offsets", func() bool { return committedSum(t, addr, group, topic, 2) == 4 })

	outs := runAdminChecks(t, home, ns, []adminCheck{
		{args: []string{"topicStatus", "-t", topic},
			want: []string{`^#Broker Name\s+#QID\s+#Min Offset\s+#Max Offset\s+#Last Updated\s*$`,
				`^broker-a\s+0\s+0\s+\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$`}},
		{args: []string{"topicClusterList", "-t", topic}, want: []string{`^CompatCluster$`}},
		{args: []string{"topicList", "-c"}, want: []string{`^#Cluster Name\s+#Topic\s+#Consumer Group\s*$`,
			`^CompatCluster\s+` + q(topic) + `\s+` + q(group) + `\s*$`}},
		{args: []string{"consumerProgress", "-g", group},
			want: []string{`^#Topic\s+#Broker Name\s+#QID\s+#Broker Offset\s+#Consumer Offset\s+#Diff\s+#LastTime\s*$`,
				`^` + q(topic) + `\s+broker-a\s+0\s+(\d+)\s+\d+\s+0\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`,
				`^Consume TPS: \d+\.\d\d$`, `^Diff Total: 0$`}},
		{args: []string{"consumerConnection", "-g", group},
			want: []string{`^#ClientId\s+#ClientAddr\s+#Language\s+#Version\s*$`, `\s+127\.0\.0\.1:\d+\s+GO\s+V`,
				`^Below is subscription:`, `^` + q(topic) + `\s+\*$`, `^ConsumeType: CONSUME_PASSIVELY$`,
				`^MessageModel: CLUSTERING$`, `^ConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET$`}},
		{args: []string{"producerConnection", "-g", pgroup, "-t", topic},
			want: []string{`^0001  \S+\s+127\.0\.0\.1:\d+\s+GO\s+V`}},
		{args: []string{"queryMsgById", "-i", offsetID},
			want: []string{`^OffsetID:\s+` + q(offsetID) + `$`, `^Topic:\s+` + q(topic) + `$`, `^Tags:\s+\[TagA\]$`,
				`^Keys:\s+\[key-a\]$`, `^Store Host:\s+` + q(addr) + `$`}},
		{args: []string{"queryMsgByKey", "-t", topic, "-k", "key-b"},
			want: []string{`^#Message ID\s+#QID\s+#Offset\s*$`, `^[0-9A-Fa-f]{32}\s+\d\s+\d+\s*$`}},
		{args: []string{"queryMsgByUniqueKey", "-i", uniqKey, "-t", topic},
			want: []string{`^Topic:\s+` + q(topic) + `$`, `^Keys:\s+\[key-a\]$`}},
		{args: []string{"queryMsgByOffset", "-t", topic, "-b", "broker-a", "-i", strconv.Itoa(qid), "-o", "0"},
			want: []string{`^Topic:\s+` + q(topic) + `$`, `^Queue ID:\s+` + strconv.Itoa(qid) + `$`, `^Queue Offset:\s+0$`}},
		{args: []string{"statsAll", "-t", topic},
			want: []string{`^#Topic\s+#Consumer Group\s+#Accumulation\s+#InTPS\s+#OutTPS\s+#InMsg24Hour\s+#OutMsg24Hour\s*$`,
				`^` + q(topic) + `\s+` + q(group) + `\s+0\s+\d+\.\d\d\s+\d+\.\d\d\s+4\s+4$`}},
		{args: []string{"brokerConsumeStats", "-b", addr},
			want: []string{`^#Topic\s+#Group\s+#Broker Name\s+#QID`, `^Diff Total: 0$`}},
		{args: []string{"getConsumerConfig", "-g", group},
			want: []string{`^=+CompatCluster:broker-a=+$`, `^groupName\s+=  ` + q(group) + `$`, `^retryMaxTimes\s+=  5$`}},
		{args: []string{"allocateMQ", "-t", topic, "-i", "10.0.0.1,10.0.0.2"},
			// Java hands the queues over in HashSet order: each id gets one of the two.
			want: []string{`"10\.0\.0\.1":\[\{"brokerName":"broker-a","queueId":[01],"topic":"` + q(topic) + `"\}\]`,
				`"10\.0\.0\.2":\[\{"brokerName":"broker-a","queueId":[01],"topic":"` + q(topic) + `"\}\]`}},
		{args: []string{"consumerStatus", "-g", group},
			want: []string{`^#Index\s+#ClientId\s+#Version\s+#ConsumerRunningInfoFile\s*$`, `^1\s+\S+\s+V\d_\d_\d\S*\s+\d+/\S+$`,
				`Same subscription in the same group of consumer`}},
		{args: []string{"consumeMessage", "-t", topic, "-b", "broker-a", "-i", strconv.Itoa(qid), "-o", "0", "-c", "1"},
			want: []string{`^Consume ok$`, `^MSGID: \S+ MessageExt \[`}},
		{args: []string{"getBrokerConfig", "-b", addr}, want: []string{`^flushConsumerOffsetInterval\s+=  4321$`}},
		{args: []string{"sendMessage", "-t", topic, "-p", "from-mqadmin", "-k", "kk"},
			want: []string{`^#Broker Name\s+#QID\s+#Send Result\s+#MsgId\s*$`, `^broker-a\s+\d\s+SEND_OK\s+[0-9A-F]+$`}},
		{args: []string{"updateOrderConf", "-t", topic, "-m", "put", "-v", "broker-a:2"},
			want: []string{`update orderConf success\. topic=\[` + q(topic) + `\], orderConf=\[broker-a:2\]`}},
		{args: []string{"cleanExpiredCQ", "-b", addr}, want: []string{`success`}},
		{args: []string{"cleanUnusedTopic", "-b", addr}, want: []string{`success`}},
	})
	_ = outs

	// Commands that change state, then their effects.
	runAdminChecks(t, home, ns, []adminCheck{
		{args: []string{"resetOffsetByTime", "-g", group, "-t", topic, "-s", "0"},
			want: []string{`rollback consumer offset by specified group\[` + q(group) + `\], topic\[` + q(topic) + `\], force\[true\]`,
				`^#brokerName\s+#queueId\s+#offset\s*$`, `^broker-a\s+0\s+0\s*$`}},
		{args: []string{"deleteSubGroup", "-b", addr, "-g", delGroup},
			want: []string{`^delete subscription group \[` + q(delGroup) + `\] from broker \[` + q(addr) + `\] success\.$`}},
		{args: []string{"deleteTopic", "-c", "CompatCluster", "-t", delTopic},
			want: []string{`^delete topic \[` + q(delTopic) + `\] from cluster \[CompatCluster\] success\.$`,
				`^delete topic \[` + q(delTopic) + `\] from NameServer success\.$`}},
		{args: []string{"wipeWritePerm", "-b", "broker-a"},
			want: []string{`^wipe write perm of broker\[broker-a\] in name server\[` + q(ns) + `\] OK, \d+$`}},
		{args: []string{"deleteKvConfig", "-s", "H11NS", "-k", "k1"}, want: []string{`^delete kv config from namespace success\.$`}},
		{args: []string{"updateNamesrvConfig", "-k", "orderMessageEnable", "-v", "true"},
			want: []string{`^update name server config success!\[` + q(ns) + `\]$`, `^orderMessageEnable : true$`}},
	})
	runAdminChecks(t, home, ns, []adminCheck{
		{args: []string{"addWritePerm", "-b", "broker-a"},
			want: []string{`^add write perm of broker\[broker-a\] in name server\[` + q(ns) + `\] OK, [1-9]\d*$`}},
		{args: []string{"topicList"}, absent: []string{`^` + q(delTopic) + `$`}, want: []string{`^` + q(topic) + `$`}},
		{args: []string{"getConsumerConfig", "-g", delGroup}, absent: []string{`groupName`}},
		{args: []string{"updateOrderConf", "-t", topic, "-m", "get"}, want: []string{`orderConf=\[broker-a:2\]`}},
		{args: []string{"getNamesrvConfig"}, want: []string{`^orderMessageEnable\s+=  true$`}},
	})
}

// TestJavaMqadminAdminErrors: bad input gets Java's codes and remarks through the stock tool.
func TestJavaMqadminAdminErrors(t *testing.T) {
	t.Parallel()
	home := requireJava(t)
	c := newCluster(t, 1, nil)
	ns := c.NamesrvAddr()
	addr := c.brokers[0].Addr()
	type bad struct {
		args []string
		want string
		ours bool // rocketgo refuses what Java silently ignores (issue 7 point 5)
	}
	cases := []bad{
		{[]string{"updateTopic", "-b", addr, "-t", "bad topic!"}, "CODE: 1  DESC: The specified topic contains illegal characters", false},
		{[]string{"updateTopic", "-b", addr, "-t", "TBW102"}, "CODE: 1  DESC: The topic[TBW102] is conflict with system topic.", false},
		{[]string{"updateBrokerConfig", "-b", addr, "-k", "noSuchKey", "-v", "1"}, "unknown broker config key: noSuchKey", true},
		{[]string{"updateBrokerConfig", "-b", addr, "-k", "brokerPermission", "-v", "abc"}, "invalid value [abc] for broker config key [brokerPermission]", true},
		{[]string{"updateBrokerConfig", "-b", addr, "-k", "brokerConfigPath", "-v", "/tmp/x"}, "CODE: 16  DESC: Can not update config in black list.", false},
		{[]string{"topicStatus", "-t", "NoSuchTopicH11"}, "No topic route info in name server for the topic: NoSuchTopicH11", false},
		{[]string{"consumerConnection", "-g", "NoSuchGroupH11", "-b", addr}, "the consumer group[NoSuchGroupH11] not online", false},
	}
	if targetJava() {
		kept := cases[:0]
		for _, cs := range cases {
			if !cs.ours {
				kept = append(kept, cs)
			}
		}
		cases = kept
	}
	outs := make([]string, len(cases))
	done := make(chan int, len(cases))
	for i, cs := range cases {
		go func() {
			outs[i], _ = mqadminRun(home, t.TempDir(), append(cs.args, "-n", ns)...)
			done <- i
		}()
	}
	for range cases {
		<-done
	}
	for i, cs := range cases {
		if !strings.Contains(outs[i], cs.want) {
			t.Errorf("mqadmin %s: output lacks %q:\n%s", strings.Join(cs.args, " "), cs.want, outs[i])
		}
	}
}

// buildGoMqadmin compiles cmd/mqadmin once per test binary.
var goMqadmin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "gomqadmin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "mqadmin")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/rocketgo/rocketgo/cmd/mqadmin").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build cmd/mqadmin: %v\n%s", err, out)
	}
	return bin, nil
})

// TestGoMqadminMatchesJava runs our Go mqadmin and the stock Java one on the same state and
// compares what they print: byte for byte where Java's output is deterministic, as sorted
// lines where Java walks a hash map (topicList, getBrokerConfig).
func TestGoMqadminMatchesJava(t *testing.T) {
	t.Parallel()
	home := requireJava(t)
	bin, err := goMqadmin()
	if err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, 1, nil)
	ns := c.NamesrvAddr()
	addr := c.brokers[0].Addr()
	topic, group, pgroup := uniq("CmpT"), uniq("CmpG"), uniq("CmpP")
	c.createTopic(topic, 2)
	c.waitRoute(topic)
	p := startProducer(t, c, producer.WithGroupName(pgroup))
	var offsetID string
	for i := 0; i < 3; i++ {
		m := primitive.NewMessage(topic, []byte("cmp"))
		m.WithKeys([]string{"cmp-key"})
		m.WithTag("T")
		r, err := p.SendSync(context.Background(), m)
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		offsetID = r.OffsetMsgID
	}
	d := newDeliveries()
	startPush(t, c, pushSpec{group: group, topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, 3, 30*time.Second)
	waitFor(t, 40*time.Second, "committed offsets", func() bool { return committedSum(t, addr, group, topic, 2) == 3 })

	type cmp struct {
		args   []string
		sorted bool
		fuzzy  bool // rates, ratios and windowed sums move between the two runs: compare with numbers masked
		subset bool // a Java broker creates system topics lazily (transaction half topic): Java's lines ⊆ ours
	}
	cmps := []cmp{
		{args: []string{"topicStatus", "-t", topic}},
		{args: []string{"topicRoute", "-t", topic}},
		{args: []string{"topicRoute", "-t", topic, "-l"}},
		{args: []string{"topicClusterList", "-t", topic}},
		{args: []string{"getConsumerConfig", "-g", group}},
		{args: []string{"consumerConnection", "-g", group}},
		{args: []string{"producerConnection", "-g", pgroup, "-t", topic}},
		{args: []string{"queryMsgByKey", "-t", topic, "-k", "cmp-key"}, sorted: true},
		{args: []string{"queryMsgById", "-i", offsetID}},
		{args: []string{"brokerConsumeStats", "-b", addr}},
		{args: []string{"topicList"}, sorted: true, subset: true},
		{args: []string{"getBrokerConfig", "-b", addr}, sorted: true},
		{args: []string{"getNamesrvConfig"}, sorted: true},
		{args: []string{"consumerProgress", "-g", group}, fuzzy: true},
		{args: []string{"statsAll", "-t", topic}, fuzzy: true},
		{args: []string{"clusterList"}, fuzzy: true},
		{args: []string{"topicList", "-c"}, sorted: true, subset: true},
	}
	compare := func(cmps []cmp) {
		checks := make([]adminCheck, len(cmps))
		for i, cm := range cmps {
			checks[i] = adminCheck{args: cm.args}
		}
		javaOuts := runAdminChecks(t, home, ns, checks)
		// Numbers are masked: rates move, and a Java broker's minute window forgets puts after 60 s.
		decimal := regexp.MustCompile(`\d+(\.\d+)?`)
		space := regexp.MustCompile(`[ \t]+`)
		norm := func(s string, sorted, fuzzy bool) string {
			s = strings.TrimRight(strings.ReplaceAll(s, "\r", ""), "\n")
			if fuzzy {
				s = space.ReplaceAllString(decimal.ReplaceAllString(s, "F"), " ")
			}
			if !sorted {
				return s
			}
			lines := strings.Split(s, "\n")
			sort.Strings(lines)
			return strings.Join(lines, "\n")
		}
		for i, cm := range cmps {
			out, err := exec.Command(bin, append(append([]string{}, cm.args...), "-n", ns)...).CombinedOutput()
			if err != nil {
				t.Errorf("go mqadmin %s: %v\n%s", strings.Join(cm.args, " "), err, out)
				continue
			}
			g, j := norm(string(out), cm.sorted, cm.fuzzy), norm(javaOuts[i], cm.sorted, cm.fuzzy)
			if cm.subset {
				have := map[string]bool{}
				for _, l := range strings.Split(g, "\n") {
					have[l] = true
				}
				for _, l := range strings.Split(j, "\n") {
					if !have[l] {
						t.Errorf("mqadmin %s: go output lacks Java's line %q\n--- go ---\n%s", strings.Join(cm.args, " "), l, g)
					}
				}
				continue
			}
			if g != j {
				// The Java runs come first, as one batch; a live consumer may have committed a
				// new queue's offset (its %RETRY% queue, every 5 s) before the Go run. Ask the
				// Java tool again on the state the Go tool saw: only a difference that persists counts.
				again := runAdminChecks(t, home, ns, []adminCheck{{args: cm.args}})
				j = norm(again[0], cm.sorted, cm.fuzzy)
			}
			if g != j {
				t.Errorf("mqadmin %s differs\n--- java ---\n%s\n--- go ---\n%s", strings.Join(cm.args, " "), j, g)
			}
		}
	}
	compare(cmps)
	// A pull as TOOLS_CONSUMER makes a Java broker create %RETRY%TOOLS_CONSUMER: after the rest.
	compare([]cmp{{args: []string{"consumeMessage", "-t", topic, "-b", "broker-a", "-i", "0", "-o", "0", "-c", "1"}}})
}
