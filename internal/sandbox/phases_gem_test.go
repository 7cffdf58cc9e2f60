package sandbox

import (
	"os"
	"slices"
	"testing"

	"github.com/sapperhq/sapper/internal/analyze"
)

// TestAnalyzeRubyGems installs an inert gem whose extconf.rb reads the
// honeypot key and runs a shell, as malicious gems' extconf.rb files do:
// gem install runs it, in the sandbox.
func TestAnalyzeRubyGems(t *testing.T) {
	needRunsc(t)
	if !onPATH("ruby", phasePATH(Options{})) {
		t.Skip("ruby is not installed (Debian: apt-get install ruby)")
	}
	meta, err := os.ReadFile("testdata/fixture-gem.metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gem := func(extconf string) *analyze.Target {
		return &analyze.Target{Package: analyze.Package{Ecosystem: "RubyGems", Name: "fixture-gem", Version: "1.0.0"},
			Files: []analyze.File{
				{Path: "metadata.yaml", Data: meta},
				{Path: "lib/fixture-gem.rb", Data: []byte("module FixtureGem; end\n")},
				{Path: "ext/fixture/extconf.rb", Data: []byte(extconf)},
			}}
	}
	t.Run("evil", func(t *testing.T) {
		d, got, _ := dynamicRules(t, gem(`begin; File.read(File.join(Dir.home, ".ssh", "id_rsa")); rescue; end
system("sh", "-c", "true")
File.write("Makefile", "all:\n\ttrue\ninstall:\n\ttrue\n")
`))
		logPhases(t, d)
		for _, want := range []string{RuleHoneypotRead, RuleShell} {
			if !slices.Contains(got, want) {
				t.Errorf("no %s; got %q", want, got)
			}
		}
	})
	t.Run("plain", func(t *testing.T) {
		d, got, _ := dynamicRules(t, gem("File.write(\"Makefile\", \"all:\\n\\ttrue\\ninstall:\\n\\ttrue\\n\")\n"))
		logPhases(t, d)
		if len(got) != 0 {
			t.Errorf("plain gem: findings %q", got)
		}
		if len(d.Phases) != 2 {
			t.Errorf("phases %d, want install and require", len(d.Phases))
		}
	})
}
