package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/rocketgo/rocketgo/message"
)

// IndexFile is one file of index/, the hash index QUERY_MESSAGE uses to find records by key
// (Java's IndexFile/IndexHeader, 4.9.8; unchanged in 5.x). All integers are big-endian.
//
//	offset                       size            content
//	0                            40              header
//	40                           4*slotNum       hash slots: number of the newest item of the
//	                                             bucket, 0 = empty
//	40+4*slotNum                 20*indexNum     items; item 0 is never used
//
//	header: 0 beginTimestamp i64 | 8 endTimestamp i64 | 16 beginPhyOffset i64 |
//	        24 endPhyOffset i64  | 32 hashSlotCount i32 | 36 indexCount i32 (next item number,
//	        starts at 1; a stored value <= 0 reads as 1)
//	item:   0 keyHash i32 | 4 phyOffset i64 | 12 timeDiff i32 (seconds since beginTimestamp)
//	        | 16 prevIndex i32 (older item of the same bucket, 0 = end of chain)
//
// Example with the default sizes (5,000,000 slots, 20,000,000 items): the first key of a new
// file, "TopicTest#KEY1" (Java hash -1656969516, keyHash 1656969516 = 0x62C3592C, slot 1969516)
// for a record at commitlog offset 0x1234 stored 5 s after the file's first record:
//
//	0x007835D8 (40 + 1969516*4)         00 00 00 01                      slot -> item 1
//	0x01312D3C (40 + 20,000,000 + 1*20) 62 C3 59 2C  00 00 00 00 00 00 12 34
//	                                    00 00 00 05  00 00 00 00         hash, offset, +5 s, end
//	0x00000020 (header)                 00 00 00 01  00 00 00 02         1 slot used, next item 2
//
// Keys are "topic#key"; keyHash = abs(Java String.hashCode) with abs(MinInt32) -> 0; slot =
// keyHash % slotNum. Only hashes are stored, so a query returns every offset whose key hash
// matches and the caller filters the messages by their real keys.
type IndexFile struct {
	path     string
	f        *os.File
	data     []byte
	slotNum  int
	indexNum int

	// The header lives in data; these mirror it so a query need not decode it.
	beginTs, endTs   int64
	beginPhy, endPhy int64
	slotCount        int32
	indexCount       int32
}

const (
	indexHeaderSize = 40
	indexSlotSize   = 4
	indexItemSize   = 20

	hdrBeginTs    = 0
	hdrEndTs      = 8
	hdrBeginPhy   = 16
	hdrEndPhy     = 24
	hdrSlotCount  = 32
	hdrIndexCount = 36
)

// IndexFileSize is the length of an index file for the given maxHashSlotNum and maxIndexNum.
func IndexFileSize(slotNum, indexNum int) int64 {
	return indexHeaderSize + int64(slotNum)*indexSlotSize + int64(indexNum)*indexItemSize
}

// OpenIndexFile maps the index file at path, creating it if needed. A new file starts where
// the previous one ended (prevEndPhy, prevEndTs; 0 for the first file), as Java initialises
// it. An existing file shorter than the configured size is extended with zeros, which is what
// Java's read-write mapping does too (and what the compacted fixture needs); a longer one is
// mapped over its first bytes only, also as Java.
func OpenIndexFile(path string, slotNum, indexNum int, prevEndPhy, prevEndTs int64) (*IndexFile, error) {
	if slotNum <= 0 || indexNum <= 1 {
		return nil, fmt.Errorf("store: index sizes must be positive (maxHashSlotNum %d, maxIndexNum %d)", slotNum, indexNum)
	}
	size := IndexFileSize(slotNum, indexNum)
	if size > 1<<40 || int64(int(size)) != size {
		return nil, fmt.Errorf("store: index file of %d bytes is too large to map", size)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	fresh := st.Size() == 0
	switch {
	case fresh:
		// Reserve the blocks now: with a full disk, a write through the mapping would be a
		// SIGBUS the process cannot recover from; here it is an error the caller can log.
		err = syscall.Fallocate(int(f.Fd()), 0, 0, size)
		if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) {
			err = f.Truncate(size)
		}
	case st.Size() < size:
		err = f.Truncate(size)
	}
	if err != nil {
		f.Close()
		if fresh {
			os.Remove(path)
		}
		return nil, fmt.Errorf("store: allocate index file %s: %w", path, err)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		if fresh {
			os.Remove(path)
		}
		return nil, fmt.Errorf("store: mmap index file %s: %w", path, err)
	}
	x := &IndexFile{path: path, f: f, data: data, slotNum: slotNum, indexNum: indexNum}
	x.loadHeader()
	if fresh {
		if prevEndPhy > 0 {
			x.setBeginPhy(prevEndPhy)
			x.setEndPhy(prevEndPhy)
		}
		if prevEndTs > 0 {
			x.setBeginTs(prevEndTs)
			x.setEndTs(prevEndTs)
		}
	}
	return x, nil
}

