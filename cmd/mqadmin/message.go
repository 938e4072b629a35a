package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Message commands and statsAll (admin-protocol.md §2.2, §2.4).

func init() {
	register(&command{name: "queryMsgById", desc: "Query Message by Id", opts: []option{
		{short: "i", long: "msgId", hasArg: true, required: true, desc: "Message Id"},
		{short: "g", long: "consumerGroup", hasArg: true, desc: "consumer group name"},
		{short: "d", long: "clientId", hasArg: true, desc: "The consumer's client id"},
		{short: "s", long: "sendMessage", hasArg: true, desc: "resend message"},
		{short: "u", long: "unitName", hasArg: true, desc: "unit name"},
	}, run: queryMsgByID})
	register(&command{name: "queryMsgByKey", desc: "Query Message by Key", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "k", long: "msgKey", hasArg: true, required: true, desc: "Message Key"},
	}, run: queryMsgByKey})
	register(&command{name: "queryMsgByUniqueKey", desc: "Query Message by Unique key", opts: []option{
		{short: "i", long: "msgId", hasArg: true, required: true, desc: "Message Id"},
		{short: "t", long: "topic", hasArg: true, required: true, desc: "The topic of msg"},
		{short: "g", long: "consumerGroup", hasArg: true, desc: "consumer group name"},
		{short: "d", long: "clientId", hasArg: true, desc: "The consumer's client id"},
		{short: "a", long: "showAll", desc: "Print all message, the limit is 32"},
	}, run: queryMsgByUniqueKey})
	register(&command{name: "queryMsgByOffset", desc: "Query Message by offset", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "b", long: "brokerName", hasArg: true, required: true, desc: "Broker Name"},
		{short: "i", long: "queueId", hasArg: true, required: true, desc: "Queue Id"},
		{short: "o", long: "offset", hasArg: true, required: true, desc: "Queue Offset"},
	}, run: queryMsgByOffset})
	register(&command{name: "sendMessage", desc: "Send a message", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "Topic name"},
		{short: "p", long: "body", hasArg: true, required: true, desc: "UTF-8 string format of the message body"},
		{short: "k", long: "key", hasArg: true, desc: "Message keys"},
		{short: "c", long: "tags", hasArg: true, desc: "Message tags"},
		{short: "b", long: "broker", hasArg: true, desc: "Send message to target broker"},
		{short: "i", long: "qid", hasArg: true, desc: "Send message to target queue"},
		{short: "m", long: "msgTraceEnable", hasArg: true, desc: "Message Trace Enable, Default: false"},
	}, run: sendMessage})
	register(&command{name: "statsAll", desc: "Topic and Consumer tps stats", opts: []option{
		{short: "a", long: "activeTopic", desc: "print active topic only"},
		{short: "t", long: "topic", hasArg: true, desc: "print select topic only"},
	}, run: statsAll})
}

