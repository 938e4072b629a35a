package broker

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// dataBroker is a broker on 127.0.0.1 with its store under t.TempDir(), no NameServer, and a
// remoting client talking to it over real TCP.
type dataBroker struct {
	t      *testing.T
	b      *Broker
	cli    *remoting.Client
	addr   string
	cancel func()
}

func startDataBroker(t *testing.T, mutate func(*Config)) *dataBroker {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BrokerIP1, cfg.BrokerIP2 = "127.0.0.1", "127.0.0.1"
	cfg.BrokerName, cfg.BrokerClusterName = "broker-t", "ClusterT"
	cfg.NamesrvAddr = ""
	cfg.ListenPort = 0
	cfg.StorePathRootDir = t.TempDir()
	cfg.MappedFileSizeCommitLog = 4 << 20
	cfg.MappedFileSizeConsumeQueue = 20 * 1000
	if mutate != nil {
		mutate(cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	cli := remoting.NewClient(remoting.ClientConfig{Name: "h7-test"})
	db := &dataBroker{t: t, b: b, cli: cli, addr: b.BrokerAddr()}
	t.Cleanup(func() {
		cli.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return db
}

func (db *dataBroker) invoke(req *remoting.Command) *remoting.Command {
	db.t.Helper()
	resp, err := db.cli.Invoke(db.addr, req, 5*time.Second)
	if err != nil {
		db.t.Fatalf("invoke %d: %v", req.Code, err)
	}
	return resp
}

// sendV1 builds a SEND_MESSAGE request the way the Go client does (V1 names, trailing 0x02).
func sendV1(topic string, queueID int32, props string, body []byte) *remoting.Command {
	h := protocol.SendMessageRequestHeader{ProducerGroup: "PG", Topic: topic, DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: queueID, BornTimestamp: time.Now().UnixMilli(), Properties: props}
	var ext remoting.ExtFields
	h.Encode(&ext)
	req := remoting.NewRequest(protocol.SendMessage, ext, body)
	req.Version = 317
	req.Language = remoting.LangGo
	return req
}

// sendV2 builds a SEND_MESSAGE_V2 request the way the Java client does (one-letter names).
func sendV2(code int32, topic string, queueID int32, props string, body []byte, batch bool) *remoting.Command {
	h := protocol.SendMessageRequestHeader{ProducerGroup: "PG", Topic: topic, DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: queueID, BornTimestamp: time.Now().UnixMilli(), Properties: props,
		Batch: batch, BrokerName: "broker-t"}
	var ext remoting.ExtFields
	h.EncodeV2(&ext)
	return remoting.NewRequest(code, ext, body)
}

func props(kv ...string) string {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		b = message.AppendProperty(b, kv[i], kv[i+1])
	}
	return string(b)
}

func pullReq(group, topic string, queueID int32, offset int64, sysFlag int32, sub string, suspendMs int64) *remoting.Command {
	h := protocol.PullMessageRequestHeader{ConsumerGroup: group, Topic: topic, QueueID: queueID, QueueOffset: offset,
		MaxMsgNums: 32, SysFlag: sysFlag, SuspendTimeoutMillis: suspendMs, Subscription: sub, ExpressionType: "TAG"}
	var ext remoting.ExtFields
	h.Encode(&ext)
	return remoting.NewRequest(protocol.PullMessage, ext, nil)
}

// pullAll pulls with an explicit "*" subscription (no heartbeat needed).
func (db *dataBroker) pullAll(topic string, queueID int32, offset int64) (*remoting.Command, []*message.MsgExt) {
	db.t.Helper()
	resp := db.invoke(pullReq("CG_TEST", topic, queueID, offset, protocol.PullFlagSubscription, "*", 0))
	var msgs []*message.MsgExt
	if resp.Code == protocol.Success {
		var err error
		if msgs, err = message.DecodeAll(resp.Body); err != nil {
			db.t.Fatalf("decode pull body: %v", err)
		}
	}
	return resp, msgs
}

func mustCode(t *testing.T, resp *remoting.Command, code int32) {
	t.Helper()
	if resp.Code != code {
		t.Fatalf("code %d (%s), want %d; remark %q", resp.Code, protocol.ResponseName(resp.Code), code, resp.Remark)
	}
}

func TestSendV1V2RoundTrip(t *testing.T) {
	db := startDataBroker(t, nil)
	tests := []struct {
		name  string
		req   *remoting.Command
		topic string
		props map[string]string
	}{
		{"go V1", sendV1("TopicV1", 1, props("TAGS", "TagA", "KEYS", "k1 k2", "UNIQ_KEY", "ABC")+"\x02", []byte("hello v1")),
			"TopicV1", map[string]string{"TAGS": "TagA", "KEYS": "k1 k2", "UNIQ_KEY": "ABC", "CLUSTER": "ClusterT"}},
		{"java V2", sendV2(protocol.SendMessageV2, "TopicV2", 2, props("UNIQ_KEY", "XYZ", "WAIT", "true", "TAGS", "TagB"),
			[]byte("hello v2"), false),
			"TopicV2", map[string]string{"TAGS": "TagB", "UNIQ_KEY": "XYZ", "CLUSTER": "ClusterT"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 2; i++ {
				resp := db.invoke(tc.req)
				mustCode(t, resp, protocol.Success)
				if resp.HasRemark {
					t.Errorf("success remark %q, want none", resp.Remark)
				}
				var rh protocol.SendMessageResponseHeader
				if err := rh.Decode(resp.ExtFields); err != nil {
					t.Fatal(err)
				}
				if rh.QueueOffset != int64(i) || rh.MsgRegion != "DefaultRegion" || !rh.TraceOn {
					t.Errorf("response header %+v", rh)
				}
				host, off, err := message.ParseOffsetMsgID(rh.MsgID)
				if err != nil || host.String() != db.addr {
					t.Fatalf("msgId %q: host %v err %v, want %s", rh.MsgID, host, err, db.addr)
				}
				resp, msgs := db.pullAll(tc.topic, rh.QueueID, rh.QueueOffset)
				mustCode(t, resp, protocol.Success)
				if len(msgs) != 1 {
					t.Fatalf("pulled %d messages, want 1", len(msgs))
				}
				m := msgs[0]
				if m.CommitLogOffset != off || m.Topic != tc.topic || m.QueueID != rh.QueueID || string(m.Body) != string(tc.req.Body) {
					t.Errorf("stored record %v", m)
				}
				got := message.ParseProperties(m.Properties)
				if fmt.Sprint(got) != fmt.Sprint(tc.props) {
					t.Errorf("stored properties %v, want %v (WAIT dropped, CLUSTER added)", got, tc.props)
				}
				if m.Properties[len(m.Properties)-1] == message.PropertySeparator {
					t.Error("stored properties end with 0x02; Java 4.9.8 writes none")
				}
				if m.StoreHost.String() != db.addr || !m.BornHost.Addr().IsLoopback() || m.BornHost.Port() == 0 {
					t.Errorf("hosts born %v store %v", m.BornHost, m.StoreHost)
				}
				var ph protocol.PullMessageResponseHeader
				if err := ph.Decode(resp.ExtFields); err != nil {
					t.Fatal(err)
				}
				if ph.NextBeginOffset != rh.QueueOffset+1 || ph.MaxOffset != rh.QueueOffset+1 || ph.MinOffset != 0 {
					t.Errorf("pull header %+v", ph)
				}
				if resp.Remark != "FOUND" {
					t.Errorf("pull remark %q, want FOUND", resp.Remark)
				}
			}
		})
	}
}

func TestSendBatch(t *testing.T) {
	db := startDataBroker(t, nil)
	var body []byte
	for i := 0; i < 3; i++ {
		body = message.AppendBatchEntry(body, int32(i), []byte("batch-"+strconv.Itoa(i)),
			message.AppendProperty(nil, "TAGS", "TagBatch"))
	}
	tests := []struct {
		name string
		req  *remoting.Command
	}{
		{"SEND_BATCH_MESSAGE", sendV2(protocol.SendBatchMessage, "TopicBatch", 0, props("WAIT", "true"), body, true)},
		// Trap 20: batch=true, not the request code, selects the batch path.
		{"SEND_MESSAGE with batch=true", func() *remoting.Command {
			r := sendV1("TopicBatch", 0, "", body)
			r.ExtFields.Set("batch", "true")
			return r
		}()},
	}
	next := int64(0)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := db.invoke(tc.req)
			mustCode(t, resp, protocol.Success)
			var rh protocol.SendMessageResponseHeader
			if err := rh.Decode(resp.ExtFields); err != nil {
				t.Fatal(err)
			}
			ids := strings.Split(rh.MsgID, ",")
			if len(ids) != 3 || rh.QueueOffset != next {
				t.Fatalf("msgId %q queueOffset %d, want 3 ids from offset %d", rh.MsgID, rh.QueueOffset, next)
			}
			pr, msgs := db.pullAll("TopicBatch", 0, next)
			mustCode(t, pr, protocol.Success)
			if len(msgs) != 3 {
				t.Fatalf("pulled %d, want 3", len(msgs))
			}
			for i, m := range msgs {
				_, off, _ := message.ParseOffsetMsgID(ids[i])
				if string(m.Body) != "batch-"+strconv.Itoa(i) || m.Flag != int32(i) || m.QueueOffset != next+int64(i) ||
					m.CommitLogOffset != off {
					t.Errorf("record %d: %v (id %s)", i, m, ids[i])
				}
				p := message.ParseProperties(m.Properties)
				if p["TAGS"] != "TagBatch" || p["CLUSTER"] != "ClusterT" {
					t.Errorf("record %d properties %v", i, p)
				}
			}
			next += 3
		})
	}
}

