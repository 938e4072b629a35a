package remoting

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// The JSON header (serialize type 0) as Java 4.9.8 writes it: fastjson serializes the
// RemotingCommand bean with properties in alphabetical order, null properties omitted:
//
//	{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":1,
//	 "remark":"...","serializeTypeCurrentRPC":"JSON","version":409}
//
// extFields is left out when null and remark when null; serializeTypeCurrentRPC is always
// written. fastjson writes non-ASCII text raw (UTF-8) and escapes, checked against
// fastjson 1.2.69: \" \\ \b \t \n \f \r; other C0 controls, U+007F..U+009F as \u00XX with
// upper-case hex; U+2028 and U+2029 as \u2028 \u2029. '/' and '<' stay raw.
//
// The Go client writes code, language, version, opaque, flag, remark, extFields in that order
// (no serializeTypeCurrentRPC, "remark":"" always): the decoder below takes any order.

// AppendJSONHeader appends c's header in Java's JSON form. Bytes that are not valid UTF-8 are
// copied raw (Java never produces them; a Java reader turns them into U+FFFD).
func AppendJSONHeader(dst []byte, c *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(c.Code), 10)
	if c.ExtFields != nil {
		dst = append(dst, `,"extFields":{`...)
		for i := range c.ExtFields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, c.ExtFields[i].Key)
			dst = append(dst, ':')
			dst = appendJSONString(dst, c.ExtFields[i].Value)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(c.Flag), 10)
	if int(c.Language) < len(languageNames) {
		// Java omits a null language; LangUnknown is our null.
		dst = append(dst, `,"language":"`...)
		dst = append(dst, languageNames[c.Language]...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"opaque":`...)
	dst = strconv.AppendInt(dst, int64(c.Opaque), 10)
	if c.HasRemark {
		dst = append(dst, `,"remark":`...)
		dst = appendJSONString(dst, c.Remark)
	}
	dst = append(dst, `,"serializeTypeCurrentRPC":"JSON","version":`...)
	dst = strconv.AppendInt(dst, int64(c.Version), 10)
	return append(dst, '}')
}

// jsonEsc tells, per byte, how fastjson writes it: 0 raw, 1 short escape (value is the
// letter after '\'), 2 \u00XX.
var jsonEsc = func() (t [256]byte) {
	for i := 0; i < 0x20; i++ {
		t[i] = 2
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = 'b', 't', 'n', 'f', 'r'
	t['"'], t['\\'] = '"', '\\'
	t[0x7f] = 2
	t[0xc2] = 3 // lead byte of U+0080..U+00BF: escaped when the code point is below U+00A0
	t[0xe2] = 4 // lead byte of U+2028/U+2029
	return
}()

const hexUpper = "0123456789ABCDEF"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		e := jsonEsc[b]
		if e == 0 {
			i++
			continue
		}
		var n int // bytes of s replaced by the escape
		var cp rune
		switch {
		case e == 2:
			n, cp = 1, rune(b)
		case e == 3:
			if i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] < 0xa0 {
				n, cp = 2, rune(s[i+1])
			}
		case e == 4:
			if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
				n, cp = 3, 0x2028+rune(s[i+2]-0xa8)
			}
		default:
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', e)
			i++
			start = i
			continue
		}
		if n == 0 {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '\\', 'u', hexUpper[cp>>12&0xf], hexUpper[cp>>8&0xf], hexUpper[cp>>4&0xf], hexUpper[cp&0xf])
		i += n
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonDecoder reads one header. When own is set the input buffer belongs to the command:
// strings alias it and escaped strings are rewritten in place (an unescaped string is never
// longer than its escaped form). Otherwise every string that outlives the call is copied.
type jsonDecoder struct {
	b     []byte
	i     int
	own   bool
	spare ExtFields // reusable capacity for extFields
}

// maxJSONDepth bounds nesting of skipped values, so a hostile header cannot exhaust the stack.
const maxJSONDepth = 64

func jsonErr(d *jsonDecoder, what string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrBadJSONHeader, what, d.i)
}

// decodeJSONHeader is as tolerant as Java's fastjson decoding where real peers depend on it:
// any property order, unknown properties skipped, numbers given as strings ("105") or with a
// fraction (truncated), null for absent, non-string extFields values kept as their JSON text,
// unknown or missing language names mapped to LangUnknown / Java's default JAVA, "remark":""
// kept as a present empty remark. A null extFields value drops the key (fastjson writes no
// null map entries). Duplicate keys: the last value wins, as in Java's HashMap. fastjson's
// non-JSON leniencies (single quotes, bare keys, trailing commas) are not accepted: no peer
// sends them.
func decodeJSONHeader(b []byte, c *Command, spare ExtFields, own bool) error {
	d := jsonDecoder{b: b, own: own, spare: spare}
	d.ws()
	if !d.eat('{') {
		return jsonErr(&d, "expected '{'")
	}
	d.ws()
	if !d.eat('}') {
		for {
			d.ws()
			key, err := d.str(false)
			if err != nil {
				return err
			}
			d.ws()
			if !d.eat(':') {
				return jsonErr(&d, "expected ':'")
			}
			d.ws()
			if err := d.property(key, c); err != nil {
				return err
			}
			d.ws()
			if d.eat(',') {
				continue
			}
			if d.eat('}') {
				break
			}
			return jsonErr(&d, "expected ',' or '}'")
		}
	}
	d.ws()
	if d.i != len(d.b) {
		return jsonErr(&d, "trailing data")
	}
	return nil
}

func (d *jsonDecoder) property(key string, c *Command) error {
	var err error
	switch key {
	case "code":
		c.Code, err = d.int32()
	case "flag":
		c.Flag, err = d.int32()
	case "opaque":
		c.Opaque, err = d.int32()
	case "version":
		c.Version, err = d.int32()
	case "language":
		c.Language, err = d.language()
	case "remark":
		var s string
		var null bool
		s, null, err = d.scalarText(true)
		c.Remark, c.HasRemark = s, !null
	case "extFields":
		err = d.extFields(c)
	default: // serializeTypeCurrentRPC and anything unknown
		err = d.skip(0)
	}
	return err
}

func (d *jsonDecoder) ws() {
	// Java and Go peers write no whitespace: one test settles the usual case.
	if d.i < len(d.b) && d.b[d.i] > ' ' {
		return
	}
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) eat(ch byte) bool {
	if d.i < len(d.b) && d.b[d.i] == ch {
		d.i++
		return true
	}
	return false
}

func (d *jsonDecoder) lit(s string) bool {
	if len(d.b)-d.i >= len(s) && string(d.b[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// str reads a JSON string at d.i. keep says the result outlives the decode call (it must be
// copied unless the buffer is owned).
func (d *jsonDecoder) str(keep bool) (string, error) {
	if !d.eat('"') {
		return "", jsonErr(d, "expected string")
	}
	start := d.i
	n := nextSpecial(d.b, d.i)
	if n == len(d.b) {
		d.i = n
		return "", jsonErr(d, "unterminated string")
	}
	d.i = n
	if d.b[n] == '\\' {
		return d.strEscaped(start, keep)
	}
	raw := d.b[start:n]
	d.i++
	if keep && !d.own {
		return string(raw), nil
	}
	return bytesString(raw), nil
}

// nextSpecial returns the index of the first '"' or '\\' at or after i, or len(b). It tests
// eight bytes per step (SWAR): header strings are short, too short for the vector routines'
// setup cost, and too long for a byte loop to be free.
func nextSpecial(b []byte, i int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (lo * '"')
		s := x ^ (lo * '\\')
		// A zero byte in q or s marks a match; the lowest flagged byte is always exact.
		if m := ((q-lo)&^q | (s-lo)&^s) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

// strEscaped finishes a string that contains escapes, from its first byte at start.
func (d *jsonDecoder) strEscaped(start int, keep bool) (string, error) {
	var out []byte
	if d.own {
		out = d.b[start:start] // rewrite in place: the write index never passes the read index
	} else {
		out = make([]byte, 0, d.i-start+16)
	}
	out = append(out, d.b[start:d.i]...)
	for d.i < len(d.b) {
		ch := d.b[d.i]
		switch ch {
		case '"':
			// out is either fresh memory or the owned buffer: aliasing it is safe.
			d.i++
			return bytesString(out), nil
		case '\\':
			if d.i+1 >= len(d.b) {
				return "", jsonErr(d, "unterminated escape")
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", jsonErr(d, "bad \\u escape")
				}
				if r >= 0xd800 && r < 0xdc00 {
					// A high surrogate must pair with a following low one.
					save := d.i
					if d.lit(`\u`) {
						if r2, ok := d.hex4(); ok && r2 >= 0xdc00 && r2 < 0xe000 {
							r = 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00)
						} else {
							d.i, r = save, utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				} else if r >= 0xdc00 && r < 0xe000 {
					r = utf8.RuneError
				}
				// At most 4 output bytes for at least 6 input bytes: in-place stays behind d.i.
				out = utf8.AppendRune(out, r)
			default:
				return "", jsonErr(d, "bad escape")
			}
		default:
			n := nextSpecial(d.b, d.i)
			out = append(out, d.b[d.i:n]...)
			d.i = n
		}
	}
	return "", jsonErr(d, "unterminated string")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, h := range d.b[d.i : d.i+4] {
		switch {
		case h >= '0' && h <= '9':
			r = r<<4 | rune(h-'0')
		case h >= 'a' && h <= 'f':
			r = r<<4 | rune(h-'a'+10)
		case h >= 'A' && h <= 'F':
			r = r<<4 | rune(h-'A'+10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

// number reads the extent of a JSON number token at d.i.
func (d *jsonDecoder) number() ([]byte, error) {
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) {
		if !numberByte[d.b[d.i]] {
			break
		}
		d.i++
	}
	if d.i == digits {
		return nil, jsonErr(d, "expected value")
	}
	return d.b[start:d.i], nil
}

// parseInt32 parses a decimal integer, or a number with a fraction or exponent (truncated
// toward zero, as fastjson does), refusing anything outside int32 like Java's parseInt.
func parseInt32(s []byte) (int32, bool) {
	if len(s) == 0 {
		return 0, true // fastjson reads "" as 0
	}
	neg := s[0] == '-'
	i := 0
	if neg || s[0] == '+' {
		i = 1
	}
	if i == len(s) {
		return 0, false
	}
	var v int64
	for ; i < len(s); i++ {
		ch := s[i]
		if ch < '0' || ch > '9' {
			f, err := strconv.ParseFloat(bytesString(s), 64)
			if err != nil || math.IsNaN(f) || f <= math.MinInt32-1 || f >= math.MaxInt32+1 {
				return 0, false
			}
			return int32(f), true
		}
		v = v*10 + int64(ch-'0')
		if v > math.MaxInt32+1 {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	if v > math.MaxInt32 || v < math.MinInt32 {
		return 0, false
	}
	return int32(v), true
}

// int32 reads a number, a numeric string, null (0) or a boolean (1/0), as fastjson accepts.
func (d *jsonDecoder) int32() (int32, error) {
	if v, ok := d.plainInt32(); ok {
		return v, nil
	}
	if d.i >= len(d.b) {
		return 0, jsonErr(d, "expected value")
	}
	var raw []byte
	switch ch := d.b[d.i]; {
	case ch == '"':
		s, err := d.str(false)
		if err != nil {
			return 0, err
		}
		raw = unsafe.Slice(unsafe.StringData(s), len(s))
	case ch == 'n' && d.lit("null"), ch == 'f' && d.lit("false"):
		return 0, nil
	case ch == 't' && d.lit("true"):
		return 1, nil
	default:
		var err error
		if raw, err = d.number(); err != nil {
			return 0, err
		}
	}
	v, ok := parseInt32(raw)
	if !ok {
		return 0, jsonErr(d, "bad int32 "+strconv.Quote(string(raw)))
	}
	return v, nil
}

// plainInt32 reads the form every peer writes, a short decimal integer (code, flag, opaque,
// version), without first measuring the token. Anything else (a fraction, an exponent, a
// string, a value outside int32) is left to the general path in int32.
func (d *jsonDecoder) plainInt32() (int32, bool) {
	i := d.i
	neg := i < len(d.b) && d.b[i] == '-'
	if neg {
		i++
	}
	start := i
	var v int64
	for i < len(d.b) && i-start < 10 {
		ch := d.b[i] - '0'
		if ch > 9 {
			break
		}
		v = v*10 + int64(ch)
		i++
	}
	if i == start || (i < len(d.b) && numberByte[d.b[i]]) {
		return 0, false
	}
	if neg {
		v = -v
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	d.i = i
	return int32(v), true
}

// numberByte marks the bytes number() takes as part of a number token.
var numberByte = func() (t [256]bool) {
	for _, ch := range "0123456789.eE+-" {
		t[ch] = true
	}
	return
}()

func (d *jsonDecoder) language() (LanguageCode, error) {
	if d.i < len(d.b) && d.b[d.i] == '"' {
		s, err := d.str(false)
		if err != nil {
			return 0, err
		}
		return parseLanguageFold(s), nil
	}
	if d.lit("null") {
		return LangUnknown, nil
	}
	n, err := d.int32() // fastjson also takes the enum ordinal
	if err != nil {
		return 0, err
	}
	if n >= 0 && int(n) < len(languageNames) {
		return LanguageCode(n), nil
	}
	return LangUnknown, nil
}

// parseLanguageFold is ParseLanguage ignoring ASCII case, as fastjson matches enum names.
func parseLanguageFold(s string) LanguageCode {
	for i, n := range languageNames {
		if len(n) != len(s) {
			continue
		}
		j := 0
		for ; j < len(s); j++ {
			ch := s[j]
			if ch >= 'a' && ch <= 'z' {
				ch -= 'a' - 'A'
			}
			if ch != n[j] {
				break
			}
		}
		if j == len(s) {
			return LanguageCode(i)
		}
	}
	return LangUnknown
}

// scalarText reads a value as the string fastjson would give a String property: a string's
// content, or the raw JSON text of any other value. null reports null.
func (d *jsonDecoder) scalarText(keep bool) (s string, null bool, err error) {
	if d.i >= len(d.b) {
		return "", false, jsonErr(d, "expected value")
	}
	if d.b[d.i] == '"' {
		s, err = d.str(keep)
		return s, false, err
	}
	if d.lit("null") {
		return "", true, nil
	}
	start := d.i
	if err := d.skip(0); err != nil {
		return "", false, err
	}
	raw := d.b[start:d.i]
	if keep && !d.own {
		return string(raw), false, nil
	}
	return bytesString(raw), false, nil
}

func (d *jsonDecoder) extFields(c *Command) error {
	if d.lit("null") {
		c.ExtFields = nil
		return nil
	}
	if !d.eat('{') {
		return jsonErr(d, "extFields: expected object")
	}
	// A repeated extFields property replaces the earlier one, as a bean setter would.
	c.ExtFields = c.ExtFields[:0]
	if c.ExtFields == nil {
		c.ExtFields = d.spare
		if c.ExtFields == nil {
			c.ExtFields = ExtFields{} // present but empty: re-encodes as {}
		}
	}
	var set fieldSet
	d.ws()
	if d.eat('}') {
		return nil
	}
	for {
		d.ws()
		// Fast path for the usual "key":"value" without escapes.
		if d.i < len(d.b) && d.b[d.i] == '"' {
			ks := d.i + 1
			ke := nextSpecial(d.b, ks)
			if ke+2 < len(d.b) && d.b[ke] == '"' && d.b[ke+1] == ':' && d.b[ke+2] == '"' {
				vs := ke + 3
				if ve := nextSpecial(d.b, vs); ve < len(d.b) && d.b[ve] == '"' {
					c.ExtFields = putField(c.ExtFields, &set, d.text(ks, ke), d.text(vs, ve))
					d.i = ve + 1
					if d.i < len(d.b) && d.b[d.i] == ',' {
						d.i++
						continue
					}
					goto next
				}
			}
		}
		{
			k, err := d.str(true)
			if err != nil {
				return err
			}
			d.ws()
			if !d.eat(':') {
				return jsonErr(d, "expected ':'")
			}
			d.ws()
			v, null, err := d.scalarText(true)
			if err != nil {
				return err
			}
			if !null {
				c.ExtFields = putField(c.ExtFields, &set, k, v)
			}
		}
	next:
		d.ws()
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			return nil
		}
		return jsonErr(d, "expected ',' or '}'")
	}
}

// text returns b[from:to] as a string that may outlive the decode call.
func (d *jsonDecoder) text(from, to int) string {
	if d.own {
		return bytesString(d.b[from:to])
	}
	return string(d.b[from:to])
}

// fieldSet finds duplicate keys while a header is decoded. Most headers have a dozen
// distinct keys: a 64-bit filter on (first byte, length) proves most keys new without a
// scan; past linearFieldLimit keys a map takes over, so a header with millions of keys costs
// O(n), not O(n²).
type fieldSet struct {
	mask  uint64
	index map[string]int
}

const linearFieldLimit = 32

func keyBit(k string) uint64 {
	if k == "" {
		return 1
	}
	return 1 << ((uint(k[0]) + 7*uint(len(k))) & 63)
}

// putField sets k=v, replacing an earlier value of k (Java's HashMap keeps the last).
func putField(e ExtFields, set *fieldSet, k, v string) ExtFields {
	if set.index == nil && len(e) >= linearFieldLimit {
		set.index = make(map[string]int, 2*len(e))
		for i := range e {
			set.index[e[i].Key] = i
		}
	}
	if set.index != nil {
		if i, ok := set.index[k]; ok {
			e[i].Value = v
			return e
		}
		set.index[k] = len(e)
		return append(e, Field{k, v})
	}
	bit := keyBit(k)
	if set.mask&bit != 0 {
		for i := range e {
			if e[i].Key == k {
				e[i].Value = v
				return e
			}
		}
	}
	set.mask |= bit
	return append(e, Field{k, v})
}

// skipStr passes over the string at d.i, checking its escapes but never rewriting it: a
// skipped value may be kept as raw text (a non-string extFields value), so it must stay as
// it was even in an owned buffer.
func (d *jsonDecoder) skipStr() error {
	d.i++ // opening quote
	for {
		n := nextSpecial(d.b, d.i)
		if n == len(d.b) {
			d.i = n
			return jsonErr(d, "unterminated string")
		}
		if d.b[n] == '"' {
			d.i = n + 1
			return nil
		}
		d.i = n + 1 // past the backslash
		if d.i >= len(d.b) {
			return jsonErr(d, "unterminated escape")
		}
		switch d.b[d.i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			d.i++
		case 'u':
			d.i++
			if _, ok := d.hex4(); !ok {
				return jsonErr(d, "bad \\u escape")
			}
		default:
			return jsonErr(d, "bad escape")
		}
	}
}

// skip passes over one JSON value of any kind.
func (d *jsonDecoder) skip(depth int) error {
	if depth > maxJSONDepth {
		return jsonErr(d, "nested too deep")
	}
	if d.i >= len(d.b) {
		return jsonErr(d, "expected value")
	}
	switch d.b[d.i] {
	case '"':
		return d.skipStr()
	case '{', '[':
		open := d.b[d.i]
		close := byte('}')
		if open == '[' {
			close = ']'
		}
		d.i++
		d.ws()
		if d.eat(close) {
			return nil
		}
		for {
			d.ws()
			if open == '{' {
				if d.i >= len(d.b) || d.b[d.i] != '"' {
					return jsonErr(d, "expected string")
				}
				if err := d.skipStr(); err != nil {
					return err
				}
				d.ws()
				if !d.eat(':') {
					return jsonErr(d, "expected ':'")
				}
				d.ws()
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			if d.eat(',') {
				continue
			}
			if d.eat(close) {
				return nil
			}
			return jsonErr(d, "expected ',' or close")
		}
	case 't':
		if d.lit("true") {
			return nil
		}
	case 'f':
		if d.lit("false") {
			return nil
		}
	case 'n':
		if d.lit("null") {
			return nil
		}
	default:
		_, err := d.number()
		return err
	}
	return jsonErr(d, "bad literal")
}
