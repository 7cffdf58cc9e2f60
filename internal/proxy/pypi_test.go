package proxy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/names"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/policy"
	"github.com/sapperhq/sapper/internal/store"
)

// pypiNow is the tests' clock: the fixture's uploads are older, but for
// the quarantine's.
var pypiNow = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// pypiFixtureFile is one file of a fake upstream project.
type pypiFixtureFile struct {
	filename string
	body     []byte
	metadata []byte // core metadata (PEP 658), nil for none
	uploaded time.Time
	yanked   any // nil, true or a reason
	noHash   bool
	// host, when set, puts the file's URL on another host.
	host string
}

// pypiWheel builds an inert wheel: an empty module and the dist-info
// files pip reads (METADATA, WHEEL, RECORD). Nothing in it runs.
func pypiWheel(t testing.TB, project, ver string) (whl, metadata []byte) {
	t.Helper()
	mod := strings.ReplaceAll(project, "-", "_")
	di := mod + "-" + ver + ".dist-info/"
	metadata = []byte("Metadata-Version: 2.1\nName: " + project + "\nVersion: " + ver + "\nSummary: inert test fixture\n")
	files := []struct{ name, body string }{
		{mod + "/__init__.py", ""},
		{di + "METADATA", string(metadata)},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: sapper-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var record strings.Builder
	for _, f := range files {
		sum := sha256.Sum256([]byte(f.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.body))
	}
	record.WriteString(di + "RECORD,,\n")
	files = append(files, struct{ name, body string }{di + "RECORD", record.String()})
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), metadata
}

func pypiSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// pypiUpstream is a fake PyPI: simple pages in JSON or HTML and the files
// they link, under /packages/.
type pypiUpstream struct {
	srv *httptest.Server
	mu  sync.Mutex
	// projects by normalised name.
	projects map[string][]pypiFixtureFile
	// html makes the pages PEP 503 HTML with relative links, else JSON.
	html bool
	// page, when set, is served for every project page, with pageType.
	page, pageType string
	// tamper serves files whose bytes differ from their hash.
	tamper bool
	hits   map[string]*atomic.Int64
}

func newPyPIUpstream(t testing.TB) *pypiUpstream {
	t.Helper()
	u := &pypiUpstream{projects: map[string][]pypiFixtureFile{}, hits: map[string]*atomic.Int64{}}
	var files []pypiFixtureFile
	for _, v := range []struct {
		ver      string
		uploaded time.Time
		yanked   any
	}{
		{"1.0.0", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{"1.0.1", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), nil},
		{"1.1.0", time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC), "broken build"},
	} {
		whl, meta := pypiWheel(t, "evil-pkg", v.ver)
		files = append(files, pypiFixtureFile{
			filename: "evil_pkg-" + v.ver + "-py3-none-any.whl", body: whl, metadata: meta,
			uploaded: v.uploaded, yanked: v.yanked,
		})
	}
	u.projects["evil-pkg"] = files
	u.srv = httptest.NewServer(u)
	t.Cleanup(u.srv.Close)
	return u
}

func (u *pypiUpstream) hit(path string) int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	if c := u.hits[path]; c != nil {
		return c.Load()
	}
	return 0
}

func (u *pypiUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	c := u.hits[r.URL.Path]
	if c == nil {
		c = new(atomic.Int64)
		u.hits[r.URL.Path] = c
	}
	c.Add(1)
	u.mu.Unlock()
	if project, ok := strings.CutPrefix(r.URL.Path, "/simple/"); ok {
		project = strings.TrimSuffix(project, "/")
		files, ok := u.projects[project]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if u.page != "" {
			w.Header().Set("Content-Type", u.pageType)
			io.WriteString(w, u.page)
			return
		}
		if u.html {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, u.htmlPage(project, files))
			return
		}
		w.Header().Set("Content-Type", pypiTypeJSON)
		w.Write(u.jsonPage(project, files))
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/packages/"); ok {
		name, meta := strings.CutSuffix(rest, ".metadata")
		for _, files := range u.projects {
			for _, f := range files {
				if f.filename != name {
					continue
				}
				body := f.body
				if meta {
					body = f.metadata
				}
				if u.tamper {
					body = bytes.Clone(body)
					body[len(body)/2] ^= 1
				}
				w.Write(body)
				return
			}
		}
	}
	http.NotFound(w, r)
}

func (u *pypiUpstream) fileURL(f pypiFixtureFile) string {
	if f.host != "" {
		return "http://" + f.host + "/packages/" + f.filename
	}
	return u.srv.URL + "/packages/" + f.filename
}

func (u *pypiUpstream) jsonPage(project string, files []pypiFixtureFile) []byte {
	page := map[string]any{"meta": map[string]any{"api-version": "1.1"}, "name": project}
	var out []map[string]any
	var versions []string
	for _, f := range files {
		jf := map[string]any{
			"filename": f.filename, "url": u.fileURL(f), "hashes": map[string]string{},
			"requires-python": ">=3.7", "upload-time": f.uploaded.Format("2006-01-02T15:04:05.000000Z"),
			"size": len(f.body),
		}
		if !f.noHash {
			jf["hashes"] = map[string]string{"sha256": pypiSum(f.body), "md5": "00"}
		}
		if f.yanked != nil {
			jf["yanked"] = f.yanked
		}
		if f.metadata != nil {
			jf["core-metadata"] = map[string]string{"sha256": pypiSum(f.metadata)}
		}
		out = append(out, jf)
		if v := pypiFileVersion(project, f.filename); v != "" && !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
	}
	page["files"] = out
	page["versions"] = versions
	b, _ := json.Marshal(page)
	return b
}

