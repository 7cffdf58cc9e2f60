package lockfile

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/sapperhq/sapper/internal/limits"
)

// This file holds what the Python parsers share: text checks, index and
// URL classification, file-name parsing and TOML decoding with lines.

// pyText checks that data is UTF-8 and returns it without a leading byte
// order mark. The error names the line of the first invalid byte.
func pyText(f File, data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return data, nil
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return nil, Errorf(f, bytes.Count(data[:i], []byte("\n"))+1, "invalid UTF-8 at byte %d", i)
		}
		i += n
	}
	return data, nil
}

// pyQuote quotes s for an error message, cut to a readable length: the
// values quoted come from hostile files.
func pyQuote(s string) string {
	const max = 80
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// pyPublicHosts are the hosts of the public Python Package Index. Test PyPI
// (test.pypi.org) is another registry and is not among them.
var pyPublicHosts = map[string]bool{
	"pypi.org":        true,
	"www.pypi.org":    true,
	"pypi.python.org": true,
}

// pyURLHost returns the lower-cased host of an absolute URL
// ("scheme://[userinfo@]host[:port]/..."), or "" when u has none.
func pyURLHost(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") { // IPv6 literal
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			return strings.ToLower(rest[:i+1])
		}
		return ""
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return strings.ToLower(rest)
}

// pyPublicIndex reports whether the index or registry URL u is the public
// PyPI.
func pyPublicIndex(u string) bool {
	return pyPublicHosts[pyURLHost(strings.TrimSpace(u))]
}

// pyRegistry returns the source of a package from the index at u: the public
// registry when u is "" or PyPI, else a registry with its URL.
func pyRegistry(u string) Source {
	u = strings.TrimSpace(u)
	if u == "" || pyPublicIndex(u) {
		return Source{Kind: Registry}
	}
	return Source{Kind: Registry, URL: pyRedact(u)}
}

// pyRedact removes the user information of a URL ("https://user:token@host"),
// which often holds a credential, so that it never reaches a report. Strings
// that are not absolute URLs are returned unchanged.
func pyRedact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return u
	}
	return scheme + "://" + rest[at+1:]
}

// pyVCS maps the version-control schemes pip knows ("git+https", "hg",
// "svn+ssh", ...) to their system.
func pyVCS(scheme string) string {
	vcs, _, _ := strings.Cut(scheme, "+")
	switch vcs {
	case "git", "hg", "svn", "bzr":
		return vcs
	}
	return ""
}

// pyScheme returns the lower-cased URL scheme of s ("git+https", "file"),
// or "" when s does not start with one. A Windows drive ("C:\...") is not a
// scheme.
func pyScheme(s string) string {
	i := strings.IndexByte(s, ':')
	if i < 2 {
		return ""
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return ""
		}
	}
	return strings.ToLower(s[:i])
}

