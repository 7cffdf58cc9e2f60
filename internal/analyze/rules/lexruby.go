package rules

import "bytes"

// lexRuby finds the comments, strings, regular expressions and heredoc
// bodies of Ruby source:
//
//   - "#" outside a string starts a comment, to the end of the line; a
//     line that starts with "=begin" opens a comment that a line starting
//     with "=end" closes; "__END__" alone on a line ends the code, and what
//     follows is data (a string);
//   - '...' and "..." are strings, "..." and `...` with #{...}
//     interpolation that is code; `...` runs a command, so it is code but
//     its "#" is not a comment;
//   - %q(...), %Q, %w, %W, %i, %I, %s and %r literals are strings, and so
//     is %(...) where an expression starts; %x(...) is code;
//   - /.../ on one line is a regular expression where an expression
//     starts (after an operator, "(", ",", a keyword, the start of a
//     line) or after a method name, a space and no space ("split /,/");
//   - the body of a heredoc (<<~WORD, <<-WORD, <<WORD, with the word
//     quoted or not) is a string, interpolation included, up to the line
//     that is WORD;
//   - ?x character literals are read so that ?' and ?# are neither.
//
// A file whose magic comment names an encoding that is not
// ASCII-compatible is not lexed (see asciiSafeCoding).
func lexRuby(data []byte) []lexSpan {
	if !asciiSafeCoding(data) {
		return nil
	}
	x := rbLexer{data: data, exprStart: true}
	x.lex()
	return x.spans.s
}

type rbLexer struct {
	data   []byte
	spans  spanList
	frames []rbFrame
	// heredocs are the heredocs opened on the current line.
	heredocs []heredoc
	// exprStart says an expression can start here (so "/" opens a
	// regular expression); word says the last token was a name, and
	// space that blanks followed it.
	exprStart, word, space bool
}

// rbFrame is a string with interpolation ("...", `...`), or the code of
// an interpolation #{...} in one.
type rbFrame struct {
	quote byte // string: '"' or '`'; 0 for code
	depth int  // code: open braces
	seg   int  // string: start of the text now being read
}

const maxRbNesting = 256

var rbKeywords = map[string]bool{
	"if": true, "unless": true, "while": true, "until": true, "and": true, "or": true, "not": true,
	"when": true, "elsif": true, "return": true, "then": true, "do": true, "else": true, "in": true,
	"case": true, "puts": true, "print": true, "p": true, "yield": true, "break": true, "next": true,
}

