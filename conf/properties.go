// Package conf reads the configuration the way the Java NameServer and Broker do: a
// java.util.Properties file (`mqnamesrv -c`, `mqbroker -c broker.conf`) whose keys are bound to
// struct fields by `prop:"javaKeyName"` tags. It sits at the very start of the flow: cmd/ parses
// the file with ParseProperties, fills BrokerConfig (which embeds the store's config) or the
// NameServer's config with Load, prints them for `-p`/`-m` with Print/PrintImportant, and the
// broker's admin codes use Set (UPDATE_BROKER_CONFIG) and ToMap (GET_BROKER_CONFIG) at run time.
//
// conf imports nothing else of rocketgo, so store/, broker/ and namesrv/ can all depend on it.
package conf

import (
	"fmt"
	"os"
	"unicode/utf16"
	"unicode/utf8"
)

// Property is one key/value pair of a properties file, in file order. Line is the 1-based
// line on which the logical line holding the pair starts, for error messages.
type Property struct {
	Key   string
	Value string
	Line  int
}

// SyntaxError reports a malformed \uXXXX escape, the only thing java.util.Properties itself
// rejects.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("conf: properties line %d: %s", e.Line, e.Msg)
}

// ReadPropertiesFile reads and parses a properties file.
func ReadPropertiesFile(path string) ([]Property, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	props, err := ParseProperties(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return props, nil
}

// ParseProperties parses data with the rules of java.util.Properties.load:
//
//   - natural lines end at \n, \r or \r\n; leading space, tab and form feed are skipped;
//   - a line whose first non-blank character is # or ! is a comment (a comment never continues);
//   - a line ending in an odd number of backslashes continues on the next natural line, whose
//     leading blanks are skipped, and the backslash is dropped (also at end of input);
//   - the key ends at the first unescaped '=', ':' or blank; blanks, then at most one '=' or
//     ':', then blanks are skipped; the rest of the line is the value, trailing blanks kept;
//   - escapes \t \n \r \f and \uXXXX are decoded, a backslash before any other character
//     stands for that character.
//
// One deliberate difference: Java's load(InputStream) decodes bytes as ISO-8859-1, which turns
// UTF-8 text into mojibake; here bytes are taken as UTF-8, which is what people write.
// Duplicate keys are all returned; the last one wins when they are applied, as in Java.
func ParseProperties(data []byte) ([]Property, error) {
	var props []Property
	lr := lineReader{data: data, line: 1}
	var buf []byte
	for {
		logical, start, ok := lr.next(buf[:0])
		if !ok {
			return props, nil
		}
		buf = logical
		key, value := splitKeyValue(logical)
		k, err := unescape(key)
		if err != nil {
			return nil, &SyntaxError{Line: start, Msg: err.Error()}
		}
		v, err := unescape(value)
		if err != nil {
			return nil, &SyntaxError{Line: start, Msg: err.Error()}
		}
		props = append(props, Property{Key: k, Value: v, Line: start})
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

// lineReader produces logical lines; it follows the state machine of Java's LineReader so that
// odd inputs (a lone backslash line, blank continuation lines, \r\n after a continuation) come
// out the same.
type lineReader struct {
	data []byte
	off  int
	line int // 1-based number of the natural line at off
}

// next appends the next logical line to out (without continuation backslashes and line
// terminators) and returns it with the number of the line it started on; ok is false at end of
// input.
func (r *lineReader) next(out []byte) (logical []byte, start int, ok bool) {
	skipBlank := true
	appended := false // the current natural line continues a previous one
	backslash := false
	start = r.line
	for {
		if r.off >= len(r.data) {
			if len(out) == 0 {
				return nil, 0, false
			}
			if backslash {
				out = out[:len(out)-1]
			}
			return out, start, true
		}
		c := r.data[r.off]
		r.off++
		if skipBlank {
			if isBlank(c) {
				continue
			}
			if !appended && (c == '\r' || c == '\n') {
				r.newline(c)
				continue
			}
			skipBlank = false
			appended = false
		}
		if len(out) == 0 {
			start = r.line
			if c == '#' || c == '!' {
				// Java consumes up to the first \r or \n and then goes on with the same
				// (still empty) logical line.
				for r.off < len(r.data) && r.data[r.off] != '\r' && r.data[r.off] != '\n' {
					r.off++
				}
				if r.off >= len(r.data) {
					return nil, 0, false
				}
				r.off++
				r.newline(r.data[r.off-1])
				skipBlank = true
				continue
			}
		}
		if c != '\n' && c != '\r' {
			out = append(out, c)
			backslash = c == '\\' && !backslash
			continue
		}
		r.newline(c)
		if len(out) == 0 {
			skipBlank = true
			continue
		}
		if r.off >= len(r.data) {
			if backslash {
				out = out[:len(out)-1]
			}
			return out, start, true
		}
		if !backslash {
			return out, start, true
		}
		out = out[:len(out)-1]
		skipBlank = true
		appended = true
		backslash = false
		if c == '\r' && r.data[r.off] == '\n' {
			r.off++
			r.line++
		}
	}
}

// newline counts line numbers for messages: \r\n counts once.
func (r *lineReader) newline(c byte) {
	if c == '\r' && r.off < len(r.data) && r.data[r.off] == '\n' {
		return // the \n that follows is counted
	}
	r.line++
}

// splitKeyValue splits a logical line into its raw (still escaped) key and value.
func splitKeyValue(line []byte) (key, value []byte) {
	keyLen, valueStart := 0, len(line)
	hasSep, backslash := false, false
	for keyLen < len(line) {
		c := line[keyLen]
		if (c == '=' || c == ':') && !backslash {
			valueStart = keyLen + 1
			hasSep = true
			break
		}
		if isBlank(c) && !backslash {
			valueStart = keyLen + 1
			break
		}
		backslash = c == '\\' && !backslash
		keyLen++
	}
	for valueStart < len(line) {
		c := line[valueStart]
		if !isBlank(c) {
			if !hasSep && (c == '=' || c == ':') {
				hasSep = true
			} else {
				break
			}
		}
		valueStart++
	}
	return line[:keyLen], line[valueStart:]
}

// unescape decodes backslash escapes. \uXXXX yields UTF-16 code units, so a surrogate pair
// written as two escapes becomes one character; a lone surrogate becomes U+FFFD.
func unescape(in []byte) (string, error) {
	i := 0
	for i < len(in) && in[i] != '\\' {
		i++
	}
	if i == len(in) {
		return string(in), nil
	}
	out := make([]byte, 0, len(in))
	out = append(out, in[:i]...)
	var pending rune = -1 // a high surrogate waiting for its low half
	flush := func() {
		if pending >= 0 {
			out = utf8.AppendRune(out, utf8.RuneError)
			pending = -1
		}
	}
	for i < len(in) {
		c := in[i]
		i++
		if c != '\\' {
			flush()
			out = append(out, c)
			continue
		}
		if i >= len(in) {
			// Cannot come from a logical line (a trailing lone backslash is removed), but a
			// key may still end in one; Java would fail with an index error, keep it literal.
			flush()
			out = append(out, '\\')
			break
		}
		c = in[i]
		i++
		if c != 'u' {
			flush()
			switch c {
			case 't':
				c = '\t'
			case 'r':
				c = '\r'
			case 'n':
				c = '\n'
			case 'f':
				c = '\f'
			}
			out = append(out, c)
			continue
		}
		if i+4 > len(in) {
			return "", fmt.Errorf("malformed \\uxxxx encoding")
		}
		var u rune
		for _, h := range in[i : i+4] {
			switch {
			case h >= '0' && h <= '9':
				u = u<<4 + rune(h-'0')
			case h >= 'a' && h <= 'f':
				u = u<<4 + rune(h-'a'+10)
			case h >= 'A' && h <= 'F':
				u = u<<4 + rune(h-'A'+10)
			default:
				return "", fmt.Errorf("malformed \\uxxxx encoding")
			}
		}
		i += 4
		switch {
		case utf16.IsSurrogate(u) && u < 0xDC00: // high half
			flush()
			pending = u
		case utf16.IsSurrogate(u): // low half
			if pending >= 0 {
				out = utf8.AppendRune(out, utf16.DecodeRune(pending, u))
				pending = -1
			} else {
				out = utf8.AppendRune(out, utf8.RuneError)
			}
		default:
			flush()
			out = utf8.AppendRune(out, u)
		}
	}
	flush()
	return string(out), nil
}

// FormatProperties renders props as `key=value` lines that ParseProperties (and Java) read back
// to the same pairs: the characters the format gives a meaning to are escaped, as
// Properties.store does, and non-ASCII text is written as UTF-8. Used to rewrite a broker's
// properties file after UPDATE_BROKER_CONFIG.
func FormatProperties(props []Property) []byte {
	var out []byte
	for _, p := range props {
		out = appendEscaped(out, p.Key, true)
		out = append(out, '=')
		out = appendEscaped(out, p.Value, false)
		out = append(out, '\n')
	}
	return out
}

func appendEscaped(out []byte, s string, isKey bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '=', ':', '#', '!':
			out = append(out, '\\', c)
		case '\t':
			out = append(out, '\\', 't')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\f':
			out = append(out, '\\', 'f')
		case ' ':
			// Blanks end a key and are skipped before a value.
			if isKey || i == 0 {
				out = append(out, '\\')
			}
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return out
}
