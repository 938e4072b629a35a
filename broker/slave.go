package broker

// Replication, broker side. A master runs the HA service (store/ha) on haListenPort and installs
// it in the store, so SYNC_MASTER puts wait for a slave; a slave runs the HA client, following
// the master HA address (haMasterAddress, or what the NameServer answered on registration), and
// SlaveSynchronize: every 10 s (first after 3 s) it copies the master's topic configs, consumer
// offsets, delay offsets and subscription groups over the remoting port, as Java 4.9.8 does.

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/ha"
	"github.com/sirupsen/logrus"
)

// SlaveSynchronize timing (Java BrokerController.handleSlaveSynchronize, 4.9.8).
var (
	slaveSyncFirst  = 3 * time.Second
	slaveSyncPeriod = 10 * time.Second
)

const slaveSyncTimeout = 3 * time.Second

type haState struct {
	svc    *ha.Service // master
	client *ha.Client  // slave
	stop   chan struct{}
	wg     sync.WaitGroup
	// syncNow asks the slave's sync loop for a round at once: registration sends on it when it
	// learns a new master address (made before registration starts, never closed).
	syncNow chan struct{}
}

func (b *Broker) haConfig() ha.Config {
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	return ha.Config{
		SendHeartbeatInterval: ms(b.cfg.HaSendHeartbeatInterval),
		HousekeepingInterval:  ms(b.cfg.HaHousekeepingInterval),
		TransferBatchSize:     b.cfg.HaTransferBatchSize,
		SlaveFallbehindMax:    b.cfg.HaSlaveFallbehindMax,
		SlaveTimeout:          ms(b.cfg.SlaveTimeout),
	}
}

// startHA starts the HA service (master) or the HA client and SlaveSynchronize (slave). A
// master whose listenPort is 0 (tests) takes any free HA port and announces that one.
func (b *Broker) startHA() error {
	b.ha.stop = make(chan struct{})
	hc := b.haConfig()
	if b.cfg.BrokerRole == store.Slave {
		b.ha.syncNow = make(chan struct{}, 1)
		b.ha.client = ha.NewClient(b.store, hc, b.haMasterAddr)
		b.ha.client.Start()
		b.ha.wg.Add(1)
		go b.slaveSyncLoop()
		return nil
	}
	port := b.cfg.HaListenPort
	switch {
	case b.cfg.ListenPort == 0:
		port = 0
	case port <= 0:
		port = b.listenPort() + 1 // Java's derivation
	}
	hc.ListenAddr = net.JoinHostPort(b.cfg.bindHost(), strconv.Itoa(port))
	svc, err := ha.NewService(b.store, hc)
	if err != nil {
		return fmt.Errorf("broker: HA listen on port %d: %w", port, err)
	}
	if ta, ok := svc.Addr().(*net.TCPAddr); ok {
		b.cfg.HaListenPort = ta.Port
	}
	svc.Start()
	b.store.SetReplicator(svc)
	b.ha.svc = svc
	b.log.WithField("haAddr", b.HAServerAddr()).Info("HA service accepting slaves")
	return nil
}

// stopHA stops replication; safe when startHA never ran.
func (b *Broker) stopHA() {
	if b.ha.stop == nil {
		return
	}
	select {
	case <-b.ha.stop:
		return
	default:
	}
	close(b.ha.stop)
	b.ha.wg.Wait()
	if b.ha.client != nil {
		b.ha.client.Close()
	}
	if b.ha.svc != nil {
		b.store.SetReplicator(nil)
		if err := b.ha.svc.Close(); err != nil {
			b.log.WithError(err).Debug("HA service close")
		}
	}
}

// HAService is the master's HA service (nil on a slave or before Start).
func (b *Broker) HAService() *ha.Service { return b.ha.svc }

// HAClient is the slave's HA client (nil on a master or before Start).
func (b *Broker) HAClient() *ha.Client { return b.ha.client }

