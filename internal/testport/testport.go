// Package testport hands tests the ports of servers that must know their port before they
// start: a broker advertises brokerIP1:listenPort and opens listenPort-2 (VIP) and
// listenPort+1 (HA) beside it, and a restart must come back on the same address, so such a
// test cannot bind port 0. Only tests import it.
//
// Ports come from below the kernel's ephemeral range: the hundreds of outgoing connections a
// suite opens draw their local ports from that range and could take one between the check
// here and the server's bind (CI lost a run to exactly that). Within a process a registry
// keeps parallel tests from being handed the same port twice.
package testport

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	given = map[int]bool{}
	// lo..hi is where ports are drawn from.
	lo, hi = portRange()
)

// portRange is [10240, start of the ephemeral range), or up to 32767 when the range cannot
// be read or leaves too little room below it.
func portRange() (int, int) {
	l, h := 10240, 32767
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if first, err := strconv.Atoi(f[0]); err == nil && first-1-l >= 4096 {
				h = first - 1
			}
		}
	}
	return l, h
}

// Range reports the bounds ports are drawn from, both included.
func Range() (int, int) { return lo, hi }

// Reserve finds p such that p+d can be bound right now for every offset d (on the wildcard
// address, which the Java servers bind), and records them so nothing else in this process is
// handed any of them.
func Reserve(offsets ...int) (int, error) {
	if len(offsets) == 0 {
		offsets = []int{0}
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i < 500; i++ {
		p := lo + 2 + rand.IntN(hi-lo-3)
		if free(p, offsets) {
			for _, d := range offsets {
				given[p+d] = true
			}
			return p, nil
		}
	}
	return 0, errors.New("testport: no free port found")
}

func free(p int, offsets []int) bool {
	for _, d := range offsets {
		if given[p+d] {
			return false
		}
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, d := range offsets {
		l, err := net.Listen("tcp", ":"+strconv.Itoa(p+d))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}

// One is a single free port; it fails the test when there is none.
func One(t testing.TB) int {
	t.Helper()
	p, err := Reserve(0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Broker is a port p with p-2 (VIP) and p+1 (HA) free as well, for listenPort; it fails the
// test when there is none.
func Broker(t testing.TB) int {
	t.Helper()
	p, err := Reserve(-2, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BindFailed tells whether a server's start failed because a port was taken after it was
// checked (by another process on the machine: the registry covers this one).
func BindFailed(err error) bool {
	return err != nil && strings.Contains(strings.ToLower(err.Error()), "address already in use")
}
