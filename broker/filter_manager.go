package broker

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// ConsumerFilterManager keeps the compiled SQL92 expression of every (topic, group) whose
// consumers subscribe by SQL92 (Java's ConsumerFilterManager). Heartbeats register the
// expressions; the pull path looks them up. It is persisted to config/consumerFilter.json
// every 10 s and at shutdown, in fastjson's pretty form:
//
//	{
//		"filterDataByTopic":{
//			"<topic>":{
//				"groupFilterData":{
//					"<group>":{"bloomFilterData":{"bitNum":112,"bitPos":[97,14,94]},"bornTime":…,
//						"clientVersion":…,"consumerGroup":…,"dead":false,"deadTime":0,
//						"expression":…,"expressionType":"SQL92","topic":…}
//				},
//				"topic":"<topic>"
//			}
//		}
//	}
//
// bloomFilterData is computed as Java does (filter_bloom.go) so that a Java broker opened on
// our store keeps the file; we never use it (enableCalcFilterBitMap is not implemented). An entry is "dead" once its group has no live consumer; dead
// entries are dropped after filterDataCleanTimeSpan (24 h). Java marks death when the group
// unregisters; we notice it at the next persist (within 10 s), which only shifts that clock.
type ConsumerFilterManager struct {
	b      *Broker
	log    *logrus.Entry
	mu     sync.RWMutex
	topics map[string]map[string]*ConsumerFilterData // topic → group → data
	fileMu sync.Mutex
}

// ConsumerFilterData is one group's expression on one topic.
type ConsumerFilterData struct {
	ConsumerGroup  string
	Topic          string
	Expression     string
	ExpressionType string
	BornTime       int64
	DeadTime       int64
	ClientVersion  int64
	expr           *sqlExpr // nil when the expression does not compile (only after a load)
}

// with returns a changed copy: entries handed out by Get are never modified, so the pull path
// reads them without a lock.
func (d *ConsumerFilterData) with(change func(*ConsumerFilterData)) *ConsumerFilterData {
	c := *d
	change(&c)
	return &c
}

// dead is Java's isDead: deadTime >= bornTime.
func (d *ConsumerFilterData) dead() bool { return d.DeadTime >= d.BornTime }

const consumerFilterFile = "consumerFilter.json"

func newConsumerFilterManager(b *Broker) *ConsumerFilterManager {
	return &ConsumerFilterManager{b: b, log: b.log.WithField("component", "consumerFilter"),
		topics: make(map[string]map[string]*ConsumerFilterData)}
}

// buildFilterData compiles expr; nil when it does not compile (Java's build returns null).
func buildFilterData(topic, group, expr, typ string, clientVersion int64) *ConsumerFilterData {
	if typ != exprSQL92 {
		return nil
	}
	e, err := compileSQL92(expr)
	if err != nil {
		return nil
	}
	return &ConsumerFilterData{ConsumerGroup: group, Topic: topic, Expression: expr, ExpressionType: typ,
		BornTime: time.Now().UnixMilli(), ClientVersion: clientVersion, expr: e}
}

// Register applies one consumer heartbeat of group (Java's register(group, subList)): every
// non-TAG subscription is registered unless an entry at least as recent exists; entries of
// topics the group no longer subscribes to are marked dead.
func (m *ConsumerFilterManager) Register(group string, subs []*SubscriptionData) {
	now := time.Now().UnixMilli()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range subs {
		if isTagType(s.ExpressionType) || s.SubString == "" {
			continue
		}
		m.registerLocked(s.Topic, group, s.SubString, s.ExpressionType, s.SubVersion, now)
	}
	for topic, groups := range m.topics {
		d := groups[group]
		if d == nil || d.dead() {
			continue
		}
		still := false
		for _, s := range subs {
			if s.Topic == topic {
				still = true
				break
			}
		}
		if !still {
			groups[group] = d.with(func(c *ConsumerFilterData) { c.DeadTime = now })
			m.log.WithFields(logrus.Fields{"group": group, "topic": topic}).Info("consumer filter no longer subscribed, marked dead")
		}
	}
}

