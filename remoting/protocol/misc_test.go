package protocol

import (
	"errors"
	"reflect"
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
)

func TestMiscHeaders(t *testing.T) {
	var ext remoting.ExtFields
	(&GetKVConfigResponseHeader{Value: "v"}).Encode(&ext)
	var kv GetKVConfigResponseHeader
	if err := kv.Decode(ext); err != nil || kv.Value != "v" {
		t.Errorf("%+v %v", kv, err)
	}
	// Failed sends still carry MSG_REGION and TRACE_ON, in Java's order.
	ext = nil
	EncodeRegion(&ext, DefaultRegionID, true)
	if !sameOrder(ext, remoting.ExtFields{{Key: "TRACE_ON", Value: "true"}, {Key: "MSG_REGION", Value: "DefaultRegion"}}) {
		t.Errorf("region fields %v", ext)
	}
	// A response header written over pre-filled region fields does not duplicate them.
	(&SendMessageResponseHeader{MsgID: "X", QueueID: 1, QueueOffset: 2, MsgRegion: DefaultRegionID, TraceOn: true}).Encode(&ext)
	if len(ext) != 5 {
		t.Errorf("duplicated fields %v", ext)
	}
	if got := (&InvalidFieldError{"queueId", "x"}).Error(); got != `the custom field <queueId> has an invalid value: "x"` {
		t.Error(got)
	}
	var ie *InvalidFieldError
	var p PullMessageRequestHeader
	if err := p.Decode(remoting.ExtFields{{Key: "queueOffset", Value: "1.5"}}); !errors.As(err, &ie) || ie.Field != "queueOffset" {
		t.Errorf("pull invalid: %v", err)
	}
	if err := p.Decode(nil); err == nil || err.Error() != "the custom field <consumerGroup> is null" {
		t.Errorf("pull missing: %v", err)
	}
}

func TestTopicConfig5x(t *testing.T) {
	tc := TopicConfig{TopicName: "T", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 6, TopicFilterType: TopicFilterSingleTag,
		Attributes: map[string]string{"+message.type": "NORMAL"}}
	const want = `{"attributes":{"+message.type":"NORMAL"},"order":false,"perm":6,"readQueueNums":2,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":2}`
	if got := string(tc.Marshal()); got != want {
		t.Errorf("got %s", got)
	}
	var back TopicConfig
	if err := back.Unmarshal([]byte(want)); err != nil || !reflect.DeepEqual(back, tc) {
		t.Errorf("%+v %v", back, err)
	}
	// 5.x compressed register entries append the attributes JSON.
	got, err := decodeTopicConfigText(`T 2 2 6 SINGLE_TAG {"+message.type":"NORMAL"}`)
	if err != nil || !reflect.DeepEqual(*got, tc) {
		t.Errorf("%+v %v", got, err)
	}
	for _, bad := range []string{"T 2 2", "T x 2 6 SINGLE_TAG", "T 2 2 6 SINGLE_TAG {"} {
		if _, err := decodeTopicConfigText(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if encodeTopicConfigText(&TopicConfig{TopicName: "T", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}) != "T 1 1 6 SINGLE_TAG" {
		t.Error("default filter type")
	}
	dv := DataVersion{Counter: 1, Timestamp: 2, StateVersion: 3}
	if string(dv.Marshal()) != `{"counter":1,"stateVersion":3,"timestamp":2}` {
		t.Error(string(dv.Marshal()))
	}
	bd := BrokerData{BrokerAddrs: map[int64]string{0: "m", 1: "s"}}
	if bd.MasterAddr() != "m" {
		t.Error("master addr")
	}
	if (MessageQueue{Topic: "t", BrokerName: "b", QueueID: 3}).String() != "t@b@3" {
		t.Error("mq string")
	}
	if _, _, ok := SplitOffsetKey("nokey"); ok {
		t.Error("split without @")
	}
	cs := ConsumeStats{OffsetTable: map[MessageQueue]OffsetWrapper{{QueueID: 0}: {BrokerOffset: 10, ConsumerOffset: 4}, {QueueID: 1}: {BrokerOffset: 3, ConsumerOffset: 3}}}
	if cs.ComputeTotalDiff() != 6 {
		t.Error("total diff")
	}
}
