package broker

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Registration timing (Java BrokerController): the first registration happens during Start,
// then every registerNameServerPeriod clamped to [10 s, 60 s], first after 10 s.
const (
	registerFirstDelay = 10 * time.Second
	unregisterTimeout  = 3 * time.Second
)

// registrar keeps every NameServer informed of this broker: REGISTER_BROKER at start, then
// periodically, and one-way right after a topic change; UNREGISTER_BROKER at shutdown. Each
// NameServer stands alone, so every registration fans out to all of them in parallel.
type registrar struct {
	b      *Broker
	log    *logrus.Entry
	client *remoting.Client

	kick     chan struct{} // a topic changed: re-register one-way (coalesced)
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu         sync.Mutex // serialises registrations and guards the fields below
	running    bool
	masterAddr string // the master's address, answered to a slave
	haMaster   string // the master's HA address, answered to a slave
}

func newRegistrar(b *Broker) *registrar {
	return &registrar{
		b:    b,
		log:  b.log.WithField("component", "register"),
		kick: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}
}

// registerPeriod is Java's max(10000, min(registerNameServerPeriod, 60000)) ms.
func (r *registrar) registerPeriod() time.Duration {
	p := min(max(r.b.cfg.RegisterNameServerPeriod, 10000), 60000)
	return time.Duration(p) * time.Millisecond
}

func (r *registrar) timeout() time.Duration {
	if t := r.b.conf().RegisterBrokerTimeoutMills; t > 0 {
		return time.Duration(t) * time.Millisecond
	}
	return 6 * time.Second
}

// start registers once (waiting for the answers, applying the order-topic table) and starts
// the periodic and on-change registrations.
func (r *registrar) start() {
	r.client = remoting.NewClient(remoting.ClientConfig{
		ConnectTimeout: time.Duration(r.b.cfg.ConnectTimeoutMillis) * time.Millisecond,
		Name:           "broker-outer",
	})
	r.mu.Lock()
	r.running = true
	r.mu.Unlock()
	r.registerAll(true, false)
	r.wg.Add(1)
	go r.loop()
}

func (r *registrar) loop() {
	defer r.wg.Done()
	t := time.NewTimer(registerFirstDelay)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.periodic()
			t.Reset(r.registerPeriod())
		case <-r.kick:
			r.registerAll(false, true)
		}
	}
}

// registerAllAsync asks for a one-way registration of every topic to every NameServer, as
// Java's registerBrokerAll(false, true, true) after a topic is created. It never blocks:
// changes arriving while one is pending share it.
func (b *Broker) registerAllAsync() {
	select {
	case b.reg.kick <- struct{}{}:
	default:
	}
}

// RegisterAll registers synchronously with every NameServer now (admin paths and tests).
func (b *Broker) RegisterAll() { b.reg.registerAll(true, false) }

// topicTableForRegistration snapshots the topic table with the broker permission applied: a
// broker that is not read-write announces every topic with brokerPermission, so clients stop
// writing to (or reading from) it.
func (b *Broker) topicTableForRegistration() (map[string]*TopicConfig, DataVersion) {
	table, v := b.topics.snapshot()
	if perm := int32(b.conf().BrokerPermission); perm&PermRead == 0 || perm&PermWrite == 0 {
		for name, tc := range table {
			c := *tc
			c.Perm = perm
			table[name] = &c
		}
	}
	return table, v
}

// registerAll sends REGISTER_BROKER with every topic to every NameServer.
func (r *registrar) registerAll(checkOrderConfig, oneway bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return
	}
	table, version := r.b.topicTableForRegistration()
	r.send(table, version, checkOrderConfig, oneway)
}

// periodic is the 30 s registration. With forceRegister=false it first asks every
// NameServer for the data version it holds (QUERY_DATA_VERSION, which also refreshes the
// broker's liveness there) and registers only when one of them is behind, as Java's
// needRegister.
func (r *registrar) periodic() {
	if !r.b.conf().ForceRegister && !r.needRegister() {
		return
	}
	r.registerAll(true, false)
}

