package conf

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Binding rules, as MixAll.properties2Object applies them in Java:
//
//   - a field takes part when it carries `prop:"javaKeyName"`; `prop:"name,important"` also marks
//     it for `-m` (Java's @ImportantField); `prop:"-"` and untagged scalar fields are ignored;
//   - an untagged struct field (embedded or not, or a non-nil pointer to a struct) is walked into,
//     so BrokerConfig can embed the store's Config and be filled from the same file;
//   - supported kinds: string (and named string types used as enums), bool, every int and uint
//     kind, float32/float64.
//
// Where this deliberately departs from Java: Java swallows every parse error and keeps the
// default, so `listenPort=10911 ` (trailing blank) or `brokerId=one` silently do nothing; here a
// bad value is an error that names key, value and line, and blanks around numbers and booleans
// are trimmed. Booleans accept only true/false in any case (Java reads anything else as false).
// String values are kept verbatim, trailing blanks included, as Java does.

// ErrUnknownKey is wrapped by Set when no field carries the key.
var ErrUnknownKey = errors.New("unknown key")

// ValueError reports a value that cannot be converted to its field's type.
type ValueError struct {
	Key   string
	Value string
	Line  int // 0 when the value did not come from a file
	Err   error
}

func (e *ValueError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("conf: bad value for key %s (line %d): %q: %v", e.Key, e.Line, e.Value, e.Err)
	}
	return fmt.Sprintf("conf: bad value for key %s: %q: %v", e.Key, e.Value, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// field is one bindable struct field; index is the reflect path from the target struct.
type field struct {
	key       string
	important bool
	index     []int
	viaPtr    bool // the path crosses a pointer: resolve with care (it may be nil)
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf returns the bindable fields of struct type t in declaration order.
func fieldsOf(t reflect.Type) []field {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]field)
	}
	var out []field
	collect(t, nil, false, &out, map[reflect.Type]bool{})
	fieldCache.Store(t, out)
	return out
}

func collect(t reflect.Type, prefix []int, viaPtr bool, out *[]field, seen map[reflect.Type]bool) {
	if seen[t] {
		return // a self-referencing config would otherwise recurse for ever
	}
	seen[t] = true
	defer delete(seen, t)
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		idx := append(append([]int(nil), prefix...), i)
		tag, tagged := sf.Tag.Lookup("prop")
		if tag == "-" {
			continue
		}
		if !tagged {
			ft, ptr := sf.Type, false
			if ft.Kind() == reflect.Pointer {
				ft, ptr = ft.Elem(), true
			}
			if ft.Kind() == reflect.Struct && (sf.IsExported() || sf.Anonymous) {
				collect(ft, idx, viaPtr || ptr, out, seen)
			}
			continue
		}
		if !sf.IsExported() || !supported(sf.Type.Kind()) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			continue
		}
		*out = append(*out, field{key: name, important: opts == "important", index: idx, viaPtr: viaPtr})
	}
}

func supported(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// structValue checks that target is a non-nil pointer to a struct and returns the struct.
func structValue(target any) (reflect.Value, error) {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("conf: target must be a non-nil pointer to a struct, got %T", target)
	}
	return v.Elem(), nil
}

// fieldValue resolves f inside s; ok is false when a pointer on the way is nil.
func fieldValue(s reflect.Value, f field) (reflect.Value, bool) {
	if !f.viaPtr {
		return s.FieldByIndex(f.index), true
	}
	v, err := s.FieldByIndexErr(f.index)
	return v, err == nil
}

// Load applies props to every field tagged with a matching key in any of targets (pointers to
// structs); a key present in several targets sets all of them, as Java's setter matching does.
// Later properties override earlier ones. It returns the keys no target knows (in file order,
// once each) for the caller to warn about, and all bad values joined in one error.
func Load(props []Property, targets ...any) (unknown []string, err error) {
	structs := make([]reflect.Value, len(targets))
	for i, t := range targets {
		if structs[i], err = structValue(t); err != nil {
			return nil, err
		}
	}
	var errs []error
	reported := map[string]bool{}
	for _, p := range props {
		found := false
		for _, s := range structs {
			for _, f := range fieldsOf(s.Type()) {
				if f.key != p.Key {
					continue
				}
				fv, ok := fieldValue(s, f)
				if !ok {
					continue
				}
				found = true
				if e := setValue(fv, p.Value); e != nil {
					errs = append(errs, &ValueError{Key: p.Key, Value: p.Value, Line: p.Line, Err: e})
				}
			}
		}
		if !found && !reported[p.Key] {
			reported[p.Key] = true
			unknown = append(unknown, p.Key)
		}
	}
	return unknown, errors.Join(errs...)
}

