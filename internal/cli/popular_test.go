package cli

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
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

	// The floor: decompress and read every archive.
	start := time.Now()
	var bytes int64
	targets := make([]*analyze.Target, 0, len(paths))
	for _, p := range paths {
		tg, err := analyze.Open(ctx, p)
		if err != nil {
			t.Logf("open %s: %v", p, err)
			continue
		}
		for _, f := range tg.Files {
			bytes += int64(len(f.Data))
		}
		targets = append(targets, tg)
	}
	read := time.Since(start)

	start = time.Now()
	var suspicious, malicious []string
	for _, tg := range targets {
		r := analyze.Run(ctx, tg, rs)
		id := tg.Package.Name + "@" + tg.Package.Version
		switch r.Verdict {
		case analyze.Malicious:
			malicious = append(malicious, id)
		case analyze.Suspicious:
			suspicious = append(suspicious, id)
		}
		if r.Verdict != analyze.Benign {
			for _, f := range r.Findings {
				if f.Severity >= 3 {
					loc := ""
					if f.Location != nil {
						loc = f.Location.Path + ":" + strconv.Itoa(f.Location.Line)
					}
					t.Logf("  %s %s %s %s %s %.80s", id, r.Verdict, f.Rule, f.Severity, loc, f.Snippet)
				}
			}
		}
	}
	analysis := time.Since(start)
	sort.Strings(suspicious)
	sort.Strings(malicious)
	total := len(targets)
	t.Logf("analysed %d packages (%d MB uncompressed)", total, bytes>>20)
	t.Logf("suspicious or worse: %d (%.1f%%): %v", len(suspicious)+len(malicious), 100*float64(len(suspicious)+len(malicious))/float64(total), append(suspicious, malicious...))
	t.Logf("malicious: %d (%.1f%%): %v", len(malicious), 100*float64(len(malicious))/float64(total), malicious)
	t.Logf("read alone (floor): %v, %.0f MB/s; analysis (rules only): %v, %.0f MB/s, %.0f packages/s; read+analysis / read = %.2fx",
		read, float64(bytes)/1e6/read.Seconds(), analysis, float64(bytes)/1e6/analysis.Seconds(), float64(total)/(read+analysis).Seconds(), (read+analysis).Seconds()/read.Seconds())
}
