package protocol

import (
	"strconv"

	"github.com/rocketgo/rocketgo/remoting"
)

// Pull sysFlag bits (PullSysFlag).
const (
	PullFlagCommitOffset int32 = 1 << 0
	PullFlagSuspend      int32 = 1 << 1
	PullFlagSubscription int32 = 1 << 2
	PullFlagClassFilter  int32 = 1 << 3
	PullFlagLitePull     int32 = 1 << 4
)

// PullMessageRequestHeader is the header of PULL_MESSAGE (11) and LITE_PULL_MESSAGE (361).
type PullMessageRequestHeader struct {
	ConsumerGroup        string // *
	Topic                string // *
	QueueID              int32  // *
	QueueOffset          int64  // *
	MaxMsgNums           int32  // *
	SysFlag              int32  // *
	CommitOffset         int64  // *
	SuspendTimeoutMillis int64  // *
	Subscription         string
	SubVersion           int64 // *
	ExpressionType       string
	BrokerName           string // bname
	MaxMsgBytes          int32  // 5.x, 0 when absent
}

const (
	pullReqConsumerGroup = 1 << iota
	pullReqTopic
	pullReqQueueID
	pullReqQueueOffset
	pullReqMaxMsgNums
	pullReqSysFlag
	pullReqCommitOffset
	pullReqSuspendTimeoutMillis
	pullReqSubVersion
	pullReqAll = 1<<iota - 1
)

var pullReqNames = [...]string{"consumerGroup", "topic", "queueId", "queueOffset", "maxMsgNums",
	"sysFlag", "commitOffset", "suspendTimeoutMillis", "subVersion"}

// Decode reads the header in one pass over ext. It allocates nothing unless it fails.
func (h *PullMessageRequestHeader) Decode(ext remoting.ExtFields) error {
	*h = PullMessageRequestHeader{}
	var seen uint32
	for i := range ext {
		k, v := ext[i].Key, ext[i].Value
		ok := true
		switch k {
		case "consumerGroup":
			h.ConsumerGroup, seen = v, seen|pullReqConsumerGroup
		case "topic":
			h.Topic, seen = v, seen|pullReqTopic
		case "queueId":
			h.QueueID, ok = parseInt32(v)
			seen |= pullReqQueueID
		case "queueOffset":
			h.QueueOffset, ok = parseInt64(v)
			seen |= pullReqQueueOffset
		case "maxMsgNums":
			h.MaxMsgNums, ok = parseInt32(v)
			seen |= pullReqMaxMsgNums
		case "sysFlag":
			h.SysFlag, ok = parseInt32(v)
			seen |= pullReqSysFlag
		case "commitOffset":
			h.CommitOffset, ok = parseInt64(v)
			seen |= pullReqCommitOffset
		case "suspendTimeoutMillis":
			h.SuspendTimeoutMillis, ok = parseInt64(v)
			seen |= pullReqSuspendTimeoutMillis
		case "subscription":
			h.Subscription = v
		case "subVersion":
			h.SubVersion, ok = parseInt64(v)
			seen |= pullReqSubVersion
		case "expressionType":
			h.ExpressionType = v
		case "bname":
			h.BrokerName = v
		case "maxMsgBytes":
			h.MaxMsgBytes, _ = parseInt32(v)
		}
		if !ok {
			return &InvalidFieldError{k, v}
		}
	}
	if seen != pullReqAll {
		for i := range pullReqNames {
			if seen&(1<<i) == 0 {
				return &MissingFieldError{pullReqNames[i]}
			}
		}
	}
	return nil
}

// Encode appends every field the Java push consumer sends, optional strings only when set, in
// Java's HashMap order.
func (h *PullMessageRequestHeader) Encode(ext *remoting.ExtFields) {
	w := newWriter(ext)
	w.str("consumerGroup", h.ConsumerGroup)
	w.str("topic", h.Topic)
	w.i32("queueId", h.QueueID)
	w.i64("queueOffset", h.QueueOffset)
	w.i32("maxMsgNums", h.MaxMsgNums)
	w.i32("sysFlag", h.SysFlag)
	w.i64("commitOffset", h.CommitOffset)
	w.optStr("bname", h.BrokerName) // shares commitOffset's bucket; Java puts it after
	w.i64("suspendTimeoutMillis", h.SuspendTimeoutMillis)
	w.optStr("subscription", h.Subscription)
	w.i64("subVersion", h.SubVersion)
	w.optStr("expressionType", h.ExpressionType)
	if h.MaxMsgBytes != 0 {
		w.i32("maxMsgBytes", h.MaxMsgBytes)
	}
	SortJavaOrder(*ext)
}

// HasFlag reports whether the request's sysFlag has bit f.
func (h *PullMessageRequestHeader) HasFlag(f int32) bool { return h.SysFlag&f != 0 }

// PullMessageResponseHeader goes with every pull answer (0, 19, 20, 21): Java clients unbox all
// four fields, so all four must always be present.
type PullMessageResponseHeader struct {
	SuggestWhichBrokerID int64
	NextBeginOffset      int64
	MinOffset            int64
	MaxOffset            int64
}

// Encode appends the four fields in a Java broker's HashMap order (suggestWhichBrokerId,
// nextBeginOffset, maxOffset, minOffset) with one allocation for all four values.
func (h *PullMessageResponseHeader) Encode(ext *remoting.ExtFields) {
	var buf [80]byte
	b := strconv.AppendInt(buf[:0], h.SuggestWhichBrokerID, 10)
	e1 := len(b)
	b = strconv.AppendInt(b, h.NextBeginOffset, 10)
	e2 := len(b)
	b = strconv.AppendInt(b, h.MaxOffset, 10)
	e3 := len(b)
	b = strconv.AppendInt(b, h.MinOffset, 10)
	s := string(b)
	w := newWriter(ext)
	w.str("suggestWhichBrokerId", s[:e1])
	w.str("nextBeginOffset", s[e1:e2])
	w.str("maxOffset", s[e2:e3])
	w.str("minOffset", s[e3:])
}

// Decode reads the four required fields, as the clients do.
func (h *PullMessageResponseHeader) Decode(ext remoting.ExtFields) error {
	r := reader{h: Header{ext}}
	h.SuggestWhichBrokerID = r.i64("suggestWhichBrokerId")
	h.NextBeginOffset = r.i64("nextBeginOffset")
	h.MinOffset = r.i64("minOffset")
	h.MaxOffset = r.i64("maxOffset")
	return r.err
}
