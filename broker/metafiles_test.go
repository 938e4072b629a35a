package broker

import (
	"strings"
	"testing"
)

// The expected texts are store-and-broker.md §1.6 (fastjson 1.2.69 output of the 4.9.8 beans),
// with <TAB> written as \t.

func TestEncodeTopicsMatchesFastjson(t *testing.T) {
	table := map[string]*TopicConfig{"TopicTest": {TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4,
		Perm: 6, TopicFilterType: "SINGLE_TAG"}}
	got := string(encodeTopics(table, DataVersion{Counter: 1, Timestamp: 1700000000123}))
	want := "{\n\t\"dataVersion\":{\n\t\t\"counter\":1,\n\t\t\"timestamp\":1700000000123\n\t},\n\t\"topicConfigTable\":{\n" +
		"\t\t\"TopicTest\":{\n\t\t\t\"order\":false,\n\t\t\t\"perm\":6,\n\t\t\t\"readQueueNums\":4,\n" +
		"\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n\t\t\t\"topicName\":\"TopicTest\",\n\t\t\t\"topicSysFlag\":0,\n" +
		"\t\t\t\"writeQueueNums\":4\n\t\t}\n\t}\n}"
	if got != want {
		t.Fatalf("topics.json:\n%q\nwant\n%q", got, want)
	}
	back, v, err := decodeTopics([]byte(got))
	if err != nil || v == nil || v.Counter != 1 || v.Timestamp != 1700000000123 {
		t.Fatalf("decode: %v %+v", err, v)
	}
	if *back["TopicTest"] != *table["TopicTest"] {
		t.Fatalf("round trip %+v", *back["TopicTest"])
	}
}

func TestEncodeGroupsMatchesFastjson(t *testing.T) {
	got := string(encodeGroups(map[string]*SubscriptionGroupConfig{"group_a": NewSubscriptionGroupConfig("group_a")},
		DataVersion{Timestamp: 1700000000000}))
	want := "{\n\t\"dataVersion\":{\n\t\t\"counter\":0,\n\t\t\"timestamp\":1700000000000\n\t},\n\t\"subscriptionGroupTable\":{\n" +
		"\t\t\"group_a\":{\n\t\t\t\"brokerId\":0,\n\t\t\t\"consumeBroadcastEnable\":true,\n\t\t\t\"consumeEnable\":true,\n" +
		"\t\t\t\"consumeFromMinEnable\":true,\n\t\t\t\"groupName\":\"group_a\",\n\t\t\t\"notifyConsumerIdsChangedEnable\":true,\n" +
		"\t\t\t\"retryMaxTimes\":16,\n\t\t\t\"retryQueueNums\":1,\n\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n\t\t}\n\t}\n}"
	if got != want {
		t.Fatalf("subscriptionGroup.json:\n%q\nwant\n%q", got, want)
	}
	back, _, err := decodeGroups([]byte(got))
	if err != nil || *back["group_a"] != *NewSubscriptionGroupConfig("group_a") {
		t.Fatalf("round trip: %v %+v", err, back["group_a"])
	}
}

func TestEncodeOffsetsMatchesFastjson(t *testing.T) {
	table := map[string]map[int32]int64{
		"%RETRY%group_a@group_a": {0: 0},
		"TopicTest@group_a":      {0: 250, 1: 251},
	}
	got := string(encodeOffsets(table))
	want := "{\n\t\"offsetTable\":{\n\t\t\"%RETRY%group_a@group_a\":{0:0\n\t\t},\n\t\t\"TopicTest@group_a\":{0:250,1:251\n\t\t}\n\t}\n}"
	if got != want {
		t.Fatalf("consumerOffset.json:\n%q\nwant\n%q", got, want)
	}
	back, err := decodeOffsets([]byte(got))
	if err != nil || back["TopicTest@group_a"][1] != 251 || back["%RETRY%group_a@group_a"][0] != 0 {
		t.Fatalf("round trip: %v %v", err, back)
	}
}

func TestDecodeOffsetsForms(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want int64 // offset of queue 3 in "T@g"
		bad  bool
	}{
		{"bare keys", `{"offsetTable":{"T@g":{3:7}}}`, 7, false},
		{"quoted keys", `{"offsetTable":{"T@g":{"3":7}}}`, 7, false},
		{"spaces", "{ \"offsetTable\" : { \"T@g\" : { 3 : 7 , 4:1 } } }", 7, false},
		{"digits in names stay", `{"offsetTable":{"T1@g2":{0:1},"T@g":{3:7}}}`, 7, false},
		{"5.x extra properties", `{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":1},"groupTopicMap":{"g":["T"]},"offsetTable":{"T@g":{3:7}}}`, 7, false},
		{"garbage", `{"offsetTable":{"T@g":{x:7}}}`, 0, true},
		{"truncated", `{"offsetTable":{"T@g":{3:`, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodeOffsets([]byte(c.in))
			if c.bad {
				if err == nil {
					t.Fatalf("accepted %q: %v", c.in, got)
				}
				return
			}
			if err != nil || got["T@g"][3] != c.want {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

func TestRegisterBodyCompact(t *testing.T) {
	body := string(encodeRegisterBody(map[string]*TopicConfig{"TopicTest": {TopicName: "TopicTest", ReadQueueNums: 4,
		WriteQueueNums: 4, Perm: 6, TopicFilterType: "SINGLE_TAG"}}, DataVersion{Counter: 3, Timestamp: 1700000000000}))
	want := `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000000},` +
		`"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",` +
		`"topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}}`
	if body != want {
		t.Fatalf("body\n%s\nwant\n%s", body, want)
	}
	if strings.ContainsAny(body, "\n\t ") {
		t.Fatal("wire body must be compact")
	}
}

func FuzzQuoteNumericKeys(f *testing.F) {
	for _, s := range []string{`{"offsetTable":{"T@g":{3:7}}}`, `{0:1,"a":"{1:2}"}`, `{"a\"":{12:3}}`, `[1,2,{3:4}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := quoteNumericKeys([]byte(s))
		// Idempotent: quoting twice changes nothing more.
		if again := quoteNumericKeys(out); string(again) != string(out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, out, again)
		}
		_, _ = decodeOffsets([]byte(s))
	})
}
