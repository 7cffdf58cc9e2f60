package rules

import (
	"context"
	"testing"

	"github.com/sapperhq/sapper/internal/analyze"
)

// TestHangulFillerInStrings: a Hangul filler in a string literal is data
// (Unicode tables), one outside strings is an invisible identifier.
func TestHangulFillerInStrings(t *testing.T) {
	for src, want := range map[string]int{
		"x := g(Yes, \"\u1160\")\n":        0,
		"const s = 'a\\'\u3164';\n":        0,
		"var \u3164 = 1; eval(\u3164)\n":   2,
		"s := \"done\"; \u3164 := run()\n": 1,
	} {
		got, err := newInvisibleUnicode().Check(context.Background(), analyze.File{Path: "x.js", Kind: analyze.JavaScript, Data: []byte(src)})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("%q: %d findings, want %d", src, len(got), want)
		}
	}
}
