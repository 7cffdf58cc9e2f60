package proxy

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
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/names"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/policy"
	"github.com/sapperhq/sapper/internal/store"
	"github.com/sapperhq/sapper/internal/version"
)

// npmTestNow is the tests' clock.
var npmTestNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// npmTestVersion is one version of a package the fake upstream serves.
type npmTestVersion struct {
	version   string
	published time.Time
	scripts   map[string]string
	// tgz is the tarball; built from the name and version when nil.
	tgz []byte
	// integrity overrides the tarball's ("-" for none; shasum then too).
	integrity string
}

// npmTestPackage is a package the fake upstream serves.
type npmTestPackage struct {
	name     string
	versions []npmTestVersion
	tags     map[string]string
}

// npmTarball builds a real npm tarball: package/package.json in a gzipped tar.
func npmTarball(t testing.TB, name, version string, pad int) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	pj, _ := json.Marshal(map[string]string{"name": name, "version": version, "description": "test package"})
	files := []struct {
		name string
		data []byte
	}{
		{"package/package.json", pj},
		{"package/index.js", []byte("module.exports = " + fmt.Sprintf("%q", version) + ";\n")},
	}
	if pad > 0 {
		// Incompressible padding, for tarballs larger than the held-back tail.
		p := make([]byte, pad)
		for i := range p {
			p[i] = byte(i*7919>>3 ^ i>>11)
		}
		h := sha512.New()
		for i := 0; i < pad; i += 64 {
			h.Write(p[i:min(i+64, pad)])
			copy(p[i:min(i+64, pad)], h.Sum(nil))
		}
		files = append(files, struct {
			name string
			data []byte
		}{"package/pad.bin", p})
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: npmTestNow}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func npmSRI(b []byte) string {
	sum := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

func npmSHA1(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// npmUpstream is a fake npm registry. Its packuments point their tarballs
// at itself.
type npmUpstream struct {
	t        testing.TB
	srv      *httptest.Server
	mu       sync.Mutex
	pkgs     map[string]*npmTestPackage
	tarballs map[string][]byte // by path
	// served overrides a tarball's bytes (for integrity mismatches).
	served map[string][]byte
	// raw overrides a packument's body, by escaped path.
	raw  map[string]string
	hits map[string]int
}

func newNPMUpstream(t testing.TB, pkgs ...*npmTestPackage) *npmUpstream {
	u := &npmUpstream{t: t, pkgs: map[string]*npmTestPackage{}, tarballs: map[string][]byte{}, served: map[string][]byte{}, raw: map[string]string{}, hits: map[string]int{}}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	for _, p := range pkgs {
		u.add(p)
	}
	return u
}

func (u *npmUpstream) add(p *npmTestPackage) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := range p.versions {
		v := &p.versions[i]
		if v.tgz == nil {
			v.tgz = npmTarball(u.t, p.name, v.version, 0)
		}
		u.tarballs[u.tarballPath(p.name, v.version)] = v.tgz
	}
	u.pkgs[p.name] = p
}

func (u *npmUpstream) tarballPath(name, version string) string {
	return "/" + name + "/-/" + npmFile(name, version)
}

// packument renders the full or abbreviated packument of p.
func (u *npmUpstream) packument(p *npmTestPackage, abbreviated bool) []byte {
	versions := map[string]any{}
	times := map[string]string{"created": "2020-01-01T00:00:00.000Z", "modified": npmTestNow.Format(time.RFC3339)}
	for _, v := range p.versions {
		dist := map[string]any{
			"tarball":      u.srv.URL + u.tarballPath(p.name, v.version),
			"integrity":    npmSRI(v.tgz),
			"shasum":       npmSHA1(v.tgz),
			"fileCount":    2,
			"unpackedSize": 100,
			"signatures":   []any{map[string]string{"keyid": "SHA256:test", "sig": "MEUCIQ"}},
		}
		switch v.integrity {
		case "":
		case "-":
			delete(dist, "integrity")
			delete(dist, "shasum")
		default:
			dist["integrity"] = v.integrity
		}
		obj := map[string]any{"name": p.name, "version": v.version, "dist": dist, "dependencies": map[string]string{}}
		if abbreviated {
			if npmHasInstall(v.scripts) {
				obj["hasInstallScript"] = true
			}
		} else {
			obj["description"] = "a test package <b>&</b>"
			obj["x-unknown-field"] = map[string]any{"kept": true, "n": json.Number("12345678901234567890")}
			if v.scripts != nil {
				obj["scripts"] = v.scripts
			}
		}
		versions[v.version] = obj
		if !v.published.IsZero() {
			times[v.version] = v.published.Format(time.RFC3339)
		}
	}
	doc := map[string]any{"name": p.name, "dist-tags": p.tags, "versions": versions}
	if abbreviated {
		doc["modified"] = times["modified"]
	} else {
		doc["time"] = times
		doc["readme"] = "# " + p.name
		doc["_id"] = p.name
		doc["_rev"] = "3-abc"
		doc["x-top-level"] = []int{1, 2, 3}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		u.t.Fatal(err)
	}
	return b.Bytes()
}

func npmHasInstall(s map[string]string) bool {
	return s["preinstall"] != "" || s["install"] != "" || s["postinstall"] != ""
}

func (u *npmUpstream) serve(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	path := r.URL.EscapedPath()
	u.hits[path]++
	if raw, ok := u.raw[path]; ok {
		if strings.HasPrefix(raw, "status:") {
			var code int
			fmt.Sscanf(raw, "status:%d", &code)
			w.WriteHeader(code)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, raw)
		return
	}
	if b, ok := u.served[path]; ok {
		w.Write(b)
		return
	}
	if b, ok := u.tarballs[path]; ok {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
		return
	}
	name := strings.Replace(strings.TrimPrefix(path, "/"), "%2f", "/", 1)
	name = strings.Replace(name, "%2F", "/", 1)
	p := u.pkgs[name]
	if p == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"Not found"}`)
		return
	}
	abbreviated := strings.Contains(r.Header.Get("Accept"), npmAbbreviated)
	if abbreviated {
		w.Header().Set("Content-Type", npmAbbreviated)
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Write(u.packument(p, abbreviated))
}

func (u *npmUpstream) hit(path string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits[path]
}

// npmFakeAuditor collects audit entries.
type npmFakeAuditor struct {
	mu      sync.Mutex
	entries []store.AuditEntry
}

func (f *npmFakeAuditor) RecordAudit(ctx context.Context, entries []store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, entries...)
	return nil
}

// npmTest is a proxy wired to a fake upstream.
type npmTest struct {
	t     testing.TB
	up    *npmUpstream
	s     *Server
	srv   *httptest.Server
	audit *npmFakeAuditor
	cache string
}

// newNPMTest starts a proxy in front of up. cfg's NPM, CacheDir, Audit and
// Now are filled in when unset; a nil DB stays nil only with noDB.
func newNPMTest(t testing.TB, up *npmUpstream, cfg Config) *npmTest {
	t.Helper()
	nt := &npmTest{t: t, up: up, audit: &npmFakeAuditor{}, cache: t.TempDir()}
	cfg.NPM = up.srv.URL
	cfg.CacheDir = nt.cache
	if cfg.Audit == nil {
		cfg.Audit = nt.audit
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return npmTestNow }
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nt.s = s
	nt.srv = httptest.NewServer(s)
	t.Cleanup(func() {
		nt.srv.Close()
		s.Close()
	})
	return nt
}

// get requests path from the proxy.
func (nt *npmTest) get(path string, header ...string) (int, http.Header, []byte) {
	nt.t.Helper()
	return nt.do(http.MethodGet, path, header...)
}

func (nt *npmTest) do(method, path string, header ...string) (int, http.Header, []byte) {
	nt.t.Helper()
	req, err := http.NewRequest(method, nt.srv.URL+path, nil)
	if err != nil {
		nt.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := nt.srv.Client().Do(req)
	if err != nil {
		nt.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		nt.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, body
}

// packument fetches and decodes a packument.
func (nt *npmTest) packument(path string, abbreviated bool) map[string]any {
	nt.t.Helper()
	var hdr []string
	if abbreviated {
		hdr = []string{"Accept", npmAbbreviatedAccept}
	}
	code, _, body := nt.get(path, hdr...)
	if code != http.StatusOK {
		nt.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		nt.t.Fatalf("GET %s: %v", path, err)
	}
	return doc
}

// npmErrorText decodes a JSON error answer.
func npmErrorText(t testing.TB, body []byte) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("not a JSON error: %q", body)
	}
	return e.Error
}

func npmVersions(doc map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for v, obj := range doc["versions"].(map[string]any) {
		out[v] = obj.(map[string]any)
	}
	return out
}

// npmTestPkg is "pkg": 1.0.0 and 1.1.0 good, 1.0.1 malicious and latest.
func npmTestPkg() *npmTestPackage {
	return &npmTestPackage{
		name: "pkg",
		versions: []npmTestVersion{
			{version: "1.0.0", published: npmTestNow.AddDate(-1, 0, 0)},
			{version: "1.1.0", published: npmTestNow.AddDate(0, -1, 0)},
			{version: "1.2.0", published: npmTestNow.AddDate(0, 0, -1)},
			{version: "2.0.0-beta.1", published: npmTestNow.AddDate(0, 0, -2)},
		},
		tags: map[string]string{"latest": "1.2.0", "next": "2.0.0-beta.1", "stable": "1.1.0"},
	}
}

func npmTestDB() *fakeDB {
	return &fakeDB{vulns: []*osv.Vulnerability{malRecord("MAL-2026-0001", ecosystem.NPM, "pkg", "1.2.0", "2.0.0-beta.1")}}
}

func TestNPMPackumentBlocked(t *testing.T) {
	for _, abbreviated := range []bool{false, true} {
		t.Run(fmt.Sprintf("abbreviated=%v", abbreviated), func(t *testing.T) {
			nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: npmTestDB()})
			doc := nt.packument("/npm/pkg", abbreviated)
			wantTags := map[string]any{"latest": "1.1.0", "next": "1.1.0", "stable": "1.1.0"}
			if diff := cmp.Diff(wantTags, doc["dist-tags"]); diff != "" {
				t.Errorf("dist-tags (-want +got):\n%s", diff)
			}
			vs := npmVersions(doc)
			if got := slices.Sorted(maps.Keys(vs)); !slices.Equal(got, []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0-beta.1"}) {
				t.Errorf("versions = %v, want all four kept", got)
			}
			for v, obj := range vs {
				dep, _ := obj["deprecated"].(string)
				blocked := v == "1.2.0" || v == "2.0.0-beta.1"
				if blocked != strings.Contains(dep, "MAL-2026-0001") {
					t.Errorf("%s: deprecated = %q, blocked = %v", v, dep, blocked)
				}
				if blocked && !strings.HasPrefix(dep, "sapper blocked pkg@"+v+": ") {
					t.Errorf("%s: deprecated = %q", v, dep)
				}
				dist := obj["dist"].(map[string]any)
				if want := nt.srv.URL + "/npm/pkg/-/pkg-" + v + ".tgz"; dist["tarball"] != want {
					t.Errorf("%s: tarball = %v, want %s", v, dist["tarball"], want)
				}
				switch {
				case !blocked && (dist["integrity"] == nil || dist["signatures"] == nil):
					t.Errorf("%s: dist lost fields: %v", v, dist)
				case blocked && (dist["integrity"] != npmSRI([]byte(dep)) || dist["signatures"] != nil):
					// A client with the real tarball in its cache (keyed by
					// integrity) must still ask, and get the 403.
					t.Errorf("%s: blocked, but dist keeps the real integrity: %v", v, dist)
				}
			}
			if !abbreviated {
				// Fields the proxy does not know pass through unchanged.
				if doc["readme"] != "# pkg" || doc["x-top-level"] == nil || doc["time"] == nil {
					t.Errorf("top-level fields lost: %v", slices.Sorted(maps.Keys(doc)))
				}
				x := vs["1.0.0"]["x-unknown-field"].(map[string]any)
				if x["kept"] != true || vs["1.0.0"]["description"] != "a test package <b>&</b>" {
					t.Errorf("version fields changed: %v", vs["1.0.0"])
				}
			}
		})
	}
}

func TestNPMPackumentKeepsNumbersAndHTML(t *testing.T) {
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: npmTestDB()})
	_, _, body := nt.get("/npm/pkg")
	for _, want := range []string{`12345678901234567890`, `<b>&</b>`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("packument lost %s", want)
		}
	}
}

func TestNPMTarball(t *testing.T) {
	up := newNPMUpstream(t, npmTestPkg())
	nt := newNPMTest(t, up, Config{DB: npmTestDB()})

	code, _, body := nt.get("/npm/pkg/-/pkg-1.2.0.tgz")
	if code != http.StatusForbidden {
		t.Fatalf("blocked tarball: %d %s", code, body)
	}
	msg := npmErrorText(t, body)
	if want := "sapper blocked pkg@1.2.0: MAL-2026-0001"; !strings.HasPrefix(msg, want) {
		t.Errorf("error = %q, want it to start %q", msg, want)
	}
	if n := up.hit("/pkg/-/pkg-1.2.0.tgz"); n != 0 {
		t.Errorf("blocked tarball fetched from upstream %d times", n)
	}

	want := up.tarballs["/pkg/-/pkg-1.1.0.tgz"]
	for i := range 2 {
		code, hdr, body := nt.get("/npm/pkg/-/pkg-1.1.0.tgz")
		if code != http.StatusOK || !bytes.Equal(body, want) {
			t.Fatalf("fetch %d: %d, %d bytes, want %d", i, code, len(body), len(want))
		}
		if hdr.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("Content-Type = %q", hdr.Get("Content-Type"))
		}
	}
	if n := up.hit("/pkg/-/pkg-1.1.0.tgz"); n != 1 {
		t.Errorf("upstream fetched %d times, want once (then from the store)", n)
	}
	code, hdr, body := nt.do(http.MethodHead, "/npm/pkg/-/pkg-1.1.0.tgz")
	if code != http.StatusOK || len(body) != 0 || hdr.Get("Content-Length") != fmt.Sprint(len(want)) {
		t.Errorf("HEAD: %d, Content-Length %q, body %d bytes", code, hdr.Get("Content-Length"), len(body))
	}
	code, _, _ = nt.do(http.MethodHead, "/npm/pkg/-/pkg-1.0.0.tgz")
	if code != http.StatusOK || up.hit("/pkg/-/pkg-1.0.0.tgz") != 0 {
		t.Errorf("HEAD of an uncached tarball: %d, upstream hits %d", code, up.hit("/pkg/-/pkg-1.0.0.tgz"))
	}

	for _, path := range []string{"/npm/pkg/-/pkg-9.9.9.tgz", "/npm/pkg/-/other-1.1.0.tgz", "/npm/pkg/-/pkg-1.1.0.tar"} {
		if code, _, body := nt.get(path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want 404", path, code, body)
		}
	}
}

// A database that changes after the packument was cached still blocks the
// tarball: it is decided afresh.
func TestNPMTarballDecidedAfresh(t *testing.T) {
	db := &fakeDB{}
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: db})
	nt.packument("/npm/pkg", true)
	db.vulns = npmTestDB().vulns
	code, _, body := nt.get("/npm/pkg/-/pkg-1.2.0.tgz")
	if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "MAL-2026-0001") {
		t.Errorf("tarball after the database changed: %d %s", code, body)
	}
}

func TestNPMIntegrityMismatch(t *testing.T) {
	for _, pad := range []int{0, 200 << 10} {
		t.Run(fmt.Sprintf("pad=%d", pad), func(t *testing.T) {
			p := npmTestPkg()
			p.versions[0].tgz = npmTarball(t, "pkg", "1.0.0", pad)
			up := newNPMUpstream(t, p)
			bad := bytes.Clone(p.versions[0].tgz)
			bad[len(bad)/2] ^= 0xff
			up.served["/pkg/-/pkg-1.0.0.tgz"] = bad
			nt := newNPMTest(t, up, Config{DB: npmTestDB()})

			for range 2 {
				req, _ := http.NewRequest(http.MethodGet, nt.srv.URL+"/npm/pkg/-/pkg-1.0.0.tgz", nil)
				resp, err := nt.srv.Client().Do(req)
				if err != nil {
					continue // the connection was cut: fine
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == http.StatusOK && bytes.Equal(body, bad) {
					t.Fatal("client got the whole tampered tarball")
				}
				if pad == 0 {
					if resp.StatusCode != http.StatusBadGateway || !strings.Contains(npmErrorText(t, body), "does not match") {
						t.Errorf("small tampered tarball: %d %s", resp.StatusCode, body)
					}
				}
			}
			if n := up.hit("/pkg/-/pkg-1.0.0.tgz"); n != 2 {
				t.Errorf("upstream fetched %d times, want 2 (nothing stored)", n)
			}
			ents, _ := os.ReadDir(nt.cache)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "sha") {
					t.Errorf("stored %s", e.Name())
				}
			}
		})
	}
}

func TestNPMNoIntegrity(t *testing.T) {
	p := npmTestPkg()
	p.versions[0].integrity = "-"
	for _, failOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("failOpen=%v", failOpen), func(t *testing.T) {
			nt := newNPMTest(t, newNPMUpstream(t, p), Config{DB: npmTestDB(), FailOpen: failOpen})
			code, _, body := nt.get("/npm/pkg/-/pkg-1.0.0.tgz")
			if failOpen {
				if code != http.StatusOK || !bytes.Equal(body, p.versions[0].tgz) {
					t.Errorf("fail-open: %d, %d bytes", code, len(body))
				}
				return
			}
			if code != http.StatusBadGateway || !strings.Contains(npmErrorText(t, body), "fails closed") {
				t.Errorf("no integrity: %d %s", code, body)
			}
		})
	}
}

func TestNPMSHA1Only(t *testing.T) {
	p := npmTestPkg()
	p.versions[0].integrity = "md5-AAAA"
	nt := newNPMTest(t, newNPMUpstream(t, p), Config{DB: npmTestDB()})
	code, _, body := nt.get("/npm/pkg/-/pkg-1.0.0.tgz")
	if code != http.StatusOK || !bytes.Equal(body, p.versions[0].tgz) {
		t.Errorf("shasum only: %d, %d bytes", code, len(body))
	}
	if nt.s.blobs.open(Digest{Algo: "sha1", Hex: npmSHA1(p.versions[0].tgz)}) == nil {
		t.Error("not stored by its SHA-1")
	}
}

func TestNPMScoped(t *testing.T) {
	p := &npmTestPackage{
		name:     "@scope/pkg",
		versions: []npmTestVersion{{version: "1.0.0"}, {version: "1.0.1"}},
		tags:     map[string]string{"latest": "1.0.1"},
	}
	up := newNPMUpstream(t, p)
	nt := newNPMTest(t, up, Config{DB: &fakeDB{vulns: []*osv.Vulnerability{malRecord("MAL-2026-0002", ecosystem.NPM, "@scope/pkg", "1.0.1")}}})
	for _, path := range []string{"/npm/@scope%2fpkg", "/npm/@scope%2Fpkg", "/npm/%40scope%2fpkg", "/npm/@scope/pkg"} {
		doc := nt.packument(path, true)
		if doc["dist-tags"].(map[string]any)["latest"] != "1.0.0" {
			t.Errorf("%s: dist-tags = %v", path, doc["dist-tags"])
		}
		tb := npmVersions(doc)["1.0.0"]["dist"].(map[string]any)["tarball"]
		if want := nt.srv.URL + "/npm/@scope/pkg/-/pkg-1.0.0.tgz"; tb != want {
			t.Errorf("%s: tarball %v, want %s", path, tb, want)
		}
	}
	if n := up.hit("/@scope%2fpkg"); n != 1 {
		t.Errorf("upstream packument requests = %d, want 1 (cached)", n)
	}
	for _, path := range []string{"/npm/@scope/pkg/-/pkg-1.0.0.tgz", "/npm/@scope%2fpkg/-/pkg-1.0.0.tgz"} {
		if code, _, body := nt.get(path); code != http.StatusOK || !bytes.Equal(body, p.versions[0].tgz) {
			t.Errorf("GET %s: %d", path, code)
		}
	}
	code, _, body := nt.get("/npm/@scope/pkg/-/pkg-1.0.1.tgz")
	if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "sapper blocked @scope/pkg@1.0.1: MAL-2026-0002") {
		t.Errorf("blocked scoped tarball: %d %s", code, body)
	}
}

func TestNPMBadNames(t *testing.T) {
	up := newNPMUpstream(t, npmTestPkg())
	nt := newNPMTest(t, up, Config{DB: npmTestDB()})
	for _, path := range []string{
		"/npm/..",
		"/npm/%2e%2e",
		"/npm/%2E%2e/pkg",
		"/npm/pkg%00",
		"/npm/pkg%00/-/pkg-1.0.0.tgz",
		"/npm/@scope%2F..",
		"/npm/@scope%2f..%2f..%2fetc",
		"/npm/@scope%2fpkg%2f..",
		"/npm/%2Fetc",
		"/npm/.hidden",
		"/npm/_private",
		"/npm/@.scope/pkg",
		"/npm/pkg%20x",
		"/npm/%70kg",
		"/npm/pkg%252e",
		"/npm/@scope",
		"/npm/@%2fpkg",
		"/npm/node_modules",
		"/npm/" + strings.Repeat("a", 215),
		"/npm/pkg/1.0.0%2f..",
		"/npm/pkg/-/pkg-1.0.0.tgz%00",
		"/npm/pkg/-/%2e%2e%2fpkg-1.0.0.tgz",
		"/npm/pkg\\x",
	} {
		code, _, body := nt.get(path)
		if code != http.StatusBadRequest {
			t.Errorf("GET %s: %d %s, want 400", path, code, body)
		}
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if len(up.hits) != 0 {
		t.Errorf("upstream contacted: %v", up.hits)
	}
}

func TestCheckNPMName(t *testing.T) {
	for _, name := range []string{"pkg", "JSONStream", "@scope/pkg", "a.b-c_d~e", "lodash.merge", "@types/node", strings.Repeat("a", 214)} {
		if err := checkNPMName(name); err != nil {
			t.Errorf("checkNPMName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", ".x", "_x", "@/x", "@s/", "@s", "a/b", "a b", "a%2e", "a\x00", "@s/.x", "@s/x/y", "Node_Modules", strings.Repeat("a", 215)} {
		if err := checkNPMName(name); err == nil {
			t.Errorf("checkNPMName(%q) = nil", name)
		}
	}
}

func TestNPMUpstreamErrors(t *testing.T) {
	for _, tc := range []struct {
		name, raw, want string
	}{
		{"not-json", "{not json", "malformed packument"},
		{"array", "[]", "malformed packument"},
		{"null", "null", "not a JSON object"},
		{"versions-string", `{"versions":"x"}`, "versions"},
		{"version-number", `{"versions":{"1.0.0":5}}`, "not an object"},
		{"dist-string", `{"versions":{"1.0.0":{"dist":"x"}}}`, "dist"},
		{"truncated", `{"versions":{"1.0.0":{"dist":{}`, "malformed packument"},
		{"status-500", "status:500", "HTTP 500"},
		{"status-403", "status:403", "HTTP 403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newNPMUpstream(t)
			up.raw["/bad"] = tc.raw
			nt := newNPMTest(t, up, Config{DB: npmTestDB()})
			for _, path := range []string{"/npm/bad", "/npm/bad/-/bad-1.0.0.tgz", "/npm/bad/1.0.0"} {
				code, hdr, body := nt.get(path)
				if code != http.StatusBadGateway {
					t.Fatalf("GET %s: %d %s, want 502", path, code, body)
				}
				msg := npmErrorText(t, body)
				if !strings.HasPrefix(msg, "sapper proxy: upstream ") || !strings.Contains(msg, tc.want) {
					t.Errorf("GET %s: error %q, want %q", path, msg, tc.want)
				}
				if hdr.Get("Content-Type") != "application/json" {
					t.Errorf("Content-Type = %q", hdr.Get("Content-Type"))
				}
			}
		})
	}
}

func TestNPMNotFound(t *testing.T) {
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: npmTestDB()})
	for _, path := range []string{"/npm/missing", "/npm/missing/1.0.0", "/npm/missing/-/missing-1.0.0.tgz", "/npm/pkg/9.9.9", "/npm/pkg/a/b/c"} {
		if code, _, body := nt.get(path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want 404", path, code, body)
		}
	}
}

// Versions npm would not install, or whose object names another version,
// are left out.
func TestNPMOddVersions(t *testing.T) {
	up := newNPMUpstream(t)
	tgz := npmTarball(t, "odd", "1.0.0", 0)
	up.tarballs["/odd/-/odd-1.0.0.tgz"] = tgz
	up.raw["/odd"] = fmt.Sprintf(`{"name":"odd","dist-tags":{"latest":"2.0.0","bad":7},"versions":{
		"1.0.0":{"version":"1.0.0","dist":{"tarball":"%[1]s/odd/-/odd-1.0.0.tgz","integrity":%[2]q}},
		"2.0.0":{"version":"6.6.6","dist":{"tarball":"%[1]s/odd/-/odd-1.0.0.tgz","integrity":%[2]q}},
		"not-a-version":{"dist":{}},
		"1.0.0/../x":{"dist":{}}}}`, up.srv.URL, npmSRI(tgz))
	nt := newNPMTest(t, up, Config{DB: npmTestDB()})
	doc := nt.packument("/npm/odd", false)
	if got := slices.Sorted(maps.Keys(npmVersions(doc))); !slices.Equal(got, []string{"1.0.0"}) {
		t.Errorf("versions = %v", got)
	}
	if diff := cmp.Diff(map[string]any{"latest": "1.0.0"}, doc["dist-tags"]); diff != "" {
		t.Errorf("dist-tags (-want +got):\n%s", diff)
	}
}

func TestNPMFailClosed(t *testing.T) {
	t.Run("no-database", func(t *testing.T) {
		up := newNPMUpstream(t, npmTestPkg())
		nt := newNPMTest(t, up, Config{})
		for _, path := range []string{"/npm/pkg", "/npm/pkg/-/pkg-1.0.0.tgz", "/npm/pkg/1.0.0"} {
			code, _, body := nt.get(path)
			if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "no readable database") {
				t.Errorf("GET %s: %d %s", path, code, body)
			}
		}
	})
	t.Run("lookup-error", func(t *testing.T) {
		nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: &fakeDB{err: fmt.Errorf("disk on fire")}})
		doc := nt.packument("/npm/pkg", true)
		for v, obj := range npmVersions(doc) {
			if !strings.Contains(fmt.Sprint(obj["deprecated"]), "disk on fire") {
				t.Errorf("%s: deprecated = %v", v, obj["deprecated"])
			}
		}
		code, _, body := nt.get("/npm/pkg/-/pkg-1.0.0.tgz")
		if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "fails closed") {
			t.Errorf("tarball: %d %s", code, body)
		}
	})
	t.Run("fail-open", func(t *testing.T) {
		nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{FailOpen: true})
		if code, _, body := nt.get("/npm/pkg/-/pkg-1.0.0.tgz"); code != http.StatusOK {
			t.Errorf("fail-open tarball: %d %s", code, body)
		}
	})
}

func TestNPMQuarantine(t *testing.T) {
	p := npmTestPkg()
	p.versions = append(p.versions, npmTestVersion{version: "1.3.0", published: npmTestNow.Add(-time.Hour)})
	p.tags["latest"] = "1.3.0"
	exempt, err := policy.Parse("sapper.toml", []byte(`
[[proxy.exempt]]
package = "npm:pkg@1.3.0"
reason = "a fix we need today"
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		policy *policy.Config
		latest string
	}{
		{"held", nil, "1.1.0"},
		{"exempt", exempt, "1.3.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nt := newNPMTest(t, newNPMUpstream(t, p), Config{DB: npmTestDB(), Quarantine: 48 * time.Hour, Policy: tc.policy})
			for _, abbreviated := range []bool{true, false} {
				doc := nt.packument("/npm/pkg", abbreviated)
				if got := doc["dist-tags"].(map[string]any)["latest"]; got != tc.latest {
					t.Errorf("abbreviated=%v: latest = %v, want %s", abbreviated, got, tc.latest)
				}
				dep, _ := npmVersions(doc)["1.3.0"]["deprecated"].(string)
				if held := strings.Contains(dep, "quarantine"); held != (tc.policy == nil) {
					t.Errorf("abbreviated=%v: 1.3.0 deprecated = %q", abbreviated, dep)
				}
			}
			code, _, body := nt.get("/npm/pkg/-/pkg-1.3.0.tgz")
			if tc.policy == nil {
				if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "quarantine") {
					t.Errorf("quarantined tarball: %d %s", code, body)
				}
			} else if code != http.StatusOK {
				t.Errorf("exempt tarball: %d %s", code, body)
			}
			if code, _, _ := nt.get("/npm/pkg/-/pkg-1.1.0.tgz"); code != http.StatusOK {
				t.Errorf("old version: %d", code)
			}
		})
	}
}

