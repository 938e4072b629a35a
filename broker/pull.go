package broker

import (
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// Expression types of a subscription (Java's ExpressionType).
const (
	exprTag   = "TAG"
	exprSQL92 = "SQL92"
	subAll    = "*"
)

// isTagType is Java's ExpressionType.isTagType: an absent type or "TAG".
func isTagType(t string) bool { return t == "" || t == exprTag }

// tagFilter is the broker-side filter of one pull, Java's ExpressionMessageFilter for TAG
// subscriptions: it compares the consume-queue tags code with the Java hashes of the
// subscribed tags. Hash collisions pass; the clients drop them by comparing the tag strings
// (remoting-protocol.md §7.4). A nil *tagFilter matches everything.
type tagFilter struct {
	all   bool
	codes []int32
}

// matchAllFilter is shared by every "*" subscription so that they cost no allocation.
var matchAllFilter = &tagFilter{all: true}

// matchTagsCode is isMatchedByConsumeQueue: only the low 32 bits of the tags code count,
// because Java compares Integer hashes with tagsCode.intValue().
func (f *tagFilter) matchTagsCode(tagsCode int64) bool {
	if f == nil || f.all {
		return true
	}
	c := int32(tagsCode)
	for _, x := range f.codes {
		if x == c {
			return true
		}
	}
	return false
}

// MatchTagsCode lets a *tagFilter serve as the store's consume-queue filter.
func (f *tagFilter) MatchTagsCode(tagsCode int64) bool { return f.matchTagsCode(tagsCode) }

// parseTagExpression builds the filter of a TAG expression the way Java's
// FilterAPI.buildSubscriptionData does: "" or "*" is everything, otherwise tags split on
// "||", each trimmed, empty ones skipped.
func parseTagExpression(sub string) *tagFilter {
	if sub == "" || sub == subAll {
		return matchAllFilter
	}
	f := &tagFilter{}
	for sub != "" {
		tag := sub
		if i := strings.Index(sub, "||"); i >= 0 {
			tag, sub = sub[:i], sub[i+2:]
		} else {
			sub = ""
		}
		tag = strings.TrimSpace(tag)
		if tag != "" {
			f.codes = append(f.codes, message.JavaHash(tag))
		}
	}
	// Java's split drops trailing empty strings but keeps an all-empty result as "nothing
	// matches"; a filter whose code set is empty matches no tagged message, which is what
	// Java's codeSet.contains does too.
	return f
}

// filterFromCodes builds the filter from the code set a heartbeat carried (Go clients send the
// codes as strings, which the heartbeat decoder already converted). An empty set with a
// subscription other than "*" matches nothing, as in Java.
func filterFromCodes(subString string, codes []int32) *tagFilter {
	if subString == "" || subString == subAll {
		return matchAllFilter
	}
	return &tagFilter{codes: codes}
}

// The pull path (Java's PullMessageProcessor, 4.9.8):
//
//	PULL_MESSAGE ─▶ header ─▶ checks in Java's order (broker readable, group, consumeEnable,
//	topic, topic readable, queue id, subscription: request's or the heartbeat's)
//	  ─▶ store.GetMessage(filter: consume-queue tags code, or for SQL92 subscriptions the
//	     compiled expression on the record's properties, filter_sql.go) ─▶ status → code
//	  ─▶ FOUND: body = the stored records as they are
//	     PULL_NOT_FOUND + FLAG_SUSPEND on the first pass: held (longpoll.go), answered later
//	  ─▶ FLAG_COMMIT_OFFSET on the first pass of a master: store commitOffset for the group

// pullProcessor serves PULL_MESSAGE.
type pullProcessor struct {
	d *dataPlane
}

// process is the first pass: suspension allowed.
func (p *pullProcessor) process(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	resp, found := p.run(ch, req, true)
	if found == nil {
		return resp
	}
	// A FOUND answer is written here rather than returned: its body still aliases the mapped
	// files, which are released as soon as the frame has been copied into the connection.
	p.writeFound(ch, req, resp, found)
	return nil
}

// replay answers a held pull: the pull runs again without suspension and the answer goes out
// with the original opaque through Channel.Write.
func (p *pullProcessor) replay(h *heldPull) {
	resp, found := p.run(h.ch, h.req, false)
	switch {
	case found != nil:
		p.writeFound(h.ch, h.req, resp, found)
	case resp != nil:
		p.write(h.ch, h.req, resp)
	}
}

// writeFound sends a FOUND answer whose body is the stored records of found, then releases
// them. The server's channels copy the records straight into the connection's output
// (remoting.PartsWriter): one copy, and no mapped file stays pinned by a slow reader. Other
// channels get the records gathered into a pooled body first.
func (p *pullProcessor) writeFound(ch remoting.Channel, req, resp *remoting.Command, found *store.GetResult) {
	defer found.Release()
	if req.IsOneway() {
		return
	}
	if pw, ok := ch.(remoting.PartsWriter); ok {
		resp.Opaque = req.Opaque
		resp.MarkResponse()
		resp.Serialize = req.Serialize
		if err := pw.WriteParts(resp, found.Buffers); err != nil {
			p.d.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "code": resp.Code, "err": err}).
				Debug("pull answer not written")
		}
		return
	}
	body := p.d.getBody(int(found.BufferTotalSize))
	for _, buf := range found.Buffers {
		*body = append(*body, buf...)
	}
	resp.Body = *body
	p.write(ch, req, resp)
	p.d.putBody(body)
}

