package procenv

import (
	"os"
	"runtime/debug"
)

// BrokerGCPercent is the GOGC a broker runs with unless GOGC is set. A broker's live heap is
// small (routing, offsets, client tables: a few MB) while a send allocates its frame (body
// included) and the per-message bookkeeping, so at the default of 100 the collector starts
// every few MB of sends and its marking and assists took about a quarter of the broker's CPU
// at 4 connections × 32 sends in flight. At 400 the heap may grow to five times the live
// heap (about 20 MB peak RssAnon in the same load, against 8 MB) and CPU per message fell
// 27 % (docs/BENCHMARKS.md, "Garbage collector").
const BrokerGCPercent = 400

// TuneBrokerGC applies BrokerGCPercent unless the operator chose through GOGC; it returns the
// percentage now in force.
func TuneBrokerGC() int {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "" {
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old) // read without changing what GOGC set
		return old
	}
	debug.SetGCPercent(BrokerGCPercent)
	return BrokerGCPercent
}
