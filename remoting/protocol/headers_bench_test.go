package protocol

import (
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
)

// javaSendV2 is the ext map of a recorded 4.9.8 SEND_MESSAGE_V2 request.
var javaSendV2 = remoting.ExtFields{{Key: "a", Value: "WireJavaProducer"}, {Key: "b", Value: "WireJava"},
	{Key: "c", Value: "TBW102"}, {Key: "d", Value: "4"}, {Key: "e", Value: "0"}, {Key: "f", Value: "0"},
	{Key: "g", Value: "1795878678071"}, {Key: "h", Value: "0"},
	{Key: "i", Value: "UNIQ_KEY\x01FD0000000000000000000000000000025CBC4E0E2F2A8E4E06350000\x02WAIT\x01true"},
	{Key: "j", Value: "0"}, {Key: "k", Value: "false"}, {Key: "m", Value: "false"}, {Key: "n", Value: "broker-a"}}

var goPull = remoting.ExtFields{{Key: "topic", Value: "WireGo"}, {Key: "maxMsgNums", Value: "32"},
	{Key: "subscription", Value: ""}, {Key: "subVersion", Value: "0"}, {Key: "expressionType", Value: "TAG"},
	{Key: "bname", Value: "broker-a"}, {Key: "consumerGroup", Value: "WireGoConsumer"}, {Key: "queueId", Value: "2"},
	{Key: "queueOffset", Value: "1234567"}, {Key: "sysFlag", Value: "2"}, {Key: "commitOffset", Value: "0"},
	{Key: "suspendTimeoutMillis", Value: "20000"}}

func TestDecodeAllocs(t *testing.T) {
	var h SendMessageRequestHeader
	if n := testing.AllocsPerRun(100, func() { _ = h.DecodeSend(SendMessageV2, javaSendV2) }); n != 0 {
		t.Errorf("send V2 decode: %v allocs", n)
	}
	var p PullMessageRequestHeader
	if n := testing.AllocsPerRun(100, func() { _ = p.Decode(goPull) }); n != 0 {
		t.Errorf("pull decode: %v allocs", n)
	}
	ext := make(remoting.ExtFields, 0, 8)
	r := PullMessageResponseHeader{NextBeginOffset: 123456789, MaxOffset: 123456790, MinOffset: 1000}
	if n := testing.AllocsPerRun(100, func() { ext = ext[:0]; r.Encode(&ext) }); n > 1 {
		t.Errorf("pull response encode: %v allocs", n)
	}
}

func BenchmarkDecodeSendV2(b *testing.B) {
	var h SendMessageRequestHeader
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := h.DecodeSend(SendMessageV2, javaSendV2); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeSendResponse(b *testing.B) {
	h := SendMessageResponseHeader{MsgID: "7F00000100002A9F000000000000072E", QueueID: 3, QueueOffset: 987654321,
		MsgRegion: "DefaultRegion", TraceOn: true}
	ext := make(remoting.ExtFields, 0, 8)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ext = ext[:0]
		h.Encode(&ext)
	}
}

func BenchmarkDecodePullRequest(b *testing.B) {
	var h PullMessageRequestHeader
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := h.Decode(goPull); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePullRequest(b *testing.B) {
	var h PullMessageRequestHeader
	if err := h.Decode(goPull); err != nil {
		b.Fatal(err)
	}
	ext := make(remoting.ExtFields, 0, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ext = ext[:0]
		h.Encode(&ext)
	}
}

func BenchmarkEncodePullResponse(b *testing.B) {
	h := PullMessageResponseHeader{NextBeginOffset: 123456789, MaxOffset: 123456790, MinOffset: 1000}
	ext := make(remoting.ExtFields, 0, 8)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ext = ext[:0]
		h.Encode(&ext)
	}
}

func BenchmarkDecodePullResponse(b *testing.B) {
	ext := remoting.ExtFields{{Key: "suggestWhichBrokerId", Value: "0"}, {Key: "nextBeginOffset", Value: "123456789"},
		{Key: "maxOffset", Value: "123456790"}, {Key: "minOffset", Value: "1000"}}
	var h PullMessageResponseHeader
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := h.Decode(ext); err != nil {
			b.Fatal(err)
		}
	}
}
