package registry

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/finding"
)

// seed adds every file of testdata/dir to the corpus.
func seed(f *testing.F, dir string) {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in testdata/%s: %v", dir, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzPackument decodes a packument and computes the signals of each of
// its versions: hostile metadata gives findings or errors, never a panic.
func FuzzPackument(f *testing.F) {
	seed(f, "npm")
	c := &Client{Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := decodePackument("https://registry.example/x", body)
		if err != nil {
			return
		}
		n := 0
		for id := range doc.Versions {
			if n++; n > 50 {
				break
			}
			pkg := finding.Package{Ecosystem: "npm", Name: "x", Version: id}
			if _, err := c.npmFindings(context.Background(), doc, pkg, Options{}); err != nil {
				continue
			}
		}
	})
}

// FuzzPyPI decodes PyPI release and project answers.
func FuzzPyPI(f *testing.F) {
	seed(f, "pypi")
	c := &Client{Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, body []byte) {
		project, err := decodePyPIProject("https://pypi.example/pypi/x/json", body)
		if err != nil {
			project = &pypiProjectDoc{}
		}
		pypiFind(project, "1.0")
		rel, err := decodePyPIRelease("https://pypi.example/pypi/x/1.0/json", body)
		if err != nil {
			return
		}
		pkg := finding.Package{Ecosystem: "PyPI", Name: "x", Version: "1.0"}
		// With a project given, pypiFindings makes no request.
		if _, err := c.pypiFindings(context.Background(), pkg, Options{}, rel, project); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzCrate decodes crates.io answers.
func FuzzCrate(f *testing.F) {
	seed(f, "crates")
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := decodeCrate("https://crates.example/api/v1/crates/x", body)
		if err != nil {
			return
		}
		for i, v := range doc.Versions {
			if i > 50 {
				break
			}
			crateFindings(doc, finding.Package{Ecosystem: "crates.io", Name: "x", Version: v.Num}, Options{}, now)
		}
	})
}

// FuzzTarball reads npm tarballs and compares their package.json.
func FuzzTarball(f *testing.F) {
	f.Add(tgz(f, entry{name: "package/package.json", body: regManifest}))
	f.Add(tgz(f, entry{name: "package/package.json", body: `{"scripts": {"install": 1}, "dependencies": ["a"]}`},
		entry{name: "package/binding.gyp", body: "{}"}))
	reg, err := decodeManifest([]byte(regManifest))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := readTarball(bytes.NewReader(data))
		if err != nil {
			return
		}
		if m, err := decodeManifest(info.Manifest); err == nil {
			compareManifests(reg, m, info.BindingGyp)
		}
	})
}
