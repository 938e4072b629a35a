package protocol

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// Bodies of the consumer and admin flows (§5.4–5.13).

// Subscription expression types.
const (
	ExpressionTypeTag   = "TAG"
	ExpressionTypeSQL92 = "SQL92"
	SubAll              = "*"
)

// CodeSet holds the tag hash codes of a subscription. Java sends numbers, the Go client sends
// strings ("2598919"); both decode.
type CodeSet []int32

// UnmarshalJSON accepts numbers and numeric strings.
func (c *CodeSet) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*c = nil
		return nil
	}
	var raw []any
	if err := jsonAPI.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(CodeSet, 0, len(raw))
	for _, v := range raw {
		switch x := v.(type) {
		case float64:
			out = append(out, int32(x))
		case string:
			n, ok := parseInt32(x)
			if !ok {
				return errors.New("protocol: codeSet element " + strconv.Quote(x) + " is not a number")
			}
			out = append(out, n)
		default:
			return errors.New("protocol: codeSet element is neither number nor string")
		}
	}
	*c = out
	return nil
}

// SubscriptionData is what a consumer subscribes to in one topic.
type SubscriptionData struct {
	ClassFilterMode bool     `json:"classFilterMode"`
	Topic           string   `json:"topic"`
	SubString       string   `json:"subString"`
	TagsSet         []string `json:"tagsSet"`
	CodeSet         CodeSet  `json:"codeSet"`
	// SubVersion is a millisecond timestamp from Java, nanoseconds from the Go client.
	SubVersion     int64  `json:"subVersion"`
	ExpressionType string `json:"expressionType"`
}

func (e *encoder) subscriptionData(s *SubscriptionData) {
	e.open()
	e.key("classFilterMode")
	e.bool(s.ClassFilterMode)
	e.key("codeSet")
	e.openArr()
	for _, c := range s.CodeSet {
		e.sep()
		e.i64(int64(c))
	}
	e.closeArr()
	if s.ExpressionType != "" {
		e.key("expressionType")
		e.str(s.ExpressionType)
	}
	e.key("subString")
	e.str(s.SubString)
	e.key("subVersion")
	e.i64(s.SubVersion)
	e.key("tagsSet")
	e.strList(s.TagsSet)
	e.key("topic")
	e.str(s.Topic)
	e.close()
}

// ConsumerData is one consumer group of a client in a heartbeat.
type ConsumerData struct {
	GroupName           string             `json:"groupName"`
	ConsumeType         string             `json:"consumeType"`      // CONSUME_PASSIVELY (push) / CONSUME_ACTIVELY (pull)
	MessageModel        string             `json:"messageModel"`     // CLUSTERING / BROADCASTING
	ConsumeFromWhere    string             `json:"consumeFromWhere"` // CONSUME_FROM_LAST_OFFSET, …
	SubscriptionDataSet []SubscriptionData `json:"subscriptionDataSet"`
	UnitMode            bool               `json:"unitMode"`
}

// Enum names used in ConsumerData.
const (
	ConsumeActively               = "CONSUME_ACTIVELY"
	ConsumePassively              = "CONSUME_PASSIVELY"
	MessageModelClustering        = "CLUSTERING"
	MessageModelBroadcasting      = "BROADCASTING"
	ConsumeFromLastOffset         = "CONSUME_FROM_LAST_OFFSET"
	ConsumeFromFirstOffset        = "CONSUME_FROM_FIRST_OFFSET"
	ConsumeFromTimestamp          = "CONSUME_FROM_TIMESTAMP"
	ConsumeFromMinOffset          = "CONSUME_FROM_MIN_OFFSET"
	ConsumeFromMaxOffset          = "CONSUME_FROM_MAX_OFFSET"
	ConsumeFromLastOffsetAndMinWB = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST"
)

// ProducerData names one producer group of a client.
type ProducerData struct {
	GroupName string `json:"groupName"`
}

