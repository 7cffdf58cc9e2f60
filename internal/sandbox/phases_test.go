package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/analyze/rules"
)

// Inert fixtures. They only ever address 127.0.0.1 and .invalid names.
var (
	// npmEvil reads the SSH key honeypot, runs a shell and connects to
	// 127.0.0.1 port 9 during postinstall.
	npmEvil = map[string]string{
		"package.json": `{"name":"fixture-evil","version":"1.0.0","main":"index.js","scripts":{"postinstall":"node x.js"}}`,
		"index.js":     "module.exports = function () { return 1; };\n",
		"x.js": `const fs = require('fs'), os = require('os'), net = require('net');
try { fs.readFileSync(os.homedir() + '/.ssh/id_rsa'); } catch (e) {}
try { require('child_process').execSync('sh -c true'); } catch (e) {}
const s = net.connect(9, '127.0.0.1');
s.on('error', () => {});
s.setTimeout(2000, () => s.destroy());
`,
	}
	// npmPlain has no scripts and exports a function.
	npmPlain = map[string]string{
		"package.json": `{"name":"fixture-plain","version":"1.0.0","main":"index.js"}`,
		"index.js":     "module.exports = function add(a, b) { return a + b; };\n",
	}
	// npmMissingDep requires a dependency that is not there.
	npmMissingDep = map[string]string{
		"package.json": `{"name":"fixture-dep","version":"1.0.0","dependencies":{"left-pad":"1.3.0"}}`,
		"index.js":     "module.exports = require('left-pad');\n",
	}
	// pyWheel is a wheel whose module, on import, reads /etc/passwd and
	// looks up a .invalid name.
	pyWheel = map[string]string{
		"fixture_py/__init__.py": `import socket
try:
    open('/etc/passwd').read()
except OSError:
    pass
try:
    socket.getaddrinfo('beacon.example.invalid', 80)
except OSError:
    pass
`,
		"fixture_py-1.0.dist-info/METADATA":      "Metadata-Version: 2.1\nName: fixture-py\nVersion: 1.0\n",
		"fixture_py-1.0.dist-info/WHEEL":         "Wheel-Version: 1.0\nGenerator: sapper-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		"fixture_py-1.0.dist-info/top_level.txt": "fixture_py\n",
		"fixture_py-1.0.dist-info/RECORD":        "",
	}
	// pyPlainWheel imports cleanly.
	pyPlainWheel = map[string]string{
		"plain_py/__init__.py":                 "def add(a, b):\n    return a + b\n",
		"plain_py-1.0.dist-info/METADATA":      "Metadata-Version: 2.1\nName: plain-py\nVersion: 1.0\n",
		"plain_py-1.0.dist-info/WHEEL":         "Wheel-Version: 1.0\nGenerator: sapper-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		"plain_py-1.0.dist-info/top_level.txt": "plain_py\n",
		"plain_py-1.0.dist-info/RECORD":        "",
	}
	// pySdist runs a shell from setup.py.
	pySdist = map[string]string{
		"PKG-INFO": "Metadata-Version: 2.1\nName: fixture-sdist\nVersion: 1.0\n",
		"setup.py": `import subprocess
from setuptools import setup
subprocess.call(['sh', '-c', 'true'])
setup(name='fixture-sdist', version='1.0', py_modules=['fixture_sdist'])
`,
		"fixture_sdist.py": "X = 1\n",
	}
)

