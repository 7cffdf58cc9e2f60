package ecosystem

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		eco  Ecosystem
		in   string
		want string
	}{
		// PEP 503: runs of -, _ and . are one -, lower case.
		{PyPI, "Foo_Bar", "foo-bar"},
		{PyPI, "foo.bar", "foo-bar"},
		{PyPI, "foo--_.bar", "foo-bar"},
		{PyPI, "Nasrtox", "nasrtox"},
		{PyPI, "requests", "requests"},
		{PyPI, "zope.interface", "zope-interface"},
		{PyPI, "trailing_", "trailing-"},
		{NuGet, "Newtonsoft.Json", "newtonsoft.json"},
		{CratesIO, "Serde_JSON", "serde-json"},
		{Packagist, "Symfony/Console", "symfony/console"},
		// Exact: npm, Go module paths, Maven coordinates, RubyGems.
		{NPM, "@Scope/Name", "@Scope/Name"},
		{NPM, "left_pad", "left_pad"},
		{Go, "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
		{Maven, "org.Apache:Commons", "org.Apache:Commons"},
		{RubyGems, "Active_Support", "Active_Support"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.eco, tt.in); got != tt.want {
			t.Errorf("Normalize(%s, %q) = %q, want %q", tt.eco, tt.in, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Ecosystem
		wantErr bool
	}{
		{"npm", NPM, false},
		{"PyPI", PyPI, false},
		{"crates.io", CratesIO, false},
		{"Debian:12", "Debian", false},
		{"Ubuntu:22.04:LTS", "Ubuntu", false},
		{"pypi", "", true}, // the schema's spelling is exact
		{"NPM", "", true},
		{"", "", true},
		{"cobol", "", true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrUnsupported) {
			t.Errorf("Parse(%q) error %v does not wrap ErrUnsupported", tt.in, err)
		}
	}
}

func TestFromPrefix(t *testing.T) {
	for in, want := range map[string]Ecosystem{
		"npm": NPM, "pypi": PyPI, "PyPI": PyPI, "go": Go, "golang": Go, "crates.io": CratesIO,
		"cargo": CratesIO, "rubygems": RubyGems, "gem": RubyGems, "nuget": NuGet, "maven": Maven,
		"composer": Packagist, "Hackage": "Hackage", "hackage": "Hackage", "alpine": "Alpine",
	} {
		if got, err := FromPrefix(in); err != nil || got != want {
			t.Errorf("FromPrefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := FromPrefix("cobol"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("FromPrefix(cobol) err = %v, want ErrUnsupported", err)
	}
}

func TestAllKnown(t *testing.T) {
	all := All()
	if len(all) < 40 {
		t.Fatalf("All() has %d ecosystems, want the OSV schema's list", len(all))
	}
	for _, e := range all {
		if !e.Known() {
			t.Errorf("%s in All() but not Known", e)
		}
	}
	for _, e := range []Ecosystem{NPM, PyPI, Go, CratesIO, RubyGems, NuGet, Maven, Packagist, Pub, Hex} {
		if !e.Known() {
			t.Errorf("%s is not in the OSV list", e)
		}
		if PURLType(e) == "" {
			t.Errorf("%s has no purl type", e)
		}
	}
}

func FuzzNormalizePyPI(f *testing.F) {
	for _, s := range []string{"Foo_Bar", "a..b", "-", "", "ÄÖ.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(PyPI, s)
		if Normalize(PyPI, n) != n {
			t.Errorf("Normalize is not idempotent: %q -> %q -> %q", s, n, Normalize(PyPI, n))
		}
	})
}
