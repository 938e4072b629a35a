package protocol

import (
	"strconv"

	"github.com/rocketgo/rocketgo/remoting"
)

// SendMessageRequestHeader is the header of SEND_MESSAGE (10) under its V1 names, and what
// SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) convert to: the broker works with this
// one struct whatever the request code.
//
// Strings are the extFields values themselves (no copy), so a decoded header lives as long as
// its command.
type SendMessageRequestHeader struct {
	ProducerGroup         string // a  *
	Topic                 string // b  *
	DefaultTopic          string // c  *
	DefaultTopicQueueNums int32  // d  *
	QueueID               int32  // e  *
	SysFlag               int32  // f  *
	BornTimestamp         int64  // g  *
	Flag                  int32  // h  *
	Properties            string // i
	ReconsumeTimes        int32  // j  (0 when absent)
	UnitMode              bool   // k
	MaxReconsumeTimes     int32  // l  valid only when HasMaxReconsumeTimes
	Batch                 bool   // m
	BrokerName            string // n / bname, ignored by 4.9.8 brokers
	// HasMaxReconsumeTimes tells an absent maxReconsumeTimes (Java null: use the group's
	// retryMaxTimes) from an explicit one.
	HasMaxReconsumeTimes bool
}

// Required-field bits, in V1 order; a decode fails on the first missing one in this order.
const (
	sendReqProducerGroup = 1 << iota
	sendReqTopic
	sendReqDefaultTopic
	sendReqDefaultTopicQueueNums
	sendReqQueueID
	sendReqSysFlag
	sendReqBornTimestamp
	sendReqFlag
	sendReqAll = 1<<iota - 1
)

var sendV1Names = [...]string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums",
	"queueId", "sysFlag", "bornTimestamp", "flag"}
var sendV2Names = [...]string{"a", "b", "c", "d", "e", "f", "g", "h"}

// DecodeSend decodes a send header for any of the send codes: V1 names for SEND_MESSAGE and
// SEND_REPLY_MESSAGE, one-letter names for SEND_MESSAGE_V2, SEND_BATCH_MESSAGE and
// SEND_REPLY_MESSAGE_V2 — the same choice Java's SendMessageProcessor makes.
func (h *SendMessageRequestHeader) DecodeSend(code int32, ext remoting.ExtFields) error {
	switch code {
	case SendMessageV2, SendBatchMessage, SendReplyMessageV2:
		return h.DecodeV2(ext)
	}
	return h.Decode(ext)
}

// Decode reads the V1 names (SEND_MESSAGE). It allocates nothing unless it fails.
func (h *SendMessageRequestHeader) Decode(ext remoting.ExtFields) error {
	*h = SendMessageRequestHeader{}
	var seen uint32
	for i := range ext {
		k, v := ext[i].Key, ext[i].Value
		var ok = true
		switch k {
		case "producerGroup":
			h.ProducerGroup, seen = v, seen|sendReqProducerGroup
		case "topic":
			h.Topic, seen = v, seen|sendReqTopic
		case "defaultTopic":
			h.DefaultTopic, seen = v, seen|sendReqDefaultTopic
		case "defaultTopicQueueNums":
			h.DefaultTopicQueueNums, ok = parseInt32(v)
			seen |= sendReqDefaultTopicQueueNums
		case "queueId":
			h.QueueID, ok = parseInt32(v)
			seen |= sendReqQueueID
		case "sysFlag":
			h.SysFlag, ok = parseInt32(v)
			seen |= sendReqSysFlag
		case "bornTimestamp":
			h.BornTimestamp, ok = parseInt64(v)
			seen |= sendReqBornTimestamp
		case "flag":
			h.Flag, ok = parseInt32(v)
			seen |= sendReqFlag
		case "properties":
			h.Properties = v
		case "reconsumeTimes":
			h.ReconsumeTimes, _ = parseInt32(v)
		case "unitMode":
			h.UnitMode = parseBool(v)
		case "maxReconsumeTimes":
			h.MaxReconsumeTimes, h.HasMaxReconsumeTimes = parseInt32(v)
		case "batch":
			h.Batch = parseBool(v)
		case "bname":
			h.BrokerName = v
		}
		if !ok {
			return &InvalidFieldError{k, v}
		}
	}
	return missingSend(seen, &sendV1Names)
}

// DecodeV2 reads the one-letter names of SendMessageRequestHeaderV2 into the V1 struct.
// It allocates nothing unless it fails.
func (h *SendMessageRequestHeader) DecodeV2(ext remoting.ExtFields) error {
	*h = SendMessageRequestHeader{}
	var seen uint32
	for i := range ext {
		k, v := ext[i].Key, ext[i].Value
		if len(k) != 1 {
			continue
		}
		var ok = true
		switch k[0] {
		case 'a':
			h.ProducerGroup, seen = v, seen|sendReqProducerGroup
		case 'b':
			h.Topic, seen = v, seen|sendReqTopic
		case 'c':
			h.DefaultTopic, seen = v, seen|sendReqDefaultTopic
		case 'd':
			h.DefaultTopicQueueNums, ok = parseInt32(v)
			seen |= sendReqDefaultTopicQueueNums
		case 'e':
			h.QueueID, ok = parseInt32(v)
			seen |= sendReqQueueID
		case 'f':
			h.SysFlag, ok = parseInt32(v)
			seen |= sendReqSysFlag
		case 'g':
			h.BornTimestamp, ok = parseInt64(v)
			seen |= sendReqBornTimestamp
		case 'h':
			h.Flag, ok = parseInt32(v)
			seen |= sendReqFlag
		case 'i':
			h.Properties = v
		case 'j':
			h.ReconsumeTimes, _ = parseInt32(v)
		case 'k':
			h.UnitMode = parseBool(v)
		case 'l':
			h.MaxReconsumeTimes, h.HasMaxReconsumeTimes = parseInt32(v)
		case 'm':
			h.Batch = parseBool(v)
		case 'n':
			h.BrokerName = v
		}
		if !ok {
			return &InvalidFieldError{k, v}
		}
	}
	return missingSend(seen, &sendV2Names)
}

