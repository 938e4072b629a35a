package broker

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// The bloom-filter positions Java's ConsumerFilterManager stores with every SQL92 filter
// (BloomFilterData in consumerFilter.json). They only matter to the consume-queue bit map
// (enableCalcFilterBitMap, off by default), but a Java broker opened on our store discards the
// whole file when they are missing or sized for another filter, so we compute them as Java
// does: murmur3_128 (x64, seed 0) of "group#topic", Kirsch–Mitzenmacher double hashing.

// bloomShape is BloomFilter(f, n): k hash functions over m bits for an error rate of f% with n
// expected elements (maxErrorRateOfBloomFilter=20, expectConsumerNumUseFilter=32 give k=3,
// m=112).
func bloomShape(f, n int) (k, m int, ok bool) {
	if f < 1 || f >= 100 || n < 1 {
		return 0, 0, false
	}
	rate := float64(f) / 100
	logMN := func(base, x float64) float64 { return math.Log(x) / math.Log(base) }
	k = int(math.Ceil(logMN(0.5, rate)))
	if k < 1 {
		return 0, 0, false
	}
	m = int(math.Ceil(float64(n) * logMN(2, 1/rate) * logMN(2, math.E)))
	m = int(8 * math.Ceil(float64(m)/8))
	return k, m, true
}

// bloomBitPositions is BloomFilter.calcBitPositions(s).
func bloomBitPositions(s string, k, m int) []int32 {
	h := int64(murmur3x64Low([]byte(s)))
	h1, h2 := int32(h), int32(uint64(h)>>32)
	pos := make([]int32, k)
	for i := 1; i <= k; i++ {
		c := h1 + int32(i)*h2
		if c < 0 {
			c = ^c
		}
		pos[i-1] = c % int32(m)
	}
	return pos
}

// murmur3x64Low is the first 8 bytes (little-endian) of MurmurHash3_x64_128 with seed 0,
// which is what Guava's HashCode.asLong returns.
func murmur3x64Low(data []byte) uint64 {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	var h1, h2 uint64
	n := len(data)
	for len(data) >= 16 {
		k1 := binary.LittleEndian.Uint64(data)
		k2 := binary.LittleEndian.Uint64(data[8:])
		data = data[16:]
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
		h1 = bits.RotateLeft64(h1, 27)
		h1 += h2
		h1 = h1*5 + 0x52dce729
		k2 *= c2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= c1
		h2 ^= k2
		h2 = bits.RotateLeft64(h2, 31)
		h2 += h1
		h2 = h2*5 + 0x38495ab5
	}
	var k1, k2 uint64
	for i := len(data) - 1; i >= 8; i-- {
		k2 ^= uint64(data[i]) << (8 * (i - 8))
	}
	if len(data) > 8 {
		k2 *= c2
		k2 = bits.RotateLeft64(k2, 33)
		k2 *= c1
		h2 ^= k2
	}
	for i := min(len(data), 8) - 1; i >= 0; i-- {
		k1 ^= uint64(data[i]) << (8 * i)
	}
	if len(data) > 0 {
		k1 *= c1
		k1 = bits.RotateLeft64(k1, 31)
		k1 *= c2
		h1 ^= k1
	}
	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1 = fmix64(h1)
	h2 = fmix64(h2)
	h1 += h2
	return h1
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