func TestNPMTyposquat(t *testing.T) {
	p := npmTestPkg()
	p.name = "expresss"
	up := newNPMUpstream(t, p)
	checker := names.New(map[string][]string{"npm": {"express", "react", "lodash"}})
	blockPolicy, err := policy.Parse("sapper.toml", []byte("[signals.typosquat]\naction = \"block\"\nreason = \"no look-alikes\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("warn", func(t *testing.T) {
		nt := newNPMTest(t, up, Config{DB: npmTestDB(), Names: checker})
		nt.packument("/npm/expresss", true)
		nt.s.Close()
		e := nt.audit.entries[0]
		if e.Decision != "warn" || !strings.Contains(e.Reason, "express") {
			t.Errorf("audit entry = %+v", e)
		}
	})
	t.Run("block", func(t *testing.T) {
		nt := newNPMTest(t, up, Config{DB: npmTestDB(), Names: checker, Policy: blockPolicy})
		for _, path := range []string{"/npm/expresss", "/npm/expresss/-/expresss-1.0.0.tgz"} {
			code, _, body := nt.get(path)
			if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), `imitates "express"`) {
				t.Errorf("GET %s: %d %s", path, code, body)
			}
		}
	})
}

func TestNPMInstallScript(t *testing.T) {
	p := npmTestPkg()
	p.versions[1].scripts = map[string]string{"postinstall": "node steal.js"}
	block, err := policy.Parse("sapper.toml", []byte("[signals.install-script]\naction = \"block\"\nreason = \"review new install scripts\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	nt := newNPMTest(t, newNPMUpstream(t, p), Config{DB: &fakeDB{}, Policy: block})
	for _, abbreviated := range []bool{false, true} {
		vs := npmVersions(nt.packument("/npm/pkg", abbreviated))
		for v, obj := range vs {
			_, dep := obj["deprecated"]
			if dep != (v == "1.1.0") {
				t.Errorf("abbreviated=%v: %s deprecated = %v", abbreviated, v, obj["deprecated"])
			}
		}
	}
	code, _, body := nt.get("/npm/pkg/-/pkg-1.1.0.tgz")
	if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "install script") {
		t.Errorf("tarball: %d %s", code, body)
	}
}

func TestNPMEveryVersionBlocked(t *testing.T) {
	db := &fakeDB{vulns: []*osv.Vulnerability{{ID: "MAL-2026-0003", Summary: "all bad",
		Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: "pkg"},
			Ranges: []osv.Range{{Type: osv.RangeSemVer, Events: []osv.Event{{Introduced: "0"}}}}}}}}}
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: db})
	doc := nt.packument("/npm/pkg", true)
	// The tags stay: a client that follows one gets the tarball's error.
	want := map[string]any{"latest": "1.2.0", "next": "2.0.0-beta.1", "stable": "1.1.0"}
	if diff := cmp.Diff(want, doc["dist-tags"]); diff != "" {
		t.Errorf("dist-tags (-want +got):\n%s", diff)
	}
}

