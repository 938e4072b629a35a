package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// consumerStatus (admin-protocol.md §2.3): each client's ConsumerRunningInfo, fetched through
// the broker (307, which relays it to the client). Like Java's ConsumerStatusSubCommand it
// writes each client's running info as ConsumerRunningInfo.formatString() text to
// <now-ms>/<clientId> under the working directory, prints one table row per client, then the
// subscription and process-queue analysis; with -i it prints that one client's text.

func init() {
	register(&command{name: "consumerStatus", desc: "Query consumer's internal data structure", opts: []option{
		{short: "g", long: "consumerGroup", hasArg: true, required: true, desc: "consumer group name"},
		{short: "i", long: "clientId", hasArg: true, desc: "The consumer's client id"},
		{short: "b", long: "brokerAddr", hasArg: true, desc: "broker address"},
		{short: "s", long: "jstack", desc: "Run jstack command in the consumer progress"},
	}, run: consumerStatus})
}

// runningInfo is what ConsumerRunningInfo holds once fastjson decoded a client's answer, in
// the orders Java keeps it: properties as its Properties map iterates them, the rest sorted
// as its TreeSet/TreeMaps are.
type runningInfo struct {
	props  [][2]string
	subs   []runningSub
	mqs    []runningMQ
	status []runningStatus
	jstack *string // nil when the client sent none (Java prints no jstack section then)
}

type runningSub struct {
	topic, subString string
	classFilter      bool
}

// runningMQ is one mqTable entry: the queue and its ProcessQueueInfo.
type runningMQ struct {
	mq                                 protocol.MessageQueue
	commitOffset, cachedMin, cachedMax int64
	cachedCount, cachedMiB             int64
	txMin, txMax, txCount              int64
	locked, dropped                    bool
	tryUnlockTimes                     int64
	lastLock, lastPull, lastConsume    int64
}

type runningStatus struct {
	topic                                        string
	pullRT, pullTPS, consumeRT, okTPS, failedTPS float64
	failedMsgs                                   int64
}

// parseRunningInfo decodes a ConsumerRunningInfo body as Java's fastjson decode would read it:
// unknown members are ignored, absent ones keep Java's defaults.
func parseRunningInfo(body []byte) (*runningInfo, error) {
	root, err := parseJSON(body)
	if err != nil {
		return nil, fmt.Errorf("consumer running info: %w", err)
	}
	if root.kind != 'o' {
		return nil, fmt.Errorf("consumer running info: %w", errJSON)
	}
	ri := &runningInfo{}
	for _, m := range root.field("properties").obj {
		ri.props = append(ri.props, [2]string{m.key.str(), m.val.str()})
	}
	ri.props = javaCHMOrder(ri.props)
	seen := map[string]bool{}
	for _, s := range root.field("subscriptionSet").arr {
		sub := runningSub{topic: s.field("topic").str(), subString: s.field("subString").str(),
			classFilter: s.field("classFilterMode").boolean()}
		// A TreeSet keeps one element per compareTo key: topic@subString.
		if k := sub.topic + "@" + sub.subString; !seen[k] {
			seen[k] = true
			ri.subs = append(ri.subs, sub)
		}
	}
	slices.SortFunc(ri.subs, func(a, b runningSub) int {
		return strings.Compare(a.topic+"@"+a.subString, b.topic+"@"+b.subString)
	})
	for _, m := range root.field("mqTable").obj {
		k, v := m.key, m.val
		e := runningMQ{mq: protocol.MessageQueue{Topic: k.field("topic").str(), BrokerName: k.field("brokerName").str(),
			QueueID: int32(k.field("queueId").i64())}}
		e.commitOffset, e.cachedMin, e.cachedMax = v.field("commitOffset").i64(), v.field("cachedMsgMinOffset").i64(), v.field("cachedMsgMaxOffset").i64()
		e.cachedCount, e.cachedMiB = v.field("cachedMsgCount").i64(), v.field("cachedMsgSizeInMiB").i64()
		e.txMin, e.txMax, e.txCount = v.field("transactionMsgMinOffset").i64(), v.field("transactionMsgMaxOffset").i64(), v.field("transactionMsgCount").i64()
		// Java's field is spelled "droped"; a client writing "dropped" leaves it false there too.
		e.locked, e.dropped = v.field("locked").boolean(), v.field("droped").boolean()
		e.tryUnlockTimes = v.field("tryUnlockTimes").i64()
		e.lastLock, e.lastPull, e.lastConsume = v.field("lastLockTimestamp").i64(), v.field("lastPullTimestamp").i64(), v.field("lastConsumeTimestamp").i64()
		ri.mqs = append(ri.mqs, e)
	}
	slices.SortFunc(ri.mqs, func(a, b runningMQ) int { return a.mq.Compare(b.mq) })
	for _, m := range root.field("statusTable").obj {
		v := m.val
		ri.status = append(ri.status, runningStatus{topic: m.key.str(), pullRT: v.field("pullRT").f64(), pullTPS: v.field("pullTPS").f64(),
			consumeRT: v.field("consumeRT").f64(), okTPS: v.field("consumeOKTPS").f64(), failedTPS: v.field("consumeFailedTPS").f64(),
			failedMsgs: v.field("consumeFailedMsgs").i64()})
	}
	slices.SortFunc(ri.status, func(a, b runningStatus) int { return strings.Compare(a.topic, b.topic) })
	if j := root.field("jstack"); j.kind != 0 && j.kind != 'z' {
		s := j.str()
		ri.jstack = &s
	}
	return ri, nil
}

