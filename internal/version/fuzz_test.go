package version

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// fuzzEcosystems are the ordered ecosystems plus one that is not.
var fuzzEcosystems = []ecosystem.Ecosystem{
	ecosystem.NPM, ecosystem.CratesIO, ecosystem.Packagist, ecosystem.Pub, ecosystem.Hex,
	ecosystem.PyPI, ecosystem.Go, ecosystem.RubyGems, ecosystem.Maven, ecosystem.NuGet,
	"Debian",
}

// FuzzParse checks, for every ecosystem, that Parse does not panic, that a
// parsed version equals itself, and that its canonical form parses back to an
// equal version with the same canonical form.
func FuzzParse(f *testing.F) {
	for name := range versionFiles {
		for _, c := range readComparisons(f, name) {
			f.Add(c.a)
			f.Add(c.b)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range fuzzEcosystems {
			v, err := Parse(e, s)
			c := Canonical(e, s)
			if err != nil {
				if c != s {
					t.Errorf("Canonical(%s, %q) = %q for a string that does not parse (%v)", e, s, c, err)
				}
				continue
			}
			if got := v.Compare(v); got != 0 {
				t.Errorf("%s %q: Compare(v, v) = %d", e, s, got)
			}
			if c != v.String() {
				t.Errorf("%s %q: Canonical gives %q, String gives %q", e, s, c, v)
			}
			cv, err := Parse(e, c)
			if err != nil {
				t.Errorf("%s %q: canonical form does not parse: %v", e, s, err)
				continue
			}
			if v.Compare(cv) != 0 || cv.Compare(v) != 0 {
				t.Errorf("%s %q: not equal to its canonical form %q", e, s, c)
			}
			if got := cv.String(); got != c {
				t.Errorf("%s %q: canonical form %q has canonical form %q", e, s, c, got)
			}
		}
	})
}

// FuzzCompare checks, for every ecosystem, that Compare is antisymmetric,
// returns -1, 0 or +1, and agrees with canonical forms about equality.
func FuzzCompare(f *testing.F) {
	for name := range versionFiles {
		for _, c := range readComparisons(f, name) {
			f.Add(c.a, c.b)
		}
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, e := range fuzzEcosystems {
			va, err := Parse(e, a)
			if err != nil {
				continue
			}
			vb, err := Parse(e, b)
			if err != nil {
				continue
			}
			ab, ba := va.Compare(vb), vb.Compare(va)
			if ab < -1 || ab > 1 || ab != -ba {
				t.Errorf("%s: Compare(%q, %q) = %d, reversed %d", e, a, b, ab, ba)
			}
			if (ab == 0) != (va.String() == vb.String()) {
				t.Errorf("%s: Compare(%q, %q) = %d, canonical forms %q and %q", e, a, b, ab, va, vb)
			}
		}
	})
}
