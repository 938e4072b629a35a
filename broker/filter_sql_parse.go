package broker

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rocketgo/rocketgo/conf"
	"github.com/rocketgo/rocketgo/message"
)

// The SQL92 selector lexer and parser. They follow the JavaCC-generated parser of Java 4.9.8
// token for token: tokens are read lazily (a lexical error after the point where the parser
// stops is not seen, exactly as in Java), loops are entered on the same first tokens, and each
// node is checked by the same rules Java's factory methods apply while parsing.
//
// A refusal carries the text the stock broker puts in its remark (the message of the
// MQFilterException, i.e. the cause's toString()). For syntax errors that is JavaCC's
// ParseException message, whose list of expected tokens is a by-product of the generated
// parser's bookkeeping, so the parser keeps the same bookkeeping:
//
//   - gen counts consumed tokens; each choice point that falls through to its default branch
//     stamps its slot in la1 with gen, and on an error every slot stamped with the current gen
//     contributes its set of first tokens (la1Sets, derived from the grammar below);
//   - a failed consume adds the one kind it wanted;
//   - each syntactic look-ahead (IS NULL, NOT BETWEEN, NOT IN, and "+" unaryExpr) records where
//     it started and how far it read; look-aheads that read past the error point are replayed
//     and the kinds they scanned are fed through JavaCC 5's error-token accumulator, which only
//     keeps a sequence when an identical one is already listed (so in effect it adds duplicate
//     single kinds, never longer sequences).

type sqlTok uint8

// Token kinds, in the order of Java's SelectorParserConstants (its whitespace, comment and
// EXPONENT kinds left out): the expected-token list is printed in this order.
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
	numSQLToks
)

// sqlTokImages are Java's token images (SelectorParserConstants.tokenImage) as printed in a
// ParseException.
var sqlTokImages = [numSQLToks]string{tEOF: "<EOF>", tNot: `"NOT"`, tAnd: `"AND"`, tOr: `"OR"`,
	tBetween: `"BETWEEN"`, tIn: `"IN"`, tTrue: `"TRUE"`, tFalse: `"FALSE"`, tNull: `"NULL"`, tIs: `"IS"`,
	tDecimal: "<DECIMAL_LITERAL>", tFloat: "<FLOATING_POINT_LITERAL>", tString: "<STRING_LITERAL>",
	tID: "<ID>", tEq: `"="`, tNe: `"<>"`, tGt: `">"`, tGe: `">="`, tLt: `"<"`, tLe: `"<="`,
	tLParen: `"("`, tComma: `","`, tRParen: `")"`, tPlus: `"+"`, tMinus: `"-"`}

var sqlKeywords = map[string]sqlTok{"NOT": tNot, "AND": tAnd, "OR": tOr, "BETWEEN": tBetween, "IN": tIn,
	"TRUE": tTrue, "FALSE": tFalse, "NULL": tNull, "IS": tIs}

type sqlToken struct {
	kind  sqlTok
	pos   int // byte offset; for EOF the offset of the last character (Java puts EOF there)
	image string
}

// Java exception class names as they prefix the remark (Throwable.toString of the cause).
const (
	javaParseException = "org.apache.rocketmq.filter.parser.ParseException: "
	javaTokenMgrError  = "org.apache.rocketmq.filter.parser.TokenMgrError: "
	javaRuntimeExc     = "java.lang.RuntimeException: "
	javaStackOverflow  = "java.lang.StackOverflowError"
)

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

// next returns the next token, longest match first as JavaCC does. Input that no token rule
// accepts is a lexical error; the character the token manager's automaton died on (or the end
// of input it ran into) decides the text, see lexError.
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
				return sqlToken{}, lexError(s, lx.pos, len(s)) // runs into the end of input
			}
			return sqlToken{}, lexError(s, lx.pos, lx.pos+1) // dies on the character after '/'
		}
		break
	}
	start := lx.pos
	if start >= len(s) {
		return sqlToken{kind: tEOF, pos: lastCharStart(s)}, nil
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
			return sqlToken{}, lexError(s, start, start+1) // dies on the character after '.'
		}
		return tok(tFloat, end+exponentLen(s, end))
	case c == '\'':
		// The longest closed literal wins; "''" inside is both a possible end and an escaped
		// quote, so the last quote seen that could close is remembered.
		accept := -1
		for i := start + 1; i < len(s); i++ {
			if s[i] == '\'' {
				accept = i + 1
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				break
			}
		}
		if accept < 0 {
			return sqlToken{}, lexError(s, start, len(s))
		}
		return tok(tString, accept)
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
	return sqlToken{}, lexError(s, start, start) // dies on its first character
}

