package rules

import "bytes"

// lexShell finds the comments, quoted strings and heredoc bodies of a
// POSIX shell or bash script:
//
//   - "#" starts a comment only at the start of a word: at the start of
//     the file or after a blank or one of ; & | ( ) < >, so not in
//     "$#", "${#x}", "${x#y}" or "a#b", nor inside quotes or escaped;
//   - '...' is a string without escapes, $'...' one with backslash
//     escapes, "..." one with backslash escapes whose $(...) and `...`
//     are code; all may span lines;
//   - $(...), $((...)) and `...` are code, ${...} is neither comment nor
//     string;
//   - the body of a heredoc (<<WORD, <<-WORD, <<'WORD', ...) is a string,
//     up to the line that is WORD.
//
// Not handled: "case" patterns with ")" inside $(...), which end the
// substitution early; aliases; and anything eval builds.
func lexShell(data []byte) []lexSpan {
	x := shLexer{data: data}
	x.lex()
	return x.spans.s
}

type shLexer struct {
	data   []byte
	spans  spanList
	frames []shFrame
	// heredocs are the heredocs of the current line, whose bodies start
	// after it.
	heredocs []heredoc
}

// shFrame is a double-quoted string, or code nested in one or in code:
// a command substitution $(...), an arithmetic expansion $((...)) or
// ((...)), or a `...` substitution.
type shFrame struct {
	kind  byte // '"', '(' for $(, 'a' for $(( and ((, '`'
	depth int  // open parentheses in the code
	seg   int  // dquote: start of the text now being read
}

// heredoc is a pending heredoc: its word, and whether leading tabs are
// stripped (<<-).
type heredoc struct {
	word  []byte
	strip bool
}

// heredocBodies adds the bodies of the pending heredocs docs to spans as
// strings, reading from i at the start of the line after the one that
// opened them, and returns where code resumes. A body ends at a line that
// is its word, once a stripping heredoc's leading strip characters are
// removed (and a "\r" before the newline, when trimCR); a body without
// its word runs to the end of the data.
func heredocBodies(data []byte, i int, docs []heredoc, spans *spanList, strip string, trimCR bool) int {
	for _, h := range docs {
		start := i
		for i < len(data) {
			le := bytes.IndexByte(data[i:], '\n')
			if le < 0 {
				le = len(data) - i
			}
			line := data[i : i+le]
			if trimCR {
				line = bytes.TrimRight(line, "\r")
			}
			if h.strip {
				line = bytes.TrimLeft(line, strip)
			}
			if bytes.Equal(line, h.word) {
				spans.add(start, i, inString)
				i = min(i+le+1, len(data))
				start = -1
				break
			}
			i += le + 1
		}
		if start >= 0 {
			spans.add(start, len(data), inString)
			i = len(data)
		}
	}
	return i
}

const maxShNesting = 256

func (x *shLexer) lex() {
	data := x.data
	n := len(data)
	for i := 0; i < n; {
		if len(x.frames) > maxShNesting {
			return
		}
		if k := len(x.frames); k > 0 && x.frames[k-1].kind == '"' {
			i = x.dquote(i)
			continue
		}
		c := data[i]
		switch {
		case c == '\\':
			i = min(i+2, n)
		case c == '#' && x.wordStart(i):
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				j = n - i
			}
			x.spans.add(i, i+j, inComment)
			i += j
		case c == '\'':
			i = x.single(i, i, false)
		case c == '"':
			x.frames = append(x.frames, shFrame{kind: '"', seg: i})
			i++
		case c == '`':
			if k := len(x.frames); k > 0 && x.frames[k-1].kind == '`' {
				x.pop(i + 1)
			} else {
				x.frames = append(x.frames, shFrame{kind: '`'})
			}
			i++
		case c == '$':
			i = x.dollar(i)
		case c == '(':
			if k := len(x.frames); k > 0 && x.frames[k-1].kind != '`' {
				x.frames[k-1].depth++
			} else if i+1 < n && data[i+1] == '(' && x.wordStart(i) {
				x.frames = append(x.frames, shFrame{kind: 'a'})
				i++
			}
			i++
		case c == ')':
			i = x.closeParen(i)
		case c == '<' && i+1 < n && data[i+1] == '<' && !x.inArith():
			i = x.heredocWord(i + 2)
		case c == '\n':
			i++
			if len(x.heredocs) > 0 {
				i = heredocBodies(x.data, i, x.heredocs, &x.spans, "\t", false)
				x.heredocs = x.heredocs[:0]
			}
		default:
			i++
		}
	}
}

// wordStart reports whether a word can start at i.
func (x *shLexer) wordStart(i int) bool {
	if i == 0 {
		return true
	}
	switch x.data[i-1] {
	case ' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>':
		return true
	}
	return false
}

