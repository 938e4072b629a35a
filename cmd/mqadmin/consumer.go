package main

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// Consumer, producer and offset commands (admin-protocol.md §2.3, §2.5).

func init() {
	register(&command{name: "updateSubGroup", desc: "Update or create subscription group", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "create subscription group to which broker"},
		{short: "c", long: "clusterName", hasArg: true, desc: "create subscription group to which cluster"},
		{short: "g", long: "groupName", hasArg: true, required: true, desc: "consumer group name"},
		{short: "s", long: "consumeEnable", hasArg: true, desc: "consume enable"},
		{short: "m", long: "consumeFromMinEnable", hasArg: true, desc: "from min offset"},
		{short: "d", long: "consumeBroadcastEnable", hasArg: true, desc: "broadcast"},
		{short: "q", long: "retryQueueNums", hasArg: true, desc: "retry queue nums"},
		{short: "r", long: "retryMaxTimes", hasArg: true, desc: "retry max times"},
		{short: "i", long: "brokerId", hasArg: true, desc: "consumer from which broker id"},
		{short: "w", long: "whichBrokerWhenConsumeSlowly", hasArg: true, desc: "which broker id when consume slowly"},
		{short: "a", long: "notifyConsumerIdsChanged", hasArg: true, desc: "notify consumerId changed"},
	}, run: updateSubGroup})
	register(&command{name: "deleteSubGroup", desc: "Delete subscription group from broker.", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "delete subscription group from which broker"},
		{short: "c", long: "clusterName", hasArg: true, desc: "delete subscription group from which cluster"},
		{short: "g", long: "groupName", hasArg: true, required: true, desc: "subscription group name"},
		{short: "r", long: "removeOffset", hasArg: true, desc: "remove offset"},
	}, run: deleteSubGroup})
	register(&command{name: "consumerProgress", desc: "Query consumers's progress, speed", opts: []option{
		{short: "g", long: "groupName", hasArg: true, desc: "consumer group name"},
		{short: "s", long: "showClientIP", hasArg: true, desc: "Show Client IP per Queue"},
	}, run: consumerProgress})
	register(&command{name: "consumerConnection", desc: "Query consumer's socket connection, client version and subscription", opts: []option{
		{short: "g", long: "consumerGroup", hasArg: true, required: true, desc: "consumer group name"},
		{short: "b", long: "brokerAddr", hasArg: true, desc: "broker address"},
	}, run: consumerConnection})
	register(&command{name: "producerConnection", desc: "Query producer's socket connection and client version", opts: []option{
		{short: "g", long: "producerGroup", hasArg: true, required: true, desc: "producer group name"},
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
	}, run: producerConnection})
	register(&command{name: "getConsumerConfig", desc: "Get consumer config by subscription group name!", opts: []option{
		{short: "g", long: "groupName", hasArg: true, required: true, desc: "subscription group name"},
	}, run: getConsumerConfig})
	register(&command{name: "brokerConsumeStats", desc: "Fetch broker consume stats data", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, required: true, desc: "Broker address"},
		{short: "t", long: "timeoutMillis", hasArg: true, desc: "request timeout Millis"},
		{short: "l", long: "level", hasArg: true, desc: "threshold of print diff"},
		{short: "o", long: "order", hasArg: true, desc: "order topic"},
	}, run: brokerConsumeStats})
	register(&command{name: "resetOffsetByTime", desc: "Reset consumer offset by timestamp(without client restart).", opts: []option{
		{short: "g", long: "group", hasArg: true, required: true, desc: "set the consumer group"},
		{short: "t", long: "topic", hasArg: true, required: true, desc: "set the topic"},
		{short: "s", long: "timestamp", hasArg: true, required: true, desc: "set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
		{short: "f", long: "force", hasArg: true, desc: "set the force rollback by timestamp switch[true|false]"},
		{short: "c", long: "cplus", desc: "reset c++ client offset"},
	}, run: resetOffsetByTime})
}

func boolOpt(c *ctx, short string, def bool) bool {
	if !c.has(short) {
		return def
	}
	return c.get(short) == "true"
}

func i64Opt(c *ctx, short string, def int64) (int64, error) {
	if !c.has(short) {
		return def, nil
	}
	v, err := strconv.ParseInt(c.get(short), 10, 64)
	if err != nil {
		return 0, numberError(c.get(short))
	}
	return v, nil
}

