package protocol

import "github.com/rocketgo/rocketgo/remoting"

// Typed headers of the less frequent requests and responses. Each is a view of extFields with
// Java's field names; `*` marks @CFNotNull fields, whose absence Decode reports with
// MissingFieldError. Encode writes the fields and then puts the whole map in Java's HashMap
// order (SortJavaOrder), so frames we send look like a Java peer's.

// ---- NameServer ----

// RegisterBrokerRequestHeader is REGISTER_BROKER (103); the body is RegisterBrokerBody.
type RegisterBrokerRequestHeader struct {
	BrokerName   string // *
	BrokerAddr   string // *
	ClusterName  string // *
	HaServerAddr string // *
	BrokerID     int64  // *
	Compressed   bool
	BodyCrc32    int32 // 0 = not checked
	// 5.x only.
	HeartbeatTimeoutMillis int64 // 0 when absent
	EnableActingMaster     bool
}

func (h *RegisterBrokerRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.BrokerName = r.str("brokerName")
	h.BrokerAddr = r.str("brokerAddr")
	h.ClusterName = r.str("clusterName")
	h.HaServerAddr = r.str("haServerAddr")
	h.BrokerID = r.i64("brokerId")
	h.Compressed = r.h.Bool("compressed")
	h.BodyCrc32 = r.h.OptInt32("bodyCrc32", 0)
	h.HeartbeatTimeoutMillis = r.h.OptInt64("heartbeatTimeoutMillis", 0)
	h.EnableActingMaster = r.h.Bool("enableActingMaster")
	return r.err
}

func (h *RegisterBrokerRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("brokerName", h.BrokerName)
	w.str("brokerAddr", h.BrokerAddr)
	w.str("clusterName", h.ClusterName)
	w.str("haServerAddr", h.HaServerAddr)
	w.i64("brokerId", h.BrokerID)
	w.b("compressed", h.Compressed)
	w.i32("bodyCrc32", h.BodyCrc32)
	if h.HeartbeatTimeoutMillis != 0 {
		w.i64("heartbeatTimeoutMillis", h.HeartbeatTimeoutMillis)
	}
	SortJavaOrder(*ext)
}

// RegisterBrokerResponseHeader carries the master's addresses to a registering slave; both are
// empty (absent) for a master. Java's NameServer answers with "extFields":{} in that case, so a
// response should carry a non-nil, possibly empty, ExtFields.
type RegisterBrokerResponseHeader struct {
	HaServerAddr string
	MasterAddr   string
}

func (h *RegisterBrokerResponseHeader) Decode(ext remoting.ExtFields) error {
	h.HaServerAddr, h.MasterAddr = ext.Value("haServerAddr"), ext.Value("masterAddr")
	return nil
}

func (h *RegisterBrokerResponseHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.optStr("haServerAddr", h.HaServerAddr)
	w.optStr("masterAddr", h.MasterAddr)
	SortJavaOrder(*ext)
}

// BrokerIdentityHeader is the header of UNREGISTER_BROKER (104) and QUERY_DATA_VERSION (322):
// the four fields that name one broker instance.
type BrokerIdentityHeader struct {
	BrokerName  string // *
	BrokerAddr  string // *
	ClusterName string // *
	BrokerID    int64  // *
}

func (h *BrokerIdentityHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.BrokerName = r.str("brokerName")
	h.BrokerAddr = r.str("brokerAddr")
	h.ClusterName = r.str("clusterName")
	h.BrokerID = r.i64("brokerId")
	return r.err
}

func (h *BrokerIdentityHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("brokerName", h.BrokerName)
	w.str("brokerAddr", h.BrokerAddr)
	w.str("clusterName", h.ClusterName)
	w.i64("brokerId", h.BrokerID)
	SortJavaOrder(*ext)
}

// UnRegisterBrokerRequestHeader is UNREGISTER_BROKER (104).
type UnRegisterBrokerRequestHeader = BrokerIdentityHeader

// QueryDataVersionRequestHeader is QUERY_DATA_VERSION (322); the body is the DataVersion JSON.
type QueryDataVersionRequestHeader = BrokerIdentityHeader

