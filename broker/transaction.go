package broker

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// Transactional messages (Java 4.9.8's EndTransactionProcessor, TransactionalMessageServiceImpl,
// TransactionalMessageCheckService).
//
//	producer ─SEND TRAN_MSG=true─▶ send.go ─▶ RMQ_SYS_TRANS_HALF_TOPIC queue 0 ("half", REAL_TOPIC/REAL_QID)
//	producer ─END_TRANSACTION────▶ COMMIT:   half ─▶ REAL_TOPIC/REAL_QID (sysFlag COMMIT) + op record
//	                               ROLLBACK: op record only
//	op record: RMQ_SYS_TRANS_OP_HALF_TOPIC queue 0, tags "d", body = the half's queue offset
//
//	check every transactionCheckInterval, from the CID_RMQ_SYS_TRANS offsets of both queues:
//	   half resolved by an op record ─▶ skip
//	   younger than transactionTimeOut ─▶ stop, next pass
//	   within its CHECK_IMMUNITY_TIME_IN_SECONDS ─▶ re-append (counted as a check), go on
//	   checked transactionCheckMax times ─▶ copy to TRANS_CHECK_MAX_TIME_TOPIC, given up
//	   else ─▶ re-append with TRANSACTION_CHECK_TIMES+1, CHECK_TRANSACTION_STATE (oneway)
//	           to one live channel of producer group PGROUP
//
// A half message is therefore delivered only on an explicit COMMIT, from the producer or from
// its answer to a check; rolled back, unresolved and given-up ones never reach a consumer.

const (
	transCheckGroup = "CID_RMQ_SYS_TRANS"
	// transOpRemoveTag is the tags of every op record (TransactionalMessageUtil.REMOVETAG).
	transOpRemoveTag = "d"
	// transBatch is how many half or op entries one read takes.
	transBatch = 32
	// transMaxPassTime bounds one check pass (Java's MAX_PROCESS_TIME_LIMIT).
	transMaxPassTime = 60 * time.Second
)

type transactionService struct {
	b   *Broker
	log *logrus.Entry

	passMu  sync.Mutex // one check pass at a time; END_TRANSACTION does not take it
	running bool
	stop    chan struct{}
	wg      sync.WaitGroup

	uniq uniqIDGen
}

func newTransactionService(b *Broker) *transactionService {
	t := &transactionService{b: b, log: b.log.WithField("component", "transaction")}
	t.uniq.init(b.cfg.BrokerIP1)
	return t
}

// start runs the check service every transactionCheckInterval.
func (t *transactionService) start() {
	// Java waits transactionCheckInterval read afresh before each pass: an update is live.
	checkInterval := func() time.Duration {
		if v := time.Duration(t.b.conf().TransactionCheckInterval) * time.Millisecond; v > 0 {
			return v
		}
		return 60 * time.Second
	}
	interval := checkInterval()
	t.stop = make(chan struct{})
	t.running = true
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tk.C:
				t.check()
				if v := checkInterval(); v != interval {
					interval = v
					tk.Reset(v)
				}
			}
		}
	}()
}

func (t *transactionService) shutdown() {
	if !t.running {
		return
	}
	t.running = false
	close(t.stop)
	t.wg.Wait()
}

func (t *transactionService) stopping() bool {
	select {
	case <-t.stop:
		return true
	default:
		return false
	}
}

// ---- END_TRANSACTION ----

