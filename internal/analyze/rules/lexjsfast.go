package rules

import (
	"bytes"
	"strings"
	"unicode"
)

// lexJSSpans returns the spans lexJS finds in data, from lexJSFast if it
// can tell them.
func lexJSSpans(data []byte) []lexSpan {
	if spans, ok := lexJSFast(data); ok {
		return spans
	}
	return lexJS(data)
}

// lexJSFast is a hand-written scanner that finds the same spans as lexJS,
// several times faster: one pass over the bytes, no tokens, no restarts,
// and keywords looked up only where a "/", "(" or "{" asks about them.
// It mirrors, byte for byte, what the tdewolff lexer does (its tokens,
// its errors, its lax decoding of UTF-8, its prevLineTerminator and
// prevNumericLiteral state, the nesting level by which it matches the "}"
// of a template substitution) and what lexJS decides from them (regular
// expression or division, restarts after errors, HTML-like comments).
//
// Where it could not be sure to find the same, it would return ok ==
// false for the caller to run lexJS, which stays the reference. It has
// no such case now: FuzzLexJSFast and the comparisons over real code in
// lexjsfast_test.go find no input where the two differ.
func lexJSFast(data []byte) (spans []lexSpan, ok bool) {
	n := len(data)
	var x jsFast
	x.parens, x.braces, x.tmpl = x.parensBuf[:0], x.bracesBuf[:0], x.tmplBuf[:0]
	i := 0
	if n >= 2 && data[0] == '#' && data[1] == '!' {
		i = lineEnd(data, 0)
		x.spans.add(0, i, inComment)
	}
	// st holds the state of lexJS and of the tdewolff lexer that changes
	// with every token, as jf flags: most tokens set it whole.
	st := jfRegex | jfPrevBlock | jfPLT

	// at reads a byte as the tdewolff lexer does: NUL past the end.
	at := func(j int) byte {
		if j < n {
			return data[j]
		}
		return 0
	}

	for i < n {
		c := data[i]
		if c == ' ' {
			// White space, the most common token, taken before the
			// switch: it keeps plt.
			for i++; i < n && data[i] == ' '; i++ {
			}
			st &^= jfPNL
			if i == n {
				break
			}
			c = data[i]
		}
		start := i
		switch jsClass[c] {
		case jcSpace:
			i++
			for i < n && jsClass[data[i]] == jcSpace {
				i++
			}
			st &^= jfPNL
			continue

		case jcNewline:
			// Line breaks, and the white space that indents the next
			// line: plt stays set.
			i++
			for i < n && jsBlank[data[i]] {
				i++
			}
			st = st&^jfPNL | jfPLT
			continue

		case jcQuote:
			j := i + 1
			closed := false
			for j < n {
				for j < n && !jsStringStop[data[j]] {
					j++
				}
				if j == n {
					break
				}
				d := data[j]
				if d == c {
					j++
					closed = true
					break
				}
				if d == '\\' {
					j++
					if j < n {
						switch e := data[j]; {
						case e == '\n':
							j++
						case e == '\r':
							j++
							if j < n && data[j] == '\n' {
								j++
							}
						case e == 0xE2 && j+2 < n && data[j+1] == 0x80 && (data[j+2] == 0xA8 || data[j+2] == 0xA9):
							j += 3
						case e == c || e == '\\':
							j++
						}
					}
					continue
				}
				if d == '\n' || d == '\r' {
					break
				}
				j++
			}
			i = j
			if closed {
				x.spans.add(start, j, inString)
				st = 0
			} else { // an error token: the string is code
				st = jfPrevBlock
			}
			continue

		case jcTemplate:
			cont := c == '}'
			if cont {
				x.level--
				if len(x.tmpl) == 0 || x.level != x.tmpl[len(x.tmpl)-1] {
					st = jfPrevBlock
					if pop(&x.braces, true) {
						st |= jfRegex
					}
					i++
					continue
				}
			} else {
				x.tmpl = append(x.tmpl, x.level)
			}
			end, kind := jsTemplateEnd(data, i+1)
			lo := start
			if cont {
				lo++
			}
			switch kind {
			case '`':
				x.tmpl = x.tmpl[:len(x.tmpl)-1]
				x.spans.add(lo, end, inString)
				st = 0
			case '$':
				x.level++
				x.spans.add(lo, end-2, inString)
				st = jfRegex
			default: // unterminated: an error token up to the end
				st = jfPrevBlock
			}
			i = end
			continue

		case jcOpenBrace:
			x.level++
			if len(x.braces) < maxJSNesting {
				block := st&jfPrevBlock != 0
				if st&jfPrevWord != 0 {
					_, pv := jsWordClass(data[x.wordLo:x.wordHi])
					block = pv == jsPrevBlock
				}
				x.braces = append(x.braces, block)
			}
			st = jfRegex | jfPrevBlock
			i++
			continue

		case jcOpenParen:
			x.level++
			if len(x.parens) < maxJSNesting {
				ctl := false
				if st&(jfPrevWord|jfAfterDot) == jfPrevWord {
					_, pv := jsWordClass(data[x.wordLo:x.wordHi])
					ctl = pv == jsPrevCtl
				}
				x.parens = append(x.parens, ctl)
			}
			st = jfRegex
			i++
			continue

		case jcCloseParen:
			x.level--
			st = jfPrevBlock
			if pop(&x.parens, false) {
				st |= jfRegex
			}
			i++
			continue

		case jcPunct:
			st = jfRegex
			i++
			continue

		case jcSemicolon:
			st = jfRegex | jfPrevBlock
			i++
			continue

		case jcCloseBracket:
			st = 0
			i++
			continue

		case jcDot:
			if d := at(i + 1); d < '0' || d > '9' {
				if d == '.' && at(i+2) == '.' {
					st = jfRegex
					i += 3
				} else {
					st = jfAfterDot
					i++
				}
				continue
			}
			fallthrough
		case jcDigit:
			end, bad := jsNumberEnd(data, i)
			st = jfPNL
			if bad {
				st |= jfPrevBlock
			}
			i = end
			continue

		case jcSlash:
			switch d := at(i + 1); d {
			case '/':
				i = jsLineCommentEnd(data, i+2)
				x.spans.add(start, i, inComment)
				st &^= jfPLT | jfPNL
				continue
			case '*':
				k := bytes.Index(data[i+2:], []byte("*/"))
				if k < 0 { // unterminated: lexJS stops here
					return x.spans.result(), true
				}
				end := i + 2 + k + 2
				st &^= jfPLT | jfPNL
				if jsHasLineSep(data[i+2 : end-2]) {
					st |= jfPLT
				}
				x.spans.add(start, end, inComment)
				i = end
				continue
			}
			regex := st&jfRegex != 0
			if st&jfIfWord != 0 {
				regex, _ = jsWordClass(data[x.wordLo:x.wordHi])
			}
			if regex && start >= x.noRegexUntil {
				if end, ok := jsRegexEnd(data, i); ok {
					x.spans.add(start, end, inString)
					st = 0
					i = end
					continue
				}
				// Unterminated: a division after all, and lexing
				// starts over after it.
				x.noRegexUntil = lineEnd(data, start)
				if len(x.tmpl) > 0 {
					return x.spans.result(), true
				}
				st = jfRegex | jfPLT
				i = start + 1
				x.level = 0
				continue
			}
			i++
			if at(i) == '=' {
				i++
			}
			st = jfRegex
			continue

		case jcLtMinus:
			html := 0
			if c == '<' && at(i+1) == '!' && at(i+2) == '-' && at(i+3) == '-' {
				html = 4
			} else if c == '-' && st&jfPLT != 0 && at(i+1) == '-' && at(i+2) == '>' {
				html = 3
			}
			if html > 0 {
				if len(x.tmpl) == 0 {
					// lexJS reads it as code: it starts over after
					// its first byte, with prev as it was.
					st = st&(jfPrevBlock|jfPrevWord) | jfRegex | jfPLT
					i = start + 1
					x.level = 0
					continue
				}
				i = jsLineCommentEnd(data, i+html)
				st &^= jfPLT | jfPNL
				continue
			}
			st = jfRegex
			i++
			switch d := at(i); {
			case d == '=':
				i++
			case d == c && c == '<':
				i++
				if at(i) == '=' {
					i++
				}
			case d == c: // --
				i++
				st = 0
			}
			continue

		case jcOperator:
			st = jfRegex
			i++
			d := at(i)
			switch {
			case d == '=':
				i++
				if at(i) == '=' && (c == '!' || c == '=') {
					i++
				} else if c == '~' || c == '?' {
					// The lexer has no "~=" or "?=" token: an error
					// that takes the next character along.
					i = min(i+jsRuneLen(data, i), n)
					st = jfPrevBlock
				}
			case d == c && (c == '+' || c == '*' || c == '&' || c == '|' || c == '?'):
				i++
				if c == '+' {
					st = 0
				} else if at(i) == '=' {
					i++
				}
			case c == '?' && d == '.' && (at(i+1) < '0' || at(i+1) > '9'):
				i++
				st = jfAfterDot
			case c == '=' && d == '>':
				i++
				st = jfRegex | jfPrevBlock
			case c == '>' && d == '>':
				i++
				if at(i) == '>' {
					i++
				}
				if at(i) == '=' {
					i++
				}
			}
			continue

		case jcHash:
			j := i + 1
			if k := jsIdentStart(data, j); k > 0 {
				i = jsIdentEnd(data, j+k)
				st = 0
				continue
			}
			// An error that takes the next character along.
			i = min(j+jsRuneLen(data, j), n)
			st = jfPrevBlock
			continue
		}

		// An identifier, a keyword, or an unexpected character.
		k := 1
		if !jsIdentStartTable[c] {
			k = jsIdentStart(data, i)
		}
		if k == 0 {
			if c >= 0xC0 {
				// Unicode white space, a line separator, or an
				// unexpected character.
				r := jsPeekRune(data, i)
				if r == '\u00a0' || r == '\ufeff' || unicode.Is(unicode.Zs, r) {
					i += jsRuneLen(data, i)
					st &^= jfPNL
					continue
				}
				if c == 0xE2 && i+2 < n && data[i+1] == 0x80 && (data[i+2] == 0xA8 || data[i+2] == 0xA9) {
					i += 3
					st = st&^jfPNL | jfPLT
					continue
				}
				i = min(i+jsRuneLen(data, i), n)
			} else {
				i++
			}
			// An unexpected character: an error token.
			st = jfPrevBlock
			continue
		}
		end := i + k
		for end < n && jsIdentTable[data[end]] {
			end++
		}
		if end < n && (data[end] == '\\' || data[end] >= 0xC0) {
			end = jsIdentEnd(data, end)
		}
		if st&jfPNL != 0 {
			// A word glued to a number: lexJS skips the word and starts
			// over after it, or stops.
			if len(x.tmpl) > 0 || !isWordByte(c) {
				return x.spans.result(), true
			}
			st = jfPrevBlock | jfPLT
			i++
			for i < n && (isWordByte(data[i]) || data[i] == '.') {
				i++
			}
			x.level = 0
			continue
		}
		if st&jfAfterDot != 0 {
			st = jfPrevWord
		} else {
			st = jfPrevWord | jfIfWord
		}
		x.wordLo, x.wordHi = i, end
		i = end
	}
	return x.spans.result(), true
}

