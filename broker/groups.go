package broker

// SubscriptionGroupManager keeps subscriptionGroup.json: the consumer groups and their settings.
type SubscriptionGroupManager struct {
	b *Broker
}

func newSubscriptionGroupManager(b *Broker) *SubscriptionGroupManager {
	return &SubscriptionGroupManager{b: b}
}
