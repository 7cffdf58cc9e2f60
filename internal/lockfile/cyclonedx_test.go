package lockfile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// sbomPkg is a package of an SBOM fixture in testdata/sbom.
func sbomPkg(file string, line int, eco ecosystem.Ecosystem, name, version string) Package {
	return Package{
		Ecosystem: eco,
		Name:      name,
		Version:   version,
		Location:  Location{Path: file, Line: line},
	}
}

// sbomCase is one SBOM fixture of testdata/sbom and what it holds.
type sbomCase struct {
	name      string
	path      string
	want      []Package
	wantSkips sbomSkips
}

// sbomRunCases parses each fixture with parse, which also reports the
// entries it skipped, and checks that the Parser p returns the same.
func sbomRunCases(t *testing.T, parse func(context.Context, File) ([]Package, sbomSkips, error), p Parser, tests []sbomCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := File{FS: os.DirFS("testdata/sbom"), Path: tt.path, Display: tt.path}
			got, skips, err := parse(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkips, skips); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			viaParse, err := p.Parse(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, viaParse); diff != "" {
				t.Errorf("Parse differs (-%s +Parse):\n%s", tt.path, diff)
			}
		})
	}
}

// sbomFrom returns p with source s.
func sbomFrom(p Package, s Source) Package { p.Source = s; return p }

// sbomDev returns p marked as a development dependency.
func sbomDev(p Package) Package { p.Dev = true; return p }

func TestCycloneDX(t *testing.T) {
	const (
		syft   = "syft.cdx.json"
		trivy  = "trivy.cdx.json"
		nested = "nested.bom.json"
		bom    = "bom.json"
	)
	sbomRunCases(t, parseCycloneDX, cycloneDXParser{}, []sbomCase{
		{
			// CycloneDX 1.5 as syft writes it: one flat list, metadata.component
			// the scanned directory, an OS and a file without package URLs.
			name: "syft-1.5",
			path: syft,
			want: []Package{
				sbomPkg(syft, 39, ecosystem.NPM, "@babel/core", "7.24.5"),
				sbomPkg(syft, 72, ecosystem.PyPI, "requests", "2.31.0"),
				sbomPkg(syft, 90, ecosystem.Go, "github.com/spf13/cobra", "v1.8.0"),
				sbomPkg(syft, 103, ecosystem.CratesIO, "serde", "1.0.197"),
				sbomPkg(syft, 110, ecosystem.RubyGems, "rails", "7.1.3.2"),
				sbomPkg(syft, 117, ecosystem.NuGet, "Newtonsoft.Json", "13.0.3"),
				sbomPkg(syft, 126, ecosystem.Maven, "org.apache.logging.log4j:log4j-core", "2.17.1"),
			},
			wantSkips: sbomSkips{NoPURL: 2, Unsupported: 1},
		},
		{
			// CycloneDX 1.6 as trivy writes it for an image: metadata.component
			// is the image (pkg:oci), OS packages are pkg:apk.
			name: "trivy-1.6",
			path: trivy,
			want: []Package{
				sbomPkg(trivy, 99, ecosystem.NPM, "express", "4.19.2"),
				sbomPkg(trivy, 117, ecosystem.NPM, "@types/node", "20.12.7"),
				sbomPkg(trivy, 134, ecosystem.PyPI, "django", "5.0.4"),
				sbomPkg(trivy, 155, ecosystem.Go, "golang.org/x/net", "v0.23.0"),
			},
			wantSkips: sbomSkips{NoPURL: 2, Unsupported: 1},
		},
		{
			// CycloneDX 1.4: nested components, qualifiers naming private
			// registries, a git repository and a tarball, development
			// dependencies, a pedigree ancestor (not a package).
			name: "nested-1.4",
			path: nested,
			want: []Package{
				sbomPkg(nested, 34, ecosystem.NPM, "left-pad", "1.3.0"),
				sbomFrom(sbomPkg(nested, 42, ecosystem.NPM, "@acme/ui-kit", "3.1.0"),
					Source{Kind: Registry, URL: "https://npm.acme.internal/"}),
				sbomDev(sbomPkg(nested, 49, ecosystem.NPM, "eslint", "8.57.0")),
				sbomDev(sbomPkg(nested, 55, ecosystem.NPM, "jest", "29.7.0")),
				sbomFrom(sbomPkg(nested, 67, ecosystem.NPM, "tarball-dep", "1.0.0"),
					Source{Kind: URL, URL: "https://cdn.example.com/tarball-dep-1.0.0.tgz"}),
				sbomFrom(sbomPkg(nested, 73, ecosystem.NPM, "git-dep", "1.2.0"),
					Source{Kind: Git, URL: "git+https://github.com/acme/git-dep.git@v1.2.0"}),
				sbomPkg(nested, 79, ecosystem.NPM, "lodash", "4.17.21"),
				sbomPkg(nested, 89, ecosystem.NPM, "deep-dep", "0.0.1"),
				sbomFrom(sbomPkg(nested, 100, ecosystem.Maven, "com.acme:billing-core", "4.2.0"),
					Source{Kind: Registry, URL: "https://maven.acme.internal/releases"}),
				sbomPkg(nested, 107, ecosystem.Maven, "org.apache.commons:commons-text", "1.10.0-acme1"),
				sbomFrom(sbomPkg(nested, 125, ecosystem.PyPI, "acme-internal", "0.9.1"),
					Source{Kind: Registry, URL: "pypi.acme.internal/simple"}),
				sbomFrom(sbomPkg(nested, 131, ecosystem.PyPI, "flask", "3.0.3"),
					Source{Kind: Git, URL: "git+https://github.com/pallets/flask@abc1234"}),
				// The package URL has no version; the component's is used.
				sbomPkg(nested, 137, ecosystem.RubyGems, "nokogiri", "1.16.4"),
			},
			wantSkips: sbomSkips{NoPURL: 3, Unsupported: 1},
		},
		{
			// CycloneDX 1.2, the first with JSON, with the legacy tools array.
			name: "bom-1.2",
			path: bom,
			want: []Package{
				sbomPkg(bom, 40, ecosystem.CratesIO, "serde", "1.0.130"),
				sbomPkg(bom, 46, ecosystem.CratesIO, "rand_core", "0.6.3"),
				sbomFrom(sbomPkg(bom, 52, ecosystem.CratesIO, "acme-proto", "0.2.0"),
					Source{Kind: Git, URL: "git+ssh://git@git.acme.internal/proto.git#c0ffee"}),
			},
		},
	})
}