// processEndTransaction serves END_TRANSACTION (37). Both stock clients send it oneway (Java)
// or without waiting for the answer (Go), so the answer matters only to tools and tests; the
// codes and remarks are Java's.
func (t *transactionService) processEndTransaction(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	var h protocol.EndTransactionRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	fields := logrus.Fields{"producerGroup": h.ProducerGroup, "commitLogOffset": h.CommitLogOffset,
		"tranStateTableOffset": h.TranStateTableOffset, "msgId": h.MsgID, "fromCheck": h.FromTransactionCheck,
		"remote": ch.RemoteAddr()}
	if t.b.cfg.BrokerRole == store.Slave {
		t.log.WithFields(fields).Warn("message store is slave mode, so end transaction is forbidden")
		return remoting.NewResponse(req, protocol.SlaveNotAvailable, "")
	}
	switch h.CommitOrRollback {
	case message.TransactionCommitType, message.TransactionRollbackType:
	default:
		// UNKNOWN (0) leaves the half for the check service; Java answers nothing at all.
		t.log.WithFields(fields).WithField("state", h.CommitOrRollback).Debug("transaction state unknown, left for check-back")
		return nil
	}
	half, code, remark := t.preparedMessage(&h)
	if code != protocol.Success {
		t.log.WithFields(fields).WithField("remark", remark).Warn("end transaction refused")
		return remoting.NewResponse(req, code, remark)
	}
	if h.CommitOrRollback == message.TransactionCommitType {
		if code, remark := t.commit(half, &h); code != protocol.Success {
			t.log.WithFields(fields).WithField("remark", remark).Warn("committed message not stored")
			return remoting.NewResponse(req, code, remark)
		}
		fields["topic"] = half.Property(message.PropertyRealTopic)
		t.log.WithFields(fields).Debug("transaction committed")
	} else {
		t.log.WithFields(fields).Debug("transaction rolled back")
	}
	if err := t.putOp(half.QueueID, half.QueueOffset); err != nil {
		// The decision stands (a commit is already stored); without the op record the check
		// service will ask the producer again, which answers the same.
		t.log.WithFields(fields).WithError(err).Error("op record not stored")
	}
	return remoting.NewResponse(req, protocol.Success, "")
}

// preparedMessage fetches and validates the half message END_TRANSACTION names
// (getHalfMessageByOffset + checkPrepareMessage).
func (t *transactionService) preparedMessage(h *protocol.EndTransactionRequestHeader) (*message.MsgExt, int32, string) {
	const notFound = "Find prepared transaction message failed"
	if h.CommitLogOffset < 0 {
		return nil, protocol.SystemError, notFound
	}
	m, err := t.b.store.LookMessageByOffset(h.CommitLogOffset)
	// Java does not look at the topic; we do, so that an END_TRANSACTION naming an ordinary
	// message cannot duplicate it.
	if err != nil || m.Topic != TopicTransHalf {
		return nil, protocol.SystemError, notFound
	}
	if m.Property(message.PropertyProducerGroup) != h.ProducerGroup {
		return nil, protocol.SystemError, "The producer group wrong"
	}
	if m.QueueOffset != h.TranStateTableOffset {
		return nil, protocol.SystemError, "The transaction state table offset wrong"
	}
	if m.CommitLogOffset != h.CommitLogOffset {
		return nil, protocol.SystemError, "The commit log offset wrong"
	}
	return m, protocol.Success, ""
}

// commit stores the real message (endMessageTransaction + sendFinalMessage): the half's
// fields, topic and queue from REAL_TOPIC / REAL_QID, transaction bits COMMIT and the half's
// commitlog offset as prepared offset. Java 4.9.8 builds the stored property string before it
// clears REAL_TOPIC, REAL_QID and TRAN_MSG from the message's map, so all three stay in the
// stored record (a Go client consuming from a 4.9.8 broker sees them); so do we.
func (t *transactionService) commit(half *message.MsgExt, h *protocol.EndTransactionRequestHeader) (int32, string) {
	realTopic := half.Property(message.PropertyRealTopic)
	qid, err := strconv.Atoi(half.Property(message.PropertyRealQueueID))
	if realTopic == "" || err != nil || qid < 0 {
		return protocol.SystemError, "Find prepared transaction message failed"
	}
	props := half.Properties // our own copy (LookMessageByOffset)
	m := message.Msg{
		Topic:                     realTopic,
		QueueID:                   int32(qid),
		Flag:                      half.Flag,
		SysFlag:                   message.ResetTransactionType(half.SysFlag, message.TransactionCommitType),
		BornTimestamp:             half.BornTimestamp,
		BornHost:                  half.BornHost,
		StoreHost:                 half.StoreHost,
		ReconsumeTimes:            half.ReconsumeTimes,
		PreparedTransactionOffset: h.CommitLogOffset,
		Body:                      half.Body,
		Properties:                props,
		NoWait:                    true, // Java: setWaitStoreMsgOK(false), after the string was built
	}
	res := t.b.store.PutMessage(&m)
	if !res.Status.Stored() {
		return finalPutStatus(res.Status)
	}
	if _, delayed := message.PropertyValue(props, message.PropertyDelayTimeLevel); !delayed {
		var tagsCode int64
		if tags, ok := message.PropertyValue(props, message.PropertyTags); ok {
			tagsCode = message.TagsCode(tags)
		}
		t.b.data.messageArrived(m.Topic, m.QueueID, res.QueueOffset+1, tagsCode)
	}
	return protocol.Success, ""
}

