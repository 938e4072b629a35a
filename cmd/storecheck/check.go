package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/rocketgo/rocketgo/message"
	"github.com/rocketgo/rocketgo/store"
)

// Sizes are the segment sizes the store was written with (Java config keys).
type Sizes struct {
	CommitLog    int64 // mappedFileSizeCommitLog
	ConsumeQueue int64 // mappedFileSizeConsumeQueue (rounded up to 20 as Java does)
	HashSlotNum  int64 // maxHashSlotNum
	IndexNum     int64 // maxIndexNum
	DelayLevels  []int64
}

// Report is what a check found. Damage lists problems a broker would trip over (recovery would
// cut there, a pull would fail, a query would miss); Notes are facts worth knowing that are
// not damage (a compacted copy, an unclean shutdown).
type Report struct {
	Root            string
	CommitLogFiles  int
	CommitLogMin    int64 // first offset of the first file
	CommitLogEnd    int64 // end of the last valid record
	Records         int
	Blanks          int
	Queues          []QueueReport
	IndexFiles      int
	IndexEntries    int
	Checkpoint      [3]int64 // physicMsgTimestamp, logicsMsgTimestamp, indexMsgTimestamp
	ConfigFiles     []string // "name: status"
	Damage          []string
	Notes           []string
	recordsPerQueue map[queueKey]*queueFromLog
}

// QueueReport describes one consume queue.
type QueueReport struct {
	Topic     string
	QueueID   int
	Units     int   // valid units in the files (including expired ones)
	MinOffset int64 // first unit whose record is still in the commitlog
	MaxOffset int64 // next queue offset to be written
	LogCount  int   // records of this queue found in the commitlog
}

type queueKey struct {
	topic string
	qid   int32
}

type queueFromLog struct {
	count   int
	maxNext int64 // last queue offset + 1
}

func (r *Report) damage(format string, a ...any) {
	if len(r.Damage) < maxFindings {
		r.Damage = append(r.Damage, fmt.Sprintf(format, a...))
	} else if len(r.Damage) == maxFindings {
		r.Damage = append(r.Damage, "… further damage not listed")
	}
}

func (r *Report) note(format string, a ...any) { r.Notes = append(r.Notes, fmt.Sprintf(format, a...)) }

const maxFindings = 200

// segment is one mapped commitlog file, read-only.
type segment struct {
	path string
	from int64
	data []byte // len = min(file length, configured size)
}

type checker struct {
	root     string
	clDir    string
	sizes    Sizes
	rep      *Report
	segs     []segment
	validEnd int64 // end of the last valid record
}

// Check verifies the store under root without changing it: it maps every file read-only and
// takes no lock, so it may run beside a broker (whose in-flight writes may then show up as a
// torn tail).
func Check(root, commitLogDir string, sizes Sizes) (*Report, error) {
	if commitLogDir == "" {
		commitLogDir = filepath.Join(root, "commitlog")
	}
	if sizes.ConsumeQueue%20 != 0 {
		sizes.ConsumeQueue += 20 - sizes.ConsumeQueue%20
	}
	if st, err := os.Stat(root); err != nil {
		return nil, err
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	c := &checker{root: root, clDir: commitLogDir, sizes: sizes, rep: &Report{Root: root, recordsPerQueue: map[queueKey]*queueFromLog{}}}
	defer c.unmap()
	c.checkMarkers()
	if err := c.checkCommitLog(); err != nil {
		return nil, err
	}
	if err := c.checkConsumeQueues(); err != nil {
		return nil, err
	}
	if err := c.checkIndex(); err != nil {
		return nil, err
	}
	c.checkConfig()
	return c.rep, nil
}

func (c *checker) unmap() {
	for _, s := range c.segs {
		if len(s.data) > 0 {
			syscall.Munmap(s.data)
		}
	}
}

// mapReadOnly maps the first n bytes of path (n <= its length).
func mapReadOnly(path string, n int64) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED)
}

