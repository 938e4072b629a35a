package compat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Issue 6 point 9 with the stock Java clients, 4.9.8 and the 5.3.3 remoting client
// (java/SemanticsProbe.java): retry and dead letters, delayed messages, transactions, orderly
// consumption and SQL92 filters, each asserting exact delivery — which messages, how many
// times, in what order, at what delay. Per client one JVM plays every scenario on its own
// thread, both clients at once against one cluster, so the whole costs two JVM starts and the
// longest scenario (~15-20 s wall), not the sum. With COMPAT_TARGET=java the same assertions
// run against the stock Java broker, which is how they were checked: both clients pass there.

// semBrokerProps shorten what would otherwise take minutes: delay levels of 1-3 s (a retry's
// level, 3 + reconsumeTimes, is clamped to the last one, 3 s) and a transaction check every
// 2 s for half messages older than a second.
var semBrokerProps = map[string]string{
	"messageDelayLevel":        "1s 2s 3s",
	"transactionCheckInterval": "2000",
	"transactionTimeOut":       "1000",
	"transactionCheckMax":      "3",
	"enablePropertyFilter":     "true",
	// A JVM warming up on a busy 2-core box can keep a send queued past the 200 ms default and
	// get SYSTEM_BUSY; that is load, not a rule under test.
	"waitTimeMillsInSendQueue": "2000",
}

// semLevelDelay is what level means under semBrokerProps' messageDelayLevel, in ms: a level
// above the last is clamped to it (as the broker stores it).
func semLevelDelay(t *testing.T, level int) int64 {
	t.Helper()
	if level <= 0 {
		return 0 // not delayed at all
	}
	levels := strings.Fields(semBrokerProps["messageDelayLevel"])
	d, err := time.ParseDuration(levels[min(level, semMaxLevel())-1])
	if err != nil {
		t.Fatalf("messageDelayLevel %q: %v", semBrokerProps["messageDelayLevel"], err)
	}
	return d.Milliseconds()
}

// semMaxLevel is the last level of semBrokerProps' messageDelayLevel.
func semMaxLevel() int { return len(strings.Fields(semBrokerProps["messageDelayLevel"])) }

// How late a due message may be: the broker's put-back (its store time) within semPutBackSlack
// of the due time, the consumer's arrival within semArrivalSlack (the issue's "within a
// second"). Observed on a loaded 2-core box: put-back within ~50 ms, arrival within ~600 ms.
const semPutBackSlack, semArrivalSlack = 500, 1000

// semEvent is one line of SemanticsProbe's output (a JSON object; absent fields stay zero).
type semEvent struct {
	Ev          string            `json:"ev"`
	Sc          string            `json:"sc"`
	T           int64             `json:"t"`
	Who         string            `json:"who"`
	Seq         int64             `json:"seq"`
	Body        string            `json:"body"`
	Topic       string            `json:"topic"`
	MsgID       string            `json:"msgId"`
	OffsetMsgID string            `json:"offsetMsgId"`
	Keys        string            `json:"keys"`
	Tags        string            `json:"tags"`
	Reconsume   int               `json:"reconsume"`
	QueueID     int               `json:"queueId"`
	QueueOffset int64             `json:"queueOffset"`
	Born        int64             `json:"born"`
	Stored      int64             `json:"stored"`
	Props       map[string]string `json:"props"`
	Later       bool              `json:"later"`
	T0          int64             `json:"t0"`
	T1          int64             `json:"t1"`
	Status      string            `json:"status"`
	Level       int               `json:"level"`
	Local       string            `json:"local"`
	Key         string            `json:"key"`
	Found       int               `json:"found"`
	Code        int               `json:"code"`
	Msg         string            `json:"msg"`
	OK          bool              `json:"ok"`
	O1          []int             `json:"o1"`
	O2          []int             `json:"o2"`
	O3          []int             `json:"o3"`
}

// semRun is the probe's events, by scenario, in output order.
type semRun struct {
	by  map[string][]semEvent
	out string
}

// of returns scenario sc's events of kind ev (all kinds when ev is empty).
func (r *semRun) of(sc, ev string) []semEvent {
	var out []semEvent
	for _, e := range r.by[sc] {
		if ev == "" || e.Ev == ev {
			out = append(out, e)
		}
	}
	return out
}

// sentBy indexes scenario sc's sends by body, failing for a send that was not SEND_OK.
func (r *semRun) sentBy(t *testing.T, sc string) map[string]semEvent {
	t.Helper()
	m := map[string]semEvent{}
	for _, e := range r.of(sc, "sent") {
		if e.Status != "SEND_OK" {
			t.Errorf("send of %s: %s", e.Body, e.Status)
		}
		m[e.Body] = e
	}
	return m
}

// recvBy groups scenario sc's deliveries by body, each group in delivery order.
func (r *semRun) recvBy(sc string) map[string][]semEvent {
	m := map[string][]semEvent{}
	for _, e := range r.of(sc, "recv") {
		m[e.Body] = append(m[e.Body], e)
	}
	for _, d := range m {
		sort.Slice(d, func(i, j int) bool { return d[i].Seq < d[j].Seq })
	}
	return m
}