// HeartbeatData is the HEART_BEAT body.
type HeartbeatData struct {
	ClientID        string         `json:"clientID"`
	ProducerDataSet []ProducerData `json:"producerDataSet"`
	ConsumerDataSet []ConsumerData `json:"consumerDataSet"`
	// 5.x clients add these two; nil when absent, and then not written.
	HeartbeatFingerprint *int32 `json:"heartbeatFingerprint"`
	WithoutSub           *bool  `json:"withoutSub"`
}

// Marshal writes the Java client's form.
func (h *HeartbeatData) Marshal() []byte {
	e := encoder{b: make([]byte, 0, 512)}
	e.open()
	e.key("clientID")
	e.str(h.ClientID)
	e.key("consumerDataSet")
	e.openArr()
	for i := range h.ConsumerDataSet {
		c := &h.ConsumerDataSet[i]
		e.sep()
		e.open()
		e.key("consumeFromWhere")
		e.str(c.ConsumeFromWhere)
		e.key("consumeType")
		e.str(c.ConsumeType)
		e.key("groupName")
		e.str(c.GroupName)
		e.key("messageModel")
		e.str(c.MessageModel)
		e.key("subscriptionDataSet")
		e.openArr()
		for j := range c.SubscriptionDataSet {
			e.sep()
			e.subscriptionData(&c.SubscriptionDataSet[j])
		}
		e.closeArr()
		e.key("unitMode")
		e.bool(c.UnitMode)
		e.close()
	}
	e.closeArr()
	if h.HeartbeatFingerprint != nil {
		e.key("heartbeatFingerprint")
		e.i64(int64(*h.HeartbeatFingerprint))
	}
	e.key("producerDataSet")
	e.openArr()
	for _, p := range h.ProducerDataSet {
		e.sep()
		e.open()
		e.key("groupName")
		e.str(p.GroupName)
		e.close()
	}
	e.closeArr()
	if h.WithoutSub != nil {
		e.key("withoutSub")
		e.bool(*h.WithoutSub)
	}
	e.close()
	return e.b
}

// Unmarshal reads a heartbeat from Java (4.9.x, 5.x) or Go clients.
func (h *HeartbeatData) Unmarshal(b []byte) error { *h = HeartbeatData{}; return unmarshal(b, h) }

// LockBatchRequestBody is the LOCK_BATCH_MQ body; UNLOCK_BATCH_MQ uses the same shape.
type LockBatchRequestBody struct {
	ConsumerGroup  string         `json:"consumerGroup"`
	ClientID       string         `json:"clientId"`
	MQSet          []MessageQueue `json:"mqSet"`
	OnlyThisBroker bool           `json:"onlyThisBroker,omitempty"` // 5.x
}

// UnlockBatchRequestBody is the UNLOCK_BATCH_MQ body.
type UnlockBatchRequestBody = LockBatchRequestBody

func (l *LockBatchRequestBody) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("clientId")
	e.str(l.ClientID)
	e.key("consumerGroup")
	e.str(l.ConsumerGroup)
	e.key("mqSet")
	e.mqList(l.MQSet)
	if l.OnlyThisBroker {
		e.key("onlyThisBroker")
		e.bool(true)
	}
	e.close()
	return e.b
}

func (l *LockBatchRequestBody) Unmarshal(b []byte) error {
	*l = LockBatchRequestBody{}
	return unmarshal(b, l)
}

// LockBatchResponseBody lists the queues the broker locked for the client.
type LockBatchResponseBody struct {
	LockOKMQSet []MessageQueue `json:"lockOKMQSet"`
}

func (l *LockBatchResponseBody) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("lockOKMQSet")
	e.mqList(l.LockOKMQSet)
	e.close()
	return e.b
}

func (l *LockBatchResponseBody) Unmarshal(b []byte) error {
	*l = LockBatchResponseBody{}
	return unmarshal(b, l)
}

// OffsetWrapper is one queue's progress in ConsumeStats.
type OffsetWrapper struct {
	BrokerOffset   int64 `json:"brokerOffset"`
	ConsumerOffset int64 `json:"consumerOffset"`
	LastTimestamp  int64 `json:"lastTimestamp"`
	PullOffset     int64 `json:"pullOffset,omitempty"` // 5.x
}

