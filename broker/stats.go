package broker

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BrokerStatsManager keeps Java's BrokerStatsManager stat sets that admin tools read through
// VIEW_BROKER_STATS_DATA (315) and GET_CONSUME_STATS (consumeTps): mqadmin statsAll, the
// dashboard's topic collector. The send and pull paths bump counters (two atomic adds after
// one read-locked map lookup keyed by a struct, so no allocation once the item exists); a
// sampler snapshots every item every 10 s, 10 min and 1 h into Java's minute (7 samples),
// hour (7) and day (25) windows.
type BrokerStatsManager struct {
	mu    sync.RWMutex
	items map[statsKey]*statsItem
	// pairs caches the NUMS and SIZE items a put or a pull bumps together, so the hot path
	// does one map lookup; brokerPut/brokerGet are the cluster-wide totals.
	pairs                map[pairKey]*statsPair
	brokerPut, brokerGet *statsItem

	cluster     string
	lastHour    time.Time // last hour-window sample
	lastDay     time.Time // last day-window sample
	sampleEvery time.Duration
}

// Java's stat set names (BrokerStatsManager constants).
const (
	StatsTopicPutNums  = "TOPIC_PUT_NUMS"
	StatsTopicPutSize  = "TOPIC_PUT_SIZE"
	StatsGroupGetNums  = "GROUP_GET_NUMS"
	StatsGroupGetSize  = "GROUP_GET_SIZE"
	StatsSndbckPutNums = "SNDBCK_PUT_NUMS"
	StatsBrokerPutNums = "BROKER_PUT_NUMS"
	StatsBrokerGetNums = "BROKER_GET_NUMS"
)

// statsKey identifies an item. Two-part keys ("topic@group") are kept split so that the hot
// path never concatenates; the wire form is k1 + "@" + k2.
type statsKey struct {
	name   string
	k1, k2 string
}

type pairKey struct {
	get          bool
	topic, group string
}

type statsPair struct{ nums, size *statsItem }

// statsSnapshot is one sample: when, how many calls, the running value.
type statsSnapshot struct {
	at    int64 // unix ms
	times int64
	value int64
}

type statsItem struct {
	value atomic.Int64
	times atomic.Int64

	mu                sync.Mutex
	minute, hour, day []statsSnapshot
}

// StatsWindow is Java's StatsSnapshot as serialised in BrokerStatsItem: the sum over the
// window, per-second rate and average value per call.
type StatsWindow struct {
	Sum   int64
	Tps   float64
	Avgpt float64
}

// StatsData is the three windows of one item (Java BrokerStatsData).
type StatsData struct {
	Minute, Hour, Day StatsWindow
}

const (
	statsMinSpanMs     = 10_000
	statsMinuteSamples = 7
	statsHourSamples   = 7
	statsDaySamples    = 25
)

func newBrokerStatsManager(cluster string) *BrokerStatsManager {
	now := time.Now()
	m := &BrokerStatsManager{items: make(map[statsKey]*statsItem), pairs: make(map[pairKey]*statsPair), cluster: cluster,
		lastHour: now, lastDay: now, sampleEvery: 10 * time.Second}
	m.brokerPut = m.item(statsKey{StatsBrokerPutNums, cluster, ""})
	m.brokerGet = m.item(statsKey{StatsBrokerGetNums, cluster, ""})
	return m
}

func (m *BrokerStatsManager) pair(k pairKey) *statsPair {
	m.mu.RLock()
	p := m.pairs[k]
	m.mu.RUnlock()
	if p != nil {
		return p
	}
	nums, size := StatsTopicPutNums, StatsTopicPutSize
	if k.get {
		nums, size = StatsGroupGetNums, StatsGroupGetSize
	}
	p = &statsPair{nums: m.item(statsKey{nums, k.topic, k.group}), size: m.item(statsKey{size, k.topic, k.group})}
	m.mu.Lock()
	if old := m.pairs[k]; old != nil {
		p = old
	} else {
		// Names may alias a request's frame, which the server reuses (remoting.Transient).
		k.topic, k.group = strings.Clone(k.topic), strings.Clone(k.group)
		m.pairs[k] = p
	}
	m.mu.Unlock()
	return p
}

