package broker

// ConsumerOffsetManager keeps consumerOffset.json: the next offset each group consumes per queue.
type ConsumerOffsetManager struct {
	b *Broker
}

func newConsumerOffsetManager(b *Broker) *ConsumerOffsetManager {
	return &ConsumerOffsetManager{b: b}
}
