package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// yarnLockParser reads yarn.lock: the "# yarn lockfile v1" format of yarn
// classic, and the YAML of yarn berry (v2 and later), told apart by
// berry's __metadata entry.
type yarnLockParser struct{}

var _ Parser = yarnLockParser{}

func (yarnLockParser) Name() string { return "yarn.lock" }

func (yarnLockParser) Match(p string) bool { return base(p) == "yarn.lock" }

func (yarnLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "%w", err)
	}
	data, err = npmText(f, data)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte("__metadata:")) || bytes.Contains(data, []byte("\n__metadata:")) {
		return parseBerry(ctx, f, data)
	}
	return parseYarnV1(ctx, f, data)
}

// yarnEntry is one entry of a yarn v1 lockfile: the specs of its header
// line and the fields that matter here.
type yarnEntry struct {
	line              int
	specs             []string
	version, resolved string
}

// parseYarnV1 reads the yarn classic format
// (https://classic.yarnpkg.com/lang/en/docs/yarn-lock/): entries start at
// column 0 with a comma-separated list of specs ending in ':', followed by
// indented "key value" fields; nested maps (dependencies) are indented
// further.
func parseYarnV1(ctx context.Context, f File, data []byte) ([]Package, error) {
	var (
		inv         npmInventory
		cur         *yarnEntry
		fieldIndent int
	)
	finish := func() error {
		if cur == nil {
			return nil
		}
		p, err := yarnV1Package(f, cur)
		if err != nil {
			return err
		}
		inv.add(p)
		cur = nil
		return nil
	}
	for lineNo := 1; len(data) > 0; lineNo++ {
		if lineNo%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte("\n"))
		line := string(bytes.TrimRight(raw, "\r"))
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		if trimmed[0] == '\t' {
			return nil, Errorf(f, lineNo, "indented with a tab; yarn.lock indents with spaces")
		}
		indent := len(line) - len(trimmed)
		if indent == 0 {
			if err := finish(); err != nil {
				return nil, err
			}
			header, ok := strings.CutSuffix(strings.TrimRight(line, " "), ":")
			if !ok {
				return nil, Errorf(f, lineNo, "want an entry like name@range:, got %q", yarnShort(line))
			}
			specs, err := yarnSpecs(header)
			if err != nil {
				return nil, Errorf(f, lineNo, "%v", err)
			}
			cur = &yarnEntry{line: lineNo, specs: specs}
			fieldIndent = 0
			continue
		}
		if cur == nil {
			return nil, Errorf(f, lineNo, "indented line outside an entry")
		}
		if fieldIndent == 0 {
			fieldIndent = indent
		}
		switch {
		case indent > fieldIndent:
			continue // inside a nested map such as dependencies
		case indent < fieldIndent:
			return nil, Errorf(f, lineNo, "indented %d spaces, want %d", indent, fieldIndent)
		}
		key, value, err := yarnField(trimmed)
		if err != nil {
			return nil, Errorf(f, lineNo, "%v", err)
		}
		switch key {
		case "version":
			cur.version = value
		case "resolved":
			cur.resolved = value
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return inv.pkgs, nil
}

// yarnV1Package turns an entry into a package. The first spec names it;
// an alias (alias@npm:real@^1) names the real package.
func yarnV1Package(f File, e *yarnEntry) (Package, error) {
	name, rng, ok := npmSplitSpec(e.specs[0])
	if !ok || name == "" {
		return Package{}, Errorf(f, e.line, "spec %q is not name@range", e.specs[0])
	}
	if rest, ok := strings.CutPrefix(rng, "npm:"); ok {
		if n, _, ok := npmSplitSpec(rest); ok && n != "" {
			name = n
		}
	}
	if e.version == "" {
		return Package{}, Errorf(f, e.line, "entry %q has no version", e.specs[0])
	}
	src := npmResolved(e.resolved)
	if e.resolved == "" {
		src = npmSpecSource(rng)
	}
	return Package{
		Ecosystem: ecosystem.NPM,
		Name:      name,
		Version:   e.version,
		Location:  Location{Path: f.Display, Line: e.line},
		Source:    src,
	}, nil
}

// yarnSpecs splits an entry header: specs separated by commas, each
// quoted as a JSON string or bare.
func yarnSpecs(header string) ([]string, error) {
	var specs []string
	s := header
	for {
		s = strings.TrimLeft(s, " ")
		var spec string
		if strings.HasPrefix(s, `"`) {
			q, rest, err := yarnQuoted(s)
			if err != nil {
				return nil, err
			}
			spec, s = q, rest
		} else {
			i := strings.IndexByte(s, ',')
			if i < 0 {
				i = len(s)
			}
			spec, s = strings.TrimRight(s[:i], " "), s[i:]
		}
		if spec == "" {
			return nil, fmt.Errorf("empty spec in entry %q", yarnShort(header))
		}
		specs = append(specs, spec)
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return specs, nil
		}
		if s[0] != ',' {
			return nil, fmt.Errorf("want a comma between specs in entry %q", yarnShort(header))
		}
		s = s[1:]
	}
}

