package namesrv

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/testport"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// startTestServer runs a NameServer on a free loopback port with fast expiry timing.
func startTestServer(t *testing.T, tweak func(*Config)) *NameServer {
	t.Helper()
	cfg := NewConfig()
	cfg.BindAddress = "127.0.0.1"
	cfg.ListenPort = 0
	cfg.KvConfigPath = t.TempDir() + "/kvConfig.json"
	cfg.ConfigStorePath = t.TempDir() + "/namesrv.properties"
	if tweak != nil {
		tweak(cfg)
	}
	ns, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ns.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return ns
}

func newTestClient(t *testing.T) *remoting.Client {
	cl := remoting.NewClient(remoting.ClientConfig{Name: "test"})
	t.Cleanup(func() { cl.Close() })
	return cl
}

func invoke(t *testing.T, cl *remoting.Client, addr string, req *remoting.Command) *remoting.Command {
	t.Helper()
	resp, err := cl.Invoke(addr, req, 3*time.Second)
	if err != nil {
		t.Fatalf("invoke code %d: %v", req.Code, err)
	}
	return resp
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTCPRegisterAndRoute(t *testing.T) {
	ns := startTestServer(t, nil)
	addr := ns.Addr()
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("Addr() = %q", addr)
	}
	// The broker connection outlives the subtests: closing it would unregister the brokers.
	broker := newTestClient(t)
	for _, st := range []remoting.SerializeType{remoting.SerializeJSON, remoting.SerializeRocketMQ} {
		t.Run(st.String(), func(t *testing.T) {
			req := registerRequest("b-"+st.String(), 0, "10.0.0.1:1"+st.String(), registerBodyJSON(1))
			req.Serialize = st
			resp := invoke(t, broker, addr, req)
			if resp.Code != 0 || resp.Serialize != st {
				t.Fatalf("register: code %d serialize %v", resp.Code, resp.Serialize)
			}

			client := newTestClient(t)
			q := request(protocol.GetRouteinfoByTopic, nil, "topic", "TopicA")
			q.Serialize = st
			resp = invoke(t, client, addr, q)
			if resp.Code != 0 || resp.Version != remoting.Version || !strings.Contains(string(resp.Body), `"brokerName":"b-`+st.String()) {
				t.Fatalf("route: %d v%d %s", resp.Code, resp.Version, resp.Body)
			}
			resp = invoke(t, client, addr, request(protocol.GetRouteinfoByTopic, nil, "topic", "NoSuchTopic"))
			if resp.Code != protocol.TopicNotExist || !strings.HasPrefix(resp.Remark, "No topic route info in name server for the topic: NoSuchTopic") {
				t.Errorf("unknown topic: %d %q", resp.Code, resp.Remark)
			}
		})
	}
	client := newTestClient(t)
	resp := invoke(t, client, addr, request(protocol.GetBrokerClusterInfo, nil))
	want := `"clusterAddrTable":{"DefaultCluster":["b-JSON","b-ROCKETMQ"]}`
	if resp.Code != 0 || !strings.Contains(string(resp.Body), want) {
		t.Errorf("cluster info: %d %s", resp.Code, resp.Body)
	}
	resp = invoke(t, client, addr, request(4321, nil))
	if resp.Code != protocol.RequestCodeNotSupported {
		t.Errorf("unknown code answered %d", resp.Code)
	}
	bad := registerRequest("x", 0, "10.0.0.9:1", registerBodyJSON(1), "bodyCrc32", "1")
	if resp := invoke(t, client, addr, bad); resp.Code != protocol.SystemError || resp.Remark != "crc32 not match" {
		t.Errorf("crc mismatch: %d %q", resp.Code, resp.Remark)
	}
}

func TestTCPOnewayRegister(t *testing.T) {
	ns := startTestServer(t, nil)
	broker := newTestClient(t)
	req := registerRequest("b", 0, "10.0.0.1:10911", registerBodyJSON(1))
	req.MarkOneway()
	if err := broker.InvokeOneway(ns.Addr(), req); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "oneway registration", func() bool { _, ok := ns.Routes().Route("TopicA"); return ok })
}

// TestTCPChannelCloseRemovesBroker: the broker's connection closing removes it at once.
func TestTCPChannelCloseRemovesBroker(t *testing.T) {
	ns := startTestServer(t, nil)
	broker := newTestClient(t)
	other := newTestClient(t)
	invoke(t, broker, ns.Addr(), registerRequest("gone", 0, "10.0.0.1:10911", registerBodyJSON(1)))
	invoke(t, other, ns.Addr(), registerRequest("stays", 0, "10.0.0.2:10911", registerBodyJSON(1)))
	broker.CloseAddr(ns.Addr())
	waitFor(t, "broker removal after close", func() bool {
		_, ok := ns.Routes().ClusterInfo().BrokerAddrTable["gone"]
		return !ok
	})
	if _, ok := ns.Routes().ClusterInfo().BrokerAddrTable["stays"]; !ok {
		t.Error("the other broker was removed too")
	}
}

