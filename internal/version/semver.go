package version

import (
	"errors"
	"fmt"
	"strings"

	npm "github.com/aquasecurity/go-npm-version/pkg"
	"github.com/aquasecurity/go-version/pkg/part"
	"github.com/aquasecurity/go-version/pkg/semver"
)

// semverVersion is a Semantic Versioning 2.0 version, as used by npm,
// crates.io, Packagist, Pub and Hex.
type semverVersion struct {
	v     npm.Version
	canon string // without a leading "v" or, but for Pub, build metadata
	// build holds Pub's build identifiers, numbers without leading zeros;
	// Pub orders versions by them where semantic versioning does not.
	build []string
}

var _ Version = (*semverVersion)(nil)

var errNotSemver = errors.New("not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD])")

// parseNPM parses an npm version. Like node-semver's loose mode, it ignores
// surrounding space and a leading "v" or "=" ("v1.2.3", "=1.2.3").
func parseNPM(s string) (Version, error) {
	return parseSemver(strings.TrimLeft(strings.TrimSpace(s), "=v \t\n\r"))
}

// parsePackagist parses a Packagist version that is a semantic version
// without a prerelease, which Composer also writes with a leading "v".
// Composer orders prereleases its own way ("1.0.0-patch1" after "1.0.0",
// "-beta" before "-RC", "-beta9" before "-beta10"), so they are not ordered.
func parsePackagist(s string) (Version, error) {
	if s != "" && (s[0] == 'v' || s[0] == 'V') {
		s = s[1:]
	}
	v, err := parseSemverOnly(s)
	if err != nil {
		return nil, err
	}
	if len(v.(*semverVersion).v.PreRelease()) > 0 {
		return nil, fmt.Errorf("%w (Composer orders prereleases its own way)", ErrUnordered)
	}
	return v, nil
}

// parsePub parses a Pub version, a semantic version that pub_semver orders
// by its build metadata too: "1.0.0" < "1.0.0+1" < "1.0.0+2" < "1.0.0+a".
func parsePub(s string) (Version, error) {
	v, err := parseSemverOnly(s)
	if err != nil {
		return nil, err
	}
	sv := v.(*semverVersion)
	build := sv.v.Metadata()
	if build == "" {
		return sv, nil
	}
	for id := range strings.SplitSeq(build, ".") {
		if digits(id) == len(id) {
			// pub_semver reads numbers with int.tryParse: "01" is 1.
			if id = strings.TrimLeft(id, "0"); id == "" {
				id = "0"
			}
		}
		sv.build = append(sv.build, id)
	}
	sv.canon += "+" + strings.Join(sv.build, ".")
	return sv, nil
}

// parseSemverOnly parses a semantic version in an ecosystem whose other
// versions sapper cannot order (Pub, Hex and, through parsePackagist, Packagist).
func parseSemverOnly(s string) (Version, error) {
	v, err := parseSemver(s)
	if errors.Is(err, errNotSemver) {
		return nil, fmt.Errorf("%w (only semantic versions are ordered in this ecosystem)", ErrUnordered)
	}
	return v, err
}

// parseSemver parses a semantic version, strictly.
func parseSemver(s string) (Version, error) {
	v, err := npm.NewVersion(s)
	if err != nil {
		return nil, errNotSemver // also for a number too large for a uint64
	}
	canon, _, _ := strings.Cut(s, "+")
	pre := v.PreRelease()
	var fixed part.Parts
	for i, p := range pre {
		switch p := p.(type) {
		case part.Any:
			// Library bug: part.NewParts reads the prerelease identifiers "x"
			// and "X" as wildcards, which compare equal to anything, so
			// "1.0.0-x" would equal "1.0.0-alpha". They are plain text.
			if fixed == nil {
				fixed = make(part.Parts, len(pre))
				copy(fixed, pre)
			}
			_, ids, _ := strings.Cut(canon, "-")
			fixed[i] = part.String(strings.Split(ids, ".")[i])
		case part.String:
			// Library bug: a numeric identifier too large for a uint64
			// becomes text, which sorts after alphanumeric identifiers.
			if digits(string(p)) == len(p) {
				return nil, fmt.Errorf("prerelease number %s too large", p)
			}
		}
	}
	if fixed != nil {
		v = semver.New(v.Major(), v.Minor(), v.Patch(), fixed, v.Metadata())
	}
	return &semverVersion{v: v, canon: canon}, nil
}

// Compare implements Version.
func (a *semverVersion) Compare(other Version) int {
	b, ok := other.(*semverVersion)
	if !ok {
		mismatch(a, other)
	}
	if a.canon == b.canon {
		return 0
	}
	if c := a.v.Compare(b.v); c != 0 || a.build == nil && b.build == nil {
		return c
	}
	return compareBuild(a.build, b.build)
}

// compareBuild orders Pub build identifiers as pub_semver does: no build
// first, then identifier by identifier, numbers before text and a missing
// identifier first.
func compareBuild(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if i == len(a) {
			return -1
		}
		if i == len(b) {
			return 1
		}
		l, r := a[i], b[i]
		ln, rn := digits(l) == len(l), digits(r) == len(r)
		switch {
		case l == r:
			continue
		case ln && rn:
			return compareNumbers(l, r)
		case ln:
			return -1
		case rn:
			return 1
		default:
			return strings.Compare(l, r)
		}
	}
	return 0
}

// String implements Version.
func (a *semverVersion) String() string { return a.canon }
