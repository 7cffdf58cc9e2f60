package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/osv"
)

// The packed index. Opening a database must be fast (a check of 25,000
// packages against 200,000 records, opening included, in well under a
// second), so the entries of each ecosystem are kept pre-sorted in a few
// large blobs: loading them is a handful of reads, the names and specs are
// substrings of one string per chunk, and a spec is decoded only when a
// lookup asks for its package.
//
//	chunk = (len:uvarint name len:uvarint spec)*
const chunkBytes = 4 << 20

// ecoIndex maps normalised package names of one ecosystem to their specs.
type ecoIndex struct {
	eco    ecosystem.Ecosystem
	byName map[string][]string
}

// lookup decodes the records for name, merging entries of one record (a
// record may list one package in several affected entries).
func (idx *ecoIndex) lookup(name string) ([]*osv.Vulnerability, error) {
	specs := idx.byName[name]
	if len(specs) == 0 {
		return nil, nil
	}
	out := make([]*osv.Vulnerability, 0, len(specs))
outer:
	for _, spec := range specs {
		v, _, err := decodeSpec(spec, string(idx.eco), name)
		if err != nil {
			return nil, fmt.Errorf("%s index entry for %q: %w", idx.eco, name, err)
		}
		for _, old := range out {
			if old.ID == v.ID {
				old.Affected = append(old.Affected, v.Affected...)
				continue outer
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// loadIndex reads the packed index of eco.
func (s *Store) loadIndex(ctx context.Context, eco ecosystem.Ecosystem) (*ecoIndex, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM index_chunks WHERE ecosystem = $1 ORDER BY seq`, string(eco))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	idx := &ecoIndex{eco: eco, byName: map[string][]string{}}
	var data sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		if err := idx.addChunk(string(data)); err != nil {
			return nil, err
		}
	}
	return idx, rows.Err()
}

func (idx *ecoIndex) addChunk(chunk string) error {
	r := specReader{b: chunk}
	for len(r.b) > 0 {
		name := r.string()
		spec := r.string()
		if r.err != nil {
			return fmt.Errorf("corrupt %s index chunk", idx.eco)
		}
		idx.byName[name] = append(idx.byName[name], spec)
	}
	return nil
}

// rebuildIndex repacks the index of every ecosystem from the affected table,
// inside the import transaction.
func rebuildIndex(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM index_chunks`); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT ecosystem, name, spec FROM affected WHERE withdrawn = 0 ORDER BY ecosystem, name, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO index_chunks(ecosystem, seq, data) VALUES ($1, $2, $3)`)
	if err != nil {
		return err
	}
	defer ins.Close()

	var (
		cur   string
		seq   int
		chunk []byte
	)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		_, err := ins.ExecContext(ctx, cur, seq, chunk)
		seq++
		chunk = chunk[:0]
		return err
	}
	var eco, name string
	var spec sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&eco, &name, &spec); err != nil {
			return err
		}
		if eco != cur || len(chunk) >= chunkBytes {
			if err := flush(); err != nil {
				return err
			}
			if eco != cur {
				cur, seq = eco, 0
			}
		}
		chunk = appendString(chunk, name)
		chunk = binary.AppendUvarint(chunk, uint64(len(spec)))
		chunk = append(chunk, spec...)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}
