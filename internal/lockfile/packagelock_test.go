package lockfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// npmTestdata holds the npm family's fixtures: one directory per case
// with the input and a "want" file listing the packages, one a line:
//
//	<path>:<line> <name>@<version> <kind> [<url>] [dev]
//
// with the path relative to the case directory, or "! <message>" for the
// error the input must produce (its path also relative). Lines starting
// with '#' are comments.
const npmTestdata = "testdata/npm"

// npmCase is a fixture: directory dir under npmTestdata, input file in it.
type npmCase struct {
	dir, file string
}

func npmRunCases(t *testing.T, p Parser, cases []npmCase) {
	t.Helper()
	fsys := os.DirFS(npmTestdata)
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			want, wantErr := npmReadWant(t, fsys, c.dir)
			input := path.Join(c.dir, c.file)
			if !p.Match(input) {
				t.Errorf("%s.Match(%q) = false, want true", p.Name(), input)
			}
			got, err := p.Parse(context.Background(), File{FS: fsys, Path: input, Display: input})
			if wantErr != "" {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Parse() error = %v, want *Error %q", err, wantErr)
				}
				if diff := cmp.Diff(wantErr, strings.TrimPrefix(err.Error(), c.dir+"/")); diff != "" {
					t.Errorf("Parse() error mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s\ngot, as a want file:\n%s", diff, npmFormat(c.dir, got))
			}
		})
	}
}

