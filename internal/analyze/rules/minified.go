package rules

import (
	"context"
	"fmt"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// misplacedMinified finds minified or packed code where it does not
// belong: very long lines in a code file that is not a bundle (not
// *.min.js, not under dist/, build/, ...). Malware hides a payload at the
// end of a long line or in a one-line file beside readable sources.
//
// TODO: the package's size would sharpen this (a one-file 3 KB package
// that is one line is odd; a large package shipping lib/ compiled with a
// minifier is not), but rules see one file at a time.
type misplacedMinified struct {
	longLine int // a line at least this long is minified
	avgLine  int // and the file's average line is at least this long
}

var _ analyze.Rule = (*misplacedMinified)(nil)

func newMisplacedMinified() *misplacedMinified {
	return &misplacedMinified{longLine: 2000, avgLine: 300}
}

func (*misplacedMinified) Name() string { return "misplaced-minified-code" }

func (m *misplacedMinified) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	if !codeKinds[f.Kind] || bundlePath(f.Path) || len(f.Data) < m.longLine {
		return nil, nil
	}
	data := f.Data
	lines, start, longest, longStart := 1, 0, 0, 0
	for i, b := range data {
		if b != '\n' {
			continue
		}
		if i-start > longest {
			longest, longStart = i-start, start
		}
		lines++
		start = i + 1
	}
	if len(data)-start > longest {
		longest, longStart = len(data)-start, start
	}
	if longest < m.longLine || len(data)/lines < m.avgLine {
		return nil, nil
	}
	sev := finding.SeverityLow
	if f.Kind != analyze.JavaScript {
		sev = finding.SeverityMedium // minified Python, Ruby, shell, ... is rarer still
	}
	return []finding.Finding{newFinding(m.Name(), analyze.CatObfuscation, sev,
		fmt.Sprintf("minified code outside a bundle: a %d-byte line, %d bytes per line on average", longest, len(data)/lines),
		f, longStart, longStart+80)}, nil
}