// ConsumeStats is the GET_CONSUME_STATS body.
type ConsumeStats struct {
	OffsetTable map[MessageQueue]OffsetWrapper
	ConsumeTps  float64
}

func (e *encoder) consumeStats(c *ConsumeStats) {
	e.open()
	e.key("consumeTps")
	e.f64(c.ConsumeTps)
	e.key("offsetTable")
	mqMap(e, c.OffsetTable, func(e *encoder, w OffsetWrapper) {
		e.open()
		e.key("brokerOffset")
		e.i64(w.BrokerOffset)
		e.key("consumerOffset")
		e.i64(w.ConsumerOffset)
		e.key("lastTimestamp")
		e.i64(w.LastTimestamp)
		if w.PullOffset != 0 {
			e.key("pullOffset")
			e.i64(w.PullOffset)
		}
		e.close()
	})
	e.close()
}

func (c *ConsumeStats) Marshal() []byte {
	e := encoder{}
	e.consumeStats(c)
	return e.b
}

type consumeStatsJSON struct {
	OffsetTable map[string]OffsetWrapper `json:"offsetTable"`
	ConsumeTps  float64                  `json:"consumeTps"`
}

func (j *consumeStatsJSON) into(c *ConsumeStats) (err error) {
	c.ConsumeTps = j.ConsumeTps
	c.OffsetTable, err = decodeMQMap(j.OffsetTable)
	return err
}

func (c *ConsumeStats) Unmarshal(b []byte) error {
	*c = ConsumeStats{}
	var j consumeStatsJSON
	if err := unmarshal(b, &j); err != nil {
		return err
	}
	return j.into(c)
}

// ComputeTotalDiff is ConsumeStats.computeTotalDiff: the sum of brokerOffset−consumerOffset.
func (c *ConsumeStats) ComputeTotalDiff() int64 {
	var d int64
	for _, w := range c.OffsetTable {
		d += w.BrokerOffset - w.ConsumerOffset
	}
	return d
}

// ConsumeStatsList is the GET_BROKER_CONSUME_STATS body.
type ConsumeStatsList struct {
	BrokerAddr       string
	TotalDiff        int64
	ConsumeStatsList []map[string][]ConsumeStats
}

func (l *ConsumeStatsList) Marshal() []byte {
	e := encoder{}
	e.open()
	if l.BrokerAddr != "" {
		e.key("brokerAddr")
		e.str(l.BrokerAddr)
	}
	e.key("consumeStatsList")
	e.openArr()
	for _, m := range l.ConsumeStatsList {
		e.sep()
		e.open()
		for _, g := range sortedKeys(m) {
			e.key(g)
			e.openArr()
			for i := range m[g] {
				e.sep()
				e.consumeStats(&m[g][i])
			}
			e.closeArr()
		}
		e.close()
	}
	e.closeArr()
	e.key("totalDiff")
	e.i64(l.TotalDiff)
	e.close()
	return e.b
}

func (l *ConsumeStatsList) Unmarshal(b []byte) error {
	*l = ConsumeStatsList{}
	var j struct {
		BrokerAddr       string                          `json:"brokerAddr"`
		TotalDiff        int64                           `json:"totalDiff"`
		ConsumeStatsList []map[string][]consumeStatsJSON `json:"consumeStatsList"`
	}
	if err := unmarshal(b, &j); err != nil {
		return err
	}
	l.BrokerAddr, l.TotalDiff = j.BrokerAddr, j.TotalDiff
	for _, m := range j.ConsumeStatsList {
		out := make(map[string][]ConsumeStats, len(m))
		for g, list := range m {
			for i := range list {
				var c ConsumeStats
				if err := list[i].into(&c); err != nil {
					return err
				}
				out[g] = append(out[g], c)
			}
		}
		l.ConsumeStatsList = append(l.ConsumeStatsList, out)
	}
	return nil
}

