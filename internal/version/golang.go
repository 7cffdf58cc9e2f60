package version

import (
	"errors"
	"strings"

	"golang.org/x/mod/semver"
)

// goVersion is a Go module version in semver.Canonical form: "v1.2.3" or
// "v1.2.3-pre", without build metadata such as "+incompatible".
type goVersion string

var _ Version = goVersion("")

var errNotGo = errors.New("not a Go module version (semantic version, with or without a leading v)")

// parseGo parses a Go module version. OSV records write "1.2.3" where Go
// tools write "v1.2.3"; both mean the same version. Pseudo-versions are
// prereleases and order as such. semver.Compare ignores build metadata, so
// "v2.0.0+incompatible" equals "v2.0.0" (no module has both).
func parseGo(s string) (Version, error) {
	if !strings.HasPrefix(s, "v") {
		s = "v" + s
	}
	c := semver.Canonical(s)
	if c == "" {
		return nil, errNotGo
	}
	return goVersion(c), nil
}

// Compare implements Version.
func (a goVersion) Compare(other Version) int {
	b, ok := other.(goVersion)
	if !ok {
		mismatch(a, other)
	}
	if a == b {
		return 0
	}
	return semver.Compare(string(a), string(b))
}

// String implements Version.
func (a goVersion) String() string { return string(a) }