// write sends resp as the answer to req: what the server does for returned responses.
func (p *pullProcessor) write(ch remoting.Channel, req, resp *remoting.Command) {
	if req.IsOneway() {
		return
	}
	resp.Opaque = req.Opaque
	resp.MarkResponse()
	resp.Serialize = req.Serialize
	if err := ch.Write(resp); err != nil {
		p.d.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "code": resp.Code, "err": err}).
			Debug("pull answer not written")
	}
}

// maxPooledBody caps the pull bodies kept for reuse; a rare huge one is left to the GC.
const maxPooledBody = 4 << 20

func (d *dataPlane) getBody(n int) *[]byte {
	bp := d.bodyPool.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, 0, n)
	}
	*bp = (*bp)[:0]
	return bp
}

func (d *dataPlane) putBody(bp *[]byte) {
	if cap(*bp) <= maxPooledBody {
		d.bodyPool.Put(bp)
	}
}

// javaRemoteAddr is how Java prints a channel's SocketAddress in remarks: "/ip:port".
func javaRemoteAddr(ch remoting.Channel) string { return "/" + ch.RemoteAddr() }

func pullFail(resp *remoting.Command, code int32, remark string) (*remoting.Command, *store.GetResult) {
	resp.Code = code
	resp.SetRemark(remark)
	return resp, nil
}

