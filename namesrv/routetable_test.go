package namesrv

import (
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// fakeChannel is a remoting.Channel that records writes and closes.
type fakeChannel struct {
	id     uint64
	remote string
	mu     sync.Mutex
	closed int
	wrote  []*remoting.Command
	ctx    any
}

var fakeIDs atomic.Uint64

func newFakeChannel(remote string) *fakeChannel {
	return &fakeChannel{id: fakeIDs.Add(1), remote: remote}
}

func (c *fakeChannel) ID() uint64         { return c.id }
func (c *fakeChannel) RemoteAddr() string { return c.remote }
func (c *fakeChannel) LocalAddr() string  { return "127.0.0.1:9876" }
func (c *fakeChannel) Write(cmd *remoting.Command) error {
	c.mu.Lock()
	c.wrote = append(c.wrote, cmd)
	c.mu.Unlock()
	return nil
}
func (c *fakeChannel) Close() error {
	c.mu.Lock()
	c.closed++
	c.mu.Unlock()
	return nil
}
func (c *fakeChannel) Context() any     { return c.ctx }
func (c *fakeChannel) SetContext(v any) { c.ctx = v }
func (c *fakeChannel) closeCount() int  { c.mu.Lock(); defer c.mu.Unlock(); return c.closed }
func quietLog() *logrus.Entry {
	l := logrus.New()
	l.SetLevel(logrus.PanicLevel)
	return logrus.NewEntry(l)
}
func newTestTable() *RouteTable { return NewRouteTable(quietLog()) }
func tq(name string, n, perm int32) *protocol.TopicConfig {
	return &protocol.TopicConfig{TopicName: name, ReadQueueNums: n, WriteQueueNums: n, Perm: perm}
}

func reg(cluster, name string, id int64, addr string, dv int64, ch remoting.Channel, topics ...*protocol.TopicConfig) *Registration {
	m := make(map[string]*protocol.TopicConfig, len(topics))
	for _, tc := range topics {
		m[tc.TopicName] = tc
	}
	return &Registration{ClusterName: cluster, BrokerName: name, BrokerID: id, BrokerAddr: addr,
		HAServerAddr: addr + "-ha", DataVersion: DataVersion{Timestamp: 1000, Counter: dv},
		TopicConfigs: m, HasFilterServers: true, Channel: ch}
}

func TestRegisterAndRoute(t *testing.T) {
	rt := newTestTable()
	rt.Register(reg("C", "b", 0, "10.0.0.1:10911", 1, nil, tq("T", 4, 6), tq("TBW102", 8, 7)))
	rt.Register(reg("C", "a", 0, "10.0.0.2:10911", 1, nil, tq("T", 2, 6)))
	rt.Register(reg("C", "a", 1, "10.0.0.3:10911", 1, nil, tq("T", 99, 6)))

	r, ok := rt.Route("T")
	if !ok {
		t.Fatal("no route for T")
	}
	wantQ := []QueueData{{BrokerName: "a", ReadQueueNums: 2, WriteQueueNums: 2, Perm: 6},
		{BrokerName: "b", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}}
	if !reflect.DeepEqual(r.QueueDatas, wantQ) {
		t.Errorf("queueDatas = %+v, want %+v (the slave's 99 queues must be ignored)", r.QueueDatas, wantQ)
	}
	wantB := []BrokerData{
		{Cluster: "C", BrokerName: "a", BrokerAddrs: map[int64]string{0: "10.0.0.2:10911", 1: "10.0.0.3:10911"}},
		{Cluster: "C", BrokerName: "b", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911"}},
	}
	if !reflect.DeepEqual(r.BrokerDatas, wantB) {
		t.Errorf("brokerDatas = %+v, want %+v", r.BrokerDatas, wantB)
	}
	if _, ok := rt.Route("nope"); ok {
		t.Error("route for unknown topic")
	}
	if got, want := rt.AllTopics(), []string{"T", "TBW102"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AllTopics = %v, want %v", got, want)
	}
	ci := rt.ClusterInfo()
	if got := ci.ClusterAddrTable["C"]; !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("cluster C = %v", got)
	}
	// The answer is a copy: mutating it must not reach the table.
	ci.BrokerAddrTable["a"].BrokerAddrs[0] = "x"
	r.BrokerDatas[0].BrokerAddrs[0] = "y"
	if rt.ClusterInfo().BrokerAddrTable["a"].BrokerAddrs[0] != "10.0.0.2:10911" {
		t.Error("ClusterInfo/Route handed out internal maps")
	}
}

func TestRegisterSlaveLearnsMaster(t *testing.T) {
	rt := newTestTable()
	if res := rt.Register(reg("C", "a", 1, "s:1", 1, nil)); res != (RegisterResult{}) {
		t.Errorf("slave without master got %+v", res)
	}
	if res := rt.Register(reg("C", "a", 0, "m:1", 1, nil)); res != (RegisterResult{}) {
		t.Errorf("master got %+v", res)
	}
	res := rt.Register(reg("C", "a", 1, "s:1", 1, nil))
	if want := (RegisterResult{MasterAddr: "m:1", HAServerAddr: "m:1-ha"}); res != want {
		t.Errorf("slave got %+v, want %+v", res, want)
	}
}

func TestQueueDataOnlyOnChangedDataVersion(t *testing.T) {
	tests := []struct {
		name     string
		second   *Registration
		wantPerm int32
		wantN    int32
	}{
		{"same version keeps wipe", reg("C", "a", 0, "m:1", 1, nil, tq("T", 4, 6)), 4, 4},
		{"new version overwrites", reg("C", "a", 0, "m:1", 2, nil, tq("T", 8, 6)), 6, 8},
		{"slave never writes", reg("C", "a", 1, "s:1", 5, nil, tq("T", 16, 6)), 4, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := newTestTable()
			rt.Register(reg("C", "a", 0, "m:1", 1, nil, tq("T", 4, 6)))
			if n := rt.WipeWritePerm("a"); n != 1 {
				t.Fatalf("wipe touched %d topics", n)
			}
			rt.Register(tc.second)
			r, _ := rt.Route("T")
			if q := r.QueueDatas[0]; q.Perm != tc.wantPerm || q.WriteQueueNums != tc.wantN {
				t.Errorf("after second registration %+v, want perm %d queues %d", q, tc.wantPerm, tc.wantN)
			}
		})
	}
}

