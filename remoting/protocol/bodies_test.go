package protocol

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	jsoniter "github.com/json-iterator/go"
)

var codeSetStrings = regexp.MustCompile(`"codeSet":\[[^\]]*\]`)

type fixtureBody struct {
	File     string `json:"file"`
	ReqCode  int32  `json:"reqCode"`
	Response bool   `json:"response"`
	Code     int32  `json:"code"`
	Lang     string `json:"lang"`
	Version  int32  `json:"reqVersion"`
	Body     string `json:"body"`
	raw      []byte
}

func loadBodies(t *testing.T) []fixtureBody {
	f, err := os.Open("testdata/bodies.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixtureBody
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var b fixtureBody
		if err := json.Unmarshal(sc.Bytes(), &b); err != nil {
			t.Fatal(err)
		}
		if b.raw, err = base64.StdEncoding.DecodeString(b.Body); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// canonical parses fastjson or JSON text and writes it back with sorted keys, so two documents
// that differ only in map order compare equal.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	n, err := normalize(b)
	if err != nil {
		t.Fatalf("normalize %s: %v", b, err)
	}
	api := jsoniter.Config{UseNumber: true, SortMapKeys: true}.Froze()
	var v any
	if err := api.Unmarshal(n, &v); err != nil {
		t.Fatalf("parse %s: %v", n, err)
	}
	// Object keys that are themselves JSON (MessageQueue keys) are canonicalized too.
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			m := make(map[string]any, len(x))
			for k, val := range x {
				if strings.HasPrefix(k, "{") {
					k = canonical(t, []byte(k))
				}
				m[k] = walk(val)
			}
			return m
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return v
	}
	out, err := api.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// roundTrip decodes a recorded body with our type for its request code and encodes it again.
func roundTrip(t *testing.T, fb fixtureBody) (out []byte, known bool) {
	var err error
	switch {
	case fb.ReqCode == RegisterBroker && !fb.Response:
		var r *RegisterBrokerBody
		r, err = UnmarshalRegisterBrokerBody(fb.raw, false)
		if err == nil {
			out = r.Marshal()
		}
	case fb.ReqCode == GetRouteinfoByTopic:
		var r TopicRouteData
		err = r.Unmarshal(fb.raw)
		// Java's NameServer answers clients of version >= 401 (V4_9_4) in the standard form.
		out = r.Marshal(fb.Version >= 401)
	case fb.ReqCode == GetBrokerClusterInfo:
		var c ClusterInfo
		err = c.Unmarshal(fb.raw)
		out = c.Marshal()
	case fb.ReqCode == GetAllTopicListFromNameserver:
		var l TopicList
		err = l.Unmarshal(fb.raw)
		out = l.Marshal()
	case fb.ReqCode == GetBrokerRuntimeInfo:
		var k KVTable
		err = k.Unmarshal(fb.raw)
		out = k.Marshal()
	case fb.ReqCode == HeartBeat:
		var h HeartbeatData
		err = h.Unmarshal(fb.raw)
		out = h.Marshal()
	case fb.ReqCode == GetConsumerListByGroup:
		var g GetConsumerListByGroupResponseBody
		err = g.Unmarshal(fb.raw)
		out = g.Marshal()
	case (fb.ReqCode == LockBatchMq || fb.ReqCode == UnlockBatchMq) && !fb.Response:
		var l LockBatchRequestBody
		err = l.Unmarshal(fb.raw)
		out = l.Marshal()
	case fb.ReqCode == LockBatchMq:
		var l LockBatchResponseBody
		err = l.Unmarshal(fb.raw)
		out = l.Marshal()
	case fb.ReqCode == GetTopicStatsInfo:
		var s TopicStatsTable
		err = s.Unmarshal(fb.raw)
		out = s.Marshal()
	case fb.ReqCode == GetConsumerConnectionList:
		var c ConsumerConnection
		err = c.Unmarshal(fb.raw)
		out = c.Marshal()
	case fb.ReqCode == GetProducerConnectionList:
		var p ProducerConnection
		err = p.Unmarshal(fb.raw)
		out = p.Marshal()
	case fb.ReqCode == GetConsumeStats:
		var c ConsumeStats
		err = c.Unmarshal(fb.raw)
		out = c.Marshal()
	case fb.ReqCode == QueryTopicConsumeByWho:
		var g GroupList
		err = g.Unmarshal(fb.raw)
		out = g.Marshal()
	default:
		return nil, false
	}
	if err != nil {
		t.Fatalf("%s %s: %v", RequestName(fb.ReqCode), fb.raw, err)
	}
	return out, true
}

// TestGoldenBodies decodes every JSON body captured between stock 4.9.8 servers and clients and
// re-encodes it. Every one must come back as the same document; those Java wrote without a
// multi-entry map (whose order is Java's hash order, not ours) must come back byte for byte.
// The Go client's heartbeat uses its own property order and string codeSet elements, so only
// its content is compared (codeSet as numbers).
func TestGoldenBodies(t *testing.T) {
	exact, same := 0, 0
	seen := map[int32]bool{}
	for _, fb := range loadBodies(t) {
		out, known := roundTrip(t, fb)
		if !known {
			continue
		}
		seen[fb.ReqCode] = true
		if bytes.Equal(out, fb.raw) {
			exact++
			continue
		}
		mustExact := fb.Lang == "JAVA" && !hasMultiEntryMap(t, fb.raw)
		if mustExact {
			t.Errorf("%s: not byte-exact\n got %s\nwant %s", RequestName(fb.ReqCode), out, fb.raw)
			continue
		}
		want := fb.raw
		if fb.Lang == "GO" && fb.ReqCode == HeartBeat {
			// Go writes codeSet elements as strings; we write numbers, as Java does.
			want = codeSetStrings.ReplaceAllFunc(want, func(m []byte) []byte { return bytes.ReplaceAll(m, []byte(`"`), nil) })
		}
		if canonical(t, out) != canonical(t, want) {
			t.Errorf("%s: content differs\n got %s\nwant %s", RequestName(fb.ReqCode), out, fb.raw)
			continue
		}
		same++
	}
	t.Logf("%d bodies byte-exact, %d equal up to map order or Go's field order", exact, same)
	for _, c := range []int32{RegisterBroker, GetRouteinfoByTopic, GetBrokerClusterInfo, HeartBeat, LockBatchMq,
		UnlockBatchMq, GetConsumeStats, GetTopicStatsInfo, GetConsumerConnectionList, GetProducerConnectionList} {
		if !seen[c] {
			t.Errorf("no fixture body for %s", RequestName(c))
		}
	}
	if exact < 10 {
		t.Errorf("only %d byte-exact bodies", exact)
	}
}

// hasMultiEntryMap reports whether a fastjson document holds an object with two or more keys
// that is a map rather than a bean — approximated as an object whose keys are not all
// lower-camel property names, or the known map-valued properties.
func hasMultiEntryMap(t *testing.T, b []byte) bool {
	n, err := normalize(b)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := jsonAPI.Unmarshal(n, &v); err != nil {
		t.Fatal(err)
	}
	mapProps := map[string]bool{"topicConfigTable": true, "table": true, "offsetTable": true, "brokerAddrs": true,
		"subscriptionTable": true, "brokerAddrTable": true, "clusterAddrTable": true, "filterServerTable": true}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if m, ok := val.(map[string]any); ok && mapProps[k] && len(m) > 1 {
					return true
				}
				if walk(val) {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
