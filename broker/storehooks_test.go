package broker

import (
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
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

// waitRecorder stands in for the HA service of a SYNC_MASTER: it answers a put that must wait
// for a slave with SLAVE_NOT_AVAILABLE (no slave) and remembers what it was asked.
type waitRecorder struct {
	mu    sync.Mutex
	waits []bool
}

func (w *waitRecorder) Replicate(end int64, wait bool) store.PutStatus {
	w.mu.Lock()
	w.waits = append(w.waits, wait)
	w.mu.Unlock()
	if wait {
		return store.SlaveNotAvailable
	}
	return store.PutOK
}

// TestSendWaitFalseNotWaited: a producer's WAIT=false reaches the store although the stored
// properties of a plain send drop WAIT, so a SYNC_MASTER without a slave acknowledges it at once
// with SUCCESS (Java's handleHA skips !isWaitStoreMsgOK messages), while WAIT=true and no WAIT
// wait and get SLAVE_NOT_AVAILABLE. The same flag makes SYNC_FLUSH skip the fsync wait.
func TestSendWaitFalseNotWaited(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.BrokerRole = store.SyncMaster })
	db.topic("WaitT", 1)
	rec := &waitRecorder{}
	db.b.store.SetReplicator(rec)
	defer db.b.store.SetReplicator(nil)
	cases := []struct {
		name  string
		req   *remoting.Command
		code  int32
		waits bool
	}{
		{"WAIT=false", sendV1("WaitT", 0, props("WAIT", "false", "TAGS", "a"), []byte("x")), protocol.Success, false},
		{"WAIT=false, V2", sendV2(protocol.SendMessageV2, "WaitT", 0, props("WAIT", "false"), []byte("x"), false), protocol.Success, false},
		{"WAIT=true", sendV1("WaitT", 0, props("WAIT", "true"), []byte("x")), protocol.SlaveNotAvailable, true},
		{"no WAIT", sendV1("WaitT", 0, props("TAGS", "a"), []byte("x")), protocol.SlaveNotAvailable, true},
		{"batch WAIT=false", sendV2(protocol.SendBatchMessage, "WaitT", 0, props("WAIT", "false"),
			message.AppendBatchEntry(nil, 0, []byte("b"), nil), true), protocol.Success, false},
	}
	for _, c := range cases {
		rec.mu.Lock()
		rec.waits = nil
		rec.mu.Unlock()
		mustCode(t, db.invoke(c.req), c.code)
		rec.mu.Lock()
		got := append([]bool(nil), rec.waits...)
		rec.mu.Unlock()
		if len(got) != 1 || got[0] != c.waits {
			t.Errorf("%s: replicator asked to wait %v, want [%v]", c.name, got, c.waits)
		}
	}
	// Every one of them is stored: SLAVE_NOT_AVAILABLE still means "sent" to the client.
	if n := db.b.store.MaxOffsetInQueue("WaitT", 0); n != int64(len(cases)) {
		t.Errorf("queue holds %d messages, want %d", n, len(cases))
	}
}

// TestSendRefusedWhilePageCacheBusy: while an append holds the store's lock longer than
// osPageCacheBusyTimeOutMills (here stalled in the arriving listener, which runs under it),
// sends are answered SYSTEM_BUSY at once with Java's [REJECTREQUEST] remark instead of queueing
// behind the stall; once it ends they are stored again.
func TestSendRefusedWhilePageCacheBusy(t *testing.T) {
	db := startDataBroker(t, func(c *Config) { c.OSPageCacheBusyTimeOutMills = 100 })
	db.topic("SlowT", 1)
	db.topic("OtherT", 1)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	db.b.store.SetArrivingListener(func(topic string, queueID int32, next, tags int64, props []byte) {
		if topic == "SlowT" {
			<-release
		}
		db.b.data.storeArrived(topic, queueID, next, tags, props)
	})
	defer db.b.store.SetArrivingListener(db.b.data.storeArrived)

	slow := make(chan *remoting.Command, 1)
	go func() {
		r, err := db.cli.Invoke(db.addr, sendV1("SlowT", 0, "", []byte("stalled")), 10*time.Second)
		if err != nil {
			t.Error(err)
		}
		slow <- r
	}()
	waitFor(t, 5*time.Second, "store busy", db.b.store.IsOSPageCacheBusy)
	start := time.Now()
	r := db.invoke(sendV1("OtherT", 0, "", []byte("x")))
	mustCode(t, r, protocol.SystemBusy)
	if r.Remark != "[REJECTREQUEST]system busy, start flow control for a while" {
		t.Errorf("remark %q", r.Remark)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("refusal took %v", el)
	}
	unblock()
	if r := <-slow; r == nil || r.Code != protocol.Success {
		t.Fatalf("stalled send: %+v", r)
	}
	mustCode(t, db.invoke(sendV1("OtherT", 0, "", []byte("y"))), protocol.Success)
	if n := db.b.store.MaxOffsetInQueue("OtherT", 0); n != 1 {
		t.Errorf("OtherT holds %d messages, want only the one sent after the stall", n)
	}
}
