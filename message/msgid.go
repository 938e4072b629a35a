package message

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// An offset message id is the upper-case hex of store host address + int32 port + int64
// commitlog offset: 16 bytes / 32 hex digits for IPv4, 28 bytes / 56 digits for IPv6.
// Example: 192.168.0.10:10911 at offset 4096 is C0A8000A00002A9F0000000000001000.

const hexDigits = "0123456789ABCDEF"

// AppendOffsetMsgID appends the offset message id to dst without allocating when dst has room.
func AppendOffsetMsgID(dst []byte, storeHost netip.AddrPort, offset int64) []byte {
	var raw [28]byte
	n := putHost(raw[:], storeHost)
	binary.BigEndian.PutUint64(raw[n:], uint64(offset))
	for _, c := range raw[:n+8] {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xF])
	}
	return dst
}

// OffsetMsgID returns the offset message id as a string.
func OffsetMsgID(storeHost netip.AddrPort, offset int64) string {
	var buf [56]byte
	return string(AppendOffsetMsgID(buf[:0], storeHost, offset))
}

// ErrBadMsgID is returned for ids that are not 32 or 56 hex digits.
var ErrBadMsgID = errors.New("message: malformed offset message id")

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// ParseOffsetMsgID splits an offset message id into store host and commitlog offset.
func ParseOffsetMsgID(id string) (netip.AddrPort, int64, error) {
	if len(id) != 32 && len(id) != 56 {
		return netip.AddrPort{}, 0, ErrBadMsgID
	}
	var raw [28]byte
	for i := 0; i < len(id)/2; i++ {
		h, ok1 := unhex(id[2*i])
		l, ok2 := unhex(id[2*i+1])
		if !ok1 || !ok2 {
			return netip.AddrPort{}, 0, ErrBadMsgID
		}
		raw[i] = h<<4 | l
	}
	host, n, _ := readHost(raw[:], len(id) == 56)
	return host, int64(binary.BigEndian.Uint64(raw[n:])), nil
}
