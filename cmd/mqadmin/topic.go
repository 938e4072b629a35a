package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// Topic commands (admin-protocol.md §2.1).

func init() {
	register(&command{name: "updateTopic", desc: "Update or create topic", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, group: true, desc: "create topic to which broker"},
		{short: "c", long: "clusterName", hasArg: true, group: true, desc: "create topic to which cluster"},
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "r", long: "readQueueNums", hasArg: true, desc: "set read queue nums"},
		{short: "w", long: "writeQueueNums", hasArg: true, desc: "set write queue nums"},
		{short: "p", long: "perm", hasArg: true, desc: "set topic's permission(2|4|6), intro[2:W 4:R; 6:RW]"},
		{short: "o", long: "order", hasArg: true, desc: "set topic's order(true|false)"},
		{short: "u", long: "unit", hasArg: true, desc: "is unit topic (true|false)"},
		{short: "s", long: "hasUnitSub", hasArg: true, desc: "has unit sub (true|false)"},
	}, run: updateTopic})
	register(&command{name: "deleteTopic", desc: "Delete topic from broker and NameServer.", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "c", long: "clusterName", hasArg: true, required: true, desc: "delete topic from which cluster"},
	}, run: deleteTopic})
	register(&command{name: "topicRoute", desc: "Examine topic route info", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "l", long: "list", desc: "Use list format to print data"},
	}, run: topicRoute})
	register(&command{name: "topicStatus", desc: "Examine topic Status info", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
	}, run: topicStatus})
	register(&command{name: "topicClusterList", desc: "get cluster info for topic", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
	}, run: topicClusterList})
	register(&command{name: "topicList", desc: "Fetch all topic list from name server", opts: []option{
		{short: "c", long: "clusterModel", desc: "clusterModel"},
	}, run: topicList})
	register(&command{name: "updateOrderConf", desc: "Create or update or delete order conf", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "v", long: "orderConf", hasArg: true, desc: "set order conf [eg. brokerName1:num;brokerName2:num]"},
		{short: "m", long: "method", hasArg: true, required: true, desc: "option type [eg. put|get|delete"},
	}, run: updateOrderConf})
	register(&command{name: "allocateMQ", desc: "Allocate MQ", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "i", long: "ipList", hasArg: true, required: true, desc: "ipList"},
	}, run: allocateMQ})
}

const orderTopicConfigNS = "ORDER_TOPIC_CONFIG"

func atoi32(c *ctx, short string, def int32) (int32, error) {
	if !c.has(short) {
		return def, nil
	}
	v, err := strconv.ParseInt(c.get(short), 10, 32)
	if err != nil {
		return 0, numberError(c.get(short))
	}
	return int32(v), nil
}

func parseBoolOpt(c *ctx, short string) bool { return c.get(short) == "true" }

// topicConfigString is TopicConfig.toString.
func topicConfigString(t *protocol.TopicConfig) string {
	return fmt.Sprintf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, topicFilterType=%s, topicSysFlag=%d, order=%t]",
		t.TopicName, t.ReadQueueNums, t.WriteQueueNums, protocol.PermString(t.Perm), t.TopicFilterType, t.TopicSysFlag, t.Order)
}

func createTopicExt(t *protocol.TopicConfig) remoting.ExtFields {
	var ext remoting.ExtFields
	(&protocol.CreateTopicRequestHeader{Topic: t.TopicName, DefaultTopic: protocol.AutoCreateTopicKeyTopic,
		ReadQueueNums: t.ReadQueueNums, WriteQueueNums: t.WriteQueueNums, Perm: t.Perm,
		TopicFilterType: t.TopicFilterType, TopicSysFlag: t.TopicSysFlag, Order: t.Order}).Encode(&ext)
	return ext
}

