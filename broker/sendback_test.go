package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func sendBackReq(group string, offset int64, delayLevel int32, maxTimes int32) *remoting.Command {
	h := protocol.ConsumerSendMsgBackRequestHeader{Offset: offset, Group: group, DelayLevel: delayLevel,
		OriginMsgID: "UNIQ", OriginTopic: "SB", MaxReconsumeTimes: maxTimes, HasMaxReconsumeTimes: maxTimes >= 0}
	var ext remoting.ExtFields
	h.Encode(&ext)
	return remoting.NewRequest(protocol.ConsumerSendMsgBack, ext, nil)
}

// sendOffset sends a message and returns its commitlog offset from the response's msgId.
func (db *dataBroker) sendOffset(topic, p, body string) int64 {
	db.t.Helper()
	resp := db.invoke(sendV2(protocol.SendMessageV2, topic, 0, p, []byte(body), false))
	mustCode(db.t, resp, protocol.Success)
	_, off, err := message.ParseOffsetMsgID(resp.ExtFields.Value("msgId"))
	if err != nil {
		db.t.Fatal(err)
	}
	return off
}

// lastRecord pulls queue q of topic from offset and returns the one record found.
func (db *dataBroker) lastRecord(topic string, q int32, offset int64) *message.MsgExt {
	db.t.Helper()
	resp, msgs := db.pullAll(topic, q, offset)
	mustCode(db.t, resp, protocol.Success)
	if len(msgs) != 1 {
		db.t.Fatalf("%s/%d@%d: %d records, want 1", topic, q, offset, len(msgs))
	}
	return msgs[0]
}

// TestSendBackRetryThenDLQ follows one message through issue 6.1: retry with Java's delay
// levels and properties, then the DLQ once maxReconsumeTimes is reached.
func TestSendBackRetryThenDLQ(t *testing.T) {
	db := startDataBroker(t, nil)
	orig := db.sendOffset("SB", props("TAGS", "TagF", "KEYS", "KeyFail", "UNIQ_KEY", "UNIQ"), "fail-once")
	origID := message.OffsetMsgID(db.b.data.host(), orig)

	// First send-back: delay level 3 + 0, through SCHEDULE_TOPIC_XXXX queue 2.
	mustCode(t, db.invoke(sendBackReq("GSB", orig, 0, 16)), protocol.Success)
	if tc := db.b.topics.SelectTopicConfig("%RETRY%GSB"); tc == nil || tc.Perm != PermRead|PermWrite || tc.WriteQueueNums != 1 {
		t.Fatalf("retry topic %+v", tc)
	}
	r1 := db.lastRecord(TopicSchedule, 2, 0)
	want := map[string]string{"TAGS": "TagF", "KEYS": "KeyFail", "UNIQ_KEY": "UNIQ", "CLUSTER": "ClusterT",
		"RETRY_TOPIC": "SB", "ORIGIN_MESSAGE_ID": origID, "WAIT": "false", "DELAY": "3",
		"REAL_TOPIC": "%RETRY%GSB", "REAL_QID": "0"}
	if got := message.ParseProperties(r1.Properties); !sameMap(got, want) {
		t.Errorf("first retry properties\n got %v\nwant %v", got, want)
	}
	if r1.ReconsumeTimes != 1 || string(r1.Body) != "fail-once" {
		t.Errorf("first retry record %v", r1)
	}

	// Second: level 4, the first message's id and topic kept, no duplicated REAL_* entries.
	mustCode(t, db.invoke(sendBackReq("GSB", r1.CommitLogOffset, 0, 16)), protocol.Success)
	r2 := db.lastRecord(TopicSchedule, 3, 0)
	want["DELAY"] = "4"
	if got := message.ParseProperties(r2.Properties); !sameMap(got, want) || r2.ReconsumeTimes != 2 {
		t.Errorf("second retry: reconsume %d properties %v", r2.ReconsumeTimes, got)
	}
	if n := strings.Count(string(r2.Properties), "REAL_TOPIC"); n != 1 {
		t.Errorf("REAL_TOPIC appears %d times", n)
	}

	// Third: reconsumeTimes 2 reached the client's maxReconsumeTimes 2 -> %DLQ%GSB, no delay.
	mustCode(t, db.invoke(sendBackReq("GSB", r2.CommitLogOffset, 0, 2)), protocol.Success)
	dlq := db.lastRecord("%DLQ%GSB", 0, 0)
	if p := message.ParseProperties(dlq.Properties); p["DELAY"] != "0" || p["RETRY_TOPIC"] != "SB" ||
		p["ORIGIN_MESSAGE_ID"] != origID || dlq.ReconsumeTimes != 3 {
		t.Errorf("DLQ record reconsume %d properties %v", dlq.ReconsumeTimes, p)
	}
	if tc := db.b.topics.SelectTopicConfig("%DLQ%GSB"); tc == nil || tc.Perm != PermRead|PermWrite || tc.ReadQueueNums != 1 {
		t.Errorf("DLQ topic %+v", tc)
	}
}