func (c *checker) checkMarkers() {
	if _, err := os.Stat(filepath.Join(c.root, "abort")); err == nil {
		c.rep.note("abort file present: the last shutdown was not clean (or a broker is running); the broker will run crash recovery")
	}
	if f, err := os.Open(filepath.Join(c.root, "lock")); err == nil {
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: 0, Len: 1}
		if syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk) == nil && lk.Type != syscall.F_UNLCK {
			c.rep.note("store is locked by process %d: a broker is running, recent writes may look torn", lk.Pid)
		}
		f.Close()
	}
	data, err := os.ReadFile(filepath.Join(c.root, "checkpoint"))
	switch {
	case errors.Is(err, os.ErrNotExist):
		c.rep.note("no checkpoint file")
	case err != nil:
		c.rep.damage("checkpoint: %v", err)
	default:
		if len(data) != 4096 {
			c.rep.damage("checkpoint: %d bytes, want 4096", len(data))
		}
		var b [24]byte
		copy(b[:], data)
		for i := range c.rep.Checkpoint {
			c.rep.Checkpoint[i] = int64(binary.BigEndian.Uint64(b[i*8:]))
		}
	}
}

// numericFiles lists the files of dir whose names are 20-digit offsets, in order.
func numericFiles(dir string) ([]string, []string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	var names, others []string
	for _, e := range ents {
		if _, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && len(e.Name()) == 20 && e.Type().IsRegular() {
			names = append(names, e.Name())
		} else {
			others = append(others, e.Name())
		}
	}
	sort.Strings(names)
	return names, others, nil
}

