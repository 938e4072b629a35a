package broker

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// heartbeat registers a consumer of group on topic with a TAG expression, as the Java client
// writes it (codeSet numbers) or as the Go client does (codeSet strings, nanosecond subVersion).
func (db *dataBroker) heartbeat(group, topic, expr string, subVersion int64, goStyle bool) {
	db.t.Helper()
	var tags []string
	var codes []any
	if expr != "*" {
		for _, tag := range strings.Split(expr, "||") {
			tag = strings.TrimSpace(tag)
			tags = append(tags, tag)
			code := message.JavaHash(tag)
			if goStyle {
				codes = append(codes, strconv.Itoa(int(code)))
			} else {
				codes = append(codes, code)
			}
		}
	}
	body, _ := json.Marshal(map[string]any{
		"clientID": "127.0.0.1@h7test",
		"consumerDataSet": []any{map[string]any{
			"groupName": group, "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
			"consumeFromWhere": "CONSUME_FROM_FIRST_OFFSET", "unitMode": false,
			"subscriptionDataSet": []any{map[string]any{"classFilterMode": false, "topic": topic, "subString": expr,
				"tagsSet": tags, "codeSet": codes, "subVersion": subVersion, "expressionType": "TAG"}},
		}},
		"producerDataSet": []any{},
	})
	resp := db.invoke(remoting.NewRequest(protocol.HeartBeat, nil, body))
	mustCode(db.t, resp, protocol.Success)
}

func (db *dataBroker) send(topic string, queueID int32, tags string, body string) {
	db.t.Helper()
	p := ""
	if tags != "" {
		p = props("TAGS", tags)
	}
	mustCode(db.t, db.invoke(sendV1(topic, queueID, p, []byte(body))), protocol.Success)
}

func (db *dataBroker) topic(name string, queues int32) {
	db.b.topics.UpdateTopicConfig(&TopicConfig{TopicName: name, ReadQueueNums: queues, WriteQueueNums: queues,
		Perm: PermRead | PermWrite, TopicFilterType: "SINGLE_TAG"})
}

func pullHeader(t *testing.T, resp *remoting.Command) protocol.PullMessageResponseHeader {
	t.Helper()
	var ph protocol.PullMessageResponseHeader
	if err := ph.Decode(resp.ExtFields); err != nil {
		t.Fatalf("pull response header (code %d): %v", resp.Code, err)
	}
	return ph
}