func TestNPMBestAllowed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		blocked []string
		tag     string
		tagged  string
		want    string
	}{
		{"latest-falls-back-to-stable", []string{"1.2.0"}, "latest", "1.2.0", "1.1.0"},
		{"latest-skips-prerelease", []string{"1.1.0", "1.2.0"}, "latest", "1.2.0", "1.0.0"},
		{"latest-not-above-tagged", []string{"1.1.0"}, "latest", "1.1.0", "1.0.0"},
		{"above-when-nothing-below", []string{"1.0.0"}, "latest", "1.0.0", "1.2.0"},
		{"prerelease-tag", []string{"2.0.0-beta.2"}, "next", "2.0.0-beta.2", "2.0.0-beta.1"},
		{"only-prereleases-left", []string{"1.0.0", "1.1.0", "1.2.0"}, "latest", "1.2.0", "2.0.0-beta.2"},
		{"all-blocked", []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0-beta.1", "2.0.0-beta.2"}, "latest", "1.2.0", ""},
		{"tag-on-missing-version", nil, "latest", "", "1.2.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &npmDoc{versions: map[string]*npmVersion{}}
			for _, v := range []string{"1.0.0", "1.1.0", "1.2.0", "2.0.0-beta.1", "2.0.0-beta.2"} {
				pv, err := version.Parse(ecosystem.NPM, v)
				if err != nil {
					t.Fatal(err)
				}
				ver := &npmVersion{v: pv}
				if slices.Contains(tc.blocked, v) {
					ver.decision = Decision{Action: "block"}
				}
				d.versions[v] = ver
			}
			if got := d.bestAllowed(d.order(), tc.tag, d.versions[tc.tagged]); got != tc.want {
				t.Errorf("bestAllowed = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNPMVersionDocument(t *testing.T) {
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: npmTestDB()})
	for _, tc := range []struct {
		spec, want string
	}{
		{"1.0.0", "1.0.0"},
		{"latest", "1.1.0"},
		{"stable", "1.1.0"},
	} {
		code, _, body := nt.get("/npm/pkg/" + tc.spec)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", tc.spec, code, body)
		}
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			t.Fatal(err)
		}
		if obj["version"] != tc.want || obj["dist"].(map[string]any)["tarball"] != nt.srv.URL+"/npm/pkg/-/pkg-"+tc.want+".tgz" {
			t.Errorf("GET %s: %s", tc.spec, body)
		}
	}
	code, _, body := nt.get("/npm/pkg/1.2.0")
	if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "MAL-2026-0001") {
		t.Errorf("blocked version document: %d %s", code, body)
	}
}

