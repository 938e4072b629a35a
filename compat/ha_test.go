package compat

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/internal/testport"
)

// Master/slave replication (issue 8) with stock clients and, where ../shared has it, the stock
// Java 4.9.8 broker on either side of the HA link. The topology is one broker group
// ("broker-ha": master brokerId 0, slave brokerId 1) behind one NameServer, all on loopback.

// haNode describes one side of the pair.
type haNode struct {
	name  string // broker group; "broker-ha" when empty
	ns    string // namesrvAddr when not the cluster's one NameServer
	java  bool
	child bool   // ours in a child process (so it can be SIGKILLed)
	role  string // ASYNC_MASTER, SYNC_MASTER or SLAVE
}

// startHANode starts one broker of group broker-ha (ours in-process, or the Java one).
func startHANode(t *testing.T, c *cluster, n haNode) *brokerNode {
	t.Helper()
	if n.name == "" {
		n.name = "broker-ha"
	}
	b := &brokerNode{c: c, Name: n.name, Cluster: "CompatCluster", Port: testport.Broker(t), Dir: t.TempDir(),
		Props: map[string]string{"brokerRole": n.role, "mappedFileSizeCommitLog": fmt.Sprint(1 << 20)}}
	if n.ns != "" {
		b.Props["namesrvAddr"] = n.ns
	}
	if n.role == "SLAVE" {
		b.Props["brokerId"] = "1"
		b.Props["slaveReadEnable"] = "true"
	}
	if n.child {
		b.StartChild()
		t.Cleanup(func() {
			if b.h != nil {
				b.h.Shutdown()
				b.h = nil
			}
		})
		return b
	}
	var err error
	if n.java {
		if javaHome() == "" {
			t.Skip("stock Java broker not available: ", errJavaMissing)
		}
		b.h, err = startJavaBroker(b)
	} else {
		b.h, err = startOurBroker(b)
	}
	if err != nil {
		t.Fatalf("start %s %s: %v", map[bool]string{true: "Java", false: "our"}[n.java], n.role, err)
	}
	t.Cleanup(func() {
		if b.h != nil {
			b.h.Shutdown()
			b.h = nil
		}
	})
	c.waitBrokerRegistered(b)
	return b
}

// commitlogPrefix reads the first n bytes of a broker's first commitlog segment from disk.
func commitlogPrefix(t *testing.T, b *brokerNode, n int) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(b.Dir, "commitlog", "00000000000000000000"))
	if err != nil {
		return nil
	}
	if len(data) < n {
		return data
	}
	return data[:n]
}

// usedLen is the length of the written prefix of a commitlog segment: records are chained by
// TOTALSIZE from 0 until a zero size.
func usedLen(seg []byte) int {
	pos := 0
	for pos+8 <= len(seg) {
		size := int(uint32(seg[pos])<<24 | uint32(seg[pos+1])<<16 | uint32(seg[pos+2])<<8 | uint32(seg[pos+3]))
		if size <= 0 || pos+size > len(seg) {
			break
		}
		pos += size
	}
	return pos
}

// runHAPair produces n messages with the stock Go client to the master and waits until the
// slave's commitlog is byte-identical to the master's written prefix. With a SYNC_MASTER every
// send must come back SEND_OK, which only happens when the slave acknowledged it over HA.
func runHAPair(t *testing.T, master, slave haNode, n int) (*cluster, *brokerNode, *brokerNode) {
	c := newClusterOpts(t, clusterOpts{brokers: 0})
	if targetJava() {
		t.Skip("pairs choose their servers themselves")
	}
	m := startHANode(t, c, master)
	c.brokers = []*brokerNode{m}
	topic := uniq("HA")
	c.createTopic(topic, 4)
	s := startHANode(t, c, slave)
	if sh, ok := m.h.(brHandle); ok && master.role == "SYNC_MASTER" {
		waitFor(t, 30*time.Second, "slave connected to our master", func() bool { return sh.b.HAService().ConnectionCount() == 1 })
	}
	p := startProducer(t, c)
	var notOK []string
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("ha-%04d", i)
		var r *primitive.SendResult
		var err error
		// A Java slave reports its offset only after haSendHeartbeatInterval (5 s): the first
		// SYNC_MASTER sends may time out until then. Retry those, then require SEND_OK.
		for try := 0; try < 10; try++ {
			r, err = p.SendSync(context.Background(), newMsg(topic, body))
			if err == nil && r.Status == primitive.SendOK {
				break
			}
			if i > 0 {
				break
			}
			time.Sleep(time.Second)
		}
		if err != nil || r.Status != primitive.SendOK {
			notOK = append(notOK, fmt.Sprintf("%s: %v %v", body, r, err))
		}
	}
	if len(notOK) > 0 {
		t.Fatalf("%d sends not SEND_OK, first: %s", len(notOK), notOK[0])
	}
	var mp, sp []byte
	waitFor(t, 60*time.Second, "slave commitlog equal to the master's", func() bool {
		mp = commitlogPrefix(t, m, 1<<20)
		used := usedLen(mp)
		sp = commitlogPrefix(t, s, used)
		return used > 0 && len(sp) == used && bytes.Equal(mp[:used], sp)
	})
	t.Logf("slave holds the master's %d commitlog bytes", len(sp))
	return c, m, s
}

