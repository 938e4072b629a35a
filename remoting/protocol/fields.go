package protocol

import (
	"strconv"

	"github.com/rocketgo/rocketgo/remoting"
)

// MissingFieldError reports a required (@CFNotNull) header field that the request lacks.
//
// Java's decoder only logs this and leaves the field null; the processor then fails with a
// NullPointerException that becomes SYSTEM_ERROR (1). The broker answers 1 with Error() as the
// remark, which is the text Java's RemotingCommandException carries.
type MissingFieldError struct {
	Field string
}

func (e *MissingFieldError) Error() string {
	return "the custom field <" + e.Field + "> is null"
}

// InvalidFieldError reports a required number field that does not parse. Java logs the
// NumberFormatException and leaves the field null, which fails the request the same way as a
// missing field, so brokers answer it with SYSTEM_ERROR (1) too.
type InvalidFieldError struct {
	Field, Value string
}

func (e *InvalidFieldError) Error() string {
	return "the custom field <" + e.Field + "> has an invalid value: " + strconv.Quote(e.Value)
}

// parseInt64 parses like Java's Long.parseLong: an optional sign and ASCII digits, nothing
// else, no overflow. It exists because strconv's error path allocates and strconv accepts
// underscores in base 0; this one never allocates.
func parseInt64(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	neg := false
	i := 0
	switch s[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	if i == len(s) {
		return 0, false
	}
	// Accumulate as a negative number so that MinInt64 fits.
	const minVal = -1 << 63
	var n int64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n < minVal/10 || n*10 < minVal+d {
			return 0, false
		}
		n = n*10 - d
	}
	if neg {
		return n, true
	}
	if n == minVal {
		return 0, false
	}
	return -n, true
}

// parseInt32 parses like Java's Integer.parseInt.
func parseInt32(s string) (int32, bool) {
	n, ok := parseInt64(s)
	if !ok || n < -1<<31 || n > 1<<31-1 {
		return 0, false
	}
	return int32(n), true
}

// parseBool is Java's Boolean.parseBoolean: "true" in any case is true, anything else false.
func parseBool(s string) bool {
	return len(s) == 4 && (s[0]|0x20) == 't' && (s[1]|0x20) == 'r' && (s[2]|0x20) == 'u' && (s[3]|0x20) == 'e'
}

func formatBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Header is the generic path for the many rarely used request headers: typed getters over a
// command's extFields that report missing and malformed fields the way the typed headers do.
type Header struct {
	Ext remoting.ExtFields
}

// Str returns a required string field.
func (h Header) Str(name string) (string, error) {
	v, ok := h.Ext.Get(name)
	if !ok {
		return "", &MissingFieldError{name}
	}
	return v, nil
}

// OptStr returns an optional string field, "" when absent.
func (h Header) OptStr(name string) string { return h.Ext.Value(name) }

// Int32 returns a required Integer field.
func (h Header) Int32(name string) (int32, error) {
	v, ok := h.Ext.Get(name)
	if !ok {
		return 0, &MissingFieldError{name}
	}
	n, ok := parseInt32(v)
	if !ok {
		return 0, &InvalidFieldError{name, v}
	}
	return n, nil
}

// Int64 returns a required Long field.
func (h Header) Int64(name string) (int64, error) {
	v, ok := h.Ext.Get(name)
	if !ok {
		return 0, &MissingFieldError{name}
	}
	n, ok := parseInt64(v)
	if !ok {
		return 0, &InvalidFieldError{name, v}
	}
	return n, nil
}

// OptInt32 returns an optional Integer field, def when absent or malformed (Java leaves a
// malformed optional field null, which processors treat as unset).
func (h Header) OptInt32(name string, def int32) int32 {
	if n, ok := parseInt32(h.Ext.Value(name)); ok {
		return n
	}
	return def
}

// OptInt64 is OptInt32 for Long fields.
func (h Header) OptInt64(name string, def int64) int64 {
	if n, ok := parseInt64(h.Ext.Value(name)); ok {
		return n
	}
	return def
}

// Bool returns a boolean field; absent is false, as for Java's primitive boolean fields.
func (h Header) Bool(name string) bool { return parseBool(h.Ext.Value(name)) }

// reader decodes a typed header field by field and keeps the first error, so each Decode
// reads as a list of fields.
type reader struct {
	h   Header
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) str(name string) string {
	v, err := r.h.Str(name)
	if err != nil {
		r.fail(err)
	}
	return v
}

func (r *reader) i32(name string) int32 {
	v, err := r.h.Int32(name)
	if err != nil {
		r.fail(err)
	}
	return v
}

func (r *reader) i64(name string) int64 {
	v, err := r.h.Int64(name)
	if err != nil {
		r.fail(err)
	}
	return v
}

// writer appends typed header fields to extFields. A key that was already present before the
// writer started is replaced (Java's map semantics, e.g. pre-filled MSG_REGION); keys the
// writer adds itself are appended without a search, since no encoder writes a key twice.
type writer struct {
	ext  *remoting.ExtFields
	base int
}

func newWriter(ext *remoting.ExtFields) writer { return writer{ext, len(*ext)} }

func (w writer) str(name, v string) {
	e := *w.ext
	for i := 0; i < w.base; i++ {
		if e[i].Key == name {
			e[i].Value = v
			return
		}
	}
	*w.ext = append(e, remoting.Field{Key: name, Value: v})
}

func (w writer) i32(name string, v int32) { w.str(name, strconv.FormatInt(int64(v), 10)) }
func (w writer) i64(name string, v int64) { w.str(name, strconv.FormatInt(v, 10)) }
func (w writer) b(name string, v bool)    { w.str(name, formatBool(v)) }

// optStr writes name only when v is not empty, as Java skips null fields.
func (w writer) optStr(name, v string) {
	if v != "" {
		w.str(name, v)
	}
}
