// Package store is sapper's database of malicious-package reports: OSV records
// kept in SQL (an embedded SQLite file by default), and an in-memory index per
// ecosystem that answers Lookup without touching SQL on the hot path.
//
// Every record is kept as the bytes it was imported from, so that the API and
// exports return it unchanged, beside a compact entry per affected package
// (see spec.go) from which the index is built. An import is one transaction:
// it either lands whole or leaves the database as it was.
//
// Queries use only SQL that SQLite and PostgreSQL share ($N placeholders,
// ON CONFLICT upserts), and what differs (the connection string, column
// types in migrations) lives in schema.go, so that a PostgreSQL backend is a
// second driver and migration list behind the same Store, not a rewrite.
// Consumers see the store through the small interfaces they declare
// (match.Source, server.DB).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/osv"
)

// ErrNotFound is returned when a record ID or alias is not in the database.
var ErrNotFound = errors.New("not found")

// ErrNoDatabase is returned by Open when the database does not exist and
// Options.Create is false.
var ErrNoDatabase = errors.New("no database")

// Options configure Open.
type Options struct {
	// Create makes Open create the database if it does not exist.
	Create bool
}

// Store is an open database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	get  *sql.Stmt // Get's query, prepared once

	snap atomic.Pointer[snapshot] // the index lookups read; swapped whole on reload
}

// snapshot is the in-memory index at one database generation. Ecosystems
// load lazily and independently: a lookup in one never waits for another's.
type snapshot struct {
	gen  int64
	mu   sync.Mutex // guards ecos
	ecos map[ecosystem.Ecosystem]*ecoSlot
}

// ecoSlot holds one ecosystem's index once loaded.
type ecoSlot struct {
	mu  sync.Mutex
	idx *ecoIndex
}

func newSnapshot(gen int64) *snapshot {
	return &snapshot{gen: gen, ecos: map[ecosystem.Ecosystem]*ecoSlot{}}
}

func (sn *snapshot) slot(eco ecosystem.Ecosystem) *ecoSlot {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	sl := sn.ecos[eco]
	if sl == nil {
		sl = &ecoSlot{}
		sn.ecos[eco] = sl
	}
	return sl
}

// loaded returns the ecosystems whose index is loaded.
func (sn *snapshot) loaded() []ecosystem.Ecosystem {
	sn.mu.Lock()
	defer sn.mu.Unlock()
	var out []ecosystem.Ecosystem
	for e := range sn.ecos {
		out = append(out, e)
	}
	return out
}

// DefaultPath returns the database path used when none is given: $SAPPER_DB,
// else sapper/sapper.db in the user cache directory.
func DefaultPath() (string, error) {
	if p := os.Getenv("SAPPER_DB"); p != "" {
		return p, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the user cache directory (set --db or SAPPER_DB): %w", err)
	}
	return filepath.Join(dir, "sapper", "sapper.db"), nil
}

