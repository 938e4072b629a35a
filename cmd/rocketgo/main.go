// Command rocketgo runs a NameServer and a broker in one process, for development and
// `make run`:
//
//	rocketgo [-c broker.conf] [-storePathRootDir ./data] [-namesrvPort 9876] [-p] [-h]
//
// Defaults: the NameServer listens on 9876, the broker on 10911 (VIP 10909) and registers
// with that NameServer, the store lives under ./data (NameServer KV config in
// ./data/namesrv), and brokerIP1/brokerIP2 are 127.0.0.1 unless broker.conf sets them, so
// clients on this machine connect without any setup. broker.conf takes the Java broker's keys;
// unknown keys are warned about and bad values stop start-up. -p prints the broker's
// effective configuration and exits. SIGTERM or SIGINT shuts both down gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/cmd/internal/procenv"
	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/namesrv"
	"github.com/sirupsen/logrus"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	procenv.TuneBrokerGC()
	procenv.StartProfiler(os.Getenv(procenv.EnvVar))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, sig, nil))
}

type options struct {
	configFile  string
	storeRoot   string
	namesrvPort int
	print       bool
	help        bool
	storeGiven  bool
}

func newFlagSet(stderr io.Writer, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("rocketgo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configFile, "c", "", "Broker config properties file (Java broker.conf keys)")
	fs.StringVar(&o.storeRoot, "storePathRootDir", "./data", "Store directory (overrides broker.conf)")
	fs.IntVar(&o.namesrvPort, "namesrvPort", 9876, "NameServer listen port (0 picks a free one)")
	fs.BoolVar(&o.print, "p", false, "Print the broker's effective configuration and exit")
	fs.BoolVar(&o.help, "h", false, "Print help")
	return fs
}

// servers is what run started; tests use it.
type servers struct {
	NS *namesrv.NameServer
	B  *broker.Broker
}

// brokerConfig builds the broker's configuration for dev mode. nsAddr is the in-process
// NameServer, used unless broker.conf names others.
func brokerConfig(o *options, nsAddr string, log logrus.FieldLogger) (*broker.Config, error) {
	cfg := broker.DefaultConfig()
	cfg.BrokerIP1, cfg.BrokerIP2 = "127.0.0.1", "127.0.0.1"
	cfg.NamesrvAddr = nsAddr
	cfg.StorePathRootDir = o.storeRoot
	if o.configFile != "" {
		props, err := conf.ReadPropertiesFile(o.configFile)
		if err != nil {
			return nil, err
		}
		unknown, err := cfg.LoadProperties(props, o.configFile)
		for _, k := range unknown {
			log.WithFields(logrus.Fields{"key": k, "file": o.configFile}).Warn("unknown config key ignored")
		}
		if err != nil {
			return nil, err
		}
		set := map[string]bool{}
		for _, p := range props {
			set[p.Key] = true
		}
		if set["brokerIP1"] && !set["brokerIP2"] {
			cfg.BrokerIP2 = cfg.BrokerIP1 // Java's default for brokerIP2 is brokerIP1
		}
		if o.storeGiven || !set["storePathRootDir"] {
			cfg.StorePathRootDir = o.storeRoot
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal, ready chan<- servers) int {
	var o options
	fs := newFlagSet(stderr, &o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 255
	}
	fs.Visit(func(f *flag.Flag) { o.storeGiven = o.storeGiven || f.Name == "storePathRootDir" })
	if o.help {
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	}
	log := logrus.New()
	log.SetOutput(stderr)
	nsAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.namesrvPort))
	if o.print {
		cfg, err := brokerConfig(&o, nsAddr, log)
		if err != nil {
			fmt.Fprintf(stderr, "rocketgo: bad configuration: %v\n", err)
			return 253
		}
		if err := conf.Print(stdout, cfg); err != nil {
			return 1
		}
		return 0
	}
	logrus.SetOutput(stderr)

	nsCfg := namesrv.NewConfig()
	nsCfg.ListenPort = o.namesrvPort
	nsCfg.KvConfigPath = filepath.Join(o.storeRoot, "namesrv", "kvConfig.json")
	nsCfg.ConfigStorePath = filepath.Join(o.storeRoot, "namesrv", "namesrv.properties")
	ns, err := namesrv.New(nsCfg)
	if err != nil {
		fmt.Fprintf(stderr, "rocketgo: name server: %v\n", err)
		return 253
	}
	if err := ns.Start(); err != nil {
		fmt.Fprintf(stderr, "rocketgo: name server: %v\n", err)
		return 1
	}
	shutdownNS := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ns.Shutdown(ctx)
	}
	if _, port, err := net.SplitHostPort(ns.Addr()); err == nil {
		nsAddr = net.JoinHostPort("127.0.0.1", port)
	}
	cfg, err := brokerConfig(&o, nsAddr, log)
	if err != nil {
		fmt.Fprintf(stderr, "rocketgo: bad configuration: %v\n", err)
		shutdownNS()
		return 253
	}
	b, err := broker.New(cfg)
	if err == nil {
		if o.configFile != "" {
			b.SetConfigFilePath(o.configFile) // updateBrokerConfig rewrites the -c file
		}
		err = b.Start()
	}
	if err != nil {
		fmt.Fprintf(stderr, "rocketgo: broker: %v\n", err)
		shutdownNS()
		return 1
	}
	logrus.WithFields(logrus.Fields{
		"namesrv": ns.Addr(), "broker": b.BrokerAddr(), "listen": b.Addr(), "vip": b.VIPAddr(),
		"store": cfg.StorePathRootDir, "brokerName": cfg.BrokerName, "cluster": cfg.BrokerClusterName,
	}).Info("rocketgo running: NameServer and broker in one process")
	fmt.Fprintf(stdout, "rocketgo: NameServer on %s, broker %s on %s (VIP %s), store in %s; clients use namesrvAddr=%s\n",
		ns.Addr(), cfg.BrokerName, b.Addr(), b.VIPAddr(), cfg.StorePathRootDir, nsAddr)
	if ready != nil {
		ready <- servers{ns, b}
	}
	s := <-stop
	logrus.WithField("signal", fmt.Sprint(s)).Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := 0
	if err := b.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "rocketgo: broker shutdown: %v\n", err)
		code = 1
	}
	if err := ns.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "rocketgo: name server shutdown: %v\n", err)
		code = 1
	}
	return code
}
