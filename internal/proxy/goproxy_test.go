package proxy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/module"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/store"
)

// goTestNow is the clock of the Go proxy tests.
var goTestNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const (
	goEvil   = "example.invalid/evil"
	goMalID  = "MAL-2025-0001"
	goBadVer = "v1.0.1"
)

// goFakeVersion is one version of a module of goFakeProxy.
type goFakeVersion struct {
	version string
	time    time.Time
}

// goFakeProxy is an upstream speaking the GOPROXY protocol for a few fake
// modules, with real module zips, and a fake checksum database under
// /sumdb. Handlers override single paths, for malformed answers.
type goFakeProxy struct {
	mu       sync.Mutex
	modules  map[string][]goFakeVersion
	latest   map[string]string
	handlers map[string]http.HandlerFunc
	hits     map[string]int
}

func newGoFakeProxy() *goFakeProxy {
	return &goFakeProxy{
		modules: map[string][]goFakeVersion{
			goEvil: {
				{"v1.0.0", goTestNow.Add(-90 * 24 * time.Hour)},
				{"v1.0.1", goTestNow.Add(-30 * 24 * time.Hour)},
				{"v1.1.0-pre", goTestNow.Add(-time.Hour)},
			},
		},
		latest:   map[string]string{goEvil: "v1.0.1"},
		handlers: map[string]http.HandlerFunc{},
		hits:     map[string]int{},
	}
}

func (f *goFakeProxy) handle(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[path] = h
}

func (f *goFakeProxy) hitCount(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *goFakeProxy) totalHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.hits {
		n += c
	}
	return n
}

func (f *goFakeProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.hits[r.URL.Path]++
	h := f.handlers[r.URL.Path]
	f.mu.Unlock()
	if h != nil {
		h(w, r)
		return
	}
	if p, ok := strings.CutPrefix(r.URL.Path, "/sumdb/"); ok {
		switch {
		case p == "latest" || strings.HasPrefix(p, "lookup/"):
			fmt.Fprintf(w, "fake checksum database answer for %s\n", p)
		case strings.HasPrefix(p, "tile/"):
			w.Write([]byte{0, 1, 2, 3})
		default:
			http.NotFound(w, r)
		}
		return
	}
	p, ok := strings.CutPrefix(r.URL.Path, "/goproxy/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	escMod, file, ok := strings.Cut(p, "/@")
	mod, err := module.UnescapePath(escMod)
	if !ok || err != nil {
		http.Error(w, "not found: bad path", http.StatusNotFound)
		return
	}
	f.mu.Lock()
	versions := f.modules[mod]
	latest := f.latest[mod]
	f.mu.Unlock()
	if versions == nil {
		http.Error(w, "not found: module "+mod+": no matching versions", http.StatusNotFound)
		return
	}
	info := func(v string) {
		for _, fv := range versions {
			if fv.version == v {
				json.NewEncoder(w).Encode(map[string]any{"Version": v, "Time": fv.time, "Origin": map[string]string{"VCS": "git"}})
				return
			}
		}
		http.Error(w, "not found: "+mod+"@"+v+": invalid version: unknown revision", http.StatusNotFound)
	}
	if file == "latest" {
		info(latest)
		return
	}
	file, ok = strings.CutPrefix(file, "v/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if file == "list" {
		for _, fv := range versions {
			fmt.Fprintln(w, fv.version)
		}
		return
	}
	ext := file[strings.LastIndex(file, "."):]
	v, err := module.UnescapeVersion(strings.TrimSuffix(file, ext))
	if err != nil || !slices.ContainsFunc(versions, func(fv goFakeVersion) bool { return fv.version == v }) {
		http.Error(w, "not found: unknown revision", http.StatusNotFound)
		return
	}
	switch ext {
	case ".info":
		info(v)
	case ".mod":
		fmt.Fprintf(w, "module %s\n\ngo 1.21\n", mod)
	case ".zip":
		w.Header().Set("Content-Type", "application/zip")
		w.Write(goModuleZip(mod, v))
	default:
		http.NotFound(w, r)
	}
}

// goModuleZip builds the module zip of mod@v.
func goModuleZip(mod, v string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	pkg := mod[strings.LastIndex(mod, "/")+1:]
	for _, f := range []struct{ name, body string }{
		{"go.mod", fmt.Sprintf("module %s\n\ngo 1.21\n", mod)},
		{pkg + ".go", fmt.Sprintf("// Package %s is version %s.\npackage %s\n\nconst Version = %q\n", pkg, v, pkg, v)},
	} {
		fw, err := zw.Create(mod + "@" + v + "/" + f.name)
		if err != nil {
			panic(err)
		}
		io.WriteString(fw, f.body)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// goMalDB is a database with a MAL record for example.invalid/evil v1.0.1.
func goMalDB() *fakeDB {
	return &fakeDB{vulns: []*osv.Vulnerability{malRecord(goMalID, ecosystem.Go, goEvil, goBadVer)}}
}

// goFakeAuditor keeps audit entries in memory.
type goFakeAuditor struct {
	mu      sync.Mutex
	entries []store.AuditEntry
}

func (a *goFakeAuditor) RecordAudit(ctx context.Context, es []store.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, es...)
	return nil
}

// goTest is a proxy in front of a fake upstream.
type goTest struct {
	up    *goFakeProxy
	upSrv *httptest.Server
	s     *Server
	srv   *httptest.Server
}

// newGoTest starts a fake upstream and a proxy in front of it. cfg's
// upstreams and clock are filled in; its DB is the caller's.
func newGoTest(t testing.TB, cfg Config) *goTest {
	t.Helper()
	up := newGoFakeProxy()
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	cfg.GoProxy = upSrv.URL + "/goproxy"
	cfg.SumDB = upSrv.URL + "/sumdb"
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return goTestNow }
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = t.TempDir()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	return &goTest{up: up, upSrv: upSrv, s: s, srv: srv}
}

// get requests a path of the proxy and returns the status, the body and
// the Content-Type.
func (g *goTest) get(t testing.TB, path string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(g.srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body), resp.Header.Get("Content-Type")
}

func TestGoList(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB()})
	status, body, ctype := g.get(t, "/go/example.invalid/evil/@v/list")
	if status != http.StatusOK || !strings.HasPrefix(ctype, "text/plain") {
		t.Fatalf("list: %d %s %q", status, ctype, body)
	}
	if diff := cmp.Diff("v1.0.0\nv1.1.0-pre\n", body); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}

	// Without the record every version is listed.
	g = newGoTest(t, Config{DB: &fakeDB{}})
	if _, body, _ := g.get(t, "/go/example.invalid/evil/@v/list"); body != "v1.0.0\nv1.0.1\nv1.1.0-pre\n" {
		t.Errorf("list without records = %q", body)
	}
}

