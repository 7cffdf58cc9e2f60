package lockfile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/sapperhq/sapper/internal/limits"
)

// ContentMatcher is implemented by parsers that recognise a file by its
// first bytes rather than its name (compiled Go binaries).
type ContentMatcher interface {
	MatchContent(head []byte) bool
}

// Found is a dependency file and the parser that reads it.
type Found struct {
	Path   string // slash-separated, within the walked FS
	Parser Parser
}

// skipDirs are directories a walk never enters: version control, caches,
// and vendored or installed copies of other projects' files.
var skipDirs = map[string]bool{
	".git": true, ".hg": true, ".svn": true, "vendor": true, "__pycache__": true,
	"bower_components": true, "site-packages": true, "target": true,
}

// headBytes is how much of an unnamed executable is read to recognise it.
const headBytes = 8

// Find returns the dependency files in fsys that a parser reads, in lexical
// order. Without recursive it looks at the top directory only; with it, at
// every directory below except hidden ones and skipDirs. A node_modules
// directory is never walked into: the directory itself is offered to the
// parsers (the installed tree is one input), and only when it is not inside
// another node_modules. Executable files no parser matches by name are
// offered by their first bytes to ContentMatchers.
func Find(ctx context.Context, fsys fs.FS, recursive bool, parsers []Parser) ([]Found, error) {
	var out []Found
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			return nil // an unreadable subdirectory is skipped, not fatal
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(out) >= limits.MaxScanFiles {
			return fmt.Errorf("more than %d dependency files", limits.MaxScanFiles)
		}
		name := d.Name()
		if d.IsDir() {
			if p == "." {
				return nil
			}
			if name == "node_modules" {
				if ps := For(parsers, p); ps != nil && !strings.Contains(path.Dir(p), "node_modules") {
					out = append(out, Found{Path: p, Parser: ps})
				}
				return fs.SkipDir
			}
			if !recursive || skipDirs[name] || strings.HasPrefix(name, ".") || strings.Count(p, "/") >= limits.MaxNesting {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // symbolic links and devices are not followed
		}
		if ps := For(parsers, p); ps != nil {
			out = append(out, Found{Path: p, Parser: ps})
			return nil
		}
		if ps := byContent(fsys, p, d, parsers); ps != nil {
			out = append(out, Found{Path: p, Parser: ps})
		}
		return nil
	})
	return out, err
}

// ForFile returns the parser for a file named on the command line: by name,
// else by content. It returns nil when no parser reads it.
func ForFile(fsys fs.FS, p string, parsers []Parser) Parser {
	if ps := For(parsers, p); ps != nil {
		return ps
	}
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		return nil
	}
	return byContent(fsys, p, fs.FileInfoToDirEntry(fi), parsers)
}

// byContent offers an executable file's first bytes to the ContentMatchers.
func byContent(fsys fs.FS, p string, d fs.DirEntry, parsers []Parser) Parser {
	var cms []Parser
	for _, ps := range parsers {
		if _, ok := ps.(ContentMatcher); ok {
			cms = append(cms, ps)
		}
	}
	if len(cms) == 0 {
		return nil
	}
	fi, err := d.Info()
	if err != nil || fi.Mode().Perm()&0o111 == 0 || fi.Size() < 1024 {
		return nil
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	head := make([]byte, headBytes)
	if _, err := io.ReadFull(f, head); err != nil || bytes.Equal(head, make([]byte, headBytes)) {
		return nil
	}
	for _, ps := range cms {
		if ps.(ContentMatcher).MatchContent(head) {
			return ps
		}
	}
	return nil
}
