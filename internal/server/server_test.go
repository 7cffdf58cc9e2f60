package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/server"
	"github.com/sapperhq/sapper/internal/store"
)

// testdataRecords is the number of records in testdata/ (withdrawn/ included).
const testdataRecords = 7

// openStore opens a new database in a temporary directory and imports the
// records of testdata/ (those of testdata/withdrawn/ as filed withdrawn).
func openStore(t testing.TB) *store.Store {
	t.Helper()
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "sapper.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	importDir(t, st, "testdata", false)
	importDir(t, st, filepath.Join("testdata", "withdrawn"), true)
	return st
}

// importDir imports the *.json files of dir into st.
func importDir(t testing.TB, st *store.Store, dir string, withdrawn bool) {
	t.Helper()
	if err := importFiles(t.Context(), st, dir, withdrawn); err != nil {
		t.Fatal(err)
	}
}

func importFiles(ctx context.Context, st *store.Store, dir string, withdrawn bool) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no records in %s (%v)", dir, err)
	}
	_, err = st.Import(ctx, func(im *store.Importer) error {
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			v, err := osv.Decode(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if err := im.Put(ctx, store.Record{Vuln: v, Raw: raw, Origin: f, Withdrawn: withdrawn}); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// testLogger logs to the test's output, shown when it fails or with -v.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newTestServer serves the testdata records over loopback.
func newTestServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := server.New(openStore(t), server.Options{Logger: testLogger(t)})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// response is what a test reads back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t testing.TB, ts *httptest.Server, method, path, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func post(t testing.TB, ts *httptest.Server, path, body string) response {
	t.Helper()
	return do(t, ts, http.MethodPost, path, "application/json", strings.NewReader(body))
}

// errorBody is the JSON body of an error response.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// checkError checks that r is a JSON error with status want whose message
// contains msg.
func checkError(t *testing.T, r response, want int, msg string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if e.Code != want {
		t.Errorf("code = %d, want %d", e.Code, want)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("message = %q, want it to contain %q", e.Message, msg)
	}
}

// compact returns the JSON of a testdata file with insignificant space
// removed, to compare with records embedded in responses.
func compact(t testing.TB, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %s: %v", b, err)
	}
	return buf.String()
}

func testdataFile(t testing.TB, id string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQuery(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name string
		body string
		want []string // IDs; nil: the body must be {}
	}{
		{"npm-listed-version", `{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0"}`, []string{"MAL-2024-1001"}},
		{"npm-other-listed-version", `{"version":"1.0.1","package":{"name":"evil-colors","ecosystem":"npm"}}`, []string{"MAL-2024-1001"}},
		{"npm-unlisted-version", `{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.2"}`, nil},
		{"npm-no-version", `{"package":{"ecosystem":"npm","name":"evil-colors"}}`, []string{"MAL-2024-1001"}},
		{"npm-unknown-package", `{"package":{"ecosystem":"npm","name":"left-pad"},"version":"1.0.0"}`, nil},
		{"npm-scoped", `{"package":{"ecosystem":"npm","name":"@acme-internal/stealer"},"version":"99.0.1"}`, []string{"MAL-2024-1003"}},
		{"pypi-normalised-name", `{"package":{"ecosystem":"PyPI","name":"nasrtox"},"version":"0.0.1"}`, []string{"MAL-2024-1002"}},
		{"pypi-stored-spelling", `{"package":{"ecosystem":"PyPI","name":"Nasrtox"},"version":"3.1"}`, []string{"MAL-2024-1002"}},
		{"pypi-other-spelling", `{"package":{"ecosystem":"PyPI","name":"NASRTOX"},"version":"1.0"}`, []string{"MAL-2024-1002"}},
		{"pypi-unparsable-version-introduced-zero", `{"package":{"ecosystem":"PyPI","name":"nasrtox"},"version":"not a version"}`, []string{"MAL-2024-1002"}},
		{"pypi-withdrawn-by-directory", `{"package":{"ecosystem":"PyPI","name":"requests-toolbelt-x"},"version":"1.0"}`, nil},
		{"pypi-withdrawn-by-directory-no-version", `{"package":{"ecosystem":"PyPI","name":"requests-toolbelt-x"}}`, nil},
		{"semver-introduced", `{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"1.0.0"}`, []string{"GHSA-qwph-4952-7xr6"}},
		{"semver-inside", `{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"1.4.1"}`, []string{"GHSA-qwph-4952-7xr6"}},
		{"semver-fixed", `{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"1.4.2"}`, nil},
		{"semver-after-fixed", `{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"2.0.0"}`, nil},
		{"semver-before-introduced", `{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"0.9.9"}`, nil},
		{"go-v-prefix", `{"package":{"ecosystem":"Go","name":"github.com/evil-org/cryptoutil"},"version":"v1.2.3"}`, []string{"MAL-2024-1005"}},
		{"go-as-stored", `{"package":{"ecosystem":"Go","name":"github.com/evil-org/cryptoutil"},"version":"1.2.3"}`, []string{"MAL-2024-1005"}},
		{"go-other-version", `{"package":{"ecosystem":"Go","name":"github.com/evil-org/cryptoutil"},"version":"v1.2.4"}`, nil},
		{"ecosystem-suffix", `{"package":{"ecosystem":"Debian:12","name":"openssl"},"version":"3.0.0"}`, nil},
		{"purl", `{"package":{"purl":"pkg:npm/evil-colors@1.0.1"}}`, []string{"MAL-2024-1001"}},
		{"purl-scoped", `{"package":{"purl":"pkg:npm/%40acme-internal/stealer@99.0.0"}}`, []string{"MAL-2024-1003"}},
		{"purl-without-version-plus-version", `{"package":{"purl":"pkg:pypi/nasrtox"},"version":"2.0"}`, []string{"MAL-2024-1002"}},
		{"purl-without-any-version", `{"package":{"purl":"pkg:npm/deep-merge-lite"}}`, []string{"GHSA-qwph-4952-7xr6"}},
		{"purl-golang", `{"package":{"purl":"pkg:golang/github.com/evil-org/cryptoutil@v1.2.3"}}`, []string{"MAL-2024-1005"}},
		{"purl-no-match", `{"package":{"purl":"pkg:npm/evil-colors@2.0.0"}}`, nil},
		{"empty-page-token", `{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0","page_token":""}`, []string{"MAL-2024-1001"}},
		{"empty-commit", `{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0","commit":""}`, []string{"MAL-2024-1001"}},
		{"null-version", `{"package":{"ecosystem":"npm","name":"evil-colors"},"version":null}`, []string{"MAL-2024-1001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, ts, "/v1/query", tt.body)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if tt.want == nil {
				if got := strings.TrimSpace(string(r.body)); got != "{}" {
					t.Errorf("body = %s, want {}", got)
				}
				return
			}
			var got struct {
				Vulns []json.RawMessage `json:"vulns"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			var ids []string
			for _, raw := range got.Vulns {
				var v struct{ ID string }
				if err := json.Unmarshal(raw, &v); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, v.ID)
				// The full record, exactly as stored.
				if diff := cmp.Diff(compact(t, testdataFile(t, v.ID)), compact(t, raw)); diff != "" {
					t.Errorf("record %s differs from testdata (-want +got):\n%s", v.ID, diff)
				}
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("IDs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		msg         string
	}{
		{"empty-body", "application/json", ``, 400, "empty request body"},
		{"malformed-json", "application/json", `{"package":`, 400, "malformed JSON"},
		{"syntax-error", "application/json", `{"package" {}}`, 400, "malformed JSON at byte"},
		{"not-an-object", "application/json", `[1,2]`, 400, "want a JSON object"},
		{"string-body", "application/json", `"npm"`, 400, "want a JSON object"},
		{"trailing-data", "application/json", `{"package":{"ecosystem":"npm","name":"a"}} {}`, 400, "unexpected data"},
		{"unknown-field", "application/json", `{"package":{"ecosystem":"npm","name":"a"},"versions":"1"}`, 400, `unknown field "versions"`},
		{"unknown-package-field", "application/json", `{"package":{"ecosystem":"npm","name":"a","namespace":"x"}}`, 400, `unknown field "namespace"`},
		{"wrong-type", "application/json", `{"package":{"ecosystem":"npm","name":1}}`, 400, `field "package.name"`},
		{"missing-package", "application/json", `{"version":"1.0.0"}`, 400, `missing "package"`},
		{"null-package", "application/json", `{"package":null}`, 400, `missing "package"`},
		{"missing-name", "application/json", `{"package":{"ecosystem":"npm"},"version":"1.0.0"}`, 400, "missing package.name"},
		{"missing-ecosystem", "application/json", `{"package":{"name":"evil-colors"},"version":"1.0.0"}`, 400, "missing package.ecosystem"},
		{"unknown-ecosystem", "application/json", `{"package":{"ecosystem":"pypi","name":"nasrtox"}}`, 400, `unsupported ecosystem "pypi"`},
		{"commit", "application/json", `{"commit":"6879efc2c1596d11a6a6ad296f80063b558d5e0f"}`, 400, "commit queries are not supported"},
		{"commit-with-package", "application/json", `{"commit":"6879efc2","package":{"ecosystem":"npm","name":"a"}}`, 400, "not supported"},
		{"page-token", "application/json", `{"package":{"ecosystem":"npm","name":"a"},"page_token":"abc"}`, 400, "page_token"},
		{"purl-and-version", "application/json", `{"package":{"purl":"pkg:pypi/x@1.0"},"version":"1.0"}`, 400, "version given in both"},
		{"purl-and-name", "application/json", `{"package":{"purl":"pkg:npm/a","name":"a"}}`, 400, "one or the other"},
		{"purl-and-ecosystem", "application/json", `{"package":{"purl":"pkg:npm/a","ecosystem":"npm"}}`, 400, "one or the other"},
		{"purl-malformed", "application/json", `{"package":{"purl":"npm/evil-colors@1.0.0"}}`, 400, "package.purl"},
		{"purl-unknown-type", "application/json", `{"package":{"purl":"pkg:deb/debian/openssl@3.0"}}`, 400, "package.purl"},
		{"content-type-multipart", "multipart/form-data; boundary=x", `{"package":{"ecosystem":"npm","name":"a"}}`, 415, "not JSON"},
		{"content-type-xml", "application/xml", `{"package":{"ecosystem":"npm","name":"a"}}`, 415, "not JSON"},
		{"content-type-unparsable", "a/b/c;;", `{"package":{"ecosystem":"npm","name":"a"}}`, 415, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, ts, http.MethodPost, "/v1/query", tt.contentType, strings.NewReader(tt.body))
			checkError(t, r, tt.status, tt.msg)
		})
	}
}

// TestQueryContentType checks that content types are accepted leniently:
// none at all, and the form type `curl -d` sends.
func TestQueryContentType(t *testing.T) {
	ts := newTestServer(t)
	for _, ct := range []string{"", "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded", "text/plain", "application/vnd.api+json"} {
		t.Run(strings.NewReplacer("/", "_", " ", "").Replace(ct), func(t *testing.T) {
			r := do(t, ts, http.MethodPost, "/v1/query", ct, strings.NewReader(`{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0"}`))
			if r.status != http.StatusOK || !strings.Contains(string(r.body), "MAL-2024-1001") {
				t.Errorf("status %d, body %s; want 200 with MAL-2024-1001", r.status, r.body)
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	ts := newTestServer(t)
	// A valid JSON prefix, then more than the limit of padding.
	big := `{"package":{"ecosystem":"npm","name":"` + strings.Repeat("a", limits.MaxRequestBytes) + `"}}`
	for _, path := range []string{"/v1/query", "/v1/querybatch"} {
		t.Run(strings.TrimPrefix(path, "/v1/"), func(t *testing.T) {
			r := post(t, ts, path, big)
			checkError(t, r, http.StatusRequestEntityTooLarge, "larger than")
		})
	}
}

// batchResult is one result of /v1/querybatch as a client reads it.
type batchResult struct {
	Vulns []struct {
		ID       string `json:"id"`
		Modified string `json:"modified"`
	} `json:"vulns"`
}

func TestQueryBatch(t *testing.T) {
	ts := newTestServer(t)
	body := `{"queries":[
		{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0"},
		{"package":{"ecosystem":"npm","name":"left-pad"},"version":"1.0.0"},
		{"package":{"ecosystem":"PyPI","name":"nasrtox"},"version":"0.1"},
		{"package":{"purl":"pkg:golang/github.com/evil-org/cryptoutil@v1.2.3"}},
		{"package":{"ecosystem":"PyPI","name":"requests-toolbelt-x"}},
		{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"1.4.1"},
		{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"1.4.2"}
	]}`
	r := post(t, ts, "/v1/querybatch", body)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d; body %s", r.status, r.body)
	}
	// Exact bytes: empty results are {}, records carry id and modified only.
	want := `{"results":[` +
		`{"vulns":[{"id":"MAL-2024-1001","modified":"2024-03-01T10:00:00Z"}]},` +
		`{},` +
		`{"vulns":[{"id":"MAL-2024-1002","modified":"2024-04-10T08:15:30.123456Z"}]},` +
		`{"vulns":[{"id":"MAL-2024-1005","modified":"2024-07-07T07:07:07Z"}]},` +
		`{},` +
		`{"vulns":[{"id":"GHSA-qwph-4952-7xr6","modified":"2023-11-20T16:42:10Z"}]},` +
		`{}]}`
	if diff := cmp.Diff(want, strings.TrimSpace(string(r.body))); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// batchOf returns a querybatch body of n queries, every one for evil-colors
// 1.0.0, which matches MAL-2024-1001.
func batchOf(n int) string {
	q := `{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0"}`
	return `{"queries":[` + strings.TrimSuffix(strings.Repeat(q+",", n), ",") + `]}`
}

func TestQueryBatchSizes(t *testing.T) {
	ts := newTestServer(t)
	for _, n := range []int{0, 1, limits.MaxBatchQueries} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := post(t, ts, "/v1/querybatch", batchOf(n))
			if r.status != http.StatusOK {
				t.Fatalf("status = %d; body %.300s", r.status, r.body)
			}
			var got struct{ Results []batchResult }
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Results) != n {
				t.Fatalf("%d results, want %d", len(got.Results), n)
			}
			for i, res := range got.Results {
				if len(res.Vulns) != 1 || res.Vulns[0].ID != "MAL-2024-1001" {
					t.Fatalf("result %d = %+v, want MAL-2024-1001", i, res)
				}
			}
		})
	}
}

func TestQueryBatchErrors(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name   string
		body   string
		status int
		msg    string
	}{
		{"too-many-queries", batchOf(limits.MaxBatchQueries + 1), 400, "too many queries"},
		{"far-too-many-empty-queries", `{"queries":[` + strings.TrimSuffix(strings.Repeat("{},", 100_000), ",") + `]}`, 400, "too many queries"},
		{"bad-query-names-index", `{"queries":[{"package":{"ecosystem":"npm","name":"a"}},{"package":{"ecosystem":"npm","name":"b"}},{"package":{"ecosystem":"NPM","name":"c"}}]}`, 400, "queries[2]: package.ecosystem"},
		{"commit-query", `{"queries":[{"commit":"abc"}]}`, 400, "queries[0]: commit queries are not supported"},
		{"unknown-field-in-query", `{"queries":[{"package":{"ecosystem":"npm","name":"a"}},{"pkg":{}}]}`, 400, `queries[1]: unknown field "pkg"`},
		{"wrong-type-in-query", `{"queries":[{"package":{"ecosystem":"npm","name":["a"]}}]}`, 400, "queries[0]: field"},
		{"unknown-top-level-field", `{"queries":[],"query":{}}`, 400, `unknown field "query"`},
		{"queries-not-array", `{"queries":{}}`, 400, "want an array"},
		{"malformed", `{"queries":[{"package":}]}`, 400, "malformed JSON"},
		{"truncated", `{"queries":[{"package":{"ecosystem":"npm"`, 400, "malformed JSON"},
		{"empty", ``, 400, "empty request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, post(t, ts, "/v1/querybatch", tt.body), tt.status, tt.msg)
		})
	}
}

func TestVulns(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name string
		path string
		want string // ID of the record served
	}{
		{"mal-id", "/v1/vulns/MAL-2024-1001", "MAL-2024-1001"},
		{"ghsa-id", "/v1/vulns/GHSA-qwph-4952-7xr6", "GHSA-qwph-4952-7xr6"},
		{"go-record", "/v1/vulns/MAL-2024-1005", "MAL-2024-1005"},
		// MAL-2024-1003 and the withdrawn MAL-2024-1004 both carry it: the
		// first by ID wins.
		{"ghsa-alias-shared", "/v1/vulns/GHSA-9x4q-3gxw-849f", "MAL-2024-1003"},
		{"snyk-alias", "/v1/vulns/SNYK-JS-SCOPESTEALER-7000001", "MAL-2024-1003"},
		{"withdrawn-by-id", "/v1/vulns/MAL-2024-1004", "MAL-2024-1004"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, ts, http.MethodGet, tt.path, "", nil)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			// Byte for byte as imported.
			want := string(bytes.TrimSpace(testdataFile(t, tt.want))) + "\n"
			if diff := cmp.Diff(want, string(r.body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("withdrawn-by-directory-says-so", func(t *testing.T) {
		r := do(t, ts, http.MethodGet, "/v1/vulns/MAL-2023-0099", "", nil)
		var v osv.Vulnerability
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatalf("status %d, body %s: %v", r.status, r.body, err)
		}
		if v.ID != "MAL-2023-0099" || !v.IsWithdrawn() {
			t.Errorf("got %s withdrawn=%v, want MAL-2023-0099 withdrawn", v.ID, v.IsWithdrawn())
		}
	})

	t.Run("head", func(t *testing.T) {
		r := do(t, ts, http.MethodHead, "/v1/vulns/MAL-2024-1001", "", nil)
		if r.status != http.StatusOK || len(r.body) != 0 {
			t.Errorf("status %d, body %q; want 200 and no body", r.status, r.body)
		}
	})

	for name, path := range map[string]string{
		"unknown-id":    "/v1/vulns/MAL-2099-0001",
		"unknown-alias": "/v1/vulns/CVE-2023-99999x",
		"long-id":       "/v1/vulns/" + strings.Repeat("A", 1000),
		"sql-id":        "/v1/vulns/%27%20OR%201%3D1--",
	} {
		t.Run(name, func(t *testing.T) {
			checkError(t, do(t, ts, http.MethodGet, path, "", nil), http.StatusNotFound, "no record")
		})
	}
}

func TestHealthz(t *testing.T) {
	ts := newTestServer(t)
	r := do(t, ts, http.MethodGet, "/healthz", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d; body %s", r.status, r.body)
	}
	want := fmt.Sprintf(`{"status":"ok","records":%d}`, testdataRecords)
	if diff := cmp.Diff(want, strings.TrimSpace(string(r.body))); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// TestRoutes checks unknown paths and wrong methods.
func TestRoutes(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/", 404, ""},
		{http.MethodGet, "/v1/vulns/", 404, ""},
		{http.MethodGet, "/v1/vulns", 404, ""},
		{http.MethodPost, "/v2/query", 404, ""},
		{http.MethodGet, "/v1/query", 405, "POST"},
		{http.MethodPut, "/v1/query", 405, "POST"},
		{http.MethodGet, "/v1/querybatch", 405, "POST"},
		{http.MethodDelete, "/v1/querybatch", 405, "POST"},
		{http.MethodPost, "/v1/vulns/MAL-2024-1001", 405, "GET, HEAD"},
		{http.MethodDelete, "/v1/vulns/MAL-2024-1001", 405, "GET, HEAD"},
		{http.MethodPost, "/healthz", 405, "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+strings.ReplaceAll(tt.path, "/", "_"), func(t *testing.T) {
			r := do(t, ts, tt.method, tt.path, "", strings.NewReader("{}"))
			msg := "no endpoint"
			if tt.status == 405 {
				msg = "not allowed"
			}
			checkError(t, r, tt.status, msg)
			if got := r.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

// fakeDB is a DB whose lookups return vulns after running lookup, if set;
// it stores no records.
type fakeDB struct {
	lookup func(ctx context.Context) error
	vulns  []*osv.Vulnerability
}

func (f *fakeDB) Lookup(ctx context.Context, eco ecosystem.Ecosystem, name string) ([]*osv.Vulnerability, error) {
	if f.lookup != nil {
		if err := f.lookup(ctx); err != nil {
			return nil, err
		}
	}
	return f.vulns, nil
}

func (f *fakeDB) Get(ctx context.Context, id string) ([]store.Raw, error) {
	return nil, fmt.Errorf("record %s: %w", id, store.ErrNotFound)
}
func (f *fakeDB) Refresh(context.Context) (bool, error)      { return false, nil }
func (f *fakeDB) Load(context.Context) error                 { return nil }
func (f *fakeDB) Stats(context.Context) (store.Stats, error) { return store.Stats{}, nil }

var _ server.DB = (*fakeDB)(nil)

// logBuffer collects log output, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServerErrors checks that failures of the database become 5xx
// responses whose details are logged, once, and not sent.
func TestServerErrors(t *testing.T) {
	tests := []struct {
		name    string
		lookup  func(ctx context.Context) error
		status  int
		msg     string
		logged  string
		timeout time.Duration
	}{
		{
			name:   "db-error",
			lookup: func(context.Context) error { return errors.New("disk I/O error at /secret/path") },
			status: 500, msg: "internal server error", logged: "disk I/O error at /secret/path",
		},
		{
			name:   "panic",
			lookup: func(context.Context) error { panic("index corrupted at /secret/path") },
			status: 500, msg: "internal server error", logged: "index corrupted at /secret/path",
		},
		{
			name: "timeout",
			lookup: func(ctx context.Context) error {
				<-ctx.Done()
				return ctx.Err()
			},
			timeout: 50 * time.Millisecond,
			status:  503, msg: "request took longer than 50ms", logged: "context deadline exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			srv := server.New(&fakeDB{lookup: tt.lookup}, server.Options{
				Logger:         slog.New(slog.NewTextHandler(&logs, nil)),
				RequestTimeout: tt.timeout,
			})
			ts := httptest.NewServer(srv.Handler())
			defer ts.Close()
			for _, path := range []string{"/v1/query", "/v1/querybatch"} {
				body := `{"package":{"ecosystem":"npm","name":"a"},"version":"1.0.0"}`
				if path == "/v1/querybatch" {
					body = `{"queries":[` + body + `]}`
				}
				r := post(t, ts, path, body)
				checkError(t, r, tt.status, tt.msg)
				if strings.Contains(string(r.body), "secret") {
					t.Errorf("response leaks details: %s", r.body)
				}
			}
			if n := strings.Count(logs.String(), tt.logged); n != 2 {
				t.Errorf("log has %q %d times, want 2 (one per failed request):\n%s", tt.logged, n, logs.String())
			}
			if n := strings.Count(logs.String(), "\n"); n != 2 {
				t.Errorf("log has %d lines, want 2:\n%s", n, logs.String())
			}
		})
	}
}

// TestRecordMissing checks that a record the index names but the database
// lacks is a server error, not a 404.
func TestRecordMissing(t *testing.T) {
	var logs logBuffer
	db := &fakeDB{vulns: []*osv.Vulnerability{{
		ID:       "MAL-2024-9999",
		Modified: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: "a"}}},
	}}}
	srv := server.New(db, server.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	checkError(t, post(t, ts, "/v1/query", `{"package":{"ecosystem":"npm","name":"a"}}`), 500, "internal server error")
	if !strings.Contains(logs.String(), "MAL-2024-9999: not found") {
		t.Errorf("log does not say what failed:\n%s", logs.String())
	}
	// A batch needs no record, only the index.
	r := post(t, ts, "/v1/querybatch", `{"queries":[{"package":{"ecosystem":"npm","name":"a"}}]}`)
	want := `{"results":[{"vulns":[{"id":"MAL-2024-9999","modified":"2024-01-02T03:04:05Z"}]}]}`
	if diff := cmp.Diff(want, strings.TrimSpace(string(r.body))); r.status != 200 || diff != "" {
		t.Errorf("batch: status %d, body (-want +got):\n%s", r.status, diff)
	}
}

