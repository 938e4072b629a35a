package broker

import (
	"math"
	"strconv"
	"strings"
)

// The SQL92 selector lexer and parser. They follow the JavaCC-generated parser of Java 4.9.8
// token for token: tokens are read lazily (a lexical error after the point where the parser
// stops is not seen, exactly as in Java), loops are entered on the same first tokens, and each
// node is checked by the same rules Java's factory methods apply while parsing.

type sqlTok uint8

const (
	tEOF sqlTok = iota
	tNot
	tAnd
	tOr
	tBetween
	tIn
	tTrue
	tFalse
	tNull
	tIs
	tDecimal
	tFloat
	tString
	tID
	tEq     // =
	tNe     // <>
	tGt     // >
	tGe     // >=
	tLt     // <
	tLe     // <=
	tLParen // (
	tComma  // ,
	tRParen // )
	tPlus   // +
	tMinus  // -
)

var sqlTokNames = [...]string{tEOF: "<EOF>", tNot: "NOT", tAnd: "AND", tOr: "OR", tBetween: "BETWEEN", tIn: "IN",
	tTrue: "TRUE", tFalse: "FALSE", tNull: "NULL", tIs: "IS", tDecimal: "<DECIMAL_LITERAL>",
	tFloat: "<FLOATING_POINT_LITERAL>", tString: "<STRING_LITERAL>", tID: "<ID>", tEq: "=", tNe: "<>", tGt: ">",
	tGe: ">=", tLt: "<", tLe: "<=", tLParen: "(", tComma: ",", tRParen: ")", tPlus: "+", tMinus: "-"}

var sqlKeywords = map[string]sqlTok{"NOT": tNot, "AND": tAnd, "OR": tOr, "BETWEEN": tBetween, "IN": tIn,
	"TRUE": tTrue, "FALSE": tFalse, "NULL": tNull, "IS": tIs}

type sqlToken struct {
	kind  sqlTok
	pos   int
	image string
}

type sqlLexer struct {
	src string
	pos int
}

func isIDStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}
func isIDPart(c byte) bool { return isIDStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// exponentLen is the length of an EXPONENT ("E" [+-]? digits) at s[i:], 0 if there is none.
func exponentLen(s string, i int) int {
	if i >= len(s) || (s[i] != 'e' && s[i] != 'E') {
		return 0
	}
	j := i + 1
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	k := j
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if k == j {
		return 0
	}
	return k - i
}

// next returns the next token, longest match first as JavaCC does.
func (lx *sqlLexer) next() (sqlToken, error) {
	s := lx.src
	for lx.pos < len(s) {
		c := s[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			lx.pos++
			continue
		case c == '-' && strings.HasPrefix(s[lx.pos:], "--"):
			// A line comment must end with a line break; without one "--" is two minus signs.
			if nl := strings.IndexAny(s[lx.pos:], "\r\n"); nl >= 0 {
				end := lx.pos + nl + 1
				if s[end-1] == '\r' && end < len(s) && s[end] == '\n' {
					end++
				}
				lx.pos = end
				continue
			}
		case c == '/':
			if strings.HasPrefix(s[lx.pos:], "/*") {
				if end := strings.Index(s[lx.pos+2:], "*/"); end >= 0 {
					lx.pos += 2 + end + 2
					continue
				}
			}
			return sqlToken{}, &SQLSyntaxError{Pos: lx.pos, Msg: "Lexical error: unexpected '/'"}
		}
		break
	}
	start := lx.pos
	if start >= len(s) {
		return sqlToken{kind: tEOF, pos: start}, nil
	}
	tok := func(k sqlTok, end int) (sqlToken, error) {
		lx.pos = end
		return sqlToken{kind: k, pos: start, image: s[start:end]}, nil
	}
	c := s[start]
	switch {
	case isIDStart(c):
		end := start + 1
		for end < len(s) && isIDPart(s[end]) {
			end++
		}
		if k, ok := sqlKeywords[strings.ToUpper(s[start:end])]; ok {
			return tok(k, end)
		}
		return tok(tID, end)
	case isDigit(c):
		end := start
		for end < len(s) && isDigit(s[end]) {
			end++
		}
		if end < len(s) && s[end] == '.' {
			end++
			for end < len(s) && isDigit(s[end]) {
				end++
			}
			return tok(tFloat, end+exponentLen(s, end))
		}
		if e := exponentLen(s, end); e > 0 {
			return tok(tFloat, end+e)
		}
		if c == '0' {
			return tok(tDecimal, start+1) // DECIMAL_LITERAL is "0" or starts with 1-9
		}
		if end < len(s) && (s[end] == 'l' || s[end] == 'L') {
			end++
		}
		return tok(tDecimal, end)
	case c == '.':
		end := start + 1
		for end < len(s) && isDigit(s[end]) {
			end++
		}
		if end == start+1 {
			return sqlToken{}, &SQLSyntaxError{Pos: start, Msg: "Lexical error: unexpected '.'"}
		}
		return tok(tFloat, end+exponentLen(s, end))
	case c == '\'':
		for i := start + 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				return tok(tString, i+1)
			}
		}
		return sqlToken{}, &SQLSyntaxError{Pos: start, Msg: "Lexical error: unterminated string literal"}
	case c == '=':
		return tok(tEq, start+1)
	case c == '<':
		if start+1 < len(s) && s[start+1] == '>' {
			return tok(tNe, start+2)
		}
		if start+1 < len(s) && s[start+1] == '=' {
			return tok(tLe, start+2)
		}
		return tok(tLt, start+1)
	case c == '>':
		if start+1 < len(s) && s[start+1] == '=' {
			return tok(tGe, start+2)
		}
		return tok(tGt, start+1)
	case c == '(':
		return tok(tLParen, start+1)
	case c == ')':
		return tok(tRParen, start+1)
	case c == ',':
		return tok(tComma, start+1)
	case c == '+':
		return tok(tPlus, start+1)
	case c == '-':
		return tok(tMinus, start+1)
	}
	return sqlToken{}, &SQLSyntaxError{Pos: start, Msg: "Lexical error: unexpected character " + strconv.QuoteRune(rune(c))}
}

