package broker

import (
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Consumer and producer administration: connections, consume progress, offset reset, and the
// calls the broker relays to a live consumer (Java AdminBrokerProcessor + Broker2Client).

const (
	clientCallTimeout = 10 * time.Second // Broker2Client.callClient
	versionV3_1_8     = 62               // GET_CONSUMER_RUNNING_INFO needs at least this client
	versionV3_0_7     = 28               // RESET_CONSUMER_CLIENT_OFFSET needs at least this client
)

func connectionOf(c *ClientChannelInfo) protocol.Connection {
	return protocol.Connection{ClientID: c.ClientID, ClientAddr: c.Channel.RemoteAddr(),
		Language: c.Language.String(), Version: c.Version}
}

// getConsumerConnectionList (203): the group's live connections and subscriptions.
func (a *adminExt) getConsumerConnectionList(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	group, err := protocol.Header{Ext: req.ExtFields}.Str("consumerGroup")
	if err != nil {
		return headerError(req, err)
	}
	cg := a.b.clients.ConsumerGroup(group)
	if cg == nil {
		return remoting.NewResponse(req, protocol.ConsumerNotOnline, "the consumer group["+group+"] not online")
	}
	body := protocol.ConsumerConnection{SubscriptionTable: map[string]*protocol.SubscriptionData{},
		ConsumeType: cg.ConsumeType(), MessageModel: cg.MessageModel(), ConsumeFromWhere: cg.ConsumeFromWhere()}
	for _, c := range cg.Channels() {
		body.ConnectionSet = append(body.ConnectionSet, connectionOf(c))
	}
	sort.Slice(body.ConnectionSet, func(i, j int) bool { return body.ConnectionSet[i].ClientID < body.ConnectionSet[j].ClientID })
	for _, s := range cg.Subscriptions() {
		body.SubscriptionTable[s.Topic] = protoSubscription(s)
	}
	resp := success(req)
	resp.Body = body.Marshal()
	return resp
}

// protoSubscription is a subscription as the admin bodies carry it (TAG when the client
// named no type).
func protoSubscription(s *SubscriptionData) *protocol.SubscriptionData {
	expr := s.ExpressionType
	if expr == "" {
		expr = protocol.ExpressionTypeTag
	}
	return &protocol.SubscriptionData{ClassFilterMode: s.ClassFilterMode, Topic: s.Topic,
		SubString: s.SubString, TagsSet: s.TagsSet, CodeSet: s.CodeSet, SubVersion: s.SubVersion, ExpressionType: expr}
}

// getProducerConnectionList (204).
func (a *adminExt) getProducerConnectionList(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	group, err := protocol.Header{Ext: req.ExtFields}.Str("producerGroup")
	if err != nil {
		return headerError(req, err)
	}
	chans := a.b.clients.ProducerChannels(group)
	if len(chans) == 0 {
		return remoting.NewResponse(req, protocol.SystemError, "the producer group["+group+"] not exist")
	}
	body := protocol.ProducerConnection{}
	for _, c := range chans {
		body.ConnectionSet = append(body.ConnectionSet, connectionOf(c))
	}
	sort.Slice(body.ConnectionSet, func(i, j int) bool { return body.ConnectionSet[i].ClientID < body.ConnectionSet[j].ClientID })
	resp := success(req)
	resp.Body = body.Marshal()
	return resp
}

// getAllProducerInfo (328): every producer group's instances (ProducerTableInfo).
func (a *adminExt) getAllProducerInfo(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	groups := a.b.clients.ProducerGroups()
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	b := append(make([]byte, 0, 128), `{"data":{`...)
	for i, g := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, g)
		b = append(b, ":["...)
		for j, c := range groups[g] {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"clientId":`...)
			b = appendJSONString(b, c.ClientID)
			b = append(b, `,"language":`...)
			b = appendJSONString(b, c.Language.String())
			b = append(b, `,"lastUpdateTimestamp":`...)
			b = strconv.AppendInt(b, c.LastUpdate().UnixMilli(), 10)
			b = append(b, `,"remoteIP":`...)
			b = appendJSONString(b, c.Channel.RemoteAddr())
			b = append(b, `,"version":`...)
			b = strconv.AppendInt(b, int64(c.Version), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	resp := success(req)
	resp.Body = append(b, "}}"...)
	return resp
}

// skipTopicForGroup is Java's rule shared by 208, 314 and 317: a group that is online with
// subscriptions ignores topics it does not subscribe to (e.g. old offsets).
func (a *adminExt) skipTopicForGroup(group, topic string) bool {
	cg := a.b.clients.ConsumerGroup(group)
	if cg == nil {
		return false
	}
	return cg.FindSubscriptionData(topic) == nil && len(cg.Subscriptions()) > 0
}

// consumeStatsOf fills stats with group's progress over queues 0..queues-1 of topic.
func (a *adminExt) consumeStatsOf(stats *protocol.ConsumeStats, group, topic string, queues int32) {
	st := a.b.store
	for i := int32(0); i < queues; i++ {
		w := protocol.OffsetWrapper{BrokerOffset: max(st.MaxOffsetInQueue(topic, i), 0),
			ConsumerOffset: max(a.b.offsets.QueryOffset(group, topic, i), 0)}
		if w.ConsumerOffset > 0 {
			if ts := st.GetMessageStoreTimestamp(topic, i, w.ConsumerOffset-1); ts > 0 {
				w.LastTimestamp = ts
			}
		}
		stats.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: a.b.conf().BrokerName, QueueID: i}] = w
	}
	stats.ConsumeTps += a.stats.GroupGetTps(group, topic)
}

// getConsumeStats (208): the group's progress in one topic or in every topic it has offsets
// for, over the read queues. An unknown group gets an empty table (the client reports it).
func (a *adminExt) getConsumeStats(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumeStatsRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	topics := []string{h.Topic}
	if h.Topic == "" {
		topics = a.b.offsets.TopicsOfGroup(h.ConsumerGroup)
	}
	stats := protocol.ConsumeStats{OffsetTable: map[protocol.MessageQueue]protocol.OffsetWrapper{}}
	for _, t := range topics {
		tc := a.b.topics.SelectTopicConfig(t)
		if tc == nil || a.skipTopicForGroup(h.ConsumerGroup, t) {
			continue
		}
		a.consumeStatsOf(&stats, h.ConsumerGroup, t, tc.ReadQueueNums)
	}
	resp := success(req)
	resp.Body = stats.Marshal()
	return resp
}

// getBrokerConsumeStats (317): every subscription group's progress over write queues
// (mqadmin brokerConsumeStats); `isOrder` keeps only order topics.
func (a *adminExt) getBrokerConsumeStats(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	isOrder := protocol.Header{Ext: req.ExtFields}.Bool("isOrder")
	groups := a.b.groups.Groups()
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	body := protocol.ConsumeStatsList{BrokerAddr: a.b.BrokerAddr()}
	for _, g := range names {
		topics := a.b.offsets.TopicsOfGroup(g)
		sort.Strings(topics)
		list := []protocol.ConsumeStats{}
		for _, t := range topics {
			tc := a.b.topics.SelectTopicConfig(t)
			if tc == nil || (isOrder && !tc.Order) || a.skipTopicForGroup(g, t) {
				continue
			}
			cs := protocol.ConsumeStats{OffsetTable: map[protocol.MessageQueue]protocol.OffsetWrapper{}}
			a.consumeStatsOf(&cs, g, t, tc.WriteQueueNums)
			body.TotalDiff += cs.ComputeTotalDiff()
			list = append(list, cs)
		}
		body.ConsumeStatsList = append(body.ConsumeStatsList, map[string][]protocol.ConsumeStats{g: list})
	}
	resp := success(req)
	resp.Body = body.Marshal()
	return resp
}

// queryTopicConsumeByWho (300): groups subscribed online to the topic plus groups with
// offsets for it.
func (a *adminExt) queryTopicConsumeByWho(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	topic, err := protocol.Header{Ext: req.ExtFields}.Str("topic")
	if err != nil {
		return headerError(req, err)
	}
	set := map[string]bool{}
	for _, g := range a.b.clients.ConsumerGroups() {
		if cg := a.b.clients.ConsumerGroup(g); cg != nil && cg.FindSubscriptionData(topic) != nil {
			set[g] = true
		}
	}
	for _, g := range a.b.offsets.GroupsOfTopic(topic) {
		set[g] = true
	}
	list := protocol.GroupList{GroupList: make([]string, 0, len(set))}
	for g := range set {
		list.GroupList = append(list.GroupList, g)
	}
	sort.Strings(list.GroupList)
	resp := success(req)
	resp.Body = list.Marshal()
	return resp
}

// queryConsumeTimeSpan (303): per write queue, the time range stored and how far the group got.
func (a *adminExt) queryConsumeTimeSpan(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	h := protocol.Header{Ext: req.ExtFields}
	topic, err := h.Str("topic")
	if err != nil {
		return headerError(req, err)
	}
	group, err := h.Str("group")
	if err != nil {
		return headerError(req, err)
	}
	tc := a.b.topics.SelectTopicConfig(topic)
	if tc == nil {
		return remoting.NewResponse(req, protocol.TopicNotExist, "topic["+topic+"] not exist")
	}
	st := a.b.store
	body := protocol.QueryConsumeTimeSpanBody{}
	now := time.Now().UnixMilli()
	for i := int32(0); i < tc.WriteQueueNums; i++ {
		span := protocol.QueueTimeSpan{MessageQueue: protocol.MessageQueue{Topic: topic, BrokerName: a.b.conf().BrokerName, QueueID: i}}
		span.MinTimeStamp = st.GetEarliestMessageTime(topic, i)
		maxOff := st.MaxOffsetInQueue(topic, i)
		if maxOff > 0 {
			span.MaxTimeStamp = st.GetMessageStoreTimestamp(topic, i, maxOff-1)
		}
		off := a.b.offsets.QueryOffset(group, topic, i)
		if off > 0 {
			span.ConsumeTimeStamp = st.GetMessageStoreTimestamp(topic, i, off-1)
		} else {
			span.ConsumeTimeStamp = span.MinTimeStamp
		}
		if off >= 0 && off < maxOff {
			if ts := st.GetMessageStoreTimestamp(topic, i, off); ts > 0 {
				span.DelayTime = now - ts
			}
		}
		body.ConsumeTimeSpanSet = append(body.ConsumeTimeSpanSet, span)
	}
	resp := success(req)
	resp.Body = body.Marshal(time.Local)
	return resp
}

// cloneGroupOffset (314) copies srcGroup's offsets to destGroup for one topic or all of them.
func (a *adminExt) cloneGroupOffset(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	h := protocol.Header{Ext: req.ExtFields}
	src, err := h.Str("srcGroup")
	if err != nil {
		return headerError(req, err)
	}
	dst, err := h.Str("destGroup")
	if err != nil {
		return headerError(req, err)
	}
	offline := h.Bool("offline")
	topics := []string{h.OptStr("topic")}
	if topics[0] == "" {
		topics = a.b.offsets.TopicsOfGroup(src)
	}
	for _, t := range topics {
		if a.b.topics.SelectTopicConfig(t) == nil || (!offline && a.skipTopicForGroup(src, t)) {
			continue
		}
		for q, off := range a.b.offsets.QueryOffsets(src, t) {
			a.b.offsets.CommitOffset(ch.RemoteAddr(), dst, t, q, off)
		}
	}
	a.b.log.WithFields(logrus.Fields{"src": src, "dest": dst, "remote": ch.RemoteAddr()}).Info("cloneGroupOffset")
	return success(req)
}

// resetOffset (222) computes each queue's new offset (by time, or the end for -1), then tells
// every live consumer of the group to adopt them (one-way 220); the consumers commit. Offline
// groups get CONSUMER_NOT_ONLINE, on which mqadmin switches to writing offsets itself.
func (a *adminExt) resetOffset(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.ResetOffsetRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	log := a.b.log.WithFields(logrus.Fields{"topic": h.Topic, "group": h.Group, "timestamp": h.Timestamp,
		"force": h.IsForce, "remote": ch.RemoteAddr()})
	tc := a.b.topics.SelectTopicConfig(h.Topic)
	if tc == nil {
		return remoting.NewResponse(req, protocol.SystemError,
			"[reset-offset] reset offset failed, no topic in this broker. topic="+h.Topic)
	}
	st := a.b.store
	table := make(map[protocol.MessageQueue]int64, tc.WriteQueueNums)
	for i := int32(0); i < tc.WriteQueueNums; i++ {
		committed := a.b.offsets.QueryOffset(h.Group, h.Topic, i)
		if committed == -1 {
			return remoting.NewResponse(req, protocol.SystemError, "THe consumer group <"+h.Group+"> not exist")
		}
		var target int64
		if h.Timestamp == -1 {
			target = st.MaxOffsetInQueue(h.Topic, i)
		} else {
			target = st.GetOffsetInQueueByTime(h.Topic, i, h.Timestamp)
		}
		target = max(target, 0)
		if !h.IsForce && target >= committed {
			target = committed
		}
		table[protocol.MessageQueue{Topic: h.Topic, BrokerName: a.b.conf().BrokerName, QueueID: i}] = target
	}
	cg := a.b.clients.ConsumerGroup(h.Group)
	var chans []*ClientChannelInfo
	if cg != nil {
		chans = cg.Channels()
	}
	if len(chans) == 0 {
		return remoting.NewResponse(req, protocol.ConsumerNotOnline, "Consumer not online, so can not reset offset, Group: "+
			h.Group+" Topic: "+h.Topic+" Timestamp: "+strconv.FormatInt(h.Timestamp, 10))
	}
	for _, c := range chans {
		if c.Version < versionV3_0_7 {
			return remoting.NewResponse(req, protocol.SystemError,
				"the client does not support this feature. version="+strconv.Itoa(int(c.Version)))
		}
	}
	body := (&protocol.ResetOffsetBody{OffsetTable: table}).Marshal()
	notifyBody := body
	if req.Language == remoting.LangCPP {
		notifyBody = resetOffsetBodyForC(table)
	}
	for _, c := range chans {
		var ext remoting.ExtFields
		(&protocol.ResetOffsetRequestHeader{Topic: h.Topic, Group: h.Group, Timestamp: h.Timestamp, IsForce: h.IsForce}).Encode(&ext)
		n := remoting.NewRequest(protocol.ResetConsumerClientOffset, ext, notifyBody)
		n.MarkOneway()
		if err := a.b.invokeOneway(c.Channel, n); err != nil {
			log.WithError(err).WithField("clientId", c.ClientID).Warn("reset offset notice not sent")
		}
	}
	log.Info("reset consumer offsets")
	resp := success(req)
	resp.Body = body
	return resp
}

// resetOffsetBodyForC is ResetOffsetBodyForC: a list instead of a map keyed by objects.
func resetOffsetBodyForC(table map[protocol.MessageQueue]int64) []byte {
	mqs := make([]protocol.MessageQueue, 0, len(table))
	for mq := range table {
		mqs = append(mqs, mq)
	}
	sort.Slice(mqs, func(i, j int) bool { return mqs[i].Compare(mqs[j]) < 0 })
	b := append(make([]byte, 0, 64*len(mqs)+20), `{"offsetTable":[`...)
	for i, mq := range mqs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"brokerName":`...)
		b = appendJSONString(b, mq.BrokerName)
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, table[mq], 10)
		b = append(b, `,"queueId":`...)
		b = strconv.AppendInt(b, int64(mq.QueueID), 10)
		b = append(b, `,"topic":`...)
		b = appendJSONString(b, mq.Topic)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// findConsumerChannel is ConsumerManager.findChannel(group, clientId).
func (a *adminExt) findConsumerChannel(group, clientID string) *ClientChannelInfo {
	cg := a.b.clients.ConsumerGroup(group)
	if cg == nil {
		return nil
	}
	for _, c := range cg.Channels() {
		if c.ClientID == clientID {
			return c
		}
	}
	return nil
}

// relayToConsumer sends code with ext and body to the group's client and answers with the
// client's response (opaque replaced): Java's callConsumer.
func (a *adminExt) relayToConsumer(req *remoting.Command, code int32, group, clientID string, ext remoting.ExtFields,
	body []byte) *remoting.Command {
	c := a.findConsumerChannel(group, clientID)
	if c == nil {
		return remoting.NewResponse(req, protocol.SystemError, "The Consumer "+group+" "+clientID+" not online")
	}
	if code == protocol.GetConsumerRunningInfo && c.Version < versionV3_1_8 {
		return remoting.NewResponse(req, protocol.SystemError, "The Consumer "+clientID+" Version "+
			protocol.VersionDesc(c.Version)+" too low to finish, please upgrade it to V3_1_8_SNAPSHOT")
	}
	fwd := remoting.NewRequest(code, ext, body)
	cresp, err := a.b.Invoke(c.Channel, fwd, clientCallTimeout)
	if err != nil {
		if errors.Is(err, remoting.ErrTimeout) {
			return remoting.NewResponse(req, protocol.ConsumeMsgTimeout, "consumer "+group+" "+clientID+" Timeout: "+err.Error())
		}
		return remoting.NewResponse(req, protocol.SystemError, "invoke consumer "+group+" "+clientID+" Exception: "+err.Error())
	}
	resp := remoting.NewResponse(req, cresp.Code, cresp.Remark)
	resp.HasRemark = cresp.HasRemark
	resp.ExtFields = cresp.ExtFields
	resp.Body = cresp.Body
	return resp
}

// getConsumerRunningInfo (307) relays to the consumer.
func (a *adminExt) getConsumerRunningInfo(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerRunningInfoRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	return a.relayToConsumer(req, protocol.GetConsumerRunningInfo, h.ConsumerGroup, h.ClientID,
		append(remoting.ExtFields(nil), req.ExtFields...), req.Body)
}

// consumeMessageDirectly (309) attaches the stored record named by the offset msgId and
// relays to the consumer, which consumes it and reports the result.
func (a *adminExt) consumeMessageDirectly(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	h := protocol.Header{Ext: req.ExtFields}
	group, err := h.Str("consumerGroup")
	if err != nil {
		return headerError(req, err)
	}
	clientID := h.OptStr("clientId")
	msgID := h.OptStr("msgId")
	_, offset, err := message.ParseOffsetMsgID(msgID)
	if err != nil {
		return remoting.NewResponse(req, protocol.SystemError, "invalid msgId["+msgID+"]: "+err.Error())
	}
	sel := a.b.store.SelectOneMessageByOffset(offset)
	if sel == nil {
		return remoting.NewResponse(req, protocol.SystemError, "can not find message by the offset, "+strconv.FormatInt(offset, 10))
	}
	body := append([]byte(nil), sel.Bytes...)
	sel.Release()
	ext := append(remoting.ExtFields(nil), req.ExtFields...)
	ext.Set("brokerName", a.b.conf().BrokerName)
	return a.relayToConsumer(req, protocol.ConsumeMessageDirectly, group, clientID, ext, body)
}
