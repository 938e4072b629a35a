package main

import (
	"strconv"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// Names the load uses on every broker.
const (
	producerGroup = "loadgen_producer"
	consumerGroup = "loadgen_consumer"
)

// sendWorkload sends SEND_MESSAGE_V2 requests as a stock producer does: one-letter header,
// properties UNIQ_KEY (unique per message, so the broker indexes it as it would for a real
// client), WAIT=true and TAGS, queues chosen round-robin.
type sendWorkload struct {
	cmd      remoting.Command
	iQueue   int // index of "e" in cmd.ExtFields
	iBorn    int // "g"
	iProps   int // "i"
	queues   int
	next     int
	uniq     *atomic.Int64 // shared by every pipe of a run
	uniqBase string        // 24 hex digits identifying this run
	props    []byte
	queueIDs []string // "0", "1", ... built once
	bornMs   int64
	born     string
}

// newSendWorkload builds the request template once; request only rewrites three values.
func newSendWorkload(topic string, queues, startQueue int, body []byte, st remoting.SerializeType,
	uniq *atomic.Int64, uniqBase string) *sendWorkload {
	h := protocol.SendMessageRequestHeader{
		ProducerGroup:         producerGroup,
		Topic:                 topic,
		DefaultTopic:          "TBW102",
		DefaultTopicQueueNums: 4,
		BornTimestamp:         time.Now().UnixMilli(),
		Properties:            "x",
	}
	w := &sendWorkload{queues: queues, next: startQueue, uniq: uniq, uniqBase: uniqBase}
	for q := range queues {
		w.queueIDs = append(w.queueIDs, strconv.Itoa(q))
	}
	w.cmd = remoting.Command{Code: protocol.SendMessageV2, Language: remoting.LangJava,
		Version: remoting.Version, Serialize: st, Body: body}
	h.EncodeV2(&w.cmd.ExtFields)
	for i, f := range w.cmd.ExtFields {
		switch f.Key {
		case "e":
			w.iQueue = i
		case "g":
			w.iBorn = i
		case "i":
			w.iProps = i
		}
	}
	return w
}

func (w *sendWorkload) request(dst []byte, _ int, opaque int32) ([]byte, bool) {
	q := w.next % w.queues
	w.next++
	n := w.uniq.Add(1)
	w.props = w.props[:0]
	w.props = append(w.props, message.PropertyUniqClientMessageIDKeyIdx...)
	w.props = append(w.props, message.NameValueSeparator)
	w.props = append(w.props, w.uniqBase...)
	w.props = appendHex32(w.props, uint32(n))
	w.props = append(w.props, message.PropertySeparator)
	w.props = append(w.props, message.PropertyWaitStoreMsgOK...)
	w.props = append(w.props, message.NameValueSeparator)
	w.props = append(w.props, "true"...)
	w.props = append(w.props, message.PropertySeparator)
	w.props = append(w.props, message.PropertyTags...)
	w.props = append(w.props, message.NameValueSeparator)
	w.props = append(w.props, "TagA"...)
	ext := w.cmd.ExtFields
	ext[w.iQueue].Value = w.queueIDs[q]
	if ms := time.Now().UnixMilli(); ms != w.bornMs {
		w.bornMs, w.born = ms, strconv.FormatInt(ms, 10)
	}
	ext[w.iBorn].Value = w.born
	// The header is encoded into the frame right below and the value is replaced before the
	// next request, so it may alias w.props instead of costing an allocation per message.
	ext[w.iProps].Value = unsafe.String(unsafe.SliceData(w.props), len(w.props))
	w.cmd.Opaque = opaque
	out, err := remoting.AppendFrame(dst, &w.cmd)
	if err != nil {
		return dst, false
	}
	return out, true
}

func (w *sendWorkload) response(_ int, c *remoting.Command) int64 {
	if c.Code != protocol.Success {
		return 0
	}
	return 1
}

// echoWorkload is the send workload against the bare echo server: the same frames come back.
type echoWorkload struct{ *sendWorkload }

func (w echoWorkload) response(_ int, c *remoting.Command) int64 {
	if c.Code == protocol.SendMessageV2 && len(c.Body) == len(w.cmd.Body) {
		return 1
	}
	return 0
}

// pullWorkload reads queues from offset 0 to a known end with PULL_MESSAGE, one request in
// flight per queue (what a consumer does), and checks every record it gets back.
type pullWorkload struct {
	topic    string
	queues   []int   // queue ids, one per slot
	next     []int64 // next offset per slot
	end      []int64 // offset to stop at per slot
	batch    int32
	st       remoting.SerializeType
	subVer   int64
	cmd      remoting.Command
	bodySize int
	badRecs  int64
	retries  []int
}

func newPullWorkload(topic string, queues []int, end []int64, batch int32, st remoting.SerializeType, bodySize int) *pullWorkload {
	return &pullWorkload{topic: topic, queues: queues, next: make([]int64, len(queues)), end: end,
		batch: batch, st: st, subVer: time.Now().UnixMilli(), bodySize: bodySize, retries: make([]int, len(queues))}
}

func (w *pullWorkload) request(dst []byte, slot int, opaque int32) ([]byte, bool) {
	if slot >= len(w.queues) || w.next[slot] >= w.end[slot] || w.retries[slot] > 100 {
		return dst, false
	}
	h := protocol.PullMessageRequestHeader{
		ConsumerGroup:  consumerGroup,
		Topic:          w.topic,
		QueueID:        int32(w.queues[slot]),
		QueueOffset:    w.next[slot],
		MaxMsgNums:     w.batch,
		SysFlag:        protocol.PullFlagSubscription,
		Subscription:   "*",
		SubVersion:     w.subVer,
		ExpressionType: "TAG",
	}
	w.cmd = remoting.Command{Code: protocol.PullMessage, Language: remoting.LangJava,
		Version: remoting.Version, Serialize: w.st, Opaque: opaque, ExtFields: w.cmd.ExtFields[:0]}
	h.Encode(&w.cmd.ExtFields)
	out, err := remoting.AppendFrame(dst, &w.cmd)
	if err != nil {
		return dst, false
	}
	return out, true
}

func (w *pullWorkload) response(slot int, c *remoting.Command) int64 {
	if slot >= len(w.queues) {
		return 0
	}
	if c.Code != protocol.Success {
		w.retries[slot]++ // asked again from the same offset, up to a bound
		return 0
	}
	var rh protocol.PullMessageResponseHeader
	if err := rh.Decode(c.ExtFields); err != nil {
		w.retries[slot]++
		return 0
	}
	n := int64(0)
	var v message.View
	for b := c.Body; len(b) > 0; {
		size, err := message.PeekSize(b)
		if err != nil || int(size) > len(b) || size <= 0 {
			w.badRecs++
			break
		}
		if err := message.Parse(b[:size], &v); err != nil || len(v.Body) != w.bodySize {
			w.badRecs++
		} else {
			n++
		}
		b = b[size:]
	}
	if rh.NextBeginOffset > w.next[slot] {
		w.next[slot] = rh.NextBeginOffset
	} else {
		w.retries[slot]++
	}
	return n
}

// appendHex32 appends v as 8 upper-case hex digits, the way UNIQ_KEY spells its counter.
func appendHex32(dst []byte, v uint32) []byte {
	const digits = "0123456789ABCDEF"
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, digits[v>>uint(shift)&0xF])
	}
	return dst
}