func updateTopic(c *ctx) error {
	tc := protocol.TopicConfig{TopicName: c.get("t"), TopicFilterType: protocol.TopicFilterSingleTag}
	var err error
	if tc.ReadQueueNums, err = atoi32(c, "r", 8); err != nil {
		return err
	}
	if tc.WriteQueueNums, err = atoi32(c, "w", 8); err != nil {
		return err
	}
	if tc.Perm, err = atoi32(c, "p", protocol.PermRead|protocol.PermWrite); err != nil {
		return err
	}
	tc.TopicSysFlag = protocol.BuildTopicSysFlag(parseBoolOpt(c, "u"), parseBoolOpt(c, "s"))
	tc.Order = parseBoolOpt(c, "o")
	switch {
	case c.has("b"):
		addr := c.get("b")
		if _, err := c.adm.call(addr, protocol.UpdateAndCreateTopic, createTopicExt(&tc), nil); err != nil {
			return err
		}
		if tc.Order {
			brokerName, err := c.adm.brokerNameOf(addr)
			if err != nil {
				return err
			}
			conf := brokerName + ":" + strconv.Itoa(int(tc.WriteQueueNums))
			old, err := c.adm.getKV(orderTopicConfigNS, tc.TopicName)
			if err != nil {
				// Java prints the failed lookup (no entry yet, typically) and goes on.
				fmt.Fprintln(c.errOut, javaException(err))
			}
			merged := mergeOrderConf(old, conf)
			if err := c.adm.putKV(orderTopicConfigNS, tc.TopicName, merged); err != nil {
				return err
			}
			c.printf("set broker orderConf. isOrder=%t, orderConf=[%s]", tc.Order, conf)
		}
		c.printf("create topic to %s success.\n", addr)
		c.printf("%s", topicConfigString(&tc))
		return nil
	case c.has("c"):
		cluster := c.get("c")
		addrs, err := c.adm.masterAddrs(cluster)
		if err != nil {
			return err
		}
		for _, addr := range addrs {
			if _, err := c.adm.call(addr, protocol.UpdateAndCreateTopic, createTopicExt(&tc), nil); err != nil {
				return err
			}
			c.printf("create topic to %s success.\n", addr)
		}
		if tc.Order {
			ci, err := c.adm.clusterInfo()
			if err != nil {
				return err
			}
			names := javaSetOrder(ci.ClusterAddrTable[cluster])
			parts := make([]string, len(names))
			for i, n := range names {
				parts[i] = n + ":" + strconv.Itoa(int(tc.WriteQueueNums))
			}
			conf := strings.Join(parts, ";")
			if err := c.adm.putKV(orderTopicConfigNS, tc.TopicName, conf); err != nil {
				return err
			}
			c.printf("set cluster orderConf. isOrder=%t, orderConf=[%s]", tc.Order, conf)
		}
		c.printf("%s", topicConfigString(&tc))
		return nil
	}
	return errUsage
}

// mergeOrderConf replaces the entry's broker's part of an ORDER_TOPIC_CONFIG value as
// createOrUpdateOrderConf does: a HashMap by broker name, joined in its order.
func mergeOrderConf(old, entry string) string {
	var names []string
	byName := map[string]string{}
	for _, p := range append(strings.Split(old, ";"), entry) {
		if strings.TrimSpace(p) == "" {
			continue
		}
		name, _, _ := strings.Cut(p, ":")
		if _, ok := byName[name]; !ok {
			names = append(names, name)
		}
		byName[name] = p
	}
	parts := make([]string, 0, len(names))
	for _, n := range javaSetOrder(names) {
		parts = append(parts, byName[n])
	}
	return strings.Join(parts, ";")
}

func (a *admin) brokerNameOf(addr string) (string, error) {
	ci, err := a.clusterInfo()
	if err != nil {
		return "", err
	}
	for name, bd := range ci.BrokerAddrTable {
		for _, x := range bd.BrokerAddrs {
			if x == addr {
				return name, nil
			}
		}
	}
	return "", fmt.Errorf("broker %s is not registered in the name server", addr)
}

