package remoting

import (
	"errors"
	"testing"
)

// TestJSONInt32Forms: the one-pass integer reader and the general number path must give the
// same result for every form, including the edges where the fast path hands over (int32
// limits, more than ten digits, fractions, exponents, signs, strings).
func TestJSONInt32Forms(t *testing.T) {
	tests := []struct {
		in   string
		want int32
		bad  bool
	}{
		{"0", 0, false},
		{"-0", 0, false},
		{"409", 409, false},
		{"2147483647", 2147483647, false},
		{"-2147483648", -2147483648, false},
		{"2147483648", 0, true},
		{"-2147483649", 0, true},
		{"9999999999", 0, true},
		{"12345678901", 0, true},
		{"0012", 12, false},
		{"1.9", 1, false},
		{"-1.9", -1, false},
		{"1e3", 1000, false},
		{"1E3", 1000, false},
		{"+5", 5, false},
		{"-", 0, true},
		{"1-2", 0, true},
		{`"105"`, 105, false},
		{`"-7"`, -7, false},
		{"null", 0, false},
		{"true", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			for _, hdr := range []string{`{"code":` + tt.in + `}`, `{"code":` + tt.in + `,"flag":3}`} {
				var c Command
				err := DecodeHeader(SerializeJSON, []byte(hdr), &c)
				if tt.bad {
					if !errors.Is(err, ErrBadJSONHeader) {
						t.Fatalf("%s: err %v, want ErrBadJSONHeader", hdr, err)
					}
					continue
				}
				if err != nil || c.Code != tt.want {
					t.Fatalf("%s: code %d, err %v; want %d", hdr, c.Code, err, tt.want)
				}
			}
		})
	}
}