func (r *registrar) needRegister() bool {
	addrs := r.b.cfg.NamesrvAddrs()
	cfg := r.b.conf()
	version := r.b.topics.DataVersion()
	body := encodeDataVersion(version)
	changed := make(chan bool, len(addrs))
	for _, addr := range addrs {
		go func(addr string) {
			var ext remoting.ExtFields
			(&protocol.BrokerIdentityHeader{BrokerName: cfg.BrokerName, BrokerAddr: r.b.BrokerAddr(),
				ClusterName: cfg.BrokerClusterName, BrokerID: cfg.BrokerID}).Encode(&ext)
			resp, err := r.client.Invoke(addr, remoting.NewRequest(protocol.QueryDataVersion, ext, body), r.timeout())
			if err != nil || resp.Code != protocol.Success {
				// Unreachable or refusing: let the registration try (and log) instead.
				changed <- true
				return
			}
			var h protocol.QueryDataVersionResponseHeader
			_ = h.Decode(resp.ExtFields)
			changed <- h.Changed || string(resp.Body) != string(body)
		}(addr)
	}
	need := false
	for range addrs {
		need = <-changed || need
	}
	return need
}

func encodeDataVersion(v DataVersion) []byte {
	w := &prettyWriter{compact: true}
	w.open()
	w.i64("counter", v.Counter)
	w.i64("timestamp", v.Timestamp)
	w.close()
	return w.buf
}

// encodeCompressedRegisterBody is the compressedRegister=true body: a zlib stream (best
// compression, as Java's Deflater) of, all ints big-endian,
//
//	int32 len | DataVersion JSON
//	int32 topicCount
//	topicCount × (int32 len | "topicName readQueueNums writeQueueNums perm topicFilterType")
//	int32 len | filter server list JSON ("[]")
//
// The text form of a topic drops `order` and topicSysFlag, as Java's TopicConfig.encode does.
func encodeCompressedRegisterBody(table map[string]*TopicConfig, v DataVersion) ([]byte, error) {
	raw := make([]byte, 0, 64+len(table)*64)
	put := func(b []byte) {
		raw = binary.BigEndian.AppendUint32(raw, uint32(len(b)))
		raw = append(raw, b...)
	}
	put(encodeDataVersion(v))
	raw = binary.BigEndian.AppendUint32(raw, uint32(len(table)))
	for _, name := range sortedKeys(table) {
		tc := table[name]
		line := tc.TopicName + " " + strconv.Itoa(int(tc.ReadQueueNums)) + " " + strconv.Itoa(int(tc.WriteQueueNums)) +
			" " + strconv.Itoa(int(tc.Perm)) + " " + tc.TopicFilterType
		put([]byte(line))
	}
	put([]byte("[]"))
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// registerIncrement registers one changed topic with the current data version, waiting for
// the answers (Java's registerIncrementBrokerData after UPDATE_AND_CREATE_TOPIC): the
// NameServer merges it into the broker's queue data.
func (r *registrar) registerIncrement(tc *TopicConfig) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return
	}
	c := *tc
	if perm := int32(r.b.conf().BrokerPermission); perm&PermRead == 0 || perm&PermWrite == 0 {
		c.Perm = perm
	}
	r.send(map[string]*TopicConfig{c.TopicName: &c}, r.b.topics.DataVersion(), true, false)
}

// send fans a registration out to every NameServer in parallel and waits up to
// registerBrokerTimeoutMills (one-way: only for the writes). r.mu is held.
func (r *registrar) send(table map[string]*TopicConfig, version DataVersion, checkOrderConfig, oneway bool) {
	addrs := r.b.cfg.NamesrvAddrs()
	if len(addrs) == 0 {
		return
	}
	cfg := r.b.conf()
	compressed := cfg.CompressedRegister
	var body []byte
	if compressed {
		var err error
		if body, err = encodeCompressedRegisterBody(table, version); err != nil {
			r.log.WithError(err).Error("compress register body failed; sending it uncompressed")
			compressed = false
		}
	}
	if !compressed {
		body = encodeRegisterBody(table, version)
	}
	crc := int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF)
	hdr := protocol.RegisterBrokerRequestHeader{
		BrokerName:   cfg.BrokerName,
		BrokerAddr:   r.b.BrokerAddr(),
		ClusterName:  cfg.BrokerClusterName,
		HaServerAddr: r.b.HAServerAddr(),
		BrokerID:     cfg.BrokerID,
		Compressed:   compressed,
		BodyCrc32:    crc,
	}
	type result struct {
		addr string
		resp *remoting.Command
		err  error
	}
	results := make(chan result, len(addrs))
	timeout := r.timeout()
	for _, addr := range addrs {
		go func(addr string) {
			var ext remoting.ExtFields
			hdr.Encode(&ext)
			req := remoting.NewRequest(protocol.RegisterBroker, ext, body)
			if oneway {
				results <- result{addr, nil, r.client.InvokeOneway(addr, req)}
				return
			}
			resp, err := r.client.Invoke(addr, req, timeout)
			results <- result{addr, resp, err}
		}(addr)
	}
	var first *remoting.Command
	for range addrs {
		res := <-results
		log := r.log.WithFields(logrus.Fields{"namesrv": res.addr, "topics": len(table), "dataVersion": version.Counter})
		switch {
		case res.err != nil:
			log.WithError(res.err).Warn("register broker to name server failed")
		case res.resp != nil && res.resp.Code != protocol.Success:
			log.WithFields(logrus.Fields{"code": res.resp.Code, "remark": res.resp.Remark}).Warn("name server refused registration")
		default:
			log.Debug("registered to name server")
			if first == nil && res.resp != nil {
				first = res.resp
			}
		}
	}
	if first != nil {
		r.apply(first, checkOrderConfig)
	}
}

