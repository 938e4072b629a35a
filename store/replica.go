package store

import (
	"errors"
	"fmt"

	"github.com/rocketgo/rocketgo/message"
	"github.com/sirupsen/logrus"
)

// Master/slave replication hooks (store/ha is the other half). The master ships raw commitlog
// bytes read with ReadCommitLog; the slave writes them verbatim with AppendReplica, so both logs
// are byte-identical, and builds its own consume queues and index from them with the same
// dispatch code a live put uses. SYNC_MASTER puts wait in afterAppend through the Replicator.

// Replicator is the master's HA service as the append path sees it. Replicate is called after
// every successful put with the end offset of what was written; with wait (brokerRole
// SYNC_MASTER and the message asks to wait for the store) it blocks until a slave holds that
// offset and returns PutOK, FlushSlaveTimeout or SlaveNotAvailable. Without wait it must only
// wake the senders and return at once.
type Replicator interface {
	Replicate(end int64, wait bool) PutStatus
}

// replicaState is the slave side's dispatch cursor; guarded by putMu.
type replicaState struct {
	started bool
	reput   int64 // everything before this offset is dispatched
}

type replicatorHolder struct{ r Replicator }

// SetReplicator installs the master's HA service (nil removes it). Puts made before it is set
// are not waited for.
func (s *Store) SetReplicator(r Replicator) {
	if r == nil {
		s.replicator.Store(nil)
		return
	}
	s.replicator.Store(&replicatorHolder{r})
}

// replicate runs the installed Replicator for a put that ended at end.
func (s *Store) replicate(res *PutResult, wait bool) {
	h := s.replicator.Load()
	if h == nil || s.cfg.BrokerRole == Slave {
		return
	}
	wait = wait && s.cfg.BrokerRole == SyncMaster
	if st := h.r.Replicate(res.WroteOffset+int64(res.WroteBytes), wait); wait && st != PutOK {
		// Java: the replica outcome replaces the flush outcome when it failed.
		res.Status = st
	}
}

// CommitLogFileSize is mappedFileSizeCommitLog: replication frames never cross a segment.
func (s *Store) CommitLogFileSize() int64 { return int64(s.cl.q.fileSize) }

// ReadCommitLog returns up to max bytes of written commitlog data starting at off, never past
// the end of the segment holding off (a full segment includes its end-of-file blank). The
// segment is held: the caller must Release it once the bytes are sent. It returns nil, nil
// when nothing is readable at off yet (or off is no longer stored).
func (s *Store) ReadCommitLog(off int64, max int) ([]byte, *MappedFile) {
	f := s.cl.q.find(off)
	if f == nil {
		return nil, nil
	}
	rel := off - f.from
	w := f.wrote.Load()
	if rel >= w {
		f.Release()
		return nil, nil
	}
	end := min(w, rel+int64(max))
	return f.data[rel:end:end], f
}

// Errors AppendReplica returns; the HA client closes its connection on any of them.
var (
	ErrReplicaOffset = errors.New("store: replicated data does not start at the slave's max offset")
	ErrReplicaSpan   = errors.New("store: replicated data crosses a commitlog segment")
)

// AppendReplica writes data, received from the master, at commitlog offset off, then
// dispatches every record it completed. off must equal CommitLogMaxOffset (or, for an empty
// log, be a segment start: a new slave starts at the master's last segment). Only a slave
// calls it, from one goroutine.
func (s *Store) AppendReplica(off int64, data []byte) error {
	c := &s.cl
	c.putMu.Lock()
	defer c.putMu.Unlock()
	if c.closed {
		return errors.New("store: closed")
	}
	size := int64(c.q.fileSize)
	maxOff := c.q.maxOffset()
	empty := c.q.last() == nil
	switch {
	case empty && off%size != 0:
		return fmt.Errorf("%w: empty log, offset %d is not a segment start", ErrReplicaOffset, off)
	case !empty && off != maxOff:
		return fmt.Errorf("%w: offset %d, max offset %d", ErrReplicaOffset, off, maxOff)
	}
	rs := &s.replica
	if !rs.started {
		// Recovery dispatched everything up to the recovered end.
		rs.started, rs.reput = true, off
	}
	if len(data) == 0 {
		return nil
	}
	f, err := c.q.lastWritable(off)
	if err != nil {
		return err
	}
	pos := f.wrote.Load()
	if f.from+pos != off {
		return fmt.Errorf("%w: segment %d is written to %d, data starts at %d", ErrReplicaOffset, f.from, f.from+pos, off)
	}
	if pos+int64(len(data)) > size {
		return fmt.Errorf("%w: %d bytes at %d", ErrReplicaSpan, len(data), off)
	}
	// Copy first, publish later: wrote moves only once every record the frame touches is
	// sound, so a corrupted frame leaves the log as it was and the next good frame for the
	// same offset overwrites the rejected bytes.
	copy(f.data[pos:], data)
	if err := s.checkReplicaLocked(rs.reput, f, pos+int64(len(data))); err != nil {
		return err
	}
	f.wrote.Store(pos + int64(len(data)))
	s.reputLocked(rs)
	return nil
}