func (x *IndexFile) loadHeader() {
	be := binary.BigEndian
	x.beginTs = int64(be.Uint64(x.data[hdrBeginTs:]))
	x.endTs = int64(be.Uint64(x.data[hdrEndTs:]))
	x.beginPhy = int64(be.Uint64(x.data[hdrBeginPhy:]))
	x.endPhy = int64(be.Uint64(x.data[hdrEndPhy:]))
	x.slotCount = int32(be.Uint32(x.data[hdrSlotCount:]))
	x.indexCount = int32(be.Uint32(x.data[hdrIndexCount:]))
	if x.indexCount <= 0 {
		x.indexCount = 1
	}
	if int(x.indexCount) > x.indexNum {
		// Only a damaged header says this; treat the file as full so nothing is written or
		// undone past its items.
		x.indexCount = int32(x.indexNum)
	}
}

// The setters write through to the mapped header at once, as Java's IndexHeader does, so the
// file on disk is self-describing after a process crash.
func (x *IndexFile) setBeginTs(v int64) {
	x.beginTs = v
	binary.BigEndian.PutUint64(x.data[hdrBeginTs:], uint64(v))
}
func (x *IndexFile) setEndTs(v int64) {
	x.endTs = v
	binary.BigEndian.PutUint64(x.data[hdrEndTs:], uint64(v))
}
func (x *IndexFile) setBeginPhy(v int64) {
	x.beginPhy = v
	binary.BigEndian.PutUint64(x.data[hdrBeginPhy:], uint64(v))
}
func (x *IndexFile) setEndPhy(v int64) {
	x.endPhy = v
	binary.BigEndian.PutUint64(x.data[hdrEndPhy:], uint64(v))
}
func (x *IndexFile) setSlotCount(v int32) {
	x.slotCount = v
	binary.BigEndian.PutUint32(x.data[hdrSlotCount:], uint32(v))
}
func (x *IndexFile) setIndexCount(v int32) {
	x.indexCount = v
	binary.BigEndian.PutUint32(x.data[hdrIndexCount:], uint32(v))
}

// IndexHeader is a copy of an index file's header.
type IndexHeader struct {
	BeginTimestamp, EndTimestamp int64
	BeginPhyOffset, EndPhyOffset int64
	HashSlotCount, IndexCount    int32
}

// Header returns the header as last written.
func (x *IndexFile) Header() IndexHeader {
	return IndexHeader{x.beginTs, x.endTs, x.beginPhy, x.endPhy, x.slotCount, x.indexCount}
}

// Path is the file's path; its base name is the creation time, yyyyMMddHHmmssSSS local time.
func (x *IndexFile) Path() string { return x.path }

// IsWriteFull reports whether the items are used up (the last item number is indexNum-1).
func (x *IndexFile) IsWriteFull() bool { return int(x.indexCount) >= x.indexNum }

// IndexKeyHash is Java's IndexFile.indexKeyHashMethod over the UTF-16 code units of key.
func IndexKeyHash[T ~string | ~[]byte](key T) int32 {
	h := message.JavaHash(key)
	if h < 0 {
		h = -h // MinInt32 stays negative
	}
	if h < 0 {
		return 0
	}
	return h
}

func (x *IndexFile) slotPos(keyHash int32) int {
	return indexHeaderSize + int(keyHash)%x.slotNum*indexSlotSize
}

func (x *IndexFile) itemPos(n int32) int {
	return indexHeaderSize + x.slotNum*indexSlotSize + int(n)*indexItemSize
}

// PutKey adds key (already "topic#key") for the record at phyOffset stored at storeTs. It
// returns false when the file is full.
func (x *IndexFile) PutKey(key []byte, phyOffset, storeTs int64) bool {
	if x.IsWriteFull() {
		return false
	}
	be := binary.BigEndian
	keyHash := IndexKeyHash(key)
	sp := x.slotPos(keyHash)
	prev := int32(be.Uint32(x.data[sp:]))
	if prev <= 0 || prev > x.indexCount {
		prev = 0
	}
	var diff int64
	if x.beginTs > 0 {
		diff = (storeTs - x.beginTs) / 1000
		diff = max(0, min(diff, 1<<31-1))
	}
	n := x.indexCount
	ip := x.itemPos(n)
	be.PutUint32(x.data[ip:], uint32(keyHash))
	be.PutUint64(x.data[ip+4:], uint64(phyOffset))
	be.PutUint32(x.data[ip+12:], uint32(diff))
	be.PutUint32(x.data[ip+16:], uint32(prev))
	// Header before slot: if the process dies in between, the item is merely unreachable;
	// the other order would leave a slot pointing past indexCount, which readers treat as an
	// empty bucket and so lose the whole older chain.
	if n <= 1 {
		x.setBeginPhy(phyOffset)
		x.setBeginTs(storeTs)
	}
	if prev == 0 {
		x.setSlotCount(x.slotCount + 1)
	}
	x.setIndexCount(n + 1)
	x.setEndPhy(phyOffset)
	x.setEndTs(storeTs)
	be.PutUint32(x.data[sp:], uint32(n))
	return true
}

