package lockfile

import (
	"context"
	"slices"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// poetryLockParser reads poetry.lock files (lock versions 1.x and 2.x,
// https://python-poetry.org/docs/basic-usage/#committing-your-poetrylock-file-to-version-control):
// one [[package]] table per package, with a [package.source] table when it
// does not come from PyPI. Poetry 1 marks development packages with
// category = "dev"; Poetry 2 lists the dependency groups a package belongs
// to, and one outside "main" is development-only.
type poetryLockParser struct{}

var _ Parser = poetryLockParser{}

func (poetryLockParser) Name() string { return "poetry.lock" }

func (poetryLockParser) Match(p string) bool { return base(p) == "poetry.lock" }

func (poetryLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
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
		}
		groups := t.strs("groups")
		p.Dev = t.str("category") == "dev" || len(groups) > 0 && !slices.Contains(groups, "main")
		if s := t.table("source"); s != nil {
			p.Source = poetrySourceOf(s.str("type"), s.str("url"))
		} else {
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

// poetrySourceOf maps [package.source] to a Source. Its type is git,
// directory, file (a local archive), url (a remote archive) or legacy (a
// package index, named by reference, at url). A type sapper does not know
// keeps the public registry, so that public records still apply.
func poetrySourceOf(typ, url string) Source {
	switch typ {
	case "git":
		return Source{Kind: Git, URL: pyRedact(url)}
	case "directory", "file":
		return Source{Kind: Path, URL: url}
	case "url":
		return Source{Kind: URL, URL: pyRedact(url)}
	case "legacy":
		return pyRegistry(url)
	}
	return Source{Kind: Registry}
}
