package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/netip"
)

// A commitlog record, version 1 with IPv4 hosts (offsets from the record start, all big-endian):
//
//	 0 | TOTALSIZE       int32 | whole record, this field included
//	 4 | MAGICCODE       int32 | MagicV1 DAA320A7 (MagicV2 DAA320AB: TOPICLENGTH is 2 bytes)
//	 8 | BODYCRC         int32 | CRC32-IEEE of BODY as stored, & 0x7FFFFFFF
//	12 | QUEUEID         int32 |
//	16 | FLAG            int32 | the producer's flag
//	20 | QUEUEOFFSET     int64 | logical offset in the consume queue
//	28 | PHYSICALOFFSET  int64 | commitlog offset of this record
//	36 | SYSFLAG         int32 | SysFlag* bits
//	40 | BORNTIMESTAMP   int64 | ms
//	48 | BORNHOST        4+4   | IPv4 + int32 port (16+4 with SysFlagBornHostV6)
//	56 | STORETIMESTAMP  int64 | ms, set under the append lock
//	64 | STOREHOST       4+4   | IPv4 + int32 port (16+4 with SysFlagStoreHostV6)
//	72 | RECONSUMETIMES  int32 |
//	76 | PREPAREDTXOFF   int64 | half record offset of a committed transaction, else 0
//	84 | BODYLENGTH      int32 | B
//	88 | BODY            B     |
//	   | TOPICLENGTH     int8  | T (int16 in version 2)
//	   | TOPIC           T     | UTF-8
//	   | PROPERTIESLEN   int16 | P
//	   | PROPERTIES      P     | see properties.go
//
// TOTALSIZE = 91 + B + T + P for version 1 with IPv4 hosts; each IPv6 host adds 12 bytes and
// version 2 adds 1. Example (the test vector of TestRecordVector): topic TopicTest, queue 1, queue
// offset 5, physical offset 4096, born 1700000000000 at 127.0.0.1:54321, stored 1700000000123 at
// 192.168.0.10:10911, body "Hello", properties TAGS=TagA, 114 bytes:
//
//	00 00 00 72 DA A3 20 A7 77 D1 89 82 00 00 00 01   size 114, magic, crc, queue 1
//	00 00 00 00 00 00 00 00 00 00 00 05 00 00 00 00   flag 0, queue offset 5, phys..
//	00 00 10 00 00 00 00 00 00 00 01 8B CF E5 68 00   ..4096, sysflag 0, born ts
//	7F 00 00 01 00 00 D4 31 00 00 01 8B CF E5 68 7B   born host, store ts
//	C0 A8 00 0A 00 00 2A 9F 00 00 00 00 00 00 00 00   store host, reconsume 0, prepared..
//	00 00 00 00 00 00 00 05 48 65 6C 6C 6F 09 54 6F   ..0, body len 5, "Hello", 9 "To
//	70 69 63 54 65 73 74 00 09 54 41 47 53 01 54 61   picTest", props len 9, "TAGS\x01Ta
//	67 41                                             gA"
//
// An end-of-file blank is only the 8 bytes [int32 bytes left in the file][MagicBlank].

// Fixed field positions for IPv4 born hosts; readers that only need one field use these.
const (
	PosTotalSize      = 0
	PosMagic          = 4
	PosBodyCRC        = 8
	PosQueueID        = 12
	PosFlag           = 16
	PosQueueOffset    = 20
	PosPhysicalOffset = 28
	PosSysFlag        = 36
	PosBornTimestamp  = 40
	PosBornHost       = 48
)

// Errors of Parse. A reader scanning a commitlog treats every one of them as "valid data ends
// here"; they are distinct so that recovery can say why.
var (
	ErrShortRecord = errors.New("message: record truncated")
	ErrBadMagic    = errors.New("message: bad magic code")
	ErrBlank       = errors.New("message: end-of-file blank")
	ErrBadLength   = errors.New("message: TOTALSIZE does not match the fields")
	ErrBadCRC      = errors.New("message: body CRC mismatch")
	ErrTooLarge    = errors.New("message: record field too large")
)

