package protocol

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
)

// FuzzBodyDecoders feeds arbitrary bytes to the fastjson reader and every body decoder: none may
// panic, and whatever normalize accepts must be strict JSON.
func FuzzBodyDecoders(f *testing.F) {
	for _, s := range []string{`{0:"a"}`, `{{"brokerName":"b","queueId":0,"topic":"t"}:1}`, `{"a":[{1:2}]}`,
		`{"offsetTable":{"t@g":{0:1}}}`, `{"clientID":"x","consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["1",2]}]}]}`} {
		f.Add([]byte(s))
	}
	// Every captured Java/Go body and the Java-written config files seed the corpus too.
	for _, fb := range loadBodiesF(f) {
		f.Add(fb)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := normalize(b); err == nil && len(n) > 0 {
			var v any
			_ = jsonAPI.Unmarshal(n, &v)
		}
		_ = Pretty(b)
		_ = (&TopicRouteData{}).Unmarshal(b)
		_ = (&HeartbeatData{}).Unmarshal(b)
		_ = (&ResetOffsetBody{}).Unmarshal(b)
		_ = (&ConsumeStats{}).Unmarshal(b)
		_ = (&ConsumerOffsetWrapper{}).Unmarshal(b)
		_ = (&SubscriptionGroupWrapper{}).Unmarshal(b)
		_ = (&ClusterInfo{}).Unmarshal(b)
		_ = (&TopicList{}).Unmarshal(b)
		_ = (&KVTable{}).Unmarshal(b)
		_ = (&ConsumerConnection{}).Unmarshal(b)
		_ = (&GetConsumerStatusBody{}).Unmarshal(b)
		_ = (&TopicStatsTable{}).Unmarshal(b)
		_ = (&ConsumeStatsList{}).Unmarshal(b)
		_ = (&DelayOffsetWrapper{}).Unmarshal(b)
		_ = (&ConsumerFilterWrapper{}).Unmarshal(b)
		_ = (&LockBatchRequestBody{}).Unmarshal(b)
		_ = (&QueryConsumeTimeSpanBody{}).Unmarshal(b)
		_ = (&TopicConfigSerializeWrapper{}).Unmarshal(b)
		_, _ = UnmarshalRegisterBrokerBody(b, false)
		_, _ = UnmarshalRegisterBrokerBody(b, true)
	})
}

// FuzzTypedHeaders decodes arbitrary key/value pairs with the hot-path headers: errors, never panics.
func FuzzTypedHeaders(f *testing.F) {
	f.Add("e", "1", "g", "99999999999999999999")
	f.Add("queueOffset", "-", "sysFlag", "+2")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		ext := remoting.ExtFields{{Key: k1, Value: v1}, {Key: k2, Value: v2}}
		var s SendMessageRequestHeader
		_ = s.Decode(ext)
		_ = s.DecodeV2(ext)
		var p PullMessageRequestHeader
		_ = p.Decode(ext)
		if n, ok := parseInt64(v1); ok {
			if v, _ := parseInt64(v1); v != n {
				t.Fatal("unstable")
			}
		}
		SortJavaOrder(ext)
	})
}

// loadBodiesF reads the seed bodies without a *testing.T.
func loadBodiesF(f *testing.F) [][]byte {
	var out [][]byte
	file, err := os.Open("testdata/bodies.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var fb struct {
			Body string `json:"body"`
		}
		if json.Unmarshal(sc.Bytes(), &fb) == nil {
			if b, err := base64.StdEncoding.DecodeString(fb.Body); err == nil {
				out = append(out, b)
			}
		}
	}
	files, _ := filepath.Glob("testdata/java-4.9.8-config/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			out = append(out, b)
		}
	}
	return out
}