func deleteTopic(c *ctx) error {
	topic, cluster := c.get("t"), c.get("c")
	addrs, err := c.adm.masterAddrs(cluster)
	if err != nil {
		return err
	}
	for _, addr := range addrs {
		if _, err := c.adm.call(addr, protocol.DeleteTopicInBroker, kv("topic", topic), nil); err != nil {
			return err
		}
	}
	c.printf("delete topic [%s] from cluster [%s] success.\n", topic, cluster)
	for _, ns := range c.adm.ns {
		if _, err := c.adm.call(ns, protocol.DeleteTopicInNamesrv, kv("topic", topic, "clusterName", cluster), nil); err != nil {
			return err
		}
	}
	c.printf("delete topic [%s] from NameServer success.\n", topic)
	return nil
}

func topicRoute(c *ctx) error {
	r, err := c.adm.route(c.get("t"))
	if err != nil {
		return err
	}
	if !c.has("l") {
		c.printf("%s\n", prettyJSON(r.Marshal(false)))
		return nil
	}
	c.printf("%-45s %-32s %-50s %-10s %-11s %-5s\n", "#ClusterName", "#BrokerName", "#BrokerAddrs", "#ReadQueue", "#WriteQueue", "#Perm")
	bds := append([]protocol.BrokerData(nil), r.BrokerDatas...)
	sort.Slice(bds, func(i, j int) bool { return bds[i].BrokerName < bds[j].BrokerName })
	var rq, wq int32
	for _, bd := range bds {
		var qd protocol.QueueData
		for _, q := range r.QueueDatas {
			if q.BrokerName == bd.BrokerName {
				qd = q
			}
		}
		rq += qd.ReadQueueNums
		wq += qd.WriteQueueNums
		c.printf("%-45s %-32s %-50s %-10d %-11d %-5d\n", bd.Cluster, bd.BrokerName, javaMapText(bd.BrokerAddrs),
			qd.ReadQueueNums, qd.WriteQueueNums, qd.Perm)
	}
	c.printf("%s\n", strings.Repeat("-", 158))
	c.printf("%-45s %-32s %-50s %-10d %-11d %-5s\n", "Total:", strconv.Itoa(len(bds)), "", rq, wq, "")
	return nil
}

// javaMapText renders a map as Java's AbstractMap.toString ({0=a, 1=b}), ids ascending.
func javaMapText(m map[int64]string) string {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10) + "=" + m[id]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func topicStatus(c *ctx) error {
	topic := c.get("t")
	r, err := c.adm.route(topic)
	if err != nil {
		return err
	}
	all := map[protocol.MessageQueue]protocol.TopicOffset{}
	for i := range r.BrokerDatas {
		addr := selectAddr(&r.BrokerDatas[i])
		resp, err := c.adm.call(addr, protocol.GetTopicStatsInfo, kv("topic", topic), nil)
		if err != nil {
			return err
		}
		var st protocol.TopicStatsTable
		if err := st.Unmarshal(resp.Body); err != nil {
			return fmt.Errorf("topic stats from %s: %w", addr, err)
		}
		for mq, o := range st.OffsetTable {
			all[mq] = o
		}
	}
	if len(all) == 0 {
		return errors.New("Not found the topic stats info")
	}
	mqs := sortedMQs(all)
	c.printf("%-32s  %-4s  %-20s  %-20s    %s\n", "#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated")
	for _, mq := range mqs {
		o := all[mq]
		last := ""
		if o.LastUpdateTimestamp > 0 {
			last = timeHuman2(o.LastUpdateTimestamp)
		}
		c.printf("%-32s  %-4d  %-20d  %-20d    %s\n", trunc(mq.BrokerName, 32), mq.QueueID, o.MinOffset, o.MaxOffset, last)
	}
	return nil
}

// hashOrderMQs orders the queues as the HashMap<MessageQueue,…> Java's tool merged them into
// with one putAll per broker (batches: each broker's count) iterates them. The first putAll
// into the empty map sizes its table for that batch, not 16 bins: two queues land in 4 bins.
// Within a bin the merge order (queue order here) decides.
func hashOrderMQs[V any](m map[protocol.MessageQueue]V, batches []int) []protocol.MessageQueue {
	mqs := sortedMQs(m)
	bins := putAllBins(batches)
	out := make([]protocol.MessageQueue, len(mqs))
	for i, j := range javaHashSetPerm(len(mqs), func(i int) int32 { return mqHashCode(mqs[i]) }, bins) {
		out[i] = mqs[j]
	}
	return out
}

