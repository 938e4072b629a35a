package compat

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/testport"
)

// The harness runs our NameServer and brokers in this test process on loopback ports, each
// broker with its store under t.TempDir(), and lets a test stop and start a broker on the same
// store and port (restart) or run several broker groups side by side (failover). The pieces
// that call the server packages live in servers_test.go; everything here is independent of
// their API so it survives their changes.

// cluster is one NameServer and some broker groups (one master each).
type cluster struct {
	t       testing.TB
	ns      namesrvHandle
	brokers []*brokerNode
}

// brokerNode is one broker group's master: its fixed identity (name, port, store) outlives
// the running instance so a restart comes back as the same broker.
type brokerNode struct {
	c       *cluster
	Name    string
	Cluster string
	Port    int
	Dir     string
	// Props are extra broker.conf keys (Java names) applied on every start.
	Props map[string]string
	h     brokerHandle
	// started is set by the first successful start; until then the port may still change.
	started bool
}

// Addr is the address the broker registers (brokerIP1:listenPort), the one clients dial.
func (b *brokerNode) Addr() string { return "127.0.0.1:" + strconv.Itoa(b.Port) }

// Running reports whether the broker is started.
func (b *brokerNode) Running() bool { return b.h != nil }

// clusterOpts shapes a cluster: how many broker groups, and extra Java config keys for the
// brokers and the NameServer.
type clusterOpts struct {
	brokers     int
	brokerProps map[string]string
	nsProps     map[string]string
}

// newCluster starts a NameServer and n broker groups (broker-a, broker-b, ...) of cluster
// "CompatCluster". Everything is shut down when the test ends.
func newCluster(t testing.TB, n int, props map[string]string) *cluster {
	t.Helper()
	return newClusterOpts(t, clusterOpts{brokers: n, brokerProps: props})
}

