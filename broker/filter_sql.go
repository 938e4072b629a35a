package broker

import (
	"cmp"
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/rocketgo/rocketgo/message"
)

// SQL92 property filters (enablePropertyFilter): the selector language of Java 4.9.8's
// org.apache.rocketmq.filter module, itself ActiveMQ's JMS selector grammar without LIKE,
// arithmetic and hex/octal literals. A consumer subscribing with an SQL92 expression receives
// only the messages whose user and system properties make the expression TRUE.
//
//	selector   := or
//	or         := and ( OR and )*
//	and        := equality ( AND equality )*
//	equality   := comparison ( '=' comparison | '<>' comparison | IS NULL | IS NOT NULL )*
//	comparison := unary ( '>' unary | '>=' unary | '<' unary | '<=' unary
//	                    | [NOT] BETWEEN unary AND unary | [NOT] IN '(' string ( ',' string )* ')' )*
//	unary      := '+' unary | '-' unary | NOT unary | primary
//	primary    := literal | identifier | '(' or ')'
//
// The grammar's quirks are kept because they decide which messages a consumer gets: NOT binds
// tighter than '=' ("NOT a = 1" is "(NOT a) = 1"), tokens after a complete selector are
// ignored, the float literal 0.0 is refused, and a comparison that Java cannot convert
// (Integer.valueOf("7.5")) aborts the whole evaluation, which then matches nothing.
// Evaluation is three-valued (TRUE, FALSE, NULL for absent properties); only TRUE matches.

// sqlKind is the Java type a value has during evaluation.
type sqlKind uint8

const (
	sqlNull   sqlKind = iota
	sqlBool           // Boolean
	sqlInt            // Integer: decimal literals within int32
	sqlLong           // Long: larger decimal literals
	sqlDouble         // Double: floating-point literals
	sqlString         // String: string literals and every property value
)

// sqlValue is one evaluated value. For properties s aliases the record being filtered; values
// never outlive one evaluation.
type sqlValue struct {
	k sqlKind
	b bool
	i int64
	f float64
	s string
}

func (v sqlValue) isNumber() bool { return v.k == sqlInt || v.k == sqlLong || v.k == sqlDouble }

var (
	sqlTrue  = sqlValue{k: sqlBool, b: true}
	sqlFalse = sqlValue{k: sqlBool}
	sqlNil   = sqlValue{}
)

func sqlBoolOf(b bool) sqlValue {
	if b {
		return sqlTrue
	}
	return sqlFalse
}

// errSQLEval stands for a Java exception during evaluation: the message is not matched.
var errSQLEval = errors.New("sql92: evaluation error")

type sqlOp uint8

const (
	opConst    sqlOp = iota
	opProp           // PropertyExpression
	opNeg            // UnaryExpression NEGATE
	opNot            // UnaryExpression NOT
	opBoolCast       // a bare property used as a boolean
	opAnd
	opOr
	opEq
	opGt
	opGe
	opLt
	opLe
	opIn // [NOT] IN, not in node.not
)

// sqlNode is one node of a compiled selector.
type sqlNode struct {
	op        sqlOp
	val       sqlValue // opConst
	boolConst bool     // opConst from TRUE, FALSE or NULL (Java's BooleanConstantExpression)
	name      string   // opProp
	l, r      *sqlNode
	list      []string // opIn
	not       bool     // opIn
}

// isBoolean is "instanceof BooleanExpression".
func (n *sqlNode) isBoolean() bool {
	switch n.op {
	case opConst:
		return n.boolConst
	case opProp, opNeg:
		return false
	}
	return true
}

// sqlExpr is a compiled SQL92 selector; it is immutable and safe for concurrent use.
type sqlExpr struct {
	src  string
	root *sqlNode
}

// SQLSyntaxError is why an expression does not compile. Msg is what the stock broker puts in
// the refusal's remark: the Java exception behind its MQFilterException, class name first
// (a JavaCC ParseException or TokenMgrError, or a factory's RuntimeException).
type SQLSyntaxError struct {
	Pos int // byte offset in the expression
	Msg string
}

func (e *SQLSyntaxError) Error() string { return e.Msg }

// maxSQLDepth bounds nesting; Java's recursive-descent parser would hit a StackOverflowError,
// which it reports as an invalid selector too.
const maxSQLDepth = 512

// compileSQL92 parses expr into an evaluable selector.
func compileSQL92(expr string) (*sqlExpr, error) {
	p := newSQLParser(expr)
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &sqlExpr{src: expr, root: root}, nil
}

// matchProperties reports whether the encoded property string (name 0x01 value 0x02 ...)
// makes the selector TRUE. It does not allocate.
func (e *sqlExpr) matchProperties(props []byte) bool {
	v, err := e.root.eval(props)
	return err == nil && v.k == sqlBool && v.b
}