// QueryDataVersionResponseHeader tells the broker whether its data version differs.
type QueryDataVersionResponseHeader struct {
	Changed bool // *
}

func (h *QueryDataVersionResponseHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Changed = parseBool(r.str("changed"))
	return r.err
}

func (h *QueryDataVersionResponseHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).b("changed", h.Changed)
}

// GetRouteInfoRequestHeader is GET_ROUTEINFO_BY_TOPIC (105).
type GetRouteInfoRequestHeader struct {
	Topic                  string // *
	AcceptStandardJSONOnly bool
}

func (h *GetRouteInfoRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Topic = r.str("topic")
	h.AcceptStandardJSONOnly = r.h.Bool("acceptStandardJsonOnly")
	return r.err
}

func (h *GetRouteInfoRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("topic", h.Topic)
	if h.AcceptStandardJSONOnly {
		w.b("acceptStandardJsonOnly", true)
	}
	SortJavaOrder(*ext)
}

// KVConfigHeader is PUT_KV_CONFIG (100: all three required), GET_KV_CONFIG (101) and
// DELETE_KV_CONFIG (102) (namespace and key required), and GET_KVLIST_BY_NAMESPACE (219:
// namespace only). DecodeFor checks the fields the code requires.
type KVConfigHeader struct {
	Namespace string
	Key       string
	Value     string
}

// DecodeFor reads the header of request code.
func (h *KVConfigHeader) DecodeFor(code int32, ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Namespace = r.str("namespace")
	switch code {
	case PutKvConfig:
		h.Key = r.str("key")
		h.Value = r.str("value")
	case GetKvConfig, DeleteKvConfig:
		h.Key = r.str("key")
	}
	return r.err
}

func (h *KVConfigHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("namespace", h.Namespace)
	w.optStr("key", h.Key)
	w.optStr("value", h.Value)
	SortJavaOrder(*ext)
}

// GetKVConfigResponseHeader answers GET_KV_CONFIG.
type GetKVConfigResponseHeader struct {
	Value string
}

func (h *GetKVConfigResponseHeader) Decode(ext remoting.ExtFields) error {
	h.Value = ext.Value("value")
	return nil
}

func (h *GetKVConfigResponseHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).optStr("value", h.Value)
}

// BrokerNameHeader is WIPE_WRITE_PERM_OF_BROKER (205) and ADD_WRITE_PERM_OF_BROKER (327).
type BrokerNameHeader struct {
	BrokerName string // *
}

func (h *BrokerNameHeader) Decode(ext remoting.ExtFields) (err error) {
	h.BrokerName, err = Header{ext}.Str("brokerName")
	return err
}

func (h *BrokerNameHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).str("brokerName", h.BrokerName)
}

// WipeWritePermOfBrokerResponseHeader answers 205 with the number of topics changed.
type WipeWritePermOfBrokerResponseHeader struct {
	WipeTopicCount int32 // *
}

func (h *WipeWritePermOfBrokerResponseHeader) Decode(ext remoting.ExtFields) (err error) {
	h.WipeTopicCount, err = Header{ext}.Int32("wipeTopicCount")
	return err
}

func (h *WipeWritePermOfBrokerResponseHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).i32("wipeTopicCount", h.WipeTopicCount)
}

// AddWritePermOfBrokerResponseHeader answers 327 with the number of topics changed.
type AddWritePermOfBrokerResponseHeader struct {
	AddTopicCount int32 // *
}

func (h *AddWritePermOfBrokerResponseHeader) Decode(ext remoting.ExtFields) (err error) {
	h.AddTopicCount, err = Header{ext}.Int32("addTopicCount")
	return err
}

func (h *AddWritePermOfBrokerResponseHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).i32("addTopicCount", h.AddTopicCount)
}

// DeleteTopicFromNamesrvRequestHeader is DELETE_TOPIC_IN_NAMESRV (216).
type DeleteTopicFromNamesrvRequestHeader struct {
	Topic       string // *
	ClusterName string
}

func (h *DeleteTopicFromNamesrvRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Topic = r.str("topic")
	h.ClusterName = ext.Value("clusterName")
	return r.err
}

func (h *DeleteTopicFromNamesrvRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("topic", h.Topic)
	w.optStr("clusterName", h.ClusterName)
	SortJavaOrder(*ext)
}