func mqString(mq protocol.MessageQueue) string {
	return fmt.Sprintf("MessageQueue [topic=%s, brokerName=%s, queueId=%d]", mq.Topic, mq.BrokerName, mq.QueueID)
}

// javaCHMOrder orders entries as a java.util.Properties filled in this order iterates them.
// Since Java 9 a Properties keeps them in a ConcurrentHashMap created for 8 entries: 16 bins,
// doubled whenever the count reaches three quarters of the bins; a new key goes to the end of
// its bin, and a doubling splits each bin keeping the tail run that moves together in order
// and putting the nodes before it in front, reversed (ConcurrentHashMap.transfer). Iteration
// walks the bins in index order. A repeated key keeps its first place and its last value.
func javaCHMOrder(kvs [][2]string) [][2]string {
	type node struct {
		hash uint32
		i    int
	}
	n := uint32(16)
	bins := make([][]node, n)
	seen := make(map[string]bool, len(kvs))
	count := 0
	for i, e := range kvs {
		if seen[e[0]] {
			continue
		}
		seen[e[0]] = true
		h := uint32(protocol.JavaHashCode(e[0]))
		h = (h ^ h>>16) & 0x7fffffff
		bins[h&(n-1)] = append(bins[h&(n-1)], node{h, i})
		count++
		for uint32(count) >= n-n/4 {
			next := make([][]node, 2*n)
			for j, bin := range bins {
				if len(bin) == 0 {
					continue
				}
				last := 0 // start of the tail run whose nodes all go the same way
				for k := 1; k < len(bin); k++ {
					if bin[k].hash&n != bin[k-1].hash&n {
						last = k
					}
				}
				var lo, hi []node
				if bin[last].hash&n == 0 {
					lo = append(lo, bin[last:]...)
				} else {
					hi = append(hi, bin[last:]...)
				}
				for k := 0; k < last; k++ {
					if bin[k].hash&n == 0 {
						lo = append([]node{bin[k]}, lo...)
					} else {
						hi = append([]node{bin[k]}, hi...)
					}
				}
				next[j], next[uint32(j)+n] = lo, hi
			}
			bins, n = next, 2*n
		}
	}
	last := make(map[string]string, len(kvs))
	for _, e := range kvs {
		last[e[0]] = e[1]
	}
	out := make([][2]string, 0, count)
	for _, bin := range bins {
		for _, nd := range bin {
			k := kvs[nd.i][0]
			out = append(out, [2]string{k, last[k]})
		}
	}
	return out
}

// humanMillis is UtilAll.timeMillisToHumanString: local yyyyMMddHHmmssSSS.
func humanMillis(ms int64) string {
	t := time.UnixMilli(ms)
	return fmt.Sprintf("%04d%02d%02d%02d%02d%02d%03d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(),
		t.Nanosecond()/1e6)
}

