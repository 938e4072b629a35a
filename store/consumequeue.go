package store

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/sirupsen/logrus"
)

// A consume-queue unit, 20 bytes, big-endian; unit n of a queue sits at byte n*20 of the
// queue's logical space, split into files of mappedFileSizeConsumeQueue bytes:
//
//	0 | commitlog offset int64 |
//	8 | record size      int32 |
//	12| tags code        int64 | Java hash of TAGS (delivery time for SCHEDULE_TOPIC_XXXX)
//
// e.g. the record at 4096 of 114 bytes tagged TagA:
//
//	00 00 00 00 00 00 10 00 | 00 00 00 72 | 00 00 00 00 00 27 A8 07
//
// A queue that starts at a non-zero offset has its first file padded with blank units
// (0, 0x7FFFFFFF, 0). A unit with offset < 0 or size <= 0 ends the valid data.
const cqUnitSize = 20

const blankUnitSize = 0x7FFFFFFF

func putUnit(b []byte, phys int64, size int32, tagsCode int64) {
	binary.BigEndian.PutUint64(b, uint64(phys))
	binary.BigEndian.PutUint32(b[8:], uint32(size))
	binary.BigEndian.PutUint64(b[12:], uint64(tagsCode))
}

func readUnit(b []byte) (phys int64, size int32, tagsCode int64) {
	return int64(binary.BigEndian.Uint64(b)), int32(binary.BigEndian.Uint32(b[8:])), int64(binary.BigEndian.Uint64(b[12:]))
}

// ConsumeQueue is the index of one topic-queue into the commitlog.
type ConsumeQueue struct {
	Topic   string
	QueueID int32
	q       *mappedFileQueue
	// maxPhysicOffset is the end (offset+size) of the last record indexed; written by the
	// dispatcher only, which makes re-dispatching the same records a no-op.
	maxPhysicOffset atomic.Int64
	// minLogicOffset is the byte offset of the first valid unit.
	minLogicOffset atomic.Int64
}

func newConsumeQueue(root, topic string, queueID int32, fileSize int) *ConsumeQueue {
	dir := filepath.Join(root, topic, strconv.Itoa(int(queueID)))
	cq := &ConsumeQueue{Topic: topic, QueueID: queueID, q: newMappedFileQueue(dir, fileSize)}
	cq.maxPhysicOffset.Store(-1)
	return cq
}

// MaxOffset is the next logical offset to be written.
func (cq *ConsumeQueue) MaxOffset() int64 { return cq.q.maxOffset() / cqUnitSize }

// MinOffset is the first logical offset still stored.
func (cq *ConsumeQueue) MinOffset() int64 { return cq.minLogicOffset.Load() / cqUnitSize }

// recover scans from the third-last file and sets the write position after the last valid
// unit. It returns the end of the last record indexed (-1 if none).
func (cq *ConsumeQueue) recover() int64 {
	files := cq.q.snapshot()
	if len(files) == 0 {
		return -1
	}
	start := len(files) - 3
	if start < 0 {
		start = 0
	}
	maxPhys := int64(-1)
	end := files[start].from
	for i := start; i < len(files); i++ {
		f := files[i]
		pos := 0
		for ; pos+cqUnitSize <= f.size; pos += cqUnitSize {
			phys, size, _ := readUnit(f.data[pos:])
			if phys < 0 || size <= 0 {
				break
			}
			if size != blankUnitSize {
				maxPhys = phys + int64(size)
			}
		}
		end = f.from + int64(pos)
		if pos < f.size {
			break
		}
	}
	cq.q.truncateTo(end)
	cq.maxPhysicOffset.Store(maxPhys)
	return maxPhys
}

