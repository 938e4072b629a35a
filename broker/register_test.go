package broker

import (
	"context"
	"hash/crc32"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
)

func TestCompressedRegisterBody(t *testing.T) {
	table := map[string]*TopicConfig{
		"A": {TopicName: "A", ReadQueueNums: 4, WriteQueueNums: 2, Perm: 6, TopicFilterType: "SINGLE_TAG", Order: true},
		"B": {TopicName: "B", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 7, TopicFilterType: "MULTI_TAG"},
	}
	body, err := encodeCompressedRegisterBody(table, DataVersion{Counter: 9, Timestamp: 1700000000000})
	if err != nil {
		t.Fatal(err)
	}
	got, err := protocol.UnmarshalRegisterBrokerBody(body, true)
	if err != nil {
		t.Fatalf("NameServer-side decode: %v", err)
	}
	w := got.TopicConfigSerializeWrapper
	if w.DataVersion.Counter != 9 || w.DataVersion.Timestamp != 1700000000000 || len(w.TopicConfigTable) != 2 {
		t.Fatalf("decoded %+v", w)
	}
	a := w.TopicConfigTable["A"]
	if a == nil || a.ReadQueueNums != 4 || a.WriteQueueNums != 2 || a.Perm != 6 || a.TopicFilterType != "SINGLE_TAG" {
		t.Fatalf("A = %+v", a)
	}
}

func TestCompressedRegistrationEndToEnd(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, func(c *Config) { c.CompressedRegister = true })
	if code, body := tb.route(TopicAutoCreate); code != protocol.Success || !strings.Contains(body, tb.B.BrokerAddr()) {
		t.Fatalf("route with compressed registration: %d %s", code, body)
	}
}

func TestRegisterToEveryNameServer(t *testing.T) {
	t.Parallel()
	// A second NameServer next to the test one; the broker registers with both, and a dead
	// address in the list does not stop the others.
	second := startTestBroker(t, nil) // only its NameServer is used
	tb := startTestBroker(t, func(c *Config) {})
	tb.Cfg.NamesrvAddr = tb.NSAddr + ";" + second.NSAddr + ";127.0.0.1:1"
	tb.B.RegisterAll()
	resp := callWith(t, tb.Client, second.NSAddr, protocol.GetRouteinfoByTopic, ext("topic", "broker-a"), nil)
	if resp.Code != protocol.Success || !strings.Contains(string(resp.Body), tb.B.BrokerAddr()) {
		t.Fatalf("second NameServer: %d %s", resp.Code, resp.Body)
	}
}

func TestNeedRegisterFollowsDataVersion(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, func(c *Config) { c.ForceRegister = false })
	if tb.B.reg.needRegister() {
		t.Fatal("NameServer holds the current version right after start; no registration needed")
	}
	// A change the NameServer has not seen yet (bypassing the immediate one-way registration).
	tb.B.topics.UpdateTopicConfig(&TopicConfig{TopicName: "Quiet", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6})
	if !tb.B.reg.needRegister() {
		t.Fatal("changed data version must trigger a registration")
	}
	tb.B.reg.periodic()
	waitFor(t, 3*time.Second, "Quiet route", func() bool { code, _ := tb.route("Quiet"); return code == protocol.Success })
	if tb.B.reg.needRegister() {
		t.Fatal("still needs registration after registering")
	}
}

func TestBrokerPermissionAppliedToRegistration(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, func(c *Config) { c.BrokerPermission = PermRead })
	_, body := tb.route("broker-a")
	if !strings.Contains(body, `"perm":4`) {
		t.Fatalf("read-only broker must announce perm 4: %s", body)
	}
}

func TestOrderTopicConfigFromNameServer(t *testing.T) {
	t.Parallel()
	tb := startTestBroker(t, nil)
	tb.B.topics.UpdateTopicConfig(&TopicConfig{TopicName: "Ordered", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6})
	// PUT_KV_CONFIG ORDER_TOPIC_CONFIG on the NameServer, then a registration brings it back.
	resp := callWith(t, tb.Client, tb.NSAddr, protocol.PutKvConfig,
		ext("namespace", "ORDER_TOPIC_CONFIG", "key", "Ordered", "value", "broker-a:4"), nil)
	if resp.Code != protocol.Success {
		t.Fatalf("put kv: %d %s", resp.Code, resp.Remark)
	}
	tb.B.RegisterAll()
	if !tb.B.topics.IsOrderTopic("Ordered") || tb.B.topics.IsOrderTopic(TopicAutoCreate) {
		t.Fatal("order flag not applied from the register answer")
	}
}

