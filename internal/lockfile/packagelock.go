package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// packageLockParser reads npm's package-lock.json and npm-shrinkwrap.json:
// lockfileVersion 1 (a nested "dependencies" tree) and 2 and 3 (a flat
// "packages" map keyed by install path). Version 2 files carry both
// sections; the "packages" map wins.
//
// The file is streamed with encoding/json's Decoder: each entry is decoded
// on its own and its line taken from the decoder's offset, so parsing stays
// linear in the size of the file.
type packageLockParser struct{}

var _ Parser = packageLockParser{}

func (packageLockParser) Name() string { return "package-lock.json" }

func (packageLockParser) Match(p string) bool {
	b := base(p)
	return b == "package-lock.json" || b == "npm-shrinkwrap.json"
}

func (packageLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "%w", err)
	}
	return parsePackageLock(ctx, f, data)
}

// npmLockEntry is a value of the "packages" map of lockfileVersion 2 and 3.
type npmLockEntry struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Resolved string `json:"resolved"`
	Link     bool   `json:"link"`
	Dev      bool   `json:"dev"`
}

func parsePackageLock(ctx context.Context, f File, data []byte) ([]Package, error) {
	data, err := npmText(f, data)
	if err != nil {
		return nil, err
	}
	j := newNPMJSON(f, data)
	if err := j.open("the top level", 1); err != nil {
		return nil, err
	}
	var (
		packages    npmInventory
		deps        []Package
		hasPackages bool
	)
	for j.dec.More() {
		key, line, err := j.key()
		if err != nil {
			return nil, err
		}
		switch key {
		case "packages":
			hasPackages = true
			if err := j.packages(ctx, line, &packages); err != nil {
				return nil, err
			}
		case "dependencies":
			if hasPackages {
				// Version 2 repeats the tree for version 1 readers.
				err = j.skip(line)
			} else {
				deps = deps[:0]
				err = j.deps(ctx, line, 1, &deps)
			}
		default:
			err = j.skip(line)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := j.end(); err != nil {
		return nil, err
	}
	if hasPackages {
		return packages.pkgs, nil
	}
	// A nested tree comes out depth first; report it in file order so
	// that deduplication keeps the first line.
	sort.SliceStable(deps, func(a, b int) bool { return deps[a].Location.Line < deps[b].Location.Line })
	var inv npmInventory
	for _, p := range deps {
		inv.add(p)
	}
	return inv.pkgs, nil
}

// packages reads the "packages" map of lockfileVersion 2 and 3.
func (j *npmJSON) packages(ctx context.Context, line int, inv *npmInventory) error {
	if err := j.open(`"packages"`, line); err != nil {
		return err
	}
	for n := 0; j.dec.More(); n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		key, line, err := j.key()
		if err != nil {
			return err
		}
		var e *npmLockEntry
		if err := j.dec.Decode(&e); err != nil {
			return j.fail(err, line, fmt.Sprintf("packages[%q]", key))
		}
		if e == nil {
			return Errorf(j.f, line, "packages[%q]: want an object, got null", key)
		}
		// "" is the project itself; other keys outside node_modules are
		// its workspace directories, reached through "link" entries.
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 {
			continue
		}
		name := e.Name
		if name == "" {
			name = key[i+len("node_modules/"):]
		}
		if name == "" {
			return Errorf(j.f, line, "packages[%q] names no package", key)
		}
		src := npmResolved(e.Resolved)
		if e.Link {
			src = Source{Kind: Path, URL: e.Resolved}
		}
		inv.add(Package{
			Ecosystem: ecosystem.NPM,
			Name:      name,
			Version:   e.Version,
			Location:  Location{Path: j.f.Display, Line: line},
			Source:    src,
			Dev:       e.Dev,
		})
	}
	return j.close(`"packages"`)
}

// deps reads a "dependencies" tree of lockfileVersion 1 at nesting depth,
// appending what it finds to out.
func (j *npmJSON) deps(ctx context.Context, line, depth int, out *[]Package) error {
	if depth > limits.MaxNesting {
		return Errorf(j.f, line, "dependencies nested more than %d deep", limits.MaxNesting)
	}
	if err := j.open(`"dependencies"`, line); err != nil {
		return err
	}
	for n := 0; j.dec.More(); n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		name, line, err := j.key()
		if err != nil {
			return err
		}
		what := fmt.Sprintf("dependencies[%q]", name)
		if err := j.open(what, line); err != nil {
			return err
		}
		var version, resolved string
		var dev bool
		for j.dec.More() {
			field, fline, err := j.key()
			if err != nil {
				return err
			}
			switch field {
			case "version":
				err = j.decode(&version, fline, what+".version")
			case "resolved":
				err = j.decode(&resolved, fline, what+".resolved")
			case "dev":
				err = j.decode(&dev, fline, what+".dev")
			case "dependencies":
				err = j.deps(ctx, fline, depth+1, out)
			default:
				err = j.skip(fline)
			}
			if err != nil {
				return err
			}
		}
		if err := j.close(what); err != nil {
			return err
		}
		if name == "" {
			return Errorf(j.f, line, "dependencies[%q] names no package", name)
		}
		p := Package{
			Ecosystem: ecosystem.NPM,
			Name:      name,
			Version:   version,
			Location:  Location{Path: j.f.Display, Line: line},
			Source:    npmResolved(resolved),
			Dev:       dev,
		}
		// Version 1 writes what was asked for in "version" when it is
		// not a registry version: npm:real@1.0.0 for an alias, or the
		// git, file or tarball spec.
		if rest, ok := strings.CutPrefix(version, "npm:"); ok {
			if n, v, ok := npmSplitSpec(rest); ok {
				p.Name, p.Version = n, v
			}
		} else if strings.Contains(version, ":") || strings.Contains(version, "/") {
			p.Version = ""
			if resolved == "" {
				p.Source = npmSpecSource(version)
			}
		}
		*out = append(*out, p)
	}
	return j.close(`"dependencies"`)
}

