package feed

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/sapperhq/sapper/internal/feed/feedtest"
	"github.com/sapperhq/sapper/internal/osv"
)

// Benchmark sizes: the real repository has about 33,000 records in its
// osv/malicious tree today; osv.dev's MAL records of all ecosystems are
// heading for 200,000. Set SAPPER_BENCH_RECORDS to benchmark another size,
// for example 200000 (about 400 MB of JSON in the temporary directory).
func benchRecords(b *testing.B) int {
	if s := os.Getenv("SAPPER_BENCH_RECORDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("SAPPER_BENCH_RECORDS=%q: want a positive number", s)
		}
		return n
	}
	return 33_000
}

// generated caches generated trees and zips across benchmarks of one run.
var generated struct {
	sync.Mutex
	dir string
	m   map[string]string
}

// generatedSource returns a tree ("dir") or zip ("zip") of n records,
// generating it on first use.
func generatedSource(b *testing.B, kind string, n int) string {
	b.Helper()
	generated.Lock()
	defer generated.Unlock()
	key := kind + strconv.Itoa(n)
	if p, ok := generated.m[key]; ok {
		return p
	}
	if generated.dir == "" {
		d, err := os.MkdirTemp("", "feed-bench-")
		if err != nil {
			b.Fatal(err)
		}
		generated.dir = d
		generated.m = map[string]string{}
	}
	p := filepath.Join(generated.dir, key)
	var err error
	if kind == "zip" {
		p += ".zip"
		err = feedtest.GenerateZip(p, n, 1)
	} else {
		err = feedtest.Generate(p, n, 1)
	}
	if err != nil {
		b.Fatal(err)
	}
	generated.m[key] = p
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if generated.dir != "" {
		os.RemoveAll(generated.dir)
	}
	os.Exit(code)
}

// benchRead reads src b.N times and reports records and bytes per second.
func benchRead(b *testing.B, src string) {
	b.Helper()
	var records, size int64
	b.ResetTimer()
	for b.Loop() {
		records, size = 0, 0
		err := Read(b.Context(), src, func(it Item) error {
			if it.Err != nil {
				b.Fatalf("%s: %v", it.Origin, it.Err)
			}
			records++
			size += int64(len(it.Raw))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(size)
	b.ReportMetric(float64(records), "records/op")
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkReadSample(b *testing.B) {
	if _, err := os.Stat(sampleDir); err != nil {
		b.Skipf("no sample at %s (it is in the shared data beside the repository): %v", sampleDir, err)
	}
	benchRead(b, sampleDir)
}

func BenchmarkReadDir(b *testing.B) {
	benchRead(b, generatedSource(b, "dir", benchRecords(b)))
}

func BenchmarkReadZip(b *testing.B) {
	benchRead(b, generatedSource(b, "zip", benchRecords(b)))
}

// BenchmarkDecode measures osv.Decode alone on one core, the bulk of the
// work of Read.
func BenchmarkDecode(b *testing.B) {
	var recs [][]byte
	var size int64
	for f := range feedtest.Files(1000, 1) {
		recs = append(recs, f.Data)
		size += int64(len(f.Data))
	}
	b.SetBytes(size / int64(len(recs)))
	i := 0
	for b.Loop() {
		if _, err := osv.Decode(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkWalk measures listing and reading a tree on one goroutine,
// without decoding.
func BenchmarkWalk(b *testing.B) {
	src := generatedSource(b, "dir", benchRecords(b))
	ctx := context.Background()
	for b.Loop() {
		root, err := os.OpenRoot(src)
		if err != nil {
			b.Fatal(err)
		}
		ents, err := list(root)
		if err != nil {
			b.Fatal(err)
		}
		w := &walker{src: src, b: defaultBounds, ahead: 8}
		n := 0
		err = w.walk(ctx, func(j *job) error {
			if j.load != nil {
				if _, _, err := j.load(); err != nil {
					return err
				}
			}
			n++
			return nil
		}, newDir(root), ents, "", 0)
		if err != nil {
			b.Fatal(err)
		}
		if n != benchRecords(b) {
			b.Fatalf("walked %d files, want %d", n, benchRecords(b))
		}
	}
}