// newClusterOpts is newCluster with every option.
func newClusterOpts(t testing.TB, o clusterOpts) *cluster {
	t.Helper()
	c := &cluster{t: t}
	ns, err := startNamesrv(t.TempDir(), o.nsProps)
	if errors.Is(err, errServersMissing) || errors.Is(err, errJavaMissing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("start NameServer: %v", err)
	}
	c.ns = ns
	t.Cleanup(func() {
		t0 := time.Now()
		for _, b := range c.brokers {
			if b.h != nil {
				if err := b.h.Shutdown(); err != nil {
					t.Errorf("shutdown broker %s: %v", b.Name, err)
				}
				b.h = nil
			}
		}
		t1 := time.Now()
		if err := c.ns.Shutdown(); err != nil {
			t.Errorf("shutdown NameServer: %v", err)
		}
		t.Logf("cluster shut down: brokers %v, NameServer %v", t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	})
	for i := 0; i < o.brokers; i++ {
		b := &brokerNode{c: c, Name: "broker-" + string(rune('a'+i)), Cluster: "CompatCluster",
			Port: testport.Broker(t), Dir: t.TempDir(), Props: o.brokerProps}
		c.brokers = append(c.brokers, b)
		b.Start()
	}
	for _, b := range c.brokers {
		c.waitBrokerRegistered(b)
	}
	return c
}

// NamesrvAddr is the NameServer address clients are given.
func (c *cluster) NamesrvAddr() string { return c.ns.Addr() }

// Start starts the broker on its port and store; it fails the test when it cannot.
func (b *brokerNode) Start() {
	b.c.t.Helper()
	if b.h != nil {
		b.c.t.Fatalf("broker %s already running", b.Name)
	}
	t0 := time.Now()
	h, err := startBroker(b)
	if err != nil {
		b.c.t.Fatalf("start broker %s on %d: %v", b.Name, b.Port, err)
	}
	b.h = h
	b.c.t.Logf("broker %s listening on %s (store %s), started in %v", b.Name, b.Addr(), b.Dir, time.Since(t0))
}

// Stop shuts the broker down gracefully (unregister, flush, checkpoint).
func (b *brokerNode) Stop() {
	b.c.t.Helper()
	if b.h == nil {
		return
	}
	if err := b.h.Shutdown(); err != nil {
		b.c.t.Errorf("shutdown broker %s: %v", b.Name, err)
	}
	b.h = nil
}

// Restart stops the broker and starts it again on the same port and store, then waits until
// the NameServer routes to it again.
func (b *brokerNode) Restart() {
	b.c.t.Helper()
	b.Stop()
	b.Start()
	b.c.waitBrokerRegistered(b)
}

// waitBrokerRegistered waits until the NameServer lists the broker in its cluster info.
func (c *cluster) waitBrokerRegistered(b *brokerNode) {
	c.t.Helper()
	waitFor(c.t, 10*time.Second, "broker "+b.Name+" registered at the NameServer", func() bool {
		conn, err := tryDialRaw(c.NamesrvAddr())
		if err != nil {
			return false
		}
		defer conn.Close()
		r, err := conn.call(codeGetBrokerClusterInfo, nil, nil, 2*time.Second)
		return err == nil && r.Code == 0 && strings.Contains(string(r.Body), b.Addr())
	})
}

// waitRoute waits until the NameServer routes topic to every broker in want, with queues.
func (c *cluster) waitRoute(topic string, want ...*brokerNode) {
	c.t.Helper()
	if len(want) == 0 {
		want = c.brokers
	}
	waitFor(c.t, 10*time.Second, "route of "+topic, func() bool {
		conn, err := tryDialRaw(c.NamesrvAddr())
		if err != nil {
			return false
		}
		defer conn.Close()
		r, err := conn.call(codeGetRouteInfoByTopic, map[string]string{"topic": topic}, nil, 2*time.Second)
		if err != nil || r.Code != 0 {
			return false
		}
		for _, b := range want {
			if !strings.Contains(string(r.Body), b.Addr()) || !strings.Contains(string(r.Body), `"`+b.Name+`"`) {
				return false
			}
		}
		return true
	})
}

// createTopic creates topic with the given queue counts on every running broker through
// UPDATE_AND_CREATE_TOPIC (what mqadmin updateTopic sends), then waits for the route.
func (c *cluster) createTopic(topic string, queues int) {
	c.t.Helper()
	var on []*brokerNode
	for _, b := range c.brokers {
		if !b.Running() {
			continue
		}
		on = append(on, b)
		conn := dialRaw(c.t, b.Addr(), langJava)
		r := conn.mustCall(codeUpdateAndCreateTopic, map[string]string{
			"topic": topic, "defaultTopic": "TBW102", "readQueueNums": strconv.Itoa(queues),
			"writeQueueNums": strconv.Itoa(queues), "perm": "6", "topicFilterType": "SINGLE_TAG",
			"topicSysFlag": "0", "order": "false",
		}, nil)
		if tc, ok := b.h.(topicCreator); ok && r.Code == 3 {
			// The broker does not serve UPDATE_AND_CREATE_TOPIC yet (TestAdminUpdateTopic fails
			// for that); create the topic in-process so the other tests can still run.
			if err := tc.CreateTopic(topic, queues); err != nil {
				c.t.Fatalf("create topic %s in-process on %s: %v", topic, b.Name, err)
			}
			conn.Close()
			continue
		}
		if r.Code != 0 {
			c.t.Fatalf("UPDATE_AND_CREATE_TOPIC %s on %s: %s", topic, b.Name, r)
		}
		conn.Close()
	}
	c.waitRoute(topic, on...)
}

// Request codes the harness and the raw-protocol tests use (RequestCode.java).
const (
	codeSendMessage               = 10
	codePullMessage               = 11
	codeQueryConsumerOffset       = 14
	codeUpdateConsumerOffset      = 15
	codeUpdateAndCreateTopic      = 17
	codeGetRouteInfoByTopic       = 105
	codeGetBrokerClusterInfo      = 106
	codeSearchOffsetByTimestamp   = 29
	codeGetMaxOffset              = 30
	codeQueryConsumeQueue         = 321
	codeGetProducerConnectionList = 204
	codeGetMinOffset              = 31
	codeGetEarliestMsgStoretime   = 32
	codeHeartBeat                 = 34
	codeUnregisterClient          = 35
	codeGetConsumerListByGroup    = 38
	codeNotifyConsumerIdsChange   = 40
	codeSendMessageV2             = 310
	codeSendBatchMessage          = 320
	codeGetAllTopicListFromNS     = 206
	codeGetKVConfig               = 101
)

func tryDialRaw(addr string) (*rawConn, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, err
	}
	c := &rawConn{t: nil, conn: conn, lang: langGo, ver: 317,
		wait: make(map[int32]chan *rawCmd), pushed: make(chan *rawCmd, 64), closed: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

// waitFor polls cond every 20 ms until it holds or timeout passes (then the test fails).
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sharedDir locates the shared tools: <repo root>/../shared (how CI lays them out), else
// /work/shared. Empty when neither exists.
func sharedDir() string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file)) // compat/.. = repo root
	for _, d := range []string{filepath.Join(root, "..", "shared"), "/work/shared"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

// uniq makes names unique per run so state left by one test (client ids, local offset files)
// never leaks into another.
func uniq(prefix string) string {
	return fmt.Sprintf("%s%d_%d", prefix, time.Now().UnixNano()%1_000_000_000, rand.IntN(1000))
}

// deliveries counts how often each message (by body) was consumed, and by whom.
type deliveries struct {
	mu    sync.Mutex
	count map[string]int
	by    map[string][]string
	total int
	ch    chan struct{}
}

func newDeliveries() *deliveries {
	return &deliveries{count: map[string]int{}, by: map[string][]string{}, ch: make(chan struct{}, 1)}
}

func (d *deliveries) add(who, body string) {
	d.mu.Lock()
	d.count[body]++
	d.by[body] = append(d.by[body], who)
	d.total++
	d.mu.Unlock()
	select {
	case d.ch <- struct{}{}:
	default:
	}
}

func (d *deliveries) Total() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.total
}

