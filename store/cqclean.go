package store

import (
	"sort"

	"github.com/rocketgo/rocketgo/message"
	"github.com/sirupsen/logrus"
)

// Consume-queue clean-up on demand (the admin command cleanExpiredCQ, request 306), as Java
// 4.9.x's DefaultMessageStore.cleanExpiredConsumerQueue: retention deletes commitlog files and
// the consume-queue files below them, but always keeps a queue's last file, so a queue that no
// longer receives messages keeps pointing at records that are gone. This drops such queues one
// by one; the rest of their topic stays.

// CleanExpiredConsumeQueues destroys every consume queue whose last unit ends below the
// commitlog's first offset, except those of SCHEDULE_TOPIC_XXXX (delayed messages wait there),
// and returns what it destroyed, sorted by topic and queue id. A queue holding no unit yet is
// kept (it may have been created just now). A destroyed queue also loses its next logical
// offset, so a later message to it starts again at offset 0, as in Java; a topic whose last
// queue goes disappears from Topics, and its directory is removed. Nothing happens without
// commitlog files.
func (s *Store) CleanExpiredConsumeQueues() []QueueInfo {
	minPhys := s.cl.q.minOffset()
	if minPhys < 0 {
		return nil
	}
	// putMu keeps the dispatcher out while queues are judged and destroyed: a unit written
	// right now cannot land in a queue being dropped, and a put recreating the queue cannot
	// make its first file under the same name before the old one is unlinked.
	s.cl.putMu.Lock()
	defer s.cl.putMu.Unlock()
	drop := s.removeQueuesLocked(func(k queueKey, cq *ConsumeQueue) bool {
		if k.topic == message.ScheduleTopic {
			return false
		}
		last := cq.maxPhysicOffset.Load()
		if last < 0 {
			logrus.WithFields(logrus.Fields{"topic": cq.Topic, "queueId": cq.QueueID, "minLogicOffset": cq.MinOffset()}).
				Warn("store: consume queue holds no unit, maybe created just now; kept")
			return false
		}
		return last < minPhys
	})
	var gone []QueueInfo
	// Unlinking does not wait for readers: a pull that pinned a file keeps reading it.
	for _, cq := range drop {
		gone = append(gone, QueueInfo{Topic: cq.Topic, QueueID: cq.QueueID, MinOffset: cq.MinOffset(), MaxOffset: cq.MaxOffset()})
		logrus.WithFields(logrus.Fields{"topic": cq.Topic, "queueId": cq.QueueID, "minCommitLogOffset": minPhys,
			"maxPhysicOffset": cq.maxPhysicOffset.Load()}).Info("store: expired consume queue destroyed")
		cq.destroy()
	}
	sort.Slice(gone, func(i, j int) bool {
		if gone[i].Topic != gone[j].Topic {
			return gone[i].Topic < gone[j].Topic
		}
		return gone[i].QueueID < gone[j].QueueID
	})
	return gone
}
