package lockfile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestRequirements(t *testing.T) {
	const req = "requirements.txt"
	path := func(p string) Source { return Source{Kind: Path, URL: p} }
	git := func(u string) Source { return Source{Kind: Git, URL: u} }
	url := func(u string) Source { return Source{Kind: URL, URL: u} }
	included := []Package{
		pyPkg("base.txt", 2, "packaging", "24.0", pyPublic),
		pyPkg("common/common.txt", 1, "idna", "3.6", pyPublic),
		pyPkg("constraints.txt", 1, "charset-normalizer", "3.3.2", pyPublic),
	}
	pyRun(t, requirementsParser{}, []pyCase{
		{
			name: "forms",
			file: req,
			want: append(included,
				pyPkg(req, 8, "Django", "4.2.11", pyPublic),
				pyPkg(req, 9, "requests", "2.31.0", pyPublic),
				pyPkg(req, 10, "flask", "", pyPublic),
				pyPkg(req, 11, "numpy", "", pyPublic),
				pyPkg(req, 12, "six", "", pyPublic),
				pyPkg(req, 13, "urllib3", "1.26.18", pyPublic),
				pyPkg(req, 14, "gunicorn", "21.2.0", pyPublic),
				pyPkg(req, 15, "certifi", "2024.2.2", pyPublic),
				pyPkg(req, 18, "pywin32", "306", pyPublic),
				pyPkg(req, 19, "attrs", "23.2.0", pyPublic),
				pyPkg(req, 20, "Jinja2", "", pyPublic),
				pyPkg(req, 21, "", "", path("./libs/internal-lib")),
				pyPkg(req, 22, "editable-pkg", "", git("https://github.com/example/editable-pkg.git@main")),
				pyPkg(req, 23, "mylib", "", git("https://github.com/example/mylib.git@v1.2.0")),
				pyPkg(req, 24, "bare-pkg", "", git("https://github.com/example/bare.git")),
				pyPkg(req, 25, "torch", "2.2.0", url("https://files.example.com/wheels/torch-2.2.0-cp311-cp311-linux_x86_64.whl")),
				pyPkg(req, 26, "simplejson", "3.19.2", url("https://example.com/archive/simplejson-3.19.2.tar.gz")),
				pyPkg(req, 27, "localpkg", "1.0", path("./vendor/localpkg-1.0.tar.gz")),
				pyPkg(req, 28, "PyYAML", "6.0.1", path("file:///opt/wheels/PyYAML-6.0.1-cp311-cp311-linux_x86_64.whl")),
				pyPkg(req, 29, "tzdata", "2024.1", url("https://private.example.com/tzdata-2024.1-py2.py3-none-any.whl")),
				pyPkg(req, 33, "hgpkg", "", url("https://hg.example.com/repo")),
				pyPkg(req, 35, "python-dateutil", "2.9.0.post0", pyPublic),
				pyPkg(req, 37, "typing_extensions", "4.10.0", pyPublic),
			),
		},
		{
			name: "private-index-only",
			file: "requirements-private.txt",
			want: []Package{
				pyPkg("requirements-private.txt", 3, "internal-tool", "1.0.0", pyInternal),
				pyPkg("requirements-private.txt", 4, "requests", "2.31.0", pyInternal),
				pyPkg("requirements-private.txt", 5, "x", "", git("https://github.com/example/x.git")),
			},
		},
		{
			name: "extra-index-beside-pypi",
			file: "requirements-extra.txt",
			want: []Package{pyPkg("requirements-extra.txt", 3, "internal-tool", "1.0.0", pyPublic)},
		},
		{
			name: "two-private-indexes",
			file: "requirements-two.txt",
			want: []Package{pyPkg("requirements-two.txt", 3, "internal-tool", "1.0.0", pyPublic)},
		},
		{
			name: "bom-crlf",
			file: "requirements-bom.txt",
			want: []Package{
				pyPkg("requirements-bom.txt", 1, "requests", "2.31.0", pyPublic),
				pyPkg("requirements-bom.txt", 2, "six", "1.16.0", pyPublic),
			},
		},
		{
			name: "requirements-dir",
			file: "requirements/dev.txt",
			want: append(included[:3:3], pyPkg("requirements/dev.txt", 2, "pytest", "8.1.1", pyPublic)),
		},
		{name: "cycle", file: "cycle/requirements.txt", wantErr: `cycle/a.txt:2: --requirement "requirements.txt": include cycle cycle/requirements.txt -> cycle/a.txt -> cycle/requirements.txt`},
		{name: "escape", file: "escape/requirements.txt", wantErr: `escape/requirements.txt:2: --requirement "../../outside.txt": outside the project directory`},
		{name: "escape-absolute", file: "escape/absolute.txt", wantErr: `escape/absolute.txt:1: --requirement "/etc/passwd": an absolute path; only files inside the project are read`},
		{name: "escape-backslash", file: "escape/backslash.txt", wantErr: `escape/backslash.txt:1: --requirement "..\\..\\outside.txt": outside the project directory`},
		{name: "missing-include", file: "bad/missing-include.txt", wantErr: `bad/missing-include.txt:2: --requirement "does-not-exist.txt": open bad/does-not-exist.txt: no such file or directory`},
		{name: "bad-name", file: "bad/name.txt", wantErr: `bad/name.txt:2: invalid requirement "!!!garbage": no valid package name`},
		{name: "bad-specifier", file: "bad/specifier.txt", wantErr: `bad/specifier.txt:1: invalid requirement "requests 2.31.0": "2.31.0" is not a version specifier`},
		{name: "no-version", file: "bad/no-version.txt", wantErr: `bad/no-version.txt:1: invalid requirement "requests==": no version after ==`},
		{name: "unclosed-quote", file: "bad/quote.txt", wantErr: `bad/quote.txt:1: no closing quotation in options "--hash=\"sha256:abc"`},
		{name: "option-without-value", file: "bad/option-value.txt", wantErr: `bad/option-value.txt:1: option --requirement needs a value`},
		{name: "unclosed-extras", file: "bad/extras.txt", wantErr: `bad/extras.txt:1: invalid requirement "requests[socks==2.31.0": extras not closed with ]`},
		{name: "invalid-utf8", file: "bad/utf8.txt", wantErr: `bad/utf8.txt:2: invalid UTF-8 at byte 34`},
	})
}