func TestNPMSpecialEndpoints(t *testing.T) {
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: npmTestDB()})
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{"GET", "/npm/-/ping", 200, "{}\n"},
		{"GET", "/npm/-/whoami", 401, ""},
		{"GET", "/npm/-/package/pkg/dist-tags", 200, `{"latest":"1.1.0","next":"1.1.0","stable":"1.1.0"}`},
		{"GET", "/npm/-/package/@scope%2f..%2fx/dist-tags", 400, ""},
		{"GET", "/npm/-/nothing", 404, ""},
		{"POST", "/npm/-/npm/v1/security/advisories/bulk", 405, ""},
	} {
		code, _, body := nt.do(tc.method, tc.path)
		if code != tc.code || tc.body != "" && string(body) != tc.body {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, code, body, tc.code, tc.body)
		}
	}
}

func TestNPMPackumentCaching(t *testing.T) {
	up := newNPMUpstream(t, npmTestPkg())
	nt := newNPMTest(t, up, Config{DB: npmTestDB()})
	_, hdr, body := nt.get("/npm/pkg", "Accept", npmAbbreviatedAccept)
	if hdr.Get("Content-Type") != npmAbbreviated {
		t.Errorf("Content-Type = %q", hdr.Get("Content-Type"))
	}
	code, hdr2, body2 := nt.get("/npm/pkg", "Accept", npmAbbreviatedAccept, "If-None-Match", hdr.Get("ETag"))
	if code != http.StatusNotModified || len(body2) != 0 || hdr2.Get("ETag") != hdr.Get("ETag") {
		t.Errorf("revalidation: %d, ETag %q", code, hdr2.Get("ETag"))
	}
	code, hdr3, body3 := nt.do(http.MethodHead, "/npm/pkg", "Accept", npmAbbreviatedAccept)
	if code != http.StatusOK || len(body3) != 0 || hdr3.Get("Content-Length") != fmt.Sprint(len(body)) {
		t.Errorf("HEAD: %d, Content-Length %q, want %d", code, hdr3.Get("Content-Length"), len(body))
	}
	nt.get("/npm/pkg")
	if n := up.hit("/pkg"); n != 2 {
		t.Errorf("upstream packument requests = %d, want 2 (abbreviated and full, each once)", n)
	}
	// Another name for the proxy gets its own tarball URLs.
	req, _ := http.NewRequest(http.MethodGet, nt.srv.URL+"/npm/pkg", nil)
	req.Host = "proxy.example:8080"
	resp, err := nt.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(other, []byte(`"http://proxy.example:8080/npm/pkg/-/pkg-1.0.0.tgz"`)) {
		t.Errorf("tarball URLs not under the request's host: %s", other)
	}
	// The document joined for the other name does not stick: the first
	// name gets its own URLs back.
	if _, _, again := nt.get("/npm/pkg"); bytes.Contains(again, []byte("proxy.example")) || !bytes.Contains(again, []byte(nt.srv.URL+"/npm/pkg/-/pkg-1.0.0.tgz")) {
		t.Errorf("tarball URLs after another host's request: %s", again)
	}
}

