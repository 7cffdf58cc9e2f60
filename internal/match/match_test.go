package match

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/osv"
)

// memSource is an in-memory Source: records filed by normalised name.
type memSource map[string][]*osv.Vulnerability

func (m memSource) Lookup(_ context.Context, eco ecosystem.Ecosystem, name string) ([]*osv.Vulnerability, error) {
	return m[string(eco)+"/"+ecosystem.Normalize(eco, name)], nil
}

func newSource(vs ...*osv.Vulnerability) memSource {
	m := memSource{}
	for _, v := range vs {
		seen := map[string]bool{}
		for _, a := range v.Affected {
			eco, err := ecosystem.Parse(a.Package.Ecosystem)
			if err != nil {
				panic(err)
			}
			k := string(eco) + "/" + ecosystem.Normalize(eco, a.Package.Name)
			if !seen[k] {
				seen[k] = true
				m[k] = append(m[k], v)
			}
		}
	}
	return m
}

func rng(typ osv.RangeType, events ...string) osv.Range {
	r := osv.Range{Type: typ}
	for _, e := range events {
		k, v, _ := strings.Cut(e, "=")
		switch k {
		case "introduced":
			r.Events = append(r.Events, osv.Event{Introduced: v})
		case "fixed":
			r.Events = append(r.Events, osv.Event{Fixed: v})
		case "last_affected":
			r.Events = append(r.Events, osv.Event{LastAffected: v})
		case "limit":
			r.Events = append(r.Events, osv.Event{Limit: v})
		default:
			panic(e)
		}
	}
	return r
}

func rec(id, eco, name string, versions []string, ranges ...osv.Range) *osv.Vulnerability {
	return &osv.Vulnerability{ID: id, Summary: "summary of " + id, Affected: []osv.Affected{{
		Package: osv.Package{Ecosystem: eco, Name: name}, Versions: versions, Ranges: ranges,
	}}}
}

