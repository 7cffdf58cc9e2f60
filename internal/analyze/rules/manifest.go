package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// manifestMismatch compares a package's manifest with its files, which
// only a look at the whole package can do (analyze.PackageRule):
//
//   - npm: package.json's main, bin entries and the files install scripts
//     run with `node FILE` must be in the package. When they are not, the
//     published tarball is not what the manifest (and the repository it
//     was written for) describes. A bin named like a system command (ls,
//     git, curl, node, npm, ...) puts the package's code in front of it on
//     the PATH of every npm script.
//   - PyPI: an sdist's PKG-INFO Name must agree with setup.py's
//     setup(name=...) or pyproject.toml's name, and a wheel's METADATA
//     Name with its .dist-info directory, after PEP 503 normalisation.
//
// Packaging mistakes cause mismatches too, so they are evidence of
// category manifest-mismatch, a capability; a shadowed system command or
// a bin name that climbs out of the bin directory is high.
type manifestMismatch struct{}

var (
	_ analyze.Rule        = (*manifestMismatch)(nil)
	_ analyze.PackageRule = (*manifestMismatch)(nil)
)

func newManifestMismatch() *manifestMismatch { return &manifestMismatch{} }

func (*manifestMismatch) Name() string { return "manifest-mismatch" }

// Check implements analyze.Rule: a single file shows no mismatch.
func (*manifestMismatch) Check(context.Context, analyze.File) ([]finding.Finding, error) {
	return nil, nil
}

// CheckPackage implements analyze.PackageRule.
func (r *manifestMismatch) CheckPackage(ctx context.Context, t *analyze.Target) ([]finding.Finding, error) {
	pf := newPackageFiles(t)
	var out []finding.Finding
	if f, ok := pf.files["package.json"]; ok {
		out = append(out, r.npm(pf, f)...)
	}
	if f, ok := pf.files["PKG-INFO"]; ok {
		out = append(out, r.sdist(pf, f)...)
	}
	for _, f := range pf.files {
		dir, base := path.Split(f.Path)
		if base == "METADATA" && strings.Count(dir, "/") == 1 && strings.HasSuffix(dir, ".dist-info/") {
			out = append(out, r.wheel(f, strings.TrimSuffix(dir, ".dist-info/"))...)
		}
	}
	return out, nil
}

// packageFiles indexes the paths of a target: the files read, and the
// files the archive findings name (present, but over a limit or a link).
type packageFiles struct {
	files   map[string]*analyze.File
	present map[string]bool
	dirs    map[string]bool
}

func newPackageFiles(t *analyze.Target) packageFiles {
	pf := packageFiles{files: map[string]*analyze.File{}, present: map[string]bool{}, dirs: map[string]bool{}}
	add := func(p string) {
		pf.present[p] = true
		for d := path.Dir(p); d != "." && d != "/" && !pf.dirs[d]; d = path.Dir(d) {
			pf.dirs[d] = true
		}
	}
	for i := range t.Files {
		f := &t.Files[i]
		if strings.Contains(f.Path, "!/") {
			continue // a file of a nested archive
		}
		pf.files[f.Path] = f
		add(f.Path)
	}
	for _, fd := range t.Findings {
		if fd.Location != nil && fd.Location.Path != "" {
			add(fd.Location.Path)
		}
	}
	return pf
}

// file reports whether the package has a file at the relative path p.
func (pf packageFiles) file(p string) bool { return pf.present[path.Clean(p)] }

// resolve reports whether Node finds a module at the relative path p:
// the file, the file with a .js, .json, .node, .cjs or .mjs extension, or
// a directory with an index file or a package.json.
func (pf packageFiles) resolve(p string) bool {
	p = path.Clean(p)
	for _, ext := range []string{"", ".js", ".json", ".node", ".cjs", ".mjs"} {
		if pf.present[p+ext] {
			return true
		}
	}
	if pf.dirs[p] || p == "." {
		for _, idx := range []string{"index.js", "index.json", "index.node", "package.json"} {
			if pf.present[path.Join(p, idx)] {
				return true
			}
		}
	}
	return false
}