// registerLocked is FilterDataMapByTopic.register.
func (m *ConsumerFilterManager) registerLocked(topic, group, expr, typ string, version, now int64) {
	groups := m.topics[topic]
	if groups == nil {
		groups = make(map[string]*ConsumerFilterData)
		m.topics[topic] = groups
	}
	log := m.log.WithFields(logrus.Fields{"group": group, "topic": topic, "expression": expr})
	old := groups[group]
	if old != nil && version <= old.ClientVersion {
		if version == old.ClientVersion && old.dead() {
			groups[group] = old.with(func(c *ConsumerFilterData) { c.DeadTime = 0 }) // reAlive
		}
		return
	}
	if old != nil && old.Expression == expr && old.ExpressionType == typ && old.expr != nil {
		groups[group] = old.with(func(c *ConsumerFilterData) {
			c.ClientVersion = version
			if c.dead() {
				c.DeadTime = 0
			}
		})
		return
	}
	d := buildFilterData(topic, group, expr, typ, version)
	if d == nil {
		// A changed expression that does not compile removes the old one, so the consumer's
		// pulls report FILTER_DATA_NOT_EXIST instead of filtering by a stale expression.
		delete(groups, group)
		if len(groups) == 0 {
			delete(m.topics, topic)
		}
		log.Warn("consumer filter expression does not compile")
		return
	}
	if old == nil {
		log.Info("new consumer filter registered")
	} else {
		log.Info("consumer filter changed")
	}
	groups[group] = d
}

// Get returns the filter of group on topic, nil when none is registered.
func (m *ConsumerFilterManager) Get(topic, group string) *ConsumerFilterData {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.topics[topic][group]
}

// markOffline marks the entries of groups without a live consumer dead and drops those dead
// for longer than filterDataCleanTimeSpan (Java's unRegister + clean).
func (m *ConsumerFilterManager) markOffline(now int64) {
	span := m.b.conf().FilterDataCleanTimeSpan
	m.mu.Lock()
	defer m.mu.Unlock()
	for topic, groups := range m.topics {
		for group, d := range groups {
			if !d.dead() && m.b.clients.ConsumerGroup(group) == nil {
				d = d.with(func(c *ConsumerFilterData) { c.DeadTime = max(now, c.BornTime) })
				groups[group] = d
			}
			if d.dead() && now-d.DeadTime >= span {
				delete(groups, group)
				m.log.WithFields(logrus.Fields{"group": group, "topic": topic}).Info("consumer filter dead too long, removed")
			}
		}
		if len(groups) == 0 {
			delete(m.topics, topic)
		}
	}
}

// encode renders consumerFilter.json.
func (m *ConsumerFilterManager) encode() []byte {
	m.mu.RLock()
	defer m.mu.RUnlock()
	w := &prettyWriter{buf: make([]byte, 0, 256)}
	w.open()
	w.key("filterDataByTopic")
	w.open()
	for _, topic := range sortedKeys(m.topics) {
		groups := m.topics[topic]
		w.key(topic)
		w.open()
		w.key("groupFilterData")
		w.open()
		for _, g := range sortedKeys(groups) {
			w.key(g)
			m.writeFilterData(w, groups[g])
		}
		w.close()
		w.str("topic", topic)
		w.close()
	}
	w.close()
	w.close()
	return w.buf
}

// writeFilterData writes one ConsumerFilterData object as fastjson does.
func (m *ConsumerFilterManager) writeFilterData(w *prettyWriter, d *ConsumerFilterData) {
	w.open()
	if k, bitNum, ok := bloomShape(m.b.cfg.MaxErrorRateOfBloomFilter, m.b.cfg.ExpectConsumerNumUseFilter); ok {
		w.key("bloomFilterData")
		w.open()
		w.i64("bitNum", int64(bitNum))
		w.key("bitPos")
		w.buf = append(w.buf, '[')
		for i, p := range bloomBitPositions(d.ConsumerGroup+"#"+d.Topic, k, bitNum) {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = strconv.AppendInt(w.buf, int64(p), 10)
		}
		w.buf = append(w.buf, ']')
		w.close()
	}
	w.i64("bornTime", d.BornTime)
	w.i64("clientVersion", d.ClientVersion)
	w.str("consumerGroup", d.ConsumerGroup)
	w.boolean("dead", d.dead())
	w.i64("deadTime", d.DeadTime)
	w.str("expression", d.Expression)
	w.str("expressionType", d.ExpressionType)
	w.str("topic", d.Topic)
	w.close()
}

// prettyJSON is JSON.toJSONString(filterData, true) for one entry ("null" for none), as
// QUERY_CONSUME_QUEUE reports it.
func (m *ConsumerFilterManager) prettyJSON(d *ConsumerFilterData) string {
	if d == nil {
		return "null"
	}
	w := &prettyWriter{}
	m.writeFilterData(w, d)
	return string(w.buf)
}

type filterFileJSON struct {
	FilterDataByTopic map[string]*struct {
		GroupFilterData map[string]*struct {
			ConsumerGroup  string `json:"consumerGroup"`
			Topic          string `json:"topic"`
			Expression     string `json:"expression"`
			ExpressionType string `json:"expressionType"`
			BornTime       int64  `json:"bornTime"`
			DeadTime       int64  `json:"deadTime"`
			ClientVersion  int64  `json:"clientVersion"`
		} `json:"groupFilterData"`
	} `json:"filterDataByTopic"`
}