// TestPullBadInput covers issue 5 point 5 for pulls: Java's checks, in Java's order.
func TestPullBadInput(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.AutoCreateSubscriptionGroup = false })
	for _, g := range []string{"G", "GDisabled"} {
		c := NewSubscriptionGroupConfig(g)
		c.ConsumeEnable = g == "G"
		db.b.groups.Update(c)
	}
	db.b.topics.UpdateTopicConfig(&TopicConfig{TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4,
		Perm: PermRead | PermWrite, TopicFilterType: "SINGLE_TAG"})
	db.b.topics.UpdateTopicConfig(&TopicConfig{TopicName: "WriteOnly", ReadQueueNums: 1, WriteQueueNums: 1,
		Perm: PermWrite, TopicFilterType: "SINGLE_TAG"})
	db.heartbeat("G", "T", "TagA", 1000, false)

	noOffset := pullReq("G", "T", 0, 0, 0, "", 0)
	noOffset.ExtFields.Del("queueOffset")
	sql := pullReq("G", "T", 0, 0, protocol.PullFlagSubscription, "a > 1", 0)
	sql.ExtFields.Set("expressionType", "SQL92")
	newer := pullReq("G", "T", 0, 0, 0, "", 0)
	newer.ExtFields.Set("subVersion", "2000")
	tests := []struct {
		name   string
		req    *remoting.Command
		code   int32
		remark string
	}{
		{"group unknown, auto-create off", pullReq("Nobody", "T", 0, 0, 0, "", 0), protocol.SubscriptionGroupNotExist,
			"subscription group [Nobody] does not exist, \nSee http://rocketmq.apache.org/docs/faq/"},
		{"group consume disabled", pullReq("GDisabled", "T", 0, 0, 0, "", 0), protocol.NoPermission,
			"subscription group no permission, GDisabled"},
		{"topic unknown", pullReq("G", "Nope", 0, 0, 0, "", 0), protocol.TopicNotExist,
			"topic[Nope] not exist, apply first please! \nSee http://rocketmq.apache.org/docs/faq/"},
		{"topic not readable", pullReq("G", "WriteOnly", 0, 0, 0, "", 0), protocol.NoPermission,
			"the topic[WriteOnly] pulling message is forbidden"},
		{"queue id out of range", pullReq("G", "T", 4, 0, 0, "", 0), protocol.SystemError,
			"queueId[4] is illegal, topic:[T] topicConfig.readQueueNums:[4] consumer:[/127.0.0.1:"},
		{"negative queue id", pullReq("G", "T", -1, 0, 0, "", 0), protocol.SystemError, "queueId[-1] is illegal"},
		{"missing required header field", noOffset, protocol.SystemError, "the custom field <queueOffset> is null"},
		{"heartbeat subscription older than the pull (25)", newer, protocol.SubscriptionNotLatest,
			"the consumer's subscription not latest"},
		{"SQL92 with enablePropertyFilter=false", sql, protocol.SystemError,
			"The broker does not support consumer to filter message by SQL92"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := db.invoke(tc.req)
			mustCode(t, resp, tc.code)
			if !strings.HasPrefix(resp.Remark, tc.remark) {
				t.Errorf("remark %q, want prefix %q", resp.Remark, tc.remark)
			}
		})
	}

	// 24: the group is known but has no heartbeat yet, or no subscription of this topic.
	db.b.topics.UpdateTopicConfig(&TopicConfig{TopicName: "Other", ReadQueueNums: 1, WriteQueueNums: 1,
		Perm: PermRead | PermWrite, TopicFilterType: "SINGLE_TAG"})
	resp := db.invoke(pullReq("G", "Other", 0, 0, 0, "", 0))
	mustCode(t, resp, protocol.SubscriptionNotExist)
	if !strings.HasPrefix(resp.Remark, "the consumer's subscription not exist\nSee ") {
		t.Errorf("remark %q", resp.Remark)
	}
	c := NewSubscriptionGroupConfig("Silent")
	db.b.groups.Update(c)
	resp = db.invoke(pullReq("Silent", "T", 0, 0, 0, "", 0))
	mustCode(t, resp, protocol.SubscriptionNotExist)
	if !strings.HasPrefix(resp.Remark, "the consumer's group info not exist\nSee ") {
		t.Errorf("remark %q", resp.Remark)
	}
}

func TestPullBrokerNotReadable(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.BrokerPermission = PermWrite })
	resp := db.invoke(pullReq("G", "T", 0, 0, protocol.PullFlagSubscription, "*", 0))
	mustCode(t, resp, protocol.NoPermission)
	if resp.Remark != "the broker[127.0.0.1] pulling message is forbidden" {
		t.Errorf("remark %q", resp.Remark)
	}
}

