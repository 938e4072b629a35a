// Package procenv holds the process-level settings the server mains share, taken from the
// environment so that the Java servers' flags and config keys stay exactly Java's: the garbage
// collector's default for a broker (gc.go) and Go's profiler on request (ROCKETGO_PPROF).
package procenv

import (
	"net"
	"net/http"
	"net/http/pprof"

	"github.com/sirupsen/logrus"
)

// EnvVar names the variable StartProfiler reads: with ROCKETGO_PPROF=host:port the server
// serves net/http/pprof there; unset, it opens nothing.
const EnvVar = "ROCKETGO_PPROF"

// StartProfiler serves the profiler on addr when addr is not empty and returns the address it listens
// on ("" when off). A port that cannot be bound is logged, not fatal: profiling is a
// diagnostic, never a reason to keep a broker down.
func StartProfiler(addr string) string {
	if addr == "" {
		return ""
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		logrus.WithError(err).WithField("addr", addr).Warn(EnvVar + ": profiler not started")
		return ""
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { _ = http.Serve(ln, mux) }()
	logrus.WithField("addr", ln.Addr().String()).Info(EnvVar + ": profiler listening")
	return ln.Addr().String()
}
