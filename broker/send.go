package broker

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// The send path (Java's SendMessageProcessor / AbstractSendMessageProcessor, 4.9.8):
//
//	SEND_MESSAGE (V1 names) ─┐
//	SEND_MESSAGE_V2 (a…n)  ──┼─▶ header ─▶ admission (flowcontrol.go) ─▶ msgCheck ─▶ build record
//	SEND_BATCH_MESSAGE     ──┘   (batch=true selects the batch path, whatever the code)
//	                              ─▶ %RETRY% / DLQ / half-message rewrite ─▶ store.Put (which
//	                                 routes DELAY > 0 through SCHEDULE_TOPIC_XXXX, as 4.9.8's CommitLog)
//	                              ─▶ status → response code ─▶ wake held pulls (longpoll.go)
//
// Every check answers with Java's code and remark; an unexpected failure never panics.

// FAQ suffix Java appends to several remarks (FAQUrl.suggestTodo).
const faqSuffix = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."

// Topics clients may not send to (TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET).
var notAllowedSendTopics = map[string]bool{
	TopicSchedule: true, TopicTransHalf: true, TopicTransOpHalf: true,
	TopicTransCheckMax: true, TopicSelfTest: true, TopicOffsetMoved: true,
}

// topicMaxLength is TopicValidator.TOPIC_MAX_LENGTH.
const topicMaxLength = 127

// dataPlane holds the state of the data-path processors: send, pull, long polling and
// send-back. registerDataProcessors creates it; Start and Shutdown start and stop it.
type dataPlane struct {
	b     *Broker
	log   *logrus.Entry
	limit atomic.Pointer[sendLimiter]
	busy  func() bool // the store's page-cache-busy check, nil when it has none
	// storeNotifies is set when the store calls storeArrived for every new message.
	storeNotifies atomic.Bool
	hold          *pullHoldService
	pull          *pullProcessor

	// storeHost is brokerIP1:listenPort, cached because the listen port is known only once
	// the server is bound (listenPort 0 in tests).
	storeHost atomic.Pointer[netip.AddrPort]

	// propPool recycles the buffers stored property strings are built in: the store copies
	// them into the mapped file, so a buffer is free again as soon as the put returns.
	propPool sync.Pool
	// bodyPool recycles pull response bodies (pull.go).
	bodyPool sync.Pool
}

// registerDataProcessors attaches the data-path processors to the broker's processor table.
func (b *Broker) registerDataProcessors() {
	d := &dataPlane{b: b, log: b.log.WithField("component", "data")}
	d.limit.Store(newSendLimiter(b.conf))
	d.pull = &pullProcessor{d: d}
	d.hold = newPullHoldService(d.log.WithField("component", "longpoll"), defaultMaxHeldPulls,
		d.pull.replay, d.maxOffsetInQueue)
	d.propPool.New = func() any { b := make([]byte, 0, 512); return &b }
	d.bodyPool.New = func() any { b := make([]byte, 0, 64<<10); return &b }
	b.data = d
	// Sends stay on the worker pool even under ASYNC_FLUSH, although running them on the event
	// loop would spare a hand-off: the append can stall for far longer than the loop may. The
	// first write to a fresh page of the mapped commitlog faults (page allocation, and for a
	// pre-allocated extent its conversion), dirty-page throttling can park the writer for
	// milliseconds, the put waits on a lock other loops and workers take, and a topic created on
	// the fly is persisted to disk. One loop serves many connections, so any of these would
	// stall every one of them. The pool's cost per answer is kept low instead: workers write
	// answers to the socket themselves (remoting.serverConn.writeDirectLocked). The one
	// exception is a lone plain send while the server is idle, which none of the above can
	// catch (sendInlineOK): at one send in flight the hand-off costs more than the put.
	send := sendProcessor{d}
	b.register(protocol.SendMessage, send)
	b.register(protocol.SendMessageV2, send)
	b.register(protocol.SendBatchMessage, send)
	b.register(protocol.PullMessage, remoting.ProcessorFunc(d.pull.process))
	// The 5.x lite pull consumer pulls with LITE_PULL_MESSAGE (same header and answers) and has
	// no fallback; 4.9.8 brokers do not know the code, serving it costs nothing.
	b.register(protocol.LitePullMessage, remoting.ProcessorFunc(d.pull.process))
	b.register(protocol.ConsumerSendMsgBack, remoting.ProcessorFunc(d.processSendBack))
}