// Msg is what a producer asked to store, before the store assigns offsets and a store time.
// Properties is the encoded property string, stored exactly as given.
type Msg struct {
	Topic                     string
	QueueID                   int32
	Flag                      int32
	SysFlag                   int32
	BornTimestamp             int64
	BornHost                  netip.AddrPort
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte
	Properties                []byte
	// NoWait is Java's isWaitStoreMsgOK() == false (WAIT=false on the send): the put is
	// acknowledged without waiting for SYNC_FLUSH or SYNC_MASTER. It is not stored; the broker
	// sets it because 4.9.8 drops WAIT from the stored properties.
	NoWait bool
}

func hostLen(a netip.AddrPort) int {
	if is4(a) {
		return 8
	}
	return 20
}

func is4(a netip.AddrPort) bool {
	ad := a.Addr()
	return !ad.IsValid() || ad.Is4() || ad.Is4In6()
}

// hostFlags derives the IPv6 sysFlag bits from the addresses, so the flags can never disagree
// with the field widths actually written.
func hostFlags(sysFlag int32, born, store netip.AddrPort) int32 {
	sysFlag &^= SysFlagBornHostV6 | SysFlagStoreHostV6
	if !is4(born) {
		sysFlag |= SysFlagBornHostV6
	}
	if !is4(store) {
		sysFlag |= SysFlagStoreHostV6
	}
	return sysFlag
}

// RecordLen is the stored size of m. Topics longer than 127 bytes need a version-2 record.
func RecordLen(m *Msg) int {
	n := 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + hostLen(m.BornHost) + 8 + hostLen(m.StoreHost) + 4 + 8 +
		4 + len(m.Body) + 1 + len(m.Topic) + 2 + len(m.Properties)
	if len(m.Topic) > 127 {
		n++
	}
	return n
}

// BodyCRC is the RMQ CRC: CRC32-IEEE with the sign bit cleared.
func BodyCRC(b []byte) int32 { return int32(crc32.ChecksumIEEE(b) & 0x7FFFFFFF) }

func putHost(b []byte, a netip.AddrPort) int {
	ad := a.Addr()
	if is4(a) {
		if ad.IsValid() {
			v4 := ad.Unmap().As4()
			copy(b, v4[:])
		} else {
			clear(b[:4])
		}
		binary.BigEndian.PutUint32(b[4:], uint32(a.Port()))
		return 8
	}
	v6 := ad.As16()
	copy(b, v6[:])
	binary.BigEndian.PutUint32(b[16:], uint32(a.Port()))
	return 20
}

// PutRecord encodes m into dst, which must hold RecordLen(m) bytes, and returns the length.
// The caller checks the limits (topic ≤ 65535 bytes, properties ≤ 32767 bytes); PutRecord
// allocates nothing, so the store writes straight into a mapped file.
func PutRecord(dst []byte, m *Msg, queueOffset, physicalOffset, storeTimestamp int64) int {
	n := RecordLen(m)
	b := dst[:n]
	be := binary.BigEndian
	magic := MagicV1
	if len(m.Topic) > 127 {
		magic = MagicV2
	}
	be.PutUint32(b[0:], uint32(n))
	be.PutUint32(b[4:], uint32(magic))
	be.PutUint32(b[8:], uint32(BodyCRC(m.Body)))
	be.PutUint32(b[12:], uint32(m.QueueID))
	be.PutUint32(b[16:], uint32(m.Flag))
	be.PutUint64(b[20:], uint64(queueOffset))
	be.PutUint64(b[28:], uint64(physicalOffset))
	be.PutUint32(b[36:], uint32(hostFlags(m.SysFlag, m.BornHost, m.StoreHost)))
	be.PutUint64(b[40:], uint64(m.BornTimestamp))
	p := 48
	p += putHost(b[p:], m.BornHost)
	be.PutUint64(b[p:], uint64(storeTimestamp))
	p += 8
	p += putHost(b[p:], m.StoreHost)
	be.PutUint32(b[p:], uint32(m.ReconsumeTimes))
	be.PutUint64(b[p+4:], uint64(m.PreparedTransactionOffset))
	be.PutUint32(b[p+12:], uint32(len(m.Body)))
	p += 16
	p += copy(b[p:], m.Body)
	if magic == MagicV2 {
		be.PutUint16(b[p:], uint16(len(m.Topic)))
		p += 2
	} else {
		b[p] = byte(len(m.Topic))
		p++
	}
	p += copy(b[p:], m.Topic)
	be.PutUint16(b[p:], uint16(len(m.Properties)))
	p += 2
	copy(b[p:], m.Properties)
	return n
}

