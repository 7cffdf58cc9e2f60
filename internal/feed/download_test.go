package feed

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sapperhq/sapper/internal/progress"
)

// files returns the names in dir, to check that a failed download leaves
// nothing behind.
func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	const etag = `"v1"`
	modTime := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	lastModified := modTime.Format(http.TimeFormat)

	mux := http.NewServeMux()
	// ServeContent answers conditional requests as a real server does.
	mux.HandleFunc("GET /all.zip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", etag)
		http.ServeContent(w, r, "all.zip", modTime, bytes.NewReader(body))
	})
	mux.HandleFunc("GET /chunked", func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // no Content-Length
		w.Write(body)
	})
	mux.HandleFunc("GET /missing", http.NotFound)
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		name    string
		path    string
		cond    Cond
		max     int64
		want    Result // Path is compared by extension only
		wantExt string
		wantErr string
	}{
		{
			name:    "ok",
			path:    "/all.zip",
			want:    Result{Cond: Cond{ETag: etag, LastModified: lastModified}, Bytes: int64(len(body))},
			wantExt: ".zip",
		},
		{
			name: "etag_not_modified",
			path: "/all.zip",
			cond: Cond{ETag: etag},
			// ServeContent drops Last-Modified from a 304; the old
			// validators are kept.
			want: Result{NotModified: true, Cond: Cond{ETag: etag}},
		},
		{
			name: "last_modified_not_modified",
			path: "/all.zip",
			cond: Cond{LastModified: lastModified},
			want: Result{NotModified: true, Cond: Cond{ETag: etag, LastModified: lastModified}},
		},
		{
			name:    "etag_changed",
			path:    "/all.zip",
			cond:    Cond{ETag: `"v0"`},
			want:    Result{Cond: Cond{ETag: etag, LastModified: lastModified}, Bytes: int64(len(body))},
			wantExt: ".zip",
		},
		{
			name: "chunked",
			path: "/chunked",
			want: Result{Bytes: int64(len(body))},
		},
		{
			name:    "not_found",
			path:    "/missing",
			wantErr: "/missing: server answered 404 Not Found",
		},
		{
			name:    "server_error",
			path:    "/broken",
			wantErr: "/broken: server answered 500 Internal Server Error",
		},
		{
			name:    "content_length_over_limit",
			path:    "/all.zip",
			max:     1000,
			wantErr: "/all.zip: 65536 bytes, over the limit of 1000",
		},
		{
			name:    "body_over_limit",
			path:    "/chunked",
			max:     1000,
			wantErr: "/chunked: over the limit of 1000 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			max := tt.max
			if max == 0 {
				max = 1 << 20
			}
			bar := progress.New(&bytes.Buffer{}, "download", 0)
			got, err := download(t.Context(), srv.Client(), srv.URL+tt.path, dir, tt.cond, bar, max)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "download "+srv.URL) {
					t.Errorf("Download = %v, want an error naming the URL and %q", err, tt.wantErr)
				}
				if f := files(t, dir); len(f) != 0 {
					t.Errorf("failed download left %v", f)
				}
				return
			}
			if err != nil {
				t.Fatalf("Download = %v", err)
			}
			path := got.Path
			got.Path = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Download result (-want +got):\n%s", diff)
			}
			if tt.want.NotModified {
				if path != "" || len(files(t, dir)) != 0 {
					t.Errorf("not modified: Path %q, files %v; want none", path, files(t, dir))
				}
				return
			}
			if filepath.Dir(path) != dir || filepath.Ext(path) != tt.wantExt {
				t.Errorf("Path = %q, want a file in %s with extension %q", path, dir, tt.wantExt)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, body) {
				t.Errorf("downloaded %d bytes, want the %d of the body", len(data), len(body))
			}
			if bar.Count() != int64(len(body)) {
				t.Errorf("progress counted %d bytes, want %d", bar.Count(), len(body))
			}
		})
	}
}

func TestDownloadStalls(t *testing.T) {
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /before-headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("GET /mid-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release) // before srv.Close, which waits for handlers

	for _, path := range []string{"/before-headers", "/mid-body"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := Download(ctx, srv.Client(), srv.URL+path, dir, Cond{}, nil)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Download = %v, want context.DeadlineExceeded", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Download returned after %v, want soon after the deadline", d)
			}
			if f := files(t, dir); len(f) != 0 {
				t.Errorf("failed download left %v", f)
			}
		})
	}
}

func TestDownloadTruncated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Promise more than is sent, then hang up.
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(1000) + "\r\n\r\n")
		buf.WriteString(strings.Repeat("x", 10))
		buf.Flush()
	}))
	defer srv.Close()
	dir := t.TempDir()
	_, err := Download(t.Context(), srv.Client(), srv.URL+"/all.zip", dir, Cond{}, nil)
	if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), srv.URL+"/all.zip") {
		t.Errorf("Download = %v, want a truncation error naming the URL", err)
	}
	if f := files(t, dir); len(f) != 0 {
		t.Errorf("failed download left %v", f)
	}
}

func TestDownloadBadURL(t *testing.T) {
	_, err := Download(t.Context(), nil, "http://127.0.0.1:1/all.zip", t.TempDir(), Cond{}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "download http://127.0.0.1:1/all.zip: ") {
		t.Errorf("Download = %v, want an error naming the URL", err)
	}
	_, err = Download(t.Context(), nil, "::not a url", t.TempDir(), Cond{}, nil)
	if err == nil {
		t.Error("Download(invalid URL) succeeded")
	}
}
