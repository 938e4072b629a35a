package namesrv

import (
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// FuzzProcess feeds arbitrary headers and bodies to every NameServer code: nothing may panic,
// and every request gets an answer.
func FuzzProcess(f *testing.F) {
	for _, r := range readRecordsF(f, "../testdata/namesrv/01-broker-register.jsonl") {
		if r.Dir == "c2s" {
			f.Add(r.Code, r.ExtFields["brokerName"], r.ExtFields["bodyCrc32"], r.ExtFields["compressed"], r.rawBody())
		}
	}
	f.Add(protocol.RegisterBroker, "b", "0", "true", []byte{0x78, 0x9c, 0, 0, 0, 1})
	f.Add(protocol.QueryDataVersion, "b", "0", "false", []byte(`{"counter":"x"}`))
	f.Add(protocol.UpdateNamesrvConfig, "b", "0", "false", []byte("listenPort=\\u12"))
	f.Add(protocol.GetRouteinfoByTopic, "", "", "", []byte(nil))
	codes := []int32{protocol.PutKvConfig, protocol.GetKvConfig, protocol.DeleteKvConfig, protocol.GetKvlistByNamespace,
		protocol.QueryDataVersion, protocol.RegisterBroker, protocol.UnregisterBroker, protocol.GetRouteinfoByTopic,
		protocol.WipeWritePermOfBroker, protocol.AddWritePermOfBroker, protocol.DeleteTopicInNamesrv,
		protocol.GetTopicsByCluster, protocol.UpdateNamesrvConfig}
	cfg := NewConfig()
	cfg.KvConfigPath = ""
	cfg.ConfigStorePath = ""
	ch := newFakeChannel("10.0.0.1:1")
	f.Fuzz(func(t *testing.T, code int32, name, crc, compressed string, body []byte) {
		// A fresh server per input keeps runs independent and the tables small.
		ns, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range append(codes, code) {
			req := remoting.NewRequest(c, remoting.ExtFields{
				{Key: "brokerName", Value: name}, {Key: "brokerAddr", Value: name + ":1"},
				{Key: "clusterName", Value: name}, {Key: "haServerAddr", Value: name},
				{Key: "brokerId", Value: crc}, {Key: "bodyCrc32", Value: crc}, {Key: "compressed", Value: compressed},
				{Key: "topic", Value: name}, {Key: "namespace", Value: name}, {Key: "key", Value: crc},
				{Key: "value", Value: compressed}, {Key: "cluster", Value: name},
			}, body)
			if resp := ns.Process(ch, req); resp == nil {
				t.Fatalf("code %d: no answer", c)
			}
		}
	})
}
