package lockfile

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/binary"
	"errors"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// GoBinary reads the module list a Go toolchain embeds in the executables
// it builds (go version -m): the main module, every dependency module with
// replacements applied, and the standard library as the package "stdlib" at
// the Go release that built it, which is how osv.dev names it.
//
// Executables have no telling names, so Match is always false: a walker
// reads the first bytes of each executable file and asks MatchContent
// (IsGoBinary).
type GoBinary struct{}

var (
	_ Parser         = GoBinary{}
	_ ContentMatcher = GoBinary{}
)

// ErrNotGoBinary is returned, wrapped in an *Error, by GoBinary.Parse for a
// well-formed executable that holds no Go build information (a C program, or
// a Go binary built without module support). Callers that offer every
// executable to the parser can skip these quietly.
var ErrNotGoBinary = errors.New("not a Go binary")

// Name returns "Go binary".
func (GoBinary) Name() string { return "Go binary" }

// Match returns false; see IsGoBinary.
func (GoBinary) Match(string) bool { return false }

// MatchContent reports IsGoBinary(head).
func (GoBinary) MatchContent(head []byte) bool { return IsGoBinary(head) }

// Parse reads the build information of f.
func (GoBinary) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		// debug/buildinfo says "not a Go executable" for a valid executable
		// without build information; its sentinel is not exported.
		if err.Error() == "not a Go executable" {
			return nil, Errorf(f, 0, "read Go build information: %w", ErrNotGoBinary)
		}
		return nil, Errorf(f, 0, "read Go build information: %v", err)
	}
	return goBinaryPackages(ctx, f, bi)
}

// goBinaryPackages lists the modules of bi: the main module first, then
// the dependencies in the order recorded, then "stdlib".
func goBinaryPackages(ctx context.Context, f File, bi *debug.BuildInfo) ([]Package, error) {
	loc := Location{Path: f.Display}
	var pkgs []Package
	if bi.Main.Path != "" {
		pkgs = append(pkgs, Package{
			Ecosystem: ecosystem.Go,
			Name:      bi.Main.Path,
			Version:   goModuleVersion(bi.Main.Version),
			Location:  loc,
		})
	}
	for _, m := range bi.Deps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if m == nil || m.Path == "" {
			continue
		}
		p := Package{
			Ecosystem: ecosystem.Go,
			Name:      m.Path,
			Version:   goModuleVersion(m.Version),
			Location:  loc,
		}
		if r := m.Replace; r != nil {
			// The go command records a directory replacement with the
			// version "(devel)".
			if r.Version == "" || r.Version == "(devel)" || modfile.IsDirectoryPath(r.Path) {
				p.Source = Source{Kind: Path, URL: r.Path}
			} else {
				p.Name, p.Version = r.Path, r.Version
			}
		}
		pkgs = append(pkgs, p)
	}
	if v := goReleaseVersion(bi.GoVersion); v != "" {
		pkgs = append(pkgs, Package{
			Ecosystem: ecosystem.Go,
			Name:      "stdlib",
			Version:   v,
			Location:  loc,
		})
	}
	return pkgs, nil
}

// goModuleVersion returns v, or "" for "(devel)", the version the go
// command records for a main module built from a directory.
func goModuleVersion(v string) string {
	if v == "(devel)" {
		return ""
	}
	return v
}

// goReleaseVersion turns the Go version recorded in a binary ("go1.22.3",
// "go1.22.3 X:nocoverageredesign") into the stdlib version osv.dev uses
// ("1.22.3"); it returns "" for development builds of Go ("devel go1.23-abc").
func goReleaseVersion(v string) string {
	v, _, _ = strings.Cut(v, " ")
	if !strings.HasPrefix(v, "go") {
		return ""
	}
	return strings.TrimPrefix(v, "go")
}

// IsGoBinary reports whether head, the first bytes of a file (at least 4; 8
// are better), starts like an executable that may hold Go build
// information: an ELF, Mach-O (thin or universal) or PE (Windows) file. It
// cannot tell a Go executable from another; GoBinary.Parse does, returning
// ErrNotGoBinary.
func IsGoBinary(head []byte) bool {
	if len(head) < 4 {
		return false
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return true
	case bytes.HasPrefix(head, []byte("MZ")):
		return true
	}
	switch binary.BigEndian.Uint32(head) {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
		return true
	case 0xcafebabe:
		// Universal Mach-O files share their magic with Java class files;
		// the next word is the count of architectures in the one (a
		// handful) and the class file version in the other (45 and up).
		// With 4 bytes only, take it: Parse tells.
		if len(head) < 8 {
			return true
		}
		n := binary.BigEndian.Uint32(head[4:])
		return n > 0 && n < 20
	}
	return false
}
