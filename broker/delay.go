package broker

import (
	"strconv"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/remoting"
)

// The delay rewrite of Java's CommitLog.asyncPutMessage, done by the broker. A message with
// DELAY > 0 (a delayed send, or a send-back to %RETRY%) is stored in SCHEDULE_TOPIC_XXXX queue
// level-1 with its real destination in REAL_TOPIC / REAL_QID, the level clamped to the
// configured maximum. Java adds those two to the message's property map and writes the whole
// map again, in HashMap order, so REAL_TOPIC usually comes first and REAL_QID last; the store's
// own rewrite (PutMessage) can only append them to the string it is given. Doing it here, on
// the property pairs before they are written, gives byte-for-byte Java's schedule record — and
// the delivered copy, which the schedule service re-puts verbatim.

// scheduleLevel is the level a delayed message is stored under (clamped to the store's
// maximum), or 0 when it is not diverted: no delay, a transactional half or rollback (Java
// delays only plain and committed messages), or no levels configured.
func (d *dataPlane) scheduleLevel(delay int, sysFlag int32) int {
	if delay <= 0 {
		return 0
	}
	tt := message.TransactionType(sysFlag)
	if tt != message.TransactionNotType && tt != message.TransactionCommitType {
		return 0
	}
	maxLevel := d.b.store.MaxDelayLevel()
	if maxLevel <= 0 {
		return 0
	}
	return min(delay, maxLevel)
}

// putScheduleProps applies the rewrite to the property pairs of a message delayed by level
// (from scheduleLevel) whose real destination is realTopic/realQueue: DELAY clamped in place
// when the client asked for more than the maximum, then REAL_TOPIC and REAL_QID put.
func putScheduleProps(p propPairs, requested, level int, realTopic string, realQueue int32) propPairs {
	if requested != level {
		p = putProp(p, message.PropertyDelayTimeLevel, strconv.Itoa(level))
	}
	p = putProp(p, message.PropertyRealTopic, realTopic)
	return putProp(p, message.PropertyRealQueueID, strconv.Itoa(int(realQueue)))
}

// buildDelayedProps writes the schedule record's properties of a delayed send: the client's
// pairs and CLUSTER as for any send, WAIT removed and put back (so it keeps its value and moves
// behind the keys inserted before it, as Java's send processor leaves it), then the rewrite.
func buildDelayedProps(dst []byte, props, cluster string, requested, level int, realTopic string, realQueue int32) []byte {
	var stack [maxSortedProps]remoting.Field
	p := parseProps(stack[:0], props)
	p = putProp(p, message.PropertyCluster, cluster)
	reputProp(p, message.PropertyWaitStoreMsgOK)
	p = putScheduleProps(p, requested, level, realTopic, realQueue)
	return appendProps(dst, p, "")
}
