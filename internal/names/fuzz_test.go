package names

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"lodahs", "@evil/lodash", "@types/node", "lоdash", "github.com/boltdb-go/bolt", "a-b_c.d", "", "@", "@/", "/", "--", "x\xff"} {
		f.Add("npm", s)
		f.Add("Go", s)
	}
	f.Add("PyPI", "Requests__")
	f.Add("RubyGems", "rails")
	c, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, eco, name string) {
		m, ok := c.Check(eco, name)
		if !ok {
			if m != (Match{}) {
				t.Fatalf("Check(%q, %q) = %+v, false", eco, name, m)
			}
			return
		}
		if m.Target == "" || m.Transformation == "" || m.TargetRank < 1 {
			t.Fatalf("Check(%q, %q) = incomplete %+v", eco, name, m)
		}
		if _, known := strength[m.Transformation]; !known {
			t.Fatalf("Check(%q, %q): unknown transformation %q", eco, name, m.Transformation)
		}
		if f, _ := fold(eco, m.Target); f == "" {
			t.Fatalf("target %q folds to nothing", m.Target)
		}
		// A popular name never imitates itself.
		if m2, ok := c.Check(eco, m.Target); ok && m2.Target == m.Target {
			t.Fatalf("%q imitates itself", m.Target)
		}
	})
}

func FuzzReadList(f *testing.F) {
	f.Add([]byte("# list\nlodash\nreact # the UI library\n\n"))
	f.Add([]byte("a b\n"))
	f.Add([]byte(strings.Repeat("x", MaxLineBytes+1)))
	f.Add([]byte("\xff\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		names, err := ReadList(bytes.NewReader(b))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, " \t\r\n#") || !utf8.ValidString(n) || len(n) > MaxLineBytes || seen[n] {
				t.Fatalf("ReadList returned bad name %q", n)
			}
			seen[n] = true
		}
	})
}
