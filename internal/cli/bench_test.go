package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/feed/feedtest"
)

// benchTree returns a directory of n synthetic records in the OpenSSF
// layout, generated once and kept under the temporary directory, since
// writing 200,000 files takes longer than importing them.
func benchTree(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "sapper-bench", fmt.Sprintf("tree-%d", n))
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	if err := feedtest.Generate(dir, n, 1); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchDB returns a database holding benchTree(n), built once.
func benchDB(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), "sapper-bench", fmt.Sprintf("db-%d.db", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tree := benchTree(b, n)
	if code := main(context.Background(), []string{"db", "import", "--db", path + ".tmp", tree}, quietEnv(nil)); code != 0 {
		b.Fatalf("import exit %d", code)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

func quietEnv(stdin io.Reader) *env {
	return &env{stdin: stdin, stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
}

func treeBytes(b *testing.B, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkImport imports a fresh database from a tree of synthetic records:
// the whole "sapper db import" command, reading, decoding, writing, commit.
// Targets: 33,000 records (64 MB) <= 10 s; 200,000 <= 60 s.
func BenchmarkImport(b *testing.B) {
	for _, n := range []int{33_000, 200_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			tree := benchTree(b, n)
			b.SetBytes(treeBytes(b, tree))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				db := filepath.Join(b.TempDir(), fmt.Sprintf("%d.db", i))
				if code := main(context.Background(), []string{"db", "import", "--db", db, tree}, quietEnv(nil)); code != 0 {
					b.Fatalf("import exit %d", code)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkCheck runs "sapper check -" with 25,000 package versions against
// a database of 200,000 records, opening the database included. A fifth of
// the packages are names in the database (at random versions), the rest are
// not. Target: <= 0.5 s.
func BenchmarkCheck(b *testing.B) {
	const records, packages = 200_000, 25_000
	db := benchDB(b, records)

	// Names that are in the database, to make lookups hit.
	var known []string
	for f := range feedtest.Files(records, 1) {
		if f.Ecosystem == ecosystem.NPM && !f.Withdrawn && len(known) < packages/5 {
			known = append(known, f.Name)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var in strings.Builder
	for i := range packages {
		name := fmt.Sprintf("clean-package-%d", i)
		if i%5 == 0 {
			name = known[(i/5)%len(known)]
		}
		fmt.Fprintf(&in, "npm:%s@%d.%d.%d\n", name, rng.IntN(5), rng.IntN(20), rng.IntN(20))
	}
	input := in.String()
	b.ResetTimer()
	for b.Loop() {
		code := main(context.Background(), []string{"check", "--db", db, "--format", "json", "-"}, quietEnv(strings.NewReader(input)))
		if code != exitFindings {
			b.Fatalf("check exit %d, want %d (findings)", code, exitFindings)
		}
	}
	b.ReportMetric(float64(packages)*float64(b.N)/b.Elapsed().Seconds(), "packages/s")
}

// benchProject writes a project with a package-lock.json (v3) of npm
// packages and, if reqs > 0, a requirements.txt of that many pinned PyPI
// packages, into a directory kept under the temporary directory. A fifth of
// the npm packages are names in the benchmark database.
func benchProject(b *testing.B, records, npm, reqs int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "sapper-bench", fmt.Sprintf("project-%d-%d-%d", records, npm, reqs))
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil {
		return dir
	}
	var known, knownPy []string
	for f := range feedtest.Files(records, 1) {
		switch {
		case f.Withdrawn:
		case f.Ecosystem == ecosystem.NPM && len(known) < npm/5+1:
			known = append(known, f.Name)
		case f.Ecosystem == ecosystem.PyPI && len(knownPy) < reqs/5+1:
			knownPy = append(knownPy, f.Name)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var lock strings.Builder
	lock.WriteString(`{"name":"bench","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"bench","version":"1.0.0"}`)
	for i := range npm {
		name := fmt.Sprintf("clean-package-%d", i)
		if i%5 == 0 {
			name = known[(i/5)%len(known)]
		}
		fmt.Fprintf(&lock, ",\n    \"node_modules/dep%d/node_modules/%s\": {\"version\": \"%d.%d.%d\", \"resolved\": \"https://registry.npmjs.org/%s/-/x.tgz\", \"integrity\": \"sha512-AAAA\"}",
			i, name, rng.IntN(5), rng.IntN(20), rng.IntN(20), name)
	}
	lock.WriteString("\n}}\n")
	var req strings.Builder
	for i := range reqs {
		name := fmt.Sprintf("clean-py-%d", i)
		if i%5 == 0 {
			name = knownPy[(i/5)%len(knownPy)]
		}
		fmt.Fprintf(&req, "%s==%d.%d.%d\n", name, rng.IntN(5), rng.IntN(20), rng.IntN(20))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	if reqs > 0 {
		if err := os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte(req.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(lock.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkScan runs "sapper scan" end to end (walk, parse, open the
// database, match, policy, JSON report) against 200,000 records. Targets:
// a 25,000-package package-lock.json in <= 0.5 s.
func BenchmarkScan(b *testing.B) {
	const records = 200_000
	db := benchDB(b, records)
	for _, c := range []struct{ npm, reqs int }{{3000, 500}, {25_000, 0}} {
		b.Run(fmt.Sprintf("npm=%d,pypi=%d", c.npm, c.reqs), func(b *testing.B) {
			dir := benchProject(b, records, c.npm, c.reqs)
			b.ResetTimer()
			for b.Loop() {
				code := main(context.Background(), []string{"scan", "--db", db, "--format", "json", dir}, quietEnv(nil))
				if code != exitFindings {
					b.Fatalf("scan exit %d, want %d (findings)", code, exitFindings)
				}
			}
		})
	}
}

// BenchmarkScanVersusOSVScanner scans the 3,000 + 500 package project with
// sapper and, in the same run, with osv-scanner offline over sapper's own
// export of the same database, and reports both times. It needs osv-scanner
// on PATH (go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.1).
func BenchmarkScanVersusOSVScanner(b *testing.B) {
	scanner, err := exec.LookPath("osv-scanner")
	if err != nil {
		b.Skip("osv-scanner not on PATH: go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.1")
	}
	const records = 200_000
	db := benchDB(b, records)
	dir := benchProject(b, records, 3000, 500)
	export := filepath.Join(os.TempDir(), "sapper-bench", fmt.Sprintf("export-%d", records))
	if _, err := os.Stat(filepath.Join(export, "osv-scalibr", "npm", "all.zip")); err != nil {
		if code := main(context.Background(), []string{"db", "export", "--db", db, "--format", "osv-zip", export}, quietEnv(nil)); code != 0 {
			b.Fatalf("export exit %d", code)
		}
	}
	var sapperTime, osvTime time.Duration
	for b.Loop() {
		start := time.Now()
		if code := main(context.Background(), []string{"scan", "--db", db, "--format", "json", dir}, quietEnv(nil)); code != exitFindings {
			b.Fatalf("sapper scan exit %d", code)
		}
		sapperTime += time.Since(start)

		start = time.Now()
		cmd := exec.Command(scanner, "scan", "source", "--offline-vulnerabilities", "--local-db-path", export, "--format", "json",
			"-L", filepath.Join(dir, "package-lock.json"), "-L", filepath.Join(dir, "requirements.txt"))
		out, _ := cmd.Output() // exits 1 when it finds something
		osvTime += time.Since(start)
		if !bytes.Contains(out, []byte(`"MAL-`)) {
			b.Fatalf("osv-scanner found nothing; its output:\n%.2000s", out)
		}
	}
	b.ReportMetric(sapperTime.Seconds()/float64(b.N), "sapper-s/op")
	b.ReportMetric(osvTime.Seconds()/float64(b.N), "osv-scanner-s/op")
	b.ReportMetric(osvTime.Seconds()/sapperTime.Seconds(), "speedup")
}
