package broker

import (
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Permission bits of a topic (Java PermName): untyped mirrors of protocol.Perm*, so they
// combine with both the int config field brokerPermission and the int32 topic fields.
const (
	PermPriority = 8
	PermRead     = 4
	PermWrite    = 2
	PermInherit  = 1
)

// System topic names the broker creates or reserves (Java TopicValidator / MixAll).
const (
	TopicAutoCreate      = protocol.AutoCreateTopicKeyTopic
	TopicSelfTest        = protocol.RmqSysSelfTestTopic
	TopicBenchmark       = protocol.RmqSysBenchmarkTopic
	TopicOffsetMoved     = protocol.RmqSysOffsetMovedEvent
	TopicSchedule        = protocol.RmqSysScheduleTopic
	TopicTransHalf       = protocol.RmqSysTransHalfTopic
	TopicTransOpHalf     = protocol.RmqSysTransOpHalfTopic
	TopicTransCheckMax   = protocol.RmqSysTransCheckMaxTimeTopic
	ReplyTopicPostfix    = protocol.ReplyTopicPostfix
	RetryGroupTopicPre   = protocol.RetryGroupTopicPrefix
	DLQGroupTopicPrefix  = protocol.DLQGroupTopicPrefix
	scheduleQueueNums    = 18 // regardless of how many delay levels are configured, as Java
	defaultTopicQueueNum = 16 // TopicConfig's own default read/write queue count
)

// TopicConfig is one topic's configuration as Java's TopicConfig. Values handed out by the
// manager are never mutated: an update stores a new *TopicConfig, so processors may read one
// without locking.
type TopicConfig struct {
	TopicName       string
	ReadQueueNums   int32
	WriteQueueNums  int32
	Perm            int32
	TopicFilterType string
	TopicSysFlag    int32
	Order           bool
}

// DataVersion is Java's DataVersion: a NameServer compares it to decide whether to rebuild a
// broker's queue data.
type DataVersion struct {
	Timestamp int64
	Counter   int64
}

func newDataVersion() DataVersion { return DataVersion{Timestamp: time.Now().UnixMilli()} }

func (d *DataVersion) next() {
	d.Counter++
	d.Timestamp = time.Now().UnixMilli()
}

func newTopicConfig(name string, read, write, perm int32) *TopicConfig {
	return &TopicConfig{TopicName: name, ReadQueueNums: read, WriteQueueNums: write, Perm: perm,
		TopicFilterType: "SINGLE_TAG"}
}

// TopicConfigManager keeps topics.json: the topics this broker serves.
type TopicConfigManager struct {
	b   *Broker
	log *logrus.Entry

	metaTable[*TopicConfig]
	system map[string]bool
}

func newTopicConfigManager(b *Broker) *TopicConfigManager {
	m := &TopicConfigManager{
		b:   b,
		log: b.log.WithField("component", "topics"),
		metaTable: metaTable[*TopicConfig]{
			table:   make(map[string]*TopicConfig),
			version: newDataVersion(),
		},
		system: make(map[string]bool),
	}
	m.addSystemTopics()
	return m
}

// addSystemTopics mirrors Java's TopicConfigManager constructor. Entries loaded from
// topics.json later replace these, as Java's putAll does.
func (m *TopicConfigManager) addSystemTopics() {
	c := m.b.cfg
	add := func(tc *TopicConfig) {
		m.table[tc.TopicName] = tc
		m.system[tc.TopicName] = true
	}
	add(newTopicConfig(TopicSelfTest, 1, 1, PermRead|PermWrite))
	if c.AutoCreateTopicEnable {
		n := int32(c.DefaultTopicQueueNums)
		add(newTopicConfig(TopicAutoCreate, n, n, PermInherit|PermRead|PermWrite))
	}
	add(newTopicConfig(TopicBenchmark, 1024, 1024, PermRead|PermWrite))
	perm := int32(PermInherit)
	if c.ClusterTopicEnable {
		perm |= PermRead | PermWrite
	}
	add(newTopicConfig(c.BrokerClusterName, defaultTopicQueueNum, defaultTopicQueueNum, perm))
	perm = PermInherit
	if c.BrokerTopicEnable {
		perm |= PermRead | PermWrite
	}
	add(newTopicConfig(c.BrokerName, 1, 1, perm))
	add(newTopicConfig(TopicOffsetMoved, 1, 1, PermRead|PermWrite))
	add(newTopicConfig(TopicSchedule, scheduleQueueNums, scheduleQueueNums, PermRead|PermWrite))
	if c.TraceTopicEnable {
		add(newTopicConfig(c.MsgTraceTopicName, 1, 1, PermRead|PermWrite))
	}
	add(newTopicConfig(c.BrokerClusterName+"_"+ReplyTopicPostfix, 1, 1, PermRead|PermWrite))
}

// SelectTopicConfig returns the topic's configuration or nil.
func (m *TopicConfigManager) SelectTopicConfig(topic string) *TopicConfig {
	m.mu.RLock()
	tc := m.table[topic]
	m.mu.RUnlock()
	return tc
}

// IsSystemTopic reports whether topic is one the broker created for itself.
func (m *TopicConfigManager) IsSystemTopic(topic string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.system[topic]
}

// CreateTopicInSendMessageMethod auto-creates topic from the template defaultTopic (normally
// TBW102) as Java does on a send to an unknown topic: the template must carry PERM_INHERIT;
// the new topic gets min(clientQueueNums, template write queues) queues and the template's
// perm without INHERIT. It returns nil when the topic cannot be created. A new topic is
// persisted and announced to the NameServers at once.
func (m *TopicConfigManager) CreateTopicInSendMessageMethod(topic, defaultTopic, remoteAddr string,
	clientQueueNums, topicSysFlag int32) *TopicConfig {
	m.mu.Lock()
	if tc := m.table[topic]; tc != nil {
		m.mu.Unlock()
		return tc
	}
	tmpl := m.table[defaultTopic]
	if tmpl == nil {
		m.mu.Unlock()
		m.log.WithFields(logrus.Fields{"topic": topic, "defaultTopic": defaultTopic, "remote": remoteAddr}).
			Warn("create new topic failed: the default topic does not exist")
		return nil
	}
	if defaultTopic == TopicAutoCreate && !m.b.conf().AutoCreateTopicEnable {
		// Java strips INHERIT from a TBW102 left over in topics.json when auto-creation is off.
		c := *tmpl
		c.Perm = PermRead | PermWrite
		tmpl = &c
		m.table[defaultTopic] = tmpl
	}
	if tmpl.Perm&PermInherit == 0 {
		m.mu.Unlock()
		m.log.WithFields(logrus.Fields{"topic": topic, "defaultTopic": defaultTopic, "perm": tmpl.Perm,
			"remote": remoteAddr}).Warn("create new topic failed: the default topic has no inherit permission")
		return nil
	}
	// Names come from request headers, which alias the request's frame buffer: clone them so
	// the table does not pin a whole (possibly 4 MiB) frame for the life of the topic.
	topic = strings.Clone(topic)
	n := min(clientQueueNums, tmpl.WriteQueueNums)
	if n < 0 {
		n = 0
	}
	tc := &TopicConfig{TopicName: topic, ReadQueueNums: n, WriteQueueNums: n, Perm: tmpl.Perm &^ PermInherit,
		TopicFilterType: tmpl.TopicFilterType, TopicSysFlag: topicSysFlag}
	m.table[topic] = tc
	m.version.next()
	m.mu.Unlock()
	m.log.WithFields(logrus.Fields{"topic": topic, "queues": n, "remote": remoteAddr}).Info("topic auto-created from template " + defaultTopic)
	m.changed()
	return tc
}

// CreateTopicInSendMessageBackMethod creates a %RETRY% / %DLQ% / transaction topic with the
// given queues and perm if it does not exist yet.
func (m *TopicConfigManager) CreateTopicInSendMessageBackMethod(topic string, queueNums, perm, topicSysFlag int32) *TopicConfig {
	if tc := m.SelectTopicConfig(topic); tc != nil {
		return tc
	}
	m.mu.Lock()
	if tc := m.table[topic]; tc != nil {
		m.mu.Unlock()
		return tc
	}
	topic = strings.Clone(topic) // see CreateTopicInSendMessageMethod
	tc := &TopicConfig{TopicName: topic, ReadQueueNums: queueNums, WriteQueueNums: queueNums, Perm: perm,
		TopicFilterType: "SINGLE_TAG", TopicSysFlag: topicSysFlag}
	m.table[topic] = tc
	m.version.next()
	m.mu.Unlock()
	m.log.WithFields(logrus.Fields{"topic": topic, "queues": queueNums, "perm": perm}).Info("topic created")
	m.changed()
	return tc
}

// changed persists topics.json and sends a one-way registration to every NameServer, as
// Java's registerBrokerAll(false, true, true) after a topic is created.
func (m *TopicConfigManager) changed() {
	m.persistLogged()
	m.b.registerAllAsync()
}

// touch bumps the data version and announces the table after a change outside it
// (brokerPermission): the NameServer rebuilds queue data only on a new topics dataVersion.
func (m *TopicConfigManager) touch() {
	m.mu.Lock()
	m.version.next()
	m.mu.Unlock()
	m.changed()
}

// IsOrderTopic reports whether the NameServer's ORDER_TOPIC_CONFIG marks topic as ordered.
func (m *TopicConfigManager) IsOrderTopic(topic string) bool {
	tc := m.SelectTopicConfig(topic)
	return tc != nil && tc.Order
}

// DataVersion returns the topic table's current version.
func (m *TopicConfigManager) DataVersion() DataVersion {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.version
}

// snapshot copies the table (the *TopicConfig values are immutable and shared).
// Topics returns every topic configuration.
func (m *TopicConfigManager) Topics() map[string]*TopicConfig {
	t, _ := m.snapshot()
	return t
}

// UpdateTopicConfig creates or replaces a topic (UPDATE_AND_CREATE_TOPIC), bumps the data
// version and persists. The caller decides how to announce it to the NameServers.
func (m *TopicConfigManager) UpdateTopicConfig(tc *TopicConfig) {
	c := *tc
	c.TopicName, c.TopicFilterType = strings.Clone(c.TopicName), strings.Clone(c.TopicFilterType)
	if c.TopicFilterType == "" {
		c.TopicFilterType = "SINGLE_TAG"
	}
	m.mu.Lock()
	old := m.table[c.TopicName]
	m.table[c.TopicName] = &c
	m.version.next()
	m.mu.Unlock()
	if old != nil {
		m.log.WithField("topic", c.TopicName).Infof("topic config changed, old %+v new %+v", *old, c)
	} else {
		m.log.WithField("topic", c.TopicName).Infof("topic config created %+v", c)
	}
	m.persistLogged()
}

// DeleteTopicConfig removes a topic (DELETE_TOPIC_IN_BROKER).
func (m *TopicConfigManager) DeleteTopicConfig(topic string) bool {
	m.mu.Lock()
	_, ok := m.table[topic]
	if ok {
		delete(m.table, topic)
		m.version.next()
	}
	m.mu.Unlock()
	if ok {
		m.log.WithField("topic", topic).Info("topic config deleted")
		m.persistLogged()
	}
	return ok
}

// updateOrderTopicConfig applies the NameServer's ORDER_TOPIC_CONFIG table from a
// registration answer: listed topics become ordered, all others not. A nil table (no KV
// entries at the NameServer) changes nothing, as Java.
func (m *TopicConfigManager) updateOrderTopicConfig(orderTopics map[string]string) {
	if orderTopics == nil {
		return
	}
	changed := false
	m.mu.Lock()
	for name, tc := range m.table {
		_, want := orderTopics[name]
		if tc.Order != want {
			c := *tc
			c.Order = want
			m.table[name] = &c
			changed = true
		}
	}
	if changed {
		m.version.next()
	}
	m.mu.Unlock()
	if changed {
		m.log.Info("order flags of topics changed by name server ORDER_TOPIC_CONFIG")
		m.persistLogged()
	}
}

// load reads topics.json (or its .bak); its entries replace the built-in system topics of
// the same name and its dataVersion is adopted, as Java's decode does.
func (m *TopicConfigManager) load() error {
	from, err := m.loadFile(m.b.configPath(topicsFile), decodeTopics)
	if err != nil {
		return err
	}
	if from != "" {
		m.log.WithFields(logrus.Fields{"file": from, "topics": len(m.Topics())}).Info("topics loaded")
	}
	return nil
}

// persist writes topics.json.
func (m *TopicConfigManager) persist() error {
	return m.persistFile(m.b.configPath(topicsFile), encodeTopics)
}

func (m *TopicConfigManager) persistLogged() {
	if err := m.persist(); err != nil {
		m.log.WithError(err).Error("persist topics.json failed")
	}
}
