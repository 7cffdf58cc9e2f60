package rules

import (
	"io"

	"github.com/tdewolff/parse/v2"
	jslex "github.com/tdewolff/parse/v2/js"
)

// lexJS finds the comments, string literals, template literal text and
// regular expression literals of JavaScript or TypeScript source with the
// lexer of github.com/tdewolff/parse/v2/js.
//
// That lexer returns a DivToken for every "/"; whether it starts a regular
// expression instead is decided here from the tokens before it, as
// JavaScript engines and esbuild do: a regular expression may follow an
// operator or punctuator, a keyword such as return or typeof, the ")" of
// if (...), while (...), for (...) and with (...), the "}" of a block, or
// the start of the file; a division follows anything else.
//
// The "#!" line of a script is a comment. HTML-like comments ("<!--" and
// "-->" at the start of a line) are code: ES modules have none, and code
// after one would otherwise be hidden. Where the lexer fails (JSX text,
// odd TypeScript, garbage), the rest of the line or file is code: the
// rest of the line after an unterminated string, the word of a bad number
// ("0755", "3px"), and a "/" whose regular expression does not end on its
// line (a division then) are code and lexing goes on after them; an
// unterminated comment or template literal, or any failure inside a
// template literal, ends lexing.
func lexJS(data []byte) []lexSpan {
	n := len(data)
	// The lexer reads a NUL past the end of its input. Copy the data
	// once so that it never writes into memory it does not own, and so
	// that restarting at an offset costs nothing.
	buf := make([]byte, n+1)
	copy(buf, data)
	x := &jsLexer{data: buf[:n], regexOK: true}
	pos := 0
	if n >= 2 && data[0] == '#' && data[1] == '!' {
		pos = lineEnd(data, 0)
		x.spans.add(0, pos, inComment)
	}
	for pos < n {
		next, ok := x.run(jslex.NewLexer(parse.NewInputBytes(buf[pos:n])), pos)
		if !ok {
			break
		}
		pos = next
	}
	return x.spans.s
}

// jsLexer is the state kept across tokens, and across restarts of the
// tdewolff lexer.
type jsLexer struct {
	data  []byte
	spans spanList
	// regexOK says whether a "/" now starts a regular expression.
	regexOK bool
	// afterDot says the last token was "." or "?.", so a keyword now is
	// a property name.
	afterDot bool
	// prev is the last significant token (not space or comment).
	prev jslex.TokenType
	// parens holds, for each open "(", whether it follows if, while, for
	// or with; braces holds, for each open "{", whether it opens a block.
	parens, braces []bool
	// templates counts the template literals open around the current
	// position; the lexer cannot be restarted inside one.
	templates int
	// noRegexUntil disables regular expressions up to the end of a line
	// where one failed to lex, so a line of "/" costs linear time.
	noRegexUntil int
}

// maxJSNesting bounds the paren and brace stacks.
const maxJSNesting = 1 << 16

// run lexes from offset pos until the end of the data (ok with next =
// len), or until the lexer fails where lexing can go on at next (ok), or
// cannot (not ok).
func (x *jsLexer) run(l *jslex.Lexer, pos int) (next int, ok bool) {
	n := len(x.data)
	p := pos
	for {
		if p >= n {
			// Done. The lexer can even take the NUL after the input
			// into a token ("#" at the end): never let it read on.
			return n, true
		}
		tt, text := l.Next()
		start := p
		p = min(p+len(text), n)
		switch {
		case tt == jslex.ErrorToken:
			if l.Err() == io.EOF {
				return n, true
			}
			if len(text) > 0 { // an unexpected character, skipped
				x.significant(tt)
				continue
			}
			return x.resume(start)
		case tt == jslex.WhitespaceToken || tt == jslex.LineTerminatorToken:
			continue
		case tt == jslex.CommentToken || tt == jslex.CommentLineTerminatorToken:
			if len(text) >= 3 && (text[0] == '<' || text[0] == '-') {
				// An HTML-like comment: read it as code.
				if x.templates == 0 {
					x.regexOK, x.afterDot = true, false
					return start + 1, true
				}
				continue
			}
			x.spans.add(start, p, inComment)
			continue
		case tt == jslex.StringToken, tt == jslex.TemplateToken:
			x.spans.add(start, p, inString)
		case tt == jslex.TemplateStartToken: // `text${
			x.spans.add(start, p-2, inString)
			x.templates++
		case tt == jslex.TemplateMiddleToken: // }text${
			x.spans.add(start+1, p-2, inString)
		case tt == jslex.TemplateEndToken: // }text`
			x.spans.add(start+1, p, inString)
			x.templates--
		case (tt == jslex.DivToken || tt == jslex.DivEqToken) && x.regexOK && start >= x.noRegexUntil:
			rt, re := l.RegExp()
			if rt != jslex.RegExpToken {
				// Unterminated: a division after all, and no more
				// regular expressions on this line.
				x.noRegexUntil = lineEnd(x.data, start)
				if x.templates > 0 {
					return 0, false
				}
				x.prev, x.regexOK, x.afterDot = jslex.DivToken, true, false
				return start + 1, true
			}
			p = min(start+len(re), n)
			x.spans.add(start, p, inString)
			tt = jslex.RegExpToken
		}
		x.significant(tt)
	}
}

