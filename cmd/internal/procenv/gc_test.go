package procenv

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneBrokerGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	cases := []struct {
		name, env string
		set       bool
		want      int
	}{
		{"unset: the broker's default", "", false, BrokerGCPercent},
		{"empty counts as unset", "", true, BrokerGCPercent},
		{"GOGC wins", "150", true, 150},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.env) // restored after the case
			if !tc.set {
				os.Unsetenv("GOGC")
			}
			if tc.env != "" {
				// The runtime reads GOGC at start-up; the test sets what it would have read.
				debug.SetGCPercent(150)
			}
			if got := TuneBrokerGC(); got != tc.want {
				t.Fatalf("TuneBrokerGC() = %d, want %d", got, tc.want)
			}
			if got := debug.SetGCPercent(tc.want); got != tc.want {
				t.Fatalf("GC percent in force %d, want %d", got, tc.want)
			}
		})
	}
}