// timeMatched is Java's isTimeMatched: [begin, end] overlaps the file's time range.
func (x *IndexFile) timeMatched(begin, end int64) bool {
	return (begin < x.beginTs && end > x.endTs) ||
		(begin >= x.beginTs && begin <= x.endTs) ||
		(end >= x.beginTs && end <= x.endTs)
}

// SelectPhyOffsets appends to dst, newest first, the offsets of items in key's bucket whose
// hash equals key's and whose time lies in [begin, end], until dst holds maxNum offsets. The
// walk stops where Java's does: at a broken link (prev <= 0, beyond indexCount, or a self
// loop), a negative timeDiff, or an item older than begin.
func (x *IndexFile) SelectPhyOffsets(dst []int64, key []byte, maxNum int, begin, end int64) []int64 {
	return x.selectPhyOffsets(dst, key, maxNum, begin, end, nil)
}

// selectPauseSteps is how many chain items a query walks between pauses (a few µs): a key
// sharing its bucket with a hot key may face a chain of millions of items, and the writer
// (the dispatcher, under the store's append lock) must not wait for all of them.
const selectPauseSteps = 256

// selectPhyOffsets is SelectPhyOffsets with a pause hook, called every selectPauseSteps items;
// it may let a writer in and returns false when the walk must stop (the file was closed).
func (x *IndexFile) selectPhyOffsets(dst []int64, key []byte, maxNum int, begin, end int64, pause func() bool) []int64 {
	be := binary.BigEndian
	keyHash := IndexKeyHash(key)
	cur := int32(be.Uint32(x.data[x.slotPos(keyHash):]))
	if cur <= 0 || cur > x.indexCount || x.indexCount <= 1 {
		return dst
	}
	// At most indexCount steps: a corrupt file with a longer cycle cannot spin for ever.
	for steps := int32(0); steps < x.indexCount && len(dst) < maxNum; steps++ {
		if pause != nil && steps > 0 && steps%selectPauseSteps == 0 && !pause() {
			break
		}
		ip := x.itemPos(cur)
		if ip+indexItemSize > len(x.data) {
			break
		}
		hash := int32(be.Uint32(x.data[ip:]))
		off := int64(be.Uint64(x.data[ip+4:]))
		diff := int64(int32(be.Uint32(x.data[ip+12:])))
		prev := int32(be.Uint32(x.data[ip+16:]))
		if diff < 0 {
			break
		}
		t := x.beginTs + diff*1000
		if hash == keyHash && t >= begin && t <= end {
			dst = append(dst, off)
		}
		if prev <= 0 || prev > x.indexCount || prev == cur || t < begin {
			break
		}
		cur = prev
	}
	return dst
}

// truncateFrom removes the items that point at commitlog offsets >= phyOffset. Items are
// appended in commitlog order, so they form a tail of the item array; undoing them newest
// first restores each bucket's head to the item's prev, exactly the state before they were
// added. It returns the number of items removed.
func (x *IndexFile) truncateFrom(phyOffset int64) int {
	be := binary.BigEndian
	removed := 0
	for x.indexCount > 1 {
		n := x.indexCount - 1
		ip := x.itemPos(n)
		if int64(be.Uint64(x.data[ip+4:])) < phyOffset {
			break
		}
		keyHash := int32(be.Uint32(x.data[ip:]))
		prev := int32(be.Uint32(x.data[ip+16:]))
		if keyHash < 0 {
			keyHash = 0 // only a damaged item; its slot is then simply cleared below
		}
		sp := x.slotPos(keyHash)
		if int32(be.Uint32(x.data[sp:])) == n {
			if prev < 0 || prev >= n {
				prev = 0
			}
			be.PutUint32(x.data[sp:], uint32(prev))
			if prev == 0 && x.slotCount > 0 {
				x.setSlotCount(x.slotCount - 1)
			}
		}
		clear(x.data[ip : ip+indexItemSize])
		x.setIndexCount(n)
		removed++
	}
	if removed == 0 {
		return 0
	}
	if x.indexCount <= 1 {
		// Only when the cut is at or below beginPhy, which IndexService.TruncateFrom handles
		// by deleting the file instead.
		x.setEndPhy(x.beginPhy)
		x.setEndTs(x.beginTs)
		return removed
	}
	ip := x.itemPos(x.indexCount - 1)
	x.setEndPhy(int64(be.Uint64(x.data[ip+4:])))
	// Items keep whole seconds only; the end time becomes that of the last kept item,
	// rounded down, which is what a query compares against anyway.
	x.setEndTs(x.beginTs + int64(int32(be.Uint32(x.data[ip+12:])))*1000)
	return removed
}

// Flush makes the file durable. fsync on Linux also writes back pages dirtied through a
// shared mapping, so no msync is needed.
func (x *IndexFile) Flush() error {
	return x.f.Sync()
}

// Close unmaps and closes the file without flushing.
func (x *IndexFile) Close() error {
	if x.data == nil {
		return nil
	}
	err := syscall.Munmap(x.data)
	x.data = nil
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// destroy closes and deletes the file.
func (x *IndexFile) destroy() error {
	err := x.Close()
	if rerr := os.Remove(x.path); err == nil {
		err = rerr
	}
	return err
}
