// Package remoting is the transport every rocketgo server and client stands on: it turns bytes
// on a TCP connection into Commands and back, dispatches requests to processors by request
// code, and matches responses to the calls waiting for them.
//
// Where it sits in the flow:
//
//	producer/consumer/mqadmin ──TCP──▶ remoting.Server (gnet event loops)
//	                                      │ frame split + header decode (this package)
//	                                      ▼
//	                                   Router ──▶ Processor (namesrv, broker: remoting/protocol
//	                                      │        typed headers ▶ store)
//	                                      ▼
//	                         response ◀── Channel.Write (any goroutine)
//
//	broker ──remoting.Client──▶ NameServer (REGISTER_BROKER) and ──Server.Invoke──▶ clients
//	(CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED, GET_CONSUMER_RUNNING_INFO).
//
// The frame, identical in both directions and for requests and responses (all integers
// big-endian):
//
//	offset 0        4                 8                   8+H
//	       +--------+-----------------+-------------------+----------------+
//	       |   L    | T<<24 | H       | header (H bytes)  | body (L-4-H)   |
//	       | int32  | uint8 | uint24  | JSON or ROCKETMQ  | opaque bytes   |
//	       +--------+-----------------+-------------------+----------------+
//
// L counts everything after itself (4 + H + body). T is the header's serialize type
// (0 JSON, 1 ROCKETMQ binary). Java's decoder refuses frames with 4+L above 16 MiB and closes
// the connection on any decoding error; so do we. The two header layouts are drawn next to
// their codecs in json.go and binary.go.
//
// Ownership: a decoded Command's strings and Body may alias the frame buffer they were decoded
// from (the server copies every frame once out of the event loop's buffer into a buffer of its
// own, so processors may keep slices of the body). Encoding appends to a caller's slice
// (AppendFrame), so a frame can be built in a pooled buffer without allocating.
package remoting