func TestRoleSwitchRemovesOldID(t *testing.T) {
	rt := newTestTable()
	rt.Register(reg("C", "a", 0, "m:1", 1, nil, tq("T", 4, 6)))
	rt.Register(reg("C", "a", 1, "s:1", 1, nil))
	// The master dies, the slave is promoted and registers the same address as id 0.
	rt.Unregister("C", "m:1", "a", 0)
	rt.Register(reg("C", "a", 0, "s:1", 1, nil, tq("T", 4, 6)))
	got := rt.ClusterInfo().BrokerAddrTable["a"].BrokerAddrs
	if want := map[int64]string{0: "s:1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("addrs = %v, want %v", got, want)
	}
}

func TestUnregisterCleanup(t *testing.T) {
	rt := newTestTable()
	rt.Register(reg("C", "a", 0, "m:1", 1, nil, tq("T", 4, 6), tq("OnlyA", 1, 6)))
	rt.Register(reg("C", "a", 1, "s:1", 1, nil))
	rt.Register(reg("C", "b", 0, "m:2", 1, nil, tq("T", 4, 6)))

	rt.Unregister("C", "m:1", "a", 0)
	if _, ok := rt.Route("OnlyA"); !ok {
		t.Error("topic of a vanished while a's slave is still registered")
	}
	rt.Unregister("C", "s:1", "a", 1)
	if _, ok := rt.Route("OnlyA"); ok {
		t.Error("topic of a survived a's last address")
	}
	r, _ := rt.Route("T")
	if len(r.QueueDatas) != 1 || r.QueueDatas[0].BrokerName != "b" {
		t.Errorf("T queueDatas = %+v", r.QueueDatas)
	}
	rt.Unregister("C", "m:2", "b", 0)
	if ci := rt.ClusterInfo(); len(ci.ClusterAddrTable) != 0 || len(ci.BrokerAddrTable) != 0 {
		t.Errorf("cluster info not empty: %+v", ci)
	}
	if topics := rt.AllTopics(); len(topics) != 0 {
		t.Errorf("topics left: %v", topics)
	}
}