// jsFast is the state of lexJSFast that changes less often than its
// flags: what lexJS keeps (the paren and brace stacks, noRegexUntil) and
// what the tdewolff lexer keeps (the nesting level of parens and braces,
// and the levels at which the open template literals started, whose
// count is lexJS's templates).
type jsFast struct {
	spans          spanList
	level          int
	noRegexUntil   int
	wordLo, wordHi int // the last word, while jfPrevWord is set
	parens, braces []bool
	tmpl           []int

	parensBuf, bracesBuf [64]bool
	tmplBuf              [16]int
}

// The flags of lexJSFast's state word, for the state of lexJS and the
// tdewolff lexer that changes with every token.
const (
	// jfRegex: a "/" now starts a regular expression (lexJS's regexOK).
	jfRegex = 1 << iota
	// jfIfWord: it does if the last word (at wordLo:wordHi) is one
	// after which it does (regexAfterWord).
	jfIfWord
	// jfAfterDot: the last token was "." or "?." (lexJS's afterDot).
	jfAfterDot
	// jfPrevBlock: a "{" now opens a block (opensBlock): after the
	// start, an error, ";", "}", ")", "=>".
	jfPrevBlock
	// jfPrevWord: the last token was a word, which jsWordClass tells
	// apart for opensBlock and for "(" after if, while, for or with.
	jfPrevWord
	// jfPLT: the tdewolff lexer's prevLineTerminator.
	jfPLT
	// jfPNL: the tdewolff lexer's prevNumericLiteral.
	jfPNL
)

