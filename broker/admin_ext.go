package broker

import (
	"sync"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// adminExt serves the administration codes stock mqadmin and rocketmq-dashboard send beyond
// the topic basics of admin.go (Java AdminBrokerProcessor and QueryMessageProcessor):
//
//	subscription groups  200 201 207 352           admin_group.go
//	consumers/producers  203 204 208 300 303 317    admin_consumer.go
//	                     222 307 309 314 328
//	configuration        25 26 351 305 43           admin_config.go
//	maintenance          306 316 329                admin_config.go
//	messages and stats   12 33 315 321              admin_query.go
//
// Every processor runs on the worker pool: they walk tables and the store.
type adminExt struct {
	b     *Broker
	stats *BrokerStatsManager

	// cfgMu serialises UPDATE_BROKER_CONFIG against GET_BROKER_CONFIG and the file rewrite.
	cfgMu      sync.Mutex
	cfgVersion DataVersion
	cfgPath    string // where updateBrokerConfig persists (mqbroker -c), see SetConfigFilePath
}

// registerAdminExtProcessors is called once from New.
func (b *Broker) registerAdminExtProcessors() {
	a := &adminExt{b: b, stats: newBrokerStatsManager(b.cfg.BrokerClusterName), cfgVersion: newDataVersion()}
	b.adm = a
	reg := func(code int32, f func(remoting.Channel, *remoting.Command) *remoting.Command) {
		b.register(code, remoting.ProcessorFunc(f))
	}
	reg(protocol.UpdateAndCreateSubscriptiongroup, a.updateAndCreateSubscriptionGroup)
	reg(protocol.GetAllSubscriptiongroupConfig, a.getAllSubscriptionGroupConfig)
	reg(protocol.DeleteSubscriptiongroup, a.deleteSubscriptionGroup)
	reg(protocol.GetSubscriptiongroupConfig, a.getSubscriptionGroupConfig)

	reg(protocol.GetConsumerConnectionList, a.getConsumerConnectionList)
	reg(protocol.GetProducerConnectionList, a.getProducerConnectionList)
	reg(protocol.GetConsumeStats, a.getConsumeStats)
	reg(protocol.QueryTopicConsumeByWho, a.queryTopicConsumeByWho)
	reg(protocol.QueryConsumeTimeSpan, a.queryConsumeTimeSpan)
	reg(protocol.GetBrokerConsumeStats, a.getBrokerConsumeStats)
	reg(protocol.GetAllProducerInfo, a.getAllProducerInfo)
	reg(protocol.CloneGroupOffset, a.cloneGroupOffset)
	reg(protocol.InvokeBrokerToResetOffset, a.resetOffset)
	reg(protocol.GetConsumerRunningInfo, a.getConsumerRunningInfo)
	reg(protocol.ConsumeMessageDirectly, a.consumeMessageDirectly)

	reg(protocol.UpdateBrokerConfig, a.updateBrokerConfig)
	reg(protocol.GetBrokerConfig, a.getBrokerConfig)
	reg(protocol.GetTopicConfig, a.getTopicConfig)
	reg(protocol.GetSystemTopicListFromBroker, a.getSystemTopicList)
	reg(protocol.GetAllConsumerOffset, a.getAllConsumerOffset)
	reg(protocol.CleanExpiredConsumequeue, a.cleanExpiredConsumeQueue)
	reg(protocol.CleanUnusedTopic, a.cleanUnusedTopic)
	reg(protocol.DeleteExpiredCommitlog, a.deleteExpiredCommitLog)

	reg(protocol.QueryMessage, a.queryMessage)
	reg(protocol.ViewMessageById, a.viewMessageByID)
	reg(protocol.ViewBrokerStatsData, a.viewBrokerStatsData)
	reg(protocol.QueryConsumeQueue, a.queryConsumeQueue)
}

// Stats returns the broker's stat sets (for the send/pull paths and tests).
func (b *Broker) Stats() *BrokerStatsManager { return b.adm.stats }

// slaveRefusal is validateSlave: a slave refuses topic and group changes.
func (a *adminExt) slaveRefusal(req *remoting.Command) *remoting.Command {
	if a.b.cfg.BrokerRole == store.Slave {
		return remoting.NewResponse(req, protocol.SystemError,
			"Can't modify topic or subscription group from slave broker, please execute it from master broker.")
	}
	return nil
}
