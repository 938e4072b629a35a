package testport

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestReserve: ports lie below the kernel's ephemeral range (where an outgoing connection
// could take one between the check and the bind) and are never handed out twice.
func TestReserve(t *testing.T) {
	lo, hi := Range()
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		first, _ := strconv.Atoi(strings.Fields(string(b))[0])
		if hi >= first {
			t.Fatalf("test ports reach %d, inside the ephemeral range starting at %d", hi, first)
		}
	}
	seen := map[int]bool{}
	for i := 0; i < 50; i++ {
		p, q := Broker(t), One(t)
		for _, x := range []int{p - 2, p, p + 1, q} {
			if x < lo || x > hi {
				t.Fatalf("port %d outside [%d, %d]", x, lo, hi)
			}
			if seen[x] {
				t.Fatalf("port %d handed out twice", x)
			}
			seen[x] = true
		}
	}
}

func TestBindFailed(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("listen tcp 127.0.0.1:4: bind: address already in use"), true},
		{errors.New("java.net.BindException: Address already in use"), true},
		{errors.New("connection refused"), false},
	} {
		if got := BindFailed(tc.err); got != tc.want {
			t.Errorf("BindFailed(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