// TestPullOffsetRules is trap 13: remoting-protocol.md §7.3, every status with its code and
// nextBeginOffset, and all four header fields on every answer.
func TestPullOffsetRules(t *testing.T) {
	db := startDataBroker(t, nil)
	for i := 0; i < 3; i++ {
		db.send("Rules", 0, "", "m"+strconv.Itoa(i))
	}
	tests := []struct {
		name     string
		queue    int32
		offset   int64
		code     int32
		remark   string
		next     int64
		min, max int64
		count    int
	}{
		// Java's store creates a missing consume queue on lookup, so it says NO_MESSAGE_IN_QUEUE.
		{"fresh queue, offset 0", 1, 0, protocol.PullNotFound, "NO_MESSAGE_IN_QUEUE", 0, 0, 0, 0},
		{"fresh queue, offset 5", 1, 5, protocol.PullOffsetMoved, "NO_MESSAGE_IN_QUEUE", 0, 0, 0, 0},
		{"offset == max", 0, 3, protocol.PullNotFound, "OFFSET_OVERFLOW_ONE", 3, 0, 3, 0},
		{"offset > max", 0, 10, protocol.PullOffsetMoved, "OFFSET_OVERFLOW_BADLY", 3, 0, 3, 0},
		{"in range", 0, 1, protocol.Success, "FOUND", 3, 0, 3, 2},
		{"from the start", 0, 0, protocol.Success, "FOUND", 3, 0, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, msgs := db.pullAll("Rules", tc.queue, tc.offset)
			mustCode(t, resp, tc.code)
			if resp.Remark != tc.remark {
				t.Errorf("remark %q, want %q", resp.Remark, tc.remark)
			}
			for _, k := range []string{"suggestWhichBrokerId", "nextBeginOffset", "minOffset", "maxOffset"} {
				if _, ok := resp.ExtFields.Get(k); !ok {
					t.Errorf("response lacks %s", k)
				}
			}
			ph := pullHeader(t, resp)
			if ph.NextBeginOffset != tc.next || ph.MinOffset != tc.min || ph.MaxOffset != tc.max || ph.SuggestWhichBrokerID != 0 {
				t.Errorf("header %+v, want next %d min %d max %d", ph, tc.next, tc.min, tc.max)
			}
			if len(msgs) != tc.count {
				t.Errorf("%d messages, want %d", len(msgs), tc.count)
			}
		})
	}
	// A master that corrects an offset records an OFFSET_MOVED_EVENT.
	resp, msgs := db.pullAll(TopicOffsetMoved, 0, 0)
	mustCode(t, resp, protocol.Success)
	var ev struct {
		ConsumerGroup string
		MessageQueue  struct {
			BrokerName string
			QueueID    int32 `json:"queueId"`
			Topic      string
		}
		OffsetNew, OffsetRequest int64
	}
	if err := json.Unmarshal(msgs[0].Body, &ev); err != nil {
		t.Fatalf("event body %q: %v", msgs[0].Body, err)
	}
	if ev.ConsumerGroup != "CG_TEST" || ev.MessageQueue.Topic != "Rules" || ev.MessageQueue.QueueID != 1 ||
		ev.MessageQueue.BrokerName != "broker-t" || ev.OffsetRequest != 5 || ev.OffsetNew != 0 {
		t.Errorf("event %+v", ev)
	}
	if len(msgs) != 2 {
		t.Errorf("%d offset-moved events, want 2", len(msgs))
	}
}

func TestPullTagFilter(t *testing.T) {
	db := startDataBroker(t, nil)
	db.send("Tags", 0, "TagA", "a1")
	db.send("Tags", 0, "TagB", "b1")
	db.send("Tags", 0, "TagA", "a2")
	db.send("Tags", 0, "", "untagged")
	for _, goStyle := range []bool{false, true} {
		group := "GJava"
		if goStyle {
			group = "GGo"
		}
		// The Go client's heartbeat subVersion is in nanoseconds and it pulls with subVersion 0.
		db.heartbeat(group, "Tags", "TagA", time.Now().UnixNano(), goStyle)
		resp := db.invoke(pullReq(group, "Tags", 0, 0, 0, "", 0))
		mustCode(t, resp, protocol.Success)
		msgs, _ := message.DecodeAll(resp.Body)
		if len(msgs) != 2 || string(msgs[0].Body) != "a1" || string(msgs[1].Body) != "a2" {
			t.Errorf("%s: pulled %v", group, msgs)
		}
		if ph := pullHeader(t, resp); ph.NextBeginOffset != 4 {
			t.Errorf("%s: next %d, want 4 (all units scanned)", group, ph.NextBeginOffset)
		}
	}
	// The request's own subscription (FLAG_SUBSCRIPTION) wins over the heartbeat's.
	resp := db.invoke(pullReq("GJava", "Tags", 0, 0, protocol.PullFlagSubscription, "TagB || TagC", 0))
	mustCode(t, resp, protocol.Success)
	if msgs, _ := message.DecodeAll(resp.Body); len(msgs) != 1 || string(msgs[0].Body) != "b1" {
		t.Errorf("TagB pull got %v", msgs)
	}
	// Nothing matches: PULL_RETRY_IMMEDIATELY with the scan's next offset.
	resp = db.invoke(pullReq("GJava", "Tags", 0, 0, protocol.PullFlagSubscription, "TagZ", 0))
	mustCode(t, resp, protocol.PullRetryImmediately)
	if ph := pullHeader(t, resp); ph.NextBeginOffset != 4 || resp.Remark != "NO_MATCHED_MESSAGE" {
		t.Errorf("no-match header %+v remark %q", ph, resp.Remark)
	}
}

