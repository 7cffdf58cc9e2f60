package rules

import (
	"context"
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// invisibleUnicode finds Trojan Source tricks in code: bidirectional
// override and isolate controls (U+202A-202E, U+2066-2069) that make code
// read differently from how it runs, zero-width characters inside
// identifiers, and Hangul fillers used as invisible identifiers. Emoji
// joiners between non-ASCII characters are not reported.
type invisibleUnicode struct{}

var _ analyze.Rule = (*invisibleUnicode)(nil)

func newInvisibleUnicode() *invisibleUnicode { return &invisibleUnicode{} }

func (*invisibleUnicode) Name() string { return "invisible-unicode" }

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func isZeroWidth(r rune) bool {
	switch r {
	case 0x200b, 0x200c, 0x200d, 0x2060, 0x180e, 0xfeff:
		return true
	}
	return false
}

func isHangulFiller(r rune) bool {
	return r == 0x115f || r == 0x1160 || r == 0x3164 || r == 0xffa0
}

func isIdentByte(b byte) bool { return identBytes[b] }

func (u *invisibleUnicode) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	if !codeKinds[f.Kind] && f.Kind != analyze.Manifest {
		return nil, nil
	}
	data := f.Data
	var out []finding.Finding
	for i := 0; i < len(data); i++ {
		// Most code is ASCII: skip it eight bytes at a time.
		for i+8 <= len(data) && binary.LittleEndian.Uint64(data[i:])&0x8080808080808080 == 0 {
			i += 8
		}
		if i >= len(data) {
			break
		}
		b := data[i]
		if b < 0xe1 || b > 0xef { // every rune reported is 3 bytes, led by E1, E2, E3 or EF
			continue
		}
		r, sz := utf8.DecodeRune(data[i:])
		var sev finding.Severity
		var what string
		switch {
		case isBidiControl(r):
			sev, what = finding.SeverityHigh, "bidirectional control"
		case isHangulFiller(r):
			if inStringLiteral(data, i) {
				continue // text data (Unicode tables, Korean strings), not an identifier
			}
			sev, what = finding.SeverityHigh, "Hangul filler (invisible identifier)"
		case isZeroWidth(r) && !(r == 0xfeff && i == 0):
			before := i > 0 && isIdentByte(data[i-1])
			after := i+sz < len(data) && isIdentByte(data[i+sz])
			if !before || !after {
				continue
			}
			sev, what = finding.SeverityMedium, "zero-width character inside an identifier"
		default:
			continue
		}
		out = append(out, newFinding(u.Name(), analyze.CatHiddenCode, sev,
			fmt.Sprintf("invisible Unicode in code: %s U+%04X (Trojan Source)", what, r), f, i, i+sz))
		if len(out) == maxFindingsPerRule {
			break
		}
		i += sz - 1
	}
	return out, nil
}

// inStringLiteral reports whether offset i of data is inside a quoted
// string on its line: an odd number of unescaped quotes of one kind
// precedes it. A line-level guess, enough to tell data from identifiers.
func inStringLiteral(data []byte, i int) bool {
	start := i
	for start > 0 && data[start-1] != '\n' && i-start < 4096 {
		start--
	}
	var open byte
	for j := start; j < i; j++ {
		switch c := data[j]; {
		case c == '\\' && open != 0 && open != '`':
			j++ // skip the escaped byte
		case open == 0 && (c == '"' || c == '\'' || c == '`'):
			open = c
		case c == open:
			open = 0
		}
	}
	return open != 0
}