// TestFirstRegistrationMatchesJava compares the body of our first REGISTER_BROKER with the one
// the stock Java 4.9.8 broker sent with the same settings (testdata/java-first-register.json,
// from wire-4.9.8/01-broker-register.jsonl): the same system topics with the same queues and
// permissions, and the bodyCrc32 computed the way Java computes it.
func TestFirstRegistrationMatchesJava(t *testing.T) {
	javaBody, err := os.ReadFile("testdata/java-first-register.json")
	if err != nil {
		t.Fatal(err)
	}
	if crc := int32(crc32.ChecksumIEEE(javaBody) & 0x7FFFFFFF); crc != 1754342741 {
		t.Fatalf("bodyCrc32 of Java's body = %d, Java sent 1754342741", crc)
	}
	java, err := protocol.UnmarshalRegisterBrokerBody(javaBody, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t.TempDir(), "")
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	table, v := b.topicTableForRegistration()
	ours, err := protocol.UnmarshalRegisterBrokerBody(encodeRegisterBody(table, v), false)
	if err != nil {
		t.Fatal(err)
	}
	jt, ot := java.TopicConfigSerializeWrapper.TopicConfigTable, ours.TopicConfigSerializeWrapper.TopicConfigTable
	if len(jt) != len(ot) {
		t.Errorf("%d topics, Java %d", len(ot), len(jt))
	}
	for name, j := range jt {
		o := ot[name]
		if o == nil {
			t.Errorf("missing %s", name)
			continue
		}
		if o.ReadQueueNums != j.ReadQueueNums || o.WriteQueueNums != j.WriteQueueNums || o.Perm != j.Perm ||
			o.TopicFilterType != j.TopicFilterType || o.TopicSysFlag != j.TopicSysFlag || o.Order != j.Order {
			t.Errorf("%s = %+v, Java %+v", name, *o, *j)
		}
	}
	if ours.TopicConfigSerializeWrapper.DataVersion.Counter != 0 || len(ours.FilterServerList) != 0 {
		t.Errorf("dataVersion %+v filter servers %v", ours.TopicConfigSerializeWrapper.DataVersion, ours.FilterServerList)
	}
}

// TestSlaveLearnsMaster: a slave of broker-a registering with the same NameServer gets the
// master's address and HA address in the answer.
func TestSlaveLearnsMaster(t *testing.T) {
	t.Parallel()
	master := startTestBroker(t, nil)
	cfg := testConfig(t.TempDir(), master.NSAddr)
	cfg.BrokerRole, cfg.BrokerID = store.Slave, 1
	slave, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := slave.Start(); err != nil {
		t.Fatal(err)
	}
	defer slave.Shutdown(context.Background())
	if got := slave.MasterAddr(); got != master.B.BrokerAddr() {
		t.Fatalf("slave learned master %q, want %q", got, master.B.BrokerAddr())
	}
	_, body := master.route("broker-a")
	if !strings.Contains(body, slave.BrokerAddr()) || !strings.Contains(body, master.B.BrokerAddr()) {
		t.Fatalf("route lacks master or slave: %s", body)
	}
}

// TestSlaveTakesOverMasterMetadata: the bodies a master serves for SlaveSynchronize decode and
// replace the slave's tables (only on a new data version); offsets merge.
func TestSlaveTakesOverMasterMetadata(t *testing.T) {
	t.Parallel()
	master := startTestBroker(t, nil)
	master.call(protocol.UpdateAndCreateTopic, ext(createTopicExt("Synced", "3", "6")...), nil)
	master.B.offsets.CommitOffset("x", "G", "Synced", 2, 77)

	slaveCfg := testConfig(t.TempDir(), master.NSAddr)
	slaveCfg.BrokerRole, slaveCfg.BrokerID = store.Slave, 1
	slave, err := New(slaveCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := slave.Start(); err != nil {
		t.Fatal(err)
	}
	defer slave.Shutdown(context.Background())
	if slave.HAMasterAddr() != master.B.HAServerAddr() {
		t.Fatalf("HA master %q, want %q", slave.HAMasterAddr(), master.B.HAServerAddr())
	}
	slave.offsets.CommitOffset("x", "Local", "Only", 0, 5)

	resp := master.call(protocol.GetAllTopicConfig, nil, nil)
	table, v, err := DecodeTopicWrapper(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	// The slave may have synced already (it does as soon as registration names its master):
	// the first call may find v in force; a second never replaces (TestSyncMasterWithSlaves
	// covers replacing on a new version).
	slave.topics.ReplaceAll(table, v)
	if slave.topics.ReplaceAll(table, v) {
		t.Fatal("ReplaceAll replaced twice for one data version")
	}
	if tc := slave.topics.SelectTopicConfig("Synced"); tc == nil || tc.WriteQueueNums != 3 || slave.topics.DataVersion() != v {
		t.Fatalf("slave topic %+v version %+v", tc, slave.topics.DataVersion())
	}
	if err := slave.offsets.PutAll(master.B.offsets.snapshot()); err != nil {
		t.Fatal(err)
	}
	if slave.offsets.QueryOffset("G", "Synced", 2) != 77 || slave.offsets.QueryOffset("Local", "Only", 0) != 5 {
		t.Fatal("offsets not merged")
	}
	groups, gv, err := DecodeGroupWrapper(encodeGroups(master.B.groups.Groups(), master.B.groups.DataVersion()))
	if err != nil {
		t.Fatalf("groups: %v", err)
	}
	slave.groups.ReplaceAll(groups, gv)
	if slave.groups.ReplaceAll(groups, gv) {
		t.Fatal("groups: ReplaceAll replaced twice for one data version")
	}
	if slave.groups.DataVersion() != gv {
		t.Fatalf("groups: slave version %+v, master %+v", slave.groups.DataVersion(), gv)
	}
}
