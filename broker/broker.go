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
// Both listening ports share one processor table, as Java's VIP channel does.
package broker

import (
	"context"
	"errors"
	"sync"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/sirupsen/logrus"
)

// processorEntry is one registration of the broker's processor table.
type processorEntry struct {
	code   int32
	p      remoting.Processor
	inline bool // runs on the event loop: only for processors that never block
}

// Broker is one broker instance: a master or a slave of one broker group.
type Broker struct {
	cfg *Config
	log *logrus.Entry

	topics  *TopicConfigManager
	groups  *SubscriptionGroupManager
	offsets *ConsumerOffsetManager
	clients *ClientManager

	procs []processorEntry

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
		cfg:  cfg,
		log:  logrus.WithFields(logrus.Fields{"broker": cfg.BrokerName, "brokerId": cfg.BrokerID}),
		stop: make(chan struct{}),
	}
	b.topics = newTopicConfigManager(b)
	b.groups = newSubscriptionGroupManager(b)
	b.offsets = newConsumerOffsetManager(b)
	b.clients = newClientManager(b)
	b.registerClientProcessors()
	b.registerDataProcessors()
	return b, nil
}

// Config returns the broker's configuration. Callers must not change it after Start.
func (b *Broker) Config() *Config { return b.cfg }

// register adds a processor run on the worker pool (it may block on the store).
func (b *Broker) register(code int32, p remoting.Processor) {
	b.procs = append(b.procs, processorEntry{code: code, p: p})
}

// registerInline adds a processor run on the event loop; it must never block.
func (b *Broker) registerInline(code int32, p remoting.Processor) {
	b.procs = append(b.procs, processorEntry{code: code, p: p, inline: true})
}

// Start opens the store and the managers, starts listening and registers with the NameServers.
func (b *Broker) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return errors.New("broker: already started")
	}
	b.started = true
	return nil
}

// Shutdown unregisters from the NameServers, stops the servers, persists metadata and closes
// the store. It is safe to call more than once.
func (b *Broker) Shutdown(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return nil
	}
	b.stopped = true
	close(b.stop)
	b.wg.Wait()
	return nil
}