// GetTopicsByClusterRequestHeader is GET_TOPICS_BY_CLUSTER (224).
type GetTopicsByClusterRequestHeader struct {
	Cluster string // *
}

func (h *GetTopicsByClusterRequestHeader) Decode(ext remoting.ExtFields) (err error) {
	h.Cluster, err = Header{ext}.Str("cluster")
	return err
}

func (h *GetTopicsByClusterRequestHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).str("cluster", h.Cluster)
}

// ---- Broker: offsets ----

// QueueHeader is the (consumerGroup,) topic, queueId header shared by QUERY_CONSUMER_OFFSET (14,
// with group), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31) and GET_EARLIEST_MSG_STORETIME (32).
type QueueHeader struct {
	ConsumerGroup string // * for QUERY_CONSUMER_OFFSET only
	Topic         string // *
	QueueID       int32  // *
	BrokerName    string // bname
	// 5.x GET_MAX_OFFSET: committed (default true); QUERY_CONSUMER_OFFSET: setZeroIfNotFound.
	Committed         bool
	SetZeroIfNotFound bool
}

// DecodeFor reads the header of request code, requiring consumerGroup for
// QUERY_CONSUMER_OFFSET.
func (h *QueueHeader) DecodeFor(code int32, ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	if code == QueryConsumerOffset {
		h.ConsumerGroup = r.str("consumerGroup")
	} else {
		h.ConsumerGroup = ext.Value("consumerGroup")
	}
	h.Topic = r.str("topic")
	h.QueueID = r.i32("queueId")
	h.BrokerName = ext.Value("bname")
	h.Committed = true
	if v, ok := ext.Get("committed"); ok {
		h.Committed = parseBool(v)
	}
	h.SetZeroIfNotFound = r.h.Bool("setZeroIfNotFound")
	return r.err
}

func (h *QueueHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.optStr("bname", h.BrokerName) // RpcRequestHeader field: Java inserts it first
	w.optStr("consumerGroup", h.ConsumerGroup)
	w.str("topic", h.Topic)
	w.i32("queueId", h.QueueID)
	SortJavaOrder(*ext)
}

// UpdateConsumerOffsetRequestHeader is UPDATE_CONSUMER_OFFSET (15).
type UpdateConsumerOffsetRequestHeader struct {
	ConsumerGroup string // *
	Topic         string // *
	QueueID       int32  // *
	CommitOffset  int64  // *
	BrokerName    string
}

func (h *UpdateConsumerOffsetRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.ConsumerGroup = r.str("consumerGroup")
	h.Topic = r.str("topic")
	h.QueueID = r.i32("queueId")
	h.CommitOffset = r.i64("commitOffset")
	h.BrokerName = ext.Value("bname")
	return r.err
}

func (h *UpdateConsumerOffsetRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.optStr("bname", h.BrokerName) // RpcRequestHeader field: Java inserts it first
	w.str("consumerGroup", h.ConsumerGroup)
	w.str("topic", h.Topic)
	w.i32("queueId", h.QueueID)
	w.i64("commitOffset", h.CommitOffset)
	SortJavaOrder(*ext)
}

// SearchOffsetRequestHeader is SEARCH_OFFSET_BY_TIMESTAMP (29).
type SearchOffsetRequestHeader struct {
	Topic        string // *
	QueueID      int32  // *
	Timestamp    int64  // *
	BoundaryType string // 5.x: "lower" (default) or "upper"
	BrokerName   string
}

func (h *SearchOffsetRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Topic = r.str("topic")
	h.QueueID = r.i32("queueId")
	h.Timestamp = r.i64("timestamp")
	h.BoundaryType = ext.Value("boundaryType")
	h.BrokerName = ext.Value("bname")
	return r.err
}

func (h *SearchOffsetRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.optStr("bname", h.BrokerName) // RpcRequestHeader field: Java inserts it first
	w.str("topic", h.Topic)
	w.i32("queueId", h.QueueID)
	w.i64("timestamp", h.Timestamp)
	w.optStr("boundaryType", h.BoundaryType)
	SortJavaOrder(*ext)
}

