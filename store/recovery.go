package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/rocketgo/rocketgo/message"
	"github.com/sirupsen/logrus"
)

// RecoveryReport says what recovery found; it is logged and kept in Stats.
type RecoveryReport struct {
	Abnormal      bool   // the abort file was present
	StartFile     string // first commitlog file scanned
	EndOffset     int64  // end of the last valid record
	Dispatched    int    // records re-dispatched to consume queues / index
	DamagedFile   string // where valid data ended on something that was not zeros
	DamagedOffset int64
	DamageReason  string
	DroppedBytes  int64 // bytes discarded from the damaged file (to its end)
	// Corrupt: later files held data too, so this was damage in the middle of the log, not a
	// torn tail; everything after it is dropped (as Java does) and the log says so at error level.
	Corrupt        bool
	MaxPhysInQueue int64 // end of the last record indexed by any consume queue before recovery
	Took           time.Duration
}

// recover is Java's recover: consume queues first (their indexed end), then the commitlog —
// normally from the third-last file, after a crash from the newest file whose first record is
// older than the checkpoint — validating records with magic, length and CRC. Records past
// what the consume queues hold are dispatched with the same code as a live put. The commitlog
// is cut after the last valid record; consume-queue units pointing past it are dropped.
func (s *Store) recover() error {
	begin := time.Now()
	rep := &s.recovery
	rep.Abnormal = !s.lastExitOK
	maxPhysCQ := int64(-1)
	for _, cq := range s.consumeQueues() {
		maxPhysCQ = max(maxPhysCQ, cq.recover())
	}
	rep.MaxPhysInQueue = maxPhysCQ
	files := s.cl.q.snapshot()
	if len(files) == 0 {
		// No commitlog: nothing the queues point at exists.
		for _, cq := range s.consumeQueues() {
			cq.destroy()
		}
		s.cqMu.Lock()
		s.cqs = make(map[queueKey]*ConsumeQueue)
		s.cqMu.Unlock()
		rep.Took = time.Since(begin)
		return nil
	}
	start := 0
	if s.lastExitOK {
		start = max(0, len(files)-3)
	} else {
		minTs := s.cp.minTimestamp(s.cfg.MessageIndexSafe)
		for i := len(files) - 1; i >= 0; i-- {
			var v message.View
			if message.Parse(files[i].data, &v) == nil && v.StoreTimestamp != 0 && v.StoreTimestamp <= minTs {
				start = i
				break
			}
		}
	}
	rep.StartFile = files[start].path
	// After a crash every valid record from the start file is dispatched again, as in Java:
	// the queues skip units they hold, and index files newer than the checkpoint were dropped
	// by the index loader and get rebuilt here. After a clean stop only records the queues do
	// not hold yet are dispatched.
	dispatchFrom := maxPhysCQ
	if !s.lastExitOK {
		dispatchFrom = -1
	}
	end, err := s.scan(files, start, dispatchFrom, rep)
	if err != nil {
		return err
	}
	rep.EndOffset = end
	if tr, ok := s.index.(interface{ TruncateFrom(int64) error }); ok {
		// Entries for records past the valid end would point at whatever is written there next.
		if err := tr.TruncateFrom(end); err != nil {
			return fmt.Errorf("store: truncate index at %d: %w", end, err)
		}
	}
	s.cl.q.truncateTo(end)
	s.cl.q.flushedWhere.Store(end)
	if maxPhysCQ >= end {
		for _, cq := range s.consumeQueues() {
			cq.truncatePhys(end)
		}
	}
	// Queue offsets continue from what the queues hold; min offsets follow the commitlog.
	minPhys := s.CommitLogMinOffset()
	for _, cq := range s.consumeQueues() {
		cq.correctMinOffset(minPhys)
		s.cl.queues[queueKey{cq.Topic, cq.QueueID}] = &queueState{cq: cq, next: cq.MaxOffset()}
	}
	// Store times stay non-decreasing across restarts even if the clock went back.
	s.cl.lastStoreTs = max(s.cl.lastStoreTs, s.cp.physicMsgTimestamp.Load(), s.logicsTs.Load())
	rep.Took = time.Since(begin)
	fields := logrus.Fields{"abnormal": rep.Abnormal, "startFile": rep.StartFile, "endOffset": end,
		"dispatched": rep.Dispatched, "took": rep.Took}
	if rep.DamagedFile != "" {
		fields["damagedFile"], fields["damagedOffset"], fields["reason"] = rep.DamagedFile, rep.DamagedOffset, rep.DamageReason
	}
	logrus.WithFields(fields).Info("store: recovered")
	return nil
}

