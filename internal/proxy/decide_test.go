package proxy

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/names"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/policy"
)

// fakeDB is a match.Source holding a few records in memory.
type fakeDB struct {
	vulns []*osv.Vulnerability
	err   error
}

func (f *fakeDB) Lookup(ctx context.Context, eco ecosystem.Ecosystem, name string) ([]*osv.Vulnerability, error) {
	if f.err != nil {
		return nil, f.err
	}
	var out []*osv.Vulnerability
	for _, v := range f.vulns {
		for _, a := range v.Affected {
			if a.Package.Ecosystem == string(eco) && ecosystem.Normalize(eco, a.Package.Name) == ecosystem.Normalize(eco, name) {
				out = append(out, v)
				break
			}
		}
	}
	return out, nil
}

// malRecord is a MAL record for some versions of a package.
func malRecord(id string, eco ecosystem.Ecosystem, name string, versions ...string) *osv.Vulnerability {
	return &osv.Vulnerability{ID: id, Summary: "Malicious code in " + name,
		Affected: []osv.Affected{{Package: osv.Package{Ecosystem: string(eco), Name: name}, Versions: versions}}}
}

func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	db := &fakeDB{vulns: []*osv.Vulnerability{malRecord("MAL-2026-1", ecosystem.NPM, "evil", "1.0.1")}}
	checker := names.New(map[string][]string{"npm": {"lodash", "react", "express"}})
	pol, err := policy.Parse("sapper.toml", []byte(`
[[proxy.exempt]]
package = "npm:fresh@2.0.0"
reason = "urgent fix"
`))
	if err != nil {
		t.Fatal(err)
	}
	block, err := policy.Parse("sapper.toml", []byte("[signals.typosquat]\naction = \"block\"\nreason = \"r\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name           string
		cfg            Config
		pkg, version   string
		info           VersionInfo
		want           finding.Action
		reasonContains string
	}{
		{"malicious", Config{DB: db}, "evil", "1.0.1", VersionInfo{}, finding.Block, "MAL-2026-1 (Malicious code in evil)"},
		{"other version", Config{DB: db}, "evil", "1.0.0", VersionInfo{}, finding.Allow, ""},
		{"no database fails closed", Config{}, "left-pad", "1.3.0", VersionInfo{}, finding.Block, "no readable database"},
		{"no database, fail-open", Config{FailOpen: true}, "left-pad", "1.3.0", VersionInfo{}, finding.Warn, "fail-open"},
		{"database error fails closed", Config{DB: &fakeDB{err: errors.New("disk on fire")}}, "left-pad", "1.3.0", VersionInfo{}, finding.Block, "disk on fire"},
		{"typosquat warns", Config{DB: db, Names: checker}, "lodahs", "1.0.0", VersionInfo{}, finding.Warn, "imitates \"lodash\""},
		{"typosquat blocks by policy", Config{DB: db, Names: checker, Policy: block}, "lodahs", "", VersionInfo{}, finding.Block, "lodash"},
		{"quarantine", Config{DB: db, Quarantine: 48 * time.Hour}, "fresh", "1.0.0", VersionInfo{Published: now.Add(-time.Hour)}, finding.Block, "quarantined: published 1h0m0s ago"},
		{"quarantine over", Config{DB: db, Quarantine: 48 * time.Hour}, "fresh", "1.0.0", VersionInfo{Published: now.Add(-72 * time.Hour)}, finding.Allow, ""},
		{"quarantine exemption", Config{DB: db, Quarantine: 48 * time.Hour, Policy: pol}, "fresh", "2.0.0", VersionInfo{Published: now.Add(-time.Hour)}, finding.Allow, ""},
		{"malicious beats exemption", Config{DB: db, Quarantine: 48 * time.Hour, Policy: pol}, "evil", "1.0.1", VersionInfo{Published: now.Add(-time.Hour)}, finding.Block, "MAL-2026-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Now = func() time.Time { return now }
			s := newTestServer(t, tt.cfg)
			d := s.Decide(ctx, ecosystem.NPM, tt.pkg, tt.version, tt.info)
			if d.Action != tt.want || !strings.Contains(d.Reason, tt.reasonContains) {
				t.Errorf("Decide = %+v, want %s with %q", d, tt.want, tt.reasonContains)
			}
			if tt.want == finding.Block && strings.Contains(tt.reasonContains, "MAL-") && (len(d.IDs) != 1 || d.IDs[0] != "MAL-2026-1") {
				t.Errorf("IDs = %v, want [MAL-2026-1]", d.IDs)
			}
		})
	}
}

func TestCheckPath(t *testing.T) {
	for _, tt := range []struct {
		path string
		ok   bool
	}{
		{"/npm/left-pad", true},
		{"/npm/@scope%2fname", true},
		{"/npm/../etc/passwd", false},
		{"/npm/%2e%2e/x", false},
		{"/npm/%2E%2E%2Fx", false},
		{"/npm/a%00b", false},
		{"/npm/a%5cb", false},
		{"/go/example.com/m/@v/list", true},
	} {
		u, err := parseRequestURL(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkPath(u); (err == nil) != tt.ok {
			t.Errorf("checkPath(%q) = %v, want ok %v", tt.path, err, tt.ok)
		}
	}
}

// parseRequestURL parses a request path as the server receives it.
func parseRequestURL(p string) (*url.URL, error) {
	return &url.URL{Path: mustUnescape(p), RawPath: p}, nil
}

func mustUnescape(p string) string {
	s, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return s
}
