package broker

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Timings of the client housekeeping (Java ClientHousekeepingService, ConsumerManager): a
// channel not refreshed by a heartbeat for 120 s is dropped; the scan runs every 10 s.
const (
	channelExpiredTimeout = 120 * time.Second
	clientScanInterval    = 10 * time.Second
)

// SubscriptionData is what a consumer subscribed to in one topic, as kept from its heartbeat.
// The pull path filters by CodeSet and rejects pulls whose subVersion is newer (code 25).
type SubscriptionData struct {
	Topic           string
	SubString       string
	TagsSet         []string
	CodeSet         []int32
	SubVersion      int64
	ExpressionType  string // "TAG" or "SQL92"; empty means TAG
	ClassFilterMode bool
}

// ClientChannelInfo is one connection of a client instance.
type ClientChannelInfo struct {
	Channel  remoting.Channel
	ClientID string
	Language remoting.LanguageCode
	Version  int32
	// lastUpdate is the unix millisecond time of the last heartbeat on this channel.
	lastUpdate atomic.Int64
}

// LastUpdate returns the time of the last heartbeat on the channel.
func (c *ClientChannelInfo) LastUpdate() time.Time { return time.UnixMilli(c.lastUpdate.Load()) }

// ConsumerGroupInfo is the live state of one consumer group: its connections and the union of
// its subscriptions.
type ConsumerGroupInfo struct {
	GroupName string

	mu               sync.RWMutex
	subs             map[string]*SubscriptionData
	channels         map[uint64]*ClientChannelInfo
	consumeType      string
	messageModel     string
	consumeFromWhere string
	lastUpdate       int64
}

func newConsumerGroupInfo(group string) *ConsumerGroupInfo {
	return &ConsumerGroupInfo{GroupName: group, subs: map[string]*SubscriptionData{},
		channels: map[uint64]*ClientChannelInfo{}}
}

// FindSubscriptionData returns the group's subscription of topic or nil.
func (g *ConsumerGroupInfo) FindSubscriptionData(topic string) *SubscriptionData {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.subs[topic]
}

// Subscriptions returns the group's subscriptions.
func (g *ConsumerGroupInfo) Subscriptions() []*SubscriptionData {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]*SubscriptionData, 0, len(g.subs))
	for _, s := range g.subs {
		out = append(out, s)
	}
	return out
}

// MessageModel is "CLUSTERING" or "BROADCASTING".
func (g *ConsumerGroupInfo) MessageModel() string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.messageModel
}

// ConsumeType is "CONSUME_PASSIVELY" (push) or "CONSUME_ACTIVELY" (pull).
func (g *ConsumerGroupInfo) ConsumeType() string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.consumeType
}

// ConsumeFromWhere is the group's last reported start position.
func (g *ConsumerGroupInfo) ConsumeFromWhere() string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.consumeFromWhere
}

// Channels returns the group's live connections.
func (g *ConsumerGroupInfo) Channels() []*ClientChannelInfo {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]*ClientChannelInfo, 0, len(g.channels))
	for _, c := range g.channels {
		out = append(out, c)
	}
	return out
}

// ClientIDs lists the client ids of the group's connections, sorted, once each.
func (g *ConsumerGroupInfo) ClientIDs() []string {
	g.mu.RLock()
	seen := make(map[string]bool, len(g.channels))
	out := make([]string, 0, len(g.channels))
	for _, c := range g.channels {
		if !seen[c.ClientID] {
			seen[c.ClientID] = true
			out = append(out, c.ClientID)
		}
	}
	g.mu.RUnlock()
	sort.Strings(out)
	return out
}

