package sandbox

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/sapperhq/sapper/internal/analyze"
)

// Dynamic is what the dynamic analysis of one target saw: the JSON under a
// result's "dynamic".
type Dynamic struct {
	Ecosystem string  `json:"ecosystem"`
	Phases    []Phase `json:"phases"`
	// Runs are the commands sapper started, one per phase: the lifecycle
	// script's own "sh -c" is expected, a shell inside it is the signal.
	Runs []Run `json:"runs,omitempty"`
	// Skipped says why nothing ran (a runtime missing from the host, an
	// ecosystem without install-time code); it is not an error.
	Skipped string `json:"skipped,omitempty"`
	// Notes are context for the reader: dependencies absent with no
	// network, files not copied, hooks not run.
	Notes []string `json:"notes,omitempty"`
}

// Run is the command sapper started for a phase.
type Run struct {
	Phase string   `json:"phase"`
	Argv  []string `json:"argv"`
}

// The phases, by name. Install phases run what the package manager would
// run at install time; import phases load the installed package.
const (
	PhasePreinstall  = "preinstall"
	PhaseInstall     = "install"
	PhasePostinstall = "postinstall"
	PhaseRequire     = "require" // npm and RubyGems
	PhaseImport      = "import"  // PyPI
	PhaseBuildScript = "build-script"
)

// InstallPhase reports whether a phase runs at install time, as opposed
// to loading the installed package.
func InstallPhase(name string) bool { return name != PhaseRequire && name != PhaseImport }

// Guest directories of the phases.
const (
	guestPkg  = GuestWork + "/pkg"  // the package's files (npm, sdist, crate)
	guestDist = GuestWork + "/dist" // a rebuilt wheel or gem
	guestSite = GuestWork + "/site" // pip install --target
	guestGems = GuestWork + "/gems" // gem install --install-dir
)

// npmBins are the directories npm puts before PATH for lifecycle scripts.
const npmBins = guestPkg + "/node_modules/.bin:" + GuestWork + "/node_modules/.bin:"

// Analyze runs t in a fresh sandbox the way its package manager would
// install it, then loads it, and returns what each phase did. The phases
// depend on t.Package.Ecosystem:
//
//	npm       preinstall, install, postinstall (those package.json has), as
//	          "sh -c <script>" with npm's environment; then require
//	PyPI      install (pip install --no-deps --no-index: an sdist runs
//	          setup.py or its build backend; a wheel only unpacks); then
//	          import of each top-level module, .pth files processed
//	RubyGems  install (gem install --local: extconf.rb runs); then require
//	crates.io nothing: build.rs runs only under cargo, with the crate's
//	          build dependencies, which are absent offline
//	Go        nothing: modules have no install-time hooks
//
// A runtime missing on the host (node, python3, ruby) skips the analysis
// with Dynamic.Skipped saying which; it is not an error. Dependencies of
// the package are absent (no network): the errors they cause are Notes,
// and a phase that fails is recorded, not an error. Errors are a sandbox
// that cannot start, and a cancelled ctx.
func Analyze(ctx context.Context, t *analyze.Target, opt Options) (Dynamic, error) {
	d := Dynamic{Ecosystem: t.Package.Ecosystem, Phases: []Phase{}}
	pathEnv := phasePATH(opt)
	p, err := plan(t, pathEnv)
	if err != nil {
		return d, err
	}
	d.Notes = append(d.Notes, p.notes...)
	if p.skipped != "" {
		d.Skipped = p.skipped
		return d, nil
	}
	if len(p.steps) == 0 {
		return d, nil
	}
	for _, rt := range p.runtimes {
		if !onPATH(rt, pathEnv) {
			d.Skipped = fmt.Sprintf("%s: %s is not installed on this machine, so its install and import phases were not run", t.Package.Ecosystem, rt)
			return d, nil
		}
	}

	sb, err := New(ctx, opt)
	if err != nil {
		return d, err
	}
	defer sb.Close()
	n, err := writeFiles(sb.WorkDir(), p.files)
	if err != nil {
		return d, fmt.Errorf("copy %s into the sandbox: %w", t.Name, err)
	}
	if n.skipped > 0 {
		d.Notes = append(d.Notes, fmt.Sprintf("%d files were not copied into the sandbox (over the size limit, or inside a nested archive)", n.skipped))
	}
	for _, s := range p.steps {
		if err := ctx.Err(); err != nil {
			return d, err
		}
		argv := s.argv
		if s.dynamic != nil {
			if argv = s.dynamic(sb.WorkDir()); argv == nil {
				d.Notes = append(d.Notes, fmt.Sprintf("%s: not run: the install left nothing to load", s.name))
				continue
			}
		}
		ph, err := sb.Run(ctx, s.name, argv, s.dir)
		if err != nil {
			return d, fmt.Errorf("phase %s: %w", s.name, err)
		}
		d.Phases = append(d.Phases, ph)
		d.Runs = append(d.Runs, Run{Phase: s.name, Argv: argv})
		d.Notes = append(d.Notes, phaseNotes(ph)...)
	}
	d.Notes = dedupe(d.Notes)
	return d, nil
}

