// Package lockfile turns the dependency files of a project (lockfiles,
// manifests, installed trees, compiled Go binaries, SBOMs) into an
// inventory: the packages it uses, each with the file and line it came
// from and where it is fetched from.
//
// Each format is one Parser, in a file named after what it parses
// (packagelock.go, yarnlock.go, poetrylock.go, ...), registered in the
// explicit list of Default. Parsers read untrusted bytes: they bound what
// they read (limits.MaxLockfileBytes), never recurse without a depth limit,
// and return an error naming the file, and the line where known, instead of
// panicking.
package lockfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// Package is one package version an inventory holds.
type Package struct {
	Ecosystem ecosystem.Ecosystem
	// Name is the package name as the ecosystem writes it ("@scope/name",
	// "group:artifact", a Go module path).
	Name string
	// Version is the resolved version; "" when the file does not pin one
	// (a manifest range, an unpinned requirement).
	Version string
	// Location is where the package is declared.
	Location Location
	// Source says where the package is fetched from. Only packages from the
	// ecosystem's public registry are matched against public records by
	// name: a git, path or URL dependency, or one from another registry,
	// merely shares the name.
	Source Source
	// Dev marks a development-only dependency, when the file says so.
	Dev bool
}

// Location is a file and a 1-based line; Line is 0 when unknown.
type Location struct {
	Path string
	Line int
}

// SourceKind says what kind of place a package comes from.
type SourceKind string

// The source kinds.
const (
	// Registry: the ecosystem's registry; URL is set when it is not the
	// public default (a private or mirror registry).
	Registry SourceKind = "registry"
	// Git: a git repository.
	Git SourceKind = "git"
	// Path: a local directory, file or link (npm file:/link:, pip -e ./dir,
	// a Go replace to a directory, Cargo path dependencies).
	Path SourceKind = "path"
	// URL: a tarball or wheel at a URL outside any registry.
	URL SourceKind = "url"
)

// Source is where a package is fetched from.
type Source struct {
	Kind SourceKind
	// URL is the repository, registry or archive URL, or for Path the
	// directory as the file writes it, when known. For Registry it is empty
	// when the package comes from the public registry.
	URL string
}

// Public reports whether the package comes from its ecosystem's public
// registry, so that public records apply to it.
func (s Source) Public() bool {
	return (s.Kind == "" || s.Kind == Registry) && s.URL == ""
}

// File is a dependency file to parse.
type File struct {
	// FS holds the file; Path is its slash-separated name within FS. The
	// project directory is an fs.FS opened through os.Root, so parsers
	// that follow includes (requirements -r) cannot leave it.
	FS   fs.FS
	Path string
	// Display is the path to show in locations and messages (relative to
	// where the user pointed sapper).
	Display string
}

// ReadFile reads the file, bounded by limits.MaxLockfileBytes.
func (f File) ReadFile() ([]byte, error) {
	return readBounded(f.FS, f.Path)
}

// Parser reads one format.
type Parser interface {
	// Name names the format, e.g. "package-lock.json".
	Name() string
	// Match reports whether the file at slash-separated path p (its base
	// name is usually enough) is in this format.
	Match(p string) bool
	// Parse returns the packages of f. An error says what is wrong with
	// the file; wrap it with *Error to give a line.
	Parse(ctx context.Context, f File) ([]Package, error)
}

// Error is a problem with a dependency file, at a line when known.
type Error struct {
	Path string
	Line int
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTooLarge is returned for a file over limits.MaxLockfileBytes.
var ErrTooLarge = errors.New("file too large")

// Errorf returns an *Error for f at line (0 when unknown).
func Errorf(f File, line int, format string, args ...any) error {
	return &Error{Path: f.Display, Line: line, Err: fmt.Errorf(format, args...)}
}

// For returns the parser in parsers that matches path p, or nil.
func For(parsers []Parser, p string) Parser {
	for _, ps := range parsers {
		if ps.Match(p) {
			return ps
		}
	}
	return nil
}

// base returns the last element of a slash-separated path.
func base(p string) string { return path.Base(p) }
