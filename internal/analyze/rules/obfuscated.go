package rules

import (
	"bytes"
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

// jsfuckBytes are JSFuck's alphabet and the white space it may carry.
var jsfuckBytes = func() (t [256]bool) {
	for _, b := range []byte("[]()!+ \t\r\n") {
		t[b] = true
	}
	return t
}()

func isJSFuckByte(b byte) bool { return jsfuckBytes[b] && b > ' ' }

func (o *obfuscatedJS) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	if f.Kind != analyze.JavaScript {
		return nil, nil
	}
	data := f.Data
	var out []finding.Finding
	// JSFuck: a run of its alphabet holding jsfuckRun of its characters.
	for from := 0; ; {
		i, j, ok := nextRun(data, from, &jsfuckBytes, o.jsfuckRun)
		if !ok {
			break
		}
		from = j
		n, end := 0, i
		for end < j && n < o.jsfuckRun {
			if isJSFuckByte(data[end]) {
				n++
			}
			end++
		}
		if n == o.jsfuckRun {
			out = append(out, newFinding(o.Name(), analyze.CatObfuscation, finding.SeverityHigh,
				"JSFuck-encoded code: a long run of only []()!+", f, i, end))
			break
		}
	}
	// _0x followed by 4-6 hex digits, not inside a longer identifier.
	hexIdents, firstHex := 0, -1
	for i := 0; ; i += 3 {
		k := bytes.Index(data[i:], []byte("_0x"))
		if k < 0 {
			break
		}
		i += k
		if i > 0 && isIdentByte(data[i-1]) {
			continue
		}
		n := 0
		for n < 7 && i+3+n < len(data) && isHexByte(data[i+3+n]) {
			n++
		}
		if n >= 4 && n <= 6 && i+6 < len(data) {
			if firstHex < 0 {
				firstHex = i
			}
			hexIdents++
		}
	}
	if hexIdents >= o.minHex && hexIdents*1024 >= o.perKB*len(data) {
		out = append(out, newFinding(o.Name(), analyze.CatObfuscation, finding.SeverityMedium,
			fmt.Sprintf("%d _0x identifiers: code run through javascript-obfuscator", hexIdents), f, firstHex, firstHex+8))
	}
	return out, nil
}
