// Command storecheck verifies a RocketMQ store directory — one written by the Java broker or
// by rocketgo — without changing it, and prints per-queue counts and offsets and any damage:
//
//	storecheck [-c broker.conf] [storePathRootDir]
//
// It sits beside the broker, not in its flow: it maps every file read-only and takes no lock.
// It walks the commitlog (magic, lengths, body CRC, offsets, end-of-file blanks), every
// consume-queue unit (it must point at a record of its topic, queue and queue offset, with the
// right size and tags code), every index file (slot chains and each item's key hash against
// the record it points at), the checkpoint and config/*.json (with the .bak fallback the
// broker uses). File sizes and delay levels come from the Java keys of -c (defaults as Java's).
//
// Exit status: 0 no damage, 1 damage found, 2 the check could not run.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/store"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("storecheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("c", "", "broker properties file (storePathRootDir, mappedFileSizeCommitLog, …)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: storecheck [-c broker.conf] [storePathRootDir]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := store.DefaultConfig()
	if *configFile != "" {
		props, err := conf.ReadPropertiesFile(*configFile)
		if err != nil {
			fmt.Fprintln(stderr, "storecheck:", err)
			return 2
		}
		unknown, err := conf.Load(props, &cfg)
		if err != nil {
			fmt.Fprintln(stderr, "storecheck:", err)
			return 2
		}
		_ = unknown // broker keys the store does not use; not our business here
	}
	switch fs.NArg() {
	case 0:
		if *configFile == "" {
			fs.Usage()
			return 2
		}
	case 1:
		cfg.StorePathRootDir = fs.Arg(0)
	default:
		fs.Usage()
		return 2
	}
	if cfg.MappedFileSizeCommitLog <= 0 || cfg.MappedFileSizeConsumeQueue <= 0 || cfg.MaxHashSlotNum <= 0 || cfg.MaxIndexNum <= 1 {
		fmt.Fprintln(stderr, "storecheck: file sizes must be positive")
		return 2
	}
	sizes := Sizes{
		CommitLog:    int64(cfg.MappedFileSizeCommitLog),
		ConsumeQueue: int64(cfg.MappedFileSizeConsumeQueue),
		HashSlotNum:  int64(cfg.MaxHashSlotNum),
		IndexNum:     int64(cfg.MaxIndexNum),
		DelayLevels:  delayLevels(cfg.MessageDelayLevel),
	}
	rep, err := Check(cfg.StorePathRootDir, cfg.StorePathCommitLog, sizes)
	if err != nil {
		fmt.Fprintln(stderr, "storecheck:", err)
		return 2
	}
	rep.Print(stdout)
	if len(rep.Damage) > 0 {
		return 1
	}
	return 0
}

// delayLevels parses messageDelayLevel ("1s 5s 10s 30s 1m … 2h") into milliseconds.
func delayLevels(s string) []int64 {
	var out []int64
	for _, f := range strings.Fields(s) {
		unit := map[byte]int64{'s': 1000, 'm': 60000, 'h': 3600000, 'd': 86400000}[f[len(f)-1]]
		var n int64
		if _, err := fmt.Sscanf(f[:len(f)-1], "%d", &n); err != nil || unit == 0 {
			continue
		}
		out = append(out, n*unit)
	}
	return out
}