// npmJSON streams a JSON document with positions for messages.
type npmJSON struct {
	f     File
	lines *Lines
	dec   *json.Decoder
	size  int64
}

func newNPMJSON(f File, data []byte) *npmJSON {
	return &npmJSON{
		f:     f,
		lines: NewLines(data),
		dec:   json.NewDecoder(bytes.NewReader(data)),
		size:  int64(len(data)),
	}
}

// key reads an object key and returns it with its line.
func (j *npmJSON) key() (string, int, error) {
	tok, err := j.dec.Token()
	if err != nil {
		return "", 0, j.fail(err, 0, "")
	}
	line := j.lines.At(j.dec.InputOffset() - 1)
	s, ok := tok.(string)
	if !ok {
		return "", 0, Errorf(j.f, line, "want an object key, got %s", npmDescribe(tok))
	}
	return s, line, nil
}

// open reads the '{' that starts the value of what, declared at line.
func (j *npmJSON) open(what string, line int) error {
	tok, err := j.dec.Token()
	if err != nil {
		return j.fail(err, line, what)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Errorf(j.f, line, "%s: want an object, got %s", what, npmDescribe(tok))
	}
	return nil
}

// close reads the '}' that ends the value of what.
func (j *npmJSON) close(what string) error {
	tok, err := j.dec.Token()
	if err != nil {
		return j.fail(err, 0, what)
	}
	if d, ok := tok.(json.Delim); !ok || d != '}' {
		return Errorf(j.f, j.lines.At(j.dec.InputOffset()-1), "%s: want the end of the object, got %s", what, npmDescribe(tok))
	}
	return nil
}

// end reads the end of the top-level object and of the input.
func (j *npmJSON) end() error {
	if err := j.close("the top level"); err != nil {
		return err
	}
	if tok, err := j.dec.Token(); err != io.EOF {
		if err != nil {
			return j.fail(err, 0, "")
		}
		return Errorf(j.f, j.lines.At(j.dec.InputOffset()-1), "want the end of the file after the top-level object, got %s", npmDescribe(tok))
	}
	return nil
}