func (u *pypiUpstream) htmlPage(project string, files []pypiFixtureFile) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Links for %s</title></head><body>\n", project)
	for _, f := range files {
		href := "../../packages/" + f.filename
		if f.host != "" {
			href = u.fileURL(f)
		}
		if !f.noHash {
			href += "#sha256=" + pypiSum(f.body)
		}
		fmt.Fprintf(&b, `<a href="%s" data-requires-python="&gt;=3.7"`, href)
		if f.metadata != nil {
			fmt.Fprintf(&b, ` data-dist-info-metadata="sha256=%s"`, pypiSum(f.metadata))
		}
		switch y := f.yanked.(type) {
		case string:
			fmt.Fprintf(&b, ` data-yanked="%s"`, html.EscapeString(y))
		case bool:
			b.WriteString(" data-yanked")
		}
		fmt.Fprintf(&b, ">%s</a><br/>\n", f.filename)
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// pypiFakeAuditor keeps audit entries in memory.
type pypiFakeAuditor struct {
	mu      sync.Mutex
	entries []store.AuditEntry
}

func (a *pypiFakeAuditor) RecordAudit(ctx context.Context, es []store.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, es...)
	return nil
}

// pypiTest is a proxy in front of a fake upstream.
type pypiTest struct {
	s     *Server
	up    *pypiUpstream
	audit *pypiFakeAuditor
	cache string
}

// pypiMAL is the record of the fixture's malicious version.
var pypiMAL = malRecord("MAL-2024-0001", ecosystem.PyPI, "evil-pkg", "1.0.1")

func newPyPITest(t testing.TB, up *pypiUpstream, edit func(*Config)) *pypiTest {
	t.Helper()
	pt := &pypiTest{up: up, audit: &pypiFakeAuditor{}, cache: t.TempDir()}
	cfg := Config{
		PyPI:     up.srv.URL + "/simple",
		DB:       &fakeDB{vulns: []*osv.Vulnerability{pypiMAL}},
		CacheDir: pt.cache,
		Audit:    pt.audit,
		Now:      func() time.Time { return pypiNow },
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pt.s = s
	return pt
}

// get asks the proxy for target with an Accept header.
func (pt *pypiTest) get(t testing.TB, target, accept string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	pt.s.ServeHTTP(w, r)
	return w
}

// pypiServedFile is a file of a page the proxy served, read back.
type pypiServedFile struct {
	URL      string // resolved against the page's URL
	SHA256   string
	Yanked   bool
	Reason   string
	Metadata string
	Requires string
}

// page asks for evil-pkg's page in one format and reads it back, by
// file name.
func (pt *pypiTest) page(t testing.TB, project string, jsonOut bool) map[string]pypiServedFile {
	t.Helper()
	accept := pypiTypeHTML
	if jsonOut {
		accept = pypiTypeJSON
	}
	target := "/pypi/simple/" + project + "/"
	w := pt.get(t, target, accept)
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, w.Code, w.Body)
	}
	if got := w.Header().Get("Content-Type"); got != accept {
		t.Errorf("Content-Type = %q, want %q", got, accept)
	}
	base, _ := url.Parse("http://proxy.test" + target)
	var p *pypiPage
	var err error
	if jsonOut {
		p, err = pypiParseJSON(w.Body.Bytes(), base, project)
	} else {
		p, err = pypiParseHTML(w.Body.Bytes(), base, project)
	}
	if err != nil {
		t.Fatalf("read back the page: %v\n%s", err, w.Body)
	}
	out := map[string]pypiServedFile{}
	for _, f := range p.files {
		out[f.filename] = pypiServedFile{URL: f.url, SHA256: f.sha256, Yanked: f.yanked, Reason: f.yankedReason, Metadata: f.metadataSHA256, Requires: f.requiresPython}
	}
	return out
}

func pypiFixtureOf(up *pypiUpstream, ver string) pypiFixtureFile {
	for _, f := range up.projects["evil-pkg"] {
		if strings.Contains(f.filename, "-"+ver+"-") {
			return f
		}
	}
	panic("no fixture file for " + ver)
}

// fileTarget is the proxy's path of a fixture file.
func pypiFileTarget(f pypiFixtureFile) string {
	return "/pypi/files/evil-pkg/" + pypiSum(f.body) + "/" + f.filename
}

