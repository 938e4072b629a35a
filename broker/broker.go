// Package broker is the RocketMQ broker: it owns the message store, the metadata managers
// (topics, subscription groups, consumer offsets, connected clients) and the remoting processors
// stock clients talk to, and it keeps every NameServer informed of its topics.
//
// Where it sits in the flow:
//
//	producer ─SEND──────▶ remoting.Server ─▶ send.go ─▶ store.PutMessage ─▶ long-poll wake-up
//	consumer ─PULL──────▶ (listenPort and  ─▶ pull.go ─▶ store.GetMessage
//	consumer ─HEART_BEAT▶  VIP listenPort-2) ─▶ clients.go (groups, %RETRY% topics, notify)
//	consumer ─OFFSETS───▶                   ─▶ consumer_manage.go ─▶ offsets.go (consumerOffset.json)
//	Broker ─REGISTER_BROKER every 30 s and on topic changes─▶ every NameServer (register.go)
//
// Broker wires the pieces together; the processors are methods on small types holding *Broker.
// Both listening ports share one remoting.Router, as Java's VIP channel shares its processors.
package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
	"github.com/sirupsen/logrus"
)

// Broker is one broker instance: a master or a slave of one broker group.
type Broker struct {
	// cfg is the configuration the broker started with; nothing writes it after Start. live
	// is the one in force: UPDATE_BROKER_CONFIG swaps in a changed copy (conf, config.go).
	cfg  *Config
	live atomic.Pointer[Config]
	log  *logrus.Entry

	store   *store.Store
	topics  *TopicConfigManager
	groups  *SubscriptionGroupManager
	offsets *ConsumerOffsetManager
	clients *ClientManager
	data    *dataPlane             // send, pull, long polling, send-back (send.go)
	reg     *registrar             // NameServer registration (register.go)
	sem     *semantics             // delayed messages, transactions, queue locks (schedule.go)
	filters *ConsumerFilterManager // SQL92 subscriptions, consumerFilter.json (filter_manager.go)
	ha      haState                // replication: HA service or client, SlaveSynchronize (slave.go)

	rstats runtimeStats // counters sampled for GET_BROKER_RUNTIME_INFO
	adm    *adminExt    // the rest of the admin surface and the stat sets (admin_ext.go, stats.go)

	router *remoting.Router
	server *remoting.Server // listenPort
	vip    *remoting.Server // listenPort-2, nil when it could not be bound
	port   int              // the bound listenPort (differs from cfg.ListenPort when that is 0)

	mu      sync.Mutex
	started bool
	stopped bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// New checks cfg and builds a broker; nothing is opened or listened on until Start.
func New(cfg *Config) (*Broker, error) {
	if cfg == nil {
		return nil, errors.New("broker: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Broker{
		cfg:    cfg,
		log:    logrus.WithFields(logrus.Fields{"broker": cfg.BrokerName, "brokerId": cfg.BrokerID}),
		router: remoting.NewRouter(),
		stop:   make(chan struct{}),
	}
	b.live.Store(cfg)
	b.topics = newTopicConfigManager(b)
	b.groups = newSubscriptionGroupManager(b)
	b.offsets = newConsumerOffsetManager(b)
	b.clients = newClientManager(b)
	b.filters = newConsumerFilterManager(b)
	b.reg = newRegistrar(b)
	b.registerClientProcessors()
	b.registerDataProcessors()
	b.registerReplyProcessor()
	b.registerSemanticProcessors()
	b.registerAdminExtProcessors()
	b.registerB2CProcessors()
	return b, nil
}

// Config returns the configuration in force (after any UPDATE_BROKER_CONFIG). Callers must not
// change it after Start: an update publishes a new Config instead of writing this one.
func (b *Broker) Config() *Config { return b.conf() }

// Store returns the message store; nil before Start.
func (b *Broker) Store() *store.Store { return b.store }

// Topics, Groups, Offsets and Clients expose the managers to admin processors and tests.
func (b *Broker) Topics() *TopicConfigManager               { return b.topics }
func (b *Broker) Groups() *SubscriptionGroupManager         { return b.groups }
func (b *Broker) Offsets() *ConsumerOffsetManager           { return b.offsets }
func (b *Broker) Clients() *ClientManager                   { return b.clients }
func (b *Broker) Router() *remoting.Router                  { return b.router }
func (b *Broker) register(code int32, p remoting.Processor) { b.router.Register(code, p) }

// registerInline adds a processor run on the event loop; it must never block.
func (b *Broker) registerInline(code int32, p remoting.Processor) { b.router.RegisterInline(code, p) }

// Addr is the bound client address (brokerIP1's listening socket), "" before Start.
func (b *Broker) Addr() string {
	if b.server == nil || b.server.Addr() == nil {
		return ""
	}
	return b.server.Addr().String()
}

// BrokerAddr is the address the broker announces to NameServers and clients:
// brokerIP1:listenPort.
func (b *Broker) BrokerAddr() string {
	return net.JoinHostPort(b.conf().BrokerIP1, strconv.Itoa(b.listenPort()))
}

// HAServerAddr is brokerIP2:haListenPort, announced for slaves.
func (b *Broker) HAServerAddr() string {
	return net.JoinHostPort(b.conf().BrokerIP2, strconv.Itoa(b.cfg.HaListenPort))
}

// listenPort is the bound port (cfg.ListenPort unless that was 0).
func (b *Broker) listenPort() int {
	if b.port != 0 {
		return b.port
	}
	return b.cfg.ListenPort
}

// Start opens the store and the metadata, starts listening on listenPort and on the VIP port
// listenPort-2, then registers with every NameServer. It returns once clients can connect.
func (b *Broker) Start() (err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return errors.New("broker: already started")
	}
	b.started = true
	begin := time.Now()

	if err := b.loadMetadata(); err != nil {
		return err
	}
	st, err := store.Open(b.cfg.Config, store.WithDefaultIndex())
	if err != nil {
		return fmt.Errorf("broker: open store %s: %w", b.cfg.StorePathRootDir, err)
	}
	b.store = st
	defer func() {
		if err != nil {
			b.closeAfterFailedStart()
		}
	}()

	if err := b.startServers(); err != nil {
		return err
	}
	if err := b.startHA(); err != nil {
		return err
	}
	b.startDataPlane()
	b.startSemantics()
	b.reg.start()
	b.startHousekeeping()
	b.log.WithFields(logrus.Fields{"addr": b.BrokerAddr(), "listen": b.Addr(), "vip": b.vipAddr(),
		"store": b.cfg.StorePathRootDir, "namesrv": b.cfg.NamesrvAddr, "took": time.Since(begin).Round(time.Millisecond)}).
		Info("broker started")
	return nil
}

// VIPAddr is the bound VIP address (listenPort-2), "" when it is not served.
func (b *Broker) VIPAddr() string { return b.vipAddr() }

func (b *Broker) vipAddr() string {
	if b.vip == nil || b.vip.Addr() == nil {
		return ""
	}
	return b.vip.Addr().String()
}

// startServers binds listenPort, then the VIP port. Java fails when the VIP port is taken; we
// log and carry on without it, because only clients configured with
// sendMessageWithVIPChannel=true (off by default) ever use it.
func (b *Broker) startServers() error {
	scfg := func(name string, port int) remoting.ServerConfig {
		return remoting.ServerConfig{
			Addr:        net.JoinHostPort(b.cfg.bindHost(), strconv.Itoa(port)),
			Multicore:   true,
			IdleTimeout: time.Duration(b.cfg.ServerChannelMaxIdleTimeSeconds) * time.Second,
			Listener:    b,
			Name:        name,
		}
	}
	b.server = remoting.NewServerShared(scfg("broker", b.cfg.ListenPort), b.router)
	if err := b.server.Start(); err != nil {
		b.server = nil
		return fmt.Errorf("broker: listen on port %d: %w", b.cfg.ListenPort, err)
	}
	if ta, ok := b.server.Addr().(*net.TCPAddr); ok {
		b.port = ta.Port
	}
	vipPort := b.port - 2
	if b.cfg.ListenPort == 0 || vipPort <= 0 {
		vipPort = 0 // tests: any free port
	}
	vip := remoting.NewServerShared(scfg("broker-vip", vipPort), b.router)
	if err := vip.Start(); err != nil {
		b.log.WithError(err).WithField("port", vipPort).Error("VIP port not available; serving on listenPort only")
	} else {
		b.vip = vip
	}
	return nil
}

// startHousekeeping runs the periodic jobs: consumer offsets flushed every
// flushConsumerOffsetInterval (first after 10 s, as Java) and expired client channels dropped
// every 10 s.
func (b *Broker) startHousekeeping() {
	every := func(first, period time.Duration, f func()) {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			t := time.NewTimer(first)
			defer t.Stop()
			for {
				select {
				case <-b.stop:
					return
				case <-t.C:
					f()
					t.Reset(period)
				}
			}
		}()
	}
	flush := time.Duration(b.cfg.FlushConsumerOffsetInterval) * time.Millisecond
	if flush <= 0 {
		flush = 5 * time.Second
	}
	every(min(10*time.Second, flush*2), flush, func() {
		if err := b.offsets.persist(); err != nil {
			b.log.WithError(err).Error("persist consumer offsets failed")
		}
	})
	every(clientScanInterval, clientScanInterval, func() { b.clients.scanExpired(time.Now(), channelExpiredTimeout) })
	every(10*time.Second, 10*time.Second, func() { // Java persists consumerFilter.json every 10 s
		if err := b.filters.persist(); err != nil {
			b.log.WithError(err).Error("persist consumer filters failed")
		}
	})
	b.rstats.init(time.Now())
	every(time.Second, time.Second, func() { b.rstats.sample(time.Now(), b.store.Stats()) })
	every(b.adm.stats.sampleEvery, b.adm.stats.sampleEvery, func() { b.adm.stats.sample(time.Now()) })
}

