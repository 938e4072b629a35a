package broker

import (
	"math/rand/v2"
	"strconv"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// CONSUMER_SEND_MSG_BACK (Java's SendMessageProcessor.asyncConsumerSendMsgBack, 4.9.8): a
// consumer that could not consume a message hands it back by commit-log offset. The broker
// re-stores a copy
//
//	in %RETRY%<group>, delayed by level 3 + reconsumeTimes (or the level the client asked for):
//	    the copy goes through SCHEDULE_TOPIC_XXXX (REAL_TOPIC = the retry topic) and comes back
//	    to the retry topic, which every consumer of the group subscribes to, once due;
//	or in %DLQ%<group> (created with 1 queue, perm RW) once it has been reconsumed
//	    maxReconsumeTimes times, or at once when the client asks with delayLevel < 0.
//
// The copy keeps body, flag, sysFlag and born data, counts reconsumeTimes + 1, and carries in
// its properties RETRY_TOPIC (the original topic, set once), ORIGIN_MESSAGE_ID (the first
// message's offset id, set once), WAIT=false and DELAY=<level> (DELAY=0 for the DLQ), exactly
// the properties a 4.9.8 broker adds.

func (d *dataPlane) processSendBack(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	b := d.b
	cfg := b.conf()
	var h protocol.ConsumerSendMsgBackRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		d.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "err": err}).Warn("bad send-back request header")
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	fail := func(code int32, remark string) *remoting.Command {
		d.log.WithFields(logrus.Fields{"group": h.Group, "offset": h.Offset, "code": code, "remote": ch.RemoteAddr()}).
			Warn("send-back refused: " + remark)
		return remoting.NewResponse(req, code, remark)
	}
	sg := b.groups.FindSubscriptionGroupConfig(h.Group)
	if sg == nil {
		return fail(protocol.SubscriptionGroupNotExist, "subscription group not exist, "+h.Group+" "+faqSuffix)
	}
	if cfg.BrokerPermission&PermWrite == 0 {
		return fail(protocol.NoPermission, "the broker["+cfg.BrokerIP1+"] sending message is forbidden")
	}
	if sg.RetryQueueNums <= 0 {
		// Java answers success and drops the message: the group opted out of retries.
		return remoting.NewResponse(req, protocol.Success, "")
	}
	topic := RetryGroupTopicPre + h.Group
	queueID := rand.Int32N(99999999) % sg.RetryQueueNums
	var sysFlag int32
	if h.UnitMode {
		sysFlag = topicSysFlagUnitSub
	}
	tc := b.topics.CreateTopicInSendMessageBackMethod(topic, sg.RetryQueueNums, PermWrite|PermRead, sysFlag)
	if tc == nil {
		return fail(protocol.SystemError, "topic["+topic+"] not exist")
	}
	if tc.Perm&PermWrite == 0 {
		return fail(protocol.NoPermission, "the topic["+topic+"] sending message is forbidden")
	}
	orig, err := b.store.LookMessageByOffset(h.Offset)
	if err != nil || orig == nil {
		return fail(protocol.SystemError, "look message by offset failed, "+strconv.FormatInt(h.Offset, 10))
	}

	// Java edits the stored message's property map and writes it whole, in HashMap order
	// (delay.go), so the pairs are edited first and written once at the end.
	var stack [maxSortedProps]remoting.Field
	p := parseProps(stack[:0], string(orig.Properties))
	if _, ok := message.PropertyValue(orig.Properties, message.PropertyRetryTopic); !ok {
		p = putProp(p, message.PropertyRetryTopic, orig.Topic)
	}
	p = putProp(p, message.PropertyWaitStoreMsgOK, "false")

	maxTimes := sg.RetryMaxTimes
	if req.Version >= versionV3_4_9 && h.HasMaxReconsumeTimes {
		maxTimes = h.MaxReconsumeTimes
	}
	delayLevel := int(h.DelayLevel)
	if orig.ReconsumeTimes >= maxTimes || delayLevel < 0 {
		topic = DLQGroupTopicPrefix + h.Group
		queueID = 0
		if b.topics.CreateTopicInSendMessageBackMethod(topic, dlqNumsPerGroup, PermWrite|PermRead, 0) == nil {
			return fail(protocol.SystemError, "topic["+topic+"] not exist")
		}
		delayLevel = 0
	} else if delayLevel == 0 {
		delayLevel = 3 + int(orig.ReconsumeTimes)
	}
	p = putProp(p, message.PropertyDelayTimeLevel, strconv.Itoa(delayLevel))
	if v, ok := message.PropertyValue(orig.Properties, message.PropertyOriginMessageID); !ok || len(v) == 0 {
		p = putProp(p, message.PropertyOriginMessageID, orig.MsgID())
	}

	m := message.Msg{
		Topic:          topic,
		QueueID:        queueID,
		Flag:           orig.Flag,
		SysFlag:        orig.SysFlag,
		BornTimestamp:  orig.BornTimestamp,
		BornHost:       orig.BornHost,
		StoreHost:      orig.StoreHost,
		ReconsumeTimes: orig.ReconsumeTimes + 1,
		Body:           orig.Body,
	}
	// DELAY > 0 goes through SCHEDULE_TOPIC_XXXX with REAL_TOPIC = the retry topic.
	level := d.scheduleLevel(delayLevel, m.SysFlag)
	if level > 0 {
		p = putScheduleProps(p, delayLevel, level, m.Topic, m.QueueID)
		m.Topic, m.QueueID = TopicSchedule, int32(level-1)
	}
	m.Properties = appendProps(nil, p, "")
	var res store.PutResult
	if level > 0 {
		res = b.store.PutMessageNoDelay(&m)
	} else {
		res = b.store.PutMessage(&m)
	}
	if res.Status != store.PutOK {
		return fail(protocol.SystemError, res.Status.String())
	}
	if rt, ok := message.PropertyValue(orig.Properties, message.PropertyRetryTopic); ok { // SNDBCK_PUT_NUMS (stats.go)
		b.adm.stats.OnSendBack(h.Group, string(rt))
	} else {
		b.adm.stats.OnSendBack(h.Group, orig.Topic)
	}
	d.log.WithFields(logrus.Fields{"group": h.Group, "topic": orig.Topic, "to": topic, "storedIn": m.Topic,
		"reconsumeTimes": m.ReconsumeTimes, "delayLevel": delayLevel}).Debug("message sent back")
	if delayLevel <= 0 {
		d.messageArrived(m.Topic, m.QueueID, res.QueueOffset+1, message.TagsCode(propOrEmpty(m.Properties, message.PropertyTags)))
	}
	return remoting.NewResponse(req, protocol.Success, "")
}

func propOrEmpty(props []byte, name string) []byte {
	v, _ := message.PropertyValue(props, name)
	return v
}