// OffsetResponseHeader answers QUERY_CONSUMER_OFFSET, GET_MAX_OFFSET, GET_MIN_OFFSET and
// SEARCH_OFFSET_BY_TIMESTAMP: one required Long named "offset".
type OffsetResponseHeader struct {
	Offset int64 // *
}

func (h *OffsetResponseHeader) Decode(ext remoting.ExtFields) (err error) {
	h.Offset, err = Header{ext}.Int64("offset")
	return err
}

func (h *OffsetResponseHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).i64("offset", h.Offset)
}

// GetEarliestMsgStoretimeResponseHeader answers GET_EARLIEST_MSG_STORETIME.
type GetEarliestMsgStoretimeResponseHeader struct {
	Timestamp int64 // *
}

func (h *GetEarliestMsgStoretimeResponseHeader) Decode(ext remoting.ExtFields) (err error) {
	h.Timestamp, err = Header{ext}.Int64("timestamp")
	return err
}

func (h *GetEarliestMsgStoretimeResponseHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).i64("timestamp", h.Timestamp)
}

// ---- Broker: clients ----

// ConsumerGroupHeader is the one-field header of GET_CONSUMER_LIST_BY_GROUP (38),
// NOTIFY_CONSUMER_IDS_CHANGED (40) and GET_CONSUMER_CONNECTION_LIST (203).
type ConsumerGroupHeader struct {
	ConsumerGroup string // *
}

func (h *ConsumerGroupHeader) Decode(ext remoting.ExtFields) (err error) {
	h.ConsumerGroup, err = Header{ext}.Str("consumerGroup")
	return err
}

func (h *ConsumerGroupHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).str("consumerGroup", h.ConsumerGroup)
}

// UnregisterClientRequestHeader is UNREGISTER_CLIENT (35).
type UnregisterClientRequestHeader struct {
	ClientID      string // * (wire name clientID)
	ProducerGroup string
	ConsumerGroup string
}

func (h *UnregisterClientRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.ClientID = r.str("clientID")
	h.ProducerGroup = ext.Value("producerGroup")
	h.ConsumerGroup = ext.Value("consumerGroup")
	return r.err
}

func (h *UnregisterClientRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("clientID", h.ClientID)
	w.optStr("producerGroup", h.ProducerGroup)
	w.optStr("consumerGroup", h.ConsumerGroup)
	SortJavaOrder(*ext)
}

// ConsumerSendMsgBackRequestHeader is CONSUMER_SEND_MSG_BACK (36).
type ConsumerSendMsgBackRequestHeader struct {
	Offset               int64  // * commit-log offset of the message
	Group                string // *
	DelayLevel           int32  // *
	OriginMsgID          string
	OriginTopic          string
	UnitMode             bool
	MaxReconsumeTimes    int32 // valid when HasMaxReconsumeTimes
	HasMaxReconsumeTimes bool
	BrokerName           string
}

func (h *ConsumerSendMsgBackRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Offset = r.i64("offset")
	h.Group = r.str("group")
	h.DelayLevel = r.i32("delayLevel")
	h.OriginMsgID = ext.Value("originMsgId")
	h.OriginTopic = ext.Value("originTopic")
	h.UnitMode = r.h.Bool("unitMode")
	h.MaxReconsumeTimes, h.HasMaxReconsumeTimes = parseInt32(ext.Value("maxReconsumeTimes"))
	h.BrokerName = ext.Value("bname")
	return r.err
}

func (h *ConsumerSendMsgBackRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.optStr("bname", h.BrokerName) // RpcRequestHeader field: Java inserts it first
	w.i64("offset", h.Offset)
	w.str("group", h.Group)
	w.i32("delayLevel", h.DelayLevel)
	w.optStr("originMsgId", h.OriginMsgID)
	w.optStr("originTopic", h.OriginTopic)
	w.b("unitMode", h.UnitMode)
	if h.HasMaxReconsumeTimes {
		w.i32("maxReconsumeTimes", h.MaxReconsumeTimes)
	}
	SortJavaOrder(*ext)
}

// Transaction states of END_TRANSACTION's commitOrRollback (MessageSysFlag).
const (
	TransactionNotType      int32 = 0
	TransactionPreparedType int32 = 0x1 << 2
	TransactionCommitType   int32 = 0x2 << 2
	TransactionRollbackType int32 = 0x3 << 2
)