// step is one phase to run: argv in guest directory dir, or, when dynamic
// is set, the argv it returns from the work directory left by the earlier
// phases (nil: nothing to run).
type step struct {
	name    string
	argv    []string
	dir     string
	dynamic func(work string) []string
}

// planned is what Analyze does for a target.
type planned struct {
	files    []file // written under the work directory
	steps    []step
	runtimes []string // programs the phases need on the host
	skipped  string
	notes    []string
}

// file is one file to write into the work directory.
type file struct {
	path string // relative to the work directory
	data []byte
	mode os.FileMode
	skip bool // not copied: over the limits, or nested
}

// plan decides the phases of t by its ecosystem.
func plan(t *analyze.Target, pathEnv string) (planned, error) {
	switch t.Package.Ecosystem {
	case "npm":
		return planNPM(t, pathEnv)
	case "PyPI":
		return planPyPI(t)
	case "RubyGems":
		return planGem(t)
	case "crates.io":
		p := planned{skipped: "crates.io: a crate runs code at build time only, in build.rs under cargo build with its build dependencies, which are absent with no network; not run"}
		if !hasFile(t, "build.rs") {
			p.skipped = "crates.io: the crate has no build.rs, so building it runs no code of its own; nothing to run"
		}
		return p, nil
	case "Go":
		return planned{skipped: "Go: modules have no install-time hooks (init functions run only in a program that imports the package); nothing to run"}, nil
	case "":
		return planned{skipped: "the target's ecosystem is unknown, so there is no install to run"}, nil
	}
	return planned{skipped: t.Package.Ecosystem + ": dynamic analysis does not support this ecosystem"}, nil
}

// pkgFiles lists t's files under dir ("" for the top of the work
// directory).
func pkgFiles(t *analyze.Target, dir string) []file {
	var out []file
	for _, f := range t.Files {
		fl := file{path: f.Path, data: f.Data, mode: 0o644}
		if dir != "" {
			fl.path = dir + "/" + f.Path
		}
		if f.Executable {
			fl.mode = 0o755
		}
		if strings.Contains(f.Path, "!/") || (f.Data == nil && f.Size > 0) {
			fl.skip = true
		}
		out = append(out, fl)
	}
	return out
}

func hasFile(t *analyze.Target, p string) bool {
	return fileData(t, p) != nil
}

func fileData(t *analyze.Target, p string) []byte {
	for _, f := range t.Files {
		if f.Path == p {
			if f.Data == nil {
				return []byte{}
			}
			return f.Data
		}
	}
	return nil
}

