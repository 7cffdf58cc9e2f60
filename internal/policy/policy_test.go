package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

const good = `# policy of a project
fail-on = "high"

[[ignore]]
id = "GHSA-1111-2222-3333"
reason = "we never call the vulnerable merge()"
expires = 2027-01-31

[[ignore]]
package = "npm:left-pad@1.3.0"
reason = "vendored and patched"

[[ignore]]
package = "pypi:Foo_Bar"
reason = "internal fork"
expires = "2026-01-01"

[private]
scopes = ["@acme"]
prefixes = ["acme-", "pypi:acme_"]
registries = ["https://npm.acme.example/"]
`

func TestParse(t *testing.T) {
	cfg, err := Parse("sapper.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path:   "sapper.toml",
		FailOn: FailHigh,
		Ignores: []Ignore{
			{ID: "GHSA-1111-2222-3333", Reason: "we never call the vulnerable merge()", Expires: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), Line: 4},
			{Ecosystem: ecosystem.NPM, Name: "left-pad", Version: "1.3.0", Reason: "vendored and patched", Line: 9},
			{Ecosystem: ecosystem.PyPI, Name: "Foo_Bar", Reason: "internal fork", Expires: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Line: 13},
		},
		Private: Private{Scopes: []string{"@acme"}, Prefixes: []string{"acme-", "pypi:acme_"}, Registries: []string{"https://npm.acme.example/"}},
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"syntax", "fail-on = \n", "sapper.toml:1: toml:"},
		{"unknown-key", "fail-on = \"block\"\nfial = 1\n", `sapper.toml:2: unknown key "fial"`},
		{"unknown-nested-key", "[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpire = 2027-01-01\n", `sapper.toml:4: unknown key "ignore.expire"`},
		{"bad-level", "fail-on = \"sometimes\"\n", `sapper.toml:1: fail-on: unknown level "sometimes"`},
		{"no-reason", "[[ignore]]\nid = \"X\"\n", `sapper.toml:1: ignore: needs a "reason"`},
		{"no-subject", "x = 1\n", `unknown key "x"`},
		{"neither", "[[ignore]]\nreason = \"r\"\n", `sapper.toml:1: ignore: needs an "id"`},
		{"both", "[[ignore]]\nid = \"X\"\npackage = \"npm:a\"\nreason = \"r\"\n", `give "id" or "package", not both`},
		{"bad-package", "[[ignore]]\npackage = \"left-pad\"\nreason = \"r\"\n", `want ECOSYSTEM:NAME`},
		{"bad-date", "\n[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"next week\"\n", `sapper.toml:2: ignore: expires: "next week" is not a date`},
		{"wrong-type", "fail-on = 3\n", "sapper.toml:1:"},
		{"bad-scope", "[private]\nscopes = [\"acme\"]\n", `sapper.toml:2: private.scopes: "acme" is not an npm scope`},
		{"bad-registry", "[private]\nregistries = [\"npm.acme\"]\n", `private.registries: "npm.acme" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("sapper.toml", []byte(tt.data))
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want an *Error containing %q", err, tt.want)
			}
		})
	}
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "a", "b")
	os.MkdirAll(sub, 0o755)
	if got := Find(sub); got != "" && !strings.HasPrefix(root, filepath.Dir(got)) {
		t.Fatalf("Find with no policy = %q", got)
	}
	os.WriteFile(filepath.Join(root, "a", FileName), []byte(""), 0o644)
	if got, want := Find(sub), filepath.Join(root, "a", FileName); got != want {
		t.Errorf("Find = %q, want %q", got, want)
	}
}

func mal(eco, name, ver string, ids ...string) finding.Finding {
	return finding.Finding{Kind: finding.Malicious, Severity: finding.SeverityCritical, Action: finding.Block,
		Package: finding.Package{Ecosystem: eco, Name: name, Version: ver}, IDs: ids}
}

func vuln(eco, name, ver string, sev finding.Severity, ids ...string) finding.Finding {
	return finding.Finding{Kind: finding.Vulnerable, Severity: sev, Action: finding.Warn,
		Package: finding.Package{Ecosystem: eco, Name: name, Version: ver}, IDs: ids}
}

func TestEvaluate(t *testing.T) {
	cfg, err := Parse("sapper.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	in := []finding.Finding{
		vuln("npm", "lodash", "4.17.20", finding.SeverityHigh, "GHSA-1111-2222-3333"),                // ignored by ID
		vuln("npm", "express", "4.0.0", finding.SeverityMedium, "GHSA-1111-2222-3333", "GHSA-other"), // one ID left
		mal("npm", "left-pad", "1.3.0", "MAL-1"),                                                     // ignored by package
		mal("npm", "left-pad", "1.3.1", "MAL-2"),                                                     // other version stands
		mal("PyPI", "foo.bar", "1.0", "MAL-3"),                                                       // ignore expired
	}
	withAlias := mal("npm", "evil", "1.0.0", "MAL-4")
	withAlias.Aliases = []string{"GHSA-1111-2222-3333"}
	in = append(in, withAlias) // ignored through its alias

	res := Evaluate(in, cfg, now)
	var kept []string
	for _, f := range res.Findings {
		kept = append(kept, f.Package.Name+"@"+f.Package.Version+":"+strings.Join(f.IDs, ","))
	}
	if diff := cmp.Diff([]string{"express@4.0.0:GHSA-other", "left-pad@1.3.1:MAL-2", "foo.bar@1.0:MAL-3"}, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if len(res.Ignored) != 3 || res.Ignored[1].Reason != "vendored and patched" {
		t.Errorf("ignored = %+v", res.Ignored)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "sapper.toml:13: the ignore of PyPI:Foo_Bar expired on 2026-01-01") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	// Before it expires, the PyPI ignore applies (PEP 503 names).
	if res := Evaluate(in, cfg, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)); len(res.Findings) != 2 || len(res.Warnings) != 0 {
		t.Errorf("before expiry: %d findings, warnings %q", len(res.Findings), res.Warnings)
	}
	// No policy: everything stands.
	if res := Evaluate(in, nil, now); len(res.Findings) != len(in) {
		t.Errorf("nil policy kept %d of %d", len(res.Findings), len(in))
	}
}

func TestLevelReached(t *testing.T) {
	m := mal("npm", "a", "1", "MAL-1")
	high := vuln("npm", "b", "1", finding.SeverityHigh, "G-1")
	unknown := vuln("npm", "c", "1", finding.SeverityUnknown, "G-2")
	tests := []struct {
		level Level
		want  [3]bool
	}{
		{"", [3]bool{true, false, false}},
		{FailBlock, [3]bool{true, false, false}},
		{FailWarn, [3]bool{true, true, true}},
		{FailCritical, [3]bool{true, false, false}},
		{FailHigh, [3]bool{true, true, false}},
		{FailLow, [3]bool{true, true, false}},
		{FailAny, [3]bool{true, true, true}},
		{FailNone, [3]bool{false, false, false}},
	}
	for _, tt := range tests {
		got := [3]bool{tt.level.Reached(m), tt.level.Reached(high), tt.level.Reached(unknown)}
		if got != tt.want {
			t.Errorf("%q.Reached = %v, want %v", tt.level, got, tt.want)
		}
	}
	if _, err := ParseLevel("often"); err == nil {
		t.Errorf("ParseLevel(often): no error")
	}
}

func TestIsPrivate(t *testing.T) {
	cfg, _ := Parse("sapper.toml", []byte(good))
	tests := []struct {
		eco      ecosystem.Ecosystem
		name     string
		registry string
		want     bool
	}{
		{ecosystem.NPM, "@acme/ui", "", true},
		{ecosystem.NPM, "@acmecorp/ui", "", false},
		{ecosystem.NPM, "acme-utils", "", true},
		{ecosystem.PyPI, "acme_utils", "", true},
		{ecosystem.PyPI, "Acme.Tools", "", true},
		{ecosystem.Go, "acme-x", "", true},
		{ecosystem.NPM, "lodash", "https://npm.acme.example/lodash/-/lodash-4.tgz", true},
		{ecosystem.NPM, "lodash", "https://npm.acme.example.evil/x", false},
		{ecosystem.NPM, "lodash", "", false},
	}
	for _, tt := range tests {
		if got := cfg.IsPrivate(tt.eco, tt.name, tt.registry); got != tt.want {
			t.Errorf("IsPrivate(%s, %q, %q) = %v, want %v", tt.eco, tt.name, tt.registry, got, tt.want)
		}
	}
	var none *Config
	if none.IsPrivate(ecosystem.NPM, "@acme/ui", "") {
		t.Errorf("nil config makes a package private")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("fail-on = \"warn\"\n[[ignore]]\nid=\"X\"\nreason=\"r\"\n"))
	f.Add([]byte("[private]\nscopes=[\"@a\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.toml", data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is not an *Error: %v", err)
			}
			return
		}
		for _, ig := range cfg.Ignores {
			if ig.Reason == "" || (ig.ID == "" && ig.Name == "") {
				t.Fatalf("accepted an ignore without reason or subject: %+v", ig)
			}
		}
	})
}

func TestAllow(t *testing.T) {
	const sum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	cfg, err := Parse("sapper.toml", []byte(`
[[allow]]
package = "npm:esbuild"
path = "lib/*.js"
rule = "js-child-process"
sha256 = "`+strings.ToUpper(sum)+`"
reason = "runs its own platform binary; reviewed"
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, pkg, path, rule, sha string
		want                       bool
	}{
		{"match", "esbuild", "lib/main.js", "js-child-process", sum, true},
		{"other-content", "esbuild", "lib/main.js", "js-child-process", strings.Repeat("0", 64), false},
		{"other-rule", "esbuild", "lib/main.js", "js-network", sum, false},
		{"other-path", "esbuild", "install.js", "js-child-process", sum, false},
		{"other-package", "esbuild-wasm", "lib/main.js", "js-child-process", sum, false},
	}
	for _, tt := range tests {
		if _, got := cfg.Allowed(ecosystem.NPM, tt.pkg, "0.25.0", tt.path, tt.rule, tt.sha); got != tt.want {
			t.Errorf("%s: Allowed = %v, want %v", tt.name, got, tt.want)
		}
	}
	for name, data := range map[string]string{
		"no-sha":    "[[allow]]\npackage = \"npm:a\"\npath = \"x.js\"\nrule = \"r\"\nreason = \"r\"\n",
		"bad-sha":   "[[allow]]\npackage = \"npm:a\"\npath = \"x.js\"\nrule = \"r\"\nsha256 = \"xyz\"\nreason = \"r\"\n",
		"no-reason": "[[allow]]\npackage = \"npm:a\"\npath = \"x.js\"\nrule = \"r\"\nsha256 = \"" + sum + "\"\n",
		"no-path":   "[[allow]]\npackage = \"npm:a\"\nrule = \"r\"\nsha256 = \"" + sum + "\"\nreason = \"r\"\n",
		"bad-glob":  "[[allow]]\npackage = \"npm:a\"\npath = \"[\"\nrule = \"r\"\nsha256 = \"" + sum + "\"\nreason = \"r\"\n",
	} {
		if _, err := Parse("sapper.toml", []byte(data)); err == nil || !strings.Contains(err.Error(), "sapper.toml:1: allow:") {
			t.Errorf("%s: err = %v, want an allow error at line 1", name, err)
		}
	}
}
