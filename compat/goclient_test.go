package compat

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketgo/rocketgo/internal/testport"
)

// Tests with the stock Go client (rocketmq-client-go/v2, the version compat/go.mod pins).
// Every test asserts exact delivery: which messages arrived and how many times each.

const deliveryTimeout = 20 * time.Second

func startProducer(t testing.TB, c *cluster, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	base := []producer.Option{
		producer.WithNameServer(primitive.NamesrvAddr{c.NamesrvAddr()}),
		producer.WithGroupName(uniq("PG")),
		producer.WithInstanceName(uniq("p")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(3 * time.Second),
	}
	p, err := rocketmq.NewProducer(append(base, opts...)...)
	if err != nil {
		t.Fatalf("new producer: %v", err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("start producer: %v", err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// received keeps the last copy of each consumed message for property checks.
type received struct {
	sync.Mutex
	m map[string]*primitive.MessageExt
}

func (r *received) get(body string) *primitive.MessageExt {
	r.Lock()
	defer r.Unlock()
	return r.m[body]
}

type pushSpec struct {
	group, instance, topic, expr string
	broadcast                    bool // the client's zero MessageModel is BroadCasting, so say it explicitly
	from                         consumer.ConsumeFromWhere
	opts                         []consumer.Option
}

// startPush starts a push consumer that records every message it is handed in d.
func startPush(t testing.TB, c *cluster, s pushSpec, d *deliveries, rec *received) rocketmq.PushConsumer {
	t.Helper()
	if s.expr == "" {
		s.expr = "*"
	}
	if s.instance == "" {
		s.instance = uniq("c")
	}
	model := consumer.Clustering
	if s.broadcast {
		model = consumer.BroadCasting
	}
	opts := []consumer.Option{
		consumer.WithNameServer(primitive.NamesrvAddr{c.NamesrvAddr()}),
		consumer.WithGroupName(s.group),
		consumer.WithInstance(s.instance),
		consumer.WithConsumerModel(model),
		consumer.WithConsumeFromWhere(s.from),
	}
	pc, err := rocketmq.NewPushConsumer(append(opts, s.opts...)...)
	if err != nil {
		t.Fatalf("new push consumer: %v", err)
	}
	who := s.instance
	err = pc.Subscribe(s.topic, consumer.MessageSelector{Type: consumer.TAG, Expression: s.expr},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				if rec != nil {
					rec.Lock()
					if rec.m == nil {
						rec.m = map[string]*primitive.MessageExt{}
					}
					rec.m[string(m.Body)] = m
					rec.Unlock()
				}
				d.add(who, string(m.Body))
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := pc.Start(); err != nil {
		t.Fatalf("start push consumer %s/%s: %v", s.group, s.instance, err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { _ = pc.Shutdown() }) }
	t.Cleanup(stop)
	return pc
}

// decodeOffsetMsgID splits an IPv4 offset message id (trap 9): 4 bytes address, 4 bytes port,
// 8 bytes commit-log offset, as 32 hex digits.
func decodeOffsetMsgID(t testing.TB, id string) (addr string, offset int64) {
	t.Helper()
	if len(id) != 32 {
		t.Fatalf("offset msg id %q has %d hex digits, want 32", id, len(id))
	}
	b, err := hex.DecodeString(id)
	if err != nil {
		t.Fatalf("offset msg id %q: %v", id, err)
	}
	return fmt.Sprintf("%d.%d.%d.%d:%d", b[0], b[1], b[2], b[3], binary.BigEndian.Uint32(b[4:8])),
		int64(binary.BigEndian.Uint64(b[8:16]))
}

func newMsg(topic, body string) *primitive.Message { return primitive.NewMessage(topic, []byte(body)) }

// TestGoSyncSendPushConsume: sync sends come back SEND_OK with ids that point at our broker,
// and a push consumer gets each message once with body, tag, keys and user properties intact.
func TestGoSyncSendPushConsume(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoSync")
	c.createTopic(topic, 4)
	p := startProducer(t, c)

	want := bodies("sync", 20)
	queues := map[int]int{}
	offsets := map[string]int64{}
	for i, b := range want {
		m := newMsg(topic, b).WithTag("TagA").WithKeys([]string{"K" + b, "second"})
		m.WithProperty("color", "blue")
		m.WithProperty("seq", fmt.Sprint(i))
		res, err := p.SendSync(context.Background(), m)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if res.Status != primitive.SendOK {
			t.Fatalf("send %d: status %v", i, res.Status)
		}
		if res.MsgID == "" {
			t.Errorf("send %d: empty MsgID (UNIQ_KEY)", i)
		}
		addr, off := decodeOffsetMsgID(t, res.OffsetMsgID)
		if addr != c.brokers[0].Addr() {
			t.Errorf("offset msg id %s decodes to %s, want the broker's %s", res.OffsetMsgID, addr, c.brokers[0].Addr())
		}
		offsets[b] = off
		if res.MessageQueue == nil || res.MessageQueue.BrokerName != c.brokers[0].Name {
			t.Fatalf("send %d: message queue %v", i, res.MessageQueue)
		}
		queues[res.MessageQueue.QueueId]++
		if want := int64(queues[res.MessageQueue.QueueId] - 1); res.QueueOffset != want {
			t.Errorf("send %d to queue %d: queue offset %d, want %d", i, res.MessageQueue.QueueId, res.QueueOffset, want)
		}
	}
	if len(queues) != 4 {
		t.Errorf("the producer spread 20 messages over queues %v, want all 4", queues)
	}

	d := newDeliveries()
	rec := &received{}
	startPush(t, c, pushSpec{group: uniq("CG"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, rec)
	d.waitTotal(t, len(want), deliveryTimeout)
	d.settle(500 * time.Millisecond)
	d.assertExactly(t, want, 1)

	for _, b := range want {
		m := rec.get(b)
		if m == nil {
			continue
		}
		if m.Topic != topic || m.GetTags() != "TagA" || m.GetKeys() != "K"+b+" second" || m.GetProperty("color") != "blue" {
			t.Errorf("%s: topic=%q tags=%q keys=%q color=%q", b, m.Topic, m.GetTags(), m.GetKeys(), m.GetProperty("color"))
		}
		if m.MsgId == "" || m.StoreHost != c.brokers[0].Addr() {
			t.Errorf("%s: msgId=%q storeHost=%q", b, m.MsgId, m.StoreHost)
		}
		if m.CommitLogOffset != offsets[b] {
			t.Errorf("%s: commit-log offset %d, the send result said %d", b, m.CommitLogOffset, offsets[b])
		}
		if m.GetProperty("CLUSTER") != "CompatCluster" {
			t.Errorf("%s: CLUSTER property %q, want the broker's cluster", b, m.GetProperty("CLUSTER"))
		}
	}
}

// TestGoAsyncSend: every async send calls back once with SEND_OK; all are consumed once.
func TestGoAsyncSend(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoAsync")
	c.createTopic(topic, 4)
	p := startProducer(t, c)
	want := bodies("async", 30)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	for _, b := range want {
		wg.Add(1)
		err := p.SendAsync(context.Background(), func(_ context.Context, res *primitive.SendResult, err error) {
			defer wg.Done()
			if err != nil || res.Status != primitive.SendOK {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%v %v", res, err))
				mu.Unlock()
			}
		}, newMsg(topic, b))
		if err != nil {
			t.Fatalf("send async: %v", err)
		}
	}
	waitGroupTimeout(t, &wg, 10*time.Second, "async send callbacks")
	if len(errs) > 0 {
		t.Fatalf("async sends failed: %v", errs)
	}
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CG"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, len(want), deliveryTimeout)
	d.settle(500 * time.Millisecond)
	d.assertExactly(t, want, 1)
}

// TestGoOnewaySend covers trap 1: the Go client's "oneway" sends carry no oneway bit, and
// they must still be stored (and answering them is harmless).
func TestGoOnewaySend(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoOneway")
	c.createTopic(topic, 2)
	p := startProducer(t, c)
	want := bodies("oneway", 15)
	for _, b := range want {
		if err := p.SendOneWay(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatalf("send oneway: %v", err)
		}
	}
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CG"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, len(want), deliveryTimeout)
	d.settle(500 * time.Millisecond)
	d.assertExactly(t, want, 1)
}

// TestGoBatchSend: one SEND_BATCH_MESSAGE of 10 lands in one queue with consecutive offsets;
// the Go client's batch carries no UNIQ_KEY (trap 22), so consumers see the offset id as msgId.
func TestGoBatchSend(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoBatch")
	c.createTopic(topic, 4)
	p := startProducer(t, c)
	want := bodies("batch", 10)
	var msgs []*primitive.Message
	for _, b := range want {
		msgs = append(msgs, newMsg(topic, b).WithTag("TagB"))
	}
	res, err := p.SendSync(context.Background(), msgs...)
	if err != nil {
		t.Fatalf("send batch: %v", err)
	}
	if res.Status != primitive.SendOK {
		t.Fatalf("batch status %v", res.Status)
	}
	ids := strings.Split(res.OffsetMsgID, ",")
	if len(ids) != len(want) {
		t.Fatalf("batch offset msg ids %q: %d ids for %d messages", res.OffsetMsgID, len(ids), len(want))
	}
	for _, id := range ids {
		if addr, _ := decodeOffsetMsgID(t, id); addr != c.brokers[0].Addr() {
			t.Errorf("batch offset id %s decodes to %s", id, addr)
		}
	}
	if res.QueueOffset != 0 {
		t.Errorf("first batch to a new queue starts at queue offset %d, want 0", res.QueueOffset)
	}
	d := newDeliveries()
	rec := &received{}
	startPush(t, c, pushSpec{group: uniq("CG"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, rec)
	d.waitTotal(t, len(want), deliveryTimeout)
	d.settle(500 * time.Millisecond)
	d.assertExactly(t, want, 1)
	for i, b := range want {
		m := rec.get(b)
		if m == nil {
			continue
		}
		if m.Queue.QueueId != res.MessageQueue.QueueId || m.QueueOffset != int64(i) {
			t.Errorf("%s: queue %d offset %d, want queue %d offset %d", b, m.Queue.QueueId, m.QueueOffset, res.MessageQueue.QueueId, i)
		}
		if m.GetTags() != "TagB" {
			t.Errorf("%s: tag %q", b, m.GetTags())
		}
		if m.MsgId != m.OffsetMsgId {
			t.Errorf("%s: batch message msgId %q, want the offset id %q (no UNIQ_KEY)", b, m.MsgId, m.OffsetMsgId)
		}
	}
}

// TestGoTags: a consumer subscribed to "TagA || TagC" receives exactly those; a "*" group in
// parallel receives everything.
func TestGoTags(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoTags")
	c.createTopic(topic, 2)
	p := startProducer(t, c)
	var all, ac []string
	for i := 0; i < 30; i++ {
		tag := []string{"TagA", "TagB", "TagC"}[i%3]
		m := newMsg(topic, fmt.Sprintf("%s-%02d", tag, i))
		if i%10 == 9 {
			// An untagged message must never match a tag expression.
			m = newMsg(topic, fmt.Sprintf("untagged-%02d", i))
		} else {
			m.WithTag(tag)
			if tag != "TagB" {
				ac = append(ac, string(m.Body))
			}
		}
		all = append(all, string(m.Body))
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	dAC, dAll := newDeliveries(), newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CGtag"), topic: topic, expr: "TagA || TagC", from: consumer.ConsumeFromFirstOffset}, dAC, nil)
	startPush(t, c, pushSpec{group: uniq("CGall"), topic: topic, from: consumer.ConsumeFromFirstOffset}, dAll, nil)
	dAll.waitTotal(t, len(all), deliveryTimeout)
	dAC.waitTotal(t, len(ac), deliveryTimeout)
	dAC.settle(700 * time.Millisecond)
	dAC.assertExactly(t, ac, 1)
	dAll.assertExactly(t, all, 1)
}

// TestGoPushGroupSharesQueues: two instances of one clustering group split the queues; each
// message is consumed exactly once across both, and both get a share.
func TestGoPushGroupSharesQueues(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1, nil)
	topic := uniq("GoShare")
	c.createTopic(topic, 8)
	group := uniq("CGshare")
	d := newDeliveries()
	startPush(t, c, pushSpec{group: group, instance: "share-a-" + group, topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	startPush(t, c, pushSpec{group: group, instance: "share-b-" + group, topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	// Both members must be known to the broker, and the first one must have been told
	// (NOTIFY_CONSUMER_IDS_CHANGED) to give up half its queues, before messages flow; without the
	// notify it would keep all queues until its 20 s rebalance and messages would be consumed twice.
	waitConsumerCount(t, c.brokers[0].Addr(), group, 2)
	time.Sleep(1500 * time.Millisecond)

	p := startProducer(t, c)
	want := bodies("share", 48)
	for _, b := range want {
		if _, err := p.SendSync(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	d.waitTotal(t, len(want), deliveryTimeout)
	d.settle(time.Second)
	d.assertExactly(t, want, 1)
	per := map[string]int{}
	d.mu.Lock()
	for _, who := range d.by {
		for _, w := range who {
			per[w]++
		}
	}
	d.mu.Unlock()
	if len(per) != 2 || per["share-a-"+group] != 24 || per["share-b-"+group] != 24 {
		t.Errorf("messages per instance %v, want 24 each (8 queues split 4/4, sends round-robin)", per)
	}
}

// waitConsumerCount waits until GET_CONSUMER_LIST_BY_GROUP lists n client ids.
func waitConsumerCount(t testing.TB, brokerAddr, group string, n int) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d consumers of %s", n, group), func() bool {
		conn, err := tryDialRaw(brokerAddr)
		if err != nil {
			return false
		}
		defer conn.Close()
		r, err := conn.call(codeGetConsumerListByGroup, map[string]string{"consumerGroup": group}, nil, 2*time.Second)
		return err == nil && r.Code == 0 && strings.Count(string(r.Body), "@") == n
	})
}

// TestGoBroadcast: every instance of a broadcasting group gets every message once.
func TestGoBroadcast(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoBcast")
	c.createTopic(topic, 4)
	group := uniq("CGbcast")
	dA, dB := newDeliveries(), newDeliveries()
	a := "bcast-a-" + group
	b := "bcast-b-" + group
	cleanLocalOffsets(t, group)
	startPush(t, c, pushSpec{group: group, instance: a, topic: topic, broadcast: true, from: consumer.ConsumeFromFirstOffset}, dA, nil)
	startPush(t, c, pushSpec{group: group, instance: b, topic: topic, broadcast: true, from: consumer.ConsumeFromFirstOffset}, dB, nil)
	p := startProducer(t, c)
	want := bodies("bcast", 20)
	for _, m := range want {
		if _, err := p.SendSync(context.Background(), newMsg(topic, m)); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	dA.waitTotal(t, len(want), deliveryTimeout)
	dB.waitTotal(t, len(want), deliveryTimeout)
	dA.settle(700 * time.Millisecond)
	dA.assertExactly(t, want, 1)
	dB.assertExactly(t, want, 1)
}

// TestGoPullConsumer: the client's pull consumer (subscribe, Poll, ACK) gets every message once,
// and PullFrom reads a queue from an explicit offset.
func TestGoPullConsumer(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoPull")
	c.createTopic(topic, 4)
	p := startProducer(t, c)
	want := bodies("pull", 24)
	perQueue := map[int][]string{}
	for _, b := range want {
		res, err := p.SendSync(context.Background(), newMsg(topic, b))
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		perQueue[res.MessageQueue.QueueId] = append(perQueue[res.MessageQueue.QueueId], b)
	}

	pc, err := rocketmq.NewPullConsumer(
		consumer.WithNameServer(primitive.NamesrvAddr{c.NamesrvAddr()}),
		consumer.WithGroupName(uniq("CGpull")),
		consumer.WithInstance(uniq("pull")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumerPullTimeout(3*time.Second),
	)
	if err != nil {
		t.Fatalf("new pull consumer: %v", err)
	}
	if err := pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := pc.Start(); err != nil {
		t.Fatalf("start pull consumer: %v", err)
	}
	defer pc.Shutdown()

	d := newDeliveries()
	deadline := time.Now().Add(deliveryTimeout)
	for d.Total() < len(want) && time.Now().Before(deadline) {
		cr, err := pc.Poll(context.Background(), time.Second)
		if consumer.IsNoNewMsgError(err) {
			continue
		}
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		for _, m := range cr.GetMsgList() {
			d.add("pull", string(m.Body))
		}
		pc.ACK(context.Background(), cr, consumer.ConsumeSuccess)
	}
	// A short extra poll shows nothing is delivered twice.
	if cr, err := pc.Poll(context.Background(), 700*time.Millisecond); err == nil {
		for _, m := range cr.GetMsgList() {
			d.add("pull", string(m.Body))
		}
	}
	d.assertExactly(t, want, 1)

	queues, err := pc.GetTopicRouteInfo(topic)
	if err != nil || len(queues) != 4 {
		t.Fatalf("route info: %v %v", queues, err)
	}
	for _, q := range queues {
		res, err := pc.PullFrom(context.Background(), q, 0, 32)
		if err != nil {
			t.Fatalf("pull from %v: %v", q, err)
		}
		var got []string
		for _, m := range res.GetMessageExts() {
			got = append(got, string(m.Body))
		}
		if strings.Join(got, ",") != strings.Join(perQueue[q.QueueId], ",") {
			t.Errorf("queue %d from offset 0: %v, want %v", q.QueueId, got, perQueue[q.QueueId])
		}
		if res.NextBeginOffset != int64(len(perQueue[q.QueueId])) || res.MaxOffset != int64(len(perQueue[q.QueueId])) {
			t.Errorf("queue %d: nextBeginOffset %d maxOffset %d, want %d", q.QueueId, res.NextBeginOffset, res.MaxOffset, len(perQueue[q.QueueId]))
		}
	}
}

// TestGoOffsetsAcrossRestart: a group consumes a first batch and leaves (committing its
// offsets); a second batch is stored; the broker restarts; the group comes back and gets
// exactly the second batch — nothing of the first again, nothing lost.
func TestGoOffsetsAcrossRestart(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoRestart")
	c.createTopic(topic, 4)
	group := uniq("CGrestart")
	p := startProducer(t, c)
	first, second := bodies("first", 20), bodies("second", 20)
	for _, b := range first {
		if _, err := p.SendSync(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	d1 := newDeliveries()
	pc := startPush(t, c, pushSpec{group: group, topic: topic, from: consumer.ConsumeFromFirstOffset}, d1, nil)
	d1.waitTotal(t, len(first), deliveryTimeout)
	d1.settle(500 * time.Millisecond)
	d1.assertExactly(t, first, 1)
	if err := pc.Shutdown(); err != nil {
		t.Fatalf("consumer shutdown: %v", err)
	}
	// The consumer's shutdown commits its offsets (UPDATE_CONSUMER_OFFSET without the oneway
	// bit); the broker must hold 20 in total for the group before it restarts.
	waitCommitted(t, c.brokers[0].Addr(), group, topic, 4, int64(len(first)))

	for _, b := range second {
		if _, err := p.SendSync(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	c.brokers[0].Restart()

	if got := committedSum(t, c.brokers[0].Addr(), group, topic, 4); got != int64(len(first)) {
		t.Fatalf("after restart the broker holds %d committed for %s, want %d (consumerOffset.json)", got, group, len(first))
	}
	d2 := newDeliveries()
	startPush(t, c, pushSpec{group: group, topic: topic, from: consumer.ConsumeFromFirstOffset}, d2, nil)
	d2.waitTotal(t, len(second), deliveryTimeout)
	d2.settle(time.Second)
	d2.assertExactly(t, second, 1)
}

// committedSum asks the broker for the group's committed offset of each queue and adds them
// up; a queue with no offset (22) counts 0.
func committedSum(t testing.TB, addr, group, topic string, queues int) int64 {
	t.Helper()
	conn := dialRaw(t, addr, langGo)
	defer conn.Close()
	var sum int64
	for q := 0; q < queues; q++ {
		r := conn.mustCall(codeQueryConsumerOffset, map[string]string{"consumerGroup": group, "topic": topic, "queueId": fmt.Sprint(q)}, nil)
		switch r.Code {
		case 0:
			sum += r.extInt(t, "offset")
		case 22:
		default:
			t.Fatalf("QUERY_CONSUMER_OFFSET queue %d: %s", q, r)
		}
	}
	return sum
}

func waitCommitted(t testing.TB, addr, group, topic string, queues int, want int64) {
	t.Helper()
	var got int64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if got = committedSum(t, addr, group, topic, queues); got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("committed offsets of %s sum to %d, want %d", group, got, want)
}

// TestGoSentBeforeAndDuringLongPoll: a message sent before the consumer starts arrives, and one
// sent while the consumer's pull is parked (long polling) arrives promptly — the broker wakes the
// suspended pull when the message lands instead of waiting for the 20 s suspend timeout.
func TestGoSentBeforeAndDuringLongPoll(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1, nil)
	topic := uniq("GoLongPoll")
	c.createTopic(topic, 1)
	p := startProducer(t, c)
	if _, err := p.SendSync(context.Background(), newMsg(topic, "before")); err != nil {
		t.Fatalf("send: %v", err)
	}
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CGlp"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, 1, deliveryTimeout)
	// Let the consumer's next pull reach the broker and be parked.
	time.Sleep(1500 * time.Millisecond)
	sent := time.Now()
	if _, err := p.SendSync(context.Background(), newMsg(topic, "during")); err != nil {
		t.Fatalf("send: %v", err)
	}
	d.waitTotal(t, 2, deliveryTimeout)
	if lat := time.Since(sent); lat > 2*time.Second {
		t.Errorf("message sent during a long poll arrived after %v; a suspended pull must be woken at once", lat)
	}
	d.settle(500 * time.Millisecond)
	d.assertExactly(t, []string{"before", "during"}, 1)
}

// TestGoProducerFailover: with two broker groups serving a topic, stopping one must not make
// sync sends fail: the client retries on the other group and, after the next route refresh,
// sends only there.
func TestGoProducerFailover(t *testing.T) {
	c := newCluster(t, 2, nil)
	topic := uniq("GoFailover")
	c.createTopic(topic, 4)
	p := startProducer(t, c)
	byBroker := map[string]int{}
	var want []string
	for _, b := range bodies("pre", 16) {
		res, err := p.SendSync(context.Background(), newMsg(topic, b))
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		byBroker[res.MessageQueue.BrokerName]++
		want = append(want, b)
	}
	if len(byBroker) != 2 {
		t.Fatalf("before the stop sends went to %v, want both broker groups", byBroker)
	}
	c.brokers[1].Stop()
	after := map[string]int{}
	for _, b := range bodies("post", 30) {
		res, err := p.SendSync(context.Background(), newMsg(topic, b))
		if err != nil {
			t.Fatalf("send after broker-b stopped: %v", err)
		}
		after[res.MessageQueue.BrokerName]++
		want = append(want, b)
	}
	if after[c.brokers[1].Name] != 0 {
		t.Errorf("sends after the stop reported success on the stopped broker: %v", after)
	}
	// Bring broker-b back so a consumer can read what it stored before the stop.
	c.brokers[1].Start()
	c.waitBrokerRegistered(c.brokers[1])
	c.waitRoute(topic)
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CGfail"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, len(want), deliveryTimeout)
	d.settle(time.Second)
	d.assertExactly(t, want, 1)
}

func waitGroupTimeout(t testing.TB, wg *sync.WaitGroup, timeout time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}

// cleanLocalOffsets removes, when the test ends, the offset files a broadcasting group keeps
// under $HOME/.rocketmq_client_go/<group>/<clientIP>@<instance>/offset.json (the client reads
// the root once at init, so it cannot be pointed at a temp dir; and it passes group and client
// id to NewLocalFileOffsetStore swapped, hence group first). Call it before starting the
// consumers so the removal runs after their shutdown wrote the files a last time.
func cleanLocalOffsets(t testing.TB, group string) {
	root := os.Getenv("rocketmq.client.localOffsetStoreDir")
	if root == "" {
		root = filepath.Join(os.Getenv("HOME"), ".rocketmq_client_go")
	}
	t.Cleanup(func() {
		if group != "" && !strings.ContainsAny(group, `/\.`) {
			_ = os.RemoveAll(filepath.Join(root, group))
		}
	})
}

// TestGoNameServerDomain: with addressServerPort set, the NameServer answers the HTTP path
// clients poll when given a name-server domain instead of an address, and a Go producer and
// consumer configured only with that URL find the NameServer through it.
func TestGoNameServerDomain(t *testing.T) {
	if targetJava() {
		t.Skip("the stock Java NameServer has no address-server endpoint")
	}
	port, err := testport.Reserve(0)
	if err != nil {
		t.Fatal(err)
	}
	c := newClusterOpts(t, clusterOpts{brokers: 1, nsProps: map[string]string{"addressServerPort": strconv.Itoa(port)}})
	url := fmt.Sprintf("http://127.0.0.1:%d/rocketmq/nsaddr", port)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != c.NamesrvAddr() {
		t.Fatalf("GET %s: %d %q, want 200 %q", url, resp.StatusCode, body, c.NamesrvAddr())
	}

	topic := uniq("GoDomain")
	c.createTopic(topic, 2)
	p, err := rocketmq.NewProducer(producer.WithNameServerDomain(url), producer.WithGroupName(uniq("PG")),
		producer.WithInstanceName(uniq("p")), producer.WithRetry(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatalf("start producer: %v", err)
	}
	defer p.Shutdown()
	want := bodies("domain", 6)
	for _, b := range want {
		if _, err := p.SendSync(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatalf("send through the domain-resolved NameServer: %v", err)
		}
	}
	d := newDeliveries()
	pc, err := rocketmq.NewPushConsumer(consumer.WithNameServerDomain(url), consumer.WithGroupName(uniq("CGdomain")),
		consumer.WithInstance(uniq("c")), consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		t.Fatal(err)
	}
	err = pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				d.add("c", string(m.Body))
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatalf("start consumer: %v", err)
	}
	defer pc.Shutdown()
	d.waitTotal(t, len(want), deliveryTimeout)
	d.settle(500 * time.Millisecond)
	d.assertExactly(t, want, 1)
}

// TestGoAutoCreateTopic: with autoCreateTopicEnable (the default) a Go producer's first send to
// an unknown topic goes through TBW102's route, the broker creates the topic with the client's
// 4 queues and registers it; with auto-create off the send fails and nothing is created.
func TestGoAutoCreateTopic(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoAuto")
	p := startProducer(t, c)
	res, err := p.SendSync(context.Background(), newMsg(topic, "auto-0"))
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("first send to an unknown topic: %v %v", res, err)
	}
	waitFor(t, 10*time.Second, "the auto-created topic's route with 4 queues", func() bool {
		conn, err := tryDialRaw(c.NamesrvAddr())
		if err != nil {
			return false
		}
		defer conn.Close()
		r, err := conn.call(codeGetRouteInfoByTopic, map[string]string{"topic": topic}, nil, 2*time.Second)
		return err == nil && r.Code == 0 && strings.Contains(string(r.Body), `"readQueueNums":4`) &&
			strings.Contains(string(r.Body), `"writeQueueNums":4`)
	})
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CGauto"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	d.waitTotal(t, 1, deliveryTimeout)
	d.settle(300 * time.Millisecond)
	d.assertExactly(t, []string{"auto-0"}, 1)

	off := newCluster(t, 1, map[string]string{"autoCreateTopicEnable": "false"})
	p2 := startProducer(t, off, producer.WithRetry(0))
	topic2 := uniq("GoNoAuto")
	if res, err := p2.SendSync(context.Background(), newMsg(topic2, "x")); err == nil {
		t.Errorf("send to an unknown topic with auto-create off succeeded: %v", res)
	}
	conn := dialRaw(t, off.NamesrvAddr(), langGo)
	if r := conn.mustCall(codeGetRouteInfoByTopic, map[string]string{"topic": topic2}, nil); r.Code != 17 {
		t.Errorf("route of the refused topic: %s, want 17", r)
	}
	if r := conn.mustCall(codeGetRouteInfoByTopic, map[string]string{"topic": "TBW102"}, nil); r.Code != 17 {
		t.Errorf("TBW102 with auto-create off: %s, want 17 (Java creates it only when autoCreateTopicEnable)", r)
	}
}

// TestGoConsumeFromLastOffsetYoungQueue: a new group with the default CONSUME_FROM_LAST_OFFSET
// still reads history on a young queue, because QUERY_CONSUMER_OFFSET answers 0 with offset 0
// there (Java's rule, trap 7) — what a Java broker does, checked with COMPAT_TARGET=java.
func TestGoConsumeFromLastOffsetYoungQueue(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoLast")
	c.createTopic(topic, 2)
	p := startProducer(t, c)
	want := bodies("history", 6)
	for _, b := range want {
		if _, err := p.SendSync(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatal(err)
		}
	}
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CGlast"), topic: topic, from: consumer.ConsumeFromLastOffset}, d, nil)
	d.waitTotal(t, len(want), deliveryTimeout)
	d.settle(500 * time.Millisecond)
	d.assertExactly(t, want, 1)
}

// TestGoConsumerSurvivesBrokerRestart: a running push consumer and producer ride through a
// broker restart: what was consumed before is not delivered again, what is sent after arrives.
func TestGoConsumerSurvivesBrokerRestart(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 1, nil)
	topic := uniq("GoRide")
	c.createTopic(topic, 2)
	p := startProducer(t, c)
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CGride"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	before, after := bodies("before", 10), bodies("after", 10)
	for _, b := range before {
		if _, err := p.SendSync(context.Background(), newMsg(topic, b)); err != nil {
			t.Fatal(err)
		}
	}
	d.waitTotal(t, len(before), deliveryTimeout)
	c.brokers[0].Restart()
	for _, b := range after {
		var err error
		// The producer's connection broke with the restart; its retry reconnects.
		for try := 0; try < 3; try++ {
			if _, err = p.SendSync(context.Background(), newMsg(topic, b)); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("send after the restart: %v", err)
		}
	}
	// The pull the consumer had parked when the broker stopped is never answered, and the Go
	// client does not fail in-flight calls when their connection closes: it notices only at its
	// 30 s pull timeout (the stock Java broker behaves the same way; see compat-findings.md).
	d.waitTotal(t, len(before)+len(after), 45*time.Second)
	d.settle(time.Second)
	d.assertExactly(t, append(before, after...), 1)
}

// TestGoRequestReply: request-reply (RocketMQ 4.6+) with the stock Go client. The requester's
// Request sends a message carrying CORRELATION_ID and REPLY_TO_CLIENT; the consumer answers on
// <cluster>_REPLY_TOPIC with SEND_REPLY_MESSAGE; the broker pushes the reply to the requester
// (PUSH_REPLY_MESSAGE_TO_CLIENT), which hands it to the waiting Request, and stores it.
func TestGoRequestReply(t *testing.T) {
	c := newCluster(t, 1, nil)
	topic := uniq("GoRR")
	c.createTopic(topic, 2)
	replier := startProducer(t, c)
	d := newDeliveries()
	replyErrs := make(chan error, 16)
	pc, err := rocketmq.NewPushConsumer(consumer.WithNameServer(primitive.NamesrvAddr{c.NamesrvAddr()}),
		consumer.WithGroupName(uniq("CGrr")), consumer.WithInstance(uniq("c")),
		consumer.WithConsumerModel(consumer.Clustering), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		t.Fatal(err)
	}
	err = pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				d.add("replier", string(m.Body))
				if consumer.GetReplyToClient(m) == "" {
					continue // a plain message: nobody waits for an answer
				}
				reply, err := consumer.CreateReplyMessage(m, nil)
				if err != nil {
					replyErrs <- err
					continue
				}
				reply.Body = []byte("reply-" + string(m.Body)) // the Go client's helper leaves the body out
				if _, err := replier.SendSync(ctx, reply); err != nil {
					replyErrs <- err
				}
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Shutdown() })

	reqGroup := uniq("PGrr")
	requester := startProducer(t, c, producer.WithGroupName(reqGroup))
	// The broker pushes a reply to a connection its requester has announced in a heartbeat (as
	// Java's ProducerManager does); the Go client sends its first one a moment after it learns a
	// route, so a plain send comes first and the test waits for the registration.
	if _, err := requester.SendSync(context.Background(), newMsg(topic, "plain")); err != nil {
		t.Fatal(err)
	}
	conn := dialRaw(t, c.brokers[0].Addr(), langGo)
	waitFor(t, 40*time.Second, "the requester's heartbeat", func() bool {
		return conn.mustCall(codeGetProducerConnectionList, map[string]string{"producerGroup": reqGroup}, nil).Code == 0
	})
	for i := 0; i < 3; i++ {
		body := "question-" + strconv.Itoa(i)
		reply, err := requester.Request(context.Background(), 15*time.Second, newMsg(topic, body))
		select {
		case e := <-replyErrs:
			t.Fatalf("replier: %v", e)
		default:
		}
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if string(reply.Body) != "reply-"+body || reply.Topic != "CompatCluster_REPLY_TOPIC" ||
			reply.GetProperty("CORRELATION_ID") == "" || reply.GetProperty("PUSH_REPLY_TIME") == "" {
			t.Fatalf("reply %d: topic %q body %q properties %v", i, reply.Topic, reply.Body, reply.GetProperties())
		}
	}
	// The replies are stored as well (storeReplyMessageEnable defaults to true); Java puts
	// them in the consume queue a moment later.
	waitFor(t, 5*time.Second, "3 replies in the reply topic", func() bool {
		r := conn.mustCall(codeGetMaxOffset, map[string]string{"topic": "CompatCluster_REPLY_TOPIC", "queueId": "0"}, nil)
		return r.Code == 0 && r.ExtFields["offset"] == "3"
	})
}