func TestPyPIPage(t *testing.T) {
	for _, upHTML := range []bool{false, true} {
		for _, outJSON := range []bool{false, true} {
			t.Run(fmt.Sprintf("upstream-html=%t/json=%t", upHTML, outJSON), func(t *testing.T) {
				up := newPyPIUpstream(t)
				up.html = upHTML
				pt := newPyPITest(t, up, nil)
				got := pt.page(t, "evil-pkg", outJSON)
				f100, f101, f110 := pypiFixtureOf(up, "1.0.0"), pypiFixtureOf(up, "1.0.1"), pypiFixtureOf(up, "1.1.0")
				want := map[string]pypiServedFile{
					f100.filename: {URL: "http://proxy.test" + pypiFileTarget(f100), SHA256: pypiSum(f100.body), Metadata: pypiSum(f100.metadata), Requires: ">=3.7"},
					f101.filename: {URL: "http://proxy.test" + pypiFileTarget(f101), SHA256: pypiSum(f101.body), Requires: ">=3.7", Yanked: true,
						Reason:   "blocked by sapper: MAL-2024-0001 (Malicious code in evil-pkg)",
						Metadata: pypiSum(pypiHeldMetadata("evil-pkg", "1.0.1"))},
					f110.filename: {URL: "http://proxy.test" + pypiFileTarget(f110), SHA256: pypiSum(f110.body), Metadata: pypiSum(f110.metadata), Requires: ">=3.7", Yanked: true, Reason: "broken build"},
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("page (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestPyPIPageJSONFields(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, nil)
	w := pt.get(t, "/pypi/simple/evil-pkg/", pypiTypeJSON)
	var page struct {
		Meta     map[string]string `json:"meta"`
		Name     string            `json:"name"`
		Versions []string          `json:"versions"`
		Files    []map[string]any  `json:"files"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if page.Meta["api-version"] != "1.1" || page.Name != "evil-pkg" {
		t.Errorf("meta %v, name %q", page.Meta, page.Name)
	}
	if diff := cmp.Diff([]string{"1.0.0", "1.0.1", "1.1.0"}, page.Versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	f := page.Files[0]
	if f["upload-time"] != "2024-01-01T00:00:00.000000Z" || f["size"] != float64(len(pypiFixtureOf(up, "1.0.0").body)) || f["yanked"] != false {
		t.Errorf("file fields: %v", f)
	}
	if h := f["hashes"].(map[string]any); len(h) != 1 {
		t.Errorf("hashes %v: want only the sha256 the proxy checks", h)
	}
	if w.Header().Get("Vary") != "Accept" {
		t.Errorf("Vary = %q", w.Header().Get("Vary"))
	}
}

func TestPyPIPublicURL(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, func(c *Config) { c.PublicURL = "https://sapper.example/mirror/" })
	f := pypiFixtureOf(up, "1.0.0")
	want := "https://sapper.example/mirror" + pypiFileTarget(f)
	for _, jsonOut := range []bool{false, true} {
		if got := pt.page(t, "evil-pkg", jsonOut)[f.filename].URL; got != want {
			t.Errorf("json=%t: URL %q; want %q", jsonOut, got, want)
		}
	}
}

func TestPyPIHead(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, nil)
	f := pypiFixtureOf(up, "1.0.0")
	r := httptest.NewRequest(http.MethodHead, pypiFileTarget(f), nil)
	w := httptest.NewRecorder()
	pt.s.ServeHTTP(w, r)
	if w.Code != http.StatusOK || w.Header().Get("Content-Length") != fmt.Sprint(len(f.body)) || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d %v %d bytes", w.Code, w.Header(), w.Body.Len())
	}
	if w := pt.get(t, pypiFileTarget(f), ""); w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), f.body) {
		t.Errorf("GET after HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
}

func TestPyPIDownload(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, nil)
	f := pypiFixtureOf(up, "1.0.0")
	for i := range 2 {
		w := pt.get(t, pypiFileTarget(f), "")
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), f.body) {
			t.Fatalf("download %d: %d, %d bytes", i, w.Code, w.Body.Len())
		}
	}
	if n := up.hit("/packages/" + f.filename); n != 1 {
		t.Errorf("upstream asked %d times for the file; want once, then the store", n)
	}
	// Allowed core metadata is the upstream's, checked.
	w := pt.get(t, pypiFileTarget(f)+".metadata", "")
	if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), f.metadata) {
		t.Errorf("metadata: %d %q", w.Code, w.Body)
	}
}

func TestPyPIBlockedFile(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, nil)
	f := pypiFixtureOf(up, "1.0.1")
	w := pt.get(t, pypiFileTarget(f), "")
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "MAL-2024-0001") {
		t.Errorf("blocked download: %d %q; want 403 naming MAL-2024-0001", w.Code, w.Body)
	}
	// Its metadata is the proxy's own, matching the page's hash.
	w = pt.get(t, pypiFileTarget(f)+".metadata", "")
	if w.Code != http.StatusOK || pypiSum(w.Body.Bytes()) != pypiHeldMetadataHash("evil-pkg", "1.0.1") {
		t.Errorf("blocked metadata: %d %q", w.Code, w.Body)
	}
	if n := up.hit("/packages/"+f.filename) + up.hit("/packages/"+f.filename+".metadata"); n != 0 {
		t.Errorf("upstream asked %d times for a blocked file", n)
	}
	// The database blocks without the page too: the upstream is down.
	up.srv.Close()
	pt2 := newPyPITest(t, up, nil)
	w = pt2.get(t, pypiFileTarget(f), "")
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "MAL-2024-0001") {
		t.Errorf("blocked download, upstream down: %d %q", w.Code, w.Body)
	}
}

func TestPyPIDigestMismatch(t *testing.T) {
	up := newPyPIUpstream(t)
	up.tamper = true
	pt := newPyPITest(t, up, nil)
	srv := httptest.NewServer(pt.s)
	defer srv.Close()
	f := pypiFixtureOf(up, "1.0.0")
	for range 2 {
		resp, err := http.Get(srv.URL + pypiFileTarget(f))
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && bytes.Equal(body, f.body) {
				t.Fatal("tampered file served whole")
			}
			if rerr == nil && len(body) >= len(f.body) {
				t.Fatalf("tampered file: %d bytes read without error", len(body))
			}
		}
	}
	if blob := pt.s.blobs.open(Digest{Algo: "sha256", Hex: pypiSum(f.body)}); blob != nil {
		blob.Close()
		t.Error("tampered file stored")
	}
	if n := up.hit("/packages/" + f.filename); n != 2 {
		t.Errorf("upstream asked %d times; want 2 (nothing cached)", n)
	}
	entries, _ := os.ReadDir(pt.cache)
	for _, e := range entries {
		if !e.IsDir() {
			t.Errorf("cache holds %s", e.Name())
		}
	}
}

func TestPyPIRedirect(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, nil)
	for _, tc := range []struct{ target, loc string }{
		{"/pypi/simple/Evil_Pkg/", "../evil-pkg/"},
		{"/pypi/simple/evil.pkg/", "../evil-pkg/"},
		{"/pypi/simple/evil-pkg", "evil-pkg/"},
		{"/pypi/simple/EVIL--pkg", "evil-pkg/"},
		{"/pypi/simple", "simple/"},
	} {
		t.Run(strings.ReplaceAll(tc.target, "/", "_"), func(t *testing.T) {
			w := pt.get(t, tc.target, "")
			if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != tc.loc {
				t.Errorf("GET %s: %d Location %q; want 301 %q", tc.target, w.Code, w.Header().Get("Location"), tc.loc)
			}
		})
	}
}

func TestPyPIBadRequests(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, nil)
	sha := pypiSum(pypiFixtureOf(up, "1.0.0").body)
	for _, target := range []string{
		"/pypi/simple/../",
		"/pypi/simple/%2e%2e/",
		"/pypi/simple/%2E%2E/evil-pkg/",
		"/pypi/simple/evil%00pkg/",
		"/pypi/simple/evil%2dpkg/",
		"/pypi/simple/%65vil-pkg/",
		"/pypi/simple/evil%2fpkg/",
		"/pypi/simple/-evil/",
		"/pypi/simple/evil%20pkg/",
		"/pypi/simple/" + strings.Repeat("a", 300) + "/",
		"/pypi/files/evil-pkg/" + sha + "/..",
		"/pypi/files/evil-pkg/" + sha + "/%2e%2e",
		"/pypi/files/Evil_Pkg/" + sha + "/evil_pkg-1.0.0-py3-none-any.whl",
		"/pypi/files/evil-pkg/" + strings.ToUpper(sha) + "/evil_pkg-1.0.0-py3-none-any.whl",
		"/pypi/files/evil-pkg/1234/evil_pkg-1.0.0-py3-none-any.whl",
		"/pypi/files/evil-pkg/" + sha + "/evil%5cpkg.whl",
	} {
		w := pt.get(t, target, "")
		if w.Code != http.StatusBadRequest {
			t.Errorf("GET %s: %d %q; want 400", target, w.Code, w.Body)
		}
	}
	for _, target := range []string{
		"/pypi/",
		"/pypi/simple/evil-pkg/extra",
		"/pypi/files/evil-pkg/" + sha,
		"/pypi/files/evil-pkg/" + pypiSum(nil) + "/evil_pkg-1.0.0-py3-none-any.whl", // not on the page
		"/pypi/simple/no-such-project/",
	} {
		if w := pt.get(t, target, ""); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d %q; want 404", target, w.Code, w.Body)
		}
	}
	if w := pt.get(t, "/pypi/simple/evil-pkg/", "application/xml"); w.Code != http.StatusNotAcceptable {
		t.Errorf("Accept: application/xml: %d; want 406", w.Code)
	}
	// pip escapes "+" and "!" in file names: those escapes are fine.
	if err := pypiCheckEscapes("/files/a/b/a-1.0%2Blocal-py3-none-any.whl"); err != nil {
		t.Errorf("escaped '+': %v", err)
	}
}

func TestPyPIMalformedUpstream(t *testing.T) {
	for _, tc := range []struct{ name, typ, page string }{
		{"json-truncated", pypiTypeJSON, `{"meta": {"api-version": "1.1"}, "files": [`},
		{"json-trailing", pypiTypeJSON, `{"meta": {"api-version": "1.1"}, "files": []} {}`},
		{"json-major-2", pypiTypeJSON, `{"meta": {"api-version": "2.0"}, "name": "evil-pkg", "files": []}`},
		{"json-no-meta", pypiTypeJSON, `{"name": "evil-pkg", "files": []}`},
		{"json-other-project", pypiTypeJSON, `{"meta": {"api-version": "1.0"}, "name": "requests", "files": []}`},
		{"json-files-type", pypiTypeJSON, `{"meta": {"api-version": "1.0"}, "name": "evil-pkg", "files": {}}`},
		{"json-yanked-type", pypiTypeJSON, `{"meta": {"api-version": "1.0"}, "name": "evil-pkg", "files": [{"filename": "evil_pkg-1.0.0-py3-none-any.whl", "url": "x", "hashes": {}, "yanked": 3}]}`},
		{"json-hash-type", pypiTypeJSON, `{"meta": {"api-version": "1.0"}, "name": "evil-pkg", "files": [{"filename": "evil_pkg-1.0.0-py3-none-any.whl", "url": "x", "hashes": {"sha256": 1}}]}`},
		{"html-major-2", "text/html", `<html><head><meta name="pypi:repository-version" content="2.0"></head><body></body></html>`},
		{"other-type", "application/xml", `<xml/>`},
		{"v2-json", "application/vnd.pypi.simple.v2+json", `{}`},
		{"too-many-files", "text/html", strings.Repeat(`<a href="f">`, pypiMaxFiles+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newPyPIUpstream(t)
			up.page, up.pageType = tc.page, tc.typ
			pt := newPyPITest(t, up, nil)
			w := pt.get(t, "/pypi/simple/evil-pkg/", pypiTypeJSON)
			if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "malformed simple page") {
				t.Errorf("%d %q; want 502 naming the malformed page", w.Code, w.Body)
			}
		})
	}
}

// TestPyPIOddHTML reads pages a tolerant parser must get right or refuse
// file by file, never guessing an allow.
func TestPyPIOddHTML(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	base, _ := url.Parse("https://pypi.example/simple/evil-pkg/")
	page := `<!DOCTYPE html><html><head><base href="https://mirror.example/root/"><title>x</title>
<script>document.write('<a href="evil_pkg-9.0.0-py3-none-any.whl#sha256=` + sum + `">evil_pkg-9.0.0-py3-none-any.whl</a>')</script>
<!-- <a href="evil_pkg-8.0.0-py3-none-any.whl">commented out</a> -->
</head><body>
<A HREF='pkgs/evil_pkg-1.0.0-py3-none-any.whl#SHA256=` + sum + `' DATA-YANKED data-requires-python="&gt;=3.8,&lt;4">x</A>
<a href="pkgs/evil_pkg-1.0.1.tar.gz#sha256=` + strings.ToUpper(sum) + `" data-yanked="a &quot;reason&quot;" data-core-metadata="sha256=` + sum + `" data-dist-info-metadata="true">evil_pkg-1.0.1.tar.gz</a>
<a href="pkgs/evil_pkg-1.0.2.tar.gz#md5=00">md5 only</a>
<a href="javascript:alert(1)">evil_pkg-1.0.3.tar.gz</a>
<a>no href</a>
<a href="pkgs/evil%2Fpkg-1.0.4.tar.gz">slash in the name</a>
<a href="pkgs/evil_pkg-1.0.5.tar.gz#sha256=` + sum + `"><b>nested</b> tags
<a href="pkgs/other-1.0.0.tar.gz">other project</a>
<a href="pkgs/evil_pkg-1.0.6.tar.gz#sha256=` + sum + `" data-gpg-sig="true" data-yanked="unterminated`
	p, err := pypiParseHTML([]byte(page), base, "evil-pkg")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Filename, URL, SHA256, Version, Requires, Reason, Meta string
		Yanked                                                 bool
	}
	var got []row
	for _, f := range p.files {
		got = append(got, row{f.filename, f.url, f.sha256, f.version, f.requiresPython, f.yankedReason, f.metadataSHA256, f.yanked})
	}
	root := "https://mirror.example/root/pkgs/"
	want := []row{
		{Filename: "evil_pkg-1.0.0-py3-none-any.whl", URL: root + "evil_pkg-1.0.0-py3-none-any.whl", Version: "1.0.0", Requires: ">=3.8,<4", Yanked: true},
		{Filename: "evil_pkg-1.0.1.tar.gz", URL: root + "evil_pkg-1.0.1.tar.gz", SHA256: sum, Version: "1.0.1", Reason: `a "reason"`, Yanked: true, Meta: sum},
		{Filename: "evil_pkg-1.0.2.tar.gz", URL: root + "evil_pkg-1.0.2.tar.gz", Version: "1.0.2"},
		{Filename: "evil_pkg-1.0.3.tar.gz", Version: "1.0.3"},
		{Filename: "evil_pkg-1.0.5.tar.gz", URL: root + "evil_pkg-1.0.5.tar.gz", SHA256: sum, Version: "1.0.5"},
		{Filename: "other-1.0.0.tar.gz", URL: root + "other-1.0.0.tar.gz"},
		// The last tag never closes: no file.
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if p.skipped != 1 {
		t.Errorf("skipped %d files; want 1 (the slash)", p.skipped)
	}
}

func TestPyPIQuarantine(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, func(c *Config) {
		c.Quarantine = 30 * 24 * time.Hour // 1.1.0 (Feb 15) is younger, 1.0.0 older
	})
	f := pypiFixtureOf(up, "1.1.0")
	got := pt.page(t, "evil-pkg", true)[f.filename]
	if !got.Yanked || !strings.Contains(got.Reason, "quarantined") || !strings.Contains(got.Reason, "also yanked upstream: broken build") {
		t.Errorf("young file: %+v; want held back as quarantined", got)
	}
	if w := pt.get(t, pypiFileTarget(f), ""); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "quarantined") {
		t.Errorf("young file download: %d %q", w.Code, w.Body)
	}
	if w := pt.get(t, pypiFileTarget(pypiFixtureOf(up, "1.0.0")), ""); w.Code != http.StatusOK {
		t.Errorf("old file download: %d %q", w.Code, w.Body)
	}

	// An upload time that does not parse cannot pass the quarantine.
	up.page, up.pageType = `{"meta": {"api-version": "1.1"}, "name": "evil-pkg", "versions": ["1.0.0"], "files": [{"filename": "evil_pkg-1.0.0-py3-none-any.whl", "url": "/packages/evil_pkg-1.0.0-py3-none-any.whl", "hashes": {"sha256": "`+pypiSum(pypiFixtureOf(up, "1.0.0").body)+`"}, "upload-time": "yesterday"}]}`, pypiTypeJSON
	pt = newPyPITest(t, up, func(c *Config) { c.Quarantine = time.Hour })
	if got := pt.page(t, "evil-pkg", false)["evil_pkg-1.0.0-py3-none-any.whl"]; !got.Yanked || !strings.Contains(got.Reason, "upload time") {
		t.Errorf("bad upload time: %+v; want held back", got)
	}
}

func TestPyPIFailClosed(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, func(c *Config) { c.DB = nil })
	f := pypiFixtureOf(up, "1.0.0")
	got := pt.page(t, "evil-pkg", false)
	for name, sf := range got {
		if !sf.Yanked || !strings.Contains(sf.Reason, "no readable database") {
			t.Errorf("%s: %+v; want held back for want of a database", name, sf)
		}
	}
	if w := pt.get(t, pypiFileTarget(f), ""); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "sapper db sync") {
		t.Errorf("download without a database: %d %q", w.Code, w.Body)
	}
	// Failing open serves it, but still not the known-malicious one.
	pt = newPyPITest(t, up, func(c *Config) { c.DB = nil; c.FailOpen = true })
	if w := pt.get(t, pypiFileTarget(f), ""); w.Code != http.StatusOK {
		t.Errorf("download failing open: %d %q", w.Code, w.Body)
	}
}

func TestPyPIUncheckableFiles(t *testing.T) {
	up := newPyPIUpstream(t)
	whl, _ := pypiWheel(t, "evil-pkg", "2.0.0")
	egg := []byte("not a zip")
	up.projects["evil-pkg"] = append(up.projects["evil-pkg"],
		pypiFixtureFile{filename: "evil_pkg-2.0.0-py3-none-any.whl", body: whl, noHash: true, uploaded: pypiNow},
		pypiFixtureFile{filename: "evil_pkg-2.0.0-py3.11.egg", body: egg, uploaded: pypiNow},
		pypiFixtureFile{filename: "evil_pkg-2.0.1-py3-none-any.whl", body: whl, host: "elsewhere.example", uploaded: pypiNow},
	)
	for _, failOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail-open=%t", failOpen), func(t *testing.T) {
			pt := newPyPITest(t, up, func(c *Config) { c.FailOpen = failOpen })
			got := pt.page(t, "evil-pkg", true)
			for name, want := range map[string]string{
				"evil_pkg-2.0.0-py3-none-any.whl": "no sha256",
				"evil_pkg-2.0.0-py3.11.egg":       "cannot read a PyPI version",
				"evil_pkg-2.0.1-py3-none-any.whl": `host "elsewhere.example"`,
			} {
				held := !failOpen || strings.Contains(want, "host")
				if sf := got[name]; sf.Yanked != held || held && !strings.Contains(sf.Reason, want) {
					t.Errorf("%s: %+v; want held back %t for %q", name, sf, held, want)
				}
			}
			w := pt.get(t, "/pypi/files/evil-pkg/nohash/evil_pkg-2.0.0-py3-none-any.whl", "")
			if failOpen && (w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), whl)) || !failOpen && w.Code != http.StatusForbidden {
				t.Errorf("file with no hash: %d %q", w.Code, w.Body)
			}
			w = pt.get(t, "/pypi/files/evil-pkg/"+pypiSum(whl)+"/evil_pkg-2.0.1-py3-none-any.whl", "")
			if w.Code != http.StatusForbidden {
				t.Errorf("file on another host: %d %q", w.Code, w.Body)
			}
		})
	}
}