// finalPutStatus is EndTransactionProcessor.sendFinalMessage's answer to a failed put.
func finalPutStatus(s store.PutStatus) (int32, string) {
	switch s {
	case store.CreateMappedFileFailed:
		return protocol.SystemError, "Create mapped file failed."
	case store.MessageIllegal, store.PropertiesSizeExceeded:
		return protocol.MessageIllegal, "The message is illegal, maybe msg body or properties length not matched. " +
			"msg body length limit 128k, msg properties length limit 32k."
	case store.ServiceNotAvailable:
		return protocol.ServiceNotAvailable, "Service not available now."
	case store.OSPageCacheBusy:
		return protocol.SystemError, "OS page cache busy, please try another machine"
	case store.UnknownError:
		return protocol.SystemError, "UNKNOWN_ERROR"
	}
	return protocol.SystemError, "UNKNOWN_ERROR DEFAULT"
}

// putOp writes the op record that marks the half at halfQueueOffset as resolved.
func (t *transactionService) putOp(halfQueueID int32, halfQueueOffset int64) error {
	t.b.topics.CreateTopicInSendMessageBackMethod(TopicTransOpHalf, 1, PermWrite|PermRead, 0)
	host := t.b.data.host()
	var props []byte
	props = message.AppendProperty(props, message.PropertyTags, transOpRemoveTag)
	props = message.AppendProperty(props, message.PropertyWaitStoreMsgOK, "false")
	props = message.AppendProperty(props, message.PropertyUniqClientMessageIDKeyIdx, t.uniq.next())
	m := message.Msg{
		Topic:         TopicTransOpHalf,
		QueueID:       halfQueueID,
		BornTimestamp: time.Now().UnixMilli(),
		BornHost:      host,
		StoreHost:     host,
		Body:          strconv.AppendInt(nil, halfQueueOffset, 10),
		Properties:    props,
		NoWait:        true,
	}
	if res := t.b.store.PutMessage(&m); !res.Status.Stored() {
		return &putError{res.Status}
	}
	return nil
}

type putError struct{ s store.PutStatus }

func (e *putError) Error() string { return "put " + e.s.String() }

// ---- check service ----

// queueOffset is the CID_RMQ_SYS_TRANS progress in a queue, its minimum offset when none is
// recorded yet (fetchConsumeOffset).
func (t *transactionService) queueOffset(topic string, qid int32) int64 {
	if off := t.b.offsets.QueryOffset(transCheckGroup, topic, qid); off >= 0 {
		return off
	}
	return t.b.store.MinOffsetInQueue(topic, qid)
}

