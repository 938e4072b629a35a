package protocol

import "testing"

func benchRoute() *TopicRouteData {
	return &TopicRouteData{
		QueueDatas: []QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 8, WriteQueueNums: 8},
			{BrokerName: "broker-b", Perm: 6, ReadQueueNums: 8, WriteQueueNums: 8}},
		BrokerDatas: []BrokerData{
			{Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}},
			{Cluster: "DefaultCluster", BrokerName: "broker-b", BrokerAddrs: map[int64]string{0: "10.0.0.3:10911"}}},
		FilterServerTable: map[string][]string{},
	}
}

func BenchmarkRouteMarshal(b *testing.B) {
	r := benchRoute()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = r.Marshal(false)
	}
}

func BenchmarkRouteUnmarshal(b *testing.B) {
	body := benchRoute().Marshal(false)
	b.ReportAllocs()
	var r TopicRouteData
	for i := 0; i < b.N; i++ {
		if err := r.Unmarshal(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHeartbeatUnmarshal(b *testing.B) {
	body := []byte(`{"clientID":"192.168.0.2@12345","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"TopicTest"}],"unitMode":false}],"producerDataSet":[{"groupName":"PG"}]}`)
	b.ReportAllocs()
	var h HeartbeatData
	for i := 0; i < b.N; i++ {
		if err := h.Unmarshal(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTopicsFileMarshal(b *testing.B) {
	w := TopicConfigSerializeWrapper{TopicConfigTable: map[string]*TopicConfig{}}
	for i := 0; i < 1000; i++ {
		t := NewTopicConfig("Topic" + itoa(int32(i)))
		w.TopicConfigTable[t.TopicName] = t
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = Pretty(w.Marshal())
	}
}
