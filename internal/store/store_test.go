package store

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/osv"
)

func readRecord(t *testing.T, name string) Record {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	v, err := osv.Decode(raw)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return Record{Vuln: v, Raw: raw, Origin: name}
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sapper.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func importAll(t *testing.T, s *Store, recs ...Record) ImportResult {
	t.Helper()
	res, err := s.Import(context.Background(), func(im *Importer) error {
		for _, r := range recs {
			if err := im.Put(context.Background(), r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func ids(vs []*osv.Vulnerability) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "none.db"), Options{})
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("Open of a missing database: got %v, want ErrNoDatabase", err)
	}
}

func TestImportIdempotentNewerWins(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	v1, v2 := readRecord(t, "mal-npm-v1.json"), readRecord(t, "mal-npm-v2.json")

	if got, want := importAll(t, s, v1), (ImportResult{Added: 1}); got != want {
		t.Errorf("first import = %+v, want %+v", got, want)
	}
	if got, want := importAll(t, s, v1), (ImportResult{Unchanged: 1}); got != want {
		t.Errorf("re-import = %+v, want %+v", got, want)
	}
	if got, want := importAll(t, s, v2), (ImportResult{Updated: 1}); got != want {
		t.Errorf("newer import = %+v, want %+v", got, want)
	}
	if got, want := importAll(t, s, v1), (ImportResult{Stale: 1}); got != want {
		t.Errorf("older import = %+v, want %+v", got, want)
	}
	// The same record twice in one import: counted once, newest kept.
	if got, want := importAll(t, openTemp(t), v2, v1), (ImportResult{Added: 1, Stale: 1}); got != want {
		t.Errorf("one import with both = %+v, want %+v", got, want)
	}

	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 1 {
		t.Errorf("Records = %d, want 1 (nothing duplicated)", st.Records)
	}
	got, err := s.Lookup(ctx, ecosystem.NPM, "evil-pkg")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !slices.Contains(got[0].Affected[0].Versions, "1.0.2") {
		t.Fatalf("Lookup after update = %+v, want the v2 record with 1.0.2", got)
	}
	if diff := cmp.Diff([]string{"GHSA-aaaa-bbbb-cccc", "SNYK-JS-EVILPKG-1"}, got[0].Aliases); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	// The stored raw record is the newest, byte for byte.
	raws, err := s.Get(ctx, "MAL-2025-0001")
	if err != nil {
		t.Fatal(err)
	}
	if string(raws[0].JSON) != strings.TrimSpace(string(v2.Raw)) {
		t.Errorf("stored record is not the v2 file as imported")
	}
}

func TestLookupNormalisesAndSkipsWithdrawn(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	importAll(t, s,
		readRecord(t, "mal-pypi.json"), readRecord(t, "withdrawn.json"),
		readRecord(t, "ghsa-malware.json"), readRecord(t, "vuln-go.json"))

	tests := []struct {
		eco  ecosystem.Ecosystem
		name string
		want []string
	}{
		{ecosystem.PyPI, "nasrtox", []string{"MAL-2025-0002"}},
		{ecosystem.PyPI, "NASRTOX", []string{"MAL-2025-0002"}},
		{ecosystem.PyPI, "nasr-tox", nil}, // PEP 503 keeps separators: another project
		{ecosystem.NPM, "innocent", nil},  // withdrawn: never matches
		{ecosystem.NPM, "flatmap-evil", []string{"GHSA-mmmm-wwww-xxxx"}},
		{ecosystem.NPM, "Flatmap-Evil", nil}, // npm names are exact
		{ecosystem.Go, "example.com/Mod", []string{"GO-2025-0005"}},
		{ecosystem.Go, "example.com/mod", nil}, // module paths are case-sensitive
		{"Debian", "golang-mod", []string{"GO-2025-0005"}},
	}
	for _, tt := range tests {
		got, err := s.Lookup(ctx, tt.eco, tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
			t.Errorf("Lookup(%s, %q) (-want +got):\n%s", tt.eco, tt.name, diff)
		}
	}

	// Both affected entries of MAL-2025-0002 name the same normalised package:
	// one record, both entries.
	got, _ := s.Lookup(ctx, ecosystem.PyPI, "nasrtox")
	if len(got) != 1 || len(got[0].Affected) != 2 {
		t.Errorf("Lookup merged %d records with %d entries, want 1 with 2", len(got), len(got[0].Affected))
	}
	mal, _ := s.Lookup(ctx, ecosystem.NPM, "flatmap-evil")
	if !mal[0].IsMalicious() {
		t.Errorf("a CWE-506 record loses its malware mark in the index")
	}

	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Records: 4, Withdrawn: 1, Malicious: 3,
		Ecosystems: map[string]int{"PyPI": 1, "npm": 2, "Go": 1, "Debian": 1}}
	if diff := cmp.Diff(want, st, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "ImportedAt" }, cmp.Ignore())); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
	if time.Since(st.ImportedAt) > time.Minute {
		t.Errorf("ImportedAt = %v, want now", st.ImportedAt)
	}
}

