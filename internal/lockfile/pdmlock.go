package lockfile

import (
	"context"
	"slices"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// pdmLockParser reads pdm.lock files (https://pdm-project.org/latest/usage/lockfile/):
// one [[package]] table per package, from the index unless it names a
// "git" repository, a local "path" or an archive "url". A package whose
// groups do not include "default" is development-only. Older PDM versions
// wrote extras into the name ("requests[socks]"); they are removed.
type pdmLockParser struct{}

var _ Parser = pdmLockParser{}

func (pdmLockParser) Name() string { return "pdm.lock" }

func (pdmLockParser) Match(p string) bool { return base(p) == "pdm.lock" }

func (pdmLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
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
			Name:      pyStripExtras(t.str("name")),
			Version:   t.str("version"),
			Location:  Location{Path: f.Display, Line: t.line},
		}
		groups := t.strs("groups")
		p.Dev = len(groups) > 0 && !slices.Contains(groups, "default")
		switch {
		case t.has("git"):
			p.Source = Source{Kind: Git, URL: pyRedact(t.str("git"))}
		case t.has("path"):
			p.Source = Source{Kind: Path, URL: t.str("path")}
		case t.has("url"):
			p.Source, _, _ = pyLocation(t.str("url"))
		default:
			p.Source = Source{Kind: Registry}
		}
		if err := t.Err(); err != nil {
			return nil, err
		}
		if p.Name == "" {
			return nil, Errorf(f, t.line, "[[package]] without a name")
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}