// updateChannel records info's channel; it reports whether the channel is new to the group.
func (g *ConsumerGroupInfo) updateChannel(info *ClientChannelInfo, consumeType, messageModel, fromWhere string, log *logrus.Entry) bool {
	now := time.Now().UnixMilli()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.consumeType, g.messageModel, g.consumeFromWhere = consumeType, messageModel, fromWhere
	g.lastUpdate = now
	old := g.channels[info.Channel.ID()]
	if old == nil {
		info.lastUpdate.Store(now)
		g.channels[info.Channel.ID()] = info
		log.WithFields(logrus.Fields{"group": g.GroupName, "clientId": info.ClientID,
			"remote": info.Channel.RemoteAddr()}).Info("new consumer connected")
		return true
	}
	if old.ClientID != info.ClientID {
		// Java replaces silently apart from a log line: the client restarted its instance on
		// the same connection, which does not change the membership seen by the group.
		log.WithFields(logrus.Fields{"group": g.GroupName, "old": old.ClientID, "new": info.ClientID,
			"remote": info.Channel.RemoteAddr()}).Error("consumer channel exists under another client id")
		info.lastUpdate.Store(now)
		g.channels[info.Channel.ID()] = info
		return false
	}
	old.lastUpdate.Store(now)
	return false
}

// updateSubscription applies a heartbeat's subscription list; it reports whether the topic
// set changed. An existing topic is replaced only by a newer subVersion.
func (g *ConsumerGroupInfo) updateSubscription(subs []*SubscriptionData) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	changed := false
	keep := make(map[string]bool, len(subs))
	for _, s := range subs {
		keep[s.Topic] = true
		old := g.subs[s.Topic]
		if old == nil {
			g.subs[s.Topic] = s
			changed = true
		} else if s.SubVersion > old.SubVersion {
			g.subs[s.Topic] = s
		}
	}
	for t := range g.subs {
		if !keep[t] {
			delete(g.subs, t)
			changed = true
		}
	}
	g.lastUpdate = time.Now().UnixMilli()
	return changed
}

// removeChannel drops the channel; it reports whether it was there.
func (g *ConsumerGroupInfo) removeChannel(id uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.channels[id]
	delete(g.channels, id)
	return ok
}

func (g *ConsumerGroupInfo) empty() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.channels) == 0
}

// expired removes and returns the channels not refreshed since deadline (unix ms).
func (g *ConsumerGroupInfo) expired(deadline int64) []*ClientChannelInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*ClientChannelInfo
	for id, c := range g.channels {
		if c.lastUpdate.Load() < deadline {
			out = append(out, c)
			delete(g.channels, id)
		}
	}
	return out
}

// ClientManager tracks the producers and consumers connected to the broker (Java's
// ConsumerManager, ProducerManager and ClientHousekeepingService in one place).
type ClientManager struct {
	b   *Broker
	log *logrus.Entry

	mu        sync.RWMutex
	consumers map[string]*ConsumerGroupInfo
	producers map[string]map[uint64]*ClientChannelInfo

	opaque atomic.Int32 // opaque of requests the broker sends to clients
}

func newClientManager(b *Broker) *ClientManager {
	return &ClientManager{
		b:         b,
		log:       b.log.WithField("component", "clients"),
		consumers: make(map[string]*ConsumerGroupInfo),
		producers: make(map[string]map[uint64]*ClientChannelInfo),
	}
}

// ConsumerGroup returns the live state of group or nil when no consumer of it is connected.
func (m *ClientManager) ConsumerGroup(group string) *ConsumerGroupInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.consumers[group]
}

// FindSubscriptionData returns group's subscription of topic from its heartbeats, or nil.
func (m *ClientManager) FindSubscriptionData(group, topic string) *SubscriptionData {
	if g := m.ConsumerGroup(group); g != nil {
		return g.FindSubscriptionData(topic)
	}
	return nil
}