func TestPullCommitOffset(t *testing.T) {
	db := startDataBroker(t, nil)
	db.send("Commit", 0, "", "x")
	tests := []struct {
		flag int32
		want int64
	}{
		{protocol.PullFlagSubscription, -1}, // no FLAG_COMMIT_OFFSET: nothing stored
		{protocol.PullFlagSubscription | protocol.PullFlagCommitOffset, 7},
	}
	for _, tc := range tests {
		req := pullReq("GC", "Commit", 0, 0, tc.flag, "*", 0)
		req.ExtFields.Set("commitOffset", "7")
		mustCode(t, db.invoke(req), protocol.Success)
		if got := db.b.offsets.QueryOffset("GC", "Commit", 0); got != tc.want {
			t.Errorf("flag %#x: committed offset %d, want %d", tc.flag, got, tc.want)
		}
	}
	// Committed even when the pull finds nothing and is held.
	req := pullReq("GC", "Commit", 0, 1, protocol.PullFlagSubscription|protocol.PullFlagCommitOffset|protocol.PullFlagSuspend, "*", 200)
	req.ExtFields.Set("commitOffset", "1")
	mustCode(t, db.invoke(req), protocol.PullNotFound)
	if got := db.b.offsets.QueryOffset("GC", "Commit", 0); got != 1 {
		t.Errorf("committed offset %d after a held pull, want 1", got)
	}
}

type asyncResult struct {
	resp *remoting.Command
	err  error
	at   time.Time
}

func (db *dataBroker) pullAsync(req *remoting.Command) <-chan asyncResult {
	db.t.Helper()
	ch := make(chan asyncResult, 1)
	if err := db.cli.InvokeAsync(db.addr, req, 30*time.Second, func(r *remoting.Command, err error) {
		ch <- asyncResult{r, err, time.Now()}
	}); err != nil {
		db.t.Fatal(err)
	}
	return ch
}

func waitResult(t *testing.T, ch <-chan asyncResult, d time.Duration) asyncResult {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	case <-time.After(d):
		t.Fatalf("no answer within %v", d)
		return asyncResult{}
	}
}

