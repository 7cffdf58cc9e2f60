package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/osv"
)

// These tests run the real npm client against the proxy, in front of the
// fake upstream of npm_test.go (or, with SAPPER_LIVE_TESTS=1, the real
// registry). npm runs with a fresh HOME, cache and empty npmrc files, so
// that nothing of the host's configuration leaks in.

// npmClient runs npm in a project directory of its own.
type npmClient struct {
	t        *testing.T
	npm      string
	dir      string // the project
	cache    string
	env      []string
	registry string
}

func newNPMClient(t *testing.T, registry string) *npmClient {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH: skipping the end-to-end test with the real client (CI installs it)")
	}
	tmp := t.TempDir()
	for _, d := range []string{"home", "cache", "project"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"npmrc", "globalnpmrc"} {
		if err := os.WriteFile(filepath.Join(tmp, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &npmClient{t: t, npm: npm, dir: filepath.Join(tmp, "project"), cache: filepath.Join(tmp, "cache"), registry: registry}
	c.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(tmp, "home"),
		"npm_config_userconfig=" + filepath.Join(tmp, "npmrc"),
		"npm_config_globalconfig=" + filepath.Join(tmp, "globalnpmrc"),
		"npm_config_cache=" + c.cache,
		"npm_config_update_notifier=false",
		"npm_config_fetch_retries=0",
		"NO_UPDATE_NOTIFIER=1",
	}
	c.writeFile("package.json", `{"name":"sapper-e2e","version":"1.0.0","private":true}`)
	return c
}

func (c *npmClient) writeFile(name, data string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, name), []byte(data), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// run runs npm with args and the proxy as registry, returning its output.
func (c *npmClient) run(args ...string) (string, error) {
	c.t.Helper()
	return c.exec(c.npm, append(args, "--registry", c.registry, "--no-fund", "--ignore-scripts", "--cache", c.cache)...)
}

// installed returns the version of node_modules/<name>, "" if none.
func (c *npmClient) installed(name string) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, "node_modules", filepath.FromSlash(name), "package.json"))
	if err != nil {
		return ""
	}
	var pj struct{ Version string }
	if err := json.Unmarshal(b, &pj); err != nil {
		c.t.Fatal(err)
	}
	return pj.Version
}

// startNPMProxy serves the proxy on 127.0.0.1 for the npm client.
func startNPMProxy(t *testing.T, up *npmUpstream, cfg Config) (*npmTest, string) {
	t.Helper()
	nt := newNPMTest(t, up, cfg)
	return nt, nt.srv.URL + "/npm/"
}