// putAllBins is the table size of a new HashMap after putAll of maps of these sizes in turn
// (HashMap.putMapEntries, then resize whenever the size passes three quarters).
func putAllBins(batches []int) uint32 {
	var n uint32
	size := 0
	for _, b := range batches {
		if b == 0 {
			continue
		}
		if n == 0 {
			n = 1
			for want := uint32(float32(b)/0.75 + 1); n < want; n <<= 1 {
			}
		} else if uint32(b) > n*3/4 {
			n <<= 1
		}
		for range b {
			size++
			if uint32(size) > n*3/4 {
				n <<= 1
			}
		}
	}
	return max(n, 1)
}

func sortedMQs[V any](m map[protocol.MessageQueue]V) []protocol.MessageQueue {
	out := make([]protocol.MessageQueue, 0, len(m))
	for mq := range m {
		out = append(out, mq)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Compare(out[j]) < 0 })
	return out
}

func topicClusterList(c *ctx) error {
	topic := c.get("t")
	ci, err := c.adm.clusterInfo()
	if err != nil {
		return err
	}
	r, err := c.adm.route(topic)
	if err != nil {
		return err
	}
	if len(r.BrokerDatas) == 0 {
		return nil
	}
	for _, cl := range clustersOf(ci, r.BrokerDatas[0].BrokerName) {
		c.printf("%s\n", cl)
	}
	return nil
}

func (a *admin) topicList() ([]string, error) {
	resp, err := a.nsCall(protocol.GetAllTopicListFromNameserver, nil, nil)
	if err != nil {
		return nil, err
	}
	var tl protocol.TopicList
	if err := tl.Unmarshal(resp.Body); err != nil {
		return nil, err
	}
	return tl.TopicList, nil
}

func topicList(c *ctx) error {
	topics, err := c.adm.topicList()
	if err != nil {
		return err
	}
	topics = javaSetOrder(topics)
	if !c.has("c") {
		for _, t := range topics {
			c.printf("%s\n", t)
		}
		return nil
	}
	ci, err := c.adm.clusterInfo()
	if err != nil {
		return err
	}
	c.printf("%-20s  %-48s  %-48s\n", "#Cluster Name", "#Topic", "#Consumer Group")
	for _, t := range topics {
		if protocol.IsRetryTopic(t) || protocol.IsDLQTopic(t) {
			continue
		}
		r, err := c.adm.route(t)
		if err != nil || len(r.BrokerDatas) == 0 {
			continue
		}
		cluster := clusterOf(ci, r.BrokerDatas[0].BrokerName)
		var groups []string
		if resp, err := c.adm.call(selectAddr(&r.BrokerDatas[0]), protocol.QueryTopicConsumeByWho, kv("topic", t), nil); err == nil {
			var gl protocol.GroupList
			if gl.Unmarshal(resp.Body) == nil {
				groups = javaSetOrder(gl.GroupList)
			}
		}
		if len(groups) == 0 {
			groups = []string{""}
		}
		for _, g := range groups {
			c.printf("%-20s  %-64s  %-64s\n", trunc(cluster, 20), trunc(t, 64), trunc(g, 64))
		}
	}
	return nil
}

func (a *admin) getKV(ns, key string) (string, error) {
	resp, err := a.nsCall(protocol.GetKvConfig, kv("namespace", ns, "key", key), nil)
	if err != nil {
		return "", err
	}
	return resp.ExtFields.Value("value"), nil
}

// putKV and deleteKV go to every NameServer, as Java's.
func (a *admin) putKV(ns, key, value string) error {
	return a.eachNS(protocol.PutKvConfig, kv("namespace", ns, "key", key, "value", value), nil)
}

func (a *admin) deleteKV(ns, key string) error {
	return a.eachNS(protocol.DeleteKvConfig, kv("namespace", ns, "key", key), nil)
}

