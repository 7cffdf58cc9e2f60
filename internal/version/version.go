package version

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// Version is a parsed version of one ecosystem.
type Version interface {
	// Compare returns -1, 0 or +1; other must come from Parse with the same ecosystem.
	Compare(other Version) int
	// String returns the canonical form (see Canonical).
	String() string
}

// ErrUnordered is returned, wrapped with detail, by Parse for an ecosystem
// whose versions sapper cannot order, for a Packagist, Pub or Hex version
// that is not a semantic version, and for a Packagist prerelease.
var ErrUnordered = errors.New("version ordering not supported")

// maxLen is the longest version string Parse accepts, in bytes.
const maxLen = 256

// parsers holds the parser of each ordered ecosystem. A parser returns an
// error without the ecosystem or the string, which Parse adds.
var parsers = map[ecosystem.Ecosystem]func(string) (Version, error){
	ecosystem.NPM:       parseNPM,
	ecosystem.CratesIO:  parseSemver,
	ecosystem.Packagist: parsePackagist,
	ecosystem.Pub:       parsePub,
	ecosystem.Hex:       parseSemverOnly,
	ecosystem.PyPI:      parsePyPI,
	ecosystem.Go:        parseGo,
	ecosystem.RubyGems:  parseGem,
	ecosystem.Maven:     parseMaven,
	ecosystem.NuGet:     parseNuGet,
}

// Parse parses s as a version of ecosystem e. An error names the ecosystem
// and the string, and wraps [ErrUnordered] when e has no ordering sapper knows.
func Parse(e ecosystem.Ecosystem, s string) (Version, error) {
	v, err := parse(e, s)
	if err != nil {
		return nil, fmt.Errorf("parse %s version %s: %w", e, quote(s), err)
	}
	return v, nil
}

// parse is Parse without the ecosystem and the string in its errors, so that
// Canonical does not pay for formatting an error it drops.
func parse(e ecosystem.Ecosystem, s string) (v Version, err error) {
	p, ok := parsers[e]
	if !ok {
		return nil, ErrUnordered
	}
	if len(s) > maxLen {
		return nil, fmt.Errorf("longer than %d bytes", maxLen)
	}
	if s == "" {
		return nil, errors.New("empty version")
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("parser panicked: %v", r)
		}
	}()
	v, err = p(s)
	if err == nil && len(v.String()) > maxLen {
		// RubyGems reads "-" as ".pre.": keep canonical forms parseable.
		return nil, fmt.Errorf("canonical form longer than %d bytes", maxLen)
	}
	return v, err
}

// quote quotes s for an error message, cutting it short if it is long.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		return fmt.Sprintf("%q... (%d bytes)", s[:limit], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// Ordered reports whether Parse supports e.
func Ordered(e ecosystem.Ecosystem) bool {
	_, ok := parsers[e]
	return ok
}

// Canonical returns a string such that two versions that Compare equal have
// equal Canonical forms: PyPI "1.0" and "1.0.0" both give "1", Go "v1.2.3"
// and "1.2.3" both give "v1.2.3", NuGet "1.0" and "1.0.0.0" both give
// "1.0.0", and prerelease labels lose their case where the ecosystem ignores it.
// The canonical form of a version parses to a version equal to it.
//
// For an ecosystem that is not ordered, or a string that does not parse,
// Canonical returns s unchanged, so exact string comparison still works.
func Canonical(e ecosystem.Ecosystem, s string) string {
	if len(s) > maxLen {
		return s
	}
	// Fast paths for the commonest spellings, which skip the libraries'
	// regular expressions; FuzzParse checks that they agree with Parse.
	switch e {
	case ecosystem.NPM, ecosystem.CratesIO, ecosystem.Packagist, ecosystem.Pub, ecosystem.Hex:
		if plainSemver(s) {
			return s
		}
	case ecosystem.PyPI, ecosystem.RubyGems, ecosystem.Maven:
		if c, ok := plainNumeric(s); ok {
			return c
		}
	}
	v, err := parse(e, s)
	if err != nil {
		return s
	}
	return v.String()
}

// maxDigits is the longest run of significant digits the fast paths accept;
// any such number fits in an int64 and a uint64.
const maxDigits = 18

// plainSemver reports whether s is "MAJOR.MINOR.PATCH" with no leading zeros,
// which is its own canonical form as a semantic version.
func plainSemver(s string) bool {
	parts := 0
	for len(s) > 0 {
		n := digits(s)
		if n == 0 || n > maxDigits || (n > 1 && s[0] == '0') {
			return false
		}
		parts++
		s = s[n:]
		if s == "" {
			break
		}
		if s[0] != '.' || len(s) == 1 {
			return false
		}
		s = s[1:]
	}
	return parts == 3
}

// plainNumeric returns the canonical form of a version made only of dotted
// numbers, such as "1.02.0", in ecosystems where trailing zero components do
// not count (PyPI, RubyGems, Maven): each number without leading zeros, and
// the trailing zero components dropped ("1.2"), down to "0" for all zeros.
// It reports false for any other string, or for a number too long for the
// fast path.
func plainNumeric(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	clean := true // s is already canonical
	end := 0      // length of s up to the last non-zero component
	for i := 0; i < len(s); {
		n := digits(s[i:])
		if n == 0 {
			return "", false
		}
		num := s[i : i+n]
		sig := strings.TrimLeft(num, "0")
		if len(sig) > maxDigits {
			return "", false
		}
		if len(sig) != len(num) && (n > 1 || sig != "") {
			clean = false // leading zeros, or "00"
		}
		i += n
		if sig != "" {
			end = i
		}
		if i == len(s) {
			break
		}
		if s[i] != '.' || i == len(s)-1 {
			return "", false
		}
		i++
	}
	if end == 0 {
		return "0", true
	}
	if clean {
		return s[:end], true
	}
	var b strings.Builder
	b.Grow(end)
	for i := 0; i < end; {
		n := digits(s[i:])
		sig := strings.TrimLeft(s[i:i+n], "0")
		if sig == "" {
			sig = "0"
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(sig)
		i += n + 1
	}
	return b.String(), true
}

// digits returns the length of the run of ASCII digits at the start of s.
func digits(s string) int {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// mismatch panics: comparing versions of two ecosystems is a bug in the caller.
func mismatch(v, other Version) {
	panic(fmt.Sprintf("version: compare %T with %T (versions of different ecosystems)", v, other))
}
