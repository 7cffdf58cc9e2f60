// Package server is the OSV-compatible HTTP API of `sapper serve`:
//
//	POST /v1/query        one package (ecosystem + name, or purl), optional version -> {"vulns":[full records]}
//	POST /v1/querybatch   up to limits.MaxBatchQueries queries -> {"results":[{"vulns":[{"id","modified"}]}, ...]}
//	GET  /v1/vulns/{id}   one record as imported, by ID or alias
//	GET  /healthz         {"status":"ok","records":N}
//
// Requests and responses follow https://google.github.io/osv.dev/api/: a
// query that matches nothing returns {}, a batch returns IDs and modified
// times only, in query order. Errors are JSON objects {"code":N,"message":"..."}
// whose code is the HTTP status.
//
// Every request is bounded in body size and time. Handlers return errors and
// one function, Server.handle, turns them into responses and log lines. A
// background loop picks up imports done by other processes (the SQLite
// database is in WAL mode, so reads go on while they write) and reloads the
// in-memory index before queries need it.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/match"
	"github.com/sapperhq/sapper/internal/store"
)

// DB is what the server reads: the records naming a package (match.Source),
// records by ID or alias as imported, and the upkeep of the in-memory index.
// *store.Store implements it.
type DB interface {
	match.Source
	// Get returns the record with the given ID and the records that carry
	// it as an alias, sorted by ID, or an error wrapping store.ErrNotFound.
	Get(ctx context.Context, id string) ([]store.Raw, error)
	// Refresh reloads the index if the database changed since it was
	// loaded, answering lookups from the old index meanwhile, and reports
	// whether it changed.
	Refresh(ctx context.Context) (bool, error)
	// Load loads the index of every ecosystem.
	Load(ctx context.Context) error
	// Stats counts the records.
	Stats(ctx context.Context) (store.Stats, error)
}

var _ DB = (*store.Store)(nil)

// Defaults for the zero fields of Options.
const (
	DefaultRefreshInterval = 5 * time.Second
	DefaultShutdownTimeout = limits.RequestTimeout
)

// Bounds of the HTTP server beyond those in package limits.
const (
	readHeaderTimeout = 10 * time.Second
	// readTimeout covers the body too: limits.MaxRequestBytes at a slow
	// but honest 1 MiB/s.
	readTimeout    = 30 * time.Second
	idleTimeout    = 2 * time.Minute
	maxHeaderBytes = 64 << 10
)

// Options configure a Server.
type Options struct {
	// Logger receives one line per failed request (Info for client
	// errors, Error for server errors), one Debug line per other request,
	// and reload messages. Nil discards.
	Logger *slog.Logger
	// RefreshInterval is how often Serve checks the database for imports
	// done by other processes; zero means DefaultRefreshInterval, a
	// negative value never.
	RefreshInterval time.Duration
	// RequestTimeout bounds the work on one request; zero means
	// limits.RequestTimeout.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds how long Serve waits for in-flight requests
	// once its context is done; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// Server serves the API over a DB. It is safe for concurrent use.
type Server struct {
	db   DB
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	// records caches Stats().Records for /healthz; -1 until first known.
	records atomic.Int64
}

// New returns a server reading db.
func New(db DB, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RefreshInterval == 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = limits.RequestTimeout
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	s := &Server{db: db, opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	s.records.Store(-1)
	s.routes()
	return s
}

// routes registers the endpoints. Each path also gets a pattern without a
// method, less specific, which answers other methods with a JSON 405; "/"
// answers unknown paths with a JSON 404.
func (s *Server) routes() {
	s.mux.HandleFunc("POST /v1/query", s.handle(s.query))
	s.mux.HandleFunc("/v1/query", s.handle(methodNotAllowed(http.MethodPost)))
	s.mux.HandleFunc("POST /v1/querybatch", s.handle(s.queryBatch))
	s.mux.HandleFunc("/v1/querybatch", s.handle(methodNotAllowed(http.MethodPost)))
	s.mux.HandleFunc("GET /v1/vulns/{id}", s.handle(s.vuln))
	s.mux.HandleFunc("/v1/vulns/{id}", s.handle(methodNotAllowed(http.MethodGet)))
	s.mux.HandleFunc("GET /healthz", s.handle(s.healthz))
	s.mux.HandleFunc("/healthz", s.handle(methodNotAllowed(http.MethodGet)))
	s.mux.HandleFunc("/", s.handle(notFound))
}

// Handler returns the HTTP handler of the API, for Serve or a test server.
// Only Serve keeps the index and the record count of /healthz up to date.
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves the API on ln until ctx is done, then shuts down gracefully:
// it stops accepting connections and waits, at most Options.ShutdownTimeout,
// for in-flight requests to finish. While serving, it loads the index and
// keeps it up to date (see Options.RefreshInterval). It returns nil after a
// clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		// Long enough to write the error of a request that timed out.
		WriteTimeout:   s.opts.RequestTimeout + 10*time.Second,
		IdleTimeout:    idleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests keep ctx's values but not its cancellation: a shutdown
		// lets in-flight requests finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	loopCtx, stopLoop := context.WithCancel(ctx)
	defer stopLoop()
	var wg sync.WaitGroup
	wg.Go(func() { s.refreshLoop(loopCtx) })

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	s.log.Info("serving", keyAddr, ln.Addr().String())

	select {
	case err := <-served:
		stopLoop()
		wg.Wait()
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	stopLoop()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-served // http.ErrServerClosed once Shutdown has begun
	wg.Wait()
	if err != nil {
		hs.Close()
		return fmt.Errorf("shut down: %w", err)
	}
	s.log.Info("shut down")
	return nil
}

// refreshLoop loads the index, then checks for new data every
// RefreshInterval until ctx is done.
func (s *Server) refreshLoop(ctx context.Context) {
	if err := s.load(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("load the database index", keyError, err)
	}
	if s.opts.RefreshInterval < 0 {
		return
	}
	t := time.NewTicker(s.opts.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := s.refresh(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("refresh the database index", keyError, err)
		case changed:
			s.log.Info("database changed; index reloaded", keyRecords, s.records.Load())
		}
	}
}

// refresh asks the DB whether another process imported since the index was
// loaded and, if so, loads the new index at once so that queries do not wait
// for it, and updates the cached record count.
func (s *Server) refresh(ctx context.Context) (bool, error) {
	changed, err := s.db.Refresh(ctx)
	if err != nil {
		return false, fmt.Errorf("refresh: %w", err)
	}
	if !changed {
		return false, nil
	}
	return true, s.load(ctx)
}

// load loads the whole index and the record count.
func (s *Server) load(ctx context.Context) error {
	if err := s.db.Load(ctx); err != nil {
		return fmt.Errorf("load index: %w", err)
	}
	return s.countRecords(ctx)
}

// countRecords stores the number of records for /healthz.
func (s *Server) countRecords(ctx context.Context) error {
	st, err := s.db.Stats(ctx)
	if err != nil {
		return fmt.Errorf("count records: %w", err)
	}
	s.records.Store(int64(st.Records))
	return nil
}

// Attribute keys of log lines.
const (
	keyAddr     = "addr"
	keyError    = "error"
	keyMethod   = "method"
	keyPath     = "path"
	keyStatus   = "status"
	keyDuration = "duration"
	keyRecords  = "records"
	keyStack    = "stack"
)
