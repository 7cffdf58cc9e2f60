package names

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The measurements of docs/names.md. Run them with
//
//	go test ./internal/names -run 'TestPopularFalsePositives|TestOSVSampleRecall' -v
//
// and SAPPER_NAMES_SHOW=1 to list every flagged name.

// maxListedShare is the most of a list's own names that may be flagged
// against the rest of it (the target for npm and PyPI).
const maxListedShare = 0.003

// maxUnlistedShare guards the leave-one-out figures against regressions:
// they are measured, not targets (docs/names.md).
var maxUnlistedShare = map[string]float64{"npm": 0.015, "PyPI": 0.02, "Go": 0.015, "RubyGems": 0.035}

// TestPopularFalsePositives checks every popular name against the rest of
// its list, twice: as listed (the popularity gate applies: only a far more
// popular target counts), and as if it were not listed, against the names
// ranked above it (leave-one-out: how a legitimate name just below the
// list's cut-off fares).
func TestPopularFalsePositives(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	bare := *c
	bare.allow = map[pairKey]bool{}
	show := os.Getenv("SAPPER_NAMES_SHOW") != ""
	for _, eco := range slices.Sorted(maps.Keys(c.lists)) {
		ix := c.lists[eco]
		var listed, listedBare, unlisted int
		by := map[string]int{}
		for _, name := range ix.names {
			if m, ok := c.Check(eco, name); ok {
				listed++
				if show {
					t.Logf("%s listed: %s -> %s (%s, rank %d)", eco, name, m.Target, m.Transformation, m.TargetRank)
				}
			}
			if _, ok := bare.Check(eco, name); ok {
				listedBare++
			}
			if m, ok := c.check(eco, name, true); ok {
				unlisted++
				by[m.Transformation]++
				if show {
					t.Logf("%s unlisted: %s -> %s (%s, rank %d)", eco, name, m.Target, m.Transformation, m.TargetRank)
				}
			}
		}
		n := float64(len(ix.names))
		t.Logf("%-8s %6d names: flagged as listed %d (%.2f%%; %d, %.2f%%, without the allowlist); as unlisted %d (%.2f%%) %s",
			eco, len(ix.names), listed, 100*float64(listed)/n, listedBare, 100*float64(listedBare)/n,
			unlisted, 100*float64(unlisted)/n, breakdown(by))
		if (eco == "npm" || eco == "PyPI") && float64(listed)/n > maxListedShare {
			t.Errorf("%s: %.2f%% of popular names flagged, want at most %.1f%%", eco, 100*float64(listed)/n, 100*maxListedShare)
		}
		if limit, ok := maxUnlistedShare[eco]; ok && float64(unlisted)/n > limit {
			t.Errorf("%s: %.2f%% of popular names flagged when unlisted, was at most %.1f%%", eco, 100*float64(unlisted)/n, 100*limit)
		}
	}
}

func breakdown(by map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(by)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, by[k]))
	}
	return strings.Join(parts, ", ")
}

// osvSample is the directory of OSV records the recall test reads.
func osvSample(t *testing.T) string {
	dir := os.Getenv("SAPPER_OSV_SAMPLE")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data", "osv-sample")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no OSV sample at %s (set SAPPER_OSV_SAMPLE to a directory of OSV MAL- records): %v", dir, err)
	}
	return dir
}

type sampleRecord struct {
	path, id, eco, name string
	withdrawn           bool
}

func readSample(t *testing.T, dir string) []sampleRecord {
	var recs []sampleRecord
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v struct {
			ID        string `json:"id"`
			Withdrawn string `json:"withdrawn"`
			Affected  []struct {
				Package struct{ Ecosystem, Name string } `json:"package"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		wd := v.Withdrawn != "" || strings.Contains(filepath.ToSlash(path), "/withdrawn/")
		for _, a := range v.Affected {
			recs = append(recs, sampleRecord{path, v.ID, a.Package.Ecosystem, a.Package.Name, wd})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// osa1 reports whether a and b are one insertion, deletion, substitution
// or swap of adjacent characters apart: plain edit distance, independent of
// the transformations Check knows, to label the sample.
func osa1(a, b string) bool {
	if a == b || len(a)-len(b) > 1 || len(b)-len(a) > 1 {
		return false
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	if len(a) > len(b) {
		return a[i+1:] == b[i:]
	}
	return a[i+1:] == b[i+1:] || (i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:])
}

// TestOSVSampleRecall measures recall on the real typosquats among the
// sample's MAL records: names not in their ecosystem's list but one edit
// from a name in it. It also lists the other records flagged, and the
// withdrawn ones (which are not malicious).
func TestOSVSampleRecall(t *testing.T) {
	dir := osvSample(t)
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var labelled, found, checked, flaggedAll, withdrawn int
	for _, r := range readSample(t, dir) {
		ix := c.lists[r.eco]
		if ix == nil {
			continue
		}
		m, flagged := c.Check(r.eco, r.name)
		f, _ := fold(r.eco, r.name)
		if r.withdrawn {
			withdrawn++
			if flagged {
				t.Logf("withdrawn %s %s:%s flagged: %s (%s)", r.id, r.eco, r.name, m.Target, m.Transformation)
			}
			continue
		}
		checked++
		if flagged {
			flaggedAll++
		}
		if _, listed := ix.exact[f]; listed {
			t.Logf("%s %s:%s is itself a popular name (a compromised package, not a typosquat)", r.id, r.eco, r.name)
			continue
		}
		var near []string
		for _, g := range ix.folded {
			if osa1(f, g) {
				near = append(near, g)
			}
		}
		if len(near) == 0 {
			if flagged {
				t.Logf("%s %s:%s flagged beyond the labels: %s (%s)", r.id, r.eco, r.name, m.Target, m.Transformation)
			}
			continue
		}
		labelled++
		if flagged {
			found++
			t.Logf("found  %s %s:%s -> %s (%s, rank %d)", r.id, r.eco, r.name, m.Target, m.Transformation, m.TargetRank)
		} else {
			t.Logf("MISSED %s %s:%s, one edit from %v", r.id, r.eco, r.name, near)
		}
	}
	if labelled == 0 {
		t.Skip("no typosquats of listed names in the sample")
	}
	recall := float64(found) / float64(labelled)
	t.Logf("%d MAL records of ecosystems with a list: %d flagged; %d withdrawn records", checked, flaggedAll, withdrawn)
	t.Logf("recall: %d of %d (%.0f%%)", found, labelled, 100*recall)
	if recall < 0.9 {
		t.Errorf("recall %.0f%%, want at least 90%%", 100*recall)
	}
}