// result returns the spans, nil if there are none.
func (l *spanList) result() []lexSpan {
	if len(l.s) == 0 {
		return nil
	}
	return l.s
}

// jsClass sorts the bytes that start a token for lexJSFast's switch,
// which compiles to a jump table; jcWord is the rest: identifiers,
// Unicode white space and unexpected bytes.
var jsClass = func() (t [256]uint8) {
	for _, c := range []struct {
		bytes string
		class uint8
	}{
		{" \t\v\f", jcSpace}, {"\n\r", jcNewline}, {"'\"", jcQuote}, {"`}", jcTemplate},
		{"{", jcOpenBrace}, {"(", jcOpenParen}, {")", jcCloseParen}, {"[,:", jcPunct},
		{";", jcSemicolon}, {"]", jcCloseBracket}, {".", jcDot}, {"0123456789", jcDigit},
		{"/", jcSlash}, {"<-", jcLtMinus}, {">=!+*%&|^~?", jcOperator}, {"#", jcHash},
	} {
		for i := 0; i < len(c.bytes); i++ {
			t[c.bytes[i]] = c.class
		}
	}
	return
}()

const (
	jcWord uint8 = iota
	jcSpace
	jcNewline
	jcQuote
	jcTemplate
	jcOpenBrace
	jcOpenParen
	jcCloseParen
	jcPunct
	jcSemicolon
	jcCloseBracket
	jcDot
	jcDigit
	jcSlash
	jcLtMinus
	jcOperator
	jcHash
)

