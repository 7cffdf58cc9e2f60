package analyze

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/finding"
)

// fakeRule reports one finding per file whose data contains word.
type fakeRule struct {
	name, word, category string
	sev                  finding.Severity
	panics               bool
	err                  error
}

func (r *fakeRule) Name() string { return r.name }

func (r *fakeRule) Check(ctx context.Context, f File) ([]finding.Finding, error) {
	if r.panics {
		panic("boom")
	}
	if r.err != nil {
		return nil, r.err
	}
	i := strings.Index(string(f.Data), r.word)
	if i < 0 {
		return nil, nil
	}
	return []finding.Finding{{
		Rule: r.name, Category: r.category, Severity: r.sev,
		Location: &finding.Location{Path: f.Path, Line: 1 + strings.Count(string(f.Data[:i]), "\n")},
		Snippet:  string(f.Data[i:min(len(f.Data), i+len(r.word)+3)]),
	}}, nil
}

func TestRun(t *testing.T) {
	target := &Target{
		Name:    "x.tgz",
		Package: Package{Ecosystem: "npm", Name: "x", Version: "1.0.0"},
		Files: []File{
			{Path: "b.js", Kind: JavaScript, Data: []byte("a\nnetwork\u202e!")},
			{Path: "a.js", Kind: JavaScript, Data: []byte("creds\nnetwork")},
		},
		Findings: []finding.Finding{{Kind: "archive", Severity: finding.SeverityLow, Summary: "symlink", Location: &finding.Location{Path: "link"}}},
	}
	rules := []Rule{
		&fakeRule{name: "net", word: "network", category: CatNetwork, sev: finding.SeverityLow},
		&fakeRule{name: "cred", word: "creds", category: CatCredentials, sev: finding.SeverityHigh},
		&fakeRule{name: "bad", panics: true},
		&fakeRule{name: "err", err: errors.New("broken")},
	}
	res := Run(context.Background(), target, rules)
	pkg := finding.Package{Ecosystem: "npm", Name: "x", Version: "1.0.0"}
	want := Result{
		Target:  "x.tgz",
		Package: target.Package,
		Verdict: Suspicious,
		Findings: []finding.Finding{
			{Kind: SuspiciousCode, Severity: finding.SeverityHigh, Package: pkg, Rule: "cred", Category: CatCredentials, Location: &finding.Location{Path: "a.js", Line: 1}, Snippet: `creds\nne`},
			{Kind: SuspiciousCode, Severity: finding.SeverityLow, Package: pkg, Rule: "net", Category: CatNetwork, Location: &finding.Location{Path: "a.js", Line: 2}, Snippet: "network"},
			{Kind: SuspiciousCode, Severity: finding.SeverityLow, Package: pkg, Rule: "net", Category: CatNetwork, Location: &finding.Location{Path: "b.js", Line: 2}, Snippet: `network\u202e`},
			{Kind: "archive", Severity: finding.SeverityLow, Package: pkg, Summary: "symlink", Location: &finding.Location{Path: "link"}},
		},
		Errors: []string{
			"rule bad on b.js: panic: boom", "rule err on b.js: broken",
			"rule bad on a.js: panic: boom", "rule err on a.js: broken",
		},
	}
	want.Score, _ = Score(want.Findings)
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Run (-want +got):\n%s", diff)
	}
	if res.Score < 4 || res.Score >= 7 {
		t.Errorf("score %v, want suspicious", res.Score)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Run(ctx, &Target{Name: "x", Files: []File{{Path: "a.js", Data: []byte("network")}}},
		[]Rule{&fakeRule{name: "net", word: "network", category: CatNetwork}})
	if len(res.Findings) != 0 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "context canceled") {
		t.Errorf("Run on a cancelled context = %+v", res)
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("a", 300) + "EVAL" + strings.Repeat("b", 300)
	tests := []struct {
		name       string
		data       string
		start, end int
		want       string
	}{
		{"line", "x\n  eval(y)\nz", 4, 8, "eval(y)"},
		{"control and bidi", "a\x00b\u202ec\td", 0, 1, `a\x00b\u202ec\td`},
		{"invalid utf-8", "a\xffb", 0, 1, `a\xffb`},
		{"long line", long, 300, 304, "…" + strings.Repeat("a", 40) + "EVAL" + strings.Repeat("b", 114) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Snippet([]byte(tt.data), tt.start, tt.end)
			if got != tt.want {
				t.Errorf("Snippet = %q, want %q", got, tt.want)
			}
			if again := EscapeSnippet(got); again != got {
				t.Errorf("EscapeSnippet is not idempotent: %q -> %q", got, again)
			}
		})
	}
}