// TopicOffset is one queue's range in TopicStatsTable.
type TopicOffset struct {
	MinOffset           int64 `json:"minOffset"`
	MaxOffset           int64 `json:"maxOffset"`
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"`
}

// TopicStatsTable is the GET_TOPIC_STATS_INFO body.
type TopicStatsTable struct {
	OffsetTable map[MessageQueue]TopicOffset
}

func (t *TopicStatsTable) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("offsetTable")
	mqMap(&e, t.OffsetTable, func(e *encoder, o TopicOffset) {
		e.open()
		e.key("lastUpdateTimestamp")
		e.i64(o.LastUpdateTimestamp)
		e.key("maxOffset")
		e.i64(o.MaxOffset)
		e.key("minOffset")
		e.i64(o.MinOffset)
		e.close()
	})
	e.close()
	return e.b
}

func (t *TopicStatsTable) Unmarshal(b []byte) (err error) {
	*t = TopicStatsTable{}
	var j struct {
		OffsetTable map[string]TopicOffset `json:"offsetTable"`
	}
	if err := unmarshal(b, &j); err != nil {
		return err
	}
	t.OffsetTable, err = decodeMQMap(j.OffsetTable)
	return err
}

// Connection is one client connection as the broker sees it.
type Connection struct {
	ClientID   string `json:"clientId"`
	ClientAddr string `json:"clientAddr"`
	Language   string `json:"language"`
	Version    int32  `json:"version"`
}

func (e *encoder) connections(list []Connection) {
	e.openArr()
	for _, c := range list {
		e.sep()
		e.open()
		e.key("clientAddr")
		e.str(c.ClientAddr)
		e.key("clientId")
		e.str(c.ClientID)
		e.key("language")
		e.str(c.Language)
		e.key("version")
		e.i64(int64(c.Version))
		e.close()
	}
	e.closeArr()
}

// ConsumerConnection is the GET_CONSUMER_CONNECTION_LIST body.
type ConsumerConnection struct {
	ConnectionSet     []Connection                 `json:"connectionSet"`
	SubscriptionTable map[string]*SubscriptionData `json:"subscriptionTable"`
	ConsumeType       string                       `json:"consumeType"`
	MessageModel      string                       `json:"messageModel"`
	ConsumeFromWhere  string                       `json:"consumeFromWhere"`
}

func (c *ConsumerConnection) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("connectionSet")
	e.connections(c.ConnectionSet)
	if c.ConsumeFromWhere != "" {
		e.key("consumeFromWhere")
		e.str(c.ConsumeFromWhere)
	}
	if c.ConsumeType != "" {
		e.key("consumeType")
		e.str(c.ConsumeType)
	}
	if c.MessageModel != "" {
		e.key("messageModel")
		e.str(c.MessageModel)
	}
	e.key("subscriptionTable")
	e.open()
	for _, k := range sortedKeys(c.SubscriptionTable) {
		e.key(k)
		e.subscriptionData(c.SubscriptionTable[k])
	}
	e.close()
	e.close()
	return e.b
}

func (c *ConsumerConnection) Unmarshal(b []byte) error {
	*c = ConsumerConnection{}
	return unmarshal(b, c)
}

// ProducerConnection is the GET_PRODUCER_CONNECTION_LIST body.
type ProducerConnection struct {
	ConnectionSet []Connection `json:"connectionSet"`
}

func (p *ProducerConnection) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("connectionSet")
	e.connections(p.ConnectionSet)
	e.close()
	return e.b
}

func (p *ProducerConnection) Unmarshal(b []byte) error {
	*p = ProducerConnection{}
	return unmarshal(b, p)
}

// ResetOffsetBody is the body of INVOKE_BROKER_TO_RESET_OFFSET's answer and of
// RESET_CONSUMER_CLIENT_OFFSET. It must be in fastjson's object-key form: the Go client
// parses only that.
type ResetOffsetBody struct {
	OffsetTable map[MessageQueue]int64
}