// runSemanticsProbe runs SemanticsProbe with client cl and args in one JVM and returns its
// events; an error event, a scenario that did not finish or a missing end fails the test.
func runSemanticsProbe(t *testing.T, cl semClient, args ...string) *semRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	full := append(javaJVMFlags(t.TempDir()), "-cp", cl.classes+":"+cl.cp, "SemanticsProbe")
	cmd := exec.CommandContext(ctx, "java", append(full, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	release := acquireJVM()
	defer release()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start SemanticsProbe: %v", err)
	}
	run := &semRun{by: map[string][]semEvent{}}
	var all strings.Builder
	ended := false
	var doneAt []string // scenario and when it finished, for a run that took unusually long
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		var ev semEvent
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &ev) != nil {
			continue // the client's own chatter
		}
		switch ev.Ev {
		case "error":
			t.Errorf("probe %s: %s", ev.Sc, ev.Msg)
		case "done":
			doneAt = append(doneAt, fmt.Sprintf("%s %.1fs", ev.Sc, float64(ev.T-t0.UnixMilli())/1000))
			if !ev.OK {
				t.Errorf("probe scenario %s gave up waiting (see the assertions below for what was missing)", ev.Sc)
			}
		case "end":
			ended = true
		}
		run.by[ev.Sc] = append(run.by[ev.Sc], ev)
	}
	err = cmd.Wait()
	run.out = all.String()
	t.Logf("SemanticsProbe ran %v; scenarios done after: %s", time.Since(t0).Round(time.Millisecond), strings.Join(doneAt, ", "))
	if os.Getenv("COMPAT_VERBOSE") != "" {
		t.Logf("SemanticsProbe output:\n%s", all.String())
	}
	if err != nil || !ended {
		t.Fatalf("SemanticsProbe %v: %v (end seen: %v)\nstdout:\n%s\nstderr:\n%s", args, err, ended, run.out, stderr.String())
	}
	return run
}

// semSQLCase is one SQL92 subscription and, for the probe's 12 messages (a = 0..11, color
// red/green/blue by a%3, b only when a is even), which ones it selects; match nil marks an
// expression the broker must refuse.
type semSQLCase struct {
	name, expr string
	match      func(a int, color string, hasB bool) bool
}

var semSQLCases = []semSQLCase{
	{"eq", "color = 'red'", func(a int, c string, b bool) bool { return c == "red" }},
	{"ne", "color <> 'red' AND a < 6", func(a int, c string, b bool) bool { return c != "red" && a < 6 }},
	{"between", "a BETWEEN 3 AND 5", func(a int, c string, b bool) bool { return a >= 3 && a <= 5 }},
	{"in", "color IN ('red', 'blue') AND a > 5", func(a int, c string, b bool) bool { return (c == "red" || c == "blue") && a > 5 }},
	{"isnull", "b IS NULL", func(a int, c string, b bool) bool { return !b }},
	{"notnull", "b IS NOT NULL AND a >= 6", func(a int, c string, b bool) bool { return b && a >= 6 }},
	{"bool", "(a < 2 OR a > 9) AND NOT (color = 'green')", func(a int, c string, b bool) bool {
		return (a < 2 || a > 9) && c != "green"
	}},
	// A property missing is NULL: a comparison with it is unknown and NOT keeps it unknown.
	{"nullnot", "NOT (b = 'x4')", func(a int, c string, b bool) bool { return b && a != 4 }},
	{"bad-dangling", "color = 'red' AND", nil},
	{"bad-operator", "a === 1", nil},
}

// semSQLRefusedRemark is the remark a refused case must carry, whole: the stock 4.9.8 broker's,
// JavaCC's ParseException message naming the token the parser stopped at, its 1-based line and
// column, and the tokens the parser state expected ("+" is not among them: JavaCC takes that
// branch by syntactic look-ahead). Our broker writes the same text (broker/filter_sql_parse.go,
// golden table broker/testdata/java-4.9.8-sql92-refusals.jsonl).
var semSQLRefusedRemark = map[string]string{
	"bad-dangling": "org.apache.rocketmq.filter.parser.ParseException: Encountered \"<EOF>\" at line 1, column 17.\n" +
		"Was expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n" +
		"    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n" +
		"    \"(\" ...\n    \"-\" ...\n    ",
	"bad-operator": "org.apache.rocketmq.filter.parser.ParseException: Encountered \" \"=\" \"= \"\" at line 1, column 4.\n" +
		"Was expecting one of:\n    \"NOT\" ...\n    \"TRUE\" ...\n    \"FALSE\" ...\n    \"NULL\" ...\n" +
		"    <DECIMAL_LITERAL> ...\n    <FLOATING_POINT_LITERAL> ...\n    <STRING_LITERAL> ...\n    <ID> ...\n" +
		"    \"(\" ...\n    \"-\" ...\n    ",
}

// semSQLWant is the bodies case selects.
func semSQLWant(c semSQLCase) []string {
	var out []string
	for a := 0; a < 12; a++ {
		if c.match(a, []string{"red", "green", "blue"}[a%3], a%2 == 0) {
			out = append(out, "s"+strconv.Itoa(a))
		}
	}
	return out
}

