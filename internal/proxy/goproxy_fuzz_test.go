package proxy

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/module"
)

func FuzzGoRequest(f *testing.F) {
	for _, p := range []string{
		"/example.invalid/evil/@v/list",
		"/example.invalid/evil/@latest",
		"/example.invalid/evil/@v/v1.0.0.info",
		"/github.com/!burnt!sushi/toml/@v/v1.2.0.zip",
		"/example.invalid/evil/@v/main.info",
		"/example.invalid/%2e%2e/@v/list",
		"/github.com/BurntSushi/toml/@v/list",
		"/example.invalid/evil/@v/v2.0.0+incompatible.mod",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		u, err := url.ParseRequestURI(p)
		if err != nil {
			return
		}
		req, err := parseGoRequest(u)
		if err != nil {
			return
		}
		// What is accepted is canonical and round-trips.
		if esc, err := module.EscapePath(req.mod); err != nil || esc != req.escMod {
			t.Fatalf("%q: module %q escapes to %q, %v; request had %q", p, req.mod, esc, err, req.escMod)
		}
		if strings.Contains(u.EscapedPath(), "%") {
			t.Fatalf("%q accepted with a percent-escape", p)
		}
		switch req.kind {
		case "mod", "zip":
			if module.Check(req.mod, req.ver) != nil || module.CanonicalVersion(req.ver) != req.ver {
				t.Fatalf("%q: .%s of a non-canonical version %q", p, req.kind, req.ver)
			}
		case "info":
			if esc, err := module.EscapeVersion(req.ver); err != nil || esc != req.escVer {
				t.Fatalf("%q: version %q escapes to %q, %v", p, req.ver, esc, err)
			}
		}
	})
}

func FuzzGoList(f *testing.F) {
	f.Add([]byte("v1.0.0\nv1.0.1 2026-01-02T03:04:05Z\n../x\nv2.0.0\n\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		list, _ := parseGoList("example.invalid/m", body)
		for _, e := range list {
			if module.Check("example.invalid/m", e.version) != nil || !strings.HasPrefix(e.line, e.version) || strings.ContainsAny(e.line, "\n\r") {
				t.Fatalf("bad entry %+v", e)
			}
		}
		parseGoInfo("example.invalid/m", body)
	})
}

func FuzzGoPlain(f *testing.F) {
	f.Add("a\nb\x1b[31m\xffé", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 1000
		got := goPlain(s, n)
		if !utf8.ValidString(got) || len(got) > max(n, 0)+3 {
			t.Fatalf("goPlain(%q, %d) = %q", s, n, got)
		}
		for _, r := range got {
			if !unicode.IsGraphic(r) {
				t.Fatalf("goPlain(%q, %d) = %q: %q not printable", s, n, got, r)
			}
		}
	})
}
