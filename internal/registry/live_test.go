package registry

import (
	"context"
	"os"
	"testing"

	"github.com/sapperhq/sapper/internal/finding"
)

// TestLive asks the real npm registry. Opt in with SAPPER_LIVE_TESTS=1; it
// needs the network. What the registry says changes over time (and some
// mirrors leave out "deprecated" and "_npmUser"), so it checks that the
// answers decode and compare, and logs the findings.
func TestLive(t *testing.T) {
	if os.Getenv("SAPPER_LIVE_TESTS") != "1" {
		t.Skip("set SAPPER_LIVE_TESTS=1 to ask registry.npmjs.org")
	}
	c := New(t.TempDir())
	ctx := context.Background()
	for _, tt := range []struct {
		pkg     finding.Package
		tarball bool
	}{
		{finding.Package{Ecosystem: "npm", Name: "left-pad", Version: "1.3.0"}, true},
		{finding.Package{Ecosystem: "npm", Name: "request", Version: "2.88.2"}, true},
		{finding.Package{Ecosystem: "npm", Name: "@types/node", Version: "20.0.0"}, false},
		{finding.Package{Ecosystem: "npm", Name: "event-stream", Version: "3.3.4"}, false},
		// Install scripts, binding.gyp and optional dependencies, which
		// the manifest comparison must not mistake for confusion.
		{finding.Package{Ecosystem: "npm", Name: "bcrypt", Version: "5.1.1"}, true},
		{finding.Package{Ecosystem: "npm", Name: "fsevents", Version: "2.3.3"}, true},
		{finding.Package{Ecosystem: "npm", Name: "esbuild", Version: "0.19.0"}, true},
		{finding.Package{Ecosystem: "npm", Name: "sharp", Version: "0.33.0"}, true},
	} {
		fs, err := c.Signals(ctx, tt.pkg, Options{Tarball: tt.tarball})
		if err != nil {
			t.Errorf("%s: %v", tt.pkg, err)
			continue
		}
		t.Logf("%s: %d findings", tt.pkg, len(fs))
		for _, f := range fs {
			t.Logf("  %s %s: %s", f.Kind, f.Severity, f.Summary)
			if f.Kind == finding.ManifestConfusion {
				t.Errorf("%s: manifest confusion in a known-good package: %s", tt.pkg, f.Summary)
			}
		}
	}
	for name, want := range map[string]bool{"left-pad": true, "@types/node": true, "sapper-surely-not-a-package-4f1c2e": false} {
		got, err := c.Exists(ctx, "npm", name)
		if err != nil || got != want {
			t.Errorf("Exists(npm, %s) = %v, %v; want %v", name, got, err, want)
		}
	}
}