func TestExpiryAndChannelClose(t *testing.T) {
	rt := newTestTable()
	var now atomic.Int64
	now.Store(time.Unix(1000, 0).UnixNano())
	rt.now = func() time.Time { return time.Unix(0, now.Load()) }
	chA, chB := newFakeChannel("10.0.0.1:50000"), newFakeChannel("10.0.0.2:50000")
	rt.Register(reg("C", "a", 0, "m:1", 1, chA, tq("T", 4, 6)))
	rt.Register(reg("C", "b", 0, "m:2", 1, chB, tq("T", 4, 6)))

	now.Add(int64(100 * time.Second))
	rt.Register(reg("C", "b", 0, "m:2", 1, chB, tq("T", 4, 6))) // b heartbeats
	now.Add(int64(21 * time.Second))                            // a silent for 121 s
	if got := rt.ScanExpired(); !reflect.DeepEqual(got, []string{"m:1"}) {
		t.Fatalf("expired = %v", got)
	}
	if chA.closeCount() != 1 || chB.closeCount() != 0 {
		t.Errorf("closes a=%d b=%d", chA.closeCount(), chB.closeCount())
	}
	r, _ := rt.Route("T")
	if len(r.BrokerDatas) != 1 || r.BrokerDatas[0].BrokerName != "b" {
		t.Errorf("route after expiry = %+v", r.BrokerDatas)
	}

	// A closing client connection changes nothing; the broker's own one removes it.
	rt.ChannelClosed(newFakeChannel("10.9.9.9:1"))
	if _, ok := rt.Route("T"); !ok {
		t.Fatal("client close removed the route")
	}
	rt.ChannelClosed(chB)
	if _, ok := rt.Route("T"); ok {
		t.Error("route survived the broker's connection closing")
	}
	if ci := rt.ClusterInfo(); len(ci.ClusterAddrTable) != 0 {
		t.Errorf("cluster table = %v", ci.ClusterAddrTable)
	}
}

func TestChannelCloseAfterReconnect(t *testing.T) {
	rt := newTestTable()
	oldCh, newCh := newFakeChannel("x:1"), newFakeChannel("x:2")
	rt.Register(reg("C", "a", 0, "m:1", 1, oldCh, tq("T", 4, 6)))
	rt.Register(reg("C", "a", 0, "m:1", 1, newCh, tq("T", 4, 6)))
	rt.ChannelClosed(oldCh)
	if _, ok := rt.Route("T"); !ok {
		t.Error("closing a stale connection removed a broker that re-registered on a new one")
	}
}

func TestQueryDataVersion(t *testing.T) {
	rt := newTestTable()
	var now atomic.Int64
	now.Store(time.Unix(1000, 0).UnixNano())
	rt.now = func() time.Time { return time.Unix(0, now.Load()) }
	if changed, _, ok := rt.QueryDataVersion("m:1", DataVersion{Timestamp: 1, Counter: 1}); !changed || ok {
		t.Errorf("unknown broker: changed=%v ok=%v", changed, ok)
	}
	rt.Register(reg("C", "a", 0, "m:1", 7, nil, tq("T", 4, 6)))
	now.Add(int64(110 * time.Second))
	changed, stored, ok := rt.QueryDataVersion("m:1", DataVersion{Timestamp: 1000, Counter: 7})
	if changed || !ok || stored != (DataVersion{Timestamp: 1000, Counter: 7}) {
		t.Errorf("same version: changed=%v stored=%v ok=%v", changed, stored, ok)
	}
	now.Add(int64(110 * time.Second)) // 220 s after registering, 110 s after the query
	if got := rt.ScanExpired(); len(got) != 0 {
		t.Errorf("an unchanged QUERY_DATA_VERSION did not count as a heartbeat: expired %v", got)
	}
	if changed, _, _ := rt.QueryDataVersion("m:1", DataVersion{Timestamp: 1000, Counter: 8}); !changed {
		t.Error("different counter reported unchanged")
	}
}

