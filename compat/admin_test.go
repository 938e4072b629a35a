package compat

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// runAdminChecks runs the checks in list order in one JVM (runJavaBatch) and reports every
// mismatch with the full output.
func runAdminChecks(t *testing.T, home, ns string, checks []adminCheck) []string {
	t.Helper()
	cmds := make([][]string, len(checks))
	for i, c := range checks {
		cmds[i] = append(append([]string{}, c.args...), "-n", ns)
	}
	outs, _ := runJavaBatch(t, home, cmds, make([]bool, len(cmds)), 1)
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
	if bin, err := goMqadmin(); err == nil {
		waitRunningInfo(t, group, func(args ...string) (string, int) {
			cmd := exec.Command(bin, append(args, "-n", ns)...)
			cmd.Dir = t.TempDir() // consumerStatus writes a file per client there
			out, err := cmd.Output()
			if err != nil {
				return string(out), 1
			}
			return string(out), 0
		})
	}

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
	cmds := make([][]string, len(cases))
	for i, cs := range cases {
		cmds[i] = append(append([]string{}, cs.args...), "-n", ns)
	}
	outs, _ := runJavaBatch(t, home, cmds, make([]bool, len(cmds)), 1)
	for i, cs := range cases {
		if !strings.Contains(outs[i], cs.want) {
			t.Errorf("mqadmin %s: output lacks %q:\n%s", strings.Join(cs.args, " "), cs.want, outs[i])
		}
	}
}

