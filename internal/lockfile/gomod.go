package lockfile

import (
	"context"
	"errors"

	"golang.org/x/mod/modfile"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// goModParser reads go.mod files (https://go.dev/ref/mod#go-mod-file):
// every required module, direct and indirect, with replace and exclude
// directives applied. The go and toolchain directives name the Go release,
// not a module, and are ignored; the standard library is reported from
// compiled binaries only (see GoBinary).
type goModParser struct{}

var _ Parser = goModParser{}

func (goModParser) Name() string { return "go.mod" }

func (goModParser) Match(p string) bool { return base(p) == "go.mod" }

func (goModParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}
	mf, err := modfile.Parse(f.Display, data, nil)
	if err != nil {
		return nil, goModError(f, err)
	}

	excluded := make(map[[2]string]bool, len(mf.Exclude))
	for _, e := range mf.Exclude {
		excluded[[2]string{e.Mod.Path, e.Mod.Version}] = true
	}
	// A replace naming a version applies to that version only and wins over
	// one naming none, which applies to every version (as the go command).
	replaceExact := make(map[[2]string]*modfile.Replace)
	replaceAny := make(map[string]*modfile.Replace)
	for _, r := range mf.Replace {
		if r.Old.Version == "" {
			replaceAny[r.Old.Path] = r
		} else {
			replaceExact[[2]string{r.Old.Path, r.Old.Version}] = r
		}
	}

	var pkgs []Package
	for _, req := range mf.Require {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		key := [2]string{req.Mod.Path, req.Mod.Version}
		if excluded[key] {
			continue
		}
		p := Package{
			Ecosystem: ecosystem.Go,
			Name:      req.Mod.Path,
			Version:   req.Mod.Version,
			Location:  Location{Path: f.Display, Line: req.Syntax.Start.Line},
		}
		r := replaceExact[key]
		if r == nil {
			r = replaceAny[req.Mod.Path]
		}
		if r != nil {
			// What is fetched is what the replace line names, so the
			// package points there.
			p.Location.Line = r.Syntax.Start.Line
			if r.New.Version == "" || modfile.IsDirectoryPath(r.New.Path) {
				p.Source = Source{Kind: Path, URL: r.New.Path}
			} else {
				p.Name, p.Version = r.New.Path, r.New.Version
			}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// goModError turns a modfile error into an *Error at its line.
func goModError(f File, err error) error {
	var list modfile.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		line := e.Pos.Line
		// Without a file name and position, modfile's message is the
		// directive and what is wrong with it; *Error adds the position.
		e.Filename, e.Pos = "", modfile.Position{}
		return Errorf(f, line, "%s", e.Error())
	}
	var one *modfile.Error
	if errors.As(err, &one) {
		e := *one
		line := e.Pos.Line
		e.Filename, e.Pos = "", modfile.Position{}
		return Errorf(f, line, "%s", e.Error())
	}
	return Errorf(f, 0, "%v", err)
}
