package names

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sapperhq/sapper/internal/finding"
)

// testLists are small lists, most popular first, so that the tables below
// do not depend on the embedded data.
var testLists = map[string][]string{
	"npm": {
		"semver", "react", "lodash", "express", "@babel/core", "typescript", "body-parser", "moment",
		"cross-env", "discord.js", "chalk", "@types/node", "electron", "mongoose", "webpack-cli",
		"@testing-library/react", "@sentry/node", "preact", "ms",
	},
	"PyPI": {"requests", "numpy", "urllib3", "python-dateutil", "scikit-learn", "django", "colorama", "pandas", "psycopg2", "psycopg", "typer", "vyper"},
	"Go": {
		"golang.org/x/sys", "github.com/spf13/cobra", "github.com/stretchr/testify", "gopkg.in/yaml.v3",
		"github.com/google/uuid", "github.com/boltdb/bolt", "github.com/gofrs/uuid", "github.com/gofrs/flock",
	},
	"RubyGems": {"rails", "nokogiri", "activesupport", "rspec"},
}

func TestCheck(t *testing.T) {
	c := New(testLists)
	tests := []struct {
		eco, name string
		want      Match // zero: not flagged
	}{
		// Popular names themselves.
		{"npm", "lodash", Match{}},
		{"npm", "react", Match{}},
		{"npm", "preact", Match{}}, // listed, and one stray letter in a five-letter name is no typo
		{"npm", "ms", Match{}},
		{"npm", "@testing-library/react", Match{}}, // listed scoped names are their scope's own
		{"PyPI", "psycopg", Match{}},               // psycopg and psycopg2 differ by a version digit
		{"PyPI", "Requests", Match{}},              // PEP 503: the same project
		{"PyPI", "python_dateutil", Match{}},
		// Omitted, repeated, inserted, swapped characters, neighbouring keys.
		{"npm", "lodsh", Match{"lodash", Omitted, 3}},
		{"npm", "loddash", Match{"lodash", Repeated, 3}},
		{"npm", "lodasjh", Match{"lodash", Inserted, 3}},
		{"npm", "mongoosze", Match{"mongoose", Inserted, 14}}, // z is next to s
		{"npm", "mongoosqe", Match{"mongoose", Inserted, 14}}, // q is not, but mongoose is long
		{"npm", "lodahs", Match{"lodash", Swapped, 3}},
		{"npm", "lodasg", Match{"lodash", NeighbouringKey, 3}},
		{"npm", "electorn", Match{"electron", Swapped, 13}},
		{"PyPI", "reqeusts", Match{"requests", Swapped, 1}},
		{"PyPI", "nunpy", Match{"numpy", NeighbouringKey, 2}},
		{"PyPI", "urlib3", Match{"urllib3", Omitted, 3}},
		{"PyPI", "vper", Match{"vyper", Omitted, 12}},
		{"RubyGems", "nokogri", Match{"nokogiri", Omitted, 2}},
		// Not typos: unrelated letters, digits (versions), short names, short words.
		{"npm", "lodaph", Match{}}, // p is not next to s
		{"npm", "mx", Match{}},     // too short to tell
		{"npm", "mss", Match{}},    // "ms" is too short for typos to tell
		{"npm", "reactt", Match{"react", Repeated, 2}},
		{"PyPI", "psycopg3", Match{"psycopg", Version, 10}}, // not a typo of psycopg2, but a version of psycopg
		{"PyPI", "numpy2", Match{"numpy", Version, 2}},
		// Visual look-alikes and Unicode confusables.
		{"npm", "1odash", Match{"lodash", LookAlike, 3}},
		{"npm", "rnoment", Match{"moment", LookAlike, 8}},
		{"npm", "l0dash", Match{"lodash", LookAlike, 3}},
		{"npm", "lоdash", Match{"lodash", Confusable, 3}},                   // Cyrillic о
		{"npm", "ｌｏｄａｓｈ", Match{"lodash", Confusable, 3}},                   // fullwidth
		{"npm", "lo\u200bdash", Match{"lodash", Confusable, 3}},             // zero-width space
		{"PyPI", "numpу", Match{"numpy", Confusable, 2}},                    // Cyrillic у
		{"npm", "lodaşh", Match{"lodash", Confusable, 3}},                   // s with cedilla
		{"npm", "lоdahs", Match{"lodash", Confusable, 3}},                   // confusable and swapped
		{"npm", "\U0001d425\U0001d428dash", Match{"lodash", Confusable, 3}}, // mathematical bold
		// Separators added, removed, swapped.
		{"npm", "bodyparser", Match{"body-parser", Separators, 7}},
		{"npm", "body_parser", Match{"body-parser", Separators, 7}},
		{"npm", "crossenv", Match{"cross-env", Separators, 9}},
		{"npm", "discordjs", Match{"discord.js", Separators, 10}},
		{"npm", "lo-dash", Match{"lodash", Separators, 3}},
		{"PyPI", "scikitlearn", Match{"scikit-learn", Separators, 5}},
		{"RubyGems", "active_support", Match{"activesupport", Separators, 3}},
		// Word order.
		{"npm", "parser-body", Match{"body-parser", WordOrder, 7}},
		{"PyPI", "learn-scikit", Match{"scikit-learn", WordOrder, 5}},
		// Affix and version decoration.
		{"npm", "lodash-js", Match{"lodash", Affix, 3}},
		{"npm", "node-lodash", Match{"lodash", Affix, 3}},
		{"npm", "lodash.js", Match{"lodash", Affix, 3}},
		{"npm", "express-cli", Match{"express", Affix, 4}},
		{"PyPI", "python-requests", Match{"requests", Affix, 1}},
		{"PyPI", "requests-py", Match{"requests", Affix, 1}},
		{"PyPI", "pyrequests", Match{"requests", Affix, 1}},
		{"npm", "lodash2", Match{"lodash", Version, 3}},
		{"npm", "lodash-v4", Match{"lodash", Version, 3}},
		{"npm", "webpack-cli", Match{}}, // listed: a popular name is its own package
		{"npm", "ms-cli", Match{}},      // "ms" is too short to decorate
		// npm scopes.
		{"npm", "@evil/lodash", Match{"lodash", ScopeConfusion, 3}},
		{"npm", "@types/lodash", Match{}}, // DefinitelyTyped's, for any package
		{"npm", "@types/lodahs", Match{}}, // only DefinitelyTyped publishes in @types
		{"npm", "@babel/cor", Match{}},    // only the owner of @babel publishes in it
		{"npm", "@sentry/react", Match{}}, // @sentry has names in the list: established
		{"npm", "@babell/core", Match{"@babel/core", Repeated, 5}},
		{"npm", "@babel-js/core", Match{"@babel/core", ScopeLookAlike, 5}},
		{"npm", "@typse/node", Match{"@types/node", Swapped, 12}},
		// Go module paths.
		{"Go", "github.com/spf13/cobra/v2", Match{}}, // the same repository
		{"Go", "github.com/spf13/cobra/doc", Match{}},
		{"Go", "gopkg.in/yaml.v2", Match{}},
		{"Go", "github.com/spf13/cobr", Match{}},     // only spf13 publishes under github.com/spf13
		{"Go", "github.com/SPF13/cobra", Match{}},    // GitHub owners ignore case: the same repository
		{"Go", "github.com/gofrs/uuid", Match{}},     // listed
		{"Go", "github.com/gofrs/newthing", Match{}}, // gofrs is an established owner
		{"Go", "github.com/spf14/cobra", Match{"github.com/spf13/cobra", NeighbouringKey, 2}},
		{"Go", "githb.com/spf13/cobra", Match{"github.com/spf13/cobra", Omitted, 2}},
		{"Go", "golang.org/x/syss", Match{"golang.org/x/sys", Repeated, 1}},
		{"Go", "github.com/boltdb-go/bolt", Match{"github.com/boltdb/bolt", OwnerLookAlike, 6}},
		{"Go", "github.com/spf13-go/cobra/v2", Match{"github.com/spf13/cobra", OwnerLookAlike, 2}},
		{"Go", "github.com/evil/cobra", Match{"github.com/spf13/cobra", OwnerChanged, 2}},
		// Ecosystems without a list, and junk.
		{"crates.io", "serde", Match{}},
		{"npm", "", Match{}},
		{"npm", strings.Repeat("a", 10000), Match{}},
		{"npm", "\xff\xfe", Match{}},
	}
	for _, tt := range tests {
		t.Run(tt.eco+"/"+tt.name, func(t *testing.T) {
			got, ok := c.Check(tt.eco, tt.name)
			if ok != (tt.want != Match{}) {
				t.Fatalf("Check(%q, %q) = %+v, %v; want %+v", tt.eco, tt.name, got, ok, tt.want)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(%q, %q) (-want +got):\n%s", tt.eco, tt.name, diff)
			}
		})
	}
}

