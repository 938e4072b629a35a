package broker

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/message"
)

// scanPropsByLookup is scanProps written as one PropertyValue lookup per name: the oracle.
func scanPropsByLookup(props []byte) sendProps {
	var p sendProps
	if v, ok := message.PropertyValue(props, message.PropertyDelayTimeLevel); ok {
		if n, err := strconv.Atoi(string(v)); err == nil {
			p.delayLevel = n
		}
	}
	if v, ok := message.PropertyValue(props, message.PropertyTransactionPrepared); ok {
		p.tranMsg = strings.EqualFold(string(v), "true")
	}
	p.tags, _ = message.PropertyValue(props, message.PropertyTags)
	if v, ok := message.PropertyValue(props, message.PropertyWaitStoreMsgOK); ok {
		p.noWait = !strings.EqualFold(string(v), "true")
	}
	return p
}

// FuzzScanProps: the one-pass scan of a send's properties agrees with a lookup per name on
// any input (repeated names with the last one bad, malformed pairs, odd case).
func FuzzScanProps(f *testing.F) {
	for _, s := range []string{
		"",
		"TAGS\x01A\x02WAIT\x01true\x02DELAY\x013\x02TRAN_MSG\x01TRUE",
		"DELAY\x013\x02DELAY\x01x",
		"WAIT\x01false\x02WAIT\x01True",
		"TAGS\x01\x02\x02TAGS\x01B\x01C",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, props []byte) {
		got, want := scanProps(props), scanPropsByLookup(props)
		if got.delayLevel != want.delayLevel || got.tranMsg != want.tranMsg || got.noWait != want.noWait ||
			(got.tags == nil) != (want.tags == nil) || !bytes.Equal(got.tags, want.tags) {
			t.Fatalf("%q: one pass %+v, lookups %+v", props, got, want)
		}
	})
}