// decode decodes the next value into v.
func (j *npmJSON) decode(v any, line int, what string) error {
	if err := j.dec.Decode(v); err != nil {
		return j.fail(err, line, what)
	}
	return nil
}

// skip reads past the next value.
func (j *npmJSON) skip(line int) error {
	return j.decode(&npmSkip{}, line, "")
}

// npmSkip discards a JSON value without allocating.
type npmSkip struct{}

func (npmSkip) UnmarshalJSON([]byte) error { return nil }

// fail turns a decoding error into an *Error at the line where the input
// is wrong, or at line (that of the value being read).
func (j *npmJSON) fail(err error, line int, what string) error {
	prefix := ""
	if what != "" {
		prefix = what + ": "
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Errorf(j.f, j.lines.At(syn.Offset-1), "invalid JSON: %v", syn)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(j.f, j.lines.At(max(j.size-1, 0)), "unexpected end of file")
	case errors.As(err, &typ):
		if typ.Field != "" {
			prefix += typ.Field + ": "
		}
		want := typ.Type.Kind().String()
		switch typ.Type.Kind() {
		case reflect.Struct, reflect.Pointer, reflect.Map:
			want = "object"
		case reflect.Slice:
			want = "array"
		case reflect.Bool:
			want = "boolean"
		}
		return Errorf(j.f, line, "%swant %s, got %s", prefix, want, typ.Value)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return Errorf(j.f, line, "%s%v", prefix, err)
}

// npmDescribe names the kind of a JSON token for messages.
func npmDescribe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// npmText strips a UTF-8 byte order mark from data and checks that the
// rest is valid UTF-8, as every text lockfile format requires.
func npmText(f File, data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return data, nil
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			line := bytes.Count(data[:i], []byte("\n")) + 1
			return nil, Errorf(f, line, "invalid UTF-8 at byte %d", i)
		}
		i += n
	}
	return data, nil
}

// npmInventory collects the packages of one file, dropping repeats of the
// same name, version and source: the first line is kept, and the package
// is Dev only when every occurrence is.
type npmInventory struct {
	pkgs []Package
	seen map[npmKey]int
}

type npmKey struct {
	name, version string
	src           Source
}

func (inv *npmInventory) add(p Package) {
	k := npmKey{p.Name, p.Version, p.Source}
	if i, ok := inv.seen[k]; ok {
		if !p.Dev {
			inv.pkgs[i].Dev = false
		}
		return
	}
	if inv.seen == nil {
		inv.seen = make(map[npmKey]int)
	}
	inv.seen[k] = len(inv.pkgs)
	inv.pkgs = append(inv.pkgs, p)
}

// npmSplitSpec splits an npm "name@rest" (a spec, locator or resolution),
// where name may be scoped ("@scope/name@^1.0.0").
func npmSplitSpec(s string) (name, rest string, ok bool) {
	if len(s) < 2 {
		return s, "", false
	}
	i := strings.IndexByte(s[1:], '@')
	if i < 0 {
		return s, "", false
	}
	return s[:i+1], s[i+2:], true
}

// npmPublicHosts serve the public npm registry.
var npmPublicHosts = map[string]bool{
	"registry.npmjs.org":   true,
	"registry.yarnpkg.com": true,
}

// npmGitPrefixes start the git specs and URLs npm, yarn, pnpm and bun write.
var npmGitPrefixes = []string{"git+", "git:", "git://", "github:", "gitlab:", "bitbucket:", "gist:", "ssh://"}

// npmResolved classifies a resolved location as npm-style lockfiles write
// it: a tarball URL, a git URL, a file: spec or a bare path (a link).
func npmResolved(resolved string) Source {
	switch {
	case resolved == "", strings.HasPrefix(resolved, "https://registry.npmjs.org/"):
		return Source{Kind: Registry}
	case strings.HasPrefix(resolved, "http://"), strings.HasPrefix(resolved, "https://"):
		return npmHTTPSource(resolved)
	case strings.Contains(resolved, "://"):
		for _, p := range npmGitPrefixes {
			if strings.HasPrefix(resolved, p) {
				return Source{Kind: Git, URL: npmRedact(resolved)}
			}
		}
		return Source{Kind: URL, URL: npmRedact(resolved)}
	case !strings.Contains(resolved, ":"):
		return Source{Kind: Path, URL: resolved} // a link's target
	}
	return npmSpecSource(resolved)
}

