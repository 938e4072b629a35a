// Command mqnamesrv runs a rocketgo NameServer, taking the Java mqnamesrv's flags:
//
//	mqnamesrv [-c namesrv.properties] [-p] [-h]
//
// -c loads Java NamesrvConfig/NettyServerConfig keys (listenPort, kvConfigPath, …) from a
// properties file; -p prints the effective configuration and exits. Unknown keys are warned
// about; a value that does not parse stops start-up with the file, line and key. SIGTERM or
// SIGINT shuts down gracefully.
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

	"github.com/rocketgo/rocketgo/cmd/internal/procenv"
	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/namesrv"
	"github.com/sirupsen/logrus"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	procenv.StartProfiler(os.Getenv(procenv.EnvVar))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, sig, nil))
}

type options struct {
	configFile string
	print      bool
	help       bool
}

// newFlagSet declares Java's options with their short and long names.
func newFlagSet(stderr io.Writer, o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("mqnamesrv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configFile, "c", "", "Name server config properties file")
	fs.StringVar(&o.configFile, "configFile", "", "Name server config properties file")
	fs.BoolVar(&o.print, "p", false, "Print all config items and exit")
	fs.BoolVar(&o.print, "printConfigItem", false, "Print all config items and exit")
	fs.BoolVar(&o.help, "h", false, "Print help")
	fs.BoolVar(&o.help, "help", false, "Print help")
	// Java's shared parser accepts -n for every server; the NameServer ignores it.
	fs.String("n", "", "Name server address list (ignored by the name server)")
	fs.String("namesrvAddr", "", "Name server address list (ignored by the name server)")
	return fs
}

// loadConfig builds the configuration from defaults and the -c file.
func loadConfig(o *options, log logrus.FieldLogger) (*namesrv.Config, error) {
	cfg := namesrv.NewConfig()
	if o.configFile == "" {
		return cfg, nil
	}
	props, err := conf.ReadPropertiesFile(o.configFile)
	if err != nil {
		return nil, err
	}
	unknown, err := conf.Load(props, cfg)
	isUnknown := map[string]bool{}
	for _, k := range unknown {
		isUnknown[k] = true
		log.WithFields(logrus.Fields{"key": k, "file": o.configFile}).Warn("unknown config key ignored")
	}
	for _, p := range props {
		if isUnknown[p.Key] {
			cfg.Extra = append(cfg.Extra, p) // kept for GET_NAMESRV_CONFIG, as Java does
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.configFile, err)
	}
	cfg.ConfigStorePath = o.configFile // as NamesrvStartup does
	return cfg, nil
}

// run is main without the process: ready, when not nil, receives the server once it listens.
func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal, ready chan<- *namesrv.NameServer) int {
	var o options
	fs := newFlagSet(stderr, &o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 255 // Java exits -1 on a bad command line
	}
	if o.help {
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	}
	log := logrus.New()
	log.SetOutput(stderr)
	cfg, err := loadConfig(&o, log)
	if err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: bad configuration: %v\n", err)
		return 255
	}
	if o.print {
		if err := conf.Print(stdout, cfg); err != nil {
			fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
			return 1
		}
		return 0
	}
	logrus.SetOutput(stderr)
	ns, err := namesrv.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
		return 253 // Java's -3: initialisation failed
	}
	if err := ns.Start(); err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "The Name Server boot success. serializeType=JSON, listening on %s\n", ns.Addr())
	if a := ns.AddressServerAddr(); a != "" {
		fmt.Fprintf(stdout, "Address server: http://%s/rocketmq/nsaddr\n", a)
	}
	if ready != nil {
		ready <- ns
	}
	s := <-stop
	logrus.WithField("signal", fmt.Sprint(s)).Info("shutting down")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ns.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: shutdown: %v\n", err)
		return 1
	}
	return 0
}