// matchRecord evaluates the selector against a stored commit-log record; an unreadable record
// matches nothing.
func (e *sqlExpr) matchRecord(rec []byte) bool {
	var v message.View
	if message.Parse(rec, &v) != nil {
		return false
	}
	return e.matchProperties(v.Properties)
}

// ---- evaluation (Java's Expression.evaluate) ----

func (n *sqlNode) eval(props []byte) (sqlValue, error) {
	switch n.op {
	case opConst:
		return n.val, nil
	case opProp:
		v, ok := message.PropertyValue(props, n.name)
		if !ok {
			return sqlNil, nil
		}
		return sqlValue{k: sqlString, s: bytesAsString(v)}, nil
	case opNeg:
		v, err := n.l.eval(props)
		if err != nil || !v.isNumber() {
			return sqlNil, err
		}
		switch v.k {
		case sqlInt:
			v.i = int64(-int32(v.i))
		case sqlLong:
			v.i = -v.i
		default:
			v.f = -v.f
		}
		return v, nil
	case opNot:
		v, err := n.l.evalBool(props)
		if err != nil || v.k == sqlNull {
			return sqlNil, err
		}
		return sqlBoolOf(!v.b), nil
	case opBoolCast:
		v, err := n.l.eval(props)
		if err != nil || v.k == sqlNull {
			return sqlNil, err
		}
		return sqlBoolOf(v.k == sqlBool && v.b), nil
	case opAnd, opOr:
		stop := n.op == opOr // the value that decides at once
		lv, err := n.l.evalBool(props)
		if err != nil {
			return sqlNil, err
		}
		if lv.k != sqlNull && lv.b == stop {
			return sqlBoolOf(stop), nil
		}
		rv, err := n.r.evalBool(props)
		if err != nil {
			return sqlNil, err
		}
		if rv.k != sqlNull && rv.b == stop {
			return sqlBoolOf(stop), nil
		}
		if lv.k == sqlNull || rv.k == sqlNull {
			return sqlNil, nil
		}
		return sqlBoolOf(!stop), nil
	case opEq:
		lv, err := n.l.eval(props)
		if err != nil {
			return sqlNil, err
		}
		rv, err := n.r.eval(props)
		if err != nil {
			return sqlNil, err
		}
		if (lv.k == sqlNull) != (rv.k == sqlNull) {
			if lv.k == sqlNull {
				return sqlNil, nil
			}
			return sqlFalse, nil
		}
		if lv.k == sqlNull || javaEquals(lv, rv) {
			return sqlTrue, nil
		}
		c, err := javaCompare(lv, rv)
		if err != nil {
			return sqlNil, err
		}
		return sqlBoolOf(c == 0), nil
	case opGt, opGe, opLt, opLe:
		lv, err := n.l.eval(props)
		if err != nil || lv.k == sqlNull {
			return sqlNil, err
		}
		rv, err := n.r.eval(props)
		if err != nil || rv.k == sqlNull {
			return sqlNil, err
		}
		var c int
		if lv.k == sqlString && rv.k == sqlString {
			// Strings cannot be ordered; Java compares them as doubles or fails.
			a, ok1 := javaParseDouble(lv.s)
			b, ok2 := javaParseDouble(rv.s)
			if !ok1 || !ok2 {
				return sqlNil, errSQLEval
			}
			c = javaDoubleCompare(a, b)
		} else if c, err = javaCompare(lv, rv); err != nil {
			return sqlNil, err
		}
		switch n.op {
		case opGt:
			return sqlBoolOf(c > 0), nil
		case opGe:
			return sqlBoolOf(c >= 0), nil
		case opLt:
			return sqlBoolOf(c < 0), nil
		}
		return sqlBoolOf(c <= 0), nil
	case opIn:
		v, err := n.l.eval(props)
		if err != nil || v.k != sqlString {
			return sqlNil, err
		}
		found := false
		for _, s := range n.list {
			if s == v.s {
				found = true
				break
			}
		}
		return sqlBoolOf(found != n.not), nil
	}
	return sqlNil, errSQLEval
}

// evalBool is "(Boolean) expr.evaluate(ctx)": anything but a Boolean or null is a
// ClassCastException in Java.
func (n *sqlNode) evalBool(props []byte) (sqlValue, error) {
	v, err := n.eval(props)
	if err == nil && v.k != sqlNull && v.k != sqlBool {
		return sqlNil, errSQLEval
	}
	return v, err
}

// bytesAsString views b as a string without copying; the result must not outlive b.
func bytesAsString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// javaEquals is Object.equals between two non-null values: same class and same value
// (Double.equals compares bits, so NaN equals NaN and 0.0 differs from -0.0).
func javaEquals(a, b sqlValue) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case sqlBool:
		return a.b == b.b
	case sqlInt, sqlLong:
		return a.i == b.i
	case sqlDouble:
		return math.Float64bits(a.f) == math.Float64bits(b.f)
	case sqlString:
		return a.s == b.s
	}
	return false
}