// check is one pass of the check service over the half queue.
func (t *transactionService) check() {
	t.passMu.Lock()
	defer t.passMu.Unlock()
	cfg := t.b.conf()
	st := t.b.store
	// Java creates the half and op topics on the first pass (fetchMessageQueues).
	t.b.topics.CreateTopicInSendMessageBackMethod(TopicTransHalf, 1, PermWrite|PermRead, 0)
	t.b.topics.CreateTopicInSendMessageBackMethod(TopicTransOpHalf, 1, PermWrite|PermRead, 0)
	start := time.Now()
	const qid = 0
	halfOff, opOff := t.queueOffset(TopicTransHalf, qid), t.queueOffset(TopicTransOpHalf, qid)
	halfMax := st.MaxOffsetInQueue(TopicTransHalf, qid)
	if halfOff >= halfMax {
		return
	}

	// Every op record from opOff on: which halves are resolved (removed) and which op records
	// concern halves already behind the half offset (done).
	removed := map[int64]int64{} // half queue offset → op queue offset
	var done []int64
	opMax := st.MaxOffsetInQueue(TopicTransOpHalf, qid)
	for off := opOff; off < opMax; {
		r := st.GetMessage(transCheckGroup, TopicTransOpHalf, qid, off, transBatch, 0, nil)
		if r.Status != store.Found {
			next := r.NextBeginOffset
			r.Release()
			if next <= off {
				break
			}
			off = next
			continue
		}
		var v message.View
		for i, rec := range r.Buffers {
			opQ := r.QueueOffsets[i]
			if message.Parse(rec, &v) != nil {
				done = append(done, opQ)
				continue
			}
			// 4.9.8 writes one decimal offset; 5.x writes "n,m," batches.
			parseOpBody(v.Body, func(h int64) {
				if h < halfOff {
					done = append(done, opQ)
				} else {
					removed[h] = opQ
				}
			})
		}
		off = r.NextBeginOffset
		r.Release()
	}

	timeout := cfg.TransactionTimeOut
	maxChecks := cfg.TransactionCheckMax
	reservedMs := int64(cfg.FileReservedTime) * 3600 * 1000
	newHalf := halfOff
scan:
	for i := halfOff; i < halfMax; {
		if t.stopping() || time.Since(start) > transMaxPassTime {
			break
		}
		r := st.GetMessage(transCheckGroup, TopicTransHalf, qid, i, transBatch, 0, nil)
		if r.Status != store.Found {
			next := r.NextBeginOffset
			r.Release()
			if next <= i {
				break
			}
			i, newHalf = next, next
			continue
		}
		var v message.View
		for k, rec := range r.Buffers {
			q := r.QueueOffsets[k]
			if opQ, ok := removed[q]; ok {
				done = append(done, opQ)
				delete(removed, q)
				newHalf = q + 1
				continue
			}
			if message.Parse(rec, &v) != nil {
				newHalf = q + 1
				continue
			}
			if v.StoreTimestamp >= start.UnixMilli() {
				r.Release()
				break scan // appended during this pass (our own re-appends included)
			}
			half := v.Ext()
			now := time.Now().UnixMilli()
			checks := 0
			if s := half.Property(message.PropertyTransactionCheckTimes); s != "" {
				checks, _ = strconv.Atoi(s)
			}
			// needDiscard / needSkip: checked often enough, or born longer ago than the
			// commitlog is kept.
			if checks >= maxChecks || now-half.BornTimestamp > reservedMs {
				t.discard(half, checks)
				newHalf = q + 1
				continue
			}
			age := now - half.BornTimestamp
			if imm := half.Property(message.PropertyCheckImmunityTimeInSecs); imm != "" {
				// A producer-chosen immunity: while it lasts the half is re-appended (once
				// per pass, like Java, which also counts each re-append as a check) and the
				// scan goes on past it instead of stopping there.
				immunity := timeout
				if secs, err := strconv.ParseInt(imm, 10, 64); err == nil && secs != -1 {
					immunity = secs * 1000
				}
				if age < immunity && t.keepImmune(half, checks+1, q, removed, &done) {
					newHalf = q + 1
					continue
				}
			} else if age >= 0 && age < timeout {
				r.Release()
				break scan // halves are in store order: the rest are younger still
			}
			if !t.checkBack(half, checks+1) {
				r.Release()
				break scan // retried on the next pass
			}
			newHalf = q + 1
		}
		i = r.NextBeginOffset
		r.Release()
	}
	if newHalf != halfOff {
		t.b.offsets.CommitOffset("", transCheckGroup, TopicTransHalf, qid, newHalf)
	}
	if newOp := advanceOpOffset(opOff, done); newOp != opOff {
		t.b.offsets.CommitOffset("", transCheckGroup, TopicTransOpHalf, qid, newOp)
	}
}

// keepImmune handles a half still within its CHECK_IMMUNITY_TIME_IN_SECONDS
// (checkPrepareQueueOffset): a copy whose original (TRAN_PREPARED_QUEUE_OFFSET) has been
// resolved is dropped; otherwise the half is re-appended with TRANSACTION_CHECK_TIMES=checks and
// TRAN_PREPARED_QUEUE_OFFSET naming the original (renewImmunityHalfMessageInner, whose property
// string, unlike renewHalfMessageInner's, includes WAIT=false). false means the caller checks it
// now (the offset property is garbage or the re-append failed), as Java falls through.
func (t *transactionService) keepImmune(half *message.MsgExt, checks int, q int64, removed map[int64]int64,
	done *[]int64) bool {
	prep := half.Property(message.PropertyTranPreparedQueueOffset)
	if prep != "" {
		p, err := strconv.ParseInt(prep, 10, 64)
		if err != nil || p == -1 {
			return false
		}
		if opQ, ok := removed[p]; ok {
			delete(removed, p)
			*done = append(*done, opQ)
			return true
		}
	} else {
		prep = strconv.FormatInt(q, 10)
	}
	props := append([]byte(nil), half.Properties...)
	for _, kv := range [][2]string{{message.PropertyTransactionCheckTimes, strconv.Itoa(checks)},
		{message.PropertyTranPreparedQueueOffset, prep}, {message.PropertyWaitStoreMsgOK, "false"}} {
		props = message.DeleteProperty(props, kv[0])
		props = message.AppendProperty(props, kv[0], kv[1])
	}
	renewed := half.Msg
	renewed.Properties = props
	renewed.Flag, renewed.ReconsumeTimes = 0, 0
	renewed.NoWait = true
	res := t.b.store.PutMessage(&renewed)
	if !res.Status.Stored() {
		t.log.WithFields(logrus.Fields{"queueOffset": q, "status": res.Status}).Error("immune half message not re-appended")
		return false
	}
	return true
}

