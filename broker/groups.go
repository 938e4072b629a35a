package broker

import (
	"strings"

	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Consumer groups the broker knows from the start (Java SubscriptionGroupManager.init).
var defaultGroups = []struct {
	name      string
	broadcast bool
}{
	{"TOOLS_CONSUMER", true},
	{"FILTERSRV_CONSUMER", true},
	{"SELF_TEST_C_GROUP", true},
	{"CID_ONS-HTTP-PROXY", true},
	{"CID_ONSAPI_PULL", true},
	{"CID_ONSAPI_PERMISSION", true},
	{"CID_ONSAPI_OWNER", true},
}

// sysConsumerGroupPrefix marks groups that are always auto-created (MixAll.isSysConsumerGroup).
const sysConsumerGroupPrefix = protocol.CIDRmqSysPrefix

// SubscriptionGroupConfig is one consumer group's settings (Java SubscriptionGroupConfig).
// Values handed out are never mutated; an update stores a new one.
type SubscriptionGroupConfig struct {
	GroupName                      string
	ConsumeEnable                  bool
	ConsumeFromMinEnable           bool
	ConsumeBroadcastEnable         bool
	RetryQueueNums                 int32
	RetryMaxTimes                  int32
	BrokerID                       int64
	WhichBrokerWhenConsumeSlowly   int64
	NotifyConsumerIdsChangedEnable bool
}

// NewSubscriptionGroupConfig returns a group with Java's defaults.
func NewSubscriptionGroupConfig(group string) *SubscriptionGroupConfig {
	return &SubscriptionGroupConfig{
		GroupName:                      group,
		ConsumeEnable:                  true,
		ConsumeFromMinEnable:           true,
		ConsumeBroadcastEnable:         true,
		RetryQueueNums:                 1,
		RetryMaxTimes:                  16,
		WhichBrokerWhenConsumeSlowly:   1,
		NotifyConsumerIdsChangedEnable: true,
	}
}

// SubscriptionGroupManager keeps subscriptionGroup.json: the consumer groups and their settings.
type SubscriptionGroupManager struct {
	b   *Broker
	log *logrus.Entry

	metaTable[*SubscriptionGroupConfig]
}

func newSubscriptionGroupManager(b *Broker) *SubscriptionGroupManager {
	m := &SubscriptionGroupManager{
		b:   b,
		log: b.log.WithField("component", "groups"),
		metaTable: metaTable[*SubscriptionGroupConfig]{
			table:   make(map[string]*SubscriptionGroupConfig),
			version: newDataVersion(),
		},
	}
	for _, g := range defaultGroups {
		c := NewSubscriptionGroupConfig(g.name)
		c.ConsumeBroadcastEnable = g.broadcast
		m.table[g.name] = c
	}
	return m
}

// FindSubscriptionGroupConfig returns the group's settings. An unknown group is created with
// the defaults when autoCreateSubscriptionGroup is on or the group is a system group; otherwise
// the result is nil.
func (m *SubscriptionGroupManager) FindSubscriptionGroupConfig(group string) *SubscriptionGroupConfig {
	m.mu.RLock()
	c := m.table[group]
	m.mu.RUnlock()
	if c != nil {
		return c
	}
	if !m.b.conf().AutoCreateSubscriptionGroup && !strings.HasPrefix(group, sysConsumerGroupPrefix) {
		return nil
	}
	m.mu.Lock()
	if c = m.table[group]; c != nil {
		m.mu.Unlock()
		return c
	}
	group = strings.Clone(group) // header strings alias the request frame
	c = NewSubscriptionGroupConfig(group)
	m.table[group] = c
	m.version.next()
	m.mu.Unlock()
	m.log.WithField("group", group).Info("subscription group auto-created")
	m.persistLogged()
	return c
}

// Get returns the group's settings without creating it.
func (m *SubscriptionGroupManager) Get(group string) *SubscriptionGroupConfig {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.table[group]
}

// Update creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (m *SubscriptionGroupManager) Update(c *SubscriptionGroupConfig) {
	cp := *c
	cp.GroupName = strings.Clone(cp.GroupName)
	m.mu.Lock()
	old := m.table[c.GroupName]
	m.table[cp.GroupName] = &cp
	m.version.next()
	m.mu.Unlock()
	if old != nil {
		m.log.WithFields(logrus.Fields{"group": c.GroupName}).Infof("subscription group changed, old %+v new %+v", *old, cp)
	} else {
		m.log.WithFields(logrus.Fields{"group": c.GroupName}).Info("subscription group created")
	}
	m.persistLogged()
}

// Delete removes a group (DELETE_SUBSCRIPTIONGROUP).
func (m *SubscriptionGroupManager) Delete(group string) {
	m.mu.Lock()
	_, ok := m.table[group]
	delete(m.table, group)
	if ok {
		m.version.next()
	}
	m.mu.Unlock()
	if ok {
		m.log.WithField("group", group).Info("subscription group deleted")
		m.persistLogged()
	}
}

// Groups returns every group's settings.
func (m *SubscriptionGroupManager) Groups() map[string]*SubscriptionGroupConfig {
	t, _ := m.snapshot()
	return t
}

// DataVersion returns the group table's current version.
func (m *SubscriptionGroupManager) DataVersion() DataVersion {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.version
}

// load reads subscriptionGroup.json (or its .bak) over the built-in groups.
func (m *SubscriptionGroupManager) load() error {
	from, err := m.loadFile(m.b.configPath(groupsFile), decodeGroups)
	if err != nil {
		return err
	}
	if from != "" {
		m.log.WithFields(logrus.Fields{"file": from, "groups": len(m.Groups())}).Info("subscription groups loaded")
	}
	return nil
}

// persist writes subscriptionGroup.json.
func (m *SubscriptionGroupManager) persist() error {
	return m.persistFile(m.b.configPath(groupsFile), encodeGroups)
}

func (m *SubscriptionGroupManager) persistLogged() {
	if err := m.persist(); err != nil {
		m.log.WithError(err).Error("persist subscriptionGroup.json failed")
	}
}
