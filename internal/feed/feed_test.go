package feed

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/feed/feedtest"
	"github.com/sapperhq/sapper/internal/limits"
)

// sampleDir is a copy of part of the OpenSSF Malicious Packages Repository,
// in the shared data beside the repository.
const sampleDir = "../../../shared/data/osv-sample"

// result is what a test compares of an Item: Origin with the source
// prefix removed, the record's ID, and a fragment of the error.
type result struct {
	Origin    string
	ID        string
	Withdrawn bool
	Err       string // a substring of Err.Error(), "" for none
}

// collect reads src and returns its items as results, and Read's error.
// Errors are reduced to the fragment of want that they contain, so that a
// test states only the part of a message it cares about.
func collect(t *testing.T, src string, b bounds, want []result) ([]result, error) {
	t.Helper()
	var got []result
	err := read(t.Context(), src, func(it Item) error {
		r := result{Origin: trimOrigin(src, it.Origin), Withdrawn: it.Withdrawn}
		if (it.Vuln == nil) == (it.Err == nil) || (it.Raw == nil) != (it.Err != nil) {
			t.Errorf("%s: Vuln %v, Raw %d bytes, Err %v: want exactly a record or an error", it.Origin, it.Vuln != nil, len(it.Raw), it.Err)
		}
		if it.Vuln != nil {
			r.ID = it.Vuln.ID
		}
		if it.Err != nil {
			r.Err = it.Err.Error()
			if strings.Contains(r.Err, it.Origin) {
				t.Errorf("%s: error repeats the origin: %v", it.Origin, it.Err)
			}
			for _, w := range want {
				if w.Origin == r.Origin && w.Err != "" && strings.Contains(r.Err, w.Err) {
					r.Err = w.Err
				}
			}
		}
		got = append(got, r)
		return nil
	}, b)
	return got, err
}

func trimOrigin(src, origin string) string {
	src = strings.TrimRight(src, string(filepath.Separator))
	if s, ok := strings.CutPrefix(origin, src+"!"); ok {
		return s
	}
	if s, ok := strings.CutPrefix(origin, src+string(filepath.Separator)); ok {
		return filepath.ToSlash(s)
	}
	return origin
}

