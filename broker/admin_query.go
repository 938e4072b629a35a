package broker

import (
	"strconv"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// Message lookups (Java QueryMessageProcessor) and the stat sets: mqadmin queryMsgByKey,
// queryMsgByUniqueKey, queryMsgById, statsAll; the dashboard's message and trace pages.

// queryMessage (12) answers the raw commit-log records the index holds under topic#key in the
// time range, concatenated (the client decodes and filters them). A unique-key query is
// capped at defaultQueryMaxNum, as Java.
func (a *adminExt) queryMessage(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.QueryMessageRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	maxNum := int(h.MaxNum)
	if h.UniqueKeyQuery {
		maxNum = a.b.conf().DefaultQueryMaxNum
	}
	res := a.b.store.QueryMessage(h.Topic, h.Key, maxNum, h.BeginTimestamp, h.EndTimestamp)
	defer res.Release()
	resp := success(req)
	resp.ExtFields = make(remoting.ExtFields, 0, 2)
	(&protocol.QueryMessageResponseHeader{IndexLastUpdateTimestamp: res.IndexLastUpdateTime,
		IndexLastUpdatePhyoffset: res.IndexLastUpdatePhy}).Encode(&resp.ExtFields)
	total := 0
	for _, b := range res.Buffers {
		total += len(b)
	}
	if total == 0 {
		resp.Code = protocol.QueryNotFound
		resp.SetRemark("can not find message, maybe time range not correct")
		return resp
	}
	body := make([]byte, 0, total)
	for _, b := range res.Buffers {
		body = append(body, b...)
	}
	resp.Body = body
	return resp
}

// viewMessageByID (33) answers the raw record at a commit-log offset (decoded by the client
// from an offset msgId).
func (a *adminExt) viewMessageByID(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.ViewMessageRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	sel := a.b.store.SelectOneMessageByOffset(h.Offset)
	if sel == nil {
		return remoting.NewResponse(req, protocol.SystemError, "can not find message by the offset, "+strconv.FormatInt(h.Offset, 10))
	}
	resp := success(req)
	resp.Body = append([]byte(nil), sel.Bytes...)
	sel.Release()
	return resp
}

// viewBrokerStatsData (315): one stat item's minute, hour and day windows.
func (a *adminExt) viewBrokerStatsData(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	h := protocol.Header{Ext: req.ExtFields}
	name, err := h.Str("statsName")
	if err != nil {
		return headerError(req, err)
	}
	key, err := h.Str("statsKey")
	if err != nil {
		return headerError(req, err)
	}
	d, ok := a.stats.Get(name, key)
	if !ok {
		return remoting.NewResponse(req, protocol.SystemError, "The stats <"+name+"> <"+key+"> not exist")
	}
	resp := success(req)
	resp.Body = d.Marshal()
	return resp
}

// queryConsumeQueue (321, mqadmin queryCq) lists up to count consume-queue units of a queue from
// index on, within the consume-queue file holding index, with the queue's bounds and, when the
// request names a consumer group, the group's subscription and filter data as Java's
// AdminBrokerProcessor reports them. Where Java answers an index that holds no unit with
// success and no body (which the 4.9.8 client then fails to decode), this answers the body
// without queueData and Java's remark.
func (a *adminExt) queryConsumeQueue(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	h := protocol.Header{Ext: req.ExtFields}
	topic, err := h.Str("topic")
	if err != nil {
		return headerError(req, err)
	}
	qid := h.OptInt32("queueId", 0)
	index := h.OptInt64("index", 0)
	count := h.OptInt32("count", 0)
	qname := strconv.Itoa(int(qid)) + "@" + topic
	st := a.b.store
	units, exists := st.ConsumeQueueUnits(topic, qid, index, int(count))
	if !exists {
		return remoting.NewResponse(req, protocol.SystemError, qname+" is not exist!")
	}
	body := protocol.QueryConsumeQueueResponseBody{MaxQueueIndex: st.MaxOffsetInQueue(topic, qid),
		MinQueueIndex: st.MinOffsetInQueue(topic, qid)}
	if group, named := req.ExtFields.Get("consumerGroup"); named {
		if sub := a.b.clients.FindSubscriptionData(group, topic); sub == nil {
			body.FilterData = group + "@" + topic + " is not online!"
		} else {
			body.SubscriptionData = protoSubscription(sub)
			body.FilterData = a.b.filters.prettyJSON(a.b.filters.Get(topic, group))
		}
	}
	// Java's answer keeps the remark its response factory starts with (createResponseCommand).
	resp := remoting.NewResponse(req, protocol.Success, "not set any response code")
	if units == nil {
		resp.SetRemark("Index " + strconv.FormatInt(index, 10) + " of " + qname + " is not exist!")
	} else {
		body.QueueData = make([]protocol.ConsumeQueueData, len(units))
		for i, u := range units {
			body.QueueData[i] = protocol.ConsumeQueueData{PhysicOffset: u.PhysOffset, PhysicSize: u.Size, TagsCode: u.TagsCode}
		}
	}
	resp.Body = body.Marshal()
	return resp
}
