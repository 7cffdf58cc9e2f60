package rules

import "bytes"

// lexPython finds the comments and string literals of Python source,
// following "Lexical analysis" of the Python language reference
// (docs.python.org/3/reference/lexical_analysis.html):
//
//   - "#" outside a string starts a comment, to the end of the line;
//   - strings are quoted with ' or ", or tripled ”' or """, after an
//     optional prefix of r, u, b, f or t (rb, br, fr, rf, tr, rt, in any
//     case); a backslash escapes the next character, even in a raw string
//     as far as its end is concerned;
//   - in an f-string (and a t-string), a replacement field {...} is code,
//     which may hold strings with any quotes, as Python 3.12 allows, and
//     comments; its format spec after ":" is text again, with fields of
//     its own; "{{" and "}}" are text;
//   - a single-quoted string that is not closed ends at the end of its
//     line, a triple-quoted one at the end of the file;
//   - a backslash at the end of a line joins lines.
//
// Lines end at "\n", "\r\n" or "\r", as Python reads them. A file whose
// encoding declaration is not ASCII-compatible (UTF-7, Shift_JIS, ...) is
// not lexed: see asciiSafeCoding.
func lexPython(data []byte) []lexSpan {
	if !asciiSafeCoding(data) {
		return nil
	}
	var x pyLexer
	x.lex(data, 0)
	return x.spans.s
}

// lexPTH lexes a .pth file as site.py reads it: a line that starts with
// "import" and a space or tab is Python code (one line, run alone), a line
// that starts with "#" is a comment, and any other line is a path: data,
// counted as a string.
func lexPTH(data []byte) []lexSpan {
	var x pyLexer
	for ls := 0; ls < len(data); {
		le := lineEnd(data, ls)
		line := data[ls:le]
		switch {
		case bytes.HasPrefix(line, []byte("import ")) || bytes.HasPrefix(line, []byte("import\t")):
			x.lex(line, ls)
		case bytes.HasPrefix(line, []byte("#")):
			x.spans.add(ls, le, inComment)
		case len(bytes.TrimSpace(line)) > 0:
			x.spans.add(ls, le, inString)
		}
		ls = le + 1
		if le+1 < len(data) && data[le] == '\r' && data[le+1] == '\n' {
			ls++
		}
	}
	return x.spans.s
}

// pyLexer holds the spans found and, while it lexes, the f-strings and
// replacement fields open at the current position.
type pyLexer struct {
	spans  spanList
	data   []byte
	base   int // offset of data in the file, for spans
	frames []pyFrame
}

// pyFrame is an open f-string, or a replacement field in one.
type pyFrame struct {
	field  bool // a replacement field rather than an f-string
	quote  byte // f-string: its quote
	triple bool // f-string: quoted with three quotes
	raw    bool // f-string: a raw one
	spec   bool // field: now in its format spec, which is text
	depth  int  // field: brackets open in its code
	seg    int  // start of the text now being read (f-string or spec)
}

// maxPyNesting bounds the f-strings and fields open at once; deeper
// nesting ends lexing.
const maxPyNesting = 200

// lex lexes data, a whole file or (for .pth files) one line of it at
// offset base.
func (x *pyLexer) lex(data []byte, base int) {
	x.data, x.base, x.frames = data, base, x.frames[:0]
	n := len(data)
	for i := 0; i < n; {
		if k := len(x.frames); k > 0 {
			if top := &x.frames[k-1]; !top.field || top.spec {
				i = x.text(i)
				continue
			}
		}
		c := data[i]
		switch {
		case c == '#':
			j := lineEnd(data, i)
			x.add(i, j, inComment)
			i = j
		case c == '\\':
			i = skipEscape(data, i)
		case c == '\'' || c == '"':
			i = x.str(i, i, 0)
		case isWordByte(c):
			j := i + 1
			for j < n && isWordByte(data[j]) {
				j++
			}
			if j < n && (data[j] == '\'' || data[j] == '"') && c > '9' {
				if flags, ok := pyPrefix(data[i:j]); ok {
					i = x.str(i, j, flags)
					continue
				}
			}
			i = j
		default:
			i = x.fieldCode(i)
		}
		if len(x.frames) > maxPyNesting {
			return
		}
	}
	// Text still open at the end of the data ends there.
	if k := len(x.frames); k > 0 {
		if top := x.frames[k-1]; !top.field || top.spec {
			x.add(top.seg, n, inString)
		}
	}
}

func (x *pyLexer) add(lo, hi int, c spanClass) { x.spans.add(x.base+lo, x.base+hi, c) }

// Prefix flags of a Python string.
const (
	pyRaw = 1 << iota
	pyFormat
)

// pyPrefix reads a string prefix (r, u, b, f, t, br, rb, fr, rf, tr, rt in
// any case).
func pyPrefix(p []byte) (flags int, ok bool) {
	if len(p) > 2 {
		return 0, false
	}
	var seen [256]bool
	for _, c := range p {
		c |= 0x20 // lower case
		if seen[c] {
			return 0, false
		}
		seen[c] = true
		switch c {
		case 'r':
			flags |= pyRaw
		case 'f', 't':
			flags |= pyFormat
		case 'u', 'b':
		default:
			return 0, false
		}
	}
	if len(p) == 2 && (seen['u'] || (seen['b'] && flags&pyFormat != 0) || flags&pyRaw == 0) {
		return 0, false // "ur", "bf", "fb", "bu", ... are not prefixes
	}
	return flags, true
}