// semClient is one stock Java client the probe runs with: its classpath and the probe compiled
// against it (the 4.9.8 and 5.3.3 jars must never share a classpath).
type semClient struct {
	name    string
	cp      string
	classes string
}

var (
	sem5Once    sync.Once
	sem5Classes string
	sem5Err     error
)

// semClients are the 4.9.8 client of the shared distribution and, when ../shared has it, the
// stock 5.3.3 remoting client, whose API the probe uses unchanged.
func semClients(t *testing.T) []semClient {
	t.Helper()
	env := requireJavaEnv(t)
	clients := []semClient{{name: "client-4.9.8", cp: env.cp, classes: env.classes}}
	lib := filepath.Join(sharedDir(), "java", "rocketmq-client-5.3.3", "lib")
	if _, err := os.Stat(filepath.Join(lib, "rocketmq-client-5.3.3.jar")); err != nil {
		t.Logf("no stock 5.3.3 client in %s: running the 4.9.8 client only", lib)
		return clients
	}
	cp := filepath.Join(lib, "*")
	sem5Once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(file), "java", "SemanticsProbe.java")
		// Inside the 4.9.8 probe's directory, which TestMain removes at exit.
		if sem5Classes, sem5Err = os.MkdirTemp(env.classes, "client-5.3.3-"); sem5Err != nil {
			return
		}
		if out, err := exec.Command("javac", "-nowarn", "-cp", cp, "-d", sem5Classes, src).CombinedOutput(); err != nil {
			sem5Err = fmt.Errorf("javac against the 5.3.3 client: %v\n%s", err, out)
		}
	})
	if sem5Err != nil {
		t.Fatal(sem5Err)
	}
	return append(clients, semClient{name: "client-5.3.3", cp: cp, classes: sem5Classes})
}

// TestJavaSemantics: the stock Java clients' (4.9.8, and 5.3.3 when present) retry and dead
// letters, delayed messages, transactions, orderly consumption, SQL92 filters and request-reply
// against our broker: one cluster, one JVM per client, both at once; each subtest asserts one scenario's
// exact delivery.
func TestJavaSemantics(t *testing.T) {
	t.Parallel()
	clients := semClients(t)
	c := newCluster(t, 1, semBrokerProps)
	// Topics are made here: the cluster reports failures on this test, which must not happen
	// from a parallel subtest.
	prefixes := make([]string, len(clients))
	for i := range clients {
		prefixes[i] = uniq("JSem")
		for sc, queues := range map[string]int{"retry": 2, "delay": 1, "tx": 2, "order": 4, "sql": 2, "reply": 2} {
			c.createTopic(prefixes[i]+"_"+sc, queues)
		}
	}
	for i, cl := range clients {
		t.Run(cl.name, func(t *testing.T) {
			t.Parallel()
			prefix := prefixes[i]
			args := []string{c.NamesrvAddr(), prefix, "retry,delay,tx,order,sql,reply"}
			for _, sc := range semSQLCases {
				want := -1
				if sc.match != nil {
					want = len(semSQLWant(sc))
				}
				args = append(args, fmt.Sprintf("%s|%d|%s", sc.name, want, sc.expr))
			}
			run := runSemanticsProbe(t, cl, args...)
			t.Run("RetryAndDLQ", func(t *testing.T) { semCheckRetry(t, c, run, prefix) })
			t.Run("Delay", func(t *testing.T) { semCheckDelay(t, run, prefix) })
			t.Run("Transactions", func(t *testing.T) { semCheckTx(t, run, prefix) })
			t.Run("Orderly", func(t *testing.T) { semCheckOrder(t, run, prefix) })
			t.Run("SQL92", func(t *testing.T) { semCheckSQL(t, run, prefix) })
			t.Run("RequestReply", func(t *testing.T) { semCheckReply(t, run) })
		})
	}
}

