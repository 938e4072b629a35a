package protocol

import (
	"cmp"
	"slices"
	"strconv"
)

// MessageQueue names one queue of one broker. It is comparable, so it serves as a map key
// where Java uses MessageQueue-keyed maps.
type MessageQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
}

func (q MessageQueue) String() string {
	return q.Topic + "@" + q.BrokerName + "@" + strconv.Itoa(int(q.QueueID))
}

// Compare orders queues by topic, broker name, queue id (Java's MessageQueue.compareTo).
func (q MessageQueue) Compare(o MessageQueue) int {
	if c := cmp.Compare(q.Topic, o.Topic); c != 0 {
		return c
	}
	if c := cmp.Compare(q.BrokerName, o.BrokerName); c != 0 {
		return c
	}
	return cmp.Compare(q.QueueID, o.QueueID)
}

func (e *encoder) mq(q MessageQueue) {
	e.open()
	e.key("brokerName")
	e.str(q.BrokerName)
	e.key("queueId")
	e.i64(int64(q.QueueID))
	e.key("topic")
	e.str(q.Topic)
	e.close()
}

func (e *encoder) mqList(list []MessageQueue) {
	e.openArr()
	for _, q := range list {
		e.sep()
		e.mq(q)
	}
	e.closeArr()
}

// mqMap writes a MessageQueue-keyed map in fastjson's object-key form
// ({{"brokerName":"b","queueId":0,"topic":"t"}:v}), entries in queue order. The Go client can
// only parse this exact compact form (§5.13 of the protocol notes).
func mqMap[V any](e *encoder, m map[MessageQueue]V, val func(*encoder, V)) {
	keys := make([]MessageQueue, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, MessageQueue.Compare)
	e.open()
	for _, k := range keys {
		e.sep()
		e.mq(k)
		e.b = append(e.b, ':')
		val(e, m[k])
	}
	e.close()
}

// decodeMQMap turns a normalized map whose keys are MessageQueue JSON texts into a
// MessageQueue-keyed map.
func decodeMQMap[V any](raw map[string]V) (map[MessageQueue]V, error) {
	if raw == nil {
		return nil, nil
	}
	out := make(map[MessageQueue]V, len(raw))
	for k, v := range raw {
		var q MessageQueue
		if err := unmarshal([]byte(k), &q); err != nil {
			return nil, err
		}
		out[q] = v
	}
	return out, nil
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
