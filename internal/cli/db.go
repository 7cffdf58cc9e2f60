package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/feed"
	"github.com/sapperhq/sapper/internal/progress"
	"github.com/sapperhq/sapper/internal/report"
	"github.com/sapperhq/sapper/internal/store"
)

func runImport(ctx context.Context, args []string, e *env) error {
	fs := newFlags("db import", e)
	dbFlag := dbFlag(fs)
	strict := fs.Bool("strict", false, "fail the whole import on the first bad record")
	sources, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(sources) == 0 {
		return usageErrorf("db import: no source given (a directory of OSV JSON, an OSV .zip, or a .json file)")
	}
	for _, src := range sources {
		if _, err := os.Stat(src); err != nil {
			return inputError(fmt.Errorf("db import: %w", err))
		}
	}
	path, err := e.dbPath(*dbFlag)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, path, store.Options{Create: true})
	if err != nil {
		return failure(err)
	}
	defer st.Close()

	var bad int
	res, err := st.Import(ctx, func(im *store.Importer) error {
		for _, src := range sources {
			if err := importSource(ctx, im, src, src, *strict, &bad, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	printImportResult(e.stdout, path, res, bad)
	return nil
}

// importSource reads one source into an open import. A bad record is
// reported on stderr and skipped, or with strict ends the import.
func importSource(ctx context.Context, im *store.Importer, src, origin string, strict bool, bad *int, e *env) error {
	bar := progress.NewCount(e.stderr, "import "+shortURL(origin), 0)
	defer bar.Done()
	err := feed.Read(ctx, src, func(it feed.Item) error {
		bar.Add(1)
		if it.Err != nil {
			*bad++
			if strict {
				return inputError(fmt.Errorf("%s: %w (--strict: nothing imported)", it.Origin, it.Err))
			}
			fmt.Fprintf(e.stderr, "skip %s: %v\n", it.Origin, it.Err)
			return nil
		}
		return im.Put(ctx, store.Record{Vuln: it.Vuln, Raw: it.Raw, Origin: it.Origin, Withdrawn: it.Withdrawn})
	})
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) || errors.Is(err, context.Canceled) {
			return err
		}
		return inputError(fmt.Errorf("import %s: %w", origin, err))
	}
	return nil
}

func printImportResult(w io.Writer, path string, res store.ImportResult, bad int) {
	fmt.Fprintf(w, "imported into %s: %d added, %d updated, %d unchanged, %d older than stored",
		path, res.Added, res.Updated, res.Unchanged, res.Stale)
	if bad > 0 {
		fmt.Fprintf(w, ", %d bad records skipped (see above)", bad)
	}
	fmt.Fprintln(w)
}

// defaultSources are what "sapper db sync" downloads without --source:
// osv.dev's per-ecosystem archives (which carry the MAL- records of the
// malicious-packages repository beside ordinary vulnerabilities) and the
// repository's own archive, which also has the withdrawn reports.
// SAPPER_SOURCES (space-separated URLs) overrides them.
func defaultSources() []string {
	if s := strings.Fields(os.Getenv("SAPPER_SOURCES")); len(s) > 0 {
		return s
	}
	var out []string
	for _, eco := range []string{"npm", "PyPI", "Go", "crates.io", "RubyGems", "NuGet", "Maven"} {
		out = append(out, "https://osv-vulnerabilities.storage.googleapis.com/"+eco+"/all.zip")
	}
	return append(out, "https://github.com/ossf/malicious-packages/archive/refs/heads/main.zip")
}

func runSync(ctx context.Context, args []string, e *env) error {
	fs := newFlags("db sync", e)
	dbFlag := dbFlag(fs)
	var sources []string
	fs.Func("source", "`URL` of an OSV .zip or .json to download (repeatable; default: osv.dev and the malicious-packages repository)", func(s string) error {
		if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
			return fmt.Errorf("want an http(s) URL, got %q", s)
		}
		sources = append(sources, s)
		return nil
	})
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("db sync: unexpected arguments %q (use --source URL)", rest)
	}
	if len(sources) == 0 {
		sources = defaultSources()
	}
	path, err := e.dbPath(*dbFlag)
	if err != nil {
		return err
	}
	if err := syncSources(ctx, path, sources, e); err != nil {
		return failure(err)
	}
	return nil
}