// EndTransactionRequestHeader is END_TRANSACTION (37).
type EndTransactionRequestHeader struct {
	ProducerGroup        string // *
	TranStateTableOffset int64  // *
	CommitLogOffset      int64  // *
	CommitOrRollback     int32  // * 0, 8 or 12
	FromTransactionCheck bool
	MsgID                string // *
	TransactionID        string
	BrokerName           string
}

func (h *EndTransactionRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.ProducerGroup = r.str("producerGroup")
	h.TranStateTableOffset = r.i64("tranStateTableOffset")
	h.CommitLogOffset = r.i64("commitLogOffset")
	h.CommitOrRollback = r.i32("commitOrRollback")
	h.FromTransactionCheck = r.h.Bool("fromTransactionCheck")
	h.MsgID = r.str("msgId")
	h.TransactionID = ext.Value("transactionId")
	h.BrokerName = ext.Value("bname")
	return r.err
}

func (h *EndTransactionRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.optStr("bname", h.BrokerName) // RpcRequestHeader field: Java inserts it first
	w.str("producerGroup", h.ProducerGroup)
	w.i64("tranStateTableOffset", h.TranStateTableOffset)
	w.i64("commitLogOffset", h.CommitLogOffset)
	w.i32("commitOrRollback", h.CommitOrRollback)
	w.b("fromTransactionCheck", h.FromTransactionCheck)
	w.str("msgId", h.MsgID)
	w.optStr("transactionId", h.TransactionID)
	SortJavaOrder(*ext)
}

// CheckTransactionStateRequestHeader is CHECK_TRANSACTION_STATE (39), broker → producer.
type CheckTransactionStateRequestHeader struct {
	TranStateTableOffset int64 // *
	CommitLogOffset      int64 // *
	MsgID                string
	TransactionID        string
	OffsetMsgID          string
	BrokerName           string
}

func (h *CheckTransactionStateRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.TranStateTableOffset = r.i64("tranStateTableOffset")
	h.CommitLogOffset = r.i64("commitLogOffset")
	h.MsgID = ext.Value("msgId")
	h.TransactionID = ext.Value("transactionId")
	h.OffsetMsgID = ext.Value("offsetMsgId")
	h.BrokerName = ext.Value("bname")
	return r.err
}

func (h *CheckTransactionStateRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.optStr("bname", h.BrokerName) // RpcRequestHeader field: Java inserts it first
	w.i64("tranStateTableOffset", h.TranStateTableOffset)
	w.i64("commitLogOffset", h.CommitLogOffset)
	w.optStr("msgId", h.MsgID)
	w.optStr("transactionId", h.TransactionID)
	w.optStr("offsetMsgId", h.OffsetMsgID)
	SortJavaOrder(*ext)
}

// ReplyMessageRequestHeader is PUSH_REPLY_MESSAGE_TO_CLIENT (326): a reply the broker pushes
// to its requester, the message fields of the replier's send header (Send; its batch and
// maxReconsumeTimes are not part of it) plus where and when it was stored.
type ReplyMessageRequestHeader struct {
	Send           SendMessageRequestHeader
	BornHost       string // ip:port
	StoreHost      string // ip:port
	StoreTimestamp int64
}

func (h *ReplyMessageRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	h.Send.encodeMessageFields(w)
	w.str("bornHost", h.BornHost)
	w.str("storeHost", h.StoreHost)
	w.i64("storeTimestamp", h.StoreTimestamp)
	SortJavaOrder(*ext)
}

// ---- Broker: messages ----

// ExtUniqueKeyQuery is the extra ext field of QUERY_MESSAGE asking for a UNIQ_KEY lookup.
const ExtUniqueKeyQuery = "_UNIQUE_KEY_QUERY"

// QueryMessageRequestHeader is QUERY_MESSAGE (12).
type QueryMessageRequestHeader struct {
	Topic          string // *
	Key            string // *
	MaxNum         int32  // *
	BeginTimestamp int64  // *
	EndTimestamp   int64  // *
	UniqueKeyQuery bool   // ext _UNIQUE_KEY_QUERY
}

