package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// javaProps turns "K=V;K=V" into a stored property string (0x01 / 0x02, no trailing 0x02, as
// Java writes it). The expectations below are copied from records a stock 4.9.8 broker wrote.
func javaProps(s string) string {
	return strings.NewReplacer("=", "\x01", ";", "\x02").Replace(s)
}

// TestDelayedRecordsMatchJava: the schedule records of a delayed send and of a send-back, and the
// copy the schedule service delivers, carry their properties byte for byte as Java writes them
// (the whole map in HashMap order, REAL_TOPIC first and REAL_QID last, colliding keys in
// insertion order). Sources: the Java 4.9.8 store fixture's "delayed-1" schedule record, and the
// %RETRY% redeliveries pulled in wire-4.9.8/02-go-client.jsonl and 03-java-client.jsonl.
func TestDelayedRecordsMatchJava(t *testing.T) {
	db := startDataBroker(t, func(c *Config) {
		c.BrokerClusterName = "DefaultCluster"
		c.MessageDelayLevel = "1s 1s 1s" // level 3 (a first send-back) due after 1 s
	})
	db.topic("FixA", 4)
	db.topic("WireGo", 4)
	db.topic("WireJava", 4)

	t.Run("delayed send (store fixture delayed-1)", func(t *testing.T) {
		// The producer's pairs in another order than stored: the broker's map decides.
		p := props("TAGS", "Delay", "KEYS", "delayed-1", "DELAY", "2", "WAIT", "true",
			"UNIQ_KEY", "C00002027D555FFD2B277B42EC81001A")
		resp := db.invoke(sendV1("FixA", 2, p, []byte("delayed body (level 2 = 5s)")))
		mustCode(t, resp, protocol.Success)
		got := db.lastRecord(TopicSchedule, 1, 0)
		want := javaProps("REAL_TOPIC=FixA;KEYS=delayed-1;UNIQ_KEY=C00002027D555FFD2B277B42EC81001A;" +
			"CLUSTER=DefaultCluster;DELAY=2;WAIT=true;TAGS=Delay;REAL_QID=2")
		if string(got.Properties) != want {
			t.Errorf("schedule record properties\n got %q\nwant %q", got.Properties, want)
		}
	})

	t.Run("delayed send above the maximum level", func(t *testing.T) {
		resp := db.invoke(sendV1("FixA", 3, props("DELAY", "9", "REAL_TOPIC", "Spoof"), []byte("x")))
		mustCode(t, resp, protocol.Success)
		got := db.lastRecord(TopicSchedule, 2, 0)
		// Clamped in place to level 3; the client's REAL_TOPIC is replaced, as putProperty does.
		want := javaProps("REAL_TOPIC=FixA;CLUSTER=DefaultCluster;DELAY=3;REAL_QID=3")
		if string(got.Properties) != want {
			t.Errorf("clamped record properties\n got %q\nwant %q", got.Properties, want)
		}
	})

	cases := []struct {
		name, topic, group, props, want string
		v2                              bool
		scheduleOffset                  int64
	}{
		{"send-back from the Go client", "WireGo", "WireGoConsumer",
			props("TAGS", "TagF", "KEYS", "KeyFail", "UNIQ_KEY", "C00002025B48000000008e4d2f180004"),
			"REAL_TOPIC=%RETRY%WireGoConsumer;ORIGIN_MESSAGE_ID=<id>;RETRY_TOPIC=WireGo;KEYS=KeyFail;" +
				"UNIQ_KEY=C00002025B48000000008e4d2f180004;CLUSTER=DefaultCluster;WAIT=false;DELAY=3;TAGS=TagF;REAL_QID=0",
			false, 1},
		{"send-back from the Java client", "WireJava", "WireJavaConsumer",
			"KEYS\x01KeyFail\x02UNIQ_KEY\x01FD0000000000000000000000000000025CBC4E0E2F2A8E4E06730006\x02WAIT\x01true\x02TAGS\x01TagF",
			"REAL_TOPIC=%RETRY%WireJavaConsumer;ORIGIN_MESSAGE_ID=<id>;RETRY_TOPIC=WireJava;KEYS=KeyFail;" +
				"UNIQ_KEY=FD0000000000000000000000000000025CBC4E0E2F2A8E4E06730006;CLUSTER=DefaultCluster;WAIT=false;DELAY=3;TAGS=TagF;REAL_QID=0",
			true, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := sendV1(c.topic, 1, c.props, []byte("fail"))
			if c.v2 {
				req = sendV2(protocol.SendMessageV2, c.topic, 1, c.props, []byte("fail"), false)
			}
			resp := db.invoke(req)
			mustCode(t, resp, protocol.Success)
			id := resp.ExtFields.Value("msgId")
			_, off, err := message.ParseOffsetMsgID(id)
			if err != nil {
				t.Fatal(err)
			}
			mustCode(t, db.invoke(sendBackReq(c.group, off, 0, 16)), protocol.Success)
			want := javaProps(strings.Replace(c.want, "<id>", id, 1))
			if got := db.lastRecord(TopicSchedule, 2, c.scheduleOffset); string(got.Properties) != want {
				t.Errorf("schedule record properties\n got %q\nwant %q", got.Properties, want)
			}
			// The delivered copy keeps the schedule record's string, as Java's re-put does.
			retry := RetryGroupTopicPre + c.group
			deadline := time.Now().Add(10 * time.Second)
			for {
				if r, msgs := db.pullAll(retry, 0, 0); r.Code == protocol.Success && len(msgs) == 1 {
					if string(msgs[0].Properties) != want {
						t.Errorf("delivered properties\n got %q\nwant %q", msgs[0].Properties, want)
					}
					if msgs[0].ReconsumeTimes != 1 {
						t.Errorf("reconsumeTimes %d", msgs[0].ReconsumeTimes)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the send-back was never delivered to " + retry)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
