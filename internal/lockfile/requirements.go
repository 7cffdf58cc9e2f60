package lockfile

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// requirementsParser reads pip requirements files, following pip's
// requirements file format
// (https://pip.pypa.io/en/stable/reference/requirements-file-format/) and
// its parser (pip/_internal/req/req_file.py):
//
//   - a line ending in "\" continues on the next one; a comment starts at a
//     "#" at the start of a line or after whitespace;
//   - a line is a requirement followed by per-requirement options
//     (--hash, --config-settings), or options only: the requirement ends
//     at the first word that starts with "-";
//   - a requirement is a PEP 508 specifier ("name[extras] >=1, <2 ;
//     markers", "name @ url"), a URL (archive or VCS, "#egg=name" naming
//     it) or a local path; "-e"/"--editable" gives a local path or VCS URL.
//
// An "==" or "===" pin gives the version; any other specifier leaves it
// "", and the package is still listed. Names are kept as written. A path
// or URL requirement is named by its "#egg=" fragment or its wheel or
// sdist file name; when neither tells ("-e .", "./src"), its Name is "".
//
// "-r"/"--requirement" and "-c"/"--constraint" include other files,
// relative to the including one, through f.FS: an include leaving the FS is
// an error, includes nest at most limits.MaxNesting deep, a cycle is an
// error, and a file included twice is read once. Their packages (a
// constraint file's too) carry their own file and line. Includes by URL are
// not fetched.
type requirementsParser struct{}

var _ Parser = requirementsParser{}

func (requirementsParser) Name() string { return "requirements.txt" }

// Match accepts requirements*.txt, and any .txt file in a directory named
// requirements (requirements/base.txt, requirements/dev.txt).
func (requirementsParser) Match(p string) bool {
	b := strings.ToLower(base(p))
	if !strings.HasSuffix(b, ".txt") {
		return false
	}
	return strings.HasPrefix(b, "requirements") || strings.ToLower(path.Base(path.Dir(p))) == "requirements"
}

func (requirementsParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "%w", err)
	}
	r := &requirementsReader{ctx: ctx, state: map[string]int{}, read: int64(len(data))}
	if err := r.file(f, data, 0); err != nil {
		return nil, err
	}
	return r.pkgs, nil
}

// The states of a file in requirementsReader.state.
const (
	requirementsReading = 1
	requirementsRead    = 2
)

// requirementsReader reads a requirements file and the files it includes.
type requirementsReader struct {
	ctx   context.Context
	state map[string]int // by path in the FS
	chain []string       // the files being read, for cycle messages
	read  int64          // bytes read, over all files
	pkgs  []Package
}

// requirementsIndexes are the index options of one file.
type requirementsIndexes struct {
	index string // the last --index-url, "" when none
	extra []string
}

// private returns the registry the packages of a file come from when the
// file names exactly one index and it is not PyPI: an --index-url
// replacing PyPI, with no --extra-index-url other than itself. Otherwise
// pip may take each package from PyPI (the default index, or an extra one
// besides a private index: the dependency-confusion case) or from one of
// several indexes, and the packages keep the public registry as their
// source so that public records apply to them. An index whose host cannot
// be told (an unexpanded ${VARIABLE}) counts as possibly PyPI. --no-index
// and --find-links are not considered.
func (ix requirementsIndexes) private() (Source, bool) {
	if ix.index == "" || pyURLHost(ix.index) == "" || pyPublicIndex(ix.index) || strings.Contains(ix.index, "${") {
		return Source{}, false
	}
	for _, e := range ix.extra {
		if strings.TrimRight(e, "/") != strings.TrimRight(ix.index, "/") {
			return Source{}, false
		}
	}
	return Source{Kind: Registry, URL: pyRedact(ix.index)}, true
}