func TestGoListRecordVersionWithoutV(t *testing.T) {
	// OSV records of the Go ecosystem may write versions without the "v".
	db := &fakeDB{vulns: []*osv.Vulnerability{malRecord(goMalID, ecosystem.Go, goEvil, "1.0.1")}}
	g := newGoTest(t, Config{DB: db})
	if _, body, _ := g.get(t, "/go/example.invalid/evil/@v/list"); body != "v1.0.0\nv1.1.0-pre\n" {
		t.Errorf("list = %q, want v1.0.1 left out", body)
	}
}

func TestGoLatest(t *testing.T) {
	tests := []struct {
		name        string
		db          *fakeDB
		latest      string
		wantStatus  int
		wantVersion string
		wantBody    string
	}{
		{"allowed", &fakeDB{}, "v1.0.1", http.StatusOK, "v1.0.1", ""},
		{"blocked moves to highest allowed release", goMalDB(), "v1.0.1", http.StatusOK, "v1.0.0", ""},
		{"all blocked", &fakeDB{vulns: []*osv.Vulnerability{malRecord(goMalID, ecosystem.Go, goEvil, "v1.0.0", "v1.0.1", "v1.1.0-pre")}},
			"v1.0.1", http.StatusForbidden, "", "sapper blocked example.invalid/evil@v1.0.1: " + goMalID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGoTest(t, Config{DB: tt.db})
			g.up.latest[goEvil] = tt.latest
			status, body, ctype := g.get(t, "/go/example.invalid/evil/@latest")
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", status, tt.wantStatus, body)
			}
			if tt.wantBody != "" && !strings.Contains(body, tt.wantBody) {
				t.Errorf("body %q, want %q", body, tt.wantBody)
			}
			if tt.wantVersion == "" {
				return
			}
			var info goInfo
			if err := json.Unmarshal([]byte(body), &info); err != nil || ctype != "application/json" {
				t.Fatalf("latest %q (%s): %v", body, ctype, err)
			}
			if info.Version != tt.wantVersion {
				t.Errorf("latest = %s, want %s", info.Version, tt.wantVersion)
			}
		})
	}
}