// What lexJSFast keeps of the previous significant token.
const (
	jsPrevOther uint8 = iota
	// jsPrevBlock: a "{" next opens a block (opensBlock): the start, an
	// error, ";", "{", "}", ")", "=>", else, do, try, finally or a name.
	jsPrevBlock
	// jsPrevCtl: a "(" next follows if, while, for or with.
	jsPrevCtl
)

// jsWordClass says whether "/" after the word w (not after a dot) starts
// a regular expression (regexAfterWord), and what it is as a previous
// token.
func jsWordClass(w []byte) (regex bool, prev uint8) {
	if len(w) < 2 || len(w) > 10 || w[0] < 'a' || w[0] > 'y' {
		return false, jsPrevBlock
	}
	k := &jsKeywords[jsKeywordHash(w)]
	if k.word == string(w) {
		return k.regex, k.prev
	}
	return false, jsPrevBlock
}

func jsKeywordHash(w []byte) int {
	return (int(w[0]) + 23*int(w[1]) + len(w)) & 127
}

// jsKeywords holds the reserved words, and "of", by jsKeywordHash.
var jsKeywords = func() (t [128]struct {
	word  string
	regex bool
	prev  uint8
}) {
	for _, k := range []struct {
		words string
		regex bool
		prev  uint8
	}{
		{"if while for with", false, jsPrevCtl},
		{"else do of", true, jsPrevBlock},
		{"try finally", false, jsPrevBlock},
		{"await case delete extends in instanceof new return throw typeof void yield", true, jsPrevOther},
		{"break catch class const continue debugger default enum export false function import null super switch this true var", false, jsPrevOther},
	} {
		for _, w := range strings.Fields(k.words) {
			e := &t[jsKeywordHash([]byte(w))]
			if e.word != "" {
				panic("jsKeywords: " + w + " and " + e.word + " collide")
			}
			e.word, e.regex, e.prev = w, k.regex, k.prev
		}
	}
	return
}()

// jsBlank holds the ASCII white space and line break bytes.
var jsBlank = [256]bool{' ': true, '\t': true, '\v': true, '\f': true, '\n': true, '\r': true}

// jsStringStop holds the bytes that may end the text of a string
// literal: either quote, '\\', '\n' and '\r'.
var jsStringStop = [256]bool{'\'': true, '"': true, '\\': true, '\n': true, '\r': true}

// jsIdentStartTable and jsIdentTable are the ASCII bytes that start and
// continue an identifier.
var jsIdentStartTable, jsIdentTable = func() (s, t [256]bool) {
	for c := 0; c < 128; c++ {
		s[c] = c == '$' || c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		t[c] = s[c] || ('0' <= c && c <= '9')
	}
	return
}()

