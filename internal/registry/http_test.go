package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/finding"
)

var plain = finding.Package{Ecosystem: "npm", Name: "plain", Version: "1.1.0"}

func TestCache(t *testing.T) {
	c, f := newFake(t)
	c.CacheDir = t.TempDir()
	clock := now
	c.Now = func() time.Time { return clock }
	ctx := context.Background()
	signals := func() {
		t.Helper()
		if _, err := c.Signals(ctx, plain, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	signals()
	signals()
	if n := len(f.requests()); n != 1 {
		t.Fatalf("%d requests for two lookups within the TTL, want 1", n)
	}
	// Exists shares the cached packument; a 404 is cached too.
	for range 2 {
		if ok, err := c.Exists(ctx, "npm", "plain"); !ok || err != nil {
			t.Fatalf("Exists(plain) = %v, %v", ok, err)
		}
		if ok, err := c.Exists(ctx, "npm", "nonexistent"); ok || err != nil {
			t.Fatalf("Exists(nonexistent) = %v, %v", ok, err)
		}
	}
	if n := len(f.requests()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}

	// After the TTL the registry is asked again.
	clock = now.Add(DefaultTTL + time.Second)
	signals()
	if n := len(f.requests()); n != 3 {
		t.Fatalf("%d requests after the TTL, want 3", n)
	}

	// A corrupt entry is ignored and fetched again.
	ents, _ := filepath.Glob(filepath.Join(c.CacheDir, "*.json"))
	if len(ents) != 2 {
		t.Fatalf("cache holds %q, want two entries", ents)
	}
	for _, corrupt := range []func(b []byte) []byte{
		func(b []byte) []byte { return b[:len(b)-10] },                                           // truncated
		func(b []byte) []byte { return []byte(strings.Replace(string(b), "alice", "mallo", 1)) }, // altered
		func(b []byte) []byte { return append(b, "trailing"...) },
		func(b []byte) []byte { return []byte("not json\n" + string(b)) },
		func(b []byte) []byte { return nil },
	} {
		for _, e := range ents {
			b, _ := os.ReadFile(e)
			os.WriteFile(e, corrupt(b), 0o644)
		}
		before := len(f.requests())
		signals()
		if len(f.requests()) != before+1 {
			t.Errorf("a corrupt cache entry was used")
		}
	}
	if left, _ := filepath.Glob(filepath.Join(c.CacheDir, ".tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestCacheRevalidates(t *testing.T) {
	c, f := newFake(t)
	c.CacheDir = t.TempDir()
	clock := now
	c.Now = func() time.Time { return clock }
	body, err := os.ReadFile("testdata/npm/plain.json")
	if err != nil {
		t.Fatal(err)
	}
	var notModified atomic.Int32
	f.handle = func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write(body)
	}
	for i := range 3 {
		clock = now.Add(time.Duration(i) * 2 * DefaultTTL)
		if _, err := c.Signals(context.Background(), plain, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := len(f.requests()), notModified.Load(); n != 3 || m != 2 {
		t.Errorf("%d requests, %d not modified; want 3 and 2", n, m)
	}
}

func TestRefusesRedirectToOtherHost(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the other host was asked for %s", r.URL)
	}))
	defer other.Close()
	c, f := newFake(t)
	f.handle = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/npm/plain" {
			http.Redirect(w, r, "/npm/moved", http.StatusFound)
			return
		}
		http.Redirect(w, r, other.URL+"/npm/plain", http.StatusFound)
	}
	_, err := c.Signals(context.Background(), plain, Options{})
	if err == nil || !strings.Contains(err.Error(), "refused redirect to another host") || errors.Is(err, ErrUnreachable) {
		t.Errorf("err = %v, want a refused redirect", err)
	}
	if got := f.requests(); len(got) != 2 {
		t.Errorf("requests %q, want a same-host redirect followed", got)
	}
}

func TestHostileAnswers(t *testing.T) {
	tests := []struct {
		name        string
		handle      http.HandlerFunc
		unreachable bool
		want        string
	}{
		{"too-large", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"versions": {"` + strings.Repeat("x", 5000) + `": {}}}`))
		}, false, "answer too large: larger than 4096 bytes"},
		{"server-error", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusBadGateway)
		}, true, "unreachable: GET http://127.0.0.1:"},
		{"rate-limited", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, true, "429 Too Many Requests"},
		{"forbidden", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusForbidden)
		}, false, "answered 403 Forbidden"},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, true, "no answer within 100ms"},
		{"slow-body", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"versions": {`))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, true, "no answer within 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, f := newFake(t)
			c.maxBody = 4096
			c.Timeout = 100 * time.Millisecond
			f.handle = tt.handle
			_, err := c.Signals(context.Background(), plain, Options{})
			if err == nil {
				t.Fatal("no error")
			}
			var re *Error
			if !errors.As(err, &re) || re.Host != strings.TrimPrefix(f.srv.URL, "http://") {
				t.Errorf("error %q is not an *Error naming the host", err)
			}
			if errors.Is(err, ErrUnreachable) != tt.unreachable {
				t.Errorf("error %q: unreachable = %v, want %v", err, !tt.unreachable, tt.unreachable)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	c, f := newFake(t)
	f.srv.Close()
	_, err := c.Signals(context.Background(), plain, Options{})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	host := strings.TrimPrefix(f.srv.URL, "http://")
	if !strings.HasPrefix(err.Error(), host+" unreachable: GET "+f.srv.URL+"/npm/plain: ") {
		t.Errorf("err = %q", err)
	}
	if _, err := c.Exists(context.Background(), "npm", "plain"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Exists: err = %v, want ErrUnreachable", err)
	}
}

func TestCanceled(t *testing.T) {
	c, f := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	f.handle = func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	}
	_, err := c.Signals(ctx, plain, Options{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Errorf("err = %v, want context.Canceled, not unreachable", err)
	}
}

// TestSharedRequests: lookups of one package at once make one request.
func TestSharedRequests(t *testing.T) {
	c, f := newFake(t)
	body, err := os.ReadFile("testdata/npm/team.json")
	if err != nil {
		t.Fatal(err)
	}
	f.handle = func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		w.Write(body)
	}
	versions := []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"}
	errs := make(chan error, len(versions))
	for _, v := range versions {
		go func() {
			_, err := c.Signals(context.Background(), finding.Package{Ecosystem: "npm", Name: "team", Version: v}, Options{})
			errs <- err
		}()
	}
	for range versions {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestRedirectPolicy(t *testing.T) {
	check := New("").httpClient().CheckRedirect
	req := func(u string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := []*http.Request{req("https://registry.npmjs.org/a")}
	for u, ok := range map[string]bool{
		"https://registry.npmjs.org/b":     true,
		"https://REGISTRY.npmjs.org/b":     true,
		"http://registry.npmjs.org/b":      false, // https to http
		"https://registry.npmjs.org.evil/": false,
		"https://127.0.0.1/":               false,
	} {
		if err := check(req(u), first); (err == nil) != ok {
			t.Errorf("redirect to %s: err = %v", u, err)
		}
	}
	var many []*http.Request
	for range maxRedirects {
		many = append(many, first[0])
	}
	if err := check(req("https://registry.npmjs.org/b"), many); err != nil {
		t.Errorf("redirect number %d refused: %v", maxRedirects, err)
	}
	many = append(many, first[0])
	if err := check(req("https://registry.npmjs.org/b"), many); err == nil {
		t.Errorf("redirect number %d followed", maxRedirects+1)
	}
}