func TestNPMPublicURL(t *testing.T) {
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: npmTestDB(), PublicURL: "https://sapper.example/base/"})
	tb := npmVersions(nt.packument("/npm/pkg", true))["1.0.0"]["dist"].(map[string]any)["tarball"]
	if tb != "https://sapper.example/base/npm/pkg/-/pkg-1.0.0.tgz" {
		t.Errorf("tarball = %v", tb)
	}
}

func TestNPMAudit(t *testing.T) {
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: npmTestDB()})
	nt.get("/npm/pkg")
	nt.get("/npm/pkg/-/pkg-1.1.0.tgz")
	nt.get("/npm/pkg/-/pkg-1.2.0.tgz")
	nt.get("/npm/%2e%2e")
	nt.get("/npm/.x")
	nt.get("/npm/missing")
	if err := nt.s.Close(); err != nil {
		t.Fatal(err)
	}
	type entry struct{ Name, Version, Decision, Reason, Path string }
	var got []entry
	for _, e := range nt.audit.entries {
		if e.Ecosystem != ecosystem.NPM && e.Name != "" || e.Client != "127.0.0.1" || !e.Time.Equal(npmTestNow) {
			t.Errorf("entry %+v", e)
		}
		got = append(got, entry{e.Name, e.Version, e.Decision, e.Reason, e.Path})
	}
	held := "held back 2 versions: 1.2.0: MAL-2026-0001 (Malicious code in pkg); 2.0.0-beta.1: MAL-2026-0001 (Malicious code in pkg)"
	want := []entry{
		{"pkg", "", "allow", held, "/npm/pkg"},
		{"pkg", "1.1.0", "allow", "", "/npm/pkg/-/pkg-1.1.0.tgz"},
		{"pkg", "1.2.0", "block", "MAL-2026-0001 (Malicious code in pkg)", "/npm/pkg/-/pkg-1.2.0.tgz"},
		{"", "", "block", "bad request: dot segment in path", "/npm/%2e%2e"}, // refused before routing
		{".x", "", "block", `sapper proxy: package name ".x" starts with '.'`, "/npm/.x"},
		{"missing", "", "allow", "Not found", "/npm/missing"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit entries (-want +got):\n%s", diff)
	}
}