// syncSources downloads every source, with conditional requests, and imports
// what changed in one transaction. Nothing is imported unless every download
// succeeds, so a failed sync leaves the database as it was.
func syncSources(ctx context.Context, path string, sources []string, e *env) error {
	// Validators from the last sync, if there is a database already. A new
	// database is created only once every download has succeeded, so that a
	// failed first sync leaves no empty database behind to check against.
	prev := map[string]store.SourceState{}
	if st, err := store.Open(ctx, path, store.Options{}); err == nil {
		for _, u := range sources {
			if prev[u], err = st.Source(ctx, u); err != nil {
				st.Close()
				return err
			}
		}
		st.Close()
	} else if !errors.Is(err, store.ErrNoDatabase) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), "sync-")
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	defer os.RemoveAll(tmp)

	client := &http.Client{Timeout: 30 * time.Minute}
	type fetched struct {
		url string
		res feed.Result
	}
	var got []fetched
	for _, u := range sources {
		bar := progress.New(e.stderr, shortURL(u), 0)
		res, err := feed.Download(ctx, client, u, tmp, feed.Cond{ETag: prev[u].ETag, LastModified: prev[u].LastModified}, bar)
		bar.Done()
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		got = append(got, fetched{u, res})
	}

	st, err := store.Open(ctx, path, store.Options{Create: true})
	if err != nil {
		return err
	}
	defer st.Close()
	var bad int
	res, err := st.Import(ctx, func(im *store.Importer) error {
		for _, f := range got {
			if !f.res.NotModified {
				if err := importSource(ctx, im, f.res.Path, f.url, false, &bad, e); err != nil {
					return err
				}
			}
			if err := im.SetSource(ctx, store.SourceState{URL: f.url, ETag: f.res.Cond.ETag, LastModified: f.res.Cond.LastModified}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	unchanged := 0
	for _, f := range got {
		if f.res.NotModified {
			unchanged++
		}
	}
	fmt.Fprintf(e.stdout, "synced %d sources (%d not modified since last sync)\n", len(got), unchanged)
	printImportResult(e.stdout, path, res, bad)
	return nil
}

// shortURL names a download on the progress bar.
func shortURL(u string) string {
	u = strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
	if len(u) > 48 {
		u = "…" + u[len(u)-47:]
	}
	return u
}

func runStats(ctx context.Context, args []string, e *env) error {
	fs := newFlags("db stats", e)
	dbFlag := dbFlag(fs)
	format := formatFlag(fs, "table", "json")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("db stats: unexpected arguments %q", rest)
	}
	if err := checkFormat(*format, "table", "json"); err != nil {
		return err
	}
	st, err := e.openStore(ctx, *dbFlag)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.Stats(ctx)
	if err != nil {
		return failure(err)
	}
	if *format == "json" {
		out := struct {
			SchemaVersion string         `json:"schema_version"`
			Path          string         `json:"path"`
			Records       int            `json:"records"`
			Withdrawn     int            `json:"withdrawn"`
			Malicious     int            `json:"malicious"`
			Ecosystems    map[string]int `json:"ecosystems"`
			ImportedAt    *time.Time     `json:"imported_at"`
		}{report.SchemaVersion, st.Path(), s.Records, s.Withdrawn, s.Malicious, s.Ecosystems, nil}
		if !s.ImportedAt.IsZero() {
			out.ImportedAt = &s.ImportedAt
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "database\t%s\n", st.Path())
	fmt.Fprintf(tw, "records\t%d\n", s.Records)
	fmt.Fprintf(tw, "withdrawn\t%d\n", s.Withdrawn)
	fmt.Fprintf(tw, "malicious\t%d\n", s.Malicious)
	imported := "never"
	if !s.ImportedAt.IsZero() {
		imported = s.ImportedAt.Format(time.RFC3339)
	}
	fmt.Fprintf(tw, "imported at\t%s\n", imported)
	ecos := make([]string, 0, len(s.Ecosystems))
	for k := range s.Ecosystems {
		ecos = append(ecos, k)
	}
	slices.Sort(ecos)
	for _, k := range ecos {
		fmt.Fprintf(tw, "  %s\t%d\n", k, s.Ecosystems[k])
	}
	return tw.Flush()
}

func runExport(ctx context.Context, args []string, e *env) error {
	fs := newFlags("db export", e)
	dbFlag := dbFlag(fs)
	format := fs.String("format", "", "export format: osv-zip (OUTDIR/osv-scalibr/<Ecosystem>/all.zip, as osv-scanner --local-db-path reads)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *format != "osv-zip" {
		return usageErrorf("db export: --format osv-zip is required (the only format so far)")
	}
	if len(rest) != 1 {
		return usageErrorf("db export: want exactly one OUTDIR")
	}
	st, err := e.openStore(ctx, *dbFlag)
	if err != nil {
		return err
	}
	defer st.Close()
	ecos, err := st.Ecosystems(ctx)
	if err != nil {
		return failure(err)
	}
	for _, eco := range ecos {
		dir := filepath.Join(rest[0], "osv-scalibr", string(eco))
		n, err := exportZip(ctx, st, eco, dir)
		if err != nil {
			return failure(fmt.Errorf("export %s: %w", eco, err))
		}
		fmt.Fprintf(e.stdout, "%s: %d records\n", filepath.Join(dir, "all.zip"), n)
	}
	return nil
}

// exportZip writes dir/all.zip with one <ID>.json entry per record naming
// eco, atomically: a temporary file renamed into place.
func exportZip(ctx context.Context, st *store.Store, eco ecosystem.Ecosystem, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(dir, "all.zip.tmp-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	zw := zip.NewWriter(f)
	n := 0
	err = st.Each(ctx, eco, func(r store.Raw) error {
		w, err := zw.Create(r.ID + ".json") // IDs are validated as file-name safe on import
		if err != nil {
			return err
		}
		n++
		_, err = w.Write(r.JSON)
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return n, os.Rename(f.Name(), filepath.Join(dir, "all.zip"))
}

func runShow(ctx context.Context, args []string, e *env) error {
	fs := newFlags("db show", e)
	dbFlag := dbFlag(fs)
	ids, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return usageErrorf("db show: no ID given (a record ID such as MAL-2024-1234, or an alias such as GHSA-...)")
	}
	st, err := e.openStore(ctx, *dbFlag)
	if err != nil {
		return err
	}
	defer st.Close()
	missing := 0
	for _, id := range ids {
		recs, err := st.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(e.stderr, "sapper: %s: no record with this ID or alias\n", id)
			missing++
			continue
		}
		if err != nil {
			return failure(err)
		}
		for _, r := range recs {
			if err := writeIndented(e.stdout, r.JSON); err != nil {
				return failure(err)
			}
		}
	}
	if missing > 0 {
		return &exitError{code: exitUsage, err: fmt.Errorf("%d of %d IDs not found", missing, len(ids))}
	}
	return nil
}

// writeIndented writes a stored record indented, keeping its field order.
func writeIndented(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