// semCheckRetry: with maxReconsumeTimes 2, a message failing its first n deliveries (n <= 2)
// is delivered n+1 times with reconsumeTimes 0..n, each retry put back the delay of level
// 3 + reconsumeTimes (clamped to the last level: 3 s) after the failed delivery and arriving
// within a second of that, with the same msgId, keys, tags, body and user property; one
// failing every time is delivered 3 times and then lies in %DLQ%<group>, once; the rest are
// delivered once.
func semCheckRetry(t *testing.T, c *cluster, run *semRun, prefix string) {
	topic, group := prefix+"_retry", prefix+"_CGretry"
	sent := run.sentBy(t, "retry")
	recv := run.recvBy("retry")
	// How many deliveries each message fails; dead-* fail every one (3 > maxReconsumeTimes).
	fails := map[string]int{"ok-0": 0, "ok-1": 0, "ok-2": 0, "fail1-0": 1, "fail2-0": 2, "fail2-1": 2, "dead-0": 3, "dead-1": 3}
	if len(sent) != len(fails) {
		t.Errorf("%d sends, want %d", len(sent), len(fails))
	}
	for body := range recv {
		if _, ok := fails[body]; !ok {
			t.Errorf("unexpected delivery of %q", body)
		}
	}
	minGap, maxGap := int64(1<<62), int64(0)
	defer func() { t.Logf("retries arrived %d..%d ms after the failed delivery", minGap, maxGap) }()
	for body, n := range fails {
		got := recv[body]
		deliveries := min(n, 2) + 1
		if len(got) != deliveries {
			t.Errorf("%s delivered %d times, want %d: %v", body, len(got), deliveries, semSummary(got))
			continue
		}
		for k, d := range got {
			if d.Reconsume != k || d.Later != (k < n) {
				t.Errorf("%s delivery %d: reconsumeTimes %d (failed: %v), want %d", body, k, d.Reconsume, d.Later, k)
			}
			if d.MsgID != sent[body].MsgID || d.Keys != "K"+body || d.Tags != "TagR" || d.Topic != topic ||
				d.Props["color"] != "c-"+body {
				t.Errorf("%s delivery %d: msgId %s (sent %s) keys %q tags %q topic %q color %q", body, k, d.MsgID,
					sent[body].MsgID, d.Keys, d.Tags, d.Topic, d.Props["color"])
			}
			want := semBaseProps(body, "TagR", sent[body].MsgID)
			if k > 0 {
				// A retry is the stored copy in %RETRY%<group>: the original topic and offset id
				// kept, the level the broker picked (clamped), the retry queue as the real one.
				maps.Copy(want, map[string]string{"RETRY_TOPIC": topic, "ORIGIN_MESSAGE_ID": sent[body].OffsetMsgID,
					"DELAY": strconv.Itoa(min(3+k-1, semMaxLevel())), "REAL_TOPIC": "%RETRY%" + group, "REAL_QID": "0", "WAIT": "false"})
			}
			semCheckProps(t, fmt.Sprintf("%s delivery %d", body, k), d.Props, want)
			if k > 0 {
				// Sent back with level 0, so the broker picks 3 + reconsumeTimes (clamped);
				// the send-back follows the failed delivery at once.
				delay := semLevelDelay(t, 3+k-1)
				gap, putBack := d.T-got[k-1].T, d.Stored-got[k-1].T
				minGap, maxGap = min(minGap, gap), max(maxGap, gap)
				if putBack < delay || putBack > delay+semPutBackSlack || gap > delay+semArrivalSlack {
					t.Errorf("%s retry %d put back %d ms and arrived %d ms after the failed delivery, want %d..%d and at most %d",
						body, k, putBack, gap, delay, delay+semPutBackSlack, delay+semArrivalSlack)
				}
			}
		}
	}

	dlqTopic := "%DLQ%" + group
	found := map[string]int{}
	for _, e := range run.of("retry", "dlqquery") {
		found[e.Key] = e.Found
	}
	for _, key := range []string{"Kdead-0", "Kdead-1", "Kfail2-0"} {
		want := 0
		if strings.HasPrefix(key, "Kdead") {
			want = 1
		}
		if found[key] != want {
			t.Errorf("%s: %d messages of key %s, want %d", dlqTopic, found[key], key, want)
		}
	}
	for _, d := range run.of("retry", "dlq") {
		body := strings.TrimPrefix(d.Who, "K")
		semCheckProps(t, "dead letter of "+body, d.Props, semBaseProps(body, "TagR", sent[body].MsgID,
			"RETRY_TOPIC", topic, "ORIGIN_MESSAGE_ID", sent[body].OffsetMsgID, "DELAY", "0",
			"REAL_TOPIC", "%RETRY%"+group, "REAL_QID", "0", "WAIT", "false"))
		// The dead letter is the last retry moved on: reconsumeTimes counts the failed
		// deliveries (3), the original topic and id are kept in properties.
		if d.Topic != dlqTopic || d.Body != body || d.Keys != d.Who || d.Props["color"] != "c-"+body ||
			d.Props["UNIQ_KEY"] != sent[body].MsgID || d.Reconsume != 3 || d.Props["RETRY_TOPIC"] != topic ||
			d.Props["ORIGIN_MESSAGE_ID"] == "" {
			t.Errorf("dead letter of %s: topic %q body %q keys %q reconsumeTimes %d properties %v", d.Who, d.Topic, d.Body,
				d.Keys, d.Reconsume, d.Props)
		}
	}
	// Nothing else went there: the dead-letter queue (one per group) holds exactly the two.
	conn := dialRaw(t, c.brokers[0].Addr(), langJava)
	if r := conn.mustCall(codeGetMaxOffset, map[string]string{"topic": dlqTopic, "queueId": "0"}, nil); r.Code != 0 ||
		r.extInt(t, "offset") != 2 {
		t.Errorf("GET_MAX_OFFSET of %s: %s, want 2", dlqTopic, r)
	}
}

