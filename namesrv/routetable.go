package namesrv

import (
	"sort"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// MasterID is the broker id of a master; every other id is a slave.
const MasterID int64 = 0

// DefaultBrokerExpiry is how long a broker may stay silent before it is dropped (Java's
// BROKER_CHANNEL_EXPIRED_TIME).
const DefaultBrokerExpiry = 120 * time.Second

// The route table speaks the protocol's body types, so answers encode without copying.
type (
	QueueData   = protocol.QueueData
	BrokerData  = protocol.BrokerData
	DataVersion = protocol.DataVersion
)

// Registration is one REGISTER_BROKER request, decoded.
type Registration struct {
	ClusterName  string
	BrokerAddr   string
	BrokerName   string
	BrokerID     int64
	HAServerAddr string
	DataVersion  DataVersion
	// TopicConfigs is the broker's topic table (the register body's topicConfigTable); only
	// a master's is used, and only when DataVersion changed.
	TopicConfigs map[string]*protocol.TopicConfig
	// FilterServers replaces the broker's filter-server list when HasFilterServers is set
	// (an empty list removes it); brokers older than V3_0_11 send no list at all.
	FilterServers    []string
	HasFilterServers bool
	// Channel is the connection the registration came on; its close removes the broker.
	Channel remoting.Channel
	// HeartbeatTimeout is how long this broker may stay silent (5.x header
	// heartbeatTimeoutMillis); 0 means the table's expiry (Java 4.9.8's fixed 120 s).
	HeartbeatTimeout time.Duration
}

// RegisterResult is what a slave learns about its master: both empty for masters, or when the
// master is not registered.
type RegisterResult struct {
	MasterAddr   string
	HAServerAddr string
}

// liveBroker is the liveness record of one broker address.
type liveBroker struct {
	lastUpdate   time.Time
	timeout      time.Duration // 5.x brokers send their own (heartbeatTimeoutMillis); 0 = table default
	dataVersion  DataVersion
	channel      remoting.Channel // nil when registered without a connection (tests)
	haServerAddr string
}

// brokerEntry is a broker name's addresses; cluster is the cluster of its first registration.
type brokerEntry struct {
	cluster string
	addrs   map[int64]string
}

// RouteTable is the NameServer's whole routing state (Java's RouteInfoManager). Every method
// is safe for concurrent use; answers are built under the read lock into fresh values, so no
// caller ever sees a map the table keeps mutating.
type RouteTable struct {
	mu       sync.RWMutex                     // guards every map below
	clusters map[string]map[string]struct{}   // cluster → broker names
	brokers  map[string]*brokerEntry          // broker name → addresses by id
	topics   map[string]map[string]*QueueData // topic → broker name → queue data
	live     map[string]*liveBroker           // broker address → liveness
	filters  map[string][]string              // broker address → filter servers

	now    func() time.Time
	expiry time.Duration
	log    *logrus.Entry
}

// NewRouteTable makes an empty table with Java's 120 s broker expiry.
func NewRouteTable(log *logrus.Entry) *RouteTable {
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &RouteTable{
		clusters: make(map[string]map[string]struct{}),
		brokers:  make(map[string]*brokerEntry),
		topics:   make(map[string]map[string]*QueueData),
		live:     make(map[string]*liveBroker),
		filters:  make(map[string][]string),
		now:      time.Now,
		expiry:   DefaultBrokerExpiry,
		log:      log,
	}
}

// Register records a broker registration (RouteInfoManager.registerBroker, 4.9.8).
func (t *RouteTable) Register(r *Registration) RegisterResult {
	t.mu.Lock()
	defer t.mu.Unlock()

	names := t.clusters[r.ClusterName]
	if names == nil {
		names = make(map[string]struct{})
		t.clusters[r.ClusterName] = names
	}
	names[r.BrokerName] = struct{}{}

	first := false
	be := t.brokers[r.BrokerName]
	if be == nil {
		first = true
		be = &brokerEntry{cluster: r.ClusterName, addrs: make(map[int64]string)}
		t.brokers[r.BrokerName] = be
	}
	// One address has one id: a slave promoted to master registers the same address under
	// id 0, and its old id-1 entry must go, or clients would see it twice.
	for id, addr := range be.addrs {
		if addr == r.BrokerAddr && id != r.BrokerID {
			delete(be.addrs, id)
		}
	}
	old, had := be.addrs[r.BrokerID]
	be.addrs[r.BrokerID] = r.BrokerAddr
	first = first || !had
	if r.BrokerID == MasterID && had && old != r.BrokerAddr {
		t.log.WithFields(logrus.Fields{"brokerName": r.BrokerName, "old": old, "new": r.BrokerAddr}).
			Info("master address changed")
	}

	// Only a master's topic table defines QueueData, and only when it changed: a slave's copy
	// may lag, and re-applying an unchanged table would undo WIPE_WRITE_PERM_OF_BROKER.
	if r.BrokerID == MasterID && (first || t.dataVersionChangedLocked(r.BrokerAddr, r.DataVersion)) {
		for name, tc := range r.TopicConfigs {
			if tc == nil {
				continue
			}
			if tc.TopicName != "" {
				name = tc.TopicName // Java keys QueueData by the config's own name
			}
			t.putQueueDataLocked(name, r.BrokerName, tc)
		}
	}

	prev := t.live[r.BrokerAddr]
	t.live[r.BrokerAddr] = &liveBroker{
		lastUpdate:   t.now(),
		timeout:      r.HeartbeatTimeout,
		dataVersion:  r.DataVersion,
		channel:      r.Channel,
		haServerAddr: r.HAServerAddr,
	}
	if prev == nil {
		t.log.WithFields(logrus.Fields{"brokerAddr": r.BrokerAddr, "brokerName": r.BrokerName,
			"brokerId": r.BrokerID, "cluster": r.ClusterName, "haServer": r.HAServerAddr}).Info("new broker registered")
	}

	if r.HasFilterServers {
		if len(r.FilterServers) == 0 {
			delete(t.filters, r.BrokerAddr)
		} else {
			t.filters[r.BrokerAddr] = append([]string(nil), r.FilterServers...)
		}
	}

	var res RegisterResult
	if r.BrokerID != MasterID {
		if master, ok := be.addrs[MasterID]; ok {
			if lb := t.live[master]; lb != nil {
				res.MasterAddr = master
				res.HAServerAddr = lb.haServerAddr
			}
		}
	}
	return res
}

func (t *RouteTable) putQueueDataLocked(topic, brokerName string, tc *protocol.TopicConfig) {
	qd := &QueueData{
		BrokerName:     brokerName,
		ReadQueueNums:  tc.ReadQueueNums,
		WriteQueueNums: tc.WriteQueueNums,
		Perm:           tc.Perm,
		TopicSysFlag:   tc.TopicSysFlag,
	}
	m := t.topics[topic]
	if m == nil {
		m = make(map[string]*QueueData)
		t.topics[topic] = m
		t.log.WithFields(logrus.Fields{"topic": topic, "brokerName": brokerName}).Debug("new topic registered")
	} else if old := m[brokerName]; old != nil && *old != *qd {
		t.log.WithFields(logrus.Fields{"topic": topic, "brokerName": brokerName,
			"old": *old, "new": *qd}).Info("topic changed")
	}
	m[brokerName] = qd
}

func (t *RouteTable) dataVersionChangedLocked(addr string, dv DataVersion) bool {
	lb := t.live[addr]
	return lb == nil || lb.dataVersion != dv
}

// QueryDataVersion answers QUERY_DATA_VERSION: whether dv differs from what addr last
// registered, and the stored version (ok=false when addr is unknown). An unchanged version
// counts as a heartbeat, which is how brokers with forceRegister=false stay alive.
func (t *RouteTable) QueryDataVersion(addr string, dv DataVersion) (changed bool, stored DataVersion, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lb := t.live[addr]
	if lb == nil {
		return true, DataVersion{}, false
	}
	changed = lb.dataVersion != dv
	if !changed {
		lb.lastUpdate = t.now()
	}
	return changed, lb.dataVersion, true
}

// Touch refreshes addr's liveness (5.x BROKER_HEARTBEAT) and reports whether addr is known.
func (t *RouteTable) Touch(addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	lb := t.live[addr]
	if lb == nil {
		return false
	}
	lb.lastUpdate = t.now()
	return true
}

// Unregister removes one broker address on UNREGISTER_BROKER; the broker name, its cluster
// membership and its QueueData go with the name's last address.
func (t *RouteTable) Unregister(cluster, addr, brokerName string, brokerID int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, wasLive := t.live[addr]
	delete(t.live, addr)
	delete(t.filters, addr)
	lastGone := false
	if be := t.brokers[brokerName]; be != nil {
		delete(be.addrs, brokerID)
		if len(be.addrs) == 0 {
			delete(t.brokers, brokerName)
			lastGone = true
		}
	}
	if lastGone {
		if names := t.clusters[cluster]; names != nil {
			delete(names, brokerName)
			if len(names) == 0 {
				delete(t.clusters, cluster)
			}
		}
		t.removeBrokerNameTopicsLocked(brokerName)
	}
	t.log.WithFields(logrus.Fields{"brokerAddr": addr, "brokerName": brokerName, "brokerId": brokerID,
		"cluster": cluster, "wasLive": wasLive, "brokerNameRemoved": lastGone}).Info("broker unregistered")
}

// removeBrokerNameTopicsLocked drops brokerName's QueueData from every topic, and topics left
// with none.
func (t *RouteTable) removeBrokerNameTopicsLocked(brokerName string) {
	for topic, m := range t.topics {
		delete(m, brokerName)
		if len(m) == 0 {
			delete(t.topics, topic)
		}
	}
}

// removeAddrLocked forgets a broker address that expired or whose connection closed
// (onChannelDestroy): unlike Unregister the id and broker name are looked up.
func (t *RouteTable) removeAddrLocked(addr, reason string) {
	delete(t.live, addr)
	delete(t.filters, addr)
	for name, be := range t.brokers {
		found := false
		for id, a := range be.addrs {
			if a == addr {
				delete(be.addrs, id)
				found = true
			}
		}
		if !found {
			continue
		}
		t.log.WithFields(logrus.Fields{"brokerAddr": addr, "brokerName": name, "reason": reason}).
			Info("broker address removed")
		if len(be.addrs) > 0 {
			continue
		}
		delete(t.brokers, name)
		for cluster, names := range t.clusters {
			if _, ok := names[name]; ok {
				delete(names, name)
				if len(names) == 0 {
					delete(t.clusters, cluster)
				}
			}
		}
		t.removeBrokerNameTopicsLocked(name)
	}
}

// ChannelClosed removes every broker that registered over ch (ConnListener.OnClose): a broker
// that goes away is out of the routes at once instead of after 120 s.
func (t *RouteTable) ChannelClosed(ch remoting.Channel) {
	if ch == nil {
		return
	}
	id := ch.ID()
	// Most closing connections are clients; find out under the read lock first.
	t.mu.RLock()
	var addrs []string
	for addr, lb := range t.live {
		if lb.channel != nil && lb.channel.ID() == id {
			addrs = append(addrs, addr)
		}
	}
	t.mu.RUnlock()
	if len(addrs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, addr := range addrs {
		// Re-check: the broker may have re-registered on a new connection meanwhile.
		if lb := t.live[addr]; lb != nil && lb.channel != nil && lb.channel.ID() == id {
			t.removeAddrLocked(addr, "channel closed")
		}
	}
}

// ScanExpired removes brokers not heard from within the expiry and closes their connections;
// it returns the removed addresses.
func (t *RouteTable) ScanExpired() []string {
	now := t.now()
	var removed []string
	var toClose []remoting.Channel
	t.mu.Lock()
	for addr, lb := range t.live {
		timeout := t.expiry
		if lb.timeout > 0 {
			timeout = lb.timeout
		}
		if now.Sub(lb.lastUpdate) > timeout {
			removed = append(removed, addr)
			if lb.channel != nil {
				toClose = append(toClose, lb.channel)
			}
			t.log.WithFields(logrus.Fields{"brokerAddr": addr, "silentFor": now.Sub(lb.lastUpdate).String()}).
				Warn("broker expired")
			t.removeAddrLocked(addr, "expired")
		}
	}
	t.mu.Unlock()
	// Closing outside the lock: the close listener comes back into ChannelClosed.
	for _, ch := range toClose {
		_ = ch.Close()
	}
	sort.Strings(removed)
	return removed
}

// Route returns the route of topic (QueueData and BrokerData sorted by broker name, every
// map a copy), or false when no broker serves it (TOPIC_NOT_EXIST).
func (t *RouteTable) Route(topic string) (*protocol.TopicRouteData, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m := t.topics[topic]
	if len(m) == 0 {
		return nil, false
	}
	r := &protocol.TopicRouteData{
		QueueDatas:        make([]QueueData, 0, len(m)),
		BrokerDatas:       make([]BrokerData, 0, len(m)),
		FilterServerTable: map[string][]string{},
	}
	for name, qd := range m {
		r.QueueDatas = append(r.QueueDatas, *qd)
		be := t.brokers[name]
		if be == nil {
			continue
		}
		bd := BrokerData{Cluster: be.cluster, BrokerName: name, BrokerAddrs: make(map[int64]string, len(be.addrs))}
		for id, addr := range be.addrs {
			bd.BrokerAddrs[id] = addr
			if fs := t.filters[addr]; fs != nil {
				r.FilterServerTable[addr] = append([]string(nil), fs...)
			}
		}
		r.BrokerDatas = append(r.BrokerDatas, bd)
	}
	if len(r.BrokerDatas) == 0 {
		return nil, false
	}
	sort.Slice(r.QueueDatas, func(i, j int) bool { return r.QueueDatas[i].BrokerName < r.QueueDatas[j].BrokerName })
	sort.Slice(r.BrokerDatas, func(i, j int) bool { return r.BrokerDatas[i].BrokerName < r.BrokerDatas[j].BrokerName })
	return r, true
}

// ClusterInfo returns every live broker name by cluster (name lists sorted, maps copied).
func (t *RouteTable) ClusterInfo() *protocol.ClusterInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ci := &protocol.ClusterInfo{
		BrokerAddrTable:  make(map[string]*BrokerData, len(t.brokers)),
		ClusterAddrTable: make(map[string][]string, len(t.clusters)),
	}
	for name, be := range t.brokers {
		bd := &BrokerData{Cluster: be.cluster, BrokerName: name, BrokerAddrs: make(map[int64]string, len(be.addrs))}
		for id, addr := range be.addrs {
			bd.BrokerAddrs[id] = addr
		}
		ci.BrokerAddrTable[name] = bd
	}
	for cluster, names := range t.clusters {
		ci.ClusterAddrTable[cluster] = sortedKeys(names)
	}
	return ci
}

// AllTopics lists every topic that has QueueData, sorted.
func (t *RouteTable) AllTopics() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.topics))
	for topic := range t.topics {
		out = append(out, topic)
	}
	sort.Strings(out)
	return out
}

