// Package purl converts between package URLs
// (https://github.com/package-url/purl-spec) and sapper's (ecosystem, name,
// version) triples, with each ecosystem's rules for where the namespace goes:
// npm scopes ("@scope/name"), Maven coordinates ("group:artifact"), Go module
// paths ("namespace/name").
package purl

import (
	"fmt"
	"strings"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// Package is a package named by a package URL.
type Package struct {
	Ecosystem ecosystem.Ecosystem
	Name      string
	Version   string
}

// Parse parses a package URL such as "pkg:npm/%40scope/name@1.0.0" or
// "pkg:pypi/requests@2.0.0".
func Parse(s string) (Package, error) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return Package{}, fmt.Errorf("parse package URL %q: %w", s, err)
	}
	eco, err := ecosystem.FromPrefix(p.Type)
	if err != nil {
		return Package{}, fmt.Errorf("package URL %q: %w", s, err)
	}
	name := p.Name
	switch {
	case p.Namespace == "":
	case eco == ecosystem.Maven:
		name = p.Namespace + ":" + p.Name
	default: // npm scopes, Go module paths, Packagist vendors
		name = p.Namespace + "/" + p.Name
	}
	if name == "" {
		return Package{}, fmt.Errorf("package URL %q: no package name", s)
	}
	return Package{Ecosystem: eco, Name: name, Version: p.Version}, nil
}

// String returns the package URL of (eco, name, version), or "" when the
// ecosystem has no package-URL type.
func String(eco ecosystem.Ecosystem, name, version string) string {
	typ := ecosystem.PURLType(eco)
	if typ == "" {
		return ""
	}
	var ns string
	switch eco {
	case ecosystem.Maven:
		ns, name, _ = cutLast(name, ":")
	case ecosystem.NPM, ecosystem.Go, ecosystem.Packagist:
		ns, name, _ = cutLast(name, "/")
	case ecosystem.PyPI:
		name = ecosystem.Normalize(eco, name) // the purl spec's pypi rule
	}
	return packageurl.NewPackageURL(typ, ns, name, version, nil, "").ToString()
}

// cutLast splits s around the last sep; without sep, it returns ("", s).
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+len(sep):], true
}
