package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
