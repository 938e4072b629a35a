package broker

import (
	"slices"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

func mqs(ids ...int32) []protocol.MessageQueue {
	out := make([]protocol.MessageQueue, len(ids))
	for i, id := range ids {
		out[i] = protocol.MessageQueue{Topic: "OrderT", BrokerName: "broker-t", QueueID: id}
	}
	return out
}

func queueIDs(list []protocol.MessageQueue) []int32 {
	out := make([]int32, 0, len(list))
	for _, q := range list {
		out = append(out, q.QueueID)
	}
	slices.Sort(out)
	return out
}

// lockVia sends LOCK_BATCH_MQ on cli and returns the queue ids granted.
func lockVia(t *testing.T, cli *remoting.Client, addr, group, clientID string, ids ...int32) []int32 {
	t.Helper()
	body := (&protocol.LockBatchRequestBody{ConsumerGroup: group, ClientID: clientID, MQSet: mqs(ids...)}).Marshal()
	resp, err := cli.Invoke(addr, remoting.NewRequest(protocol.LockBatchMq, nil, body), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mustCode(t, resp, protocol.Success)
	var out protocol.LockBatchResponseBody
	if err := out.Unmarshal(resp.Body); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	return queueIDs(out.LockOKMQSet)
}

func unlockVia(t *testing.T, cli *remoting.Client, addr, group, clientID string, ids ...int32) {
	t.Helper()
	body := (&protocol.UnlockBatchRequestBody{ConsumerGroup: group, ClientID: clientID, MQSet: mqs(ids...)}).Marshal()
	resp, err := cli.Invoke(addr, remoting.NewRequest(protocol.UnlockBatchMq, nil, body), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	mustCode(t, resp, protocol.Success)
}

func TestLockBatchContentionUnlockAndClose(t *testing.T) {
	db := startDataBroker(t, nil)
	a := remoting.NewClient(remoting.ClientConfig{Name: "lock-a"})
	b := remoting.NewClient(remoting.ClientConfig{Name: "lock-b"})
	defer a.Close()
	defer b.Close()

	steps := []struct {
		name   string
		cli    *remoting.Client
		client string
		group  string
		lock   []int32
		want   []int32
	}{
		// A group nobody registered: Java does not look it up, the lock is granted.
		{"A takes 0,1", a, "A", "NoSuchGroupYet", []int32{0, 1}, []int32{0, 1}},
		{"B gets only the free ones", b, "B", "NoSuchGroupYet", []int32{0, 1, 2, 3}, []int32{2, 3}},
		{"A refreshes its own", a, "A", "NoSuchGroupYet", []int32{0, 1, 2}, []int32{0, 1}},
		{"other group independent", b, "B", "OtherGroup", []int32{0}, []int32{0}},
	}
	for _, s := range steps {
		if got := lockVia(t, s.cli, db.addr, s.group, s.client, s.lock...); !slices.Equal(got, s.want) {
			t.Errorf("%s: locked %v, want %v", s.name, got, s.want)
		}
	}
	// UNLOCK releases only what the caller holds.
	unlockVia(t, b, db.addr, "NoSuchGroupYet", "B", 0, 2)
	if got := lockVia(t, a, db.addr, "NoSuchGroupYet", "A", 2); !slices.Equal(got, []int32{2}) {
		t.Errorf("after B unlocked 2, A got %v", got)
	}
	if h := db.b.sem.locks.holder("NoSuchGroupYet", mqs(0)[0]); h != "A" {
		t.Errorf("B's unlock of A's queue 0 released it (holder %q)", h)
	}

	// A leaves (its connection closes): B takes A's queues over at once.
	a.Close()
	waitFor(t, 2*time.Second, "locks released on close", func() bool {
		return db.b.sem.locks.holder("NoSuchGroupYet", mqs(0)[0]) == ""
	})
	if got := lockVia(t, b, db.addr, "NoSuchGroupYet", "B", 0, 1, 2, 3); !slices.Equal(got, []int32{0, 1, 2, 3}) {
		t.Errorf("after A left, B got %v", got)
	}

	// Bad bodies: SYSTEM_ERROR with a remark, never a panic.
	for _, body := range [][]byte{nil, []byte("{not json")} {
		for _, code := range []int32{protocol.LockBatchMq, protocol.UnlockBatchMq} {
			resp, err := b.Invoke(db.addr, remoting.NewRequest(code, nil, body), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Code != protocol.SystemError || resp.Remark == "" {
				t.Errorf("code %d body %q: answer %d %q", code, body, resp.Code, resp.Remark)
			}
		}
	}
}

func TestLockExpiry(t *testing.T) {
	m := newRebalanceLockManager(logrus.NewEntry(logrus.StandardLogger()))
	now := time.Unix(1000, 0)
	m.now = func() time.Time { return now }
	if got := queueIDs(m.tryLockBatch("G", mqs(0, 1), "A", 1)); !slices.Equal(got, []int32{0, 1}) {
		t.Fatalf("A got %v", got)
	}
	now = now.Add(lockMaxLiveTime)
	if got := m.tryLockBatch("G", mqs(0), "B", 2); len(got) != 0 {
		t.Errorf("B took a lock exactly 60 s old: %v", got)
	}
	// A refreshes queue 1 only; queue 0 then expires and B takes it.
	m.tryLockBatch("G", mqs(1), "A", 1)
	now = now.Add(time.Millisecond)
	if got := queueIDs(m.tryLockBatch("G", mqs(0, 1), "B", 2)); !slices.Equal(got, []int32{0}) {
		t.Errorf("B got %v after queue 0 expired, want [0]", got)
	}
	if m.holder("G", mqs(0)[0]) != "B" || m.holder("G", mqs(1)[0]) != "A" {
		t.Errorf("holders %q %q", m.holder("G", mqs(0)[0]), m.holder("G", mqs(1)[0]))
	}
	// Releasing a connection drops only the locks taken through it.
	m.channelClosed(2)
	if m.holder("G", mqs(0)[0]) != "" || m.holder("G", mqs(1)[0]) != "A" {
		t.Error("channelClosed released the wrong locks")
	}
}

func BenchmarkLockBatch(b *testing.B) {
	quiet := logrus.New()
	quiet.SetLevel(logrus.ErrorLevel)
	m := newRebalanceLockManager(logrus.NewEntry(quiet))
	set := mqs(0, 1, 2, 3, 4, 5, 6, 7)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.tryLockBatch("G", set, "A", 1)
	}
}

func TestLockMaxLiveFromEnv(t *testing.T) {
	for _, c := range []struct {
		env  string
		want time.Duration
	}{{"1500", 1500 * time.Millisecond}, {"", lockMaxLiveTime}, {"abc", lockMaxLiveTime}, {"-4", lockMaxLiveTime}} {
		t.Setenv(lockMaxLiveEnv, c.env)
		if got := newRebalanceLockManager(logrus.NewEntry(logrus.StandardLogger())).maxLive; got != c.want {
			t.Errorf("%q: %v, want %v", c.env, got, c.want)
		}
	}
}
