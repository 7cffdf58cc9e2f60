package lockfile

import (
	"context"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// pylockParser reads pylock.toml files, the standard lock file of PEP 751
// (https://packaging.python.org/en/latest/specifications/pylock-toml/),
// named pylock.toml or pylock.<name>.toml: one [[packages]] table per
// package, installed from a VCS repository ([packages.vcs]), a local
// directory ([packages.directory]), an archive ([packages.archive], by URL
// or path) or an index ("index", with sdist and wheels). The version is
// optional for all but index packages.
type pylockParser struct{}

var _ Parser = pylockParser{}

func (pylockParser) Name() string { return "pylock.toml" }

func (pylockParser) Match(p string) bool {
	b := base(p)
	return b == "pylock.toml" || strings.HasPrefix(b, "pylock.") && strings.HasSuffix(b, ".toml") && len(b) > len("pylock..toml")
}

func (pylockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	tables, err := readTOML(f, "packages")
	if err != nil {
		return nil, err
	}
	pkgs := make([]Package, 0, len(tables))
	for _, t := range tables {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := Package{
			Ecosystem: ecosystem.PyPI,
			Name:      t.str("name"),
			Version:   t.str("version"),
			Location:  Location{Path: f.Display, Line: t.line},
			Source:    pylockSource(t),
		}
		if err := t.Err(); err != nil {
			return nil, err
		}
		if p.Name == "" {
			return nil, Errorf(f, t.line, "[[packages]] without a name")
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// pylockSource maps where a package is installed from to a Source. A VCS
// other than git has no SourceKind of its own and is a URL.
func pylockSource(t *tomlTable) Source {
	if v := t.table("vcs"); v != nil {
		if !v.has("url") {
			return Source{Kind: Path, URL: v.str("path")}
		}
		if v.str("type") == "git" {
			return Source{Kind: Git, URL: pyRedact(v.str("url"))}
		}
		return Source{Kind: URL, URL: pyRedact(v.str("url"))}
	}
	if d := t.table("directory"); d != nil {
		return Source{Kind: Path, URL: d.str("path")}
	}
	if a := t.table("archive"); a != nil {
		if !a.has("url") {
			return Source{Kind: Path, URL: a.str("path")}
		}
		src, _, _ := pyLocation(a.str("url"))
		if src.Kind == Git {
			src.Kind = URL
		}
		return src
	}
	return pyRegistry(t.str("index"))
}