// groupConfigString is SubscriptionGroupConfig.toString.
func groupConfigString(g *protocol.SubscriptionGroupConfig) string {
	return fmt.Sprintf("SubscriptionGroupConfig [groupName=%s, consumeEnable=%t, consumeFromMinEnable=%t, consumeBroadcastEnable=%t, "+
		"retryQueueNums=%d, retryMaxTimes=%d, brokerId=%d, whichBrokerWhenConsumeSlowly=%d, notifyConsumerIdsChangedEnable=%t]",
		g.GroupName, g.ConsumeEnable, g.ConsumeFromMinEnable, g.ConsumeBroadcastEnable, g.RetryQueueNums, g.RetryMaxTimes,
		g.BrokerID, g.WhichBrokerWhenConsumeSlowly, g.NotifyConsumerIdsChangedEnable)
}

func updateSubGroup(c *ctx) error {
	g := protocol.NewSubscriptionGroupConfig(c.get("g"))
	g.ConsumeBroadcastEnable, g.ConsumeFromMinEnable = false, false
	g.ConsumeEnable = boolOpt(c, "s", g.ConsumeEnable)
	g.ConsumeFromMinEnable = boolOpt(c, "m", false)
	g.ConsumeBroadcastEnable = boolOpt(c, "d", false)
	g.NotifyConsumerIdsChangedEnable = boolOpt(c, "a", g.NotifyConsumerIdsChangedEnable)
	var err error
	var v int64
	if v, err = i64Opt(c, "q", int64(g.RetryQueueNums)); err != nil {
		return err
	}
	g.RetryQueueNums = int32(v)
	if v, err = i64Opt(c, "r", int64(g.RetryMaxTimes)); err != nil {
		return err
	}
	g.RetryMaxTimes = int32(v)
	if g.BrokerID, err = i64Opt(c, "i", g.BrokerID); err != nil {
		return err
	}
	if g.WhichBrokerWhenConsumeSlowly, err = i64Opt(c, "w", g.WhichBrokerWhenConsumeSlowly); err != nil {
		return err
	}
	body := g.Marshal()
	switch {
	case c.has("b"):
		if _, err := c.adm.call(c.get("b"), protocol.UpdateAndCreateSubscriptiongroup, nil, body); err != nil {
			return err
		}
		c.printf("create subscription group to %s success.\n", c.get("b"))
		c.printf("%s", groupConfigString(g))
		return nil
	case c.has("c"):
		addrs, err := c.adm.masterAddrs(c.get("c"))
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if _, err := c.adm.call(a, protocol.UpdateAndCreateSubscriptiongroup, nil, body); err != nil {
				return err
			}
			c.printf("create subscription group to %s success.\n", a)
		}
		c.printf("%s", groupConfigString(g))
		return nil
	}
	return errUsage
}

