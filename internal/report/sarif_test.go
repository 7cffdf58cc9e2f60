package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sapperhq/sapper/internal/finding"
)

// sarifSchemaFile is the OASIS SARIF 2.1.0 schema (see testdata/README.md
// for where the copy comes from).
var sarifSchemaFile = filepath.Join("testdata", "sarif-schema-2.1.0.json")

func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(sarifSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", sarifSchemaFile, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(sarifSchema, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(sarifSchema)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestSARIFSchema validates the SARIF output of every golden case against
// the official schema, and checks what GitHub code scanning requires beyond
// it.
func TestSARIFSchema(t *testing.T) {
	sch := compileSARIFSchema(t)
	reports := map[string]*Report{}
	for _, c := range goldenCases(t) {
		reports[c.name] = c.report
	}
	// Tool and version left empty, and a result of every level.
	reports["defaults"] = &Report{Findings: []finding.Finding{
		{Kind: finding.Vulnerable, Action: finding.Allow, Package: finding.Package{Ecosystem: "Go", Name: "golang.org/x/net"}},
	}}
	for name, r := range reports {
		t.Run(name, func(t *testing.T) {
			out := render(t, "sarif", Options{}, r)
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Fatalf("SARIF output does not validate: %v\n%s", err, out)
			}
			checkGitHubSARIF(t, out, r)
		})
	}
}

// TestSARIFSchemaRejects makes sure the validation above can fail.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := compileSARIFSchema(t)
	for name, doc := range map[string]string{
		"no-version":    `{"runs": []}`,
		"wrong-version": `{"version": "2.0.0", "runs": []}`,
		"bad-level":     `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
		"line-zero":     `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"}, "region": {"startLine": 0}}}]}]}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err == nil {
			t.Errorf("%s: schema accepted %s", name, doc)
		}
	}
}

// checkGitHubSARIF checks the rules GitHub code scanning applies on upload
// and the promises SARIF.Write makes.
func checkGitHubSARIF(t *testing.T, out string, r *Report) {
	t.Helper()
	var log sarifLog
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "sapper" {
		t.Errorf("driver name %q, want sapper", run.Tool.Driver.Name)
	}
	kinds := map[finding.Kind]bool{}
	for _, f := range r.Findings {
		kinds[f.Kind] = true
	}
	if len(run.Tool.Driver.Rules) != len(kinds) {
		t.Errorf("%d rules for %d kinds", len(run.Tool.Driver.Rules), len(kinds))
	}
	for _, rule := range run.Tool.Driver.Rules {
		if !kinds[finding.Kind(rule.ID)] {
			t.Errorf("rule %q has no finding", rule.ID)
		}
		if s := rule.Properties.SecuritySeverity; s != "" {
			if v, err := strconv.ParseFloat(s, 64); err != nil || v < 0 || v > 10 {
				t.Errorf("rule %q: security-severity %q is not a number from 0 to 10", rule.ID, s)
			}
		}
		if rule.Properties.Tags[0] != "security" {
			t.Errorf("rule %q: tags %q do not start with security", rule.ID, rule.Properties.Tags)
		}
	}
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
	}
	seen := map[string]bool{}
	for i, res := range run.Results {
		f := r.Findings[i]
		if res.RuleIndex < 0 || res.RuleIndex >= len(run.Tool.Driver.Rules) || run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleIndex %d does not point at rule %q", i, res.RuleIndex, res.RuleID)
		}
		if res.RuleID != string(f.Kind) {
			t.Errorf("result %d: ruleId %q, want %q", i, res.RuleID, f.Kind)
		}
		if len(res.Locations) != 1 {
			t.Fatalf("result %d: %d locations, want 1", i, len(res.Locations))
		}
		loc := res.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI == "" || strings.Contains(loc.ArtifactLocation.URI, " ") {
			t.Errorf("result %d: bad uri %q", i, loc.ArtifactLocation.URI)
		}
		if loc.Region.StartLine < 1 {
			t.Errorf("result %d: startLine %d, want >= 1", i, loc.Region.StartLine)
		}
		if f.Location != nil && f.Location.Line > 0 && loc.Region.StartLine != f.Location.Line {
			t.Errorf("result %d: startLine %d, want %d", i, loc.Region.StartLine, f.Location.Line)
		}
		fp := res.PartialFingerprints[fingerprintKey]
		if len(fp) != 64 {
			t.Errorf("result %d: fingerprint %q", i, fp)
		}
		seen[fp] = true
		if !strings.Contains(res.Message.Text, f.Package.Name) && !strings.ContainsAny(f.Package.Name, "\x1b\r\n[]") {
			t.Errorf("result %d: message %q does not name %q", i, res.Message.Text, f.Package.Name)
		}
	}
	if len(seen) != len(run.Results) {
		t.Errorf("%d distinct fingerprints for %d results", len(seen), len(run.Results))
	}
}

