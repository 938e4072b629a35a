package protocol

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"
)

// fastjson text, both ways.
//
// Writing: every body is assembled by hand in fastjson's shape — compact, bean properties in
// alphabetical order, nulls left out, integer map keys bare ({0:"a"}) unless the standard form
// is asked for, MessageQueue map keys written as the object itself ({{"brokerName":…}:1}).
// Map entries are written in sorted key order; Java writes hash order, which no reader relies
// on, so our bytes equal Java's wherever a map has at most one entry (or Java's order happens to
// be sorted) and are otherwise the same document in another order.
//
// Reading: normalize rewrites fastjson's invalid JSON into strict JSON (bare keys quoted, object
// keys turned into strings holding their JSON, which is also a form Java accepts), then
// json-iterator decodes it into the tagged structs below.

var jsonAPI = jsoniter.ConfigCompatibleWithStandardLibrary

// encoder appends fastjson text to b.
type encoder struct {
	b []byte
	// ascii escapes every non-ASCII rune as \uXXXX (fastjson BrowserCompatible, used by the
	// NameServer's "standard" route form).
	ascii bool
	// quoteIntKeys writes integer map keys as strings (the standard route form).
	quoteIntKeys bool
}

// sep writes the comma before a key or array element unless it is the first in its container.
func (e *encoder) sep() {
	if n := len(e.b); n > 0 && e.b[n-1] != '{' && e.b[n-1] != '[' {
		e.b = append(e.b, ',')
	}
}

func (e *encoder) key(k string) {
	e.sep()
	e.str(k)
	e.b = append(e.b, ':')
}

func (e *encoder) intKey(k int64) {
	e.sep()
	if e.quoteIntKeys {
		e.b = append(e.b, '"')
		e.b = strconv.AppendInt(e.b, k, 10)
		e.b = append(e.b, '"', ':')
		return
	}
	e.b = strconv.AppendInt(e.b, k, 10)
	e.b = append(e.b, ':')
}

func (e *encoder) open()       { e.b = append(e.b, '{') }
func (e *encoder) close()      { e.b = append(e.b, '}') }
func (e *encoder) openArr()    { e.b = append(e.b, '[') }
func (e *encoder) closeArr()   { e.b = append(e.b, ']') }
func (e *encoder) i64(v int64) { e.b = strconv.AppendInt(e.b, v, 10) }
func (e *encoder) bool(v bool) { e.b = strconv.AppendBool(e.b, v) }

// f64 writes a double as Java's Double.toString does for the usual range: always with a
// fraction ("0.0", "1.5"), scientific notation outside [1e-3, 1e7) as 1.0E7 / 1.5E-4.
func (e *encoder) f64(v float64) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		e.b = append(e.b, "null"...) // fastjson writes null for these
	case v == 0 || (math.Abs(v) >= 1e-3 && math.Abs(v) < 1e7):
		start := len(e.b)
		e.b = strconv.AppendFloat(e.b, v, 'f', -1, 64)
		if bytes.IndexByte(e.b[start:], '.') < 0 {
			e.b = append(e.b, '.', '0')
		}
	default:
		// Go writes 1.5E+07 and 1E-04; Java writes 1.5E7 and 1.0E-4.
		mant, exp, _ := strings.Cut(strconv.FormatFloat(v, 'E', -1, 64), "E")
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		neg := exp[0] == '-'
		exp = strings.TrimLeft(exp[1:], "0")
		e.b = append(e.b, mant...)
		e.b = append(e.b, 'E')
		if neg {
			e.b = append(e.b, '-')
		}
		e.b = append(e.b, exp...)
	}
}

// str writes a JSON string the way fastjson escapes it: quote, backslash, control characters
// and DEL (as \u00XX in upper case); '/' and, unless ascii is set, non-ASCII pass through.
func (e *encoder) str(s string) { e.b = appendJSONString(e.b, s, e.ascii) }

func appendJSONString(b []byte, s string, ascii bool) []byte {
	const hex = "0123456789ABCDEF" // fastjson writes \u escapes in upper case
	b = append(b, '"')
	// Fast path: copy the run of bytes that need no escaping in one append.
	plain := 0
	for plain < len(s) {
		c := s[plain]
		if c < 0x20 || c == '"' || c == '\\' || c == 0x7f || (ascii && c >= 0x80) {
			break
		}
		plain++
	}
	b = append(b, s[:plain]...)
	for i := plain; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !ascii {
			b = append(b, s[i:i+n]...)
			i += n
			continue
		}
		i += n
		if r >= 0x10000 {
			r -= 0x10000
			hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
			b = append(b, '\\', 'u', hex[hi>>12&0xF], hex[hi>>8&0xF], hex[hi>>4&0xF], hex[hi&0xF])
			b = append(b, '\\', 'u', hex[lo>>12&0xF], hex[lo>>8&0xF], hex[lo>>4&0xF], hex[lo&0xF])
			continue
		}
		b = append(b, '\\', 'u', hex[r>>12&0xF], hex[r>>8&0xF], hex[r>>4&0xF], hex[r&0xF])
	}
	return append(b, '"')
}

// strList writes a string array.
func (e *encoder) strList(list []string) {
	e.openArr()
	for _, s := range list {
		e.sep()
		e.str(s)
	}
	e.closeArr()
}

