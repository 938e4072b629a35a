package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// Cluster, broker and NameServer commands (admin-protocol.md §2.2, §2.6).

func init() {
	register(&command{name: "clusterList", desc: "List all of clusters", opts: []option{
		{short: "m", long: "moreStats", desc: "Print more stats"},
		{short: "i", long: "interval", hasArg: true, desc: "specify intervals numbers, it is in seconds"},
	}, run: clusterList})
	register(&command{name: "brokerStatus", desc: "Fetch broker runtime status data", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "Broker address"},
		{short: "c", long: "clusterName", hasArg: true, desc: "which cluster"},
	}, run: brokerStatus})
	register(&command{name: "getBrokerConfig", desc: "Get broker config by cluster or special broker!", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "get which broker"},
		{short: "c", long: "clusterName", hasArg: true, desc: "get which cluster"},
	}, run: getBrokerConfig})
	register(&command{name: "updateBrokerConfig", desc: "Update broker's config", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "update which broker"},
		{short: "c", long: "clusterName", hasArg: true, desc: "update which cluster"},
		{short: "k", long: "key", hasArg: true, required: true, desc: "config key"},
		{short: "v", long: "value", hasArg: true, required: true, desc: "config value"},
	}, run: updateBrokerConfig})
	register(&command{name: "cleanExpiredCQ", desc: "Clean expired ConsumeQueue on broker.", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "Broker address"},
		{short: "c", long: "cluster", hasArg: true, desc: "clustername"},
	}, run: func(c *ctx) error { return fanOutBroker(c, protocol.CleanExpiredConsumequeue) }})
	register(&command{name: "cleanUnusedTopic", desc: "Clean unused topic on broker.", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "Broker address"},
		{short: "c", long: "cluster", hasArg: true, desc: "cluster name"},
	}, run: func(c *ctx) error { return fanOutBroker(c, protocol.CleanUnusedTopic) }})
	register(&command{name: "deleteExpiredCommitLog", desc: "Delete expired CommitLog files", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "Broker address"},
		{short: "c", long: "cluster", hasArg: true, desc: "clustername"},
		{short: "n", long: "namesrvAddr", hasArg: true, desc: "Name server address"},
	}, run: func(c *ctx) error { return fanOutBroker(c, protocol.DeleteExpiredCommitlog) }})

	register(&command{name: "updateKvConfig", desc: "Create or update KV config.", opts: []option{
		{short: "s", long: "namespace", hasArg: true, required: true, desc: "set the namespace"},
		{short: "k", long: "key", hasArg: true, required: true, desc: "set the key name"},
		{short: "v", long: "value", hasArg: true, required: true, desc: "set the key value"},
	}, run: func(c *ctx) error {
		if err := c.adm.putKV(c.get("s"), c.get("k"), c.get("v")); err != nil {
			return err
		}
		c.printf("create or update kv config to namespace success.\n")
		return nil
	}})
	register(&command{name: "deleteKvConfig", desc: "Delete KV config.", opts: []option{
		{short: "s", long: "namespace", hasArg: true, required: true, desc: "set the namespace"},
		{short: "k", long: "key", hasArg: true, required: true, desc: "set the key name"},
	}, run: func(c *ctx) error {
		if err := c.adm.deleteKV(c.get("s"), c.get("k")); err != nil {
			return err
		}
		c.printf("delete kv config from namespace success.\n")
		return nil
	}})
	register(&command{name: "wipeWritePerm", desc: "Wipe write perm of broker in all name server you defined in the -n param", opts: []option{
		{short: "b", long: "brokerName", hasArg: true, required: true, desc: "broker name"},
	}, run: func(c *ctx) error { return writePerm(c, true) }})
	register(&command{name: "addWritePerm", desc: "Add write perm of broker in all name server you defined in the -n param", opts: []option{
		{short: "b", long: "brokerName", hasArg: true, required: true, desc: "broker name"},
	}, run: func(c *ctx) error { return writePerm(c, false) }})
	register(&command{name: "getNamesrvConfig", desc: "Get configs of name server.", run: getNamesrvConfig})
	register(&command{name: "updateNamesrvConfig", desc: "Update configs of name server.", opts: []option{
		{short: "k", long: "key", hasArg: true, required: true, desc: "config key"},
		{short: "v", long: "value", hasArg: true, required: true, desc: "config value"},
	}, run: updateNamesrvConfig})
}

func (a *admin) runtimeInfo(addr string) (map[string]string, error) {
	resp, err := a.call(addr, protocol.GetBrokerRuntimeInfo, nil, nil)
	if err != nil {
		return nil, err
	}
	var t protocol.KVTable
	if err := t.Unmarshal(resp.Body); err != nil {
		return nil, fmt.Errorf("runtime info of %s: %w", addr, err)
	}
	return t.Table, nil
}

func firstFloat(s string) float64 {
	f, _ := strconv.ParseFloat(strings.Fields(s + " 0")[0], 64)
	return f
}

