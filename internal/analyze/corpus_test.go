package analyze_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/analyze/rules"
)

// corpusResult analyses one txtar sample of testdata/corpus, written out as
// a package directory.
func corpusResult(t *testing.T, file string) analyze.Result {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := analyze.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	rs, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	return analyze.Run(context.Background(), tg, rs)
}

// TestCorpus measures recall on inert samples modelled on real incidents
// (testdata/corpus/malicious, target >= 95% malicious) and checks that the
// benign samples, which use the same capabilities harmlessly, are not
// called malicious. The figures go to docs/detection.md.
func TestCorpus(t *testing.T) {
	mal, _ := filepath.Glob("testdata/corpus/malicious/*.txtar")
	ben, _ := filepath.Glob("testdata/corpus/benign/*.txtar")
	if len(mal) == 0 || len(ben) == 0 {
		t.Fatal("no corpus")
	}
	caught := 0
	for _, f := range mal {
		r := corpusResult(t, f)
		name := strings.TrimSuffix(filepath.Base(f), ".txtar")
		if r.Verdict == analyze.Malicious {
			caught++
		} else {
			t.Errorf("missed %s: verdict %s, score %.1f, %d findings", name, r.Verdict, r.Score, len(r.Findings))
		}
	}
	recall := float64(caught) / float64(len(mal))
	t.Logf("recall: %d of %d malicious samples (%.0f%%)", caught, len(mal), 100*recall)
	suspicious := 0
	for _, f := range ben {
		r := corpusResult(t, f)
		name := strings.TrimSuffix(filepath.Base(f), ".txtar")
		switch r.Verdict {
		case analyze.Malicious:
			t.Errorf("false positive %s: malicious, score %.1f: %v", name, r.Score, r.Findings)
		case analyze.Suspicious:
			suspicious++
			t.Logf("benign %s is suspicious (score %.1f)", name, r.Score)
		}
	}
	t.Logf("benign: %d of %d suspicious, 0 malicious allowed", suspicious, len(ben))
	if recall < 0.95 {
		t.Errorf("recall %.0f%% is under the 95%% target", 100*recall)
	}
}
