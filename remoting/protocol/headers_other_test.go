package protocol

import (
	"errors"
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
)

// codec is a typed header seen through Decode/Encode, so one table drives them all.
type codec interface {
	Decode(remoting.ExtFields) error
	Encode(*remoting.ExtFields)
}

type forCode struct {
	code int32
	d    interface {
		DecodeFor(int32, remoting.ExtFields) error
		Encode(*remoting.ExtFields)
	}
}

func (f forCode) Decode(e remoting.ExtFields) error { return f.d.DecodeFor(f.code, e) }
func (f forCode) Encode(e *remoting.ExtFields)      { f.d.Encode(e) }

// requestCodec returns the typed header of a request code, for the golden test.
func requestCodec(code int32) codec {
	switch code {
	case RegisterBroker:
		return &RegisterBrokerRequestHeader{}
	case UnregisterBroker, QueryDataVersion:
		return &BrokerIdentityHeader{}
	case GetRouteinfoByTopic:
		return &GetRouteInfoRequestHeader{}
	case QueryConsumerOffset, GetMaxOffset, GetMinOffset, GetEarliestMsgStoretime:
		return forCode{code, &QueueHeader{}}
	case UpdateConsumerOffset:
		return &UpdateConsumerOffsetRequestHeader{}
	case SearchOffsetByTimestamp:
		return &SearchOffsetRequestHeader{}
	case GetConsumerListByGroup, NotifyConsumerIdsChanged:
		return &ConsumerGroupHeader{}
	case UnregisterClient:
		return &UnregisterClientRequestHeader{}
	case ConsumerSendMsgBack:
		return &ConsumerSendMsgBackRequestHeader{}
	case EndTransaction:
		return &EndTransactionRequestHeader{}
	case CheckTransactionState:
		return &CheckTransactionStateRequestHeader{}
	case QueryMessage:
		return &QueryMessageRequestHeader{}
	case ViewMessageById:
		return &ViewMessageRequestHeader{}
	case UpdateAndCreateTopic:
		return &CreateTopicRequestHeader{}
	case GetConsumeStats:
		return &GetConsumeStatsRequestHeader{}
	case GetConsumerConnectionList:
		return &ConsumerGroupHeader{}
	case GetProducerConnectionList:
		return &GetProducerConnectionListRequestHeader{}
	case QueryTopicConsumeByWho, GetTopicStatsInfo:
		return &TopicHeader{}
	}
	return nil
}

// responseCodec returns the typed header of a successful answer to a request code.
func responseCodec(reqCode int32) codec {
	switch reqCode {
	case QueryMessage:
		return &QueryMessageResponseHeader{}
	case QueryConsumerOffset, GetMaxOffset, GetMinOffset, SearchOffsetByTimestamp:
		return &OffsetResponseHeader{}
	case GetBrokerConfig:
		return &GetBrokerConfigResponseHeader{}
	case GetEarliestMsgStoretime:
		return &GetEarliestMsgStoretimeResponseHeader{}
	}
	return nil
}

// TestGoldenOtherHeaders decodes every recorded request of the typed codes and re-encodes it:
// frames written by Java must come back in the same order, Go's (random map order) with the
// same fields.
func TestGoldenOtherHeaders(t *testing.T) {
	seen := map[int32]int{}
	for _, fh := range loadHeaders(t) {
		if fh.Response && fh.Code != Success {
			continue
		}
		c := requestCodec(fh.Code)
		if fh.Response {
			c = responseCodec(fh.ReqCode)
		}
		if c == nil {
			continue
		}
		if fh.Response {
			seen[-fh.ReqCode]++
		} else {
			seen[fh.Code]++
		}
		if err := c.Decode(fh.ext); err != nil {
			t.Errorf("%s %s: %v", RequestName(fh.Code), fh.Header, err)
			continue
		}
		var back remoting.ExtFields
		c.Encode(&back)
		// mqadmin signs its requests; the ACL fields belong to the RPC hook, not the header.
		want := append(remoting.ExtFields(nil), fh.ext...)
		want.Del("AccessKey")
		want.Del("Signature")
		fh.ext = want
		if !sameSet(back, fh.ext) {
			t.Errorf("%s re-encoded\n %v\nwant\n %v", RequestName(fh.Code), back, fh.ext)
		} else if fh.lang == "JAVA" && !sameOrder(back, fh.ext) {
			t.Errorf("%s order\n %v\nwant\n %v", RequestName(fh.Code), back, fh.ext)
		}
	}
	for _, code := range []int32{RegisterBroker, UnregisterBroker, GetRouteinfoByTopic, QueryConsumerOffset,
		UpdateConsumerOffset, GetConsumerListByGroup, NotifyConsumerIdsChanged, UnregisterClient,
		ConsumerSendMsgBack, EndTransaction, CheckTransactionState, QueryMessage, ViewMessageById, UpdateAndCreateTopic,
		GetConsumeStats, GetConsumerConnectionList, GetProducerConnectionList, QueryTopicConsumeByWho, GetTopicStatsInfo,
		-QueryMessage, -QueryConsumerOffset, -GetBrokerConfig} {
		if seen[code] == 0 {
			t.Errorf("no fixture frame for %d", code)
		}
	}
}