func (r *ResetOffsetBody) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("offsetTable")
	mqMap(&e, r.OffsetTable, func(e *encoder, v int64) { e.i64(v) })
	e.close()
	return e.b
}

func (r *ResetOffsetBody) Unmarshal(b []byte) (err error) {
	*r = ResetOffsetBody{}
	var j struct {
		OffsetTable map[string]int64 `json:"offsetTable"`
	}
	if err := unmarshal(b, &j); err != nil {
		return err
	}
	r.OffsetTable, err = decodeMQMap(j.OffsetTable)
	return err
}

// GetConsumerStatusBody is the GET_CONSUMER_STATUS_FROM_CLIENT answer and the
// INVOKE_BROKER_TO_GET_CONSUMER_STATUS body.
type GetConsumerStatusBody struct {
	MessageQueueTable map[MessageQueue]int64
	ConsumerTable     map[string]map[MessageQueue]int64
}

func (g *GetConsumerStatusBody) Marshal() []byte {
	e := encoder{}
	val := func(e *encoder, v int64) { e.i64(v) }
	e.open()
	e.key("consumerTable")
	e.open()
	for _, k := range sortedKeys(g.ConsumerTable) {
		e.key(k)
		mqMap(&e, g.ConsumerTable[k], val)
	}
	e.close()
	e.key("messageQueueTable")
	mqMap(&e, g.MessageQueueTable, val)
	e.close()
	return e.b
}