func (x *rbLexer) lex() {
	data := x.data
	n := len(data)
	for i := 0; i < n; {
		if len(x.frames) > maxRbNesting {
			return
		}
		if k := len(x.frames); k > 0 && x.frames[k-1].quote != 0 {
			i = x.interpolated(i)
			continue
		}
		if (i == 0 || data[i-1] == '\n') && len(x.frames) == 0 {
			if j, ok := x.lineStart(i); ok {
				i = j
				continue
			}
		}
		c := data[i]
		exprStart, word, space := x.exprStart, x.word, x.space
		x.exprStart, x.word, x.space = true, false, false
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			x.exprStart, x.word, x.space = exprStart, word, true
			i++
		case c == '\n':
			i++
			if len(x.heredocs) > 0 {
				i = heredocBodies(x.data, i, x.heredocs, &x.spans, " \t", true)
				x.heredocs = x.heredocs[:0]
			}
		case c == '#':
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				j = n - i
			}
			x.spans.add(i, i+j, inComment)
			x.exprStart, x.word, x.space = exprStart, word, space
			i += j
		case c == '\\':
			i = min(i+2, n)
		case c == '\'':
			i = x.quoted(i, i+1, '\'', true)
			x.exprStart = false
		case c == '"' || c == '`':
			x.frames = append(x.frames, rbFrame{quote: c, seg: i})
			i++
		case c == '%':
			i = x.percent(i, exprStart || word && space)
		case c == '/' && (exprStart || word && space && i+1 < n && data[i+1] != ' ' && data[i+1] != '='):
			i = x.regexp(i)
		case c == '<' && i+2 < n && data[i+1] == '<' && (exprStart || word && space || data[i+2] == '~' || data[i+2] == '-'):
			i = x.heredocWord(i)
		case c == '?' && exprStart && i+2 <= n:
			// ?x is the one-character string "x".
			if i+2 == n || !isWordByte(data[i+2]) {
				x.spans.add(i, i+2, inString)
				x.exprStart = false
				i += 2
				break
			}
			i++
		case c == '$' && i+1 < n && !isWordByte(data[i+1]) && data[i+1] != '{':
			i += 2 // $' $" $/ $; ... are global variables
			x.exprStart = false
		case isWordByte(c):
			j := i + 1
			for j < n && (isWordByte(data[j]) || data[j] == '?' || data[j] == '!') {
				j++
			}
			name := data[i:j]
			if j > i && (data[j-1] == '?' || data[j-1] == '!') && j < n && data[j] == '=' {
				j-- // "a!=b"
				name = data[i:j]
			}
			x.exprStart = rbKeywords[string(name)] && (i == 0 || data[i-1] != '.')
			x.word = !x.exprStart && c > '9'
			i = j
		case c == ')' || c == ']':
			x.exprStart = false
			i++
		case c == '{':
			if k := len(x.frames); k > 0 {
				x.frames[k-1].depth++
			}
			i++
		case c == '}':
			x.exprStart = false
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

// lineStart handles "=begin" comments and "__END__" at the start of a
// line at i.
func (x *rbLexer) lineStart(i int) (int, bool) {
	data := x.data
	if rbLineIs(data[i:], "=begin") {
		for j := i; j < len(data); {
			le := bytes.IndexByte(data[j:], '\n')
			if le < 0 {
				break
			}
			j += le + 1
			if rbLineIs(data[j:], "=end") {
				end := len(data)
				if k := bytes.IndexByte(data[j:], '\n'); k >= 0 {
					end = j + k
				}
				x.spans.add(i, end, inComment)
				return end, true
			}
		}
		x.spans.add(i, len(data), inComment)
		return len(data), true
	}
	if bytes.HasPrefix(data[i:], []byte("__END__")) {
		if rest := data[i+7:]; len(rest) == 0 || rest[0] == '\n' || bytes.HasPrefix(rest, []byte("\r\n")) {
			x.spans.add(i, len(data), inString)
			return len(data), true
		}
	}
	return 0, false
}

// rbLineIs reports whether a line starts with word followed by a blank or
// its end.
func rbLineIs(line []byte, word string) bool {
	if !bytes.HasPrefix(line, []byte(word)) {
		return false
	}
	if len(line) == len(word) {
		return true
	}
	switch line[len(word)] {
	case ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// quoted reads a string without interpolation that starts at start, from
// i after its opening delimiter to close; emit says whether it is a
// string (not a %x command).
func (x *rbLexer) quoted(start, i int, close byte, emit bool) int {
	data := x.data
	open := rbOpener(close)
	depth := 0
	for ; i < len(data); i++ {
		switch c := data[i]; {
		case c == '\\':
			i++
		case c == open && open != close:
			depth++
		case c == close && depth > 0:
			depth--
		case c == close:
			if emit {
				x.spans.add(start, i+1, inString)
			}
			return i + 1
		}
	}
	if emit {
		x.spans.add(start, len(data), inString)
	}
	return len(data)
}

// rbOpener returns the opening bracket of a closing one, or close itself.
func rbOpener(close byte) byte {
	switch close {
	case ')':
		return '('
	case ']':
		return '['
	case '}':
		return '{'
	case '>':
		return '<'
	}
	return close
}

// rbCloser returns the closing bracket of an opening one, or open itself.
func rbCloser(open byte) byte {
	switch open {
	case '(':
		return ')'
	case '[':
		return ']'
	case '{':
		return '}'
	case '<':
		return '>'
	}
	return open
}

// interpolated reads the text of the string on top of the frames from i,
// until it ends or an interpolation opens in it. Text of `...` is not a
// string: it is a command.
func (x *rbLexer) interpolated(i int) int {
	data := x.data
	top := &x.frames[len(x.frames)-1]
	emit := top.quote == '"'
	for i < len(data) {
		switch data[i] {
		case '\\':
			i += 2
			continue
		case '#':
			if i+1 < len(data) && data[i+1] == '{' {
				if emit {
					x.spans.add(top.seg, i, inString)
				}
				x.frames = append(x.frames, rbFrame{})
				x.exprStart = true
				return i + 2
			}
		case top.quote:
			if emit {
				x.spans.add(top.seg, i+1, inString)
			}
			x.frames = x.frames[:len(x.frames)-1]
			x.exprStart, x.word = false, false
			return i + 1
		}
		i++
	}
	if emit {
		x.spans.add(top.seg, len(data), inString)
	}
	return len(data)
}

// percent reads a %-literal at i; bare says a bare %(...) can be one.
func (x *rbLexer) percent(i int, bare bool) int {
	data := x.data
	j := i + 1
	kind := byte('Q')
	if j < len(data) && bytes.IndexByte([]byte("qQwWiIsrx"), data[j]) >= 0 {
		kind = data[j]
		j++
	} else if !bare {
		return i + 1
	}
	if j >= len(data) {
		return j
	}
	d := data[j]
	if isWordByte(d) || d == ' ' || d == '\t' || d == '\n' || d == '\r' || (kind == 'Q' && j == i+1 && d == '=') {
		return i + 1 // the modulo operator
	}
	x.exprStart = false
	return x.quoted(i, j+1, rbCloser(d), kind != 'x')
}

// regexp reads a regular expression literal at i. One that does not end
// on its line is taken for a division: a "/" misread as the start of a
// regular expression must not turn the lines after it into a string.
func (x *rbLexer) regexp(i int) int {
	data := x.data
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '\n':
			return i + 1
		case '/':
			j++
			for j < len(data) && 'a' <= data[j] && data[j] <= 'z' {
				j++
			}
			x.spans.add(i, j, inString)
			x.exprStart = false
			return j
		}
	}
	return i + 1
}

// heredocWord reads the word of a heredoc at i ("<<"), queues it, and
// returns where its line goes on; "<<" that starts no heredoc is an
// operator.
func (x *rbLexer) heredocWord(i int) int {
	data := x.data
	j := i + 2
	h := heredoc{}
	if data[j] == '~' || data[j] == '-' {
		h.strip = true
		j++
	}
	if j >= len(data) {
		return i + 2
	}
	switch q := data[j]; {
	case q == '\'' || q == '"' || q == '`':
		k := bytes.IndexByte(data[j+1:], q)
		if k <= 0 || bytes.IndexByte(data[j+1:j+1+k], '\n') >= 0 {
			return i + 2
		}
		h.word = data[j+1 : j+1+k]
		j += k + 2
	case isWordByte(q) && (q < '0' || q > '9'):
		if !h.strip && 'a' <= q && q <= 'z' {
			return i + 2 // "a <<b" appends
		}
		k := j
		for k < len(data) && isWordByte(data[k]) {
			k++
		}
		h.word = data[j:k]
		j = k
	default:
		return i + 2
	}
	x.heredocs = append(x.heredocs, h)
	x.exprStart = false
	return j
}