// TestHeaderRoundTripAndRequired encodes a filled header, decodes it back, then drops each
// required field in turn and expects a MissingFieldError naming it.
func TestHeaderRoundTripAndRequired(t *testing.T) {
	cases := []struct {
		name     string
		filled   codec
		empty    func() codec
		required []string
	}{
		{"register", &RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "1.2.3.4:10911", ClusterName: "C",
			HaServerAddr: "1.2.3.4:10912", BrokerID: 1, Compressed: true, BodyCrc32: -5},
			func() codec { return &RegisterBrokerRequestHeader{} },
			[]string{"brokerName", "brokerAddr", "clusterName", "haServerAddr", "brokerId"}},
		{"unregister", &BrokerIdentityHeader{BrokerName: "b", BrokerAddr: "a", ClusterName: "c", BrokerID: 0},
			func() codec { return &BrokerIdentityHeader{} }, []string{"brokerName", "brokerAddr", "clusterName", "brokerId"}},
		{"route", &GetRouteInfoRequestHeader{Topic: "T", AcceptStandardJSONOnly: true},
			func() codec { return &GetRouteInfoRequestHeader{} }, []string{"topic"}},
		{"putkv", forCode{PutKvConfig, &KVConfigHeader{Namespace: "N", Key: "K", Value: "V"}},
			func() codec { return forCode{PutKvConfig, &KVConfigHeader{}} }, []string{"namespace", "key", "value"}},
		{"getkv", forCode{GetKvConfig, &KVConfigHeader{Namespace: "N", Key: "K"}},
			func() codec { return forCode{GetKvConfig, &KVConfigHeader{}} }, []string{"namespace", "key"}},
		{"kvlist", forCode{GetKvlistByNamespace, &KVConfigHeader{Namespace: "N"}},
			func() codec { return forCode{GetKvlistByNamespace, &KVConfigHeader{}} }, []string{"namespace"}},
		{"wipe", &BrokerNameHeader{BrokerName: "b"}, func() codec { return &BrokerNameHeader{} }, []string{"brokerName"}},
		{"wipe resp", &WipeWritePermOfBrokerResponseHeader{WipeTopicCount: 3},
			func() codec { return &WipeWritePermOfBrokerResponseHeader{} }, []string{"wipeTopicCount"}},
		{"add resp", &AddWritePermOfBrokerResponseHeader{AddTopicCount: 3},
			func() codec { return &AddWritePermOfBrokerResponseHeader{} }, []string{"addTopicCount"}},
		{"delete topic ns", &DeleteTopicFromNamesrvRequestHeader{Topic: "T", ClusterName: "C"},
			func() codec { return &DeleteTopicFromNamesrvRequestHeader{} }, []string{"topic"}},
		{"by cluster", &GetTopicsByClusterRequestHeader{Cluster: "C"},
			func() codec { return &GetTopicsByClusterRequestHeader{} }, []string{"cluster"}},
		{"data version resp", &QueryDataVersionResponseHeader{Changed: true},
			func() codec { return &QueryDataVersionResponseHeader{} }, []string{"changed"}},
		{"query offset", forCode{QueryConsumerOffset, &QueueHeader{ConsumerGroup: "G", Topic: "T", QueueID: 2, Committed: true}},
			func() codec { return forCode{QueryConsumerOffset, &QueueHeader{}} }, []string{"consumerGroup", "topic", "queueId"}},
		{"max offset", forCode{GetMaxOffset, &QueueHeader{Topic: "T", QueueID: 2, Committed: true}},
			func() codec { return forCode{GetMaxOffset, &QueueHeader{}} }, []string{"topic", "queueId"}},
		{"update offset", &UpdateConsumerOffsetRequestHeader{ConsumerGroup: "G", Topic: "T", QueueID: 1, CommitOffset: 99},
			func() codec { return &UpdateConsumerOffsetRequestHeader{} }, []string{"consumerGroup", "topic", "queueId", "commitOffset"}},
		{"search", &SearchOffsetRequestHeader{Topic: "T", QueueID: 1, Timestamp: 1700000000000},
			func() codec { return &SearchOffsetRequestHeader{} }, []string{"topic", "queueId", "timestamp"}},
		{"offset resp", &OffsetResponseHeader{Offset: -1}, func() codec { return &OffsetResponseHeader{} }, []string{"offset"}},
		{"earliest resp", &GetEarliestMsgStoretimeResponseHeader{Timestamp: 5},
			func() codec { return &GetEarliestMsgStoretimeResponseHeader{} }, []string{"timestamp"}},
		{"group", &ConsumerGroupHeader{ConsumerGroup: "G"}, func() codec { return &ConsumerGroupHeader{} }, []string{"consumerGroup"}},
		{"unregister client", &UnregisterClientRequestHeader{ClientID: "c", ProducerGroup: "P"},
			func() codec { return &UnregisterClientRequestHeader{} }, []string{"clientID"}},
		{"send back", &ConsumerSendMsgBackRequestHeader{Offset: 10, Group: "G", DelayLevel: 3, OriginMsgID: "X",
			OriginTopic: "T", MaxReconsumeTimes: 16, HasMaxReconsumeTimes: true},
			func() codec { return &ConsumerSendMsgBackRequestHeader{} }, []string{"offset", "group", "delayLevel"}},
		{"end tx", &EndTransactionRequestHeader{ProducerGroup: "P", TranStateTableOffset: 1, CommitLogOffset: 2,
			CommitOrRollback: TransactionCommitType, FromTransactionCheck: true, MsgID: "M", TransactionID: "M"},
			func() codec { return &EndTransactionRequestHeader{} },
			[]string{"producerGroup", "tranStateTableOffset", "commitLogOffset", "commitOrRollback", "msgId"}},
		{"check tx", &CheckTransactionStateRequestHeader{TranStateTableOffset: 3, CommitLogOffset: 4, MsgID: "M", OffsetMsgID: "O"},
			func() codec { return &CheckTransactionStateRequestHeader{} }, []string{"tranStateTableOffset", "commitLogOffset"}},
		{"query msg", &QueryMessageRequestHeader{Topic: "T", Key: "K", MaxNum: 32, BeginTimestamp: 1, EndTimestamp: 2, UniqueKeyQuery: true},
			func() codec { return &QueryMessageRequestHeader{} }, []string{"topic", "key", "maxNum", "beginTimestamp", "endTimestamp"}},
		{"query msg resp", &QueryMessageResponseHeader{IndexLastUpdateTimestamp: 1, IndexLastUpdatePhyoffset: 2},
			func() codec { return &QueryMessageResponseHeader{} }, []string{"indexLastUpdateTimestamp", "indexLastUpdatePhyoffset"}},
		{"view", &ViewMessageRequestHeader{Offset: 77}, func() codec { return &ViewMessageRequestHeader{} }, []string{"offset"}},
		{"create topic", &CreateTopicRequestHeader{Topic: "T", DefaultTopic: "TBW102", ReadQueueNums: 8, WriteQueueNums: 8,
			Perm: 6, TopicFilterType: "SINGLE_TAG", Order: true},
			func() codec { return &CreateTopicRequestHeader{} },
			[]string{"topic", "defaultTopic", "readQueueNums", "writeQueueNums", "perm", "topicFilterType", "order"}},
		{"topic", &TopicHeader{Topic: "T"}, func() codec { return &TopicHeader{} }, []string{"topic"}},
		{"producer conns", &GetProducerConnectionListRequestHeader{ProducerGroup: "P"},
			func() codec { return &GetProducerConnectionListRequestHeader{} }, []string{"producerGroup"}},
		{"consume stats", &GetConsumeStatsRequestHeader{ConsumerGroup: "G", Topic: "T"},
			func() codec { return &GetConsumeStatsRequestHeader{} }, []string{"consumerGroup"}},
		{"delete group", &DeleteSubscriptionGroupRequestHeader{GroupName: "G", RemoveOffset: true},
			func() codec { return &DeleteSubscriptionGroupRequestHeader{} }, []string{"groupName"}},
		{"reset", &ResetOffsetRequestHeader{Topic: "T", Group: "G", Timestamp: -1, IsForce: true},
			func() codec { return &ResetOffsetRequestHeader{} }, []string{"topic", "group", "timestamp", "isForce"}},
		{"status", &GetConsumerStatusRequestHeader{Topic: "T", Group: "G", ClientAddr: "c"},
			func() codec { return &GetConsumerStatusRequestHeader{} }, []string{"topic", "group"}},
		{"running", &GetConsumerRunningInfoRequestHeader{ConsumerGroup: "G", ClientID: "c", JstackEnable: true},
			func() codec { return &GetConsumerRunningInfoRequestHeader{} }, []string{"consumerGroup", "clientId"}},
		{"broker config resp", &GetBrokerConfigResponseHeader{Version: `{"counter":1}`},
			func() codec { return &GetBrokerConfigResponseHeader{} }, []string{"version"}},
	}
	for _, c := range cases {
		var ext remoting.ExtFields
		c.filled.Encode(&ext)
		got := c.empty()
		if err := got.Decode(ext); err != nil {
			t.Errorf("%s: decode %v: %v", c.name, ext, err)
			continue
		}
		var again remoting.ExtFields
		got.Encode(&again)
		if !sameOrder(ext, again) {
			t.Errorf("%s: round trip\n %v\n %v", c.name, ext, again)
		}
		for _, f := range c.required {
			cut := append(remoting.ExtFields(nil), ext...)
			cut.Del(f)
			var me *MissingFieldError
			if err := c.empty().Decode(cut); !errors.As(err, &me) || me.Field != f {
				t.Errorf("%s without %s: %v", c.name, f, err)
			}
		}
	}
}