// decode reads consumerFilter.json. As Java, every loaded entry whose consumers are not yet
// known counts as dead since 30 s ago (they come back alive with their next heartbeat), and an
// expression that no longer compiles is kept without a compiled form (its pulls get 27).
func (m *ConsumerFilterManager) decode(data []byte) error {
	var f filterFileJSON
	if err := metaJSON.Unmarshal(quoteNumericKeys(data), &f); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	table := make(map[string]map[string]*ConsumerFilterData, len(f.FilterDataByTopic))
	for topic, t := range f.FilterDataByTopic {
		if t == nil {
			continue
		}
		groups := make(map[string]*ConsumerFilterData, len(t.GroupFilterData))
		for group, g := range t.GroupFilterData {
			if g == nil {
				continue
			}
			d := &ConsumerFilterData{ConsumerGroup: g.ConsumerGroup, Topic: g.Topic, Expression: g.Expression,
				ExpressionType: g.ExpressionType, BornTime: g.BornTime, DeadTime: g.DeadTime, ClientVersion: g.ClientVersion}
			if d.ConsumerGroup == "" {
				d.ConsumerGroup = group
			}
			if d.Topic == "" {
				d.Topic = topic
			}
			if d.ExpressionType == exprSQL92 {
				d.expr, _ = compileSQL92(d.Expression)
			}
			if d.DeadTime == 0 {
				d.DeadTime = max(now-30_000, d.BornTime)
			}
			groups[group] = d
		}
		table[topic] = groups
	}
	m.mu.Lock()
	m.topics = table
	m.mu.Unlock()
	return nil
}

// load reads consumerFilter.json (or its .bak); a missing file is an empty table.
func (m *ConsumerFilterManager) load() error {
	path := m.b.configPath(consumerFilterFile)
	from, err := store.LoadConfigFile(path, m.decode)
	if err != nil {
		return fmt.Errorf("broker: load %s: %w", path, err)
	}
	if from != "" {
		m.log.WithField("file", from).Info("consumer filters loaded")
	}
	return nil
}

// persist writes consumerFilter.json after the dead-entry housekeeping.
func (m *ConsumerFilterManager) persist() error {
	m.markOffline(time.Now().UnixMilli())
	m.fileMu.Lock()
	defer m.fileMu.Unlock()
	return writeMetaFile(m.b.configPath(consumerFilterFile), m.encode())
}

// A compiled expression is the pull filter of an SQL92 subscription (Java's
// ExpressionMessageFilter without the bit map): every consume-queue entry passes the cheap
// check, then the record's properties decide.
func (e *sqlExpr) MatchTagsCode(int64) bool       { return true }
func (e *sqlExpr) MatchRecord(record []byte) bool { return e.matchRecord(record) }

// checkFilterExpression is what CHECK_CLIENT_CONFIG and a pull carrying its subscription ask
// of a non-TAG expression: SQL92 that compiles. Any other type is unknown to Java's
// FilterFactory and refused as well.
func checkFilterExpression(typ, expr string) error {
	if typ != exprSQL92 {
		return fmt.Errorf("unknown filter expression type %q (supported: TAG, SQL92)", typ)
	}
	// An empty expression is compiled too: Java's CHECK_CLIENT_CONFIG answers the parser's
	// own "Encountered "<EOF>" at line 0, column 0" text for it.
	_, err := compileSQL92Cached(expr)
	return err
}

// retryFilter is Java's ExpressionForRetryMessageFilter (filterSupportRetry=true): a pull of
// %RETRY%<group> keeps only the retried messages that still match the group's SQL92
// expression on their original topic (the RETRY_TOPIC property). Messages without it, or whose
// topic has no SQL92 filter for the group, pass.
type retryFilter struct {
	tags  *tagFilter
	m     *ConsumerFilterManager
	group string
}

func (f *retryFilter) MatchTagsCode(c int64) bool { return f.tags.matchTagsCode(c) }

func (f *retryFilter) MatchRecord(rec []byte) bool {
	var v message.View
	if message.Parse(rec, &v) != nil {
		return false
	}
	topic, ok := message.PropertyValue(v.Properties, message.PropertyRetryTopic)
	if !ok {
		return true
	}
	f.m.mu.RLock()
	d := f.m.topics[string(topic)][f.group]
	f.m.mu.RUnlock()
	if d == nil || d.expr == nil {
		return true
	}
	return d.expr.matchProperties(v.Properties)
}
