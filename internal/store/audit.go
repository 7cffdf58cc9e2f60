package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// AuditEntry is one request the proxy decided: who asked for which
// package version, when, and what the proxy did.
type AuditEntry struct {
	Time      time.Time
	Client    string
	Ecosystem ecosystem.Ecosystem
	Name      string
	Version   string // "" for a request about the package as a whole
	Decision  string // allow, warn or block
	Reason    string
	Path      string
}

// auditTime is the stored form of times: sortable as text.
const auditTime = "2006-01-02T15:04:05.000000000Z07:00"

// RecordAudit appends entries to the audit log in one transaction.
func (s *Store) RecordAudit(ctx context.Context, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit (time, client, ecosystem, name, display, version, decision, reason, path)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer stmt.Close()
	for _, e := range entries {
		if _, err := stmt.ExecContext(ctx, e.Time.UTC().Format(auditTime), e.Client, string(e.Ecosystem),
			ecosystem.Normalize(e.Ecosystem, e.Name), e.Name, e.Version, e.Decision, e.Reason, e.Path); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	Since     time.Time
	Ecosystem ecosystem.Ecosystem
	Name      string // compared after ecosystem.Normalize
	Version   string
	Decision  string
	// Limit bounds the entries returned (0: no bound).
	Limit int
}

// Audit calls fn with the audit entries f selects, oldest first.
func (s *Store) Audit(ctx context.Context, f AuditFilter, fn func(AuditEntry) error) error {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if !f.Since.IsZero() {
		add("time >= $%d", f.Since.UTC().Format(auditTime))
	}
	if f.Ecosystem != "" {
		add("ecosystem = $%d", string(f.Ecosystem))
	}
	if f.Name != "" {
		add("name = $%d", ecosystem.Normalize(f.Ecosystem, f.Name))
	}
	if f.Version != "" {
		add("version = $%d", f.Version)
	}
	if f.Decision != "" {
		add("decision = $%d", f.Decision)
	}
	q := "SELECT time, client, ecosystem, display, version, decision, reason, path FROM audit"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY time, rowid"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var t, eco string
		if err := rows.Scan(&t, &e.Client, &eco, &e.Name, &e.Version, &e.Decision, &e.Reason, &e.Path); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		e.Ecosystem = ecosystem.Ecosystem(eco)
		if e.Time, err = time.Parse(auditTime, t); err != nil {
			return fmt.Errorf("audit: bad time %q: %w", t, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
