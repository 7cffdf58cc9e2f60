package cli

import (
	"strings"
	"testing"
)

// FuzzParsePackage feeds arbitrary package arguments (what "sapper check -"
// reads from stdin) to the parser: never a panic, and a parsed package always
// has an ecosystem and a name without white space.
func FuzzParsePackage(f *testing.F) {
	for _, s := range []string{
		"npm:left-pad@1.3.0", "npm:@scope/name@1.0.0", "pkg:npm/%40solana/web3.js@1.95.7",
		"pypi:requests==2.0", "maven:org.apache:commons@1.0", "go:golang.org/x/text@v0.3.7",
		"pkg:golang/github.com/a/b@v1", "npm:@", "npm:", ":", "pkg:", "hackage:aeson", "npm:a@b@c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parsePackage(s)
		if err != nil {
			return
		}
		if q.Ecosystem == "" || q.Name == "" {
			t.Fatalf("parsePackage(%q) = %+v: empty ecosystem or name", s, q)
		}
		if !strings.HasPrefix(s, "pkg:") && strings.ContainsAny(q.Name, " \t") {
			t.Fatalf("parsePackage(%q) = %+v: white space in the name", s, q)
		}
	})
}
