package compat

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// TestGoAdminAPI: the stock Go client's admin package (what Go services use to manage topics)
// against our servers: create a topic on a broker, find it in the NameServer's topic list,
// its write queues and cluster, the broker's subscription groups, then delete it again.
func TestGoAdminAPI(t *testing.T) {
	c := newCluster(t, 1, nil)
	ns, addr := c.NamesrvAddr(), c.brokers[0].Addr()
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{ns})))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx := context.Background()
	topic := uniq("GoAdm")
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(addr),
		admin.WithReadQueueNums(3), admin.WithWriteQueueNums(3)); err != nil {
		t.Fatalf("create: %v", err)
	}
	listed := func() bool {
		l, err := adm.FetchAllTopicList(ctx)
		return err == nil && slices.Contains(l.TopicList, topic)
	}
	waitFor(t, 10*time.Second, "the topic in the NameServer's list", listed)
	var mqs []*primitive.MessageQueue
	waitFor(t, 10*time.Second, "3 write queues", func() bool {
		mqs, err = adm.FetchPublishMessageQueues(ctx, topic)
		return err == nil && len(mqs) == 3
	})
	for i, q := range mqs {
		if q.Topic != topic || q.BrokerName != c.brokers[0].Name || q.QueueId != i {
			t.Errorf("queue %d: %+v", i, q)
		}
	}
	if cl, err := adm.FetchClusterList(topic); err != nil || !slices.Equal(cl, []string{"CompatCluster"}) {
		t.Errorf("clusters of %s: %v %v", topic, cl, err)
	}
	groups, err := adm.GetAllSubscriptionGroup(ctx, addr, 5*time.Second)
	if err != nil {
		t.Fatalf("subscription groups: %v", err)
	}
	if _, ok := groups.SubscriptionGroupTable["TOOLS_CONSUMER"]; !ok {
		t.Errorf("the broker's system groups are missing: %d groups", len(groups.SubscriptionGroupTable))
	}
	if err := adm.DeleteTopic(ctx, admin.WithTopicDelete(topic), admin.WithBrokerAddrDelete(addr),
		admin.WithNameSrvAddr([]string{ns})); err != nil {
		t.Fatalf("delete: %v", err)
	}
	waitFor(t, 10*time.Second, "the topic gone from the NameServer", func() bool { return !listed() })
}
