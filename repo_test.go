// Repository checks that run under "go test ./...": formatting, vet, a tidy
// go.mod, one doc comment per package, and the import arrows of STYLE.md.
package sapper_test

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/sapperhq/sapper"

func goCmd(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

func TestGofmt(t *testing.T) {
	out, err := exec.Command("gofmt", "-l", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("gofmt: %v\n%s", err, out)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("gofmt would change:\n%s", out)
	}
}

func TestVet(t *testing.T) {
	if testing.Short() {
		t.Skip("go vet is slow; skipped with -short")
	}
	goCmd(t, "vet", "./...")
}

// TestModTidy fails when "go mod tidy" would change go.mod or go.sum.
func TestModTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short")
	}
	dir := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	goCmd(t, "mod", "tidy", "-modfile="+filepath.Join(dir, "go.mod"))
	for _, f := range []string{"go.mod", "go.sum"} {
		want, _ := os.ReadFile(f)
		got, _ := os.ReadFile(filepath.Join(dir, f))
		if !bytes.Equal(want, got) {
			t.Errorf("go mod tidy changes %s: run it and commit the result", f)
		}
	}
}

type pkg struct {
	ImportPath string
	Doc        string
	Name       string
	Imports    []string
	Deps       []string
	GoFiles    []string
	Standard   bool
}

func listPackages(t *testing.T) []pkg {
	out := goCmd(t, "list", "-json", "./...")
	dec := json.NewDecoder(bytes.NewReader(out))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestPackageDocs: every package has exactly one package comment.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if len(p.GoFiles) == 0 {
			continue
		}
		if p.Doc == "" {
			t.Errorf("%s has no package comment", p.ImportPath)
		}
		n := 0
		for _, f := range p.GoFiles {
			b, err := os.ReadFile(filepath.Join(dirOf(p.ImportPath), f))
			if err != nil {
				t.Fatal(err)
			}
			if hasPackageComment(string(b)) {
				n++
			}
		}
		if n > 1 {
			t.Errorf("%s has %d package comments, want one", p.ImportPath, n)
		}
	}
}

func dirOf(importPath string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
	if rel == "" {
		return "."
	}
	return rel
}

// hasPackageComment reports whether a comment ends right above the package clause.
func hasPackageComment(src string) bool {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "package ") {
			return i > 0 && (strings.HasPrefix(lines[i-1], "//") || strings.HasSuffix(lines[i-1], "*/"))
		}
	}
	return false
}

// TestImportArrows checks that imports point down only, as STYLE.md draws them.
func TestImportArrows(t *testing.T) {
	in := func(path string) string { return module + "/internal/" + path }
	// forbidden[p] lists what p must not import, directly or not.
	forbidden := map[string][]string{
		in("ecosystem"): {in("")},
		in("finding"):   {in("")},
		in("limits"):    {in("")},
		in("osv"):       {in("store"), in("match"), in("feed"), in("cli"), in("server")},
		in("version"):   {in("osv"), in("store"), in("match"), in("cli")},
		in("match"):     {in("store"), in("feed"), in("cli"), in("server"), in("report")},
		in("store"):     {in("match"), in("feed"), in("cli"), in("server"), in("report")},
		in("feed"):      {in("store"), in("match"), in("cli"), in("server")},
		in("report"):    {in("store"), in("match"), in("cli"), in("server")},
		in("server"):    {in("cli"), in("feed")},
	}
	// Packages that may use the standard library only (and each other).
	stdOnly := map[string]bool{in("ecosystem"): true, in("finding"): true, in("limits"): true, in("osv"): true}

	for _, p := range listPackages(t) {
		for _, d := range p.Deps {
			if strings.HasPrefix(d, in("cli")) && !strings.HasPrefix(p.ImportPath, module+"/cmd/") && p.ImportPath != in("cli") {
				t.Errorf("%s imports %s: nothing but cmd/ imports cli", p.ImportPath, d)
			}
			for _, bad := range forbidden[p.ImportPath] {
				if d == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(d, bad) && d != p.ImportPath) {
					if !(stdOnly[p.ImportPath] && stdOnly[d]) {
						t.Errorf("%s imports %s", p.ImportPath, d)
					}
				}
			}
			if stdOnly[p.ImportPath] && strings.Contains(strings.Split(d, "/")[0], ".") && !strings.HasPrefix(d, module) {
				t.Errorf("%s must use the standard library only, but imports %s", p.ImportPath, d)
			}
		}
	}
}