// TestLongPolling is trap 12: a suspended pull is answered as soon as a matching message
// arrives, or at its timeout; a message that does not match the filter does not wake it.
func TestLongPolling(t *testing.T) {
	db := startDataBroker(t, nil)
	db.topic("LP", 4)
	suspend := protocol.PullFlagSuspend | protocol.PullFlagCommitOffset

	t.Run("woken by an arrival", func(t *testing.T) {
		db.heartbeat("GL", "LP", "*", 1, true)
		start := time.Now()
		ch := db.pullAsync(pullReq("GL", "LP", 0, 0, suspend, "", 20000))
		time.Sleep(300 * time.Millisecond)
		select {
		case r := <-ch:
			t.Fatalf("answered before any message: code %d", r.resp.Code)
		default:
		}
		sent := time.Now()
		db.send("LP", 0, "", "wake")
		r := waitResult(t, ch, 5*time.Second)
		mustCode(t, r.resp, protocol.Success)
		// Far below the 20 s suspend: generous for a loaded CI machine.
		if lat := r.at.Sub(sent); lat > 2*time.Second {
			t.Errorf("answered %v after the message arrived", lat)
		}
		msgs, _ := message.DecodeAll(r.resp.Body)
		if len(msgs) != 1 || string(msgs[0].Body) != "wake" {
			t.Errorf("got %v", msgs)
		}
		t.Logf("held %v, answered %v after the send", sent.Sub(start), r.at.Sub(sent))
	})

	t.Run("answered at the timeout", func(t *testing.T) {
		start := time.Now()
		r := waitResult(t, db.pullAsync(pullReq("GL", "LP", 0, 1, suspend, "", 500)), 5*time.Second)
		mustCode(t, r.resp, protocol.PullNotFound)
		if el := r.at.Sub(start); el < 450*time.Millisecond || el > 2*time.Second {
			t.Errorf("answered after %v, want about 500ms", el)
		}
		if ph := pullHeader(t, r.resp); ph.NextBeginOffset != 1 || ph.MaxOffset != 1 {
			t.Errorf("header %+v", ph)
		}
	})

	t.Run("filter mismatch does not wake", func(t *testing.T) {
		start := time.Now()
		ch := db.pullAsync(pullReq("GL", "LP", 1, 0, suspend|protocol.PullFlagSubscription, "TagA", 800))
		time.Sleep(100 * time.Millisecond)
		db.send("LP", 1, "TagB", "other")
		r := waitResult(t, ch, 5*time.Second)
		if el := r.at.Sub(start); el < 750*time.Millisecond {
			t.Errorf("answered after %v: a TagB message woke a TagA pull", el)
		}
		// At the timeout the pull runs again: the TagB message is scanned and skipped.
		mustCode(t, r.resp, protocol.PullRetryImmediately)
		if ph := pullHeader(t, r.resp); ph.NextBeginOffset != 1 {
			t.Errorf("next %d, want 1", ph.NextBeginOffset)
		}
		ch = db.pullAsync(pullReq("GL", "LP", 1, 1, suspend|protocol.PullFlagSubscription, "TagA", 10000))
		time.Sleep(100 * time.Millisecond)
		db.send("LP", 1, "TagA", "mine")
		r = waitResult(t, ch, 2*time.Second)
		mustCode(t, r.resp, protocol.Success)
	})

	t.Run("no suspend flag answers at once", func(t *testing.T) {
		start := time.Now()
		resp := db.invoke(pullReq("GL", "LP", 2, 0, protocol.PullFlagSubscription, "*", 20000))
		mustCode(t, resp, protocol.PullNotFound)
		if el := time.Since(start); el > 500*time.Millisecond {
			t.Errorf("took %v", el)
		}
	})
}

func TestShortPolling(t *testing.T) {
	db := startDataBroker(t, func(c *Config) {
		c.LongPollingEnable = false
		c.ShortPollingTimeMills = 300
	})
	db.topic("SP", 1)
	start := time.Now()
	r := waitResult(t, db.pullAsync(pullReq("GS", "SP", 0, 0,
		protocol.PullFlagSuspend|protocol.PullFlagSubscription, "*", 15000)), 5*time.Second)
	mustCode(t, r.resp, protocol.PullNotFound)
	if el := r.at.Sub(start); el < 250*time.Millisecond || el > 2*time.Second {
		t.Errorf("answered after %v, want about shortPollingTimeMills (300ms)", el)
	}
}

func BenchmarkPull32(b *testing.B) {
	db := startDataBrokerB(b)
	body := make([]byte, 1024)
	for i := 0; i < 64; i++ {
		resp, err := db.cli.Invoke(db.addr, sendV1("BenchPull", 0, "", body), 5*time.Second)
		if err != nil || resp.Code != protocol.Success {
			b.Fatal(err, resp)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := db.cli.Invoke(db.addr, pullReq("GB", "BenchPull", 0, int64(i&31), protocol.PullFlagSubscription, "*", 0),
			5*time.Second)
		if err != nil || resp.Code != protocol.Success {
			b.Fatal(err, resp)
		}
	}
	b.ReportMetric(32*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func TestLitePullMessage(t *testing.T) {
	db := startDataBroker(t, nil)
	db.send("Lite", 0, "", "lite")
	req := pullReq("GLite", "Lite", 0, 0, protocol.PullFlagSubscription|protocol.PullFlagLitePull, "*", 0)
	req.Code = protocol.LitePullMessage
	resp := db.invoke(req)
	mustCode(t, resp, protocol.Success)
	if msgs, _ := message.DecodeAll(resp.Body); len(msgs) != 1 || string(msgs[0].Body) != "lite" {
		t.Errorf("lite pull got %v", msgs)
	}
}
