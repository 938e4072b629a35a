package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// consumeMessage (admin-protocol.md §2.4): pulls messages as the TOOLS_CONSUMER group (no
// offsets committed) from one queue at an offset, from one queue's oldest messages, or from
// every queue's, and prints them.

func init() {
	register(&command{name: "consumeMessage", desc: "Consume message", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "Topic name"},
		{short: "b", long: "brokerName", hasArg: true, desc: "Broker name"},
		{short: "i", long: "queueId", hasArg: true, desc: "Queue Id"},
		{short: "o", long: "offset", hasArg: true, desc: "Queue offset"},
		{short: "g", long: "consumerGroup", hasArg: true, desc: "Consumer group name"},
		// Java's long names end in a space; --beginTimestamp still finds them as a prefix.
		{short: "s", long: "beginTimestamp ", hasArg: true, desc: "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
		{short: "e", long: "endTimestamp ", hasArg: true, desc: "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
		{short: "c", long: "MessageNumber", hasArg: true, desc: "Number of message to be consumed"},
	}, run: consumeMessage})
}

// javaMsgText is MessageExt.toString as the 4.9.8 client prints it.
func javaMsgText(brokerName string, m *message.MsgExt) string {
	return fmt.Sprintf("MessageExt [brokerName=%s, queueId=%d, storeSize=%d, queueOffset=%d, sysFlag=%d, bornTimestamp=%d, "+
		"bornHost=/%s, storeTimestamp=%d, storeHost=/%s, msgId=%s, commitLogOffset=%d, bodyCRC=%d, reconsumeTimes=%d, "+
		"preparedTransactionOffset=%d, toString()=Message{topic='%s', flag=%d, properties=%s, body=[%s], transactionId='null'}]",
		brokerName, m.QueueID, m.StoreSize, m.QueueOffset, m.SysFlag, m.BornTimestamp, m.BornHost, m.StoreTimestamp, m.StoreHost,
		m.MsgID(), m.CommitLogOffset, m.BodyCRC, m.ReconsumeTimes, m.PreparedTransactionOffset, m.Topic, m.Flag,
		javaPropsText(m.Properties), javaBytes(m.Body))
}

// javaBytes is Arrays.toString(byte[]) without the brackets: signed bytes.
func javaBytes(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = strconv.Itoa(int(int8(c)))
	}
	return strings.Join(parts, ", ")
}

type pulled struct {
	status string // FOUND, NO_NEW_MSG, NO_MATCHED_MSG, OFFSET_ILLEGAL
	next   int64
	msgs   []*message.MsgExt
}

func (a *admin) pull(addr, group, topic string, qid int32, offset int64, n int32) (*pulled, error) {
	var ext remoting.ExtFields
	(&protocol.PullMessageRequestHeader{ConsumerGroup: group, Topic: topic, QueueID: qid, QueueOffset: offset,
		MaxMsgNums: n, SysFlag: protocol.PullFlagSubscription, Subscription: "*", ExpressionType: "TAG"}).Encode(&ext)
	const pullTimeout = 10 * time.Second
	resp, err := a.cli.Invoke(addr, remoting.NewRequest(protocol.PullMessage, ext, nil), pullTimeout)
	if err != nil {
		return nil, transportError(protocol.PullMessage, addr, pullTimeout, err)
	}
	p := &pulled{next: parseI64(resp.ExtFields.Value("nextBeginOffset"))}
	switch resp.Code {
	case protocol.Success:
		p.status = "FOUND"
		if p.msgs, err = message.DecodeAll(resp.Body); err != nil {
			return nil, err
		}
		// The Java client stamps every pulled message with the queue's range.
		for _, m := range p.msgs {
			m.Properties = message.AppendProperty(m.Properties, message.PropertyMinOffset, resp.ExtFields.Value("minOffset"))
			m.Properties = message.AppendProperty(m.Properties, message.PropertyMaxOffset, resp.ExtFields.Value("maxOffset"))
		}
	case protocol.PullNotFound:
		p.status = "NO_NEW_MSG"
	case protocol.PullRetryImmediately:
		p.status = "NO_MATCHED_MSG"
	case protocol.PullOffsetMoved:
		p.status = "OFFSET_ILLEGAL"
	default: // processPullResponse: MQBrokerException(code, remark, addr)
		return nil, &codeError{code: resp.Code, remark: resp.Remark, broker: addr}
	}
	return p, nil
}