// haMasterAddr is where the slave replicates from: a static haMasterAddress when it is long
// enough to be one (Java's length ≥ 6 rule), else the HA address the NameServer answered.
func (b *Broker) haMasterAddr() string {
	if len(b.cfg.HaMasterAddress) >= 6 {
		return b.cfg.HaMasterAddress
	}
	return b.HAMasterAddr()
}

// slaveSyncLoop runs SyncFromMaster 3 s after start and every 10 s, as Java does, and also as
// soon as registration names a new master. Java waits for its timer; until the first round a
// slave does not know the master's topics and refuses pulls of them, so a master lost within
// those seconds would leave its acknowledged messages unreadable on the slave.
func (b *Broker) slaveSyncLoop() {
	defer b.ha.wg.Done()
	t := time.NewTimer(slaveSyncFirst)
	defer t.Stop()
	for {
		select {
		case <-b.ha.stop:
			return
		case <-b.ha.syncNow:
		case <-t.C:
		}
		b.SyncFromMaster()
		t.Reset(slaveSyncPeriod)
	}
}

// requestSlaveSync wakes the slave's sync loop (no-op on a master or when a round is pending).
func (b *Broker) requestSlaveSync() {
	if b.ha.syncNow == nil {
		return
	}
	select {
	case b.ha.syncNow <- struct{}{}:
	default:
	}
}

// SyncFromMaster runs one SlaveSynchronize.syncAll: topics, consumer offsets, delay offsets,
// subscription groups, each from the master's remoting port. Nothing happens without a known
// master address or when it is this broker's own. A failed step is logged and the others still
// run.
func (b *Broker) SyncFromMaster() {
	master := b.MasterAddr()
	if master == "" || master == b.BrokerAddr() || b.reg.client == nil {
		return
	}
	log := b.log.WithFields(logrus.Fields{"component": "slave-sync", "master": master})
	steps := []struct {
		name  string
		code  int32
		apply func([]byte) error
	}{
		{"topic configs", protocol.GetAllTopicConfig, b.syncTopics},
		{"consumer offsets", protocol.GetAllConsumerOffset, b.syncOffsets},
		{"delay offsets", protocol.GetAllDelayOffset, b.syncDelayOffsets},
		{"subscription groups", protocol.GetAllSubscriptiongroupConfig, b.syncGroups},
	}
	for _, st := range steps {
		resp, err := b.reg.client.Invoke(master, remoting.NewRequest(st.code, nil, nil), slaveSyncTimeout)
		switch {
		case err != nil:
			log.WithError(err).Warn("sync " + st.name + " from master failed")
			continue
		case resp.Code != protocol.Success:
			log.WithFields(logrus.Fields{"code": resp.Code, "remark": resp.Remark}).Warn("master refused to give " + st.name)
			continue
		}
		if err := st.apply(resp.Body); err != nil {
			log.WithError(err).Warn("sync " + st.name + " from master: bad body")
		}
	}
}

// syncTopics replaces the topic table when the master's dataVersion differs (Java clears and
// refills the table, adopts the version and persists).
func (b *Broker) syncTopics(body []byte) error {
	table, v, err := DecodeTopicWrapper(body)
	if err != nil {
		return err
	}
	b.topics.ReplaceAll(table, v)
	return nil
}

// syncGroups is syncTopics for subscription groups.
func (b *Broker) syncGroups(body []byte) error {
	table, v, err := DecodeGroupWrapper(body)
	if err != nil {
		return err
	}
	b.groups.ReplaceAll(table, v)
	return nil
}

// syncOffsets merges the master's offsets over the local ones (Java's putAll: the master wins
// per topic@group key; keys only the slave has stay).
func (b *Broker) syncOffsets(body []byte) error {
	table, err := DecodeOffsetWrapper(body)
	if err != nil {
		return err
	}
	return b.offsets.PutAll(table)
}

// syncDelayOffsets writes the master's delayOffset.json verbatim (a slave runs no schedule
// service; the file is there for when it is made a master).
func (b *Broker) syncDelayOffsets(body []byte) error {
	if len(body) == 0 {
		return nil
	}
	return writeMetaFile(b.configPath(delayOffsetFile), body)
}