func (h *QueryMessageRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Topic = r.str("topic")
	h.Key = r.str("key")
	h.MaxNum = r.i32("maxNum")
	h.BeginTimestamp = r.i64("beginTimestamp")
	h.EndTimestamp = r.i64("endTimestamp")
	h.UniqueKeyQuery = r.h.Bool(ExtUniqueKeyQuery)
	return r.err
}

func (h *QueryMessageRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("topic", h.Topic)
	w.str("key", h.Key)
	w.i32("maxNum", h.MaxNum)
	w.i64("beginTimestamp", h.BeginTimestamp)
	w.i64("endTimestamp", h.EndTimestamp)
	w.b(ExtUniqueKeyQuery, h.UniqueKeyQuery)
	SortJavaOrder(*ext)
}

// QueryMessageResponseHeader answers QUERY_MESSAGE.
type QueryMessageResponseHeader struct {
	IndexLastUpdateTimestamp int64 // *
	IndexLastUpdatePhyoffset int64 // *
}

func (h *QueryMessageResponseHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.IndexLastUpdateTimestamp = r.i64("indexLastUpdateTimestamp")
	h.IndexLastUpdatePhyoffset = r.i64("indexLastUpdatePhyoffset")
	return r.err
}

func (h *QueryMessageResponseHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.i64("indexLastUpdateTimestamp", h.IndexLastUpdateTimestamp)
	w.i64("indexLastUpdatePhyoffset", h.IndexLastUpdatePhyoffset)
	SortJavaOrder(*ext)
}

// ViewMessageRequestHeader is VIEW_MESSAGE_BY_ID (33): a commit-log offset.
type ViewMessageRequestHeader struct {
	Offset int64  // *
	Topic  string // 5.x
}

func (h *ViewMessageRequestHeader) Decode(ext remoting.ExtFields) (err error) {
	h.Offset, err = Header{ext}.Int64("offset")
	h.Topic = ext.Value("topic")
	return err
}

func (h *ViewMessageRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.i64("offset", h.Offset)
	w.optStr("topic", h.Topic)
	SortJavaOrder(*ext)
}

// ---- Broker: admin ----

// CreateTopicRequestHeader is UPDATE_AND_CREATE_TOPIC (17).
type CreateTopicRequestHeader struct {
	Topic           string // *
	DefaultTopic    string // *
	ReadQueueNums   int32  // *
	WriteQueueNums  int32  // *
	Perm            int32  // *
	TopicFilterType string // * SINGLE_TAG / MULTI_TAG
	TopicSysFlag    int32
	Order           bool // *
}

func (h *CreateTopicRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Topic = r.str("topic")
	h.DefaultTopic = r.str("defaultTopic")
	h.ReadQueueNums = r.i32("readQueueNums")
	h.WriteQueueNums = r.i32("writeQueueNums")
	h.Perm = r.i32("perm")
	h.TopicFilterType = r.str("topicFilterType")
	h.TopicSysFlag = r.h.OptInt32("topicSysFlag", 0)
	h.Order = parseBool(r.str("order"))
	return r.err
}

func (h *CreateTopicRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("topic", h.Topic)
	w.str("defaultTopic", h.DefaultTopic)
	w.i32("readQueueNums", h.ReadQueueNums)
	w.i32("writeQueueNums", h.WriteQueueNums)
	w.i32("perm", h.Perm)
	w.str("topicFilterType", h.TopicFilterType)
	w.i32("topicSysFlag", h.TopicSysFlag)
	w.b("order", h.Order)
	SortJavaOrder(*ext)
}

// TopicHeader is the one-field header of DELETE_TOPIC_IN_BROKER (215), GET_TOPIC_STATS_INFO
// (202) and QUERY_TOPIC_CONSUME_BY_WHO (300).
type TopicHeader struct {
	Topic string // *
}

func (h *TopicHeader) Decode(ext remoting.ExtFields) (err error) {
	h.Topic, err = Header{ext}.Str("topic")
	return err
}

func (h *TopicHeader) Encode(ext *remoting.ExtFields) { newWriter(ext).str("topic", h.Topic) }

// GetProducerConnectionListRequestHeader is GET_PRODUCER_CONNECTION_LIST (204).
type GetProducerConnectionListRequestHeader struct {
	ProducerGroup string // *
}