// run is processRequest(channel, request, brokerAllowSuspend).
//
// A FOUND answer comes back without a body, with the store's result as found: the caller
// writes it with writeFound, which releases the result.
func (p *pullProcessor) run(ch remoting.Channel, req *remoting.Command, allowSuspend bool) (*remoting.Command, *store.GetResult) {
	b := p.d.b
	cfg := b.conf()
	var h protocol.PullMessageRequestHeader
	if err := h.Decode(req.ExtFields); err != nil {
		p.d.log.WithFields(logrus.Fields{"remote": ch.RemoteAddr(), "err": err}).Warn("bad pull request header")
		return remoting.NewResponse(req, protocol.SystemError, err.Error()), nil
	}
	resp := remoting.NewResponse(req, protocol.Success, "")

	if cfg.BrokerPermission&PermRead == 0 {
		return pullFail(resp, protocol.NoPermission, "the broker["+cfg.BrokerIP1+"] pulling message is forbidden")
	}
	sg := b.groups.FindSubscriptionGroupConfig(h.ConsumerGroup)
	if sg == nil {
		return pullFail(resp, protocol.SubscriptionGroupNotExist,
			"subscription group ["+h.ConsumerGroup+"] does not exist, "+faqSuffix)
	}
	if !sg.ConsumeEnable {
		return pullFail(resp, protocol.NoPermission, "subscription group no permission, "+h.ConsumerGroup)
	}
	hasSuspend := h.HasFlag(protocol.PullFlagSuspend)
	hasCommit := h.HasFlag(protocol.PullFlagCommitOffset)
	hasSub := h.HasFlag(protocol.PullFlagSubscription)

	tc := b.topics.SelectTopicConfig(h.Topic)
	if tc == nil {
		p.d.log.WithFields(logrus.Fields{"topic": h.Topic, "remote": ch.RemoteAddr()}).Warn("pull of a topic that does not exist")
		return pullFail(resp, protocol.TopicNotExist, "topic["+h.Topic+"] not exist, apply first please! "+faqSuffix)
	}
	if tc.Perm&PermRead == 0 {
		return pullFail(resp, protocol.NoPermission, "the topic["+h.Topic+"] pulling message is forbidden")
	}
	if h.QueueID < 0 || h.QueueID >= tc.ReadQueueNums {
		remark := "queueId[" + strconv.Itoa(int(h.QueueID)) + "] is illegal, topic:[" + h.Topic +
			"] topicConfig.readQueueNums:[" + strconv.Itoa(int(tc.ReadQueueNums)) + "] consumer:[" + javaRemoteAddr(ch) + "]"
		p.d.log.WithFields(logrus.Fields{"topic": h.Topic, "queueId": h.QueueID, "remote": ch.RemoteAddr()}).
			Warn("pull of an illegal queue id")
		return pullFail(resp, protocol.SystemError, remark)
	}

	var filter *tagFilter
	var sqlF *sqlExpr // SQL92 subscriptions (filter_sql.go, filter_manager.go)
	exprType := h.ExpressionType
	if hasSub {
		if isTagType(exprType) {
			filter = parseTagExpression(h.Subscription)
		} else if !cfg.EnablePropertyFilter {
			// Java builds a non-TAG subscription without parsing it (a bad one only yields null
			// filter data), so with the property filter off every such pull, valid or not, gets
			// the refusal below (found by compat's differential test).
			return pullFail(resp, protocol.SystemError, "The broker does not support consumer to filter message by "+exprType)
		} else if err := checkFilterExpression(exprType, h.Subscription); err != nil {
			// Java refuses an empty non-TAG expression here; for one that does not compile its
			// filter data silently ends up null and the pull goes unfiltered. We refuse both.
			p.d.log.WithFields(logrus.Fields{"group": h.ConsumerGroup, "topic": h.Topic, "expression": h.Subscription}).
				WithError(err).Warn("parse the consumer's subscription failed")
			return pullFail(resp, protocol.SubscriptionParseFailed, "parse the consumer's subscription failed")
		} else {
			sqlF, _ = compileSQL92Cached(h.Subscription)
		}
	} else {
		cg := b.clients.ConsumerGroup(h.ConsumerGroup)
		if cg == nil {
			return pullFail(resp, protocol.SubscriptionNotExist, "the consumer's group info not exist"+faqSuffix)
		}
		if !sg.ConsumeBroadcastEnable && cg.MessageModel() == "BROADCASTING" {
			return pullFail(resp, protocol.NoPermission,
				"the consumer group["+h.ConsumerGroup+"] can not consume by broadcast way")
		}
		sub := cg.FindSubscriptionData(h.Topic)
		if sub == nil {
			return pullFail(resp, protocol.SubscriptionNotExist, "the consumer's subscription not exist"+faqSuffix)
		}
		if sub.SubVersion < h.SubVersion {
			return pullFail(resp, protocol.SubscriptionNotLatest, "the consumer's subscription not latest")
		}
		exprType = sub.ExpressionType
		if isTagType(exprType) {
			if sub.ClassFilterMode {
				filter = matchAllFilter
			} else {
				filter = filterFromCodes(sub.SubString, sub.CodeSet)
			}
		} else {
			fd := b.filters.Get(h.Topic, h.ConsumerGroup)
			if fd == nil || fd.expr == nil {
				return pullFail(resp, protocol.FilterDataNotExist,
					"The broker's consumer filter data is not exist!Your expression may be wrong!")
			}
			if fd.ClientVersion < h.SubVersion {
				return pullFail(resp, protocol.FilterDataNotLatest, "the consumer's consumer filter data not latest")
			}
			sqlF = fd.expr
		}
	}
	if !isTagType(exprType) && !cfg.EnablePropertyFilter {
		return pullFail(resp, protocol.SystemError, "The broker does not support consumer to filter message by "+exprType)
	}

	if filter == nil {
		// SQL92 pulls are parked with the match-all tag filter and their expression: the
		// arrival hook evaluates it against the new record's properties, as Java does.
		filter = matchAllFilter
	}
	var msgFilter store.MessageFilter = filter
	heldSQL := sqlF // what a held pull evaluates on arrivals
	if sqlF != nil {
		msgFilter = sqlF
	}
	if cfg.FilterSupportRetry && strings.HasPrefix(h.Topic, RetryGroupTopicPre) {
		msgFilter = &retryFilter{tags: filter, m: b.filters, group: h.Topic[len(RetryGroupTopicPre):]}
		heldSQL = nil // a retry topic's filter decides on the real topic: any arrival wakes it
	}
	res := b.store.GetMessage(h.ConsumerGroup, h.Topic, h.QueueID, h.QueueOffset, h.MaxMsgNums, h.MaxMsgBytes, msgFilter)
	if res == nil {
		p.commitOffset(ch, &h, allowSuspend && hasCommit)
		return pullFail(resp, protocol.SystemError, "store getMessage return null")
	}
	if res.Status == store.NoMatchedLogicQueue {
		// Java's getMessage looks the queue up with findConsumeQueue, which creates it, so a
		// queue of a known topic that never held a message answers NO_MESSAGE_IN_QUEUE there
		// (found by compat's differential test); the code and offsets are the same either way.
		resp.SetRemark(store.NoMessageInQueue.String())
	} else {
		resp.SetRemark(res.Status.String())
	}
	rh := protocol.PullMessageResponseHeader{
		NextBeginOffset: res.NextBeginOffset,
		MinOffset:       res.MinOffset,
		MaxOffset:       res.MaxOffset,
	}
	if cfg.SlaveReadEnable {
		if res.SuggestPullingFromSlave {
			rh.SuggestWhichBrokerID = sg.WhichBrokerWhenConsumeSlowly
		} else {
			rh.SuggestWhichBrokerID = sg.BrokerID
		}
	}
	switch res.Status {
	case store.Found:
		resp.Code = protocol.Success
	case store.MessageWasRemoving, store.NoMatchedMessage:
		resp.Code = protocol.PullRetryImmediately
	case store.NoMatchedLogicQueue, store.NoMessageInQueue:
		if h.QueueOffset != 0 {
			resp.Code = protocol.PullOffsetMoved
		} else {
			resp.Code = protocol.PullNotFound
		}
	case store.OffsetFoundNull, store.OffsetOverflowOne:
		resp.Code = protocol.PullNotFound
	case store.OffsetOverflowBadly, store.OffsetTooSmall:
		resp.Code = protocol.PullOffsetMoved
	default:
		resp.Code = protocol.SystemError
	}

	var found *store.GetResult
	switch resp.Code {
	case protocol.Success:
		found = res
		b.adm.stats.OnGet(h.ConsumerGroup, h.Topic, res.MsgCount, res.BufferTotalSize)
	case protocol.PullNotFound:
		if allowSuspend && hasSuspend {
			timeout := time.Duration(h.SuspendTimeoutMillis) * time.Millisecond
			if !cfg.LongPollingEnable {
				timeout = time.Duration(cfg.ShortPollingTimeMills) * time.Millisecond
			}
			held := &heldPull{ch: ch, req: req, key: queueKey{h.Topic, h.QueueID}, offset: h.QueueOffset,
				filter: filter, sql: heldSQL}
			if p.d.hold.hold(held, timeout) {
				res.Release()
				p.commitOffset(ch, &h, hasCommit)
				// A message stored after GetMessage looked but before the pull was parked
				// notified nobody; look once more so it is not left waiting for the timeout.
				if b.store.MaxOffsetInQueue(h.Topic, h.QueueID) > h.QueueOffset {
					p.d.hold.wake(held)
				}
				return nil, nil
			}
		}
	case protocol.PullOffsetMoved:
		if !p.d.slave() {
			p.d.offsetMovedEvent(&h, res.NextBeginOffset)
			p.d.log.WithFields(logrus.Fields{"topic": h.Topic, "queueId": h.QueueID, "group": h.ConsumerGroup,
				"requestOffset": h.QueueOffset, "newOffset": res.NextBeginOffset}).Warn("PULL_OFFSET_MOVED: correction offset")
		} else {
			rh.SuggestWhichBrokerID = sg.BrokerID
			resp.Code = protocol.PullRetryImmediately
		}
	}
	if found == nil {
		res.Release()
	}
	resp.ExtFields = make(remoting.ExtFields, 0, 4)
	rh.Encode(&resp.ExtFields)
	if req.Serialize == remoting.SerializeRocketMQ {
		reorderExt(resp.ExtFields, pullBinaryOrder)
	}
	p.commitOffset(ch, &h, allowSuspend && hasCommit)
	return resp, found
}