func TestSARIFResult(t *testing.T) {
	base := finding.Finding{
		Kind: finding.Vulnerable, Severity: finding.SeverityHigh, Action: finding.Warn,
		Package: finding.Package{Ecosystem: "npm", Name: "express", Version: "4.0.0"},
		IDs:     []string{"GHSA-rv95-896h-c2vc"}, Summary: "Open redirect\nin [express](http://x)", Fixed: "4.19.2",
	}
	at := func(f finding.Finding, path string, line int) finding.Finding {
		f.Location = &finding.Location{Path: path, Line: line}
		return f
	}
	tests := []struct {
		name      string
		f         finding.Finding
		level     string
		uri       string
		startLine int
	}{
		{"no-location", base, "warning", "sapper-check", 1},
		{"no-line", at(base, "web/package-lock.json", 0), "warning", "web/package-lock.json", 1},
		{"line", at(base, "web/package-lock.json", 42), "warning", "web/package-lock.json", 42},
		{"escaped", at(base, "a b/c#d.json", 3), "warning", "a%20b/c%23d.json", 3},
		{"colon", at(base, "c:pkg.json", 3), "warning", "./c:pkg.json", 3},
		{"block", func() finding.Finding { f := base; f.Action = finding.Block; return f }(), "error", "sapper-check", 1},
		{"allow", func() finding.Finding { f := base; f.Action = finding.Allow; return f }(), "note", "sapper-check", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newResult(tt.f, 0)
			got := []any{res.Level, res.Locations[0].PhysicalLocation.ArtifactLocation.URI, res.Locations[0].PhysicalLocation.Region.StartLine}
			want := []any{tt.level, tt.uri, tt.startLine}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("level, uri, startLine (-want +got):\n%s", diff)
			}
			wantMsg := `npm package express 4.0.0 is vulnerable (GHSA-rv95-896h-c2vc): Open redirect in \[express\](http://x); fixed in 4.19.2`
			if diff := cmp.Diff(wantMsg, res.Message.Text); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSARIFFingerprint checks that the fingerprint ignores what moves
// between runs (line, severity, summary) and changes with what identifies
// the finding.
func TestSARIFFingerprint(t *testing.T) {
	base := finding.Finding{
		Kind: finding.Malicious, Severity: finding.SeverityCritical, Action: finding.Block,
		Package:  finding.Package{Ecosystem: "npm", Name: "a", Version: "1.0.0"},
		Location: &finding.Location{Path: "package-lock.json", Line: 10},
	}
	fp := func(change func(*finding.Finding)) string {
		f := base
		loc := *base.Location
		f.Location = &loc
		change(&f)
		return newResult(f, 0).PartialFingerprints[fingerprintKey]
	}
	want := fp(func(*finding.Finding) {})
	same := map[string]func(*finding.Finding){
		"line":     func(f *finding.Finding) { f.Location.Line = 99 },
		"severity": func(f *finding.Finding) { f.Severity = finding.SeverityLow },
		"summary":  func(f *finding.Finding) { f.Summary = "new text" },
		"ids":      func(f *finding.Finding) { f.IDs = []string{"MAL-1"} },
	}
	for name, change := range same {
		if got := fp(change); got != want {
			t.Errorf("changing the %s changed the fingerprint", name)
		}
	}
	differs := map[string]func(*finding.Finding){
		"kind":      func(f *finding.Finding) { f.Kind = finding.Vulnerable },
		"ecosystem": func(f *finding.Finding) { f.Package.Ecosystem = "PyPI" },
		"name":      func(f *finding.Finding) { f.Package.Name = "b" },
		"version":   func(f *finding.Finding) { f.Package.Version = "1.0.1" },
		"path":      func(f *finding.Finding) { f.Location.Path = "web/package-lock.json" },
		"boundary":  func(f *finding.Finding) { f.Package.Name = "a\x001.0.0"; f.Package.Version = "" },
		"no-path":   func(f *finding.Finding) { f.Location = nil },
	}
	for name, change := range differs {
		if got := fp(change); got == want {
			t.Errorf("changing the %s kept the fingerprint", name)
		}
	}
}

// TestSARIFRules checks one rule per kind, malicious first, with the worst
// severity of the kind.
func TestSARIFRules(t *testing.T) {
	fs := []finding.Finding{
		{Kind: finding.Vulnerable, Severity: finding.SeverityMedium},
		{Kind: "typosquat", Severity: finding.SeverityUnknown},
		{Kind: finding.Vulnerable, Severity: finding.SeverityHigh},
		{Kind: finding.Malicious, Severity: finding.SeverityCritical},
		{Kind: finding.Vulnerable, Severity: finding.SeverityLow},
	}
	var got []string
	for _, k := range ruleOrder(fs) {
		r := newRule(k, fs)
		got = append(got, r.ID+" "+r.DefaultConfiguration.Level+" "+r.Properties.SecuritySeverity)
	}
	want := []string{"malicious error 9.8", "typosquat warning ", "vulnerable warning 7.5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := (SARIF{}).Write(&buf, &Report{Findings: fs}); err != nil {
		t.Fatal(err)
	}
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	var idx []int
	for _, r := range log.Runs[0].Results {
		idx = append(idx, r.RuleIndex)
	}
	if diff := cmp.Diff([]int{2, 1, 2, 0, 2}, idx); diff != "" {
		t.Errorf("ruleIndex (-want +got):\n%s", diff)
	}
}