// ConsumerGroups lists the groups with live consumers.
func (m *ClientManager) ConsumerGroups() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.consumers))
	for g := range m.consumers {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// RegisterConsumer applies one consumer heartbeat. When the membership or the topic set
// changed and notify is on, every member is told to rebalance. It reports whether anything
// changed.
func (m *ClientManager) RegisterConsumer(group string, info *ClientChannelInfo, consumeType, messageModel,
	fromWhere string, subs []*SubscriptionData, notify bool) bool {
	m.mu.Lock()
	g := m.consumers[group]
	if g == nil {
		g = newConsumerGroupInfo(group)
		m.consumers[group] = g
	}
	// Update under the manager lock so a concurrent close or expiry cannot drop the group
	// between its lookup and the new channel being added.
	r1 := g.updateChannel(info, consumeType, messageModel, fromWhere, m.log)
	m.mu.Unlock()
	r2 := g.updateSubscription(subs)
	if (r1 || r2) && notify {
		m.notifyConsumerIdsChanged(g)
	}
	return r1 || r2
}

// UnregisterConsumer removes ch from group (UNREGISTER_CLIENT) and notifies the rest.
func (m *ClientManager) UnregisterConsumer(group string, ch remoting.Channel, notify bool) {
	m.mu.Lock()
	g := m.consumers[group]
	if g == nil {
		m.mu.Unlock()
		return
	}
	removed := g.removeChannel(ch.ID())
	if g.empty() {
		delete(m.consumers, group)
		m.log.WithField("group", group).Info("consumer group has no connection left, removed")
	}
	m.mu.Unlock()
	if removed {
		m.log.WithFields(logrus.Fields{"group": group, "remote": ch.RemoteAddr()}).Info("consumer unregistered")
		if notify {
			m.notifyConsumerIdsChanged(g)
		}
	}
}

// RegisterProducer records a producer heartbeat.
func (m *ClientManager) RegisterProducer(group string, info *ClientChannelInfo) {
	now := time.Now().UnixMilli()
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.producers[group]
	if t == nil {
		t = make(map[uint64]*ClientChannelInfo)
		m.producers[group] = t
	}
	if old := t[info.Channel.ID()]; old != nil && old.ClientID == info.ClientID {
		old.lastUpdate.Store(now)
		return
	}
	info.lastUpdate.Store(now)
	t[info.Channel.ID()] = info
	m.log.WithFields(logrus.Fields{"group": group, "clientId": info.ClientID, "remote": info.Channel.RemoteAddr()}).
		Info("new producer connected")
}

// UnregisterProducer removes ch from the producer group.
func (m *ClientManager) UnregisterProducer(group string, ch remoting.Channel) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.producers[group]
	if t == nil {
		return
	}
	if _, ok := t[ch.ID()]; ok {
		delete(t, ch.ID())
		m.log.WithFields(logrus.Fields{"group": group, "remote": ch.RemoteAddr()}).Info("producer unregistered")
	}
	if len(t) == 0 {
		delete(m.producers, group)
	}
}

// ProducerChannels returns the live connections of a producer group (transaction checks,
// GET_PRODUCER_CONNECTION_LIST).
func (m *ClientManager) ProducerChannels(group string) []*ClientChannelInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.producers[group]
	out := make([]*ClientChannelInfo, 0, len(t))
	for _, c := range t {
		out = append(out, c)
	}
	return out
}

// FindProducerChannel returns a connection of the producer client clientID, in any group, or
// nil (Java's ProducerManager.findChannel: where a reply is pushed to its requester).
func (m *ClientManager) FindProducerChannel(clientID string) *ClientChannelInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, t := range m.producers {
		for _, c := range t {
			if c.ClientID == clientID {
				return c
			}
		}
	}
	return nil
}

// ProducerGroups returns every producer group with its connections.
func (m *ClientManager) ProducerGroups() map[string][]*ClientChannelInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string][]*ClientChannelInfo, len(m.producers))
	for g, t := range m.producers {
		for _, c := range t {
			out[g] = append(out[g], c)
		}
	}
	return out
}

// ChannelClosed drops a closed or idle connection from every group and notifies the
// consumer groups it belonged to.
func (m *ClientManager) ChannelClosed(ch remoting.Channel) {
	id := ch.ID()
	var changed []*ConsumerGroupInfo
	m.mu.Lock()
	for name, g := range m.consumers {
		if g.removeChannel(id) {
			changed = append(changed, g)
			if g.empty() {
				delete(m.consumers, name)
			}
		}
	}
	for name, t := range m.producers {
		if _, ok := t[id]; ok {
			delete(t, id)
			if len(t) == 0 {
				delete(m.producers, name)
			}
		}
	}
	m.mu.Unlock()
	for _, g := range changed {
		m.log.WithFields(logrus.Fields{"group": g.GroupName, "remote": ch.RemoteAddr()}).Info("consumer channel closed, removed from group")
		m.notifyConsumerIdsChanged(g)
	}
}