// apply takes in a registration answer: a slave learns its master's addresses, and the
// NameServer's ORDER_TOPIC_CONFIG table marks which topics are ordered.
func (r *registrar) apply(resp *remoting.Command, checkOrderConfig bool) {
	var h protocol.RegisterBrokerResponseHeader
	_ = h.Decode(resp.ExtFields)
	if h.MasterAddr != r.masterAddr || h.HaServerAddr != r.haMaster {
		if r.b.conf().BrokerID != 0 && h.MasterAddr != "" {
			r.log.WithFields(logrus.Fields{"master": h.MasterAddr, "haMaster": h.HaServerAddr}).Info("master address learned from name server")
		}
		learned := h.MasterAddr != "" && h.MasterAddr != r.masterAddr
		r.masterAddr, r.haMaster = h.MasterAddr, h.HaServerAddr
		if learned && r.b.conf().BrokerID != 0 {
			r.b.requestSlaveSync()
		}
	}
	if checkOrderConfig {
		r.b.topics.updateOrderTopicConfig(decodeKVTable(resp.Body))
	}
}

// MasterAddr is the master's address a slave learned from its last registration.
func (b *Broker) MasterAddr() string {
	b.reg.mu.Lock()
	defer b.reg.mu.Unlock()
	return b.reg.masterAddr
}

// decodeKVTable parses {"table":{"k":"v",...}}; a missing or broken body is an empty table.
func decodeKVTable(body []byte) map[string]string {
	if len(body) == 0 {
		return nil
	}
	var kv struct {
		Table map[string]string `json:"table"`
	}
	if err := metaJSON.Unmarshal(body, &kv); err != nil {
		return nil
	}
	return kv.Table
}

// unregisterAll sends UNREGISTER_BROKER to every NameServer (bounded by ctx and 3 s) and stops
// further registrations.
func (r *registrar) unregisterAll(ctx context.Context) {
	r.mu.Lock()
	wasRunning := r.running
	r.running = false
	r.mu.Unlock()
	r.stopOnce.Do(func() { close(r.stop) })
	r.wg.Wait()
	if !wasRunning {
		return
	}
	addrs := r.b.cfg.NamesrvAddrs()
	cfg := r.b.conf()
	timeout := unregisterTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d), time.Millisecond)
	}
	var wg sync.WaitGroup
	for _, addr := range addrs {
		wg.Add(1)
		go func(addr string) {
			defer wg.Done()
			var ext remoting.ExtFields
			(&protocol.BrokerIdentityHeader{BrokerName: cfg.BrokerName, BrokerAddr: r.b.BrokerAddr(),
				ClusterName: cfg.BrokerClusterName, BrokerID: cfg.BrokerID}).Encode(&ext)
			resp, err := r.client.Invoke(addr, remoting.NewRequest(protocol.UnregisterBroker, ext, nil), timeout)
			log := r.log.WithField("namesrv", addr)
			switch {
			case err != nil:
				log.WithError(err).Warn("unregister broker failed")
			case resp.Code != protocol.Success:
				log.WithFields(logrus.Fields{"code": resp.Code, "remark": resp.Remark}).Warn("unregister broker refused")
			default:
				log.Info("unregistered from name server")
			}
		}(addr)
	}
	wg.Wait()
}

func (r *registrar) close() {
	if r.client != nil {
		_ = r.client.Close()
	}
}
