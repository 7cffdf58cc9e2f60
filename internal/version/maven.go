package version

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	mvn "github.com/masahiro331/go-mvn-version"
)

// mavenVersion is a Maven version, ordered as
// org.apache.maven.artifact.versioning.ComparableVersion orders it.
//
// That order is not transitive where "." meets a qualifier followed by a
// number: "1.0.0.RC1" is [1 0 0 rc [1]] and "1-1" is [1 [1]], and a number
// sorts after a list, so "1.0.0.RC1" < "1" < "1-1" < "1.0.0.RC1". Maven 3.9
// (MNG-7644) reads ".RC1" as "-RC1"; the library does not, and neither does
// OSV's Maven ordering, which the records sapper matches are written against
// (osv-scalibr's semantic package agrees with this one on its 14,752
// generated Maven comparisons), so this one does not either.
type mavenVersion struct {
	items mvn.ListItem
	canon string
}

var _ Version = (*mavenVersion)(nil)

// parseMaven parses a Maven version. Any string is a ComparableVersion, but
// sapper takes printable ASCII without spaces only, and numbers of up to 18
// digits.
func parseMaven(s string) (Version, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c <= ' ' || c > '~' {
			// The library indexes the string by runes and by bytes at once,
			// which goes wrong, or panics, past ASCII.
			return nil, fmt.Errorf("byte %#02x not allowed (printable ASCII without spaces only)", c)
		}
		n := digits(s[i:])
		if len(strings.TrimLeft(s[i:i+n], "0")) > maxDigits {
			// Library limit: it reads numbers with strconv.Atoi and ignores
			// the error, so every larger number became math.MaxInt64.
			return nil, errors.New("number too large")
		}
		i += max(n, 1)
	}
	v, err := mvn.NewVersion(s)
	if err != nil {
		return nil, err
	}
	items := normalizeMaven(v.Items)
	var b strings.Builder
	writeMaven(&b, items)
	canon := b.String()
	if canon == "" {
		canon = "0"
	}
	return &mavenVersion{items: items, canon: canon}, nil
}

// normalizeMaven removes the null items (0, "" and empty lists) at the end
// of each list, as ComparableVersion.ListItem.normalize does, looking past
// non-null sublists. The library normalises each list before it adds the
// sublist that follows, so it leaves an empty sublist behind ("1-0" is
// [1 []]). That compares as it should, but the canonical form must not show it.
func normalizeMaven(l mvn.ListItem) mvn.ListItem {
	out := make(mvn.ListItem, 0, len(l))
	for _, it := range l {
		if sub, ok := it.(mvn.ListItem); ok {
			it = normalizeMaven(sub)
		}
		out = append(out, it)
	}
	for i := len(out) - 1; i >= 0; i-- {
		switch it := out[i].(type) {
		case mvn.IntItem:
			if it != 0 {
				return out
			}
		case mvn.StringItem:
			if it != "" {
				return out
			}
		case mvn.ListItem:
			if len(it) > 0 {
				continue
			}
		}
		out = append(out[:i], out[i+1:]...)
	}
	return out
}

// writeMaven writes l in a form that parses back to l, like
// ComparableVersion.getCanonical: items joined by "." and sublists after "-".
func writeMaven(b *strings.Builder, l mvn.ListItem) {
	for i, it := range l {
		switch it := it.(type) {
		case mvn.ListItem:
			if i == 0 {
				// A list that starts with a sublist came from a leading
				// null item that normalisation removed ("1-0-1" is
				// [1 [[1]]]); without it, "1-1" would read as [1 [1]].
				b.WriteByte('0')
			}
			b.WriteByte('-')
			writeMaven(b, it)
		case mvn.IntItem:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(strconv.Itoa(int(it)))
		case mvn.StringItem:
			if i > 0 {
				b.WriteByte('.')
			}
			if it == "" {
				it = "ga" // a release qualifier that is not at the end
			}
			b.WriteString(string(it))
		}
	}
}

// Compare implements Version.
func (a *mavenVersion) Compare(other Version) int {
	b, ok := other.(*mavenVersion)
	if !ok {
		mismatch(a, other)
	}
	if a.canon == b.canon {
		return 0
	}
	return a.items.Compare(b.items)
}

// String implements Version.
func (a *mavenVersion) String() string { return a.canon }
