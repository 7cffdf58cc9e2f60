package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/finding"
)

type entry struct {
	name, body string
	dir        bool
}

// tgz builds an npm tarball.
func tgz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.dir {
			h.Typeflag, h.Size, h.Mode = tar.TypeDir, 0, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tarballCase is one version of the package "mc": its manifest in the
// packument and the tarball the registry serves for it.
type tarballCase struct {
	manifest string // the packument's versions[v], without dist
	tarball  []byte
	// served replaces tarball in the answer; integrity says how dist
	// describes it: "sha512" (default), "sha1", "none".
	served    []byte
	integrity string
	url       string // dist.tarball, when not the fake's own
}

const regManifest = `{"name": "mc", "version": "1.0.0", "scripts": {"test": "tape"}, "dependencies": {"a": "^1.0.0", "b": "~2.0.0"}}`

func TestManifestConfusion(t *testing.T) {
	pj := func(s string) entry { return entry{name: "package/package.json", body: s} }
	index := entry{name: "package/index.js", body: "module.exports = 1\n"}
	cases := map[string]tarballCase{
		"same":        {manifest: regManifest, tarball: tgz(t, pj(regManifest), index)},
		"same-spaced": {manifest: regManifest, tarball: tgz(t, entry{name: "package/", dir: true}, index, pj("{\n  \"name\": \"mc\",\n  \"version\": \"v1.0.0\",\n  \"dependencies\": {\"b\": \"~2.0.0\", \"a\": \" ^1.0.0\"},\n  \"scripts\": {\"test\": \"node t.js\"}\n}\n"))},
		"hidden-postinstall": {manifest: regManifest, tarball: tgz(t, pj(`{"name": "mc", "version": "1.0.0", "dependencies": {"a": "^1.0.0", "b": "~2.0.0"},
			"scripts": {"postinstall": "node evil.js"}}`))},
		"hidden-dependency": {manifest: regManifest, tarball: tgz(t, pj(`{"name": "mc", "version": "1.0.0",
			"dependencies": {"a": "^1.0.0", "b": "git+https://example.com/b.git", "evil": "1.0.0"}}`))},
		"dropped-dependency": {manifest: regManifest, tarball: tgz(t, pj(`{"name": "mc", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}}`))},
		"name-version":       {manifest: regManifest, tarball: tgz(t, pj(`{"name": "other", "version": "6.6.6", "dependencies": {"a": "^1.0.0", "b": "~2.0.0"}}`))},
		"optional-merged": {
			manifest: `{"name": "mc", "version": "1.0.0", "dependencies": {"a": "^1.0.0", "fsevents": "^2.3.0"}, "optionalDependencies": {"fsevents": "^2.3.0"}}`,
			tarball:  tgz(t, pj(`{"name": "mc", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}, "optionalDependencies": {"fsevents": "^2.3.0"}}`)),
		},
		"implicit-gyp": {
			manifest: `{"name": "mc", "version": "1.0.0", "gypfile": true, "scripts": {"install": "node-gyp rebuild"}}`,
			tarball:  tgz(t, pj(`{"name": "mc", "version": "1.0.0"}`), entry{name: "package/binding.gyp", body: "{}"}),
		},
		"gyp-not-in-registry": {
			manifest: `{"name": "mc", "version": "1.0.0"}`,
			tarball:  tgz(t, pj(`{"name": "mc", "version": "1.0.0"}`), entry{name: "package/binding.gyp", body: "{}"}),
		},
		"last-entry-wins": {manifest: regManifest, tarball: tgz(t, pj(regManifest), index,
			entry{name: "package/package.json", body: `{"name": "mc", "version": "1.0.0", "dependencies": {"a": "^1.0.0", "b": "~2.0.0"}, "scripts": {"preinstall": "sh x.sh"}}`})},
		"other-top-directory": {manifest: regManifest, tarball: tgz(t, entry{name: "./node-mc/package.json", body: regManifest},
			entry{name: "node-mc/lib/package.json", body: `{"scripts": {"install": "deeper files do not count"}}`})},
		"sha1-only": {manifest: regManifest, tarball: tgz(t, pj(regManifest)), integrity: "sha1"},
	}
	wantDiff := map[string]string{
		"hidden-postinstall":  `scripts.postinstall: registry none, package.json "node evil.js"`,
		"hidden-dependency":   `dependencies only in package.json: evil@1.0.0; dependency ranges differ: b (registry ~2.0.0, package.json git+https://example.com/b.git)`,
		"dropped-dependency":  `dependencies only in the registry: b@~2.0.0`,
		"name-version":        `name: registry "mc", package.json "other"; version: registry "1.0.0", package.json "6.6.6"`,
		"gyp-not-in-registry": `scripts.install: registry none, package.json "node-gyp rebuild"`,
		"last-entry-wins":     `scripts.preinstall: registry none, package.json "sh x.sh"`,
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, _ := serveTarball(t, tc)
			pkg := finding.Package{Ecosystem: "npm", Name: "mc", Version: "1.0.0"}
			all, err := c.Signals(context.Background(), pkg, Options{Tarball: true})
			if err != nil {
				t.Fatal(err)
			}
			var got, want []finding.Finding
			for _, f := range all {
				if f.Kind == finding.ManifestConfusion {
					got = append(got, f)
				}
			}
			if d, ok := wantDiff[name]; ok {
				want = append(want, warn(finding.ManifestConfusion, finding.SeverityHigh, "npm", "mc", "1.0.0",
					"the registry's manifest disagrees with the package.json in the tarball: "+d))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestManifestConfusionErrors(t *testing.T) {
	good := tgz(t, entry{name: "package/package.json", body: regManifest})
	deprecated := `{"name": "mc", "version": "1.0.0", "deprecated": "gone"}`
	cases := map[string]struct {
		tc   tarballCase
		want string
	}{
		"tampered":       {tarballCase{manifest: deprecated, tarball: good, served: append(bytes.Clone(good), 0)}, "sha512 digest mismatch"},
		"no-integrity":   {tarballCase{manifest: deprecated, tarball: good, integrity: "none"}, "no usable integrity"},
		"other-host":     {tarballCase{manifest: deprecated, tarball: good, url: "https://evil.example/mc-1.0.0.tgz"}, `"https://evil.example/mc-1.0.0.tgz" is not on 127.0.0.1`},
		"not-http":       {tarballCase{manifest: deprecated, tarball: good, url: "file:///etc/passwd"}, "is not an http(s) URL"},
		"not-gzip":       {tarballCase{manifest: deprecated, tarball: []byte("PK\x03\x04 a zip")}, "tarball is not gzip"},
		"no-manifest":    {tarballCase{manifest: deprecated, tarball: tgz(t, entry{name: "package/index.js", body: "1"})}, "no package.json in the tarball"},
		"manifest-array": {tarballCase{manifest: deprecated, tarball: tgz(t, entry{name: "package/package.json", body: "[]"})}, "the tarball's package.json: json: cannot unmarshal array"},
		"missing":        {tarballCase{manifest: deprecated, url: "/npm/mc/-/gone.tgz"}, "tarball not found on the registry"},
	}
	for name, tt := range cases {
		t.Run(name, func(t *testing.T) {
			c, _ := serveTarball(t, tt.tc)
			pkg := finding.Package{Ecosystem: "npm", Name: "mc", Version: "1.0.0"}
			got, err := c.Signals(context.Background(), pkg, Options{Tarball: true})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			// The metadata findings come with the error.
			if len(got) != 1 || got[0].Kind != finding.Deprecated {
				t.Errorf("findings = %v, want the deprecation", got)
			}
		})
	}
}

// TestTarballCached: the comparison reuses the manifest read from a
// tarball of the same digest.
func TestTarballCached(t *testing.T) {
	c, f := serveTarball(t, tarballCase{manifest: regManifest, tarball: tgz(t, entry{name: "package/package.json", body: regManifest})})
	c.CacheDir = t.TempDir()
	pkg := finding.Package{Ecosystem: "npm", Name: "mc", Version: "1.0.0"}
	for range 2 {
		if _, err := c.Signals(context.Background(), pkg, Options{Tarball: true}); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"/npm/mc", "/npm/mc/-/mc-1.0.0.tgz"}, f.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// serveTarball serves the packument of "mc" with one version, 1.0.0.
func serveTarball(t *testing.T, tc tarballCase) (*Client, *fake) {
	t.Helper()
	c, f := newFake(t)
	var m map[string]any
	if err := json.Unmarshal([]byte(tc.manifest), &m); err != nil {
		t.Fatal(err)
	}
	dist := map[string]any{"tarball": f.srv.URL + "/npm/mc/-/mc-1.0.0.tgz"}
	if tc.url != "" {
		dist["tarball"] = tc.url
		if strings.HasPrefix(tc.url, "/") {
			dist["tarball"] = f.srv.URL + tc.url
		}
	}
	switch tc.integrity {
	case "", "sha512":
		s := sha512.Sum512(tc.tarball)
		dist["integrity"] = "sha1-AAAA sha512-" + base64.StdEncoding.EncodeToString(s[:])
	case "sha1":
		s := sha1.Sum(tc.tarball)
		dist["shasum"] = hex.EncodeToString(s[:])
	}
	m["dist"] = dist
	doc, err := json.Marshal(map[string]any{
		"name":     "mc",
		"versions": map[string]any{"1.0.0": m},
		"time":     map[string]any{"created": "2015-01-01T00:00:00Z", "1.0.0": "2015-01-01T00:00:00Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	served := tc.tarball
	if tc.served != nil {
		served = tc.served
	}
	f.handle = func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/npm/mc":
			w.Write(doc)
		case "/npm/mc/-/mc-1.0.0.tgz":
			w.Write(served)
		default:
			http.NotFound(w, r)
		}
	}
	return c, f
}

func TestReadTarballBounds(t *testing.T) {
	big := tgz(t, entry{name: "package/package.json", body: `{"x": "` + strings.Repeat("a", maxManifestBytes) + `"}`})
	if _, err := readTarball(bytes.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("an oversized package.json: err = %v", err)
	}
	var trunc = tgz(t, entry{name: "package/package.json", body: regManifest})
	if _, err := readTarball(bytes.NewReader(trunc[:len(trunc)/2])); err == nil {
		t.Error("a truncated tarball was read")
	}
	if _, err := parseSRI("sha512-!!!", ""); err == nil || !strings.Contains(err.Error(), "no usable hash") {
		t.Errorf("bad base64 integrity: err = %v", err)
	}
	if d, err := parseSRI("sha256-"+base64.StdEncoding.EncodeToString(make([]byte, 32))+" sha384-x", ""); err != nil || d.algo != "sha256" {
		t.Errorf("parseSRI = %v, %v", d, err)
	}
	if _, err := parseSRI("", "abc"); err == nil {
		t.Error("a short shasum was accepted")
	}
}

func TestLimitedReader(t *testing.T) {
	l := &limitedReader{r: strings.NewReader(strings.Repeat("x", 20)), left: 10}
	b, err := io.ReadAll(l)
	if err == nil || len(b) != 10 || !strings.Contains(err.Error(), "expands beyond") {
		t.Errorf("read %d bytes, err = %v; want 10 and an error", len(b), err)
	}
}
