package main

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/rocketgo/rocketgo/remoting/protocol"
)

func init() {
	register(&command{name: "queryCq", desc: "Query cq command.", opts: []option{
		{short: "t", long: "topic", hasArg: true, required: true, desc: "topic name"},
		{short: "q", long: "queue", hasArg: true, required: true, desc: "queue num, ie. 1"},
		{short: "i", long: "index", hasArg: true, required: true, desc: "start queue index."},
		{short: "c", long: "count", hasArg: true, desc: "how many."},
		{short: "b", long: "broker", hasArg: true, desc: "broker addr."},
		{short: "g", long: "consumer", hasArg: true, desc: "consumer group."},
	}, run: queryCq})
}

// queryCq is QueryConsumeQueueCommand: QUERY_CONSUME_QUEUE (321) to -b, or to the master of the
// topic's first broker, and the units printed one by one. Like Java, it catches whatever goes
// wrong, prints the exception and ends normally.
func queryCq(c *ctx) error {
	thrown := func(text string) error {
		fmt.Fprintln(c.errOut, text)
		return nil
	}
	badNumber := func(s string) error { return thrown("java.lang.NumberFormatException: " + numberError(s).Error()) }
	topic := c.get("t")
	qid, err := strconv.ParseInt(c.get("q"), 10, 32)
	if err != nil {
		return badNumber(c.get("q"))
	}
	index, err := strconv.ParseInt(c.get("i"), 10, 64)
	if err != nil {
		return badNumber(c.get("i"))
	}
	count := int64(10)
	if c.has("c") {
		if count, err = strconv.ParseInt(c.get("c"), 10, 32); err != nil {
			return badNumber(c.get("c"))
		}
	}
	addr := c.get("b")
	if addr == "" {
		r, err := c.adm.route(topic)
		if err != nil {
			return thrown(javaException(err))
		}
		if len(r.BrokerDatas) == 0 {
			return thrown("java.lang.Exception: No topic route data!")
		}
		addr = r.BrokerDatas[0].BrokerAddrs[0]
	}
	ext := kv("topic", topic, "queueId", strconv.FormatInt(qid, 10), "index", strconv.FormatInt(index, 10),
		"count", strconv.FormatInt(count, 10))
	if c.has("g") {
		ext = append(ext, kv("consumerGroup", c.get("g"))...)
	}
	resp, err := c.adm.call(addr, protocol.QueryConsumeQueue, ext, nil)
	if err != nil {
		return thrown(javaException(err))
	}
	var body struct {
		SubscriptionData json.RawMessage `json:"subscriptionData"`
		FilterData       *string         `json:"filterData"`
		QueueData        []struct {
			PhysicOffset   int64   `json:"physicOffset"`
			PhysicSize     int32   `json:"physicSize"`
			TagsCode       int64   `json:"tagsCode"`
			ExtendDataJSON *string `json:"extendDataJson"`
			BitMap         *string `json:"bitMap"`
			Eval           bool    `json:"eval"`
			Msg            *string `json:"msg"`
		} `json:"queueData"`
		MaxQueueIndex int64 `json:"maxQueueIndex"`
		MinQueueIndex int64 `json:"minQueueIndex"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return thrown("com.alibaba.fastjson.JSONException: " + err.Error())
	}
	const rule = "======================================\n"
	if len(body.SubscriptionData) > 0 && string(body.SubscriptionData) != "null" {
		c.printf("Subscription data: \n%s\n%s", prettyJSON(body.SubscriptionData), rule)
	}
	if body.FilterData != nil {
		c.printf("Filter data: \n%s\n%s", *body.FilterData, rule)
	}
	c.printf("Queue data: \nmax: %d, min: %d\n%s", body.MaxQueueIndex, body.MinQueueIndex, rule)
	orNull := func(s *string) string {
		if s == nil {
			return "null"
		}
		return *s
	}
	for i, u := range body.QueueData {
		c.printf("idx: %d\nConsumeQueueData{physicOffset=%d, physicSize=%d, tagsCode=%d, extendDataJson='%s', "+
			"bitMap='%s', eval=%t, msg='%s'}\n%s", index+int64(i), u.PhysicOffset, u.PhysicSize, u.TagsCode,
			orNull(u.ExtendDataJSON), orNull(u.BitMap), u.Eval, orNull(u.Msg), rule)
	}
	return nil
}