// scanExpired drops channels not heard from within channelExpiredTimeout, closes them and
// notifies the groups that lost members.
func (m *ClientManager) scanExpired(now time.Time, timeout time.Duration) {
	deadline := now.Add(-timeout).UnixMilli()
	var changed []*ConsumerGroupInfo
	var closing []*ClientChannelInfo
	m.mu.Lock()
	for name, g := range m.consumers {
		if gone := g.expired(deadline); len(gone) > 0 {
			closing = append(closing, gone...)
			changed = append(changed, g)
			if g.empty() {
				delete(m.consumers, name)
			}
			for _, c := range gone {
				m.log.WithFields(logrus.Fields{"group": name, "clientId": c.ClientID, "remote": c.Channel.RemoteAddr(),
					"lastUpdate": c.LastUpdate()}).Warn("consumer channel expired, closed and removed")
			}
		}
	}
	for name, t := range m.producers {
		for id, c := range t {
			if c.lastUpdate.Load() < deadline {
				delete(t, id)
				closing = append(closing, c)
				m.log.WithFields(logrus.Fields{"group": name, "clientId": c.ClientID, "remote": c.Channel.RemoteAddr(),
					"lastUpdate": c.LastUpdate()}).Warn("producer channel expired, closed and removed")
			}
		}
		if len(t) == 0 {
			delete(m.producers, name)
		}
	}
	m.mu.Unlock()
	for _, c := range closing {
		_ = c.Channel.Close()
	}
	for _, g := range changed {
		m.notifyConsumerIdsChanged(g)
	}
}

// notifyConsumerIdsChanged sends NOTIFY_CONSUMER_IDS_CHANGED one-way to every member of g so
// they rebalance at once instead of within 20 s. The broker-wide
// notifyConsumerIdsChangedEnable switches it off everywhere (Java's
// DefaultConsumerIdsChangeListener); the group's own flag is checked by the callers.
func (m *ClientManager) notifyConsumerIdsChanged(g *ConsumerGroupInfo) {
	if !m.b.conf().NotifyConsumerIdsChangedEnable {
		return
	}
	select {
	case <-m.b.stop:
		return // shutting down: every connection is closing, nobody is left to rebalance with
	default:
	}
	for _, c := range g.Channels() {
		req := remoting.NewRequest(protocol.NotifyConsumerIdsChanged, remoting.ExtFields{{Key: "consumerGroup", Value: g.GroupName}}, nil)
		req.Opaque = m.opaque.Add(1)
		req.MarkOneway()
		if err := c.Channel.Write(req); err != nil {
			m.log.WithFields(logrus.Fields{"group": g.GroupName, "remote": c.Channel.RemoteAddr()}).
				WithError(err).Warn("notify consumer ids changed failed")
		}
	}
}

// ---- processors: HEART_BEAT, UNREGISTER_CLIENT ----

// clientManage answers the client lifecycle requests (Java ClientManageProcessor).
type clientManage struct{ b *Broker }

func (b *Broker) registerClientProcessors() {
	p := &clientManage{b}
	b.register(protocol.HeartBeat, remoting.ProcessorFunc(p.heartBeat))
	b.register(protocol.UnregisterClient, remoting.ProcessorFunc(p.unregisterClient))
	b.register(protocol.CheckClientConfig, remoting.ProcessorFunc(p.checkClientConfig))
	b.registerConsumerManageProcessors()
	b.registerAdminProcessors()
}