func TestReadTree(t *testing.T) {
	want := []result{
		{Origin: "osv/malicious/npm/@evil/pkg/MAL-2024-2.json", ID: "MAL-2024-2"},
		{Origin: "osv/malicious/npm/bad-json/MAL-2024-4.json", Err: "invalid JSON"},
		{Origin: "osv/malicious/npm/bad-type/MAL-2024-5.json", Err: `field "aliases": want an array, got string`},
		{Origin: "osv/malicious/npm/evil-pad/MAL-2024-1.json", ID: "MAL-2024-1"},
		{Origin: "osv/malicious/npm/no-id/MAL-2024-6.json", Err: `field "id": missing`},
		// A package named "withdrawn" is not withdrawn.
		{Origin: "osv/malicious/npm/withdrawn/MAL-2024-3.json", ID: "MAL-2024-3"},
		// A directory named *.json is a directory.
		{Origin: "osv/malicious/nuget/evil.json/MAL-2024-9.json", ID: "MAL-2024-9"},
		{Origin: "osv/malicious/pypi/bad-eco/MAL-2024-7.json", Err: `unsupported ecosystem "pypi"`},
		{Origin: "osv/malicious/pypi/evil-requests/MAL-2024-8.json", ID: "MAL-2024-8"},
		{Origin: "osv/withdrawn/npm/old-pkg/MAL-2023-10.json", ID: "MAL-2023-10", Withdrawn: true},
		// Withdrawn by its place only.
		{Origin: "osv/withdrawn/pypi/no-field/MAL-2023-11.json", ID: "MAL-2023-11", Withdrawn: true},
	}
	for _, src := range []string{"testdata/tree", "testdata/tree/"} {
		got, err := collect(t, src, defaultBounds, want)
		if err != nil {
			t.Fatalf("Read(%s) = %v", src, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Read(%s) items (-want +got):\n%s", src, diff)
		}
	}

	// Below osv/, withdrawn/ is still at the top of the source.
	got, err := collect(t, "testdata/tree/osv", defaultBounds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := countWithdrawn(got); n != 2 {
		t.Errorf("Read(testdata/tree/osv): %d withdrawn, want 2: %v", n, got)
	}
}

func countWithdrawn(rs []result) int {
	n := 0
	for _, r := range rs {
		if r.Withdrawn {
			n++
		}
	}
	return n
}

func TestWithdrawnPath(t *testing.T) {
	tests := []struct {
		dir  string
		want bool
	}{
		{".", false},
		{"withdrawn", true},
		{"withdrawn/npm/x", true},
		{"osv/withdrawn/npm/x", true},
		{"malicious-packages-main/osv/withdrawn/npm/x", true},
		{"osv/malicious/npm/x", false},
		{"osv/malicious/npm/withdrawn", false},
		{"osv/malicious/go/github.com/osv/withdrawn", false},
		{"npm/withdrawn", false},
		{"malicious/npm/withdrawn", false},
		{"data/withdrawn", false},
	}
	for _, tt := range tests {
		if got := withdrawnPath(tt.dir); got != tt.want {
			t.Errorf("withdrawnPath(%q) = %v, want %v", tt.dir, got, tt.want)
		}
	}
}

// TestReadDirOrder checks that a directory is read in fs.WalkDir's lexical
// order, the same on every run, with a tree large enough to keep the
// pipeline's window full.
func TestReadDirOrder(t *testing.T) {
	dir := t.TempDir()
	if err := feedtest.Generate(dir, 600, 7); err != nil {
		t.Fatal(err)
	}
	var want []string
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			want = append(want, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for run := range 3 {
		var got []string
		withdrawn := 0
		err := Read(t.Context(), dir, func(it Item) error {
			if it.Err != nil {
				t.Errorf("%s: %v", it.Origin, it.Err)
			}
			if it.Withdrawn {
				withdrawn++
				if !it.Vuln.IsWithdrawn() {
					t.Errorf("%s: withdrawn by path only, want a withdrawn field", it.Origin)
				}
			}
			got = append(got, trimOrigin(dir, it.Origin))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("run %d: order (-want +got):\n%s", run, diff)
		}
		if withdrawn == 0 {
			t.Errorf("no withdrawn records in %d", len(got))
		}
	}
}

func TestReadDirSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := feedtest.Record(1, ecosystem.NPM, 1)
	write("a/MAL-1.json", rec)
	// Links are not followed, whether they point inside or outside.
	if err := os.Symlink("MAL-1.json", filepath.Join(dir, "a", "link.json")); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside.json")
	if err := os.WriteFile(outside, rec, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "b-escape.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(dir, "c-dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "d-fifo.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A sparse file one byte over the limit: read no further than its size.
	big := filepath.Join(dir, "e-big.json")
	write("e-big.json", nil)
	if err := os.Truncate(big, limits.MaxRecordBytes+1); err != nil {
		t.Fatal(err)
	}
	// Too deep for the test's bounds.
	write("f/1/2/3/MAL-3.json", rec)
	write("f/1/MAL-2.json", rec)
	// An empty directory: nothing.
	if err := os.Mkdir(filepath.Join(dir, "g-empty"), 0o755); err != nil {
		t.Fatal(err)
	}

	b := defaultBounds
	b.treeDepth = 2
	want := []result{
		{Origin: "a/MAL-1.json", ID: "MAL-2023-2"},
		{Origin: "a/link.json", Err: "not a regular file: a symbolic link, not followed"},
		{Origin: "b-escape.json", Err: "not a regular file: a symbolic link, not followed"},
		{Origin: "d-fifo.json", Err: "not a regular file"},
		{Origin: "e-big.json", Err: "over the size limit of 8388608 bytes"},
		{Origin: "f/1/2", Err: "directory nested deeper than 2 levels, not read"},
		{Origin: "f/1/MAL-2.json", ID: "MAL-2023-2"},
	}
	got, err := collect(t, dir, b, want)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

func TestReadDirUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not apply")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "locked"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.json"), feedtest.Record(1, ecosystem.NPM, 1), 0o000); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "locked"), 0o000); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(dir, "locked"), 0o755)
	want := []result{
		{Origin: "locked", Err: "directory not read: "},
		{Origin: "x.json", Err: "permission denied"},
	}
	got, err := collect(t, dir, defaultBounds, want)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

