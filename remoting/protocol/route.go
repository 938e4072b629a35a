package protocol

import (
	"strconv"

	"github.com/rocketgo/rocketgo/remoting"
)

// Bodies the NameServer serves and the broker sends it (§5.1–5.3, store-and-broker §9).

// DataVersion identifies a broker's topic table version; the NameServer rebuilds queue data when
// it changes. StateVersion exists only in 5.x and is written only when non-zero.
type DataVersion struct {
	Timestamp    int64 `json:"timestamp"`
	Counter      int64 `json:"counter"`
	StateVersion int64 `json:"stateVersion,omitempty"`
}

func (e *encoder) dataVersion(d *DataVersion) {
	e.open()
	e.key("counter")
	e.i64(d.Counter)
	if d.StateVersion != 0 {
		e.key("stateVersion")
		e.i64(d.StateVersion)
	}
	e.key("timestamp")
	e.i64(d.Timestamp)
	e.close()
}

// Marshal writes {"counter":…,"timestamp":…}, the QUERY_DATA_VERSION body.
func (d *DataVersion) Marshal() []byte {
	e := encoder{}
	e.dataVersion(d)
	return e.b
}

// Unmarshal reads a DataVersion.
func (d *DataVersion) Unmarshal(b []byte) error { *d = DataVersion{}; return unmarshal(b, d) }