// yarnField splits a field line ("version \"1.0.0\"", "resolved
// https://...", "dependencies:") into its key and unquoted value.
func yarnField(s string) (key, value string, err error) {
	if strings.HasPrefix(s, `"`) {
		key, s, err = yarnQuoted(s)
		if err != nil {
			return "", "", err
		}
	} else {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		key, s = s[:i], s[i:]
	}
	if k, ok := strings.CutSuffix(key, ":"); ok && strings.TrimSpace(s) == "" {
		return k, "", nil // a nested map follows
	}
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, `"`) {
		value, s, err = yarnQuoted(s)
		if err != nil {
			return "", "", err
		}
		if strings.TrimSpace(s) != "" {
			return "", "", fmt.Errorf("unexpected %q after the value of %s", yarnShort(s), key)
		}
		return key, value, nil
	}
	return key, strings.TrimRight(s, " "), nil
}

// yarnQuoted reads the JSON string that starts s and returns it unquoted
// with the rest of s.
func yarnQuoted(s string) (string, string, error) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			var v string
			if err := json.Unmarshal([]byte(s[:i+1]), &v); err != nil {
				return "", "", fmt.Errorf("bad quoted string %s", yarnShort(s[:i+1]))
			}
			return v, s[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("unterminated quoted string %s", yarnShort(s))
}

