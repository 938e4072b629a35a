package main

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// Less used commands: skipAccumulatedMessage, cloneGroupOffset, producer, updateTopicPerm.

func init() {
	register(&command{name: "skipAccumulatedMessage", desc: "Skip all messages that are accumulated (not consumed) currently", opts: []option{
		{short: "g", long: "group", hasArg: true, required: true, desc: "set the consumer group"},
		{short: "t", long: "topic", hasArg: true, required: true, desc: "set the topic"},
		{short: "f", long: "force", hasArg: true, desc: "set the force rollback by timestamp switch[true|false]"},
	}, run: skipAccumulated})
	register(&command{name: "cloneGroupOffset", desc: "clone offset from other group.", opts: []option{
		{short: "s", long: "srcGroup", hasArg: true, required: true, desc: "set source consumer group"},
		{short: "d", long: "destGroup", hasArg: true, required: true, desc: "set destination consumer group"},
		{short: "t", long: "topic", hasArg: true, required: true, desc: "set the topic"},
		{short: "o", long: "offline", hasArg: true, desc: "the group or the topic is offline"},
	}, run: cloneGroupOffset})
	register(&command{name: "producer", desc: "Query producer's instances, connection, status, etc.", opts: []option{
		{short: "b", long: "broker", hasArg: true, required: true, desc: "broker address"},
	}, run: producerInfo})
	register(&command{name: "updateTopicPerm", desc: "Update topic perm", opts: []option{
		{short: "b", long: "brokerAddr", hasArg: true, desc: "create topic to which broker"},
		{short: "c", long: "clusterName", hasArg: true, desc: "create topic to which cluster"},
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "p", long: "perm", hasArg: true, required: true, desc: "set topic's permission(2|4|6), intro[2:W; 4:R; 6:RW]"},
	}, run: updateTopicPerm})
}

// skipAccumulated is resetOffsetByTime to the end of every queue, printing only the table.
func skipAccumulated(c *ctx) error {
	group, topic := c.get("g"), c.get("t")
	force := boolOpt(c, "f", true)
	r, err := c.adm.route(topic)
	if err != nil {
		return err
	}
	all, batches, offline, err := resetOnline(c, r, group, topic, -1, force, false)
	if err != nil {
		return err
	}
	if offline {
		return resetOfflineTable(c, r, group, topic, -1, force)
	}
	printResetTable(c, all, batches)
	return nil
}

func cloneGroupOffset(c *ctx) error {
	src, dst, topic := c.get("s"), c.get("d"), c.get("t")
	cs, err := c.adm.consumeStats(src, "")
	if err != nil {
		return err
	}
	r, err := c.adm.route(topic)
	if err != nil {
		return err
	}
	addrOf := map[string]string{}
	for i := range r.BrokerDatas {
		addrOf[r.BrokerDatas[i].BrokerName] = selectAddr(&r.BrokerDatas[i])
	}
	for _, mq := range sortedMQs(cs.OffsetTable) {
		w := cs.OffsetTable[mq]
		addr := addrOf[mq.BrokerName]
		if w.ConsumerOffset < 0 || addr == "" {
			continue
		}
		if _, err := c.adm.call(addr, protocol.UpdateConsumerOffset, kv("consumerGroup", dst, "topic", mq.Topic,
			"queueId", strconv.Itoa(int(mq.QueueID)), "commitOffset", strconv.FormatInt(w.ConsumerOffset, 10)), nil); err != nil {
			return err
		}
	}
	c.printf("clone group offset success. srcGroup[%s], destGroup=[%s], topic[%s]", src, dst, topic)
	return nil
}

func producerInfo(c *ctx) error {
	resp, err := c.adm.call(c.get("b"), protocol.GetAllProducerInfo, nil, nil)
	if err != nil {
		return err
	}
	var table struct {
		Data map[string][]struct {
			ClientID            string `json:"clientId"`
			RemoteIP            string `json:"remoteIP"`
			Language            string `json:"language"`
			Version             int32  `json:"version"`
			LastUpdateTimestamp int64  `json:"lastUpdateTimestamp"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &table); err != nil {
		return err
	}
	groups := make([]string, 0, len(table.Data))
	for g := range table.Data {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		if len(table.Data[g]) == 0 {
			c.printf("producer group (%s) instances are empty\n", g)
			continue
		}
		for _, p := range table.Data[g] {
			c.printf("producer group (%s) instance : clientId=%s,remoteIP=%s, language=%s, version=%d, lastUpdateTimestamp=%d\n",
				g, p.ClientID, p.RemoteIP, p.Language, p.Version, p.LastUpdateTimestamp)
		}
	}
	return nil
}

func updateTopicPerm(c *ctx) error {
	topic := c.get("t")
	perm, err := atoi32(c, "p", 0)
	if err != nil {
		return err
	}
	r, err := c.adm.route(topic)
	if err != nil {
		return err
	}
	if len(r.QueueDatas) == 0 {
		return &codeError{code: protocol.TopicNotExist, remark: "no queue data for topic " + topic}
	}
	q := r.QueueDatas[0]
	tc := protocol.TopicConfig{TopicName: topic, ReadQueueNums: q.ReadQueueNums, WriteQueueNums: q.WriteQueueNums,
		TopicSysFlag: q.TopicSysFlag, Perm: perm, TopicFilterType: protocol.TopicFilterSingleTag}
	switch {
	case c.has("b"):
		addr := c.get("b")
		var old *protocol.QueueData
		for i := range r.BrokerDatas {
			if r.BrokerDatas[i].BrokerAddrs[0] == addr {
				for j := range r.QueueDatas {
					if r.QueueDatas[j].BrokerName == r.BrokerDatas[i].BrokerName {
						old = &r.QueueDatas[j]
					}
				}
			}
		}
		if old == nil {
			c.printf("updateTopicPerm error broker not exit or broker is not master!.\n")
			return nil
		}
		if old.Perm == perm {
			c.printf("new perm equals to the old one!\n")
			return nil
		}
		if _, err := c.adm.call(addr, protocol.UpdateAndCreateTopic, createTopicExt(&tc), nil); err != nil {
			return err
		}
		c.printf("update topic perm from %d to %d in %s success.\n", old.Perm, perm, addr)
		c.printf("%s.\n", topicConfigString(&tc))
		return nil
	case c.has("c"):
		addrs, err := c.adm.masterAddrs(c.get("c"))
		if err != nil {
			return err
		}
		for _, addr := range addrs {
			if _, err := c.adm.call(addr, protocol.UpdateAndCreateTopic, createTopicExt(&tc), nil); err != nil {
				return err
			}
			c.printf("update topic perm from %d to %d in %s success.\n", q.Perm, perm, addr)
		}
		return nil
	}
	return errUsage
}
