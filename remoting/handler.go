package remoting

import "net/netip"

// Channel is one connection as a processor sees it: the server's accepted connections and the
// client's outgoing ones both implement it. Every method is safe from any goroutine.
type Channel interface {
	// ID is unique among the channels of one process.
	ID() uint64
	RemoteAddr() string
	LocalAddr() string
	// Write queues cmd for sending and returns at once; it never blocks the event loop.
	Write(cmd *Command) error
	// Close closes the connection; the close listener is told once.
	Close() error
	// Context and SetContext carry the processor layer's per-connection state.
	Context() any
	SetContext(v any)
}

// AddrPortChannel is implemented by the server's channels: the remote address already parsed.
type AddrPortChannel interface {
	RemoteAddrPort() netip.AddrPort
}

// PartsWriter is implemented by the server's channels. WriteParts is Write for a command whose
// body is the concatenation of parts (cmd.Body is not used): the parts are copied once, straight
// into the connection's output, before it returns, so the caller may release them at once.
type PartsWriter interface {
	WriteParts(cmd *Command, parts [][]byte) error
}

// Processor handles one request. It returns the response to write now, or nil when it answers
// later through ch.Write (long polling, fsync waits) or not at all. The server sets the
// response's opaque, response flag and serialize type from the request, and writes nothing for
// a request marked oneway.
type Processor interface {
	Process(ch Channel, req *Command) *Command
}

// ProcessorFunc adapts a function to Processor.
type ProcessorFunc func(ch Channel, req *Command) *Command

func (f ProcessorFunc) Process(ch Channel, req *Command) *Command { return f(ch, req) }

// ConnListener hears about connection events; the broker's client manager uses it to drop
// channels that closed or went idle.
type ConnListener interface {
	OnConnect(ch Channel)
	OnClose(ch Channel)
	OnIdle(ch Channel)
}
