package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/osv"
)

// Record is one OSV record to import.
type Record struct {
	Vuln *osv.Vulnerability
	// Raw is the record as read; it is stored and served unchanged.
	Raw []byte
	// Origin says where the record came from, for the database and messages.
	Origin string
	// Withdrawn marks a record filed as withdrawn by its source (the
	// OpenSSF layout's osv/withdrawn/ directory) even if it carries no
	// withdrawn time of its own.
	Withdrawn bool
}

// ImportResult counts what an import did.
type ImportResult struct {
	// Added counts records new to the database.
	Added int
	// Updated counts records replaced by a newer modified time.
	Updated int
	// Unchanged counts records already stored with the same modified time.
	Unchanged int
	// Stale counts records older than the stored copy, which is kept.
	Stale int
}

// Changed reports whether the import changed the database.
func (r ImportResult) Changed() bool { return r.Added+r.Updated > 0 }

// Importer adds records inside one import transaction; see Store.Import.
type Importer struct {
	tx       *sql.Tx
	existing map[string]time.Time
	res      ImportResult

	getModified, upsert, delAffected, delAliases, insAffected, insAlias, setSource *sql.Stmt
}

// Import runs fn inside one transaction: either everything fn puts lands, or,
// if fn or the commit fails, nothing does and the database is as it was.
// For each record the newer modified time wins; a record already stored with
// the same or a newer time is kept.
func (s *Store) Import(ctx context.Context, fn func(*Importer) error) (ImportResult, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ImportResult{}, fmt.Errorf("begin import: %w", err)
	}
	defer tx.Rollback()
	im, err := newImporter(ctx, tx)
	if err != nil {
		return ImportResult{}, fmt.Errorf("begin import: %w", err)
	}
	defer im.close()
	if err := fn(im); err != nil {
		return im.res, err
	}
	if err := im.finish(ctx); err != nil {
		return im.res, err
	}
	if err := tx.Commit(); err != nil {
		return im.res, fmt.Errorf("commit import: %w", err)
	}
	if im.res.Changed() {
		s.Refresh(ctx) // drop the stale index; errors surface on next Lookup
	}
	return im.res, nil
}

func newImporter(ctx context.Context, tx *sql.Tx) (*Importer, error) {
	im := &Importer{tx: tx, existing: map[string]time.Time{}}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	im.getModified = prep(`SELECT modified FROM records WHERE id = $1`)
	im.upsert = prep(`INSERT INTO records(id, modified, withdrawn, malicious, origin, raw) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT(id) DO UPDATE SET modified = excluded.modified, withdrawn = excluded.withdrawn,
			malicious = excluded.malicious, origin = excluded.origin, raw = excluded.raw`)
	im.delAffected = prep(`DELETE FROM affected WHERE id = $1`)
	im.delAliases = prep(`DELETE FROM aliases WHERE id = $1`)
	im.insAffected = prep(`INSERT INTO affected(id, ecosystem, name, withdrawn, spec) VALUES ($1, $2, $3, $4, $5)`)
	im.insAlias = prep(`INSERT INTO aliases(alias, id) VALUES ($1, $2) ON CONFLICT DO NOTHING`)
	im.setSource = prep(`INSERT INTO sources(url, etag, last_modified, fetched_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`)
	if err != nil {
		im.close()
		return nil, err
	}
	return im, nil
}

func (im *Importer) close() {
	for _, st := range []*sql.Stmt{im.getModified, im.upsert, im.delAffected, im.delAliases, im.insAffected, im.insAlias, im.setSource} {
		if st != nil {
			st.Close()
		}
	}
}

// storedModified returns the modified time of the stored copy of id.
func (im *Importer) storedModified(ctx context.Context, id string) (time.Time, bool, error) {
	if t, ok := im.existing[id]; ok {
		return t, true, nil
	}
	var s string
	err := im.getModified.QueryRowContext(ctx, id).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, true, err
}

