package namesrv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Java's NamesrvController scans for silent brokers every 10 s, the first time 5 s after start.
const (
	defaultScanInterval = 10 * time.Second
	firstScanDelay      = 5 * time.Second
)

// NameServer is one NameServer instance: the route table, the KV config, the remoting
// listener and the optional HTTP address endpoint.
type NameServer struct {
	cfgMu      sync.RWMutex // guards *cfg (UPDATE_NAMESRV_CONFIG changes it while serving)
	cfgWriteMu sync.Mutex   // serialises UPDATE_NAMESRV_CONFIG from change to file; before cfgMu
	cfg        *Config

	log    *logrus.Entry
	routes *RouteTable
	kv     *kvStore
	table  map[int32]handlerFunc
	router *remoting.Router

	mu      sync.Mutex // guards the fields below across Start and Shutdown
	srv     *remoting.Server
	httpSrv *http.Server
	httpLn  net.Listener
	started bool
	stopped bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// New builds a NameServer from cfg (which it copies) and loads the KV config; nothing listens
// until Start.
func New(cfg *Config) (*NameServer, error) {
	if cfg == nil {
		cfg = NewConfig()
	}
	c := *cfg
	if c.ListenPort < 0 || c.ListenPort > 65535 {
		return nil, fmt.Errorf("namesrv: listenPort %d out of range", c.ListenPort)
	}
	if c.AddressServerPort < 0 || c.AddressServerPort > 65535 {
		return nil, fmt.Errorf("namesrv: addressServerPort %d out of range", c.AddressServerPort)
	}
	if c.scanInterval <= 0 {
		c.scanInterval = defaultScanInterval
	}
	log := logrus.WithField("component", "namesrv")
	kv, err := loadKVStore(c.KvConfigPath, log)
	if err != nil {
		return nil, fmt.Errorf("namesrv: %w", err)
	}
	ns := &NameServer{
		cfg:    &c,
		log:    log,
		routes: NewRouteTable(log),
		kv:     kv,
		stop:   make(chan struct{}),
	}
	if c.brokerExpiry > 0 {
		ns.routes.expiry = c.brokerExpiry
	}
	ns.table = ns.handlers()
	ns.router = remoting.NewRouter()
	for code, h := range ns.table {
		p := remoting.ProcessorFunc(h)
		if inlineCodes[code] {
			ns.router.RegisterInline(code, p)
		} else {
			ns.router.Register(code, p)
		}
	}
	return ns, nil
}

// inlineCodes are answered on the event loop: pure in-memory reads under the read lock, done
// in microseconds. Everything that writes files or takes the write lock goes to the pool.
var inlineCodes = map[int32]bool{
	protocol.GetRouteinfoByTopic:           true,
	protocol.GetBrokerClusterInfo:          true,
	protocol.GetAllTopicListFromNameserver: true,
	protocol.GetTopicsByCluster:            true,
	protocol.GetSystemTopicListFromNs:      true,
	protocol.GetKvConfig:                   true,
	protocol.GetKvlistByNamespace:          true,
}

// Routes exposes the route table, for embedding processes and tests.
func (ns *NameServer) Routes() *RouteTable { return ns.routes }

// Router is the request-code table the NameServer serves.
func (ns *NameServer) Router() *remoting.Router { return ns.router }

// Start listens on bindAddress:listenPort (and the address-server port when set) and starts
// the expiry scan. When it returns nil the NameServer accepts connections.
func (ns *NameServer) Start() error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.started {
		return errors.New("namesrv: already started")
	}
	ns.cfgMu.RLock()
	c := *ns.cfg
	ns.cfgMu.RUnlock()

	addr := net.JoinHostPort(c.BindAddress, strconv.Itoa(c.ListenPort))
	idle := time.Duration(c.ServerChannelMaxIdleTimeSeconds) * time.Second
	if idle <= 0 {
		idle = -1 // 0 means "never" in Java's config, but "default" to the server
	}
	srv := remoting.NewServerShared(remoting.ServerConfig{
		Addr:        addr,
		IdleTimeout: idle,
		Listener:    ns,
		Name:        "namesrv",
	}, ns.router)
	if err := srv.Start(); err != nil {
		return fmt.Errorf("namesrv: listen on %s: %w", addr, err)
	}
	ns.srv = srv
	ns.started = true

	if c.AddressServerPort != 0 {
		if err := ns.startAddressServer(&c); err != nil {
			_ = srv.Shutdown(context.Background())
			ns.srv, ns.started = nil, false
			return err
		}
	}
	ns.wg.Add(1)
	go ns.scanLoop(c.scanInterval)
	ns.log.WithFields(logrus.Fields{"addr": ns.srv.Addr().String(), "addressServer": ns.addressServerAddr()}).
		Info("name server listening")
	return nil
}

// Addr is the address the remoting listener is bound to ("" before Start), with the real
// port when listenPort was 0.
func (ns *NameServer) Addr() string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.srv == nil || ns.srv.Addr() == nil {
		return ""
	}
	return ns.srv.Addr().String()
}

// AddressServerAddr is the HTTP address endpoint's bound address, "" when it is off.
func (ns *NameServer) AddressServerAddr() string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.addressServerAddr()
}

func (ns *NameServer) addressServerAddr() string {
	if ns.httpLn == nil {
		return ""
	}
	return ns.httpLn.Addr().String()
}

// Shutdown stops listening, closes connections and stops the scan; ctx bounds the wait for
// in-flight requests.
func (ns *NameServer) Shutdown(ctx context.Context) error {
	ns.mu.Lock()
	if !ns.started || ns.stopped {
		ns.stopped = true
		ns.mu.Unlock()
		return nil
	}
	ns.stopped = true
	close(ns.stop)
	srv, httpSrv := ns.srv, ns.httpSrv
	ns.mu.Unlock()

	var errs []error
	if httpSrv != nil {
		if err := httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("address server: %w", err))
		}
	}
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	ns.wg.Wait()
	ns.log.Info("name server stopped")
	return errors.Join(errs...)
}

// scanLoop drops brokers that have been silent for longer than the expiry.
func (ns *NameServer) scanLoop(interval time.Duration) {
	defer ns.wg.Done()
	first := firstScanDelay
	if interval < first {
		first = interval
	}
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-ns.stop:
			return
		case <-timer.C:
			if removed := ns.routes.ScanExpired(); len(removed) > 0 {
				ns.log.WithField("brokers", removed).Warn("removed expired brokers")
			}
			timer.Reset(interval)
		}
	}
}

// OnConnect is part of remoting.ConnListener.
func (ns *NameServer) OnConnect(ch remoting.Channel) {}

// OnClose removes the brokers that registered over ch at once (Java's onChannelDestroy).
func (ns *NameServer) OnClose(ch remoting.Channel) { ns.routes.ChannelClosed(ch) }

// OnIdle treats an idle broker connection like a closed one, as Java's housekeeping does; the
// server closes the connection itself.
func (ns *NameServer) OnIdle(ch remoting.Channel) { ns.routes.ChannelClosed(ch) }