// QueueData is one broker's queues of a topic in a route.
type QueueData struct {
	BrokerName     string `json:"brokerName"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	WriteQueueNums int32  `json:"writeQueueNums"`
	Perm           int32  `json:"perm"`
	// Java writes topicSysFlag; the Go client reads a misspelt topicSynFlag and so never sees
	// it, which is harmless.
	TopicSysFlag int32 `json:"topicSysFlag"`
}

func (e *encoder) queueData(q *QueueData) {
	e.open()
	e.key("brokerName")
	e.str(q.BrokerName)
	e.key("perm")
	e.i64(int64(q.Perm))
	e.key("readQueueNums")
	e.i64(int64(q.ReadQueueNums))
	e.key("topicSysFlag")
	e.i64(int64(q.TopicSysFlag))
	e.key("writeQueueNums")
	e.i64(int64(q.WriteQueueNums))
	e.close()
}

// BrokerData is one broker name's addresses by broker id (0 = master).
type BrokerData struct {
	Cluster     string           `json:"cluster"`
	BrokerName  string           `json:"brokerName"`
	BrokerAddrs map[int64]string `json:"brokerAddrs"`
}

// MasterAddr returns the id-0 address, or "".
func (b *BrokerData) MasterAddr() string { return b.BrokerAddrs[0] }

func (e *encoder) brokerData(b *BrokerData) {
	e.open()
	e.key("brokerAddrs")
	e.open()
	for _, id := range sortedKeys(b.BrokerAddrs) {
		e.intKey(id)
		e.str(b.BrokerAddrs[id])
	}
	e.close()
	e.key("brokerName")
	e.str(b.BrokerName)
	e.key("cluster")
	e.str(b.Cluster)
	e.close()
}

// TopicRouteData is the GET_ROUTEINFO_BY_TOPIC body.
type TopicRouteData struct {
	OrderTopicConf    string              `json:"orderTopicConf,omitempty"`
	QueueDatas        []QueueData         `json:"queueDatas"`
	BrokerDatas       []BrokerData        `json:"brokerDatas"`
	FilterServerTable map[string][]string `json:"filterServerTable"`
}

// Marshal writes the route. standard selects the form Java's NameServer sends to clients of
// version ≥ 401 or that set acceptStandardJsonOnly: broker ids quoted and non-ASCII escaped.
// Otherwise ids are bare numbers, which old clients and the Go client expect.
func (r *TopicRouteData) Marshal(standard bool) []byte {
	e := encoder{ascii: standard, quoteIntKeys: standard, b: make([]byte, 0, 256)}
	e.open()
	e.key("brokerDatas")
	e.openArr()
	for i := range r.BrokerDatas {
		e.sep()
		e.brokerData(&r.BrokerDatas[i])
	}
	e.closeArr()
	e.key("filterServerTable")
	e.open()
	for _, k := range sortedKeys(r.FilterServerTable) {
		e.key(k)
		e.strList(r.FilterServerTable[k])
	}
	e.close()
	if r.OrderTopicConf != "" {
		e.key("orderTopicConf")
		e.str(r.OrderTopicConf)
	}
	e.key("queueDatas")
	e.openArr()
	for i := range r.QueueDatas {
		e.sep()
		e.queueData(&r.QueueDatas[i])
	}
	e.closeArr()
	e.close()
	return e.b
}

// Unmarshal reads a route in any of the forms Java writes.
func (r *TopicRouteData) Unmarshal(b []byte) error {
	*r = TopicRouteData{}
	return unmarshal(b, r)
}

// ClusterInfo is the GET_BROKER_CLUSTER_INFO body. Java always writes it in the bare-id form.
type ClusterInfo struct {
	BrokerAddrTable  map[string]*BrokerData `json:"brokerAddrTable"`
	ClusterAddrTable map[string][]string    `json:"clusterAddrTable"`
}

func (c *ClusterInfo) Marshal() []byte {
	e := encoder{b: make([]byte, 0, 256)}
	e.open()
	e.key("brokerAddrTable")
	e.open()
	for _, k := range sortedKeys(c.BrokerAddrTable) {
		e.key(k)
		e.brokerData(c.BrokerAddrTable[k])
	}
	e.close()
	e.key("clusterAddrTable")
	e.open()
	for _, k := range sortedKeys(c.ClusterAddrTable) {
		e.key(k)
		e.strList(c.ClusterAddrTable[k])
	}
	e.close()
	e.close()
	return e.b
}

func (c *ClusterInfo) Unmarshal(b []byte) error { *c = ClusterInfo{}; return unmarshal(b, c) }

// TopicList is the body of the topic-list requests; BrokerAddr is set only by
// GET_SYSTEM_TOPIC_LIST_FROM_NS. The Go admin parses it with encoding/json, and it is valid
// JSON.
type TopicList struct {
	TopicList  []string `json:"topicList"`
	BrokerAddr string   `json:"brokerAddr,omitempty"`
}

func (t *TopicList) Marshal() []byte {
	e := encoder{}
	e.open()
	if t.BrokerAddr != "" {
		e.key("brokerAddr")
		e.str(t.BrokerAddr)
	}
	e.key("topicList")
	e.strList(t.TopicList)
	e.close()
	return e.b
}

func (t *TopicList) Unmarshal(b []byte) error { *t = TopicList{}; return unmarshal(b, t) }

// KVTable is {"table":{k:v}}: GET_KVLIST_BY_NAMESPACE, GET_BROKER_RUNTIME_INFO and the
// REGISTER_BROKER response body (order topic config).
type KVTable struct {
	Table map[string]string `json:"table"`
}

func (t *KVTable) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("table")
	e.open()
	for _, k := range sortedKeys(t.Table) {
		e.key(k)
		e.str(t.Table[k])
	}
	e.close()
	e.close()
	return e.b
}

func (t *KVTable) Unmarshal(b []byte) error { *t = KVTable{}; return unmarshal(b, t) }

// GroupList is {"groupList":[…]} (QUERY_TOPIC_CONSUME_BY_WHO).
type GroupList struct {
	GroupList []string `json:"groupList"`
}

func (g *GroupList) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("groupList")
	e.strList(g.GroupList)
	e.close()
	return e.b
}

func (g *GroupList) Unmarshal(b []byte) error { *g = GroupList{}; return unmarshal(b, g) }

// GetConsumerListByGroupResponseBody is {"consumerIdList":[…]}.
type GetConsumerListByGroupResponseBody struct {
	ConsumerIDList []string `json:"consumerIdList"`
}

func (g *GetConsumerListByGroupResponseBody) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("consumerIdList")
	e.strList(g.ConsumerIDList)
	e.close()
	return e.b
}

func (g *GetConsumerListByGroupResponseBody) Unmarshal(b []byte) error {
	*g = GetConsumerListByGroupResponseBody{}
	return unmarshal(b, g)
}

// QueryCorrectionOffsetBody is {"correctionOffsets":{0:10}} with bare integer keys.
type QueryCorrectionOffsetBody struct {
	CorrectionOffsets map[int32]int64 `json:"correctionOffsets"`
}

func (q *QueryCorrectionOffsetBody) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("correctionOffsets")
	e.int32Map(q.CorrectionOffsets)
	e.close()
	return e.b
}

func (q *QueryCorrectionOffsetBody) Unmarshal(b []byte) error {
	*q = QueryCorrectionOffsetBody{}
	return unmarshal(b, q)
}

func (e *encoder) int32Map(m map[int32]int64) {
	e.open()
	for _, k := range sortedKeys(m) {
		e.intKey(int64(k))
		e.i64(m[k])
	}
	e.close()
}

// itoa is strconv.Itoa for int32.
func itoa(v int32) string { return strconv.Itoa(int(v)) }

// NamespaceOrderTopicConfig is the KV namespace holding order-topic configuration
// ("brokerName:queueNum;…" per topic), returned to registering brokers and used for
// orderTopicConf in routes.
const NamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// RegisterBrokerResult is what a NameServer tells a registering broker: the response header's
// master addresses and, as the body, the ORDER_TOPIC_CONFIG namespace as a KVTable (no body
// when that namespace is empty).
type RegisterBrokerResult struct {
	HaServerAddr string
	MasterAddr   string
	KVTable      map[string]string
}

// Encode fills a REGISTER_BROKER response: header fields into ext, and the body to send (nil
// when there is no order config).
func (r *RegisterBrokerResult) Encode(ext *remoting.ExtFields) []byte {
	h := RegisterBrokerResponseHeader{HaServerAddr: r.HaServerAddr, MasterAddr: r.MasterAddr}
	h.Encode(ext)
	if len(r.KVTable) == 0 {
		return nil
	}
	return (&KVTable{Table: r.KVTable}).Marshal()
}

// Decode reads a REGISTER_BROKER response.
func (r *RegisterBrokerResult) Decode(ext remoting.ExtFields, body []byte) error {
	var h RegisterBrokerResponseHeader
	_ = h.Decode(ext)
	*r = RegisterBrokerResult{HaServerAddr: h.HaServerAddr, MasterAddr: h.MasterAddr}
	if len(body) == 0 {
		return nil
	}
	var kv KVTable
	if err := kv.Unmarshal(body); err != nil {
		return err
	}
	r.KVTable = kv.Table
	return nil
}