func (h *GetProducerConnectionListRequestHeader) Decode(ext remoting.ExtFields) (err error) {
	h.ProducerGroup, err = Header{ext}.Str("producerGroup")
	return err
}

func (h *GetProducerConnectionListRequestHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).str("producerGroup", h.ProducerGroup)
}

// GetConsumeStatsRequestHeader is GET_CONSUME_STATS (208).
type GetConsumeStatsRequestHeader struct {
	ConsumerGroup string // *
	Topic         string
}

func (h *GetConsumeStatsRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.ConsumerGroup = r.str("consumerGroup")
	h.Topic = ext.Value("topic")
	return r.err
}

func (h *GetConsumeStatsRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("consumerGroup", h.ConsumerGroup)
	w.optStr("topic", h.Topic)
	SortJavaOrder(*ext)
}

// DeleteSubscriptionGroupRequestHeader is DELETE_SUBSCRIPTIONGROUP (207).
type DeleteSubscriptionGroupRequestHeader struct {
	GroupName    string // *
	RemoveOffset bool
}

func (h *DeleteSubscriptionGroupRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.GroupName = r.str("groupName")
	h.RemoveOffset = r.h.Bool("removeOffset")
	return r.err
}

func (h *DeleteSubscriptionGroupRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("groupName", h.GroupName)
	w.b("removeOffset", h.RemoveOffset)
	SortJavaOrder(*ext)
}

// ResetOffsetRequestHeader is INVOKE_BROKER_TO_RESET_OFFSET (222) and, broker → client,
// RESET_CONSUMER_CLIENT_OFFSET (220).
type ResetOffsetRequestHeader struct {
	Topic     string // *
	Group     string // *
	Timestamp int64  // * −1 = max offset
	IsForce   bool   // *
}

func (h *ResetOffsetRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Topic = r.str("topic")
	h.Group = r.str("group")
	h.Timestamp = r.i64("timestamp")
	h.IsForce = parseBool(r.str("isForce"))
	return r.err
}

func (h *ResetOffsetRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("topic", h.Topic)
	w.str("group", h.Group)
	w.i64("timestamp", h.Timestamp)
	w.b("isForce", h.IsForce)
	SortJavaOrder(*ext)
}

// GetConsumerStatusRequestHeader is INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) and
// GET_CONSUMER_STATUS_FROM_CLIENT (221).
type GetConsumerStatusRequestHeader struct {
	Topic      string // *
	Group      string // *
	ClientAddr string
}

func (h *GetConsumerStatusRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.Topic = r.str("topic")
	h.Group = r.str("group")
	h.ClientAddr = ext.Value("clientAddr")
	return r.err
}

func (h *GetConsumerStatusRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("topic", h.Topic)
	w.str("group", h.Group)
	w.optStr("clientAddr", h.ClientAddr)
	SortJavaOrder(*ext)
}

// GetConsumerRunningInfoRequestHeader is GET_CONSUMER_RUNNING_INFO (307).
type GetConsumerRunningInfoRequestHeader struct {
	ConsumerGroup string // *
	ClientID      string // * (wire name clientId)
	JstackEnable  bool
}

func (h *GetConsumerRunningInfoRequestHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.ConsumerGroup = r.str("consumerGroup")
	h.ClientID = r.str("clientId")
	h.JstackEnable = r.h.Bool("jstackEnable")
	return r.err
}

func (h *GetConsumerRunningInfoRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("consumerGroup", h.ConsumerGroup)
	w.str("clientId", h.ClientID)
	w.b("jstackEnable", h.JstackEnable)
	SortJavaOrder(*ext)
}

// GetBrokerConfigResponseHeader answers GET_BROKER_CONFIG (26): version is the DataVersion JSON.
type GetBrokerConfigResponseHeader struct {
	Version string // *
}

func (h *GetBrokerConfigResponseHeader) Decode(ext remoting.ExtFields) (err error) {
	h.Version, err = Header{ext}.Str("version")
	return err
}

func (h *GetBrokerConfigResponseHeader) Encode(ext *remoting.ExtFields) {
	newWriter(ext).str("version", h.Version)
}
