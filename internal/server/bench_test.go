package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/server"
	"github.com/sapperhq/sapper/internal/store"
)

// The benchmarks serve a database of synthetic records, mostly npm, shaped
// like the OpenSSF Malicious Packages Repository's. The database is built
// once per size in a child process (so that the benchmark's max RSS is that
// of serving, not of importing) and cached under os.TempDir(); delete
// sapper-server-bench-*.db there to rebuild it.
//
//	go test ./internal/server -run '^$' -bench . -benchtime 5s
//
// runs every size; add e.g. -bench '/records=10000$' for the small one only.
var benchSizes = []int{10_000, 200_000}

// benchFormat names the shape of the generated records; change it when
// synthRecord changes so that stale cached databases are not reused.
const benchFormat = "v1"

// envGenerate makes the test binary build a benchmark database instead of
// running tests: "N:PATH".
const envGenerate = "SAPPER_SERVER_BENCH_GENERATE"

func TestMain(m *testing.M) {
	if spec := os.Getenv(envGenerate); spec != "" {
		n, path, _ := strings.Cut(spec, ":")
		count, err := strconv.Atoi(n)
		if err == nil {
			err = generateBenchDB(context.Background(), path, count)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "generate benchmark database:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// synthRecord returns synthetic record i: 80% npm (one in ten scoped), 15%
// PyPI, 5% Go; one in three affects every version (introduced "0"), the
// others versions 1.0.0 and 1.0.1.
func synthRecord(i int) (id, eco, name string, raw []byte) {
	id = fmt.Sprintf("MAL-2025-%06d", i)
	switch m := i % 20; {
	case m < 16:
		eco, name = "npm", fmt.Sprintf("npm-pkg-%07d", i)
		if i%10 == 0 {
			name = fmt.Sprintf("@scope-%d/pkg-%07d", i/100, i)
		}
	case m < 19:
		eco, name = "PyPI", fmt.Sprintf("py-pkg-%07d", i)
	default:
		eco, name = "Go", fmt.Sprintf("github.com/mal-%07d/mod", i)
	}
	affected := `"versions":["1.0.0","1.0.1"]`
	if i%3 == 0 {
		affected = `"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]`
	}
	raw = fmt.Appendf(nil, `{"schema_version":"1.5.0","id":%q,"modified":"2025-01-02T03:04:05Z","published":"2025-01-01T00:00:00Z",`+
		`"summary":"Malicious code in %s (%s)",`+
		`"details":"\n---\n_-= Per source details. Do not edit below this line.=-_\n\n## Source: ossf-package-analysis\nThe package %s runs an install script that downloads and executes a remote payload.\n",`+
		`"affected":[{"package":{"ecosystem":%q,"name":%q},%s,"database_specific":{"source":"https://github.com/ossf/malicious-packages/blob/main/osv/malicious/%s/%s/%s.json"}}],`+
		`"database_specific":{"malicious-packages-origins":[{"source":"ossf-package-analysis","sha256":"%064x","import_time":"2025-01-02T03:04:05Z"}]}}`,
		id, name, eco, name, eco, name, affected, strings.ToLower(eco), name, id, i)
	return id, eco, name, raw
}

// generateBenchDB writes a database of n synthetic records to path.
func generateBenchDB(ctx context.Context, path string, n int) error {
	tmp := path + ".tmp"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	st, err := store.Open(ctx, tmp, store.Options{Create: true})
	if err != nil {
		return err
	}
	_, err = st.Import(ctx, func(im *store.Importer) error {
		for i := range n {
			_, _, _, raw := synthRecord(i)
			v, err := osv.Decode(raw)
			if err != nil {
				return fmt.Errorf("record %d: %w", i, err)
			}
			if err := im.Put(ctx, store.Record{Vuln: v, Raw: raw, Origin: "synthetic"}); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if fi, err := os.Stat(tmp + "-wal"); err == nil && fi.Size() > 0 {
		return fmt.Errorf("%s-wal left behind after close", tmp)
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	return os.Rename(tmp, path)
}

// benchDB is an open, loaded benchmark database, shared by the benchmarks
// of one run so that one process loads each size once.
type benchDB struct {
	st     *store.Store
	n      int
	load   time.Duration
	rssMB  float64 // max RSS of the process right after loading
	heapMB float64 // live heap right after loading
}

var benchDBs struct {
	sync.Mutex
	m map[int]*benchDB
}

// openBenchDB returns the loaded database of n synthetic records, building
// it first if it is not cached.
func openBenchDB(b *testing.B, n int) *benchDB {
	benchDBs.Lock()
	defer benchDBs.Unlock()
	if db := benchDBs.m[n]; db != nil {
		return db
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("sapper-server-bench-%d-%s.db", n, benchFormat))
	if _, err := os.Stat(path); err != nil {
		start := time.Now()
		cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d:%s", envGenerate, n, path))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("generate %s: %v\n%s", path, err, out)
		}
		b.Logf("generated %d records in %s (%s)", n, path, time.Since(start).Round(time.Millisecond))
	}
	// Background, not b.Context(): the store outlives this benchmark.
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := st.Load(ctx); err != nil {
		b.Fatal(err)
	}
	db := &benchDB{st: st, n: n, load: time.Since(start)}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	db.heapMB = float64(ms.HeapAlloc) / (1 << 20)
	db.rssMB = maxRSSMB()
	b.Logf("loaded %d records in %s: heap %.0f MB, max RSS %.0f MB", n, db.load.Round(time.Millisecond), db.heapMB, db.rssMB)
	if benchDBs.m == nil {
		benchDBs.m = map[int]*benchDB{}
	}
	benchDBs.m[n] = db
	return db
}

// maxRSSMB returns the process's maximum resident set size in MiB.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return float64(ru.Maxrss) / 1024 // KiB on Linux
}

// report adds the memory metrics of db to b.
func (db *benchDB) report(b *testing.B) {
	b.ReportMetric(db.rssMB, "maxRSS-MB")
	b.ReportMetric(db.heapMB, "heap-MB")
}

// benchQuery returns query k of a deterministic mix over n records: 10%
// name and version affected, 40% a known name at an unaffected version, 50%
// an unknown name.
func benchQuery(rng *rand.Rand, n, k int) string {
	i := rng.IntN(n)
	switch k % 10 {
	case 0:
		_, eco, name, _ := synthRecord(i)
		return fmt.Sprintf(`{"package":{"ecosystem":%q,"name":%q},"version":"1.0.0"}`, eco, name)
	case 1, 2, 3, 4:
		if i%3 == 0 { // affects every version; take the next one
			i = (i + 1) % n
		}
		_, eco, name, _ := synthRecord(i)
		return fmt.Sprintf(`{"package":{"ecosystem":%q,"name":%q},"version":"9.9.9"}`, eco, name)
	}
	return fmt.Sprintf(`{"package":{"ecosystem":"npm","name":"npm-unknown-%07d"},"version":"1.0.0"}`, i)
}

func benchServer(b *testing.B, db *benchDB, clients int) (*httptest.Server, *http.Client) {
	srv := server.New(db.st, server.Options{
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
		RefreshInterval: -1,
	})
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	return ts, &http.Client{Transport: tr, Timeout: limits.RequestTimeout}
}

// BenchmarkQueryBatch measures lookups per second through /v1/querybatch
// with batches of limits.MaxBatchQueries queries.
func BenchmarkQueryBatch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			db := openBenchDB(b, n)
			ts, client := benchServer(b, db, 1)
			rng := rand.New(rand.NewPCG(1, 2))
			bodies := make([][]byte, 8)
			for i := range bodies {
				qs := make([]string, limits.MaxBatchQueries)
				for k := range qs {
					qs[k] = benchQuery(rng, n, k)
				}
				bodies[i] = []byte(`{"queries":[` + strings.Join(qs, ",") + `]}`)
			}
			// Check one answer before timing.
			var res struct {
				Results []struct {
					Vulns []struct{ ID string }
				}
			}
			if err := json.Unmarshal(postBench(b, client, ts.URL+"/v1/querybatch", bodies[0]), &res); err != nil {
				b.Fatal(err)
			}
			hits := 0
			for _, r := range res.Results {
				if len(r.Vulns) > 0 {
					hits++
				}
			}
			if len(res.Results) != limits.MaxBatchQueries || hits < limits.MaxBatchQueries/10 {
				b.Fatalf("%d results, %d with records; want %d, at least %d", len(res.Results), hits, limits.MaxBatchQueries, limits.MaxBatchQueries/10)
			}

			i := 0
			for b.Loop() {
				postBench(b, client, ts.URL+"/v1/querybatch", bodies[i%len(bodies)])
				i++
			}
			b.ReportMetric(float64(i*limits.MaxBatchQueries)/b.Elapsed().Seconds(), "lookups/s")
			db.report(b)
		})
	}
}

// benchClients is the number of concurrent clients of BenchmarkQueryConcurrent.
const benchClients = 64

// BenchmarkQueryConcurrent measures the latency of /v1/query under
// benchClients concurrent clients, each sending its next request as soon as
// the last one is answered.
func BenchmarkQueryConcurrent(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			db := openBenchDB(b, n)
			ts, client := benchServer(b, db, benchClients)
			rng := rand.New(rand.NewPCG(3, 4))
			bodies := make([][]byte, 4096)
			for k := range bodies {
				bodies[k] = []byte(benchQuery(rng, n, k))
			}
			for _, body := range bodies[:benchClients] { // open the connections
				postBench(b, client, ts.URL+"/v1/query", body)
			}

			lat := make([]time.Duration, b.N)
			var next atomic.Int64
			var firstErr atomic.Pointer[error]
			var wg sync.WaitGroup
			b.ResetTimer()
			for range benchClients {
				wg.Go(func() {
					for {
						k := int(next.Add(1) - 1)
						if k >= b.N {
							return
						}
						start := time.Now()
						if err := tryPost(client, ts.URL+"/v1/query", bodies[k%len(bodies)]); err != nil {
							firstErr.CompareAndSwap(nil, &err)
							return
						}
						lat[k] = time.Since(start)
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if err := firstErr.Load(); err != nil {
				b.Fatal(*err)
			}
			slices.Sort(lat)
			b.ReportMetric(percentileMS(lat, 50), "p50-ms")
			b.ReportMetric(percentileMS(lat, 99), "p99-ms")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			db.report(b)
		})
	}
}

// percentileMS returns the p-th percentile of sorted durations, in ms.
func percentileMS(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)*p/100, len(sorted)-1)
	return float64(sorted[i]) / float64(time.Millisecond)
}

// postBench posts body and returns the response body, failing b on error.
func postBench(b *testing.B, client *http.Client, url string, body []byte) []byte {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d: %.200s", resp.StatusCode, out)
	}
	return out
}

// tryPost posts body and discards a 200 response.
func tryPost(client *http.Client, url string, body []byte) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}
