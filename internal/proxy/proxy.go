// Package proxy is sapper's registry firewall: an HTTP server that speaks
// the npm registry, PyPI simple and Go module proxy protocols, fetches
// from configured upstreams only, and decides every package version a
// client may see or download before the package manager runs any of its
// code.
//
// A version the database reports as malicious is blocked; resolvers must
// not pick it, so it leaves the metadata (npm dist-tags move, PyPI simple
// pages and Go @v/list drop it), and a client that asks for it by exact
// version gets an error that names the record. Typosquats warn, or block
// by policy; versions younger than the quarantine are held back like
// blocked ones. The proxy fails closed: without a readable database, or
// with an upstream answer it cannot check, it refuses.
//
// Each protocol lives in its own file (npm.go, pypi.go, goproxy.go) on the
// shared parts here: Decide, the upstream client (upstream.go), the caches
// (cache.go) and the audit log (audit.go).
package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/match"
	"github.com/sapperhq/sapper/internal/names"
	"github.com/sapperhq/sapper/internal/policy"
	"github.com/sapperhq/sapper/internal/store"
)

// Default upstreams.
const (
	DefaultNPM     = "https://registry.npmjs.org"
	DefaultPyPI    = "https://pypi.org/simple"
	DefaultGoProxy = "https://proxy.golang.org"
	DefaultSumDB   = "https://sum.golang.org"
)

// Config configures a Server. Zero values mean the defaults.
type Config struct {
	// Upstream base URLs, one per protocol. Only these hosts (and, for
	// PyPI, the hosts of FileHosts) are ever contacted.
	NPM, PyPI, GoProxy, SumDB string
	// FileHosts are the extra hosts PyPI file URLs may point at
	// (default: files.pythonhosted.org and the PyPI upstream's host).
	FileHosts []string
	// PublicURL is the proxy's own base URL as clients reach it, for the
	// archive URLs it writes into metadata ("": from each request's Host).
	PublicURL string

	// DB holds the records of known-malicious versions. Nil means no
	// readable database: every decision fails closed unless FailOpen.
	DB match.Source
	// Names checks for typosquats; nil turns the name checks off.
	Names *names.Checker
	// Policy is the project's sapper.toml: ignores, signal actions
	// (typosquat, install-script) and the [proxy] settings.
	Policy *policy.Config
	// Quarantine holds back versions younger than this (0: off).
	Quarantine time.Duration
	// FailOpen lets requests through, with a warning in the audit log,
	// when the database or an upstream answer cannot be checked.
	FailOpen bool
	// Analyze, when set, judges each npm tarball on its first fetch
	// (once per digest) before any client gets it.
	Analyze Analyzer

	// CacheDir keeps downloaded archives by digest ("" : a directory
	// under the user cache directory is chosen by the caller).
	CacheDir string
	// MetadataTTL is how long upstream metadata is reused (default 5m).
	MetadataTTL time.Duration

	// Audit receives the audit log; nil logs decisions only.
	Audit Auditor
	Log   *slog.Logger
	// HTTP is the upstream client; its transport must verify TLS (the
	// default one does).
	HTTP *http.Client
	Now  func() time.Time
}

// Auditor stores audit entries (store.Store implements it).
type Auditor interface {
	RecordAudit(ctx context.Context, entries []store.AuditEntry) error
}

// Server is the proxy. It is an http.Handler.
type Server struct {
	cfg      Config
	up       *upstream
	meta     *metaCache
	blobs    *blobStore
	audit    *auditLog
	log      *slog.Logger
	now      func() time.Time
	mux      *http.ServeMux
	npmURL   *url.URL
	pypiURL  *url.URL
	goURL    *url.URL
	sumdbURL *url.URL
	verdicts sync.Map // digest -> Decision of Analyze
}

