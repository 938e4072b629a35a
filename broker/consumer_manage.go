package broker

import (
	"sync"
	"syscall"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// Remark of QUERY_CONSUMER_OFFSET when the group has no offset for the queue; Java's text,
// kept because operators search logs for it.
const remarkOffsetNotFound = "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first"

// consumerManage answers the offset and member-list requests consumers send besides pulls
// (Java ConsumerManageProcessor plus the offset queries of AdminBrokerProcessor).
type consumerManage struct{ b *Broker }

func (b *Broker) registerConsumerManageProcessors() {
	p := &consumerManage{b}
	// These three touch only in-memory tables, so they run on the event loop: a flood of sends
	// filling the worker pool must not turn offset commits and rebalances into SYSTEM_BUSY
	// (Java gives them an executor of their own for the same reason).
	b.registerInline(protocol.QueryConsumerOffset, remoting.ProcessorFunc(p.queryConsumerOffset))
	b.registerInline(protocol.UpdateConsumerOffset, remoting.ProcessorFunc(p.updateConsumerOffset))
	b.registerInline(protocol.GetConsumerListByGroup, remoting.ProcessorFunc(p.getConsumerListByGroup))
	b.register(protocol.GetMaxOffset, remoting.ProcessorFunc(p.getMaxOffset))
	b.register(protocol.GetMinOffset, remoting.ProcessorFunc(p.getMinOffset))
	b.register(protocol.SearchOffsetByTimestamp, remoting.ProcessorFunc(p.searchOffsetByTimestamp))
	b.register(protocol.GetEarliestMsgStoretime, remoting.ProcessorFunc(p.getEarliestMsgStoretime))
}

// headerError answers a request whose custom header lacks a required field or holds a bad
// number. Java's decoder lets such a request fail later with an exception, which becomes
// SYSTEM_ERROR (1); the remark here names the field so the sender can fix it.
func headerError(req *remoting.Command, err error) *remoting.Command {
	return remoting.NewResponse(req, protocol.SystemError, err.Error())
}

// success returns an empty SUCCESS response to req.
func success(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, protocol.Success, "")
}

// withHeader marks resp as carrying a (possibly empty) custom response header: Java writes
// "extFields":{} for every response created from a header class, even one with no fields set,
// and null only for header-less responses such as HEART_BEAT's.
func withHeader(resp *remoting.Command) *remoting.Command {
	if resp.ExtFields == nil {
		resp.ExtFields = remoting.ExtFields{}
	}
	return resp
}

func offsetResponse(req *remoting.Command, offset int64) *remoting.Command {
	resp := success(req)
	(&protocol.OffsetResponseHeader{Offset: offset}).Encode(&resp.ExtFields)
	return resp
}

// inDiskChecker is Java's DefaultMessageStore.checkInDiskByConsumeOffset: whether the record
// at a queue offset lies further behind the commit-log end than the in-memory ratio allows.
type inDiskChecker interface {
	CheckInDiskByConsumeOffset(topic string, queueID int32, consumeOffset int64) bool
}

// checkInDisk asks the store when it can answer, else works it out from the record itself.
func checkInDisk(st any, topic string, queueID int32, offset int64) bool {
	switch s := st.(type) {
	case inDiskChecker:
		return s.CheckInDiskByConsumeOffset(topic, queueID, offset)
	case *store.Store:
		return recordInDisk(s, topic, queueID, offset)
	}
	return false
}

// recordInDisk is Java's rule computed from the record at the queue offset: its commit-log
// position (PHYSICALOFFSET in the record) lies further behind the commit-log end than
// accessMessageInMemoryMaxRatio percent of physical memory. No record there counts as in memory,
// as in Java.
func recordInDisk(st *store.Store, topic string, queueID int32, offset int64) bool {
	r := st.GetMessage("", topic, queueID, offset, 1, 1<<30, nil)
	defer r.Release()
	if r.Status != store.Found || len(r.Buffers) == 0 {
		return false
	}
	var v message.View
	if message.Parse(r.Buffers[0], &v) != nil {
		return false
	}
	mem := physicalMemory()
	if mem <= 0 {
		return false
	}
	return st.CommitLogMaxOffset()-v.PhysicalOffset > mem*int64(st.Config().AccessMessageInMemoryMaxRatio)/100
}

// physicalMemory is the machine's RAM in bytes (Java's TOTAL_PHYSICAL_MEMORY_SIZE).
var physicalMemory = sync.OnceValue(func() int64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
})

// queryConsumerOffset answers the committed offset; without one, a queue that still starts at
// offset 0 with its first message in memory answers 0 (so a new group reads a young queue from
// the start even with CONSUME_FROM_LAST_OFFSET, as Java), anything else QUERY_NOT_FOUND (22),
// which both clients read as "no offset". Any other code would stop a Go consumer's queue.
func (p *consumerManage) queryConsumerOffset(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.QueueHeader
	if err := h.DecodeFor(protocol.QueryConsumerOffset, req.ExtFields); err != nil {
		return headerError(req, err)
	}
	return answerConsumerOffset(req, p.b.offsets.QueryOffset(h.ConsumerGroup, h.Topic, h.QueueID), p.b.store, h.Topic, h.QueueID)
}