// resume decides where lexing goes on after the lexer failed on the
// token at start: after an unterminated string (at the end of its line),
// a bad number or a word glued to a number ("0755", "3px"); nowhere
// inside a template literal or after an unterminated comment or template.
func (x *jsLexer) resume(start int) (int, bool) {
	if x.templates > 0 || start >= len(x.data) {
		return 0, false
	}
	x.prev, x.regexOK, x.afterDot = jslex.ErrorToken, false, false
	switch c := x.data[start]; {
	case c == '\'' || c == '"':
		return lineEnd(x.data, start), true
	case isWordByte(c) || c == '.':
		i := start + 1
		for i < len(x.data) && (isWordByte(x.data[i]) || x.data[i] == '.') {
			i++
		}
		return i, true
	}
	return 0, false
}

// significant updates the state after a token that is not space or a
// comment.
func (x *jsLexer) significant(tt jslex.TokenType) {
	afterDot := x.afterDot
	x.afterDot = false
	switch tt {
	case jslex.OpenParenToken:
		ctl := !afterDot && (x.prev == jslex.IfToken || x.prev == jslex.WhileToken || x.prev == jslex.ForToken || x.prev == jslex.WithToken)
		if len(x.parens) < maxJSNesting {
			x.parens = append(x.parens, ctl)
		}
		x.regexOK = true
	case jslex.CloseParenToken:
		x.regexOK = pop(&x.parens, false)
	case jslex.OpenBraceToken:
		if len(x.braces) < maxJSNesting {
			x.braces = append(x.braces, x.opensBlock())
		}
		x.regexOK = true
	case jslex.CloseBraceToken:
		x.regexOK = pop(&x.braces, true)
	case jslex.CloseBracketToken, jslex.IncrToken, jslex.DecrToken, jslex.RegExpToken, jslex.ErrorToken,
		jslex.StringToken, jslex.TemplateToken, jslex.TemplateEndToken, jslex.PrivateIdentifierToken:
		x.regexOK = false
	case jslex.DotToken, jslex.OptChainToken:
		x.regexOK, x.afterDot = false, true
	case jslex.TemplateStartToken, jslex.TemplateMiddleToken:
		x.regexOK = true
	default:
		switch {
		case jslex.IsPunctuator(tt) || jslex.IsOperator(tt):
			x.regexOK = true
		case jslex.IsNumeric(tt):
			x.regexOK = false
		case afterDot: // a property name, even if a keyword
			x.regexOK = false
		default:
			x.regexOK = regexAfterWord(tt)
		}
	}
	x.prev = tt
}

// regexAfterWord reports whether "/" after the keyword tt starts a
// regular expression; after any other word it divides.
func regexAfterWord(tt jslex.TokenType) bool {
	switch tt {
	case jslex.AwaitToken, jslex.CaseToken, jslex.DeleteToken, jslex.DoToken, jslex.ElseToken,
		jslex.ExtendsToken, jslex.InToken, jslex.InstanceofToken, jslex.NewToken, jslex.ReturnToken,
		jslex.ThrowToken, jslex.TypeofToken, jslex.VoidToken, jslex.YieldToken, jslex.OfToken:
		return true
	}
	return false
}

// opensBlock guesses whether a "{" after the previous token opens a block
// (after which "}" ends a statement, so "/" starts a regular expression)
// rather than an object literal (after which "/" divides).
func (x *jsLexer) opensBlock() bool {
	switch x.prev {
	case 0, jslex.SemicolonToken, jslex.OpenBraceToken, jslex.CloseBraceToken, jslex.CloseParenToken, jslex.ArrowToken,
		jslex.ElseToken, jslex.DoToken, jslex.TryToken, jslex.FinallyToken:
		return true
	}
	// A class or interface body follows a name; an object literal
	// follows an operator, a punctuator or a keyword like return.
	return jslex.IsIdentifier(x.prev)
}

func pop(s *[]bool, empty bool) bool {
	n := len(*s)
	if n == 0 {
		return empty
	}
	v := (*s)[n-1]
	*s = (*s)[:n-1]
	return v
}
