package protocol

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
)

// Topic and group configuration: the broker's persisted files (topics.json,
// subscriptionGroup.json, consumerOffset.json, delayOffset.json, consumerFilter.json) and the
// REGISTER_BROKER body. Files are written with Pretty(Marshal()), as Java's persist() does.

// Topic filter types.
const (
	TopicFilterSingleTag = "SINGLE_TAG"
	TopicFilterMultiTag  = "MULTI_TAG"
)

// TopicConfig is one topic's configuration (Java TopicConfig).
type TopicConfig struct {
	TopicName       string `json:"topicName"`
	ReadQueueNums   int32  `json:"readQueueNums"`
	WriteQueueNums  int32  `json:"writeQueueNums"`
	Perm            int32  `json:"perm"`
	TopicFilterType string `json:"topicFilterType"`
	TopicSysFlag    int32  `json:"topicSysFlag"`
	Order           bool   `json:"order"`
	// Attributes is 5.x only; written when non-nil.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// DefaultTopicQueueNums is TopicConfig's own default queue count.
const DefaultTopicQueueNums = 16

// NewTopicConfig returns a topic with Java's defaults: 16 read and write queues, perm RW,
// SINGLE_TAG.
func NewTopicConfig(name string) *TopicConfig {
	return &TopicConfig{TopicName: name, ReadQueueNums: DefaultTopicQueueNums, WriteQueueNums: DefaultTopicQueueNums,
		Perm: PermRead | PermWrite, TopicFilterType: TopicFilterSingleTag}
}

func (e *encoder) topicConfig(t *TopicConfig) {
	e.open()
	if t.Attributes != nil {
		e.key("attributes")
		e.strMap(t.Attributes)
	}
	e.key("order")
	e.bool(t.Order)
	e.key("perm")
	e.i64(int64(t.Perm))
	e.key("readQueueNums")
	e.i64(int64(t.ReadQueueNums))
	e.key("topicFilterType")
	if t.TopicFilterType == "" {
		e.str(TopicFilterSingleTag) // Java's default; never null there
	} else {
		e.str(t.TopicFilterType)
	}
	e.key("topicName")
	e.str(t.TopicName)
	e.key("topicSysFlag")
	e.i64(int64(t.TopicSysFlag))
	e.key("writeQueueNums")
	e.i64(int64(t.WriteQueueNums))
	e.close()
}

func (e *encoder) strMap(m map[string]string) {
	e.open()
	for _, k := range sortedKeys(m) {
		e.key(k)
		e.str(m[k])
	}
	e.close()
}

// Marshal writes one TopicConfig.
func (t *TopicConfig) Marshal() []byte {
	e := encoder{}
	e.topicConfig(t)
	return e.b
}

// Unmarshal reads one TopicConfig (UPDATE_AND_CREATE_TOPIC bodies, 5.x admin).
func (t *TopicConfig) Unmarshal(b []byte) error { *t = TopicConfig{}; return unmarshal(b, t) }

// TopicConfigSerializeWrapper is topics.json and the GET_ALL_TOPIC_CONFIG body.
type TopicConfigSerializeWrapper struct {
	TopicConfigTable map[string]*TopicConfig `json:"topicConfigTable"`
	DataVersion      DataVersion             `json:"dataVersion"`
}

func (e *encoder) topicWrapper(w *TopicConfigSerializeWrapper) {
	e.open()
	e.key("dataVersion")
	e.dataVersion(&w.DataVersion)
	e.key("topicConfigTable")
	e.open()
	for _, k := range sortedKeys(w.TopicConfigTable) {
		e.key(k)
		e.topicConfig(w.TopicConfigTable[k])
	}
	e.close()
	e.close()
}

// Marshal writes the compact form (wire bodies); Pretty of it is topics.json.
func (w *TopicConfigSerializeWrapper) Marshal() []byte {
	e := encoder{b: make([]byte, 0, 256+200*len(w.TopicConfigTable))}
	e.topicWrapper(w)
	return e.b
}

func (w *TopicConfigSerializeWrapper) Unmarshal(b []byte) error {
	*w = TopicConfigSerializeWrapper{}
	if err := unmarshal(b, w); err != nil {
		return err
	}
	for k, v := range w.TopicConfigTable {
		if v == nil {
			delete(w.TopicConfigTable, k)
		}
	}
	return nil
}

// RegisterBrokerBody is the REGISTER_BROKER request body.
type RegisterBrokerBody struct {
	TopicConfigSerializeWrapper TopicConfigSerializeWrapper `json:"topicConfigSerializeWrapper"`
	FilterServerList            []string                    `json:"filterServerList"`
}

// Marshal writes the uncompressed (JSON) form.
func (r *RegisterBrokerBody) Marshal() []byte {
	e := encoder{b: make([]byte, 0, 256+200*len(r.TopicConfigSerializeWrapper.TopicConfigTable))}
	e.open()
	e.key("filterServerList")
	e.strList(r.FilterServerList)
	e.key("topicConfigSerializeWrapper")
	e.topicWrapper(&r.TopicConfigSerializeWrapper)
	e.close()
	return e.b
}

// ErrBadRegisterBody reports a compressed register body that does not parse.
var ErrBadRegisterBody = errors.New("protocol: malformed compressed register body")

// maxInflated bounds how far a compressed register body may expand.
const maxInflated = 64 << 20

// UnmarshalRegisterBrokerBody reads a register body, JSON or (compressed=true, the header's
// `compressed`) zlib-compressed binary.
func UnmarshalRegisterBrokerBody(b []byte, compressed bool) (*RegisterBrokerBody, error) {
	r := &RegisterBrokerBody{}
	if !compressed {
		if err := unmarshal(b, r); err != nil {
			return nil, err
		}
		return r, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, errors.Join(ErrBadRegisterBody, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxInflated))
	if err != nil {
		return nil, errors.Join(ErrBadRegisterBody, err)
	}
	// Compressed layout, all ints big-endian:
	//
	//	int32 len | DataVersion JSON
	//	int32 topicCount
	//	topicCount × (int32 len | "topicName read write perm filterType" [5.x: " attributesJSON"])
	//	int32 len | filter server list JSON array
	next := func() ([]byte, bool) {
		if len(raw) < 4 {
			return nil, false
		}
		n := int(binary.BigEndian.Uint32(raw))
		if n < 0 || n > len(raw)-4 {
			return nil, false
		}
		v := raw[4 : 4+n]
		raw = raw[4+n:]
		return v, true
	}
	dv, ok := next()
	if !ok {
		return nil, ErrBadRegisterBody
	}
	if err := r.TopicConfigSerializeWrapper.DataVersion.Unmarshal(dv); err != nil {
		return nil, err
	}
	if len(raw) < 4 {
		return nil, ErrBadRegisterBody
	}
	count := int(int32(binary.BigEndian.Uint32(raw)))
	raw = raw[4:]
	if count < 0 || count > len(raw)/4 {
		return nil, ErrBadRegisterBody
	}
	r.TopicConfigSerializeWrapper.TopicConfigTable = make(map[string]*TopicConfig, count)
	for i := 0; i < count; i++ {
		t, ok := next()
		if !ok {
			return nil, ErrBadRegisterBody
		}
		tc, err := decodeTopicConfigText(string(t))
		if err != nil {
			return nil, err
		}
		r.TopicConfigSerializeWrapper.TopicConfigTable[tc.TopicName] = tc
	}
	fs, ok := next()
	if !ok {
		return nil, ErrBadRegisterBody
	}
	if err := unmarshal(fs, &r.FilterServerList); err != nil {
		return nil, err
	}
	return r, nil
}

// MarshalCompressed writes the compressed register body (brokers with compressedRegister=true).
// Order and topicSysFlag do not survive this form, as in Java.
func (r *RegisterBrokerBody) MarshalCompressed() []byte {
	var raw []byte
	put := func(b []byte) {
		raw = binary.BigEndian.AppendUint32(raw, uint32(len(b)))
		raw = append(raw, b...)
	}
	w := &r.TopicConfigSerializeWrapper
	put(w.DataVersion.Marshal())
	raw = binary.BigEndian.AppendUint32(raw, uint32(len(w.TopicConfigTable)))
	for _, k := range sortedKeys(w.TopicConfigTable) {
		put([]byte(encodeTopicConfigText(w.TopicConfigTable[k])))
	}
	e := encoder{}
	e.strList(r.FilterServerList)
	put(e.b)
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	zw.Write(raw)
	zw.Close()
	return out.Bytes()
}

// encodeTopicConfigText is Java's TopicConfig.encode: space-separated name, queue counts, perm
// and filter type.
func encodeTopicConfigText(t *TopicConfig) string {
	ft := t.TopicFilterType
	if ft == "" {
		ft = TopicFilterSingleTag
	}
	return t.TopicName + " " + itoa(t.ReadQueueNums) + " " + itoa(t.WriteQueueNums) + " " + itoa(t.Perm) + " " + ft
}

func decodeTopicConfigText(s string) (*TopicConfig, error) {
	parts := strings.SplitN(s, " ", 6)
	if len(parts) < 5 {
		return nil, fmt.Errorf("%w: topic config %q", ErrBadRegisterBody, s)
	}
	var n [3]int32
	for i := range n {
		v, ok := parseInt32(parts[i+1])
		if !ok {
			return nil, fmt.Errorf("%w: topic config %q", ErrBadRegisterBody, s)
		}
		n[i] = v
	}
	t := &TopicConfig{TopicName: parts[0], ReadQueueNums: n[0], WriteQueueNums: n[1], Perm: n[2], TopicFilterType: parts[4]}
	if len(parts) == 6 && parts[5] != "" {
		if err := unmarshal([]byte(parts[5]), &t.Attributes); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// BodyCRC32 is the bodyCrc32 header of REGISTER_BROKER: CRC-32 (IEEE) of the body with the
// sign bit cleared (UtilAll.crc32). The NameServer rejects a mismatch unless the header says 0.
func BodyCRC32(body []byte) int32 { return int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF) }

// SubscriptionGroupConfig is one consumer group's settings (Java SubscriptionGroupConfig).
type SubscriptionGroupConfig struct {
	GroupName                      string `json:"groupName"`
	ConsumeEnable                  bool   `json:"consumeEnable"`
	ConsumeFromMinEnable           bool   `json:"consumeFromMinEnable"`
	ConsumeBroadcastEnable         bool   `json:"consumeBroadcastEnable"`
	RetryQueueNums                 int32  `json:"retryQueueNums"`
	RetryMaxTimes                  int32  `json:"retryMaxTimes"`
	BrokerID                       int64  `json:"brokerId"`
	WhichBrokerWhenConsumeSlowly   int64  `json:"whichBrokerWhenConsumeSlowly"`
	NotifyConsumerIdsChangedEnable bool   `json:"notifyConsumerIdsChangedEnable"`
}

// NewSubscriptionGroupConfig returns a group with Java's defaults.
func NewSubscriptionGroupConfig(group string) *SubscriptionGroupConfig {
	return &SubscriptionGroupConfig{GroupName: group, ConsumeEnable: true, ConsumeFromMinEnable: true,
		ConsumeBroadcastEnable: true, RetryQueueNums: 1, RetryMaxTimes: 16, WhichBrokerWhenConsumeSlowly: 1,
		NotifyConsumerIdsChangedEnable: true}
}

func (e *encoder) groupConfig(g *SubscriptionGroupConfig) {
	e.open()
	e.key("brokerId")
	e.i64(g.BrokerID)
	e.key("consumeBroadcastEnable")
	e.bool(g.ConsumeBroadcastEnable)
	e.key("consumeEnable")
	e.bool(g.ConsumeEnable)
	e.key("consumeFromMinEnable")
	e.bool(g.ConsumeFromMinEnable)
	e.key("groupName")
	e.str(g.GroupName)
	e.key("notifyConsumerIdsChangedEnable")
	e.bool(g.NotifyConsumerIdsChangedEnable)
	e.key("retryMaxTimes")
	e.i64(int64(g.RetryMaxTimes))
	e.key("retryQueueNums")
	e.i64(int64(g.RetryQueueNums))
	e.key("whichBrokerWhenConsumeSlowly")
	e.i64(g.WhichBrokerWhenConsumeSlowly)
	e.close()
}

// Marshal writes the UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body.
func (g *SubscriptionGroupConfig) Marshal() []byte {
	e := encoder{}
	e.groupConfig(g)
	return e.b
}

// Unmarshal reads a group; absent properties keep Java's defaults (fastjson only sets what it
// finds on an object built by the default constructor).
func (g *SubscriptionGroupConfig) Unmarshal(b []byte) error {
	*g = *NewSubscriptionGroupConfig("")
	return unmarshal(b, g)
}

// SubscriptionGroupWrapper is subscriptionGroup.json and the GET_ALL_SUBSCRIPTIONGROUP_CONFIG
// body.
type SubscriptionGroupWrapper struct {
	SubscriptionGroupTable map[string]*SubscriptionGroupConfig `json:"subscriptionGroupTable"`
	DataVersion            DataVersion                         `json:"dataVersion"`
}

func (w *SubscriptionGroupWrapper) Marshal() []byte {
	e := encoder{b: make([]byte, 0, 256+300*len(w.SubscriptionGroupTable))}
	e.open()
	e.key("dataVersion")
	e.dataVersion(&w.DataVersion)
	e.key("subscriptionGroupTable")
	e.open()
	for _, k := range sortedKeys(w.SubscriptionGroupTable) {
		e.key(k)
		e.groupConfig(w.SubscriptionGroupTable[k])
	}
	e.close()
	e.close()
	return e.b
}

func (w *SubscriptionGroupWrapper) Unmarshal(b []byte) error {
	*w = SubscriptionGroupWrapper{}
	var raw struct {
		Table       map[string]json.RawMessage `json:"subscriptionGroupTable"`
		DataVersion DataVersion                `json:"dataVersion"`
	}
	if err := unmarshal(b, &raw); err != nil {
		return err
	}
	w.DataVersion = raw.DataVersion
	w.SubscriptionGroupTable = make(map[string]*SubscriptionGroupConfig, len(raw.Table))
	for k, v := range raw.Table {
		g := NewSubscriptionGroupConfig("")
		if err := jsonAPI.Unmarshal(v, g); err != nil {
			return errors.Join(ErrBadJSON, err)
		}
		w.SubscriptionGroupTable[k] = g
	}
	return nil
}

// ConsumerOffsetWrapper is consumerOffset.json: "topic@group" → queueId → next offset. Java
// writes the inner maps with bare integer keys.
type ConsumerOffsetWrapper struct {
	OffsetTable map[string]map[int32]int64 `json:"offsetTable"`
}

// OffsetKey is the offsetTable key of a topic and group.
func OffsetKey(topic, group string) string { return topic + "@" + group }

func (w *ConsumerOffsetWrapper) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("offsetTable")
	e.open()
	for _, k := range sortedKeys(w.OffsetTable) {
		e.key(k)
		e.int32Map(w.OffsetTable[k])
	}
	e.close()
	e.close()
	return e.b
}

// Unmarshal accepts bare or quoted queue ids; 5.x extras (dataVersion, groupTopicMap) are
// ignored.
func (w *ConsumerOffsetWrapper) Unmarshal(b []byte) error {
	*w = ConsumerOffsetWrapper{}
	return unmarshal(b, w)
}

// DelayOffsetWrapper is delayOffset.json: delay level → next schedule-queue offset.
type DelayOffsetWrapper struct {
	OffsetTable map[int32]int64 `json:"offsetTable"`
}

func (w *DelayOffsetWrapper) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("offsetTable")
	e.int32Map(w.OffsetTable)
	e.close()
	return e.b
}

