package broker

import "testing"

// Bodies and files from clients and disks are untrusted: decoding them must fail cleanly,
// never panic.

func FuzzDecodeHeartbeat(f *testing.F) {
	f.Add([]byte(heartbeatBody("10.0.0.1@1", "CG", "PG", "TopicTest", "%RETRY%CG")))
	f.Add([]byte(`{"clientID":"a","consumerDataSet":[{"groupName":"G","subscriptionDataSet":[{"codeSet":["1",2,"-3"],"subVersion":9223372036854775807}]}]}`))
	f.Add([]byte(`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["99999999999"]}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		hb, err := decodeHeartbeat(body)
		if err != nil {
			return
		}
		for _, cd := range hb.ConsumerDataSet {
			for i := range cd.SubscriptionDataSet {
				_ = subscriptionFrom(&cd.SubscriptionDataSet[i])
			}
		}
	})
}

func FuzzDecodeMetaFiles(f *testing.F) {
	f.Add([]byte(encodeTopics(map[string]*TopicConfig{"T": {TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6,
		TopicFilterType: "SINGLE_TAG"}}, DataVersion{Counter: 1, Timestamp: 2})))
	f.Add([]byte(encodeGroups(map[string]*SubscriptionGroupConfig{"G": NewSubscriptionGroupConfig("G")}, DataVersion{})))
	f.Add([]byte(encodeOffsets(map[string]map[int32]int64{"T@G": {0: 1, 7: 99}})))
	f.Add([]byte(`{"subscriptionGroupTable":{"G":null},"topicConfigTable":{"T":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if table, _, err := decodeTopics(data); err == nil {
			// What decodes re-encodes and decodes to the same table.
			again, _, err := decodeTopics(encodeTopics(table, DataVersion{}))
			if err != nil || len(again) != len(table) {
				t.Fatalf("topics round trip: %v %d/%d", err, len(again), len(table))
			}
		}
		_, _, _ = decodeGroups(data)
		if table, err := decodeOffsets(data); err == nil {
			again, err := decodeOffsets(encodeOffsets(table))
			if err != nil || len(again) != len(table) {
				t.Fatalf("offsets round trip: %v", err)
			}
		}
	})
}
