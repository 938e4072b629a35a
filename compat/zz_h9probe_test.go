package compat

import (
	"context"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

func TestH9ProbeTx(t *testing.T) {
	c := newCluster(t, 1, map[string]string{"transactionCheckInterval": "1000", "transactionTimeOut": "1000"})
	topic := uniq("ProbeTx")
	c.createTopic(topic, 1)
	tc := newTimedConsumer()
	startRecorded(t, c, uniq("CGP"), uniq("c"), topic, false, tc)
	l := &txListener{checks: map[string]int{}}
	tp, err := rocketmq.NewTransactionProducer(l, producer.WithNameServer(primitive.NamesrvAddr{c.NamesrvAddr()}),
		producer.WithGroupName(uniq("PGT")))
	if err != nil {
		t.Fatal(err)
	}
	tp.Start()
	defer tp.Shutdown()
	for _, b := range []string{"commit-x", "unknown-x"} {
		if _, err := tp.SendMessageInTransaction(context.Background(), newMsg(topic, b).WithTag("TagT").WithKeys([]string{"KT"})); err != nil {
			t.Fatal(err)
		}
	}
	tc.d.waitTotal(t, 2, 30*time.Second)
	for _, b := range []string{"commit-x", "unknown-x"} {
		_, x := tc.first(b)
		t.Logf("%s: sysFlag=%d prepOff=%d props=%v", b, x.SysFlag, x.PreparedTransactionOffset, x.GetProperties())
	}
}
