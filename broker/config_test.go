package broker

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/store"
)

func TestDefaultConfigAsJava(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "10.0.0.1:9876")
	c := DefaultConfig()
	m := conf.ToMap(c)
	want := map[string]string{
		"brokerClusterName": "DefaultCluster", "brokerId": "0", "listenPort": "10911", "haListenPort": "10912",
		"autoCreateTopicEnable": "true", "autoCreateSubscriptionGroup": "true", "defaultTopicQueueNums": "8",
		"brokerPermission": "6", "registerNameServerPeriod": "30000", "registerBrokerTimeoutMills": "6000",
		"forceRegister": "true", "compressedRegister": "false", "flushConsumerOffsetInterval": "5000",
		"longPollingEnable": "true", "shortPollingTimeMills": "1000", "slaveReadEnable": "false",
		"traceTopicEnable": "false", "msgTraceTopicName": "RMQ_SYS_TRACE_TOPIC", "enablePropertyFilter": "false",
		"transactionTimeOut": "6000", "transactionCheckMax": "15", "transactionCheckInterval": "60000",
		"namesrvAddr": "10.0.0.1:9876", "brokerRole": "ASYNC_MASTER", "flushDiskType": "ASYNC_FLUSH",
		"maxMessageSize": "4194304", "messageDelayLevel": "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
		"notifyConsumerIdsChangedEnable": "true", "clusterTopicEnable": "true", "brokerTopicEnable": "true",
		"serverChannelMaxIdleTimeSeconds": "120", "deleteWhen": "04", "fileReservedTime": "72",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if net.ParseIP(c.BrokerIP1) == nil || c.BrokerIP2 != c.BrokerIP1 {
		t.Errorf("brokerIP1 %q brokerIP2 %q", c.BrokerIP1, c.BrokerIP2)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultsMatchJavaDump holds every key and default to what the stock 4.9.8 broker prints
// with mqbroker -p (testdata, captured on a 2-core machine; the host's name and address, the
// paths and the thread pools sized by the core count are left out or computed).
func TestDefaultsMatchJavaDump(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "")
	data, err := os.ReadFile("testdata/java-4.9.8-broker-defaults.properties")
	if err != nil {
		t.Fatal(err)
	}
	props, err := conf.ParseProperties(data)
	if err != nil {
		t.Fatal(err)
	}
	cores := runtime.NumCPU()
	byCores := map[string]int{ // BrokerConfig's and NettyClientConfig's initialisers
		"sendMessageThreadPoolNums": min(cores, 4), "putMessageFutureThreadPoolNums": min(cores, 4),
		"pullMessageThreadPoolNums": 16 + cores*2, "processReplyMessageThreadPoolNums": 16 + cores*2,
		"queryMessageThreadPoolNums": 8 + cores, "heartbeatThreadPoolNums": min(32, cores),
		"endTransactionThreadPoolNums": 8 + cores*2, "clientCallbackExecutorThreads": cores,
	}
	ours := conf.ToMap(DefaultConfig())
	for _, p := range props {
		want := p.Value
		if n, ok := byCores[p.Key]; ok {
			want = strconv.Itoa(n)
		}
		got, known := ours[p.Key]
		switch {
		case !known:
			t.Errorf("Java's key %s is unknown here", p.Key)
		case got != want:
			t.Errorf("%s = %q, Java's default is %q", p.Key, got, want)
		}
	}
	if len(props) < 170 {
		t.Fatalf("only %d keys read from the dump", len(props))
	}
}

// TestValidateRefusesUnsupportedStores: a key that would make the Java broker store or
// dispatch differently stops the start-up instead of being ignored.
func TestValidateRefusesUnsupportedStores(t *testing.T) {
	for _, set := range []func(*Config){
		func(c *Config) { c.EnableDLegerCommitLog = true },
		func(c *Config) { c.EnableLmq = true },
		func(c *Config) { c.EnableMultiDispatch = true },
	} {
		c := DefaultConfig()
		set(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("Validate: %v", err)
		}
	}
}

func TestValidateRoles(t *testing.T) {
	cases := []struct {
		role    store.BrokerRole
		id      int64
		wantID  int64
		wantErr string
	}{
		{store.AsyncMaster, 5, 0, ""},
		{store.SyncMaster, 1, 0, ""},
		{store.Slave, 1, 1, ""},
		{store.Slave, 0, 0, "brokerId > 0"},
		{"PRIMARY", 0, 0, "brokerRole"},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		cfg.BrokerRole, cfg.BrokerID = c.role, c.id
		err := cfg.Validate()
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s/%d: err %v", c.role, c.id, err)
			}
			continue
		}
		if err != nil || cfg.BrokerID != c.wantID {
			t.Errorf("%s/%d: id %d err %v", c.role, c.id, cfg.BrokerID, err)
		}
	}
	cfg := DefaultConfig()
	cfg.NamesrvAddr = "a:9876;b"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "namesrvAddr") {
		t.Errorf("bad namesrvAddr: %v", err)
	}
}

func TestLoadPropertiesHAPort(t *testing.T) {
	props, _ := conf.ParseProperties([]byte("listenPort=20911\nunknownKey=1\n"))
	c := DefaultConfig()
	unknown, err := c.LoadProperties(props, "broker.conf")
	if err != nil || len(unknown) != 1 || unknown[0] != "unknownKey" || c.HaListenPort != 20912 {
		t.Fatalf("unknown %v err %v ha %d", unknown, err, c.HaListenPort)
	}
	props, _ = conf.ParseProperties([]byte("listenPort=20911\nhaListenPort=30000\n"))
	c = DefaultConfig()
	if _, err := c.LoadProperties(props, "broker.conf"); err != nil || c.HaListenPort != 30000 {
		t.Fatalf("explicit haListenPort: %d %v", c.HaListenPort, err)
	}
	props, _ = conf.ParseProperties([]byte("brokerId=x\n"))
	if _, err := DefaultConfig().LoadProperties(props, "broker.conf"); err == nil ||
		!strings.Contains(err.Error(), "broker.conf") || !strings.Contains(err.Error(), "brokerId") {
		t.Fatalf("bad value: %v", err)
	}
}