func TestCheckDefault(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if c2, _ := Default(); c2 != c {
		t.Error("Default() built a second Checker")
	}
	// Real typosquats (osv-sample MAL records), and legitimate look-alikes.
	tests := []struct {
		eco, name, target, tr string
	}{
		{"PyPI", "tensoorflow", "tensorflow", Repeated},
		{"PyPI", "python-binanec", "python-binance", Swapped},
		{"PyPI", "pgmysql", "pymysql", NeighbouringKey},
		{"PyPI", "customtikinter", "customtkinter", Inserted},
		{"npm", "kara-phantomjs-launcher", "karma-phantomjs-launcher", Omitted},
		{"Go", "github.com/boltdb-go/bolt", "github.com/boltdb/bolt", OwnerLookAlike},
		{"npm", "preact", "", ""},
		{"npm", "request", "", ""},
		{"PyPI", "requests", "", ""},
		{"PyPI", "request", "requests", Omitted}, // the name of a known 2017 typosquat
		{"npm", "@types/react", "", ""},
		{"npm", "@babel/core", "", ""},
		{"npm", "@emotion/react", "", ""},
		{"npm", "ttypescript", "", ""}, // allowlisted
		{"PyPI", "grequests", "", ""},  // allowlisted
		{"Go", "github.com/Sirupsen/logrus", "", ""},
		{"Go", "github.com/gogo/protobuf", "", ""},
		{"RubyGems", "rails", "", ""},
	}
	for _, tt := range tests {
		m, ok := c.Check(tt.eco, tt.name)
		if ok != (tt.target != "") || m.Target != tt.target || m.Transformation != tt.tr {
			t.Errorf("Check(%q, %q) = %+v, %v; want %q (%s)", tt.eco, tt.name, m, ok, tt.target, tt.tr)
		}
	}
}