// target builds a directory target from files.
func target(t testing.TB, files map[string]string) *analyze.Target {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tg, err := analyze.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestPlanNPM(t *testing.T) {
	p, err := plan(target(t, npmEvil), "/usr/bin")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range p.steps {
		names = append(names, s.name)
	}
	if diff := cmp.Diff([]string{"postinstall", "require"}, names); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
	post := p.steps[0].argv
	if !slices.Contains(post, "npm_lifecycle_event=postinstall") || !slices.Contains(post, "npm_package_name=fixture-evil") ||
		!slices.Equal(post[len(post)-3:], []string{"sh", "-c", "node x.js"}) {
		t.Errorf("postinstall argv %q", post)
	}
	p, _ = plan(target(t, npmPlain), "/usr/bin")
	if len(p.steps) != 1 || p.steps[0].name != PhaseRequire {
		t.Errorf("plain package: %d steps, want require alone", len(p.steps))
	}
}

func TestPlanSkipped(t *testing.T) {
	for _, tt := range []struct {
		pkg  analyze.Package
		want string
	}{
		{analyze.Package{Ecosystem: "Go", Name: "example.com/m"}, "no install-time hooks"},
		{analyze.Package{Ecosystem: "crates.io", Name: "c"}, "no build.rs"},
		{analyze.Package{}, "unknown"},
		{analyze.Package{Ecosystem: "Maven", Name: "x"}, "does not support"},
	} {
		d, err := Analyze(context.Background(), &analyze.Target{Package: tt.pkg}, Options{})
		if err != nil || !strings.Contains(d.Skipped, tt.want) || len(d.Phases) != 0 {
			t.Errorf("%v: skipped %q, %v; want %q", tt.pkg, d.Skipped, err, tt.want)
		}
	}
	// A runtime missing on the host is said, not an error.
	tg := &analyze.Target{Package: analyze.Package{Ecosystem: "RubyGems", Name: "g", Version: "1"},
		Files: []analyze.File{{Path: "metadata.yaml", Data: []byte("--- !ruby/object:Gem::Specification\nname: g\n")}}}
	p, err := plan(tg, "/usr/bin")
	if err != nil || len(p.steps) != 2 {
		t.Fatalf("gem plan: %v, %d steps", err, len(p.steps))
	}
	if !onPATH("ruby", phasePATH(Options{})) {
		d, err := Analyze(context.Background(), tg, Options{})
		if err != nil || !strings.Contains(d.Skipped, "ruby is not installed") {
			t.Errorf("gem without ruby: skipped %q, %v", d.Skipped, err)
		}
	}
}

func TestPlanPyPI(t *testing.T) {
	p, err := plan(target(t, pyWheel), "/usr/bin")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.files) != 1 || p.files[0].path != "dist/fixture_py-1.0-py3-none-any.whl" {
		t.Fatalf("wheel files %v", p.files)
	}
	// The rebuilt wheel opens as the same package.
	dir := t.TempDir()
	whl := filepath.Join(dir, "fixture_py-1.0-py3-none-any.whl")
	if err := os.WriteFile(whl, p.files[0].data, 0o644); err != nil {
		t.Fatal(err)
	}
	tg, err := analyze.Open(context.Background(), whl)
	if err != nil || tg.Package.Name != "fixture-py" || len(tg.Files) != len(pyWheel) {
		t.Errorf("rebuilt wheel: %v %+v, %d files", err, tg.Package, len(tg.Files))
	}
	imp := p.steps[1].dynamic(dir)
	if imp[len(imp)-1] != "fixture_py" {
		t.Errorf("import argv %q", imp)
	}

	p, err = plan(target(t, pySdist), "/usr/bin")
	if err != nil || len(p.steps) != 2 || !slices.Contains(p.steps[0].argv, guestPkg) {
		t.Fatalf("sdist plan: %v %+v", err, p.steps)
	}
}

func TestBuildGem(t *testing.T) {
	tg := &analyze.Target{Package: analyze.Package{Ecosystem: "RubyGems", Name: "g", Version: "1.0"},
		Files: []analyze.File{
			{Path: "metadata.yaml", Data: []byte("--- !ruby/object:Gem::Specification\nname: g\nversion: !ruby/object:Gem::Version\n  version: 1.0\n")},
			{Path: "lib/g.rb", Data: []byte("module G; end\n")},
			{Path: "inner.tgz!/x", Data: []byte("nested")},
		}}
	b, err := buildGem(tg)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "g-1.0.gem")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := analyze.Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range got.Files {
		paths = append(paths, f.Path)
	}
	slices.Sort(paths)
	if diff := cmp.Diff([]string{"lib/g.rb", "metadata.yaml"}, paths); diff != "" || got.Package.Name != "g" {
		t.Errorf("rebuilt gem %+v (-want +got):\n%s", got.Package, diff)
	}
}

