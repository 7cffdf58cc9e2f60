package lockfile

import (
	"context"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// uvLockParser reads uv.lock files (https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile):
// one [[package]] table per package version, whose inline source table
// says where it comes from: { registry = url }, { git = url }, { url = url }
// (an archive), { path = p } or { directory = p } (local), or
// { editable = p } and { virtual = p } for the project and its workspace
// members. The project itself (editable or virtual at ".") is skipped; a
// package without a version (a dynamic one) has Version "".
type uvLockParser struct{}

var _ Parser = uvLockParser{}

func (uvLockParser) Name() string { return "uv.lock" }

func (uvLockParser) Match(p string) bool { return base(p) == "uv.lock" }

func (uvLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	tables, err := readTOML(f, "package")
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
			Source:    Source{Kind: Registry},
		}
		root := false
		if s := t.table("source"); s != nil {
			p.Source = uvSourceOf(s)
			root = s.str("editable") == "." || s.str("virtual") == "."
		}
		if err := t.Err(); err != nil {
			return nil, err
		}
		if p.Name == "" {
			return nil, Errorf(f, t.line, "[[package]] without a name")
		}
		if root {
			continue // the project itself
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// uvSourceOf maps a package's source table to a Source.
func uvSourceOf(s *tomlTable) Source {
	switch {
	case s.has("git"):
		return Source{Kind: Git, URL: pyRedact(s.str("git"))}
	case s.has("url"):
		src, _, _ := pyLocation(s.str("url"))
		if src.Kind == Git {
			src.Kind = URL // an archive URL, whatever its scheme says
		}
		return src
	}
	for _, k := range []string{"path", "directory", "editable", "virtual"} {
		if s.has(k) {
			return Source{Kind: Path, URL: s.str(k)}
		}
	}
	return pyRegistry(s.str("registry"))
}
