package broker

import (
	"testing"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// TestSendInlineOK: only a plain send to an existing topic and queue, on a store whose puts
// wait for nothing, may run on the event loop; everything that can write a file or wait goes
// to the worker pool.
func TestSendInlineOK(t *testing.T) {
	async := startDataBroker(t, nil)
	syncFlush := startDataBroker(t, func(c *Config) { c.FlushDiskType = "SYNC_FLUSH" })
	plain := props(message.PropertyTags, "A")
	for _, db := range []*dataBroker{async, syncFlush} {
		mustCode(t, db.invoke(sendV2(protocol.SendMessageV2, "InlT", 0, plain, []byte("x"), false)), protocol.Success)
	}
	cases := []struct {
		name string
		db   *dataBroker
		req  *remoting.Command
		want bool
	}{
		{"V2 plain, known topic and queue", async, sendV2(protocol.SendMessageV2, "InlT", 0, plain, nil, false), true},
		{"V1 plain, known topic and queue", async, sendV1("InlT", 0, plain, nil), true},
		{"queue without a consume queue yet", async, sendV2(protocol.SendMessageV2, "InlT", 1, plain, nil, false), false},
		{"queue chosen by the broker", async, sendV2(protocol.SendMessageV2, "InlT", -1, plain, nil, false), false},
		{"topic to be auto-created", async, sendV2(protocol.SendMessageV2, "InlNew", 0, plain, nil, false), false},
		{"retry topic", async, sendV2(protocol.SendMessageV2, "%RETRY%G", 0, plain, nil, false), false},
		{"delay level", async, sendV2(protocol.SendMessageV2, "InlT", 0,
			props(message.PropertyDelayTimeLevel, "3"), nil, false), false},
		{"half message", async, sendV2(protocol.SendMessageV2, "InlT", 0,
			props(message.PropertyTransactionPrepared, "true"), nil, false), false},
		{"batch", async, sendV2(protocol.SendBatchMessage, "InlT", 0, plain, nil, true), false},
		{"SYNC_FLUSH store", syncFlush, sendV2(protocol.SendMessageV2, "InlT", 0, plain, nil, false), false},
	}
	for _, tc := range cases {
		if got := tc.db.b.data.sendInlineOK(tc.req); got != tc.want {
			t.Errorf("%s: sendInlineOK = %v, want %v", tc.name, got, tc.want)
		}
	}
}
