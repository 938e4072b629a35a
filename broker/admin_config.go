package broker

import (
	"errors"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Broker configuration and maintenance codes: mqadmin getBrokerConfig / updateBrokerConfig,
// cleanExpiredCQ, cleanUnusedTopic, deleteExpiredCommitLog, and the dashboard's
// GET_TOPIC_CONFIG (351).

// blackListed is Java's configBlackList check: keys UPDATE_BROKER_CONFIG must never change,
// the configBlackList key's list (as the broker started) plus the ones Java always adds.
func (a *adminExt) blackListed(key string) bool {
	switch key {
	case "configBlackList", "brokerConfigPath", "rocketmqHome":
		return true
	}
	for _, k := range strings.Split(a.b.cfg.ConfigBlackList, ";") {
		if k == key {
			return true
		}
	}
	return false
}

// SetConfigFilePath names the properties file UPDATE_BROKER_CONFIG rewrites (mqbroker -c), as
// Java's BrokerPathConfigHelper. Without it the broker persists to
// <storePathRootDir>/config/broker.properties, Java's default for the default store root.
func (b *Broker) SetConfigFilePath(path string) {
	b.adm.cfgMu.Lock()
	b.adm.cfgPath = path
	b.adm.cfgMu.Unlock()
}

func (a *adminExt) configFilePath() string {
	if a.cfgPath != "" {
		return a.cfgPath
	}
	return filepath.Join(a.b.cfg.StorePathRootDir, configSubdir, "broker.properties")
}

// getBrokerConfig (26): every configuration key as `key=value` lines (Java's
// MixAll.properties2String, values unescaped) and the configuration's data version.
func (a *adminExt) getBrokerConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	a.cfgMu.Lock()
	props := conf.Properties(a.b.conf())
	v := a.cfgVersion
	a.cfgMu.Unlock()
	body := make([]byte, 0, 64*len(props))
	for _, p := range props {
		body = append(body, p.Key...)
		body = append(body, '=')
		body = append(body, p.Value...)
		body = append(body, '\n')
	}
	resp := success(req)
	resp.ExtFields = remoting.ExtFields{{Key: "version", Value: string(encodeDataVersion(v))}}
	resp.Body = body
	return resp
}

// updateBrokerConfig (25) applies `key=value` lines live and rewrites the config file. Unlike
// Java, which skips keys it does not know and values that do not parse (reporting success),
// such a request is refused as a whole with SYSTEM_ERROR naming the key: an operator's typo
// must not look applied. Black-listed keys get Java's NO_PERMISSION. Nothing is applied unless
// every pair is valid.
func (a *adminExt) updateBrokerConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	if len(req.Body) == 0 {
		return success(req)
	}
	props, err := conf.ParseProperties(req.Body)
	if err != nil {
		return remoting.NewResponse(req, protocol.SystemError, "string2Properties error")
	}
	if len(props) == 0 {
		return success(req)
	}
	for _, p := range props {
		if a.blackListed(p.Key) {
			return remoting.NewResponse(req, protocol.NoPermission, "Can not update config in black list.")
		}
	}
	log := a.b.log.WithField("remote", ch.RemoteAddr())
	// cfgMu orders concurrent updates (each copies the config the previous one published);
	// readers never take it.
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	next := new(Config)
	*next = *a.b.conf()
	unknown, err := conf.Load(props, next)
	if len(unknown) > 0 {
		return remoting.NewResponse(req, protocol.SystemError, "unknown broker config key: "+strings.Join(unknown, ", "))
	}
	if err != nil {
		var ve *conf.ValueError
		if errors.As(err, &ve) {
			return remoting.NewResponse(req, protocol.SystemError,
				"invalid value ["+ve.Value+"] for broker config key ["+ve.Key+"]: "+ve.Err.Error())
		}
		return remoting.NewResponse(req, protocol.SystemError, "invalid broker config: "+err.Error())
	}
	if err := next.Validate(); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, "invalid broker config: "+err.Error())
	}
	permChanged := false
	for _, p := range props {
		if p.Key == "brokerPermission" {
			permChanged = true
		}
		log.WithFields(logrus.Fields{"key": p.Key, "value": p.Value}).Info("updateBrokerConfig")
	}
	// Every key parsed and the whole validated on the copy: publishing it applies all of them
	// at once, and a reader sees either the old configuration or the new one, never a mix.
	a.b.live.Store(next)
	if a.b.store != nil {
		a.b.store.ApplyConfig(next.Config) // the store's live keys (retention, flushing, pull sizes)
	}
	a.cfgVersion.next()
	if err := writeMetaFile(a.configFilePath(), conf.FormatProperties(conf.Properties(next))); err != nil {
		log.WithError(err).WithField("file", a.configFilePath()).Error("persist broker config failed")
	}
	if permChanged {
		a.b.topics.touch()
	}
	return success(req)
}

