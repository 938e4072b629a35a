package broker

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// testdata/*-client-meta.jsonl are the HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP,
// QUERY_CONSUMER_OFFSET and UPDATE_CONSUMER_OFFSET frames of /work/shared/fixtures/wire-4.9.8
// (02-go-client, 03-java-client, 06-java5-client): requests a stock client sent to the stock Java 4.9.8 broker,
// each followed by the Java broker's answer. Replaying the requests against our broker (one
// connection per recorded connection, in recorded order) must give the same answers.

type wireFrame struct {
	Conn      int               `json:"conn"`
	Code      int32             `json:"code"`
	Flag      int32             `json:"flag"`
	Response  bool              `json:"response"`
	Oneway    bool              `json:"oneway"`
	Opaque    int32             `json:"opaque"`
	Version   int32             `json:"version"`
	Language  string            `json:"language"`
	Remark    *string           `json:"remark"`
	ExtFields map[string]string `json:"extFields"`
	Body      string            `json:"body"`
}

func readWire(t *testing.T, name string) []wireFrame {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []wireFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var w wireFrame
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

func sortedExt(e remoting.ExtFields) []string {
	var out []string
	for _, f := range e {
		out = append(out, f.Key)
	}
	sort.Strings(out)
	return out
}

func TestReplayClientMetadataTraffic(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"java-client-meta.jsonl", "go-client-meta.jsonl", "java5-client-meta.jsonl"} {
		t.Run(file, func(t *testing.T) {
			frames := readWire(t, file)
			tb := startTestBroker(t, nil)
			clients := map[int]*remoting.Client{}
			defer func() {
				for _, c := range clients {
					c.Close()
				}
			}()
			answers := map[[2]int32]*remoting.Command{} // (conn, recorded opaque) -> our answer
			compared := 0
			for _, f := range frames {
				key := [2]int32{int32(f.Conn), f.Opaque}
				if !f.Response {
					c := clients[f.Conn]
					if c == nil {
						c = remoting.NewClient(remoting.ClientConfig{Name: "replay"})
						clients[f.Conn] = c
					}
					body, err := base64.StdEncoding.DecodeString(f.Body)
					if err != nil {
						t.Fatal(err)
					}
					var ext remoting.ExtFields
					if f.ExtFields != nil {
						keys := make([]string, 0, len(f.ExtFields))
						for k := range f.ExtFields {
							keys = append(keys, k)
						}
						sort.Strings(keys)
						ext = remoting.ExtFields{}
						for _, k := range keys {
							ext = append(ext, remoting.Field{Key: k, Value: f.ExtFields[k]})
						}
					}
					req := remoting.NewRequest(f.Code, ext, body)
					req.Language = remoting.ParseLanguage(f.Language)
					req.Version = f.Version
					if f.Oneway {
						if err := c.InvokeOneway(tb.Addr(), req); err != nil {
							t.Fatal(err)
						}
						time.Sleep(5 * time.Millisecond)
						continue
					}
					resp, err := c.Invoke(tb.Addr(), req, 3*time.Second)
					if err != nil {
						t.Fatalf("%s: %v", protocol.RequestName(f.Code), err)
					}
					answers[key] = resp
					continue
				}
				ours := answers[key]
				if ours == nil {
					t.Fatalf("recorded answer without a request: %+v", f)
				}
				compared++
				javaRemark := ""
				if f.Remark != nil {
					javaRemark = *f.Remark
				}
				if ours.Code != f.Code || ours.Remark != javaRemark || ours.HasRemark != (f.Remark != nil) {
					t.Errorf("answer code %d remark %q, Java %d %q (request opaque %d)", ours.Code, ours.Remark, f.Code, javaRemark, f.Opaque)
				}
				if (ours.ExtFields == nil) != (f.ExtFields == nil) {
					t.Errorf("extFields present %v, Java %v (opaque %d)", ours.ExtFields != nil, f.ExtFields != nil, f.Opaque)
				}
				var javaKeys []string
				for k := range f.ExtFields {
					javaKeys = append(javaKeys, k)
				}
				sort.Strings(javaKeys)
				if got := sortedExt(ours.ExtFields); len(got) != len(javaKeys) || (len(got) > 0 && got[0] != javaKeys[0]) {
					t.Errorf("ext keys %v, Java %v (opaque %d)", got, javaKeys, f.Opaque)
				}
				for k, v := range f.ExtFields {
					if got := ours.ExtFields.Value(k); got != v {
						t.Errorf("%s = %q, Java %q (opaque %d)", k, got, v, f.Opaque)
					}
				}
				if body, _ := base64.StdEncoding.DecodeString(f.Body); string(ours.Body) != string(body) {
					t.Errorf("body %s, Java %s (opaque %d)", ours.Body, body, f.Opaque)
				}
				if ours.Version != remoting.Version {
					t.Errorf("version %d", ours.Version)
				}
			}
			t.Logf("%d answers compared with the Java broker's", compared)
			if compared < 10 {
				t.Fatalf("only %d answers compared", compared)
			}
		})
	}
}