func TestSendDelayAndRetryTopics(t *testing.T) {
	db := startDataBroker(t, nil)
	// A delayed message goes to SCHEDULE_TOPIC_XXXX queue level-1 with its real destination
	// kept; the answer still names the requested queue.
	resp := db.invoke(sendV1("TopicDelay", 2, props("DELAY", "2", "TAGS", "T", "WAIT", "true"), []byte("later")))
	mustCode(t, resp, protocol.Success)
	if q := resp.ExtFields.Value("queueId"); q != "2" {
		t.Errorf("queueId %s, want the requested 2", q)
	}
	pr, msgs := db.pullAll(TopicSchedule, 1, 0)
	mustCode(t, pr, protocol.Success)
	p := message.ParseProperties(msgs[0].Properties)
	// Java keeps WAIT in a delayed record: it puts WAIT back into the property map after
	// writing the plain message's string, and the delay rewrite writes the map again.
	if p["REAL_TOPIC"] != "TopicDelay" || p["REAL_QID"] != "2" || p["DELAY"] != "2" || p["WAIT"] != "true" {
		t.Errorf("schedule record properties %v", p)
	}
	if pr, _ := db.pullAll("TopicDelay", 2, 0); pr.Code == protocol.Success {
		t.Error("a delayed message is readable from its topic at once")
	}

	// A level beyond the configured ones is clamped to the last (18), property included.
	mustCode(t, db.invoke(sendV1("TopicDelay", 0, props("DELAY", "99"), []byte("max"))), protocol.Success)
	pr, msgs = db.pullAll(TopicSchedule, 17, 0)
	mustCode(t, pr, protocol.Success)
	if p := message.ParseProperties(msgs[0].Properties); p["DELAY"] != "18" || p["REAL_QID"] != "0" {
		t.Errorf("clamped delay record properties %v", p)
	}
	// A DELAY that is not a positive number is no delay at all.
	for _, bad := range []string{"0", "-3", "abc"} {
		mustCode(t, db.invoke(sendV1("TopicNoDelay", 0, props("DELAY", bad), []byte(bad))), protocol.Success)
	}
	if pr, msgs := db.pullAll("TopicNoDelay", 0, 0); pr.Code != protocol.Success || len(msgs) != 3 {
		t.Errorf("non-positive delays: code %d, %d messages readable at once, want 3", pr.Code, len(msgs))
	}

	// A %RETRY% send whose reconsumeTimes reached maxReconsumeTimes goes to the DLQ.
	req := sendV2(protocol.SendMessageV2, "%RETRY%CG1", 0, props("TAGS", "R"), []byte("dead"), false)
	req.ExtFields.Set("j", "3") // reconsumeTimes
	req.ExtFields.Set("l", "3") // maxReconsumeTimes (version 409 >= 121 honours it)
	mustCode(t, db.invoke(req), protocol.Success)
	pr, msgs = db.pullAll("%DLQ%CG1", 0, 0)
	mustCode(t, pr, protocol.Success)
	if string(msgs[0].Body) != "dead" || msgs[0].ReconsumeTimes != 3 {
		t.Errorf("DLQ record %v", msgs[0])
	}
	if tc := db.b.topics.SelectTopicConfig("%DLQ%CG1"); tc == nil || tc.Perm != PermRead|PermWrite || tc.WriteQueueNums != 1 {
		t.Errorf("DLQ topic config %+v", tc)
	}
	// Below the limit it stays in the retry topic.
	req = sendV2(protocol.SendMessageV2, "%RETRY%CG1", 0, props("TAGS", "R"), []byte("again"), false)
	req.ExtFields.Set("j", "1")
	mustCode(t, db.invoke(req), protocol.Success)
	if pr, msgs := db.pullAll("%RETRY%CG1", 0, 0); pr.Code != protocol.Success || string(msgs[0].Body) != "again" {
		t.Errorf("retry topic pull %d %v", pr.Code, msgs)
	}
}