func (g *GetConsumerStatusBody) Unmarshal(b []byte) (err error) {
	*g = GetConsumerStatusBody{}
	var j struct {
		MessageQueueTable map[string]int64            `json:"messageQueueTable"`
		ConsumerTable     map[string]map[string]int64 `json:"consumerTable"`
	}
	if err := unmarshal(b, &j); err != nil {
		return err
	}
	if g.MessageQueueTable, err = decodeMQMap(j.MessageQueueTable); err != nil {
		return err
	}
	if j.ConsumerTable != nil {
		g.ConsumerTable = make(map[string]map[MessageQueue]int64, len(j.ConsumerTable))
		for k, v := range j.ConsumerTable {
			if g.ConsumerTable[k], err = decodeMQMap(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// QueueTimeSpan is one queue's entry in QueryConsumeTimeSpanBody.
type QueueTimeSpan struct {
	MessageQueue     MessageQueue `json:"messageQueue"`
	MinTimeStamp     int64        `json:"minTimeStamp"`
	MaxTimeStamp     int64        `json:"maxTimeStamp"`
	ConsumeTimeStamp int64        `json:"consumeTimeStamp"`
	DelayTime        int64        `json:"delayTime"`
}

// QueryConsumeTimeSpanBody is the QUERY_CONSUME_TIME_SPAN body.
type QueryConsumeTimeSpanBody struct {
	ConsumeTimeSpanSet []QueueTimeSpan `json:"consumeTimeSpanSet"`
}

// Marshal writes the body with the three derived *Str properties fastjson adds from
// QueueTimeSpan's getters, formatted yyyy-MM-dd#HH:mm:ss:SSS in loc (Java uses the broker's
// default time zone).
func (q *QueryConsumeTimeSpanBody) Marshal(loc *time.Location) []byte {
	e := encoder{}
	ts := func(name string, ms int64) {
		e.key(name)
		e.i64(ms)
		e.key(name + "Str")
		// Go has no layout for ":SSS"; format ".000" and swap the separator.
		v := []byte(time.UnixMilli(ms).In(loc).Format("2006-01-02#15:04:05.000"))
		v[len(v)-4] = ':'
		e.str(string(v))
	}
	e.open()
	e.key("consumeTimeSpanSet")
	e.openArr()
	for _, s := range q.ConsumeTimeSpanSet {
		e.sep()
		e.open()
		ts("consumeTimeStamp", s.ConsumeTimeStamp)
		e.key("delayTime")
		e.i64(s.DelayTime)
		ts("maxTimeStamp", s.MaxTimeStamp)
		e.key("messageQueue")
		e.mq(s.MessageQueue)
		ts("minTimeStamp", s.MinTimeStamp)
		e.close()
	}
	e.closeArr()
	e.close()
	return e.b
}

func (q *QueryConsumeTimeSpanBody) Unmarshal(b []byte) error {
	*q = QueryConsumeTimeSpanBody{}
	return unmarshal(b, q)
}

// CheckClientRequestBody is the CHECK_CLIENT_CONFIG (46) body a Java consumer with a non-TAG
// subscription sends at start-up; any non-zero answer fails the consumer's start.
type CheckClientRequestBody struct {
	ClientID         string            `json:"clientId"`
	Group            string            `json:"group"`
	SubscriptionData *SubscriptionData `json:"subscriptionData"`
}

func (c *CheckClientRequestBody) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("clientId")
	e.str(c.ClientID)
	e.key("group")
	e.str(c.Group)
	if c.SubscriptionData != nil {
		e.key("subscriptionData")
		e.subscriptionData(c.SubscriptionData)
	}
	e.close()
	return e.b
}

func (c *CheckClientRequestBody) Unmarshal(b []byte) error {
	*c = CheckClientRequestBody{}
	return unmarshal(b, c)
}

// ConsumeQueueData is one consume-queue unit in QUERY_CONSUME_QUEUE's answer. ExtendDataJSON,
// BitMap and Msg stay empty here: they describe the consume-queue extension file, which this
// broker does not write (enableConsumeQueueExt is off by default in Java too).
type ConsumeQueueData struct {
	PhysicOffset   int64  `json:"physicOffset"`
	PhysicSize     int32  `json:"physicSize"`
	TagsCode       int64  `json:"tagsCode"`
	ExtendDataJSON string `json:"extendDataJson,omitempty"`
	BitMap         string `json:"bitMap,omitempty"`
	Eval           bool   `json:"eval"`
	Msg            string `json:"msg,omitempty"`
}

// QueryConsumeQueueResponseBody is QUERY_CONSUME_QUEUE's (321) body. SubscriptionData and
// FilterData are set only when the request names a consumer group; QueueData is nil (left out)
// when the requested index holds no unit.
type QueryConsumeQueueResponseBody struct {
	SubscriptionData *SubscriptionData  `json:"subscriptionData,omitempty"`
	FilterData       string             `json:"filterData,omitempty"`
	QueueData        []ConsumeQueueData `json:"queueData,omitempty"`
	MaxQueueIndex    int64              `json:"maxQueueIndex"`
	MinQueueIndex    int64              `json:"minQueueIndex"`
}

// Marshal writes the body as fastjson does: properties in name order, absent ones left out.
func (q *QueryConsumeQueueResponseBody) Marshal() []byte {
	e := encoder{}
	e.open()
	if q.FilterData != "" {
		e.key("filterData")
		e.str(q.FilterData)
	}
	e.key("maxQueueIndex")
	e.i64(q.MaxQueueIndex)
	e.key("minQueueIndex")
	e.i64(q.MinQueueIndex)
	if q.QueueData != nil {
		e.key("queueData")
		e.openArr()
		for i := range q.QueueData {
			d := &q.QueueData[i]
			e.sep()
			e.open()
			if d.BitMap != "" {
				e.key("bitMap")
				e.str(d.BitMap)
			}
			e.key("eval")
			e.bool(d.Eval)
			if d.ExtendDataJSON != "" {
				e.key("extendDataJson")
				e.str(d.ExtendDataJSON)
			}
			if d.Msg != "" {
				e.key("msg")
				e.str(d.Msg)
			}
			e.key("physicOffset")
			e.i64(d.PhysicOffset)
			e.key("physicSize")
			e.i64(int64(d.PhysicSize))
			e.key("tagsCode")
			e.i64(d.TagsCode)
			e.close()
		}
		e.closeArr()
	}
	if q.SubscriptionData != nil {
		e.key("subscriptionData")
		e.subscriptionData(q.SubscriptionData)
	}
	e.close()
	return e.b
}
