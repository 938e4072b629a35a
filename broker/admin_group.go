package broker

import (
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Subscription-group administration: mqadmin updateSubGroup / deleteSubGroup /
// getConsumerConfig and the dashboard's consumer pages.

func toWireGroup(c *SubscriptionGroupConfig) *protocol.SubscriptionGroupConfig {
	return &protocol.SubscriptionGroupConfig{GroupName: c.GroupName, ConsumeEnable: c.ConsumeEnable,
		ConsumeFromMinEnable: c.ConsumeFromMinEnable, ConsumeBroadcastEnable: c.ConsumeBroadcastEnable,
		RetryQueueNums: c.RetryQueueNums, RetryMaxTimes: c.RetryMaxTimes, BrokerID: c.BrokerID,
		WhichBrokerWhenConsumeSlowly:   c.WhichBrokerWhenConsumeSlowly,
		NotifyConsumerIdsChangedEnable: c.NotifyConsumerIdsChangedEnable}
}

// updateAndCreateSubscriptionGroup (200) replaces a group's settings with the body's
// SubscriptionGroupConfig. Java accepts an absent body as a no-op; a body that is not JSON, or
// names no group, fails there with an exception (SYSTEM_ERROR), and so it does here.
func (a *adminExt) updateAndCreateSubscriptionGroup(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	if r := a.slaveRefusal(req); r != nil {
		return r
	}
	if len(req.Body) == 0 {
		return success(req)
	}
	var g protocol.SubscriptionGroupConfig
	if err := g.Unmarshal(req.Body); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, "invalid SubscriptionGroupConfig body: "+err.Error())
	}
	if g.GroupName == "" {
		return remoting.NewResponse(req, protocol.SystemError, "the subscription group name is blank")
	}
	if g.RetryQueueNums < 0 || g.RetryMaxTimes < 0 || g.BrokerID < 0 || g.WhichBrokerWhenConsumeSlowly < 0 {
		return remoting.NewResponse(req, protocol.SystemError,
			"invalid subscription group config for group["+g.GroupName+"]: negative retryQueueNums, retryMaxTimes or broker id")
	}
	a.b.log.WithFields(logrus.Fields{"group": g.GroupName, "remote": ch.RemoteAddr()}).Info("updateAndCreateSubscriptionGroup")
	a.b.groups.Update(&SubscriptionGroupConfig{GroupName: g.GroupName, ConsumeEnable: g.ConsumeEnable,
		ConsumeFromMinEnable: g.ConsumeFromMinEnable, ConsumeBroadcastEnable: g.ConsumeBroadcastEnable,
		RetryQueueNums: g.RetryQueueNums, RetryMaxTimes: g.RetryMaxTimes, BrokerID: g.BrokerID,
		WhichBrokerWhenConsumeSlowly:   g.WhichBrokerWhenConsumeSlowly,
		NotifyConsumerIdsChangedEnable: g.NotifyConsumerIdsChangedEnable})
	return success(req)
}

// getAllSubscriptionGroupConfig (201) answers the SubscriptionGroupWrapper (compact JSON).
func (a *adminExt) getAllSubscriptionGroupConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	table, v := a.b.groups.snapshot()
	if len(table) == 0 {
		return remoting.NewResponse(req, protocol.SystemError, "No subscription group in this broker")
	}
	w := protocol.SubscriptionGroupWrapper{SubscriptionGroupTable: make(map[string]*protocol.SubscriptionGroupConfig, len(table)),
		DataVersion: protocol.DataVersion{Timestamp: v.Timestamp, Counter: v.Counter}}
	for name, c := range table {
		w.SubscriptionGroupTable[name] = toWireGroup(c)
	}
	resp := success(req)
	resp.Body = w.Marshal()
	return resp
}

// deleteSubscriptionGroup (207) drops a group's settings and, when asked (4.9.8 `removeOffset`,
// 5.x `cleanOffset`), its offsets. Unknown groups succeed, as in Java.
func (a *adminExt) deleteSubscriptionGroup(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	if r := a.slaveRefusal(req); r != nil {
		return r
	}
	h := protocol.Header{Ext: req.ExtFields}
	group, err := h.Str("groupName")
	if err != nil {
		return headerError(req, err)
	}
	clean := h.Bool("removeOffset") || h.Bool("cleanOffset")
	a.b.log.WithFields(logrus.Fields{"group": group, "cleanOffset": clean, "remote": ch.RemoteAddr()}).Info("deleteSubscriptionGroup")
	a.b.groups.Delete(group)
	if clean {
		a.b.offsets.RemoveGroup(group)
	}
	if a.b.conf().AutoDeleteUnusedStats {
		a.stats.Remove("", group)
	}
	return success(req)
}

// getSubscriptionGroupConfig (352, 5.x) answers one group's settings, or
// SUBSCRIPTION_GROUP_NOT_EXIST.
func (a *adminExt) getSubscriptionGroupConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	group, err := protocol.Header{Ext: req.ExtFields}.Str("group")
	if err != nil {
		return headerError(req, err)
	}
	c := a.b.groups.Get(group)
	if c == nil {
		return remoting.NewResponse(req, protocol.SubscriptionGroupNotExist, "No group in this broker")
	}
	resp := success(req)
	resp.Body = toWireGroup(c).Marshal()
	return resp
}