func TestNPMClientE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the npm client")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not on PATH: skipping the end-to-end test with the real client (CI installs it)")
	}
	scoped := &npmTestPackage{
		name:     "@acme/widget",
		versions: []npmTestVersion{{version: "2.0.0"}, {version: "2.0.1"}},
		tags:     map[string]string{"latest": "2.0.1"},
	}
	up := newNPMUpstream(t, npmTestPkg(), scoped)
	db := &fakeDB{vulns: []*osv.Vulnerability{
		malRecord("MAL-2026-0001", ecosystem.NPM, "pkg", "1.2.0", "2.0.0-beta.1"),
		malRecord("MAL-2026-0002", ecosystem.NPM, "@acme/widget", "2.0.1"),
	}}
	nt, registry := startNPMProxy(t, up, Config{DB: db})

	t.Run("pinned-blocked", func(t *testing.T) {
		c := newNPMClient(t, registry)
		out, err := c.run("install", "--no-audit", "pkg@1.2.0")
		if err == nil {
			t.Fatal("npm install of a blocked version succeeded")
		}
		if !strings.Contains(out, "MAL-2026-0001") {
			t.Errorf("npm's output does not name the record MAL-2026-0001")
		}
		if v := c.installed("pkg"); v != "" {
			t.Errorf("installed pkg@%s", v)
		}
	})
	t.Run("unpinned", func(t *testing.T) {
		c := newNPMClient(t, registry)
		if _, err := c.run("install", "--no-audit", "pkg", "@acme/widget"); err != nil {
			t.Fatalf("npm install: %v", err)
		}
		if v := c.installed("pkg"); v != "1.1.0" {
			t.Errorf("installed pkg@%s, want 1.1.0 (the highest allowed)", v)
		}
		if v := c.installed("@acme/widget"); v != "2.0.0" {
			t.Errorf("installed @acme/widget@%s, want 2.0.0", v)
		}
	})
	t.Run("range", func(t *testing.T) {
		// ^1.0.0 allows the blocked 1.2.0; npm prefers the allowed 1.1.0.
		c := newNPMClient(t, registry)
		if _, err := c.run("install", "--no-audit", "pkg@^1.0.0"); err != nil {
			t.Fatalf("npm install: %v", err)
		}
		if v := c.installed("pkg"); v != "1.1.0" {
			t.Errorf("installed pkg@%s, want 1.1.0", v)
		}
	})
	t.Run("audit-on", func(t *testing.T) {
		// npm install runs npm audit by default; the proxy refuses its
		// POST, and the install goes on.
		c := newNPMClient(t, registry)
		if _, err := c.run("install", "pkg@1.0.0"); err != nil {
			t.Fatalf("npm install with audit: %v", err)
		}
		if v := c.installed("pkg"); v != "1.0.0" {
			t.Errorf("installed pkg@%s, want 1.0.0", v)
		}
	})
	t.Run("ci-lockfile-blocked", func(t *testing.T) {
		c := newNPMClient(t, registry)
		tgz := up.tarballs["/pkg/-/pkg-1.2.0.tgz"]
		c.writeFile("package.json", `{"name":"sapper-e2e","version":"1.0.0","private":true,"dependencies":{"pkg":"1.2.0"}}`)
		c.writeFile("package-lock.json", fmt.Sprintf(`{
  "name": "sapper-e2e",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "sapper-e2e", "version": "1.0.0", "dependencies": {"pkg": "1.2.0"}},
    "node_modules/pkg": {"version": "1.2.0", "resolved": %q, "integrity": %q}
  }
}`, registry+"pkg/-/pkg-1.2.0.tgz", npmSRI(tgz)))
		out, err := c.run("ci", "--no-audit")
		if err == nil {
			t.Fatal("npm ci of a lockfile pinning a blocked version succeeded")
		}
		if !strings.Contains(out, "MAL-2026-0001") {
			t.Errorf("npm's output does not name the record MAL-2026-0001")
		}
	})
	t.Run("ci-lockfile-allowed", func(t *testing.T) {
		c := newNPMClient(t, registry)
		tgz := up.tarballs["/pkg/-/pkg-1.1.0.tgz"]
		c.writeFile("package.json", `{"name":"sapper-e2e","version":"1.0.0","private":true,"dependencies":{"pkg":"1.1.0"}}`)
		c.writeFile("package-lock.json", fmt.Sprintf(`{
  "name": "sapper-e2e",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "sapper-e2e", "version": "1.0.0", "dependencies": {"pkg": "1.1.0"}},
    "node_modules/pkg": {"version": "1.1.0", "resolved": %q, "integrity": %q}
  }
}`, registry+"pkg/-/pkg-1.1.0.tgz", npmSRI(tgz)))
		if _, err := c.run("ci", "--no-audit"); err != nil {
			t.Fatalf("npm ci: %v", err)
		}
		if v := c.installed("pkg"); v != "1.1.0" {
			t.Errorf("installed pkg@%s, want 1.1.0", v)
		}
	})
	t.Run("scoped-pinned-blocked", func(t *testing.T) {
		c := newNPMClient(t, registry)
		out, err := c.run("install", "--no-audit", "@acme/widget@2.0.1")
		if err == nil || !strings.Contains(out, "MAL-2026-0002") {
			t.Errorf("npm install @acme/widget@2.0.1: err %v; output names MAL-2026-0002: %v", err, strings.Contains(out, "MAL-2026-0002"))
		}
	})

	nt.s.Close()
	var blocked int
	for _, e := range nt.audit.entries {
		if e.Decision == "block" && strings.Contains(e.Reason, "MAL-") {
			blocked++
		}
	}
	if blocked == 0 {
		t.Error("no blocked request in the audit log")
	}
}