func (m *BrokerStatsManager) item(k statsKey) *statsItem {
	m.mu.RLock()
	it := m.items[k]
	m.mu.RUnlock()
	if it != nil {
		return it
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if it = m.items[k]; it == nil {
		k.k1, k.k2 = strings.Clone(k.k1), strings.Clone(k.k2) // see pair
		now := time.Now().UnixMilli()
		it = &statsItem{}
		// A zero sample at creation, as Java's first scheduled sample of a fresh item, so
		// that the first window runs from when counting began.
		s := statsSnapshot{at: now}
		it.minute, it.hour, it.day = []statsSnapshot{s}, []statsSnapshot{s}, []statsSnapshot{s}
		m.items[k] = it
	}
	return it
}

func (m *BrokerStatsManager) add(name, k1, k2 string, value, times int64) {
	it := m.item(statsKey{name, k1, k2})
	it.value.Add(value)
	it.times.Add(times)
}

// OnPut counts a stored send: n messages of size bytes into topic.
func (m *BrokerStatsManager) OnPut(topic string, n, size int32) {
	if m == nil {
		return
	}
	p := m.pair(pairKey{topic: topic})
	p.nums.value.Add(int64(n))
	p.nums.times.Add(1)
	p.size.value.Add(int64(size))
	p.size.times.Add(1)
	m.brokerPut.value.Add(int64(n))
	m.brokerPut.times.Add(1)
}

// OnGet counts a pull that found n messages (size bytes) for group in topic.
func (m *BrokerStatsManager) OnGet(group, topic string, n, size int32) {
	if m == nil || n <= 0 {
		return
	}
	p := m.pair(pairKey{get: true, topic: topic, group: group})
	p.nums.value.Add(int64(n))
	p.nums.times.Add(1)
	p.size.value.Add(int64(size))
	p.size.times.Add(1)
	m.brokerGet.value.Add(int64(n))
	m.brokerGet.times.Add(1)
}

// OnSendBack counts a consumer send-back of a message of topic by group.
func (m *BrokerStatsManager) OnSendBack(group, topic string) {
	if m == nil {
		return
	}
	m.add(StatsSndbckPutNums, topic, group, 1, 1)
}

// sample takes the periodic snapshots; call it every sampleEvery.
func (m *BrokerStatsManager) sample(now time.Time) {
	m.mu.Lock()
	hour := now.Sub(m.lastHour) >= 10*time.Minute
	day := now.Sub(m.lastDay) >= time.Hour
	if hour {
		m.lastHour = now
	}
	if day {
		m.lastDay = now
	}
	items := make([]*statsItem, 0, len(m.items))
	for _, it := range m.items {
		items = append(items, it)
	}
	m.mu.Unlock()
	ms := now.UnixMilli()
	for _, it := range items {
		s := statsSnapshot{at: ms, times: it.times.Load(), value: it.value.Load()}
		it.mu.Lock()
		it.minute = pushSnapshot(it.minute, s, statsMinuteSamples)
		if hour {
			it.hour = pushSnapshot(it.hour, s, statsHourSamples)
		}
		if day {
			it.day = pushSnapshot(it.day, s, statsDaySamples)
		}
		it.mu.Unlock()
	}
}

func pushSnapshot(list []statsSnapshot, s statsSnapshot, keep int) []statsSnapshot {
	list = append(list, s)
	if len(list) > keep {
		copy(list, list[len(list)-keep:])
		list = list[:keep]
	}
	return list
}

// window computes a window from its oldest sample to now. Java uses its newest sample rather
// than the live counters, so its figures lag by up to one sampling period; using the live
// values makes the numbers right as soon as traffic happens, over the same span otherwise.
func window(list []statsSnapshot, now statsSnapshot) StatsWindow {
	if len(list) == 0 {
		return StatsWindow{}
	}
	first := list[0]
	var w StatsWindow
	w.Sum = now.value - first.value
	// The span is at least one sampling period, so a burst right after an item appears does
	// not read as thousands per second (Java's first rate comes one period after its first
	// sample too).
	if d := max(now.at-first.at, statsMinSpanMs); d > 0 {
		w.Tps = float64(w.Sum) * 1000 / float64(d)
	}
	if calls := now.times - first.times; calls > 0 {
		w.Avgpt = float64(w.Sum) / float64(calls)
	}
	return w
}

// Get returns the windows of an item; ok is false when nothing was ever counted under that
// name and key (Java: "The stats <name> <key> not exist"). key is the wire form; for the
// two-part sets it is "topic@group".
func (m *BrokerStatsManager) Get(name, key string) (StatsData, bool) {
	k := statsKey{name: name, k1: key}
	if isTwoPartStats(name) {
		i := strings.IndexByte(key, '@')
		if i < 0 {
			return StatsData{}, false
		}
		k.k1, k.k2 = key[:i], key[i+1:]
	}
	m.mu.RLock()
	it := m.items[k]
	m.mu.RUnlock()
	if it == nil {
		return StatsData{}, false
	}
	now := statsSnapshot{at: time.Now().UnixMilli(), times: it.times.Load(), value: it.value.Load()}
	it.mu.Lock()
	defer it.mu.Unlock()
	return StatsData{Minute: window(it.minute, now), Hour: window(it.hour, now), Day: window(it.day, now)}, true
}

// GroupGetTps is the minute TPS of GROUP_GET_NUMS for topic@group (ConsumeStats.consumeTps).
func (m *BrokerStatsManager) GroupGetTps(group, topic string) float64 {
	if m == nil {
		return 0
	}
	d, _ := m.Get(StatsGroupGetNums, topic+"@"+group)
	return d.Minute.Tps
}

// Remove drops every item keyed by topic (DELETE_TOPIC with autoDeleteUnusedStats) or, when
// group is set, by group.
func (m *BrokerStatsManager) Remove(topic, group string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.items {
		if (topic != "" && k.k1 == topic && k.name != StatsBrokerPutNums && k.name != StatsBrokerGetNums) ||
			(group != "" && k.k2 == group) {
			delete(m.items, k)
		}
	}
	for k := range m.pairs {
		if (topic != "" && k.topic == topic) || (group != "" && k.group == group) {
			delete(m.pairs, k)
		}
	}
}

func isTwoPartStats(name string) bool {
	switch name {
	case StatsGroupGetNums, StatsGroupGetSize, StatsSndbckPutNums:
		return true
	}
	return false
}

// Marshal writes Java's BrokerStatsData JSON:
//
//	{"statsDay":{"avgpt":0.0,"sum":10,"tps":0.5},"statsHour":{…},"statsMinute":{…}}
//
// keys alphabetical and doubles always with a fraction, as fastjson writes them.
func (d StatsData) Marshal() []byte {
	b := make([]byte, 0, 160)
	b = append(b, `{"statsDay":`...)
	b = d.Day.appendJSON(b)
	b = append(b, `,"statsHour":`...)
	b = d.Hour.appendJSON(b)
	b = append(b, `,"statsMinute":`...)
	b = d.Minute.appendJSON(b)
	return append(b, '}')
}

func (w StatsWindow) appendJSON(b []byte) []byte {
	b = append(b, `{"avgpt":`...)
	b = appendJavaDouble(b, w.Avgpt)
	b = append(b, `,"sum":`...)
	b = strconv.AppendInt(b, w.Sum, 10)
	b = append(b, `,"tps":`...)
	b = appendJavaDouble(b, w.Tps)
	return append(b, '}')
}

// appendJavaDouble renders a double as fastjson does: shortest form, always with a fraction.
func appendJavaDouble(b []byte, f float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	for _, c := range b[start:] {
		if c == '.' || c == 'e' || c == 'N' || c == 'I' {
			return b
		}
	}
	return append(b, '.', '0')
}

// addRuntimeInfo adds the GET_BROKER_RUNTIME_INFO keys Java derives beside the store counters
// (the schedule offsets come from schedule.go): commitLogDiskRatio_<dir> per commit-log
// directory, dispatchMaxBuffer, and getFoundTps (found = transferred here: the store counts
// messages found, not calls).
func (b *Broker) addRuntimeInfo(kv map[string]string) {
	if r, ok := kv["commitLogDiskRatio"]; ok {
		kv["commitLogDiskRatio_"+b.cfg.CommitLogDir()] = r
	}
	kv["dispatchMaxBuffer"] = "0"
	if t, ok := kv["getTransferedTps"]; ok {
		kv["getFoundTps"] = t
	}
}