func (w *DelayOffsetWrapper) Unmarshal(b []byte) error {
	*w = DelayOffsetWrapper{}
	return unmarshal(b, w)
}

// ConsumerFilterWrapper is consumerFilter.json. Only SQL92/bit-map filtering fills it, which
// we do not implement, so each topic's entry is kept as the (normalized) JSON it was read as
// and written back unchanged.
type ConsumerFilterWrapper struct {
	FilterDataByTopic map[string]json.RawMessage `json:"filterDataByTopic"`
}

func (w *ConsumerFilterWrapper) Marshal() []byte {
	e := encoder{}
	e.open()
	e.key("filterDataByTopic")
	e.open()
	for _, k := range sortedKeys(w.FilterDataByTopic) {
		e.key(k)
		e.b = append(e.b, w.FilterDataByTopic[k]...)
	}
	e.close()
	e.close()
	return e.b
}

func (w *ConsumerFilterWrapper) Unmarshal(b []byte) error {
	*w = ConsumerFilterWrapper{}
	return unmarshal(b, w)
}

// SplitOffsetKey splits "topic@group" (neither part may contain '@').
func SplitOffsetKey(k string) (topic, group string, ok bool) {
	i := strings.IndexByte(k, '@')
	if i < 0 {
		return "", "", false
	}
	return k[:i], k[i+1:], true
}
