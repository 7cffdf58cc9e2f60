package rules

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// pkgOf builds a target from path, content pairs.
func pkgOf(kv ...string) *analyze.Target {
	t := &analyze.Target{Name: "test"}
	for i := 0; i+1 < len(kv); i += 2 {
		t.Files = append(t.Files, analyze.File{Path: kv[i], Data: []byte(kv[i+1])})
	}
	return t
}

func TestManifestMismatch(t *testing.T) {
	big := pkgOf("package.json", `{"name": "x", "main": "dist/big.js"}`)
	big.Findings = []finding.Finding{{Rule: "archive-file-too-large", Location: &finding.Location{Path: "dist/big.js"}}}
	tests := []struct {
		name string
		t    *analyze.Target
		want []string
	}{
		{"main present", pkgOf("package.json", `{"name": "x", "main": "lib/index"}`, "lib/index.js", ""), nil},
		{"main directory", pkgOf("package.json", `{"name": "x", "main": "./lib"}`, "lib/index.js", ""), nil},
		{"main missing", pkgOf("package.json", "{\"name\": \"x\",\n \"main\": \"index.js\"}", "lib/x.js", ""), []string{"manifest-mismatch:medium:2"}},
		{"main outside", pkgOf("package.json", `{"name": "x", "main": "../../index.js"}`), []string{"manifest-mismatch:medium:1"}},
		{"main over the size limit", big, nil},
		{"no main", pkgOf("package.json", `{"name": "@types/x"}`, "index.d.ts", ""), nil},
		{"bin present", pkgOf("package.json", `{"name": "x", "bin": {"x": "./cli.js"}}`, "cli.js", ""), nil},
		{"bin missing", pkgOf("package.json", `{"name": "x", "bin": {"x": "cli.js"}}`), []string{"manifest-mismatch:medium:1"}},
		{"bin is a directory", pkgOf("package.json", `{"name": "x", "bin": {"x": "bin"}}`, "bin/x.js", ""), []string{"manifest-mismatch:medium:1"}},
		{"bin shadows git", pkgOf("package.json", "{\"name\": \"git-helper\",\n\"bin\": {\"git\": \"cli.js\"}}", "cli.js", ""), []string{"manifest-mismatch:high:2"}},
		{"string bin shadows curl", pkgOf("package.json", `{"name": "@evil/curl", "bin": "cli.js"}`, "cli.js", ""), []string{"manifest-mismatch:high:1"}},
		{"bin name is a path", pkgOf("package.json", `{"name": "x", "bin": {"../../usr/bin/x": "cli.js"}}`, "cli.js", ""), []string{"manifest-mismatch:high:1"}},
		{"npm owns npm and npx", pkgOf("package.json", `{"name": "npm", "bin": {"npm": "bin/npm-cli.js", "npx": "bin/npx-cli.js"}}`, "bin/npm-cli.js", "", "bin/npx-cli.js", ""), nil},
		{"touch is touch", pkgOf("package.json", `{"name": "touch", "bin": {"touch": "bin/nodetouch.js"}}`, "bin/nodetouch.js", ""), nil},
		{"postinstall present", pkgOf("package.json", `{"name": "x", "scripts": {"postinstall": "node ./scripts/setup || true"}}`, "scripts/setup.js", ""), nil},
		{"postinstall missing", pkgOf("package.json", `{"name": "x", "scripts": {"test": "node nope.js", "postinstall": "NODE_ENV=x node --no-warnings scripts/setup.js"}}`), []string{"manifest-mismatch:medium:1"}},
		{"postinstall inline", pkgOf("package.json", `{"name": "x", "scripts": {"install": "node -e \"require('./x')\" && node-gyp rebuild"}}`), nil},
		{"postinstall expansion", pkgOf("package.json", `{"name": "x", "scripts": {"preinstall": "node $npm_package_config_script"}}`), nil},
		{"bad json", pkgOf("package.json", `{"main": `), nil},

		{"sdist names agree", pkgOf("PKG-INFO", "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1\n", "setup.py", "from setuptools import setup\nsetup(\n    name='foo-bar',\n)\n"), nil},
		{"sdist setup.py disagrees", pkgOf("PKG-INFO", "Metadata-Version: 2.1\nName: reqeusts\n", "setup.py", "from setuptools import setup\nsetup(\n    name=\"requests\",\n    version='2.0')\n"), []string{"manifest-mismatch:medium:3"}},
		{"sdist name in a variable", pkgOf("PKG-INFO", "Name: a\n", "setup.py", "NAME = 'b'\nsetup(ext_modules=[Extension(name='c', sources=[])], name=NAME)\n"), nil},
		{"sdist extension name", pkgOf("PKG-INFO", "Name: a\n", "setup.py", "setup(ext_modules=[Extension(name='c')], description='name=\"d\"', name='a')\n"), nil},
		{"sdist name expression", pkgOf("PKG-INFO", "Name: a-gpu\n", "setup.py", "setup(name='a' + SUFFIX, version='1')\n"), nil},
		{"sdist setup defined", pkgOf("PKG-INFO", "Name: a\n", "setup.py", "def setup(name='zzz'):\n    pass\nsetuptools.setup(name = 'a')\n"), nil},
		{"sdist pyproject disagrees", pkgOf("PKG-INFO", "Name: a\n", "pyproject.toml", "[build-system]\nrequires = []\n[project]\nname = \"b\"  # the name\n"), []string{"manifest-mismatch:medium:4"}},
		{"sdist poetry agrees", pkgOf("PKG-INFO", "Name: a\n", "pyproject.toml", "[tool.poetry]\nname = 'A'\n"), nil},

		{"wheel agrees", pkgOf("foo_bar-1.0.dist-info/METADATA", "Name: foo-bar\nVersion: 1.0\n", "foo_bar/__init__.py", ""), nil},
		{"wheel disagrees", pkgOf("foo_bar-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: foo-baz\n"), []string{"manifest-mismatch:medium:2"}},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			fs, err := newManifestMismatch().CheckPackage(context.Background(), tt.t)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fd := range fs {
				if fd.Category != analyze.CatManifestMismatch || fd.Location == nil || fd.Summary == "" {
					t.Errorf("incomplete finding %+v", fd)
				}
				got = append(got, fd.Rule+":"+fd.Severity.String()+":"+itoa(fd.Location.Line))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
				for _, fd := range fs {
					t.Logf("%s", fd.Summary)
				}
			}
		})
	}
}