// semCheckDelay: each delayed message arrives once; the broker puts it back into its topic no
// earlier than its level's delay after the send began and within semPutBackSlack of the send's
// return plus the delay, and it arrives within a second of that due time (level 9 is clamped
// to the last level, 3 s; 0 and -1 are not delayed); messages of one level arrive in the order
// they were sent.
func semCheckDelay(t *testing.T, run *semRun, prefix string) {
	topic := prefix + "_delay"
	sent := run.of("delay", "sent")
	recv := run.recvBy("delay")
	if len(sent) != 12 {
		t.Errorf("%d sends, want 12", len(sent))
	}
	perDelay := map[int64][]string{} // bodies in send order, by effective delay
	var worst int64 = -1 << 62
	defer func() { t.Logf("latest delayed arrival: %d ms after it was due", worst) }()
	for _, s := range sent {
		if s.Status != "SEND_OK" {
			t.Errorf("send of %s: %s", s.Body, s.Status)
		}
		delay := semLevelDelay(t, s.Level)
		perDelay[delay] = append(perDelay[delay], s.Body)
		got := recv[s.Body]
		if len(got) != 1 {
			t.Errorf("%s (level %d) delivered %d times, want once: %v", s.Body, s.Level, len(got), semSummary(got))
			continue
		}
		d := got[0]
		// Stored is when the broker put the due message back into its topic; T0..T1 brackets
		// the store time of the original.
		if early := d.Stored - s.T0; early < delay {
			t.Errorf("%s (level %d) put back %d ms after its send began, before its %d ms delay", s.Body, s.Level, early, delay)
		}
		late := d.T - s.T1 - delay
		worst = max(worst, late)
		if putBack := d.Stored - s.T1 - delay; late > semArrivalSlack || putBack > semPutBackSlack {
			t.Errorf("%s (level %d) put back %d ms and arrived %d ms after its delay was due (send returned + %d ms), "+
				"want within %d and %d", s.Body, s.Level, putBack, late, delay, semPutBackSlack, semArrivalSlack)
		}
		// Put back from SCHEDULE_TOPIC_XXXX with the stored property string: the real topic
		// and queue and the (clamped) level stay.
		want := semBaseProps(s.Body, "TagD", s.MsgID, "DELAY", strconv.Itoa(min(s.Level, semMaxLevel())),
			"REAL_TOPIC", topic, "REAL_QID", "0", "WAIT", "true")
		if s.Level <= 0 {
			// Stored at once as sent: the level the producer set stays, nothing else is added
			// (the producer's WAIT=true is not stored).
			want = semBaseProps(s.Body, "TagD", s.MsgID, "DELAY", strconv.Itoa(s.Level))
		}
		semCheckProps(t, s.Body, d.Props, want)
		if d.Topic != topic || d.Keys != "K"+s.Body || d.Tags != "TagD" || d.Props["color"] != "c-"+s.Body || d.MsgID != s.MsgID {
			t.Errorf("%s: topic %q keys %q tags %q color %q msgId %s (sent %s)", s.Body, d.Topic, d.Keys, d.Tags,
				d.Props["color"], d.MsgID, s.MsgID)
		}
	}
	for body := range recv {
		if !slices.ContainsFunc(sent, func(s semEvent) bool { return s.Body == body }) {
			t.Errorf("unexpected delivery of %q", body)
		}
	}
	for delay, bodies := range perDelay {
		var arrived []string
		var offsets []int64
		for _, e := range run.of("delay", "recv") {
			if slices.Contains(bodies, e.Body) {
				arrived = append(arrived, e.Body)
				offsets = append(offsets, e.QueueOffset)
			}
		}
		if !slices.Equal(arrived, bodies) || !slices.IsSorted(offsets) {
			t.Errorf("delay %d ms: arrived %v at offsets %v, sent %v", delay, arrived, offsets, bodies)
		}
	}
}

