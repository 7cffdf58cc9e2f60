package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// registry serves fixture metadata and archives like the public registries.
func registry(t *testing.T, archive []byte, tamper bool) (*Client, *atomic.Int32) {
	t.Helper()
	s512 := sha512.Sum512(archive)
	s256 := sha256.Sum256(archive)
	served := archive
	if tamper {
		served = append(bytes.Clone(archive), 'x')
	}
	var downloads atomic.Int32
	mux := http.NewServeMux()
	var base string
	mux.HandleFunc("GET /npm/{name}/{version}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") != "@scope/pkg" && r.PathValue("name") != "left-pad" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"dist":{"tarball":"%s/files/pkg.tgz","integrity":"sha512-%s","shasum":"x"}}`, base, base64.StdEncoding.EncodeToString(s512[:]))
	})
	mux.HandleFunc("GET /npm/old/1.0.0", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"dist":{"tarball":"%s/files/pkg.tgz","shasum":"abc"}}`, base)
	})
	mux.HandleFunc("GET /files/{file}", func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		w.Write(served)
	})
	mux.HandleFunc("GET /goproxy/github.com/!burnt!sushi/toml/@v/v1.0.0.zip", func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		w.Write(served)
	})
	mux.HandleFunc("GET /pypi/pypi/requests/2.0/json", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"urls":[{"url":"%s/files/r.whl","filename":"r-2.0-py3-none-any.whl","packagetype":"bdist_wheel","digests":{"sha256":"%s"}},
			{"url":"%s/files/r.tar.gz","filename":"requests-2.0.tar.gz","packagetype":"sdist","digests":{"sha256":"%s"}}]}`,
			base, hex.EncodeToString(s256[:]), base, hex.EncodeToString(s256[:]))
	})
	mux.HandleFunc("GET /index/se/rd/serde", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "{\"vers\":\"0.9.0\",\"cksum\":\"%s\"}\n{\"vers\":\"1.0.0\",\"cksum\":\"%s\"}\n", strings.Repeat("0", 64), hex.EncodeToString(s256[:]))
	})
	mux.HandleFunc("GET /crates/crates/serde/serde-1.0.0.crate", func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		w.Write(served)
	})
	mux.HandleFunc("GET /gems/api/v2/rubygems/rails/versions/7.0.0.json", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"sha":"%s"}`, hex.EncodeToString(s256[:]))
	})
	mux.HandleFunc("GET /gems/gems/rails-7.0.0.gem", func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		w.Write(served)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base = srv.URL
	c := New(t.TempDir())
	c.NPM, c.GoProxy, c.PyPI = srv.URL+"/npm", srv.URL+"/goproxy", srv.URL+"/pypi"
	c.Crates, c.CratesIndex, c.RubyGems = srv.URL+"/crates", srv.URL+"/index", srv.URL+"/gems"
	return c, &downloads
}

func TestFetch(t *testing.T) {
	archive := []byte("inert archive bytes")
	tests := []struct {
		spec, ext string
	}{
		{"npm:left-pad@1.3.0", ".tgz"},
		{"npm:@scope/pkg@2.0.0", ".tgz"},
		{"go:github.com/BurntSushi/toml@v1.0.0", ".zip"},
		{"pypi:requests@2.0", ".tar.gz"}, // the sdist is preferred: setup.py runs at install
		{"crates.io:serde@1.0.0", ".crate"},
		{"rubygems:rails@7.0.0", ".gem"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			c, downloads := registry(t, archive, false)
			sp, err := ParseSpec(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.Fetch(context.Background(), sp)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(p); !bytes.Equal(got, archive) || !strings.HasSuffix(p, tt.ext) {
				t.Errorf("Fetch = %s with %q", p, got)
			}
			// Cached by digest: a second fetch downloads nothing (the Go
			// proxy publishes no digest, so its zip is fetched again).
			if _, err := c.Fetch(context.Background(), sp); err != nil {
				t.Fatal(err)
			}
			want := int32(1)
			if sp.Ecosystem == "Go" {
				want = 2
			}
			if downloads.Load() != want {
				t.Errorf("%d downloads, want %d", downloads.Load(), want)
			}
		})
	}
}

func TestFetchRefuses(t *testing.T) {
	archive := []byte("inert archive bytes")
	c, _ := registry(t, archive, true)
	for _, spec := range []string{"npm:left-pad@1.3.0", "pypi:requests@2.0", "crates.io:serde@1.0.0", "rubygems:rails@7.0.0"} {
		sp, _ := ParseSpec(spec)
		if _, err := c.Fetch(context.Background(), sp); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
			t.Errorf("%s with a tampered archive: err = %v, want a digest mismatch", spec, err)
		}
	}
	ents, _ := os.ReadDir(c.Cache)
	if len(ents) != 0 {
		t.Errorf("a tampered download was kept: %v", ents)
	}
	c, _ = registry(t, archive, false)
	for spec, want := range map[string]string{
		"npm:old@1.0.0":          "only a SHA-1",
		"npm:missing@1.0.0":      "404",
		"crates.io:serde@2.0.0":  "not in the index",
		"crates.io:../x@1":       "invalid crate name",
		"go:Not A Module@v1.0.0": "invalid",
	} {
		sp, err := ParseSpec(spec)
		if err == nil {
			_, err = c.Fetch(context.Background(), sp)
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", spec, err, want)
		}
	}
}

func TestParseSpec(t *testing.T) {
	if _, err := ParseSpec("./left-pad-1.3.0.tgz"); !errors.Is(err, ErrNotRemote) {
		t.Errorf("a path: %v", err)
	}
	if _, err := ParseSpec("C:/x.tgz"); !errors.Is(err, ErrNotRemote) {
		t.Errorf("a drive path: %v", err)
	}
	for _, bad := range []string{"npm:left-pad", "npm:left-pad@", "npm:@1.0", "npm:a b@1"} {
		if _, err := ParseSpec(bad); err == nil || errors.Is(err, ErrNotRemote) {
			t.Errorf("ParseSpec(%q) = %v, want a syntax error", bad, err)
		}
	}
	sp, err := ParseSpec("npm:@scope/pkg@1.0.0")
	if err != nil || sp.Name != "@scope/pkg" || sp.Version != "1.0.0" {
		t.Errorf("scoped: %+v %v", sp, err)
	}
}

// TestFetchLive fetches from the real npm registry and Go module proxy.
// Opt in with SAPPER_LIVE_TESTS=1; it needs the network.
func TestFetchLive(t *testing.T) {
	if os.Getenv("SAPPER_LIVE_TESTS") != "1" {
		t.Skip("set SAPPER_LIVE_TESTS=1 to fetch from the npm registry and the Go module proxy")
	}
	c := New(t.TempDir())
	for _, spec := range []string{"npm:left-pad@1.3.0", "npm:@types/node@20.0.0", "go:golang.org/x/text@v0.3.7"} {
		sp, _ := ParseSpec(spec)
		p, err := c.Fetch(context.Background(), sp)
		if err != nil {
			t.Errorf("%s: %v", spec, err)
			continue
		}
		fi, _ := os.Stat(p)
		t.Logf("%s -> %s (%d bytes)", spec, p, fi.Size())
	}
}