// file reads f, whose contents are data, included depth levels deep.
func (r *requirementsReader) file(f File, data []byte, depth int) error {
	key := path.Clean(f.Path)
	r.state[key] = requirementsReading
	r.chain = append(r.chain, f.Display)
	defer func() {
		r.state[key] = requirementsRead
		r.chain = r.chain[:len(r.chain)-1]
	}()
	data, err := textOf(f, data)
	if err != nil {
		return err
	}
	var (
		ix       requirementsIndexes
		registry []int // indexes in r.pkgs of this file's registry packages
		count    int
	)
	err = requirementsLines(data, func(line int, text string) error {
		if count++; count%256 == 0 {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		text = requirementsStripComment(text)
		if text == "" {
			return nil
		}
		args, optText := requirementsSplit(text)
		opts, err := requirementsOptionsOf(optText)
		if err != nil {
			return Errorf(f, line, "%v", err)
		}
		if args != "" {
			p, err := requirementsPackage(args)
			if err != nil {
				return Errorf(f, line, "%v", err)
			}
			p.Location = Location{Path: f.Display, Line: line}
			if p.Source.Kind == Registry {
				registry = append(registry, len(r.pkgs))
			}
			r.pkgs = append(r.pkgs, p)
			return nil
		}
		var editable bool
		for _, o := range opts {
			if o.name == "--editable" {
				p := requirementsEditable(o.value)
				p.Location = Location{Path: f.Display, Line: line}
				r.pkgs = append(r.pkgs, p)
				editable = true
			}
		}
		if editable {
			return nil // pip reads no file options from a requirement line
		}
		for _, o := range opts {
			switch o.name {
			case "--index-url":
				ix.index = o.value
			case "--extra-index-url":
				ix.extra = append(ix.extra, o.value)
			case "--requirement", "--constraint":
				if err := r.include(f, line, o, depth); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if src, ok := ix.private(); ok {
		for _, i := range registry {
			r.pkgs[i].Source = src
		}
	}
	return nil
}

// include reads the file an -r or -c option at line of f names.
func (r *requirementsReader) include(f File, line int, o requirementsOption, depth int) error {
	target := o.value
	if pyScheme(target) != "" {
		return nil // a URL: pip downloads it; sapper reads no network
	}
	t := strings.ReplaceAll(target, `\`, "/")
	if path.IsAbs(t) || len(t) >= 2 && t[1] == ':' {
		return Errorf(f, line, "%s %s: an absolute path; only files inside the project are read", o.name, quoteShort(target))
	}
	p := path.Join(path.Dir(path.Clean(f.Path)), t)
	if !fs.ValidPath(p) || p == "." {
		return Errorf(f, line, "%s %s: outside the project directory", o.name, quoteShort(target))
	}
	if depth+1 > limits.MaxNesting {
		return Errorf(f, line, "%s %s: files included more than %d deep", o.name, quoteShort(target), limits.MaxNesting)
	}
	child := File{FS: f.FS, Path: p, Display: requirementsDisplay(f, p, t)}
	switch r.state[p] {
	case requirementsReading:
		return Errorf(f, line, "%s %s: include cycle %s -> %s", o.name, quoteShort(target), strings.Join(r.chain, " -> "), child.Display)
	case requirementsRead:
		return nil // its packages are already listed
	}
	data, err := child.ReadFile()
	if err != nil {
		return Errorf(f, line, "%s %s: %w", o.name, quoteShort(target), err)
	}
	if r.read += int64(len(data)); r.read > maxFileBytes {
		return Errorf(f, line, "%s %s: %w: the included files total over %d bytes", o.name, quoteShort(target), ErrTooLarge, maxFileBytes)
	}
	return r.file(child, data, depth+1)
}

// requirementsDisplay returns the display path of the file at FS path p
// included from f as t: f.Display with f.Path replaced by p when it ends
// with it, else t relative to the directory of f.Display.
func requirementsDisplay(f File, p, t string) string {
	fp := path.Clean(f.Path)
	if prefix, ok := strings.CutSuffix(f.Display, fp); ok && (prefix == "" || strings.HasSuffix(prefix, "/") || strings.HasSuffix(prefix, `\`)) {
		return prefix + p
	}
	return path.Join(path.Dir(f.Display), t)
}

// requirementsLines calls fn with each logical line of data and the line
// it starts at, joining continued lines as pip's join_lines does: a line
// ending in "\" is joined with the next (without its backslashes), and a
// comment line ends a continuation.
func requirementsLines(data []byte, fn func(line int, text string) error) error {
	var (
		buf     strings.Builder
		joining bool
		start   int
	)
	rest := data
	for n := 1; len(rest) > 0; n++ {
		var raw []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			raw, rest = rest[:i], rest[i+1:]
		} else {
			raw, rest = rest, nil
		}
		s := string(bytes.TrimSuffix(raw, []byte("\r")))
		comment := strings.HasPrefix(strings.TrimLeft(s, " \t\f\v\r"), "#")
		if strings.HasSuffix(s, `\`) && !comment {
			if !joining {
				start, joining = n, true
			}
			buf.WriteString(strings.Trim(s, `\`))
			continue
		}
		if !joining {
			if err := fn(n, s); err != nil {
				return err
			}
			continue
		}
		if comment {
			s = " " + s // stripped with the comment, ending the line
		}
		buf.WriteString(s)
		if err := fn(start, buf.String()); err != nil {
			return err
		}
		buf.Reset()
		joining = false
	}
	if joining {
		return fn(start, buf.String())
	}
	return nil
}

// requirementsStripComment removes a comment ("#" at the start or after
// whitespace, to the end) and surrounding whitespace. A "#" inside a word,
// as in a URL's "#egg=name", starts no comment.
func requirementsStripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && (i == 0 || requirementsSpace(s[i-1])) {
			s = s[:i]
			break
		}
	}
	return strings.TrimSpace(s)
}

func requirementsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r'
}

// requirementsSplit splits a line into its requirement and its options: the
// options start at the first word starting with "-".
func requirementsSplit(s string) (args, opts string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '-' && (i == 0 || requirementsSpace(s[i-1])) {
			return strings.TrimSpace(s[:i]), s[i:]
		}
	}
	return s, ""
}

// requirementsOption is an option in a requirements file, by its long name.
type requirementsOption struct {
	name  string
	value string
}

// requirementsOptionSpecs are the options pip accepts in a requirements
// file, and whether they take a value.
var requirementsOptionSpecs = []struct {
	short, long string
	value       bool
}{
	{"-i", "--index-url", true},
	{"", "--extra-index-url", true},
	{"", "--no-index", false},
	{"-c", "--constraint", true},
	{"-r", "--requirement", true},
	{"-e", "--editable", true},
	{"-f", "--find-links", true},
	{"", "--no-binary", true},
	{"", "--only-binary", true},
	{"", "--prefer-binary", false},
	{"", "--require-hashes", false},
	{"", "--pre", false},
	{"", "--trusted-host", true},
	{"", "--use-feature", true},
	{"", "--global-option", true},
	{"-C", "--config-settings", true},
	{"", "--hash", true},
}

// requirementsOptionsOf parses the options part of a line as pip does
// (shlex words, then optparse: "--name value", "--name=value", "-xvalue",
// unique prefixes of long names). Unknown options and stray words are
// ignored.
func requirementsOptionsOf(s string) ([]requirementsOption, error) {
	if s == "" {
		return nil, nil
	}
	words, err := requirementsWords(s)
	if err != nil {
		return nil, err
	}
	var out []requirementsOption
	for i := 0; i < len(words); i++ {
		w := words[i]
		var (
			name, value string
			hasValue    bool
		)
		switch {
		case strings.HasPrefix(w, "--"):
			name, value, hasValue = strings.Cut(w, "=")
		case strings.HasPrefix(w, "-") && len(w) >= 2:
			name, value, hasValue = w[:2], w[2:], len(w) > 2
		default:
			continue
		}
		long, takesValue, ok := requirementsLookup(name)
		if !ok {
			continue
		}
		if takesValue && !hasValue {
			if i+1 >= len(words) {
				return nil, fmt.Errorf("option %s needs a value", long)
			}
			i++
			value = words[i]
		}
		out = append(out, requirementsOption{name: long, value: value})
	}
	return out, nil
}

// requirementsLookup finds an option by its short name, long name or a
// unique prefix of its long name.
func requirementsLookup(name string) (long string, value, ok bool) {
	found := -1
	for i, o := range requirementsOptionSpecs {
		if name == o.short || name == o.long {
			return o.long, o.value, true
		}
		if len(name) > 2 && strings.HasPrefix(o.long, name) {
			if found >= 0 {
				return "", false, false // ambiguous
			}
			found = i
		}
	}
	if found < 0 {
		return "", false, false
	}
	return requirementsOptionSpecs[found].long, requirementsOptionSpecs[found].value, true
}

// requirementsWords splits s into words like Python's shlex.split: spaces
// separate words, quotes group, a backslash escapes outside single quotes.
func requirementsWords(s string) ([]string, error) {
	var (
		out   []string
		b     strings.Builder
		in    bool
		quote byte
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
				i++
				b.WriteByte(s[i])
			} else {
				b.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			in = true
		case requirementsSpace(c):
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("no closing quotation in options %s", quoteShort(s))
	}
	if in {
		out = append(out, b.String())
	}
	return out, nil
}

// requirementsPackage parses a requirement: a URL, a named requirement
// (PEP 508, with a version specifier or "@ url") or a local path, in pip's
// order.
func requirementsPackage(s string) (Package, error) {
	p := Package{Ecosystem: ecosystem.PyPI}
	// Markers follow ";", or "; " after a URL, which may itself hold ";".
	scheme := pyScheme(s)
	isURL := pyVCS(scheme) != "" || scheme == "http" || scheme == "https" || scheme == "ftp" || scheme == "file"
	sep := ";"
	if isURL {
		sep = "; "
	}
	s, _, _ = strings.Cut(s, sep)
	s = strings.TrimSpace(s)
	if isURL {
		p.Source, p.Name, p.Version = pyLocation(s)
		return p, nil
	}
	name, rest, nameErr := requirementsName(s)
	if nameErr == nil && strings.HasPrefix(rest, "@") {
		u := strings.TrimSpace(rest[1:])
		if u == "" {
			return p, fmt.Errorf("invalid requirement %s: no URL after @", quoteShort(s))
		}
		var guess, version string
		p.Source, guess, version = pyLocation(u)
		p.Name = name
		if ecosystem.Normalize(ecosystem.PyPI, guess) == ecosystem.Normalize(ecosystem.PyPI, name) {
			p.Version = version
		}
		return p, nil
	}
	if strings.ContainsAny(s, `/\`) || strings.HasPrefix(s, ".") || pyIsArchive(pyStripExtras(s)) {
		p.Source, p.Name, p.Version = pyLocation(pyStripExtras(s))
		return p, nil
	}
	if nameErr != nil {
		return p, nameErr
	}
	version, err := requirementsPin(rest)
	if err != nil {
		return p, fmt.Errorf("invalid requirement %s: %v", quoteShort(s), err)
	}
	p.Name, p.Version, p.Source = name, version, Source{Kind: Registry}
	return p, nil
}

// requirementsEditable returns the package of an -e option: a local
// project or a VCS URL, named by its "#egg=" fragment when it has one.
func requirementsEditable(v string) Package {
	p := Package{Ecosystem: ecosystem.PyPI}
	loc := strings.TrimSpace(v)
	if pyScheme(loc) == "" || pyScheme(loc) == "file" {
		loc = pyStripExtras(loc)
	}
	p.Source, p.Name, _ = pyLocation(loc)
	return p
}

// requirementsName reads the name and extras at the start of a PEP 508
// requirement and returns the name and what follows the extras.
func requirementsName(s string) (name, rest string, err error) {
	i := 0
	for i < len(s) && (pyNameByte(s[i])) {
		i++
	}
	name = s[:i]
	if !pyValidName(name) {
		return "", "", fmt.Errorf("invalid requirement %s: no valid package name", quoteShort(s))
	}
	rest = strings.TrimSpace(s[i:])
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", fmt.Errorf("invalid requirement %s: extras not closed with ]", quoteShort(s))
		}
		for _, e := range strings.Split(rest[1:end], ",") {
			if e = strings.TrimSpace(e); e != "" && !pyValidName(e) {
				return "", "", fmt.Errorf("invalid requirement %s: invalid extra %s", quoteShort(s), quoteShort(e))
			}
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	return name, rest, nil
}

func pyNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// requirementsOperators are the PEP 440 comparison operators, longest
// first.
var requirementsOperators = []string{"===", "==", "!=", "<=", ">=", "~=", "<", ">"}

// requirementsPin checks a version specifier ("==1.0", ">=1,<2",
// "(~=1.4)") and returns the version it pins: that of its one "==" clause
// without a wildcard or "===" clause, else "".
func requirementsPin(spec string) (string, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return "", nil
	}
	if strings.HasPrefix(spec, "(") {
		if !strings.HasSuffix(spec, ")") {
			return "", fmt.Errorf("specifier not closed with )")
		}
		spec = spec[1 : len(spec)-1]
	}
	var (
		pin     string
		pins    int
		unknown bool
	)
	for _, clause := range strings.Split(spec, ",") {
		clause = strings.TrimSpace(clause)
		op := ""
		for _, o := range requirementsOperators {
			if strings.HasPrefix(clause, o) {
				op = o
				break
			}
		}
		if op == "" {
			return "", fmt.Errorf("%s is not a version specifier", quoteShort(clause))
		}
		v := strings.TrimSpace(clause[len(op):])
		if v == "" {
			return "", fmt.Errorf("no version after %s", op)
		}
		if strings.Contains(v, "${") {
			unknown = true // an environment variable pip would expand
			continue
		}
		if op == "===" {
			if strings.ContainsAny(v, " \t") {
				return "", fmt.Errorf("invalid version %s", quoteShort(v))
			}
		} else if !requirementsVersionChars(v) {
			return "", fmt.Errorf("invalid version %s", quoteShort(v))
		}
		if op == "===" || op == "==" && !strings.HasSuffix(v, ".*") {
			pin = v
			pins++
		}
	}
	if pins != 1 || unknown {
		return "", nil
	}
	return pin, nil
}

// requirementsVersionChars reports whether v holds only characters of a
// PEP 440 version (or a wildcard or local part).
func requirementsVersionChars(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !pyNameByte(c) && c != '+' && c != '!' && c != '*' {
			return false
		}
	}
	return true
}