func (a *admin) queueOffset(addr string, code int32, topic string, qid int32, ts int64) (int64, error) {
	ext := kv("topic", topic, "queueId", strconv.Itoa(int(qid)))
	if code == protocol.SearchOffsetByTimestamp {
		ext = append(ext, remoting.Field{Key: "timestamp", Value: strconv.FormatInt(ts, 10)})
	}
	resp, err := a.call(addr, code, ext, nil)
	if err != nil {
		return 0, err
	}
	return parseI64(resp.ExtFields.Value("offset")), nil
}

type consumeQueue struct {
	broker, addr string
	qid          int32
}

func (q consumeQueue) text(topic string) string {
	return "MessageQueue [topic=" + topic + ", brokerName=" + q.broker + ", queueId=" + strconv.Itoa(int(q.qid)) + "]"
}

func consumeMessage(c *ctx) error {
	topic := c.get("t")
	group := "TOOLS_CONSUMER"
	if c.has("g") {
		group = c.get("g")
	}
	count, err := i64Opt(c, "c", 128)
	if err != nil {
		return err
	}
	if count <= 0 {
		c.printf("Please input a positive messageNumber!")
		return nil
	}
	if c.has("i") && !c.has("b") {
		c.printf("Please set the brokerName before queueId!")
		return nil
	}
	if c.has("o") && !c.has("i") {
		c.printf("Please set queueId before offset!")
		return nil
	}
	now := time.Now().UnixMilli()
	var begin, end int64
	if c.has("s") {
		if begin, err = consumeTimestamp(c.get("s")); err != nil {
			return err
		}
		if begin > now {
			c.printf("Please set the beginTimestamp before now!")
			return nil
		}
	}
	if c.has("e") {
		if end, err = consumeTimestamp(c.get("e")); err != nil {
			return err
		}
		if end > now {
			c.printf("Please set the endTimestamp before now!")
			return nil
		}
	}
	if begin > 0 && end > 0 && begin > end {
		c.printf("Please make sure that the beginTimestamp is less than or equal to the endTimestamp")
		return nil
	}
	bounds := func(q consumeQueue) (int64, int64, error) {
		lo, err := c.adm.queueOffset(q.addr, protocol.GetMinOffset, topic, q.qid, 0)
		if err != nil {
			return 0, 0, err
		}
		hi, err := c.adm.queueOffset(q.addr, protocol.GetMaxOffset, topic, q.qid, 0)
		if err != nil {
			return 0, 0, err
		}
		if begin > 0 {
			if lo, err = c.adm.queueOffset(q.addr, protocol.SearchOffsetByTimestamp, topic, q.qid, begin); err != nil {
				return 0, 0, err
			}
		}
		if end > 0 {
			if hi, err = c.adm.queueOffset(q.addr, protocol.SearchOffsetByTimestamp, topic, q.qid, end); err != nil {
				return 0, 0, err
			}
		}
		return lo, hi, nil
	}
	// Java catches what goes wrong below, prints the exception and ends the command normally
	// (executeDefault, executeByCondition); so does this.
	thrown := func(err error) error {
		fmt.Fprintln(c.errOut, javaException(err))
		return nil
	}
	if c.has("i") {
		// executeByCondition: the named queue of the named broker, whatever the route says of
		// it (the broker judges the queue id); the broker's address comes from the route.
		qid, err := strconv.ParseInt(c.get("i"), 10, 32)
		if err != nil {
			return numberError(c.get("i"))
		}
		off, err := i64Opt(c, "o", 0)
		if err != nil {
			return err
		}
		// The pull consumer knows the brokers of every route its client fetched: the topic's
		// and, from its start, its retry topic's and TBW102's (the client's inner producer;
		// Java fetches that one 10 ms after the start, so it usually knows it in time).
		addr := ""
		for _, t := range []string{topic, protocol.RetryTopic(group), protocol.AutoCreateTopicKeyTopic} {
			if r, err := c.adm.route(t); err == nil {
				if addr = masterAddr(r, c.get("b")); addr != "" {
					break
				}
			}
		}
		if addr == "" {
			return thrown(brokerNotExist(c.get("b")))
		}
		q := consumeQueue{c.get("b"), addr, int32(qid)}
		lo, hi, err := bounds(q)
		if err != nil {
			return thrown(err)
		}
		if off > hi {
			c.printf("%s no matched msg, offset=%d\n", q.text(topic), off)
			return nil
		}
		lo = max(lo, off)
		if hi-lo > count {
			c.printf("The oldler %d message will be provided\n", count)
			hi = lo + count - 1
		}
		pullRange(c, group, topic, q, lo, hi)
		return nil
	}
	// executeDefault: every readable queue, oldest first, until count messages are covered.
	r, err := c.adm.route(topic)
	if err != nil {
		return thrown(&clientError{msg: "Can not find Message Queue for this topic, " + topic + faqSee, cause: err})
	}
	var queues []consumeQueue
	for _, q := range r.QueueDatas {
		if !protocol.IsReadable(q.Perm) {
			continue
		}
		for i := range r.BrokerDatas {
			if r.BrokerDatas[i].BrokerName == q.BrokerName {
				for qid := int32(0); qid < q.ReadQueueNums; qid++ {
					queues = append(queues, consumeQueue{q.BrokerName, selectAddr(&r.BrokerDatas[i]), qid})
				}
			}
		}
	}
	// fetchSubscribeMessageQueues answers a HashSet: its iteration order, not the route's.
	perm := javaHashSetPerm(len(queues), func(i int) int32 {
		return mqHashCode(protocol.MessageQueue{Topic: topic, BrokerName: queues[i].broker, QueueID: queues[i].qid})
	}, 0)
	left := count
	for _, i := range perm {
		q := queues[i]
		if left == 0 {
			return nil
		}
		lo, hi, err := bounds(q)
		if err != nil {
			return thrown(err)
		}
		if hi-lo > left {
			c.printf("The older %d message of the %d queue will be provided\n", left, q.qid)
			hi = lo + left - 1
			left = 0
		} else {
			left -= hi - lo + 1
		}
		pullRange(c, group, topic, q, lo, hi)
	}
	return nil
}