// TestSendCompressedBody is trap 20's second half: the Go client marks a zlib body with
// sysFlag 0x1 only; the broker stores flag and body untouched (it never decompresses).
func TestSendCompressedBody(t *testing.T) {
	db := startDataBroker(t, nil)
	body := []byte{0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x06, 0x2c, 0x02, 0x15} // zlib("hello")
	req := sendV1("Zip", 0, props("TAGS", "Z"), body)
	req.ExtFields.Set("sysFlag", "1")
	mustCode(t, db.invoke(req), protocol.Success)
	_, msgs := db.pullAll("Zip", 0, 0)
	if len(msgs) != 1 || msgs[0].SysFlag != message.SysFlagCompressed || string(msgs[0].Body) != string(body) {
		t.Errorf("stored %v", msgs)
	}
}

func TestSendTransactionHalf(t *testing.T) {
	db := startDataBroker(t, nil)
	req := sendV2(protocol.SendMessageV2, "TopicTx", 1, props("TRAN_MSG", "true", "WAIT", "true", "PGROUP", "TXG"),
		[]byte("half"), false)
	req.ExtFields.Set("f", strconv.Itoa(int(message.TransactionPreparedType)))
	resp := db.invoke(req)
	mustCode(t, resp, protocol.Success)
	_, off, err := message.ParseOffsetMsgID(resp.ExtFields.Value("msgId"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.b.store.LookMessageByOffset(off)
	if err != nil {
		t.Fatal(err)
	}
	p := message.ParseProperties(m.Properties)
	if m.Topic != TopicTransHalf || m.QueueID != 0 || message.TransactionType(m.SysFlag) != message.TransactionNotType ||
		p["REAL_TOPIC"] != "TopicTx" || p["REAL_QID"] != "1" || p["PGROUP"] != "TXG" || p["WAIT"] != "true" {
		t.Errorf("half record %v %v", m, p)
	}
}

// TestSendBadInput covers issue 5 point 5 for sends: each case answers Java's code and remark.
func TestSendBadInput(t *testing.T) {
	db := startDataBroker(t, func(c *Config) {
		c.AutoCreateTopicEnable = false
		c.RejectTransactionMessage = true
		c.MaxMessageSize = 1024
	})
	db.b.topics.UpdateTopicConfig(&TopicConfig{TopicName: "Known", ReadQueueNums: 4, WriteQueueNums: 4,
		Perm: PermRead | PermWrite, TopicFilterType: "SINGLE_TAG"})
	missingTopic := sendV1("Known", 0, "", []byte("x"))
	missingTopic.ExtFields.Del("topic")
	badNumber := sendV1("Known", 0, "", []byte("x"))
	badNumber.ExtFields.Set("queueId", "one")
	tx := sendV1("Known", 0, props("TRAN_MSG", "true"), []byte("x"))
	tx.ExtFields.Set("sysFlag", "4")
	tests := []struct {
		name       string
		req        *remoting.Command
		code       int32
		remark     string // prefix
		withRegion bool
	}{
		{"unknown topic, auto-create off", sendV1("Unknown", 0, "", []byte("x")), protocol.TopicNotExist,
			"topic[Unknown] not exist, apply first please!", true},
		{"reserved topic", sendV1("SCHEDULE_TOPIC_XXXX", 0, "", []byte("x")), protocol.NoPermission,
			"Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.", true},
		{"transactions rejected", tx, protocol.NoPermission,
			"the broker[127.0.0.1] sending transaction message is forbidden", true},
		{"body too large", sendV1("Known", 0, "", make([]byte, 1025)), protocol.MessageIllegal,
			"the message is illegal, maybe msg body or properties length not matched. msg body length limit 1024B", true},
		{"properties too large", sendV1("Known", 0, props("big", strings.Repeat("p", 33000)), []byte("x")),
			protocol.MessageIllegal, "the message is illegal", true},
		// Java 4.9.8's TopicValidator answers SYSTEM_ERROR (1) for a bad name, not 13.
		{"illegal topic characters", sendV1("bad topic!", 0, "", []byte("x")), protocol.SystemError,
			"The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$", true},
		{"topic too long", sendV1(strings.Repeat("t", 128), 0, "", []byte("x")), protocol.SystemError,
			"The specified topic is longer than topic max length.", true},
		{"blank topic", sendV1(" ", 0, "", []byte("x")), protocol.SystemError, "The specified topic is blank.", true},
		{"queue id out of range", sendV1("Known", 4, "", []byte("x")), protocol.SystemError,
			"request queueId[4] is illegal, TopicConfig [topicName=Known, readQueueNums=4, writeQueueNums=4, perm=RW-, " +
				"topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false] Producer: 127.0.0.1:", true},
		{"missing required header field", missingTopic, protocol.SystemError, "the custom field <topic> is null", false},
		{"malformed number", badNumber, protocol.SystemError, "the custom field <queueId> has an invalid value", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := db.invoke(tc.req)
			mustCode(t, resp, tc.code)
			if !strings.HasPrefix(resp.Remark, tc.remark) {
				t.Errorf("remark %q, want prefix %q", resp.Remark, tc.remark)
			}
			_, region := resp.ExtFields.Get("MSG_REGION")
			_, trace := resp.ExtFields.Get("TRACE_ON")
			if region != tc.withRegion || trace != tc.withRegion {
				t.Errorf("MSG_REGION/TRACE_ON present = %v/%v, want %v", region, trace, tc.withRegion)
			}
			if _, ok := resp.ExtFields.Get("msgId"); ok {
				t.Error("failed send carries a msgId")
			}
		})
	}
	if n := db.b.store.MaxOffsetInQueue("Known", 0); n != 0 {
		t.Errorf("rejected sends stored %d messages", n)
	}
}

// TestSendSystemBusy: sends beyond what the store takes are answered SYSTEM_BUSY with Java's
// remarks, never queued without bound and never dropped silently.
func TestSendSystemBusy(t *testing.T) {
	db := startDataBroker(t, nil)
	d := db.b.data
	lim := newSendLimiterSize(1, 2, 100*time.Millisecond, true)
	d.limit.Store(lim)
	lim.slots <- struct{}{} // the store is "busy": the only slot is taken

	const n = 6
	var wg sync.WaitGroup
	resps := make([]*remoting.Command, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := db.cli.Invoke(db.addr, sendV1("Flood", 0, "", []byte("x")), 5*time.Second)
			if err != nil {
				t.Errorf("send %d: %v", i, err)
				return
			}
			resps[i] = r
		}(i)
	}
	wg.Wait()
	var overload, timeout int
	for _, r := range resps {
		if r == nil {
			continue
		}
		mustCode(t, r, protocol.SystemBusy)
		switch {
		case strings.HasPrefix(r.Remark, "[OVERLOAD]system busy, start flow control for a while"):
			overload++
		case strings.HasPrefix(r.Remark, "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: "):
			timeout++
		default:
			t.Errorf("remark %q", r.Remark)
		}
	}
	// How many waited at once depends on how the server's workers interleave the requests;
	// TestSendLimiter pins the exact split.
	if timeout+overload != n || timeout == 0 {
		t.Errorf("%d timed out in the queue and %d overloaded, want %d answers, some after waiting", timeout, overload, n)
	}
	<-lim.slots
	mustCode(t, db.invoke(sendV1("Flood", 0, "", []byte("x"))), protocol.Success)

	// A real flood through a narrow gate: every send is answered, either stored or busy, and
	// exactly the acknowledged ones are in the queue.
	d.limit.Store(newSendLimiterSize(1, 4, time.Millisecond, true))
	var mu sync.Mutex
	var ok, busy int
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				r, err := db.cli.Invoke(db.addr, sendV1("Flood", 1, "", make([]byte, 512)), 5*time.Second)
				if err != nil {
					t.Errorf("send: %v", err)
					return
				}
				mu.Lock()
				switch r.Code {
				case protocol.Success:
					ok++
				case protocol.SystemBusy:
					busy++
				default:
					t.Errorf("code %d %q", r.Code, r.Remark)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok+busy != 16*40 {
		t.Errorf("%d answers, want %d", ok+busy, 16*40)
	}
	if got := db.b.store.MaxOffsetInQueue("Flood", 1); got != int64(ok) {
		t.Errorf("queue holds %d messages, %d were acknowledged", got, ok)
	}
	t.Logf("flood: %d stored, %d SYSTEM_BUSY", ok, busy)
}

// TestSendLimiter: with the only slot taken, two sends wait (the queue's capacity) and time
// out after waitTimeMillsInSendQueue, a third is refused at once, and a freed slot admits.
func TestSendLimiter(t *testing.T) {
	l := newSendLimiterSize(1, 2, 150*time.Millisecond, true)
	if code, _ := l.admit(nil); code != protocol.Success {
		t.Fatal("first admit refused")
	}
	type res struct {
		code   int32
		remark string
		took   time.Duration
	}
	out := make(chan res, 2)
	for i := 0; i < 2; i++ {
		go func() {
			start := time.Now()
			c, r := l.admit(nil)
			out <- res{c, r, time.Since(start)}
		}()
	}
	for l.waiting.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	if c, r := l.admit(nil); c != protocol.SystemBusy || r != "[OVERLOAD]system busy, start flow control for a while" {
		t.Errorf("third admit: %d %q", c, r)
	}
	for i := 0; i < 2; i++ {
		r := <-out
		if r.code != protocol.SystemBusy || !strings.HasPrefix(r.remark, "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control "+
			"for a while, period in queue: ") || r.took < 140*time.Millisecond {
			t.Errorf("waiting admit: %+v", r)
		}
	}
	l.release()
	if c, _ := l.admit(nil); c != protocol.Success {
		t.Error("admit after release refused")
	} else {
		l.release()
	}
	// The store's page-cache check refuses before any queueing.
	if c, r := l.admit(func() bool { return true }); c != protocol.SystemBusy ||
		r != "[REJECTREQUEST]system busy, start flow control for a while" {
		t.Errorf("busy store: %d %q", c, r)
	}
}

func TestStoreHostIsBrokerAddress(t *testing.T) {
	db := startDataBroker(t, nil)
	want, _ := netip.ParseAddrPort(db.addr)
	if got := db.b.data.host(); got != want {
		t.Errorf("store host %v, want %v", got, want)
	}
}

func BenchmarkSendV2(b *testing.B) {
	db := startDataBrokerB(b)
	body := make([]byte, 1024)
	p := props("UNIQ_KEY", "ABCDEF0123456789", "WAIT", "true", "TAGS", "TagA")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := db.cli.Invoke(db.addr, sendV2(protocol.SendMessageV2, "Bench", int32(i&3), p, body, false), 5*time.Second)
		if err != nil || resp.Code != protocol.Success {
			b.Fatalf("%v %v", err, resp)
		}
	}
}