// The Unicode classes of the characters that start and continue an
// identifier, as the tdewolff lexer has them.
var (
	jsIDStart    = []*unicode.RangeTable{unicode.Lu, unicode.Ll, unicode.Lt, unicode.Lm, unicode.Lo, unicode.Nl, unicode.Other_ID_Start}
	jsIDContinue = []*unicode.RangeTable{unicode.Lu, unicode.Ll, unicode.Lt, unicode.Lm, unicode.Lo, unicode.Nl, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc, unicode.Other_ID_Continue}
)

// jsIdentStart returns the length of the character or \u escape that
// starts an identifier at data[i], or 0.
func jsIdentStart(data []byte, i int) int {
	if i >= len(data) {
		return 0
	}
	c := data[i]
	if jsIdentStartTable[c] {
		return 1
	}
	if c >= 0xC0 {
		if unicode.IsOneOf(jsIDStart, jsPeekRune(data, i)) {
			return jsRuneLen(data, i)
		}
		return 0
	}
	return jsUnicodeEscape(data, i)
}

// jsIdentEnd returns the end of the identifier whose rest starts at i.
func jsIdentEnd(data []byte, i int) int {
	for i < len(data) {
		c := data[i]
		switch {
		case jsIdentTable[c]:
			i++
			continue
		case c >= 0xC0:
			if r := jsPeekRune(data, i); r == '\u200c' || r == '\u200d' || unicode.IsOneOf(jsIDContinue, r) {
				i += jsRuneLen(data, i)
				continue
			}
		case c == '\\':
			if k := jsUnicodeEscape(data, i); k > 0 {
				i += k
				continue
			}
		}
		break
	}
	return i
}

// jsUnicodeEscape returns the length of the \uXXXX or \u{X...} escape at
// data[i], or 0.
func jsUnicodeEscape(data []byte, i int) int {
	n := len(data)
	if i+1 >= n || data[i] != '\\' || data[i+1] != 'u' {
		return 0
	}
	k := i + 2
	if k < n && data[k] == '{' {
		k++
		h := k
		for k < n && isHexByte(data[k]) {
			k++
		}
		if k > h && k < n && data[k] == '}' {
			return k + 1 - i
		}
		return 0
	}
	for range 4 {
		if k >= n || !isHexByte(data[k]) {
			return 0
		}
		k++
	}
	return k - i
}

// jsNumberEnd returns the end of the numeric token at data[i] (a digit,
// or "." before a digit) as the tdewolff lexer reads it, and whether the
// lexer calls it an error (a legacy octal "0" before a digit, an
// exponent without digits).
func jsNumberEnd(data []byte, i int) (end int, bad bool) {
	n := len(data)
	at := func(j int) byte {
		if j < n {
			return data[j]
		}
		return 0
	}
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	// digits consumes digits and "_" between digits that pass ok.
	digits := func(j int, ok func(byte) bool) int {
		for {
			if ok(at(j)) {
				j++
			} else if at(j) == '_' && ok(at(j+1)) {
				j += 2
			} else {
				return j
			}
		}
	}
	first := data[i]
	j := i
	if first == '0' {
		j++
		var ok func(byte) bool
		switch at(j) {
		case 'x', 'X':
			ok = isHexByte
		case 'b', 'B':
			ok = func(c byte) bool { return c == '0' || c == '1' }
		case 'o', 'O':
			ok = func(c byte) bool { return '0' <= c && c <= '7' }
		case 'n':
			return j + 1, false
		default:
			if isDigit(at(j)) {
				return j, true
			}
		}
		if ok != nil {
			if !ok(at(j + 1)) {
				return j, false // "0", then a word
			}
			j = digits(j+2, ok)
			if at(j) == 'n' {
				j++
			}
			return j, false
		}
	} else if first != '.' {
		j = digits(j, isDigit)
	}
	c := at(j)
	if c == '.' {
		j++
		// The caller has seen a digit after a leading ".".
		if isDigit(at(j)) {
			j = digits(j, isDigit)
		}
		c = at(j)
	} else if c == 'n' {
		return j + 1, false
	} else if c != 'e' && c != 'E' {
		return j, false
	}
	if c == 'e' || c == 'E' {
		j++
		if c := at(j); c == '+' || c == '-' {
			j++
		}
		if !isDigit(at(j)) {
			return j, true
		}
		j = digits(j, isDigit)
	}
	return j, false
}

