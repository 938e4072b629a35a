package store

import (
	"encoding/binary"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// The checkpoint file is one 4096-byte page, big-endian:
//
//	 0 | physicMsgTimestamp int64 | store time of the last record flushed to the commitlog
//	 8 | logicsMsgTimestamp int64 | store time of the last record flushed to a consume queue
//	16 | indexMsgTimestamp  int64 | end time of the last index file that filled up
//	24 | (5.x: masterFlushedOffset, confirmPhyOffset; zero here)
//
// e.g. 00 00 01 8B CF E5 68 7B | 00 00 01 8B CF E5 68 7B | 00 00 00 00 00 00 00 00 | 00 ...
// After a crash, recovery starts from the last commitlog file whose first record is older than
// min(physic, logics) - 3 s.
const checkpointSize = 4096

type checkpoint struct {
	path               string
	f                  *os.File
	mu                 sync.Mutex
	physicMsgTimestamp atomic.Int64
	logicsMsgTimestamp atomic.Int64
	indexMsgTimestamp  atomic.Int64
}

func openCheckpoint(path string) (*checkpoint, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	cp := &checkpoint{path: path, f: f}
	var b [24]byte
	n, _ := f.ReadAt(b[:], 0) // a short or new file reads as zeros
	_ = n
	cp.physicMsgTimestamp.Store(int64(binary.BigEndian.Uint64(b[0:])))
	cp.logicsMsgTimestamp.Store(int64(binary.BigEndian.Uint64(b[8:])))
	cp.indexMsgTimestamp.Store(int64(binary.BigEndian.Uint64(b[16:])))
	if st, err := f.Stat(); err == nil && st.Size() < checkpointSize {
		if err := f.Truncate(checkpointSize); err != nil {
			f.Close()
			return nil, err
		}
	}
	return cp, nil
}

// minTimestamp is where abnormal recovery may start (Java's getMinTimestamp, 3 s margin).
func (cp *checkpoint) minTimestamp(indexSafe bool) int64 {
	m := min(cp.physicMsgTimestamp.Load(), cp.logicsMsgTimestamp.Load())
	if indexSafe {
		m = min(m, cp.indexMsgTimestamp.Load())
	}
	return max(0, m-3000)
}

func (cp *checkpoint) flush() error {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(cp.physicMsgTimestamp.Load()))
	binary.BigEndian.PutUint64(b[8:], uint64(cp.logicsMsgTimestamp.Load()))
	binary.BigEndian.PutUint64(b[16:], uint64(cp.indexMsgTimestamp.Load()))
	if _, err := cp.f.WriteAt(b[:], 0); err != nil {
		return err
	}
	return syscall.Fdatasync(int(cp.f.Fd()))
}

func (cp *checkpoint) close() error {
	err := cp.flush()
	cp.f.Close()
	return err
}