// lastCharStart is the byte offset of the last character of s, -1 for an empty s.
func lastCharStart(s string) int {
	if s == "" {
		return -1
	}
	_, n := utf8.DecodeLastRuneInString(s)
	return len(s) - n
}

// javaChars are s's characters as Java's StringReader hands them over: UTF-16 units.
func javaChars(s string) []uint16 {
	return utf16.Encode([]rune(s))
}

// javaLineCol is where SimpleCharStream puts the Java character at index idx: lines count
// "\n", "\r" and "\r\n" (a line break belongs to the line it ends), columns are 1-based and a
// tab moves to the next multiple of 8. An index of -1 (no character read at all) is line 0,
// column 0.
func javaLineCol(cs []uint16, idx int) (line, col int) {
	if idx < 0 {
		return 0, 0
	}
	line = 1
	prevLF, prevCR := false, false
	for i := 0; i <= idx && i < len(cs); i++ {
		c := cs[i]
		col++
		if prevLF {
			prevLF = false
			line, col = line+1, 1
		} else if prevCR {
			prevCR = false
			if c == '\n' {
				prevLF = true
			} else {
				line, col = line+1, 1
			}
		}
		switch c {
		case '\r':
			prevCR = true
		case '\n':
			prevLF = true
		case '\t':
			col--
			col += 8 - col%8
		}
	}
	return line, col
}

// javaIndex is the Java character index of byte offset off of s.
func javaIndex(s string, off int) int {
	n := 0
	for _, r := range s[:off] {
		n += utf16.RuneLen(r)
	}
	return n
}

// lexError is Java's TokenMgrError for a token starting at byte start that no rule accepts.
// dieAt is the byte offset of the character the automaton died on, or len(s) when it was
// still alive at the end of input. The token manager reports the last character it read, one
// column further and as "<EOF>" when nothing follows it, and the characters before it.
func lexError(s string, start, dieAt int) error {
	cs := javaChars(s)
	from := javaIndex(s, start)
	var last int // Java index of the last character read
	if dieAt >= len(s) {
		last = len(cs) - 1
	} else {
		last = javaIndex(s, dieAt)
	}
	line, col := javaLineCol(cs, last)
	cur := cs[last]
	var b strings.Builder
	b.WriteString(javaTokenMgrError + "Lexical error at line ")
	if last == len(cs)-1 { // the next read hits the end of input
		if cur == '\n' || cur == '\r' {
			line, col = line+1, 0
		} else {
			col++
		}
		b.WriteString(strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ".  Encountered: <EOF> ")
		after := ""
		if last-from+1 > 1 {
			after = javaEscape(cs[from : last+1])
		}
		b.WriteString(`after : "` + after + `"`)
	} else {
		b.WriteString(strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ".  Encountered: \"" +
			javaEscape(cs[last:last+1]) + "\" (" + strconv.Itoa(int(cur)) + "), ")
		b.WriteString(`after : "` + javaEscape(cs[from:last]) + `"`)
	}
	return &SQLSyntaxError{Pos: start, Msg: b.String()}
}

// javaEscape is JavaCC's addEscapes: control characters and quotes backslash-escaped,
// anything outside printable ASCII as \uXXXX, NUL dropped.
func javaEscape(cs []uint16) string {
	var b strings.Builder
	for _, c := range cs {
		switch c {
		case 0:
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c < 0x20 || c > 0x7e {
				h := strconv.FormatInt(int64(c), 16)
				b.WriteString(`\u` + strings.Repeat("0", 4-len(h)) + h)
			} else {
				b.WriteByte(byte(c))
			}
		}
	}
	return b.String()
}

// sqlKindSet is a set of token kinds, bit k for kind k.
type sqlKindSet uint32