// loadMetadata reads topics.json, subscriptionGroup.json and consumerOffset.json (falling back
// to their .bak copies). A file that exists but cannot be read is a start-up error: starting
// without it would silently lose topics or offsets.
func (b *Broker) loadMetadata() error {
	if err := b.topics.load(); err != nil {
		return err
	}
	if err := b.groups.load(); err != nil {
		return err
	}
	if err := b.filters.load(); err != nil {
		return err
	}
	return b.offsets.load()
}

// closeAfterFailedStart undoes a partial Start.
func (b *Broker) closeAfterFailedStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	close(b.stop)
	b.stopped = true
	b.wg.Wait()
	b.shutdownServers(ctx)
	b.stopHA()
	if b.store != nil {
		_ = b.store.Close()
	}
}

// shutdownServers stops both listeners in parallel (each takes a while to drain its loops).
func (b *Broker) shutdownServers(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range []*remoting.Server{b.vip, b.server} {
		if s == nil {
			continue
		}
		wg.Add(1)
		go func(s *remoting.Server) {
			defer wg.Done()
			if err := s.Shutdown(ctx); err != nil {
				b.log.WithError(err).Warn("server shutdown")
			}
		}(s)
	}
	wg.Wait()
}

// Shutdown unregisters from the NameServers, stops the servers and the periodic jobs,
// persists offsets, topics and groups, and closes the store (flush, checkpoint, abort file
// removed). It is safe to call more than once.
func (b *Broker) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.started || b.stopped {
		return nil
	}
	b.stopped = true
	close(b.stop)
	b.reg.unregisterAll(ctx)
	b.shutdownServers(ctx)
	b.stopHA()
	b.stopDataPlane()
	b.stopSemantics()
	b.wg.Wait()
	b.reg.close()
	var errs []error
	if err := b.offsets.persist(); err != nil {
		errs = append(errs, fmt.Errorf("persist consumer offsets: %w", err))
	}
	if err := b.topics.persist(); err != nil {
		errs = append(errs, fmt.Errorf("persist topics: %w", err))
	}
	if err := b.groups.persist(); err != nil {
		errs = append(errs, fmt.Errorf("persist subscription groups: %w", err))
	}
	if err := b.filters.persist(); err != nil {
		errs = append(errs, fmt.Errorf("persist consumer filters: %w", err))
	}
	if err := b.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	b.log.Info("broker shut down")
	return errors.Join(errs...)
}

// invokeOneway sends a one-way request to a client over whichever server holds its channel.
func (b *Broker) invokeOneway(ch remoting.Channel, req *remoting.Command) error {
	var err error = remoting.ErrNotOurs
	for _, s := range []*remoting.Server{b.server, b.vip} {
		if s == nil {
			continue
		}
		if err = s.InvokeOneway(ch, req); !errors.Is(err, remoting.ErrNotOurs) {
			return err
		}
	}
	return err
}

// Invoke sends a request to a connected client and waits for its answer (admin calls the
// broker forwards, such as GET_CONSUMER_RUNNING_INFO).
func (b *Broker) Invoke(ch remoting.Channel, req *remoting.Command, timeout time.Duration) (*remoting.Command, error) {
	var err error = remoting.ErrNotOurs
	for _, s := range []*remoting.Server{b.server, b.vip} {
		if s == nil {
			continue
		}
		resp, e := s.Invoke(ch, req, timeout)
		if !errors.Is(e, remoting.ErrNotOurs) {
			return resp, e
		}
		err = e
	}
	return nil, err
}