//	commitlog record (version 1, IPv4 hosts), big-endian:
//	0 TOTALSIZE i32 | 4 MAGICCODE i32 | 8 BODYCRC i32 | 12 QUEUEID i32 | 16 FLAG i32 |
//	20 QUEUEOFFSET i64 | 28 PHYSICALOFFSET i64 | 36 SYSFLAG i32 | 40 BORNTIMESTAMP i64 |
//	48 BORNHOST 8 | 56 STORETIMESTAMP i64 | 64 STOREHOST 8 | 72 RECONSUMETIMES i32 |
//	76 PREPARED TX OFFSET i64 | 84 BODYLEN i32, body | TOPICLEN i8, topic | PROPLEN i16, props
//	end of a file: TOTALSIZE (bytes left) | MAGIC 0xCBD43194
//
// The decoding itself is message.Parse; the checker adds the cross-file rules.
func (c *checker) checkCommitLog() error {
	// storePathCommitLog may list several directories (Java's multi-path commitlog); their
	// segments together form one commitlog.
	var names []string
	dirOf := map[string]string{}
	found := false
	for _, dir := range strings.Split(c.clDir, ",") {
		dir = strings.TrimSpace(dir)
		if dir == "" {
			continue
		}
		ns, others, err := numericFiles(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		found = true
		for _, o := range others {
			c.rep.note("%s/%s: not a segment name, ignored (Java refuses to load some such names)", dir, o)
		}
		for _, n := range ns {
			if prev, dup := dirOf[n]; dup {
				c.rep.damage("commitlog segment %s exists in %s and %s", n, prev, dir)
				continue
			}
			dirOf[n] = dir
			names = append(names, n)
		}
	}
	if !found {
		c.rep.note("no commitlog directory")
		return nil
	}
	sort.Strings(names)
	c.rep.CommitLogFiles = len(names)
	for i, name := range names {
		path := filepath.Join(dirOf[name], name)
		from, _ := strconv.ParseInt(name, 10, 64)
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		n := st.Size()
		switch {
		case n > c.sizes.CommitLog:
			c.rep.damage("commitlog/%s: %d bytes, configured size is %d (Java refuses to start)", name, n, c.sizes.CommitLog)
			n = c.sizes.CommitLog
		case n < c.sizes.CommitLog:
			c.rep.note("commitlog/%s: %d bytes, shorter than the configured %d (a compacted copy? read as zeros past the end)", name, n, c.sizes.CommitLog)
		}
		if from%c.sizes.CommitLog != 0 {
			c.rep.damage("commitlog/%s: start offset is not a multiple of the file size %d", name, c.sizes.CommitLog)
		}
		if i > 0 && from != c.segs[i-1].from+c.sizes.CommitLog {
			c.rep.damage("commitlog/%s: gap or overlap after %s", name, filepath.Base(c.segs[i-1].path))
		}
		data, err := mapReadOnly(path, n)
		if err != nil {
			return fmt.Errorf("map %s: %w", path, err)
		}
		c.segs = append(c.segs, segment{path: path, from: from, data: data})
	}
	if len(c.segs) == 0 {
		return nil
	}
	c.rep.CommitLogMin = c.segs[0].from
	c.validEnd = c.segs[0].from
	// The store allocates the next segment before it is needed, so the newest files may hold
	// nothing yet. Data ends in the last segment that starts with a record; a segment before
	// it must end with a blank record, the empty ones after it are only noted.
	lastData := 0
	for i, s := range c.segs {
		if len(s.data) >= 8 && !isZero(s.data[:8]) {
			lastData = i
		}
	}
	for _, s := range c.segs[lastData+1:] {
		c.rep.note("commitlog/%s: empty, pre-allocated for the next records", filepath.Base(s.path))
	}
	var v message.View
	for i, s := range c.segs {
		last := i >= lastData
		pos := int64(0)
	scan:
		for {
			b := s.data[min(pos, int64(len(s.data))):]
			if len(b) < 8 || isZero(b[:8]) {
				if !last && pos < c.sizes.CommitLog {
					c.rep.damage("commitlog/%s@%d: data ends without the end-of-file blank record", filepath.Base(s.path), pos)
				}
				break
			}
			err := message.Parse(b, &v)
			switch {
			case errors.Is(err, message.ErrBlank):
				if int64(v.TotalSize) != c.sizes.CommitLog-pos {
					c.rep.damage("commitlog/%s@%d: blank record covers %d bytes, %d remain", filepath.Base(s.path), pos, v.TotalSize, c.sizes.CommitLog-pos)
				}
				c.rep.Blanks++
				if last {
					c.validEnd = s.from + c.sizes.CommitLog
				}
				break scan
			case err != nil:
				c.rep.damage("commitlog/%s@%d (offset %d): %v; recovery stops here", filepath.Base(s.path), pos, s.from+pos, err)
				break scan
			}
			off := s.from + pos
			switch {
			case v.PhysicalOffset != off:
				c.rep.damage("commitlog/%s@%d: record says it is at offset %d", filepath.Base(s.path), pos, v.PhysicalOffset)
			case !v.CRCOK():
				c.rep.damage("commitlog/%s@%d (offset %d): body CRC mismatch; recovery stops here", filepath.Base(s.path), pos, off)
			case v.StoreTimestamp <= 0:
				c.rep.damage("commitlog/%s@%d: store timestamp %d", filepath.Base(s.path), pos, v.StoreTimestamp)
			}
			c.rep.Records++
			tt := message.TransactionType(v.SysFlag)
			if tt == message.TransactionNotType || tt == message.TransactionCommitType {
				k := queueKey{string(v.Topic), v.QueueID}
				q := c.rep.recordsPerQueue[k]
				if q == nil {
					q = &queueFromLog{}
					c.rep.recordsPerQueue[k] = q
				}
				q.count++
				q.maxNext = max(q.maxNext, v.QueueOffset+1)
			}
			pos += int64(v.TotalSize)
			c.validEnd = s.from + pos
			if pos+8 > c.sizes.CommitLog {
				// Java appends a record only if 8 bytes remain for the end-of-file blank.
				c.rep.damage("commitlog/%s@%d: record runs into the last 8 bytes of the file", filepath.Base(s.path), pos)
				break
			}
		}
	}
	c.rep.CommitLogEnd = c.validEnd
	return nil
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// record returns the parsed record starting at commitlog offset off, or an error.
func (c *checker) record(off int64, v *message.View) error {
	if len(c.segs) == 0 || off < c.segs[0].from || off >= c.validEnd {
		return fmt.Errorf("offset %d outside the commitlog [%d, %d)", off, c.rep.CommitLogMin, c.validEnd)
	}
	i := int((off - c.segs[0].from) / c.sizes.CommitLog)
	if i >= len(c.segs) || off < c.segs[i].from {
		return fmt.Errorf("offset %d in a missing commitlog file", off)
	}
	pos := off - c.segs[i].from
	if pos >= int64(len(c.segs[i].data)) {
		return fmt.Errorf("offset %d past the data of %s", off, filepath.Base(c.segs[i].path))
	}
	if err := message.Parse(c.segs[i].data[pos:], v); err != nil {
		return fmt.Errorf("no record at offset %d: %v", off, err)
	}
	if v.PhysicalOffset != off {
		return fmt.Errorf("no record starts at offset %d", off)
	}
	return nil
}

func (c *checker) tagsCode(v *message.View) int64 {
	if string(v.Topic) == message.ScheduleTopic {
		if d, ok := message.PropertyValue(v.Properties, message.PropertyDelayTimeLevel); ok && len(c.sizes.DelayLevels) > 0 {
			if level, err := strconv.Atoi(string(d)); err == nil && level > 0 {
				level = min(level, len(c.sizes.DelayLevels))
				return v.StoreTimestamp + c.sizes.DelayLevels[level-1]
			}
		}
	}
	tags, _ := message.PropertyValue(v.Properties, message.PropertyTags)
	return message.TagsCode(tags)
}

// consume queue unit, big-endian: 0 commitlog offset i64 | 8 size i32 | 12 tagsCode i64
// (a queue that starts past 0 is padded with (0, 0x7FFFFFFF, 0) units)
func (c *checker) checkConsumeQueues() error {
	cqRoot := filepath.Join(c.root, "consumequeue")
	topics, err := os.ReadDir(cqRoot)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	seen := map[queueKey]bool{}
	var v message.View
	for _, t := range topics {
		if !t.IsDir() {
			continue
		}
		qdirs, err := os.ReadDir(filepath.Join(cqRoot, t.Name()))
		if err != nil {
			return err
		}
		for _, qd := range qdirs {
			qid, err := strconv.Atoi(qd.Name())
			if err != nil || !qd.IsDir() {
				continue // Java ignores non-numeric queue dirs too
			}
			dir := filepath.Join(cqRoot, t.Name(), qd.Name())
			rel := t.Name() + "/" + qd.Name()
			names, _, err := numericFiles(dir)
			if err != nil {
				return err
			}
			qr := QueueReport{Topic: t.Name(), QueueID: qid, MinOffset: -1}
			var prevFrom int64 = -1
			ended := false
			for _, name := range names {
				from, _ := strconv.ParseInt(name, 10, 64)
				if prevFrom >= 0 && from != prevFrom+c.sizes.ConsumeQueue {
					c.rep.damage("consumequeue/%s/%s: gap or overlap after %s", rel, name, fileNameOf(prevFrom))
				}
				prevFrom = from
				if from%20 != 0 {
					c.rep.damage("consumequeue/%s/%s: start is not a multiple of 20", rel, name)
				}
				data, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					return err
				}
				if int64(len(data)) > c.sizes.ConsumeQueue {
					c.rep.damage("consumequeue/%s/%s: %d bytes, configured size is %d", rel, name, len(data), c.sizes.ConsumeQueue)
					data = data[:c.sizes.ConsumeQueue]
				}
				for p := 0; p+20 <= len(data); p += 20 {
					phys := int64(binary.BigEndian.Uint64(data[p:]))
					size := int32(binary.BigEndian.Uint32(data[p+8:]))
					tags := int64(binary.BigEndian.Uint64(data[p+12:]))
					qoff := (from + int64(p)) / 20
					if phys == 0 && size == 0x7FFFFFFF && tags == 0 {
						continue // padding before the queue's first real unit
					}
					if phys < 0 || size <= 0 {
						if !isZero(data[p:]) {
							c.rep.damage("consumequeue/%s/%s: garbage after the last unit at queue offset %d", rel, name, qoff)
						}
						ended = true
						break
					}
					if ended {
						break
					}
					qr.Units++
					qr.MaxOffset = qoff + 1
					if phys < c.rep.CommitLogMin {
						continue // the record went with commitlog retention
					}
					if qr.MinOffset < 0 {
						qr.MinOffset = qoff
					}
					if err := c.record(phys, &v); err != nil {
						c.rep.damage("consumequeue/%s queue offset %d: %v", rel, qoff, err)
						continue
					}
					switch {
					case v.TotalSize != size:
						c.rep.damage("consumequeue/%s queue offset %d: size %d, record at %d is %d bytes", rel, qoff, size, phys, v.TotalSize)
					case string(v.Topic) != t.Name() || int(v.QueueID) != qid:
						c.rep.damage("consumequeue/%s queue offset %d: record at %d belongs to %s/%d", rel, qoff, phys, v.Topic, v.QueueID)
					case v.QueueOffset != qoff:
						c.rep.damage("consumequeue/%s queue offset %d: record at %d has queue offset %d", rel, qoff, phys, v.QueueOffset)
					case tags != c.tagsCode(&v):
						c.rep.damage("consumequeue/%s queue offset %d: tagsCode %d, record's tags give %d", rel, qoff, tags, c.tagsCode(&v))
					}
				}
				if ended {
					break
				}
			}
			if qr.MinOffset < 0 {
				qr.MinOffset = qr.MaxOffset
			}
			k := queueKey{t.Name(), int32(qid)}
			seen[k] = true
			if fl := c.rep.recordsPerQueue[k]; fl != nil {
				qr.LogCount = fl.count
				if fl.maxNext != qr.MaxOffset {
					c.rep.damage("consumequeue/%s: commitlog has records up to queue offset %d, the queue ends at %d (dispatch behind or lost)", rel, fl.maxNext-1, qr.MaxOffset)
				}
			}
			c.rep.Queues = append(c.rep.Queues, qr)
		}
	}
	for k, fl := range c.rep.recordsPerQueue {
		if !seen[k] {
			c.rep.damage("queue %s/%d: %d records in the commitlog but no consume queue", k.topic, k.qid, fl.count)
			c.rep.Queues = append(c.rep.Queues, QueueReport{Topic: k.topic, QueueID: int(k.qid), LogCount: fl.count})
		}
	}
	sort.Slice(c.rep.Queues, func(i, j int) bool {
		a, b := c.rep.Queues[i], c.rep.Queues[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.QueueID < b.QueueID
	})
	return nil
}

func fileNameOf(off int64) string { return fmt.Sprintf("%020d", off) }

// checkIndex walks every index file: every slot chain must stay inside its bucket and reach
// each item once, and every item must point at a record (still in the commitlog) that has a
// key with the item's hash.
func (c *checker) checkIndex() error {
	dir := filepath.Join(c.root, "index")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	size := 40 + c.sizes.HashSlotNum*4 + c.sizes.IndexNum*20
	var v message.View
	for _, e := range ents {
		name := e.Name()
		if len(name) != 17 || strings.Trim(name, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		c.rep.IndexFiles++
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		n := min(st.Size(), size)
		if st.Size() < size {
			c.rep.note("index/%s: %d bytes, shorter than the configured %d (read as zeros past the end)", name, st.Size(), size)
		}
		data, err := mapReadOnly(path, n)
		if err != nil {
			return fmt.Errorf("map %s: %w", path, err)
		}
		c.checkIndexFile(name, data, size, &v)
		if len(data) > 0 {
			syscall.Munmap(data)
		}
	}
	return nil
}

func (c *checker) checkIndexFile(name string, data []byte, size int64, v *message.View) {
	at := func(p int64, n int) []byte { // bytes past a short file read as zeros
		if p+int64(n) <= int64(len(data)) {
			return data[p : p+int64(n)]
		}
		out := make([]byte, n)
		if p < int64(len(data)) {
			copy(out, data[p:])
		}
		return out
	}
	be := binary.BigEndian
	hdr := at(0, 40)
	count := int64(int32(be.Uint32(hdr[36:])))
	if count <= 0 {
		count = 1
	}
	slots := c.sizes.HashSlotNum
	if count > c.sizes.IndexNum {
		c.rep.damage("index/%s: indexCount %d exceeds maxIndexNum %d", name, count, c.sizes.IndexNum)
		count = c.sizes.IndexNum
	}
	c.rep.IndexEntries += int(count - 1)
	itemBase := 40 + slots*4
	reached := make([]bool, count)
	usedSlots := int64(0)
	// Slots past the end of a short file are zero: empty buckets.
	inFile := min(slots, max(0, (int64(len(data))-40)/4))
	for s := int64(0); s < inFile; s++ {
		head := int64(int32(be.Uint32(data[40+s*4:])))
		if head == 0 {
			continue
		}
		usedSlots++
		if head < 0 || head >= count {
			c.rep.damage("index/%s: slot %d points at item %d, indexCount is %d", name, s, head, count)
			continue
		}
		for cur, steps := head, int64(0); cur > 0 && steps < count; steps++ {
			if cur >= count {
				c.rep.damage("index/%s: chain of slot %d leaves the items (%d)", name, s, cur)
				break
			}
			if reached[cur] {
				c.rep.damage("index/%s: item %d reached twice (chain cycle or shared tail)", name, cur)
				break
			}
			reached[cur] = true
			item := at(itemBase+cur*20, 20)
			if h := int64(int32(be.Uint32(item))); h < 0 || h%slots != s {
				c.rep.damage("index/%s: item %d (hash %d) sits in the chain of slot %d", name, cur, h, s)
			}
			prev := int64(int32(be.Uint32(item[16:])))
			if prev >= cur {
				c.rep.damage("index/%s: item %d links forward to %d", name, cur, prev)
				break
			}
			cur = prev
		}
	}
	if got := int64(int32(be.Uint32(hdr[32:]))); got != usedSlots {
		c.rep.note("index/%s: hashSlotCount %d, %d slots are in use", name, got, usedSlots)
	}
	for n := int64(1); n < count; n++ {
		if !reached[n] {
			c.rep.damage("index/%s: item %d is not reachable from its slot", name, n)
		}
		item := at(itemBase+n*20, 20)
		hash := int32(be.Uint32(item))
		phys := int64(be.Uint64(item[4:]))
		if phys < c.rep.CommitLogMin {
			continue // expired with the commitlog
		}
		if err := c.record(phys, v); err != nil {
			c.rep.damage("index/%s item %d: %v", name, n, err)
			continue
		}
		if !recordHasKeyHash(v, hash) {
			c.rep.damage("index/%s item %d: no key of the record at %d hashes to %d", name, n, phys, hash)
		}
	}
}

func recordHasKeyHash(v *message.View, hash int32) bool {
	var buf []byte
	try := func(k []byte) bool {
		if len(k) == 0 {
			return false
		}
		buf = append(append(append(buf[:0], v.Topic...), '#'), k...)
		return store.IndexKeyHash(buf) == hash
	}
	if u, ok := message.PropertyValue(v.Properties, message.PropertyUniqClientMessageIDKeyIdx); ok && try(u) {
		return true
	}
	keys, _ := message.PropertyValue(v.Properties, message.PropertyKeys)
	for _, k := range bytes.Split(keys, []byte{' '}) {
		if try(k) {
			return true
		}
	}
	return false
}

// checkConfig parses config/*.json (and their .bak) the way the broker loads them.
func (c *checker) checkConfig() {
	dir := filepath.Join(c.root, "config")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, name)
		var loaded any
		from, err := store.LoadConfigFile(path, func(b []byte) error { return json.Unmarshal(quoteNumericKeys(b), &loaded) })
		switch {
		case err != nil:
			c.rep.damage("config/%s: %v", name, err)
			c.rep.ConfigFiles = append(c.rep.ConfigFiles, name+": unusable")
		case from == "":
			c.rep.ConfigFiles = append(c.rep.ConfigFiles, name+": empty")
		case from != path:
			c.rep.note("config/%s: unusable, the broker will load %s", name, filepath.Base(from))
			c.rep.ConfigFiles = append(c.rep.ConfigFiles, name+": from .bak")
		default:
			c.rep.ConfigFiles = append(c.rep.ConfigFiles, name+": ok")
		}
	}
}

// quoteNumericKeys turns fastjson's unquoted integer map keys ({0:250,1:251}) into strict
// JSON. Outside strings, a run of digits (with an optional minus) right after '{' or ',' and
// followed by ':' is a key.
func quoteNumericKeys(b []byte) []byte {
	out := make([]byte, 0, len(b)+16)
	inStr, esc := false, false
	for i := 0; i < len(b); i++ {
		ch := b[i]
		if inStr {
			out = append(out, ch)
			switch {
			case esc:
				esc = false
			case ch == '\\':
				esc = true
			case ch == '"':
				inStr = false
			}
			continue
		}
		if ch == '"' {
			inStr = true
			out = append(out, ch)
			continue
		}
		out = append(out, ch)
		if ch != '{' && ch != ',' {
			continue
		}
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
			j++
		}
		k := j
		if k < len(b) && b[k] == '-' {
			k++
		}
		d := k
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if k > d && k < len(b) && b[k] == ':' {
			out = append(out, b[i+1:j]...)
			out = append(out, '"')
			out = append(out, b[j:k]...)
			out = append(out, '"')
			i = k - 1
		}
	}
	return out
}