// AppendRecord appends the encoded m to dst.
func AppendRecord(dst []byte, m *Msg, queueOffset, physicalOffset, storeTimestamp int64) []byte {
	n := RecordLen(m)
	dst = grow(dst, n)
	PutRecord(dst[len(dst)-n:], m, queueOffset, physicalOffset, storeTimestamp)
	return dst
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), 2*cap(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// View is a parsed record whose byte fields alias the input; it costs no allocation, which
// matters for the dispatcher and recovery that parse every record.
type View struct {
	TotalSize                 int32
	Magic                     int32
	BodyCRC                   int32
	QueueID                   int32
	Flag                      int32
	QueueOffset               int64
	PhysicalOffset            int64
	SysFlag                   int32
	BornTimestamp             int64
	BornHost                  netip.AddrPort
	StoreTimestamp            int64
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte
	Topic                     []byte
	Properties                []byte
}

// PeekSize reads TOTALSIZE and the magic code of the record at the start of b. For a blank it
// returns the number of bytes the blank covers and ErrBlank.
func PeekSize(b []byte) (int32, error) {
	if len(b) < 8 {
		return 0, ErrShortRecord
	}
	size := int32(binary.BigEndian.Uint32(b))
	switch int32(binary.BigEndian.Uint32(b[4:])) {
	case MagicV1, MagicV2:
		return size, nil
	case MagicBlank:
		return size, ErrBlank
	}
	return size, ErrBadMagic
}

func readHost(b []byte, v6 bool) (netip.AddrPort, int, bool) {
	if !v6 {
		if len(b) < 8 {
			return netip.AddrPort{}, 0, false
		}
		a := netip.AddrFrom4([4]byte(b[:4]))
		return netip.AddrPortFrom(a, uint16(binary.BigEndian.Uint32(b[4:]))), 8, true
	}
	if len(b) < 20 {
		return netip.AddrPort{}, 0, false
	}
	a := netip.AddrFrom16([16]byte(b[:16]))
	return netip.AddrPortFrom(a, uint16(binary.BigEndian.Uint32(b[16:]))), 20, true
}

// Parse decodes the record at the start of b into v without checking the body CRC (see
// View.CRCOK). Every length is checked against b and against TOTALSIZE before it is used, so
// garbage input yields an error, never a panic. A blank yields ErrBlank with v.TotalSize set.
func Parse(b []byte, v *View) error {
	size, err := PeekSize(b)
	v.TotalSize = size
	if err != nil {
		return err
	}
	if size < 91 || int(size) > len(b) {
		if size < 91 {
			return ErrBadLength
		}
		return ErrShortRecord
	}
	r := b[:size]
	be := binary.BigEndian
	v.Magic = int32(be.Uint32(r[4:]))
	v.BodyCRC = int32(be.Uint32(r[8:]))
	v.QueueID = int32(be.Uint32(r[12:]))
	v.Flag = int32(be.Uint32(r[16:]))
	v.QueueOffset = int64(be.Uint64(r[20:]))
	v.PhysicalOffset = int64(be.Uint64(r[28:]))
	v.SysFlag = int32(be.Uint32(r[36:]))
	v.BornTimestamp = int64(be.Uint64(r[40:]))
	p := 48
	var ok bool
	var n int
	if v.BornHost, n, ok = readHost(r[p:], v.SysFlag&SysFlagBornHostV6 != 0); !ok {
		return ErrBadLength
	}
	p += n
	if len(r) < p+8 {
		return ErrBadLength
	}
	v.StoreTimestamp = int64(be.Uint64(r[p:]))
	p += 8
	if v.StoreHost, n, ok = readHost(r[p:], v.SysFlag&SysFlagStoreHostV6 != 0); !ok {
		return ErrBadLength
	}
	p += n
	if len(r) < p+16 {
		return ErrBadLength
	}
	v.ReconsumeTimes = int32(be.Uint32(r[p:]))
	v.PreparedTransactionOffset = int64(be.Uint64(r[p+4:]))
	bodyLen := int(int32(be.Uint32(r[p+12:])))
	p += 16
	if bodyLen < 0 || bodyLen > len(r)-p {
		return ErrBadLength
	}
	v.Body = r[p : p+bodyLen : p+bodyLen]
	p += bodyLen
	var topicLen int
	if v.Magic == MagicV2 {
		if len(r) < p+2 {
			return ErrBadLength
		}
		topicLen = int(be.Uint16(r[p:]))
		p += 2
	} else {
		if len(r) < p+1 {
			return ErrBadLength
		}
		topicLen = int(r[p])
		p++
	}
	if topicLen > len(r)-p {
		return ErrBadLength
	}
	v.Topic = r[p : p+topicLen : p+topicLen]
	p += topicLen
	if len(r) < p+2 {
		return ErrBadLength
	}
	propLen := int(int16(be.Uint16(r[p:])))
	p += 2
	if propLen < 0 {
		propLen = 0
	}
	if propLen != len(r)-p {
		return ErrBadLength
	}
	v.Properties = r[p:len(r):len(r)]
	return nil
}

// CRCOK reports whether the stored body CRC matches the body.
func (v *View) CRCOK() bool { return BodyCRC(v.Body) == v.BodyCRC }

// TagsCode is the consume-queue tags code of a normal record: the Java hash of TAGS, or 0.
func (v *View) TagsCode() int64 {
	tags, ok := PropertyValue(v.Properties, PropertyTags)
	if !ok {
		return 0
	}
	return TagsCode(tags)
}

// MsgExt is a decoded record with its own copies of every field, safe to keep after the
// store's mapped file is released.
type MsgExt struct {
	Msg
	StoreSize       int32
	BodyCRC         int32
	QueueOffset     int64
	CommitLogOffset int64
	StoreTimestamp  int64
}

// Decode parses and copies one record.
func Decode(b []byte) (*MsgExt, error) {
	var v View
	if err := Parse(b, &v); err != nil {
		return nil, err
	}
	return v.Ext(), nil
}

// Ext copies v into a MsgExt.
func (v *View) Ext() *MsgExt {
	return &MsgExt{
		Msg: Msg{
			Topic:                     string(v.Topic),
			QueueID:                   v.QueueID,
			Flag:                      v.Flag,
			SysFlag:                   v.SysFlag,
			BornTimestamp:             v.BornTimestamp,
			BornHost:                  v.BornHost,
			StoreHost:                 v.StoreHost,
			ReconsumeTimes:            v.ReconsumeTimes,
			PreparedTransactionOffset: v.PreparedTransactionOffset,
			Body:                      append([]byte(nil), v.Body...),
			Properties:                append([]byte(nil), v.Properties...),
		},
		StoreSize:       v.TotalSize,
		BodyCRC:         v.BodyCRC,
		QueueOffset:     v.QueueOffset,
		CommitLogOffset: v.PhysicalOffset,
		StoreTimestamp:  v.StoreTimestamp,
	}
}

// MsgID is the offset message id of the record (store host + physical offset).
func (m *MsgExt) MsgID() string { return OffsetMsgID(m.StoreHost, m.CommitLogOffset) }

// Property returns one property value ("" when absent).
func (m *MsgExt) Property(name string) string {
	v, _ := PropertyValue(m.Properties, name)
	return string(v)
}

// String is for logs and test failures.
func (m *MsgExt) String() string {
	return fmt.Sprintf("MsgExt{topic=%s queue=%d queueOffset=%d phys=%d size=%d sysFlag=%d}",
		m.Topic, m.QueueID, m.QueueOffset, m.CommitLogOffset, m.StoreSize, m.SysFlag)
}

// DecodeAll decodes consecutive records, as a pull response body holds them, stopping at the
// first record it cannot decode (as the Java client does).
func DecodeAll(b []byte) ([]*MsgExt, error) {
	var out []*MsgExt
	for len(b) > 0 {
		m, err := Decode(b)
		if err != nil {
			return out, err
		}
		out = append(out, m)
		b = b[m.StoreSize:]
	}
	return out, nil
}
