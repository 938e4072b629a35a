package message

// JavaHash is Java's String.hashCode of the UTF-8 string s: h = 31*h + c over its UTF-16 code
// units, so a character outside the BMP counts as its two surrogates. Invalid UTF-8 counts as
// one U+FFFD per rejected byte; Java folds a truncated multi-byte sequence into a single U+FFFD,
// so hashes of such (never legitimately produced) strings can differ. It allocates nothing.
func JavaHash[T ~string | ~[]byte](s T) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, n := decodeRune(s, i)
		i += n
		if r > 0xFFFF {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// decodeRune decodes the multi-byte UTF-8 sequence at s[i] with the same validity rules as
// unicode/utf8 (no overlong forms, no surrogates, nothing above U+10FFFF).
func decodeRune[T ~string | ~[]byte](s T, i int) (rune, int) {
	const bad = 0xFFFD
	c := s[i]
	var need int
	var r rune
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need, r = 1, rune(c&0x1F)
	case c >= 0xE0 && c <= 0xEF:
		need, r = 2, rune(c&0x0F)
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	case c >= 0xF0 && c <= 0xF4:
		need, r = 3, rune(c&0x07)
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	default:
		return bad, 1
	}
	if i+need >= len(s) {
		return bad, 1
	}
	for k := 1; k <= need; k++ {
		b := s[i+k]
		if b < lo || b > hi {
			return bad, 1
		}
		lo, hi = 0x80, 0xBF
		r = r<<6 | rune(b&0x3F)
	}
	return r, need + 1
}

// TagsCode is the consume-queue tags code of a TAGS value: its Java hash sign-extended to
// int64. An empty tag gives 0.
func TagsCode[T ~string | ~[]byte](tags T) int64 {
	if len(tags) == 0 {
		return 0
	}
	return int64(JavaHash(tags))
}
