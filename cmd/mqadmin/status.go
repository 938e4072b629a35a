package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/remoting/protocol"
)

// consumerStatus (admin-protocol.md §2.3): each client's ConsumerRunningInfo, fetched through
// the broker (307). Java writes ConsumerRunningInfo.formatString() per client; we write the
// running info as indented JSON (same content, different text) and print the same table and
// subscription analysis.

func init() {
	register(&command{name: "consumerStatus", desc: "Query consumer's internal data structure", opts: []option{
		{short: "g", long: "consumerGroup", hasArg: true, required: true, desc: "consumer group name"},
		{short: "i", long: "clientId", hasArg: true, desc: "The consumer's client id"},
		{short: "b", long: "brokerAddr", hasArg: true, desc: "broker address"},
		{short: "s", long: "jstack", desc: "Run jstack command in the consumer progress"},
	}, run: consumerStatus})
}

type runningInfo struct {
	Properties      map[string]string `json:"properties"`
	SubscriptionSet []struct {
		Topic     string `json:"topic"`
		SubString string `json:"subString"`
	} `json:"subscriptionSet"`
}

func (a *admin) runningInfo(addr, group, clientID string, jstack bool) ([]byte, error) {
	resp, err := a.callTimeout(addr, protocol.GetConsumerRunningInfo,
		kv("consumerGroup", group, "clientId", clientID, "jstackEnable", strconv.FormatBool(jstack)), nil, 3*a.timeout)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

func consumerStatus(c *ctx) error {
	group := c.get("g")
	cc, err := c.adm.consumerConnection(group, c.get("b"))
	if err != nil {
		return err
	}
	addr := c.get("b")
	if addr == "" {
		r, err := c.adm.route(protocol.RetryTopic(group))
		if err != nil {
			return err
		}
		if len(r.BrokerDatas) == 0 {
			return errors.New("no broker for the consumer group")
		}
		addr = selectAddr(&r.BrokerDatas[0])
	}
	jstack := c.has("s")
	if c.has("i") {
		body, err := c.adm.runningInfo(addr, group, c.get("i"), jstack)
		if err != nil {
			return err
		}
		c.printf("%s\n", prettyJSON(body))
		return nil
	}
	conns := append([]protocol.Connection(nil), cc.ConnectionSet...)
	sort.Slice(conns, func(i, j int) bool { return conns[i].ClientID < conns[j].ClientID })
	dir := strconv.FormatInt(time.Now().UnixMilli(), 10)
	c.printf("%-10s %-40s %-20s %s\n", "#Index", "#ClientId", "#Version", "#ConsumerRunningInfoFile")
	subs := map[string]string{}
	same := true
	owner := map[protocol.MessageQueue]string{}
	rebalanceOK := true
	for i, conn := range conns {
		body, err := c.adm.runningInfo(addr, group, conn.ClientID, jstack)
		if err != nil {
			return err
		}
		file := filepath.Join(dir, conn.ClientID)
		if err := os.MkdirAll(dir, 0o755); err == nil {
			_ = os.WriteFile(file, []byte(prettyJSON(body)+"\n"), 0o644)
		}
		c.printf("%-10d %-40s %-20s %s\n", i+1, conn.ClientID, versionDesc(conn.Version), file)
		// A queue held by two clients of a clustering group means rebalancing went wrong.
		for _, mq := range runningInfoQueues(body) {
			if o, ok := owner[mq]; ok && o != conn.ClientID && cc.MessageModel == "CLUSTERING" {
				rebalanceOK = false
			}
			owner[mq] = conn.ClientID
		}
		var ri runningInfo
		if json.Unmarshal(body, &ri) == nil {
			set := map[string]string{}
			for _, s := range ri.SubscriptionSet {
				set[s.Topic] = s.SubString
			}
			b, _ := json.Marshal(set)
			subs[conn.ClientID] = string(b)
		}
	}
	var first string
	for _, s := range subs {
		if first == "" {
			first = s
		} else if s != first {
			same = false
		}
	}
	if same {
		c.printf("\n\nSame subscription in the same group of consumer")
		verdict := "OK"
		if !rebalanceOK {
			verdict = "Failed"
		}
		c.printf("\n\nRebalance %s\n", verdict)
	} else {
		c.printf("\n\nWARN: Different subscription in the same group of consumer!!!")
	}
	return nil
}