// TestWriteFiles: nothing lands outside the work directory, whatever the
// names.
func TestWriteFiles(t *testing.T) {
	parent := t.TempDir()
	work := filepath.Join(parent, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	// A symbolic link in the work directory pointing out must not be
	// followed.
	if err := os.Symlink(parent, filepath.Join(work, "out")); err != nil {
		t.Fatal(err)
	}
	n, err := writeFiles(work, []file{
		{path: "pkg/a.js", data: []byte("a"), mode: 0o644},
		{path: "pkg/bin/run", data: []byte("#!/bin/sh\n"), mode: 0o755},
		{path: "../escape", data: []byte("x")},
		{path: "/abs", data: []byte("x")},
		{path: "pkg/../../escape2", data: []byte("x")},
		{path: "out/escape3", data: []byte("x")},
		{path: "big", skip: true},
	})
	if err == nil {
		// out/escape3 goes through a link: os.Root refuses it.
		t.Logf("wrote %+v", n)
	}
	for _, p := range []string{"escape", "escape2", "escape3", "abs"} {
		if _, err := os.Lstat(filepath.Join(parent, p)); err == nil {
			t.Errorf("%s written outside the work directory", p)
		}
	}
	if b, err := os.ReadFile(filepath.Join(work, "pkg/a.js")); err != nil || string(b) != "a" {
		t.Errorf("pkg/a.js: %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(work, "pkg/bin/run")); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("pkg/bin/run not executable: %v", err)
	}
}

func TestSiteModules(t *testing.T) {
	work := t.TempDir()
	site := filepath.Join(work, "site")
	for _, d := range []string{"pkg_a", "pkg_a-1.0.dist-info", "bin", "__pycache__", "bad-name"} {
		os.MkdirAll(filepath.Join(site, d), 0o755)
	}
	os.WriteFile(filepath.Join(site, "mod_b.py"), nil, 0o644)
	os.WriteFile(filepath.Join(site, "x.pth"), nil, 0o644)
	os.Symlink("/etc", filepath.Join(site, "linked"))
	if diff := cmp.Diff([]string{"mod_b", "pkg_a"}, siteModules(work)); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
}

func TestPhaseNotes(t *testing.T) {
	got := phaseNotes(Phase{Name: "require", Output: "Error: Cannot find module 'left-pad'\nRequire stack:\n- /work/pkg/index.js\n"})
	if len(got) != 1 || !strings.Contains(got[0], `"left-pad" is absent`) {
		t.Errorf("notes %q", got)
	}
}

// needRunsc skips a test that needs gVisor when runsc is missing, except
// in CI, where it must be there.
func needRunsc(t testing.TB) {
	t.Helper()
	err := Available("")
	if err == nil && os.Geteuid() != 0 {
		err = os.ErrPermission
	}
	if err != nil {
		if os.Getenv("SAPPER_REQUIRE_RUNSC") == "1" { // set by .ci/run where gVisor works
			t.Fatalf("runsc is needed in CI: %v", err)
		}
		t.Skipf("install runsc: apt-get install runsc (and run as root): %v", err)
	}
}

// dynamicRules runs the static rules and the dynamic analysis of tg, and
// returns the dynamic findings' rules and the verdict over all findings.
func dynamicRules(t *testing.T, tg *analyze.Target) (Dynamic, []string, analyze.Verdict) {
	t.Helper()
	d, err := Analyze(context.Background(), tg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	res := analyze.Run(context.Background(), tg, rs)
	dyn := Findings(d)
	var names []string
	for _, f := range dyn {
		if !slices.Contains(names, f.Rule) {
			names = append(names, f.Rule)
		}
	}
	slices.Sort(names)
	_, v := analyze.Score(append(res.Findings, dyn...))
	return d, names, v
}

func logPhases(t *testing.T, d Dynamic) {
	t.Helper()
	for _, ph := range d.Phases {
		t.Logf("%s: exit %d, %d ms, %d files, %d commands, %d sockets, dns %q", ph.Name, ph.ExitCode, ph.DurationMS,
			len(ph.Files), len(ph.Commands), len(ph.Sockets), ph.DNS)
		for _, c := range ph.Commands {
			t.Logf("  exec %q", c.Argv)
		}
		if ph.Output != "" {
			t.Logf("  output: %s", ph.Output)
		}
	}
	for _, n := range d.Notes {
		t.Logf("note: %s", n)
	}
}

func TestAnalyzeNPM(t *testing.T) {
	needRunsc(t)
	t.Run("evil", func(t *testing.T) {
		d, got, v := dynamicRules(t, target(t, npmEvil))
		logPhases(t, d)
		for _, want := range []string{RuleHoneypotRead, RuleShell, RuleNetworkInstall} {
			if !slices.Contains(got, want) {
				t.Errorf("no %s; got %q", want, got)
			}
		}
		if v != analyze.Malicious {
			t.Errorf("verdict %s, want malicious", v)
		}
	})
	t.Run("plain", func(t *testing.T) {
		d, got, v := dynamicRules(t, target(t, npmPlain))
		logPhases(t, d)
		if len(got) != 0 || v != analyze.Benign {
			t.Errorf("plain package: %q, %s; want no findings, benign", got, v)
		}
		if len(d.Phases) != 1 || d.Phases[0].ExitCode != 0 {
			t.Errorf("phases %+v, want require exiting 0", d.Phases)
		}
	})
	t.Run("esm", func(t *testing.T) {
		d, got, _ := dynamicRules(t, target(t, map[string]string{
			"package.json": `{"name":"fixture-esm","version":"1.0.0","type":"module","exports":"./index.js"}`,
			"index.js":     "import fs from 'fs';\nfs.readFileSync('/etc/passwd');\nexport default 1;\n",
		}))
		logPhases(t, d)
		if len(d.Phases) != 1 || d.Phases[0].ExitCode != 0 || !slices.Contains(got, RuleSensitiveRead) {
			t.Errorf("ES module: rules %q, phases %+v; want it loaded, /etc/passwd read", got, d.Phases)
		}
	})
	t.Run("missing-dependency", func(t *testing.T) {
		d, got, _ := dynamicRules(t, target(t, npmMissingDep))
		logPhases(t, d)
		if len(got) != 0 || !slices.ContainsFunc(d.Notes, func(n string) bool { return strings.Contains(n, `"left-pad" is absent`) }) {
			t.Errorf("rules %q, notes %q; want none, and left-pad absent as a note", got, d.Notes)
		}
	})
}

func TestAnalyzePyPI(t *testing.T) {
	needRunsc(t)
	if !onPATH("python3", phasePATH(Options{})) {
		t.Skip("python3 is not installed")
	}
	t.Run("wheel", func(t *testing.T) {
		d, got, _ := dynamicRules(t, target(t, pyWheel))
		logPhases(t, d)
		for _, want := range []string{RuleSensitiveRead, RuleDNS} {
			if !slices.Contains(got, want) {
				t.Errorf("no %s; got %q", want, got)
			}
		}
	})
	t.Run("plain-wheel", func(t *testing.T) {
		d, got, _ := dynamicRules(t, target(t, pyPlainWheel))
		logPhases(t, d)
		if len(got) != 0 {
			t.Errorf("plain wheel: %q, want no findings", got)
		}
		if len(d.Phases) != 2 || d.Phases[1].ExitCode != 0 {
			t.Errorf("want install and import exiting 0")
		}
	})
	t.Run("sdist", func(t *testing.T) {
		d, got, _ := dynamicRules(t, target(t, pySdist))
		logPhases(t, d)
		if !slices.Contains(got, RuleShell) {
			t.Errorf("setup.py's shell not seen: %q", got)
		}
	})
}
