package feed

import (
	"archive/zip"
	"bytes"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/feed/feedtest"
	"github.com/sapperhq/sapper/internal/limits"
)

// entry is one entry of a zip built by a test.
type entry struct {
	Name  string
	Data  []byte
	Store bool        // stored rather than deflated
	Mode  fs.FileMode // 0: a regular file
	// Claim, when set, is the uncompressed size the header claims instead
	// of the real one (a lying header, written raw).
	Claim uint64
}

// zipBytes builds a zip archive of entries, in order.
func zipBytes(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		if e.Store || strings.HasSuffix(e.Name, "/") {
			h.Method = zip.Store
		}
		if e.Mode != 0 {
			h.SetMode(e.Mode)
		}
		if e.Claim != 0 {
			// Stored raw, with a header that lies about the size.
			h.Method = zip.Store
			h.CRC32 = crc32.ChecksumIEEE(e.Data)
			h.CompressedSize64 = uint64(len(e.Data))
			h.UncompressedSize64 = e.Claim
			w, err := zw.CreateRaw(h)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(e.Data); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeZip(t testing.TB, path string, entries []entry) {
	t.Helper()
	if err := os.WriteFile(path, zipBytes(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
}

// treeEntries returns the files and directories of the tree at dir as zip
// entries named prefix + their slash-separated path, as GitHub archives a
// repository.
func treeEntries(t testing.TB, dir, prefix string) []entry {
	t.Helper()
	entries := []entry{{Name: prefix}}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := prefix + filepath.ToSlash(rel)
		if d.IsDir() {
			entries = append(entries, entry{Name: name + "/"})
			return nil
		}
		data, err := os.ReadFile(p)
		entries = append(entries, entry{Name: name, Data: data})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// bomb returns a record whose details hold n zero bytes, which deflate
// compresses about a thousand to one.
func bomb(n int) []byte {
	rec := feedtest.Record(0, ecosystem.NPM, 1)
	return bytes.Replace(rec, []byte(`"details": "`), append([]byte(`"details": "`), bytes.Repeat([]byte("0"), n)...), 1)
}

func TestReadZip(t *testing.T) {
	rec := func(i int) []byte { return feedtest.Record(i, ecosystem.NPM, 1) }
	dir := t.TempDir()
	tests := []struct {
		name    string
		entries []entry
		bounds  func(*bounds)
		want    []result
		wantErr string // Read's error, naming the zip
	}{
		{
			name: "flat_osv_dev",
			entries: []entry{
				{Name: "MAL-2022-1.json", Data: rec(0)},
				{Name: "MAL-2023-2.json", Data: rec(1)},
				{Name: "notes.txt", Data: []byte("skipped")},
				{Name: "MAL-2025-4.json", Data: rec(3), Store: true},
			},
			want: []result{
				{Origin: "MAL-2022-1.json", ID: "MAL-2022-1"},
				{Origin: "MAL-2023-2.json", ID: "MAL-2023-2"},
				{Origin: "MAL-2025-4.json", ID: "MAL-2025-4"},
			},
		},
		{
			name: "github_archive",
			entries: []entry{
				{Name: "malicious-packages-main/"},
				{Name: "malicious-packages-main/README.md", Data: []byte("# readme")},
				{Name: "malicious-packages-main/osv/"},
				{Name: "malicious-packages-main/osv/malicious/npm/a/MAL-2022-1.json", Data: rec(0)},
				{Name: "malicious-packages-main/osv/malicious/npm/withdrawn/MAL-2023-2.json", Data: rec(1)},
				{Name: "malicious-packages-main/osv/malicious/nuget/x.json/"},
				{Name: "malicious-packages-main/osv/malicious/nuget/x.json/MAL-2024-3.json", Data: rec(2)},
				{Name: "malicious-packages-main/osv/withdrawn/npm/b/MAL-2025-4.json", Data: rec(3)},
			},
			want: []result{
				{Origin: "malicious-packages-main/osv/malicious/npm/a/MAL-2022-1.json", ID: "MAL-2022-1"},
				{Origin: "malicious-packages-main/osv/malicious/npm/withdrawn/MAL-2023-2.json", ID: "MAL-2023-2"},
				{Origin: "malicious-packages-main/osv/malicious/nuget/x.json/MAL-2024-3.json", ID: "MAL-2024-3"},
				{Origin: "malicious-packages-main/osv/withdrawn/npm/b/MAL-2025-4.json", ID: "MAL-2025-4", Withdrawn: true},
			},
		},
		{
			name: "unsafe_names",
			entries: []entry{
				{Name: "../evil.json", Data: rec(0)},
				{Name: "a/../../evil.json", Data: rec(0)},
				{Name: "/etc/evil.json", Data: rec(0)},
				{Name: `a\..\evil.json`, Data: rec(0)},
				{Name: "C:/evil.json", Data: rec(0)},
				{Name: "../README.md", Data: rec(0)},
				{Name: "ok/MAL-2023-2.json", Data: rec(1)},
			},
			want: []result{
				{Origin: "../evil.json", Err: `unsafe entry name "../evil.json"`},
				{Origin: "a/../../evil.json", Err: "unsafe entry name"},
				{Origin: "/etc/evil.json", Err: "unsafe entry name"},
				{Origin: `a\..\evil.json`, Err: "unsafe entry name"},
				{Origin: "C:/evil.json", Err: "unsafe entry name"},
				{Origin: "../README.md", Err: "unsafe entry name"},
				{Origin: "ok/MAL-2023-2.json", ID: "MAL-2023-2"},
			},
		},
		{
			name: "duplicates",
			entries: []entry{
				{Name: "MAL-2022-1.json", Data: rec(0)},
				{Name: "MAL-2022-1.json", Data: rec(0)},
			},
			want: []result{
				{Origin: "MAL-2022-1.json", ID: "MAL-2022-1"},
				{Origin: "MAL-2022-1.json", ID: "MAL-2022-1"},
			},
		},
		{
			name: "bad_entries",
			entries: []entry{
				{Name: "bad.json", Data: []byte(`{"id": 1}`)},
				{Name: "link.json", Data: []byte("MAL-2022-1.json"), Mode: fs.ModeSymlink | 0o777},
				{Name: "lying.json", Data: rec(0), Claim: 100},
				{Name: "MAL-2023-2.json", Data: rec(1)},
			},
			want: []result{
				{Origin: "bad.json", Err: `field "id": want a string, got number`},
				{Origin: "link.json", Err: "not a regular file: a symbolic link, not read"},
				{Origin: "lying.json", Err: "read: zip: not a valid zip file"},
				{Origin: "MAL-2023-2.json", ID: "MAL-2023-2"},
			},
		},
		{
			name: "zip_bomb",
			entries: []entry{
				{Name: "bomb.json", Data: bomb(limits.MaxRecordBytes + 1<<20)},
				{Name: "MAL-2023-2.json", Data: rec(1)},
			},
			want: []result{
				{Origin: "bomb.json", Err: "over the size limit: compressed more than 200:1 (a zip bomb?), not read"},
				{Origin: "MAL-2023-2.json", ID: "MAL-2023-2"},
			},
		},
		{
			// Big, compressible JSON below the record limit is fine.
			name: "compressible_under_threshold",
			entries: []entry{
				{Name: "MAL-2022-1.json", Data: bomb(limits.MaxRecordBytes/8 - 10_000)},
			},
			want: []result{{Origin: "MAL-2022-1.json", ID: "MAL-2022-1"}},
		},
		{
			name: "stored_over_limit",
			entries: []entry{
				{Name: "big.json", Data: bomb(limits.MaxRecordBytes), Store: true},
			},
			want: []result{{Origin: "big.json", Err: "over the size limit of 8388608 bytes"}},
		},
		{
			name:    "too_many_entries",
			entries: []entry{{Name: "a.json", Data: rec(0)}, {Name: "b.json", Data: rec(1)}, {Name: "c.json", Data: rec(2)}},
			bounds:  func(b *bounds) { b.archiveEntries = 2 },
			wantErr: "3 entries, over the limit of 2",
		},
		{
			name:    "too_many_bytes",
			entries: []entry{{Name: "a.json", Data: rec(0)}, {Name: "b.json", Data: rec(1)}, {Name: "c.json", Data: rec(2)}},
			bounds:  func(b *bounds) { b.archiveBytes = int64(len(rec(0)) + len(rec(1)) + 1) },
			want:    []result{{Origin: "a.json", ID: "MAL-2022-1"}, {Origin: "b.json", ID: "MAL-2023-2"}},
			wantErr: "over the limit of",
		},
		{
			name:    "empty",
			entries: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(dir, tt.name+".zip")
			writeZip(t, src, tt.entries)
			b := defaultBounds
			if tt.bounds != nil {
				tt.bounds(&b)
			}
			got, err := collect(t, src, b, tt.want)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "read "+src+": ") {
					t.Errorf("Read = %v, want an error naming the archive and %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Read = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadZipCorrupt(t *testing.T) {
	dir := t.TempDir()
	good := zipBytes(t, []entry{
		{Name: "MAL-2022-1.json", Data: feedtest.Record(0, ecosystem.NPM, 1)},
		{Name: "MAL-2023-2.json", Data: feedtest.Record(1, ecosystem.NPM, 1)},
	})

	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{0, 10, len(good) / 2, len(good) - 10} {
			src := filepath.Join(dir, "truncated.zip")
			if err := os.WriteFile(src, good[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			err := Read(t.Context(), src, func(Item) error { return nil })
			if err == nil || !strings.HasPrefix(err.Error(), "read "+src+": not a valid zip archive (truncated or corrupt?)") {
				t.Errorf("Read(%d of %d bytes) = %v, want not a valid zip archive", n, len(good), err)
			}
		}
	})

	t.Run("corrupt_entry", func(t *testing.T) {
		// Damage the first entry's compressed data: that entry fails, the
		// next one is read.
		bad := bytes.Clone(good)
		for i := 60; i < 90; i++ {
			bad[i] ^= 0x55
		}
		src := filepath.Join(dir, "corrupt.zip")
		if err := os.WriteFile(src, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := collect(t, src, defaultBounds, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Err == "" || got[1].ID != "MAL-2023-2" {
			t.Errorf("items = %+v, want an error for the first entry and the second record", got)
		}
	})

	t.Run("not_a_zip", func(t *testing.T) {
		src := filepath.Join(dir, "fake.zip")
		if err := os.WriteFile(src, []byte(`{"id": "MAL-1"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		err := Read(t.Context(), src, func(Item) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "not a valid zip archive") {
			t.Errorf("Read = %v, want not a valid zip archive", err)
		}
	})

	t.Run("sniffed", func(t *testing.T) {
		src := filepath.Join(dir, "download-1234")
		if err := os.WriteFile(src, good, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := collect(t, src, defaultBounds, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []result{{Origin: "MAL-2022-1.json", ID: "MAL-2022-1"}, {Origin: "MAL-2023-2.json", ID: "MAL-2023-2"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
	})
}

func TestReadGeneratedZip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "all.zip")
	const n = 500
	if err := feedtest.GenerateZip(src, n, 9); err != nil {
		t.Fatal(err)
	}
	var want []string
	wantWithdrawn := 0
	for f := range feedtest.Files(n, 9) {
		want = append(want, f.ID)
		if f.Withdrawn {
			wantWithdrawn++
		}
	}
	var got []string
	withdrawn := 0
	err := Read(t.Context(), src, func(it Item) error {
		if it.Err != nil {
			return errors.New(it.Origin + ": " + it.Err.Error())
		}
		got = append(got, it.Vuln.ID)
		if it.Withdrawn {
			withdrawn++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if withdrawn != wantWithdrawn || withdrawn == 0 {
		t.Errorf("%d withdrawn, want %d (and some)", withdrawn, wantWithdrawn)
	}
}

func TestSafeName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"MAL-2024-1.json", true},
		{"a/b/c.json", true},
		{"osv/malicious/maven/io.github.x:y/MAL-1.json", true},
		{"a..b.json", true},
		{"./a.json", true},
		{"", false},
		{"..", false},
		{"../a.json", false},
		{"a/../b.json", false},
		{"a/..", false},
		{"/a.json", false},
		{`a\b.json`, false},
		{"c:/a.json", false},
		{"a\x00.json", false},
	}
	for _, tt := range tests {
		if got := safeName(tt.name); got != tt.want {
			t.Errorf("safeName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