func (a *admin) eachNS(code int32, ext remoting.ExtFields, body []byte) error {
	if len(a.ns) == 0 {
		return errors.New("no name server address: use -n or NAMESRV_ADDR")
	}
	var errs []error
	for _, ns := range a.ns {
		if _, err := a.call(ns, code, ext, body); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func updateOrderConf(c *ctx) error {
	topic, method := c.get("t"), c.get("m")
	switch method {
	case "get":
		v, err := c.adm.getKV(orderTopicConfigNS, topic)
		if err != nil {
			return err
		}
		c.printf("get orderConf success. topic=[%s], orderConf=[%s] ", topic, v)
	case "put":
		if !c.has("v") {
			return errors.New("please set orderConf with option -v.")
		}
		if err := c.adm.putKV(orderTopicConfigNS, topic, c.get("v")); err != nil {
			return err
		}
		c.printf("update orderConf success. topic=[%s], orderConf=[%s]", topic, c.get("v"))
	case "delete":
		if err := c.adm.deleteKV(orderTopicConfigNS, topic); err != nil {
			return err
		}
		c.printf("delete orderConf success. topic=[%s]", topic)
	default:
		return errUsage
	}
	return nil
}

// allocateMQ is AllocateMessageQueueAveragely over the readable queues in the order Java's
// HashSet of them iterates, for each client id, printed as fastjson writes the HashMap of ids.
func allocateMQ(c *ctx) error {
	r, err := c.adm.route(c.get("t"))
	if err != nil {
		return err
	}
	var mqs []protocol.MessageQueue
	for _, q := range r.QueueDatas {
		if protocol.IsReadable(q.Perm) {
			for i := int32(0); i < q.ReadQueueNums; i++ {
				mqs = append(mqs, protocol.MessageQueue{Topic: c.get("t"), BrokerName: q.BrokerName, QueueID: i})
			}
		}
	}
	perm := javaHashSetPerm(len(mqs), func(i int) int32 { return mqHashCode(mqs[i]) }, 0)
	ordered := make([]protocol.MessageQueue, len(mqs))
	for i, j := range perm {
		ordered[i] = mqs[j]
	}
	mqs = ordered
	ids := strings.Split(c.get("i"), ",")
	type entry struct {
		id  string
		mqs []protocol.MessageQueue
	}
	var result []entry
	for _, id := range ids {
		// cidAll.indexOf: a repeated id gets the first one's share.
		result = append(result, entry{id, allocateAveragely(mqs, len(ids), slices.Index(ids, id))})
	}
	byID := map[string]entry{}
	for _, e := range result {
		byID[e.id] = e
	}
	result = result[:0]
	for _, id := range javaSetOrder(ids) {
		result = append(result, byID[id])
	}
	// {"result":{"id":[{"brokerName":…,"queueId":…,"topic":…}]}}
	var sb strings.Builder
	sb.WriteString(`{"result":{`)
	for i, e := range result {
		if i > 0 {
			sb.WriteByte(',')
		}
		k, _ := json.Marshal(e.id)
		sb.Write(k)
		sb.WriteString(":[")
		for j, mq := range e.mqs {
			if j > 0 {
				sb.WriteByte(',')
			}
			b, _ := json.Marshal(map[string]any{"brokerName": mq.BrokerName, "queueId": mq.QueueID, "topic": mq.Topic})
			sb.Write(b)
		}
		sb.WriteByte(']')
	}
	sb.WriteString("}}")
	c.printf("%s\n", sb.String())
	return nil
}

func allocateAveragely(mqs []protocol.MessageQueue, clients, index int) []protocol.MessageQueue {
	n := len(mqs)
	if n == 0 || index >= clients {
		return nil
	}
	mod := n % clients
	size := 1
	if n > clients {
		size = n / clients
		if mod > 0 && index < mod {
			size++
		}
	}
	start := index * size
	if mod > 0 && index >= mod {
		start = index*size + mod
	}
	rng := min(size, n-start)
	var out []protocol.MessageQueue
	for i := 0; i < rng; i++ {
		out = append(out, mqs[(start+i)%n])
	}
	return out
}