// Set changes the field tagged key in target (a pointer to a struct) from its string form, as
// UPDATE_BROKER_CONFIG does. The caller serialises Set against readers of the struct. On a bad
// value the field keeps its old value.
func Set(target any, key, value string) error {
	s, err := structValue(target)
	if err != nil {
		return err
	}
	found := false
	for _, f := range fieldsOf(s.Type()) {
		if f.key != key {
			continue
		}
		fv, ok := fieldValue(s, f)
		if !ok {
			continue
		}
		found = true
		if e := setValue(fv, value); e != nil {
			return &ValueError{Key: key, Value: value, Err: e}
		}
	}
	if !found {
		return fmt.Errorf("conf: %w %q", ErrUnknownKey, key)
	}
	return nil
}

// Keys lists the keys the targets understand, in declaration order.
func Keys(targets ...any) []string {
	var keys []string
	_ = walk(targets, false, func(key, _ string) { keys = append(keys, key) })
	return keys
}

// ToMap renders every bound field as a string, the form GET_BROKER_CONFIG answers with. When
// a key appears in several targets the first one wins.
func ToMap(targets ...any) map[string]string {
	m := map[string]string{}
	_ = walk(targets, false, func(key, value string) {
		if _, dup := m[key]; !dup {
			m[key] = value
		}
	})
	return m
}

// Properties renders every bound field as a Property in declaration order (the first target
// wins for a key bound in several), for rewriting the properties file after a live update:
// WriteConfigFile(path, FormatProperties(Properties(cfg))) is Java's Configuration.persist.
func Properties(targets ...any) []Property {
	var out []Property
	seen := map[string]bool{}
	_ = walk(targets, false, func(key, value string) {
		if !seen[key] {
			seen[key] = true
			out = append(out, Property{Key: key, Value: value})
		}
	})
	return out
}

// Print writes `key=value` lines for every bound field of each target in declaration order,
// the output of `mqbroker -p` / `mqnamesrv -p` (MixAll.printObjectProperties).
func Print(w io.Writer, targets ...any) error { return printFields(w, false, targets) }

// PrintImportant is Print restricted to fields tagged `important`, for `mqbroker -m`.
func PrintImportant(w io.Writer, targets ...any) error { return printFields(w, true, targets) }

func printFields(w io.Writer, onlyImportant bool, targets []any) error {
	var werr error
	err := walk(targets, onlyImportant, func(key, value string) {
		if werr == nil {
			_, werr = io.WriteString(w, key+"="+value+"\n")
		}
	})
	if err != nil {
		return err
	}
	return werr
}

func walk(targets []any, onlyImportant bool, fn func(key, value string)) error {
	for _, t := range targets {
		s, err := structValue(t)
		if err != nil {
			return err
		}
		for _, f := range fieldsOf(s.Type()) {
			if onlyImportant && !f.important {
				continue
			}
			fv, ok := fieldValue(s, f)
			if !ok {
				continue
			}
			fn(f.key, formatValue(fv))
		}
	}
	return nil
}

func setValue(v reflect.Value, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return errors.New("want true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return numErr(err, v.Type())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(s), "+"), 10, v.Type().Bits())
		if err != nil {
			return numErr(err, v.Type())
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		t := strings.TrimSpace(s)
		// Java's parseDouble accepts a trailing type suffix (1.5d, 2f).
		if n := len(t); n > 1 && strings.ContainsRune("dDfF", rune(t[n-1])) && t[n-2] >= '0' && t[n-2] <= '9' {
			t = t[:n-1]
		}
		f, err := strconv.ParseFloat(t, v.Type().Bits())
		if err != nil {
			return numErr(err, v.Type())
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}

func numErr(err error, t reflect.Type) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
		return fmt.Errorf("out of range for %s", t.Kind())
	}
	return fmt.Errorf("not a valid %s", t.Kind())
}

func formatValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return JavaDouble(v.Float(), v.Type().Bits())
	}
	return ""
}

// JavaDouble renders f as Java's Double.toString (bits 64) / Float.toString (bits 32) do, so
// `-p` output, GET_BROKER_CONFIG values and SQL92 filter values match the Java broker's: plain
// notation with at least one fraction digit for 1e-3 <= |f| < 1e7 ("0.75", "48.0"), otherwise
// "1.0E7" style.
func JavaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits) // e.g. 1.5e+07, 1e-05
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}
