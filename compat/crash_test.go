package compat

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// TestGoBrokerCrash: one of two broker groups is killed with SIGKILL (no unregister, no flush,
// no checkpoint). The NameServer drops it as soon as its connection closes, not after the 120 s
// expiry; the Go producer keeps sending on the survivor; the consumer misses nothing; and the
// killed broker, started again on its store, recovers every message it had acknowledged.
func TestGoBrokerCrash(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2, nil)
	victim := c.brokers[1]
	victim.Stop()
	victim.StartChild()
	topic := uniq("GoCrash")
	c.createTopic(topic, 4)

	p := startProducer(t, c)
	d := newDeliveries()
	startPush(t, c, pushSpec{group: uniq("CGcrash"), topic: topic, from: consumer.ConsumeFromFirstOffset}, d, nil)
	onVictim := map[int][]string{} // queue -> bodies acknowledged by the victim
	var pre []string
	for _, b := range bodies("pre", 24) {
		res, err := p.SendSync(context.Background(), newMsg(topic, b))
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		if res.MessageQueue.BrokerName == victim.Name {
			onVictim[res.MessageQueue.QueueId] = append(onVictim[res.MessageQueue.QueueId], b)
		}
		pre = append(pre, b)
	}
	if len(onVictim) == 0 {
		t.Fatalf("no send went to %s", victim.Name)
	}
	d.waitTotal(t, len(pre), deliveryTimeout)

	t0 := time.Now()
	victim.Kill()
	waitFor(t, 5*time.Second, "the NameServer dropping the killed broker", func() bool {
		conn, err := tryDialRaw(c.NamesrvAddr())
		if err != nil {
			return false
		}
		defer conn.Close()
		r, err := conn.call(codeGetRouteInfoByTopic, map[string]string{"topic": topic}, nil, 2*time.Second)
		return err == nil && r.Code == 0 && !strings.Contains(string(r.Body), victim.Addr())
	})
	t.Logf("NameServer dropped the killed broker after %v", time.Since(t0).Round(time.Millisecond))

	var post []string
	for _, b := range bodies("post", 20) {
		res, err := p.SendSync(context.Background(), newMsg(topic, b))
		if err != nil {
			t.Fatalf("send after the kill: %v", err)
		}
		if res.MessageQueue.BrokerName == victim.Name {
			t.Errorf("send of %s reported success on the killed broker", b)
		}
		post = append(post, b)
	}
	d.waitTotal(t, len(pre)+len(post), deliveryTimeout)
	d.settle(time.Second)
	d.assertExactly(t, append(pre, post...), 1)

	// Recovery: the killed broker comes back on its store with every acknowledged message.
	victim.Start()
	c.waitBrokerRegistered(victim)
	conn := dialRaw(t, victim.Addr(), langGo)
	for q := 0; q < 4; q++ {
		want := onVictim[q]
		r := conn.mustCall(codeGetMaxOffset, map[string]string{"topic": topic, "queueId": strconv.Itoa(q)}, nil)
		if got := r.extInt(t, "offset"); got != int64(len(want)) {
			t.Errorf("queue %d after the crash: max offset %d, want %d", q, got, len(want))
		}
		if len(want) == 0 {
			continue
		}
		pr := conn.mustCall(codePullMessage, pullReq("CG_crashcheck", topic, q, 0, pullSubscription, 0, "*"), nil)
		var got []string
		for _, m := range primitive.DecodeMessage(pr.Body) {
			got = append(got, string(m.Body))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("queue %d after the crash holds %v, want %v", q, got, want)
		}
	}
}
