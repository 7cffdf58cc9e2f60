package lockfile

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestSPDX(t *testing.T) {
	const (
		syft = "syft.spdx.json"
		app  = "app.spdx.json"
	)
	sbomRunCases(t, parseSPDX, spdxParser{}, []sbomCase{
		{
			// SPDX 2.3 as syft writes it: the document DESCRIBES a directory
			// package without a package URL; a binary has only a CPE.
			name: "syft-2.3",
			path: syft,
			want: []Package{
				sbomPkg(syft, 37, ecosystem.PyPI, "requests", "2.31.0"),
				sbomPkg(syft, 56, ecosystem.NPM, "@babel/core", "7.24.5"),
				sbomPkg(syft, 80, ecosystem.Go, "github.com/spf13/cobra", "v1.8.0"),
				sbomPkg(syft, 94, ecosystem.CratesIO, "serde", "1.0.197"),
				sbomPkg(syft, 108, ecosystem.RubyGems, "rails", "7.1.3.2"),
				sbomPkg(syft, 122, ecosystem.NuGet, "Newtonsoft.Json", "13.0.3"),
				sbomPkg(syft, 141, ecosystem.Maven, "org.apache.logging.log4j:log4j-core", "2.17.1"),
			},
			wantSkips: sbomSkips{NoPURL: 1, Unsupported: 1},
		},
		{
			// SPDX 2.2: PACKAGE_MANAGER, documentDescribes, a described
			// package with a package URL (kept), a private registry, a
			// development dependency, references to another document.
			name: "app-2.2",
			path: app,
			want: []Package{
				sbomPkg(app, 42, ecosystem.NPM, "shop-web", "1.0.0"),
				sbomPkg(app, 65, ecosystem.NPM, "@types/node", "20.12.7"),
				sbomFrom(sbomPkg(app, 82, ecosystem.NPM, "@acme/design-tokens", "0.4.0"),
					Source{Kind: Registry, URL: "https://npm.acme.internal"}),
				sbomDev(sbomPkg(app, 104, ecosystem.NPM, "vitest", "1.5.0")),
				// The package URL has no version; versionInfo is used.
				sbomPkg(app, 121, ecosystem.PyPI, "urllib3", "2.2.1"),
			},
		},
	})
}

func TestSPDXMatch(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"spdx.json", true},
		{"bom.spdx.json", true},
		{"sub/image.spdx.json", true},
		{"App.SPDX.json", true},
		{".spdx.json", false},
		{"bom.json", false},
		{"app.spdx", false},
		{"app.spdx.rdf", false},
		{"app.spdx.yaml", false},
		{"spdx.json.orig", false},
		{"package.json", false},
	}
	for _, tt := range tests {
		if got := (spdxParser{}).Match(tt.path); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// spdxHead starts an SPDX 2.3 document on line 1.
const spdxHead = `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",` + "\n"

// spdxPURL is an SPDX package with package URL u.
func spdxPURL(id, u string) string {
	return `{"name": "p", "SPDXID": "SPDXRef-` + id + `", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "` + u + `"}]}`
}

func TestSPDXHostile(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		wantLine int
		wantErr  string
		wantPkgs int
	}{
		{name: "empty", data: "", wantErr: "empty file"},
		{name: "array", data: "[]", wantLine: 1, wantErr: "not a JSON object"},
		{name: "truncated", data: spdxHead + `"packages": [` + spdxPURL("a", "pkg:npm/a@1")[:40], wantLine: 2, wantErr: "unexpected end of file"},
		{name: "invalid-utf8", data: spdxHead + "\n\"name\": \"\xc3\x28\"}", wantLine: 3, wantErr: "invalid UTF-8"},
		{name: "no-version", data: `{"SPDXID": "SPDXRef-DOCUMENT"}`, wantErr: `no "spdxVersion"`},
		{name: "spdx-3", data: `{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}`, wantErr: "SPDX 3"},
		{name: "version-2.1", data: "{\n\"spdxVersion\": \"SPDX-2.1\"}", wantLine: 2, wantErr: "not supported"},
		{name: "version-number", data: `{"spdxVersion": 2.3}`, wantErr: `no "spdxVersion"`},
		{name: "packages-string", data: spdxHead + `"packages": "x"}`, wantLine: 2, wantErr: "cannot unmarshal"},
		{name: "package-number", data: spdxHead + "\"packages\": [\n\n7]}", wantLine: 4, wantErr: "packages[0]"},
		{name: "package-bad-id", data: spdxHead + "\"packages\": [" + spdxPURL("a", "pkg:npm/a@1") + ",\n" + `{"SPDXID": "Package-b"}]}`, wantLine: 3, wantErr: "packages[1]"},
		{name: "externalRefs-string", data: spdxHead + "\"packages\": [\n{\"SPDXID\": \"SPDXRef-a\",\n\"externalRefs\": \"x\"}]}", wantLine: 4, wantErr: "packages[0]"},
		{name: "locator-number", data: spdxHead + "\"packages\": [{\"SPDXID\": \"SPDXRef-a\", \"externalRefs\": [\n{\"referenceType\": \"purl\", \"referenceLocator\": 5}]}]}", wantLine: 3, wantErr: "packages[0]"},
		{name: "bad-purl", data: spdxHead + "\"packages\": [\n" + spdxPURL("a", "pkg:") + "]}", wantLine: 3, wantErr: "package URL"},
		{name: "relationship-bad-id", data: spdxHead + "\"relationships\": [\n{\"spdxElementId\": \"x\", \"relatedSpdxElement\": \"SPDXRef-a\", \"relationshipType\": \"DESCRIBES\"}]}", wantLine: 3, wantErr: "relationships[0]"},
		{name: "long-bad-id", data: spdxHead + "\"packages\": [\n{\"SPDXID\": \"" + strings.Repeat("x", 100_000) + "\"}]}", wantLine: 3, wantErr: "packages[0]"},
		{name: "describes-number", data: spdxHead + "\"documentDescribes\": [\n1]}", wantLine: 3, wantErr: "documentDescribes[0]"},
		{name: "json-depth", data: spdxHead + `"x": ` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + "}", wantLine: 2, wantErr: "nested more than"},
		{name: "null-entries", data: spdxHead + `"packages": [null, ` + spdxPURL("a", "pkg:npm/a@1") + `], "relationships": [null, null], "documentDescribes": [null]}`, wantPkgs: 1},
		{name: "null-ref", data: spdxHead + `"packages": [{"SPDXID": "SPDXRef-a", "externalRefs": [null]}]}`},
		{name: "category-lowercase", data: spdxHead + `"packages": [{"SPDXID": "SPDXRef-a", "externalRefs": [{"referenceCategory": "package_manager", "referenceType": "PURL", "referenceLocator": "pkg:npm/a@1"}]}]}`, wantPkgs: 1},
		{name: "security-purl-ignored", data: spdxHead + `"packages": [{"SPDXID": "SPDXRef-a", "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "purl", "referenceLocator": "pkg:npm/a@1"}]}]}`},
		{name: "case-folded-members", data: spdxHead + `"PACKAGES": [{"spdxid": "SPDXRef-a", "ExternalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "REFERENCELOCATOR": "pkg:npm/a@1"}]}]}`, wantPkgs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := File{FS: fstest.MapFS{"spdx.json": {Data: []byte(tt.data)}}, Path: "spdx.json", Display: "dir/spdx.json"}
			pkgs, err := spdxParser{}.Parse(t.Context(), f)
			sbomCheckHostile(t, pkgs, err, tt.wantLine, tt.wantErr, tt.wantPkgs)
		})
	}
}

