// Command mqbroker runs a rocketgo broker, taking the Java mqbroker's flags:
//
//	mqbroker [-c broker.conf] [-n "host:9876;host2:9876"] [-p | -m] [-h]
//
// -c loads Java BrokerConfig / NettyServerConfig / MessageStoreConfig keys (brokerName,
// listenPort, storePathRootDir, brokerRole, flushDiskType, …) from a properties file; -n sets
// namesrvAddr (NAMESRV_ADDR is the default); -p prints every effective setting and exits, -m
// only the important ones. Unknown keys are warned about; a value that does not parse, or a
// role/id combination Java refuses, stops start-up with a message saying what to fix.
// SIGTERM or SIGINT shuts down gracefully: unregister from the NameServers, persist offsets,
// flush and checkpoint the store, remove the abort file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/cmd/internal/procenv"
	"github.com/rocketgo/rocketgo/conf"
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
	configFile   string
	namesrvAddr  string
	print        bool
	printImport  bool
	help         bool
	namesrvGiven bool
}

// newFlagSet declares Java's options with their short and long names.
func newFlagSet(stderr io.Writer, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("mqbroker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configFile, "c", "", "Broker config properties file")
	fs.StringVar(&o.configFile, "configFile", "", "Broker config properties file")
	fs.StringVar(&o.namesrvAddr, "n", "", "Name server address list, eg: 192.168.0.1:9876;192.168.0.2:9876")
	fs.StringVar(&o.namesrvAddr, "namesrvAddr", "", "Name server address list, eg: 192.168.0.1:9876;192.168.0.2:9876")
	fs.BoolVar(&o.print, "p", false, "Print all config item")
	fs.BoolVar(&o.print, "printConfigItem", false, "Print all config item")
	fs.BoolVar(&o.printImport, "m", false, "Print important config item")
	fs.BoolVar(&o.printImport, "printImportantConfig", false, "Print important config item")
	fs.BoolVar(&o.help, "h", false, "Print help")
	fs.BoolVar(&o.help, "help", false, "Print help")
	return fs
}

// loadConfig builds the configuration: defaults (NAMESRV_ADDR included), the -c file, then
// -n, then Java's start-up checks.
func loadConfig(o *options, log logrus.FieldLogger) (*broker.Config, error) {
	cfg := broker.DefaultConfig()
	if o.configFile != "" {
		unknown, err := cfg.LoadFile(o.configFile)
		for _, k := range unknown {
			log.WithFields(logrus.Fields{"key": k, "file": o.configFile}).Warn("unknown config key ignored")
		}
		if err != nil {
			return nil, err
		}
	}
	if o.namesrvGiven {
		cfg.NamesrvAddr = o.namesrvAddr
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// run is main without the process: ready, when not nil, receives the broker once it listens.
func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal, ready chan<- *broker.Broker) int {
	var o options
	fs := newFlagSet(stderr, &o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 255 // Java exits -1 on a bad command line
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "n" || f.Name == "namesrvAddr" {
			o.namesrvGiven = true
		}
	})
	if o.help {
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	}
	log := logrus.New()
	log.SetOutput(stderr)
	cfg, err := loadConfig(&o, log)
	if err != nil {
		fmt.Fprintf(stderr, "mqbroker: bad configuration: %v\n", err)
		return 253 // Java's -3
	}
	if o.print || o.printImport {
		pr := conf.Print
		if !o.print {
			pr = conf.PrintImportant
		}
		if err := pr(stdout, cfg); err != nil {
			fmt.Fprintf(stderr, "mqbroker: %v\n", err)
			return 1
		}
		return 0
	}
	logrus.SetOutput(stderr)
	b, err := broker.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mqbroker: %v\n", err)
		return 253
	}
	if o.configFile != "" {
		b.SetConfigFilePath(o.configFile) // updateBrokerConfig rewrites the -c file, as Java's
	}
	if err := b.Start(); err != nil {
		fmt.Fprintf(stderr, "mqbroker: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "The broker[%s, %s] boot success. serializeType=JSON and name server is %s\n",
		cfg.BrokerName, b.BrokerAddr(), cfg.NamesrvAddr)
	if ready != nil {
		ready <- b
	}
	s := <-stop
	logrus.WithField("signal", fmt.Sprint(s)).Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "mqbroker: shutdown: %v\n", err)
		return 1
	}
	return 0
}