// ErrBadJSON reports a body that is not JSON even by fastjson's relaxed rules.
var ErrBadJSON = errors.New("protocol: malformed JSON body")

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 64

// normalize turns fastjson output into strict JSON: bare map keys (numbers) become quoted
// strings and object keys become strings holding the object's JSON text. Text that is already
// strict JSON comes back unchanged (and without a copy).
func normalize(in []byte) ([]byte, error) {
	var out []byte // nil until the first rewrite
	last := 0      // in[last:i] not yet copied to out
	var stack [maxJSONDepth]byte
	depth := 0
	atKey := false
	flush := func(i int) {
		if out == nil {
			out = make([]byte, 0, len(in)+16)
		}
		out = append(out, in[last:i]...)
	}
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			end, ok := skipString(in, i)
			if !ok {
				return nil, ErrBadJSON
			}
			i = end
			atKey = false
		case c == '{' && atKey:
			end, ok := skipValue(in, i, 0)
			if !ok {
				return nil, ErrBadJSON
			}
			flush(i)
			out = appendJSONString(out, string(in[i:end]), false)
			last, i = end, end
			atKey = false
		case c == '{' || c == '[':
			if depth == maxJSONDepth {
				return nil, ErrBadJSON
			}
			stack[depth] = c
			depth++
			atKey = c == '{'
			i++
		case c == '}' || c == ']':
			if depth == 0 {
				return nil, ErrBadJSON
			}
			depth--
			atKey = false
			i++
		case c == ',':
			atKey = depth > 0 && stack[depth-1] == '{'
			i++
		case c == ':':
			atKey = false
			i++
		case atKey:
			// A bare key: a number (or, leniently, any token) up to ':'.
			j := i
			for j < len(in) && in[j] != ':' && in[j] != ' ' && in[j] != '\t' && in[j] != '\n' && in[j] != '\r' {
				if in[j] == ',' || in[j] == '}' || in[j] == '{' || in[j] == '"' {
					return nil, ErrBadJSON
				}
				j++
			}
			flush(i)
			out = append(out, '"')
			out = append(out, in[i:j]...)
			out = append(out, '"')
			last, i = j, j
			atKey = false
		default:
			i++
		}
	}
	if depth != 0 {
		return nil, ErrBadJSON
	}
	if out == nil {
		return in, nil
	}
	flush(len(in))
	return out, nil
}

// skipString returns the index just past the string starting at in[i] == '"'.
func skipString(in []byte, i int) (int, bool) {
	for j := i + 1; j < len(in); j++ {
		switch in[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index just past the object or array starting at in[i].
func skipValue(in []byte, i, depth int) (int, bool) {
	if depth >= maxJSONDepth {
		return 0, false
	}
	level := 0
	for j := i; j < len(in); j++ {
		switch in[j] {
		case '"':
			end, ok := skipString(in, j)
			if !ok {
				return 0, false
			}
			j = end - 1
		case '{', '[':
			level++
			if level > maxJSONDepth {
				return 0, false
			}
		case '}', ']':
			level--
			if level == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

// unmarshal decodes fastjson or strict JSON into v.
func unmarshal(data []byte, v any) error {
	norm, err := normalize(data)
	if err != nil {
		return err
	}
	if err := jsonAPI.Unmarshal(norm, v); err != nil {
		return errors.Join(ErrBadJSON, err)
	}
	return nil
}

// Pretty reformats compact fastjson text the way fastjson's PrettyFormat writes the broker's
// config files: a newline and TAB indentation before every property of an object with string
// keys, a map with non-string keys kept on one line with its closing brace on the next, empty
// containers as {} and [], arrays inline. Malformed input comes back reformatted as far as it
// goes, never with a panic.
func Pretty(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/4)
	indent := 0
	newline := func() {
		out = append(out, '\n')
		for k := 0; k < indent; k++ {
			out = append(out, '\t')
		}
	}
	// For each open object: whether it breaks lines (string keys).
	var breaks []bool
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		switch c {
		case '"':
			end, ok := skipString(compact, i)
			if !ok {
				return append(out, compact[i:]...)
			}
			out = append(out, compact[i:end]...)
			i = end - 1
		case '[':
			end, ok := skipValue(compact, i, 0)
			if !ok {
				return append(out, compact[i:]...)
			}
			out = append(out, compact[i:end]...)
			i = end - 1
		case '{':
			out = append(out, '{')
			if i+1 < len(compact) && compact[i+1] == '}' {
				out = append(out, '}')
				i++
				continue
			}
			indent++
			strKeys := i+1 < len(compact) && compact[i+1] == '"'
			breaks = append(breaks, strKeys)
			if strKeys {
				newline()
			}
		case '}':
			if len(breaks) == 0 {
				// Unbalanced input: Pretty is only meant for our own output, but never panics.
				out = append(out, '}')
				continue
			}
			indent--
			breaks = breaks[:len(breaks)-1]
			newline()
			out = append(out, '}')
		case ',':
			out = append(out, ',')
			if len(breaks) > 0 && breaks[len(breaks)-1] {
				newline()
			}
		default:
			out = append(out, c)
		}
	}
	return out
}
