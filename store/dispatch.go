package store

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/rocketgo/rocketgo/message"
)

// DispatchRequest describes one stored record to the index hook. The dispatcher reuses one
// request for every record, and its strings may alias the mapped record: an implementation must
// copy anything it keeps after BuildIndex returns.
type DispatchRequest struct {
	Topic                     string
	QueueID                   int32
	CommitLogOffset           int64
	MsgSize                   int32
	TagsCode                  int64
	StoreTimestamp            int64
	ConsumeQueueOffset        int64
	Keys                      string // the KEYS property: space-separated keys
	UniqKey                   string // the UNIQ_KEY property
	SysFlag                   int32
	PreparedTransactionOffset int64
	Properties                []byte
}

// IndexBuilder is the hook the dispatcher calls for every record, live and during recovery, in
// commitlog order; the IndexService implements it. It is called under the store's append lock,
// so it must be quick and must not call back into the store's put path.
type IndexBuilder interface {
	BuildIndex(req *DispatchRequest)
}

// The index service may also implement these; the store checks with type assertions.
type (
	// IndexLoader is called by Open before recovery, with whether the last shutdown was clean
	// and the checkpoint's indexMsgTimestamp (index files newer than it are dropped after a
	// crash and rebuilt by re-dispatch).
	IndexLoader interface {
		Load(lastExitOK bool, indexMsgTimestamp int64) error
	}
	// IndexQuerier answers QueryMessage: commitlog offsets of records whose key hash matches,
	// newest first.
	IndexQuerier interface {
		QueryOffsets(topic, key string, maxNum int, begin, end int64) []int64
	}
	// IndexCleaner drops index files that only cover commitlog data below minPhyOffset.
	IndexCleaner interface {
		DeleteExpiredFiles(minPhyOffset int64)
	}
	// IndexCloser flushes and closes the index at shutdown.
	IndexCloser interface {
		Close() error
	}
)

// parseDelayLevels turns "1s 5s 10s 1m ..." into milliseconds per level (index 0 = level 1).
func parseDelayLevels(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, " ") {
		if len(f) < 2 {
			continue
		}
		unit := map[byte]int64{'s': 1000, 'm': 60000, 'h': 3600000, 'd': 86400000}[f[len(f)-1]]
		n, err := strconv.ParseInt(f[:len(f)-1], 10, 64)
		if unit == 0 || err != nil {
			continue
		}
		out = append(out, n*unit)
	}
	return out
}

// tagsCodeOf is the consume-queue tags code of a record: the Java hash of TAGS, except for the
// schedule topic where it is the delivery time (store time + delay of the level).
func (s *Store) tagsCodeOf(v *message.View, p *message.DispatchProps) int64 {
	if string(v.Topic) == message.ScheduleTopic {
		if p.Delay != nil {
			level, err := strconv.Atoi(unsafe.String(unsafe.SliceData(p.Delay), len(p.Delay)))
			if err == nil && level > 0 {
				if level > len(s.delayLevels) {
					level = len(s.delayLevels)
				}
				if level > 0 {
					return v.StoreTimestamp + s.delayLevels[level-1]
				}
				return v.StoreTimestamp + 1000
			}
		}
	}
	return message.TagsCode(p.Tags) // 0 without TAGS
}

func aliasString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// dispatch builds the consume-queue unit and the index entries of one parsed record. It runs
// under the append lock for live puts and single-threaded during recovery, so the order of
// units in every queue is the commitlog order.
func (s *Store) dispatch(v *message.View) error { return s.dispatchTo(v, nil, false) }

// dispatchTo is dispatch with the record's consume queue already known (cq may be nil); live
// puts (not recovery or replication) also tell the arriving listener.
func (s *Store) dispatchTo(v *message.View, cq *ConsumeQueue, live bool) error {
	topic := ""
	props := message.ScanDispatchProps(v.Properties)
	tags := s.tagsCodeOf(v, &props)
	if queued(v.SysFlag) {
		if cq == nil {
			var err error
			if cq, err = s.findOrCreateCQ(aliasString(v.Topic), v.QueueID); err != nil {
				return err
			}
		}
		topic = cq.Topic
		if err := cq.putUnit(v.PhysicalOffset, v.TotalSize, tags, v.QueueOffset); err != nil {
			return err
		}
		s.logicsTs.Store(v.StoreTimestamp)
		if f := s.cl.arriving.Load(); live && f != nil {
			// cq.Topic is the queue's own copy: the listener may keep it.
			(*f)(cq.Topic, v.QueueID, v.QueueOffset+1, tags, v.Properties)
		}
	}
	if s.index == nil || !s.cfg.MessageIndexEnable {
		return nil
	}
	if topic == "" {
		topic = aliasString(v.Topic)
	}
	r := &s.dreq
	*r = DispatchRequest{
		Topic:                     topic,
		QueueID:                   v.QueueID,
		CommitLogOffset:           v.PhysicalOffset,
		MsgSize:                   v.TotalSize,
		TagsCode:                  tags,
		StoreTimestamp:            v.StoreTimestamp,
		ConsumeQueueOffset:        v.QueueOffset,
		Keys:                      aliasString(props.Keys),
		UniqKey:                   aliasString(props.UniqKey),
		SysFlag:                   v.SysFlag,
		PreparedTransactionOffset: v.PreparedTransactionOffset,
		Properties:                v.Properties,
	}
	s.index.BuildIndex(r)
	return nil
}
