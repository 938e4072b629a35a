package broker

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Request-reply (Java's ReplyMessageProcessor, RocketMQ 4.6+). A requester's producer sends
// its request as a plain message carrying CORRELATION_ID and REPLY_TO_CLIENT (its client id);
// the consumer that handles it answers with a reply message to <cluster>_REPLY_TOPIC, sent
// with SEND_REPLY_MESSAGE(_V2). The broker pushes that reply straight to the requester's
// connection (PUSH_REPLY_MESSAGE_TO_CLIENT, found among the producer connections by client
// id), then stores it too unless storeReplyMessageEnable is off. The replier's answer says
// whether the push worked: SYSTEM_ERROR with Java's remark when it did not.

// registerReplyProcessor is called once from New. The push is a synchronous call to another
// client, so the processor runs on the worker pool.
func (b *Broker) registerReplyProcessor() {
	p := remoting.ProcessorFunc(b.data.processReply)
	b.register(protocol.SendReplyMessage, p)
	b.register(protocol.SendReplyMessageV2, p)
}

func (d *dataPlane) processReply(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.SendMessageRequestHeader
	if err := h.DecodeSend(req.Code, req.ExtFields); err != nil {
		d.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "code": req.Code, "err": err}).
			Warn("bad reply request header")
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	resp := d.sendResponse(req)
	cfg := d.b.conf()
	_, queueID, refused := d.admitSend(ch, &h, resp, cfg)
	if refused != nil {
		return refused
	}
	born := bornHost(ch)

	rh := protocol.SendMessageResponseHeader{MsgRegion: cfg.RegionID, TraceOn: cfg.TraceOn}
	pushRemark, pushed := d.pushReply(ch, &h, born, req.Body)
	if pushed {
		// Java answers a pushed reply with placeholder ids, replaced below once it is stored.
		rh.MsgID, rh.QueueID, rh.QueueOffset = "0", queueID, 0
	} else {
		resp.Code = protocol.SystemError
		resp.SetRemark(pushRemark)
	}

	if cfg.StoreReplyMessageEnable {
		// Java stores the reply as sent: its own properties string, sysFlag 0.
		m := message.Msg{Topic: h.Topic, QueueID: queueID, Flag: h.Flag, BornTimestamp: h.BornTimestamp,
			BornHost: born, StoreHost: d.host(), ReconsumeTimes: h.ReconsumeTimes, Body: req.Body,
			Properties: []byte(h.Properties)}
		res := d.b.store.PutMessage(&m)
		if ok, _, _ := d.putStatus(res.Status); ok {
			d.b.adm.stats.OnPut(m.Topic, 1, res.WroteBytes)
			rh.MsgID, rh.QueueID, rh.QueueOffset = res.MsgID(), queueID, res.QueueOffset
			d.messageArrived(m.Topic, m.QueueID, res.QueueOffset+1,
				message.TagsCode(propOrEmpty(m.Properties, message.PropertyTags)))
		} else {
			d.log.WithFields(logrus.Fields{"topic": h.Topic, "queueId": queueID, "status": res.Status,
				"remote": ch.RemoteAddr()}).Warn("reply not stored")
		}
	}
	if rh.MsgID == "" {
		protocol.EncodeRegion(&resp.ExtFields, cfg.RegionID, cfg.TraceOn)
	} else {
		rh.Encode(&resp.ExtFields)
	}
	return resp
}

// pushReply hands the reply to the requester named by its REPLY_TO_CLIENT property, with
// PUSH_REPLY_TIME added, and reports Java's remark when that fails.
func (d *dataPlane) pushReply(ch remoting.Channel, h *protocol.SendMessageRequestHeader, born netip.AddrPort,
	body []byte) (remark string, ok bool) {
	props := []byte(h.Properties)
	senderID := string(propOrEmpty(props, message.PropertyMessageReplyToClient))
	if senderID == "" {
		d.log.WithField("remote", ch.RemoteAddr()).Warn("REPLY_TO_CLIENT is null, can not reply message")
		return "reply message properties[" + message.PropertyMessageReplyToClient + "] is null", false
	}
	target := d.b.clients.FindProducerChannel(senderID)
	if target == nil {
		remark := "push reply message fail, channel of <" + senderID + "> not found."
		d.log.WithField("clientId", senderID).Warn(remark)
		return remark, false
	}
	props = message.DeleteProperty(props, message.PropertyPushReplyTime)
	props = message.AppendProperty(props, message.PropertyPushReplyTime, strconv.FormatInt(time.Now().UnixMilli(), 10))
	push := protocol.ReplyMessageRequestHeader{Send: *h, BornHost: born.String(), StoreHost: d.host().String(),
		StoreTimestamp: time.Now().UnixMilli()}
	push.Send.Properties = string(props)
	var ext remoting.ExtFields
	push.Encode(&ext)
	cresp, err := d.b.Invoke(target.Channel, remoting.NewRequest(protocol.PushReplyMessageToClient, ext, body), clientCallTimeout)
	if err != nil || cresp.Code != protocol.Success {
		f := logrus.Fields{"clientId": senderID, "remote": target.Channel.RemoteAddr()}
		if err != nil {
			d.log.WithFields(f).WithError(err).Warn("push reply message failed")
		} else {
			d.log.WithFields(f).WithField("remark", cresp.Remark).Warn("push reply message refused")
		}
		return "push reply message to " + senderID + "fail.", false
	}
	return "", true
}
