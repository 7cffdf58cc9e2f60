package lockfile

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// nodeModulesParser reads an installed node_modules tree, offered as the
// directory itself. It reads the hidden lockfile npm 7 and later keep in
// node_modules/.package-lock.json (the format of package-lock.json v3),
// else pnpm's node_modules/.pnpm/lock.yaml, else walks the package.json
// of every installed package, nested node_modules included.
type nodeModulesParser struct{}

var _ Parser = nodeModulesParser{}

func (nodeModulesParser) Name() string { return "node_modules" }

func (nodeModulesParser) Match(p string) bool { return base(p) == "node_modules" }

func (nodeModulesParser) Parse(ctx context.Context, f File) ([]Package, error) {
	hidden := []struct {
		name   string
		parser Parser
	}{
		{".package-lock.json", packageLockParser{}},
		{".pnpm/lock.yaml", pnpmLockParser{}},
	}
	for _, h := range hidden {
		p := path.Join(f.Path, h.name)
		if fi, err := fs.Stat(f.FS, p); err == nil && fi.Mode().IsRegular() {
			return h.parser.Parse(ctx, File{FS: f.FS, Path: p, Display: path.Join(f.Display, h.name)})
		}
	}
	w := nodeModulesWalker{ctx: ctx, f: f, max: limits.MaxScanFiles}
	if err := w.dir("", 0); err != nil {
		return nil, err
	}
	return w.inv.pkgs, nil
}

// nodeModulesWalker walks a node_modules tree through f.FS.
type nodeModulesWalker struct {
	ctx context.Context
	f   File
	inv npmInventory
	n   int // directories and package.json files read
	max int // the most n may reach: limits.MaxScanFiles
}

// count accounts for one more directory or file read.
func (w *nodeModulesWalker) count(rel string) error {
	w.n++
	if w.n > w.max {
		return Errorf(w.f, 0, "more than %d directories and package.json files; stopped at %s", w.max, rel)
	}
	return w.ctx.Err()
}

// dir reads the node_modules directory at rel (relative to f.Path; "" is
// f.Path itself), depth levels of nesting down.
func (w *nodeModulesWalker) dir(rel string, depth int) error {
	if depth > limits.MaxNesting {
		return Errorf(w.f, 0, "node_modules nested more than %d deep at %s", limits.MaxNesting, rel)
	}
	entries, err := fs.ReadDir(w.f.FS, path.Join(w.f.Path, rel))
	if err != nil {
		if depth > 0 && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return Errorf(w.f, 0, "%v", err)
	}
	if err := w.count(rel); err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
			continue // .bin, .cache, .pnpm and stray files
		}
		if !strings.HasPrefix(name, "@") {
			if err := w.pkg(path.Join(rel, name), e, depth); err != nil {
				return err
			}
			continue
		}
		scope := path.Join(rel, name)
		sub, err := fs.ReadDir(w.f.FS, path.Join(w.f.Path, scope))
		if err != nil {
			continue // a dangling link or a file named like a scope
		}
		if err := w.count(scope); err != nil {
			return err
		}
		for _, e := range sub {
			if strings.HasPrefix(e.Name(), ".") || !e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
				continue
			}
			if err := w.pkg(path.Join(scope, e.Name()), e, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

// pkg reads the package installed at rel, then its own node_modules. A
// symbolic link is a linked package (npm link, a workspace) unless it
// points into pnpm's store; its own dependencies are not walked.
func (w *nodeModulesWalker) pkg(rel string, e fs.DirEntry, depth int) error {
	full := path.Join(w.f.Path, rel)
	link := e.Type()&fs.ModeSymlink != 0
	if link {
		if fi, err := fs.Stat(w.f.FS, full); err != nil || !fi.IsDir() {
			return nil // dangling, or a link to a file
		}
	}
	pf := File{FS: w.f.FS, Path: path.Join(full, "package.json"), Display: path.Join(w.f.Display, rel, "package.json")}
	data, err := pf.ReadFile()
	if errors.Is(err, fs.ErrNotExist) {
		return nil // not a package: an empty or partly removed directory
	}
	if err != nil {
		return Errorf(pf, 0, "%w", err)
	}
	if err := w.count(rel); err != nil {
		return err
	}
	m, err := readNPMManifest(pf, data)
	if err != nil {
		return err
	}
	if m.name == "" {
		// The directory names the package: after the last node_modules.
		m.name = rel
		if i := strings.LastIndex(rel, "/node_modules/"); i >= 0 {
			m.name = rel[i+len("/node_modules/"):]
		}
	}
	src := Source{Kind: Registry}
	if m.resolved != "" {
		src = npmResolved(m.resolved)
	}
	if link {
		target, _ := fs.ReadLink(w.f.FS, full)
		if !strings.Contains(target, ".pnpm/") {
			src = Source{Kind: Path, URL: target}
		}
	}
	w.inv.add(Package{
		Ecosystem: ecosystem.NPM,
		Name:      m.name,
		Version:   m.version,
		Location:  Location{Path: pf.Display, Line: m.line},
		Source:    src,
	})
	if link {
		return nil
	}
	return w.dir(path.Join(rel, "node_modules"), depth+1)
}

// npmManifest holds what an installed package.json says about the
// package: its name, version (and the line of "version"), and the
// "_resolved" URL older npm versions record.
type npmManifest struct {
	name, version, resolved string
	line                    int
}

// readNPMManifest reads the top-level fields of a package.json, skipping
// the rest without decoding it.
func readNPMManifest(f File, data []byte) (npmManifest, error) {
	var m npmManifest
	data, err := npmText(f, data)
	if err != nil {
		return m, err
	}
	j := newNPMJSON(f, data)
	if err := j.open("the top level", 1); err != nil {
		return m, err
	}
	for j.dec.More() {
		key, line, err := j.key()
		if err != nil {
			return m, err
		}
		switch key {
		case "name":
			err = j.decode(&m.name, line, key)
		case "version":
			err = j.decode(&m.version, line, key)
			m.line = line
		case "_resolved":
			err = j.decode(&m.resolved, line, key)
		default:
			err = j.skip(line)
		}
		if err != nil {
			return m, err
		}
	}
	return m, j.close("the top level")
}
