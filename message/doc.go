// Package message is the byte-level vocabulary shared by the store, the remoting protocol and the
// broker: the commitlog record layout (which is also the body of a pull response), property
// strings, offset message ids, Java's String.hashCode for tag codes, and the client batch body.
//
// Where it sits in the flow: the broker turns a SEND request into a Msg, the store encodes that Msg
// straight into a mapped commitlog file with PutRecord, the dispatcher reads records back with
// Parse (no allocation) to build consume queues and indexes, and pulls ship the stored bytes
// unchanged. Nothing here imports another rocketgo package.
//
// Every layout is big-endian, like Java's ByteBuffer default. The ground truth is apache/rocketmq
// 4.9.8: CommitLog.java (record writer), MessageDecoder.java (reader, ids, properties),
// MessageSysFlag.java and MessageConst.java.
package message
