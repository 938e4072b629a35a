package protocol

import (
	"unicode/utf8"

	"github.com/rocketgo/rocketgo/remoting"
)

// JavaHashCode is Java's String.hashCode over the UTF-16 code units of s.
func JavaHashCode(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
		} else {
			h = 31*h + int32(r)
		}
	}
	return h
}

// SortJavaOrder reorders ext in place into the order a java.util.HashMap with default
// capacity iterates the same keys inserted in the current order: by bucket of the spread hash,
// ties in insertion order (resizes keep that order). Java builds every extFields map this way,
// so a header we write after SortJavaOrder is what a Java peer writes — except that when two
// keys share a bucket, Java's insertion order comes from a HashSet of reflected fields that we
// do not model; encoders put such pairs (bname with commitOffset) in the order the captures
// show. Buckets Java would turn into trees (8+ collisions) never occur in header maps.
func SortJavaOrder(ext remoting.ExtFields) {
	capacity := uint32(16)
	for uint32(len(ext)) > capacity*3/4 {
		capacity <<= 1
	}
	var stack [32]uint32
	buckets := stack[:0]
	if len(ext) > len(stack) {
		buckets = make([]uint32, 0, len(ext))
	}
	for i := range ext {
		h := uint32(JavaHashCode(ext[i].Key))
		buckets = append(buckets, (h^h>>16)&(capacity-1))
	}
	// Insertion sort: stable, no allocation, and maps here hold a dozen keys at most.
	for i := 1; i < len(ext); i++ {
		f, b := ext[i], buckets[i]
		j := i
		for j > 0 && buckets[j-1] > b {
			ext[j], buckets[j] = ext[j-1], buckets[j-1]
			j--
		}
		ext[j], buckets[j] = f, b
	}
}
