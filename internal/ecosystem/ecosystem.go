// Package ecosystem names the package ecosystems sapper knows and holds their
// naming rules: which OSV ecosystem strings are valid, how a package name is
// normalised so that every spelling a registry treats as the same package maps
// to one key, and how package-URL types and command-line prefixes map to
// ecosystems.
//
// Version ordering lives in package version; this package has no dependencies
// outside the standard library.
package ecosystem

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Ecosystem is an OSV ecosystem name as written in a record's
// affected[].package.ecosystem field, without any ":suffix" (for example
// "npm", "PyPI", "crates.io").
type Ecosystem string

// The ecosystems whose names, versions and registries sapper understands.
const (
	NPM       Ecosystem = "npm"
	PyPI      Ecosystem = "PyPI"
	Go        Ecosystem = "Go"
	CratesIO  Ecosystem = "crates.io"
	RubyGems  Ecosystem = "RubyGems"
	NuGet     Ecosystem = "NuGet"
	Maven     Ecosystem = "Maven"
	Packagist Ecosystem = "Packagist"
	Pub       Ecosystem = "Pub"
	Hex       Ecosystem = "Hex"
)

// ErrUnsupported is returned, wrapped with detail, for an ecosystem name that
// is not in the OSV schema's list.
var ErrUnsupported = errors.New("unsupported ecosystem")

// known is the list of ecosystems in the OSV schema
// (https://ossf.github.io/osv-schema/#defined-ecosystems), as of schema 1.7.
var known = map[Ecosystem]bool{
	"AlmaLinux": true, "Alpaquita": true, "Alpine": true, "Android": true,
	"Azure Linux": true, "BellSoft Hardened Containers": true, "Bioconductor": true,
	"Bitnami": true, "Chainguard": true, "CleanStart": true, "ConanCenter": true,
	"CRAN": true, "crates.io": true, "Debian": true, "Docker Hub Hardened Images": true,
	"Echo": true, "FreeBSD": true, "GHC": true, "GIT": true, "GitHub Actions": true,
	"Go": true, "Hackage": true, "Hex": true, "Julia": true, "Kubernetes": true,
	"Linux": true, "Mageia": true, "Maven": true, "MinimOS": true, "npm": true,
	"NuGet": true, "openEuler": true, "openSUSE": true, "OSS-Fuzz": true,
	"Packagist": true, "Photon OS": true, "Pub": true, "PyPI": true, "Red Hat": true,
	"Rocky Linux": true, "RubyGems": true, "SUSE": true, "SwiftURL": true,
	"Ubuntu": true, "VSCode": true, "Wolfi": true,
}

// Parse validates an OSV ecosystem string, which may carry a ":suffix" such as
// "Debian:12" or "Ubuntu:22.04:LTS", and returns its base ecosystem. The match
// is exact, as the schema requires: "pypi" is not "PyPI".
func Parse(s string) (Ecosystem, error) {
	base, _, _ := strings.Cut(s, ":")
	e := Ecosystem(base)
	if !known[e] {
		return "", fmt.Errorf("%w %q (not in the OSV schema's list)", ErrUnsupported, s)
	}
	return e, nil
}

// Known reports whether e is an ecosystem in the OSV schema's list.
func (e Ecosystem) Known() bool { return known[e] }

// String returns the OSV spelling of e.
func (e Ecosystem) String() string { return string(e) }

// All returns every ecosystem in the OSV schema's list, sorted.
func All() []Ecosystem {
	all := make([]Ecosystem, 0, len(known))
	for e := range known {
		all = append(all, e)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return all
}

// Normalize returns the key under which the registry of e stores name, so that
// spellings the registry treats as one package compare equal:
//
//   - PyPI: PEP 503, lower case with runs of "-", "_" and "." as one "-";
//   - NuGet, Packagist, Hex, Pub: lower case (their registries ignore case);
//   - crates.io: lower case with "_" as "-" (crates.io treats them as one);
//   - npm, Go, Maven, RubyGems and the rest: unchanged (Go module paths and
//     Maven coordinates are case-sensitive).
func Normalize(e Ecosystem, name string) string {
	switch e {
	case PyPI:
		return normalizePyPI(name)
	case NuGet, Packagist, Hex, Pub:
		return strings.ToLower(name)
	case CratesIO:
		return strings.ReplaceAll(strings.ToLower(name), "_", "-")
	default:
		return name
	}
}

// normalizePyPI implements PEP 503: re.sub(r"[-_.]+", "-", name).lower().
func normalizePyPI(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

// prefixes maps the short forms accepted on the command line ("npm:left-pad@1.0.0")
// and package-URL types (https://github.com/package-url/purl-spec) to ecosystems.
var prefixes = map[string]Ecosystem{
	"npm":       NPM,
	"pypi":      PyPI,
	"go":        Go,
	"golang":    Go,
	"crates.io": CratesIO,
	"cargo":     CratesIO,
	"crates":    CratesIO,
	"rubygems":  RubyGems,
	"gem":       RubyGems,
	"nuget":     NuGet,
	"maven":     Maven,
	"packagist": Packagist,
	"composer":  Packagist,
	"pub":       Pub,
	"hex":       Hex,
}

// FromPrefix returns the ecosystem for a command-line prefix or package-URL
// type, ignoring case ("npm", "pypi", "go", "crates.io", "rubygems", "nuget",
// "maven", the purl types "golang", "cargo", "gem", "composer", and any
// ecosystem of the OSV list by its name, such as "hackage").
func FromPrefix(p string) (Ecosystem, error) {
	if e, ok := prefixes[strings.ToLower(p)]; ok {
		return e, nil
	}
	// Any OSV ecosystem by its own name, in any case ("Hackage", "hackage").
	for e := range known {
		if strings.EqualFold(string(e), p) {
			return e, nil
		}
	}
	return "", fmt.Errorf("%w %q (want one of npm, pypi, go, crates.io, rubygems, nuget, maven, packagist, pub, hex)", ErrUnsupported, p)
}

// PURLType returns the package-URL type for e, or "" when there is none.
func PURLType(e Ecosystem) string {
	switch e {
	case NPM:
		return "npm"
	case PyPI:
		return "pypi"
	case Go:
		return "golang"
	case CratesIO:
		return "cargo"
	case RubyGems:
		return "gem"
	case NuGet:
		return "nuget"
	case Maven:
		return "maven"
	case Packagist:
		return "composer"
	case Pub:
		return "pub"
	case Hex:
		return "hex"
	}
	return ""
}
