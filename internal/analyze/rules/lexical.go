package rules

import (
	"bytes"
	"math"
	"path"
	"sort"
	"strings"

	"github.com/sapperhq/sapper/internal/analyze"
)

// A pattern rule says in its "in" where its matches count (see scope): in
// code and strings, in code only, or anywhere. To tell code from comments
// and string literals, a file is tokenized by a lexer for its language:
//
//	javascript  the lexer of github.com/tdewolff/parse/v2/js (lexjs.go),
//	            mimicked by a faster scanner where it can (lexjsfast.go)
//	python      a tokenizer written from the language reference (lexpython.go)
//	pth         Python's rules per line, as site.py runs them (lexpython.go)
//	go          go/scanner (lexgo.go)
//	ruby        a small lexer (lexruby.go)
//	shell       a small lexer (lexshell.go)
//	powershell  a small lexer (lexpowershell.go)
//
// Every other kind has no lexer: all of such a file is code. Lexers are
// linear in the file's size and run lazily, at most once per file, when a
// rule with a scope has a literal hit in it. A lexer that meets something
// it does not understand treats the rest of the line or file as code
// rather than guess: a comment taken for code costs a finding that should
// not have been, code taken for a comment would cost one that should.

// scope says where in a file a rule's matches count (the rule's "in").
type scope uint8

const (
	// scopeAny counts matches anywhere; the file is not lexed.
	scopeAny scope = iota
	// scopeCodeAndStrings blanks comments out before matching, so a
	// match can neither start in a comment nor take text from one.
	scopeCodeAndStrings
	// scopeCode does that and drops a match that starts inside a string
	// literal.
	scopeCode
)

var scopeNames = map[string]scope{"any": scopeAny, "code-and-strings": scopeCodeAndStrings, "code": scopeCode}

// spanClass says what a lexical span of a file is; the zero value is code.
type spanClass uint8

const (
	inCode spanClass = iota
	inComment
	inString // a string literal, the text of a template or f-string, a regular expression literal, a heredoc
)

// lexSpan is a comment or string literal at data[lo:hi]. Offsets are
// int32 to halve the memory of a bundle's many strings; files over 2 GiB
// are not lexed (the archive limits stop far below).
type lexSpan struct {
	lo, hi int32
	class  spanClass
}

// spanList collects the spans of a file in order.
type spanList struct{ s []lexSpan }

// add appends data[lo:hi] as class c. Spans must come in order: one that
// would overlap the last is clipped, and one that touches the last span of
// the same class extends it, so the list stays sorted and non-overlapping
// whatever a lexer does.
func (l *spanList) add(lo, hi int, c spanClass) {
	if n := len(l.s); n > 0 {
		last := &l.s[n-1]
		lo = max(lo, int(last.hi))
		if lo == int(last.hi) && last.class == c && hi > lo {
			last.hi = int32(hi)
			return
		}
	}
	if hi <= lo || c == inCode {
		return
	}
	l.s = append(l.s, lexSpan{int32(lo), int32(hi), c})
}

// lexSpans returns the sorted, non-overlapping comment and string spans
// of f, or nil when its kind has no lexer (or the lexer failed at once).
// A lexer that panics counts as having found nothing: the file is all
// code, as it was before lexers.
func lexSpans(f *analyze.File) (spans []lexSpan) {
	data := f.Data
	if len(data) == 0 || len(data) > math.MaxInt32 || utf16BOM(data) {
		return nil
	}
	var lex func([]byte) []lexSpan
	switch f.Kind {
	case analyze.JavaScript:
		if ext := strings.ToLower(path.Ext(f.Path)); ext == ".jsx" || ext == ".tsx" {
			// JSX text is not JavaScript: an apostrophe in it would
			// open a string. Such files are all code.
			return nil
		}
		lex = lexJSSpans
	case analyze.Python:
		lex = lexPython
	case analyze.PTH:
		lex = lexPTH
	case analyze.Go:
		lex = lexGo
	case analyze.Ruby:
		lex = lexRuby
	case analyze.Shell:
		lex = lexShell
	case analyze.PowerShell:
		lex = lexPowerShell
	default:
		return nil
	}
	defer func() {
		if recover() != nil {
			spans = nil
		}
	}()
	return lex(data)
}

// utf16BOM reports whether data starts with a UTF-16 or UTF-32 byte order
// mark; the lexers read ASCII-compatible text only.
func utf16BOM(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) ||
		bytes.HasPrefix(data, []byte{0, 0, 0xfe, 0xff})
}

// fileSpans lexes one file at most once, when a rule with a scope first
// needs it.
type fileSpans struct {
	f      *analyze.File
	done   bool
	spans  []lexSpan
	masked []byte // f.Data with its comments blanked out; f.Data when it has none
}

func (fs *fileSpans) lex() {
	if fs.done {
		return
	}
	fs.done = true
	fs.spans = lexSpans(fs.f)
	fs.masked = blankComments(fs.f.Data, fs.spans)
}