// npmReadWant reads dir/want.
func npmReadWant(t *testing.T, fsys fs.FS, dir string) (pkgs []Package, wantErr string) {
	t.Helper()
	data, err := fs.ReadFile(fsys, path.Join(dir, "want"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if msg, ok := strings.CutPrefix(line, "! "); ok {
			return nil, msg
		}
		p, err := npmParseWant(dir, line)
		if err != nil {
			t.Fatalf("%s/want:%d: %v", dir, n, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, ""
}

// npmParseWant reads one package line of a want file.
func npmParseWant(dir, line string) (Package, error) {
	fields := strings.Fields(line)
	if len(fields) < 3 {
		return Package{}, fmt.Errorf("want <path>:<line> <name>@<version> <kind> [url] [dev], got %q", line)
	}
	p := Package{Ecosystem: ecosystem.NPM}
	if fields[len(fields)-1] == "dev" {
		p.Dev = true
		fields = fields[:len(fields)-1]
	}
	file, lineNo, ok := strings.Cut(fields[0], ":")
	n, err := strconv.Atoi(lineNo)
	if !ok || err != nil {
		return Package{}, fmt.Errorf("bad location %q", fields[0])
	}
	p.Location = Location{Path: path.Join(dir, file), Line: n}
	i := strings.LastIndexByte(fields[1], '@')
	if i <= 0 {
		return Package{}, fmt.Errorf("bad name@version %q", fields[1])
	}
	p.Name, p.Version = fields[1][:i], fields[1][i+1:]
	p.Source.Kind = SourceKind(fields[2])
	switch len(fields) {
	case 3:
	case 4:
		p.Source.URL = fields[3]
	default:
		return Package{}, fmt.Errorf("too many fields in %q", line)
	}
	return p, nil
}

// npmFormat writes pkgs as the lines of a want file.
func npmFormat(dir string, pkgs []Package) string {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "%s:%d %s@%s %s", strings.TrimPrefix(p.Location.Path, dir+"/"), p.Location.Line, p.Name, p.Version, p.Source.Kind)
		if p.Source.URL != "" {
			fmt.Fprintf(&b, " %s", p.Source.URL)
		}
		if p.Dev {
			b.WriteString(" dev")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// npmSeeds adds the fixtures whose base name is one of names to the
// corpus of f.
func npmSeeds(f *testing.F, names ...string) {
	err := fs.WalkDir(os.DirFS(npmTestdata), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, n := range names {
			if path.Base(p) == n {
				data, err := os.ReadFile(path.Join(npmTestdata, p))
				if err != nil {
					return err
				}
				f.Add(data)
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// npmCheckResult checks what a parser returned for input it may not
// understand: a *Error naming the file, or packages that make sense.
func npmCheckResult(t *testing.T, display string, pkgs []Package, err error) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Path != display {
			t.Fatalf("error %v (%T) is not an *Error for %s", err, err, display)
		}
		if pkgs != nil {
			t.Fatalf("packages %v returned with error %v", pkgs, err)
		}
		return
	}
	for _, p := range pkgs {
		if p.Ecosystem != ecosystem.NPM || p.Name == "" || p.Location.Path != display || p.Location.Line < 1 {
			t.Fatalf("bad package %+v", p)
		}
	}
}

// npmMapFile returns a File named name in a one-file FS holding data.
// npmInline is a small file given inline and what parsing it gives: the
// packages in want-file form, or "! " and the error message.
type npmInline struct {
	name string
	data string
	want string
}

// npmRunInline parses each case's data as a file named file with p.
func npmRunInline(t *testing.T, p Parser, file string, tests []npmInline) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := npmMapFile(file, []byte(tt.data))
			got, err := p.Parse(context.Background(), f)
			npmCheckResult(t, f.Display, got, err)
			if msg, ok := strings.CutPrefix(tt.want, "! "); ok {
				if err == nil || err.Error() != msg {
					t.Fatalf("Parse() error = %v, want %s", err, msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, npmFormat(".", got)); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func npmMapFile(name string, data []byte) File {
	return File{FS: fstest.MapFS{name: {Data: data}}, Path: name, Display: name}
}

func TestPackageLock(t *testing.T) {
	npmRunCases(t, packageLockParser{}, []npmCase{
		{"packagelock-v1", "package-lock.json"},
		{"packagelock-v2", "package-lock.json"},
		{"packagelock-v3", "package-lock.json"},
		{"shrinkwrap", "npm-shrinkwrap.json"},
		{"packagelock-empty", "package-lock.json"},
		{"packagelock-bom-crlf", "package-lock.json"},
		{"packagelock-truncated", "package-lock.json"},
		{"packagelock-syntax", "package-lock.json"},
		{"packagelock-wrongtype", "package-lock.json"},
		{"packagelock-v1-wrongtype", "package-lock.json"},
		{"packagelock-nullentry", "package-lock.json"},
		{"packagelock-array", "package-lock.json"},
		{"packagelock-trailing", "package-lock.json"},
		{"packagelock-badutf8", "package-lock.json"},
		{"packagelock-noname", "package-lock.json"},
	})
}

// TestPackageLockHostile feeds generated inputs too big or deep for a
// fixture.
func TestPackageLockHostile(t *testing.T) {
	deepV1 := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(`{"lockfileVersion": 1, "dependencies": {`)
		for i := range n {
			fmt.Fprintf(&b, `"p%d": {"version": "1.0.0", "dependencies": {`, i)
		}
		b.WriteString(strings.Repeat("}}", n))
		b.WriteString("}}")
		return b.Bytes()
	}
	deepValue := []byte(`{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0", "x": ` +
		strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}}`)
	tests := []struct {
		name    string
		data    []byte
		wantErr string // "" for success
		wantN   int
	}{
		// n nested packages open n+1 "dependencies" objects.
		{"v1-at-limit", deepV1(limits.MaxNesting - 1), "", limits.MaxNesting - 1},
		{"v1-over-limit", deepV1(limits.MaxNesting), fmt.Sprintf("package-lock.json:1: dependencies nested more than %d deep", limits.MaxNesting), 0},
		{"deep-skipped-value", deepValue, "package-lock.json:1: invalid JSON: invalid character '[' exceeded max depth", 0},
		{"empty", nil, "package-lock.json:1: unexpected end of file", 0},
		{"string", []byte(`"x"`), "package-lock.json:1: the top level: want an object, got a string", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := npmMapFile("package-lock.json", tt.data)
			got, err := packageLockParser{}.Parse(context.Background(), f)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.wantN {
				t.Errorf("got %d packages, want %d", len(got), tt.wantN)
			}
		})
	}
}

func TestPackageLockTooLarge(t *testing.T) {
	old := maxFileBytes
	maxFileBytes = 10
	defer func() { maxFileBytes = old }()
	f := npmMapFile("package-lock.json", []byte(`{"packages": {}}`))
	_, err := packageLockParser{}.Parse(context.Background(), f)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse() error = %v, want ErrTooLarge", err)
	}
}

func TestNPMResolved(t *testing.T) {
	tests := []struct {
		in   string
		want Source
	}{
		{"", Source{Kind: Registry}},
		{"https://registry.npmjs.org/a/-/a-1.0.0.tgz", Source{Kind: Registry}},
		{"https://REGISTRY.YARNPKG.COM/a/-/a-1.0.0.tgz#sha1", Source{Kind: Registry}},
		{"http://registry.npmjs.org/a/-/a-1.0.0.tgz", Source{Kind: Registry}},
		{"https://npm.example.com:8443/npm/@s/a/-/a-1.0.0.tgz", Source{Kind: Registry, URL: "https://npm.example.com:8443/npm"}},
		{"https://tok@npm.example.com/a/-/a-1.0.0.tgz", Source{Kind: Registry, URL: "https://npm.example.com"}},
		{"https://npm.pkg.github.com/download/@o/a/1.0.0/abc", Source{Kind: Registry, URL: "https://npm.pkg.github.com"}},
		{"https://codeload.github.com/u/r/tar.gz/abc", Source{Kind: Git, URL: "https://codeload.github.com/u/r/tar.gz/abc"}},
		{"https://github.com/u/r.git#commit=abc", Source{Kind: Git, URL: "https://github.com/u/r.git#commit=abc"}},
		{"https://github.com/u/r/archive/v1.tar.gz", Source{Kind: URL, URL: "https://github.com/u/r/archive/v1.tar.gz"}},
		{"https://user:pw@example.com/a.tgz", Source{Kind: URL, URL: "https://example.com/a.tgz"}},
		{"git+ssh://git@github.com/u/r.git#abc", Source{Kind: Git, URL: "git+ssh://git@github.com/u/r.git#abc"}},
		{"git+ssh://git:pw@github.com/u/r.git", Source{Kind: Git, URL: "git+ssh://git@github.com/u/r.git"}},
		{"git+https://tok@github.com/u/r.git", Source{Kind: Git, URL: "git+https://github.com/u/r.git"}},
		{"git://github.com/u/r.git", Source{Kind: Git, URL: "git://github.com/u/r.git"}},
		{"github:u/r#abc", Source{Kind: Git, URL: "github:u/r#abc"}},
		{"git@github.com:u/r.git", Source{Kind: Git, URL: "git@github.com:u/r.git"}},
		{"file:../a", Source{Kind: Path, URL: "../a"}},
		{"packages/a", Source{Kind: Path, URL: "packages/a"}},
		{"../a", Source{Kind: Path, URL: "../a"}},
		{"ftp://example.com/a.tgz", Source{Kind: URL, URL: "ftp://example.com/a.tgz"}},
		{"https://%zz", Source{Kind: URL, URL: "https://%zz"}},
	}
	for _, tt := range tests {
		if got := npmResolved(tt.in); got != tt.want {
			t.Errorf("npmResolved(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestNPMSpecSource(t *testing.T) {
	tests := []struct {
		in   string
		want Source
	}{
		{"^1.0.0", Source{Kind: Registry}},
		{"latest", Source{Kind: Registry}},
		{"npm:lodash@^4", Source{Kind: Registry}},
		{"user/repo", Source{Kind: Git, URL: "user/repo"}},
		{"user/repo#v1", Source{Kind: Git, URL: "user/repo#v1"}},
		{"link:../x", Source{Kind: Path, URL: "../x"}},
		{"portal:../x", Source{Kind: Path, URL: "../x"}},
		{"./x", Source{Kind: Path, URL: "./x"}},
		{"~/x", Source{Kind: Path, URL: "~/x"}},
		{"https://example.com/x.tgz", Source{Kind: URL, URL: "https://example.com/x.tgz"}},
	}
	for _, tt := range tests {
		if got := npmSpecSource(tt.in); got != tt.want {
			t.Errorf("npmSpecSource(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzPackageLock(f *testing.F) {
	npmSeeds(f, "package-lock.json", "npm-shrinkwrap.json", ".package-lock.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		file := npmMapFile("package-lock.json", nil)
		pkgs, err := parsePackageLock(context.Background(), file, data)
		npmCheckResult(t, file.Display, pkgs, err)
	})
}

// npmBigLock returns a lockfileVersion 3 file of n packages shaped like
// real ones: a quarter nested, a tenth dev, each with an integrity hash,
// dependencies and engines.
func npmBigLock(n int) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"name\": \"big\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n")
	b.WriteString("    \"\": {\n      \"name\": \"big\",\n      \"version\": \"1.0.0\"\n    }")
	for i := range n {
		key := fmt.Sprintf("node_modules/pkg-%d", i)
		if i%4 == 3 {
			key = fmt.Sprintf("node_modules/pkg-%d/node_modules/@scope/dep-%d", i-1, i)
		}
		name := key[strings.LastIndex(key, "node_modules/")+len("node_modules/"):]
		fmt.Fprintf(&b, ",\n    %q: {\n", key)
		fmt.Fprintf(&b, "      \"version\": \"%d.%d.%d\",\n", i%7, i%13, i%101)
		fmt.Fprintf(&b, "      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-%d.%d.%d.tgz\",\n", name, path.Base(name), i%7, i%13, i%101)
		b.WriteString("      \"integrity\": \"sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==\",\n")
		if i%10 == 0 {
			b.WriteString("      \"dev\": true,\n")
		}
		b.WriteString("      \"license\": \"MIT\",\n      \"dependencies\": {\n")
		for d := range 3 {
			fmt.Fprintf(&b, "        \"pkg-%d\": \"^%d.0.0\",\n", (i+d+1)%n, d)
		}
		b.WriteString("        \"ms\": \"2.1.2\"\n      },\n      \"engines\": {\n        \"node\": \">=14\"\n      }\n    }")
	}
	b.WriteString("\n  }\n}\n")
	return b.Bytes()
}

func TestPackageLockBig(t *testing.T) {
	const n = 25000
	pkgs, err := parsePackageLock(context.Background(), npmMapFile("package-lock.json", nil), npmBigLock(n))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != n {
		t.Errorf("got %d packages, want %d", len(pkgs), n)
	}
	if last := pkgs[len(pkgs)-1]; last.Name != fmt.Sprintf("@scope/dep-%d", n-1) || last.Location.Line < 10*n {
		t.Errorf("last package = %+v", last)
	}
}

func BenchmarkPackageLock25k(b *testing.B) {
	data := npmBigLock(25000)
	f := npmMapFile("package-lock.json", data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		pkgs, err := packageLockParser{}.Parse(context.Background(), f)
		if err != nil || len(pkgs) != 25000 {
			b.Fatal(len(pkgs), err)
		}
	}
}