// sendProcessor serves the three send codes on the worker pool and, while the server is idle,
// a plain send on the event loop that read it (remoting.IdleInliner): at one send in flight
// the hand-off to a worker and back cost more than the put itself (docs/BENCHMARKS.md).
type sendProcessor struct{ d *dataPlane }

func (p sendProcessor) Process(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	return p.d.processSend(ch, req)
}

func (p sendProcessor) InlineWhenIdle(req *remoting.Command) bool { return p.d.sendInlineOK(req) }

// KeepsNoRequest marks the send processor remoting.Transient: a send keeps nothing of its
// request once it has answered (the store copies the message; names that outlive the call,
// such as a new topic or a statistics key, are cloned), so the server reuses the frame's
// memory for the next one. ROCKETGO_POISON_RECYCLED=1 (make test) overwrites recycled
// frames, so that a string kept by mistake shows up as garbage in the tests.
func (sendProcessor) KeepsNoRequest() {}

// sendInlineOK says whether a send can only take microseconds: a plain message (no delay
// level, not a half message, not to a retry or DLQ topic: those go to other queues and may
// create them) to an existing topic (auto-creation writes topics.json) and queue (a new one
// creates its consume-queue file), on a store whose puts wait for no flush or slave. Batches
// stay on the pool: their size is the client's to choose.
func (d *dataPlane) sendInlineOK(req *remoting.Command) bool {
	var topicKey, queueKey, propsKey string
	switch req.Code {
	case protocol.SendMessageV2:
		topicKey, queueKey, propsKey = "b", "e", "i"
	case protocol.SendMessage:
		topicKey, queueKey, propsKey = "topic", "queueId", "properties"
	default:
		return false
	}
	topic := req.ExtFields.Value(topicKey)
	qid, err := strconv.ParseInt(req.ExtFields.Value(queueKey), 10, 32)
	if err != nil || qid < 0 || topic == "" || topic[0] == '%' {
		return false
	}
	props := req.ExtFields.Value(propsKey)
	if strings.Contains(props, message.PropertyDelayTimeLevel+"\x01") || strings.Contains(props, message.PropertyTransactionPrepared+"\x01") {
		return false
	}
	if d.b.topics.SelectTopicConfig(topic) == nil {
		return false
	}
	return !d.b.store.PutMayBlock(topic, int32(qid))
}

// startDataPlane starts the long-polling service; the store must be open.
func (b *Broker) startDataPlane() {
	b.data.busy = pageCacheBusy(b.store)
	// When the store reports every new consume-queue unit (Java's MessageArrivingListener),
	// held pulls wake for messages from any write path, not only this file's puts.
	if l, ok := any(b.store).(arrivingNotifier); ok {
		l.SetArrivingListener(b.data.storeArrived)
		b.data.storeNotifies.Store(true)
	}
	b.data.hold.start()
}

// stopDataPlane stops the long-polling service; held pulls are dropped unanswered, as Java's.
func (b *Broker) stopDataPlane() {
	b.data.hold.shutdown()
}

// host returns the broker's store host, brokerIP1:listenPort.
func (d *dataPlane) host() netip.AddrPort {
	port := d.b.listenPort()
	if h := d.storeHost.Load(); h != nil && int(h.Port()) == port {
		return *h
	}
	ip, err := netip.ParseAddr(d.b.cfg.BrokerIP1)
	if err != nil {
		ip = netip.IPv4Unspecified()
	}
	h := netip.AddrPortFrom(ip.Unmap(), uint16(port))
	d.storeHost.Store(&h)
	return h
}