func kinds(ks ...sqlTok) sqlKindSet {
	var s sqlKindSet
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// The choice points of the grammar, numbered as JavaCC numbers them (in the order they appear
// in the generated parser), and the tokens each one's non-default branches start with: the
// tokens a parse failing right there could have continued with.
const (
	laOrLoop    = iota // ( OR andExpression )*
	laAndLoop          // ( AND equalityExpression )*
	laEqLoop           // ( "=" | "<>" | IS ... )*
	laEqChoice         // "=" | "<>" | (IS NULL | IS NOT NULL)
	laCmpLoop          // ( ">" | ">=" | "<" | "<=" | BETWEEN | NOT BETWEEN | IN | NOT IN )*
	laInList           // ( "," string )* of IN and of NOT IN (the same set)
	laCmpChoice        // the relational operators and BETWEEN
	laIn               // IN after NOT BETWEEN's look-ahead failed
	laUnary            // "-" | NOT | primaryExpr (after "+" unaryExpr's look-ahead failed)
	laPrimary          // literal | ID | "(" orExpression ")"
	numLA
)

var (
	sqlLiteralFirst = kinds(tTrue, tFalse, tNull, tDecimal, tFloat, tString)
	sqlPrimaryFirst = sqlLiteralFirst | kinds(tID, tLParen)
	la1Sets         = [numLA]sqlKindSet{
		laOrLoop:    kinds(tOr),
		laAndLoop:   kinds(tAnd),
		laEqLoop:    kinds(tIs, tEq, tNe),
		laEqChoice:  kinds(tEq, tNe),
		laCmpLoop:   kinds(tNot, tBetween, tIn, tGt, tGe, tLt, tLe),
		laInList:    kinds(tComma),
		laCmpChoice: kinds(tGt, tGe, tLt, tLe, tBetween),
		laIn:        kinds(tIn),
		// "+" is missing: its branch is taken by syntactic look-ahead, not by the switch.
		laUnary:   sqlPrimaryFirst | kinds(tNot, tMinus),
		laPrimary: sqlPrimaryFirst,
	}
)

// The syntactic look-aheads, numbered as JavaCC numbers them.
const (
	lookIsNull     = iota // LOOKAHEAD(2) IS NULL
	lookNotBetween        // LOOKAHEAD(2) NOT BETWEEN ...
	lookNotIn             // LOOKAHEAD(2) NOT IN ...
	lookPlus              // LOOKAHEAD("+" unaryExpr()), unbounded
	numLook
)

// lookLimit is how many tokens look-ahead idx may read.
func lookLimit(idx int) int {
	if idx == lookPlus {
		return maxSQLLookahead
	}
	return 2
}

// lookCall remembers one look-ahead: the token it started after and the gen up to which it
// counts as "not yet passed" (gen at the call plus tokens read).
type lookCall struct {
	gen, first int
}

// scanRes is the outcome of scanning a piece of grammar during a look-ahead.
type scanRes uint8

const (
	scanOK    scanRes = iota // matched, go on
	scanFail                 // did not match: backtrack
	scanDone                 // read as far as allowed with everything matching: look-ahead succeeds
	scanAbort                // lexical error or too deep: p.err holds it
)

const maxSQLLookahead = math.MaxInt32

type sqlParser struct {
	lx    sqlLexer
	toks  []sqlToken // toks[0] stands for "before the first token", like JavaCC's initial token
	cur   int        // index in toks of the last consumed token
	gen   int
	la1   [numLA]int
	want  int // kind a failed consume wanted, -1 for none
	calls [numLook][]lookCall
	// callBuf backs calls until a look-ahead needs a third live record.
	callBuf [numLook][2]lookCall
	depth   int
	err     error // set when a scan aborts

	// look-ahead state
	la, scanPos, lastPos int
	rescan               bool
	// error-token accumulator
	expected  [][]sqlTok
	lastToks  [100]sqlTok
	endPos    int
	scanDepth int
}

func newSQLParser(expr string) *sqlParser {
	p := &sqlParser{lx: sqlLexer{src: expr}, toks: make([]sqlToken, 1, 8), want: -1}
	for i := range p.la1 {
		p.la1[i] = -1
	}
	for i := range p.calls {
		p.calls[i] = p.callBuf[i][:1]
	}
	return p
}

// tok returns toks[i], reading tokens up to it.
func (p *sqlParser) tok(i int) (sqlToken, error) {
	for len(p.toks) <= i {
		t, err := p.lx.next()
		if err != nil {
			return t, err
		}
		p.toks = append(p.toks, t)
	}
	return p.toks[i], nil
}

// ntk is the kind of the next token.
func (p *sqlParser) ntk() (sqlTok, error) {
	t, err := p.tok(p.cur + 1)
	return t.kind, err
}

// consume takes the next token if it is of kind k, else fails wanting k.
func (p *sqlParser) consume(k sqlTok) (sqlToken, error) {
	t, err := p.tok(p.cur + 1)
	if err != nil {
		return t, err
	}
	if t.kind != k {
		p.want = int(k)
		return t, p.parseError()
	}
	p.cur++
	p.gen++
	return t, nil
}

// fail is JavaCC's consume of kind -1 in a default branch: an error wanting nothing more.
func (p *sqlParser) fail() error {
	if _, err := p.tok(p.cur + 1); err != nil {
		return err
	}
	return p.parseError()
}

// lookahead runs syntactic look-ahead number idx.
func (p *sqlParser) lookahead(idx int) (bool, error) {
	xla := lookLimit(idx)
	p.la = xla
	p.scanPos, p.lastPos = p.cur, p.cur
	p.scanDepth = 0
	r := p.lookScan(idx)
	if r == scanAbort {
		return false, p.err
	}
	p.save(idx, xla)
	return r != scanFail, nil
}

// save records a look-ahead call, reusing the first record already passed (JavaCC's jj_save).
func (p *sqlParser) save(idx, xla int) {
	cs := p.calls[idx]
	i := 0
	for cs[i].gen > p.gen {
		if i+1 == len(cs) {
			cs = append(cs, lookCall{})
			i++
			break
		}
		i++
	}
	cs[i] = lookCall{gen: p.gen + xla - p.la, first: p.cur}
	p.calls[idx] = cs
}

// scanTok matches one token of kind k during a look-ahead.
func (p *sqlParser) scanTok(k sqlTok) scanRes {
	if p.scanPos == p.lastPos {
		p.la--
		if _, err := p.tok(p.scanPos + 1); err != nil {
			p.err = err
			return scanAbort
		}
		p.scanPos++
		p.lastPos = p.scanPos
	} else {
		p.scanPos++
	}
	if p.rescan && p.scanPos >= p.cur {
		p.addErrorToken(k, p.scanPos-p.cur)
	}
	if p.toks[p.scanPos].kind != k {
		return scanFail
	}
	if p.la == 0 && p.scanPos == p.lastPos {
		return scanDone
	}
	return scanOK
}

// addErrorToken is JavaCC 5's accumulator of the token sequences a replayed look-ahead
// scanned, kept faithfully with its quirk: a finished sequence is listed only when an equal
// one already is.
func (p *sqlParser) addErrorToken(k sqlTok, pos int) {
	if pos >= len(p.lastToks) {
		return
	}
	if pos == p.endPos+1 {
		p.lastToks[p.endPos] = k
		p.endPos++
		return
	}
	if p.endPos == 0 {
		return
	}
	seq := append([]sqlTok(nil), p.lastToks[:p.endPos]...)
	for _, old := range p.expected {
		if slices.Equal(old, seq) {
			p.expected = append(p.expected, seq)
			break
		}
	}
	if pos != 0 {
		p.endPos = pos
		p.lastToks[pos-1] = k
	}
}

// parseError builds JavaCC's ParseException for the token after the last consumed one.
func (p *sqlParser) parseError() error {
	var set sqlKindSet
	if p.want >= 0 {
		set |= 1 << p.want
		p.want = -1
	}
	for i, g := range p.la1 {
		if g == p.gen {
			set |= la1Sets[i]
		}
	}
	p.expected = p.expected[:0]
	for k := tEOF; k < numSQLToks; k++ {
		if set&(1<<k) != 0 {
			p.expected = append(p.expected, []sqlTok{k})
		}
	}
	p.endPos = 0
	p.replayLookaheads()
	p.addErrorToken(tEOF, 0)
	if p.err != nil {
		return p.err
	}

	maxLen := 0
	for _, e := range p.expected {
		maxLen = max(maxLen, len(e))
	}
	src := p.lx.src
	cs := javaChars(src)
	var b strings.Builder
	b.WriteString(javaParseException + `Encountered "`)
	for i := 0; i < maxLen && p.cur+1+i < len(p.toks); i++ {
		t := p.toks[p.cur+1+i]
		if i != 0 {
			b.WriteByte(' ')
		}
		if t.kind == tEOF {
			b.WriteString(sqlTokImages[tEOF])
			break
		}
		b.WriteString(" " + sqlTokImages[t.kind] + ` "` + javaEscape(javaChars(t.image)) + ` "`)
	}
	errTok := p.toks[p.cur+1]
	idx := -1
	if errTok.pos >= 0 {
		idx = javaIndex(src, errTok.pos)
		if errTok.kind == tEOF && len(cs) > 0 {
			idx = len(cs) - 1 // the last UTF-16 unit, the low surrogate of a final astral character
		}
	}
	line, col := javaLineCol(cs, idx)
	b.WriteString(`" at line ` + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ".\n")
	if len(p.expected) == 1 {
		b.WriteString("Was expecting:\n    ")
	} else {
		b.WriteString("Was expecting one of:\n    ")
	}
	for _, e := range p.expected {
		for _, k := range e {
			b.WriteString(sqlTokImages[k] + " ")
		}
		if e[len(e)-1] != tEOF {
			b.WriteString("...")
		}
		b.WriteString("\n    ")
	}
	return &SQLSyntaxError{Pos: max(errTok.pos, 0), Msg: b.String()}
}

// replayLookaheads re-runs the look-aheads that read beyond the current token, feeding what
// they scan to addErrorToken (JavaCC's jj_rescan_token).
func (p *sqlParser) replayLookaheads() {
	p.rescan = true
	defer func() { p.rescan = false }()
	for idx := range p.calls {
	records:
		for _, c := range p.calls[idx] {
			if c.gen <= p.gen {
				continue
			}
			p.la = lookLimit(idx)
			p.scanPos, p.lastPos = c.first, c.first
			p.scanDepth = 0
			switch p.lookScan(idx) {
			case scanDone:
				break records // Java's LookaheadSuccess leaves the records of this look-ahead
			case scanAbort:
				return
			}
		}
	}
}

// lookScan runs the recogniser of look-ahead idx.
func (p *sqlParser) lookScan(idx int) scanRes {
	switch idx {
	case lookIsNull:
		return p.scanIsNull()
	case lookNotBetween:
		return p.scanNotBetween()
	case lookNotIn:
		return p.scanNotIn()
	}
	return p.scanPlus()
}

// The look-ahead recognisers: the grammar again, matching tokens only, alternatives tried in
// the generated parser's order with backtracking of the scan position.

// alt tries alternatives in order from the same position.
func (p *sqlParser) alt(fs ...func() scanRes) scanRes {
	at := p.scanPos
	for _, f := range fs {
		p.scanPos = at
		if r := f(); r != scanFail {
			return r
		}
	}
	return scanFail
}

// seq matches pieces one after another.
func seq(fs ...func() scanRes) scanRes {
	for _, f := range fs {
		if r := f(); r != scanOK {
			return r
		}
	}
	return scanOK
}

// star matches f as often as it matches.
func (p *sqlParser) star(f func() scanRes) scanRes {
	for {
		at := p.scanPos
		switch r := f(); r {
		case scanFail:
			p.scanPos = at
			return scanOK
		case scanOK:
		default:
			return r
		}
	}
}

func (p *sqlParser) tk(k sqlTok) func() scanRes { return func() scanRes { return p.scanTok(k) } }

// The four look-aheads the parser runs are spelt out: they run on every operand, IS and NOT.

func (p *sqlParser) scanIsNull() scanRes {
	if r := p.scanTok(tIs); r != scanOK {
		return r
	}
	return p.scanTok(tNull)
}

func (p *sqlParser) scanNotBetween() scanRes {
	if r := p.scanTok(tNot); r != scanOK {
		return r
	}
	if r := p.scanTok(tBetween); r != scanOK {
		return r
	}
	return seq(p.scanUnary, p.tk(tAnd), p.scanUnary)
}

func (p *sqlParser) scanInList() scanRes {
	return seq(p.tk(tLParen), p.tk(tString), func() scanRes {
		return p.star(func() scanRes { return seq(p.tk(tComma), p.tk(tString)) })
	}, p.tk(tRParen))
}

func (p *sqlParser) scanNotIn() scanRes {
	if r := p.scanTok(tNot); r != scanOK {
		return r
	}
	if r := p.scanTok(tIn); r != scanOK {
		return r
	}
	return p.scanInList()
}

func (p *sqlParser) scanPlus() scanRes {
	if r := p.scanTok(tPlus); r != scanOK {
		return r
	}
	return p.scanUnary()
}

func (p *sqlParser) scanUnary() scanRes {
	// Java would overflow its stack somewhere around here as well.
	if p.scanDepth++; p.scanDepth > maxSQLDepth {
		p.err = semErr(p.toks[p.scanPos].pos, javaStackOverflow)
		return scanAbort
	}
	defer func() { p.scanDepth-- }()
	return p.alt(p.scanPlus,
		func() scanRes { return seq(p.tk(tMinus), p.scanUnary) },
		func() scanRes { return seq(p.tk(tNot), p.scanUnary) },
		p.scanPrimary)
}

func (p *sqlParser) scanPrimary() scanRes {
	return p.alt(
		func() scanRes {
			return p.alt(p.tk(tString), p.tk(tDecimal), p.tk(tFloat), p.tk(tTrue), p.tk(tFalse), p.tk(tNull))
		},
		p.tk(tID),
		func() scanRes { return seq(p.tk(tLParen), p.scanOr, p.tk(tRParen)) })
}

func (p *sqlParser) scanOr() scanRes {
	return seq(p.scanAnd, func() scanRes { return p.star(func() scanRes { return seq(p.tk(tOr), p.scanAnd) }) })
}

func (p *sqlParser) scanAnd() scanRes {
	return seq(p.scanEq, func() scanRes { return p.star(func() scanRes { return seq(p.tk(tAnd), p.scanEq) }) })
}

func (p *sqlParser) scanEq() scanRes {
	return seq(p.scanCmp, func() scanRes {
		return p.star(func() scanRes {
			return p.alt(
				func() scanRes { return seq(p.tk(tEq), p.scanCmp) },
				func() scanRes { return seq(p.tk(tNe), p.scanCmp) },
				p.scanIsNull,
				func() scanRes { return seq(p.tk(tIs), p.tk(tNot), p.tk(tNull)) })
		})
	})
}

func (p *sqlParser) scanCmp() scanRes {
	rel := func(k sqlTok) func() scanRes { return func() scanRes { return seq(p.tk(k), p.scanUnary) } }
	return seq(p.scanUnary, func() scanRes {
		return p.star(func() scanRes {
			return p.alt(rel(tGt), rel(tGe), rel(tLt), rel(tLe),
				func() scanRes { return seq(p.tk(tBetween), p.scanUnary, p.tk(tAnd), p.scanUnary) },
				p.scanNotBetween,
				func() scanRes { return seq(p.tk(tIn), p.scanInList) },
				p.scanNotIn)
		})
	})
}

func semErr(pos int, msg string) error { return &SQLSyntaxError{Pos: pos, Msg: msg} }

// runtimeErr is a RuntimeException thrown by one of Java's expression factories.
func runtimeErr(pos int, msg string) error { return semErr(pos, javaRuntimeExc+msg) }

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
	return nil, semErr(pos, javaParseException+"Expression will not result in a boolean value: "+n.javaString())
}