// TestTCPExpiry: a broker that stops registering is dropped after the expiry, and its
// connection is closed.
func TestTCPExpiry(t *testing.T) {
	ns := startTestServer(t, func(c *Config) {
		c.scanInterval = 20 * time.Millisecond
		c.brokerExpiry = 300 * time.Millisecond
	})
	silent := newTestClient(t)
	alive := newTestClient(t)
	start := time.Now() // before the registration is stamped
	invoke(t, silent, ns.Addr(), registerRequest("silent", 0, "10.0.0.1:10911", registerBodyJSON(1)))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				_, _ = alive.Invoke(ns.Addr(), registerRequest("alive", 0, "10.0.0.2:10911", registerBodyJSON(1)), time.Second)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	waitFor(t, "expiry", func() bool {
		_, ok := ns.Routes().ClusterInfo().BrokerAddrTable["silent"]
		return !ok
	})
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("expired after %v, before the 300ms expiry", d)
	}
	time.Sleep(200 * time.Millisecond)
	if _, ok := ns.Routes().ClusterInfo().BrokerAddrTable["alive"]; !ok {
		t.Error("a broker that keeps registering expired")
	}
}

func TestAddressServer(t *testing.T) {
	ns := startTestServer(t, func(c *Config) { c.AddressServerPort = freePort(t) })
	base := "http://" + ns.AddressServerAddr()
	for _, path := range []string{"/rocketmq/nsaddr", "/rocketmq/nsaddr-unit1?nofix=1", "/rocketmq/other"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != ns.Addr() {
			t.Errorf("%s: %d %q, want %q", path, resp.StatusCode, body, ns.Addr())
		}
	}
	resp, err := http.Get(base + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("/other: %d", resp.StatusCode)
	}

	ns2 := startTestServer(t, func(c *Config) {
		c.AddressServerPort = freePort(t)
		c.AddressServerNamesrvAddr = "10.1.1.1:9876;10.1.1.2:9876"
	})
	resp, err = http.Get("http://" + ns2.AddressServerAddr() + "/rocketmq/nsaddr")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "10.1.1.1:9876;10.1.1.2:9876" {
		t.Errorf("configured list: %q", body)
	}
}

func TestStartErrors(t *testing.T) {
	ns := startTestServer(t, nil)
	port := ns.Addr()[strings.LastIndex(ns.Addr(), ":")+1:]
	cfg := NewConfig()
	cfg.BindAddress = "127.0.0.1"
	cfg.KvConfigPath = ""
	cfg.ListenPort = atoi(t, port)
	other, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(); err == nil {
		other.Shutdown(context.Background())
		t.Error("second server on a busy port started")
	}
	cfg.ListenPort = 70000
	if _, err := New(cfg); err == nil {
		t.Error("listenPort 70000 accepted")
	}

	// The address-server port is busy: Start fails, nothing is left listening, and Shutdown
	// is still safe.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg.ListenPort = 0
	cfg.AddressServerPort = busy.Addr().(*net.TCPAddr).Port
	third, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := third.Start(); err == nil || !strings.Contains(err.Error(), "address server") {
		t.Errorf("start with a busy address-server port: %v", err)
	}
	if third.Addr() != "" {
		t.Errorf("remoting listener left open at %s", third.Addr())
	}
	if err := third.Shutdown(context.Background()); err != nil {
		t.Errorf("shutdown after failed start: %v", err)
	}
}

// freePort is a port the NameServer binds itself later (testport: below the ephemeral range).
func freePort(t *testing.T) int { return testport.One(t) }

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkTCPGetRouteInfo measures route lookups over loopback with 8 requests in flight.
func BenchmarkTCPGetRouteInfo(b *testing.B) {
	cfg := NewConfig()
	cfg.BindAddress, cfg.ListenPort, cfg.KvConfigPath, cfg.ConfigStorePath = "127.0.0.1", 0, "", ""
	ns, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := ns.Start(); err != nil {
		b.Fatal(err)
	}
	defer ns.Shutdown(context.Background())
	cl := remoting.NewClient(remoting.ClientConfig{})
	defer cl.Close()
	if resp, err := cl.Invoke(ns.Addr(), registerRequest("b", 0, "10.0.0.1:10911", registerBodyJSON(1)), 3*time.Second); err != nil || resp.Code != 0 {
		b.Fatalf("register: %v", err)
	}
	b.ReportAllocs()
	b.SetParallelism(4) // 4 × GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := request(protocol.GetRouteinfoByTopic, nil, "topic", "TopicA")
			resp, err := cl.Invoke(ns.Addr(), req, 3*time.Second)
			if err != nil || resp.Code != 0 {
				b.Errorf("route: %v", err)
				return
			}
		}
	})
}
