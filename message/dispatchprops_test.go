package message

import (
	"bytes"
	"testing"
)

// FuzzScanDispatchProps: the one-pass scan finds exactly what PropertyValue finds for each of
// its names, on any input (repeated names, malformed pairs, empty values, stray separators).
func FuzzScanDispatchProps(f *testing.F) {
	for _, s := range []string{
		"",
		"TAGS\x01A\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01ABC\x02DELAY\x013",
		"TAGS\x01A\x02TAGS\x01B",
		"KEYS\x01\x02TAGS\x01\x02\x02UNIQ_KEY",
		"\x01\x02\x01TAGS\x01x\x01y\x02",
		"WAIT\x01true\x02TAGS\x01TagA\x02",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, props []byte) {
		d := ScanDispatchProps(props)
		for _, c := range []struct {
			name  string
			got   []byte
			found bool
		}{
			{PropertyTags, d.Tags, d.Tags != nil},
			{PropertyKeys, d.Keys, d.Keys != nil},
			{PropertyUniqClientMessageIDKeyIdx, d.UniqKey, d.UniqKey != nil},
			{PropertyDelayTimeLevel, d.Delay, d.Delay != nil},
		} {
			want, ok := PropertyValue(props, c.name)
			if ok != c.found || !bytes.Equal(want, c.got) {
				t.Fatalf("%q in %q: scan (%q, %v), PropertyValue (%q, %v)", c.name, props, c.got, c.found, want, ok)
			}
		}
	})
}

// BenchmarkDispatchProps: what the store's dispatch reads from each record's properties, in
// one pass against three PropertyValue calls (its previous way).
func BenchmarkDispatchProps(b *testing.B) {
	props := []byte("UNIQ_KEY\x017F0000010B4C18B4AAC27E4E5A8C0000\x02WAIT\x01true\x02TAGS\x01TagA\x02KEYS\x01order-1\x02CLUSTER\x01DefaultCluster")
	b.Run("one-pass", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			d := ScanDispatchProps(props)
			if d.Tags == nil {
				b.Fatal("no tags")
			}
		}
	})
	b.Run("three-lookups", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_, ok := PropertyValue(props, PropertyTags)
			_, _ = PropertyValue(props, PropertyKeys)
			_, _ = PropertyValue(props, PropertyUniqClientMessageIDKeyIdx)
			if !ok {
				b.Fatal("no tags")
			}
		}
	})
}