func TestNPMConcurrentMisses(t *testing.T) {
	up := newNPMUpstream(t, npmTestPkg())
	nt := newNPMTest(t, up, Config{DB: npmTestDB()})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, nt.srv.URL+"/npm/pkg", nil)
			resp, err := nt.srv.Client().Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := up.hit("/pkg"); n != 1 {
		t.Errorf("upstream requests = %d, want 1", n)
	}
}

// The cache directory holds archives only by digest.
func TestNPMStoreLayout(t *testing.T) {
	nt := newNPMTest(t, newNPMUpstream(t, npmTestPkg()), Config{DB: npmTestDB()})
	nt.get("/npm/pkg/-/pkg-1.0.0.tgz")
	ents, _ := filepath.Glob(filepath.Join(nt.cache, "*"))
	if len(ents) != 1 || !strings.HasPrefix(filepath.Base(ents[0]), "sha512-") {
		t.Errorf("cache holds %v", ents)
	}
}

// BenchmarkNPMPackument measures a cached packument request through the
// proxy, in process: the targets are a p99 added latency of at most
// 5 ms and at least 2,000 requests/s on 2 cores.
func BenchmarkNPMPackument(b *testing.B) {
	p := &npmTestPackage{name: "pkg", tags: map[string]string{}}
	for i := range 200 {
		p.versions = append(p.versions, npmTestVersion{version: fmt.Sprintf("1.%d.0", i), published: npmTestNow.AddDate(0, 0, -i-1)})
	}
	p.tags["latest"] = "1.199.0"
	up := newNPMUpstream(b, p)
	db := &fakeDB{vulns: []*osv.Vulnerability{malRecord("MAL-2026-0001", ecosystem.NPM, "pkg", "1.199.0", "1.150.0")}}
	nt := newNPMTest(b, up, Config{DB: db, Quarantine: 48 * time.Hour})
	for _, abbreviated := range []bool{true, false} {
		b.Run(fmt.Sprintf("abbreviated=%v", abbreviated), func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "http://proxy.test/npm/pkg", nil)
			if abbreviated {
				req.Header.Set("Accept", npmAbbreviatedAccept)
			}
			w := httptest.NewRecorder()
			nt.s.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
			b.SetBytes(int64(w.Body.Len()))
			lat := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				w := &discardWriter{h: http.Header{}}
				nt.s.ServeHTTP(w, req)
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(start))
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// A packument whose tarball URL names another host does not make the proxy
// fetch from it.
func TestNPMTarballOtherHost(t *testing.T) {
	other := newNPMUpstream(t)
	up := newNPMUpstream(t)
	tgz := npmTarball(t, "moved", "1.0.0", 0)
	other.tarballs["/moved/-/moved-1.0.0.tgz"] = tgz
	up.raw["/moved"] = fmt.Sprintf(`{"name":"moved","dist-tags":{"latest":"1.0.0"},"versions":{
		"1.0.0":{"version":"1.0.0","dist":{"tarball":"%s/moved/-/moved-1.0.0.tgz","integrity":%q}}}}`, other.srv.URL, npmSRI(tgz))
	nt := newNPMTest(t, up, Config{DB: &fakeDB{}})
	code, _, body := nt.get("/npm/moved/-/moved-1.0.0.tgz")
	if code != http.StatusBadGateway || !strings.Contains(npmErrorText(t, body), "not a configured upstream host") {
		t.Errorf("tarball on another host: %d %s", code, body)
	}
	if n := other.hit("/moved/-/moved-1.0.0.tgz"); n != 0 {
		t.Errorf("other host contacted %d times", n)
	}
}
