package remoting

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Frame limits. The frame layout is drawn in doc.go.
const (
	// DefaultMaxFrameSize is Java's com.rocketmq.remoting.frameMaxLength default. Like Netty's
	// LengthFieldBasedFrameDecoder it bounds 4+L, the length field included.
	DefaultMaxFrameSize = 16777216
	// MinFrameLength is the smallest acceptable L: the header-length word alone.
	MinFrameLength = 4
	// prefixLen is the length field plus the header-length word.
	prefixLen = 8
	// maxHeaderLen is what the 24 bits of the header-length word can express.
	maxHeaderLen = 1<<24 - 1
)

// Errors of the codec. A decoding error always wraps one of them (errors.Is) with detail.
var (
	ErrFrameTooShort  = errors.New("remoting: frame length below minimum")
	ErrFrameTooLarge  = errors.New("remoting: frame length above maximum")
	ErrHeaderLength   = errors.New("remoting: header length exceeds frame")
	ErrSerializeType  = errors.New("remoting: unknown serialize type")
	ErrBadJSONHeader  = errors.New("remoting: invalid JSON header")
	ErrBadBinary      = errors.New("remoting: invalid ROCKETMQ header")
	ErrHeaderTooLarge = errors.New("remoting: encoded header above 16 MiB")
)

// FramePrefix is what the first 8 bytes of a frame say.
type FramePrefix struct {
	Length    int // L: bytes after the length field
	Serialize SerializeType
	HeaderLen int
}

// ParseLength checks the length field (the first 4 bytes of b) against the limits, so a
// reader can refuse a frame before buffering its body.
func ParseLength(b []byte, maxFrameSize int) (int, error) {
	l := int(int32(binary.BigEndian.Uint32(b)))
	if l < MinFrameLength {
		return 0, fmt.Errorf("%w: L=%d", ErrFrameTooShort, l)
	}
	if maxFrameSize > 0 && 4+int64(l) > int64(maxFrameSize) {
		return 0, fmt.Errorf("%w: 4+L=%d > %d", ErrFrameTooLarge, 4+int64(l), maxFrameSize)
	}
	return l, nil
}

// ParsePrefix validates the first 8 bytes of a frame: the length field against the limits,
// the serialize type, and the header length against the frame length.
func ParsePrefix(b []byte, maxFrameSize int) (FramePrefix, error) {
	l, err := ParseLength(b, maxFrameSize)
	if err != nil {
		return FramePrefix{}, err
	}
	w := binary.BigEndian.Uint32(b[4:])
	p := FramePrefix{Length: l, Serialize: SerializeType(w >> 24), HeaderLen: int(w & maxHeaderLen)}
	if p.Serialize != SerializeJSON && p.Serialize != SerializeRocketMQ {
		return FramePrefix{}, fmt.Errorf("%w: %d", ErrSerializeType, uint8(p.Serialize))
	}
	if p.HeaderLen > l-4 {
		return FramePrefix{}, fmt.Errorf("%w: header %d, frame %d", ErrHeaderLength, p.HeaderLen, l)
	}
	return p, nil
}

// DecodeFrame decodes a whole frame (length field included) into c, overwriting every field.
// c takes ownership of frame: c's strings and Body alias it, and escaped JSON strings are
// unescaped in place, so the caller must neither modify nor reuse frame afterwards. maxFrameSize
// <= 0 means no limit. Existing capacity of c.ExtFields is reused.
func DecodeFrame(frame []byte, c *Command, maxFrameSize int) error {
	if len(frame) < prefixLen {
		return fmt.Errorf("%w: %d bytes", ErrFrameTooShort, len(frame))
	}
	p, err := ParsePrefix(frame, maxFrameSize)
	if err != nil {
		return err
	}
	if p.Length != len(frame)-4 {
		return fmt.Errorf("%w: L=%d but %d bytes follow", ErrHeaderLength, p.Length, len(frame)-4)
	}
	hdr := frame[prefixLen : prefixLen+p.HeaderLen]
	if err := decodeHeader(p.Serialize, hdr, c, true); err != nil {
		return err
	}
	if body := frame[prefixLen+p.HeaderLen:]; len(body) > 0 {
		c.Body = body[:len(body):len(body)]
	}
	return nil
}

