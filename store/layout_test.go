package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"unicode/utf16"

	"github.com/rocketgo/rocketgo/message"
)

// The reader in this file decodes the files with nothing but the published layout
// (store-and-broker.md §2.2, §3.1, §5.1), never the store's or message package's decoders.

type sentMsg struct {
	topic      string
	queue      int32
	body       []byte
	props      string
	flag       int32
	sysFlag    int32
	born, stor netip.AddrPort
}

func javaHashIndependent(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

type rawRecord struct {
	pos                                        int64
	size, magic, crc, queue, flag, sysFlag     int32
	queueOffset, phys, bornTs, storeTs, prepTx int64
	born, stor                                 netip.AddrPort
	reconsume                                  int32
	body                                       []byte
	topic                                      string
	props                                      string
}

func readHostIndependent(b []byte, v6 bool) (netip.AddrPort, int) {
	if v6 {
		var a [16]byte
		copy(a[:], b)
		return netip.AddrPortFrom(netip.AddrFrom16(a), uint16(binary.BigEndian.Uint32(b[16:]))), 20
	}
	var a [4]byte
	copy(a[:], b)
	return netip.AddrPortFrom(netip.AddrFrom4(a), uint16(binary.BigEndian.Uint32(b[4:]))), 8
}

func readCommitLogIndependent(t *testing.T, dir string, fileSize int) []rawRecord {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	ents = ents[:lastWithData(t, dir)+1] // a pre-allocated, all-zero next segment holds nothing
	var out []rawRecord
	be := binary.BigEndian
	for i, e := range ents {
		if e.Name() != fmt.Sprintf("%020d", i*fileSize) {
			t.Fatalf("file %d named %s", i, e.Name())
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if len(b) != fileSize {
			t.Fatalf("%s is %d bytes, want %d", e.Name(), len(b), fileSize)
		}
		pos := 0
		for pos+8 <= len(b) {
			size := int32(be.Uint32(b[pos:]))
			magic := int32(be.Uint32(b[pos+4:]))
			if uint32(magic) == 0xCBD43194 {
				if int(size) != len(b)-pos || i == len(ents)-1 && false {
					t.Fatalf("%s: blank at %d says %d", e.Name(), pos, size)
				}
				break
			}
			if size == 0 {
				if i != len(ents)-1 {
					t.Fatalf("%s: data ends at %d without a blank", e.Name(), pos)
				}
				break
			}
			r := rawRecord{pos: int64(i*fileSize + pos), size: size, magic: magic}
			p := b[pos : pos+int(size)]
			r.crc = int32(be.Uint32(p[8:]))
			r.queue = int32(be.Uint32(p[12:]))
			r.flag = int32(be.Uint32(p[16:]))
			r.queueOffset = int64(be.Uint64(p[20:]))
			r.phys = int64(be.Uint64(p[28:]))
			r.sysFlag = int32(be.Uint32(p[36:]))
			r.bornTs = int64(be.Uint64(p[40:]))
			o := 48
			var n int
			r.born, n = readHostIndependent(p[o:], r.sysFlag&0x10 != 0)
			o += n
			r.storeTs = int64(be.Uint64(p[o:]))
			o += 8
			r.stor, n = readHostIndependent(p[o:], r.sysFlag&0x20 != 0)
			o += n
			r.reconsume = int32(be.Uint32(p[o:]))
			r.prepTx = int64(be.Uint64(p[o+4:]))
			bl := int(be.Uint32(p[o+12:]))
			o += 16
			r.body = p[o : o+bl]
			o += bl
			tl := int(p[o])
			o++
			r.topic = string(p[o : o+tl])
			o += tl
			pl := int(be.Uint16(p[o:]))
			o += 2
			r.props = string(p[o : o+pl])
			if o+pl != int(size) {
				t.Fatalf("record at %d: fields end at %d, TOTALSIZE %d", r.pos, o+pl, size)
			}
			out = append(out, r)
			pos += int(size)
		}
	}
	return out
}

func TestLayoutIndependentReader(t *testing.T) {
	cfg := testConfig(t)
	cfg.MappedFileSizeCommitLog = 8192
	cfg.MappedFileSizeConsumeQueue = 16 * cqUnitSize
	s := mustOpen(t, cfg)
	v6 := netip.MustParseAddrPort("[2001:db8::7]:1234")
	var sent []sentMsg
	for i := 0; i < 120; i++ {
		m := newMsg(fmt.Sprint("L", i%3), int32(i%4), fmt.Sprintf("body %d %s", i, "ü😀"), "TAGS", fmt.Sprint("标签", i%5), "KEYS", fmt.Sprint("k", i))
		m.Flag = int32(i)
		m.SysFlag = int32(i%2) * message.SysFlagCompressed
		if i%7 == 0 {
			m.BornHost = v6
		}
		r := s.PutMessage(m)
		if r.Status != PutOK {
			t.Fatal(r.Status)
		}
		sf := m.SysFlag
		if i%7 == 0 {
			sf |= 0x10
		}
		sent = append(sent, sentMsg{m.Topic, m.QueueID, m.Body, string(m.Properties), m.Flag, sf, m.BornHost, m.StoreHost})
	}
	s.Close()

	recs := readCommitLogIndependent(t, cfg.CommitLogDir(), cfg.MappedFileSizeCommitLog)
	if len(recs) != len(sent) {
		t.Fatalf("%d records, sent %d", len(recs), len(sent))
	}
	next := map[string]int64{}
	var lastTs int64
	for i, r := range recs {
		w := sent[i]
		key := w.topic + "-" + strconv.Itoa(int(w.queue))
		want := int32(91 + len(w.body) + len(w.topic) + len(w.props))
		if w.sysFlag&0x10 != 0 {
			want += 12
		}
		if r.magic != -626843481 || r.size != want || r.phys != r.pos || r.topic != w.topic || r.queue != w.queue ||
			string(r.body) != string(w.body) || r.props != w.props || r.flag != w.flag || r.sysFlag != w.sysFlag ||
			r.born != w.born || r.stor != w.stor || r.queueOffset != next[key] || r.reconsume != 0 || r.prepTx != 0 ||
			r.crc != int32(crc32.ChecksumIEEE(w.body)&0x7FFFFFFF) || r.storeTs < lastTs || r.bornTs != 1700000000000 {
			t.Fatalf("record %d: %+v\nsent %+v", i, r, w)
		}
		next[key]++
		lastTs = r.storeTs
	}

	// Consume queues: every unit points at its record with the Java hash of TAGS.
	byPos := map[int64]rawRecord{}
	for _, r := range recs {
		byPos[r.pos] = r
	}
	units := 0
	qdirs, _ := filepath.Glob(filepath.Join(cfg.ConsumeQueueDir(), "*", "*"))
	sort.Strings(qdirs)
	for _, qd := range qdirs {
		ents, _ := os.ReadDir(qd)
		var idx int64
		for fi, e := range ents {
			if e.Name() != fmt.Sprintf("%020d", fi*16*cqUnitSize) {
				t.Fatalf("%s: file %s", qd, e.Name())
			}
			b, _ := os.ReadFile(filepath.Join(qd, e.Name()))
			if len(b) != 16*cqUnitSize {
				t.Fatalf("cq file size %d", len(b))
			}
			for p := 0; p+20 <= len(b); p += 20 {
				phys := int64(binary.BigEndian.Uint64(b[p:]))
				size := int32(binary.BigEndian.Uint32(b[p+8:]))
				tags := int64(binary.BigEndian.Uint64(b[p+12:]))
				if size == 0 {
					break
				}
				r, ok := byPos[phys]
				_, tagVal, _ := cutProp(r.props, "TAGS")
				if !ok || r.size != size || r.queueOffset != idx || tags != int64(javaHashIndependent(tagVal)) ||
					filepath.Base(filepath.Dir(qd)) != r.topic || filepath.Base(qd) != strconv.Itoa(int(r.queue)) {
					t.Fatalf("%s unit %d: %d %d %d", qd, idx, phys, size, tags)
				}
				idx++
				units++
			}
		}
	}
	if units != len(recs) {
		t.Fatalf("%d units for %d records", units, len(recs))
	}

	// Checkpoint: 4096 bytes, timestamps not later than the last record.
	cp, _ := os.ReadFile(cfg.CheckpointPath())
	if len(cp) != 4096 {
		t.Fatalf("checkpoint is %d bytes", len(cp))
	}
	if phy := int64(binary.BigEndian.Uint64(cp)); phy != lastTs {
		t.Fatalf("checkpoint physicMsgTimestamp %d, last record %d", phy, lastTs)
	}
	if lk, _ := os.ReadFile(cfg.LockPath()); string(lk) != "lock" {
		t.Fatalf("lock file %q", lk)
	}
	if _, err := os.Stat(cfg.AbortPath()); !os.IsNotExist(err) {
		t.Fatal("abort left after a clean close")
	}
}

// cutProp finds one property with plain string operations.
func cutProp(props, name string) (string, string, bool) {
	for _, kv := range splitOn(props, 2) {
		parts := splitOn(kv, 1)
		if len(parts) == 2 && parts[0] == name {
			return name, parts[1], true
		}
	}
	return "", "", false
}

func splitOn(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
