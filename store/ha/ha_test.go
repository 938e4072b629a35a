package ha

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/store"
)

var (
	born  = netip.MustParseAddrPort("127.0.0.1:40000")
	where = netip.MustParseAddrPort("127.0.0.1:10911")
)

const segSize = 64 * 1024

func openStore(t testing.TB, role store.BrokerRole, opts ...store.Option) *store.Store {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = t.TempDir()
	cfg.MappedFileSizeCommitLog = segSize
	cfg.MappedFileSizeConsumeQueue = 1000 * 20
	cfg.BrokerRole = role
	s, err := store.Open(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func msg(i int) *message.Msg {
	return &message.Msg{Topic: "HA", QueueID: int32(i % 4), Body: []byte(fmt.Sprintf("body-%06d-%s", i, bytes.Repeat([]byte("x"), 100))),
		Properties: message.AppendProperty(nil, "KEYS", fmt.Sprint("k", i)), BornTimestamp: 1700000000000,
		BornHost: born, StoreHost: where}
}

func fastCfg() Config {
	c := DefaultConfig()
	c.ListenAddr = "127.0.0.1:0"
	c.SendHeartbeatInterval = 200 * time.Millisecond
	c.HousekeepingInterval = 3 * time.Second
	c.ReconnectInterval = 100 * time.Millisecond
	c.SlaveTimeout = 2 * time.Second
	return c
}

func startMaster(t *testing.T, st *store.Store) *Service {
	t.Helper()
	svc, err := NewService(st, fastCfg())
	if err != nil {
		t.Fatal(err)
	}
	svc.Start()
	st.SetReplicator(svc)
	t.Cleanup(func() { st.SetReplicator(nil); svc.Close() })
	return svc
}

func startSlave(t *testing.T, st *store.Store, addr string) *Client {
	t.Helper()
	c := NewClient(st, fastCfg(), func() string { return addr })
	c.Start()
	t.Cleanup(c.Close)
	return c
}

func waitFor(t *testing.T, what string, d time.Duration, f func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !f() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sameLog compares the two commitlogs byte for byte over [from, master max).
func sameLog(t *testing.T, m, s *store.Store, from int64) {
	t.Helper()
	for off := from; off < m.CommitLogMaxOffset(); {
		a, af := m.ReadCommitLog(off, 1<<20)
		b, bf := s.ReadCommitLog(off, 1<<20)
		if a == nil || b == nil {
			t.Fatalf("offset %d: master has %d bytes, slave %d", off, len(a), len(b))
		}
		n := min(len(a), len(b))
		if !bytes.Equal(a[:n], b[:n]) {
			t.Fatalf("commitlogs differ in [%d, %d)", off, off+int64(n))
		}
		af.Release()
		bf.Release()
		off += int64(n)
	}
}

func readAll(t *testing.T, s *store.Store, q int32) []string {
	t.Helper()
	var out []string
	for off := int64(0); ; {
		r := s.GetMessage("g", "HA", q, off, 32, 0, nil)
		for _, b := range r.Buffers {
			var v message.View
			if err := message.Parse(b, &v); err != nil {
				t.Fatal(err)
			}
			out = append(out, string(v.Body[:11]))
		}
		n := r.MsgCount
		off = r.NextBeginOffset
		r.Release()
		if n == 0 {
			return out
		}
	}
}

func TestReplicateAsync(t *testing.T) {
	m := openStore(t, store.AsyncMaster)
	s := openStore(t, store.Slave, store.WithDefaultIndex())
	svc := startMaster(t, m)
	startSlave(t, s, svc.Addr().String())
	// Wait for the first report: a slave asking for 0 later would start at the last segment.
	waitFor(t, "first report", 5*time.Second, func() bool {
		for _, a := range svc.SlaveAckOffsets() {
			return a >= 0
		}
		return false
	})
	for i := 0; i < 2000; i++ { // ~ 5 segments
		if r := m.PutMessage(msg(i)); r.Status != store.PutOK {
			t.Fatalf("put %d: %v", i, r.Status)
		}
	}
	waitFor(t, "slave to catch up", 10*time.Second, func() bool { return s.CommitLogMaxOffset() == m.CommitLogMaxOffset() })
	waitFor(t, "master to see the ack", 10*time.Second, func() bool { return svc.Push2SlaveMaxOffset() == m.CommitLogMaxOffset() })
	sameLog(t, m, s, 0)
	for q := int32(0); q < 4; q++ {
		a, b := readAll(t, m, q), readAll(t, s, q)
		if len(a) != 500 || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("queue %d: master %d msgs, slave %d", q, len(a), len(b))
		}
	}
	// The slave's index was built from the replicated records by the same dispatcher.
	q := s.QueryMessage("HA", "k1234", 32, 0, time.Now().UnixMilli()+1000)
	found := len(q.Buffers)
	q.Release()
	if found != 1 {
		t.Fatalf("slave index finds %d messages with key k1234, want 1", found)
	}
	if r := s.PutMessage(msg(0)); r.Status != store.ServiceNotAvailable {
		t.Fatalf("slave put: %v, want SERVICE_NOT_AVAILABLE", r.Status)
	}
	if svc.ConnectionCount() != 1 {
		t.Fatalf("connections %d", svc.ConnectionCount())
	}
}

func TestSyncMaster(t *testing.T) {
	m := openStore(t, store.SyncMaster)
	svc := startMaster(t, m)
	// No slave: SLAVE_NOT_AVAILABLE at once, message stored anyway.
	begin := time.Now()
	if r := m.PutMessage(msg(0)); r.Status != store.SlaveNotAvailable {
		t.Fatalf("no slave: %v", r.Status)
	}
	if time.Since(begin) > time.Second {
		t.Fatal("SLAVE_NOT_AVAILABLE should not wait")
	}
	for _, slaves := range []int{1, 2} {
		t.Run(fmt.Sprint(slaves, "slaves"), func(t *testing.T) {
			var ss []*store.Store
			for i := 0; i < slaves; i++ {
				s := openStore(t, store.Slave)
				ss = append(ss, s)
				startSlave(t, s, svc.Addr().String())
			}
			waitFor(t, "slaves to connect", 5*time.Second, func() bool { return svc.ConnectionCount() == slaves })
			for i := 0; i < 300; i++ {
				r := m.PutMessage(msg(i))
				if r.Status != store.PutOK {
					t.Fatalf("put %d: %v", i, r.Status)
				}
				end := r.WroteOffset + int64(r.WroteBytes)
				held := false
				for _, s := range ss {
					held = held || s.CommitLogMaxOffset() >= end
				}
				if !held {
					t.Fatalf("put %d acknowledged before any slave held offset %d", i, end)
				}
			}
		})
		waitFor(t, "slaves to go", 5*time.Second, func() bool { return svc.ConnectionCount() == 0 })
	}
}

func TestSyncMasterTimeout(t *testing.T) {
	m := openStore(t, store.SyncMaster)
	svc := startMaster(t, m)
	// A "slave" that connects and reports but never acknowledges anything new.
	nc, err := net.Dial("tcp", svc.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(m.CommitLogMaxOffset()))
	nc.Write(b[:])
	waitFor(t, "connection", 5*time.Second, func() bool { return svc.ConnectionCount() == 1 })
	begin := time.Now()
	r := m.PutMessage(msg(1))
	if r.Status != store.FlushSlaveTimeout {
		t.Fatalf("status %v, want FLUSH_SLAVE_TIMEOUT", r.Status)
	}
	if d := time.Since(begin); d < 2*time.Second || d > 5*time.Second {
		t.Fatalf("waited %v, slaveTimeout is 2s", d)
	}
}

// TestCatchUpAcrossSegments: a slave away while the master wrote several segments resumes
// from its own offset and ends byte-identical.
func TestCatchUpAcrossSegments(t *testing.T) {
	m := openStore(t, store.AsyncMaster)
	s := openStore(t, store.Slave)
	svc := startMaster(t, m)
	c := NewClient(s, fastCfg(), func() string { return svc.Addr().String() })
	c.Start()
	for i := 0; i < 100; i++ {
		m.PutMessage(msg(i))
	}
	waitFor(t, "first sync", 10*time.Second, func() bool { return s.CommitLogMaxOffset() == m.CommitLogMaxOffset() })
	c.Close()
	behind := s.CommitLogMaxOffset()
	for i := 100; i < 3000; i++ {
		m.PutMessage(msg(i))
	}
	if m.CommitLogMaxOffset()-behind < 3*segSize {
		t.Fatalf("slave only %d bytes behind", m.CommitLogMaxOffset()-behind)
	}
	startSlave(t, s, svc.Addr().String())
	waitFor(t, "catch-up", 20*time.Second, func() bool { return s.CommitLogMaxOffset() == m.CommitLogMaxOffset() })
	sameLog(t, m, s, 0)
	for q := int32(0); q < 4; q++ {
		if a, b := readAll(t, m, q), readAll(t, s, q); len(a) != 750 || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("queue %d: master %d, slave %d", q, len(a), len(b))
		}
	}
}

// TestNewSlaveStartsAtLastSegment: a slave with an empty log gets the master's last segment
// only (Java's rule), and reads its messages.
func TestNewSlaveStartsAtLastSegment(t *testing.T) {
	m := openStore(t, store.AsyncMaster)
	for i := 0; i < 1000; i++ {
		m.PutMessage(msg(i))
	}
	svc := startMaster(t, m)
	s := openStore(t, store.Slave)
	startSlave(t, s, svc.Addr().String())
	waitFor(t, "sync", 10*time.Second, func() bool { return s.CommitLogMaxOffset() == m.CommitLogMaxOffset() })
	last := m.CommitLogMaxOffset() - m.CommitLogMaxOffset()%segSize
	if s.CommitLogMinOffset() != last {
		t.Fatalf("slave starts at %d, want %d", s.CommitLogMinOffset(), last)
	}
	sameLog(t, m, s, last)
	m.PutMessage(msg(1000))
	waitFor(t, "sync", 10*time.Second, func() bool { return s.ReputOffset() == m.CommitLogMaxOffset() })
	if s.MaxOffsetInQueue("HA", 0) != m.MaxOffsetInQueue("HA", 0) {
		t.Fatalf("queue max: slave %d master %d", s.MaxOffsetInQueue("HA", 0), m.MaxOffsetInQueue("HA", 0))
	}
}

// fakeMaster serves each accepted connection with the next script.
func fakeMaster(t *testing.T, scripts ...func(net.Conn)) (string, *sync.WaitGroup) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(len(scripts))
	go func() {
		for i := 0; ; i++ {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			if i >= len(scripts) {
				continue // keep it open, idle
			}
			go func(f func(net.Conn)) {
				defer wg.Done()
				var b [8]byte
				nc.Read(b[:]) // the slave's first report
				f(nc)
			}(scripts[i])
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), &wg
}

// flip returns a copy of b with one byte inverted.
func flip(b []byte, at int) []byte {
	c := append([]byte(nil), b...)
	c[at] ^= 0xff
	return c
}

func frame(off int64, data []byte, size int32) []byte {
	b := make([]byte, headerSize, headerSize+len(data))
	binary.BigEndian.PutUint64(b, uint64(off))
	binary.BigEndian.PutUint32(b[8:], uint32(size))
	return append(b, data...)
}

// TestBadStream: each broken frame closes the connection, the client reconnects, and nothing
// from a broken frame reaches the commitlog; a good frame afterwards is applied. Corrupted
// bytes are caught where the record format can tell (magic, sizes, offsets, body CRC); the
// protocol has no checksum of its own, so damage to unchecked fields (hosts, timestamps,
// properties) passes, as it does between Java brokers.
func TestBadStream(t *testing.T) {
	// Real records to replicate, taken from a master store.
	m := openStore(t, store.AsyncMaster)
	for i := 0; i < 20; i++ {
		m.PutMessage(msg(i))
	}
	data, mf := m.ReadCommitLog(0, 1<<20)
	good := append([]byte(nil), data...)
	mf.Release()

	cases := []struct {
		name  string
		bytes []byte
		close bool
	}{
		{"truncated body", frame(0, good[:100], int32(len(good))), true},
		{"truncated header", frame(0, nil, 0)[:7], true},
		{"negative size", frame(0, nil, -5), false},
		{"huge size", frame(0, nil, 1<<30), false},
		{"wrong offset", frame(12345, good, int32(len(good))), false},
		{"garbage body CRC", frame(0, flip(good, 8), int32(len(good))), false},
		{"garbage magic", frame(0, flip(good, 5), int32(len(good))), false},
		{"garbage in a later body", frame(0, flip(good, len(good)-60), int32(len(good))), false},
	}
	var scripts []func(net.Conn)
	for _, c := range cases {
		c := c
		scripts = append(scripts, func(nc net.Conn) {
			nc.Write(c.bytes)
			if c.close {
				nc.Close()
				return
			}
			// The slave must hang up on its own.
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			for {
				if _, err := nc.Read(buf); err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Errorf("%s: slave kept the connection", c.name)
					}
					nc.Close()
					return
				}
			}
		})
	}
	scripts = append(scripts, func(nc net.Conn) {
		nc.Write(frame(0, good, int32(len(good))))
		time.Sleep(time.Second)
		nc.Close()
	})
	addr, wg := fakeMaster(t, scripts...)
	s := openStore(t, store.Slave)
	c := startSlave(t, s, addr)
	wg.Wait()
	waitFor(t, "good frame applied", 5*time.Second, func() bool { return s.CommitLogMaxOffset() == int64(len(good)) })
	if c.BadFrames() < int64(len(cases)) {
		t.Fatalf("bad frames %d, want >= %d", c.BadFrames(), len(cases))
	}
	if c.Connects() < int64(len(cases)+1) {
		t.Fatalf("connects %d", c.Connects())
	}
	sameLog(t, m, s, 0)
	if got := readAll(t, s, 1); len(got) != 5 {
		t.Fatalf("slave queue 1 has %d messages", len(got))
	}
	// Nothing stray on disk past the good data.
	ents, _ := os.ReadDir(filepath.Join(s.Config().StorePathRootDir, "commitlog"))
	if len(ents) > 2 {
		t.Fatalf("commitlog files %d", len(ents))
	}
}