// npmSpecSource classifies what an npm dependency spec asks for: a range or
// tag (the registry), a git repository, a tarball URL or a local path.
func npmSpecSource(spec string) Source {
	for _, p := range []string{"file:", "link:", "portal:"} {
		if rest, ok := strings.CutPrefix(spec, p); ok {
			return Source{Kind: Path, URL: rest}
		}
	}
	for _, p := range npmGitPrefixes {
		if strings.HasPrefix(spec, p) {
			return Source{Kind: Git, URL: npmRedact(spec)}
		}
	}
	switch {
	case strings.HasPrefix(spec, "http://"), strings.HasPrefix(spec, "https://"):
		return npmHTTPSource(spec)
	case strings.HasPrefix(spec, "npm:"):
		return Source{Kind: Registry}
	case strings.HasPrefix(spec, "git@"):
		return Source{Kind: Git, URL: spec}
	case strings.HasPrefix(spec, "./"), strings.HasPrefix(spec, "../"),
		strings.HasPrefix(spec, "/"), strings.HasPrefix(spec, "~/"),
		strings.HasPrefix(spec, "exec:"), spec == "." || spec == "..":
		return Source{Kind: Path, URL: spec}
	case strings.Contains(spec, "/") && !strings.Contains(spec, ":") && !strings.HasPrefix(spec, "@"):
		// "user/repo": a GitHub shorthand.
		return Source{Kind: Git, URL: spec}
	case strings.Contains(spec, "://"):
		return Source{Kind: URL, URL: npmRedact(spec)}
	}
	return Source{Kind: Registry}
}

// npmHTTPSource classifies an http(s) URL: the public registry, another
// registry (a tarball path with "/-/", as npm registries serve them), a
// git host's tarball or repository, or any other tarball.
func npmHTTPSource(raw string) Source {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Source{Kind: URL, URL: npmRedact(raw)}
	}
	host := strings.ToLower(u.Hostname())
	if npmPublicHosts[host] {
		return Source{Kind: Registry}
	}
	switch host {
	case "codeload.github.com":
		return Source{Kind: Git, URL: npmRedact(raw)}
	case "github.com", "gitlab.com", "bitbucket.org":
		if strings.HasSuffix(u.Path, ".git") || strings.HasPrefix(u.Fragment, "commit=") {
			return Source{Kind: Git, URL: npmRedact(raw)}
		}
	case "npm.pkg.github.com":
		return Source{Kind: Registry, URL: u.Scheme + "://" + u.Host}
	}
	if i := strings.Index(u.Path, "/-/"); i >= 0 {
		// https://host/prefix/[@scope/]name/-/name-1.0.0.tgz: the
		// registry is https://host/prefix.
		prefix := u.Path[:i]
		prefix = prefix[:strings.LastIndexByte(prefix, '/')+1]
		if j := strings.LastIndexByte(strings.TrimSuffix(prefix, "/"), '/'); j >= 0 && strings.HasPrefix(prefix[j+1:], "@") {
			prefix = prefix[:j+1]
		}
		return Source{Kind: Registry, URL: u.Scheme + "://" + u.Host + strings.TrimSuffix(prefix, "/")}
	}
	// The fragment, if any, is a checksum (yarn's #sha1), not part of
	// the location.
	u.User, u.Fragment, u.RawFragment = nil, "", ""
	return Source{Kind: URL, URL: u.String()}
}

// npmRedact drops credentials from a URL so that they do not reach
// reports: all user information for http(s), the password otherwise
// (git+ssh://git@host keeps its user name).
func npmRedact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	_, hasPassword := u.User.Password()
	switch {
	case !strings.Contains(u.Scheme, "ssh"):
		u.User = nil
	case hasPassword:
		u.User = url.User(u.User.Username())
	default:
		return raw
	}
	return u.String()
}
