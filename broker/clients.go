package broker

// ClientManager tracks the producers and consumers connected to the broker.
type ClientManager struct {
	b *Broker
}

func newClientManager(b *Broker) *ClientManager {
	return &ClientManager{b: b}
}

func (b *Broker) registerClientProcessors() {}
