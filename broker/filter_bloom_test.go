package broker

import (
	"reflect"
	"testing"
)

// TestBloomBitPositions checks against what a stock Java 4.9.8 broker wrote into
// consumerFilter.json for group CGscratch on topic H12SqlTopic, and against Guava's murmur3
// test vector for "hell".
func TestBloomBitPositions(t *testing.T) {
	k, m, ok := bloomShape(20, 32)
	if !ok || k != 3 || m != 112 {
		t.Fatalf("shape k=%d m=%d ok=%v, want 3/112", k, m, ok)
	}
	if got := bloomBitPositions("CGscratch#H12SqlTopic", k, m); !reflect.DeepEqual(got, []int32{97, 14, 94}) {
		t.Errorf("positions %v, want [97 14 94] (Java)", got)
	}
	if got := murmur3x64Low([]byte("hell")); got != 0x629942693e10f867 {
		t.Errorf("murmur3 low %x", got)
	}
	if murmur3x64Low(nil) != 0 {
		t.Error("empty input")
	}
	for _, bad := range [][2]int{{0, 32}, {100, 32}, {20, 0}} {
		if _, _, ok := bloomShape(bad[0], bad[1]); ok {
			t.Errorf("shape %v accepted", bad)
		}
	}
}