// waitTotal waits until at least n deliveries were seen, failing after timeout with what
// arrived so far.
func (d *deliveries) waitTotal(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	t0 := time.Now()
	defer func() { t.Logf("%d deliveries after %v", d.Total(), time.Since(t0).Round(time.Millisecond)) }()
	deadline := time.After(timeout)
	for d.Total() < n {
		select {
		case <-d.ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("got %d of %d deliveries within %v: %s", d.Total(), n, timeout, d.summary())
		}
	}
}

// settle waits quiet long enough for duplicates to show up, so exactly-once can be asserted.
func (d *deliveries) settle(quiet time.Duration) {
	for {
		before := d.Total()
		time.Sleep(quiet)
		if d.Total() == before {
			return
		}
	}
}

func (d *deliveries) summary() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(d.count))
	for k := range d.count {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s×%d ", k, d.count[k])
	}
	return sb.String()
}

// assertExactly checks that exactly the bodies in want were consumed, each exactly times.
func (d *deliveries) assertExactly(t testing.TB, want []string, times int) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	wantSet := map[string]bool{}
	for _, w := range want {
		wantSet[w] = true
		if d.count[w] != times {
			t.Errorf("message %q consumed %d times, want %d (by %v)", w, d.count[w], times, d.by[w])
		}
	}
	for k, n := range d.count {
		if !wantSet[k] {
			t.Errorf("unexpected message %q consumed %d times", k, n)
		}
	}
}

// bodies makes n distinct message bodies with a prefix.
func bodies(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}

// namesrvHandle and brokerHandle are what the harness needs from a running server; see
// servers_test.go for how they are started.
type namesrvHandle interface {
	Addr() string
	Shutdown() error
}

type brokerHandle interface {
	Shutdown() error
}

// topicCreator is an in-process way to create a topic, used only while the broker lacks
// UPDATE_AND_CREATE_TOPIC.
type topicCreator interface {
	CreateTopic(topic string, queues int) error
}

// targetJava reports whether COMPAT_TARGET=java asked for the stock Java 4.9.8 servers instead
// of ours. Running the same tests against both is how a test's expectations are checked against
// Java's real behaviour (and the base of the differential tests of issue 6).
func targetJava() bool { return os.Getenv("COMPAT_TARGET") == "java" }

func startNamesrv(dir string, props map[string]string) (namesrvHandle, error) {
	if targetJava() {
		return startJavaNamesrv(dir, props)
	}
	return startOurNamesrv(dir, props)
}

func startBroker(b *brokerNode) (brokerHandle, error) {
	if targetJava() {
		return startJavaBroker(b)
	}
	return startOurBroker(b)
}

// startFresh runs start, and when a broker that never ran before finds one of its ports taken
// by another process since the check, moves it to new ports and tries again (twice at most).
// A restart keeps its port: that is what a restart test is about.
func startFresh(b *brokerNode, start func(*brokerNode) (brokerHandle, error)) (brokerHandle, error) {
	for attempt := 0; ; attempt++ {
		h, err := start(b)
		if err == nil {
			b.started = true
			return h, nil
		}
		if b.started || attempt == 2 || !testport.BindFailed(err) {
			return nil, err
		}
		p, perr := testport.Reserve(-2, 0, 1)
		if perr != nil {
			return nil, err
		}
		b.c.t.Logf("broker %s: port %d taken since it was checked (%v); moving to %d", b.Name, b.Port, err, p)
		b.Port = p
	}
}