// getTopicConfig (351, 5.x): one topic's config, which 5.x tools (the dashboard) read before
// topic and consume statistics.
func (a *adminExt) getTopicConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	topic, err := protocol.Header{Ext: req.ExtFields}.Str("topic")
	if err != nil {
		return headerError(req, err)
	}
	tc := a.b.topics.SelectTopicConfig(topic)
	if tc == nil {
		return remoting.NewResponse(req, protocol.TopicNotExist, "No topic in this broker. topic: "+topic)
	}
	w := protocol.TopicConfig{TopicName: tc.TopicName, ReadQueueNums: tc.ReadQueueNums, WriteQueueNums: tc.WriteQueueNums,
		Perm: tc.Perm, TopicFilterType: tc.TopicFilterType, TopicSysFlag: tc.TopicSysFlag, Order: tc.Order,
		Attributes: map[string]string{}}
	resp := success(req)
	resp.Body = w.Marshal()
	return resp
}

// getSystemTopicList (305): the broker's system topics, which exportMetadata and the
// dashboard hide.
func (a *adminExt) getSystemTopicList(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var list protocol.TopicList
	for name := range a.b.topics.Topics() {
		if a.b.topics.IsSystemTopic(name) {
			list.TopicList = append(list.TopicList, name)
		}
	}
	sort.Strings(list.TopicList)
	resp := success(req)
	resp.Body = list.Marshal()
	return resp
}

// getAllConsumerOffset (43): consumerOffset.json's content, for slaves.
func (a *adminExt) getAllConsumerOffset(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	table := a.b.offsets.snapshot()
	if len(table) == 0 {
		return remoting.NewResponse(req, protocol.SystemError, "No consumer offset in this broker")
	}
	resp := success(req)
	resp.Body = encodeOffsets(table)
	return resp
}

// cleanExpiredConsumeQueue (306) destroys, queue by queue, the consume queues whose every
// message has left the commit log, as Java's; the topics stay configured, and a topic whose
// queues all went is gone from the store only.
func (a *adminExt) cleanExpiredConsumeQueue(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	gone := a.b.store.CleanExpiredConsumeQueues()
	for _, q := range gone {
		a.b.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "topic": q.Topic, "queueId": q.QueueID,
			"maxOffset": q.MaxOffset}).Info("cleanExpiredConsumeQueue: queue destroyed")
	}
	a.b.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "queues": len(gone)}).Info("cleanExpiredConsumeQueue")
	return success(req)
}

// cleanUnusedTopic (316) drops the consume queues of topics no longer configured.
func (a *adminExt) cleanUnusedTopic(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	retain := map[string]bool{TopicSchedule: true, TopicTransOpHalf: true}
	for name := range a.b.topics.Topics() {
		retain[name] = true
	}
	for _, t := range a.b.store.Topics() {
		if protocol.IsLMQ(t) {
			retain[t] = true
		}
	}
	n := a.b.store.CleanUnusedTopic(retain)
	a.b.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "queues": n}).Info("cleanUnusedTopic")
	return success(req)
}

// deleteExpiredCommitLog (329): the next runs of the clean service delete expired commit-log
// files whatever the hour.
func (a *adminExt) deleteExpiredCommitLog(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	a.b.store.ExecuteDeleteFilesManually()
	a.b.log.WithField("remote", ch.RemoteAddr()).Info("deleteExpiredCommitLog")
	return success(req)
}