func TestReadSingleFile(t *testing.T) {
	dir := t.TempDir()
	rec := feedtest.Record(5, ecosystem.PyPI, 1)
	files := map[string][]byte{
		"MAL-6.json":   rec,
		"bom.json":     append([]byte("\xef\xbb\xbf"), rec...),
		"invalid.json": []byte(`{"id": "MAL-1",`),
		"download-123": rec, // no extension: recognised by content
		"notes.txt":    []byte("hello"),
		"empty.json":   nil,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, limits.MaxRecordBytes+1); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		want    []result
		wantErr string
	}{
		{name: "MAL-6.json", want: []result{{ID: "MAL-2023-6"}}},
		{name: "bom.json", want: []result{{ID: "MAL-2023-6"}}},
		{name: "download-123", want: []result{{ID: "MAL-2023-6"}}},
		{name: "invalid.json", want: []result{{Err: "invalid JSON"}}},
		{name: "empty.json", want: []result{{Err: "invalid JSON"}}},
		{name: "big.json", want: []result{{Err: "over the size limit of 8388608 bytes"}}},
		{name: "notes.txt", wantErr: "notes.txt: not a directory, .zip or .json file"},
		{name: "missing.json", wantErr: "missing.json: stat: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(dir, tt.name)
			for i := range tt.want {
				tt.want[i].Origin = src
			}
			got, err := collect(t, src, defaultBounds, tt.want)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "read "+src) {
					t.Errorf("Read(%s) = %v, want an error naming the source and %q", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read(%s) = %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadNotExist(t *testing.T) {
	err := Read(t.Context(), "testdata/no-such-dir", func(Item) error { return nil })
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want fs.ErrNotExist", err)
	}
	if runtime.GOOS == "linux" {
		err = Read(t.Context(), "/dev/null", func(Item) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "not a directory, .zip or .json file") {
			t.Errorf("Read(/dev/null) = %v, want not a directory, .zip or .json file", err)
		}
	}
}

func TestReadEmptyDir(t *testing.T) {
	n := 0
	if err := Read(t.Context(), t.TempDir(), func(Item) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("Read(empty dir) = %v after %d items, want nil after 0", err, n)
	}
}

// TestReadStops checks that an error from fn or a cancelled context stops
// Read at once, for every kind of source.
func TestReadStops(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	if err := feedtest.Generate(tree, 300, 3); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, "all.zip")
	if err := feedtest.GenerateZip(zipPath, 300, 3); err != nil {
		t.Fatal(err)
	}
	errStop := errors.New("stop")
	for _, src := range []string{tree, zipPath} {
		t.Run(filepath.Base(src)+"/fn_error", func(t *testing.T) {
			n := 0
			err := Read(t.Context(), src, func(Item) error {
				n++
				if n == 5 {
					return errStop
				}
				if n > 5 {
					t.Fatal("fn called after it returned an error")
				}
				return nil
			})
			if err != errStop {
				t.Errorf("Read = %v, want the error of fn", err)
			}
		})
		t.Run(filepath.Base(src)+"/cancel", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			n := 0
			err := Read(ctx, src, func(Item) error {
				n++
				if n == 5 {
					cancel()
				}
				if n > 5 {
					t.Fatal("fn called after the context was cancelled")
				}
				return nil
			})
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), src) {
				t.Errorf("Read = %v, want context.Canceled naming %s", err, src)
			}
		})
		t.Run(filepath.Base(src)+"/cancelled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			err := Read(ctx, src, func(Item) error {
				t.Fatal("fn called with a cancelled context")
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Read = %v, want context.Canceled", err)
			}
		})
	}
}

// TestReadSample reads the sample of the real repository, as a tree and as
// a GitHub repository archive of it.
func TestReadSample(t *testing.T) {
	if _, err := os.Stat(sampleDir); err != nil {
		t.Skipf("no sample of the OpenSSF repository at %s (shared/data beside the repository): %v", sampleDir, err)
	}
	type stats struct{ Records, Withdrawn, Errors int }
	count := func(src string) (stats, []string) {
		var s stats
		var ids []string
		err := Read(t.Context(), src, func(it Item) error {
			if it.Err != nil {
				s.Errors++
				t.Errorf("%s: %v", it.Origin, it.Err)
				return nil
			}
			s.Records++
			ids = append(ids, it.Vuln.ID)
			if it.Withdrawn {
				s.Withdrawn++
				if !it.Vuln.IsWithdrawn() {
					t.Errorf("%s: under withdrawn/ without a withdrawn field", it.Origin)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return s, ids
	}
	want := stats{Records: 477, Withdrawn: 16}
	got, dirIDs := count(sampleDir)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sample tree (-want +got):\n%s", diff)
	}

	zipPath := filepath.Join(t.TempDir(), "malicious-packages-main.zip")
	writeZip(t, zipPath, treeEntries(t, sampleDir, "malicious-packages-main/"))
	got, zipIDs := count(zipPath)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sample archive (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(dirIDs, zipIDs); diff != "" {
		t.Errorf("archive order differs from tree order (-tree +archive):\n%s", diff)
	}
}