// Open opens the database at path, creating it (and its directory) when
// opts.Create is set, and brings its schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if !opts.Create {
			return nil, fmt.Errorf("%w at %s", ErrNoDatabase, path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Readers of a WAL database each hold a connection; keep enough idle
	// ones that a busy server does not reconnect and rerun the pragmas.
	db.SetMaxIdleConns(16)
	s := &Store{db: db, path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	gen, err := s.generation(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.snap.Store(newSnapshot(gen))
	if s.get, err = db.PrepareContext(ctx, `
		SELECT id, raw FROM records WHERE id = $1
		UNION
		SELECT r.id, r.raw FROM aliases a JOIN records r ON r.id = a.id WHERE a.alias = $1
		ORDER BY 1`); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// Path returns the database's location.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	s.get.Close()
	return s.db.Close()
}

// meta reads a value of the meta table, "" when absent.
func (s *Store) meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func (s *Store) generation(ctx context.Context) (int64, error) {
	v, err := s.meta(ctx, "generation")
	if err != nil || v == "" {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// Refresh reloads the in-memory index if another process (or this one) has
// imported since it was loaded, and reports whether anything changed. The
// ecosystems loaded before are loaded again before the new index replaces
// the old, so lookups meanwhile answer from the old data instead of waiting.
// Long-running servers call it periodically; one-shot commands never need to.
func (s *Store) Refresh(ctx context.Context) (bool, error) {
	gen, err := s.generation(ctx)
	if err != nil {
		return false, fmt.Errorf("read database generation: %w", err)
	}
	old := s.snap.Load()
	if gen == old.gen {
		return false, nil
	}
	next := newSnapshot(gen)
	for _, eco := range old.loaded() {
		if _, err := s.ecosystemIndex(ctx, next, eco); err != nil {
			return false, err
		}
	}
	s.snap.Store(next)
	return true, nil
}

// Lookup returns the records that name the package (eco, name), name being
// compared after ecosystem.Normalize. Withdrawn records are left out: they
// never match. The records are trimmed to what matching needs: ID, summary,
// aliases, modified, and the affected entries for this package.
//
// The first Lookup in an ecosystem loads that ecosystem's index; later ones
// are map reads.
func (s *Store) Lookup(ctx context.Context, eco ecosystem.Ecosystem, name string) ([]*osv.Vulnerability, error) {
	idx, err := s.ecosystemIndex(ctx, s.snap.Load(), eco)
	if err != nil {
		return nil, err
	}
	return idx.lookup(ecosystem.Normalize(eco, name))
}

// Load loads the index of every ecosystem now, so that lookups by a server
// never wait on SQL.
func (s *Store) Load(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT ecosystem FROM affected`)
	if err != nil {
		return fmt.Errorf("list ecosystems: %w", err)
	}
	var ecos []ecosystem.Ecosystem
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return err
		}
		ecos = append(ecos, ecosystem.Ecosystem(e))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sn := s.snap.Load()
	for _, e := range ecos {
		if _, err := s.ecosystemIndex(ctx, sn, e); err != nil {
			return err
		}
	}
	return nil
}

// ecosystemIndex returns the index of eco in sn, loading it on first use.
// Concurrent first uses of one ecosystem wait for a single load; a failed
// load is tried again by the next lookup.
func (s *Store) ecosystemIndex(ctx context.Context, sn *snapshot, eco ecosystem.Ecosystem) (*ecoIndex, error) {
	sl := sn.slot(eco)
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.idx != nil {
		return sl.idx, nil
	}
	idx, err := s.loadIndex(ctx, eco)
	if err != nil {
		return nil, fmt.Errorf("load %s index: %w", eco, err)
	}
	sl.idx = idx
	return idx, nil
}

// Get returns the record with the given ID, or the records that have it as an
// alias, as imported (raw JSON). It returns ErrNotFound when there are none.
func (s *Store) Get(ctx context.Context, id string) ([]Raw, error) {
	rows, err := s.get.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	defer rows.Close()
	var out []Raw
	for rows.Next() {
		var r Raw
		if err := rows.Scan(&r.ID, &r.JSON); err != nil {
			return nil, fmt.Errorf("get %s: %w", id, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("record %s: %w", id, ErrNotFound)
	}
	return out, nil
}

// Raw is a record as imported.
type Raw struct {
	ID   string
	JSON []byte
}

// Stats summarise the database.
type Stats struct {
	// Records counts every stored record, withdrawn included.
	Records int
	// Withdrawn counts withdrawn records.
	Withdrawn int
	// Malicious counts records that report malware (MAL- or CWE-506).
	Malicious int
	// Ecosystems counts records per ecosystem they name.
	Ecosystems map[string]int
	// ImportedAt is when the last import or sync landed; zero if never.
	ImportedAt time.Time
}

// Empty reports whether the database holds no records at all.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM records LIMIT 1`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return false, err
}

// Stats counts the records.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Ecosystems: map[string]int{}}
	err := s.db.QueryRowContext(ctx, `
		SELECT count(*), coalesce(sum(withdrawn), 0), coalesce(sum(malicious), 0) FROM records`).
		Scan(&st.Records, &st.Withdrawn, &st.Malicious)
	if err != nil {
		return st, fmt.Errorf("count records: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT ecosystem, count(DISTINCT id) FROM affected GROUP BY ecosystem`)
	if err != nil {
		return st, fmt.Errorf("count ecosystems: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		var n int
		if err := rows.Scan(&e, &n); err != nil {
			return st, err
		}
		st.Ecosystems[e] = n
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	at, err := s.meta(ctx, "imported_at")
	if err != nil {
		return st, err
	}
	if at != "" {
		st.ImportedAt, _ = time.Parse(time.RFC3339Nano, at)
	}
	return st, nil
}

// Each calls fn for every record that names ecosystem eco (every record when
// eco is ""), in ID order, with the record as imported. It stops at fn's
// first error and returns it.
func (s *Store) Each(ctx context.Context, eco ecosystem.Ecosystem, fn func(Raw) error) error {
	q := `SELECT id, raw FROM records ORDER BY id`
	var args []any
	if eco != "" {
		q = `SELECT id, raw FROM records WHERE id IN (SELECT id FROM affected WHERE ecosystem = $1) ORDER BY id`
		args = append(args, string(eco))
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("list records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Raw
		if err := rows.Scan(&r.ID, &r.JSON); err != nil {
			return fmt.Errorf("list records: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Ecosystems returns the ecosystems that records name, sorted.
func (s *Store) Ecosystems(ctx context.Context) ([]ecosystem.Ecosystem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT ecosystem FROM affected ORDER BY ecosystem`)
	if err != nil {
		return nil, fmt.Errorf("list ecosystems: %w", err)
	}
	defer rows.Close()
	var out []ecosystem.Ecosystem
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, ecosystem.Ecosystem(e))
	}
	return out, rows.Err()
}

// SourceState is what the database remembers of an HTTP source it synced
// from: the validators for a conditional request.
type SourceState struct {
	URL          string
	ETag         string
	LastModified string
	FetchedAt    time.Time
}

// Source returns the state of a synced source; the zero state when the
// source has never been synced.
func (s *Store) Source(ctx context.Context, url string) (SourceState, error) {
	st := SourceState{URL: url}
	var fetched string
	err := s.db.QueryRowContext(ctx, `SELECT etag, last_modified, fetched_at FROM sources WHERE url = $1`, url).
		Scan(&st.ETag, &st.LastModified, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read source %s: %w", url, err)
	}
	st.FetchedAt, _ = time.Parse(time.RFC3339Nano, fetched)
	return st, nil
}
