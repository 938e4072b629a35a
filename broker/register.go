package broker

// registerAllAsync sends a one-way registration of every topic to every NameServer.
func (b *Broker) registerAllAsync() {}