func TestHAOurMasterOurSlave(t *testing.T) {
	_, _, s := runHAPair(t, haNode{role: "SYNC_MASTER"}, haNode{role: "SLAVE"}, 200)
	sb := s.h.(brHandle).b
	var total int64
	for q := int32(0); q < 4; q++ {
		for _, topic := range sb.Store().Topics() {
			if strings.HasPrefix(topic, "HA") {
				total += sb.Store().MaxOffsetInQueue(topic, q)
			}
		}
	}
	if total != 200 {
		t.Fatalf("slave consume queues hold %d messages, want 200", total)
	}
}

func TestHAJavaSlaveFollowsOurMaster(t *testing.T) {
	runHAPair(t, haNode{role: "SYNC_MASTER"}, haNode{java: true, role: "SLAVE"}, 100)
}

func TestHAOurSlaveFollowsJavaMaster(t *testing.T) {
	_, _, s := runHAPair(t, haNode{java: true, role: "SYNC_MASTER"}, haNode{role: "SLAVE"}, 100)
	if got := s.h.(brHandle).b.HAClient().BadFrames(); got != 0 {
		t.Fatalf("%d bad frames from the Java master", got)
	}
}

// TestHAMasterLossUnderLoad: producers write to a SYNC_MASTER running in a child process
// while it is SIGKILLed; every send acknowledged SEND_OK is on the slave, and a running stock
// consumer carries on reading from the slave. When the master comes back (recovering after the
// crash) the slave reconnects and replication resumes from the slave's own offset.
func TestHAMasterLossUnderLoad(t *testing.T) {
	c := newClusterOpts(t, clusterOpts{brokers: 0})
	if targetJava() {
		t.Skip("pairs choose their servers themselves")
	}
	m := startHANode(t, c, haNode{role: "SYNC_MASTER", child: true})
	c.brokers = []*brokerNode{m}
	topic := uniq("HAK")
	c.createTopic(topic, 4)
	s := startHANode(t, c, haNode{role: "SLAVE"})
	sb := s.h.(brHandle).b
	waitFor(t, 30*time.Second, "slave connected", func() bool { return sb.HAClient().Connects() >= 1 })
	// The consumer runs from before the loss: the stock Go client finds offsets only on a
	// master (FindBrokerAddrByName), so a group born after the loss could not start; one that
	// is running carries on pulling from the slave.
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CG"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	p := startProducer(t, c)
	var mu sync.Mutex
	var acked []string
	load := startSendLoad(p, topic, "k", func(body string, _ *primitive.SendResult) {
		mu.Lock()
		acked = append(acked, body)
		mu.Unlock()
	})
	sent := &load.sent
	waitFor(t, 30*time.Second, "some load", func() bool { return sent.Load() > 300 })
	waitFor(t, 40*time.Second, "consumer reading", func() bool { return d.Total() > 0 })
	m.Kill() // SIGKILL mid-stream: nothing unregistered, flushed or checkpointed
	time.Sleep(500 * time.Millisecond)
	load.stop()
	mu.Lock()
	want := append([]string(nil), acked...)
	mu.Unlock()
	if len(want) < 100 {
		t.Fatalf("only %d sends acknowledged", len(want))
	}
	// The consumer moves to the slave when its route no longer names the master: the stock Go
	// client polls routes every 30 s, and until then its pulls to the dead master fail and back
	// off; a long poll on the slave may be suspended for 15 s more.
	d.waitTotal(t, len(want), max(deliveryTimeout*2, 75*time.Second))
	d.settle(time.Second)
	d.mu.Lock()
	for _, b := range want {
		if d.count[b] == 0 {
			d.mu.Unlock()
			t.Fatalf("SEND_OK message %s lost after the master was killed (%d acked)", b, len(want))
		}
	}
	d.mu.Unlock()
	t.Logf("%d of %d sends acknowledged SEND_OK before the kill, all read from the slave", len(want), sent.Load())

	// The master returns: the slave reconnects and replication resumes where it stopped.
	before := sb.HAClient().Connects()
	m.StartChild()
	waitFor(t, 30*time.Second, "slave reconnected", func() bool { return sb.HAClient().Connects() > before })
	for i := 0; i < 20; i++ {
		var r *primitive.SendResult
		var err error
		// The producer's route may lack the master: if the Go client's route poll (every 30 s,
		// pollNameServerInterval) fell between the kill and the master's new registration, the
		// client has no writable queue until its next poll.
		for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); {
			if r, err = p.SendSync(context.Background(), newMsg(topic, fmt.Sprint("after-", i))); err == nil && r.Status == primitive.SendOK {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil || r.Status != primitive.SendOK {
			t.Fatalf("send after the master returned: %v %v", r, err)
		}
	}
	waitFor(t, 30*time.Second, "slave commitlog equal to the restarted master's", func() bool {
		mp := commitlogPrefix(t, m, 64<<20)
		used := usedLen(mp)
		sp := commitlogPrefix(t, s, used)
		return used > 0 && len(sp) == used && bytes.Equal(mp[:used], sp)
	})
}

// TestHATwoGroupsTwoNameServers: two NameServers, two broker groups of a SYNC_MASTER (child
// process) and a slave each, stock Go producer and consumer given both NameServers. The master
// of broker-a is SIGKILLed under load: producers carry on with broker-b, and every message
// acknowledged SEND_OK by either group is consumed (broker-a's from its slave).
func TestHATwoGroupsTwoNameServers(t *testing.T) {
	c := newClusterOpts(t, clusterOpts{brokers: 0})
	if targetJava() {
		t.Skip("pairs choose their servers themselves")
	}
	ns2, err := startNamesrv(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns2.Shutdown() })
	nss := c.NamesrvAddr() + ";" + ns2.Addr()
	ma := startHANode(t, c, haNode{name: "broker-a", ns: nss, role: "SYNC_MASTER", child: true})
	mb := startHANode(t, c, haNode{name: "broker-b", ns: nss, role: "SYNC_MASTER", child: true})
	c.brokers = []*brokerNode{ma, mb}
	topic := uniq("HA2")
	c.createTopic(topic, 4)
	sa := startHANode(t, c, haNode{name: "broker-a", ns: nss, role: "SLAVE"})
	sb := startHANode(t, c, haNode{name: "broker-b", ns: nss, role: "SLAVE"})
	for _, s := range []*brokerNode{sa, sb} {
		cl := s.h.(brHandle).b.HAClient()
		waitFor(t, 30*time.Second, "slave connected", func() bool { return cl.Connects() >= 1 })
	}
	addrs := primitive.NamesrvAddr{c.NamesrvAddr(), ns2.Addr()}
	d := newDeliveries()
	// Both NameServers, given after the helpers' defaults (the client applies options in order).
	startPush(t, c, pushSpec{group: uniq("CG"), topic: topic, from: consumer.ConsumeFromFirstOffset,
		opts: []consumer.Option{consumer.WithNameServer(addrs)}}, d, nil)
	p := startProducer(t, c, producer.WithNameServer(addrs))
	var mu sync.Mutex
	acked := map[string]string{} // body -> broker name
	load := startSendLoad(p, topic, "g", func(body string, r *primitive.SendResult) {
		mu.Lock()
		acked[body] = r.MessageQueue.BrokerName
		mu.Unlock()
	})
	sent := &load.sent
	waitFor(t, 30*time.Second, "some load", func() bool { return sent.Load() > 300 })
	// "Carry on" needs a consumer that is already reading broker-a (its route can lag a
	// NameServer by up to the client's 30 s refresh).
	waitFor(t, 40*time.Second, "consumer reading broker-a", func() bool {
		mu.Lock()
		defer mu.Unlock()
		d.mu.Lock()
		defer d.mu.Unlock()
		for b, bn := range acked {
			if bn == "broker-a" && d.count[b] > 0 {
				return true
			}
		}
		return false
	})
	ma.Kill()
	n0 := sent.Load()
	waitFor(t, 30*time.Second, "load after the kill", func() bool { return sent.Load() > n0+300 })
	load.stop()
	mu.Lock()
	perBroker := map[string]int{}
	for _, bn := range acked {
		perBroker[bn]++
	}
	mu.Unlock()
	if perBroker["broker-a"] == 0 || perBroker["broker-b"] == 0 {
		t.Fatalf("acks per group %v: both groups should have taken writes", perBroker)
	}
	// As in TestHAMasterLossUnderLoad: up to a 30 s route poll before the consumer reads
	// broker-a's messages from its slave.
	d.waitTotal(t, len(acked), max(deliveryTimeout*2, 75*time.Second))
	d.settle(time.Second)
	d.mu.Lock()
	defer d.mu.Unlock()
	for b, bn := range acked {
		if d.count[b] == 0 {
			t.Fatalf("SEND_OK message %s (%s) never consumed", b, bn)
		}
	}
	t.Logf("acks per group %v of %d sends; all consumed", perBroker, sent.Load())
}

