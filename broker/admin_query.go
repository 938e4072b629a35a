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