func TestPermAndDeleteTopic(t *testing.T) {
	rt := newTestTable()
	rt.Register(reg("C1", "a", 0, "m:1", 1, nil, tq("T", 4, 7), tq("U", 4, 6)))
	rt.Register(reg("C2", "b", 0, "m:2", 1, nil, tq("T", 4, 6)))
	if n := rt.WipeWritePerm("a"); n != 2 {
		t.Errorf("wipe = %d", n)
	}
	r, _ := rt.Route("T")
	if r.QueueDatas[0].Perm != 5 || r.QueueDatas[1].Perm != 6 {
		t.Errorf("after wipe %+v", r.QueueDatas)
	}
	if n := rt.AddWritePerm("a"); n != 2 {
		t.Errorf("add = %d", n)
	}
	r, _ = rt.Route("T")
	if r.QueueDatas[0].Perm != 6 {
		t.Errorf("add must set RW exactly (Java drops the inherit bit): %+v", r.QueueDatas[0])
	}
	if n := rt.WipeWritePerm("nobody"); n != 0 {
		t.Errorf("unknown broker wipe = %d", n)
	}
	if got := rt.TopicsByCluster("C2"); !reflect.DeepEqual(got, []string{"T"}) {
		t.Errorf("TopicsByCluster(C2) = %v", got)
	}
	if got := rt.TopicsByCluster("none"); got == nil || len(got) != 0 {
		t.Errorf("unknown cluster = %#v", got)
	}
	rt.DeleteTopic("T", "C1")
	r, ok := rt.Route("T")
	if !ok || len(r.QueueDatas) != 1 || r.QueueDatas[0].BrokerName != "b" {
		t.Errorf("after cluster delete: %+v %v", r, ok)
	}
	rt.DeleteTopic("T", "C2")
	if _, ok := rt.Route("T"); ok {
		t.Error("topic survived deletion from its last cluster")
	}
	rt.DeleteTopic("U", "")
	if got := rt.AllTopics(); len(got) != 0 {
		t.Errorf("topics left %v", got)
	}
}

func TestSystemAndUnitTopics(t *testing.T) {
	rt := newTestTable()
	rt.Register(reg("C", "b", 0, "m:2", 1, nil,
		&protocol.TopicConfig{TopicName: "unit", Perm: 6, TopicSysFlag: 1},
		&protocol.TopicConfig{TopicName: "sub", Perm: 6, TopicSysFlag: 2},
		&protocol.TopicConfig{TopicName: "both", Perm: 6, TopicSysFlag: 3}))
	rt.Register(reg("C", "a", 1, "s:1", 1, nil))
	topics, addr := rt.SystemTopics()
	if !reflect.DeepEqual(topics, []string{"C", "a", "b"}) || addr != "s:1" {
		t.Errorf("system topics %v %q", topics, addr)
	}
	for kind, want := range map[UnitTopicKind][]string{
		UnitTopics: {"both", "unit"}, HasUnitSubTopics: {"both", "sub"}, HasUnitSubNonUnitTopics: {"sub"},
	} {
		if got := rt.UnitTopicList(kind); !reflect.DeepEqual(got, want) {
			t.Errorf("kind %d = %v, want %v", kind, got, want)
		}
	}
}