func TestCycloneDXMatch(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"bom.json", true},
		{"sub/dir/bom.json", true},
		{"BOM.json", true},
		{"cyclonedx.json", true},
		{"sbom.cdx.json", true},
		{"app.cdx.json", true},
		{"app.bom.json", true},
		{"image.cyclonedx.json", true},
		{".cdx.json", false},
		{"package.json", false},
		{"sbom.json", false}, // SPDX as often as CycloneDX
		{"bom.xml", false},
		{"app.cdx.xml", false},
		{"bom.json.bak", false},
		{"app.spdx.json", false},
		{"notbom.json", false},
		{"tsconfig.json", false},
	}
	for _, tt := range tests {
		if got := (cycloneDXParser{}).Match(tt.path); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// cdxHead starts a CycloneDX document on line 1.
const cdxHead = `{"bomFormat": "CycloneDX", "specVersion": "1.5",` + "\n"

// cdxNested returns a BOM whose components nest depth deep, on one line.
func cdxNested(depth int) string {
	var b strings.Builder
	b.WriteString(cdxHead + `"components": `)
	for range depth - 1 {
		b.WriteString(`[{"type": "library", "name": "x", "purl": "pkg:npm/x@1", "components": `)
	}
	b.WriteString(`[{"type": "library", "name": "x", "purl": "pkg:npm/x@1"}]`)
	for range depth - 1 {
		b.WriteString("}]")
	}
	b.WriteString("}")
	return b.String()
}

func TestCycloneDXHostile(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		wantLine int
		wantErr  string // a substring of the message; "" for no error
		wantPkgs int
	}{
		{name: "empty", data: "", wantErr: "empty file"},
		{name: "whitespace", data: " \n\t\n", wantErr: "empty file"},
		{name: "array", data: "\n[]", wantLine: 2, wantErr: "not a JSON object"},
		{name: "string", data: `"bom"`, wantLine: 1, wantErr: "not a JSON object"},
		{name: "truncated", data: cdxHead + `"components": [{"purl": "pkg:npm/x@1"`, wantLine: 2, wantErr: "unexpected end of file"},
		{name: "truncated-string", data: cdxHead + `"components": [{"purl": "pkg:n`, wantLine: 2, wantErr: "unexpected end of file"},
		{name: "syntax", data: cdxHead + "\n\n" + `"components": [,]}`, wantLine: 4, wantErr: "invalid JSON"},
		{name: "trailing", data: cdxHead + `"components": []}` + "\n{}", wantLine: 3, wantErr: "after top-level value"},
		{name: "trailing-garbage", data: cdxHead + `"components": []} x`, wantLine: 2, wantErr: "after top-level value"},
		{name: "invalid-utf8", data: cdxHead + "\"components\": [],\n\"x\": \"\xff\"}", wantLine: 3, wantErr: "invalid UTF-8"},
		{name: "no-bomFormat", data: `{"specVersion": "1.5"}`, wantErr: `no "bomFormat"`},
		{name: "bomFormat-number", data: `{"bomFormat": 1, "specVersion": "1.5"}`, wantErr: `no "bomFormat"`},
		{name: "spdx", data: "{\n" + `"bomFormat": "SPDX", "specVersion": "1.5"}`, wantLine: 2, wantErr: "not a CycloneDX BOM"},
		{name: "no-specVersion", data: `{"bomFormat": "CycloneDX"}`, wantLine: 1, wantErr: `no "specVersion"`},
		{name: "specVersion-1.1", data: "{\"bomFormat\": \"CycloneDX\",\n\"specVersion\": \"1.1\"}", wantLine: 2, wantErr: "not supported"},
		{name: "specVersion-2.0", data: "{\"bomFormat\": \"CycloneDX\",\n\"specVersion\": \"2.0\"}", wantLine: 2, wantErr: "not supported"},
		{name: "components-object", data: cdxHead + `"components": {}}`, wantLine: 2, wantErr: "cannot unmarshal"},
		{name: "component-string", data: cdxHead + "\"components\": [\n\"x\"]}", wantLine: 3, wantErr: "components[0]"},
		{name: "name-number", data: cdxHead + "\"components\": [{\"type\": \"library\",\n\"name\": 5}]}", wantLine: 3, wantErr: "components[0]"},
		{name: "purl-number", data: cdxHead + "\"components\": [{}, {\"type\": \"library\",\n\n\"purl\": 5}]}", wantLine: 4, wantErr: "components[1]"},
		{name: "nested-name-number", data: cdxHead + "\"components\": [{\"components\": [{\n\"name\": [1]}]}]}", wantLine: 3, wantErr: "components[0]"},
		{name: "bad-purl", data: cdxHead + "\"components\": [\n{\"purl\": \"pkg:npm/\"}]}", wantLine: 3, wantErr: "package URL"},
		{name: "not-a-purl", data: cdxHead + "\"components\": [\n{\"purl\": \"left-pad@1.0.0\"}]}", wantLine: 3, wantErr: "package URL"},
		{name: "json-depth", data: cdxHead + `"x": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "}", wantLine: 2, wantErr: "nested more than"},
		{name: "components-too-deep", data: cdxNested(limits.MaxNesting + 1), wantLine: 2, wantErr: `"components" nested more than`},
		{name: "components-deepest", data: cdxNested(limits.MaxNesting), wantPkgs: limits.MaxNesting},
		// encoding/json matches member names without regard to case; so does
		// the index, so that the nesting bound holds and lines are found.
		{name: "components-case", data: strings.ReplaceAll(cdxNested(limits.MaxNesting+1), `"components"`, `"COMPONENTS"`), wantLine: 2, wantErr: "nested more than"},
		{name: "null-component", data: cdxHead + `"components": [null, {"purl": "pkg:npm/x@1"}]}`, wantPkgs: 1},
		{name: "no-components", data: cdxHead + `"metadata": {"component": {"purl": "pkg:npm/self@1"}}}`},
		{name: "huge-number", data: cdxHead + `"version": 1e999, "components": [{"purl": "pkg:npm/x@1", "x": -1e999}]}`, wantPkgs: 1},
		{name: "byte-order-mark", data: "\xef\xbb\xbf" + cdxHead + `"components": [{"purl": "pkg:npm/x@1"}]}`, wantPkgs: 1},
		{name: "unsupported-purl", data: cdxHead + `"components": [{"purl": "pkg:cobol/x@1"}]}`},
		{name: "long-bad-purl", data: cdxHead + "\"components\": [\n{\"purl\": \"pkg:npm/" + strings.Repeat("%zz", 100_000) + "\"}]}", wantLine: 3, wantErr: "package URL"},
		{name: "utf-16", data: "\xff\xfe{\x00}\x00", wantErr: "UTF-16"},
		{name: "escaped-key", data: cdxHead + `"comp\u006fnents": [{"p\u0075rl": "pkg:npm/x@1"}]}`, wantPkgs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := File{FS: fstest.MapFS{"bom.json": {Data: []byte(tt.data)}}, Path: "bom.json", Display: "dir/bom.json"}
			pkgs, err := cycloneDXParser{}.Parse(t.Context(), f)
			sbomCheckHostile(t, pkgs, err, tt.wantLine, tt.wantErr, tt.wantPkgs)
		})
	}
}

// sbomCheckHostile checks the result of parsing a hostile file: an *Error at
// wantLine whose message holds wantErr, or, when wantErr is "", wantPkgs
// packages each with a line.
func sbomCheckHostile(t *testing.T, pkgs []Package, err error, wantLine int, wantErr string, wantPkgs int) {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("error: %v", err)
		}
		if len(pkgs) != wantPkgs {
			t.Errorf("got %d packages, want %d: %+v", len(pkgs), wantPkgs, pkgs)
		}
		for _, p := range pkgs {
			if p.Location.Line < 1 {
				t.Errorf("package %s has no line", p.Name)
			}
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want an *Error", err, err)
	}
	if e.Path != "dir/bom.json" && e.Path != "dir/spdx.json" {
		t.Errorf("error path %q, want the display path", e.Path)
	}
	if e.Line != wantLine {
		t.Errorf("error line %d, want %d (%v)", e.Line, wantLine, err)
	}
	if !strings.Contains(err.Error(), wantErr) {
		t.Errorf("error %q does not say %q", err, wantErr)
	}
	if len(err.Error()) > 400 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
}

func TestCycloneDXLinesMinified(t *testing.T) {
	data := cdxHead + `"components": [{"purl": "pkg:npm/a@1", "components": [{"purl": "pkg:pypi/b@2"}]}, {"purl": "pkg:npm/c@3"}]}`
	f := File{FS: fstest.MapFS{"bom.json": {Data: []byte(data)}}, Path: "bom.json", Display: "bom.json"}
	got, err := cycloneDXParser{}.Parse(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Package{
		sbomPkg("bom.json", 2, ecosystem.NPM, "a", "1"),
		sbomPkg("bom.json", 2, ecosystem.PyPI, "b", "2"),
		sbomPkg("bom.json", 2, ecosystem.NPM, "c", "3"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func TestCycloneDXLargeFile(t *testing.T) {
	save := maxFileBytes
	maxFileBytes = 64
	t.Cleanup(func() { maxFileBytes = save })
	f := File{FS: os.DirFS("testdata/sbom"), Path: "bom.json", Display: "bom.json"}
	_, err := cycloneDXParser{}.Parse(t.Context(), f)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("got %v, want ErrTooLarge", err)
	}
}

func TestPURLSource(t *testing.T) {
	tests := []struct {
		name string
		eco  ecosystem.Ecosystem
		q    map[string]string
		want Source
	}{
		{"none", ecosystem.NPM, nil, Source{}},
		{"npm-public", ecosystem.NPM, map[string]string{"repository_url": "https://registry.npmjs.org/"}, Source{}},
		{"npm-yarn", ecosystem.NPM, map[string]string{"repository_url": "https://registry.yarnpkg.com"}, Source{}},
		{"npm-private", ecosystem.NPM, map[string]string{"repository_url": "https://npm.corp.example"}, Source{Kind: Registry, URL: "https://npm.corp.example"}},
		{"npm-lookalike", ecosystem.NPM, map[string]string{"repository_url": "https://registry.npmjs.org.evil.example/"}, Source{Kind: Registry, URL: "https://registry.npmjs.org.evil.example/"}},
		{"npm-host-in-path", ecosystem.NPM, map[string]string{"repository_url": "https://evil.example/registry.npmjs.org"}, Source{Kind: Registry, URL: "https://evil.example/registry.npmjs.org"}},
		{"maven-central", ecosystem.Maven, map[string]string{"repository_url": "https://repo1.maven.org/maven2"}, Source{}},
		{"maven-no-scheme", ecosystem.Maven, map[string]string{"repository_url": "repo.spring.io/release"}, Source{Kind: Registry, URL: "repo.spring.io/release"}},
		{"npm-registry-for-pypi", ecosystem.PyPI, map[string]string{"repository_url": "https://registry.npmjs.org"}, Source{Kind: Registry, URL: "https://registry.npmjs.org"}},
		{"pypi-case", ecosystem.PyPI, map[string]string{"repository_url": "HTTPS://PyPI.org/simple"}, Source{}},
		{"vcs", ecosystem.PyPI, map[string]string{"vcs_url": "git+https://github.com/a/b@1"}, Source{Kind: Git, URL: "git+https://github.com/a/b@1"}},
		{"download-public", ecosystem.PyPI, map[string]string{"download_url": "https://files.pythonhosted.org/packages/x.whl"}, Source{}},
		{"download-url", ecosystem.PyPI, map[string]string{"download_url": "https://example.com/x.whl"}, Source{Kind: URL, URL: "https://example.com/x.whl"}},
		{"download-git", ecosystem.NPM, map[string]string{"download_url": "https://github.com/a/b.git"}, Source{Kind: Git, URL: "https://github.com/a/b.git"}},
		{"download-git-ssh", ecosystem.NPM, map[string]string{"download_url": "git@github.com:a/b"}, Source{Kind: Git, URL: "git@github.com:a/b"}},
		{"private-registry-wins", ecosystem.NPM, map[string]string{"repository_url": "https://npm.corp.example", "download_url": "https://npm.corp.example/x.tgz"}, Source{Kind: Registry, URL: "https://npm.corp.example"}},
		{"bad-url", ecosystem.NPM, map[string]string{"repository_url": "https://[::1"}, Source{Kind: Registry, URL: "https://[::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, purlSource(tt.eco, tt.q)); diff != "" {
				t.Errorf("purlSource (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSBOMFold(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"purl", "PURL"}, {"components", "Components"}, {"componentſ", "COMPONENTS"}, {"\u212a", "k"},
	} {
		if sbomFold(tt.a) != sbomFold(tt.b) {
			t.Errorf("sbomFold(%q) = %q, sbomFold(%q) = %q; want them equal", tt.a, sbomFold(tt.a), tt.b, sbomFold(tt.b))
		}
	}
	if sbomFold("purl") == sbomFold("purls") {
		t.Error("sbomFold folds different names together")
	}
}

func FuzzCycloneDX(f *testing.F) {
	seedSBOM(f, "*.cdx.json", "*.bom.json", "bom.json")
	f.Add([]byte(cdxNested(3)))
	f.Add([]byte(cdxHead + `"components": [{"purl": "pkg:npm/x@1?repository_url=https://r.example&vcs_url=git%2Bhttps://g.example/x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"bom.json": {Data: data}}
		pkgs, err := cycloneDXParser{}.Parse(t.Context(), File{FS: fsys, Path: "bom.json", Display: "bom.json"})
		sbomCheckFuzzed(t, pkgs, err)
	})
}