// str reads the string whose prefix starts at start and whose quote is at
// q, and returns the offset after it. An f-string is not read here: its
// frame is opened, and the main loop reads it.
func (x *pyLexer) str(start, q int, flags int) int {
	data := x.data
	quote := data[q]
	triple := q+2 < len(data) && data[q+1] == quote && data[q+2] == quote
	i := q + 1
	if triple {
		i = q + 3
	}
	if flags&pyFormat != 0 {
		x.frames = append(x.frames, pyFrame{quote: quote, triple: triple, raw: flags&pyRaw != 0, seg: start})
		return i
	}
	for i < len(data) {
		switch c := data[i]; {
		case c == '\\':
			i = skipEscape(data, i)
			continue
		case c == quote && !triple:
			x.add(start, i+1, inString)
			return i + 1
		case c == quote && i+2 < len(data) && data[i+1] == quote && data[i+2] == quote:
			x.add(start, i+3, inString)
			return i + 3
		case (c == '\n' || c == '\r') && !triple:
			x.add(start, i, inString) // unterminated: ends with its line
			return i
		}
		i++
	}
	x.add(start, len(data), inString)
	return len(data)
}

// skipEscape returns the offset after the backslash at i and the
// character it escapes (both bytes of "\r\n").
func skipEscape(data []byte, i int) int {
	if i+2 < len(data) && data[i+1] == '\r' && data[i+2] == '\n' {
		return i + 3
	}
	return min(i+2, len(data))
}

// text reads the literal text of the f-string, or the format spec of the
// field, on top of the frames from i, until a replacement field opens or
// the text ends; it returns where it stopped.
func (x *pyLexer) text(i int) int {
	data := x.data
	top := &x.frames[len(x.frames)-1]
	fs := top // the f-string whose quotes end the text
	for k := len(x.frames) - 1; fs.field; k-- {
		fs = &x.frames[k-1]
	}
	for i < len(data) {
		c := data[i]
		switch {
		case c == '\\':
			if i+1 < len(data) && data[i+1] == '{' {
				i++ // "\{" is a backslash, then a field
				continue
			}
			if !fs.raw && i+2 < len(data) && data[i+1] == 'N' && data[i+2] == '{' {
				// \N{NAME} names a character; it is not a field.
				if j := bytes.IndexByte(data[i:min(len(data), i+128)], '}'); j > 0 {
					i += j + 1
					continue
				}
			}
			i = skipEscape(data, i)
			continue
		case c == '{' && !top.field && i+1 < len(data) && data[i+1] == '{':
			i += 2
			continue
		case c == '}' && !top.field && i+1 < len(data) && data[i+1] == '}':
			i += 2
			continue
		case c == '{':
			x.add(top.seg, i, inString)
			x.frames = append(x.frames, pyFrame{field: true})
			return i + 1
		case c == '}' && top.field: // the end of a spec ends its field
			x.add(top.seg, i, inString)
			x.frames = x.frames[:len(x.frames)-1]
			x.resumeText(i + 1)
			return i + 1
		case c == fs.quote && (!fs.triple || i+2 < len(data) && data[i+1] == c && data[i+2] == c):
			end := i + 1
			if fs.triple {
				end = i + 3
			}
			x.add(top.seg, end, inString)
			x.closeFString()
			return end
		case (c == '\n' || c == '\r') && !fs.triple:
			x.add(top.seg, i, inString) // unterminated: ends with its line
			x.closeFString()
			return i
		}
		i++
	}
	return i
}

// fieldCode handles byte i of code: brackets, and in a replacement field
// its end "}" and the ":" of its format spec.
func (x *pyLexer) fieldCode(i int) int {
	k := len(x.frames)
	if k == 0 {
		return i + 1
	}
	f := &x.frames[k-1]
	switch x.data[i] {
	case '(', '[', '{':
		f.depth++
	case ')', ']':
		f.depth = max(0, f.depth-1)
	case '}':
		if f.depth > 0 {
			f.depth--
			break
		}
		x.frames = x.frames[:k-1]
		x.resumeText(i + 1)
	case ':': // at depth 0, even in ":=", the format spec begins
		if f.depth == 0 {
			f.spec, f.seg = true, i+1
		}
	}
	return i + 1
}

// resumeText starts a new segment of text at i in the frame now on top,
// after a field closed.
func (x *pyLexer) resumeText(i int) {
	if k := len(x.frames); k > 0 {
		x.frames[k-1].seg = i
	}
}

// closeFString pops the innermost f-string and the fields inside it.
func (x *pyLexer) closeFString() {
	for k := len(x.frames) - 1; k >= 0; k-- {
		if !x.frames[k].field {
			x.frames = x.frames[:k]
			return
		}
	}
	x.frames = x.frames[:0]
}
