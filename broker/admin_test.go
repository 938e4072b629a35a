package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func createTopicExt(topic string, queues string, perm string) []string {
	return []string{"topic", topic, "defaultTopic", TopicAutoCreate, "readQueueNums", queues, "writeQueueNums", queues,
		"perm", perm, "topicFilterType", "SINGLE_TAG", "topicSysFlag", "0", "order", "false"}
}

func TestUpdateAndCreateTopic(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	resp := tb.call(protocol.UpdateAndCreateTopic, ext(createTopicExt("AdminTopic", "4", "6")...), nil)
	if resp.Code != protocol.Success || resp.Remark != "not set any response code" || resp.ExtFields != nil {
		t.Fatalf("create: %d %q %v (Java: 0, \"not set any response code\", no extFields)", resp.Code, resp.Remark, resp.ExtFields)
	}
	// Registered before the answer: the route is there without waiting.
	if code, body := tb.route("AdminTopic"); code != protocol.Success || !strings.Contains(body, `"writeQueueNums":4`) {
		t.Fatalf("route right after create: %d %s", code, body)
	}
	// Update to 2 queues, read-only.
	tb.call(protocol.UpdateAndCreateTopic, ext(createTopicExt("AdminTopic", "2", "4")...), nil)
	if tc := tb.B.topics.SelectTopicConfig("AdminTopic"); tc.WriteQueueNums != 2 || tc.Perm != PermRead {
		t.Fatalf("update: %+v", tc)
	}
	body := string(tb.call(protocol.GetAllTopicConfig, nil, nil).Body)
	if !strings.Contains(body, `"AdminTopic":{"order":false,"perm":4,"readQueueNums":2`) || !strings.HasPrefix(body, `{"dataVersion":{`) {
		t.Fatalf("GET_ALL_TOPIC_CONFIG body %s", body)
	}
	cases := []struct {
		topic, remark string
	}{
		{"DefaultCluster", "conflict with system reserved words"},
		{"SCHEDULE_TOPIC_XXXX", "conflict with system topic"},
		{"rmq_sys_x", "conflict with system topic"},
		{"bad topic!", "illegal characters"},
		{strings.Repeat("t", 128), "longer than topic max length"},
	}
	for _, c := range cases {
		resp := tb.call(protocol.UpdateAndCreateTopic, ext(createTopicExt(c.topic, "4", "6")...), nil)
		if resp.Code != protocol.SystemError || !strings.Contains(resp.Remark, c.remark) {
			t.Errorf("%q: %d %q", c.topic, resp.Code, resp.Remark)
		}
	}
	if resp := tb.call(protocol.UpdateAndCreateTopic, ext("topic", "X"), nil); resp.Code != protocol.SystemError {
		t.Errorf("missing fields: %d", resp.Code)
	}
	// Delete: gone from the broker (the NameServer keeps its route until DELETE_TOPIC_IN_NAMESRV, as Java).
	if resp := tb.call(protocol.DeleteTopicInBroker, ext("topic", "AdminTopic"), nil); resp.Code != protocol.Success {
		t.Fatalf("delete %d", resp.Code)
	}
	if tb.B.topics.SelectTopicConfig("AdminTopic") != nil {
		t.Fatal("topic still there")
	}
}

func TestTopicStatsAndRuntimeInfo(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	if resp := tb.call(protocol.GetTopicStatsInfo, ext("topic", "Nope"), nil); resp.Code != protocol.TopicNotExist ||
		resp.Remark != "topic[Nope] not exist" {
		t.Fatalf("unknown topic: %d %q", resp.Code, resp.Remark)
	}
	tb.call(protocol.UpdateAndCreateTopic, ext(createTopicExt("StatsTopic", "2", "6")...), nil)
	resp := tb.call(protocol.GetTopicStatsInfo, ext("topic", "StatsTopic"), nil)
	var table protocol.TopicStatsTable
	if resp.Code != protocol.Success || table.Unmarshal(resp.Body) != nil || len(table.OffsetTable) != 2 {
		t.Fatalf("stats: %d %s", resp.Code, resp.Body)
	}
	for mq, off := range table.OffsetTable {
		if mq.BrokerName != "broker-a" || off.MaxOffset != 0 || off.MinOffset != 0 {
			t.Fatalf("queue %+v %+v", mq, off)
		}
	}
	time.Sleep(1100 * time.Millisecond) // one stats sample
	resp = tb.call(protocol.GetBrokerRuntimeInfo, nil, nil)
	var kv protocol.KVTable
	if resp.Code != protocol.Success || kv.Unmarshal(resp.Body) != nil {
		t.Fatalf("runtime info: %d %s", resp.Code, resp.Body)
	}
	if kv.Table["brokerVersionDesc"] != "V4_9_8" || len(strings.Fields(kv.Table["putTps"])) != 3 ||
		!strings.HasPrefix(kv.Table["commitLogDirCapacity"], "Total : ") || kv.Table["earliestMessageTimeStamp"] == "" ||
		strings.HasPrefix(kv.Table["commitLogDiskRatio"], "-") {
		t.Fatalf("runtime info %v", kv.Table)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("%d: %q want %q", n, got, want)
		}
	}
}
