package broker

import (
	"testing"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// TestReplyRefusals: a reply the broker cannot push to its requester is answered SYSTEM_ERROR
// with Java's remark, and still stored (storeReplyMessageEnable) unless that is off; both
// codes (324 with V1 names, 325 with V2 names) are served. compat's TestGoRequestReply covers
// a reply that reaches its requester, with the stock Go client.
func TestReplyRefusals(t *testing.T) {
	for _, store := range []bool{true, false} {
		db := startDataBroker(t, func(c *Config) { c.StoreReplyMessageEnable = store })
		reply := protocol.ReplyTopic(db.b.conf().BrokerClusterName)
		cases := []struct {
			name   string
			code   int32
			props  string
			remark string
		}{
			{"no requester named", protocol.SendReplyMessage, props("CORRELATION_ID", "c1"),
				"reply message properties[REPLY_TO_CLIENT] is null"},
			{"requester not connected", protocol.SendReplyMessageV2, props("CORRELATION_ID", "c2", "REPLY_TO_CLIENT", "10.0.0.9@gone"),
				"push reply message fail, channel of <10.0.0.9@gone> not found."},
		}
		for i, c := range cases {
			req := sendV1(reply, 0, c.props, []byte("answer"))
			if c.code == protocol.SendReplyMessageV2 {
				req = sendV2(c.code, reply, 0, c.props, []byte("answer"), false)
			}
			req.Code = c.code
			resp := db.invoke(req)
			mustCode(t, resp, protocol.SystemError)
			if resp.Remark != c.remark {
				t.Errorf("store=%v %s: remark %q, want %q", store, c.name, resp.Remark, c.remark)
			}
			stored := db.b.store.MaxOffsetInQueue(reply, 0)
			if want := int64(0); store {
				want = int64(i + 1)
				if stored != want || resp.ExtFields.Value("msgId") == "" {
					t.Errorf("store=%v %s: %d stored, msgId %q", store, c.name, stored, resp.ExtFields.Value("msgId"))
				}
			} else if stored != want || resp.ExtFields.Value("msgId") != "" {
				t.Errorf("store=%v %s: %d stored, msgId %q", store, c.name, stored, resp.ExtFields.Value("msgId"))
			}
			if resp.ExtFields.Value("MSG_REGION") == "" {
				t.Errorf("store=%v %s: no MSG_REGION in %v", store, c.name, resp.ExtFields)
			}
		}
		// The send checks apply: a topic that does not exist and may not be created.
		mustCode(t, db.invoke(func() *remoting.Command {
			r := sendV1("bad topic", 0, "", []byte("x"))
			r.Code = protocol.SendReplyMessage
			return r
		}()), protocol.SystemError)
	}
}