// startDataBrokerB is startDataBroker for benchmarks.
func startDataBrokerB(b *testing.B) *dataBroker {
	// Keep benchmark output readable: start-up and auto-create lines would interleave with it.
	lvl := logrus.GetLevel()
	logrus.SetLevel(logrus.ErrorLevel)
	b.Cleanup(func() { logrus.SetLevel(lvl) })
	cfg := DefaultConfig()
	cfg.BrokerIP1, cfg.BrokerIP2 = "127.0.0.1", "127.0.0.1"
	cfg.BrokerName, cfg.BrokerClusterName = "broker-b", "ClusterB"
	cfg.NamesrvAddr = ""
	cfg.ListenPort = 0
	cfg.StorePathRootDir = b.TempDir()
	cfg.MappedFileSizeCommitLog = 256 << 20
	br, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := br.Start(); err != nil {
		b.Fatal(err)
	}
	cli := remoting.NewClient(remoting.ClientConfig{Name: "h7-bench"})
	b.Cleanup(func() {
		cli.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		br.Shutdown(ctx)
	})
	return &dataBroker{b: br, cli: cli, addr: br.BrokerAddr()}
}

// fakeChannel is a Channel for calling processors directly in benchmarks.
type fakeChannel struct {
	remote   string
	lastCode int32
	written  int
}