func TestGoBlockedVersion(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB()})
	for _, file := range []string{"v1.0.1.info", "v1.0.1.mod", "v1.0.1.zip"} {
		t.Run(file, func(t *testing.T) {
			status, body, ctype := g.get(t, "/go/example.invalid/evil/@v/"+file)
			if status != http.StatusForbidden || !strings.HasPrefix(ctype, "text/plain") {
				t.Fatalf("%s: %d %s %q", file, status, ctype, body)
			}
			want := "sapper blocked example.invalid/evil@v1.0.1: MAL-2025-0001 (Malicious code in example.invalid/evil)\n"
			if body != want {
				t.Errorf("body %q, want %q", body, want)
			}
			if n := g.up.hitCount("/goproxy/example.invalid/evil/@v/" + file); n != 0 {
				t.Errorf("blocked %s fetched from the upstream %d times", file, n)
			}
		})
	}
}

func TestGoAllowedVersion(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB()})
	status, body, _ := g.get(t, "/go/example.invalid/evil/@v/v1.0.0.info")
	var info goInfo
	if err := json.Unmarshal([]byte(body), &info); status != http.StatusOK || err != nil || info.Version != "v1.0.0" {
		t.Fatalf(".info: %d %q %v", status, body, err)
	}
	if !strings.Contains(body, `"Origin"`) {
		t.Errorf(".info %q lost the upstream's Origin", body)
	}
	if status, body, _ := g.get(t, "/go/example.invalid/evil/@v/v1.0.0.mod"); status != http.StatusOK || body != "module example.invalid/evil\n\ngo 1.21\n" {
		t.Errorf(".mod: %d %q", status, body)
	}
	want := string(goModuleZip(goEvil, "v1.0.0"))
	for i := range 2 {
		status, body, ctype := g.get(t, "/go/example.invalid/evil/@v/v1.0.0.zip")
		if status != http.StatusOK || body != want || ctype != "application/zip" {
			t.Fatalf(".zip #%d: %d %s, %d bytes, want %d", i, status, ctype, len(body), len(want))
		}
	}
	if n := g.up.hitCount("/goproxy/example.invalid/evil/@v/v1.0.0.zip"); n != 1 {
		t.Errorf("zip fetched %d times from the upstream, want once (then from the cache)", n)
	}
	// A new server on the same cache directory serves the zip from disk.
	dir := g.s.cfg.CacheDir
	g2 := newGoTest(t, Config{DB: goMalDB(), CacheDir: dir})
	if status, body, _ := g2.get(t, "/go/example.invalid/evil/@v/v1.0.0.zip"); status != http.StatusOK || body != want {
		t.Errorf("cached .zip: %d, %d bytes", status, len(body))
	}
	if n := g2.up.hitCount("/goproxy/example.invalid/evil/@v/v1.0.0.zip"); n != 0 {
		t.Errorf("cached zip fetched %d times from the upstream", n)
	}
	// A query (a branch) is resolved upstream and the version it names
	// decided.
	g.up.handle("/goproxy/example.invalid/evil/@v/main.info", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"Version":"v1.0.1","Time":%q}`, goTestNow.Format(time.RFC3339))
	})
	if status, body, _ := g.get(t, "/go/example.invalid/evil/@v/main.info"); status != http.StatusForbidden || !strings.Contains(body, goMalID) {
		t.Errorf("query resolving to a blocked version: %d %q", status, body)
	}
}

func TestGoNotFound(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB()})
	for _, p := range []string{
		"/go/example.invalid/nothing/@v/list",
		"/go/example.invalid/nothing/@latest",
		"/go/example.invalid/evil/@v/v1.9.9.info",
		"/go/example.invalid/evil/@v/v1.9.9.mod",
		"/go/example.invalid/evil/@v/v1.9.9.zip",
		"/go/github.com/!burnt!sushi/toml/@v/list", // canonical escapes go upstream
	} {
		status, body, _ := g.get(t, p)
		if status != http.StatusNotFound || !strings.Contains(body, "not found") {
			t.Errorf("%s: %d %q, want the upstream's 404", p, status, body)
		}
	}
	if n := g.up.hitCount("/goproxy/github.com/!burnt!sushi/toml/@v/list"); n != 1 {
		t.Errorf("escaped path reached the upstream %d times", n)
	}
}

func TestGoBadPaths(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB()})
	for _, p := range []string{
		"/go/example.invalid/../evil/@v/list",
		"/go/example.invalid/%2e%2e/evil/@v/list",
		"/go/example.invalid/%2E%2E%2Fevil/@v/list",
		"/go/example.invalid/evil%00/@v/list",
		"/go/example.invalid/evil/@v/v1.0.0%00.zip",
		"/go/example.invalid%2Fevil/@v/list",
		"/go/example.invalid/evil/@v/v1.0.0%2Ezip",
		"/go/example.invalid/%65vil/@v/list",           // %65 is "e": not canonical
		"/go/github.com/BurntSushi/toml/@v/list",       // upper case not !-escaped
		"/go/github.com/%21burnt%21sushi/toml/@v/list", // ! percent-escaped
		"/go/github.com/!!burnt/toml/@v/list",
		"/go/github.com/!/toml/@v/list",
		"/go/example.invalid/evil/@v/V1.0.0.mod",
		"/go/example.invalid/evil/@v/v1.0.mod",   // not canonical
		"/go/example.invalid/evil/@v/v2.0.0.zip", // major version needs /v2
		"/go/example.invalid/evil/@v/main.zip",   // zips name versions
		"/go/example.invalid/evil/@v/v1.0.0.tar", // no such file
		"/go/example.invalid/evil/@v/",
		"/go/example.invalid/evil",
		"/go/evil/@v/list", // no dot in the first element
		"/go/example.invalid/evil/@v/.info",
		"/go/example.invalid/ev\u00efl/@v/list",
		"/go/sumdb/sum.golang.org/lookup/example.invalid/%2e%2e@v1.0.0",
		"/go/sumdb/sum.golang.org/lookup/example.invalid/Evil@v1.0.0",
		"/go/sumdb/sum.golang.org/tile/8/0/../../x",
		"/go/sumdb/sum.golang.org/nothing",
		"/go/sumdb/sum.golang.google.cn/supported",
		"/sumdb/evil.example/lookup/example.invalid/evil@v1.0.0",
	} {
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			rec := httptest.NewRecorder()
			g.s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
			if rec.Code < 400 || rec.Code >= 500 {
				t.Errorf("%s: %d %q, want 4xx", p, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("%s: Content-Type %q", p, ct)
			}
		})
	}
	if n := g.up.totalHits(); n != 0 {
		t.Errorf("bad paths made %d upstream requests", n)
	}
}

func TestGoMalformedUpstream(t *testing.T) {
	slowClient := &http.Client{Timeout: 200 * time.Millisecond}
	tests := []struct {
		name    string
		path    string // of the upstream
		handler http.HandlerFunc
		get     string // of the proxy
		cfg     Config
		want    string
	}{
		{"info not JSON", "/goproxy/example.invalid/evil/@v/v1.0.0.info",
			func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>") },
			"/go/example.invalid/evil/@v/v1.0.0.info", Config{}, "malformed .info"},
		{"info other version", "/goproxy/example.invalid/evil/@v/v1.0.0.info",
			func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"Version":"v1.0.1","Time":%q}`, goTestNow.Format(time.RFC3339))
			},
			"/go/example.invalid/evil/@v/v1.0.0.info", Config{}, "answered for version v1.0.1"},
		{"info bad version", "/goproxy/example.invalid/evil/@latest",
			func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"Version":"../../v1","Time":%q}`, goTestNow.Format(time.RFC3339))
			},
			"/go/example.invalid/evil/@latest", Config{}, "not a canonical version"},
		{"info without time", "/goproxy/example.invalid/evil/@latest",
			func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"Version":"v1.0.0"}`) },
			"/go/example.invalid/evil/@latest", Config{}, "no Time"},
		{"info too large", "/goproxy/example.invalid/evil/@v/v1.0.0.info",
			func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"Version":"v1.0.0","X":"`+strings.Repeat("x", goMaxInfoBytes)+`"}`)
			},
			"/go/example.invalid/evil/@v/v1.0.0.info", Config{}, "answer larger than"},
		{"mod not go.mod", "/goproxy/example.invalid/evil/@v/v1.0.0.mod",
			func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "module \"unterminated\n") },
			"/go/example.invalid/evil/@v/v1.0.0.mod", Config{}, "malformed go.mod"},
		{"upstream error", "/goproxy/example.invalid/evil/@v/list",
			func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusInternalServerError) },
			"/go/example.invalid/evil/@v/list", Config{}, "HTTP 500"},
		{"slow", "/goproxy/example.invalid/evil/@v/list",
			func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			"/go/example.invalid/evil/@v/list", Config{HTTP: slowClient}, "Timeout"},
		{"zip too large", "/goproxy/example.invalid/evil/@v/v1.0.0.zip",
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(goMaxZipBytes+1))
				w.Write([]byte("PK"))
			},
			"/go/example.invalid/evil/@v/v1.0.0.zip", Config{}, "larger than the go command's limit"},
		{"quarantine info broken", "/goproxy/example.invalid/evil/@v/v1.0.0.info",
			func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", http.StatusServiceUnavailable) },
			"/go/example.invalid/evil/@v/list", Config{Quarantine: time.Hour}, "HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.DB = goMalDB()
			g := newGoTest(t, tt.cfg)
			g.up.handle(tt.path, tt.handler)
			status, body, ctype := g.get(t, tt.get)
			if status != http.StatusBadGateway || !strings.HasPrefix(ctype, "text/plain") {
				t.Fatalf("%d %s %q, want 502", status, ctype, body)
			}
			if !strings.HasPrefix(body, "sapper proxy: upstream ") || !strings.Contains(body, tt.want) {
				t.Errorf("body %q, want %q", body, tt.want)
			}
		})
	}
}

func TestGoZipBrokenStream(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB()})
	g.up.handle("/goproxy/example.invalid/evil/@v/v1.0.0.zip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write(bytes.Repeat([]byte("PK"), 20000))
		w.(http.Flusher).Flush()
		// and the connection ends 60000 bytes short
	})
	resp, err := http.Get(g.srv.URL + "/go/example.invalid/evil/@v/v1.0.0.zip")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("broken upstream zip: client read %d bytes without an error", len(body))
	}
	// Nothing was stored: the next request goes upstream again.
	g.up.handle("/goproxy/example.invalid/evil/@v/v1.0.0.zip", nil)
	if status, body, _ := g.get(t, "/go/example.invalid/evil/@v/v1.0.0.zip"); status != http.StatusOK || body != string(goModuleZip(goEvil, "v1.0.0")) {
		t.Errorf("after a broken stream: %d, %d bytes", status, len(body))
	}
}

func TestGoMalformedList(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB()})
	g.up.handle("/goproxy/example.invalid/evil/@v/list", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "v1.0.0\n\x00junk\nv1.0.1\n../../etc\nv2.0.0\nv1.2\n  v1.0.2 2026-01-02T03:04:05Z \nv1.0.0\nv1.0.3 notatime\n")
	})
	_, body, _ := g.get(t, "/go/example.invalid/evil/@v/list")
	if diff := cmp.Diff("v1.0.0\nv1.0.2 2026-01-02T03:04:05Z\nv1.0.3\n", body); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
}

func TestGoQuarantine(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB(), Quarantine: 48 * time.Hour})
	g.up.latest[goEvil] = "v1.1.0-pre"
	if _, body, _ := g.get(t, "/go/example.invalid/evil/@v/list"); body != "v1.0.0\n" {
		t.Errorf("list = %q, want only v1.0.0 (v1.0.1 malicious, v1.1.0-pre an hour old)", body)
	}
	for _, file := range []string{"v1.1.0-pre.info", "v1.1.0-pre.mod", "v1.1.0-pre.zip"} {
		status, body, _ := g.get(t, "/go/example.invalid/evil/@v/"+file)
		if status != http.StatusForbidden || !strings.Contains(body, "quarantined: published 1h0m0s ago") {
			t.Errorf("%s: %d %q", file, status, body)
		}
	}
	if _, body, _ := g.get(t, "/go/example.invalid/evil/@latest"); !strings.Contains(body, `"v1.0.0"`) {
		t.Errorf("latest = %q, want v1.0.0", body)
	}
	if status, _, _ := g.get(t, "/go/example.invalid/evil/@v/v1.0.0.zip"); status != http.StatusOK {
		t.Errorf("old version: %d", status)
	}
	// Each version's .info was fetched once, then cached.
	if n := g.up.hitCount("/goproxy/example.invalid/evil/@v/v1.1.0-pre.info"); n != 1 {
		t.Errorf(".info fetched %d times", n)
	}
	// The malicious version needs no time to be blocked.
	if n := g.up.hitCount("/goproxy/example.invalid/evil/@v/v1.0.1.info"); n != 0 {
		t.Errorf(".info of the blocked version fetched %d times", n)
	}
}

func TestGoFailClosed(t *testing.T) {
	g := newGoTest(t, Config{})
	for _, p := range []string{"/go/example.invalid/evil/@v/list", "/go/example.invalid/evil/@latest", "/go/example.invalid/evil/@v/v1.0.0.info", "/go/example.invalid/evil/@v/v1.0.0.zip"} {
		status, body, _ := g.get(t, p)
		if status != http.StatusForbidden || !strings.Contains(body, "no readable database") {
			t.Errorf("%s: %d %q, want 403", p, status, body)
		}
	}
	if n := g.up.totalHits(); n != 0 {
		t.Errorf("%d upstream requests without a database", n)
	}
	g = newGoTest(t, Config{FailOpen: true})
	if status, body, _ := g.get(t, "/go/example.invalid/evil/@v/list"); status != http.StatusOK || body != "v1.0.0\nv1.0.1\nv1.1.0-pre\n" {
		t.Errorf("fail-open list: %d %q", status, body)
	}
	// A database that fails blocks too.
	g = newGoTest(t, Config{DB: &fakeDB{err: fmt.Errorf("disk on fire")}})
	if status, body, _ := g.get(t, "/go/example.invalid/evil/@v/v1.0.0.zip"); status != http.StatusForbidden || !strings.Contains(body, "disk on fire") {
		t.Errorf("database error: %d %q", status, body)
	}
	if _, body, _ := g.get(t, "/go/example.invalid/evil/@v/list"); body != "" {
		t.Errorf("database error: list %q, want empty", body)
	}
}

func TestGoAudit(t *testing.T) {
	aud := &goFakeAuditor{}
	g := newGoTest(t, Config{DB: goMalDB(), Audit: aud})
	for _, p := range []string{
		"/go/example.invalid/evil/@v/list",
		"/go/example.invalid/evil/@latest",
		"/go/example.invalid/evil/@v/v1.0.1.zip",
		"/go/example.invalid/evil/@v/v1.0.0.zip",
		"/go/example.invalid/evil/@v/v1.9.0.mod",
		"/go/example.invalid/%2e%2e/@v/list",
		"/go/github.com/BurntSushi/toml/@v/list",
		"/go/sumdb/sum.golang.org/supported",
	} {
		g.get(t, p)
	}
	g.srv.Close()
	if err := g.s.Close(); err != nil {
		t.Fatal(err)
	}
	type entry struct{ Name, Version, Decision, Path string }
	var got []entry
	for _, e := range aud.entries {
		if e.Ecosystem != ecosystem.Go {
			t.Errorf("entry %+v: ecosystem %q", e, e.Ecosystem)
		}
		got = append(got, entry{e.Name, e.Version, e.Decision, e.Path})
	}
	want := []entry{
		{goEvil, "", "allow", "/go/example.invalid/evil/@v/list"},
		{goEvil, "v1.0.0", "allow", "/go/example.invalid/evil/@latest"},
		{goEvil, "v1.0.1", "block", "/go/example.invalid/evil/@v/v1.0.1.zip"},
		{goEvil, "v1.0.0", "allow", "/go/example.invalid/evil/@v/v1.0.0.zip"},
		{goEvil, "v1.9.0", "allow", "/go/example.invalid/evil/@v/v1.9.0.mod"},
		// Refused before routing: audited with the path as sent.
		{"", "", "block", "/go/example.invalid/%2e%2e/@v/list"},
		{"", "", "block", "/go/github.com/BurntSushi/toml/@v/list"},
		{"sum.golang.org", "", "allow", "/go/sumdb/sum.golang.org/supported"},
	}
	// Requests may finish in any order.
	byPath := func(a, b entry) int { return strings.Compare(a.Path, b.Path) }
	slices.SortFunc(want, byPath)
	slices.SortFunc(got, byPath)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit entries (-want +got):\n%s", diff)
	}
	for _, e := range aud.entries {
		switch e.Path {
		case "/go/example.invalid/evil/@v/list", "/go/example.invalid/evil/@v/v1.0.1.zip", "/go/example.invalid/evil/@latest":
			if !strings.Contains(e.Reason, goMalID) {
				t.Errorf("%s: reason %q does not name %s", e.Path, e.Reason, goMalID)
			}
		}
	}
}

func TestGoSumDB(t *testing.T) {
	g := newGoTest(t, Config{DB: goMalDB()})
	tests := []struct {
		path       string
		wantStatus int
		wantBody   string
	}{
		{"/go/sumdb/sum.golang.org/supported", http.StatusOK, ""},
		{"/sumdb/sum.golang.org/supported", http.StatusOK, ""},
		{"/go/sumdb/sum.golang.org/lookup/example.invalid/evil@v1.0.1", http.StatusOK, "fake checksum database answer for lookup/example.invalid/evil@v1.0.1\n"},
		{"/go/sumdb/sum.golang.org/lookup/github.com/!burnt!sushi/toml@v1.0.0", http.StatusOK, "fake checksum database answer for lookup/github.com/!burnt!sushi/toml@v1.0.0\n"},
		{"/sumdb/sum.golang.org/latest", http.StatusOK, "fake checksum database answer for latest\n"},
		{"/go/sumdb/sum.golang.org/tile/8/0/x001/234", http.StatusOK, "\x00\x01\x02\x03"},
		{"/go/sumdb/sum.golang.org/tile/8/1/000.p/17", http.StatusOK, "\x00\x01\x02\x03"},
		{"/go/sumdb/sum.golang.org/tile/8/data/000", http.StatusOK, "\x00\x01\x02\x03"},
		{"/go/sumdb/sum.golang.google.cn/supported", http.StatusNotFound, ""},
		{"/go/sumdb/sum.golang.org/lookup/example.invalid/evil", http.StatusBadRequest, ""},
		{"/go/sumdb/sum.golang.org/tile/8/0/1234", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		status, body, _ := g.get(t, tt.path)
		if status != tt.wantStatus || (tt.wantBody != "" && body != tt.wantBody) {
			t.Errorf("%s: %d %q, want %d %q", tt.path, status, body, tt.wantStatus, tt.wantBody)
		}
	}
	g.up.handle("/sumdb/lookup/example.invalid/gone@v1.0.0", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not found: example.invalid/gone@v1.0.0: unrecognized import path", http.StatusGone)
	})
	if status, body, _ := g.get(t, "/go/sumdb/sum.golang.org/lookup/example.invalid/gone@v1.0.0"); status != http.StatusGone || !strings.Contains(body, "unrecognized import path") {
		t.Errorf("410 not passed on: %d %q", status, body)
	}
}

func TestGoPlain(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"a\nb\x1b[31mc", "a b [31mc"},
		{"\xff\xfe ok", "? ok"},
		{"  two\n\nlines ", "two lines"},
		{strings.Repeat("é", 10), "éééé..."},
	} {
		if got := goPlain(tt.in, 9); got != tt.want {
			t.Errorf("goPlain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGoWarnServes(t *testing.T) {
	// The decisions the Go handlers act on are Decide's: a warning
	// (here: fail-open without a database) still serves.
	g := newGoTest(t, Config{FailOpen: true})
	d := g.s.Decide(context.Background(), ecosystem.Go, goEvil, "v1.0.0", VersionInfo{})
	if d.Action != finding.Warn {
		t.Fatalf("Decide = %+v", d)
	}
	if status, _, _ := g.get(t, "/go/example.invalid/evil/@v/v1.0.0.zip"); status != http.StatusOK {
		t.Errorf("warned version: %d", status)
	}
}

func BenchmarkGoListCached(b *testing.B) {
	g := newGoTest(b, Config{DB: goMalDB()})
	var versions []goFakeVersion
	for i := range 200 {
		versions = append(versions, goFakeVersion{fmt.Sprintf("v1.%d.0", i), goTestNow.Add(-time.Duration(i+1) * 24 * time.Hour)})
	}
	g.up.modules[goEvil] = versions
	req := httptest.NewRequest(http.MethodGet, "/go/example.invalid/evil/@v/list", nil)
	rec := httptest.NewRecorder()
	g.s.ServeHTTP(rec, req) // fill the cache
	if rec.Code != http.StatusOK {
		b.Fatal(rec.Code, rec.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		g.s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
