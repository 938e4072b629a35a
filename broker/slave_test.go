package broker

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// startSlave starts a slave of master's group on the same NameServer.
func startSlave(t *testing.T, master *testBroker, id int64) *Broker {
	t.Helper()
	cfg := testConfig(t.TempDir(), master.NSAddr)
	cfg.BrokerRole, cfg.BrokerID = store.Slave, id
	cfg.SlaveReadEnable = true
	cfg.HaSendHeartbeatInterval = 500
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s
}

func eventually(t *testing.T, what string, d time.Duration, f func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !f() {
		if time.Now().After(end) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSyncMasterWithSlaves: SYNC_MASTER answers SLAVE_NOT_AVAILABLE without a slave; with one
// or two slaves a send is acknowledged only once a slave holds it; slaves serve pulls and take
// over the master's metadata; after the master is gone the slave still serves its messages.
func TestSyncMasterWithSlaves(t *testing.T) {
	master := startTestBroker(t, func(c *Config) { c.BrokerRole = store.SyncMaster })
	send := func(i int) *struct {
		code int32
		end  int64
	} {
		resp := master.call(protocol.SendMessage, sendV1("HAT", 0, "", []byte(fmt.Sprint("m-", i))).ExtFields, []byte(fmt.Sprint("m-", i)))
		return &struct {
			code int32
			end  int64
		}{resp.Code, master.B.Store().CommitLogMaxOffset()}
	}
	if r := send(0); r.code != protocol.SlaveNotAvailable {
		t.Fatalf("no slave: code %d, want SLAVE_NOT_AVAILABLE", r.code)
	}
	s1 := startSlave(t, master, 1)
	if s1.HAMasterAddr() != master.B.HAServerAddr() {
		t.Fatalf("slave follows %q, master announces %q", s1.HAMasterAddr(), master.B.HAServerAddr())
	}
	eventually(t, "slave connected", 10*time.Second, func() bool { return master.B.HAService().ConnectionCount() == 1 })
	for i := 1; i <= 50; i++ {
		r := send(i)
		if r.code != protocol.Success {
			t.Fatalf("send %d: code %d", i, r.code)
		}
		if got := s1.Store().CommitLogMaxOffset(); got < r.end {
			t.Fatalf("send %d acknowledged at %d, slave holds %d", i, r.end, got)
		}
	}
	s2 := startSlave(t, master, 2)
	eventually(t, "2 slaves", 10*time.Second, func() bool { return master.B.HAService().ConnectionCount() == 2 })
	for i := 51; i <= 80; i++ {
		if r := send(i); r.code != protocol.Success {
			t.Fatalf("send %d with 2 slaves: code %d", i, r.code)
		}
	}
	eventually(t, "both slaves complete", 10*time.Second, func() bool {
		m := master.B.Store().CommitLogMaxOffset()
		return s1.Store().CommitLogMaxOffset() == m && s2.Store().CommitLogMaxOffset() == m
	})

	// Metadata: topics, offsets, delay offsets.
	master.B.Offsets().CommitOffset("x", "CG", "HAT", 0, 42)
	master.B.Offsets().persist()
	master.B.Groups().Update(NewSubscriptionGroupConfig("SyncedGroup"))
	s1.SyncFromMaster()
	if s1.Groups().Get("SyncedGroup") == nil || s1.Groups().DataVersion() != master.B.Groups().DataVersion() {
		t.Fatal("subscription group not synced to slave")
	}
	if s1.Topics().SelectTopicConfig("HAT") == nil {
		t.Fatal("topic not synced to slave")
	}
	if s1.Topics().DataVersion() != master.B.Topics().DataVersion() {
		t.Fatalf("topic data version %+v, master %+v", s1.Topics().DataVersion(), master.B.Topics().DataVersion())
	}
	if got := s1.Offsets().QueryOffset("CG", "HAT", 0); got != 42 {
		t.Fatalf("slave offset %d, want 42", got)
	}
	if _, err := os.Stat(s1.configPath(delayOffsetFile)); err != nil {
		t.Fatalf("delayOffset.json not synced: %v", err)
	}

	// Master gone: the slave still serves every message.
	master.shutdown()
	slave := &dataBroker{t: t, b: s1, cli: master.Client, addr: s1.BrokerAddr()}
	var got int
	for off := int64(0); ; {
		resp, msgs := slave.pullAll("HAT", 0, off)
		if resp.Code != protocol.Success {
			break
		}
		got += len(msgs)
		off = pullHeader(t, resp).NextBeginOffset
	}
	if got != 81 {
		t.Fatalf("slave served %d messages, want 81", got)
	}
}

// TestSyncMasterSlaveGone: once its only slave shuts down, a SYNC_MASTER answers
// SLAVE_NOT_AVAILABLE (FLUSH_SLAVE_TIMEOUT is covered in store/ha).
func TestSyncMasterSlaveGone(t *testing.T) {
	master := startTestBroker(t, func(c *Config) { c.BrokerRole = store.SyncMaster; c.SlaveTimeout = 500 })
	s1 := startSlave(t, master, 1)
	eventually(t, "slave connected", 10*time.Second, func() bool { return master.B.HAService().ConnectionCount() == 1 })
	resp := master.call(protocol.SendMessage, sendV1("HAT", 0, "", []byte("a")).ExtFields, []byte("a"))
	mustCode(t, resp, protocol.Success)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s1.Shutdown(ctx)
	eventually(t, "slave gone", 10*time.Second, func() bool { return master.B.HAService().ConnectionCount() == 0 })
	resp = master.call(protocol.SendMessage, sendV1("HAT", 0, "", []byte("b")).ExtFields, []byte("b"))
	mustCode(t, resp, protocol.SlaveNotAvailable)
}

// TestSuggestSlaveWhenBacklogOutOfMemory: with slaveReadEnable a master suggests
// whichBrokerWhenConsumeSlowly (1) once the pulled message lies further from the commitlog end
// than accessMessageInMemoryMaxRatio% of RAM (0% here, so any backlog), else the group's
// brokerId; without slaveReadEnable it always suggests the master.
func TestSuggestSlaveWhenBacklogOutOfMemory(t *testing.T) {
	for _, tc := range []struct {
		name      string
		slaveRead bool
		ratio     int
		want      int64
	}{
		{"slave read, backlog out of memory", true, 0, 1},
		{"slave read, in memory", true, 40, 0},
		{"no slave read", false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := startDataBroker(t, func(c *Config) {
				c.SlaveReadEnable = tc.slaveRead
				c.AccessMessageInMemoryMaxRatio = tc.ratio
			})
			for i := 0; i < 3; i++ {
				mustCode(t, db.invoke(sendV1("Backlog", 0, "", []byte("x"))), protocol.Success)
			}
			resp, msgs := db.pullAll("Backlog", 0, 0)
			mustCode(t, resp, protocol.Success)
			if len(msgs) != 3 {
				t.Fatalf("pulled %d", len(msgs))
			}
			if got := pullHeader(t, resp).SuggestWhichBrokerID; got != tc.want {
				t.Fatalf("suggestWhichBrokerId %d, want %d", got, tc.want)
			}
		})
	}
}

// TestSlaveSyncsOnLearningMaster: a slave syncs the master's metadata as soon as registration
// names its master, not only on its 3 s/10 s timer (Java waits for the timer, so a master lost
// in those seconds left its acknowledged messages unreadable on the slave: the slave refused
// pulls of a topic it did not know yet). The timer is pushed out of reach here, so only the
// registration trigger can deliver the topic.
func TestSlaveSyncsOnLearningMaster(t *testing.T) {
	first, period := slaveSyncFirst, slaveSyncPeriod
	slaveSyncFirst, slaveSyncPeriod = time.Hour, time.Hour
	t.Cleanup(func() { slaveSyncFirst, slaveSyncPeriod = first, period })
	master := startTestBroker(t, func(c *Config) { c.BrokerRole = store.SyncMaster })
	mustCode(t, master.call(protocol.UpdateAndCreateTopic, ext(createTopicExt("EarlyTopic", "4", "6")...), nil), protocol.Success)
	s := startSlave(t, master, 1)
	eventually(t, "slave knows the master's topic", 10*time.Second, func() bool {
		return s.Topics().SelectTopicConfig("EarlyTopic") != nil
	})
}