func TestFinding(t *testing.T) {
	pkg := finding.Package{Ecosystem: "npm", Name: "lodahs", Version: "1.0.0"}
	got := Match{Target: "lodash", Transformation: Swapped, TargetRank: 3}.Finding(pkg)
	want := finding.Finding{
		Kind:           finding.Typosquat,
		Severity:       finding.SeverityHigh,
		Package:        pkg,
		Summary:        `name "lodahs" imitates "lodash" (swapped characters)`,
		Action:         finding.Warn,
		Target:         "lodash",
		Transformation: Swapped,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Finding (-want +got):\n%s", diff)
	}
	pkg.Name = "lodash-js"
	if f := (Match{Target: "lodash", Transformation: Affix}).Finding(pkg); f.Severity != finding.SeverityMedium {
		t.Errorf("affix decoration: severity %v, want medium", f.Severity)
	}
}

func TestWithList(t *testing.T) {
	c := New(testLists)
	if _, ok := c.Check("crates.io", "serd"); ok {
		t.Fatal("crates.io has no list, but a name was flagged")
	}
	crates, err := ReadList(strings.NewReader("# crates.io, from a user\nserde\nrust_decimal\n\ntokio # async\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := c.WithList("crates.io", crates)
	for name, want := range map[string]string{"serdde": Repeated, "rustdecimal": Separators, "rust-decimal": "", "tokoi": Swapped} {
		m, ok := d.Check("crates.io", name)
		if ok != (want != "") || m.Transformation != want {
			t.Errorf("crates.io %q: %+v, %v; want %q", name, m, ok, want)
		}
	}
	if _, ok := c.Check("crates.io", "serdde"); ok {
		t.Error("WithList changed the original Checker")
	}
	// Merged: a company's own name becomes a target, and the built-in ones stay.
	e := c.WithList("npm", []string{"@acme/auth-client", "acme-logger"})
	if m, ok := e.Check("npm", "acme-loger"); !ok || m.Target != "acme-logger" {
		t.Errorf("acme-loger: %+v, %v; want acme-logger", m, ok)
	}
	if m, ok := e.Check("npm", "lodahs"); !ok || m.Target != "lodash" {
		t.Errorf("lodahs after WithList: %+v, %v", m, ok)
	}
	if _, ok := e.Check("npm", "acme-logger"); ok {
		t.Error("acme-logger, now listed, was flagged")
	}
	// A Go repository the list lacks, copied under other owners.
	g := c.WithList("Go", []string{"github.com/areknoster/hypert"})
	if m, ok := g.Check("Go", "github.com/thankfulmai/hypert"); !ok || m.Transformation != OwnerChanged {
		t.Errorf("github.com/thankfulmai/hypert: %+v, %v; want owner changed", m, ok)
	}
}

func TestReadList(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"a\nb\n", []string{"a", "b"}, ""},
		{"# header\n\n  a  \r\nb # comment\na\n", []string{"a", "b"}, ""},
		{"", nil, ""},
		{"a\nb c\n", nil, "line 2"},
		{"a\n" + strings.Repeat("x", MaxLineBytes+1) + "\n", nil, "line 2: longer than"},
		{"a\n\xff\n", nil, "line 2: not UTF-8"},
		{"a\x00b\n", nil, "line 1"},
	}
	for _, tt := range tests {
		got, err := ReadList(strings.NewReader(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrList) {
				t.Errorf("ReadList(%.20q) error %v, want %q wrapping ErrList", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ReadList(%.20q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ReadList(%.20q) (-want +got):\n%s", tt.in, diff)
		}
	}
	if _, _, err := readList(strings.NewReader("a\nb\nc\n"), 2); err == nil || !strings.Contains(err.Error(), "line 3: more than 2 names") {
		t.Errorf("readList of 3 names, at most 2: %v, want an error", err)
	}
}

// TestAllowlist checks the allowlist: well formed, about listed names, and
// each pair still needed (the Checker would flag it without the pair).
func TestAllowlist(t *testing.T) {
	pairs, err := Allowlist()
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) == 0 {
		t.Fatal("empty allowlist")
	}
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	bare := *c
	bare.allow = map[pairKey]bool{}
	for _, p := range pairs {
		ix := c.lists[p.Ecosystem]
		if ix == nil {
			t.Errorf("allowlist %s %s: no list for ecosystem %q", p.Name, p.Target, p.Ecosystem)
			continue
		}
		if m, ok := c.Check(p.Ecosystem, p.Name); ok && m.Target == p.Target {
			t.Errorf("allowlist %s %s %s: still flagged", p.Ecosystem, p.Name, p.Target)
		}
		if m, ok := bare.Check(p.Ecosystem, p.Name); !ok || m.Target != p.Target {
			t.Errorf("allowlist %s %s %s: not needed (without it: %+v, %v); remove the pair", p.Ecosystem, p.Name, p.Target, m, ok)
		}
	}
	if _, err := parseAllowlist([]byte("npm a b\n")); err == nil {
		t.Error("a pair without a reason was accepted")
	}
}

// TestConcurrent runs Check from several goroutines (meaningful with -race).
func TestConcurrent(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, n := range []string{"lodahs", "react", "@evil/lodash", "1odash"} {
				c.Check("npm", n)
			}
		})
	}
	wg.Wait()
}