// putUnit writes the unit for logical offset cqOffset. Called by the dispatcher only.
func (cq *ConsumeQueue) putUnit(phys int64, size int32, tagsCode, cqOffset int64) error {
	if phys+int64(size) <= cq.maxPhysicOffset.Load() {
		return nil // already indexed: recovery replays records the queue has seen
	}
	want := cqOffset * cqUnitSize
	f, err := cq.q.lastWritable(want)
	if err != nil {
		return err
	}
	if f.wrote.Load() == 0 && f.from < want && cq.q.count() == 1 {
		// A queue starting mid-way (after deletion, or a fresh slave): pad the file with blank
		// units so unit n still sits at byte n*20.
		for p := int64(0); p < want-f.from; p += cqUnitSize {
			putUnit(f.data[p:], 0, blankUnitSize, 0)
		}
		f.wrote.Store(want - f.from)
		cq.minLogicOffset.Store(want)
		cq.q.flushedWhere.Store(f.from)
	}
	cur := f.from + f.wrote.Load()
	if want < cur {
		logrus.WithFields(logrus.Fields{"topic": cq.Topic, "queueId": cq.QueueID, "offset": cqOffset, "cur": cur / cqUnitSize}).
			Warn("store: consume queue already has this offset")
		return nil
	}
	for cur < want {
		// A gap should not happen; filling it with blanks keeps unit n at byte n*20.
		logrus.WithFields(logrus.Fields{"topic": cq.Topic, "queueId": cq.QueueID, "offset": cqOffset, "cur": cur / cqUnitSize}).
			Error("store: consume queue gap, padding with blank units")
		putUnit(f.data[f.wrote.Load():], 0, blankUnitSize, 0)
		f.wrote.Add(cqUnitSize)
		if f, err = cq.q.lastWritable(want); err != nil {
			return err
		}
		cur = f.from + f.wrote.Load()
	}
	putUnit(f.data[f.wrote.Load():], phys, size, tagsCode)
	f.wrote.Add(cqUnitSize)
	cq.maxPhysicOffset.Store(phys + int64(size))
	return nil
}

// unitsFrom returns the written units from logical offset off to the end of its file, with
// the file held; nil when off is not stored.
func (cq *ConsumeQueue) unitsFrom(off int64) ([]byte, *MappedFile) {
	pos := off * cqUnitSize
	if pos < cq.minLogicOffset.Load() {
		return nil, nil
	}
	f := cq.q.find(pos)
	if f == nil {
		return nil, nil
	}
	rel := pos - f.from
	w := f.wrote.Load()
	if rel >= w {
		f.Release()
		return nil, nil
	}
	return f.data[rel:w], f
}

// unitAt reads one unit.
func (cq *ConsumeQueue) unitAt(off int64) (phys int64, size int32, tags int64, ok bool) {
	b, f := cq.unitsFrom(off)
	if f == nil {
		return 0, 0, 0, false
	}
	defer f.Release()
	phys, size, tags = readUnit(b)
	return phys, size, tags, true
}

// rollNextFile is the first logical offset of the file after the one holding off.
func (cq *ConsumeQueue) rollNextFile(off int64) int64 {
	per := int64(cq.q.fileSize / cqUnitSize)
	return off + per - off%per
}

// correctMinOffset sets the min offset to the first unit pointing at or after minPhys
// (commitlog retention moved its start).
func (cq *ConsumeQueue) correctMinOffset(minPhys int64) {
	for _, f := range cq.q.snapshot() {
		if !f.Hold() {
			continue // deleted meanwhile (topic deletion)
		}
		w := f.wrote.Load()
		for p := int64(0); p+cqUnitSize <= w; p += cqUnitSize {
			phys, size, _ := readUnit(f.data[p:])
			if size != blankUnitSize && phys >= minPhys {
				cq.minLogicOffset.Store(f.from + p)
				f.Release()
				return
			}
		}
		f.Release()
	}
	cq.minLogicOffset.Store(cq.q.maxOffset())
}

// truncatePhys drops units that point at or past commitlog offset phys (the commitlog tail
// they index was cut off by recovery).
func (cq *ConsumeQueue) truncatePhys(phys int64) {
	files := cq.q.snapshot()
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		w := f.wrote.Load()
		pos := w
		for pos > 0 {
			p, size, _ := readUnit(f.data[pos-cqUnitSize:])
			if size == blankUnitSize || p < phys {
				break
			}
			pos -= cqUnitSize
		}
		if pos > 0 || i == 0 {
			// Zero what we drop so a later scan cannot resurrect it.
			clear(f.data[pos:w])
			cq.q.truncateTo(f.from + pos)
			break
		}
	}
	// Recompute the indexed end from the last remaining unit.
	cq.maxPhysicOffset.Store(-1)
	if l := cq.q.last(); l != nil {
		w := l.wrote.Load()
		for p := w - cqUnitSize; p >= 0; p -= cqUnitSize {
			ph, size, _ := readUnit(l.data[p:])
			if size != blankUnitSize {
				cq.maxPhysicOffset.Store(ph + int64(size))
				break
			}
		}
	}
}

// flush syncs dirty pages (leastPages as flushConsumeQueueLeastPages).
func (cq *ConsumeQueue) flush(leastPages int) error {
	_, err := cq.q.flush(leastPages)
	return err
}

func (cq *ConsumeQueue) close() { cq.q.closeAll() }

func (cq *ConsumeQueue) destroy() {
	cq.q.destroyAll()
	os.Remove(filepath.Dir(cq.q.dir)) // the topic dir, if now empty
}