// TestNPMClientLive runs npm through the proxy against the real registry,
// registry.npmjs.org and nothing else. Opt in with SAPPER_LIVE_TESTS=1.
func TestNPMClientLive(t *testing.T) {
	if os.Getenv("SAPPER_LIVE_TESTS") != "1" {
		t.Skip("set SAPPER_LIVE_TESTS=1 to run npm against the real registry")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not on PATH")
	}
	db := &fakeDB{vulns: []*osv.Vulnerability{malRecord("MAL-2099-0001", ecosystem.NPM, "is-number", "7.0.0")}}
	s, err := New(Config{NPM: DefaultNPM, DB: db, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		srv.Close()
		s.Close()
	})
	registry := srv.URL + "/npm/"

	t.Run("install", func(t *testing.T) {
		c := newNPMClient(t, registry)
		if _, err := c.run("install", "--no-audit", "is-number@6.0.0"); err != nil {
			t.Fatalf("npm install: %v", err)
		}
		if v := c.installed("is-number"); v != "6.0.0" {
			t.Errorf("installed is-number@%s, want 6.0.0", v)
		}
	})
	t.Run("pinned-blocked", func(t *testing.T) {
		c := newNPMClient(t, registry)
		out, err := c.run("install", "--no-audit", "is-number@7.0.0")
		if err == nil || !strings.Contains(out, "MAL-2099-0001") {
			t.Errorf("npm install is-number@7.0.0: err %v; output names MAL-2099-0001: %v", err, strings.Contains(out, "MAL-2099-0001"))
		}
	})
	t.Run("ci-npmjs-lockfile", func(t *testing.T) {
		// Lockfiles name registry.npmjs.org; npm swaps in the configured
		// registry, so the proxy decides the tarball.
		c := newNPMClient(t, registry)
		c.writeFile("package.json", `{"name":"sapper-e2e","version":"1.0.0","private":true,"dependencies":{"is-number":"7.0.0"}}`)
		c.writeFile("package-lock.json", `{"name":"sapper-e2e","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
  "":{"name":"sapper-e2e","version":"1.0.0","dependencies":{"is-number":"7.0.0"}},
  "node_modules/is-number":{"version":"7.0.0","resolved":"https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz",
    "integrity":"sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng=="}}}`)
		out, err := c.run("ci", "--no-audit")
		if err == nil || !strings.Contains(out, "MAL-2099-0001") {
			t.Errorf("npm ci: err %v; output names MAL-2099-0001: %v", err, strings.Contains(out, "MAL-2099-0001"))
		}
	})
	t.Run("latest-moves", func(t *testing.T) {
		c := newNPMClient(t, registry)
		if _, err := c.run("install", "--no-audit", "is-number"); err != nil {
			t.Fatalf("npm install: %v", err)
		}
		if v := c.installed("is-number"); v == "" || v == "7.0.0" {
			t.Errorf("installed is-number@%q, want an allowed version", v)
		}
	})
	t.Run("scoped", func(t *testing.T) {
		c := newNPMClient(t, registry)
		if _, err := c.run("install", "--no-audit", "@types/is-number@7.0.0"); err != nil {
			t.Fatalf("npm install: %v", err)
		}
		if v := c.installed("@types/is-number"); v != "7.0.0" {
			t.Errorf("installed @types/is-number@%q", v)
		}
	})
}

// TestNPMOtherClientsE2E runs pnpm and yarn, when they are on PATH, against
// the proxy and the fake upstream. pnpm and yarn 1 print the deprecation
// that names the record before the tarball's 403; yarn 2+ prints neither,
// but is refused all the same.
func TestNPMOtherClientsE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("runs package managers")
	}
	up := newNPMUpstream(t, npmTestPkg())
	db := &fakeDB{vulns: []*osv.Vulnerability{malRecord("MAL-2026-0001", ecosystem.NPM, "pkg", "1.2.0", "2.0.0-beta.1")}}
	_, registry := startNPMProxy(t, up, Config{DB: db})
	for _, tc := range []struct {
		tool string
		add  func(c *npmClient, tool, spec string) (string, error)
	}{
		{"pnpm", func(c *npmClient, tool, spec string) (string, error) {
			return c.exec(tool, "add", "--registry", registry, "--store-dir", filepath.Join(c.cache, "store"), "--ignore-scripts", spec)
		}},
		{"yarn", func(c *npmClient, tool, spec string) (string, error) {
			ver, _ := c.exec(tool, "--version")
			if !strings.HasPrefix(ver, "1.") {
				c.writeFile(".yarnrc.yml", fmt.Sprintf("npmRegistryServer: %q\nunsafeHttpWhitelist: [\"127.0.0.1\"]\nenableGlobalCache: false\nnodeLinker: node-modules\nenableTelemetry: false\n", registry))
				c.writeFile("yarn.lock", "")
				return c.exec(tool, "add", spec)
			}
			return c.exec(tool, "add", "--registry", registry, "--cache-folder", c.cache, "--non-interactive", "--no-progress", "--ignore-scripts", spec)
		}},
	} {
		t.Run(tc.tool, func(t *testing.T) {
			tool, err := exec.LookPath(tc.tool)
			if err != nil {
				t.Skipf("%s is not on PATH", tc.tool)
			}
			c := newNPMClient(t, registry)
			if _, err := tc.add(c, tool, "pkg"); err != nil {
				t.Fatalf("%s add pkg: %v", tc.tool, err)
			}
			if v := c.installed("pkg"); v != "1.1.0" {
				t.Errorf("installed pkg@%s, want 1.1.0", v)
			}
			c = newNPMClient(t, registry)
			if _, err := tc.add(c, tool, "pkg@1.2.0"); err == nil {
				t.Errorf("%s add pkg@1.2.0 succeeded", tc.tool)
			}
			if v := c.installed("pkg"); v != "" {
				t.Errorf("installed pkg@%s", v)
			}
		})
	}
}

// exec runs a tool in the project with the client's environment.
func (c *npmClient) exec(tool string, args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Dir = c.dir
	cmd.Env = append(c.env, "YARN_ENABLE_TELEMETRY=0", "CI=1")
	out, err := cmd.CombinedOutput()
	c.t.Logf("%s %s:\n%s", filepath.Base(tool), strings.Join(args, " "), out)
	return string(out), err
}
