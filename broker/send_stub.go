//go:build !h7wip

package broker

// registerDataProcessors is a placeholder while the data-path processors (send.go, pull.go,
// longpoll.go, sendback.go, built with -tags h7wip) wait for the store facade.
func (b *Broker) registerDataProcessors() {}