// TopicsByCluster lists topics with QueueData on any broker name of cluster; an unknown
// cluster gives an empty list, as Java's swallowed NullPointerException does.
func (t *RouteTable) TopicsByCluster(cluster string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := t.clusters[cluster]
	out := []string{}
	for topic, m := range t.topics {
		for name := range m {
			if _, ok := names[name]; ok {
				out = append(out, topic)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// SystemTopics returns the cluster and broker names (each is also a topic the broker creates)
// and one broker address for the client to ask GET_SYSTEM_TOPIC_LIST_FROM_BROKER.
func (t *RouteTable) SystemTopics() (topics []string, brokerAddr string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	topics = []string{}
	for _, cluster := range sortedKeys(t.clusters) {
		topics = append(topics, cluster)
		topics = append(topics, sortedKeys(t.clusters[cluster])...)
	}
	for _, name := range sortedKeys(t.brokers) {
		be := t.brokers[name]
		if len(be.addrs) == 0 {
			continue
		}
		ids := make([]int64, 0, len(be.addrs))
		for id := range be.addrs {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		brokerAddr = be.addrs[ids[0]]
		break
	}
	return topics, brokerAddr
}

// UnitTopicKind selects a unit topic list (GET_UNIT_TOPIC_LIST and its two siblings).
type UnitTopicKind int

const (
	UnitTopics              UnitTopicKind = iota // FLAG_UNIT set
	HasUnitSubTopics                             // FLAG_UNIT_SUB set
	HasUnitSubNonUnitTopics                      // FLAG_UNIT_SUB set, FLAG_UNIT clear
)

// UnitTopicList lists topics whose flag matches kind. Java looks at an arbitrary QueueData of
// the topic; we look at the one with the smallest broker name, which is the same when brokers
// agree on the flag (they always do in practice).
func (t *RouteTable) UnitTopicList(kind UnitTopicKind) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := []string{}
	for topic, m := range t.topics {
		var flag int32
		firstName := ""
		for name, qd := range m {
			if firstName == "" || name < firstName {
				firstName, flag = name, qd.TopicSysFlag
			}
		}
		unit, sub := flag&protocol.TopicSysFlagUnit != 0, flag&protocol.TopicSysFlagUnitSub != 0
		var match bool
		switch kind {
		case UnitTopics:
			match = unit
		case HasUnitSubTopics:
			match = sub
		case HasUnitSubNonUnitTopics:
			match = sub && !unit
		}
		if match {
			out = append(out, topic)
		}
	}
	sort.Strings(out)
	return out
}

// WipeWritePerm clears the write bit of every topic of brokerName and returns how many
// topics it touched. The broker's next registration with a new dataVersion undoes it.
func (t *RouteTable) WipeWritePerm(brokerName string) int {
	return t.operateWritePerm(brokerName, func(p int32) int32 { return p &^ protocol.PermWrite })
}

// AddWritePerm sets every topic of brokerName to read+write (not OR-ed, as Java) and returns
// how many topics it touched.
func (t *RouteTable) AddWritePerm(brokerName string) int {
	return t.operateWritePerm(brokerName, func(int32) int32 { return protocol.PermRead | protocol.PermWrite })
}

func (t *RouteTable) operateWritePerm(brokerName string, f func(int32) int32) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, m := range t.topics {
		if qd := m[brokerName]; qd != nil {
			qd.Perm = f(qd.Perm)
			n++
		}
	}
	return n
}

// DeleteTopic removes topic: only the QueueData of cluster's brokers when cluster is set (the
// topic goes when none is left), else entirely.
func (t *RouteTable) DeleteTopic(topic, cluster string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cluster == "" {
		delete(t.topics, topic)
		return
	}
	m := t.topics[topic]
	if m == nil {
		return
	}
	for name := range t.clusters[cluster] {
		delete(m, name)
	}
	if len(m) == 0 {
		delete(t.topics, topic)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