// Print writes the report for a person.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "store %s\n", r.Root)
	fmt.Fprintf(w, "commitlog: %d file(s), offsets [%d, %d), %d records, %d end-of-file blanks\n",
		r.CommitLogFiles, r.CommitLogMin, r.CommitLogEnd, r.Records, r.Blanks)
	fmt.Fprintf(w, "checkpoint: physicMsgTimestamp=%d logicsMsgTimestamp=%d indexMsgTimestamp=%d\n",
		r.Checkpoint[0], r.Checkpoint[1], r.Checkpoint[2])
	fmt.Fprintf(w, "%-40s %8s %12s %12s %10s\n", "queue", "units", "minOffset", "maxOffset", "inLog")
	for _, q := range r.Queues {
		fmt.Fprintf(w, "%-40s %8d %12d %12d %10d\n", fmt.Sprintf("%s/%d", q.Topic, q.QueueID), q.Units, q.MinOffset, q.MaxOffset, q.LogCount)
	}
	fmt.Fprintf(w, "index: %d file(s), %d entries\n", r.IndexFiles, r.IndexEntries)
	if len(r.ConfigFiles) > 0 {
		fmt.Fprintf(w, "config: %s\n", strings.Join(r.ConfigFiles, ", "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(r.Damage) == 0 {
		fmt.Fprintln(w, "damage: none")
		return
	}
	fmt.Fprintf(w, "damage: %d finding(s)\n", len(r.Damage))
	for _, d := range r.Damage {
		fmt.Fprintf(w, "  %s\n", d)
	}
}
