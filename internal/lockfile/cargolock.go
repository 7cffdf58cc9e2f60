package lockfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"

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

type cargoLock struct {
	Package []struct {
		Name    string `toml:"name"`
		Version string `toml:"version"`
		Source  string `toml:"source"`
	} `toml:"package"`
}

// cargoPackageHeader matches a [[package]] table header on a line of its
// own, with the spacing and quoting TOML allows.
var cargoPackageHeader = regexp.MustCompile(`^[ \t]*\[\[[ \t]*("package"|'package'|package)[ \t]*\]\][ \t]*(#.*)?\r?$`)

func (cargoLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}
	var lock cargoLock
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, cargoError(f, err)
	}

	headers := cargoHeaderLines(data)
	if len(headers) != len(lock.Package) {
		headers = nil // lines stay unknown rather than wrong
	}

	pkgs := make([]Package, 0, len(lock.Package))
	for i, lp := range lock.Package {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		line := 0
		if headers != nil {
			line = headers[i]
		}
		if lp.Name == "" {
			return nil, Errorf(f, line, "package %d has no name", i+1)
		}
		src, err := cargoSource(lp.Source)
		if err != nil {
			return nil, Errorf(f, line, "package %s: %v", lp.Name, err)
		}
		pkgs = append(pkgs, Package{
			Ecosystem: ecosystem.CratesIO,
			Name:      lp.Name,
			Version:   lp.Version,
			Location:  Location{Path: f.Display, Line: line},
			Source:    src,
		})
	}
	return pkgs, nil
}

// tomlTypeError matches go-toml's message for a value of the wrong type.
var tomlTypeError = regexp.MustCompile(`^toml: cannot decode TOML (\S+) into .* of type (\S+)`)

// cargoError turns a go-toml error into an *Error at its line, in terms of
// the file rather than of Go types.
func cargoError(f File, err error) error {
	msg := strings.TrimPrefix(err.Error(), "toml: ")
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return Errorf(f, 0, "%s", msg)
	}
	row, _ := de.Position()
	if m := tomlTypeError.FindStringSubmatch(de.Error()); m != nil {
		want := "another type"
		switch {
		case strings.HasPrefix(m[2], "[]"):
			want = "an array of tables"
		case m[2] == "string":
			want = "a string"
		}
		key := strings.Join(de.Key(), ".")
		if key == "" {
			key = "value"
		}
		msg = fmt.Sprintf("%s is a TOML %s, want %s", key, m[1], want)
	}
	return Errorf(f, row, "%s", msg)
}

// cargoHeaderLines returns the lines of the [[package]] headers of data. The
// decoder keeps no positions: the n-th header is the n-th package. Lines
// inside multi-line strings are skipped, as far as a line scan can tell.
func cargoHeaderLines(data []byte) []int {
	var headers []int
	line := 0
	delim := "" // the delimiter of the multi-line string open, if any
	for l := range bytes.Lines(data) {
		line++
		if delim == "" && cargoPackageHeader.Match(bytes.TrimSuffix(l, []byte("\n"))) {
			headers = append(headers, line)
			continue
		}
		for rest := string(l); ; {
			if delim == "" {
				i, j := strings.Index(rest, `"""`), strings.Index(rest, "'''")
				if i < 0 && j < 0 {
					break
				}
				if i < 0 || (j >= 0 && j < i) {
					i, delim = j, "'''"
				} else {
					delim = `"""`
				}
				rest = rest[i+3:]
			} else {
				i := strings.Index(rest, delim)
				if i < 0 {
					break
				}
				delim, rest = "", rest[i+3:]
			}
		}
	}
	return headers
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