func (c *fakeChannel) ID() uint64                    { return 1 }
func (c *fakeChannel) RemoteAddr() string            { return c.remote }
func (c *fakeChannel) LocalAddr() string             { return "127.0.0.1:10911" }
func (c *fakeChannel) Write(*remoting.Command) error { return nil }
func (c *fakeChannel) Close() error                  { return nil }
func (c *fakeChannel) Context() any                  { return nil }
func (c *fakeChannel) SetContext(any)                {}

// BenchmarkProcessSend measures the send processor alone (no network): header decode, checks,
// property rewrite, store append (ASYNC_FLUSH) and the response header.
func BenchmarkProcessSend(b *testing.B) {
	db := startDataBrokerB(b)
	ch := &fakeChannel{remote: "127.0.0.1:50000"}
	req := sendV2(protocol.SendMessageV2, "BenchProc", 0, props("UNIQ_KEY", "ABCDEF0123456789", "WAIT", "true", "TAGS", "TagA"),
		make([]byte, 1024), false)
	if r := db.b.data.processSend(ch, req); r.Code != protocol.Success {
		b.Fatal(r.Remark)
	}
	b.ReportAllocs()
	b.SetBytes(1024)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := db.b.data.processSend(ch, req); r.Code != protocol.Success {
			b.Fatal(r.Remark)
		}
	}
}