// New returns a Server for cfg. Close it to flush the audit log.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, log: cfg.Log, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	for _, u := range []struct {
		dst  **url.URL
		v    string
		def  string
		name string
	}{
		{&s.npmURL, cfg.NPM, DefaultNPM, "npm"},
		{&s.pypiURL, cfg.PyPI, DefaultPyPI, "PyPI"},
		{&s.goURL, cfg.GoProxy, DefaultGoProxy, "Go proxy"},
		{&s.sumdbURL, cfg.SumDB, DefaultSumDB, "Go checksum database"},
	} {
		v := u.v
		if v == "" {
			v = u.def
		}
		if *u.dst, err = parseUpstream(v); err != nil {
			return nil, fmt.Errorf("%s upstream: %w", u.name, err)
		}
	}
	hosts := []string{s.npmURL.Host, s.pypiURL.Host, s.goURL.Host, s.sumdbURL.Host, "files.pythonhosted.org"}
	hosts = append(hosts, cfg.FileHosts...)
	s.up = newUpstream(cfg.HTTP, hosts)
	ttl := cfg.MetadataTTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	s.meta = newMetaCache(ttl, metaCacheBytes, s.now)
	if cfg.CacheDir == "" {
		return nil, errors.New("proxy: no cache directory")
	}
	if s.blobs, err = newBlobStore(cfg.CacheDir); err != nil {
		return nil, err
	}
	s.audit = newAuditLog(cfg.Audit, s.log)

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.Handle("/npm/", http.StripPrefix("/npm", http.HandlerFunc(s.serveNPM)))
	s.mux.Handle("/pypi/", http.StripPrefix("/pypi", http.HandlerFunc(s.servePyPI)))
	s.mux.Handle("/go/", http.StripPrefix("/go", http.HandlerFunc(s.serveGo)))
	s.mux.Handle("/sumdb/", http.StripPrefix("/sumdb", http.HandlerFunc(s.serveSumDB)))
	return s, nil
}

// parseUpstream checks an upstream base URL: http(s), a host, no query.
func parseUpstream(v string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(v, "/"))
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("%q is not an http(s) base URL", v)
	}
	return u, nil
}

// Close flushes the audit log.
func (s *Server) Close() error {
	return s.audit.close()
}

// maxHeaderBytes and the timeouts bound what a client can hold.
const (
	MaxHeaderBytes    = 64 << 10
	ReadHeaderTimeout = 10 * time.Second
)

// ServeHTTP implements http.Handler. Paths are checked before routing:
// a request whose path holds NUL, control characters, backslashes or dot
// segments in any spelling is refused, since names are built from it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := checkPath(r.URL); err != nil {
		s.log.Warn("refused request", "client", clientAddr(r), "path", r.URL.EscapedPath(), "err", err)
		s.record(r, prefixEcosystem(r.URL.Path), "", "", Decision{Action: finding.Block, Reason: "bad request: " + err.Error()})
		http.Error(w, "sapper proxy: "+err.Error(), http.StatusBadRequest)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "sapper proxy: read-only: "+r.Method+" is not proxied", http.StatusMethodNotAllowed)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// checkPath refuses request paths that could make a name escape its
// place in an upstream URL.
func checkPath(u *url.URL) error {
	raw := u.EscapedPath()
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return fmt.Errorf("bad escape in path: %v", err)
	}
	for _, c := range dec {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return fmt.Errorf("control character or backslash in path")
		}
	}
	for seg := range strings.SplitSeq(dec, "/") {
		if seg == "." || seg == ".." {
			return errors.New("dot segment in path")
		}
	}
	// "%2e%2e" decodes to "..", caught above; a decoded "/" inside a
	// segment is allowed only where a protocol expects it (npm scopes),
	// and each protocol checks its names.
	return nil
}

// clientAddr is the client's address for the audit log.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// prefixEcosystem is the ecosystem of a request path's protocol prefix,
// for the audit log of requests refused before routing.
func prefixEcosystem(p string) ecosystem.Ecosystem {
	switch {
	case strings.HasPrefix(p, "/npm/"):
		return ecoNPM
	case strings.HasPrefix(p, "/pypi/"):
		return ecoPyPI
	case strings.HasPrefix(p, "/go/"), strings.HasPrefix(p, "/sumdb/"):
		return ecoGo
	}
	return ""
}

// ecosystemOf names the ecosystems of the protocols.
var (
	ecoNPM  = ecosystem.NPM
	ecoPyPI = ecosystem.PyPI
	ecoGo   = ecosystem.Go
)