// npmManifest is what the phases read of package.json.
type npmManifest struct {
	Name    string                     `json:"name"`
	Version string                     `json:"version"`
	Scripts map[string]json.RawMessage `json:"scripts"`
}

// npmLifecycle are the scripts npm runs when it installs a package, in
// order.
var npmLifecycle = []string{PhasePreinstall, PhaseInstall, PhasePostinstall}

func planNPM(t *analyze.Target, pathEnv string) (planned, error) {
	p := planned{files: pkgFiles(t, "pkg"), runtimes: []string{"node"}}
	raw := fileData(t, "package.json")
	if raw == nil {
		p.skipped = "npm: the package has no package.json"
		return p, nil
	}
	var m npmManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		p.notes = append(p.notes, fmt.Sprintf("package.json does not parse (%v): npm would refuse to install it; its require phase ran alone", err))
	}
	scripts := map[string]string{}
	for k, v := range m.Scripts {
		var s string
		if json.Unmarshal(v, &s) == nil && strings.TrimSpace(s) != "" {
			scripts[k] = s
		}
	}
	if _, ok := scripts[PhaseInstall]; !ok && hasFile(t, "binding.gyp") {
		p.notes = append(p.notes, `binding.gyp without an install script: npm would run "node-gyp rebuild", which needs Node's headers from the network; not run`)
	}
	node := cmp.Or(which("node", pathEnv), "/usr/bin/node")
	for _, ev := range npmLifecycle {
		script, ok := scripts[ev]
		if !ok {
			continue
		}
		env := []string{
			"npm_lifecycle_event=" + ev,
			"npm_lifecycle_script=" + script,
			"npm_package_name=" + m.Name,
			"npm_package_version=" + m.Version,
			"npm_package_json=" + guestPkg + "/package.json",
			"npm_config_user_agent=npm/10 node sapper-sandbox",
			"npm_node_execpath=" + node,
			"NODE=" + node,
			"INIT_CWD=" + guestPkg,
			"PATH=" + npmBins + pathEnv,
		}
		argv := append([]string{"env"}, env...)
		argv = append(argv, "sh", "-c", script)
		p.steps = append(p.steps, step{name: ev, argv: argv, dir: guestPkg})
	}
	p.steps = append(p.steps, step{name: PhaseRequire, argv: []string{"node", "-e", requireJS, guestPkg}, dir: guestPkg})
	return p, nil
}

// requireJS loads the package the way a dependent would: require(), or
// import() of an ES module.
const requireJS = `const p = process.argv[1];
try {
  require(p);
} catch (e) {
  if (e && e.code === 'ERR_REQUIRE_ESM') {
    import(require('url').pathToFileURL(require.resolve(p)).href).catch((e) => { console.error(e); process.exitCode = 1; });
  } else {
    console.error(e);
    process.exitCode = 1;
  }
}`

func planPyPI(t *analyze.Target) (planned, error) {
	p := planned{runtimes: []string{"python3"}}
	pip := []string{"env", "PIP_NO_INPUT=1", "PIP_DISABLE_PIP_VERSION_CHECK=1",
		"python3", "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation", "--no-cache-dir", "--target", guestSite}
	var mods []string
	if distInfo := wheelDistInfo(t); distInfo != "" {
		// A wheel: pip unpacks it and runs nothing; the modules it ships
		// are the import phase's.
		whl, err := buildWheel(t)
		if err != nil {
			return p, err
		}
		name := strings.TrimSuffix(distInfo, ".dist-info") + "-py3-none-any.whl"
		p.files = []file{{path: "dist/" + name, data: whl, mode: 0o644}}
		p.steps = append(p.steps, step{name: PhaseInstall, argv: append(pip, guestDist+"/"+name), dir: GuestWork})
		mods = topLevel(fileData(t, distInfo+"/top_level.txt"))
	} else {
		if !hasFile(t, "setup.py") && !hasFile(t, "pyproject.toml") {
			p.skipped = "PyPI: neither a wheel nor an sdist with setup.py or pyproject.toml"
			return p, nil
		}
		p.files = pkgFiles(t, "pkg")
		p.steps = append(p.steps, step{name: PhaseInstall, argv: append(pip, guestPkg), dir: guestPkg})
	}
	mods = slices.DeleteFunc(mods, func(m string) bool { return !pyIdent.MatchString(m) })
	p.steps = append(p.steps, step{name: PhaseImport, dir: GuestWork, dynamic: func(work string) []string {
		ms := mods
		if len(ms) == 0 {
			ms = siteModules(work)
		}
		if len(ms) == 0 {
			return nil
		}
		argv := []string{"python3", "-c", importPy}
		return append(argv, ms...)
	}})
	return p, nil
}

