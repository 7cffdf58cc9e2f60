package store

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// sqliteDSN returns the connection string for the SQLite file at path: WAL so
// that readers (a running server) keep working while an import writes, a busy
// timeout so that a second writer waits instead of failing, foreign keys on.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// migrations bring the schema from version i to i+1. Append only: a released
// migration never changes.
var migrations = []string{
	// 1: records, their aliases, one compact matching entry per affected
	// package, the packed index, HTTP source validators, and key-value
	// metadata.
	`
	CREATE TABLE IF NOT EXISTS meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TABLE records (
		id        TEXT PRIMARY KEY,
		modified  TEXT NOT NULL,  -- RFC 3339, UTC; the newer modified wins on import
		withdrawn INTEGER NOT NULL,
		malicious INTEGER NOT NULL,
		origin    TEXT NOT NULL,  -- file or URL it was imported from
		raw       BLOB NOT NULL   -- the record as imported
	);
	CREATE TABLE aliases (
		alias TEXT NOT NULL,
		id    TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
		PRIMARY KEY (alias, id)
	);
	CREATE INDEX aliases_id ON aliases(id);
	CREATE TABLE affected (
		id        TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
		ecosystem TEXT NOT NULL,  -- base OSV ecosystem, no ":suffix"
		name      TEXT NOT NULL,  -- ecosystem.Normalize(name)
		withdrawn INTEGER NOT NULL,
		spec      BLOB NOT NULL   -- see spec.go
	);
	CREATE INDEX affected_ecosystem ON affected(ecosystem, name);
	CREATE INDEX affected_id ON affected(id);
	-- The matching index of each ecosystem, packed: the affected entries of
	-- records not withdrawn, sorted by name, as (name, spec) pairs in chunks
	-- (see index.go). Rebuilt by every import that changes anything, so
	-- that opening the index is a few blob reads instead of a row per entry.
	CREATE TABLE index_chunks (
		ecosystem TEXT NOT NULL,
		seq       INTEGER NOT NULL,
		data      BLOB NOT NULL,
		PRIMARY KEY (ecosystem, seq)
	);
	CREATE TABLE sources (
		url           TEXT PRIMARY KEY,
		etag          TEXT NOT NULL,
		last_modified TEXT NOT NULL,
		fetched_at    TEXT NOT NULL
	);
	`,
	// 2: the proxy's audit log: one row per package request it decided.
	`
	CREATE TABLE audit (
		time      TEXT NOT NULL,  -- RFC 3339 with nanoseconds, UTC
		client    TEXT NOT NULL,  -- the client's address
		ecosystem TEXT NOT NULL,
		name      TEXT NOT NULL,  -- ecosystem.Normalize(name), for lookups
		display   TEXT NOT NULL,  -- the name as requested
		version   TEXT NOT NULL,  -- "" for a request about the package (metadata)
		decision  TEXT NOT NULL,  -- allow | warn | block
		reason    TEXT NOT NULL,
		path      TEXT NOT NULL   -- the request path
	);
	CREATE INDEX audit_package ON audit(ecosystem, name, version);
	CREATE INDEX audit_time ON audit(time);
	`,
}

// migrate applies the migrations the database lacks, in one transaction.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	version := 0
	var v string
	switch err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v); {
	case err == nil:
		if version, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("migrate: bad schema_version %q", v)
		}
	case !isNoRows(err):
		return fmt.Errorf("migrate: not a sapper database? %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("the database has schema version %d, newer than this sapper knows (%d): upgrade sapper", version, len(migrations))
	}
	if version == len(migrations) {
		return nil
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('schema_version', $1)
		ON CONFLICT(key) DO UPDATE SET value = excluded.value`, strconv.Itoa(len(migrations))); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return tx.Commit()
}