func (x *shLexer) inArith() bool {
	k := len(x.frames)
	return k > 0 && x.frames[k-1].kind == 'a'
}

// single reads a single-quoted string whose quote is at q (start is
// where the string begins, at the "$" of $'...'); escapes says backslashes
// escape, as in $'...'.
func (x *shLexer) single(start, q int, escapes bool) int {
	data := x.data
	for i := q + 1; i < len(data); i++ {
		if escapes && data[i] == '\\' {
			i++
			continue
		}
		if data[i] == '\'' {
			x.spans.add(start, i+1, inString)
			return i + 1
		}
	}
	x.spans.add(start, len(data), inString)
	return len(data)
}

// dquote reads the text of the double-quoted string on top of the frames
// from i, until it ends or code opens in it.
func (x *shLexer) dquote(i int) int {
	data := x.data
	top := &x.frames[len(x.frames)-1]
	for i < len(data) {
		switch data[i] {
		case '\\':
			i += 2
			continue
		case '"':
			x.spans.add(top.seg, i+1, inString)
			x.frames = x.frames[:len(x.frames)-1]
			return i + 1
		case '`':
			x.spans.add(top.seg, i, inString)
			x.frames = append(x.frames, shFrame{kind: '`'})
			return i + 1
		case '$':
			if i+1 < len(data) && data[i+1] == '(' {
				x.spans.add(top.seg, i, inString)
				return x.dollar(i)
			}
			if i+1 < len(data) && data[i+1] == '{' {
				i = x.braces(i + 2)
				continue
			}
		}
		i++
	}
	x.spans.add(top.seg, len(data), inString)
	return len(data)
}

// dollar reads what starts with the "$" at i.
func (x *shLexer) dollar(i int) int {
	data := x.data
	if i+1 >= len(data) {
		return i + 1
	}
	switch data[i+1] {
	case '(':
		if i+2 < len(data) && data[i+2] == '(' {
			x.frames = append(x.frames, shFrame{kind: 'a'})
			return i + 3
		}
		x.frames = append(x.frames, shFrame{kind: '('})
		return i + 2
	case '{':
		return x.braces(i + 2)
	case '\'':
		return x.single(i, i+1, true)
	case '"': // $"...", a string to translate
		if k := len(x.frames); k == 0 || x.frames[k-1].kind != '"' {
			x.frames = append(x.frames, shFrame{kind: '"', seg: i})
			return i + 2
		}
	case '#', '?', '$', '!', '@', '*', '-':
		return i + 2 // special parameters: $# is not a comment
	}
	return i + 1
}

// braces skips a parameter expansion ${...} from i, after "${", to its
// "}" (nested ones count) or the end of the line.
func (x *shLexer) braces(i int) int {
	depth := 0
	for ; i < len(x.data); i++ {
		switch x.data[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return i + 1
			}
			depth--
		case '\n':
			return i
		}
	}
	return len(x.data)
}

// closeParen handles the ")" at i.
func (x *shLexer) closeParen(i int) int {
	k := len(x.frames)
	if k == 0 {
		return i + 1
	}
	f := &x.frames[k-1]
	switch {
	case f.depth > 0:
		f.depth--
	case f.kind == '(':
		x.pop(i + 1)
	case f.kind == 'a' && i+1 < len(x.data) && x.data[i+1] == ')':
		x.pop(i + 2)
		return i + 2
	}
	return i + 1
}

// pop closes the frame on top; a string it was in goes on at i.
func (x *shLexer) pop(i int) {
	x.frames = x.frames[:len(x.frames)-1]
	if k := len(x.frames); k > 0 {
		x.frames[k-1].seg = i
	}
}

// heredocWord reads the word of a heredoc from i, after "<<", and queues
// the heredoc. "<<<" is a here-string, not a heredoc.
func (x *shLexer) heredocWord(i int) int {
	data := x.data
	if i < len(data) && data[i] == '<' {
		return i + 1
	}
	h := heredoc{}
	if i < len(data) && data[i] == '-' {
		h.strip = true
		i++
	}
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	var word []byte
	var quote byte
	for ; i < len(data); i++ {
		c := data[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			} else {
				word = append(word, c)
			}
			continue
		}
		switch c {
		case '\'', '"':
			quote = c
			continue
		case '\\':
			if i+1 < len(data) {
				i++
				word = append(word, data[i])
			}
			continue
		case ' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>':
		default:
			word = append(word, c)
			continue
		}
		break
	}
	if len(word) > 0 {
		h.word = word
		x.heredocs = append(x.heredocs, h)
	}
	return i
}
