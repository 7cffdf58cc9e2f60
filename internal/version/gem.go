package version

import (
	"errors"
	"strings"

	gem "github.com/aquasecurity/go-gem-version"
)

// gemVersion is a RubyGems version, held as Gem::Version#canonical_segments.
type gemVersion struct {
	segs  []gemSegment
	canon string // segs joined by "."
}

// gemSegment is a number, written without leading zeros, or a run of letters.
type gemSegment struct {
	s   string
	num bool
}

var _ Version = (*gemVersion)(nil)

var errNotGem = errors.New("not a RubyGems version")

// parseGem parses a RubyGems version as Gem::Version does
// (rubygems/lib/rubygems/version.rb).
//
// The library checks the syntax (Gem::Version.correct?), but it has a bug in
// ordering: it splits a version into numbers and single letters
// (/[0-9]+|[a-zA-Z]/) where Gem::Version splits it into numbers and runs of
// letters (/[0-9]+|[a-z]+/i). So it ordered "1.0.pre" after "1.0.preview" and
// "1.0.beta" before "1.0.b", against Ruby's string comparison. Segments and
// ordering are therefore done here, following version.rb.
func parseGem(s string) (Version, error) {
	if _, err := gem.NewVersion(s); err != nil {
		return nil, errNotGem
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty version") // Gem::Version reads it as "0"
	}
	s = strings.ReplaceAll(s, "-", ".pre.")

	var segs []gemSegment
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			n := digits(s[i:])
			num := strings.TrimLeft(s[i:i+n], "0")
			if num == "" {
				num = "0"
			}
			segs = append(segs, gemSegment{s: num, num: true})
			i += n
		case isLetter(c):
			j := i + 1
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			segs = append(segs, gemSegment{s: s[i:j]})
			i = j
		default:
			i++
		}
	}

	// canonical_segments: the numbers before the first letters and the
	// segments from there on, each without trailing zeros.
	str := len(segs)
	for i, seg := range segs {
		if !seg.num {
			str = i
			break
		}
	}
	segs = append(trimZeros(segs[:str:str]), trimZeros(segs[str:])...)

	var b strings.Builder
	if len(segs) == 0 || !segs[0].num {
		// A version starts with a number; "0.a" is "a" canonically.
		b.WriteString("0")
	}
	for _, seg := range segs {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(seg.s)
	}
	return &gemVersion{segs: segs, canon: b.String()}, nil
}

// trimZeros drops the trailing zero numbers of segs.
func trimZeros(segs []gemSegment) []gemSegment {
	for len(segs) > 0 && segs[len(segs)-1] == (gemSegment{s: "0", num: true}) {
		segs = segs[:len(segs)-1]
	}
	return segs
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// Compare implements Version, as Gem::Version#<=> does.
func (a *gemVersion) Compare(other Version) int {
	b, ok := other.(*gemVersion)
	if !ok {
		mismatch(a, other)
	}
	if a.canon == b.canon {
		return 0
	}
	zero := gemSegment{s: "0", num: true}
	for i := range max(len(a.segs), len(b.segs)) {
		l, r := zero, zero
		if i < len(a.segs) {
			l = a.segs[i]
		}
		if i < len(b.segs) {
			r = b.segs[i]
		}
		switch {
		case l == r:
			continue
		case !l.num && r.num:
			return -1
		case l.num && !r.num:
			return 1
		case l.num:
			return compareNumbers(l.s, r.s)
		default:
			return strings.Compare(l.s, r.s)
		}
	}
	return 0
}

// compareNumbers compares two numbers written in decimal without leading
// zeros, of any length.
func compareNumbers(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// String implements Version.
func (a *gemVersion) String() string { return a.canon }