// formatString is ConsumerRunningInfo.formatString: the text Java writes to each client's file.
func (ri *runningInfo) formatString() string {
	var sb strings.Builder
	sb.WriteString("#Consumer Properties#\n")
	for _, p := range ri.props {
		fmt.Fprintf(&sb, "%-40s: %s\n", p[0], p[1])
	}
	sb.WriteString("\n\n#Consumer Subscription#\n")
	for i, s := range ri.subs {
		fmt.Fprintf(&sb, "%03d Topic: %-40s ClassFilter: %-8t SubExpression: %s\n", i+1, s.topic, s.classFilter, s.subString)
	}
	sb.WriteString("\n\n#Consumer Offset#\n")
	fmt.Fprintf(&sb, "%-64s  %-32s  %-4s  %-20s\n", "#Topic", "#Broker Name", "#QID", "#Consumer Offset")
	for _, e := range ri.mqs {
		fmt.Fprintf(&sb, "%-32s  %-32s  %-4d  %-20d\n", e.mq.Topic, e.mq.BrokerName, e.mq.QueueID, e.commitOffset)
	}
	sb.WriteString("\n\n#Consumer MQ Detail#\n")
	fmt.Fprintf(&sb, "%-64s  %-32s  %-4s  %-20s\n", "#Topic", "#Broker Name", "#QID", "#ProcessQueueInfo")
	for _, e := range ri.mqs {
		fmt.Fprintf(&sb, "%-64s  %-32s  %-4d  ProcessQueueInfo [commitOffset=%d, cachedMsgMinOffset=%d, cachedMsgMaxOffset=%d, "+
			"cachedMsgCount=%d, cachedMsgSizeInMiB=%d, transactionMsgMinOffset=%d, transactionMsgMaxOffset=%d, transactionMsgCount=%d, "+
			"locked=%t, tryUnlockTimes=%d, lastLockTimestamp=%s, droped=%t, lastPullTimestamp=%s, lastConsumeTimestamp=%s]\n",
			e.mq.Topic, e.mq.BrokerName, e.mq.QueueID, e.commitOffset, e.cachedMin, e.cachedMax, e.cachedCount, e.cachedMiB,
			e.txMin, e.txMax, e.txCount, e.locked, e.tryUnlockTimes, humanMillis(e.lastLock), e.dropped,
			humanMillis(e.lastPull), humanMillis(e.lastConsume))
	}
	sb.WriteString("\n\n#Consumer RT&TPS#\n")
	fmt.Fprintf(&sb, "%-64s  %14s %14s %14s %14s %18s %25s\n", "#Topic", "#Pull RT", "#Pull TPS", "#Consume RT",
		"#ConsumeOK TPS", "#ConsumeFailed TPS", "#ConsumeFailedMsgsInHour")
	for _, s := range ri.status {
		fmt.Fprintf(&sb, "%-32s  %14s %14s %14s %14s %18s %25d\n", s.topic, javaF2(s.pullRT), javaF2(s.pullTPS),
			javaF2(s.consumeRT), javaF2(s.okTPS), javaF2(s.failedTPS), s.failedMsgs)
	}
	if ri.jstack != nil {
		sb.WriteString("\n\n#Consumer jstack#\n")
		sb.WriteString(*ri.jstack)
	}
	return sb.String()
}