// seedSBOM adds the fixtures matching patterns to the corpus of f.
func seedSBOM(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		names, err := filepath.Glob("testdata/sbom/" + p)
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// sbomCheckFuzzed checks what a parser returned for fuzzed input.
func sbomCheckFuzzed(t *testing.T, pkgs []Package, err error) {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is a %T, not an *Error", err, err)
		}
		if e.Line < 0 {
			t.Fatalf("error at line %d", e.Line)
		}
		return
	}
	for _, p := range pkgs {
		if p.Name == "" || !p.Ecosystem.Known() || p.Location.Line < 1 {
			t.Fatalf("bad package %+v", p)
		}
	}
}

// TestSBOMTruncated parses every fixture cut short at many places: each
// must fail with an *Error, never panic or yield packages.
func TestSBOMTruncated(t *testing.T) {
	for _, p := range []Parser{cycloneDXParser{}, spdxParser{}} {
		names, err := filepath.Glob("testdata/sbom/*.json")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if !p.Match(n) {
				continue
			}
			data, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			for cut := 0; cut < len(bytes.TrimSpace(data)); cut += 37 {
				fsys := fstest.MapFS{"f": {Data: data[:cut]}}
				pkgs, err := p.Parse(t.Context(), File{FS: fsys, Path: "f", Display: "f"})
				var e *Error
				if !errors.As(err, &e) || pkgs != nil {
					t.Errorf("%s cut at %d: %d packages, error %v; want an *Error", n, cut, len(pkgs), err)
				}
			}
		}
	}
}
