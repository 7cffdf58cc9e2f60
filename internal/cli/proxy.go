package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/analyze/rules"
	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/names"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/policy"
	"github.com/sapperhq/sapper/internal/proxy"
	"github.com/sapperhq/sapper/internal/store"
)

func runProxy(ctx context.Context, args []string, e *env) error {
	fs := newFlags("proxy", e)
	dbFlag := dbFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8081", "`address` to listen on")
	configPath := fs.String("config", "", "policy `file` (default: sapper.toml found upward from the current directory)")
	quarantine := fs.Duration("quarantine", 0, "hold back versions younger than `AGE` (default: the policy's [proxy] quarantine, else off)")
	publicURL := fs.String("public-url", "", "the proxy's base `URL` as clients reach it, for archive URLs in metadata (default: from each request's Host)")
	cacheDir := fs.String("cache", "", "`directory` for downloaded archives (default: sapper/proxy in the user cache directory)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: sapper proxy [--db PATH] [--addr 127.0.0.1:8081] [--config FILE] [--quarantine AGE]\n\n"+
			"Point npm at http://ADDR/npm/, pip at http://ADDR/pypi/simple/, GOPROXY at http://ADDR/go.\n\n")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("proxy: unexpected arguments %q", rest)
	}
	cfg, err := loadPolicy(*configPath, ".")
	if err != nil {
		return err
	}
	path, err := e.dbPath(*dbFlag)
	if err != nil {
		return err
	}
	// The audit log lives in the database file; a missing database is
	// created empty, and an empty one is not a database to decide with.
	st, err := store.Open(ctx, path, store.Options{Create: true})
	if err != nil {
		return failure(err)
	}
	defer st.Close()
	db := &liveDB{st: st}
	if err := db.check(ctx); err != nil {
		return failure(err)
	}
	if !db.ready.Load() {
		if cfg.Proxy.FailOpen {
			e.log.Warn("the database has no records; fail-open is set, so packages pass unchecked", "db", path)
		} else {
			e.log.Error("the database has no records: every package request is refused (fail closed) until \"sapper db sync\" or \"sapper db import\" fills it", "db", path)
		}
	}

	var checker *names.Checker
	if !cfg.Names.Off && !cfg.SignalOff(finding.Typosquat) {
		sig, err := newSignaller(cfg, &signalFlags{}, e)
		if err != nil {
			return err
		}
		checker = sig.names
	}
	if *cacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return failure(fmt.Errorf("proxy cache: %w", err))
		}
		*cacheDir = filepath.Join(dir, "sapper", "proxy")
	}
	q := cfg.Proxy.Quarantine
	if *quarantine > 0 {
		q = *quarantine
	}
	pcfg := proxy.Config{
		NPM: cfg.Proxy.Upstreams["npm"], PyPI: cfg.Proxy.Upstreams["pypi"],
		GoProxy: cfg.Proxy.Upstreams["go"], SumDB: cfg.Proxy.Upstreams["sumdb"],
		DB: db, Names: checker, Policy: cfg, Quarantine: q, FailOpen: cfg.Proxy.FailOpen,
		CacheDir: *cacheDir, Audit: st, Log: e.log, PublicURL: *publicURL,
	}
	if cfg.Proxy.Analyze {
		if pcfg.Analyze, err = proxyAnalyzer(cfg); err != nil {
			return err
		}
	}
	srv, err := proxy.New(pcfg)
	if err != nil {
		return inputError(err)
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return failure(fmt.Errorf("proxy: %w", err))
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: proxy.ReadHeaderTimeout,
		MaxHeaderBytes:    proxy.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
	}
	// New intelligence reaches a running proxy: "sapper db sync" in
	// another process changes the database, and the proxy reloads it.
	go refreshLoop(ctx, db, e)
	e.log.Info("sapper proxy listening", "addr", "http://"+ln.Addr().String(), "npm", "/npm/", "pypi", "/pypi/simple/", "go", "/go", "db", path, "quarantine", q)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return failure(fmt.Errorf("proxy: %w", err))
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return failure(fmt.Errorf("proxy: shutdown: %w", err))
	}
	return nil
}

// refreshLoop reloads the database's index when another process changed it.
func refreshLoop(ctx context.Context, db *liveDB, e *env) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := db.check(ctx); err != nil {
				e.log.Warn("database check failed", "err", err)
				continue
			}
			if changed, err := db.st.Refresh(ctx); err != nil {
				e.log.Warn("database refresh failed; deciding with the records already loaded", "err", err)
			} else if changed {
				e.log.Info("database changed; reloaded")
			}
		}
	}
}

// proxyAnalyzer runs sapper analyze's static rules over an archive the
// proxy fetched: a malicious verdict blocks it, a suspicious one warns.
// The policy's [[allow]] entries apply, as in "sapper analyze".
func proxyAnalyzer(cfg *policy.Config) (proxy.Analyzer, error) {
	rs, err := rules.Default()
	if err != nil {
		return nil, failure(fmt.Errorf("load built-in rules: %w", err))
	}
	return func(ctx context.Context, path string) (proxy.Decision, error) {
		tg, err := analyze.Open(ctx, path)
		if err != nil {
			return proxy.Decision{}, err
		}
		res := analyze.Run(ctx, tg, rs)
		applyAllows(&res, tg, cfg)
		var ids []string
		for _, f := range res.Findings {
			if f.Rule != "" && !slices.Contains(ids, f.Rule) && len(ids) < 5 {
				ids = append(ids, f.Rule)
			}
		}
		reason := fmt.Sprintf("sapper analyze: %s (score %.1f/10): %s", res.Verdict, res.Score, strings.Join(ids, ", "))
		switch res.Verdict {
		case analyze.Malicious:
			return proxy.Decision{Action: finding.Block, Reason: reason}, nil
		case analyze.Suspicious:
			return proxy.Decision{Action: finding.Warn, Reason: reason}, nil
		}
		return proxy.Decision{Action: finding.Allow}, nil
	}, nil
}

// liveDB is the database as the proxy decides with it: an empty database
// is an error (so requests fail closed with a message that says why)
// until records arrive.
type liveDB struct {
	st    *store.Store
	ready atomic.Bool
}

var errEmptyDB = errors.New(`the database has no records: fill it with "sapper db sync" or "sapper db import"`)

func (l *liveDB) Lookup(ctx context.Context, eco ecosystem.Ecosystem, name string) ([]*osv.Vulnerability, error) {
	if !l.ready.Load() {
		return nil, errEmptyDB
	}
	return l.st.Lookup(ctx, eco, name)
}

// check marks the database ready once it has records.
func (l *liveDB) check(ctx context.Context) error {
	if l.ready.Load() {
		return nil
	}
	empty, err := l.st.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		if err := l.st.Load(ctx); err != nil {
			return err
		}
		l.ready.Store(true)
	}
	return nil
}