// heartBeat records the client's producer and consumer groups. For each consumer group it
// makes sure the group exists (auto-created by default) and that %RETRY%<group> exists, so
// that the retry topic becomes routable at the NameServers: push consumers subscribe to it and
// mqadmin finds a group's brokers through its route.
func (p *clientManage) heartBeat(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	hb, err := decodeHeartbeat(req.Body)
	if err != nil {
		p.b.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr()}).WithError(err).Warn("bad heartbeat body")
		return remoting.NewResponse(req, protocol.SystemError, "decode heartbeat body failed: "+err.Error())
	}
	for _, cd := range hb.ConsumerDataSet {
		info := &ClientChannelInfo{Channel: ch, ClientID: hb.ClientID, Language: req.Language, Version: req.Version}
		notify := true
		if sg := p.b.groups.FindSubscriptionGroupConfig(cd.GroupName); sg != nil {
			notify = sg.NotifyConsumerIdsChangedEnable
			var sysFlag int32
			if cd.UnitMode {
				sysFlag = retryTopicSysFlagUnitSub
			}
			p.b.topics.CreateTopicInSendMessageBackMethod(RetryGroupTopicPre+cd.GroupName, sg.RetryQueueNums,
				PermWrite|PermRead, sysFlag)
		}
		subs := make([]*SubscriptionData, 0, len(cd.SubscriptionDataSet))
		for i := range cd.SubscriptionDataSet {
			subs = append(subs, subscriptionFrom(&cd.SubscriptionDataSet[i]))
		}
		if p.b.clients.RegisterConsumer(cd.GroupName, info, cd.ConsumeType, cd.MessageModel, cd.ConsumeFromWhere, subs, notify) {
			p.b.log.WithFields(logrus.Fields{"group": cd.GroupName, "clientId": hb.ClientID, "remote": ch.RemoteAddr()}).
				Info("consumer registration changed")
		}
		p.b.filters.Register(cd.GroupName, subs) // Java's REGISTER event: SQL92 expressions (filter_manager.go)
	}
	for _, pd := range hb.ProducerDataSet {
		info := &ClientChannelInfo{Channel: ch, ClientID: hb.ClientID, Language: req.Language, Version: req.Version}
		p.b.clients.RegisterProducer(pd.GroupName, info)
	}
	return success(req)
}

// unregisterClient removes the channel from the named groups; always SUCCESS, as Java.
func (p *clientManage) unregisterClient(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.UnregisterClientRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	if h.ProducerGroup != "" {
		p.b.clients.UnregisterProducer(h.ProducerGroup, ch)
	}
	if h.ConsumerGroup != "" {
		notify := true
		if sg := p.b.groups.FindSubscriptionGroupConfig(h.ConsumerGroup); sg != nil {
			notify = sg.NotifyConsumerIdsChangedEnable
		}
		p.b.clients.UnregisterConsumer(h.ConsumerGroup, ch, notify)
	}
	return withHeader(success(req))
}

// checkClientConfig is what a Java consumer with a non-TAG (SQL92) subscription asks at start;
// anything but SUCCESS stops the consumer from starting. TAG subscriptions always pass. As Java,
// a broker without enablePropertyFilter refuses SQL92, and an expression that does not compile
// is refused with SUBSCRIPTION_PARSE_FAILED and the parser's message.
func (p *clientManage) checkClientConfig(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var body protocol.CheckClientRequestBody
	if len(req.Body) > 0 {
		if err := body.Unmarshal(req.Body); err != nil {
			return remoting.NewResponse(req, protocol.SystemError, "decode CheckClientRequestBody failed: "+err.Error())
		}
	}
	sd := body.SubscriptionData
	if sd == nil || sd.ExpressionType == "" || sd.ExpressionType == "TAG" {
		return success(req)
	}
	if !p.b.conf().EnablePropertyFilter {
		return remoting.NewResponse(req, protocol.SystemError,
			"The broker does not support consumer to filter message by "+sd.ExpressionType)
	}
	if err := checkFilterExpression(sd.ExpressionType, sd.SubString); err != nil {
		p.b.log.WithFields(logrus.Fields{"group": body.Group, "clientId": body.ClientID, "topic": sd.Topic,
			"expression": sd.SubString, "remote": ch.RemoteAddr()}).WithError(err).Warn("filter expression refused")
		return remoting.NewResponse(req, protocol.SubscriptionParseFailed, err.Error())
	}
	return success(req)
}

// retryTopicSysFlagUnitSub marks the retry topic of a unit-mode consumer (FLAG_UNIT_SUB).
const retryTopicSysFlagUnitSub = protocol.TopicSysFlagUnitSub

// OnConnect, OnClose and OnIdle make the broker the servers' ConnListener: a closed or idle
// connection leaves every group at once instead of after the 120 s expiry.
func (b *Broker) OnConnect(ch remoting.Channel) {}

func (b *Broker) OnClose(ch remoting.Channel) { b.clients.ChannelClosed(ch); b.sem.channelClosed(ch) }

func (b *Broker) OnIdle(ch remoting.Channel) { b.clients.ChannelClosed(ch); b.sem.channelClosed(ch) }
