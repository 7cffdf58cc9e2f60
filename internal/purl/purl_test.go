package purl

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Package
	}{
		{"pkg:npm/left-pad@1.3.0", Package{ecosystem.NPM, "left-pad", "1.3.0"}},
		{"pkg:npm/%40solana/web3.js@1.95.7", Package{ecosystem.NPM, "@solana/web3.js", "1.95.7"}},
		{"pkg:pypi/requests@2.32.3", Package{ecosystem.PyPI, "requests", "2.32.3"}},
		{"pkg:golang/github.com/boltdb-go/bolt@v1.3.1", Package{ecosystem.Go, "github.com/boltdb-go/bolt", "v1.3.1"}},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Package{ecosystem.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1"}},
		{"pkg:cargo/serde@1.0.0", Package{ecosystem.CratesIO, "serde", "1.0.0"}},
		{"pkg:gem/rails", Package{ecosystem.RubyGems, "rails", ""}},
		{"pkg:nuget/Newtonsoft.Json@13.0.1", Package{ecosystem.NuGet, "Newtonsoft.Json", "13.0.1"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		// String is Parse's inverse, up to the purl spec's normalisation.
		back, err := Parse(String(got.Ecosystem, got.Name, got.Version))
		if err != nil || back.Name != ecosystem.Normalize(got.Ecosystem, got.Name) && back.Name != got.Name {
			t.Errorf("round trip of %q: %+v, %v", tt.in, back, err)
		}
	}
	for _, bad := range []string{"npm/left-pad", "pkg:", "pkg:cobol/x@1", "pkg:npm/"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
}