// inside reports whether a relative path from a manifest stays in the
// package.
func inside(p string) bool {
	p = path.Clean(strings.ReplaceAll(p, `\`, "/"))
	return p != ".." && !strings.HasPrefix(p, "../") && !path.IsAbs(p)
}

// systemCommands are commands a package's bin must not be named after.
var systemCommands = map[string]bool{
	"ls": true, "cp": true, "mv": true, "rm": true, "cat": true, "cd": true, "ln": true, "mkdir": true, "chmod": true, "chown": true,
	"sh": true, "bash": true, "zsh": true, "dash": true, "fish": true, "env": true, "sudo": true, "su": true, "login": true, "passwd": true,
	"ssh": true, "scp": true, "sftp": true, "git": true, "curl": true, "wget": true, "nc": true, "openssl": true, "gpg": true,
	"node": true, "npm": true, "npx": true, "yarn": true, "pnpm": true, "corepack": true, "bun": true, "deno": true,
	"python": true, "python3": true, "pip": true, "pip3": true, "ruby": true, "gem": true, "go": true, "cargo": true, "java": true,
	"make": true, "gcc": true, "cc": true, "ld": true, "tar": true, "gzip": true, "unzip": true, "ps": true, "kill": true,
	"grep": true, "find": true, "which": true, "whoami": true, "id": true, "sed": true, "awk": true, "xargs": true, "tee": true,
	"docker": true, "kubectl": true, "aws": true, "gcloud": true, "az": true, "crontab": true, "systemctl": true,
	"cmd": true, "powershell": true, "pwsh": true, "where": true,
}

// commandOwners are packages that legitimately install a system command
// (besides a package named like the command).
var commandOwners = map[string][]string{
	"npm": {"corepack"}, "npx": {"npm", "corepack"}, "yarn": {"corepack", "@yarnpkg/cli-dist"},
	"pnpm": {"corepack", "@pnpm/exe"}, "corepack": {"npm"},
}

func ownsCommand(pkg, cmd string) bool {
	if pkg == cmd {
		return true
	}
	for _, o := range commandOwners[cmd] {
		if o == pkg {
			return true
		}
	}
	return false
}

func (r *manifestMismatch) npm(pf packageFiles, f *analyze.File) []finding.Finding {
	var m struct {
		Name    string          `json:"name"`
		Main    json.RawMessage `json:"main"`
		Bin     json.RawMessage `json:"bin"`
		Scripts json.RawMessage `json:"scripts"`
	}
	if json.Unmarshal(f.Data, &m) != nil {
		return nil
	}
	var out []finding.Finding
	report := func(sev finding.Severity, key, value, summary string) {
		out = append(out, r.at(f, sev, summary, fmt.Sprintf("%q", key), value))
	}
	var main string
	if json.Unmarshal(m.Main, &main) == nil && main != "" {
		if !inside(main) {
			report(finding.SeverityMedium, "main", main, "package.json main points outside the package: "+main)
		} else if !pf.resolve(main) {
			report(finding.SeverityMedium, "main", main, "package.json main names a file the package does not ship: "+main)
		}
	}
	bins := map[string]string{}
	var one string
	if json.Unmarshal(m.Bin, &one) == nil && one != "" {
		name := m.Name
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		bins[name] = one
	} else {
		_ = json.Unmarshal(m.Bin, &bins) // not an object: no bins
	}
	for _, name := range sortedKeys(bins) {
		target := bins[name]
		switch {
		case strings.ContainsAny(name, `/\`) || name == ".." || name == ".":
			report(finding.SeverityHigh, name, target, fmt.Sprintf("package.json bin name %q is a path: it would link outside the bin directory", name))
		case systemCommands[strings.ToLower(name)] && !ownsCommand(m.Name, strings.ToLower(name)):
			report(finding.SeverityHigh, name, target, fmt.Sprintf("package.json bin %q shadows the system command of that name for every npm script", name))
		}
		if target == "" {
			continue
		}
		if !inside(target) {
			report(finding.SeverityMedium, name, target, fmt.Sprintf("package.json bin %q points outside the package: %s", name, target))
		} else if !pf.file(target) {
			report(finding.SeverityMedium, name, target, fmt.Sprintf("package.json bin %q names a file the package does not ship: %s", name, target))
		}
	}
	var scripts map[string]json.RawMessage
	_ = json.Unmarshal(m.Scripts, &scripts)
	for _, hook := range []string{"preinstall", "install", "postinstall"} {
		var line string
		if json.Unmarshal(scripts[hook], &line) != nil {
			continue
		}
		for _, file := range nodeScripts(line) {
			if !inside(file) || !pf.resolve(file) {
				report(finding.SeverityMedium, hook, file, fmt.Sprintf("the %s script runs %s, which the package does not ship", hook, file))
			}
		}
	}
	return out
}

// nodeScripts returns the files a script line runs with `node FILE`,
// leaving out arguments with shell expansions in them.
func nodeScripts(line string) []string {
	var out []string
	for _, cmd := range strings.FieldsFunc(line, func(c rune) bool { return c == '&' || c == '|' || c == ';' || c == '\n' }) {
		fields := strings.Fields(cmd)
		for len(fields) > 0 && strings.Contains(fields[0], "=") && !strings.HasPrefix(fields[0], "-") {
			fields = fields[1:] // VAR=value
		}
		if len(fields) == 0 {
			continue
		}
		if prog := strings.ToLower(path.Base(strings.ReplaceAll(fields[0], `\`, "/"))); prog != "node" && prog != "node.exe" {
			continue
		}
	args:
		for i := 1; i < len(fields); i++ {
			a := strings.Trim(fields[i], `"'`)
			switch {
			case a == "-e" || a == "--eval" || a == "-p" || a == "--print" || a == "-i" || a == "--interactive" ||
				a == "-v" || a == "--version" || a == "-h" || a == "--help" || a == "-":
				break args // no script file
			case a == "-r" || a == "--require" || a == "--import" || a == "--loader" || a == "--experimental-loader" || a == "--env-file" || a == "--title":
				i++ // the flag's value
			case strings.HasPrefix(a, "-"):
			case strings.ContainsAny(a, "$%`*?{}[]()<>~"):
				break args
			default:
				out = append(out, strings.ReplaceAll(a, `\`, "/"))
				break args
			}
		}
	}
	return out
}

func (r *manifestMismatch) sdist(pf packageFiles, pkgInfo *analyze.File) []finding.Finding {
	name := coreMetadataName(pkgInfo.Data)
	if name == "" {
		return nil
	}
	var out []finding.Finding
	if f := pf.files["setup.py"]; f != nil {
		if n, at := setupPyName(f.Data); n != "" && normalizePyPI(n) != normalizePyPI(name) {
			out = append(out, r.finding(f, finding.SeverityMedium, at, at+len(n),
				fmt.Sprintf("setup.py names the package %q, PKG-INFO %q: the sdist was edited after it was built", n, name)))
		}
	}
	if f := pf.files["pyproject.toml"]; f != nil {
		if n, at := pyprojectName(f.Data); n != "" && normalizePyPI(n) != normalizePyPI(name) {
			out = append(out, r.finding(f, finding.SeverityMedium, at, at+len(n),
				fmt.Sprintf("pyproject.toml names the package %q, PKG-INFO %q: the sdist was edited after it was built", n, name)))
		}
	}
	return out
}

func (r *manifestMismatch) wheel(metadata *analyze.File, dist string) []finding.Finding {
	name := coreMetadataName(metadata.Data)
	dirName, _, _ := strings.Cut(dist, "-")
	if name == "" || dirName == "" || normalizePyPI(name) == normalizePyPI(dirName) {
		return nil
	}
	at := bytes.Index(metadata.Data, []byte(name))
	return []finding.Finding{r.finding(metadata, finding.SeverityMedium, at, at+len(name),
		fmt.Sprintf("METADATA names the package %q, its directory %s.dist-info %q", name, dist, dirName))}
}

// at builds a finding at the first occurrence of key in f, else at value.
func (r *manifestMismatch) at(f *analyze.File, sev finding.Severity, summary, key, value string) finding.Finding {
	i := bytes.Index(f.Data, []byte(key))
	n := len(key)
	if i < 0 {
		i, n = bytes.Index(f.Data, []byte(value)), len(value)
	}
	return r.finding(f, sev, i, i+n, summary)
}

func (r *manifestMismatch) finding(f *analyze.File, sev finding.Severity, start, end int, summary string) finding.Finding {
	loc := &finding.Location{Path: f.Path}
	fd := finding.Finding{
		Kind: analyze.SuspiciousCode, Severity: sev, Summary: summary,
		Rule: r.Name(), Category: analyze.CatManifestMismatch, Location: loc,
	}
	if start >= 0 {
		loc.Line = lineAt(f.Data, start)
		fd.Snippet = analyze.Snippet(f.Data, start, end)
	}
	return fd
}

// normalizePyPI is the PEP 503 form of a project name: lower case, runs
// of "-", "_" and "." made one "-".
func normalizePyPI(name string) string {
	var b strings.Builder
	sep := false
	for _, c := range strings.ToLower(strings.TrimSpace(name)) {
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(c)
	}
	return b.String()
}

// coreMetadataName reads the Name: field of core metadata (PKG-INFO,
// METADATA): the header, up to the first empty line.
func coreMetadataName(data []byte) string {
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(k), "Name") {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// setupPyName returns the string literal passed as name= to the setup()
// call of a setup.py, and its offset; "" when the name is not a literal.
// It reads the call's arguments at the top level of its parentheses, so
// Extension(name=...) inside them does not count.
func setupPyName(data []byte) (string, int) {
	const reach = 64 << 10 // a setup() call longer than this is not read
	for from := 0; ; {
		i := bytes.Index(data[from:], []byte("setup("))
		if i < 0 {
			return "", -1
		}
		i += from
		from = i + len("setup(")
		if i > 0 && isIdentByte(data[i-1]) || bytes.HasSuffix(bytes.TrimRight(data[:i], " \t"), []byte("def")) {
			continue // another name, or the definition of a setup function
		}
		if name, at, ok := setupCallName(data[from:min(len(data), from+reach)]); ok {
			if at < 0 {
				return "", -1
			}
			return name, from + at
		}
	}
}

// setupCallName scans the arguments of a call (args starts after its
// open parenthesis) for name=...: ok when the keyword is there, with the
// string's value and offset when it is a literal (else offset -1).
func setupCallName(args []byte) (name string, at int, ok bool) {
	depth := 0
	for i := 0; i < len(args); i++ {
		switch c := args[i]; c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			if depth == 0 {
				return "", -1, false
			}
			depth--
		case '"', '\'':
			i = skipString(args, i)
		case '#':
			if j := bytes.IndexByte(args[i:], '\n'); j >= 0 {
				i += j
			}
		case 'n':
			if depth != 0 || !bytes.HasPrefix(args[i:], []byte("name")) || (i > 0 && isIdentByte(args[i-1])) {
				continue
			}
			rest := bytes.TrimLeft(args[i+4:], " \t\r\n")
			if len(rest) < 2 || rest[0] != '=' || rest[1] == '=' {
				continue
			}
			rest = bytes.TrimLeft(rest[1:], " \t\r\n")
			start := len(args) - len(rest)
			if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
				return "", -1, true // a variable or an expression
			}
			end := skipString(args, start)
			if end >= len(args) || bytes.ContainsAny(args[start+1:end], "\\\n") {
				return "", -1, true
			}
			if after := bytes.TrimLeft(args[end+1:], " \t\r\n"); len(after) > 0 && after[0] != ',' && after[0] != ')' && after[0] != '#' {
				return "", -1, true // "name" + suffix, "name".lower(), ...
			}
			return string(args[start+1 : end]), start + 1, true
		}
	}
	return "", -1, false
}

// skipString returns the offset of the quote that closes the Python
// string opening at data[i] (len(data) when it does not close), skipping
// backslash escapes.
func skipString(data []byte, i int) int {
	q := data[i]
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case q:
			return i
		}
	}
	return len(data)
}

// pyprojectName returns name = "..." of pyproject.toml's [project] table
// (else [tool.poetry]), and its offset.
func pyprojectName(data []byte) (string, int) {
	table, found, foundAt, off := "", map[string]string{}, map[string]int{}, 0
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		lineStart := off
		off += len(line) + 1
		data = rest
		t := bytes.TrimSpace(line)
		if bytes.HasPrefix(t, []byte("[")) {
			table = string(bytes.TrimSpace(bytes.Trim(t, "[]")))
			continue
		}
		if table != "project" && table != "tool.poetry" {
			continue
		}
		k, v, ok := bytes.Cut(t, []byte("="))
		if !ok || string(bytes.TrimSpace(k)) != "name" {
			continue
		}
		v = bytes.TrimSpace(v)
		if len(v) < 2 || (v[0] != '"' && v[0] != '\'') {
			continue
		}
		end := bytes.IndexByte(v[1:], v[0])
		if _, dup := found[table]; !dup && end > 0 {
			found[table] = string(v[1 : 1+end])
			foundAt[table] = lineStart + bytes.Index(line, v) + 1
		}
	}
	for _, t := range []string{"project", "tool.poetry"} {
		if n, ok := found[t]; ok {
			return n, foundAt[t]
		}
	}
	return "", -1
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
