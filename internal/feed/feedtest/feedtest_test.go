package feedtest

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/osv"
)

func TestFiles(t *testing.T) {
	const n = 3000
	counts := map[ecosystem.Ecosystem]int{}
	ids := map[string]bool{}
	var size, withdrawn int
	for f := range Files(n, 1) {
		v, err := osv.Decode(f.Data)
		if err != nil {
			t.Fatalf("%s: %v\n%s", f.Path, err, f.Data)
		}
		if ids[v.ID] {
			t.Errorf("%s: duplicate ID %s", f.Path, v.ID)
		}
		ids[v.ID] = true
		if v.ID != f.ID || !v.IsMalicious() || v.IsWithdrawn() != f.Withdrawn {
			t.Errorf("%s: record %s (withdrawn %v), want %s (withdrawn %v)", f.Path, v.ID, v.IsWithdrawn(), f.ID, f.Withdrawn)
		}
		a := v.Affected[0].Package
		if a.Ecosystem != string(f.Ecosystem) || a.Name != f.Name {
			t.Errorf("%s: package %s/%s, want %s/%s", f.Path, a.Ecosystem, a.Name, f.Ecosystem, f.Name)
		}
		top := "osv/malicious/"
		if f.Withdrawn {
			top = "osv/withdrawn/"
			withdrawn++
		}
		if !strings.HasPrefix(f.Path, top+ecoDir(f.Ecosystem)+"/") || !strings.HasSuffix(f.Path, "/"+f.ID+".json") {
			t.Errorf("path %s does not fit the layout for %s", f.Path, f.ID)
		}
		counts[f.Ecosystem]++
		size += len(f.Data)
	}
	// The real distribution, roughly.
	if !(counts[ecosystem.NPM] > counts[ecosystem.PyPI] && counts[ecosystem.PyPI] > counts[ecosystem.RubyGems] &&
		counts[ecosystem.NPM] > n*7/10 && counts[ecosystem.Maven] > 0 && counts[ecosystem.Go] > 0 && counts[ecosystem.CratesIO] > 0) {
		t.Errorf("ecosystems %v, want mostly npm, then PyPI, then the others", counts)
	}
	if avg := size / n; avg < 1500 || avg > 2600 {
		t.Errorf("average record size %d bytes, want about 2 KB", avg)
	}
	if withdrawn < n/100 || withdrawn > n/10 {
		t.Errorf("%d withdrawn of %d, want a few percent", withdrawn, n)
	}
}

func TestDeterministic(t *testing.T) {
	collect := func(seed int64) []string {
		var out []string
		for f := range Files(50, seed) {
			out = append(out, f.Path+"\n"+string(f.Data))
		}
		return out
	}
	if diff := cmp.Diff(collect(1), collect(1)); diff != "" {
		t.Errorf("same seed, different records (-first +second):\n%s", diff)
	}
	if cmp.Equal(collect(1), collect(2)) {
		t.Error("different seeds, same records")
	}
	if !bytes.Equal(Record(3, ecosystem.Go, 1), Record(3, ecosystem.Go, 1)) {
		t.Error("Record is not deterministic")
	}
}

func TestRecord(t *testing.T) {
	for _, eco := range []ecosystem.Ecosystem{ecosystem.NPM, ecosystem.PyPI, ecosystem.RubyGems, ecosystem.NuGet, ecosystem.Go, ecosystem.CratesIO, ecosystem.Maven} {
		v, err := osv.Decode(Record(7, eco, 1))
		if err != nil {
			t.Fatalf("Record(7, %s): %v", eco, err)
		}
		if got := v.Affected[0].Package.Ecosystem; got != string(eco) || v.IsWithdrawn() {
			t.Errorf("Record(7, %s): ecosystem %s, withdrawn %v", eco, got, v.IsWithdrawn())
		}
	}
}

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, 40, 1); err != nil {
		t.Fatal(err)
	}
	for f := range Files(40, 1) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, f.Data) {
			t.Errorf("%s differs from Files", f.Path)
		}
	}

	zipPath := filepath.Join(dir, "all.zip")
	if err := GenerateZip(zipPath, 40, 1); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var got, want []string
	for _, f := range zr.File {
		got = append(got, f.Name)
	}
	for f := range Files(40, 1) {
		want = append(want, f.ID+".json")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("zip entries (-want +got):\n%s", diff)
	}
}
