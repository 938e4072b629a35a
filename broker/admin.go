package broker

import (
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// adminProcessor answers the topic administration requests that producers' tooling and
// mqadmin need from the broker core (Java AdminBrokerProcessor: updateAndCreateTopic,
// deleteTopic, getAllTopicConfig, getTopicStatsInfo, getBrokerRuntimeInfo). The rest of the admin surface belongs to the admin work
// (issue 7).
type adminProcessor struct{ b *Broker }

func (b *Broker) registerAdminProcessors() {
	p := &adminProcessor{b}
	b.register(protocol.UpdateAndCreateTopic, remoting.ProcessorFunc(p.updateAndCreateTopic))
	b.register(protocol.DeleteTopicInBroker, remoting.ProcessorFunc(p.deleteTopic))
	b.register(protocol.GetAllTopicConfig, remoting.ProcessorFunc(p.getAllTopicConfig))
	b.register(protocol.GetBrokerRuntimeInfo, remoting.ProcessorFunc(p.getBrokerRuntimeInfo))
	b.register(protocol.GetTopicStatsInfo, remoting.ProcessorFunc(p.getTopicStatsInfo))
}

// updateAndCreateTopic creates or replaces a topic and then registers it with every
// NameServer before answering (an incremental registration carrying only this topic), so the
// route exists when mqadmin updateTopic returns.
func (p *adminProcessor) updateAndCreateTopic(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.CreateTopicRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	log := p.b.log.WithFields(logrus.Fields{"topic": h.Topic, "remote": ch.RemoteAddr()})
	if h.Topic == p.b.conf().BrokerClusterName {
		return remoting.NewResponse(req, protocol.SystemError, "the topic["+h.Topic+"] is conflict with system reserved words.")
	}
	if remark := protocol.ValidateTopic(h.Topic); remark != "" {
		return remoting.NewResponse(req, protocol.SystemError, remark)
	}
	if protocol.IsSystemTopic(h.Topic) {
		return remoting.NewResponse(req, protocol.SystemError, protocol.SystemTopicConflictRemark(h.Topic))
	}
	if h.ReadQueueNums < 0 || h.WriteQueueNums < 0 || h.Perm&^(PermRead|PermWrite|PermInherit|PermPriority) != 0 {
		return remoting.NewResponse(req, protocol.SystemError, "invalid queue numbers or permission for topic["+h.Topic+"]")
	}
	filter := h.TopicFilterType
	if filter == "" {
		filter = "SINGLE_TAG"
	}
	tc := &TopicConfig{TopicName: h.Topic, ReadQueueNums: h.ReadQueueNums, WriteQueueNums: h.WriteQueueNums,
		Perm: h.Perm, TopicFilterType: filter, TopicSysFlag: h.TopicSysFlag, Order: h.Order}
	log.WithFields(logrus.Fields{"read": tc.ReadQueueNums, "write": tc.WriteQueueNums, "perm": tc.Perm}).Info("updateAndCreateTopic")
	p.b.topics.UpdateTopicConfig(tc)
	p.b.reg.registerIncrement(tc)
	// Java answers SUCCESS but leaves the remark its response factory starts with
	// (captured: wire-4.9.8/04-mqadmin-updateTopic.jsonl).
	return remoting.NewResponse(req, protocol.Success, "not set any response code")
}

// deleteTopic drops the topic's config and its consume queues. As Java, the NameServer is not
// told: its route disappears only through DELETE_TOPIC_IN_NAMESRV.
func (p *adminProcessor) deleteTopic(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	topic, err := protocol.Header{Ext: req.ExtFields}.Str("topic")
	if err != nil {
		return headerError(req, err)
	}
	p.b.log.WithFields(logrus.Fields{"topic": topic, "remote": ch.RemoteAddr()}).Info("deleteTopic")
	p.b.topics.DeleteTopicConfig(topic)
	retain := make(map[string]bool)
	for name := range p.b.topics.Topics() {
		retain[name] = true
	}
	p.b.store.CleanUnusedTopic(retain)
	return success(req)
}

// getAllTopicConfig answers the TopicConfigSerializeWrapper of every topic (compact JSON).
func (p *adminProcessor) getAllTopicConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	table, v := p.b.topics.snapshot()
	w := &prettyWriter{buf: make([]byte, 0, 128+len(table)*160), compact: true}
	w.topicWrapper(table, v)
	resp := success(req)
	resp.Body = w.buf
	return resp
}
