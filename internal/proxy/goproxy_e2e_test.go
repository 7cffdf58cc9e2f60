package proxy

import (
	"context"
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

// goCommandTimeout bounds one run of the go command.
const goCommandTimeout = 3 * time.Minute

// goCommand runs the real go command in a fresh module directory with
// GOPROXY set to proxyURL only (no ",direct": nothing else is contacted)
// and every cache in temporary directories. extraEnv adds to, or
// overrides, the environment.
type goCommand struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

func newGoCommand(t *testing.T, proxyURL string, extraEnv ...string) *goCommand {
	t.Helper()
	bin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not on PATH: %v", err)
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "m")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.invalid/e2e\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Telemetry off: its background process would outlive the go command
	// and write into a directory the test is removing.
	config := filepath.Join(tmp, "config")
	if err := os.MkdirAll(filepath.Join(config, "go", "telemetry"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(config, "go", "telemetry", "mode"), []byte("off"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(tmp, "home"),
		"XDG_CONFIG_HOME=" + config,
		"GOENV=off", // no user go env file
		"GOPATH=" + filepath.Join(tmp, "gopath"),
		"GOMODCACHE=" + filepath.Join(tmp, "modcache"),
		"GOCACHE=" + filepath.Join(tmp, "gocache"),
		"GOTOOLCHAIN=local",
		"GOFLAGS=-mod=mod -modcacherw", // -modcacherw: t.TempDir can remove the module cache
		"GOWORK=off",
		"GOPROXY=" + proxyURL,
		"GOPRIVATE=", "GONOPROXY=", "GOINSECURE=",
		"CGO_ENABLED=0",
	}
	return &goCommand{t: t, bin: bin, dir: dir, env: append(env, extraEnv...)}
}

// run runs go with args and returns its combined output.
func (g *goCommand) run(args ...string) (string, error) {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(g.t.Context(), goCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.bin, args...)
	cmd.Dir = g.dir
	cmd.Env = g.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestGoCommandE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	g := newGoTest(t, Config{DB: goMalDB()})
	// The fake module is in no checksum database: the go command must not
	// ask one (GONOSUMDB), and records what it downloads in go.sum.
	gocmd := newGoCommand(t, g.srv.URL+"/go", "GONOSUMDB=example.invalid")

	out, err := gocmd.run("mod", "download", "example.invalid/evil@v1.0.1")
	t.Logf("go mod download example.invalid/evil@v1.0.1:\n%s", out)
	if err == nil {
		t.Fatalf("go mod download of the malicious version succeeded")
	}
	for _, want := range []string{"403 Forbidden", "server response: sapper blocked example.invalid/evil@v1.0.1: " + goMalID + " (Malicious code in example.invalid/evil)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not contain %q", want)
		}
	}

	out, err = gocmd.run("mod", "download", "-json", "example.invalid/evil@v1.0.0")
	if err != nil {
		t.Fatalf("go mod download example.invalid/evil@v1.0.0: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"Version": "v1.0.0"`) || !strings.Contains(out, `"Zip":`) {
		t.Errorf("go mod download -json:\n%s", out)
	}

	out, err = gocmd.run("list", "-m", "example.invalid/evil@latest")
	if err != nil || strings.TrimSpace(out) != "example.invalid/evil v1.0.0" {
		t.Errorf("go list -m example.invalid/evil@latest = %q, %v; want v1.0.0", out, err)
	}

	// An unpinned go get quietly gets the highest allowed version.
	out, err = gocmd.run("get", "example.invalid/evil")
	if err != nil {
		t.Fatalf("go get: %v\n%s", err, out)
	}
	gomod, err := os.ReadFile(filepath.Join(gocmd.dir, "go.mod"))
	if err != nil || !strings.Contains(string(gomod), "example.invalid/evil v1.0.0") {
		t.Errorf("go.mod after go get:\n%s", gomod)
	}

	// The proxy never gave out the malicious zip, nor fetched it.
	if n := g.up.hitCount("/goproxy/example.invalid/evil/@v/v1.0.1.zip"); n != 0 {
		t.Errorf("upstream asked for the malicious zip %d times", n)
	}
}

// TestGoCommandLive runs the go command through the proxy in front of the
// real proxy.golang.org and sum.golang.org (opt-in: SAPPER_LIVE_TESTS=1).
func TestGoCommandLive(t *testing.T) {
	if os.Getenv("SAPPER_LIVE_TESTS") != "1" {
		t.Skip("set SAPPER_LIVE_TESTS=1 to run against proxy.golang.org and sum.golang.org")
	}
	const mod, ver, id = "github.com/google/uuid", "v1.6.0", "MAL-2099-0001"
	start := func(t *testing.T, db *fakeDB) (*httptest.Server, *goFakeAuditor) {
		aud := &goFakeAuditor{}
		s, err := New(Config{GoProxy: DefaultGoProxy, SumDB: DefaultSumDB, DB: db, Audit: aud, CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s)
		t.Cleanup(func() {
			srv.Close()
			s.Close()
		})
		return srv, aud
	}

	t.Run("allowed", func(t *testing.T) {
		srv, aud := start(t, &fakeDB{})
		// GOSUMDB is the default, sum.golang.org, reached through the proxy.
		gocmd := newGoCommand(t, srv.URL+"/go")
		out, err := gocmd.run("mod", "download", "-json", mod+"@"+ver)
		if err != nil {
			t.Fatalf("go mod download %s@%s: %v\n%s", mod, ver, err, out)
		}
		if !strings.Contains(out, `"Sum": "h1:`) {
			t.Errorf("go mod download -json:\n%s", out)
		}
		srv.Close()
		aud.mu.Lock()
		defer aud.mu.Unlock()
		var lookups int
		for _, e := range aud.entries {
			if strings.HasPrefix(e.Path, "/sumdb/sum.golang.org/lookup/") {
				lookups++
			}
		}
		if lookups == 0 {
			t.Errorf("the checksum database was not asked through the proxy")
		}
	})

	t.Run("blocked", func(t *testing.T) {
		srv, _ := start(t, &fakeDB{vulns: []*osv.Vulnerability{malRecord(id, ecosystem.Go, mod, ver)}})
		gocmd := newGoCommand(t, srv.URL+"/go")
		out, err := gocmd.run("mod", "download", mod+"@"+ver)
		t.Logf("go mod download %s@%s:\n%s", mod, ver, out)
		if err == nil || !strings.Contains(out, id) {
			t.Errorf("go mod download of the blocked version: err %v, output does not name %s", err, id)
		}
	})
}