// jsLineCommentEnd returns the end of a line comment whose text starts
// at i: the next '\n', '\r', U+2028 or U+2029 as the lexer decodes runes,
// or the end.
func jsLineCommentEnd(data []byte, i int) int {
	for ; i < len(data); i++ {
		c := data[i]
		if c == '\n' || c == '\r' {
			return i
		}
		if c >= 0xC0 {
			if r := jsPeekRune(data, i); r == '\u2028' || r == '\u2029' {
				return i
			}
		}
	}
	return len(data)
}

// jsPeekRune decodes the rune at data[i] as parse.Input.PeekRune does:
// by its first byte only, with no check of the bytes that follow.
func jsPeekRune(data []byte, i int) rune {
	c, rem := data[i], len(data)-i
	switch {
	case c < 0xC0 || rem < 2:
		return rune(c)
	case c < 0xE0 || rem < 3:
		return rune(c&0x1F)<<6 | rune(data[i+1]&0x3F)
	case c < 0xF0 || rem < 4:
		return rune(c&0x0F)<<12 | rune(data[i+1]&0x3F)<<6 | rune(data[i+2]&0x3F)
	}
	return rune(c&0x07)<<18 | rune(data[i+1]&0x3F)<<12 | rune(data[i+2]&0x3F)<<6 | rune(data[i+3]&0x3F)
}

// jsRuneLen is the number of bytes parse.Input.MoveRune moves at data[i]
// (1 past the end).
func jsRuneLen(data []byte, i int) int {
	if i >= len(data) {
		return 1
	}
	c, rem := data[i], len(data)-i
	switch {
	case c < 0xC0 || rem < 2:
		return 1
	case c < 0xE0 || rem < 3:
		return 2
	case c < 0xF0 || rem < 4:
		return 3
	}
	return 4
}

// jsTemplateEnd scans template literal text from i to its closing "`"
// (kind '`') or its next "${" (kind '$'), and returns the end of both;
// kind 0 and the end of the data if the literal does not end.
func jsTemplateEnd(data []byte, i int) (end int, kind byte) {
	n := len(data)
	for i < n {
		switch data[i] {
		case '`':
			return i + 1, '`'
		case '$':
			if i+1 < n && data[i+1] == '{' {
				return i + 2, '$'
			}
		case '\\':
			i++
		}
		i++
	}
	return n, 0
}

// jsRegexEnd scans the regular expression literal at data[i] ("/") and
// its flags as the lexer does, and returns its end, and whether it ends
// on its line.
func jsRegexEnd(data []byte, i int) (end int, ok bool) {
	n := len(data)
	lineSep := func(j int) bool {
		c := data[j]
		return c == '\n' || c == '\r' || c == 0xE2 && j+2 < n && data[j+1] == 0x80 && (data[j+2] == 0xA8 || data[j+2] == 0xA9)
	}
	j := i + 1
	inClass := false
	for {
		if j >= n {
			return 0, false
		}
		c := data[j]
		if c == '/' && !inClass {
			j++
			break
		}
		switch c {
		case '[':
			inClass = true
		case ']':
			inClass = false
		case '\\':
			j++
			if j >= n {
				return 0, false
			}
			if lineSep(j) {
				return 0, false
			}
		case '\n', '\r', 0xE2:
			if lineSep(j) {
				return 0, false
			}
		}
		j++
	}
	for j < n {
		c := data[j]
		if jsIdentTable[c] {
			j++
			continue
		}
		if c >= 0xC0 {
			if r := jsPeekRune(data, j); r == '\u200c' || r == '\u200d' || unicode.IsOneOf(jsIDContinue, r) {
				j += jsRuneLen(data, j)
				continue
			}
		}
		break
	}
	return j, true
}

// jsHasLineSep reports whether b holds a '\n', '\r', U+2028 or U+2029.
func jsHasLineSep(b []byte) bool {
	for j, c := range b {
		if c == '\n' || c == '\r' || c == 0xE2 && j+2 < len(b) && b[j+1] == 0x80 && (b[j+2] == 0xA8 || b[j+2] == 0xA9) {
			return true
		}
	}
	return false
}