// BenchmarkProcessPull measures the pull processor alone: 32 messages of 1 KiB per pull.
func BenchmarkProcessPull(b *testing.B) {
	db := startDataBrokerB(b)
	ch := &fakeChannel{remote: "127.0.0.1:50000"}
	send := sendV2(protocol.SendMessageV2, "BenchProcPull", 0, props("TAGS", "TagA"), make([]byte, 1024), false)
	for i := 0; i < 32; i++ {
		db.b.data.processSend(ch, send)
	}
	req := pullReq("GB", "BenchProcPull", 0, 0, protocol.PullFlagSubscription, "*", 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A FOUND answer is written to the channel, not returned.
		if r := db.b.data.pull.process(ch, req); r != nil || ch.lastCode != protocol.Success {
			b.Fatal(r, ch.lastCode)
		}
	}
	b.ReportMetric(32*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestSendToSlave: a slave's store refuses puts; the producer gets SERVICE_NOT_AVAILABLE (14,
// which both clients retry on another broker) with Java's remark and the disk figures.
func TestSendToSlave(t *testing.T) {
	db := startDataBroker(t, func(c *Config) {
		c.BrokerRole = store.Slave
		c.BrokerID = 1
	})
	resp := db.invoke(sendV1("SlaveTopic", 0, "", []byte("x")))
	mustCode(t, resp, protocol.ServiceNotAvailable)
	re := regexp.MustCompile(`^service not available now\. It may be caused by one of the following reasons: ` +
		`the broker's disk is full \[CL: +[0-9.]+ CQ: +[0-9.]+ INDEX: +[0-9.]+\], messages are put to the slave, ` +
		`message store has been shut down, etc\.$`)
	if !re.MatchString(resp.Remark) {
		t.Errorf("remark %q", resp.Remark)
	}
	// A slave does not correct offsets: OFFSET_MOVED becomes PULL_RETRY_IMMEDIATELY with the
	// request's offset, and no OFFSET_MOVED_EVENT is written (it could not be).
	pr, _ := db.pullAll("SlaveTopic", 0, 5)
	mustCode(t, pr, protocol.PullRetryImmediately)
	if ph := pullHeader(t, pr); ph.NextBeginOffset != 5 || ph.SuggestWhichBrokerID != 0 {
		t.Errorf("slave pull header %+v", ph)
	}
}

// FuzzDataPath feeds arbitrary header values and bodies to the send, pull and send-back
// processors: whatever arrives, they answer (or hold) without panicking.
func FuzzDataPath(f *testing.F) {
	f.Add(int32(protocol.SendMessage), "FuzzT", "1", props("TAGS", "A", "DELAY", "3"), []byte("body"), false)
	f.Add(int32(protocol.SendMessageV2), "%RETRY%G", "-1", props("TRAN_MSG", "true"), []byte{}, false)
	f.Add(int32(protocol.SendBatchMessage), "FuzzT", "0", "", message.AppendBatchEntry(nil, 0, []byte("x"), nil), true)
	f.Add(int32(protocol.SendBatchMessage), "FuzzT", "0", "WAIT\x01true", []byte{0, 0, 0, 3, 1}, true)
	f.Add(int32(protocol.PullMessage), "FuzzT", "0", "TagA || TagB", []byte(nil), false)
	f.Add(int32(protocol.ConsumerSendMsgBack), "G", "0", "", []byte(nil), false)
	db := startDataBrokerF(f)
	ch := &fakeChannel{remote: "127.0.0.1:50000"}
	f.Fuzz(func(t *testing.T, code int32, topic, num, p string, body []byte, batch bool) {
		var req *remoting.Command
		switch code {
		case protocol.PullMessage:
			req = pullReq("FG", topic, 0, 0, protocol.PullFlagSubscription, p, 0)
			req.ExtFields.Set("queueId", num)
			req.ExtFields.Set("queueOffset", num)
			req.ExtFields.Set("maxMsgNums", num)
		case protocol.ConsumerSendMsgBack:
			req = sendBackReq(topic, 0, 0, 16)
			req.ExtFields.Set("offset", num)
			req.ExtFields.Set("delayLevel", num)
		default:
			req = sendV2(protocol.SendMessageV2, topic, 0, p, body, batch)
			req.Code = code
			req.ExtFields.Set("e", num)
			req.ExtFields.Set("f", num)
			if code == protocol.SendMessage {
				req = sendV1(topic, 0, p, body)
				req.ExtFields.Set("queueId", num)
				req.ExtFields.Set("batch", strconv.FormatBool(batch))
			}
		}
		switch req.Code {
		case protocol.PullMessage:
			db.b.data.pull.process(ch, req)
		case protocol.ConsumerSendMsgBack:
			db.b.data.processSendBack(ch, req)
		default:
			if r := db.b.data.processSend(ch, req); r == nil {
				t.Fatal("a send got no answer")
			}
		}
	})
}

// startDataBrokerF is startDataBroker for fuzz targets.
func startDataBrokerF(f *testing.F) *dataBroker {
	lvl := logrus.GetLevel()
	logrus.SetLevel(logrus.PanicLevel)
	f.Cleanup(func() { logrus.SetLevel(lvl) })
	cfg := DefaultConfig()
	cfg.BrokerIP1, cfg.BrokerIP2 = "127.0.0.1", "127.0.0.1"
	cfg.BrokerName, cfg.BrokerClusterName = "broker-f", "ClusterF"
	cfg.NamesrvAddr = ""
	cfg.ListenPort = 0
	cfg.StorePathRootDir = f.TempDir()
	cfg.MappedFileSizeCommitLog = 16 << 20
	br, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	if err := br.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		br.Shutdown(ctx)
	})
	return &dataBroker{b: br, addr: br.BrokerAddr()}
}