func parseI64(s string) int64 { v, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64); return v }

func clusterList(c *ctx) error {
	interval := int64(0)
	if c.has("i") {
		interval = parseI64(c.get("i"))
	}
	for {
		if err := clusterListOnce(c); err != nil {
			return err
		}
		if interval <= 0 {
			return nil
		}
		time.Sleep(time.Duration(interval) * time.Second)
	}
}

func clusterListOnce(c *ctx) error {
	ci, err := c.adm.clusterInfo()
	if err != nil {
		return err
	}
	clusters := make([]string, 0, len(ci.ClusterAddrTable))
	for cl := range ci.ClusterAddrTable {
		clusters = append(clusters, cl)
	}
	clusters = javaHashOrder(clusters) // the clusterAddrTable HashMap
	more := c.has("m")
	if more {
		c.printf("%-16s  %-32s %14s %14s %14s %14s\n", "#Cluster Name", "#Broker Name", "#InTotalYest", "#OutTotalYest", "#InTotalToday", "#OutTotalToday")
	} else {
		c.printf("%-16s  %-22s  %-4s  %-22s %-16s %19s %19s %10s %5s %6s\n", "#Cluster Name", "#Broker Name", "#BID", "#Addr",
			"#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)", "#PCWait(ms)", "#Hour", "#SPACE")
	}
	for _, cl := range clusters {
		names := append([]string(nil), ci.ClusterAddrTable[cl]...)
		sort.Strings(names)
		for _, name := range names {
			bd := ci.BrokerAddrTable[name]
			if bd == nil {
				continue
			}
			for _, id := range brokerIDs(bd) {
				addr := bd.BrokerAddrs[id]
				kv, err := c.adm.runtimeInfo(addr)
				if err != nil {
					fmt.Fprintf(c.errOut, "fetch runtime info of %s: %v\n", addr, err)
					kv = map[string]string{}
				}
				if more {
					if id != 0 {
						continue
					}
					py, pm, pn := parseI64(kv["msgPutTotalYesterdayMorning"]), parseI64(kv["msgPutTotalTodayMorning"]), parseI64(kv["msgPutTotalTodayNow"])
					gy, gm, gn := parseI64(kv["msgGetTotalYesterdayMorning"]), parseI64(kv["msgGetTotalTodayMorning"]), parseI64(kv["msgGetTotalTodayNow"])
					c.printf("%-16s  %-32s %14d %14d %14d %14d\n", cl, name, pm-py, gm-gy, pn-pm, gn-gm)
					continue
				}
				hours := 0.0
				// Java counts from whatever the broker says, -1 for an empty store included.
				if e, err := strconv.ParseInt(kv["earliestMessageTimeStamp"], 10, 64); err == nil {
					hours = float64(time.Now().UnixMilli()-e) / 1000 / 60 / 60
				}
				space := 0.0
				if v, err := strconv.ParseFloat(kv["commitLogDiskRatio"], 64); err == nil {
					space = v
				}
				in := fmt.Sprintf("%9.2f(%s,%sms)", firstFloat(kv["putTps"]), kv["sendThreadPoolQueueSize"], kv["sendThreadPoolQueueHeadWaitTimeMills"])
				out := fmt.Sprintf("%9.2f(%s,%sms)", firstFloat(kv["getTransferedTps"]), kv["pullThreadPoolQueueSize"], kv["pullThreadPoolQueueHeadWaitTimeMills"])
				c.printf("%-16s  %-22s  %-4s  %-22s %-16s %19s %19s %10s %5s %6s\n", cl, name, strconv.FormatInt(id, 10), addr,
					kv["brokerVersionDesc"], in, out, kv["pageCacheLockTimeMills"], fmt.Sprintf("%2.2f", hours), fmt.Sprintf("%.4f", space))
			}
		}
	}
	return nil
}