// TestRequirementsLine checks single lines, without includes.
func TestRequirementsLine(t *testing.T) {
	tests := []struct {
		line    string
		want    []Package // at line 1 of "r.txt"
		wantErr string
	}{
		{line: "a==1", want: []Package{pyPkg("r.txt", 1, "a", "1", pyPublic)}},
		{line: "a == 1 ; extra == 'x'", want: []Package{pyPkg("r.txt", 1, "a", "1", pyPublic)}},
		{line: "a===foo-bar", want: []Package{pyPkg("r.txt", 1, "a", "foo-bar", pyPublic)}},
		{line: "a==1.0+local.7", want: []Package{pyPkg("r.txt", 1, "a", "1.0+local.7", pyPublic)}},
		{line: "a==1.*", want: []Package{pyPkg("r.txt", 1, "a", "", pyPublic)}},
		{line: "a>=1,==1.2", want: []Package{pyPkg("r.txt", 1, "a", "1.2", pyPublic)}},
		{line: "a==1,==2", want: []Package{pyPkg("r.txt", 1, "a", "", pyPublic)}},
		{line: "a==${VERSION}", want: []Package{pyPkg("r.txt", 1, "a", "", pyPublic)}},
		{line: "a!=1", want: []Package{pyPkg("r.txt", 1, "a", "", pyPublic)}},
		{line: "a[b, c] (>1)", want: []Package{pyPkg("r.txt", 1, "a", "", pyPublic)}},
		{line: "a;python_version<'3'", want: []Package{pyPkg("r.txt", 1, "a", "", pyPublic)}},
		{line: "a==1 --hash sha256:00 --config-settings=k=v", want: []Package{pyPkg("r.txt", 1, "a", "1", pyPublic)}},
		{line: "a==1\t# tab comment", want: []Package{pyPkg("r.txt", 1, "a", "1", pyPublic)}},
		{line: "a==1 -r other.txt", want: []Package{pyPkg("r.txt", 1, "a", "1", pyPublic)}}, // pip reads no -r on a requirement line
		{line: "a@https://x.example/a-1.0-py3-none-any.whl", want: []Package{pyPkg("r.txt", 1, "a", "1.0", Source{Kind: URL, URL: "https://x.example/a-1.0-py3-none-any.whl"})}},
		{line: "a @ https://x.example/b-1.0-py3-none-any.whl", want: []Package{pyPkg("r.txt", 1, "a", "", Source{Kind: URL, URL: "https://x.example/b-1.0-py3-none-any.whl"})}},
		{line: "a @ file:///src/a ; python_version > '3'", want: []Package{pyPkg("r.txt", 1, "a", "", Source{Kind: Path, URL: "file:///src/a"})}},
		{line: "https://x.example/a.zip;python_version>'3'", want: []Package{pyPkg("r.txt", 1, "", "", Source{Kind: URL, URL: "https://x.example/a.zip;python_version>'3'"})}},
		{line: "https://x.example/a.zip; python_version>'3'", want: []Package{pyPkg("r.txt", 1, "", "", Source{Kind: URL, URL: "https://x.example/a.zip"})}},
		{line: "-e .", want: []Package{pyPkg("r.txt", 1, "", "", Source{Kind: Path, URL: "."})}},
		{line: "-e .[dev]", want: []Package{pyPkg("r.txt", 1, "", "", Source{Kind: Path, URL: "."})}},
		{line: "-e.", want: []Package{pyPkg("r.txt", 1, "", "", Source{Kind: Path, URL: "."})}},
		{line: "--editable=src/pkg#egg=pkg", want: []Package{pyPkg("r.txt", 1, "pkg", "", Source{Kind: Path, URL: "src/pkg"})}},
		{line: "--edit 'dir with space'", want: []Package{pyPkg("r.txt", 1, "", "", Source{Kind: Path, URL: "dir with space"})}},
		{line: "./pkgs/a-1.0-py3-none-any.whl[x]", want: []Package{pyPkg("r.txt", 1, "a", "1.0", Source{Kind: Path, URL: "./pkgs/a-1.0-py3-none-any.whl"})}},
		{line: "a-1.0.tar.gz", want: []Package{pyPkg("r.txt", 1, "a", "1.0", Source{Kind: Path, URL: "a-1.0.tar.gz"})}},
		{line: `..\pkgs\a`, want: []Package{pyPkg("r.txt", 1, "", "", Source{Kind: Path, URL: `..\pkgs\a`})}},
		{line: "--pre"},
		{line: "-f ./wheels --no-binary :all: --prefer-binary --only-binary=:none: --trusted-host h --use-feature x --require-hashes --no-index"},
		{line: "--unknown-option value"},
		{line: "--hash=sha256:00 a==1"}, // options first: no requirement, as for pip
		{line: "# only a comment"},
		{line: "   "},
		{line: "a=1", wantErr: `r.txt:1: invalid requirement "a=1": "=1" is not a version specifier`},
		{line: "a==1 2", wantErr: `r.txt:1: invalid requirement "a==1 2": invalid version "1 2"`},
		{line: "a (==1", wantErr: `r.txt:1: invalid requirement "a (==1": specifier not closed with )`},
		{line: "a[b!] ==1", wantErr: `r.txt:1: invalid requirement "a[b!] ==1": invalid extra "b!"`},
		{line: "a @", wantErr: `r.txt:1: invalid requirement "a @": no URL after @`},
		{line: "-a", want: nil},
		{line: "-e", wantErr: `r.txt:1: option --editable needs a value`},
		{line: "--no", want: nil}, // ambiguous: --no-index, --no-binary
	}
	for _, tt := range tests {
		t.Run(strings.NewReplacer(" ", "_", "/", "_").Replace(tt.line), func(t *testing.T) {
			f := File{FS: fstest.MapFS{"r.txt": {Data: []byte(tt.line + "\n")}}, Path: "r.txt", Display: "r.txt"}
			got, err := requirementsParser{}.Parse(context.Background(), f)
			pyCheckError(t, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%q (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

func TestRequirementsLines(t *testing.T) {
	type line struct {
		N    int
		Text string
	}
	tests := []struct {
		in   string
		want []line
	}{
		{"a\nb", []line{{1, "a"}, {2, "b"}}},
		{"a \\\n  b\nc", []line{{1, "a   b"}, {3, "c"}}},
		{"a \\\n\\\n\\\nb", []line{{1, "a b"}}},
		{"a \\\n# c\nb", []line{{1, "a  # c"}, {3, "b"}}},
		{"a \\", []line{{1, "a "}}},
		{"a \\ \nb", []line{{1, "a \\ "}, {2, "b"}}},
		{"a\r\nb\r\n", []line{{1, "a"}, {2, "b"}}},
		{"\n\n", []line{{1, ""}, {2, ""}}},
		{"", nil},
	}
	for _, tt := range tests {
		var got []line
		err := requirementsLines([]byte(tt.in), func(n int, text string) error {
			got = append(got, line{n, text})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("requirementsLines(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestRequirementsIndexes(t *testing.T) {
	const private = "https://pypi.internal.example.com/simple"
	tests := []struct {
		name string
		ix   requirementsIndexes
		want bool
	}{
		{"none", requirementsIndexes{}, false},
		{"pypi", requirementsIndexes{index: "https://pypi.org/simple"}, false},
		{"private", requirementsIndexes{index: private}, true},
		{"private-twice", requirementsIndexes{index: private, extra: []string{private + "/"}}, true},
		{"private-and-pypi", requirementsIndexes{index: private, extra: []string{"https://pypi.org/simple"}}, false},
		{"pypi-and-private", requirementsIndexes{index: "https://pypi.org/simple", extra: []string{private}}, false},
		{"extra-only", requirementsIndexes{extra: []string{private}}, false},
		{"two-private", requirementsIndexes{index: private, extra: []string{"https://other.example/simple"}}, false},
		{"variable", requirementsIndexes{index: "${PIP_INDEX_URL}"}, false},
		{"variable-host", requirementsIndexes{index: "https://${HOST}/simple"}, false},
		{"relative", requirementsIndexes{index: "./index"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, got := tt.ix.private()
			if got != tt.want || got && src != pyInternal {
				t.Errorf("private() = %+v, %v; want %v", src, got, tt.want)
			}
		})
	}
}

// TestRequirementsIncludes checks the bounds on includes, on generated
// files.
func TestRequirementsIncludes(t *testing.T) {
	chain := func(n int) fstest.MapFS {
		fsys := fstest.MapFS{}
		for i := range n {
			fsys[fmt.Sprintf("r%d.txt", i)] = &fstest.MapFile{Data: fmt.Appendf(nil, "p%d==1\n-r r%d.txt\n", i, i+1)}
		}
		fsys[fmt.Sprintf("r%d.txt", n)] = &fstest.MapFile{Data: []byte("last==1\n")}
		return fsys
	}
	// diamond: each of 40 levels includes the next twice, 2^40 paths.
	diamond := fstest.MapFS{}
	for i := range 40 {
		diamond[fmt.Sprintf("d%d.txt", i)] = &fstest.MapFile{Data: fmt.Appendf(nil, "-r d%d.txt\n-c ./d%d.txt\n", i+1, i+1)}
	}
	diamond["d40.txt"] = &fstest.MapFile{Data: []byte("leaf==1\n")}

	t.Run("depth-64", func(t *testing.T) {
		pkgs, err := requirementsParser{}.Parse(context.Background(), File{FS: chain(64), Path: "r0.txt", Display: "r0.txt"})
		if err != nil || len(pkgs) != 65 {
			t.Errorf("Parse = %d packages, %v; want 65, nil", len(pkgs), err)
		}
	})
	t.Run("depth-65", func(t *testing.T) {
		_, err := requirementsParser{}.Parse(context.Background(), File{FS: chain(65), Path: "r0.txt", Display: "r0.txt"})
		pyCheckError(t, err, `r64.txt:2: --requirement "r65.txt": files included more than 64 deep`)
	})
	t.Run("diamond", func(t *testing.T) {
		got, err := requirementsParser{}.Parse(context.Background(), File{FS: diamond, Path: "d0.txt", Display: "d0.txt"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]Package{pyPkg("d40.txt", 1, "leaf", "1", pyPublic)}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("self", func(t *testing.T) {
		fsys := fstest.MapFS{"requirements.txt": {Data: []byte("a==1\n-r ./requirements.txt\n")}}
		_, err := requirementsParser{}.Parse(context.Background(), File{FS: fsys, Path: "requirements.txt", Display: "requirements.txt"})
		pyCheckError(t, err, `requirements.txt:2: --requirement "./requirements.txt": include cycle requirements.txt -> requirements.txt`)
	})
	t.Run("url", func(t *testing.T) {
		fsys := fstest.MapFS{"requirements.txt": {Data: []byte("-r https://example.com/r.txt\na==1\n")}}
		got, err := requirementsParser{}.Parse(context.Background(), File{FS: fsys, Path: "requirements.txt", Display: "requirements.txt"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]Package{pyPkg("requirements.txt", 2, "a", "1", pyPublic)}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("display", func(t *testing.T) {
		fsys := fstest.MapFS{
			"app/requirements.txt": {Data: []byte("-r ../shared/base.txt\n")},
			"shared/base.txt":      {Data: []byte("a==1\n")},
		}
		for display, want := range map[string]string{
			"proj/app/requirements.txt": "proj/shared/base.txt",
			"app/requirements.txt":      "shared/base.txt",
			"/abs/app/requirements.txt": "/abs/shared/base.txt",
			"elsewhere/r.txt":           "shared/base.txt",
		} {
			got, err := requirementsParser{}.Parse(context.Background(), File{FS: fsys, Path: "app/requirements.txt", Display: display})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]Package{pyPkg(want, 1, "a", "1", pyPublic)}, got); diff != "" {
				t.Errorf("display %s (-want +got):\n%s", display, diff)
			}
		}
	})
	t.Run("total-size", func(t *testing.T) {
		defer func(n int64) { maxFileBytes = n }(maxFileBytes)
		maxFileBytes = 100
		fsys := fstest.MapFS{
			"requirements.txt": {Data: []byte("-r a.txt\n-r b.txt\n")},
			"a.txt":            {Data: []byte(strings.Repeat("#", 60))},
			"b.txt":            {Data: []byte(strings.Repeat("#", 60))},
		}
		_, err := requirementsParser{}.Parse(context.Background(), File{FS: fsys, Path: "requirements.txt", Display: "requirements.txt"})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("Parse = %v, want ErrTooLarge", err)
		}
		pyCheckError(t, err, `requirements.txt:2: --requirement "b.txt": file too large: the included files total over 100 bytes`)
	})
}

// TestRequirementsHostile checks that large and odd inputs end in time,
// with an error or packages.
func TestRequirementsHostile(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		pkgs    int
		wantErr string
	}{
		{"long-name", strings.Repeat("a", 1<<20) + "==1\n", 1, ""},
		{"long-continuation", "a==1 " + strings.Repeat("\\\n", 100000) + "\n", 1, ""},
		{"many-backslashes", "a==1" + strings.Repeat("\\", 1<<20) + "\n", 1, ""},
		{"many-lines", strings.Repeat("a==1\n", 100000), 100000, ""},
		{"many-options", "-i " + strings.Repeat("-i x ", 100000) + "\n", 0, ""},
		{"nul", "a==1\x00\n", 0, `f:1: invalid requirement "a==1\x00": invalid version "1\x00"`},
		{"control", "\x1b[31ma==1\n", 0, `f:1: invalid requirement "\x1b[31ma==1": no valid package name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := File{FS: fstest.MapFS{"f": {Data: []byte(tt.data)}}, Path: "f", Display: "f"}
			pkgs, err := requirementsParser{}.Parse(context.Background(), f)
			pyCheckError(t, err, tt.wantErr)
			if len(pkgs) != tt.pkgs {
				t.Errorf("got %d packages, want %d", len(pkgs), tt.pkgs)
			}
		})
	}
}

func FuzzRequirements(f *testing.F) {
	pySeed(f, "requirements.txt", "base.txt", "requirements-private.txt", "requirements-bom.txt",
		"cycle/a.txt", "escape/requirements.txt", "bad/quote.txt", "bad/extras.txt", "bad/utf8.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		// The input includes itself or another copy of itself by any name
		// it uses, so includes, cycles and escapes are explored too.
		fsys := fstest.MapFS{
			"requirements.txt":     {Data: data},
			"base.txt":             {Data: data},
			"sub/requirements.txt": {Data: data},
		}
		pkgs, err := requirementsParser{}.Parse(context.Background(), File{FS: fsys, Path: "sub/requirements.txt", Display: "sub/requirements.txt"})
		pyCheckFuzzed(t, pkgs, err)
	})
}

// BenchmarkRequirements parses a 500-line requirements file as pip-compile
// writes it: pins with hashes on continuation lines, and comments.
func BenchmarkRequirements(b *testing.B) {
	var buf strings.Builder
	for i := 0; buf.Len() == 0 || strings.Count(buf.String(), "\n") < 500; i++ {
		fmt.Fprintf(&buf, "package-%d[extra]==%d.%d.0 ; python_version >= \"3.8\" \\\n", i, i%7, i%13)
		fmt.Fprintf(&buf, "    --hash=sha256:%064x \\\n", i)
		fmt.Fprintf(&buf, "    --hash=sha256:%064x\n", i+1)
		fmt.Fprintf(&buf, "    # via package-%d\n", i+1)
	}
	data := []byte(buf.String())
	f := File{FS: fstest.MapFS{"requirements.txt": {Data: data}}, Path: "requirements.txt", Display: "requirements.txt"}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (requirementsParser{}).Parse(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}
