package broker

import (
	"sort"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Broker-to-client calls that admin_consumer.go does not already make (Java Broker2Client):
//
//	mqadmin ─INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223)─▶ broker
//	  broker ─GET_CONSUMER_STATUS_FROM_CLIENT (221), sync, 5 s─▶ each live consumer of the group
//	         (or only clientAddr's)                     ◀─ {"messageQueueTable":{{mq}:offset}}
//	broker ◀─ {"consumerTable":{clientId:{{mq}:offset}},"messageQueueTable":{}} ─ mqadmin
//
// RESET_CONSUMER_CLIENT_OFFSET, GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY live in
// admin_consumer.go (resetOffset, relayToConsumer).

// consumerStatusTimeout is Broker2Client.getConsumeStatus's invokeSync timeout.
const consumerStatusTimeout = 5 * time.Second

// registerB2CProcessors is called once from New.
func (b *Broker) registerB2CProcessors() {
	b.register(protocol.InvokeBrokerToGetConsumerStatus, remoting.ProcessorFunc(b.getConsumerStatus))
}

// getConsumerStatus (223) asks the group's consumers (all, or the one whose clientId is
// clientAddr) for their offsets of topic and answers them per clientId. A client that fails or
// answers an error is left out, as Java does; a client older than V3_0_7 fails the whole call.
func (b *Broker) getConsumerStatus(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerStatusRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	log := b.log.WithFields(logrus.Fields{"topic": h.Topic, "group": h.Group, "clientAddr": h.ClientAddr,
		"remote": ch.RemoteAddr()})
	var chans []*ClientChannelInfo
	if cg := b.clients.ConsumerGroup(h.Group); cg != nil {
		chans = cg.Channels()
	}
	if len(chans) == 0 {
		return remoting.NewResponse(req, protocol.SystemError, "No Any Consumer online in the consumer group: ["+h.Group+"]")
	}
	sort.Slice(chans, func(i, j int) bool { return chans[i].ClientID < chans[j].ClientID })
	table := make(map[string]map[protocol.MessageQueue]int64)
	for _, c := range chans {
		if c.Version < versionV3_0_7 {
			log.WithField("clientId", c.ClientID).Warn("consumer too old for GET_CONSUMER_STATUS_FROM_CLIENT")
			return remoting.NewResponse(req, protocol.SystemError,
				"the client does not support this feature. version="+protocol.VersionDesc(c.Version))
		}
		if h.ClientAddr != "" && h.ClientAddr != c.ClientID {
			continue
		}
		var ext remoting.ExtFields
		(&protocol.GetConsumerStatusRequestHeader{Topic: h.Topic, Group: h.Group}).Encode(&ext)
		resp, err := b.Invoke(c.Channel, remoting.NewRequest(protocol.GetConsumerStatusFromClient, ext, nil),
			consumerStatusTimeout)
		clog := log.WithField("clientId", c.ClientID)
		switch {
		case err != nil:
			clog.WithError(err).Warn("GET_CONSUMER_STATUS_FROM_CLIENT failed")
		case resp.Code != protocol.Success || len(resp.Body) == 0:
			clog.WithFields(logrus.Fields{"code": resp.Code, "remark": resp.Remark}).Info("consumer gave no status")
		default:
			var body protocol.GetConsumerStatusBody
			if err := body.Unmarshal(resp.Body); err != nil {
				clog.WithError(err).Warn("undecodable GetConsumerStatusBody")
				break
			}
			if body.MessageQueueTable == nil {
				body.MessageQueueTable = map[protocol.MessageQueue]int64{}
			}
			table[c.ClientID] = body.MessageQueueTable
		}
		if h.ClientAddr != "" {
			break
		}
	}
	out := success(req)
	out.Body = (&protocol.GetConsumerStatusBody{ConsumerTable: table,
		MessageQueueTable: map[protocol.MessageQueue]int64{}}).Marshal()
	return out
}
