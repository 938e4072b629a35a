package broker

// registerDataProcessors attaches the data-path processors (send, pull, send-back) to the
// broker's processor table. H7 owns this file; the full processors land here.
func (b *Broker) registerDataProcessors() {}
