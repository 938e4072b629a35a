package broker

import (
	"fmt"
	"strings"
	"sync"

	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// offsetKeySep joins topic and group in consumerOffset.json keys: "topic@group".
const offsetKeySep = "@"

// ConsumerOffsetManager keeps consumerOffset.json: for each topic@group, the next offset the
// group consumes in each queue. It is persisted every flushConsumerOffsetInterval and at
// shutdown, as Java does; a crash loses at most that interval, which clients tolerate because
// they commit again every 5 s.
type ConsumerOffsetManager struct {
	b   *Broker
	log *logrus.Entry

	fileMu sync.Mutex // serialises writes of consumerOffset.json
	mu     sync.RWMutex
	table  map[string]map[int32]int64
}

func newConsumerOffsetManager(b *Broker) *ConsumerOffsetManager {
	return &ConsumerOffsetManager{
		b:     b,
		log:   b.log.WithField("component", "offsets"),
		table: make(map[string]map[int32]int64),
	}
}

// CommitOffset records offset as group's next offset in topic/queueID. Like Java it does not
// validate the value; a backwards move is logged because it usually means a reset or a bug.
func (m *ConsumerOffsetManager) CommitOffset(clientHost, group, topic string, queueID int32, offset int64) {
	key := topic + offsetKeySep + group
	m.mu.Lock()
	q := m.table[key]
	if q == nil {
		q = make(map[int32]int64)
		m.table[key] = q
	}
	old, had := q[queueID]
	q[queueID] = offset
	m.mu.Unlock()
	if had && offset < old && m.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		m.log.WithFields(logrus.Fields{"group": group, "topic": topic, "queueId": queueID, "remote": clientHost,
			"old": old, "new": offset}).Debug("consumer offset moved backwards")
	}
}

// QueryOffset returns group's committed offset in topic/queueID, or -1 when there is none.
func (m *ConsumerOffsetManager) QueryOffset(group, topic string, queueID int32) int64 {
	key := topic + offsetKeySep + group
	m.mu.RLock()
	defer m.mu.RUnlock()
	if q := m.table[key]; q != nil {
		if off, ok := q[queueID]; ok {
			return off
		}
	}
	return -1
}

// QueryOffsets returns a copy of every queue's offset of group in topic (nil when none).
func (m *ConsumerOffsetManager) QueryOffsets(group, topic string) map[int32]int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	q := m.table[topic+offsetKeySep+group]
	if q == nil {
		return nil
	}
	out := make(map[int32]int64, len(q))
	for k, v := range q {
		out[k] = v
	}
	return out
}

// TopicsOfGroup lists the topics group has offsets for.
func (m *ConsumerOffsetManager) TopicsOfGroup(group string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for k := range m.table {
		if t, g, ok := splitOffsetKey(k); ok && g == group {
			out = append(out, t)
		}
	}
	return out
}

// GroupsOfTopic lists the groups that have offsets for topic.
func (m *ConsumerOffsetManager) GroupsOfTopic(topic string) []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []string
	for k := range m.table {
		if t, g, ok := splitOffsetKey(k); ok && t == topic {
			out = append(out, g)
		}
	}
	return out
}

// RemoveGroup drops every offset of group (DELETE_SUBSCRIPTIONGROUP with removeOffset).
func (m *ConsumerOffsetManager) RemoveGroup(group string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.table {
		if _, g, ok := splitOffsetKey(k); ok && g == group {
			delete(m.table, k)
		}
	}
}

// splitOffsetKey splits "topic@group". Topics cannot contain '@', groups can't either, so
// the first '@' is the separator.
func splitOffsetKey(k string) (topic, group string, ok bool) {
	i := strings.Index(k, offsetKeySep)
	if i < 0 {
		return "", "", false
	}
	return k[:i], k[i+1:], true
}

// snapshot deep-copies the offset table.
func (m *ConsumerOffsetManager) snapshot() map[string]map[int32]int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]map[int32]int64, len(m.table))
	for k, q := range m.table {
		c := make(map[int32]int64, len(q))
		for id, off := range q {
			c[id] = off
		}
		out[k] = c
	}
	return out
}

// load reads consumerOffset.json (or its .bak).
func (m *ConsumerOffsetManager) load() error {
	path := m.b.configPath(offsetsFile)
	from, err := store.LoadConfigFile(path, func(data []byte) error {
		table, err := decodeOffsets(data)
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.table = table
		m.mu.Unlock()
		return nil
	})
	if err != nil {
		return fmt.Errorf("broker: load %s: %w", path, err)
	}
	if from != "" {
		m.log.WithFields(logrus.Fields{"file": from, "entries": len(m.snapshot())}).Info("consumer offsets loaded")
	}
	return nil
}

// persist writes consumerOffset.json.
func (m *ConsumerOffsetManager) persist() error {
	m.fileMu.Lock()
	defer m.fileMu.Unlock()
	return writeMetaFile(m.b.configPath(offsetsFile), encodeOffsets(m.snapshot()))
}