func missingSend(seen uint32, names *[8]string) error {
	if seen == sendReqAll {
		return nil
	}
	for i := range names {
		if seen&(1<<i) == 0 {
			return &MissingFieldError{names[i]}
		}
	}
	return nil
}

// encodeMessageFields writes the V1 fields a send and a pushed reply share.
func (h *SendMessageRequestHeader) encodeMessageFields(w writer) {
	w.str("producerGroup", h.ProducerGroup)
	w.str("topic", h.Topic)
	w.str("defaultTopic", h.DefaultTopic)
	w.i32("defaultTopicQueueNums", h.DefaultTopicQueueNums)
	w.i32("queueId", h.QueueID)
	w.i32("sysFlag", h.SysFlag)
	w.i64("bornTimestamp", h.BornTimestamp)
	w.i32("flag", h.Flag)
	w.str("properties", h.Properties)
	w.i32("reconsumeTimes", h.ReconsumeTimes)
	w.b("unitMode", h.UnitMode)
}

// Encode appends the V1 fields as the Go client writes them (every field; Java would skip a
// null maxReconsumeTimes, which we do when HasMaxReconsumeTimes is false).
func (h *SendMessageRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	h.encodeMessageFields(w)
	if h.HasMaxReconsumeTimes {
		w.i32("maxReconsumeTimes", h.MaxReconsumeTimes)
	}
	w.b("batch", h.Batch)
	w.optStr("bname", h.BrokerName)
}

// EncodeV2 appends the one-letter fields in the order the 4.9.8 Java producer's frames carry
// them (a…n, skipping i, l and n when unset, as Java skips nulls; the Go client writes "i":"").
func (h *SendMessageRequestHeader) EncodeV2(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("a", h.ProducerGroup)
	w.str("b", h.Topic)
	w.str("c", h.DefaultTopic)
	w.i32("d", h.DefaultTopicQueueNums)
	w.i32("e", h.QueueID)
	w.i32("f", h.SysFlag)
	w.i64("g", h.BornTimestamp)
	w.i32("h", h.Flag)
	w.optStr("i", h.Properties)
	w.i32("j", h.ReconsumeTimes)
	w.b("k", h.UnitMode)
	if h.HasMaxReconsumeTimes {
		w.i32("l", h.MaxReconsumeTimes)
	}
	w.b("m", h.Batch)
	w.optStr("n", h.BrokerName)
}

// SendMessageResponseHeader answers a stored send (codes 0, 10, 11, 12). MsgRegion and TraceOn
// are not header fields in Java but ext fields the broker adds to every send response; they
// live here because every send response carries them.
type SendMessageResponseHeader struct {
	MsgID         string // offset message id; comma-joined for batches
	QueueID       int32
	QueueOffset   int64
	TransactionID string // 4.9.8 never sets it
	MsgRegion     string // MSG_REGION, "DefaultRegion" by default
	TraceOn       bool   // TRACE_ON
}

// Ext-field names of the send response that are not SendMessageResponseHeader fields in Java.
const (
	ExtMsgRegion = "MSG_REGION"
	ExtTraceOn   = "TRACE_ON"
)

// Encode appends the fields in the order a Java broker's HashMap iterates them (queueId,
// TRACE_ON, MSG_REGION, msgId, queueOffset, transactionId), so our responses are byte for byte
// what a 4.9.8 broker writes. The two numbers share one allocation.
func (h *SendMessageResponseHeader) Encode(ext *remoting.ExtFields) {
	var buf [40]byte
	b := strconv.AppendInt(buf[:0], int64(h.QueueID), 10)
	n := len(b)
	b = strconv.AppendInt(b, h.QueueOffset, 10)
	s := string(b)
	w := newWriter(ext)
	w.str("queueId", s[:n])
	w.b(ExtTraceOn, h.TraceOn)
	w.str(ExtMsgRegion, h.MsgRegion)
	w.str("msgId", h.MsgID)
	w.str("queueOffset", s[n:])
	w.optStr("transactionId", h.TransactionID)
}

// EncodeRegion appends only MSG_REGION and TRACE_ON, for send responses that fail: Java
// pre-fills them before any check, so error answers carry them too.
func EncodeRegion(ext *remoting.ExtFields, region string, traceOn bool) {
	w := newWriter(ext)
	w.b(ExtTraceOn, traceOn)
	w.str(ExtMsgRegion, region)
}

// Decode reads a send response as the Java client does: msgId, queueId and queueOffset are
// required; TRACE_ON is true unless exactly "false"; a missing MSG_REGION is "DefaultRegion".
func (h *SendMessageResponseHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.MsgID = r.str("msgId")
	h.QueueID = r.i32("queueId")
	h.QueueOffset = r.i64("queueOffset")
	h.TransactionID = ext.Value("transactionId")
	h.MsgRegion = ext.Value(ExtMsgRegion)
	if h.MsgRegion == "" {
		h.MsgRegion = "DefaultRegion"
	}
	h.TraceOn = ext.Value(ExtTraceOn) != "false"
	return r.err
}
