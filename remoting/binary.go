package remoting

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The ROCKETMQ binary header (serialize type 1), RocketMQSerializable in Java:
//
//	offset  size  field
//	0       2     code      int16 (Java casts the int to short; codes above 32767 wrap)
//	2       1     language  LanguageCode byte
//	3       2     version   int16
//	5       4     opaque    int32
//	9       4     flag      int32
//	13      4     R         remark length, 0 for none
//	17      R     remark    UTF-8
//	17+R    4     E         length of the ext block, 0 for none
//	21+R    E     entries   repeated: int16 keyLen | key | int32 valueLen | value
//
// Worked example, GET_ROUTEINFO_BY_TOPIC {topic: TopicTest}, opaque 1 (41 bytes):
//
//	00 69 | 00 | 01 99 | 00 00 00 01 | 00 00 00 00 | 00 00 00 00 | 00 00 00 14 |
//	00 05 "topic" | 00 00 00 09 "TopicTest"
//
// Java's reader turns every zero-length string into null. We follow it for the remark (a
// zero-length remark decodes as absent, HasRemark false) but keep an ext entry with an empty
// value as Field{key, ""}: Java keeps the key too (with a null value), and our typed headers
// treat "" like a missing value. An empty ExtFields and a nil one both encode as E = 0 and
// decode as nil. Bytes after the ext block but inside the header are ignored, as Java does.

const binaryFixedLen = 21

// AppendBinaryHeader appends c's header in the ROCKETMQ layout.
func AppendBinaryHeader(dst []byte, c *Command) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(c.Code)))
	dst = append(dst, byte(c.Language))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(c.Version)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Opaque))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Flag))
	if c.HasRemark {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Remark)))
		dst = append(dst, c.Remark...)
	} else {
		dst = append(dst, 0, 0, 0, 0)
	}
	extAt := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	for i := range c.ExtFields {
		f := &c.ExtFields[i]
		k := f.Key
		if len(k) > math.MaxInt16 {
			k = k[:math.MaxInt16] // cannot be expressed; Java would write a broken length
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(k)))
		dst = append(dst, k...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(f.Value)))
		dst = append(dst, f.Value...)
	}
	binary.BigEndian.PutUint32(dst[extAt:], uint32(len(dst)-extAt-4))
	return dst
}

func binErr(what string, at int) error {
	return fmt.Errorf("%w: %s at offset %d", ErrBadBinary, what, at)
}

func decodeBinaryHeader(b []byte, c *Command, spare ExtFields, own bool) error {
	if len(b) < binaryFixedLen {
		return binErr(fmt.Sprintf("header of %d bytes, fixed part is 21", len(b)), 0)
	}
	c.Code = int32(int16(binary.BigEndian.Uint16(b)))
	c.Language = LanguageCode(b[2])
	if int(c.Language) >= len(languageNames) {
		c.Language = LangUnknown
	}
	c.Version = int32(int16(binary.BigEndian.Uint16(b[3:])))
	c.Opaque = int32(binary.BigEndian.Uint32(b[5:]))
	c.Flag = int32(binary.BigEndian.Uint32(b[9:]))
	str := func(p []byte) string {
		if own {
			return bytesString(p)
		}
		return string(p)
	}
	i := 13
	r := int64(int32(binary.BigEndian.Uint32(b[i:])))
	i += 4
	if r < 0 || r > int64(len(b)-i-4) {
		return binErr(fmt.Sprintf("remark length %d", r), 13)
	}
	if r > 0 {
		c.Remark, c.HasRemark = str(b[i:i+int(r)]), true
	}
	i += int(r)
	e := int64(int32(binary.BigEndian.Uint32(b[i:])))
	if e < 0 || e > int64(len(b)-i-4) {
		return binErr(fmt.Sprintf("ext length %d", e), i)
	}
	i += 4
	if e == 0 {
		c.ExtFields = nil
		return nil
	}
	ext := b[i : i+int(e)]
	c.ExtFields = spare
	var set fieldSet
	for j := 0; j < len(ext); {
		if len(ext)-j < 2 {
			return binErr("truncated key length", i+j)
		}
		kl := int(int16(binary.BigEndian.Uint16(ext[j:])))
		j += 2
		if kl < 0 || kl > len(ext)-j-4 {
			return binErr(fmt.Sprintf("key length %d", kl), i+j-2)
		}
		k := ext[j : j+kl]
		j += kl
		vl := int64(int32(binary.BigEndian.Uint32(ext[j:])))
		j += 4
		if vl < 0 || vl > int64(len(ext)-j) {
			return binErr(fmt.Sprintf("value length %d", vl), i+j-4)
		}
		v := ext[j : j+int(vl)]
		j += int(vl)
		c.ExtFields = putField(c.ExtFields, &set, str(k), str(v))
	}
	return nil
}