// minOffsetQuerier is the part of the store QUERY_CONSUMER_OFFSET reads.
type minOffsetQuerier interface {
	MinOffsetInQueue(topic string, queueID int32) int64
}

// answerConsumerOffset applies Java's rule to a committed offset (-1 = none).
func answerConsumerOffset(req *remoting.Command, committed int64, st minOffsetQuerier, topic string, queueID int32) *remoting.Command {
	if committed >= 0 {
		return offsetResponse(req, committed)
	}
	if st.MinOffsetInQueue(topic, queueID) <= 0 && !checkInDisk(st, topic, queueID, 0) {
		return offsetResponse(req, 0)
	}
	return withHeader(remoting.NewResponse(req, protocol.QueryNotFound, remarkOffsetNotFound))
}

// updateConsumerOffset stores the offset without validation, as Java. Java clients send it
// one-way and the server writes no answer then; Go clients do not set the flag and get one.
func (p *consumerManage) updateConsumerOffset(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.UpdateConsumerOffsetRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	p.b.offsets.CommitOffset(ch.RemoteAddr(), h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	return withHeader(success(req))
}

// getConsumerListByGroup answers the client ids of the group's live connections; with none it
// answers SYSTEM_ERROR (1), not an empty list: Java clients then skip the rebalance round.
func (p *consumerManage) getConsumerListByGroup(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.ConsumerGroupHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	if g := p.b.clients.ConsumerGroup(h.ConsumerGroup); g != nil {
		if ids := g.ClientIDs(); len(ids) > 0 {
			resp := withHeader(success(req))
			resp.Body = encodeConsumerIDList(ids)
			return resp
		}
		p.b.log.WithFields(logrus.Fields{"group": h.ConsumerGroup, "remote": ch.RemoteAddr()}).Warn("getConsumerListByGroup: group has no client id")
	} else {
		p.b.log.WithFields(logrus.Fields{"group": h.ConsumerGroup, "remote": ch.RemoteAddr()}).Warn("getConsumerListByGroup: no consumer group info")
	}
	return withHeader(remoting.NewResponse(req, protocol.SystemError, "no consumer for this group, "+h.ConsumerGroup))
}

// encodeConsumerIDList writes {"consumerIdList":["id",...]} (GetConsumerListByGroupResponseBody).
func encodeConsumerIDList(ids []string) []byte {
	n := len(`{"consumerIdList":[]}`)
	for _, id := range ids {
		n += len(id) + 3
	}
	out := make([]byte, 0, n)
	out = append(out, `{"consumerIdList":[`...)
	for i, id := range ids {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, id)
	}
	return append(out, "]}"...)
}

// appendJSONString appends s as a JSON string the way fastjson writes it: UTF-8 kept raw,
// quotes, backslashes and control characters escaped.
func appendJSONString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\t':
			out = append(out, '\\', 't')
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}

// The offset queries always carry `offset` / `timestamp`, even for an unknown queue: the Go
// client ignores the response code and fails to parse a missing field.

func (p *consumerManage) getMaxOffset(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.QueueHeader
	if err := h.DecodeFor(protocol.GetMaxOffset, req.ExtFields); err != nil {
		return headerError(req, err)
	}
	return offsetResponse(req, p.b.store.MaxOffsetInQueue(h.Topic, h.QueueID))
}

func (p *consumerManage) getMinOffset(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.QueueHeader
	if err := h.DecodeFor(protocol.GetMinOffset, req.ExtFields); err != nil {
		return headerError(req, err)
	}
	return offsetResponse(req, p.b.store.MinOffsetInQueue(h.Topic, h.QueueID))
}

func (p *consumerManage) searchOffsetByTimestamp(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.SearchOffsetRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return headerError(req, err)
	}
	st := p.b.store
	off := st.GetOffsetInQueueByTime(h.Topic, h.QueueID, h.Timestamp)
	// Java's search only ever answers an offset inside [min, max-1] for a non-empty queue: when
	// every message is older than the timestamp it is the LAST message's offset, not max.
	if mx := st.MaxOffsetInQueue(h.Topic, h.QueueID); off >= mx && mx > st.MinOffsetInQueue(h.Topic, h.QueueID) {
		off = mx - 1
	}
	return offsetResponse(req, off)
}

func (p *consumerManage) getEarliestMsgStoretime(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.QueueHeader
	if err := h.DecodeFor(protocol.GetEarliestMsgStoretime, req.ExtFields); err != nil {
		return headerError(req, err)
	}
	resp := success(req)
	(&protocol.GetEarliestMsgStoretimeResponseHeader{Timestamp: p.b.store.GetEarliestMessageTime(h.Topic, h.QueueID)}).Encode(&resp.ExtFields)
	return resp
}