type sqlParser struct {
	lx    sqlLexer
	buf   [2]sqlToken // look-ahead, filled lazily
	nbuf  int
	depth int
}

// peek returns the i-th (0 or 1) token ahead.
func (p *sqlParser) peek(i int) (sqlToken, error) {
	for p.nbuf <= i {
		t, err := p.lx.next()
		if err != nil {
			return sqlToken{}, err
		}
		p.buf[p.nbuf] = t
		p.nbuf++
	}
	return p.buf[i], nil
}

func (p *sqlParser) peekKind(i int) (sqlTok, error) {
	t, err := p.peek(i)
	return t.kind, err
}

func (p *sqlParser) consume() sqlToken {
	t := p.buf[0]
	p.buf[0] = p.buf[1]
	p.nbuf--
	return t
}

// expect consumes a token of kind k.
func (p *sqlParser) expect(k sqlTok) (sqlToken, error) {
	t, err := p.peek(0)
	if err != nil {
		return t, err
	}
	if t.kind != k {
		return t, p.unexpected(t, sqlTokNames[k])
	}
	return p.consume(), nil
}

func (p *sqlParser) unexpected(t sqlToken, want string) error {
	img := t.image
	if t.kind == tEOF {
		img = "<EOF>"
	}
	return &SQLSyntaxError{Pos: t.pos, Msg: "Encountered \"" + img + "\", was expecting " + want}
}

func semErr(pos int, msg string) error { return &SQLSyntaxError{Pos: pos, Msg: msg} }

// parse is JmsSelector: tokens after the selector are not looked at.
func (p *sqlParser) parse() (*sqlNode, error) {
	n, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	return p.asBoolean(n, 0)
}

// asBoolean is asBooleanExpression: boolean expressions as they are, a property cast to
// boolean, anything else refused.
func (p *sqlParser) asBoolean(n *sqlNode, pos int) (*sqlNode, error) {
	if n.isBoolean() {
		return n, nil
	}
	if n.op == opProp {
		return &sqlNode{op: opBoolCast, l: n}, nil
	}
	return nil, semErr(pos, "Expression will not result in a boolean value")
}

func (p *sqlParser) enter() error {
	p.depth++
	if p.depth > maxSQLDepth {
		t, _ := p.peek(0)
		return semErr(t.pos, "expression nested too deeply")
	}
	return nil
}

func (p *sqlParser) orExpr() (*sqlNode, error) {
	return p.logic(tOr, opOr, p.andExpr)
}

func (p *sqlParser) andExpr() (*sqlNode, error) {
	return p.logic(tAnd, opAnd, p.equality)
}