// commitOffset is the commit-offset piggyback: on the first pass of a master, a pull with
// FLAG_COMMIT_OFFSET stores commitOffset as the group's offset, whatever the answer.
func (p *pullProcessor) commitOffset(ch remoting.Channel, h *protocol.PullMessageRequestHeader, enabled bool) {
	if !enabled || p.d.slave() {
		return
	}
	p.d.b.offsets.CommitOffset(ch.RemoteAddr(), h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
}

// offsetMovedEvent writes the OFFSET_MOVED_EVENT record Java's generateOffsetMovedEvent writes
// when a master corrects a consumer's offset: tags and keys = the group, body = the event JSON.
func (d *dataPlane) offsetMovedEvent(h *protocol.PullMessageRequestHeader, offsetNew int64) {
	body := make([]byte, 0, 192)
	body = append(body, `{"consumerGroup":`...)
	body = strconv.AppendQuote(body, h.ConsumerGroup)
	body = append(body, `,"messageQueue":{"brokerName":`...)
	body = strconv.AppendQuote(body, d.b.conf().BrokerName)
	body = append(body, `,"queueId":`...)
	body = strconv.AppendInt(body, int64(h.QueueID), 10)
	body = append(body, `,"topic":`...)
	body = strconv.AppendQuote(body, h.Topic)
	body = append(body, `},"offsetNew":`...)
	body = strconv.AppendInt(body, offsetNew, 10)
	body = append(body, `,"offsetRequest":`...)
	body = strconv.AppendInt(body, h.QueueOffset, 10)
	body = append(body, '}')
	props := message.AppendProperty(nil, message.PropertyTags, h.ConsumerGroup)
	props = message.AppendProperty(props, message.PropertyKeys, h.ConsumerGroup)
	host := d.host()
	m := message.Msg{
		Topic:         TopicOffsetMoved,
		BornTimestamp: time.Now().UnixMilli(),
		BornHost:      host,
		StoreHost:     host,
		Body:          body,
		Properties:    props,
	}
	if res := d.b.store.PutMessage(&m); res.Status != store.PutOK {
		d.log.WithFields(logrus.Fields{"topic": h.Topic, "group": h.ConsumerGroup, "status": res.Status}).
			Warn("OFFSET_MOVED_EVENT not stored")
	}
}

// MatchRecord accepts every record: TAG filtering is decided by the tags code alone, the
// clients re-check the tag strings.
func (f *tagFilter) MatchRecord([]byte) bool { return true }

// slave reports whether this broker is a slave (brokerRole=SLAVE).
func (d *dataPlane) slave() bool { return d.b.cfg.BrokerRole == store.Slave }
