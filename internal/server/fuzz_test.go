package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/sapperhq/sapper/internal/server"
)

// FuzzQuery sends any body to /v1/query and /v1/querybatch: the answer must
// be a JSON body with a status below 500, and the server must not panic (a
// recovered panic would be a 500).
func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		`{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0"}`,
		`{"package":{"ecosystem":"PyPI","name":"nasrtox"}}`,
		`{"package":{"ecosystem":"Go","name":"github.com/evil-org/cryptoutil"},"version":"v1.2.3"}`,
		`{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"1.4.1"}`,
		`{"package":{"ecosystem":"Debian:12","name":"openssl"},"version":"3.0.0"}`,
		`{"package":{"purl":"pkg:npm/%40acme-internal/stealer@99.0.0"}}`,
		`{"package":{"purl":"pkg:pypi/x@1.0"},"version":"1.0"}`,
		`{"package":{"purl":"pkg:golang/github.com/evil-org/cryptoutil@v1.2.3?x=y#sub"}}`,
		`{"commit":"6879efc2c1596d11a6a6ad296f80063b558d5e0f"}`,
		`{"page_token":"x","package":{"ecosystem":"npm","name":"a"}}`,
		`{"queries":[{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0"},{}]}`,
		`{"package":{"ecosystem":"npm","name":"evil-colors"},"version":"1.0.0"} x`,
		`{"package":{"ecosystem":"PyPI","name":"nasrtox"},"version":"1!2.0.post1.dev3+local"}`,
		`{"package":{"ecosystem":"npm","name":"deep-merge-lite"},"version":"1.4.1-alpha.1+build"}`,
		`[`, `{`, `null`, `""`, `{"package":{"name":"\u0000"}}`, "\xef\xbb\xbf{}",
	} {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	srv := server.New(openStore(f), server.Options{RefreshInterval: -1})
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/v1/query", "/v1/querybatch"} {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, path, bytes.NewReader(body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %q: status %d, body %s", path, body, rec.Code, rec.Body)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %q: status %d, body not JSON: %q", path, body, rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("%s %q: Content-Type %q", path, body, ct)
			}
		}
	})
}