func TestSendBackLevels(t *testing.T) {
	db := startDataBroker(t, nil)
	orig := db.sendOffset("SB", props("TAGS", "X"), "m")
	// The client's own level wins over 3 + reconsumeTimes.
	mustCode(t, db.invoke(sendBackReq("GL", orig, 5, 16)), protocol.Success)
	if r := db.lastRecord(TopicSchedule, 4, 0); message.ParseProperties(r.Properties)["DELAY"] != "5" {
		t.Errorf("level-5 record %v", r)
	}
	// A level beyond the configured ones is clamped to 18 by the put.
	mustCode(t, db.invoke(sendBackReq("GL", orig, 30, 16)), protocol.Success)
	if r := db.lastRecord(TopicSchedule, 17, 0); message.ParseProperties(r.Properties)["DELAY"] != "18" {
		t.Errorf("level-30 record %v", r)
	}
	// delayLevel < 0: straight to the DLQ (the orderly consumer's give-up).
	mustCode(t, db.invoke(sendBackReq("GL", orig, -1, 16)), protocol.Success)
	if r := db.lastRecord("%DLQ%GL", 0, 0); r.ReconsumeTimes != 1 {
		t.Errorf("DLQ record %v", r)
	}
	// Below version 121 the header's maxReconsumeTimes is ignored: the group's 16 applies.
	req := sendBackReq("GL", orig, 0, 0)
	req.Version = 100
	mustCode(t, db.invoke(req), protocol.Success)
	if r := db.lastRecord(TopicSchedule, 2, 0); r.ReconsumeTimes != 1 {
		t.Errorf("old-client retry record %v", r)
	}
	// retryQueueNums 0: Java answers success and keeps nothing.
	c := NewSubscriptionGroupConfig("GNoRetry")
	c.RetryQueueNums = 0
	db.b.groups.Update(c)
	mustCode(t, db.invoke(sendBackReq("GNoRetry", orig, 0, 16)), protocol.Success)
	if tc := db.b.topics.SelectTopicConfig("%RETRY%GNoRetry"); tc != nil {
		t.Errorf("retry topic created for a group without retry queues: %+v", tc)
	}
}

func TestSendBackBadInput(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.AutoCreateSubscriptionGroup = false })
	db.b.groups.Update(NewSubscriptionGroupConfig("G"))
	noGroup := sendBackReq("G", 0, 0, 16)
	noGroup.ExtFields.Del("group")
	tests := []struct {
		name   string
		req    *remoting.Command
		code   int32
		remark string
	}{
		{"unknown group", sendBackReq("Nobody", 0, 0, 16), protocol.SubscriptionGroupNotExist,
			"subscription group not exist, Nobody \nSee http://rocketmq.apache.org/docs/faq/"},
		{"unknown offset", sendBackReq("G", 987654, 0, 16), protocol.SystemError, "look message by offset failed, 987654"},
		{"missing group field", noGroup, protocol.SystemError, "the custom field <group> is null"},
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
	ro := startDataBroker(t, func(c *Config) { c.BrokerPermission = PermRead })
	resp := ro.invoke(sendBackReq("G", 0, 0, 16))
	mustCode(t, resp, protocol.NoPermission)
	if resp.Remark != "the broker[127.0.0.1] sending message is forbidden" {
		t.Errorf("remark %q", resp.Remark)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestSendBackRedelivered is issue 6.1 end to end inside the broker: a consumer hands a
// message back, the schedule service delivers the retry copy to %RETRY%<group> once its level
// is due, and a consumer long-polling the retry topic gets it at once, reconsumed once, with
// the properties a 4.9.8 broker gives it (fixture 02-go-client: the %RETRY%WireGoConsumer copy).
func TestSendBackRedelivered(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.MessageDelayLevel = "1s 1s 1s 2s" })
	db.heartbeat("GR", "%RETRY%GR", "*", 1, true)
	orig := db.sendOffset("SB", props("KEYS", "KeyFail", "UNIQ_KEY", "U1", "TAGS", "TagF"), "fail-once")
	origID := message.OffsetMsgID(db.b.data.host(), orig)

	held := db.pullAsync(pullReq("GR", "%RETRY%GR", 0, 0, protocol.PullFlagSuspend, "", 20000))
	sent := time.Now()
	mustCode(t, db.invoke(sendBackReq("GR", orig, 0, 16)), protocol.Success) // level 3 = 1 s here
	r := waitResult(t, held, 10*time.Second)
	mustCode(t, r.resp, protocol.Success)
	if el := r.at.Sub(sent); el < 900*time.Millisecond || el > 3*time.Second {
		t.Errorf("retry delivered after %v, want about 1 s (level 3)", el)
	}
	msgs, _ := message.DecodeAll(r.resp.Body)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.Topic != "%RETRY%GR" || m.ReconsumeTimes != 1 || string(m.Body) != "fail-once" {
		t.Errorf("retry copy %v", m)
	}
	p := message.ParseProperties(m.Properties)
	want := map[string]string{"REAL_TOPIC": "%RETRY%GR", "REAL_QID": "0", "ORIGIN_MESSAGE_ID": origID,
		"RETRY_TOPIC": "SB", "KEYS": "KeyFail", "UNIQ_KEY": "U1", "CLUSTER": "ClusterT", "WAIT": "false", "TAGS": "TagF"}
	// Java's schedule service keeps DELAY in the delivered copy; ours does when the store can
	// put without acting on it.
	if d, ok := p["DELAY"]; ok {
		if d != "3" {
			t.Errorf("DELAY=%s", d)
		}
		delete(p, "DELAY")
	}
	if !sameMap(p, want) {
		t.Errorf("retry copy properties\n got %v\nwant %v", p, want)
	}
}