// bornHost parses the producer's address from the channel; garbage gives the zero address.
func bornHost(ch remoting.Channel) netip.AddrPort {
	if c, ok := ch.(remoting.AddrPortChannel); ok {
		if ap := c.RemoteAddrPort(); ap.IsValid() {
			return ap
		}
	}
	ap, err := netip.ParseAddrPort(ch.RemoteAddr())
	if err != nil {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// sendResponse starts a send answer the way Java's preSend does: MSG_REGION and TRACE_ON are
// present on every answer from this point on, errors included.
func (d *dataPlane) sendResponse(req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.ExtFields = make(remoting.ExtFields, 0, 6)
	return resp
}

func (d *dataPlane) fail(resp *remoting.Command, code int32, remark string) *remoting.Command {
	cfg := d.b.conf()
	protocol.EncodeRegion(&resp.ExtFields, cfg.RegionID, cfg.TraceOn)
	resp.Code = code
	resp.SetRemark(remark)
	return resp
}

// processSend serves SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE.
func (d *dataPlane) processSend(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.SendMessageRequestHeader
	if err := h.DecodeSend(req.Code, req.ExtFields); err != nil {
		// Java only logs a missing @CFNotNull field; the processor then fails with an
		// exception that becomes SYSTEM_ERROR with the exception text as remark.
		d.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "code": req.Code, "err": err}).
			Warn("bad send request header")
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	resp := d.sendResponse(req)

	lim := d.limit.Load()
	if code, remark := lim.admit(d.busy); code != protocol.Success {
		return d.fail(resp, code, remark)
	}
	defer lim.release()

	cfg := d.b.conf() // one snapshot for the whole request
	tc, queueID, refused := d.admitSend(ch, &h, resp, cfg)
	if refused != nil {
		return refused
	}
	if h.Batch {
		return d.sendBatch(ch, req, resp, &h, tc, queueID, cfg)
	}
	return d.sendOne(ch, req, resp, &h, tc, queueID, cfg)
}

// admitSend is what every send (and reply) passes before its message is built: the broker
// accepts sends yet (startAcceptSendRequestTimeStamp), msgCheck, and the queue, picked at
// random for a negative queueId. refused is the failed answer, or nil.
func (d *dataPlane) admitSend(ch remoting.Channel, h *protocol.SendMessageRequestHeader, resp *remoting.Command,
	cfg *Config) (tc *TopicConfig, queueID int32, refused *remoting.Command) {
	if start := cfg.StartAcceptSendRequestTimeStamp; time.Now().UnixMilli() < start {
		return nil, 0, d.fail(resp, protocol.SystemError, "broker unable to service, until "+javaTime(start))
	}
	tc, code, remark := d.msgCheck(ch, h, cfg)
	if code != protocol.Success {
		return nil, 0, d.fail(resp, code, remark)
	}
	queueID = h.QueueID
	if queueID < 0 {
		queueID = randomQueue(tc.WriteQueueNums)
	}
	return tc, queueID, nil
}

// randomQueue is Java's random write queue for a negative queueId.
func randomQueue(writeQueues int32) int32 {
	if writeQueues <= 0 {
		return 0
	}
	return rand.Int32N(99999999) % writeQueues
}

// msgCheck is AbstractSendMessageProcessor.msgCheck: permission, topic name, reserved
// topics, topic lookup or auto-creation, queue id range.
func (d *dataPlane) msgCheck(ch remoting.Channel, h *protocol.SendMessageRequestHeader, cfg *Config) (*TopicConfig, int32, string) {
	if cfg.BrokerPermission&PermWrite == 0 && d.b.topics.IsOrderTopic(h.Topic) {
		return nil, protocol.NoPermission, "the broker[" + cfg.BrokerIP1 + "] sending message is forbidden"
	}
	if code, remark := validateTopic(h.Topic); code != protocol.Success {
		return nil, code, remark
	}
	if notAllowedSendTopics[h.Topic] {
		return nil, protocol.NoPermission, "Sending message to topic[" + h.Topic + "] is forbidden."
	}
	tc := d.b.topics.SelectTopicConfig(h.Topic)
	if tc == nil {
		var sysFlag int32
		if h.UnitMode {
			if strings.HasPrefix(h.Topic, RetryGroupTopicPre) {
				sysFlag = topicSysFlagUnitSub
			} else {
				sysFlag = topicSysFlagUnit
			}
		}
		d.log.WithFields(logrus.Fields{"topic": h.Topic, "remote": ch.RemoteAddr()}).Warn("the topic does not exist")
		tc = d.b.topics.CreateTopicInSendMessageMethod(h.Topic, h.DefaultTopic, ch.RemoteAddr(),
			h.DefaultTopicQueueNums, sysFlag)
		if tc == nil && strings.HasPrefix(h.Topic, RetryGroupTopicPre) {
			tc = d.b.topics.CreateTopicInSendMessageBackMethod(h.Topic, 1, PermWrite|PermRead, sysFlag)
		}
		if tc == nil {
			return nil, protocol.TopicNotExist, "topic[" + h.Topic + "] not exist, apply first please!" + faqSuffix
		}
	}
	if h.QueueID >= max(tc.WriteQueueNums, tc.ReadQueueNums) {
		remark := "request queueId[" + strconv.Itoa(int(h.QueueID)) + "] is illegal, " + topicConfigString(tc) +
			" Producer: " + ch.RemoteAddr()
		d.log.WithFields(logrus.Fields{"topic": h.Topic, "queueId": h.QueueID, "remote": ch.RemoteAddr()}).
			Warn("send to an illegal queue id")
		return nil, protocol.SystemError, remark
	}
	return tc, protocol.Success, ""
}

// Topic sysflag bits (TopicSysFlag.buildSysFlag(unit, hasUnitSub)).
const (
	topicSysFlagUnit    int32 = 1 << 0
	topicSysFlagUnitSub int32 = 1 << 1
)

// validateTopic is TopicValidator.validateTopic, with its codes (1) and remarks.
func validateTopic(topic string) (int32, string) {
	if strings.TrimSpace(topic) == "" {
		return protocol.SystemError, "The specified topic is blank."
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if !(c == '%' || c == '|' || c == '_' || c == '-' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return protocol.SystemError, "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
		}
	}
	if len(topic) > topicMaxLength {
		return protocol.SystemError, "The specified topic is longer than topic max length."
	}
	return protocol.Success, ""
}

// topicConfigString is Java's TopicConfig.toString, quoted in the queue-id remark.
func topicConfigString(tc *TopicConfig) string {
	perm := []byte("---")
	if tc.Perm&PermRead != 0 {
		perm[0] = 'R'
	}
	if tc.Perm&PermWrite != 0 {
		perm[1] = 'W'
	}
	if tc.Perm&PermInherit != 0 {
		perm[2] = 'X'
	}
	return "TopicConfig [topicName=" + tc.TopicName + ", readQueueNums=" + strconv.Itoa(int(tc.ReadQueueNums)) +
		", writeQueueNums=" + strconv.Itoa(int(tc.WriteQueueNums)) + ", perm=" + string(perm) +
		", topicFilterType=" + tc.TopicFilterType + ", topicSysFlag=" + strconv.Itoa(int(tc.TopicSysFlag)) +
		", order=" + strconv.FormatBool(tc.Order) + "]"
}

// javaTime formats ms like UtilAll.timeMillisToHumanString2.
func javaTime(ms int64) string {
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05,000")
}

// retryAndDLQ is handleRetryAndDLQ for sends to a %RETRY% topic: the group must exist, and
// a message that has been consumed maxReconsumeTimes times goes to the group's DLQ instead.
// It returns the (possibly changed) topic and queue.
func (d *dataPlane) retryAndDLQ(req *remoting.Command, h *protocol.SendMessageRequestHeader, topic string,
	queueID int32) (string, int32, bool, int32, string) {
	if !strings.HasPrefix(topic, RetryGroupTopicPre) {
		return topic, queueID, false, protocol.Success, ""
	}
	group := topic[len(RetryGroupTopicPre):]
	sg := d.b.groups.FindSubscriptionGroupConfig(group)
	if sg == nil {
		return "", 0, false, protocol.SubscriptionGroupNotExist,
			"subscription group not exist, " + group + " " + faqSuffix
	}
	maxTimes := sg.RetryMaxTimes
	if req.Version >= versionV3_4_9 && h.HasMaxReconsumeTimes {
		maxTimes = h.MaxReconsumeTimes
	}
	if h.ReconsumeTimes < maxTimes {
		return topic, queueID, false, protocol.Success, ""
	}
	dlq := DLQGroupTopicPrefix + group
	if d.b.topics.CreateTopicInSendMessageBackMethod(dlq, dlqNumsPerGroup, PermWrite|PermRead, 0) == nil {
		return "", 0, false, protocol.SystemError, "topic[" + dlq + "] not exist"
	}
	return dlq, 0, true, protocol.Success, ""
}

// versionV3_4_9 is MQVersion V3_4_9: from it on, a send's maxReconsumeTimes header counts.
const versionV3_4_9 = 121

// dlqNumsPerGroup is Java's DLQ_NUMS_PER_GROUP.
const dlqNumsPerGroup = 1

// The property helpers rebuild a property string the way a 4.9.8 broker does: Java parses the client's
// string into a HashMap (string2messageProperties: malformed entries dropped, a repeated name
// keeps its first position and its last value), puts its own entries, and writes the map back
// in HashMap iteration order with no trailing 0x02. Working on substrings of the header, it
// allocates nothing for up to maxSortedProps pairs.
//
// propPairs is that map as a slice in insertion order. The helpers take and return it by value
// so that the caller's stack array backs it: methods storing through a pointer made escape
// analysis move the 1 KiB array to the heap on every send.
type propPairs []remoting.Field

func parseProps(p propPairs, props string) propPairs {
	for rest := props; len(rest) > 0; {
		e := rest
		if i := strings.IndexByte(rest, message.PropertySeparator); i >= 0 {
			e, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		sep := strings.IndexByte(e, message.NameValueSeparator)
		if len(e) < 3 || sep <= 0 || sep >= len(e)-1 {
			continue
		}
		p = putProp(p, e[:sep], e[sep+1:])
	}
	return p
}

// putProp is HashMap.put: a new key goes last, a known one keeps its place.
func putProp(p propPairs, k, v string) propPairs {
	for i := range p {
		if p[i].Key == k {
			p[i].Value = v
			return p
		}
	}
	return append(p, remoting.Field{Key: k, Value: v})
}

// reputProp is remove followed by put: the key moves behind every key inserted so far.
func reputProp(p propPairs, k string) {
	for i := range p {
		if p[i].Key == k {
			f := p[i]
			copy(p[i:], p[i+1:])
			p[len(p)-1] = f
			return
		}
	}
}

// appendProps writes the map in Java's iteration order, leaving out skip: a key still counted
// for the map's capacity but not written.
func appendProps(dst []byte, p propPairs, skip string) []byte {
	protocol.SortJavaOrder(remoting.ExtFields(p))
	for _, f := range p {
		if f.Key != skip {
			dst = message.AppendProperty(dst, f.Key, f.Value)
		}
	}
	return dst
}

// buildProps writes the stored properties of a send into dst: the client's pairs plus
// CLUSTER, without drop (WAIT for a plain single send, which Java removes to save 9 bytes a
// message). drop stays in the map while it is sorted because the map's capacity, which decides
// the iteration order, followed its largest size.
func buildProps(dst []byte, props string, cluster string, drop string) []byte {
	var stack [maxSortedProps]remoting.Field
	p := parseProps(stack[:0], props)
	p = putProp(p, message.PropertyCluster, cluster)
	return appendProps(dst, p, drop)
}

// buildHalfProps writes the stored properties of a half message. Java removes WAIT to write
// the plain message's string but puts it back into the map afterwards, and the half message is
// written from the map (TransactionalMessageBridge.parseHalfMessageInner), so WAIT is kept,
// now behind CLUSTER, followed by the real topic and queue.
func buildHalfProps(dst []byte, props string, cluster, realTopic, realQueue string) []byte {
	var stack [maxSortedProps]remoting.Field
	p := parseProps(stack[:0], props)
	p = putProp(p, message.PropertyCluster, cluster)
	reputProp(p, message.PropertyWaitStoreMsgOK)
	p = putProp(p, message.PropertyRealTopic, realTopic)
	p = putProp(p, message.PropertyRealQueueID, realQueue)
	return appendProps(dst, p, "")
}

// maxSortedProps is how many property pairs buildProps handles without allocating.
const maxSortedProps = 32

// sendProps are the property values the send path looks at.
type sendProps struct {
	delayLevel int
	tranMsg    bool
	tags       []byte // nil without TAGS (a property value is never empty)
	// noWait is WAIT=false: the producer does not wait for the flush. The plain send's stored
	// properties drop WAIT, so the store learns it from Msg.NoWait (SYNC_FLUSH then acks at once).
	noWait bool
}

// scanProps reads them in one pass; as with PropertyValue, the last of a repeated name wins.
func scanProps(props []byte) sendProps {
	var p sendProps
	for len(props) > 0 {
		n, v, rest, ok := message.NextProperty(props)
		props = rest
		if !ok {
			continue
		}
		switch string(n) {
		case message.PropertyDelayTimeLevel:
			p.delayLevel = 0
			if lv, err := strconv.Atoi(string(v)); err == nil {
				p.delayLevel = lv
			}
		case message.PropertyTransactionPrepared:
			p.tranMsg = strings.EqualFold(string(v), "true")
		case message.PropertyTags:
			p.tags = v
		case message.PropertyWaitStoreMsgOK:
			// Java's isWaitStoreMsgOK: Boolean.parseBoolean, so only "true" (any case) waits.
			p.noWait = !strings.EqualFold(string(v), "true")
		}
	}
	return p
}

// sendOne stores one message.
func (d *dataPlane) sendOne(ch remoting.Channel, req, resp *remoting.Command, h *protocol.SendMessageRequestHeader,
	tc *TopicConfig, queueID int32, cfg *Config) *remoting.Command {
	topic, storeQueue, _, code, remark := d.retryAndDLQ(req, h, h.Topic, queueID)
	if code != protocol.Success {
		return d.fail(resp, code, remark)
	}
	sysFlag := h.SysFlag
	if tc.TopicFilterType == "MULTI_TAG" {
		sysFlag |= message.SysFlagMultiTags
	}

	bufp := d.propPool.Get().(*[]byte)
	defer d.propPool.Put(bufp)
	raw := unsafeBytes(h.Properties)
	sp := scanProps(raw)
	// Java's handleRetryAndDLQ sets delay level 0 on a message it diverts to the DLQ, but the
	// client's properties are copied over it right after, so a DELAY the client sent still
	// applies; we keep that behaviour.
	// WAIT is dropped from a plain message only: the delayed and half paths write Java's map,
	// into which WAIT was put back (see buildHalfProps).
	var level int // > 0: stored in SCHEDULE_TOPIC_XXXX under this level (delay.go)
	if !sp.tranMsg {
		level = d.scheduleLevel(sp.delayLevel, sysFlag)
	}
	var props []byte
	switch {
	case sp.tranMsg:
		props = buildHalfProps((*bufp)[:0], h.Properties, cfg.BrokerClusterName, topic, strconv.Itoa(int(storeQueue)))
	case level > 0:
		props = buildDelayedProps((*bufp)[:0], h.Properties, cfg.BrokerClusterName, sp.delayLevel, level, topic, storeQueue)
	default:
		props = buildProps((*bufp)[:0], h.Properties, cfg.BrokerClusterName, message.PropertyWaitStoreMsgOK)
	}

	m := message.Msg{
		Topic:          topic,
		QueueID:        storeQueue,
		Flag:           h.Flag,
		SysFlag:        sysFlag,
		BornTimestamp:  h.BornTimestamp,
		BornHost:       bornHost(ch),
		StoreHost:      d.host(),
		ReconsumeTimes: h.ReconsumeTimes,
		Body:           req.Body,
		NoWait:         sp.noWait,
	}
	if sp.tranMsg {
		if cfg.RejectTransactionMessage {
			*bufp = props
			return d.fail(resp, protocol.NoPermission,
				"the broker["+cfg.BrokerIP1+"] sending transaction message is forbidden")
		}
		// The half message (TransactionalMessageBridge.parseHalfMessageInner): kept in the
		// half topic, queue 0, with its real destination in properties and the transaction
		// bits cleared so that it is consume-queued like a normal message.
		m.SysFlag = message.ResetTransactionType(m.SysFlag, message.TransactionNotType)
		m.Topic, m.QueueID = TopicTransHalf, 0
	} else if level > 0 {
		// Its real destination is in REAL_TOPIC / REAL_QID; the schedule service delivers it.
		m.Topic, m.QueueID = TopicSchedule, int32(level-1)
	}
	*bufp = props
	m.Properties = props

	var res store.PutResult
	if level > 0 {
		res = d.b.store.PutMessageNoDelay(&m) // already rewritten, in Java's property order
	} else {
		res = d.b.store.PutMessage(&m)
	}
	ok, code, remark := d.putStatus(res.Status)
	if !ok {
		d.log.WithFields(logrus.Fields{"topic": h.Topic, "queueId": queueID, "status": res.Status,
			"remote": ch.RemoteAddr()}).Warn("send not stored")
		return d.fail(resp, code, remark)
	}
	d.b.adm.stats.OnPut(m.Topic, 1, res.WroteBytes)
	rh := protocol.SendMessageResponseHeader{
		MsgID:       res.MsgID(),
		QueueID:     queueID,
		QueueOffset: res.QueueOffset,
		MsgRegion:   cfg.RegionID,
		TraceOn:     cfg.TraceOn,
	}
	rh.Encode(&resp.ExtFields)
	if req.Serialize == remoting.SerializeRocketMQ {
		reorderExt(resp.ExtFields, sendBinaryOrder)
	}
	resp.Code = code
	resp.Remark, resp.HasRemark = "", false
	if level == 0 {
		// A delayed message went to the schedule topic, where no consumer waits.
		d.messageArrived(m.Topic, m.QueueID, res.QueueOffset+1, message.TagsCode(sp.tags))
	}
	return resp
}

func (d *dataPlane) illegalRemark() string {
	return "the message is illegal, maybe msg body or properties length not matched. msg body length limit " +
		strconv.Itoa(d.b.cfg.MaxMessageSize) + "B, msg properties length limit 32KB."
}

// putStatus maps a store status to the send response (handlePutMessageResult). ok is true for
// the four statuses under which the message is stored.
func (d *dataPlane) putStatus(s store.PutStatus) (ok bool, code int32, remark string) {
	switch s {
	case store.PutOK:
		return true, protocol.Success, ""
	case store.FlushDiskTimeout:
		return true, protocol.FlushDiskTimeout, ""
	case store.FlushSlaveTimeout:
		return true, protocol.FlushSlaveTimeout, ""
	case store.SlaveNotAvailable:
		return true, protocol.SlaveNotAvailable, ""
	case store.CreateMappedFileFailed:
		return false, protocol.SystemError, "create mapped file failed, server is busy or broken."
	case store.MessageIllegal, store.PropertiesSizeExceeded:
		return false, protocol.MessageIllegal, d.illegalRemark()
	case store.ServiceNotAvailable:
		return false, protocol.ServiceNotAvailable, "service not available now. It may be caused by one of the " +
			"following reasons: the broker's disk is full [" + d.diskUtil() + "], messages are put to the slave, " +
			"message store has been shut down, etc."
	case store.OSPageCacheBusy:
		return false, protocol.SystemError, "[PC_SYNCHRONIZED]broker busy, start flow control for a while"
	case store.UnknownError:
		return false, protocol.SystemError, "UNKNOWN_ERROR"
	}
	return false, protocol.SystemError, "UNKNOWN_ERROR DEFAULT"
}

// arrivingNotifier is the store hook that reports each new consume-queue unit.
type arrivingNotifier interface {
	SetArrivingListener(func(topic string, queueID int32, nextOffset, tagsCode int64, props []byte))
}

// storeArrived is the store's arrival hook; it runs on the append path and never blocks.
func (d *dataPlane) storeArrived(topic string, queueID int32, nextOffset, tagsCode int64, props []byte) {
	d.hold.notifyArriving(topic, queueID, nextOffset, tagsCode, props, false)
}

// messageArrived wakes pulls held on the queue that just grew, unless the store does it.
func (d *dataPlane) messageArrived(topic string, queueID int32, nextOffset, tagsCode int64) {
	if !d.storeNotifies.Load() {
		d.hold.notifyArriving(topic, queueID, nextOffset, tagsCode, nil, false)
	}
}

func (d *dataPlane) maxOffsetInQueue(topic string, queueID int32) int64 {
	return d.b.store.MaxOffsetInQueue(topic, queueID)
}

// sendBatch stores a SEND_BATCH_MESSAGE body as one record per inner message, contiguous and
// with consecutive queue offsets (asyncSendBatchMessage + CommitLog.putMessages).
func (d *dataPlane) sendBatch(ch remoting.Channel, req, resp *remoting.Command, h *protocol.SendMessageRequestHeader,
	tc *TopicConfig, queueID int32, cfg *Config) *remoting.Command {
	if len(h.Topic) > topicMaxLength {
		return d.fail(resp, protocol.MessageIllegal, "message topic length too long "+strconv.Itoa(len(h.Topic)))
	}
	sysFlag := h.SysFlag
	if tc.TopicFilterType == "MULTI_TAG" {
		sysFlag |= message.SysFlagMultiTags
	}
	// The store splits the body into one record per message and appends these batch-level
	// properties (the header's, WAIT included as Java keeps it, plus CLUSTER) to each
	// message's own. It refuses transactional and delayed batches (MESSAGE_ILLEGAL).
	bufp := d.propPool.Get().(*[]byte)
	defer d.propPool.Put(bufp)
	props := buildProps((*bufp)[:0], h.Properties, cfg.BrokerClusterName, "")
	*bufp = props
	tmpl := message.Msg{
		Topic:          h.Topic,
		QueueID:        queueID,
		SysFlag:        sysFlag,
		BornTimestamp:  h.BornTimestamp,
		BornHost:       bornHost(ch),
		StoreHost:      d.host(),
		ReconsumeTimes: h.ReconsumeTimes,
		Properties:     props,
	}
	res := d.b.store.PutMessages(&tmpl, req.Body)
	ok, code, remark := d.putStatus(res.Status)
	if !ok {
		d.log.WithFields(logrus.Fields{"topic": h.Topic, "queueId": queueID, "status": res.Status,
			"remote": ch.RemoteAddr()}).Warn("batch send not stored")
		return d.fail(resp, code, remark)
	}
	d.b.adm.stats.OnPut(h.Topic, res.MsgNum, res.WroteBytes)
	rh := protocol.SendMessageResponseHeader{
		MsgID:       res.MsgID(),
		QueueID:     queueID,
		QueueOffset: res.QueueOffset,
		MsgRegion:   cfg.RegionID,
		TraceOn:     cfg.TraceOn,
	}
	rh.Encode(&resp.ExtFields)
	if req.Serialize == remoting.SerializeRocketMQ {
		reorderExt(resp.ExtFields, sendBinaryOrder)
	}
	resp.Code = code
	resp.Remark, resp.HasRemark = "", false
	// Any new message wakes the queue's pulls; their filters are re-checked by the pull.
	if !d.storeNotifies.Load() {
		d.hold.notifyArriving(h.Topic, queueID, res.QueueOffset+int64(res.MsgNum), 0, nil, true)
	}
	return resp
}

// unsafeBytes views a header string as bytes without copying; the result is only read.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Java writes a header that implements FastCodesHeader field by field, in declaration order,
// when it answers in the ROCKETMQ binary serialization, and its other ext fields after them;
// in JSON the whole map comes out in HashMap order (what protocol's Encode produces). These
// are the binary orders of the send and pull answers, so binary answers match Java's bytes.
var (
	sendBinaryOrder = []string{"msgId", "queueId", "queueOffset", "transactionId",
		protocol.ExtTraceOn, protocol.ExtMsgRegion}
	pullBinaryOrder = []string{"suggestWhichBrokerId", "nextBeginOffset", "minOffset", "maxOffset"}
)

// reorderExt sorts ext by the rank of each key in order (stable; unknown keys last). The
// lists are a handful of entries, so an insertion sort that allocates nothing is enough.
func reorderExt(ext remoting.ExtFields, order []string) {
	rank := func(k string) int {
		for i, o := range order {
			if o == k {
				return i
			}
		}
		return len(order)
	}
	for i := 1; i < len(ext); i++ {
		for j := i; j > 0 && rank(ext[j].Key) < rank(ext[j-1].Key); j-- {
			ext[j], ext[j-1] = ext[j-1], ext[j]
		}
	}
}

// diskUtil is Java's SendMessageProcessor.diskUtil for the SERVICE_NOT_AVAILABLE remark: the
// used fraction of the partitions holding the commitlog, the consume queues and the index.
func (d *dataPlane) diskUtil() string {
	cfg := d.b.store.Config() // the store's copy has the default paths filled in
	used := func(dir string) float64 {
		var st syscall.Statfs_t
		// A directory not created yet (no message so far) lives on its parent's partition.
		for syscall.Statfs(dir, &st) != nil {
			parent := filepath.Dir(dir)
			if parent == dir {
				return -1
			}
			dir = parent
		}
		if st.Blocks == 0 {
			return -1
		}
		return float64(st.Blocks-st.Bfree) / float64(st.Blocks)
	}
	return fmt.Sprintf("CL: %5.2f CQ: %5.2f INDEX: %5.2f", used(cfg.CommitLogDir()), used(cfg.ConsumeQueueDir()),
		used(cfg.IndexDir()))
}
