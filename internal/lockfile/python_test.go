package lockfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// pyFS holds the Python fixtures.
var pyFS = os.DirFS("testdata/python")

// pyFile is the fixture at p, displayed as p.
func pyFile(p string) File { return File{FS: pyFS, Path: p, Display: p} }

// pyPkg is a package declared at file:line, from src.
func pyPkg(file string, line int, name, version string, src Source) Package {
	return Package{Ecosystem: ecosystem.PyPI, Name: name, Version: version, Location: Location{Path: file, Line: line}, Source: src}
}

// pyDev marks p development-only.
func pyDev(p Package) Package { p.Dev = true; return p }

// pyPublic is the source of packages from PyPI.
var pyPublic = Source{Kind: Registry}

// pyInternal is the source of packages from the fixtures' private index.
var pyInternal = Source{Kind: Registry, URL: "https://pypi.internal.example.com/simple"}

// pyCase is a fixture and what parsing it gives: packages or an error
// message (with its file and line).
type pyCase struct {
	name    string
	file    string
	want    []Package
	wantErr string
}

func pyRun(t *testing.T, p Parser, cases []pyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := p.Parse(context.Background(), pyFile(c.file))
			pyCheckError(t, err, c.wantErr)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.file, diff)
			}
		})
	}
}

// pyCheckError checks that err has the message want ("" for no error) and
// is an *Error.
func pyCheckError(t *testing.T, err error, want string) {
	t.Helper()
	got := ""
	if err != nil {
		got = err.Error()
		var le *Error
		if !errors.As(err, &le) {
			t.Errorf("error %q is a %T, want a *lockfile.Error", got, err)
		}
	}
	if got != want {
		t.Errorf("error:\n got %q\nwant %q", got, want)
	}
}

// pyCheckFuzzed checks what any input may give: an *Error, or packages of
// PyPI each with a location in a file and a name unless it comes from
// outside a registry.
func pyCheckFuzzed(t *testing.T, pkgs []Package, err error) {
	t.Helper()
	if err != nil {
		var le *Error
		if !errors.As(err, &le) {
			t.Fatalf("error %q is a %T, want a *lockfile.Error", err, err)
		}
		if pkgs != nil {
			t.Fatalf("packages %v with error %v", pkgs, err)
		}
		return
	}
	for _, p := range pkgs {
		if p.Ecosystem != ecosystem.PyPI || p.Location.Path == "" || p.Location.Line < 1 {
			t.Fatalf("bad package %+v", p)
		}
		if p.Name == "" && (p.Source.Kind == Registry || p.Source.Kind == "") {
			t.Fatalf("registry package without a name: %+v", p)
		}
	}
}