// Decode decodes a whole frame into a new Command; see DecodeFrame for ownership.
func Decode(frame []byte) (*Command, error) {
	c := new(Command)
	if err := DecodeFrame(frame, c, 0); err != nil {
		return nil, err
	}
	return c, nil
}

// DecodeHeader decodes a header of the given serialization into c (Body untouched). Unlike
// DecodeFrame it copies every string, so hdr may be reused afterwards.
func DecodeHeader(st SerializeType, hdr []byte, c *Command) error {
	return decodeHeader(st, hdr, c, false)
}

func decodeHeader(st SerializeType, hdr []byte, c *Command, own bool) error {
	// Keep the caller's ExtFields capacity, but leave the field nil unless the header has one.
	spare := c.ExtFields[:0]
	*c = Command{Language: LangJava, Serialize: st}
	switch st {
	case SerializeJSON:
		return decodeJSONHeader(hdr, c, spare, own)
	case SerializeRocketMQ:
		return decodeBinaryHeader(hdr, c, spare, own)
	}
	return fmt.Errorf("%w: %d", ErrSerializeType, uint8(st))
}

// AppendFrame appends the whole frame of c, header in c.Serialize, to dst. It fails only for
// an unknown serialize type or a header or frame too big for the length fields.
func AppendFrame(dst []byte, c *Command) ([]byte, error) {
	return appendFrame(dst, c, c.Body, nil)
}

// AppendFrameParts is AppendFrame for a body made of the concatenation of parts (c.Body is not
// used): a pull answer's stored records go into the frame in one copy, without being gathered
// into a body first.
func AppendFrameParts(dst []byte, c *Command, parts [][]byte) ([]byte, error) {
	return appendFrame(dst, c, nil, parts)
}

func appendFrame(dst []byte, c *Command, body []byte, parts [][]byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	switch c.Serialize {
	case SerializeJSON:
		dst = AppendJSONHeader(dst, c)
	case SerializeRocketMQ:
		dst = AppendBinaryHeader(dst, c)
	default:
		return dst[:start], fmt.Errorf("%w: %d", ErrSerializeType, uint8(c.Serialize))
	}
	h := len(dst) - start - prefixLen
	if h > maxHeaderLen {
		return dst[:start], fmt.Errorf("%w: %d bytes", ErrHeaderTooLarge, h)
	}
	n := int64(len(body))
	for _, p := range parts {
		n += int64(len(p))
	}
	if int64(4+h)+n > 1<<31-1 {
		return dst[:start], fmt.Errorf("%w: body %d bytes", ErrFrameTooLarge, n)
	}
	dst = slices.Grow(dst, int(n))
	dst = append(dst, body...)
	for _, p := range parts {
		dst = append(dst, p...)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	binary.BigEndian.PutUint32(dst[start+4:], uint32(c.Serialize)<<24|uint32(h))
	return dst, nil
}

// ReadFrame reads one whole frame (length field included) from r into a new buffer, refusing
// an out-of-range length before reading the body. It is for blocking readers (the client);
// the server splits frames in its event loop instead.
func ReadFrame(r io.Reader, maxFrameSize int) ([]byte, error) {
	_, frame, err := readFrame(r, maxFrameSize, plainFrame)
	return frame, err
}

func plainFrame(n int) (*Command, []byte) { return nil, make([]byte, n) }

// readFrame is ReadFrame with the frame's memory from alloc, which may hand out a Command
// along with it (newFrameCommand: both in one allocation).
func readFrame(r io.Reader, maxFrameSize int, alloc func(n int) (*Command, []byte)) (*Command, []byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, nil, err
	}
	l, err := ParseLength(lb[:], maxFrameSize)
	if err != nil {
		return nil, nil, err
	}
	cmd, frame := alloc(4 + l)
	copy(frame, lb[:])
	if _, err := io.ReadFull(r, frame[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, err
	}
	return cmd, frame, nil
}