// enter bounds the recursion where Java's would overflow its stack.
func (p *sqlParser) enter() error {
	p.depth++
	if p.depth > maxSQLDepth {
		t, _ := p.tok(p.cur + 1)
		return semErr(t.pos, javaStackOverflow)
	}
	return nil
}

func (p *sqlParser) orExpr() (*sqlNode, error) {
	return p.logic(tOr, opOr, laOrLoop, p.andExpr)
}

func (p *sqlParser) andExpr() (*sqlNode, error) {
	return p.logic(tAnd, opAnd, laAndLoop, p.equality)
}

func (p *sqlParser) logic(kw sqlTok, op sqlOp, la int, sub func() (*sqlNode, error)) (*sqlNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	left, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		k, err := p.ntk()
		if err != nil {
			return nil, err
		}
		if k != kw {
			p.la1[la] = p.gen
			return left, nil
		}
		t, _ := p.consume(kw)
		right, err := sub()
		if err != nil {
			return nil, err
		}
		if left, err = p.asBoolean(left, t.pos); err != nil {
			return nil, err
		}
		if right, err = p.asBoolean(right, t.pos); err != nil {
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
		t, err := p.tok(p.cur + 1)
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tEq, tNe:
			p.consume(t.kind)
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
			p.la1[laEqChoice] = p.gen
			isNull := &sqlNode{op: opEq, l: left, r: sqlNullConst}
			ok, err := p.lookahead(lookIsNull)
			if err != nil {
				return nil, err
			}
			if ok {
				p.consume(tIs)
				p.consume(tNull)
				left = isNull
				continue
			}
			// The look-ahead saw IS, so this is the IS NOT NULL branch.
			p.consume(tIs)
			if _, err := p.consume(tNot); err != nil {
				return nil, err
			}
			if _, err := p.consume(tNull); err != nil {
				return nil, err
			}
			left = &sqlNode{op: opNot, l: isNull}
		default:
			p.la1[laEqLoop] = p.gen
			return left, nil
		}
	}
}