// javaDoubleCompare is Double.compare: -0.0 < 0.0 and NaN above everything, equal to itself.
func javaDoubleCompare(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	ab, bb := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	if math.IsNaN(a) {
		ab = 0x7ff8000000000000
	}
	if math.IsNaN(b) {
		bb = 0x7ff8000000000000
	}
	return cmp.Compare(ab, bb)
}

// javaCompare is ComparisonExpression.__compare with string conversion on: values of
// different types are converted towards the right one where Java can, otherwise they are
// "less" (-1); a conversion Java would throw on is an evaluation error.
func javaCompare(l, r sqlValue) (int, error) {
	if l.k == r.k {
		switch l.k {
		case sqlBool:
			return cmp.Compare(b2i(l.b), b2i(r.b)), nil
		case sqlInt, sqlLong:
			return cmp.Compare(l.i, r.i), nil
		case sqlDouble:
			return javaDoubleCompare(l.f, r.f), nil
		case sqlString:
			return strings.Compare(l.s, r.s), nil
		}
		return 0, nil
	}
	switch l.k {
	case sqlBool:
		if r.k == sqlString {
			return 0, errSQLEval // Java casts the Boolean itself to String: ClassCastException
		}
		return -1, nil
	case sqlInt, sqlLong:
		switch r.k {
		case sqlInt, sqlLong:
			return cmp.Compare(l.i, r.i), nil
		case sqlDouble:
			return javaDoubleCompare(float64(l.i), r.f), nil
		case sqlString:
			n, ok := javaParseInt(r.s, l.k == sqlInt)
			if !ok {
				return 0, errSQLEval
			}
			return cmp.Compare(l.i, n), nil
		}
		return -1, nil
	case sqlDouble:
		switch r.k {
		case sqlInt, sqlLong:
			return javaDoubleCompare(l.f, float64(r.i)), nil
		case sqlString:
			f, ok := javaParseDouble(r.s)
			if !ok {
				return 0, errSQLEval
			}
			return javaDoubleCompare(l.f, f), nil
		}
		return -1, nil
	case sqlString:
		switch r.k {
		case sqlBool:
			return cmp.Compare(b2i(strings.EqualFold(l.s, "true")), b2i(r.b)), nil
		case sqlInt, sqlLong:
			n, ok := javaParseInt(l.s, r.k == sqlInt)
			if !ok {
				return 0, errSQLEval
			}
			return cmp.Compare(n, r.i), nil
		case sqlDouble:
			f, ok := javaParseDouble(l.s)
			if !ok {
				return 0, errSQLEval
			}
			return javaDoubleCompare(f, r.f), nil
		}
	}
	return -1, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// javaParseInt is Integer.valueOf (int32) or Long.valueOf: an optional sign and decimal
// digits, nothing else (no spaces). Java also accepts non-ASCII Unicode digits; we do not.
func javaParseInt(s string, is32 bool) (int64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body == "" {
		return 0, false
	}
	for i := 0; i < len(body); i++ {
		if body[i] < '0' || body[i] > '9' {
			return 0, false
		}
	}
	bits := 64
	if is32 {
		bits = 32
	}
	n, err := strconv.ParseInt(s, 10, bits)
	return n, err == nil
}

// javaParseDouble is Double.valueOf for decimal input: surrounding characters <= ' ' are
// trimmed, then [+-] (NaN | Infinity | digits[.digits][e[+-]digits] | .digits...) with an
// optional f/F/d/D suffix. Hexadecimal floats are not accepted (Java does accept them).
func javaParseDouble(s string) (float64, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if s == "" {
		return 0, false
	}
	body := s
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if n := len(body); n > 0 {
		switch body[n-1] {
		case 'f', 'F', 'd', 'D':
			body = body[:n-1]
		}
	}
	i, digits := 0, 0
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(body) && body[i] == '.' {
		i++
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(body) && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < len(body) && (body[i] == '+' || body[i] == '-') {
			i++
		}
		exp := 0
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(body) {
		return 0, false
	}
	f, err := strconv.ParseFloat(body, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

// sqlCache remembers compiled selectors by text, as Java's SelectorParser does (it keeps 100):
// pulls that carry their subscription (lite pull consumers) repeat it on every request.
var sqlCache struct {
	sync.Mutex
	m map[string]*sqlExpr
}

const sqlCacheMax = 256

// compileSQL92Cached is compileSQL92 through the cache; failures are not cached.
func compileSQL92Cached(expr string) (*sqlExpr, error) {
	sqlCache.Lock()
	e := sqlCache.m[expr]
	sqlCache.Unlock()
	if e != nil {
		return e, nil
	}
	e, err := compileSQL92(expr)
	if err != nil {
		return nil, err
	}
	sqlCache.Lock()
	if sqlCache.m == nil || len(sqlCache.m) >= sqlCacheMax {
		sqlCache.m = make(map[string]*sqlExpr, 16)
	}
	sqlCache.m[expr] = e
	sqlCache.Unlock()
	return e, nil
}
