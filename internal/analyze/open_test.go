package analyze

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every archive built here is inert: text that is never run.

// ent is an entry of a test archive.
type ent struct {
	name string
	body string
	typ  byte        // tar type; 0 is a regular file
	mode fs.FileMode // zip mode; 0 is 0o644
	link string
	size int64 // declared tar size when not len(body); the body is cut short
}

func reg(name, body string) ent { return ent{name: name, body: body} }

func tarBytes(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link, Format: tar.FormatPAX}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if e.mode != 0 {
			h.Mode = int64(e.mode.Perm())
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func tgz(t testing.TB, ents ...ent) []byte { return gz(t, tarBytes(t, ents...)) }

func zipBytes(t testing.TB, ents ...ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// summary is what the tests compare of a target.
type summary struct {
	Package  Package
	Files    []string // "path kind" or "path kind x" for executables
	Findings []string // "rule path"
}

func summarize(tg *Target) summary {
	s := summary{Package: tg.Package}
	for _, f := range tg.Files {
		line := f.Path + " " + string(f.Kind)
		if f.Executable {
			line += " x"
		}
		if int64(len(f.Data)) != f.Size {
			line += " size-mismatch"
		}
		s.Files = append(s.Files, line)
	}
	for _, f := range tg.Findings {
		if f.Kind != "archive" || f.Category != "archive" || f.Location == nil || f.Summary == "" {
			s.Findings = append(s.Findings, "malformed finding "+f.Rule)
			continue
		}
		s.Findings = append(s.Findings, f.Rule+" "+f.Location.Path)
	}
	return s
}

const pkgJSON = `{"name": "left-pad", "version": "1.3.0", "scripts": {"test": "echo ok"}}`

func TestOpenFormats(t *testing.T) {
	gemMeta := "--- !ruby/object:Gem::Specification\nname: rake\nversion: !ruby/object:Gem::Version\n  version: 13.0.6\nplatform: ruby\n"
	tests := []struct {
		name string
		file string
		data []byte
		want summary
	}{{
		name: "npm",
		file: "left-pad-1.3.0.tgz",
		data: tgz(t,
			reg("package/package.json", pkgJSON),
			reg("package/index.js", "module.exports = 1\n"),
			ent{name: "package/bin/cli", body: "#!/usr/bin/env node\nconsole.log(1)\n", mode: 0o755},
			ent{name: "package/lib/", typ: tar.TypeDir},
			reg("package/lib/x.ts", "export {}\n"),
			reg("package/README.md", "# left-pad\n"),
		),
		want: summary{
			Package: Package{Ecosystem: "npm", Name: "left-pad", Version: "1.3.0"},
			Files:   []string{"package.json manifest", "index.js javascript", "bin/cli javascript x", "lib/x.ts javascript", "README.md text"},
		},
	}, {
		name: "npm-dot-prefix",
		file: "a.tgz",
		data: tgz(t, reg("./package/package.json", `{"name":"@scope/a","version":"0.0.1"}`), reg("./package/install.sh", "#!/bin/sh\necho hi\n")),
		want: summary{
			Package: Package{Ecosystem: "npm", Name: "@scope/a", Version: "0.0.1"},
			Files:   []string{"package.json manifest", "install.sh shell"},
		},
	}, {
		name: "wheel",
		file: "demo-1.0-py3-none-any.whl",
		data: zipBytes(t,
			reg("demo/__init__.py", "print('hi')\n"),
			reg("demo.pth", "import demo\n"),
			reg("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\nName: not-this\n"),
			reg("demo-1.0.dist-info/RECORD", "demo/__init__.py,,\n"),
		),
		want: summary{
			Package: Package{Ecosystem: "PyPI", Name: "demo", Version: "1.0"},
			Files:   []string{"demo/__init__.py python", "demo.pth pth", "demo-1.0.dist-info/METADATA manifest", "demo-1.0.dist-info/RECORD text"},
		},
	}, {
		name: "sdist-tar-gz",
		file: "demo-1.0.tar.gz",
		data: tgz(t,
			ent{name: "demo-1.0/", typ: tar.TypeDir},
			reg("demo-1.0/PKG-INFO", "Metadata-Version: 1.0\r\nName: demo\r\nVersion: 1.0\r\n"),
			reg("demo-1.0/setup.py", "from setuptools import setup\nsetup()\n"),
			reg("demo-1.0/setup.cfg", "[metadata]\n"),
		),
		want: summary{
			Package: Package{Ecosystem: "PyPI", Name: "demo", Version: "1.0"},
			Files:   []string{"PKG-INFO manifest", "setup.py python", "setup.cfg manifest"},
		},
	}, {
		name: "sdist-zip",
		file: "demo-1.0.zip",
		data: zipBytes(t,
			reg("demo-1.0/PKG-INFO", "Name: demo\nVersion: 1.0\n"),
			reg("demo-1.0/pyproject.toml", "[project]\n"),
			reg("demo-1.0/run.bat", "@echo off\n"),
		),
		want: summary{
			Package: Package{Ecosystem: "PyPI", Name: "demo", Version: "1.0"},
			Files:   []string{"PKG-INFO manifest", "pyproject.toml manifest", "run.bat batch"},
		},
	}, {
		name: "go-module-zip",
		file: "v1.2.3.zip",
		data: zipBytes(t,
			reg("github.com/acme/tool@v1.2.3/go.mod", "module github.com/acme/tool\n"),
			reg("github.com/acme/tool@v1.2.3/main.go", "package main\n"),
			reg("github.com/acme/tool@v1.2.3/cmd/x/x.go", "package main\n"),
		),
		want: summary{
			Package: Package{Ecosystem: "Go", Name: "github.com/acme/tool", Version: "v1.2.3"},
			Files:   []string{"go.mod manifest", "main.go go", "cmd/x/x.go go"},
		},
	}, {
		name: "crate",
		file: "demo-0.1.0.crate",
		data: tgz(t,
			reg("demo-0.1.0/Cargo.toml", "[package]\nedition = \"2021\"\nname = \"demo\" # the name\nversion = \"0.1.0\"\n\n[dependencies]\nname = \"x\"\n"),
			reg("demo-0.1.0/build.rs", "fn main() {}\n"),
			reg("demo-0.1.0/src/lib.rs", "pub fn f() {}\n"),
		),
		want: summary{
			Package: Package{Ecosystem: "crates.io", Name: "demo", Version: "0.1.0"},
			Files:   []string{"Cargo.toml manifest", "build.rs rust", "src/lib.rs rust"},
		},
	}, {
		name: "gem",
		file: "rake-13.0.6.gem",
		data: tarBytes(t,
			reg("metadata.gz", string(gz(t, []byte(gemMeta)))),
			reg("data.tar.gz", string(tgz(t, reg("lib/rake.rb", "module Rake; end\n"), reg("rake.gemspec", "Gem::Specification.new\n"), reg("Rakefile", "task :x\n")))),
			reg("checksums.yaml.gz", string(gz(t, []byte("---\n")))),
		),
		want: summary{
			Package: Package{Ecosystem: "RubyGems", Name: "rake", Version: "13.0.6"},
			Files:   []string{"metadata.yaml manifest", "lib/rake.rb ruby", "rake.gemspec ruby", "Rakefile ruby", "checksums.yaml.gz binary"},
		},
	}, {
		name: "no-common-top",
		file: "x.tar.gz",
		data: tgz(t, reg("a/x.py", "x\n"), reg("b/y.ps1", "y\n"), reg("top.psm1", "z\n")),
		want: summary{Files: []string{"a/x.py python", "b/y.ps1 powershell", "top.psm1 powershell"}},
	}, {
		name: "nested-tgz",
		file: "n.tgz",
		data: tgz(t, reg("package/package.json", pkgJSON), reg("package/vendor/x.tgz", string(tgz(t, reg("package/evil.js", "1\n"))))),
		want: summary{
			Package: Package{Ecosystem: "npm", Name: "left-pad", Version: "1.3.0"},
			Files:   []string{"package.json manifest", "vendor/x.tgz binary", "vendor/x.tgz!/package/evil.js javascript"},
		},
	}, {
		name: "empty-tar",
		file: "e.tar",
		data: tarBytes(t),
		want: summary{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.file, tt.data)
			tg, err := Open(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Name != p {
				t.Errorf("Name = %q, want %q", tg.Name, p)
			}
			if diff := cmp.Diff(tt.want, summarize(tg)); diff != "" {
				t.Errorf("Open(%s) (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

// small are bounds low enough to reach in a test.
var small = bounds{
	packageBytes: 64 << 10,
	entries:      20,
	fileBytes:    16 << 10,
	nesting:      2,
	ratio:        100,
	ratioFloor:   4 << 10,
	treeDepth:    4,
}

func TestOpenHostile(t *testing.T) {
	zeros := strings.Repeat("\x00", 40<<10)
	many := []ent{reg("package/package.json", pkgJSON)}
	for i := range 30 {
		many = append(many, reg("package/f"+strings.Repeat("x", i)+".js", "1\n"))
	}
	var big []ent
	for i := range 10 {
		big = append(big, reg("package/f"+strings.Repeat("x", i), noise(15<<10, i)))
	}
	nest := zipBytes(t, reg("deep.js", "1\n"))
	for range 3 {
		nest = tgz(t, reg("p/inner.tgz", string(nest)))
	}
	tests := []struct {
		name string
		file string
		data []byte
		want summary
	}{{
		name: "tar-names",
		file: "a.tgz",
		data: tgz(t,
			reg("package/package.json", pkgJSON),
			reg("package/../../etc/cron.d/x", "x\n"),
			reg("/etc/passwd", "x\n"),
			reg("C:/Windows/x.bat", "x\n"),
			reg(`package\..\..\x.js`, "x\n"),
		),
		want: summary{
			Package: Package{Ecosystem: "npm", Name: "left-pad", Version: "1.3.0"},
			Files:   []string{"package.json manifest"},
			Findings: []string{
				"archive-path-traversal package/../../etc/cron.d/x",
				"archive-path-traversal /etc/passwd",
				"archive-path-traversal C:/Windows/x.bat",
				`archive-path-traversal package\\..\\..\\x.js`,
			},
		},
	}, {
		name: "tar-links-and-devices",
		file: "a.tgz",
		data: tgz(t,
			reg("package/index.js", "1\n"),
			ent{name: "package/link", typ: tar.TypeSymlink, link: "/home/user/.ssh/id_rsa"},
			ent{name: "package/hard", typ: tar.TypeLink, link: "../../etc/shadow"},
			ent{name: "package/fifo", typ: tar.TypeFifo},
			ent{name: "package/dev", typ: tar.TypeChar},
		),
		want: summary{
			Files: []string{"index.js javascript"},
			Findings: []string{
				"archive-link package/link", "archive-link package/hard",
				"archive-special-file package/fifo", "archive-special-file package/dev",
			},
		},
	}, {
		name: "zip-names-and-links",
		file: "x.whl",
		data: zipBytes(t,
			reg("ok.py", "1\n"),
			reg("../evil.py", "x\n"),
			reg("/abs.py", "x\n"),
			ent{name: "link.py", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777},
			ent{name: "pipe", mode: fs.ModeNamedPipe | 0o644},
		),
		want: summary{
			Package:  Package{Ecosystem: "PyPI"},
			Files:    []string{"ok.py python"},
			Findings: []string{"archive-path-traversal ../evil.py", "archive-path-traversal /abs.py", "archive-link link.py", "archive-special-file pipe"},
		},
	}, {
		name: "duplicates",
		file: "a.tgz",
		data: tgz(t, reg("package/index.js", "harmless()\n"), reg("package/x.js", "1\n"), reg("package/./index.js", "evil()\n")),
		want: summary{
			Files:    []string{"index.js javascript", "x.js javascript"},
			Findings: []string{"archive-duplicate-entry package/./index.js"},
		},
	}, {
		name: "npm-strip-first-collides",
		file: "a.tgz",
		data: tgz(t, reg("package/package.json", pkgJSON), reg("package/index.js", "1\n"), reg("other/index.js", "2\n")),
		want: summary{
			Package:  Package{Ecosystem: "npm", Name: "left-pad", Version: "1.3.0"},
			Files:    []string{"package.json manifest", "index.js javascript"},
			Findings: []string{"archive-duplicate-entry other/index.js"},
		},
	}, {
		name: "zip-duplicates",
		file: "x.whl",
		data: zipBytes(t, reg("a.py", "1\n"), reg("a.py", "2\n")),
		want: summary{
			Package:  Package{Ecosystem: "PyPI"},
			Files:    []string{"a.py python"},
			Findings: []string{"archive-duplicate-entry a.py"},
		},
	}, {
		name: "file-too-large",
		file: "a.tgz",
		data: tgz(t, reg("package/index.js", "1\n"), reg("package/big.bin", noise(17<<10, 1)), reg("package/z.js", "2\n")),
		want: summary{
			Files:    []string{"index.js javascript", "z.js javascript"},
			Findings: []string{"archive-file-too-large package/big.bin"},
		},
	}, {
		name: "zip-file-too-large",
		file: "a.zip",
		data: zipBytes(t, reg("a/big.bin", noise(17<<10, 1)), reg("a/z.js", "2\n")),
		want: summary{
			Files:    []string{"z.js javascript"},
			Findings: []string{"archive-file-too-large a/big.bin"},
		},
	}, {
		name: "too-many-entries",
		file: "a.tgz",
		data: tgz(t, many...),
		want: summary{
			Package:  Package{Ecosystem: "npm", Name: "left-pad", Version: "1.3.0"},
			Files:    manyFiles(19),
			Findings: []string{"archive-too-many-entries package/f" + strings.Repeat("x", 19) + ".js"},
		},
	}, {
		name: "too-large",
		file: "a.tgz",
		data: tgz(t, big...),
		want: summary{
			Files:    []string{"f text", "fx text", "fxx text", "fxxx text"},
			Findings: []string{"archive-too-large package/fxxxx"},
		},
	}, {
		name: "gzip-bomb",
		file: "a.tgz",
		data: tgz(t, reg("package/index.js", "1\n"), reg("package/a", zeros[:10<<10]), reg("package/b", zeros[:10<<10])),
		want: summary{
			Files:    []string{"index.js javascript", "a binary"},
			Findings: []string{"archive-compression-ratio package/b"},
		},
	}, {
		name: "zip-bomb",
		file: "a.zip",
		data: zipBytes(t, reg("p/bomb.txt", zeros[:16<<10]), reg("p/ok.js", "1\n")),
		want: summary{
			Files:    []string{"ok.js javascript"},
			Findings: []string{"archive-compression-ratio p/bomb.txt"},
		},
	}, {
		name: "gem-metadata-bomb",
		file: "x-1.0.gem",
		data: tarBytes(t,
			reg("metadata.gz", string(gz(t, []byte(zeros[:12<<10])))),
			reg("data.tar.gz", string(tgz(t, reg("lib/x.rb", "1\n")))),
		),
		want: summary{
			Package:  Package{Ecosystem: "RubyGems"},
			Files:    []string{"lib/x.rb ruby"},
			Findings: []string{"archive-compression-ratio metadata.gz"},
		},
	}, {
		name: "gem-data-corrupt",
		file: "x-1.0.gem",
		data: tarBytes(t, reg("data.tar.gz", "\x1f\x8b not really"), reg("README", "hi\n")),
		want: summary{
			Package:  Package{Ecosystem: "RubyGems"},
			Files:    []string{"README text"},
			Findings: []string{"archive-truncated data.tar.gz"},
		},
	}, {
		name: "nested-zip-corrupt",
		file: "a.tgz",
		data: tgz(t, reg("package/a.zip", "PK\x03\x04 cut short")),
		want: summary{
			Files:    []string{"a.zip text"},
			Findings: []string{"archive-truncated package/a.zip"},
		},
	}, {
		name: "nesting-too-deep",
		file: "n.tgz",
		data: nest,
		want: summary{
			Files: []string{
				"inner.tgz binary",
				"inner.tgz!/p/inner.tgz binary",
				"inner.tgz!/p/inner.tgz!/p/inner.tgz binary",
			},
			Findings: []string{"archive-nesting-too-deep p/inner.tgz!/p/inner.tgz!/p/inner.tgz"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.file, tt.data)
			tg, err := open(t.Context(), p, small)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(tg)); diff != "" {
				t.Errorf("open(%s) (-want +got):\n%s", tt.name, diff)
			}
			for _, f := range tg.Files {
				if f.Path == "index.js" && strings.Contains(string(f.Data), "harmless") {
					t.Errorf("kept the first of duplicate entries, want the last")
				}
			}
		})
	}
}

func manyFiles(n int) []string {
	s := []string{"package.json manifest"}
	for i := range n {
		s = append(s, "f"+strings.Repeat("x", i)+".js javascript")
	}
	return s
}

// noise returns n bytes of text that does not compress much.
func noise(n, seed int) string {
	b := make([]byte, n)
	x := uint32(seed*7919 + 1)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = 'a' + byte(x%26)
	}
	return string(b)
}

func TestOpenTruncated(t *testing.T) {
	var ents []ent
	for i := range 50 {
		ents = append(ents, reg("package/f"+strings.Repeat("x", i)+".js", noise(2000, i)))
	}
	whole := tgz(t, ents...)
	t.Run("partial", func(t *testing.T) {
		p := writeFile(t, "a.tgz", whole[:len(whole)/2])
		tg, err := Open(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		if len(tg.Files) == 0 || len(tg.Files) >= 50 {
			t.Errorf("read %d files of a half archive", len(tg.Files))
		}
		got := summarize(tg).Findings
		if len(got) != 1 || !strings.HasPrefix(got[0], "archive-truncated ") {
			t.Errorf("findings = %q, want one archive-truncated", got)
		}
	})
	for _, tt := range []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"gzip-header-only", "a.tgz", whole[:12], "not a valid tar archive"},
		{"gzip-magic-only", "a.tgz", whole[:3], "not a gzip stream"},
		{"tar-cut-early", "a.tgz", whole[:200], `read "package/f.js": truncated or corrupt archive`},
		{"zip-no-directory", "a.zip", zipBytes(t, reg("a.py", "1\n"))[:40], "not a valid zip archive"},
		{"unknown", "a.bin", []byte("hello"), "not a package archive"},
		{"missing", "", nil, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "missing.tgz")
			if tt.file != "" {
				p = writeFile(t, tt.file, tt.data)
			}
			_, err := Open(t.Context(), p)
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = %v, want an error naming %s and saying %q", err, p, tt.want)
			}
		})
	}
}

// TestOpenHugeDeclared checks that a size in a header is not trusted:
// neither an entry declaring 1 GB nor a gzip stream that claims to expand
// to it makes Open allocate it.
func TestOpenHugeDeclared(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "package/index.js", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	tw.Write([]byte("1\n"))
	tw.WriteHeader(&tar.Header{Name: "package/huge.js", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 30})
	tw.Write([]byte(noise(4096, 3)))
	tw.Flush() // no Close: the entry is cut short
	p := writeFile(t, "h.tgz", gz(t, buf.Bytes()))

	b := defaultBounds
	b.fileBytes = 2 << 30 // let the declared size pass, to see that it is not allocated
	for _, tt := range []struct {
		name string
		b    bounds
		want []string
	}{
		{"over-file-limit", defaultBounds, []string{"archive-file-too-large package/huge.js", "archive-truncated h.tgz"}},
		{"under-file-limit", b, []string{"archive-truncated h.tgz"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			tg, err := open(t.Context(), p, tt.b)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 32<<20 {
				t.Errorf("allocated %d bytes for a 1 GB declared entry", got)
			}
			got := summarize(tg)
			if !slices.Equal(got.Files, []string{"index.js javascript"}) || !slices.Equal(got.Findings, tt.want) {
				t.Errorf("got %+v, want index.js and %q", got, tt.want)
			}
		})
	}
}

func TestOpenDir(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "lib"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, ".git"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkgJSON), 0o644))
	must(os.WriteFile(filepath.Join(dir, "lib", "x.js"), []byte("1\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/bash\n"), 0o755))
	must(os.WriteFile(filepath.Join(dir, ".git", "config"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "big"), []byte(noise(17<<10, 1)), 0o644))
	must(os.WriteFile(filepath.Join(dir, "v.tgz"), tgz(t, reg("package/a.js", "1\n")), 0o644))
	must(os.Symlink("/etc/passwd", filepath.Join(dir, "lib", "link")))
	must(os.Symlink("..", filepath.Join(dir, "up")))

	tg, err := open(t.Context(), dir, small)
	if err != nil {
		t.Fatal(err)
	}
	want := summary{
		Package:  Package{Ecosystem: "npm", Name: "left-pad", Version: "1.3.0"},
		Files:    []string{"lib/x.js javascript", "package.json manifest", "run shell x", "v.tgz binary", "v.tgz!/package/a.js javascript"},
		Findings: []string{"archive-file-too-large big", "archive-link lib/link", "archive-link up"},
	}
	if diff := cmp.Diff(want, summarize(tg)); diff != "" {
		t.Errorf("open(dir) (-want +got):\n%s", diff)
	}
}

