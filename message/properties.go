package message

import (
	"bytes"
	"sort"
)

// Property strings are "name 0x01 value 0x02 name 0x01 value ...". The 4.9.8 Java broker writes
// no 0x02 after the last pair, Go clients and 5.x brokers do; readers accept both. Like Java's
// string2messageProperties, an entry counts only if it is at least 3 bytes long and its 0x01 has
// at least one byte on each side, so empty names and empty values are silently dropped.

// nextProperty splits the first entry off props. ok is false for an entry Java would ignore.
func nextProperty(props []byte) (name, value, rest []byte, ok bool) {
	end := bytes.IndexByte(props, PropertySeparator)
	if end < 0 {
		end = len(props)
		rest = nil
	} else {
		rest = props[end+1:]
	}
	e := props[:end]
	if len(e) < 3 {
		return nil, nil, rest, false
	}
	sep := bytes.IndexByte(e, NameValueSeparator)
	if sep <= 0 || sep >= len(e)-1 {
		return nil, nil, rest, false
	}
	return e[:sep], e[sep+1:], rest, true
}

// NextProperty splits the first name/value pair off an encoded property string: ok is false
// for a malformed pair (skipped, as Java's string2messageProperties does), rest is what
// follows it. For scans that look at several names in one pass.
func NextProperty(props []byte) (name, value, rest []byte, ok bool) { return nextProperty(props) }

// PropertyValue finds name in an encoded property string without allocating. When a name
// appears twice the last one wins, as it does in Java's HashMap.
func PropertyValue(props []byte, name string) (value []byte, found bool) {
	for len(props) > 0 {
		n, v, rest, ok := nextProperty(props)
		if ok && string(n) == name {
			value, found = v, true
		}
		props = rest
	}
	return value, found
}

// DispatchProps are the properties the consume queue and the index read from every record;
// each is nil when absent (a stored property value is never empty: see nextProperty).
type DispatchProps struct {
	Tags, Keys, UniqKey, Delay []byte
}

// ScanDispatchProps reads the DispatchProps of props in one pass (PropertyValue would take
// one pass each); as there, the last of a repeated name wins.
func ScanDispatchProps(props []byte) (d DispatchProps) {
	for len(props) > 0 {
		n, v, rest, ok := nextProperty(props)
		props = rest
		if !ok {
			continue
		}
		switch string(n) {
		case PropertyTags:
			d.Tags = v
		case PropertyKeys:
			d.Keys = v
		case PropertyUniqClientMessageIDKeyIdx:
			d.UniqKey = v
		case PropertyDelayTimeLevel:
			d.Delay = v
		}
	}
	return d
}

// ParseProperties decodes a property string into a map.
func ParseProperties(props []byte) map[string]string {
	m := make(map[string]string, 8)
	for len(props) > 0 {
		n, v, rest, ok := nextProperty(props)
		if ok {
			m[string(n)] = string(v)
		}
		props = rest
	}
	return m
}

// AppendProperty adds one pair in Java's form: a 0x02 goes before it unless dst is empty or
// already ends with one, and none after it.
func AppendProperty(dst []byte, name, value string) []byte {
	if len(dst) > 0 && dst[len(dst)-1] != PropertySeparator {
		dst = append(dst, PropertySeparator)
	}
	dst = append(dst, name...)
	dst = append(dst, NameValueSeparator)
	return append(dst, value...)
}

// EncodeProperties encodes m in Java's form, names sorted so that output is reproducible (Java's
// order is its HashMap's and nobody may rely on it).
func EncodeProperties(m map[string]string) []byte {
	names := make([]string, 0, len(m))
	size := 0
	for k, v := range m {
		names = append(names, k)
		size += len(k) + len(v) + 2
	}
	sort.Strings(names)
	out := make([]byte, 0, size)
	for _, k := range names {
		if k == "" || m[k] == "" {
			continue // Java's reader would drop it anyway
		}
		out = AppendProperty(out, k, m[k])
	}
	return out
}

// DeleteProperty returns props without any entry named name, reusing props' storage. A
// trailing separator is kept only if the input had one.
func DeleteProperty(props []byte, name string) []byte {
	out := props[:0]
	trailing := len(props) > 0 && props[len(props)-1] == PropertySeparator
	for rest := props; len(rest) > 0; {
		end := bytes.IndexByte(rest, PropertySeparator)
		var e []byte
		if end < 0 {
			e, rest = rest, nil
		} else {
			e, rest = rest[:end], rest[end+1:]
		}
		sep := bytes.IndexByte(e, NameValueSeparator)
		if len(e) == 0 || (sep >= 0 && string(e[:sep]) == name) {
			continue
		}
		if len(out) > 0 {
			out = append(out, PropertySeparator)
		}
		out = append(out, e...)
	}
	if trailing && len(out) > 0 {
		out = append(out, PropertySeparator)
	}
	return out
}