// pySeed adds the fixtures named to the corpus of f.
func pySeed(f *testing.F, files ...string) {
	f.Helper()
	for _, name := range files {
		data, err := fs.ReadFile(pyFS, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// pyFuzz fuzzes p with inputs at name in an FS, seeded with files.
func pyFuzz(f *testing.F, p Parser, name string, files ...string) {
	pySeed(f, files...)
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{name: {Data: data}}
		pkgs, err := p.Parse(context.Background(), File{FS: fsys, Path: name, Display: name})
		pyCheckFuzzed(t, pkgs, err)
	})
}

func TestPythonMatch(t *testing.T) {
	tests := []struct {
		path string
		want string // parser name, "" for none
	}{
		{"requirements.txt", "requirements.txt"},
		{"sub/dir/requirements-dev.txt", "requirements.txt"},
		{"requirements_test.txt", "requirements.txt"},
		{"Requirements.txt", "requirements.txt"},
		{"requirements/base.txt", "requirements.txt"},
		{"app/requirements/prod.txt", "requirements.txt"},
		{"requirements.in", ""},
		{"docs/notes.txt", ""},
		{"requirements/notes.md", ""},
		{"poetry.lock", "poetry.lock"},
		{"a/poetry.lock", "poetry.lock"},
		{"Pipfile.lock", "Pipfile.lock"},
		{"Pipfile", ""},
		{"uv.lock", "uv.lock"},
		{"pdm.lock", "pdm.lock"},
		{"pylock.toml", "pylock.toml"},
		{"pylock.dev.toml", "pylock.toml"},
		{"pylock..toml", ""},
		{"pyproject.toml", ""},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.path, "/", "_"), func(t *testing.T) {
			got := ""
			if p := For(pythonParsers(), tt.path); p != nil {
				got = p.Name()
			}
			if got != tt.want {
				t.Errorf("For(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestPyLocation(t *testing.T) {
	tests := []struct {
		loc           string
		want          Source
		name, version string
	}{
		{"git+https://github.com/a/b.git@v1#egg=b-pkg", Source{Kind: Git, URL: "https://github.com/a/b.git@v1"}, "b-pkg", ""},
		{"git+ssh://git@github.com/a/b.git", Source{Kind: Git, URL: "ssh://github.com/a/b.git"}, "", ""},
		{"git://github.com/a/b.git#egg=b[extra]", Source{Kind: Git, URL: "git://github.com/a/b.git"}, "b", ""},
		{"hg+https://hg.example.com/r#egg=r", Source{Kind: URL, URL: "https://hg.example.com/r"}, "r", ""},
		{"svn+svn://svn.example.com/r", Source{Kind: URL, URL: "svn://svn.example.com/r"}, "", ""},
		{"https://x.example/p/foo_bar-1.0-py3-none-any.whl", Source{Kind: URL, URL: "https://x.example/p/foo_bar-1.0-py3-none-any.whl"}, "foo_bar", "1.0"},
		{"https://x.example/foo-1.0-1-py3-none-any.whl?x=1", Source{Kind: URL, URL: "https://x.example/foo-1.0-1-py3-none-any.whl?x=1"}, "foo", "1.0"},
		{"https://x.example/not-a-wheel.whl", Source{Kind: URL, URL: "https://x.example/not-a-wheel.whl"}, "", ""},
		{"https://x.example/my-pkg-2.0rc1.tar.gz#sha256=00", Source{Kind: URL, URL: "https://x.example/my-pkg-2.0rc1.tar.gz"}, "my-pkg", "2.0rc1"},
		{"https://x.example/archive.zip", Source{Kind: URL, URL: "https://x.example/archive.zip"}, "", ""},
		{"https://u:p@x.example/a-1.zip", Source{Kind: URL, URL: "https://x.example/a-1.zip"}, "a", "1"},
		{"file:///opt/w/a-1.0-py3-none-any.whl", Source{Kind: Path, URL: "file:///opt/w/a-1.0-py3-none-any.whl"}, "a", "1.0"},
		{"./dir", Source{Kind: Path, URL: "./dir"}, "", ""},
		{`C:\wheels\a-1.0.tar.gz`, Source{Kind: Path, URL: `C:\wheels\a-1.0.tar.gz`}, "a", "1.0"},
		{"s3://bucket/a-1.0.tar.gz", Source{Kind: URL, URL: "s3://bucket/a-1.0.tar.gz"}, "a", "1.0"},
	}
	for _, tt := range tests {
		src, name, version := pyLocation(tt.loc)
		if diff := cmp.Diff([]any{tt.want, tt.name, tt.version}, []any{src, name, version}); diff != "" {
			t.Errorf("pyLocation(%q) (-want +got):\n%s", tt.loc, diff)
		}
	}
}

func TestPyRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:token@host.example/simple", "https://host.example/simple"},
		{"https://ghp_x@github.com/a/b.git", "https://github.com/a/b.git"},
		{"https://host.example/a@b", "https://host.example/a@b"},
		{"ssh://git@host.example:22/r", "ssh://host.example:22/r"},
		{"git@github.com:a/b.git", "git@github.com:a/b.git"},
		{"./path", "./path"},
	}
	for _, tt := range tests {
		if got := pyRedact(tt.in); got != tt.want {
			t.Errorf("pyRedact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPyRegistry(t *testing.T) {
	tests := []struct {
		url  string
		want Source
	}{
		{"", pyPublic},
		{"https://pypi.org/simple", pyPublic},
		{"https://PyPI.org:443/simple/", pyPublic},
		{"https://pypi.python.org/simple", pyPublic},
		{"https://test.pypi.org/simple", Source{Kind: Registry, URL: "https://test.pypi.org/simple"}},
		{"https://pypi.org.evil.example/simple", Source{Kind: Registry, URL: "https://pypi.org.evil.example/simple"}},
		{"https://u:p@pypi.internal.example.com/simple", pyInternal},
	}
	for _, tt := range tests {
		if got := pyRegistry(tt.url); got != tt.want {
			t.Errorf("pyRegistry(%q) = %+v, want %+v", tt.url, got, tt.want)
		}
	}
}

// pyHostileTOML are inputs every TOML parser must refuse, with the line
// of the error; %s is the name of the array of tables.
var pyHostileTOML = []struct {
	name, data string
	line       int
	wantErr    string
}{
	{"nested-arrays", "[[%s]]\nname = \"a\"\nx = " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", 3, "values nested more than 64 deep"},
	{"nested-inline-tables", "[[%s]]\nname = \"a\"\nx = " + strings.Repeat("{a=", 100) + "1" + strings.Repeat("}", 100) + "\n", 3, "values nested more than 64 deep"},
	{"very-nested", "x = " + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + "\n", 1, ""},
	{"long-dotted-key", "[[%s]]\nname = \"a\"\n" + strings.Repeat("a.", 100) + "a = 1\n", 3, "key with more than 64 parts"},
	{"long-table-key", "[" + strings.Repeat("a.", 100) + "a]\n", 1, "key with more than 64 parts"},
	{"invalid-utf8", "[[%s]]\nname = \"a\xff\"\n", 2, "invalid UTF-8 at byte"},
	{"nul", "[[%s]]\nname = \"a\x00\"\n", 2, ""},
	{"truncated", "[[%s]]\nname = \"a\"\n[[%s", 3, ""},
	{"no-name", "[[%s]]\nversion = \"1\"\n", 1, "without a name"},
	{"wrong-type", "[[%s]]\nname = [\"a\"]\n", 1, ".name is an array, want a string"},
	{"not-tables", "%s = [1, 2]\n", 1, ": element 1 is an integer, want a table"},
	{"inline-table", "%s = {name = \"a\"}\n", 1, "is not an array of tables"},
	{"plain-table", "[%s]\nname = \"a\"\n", 1, "is a table; want"},
}

// pyTOMLParsers are the parsers of TOML lock files and the name of their
// array of package tables.
var pyTOMLParsers = []struct {
	p   Parser
	key string
}{
	{poetryLockParser{}, "package"},
	{uvLockParser{}, "package"},
	{pdmLockParser{}, "package"},
	{pylockParser{}, "packages"},
}

func TestPythonHostileTOML(t *testing.T) {
	for _, ps := range pyTOMLParsers {
		for _, tt := range pyHostileTOML {
			t.Run(ps.p.Name()+"/"+tt.name, func(t *testing.T) {
				data := strings.ReplaceAll(tt.data, "%s", ps.key)
				f := File{FS: fstest.MapFS{"f": {Data: []byte(data)}}, Path: "f", Display: "f"}
				pkgs, err := ps.p.Parse(context.Background(), f)
				var le *Error
				if !errors.As(err, &le) {
					t.Fatalf("Parse = %v, %v; want a *lockfile.Error", pkgs, err)
				}
				if le.Line != tt.line || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q, want line %d and %q", err, tt.line, tt.wantErr)
				}
			})
		}
	}
}

// TestPythonTOMLInlineArray checks the lines of packages written as a
// top-level array of inline tables rather than [[package]] headers.
func TestPythonTOMLInlineArray(t *testing.T) {
	for _, ps := range pyTOMLParsers {
		t.Run(ps.p.Name(), func(t *testing.T) {
			data := ps.key + " = [\n  {name = \"a\", version = \"1\"},\n\n  {name = \"b\", version = \"2\"},\n]\n"
			f := File{FS: fstest.MapFS{"f": {Data: []byte(data)}}, Path: "f", Display: "f"}
			got, err := ps.p.Parse(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			want := []Package{pyPkg("f", 2, "a", "1", pyPublic), pyPkg("f", 4, "b", "2", pyPublic)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPythonTOMLExactKeys checks that keys differing in case are other
// keys, as for the installers: go-toml's struct decoding would take
// "NAME" for "name" and restart the list at [[PACKAGE]].
func TestPythonTOMLExactKeys(t *testing.T) {
	for _, ps := range pyTOMLParsers {
		t.Run(ps.p.Name(), func(t *testing.T) {
			data := strings.ReplaceAll("[[%s]]\nname = \"a\"\nNAME = 1\n\n[[%s]]\nname = \"b\"\n[[PACKAGE]]\nname = 1\n[[PACKAGES]]\nname = 1\n", "%s", ps.key)
			f := File{FS: fstest.MapFS{"f": {Data: []byte(data)}}, Path: "f", Display: "f"}
			got, err := ps.p.Parse(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			want := []Package{pyPkg("f", 1, "a", "", pyPublic), pyPkg("f", 5, "b", "", pyPublic)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestPythonTOMLTypes checks the errors for values of the wrong type.
func TestPythonTOMLTypes(t *testing.T) {
	tests := []struct {
		p             Parser
		data, wantErr string
	}{
		{poetryLockParser{}, "[[package]]\nname = \"a\"\ngroups = [\"main\", 1]\n", "f:1: package.groups is an array, want an array of strings"},
		{poetryLockParser{}, "[[package]]\nname = \"a\"\n[package.source]\ntype = 1\n", "f:1: package.source.type is an integer, want a string"},
		{uvLockParser{}, "[[package]]\nname = \"a\"\nsource = { registry = 1979-05-27 }\n", "f:1: package.source.registry is a date or time, want a string"},
		{pdmLockParser{}, "[[package]]\nname = \"a\"\ngit = true\n", "f:1: package.git is a boolean, want a string"},
		{pylockParser{}, "[[packages]]\nname = \"a\"\nvcs = 1.5\n", "f:1: packages.vcs is a float, want a table"},
		{pylockParser{}, "[[packages]]\nname = \"a\"\n[packages.archive]\nurl = []\n", "f:1: packages.archive.url is an array, want a string"},
	}
	for _, tt := range tests {
		t.Run(tt.p.Name(), func(t *testing.T) {
			f := File{FS: fstest.MapFS{"f": {Data: []byte(tt.data)}}, Path: "f", Display: "f"}
			got, err := tt.p.Parse(context.Background(), f)
			pyCheckError(t, err, tt.wantErr)
			if got != nil {
				t.Errorf("got packages %v with an error", got)
			}
		})
	}
}

func TestPythonLarge(t *testing.T) {
	const n = 20000
	var b strings.Builder
	for range n {
		b.WriteString("[[package]]\nname = \"p\"\nversion = \"1.0\"\nfiles = [{file = \"p.whl\", hash = \"sha256:00\"}]\n\n")
	}
	f := File{FS: fstest.MapFS{"uv.lock": {Data: []byte(b.String())}}, Path: "uv.lock", Display: "uv.lock"}
	pkgs, err := uvLockParser{}.Parse(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != n || pkgs[n-1].Location.Line != (n-1)*5+1 {
		t.Errorf("got %d packages, the last at line %d; want %d, at %d", len(pkgs), pkgs[len(pkgs)-1].Location.Line, n, (n-1)*5+1)
	}
}

func TestPythonCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		p    Parser
		data string
	}{
		{requirementsParser{}, strings.Repeat("a==1\n", 1000)},
		{poetryLockParser{}, "[[package]]\nname = \"a\"\n"},
		{pipfileLockParser{}, `{"default": {"a": {"version": "==1"}}}`},
		{uvLockParser{}, "[[package]]\nname = \"a\"\n"},
		{pdmLockParser{}, "[[package]]\nname = \"a\"\n"},
		{pylockParser{}, "[[packages]]\nname = \"a\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.p.Name(), func(t *testing.T) {
			f := File{FS: fstest.MapFS{"f": {Data: []byte(tt.data)}}, Path: "f", Display: "f"}
			if _, err := tt.p.Parse(ctx, f); !errors.Is(err, context.Canceled) {
				t.Errorf("Parse with a canceled context = %v, want context.Canceled", err)
			}
		})
	}
}

func TestPythonUnreadable(t *testing.T) {
	for _, ps := range pythonParsers() {
		t.Run(ps.Name(), func(t *testing.T) {
			_, err := ps.Parse(context.Background(), pyFile("does-not-exist"))
			var le *Error
			if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &le) || le.Path != "does-not-exist" {
				t.Errorf("Parse = %v, want a *lockfile.Error for fs.ErrNotExist", err)
			}
		})
	}
}