// text returns what the regular expressions of a rule of scope s read:
// the file, with its comments blanked out unless s is scopeAny. A blank
// comment can neither start a match nor lend it text, and code around it
// reads as it runs: "eval/**/(" is "eval    (".
func (fs *fileSpans) text(s scope) []byte {
	if s == scopeAny {
		return fs.f.Data
	}
	fs.lex()
	return fs.masked
}

// stringAt returns the string span that holds the byte at off, if any.
func (fs *fileSpans) stringAt(off int) (lexSpan, bool) {
	fs.lex()
	i := sort.Search(len(fs.spans), func(i int) bool { return int(fs.spans[i].hi) > off })
	if i < len(fs.spans) && int(fs.spans[i].lo) <= off && fs.spans[i].class == inString {
		return fs.spans[i], true
	}
	return lexSpan{}, false
}

// commentMarks are the byte sequences that open or close a comment, per
// kind of file with a lexer. A window holding none of them is not in a
// comment, nor next to one, unless a block comment longer than the window
// surrounds it (then its text counts as code: a finding too many, never
// one too few).
var commentMarks = map[analyze.Kind][][]byte{
	analyze.JavaScript: {[]byte("//"), []byte("/*"), []byte("*/")},
	analyze.Go:         {[]byte("//"), []byte("/*"), []byte("*/")},
	analyze.Python:     {[]byte("#")},
	analyze.PTH:        {[]byte("#")},
	analyze.Shell:      {[]byte("#")},
	analyze.Ruby:       {[]byte("#"), []byte("=begin"), []byte("=end")},
	analyze.PowerShell: {[]byte("#")},
}

// commentsNear reports whether a comment may start or end in one of the
// windows ws of the file, so that the file must be lexed to know what
// its patterns read.
func (fs *fileSpans) commentsNear(ws []span) bool {
	marks, ok := commentMarks[fs.f.Kind]
	if !ok {
		return false // no lexer: all code
	}
	for _, w := range ws {
		for _, m := range marks {
			if bytes.Contains(fs.f.Data[w.lo:w.hi], m) {
				return true
			}
		}
	}
	return false
}

// blankComments returns data with the bytes of its comment spans, but
// line breaks, replaced by spaces, so that offsets and lines stay; data
// itself when there are no comments.
func blankComments(data []byte, spans []lexSpan) []byte {
	var out []byte
	for _, s := range spans {
		if s.class != inComment {
			continue
		}
		if out == nil {
			out = bytes.Clone(data)
		}
		for i := s.lo; i < s.hi; i++ {
			if c := out[i]; c != '\n' && c != '\r' {
				out[i] = ' '
			}
		}
	}
	if out == nil {
		return data
	}
	return out
}

// lineEnd returns the offset of the first '\n' or '\r' at or after i, or
// len(data).
func lineEnd(data []byte, i int) int {
	for ; i < len(data); i++ {
		if data[i] == '\n' || data[i] == '\r' {
			return i
		}
	}
	return len(data)
}

// asciiSafeCoding reports whether a Python or Ruby source's encoding
// declaration (a "coding: NAME" comment on one of its first two lines),
// if it has one, names an encoding in which every ASCII byte stands for
// its ASCII character. Otherwise bytes can lie: in UTF-7 "+AAo-" is a
// newline, so code can hide behind a "#"; in Shift_JIS a "\" byte can end
// a character. Such files are not lexed.
func asciiSafeCoding(data []byte) bool {
	head := data
	for i, lines := 0, 0; i < len(data); i++ {
		if data[i] == '\n' {
			if lines++; lines == 2 {
				head = data[:i]
				break
			}
		}
	}
	_, after, ok := bytes.Cut(head, []byte("coding"))
	for ok {
		if len(after) > 0 && (after[0] == ':' || after[0] == '=') {
			name := bytes.TrimLeft(after[1:], " \t")
			end := 0
			for end < len(name) && (isWordByte(name[end]) || name[end] == '-' || name[end] == '.') {
				end++
			}
			return safeCoding(strings.ToLower(string(name[:end])))
		}
		_, after, ok = bytes.Cut(after, []byte("coding"))
	}
	return true
}

func safeCoding(name string) bool {
	name = strings.ReplaceAll(name, "_", "-")
	switch name {
	case "utf-8", "utf8", "utf-8-sig", "ascii", "us-ascii", "latin-1", "latin1", "l1", "binary", "ascii-8bit":
		return true
	}
	for _, p := range []string{"iso-8859-", "iso8859-", "cp125", "windows-125"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// isWordByte reports whether c can be part of an identifier in the
// languages lexed here: ASCII letters, digits, '_', and any byte of a
// non-ASCII character.
func isWordByte(c byte) bool {
	return c == '_' || c >= 0x80 || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