// scan validates records from files[start] on and dispatches those ending after dispatchFrom.
// It returns the end of the last valid record.
func (s *Store) scan(files []*MappedFile, start int, dispatchFrom int64, rep *RecoveryReport) (int64, error) {
	var v message.View
	end := files[start].from
	for i := start; i < len(files); i++ {
		f := files[i]
		pos := 0
		for {
			if pos >= f.size {
				break // exactly full: continue with the next file
			}
			err := message.Parse(f.data[pos:], &v)
			reason := ""
			switch {
			case err == nil:
				if s.cfg.CheckCRCOnRecover && !v.CRCOK() {
					reason = "body CRC mismatch"
				} else if v.PhysicalOffset != f.from+int64(pos) {
					reason = fmt.Sprintf("PHYSICALOFFSET %d does not match its position", v.PhysicalOffset)
				}
			case errors.Is(err, message.ErrBlank):
				if v.TotalSize != int32(f.size-pos) {
					reason = "end-of-file blank with a wrong length"
				}
			default:
				reason = err.Error()
			}
			if reason != "" {
				end = f.from + int64(pos)
				for _, later := range files[i+1:] {
					if !isZero(later.data[:8]) {
						rep.Corrupt = true
						break
					}
				}
				s.noteEnd(f, pos, reason, rep)
				return end, nil
			}
			if errors.Is(err, message.ErrBlank) {
				pos = f.size
				end = f.from + int64(pos)
				break
			}
			pos += int(v.TotalSize)
			end = f.from + int64(pos)
			s.cl.lastStoreTs = max(s.cl.lastStoreTs, v.StoreTimestamp)
			if end > dispatchFrom {
				derr := s.dispatch(&v)
				if errors.Is(derr, errBadTopic) {
					logrus.WithFields(logrus.Fields{"file": f.path, "offset": v.PhysicalOffset, "topic": string(v.Topic)}).
						Warn("store: record with an unusable topic name, not dispatched")
				} else if derr != nil {
					return 0, fmt.Errorf("store: recovery dispatch at %d: %w", v.PhysicalOffset, derr)
				}
				rep.Dispatched++
			}
		}
	}
	return end, nil
}

// noteEnd handles the first invalid position: zeros are the normal end of a file; anything
// else is a torn or corrupt record, which is logged with file and offset and then zeroed so
// that appends that reuse the space can never be followed by stale bytes that parse.
func (s *Store) noteEnd(f *MappedFile, pos int, reason string, rep *RecoveryReport) {
	tail := f.data[pos:]
	if isZero(tail[:min(len(tail), 8)]) {
		return
	}
	rep.DamagedFile, rep.DamagedOffset, rep.DamageReason = f.path, f.from+int64(pos), reason
	rep.DroppedBytes = int64(len(tail))
	fields := logrus.Fields{"file": f.path, "offset": f.from + int64(pos), "filePos": pos, "reason": reason}
	if rep.Corrupt {
		logrus.WithFields(fields).Error("store: commitlog corrupt before its end; truncating here and dropping every later file")
	} else {
		logrus.WithFields(fields).Warn("store: commitlog valid data ends here (torn or corrupt record); truncating")
	}
	for p := 0; p < len(tail); p += osPageSize {
		page := tail[p:min(p+osPageSize, len(tail))]
		if !isZero(page) {
			clear(page)
		}
	}
}

func isZero(b []byte) bool {
	for len(b) >= 8 {
		if b[0]|b[1]|b[2]|b[3]|b[4]|b[5]|b[6]|b[7] != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
