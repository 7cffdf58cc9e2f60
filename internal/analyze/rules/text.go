package rules

import (
	"bytes"
	"path"
	"strings"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// codeKinds are the kinds of file that hold program code.
var codeKinds = map[analyze.Kind]bool{
	analyze.JavaScript: true, analyze.Python: true, analyze.PTH: true, analyze.Go: true,
	analyze.Ruby: true, analyze.Rust: true, analyze.Shell: true, analyze.PowerShell: true,
	analyze.Batch: true,
}

// lineAt returns the 1-based line of offset off in data.
func lineAt(data []byte, off int) int {
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// newFinding builds a finding of a Go detector at data[start:end].
func newFinding(id, category string, sev finding.Severity, summary string, f analyze.File, start, end int) finding.Finding {
	return finding.Finding{
		Kind:     analyze.SuspiciousCode,
		Severity: sev,
		Summary:  summary,
		Rule:     id,
		Category: category,
		Location: &finding.Location{Path: f.Path, Line: lineAt(f.Data, start)},
		Snippet:  analyze.Snippet(f.Data, start, end),
	}
}

// bundlePath reports whether p is where built, bundled or minified code
// normally lives, so long lines and big literals are expected there.
func bundlePath(p string) bool {
	lp := strings.ToLower(p)
	base := path.Base(lp)
	if strings.Contains(base, ".min.") || strings.Contains(base, "-min.") || strings.Contains(base, ".bundle.") ||
		strings.HasSuffix(base, ".map") || strings.Contains(base, "bundle") {
		return true
	}
	for _, dir := range []string{"dist/", "build/", "bundle/", "bundles/", "umd/", "vendor/", "cdn/", "browser/", "esm/", "cjs/", "out/", "min/", "static/", "public/"} {
		if strings.HasPrefix(lp, dir) || strings.Contains(lp, "/"+dir) {
			return true
		}
	}
	return false
}
