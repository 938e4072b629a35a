package broker

import (
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// TestHeldPullWokenByAnyWritePath: the store reports every new consume-queue unit, so a held
// pull is answered as soon as a message reaches its queue by a path other than SEND_MESSAGE —
// here a put straight into the store and a delayed message the schedule service delivers —
// instead of at the hold service's 5 s re-check.
func TestHeldPullWokenByAnyWritePath(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.MessageDelayLevel = "1s 2s" })
	if !db.b.data.storeNotifies.Load() {
		t.Fatal("the store's arriving listener is not installed")
	}
	db.topic("AnyPath", 2)
	db.heartbeat("GAny", "AnyPath", "*", 1, true)
	suspend := protocol.PullFlagSuspend | protocol.PullFlagCommitOffset

	t.Run("direct store put", func(t *testing.T) {
		ch := db.pullAsync(pullReq("GAny", "AnyPath", 0, 0, suspend, "", 20000))
		time.Sleep(300 * time.Millisecond)
		select {
		case r := <-ch:
			t.Fatalf("answered before any message: code %d", r.resp.Code)
		default:
		}
		put := time.Now()
		res := db.b.store.PutMessage(&message.Msg{Topic: "AnyPath", QueueID: 0, Body: []byte("direct"),
			BornHost: db.b.data.host(), StoreHost: db.b.data.host()})
		if !res.Status.Stored() {
			t.Fatal(res.Status)
		}
		r := waitResult(t, ch, 10*time.Second)
		mustCode(t, r.resp, protocol.Success)
		// The re-check would take up to 5 s; generous for a loaded machine, far below that.
		if lat := r.at.Sub(put); lat > 2*time.Second {
			t.Errorf("answered %v after the put", lat)
		}
		msgs, _ := message.DecodeAll(r.resp.Body)
		if len(msgs) != 1 || string(msgs[0].Body) != "direct" {
			t.Errorf("got %v", msgs)
		}
	})

	t.Run("delayed delivery", func(t *testing.T) {
		ch := db.pullAsync(pullReq("GAny", "AnyPath", 1, 0, suspend, "", 20000))
		mustCode(t, db.invoke(sendV1("AnyPath", 1, props("DELAY", "1", "TAGS", "TagD"), []byte("later"))), protocol.Success)
		r := waitResult(t, ch, 10*time.Second)
		mustCode(t, r.resp, protocol.Success)
		msgs, _ := message.DecodeAll(r.resp.Body)
		if len(msgs) != 1 || string(msgs[0].Body) != "later" {
			t.Fatalf("got %v", msgs)
		}
		// The delivered record's store time is when the schedule service re-put it.
		if lat := r.at.Sub(time.UnixMilli(msgs[0].StoreTimestamp)); lat > 2*time.Second {
			t.Errorf("answered %v after the delivery", lat)
		}
		// The re-put keeps DELAY as Java's does (PutMessageNoDelay).
		if d := msgs[0].Property(message.PropertyDelayTimeLevel); d != "1" {
			t.Errorf("delivered DELAY %q, want 1", d)
		}
	})
}

// TestScanPropsWait: WAIT is read as Java's Message.isWaitStoreMsgOK (absent waits, otherwise
// Boolean.parseBoolean), and a plain send passes the answer on in Msg.NoWait because its stored
// properties drop WAIT.
func TestScanPropsWait(t *testing.T) {
	cases := []struct {
		props  string
		noWait bool
	}{
		{"", false},
		{props("TAGS", "a"), false},
		{props("WAIT", "true"), false},
		{props("WAIT", "TRUE", "TAGS", "a"), false},
		{props("TAGS", "a", "WAIT", "false"), true},
		{props("WAIT", "False"), true},
		{props("WAIT", "no"), true},
		{"WAIT\x01false", true}, // Java's form: no trailing separator
	}
	for _, c := range cases {
		if got := scanProps([]byte(c.props)).noWait; got != c.noWait {
			t.Errorf("%q: noWait %v, want %v", c.props, got, c.noWait)
		}
	}
}