// semCheckTx: committed messages are delivered once; rolled-back ones never; those left
// UNKNOW are checked back (after transactionTimeOut) and delivered when the check says COMMIT,
// never when it says ROLLBACK; a message decided at send time is never checked.
//
// A check-back is at-least-once in Java: a pass finds the half again when the producer's answer
// has not arrived before it began (a starved JVM on a loaded 2-core box: seen once in a few runs
// with a 1 s interval), and every COMMIT answer puts the message once more. So a half is checked
// once, or twice a pass or more apart with TRANSACTION_CHECK_TIMES counting, and a check-commit
// message is delivered exactly as many times as it was checked.
func semCheckTx(t *testing.T, run *semRun, prefix string) {
	topic := prefix + "_tx"
	interval, _ := strconv.ParseInt(semBrokerProps["transactionCheckInterval"], 10, 64)
	timeout, _ := strconv.ParseInt(semBrokerProps["transactionTimeOut"], 10, 64)
	sent := run.sentBy(t, "tx")
	recv := run.recvBy("tx")
	wantLocal := map[string]string{"commit-0": "COMMIT_MESSAGE", "commit-1": "COMMIT_MESSAGE", "rollback-0": "ROLLBACK_MESSAGE",
		"rollback-1": "ROLLBACK_MESSAGE", "check-commit-0": "UNKNOW", "check-rollback-0": "UNKNOW"}
	for body, local := range wantLocal {
		if s, ok := sent[body]; !ok || s.Local != local {
			t.Errorf("%s: sent %v with local state %q, want %s", body, ok, s.Local, local)
		}
	}
	checks := map[string][]semEvent{}
	for _, e := range run.of("tx", "check") {
		checks[e.Body] = append(checks[e.Body], e)
	}
	for body := range wantLocal {
		checked := checks[body]
		if strings.HasPrefix(body, "check-") {
			if len(checked) == 0 || len(checked) > 2 {
				t.Errorf("%s checked back %d times, want once (or twice when an answer came late)", body, len(checked))
			}
		} else if len(checked) != 0 {
			t.Errorf("%s checked back %d times after the producer decided it", body, len(checked))
		}
		for k, ch := range checked {
			if age := ch.T - sent[body].T0; age < timeout {
				t.Errorf("%s checked back %d ms after its send, before transactionTimeOut (%d ms)", body, age, timeout)
			}
			if k > 0 && ch.T-checked[k-1].T < interval*9/10 {
				t.Errorf("%s checked again %d ms after the previous check, within one pass interval (%d ms)", body,
					ch.T-checked[k-1].T, interval)
			}
			semCheckProps(t, fmt.Sprintf("%s check-back %d", body, k+1), ch.Props, semBaseProps(body, "TagT",
				sent[body].MsgID, "PGROUP", prefix+"_PGtx", "TRAN_MSG", "true", "REAL_TOPIC", topic,
				"REAL_QID", strconv.Itoa(ch.QueueID), "TRANSACTION_CHECK_TIMES", strconv.Itoa(k+1), "WAIT", "false"))
			// The check-back carries the half message as stored (its msgId is the offset id);
			// the client's id travels as UNIQ_KEY, which the producer takes as transactionId.
			if ch.Props["UNIQ_KEY"] != sent[body].MsgID || ch.Props["TRAN_MSG"] != "true" || ch.Topic != topic ||
				ch.Props["TRANSACTION_CHECK_TIMES"] != strconv.Itoa(k+1) {
				t.Errorf("%s check-back %d: topic %q properties %v (sent msgId %s)", body, k+1, ch.Topic, ch.Props,
					sent[body].MsgID)
			}
		}
		got := recv[body]
		want := 0
		switch {
		case strings.HasPrefix(body, "commit"):
			want = 1
		case strings.HasPrefix(body, "check-commit"):
			want = len(checked)
		}
		if len(got) != want {
			t.Errorf("%s delivered %d times, want %d: %v", body, len(got), want, semSummary(got))
		}
		for _, d := range got {
			// The committed copy keeps the half's properties; one committed after a check also
			// the check count of the copy the answer named.
			want := semBaseProps(body, "TagT", sent[body].MsgID, "PGROUP", prefix+"_PGtx", "TRAN_MSG", "true",
				"REAL_TOPIC", topic, "REAL_QID", strconv.Itoa(d.QueueID), "WAIT", "true")
			if len(checked) == 1 {
				want["TRANSACTION_CHECK_TIMES"] = "1"
			} else if len(checked) > 1 {
				want["TRANSACTION_CHECK_TIMES"] = "*"
			}
			semCheckProps(t, body+" delivered", d.Props, want)
			if d.Topic != topic || d.MsgID != sent[body].MsgID || d.Keys != "K"+body || d.Tags != "TagT" ||
				d.Props["color"] != "c-"+body || d.Props["TRAN_MSG"] != "true" {
				t.Errorf("%s: topic %q msgId %s (sent %s) keys %q tags %q properties %v", body, d.Topic, d.MsgID,
					sent[body].MsgID, d.Keys, d.Tags, d.Props)
			}
		}
	}
	for body := range recv {
		if _, ok := wantLocal[body]; !ok {
			t.Errorf("unexpected delivery of %q", body)
		}
	}
	if d, ch := recv["check-commit-0"], checks["check-commit-0"]; len(d) > 0 && len(ch) > 0 && d[0].Seq < ch[0].Seq {
		t.Errorf("check-commit-0 was delivered before its check-back committed it")
	}
}