func TestGetByAlias(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	importAll(t, s, readRecord(t, "mal-npm-v2.json"), readRecord(t, "mal-pypi.json"))
	for _, id := range []string{"MAL-2025-0001", "GHSA-aaaa-bbbb-cccc", "SNYK-JS-EVILPKG-1"} {
		got, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("Get(%s): %v", id, err)
		}
		if len(got) != 1 || got[0].ID != "MAL-2025-0001" {
			t.Errorf("Get(%s) = %v, want MAL-2025-0001", id, got)
		}
	}
	if _, err := s.Get(ctx, "GHSA-none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(unknown) err = %v, want ErrNotFound", err)
	}
}

// TestImportAtomic: an import that fails half-way leaves the database as it
// was, both for later lookups and for a fresh process.
func TestImportAtomic(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sapper.db")
	s, err := Open(ctx, path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	importAll(t, s, readRecord(t, "mal-npm-v1.json"))

	boom := errors.New("killed half-way")
	_, err = s.Import(ctx, func(im *Importer) error {
		for _, name := range []string{"mal-npm-v2.json", "mal-pypi.json"} {
			if err := im.Put(ctx, readRecord(t, name)); err != nil {
				return err
			}
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Import err = %v, want %v", err, boom)
	}
	s.Close()

	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, _ := s.Stats(ctx)
	if st.Records != 1 {
		t.Errorf("after a failed import: %d records, want the 1 from before", st.Records)
	}
	got, _ := s.Lookup(ctx, ecosystem.NPM, "evil-pkg")
	if len(got) != 1 || len(got[0].Affected[0].Versions) != 2 {
		t.Errorf("after a failed import the record changed: %+v", got)
	}
}

// TestWithdrawnDirectory: a record filed under withdrawn/ without a withdrawn
// field is stored as withdrawn, and its stored copy says so.
func TestWithdrawnDirectory(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	r := readRecord(t, "mal-npm-v1.json")
	r.Withdrawn = true
	importAll(t, s, r)
	if got, _ := s.Lookup(ctx, ecosystem.NPM, "evil-pkg"); len(got) != 0 {
		t.Errorf("withdrawn record matched: %v", ids(got))
	}
	raws, err := s.Get(ctx, "MAL-2025-0001")
	if err != nil {
		t.Fatal(err)
	}
	v, err := osv.Decode(raws[0].JSON)
	if err != nil {
		t.Fatalf("stored copy does not decode: %v\n%s", err, raws[0].JSON)
	}
	if !v.IsWithdrawn() {
		t.Errorf("stored copy has no withdrawn field:\n%s", raws[0].JSON)
	}
	var m map[string]any
	if err := json.Unmarshal(raws[0].JSON, &m); err != nil || m["summary"] == nil {
		t.Errorf("stored copy lost fields: %v", err)
	}
}

// TestRefresh: a second Store on the same file sees another's import after
// Refresh, as a server does while "sapper db import" runs.
func TestRefresh(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sapper.db")
	writer, err := Open(ctx, path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	reader, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if got, _ := reader.Lookup(ctx, ecosystem.NPM, "evil-pkg"); len(got) != 0 {
		t.Fatalf("empty database matched %v", ids(got))
	}
	importAll(t, writer, readRecord(t, "mal-npm-v1.json"))
	changed, err := reader.Refresh(ctx)
	if err != nil || !changed {
		t.Fatalf("Refresh = %v, %v; want true", changed, err)
	}
	if got, _ := reader.Lookup(ctx, ecosystem.NPM, "evil-pkg"); len(got) != 1 {
		t.Errorf("after Refresh: %v, want the new record", ids(got))
	}
	if changed, _ := reader.Refresh(ctx); changed {
		t.Errorf("second Refresh reports a change")
	}
}

func TestSourceState(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	const u = "http://127.0.0.1/all.zip"
	if got, _ := s.Source(ctx, u); got.ETag != "" {
		t.Fatalf("unknown source has state %+v", got)
	}
	if _, err := s.Import(ctx, func(im *Importer) error {
		return im.SetSource(ctx, SourceState{URL: u, ETag: `"abc"`, LastModified: "Mon, 01 Jan 2024 00:00:00 GMT"})
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Source(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag != `"abc"` || got.LastModified != "Mon, 01 Jan 2024 00:00:00 GMT" || got.FetchedAt.IsZero() {
		t.Errorf("Source = %+v", got)
	}
}

// TestByteOrderMark: a record file starting with a UTF-8 BOM is stored and
// served as plain JSON.
func TestByteOrderMark(t *testing.T) {
	s := openTemp(t)
	r := readRecord(t, "mal-pypi.json")
	r.Raw = append([]byte("\xef\xbb\xbf"), r.Raw...)
	importAll(t, s, r)
	raws, err := s.Get(context.Background(), r.Vuln.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(raws[0].JSON) {
		t.Errorf("stored record is not valid JSON: %q", raws[0].JSON[:8])
	}
}

func TestSpecRoundTripAndCorruption(t *testing.T) {
	r := readRecord(t, "vuln-go.json")
	spec := encodeSpec(r.Vuln, &r.Vuln.Affected[0], false, false)
	v, withdrawn, err := decodeSpec(string(spec), "Go", "example.com/Mod")
	if err != nil || withdrawn {
		t.Fatalf("decodeSpec = %v, %v", withdrawn, err)
	}
	if diff := cmp.Diff(r.Vuln.Affected[0].Ranges, v.Affected[0].Ranges); diff != "" {
		t.Errorf("ranges (-want +got):\n%s", diff)
	}
	if v.ID != r.Vuln.ID || v.Summary != r.Vuln.Summary || !v.Modified.Equal(r.Vuln.Modified) {
		t.Errorf("decoded %+v", v)
	}
	// Severities and the database's severity word survive into the index.
	g := readRecord(t, "ghsa-vuln.json")
	gv, _, err := decodeSpec(string(encodeSpec(g.Vuln, &g.Vuln.Affected[0], false, false)), "npm", "lodash-like")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g.Vuln.Severity, gv.Severity); diff != "" {
		t.Errorf("severity (-want +got):\n%s", diff)
	}
	if string(gv.DatabaseSpecific) != `{"severity":"CRITICAL"}` || gv.IsMalicious() {
		t.Errorf("database_specific = %s, malicious %v", gv.DatabaseSpecific, gv.IsMalicious())
	}

	// Every truncation is an error, never a panic.
	for i := range spec {
		if _, _, err := decodeSpec(string(spec[:i]), "Go", "x"); err == nil {
			t.Errorf("decodeSpec of %d/%d bytes: no error", i, len(spec))
		}
	}
}

// TestSchemaVersion: reopening keeps the schema; a database from a newer
// sapper is refused with a message, never modified.
func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sapper.db")
	s, err := Open(ctx, path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	importAll(t, s, readRecord(t, "mal-pypi.json"))
	if v, _ := s.meta(ctx, "schema_version"); v != strconv.Itoa(len(migrations)) {
		t.Errorf("schema_version = %q, want %d", v, len(migrations))
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE meta SET value = '99' WHERE key = 'schema_version'`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this sapper knows") {
		t.Errorf("Open of a newer database: %v", err)
	}

	// A file that is not a database at all.
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte("this is not sqlite"), 0o644)
	if _, err := Open(ctx, junk, Options{}); err == nil {
		t.Errorf("Open of a junk file: no error")
	}
}