// createEqual applies checkEqualOperand and checkEqualOperandCompatability.
func createEqual(l, r *sqlNode, pos int) (*sqlNode, error) {
	for _, n := range [2]*sqlNode{l, r} {
		if n.op == opConst && n.val.k == sqlNull {
			return nil, runtimeErr(pos, "'NULL' cannot be compared.")
		}
	}
	if l.op == opConst && r.op == opConst && l.boolConst && !r.boolConst {
		return nil, runtimeErr(pos, "'"+l.javaString()+"' cannot be compared with '"+r.javaString()+"'")
	}
	return &sqlNode{op: opEq, l: l, r: r}, nil
}

// checkLessThanOperand: only numbers (or expressions that are not boolean) can be ordered.
func checkLessThanOperand(n *sqlNode, pos int) error {
	if n.op == opConst && n.val.isNumber() {
		return nil
	}
	if n.op == opConst || n.isBoolean() {
		return runtimeErr(pos, "Value '"+n.javaString()+"' cannot be compared.")
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
		t, err := p.tok(p.cur + 1)
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tGt, tGe, tLt, tLe:
			p.consume(t.kind)
			right, err := p.unary()
			if err != nil {
				return nil, err
			}
			if left, err = relational(relOps[t.kind], left, right, t.pos); err != nil {
				return nil, err
			}
		case tBetween:
			p.consume(tBetween)
			if left, err = p.between(left, false, t.pos); err != nil {
				return nil, err
			}
		case tNot, tIn:
			p.la1[laCmpChoice] = p.gen
			ok, err := p.lookahead(lookNotBetween)
			if err != nil {
				return nil, err
			}
			if ok {
				p.consume(tNot)
				p.consume(tBetween)
				if left, err = p.between(left, true, t.pos); err != nil {
					return nil, err
				}
				continue
			}
			if t.kind == tIn {
				p.consume(tIn)
				if left, err = p.in(left, false, t.pos); err != nil {
					return nil, err
				}
				continue
			}
			p.la1[laIn] = p.gen
			if ok, err = p.lookahead(lookNotIn); err != nil {
				return nil, err
			}
			if !ok {
				return nil, p.fail()
			}
			p.consume(tNot)
			p.consume(tIn)
			if left, err = p.in(left, true, t.pos); err != nil {
				return nil, err
			}
		default:
			p.la1[laCmpLoop] = p.gen
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
	if _, err := p.consume(tAnd); err != nil {
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
			return nil, runtimeErr(pos, "Illegal values of between, values can not be null!")
		}
		c, err := javaCompare(high.val, low.val)
		if err != nil {
			return nil, semErr(pos, betweenCompareError(high.val, low.val))
		}
		if c < 0 {
			return nil, runtimeErr(pos, "Illegal values of between, left value("+low.val.javaString()+
				") must less than or equal to right value("+high.val.javaString()+")")
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

// betweenCompareError is what Java's __compare(high, low) throws when it cannot compare two
// BETWEEN bounds: the cast of a Boolean high bound to String, or the NumberFormatException of
// converting the string bound to the other bound's number type, wrapped in a RuntimeException.
func betweenCompareError(high, low sqlValue) string {
	if high.k == sqlBool {
		return "java.lang.ClassCastException: class java.lang.Boolean cannot be cast to class java.lang.String " +
			"(java.lang.Boolean and java.lang.String are in module java.base of loader 'bootstrap')"
	}
	str, num := high, low
	if low.k == sqlString {
		str, num = low, high
	}
	msg := `For input string: "` + str.s + `"`
	if num.k == sqlDouble { // Double.valueOf trims first and words an empty string differently
		t := strings.TrimFunc(str.s, func(r rune) bool { return r <= ' ' })
		msg = `For input string: "` + t + `"`
		if t == "" {
			msg = "empty String"
		}
	}
	return javaRuntimeExc + "java.lang.NumberFormatException: " + msg
}

// in parses "( 'a', 'b' ... )" after [NOT] IN; the left side must be a property.
func (p *sqlParser) in(value *sqlNode, not bool, pos int) (*sqlNode, error) {
	if _, err := p.consume(tLParen); err != nil {
		return nil, err
	}
	var list []string
	for {
		t, err := p.consume(tString)
		if err != nil {
			return nil, err
		}
		list = append(list, decodeSQLString(t.image))
		k, err := p.ntk()
		if err != nil {
			return nil, err
		}
		if k != tComma {
			p.la1[laInList] = p.gen
			break
		}
		p.consume(tComma)
	}
	if _, err := p.consume(tRParen); err != nil {
		return nil, err
	}
	if value.op != opProp {
		return nil, runtimeErr(pos, "Expected a property for In expression, got: "+value.javaString())
	}
	return &sqlNode{op: opIn, l: value, list: list, not: not}, nil
}

func (p *sqlParser) unary() (*sqlNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	plus, err := p.lookahead(lookPlus)
	if err != nil {
		return nil, err
	}
	if plus {
		p.consume(tPlus)
		return p.unary()
	}
	t, err := p.tok(p.cur + 1)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tMinus:
		p.consume(tMinus)
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &sqlNode{op: opNeg, l: n}, nil
	case tNot:
		p.consume(tNot)
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		if n, err = p.asBoolean(n, t.pos); err != nil {
			return nil, err
		}
		return &sqlNode{op: opNot, l: n}, nil
	}
	if sqlPrimaryFirst&(1<<t.kind) == 0 {
		p.la1[laUnary] = p.gen
		return nil, p.fail()
	}
	return p.primary()
}

// primary is primaryExpr and literal; unary has already checked the first token, so their
// default branches are never reached.
func (p *sqlParser) primary() (*sqlNode, error) {
	t, err := p.tok(p.cur + 1)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case tString:
		p.consume(tString)
		return &sqlNode{op: opConst, val: sqlValue{k: sqlString, s: decodeSQLString(t.image)}}, nil
	case tDecimal:
		p.consume(tDecimal)
		return decimalLiteral(t)
	case tFloat:
		p.consume(tFloat)
		return floatLiteral(t)
	case tTrue, tFalse:
		p.consume(t.kind)
		return &sqlNode{op: opConst, boolConst: true, val: sqlBoolOf(t.kind == tTrue)}, nil
	case tNull:
		p.consume(tNull)
		return sqlNullConst, nil
	case tID:
		p.consume(tID)
		return &sqlNode{op: opProp, name: t.image}, nil
	case tLParen:
		p.consume(tLParen)
		n, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.consume(tRParen); err != nil {
			return nil, err
		}
		return n, nil
	}
	p.la1[laPrimary] = p.gen
	return nil, p.fail()
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
// it fits; values beyond a long are refused by new Long(text).
func decimalLiteral(t sqlToken) (*sqlNode, error) {
	txt := strings.TrimRight(t.image, "lL")
	n, err := strconv.ParseInt(txt, 10, 64)
	if err != nil {
		return nil, semErr(t.pos, `java.lang.NumberFormatException: For input string: "`+txt+`"`)
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
		return nil, semErr(t.pos, "java.lang.NumberFormatException: "+t.image)
	}
	if math.IsInf(f, 0) {
		return nil, runtimeErr(t.pos, t.image+" is greater than 1.7976931348623157E308")
	}
	if f < math.SmallestNonzeroFloat64 {
		return nil, runtimeErr(t.pos, t.image+" is less than 4.9E-324")
	}
	return &sqlNode{op: opConst, val: sqlValue{k: sqlDouble, f: f}}, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// javaString is the node's Java toString, as Java's factory exceptions print it.
func (n *sqlNode) javaString() string {
	switch n.op {
	case opConst:
		switch n.val.k {
		case sqlNull:
			return "NULL"
		case sqlBool:
			if n.val.b {
				return "TRUE"
			}
			return "FALSE"
		case sqlString:
			return "'" + strings.ReplaceAll(n.val.s, "'", "''") + "'"
		}
		return n.val.javaString()
	case opProp:
		return n.name
	case opBoolCast:
		return n.l.javaString()
	case opNeg:
		return "(- " + n.l.javaString() + ")"
	case opNot:
		return "(NOT " + n.l.javaString() + ")"
	case opIn:
		sym := " IN ( "
		if n.not {
			sym = " NOT IN ( "
		}
		list := n.list
		if len(list) >= 5 { // Java keeps five or more values in a HashSet
			list = javaHashSetOrder(list)
		}
		return n.l.javaString() + sym + strings.Join(list, ", ") + " )"
	}
	sym := map[sqlOp]string{opEq: "==", opGt: ">", opGe: ">=", opLt: "<", opLe: "<=", opAnd: "&&", opOr: "||"}[n.op]
	return "(" + n.l.javaString() + " " + sym + " " + n.r.javaString() + ")"
}

// javaHashSetOrder is the iteration order of new HashSet<String>(list): duplicates dropped,
// values by bucket (String.hashCode spread by HashMap.hash over a table sized for the list),
// each bucket in insertion order.
func javaHashSetOrder(list []string) []string {
	want := max(int(float32(len(list))/0.75)+1, 16)
	size := 1
	for size < want {
		size <<= 1
	}
	buckets := make([][]string, size)
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		if seen[s] {
			continue
		}
		seen[s] = true
		h := uint32(message.JavaHash(s))
		h ^= h >> 16
		buckets[h&uint32(size-1)] = append(buckets[h&uint32(size-1)], s)
	}
	out := make([]string, 0, len(seen))
	for _, b := range buckets {
		out = append(out, b...)
	}
	return out
}

// javaString is String.valueOf of the value's Java object.
func (v sqlValue) javaString() string {
	switch v.k {
	case sqlNull:
		return "null"
	case sqlBool:
		return strconv.FormatBool(v.b)
	case sqlString:
		return v.s
	case sqlInt, sqlLong:
		return strconv.FormatInt(v.i, 10)
	case sqlDouble:
		return conf.JavaDouble(v.f, 64)
	}
	return ""
}
