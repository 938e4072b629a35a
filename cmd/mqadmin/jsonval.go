package main

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jval is one value of fastjson text as clients write it. encoding/json cannot read it: a
// Map<MessageQueue,…> is written with objects as keys ({{"topic":"T",…}:{…}}) and a
// Map<Long,…> with bare numbers as keys, so the tree keeps each key as a value of its own
// and the members in their written order (Java's decoders insert in that order).
type jval struct {
	kind byte // 's' string, 'n' number, 'b' true/false, 'z' null, 'a' array, 'o' object
	text string
	arr  []jval
	obj  []jmember
}

type jmember struct {
	key, val jval
}

var errJSON = errors.New("malformed JSON")

// parseJSON reads one value; trailing bytes other than white space are an error.
func parseJSON(b []byte) (jval, error) {
	p := jparser{b: b}
	v, err := p.value(0)
	if err != nil {
		return jval{}, err
	}
	p.space()
	if p.i != len(p.b) {
		return jval{}, errJSON
	}
	return v, nil
}

type jparser struct {
	b []byte
	i int
}

func (p *jparser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

// value parses at most 64 levels deep so hostile input cannot exhaust the stack.
func (p *jparser) value(depth int) (jval, error) {
	if depth > 64 {
		return jval{}, errJSON
	}
	p.space()
	if p.i >= len(p.b) {
		return jval{}, errJSON
	}
	switch c := p.b[p.i]; {
	case c == '"':
		s, err := p.str()
		return jval{kind: 's', text: s}, err
	case c == '{':
		p.i++
		v := jval{kind: 'o'}
		for {
			p.space()
			if p.i < len(p.b) && p.b[p.i] == '}' {
				p.i++
				return v, nil
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return jval{}, err
			}
			p.space()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return jval{}, errJSON
			}
			p.i++
			val, err := p.value(depth + 1)
			if err != nil {
				return jval{}, err
			}
			v.obj = append(v.obj, jmember{k, val})
			if err := p.next('}'); err != nil {
				return jval{}, err
			}
		}
	case c == '[':
		p.i++
		v := jval{kind: 'a'}
		for {
			p.space()
			if p.i < len(p.b) && p.b[p.i] == ']' {
				p.i++
				return v, nil
			}
			e, err := p.value(depth + 1)
			if err != nil {
				return jval{}, err
			}
			v.arr = append(v.arr, e)
			if err := p.next(']'); err != nil {
				return jval{}, err
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		j := p.i + 1
		for j < len(p.b) && strings.IndexByte("0123456789.eE+-", p.b[j]) >= 0 {
			j++
		}
		v := jval{kind: 'n', text: string(p.b[p.i:j])}
		p.i = j
		return v, nil
	default:
		for _, w := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.b[p.i:], []byte(w)) {
				p.i += len(w)
				if w == "null" {
					return jval{kind: 'z'}, nil
				}
				return jval{kind: 'b', text: w}, nil
			}
		}
	}
	return jval{}, errJSON
}

// next consumes the ',' between members, leaving the closing bracket for the loop.
func (p *jparser) next(closing byte) error {
	p.space()
	if p.i >= len(p.b) {
		return errJSON
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return nil
	case closing:
		return nil
	}
	return errJSON
}

func (p *jparser) str() (string, error) {
	p.i++ // opening quote
	var sb strings.Builder
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return sb.String(), nil
		case c != '\\':
			sb.WriteByte(c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", errJSON
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", errJSON
			}
			if utf16.IsSurrogate(r) && p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
				save := p.i
				p.i += 2
				if r2, ok := p.hex4(); ok {
					r = utf16.DecodeRune(r, r2)
				} else {
					p.i = save
				}
			}
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		default: // \" \\ \/ and fastjson's lenient escapes of any other character
			sb.WriteByte(e)
		}
	}
	return "", errJSON
}

func (p *jparser) hex4() (rune, bool) {
	if p.i+4 > len(p.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

// field is the member named key of an object (zero value, kind 0, when absent or not an object).
func (v jval) field(key string) jval {
	for _, m := range v.obj {
		if m.key.kind == 's' && m.key.text == key {
			return m.val
		}
	}
	return jval{}
}

// str is the value as Java's toString of what fastjson decoded would print it.
func (v jval) str() string {
	if v.kind == 'z' || v.kind == 0 { // null, or absent: Java prints a null String as "null"
		return "null"
	}
	return v.text
}

func (v jval) i64() int64 {
	n, err := strconv.ParseInt(v.text, 10, 64)
	if err != nil {
		f, _ := strconv.ParseFloat(v.text, 64)
		return int64(f)
	}
	return n
}

func (v jval) f64() float64 {
	f, _ := strconv.ParseFloat(v.text, 64)
	return f
}

func (v jval) boolean() bool {
	return v.kind == 'b' && v.text == "true" || v.kind == 's' && v.text == "true"
}
