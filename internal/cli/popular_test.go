package cli

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/analyze/rules"
	"github.com/sapperhq/sapper/internal/fetch"
)

// TestPopularFalsePositives analyses the latest version of the most
// downloaded npm packages (../shared/data/popular/npm-top-downloads.txt)
// and lists every one that is not benign: the false-positive measure of
// docs/detection.md. It fetches from the npm registry into the user cache,
// so it runs only with SAPPER_LIVE_TESTS=1; SAPPER_POPULAR_N sets how many
// (default 1000). It also times reading the archives alone (the floor) and
// the analysis, for docs/benchmarks.md.
func TestPopularFalsePositives(t *testing.T) {
	if os.Getenv("SAPPER_LIVE_TESTS") != "1" {
		t.Skip("set SAPPER_LIVE_TESTS=1 to fetch the top npm packages from the registry")
	}
	n := 1000
	if s := os.Getenv("SAPPER_POPULAR_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	f, err := os.Open("../../../shared/data/popular/npm-top-downloads.txt")
	if err != nil {
		t.Skip("no popular list: ", err)
	}
	defer f.Close()
	var names []string
	for sc := bufio.NewScanner(f); sc.Scan() && len(names) < n; {
		if name := sc.Text(); name != "" {
			names = append(names, name)
		}
	}
	cache, _ := os.UserCacheDir()
	c := fetch.New(filepath.Join(cache, "sapper", "packages"))
	ctx := context.Background()
	var paths []string
	for _, name := range names {
		p, err := c.Fetch(ctx, fetch.Spec{Ecosystem: "npm", Name: name, Version: "latest"})
		if err != nil {
			t.Logf("fetch %s: %v", name, err)
			continue
		}
		paths = append(paths, p)
	}
	rs, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}

	// The floor: decompress and read every archive, with one worker and
	// with as many as the analyzer uses.
	readAll := func(workers int) (time.Duration, int64, []*analyze.Target) {
		start := time.Now()
		targets := make([]*analyze.Target, len(paths))
		var wg sync.WaitGroup
		next := make(chan int)
		for range workers {
			wg.Go(func() {
				for i := range next {
					if tg, err := analyze.Open(ctx, paths[i]); err == nil {
						targets[i] = tg
					}
				}
			})
		}
		for i := range paths {
			next <- i
		}
		close(next)
		wg.Wait()
		elapsed := time.Since(start)
		var n int64
		for _, tg := range targets {
			if tg != nil {
				for _, f := range tg.Files {
					n += int64(len(f.Data))
				}
			}
		}
		return elapsed, n, targets
	}
	workers := runtime.GOMAXPROCS(0)
	read1, bytes, _ := readAll(1)
	readN, _, _ := readAll(workers)

	// The analyzer: open and analyse every package, a package per worker
	// (analyze.Run also spreads one package's files over the workers).
	start := time.Now()
	results := make([]analyze.Result, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if tg, err := analyze.Open(ctx, paths[i]); err == nil {
					results[i] = analyze.Run(ctx, tg, rs)
				}
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	analyzer := time.Since(start)

	var suspicious, malicious []string
	total := 0
	for _, r := range results {
		if r.Verdict == "" {
			continue
		}
		total++
		id := r.Package.Name + "@" + r.Package.Version
		switch r.Verdict {
		case analyze.Malicious:
			malicious = append(malicious, id)
		case analyze.Suspicious:
			suspicious = append(suspicious, id)
		}
		if r.Verdict != analyze.Benign {
			for _, f := range r.Findings {
				if f.Severity >= 2 {
					loc := ""
					if f.Location != nil {
						loc = f.Location.Path + ":" + strconv.Itoa(f.Location.Line)
					}
					t.Logf("  %s %s %s %s %s %.80s", id, r.Verdict, f.Rule, f.Severity, loc, f.Snippet)
				}
			}
		}
	}
	sort.Strings(suspicious)
	sort.Strings(malicious)
	t.Logf("analysed %d packages (%d MB uncompressed)", total, bytes>>20)
	t.Logf("suspicious or worse: %d (%.1f%%): %v", len(suspicious)+len(malicious), 100*float64(len(suspicious)+len(malicious))/float64(total), append(suspicious, malicious...))
	t.Logf("malicious: %d (%.1f%%): %v", len(malicious), 100*float64(len(malicious))/float64(total), malicious)
	t.Logf("floor, read alone: %v on 1 worker (%.0f MB/s), %v on %d workers (%.0f MB/s)",
		read1, float64(bytes)/1e6/read1.Seconds(), readN, workers, float64(bytes)/1e6/readN.Seconds())
	t.Logf("analyzer (open + rules, %d workers): %v, %.0f MB/s, %.0f packages/s; %.2fx the 1-worker floor, %.2fx the %d-worker floor",
		workers, analyzer, float64(bytes)/1e6/analyzer.Seconds(), float64(total)/analyzer.Seconds(),
		analyzer.Seconds()/read1.Seconds(), analyzer.Seconds()/readN.Seconds(), workers)
}