func TestOpenFixtures(t *testing.T) {
	tests := []struct {
		file string
		want summary
	}{{
		file: "npm-basic.tgz",
		want: summary{
			Package: Package{Ecosystem: "npm", Name: "fixture-npm", Version: "1.0.0"},
			Files:   []string{"package.json manifest", "index.js javascript"},
		},
	}, {
		file: "npm-hostile.tgz",
		want: summary{
			Package:  Package{Ecosystem: "npm", Name: "fixture-hostile", Version: "0.0.1"},
			Files:    []string{"package.json manifest"},
			Findings: []string{"archive-link package/link", "archive-path-traversal package/../../escape.txt"},
		},
	}, {
		file: "go-module.zip",
		want: summary{
			Package: Package{Ecosystem: "Go", Name: "example.com/fixture", Version: "v0.1.0"},
			Files:   []string{"go.mod manifest", "fixture.go go"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tg, err := Open(t.Context(), filepath.Join("testdata", "archives", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(tg)); diff != "" {
				t.Errorf("Open(%s) (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestOpenCanceled(t *testing.T) {
	p := writeFile(t, "a.tgz", tgz(t, reg("package/a.js", "1\n")))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Open(ctx, p); err == nil {
		t.Error("Open with a canceled context succeeded")
	}
}

func TestKindOf(t *testing.T) {
	pe := make([]byte, 0x80)
	copy(pe, "MZ")
	pe[0x3c] = 0x40
	copy(pe[0x40:], "PE\x00\x00")
	tests := []struct {
		path string
		data string
		want Kind
	}{
		{"index.js", "x", JavaScript},
		{"a/b.MJS", "x", JavaScript},
		{"a.cts", "x", JavaScript},
		{"x.py", "x", Python},
		{"x.pyw", "x", Python},
		{"setup.py", "x", Python},
		{"evil.pth", "import os", PTH},
		{"main.go", "x", Go},
		{"x.gemspec", "x", Ruby},
		{"Gemfile", "x", Ruby},
		{"build.rs", "x", Rust},
		{"x.zsh", "x", Shell},
		{"x.psd1", "x", PowerShell},
		{"X.CMD", "x", Batch},
		{"sub/package.json", "{}", Manifest},
		{"go.mod", "module x", Manifest},
		{"a.dist-info/METADATA", "Name: x", Manifest},
		{"lib/x.so", "\x7fELF\x02\x01", Binary},
		{"index.js", "\x7fELF\x02\x01", Binary},
		{"index.js", "/* \x00 */ evil()", JavaScript},
		{"a.dll", string(pe), Binary},
		{"mz.txt", "MZ is a text file", Text},
		{"x.dylib", "\xcf\xfa\xed\xfe", Binary},
		{"data", "abc\x00def", Binary},
		{"bin/run", "#!/bin/sh\n", Shell},
		{"bin/run", "#!/usr/bin/env -S bash -e\n", Shell},
		{"bin/run", "#! /bin/dash\n", Shell},
		{"bin/run", "#!/usr/bin/env node\n", JavaScript},
		{"bin/run", "#!/usr/bin/python3.12\n", Python},
		{"bin/run", "#!/usr/bin/env perl\n", Text},
		{"README", "hello", Text},
		{"empty", "", Text},
	}
	for _, tt := range tests {
		if got := kindOf(tt.path, []byte(tt.data)); got != tt.want {
			t.Errorf("kindOf(%q, %q) = %q, want %q", tt.path, tt.data, got, tt.want)
		}
	}
}

func TestIdentifyDir(t *testing.T) {
	for _, tt := range []struct {
		file, body string
		want       Package
	}{
		{"go.mod", "// comment\nmodule \"example.com/m\" // x\n\ngo 1.22\n", Package{Ecosystem: "Go", Name: "example.com/m"}},
		{"PKG-INFO", "Name: demo\nVersion: 2.0\n", Package{Ecosystem: "PyPI", Name: "demo", Version: "2.0"}},
		{"Cargo.toml", "[package]\nname = 'c'\nversion = \"1.0.0\"\n", Package{Ecosystem: "crates.io", Name: "c", Version: "1.0.0"}},
		{"metadata.yaml", "--- !ruby/object:Gem::Specification\nname: \"g\"\nversion: !ruby/object:Gem::Version\n  version: '1.2'\n", Package{Ecosystem: "RubyGems", Name: "g", Version: "1.2"}},
		{"README", "hi", Package{}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.body), 0o644); err != nil {
			t.Fatal(err)
		}
		tg, err := Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, tg.Package); diff != "" {
			t.Errorf("%s: Package (-want +got):\n%s", tt.file, diff)
		}
	}
}

func TestSafeName(t *testing.T) {
	for name, want := range map[string]bool{
		"package/a.js": true, "./a": true, "a/..b": true, "a..": true,
		"": false, "/a": false, "a/../b": false, "..": false, `a\b`: false, "c:x": false, "Z:/x": false, "a\x00": false,
	} {
		if got := safeName(name); got != want {
			t.Errorf("safeName(%q) = %v, want %v", name, got, want)
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(tgz(f, reg("package/package.json", pkgJSON), reg("package/a.js", "1\n")), true)
	f.Add(zipBytes(f, reg("m@v1.0.0/go.mod", "module m\n"), reg("m@v1.0.0/a.go", "package a\n")), false)
	f.Add(tarBytes(f, ent{name: "l", typ: tar.TypeSymlink, link: "/"}, reg("data.tar.gz", string(tgz(f, reg("a.rb", "1"))))), true)
	f.Add([]byte("\x1f\x8b\x08\x00"), true)
	f.Add([]byte("PK\x05\x06"), false)
	seeds, _ := filepath.Glob(filepath.Join("testdata", "archives", "*.*z*"))
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, strings.HasSuffix(p, ".tgz"))
	}
	f.Fuzz(func(t *testing.T, data []byte, tarball bool) {
		name := "f.zip"
		if tarball {
			name = "f.tgz"
		}
		p := writeFile(t, name, data)
		tg, err := open(t.Context(), p, small)
		if err != nil {
			return
		}
		var total int64
		for _, f := range tg.Files {
			if int64(len(f.Data)) > small.fileBytes {
				t.Fatalf("%s: %d bytes, over the file limit", f.Path, len(f.Data))
			}
			total += int64(len(f.Data))
		}
		if total > small.packageBytes {
			t.Fatalf("%d bytes read, over the package limit", total)
		}
	})
}

func BenchmarkOpen(b *testing.B) {
	var ents []ent
	var size int64
	for i := 0; size < 5<<20; i++ {
		body := "module.exports = function f" + strings.Repeat("x", i%7) + "() { return '" + noise(2000+i%3000, i) + "' }\n"
		ents = append(ents, reg("package/lib/f"+strings.Repeat("x", i%40)+"/"+noise(8, i)+".js", body))
		size += int64(len(body))
	}
	p := writeFile(b, "bench.tgz", tgz(b, ents...))
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(b.Context(), p); err != nil {
			b.Fatal(err)
		}
	}
}