// serve runs srv.Serve on a loopback listener until the test ends, and
// returns its base URL and a function that stops it and returns Serve's
// result.
func serve(t *testing.T, srv *server.Server) (string, func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	var serveErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case serveErr = <-done:
			case <-time.After(10 * time.Second):
				serveErr = errors.New("Serve did not return within 10s of its context ending")
			}
		})
		return serveErr
	}
	t.Cleanup(func() { stop() })
	return "http://" + ln.Addr().String(), stop
}

func postURL(t *testing.T, url, body string) response {
	t.Helper()
	return doURL(t, http.MethodPost, url, body)
}

func getURL(t *testing.T, url string) response {
	t.Helper()
	return doURL(t, http.MethodGet, url, "")
}

func doURL(t *testing.T, method, url, body string) response {
	t.Helper()
	r, err := tryURL(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tryURL is doURL for goroutines other than the test's.
func tryURL(ctx context.Context, method, url, body string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// TestRefresh checks that an import done by another process (here, another
// handle on the same database file) while the server runs becomes visible
// without a restart, and that /healthz counts it.
func TestRefresh(t *testing.T) {
	st := openStore(t)
	srv := server.New(st, server.Options{Logger: testLogger(t), RefreshInterval: 20 * time.Millisecond})
	url, stop := serve(t, srv)

	query := `{"package":{"ecosystem":"npm","name":"fresh-malware"},"version":"0.0.1"}`
	if r := postURL(t, url+"/v1/query", query); r.status != 200 || strings.TrimSpace(string(r.body)) != "{}" {
		t.Fatalf("before import: status %d, body %s; want 200 {}", r.status, r.body)
	}

	other, err := store.Open(t.Context(), st.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	dir := t.TempDir()
	rec := `{"id":"MAL-2025-0001","modified":"2025-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"fresh-malware"},"versions":["0.0.1"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "MAL-2025-0001.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	importDir(t, other, dir, false)

	wantHealth := fmt.Sprintf(`{"status":"ok","records":%d}`, testdataRecords+1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := postURL(t, url+"/v1/query", query)
		h := getURL(t, url+"/healthz")
		if strings.Contains(string(r.body), "MAL-2025-0001") && strings.TrimSpace(string(h.body)) == wantHealth {
			if diff := cmp.Diff(`{"vulns":[`+rec+`]}`, strings.TrimSpace(string(r.body))); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import not visible after 10s: query %s, healthz %s", r.body, h.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// blockingDB is a DB whose lookups signal that they started and then wait
// for release.
type blockingDB struct {
	fakeDB
	started chan struct{}
	release chan struct{}
}

func (b *blockingDB) Lookup(ctx context.Context, eco ecosystem.Ecosystem, name string) ([]*osv.Vulnerability, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestGracefulShutdown checks that a request in flight when Serve's context
// ends still completes, and that Serve then returns nil.
func TestGracefulShutdown(t *testing.T) {
	db := &blockingDB{started: make(chan struct{}), release: make(chan struct{})}
	srv := server.New(db, server.Options{Logger: testLogger(t)})
	url, stop := serve(t, srv)

	type result struct {
		r   response
		err error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Post(url+"/v1/query", "application/json", strings.NewReader(`{"package":{"ecosystem":"npm","name":"a"}}`))
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{r: response{status: resp.StatusCode, body: b}, err: err}
	}()
	<-db.started // the request is in flight

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	// New connections are refused once shutdown has begun.
	if resp, err := http.Post(url+"/v1/query", "application/json", strings.NewReader(`{}`)); err == nil {
		resp.Body.Close()
		t.Errorf("a new request during shutdown got status %d, want a refused connection", resp.StatusCode)
	}

	close(db.release)
	res := <-got
	if res.err != nil || res.r.status != http.StatusOK || strings.TrimSpace(string(res.r.body)) != "{}" {
		t.Errorf("in-flight request: status %d, body %s, error %v; want 200 {}", res.r.status, res.r.body, res.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

// TestServeListenerError checks that Serve returns the error of a listener
// that fails.
func TestServeListenerError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	srv := server.New(&fakeDB{}, server.Options{Logger: testLogger(t), RefreshInterval: -1})
	if err := srv.Serve(t.Context(), ln); err == nil {
		t.Error("Serve on a closed listener returned nil")
	}
}

// TestConcurrentQueriesDuringImport runs queries while another handle
// imports, as a `sapper db import` beside a running server does: every
// query must succeed.
func TestConcurrentQueriesDuringImport(t *testing.T) {
	st := openStore(t)
	srv := server.New(st, server.Options{Logger: testLogger(t), RefreshInterval: 5 * time.Millisecond})
	url, _ := serve(t, srv)

	other, err := store.Open(t.Context(), st.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 20 {
			if ctx.Err() != nil {
				return
			}
			dir := t.TempDir()
			rec := fmt.Sprintf(`{"id":"MAL-2025-%04d","modified":"2025-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"evil-colors"},"versions":["1.0.0"]}]}`, i)
			if err := os.WriteFile(filepath.Join(dir, "r.json"), []byte(rec), 0o644); err != nil {
				t.Error(err)
				return
			}
			if err := importFiles(ctx, other, dir, false); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var failures []string
	var mu sync.Mutex
	for range 4 {
		wg.Go(func() {
			for range 50 {
				r, err := tryURL(t.Context(), http.MethodPost, url+"/v1/query", `{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0"}`)
				if err != nil || r.status != 200 || !strings.Contains(string(r.body), "MAL-2024-1001") {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%d %s %v", r.status, r.body, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d queries failed during an import, first: %s", len(failures), failures[0])
	}
}