// pyLocation classifies a URL or local path from which a package is
// installed: a VCS URL ("git+https://...", also "git://"), an archive URL,
// a file: URL or a local path. It returns the source, and the name and
// version when the location tells them: a "#egg=name" fragment, a wheel
// file name (name-version-tags.whl) or a source archive name
// (name-version.tar.gz).
func pyLocation(loc string) (src Source, name, version string) {
	loc = strings.TrimSpace(loc)
	body, frag, _ := strings.Cut(loc, "#")
	for _, kv := range strings.Split(frag, "&") {
		if v, ok := strings.CutPrefix(kv, "egg="); ok {
			name = pyStripExtras(v)
		}
	}
	scheme := pyScheme(body)
	switch vcs := pyVCS(scheme); {
	case vcs == "git":
		if strings.HasPrefix(scheme, "git+") {
			body = body[len("git+"):]
		}
		return Source{Kind: Git, URL: pyRedact(body)}, name, ""
	case vcs != "":
		// Mercurial, Subversion and Bazaar repositories: no SourceKind of
		// their own, and not a registry.
		if strings.HasPrefix(scheme, vcs+"+") {
			body = body[len(vcs)+1:]
		}
		return Source{Kind: URL, URL: pyRedact(body)}, name, ""
	case scheme == "file":
		src = Source{Kind: Path, URL: body}
	case scheme == "":
		src = Source{Kind: Path, URL: body}
	default:
		src = Source{Kind: URL, URL: pyRedact(body)}
	}
	if name == "" {
		file := body
		if i := strings.IndexAny(file, "?"); i >= 0 {
			file = file[:i]
		}
		file = file[strings.LastIndexAny(file, `/\`)+1:]
		name, version = pyArchiveName(file)
	}
	return src, name, version
}

// pyArchiveSuffixes are the archive extensions pip installs from.
var pyArchiveSuffixes = []string{".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar.lz", ".tlz", ".tar", ".zip"}

// pyIsArchive reports whether a path names a wheel or source archive.
func pyIsArchive(p string) bool {
	p = strings.ToLower(p)
	if strings.HasSuffix(p, ".whl") {
		return true
	}
	for _, s := range pyArchiveSuffixes {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	return false
}

// pyArchiveName returns the name and version a distribution file name
// carries: a wheel is "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl"
// (the wheel specification), a source archive "{name}-{version}.tar.gz"
// (PEP 625), split at the last "-" followed by a digit.
func pyArchiveName(file string) (name, version string) {
	lower := strings.ToLower(file)
	if strings.HasSuffix(lower, ".whl") {
		parts := strings.Split(file[:len(file)-len(".whl")], "-")
		if len(parts) != 5 && len(parts) != 6 || !pyValidName(parts[0]) || parts[1] == "" {
			return "", ""
		}
		return parts[0], parts[1]
	}
	for _, s := range pyArchiveSuffixes {
		if !strings.HasSuffix(lower, s) {
			continue
		}
		stem := file[:len(file)-len(s)]
		for i := len(stem) - 2; i > 0; i-- {
			if stem[i] == '-' && '0' <= stem[i+1] && stem[i+1] <= '9' {
				if pyValidName(stem[:i]) {
					return stem[:i], stem[i+1:]
				}
				return "", ""
			}
		}
		return "", ""
	}
	return "", ""
}

// pyValidName reports whether name is a valid distribution name (PEP 508:
// letters, digits, ".", "_" and "-", starting and ending with a letter or
// digit).
func pyValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// pyStripExtras removes a trailing "[extra,...]" from a name or path.
func pyStripExtras(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndexByte(s, '['); i >= 0 {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// pyTOML decodes the TOML document data and returns the tables of its
// top-level array of tables named key ([[package]]), in order, each with
// its line.
//
// The document is decoded into maps, not structs: go-toml matches keys to
// struct fields ignoring case, so "NAME" would override "name" and
// [[PACKAGE]] restart the package list, letting a crafted file show sapper
// other packages than the installer reads. Keys are matched exactly here,
// as the installers do.
//
// The decoder gives no positions, so a first pass over the syntax tree
// (pelletier/go-toml/v2/unstable) finds the lines of the tables. It also
// bounds what the decoder would recurse on: arrays and inline tables
// nested deeper, and dotted keys longer, than limits.MaxNesting are
// refused.
func pyTOML(f File, data []byte, key string) ([]*pyTable, error) {
	var lines []int
	nl := NewLines(data)
	var p unstable.Parser
	p.Reset(data)
	root := true // no table header seen yet
	type item struct {
		n     *unstable.Node
		depth int
	}
	var stack []item
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.KeyValue && e.Kind != unstable.Table && e.Kind != unstable.ArrayTable {
			continue
		}
		if err := pyTOMLKey(f, nl, e); err != nil {
			return nil, err
		}
		// first is the first part of the key, single whether it is the
		// only one.
		k := e.Key()
		k.Next()
		first := k.Node()
		single := !k.Next()
		keyLine := nl.At(int64(first.Raw.Offset))
		isKey := string(first.Data) == key
		switch e.Kind {
		case unstable.Table:
			root = false
			if isKey && single {
				return nil, Errorf(f, keyLine, "[%s] is a table; want [[%s]], an array of tables", key, key)
			}
			continue
		case unstable.ArrayTable:
			root = false
			if isKey && single {
				lines = append(lines, keyLine)
			}
			continue
		}
		val := e.Value()
		if root && isKey {
			if !single || val.Kind != unstable.Array {
				return nil, Errorf(f, keyLine, "%s is not an array of tables", key)
			}
			it := val.Children()
			for it.Next() {
				lines = append(lines, nl.At(int64(it.Node().Raw.Offset)))
			}
		}
		// Walk the value without recursion, bounding its depth.
		stack = append(stack[:0], item{val, 0})
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if it.depth > limits.MaxNesting {
				return nil, Errorf(f, keyLine, "values nested more than %d deep", limits.MaxNesting)
			}
			switch it.n.Kind {
			case unstable.Array:
				c := it.n.Children()
				for c.Next() {
					stack = append(stack, item{c.Node(), it.depth + 1})
				}
			case unstable.InlineTable:
				c := it.n.Children()
				for c.Next() {
					kv := c.Node()
					if kv.Kind != unstable.KeyValue {
						continue
					}
					if err := pyTOMLKey(f, nl, kv); err != nil {
						return nil, err
					}
					stack = append(stack, item{kv.Value(), it.depth + 1})
				}
			}
		}
	}
	if err := p.Error(); err != nil {
		line := 0
		var pe *unstable.ParserError
		if errors.As(err, &pe) && pe.Highlight != nil {
			if off := cap(data) - cap(pe.Highlight); off >= 0 && off <= len(data) {
				line = nl.At(int64(off))
			}
		}
		return nil, Errorf(f, line, "invalid TOML: %v", pyTOMLMessage(err))
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			if k := de.Key(); len(k) > 0 {
				return nil, Errorf(f, line, "invalid TOML at key %s: %v", pyQuote(strings.Join(k, ".")), pyTOMLMessage(err))
			}
			return nil, Errorf(f, line, "invalid TOML: %v", pyTOMLMessage(err))
		}
		return nil, Errorf(f, 0, "invalid TOML: %v", pyTOMLMessage(err))
	}
	v, ok := doc[key]
	if !ok {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, Errorf(f, 0, "%s is %s, want an array of tables", key, pyTOMLKind(v))
	}
	tables := make([]*pyTable, len(arr))
	for i, e := range arr {
		line := 0
		if len(lines) == len(arr) {
			line = lines[i]
		}
		m, ok := e.(map[string]any)
		if !ok {
			return nil, Errorf(f, line, "%s: element %d is %s, want a table", key, i+1, pyTOMLKind(e))
		}
		tables[i] = &pyTable{f: f, line: line, path: key, m: m, err: new(error)}
	}
	return tables, nil
}

// pyTable reads a decoded TOML table of file f, declared at line, at path
// in the document ("package", "package.source"). The first value of a
// wrong type is kept in err; later reads return zero values.
type pyTable struct {
	f    File
	line int
	path string
	m    map[string]any
	err  *error
}

// fail records the first error of t's package.
func (t *pyTable) fail(key, want string, v any) {
	if *t.err == nil {
		*t.err = Errorf(t.f, t.line, "%s.%s is %s, want %s", t.path, key, pyTOMLKind(v), want)
	}
}

// Err returns the first error met reading t or its subtables.
func (t *pyTable) Err() error { return *t.err }

// str returns the string at key, "" when there is none.
func (t *pyTable) str(key string) string {
	v, ok := t.m[key]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		t.fail(key, "a string", v)
	}
	return s
}

// strs returns the array of strings at key.
func (t *pyTable) strs(key string) []string {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		t.fail(key, "an array of strings", v)
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			t.fail(key, "an array of strings", v)
			return nil
		}
		out = append(out, s)
	}
	return out
}

// has reports whether t has key.
func (t *pyTable) has(key string) bool {
	_, ok := t.m[key]
	return ok
}

// table returns the table at key, or nil when there is none.
func (t *pyTable) table(key string) *pyTable {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.fail(key, "a table", v)
		return nil
	}
	return &pyTable{f: t.f, line: t.line, path: t.path + "." + key, m: m, err: t.err}
}

// pyTOMLKind names the TOML type of a decoded value, for a message.
func pyTOMLKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// pyTOMLKey refuses dotted keys with more than limits.MaxNesting parts.
func pyTOMLKey(f File, nl *Lines, n *unstable.Node) error {
	k := n.Key()
	for i := 0; k.Next(); i++ {
		if i >= limits.MaxNesting {
			return Errorf(f, nl.At(int64(k.Node().Raw.Offset)), "key with more than %d parts", limits.MaxNesting)
		}
	}
	return nil
}

// pyTOMLMessage returns the message of a go-toml error without its "toml: "
// prefix.
func pyTOMLMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "toml: ")
}