// packageRule is a package rule for the engine tests: it reports a
// finding, fails, or panics.
type packageRule struct {
	name string
	do   func() ([]finding.Finding, error)
}

func (r packageRule) Name() string { return r.name }

func (packageRule) Check(context.Context, analyze.File) ([]finding.Finding, error) { return nil, nil }

func (r packageRule) CheckPackage(context.Context, *analyze.Target) ([]finding.Finding, error) {
	return r.do()
}

// TestRunPackageRules checks the engine's hook: package rules run once
// per target, their findings are completed like the others, and a rule
// that fails or panics is an error while the others go on.
func TestRunPackageRules(t *testing.T) {
	tg := &analyze.Target{Name: "t", Package: analyze.Package{Ecosystem: "npm", Name: "x"}, Files: []analyze.File{{Path: "a.js"}, {Path: "b.js"}}}
	calls := 0
	rs := []analyze.Rule{
		packageRule{"boom", func() ([]finding.Finding, error) { panic("boom") }},
		packageRule{"fails", func() ([]finding.Finding, error) { return nil, errors.New("no") }},
		packageRule{"finds", func() ([]finding.Finding, error) {
			calls++
			return []finding.Finding{{Rule: "finds", Category: analyze.CatManifestMismatch, Severity: finding.SeverityMedium,
				Location: &finding.Location{Path: "package.json", Line: 1}, Snippet: "\x1b[31m"}}, nil
		}},
	}
	res := analyze.Run(context.Background(), tg, rs)
	if calls != 1 {
		t.Errorf("package rule ran %d times, want 1", calls)
	}
	want := []finding.Finding{{
		Kind: analyze.SuspiciousCode, Severity: finding.SeverityMedium, Rule: "finds", Category: analyze.CatManifestMismatch,
		Package: finding.Package{Ecosystem: "npm", Name: "x"}, Location: &finding.Location{Path: "package.json", Line: 1},
		Snippet: analyze.EscapeSnippet("\x1b[31m"),
	}}
	if diff := cmp.Diff(want, res.Findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(res.Errors) != 2 || !strings.Contains(res.Errors[0], "rule boom on t: panic: boom") || !strings.Contains(res.Errors[1], "rule fails on t: no") {
		t.Errorf("errors = %q", res.Errors)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = 0
	res = analyze.Run(ctx, tg, rs)
	if calls != 0 || len(res.Findings) != 0 || len(res.Errors) != 1 {
		t.Errorf("cancelled run: %d calls, %+v", calls, res)
	}
}

func FuzzManifestMismatch(f *testing.F) {
	f.Add([]byte(`{"name": "x", "main": "a", "bin": {"git": "b"}, "scripts": {"install": "node c"}}`), []byte("Name: a\n"), []byte("setup(name='b')"), []byte("[project]\nname = 'c'"))
	f.Add([]byte(`{"bin": "x"}`), []byte("Name: a"), []byte("setup(name='a\\'b', x=(1,)"), []byte("[tool.poetry]\nname='"))
	f.Fuzz(func(t *testing.T, pkgJSON, pkgInfo, setupPy, pyproject []byte) {
		tg := &analyze.Target{Files: []analyze.File{
			{Path: "package.json", Data: pkgJSON}, {Path: "PKG-INFO", Data: pkgInfo},
			{Path: "setup.py", Data: setupPy}, {Path: "pyproject.toml", Data: pyproject},
			{Path: "x-1.dist-info/METADATA", Data: pkgInfo},
		}}
		if _, err := newManifestMismatch().CheckPackage(context.Background(), tg); err != nil {
			t.Fatal(err)
		}
		if name, at := setupPyName(setupPy); name != "" && (at < 0 || at+len(name) > len(setupPy) || string(setupPy[at:at+len(name)]) != name) {
			t.Fatalf("setupPyName = %q at %d", name, at)
		}
		if name, at := pyprojectName(pyproject); name != "" && (at < 0 || at+len(name) > len(pyproject) || string(pyproject[at:at+len(name)]) != name) {
			t.Fatalf("pyprojectName = %q at %d", name, at)
		}
	})
}
