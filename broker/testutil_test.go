package broker

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/namesrv"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// testBroker is a broker started in-process for a test, registered with an in-process
// NameServer, with a remoting Client to drive it over real TCP on 127.0.0.1.
type testBroker struct {
	t      *testing.T
	B      *Broker
	Cfg    *Config
	NS     *namesrv.NameServer
	NSAddr string
	Client *remoting.Client
	Dir    string
}

// startTestBroker starts a NameServer and a broker (store under t.TempDir(), small files,
// brokerIP1=brokerIP2=127.0.0.1, free ports). mutate may adjust the config before start.
// Everything is shut down at the end of the test.
func startTestBroker(t *testing.T, mutate func(*Config)) *testBroker {
	t.Helper()
	dir := t.TempDir()
	nsCfg := namesrv.NewConfig()
	nsCfg.ListenPort = 0
	nsCfg.BindAddress = "127.0.0.1"
	nsCfg.KvConfigPath = filepath.Join(dir, "namesrv", "kvConfig.json")
	nsCfg.ConfigStorePath = filepath.Join(dir, "namesrv", "namesrv.properties")
	ns, err := namesrv.New(nsCfg)
	if err != nil {
		t.Fatalf("namesrv.New: %v", err)
	}
	if err := ns.Start(); err != nil {
		t.Fatalf("namesrv start: %v", err)
	}
	tb := &testBroker{t: t, NS: ns, NSAddr: ns.Addr(), Dir: dir,
		Client: remoting.NewClient(remoting.ClientConfig{Name: "test"})}
	t.Cleanup(func() {
		_ = tb.Client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if tb.B != nil {
			_ = tb.B.Shutdown(ctx)
		}
		_ = ns.Shutdown(ctx)
	})
	cfg := testConfig(dir, tb.NSAddr)
	if mutate != nil {
		mutate(cfg)
	}
	tb.Cfg = cfg
	tb.start()
	return tb
}

// testConfig is the configuration every test broker starts from.
func testConfig(dir, nsAddr string) *Config {
	cfg := DefaultConfig()
	cfg.BrokerName = "broker-a"
	cfg.BrokerClusterName = "DefaultCluster"
	cfg.BrokerIP1, cfg.BrokerIP2 = "127.0.0.1", "127.0.0.1"
	cfg.BindAddress = "127.0.0.1"
	cfg.ListenPort = 0
	cfg.NamesrvAddr = nsAddr
	cfg.StorePathRootDir = filepath.Join(dir, "store")
	cfg.StorePathCommitLog = ""
	cfg.MappedFileSizeCommitLog = 4 << 20
	cfg.MappedFileSizeConsumeQueue = 20 * 4096
	cfg.MessageIndexEnable = false
	return cfg
}

// start (re)starts the broker with tb.Cfg on the same store directory.
func (tb *testBroker) start() {
	tb.t.Helper()
	b, err := New(tb.Cfg)
	if err != nil {
		tb.t.Fatalf("broker.New: %v", err)
	}
	if err := b.Start(); err != nil {
		tb.t.Fatalf("broker start: %v", err)
	}
	tb.B = b
}

// restart shuts the broker down gracefully and starts it again on the same store.
func (tb *testBroker) restart() {
	tb.t.Helper()
	tb.shutdown()
	tb.start()
}

func (tb *testBroker) shutdown() {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tb.B.Shutdown(ctx); err != nil {
		tb.t.Fatalf("broker shutdown: %v", err)
	}
	tb.Client.CloseAddr(tb.B.Addr())
	tb.B = nil
}

// Addr is the broker's client address.
func (tb *testBroker) Addr() string { return tb.B.Addr() }

// call sends a request to the broker with the shared client and fails the test on a
// transport error.
func (tb *testBroker) call(code int32, ext remoting.ExtFields, body []byte) *remoting.Command {
	tb.t.Helper()
	return callWith(tb.t, tb.Client, tb.Addr(), code, ext, body)
}

func callWith(t *testing.T, c *remoting.Client, addr string, code int32, ext remoting.ExtFields, body []byte) *remoting.Command {
	t.Helper()
	resp, err := c.Invoke(addr, remoting.NewRequest(code, ext, body), 5*time.Second)
	if err != nil {
		t.Fatalf("invoke %s on %s: %v", protocol.RequestName(code), addr, err)
	}
	return resp
}

// ext builds ExtFields from key, value pairs.
func ext(kv ...string) remoting.ExtFields {
	e := make(remoting.ExtFields, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		e = append(e, remoting.Field{Key: kv[i], Value: kv[i+1]})
	}
	return e
}

// route asks the NameServer for topic's route; it returns the response code and body.
func (tb *testBroker) route(topic string) (int32, string) {
	tb.t.Helper()
	resp := callWith(tb.t, tb.Client, tb.NSAddr, protocol.GetRouteinfoByTopic, ext("topic", topic), nil)
	return resp.Code, string(resp.Body)
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// heartbeatBody builds a Java-shaped heartbeat with one consumer group subscribing topics
// (tag expression "*") and one producer group.
func heartbeatBody(clientID, consumerGroup, producerGroup string, topics ...string) []byte {
	var sb strings.Builder
	sb.WriteString(`{"clientID":"` + clientID + `","consumerDataSet":[`)
	if consumerGroup != "" {
		sb.WriteString(`{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"` +
			consumerGroup + `","messageModel":"CLUSTERING","subscriptionDataSet":[`)
		for i, tp := range topics {
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString(`{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000000,"tagsSet":[],"topic":"` + tp + `"}`)
		}
		sb.WriteString(`],"unitMode":false}`)
	}
	sb.WriteString(`],"producerDataSet":[`)
	if producerGroup != "" {
		sb.WriteString(`{"groupName":"` + producerGroup + `"}`)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

// notifyRecorder is a client-side processor for NOTIFY_CONSUMER_IDS_CHANGED (40).
type notifyRecorder struct {
	mu     sync.Mutex
	groups []string
}

func (n *notifyRecorder) Process(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	n.mu.Lock()
	n.groups = append(n.groups, req.ExtFields.Value("consumerGroup"))
	n.mu.Unlock()
	return nil
}

func (n *notifyRecorder) count(group string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, g := range n.groups {
		if g == group {
			c++
		}
	}
	return c
}
