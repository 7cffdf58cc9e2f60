package analyze

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSnippet is the most characters a snippet shows.
const MaxSnippet = 160

// Snippet returns the line of data around the match data[start:end] as a
// short, printable piece of evidence: at most MaxSnippet characters
// (cut around the match, with "…" where it was cut) and escaped with
// EscapeSnippet. It stays within the line, so its cost does not depend on
// the size of the file beyond the line's length.
func Snippet(data []byte, start, end int) string {
	start = max(0, min(start, len(data)))
	end = max(start, min(end, len(data)))
	// Look at most a few KiB either side: a minified line can be megabytes.
	const reach = 4 << 10
	lo := max(0, start-reach)
	if i := bytes.LastIndexByte(data[lo:start], '\n'); i >= 0 {
		lo += i + 1
	}
	hi := min(len(data), end+reach)
	if i := bytes.IndexByte(data[start:hi], '\n'); i >= 0 {
		hi = start + i
	}
	line := data[lo:hi]
	ms, me := start-lo, end-lo
	// Trim leading indentation.
	t := bytes.TrimLeft(line, " \t")
	if cut := len(line) - len(t); cut <= ms {
		line, ms, me = t, ms-cut, me-cut
	}
	line = bytes.TrimRight(line, " \t\r")
	prefix, suffix := "", ""
	if utf8.RuneCount(line) > MaxSnippet {
		// Show some context before the match and as much of it as fits.
		from := max(0, ms-40)
		for from > 0 && !utf8.RuneStart(line[from]) {
			from--
		}
		to := from
		for n := 0; to < len(line) && n < MaxSnippet-2; n++ {
			_, sz := utf8.DecodeRune(line[to:])
			to += sz
		}
		if from > 0 {
			prefix = "…"
		}
		if to < len(line) {
			suffix = "…"
		}
		line = line[from:to]
	}
	return prefix + EscapeSnippet(string(line)) + suffix
}

// EscapeSnippet makes s safe to print: control characters, invisible and
// bidirectional formatting characters, and invalid UTF-8 are written as
// \t, \u202e, \x00-style escapes, so that what a terminal shows is what
// the file holds. It does not escape backslashes, so escaping twice
// changes nothing.
func EscapeSnippet(s string) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, sz := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && sz <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case needsEscape(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r) && r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteString(s[i : i+sz])
		}
		i += sz
	}
	return b.String()
}

func needsEscape(r rune) bool {
	if r == utf8.RuneError {
		return true // also catches invalid bytes; a real U+FFFD is escaped too
	}
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
		return true
	}
	return IsInvisible(r)
}

// IsInvisible reports whether r is a character that changes how text is
// shown without being seen: bidirectional controls (Trojan Source),
// zero-width characters, invisible operators, tag characters, variation
// selectors and other format characters (Unicode category Cf), and the
// Hangul fillers that render as blanks.
func IsInvisible(r rune) bool {
	switch {
	case r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0: // Hangul fillers
		return true
	case r >= 0xfe00 && r <= 0xfe0f, r >= 0xe0100 && r <= 0xe01ef: // variation selectors
		return true
	}
	return unicode.Is(unicode.Cf, r)
}