// yarnShort shortens s for a message.
func yarnShort(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// parseBerry reads a yarn berry lockfile: YAML whose top-level keys are
// descriptor lists ("lodash@npm:^4.17.21, lodash@npm:^4.17.4") mapping to
// version, resolution ("lodash@npm:4.17.21") and more. The resolution
// says where the package comes from; workspace: entries are the project
// itself.
func parseBerry(ctx context.Context, f File, data []byte) ([]Package, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, npmYAMLError(f, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Errorf(f, root.Line, "want a mapping at the top level, got %s", npmYAMLKind(root))
	}
	var inv npmInventory
	for i := 0; i+1 < len(root.Content); i += 2 {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		k, v := root.Content[i], npmYAMLDeref(root.Content[i+1])
		if k.Value == "__metadata" {
			continue
		}
		if v.Kind != yaml.MappingNode {
			return nil, Errorf(f, k.Line, "entry %q: want a mapping, got %s", yarnShort(k.Value), npmYAMLKind(v))
		}
		resolution, err := npmYAMLString(f, v, "resolution")
		if err != nil {
			return nil, err
		}
		version, err := npmYAMLString(f, v, "version")
		if err != nil {
			return nil, err
		}
		if resolution == "" {
			return nil, Errorf(f, k.Line, "entry %q has no resolution", yarnShort(k.Value))
		}
		p, ok, err := berryLocator(resolution, 0)
		if err != nil {
			return nil, Errorf(f, k.Line, "entry %q: %v", yarnShort(k.Value), err)
		}
		if !ok {
			continue
		}
		if version != "" && version != "0.0.0-use.local" {
			p.Version = version
		}
		p.Location = Location{Path: f.Display, Line: k.Line}
		inv.add(p)
	}
	return inv.pkgs, nil
}

// berryLocator reads a berry locator, name@reference, as a package without
// a location; ok is false for a workspace (the project itself). The
// reference may wrap another locator (patch:, virtual:), up to depth.
func berryLocator(locator string, depth int) (p Package, ok bool, err error) {
	if depth > limits.MaxNesting {
		return Package{}, false, fmt.Errorf("locator nested more than %d deep", limits.MaxNesting)
	}
	name, ref, ok := npmSplitSpec(locator)
	if !ok || name == "" {
		return Package{}, false, fmt.Errorf("resolution %q is not name@reference", yarnShort(locator))
	}
	// Bindings such as ::locator=app%40workspace%3A. and ::version=...
	// follow the reference.
	ref, _, _ = strings.Cut(ref, "::")
	p = Package{Ecosystem: ecosystem.NPM, Name: name}
	switch {
	case strings.HasPrefix(ref, "workspace:"):
		return Package{}, false, nil
	case strings.HasPrefix(ref, "patch:"):
		// patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>: the
		// patched package is the real one with a local change.
		inner, _, _ := strings.Cut(ref[len("patch:"):], "#")
		inner, err := url.PathUnescape(inner)
		if err != nil {
			return Package{}, false, fmt.Errorf("bad patch: locator %q", yarnShort(ref))
		}
		return berryLocator(inner, depth+1)
	case strings.HasPrefix(ref, "virtual:"):
		// virtual:<hash>#npm:1.0.0: a peer-dependent instance.
		_, inner, found := strings.Cut(ref, "#")
		if !found {
			return Package{}, false, fmt.Errorf("bad virtual: reference %q", yarnShort(ref))
		}
		return berryLocator(name+"@"+inner, depth+1)
	case strings.HasPrefix(ref, "npm:"):
		p.Source = Source{Kind: Registry}
		p.Version = ref[len("npm:"):]
		if n, v, ok := npmSplitSpec(p.Version); ok && n != "" {
			// npm:real@1.0.0, an alias kept in the reference.
			p.Name, p.Version = n, v
		}
		if strings.Contains(p.Version, "://") {
			p.Source, p.Version = npmResolved(p.Version), ""
		}
	case strings.HasPrefix(ref, "file:"), strings.HasPrefix(ref, "link:"), strings.HasPrefix(ref, "portal:"), strings.HasPrefix(ref, "exec:"):
		// file:../lib#../lib: the part after '#' repeats the path.
		scheme, rest, _ := strings.Cut(ref, ":")
		rest, _, _ = strings.Cut(rest, "#")
		if scheme == "exec" {
			rest = ref
		}
		p.Source = Source{Kind: Path, URL: rest}
	default:
		p.Source = npmResolved(ref)
		if p.Source.Kind == Registry && p.Source.URL == "" {
			p.Version = ref
		}
	}
	return p, true, nil
}

// npmYAMLError turns a YAML parser error into an *Error at its line.
func npmYAMLError(f File, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		n := 0
		i := 0
		for ; i < len(rest) && '0' <= rest[i] && rest[i] <= '9' && n < 1<<30; i++ {
			n = n*10 + int(rest[i]-'0')
		}
		if i > 0 && strings.HasPrefix(rest[i:], ": ") {
			line, msg = n, rest[i+2:]
		}
	}
	return Errorf(f, line, "invalid YAML: %s", msg)
}

// npmYAMLDeref follows an alias node to the node it names.
func npmYAMLDeref(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// npmYAMLField returns the value of key in mapping m, or nil.
func npmYAMLField(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return npmYAMLDeref(m.Content[i+1])
		}
	}
	return nil
}

// npmYAMLString returns the scalar value of key in mapping m, "" when it
// is absent or null.
func npmYAMLString(f File, m *yaml.Node, key string) (string, error) {
	n := npmYAMLField(m, key)
	if n == nil || n.Tag == "!!null" {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", Errorf(f, n.Line, "%s: want a string, got %s", key, npmYAMLKind(n))
	}
	return n.Value, nil
}

// npmYAMLKind names the kind of a node for messages.
func npmYAMLKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return "nothing"
}
