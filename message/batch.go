package message

import (
	"encoding/binary"
	"errors"
)

// A SEND_BATCH_MESSAGE body is one entry per message, back to back:
//
//	 0 | TOTALSIZE int32 | 20 + bodyLen + 2 + propLen
//	 4 | MAGICCODE int32 | 0 (unused)
//	 8 | BODYCRC   int32 | 0 (unused)
//	12 | FLAG      int32 |
//	16 | BODYLEN   int32 |
//	20 | BODY      bodyLen
//	   | PROPLEN   int16 |
//	   | PROPERTIES propLen
//
// e.g. body "Hello" with properties "a\x01b" is
// 00 00 00 1E | 00 00 00 00 | 00 00 00 00 | 00 00 00 00 | 00 00 00 05 | 48 65 6C 6C 6F | 00 03 | 61 01 62.

// BatchEntry is one message of a batch body; its slices alias the body.
type BatchEntry struct {
	Flag       int32
	Body       []byte
	Properties []byte
}

// ErrBadBatch is returned for a batch body whose lengths do not add up.
var ErrBadBatch = errors.New("message: malformed batch body")

// NextBatchEntry decodes the first entry of b and returns the rest of b.
func NextBatchEntry(b []byte) (e BatchEntry, rest []byte, err error) {
	if len(b) < 22 {
		return e, nil, ErrBadBatch
	}
	be := binary.BigEndian
	total := int(int32(be.Uint32(b)))
	if total < 22 || total > len(b) {
		return e, nil, ErrBadBatch
	}
	r := b[:total]
	e.Flag = int32(be.Uint32(r[12:]))
	bodyLen := int(int32(be.Uint32(r[16:])))
	if bodyLen < 0 || 20+bodyLen+2 > total {
		return e, nil, ErrBadBatch
	}
	e.Body = r[20 : 20+bodyLen : 20+bodyLen]
	p := 20 + bodyLen
	propLen := int(int16(be.Uint16(r[p:])))
	p += 2
	if propLen < 0 || p+propLen != total {
		return e, nil, ErrBadBatch
	}
	e.Properties = r[p:total:total]
	return e, b[total:], nil
}

// SplitBatch decodes a whole batch body.
func SplitBatch(b []byte) ([]BatchEntry, error) {
	var out []BatchEntry
	for len(b) > 0 {
		e, rest, err := NextBatchEntry(b)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		b = rest
	}
	if len(out) == 0 {
		return nil, ErrBadBatch
	}
	return out, nil
}

// AppendBatchEntry encodes one entry as a client does (used by tests and tools).
func AppendBatchEntry(dst []byte, flag int32, body, props []byte) []byte {
	total := 20 + len(body) + 2 + len(props)
	be := binary.BigEndian
	dst = be.AppendUint32(dst, uint32(total))
	dst = be.AppendUint32(dst, 0)
	dst = be.AppendUint32(dst, 0)
	dst = be.AppendUint32(dst, uint32(flag))
	dst = be.AppendUint32(dst, uint32(len(body)))
	dst = append(dst, body...)
	dst = be.AppendUint16(dst, uint16(len(props)))
	return append(dst, props...)
}