// javaPropsText renders properties as Java's HashMap.toString, in HashMap iteration order.
func javaPropsText(props []byte) string {
	var ext remoting.ExtFields
	for rest := props; len(rest) > 0; {
		i := strings.IndexByte(string(rest), 2)
		pair := rest
		if i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if j := strings.IndexByte(string(pair), 1); j > 0 {
			ext = append(ext, remoting.Field{Key: string(pair[:j]), Value: string(pair[j+1:])})
		}
	}
	protocol.SortJavaOrder(ext)
	parts := make([]string, len(ext))
	for i, f := range ext {
		parts[i] = f.Key + "=" + f.Value
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func propOrNull(m *message.MsgExt, name string) string {
	if v, ok := message.PropertyValue(m.Properties, name); ok {
		return string(v)
	}
	return "null"
}

// clientMsgID is MessageClientExt.getMsgId: the unique key when set, else the offset id.
func clientMsgID(m *message.MsgExt) string {
	if v, ok := message.PropertyValue(m.Properties, message.PropertyUniqClientMessageIDKeyIdx); ok {
		return string(v)
	}
	return m.MsgID()
}

// printMsg is QueryMsgByIdSubCommand.printMsg; the body goes to /tmp/rocketmq/msgbodys.
func printMsg(c *ctx, m *message.MsgExt, withOffsetID bool, bodyName string) {
	if withOffsetID {
		c.printf("%-20s %s\n", "OffsetID:", m.MsgID())
	}
	c.printf("%-20s %s\n", "Topic:", m.Topic)
	c.printf("%-20s %s\n", "Tags:", "["+propOrNull(m, message.PropertyTags)+"]")
	c.printf("%-20s %s\n", "Keys:", "["+propOrNull(m, message.PropertyKeys)+"]")
	c.printf("%-20s %d\n", "Queue ID:", m.QueueID)
	c.printf("%-20s %d\n", "Queue Offset:", m.QueueOffset)
	c.printf("%-20s %d\n", "CommitLog Offset:", m.CommitLogOffset)
	c.printf("%-20s %d\n", "Reconsume Times:", m.ReconsumeTimes)
	c.printf("%-20s %s\n", "Born Timestamp:", timeHuman2(m.BornTimestamp))
	c.printf("%-20s %s\n", "Store Timestamp:", timeHuman2(m.StoreTimestamp))
	c.printf("%-20s %s\n", "Born Host:", m.BornHost.String())
	c.printf("%-20s %s\n", "Store Host:", m.StoreHost.String())
	c.printf("%-20s %d\n", "System Flag:", m.SysFlag)
	c.printf("%-20s %s\n", "Properties:", javaPropsText(m.Properties))
	dir := "/tmp/rocketmq/msgbodys"
	path := filepath.Join(dir, bodyName)
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(path, m.Body, 0o644)
	}
	c.printf("%-20s %s\n", "Message Body Path:", path)
}

// messageTrack is DefaultMQAdminExtImpl.messageTrackDetail: what each consumer group of the
// topic did with the message.
func messageTrack(c *ctx, m *message.MsgExt) {
	r, err := c.adm.route(m.Topic)
	if err != nil || len(r.BrokerDatas) == 0 {
		c.printf("\n\nWARN: No Consumer")
		return
	}
	resp, err := c.adm.call(selectAddr(&r.BrokerDatas[0]), protocol.QueryTopicConsumeByWho, kv("topic", m.Topic), nil)
	var gl protocol.GroupList
	if err != nil || gl.Unmarshal(resp.Body) != nil || len(gl.GroupList) == 0 {
		c.printf("\n\nWARN: No Consumer")
		return
	}
	sort.Strings(gl.GroupList)
	c.printf("\n\n")
	for _, g := range gl.GroupList {
		track, desc := "UNKNOWN", "null"
		cc, err := c.adm.consumerConnection(g, "")
		switch {
		case isCode(err, protocol.ConsumerNotOnline):
			track, desc = "NOT_ONLINE", err.Error()
		case err != nil:
			desc = err.Error()
		case cc.ConsumeType == protocol.ConsumeActively:
			track = "PULL"
		default:
			track = "NOT_CONSUME_YET"
			if c.adm.consumed(m, g) {
				track = "CONSUMED"
				if sub := cc.SubscriptionTable[m.Topic]; sub != nil && len(sub.TagsSet) > 0 {
					tag := propOrNull(m, message.PropertyTags)
					found := false
					for _, t := range sub.TagsSet {
						found = found || t == tag
					}
					if !found {
						track = "CONSUMED_BUT_FILTERED"
					}
				}
			}
		}
		c.printf("MessageTrack [consumerGroup=%s, trackType=%s, exceptionDesc=%s]", g, track, desc)
	}
}

// consumed reports whether group's offset on the message's queue (on the master storing it)
// is past the message.
func (a *admin) consumed(m *message.MsgExt, group string) bool {
	cs, err := a.consumeStats(group, "")
	if err != nil {
		return false
	}
	ci, err := a.clusterInfo()
	if err != nil {
		return false
	}
	for mq, w := range cs.OffsetTable {
		if mq.Topic != m.Topic || mq.QueueID != m.QueueID {
			continue
		}
		if bd := ci.BrokerAddrTable[mq.BrokerName]; bd != nil && bd.BrokerAddrs[0] == m.StoreHost.String() {
			return w.ConsumerOffset > m.QueueOffset
		}
	}
	return false
}

func (a *admin) viewMessage(offsetID string) (*message.MsgExt, error) {
	host, offset, err := message.ParseOffsetMsgID(offsetID)
	if err != nil {
		return nil, &codeError{code: protocol.NoMessage, remark: "query message by id finished, but no message."}
	}
	resp, err := a.call(host.String(), protocol.ViewMessageById, kv("offset", strconv.FormatInt(offset, 10)), nil)
	if err != nil {
		return nil, err
	}
	return message.Decode(resp.Body)
}

func queryMsgByID(c *ctx) error {
	// -g with -d pushes the message to a consumer; else -s true sends it again (and -s false
	// does nothing, as in Java); else it is printed.
	if !(c.has("g") && c.has("d")) && c.has("s") {
		if strings.EqualFold(c.get("s"), "true") {
			for _, id := range strings.Split(c.get("i"), ",") {
				if id = strings.TrimSpace(id); id != "" {
					resendMsg(c, id)
				}
			}
		}
		return nil
	}
	for _, id := range strings.Split(c.get("i"), ",") {
		id = strings.TrimSpace(id)
		m, err := c.adm.viewMessage(id)
		if err != nil {
			return err
		}
		if c.has("g") && c.has("d") {
			return consumeDirectly(c, m, id)
		}
		printMsg(c, m, true, clientMsgID(m))
		messageTrack(c, m)
	}
	return nil
}

// consumeDirectly asks the broker storing the message to hand it to one consumer (309).
func consumeDirectly(c *ctx, m *message.MsgExt, offsetID string) error {
	resp, err := c.adm.callTimeout(m.StoreHost.String(), protocol.ConsumeMessageDirectly,
		kv("consumerGroup", c.get("g"), "clientId", c.get("d"), "msgId", offsetID), nil, 3*c.adm.timeout)
	if err != nil {
		return err
	}
	// fastjson reads consumeResult as CMResult's name or its ordinal (rocketmq-client-go sends
	// the number).
	v, err := parseJSON(resp.Body)
	if err != nil {
		return fmt.Errorf("consume message directly result: %w", err)
	}
	result := v.field("consumeResult").str()
	cmResults := []string{"CR_SUCCESS", "CR_LATER", "CR_ROLLBACK", "CR_COMMIT", "CR_THROW_EXCEPTION", "CR_RETURN_NULL"}
	if n := v.field("consumeResult"); n.kind == 'n' && n.i64() >= 0 && n.i64() < int64(len(cmResults)) {
		result = cmResults[n.i64()]
	}
	// remark is "null" when absent or null, as Java's string concatenation writes it.
	c.printf("ConsumeMessageDirectlyResult [order=%t, autoCommit=%t, consumeResult=%s, remark=%s, spentTimeMills=%d]",
		v.field("order").boolean(), v.field("autoCommit").boolean(), result, v.field("remark").str(), v.field("spentTimeMills").i64())
	return nil
}

// queryByKey sends QUERY_MESSAGE to every broker of the topic and decodes what they found.
func (a *admin) queryByKey(topic, key string, maxNum int, unique bool) ([]*message.MsgExt, error) {
	r, err := a.route(topic)
	if err != nil {
		// MQAdminImpl.queryMessage: the client's route update swallows the reason.
		return nil, &codeError{code: protocol.TopicNotExist, remark: "The topic[" + topic + "] not matched route info"}
	}
	var out []*message.MsgExt
	for i := range r.BrokerDatas {
		resp, err := a.callTimeout(selectAddr(&r.BrokerDatas[i]), protocol.QueryMessage, kv("topic", topic, "key", key,
			"maxNum", strconv.Itoa(maxNum), "beginTimestamp", "0", "endTimestamp", "9223372036854775807",
			protocol.ExtUniqueKeyQuery, strconv.FormatBool(unique)), nil, 18*time.Second)
		if isCode(err, protocol.QueryNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		msgs, err := message.DecodeAll(resp.Body)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

func queryMsgByKey(c *ctx) error {
	topic, key := c.get("t"), c.get("k")
	msgs, err := c.adm.queryByKey(topic, key, 64, false)
	if err != nil {
		return err
	}
	var found []*message.MsgExt
	for _, m := range msgs {
		if m.Topic != topic {
			continue
		}
		for _, k := range strings.Fields(propOrNull(m, message.PropertyKeys)) {
			if k == key {
				found = append(found, m)
				break
			}
		}
	}
	if len(found) == 0 {
		return &codeError{code: protocol.NoMessage, remark: "query message by key finished, but no message."}
	}
	c.printf("%-50s %4s %40s\n", "#Message ID", "#QID", "#Offset")
	for _, m := range found {
		c.printf("%-50s %4d %40d\n", clientMsgID(m), m.QueueID, m.QueueOffset)
	}
	return nil
}

func queryMsgByUniqueKey(c *ctx) error {
	topic, id := c.get("t"), c.get("i")
	msgs, err := c.adm.queryByKey(topic, id, 32, true)
	if err != nil {
		return err
	}
	var best *message.MsgExt
	for _, m := range msgs {
		if m.Topic == topic && clientMsgID(m) == id && (best == nil || m.StoreTimestamp < best.StoreTimestamp) {
			best = m
		}
	}
	if best == nil { // MQAdminImpl.queryMessage's wording, also for a unique key
		return &codeError{code: protocol.NoMessage, remark: "query message by key finished, but no message."}
	}
	if c.has("g") && c.has("d") {
		return consumeDirectly(c, best, best.MsgID())
	}
	printMsg(c, best, false, id)
	messageTrack(c, best)
	return nil
}

func queryMsgByOffset(c *ctx) error {
	topic, brokerName := c.get("t"), c.get("b")
	qid, err := strconv.ParseInt(c.get("i"), 10, 32)
	if err != nil {
		return numberError(c.get("i"))
	}
	off, err := strconv.ParseInt(c.get("o"), 10, 64)
	if err != nil {
		return numberError(c.get("o"))
	}
	r, err := c.adm.route(topic)
	if err != nil {
		return err
	}
	addr := ""
	for i := range r.BrokerDatas {
		if r.BrokerDatas[i].BrokerName == brokerName {
			addr = selectAddr(&r.BrokerDatas[i])
		}
	}
	if addr == "" {
		return fmt.Errorf("The broker[%s] not exist", brokerName)
	}
	p, err := c.adm.pull(addr, "TOOLS_CONSUMER", topic, int32(qid), off, 1)
	if err != nil {
		return err
	}
	if p.status != "FOUND" || len(p.msgs) == 0 {
		return nil // Java prints nothing unless FOUND
	}
	msgs := p.msgs
	printMsg(c, msgs[0], true, clientMsgID(msgs[0]))
	messageTrack(c, msgs[0])
	return nil
}

var uniqCounter atomic.Uint32

// newUniqID is MessageClientIDSetter.createUniqID's layout: IPv4, pid, a random instance
// part, milliseconds since the start of the month and a counter, 32 hex digits.
func newUniqID() string {
	b := make([]byte, 16)
	ip := net.IPv4(127, 0, 0, 1).To4()
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
				ip = n.IP.To4()
				break
			}
		}
	}
	copy(b, ip)
	pid := os.Getpid()
	b[4], b[5] = byte(pid>>8), byte(pid)
	r := rand.Uint32()
	b[6], b[7], b[8], b[9] = byte(r>>24), byte(r>>16), byte(r>>8), byte(r)
	now := time.Now()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	d := uint32(now.Sub(month).Milliseconds())
	b[10], b[11], b[12], b[13] = byte(d>>24), byte(d>>16), byte(d>>8), byte(d)
	n := uniqCounter.Add(1)
	b[14], b[15] = byte(n>>8), byte(n)
	return strings.ToUpper(hex.EncodeToString(b))
}

// sendTarget is one writable queue of a topic's route and its master's address.
type sendTarget struct {
	broker, addr string
	qid          int32
}

// publishRoute is the route a 4.9.8 producer sends topic's messages by
// (tryToFindTopicPublishInfo): the topic's own or, for a topic the name servers do not know,
// the default topic TBW102's with at most defaultTopicQueueNums (4) queues per broker, so that
// the broker creates the topic (autoCreateTopicEnable).
func (a *admin) publishRoute(topic string) (*protocol.TopicRouteData, error) {
	r, err := a.route(topic)
	if err == nil {
		return r, nil
	}
	if r, err = a.route(protocol.AutoCreateTopicKeyTopic); err != nil {
		return nil, noRouteError(topic)
	}
	for i := range r.QueueDatas {
		n := min(4, r.QueueDatas[i].ReadQueueNums)
		r.QueueDatas[i].ReadQueueNums, r.QueueDatas[i].WriteQueueNums = n, n
	}
	return r, nil
}

// publishTargets lists the writable queues of publishRoute; none is Java's "No route info of
// this topic".
func (a *admin) publishTargets(topic string) ([]sendTarget, error) {
	r, err := a.publishRoute(topic)
	if err != nil {
		return nil, err
	}
	targets := writableQueues(r)
	if len(targets) == 0 {
		return nil, noRouteError(topic)
	}
	return targets, nil
}

// masterAddr is the address of broker's master in r, or "".
func masterAddr(r *protocol.TopicRouteData, broker string) string {
	for i := range r.BrokerDatas {
		if r.BrokerDatas[i].BrokerName == broker {
			return r.BrokerDatas[i].BrokerAddrs[0]
		}
	}
	return ""
}

// clientError is an MQClientException the client raises itself (no response code); its
// message ends with one of Java's two FAQ sentences. cause, when set, is what Java's stack
// trace prints after "Caused by:".
type clientError struct {
	msg   string
	cause error
}

func (e *clientError) Error() string { return e.msg }

// clientFAQ is what FAQUrl.attachDefaultURL appends to a message that names no FAQ page;
// faqSee is FAQUrl.suggestTodo's sentence, which a message may carry instead.
const (
	clientFAQ = "\nFor more information, please visit the url, http://rocketmq.apache.org/docs/faq/"
	faqSee    = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."
)

// brokerNotExist is the client's "The broker[x] not exist" (no route names its address).
func brokerNotExist(name string) error {
	return &clientError{msg: "The broker[" + name + "] not exist" + clientFAQ}
}

func noRouteError(topic string) error {
	return &clientError{msg: "No route info of this topic: " + topic + faqSee}
}

// writableQueues lists the route's writable queues on masters.
func writableQueues(r *protocol.TopicRouteData) []sendTarget {
	var targets []sendTarget
	for _, q := range r.QueueDatas {
		if !protocol.IsWriteable(q.Perm) {
			continue
		}
		for i := range r.BrokerDatas {
			if r.BrokerDatas[i].BrokerName == q.BrokerName && r.BrokerDatas[i].BrokerAddrs[0] != "" {
				for qid := int32(0); qid < q.WriteQueueNums; qid++ {
					targets = append(targets, sendTarget{q.BrokerName, r.BrokerDatas[i].BrokerAddrs[0], qid})
				}
			}
		}
	}
	return targets
}

// resendMsg is QueryMsgByIdSubCommand.sendMsg: the stored message sent again to its topic as a
// producer of group ReSendMsgById would (its properties, unique key included, kept), printing
// Java's SendResult. A failure is printed and the next id goes on, as Java does.
func resendMsg(c *ctx, id string) {
	fail := func(err error) { fmt.Fprintln(c.errOut, javaException(err)) }
	m, err := c.adm.viewMessage(id)
	if err != nil {
		fail(err)
		return
	}
	c.printf("prepare resend msg. originalMsgId=%s", id)
	targets, err := c.adm.publishTargets(m.Topic)
	if err != nil {
		fail(err)
		return
	}
	t := targets[rand.IntN(len(targets))]
	resp, err := c.adm.sendV2(t, "ReSendMsgById", m.Topic, m.Flag, m.Properties, m.Body)
	if err != nil {
		fail(err)
		return
	}
	c.printf("SendResult [sendStatus=SEND_OK, msgId=%s, offsetMsgId=%s, messageQueue=%s, queueOffset=%s]", clientMsgID(m),
		resp.ExtFields.Value("msgId"), mqString(protocol.MessageQueue{Topic: m.Topic, BrokerName: t.broker, QueueID: t.qid}),
		resp.ExtFields.Value("queueOffset"))
}

func sendMessage(c *ctx) error {
	topic := c.get("t")
	if c.has("i") && !c.has("b") {
		c.printf("Broker name must be set if the queue is chosen!")
		return nil
	}
	qid := int64(-1)
	if c.has("i") {
		var err error
		if qid, err = strconv.ParseInt(c.get("i"), 10, 32); err != nil {
			return numberError(c.get("i"))
		}
	}
	var t sendTarget
	if qid > -1 {
		// send(msg, MessageQueue): straight to that queue of the named broker, wherever the
		// producer found the broker's address; the broker judges the queue id.
		r, err := c.adm.publishRoute(topic)
		addr := ""
		if err == nil {
			addr = masterAddr(r, c.get("b"))
		}
		if addr == "" {
			return brokerNotExist(c.get("b"))
		}
		t = sendTarget{c.get("b"), addr, int32(qid)}
	} else { // send(msg): any writable queue; -b alone does not narrow it, as in Java
		targets, err := c.adm.publishTargets(topic)
		if err != nil {
			return err
		}
		t = targets[rand.IntN(len(targets))]
	}
	uniq := newUniqID()
	var props []byte
	if c.has("k") {
		props = message.AppendProperty(props, message.PropertyKeys, c.get("k"))
	}
	if c.has("c") {
		props = message.AppendProperty(props, message.PropertyTags, c.get("c"))
	}
	props = message.AppendProperty(props, message.PropertyWaitStoreMsgOK, "true")
	props = message.AppendProperty(props, message.PropertyUniqClientMessageIDKeyIdx, uniq)
	start := time.Now()
	group := strconv.FormatInt(start.UnixMilli(), 10)
	resp, err := c.adm.sendV2(t, group, topic, 0, props, []byte(c.get("p")))
	if err != nil {
		return err // Java's send throws before the table is printed
	}
	c.printf("%-32s  %-4s  %-20s    %s\n", "#Broker Name", "#QID", "#Send Result", "#MsgId")
	c.printf("%-32s  %-4d  %-20s    %s\n", t.broker, t.qid, "SEND_OK", uniq)
	if strings.EqualFold(c.get("m"), "true") && resp.ExtFields.Value("TRACE_ON") != "false" {
		region := resp.ExtFields.Value(protocol.ExtMsgRegion)
		if region == "" {
			region = protocol.DefaultRegionID
		}
		orNull := func(opt string) string {
			if c.has(opt) {
				return c.get(opt)
			}
			return "null"
		}
		// TraceDataEncoder's Pub record, fields split by \x01, the record ended by \x02.
		data := strings.Join([]string{"Pub", strconv.FormatInt(start.UnixMilli(), 10), region, group, topic, uniq,
			orNull("c"), orNull("k"), t.addr, strconv.Itoa(len(c.get("p"))), strconv.FormatInt(time.Since(start).Milliseconds(), 10),
			"0", resp.ExtFields.Value("msgId"), "true"}, "\x01") + "\x02"
		keys := []string{uniq}
		if c.has("k") {
			keys = append(keys, c.get("k"))
		}
		sendTrace(c, data, javaSetOrder(keys), group)
	}
	return nil
}

// sendTrace is what the 4.9.8 producer's AsyncTraceDispatcher does with -m true: one message
// to RMQ_SYS_TRACE_TOPIC holding the trace record, keyed by the message's ids and keys (a
// HashSet, joined by spaces). Like Java, a failure only goes to the log.
func sendTrace(c *ctx, data string, keys []string, group string) {
	targets, err := c.adm.publishTargets(protocol.RmqSysTraceTopic)
	if err != nil {
		logrus.WithError(err).WithField("topic", protocol.RmqSysTraceTopic).Warn("message trace not sent")
		return
	}
	t := targets[rand.IntN(len(targets))]
	var props []byte
	props = message.AppendProperty(props, message.PropertyKeys, strings.Join(keys, " "))
	props = message.AppendProperty(props, message.PropertyWaitStoreMsgOK, "true")
	props = message.AppendProperty(props, message.PropertyUniqClientMessageIDKeyIdx, newUniqID())
	if _, err := c.adm.sendV2(t, "_INNER_TRACE_PRODUCER-"+group, protocol.RmqSysTraceTopic, 0, props, []byte(data)); err != nil {
		logrus.WithError(err).WithField("topic", protocol.RmqSysTraceTopic).Warn("message trace not sent")
	}
}

// sendV2 sends one message as a producer does (SEND_MESSAGE_V2 to queue t, creating the topic
// from TBW102 if need be); a refusal comes back as a codeError, with the response.
func (a *admin) sendV2(t sendTarget, group, topic string, flag int32, props, body []byte) (*remoting.Command, error) {
	h := protocol.SendMessageRequestHeader{ProducerGroup: group, Topic: topic,
		DefaultTopic: protocol.AutoCreateTopicKeyTopic, DefaultTopicQueueNums: 4, QueueID: t.qid, Flag: flag,
		BornTimestamp: time.Now().UnixMilli(), Properties: string(props), BrokerName: t.broker}
	var ext remoting.ExtFields
	h.EncodeV2(&ext)
	return a.call(t.addr, protocol.SendMessageV2, ext, body)
}

// statsWindow / brokerStatsData are VIEW_BROKER_STATS_DATA's body.
type statsWindow struct {
	Sum   int64   `json:"sum"`
	Tps   float64 `json:"tps"`
	Avgpt float64 `json:"avgpt"`
}

type brokerStatsData struct {
	StatsMinute statsWindow `json:"statsMinute"`
	StatsHour   statsWindow `json:"statsHour"`
	StatsDay    statsWindow `json:"statsDay"`
}

func (a *admin) viewStats(addr, name, key string) (*brokerStatsData, error) {
	resp, err := a.call(addr, protocol.ViewBrokerStatsData, kv("statsName", name, "statsKey", key), nil)
	if err != nil {
		return nil, err
	}
	var d brokerStatsData
	if err := json.Unmarshal(resp.Body, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// sum24h is StatsAllSubCommand.compute24HourSum.
func sum24h(d *brokerStatsData) int64 {
	if d.StatsDay.Sum != 0 {
		return d.StatsDay.Sum
	}
	if d.StatsHour.Sum != 0 {
		return d.StatsHour.Sum
	}
	return d.StatsMinute.Sum
}

func statsAll(c *ctx) error {
	topics, err := c.adm.topicList()
	if err != nil {
		return err
	}
	topics = javaSetOrder(topics)
	c.printf("%-64s  %-64s %12s %11s %11s %14s %14s\n", "#Topic", "#Consumer Group", "#Accumulation", "#InTPS", "#OutTPS",
		"#InMsg24Hour", "#OutMsg24Hour")
	active := c.has("a")
	for _, t := range topics {
		if protocol.IsRetryTopic(t) || protocol.IsDLQTopic(t) || (c.has("t") && t != c.get("t")) {
			continue
		}
		r, err := c.adm.route(t)
		if err != nil || len(r.BrokerDatas) == 0 {
			continue
		}
		var masters []string
		for i := range r.BrokerDatas {
			if a := r.BrokerDatas[i].BrokerAddrs[0]; a != "" {
				masters = append(masters, a)
			}
		}
		var inTps float64
		var in24 int64
		for _, m := range masters {
			if d, err := c.adm.viewStats(m, "TOPIC_PUT_NUMS", t); err == nil {
				inTps += d.StatsMinute.Tps
				in24 += sum24h(d)
			}
		}
		var groups []string
		if resp, err := c.adm.call(selectAddr(&r.BrokerDatas[0]), protocol.QueryTopicConsumeByWho, kv("topic", t), nil); err == nil {
			var gl protocol.GroupList
			if gl.Unmarshal(resp.Body) == nil {
				groups = javaSetOrder(gl.GroupList)
			}
		}
		if len(groups) == 0 {
			if !active || in24 > 0 {
				c.printf("%-64s  %-64s %12d %11.2f %11s %14d %14s\n", t, "", 0, inTps, "", in24, "NO_CONSUMER")
			}
			continue
		}
		for _, g := range groups {
			var outTps float64
			var out24 int64
			for _, m := range masters {
				if d, err := c.adm.viewStats(m, "GROUP_GET_NUMS", t+"@"+g); err == nil {
					outTps += d.StatsMinute.Tps
					out24 += sum24h(d)
				}
			}
			var acc int64
			if cs, err := c.adm.consumeStats(g, t); err == nil {
				acc = max(cs.ComputeTotalDiff(), 0)
			}
			if !active || in24 > 0 || out24 > 0 {
				c.printf("%-64s  %-64s %12d %11.2f %11.2f %14d %14d\n", t, g, acc, inTps, outTps, in24, out24)
			}
		}
	}
	return nil
}