// ErrReplicaRecord is returned for a frame whose bytes do not form valid records.
var ErrReplicaRecord = errors.New("store: replicated data is not a valid record sequence")

// checkReplicaLocked walks the records of f from the dispatch cursor to end (the tentative
// write position): each must have a known magic code and a size that fits the segment, each
// complete one must parse with a matching body CRC and its own offset, and an end-of-file blank
// must cover exactly the rest of the segment. A record cut by end is fine (the next frame
// completes it). Records in earlier segments were checked when they were written.
func (s *Store) checkReplicaLocked(from int64, f *MappedFile, end int64) error {
	if from < f.from {
		from = f.from
	}
	v := &s.cl.view
	for rel := from - f.from; rel < end; {
		size, err := message.PeekSize(f.data[rel:end])
		switch {
		case errors.Is(err, message.ErrShortRecord):
			return nil
		case errors.Is(err, message.ErrBlank):
			if rel+int64(size) != int64(f.size) {
				return fmt.Errorf("%w: blank of %d bytes at %d does not end the segment", ErrReplicaRecord, size, f.from+rel)
			}
			return nil
		case err != nil:
			return fmt.Errorf("%w: at %d: %v", ErrReplicaRecord, f.from+rel, err)
		case size <= 0 || rel+int64(size) > int64(f.size):
			return fmt.Errorf("%w: record size %d at %d", ErrReplicaRecord, size, f.from+rel)
		case rel+int64(size) > end:
			return nil
		}
		if err := message.Parse(f.data[rel:rel+int64(size)], v); err != nil {
			return fmt.Errorf("%w: at %d: %v", ErrReplicaRecord, f.from+rel, err)
		}
		if !v.CRCOK() || v.PhysicalOffset != f.from+rel {
			return fmt.Errorf("%w: at %d: body CRC or PHYSICALOFFSET wrong", ErrReplicaRecord, f.from+rel)
		}
		rel += int64(size)
	}
	return nil
}

// reputLocked dispatches whole records from the replica cursor to the end of written data (a
// frame may stop inside a record; the rest comes with the next one). putMu must be held.
func (s *Store) reputLocked(rs *replicaState) {
	v := &s.cl.view
	for {
		f := s.cl.q.find(rs.reput)
		if f == nil {
			return
		}
		rel := rs.reput - f.from
		w := f.wrote.Load()
		if rel >= int64(f.size) {
			rs.reput = f.from + int64(f.size)
			f.Release()
			continue
		}
		size, err := message.PeekSize(f.data[rel:w])
		switch {
		case errors.Is(err, message.ErrShortRecord) || (err == nil && rel+int64(size) > w):
			f.Release()
			return // incomplete: wait for more
		case errors.Is(err, message.ErrBlank):
			rs.reput = f.from + int64(f.size)
			f.Release()
			continue
		case err != nil || size <= 0:
			// The master's log is damaged here; Java's reput stops too. Stay put and say so.
			logrus.WithError(err).WithFields(logrus.Fields{"offset": rs.reput, "file": f.path}).
				Error("store: replicated record does not parse; dispatch stopped")
			f.Release()
			return
		}
		rec := f.data[rel : rel+int64(size)]
		if perr := message.Parse(rec, v); perr != nil {
			logrus.WithError(perr).WithFields(logrus.Fields{"offset": rs.reput, "file": f.path}).
				Error("store: replicated record does not parse; dispatch stopped")
			f.Release()
			return
		}
		if derr := s.dispatch(v); derr != nil && !errors.Is(derr, errBadTopic) {
			logrus.WithError(derr).WithFields(logrus.Fields{"offset": rs.reput, "topic": string(v.Topic)}).
				Error("store: dispatch of a replicated record failed")
			f.Release()
			return
		}
		f.storeTs.Store(v.StoreTimestamp)
		s.cl.lastStoreTs = max(s.cl.lastStoreTs, v.StoreTimestamp)
		rs.reput += int64(size)
		f.Release()
	}
}

// ReputOffset is the slave's dispatch cursor: the consume queues cover everything before it.
func (s *Store) ReputOffset() int64 {
	s.cl.putMu.Lock()
	defer s.cl.putMu.Unlock()
	if !s.replica.started {
		return s.cl.q.maxOffset()
	}
	return s.replica.reput
}
