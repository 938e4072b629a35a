package broker

import (
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/remoting/protocol"
	"github.com/sirupsen/logrus"
)

// Ordered-consumption locks (Java's RebalanceLockManager, LOCK_BATCH_MQ 41 / UNLOCK_BATCH_MQ 42).
//
// An orderly consumer consumes a queue only while it holds the broker's lock on it, so that two
// members of a group never process one queue at once. Per (group, queue) one entry
// {clientId, lastUpdate}: a lock request gets the queue when it is free, already held by the
// same clientId (refreshed), or held by a client that has not refreshed for 60 s. Java does not
// look the group up: a lock for a group the broker has never heard of is granted like any
// other. Beyond Java, a client's locks are also released when the connection it locked them on
// closes, so a surviving instance takes the queues over at its next rebalance instead of 60 s
// later; a client that reconnects re-locks within its 20 s lock interval.

// lockMaxLiveTime is the default of Java's -Drocketmq.broker.rebalance.lockMaxLiveTime.
const lockMaxLiveTime = 60 * time.Second

// lockMaxLiveEnv is the environment counterpart of that JVM system property (milliseconds).
// Tests shorten it: the Go client never unlocks a queue a rebalance takes away from it (a TODO
// in its removeUnnecessaryMessageQueue), so the new owner waits for the old lock to expire.
const lockMaxLiveEnv = "ROCKETMQ_BROKER_REBALANCE_LOCK_MAX_LIVE_TIME"

// lockMaxLiveFromEnv returns lockMaxLiveEnv's value, or the default when unset or invalid.
func lockMaxLiveFromEnv() time.Duration {
	if v := os.Getenv(lockMaxLiveEnv); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return lockMaxLiveTime
}

type lockEntry struct {
	clientID   string
	channelID  uint64
	lastUpdate time.Time
}

type rebalanceLockManager struct {
	log     *logrus.Entry
	maxLive time.Duration
	now     func() time.Time // tests move the clock

	mu     sync.Mutex
	groups map[string]map[protocol.MessageQueue]*lockEntry
}

func newRebalanceLockManager(log *logrus.Entry) *rebalanceLockManager {
	return &rebalanceLockManager{log: log, maxLive: lockMaxLiveFromEnv(), now: time.Now,
		groups: map[string]map[protocol.MessageQueue]*lockEntry{}}
}

// tryLockBatch locks what it can of mqs for clientID and returns the queues it now holds.
func (m *rebalanceLockManager) tryLockBatch(group string, mqs []protocol.MessageQueue, clientID string,
	channelID uint64) []protocol.MessageQueue {
	now := m.now()
	out := make([]protocol.MessageQueue, 0, len(mqs))
	m.mu.Lock()
	defer m.mu.Unlock()
	table := m.groups[group]
	if table == nil {
		table = map[protocol.MessageQueue]*lockEntry{}
		m.groups[group] = table
	}
	for _, mq := range mqs {
		e := table[mq]
		switch {
		case e == nil:
			table[mq] = &lockEntry{clientID: clientID, channelID: channelID, lastUpdate: now}
			m.log.WithFields(logrus.Fields{"group": group, "mq": mq.String(), "clientId": clientID}).
				Info("queue locked")
		case e.clientID == clientID:
			e.lastUpdate, e.channelID = now, channelID
		case now.Sub(e.lastUpdate) > m.maxLive:
			m.log.WithFields(logrus.Fields{"group": group, "mq": mq.String(), "clientId": clientID,
				"oldClientId": e.clientID}).Warn("queue lock expired, taken over")
			*e = lockEntry{clientID: clientID, channelID: channelID, lastUpdate: now}
		default:
			m.log.WithFields(logrus.Fields{"group": group, "mq": mq.String(), "clientId": clientID,
				"holder": e.clientID}).Debug("queue locked by another client")
			continue
		}
		out = append(out, mq)
	}
	return out
}

// unlockBatch releases the queues clientID holds among mqs.
func (m *rebalanceLockManager) unlockBatch(group string, mqs []protocol.MessageQueue, clientID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	table := m.groups[group]
	for _, mq := range mqs {
		if e := table[mq]; e != nil && e.clientID == clientID {
			delete(table, mq)
			m.log.WithFields(logrus.Fields{"group": group, "mq": mq.String(), "clientId": clientID}).
				Info("queue unlocked")
		}
	}
	if len(table) == 0 {
		delete(m.groups, group)
	}
}

// holder reports who holds mq in group, "" when nobody does (or the lock expired).
func (m *rebalanceLockManager) holder(group string, mq protocol.MessageQueue) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.groups[group][mq]; e != nil && m.now().Sub(e.lastUpdate) <= m.maxLive {
		return e.clientID
	}
	return ""
}

// channelClosed releases every lock taken through the closed connection.
func (m *rebalanceLockManager) channelClosed(channelID uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for group, table := range m.groups {
		for mq, e := range table {
			if e.channelID == channelID {
				delete(table, mq)
				m.log.WithFields(logrus.Fields{"group": group, "mq": mq.String(), "clientId": e.clientID}).
					Info("queue unlocked: client connection closed")
			}
		}
		if len(table) == 0 {
			delete(m.groups, group)
		}
	}
}

// decodeLockBody reads a LockBatchRequestBody; Java answers a missing or broken body with
// SYSTEM_ERROR carrying the exception text.
func decodeLockBody(req *remoting.Command) (*protocol.LockBatchRequestBody, *remoting.Command) {
	var body protocol.LockBatchRequestBody
	if len(req.Body) == 0 {
		return nil, remoting.NewResponse(req, protocol.SystemError, "java.lang.NullPointerException: request body is empty")
	}
	if err := body.Unmarshal(req.Body); err != nil {
		return nil, remoting.NewResponse(req, protocol.SystemError, "com.alibaba.fastjson.JSONException: "+err.Error())
	}
	return &body, nil
}

// processLockBatch serves LOCK_BATCH_MQ: always SUCCESS with the queues now held in lockOKMQSet.
func (b *Broker) processLockBatch(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	body, bad := decodeLockBody(req)
	if bad != nil {
		return bad
	}
	ok := b.sem.locks.tryLockBatch(body.ConsumerGroup, body.MQSet, body.ClientID, ch.ID())
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.Body = (&protocol.LockBatchResponseBody{LockOKMQSet: ok}).Marshal()
	return resp
}

// processUnlockBatch serves UNLOCK_BATCH_MQ: always SUCCESS.
func (b *Broker) processUnlockBatch(ch remoting.Channel, req *remoting.Command) *remoting.Command {
	body, bad := decodeLockBody(req)
	if bad != nil {
		return bad
	}
	b.sem.locks.unlockBatch(body.ConsumerGroup, body.MQSet, body.ClientID)
	return remoting.NewResponse(req, protocol.Success, "")
}