func deleteSubGroup(c *ctx) error {
	group := c.get("g")
	ext := kv("groupName", group, "removeOffset", strconv.FormatBool(boolOpt(c, "r", false)))
	switch {
	case c.has("b"):
		if _, err := c.adm.call(c.get("b"), protocol.DeleteSubscriptiongroup, ext, nil); err != nil {
			return err
		}
		c.printf("delete subscription group [%s] from broker [%s] success.\n", group, c.get("b"))
		return nil
	case c.has("c"):
		cluster := c.get("c")
		addrs, err := c.adm.masterAddrs(cluster)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if _, err := c.adm.call(a, protocol.DeleteSubscriptiongroup, ext, nil); err != nil {
				return err
			}
			c.printf("delete subscription group [%s] from broker [%s] in cluster [%s] success.\n", group, a, cluster)
		}
		var errs []error
		for _, t := range []string{protocol.RetryTopic(group), protocol.DLQTopic(group)} {
			sub := &ctx{cmd: c.cmd, vals: map[string]string{"t": t, "c": cluster}, out: c.out, errOut: c.errOut, adm: c.adm}
			if err := deleteTopic(sub); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	return errUsage
}

// consumeStats is examineConsumeStats(group): the %RETRY% route, then 208 to each broker.
func (a *admin) consumeStats(group, topic string) (*protocol.ConsumeStats, error) {
	r, err := a.route(protocol.RetryTopic(group))
	if err != nil {
		return nil, err
	}
	ext := kv("consumerGroup", group)
	if topic != "" {
		ext = kv("consumerGroup", group, "topic", topic)
	}
	all := &protocol.ConsumeStats{OffsetTable: map[protocol.MessageQueue]protocol.OffsetWrapper{}}
	for i := range r.BrokerDatas {
		addr := selectAddr(&r.BrokerDatas[i])
		resp, err := a.callTimeout(addr, protocol.GetConsumeStats, ext, nil, 3*a.timeout)
		if err != nil {
			return nil, err
		}
		var cs protocol.ConsumeStats
		if err := cs.Unmarshal(resp.Body); err != nil {
			return nil, fmt.Errorf("consume stats from %s: %w", addr, err)
		}
		for mq, w := range cs.OffsetTable {
			all.OffsetTable[mq] = w
		}
		all.ConsumeTps += cs.ConsumeTps
	}
	if len(all.OffsetTable) == 0 {
		return nil, &codeError{code: protocol.ConsumerNotOnline, remark: "Not found the consumer group consume stats, because return offset table is empty, maybe the consumer not consume any message"}
	}
	return all, nil
}

// consumerConnection is examineConsumerConnectionInfo: 203 to -b or a random broker of the
// group's retry route.
func (a *admin) consumerConnection(group, addr string) (*protocol.ConsumerConnection, error) {
	if addr == "" {
		r, err := a.route(protocol.RetryTopic(group))
		if err != nil {
			return nil, err
		}
		if len(r.BrokerDatas) == 0 {
			return nil, &codeError{code: protocol.ConsumerNotOnline, remark: "Not found the consumer group connection"}
		}
		addr = selectAddr(&r.BrokerDatas[rand.IntN(len(r.BrokerDatas))])
	}
	resp, err := a.call(addr, protocol.GetConsumerConnectionList, kv("consumerGroup", group), nil)
	if err != nil {
		return nil, err
	}
	var cc protocol.ConsumerConnection
	if err := cc.Unmarshal(resp.Body); err != nil {
		return nil, err
	}
	if len(cc.ConnectionSet) == 0 {
		return nil, &codeError{code: protocol.ConsumerNotOnline, remark: "Not found the consumer group connection"}
	}
	return &cc, nil
}

func consumerProgress(c *ctx) error {
	if !c.has("g") {
		return consumerProgressAll(c)
	}
	group := c.get("g")
	cs, err := c.adm.consumeStats(group, "")
	if err != nil {
		return err
	}
	showIP := c.get("s") == "true"
	clientOf := map[protocol.MessageQueue]string{}
	if showIP {
		clientOf = c.adm.queueClients(group)
	}
	mqs := sortedMQs(cs.OffsetTable)
	if showIP {
		c.printf("%-64s  %-32s  %-4s  %-20s  %-20s  %-20s %-20s  %s\n", "#Topic", "#Broker Name", "#QID", "#Broker Offset",
			"#Consumer Offset", "#Client IP", "#Diff", "#LastTime")
	} else {
		c.printf("%-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n", "#Topic", "#Broker Name", "#QID", "#Broker Offset",
			"#Consumer Offset", "#Diff", "#LastTime")
	}
	var total int64
	for _, mq := range mqs {
		w := cs.OffsetTable[mq]
		diff := w.BrokerOffset - w.ConsumerOffset
		total += diff
		last := "N/A"
		if w.LastTimestamp != 0 {
			last = timeYMDHMS(w.LastTimestamp)
		}
		if showIP {
			ip, ok := clientOf[mq]
			if !ok {
				ip = "N/A"
			}
			c.printf("%-64s  %-32s  %-4d  %-20d  %-20d  %-20s %-20d  %s\n", trunc(mq.Topic, 64), trunc(mq.BrokerName, 32),
				mq.QueueID, w.BrokerOffset, w.ConsumerOffset, ip, diff, last)
		} else {
			c.printf("%-64s  %-32s  %-4d  %-20d  %-20d  %-20d  %s\n", trunc(mq.Topic, 64), trunc(mq.BrokerName, 32),
				mq.QueueID, w.BrokerOffset, w.ConsumerOffset, diff, last)
		}
	}
	c.printf("\n")
	c.printf("Consume TPS: %.2f\n", cs.ConsumeTps)
	c.printf("Diff Total: %d\n", total)
	return nil
}

// queueClients is getMessageQueueAllocationResult: each queue mapped to the IP of the client
// whose running info holds it; a failure stops there and keeps what was found (Java ignores it).
func (a *admin) queueClients(group string) map[protocol.MessageQueue]string {
	out := map[protocol.MessageQueue]string{}
	cc, err := a.consumerConnection(group, "")
	if err != nil {
		return out
	}
	for _, conn := range cc.ConnectionSet {
		ri, err := a.runningInfo(group, conn.ClientID, false)
		if err != nil || ri == nil {
			return out
		}
		ip, _, _ := strings.Cut(conn.ClientID, "@")
		for _, e := range ri.mqs {
			out[e.mq] = ip
		}
	}
	return out
}

func consumerProgressAll(c *ctx) error {
	topics, err := c.adm.topicList()
	if err != nil {
		return err
	}
	sort.Strings(topics)
	c.printf("%-64s  %-6s  %-24s %-5s  %-14s  %-7s  %s\n", "#Group", "#Count", "#Version", "#Type", "#Model", "#TPS", "#Diff Total")
	for _, t := range topics {
		group, ok := strings.CutPrefix(t, protocol.RetryGroupTopicPrefix)
		if !ok {
			continue
		}
		var diff int64
		var tps float64
		if cs, err := c.adm.consumeStats(group, ""); err == nil {
			diff = cs.ComputeTotalDiff()
			tps = cs.ConsumeTps
		}
		count, version, typ, model := 0, "OFFLINE", "", ""
		if cc, err := c.adm.consumerConnection(group, ""); err == nil {
			count = len(cc.ConnectionSet)
			minV := int32(1 << 30)
			for _, conn := range cc.ConnectionSet {
				minV = min(minV, conn.Version)
			}
			version = protocol.VersionDesc(minV)
			if cc.ConsumeType == protocol.ConsumeActively {
				typ = "PULL"
			} else {
				typ, model = "PUSH", cc.MessageModel
			}
		}
		c.printf("%-64s  %-6d  %-24s %-5s  %-14s  %-7d  %d\n", trunc(group, 64), count, version, typ, model, int64(tps), diff)
	}
	return nil
}

func consumerConnection(c *ctx) error {
	cc, err := c.adm.consumerConnection(c.get("g"), c.get("b"))
	if err != nil {
		return err
	}
	conns := append([]protocol.Connection(nil), cc.ConnectionSet...)
	sort.Slice(conns, func(i, j int) bool { return conns[i].ClientID < conns[j].ClientID })
	c.printf("%-36s %-22s %-10s %s\n", "#ClientId", "#ClientAddr", "#Language", "#Version")
	for _, conn := range conns {
		c.printf("%-36s %-22s %-10s %s\n", conn.ClientID, conn.ClientAddr, conn.Language, protocol.VersionDesc(conn.Version))
	}
	c.printf("\nBelow is subscription:\n")
	c.printf("%-20s %s\n", "#Topic", "#SubExpression")
	topics := make([]string, 0, len(cc.SubscriptionTable))
	for t := range cc.SubscriptionTable {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, t := range javaHashOrder(topics) {
		c.printf("%-20s %s\n", t, cc.SubscriptionTable[t].SubString)
	}
	c.printf("\n")
	c.printf("ConsumeType: %s\n", cc.ConsumeType)
	c.printf("MessageModel: %s\n", cc.MessageModel)
	c.printf("ConsumeFromWhere: %s\n", cc.ConsumeFromWhere)
	return nil
}

func producerConnection(c *ctx) error {
	r, err := c.adm.route(c.get("t"))
	if err != nil {
		return err
	}
	if len(r.BrokerDatas) == 0 {
		return errors.New("Not found the producer group connection")
	}
	addr := selectAddr(&r.BrokerDatas[rand.IntN(len(r.BrokerDatas))])
	resp, err := c.adm.call(addr, protocol.GetProducerConnectionList, kv("producerGroup", c.get("g")), nil)
	if err != nil {
		return err
	}
	var pc protocol.ProducerConnection
	if err := pc.Unmarshal(resp.Body); err != nil {
		return err
	}
	if len(pc.ConnectionSet) == 0 {
		return errors.New("Not found the producer group connection")
	}
	for i, conn := range pc.ConnectionSet {
		c.printf("%04d  %-32s %-22s %-8s %s\n", i+1, conn.ClientID, conn.ClientAddr, conn.Language, protocol.VersionDesc(conn.Version))
	}
	return nil
}

func getConsumerConfig(c *ctx) error {
	group := c.get("g")
	ci, err := c.adm.clusterInfo()
	if err != nil {
		return err
	}
	// Java walks the broker table (a HashMap by broker name), names each broker's cluster,
	// asks its master for the group's config, and prints only when every broker answered.
	names := make([]string, 0, len(ci.BrokerAddrTable))
	for n := range ci.BrokerAddrTable {
		names = append(names, n)
	}
	type found struct {
		cluster, broker string
		g               *protocol.SubscriptionGroupConfig
	}
	var all []found
	for _, n := range javaHashOrder(names) {
		cluster := clusterOf(ci, n)
		if cluster == "" {
			cluster = "null"
		}
		resp, err := c.adm.call(selectAddr(ci.BrokerAddrTable[n]), protocol.GetAllSubscriptiongroupConfig, nil, nil)
		if err != nil {
			return err
		}
		var w protocol.SubscriptionGroupWrapper
		if err := w.Unmarshal(resp.Body); err != nil {
			return err
		}
		if g := w.SubscriptionGroupTable[group]; g != nil {
			all = append(all, found{cluster, n, g})
		}
	}
	for _, f := range all {
		g := f.g
		c.printf("=============================%s:%s=============================\n", f.cluster, f.broker)
		// SubscriptionGroupConfig's declared fields, in declaration order.
		for _, kv := range []struct {
			k string
			v any
		}{{"groupName", g.GroupName}, {"consumeEnable", g.ConsumeEnable}, {"consumeFromMinEnable", g.ConsumeFromMinEnable},
			{"consumeBroadcastEnable", g.ConsumeBroadcastEnable}, {"retryQueueNums", g.RetryQueueNums},
			{"retryMaxTimes", g.RetryMaxTimes}, {"brokerId", g.BrokerID},
			{"whichBrokerWhenConsumeSlowly", g.WhichBrokerWhenConsumeSlowly},
			{"notifyConsumerIdsChangedEnable", g.NotifyConsumerIdsChangedEnable}} {
			c.printf("%-40s=  %v\n", kv.k, kv.v)
		}
	}
	return nil
}

func brokerConsumeStats(c *ctx) error {
	timeout, err := i64Opt(c, "t", 50000)
	if err != nil {
		return err
	}
	level, err := i64Opt(c, "l", 0)
	if err != nil {
		return err
	}
	resp, err := c.adm.callTimeout(c.get("b"), protocol.GetBrokerConsumeStats,
		kv("isOrder", strconv.FormatBool(boolOpt(c, "o", false))), nil, time.Duration(timeout)*time.Millisecond)
	if err != nil {
		return err
	}
	var list protocol.ConsumeStatsList
	if err := list.Unmarshal(resp.Body); err != nil {
		return err
	}
	c.printf("%-64s  %-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n", "#Topic", "#Group", "#Broker Name", "#QID",
		"#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime")
	for _, m := range list.ConsumeStatsList {
		groups := make([]string, 0, len(m))
		for g := range m {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		for _, g := range groups {
			for _, cs := range m[g] {
				for _, mq := range sortedMQs(cs.OffsetTable) {
					w := cs.OffsetTable[mq]
					diff := w.BrokerOffset - w.ConsumerOffset
					if diff < level || w.LastTimestamp <= 0 {
						continue
					}
					c.printf("%-64s  %-64s  %-32s  %-4d  %-20d  %-20d  %-20d  %s\n", mq.Topic, g, mq.BrokerName, mq.QueueID,
						w.BrokerOffset, w.ConsumerOffset, diff, timeYMDHMS(w.LastTimestamp))
				}
			}
		}
	}
	c.printf("\nDiff Total: %d\n", list.TotalDiff)
	return nil
}

// parseTimestamp accepts now, milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS (local time).
func parseTimestamp(s string) (int64, error) {
	if s == "now" {
		return -1, nil
	}
	if v, ok := parseMillisOrDate(s); ok {
		return v, nil
	}
	return 0, fmt.Errorf("bad timestamp %q: use now, milliseconds or yyyy-MM-dd#HH:mm:ss:SSS", s)
}

// parseMillisOrDate reads the two timestamp forms the Java tools take: milliseconds, or
// yyyy-MM-dd#HH:mm:ss:SSS in local time.
func parseMillisOrDate(s string) (int64, bool) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	t, err := time.ParseInLocation("2006-01-02#15:04:05:000", s, time.Local)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

func resetOffsetByTime(c *ctx) error {
	group, topic, tsText := c.get("g"), c.get("t"), c.get("s")
	ts, err := parseTimestamp(tsText)
	if err != nil {
		return err
	}
	force := boolOpt(c, "f", true)
	r, err := c.adm.route(topic)
	if err != nil {
		return err
	}
	all, batches, offline, err := resetOnline(c, r, group, topic, ts, force, c.has("c"))
	if err != nil {
		return err
	}
	if offline {
		return resetOffline(c, r, group, topic, tsText, ts, force)
	}
	c.printf("rollback consumer offset by specified group[%s], topic[%s], force[%t], timestamp(string)[%s], timestamp(long)[%d]\n",
		group, topic, force, tsText, ts)
	printResetTable(c, all, batches)
	return nil
}

// resetOnline is resetOffsetByTimestamp: each broker of the route has the group's live clients
// reset to ts (222) and answers the offsets it set. offline reports a broker that found no
// client online, where Java falls back to writing the offsets itself; cpp asks as a C++ client.
func resetOnline(c *ctx, r *protocol.TopicRouteData, group, topic string, ts int64, force, cpp bool) (
	all map[protocol.MessageQueue]int64, batches []int, offline bool, err error) {
	all = map[protocol.MessageQueue]int64{}
	for i := range r.BrokerDatas {
		req := remoting.NewRequest(protocol.InvokeBrokerToResetOffset,
			kv("topic", topic, "group", group, "timestamp", strconv.FormatInt(ts, 10), "isForce", strconv.FormatBool(force)), nil)
		if cpp {
			req.Language = remoting.LangCPP
		}
		addr := selectAddr(&r.BrokerDatas[i])
		resp, err := c.adm.cli.Invoke(addr, req, c.adm.timeout)
		if err != nil {
			return nil, nil, false, transportError(req.Code, addr, c.adm.timeout, err)
		}
		if resp.Code == protocol.ConsumerNotOnline {
			return nil, nil, true, nil
		}
		if resp.Code != protocol.Success {
			return nil, nil, false, &codeError{code: resp.Code, remark: resp.Remark}
		}
		var body protocol.ResetOffsetBody
		if err := body.Unmarshal(resp.Body); err != nil {
			return nil, nil, false, err
		}
		for mq, off := range body.OffsetTable {
			all[mq] = off
		}
		batches = append(batches, len(body.OffsetTable))
	}
	return all, batches, false, nil
}

// printResetTable prints what resetOnline gathered in the order Java's HashMap iterates it.
func printResetTable(c *ctx, all map[protocol.MessageQueue]int64, batches []int) {
	c.printf("%-40s  %-40s  %-40s\n", "#brokerName", "#queueId", "#offset")
	for _, mq := range hashOrderMQs(all, batches) {
		c.printf("%-40s  %-40d  %-40d\n", trunc(mq.BrokerName, 32), mq.QueueID, all[mq])
	}
}

// resetOffline is resetOffsetByTimestampOld: with no live consumer, write the offsets.
func resetOffline(c *ctx, r *protocol.TopicRouteData, group, topic, tsText string, ts int64, force bool) error {
	c.printf("rollback consumer offset by specified consumerGroup[%s], topic[%s], force[%t], timestamp(string)[%s], timestamp(long)[%d]\n",
		group, topic, force, tsText, ts)
	return resetOfflineTable(c, r, group, topic, ts, force)
}

// resetOfflineTable writes the offsets itself and prints the six-column table.
func resetOfflineTable(c *ctx, r *protocol.TopicRouteData, group, topic string, ts int64, force bool) error {
	c.printf("%-20s  %-20s  %-20s  %-20s  %-20s  %-20s\n", "#brokerName", "#queueId", "#brokerOffset", "#consumerOffset",
		"#timestampOffset", "#rollbackOffset")
	for i := range r.BrokerDatas {
		addr := selectAddr(&r.BrokerDatas[i])
		resp, err := c.adm.callTimeout(addr, protocol.GetConsumeStats, kv("consumerGroup", group, "topic", topic), nil, 3*c.adm.timeout)
		if err != nil {
			return err
		}
		var cs protocol.ConsumeStats
		if err := cs.Unmarshal(resp.Body); err != nil {
			return err
		}
		for _, mq := range sortedMQs(cs.OffsetTable) {
			w := cs.OffsetTable[mq]
			var target int64
			ext := kv("topic", topic, "queueId", strconv.Itoa(int(mq.QueueID)))
			if ts == -1 {
				resp, err = c.adm.call(addr, protocol.GetMaxOffset, ext, nil)
			} else {
				resp, err = c.adm.call(addr, protocol.SearchOffsetByTimestamp,
					kv("topic", topic, "queueId", strconv.Itoa(int(mq.QueueID)), "timestamp", strconv.FormatInt(ts, 10)), nil)
			}
			if err != nil {
				return err
			}
			target = parseI64(resp.ExtFields.Value("offset"))
			rollback := w.ConsumerOffset
			if force || target <= w.ConsumerOffset {
				rollback = target
				if _, err := c.adm.call(addr, protocol.UpdateConsumerOffset, kv("consumerGroup", group, "topic", topic,
					"queueId", strconv.Itoa(int(mq.QueueID)), "commitOffset", strconv.FormatInt(target, 10)), nil); err != nil {
					return err
				}
			}
			c.printf("%-20s  %-20d  %-20d  %-20d  %-20d  %-20d\n", mq.BrokerName, mq.QueueID, w.BrokerOffset, w.ConsumerOffset,
				target, rollback)
		}
	}
	return nil
}

// javaHashOrder orders keys as a default-sized Java HashMap/ConcurrentHashMap iterates them
// (bucket of the spread String.hashCode; the sorted input decides ties), which is the order
// the Java tool prints maps it decoded.
func javaHashOrder(keys []string) []string {
	ext := make(remoting.ExtFields, len(keys))
	for i, k := range keys {
		ext[i] = remoting.Field{Key: k}
	}
	protocol.SortJavaOrder(ext)
	out := make([]string, len(ext))
	for i, f := range ext {
		out[i] = f.Key
	}
	return out
}

// javaHashSetPerm is the order a java.util.HashSet/HashMap iterates n elements added in index
// order, given each one's hashCode: bins of the spread hash in index order, a bin in insertion
// order (HashMap's resize keeps that order). bins is the final table size; 0 means a default
// map's: 16 bins, doubled whenever the size passes three quarters of it.
func javaHashSetPerm(n int, hash func(i int) int32, bins uint32) []int {
	if bins == 0 {
		bins = 16
		for uint32(n) > bins*3/4 {
			bins <<= 1
		}
	}
	perm := make([]int, n)
	bin := make([]uint32, n)
	for i := range perm {
		perm[i] = i
		h := uint32(hash(i))
		bin[i] = (h ^ h>>16) & (bins - 1)
	}
	slices.SortStableFunc(perm, func(a, b int) int { return cmp.Compare(bin[a], bin[b]) })
	return perm
}

// javaSetOrder is javaHashSetPerm for strings decoded into a HashSet in this order (fastjson
// decodes TopicList's and GroupList's sets so); repeated strings keep their first place.
func javaSetOrder(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	uniq := make([]string, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, k)
		}
	}
	out := make([]string, len(uniq))
	for i, j := range javaHashSetPerm(len(uniq), func(i int) int32 { return protocol.JavaHashCode(uniq[i]) }, 0) {
		out[i] = uniq[j]
	}
	return out
}

// mqHashCode is MessageQueue.hashCode.
func mqHashCode(mq protocol.MessageQueue) int32 {
	h := int32(1)
	h = 31*h + protocol.JavaHashCode(mq.BrokerName)
	h = 31*h + mq.QueueID
	return 31*h + protocol.JavaHashCode(mq.Topic)
}
