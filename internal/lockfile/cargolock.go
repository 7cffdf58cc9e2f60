package lockfile

import (
	"context"
	"errors"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// cargoLockParser reads Cargo.lock files, versions 1 to 4
// (https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html):
// one [[package]] table per crate version, whose source says where it comes
// from. A package without a source is a workspace member or a path
// dependency.
type cargoLockParser struct{}

var _ Parser = cargoLockParser{}

func (cargoLockParser) Name() string { return "Cargo.lock" }

func (cargoLockParser) Match(p string) bool { return base(p) == "Cargo.lock" }

func (cargoLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	// Keys match exactly, as cargo reads them (see tomlTables): a crafted
	// NAME or [[PACKAGE]] cannot show sapper other crates than cargo builds.
	tables, err := readTOML(f, "package")
	if err != nil {
		return nil, err
	}
	pkgs := make([]Package, 0, len(tables))
	for i, t := range tables {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name, version, source := t.str("name"), t.str("version"), t.str("source")
		if err := t.Err(); err != nil {
			return nil, err
		}
		if name == "" {
			return nil, Errorf(f, t.line, "package %d has no name", i+1)
		}
		src, err := cargoSource(source)
		if err != nil {
			return nil, Errorf(f, t.line, "package %s: %v", name, err)
		}
		pkgs = append(pkgs, Package{
			Ecosystem: ecosystem.CratesIO,
			Name:      name,
			Version:   version,
			Location:  Location{Path: f.Display, Line: t.line},
			Source:    src,
		})
	}
	return pkgs, nil
}

// cargoSource interprets a Cargo source ID ("registry+URL", "sparse+URL",
// "git+URL?branch=b#commit"); an empty one is a local crate.
func cargoSource(s string) (Source, error) {
	if s == "" {
		return Source{Kind: Path}, nil
	}
	kind, rest, ok := strings.Cut(s, "+")
	if !ok || rest == "" {
		return Source{}, errors.New("source " + quoteShort(s) + " is not kind+URL")
	}
	switch kind {
	case "registry", "sparse":
		switch strings.TrimSuffix(rest, "/") {
		case "https://github.com/rust-lang/crates.io-index", "https://index.crates.io":
			return Source{Kind: Registry}, nil
		}
		return Source{Kind: Registry, URL: rest}, nil
	case "git":
		return Source{Kind: Git, URL: rest}, nil
	case "path", "directory", "local-registry":
		return Source{Kind: Path, URL: rest}, nil
	}
	return Source{}, errors.New("source " + quoteShort(s) + " is of an unknown kind")
}
