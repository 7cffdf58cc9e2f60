package rules

import "bytes"

// lexPowerShell finds the comments, strings and here-strings of a
// PowerShell script:
//
//   - "#" starts a line comment at the start of a token: at the start of
//     the file or after a blank or one of ; | & ( ) { } , =, so not in
//     "a#b"; "<#" starts a block comment that "#>" ends;
//   - '...' is a string in which ” is a quote; "..." one in which a
//     backtick escapes and "" is a quote, and whose $(...) is code; both
//     may span lines, and the typographic quotes PowerShell accepts
//     (U+2018-U+201E) quote too;
//   - @'...'@ and @"..."@ here-strings are strings, up to a line that
//     starts with '@ or "@;
//   - a backtick outside strings escapes the next character.
//
// Not handled: $(...) inside here-strings, which stays string.
func lexPowerShell(data []byte) []lexSpan {
	x := psLexer{data: data}
	x.lex()
	return x.spans.s
}

type psLexer struct {
	data  []byte
	spans spanList
	// frames are the double-quoted strings (depth < 0) and $(...)
	// subexpressions in them (depth >= 0: parentheses open) around the
	// current position.
	frames []psFrame
}

type psFrame struct {
	str   bool // a double-quoted string rather than a subexpression
	depth int  // subexpression: open parentheses
	seg   int  // string: start of the text now being read
}

const maxPSNesting = 256

func (x *psLexer) lex() {
	data := x.data
	n := len(data)
	for i := 0; i < n; {
		if len(x.frames) > maxPSNesting {
			return
		}
		if k := len(x.frames); k > 0 && x.frames[k-1].str {
			i = x.dquote(i)
			continue
		}
		c := data[i]
		if q, w := psQuote(data, i); w > 0 {
			if q == '\'' {
				i = x.single(i, i+w)
			} else {
				x.frames = append(x.frames, psFrame{str: true, seg: i})
				i += w
			}
			continue
		}
		switch {
		case c == '`':
			i = min(i+2, n)
		case c == '<' && i+1 < n && data[i+1] == '#':
			end := n
			if j := bytes.Index(data[i+2:], []byte("#>")); j >= 0 {
				end = i + 2 + j + 2
			}
			x.spans.add(i, end, inComment)
			i = end
		case c == '#' && x.tokenStart(i):
			j := lineEnd(data, i)
			x.spans.add(i, j, inComment)
			i = j
		case c == '@' && i+1 < n && (data[i+1] == '\'' || data[i+1] == '"') && hereStart(data, i+2):
			i = x.hereString(i, data[i+1])
		case c == '(':
			if k := len(x.frames); k > 0 {
				x.frames[k-1].depth++
			}
			i++
		case c == ')':
			if k := len(x.frames); k > 0 {
				if f := &x.frames[k-1]; f.depth > 0 {
					f.depth--
				} else if x.frames = x.frames[:k-1]; k >= 2 {
					x.frames[k-2].seg = i + 1 // back in the string
				}
			}
			i++
		default:
			i++
		}
	}
}

// psQuote returns the kind (' or ") and width of the quote at i, if one is
// there: ASCII quotes or the typographic ones PowerShell takes for them.
func psQuote(data []byte, i int) (byte, int) {
	switch c := data[i]; {
	case c == '\'' || c == '"':
		return c, 1
	case c == 0xe2 && i+2 < len(data) && data[i+1] == 0x80:
		switch data[i+2] {
		case 0x98, 0x99, 0x9a, 0x9b: // ‘ ’ ‚ ‛
			return '\'', 3
		case 0x9c, 0x9d, 0x9e: // “ ” „
			return '"', 3
		}
	}
	return 0, 0
}

// tokenStart reports whether a token can start at i.
func (x *psLexer) tokenStart(i int) bool {
	if i == 0 {
		return true
	}
	switch x.data[i-1] {
	case ' ', '\t', '\n', '\r', '\f', ';', '|', '&', '(', ')', '{', '}', ',', '=':
		return true
	}
	return false
}

// single reads a single-quoted string that starts at start, from i after
// its quote.
func (x *psLexer) single(start, i int) int {
	data := x.data
	for i < len(data) {
		q, w := psQuote(data, i)
		if q != '\'' {
			i++
			continue
		}
		if i+w < len(data) {
			if q2, w2 := psQuote(data, i+w); q2 == '\'' {
				i += w + w2 // a doubled quote is a quote
				continue
			}
		}
		x.spans.add(start, i+w, inString)
		return i + w
	}
	x.spans.add(start, len(data), inString)
	return len(data)
}

// dquote reads the text of the double-quoted string on top of the frames
// from i, until it ends or a subexpression opens in it.
func (x *psLexer) dquote(i int) int {
	data := x.data
	top := &x.frames[len(x.frames)-1]
	for i < len(data) {
		if data[i] == '`' {
			i += 2
			continue
		}
		if data[i] == '$' && i+1 < len(data) && data[i+1] == '(' {
			x.spans.add(top.seg, i, inString)
			x.frames = append(x.frames, psFrame{})
			return i + 2
		}
		q, w := psQuote(data, i)
		if q != '"' {
			i++
			continue
		}
		if i+w < len(data) {
			if q2, w2 := psQuote(data, i+w); q2 == '"' {
				i += w + w2
				continue
			}
		}
		x.spans.add(top.seg, i+w, inString)
		x.frames = x.frames[:len(x.frames)-1]
		return i + w
	}
	x.spans.add(top.seg, len(data), inString)
	return len(data)
}

// hereStart reports whether only blanks follow i up to the end of the
// line, as after the @" or @' that opens a here-string.
func hereStart(data []byte, i int) bool {
	for ; i < len(data); i++ {
		switch data[i] {
		case ' ', '\t':
			continue
		case '\n', '\r':
			return true
		}
		return false
	}
	return false
}

// hereString reads the here-string at i, quoted with q, to the line that
// starts with q and "@".
func (x *psLexer) hereString(i int, q byte) int {
	data := x.data
	term := []byte{q, '@'}
	for j := lineEnd(data, i); j < len(data); j = lineEnd(data, j+1) {
		if bytes.HasPrefix(data[j+1:], term) {
			end := j + 1 + len(term)
			x.spans.add(i, end, inString)
			return end
		}
	}
	x.spans.add(i, len(data), inString)
	return len(data)
}