func TestAffects(t *testing.T) {
	tests := []struct {
		name string
		v    *osv.Vulnerability
		eco  ecosystem.Ecosystem
		pkg  string
		ver  string
		want bool
	}{
		// Explicit versions, compared in canonical form.
		{"npm-list-hit", rec("A", "npm", "x", []string{"1.0.0"}), "npm", "x", "1.0.0", true},
		{"npm-list-miss", rec("A", "npm", "x", []string{"1.0.0"}), "npm", "x", "1.0.1", false},
		{"pypi-canonical", rec("A", "PyPI", "x", []string{"1.0"}), "PyPI", "x", "1.0.0", true},
		{"pypi-canonical-rev", rec("A", "PyPI", "x", []string{"1.0.0"}), "PyPI", "x", "1.0", true},
		{"pypi-name-normalised", rec("A", "PyPI", "Foo_Bar", []string{"1.0"}), "PyPI", "foo.bar", "1.0", true},
		{"go-v-prefix", rec("A", "Go", "example.com/m", []string{"1.2.3"}), "Go", "example.com/m", "v1.2.3", true},
		{"nuget-case", rec("A", "NuGet", "Foo.Bar", []string{"1.0.0"}), "NuGet", "foo.bar", "1.0.0", true},
		{"crates-underscore", rec("A", "crates.io", "foo_bar", []string{"0.1.0"}), "crates.io", "foo-bar", "0.1.0", true},
		{"other-ecosystem-list", rec("A", "Hackage", "aeson", []string{"2.0.0"}), "Hackage", "aeson", "2.0.0", true},
		{"wrong-ecosystem", rec("A", "npm", "x", []string{"1.0.0"}), "PyPI", "x", "1.0.0", false},
		{"no-version-every-record", rec("A", "npm", "x", []string{"1.0.0"}), "npm", "x", "", true},

		// Ranges.
		{"introduced-0", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=0")), "npm", "x", "99.0.0", true},
		{"introduced-0-unparsable", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=0")), "npm", "x", "not-a-version", true},
		{"introduced-0-unordered-eco", rec("A", "Hackage", "x", nil, rng("ECOSYSTEM", "introduced=0")), "Hackage", "x", "1", true},
		{"fixed-below", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=1.95.6", "fixed=1.95.8")), "npm", "x", "1.95.5", false},
		{"fixed-at-introduced", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=1.95.6", "fixed=1.95.8")), "npm", "x", "1.95.6", true},
		{"fixed-inside", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=1.95.6", "fixed=1.95.8")), "npm", "x", "1.95.7", true},
		{"fixed-at-fixed", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=1.95.6", "fixed=1.95.8")), "npm", "x", "1.95.8", false},
		{"fixed-prerelease-of-fixed", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=1.0.0", "fixed=2.0.0")), "npm", "x", "2.0.0-rc.1", true},
		{"last-affected-at", rec("A", "PyPI", "x", nil, rng("ECOSYSTEM", "introduced=1.0", "last_affected=1.5")), "PyPI", "x", "1.5", true},
		{"last-affected-above", rec("A", "PyPI", "x", nil, rng("ECOSYSTEM", "introduced=1.0", "last_affected=1.5")), "PyPI", "x", "1.5.post1", false},
		{"pypi-dev-before-introduced", rec("A", "PyPI", "x", nil, rng("ECOSYSTEM", "introduced=1.0")), "PyPI", "x", "1.0.dev1", false},
		{"limit", rec("A", "Go", "m", nil, rng("SEMVER", "introduced=0", "limit=1.5.0")), "Go", "m", "v1.6.0", false},
		{"limit-below", rec("A", "Go", "m", nil, rng("SEMVER", "introduced=0", "limit=1.5.0")), "Go", "m", "v1.4.0", true},
		{"go-fixed-v", rec("A", "Go", "m", nil, rng("SEMVER", "introduced=1.2.0", "fixed=1.2.5")), "Go", "m", "v1.2.4", true},
		{"go-fixed-v-miss", rec("A", "Go", "m", nil, rng("SEMVER", "introduced=1.2.0", "fixed=1.2.5")), "Go", "m", "v1.2.5", false},
		{"two-intervals-gap", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=1.0.0", "fixed=1.1.0", "introduced=2.0.0", "fixed=2.1.0")), "npm", "x", "1.5.0", false},
		{"two-intervals-second", rec("A", "npm", "x", nil, rng("SEMVER", "introduced=1.0.0", "fixed=1.1.0", "introduced=2.0.0", "fixed=2.1.0")), "npm", "x", "2.0.5", true},
		{"unsorted-events", rec("A", "npm", "x", nil, rng("SEMVER", "fixed=2.1.0", "introduced=2.0.0")), "npm", "x", "2.0.5", true},
		{"maven", rec("A", "Maven", "g:a", nil, rng("ECOSYSTEM", "introduced=2.0-beta9", "fixed=2.15.0")), "Maven", "g:a", "2.14.1", true},
		{"maven-fixed", rec("A", "Maven", "g:a", nil, rng("ECOSYSTEM", "introduced=2.0-beta9", "fixed=2.15.0")), "Maven", "g:a", "2.15.0", false},
		{"rubygems-prerelease", rec("A", "RubyGems", "r", nil, rng("ECOSYSTEM", "introduced=7.0.0", "fixed=7.0.1")), "RubyGems", "r", "7.0.1.rc1", true},
		{"nuget-4part", rec("A", "NuGet", "n", nil, rng("ECOSYSTEM", "introduced=1.0", "fixed=1.0.0.5")), "NuGet", "n", "1.0.0.4", true},
		{"git-range-never", rec("A", "npm", "x", nil, osv.Range{Type: osv.RangeGit, Repo: "r", Events: []osv.Event{{Introduced: "0"}}}), "npm", "x", "1.0.0", false},
		{"withdrawn-ignored-by-lookup", nil, "npm", "x", "1.0.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.v == nil {
				v := rec("W", "npm", "x", []string{"1.0.0"})
				v.Withdrawn = v.Modified.AddDate(1, 0, 0)
				res, err := Lookup(context.Background(), newSource(v), Query{Ecosystem: tt.eco, Name: tt.pkg, Version: tt.ver})
				if err != nil || len(res.Vulns) != 0 {
					t.Errorf("withdrawn record matched: %v %v", res.Vulns, err)
				}
				return
			}
			got, notes := Affects(tt.v, tt.eco, tt.pkg, tt.ver)
			if got != tt.want {
				t.Errorf("Affects(%s %s@%s) = %v, want %v (notes %q)", tt.eco, tt.pkg, tt.ver, got, tt.want, notes)
			}
		})
	}
}

func TestNotes(t *testing.T) {
	// A range of an ecosystem sapper cannot order is reported, not guessed.
	_, notes := Affects(rec("A", "Hackage", "x", nil, rng("ECOSYSTEM", "introduced=1.0", "fixed=2.0")), "Hackage", "x", "1.5")
	if len(notes) != 1 || !strings.Contains(notes[0], "not evaluated") {
		t.Errorf("notes = %q, want one 'not evaluated'", notes)
	}
	// A version that does not parse cannot be placed in a range.
	ok, notes := Affects(rec("A", "npm", "x", nil, rng("SEMVER", "introduced=1.0.0")), "npm", "x", "garbage")
	if ok || len(notes) != 1 || !strings.Contains(notes[0], "does not parse") {
		t.Errorf("Affects = %v, notes = %q; want false and one 'does not parse'", ok, notes)
	}
}

func TestLookupFindings(t *testing.T) {
	src := newSource(
		rec("MAL-2024-11183", "npm", "@solana/web3.js", nil, rng("SEMVER", "introduced=1.95.6", "fixed=1.95.8")),
		&osv.Vulnerability{ID: "MAL-2024-2", Aliases: []string{"GHSA-b"}, Summary: "second", Affected: []osv.Affected{{
			Package: osv.Package{Ecosystem: "npm", Name: "@solana/web3.js"}, Versions: []string{"1.95.7"}}}},
		rec("GHSA-vuln", "npm", "@solana/web3.js", nil, rng("SEMVER", "introduced=0", "fixed=2.0.0")),
	)
	q := Query{Ecosystem: "npm", Name: "@solana/web3.js", Version: "1.95.7", PURL: "pkg:npm/%40solana/web3.js@1.95.7"}
	res, err := Lookup(context.Background(), src, q)
	if err != nil {
		t.Fatal(err)
	}
	want := []finding.Finding{
		{
			Kind: finding.Malicious, Severity: finding.SeverityCritical, Action: finding.Block,
			Package: finding.Package{Ecosystem: "npm", Name: "@solana/web3.js", Version: "1.95.7", PURL: q.PURL},
			IDs:     []string{"MAL-2024-11183", "MAL-2024-2"}, Aliases: []string{"GHSA-b"},
			Summary: "summary of MAL-2024-11183",
		},
		{
			Kind: finding.Vulnerable, Severity: finding.SeverityUnknown, Action: finding.Warn,
			Package: finding.Package{Ecosystem: "npm", Name: "@solana/web3.js", Version: "1.95.7", PURL: q.PURL},
			IDs:     []string{"GHSA-vuln"}, Summary: "summary of GHSA-vuln", Fixed: "2.0.0",
		},
	}
	if diff := cmp.Diff(want, Findings(res)); diff != "" {
		t.Errorf("Findings (-want +got):\n%s", diff)
	}

	res, _ = Lookup(context.Background(), src, Query{Ecosystem: "npm", Name: "@solana/web3.js", Version: "1.95.8"})
	if diff := cmp.Diff([]string{"GHSA-vuln"}, idsOf(res.Vulns)); diff != "" {
		t.Errorf("1.95.8 (-want +got):\n%s", diff)
	}
}

func idsOf(vs []*osv.Vulnerability) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func TestSeverity(t *testing.T) {
	withSev := func(score string, ds string) *osv.Vulnerability {
		v := &osv.Vulnerability{ID: "X"}
		if score != "" {
			v.Severity = []osv.Severity{{Type: "CVSS_V3", Score: score}}
		}
		if ds != "" {
			v.DatabaseSpecific = []byte(ds)
		}
		return v
	}
	tests := []struct {
		name string
		v    *osv.Vulnerability
		want finding.Severity
	}{
		{"cvss31-critical", withSev("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", ""), finding.SeverityCritical},
		{"cvss30-medium", withSev("CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N", ""), finding.SeverityMedium},
		{"cvss40-high", withSev("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", ""), finding.SeverityHigh},
		{"cvss-beats-label", withSev("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", `{"severity":"LOW"}`), finding.SeverityCritical},
		{"label-moderate", withSev("", `{"severity":"MODERATE"}`), finding.SeverityMedium},
		{"bad-vector-falls-back", withSev("CVSS:3.1/AV:X", `{"severity":"HIGH"}`), finding.SeverityHigh},
		{"cvss2-not-rated", withSev("AV:N/AC:L/Au:N/C:P/I:P/A:P", ""), finding.SeverityUnknown},
		{"label-wrong-type", withSev("", `{"severity":7}`), finding.SeverityUnknown},
		{"nothing", withSev("", ""), finding.SeverityUnknown},
	}
	for _, tt := range tests {
		if got := Severity(tt.v); got != tt.want {
			t.Errorf("%s: Severity = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestFixed: the fixed version is the lowest that fixes every matching
// record, as the record writes it; unknown when one record names no fix.
func TestFixed(t *testing.T) {
	a := rec("GHSA-a", "PyPI", "x", nil, rng("ECOSYSTEM", "introduced=0", "fixed=1.5"))
	b := rec("GHSA-b", "PyPI", "x", nil, rng("ECOSYSTEM", "introduced=1.0", "fixed=1.2", "introduced=1.3", "fixed=2.0.0"))
	c := rec("GHSA-c", "PyPI", "x", nil, rng("ECOSYSTEM", "introduced=0"))
	tests := []struct {
		ver  string
		src  memSource
		want string
	}{
		{"1.1", newSource(a, b), "1.5"},
		{"1.4", newSource(a, b), "2.0.0"},
		{"1.4", newSource(a, b, c), ""},
		{"1.6", newSource(a, b), "2.0.0"},
	}
	for _, tt := range tests {
		res, err := Lookup(context.Background(), tt.src, Query{Ecosystem: "PyPI", Name: "x", Version: tt.ver})
		if err != nil {
			t.Fatal(err)
		}
		fs := Findings(res)
		if len(fs) != 1 || fs[0].Fixed != tt.want {
			t.Errorf("x@%s: findings %+v, want one with Fixed %q", tt.ver, fs, tt.want)
		}
	}
}