// importPy imports each module named in argv, as a program that uses the
// package would, with the install directory a site directory (so that
// .pth files there run, as they would from site-packages).
const importPy = `import importlib, site, sys, traceback
site.addsitedir('` + guestSite + `')
failed = 0
for m in sys.argv[1:]:
    try:
        importlib.import_module(m)
    except BaseException:
        failed += 1
        traceback.print_exc()
sys.exit(1 if failed else 0)`

// pyIdent matches a dotted Python module name.
var pyIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// topLevel reads a top_level.txt: one module a line.
func topLevel(data []byte) []string {
	var out []string
	for l := range strings.Lines(string(data)) {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// siteModules lists the top-level modules pip installed under the work
// directory's site/: packages and .py modules, not metadata. Symbolic
// links, which the package may have left, are not followed.
func siteModules(work string) []string {
	root, err := os.OpenRoot(work)
	if err != nil {
		return nil
	}
	defer root.Close()
	dir, err := root.Open("site")
	if err != nil {
		return nil
	}
	defer dir.Close()
	ents, err := dir.ReadDir(1000)
	if err != nil && len(ents) == 0 {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		switch {
		case e.Type()&fs.ModeSymlink != 0:
		case e.IsDir() && pyIdent.MatchString(name) && name != "bin" && name != "__pycache__":
			out = append(out, name)
		case e.Type().IsRegular() && strings.HasSuffix(name, ".py") && pyIdent.MatchString(strings.TrimSuffix(name, ".py")):
			out = append(out, strings.TrimSuffix(name, ".py"))
		}
	}
	slices.Sort(out)
	return out
}

// wheelDistInfo returns the NAME-VERSION.dist-info directory of a wheel's
// files, or "" when t is not a wheel.
func wheelDistInfo(t *analyze.Target) string {
	for _, f := range t.Files {
		dir, rest, ok := strings.Cut(f.Path, "/")
		if ok && rest == "WHEEL" && strings.HasSuffix(dir, ".dist-info") && !strings.Contains(dir, "!") {
			return dir
		}
	}
	return ""
}

func planGem(t *analyze.Target) (planned, error) {
	p := planned{runtimes: []string{"ruby", "gem"}}
	meta := fileData(t, "metadata.yaml")
	if meta == nil {
		p.skipped = "RubyGems: the target is not a .gem (no metadata)"
		return p, nil
	}
	gem, err := buildGem(t)
	if err != nil {
		return p, err
	}
	name := t.Package.Name
	if !gemName.MatchString(name) {
		p.skipped = fmt.Sprintf("RubyGems: unusable gem name %q", name)
		return p, nil
	}
	gemFile := name + ".gem"
	p.files = []file{{path: "dist/" + gemFile, data: gem, mode: 0o644}}
	env := []string{"env", "GEM_HOME=" + guestGems, "GEM_PATH=" + guestGems}
	p.steps = append(p.steps,
		step{name: PhaseInstall, dir: GuestWork, argv: append(slices.Clone(env),
			"gem", "install", "--local", "--ignore-dependencies", "--no-document", "--install-dir", guestGems, guestDist+"/"+gemFile)},
		step{name: PhaseRequire, dir: GuestWork, argv: append(slices.Clone(env),
			"ruby", "-e", "begin; require ARGV[0]; rescue LoadError => e; warn e.message; exit 1; end", requireName(name))},
	)
	return p, nil
}

// gemName matches the names RubyGems accepts.
var gemName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// requireName is what a gem is required by, by convention: its name with
// dashes as slashes ("net-http" -> "net/http").
func requireName(gem string) string { return strings.ReplaceAll(gem, "-", "/") }

// phasePATH is the guest's PATH for opt, as New makes it: the runtimes'
// bin directories, then the standard ones.
func phasePATH(opt Options) string {
	ms := opt.Mounts
	if ms == nil {
		ms = RuntimeMounts()
	}
	if checked, err := checkMounts(ms); err == nil {
		ms = checked
	}
	return guestPATH(ms)
}

// onPATH reports whether program rt is on the guest's PATH pathEnv: the
// guest sees those directories at the same paths as the host.
func onPATH(rt, pathEnv string) bool { return which(rt, pathEnv) != "" }

// which returns the path of program rt on pathEnv, or "".
func which(rt, pathEnv string) string {
	for _, dir := range strings.Split(pathEnv, ":") {
		p := path.Join(dir, rt)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// written counts what writeFiles did.
type written struct{ files, skipped int }

// writeFiles writes files under work through os.Root: names are checked
// again (the archive reader already refused absolute and ".." paths) and
// nothing is written outside work.
func writeFiles(work string, files []file) (written, error) {
	var n written
	root, err := os.OpenRoot(work)
	if err != nil {
		return n, err
	}
	defer root.Close()
	for _, f := range files {
		if f.skip {
			n.skipped++
			continue
		}
		if !fs.ValidPath(f.path) || f.path == "." || strings.Contains(f.path, `\`) {
			n.skipped++
			continue
		}
		if dir := path.Dir(f.path); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return n, err
			}
		}
		if err := root.WriteFile(f.path, f.data, f.mode); err != nil {
			if errors.Is(err, fs.ErrExist) || errors.Is(err, os.ErrInvalid) {
				n.skipped++ // a file where a directory is, and the like
				continue
			}
			return n, err
		}
		n.files++
	}
	return n, nil
}

// Patterns of phase output that say a dependency is missing.
var missingDep = []*regexp.Regexp{
	regexp.MustCompile(`Cannot find module '([^'\n]{1,200})'`),                   // node
	regexp.MustCompile(`Cannot find package '([^'\n]{1,200})'`),                  // node, ESM
	regexp.MustCompile(`ModuleNotFoundError: No module named '([^'\n]{1,200})'`), // python
	regexp.MustCompile(`Cannot import '([^'\n]{1,200})'`),                        // pip: build backend
	regexp.MustCompile(`cannot load such file -- (\S{1,200})`),                   // ruby
}

// phaseNotes reads a phase's output for dependencies the package needed
// and did not find: the sandbox has no network, so they are absent, and
// that is context, not a failure of the analysis.
func phaseNotes(ph Phase) []string {
	var out []string
	for _, re := range missingDep {
		for _, m := range re.FindAllStringSubmatch(ph.Output, 20) {
			dep := analyze.EscapeSnippet(m[1])
			out = append(out, fmt.Sprintf("%s: %q is absent (dependencies are not installed: no network in the sandbox)", ph.Name, dep))
		}
	}
	if strings.Contains(ph.Output, "invalid command 'bdist_wheel'") {
		out = append(out, fmt.Sprintf("%s: the build needs the \"wheel\" package, absent from the sandbox's Python: setup.py ran to prepare the metadata, its build and install commands did not", ph.Name))
	}
	if ph.TimedOut {
		out = append(out, fmt.Sprintf("%s: stopped at the time limit", ph.Name))
	}
	return out
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