// TestSPDXManyNullRelationships checks that null relationships cost
// linear time: the library's Document.UnmarshalJSON drops them one by one.
func TestSPDXManyNullRelationships(t *testing.T) {
	const n = 200_000
	data := spdxHead + `"relationships": [null` + strings.Repeat(", null", n-1) + "]}"
	f := File{FS: fstest.MapFS{"spdx.json": {Data: []byte(data)}}, Path: "spdx.json", Display: "spdx.json"}
	start := time.Now()
	if _, err := (spdxParser{}).Parse(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("%d null relationships took %v", n, d)
	}
}

func TestSPDXRootWithoutPURL(t *testing.T) {
	// The described package is skipped quietly, whether described by
	// documentDescribes or by a relationship in either direction; another
	// package without a package URL is counted.
	data := spdxHead + `"documentDescribes": ["SPDXRef-root1"],
"packages": [{"SPDXID": "SPDXRef-root1"}, {"SPDXID": "SPDXRef-root2"}, {"SPDXID": "SPDXRef-root3"}, {"SPDXID": "SPDXRef-other"},
` + spdxPURL("dep", "pkg:pypi/dep@1") + `],
"relationships": [
{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-root2"},
{"spdxElementId": "SPDXRef-root3", "relationshipType": "DESCRIBED_BY", "relatedSpdxElement": "SPDXRef-DOCUMENT"},
{"spdxElementId": "SPDXRef-other", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-dep"}]}`
	f := File{FS: fstest.MapFS{"spdx.json": {Data: []byte(data)}}, Path: "spdx.json", Display: "spdx.json"}
	got, skips, err := parseSPDX(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Package{sbomPkg("spdx.json", 4, ecosystem.PyPI, "dep", "1")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sbomSkips{NoPURL: 1}, skips); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}

func FuzzSPDX(f *testing.F) {
	seedSBOM(f, "*.spdx.json")
	f.Add([]byte(spdxHead + `"packages": [` + spdxPURL("a", "pkg:npm/a@1?repository_url=https://r.example") + `]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"spdx.json": {Data: data}}
		pkgs, err := spdxParser{}.Parse(t.Context(), File{FS: fsys, Path: "spdx.json", Display: "spdx.json"})
		sbomCheckFuzzed(t, pkgs, err)
	})
}