func TestPyPITyposquat(t *testing.T) {
	up := newPyPIUpstream(t)
	whl, _ := pypiWheel(t, "reqeusts", "1.0.0")
	up.projects["reqeusts"] = []pypiFixtureFile{{filename: "reqeusts-1.0.0-py3-none-any.whl", body: whl, uploaded: pypiNow.Add(-time.Hour * 1000)}}
	checker := names.New(map[string][]string{string(ecosystem.PyPI): {"requests"}})
	target := "/pypi/files/reqeusts/" + pypiSum(whl) + "/reqeusts-1.0.0-py3-none-any.whl"

	pt := newPyPITest(t, up, func(c *Config) { c.Names = checker })
	if got := pt.page(t, "reqeusts", true)["reqeusts-1.0.0-py3-none-any.whl"]; got.Yanked {
		t.Errorf("typosquat by default: %+v; want served (warn)", got)
	}
	if w := pt.get(t, target, ""); w.Code != http.StatusOK {
		t.Errorf("typosquat download by default: %d %q", w.Code, w.Body)
	}
	pt.s.Close()
	if e := pt.audit.last(t, target); e.Decision != string(finding.Warn) || !strings.Contains(e.Reason, "imitates") {
		t.Errorf("audit: %+v; want a warning naming the look-alike", e)
	}

	pol, err := policy.Parse("sapper.toml", []byte("[signals.typosquat]\naction = \"block\"\nreason = \"no look-alikes\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	pt = newPyPITest(t, up, func(c *Config) { c.Names = checker; c.Policy = pol })
	if got := pt.page(t, "reqeusts", false)["reqeusts-1.0.0-py3-none-any.whl"]; !got.Yanked || !strings.Contains(got.Reason, "imitates") {
		t.Errorf("typosquat blocked by policy: %+v", got)
	}
	if w := pt.get(t, target, ""); w.Code != http.StatusForbidden {
		t.Errorf("typosquat download blocked by policy: %d %q", w.Code, w.Body)
	}
}

// last returns the audit entry of the last request for path.
func (a *pypiFakeAuditor) last(t testing.TB, path string) store.AuditEntry {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.entries) - 1; i >= 0; i-- {
		if a.entries[i].Path == path {
			return a.entries[i]
		}
	}
	t.Fatalf("no audit entry for %s among %d", path, len(a.entries))
	return store.AuditEntry{}
}

func TestPyPIAudit(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, nil)
	f100, f101 := pypiFixtureOf(up, "1.0.0"), pypiFixtureOf(up, "1.0.1")
	targets := []string{
		"/pypi/simple/evil-pkg/",
		pypiFileTarget(f100),
		pypiFileTarget(f101),
		"/pypi/simple/Evil_Pkg/",
		"/pypi/simple/evil%2dpkg/",
		"/pypi/simple/no-such-project/",
		"/pypi/simple/%2e%2e/",
	}
	for _, target := range targets {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.RemoteAddr = "192.0.2.7:1234"
		pt.s.ServeHTTP(httptest.NewRecorder(), r)
	}
	pt.s.Close() // flushes
	type row struct{ Client, Name, Version, Decision, Path string }
	var got []row
	for _, e := range pt.audit.entries {
		if e.Ecosystem != ecosystem.PyPI || !e.Time.Equal(pypiNow) {
			t.Errorf("entry %+v: ecosystem or time", e)
		}
		got = append(got, row{e.Client, e.Name, e.Version, e.Decision, e.Path})
	}
	want := []row{
		{"192.0.2.7", "evil-pkg", "", "allow", "/pypi/simple/evil-pkg/"},
		{"192.0.2.7", "evil-pkg", "1.0.0", "allow", pypiFileTarget(f100)},
		{"192.0.2.7", "evil-pkg", "1.0.1", "block", pypiFileTarget(f101)},
		{"192.0.2.7", "evil-pkg", "", "allow", "/pypi/simple/Evil_Pkg/"},
		{"192.0.2.7", "", "", "block", "/pypi/simple/evil%2dpkg/"},
		{"192.0.2.7", "no-such-project", "", "block", "/pypi/simple/no-such-project/"},
		{"192.0.2.7", "", "", "block", "/pypi/simple/%2e%2e/"}, // refused before routing
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	if r := pt.audit.entries[0].Reason; !strings.Contains(r, "held back: 1.0.1 (MAL-2024-0001") {
		t.Errorf("page entry reason %q; want the held-back version", r)
	}
	if r := pt.audit.entries[2].Reason; !strings.Contains(r, "MAL-2024-0001") {
		t.Errorf("blocked entry reason %q", r)
	}
}

func TestPyPIIndex(t *testing.T) {
	up := newPyPIUpstream(t)
	pt := newPyPITest(t, up, nil)
	w := pt.get(t, "/pypi/simple/", pypiTypeJSON)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"projects":[]`) {
		t.Errorf("JSON index: %d %q", w.Code, w.Body)
	}
	w = pt.get(t, "/pypi/simple/", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HTML index: %d %q", w.Code, w.Header())
	}
}

func TestPyPINegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept, query string
		want          pypiFormat
		ok            bool
	}{
		{"", "", pypiFormatText, true},
		{"*/*", "", pypiFormatText, true},
		{"text/*", "", pypiFormatText, true},
		{"application/*", "", pypiFormatHTML, true},
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", "", pypiFormatJSON, true}, // pip
		{"application/vnd.pypi.simple.v1+json;q=0.5, */*", "", pypiFormatText, true},
		{"application/vnd.pypi.simple.latest+json", "", pypiFormatJSON, true},
		{"application/vnd.pypi.simple.latest+html", "", pypiFormatHTML, true},
		{"text/html, application/vnd.pypi.simple.v1+json", "", pypiFormatText, true},
		{"text/html;q=0, application/vnd.pypi.simple.v1+html;q=0.5", "", pypiFormatHTML, true},
		{"*/*, text/html;q=0", "", pypiFormatHTML, true},
		{"application/json", "", pypiFormat{}, false},
		{"text/html;q=bad", "", pypiFormat{}, false},
		{"", "format=" + url.QueryEscape(pypiTypeJSON), pypiFormatJSON, true},
		{"", "format=bogus", pypiFormat{}, false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/simple/x/?"+tc.query, nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		got, ok := pypiNegotiate(r)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Accept %q %s: %v %t; want %v %t", tc.accept, tc.query, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPyPIFileVersion(t *testing.T) {
	for _, tc := range []struct{ project, filename, want string }{
		{"evil-pkg", "evil_pkg-1.0.0-py3-none-any.whl", "1.0.0"},
		{"evil-pkg", "Evil.Pkg-1.0.0-1-cp311-cp311-manylinux_2_17_x86_64.whl", "1.0.0"},
		{"evil-pkg", "evil_pkg-1.0.0+local.1-py3-none-any.whl", "1.0.0+local.1"},
		{"evil-pkg", "evil_pkg-1!2.0rc1-py3-none-any.whl", "1!2.0rc1"},
		{"evil-pkg", "evil-pkg-1.0.0.tar.gz", "1.0.0"},
		{"evil-pkg", "Evil_Pkg-1.0.0.ZIP", "1.0.0"},
		{"evil-pkg", "evil-pkg-1.0.0.post1.tar.bz2", "1.0.0.post1"},
		{"zope-interface", "zope.interface-6.0.tar.gz", "6.0"},
		{"a-b", "a-b-c-1.0.tar.gz", ""}, // another project's file
		{"a", "a-b-1.0.tar.gz", ""},
		{"evil-pkg", "evil_pkg-1.0.0-py3-none.whl", ""},
		{"evil-pkg", "other-1.0.0-py3-none-any.whl", ""},
		{"evil-pkg", "evil_pkg-1.0.0-py3.11.egg", ""},
		{"evil-pkg", "evil_pkg-1.0.0.exe", ""},
		{"evil-pkg", "evil-pkg-.tar.gz", ""},
		{"evil-pkg", "evil-pkg-not a version.tar.gz", ""},
		{"evil-pkg", ".tar.gz", ""},
	} {
		if got := pypiFileVersion(tc.project, tc.filename); got != tc.want {
			t.Errorf("pypiFileVersion(%q, %q) = %q; want %q", tc.project, tc.filename, got, tc.want)
		}
	}
}

// BenchmarkPyPIPage measures a request for a cached simple page: the
// fixture's three files (one blocked, one yanked), and 100 versions of
// three files each, in JSON (what pip asks for) and HTML.
func BenchmarkPyPIPage(b *testing.B) {
	up := newPyPIUpstream(b)
	var files []pypiFixtureFile
	for i := range 100 {
		for _, tag := range []string{"py3-none-any", "cp311-cp311-manylinux_2_17_x86_64", "cp312-cp312-win_amd64"} {
			files = append(files, pypiFixtureFile{
				filename: fmt.Sprintf("big_pkg-1.0.%d-%s.whl", i, tag),
				body:     []byte(fmt.Sprint(i, tag)), metadata: []byte("m"),
				uploaded: pypiNow.Add(-time.Duration(i) * time.Hour),
			})
		}
	}
	up.projects["big-pkg"] = files
	pt := newPyPITest(b, up, func(c *Config) {
		c.DB = &fakeDB{vulns: []*osv.Vulnerability{pypiMAL, malRecord("MAL-2024-0002", ecosystem.PyPI, "big-pkg", "1.0.7")}}
	})
	for _, project := range []string{"evil-pkg", "big-pkg"} {
		for _, accept := range []string{pypiTypeJSON, pypiTypeHTML} {
			target := "/pypi/simple/" + project + "/"
			b.Run(project+"/"+accept[strings.LastIndexByte(accept, '+')+1:], func(b *testing.B) {
				if w := pt.get(b, target, accept); w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body)
				}
				b.ReportAllocs()
				for b.Loop() {
					r := httptest.NewRequest(http.MethodGet, target, nil)
					r.Header.Set("Accept", accept)
					w := httptest.NewRecorder()
					pt.s.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatal(w.Code)
					}
				}
			})
		}
		if n := up.hit("/simple/" + project + "/"); n > 1 {
			b.Errorf("upstream asked %d times for %s; want at most once", n, project)
		}
	}
}