// parseOpBody calls f for each half queue offset an op record names.
func parseOpBody(body []byte, f func(int64)) {
	start := 0
	for i := 0; i <= len(body); i++ {
		if i == len(body) || body[i] == ',' {
			if i > start {
				if n, err := strconv.ParseInt(string(body[start:i]), 10, 64); err == nil {
					f(n)
				}
			}
			start = i + 1
		}
	}
}

// advanceOpOffset moves the op offset over the contiguous run of done op records
// (calculateOpOffset).
func advanceOpOffset(off int64, done []int64) int64 {
	sort.Slice(done, func(i, j int) bool { return done[i] < done[j] })
	for _, d := range done {
		if d == off {
			off++
		} else if d > off {
			break
		}
	}
	return off
}

// checkBack re-appends the half with TRANSACTION_CHECK_TIMES=checks (putBackHalfMsgQueue) and
// asks a live producer of its group for the transaction state. It returns false when the
// re-append failed.
func (t *transactionService) checkBack(half *message.MsgExt, checks int) bool {
	props := message.DeleteProperty(half.Properties, message.PropertyTransactionCheckTimes)
	props = message.AppendProperty(props, message.PropertyTransactionCheckTimes, strconv.Itoa(checks))
	// renewHalfMessageInner copies neither the flag nor the reconsume times (both become 0,
	// and so does the flag of a message committed after a check); it sets WAIT=false only
	// after building the property string, so the stored properties gain nothing else.
	renewed := half.Msg
	renewed.Properties = props
	renewed.Flag, renewed.ReconsumeTimes = 0, 0
	renewed.NoWait = true
	res := t.b.store.PutMessage(&renewed)
	fields := logrus.Fields{"queueOffset": half.QueueOffset, "checkTimes": checks}
	if !res.Status.Stored() {
		t.log.WithFields(fields).WithField("status", res.Status).Error("half message not re-appended; check postponed")
		return false
	}
	group := half.Property(message.PropertyProducerGroup)
	fields["producerGroup"] = group
	chans := t.b.clients.ProducerChannels(group)
	if len(chans) == 0 || group == "" {
		t.log.WithFields(fields).Warn("check transaction failed, no live producer channel of the group")
		return true
	}
	ci := chans[rand.IntN(len(chans))]
	uniq := half.Property(message.PropertyUniqClientMessageIDKeyIdx)
	hdr := protocol.CheckTransactionStateRequestHeader{
		TranStateTableOffset: res.QueueOffset,
		CommitLogOffset:      res.WroteOffset,
		MsgID:                uniq,
		TransactionID:        uniq,
		OffsetMsgID:          message.OffsetMsgID(half.StoreHost, res.WroteOffset),
	}
	var ext remoting.ExtFields
	hdr.Encode(&ext)
	// The body is the half re-encoded as the producer sees the message: real topic and queue,
	// the renewed record's offsets, the original store time (sendCheckMessage).
	// Java's renewHalfMessageInner shares the half's property map and sets WAIT=false in it
	// after the renewed record's string was built, so only the check body shows WAIT=false.
	shown := renewed
	shown.Properties = message.DeleteProperty(append([]byte(nil), props...), message.PropertyWaitStoreMsgOK)
	shown.Properties = message.AppendProperty(shown.Properties, message.PropertyWaitStoreMsgOK, "false")
	shown.Topic = half.Property(message.PropertyRealTopic)
	if q, err := strconv.Atoi(half.Property(message.PropertyRealQueueID)); err == nil {
		shown.QueueID = int32(q)
	}
	body := message.AppendRecord(nil, &shown, res.QueueOffset, res.WroteOffset, half.StoreTimestamp)
	req := remoting.NewRequest(protocol.CheckTransactionState, ext, body)
	req.MarkOneway()
	if err := t.b.invokeOneway(ci.Channel, req); err != nil {
		t.log.WithFields(fields).WithError(err).WithField("remote", ci.Channel.RemoteAddr()).
			Warn("check transaction request not sent")
		return true
	}
	t.log.WithFields(fields).WithField("remote", ci.Channel.RemoteAddr()).Debug("transaction check sent")
	return true
}