// semCheckOrder: two orderly instances split the queues; every key's messages of phases 1 and
// 2 arrive once, in send order; after o1 shuts down (at a quiet point) nothing more reaches it
// and o2 takes over all queues, continuing each key where o1 stopped.
//
// Phase 3 hands queues over mid-stream: o3 joins at a quiet point and takes half the queues,
// then o2 leaves with messages buffered and in flight. There
// Java promises order, not exactly-once: the leaving instance persists its offsets while a
// message may still be in flight, so the next holder may get a suffix again. So per key:
// nothing lost; each instance's deliveries strictly consecutive; the instances one after the
// other, o2 then o3, never interleaved (one holder per queue at a time); the taker starting no
// later than right after the giver's last, and duplicates only as that overlap.
func semCheckOrder(t *testing.T, run *semRun, prefix string) {
	const keys, upTo2, total = 6, 25, 45
	sent := run.sentBy(t, "order")
	if len(sent) != keys*total {
		t.Errorf("%d sends, want %d", len(sent), keys*total)
	}
	for body, s := range sent {
		var k int
		if _, err := fmt.Sscanf(body, "k%d#", &k); err != nil || s.QueueID != k%4 {
			t.Errorf("%s went to queue %d, the selector picks %d", body, s.QueueID, k%4)
		}
	}
	locked := run.of("order", "locked")
	if len(locked) != 2 {
		t.Fatalf("order scenario events: locked %v", locked)
	}
	if len(locked[0].O1) == 0 || len(locked[0].O2) == 0 || len(locked[0].O1)+len(locked[0].O2) != 4 {
		t.Errorf("before phase 1, o1 held %v and o2 %v; want the 4 queues split between both", locked[0].O1, locked[0].O2)
	}
	if len(locked[1].O2) == 0 || len(locked[1].O3) == 0 || len(locked[1].O2)+len(locked[1].O3) != 4 {
		t.Errorf("before phase 3, o2 held %v and o3 %v; want the 4 queues split between both", locked[1].O2, locked[1].O3)
	}
	left := run.of("order", "left")
	assigned := run.of("order", "assigned")
	if len(left) != 2 || left[0].Who != "o1" || left[1].Who != "o2" || len(assigned) != 2 {
		t.Fatalf("order scenario events: left %v assigned %v", left, assigned)
	}
	if !slices.Equal(assigned[0].O2, []int{0, 1, 2, 3}) || !slices.Equal(assigned[1].O3, []int{0, 1, 2, 3}) {
		t.Errorf("after o1 left, o2 held %v; after o2 left, o3 held %v; want all 4 queues each", assigned[0].O2, assigned[1].O3)
	}

	seqs := map[int][]int{} // phases 1 and 2, by key, in delivery order
	count := map[string]int{}
	byWho := map[string]int{}
	type delivery struct {
		who string
		seq int
	}
	late := map[int][]delivery{}                // phase 3, by key, in delivery order
	for _, e := range run.of("order", "recv") { // output order is delivery order
		var k, s int
		if _, err := fmt.Sscanf(e.Body, "k%d#%d", &k, &s); err != nil || k < 0 || k >= keys || s < 0 || s >= total {
			t.Errorf("unexpected delivery of %q", e.Body)
			continue
		}
		semCheckProps(t, e.Body, e.Props, semBaseProps(e.Body, "TagO", sent[e.Body].MsgID))
		if e.MsgID != sent[e.Body].MsgID || e.Keys != "K"+e.Body || e.Props["color"] != "c-"+e.Body {
			t.Errorf("%s: msgId %s (sent %s) keys %q color %q", e.Body, e.MsgID, sent[e.Body].MsgID, e.Keys, e.Props["color"])
		}
		if e.Who == "o1" && e.T > left[0].T+500 {
			t.Errorf("%s reached o1 %d ms after it began shutting down", e.Body, e.T-left[0].T)
		}
		if s >= upTo2 {
			late[k] = append(late[k], delivery{e.Who, s})
			continue
		}
		seqs[k] = append(seqs[k], s)
		count[e.Body]++
		byWho[e.Who]++
		if s >= 15 && e.Who != "o2" {
			t.Errorf("phase-2 message %s consumed by %s, want o2", e.Body, e.Who)
		}
	}
	for body, n := range count {
		if n != 1 {
			t.Errorf("%s delivered %d times", body, n)
		}
	}
	want := make([]int, upTo2)
	for i := range want {
		want[i] = i
	}
	for k := 0; k < keys; k++ {
		if !slices.Equal(seqs[k], want) {
			t.Errorf("key k%d arrived as %v, want 0..%d in order once each", k, seqs[k], upTo2-1)
		}
	}
	if byWho["o1"] == 0 || byWho["o2"] == 0 {
		t.Errorf("phase-1/2 deliveries per instance %v; both must have taken part", byWho)
	}

	handoffs, dups := 0, 0
	for k := 0; k < keys; k++ {
		// Runs of consecutive deliveries by one instance.
		type runOf struct {
			who         string
			first, last int
		}
		var runs []runOf
		ok := true
		for _, d := range late[k] {
			if n := len(runs); n > 0 && runs[n-1].who == d.who {
				if d.seq != runs[n-1].last+1 {
					ok = false
				}
				runs[n-1].last = d.seq
				continue
			}
			runs = append(runs, runOf{d.who, d.seq, d.seq})
		}
		giver := "o2" // who held the key's queue when phase 3 began
		if slices.Contains(locked[1].O3, k%4) {
			giver = "o3"
		}
		switch {
		case len(runs) == 0:
			ok = false
		case len(runs) == 1:
			ok = ok && runs[0].first == upTo2 && runs[0].last == total-1 && runs[0].who == giver
		case len(runs) == 2:
			ok = ok && giver == "o2" && runs[0].who == "o2" && runs[1].who == "o3" && runs[0].first == upTo2 && runs[1].last == total-1 &&
				runs[1].first <= runs[0].last+1 && runs[1].first > upTo2
			handoffs++
			dups += max(0, runs[0].last-runs[1].first+1)
		default:
			ok = false
		}
		if !ok {
			t.Errorf("key k%d (queue %d, held by %s) in phase 3 arrived as %v; want %d..%d by its holder, and "+
				"when that was o2, then by o3 (each consecutive, the taker starting no later than right after the "+
				"giver's last)", k, k%4, giver, late[k], upTo2, total-1)
		}
	}
	t.Logf("phase 3: %d of %d keys handed from o2 to o3 mid-stream, %d messages delivered again at a hand-over",
		handoffs, keys, dups)
	if handoffs == 0 {
		t.Errorf("no key was handed over mid-stream; phase 3 did not test a hand-over")
	}
}

