package lockfile

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// pubspecLockParser reads Dart and Flutter's pubspec.lock
// (https://dart.dev/tools/pub/glossary#lockfile): a YAML mapping whose
// "packages" member maps each package name to its dependency kind ("direct
// main", "direct dev", "direct overridden", "transitive"), its source
// (hosted, git, path, sdk) and its version. Packages of an SDK (flutter,
// flutter_test) ship with the SDK and are skipped.
type pubspecLockParser struct{}

var _ Parser = pubspecLockParser{}

func (pubspecLockParser) Name() string { return "pubspec.lock" }

func (pubspecLockParser) Match(p string) bool { return base(p) == "pubspec.lock" }

// yamlErrorLine finds the line in a go-yaml error message.
var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): `)

func (pubspecLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		line := 0
		if m := yamlErrorLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		return nil, Errorf(f, line, "%s", strings.TrimPrefix(msg, "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, nil // an empty file
	}
	root := doc.Content[0]
	if err := pubspecCheck(f, root, "the lockfile", yaml.MappingNode); err != nil {
		return nil, err
	}
	packages := yamlLookup(root, "packages")
	if packages == nil || packages.Tag == "!!null" {
		return nil, nil
	}
	if err := pubspecCheck(f, packages, "packages", yaml.MappingNode); err != nil {
		return nil, err
	}

	var pkgs []Package
	for i := 0; i+1 < len(packages.Content); i += 2 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k, v := packages.Content[i], packages.Content[i+1]
		if err := pubspecCheck(f, k, "package name", yaml.ScalarNode); err != nil {
			return nil, err
		}
		name := k.Value
		if name == "" {
			return nil, Errorf(f, k.Line, "package with an empty name")
		}
		what := "package " + quoteShort(name)
		if err := pubspecCheck(f, v, what, yaml.MappingNode); err != nil {
			return nil, err
		}
		var fields [3]string // dependency, source, version
		for j, key := range []string{"dependency", "source", "version"} {
			n := yamlLookup(v, key)
			if n == nil {
				continue
			}
			if err := pubspecCheck(f, n, what+" "+key, yaml.ScalarNode); err != nil {
				return nil, err
			}
			if n.Tag != "!!null" {
				fields[j] = n.Value
			}
		}
		dependency, source, version := fields[0], fields[1], fields[2]

		desc := yamlLookup(v, "description")
		if desc != nil {
			if err := pubspecCheck(f, desc, what+" description", yaml.MappingNode, yaml.ScalarNode); err != nil {
				return nil, err
			}
		}
		descField := func(key string) (string, error) {
			if desc == nil || desc.Kind != yaml.MappingNode {
				return "", nil
			}
			n := yamlLookup(desc, key)
			if n == nil {
				return "", nil
			}
			if err := pubspecCheck(f, n, what+" description "+key, yaml.ScalarNode); err != nil {
				return "", err
			}
			return n.Value, nil
		}

		var src Source
		switch source {
		case "sdk":
			continue
		case "hosted", "":
			u, err := descField("url")
			if err != nil {
				return nil, err
			}
			if !pubDevURL(u) {
				src = Source{Kind: Registry, URL: u}
			}
		case "git":
			u, err := descField("url")
			if err != nil {
				return nil, err
			}
			src = Source{Kind: Git, URL: u}
		case "path":
			p, err := descField("path")
			if err != nil {
				return nil, err
			}
			src = Source{Kind: Path, URL: p}
		default:
			return nil, Errorf(f, v.Line, "%s: unknown source %s", what, quoteShort(source))
		}
		pkgs = append(pkgs, Package{
			Ecosystem: ecosystem.Pub,
			Name:      name,
			Version:   version,
			Location:  Location{Path: f.Display, Line: k.Line},
			Source:    src,
			Dev:       dependency == "direct dev",
		})
	}
	return pkgs, nil
}

// pubDevURL reports whether a hosted package's url is the public registry,
// pub.dev, under its current or former name; an absent url means pub.dev.
func pubDevURL(u string) bool {
	switch strings.TrimSuffix(u, "/") {
	case "", "https://pub.dev", "https://pub.dartlang.org", "http://pub.dartlang.org":
		return true
	}
	return false
}

// pubspecCheck returns an error unless n is of one of the kinds. Aliases
// are refused: pub never writes them, and following them lets a small file
// cost a large amount of work.
func pubspecCheck(f File, n *yaml.Node, what string, kinds ...yaml.Kind) error {
	if n.Kind == yaml.AliasNode {
		return Errorf(f, n.Line, "%s is an alias, which pubspec.lock files do not use", what)
	}
	for _, k := range kinds {
		if n.Kind == k {
			return nil
		}
	}
	want := make([]string, len(kinds))
	for i, k := range kinds {
		want[i] = yamlKindName(k)
	}
	return Errorf(f, n.Line, "%s is %s, want %s", what, yamlKindName(n.Kind), strings.Join(want, " or "))
}

// yamlKindName names a YAML node kind for an error message.
func yamlKindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return "empty"
}

// yamlLookup returns the value of key in mapping m, or nil; with repeated
// keys, the last one wins.
func yamlLookup(m *yaml.Node, key string) *yaml.Node {
	var v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			v = m.Content[i+1]
		}
	}
	return v
}