// javaF2 is Java's "%.2f": the shortest decimal form of the double rounded half-up (Go rounds
// the binary value half-even: 0.125 is 0.13 in Java, 0.12 in Go).
func javaF2(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	if len(fp) <= 2 {
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
	digits := []byte(ip + fp[:2])
	if fp[2] >= '5' {
		i := len(digits) - 1
		for ; i >= 0; i-- {
			if digits[i] == '9' {
				digits[i] = '0'
				continue
			}
			digits[i]++
			break
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		}
	}
	out := string(digits[:len(digits)-2]) + "." + string(digits[len(digits)-2:])
	if neg { // Java keeps the sign of a value that rounds to zero: -0.00
		out = "-" + out
	}
	return out
}

// prop is one of the client's properties.
func (ri *runningInfo) prop(key string) (string, bool) {
	for _, p := range ri.props {
		if p[0] == key {
			return p[1], true
		}
	}
	return "", false
}

// push is the PROP_CONSUME_TYPE test both analyses start with.
func (ri *runningInfo) push() bool {
	v, _ := ri.prop("PROP_CONSUME_TYPE")
	return v == "CONSUME_PASSIVELY"
}

// sameSubscription is ConsumerRunningInfo.analyzeSubscription over the clients in id order:
// only push consumers that started over two minutes ago are compared, by their
// subscriptions' topic@expression sets, and the last one must subscribe something.
func sameSubscription(ids []string, infos map[string]*runningInfo, now time.Time) bool {
	first := infos[ids[0]]
	started, _ := first.prop("PROP_CONSUMER_START_TIMESTAMP")
	ts, _ := strconv.ParseInt(started, 10, 64)
	if !first.push() || now.UnixMilli()-ts <= 2*60*1000 {
		return true
	}
	key := func(ri *runningInfo) string {
		parts := make([]string, len(ri.subs))
		for i, s := range ri.subs {
			parts[i] = s.topic + "@" + s.subString
		}
		return strings.Join(parts, "\x00")
	}
	want := key(first)
	for _, id := range ids {
		if key(infos[id]) != want {
			return false
		}
	}
	return len(infos[ids[len(ids)-1]].subs) > 0
}

// processQueueWarnings is ConsumerRunningInfo.analyzeProcessQueue: queues an orderly push
// consumer cannot lock or unlock, queues a concurrent one has held messages of for a minute.
func processQueueWarnings(clientID string, ri *runningInfo, now time.Time) string {
	if !ri.push() {
		return ""
	}
	orderly, _ := ri.prop("PROP_CONSUMEORDERLY")
	var sb strings.Builder
	ms := now.UnixMilli()
	for _, e := range ri.mqs {
		switch {
		case strings.EqualFold(orderly, "true") && !e.locked:
			fmt.Fprintf(&sb, "%s %s can't lock for a while, %dms\n", clientID, mqString(e.mq), ms-e.lastLock)
		case strings.EqualFold(orderly, "true"):
			if e.dropped && e.tryUnlockTimes > 0 {
				fmt.Fprintf(&sb, "%s %s unlock %d times, still failed\n", clientID, mqString(e.mq), e.tryUnlockTimes)
			}
		case ms-e.lastConsume > 60*1000 && e.cachedCount > 0:
			fmt.Fprintf(&sb, "%s %s can't consume for a while, maybe blocked, %dms\n", clientID, mqString(e.mq), ms-e.lastConsume)
		}
	}
	return sb.String()
}

// runningInfo is DefaultMQAdminExt.getConsumerRunningInfo: asked through the first broker of
// the group's retry route. A success without a body is an error too (Java throws
// MQClientException with the code 0 and the remark then, e.g. a client that could not encode).
func (a *admin) runningInfo(group, clientID string, jstack bool) (*runningInfo, error) {
	r, err := a.route(protocol.RetryTopic(group))
	if err != nil {
		return nil, err
	}
	for i := range r.BrokerDatas {
		addr := selectAddr(&r.BrokerDatas[i])
		if addr == "" {
			continue
		}
		resp, err := a.callTimeout(addr, protocol.GetConsumerRunningInfo,
			kv("consumerGroup", group, "clientId", clientID, "jstackEnable", strconv.FormatBool(jstack)), nil, 3*a.timeout)
		if err != nil {
			return nil, err
		}
		if len(resp.Body) == 0 {
			return nil, &codeError{code: resp.Code, remark: resp.Remark}
		}
		return parseRunningInfo(resp.Body)
	}
	return nil, nil
}

func consumerStatus(c *ctx) error {
	group := c.get("g")
	cc, err := c.adm.consumerConnection(group, c.get("b"))
	if err != nil {
		return err
	}
	jstack := c.has("s")
	if c.has("i") {
		ri, err := c.adm.runningInfo(group, c.get("i"), jstack)
		if err != nil {
			return err
		}
		if ri != nil {
			c.printf("%s", ri.formatString())
		}
		return nil
	}
	// Java walks the connection HashSet (identity hashes: no stable order); id order is one
	// of the orders it can print, and the one its analysis uses.
	conns := slices.Clone(cc.ConnectionSet)
	slices.SortFunc(conns, func(a, b protocol.Connection) int { return strings.Compare(a.ClientID, b.ClientID) })
	now := time.Now()
	dir := strconv.FormatInt(now.UnixMilli(), 10)
	c.printf("%-10s %-40s %-20s %s\n", "#Index", "#ClientId", "#Version", "#ConsumerRunningInfoFile")
	infos := map[string]*runningInfo{}
	var ids []string
	for _, conn := range conns {
		ri, err := c.adm.runningInfo(group, conn.ClientID, jstack)
		if err != nil {
			// Java prints the exception and goes on with the next client.
			fmt.Fprintf(c.errOut, "%s\n", javaException(err))
			continue
		}
		if ri == nil {
			continue
		}
		infos[conn.ClientID] = ri
		ids = append(ids, conn.ClientID)
		file := dir + "/" + conn.ClientID
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err == nil {
			err = os.WriteFile(file, []byte(ri.formatString()), 0o644)
		}
		if err != nil {
			fmt.Fprintf(c.errOut, "write %s: %v\n", file, err)
		}
		c.printf("%-10d %-40s %-20s %s\n", len(ids), conn.ClientID, protocol.VersionDesc(conn.Version), file)
	}
	if len(ids) == 0 { // ids are in id order: conns were sorted by client id
		return nil
	}
	if !sameSubscription(ids, infos, now) {
		c.printf("\n\nWARN: Different subscription in the same group of consumer!!!")
		return nil
	}
	// analyzeRebalance always says yes in Java 4.9.8.
	c.printf("\n\nSame subscription in the same group of consumer")
	c.printf("\n\nRebalance OK\n")
	for _, id := range ids {
		c.printf("%s", processQueueWarnings(id, infos[id], time.Now()))
	}
	return nil
}

// javaException is the first line Java's printStackTrace writes for err.
func javaException(err error) string {
	if ce, ok := err.(*clientError); ok {
		s := "org.apache.rocketmq.client.exception.MQClientException: " + ce.msg
		if ce.cause != nil {
			s += "\nCaused by: " + javaException(ce.cause)
		}
		return s
	}
	if ce, ok := err.(*codeError); ok {
		if ce.broker != "" {
			return "org.apache.rocketmq.client.exception.MQBrokerException: " + err.Error()
		}
		return "org.apache.rocketmq.client.exception.MQClientException: " + err.Error()
	}
	return err.Error()
}
