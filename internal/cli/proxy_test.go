package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/policy"
)

func TestProxyAnalyzer(t *testing.T) {
	an, err := proxyAnalyzer(&policy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := an(t.Context(), "../../examples/suspicious-package")
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != finding.Block || !strings.Contains(d.Reason, "sapper analyze: malicious") {
		t.Errorf("worm-like sample: %+v, want a block naming the verdict", d)
	}
	plain := t.TempDir()
	os.WriteFile(filepath.Join(plain, "package.json"), []byte(`{"name": "plain", "version": "1.0.0"}`), 0o644)
	os.WriteFile(filepath.Join(plain, "index.js"), []byte("module.exports = (a, b) => a + b\n"), 0o644)
	if d, err := an(t.Context(), plain); err != nil || d.Action != finding.Allow {
		t.Errorf("plain package: %+v, %v; want allow", d, err)
	}
	if _, err := an(t.Context(), filepath.Join(plain, "missing.tgz")); err == nil {
		t.Error("a missing archive: no error (the proxy would not fail closed)")
	}
}
