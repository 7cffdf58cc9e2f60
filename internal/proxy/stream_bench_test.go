package proxy

import (
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkNPMTarballStream measures the memory of streaming a large npm
// tarball through the proxy: an upstream on loopback serves a packument and
// a tarball of deterministic pseudo-random bytes (generated as it is sent,
// so that the upstream holds no copy), with its real sha512 integrity; the
// proxy streams it through Server.ServeHTTP into a writer that discards it,
// hashing it and storing it as it goes, while a goroutine samples the
// process's heap in use every 2 ms. peak-heap-MB is the largest growth over
// the heap in use after a GC before the request, across iterations: memory
// is flat when it does not grow with the tarball's size (compare the 10 MB
// and 100 MB runs). from=upstream removes the stored copy before each
// request, so that every one streams from the upstream; from=cache serves
// the stored copy.
//
//	go test ./internal/proxy -run '^$' -bench BenchmarkNPMTarballStream -benchmem
func BenchmarkNPMTarballStream(b *testing.B) {
	sizes := []int64{10 << 20, 100 << 20}
	type tarball struct {
		name string
		size int64
		sri  string
	}
	tarballs := map[string]*tarball{}
	for _, size := range sizes {
		t := &tarball{name: fmt.Sprintf("big-%dmb", size>>20), size: size}
		h := sha512.New()
		if _, err := io.Copy(h, streamBytes(size)); err != nil {
			b.Fatal(err)
		}
		t.sri = "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil))
		tarballs[t.name] = t
	}
	var upURL string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, t := range tarballs {
			switch r.URL.Path {
			case "/" + t.name:
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"name":%q,"dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":%[1]q,"version":"1.0.0","dist":{"tarball":"%s/%[1]s/-/%[1]s-1.0.0.tgz","integrity":%[3]q}}}}`,
					t.name, upURL, t.sri)
				return
			case "/" + t.name + "/-/" + t.name + "-1.0.0.tgz":
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Header().Set("Content-Length", strconv.FormatInt(t.size, 10))
				io.Copy(w, streamBytes(t.size))
				return
			}
		}
		http.NotFound(w, r)
	}))
	defer up.Close()
	upURL = up.URL
	s, err := New(Config{NPM: up.URL, DB: &fakeDB{}, CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()

	for _, size := range sizes {
		t := tarballs[fmt.Sprintf("big-%dmb", size>>20)]
		d, err := ParseIntegrity(t.sri)
		if err != nil {
			b.Fatal(err)
		}
		stored := s.blobs.path(d)
		path := "/npm/" + t.name + "/-/" + t.name + "-1.0.0.tgz"
		get := func(b *testing.B) {
			w := &countWriter{h: http.Header{}}
			s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://proxy.test"+path, nil))
			if w.code != 0 && w.code != http.StatusOK || w.n != t.size {
				b.Fatalf("GET %s: HTTP %d, %d bytes; want 200, %d bytes", path, w.code, w.n, t.size)
			}
		}
		for _, from := range []string{"upstream", "cache"} {
			b.Run(fmt.Sprintf("size=%dMB/from=%s", size>>20, from), func(b *testing.B) {
				get(b) // the packument is cached and the tarball stored from here on
				b.SetBytes(t.size)
				b.ReportAllocs()
				var peak uint64
				for b.Loop() {
					b.StopTimer()
					if from == "upstream" {
						if err := os.Remove(stored); err != nil {
							b.Fatal(err)
						}
					}
					runtime.GC()
					m := startHeapSampler(2 * time.Millisecond)
					b.StartTimer()
					get(b)
					b.StopTimer()
					peak = max(peak, m.stop())
					b.StartTimer()
				}
				if _, err := os.Stat(stored); err != nil {
					b.Errorf("tarball not stored: %v", err)
				}
				b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
			})
		}
	}
}

// streamBytes returns size pseudo-random bytes, the same for every call.
func streamBytes(size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{'s', 'a', 'p', 'p', 'e', 'r'}), size)
}

// countWriter is a ResponseWriter that counts and discards the body.
type countWriter struct {
	h    http.Header
	code int
	n    int64
}

func (c *countWriter) Header() http.Header { return c.h }
func (c *countWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
}
func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
func (c *countWriter) Flush()                      {}

// heapSampler samples the heap in use (runtime/metrics: heap objects plus
// the free space of in-use spans, MemStats.HeapInuse) until stopped, and
// reports the largest growth over the first sample.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startHeapSampler(every time.Duration) *heapSampler {
	h := &heapSampler{done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	read := func() uint64 {
		metrics.Read(samples)
		return samples[0].Value.Uint64() + samples[1].Value.Uint64()
	}
	base := read()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if v := read(); v > base && v-base > h.peak {
				h.peak = v - base
			}
			select {
			case <-h.done:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// stop ends the sampling and returns the peak growth in bytes.
func (h *heapSampler) stop() uint64 {
	close(h.done)
	h.wg.Wait()
	return h.peak
}