func brokerStatus(c *ctx) error {
	print := func(addr string, withAddr bool) error {
		kv, err := c.adm.runtimeInfo(addr)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(kv))
		for k := range kv {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if withAddr {
				c.printf("%-24s %-32s: %s\n", addr, k, kv[k])
			} else {
				c.printf("%-32s: %s\n", k, kv[k])
			}
		}
		return nil
	}
	switch {
	case c.has("b"):
		return print(c.get("b"), false)
	case c.has("c"):
		addrs, err := c.adm.allAddrs(c.get("c"))
		if err != nil {
			return err
		}
		var errs []error
		for _, a := range addrs {
			if err := print(a, true); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return errUsage
}

// brokerConfig fetches GET_BROKER_CONFIG (always the plain address) as ordered properties.
func (a *admin) brokerConfig(addr string) ([]conf.Property, error) {
	resp, err := a.call(addr, protocol.GetBrokerConfig, nil, nil)
	if err != nil {
		return nil, err
	}
	props, err := conf.ParseProperties(resp.Body)
	return propertiesOrder(props), err
}

// propertiesOrder is the order Java's tool prints a config it loaded into a Properties.
func propertiesOrder(props []conf.Property) []conf.Property {
	kvs := make([][2]string, len(props))
	for i, p := range props {
		kvs[i] = [2]string{p.Key, p.Value}
	}
	kvs = javaCHMOrder(kvs)
	out := make([]conf.Property, len(kvs))
	for i, e := range kvs {
		out[i] = conf.Property{Key: e[0], Value: e[1]}
	}
	return out
}

func getBrokerConfig(c *ctx) error {
	print := func(title, addr string) error {
		c.printf("%s", title) // before asking, as Java
		props, err := c.adm.brokerConfig(addr)
		if err != nil {
			return err
		}
		for _, p := range props {
			c.printf("%-50s=  %s\n", p.Key, p.Value)
		}
		c.printf("\n")
		return nil
	}
	switch {
	case c.has("b"):
		return print("============"+c.get("b")+"============\n", c.get("b"))
	case c.has("c"):
		masters, slaves, err := c.adm.mastersAndSlaves(c.get("c"))
		if err != nil {
			return err
		}
		for _, master := range masters {
			if err := print("============Master: "+master+"============\n", master); err != nil {
				return err
			}
			for _, slave := range slaves[master] {
				if err := print("============My Master: "+master+"=====Slave: "+slave+"============\n", slave); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return errUsage
}

func updateBrokerConfig(c *ctx) error {
	body := conf.FormatProperties([]conf.Property{{Key: c.get("k"), Value: c.get("v")}})
	switch {
	case c.has("b"):
		if _, err := c.adm.call(c.get("b"), protocol.UpdateBrokerConfig, nil, body); err != nil {
			return err
		}
		c.printf("update broker config success, %s\n", c.get("b"))
		return nil
	case c.has("c"):
		addrs, err := c.adm.masterAddrs(c.get("c"))
		if err != nil {
			return err
		}
		var errs []error
		for _, a := range addrs {
			if _, err := c.adm.call(a, protocol.UpdateBrokerConfig, nil, body); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", a, err))
				continue
			}
			c.printf("update broker config success, %s\n", a)
		}
		return errors.Join(errs...)
	}
	return errUsage
}

// fanOutBroker sends a no-argument maintenance code to -b, or to every address of -c (or of
// every cluster), printing "success" or "false" for the last answer as Java does.
func fanOutBroker(c *ctx, code int32) error {
	var addrs []string
	if c.has("b") {
		addrs = []string{c.get("b")}
	} else {
		var err error
		if addrs, err = c.adm.allAddrs(c.get("c")); err != nil {
			return err
		}
	}
	ok := false
	var errs []error
	for _, a := range addrs {
		_, err := c.adm.call(a, code, nil, nil)
		ok = err == nil
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a, err))
		}
	}
	if ok {
		c.printf("success")
	} else {
		c.printf("false")
	}
	return errors.Join(errs...)
}

func writePerm(c *ctx, wipe bool) error {
	name := c.get("b")
	code, verb, field := protocol.AddWritePermOfBroker, "add", "addTopicCount"
	if wipe {
		code, verb, field = protocol.WipeWritePermOfBroker, "wipe", "wipeTopicCount"
	}
	if len(c.adm.ns) == 0 {
		return errors.New("no name server address: use -n or NAMESRV_ADDR")
	}
	var errs []error
	for _, ns := range c.adm.ns {
		resp, err := c.adm.call(ns, code, kv("brokerName", name), nil)
		if err != nil {
			c.printf("%s write perm of broker[%s] in name server[%s] Failed\n", verb, name, ns)
			errs = append(errs, err)
			continue
		}
		c.printf("%s write perm of broker[%s] in name server[%s] OK, %s\n", verb, name, ns, resp.ExtFields.Value(field))
	}
	return errors.Join(errs...)
}

func getNamesrvConfig(c *ctx) error {
	if len(c.adm.ns) == 0 {
		return errors.New("no name server address: use -n or NAMESRV_ADDR")
	}
	for _, ns := range c.adm.ns {
		resp, err := c.adm.call(ns, protocol.GetNamesrvConfig, nil, nil)
		if err != nil {
			return err
		}
		props, err := conf.ParseProperties(resp.Body)
		if err != nil {
			return err
		}
		props = propertiesOrder(props)
		c.printf("============%s============\n", ns)
		for _, p := range props {
			c.printf("%-50s=  %s\n", p.Key, p.Value)
		}
	}
	return nil
}

func updateNamesrvConfig(c *ctx) error {
	body := conf.FormatProperties([]conf.Property{{Key: c.get("k"), Value: c.get("v")}})
	if err := c.adm.eachNS(protocol.UpdateNamesrvConfig, nil, body); err != nil {
		return err
	}
	c.printf("update name server config success!%s\n%s : %s\n", "["+strings.Join(c.adm.ns, ", ")+"]", c.get("k"), c.get("v"))
	return nil
}