// semCheckSQL: each SQL92 consumer receives exactly the messages its expression selects,
// once; an expression that does not compile makes the consumer's start fail with the broker's
// SUBSCRIPTION_PARSE_FAILED (23) and Java's remark, and it receives nothing.
func semCheckSQL(t *testing.T, run *semRun, prefix string) {
	sent := run.sentBy(t, "sql")
	if len(sent) != 12 {
		t.Errorf("%d sends, want 12", len(sent))
	}
	got := map[string]map[string]int{}
	for _, e := range run.of("sql", "recv") {
		if got[e.Who] == nil {
			got[e.Who] = map[string]int{}
		}
		got[e.Who][e.Body]++
		// The filter leaves the message untouched: the user properties it was matched on arrive.
		if a, err := strconv.Atoi(strings.TrimPrefix(e.Body, "s")); err == nil {
			want := semBaseProps(e.Body, "TagS", sent[e.Body].MsgID, "a", strconv.Itoa(a),
				"color", []string{"red", "green", "blue"}[a%3])
			if a%2 == 0 {
				want["b"] = "x" + strconv.Itoa(a)
			}
			semCheckProps(t, e.Who+" "+e.Body, e.Props, want)
		}
	}
	fails := map[string]semEvent{}
	for _, e := range run.of("sql", "startfail") {
		fails[e.Who] = e
	}
	for _, c := range semSQLCases {
		if c.match == nil {
			f, ok := fails[c.name]
			if remark := semSQLRefusedRemark[c.name]; !ok || f.Code != 23 || f.Msg != remark {
				t.Errorf("%s %q: start failed %v with code %d %q, want code 23 with remark %q", c.name, c.expr, ok,
					f.Code, f.Msg, remark)
			}
			if len(got[c.name]) != 0 {
				t.Errorf("%s %q: received %v", c.name, c.expr, got[c.name])
			}
			continue
		}
		if f, ok := fails[c.name]; ok {
			t.Errorf("%s %q: start failed with code %d %q", c.name, c.expr, f.Code, f.Msg)
			continue
		}
		want := semSQLWant(c)
		if len(want) == 0 || len(want) == 12 {
			t.Errorf("%s selects %d of 12 messages; the case needs a real subset", c.name, len(want))
		}
		for _, b := range want {
			if got[c.name][b] != 1 {
				t.Errorf("%s %q: %s received %d times, want once", c.name, c.expr, b, got[c.name][b])
			}
		}
		for b, n := range got[c.name] {
			if !slices.Contains(want, b) {
				t.Errorf("%s %q: %s received %d times, does not match", c.name, c.expr, b, n)
			}
		}
	}
}

// semClientProps are what the Java consumer itself adds to a pulled message (the queue's offset
// range, the consume start time); they tell nothing of the broker and are left out.
var semClientProps = map[string]bool{"MIN_OFFSET": true, "MAX_OFFSET": true, "CONSUME_START_TIME": true}

// semCheckProps asserts a message's properties, apart from semClientProps, are exactly want
// ("*" for any non-empty value): on each path the set a 4.9.8 broker leaves (checked with
// COMPAT_TARGET=java), so a property the broker adds, keeps or drops otherwise is found here.
func semCheckProps(t *testing.T, what string, got map[string]string, want map[string]string) {
	t.Helper()
	var bad []string
	for k, w := range want {
		if v, ok := got[k]; !ok || (w == "*" && v == "") || (w != "*" && v != w) {
			bad = append(bad, fmt.Sprintf("%s=%q (want %q)", k, v, w))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok && !semClientProps[k] {
			bad = append(bad, fmt.Sprintf("%s=%q (unexpected)", k, v))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		t.Errorf("%s: properties differ from Java's: %s", what, strings.Join(bad, ", "))
	}
}

// semBaseProps are the properties every message of the probe carries from its send: the
// producer's KEYS, TAGS, UNIQ_KEY (the client's msgId) and user property, and the cluster the
// broker adds.
func semBaseProps(body, tag, msgID string, extra ...string) map[string]string {
	m := map[string]string{"CLUSTER": "CompatCluster", "KEYS": "K" + body, "TAGS": tag, "UNIQ_KEY": msgID, "color": "c-" + body}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// semSummary is a delivery list in short: reconsumeTimes@time per delivery.
func semSummary(es []semEvent) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = fmt.Sprintf("%s/r%d@%d", e.Who, e.Reconsume, e.T)
	}
	return strings.Join(parts, " ")
}

// semCheckReply: each of the three requests gets its own answer, pushed by the broker from the
// reply topic of the cluster with the request's correlation id.
func semCheckReply(t *testing.T, run *semRun) {
	var got []string
	for _, e := range run.by["reply"] {
		if e.Ev != "reply" {
			continue
		}
		got = append(got, e.Keys)
		if e.Body != "reply-"+e.Keys || e.Topic != "CompatCluster_REPLY_TOPIC" || e.Props["CORRELATION_ID"] == "" ||
			e.Props["PUSH_REPLY_TIME"] == "" || e.Props["MSG_TYPE"] != "reply" {
			t.Errorf("answer to %s: body %q topic %q properties %v", e.Keys, e.Body, e.Topic, e.Props)
		}
	}
	slices.Sort(got) // the answers come back in any order
	if want := []string{"rq-0", "rq-1", "rq-2"}; !slices.Equal(got, want) {
		t.Errorf("answers to %v, want %v", got, want)
	}
}
