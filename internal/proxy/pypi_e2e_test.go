package proxy

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// pypiPip runs the real pip against a proxy: "pip download" only (it never
// runs package code for a wheel, and --no-deps keeps it to one project),
// with no configuration, cache or index but the proxy.
type pypiPip struct {
	python string
	env    []string
}

func newPyPIPip(t *testing.T) *pypiPip {
	t.Helper()
	if testing.Short() {
		t.Skip("runs pip: skipped with -short")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: install python3 and python3-pip (apt-get install python3-pip) to run the end-to-end test with pip")
	}
	if out, err := exec.Command(python, "-m", "pip", "--version").CombinedOutput(); err != nil {
		t.Skipf("python3 -m pip does not run (%v: %s): install python3-pip to run the end-to-end test with pip", err, strings.TrimSpace(string(out)))
	}
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"PIP_CONFIG_FILE=/dev/null",
		"PIP_NO_CACHE_DIR=1",
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
		"PIP_NO_INPUT=1",
		"PYTHONDONTWRITEBYTECODE=1",
		"NO_PROXY=127.0.0.1", // and no http_proxy: only the proxy under test
	}
	// pyenv and the like find python through these.
	for _, k := range []string{"PYENV_ROOT", "PYENV_VERSION", "VIRTUAL_ENV", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return &pypiPip{python: python, env: env}
}

// download runs "pip download --no-deps" of req into a new directory and
// returns pip's output, its error and the files it saved.
func (p *pypiPip) download(t *testing.T, index, req string) (string, error, []string) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
		"--no-input", "--index-url", index, "-d", dir, req)
	cmd.Env = p.env
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	entries, _ := os.ReadDir(dir)
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	slices.Sort(files)
	t.Logf("pip download %s:\n%s", req, out)
	return string(out), err, files
}

// TestPyPIPipE2E runs the real pip against the proxy in front of a fake PyPI
// (JSON pages, and HTML pages with relative links): an unpinned download
// gets the highest version neither blocked nor yanked; a pinned download
// of the malicious version fails, with its MAL- ID in pip's output; a
// pinned download of the version yanked upstream works, as PEP 592 says.
// PyPI itself is not reachable from the test machines, so there is no
// live test against pypi.org.
func TestPyPIPipE2E(t *testing.T) {
	p := newPyPIPip(t)
	for _, upHTML := range []bool{false, true} {
		name := "upstream-json"
		if upHTML {
			name = "upstream-html"
		}
		t.Run(name, func(t *testing.T) {
			up := newPyPIUpstream(t)
			up.html = upHTML
			pt := newPyPITest(t, up, nil)
			srv := httptest.NewServer(pt.s)
			defer srv.Close()
			index := srv.URL + "/pypi/simple/"

			out, err, files := p.download(t, index, "evil-pkg")
			if err != nil || !slices.Equal(files, []string{"evil_pkg-1.0.0-py3-none-any.whl"}) {
				t.Errorf("unpinned: %v, saved %v; want evil_pkg-1.0.0 only\n%s", err, files, out)
			}

			out, err, files = p.download(t, index, "evil-pkg==1.0.1")
			if err == nil || len(files) != 0 {
				t.Errorf("pinned malicious version: %v, saved %v; want a failure and nothing saved", err, files)
			}
			for _, want := range []string{"Reason for being yanked: blocked by sapper: MAL-2024-0001", "403"} {
				if !strings.Contains(out, want) {
					t.Errorf("pinned malicious version: output lacks %q:\n%s", want, out)
				}
			}

			out, err, files = p.download(t, index, "Evil_Pkg==1.1.0")
			if err != nil || !slices.Equal(files, []string{"evil_pkg-1.1.0-py3-none-any.whl"}) {
				t.Errorf("pinned yanked version: %v, saved %v\n%s", err, files, out)
			}
			if !strings.Contains(out, "Reason for being yanked: broken build") {
				t.Errorf("pinned yanked version: output lacks the upstream's reason:\n%s", out)
			}

			// Every version blocked (no database): nothing is saved.
			pt2 := newPyPITest(t, up, func(c *Config) { c.DB = nil })
			srv2 := httptest.NewServer(pt2.s)
			defer srv2.Close()
			for _, req := range []string{"evil-pkg", "evil-pkg==1.0.0"} {
				out, err, files = p.download(t, srv2.URL+"/pypi/simple/", req)
				if err == nil || len(files) != 0 {
					t.Errorf("no database, %s: %v, saved %v; want a failure", req, err, files)
				}
			}
			if !strings.Contains(out, "no readable database") {
				t.Errorf("no database, pinned: output lacks the reason:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(pt2.cache, "sha256-"+pypiSum(pypiFixtureOf(up, "1.0.0").body))); err == nil {
				t.Error("no database: the file was fetched and stored")
			}
		})
	}
}
