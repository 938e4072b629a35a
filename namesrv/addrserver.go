package namesrv

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The address server is what stock clients poll when they have no namesrvAddr: they GET
// http://<rocketmq.namesrv.domain>:8080/rocketmq/<subgroup> (subgroup "nsaddr" by default,
// "-<unit>?nofix=1" appended with a unit name) and take the first line of the plain-text body
// as the NameServer list "ip:port;ip:port". Serving it from the NameServer makes
// rocketmq.namesrv.domain work without extra software.

// startAddressServer listens on the address-server port; called from Start with ns.mu held.
func (ns *NameServer) startAddressServer(c *Config) error {
	addr := net.JoinHostPort(c.BindAddress, strconv.Itoa(c.AddressServerPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("namesrv: address server listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/rocketmq/", ns.serveNamesrvAddr)
	ns.httpLn = ln
	ns.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ns.wg.Add(1)
	go func() {
		defer ns.wg.Done()
		if err := ns.httpSrv.Serve(ln); err != nil && err != http.ErrServerClosed {
			ns.log.WithError(err).Error("address server stopped")
		}
	}()
	return nil
}

func (ns *NameServer) serveNamesrvAddr(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if strings.TrimPrefix(r.URL.Path, "/rocketmq/") == "" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	_, _ = w.Write([]byte(ns.namesrvAddrList()))
}

// namesrvAddrList is the configured list, or this NameServer's own reachable address.
func (ns *NameServer) namesrvAddrList() string {
	ns.cfgMu.RLock()
	configured := strings.TrimSpace(ns.cfg.AddressServerNamesrvAddr)
	ns.cfgMu.RUnlock()
	if configured != "" {
		return configured
	}
	bound := ns.Addr()
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = localIP()
	}
	return net.JoinHostPort(host, port)
}

// localIP picks the address clients elsewhere can reach: the first up, non-loopback IPv4,
// else 127.0.0.1 (the Go client rejects host names, so it must be a literal).
func localIP() string {
	ifaces, err := net.Interfaces()
	if err == nil {
		for _, ifc := range ifaces {
			if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
				continue
			}
			addrs, err := ifc.Addrs()
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok {
					if ip4 := ipn.IP.To4(); ip4 != nil && !ip4.IsLinkLocalUnicast() {
						return ip4.String()
					}
				}
			}
		}
	}
	return "127.0.0.1"
}
