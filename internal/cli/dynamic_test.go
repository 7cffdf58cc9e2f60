package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sapperhq/sapper/internal/sandbox"
)

// writeTree writes files under a new directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestAnalyzeDynamicFlags(t *testing.T) {
	dir := writeTree(t, map[string]string{"package.json": `{"name":"a","version":"1.0.0"}`, "index.js": "module.exports = 1;\n"})
	if code, _, errOut := runCLI(t, "", "analyze", "--dynamic", "--jobs", "0", dir); code != exitUsage {
		t.Errorf("--jobs 0: exit %d, want %d\n%s", code, exitUsage, errOut)
	}
	// Without runsc, --dynamic stops before any work, saying how to
	// install it.
	t.Setenv("PATH", t.TempDir())
	code, out, errOut := runCLI(t, "", "analyze", "--dynamic", dir)
	if code != exitFailure || !strings.Contains(errOut, "apt-get install runsc") || out != "" {
		t.Errorf("no runsc: exit %d, want %d\n%s%s", code, exitFailure, out, errOut)
	}
}

// TestAnalyzeDynamic runs the inert fixtures in the sandbox through the
// CLI, two at a time.
func TestAnalyzeDynamic(t *testing.T) {
	if err := sandbox.Available(""); err != nil || os.Geteuid() != 0 {
		if os.Getenv("SAPPER_REQUIRE_RUNSC") == "1" { // set by .ci/run where gVisor works
			t.Fatalf("runsc is needed in CI: %v", err)
		}
		t.Skipf("install runsc: apt-get install runsc (and run as root): %v", err)
	}
	evil := writeTree(t, map[string]string{
		"package.json": `{"name":"fixture-evil","version":"1.0.0","scripts":{"postinstall":"node x.js"}}`,
		"index.js":     "module.exports = 1;\n",
		"x.js": `const fs = require('fs'), os = require('os'), net = require('net');
try { fs.readFileSync(os.homedir() + '/.ssh/id_rsa'); } catch (e) {}
try { require('child_process').execSync('sh -c true'); } catch (e) {}
const s = net.connect(9, '127.0.0.1');
s.on('error', () => {});
s.setTimeout(2000, () => s.destroy());
`,
	})
	plain := writeTree(t, map[string]string{
		"package.json": `{"name":"fixture-plain","version":"1.0.0"}`,
		"index.js":     "module.exports = function add(a, b) { return a + b; };\n",
	})
	code, out, errOut := runCLI(t, "", "analyze", "--dynamic", "--jobs", "2", "--no-names", "--format", "json", evil, plain)
	if code != exitFindings {
		t.Errorf("exit %d, want %d\n%s", code, exitFindings, errOut)
	}
	var got struct {
		Results []struct {
			Verdict  string `json:"verdict"`
			Findings []struct {
				Rule string `json:"rule"`
				Path string `json:"path"`
			} `json:"findings"`
			Errors  []string         `json:"errors"`
			Dynamic *sandbox.Dynamic `json:"dynamic"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Results) != 2 {
		t.Fatalf("%v\n%s", err, out)
	}
	bad, good := got.Results[0], got.Results[1]
	var rules []string
	for _, f := range bad.Findings {
		if strings.HasPrefix(f.Path, "dynamic:") {
			rules = append(rules, f.Rule)
		}
	}
	for _, want := range []string{sandbox.RuleHoneypotRead, sandbox.RuleShell, sandbox.RuleNetworkInstall} {
		if !slices.Contains(rules, want) {
			t.Errorf("evil: no %s in %q", want, rules)
		}
	}
	if bad.Verdict != "malicious" || bad.Dynamic == nil || len(bad.Dynamic.Phases) != 2 || bad.Dynamic.Phases[0].Name != "postinstall" {
		t.Errorf("evil: verdict %s, dynamic %+v", bad.Verdict, bad.Dynamic)
	}
	for _, f := range good.Findings {
		if strings.HasPrefix(f.Path, "dynamic:") {
			t.Errorf("plain: dynamic finding %s", f.Rule)
		}
	}
	if good.Verdict != "benign" || good.Dynamic == nil || len(good.Dynamic.Phases) != 1 || len(good.Errors) != 0 {
		t.Errorf("plain: verdict %s, errors %q, dynamic %+v", good.Verdict, good.Errors, good.Dynamic)
	}

	// The table shows a line per phase.
	_, out, _ = runCLI(t, "", "analyze", "--dynamic", "--no-names", evil)
	if !strings.Contains(out, "dynamic postinstall: exit 0") || !strings.Contains(out, "dyn-honeypot-read") {
		t.Errorf("table:\n%s", out)
	}
}
