// Package store is the broker's message store, laid out byte for byte like the Java broker's
// (apache/rocketmq 4.9.8 DefaultMessageStore) so either broker can open the other's directory:
//
//	<storePathRootDir>/
//	  commitlog/<20-digit start offset>          every record, in arrival order (message package)
//	  consumequeue/<topic>/<queueId>/<offset>    20-byte units pointing into the commitlog
//	  index/<yyyyMMddHHmmssSSS>                  key index (index*.go, another owner)
//	  checkpoint                                 timestamps recovery starts from
//	  abort                                      present while running: a crash leaves it behind
//	  lock                                       fcntl lock on byte 0: one broker per directory
//	  config/                                    JSON written by the broker
//
// Where it sits in the flow: the broker's send processor calls PutMessage / PutMessages off the
// event loop; the store appends the record under one lock, dispatches it at once to its consume
// queue and to the index hook (so a message is readable by a pull as soon as its put returns),
// then waits for the flush the configured policy requires. Each new consume-queue unit is also
// reported to the arriving listener (SetArrivingListener), which wakes the broker's long-polling
// pulls whatever path wrote the message. Pulls call GetMessage, which returns
// slices of the mapped files that stay valid until GetResult.Release. Recovery after a crash runs
// the same dispatch code over the commitlog tail, so rebuilding a consume queue is the code that
// wrote it.
package store