// Put adds r, or replaces the stored copy if r is newer.
func (im *Importer) Put(ctx context.Context, r Record) error {
	v := r.Vuln
	old, exists, err := im.storedModified(ctx, v.ID)
	if err != nil {
		return fmt.Errorf("import %s: %w", v.ID, err)
	}
	switch {
	case exists && v.Modified.Equal(old):
		im.res.Unchanged++
		return nil
	case exists && v.Modified.Before(old):
		im.res.Stale++
		return nil
	}

	raw := bytes.TrimSpace(bytes.TrimPrefix(r.Raw, []byte("\xef\xbb\xbf"))) // serve plain JSON
	withdrawn := v.IsWithdrawn() || r.Withdrawn
	if withdrawn && !v.IsWithdrawn() {
		// Filed as withdrawn without saying so: say so in the stored copy,
		// so that exports and the API show it withdrawn too.
		raw = markWithdrawn(raw, v.Modified)
	}
	malicious := v.IsMalicious()
	if exists {
		if _, err := im.delAffected.ExecContext(ctx, v.ID); err != nil {
			return fmt.Errorf("import %s: %w", v.ID, err)
		}
		if _, err := im.delAliases.ExecContext(ctx, v.ID); err != nil {
			return fmt.Errorf("import %s: %w", v.ID, err)
		}
	}
	if _, err := im.upsert.ExecContext(ctx, v.ID, v.Modified.UTC().Format(time.RFC3339Nano),
		withdrawn, malicious, r.Origin, raw); err != nil {
		return fmt.Errorf("import %s: %w", v.ID, err)
	}
	for _, a := range v.Aliases {
		if _, err := im.insAlias.ExecContext(ctx, a, v.ID); err != nil {
			return fmt.Errorf("import %s: %w", v.ID, err)
		}
	}
	for i := range v.Affected {
		a := &v.Affected[i]
		if a.Package.Name == "" {
			continue // a GIT-only entry names no package
		}
		eco, err := ecosystem.Parse(a.Package.Ecosystem)
		if err != nil {
			return fmt.Errorf("import %s: %w", v.ID, err) // Validate lets none through
		}
		spec := encodeSpec(v, a, withdrawn, malicious)
		if _, err := im.insAffected.ExecContext(ctx, v.ID, string(eco), ecosystem.Normalize(eco, a.Package.Name), withdrawn, spec); err != nil {
			return fmt.Errorf("import %s: %w", v.ID, err)
		}
	}
	im.existing[v.ID] = v.Modified
	if exists {
		im.res.Updated++
	} else {
		im.res.Added++
	}
	return nil
}

// SetSource records the validators of a synced HTTP source.
func (im *Importer) SetSource(ctx context.Context, st SourceState) error {
	if st.FetchedAt.IsZero() {
		st.FetchedAt = time.Now()
	}
	_, err := im.setSource.ExecContext(ctx, st.URL, st.ETag, st.LastModified, st.FetchedAt.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("record source %s: %w", st.URL, err)
	}
	return nil
}

// finish stamps the import and, if it changed anything, bumps the generation
// that tells other processes to reload their index.
func (im *Importer) finish(ctx context.Context) error {
	set := func(key, value string) error {
		_, err := im.tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ($1, $2)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	}
	if err := set("imported_at", time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	if !im.res.Changed() {
		return nil
	}
	if err := rebuildIndex(ctx, im.tx); err != nil {
		return fmt.Errorf("finish import: rebuild index: %w", err)
	}
	var gen string
	if err := im.tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`).Scan(&gen); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("finish import: %w", err)
	}
	n, _ := strconv.ParseInt(gen, 10, 64)
	if err := set("generation", strconv.FormatInt(n+1, 10)); err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	return nil
}

// markWithdrawn adds a "withdrawn" field to a JSON object that lacks one.
func markWithdrawn(raw []byte, at time.Time) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' {
		return raw
	}
	field := `"withdrawn":"` + at.UTC().Format(time.RFC3339) + `"`
	rest := bytes.TrimSpace(raw[1:])
	out := make([]byte, 0, len(raw)+len(field)+2)
	out = append(out, '{')
	out = append(out, field...)
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