// pullRange pulls [lo, hi] of one queue and prints what it finds, as the Java tool's
// pullMessageByQueue: it stops at the end of the queue or an illegal offset, and at a failed
// pull, which it prints as the exception Java prints.
func pullRange(c *ctx, group, topic string, q consumeQueue, lo, hi int64) {
	for off := lo; off <= hi; {
		p, err := c.adm.pull(q.addr, group, topic, q.qid, off, int32(min(hi-off+1, 1<<20)))
		if err != nil {
			fmt.Fprintln(c.errOut, javaException(err))
			return
		}
		off = p.next
		switch p.status {
		case "FOUND":
			c.printf("Consume ok\n")
			for _, m := range p.msgs {
				c.printf("MSGID: %s %s BODY: %s\n", clientMsgID(m), javaMsgText(q.broker, m), string(m.Body))
			}
		case "NO_MATCHED_MSG":
			c.printf("%s no matched msg. status=%s, offset=%d\n", q.text(topic), p.status, off)
		default:
			c.printf("%s print msg finished. status=%s, offset=%d\n", q.text(topic), p.status, off)
			return
		}
	}
}

// consumeTimestamp is ConsumeMessageCommand.timestampFormat: milliseconds or
// yyyy-MM-dd#HH:mm:ss:SSS in local time; unlike resetOffsetByTime, no "now".
func consumeTimestamp(s string) (int64, error) {
	if v, ok := parseMillisOrDate(s); ok {
		return v, nil
	}
	return 0, fmt.Errorf("bad timestamp %q: use milliseconds or yyyy-MM-dd#HH:mm:ss:SSS", s)
}