// waitRunningInfo waits until the group's one consumer answers GET_CONSUMER_RUNNING_INFO and
// returns its client id. rocketmq-client-go cannot encode its running info right after it
// started (it answers "json marshal error: ... NaN" until its stats have a sample). run runs
// our mqadmin.
func waitRunningInfo(t *testing.T, group string, run func(args ...string) (string, int)) string {
	t.Helper()
	var clientID string
	waitFor(t, 30*time.Second, "consumer running info", func() bool {
		out, code := run("consumerStatus", "-g", group)
		if f := strings.Fields(strings.SplitN(out+"\n\n", "\n", 3)[1]); code == 0 && len(f) >= 2 && f[0] == "1" {
			clientID = f[1]
			_, code = run("consumerStatus", "-g", group, "-i", clientID)
			return code == 0
		}
		return false
	})
	return clientID
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

// goCmp is one command run by both tools. {X} in args becomes "J" for the Java tool and "G"
// for ours, so a mutating command works on its own but equivalent object on each side; the
// outputs are compared with each side's names put back to the {X} form.
type goCmp struct {
	args   []string
	sorted bool // Java's order is not reproducible (queryMsgByKey merges threads' results)
	fuzzy  bool // rates, ratios and windowed sums move between the two runs: numbers masked
	stdout bool // a usage error: compare our stdout (Java prints only the usage; we add the reason on stderr)
	mut    bool // changes state: never asked again (idempotent commands may be)
	// fresh runs the stock tool in a JVM of its own: SendMessageCommand keeps the producer it
	// shut down after its first run, so a second run in the same JVM fails.
	fresh bool
}

// javaNoise is what a Java stack trace adds around the message lines.
var javaNoise = regexp.MustCompile(`(?m)^(\tat .*|\t\.\.\. \d+ more|For more information, please visit the url, http://rocketmq\.apache\.org/docs/faq/)\n`)

// javaFailure is Java's SubCommandException (or the RuntimeException that sendMessage throws
// instead) and its first cause, once the noise is gone: our tool prints the same two messages
// on one line, "<Class> command failed: <cause>".
var javaFailure = regexp.MustCompile(`(?m)^(?:org\.apache\.rocketmq\.tools\.command\.SubCommandException|java\.lang\.RuntimeException): (.*)\nCaused by: [\w.$]+: (.*)$`)

// What must vary between two runs, each pattern narrow enough to hit only its field: the
// directory consumerStatus names after the current millisecond, the last pull of a
// long-polling consumer, its RT/TPS row, the id sendMessage makes up.
var goCmpMasks = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?m)^(\d+ +\S+ +V\S+ +)\d{13}/`), "${1}<now>/"},
	{regexp.MustCompile(`lastPullTimestamp=\d{17}`), "lastPullTimestamp=<t>"},
	{regexp.MustCompile(`(?m)^(\S+ +)-?\d+\.\d\d +-?\d+\.\d\d +-?\d+\.\d\d +-?\d+\.\d\d +-?\d+\.\d\d +\d+$`), "${1}<rates>"},
	{regexp.MustCompile(`(?m)^(\S+ +\d+ +SEND_OK +)[0-9A-F]{32,}$`), "${1}<msgId>"},
	{regexp.MustCompile(`^(ConsumeMessageDirectlyResult \[.*, spentTimeMills=)\d+\]$`), "${1}<ms>]"},
	// A resent message goes to a queue picked at random: where it landed.
	{regexp.MustCompile(`offsetMsgId=[0-9A-F]{32}, (messageQueue=MessageQueue \[topic=\S+, brokerName=\S+), queueId=\d+\], queueOffset=\d+\]`),
		"offsetMsgId=<id>, ${1}, queueId=<q>], queueOffset=<o>]"},
}

// mqadminBatchSrc runs stock mqadmin subcommands one after another in one JVM: a line of
// stdin is one command (arguments separated by \x1f), its output (stdout and stderr as one
// stream, as a pipe shared by both gets them) ends with a marker line. A JVM start costs
// seconds of CPU; one per command made this test the slowest of the module.
const mqadminBatchSrc = `import java.io.*;
public class MqadminBatch {
    public static void main(String[] a) throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        System.setOut(out);
        System.setErr(out);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        for (String line; (line = in.readLine()) != null; ) {
            org.apache.rocketmq.tools.command.MQAdminStartup.main0(line.split("\u001f", -1), null);
            out.print("\n\u001eEND\u001e\n");
            out.flush();
        }
    }
}
`

// batchEnd follows each command's output; the newline before it is the batch's, not Java's.
const batchEnd = "\n\x1eEND\x1e\n"

var mqadminBatchClasses = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "mqadminbatch")
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "MqadminBatch.java")
	if err := os.WriteFile(src, []byte(mqadminBatchSrc), 0o644); err != nil {
		return "", err
	}
	cp, err := exec.Command(filepath.Join(javaHome(), "bin", "classpath")).Output()
	if err != nil {
		return "", fmt.Errorf("classpath: %v", err)
	}
	if out, err := exec.Command("javac", "-nowarn", "-cp", strings.TrimSpace(string(cp)), "-d", dir, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("javac MqadminBatch: %v\n%s", err, out)
	}
	return dir + ":" + strings.TrimSpace(string(cp)), nil
})

// mqadminBatch runs the commands in one JVM with the stock wrapper's flags and returns each
// one's output; a command the JVM did not finish (it exited, or crashed) gets ok=false.
func mqadminBatch(home, dir string, cmds [][]string) (outs []string, ok []bool, err error) {
	cp, err := mqadminBatchClasses()
	if err != nil {
		return nil, nil, err
	}
	release := acquireJVM()
	defer release()
	var in strings.Builder
	for _, c := range cmds {
		in.WriteString(strings.Join(c, "\x1f") + "\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "java", "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Duser.home="+dir, "-Drocketmq.home.dir="+home, "--add-opens=java.base/java.lang=ALL-UNNAMED",
		"--add-opens=java.base/java.util=ALL-UNNAMED", "-cp", cp, "MqadminBatch")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ROCKETMQ_LOG_HOME="+dir, "ROCKETMQ_HOME="+home)
	cmd.Stdin = strings.NewReader(in.String())
	raw, _ := cmd.CombinedOutput()
	parts := strings.Split(string(raw), batchEnd)
	outs, ok = make([]string, len(cmds)), make([]bool, len(cmds))
	for i := range cmds {
		if i < len(parts)-1 {
			outs[i], ok[i] = parts[i], true
		}
	}
	return outs, ok, nil
}

// runJavaBatch runs the stock tool for each argument list and returns outputs and exit codes.
// Commands that print their usage (-h, a usage error) make mqadmin exit the JVM: they run one
// JVM each, the rest in `shared` JVMs side by side (command i in JVM i%shared, each JVM in list
// order). A run that failed in transport, or that a shared JVM did not finish, runs again on
// its own.
func runJavaBatch(t *testing.T, home string, cmds [][]string, alone []bool, shared int) ([]string, []int) {
	t.Helper()
	outs, codes := make([]string, len(cmds)), make([]int, len(cmds))
	single := func(i int) {
		var err error
		outs[i], err = mqadminRunIn(home, t.TempDir(), cmds[i]...)
		codes[i] = 0
		if ee, ok := err.(*exec.ExitError); ok {
			codes[i] = ee.ExitCode()
		} else if err != nil {
			codes[i] = -1
		}
	}
	var wg sync.WaitGroup
	jvms := make([][]int, shared)
	for i := range cmds {
		if alone[i] {
			wg.Add(1)
			go func() { defer wg.Done(); single(i) }()
		} else {
			jvms[i%shared] = append(jvms[i%shared], i)
		}
	}
	for _, idx := range jvms {
		if len(idx) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([][]string, len(idx))
			for k, i := range idx {
				batch[k] = cmds[i]
			}
			bo, ok, err := mqadminBatch(home, t.TempDir(), batch)
			if err != nil {
				t.Error(err)
				return
			}
			for k, i := range idx {
				if ok[k] {
					outs[i] = bo[k]
				} else {
					single(i)
				}
			}
		}()
	}
	wg.Wait()
	for i := range cmds {
		// 127.0.0.1:1 is the comparison's deliberately unreachable broker.
		if transientJava.MatchString(outs[i]) && !strings.Contains(outs[i], "connect to 127.0.0.1:1 failed") {
			t.Logf("mqadmin %s failed in transport, running it again:\n%s", strings.Join(cmds[i], " "), outs[i])
			single(i)
		}
	}
	return outs, codes
}

// mqadminComparer returns compare, which runs each command with the stock tool (as one batch)
// and then with ours on the NameServer ns and reports every difference, and goRun, which
// runs our tool alone.
func mqadminComparer(t *testing.T, home, bin, ns string) (compare func([]goCmp), goRun func(stdoutOnly bool, args ...string) (string, int)) {
	// goRun runs our tool; stdout and stderr share one pipe so their order is the order of the
	// writes (two pipes would be read in any order), unless only stdout is wanted.
	goRun = func(stdoutOnly bool, args ...string) (string, int) {
		cmd := exec.Command(bin, append(append([]string{}, args...), "-n", ns)...)
		cmd.Dir = t.TempDir() // consumerStatus writes a file per client here
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout = w
		if !stdoutOnly {
			cmd.Stderr = w
		}
		if err := cmd.Start(); err != nil {
			t.Fatalf("go mqadmin %v: %v", args, err)
		}
		w.Close()
		out, _ := io.ReadAll(r)
		r.Close()
		code := 0
		if err := cmd.Wait(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else {
				t.Fatalf("go mqadmin %v: %v", args, err)
			}
		}
		return string(out), code
	}
	decimal := regexp.MustCompile(`\d+(\.\d+)?`)
	space := regexp.MustCompile(`[ \t]+`)
	norm := func(s string, cm goCmp, side string) string {
		s = strings.ReplaceAll(s, "\r", "")
		for _, a := range cm.args {
			if strings.Contains(a, "{X}") {
				s = strings.ReplaceAll(s, strings.ReplaceAll(a, "{X}", side), a)
			}
		}
		s = javaNoise.ReplaceAllString(s, "")
		s = javaFailure.ReplaceAllString(s, "$1: $2")
		for _, m := range goCmpMasks {
			s = m.re.ReplaceAllString(s, m.repl)
		}
		s = strings.TrimRight(s, "\n")
		if cm.fuzzy {
			s = space.ReplaceAllString(decimal.ReplaceAllString(s, "F"), " ")
		}
		if cm.sorted {
			lines := strings.Split(s, "\n")
			sort.Strings(lines)
			s = strings.Join(lines, "\n")
		}
		return s
	}
	side := func(args []string, x string) []string {
		out := make([]string, 0, len(args)+2)
		for _, a := range args {
			out = append(out, strings.ReplaceAll(a, "{X}", x))
		}
		return append(out, "-n", ns)
	}
	compare = func(cmps []goCmp) {
		cmds := make([][]string, len(cmps))
		alone := make([]bool, len(cmps))
		for i, cm := range cmps {
			cmds[i] = side(cm.args, "J")
			alone[i] = cm.stdout || cm.fresh || slices.Contains(cm.args, "-h")
		}
		javaOuts, javaCodes := runJavaBatch(t, home, cmds, alone, 2)
		for i, cm := range cmps {
			out, code := goRun(cm.stdout, side(cm.args, "G")[:len(cm.args)]...)
			g, j := norm(out, cm, "G"), norm(javaOuts[i], cm, "J")
			if g != j && !cm.mut {
				// The Java runs come first, as one batch; a live consumer may have committed a
				// new queue's offset (its %RETRY% queue, every 5 s) before the Go run. Ask the
				// Java tool again on the state the Go tool saw: only a difference that persists counts.
				again, codes := runJavaBatch(t, home, [][]string{cmds[i]}, []bool{true}, 1)
				j, javaCodes[i] = norm(again[0], cm, "J"), codes[0]
			}
			name := strings.Join(cm.args, " ")
			if g != j {
				t.Errorf("mqadmin %s differs\n--- java ---\n%s\n--- go ---\n%s", name, j, g)
			}
			javaFailed := javaCodes[i] != 0 || strings.Contains(javaOuts[i], "SubCommandException") ||
				javaFailure.MatchString(javaNoise.ReplaceAllString(javaOuts[i], ""))
			if javaFailed != (code != 0) {
				t.Errorf("mqadmin %s: go exit status %d, java failed: %v\n%s", name, code, javaFailed, out)
			}
		}
	}
	return compare, goRun
}

// TestGoMqadminMatchesJava runs our Go mqadmin and the stock Java one on the same state, for
// every subcommand of issue 7 point 1 (mutating ones on equivalent objects), a few -h and
// usage errors and a few bad inputs, and compares what they print: byte for byte after the
// masks above, Java's stack traces folded to their messages. An error must also make ours
// exit non-zero (Java exits 0).
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
	var offsetID, uniqKey string
	var qid int
	for i := 0; i < 3; i++ {
		m := primitive.NewMessage(topic, []byte("cmp"))
		m.WithKeys([]string{"cmp-key"})
		m.WithTag("T")
		r, err := p.SendSync(context.Background(), m)
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		offsetID = r.OffsetMsgID
		if i == 0 {
			uniqKey, qid = r.MsgID, r.MessageQueue.QueueId
		}
	}
	d := newDeliveries()
	startPush(t, c, pushSpec{group: group, topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, 3, 30*time.Second)
	waitFor(t, 40*time.Second, "committed offsets", func() bool { return committedSum(t, addr, group, topic, 2) == 3 })

	compare, goRun := mqadminComparer(t, home, bin, ns)
	clientID := waitRunningInfo(t, group, func(args ...string) (string, int) { return goRun(true, args...) })

	q := strconv.Itoa(qid)
	obj := uniq("CmpM") // objects the mutating commands make: CmpM…JT1 by Java, CmpM…GT1 by ours
	compare([]goCmp{
		{args: []string{"topicStatus", "-t", topic}},
		{args: []string{"topicRoute", "-t", topic}},
		{args: []string{"topicRoute", "-t", topic, "-l"}},
		{args: []string{"topicClusterList", "-t", topic}},
		{args: []string{"getConsumerConfig", "-g", group}},
		{args: []string{"consumerConnection", "-g", group}},
		{args: []string{"producerConnection", "-g", pgroup, "-t", topic}},
		{args: []string{"consumerStatus", "-g", group}},
		{args: []string{"consumerStatus", "-g", group, "-i", clientID}},
		{args: []string{"queryMsgByKey", "-t", topic, "-k", "cmp-key"}, sorted: true},
		{args: []string{"queryMsgById", "-i", offsetID}},
		{args: []string{"queryMsgByUniqueKey", "-i", uniqKey, "-t", topic}},
		{args: []string{"queryMsgByOffset", "-t", topic, "-b", "broker-a", "-i", q, "-o", "0"}},
		{args: []string{"queryMsgById", "-i", offsetID, "-g", group, "-d", clientID}},
		{args: []string{"brokerConsumeStats", "-b", addr}},
		{args: []string{"queryCq", "-t", topic, "-q", q, "-i", "0"}},
		{args: []string{"queryCq", "-t", topic, "-q", q, "-i", "1", "-c", "2", "-g", group}},
		{args: []string{"queryCq", "-t", topic, "-q", "99", "-i", "0", "-b", addr}},
		{args: []string{"queryCq", "-t", "NoSuchTopicCmp", "-q", "0", "-i", "0"}},
		{args: []string{"allocateMQ", "-t", topic, "-i", "10.0.0.1,10.0.0.2,10.0.0.3"}},
		{args: []string{"topicList"}},
		{args: []string{"topicList", "-c"}},
		{args: []string{"getBrokerConfig", "-b", addr}},
		{args: []string{"getNamesrvConfig"}},
		{args: []string{"consumerProgress", "-g", group}, fuzzy: true},
		{args: []string{"consumerProgress", "-g", group, "-s", "true"}, fuzzy: true},
		{args: []string{"consumerProgress"}, fuzzy: true},
		{args: []string{"statsAll"}, fuzzy: true},
		{args: []string{"statsAll", "-t", topic, "-a"}, fuzzy: true},
		{args: []string{"clusterList"}, fuzzy: true},
		{args: []string{"brokerStatus", "-b", addr}, fuzzy: true},
		// Bad input: Java's failure and ours say the same, ours exits non-zero.
		{args: []string{"topicStatus", "-t", "NoSuchTopicCmp"}},
		{args: []string{"consumerConnection", "-g", "NoSuchGroupCmp"}},
		{args: []string{"updateOrderConf", "-t", "NoSuchTopicCmp", "-m", "get"}},
		{args: []string{"resetOffsetByTime", "-g", "NoSuchGroupCmp", "-t", topic, "-s", "now"}},
		{args: []string{"getConsumerConfig", "-g", "NoSuchGroupCmp"}},
		{args: []string{"producerConnection", "-g", "NoSuchGroupCmp", "-t", topic}},
		{args: []string{"brokerStatus", "-b", "127.0.0.1:1"}},
		{args: []string{"getBrokerConfig", "-b", "127.0.0.1:1"}},
		{args: []string{"updateBrokerConfig", "-b", addr, "-k", "noSuchKeyCmp", "-v", "1"}},
		{args: []string{"updateSubGroup", "-b", addr, "-g", "NoSuchGroupCmp", "-r", "abc"}},
		{args: []string{"sendMessage", "-t", topic, "-p", "x", "-b", "NoSuchBrokerCmp", "-i", "0"}},
		{args: []string{"consumeMessage", "-t", topic, "-b", "NoSuchBrokerCmp", "-i", "0"}},
		{args: []string{"consumeMessage", "-t", "NoSuchTopicCmp"}},
		{args: []string{"queryMsgByKey", "-t", "NoSuchTopicCmp", "-k", "k"}},
		{args: []string{"queryMsgByUniqueKey", "-i", "FD000000000000000000000000000000", "-t", topic}},
		// Help and usage errors (Java checks the required options before -h).
		{args: []string{"consumerStatus", "-g", group, "-h"}},
		{args: []string{"updateTopic", "-h"}, stdout: true},
		{args: []string{"sendMessage", "-t", topic}, stdout: true},
		{args: []string{"consumeMessage", "-h"}, stdout: true},
	})
	compare([]goCmp{
		{args: []string{"updateTopic", "-c", "CompatCluster", "-t", obj + "{X}T1", "-r", "3", "-w", "3"}, mut: true},
		{args: []string{"updateTopic", "-b", addr, "-t", obj + "{X}T2", "-p", "4", "-o", "true"}, mut: true},
		{args: []string{"updateTopic", "-b", addr, "-t", obj + "{X}bad topic"}, mut: true},
		{args: []string{"updateSubGroup", "-c", "CompatCluster", "-g", obj + "{X}G1", "-r", "5"}, mut: true},
		{args: []string{"updateSubGroup", "-b", addr, "-g", obj + "{X}G2", "-s", "false", "-d", "true", "-q", "2"}, mut: true},
		{args: []string{"updateKvConfig", "-s", obj + "{X}NS", "-k", "k1", "-v", "v1"}, mut: true},
		{args: []string{"updateNamesrvConfig", "-k", "clusterTest", "-v", "false"}, mut: true},
		{args: []string{"updateBrokerConfig", "-b", addr, "-k", "flushConsumerOffsetInterval", "-v", "5000"}, mut: true},
		{args: []string{"updateBrokerConfig", "-c", "CompatCluster", "-k", "flushConsumerOffsetInterval", "-v", "5000"}, mut: true},
		{args: []string{"cleanExpiredCQ", "-b", addr}, mut: true},
		{args: []string{"cleanExpiredCQ", "-c", "CompatCluster"}, mut: true},
		{args: []string{"cleanUnusedTopic", "-b", addr}, mut: true},
	})
	// wipe/addWritePerm count the broker's topics in the NameServer: nothing may create or
	// delete one meanwhile, and they are idempotent, so asked again if a registration of the
	// topics made above landed between the two runs.
	compare([]goCmp{
		{args: []string{"wipeWritePerm", "-b", "broker-a"}},
		{args: []string{"updateOrderConf", "-t", obj + "{X}T2", "-m", "put", "-v", "broker-a:4"}, mut: true},
		{args: []string{"deleteKvConfig", "-s", obj + "{X}NS", "-k", "k1"}, mut: true},
	})
	compare([]goCmp{
		{args: []string{"addWritePerm", "-b", "broker-a"}},
		{args: []string{"updateOrderConf", "-t", obj + "{X}T2", "-m", "get"}},
	})
	compare([]goCmp{
		{args: []string{"deleteSubGroup", "-b", addr, "-g", obj + "{X}G2"}, mut: true},
		{args: []string{"deleteSubGroup", "-c", "CompatCluster", "-g", obj + "{X}G1"}, mut: true},
		{args: []string{"deleteTopic", "-c", "CompatCluster", "-t", obj + "{X}T1"}, mut: true},
	})
	// Last: they add messages, rewind the consumer, and a pull as TOOLS_CONSUMER makes a Java
	// broker create %RETRY%TOOLS_CONSUMER.
	compare([]goCmp{
		{args: []string{"updateOrderConf", "-t", obj + "{X}T2", "-m", "delete"}, mut: true},
		{args: []string{"getConsumerConfig", "-g", obj + "{X}G2"}},
		{args: []string{"topicRoute", "-t", obj + "{X}T1"}},
		{args: []string{"sendMessage", "-t", topic, "-p", "from-mqadmin", "-k", "kk", "-c", "tg", "-b", "broker-a", "-i", "0"}, mut: true},
		{args: []string{"sendMessage", "-t", topic, "-p", "traced", "-m", "true", "-b", "broker-a", "-i", "1"}, mut: true},
		// A topic the name server does not know yet: the producer sends by TBW102's route.
		{args: []string{"sendMessage", "-t", obj + "{X}T3", "-p", "auto", "-b", "broker-a", "-i", "1"}, mut: true, fresh: true},
		{args: []string{"queryMsgById", "-i", offsetID, "-s", "true"}, mut: true},
		{args: []string{"queryMsgById", "-i", offsetID, "-s", "false"}},
		{args: []string{"resetOffsetByTime", "-g", group, "-t", topic, "-s", "0"}, mut: true},
		{args: []string{"consumeMessage", "-t", topic, "-b", "broker-a", "-i", "0", "-o", "0", "-c", "1"}},
		{args: []string{"consumeMessage", "-t", topic, "-b", "broker-a", "-i", "0", "-o", "0", "-c", "1", "-g", obj + "{X}CG"}},
	})
}

// TestGoMqadminMatchesJavaTwoBrokers compares both tools on a cluster of two broker groups,
// where Java's output follows the iteration order of the maps and sets it merges the brokers'
// answers into (masters of a cluster, the broker table, putAll of two offset tables, order
// confs of two brokers).
func TestGoMqadminMatchesJavaTwoBrokers(t *testing.T) {
	t.Parallel()
	home := requireJava(t)
	bin, err := goMqadmin()
	if err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, 2, nil)
	ns := c.NamesrvAddr()
	topic, group, pgroup := uniq("Cmp2T"), uniq("Cmp2G"), uniq("Cmp2P")
	c.createTopic(topic, 2)
	c.waitRoute(topic)
	p := startProducer(t, c, producer.WithGroupName(pgroup))
	for i := 0; i < 8; i++ {
		if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("cmp2"))); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	d := newDeliveries()
	startPush(t, c, pushSpec{group: group, topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, 8, 30*time.Second)
	waitFor(t, 40*time.Second, "committed offsets", func() bool {
		return committedSum(t, c.brokers[0].Addr(), group, topic, 2)+committedSum(t, c.brokers[1].Addr(), group, topic, 2) == 8
	})
	compare, goRun := mqadminComparer(t, home, bin, ns)
	waitRunningInfo(t, group, func(args ...string) (string, int) { return goRun(true, args...) })

	obj := uniq("Cmp2M")
	compare([]goCmp{
		{args: []string{"clusterList"}, fuzzy: true},
		{args: []string{"topicRoute", "-t", topic}},
		{args: []string{"topicStatus", "-t", topic}},
		{args: []string{"allocateMQ", "-t", topic, "-i", "a,b,c"}},
		// Every queue of both brokers, in the order of the HashSet Java's pull consumer answers.
		{args: []string{"consumeMessage", "-t", topic, "-c", "100"}},
		{args: []string{"getConsumerConfig", "-g", group}},
		// Without -b both tools ask a broker picked at random, and the consumer reaches each
		// broker over a connection of its own: the ClientAddr column then differs by port
		// whenever the two picks differ. -b pins the broker (the random path is compared on
		// one broker in the other tests).
		{args: []string{"consumerConnection", "-g", group, "-b", c.brokers[0].Addr()}},
		{args: []string{"consumerStatus", "-g", group}},
		{args: []string{"consumerProgress", "-g", group}, fuzzy: true},
		{args: []string{"getBrokerConfig", "-c", "CompatCluster"}},
		{args: []string{"brokerStatus", "-c", "CompatCluster"}, fuzzy: true},
		{args: []string{"topicList", "-c"}},
		{args: []string{"statsAll"}, fuzzy: true},
		{args: []string{"updateTopic", "-c", "CompatCluster", "-t", obj + "{X}T", "-r", "2", "-w", "2"}, mut: true},
		{args: []string{"updateTopic", "-c", "CompatCluster", "-t", obj + "{X}O", "-o", "true"}, mut: true},
		{args: []string{"updateSubGroup", "-c", "CompatCluster", "-g", obj + "{X}G"}, mut: true},
		{args: []string{"updateBrokerConfig", "-c", "CompatCluster", "-k", "flushConsumerOffsetInterval", "-v", "5000"}, mut: true},
		{args: []string{"cleanExpiredCQ", "-c", "CompatCluster"}, mut: true},
	})
	compare([]goCmp{
		{args: []string{"getConsumerConfig", "-g", obj + "{X}G"}},
		{args: []string{"topicRoute", "-t", obj + "{X}T"}},
		{args: []string{"updateOrderConf", "-t", obj + "{X}O", "-m", "get"}},
	})
	compare([]goCmp{
		{args: []string{"deleteTopic", "-c", "CompatCluster", "-t", obj + "{X}T"}, mut: true},
		{args: []string{"deleteSubGroup", "-c", "CompatCluster", "-g", obj + "{X}G"}, mut: true},
		{args: []string{"resetOffsetByTime", "-g", group, "-t", topic, "-s", "0"}, mut: true},
	})
}