func (p *sqlParser) logic(kw sqlTok, op sqlOp, sub func() (*sqlNode, error)) (*sqlNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	left, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		k, err := p.peekKind(0)
		if err != nil {
			return nil, err
		}
		if k != kw {
			return left, nil
		}
		pos := p.consume().pos
		right, err := sub()
		if err != nil {
			return nil, err
		}
		if left, err = p.asBoolean(left, pos); err != nil {
			return nil, err
		}
		if right, err = p.asBoolean(right, pos); err != nil {
			return nil, err
		}
		left = &sqlNode{op: op, l: left, r: right}
	}
}

var sqlNullConst = &sqlNode{op: opConst, boolConst: true}

func (p *sqlParser) equality() (*sqlNode, error) {
	left, err := p.comparison()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek(0)
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tEq, tNe:
			p.consume()
			right, err := p.comparison()
			if err != nil {
				return nil, err
			}
			eq, err := createEqual(left, right, t.pos)
			if err != nil {
				return nil, err
			}
			if t.kind == tNe {
				eq = &sqlNode{op: opNot, l: eq}
			}
			left = eq
		case tIs:
			k1, err := p.peekKind(1)
			if err != nil {
				return nil, err
			}
			p.consume()
			isNull := &sqlNode{op: opEq, l: left, r: sqlNullConst}
			if k1 == tNull {
				p.consume()
				left = isNull
				continue
			}
			if _, err := p.expect(tNot); err != nil {
				return nil, err
			}
			if _, err := p.expect(tNull); err != nil {
				return nil, err
			}
			left = &sqlNode{op: opNot, l: isNull}
		default:
			return left, nil
		}
	}
}

// createEqual applies checkEqualOperand and checkEqualOperandCompatability.
func createEqual(l, r *sqlNode, pos int) (*sqlNode, error) {
	for _, n := range [2]*sqlNode{l, r} {
		if n.op == opConst && n.val.k == sqlNull {
			return nil, semErr(pos, "'NULL' cannot be compared.")
		}
	}
	if l.op == opConst && r.op == opConst && l.boolConst && !r.boolConst {
		return nil, semErr(pos, "a boolean literal cannot be compared with a non-boolean literal")
	}
	return &sqlNode{op: opEq, l: l, r: r}, nil
}

// checkLessThanOperand: only numbers (or expressions that are not boolean) can be ordered.
func checkLessThanOperand(n *sqlNode, pos int) error {
	if n.op == opConst {
		if n.val.isNumber() {
			return nil
		}
		return semErr(pos, "Value cannot be compared.")
	}
	if n.isBoolean() {
		return semErr(pos, "Value cannot be compared.")
	}
	return nil
}

func relational(op sqlOp, l, r *sqlNode, pos int) (*sqlNode, error) {
	if err := checkLessThanOperand(l, pos); err != nil {
		return nil, err
	}
	if err := checkLessThanOperand(r, pos); err != nil {
		return nil, err
	}
	return &sqlNode{op: op, l: l, r: r}, nil
}

var relOps = map[sqlTok]sqlOp{tGt: opGt, tGe: opGe, tLt: opLt, tLe: opLe}

func (p *sqlParser) comparison() (*sqlNode, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek(0)
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tGt, tGe, tLt, tLe:
			p.consume()
			right, err := p.unary()
			if err != nil {
				return nil, err
			}
			if left, err = relational(relOps[t.kind], left, right, t.pos); err != nil {
				return nil, err
			}
		case tBetween:
			p.consume()
			if left, err = p.between(left, false, t.pos); err != nil {
				return nil, err
			}
		case tIn:
			p.consume()
			if left, err = p.in(left, false, t.pos); err != nil {
				return nil, err
			}
		case tNot:
			k1, err := p.peekKind(1)
			if err != nil {
				return nil, err
			}
			switch k1 {
			case tBetween:
				p.consume()
				p.consume()
				left, err = p.between(left, true, t.pos)
			case tIn:
				p.consume()
				p.consume()
				left, err = p.in(left, true, t.pos)
			default:
				return nil, p.unexpected(t, "BETWEEN or IN after NOT")
			}
			if err != nil {
				return nil, err
			}
		default:
			return left, nil
		}
	}
}

