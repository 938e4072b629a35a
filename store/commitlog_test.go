package store

import (
	"bytes"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/message"
)

// The view the append path hands the dispatcher is exactly what parsing the record gives.
func TestViewOfMatchesParse(t *testing.T) {
	v6 := netip.MustParseAddrPort("[2001:db8::7]:40000")
	for _, tc := range []struct {
		name string
		m    message.Msg
	}{
		{"ipv4", *newMsg("T", 3, "body", "TAGS", "a", "KEYS", "k1 k2")},
		{"empty body and properties", message.Msg{Topic: "E", BornHost: testBorn, StoreHost: testStore}},
		{"ipv6 born host", message.Msg{Topic: "V6", QueueID: 1, Flag: 7, SysFlag: message.TransactionPreparedType,
			BornTimestamp: 42, BornHost: v6, StoreHost: testStore, ReconsumeTimes: 2, PreparedTransactionOffset: 99,
			Body: []byte("x"), Properties: message.AppendProperty(nil, "UNIQ_KEY", "u")}},
		{"ipv6 store host", message.Msg{Topic: "V6S", BornHost: testBorn, StoreHost: v6, Body: []byte("y")}},
		{"long topic", message.Msg{Topic: strings.Repeat("t", 200), BornHost: testBorn, StoreHost: testStore}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := make([]byte, message.RecordLen(&tc.m))
			n := message.PutRecord(rec, &tc.m, 11, 12345, 1700000000123)
			var want, got message.View
			if err := message.Parse(rec[:n], &want); err != nil {
				t.Fatal(err)
			}
			viewOf(&got, rec[:n], &tc.m, 11, 12345, 1700000000123)
			for _, f := range []struct {
				name string
				a, b []byte
			}{{"body", want.Body, got.Body}, {"topic", want.Topic, got.Topic}, {"properties", want.Properties, got.Properties}} {
				if !bytes.Equal(f.a, f.b) {
					t.Fatalf("%s: %q, parse gives %q", f.name, f.b, f.a)
				}
			}
			want.Body, want.Topic, want.Properties = nil, nil, nil
			got.Body, got.Topic, got.Properties = nil, nil, nil
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("view\n%+v\nparse gives\n%+v", got, want)
			}
		})
	}
}
