package lockfile

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// otherCase is one fixture of a parser of this family: a file under
// testdata/<family>/, and the packages it holds or the error it gives.
type otherCase struct {
	name string
	path string
	want []Package
	// wantErr is a substring of the error, "path:line: message" as the
	// user sees it; "" when the file parses.
	wantErr string
}

// runOtherCases parses each case's fixture with p, from
// os.DirFS("testdata/"+family), and compares the result.
func runOtherCases(t *testing.T, p Parser, family string, cases []otherCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := File{FS: os.DirFS("testdata/" + family), Path: c.path, Display: c.path}
			got, err := p.Parse(t.Context(), f)
			if c.wantErr != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Parse(%s) = %v, %v; want an *Error containing %q", c.path, got, err, c.wantErr)
				}
				if !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Parse(%s) error = %q, want it to contain %q", c.path, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s): %v", c.path, err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Parse(%s) mismatch (-want +got):\n%s", c.path, diff)
			}
		})
	}
}

// fixtureAt returns a Location in the fixture p.
func fixtureAt(p string, line int) Location { return Location{Path: p, Line: line} }

// fuzzOther seeds f with the fixtures of family that p matches and fuzzes
// p.Parse: it must not panic, must fail with an *Error, and must return
// packages with a name and a location in the file.
func fuzzOther(f *testing.F, p Parser, family, name string) {
	fsys := os.DirFS("testdata/" + family)
	err := fs.WalkDir(fsys, ".", func(q string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !p.Match(q) {
			return err
		}
		data, err := fs.ReadFile(fsys, q)
		if err != nil {
			return err
		}
		f.Add(data)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := File{FS: fstest.MapFS{name: {Data: data}}, Path: name, Display: name}
		pkgs, err := p.Parse(t.Context(), file)
		if err != nil {
			if e := (*Error)(nil); !errors.As(err, &e) || e.Path != name {
				t.Fatalf("error %q is not an *Error for %s", err, name)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, pkg := range pkgs {
			if pkg.Name == "" || pkg.Ecosystem == "" {
				t.Errorf("package without a name or ecosystem: %+v", pkg)
			}
			if pkg.Location.Path != name || pkg.Location.Line < 0 || pkg.Location.Line > lines {
				t.Errorf("package %s at %+v, outside %s (%d lines)", pkg.Name, pkg.Location, name, lines)
			}
		}
	})
}

func TestOtherParsers(t *testing.T) {
	ps := otherParsers()
	names := make(map[string]bool)
	for _, p := range ps {
		if names[p.Name()] {
			t.Errorf("two parsers named %q", p.Name())
		}
		names[p.Name()] = true
	}
	tests := []struct {
		path string
		want string // the parser's name, "" for none
	}{
		{"go.mod", "go.mod"},
		{"sub/go.mod", "go.mod"},
		{"go.sum", ""},
		{"Cargo.lock", "Cargo.lock"},
		{"Cargo.toml", ""},
		{"Gemfile.lock", "Gemfile.lock"},
		{"gems.locked", "Gemfile.lock"},
		{"Gemfile", ""},
		{"composer.lock", "composer.lock"},
		{"composer.json", ""},
		{"app/packages.lock.json", "packages.lock.json"},
		{"pom.xml", "pom.xml"},
		{"gradle.lockfile", "gradle.lockfile"},
		{"buildscript-gradle.lockfile", "gradle.lockfile"},
		{"gradle/dependency-locks/compileClasspath.lockfile", "gradle.lockfile"},
		{"other.lockfile", ""},
		{"pubspec.lock", "pubspec.lock"},
		{"pubspec.yaml", ""},
		{"app", ""},
		{"app.exe", ""},
	}
	for _, tt := range tests {
		got := ""
		if p := For(ps, tt.path); p != nil {
			got = p.Name()
		}
		if got != tt.want {
			t.Errorf("For(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestOtherHostile feeds each text parser inputs built to break it: they
// must give an *Error naming the problem, quickly, and never panic.
func TestOtherHostile(t *testing.T) {
	deep := func(open, close string, n int) []byte {
		return []byte(strings.Repeat(open, n) + strings.Repeat(close, n))
	}
	parsers := map[string]Parser{}
	for _, p := range otherParsers() {
		parsers[p.Name()] = p
	}
	tests := []struct {
		name    string
		parser  string
		file    string
		data    []byte
		wantErr string // substring; "" for no error
	}{
		{"gomod-utf8", "go.mod", "go.mod", []byte("module m\n\nrequire x.org/\xff v1.0.0\n"), "go.mod:3: invalid UTF-8"},
		{"gomod-deep", "go.mod", "go.mod", deep("(", ")", 100000), "go.mod:1:"},
		{"gomod-long-line", "go.mod", "go.mod", []byte("module m\nrequire " + strings.Repeat("a", 1<<20) + " v1.0.0\n"), ""},
		{"cargo-utf8", "Cargo.lock", "Cargo.lock", []byte("[[package]]\nname = \"\xc3\x28\"\n"), "Cargo.lock:2: invalid UTF-8"},
		{"cargo-deep", "Cargo.lock", "Cargo.lock", append([]byte("a = "), deep("[", "]", 100000)...), "Cargo.lock:1:"},
		{"cargo-package-not-array", "Cargo.lock", "Cargo.lock", []byte("package = \"x\"\n"), "Cargo.lock:1: package is not an array of tables"},
		{"cargo-empty", "Cargo.lock", "Cargo.lock", nil, ""},
		{"gem-utf8", "Gemfile.lock", "Gemfile.lock", []byte("GEM\n  specs:\n    r\xe9ck (1.0)\n"), "Gemfile.lock:3: invalid UTF-8"},
		{"gem-long-line", "Gemfile.lock", "Gemfile.lock", []byte("GEM\n  specs:\n    " + strings.Repeat("a", 1<<20) + " (1.0)\n"), ""},
		{"gem-not-key", "Gemfile.lock", "Gemfile.lock", []byte("GEM\n  remote\n"), "Gemfile.lock:2: GEM section: \"remote\" is not a key: value line"},
		{"composer-utf8", "composer.lock", "composer.lock", []byte("{\n\"packages\": [{\"name\": \"a/\xff\"}]}"), "composer.lock:2: invalid UTF-8"},
		{"composer-deep", "composer.lock", "composer.lock", append([]byte(`{"x": `), deep("[", "]", 100000)...), "composer.lock:1:"},
		{"composer-deep-package", "composer.lock", "composer.lock", append(append([]byte(`{"packages": [{"name": "a/b", "x": `), deep("[", "]", 100000)...), "}]}"...), "composer.lock:1:"},
		{"composer-array", "composer.lock", "composer.lock", []byte("[]"), "composer.lock:1: found \"[\" where \"{\" should start"},
		{"composer-null", "composer.lock", "composer.lock", []byte("null"), "composer.lock:1: found null"},
		{"composer-null-packages", "composer.lock", "composer.lock", []byte(`{"packages": null, "packages-dev": null}`), ""},
		{"composer-null-package", "composer.lock", "composer.lock", []byte(`{"packages": [null]}`), "composer.lock:1: packages[1] has no name"},
		{"composer-empty", "composer.lock", "composer.lock", nil, "composer.lock:1: unexpected end of file"},
		{"nuget-utf8", "packages.lock.json", "packages.lock.json", []byte("{\"dependencies\": {\"net8.0\": {\"\xfe\": {}}}}"), "packages.lock.json:1: invalid UTF-8"},
		{"nuget-deep", "packages.lock.json", "packages.lock.json", append([]byte(`{"dependencies": {"net8.0": {"A": `), deep("[", "]", 100000)...), "packages.lock.json:1:"},
		{"nuget-framework-array", "packages.lock.json", "packages.lock.json", []byte("{\"dependencies\": {\n\"net8.0\": []}}"), "packages.lock.json:2: framework \"net8.0\": found \"[\" where \"{\" should start"},
		{"nuget-package-string", "packages.lock.json", "packages.lock.json", []byte("{\"dependencies\": {\"net8.0\": {\n\"A\": \"1.0\"}}}"), "packages.lock.json:2: package \"A\": value is string, want an object"},
		{"nuget-truncated", "packages.lock.json", "packages.lock.json", []byte("{\"dependencies\": {\"net8.0\": {\n\"A\": {\"resolved\": \"1"), "packages.lock.json:2: package \"A\": unexpected end of file"},
		{"pom-utf8", "pom.xml", "pom.xml", []byte("<project>\n<groupId>\xff</groupId></project>"), "pom.xml:2: invalid UTF-8"},
		{"pom-deep", "pom.xml", "pom.xml", append([]byte("<project>"), deep("<a>", "</a>", 100000)...), "pom.xml:1: elements nested deeper than 64"},
		{"pom-entity", "pom.xml", "pom.xml", []byte("<!DOCTYPE project [<!ENTITY a \"aaaa\">]>\n<project><version>&a;</version></project>"), "pom.xml:2: invalid character entity &a;"},
		{"pom-utf16", "pom.xml", "pom.xml", []byte("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<project/>"), "unsupported encoding \"UTF-16\""},
		{"pom-empty", "pom.xml", "pom.xml", nil, "pom.xml: no <project> element"},
		{"pom-two-roots", "pom.xml", "pom.xml", []byte("<project/>\n<project/>"), "pom.xml:2: a second root element <project>"},
		{"gradle-utf8", "gradle.lockfile", "gradle.lockfile", []byte("a:b:1=x\na:\xff:1=y\n"), "gradle.lockfile:2: invalid UTF-8"},
		{"gradle-long-line", "gradle.lockfile", "gradle.lockfile", []byte(strings.Repeat("a", 1<<20) + ":b:1=x\n"), ""},
		{"gradle-two-colons", "gradle.lockfile", "gradle.lockfile", []byte("a:b:c:1=x\n"), "gradle.lockfile:1: \"a:b:c:1\" is not group:artifact:version"},
		{"pub-utf8", "pubspec.lock", "pubspec.lock", []byte("packages:\n  \xff: {}\n"), "pubspec.lock:2: invalid UTF-8"},
		{"pub-deep", "pubspec.lock", "pubspec.lock", append([]byte("packages: "), deep("[", "]", 100000)...), "pubspec.lock: exceeded max depth of 10000"},
		{"pub-deep-block", "pubspec.lock", "pubspec.lock", []byte(strings.Repeat("- ", 20000) + "x\n"), "pubspec.lock"},
		{"pub-list", "pubspec.lock", "pubspec.lock", []byte("- a\n- b\n"), "pubspec.lock:1: the lockfile is a sequence, want a mapping"},
		{"pub-packages-list", "pubspec.lock", "pubspec.lock", []byte("packages:\n  - a\n"), "pubspec.lock:2: packages is a sequence, want a mapping"},
		{"pub-unknown-source", "pubspec.lock", "pubspec.lock", []byte("packages:\n  a:\n    source: ftp\n"), "pubspec.lock:3: package \"a\": unknown source \"ftp\""},
		{"pub-null", "pubspec.lock", "pubspec.lock", []byte("packages:\n"), ""},
		{"pub-empty", "pubspec.lock", "pubspec.lock", nil, ""},
		{"pub-laughs", "pubspec.lock", "pubspec.lock", []byte("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\npackages: *h\n"), "pubspec.lock:9: packages is an alias"},
		{"binary-truncated", "Go binary", "app", []byte("\x7fELF\x02\x01\x01\x00"), "app: read Go build information: unrecognized file format"},
		{"binary-text", "Go binary", "app", []byte("#!/bin/sh\nexit 0\n"), "app: read Go build information:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parsers[tt.parser]
			if p == nil {
				t.Fatalf("no parser %q", tt.parser)
			}
			f := File{FS: fstest.MapFS{tt.file: {Data: tt.data}}, Path: tt.file, Display: tt.file}
			got, err := p.Parse(t.Context(), f)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse = %d packages, %v; want an *Error containing %q", len(got), err, tt.wantErr)
			}
		})
	}
}

// TestOtherUnreadable checks that a file that cannot be read is an *Error
// for every parser of the family.
func TestOtherUnreadable(t *testing.T) {
	for _, p := range otherParsers() {
		f := File{FS: fstest.MapFS{}, Path: path.Join("missing", p.Name()), Display: "missing"}
		if _, err := p.Parse(t.Context(), f); err == nil || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: Parse(missing file) = %v, want an error wrapping fs.ErrNotExist", p.Name(), err)
		}
	}
}