// between parses "low AND high" after [NOT] BETWEEN. BETWEEN is ">= low AND <= high" after
// Java's constant checks; NOT BETWEEN is "< low OR > high" with no constant checks.
func (p *sqlParser) between(value *sqlNode, not bool, pos int) (*sqlNode, error) {
	low, err := p.unary()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tAnd); err != nil {
		return nil, err
	}
	high, err := p.unary()
	if err != nil {
		return nil, err
	}
	if not {
		lt, err := relational(opLt, value, low, pos)
		if err != nil {
			return nil, err
		}
		gt, err := relational(opGt, value, high, pos)
		if err != nil {
			return nil, err
		}
		return &sqlNode{op: opOr, l: lt, r: gt}, nil
	}
	if low.op == opConst && high.op == opConst {
		if low.val.k == sqlNull || high.val.k == sqlNull {
			return nil, semErr(pos, "Illegal values of between, values can not be null!")
		}
		c, err := javaCompare(high.val, low.val)
		if err != nil {
			return nil, semErr(pos, "Illegal values of between")
		}
		if c < 0 {
			return nil, semErr(pos, "Illegal values of between, left value must less than or equal to right value")
		}
	}
	ge, err := relational(opGe, value, low, pos)
	if err != nil {
		return nil, err
	}
	le, err := relational(opLe, value, high, pos)
	if err != nil {
		return nil, err
	}
	return &sqlNode{op: opAnd, l: ge, r: le}, nil
}

// in parses "( 'a', 'b' ... )" after [NOT] IN; the left side must be a property.
func (p *sqlParser) in(value *sqlNode, not bool, pos int) (*sqlNode, error) {
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	var list []string
	for {
		t, err := p.expect(tString)
		if err != nil {
			return nil, err
		}
		list = append(list, decodeSQLString(t.image))
		k, err := p.peekKind(0)
		if err != nil {
			return nil, err
		}
		if k != tComma {
			break
		}
		p.consume()
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	if value.op != opProp {
		return nil, semErr(pos, "Expected a property for In expression")
	}
	return &sqlNode{op: opIn, l: value, list: list, not: not}, nil
}

func (p *sqlParser) unary() (*sqlNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t, err := p.peek(0)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tPlus:
		p.consume()
		return p.unary()
	case tMinus:
		p.consume()
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &sqlNode{op: opNeg, l: n}, nil
	case tNot:
		p.consume()
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		if n, err = p.asBoolean(n, t.pos); err != nil {
			return nil, err
		}
		return &sqlNode{op: opNot, l: n}, nil
	}
	return p.primary()
}

func (p *sqlParser) primary() (*sqlNode, error) {
	t, err := p.peek(0)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tString:
		p.consume()
		return &sqlNode{op: opConst, val: sqlValue{k: sqlString, s: decodeSQLString(t.image)}}, nil
	case tDecimal:
		p.consume()
		return decimalLiteral(t)
	case tFloat:
		p.consume()
		return floatLiteral(t)
	case tTrue, tFalse:
		p.consume()
		return &sqlNode{op: opConst, boolConst: true, val: sqlBoolOf(t.kind == tTrue)}, nil
	case tNull:
		p.consume()
		return sqlNullConst, nil
	case tID:
		p.consume()
		return &sqlNode{op: opProp, name: t.image}, nil
	case tLParen:
		p.consume()
		n, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return n, nil
	}
	return nil, p.unexpected(t, "a literal, a property name or '('")
}

// decodeSQLString strips the quotes of a string literal and undoubles inner quotes.
func decodeSQLString(img string) string {
	in := img[1 : len(img)-1]
	if !strings.Contains(in, "''") {
		return in
	}
	return strings.ReplaceAll(in, "''", "'")
}

// decimalLiteral is ConstantExpression.createFromDecimal: a Long, narrowed to an Integer when
// it fits; values beyond a long are refused.
func decimalLiteral(t sqlToken) (*sqlNode, error) {
	txt := strings.TrimRight(t.image, "lL")
	n, err := strconv.ParseInt(txt, 10, 64)
	if err != nil {
		return nil, semErr(t.pos, "number out of range: "+t.image)
	}
	k := sqlLong
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		k = sqlInt
	}
	return &sqlNode{op: opConst, val: sqlValue{k: k, i: n}}, nil
}

// floatLiteral is ConstantExpression.createFloat, which refuses infinity and anything below
// Double.MIN_VALUE, zero included.
func floatLiteral(t sqlToken) (*sqlNode, error) {
	f, err := strconv.ParseFloat(t.image, 64)
	if err != nil && !isRangeErr(err) {
		return nil, semErr(t.pos, "bad number "+t.image)
	}
	if math.IsInf(f, 0) || f < math.SmallestNonzeroFloat64 {
		return nil, semErr(t.pos, "number out of range: "+t.image)
	}
	return &sqlNode{op: opConst, val: sqlValue{k: sqlDouble, f: f}}, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
