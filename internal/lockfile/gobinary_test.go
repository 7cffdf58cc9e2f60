package lockfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// TestGoBinary builds an inert program, with a dependency replaced by a
// local directory, and reads its build information back.
func TestGoBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build a test binary: %v", err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":     "module example.com/inert\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n\nreplace example.com/dep => ./dep\n",
		"main.go":    "package main\n\nimport _ \"example.com/dep\"\n\nfunc main() {}\n",
		"dep/go.mod": "module example.com/dep\n\ngo 1.22\n",
		"dep/dep.go": "package dep\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(t.Context(), goCmd, "build", "-o", "inert", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod -buildvcs=false", "GOPROXY=off", "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(t.Context(), goCmd, "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	goVersion := strings.TrimPrefix(strings.TrimSpace(string(out)), "go")

	fsys := os.DirFS(dir)
	head := make([]byte, 8)
	bin, err := os.ReadFile(filepath.Join(dir, "inert"))
	if err != nil {
		t.Fatal(err)
	}
	copy(head, bin)
	if !(GoBinary{}).MatchContent(head) {
		t.Errorf("MatchContent(%q) = false for a Go binary", head)
	}

	got, err := GoBinary{}.Parse(t.Context(), File{FS: fsys, Path: "inert", Display: "bin/inert"})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	loc := Location{Path: "bin/inert"}
	want := []Package{
		{Ecosystem: ecosystem.Go, Name: "example.com/inert", Location: loc},
		{Ecosystem: ecosystem.Go, Name: "example.com/dep", Version: "v1.0.0", Location: loc, Source: Source{Kind: Path, URL: "./dep"}},
		{Ecosystem: ecosystem.Go, Name: "stdlib", Version: goVersion, Location: loc},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}

	// Cut short, the same binary is an error, not a panic.
	trunc := File{FS: fstest.MapFS{"inert": {Data: bin[:len(bin)/3]}}, Path: "inert", Display: "inert"}
	if _, err := (GoBinary{}).Parse(t.Context(), trunc); err == nil {
		t.Errorf("Parse(truncated binary) succeeded")
	}
}

func TestGoBinaryNotGo(t *testing.T) {
	// An executable without Go build information: a valid ELF header and
	// no sections, as a stripped C program would be to debug/buildinfo.
	elf := make([]byte, 64)
	copy(elf, "\x7fELF\x02\x01\x01")
	elf[16], elf[18] = 2, 62 // ET_EXEC, EM_X86_64
	elf[20] = 1              // EV_CURRENT
	elf[52] = 64             // e_ehsize
	f := File{FS: fstest.MapFS{"c-prog": {Data: elf}}, Path: "c-prog", Display: "c-prog"}
	_, err := GoBinary{}.Parse(t.Context(), f)
	if !errors.Is(err, ErrNotGoBinary) {
		t.Errorf("Parse(non-Go ELF) = %v, want ErrNotGoBinary", err)
	}
}

func TestGoBinaryPackages(t *testing.T) {
	const modinfo = "path\tgithub.com/acme/tool/cmd/tool\n" +
		"mod\tgithub.com/acme/tool\tv1.4.0\th1:abc=\n" +
		"dep\tgithub.com/spf13/cobra\tv1.8.0\th1:def=\n" +
		"dep\tgolang.org/x/sys\tv0.15.0\n" +
		"=>\tgithub.com/acme/sys\tv0.15.1\th1:ghi=\n" +
		"dep\texample.com/internal\tv0.0.0-00010101000000-000000000000\n" +
		"=>\t../internal\t(devel)\t\n" +
		"build\t-compiler=gc\n"
	bi, err := debug.ParseBuildInfo(modinfo)
	if err != nil {
		t.Fatal(err)
	}
	bi.GoVersion = "go1.21.5 X:loopvar" // set by debug/buildinfo, not parsed
	got, err := goBinaryPackages(t.Context(), File{Display: "tool"}, bi)
	if err != nil {
		t.Fatal(err)
	}
	loc := Location{Path: "tool"}
	want := []Package{
		{Ecosystem: ecosystem.Go, Name: "github.com/acme/tool", Version: "v1.4.0", Location: loc},
		{Ecosystem: ecosystem.Go, Name: "github.com/spf13/cobra", Version: "v1.8.0", Location: loc},
		{Ecosystem: ecosystem.Go, Name: "github.com/acme/sys", Version: "v0.15.1", Location: loc},
		{Ecosystem: ecosystem.Go, Name: "example.com/internal", Version: "v0.0.0-00010101000000-000000000000", Location: loc, Source: Source{Kind: Path, URL: "../internal"}},
		{Ecosystem: ecosystem.Go, Name: "stdlib", Version: "1.21.5", Location: loc},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("goBinaryPackages mismatch (-want +got):\n%s", diff)
	}
}

func TestGoReleaseVersion(t *testing.T) {
	tests := map[string]string{
		"go1.22.3":                   "1.22.3",
		"go1.21.5 X:loopvar":         "1.21.5",
		"go1.23rc1":                  "1.23rc1",
		"devel go1.24-abcdef Tue...": "",
		"":                           "",
	}
	for in, want := range tests {
		if got := goReleaseVersion(in); got != want {
			t.Errorf("goReleaseVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsGoBinary(t *testing.T) {
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"elf", "\x7fELF\x02\x01\x01\x00", true},
		{"pe", "MZ\x90\x00\x03\x00\x00\x00", true},
		{"macho-64", "\xcf\xfa\xed\xfe\x07\x00\x00\x01", true},
		{"macho-32", "\xce\xfa\xed\xfe\x07\x00\x00\x00", true},
		{"macho-64-big-endian", "\xfe\xed\xfa\xcf\x00\x00\x00\x12", true},
		{"macho-universal", "\xca\xfe\xba\xbe\x00\x00\x00\x02", true},
		{"java-class", "\xca\xfe\xba\xbe\x00\x00\x00\x34", false},
		{"universal-4-bytes", "\xca\xfe\xba\xbe", true},
		{"script", "#!/bin/sh\n", false},
		{"zip", "PK\x03\x04\x14\x00", false},
		{"short", "\x7fEL", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsGoBinary([]byte(tt.head)); got != tt.want {
				t.Errorf("IsGoBinary(%q) = %v, want %v", tt.head, got, tt.want)
			}
		})
	}
}
