package rules

import (
	"context"
	"fmt"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// obfuscatedJS finds the marks of JavaScript obfuscators: JSFuck (code
// written with only []()!+), and the _0x1a2b identifiers of
// javascript-obfuscator, counted against the file's size.
type obfuscatedJS struct {
	jsfuckRun int // shortest run of JSFuck characters reported
	minHex    int // fewest _0x identifiers reported
	perKB     int // and at least this many per KiB of file... or minHex*10 in all
}

var _ analyze.Rule = (*obfuscatedJS)(nil)

func newObfuscatedJS() *obfuscatedJS { return &obfuscatedJS{jsfuckRun: 200, minHex: 20, perKB: 1} }

func (*obfuscatedJS) Name() string { return "obfuscated-javascript" }

func isJSFuckByte(b byte) bool {
	switch b {
	case '[', ']', '(', ')', '!', '+':
		return true
	}
	return false
}

func (o *obfuscatedJS) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	if f.Kind != analyze.JavaScript {
		return nil, nil
	}
	data := f.Data
	var out []finding.Finding
	hexIdents, firstHex := 0, -1
	run, runStart, reported := 0, 0, false
	for i := 0; i < len(data); i++ {
		b := data[i]
		if isJSFuckByte(b) {
			if run == 0 {
				runStart = i
			}
			run++
			if run == o.jsfuckRun && !reported {
				reported = true
				out = append(out, newFinding(o.Name(), analyze.CatObfuscation, finding.SeverityHigh,
					"JSFuck-encoded code: a long run of only []()!+", f, runStart, i+1))
			}
		} else if b != ' ' && b != '\n' && b != '\r' && b != '\t' {
			run = 0
		}
		// _0x followed by 4-6 hex digits, not inside a longer identifier.
		if b == '_' && i+6 < len(data) && data[i+1] == '0' && data[i+2] == 'x' &&
			(i == 0 || !isIdentByte(data[i-1])) {
			n := 0
			for n < 7 && i+3+n < len(data) && isHexByte(data[i+3+n]) {
				n++
			}
			if n >= 4 && n <= 6 {
				if firstHex < 0 {
					firstHex = i
				}
				hexIdents++
			}
		}
	}
	if hexIdents >= o.minHex && hexIdents*1024 >= o.perKB*len(data) {
		out = append(out, newFinding(o.Name(), analyze.CatObfuscation, finding.SeverityMedium,
			fmt.Sprintf("%d _0x identifiers: code run through javascript-obfuscator", hexIdents), f, firstHex, firstHex+8))
	}
	return out, nil
}