// TestHABench measures, in one run, the stock Go client's send rate and p99 against a
// standalone broker, an ASYNC_MASTER with one slave and a SYNC_MASTER with one slave (16 sync
// producers, 1 KiB bodies, ROCKETGO_HA_BENCH seconds each, modes interleaved over two rounds),
// and the replication lag seen on the slave while sending. It runs only when
// ROCKETGO_HA_BENCH is set (docs/BENCHMARKS.md, "High availability", holds its figures).
func TestHABench(t *testing.T) {
	secs := os.Getenv("ROCKETGO_HA_BENCH")
	if secs == "" {
		t.Skip("set ROCKETGO_HA_BENCH=<seconds per mode> to run the HA benchmark")
	}
	d, err := time.ParseDuration(secs + "s")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		sent, failed   int64
		secs, p50, p99 float64
		maxLag, avgLag float64
		lagN           int
	}
	modes := []string{"standalone", "ASYNC_MASTER + slave", "SYNC_MASTER + slave"}
	rows := make([]row, len(modes))
	for round := 0; round < 2; round++ {
		for i, mode := range modes {
			c := newClusterOpts(t, clusterOpts{brokers: 0})
			role := "ASYNC_MASTER"
			if i == 2 {
				role = "SYNC_MASTER"
			}
			m := startHANode(t, c, haNode{role: role})
			c.brokers = []*brokerNode{m}
			topic := uniq("HAB")
			c.createTopic(topic, 8)
			var sb *broker.Broker
			var s *brokerNode
			if i > 0 {
				s = startHANode(t, c, haNode{role: "SLAVE"})
				sb = s.h.(brHandle).b
				waitFor(t, 30*time.Second, "slave connected", func() bool { return m.h.(brHandle).b.HAService().ConnectionCount() == 1 })
			}
			mb := m.h.(brHandle).b
			stop := make(chan struct{})
			var lagWG sync.WaitGroup
			var maxLag, sumLag int64
			var lagN int
			if sb != nil {
				lagWG.Add(1)
				go func() {
					defer lagWG.Done()
					tk := time.NewTicker(10 * time.Millisecond)
					defer tk.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tk.C:
							l := mb.Store().CommitLogMaxOffset() - sb.Store().CommitLogMaxOffset()
							maxLag = max(maxLag, l)
							sumLag += l
							lagN++
						}
					}
				}()
			}
			res := runGoClientLoad(t, c.NamesrvAddr(), topic, 16, d, make([]byte, 1024))
			close(stop)
			lagWG.Wait()
			r := &rows[i]
			r.sent += int64(res.Sent)
			r.failed += int64(res.Failed)
			r.secs += res.Seconds
			r.p50 = max(r.p50, res.P50Micros)
			r.p99 = max(r.p99, res.P99Micros)
			r.maxLag = max(r.maxLag, float64(maxLag))
			r.avgLag += float64(sumLag)
			r.lagN += lagN
			t.Logf("round %d %s: %.0f sends/s p99 %.0f µs", round, mode, float64(res.Sent)/res.Seconds, res.P99Micros)
			if s != nil {
				s.Stop()
			}
			m.Stop()
		}
	}
	var sb strings.Builder
	sb.WriteString("| mode | sends/s | p50 (worst round) | p99 (worst round) | failed | slave lag avg | slave lag max |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for i, mode := range modes {
		r := rows[i]
		lag := "–"
		maxl := "–"
		if r.lagN > 0 {
			lag = fmt.Sprintf("%.1f KiB", r.avgLag/float64(r.lagN)/1024)
			maxl = fmt.Sprintf("%.1f KiB", r.maxLag/1024)
		}
		fmt.Fprintf(&sb, "| %s | %.1fk | %.0f µs | %.0f µs | %d | %s | %s |\n", mode, float64(r.sent)/r.secs/1000, r.p50, r.p99, r.failed, lag, maxl)
	}
	t.Log("\n" + sb.String())
}

// sendLoad is four goroutines sending "<prefix><worker>-<n>" bodies synchronously until
// stopped; onAck sees every SEND_OK (from several goroutines at once).
type sendLoad struct {
	sent atomic.Int64
	done chan struct{}
	wg   sync.WaitGroup
}

func startSendLoad(p rocketmq.Producer, topic, prefix string, onAck func(body string, r *primitive.SendResult)) *sendLoad {
	l := &sendLoad{done: make(chan struct{})}
	for w := 0; w < 4; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.done:
					return
				default:
				}
				body := fmt.Sprintf("%s%d-%05d", prefix, w, i)
				r, err := p.SendSync(context.Background(), newMsg(topic, body))
				l.sent.Add(1)
				if err == nil && r.Status == primitive.SendOK {
					onAck(body, r)
				}
			}
		}(w)
	}
	return l
}

// stop ends the load and waits for the senders' last calls.
func (l *sendLoad) stop() {
	close(l.done)
	l.wg.Wait()
}
