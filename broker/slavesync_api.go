package broker

// What a slave's metadata synchronisation (Java SlaveSynchronize, every 10 s from the master:
// GET_ALL_TOPIC_CONFIG, GET_ALL_CONSUMER_OFFSET, GET_ALL_SUBSCRIPTIONGROUP_CONFIG) needs from
// the managers: decode the master's bodies and take them over wholesale, persisting the files
// the way the master would.

// DecodeTopicWrapper parses a TopicConfigSerializeWrapper body (GET_ALL_TOPIC_CONFIG).
func DecodeTopicWrapper(body []byte) (map[string]*TopicConfig, DataVersion, error) {
	t, v, err := decodeTopics(body)
	if err != nil {
		return nil, DataVersion{}, err
	}
	if v == nil {
		return t, DataVersion{}, nil
	}
	return t, *v, nil
}

// DecodeGroupWrapper parses a SubscriptionGroupWrapper body (GET_ALL_SUBSCRIPTIONGROUP_CONFIG).
func DecodeGroupWrapper(body []byte) (map[string]*SubscriptionGroupConfig, DataVersion, error) {
	g, v, err := decodeGroups(body)
	if err != nil {
		return nil, DataVersion{}, err
	}
	if v == nil {
		return g, DataVersion{}, nil
	}
	return g, *v, nil
}

// DecodeOffsetWrapper parses a ConsumerOffsetSerializeWrapper body (GET_ALL_CONSUMER_OFFSET).
func DecodeOffsetWrapper(body []byte) (map[string]map[int32]int64, error) { return decodeOffsets(body) }

// ReplaceAll makes the topic table the master's, adopting its data version, and persists it.
// Java's slave does this only when the master's version differs from its own; so does this.
// It reports whether anything was replaced.
func (m *TopicConfigManager) ReplaceAll(table map[string]*TopicConfig, v DataVersion) bool {
	m.mu.Lock()
	if m.version == v {
		m.mu.Unlock()
		return false
	}
	fresh := make(map[string]*TopicConfig, len(table))
	for k, tc := range table {
		c := *tc
		fresh[k] = &c
	}
	m.table, m.version = fresh, v
	m.mu.Unlock()
	m.log.WithField("topics", len(fresh)).Info("topic configs replaced by the master's")
	m.persistLogged()
	return true
}

// ReplaceAll makes the group table the master's when its data version differs, and persists it.
func (m *SubscriptionGroupManager) ReplaceAll(table map[string]*SubscriptionGroupConfig, v DataVersion) bool {
	m.mu.Lock()
	if m.version == v {
		m.mu.Unlock()
		return false
	}
	fresh := make(map[string]*SubscriptionGroupConfig, len(table))
	for k, g := range table {
		c := *g
		fresh[k] = &c
	}
	m.table, m.version = fresh, v
	m.mu.Unlock()
	m.log.WithField("groups", len(fresh)).Info("subscription groups replaced by the master's")
	m.persistLogged()
	return true
}

// PutAll takes over the master's offsets (Java's offsetTable.putAll: entries the master does
// not know are kept) and persists consumerOffset.json.
func (m *ConsumerOffsetManager) PutAll(table map[string]map[int32]int64) error {
	m.mu.Lock()
	for k, q := range table {
		c := make(map[int32]int64, len(q))
		for id, off := range q {
			c[id] = off
		}
		m.table[k] = c
	}
	m.mu.Unlock()
	return m.persist()
}

// HAMasterAddr is the master's HA address (brokerIP2:haListenPort) a slave learned from its last
// registration; "" on a master or before the master registered.
func (b *Broker) HAMasterAddr() string {
	b.reg.mu.Lock()
	defer b.reg.mu.Unlock()
	return b.reg.haMaster
}