// discard gives a half up (resolveDiscardMsg): it is copied to TRANS_CHECK_MAX_TIME_TOPIC,
// where nobody consumes it, and skipped from now on.
func (t *transactionService) discard(half *message.MsgExt, checks int) {
	t.b.topics.CreateTopicInSendMessageBackMethod(TopicTransCheckMax, 1, PermWrite|PermRead, 0)
	m := half.Msg
	m.Topic, m.QueueID = TopicTransCheckMax, 0
	m.NoWait = true
	res := t.b.store.PutMessage(&m)
	t.log.WithFields(logrus.Fields{"queueOffset": half.QueueOffset, "checkTimes": checks,
		"producerGroup": half.Property(message.PropertyProducerGroup), "status": res.Status,
		"uniqKey": half.Property(message.PropertyUniqClientMessageIDKeyIdx)}).
		Warn("half message checked too often or too old, discarded to " + TopicTransCheckMax)
}

// ---- unique ids ----

// uniqIDGen makes UNIQ_KEY values in the layout of Java's MessageClientIDSetter: address (4
// bytes), pid (2), a per-process random (4), milliseconds since the start of the month (4), a
// counter (2), as 32 upper-case hex digits.
type uniqIDGen struct {
	prefix [10]byte
	month  int64
	seq    atomic.Uint32
}

func (g *uniqIDGen) init(ip string) {
	var a [4]byte
	if addr, err := netip.ParseAddr(ip); err == nil && addr.Unmap().Is4() {
		a = addr.Unmap().As4()
	}
	copy(g.prefix[:4], a[:])
	binary.BigEndian.PutUint16(g.prefix[4:], uint16(os.Getpid()))
	binary.BigEndian.PutUint32(g.prefix[6:], rand.Uint32())
	now := time.Now()
	g.month = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location()).UnixMilli()
}

func (g *uniqIDGen) next() string {
	var raw [16]byte
	copy(raw[:10], g.prefix[:])
	binary.BigEndian.PutUint32(raw[10:], uint32(time.Now().UnixMilli()-g.month))
	binary.BigEndian.PutUint16(raw[14:], uint16(g.seq.Add(1)))
	const hex = "0123456789ABCDEF"
	var out [32]byte
	for i, c := range raw {
		out[2*i], out[2*i+1] = hex[c>>4], hex[c&0xF]
	}
	return string(out[:])
}

// resumeCheckHalfMessage serves RESUME_CHECK_HALF_MESSAGE (323, MQAdminExt.resumeCheckHalfMessage):
// the message at the offset msgId names is appended to the half topic again with
// TRANSACTION_CHECK_TIMES=0, so that the check service asks its producer afresh, even after it
// ran out of checks. As Java, any message id is taken; its flag, sysFlag, hosts, born time and
// reconsume times are kept.
func (t *transactionService) resumeCheckHalfMessage(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	const failed = "Exception was thrown when putting message back to " + TopicTransHalf + "."
	msgID, err := protocol.Header{Ext: req.ExtFields}.Str("msgId")
	if err != nil {
		return headerError(req, err)
	}
	_, offset, err := message.ParseOffsetMsgID(msgID)
	if err != nil {
		return remoting.NewResponse(req, protocol.SystemError, failed)
	}
	m, err := t.b.store.LookMessageByOffset(offset)
	if err != nil {
		return remoting.NewResponse(req, protocol.SystemError, failed)
	}
	props := message.DeleteProperty(m.Properties, message.PropertyTransactionCheckTimes)
	props = message.AppendProperty(props, message.PropertyTransactionCheckTimes, "0")
	again := m.Msg
	again.Topic, again.QueueID, again.Properties, again.NoWait = TopicTransHalf, 0, props, true
	if res := t.b.store.PutMessage(&again); res.Status != store.PutOK {
		t.log.WithFields(logrus.Fields{"msgId": msgID, "status": res.Status}).Error("resumed half message not appended")
		return remoting.NewResponse(req, protocol.SystemError, "Put message back to "+TopicTransHalf+" failed.")
	}
	t.log.WithField("msgId", msgID).Info("half message put back for its transaction check")
	return success(req)
}