func TestFilterServers(t *testing.T) {
	rt := newTestTable()
	r1 := reg("C", "a", 0, "m:1", 1, nil, tq("T", 1, 6))
	r1.FilterServers = []string{"f:1"}
	rt.Register(r1)
	r, _ := rt.Route("T")
	if want := map[string][]string{"m:1": {"f:1"}}; !reflect.DeepEqual(r.FilterServerTable, want) {
		t.Errorf("filters %v", r.FilterServerTable)
	}
	rt.Register(reg("C", "a", 0, "m:1", 1, nil)) // empty list clears
	r, _ = rt.Route("T")
	if len(r.FilterServerTable) != 0 {
		t.Errorf("filters not cleared: %v", r.FilterServerTable)
	}
}

func BenchmarkRoute(b *testing.B) {
	rt := newTestTable()
	for i := 0; i < 4; i++ {
		name := string(rune('a' + i))
		var topics []*protocol.TopicConfig
		for j := 0; j < 1000; j++ {
			topics = append(topics, tq("T"+string(rune('0'+j%10))+name+string(rune(j)), 8, 6))
		}
		topics = append(topics, tq("Hot", 8, 6))
		rt.Register(reg("C", name, 0, name+":10911", 1, nil, topics...))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := rt.Route("Hot"); !ok {
				b.Fatal("no route")
			}
		}
	})
}

func TestTouchKeepsBrokerAlive(t *testing.T) {
	rt := newTestTable()
	var now atomic.Int64
	now.Store(time.Unix(1000, 0).UnixNano())
	rt.now = func() time.Time { return time.Unix(0, now.Load()) }
	rt.Register(reg("C", "a", 0, "m:1", 1, nil, tq("T", 1, 6)))
	now.Add(int64(100 * time.Second))
	if !rt.Touch("m:1") || rt.Touch("unknown:1") {
		t.Fatal("Touch reported the wrong brokers as known")
	}
	now.Add(int64(100 * time.Second))
	if got := rt.ScanExpired(); len(got) != 0 {
		t.Errorf("touched broker expired: %v", got)
	}
	now.Add(int64(21 * time.Second))
	if got := rt.ScanExpired(); len(got) != 1 {
		t.Errorf("broker silent 121 s after its heartbeat not expired: %v", got)
	}
}

func TestPerBrokerHeartbeatTimeout(t *testing.T) {
	rt := newTestTable()
	var now atomic.Int64
	now.Store(time.Unix(1000, 0).UnixNano())
	rt.now = func() time.Time { return time.Unix(0, now.Load()) }
	short := reg("C", "short", 0, "s:1", 1, nil, tq("T", 1, 6))
	short.HeartbeatTimeout = 10 * time.Second
	rt.Register(short)
	rt.Register(reg("C", "default", 0, "d:1", 1, nil, tq("T", 1, 6)))
	now.Add(int64(11 * time.Second))
	if got := rt.ScanExpired(); !reflect.DeepEqual(got, []string{"s:1"}) {
		t.Errorf("expired %v, want only the 5.x broker with a 10 s timeout", got)
	}
}

// TestConcurrentUse runs registrations, lookups, closes and scans at once; -race checks it.
func TestConcurrentUse(t *testing.T) {
	rt := newTestTable()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ch := newFakeChannel("x")
			name := string(rune('a' + w))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				switch i % 6 {
				case 0:
					rt.Register(reg("C", name, int64(i%2), name+":1", int64(i), ch, tq("T", 4, 6), tq("T"+name, 2, 6)))
				case 1:
					if r, ok := rt.Route("T"); ok && len(r.QueueDatas) == 0 {
						t.Error("route with no queue data")
					}
				case 2:
					_ = rt.ClusterInfo()
					_ = rt.AllTopics()
				case 3:
					rt.WipeWritePerm(name)
				case 4:
					rt.ChannelClosed(ch)
				case 5:
					rt.ScanExpired()
					rt.DeleteTopic("T"+name, "C")
				}
			}
		}(w)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
}
