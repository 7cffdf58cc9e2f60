package lockfile

import (
	"context"
	"io/fs"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// nameParser matches files by base name.
type nameParser struct{ base string }

func (p nameParser) Name() string        { return p.base }
func (p nameParser) Match(q string) bool { return path.Base(q) == p.base }
func (p nameParser) Parse(context.Context, File) ([]Package, error) {
	return nil, nil
}

// elfParser matches executables by content.
type elfParser struct{ nameParser }

func (elfParser) MatchContent(head []byte) bool { return strings.HasPrefix(string(head), "\x7fELF") }

var _ ContentMatcher = elfParser{}

func TestFind(t *testing.T) {
	exe := make([]byte, 2048)
	copy(exe, "\x7fELF")
	fsys := fstest.MapFS{
		"package-lock.json":                      {Data: []byte("{}")},
		"README.md":                              {Data: []byte("x")},
		"app":                                    {Data: exe, Mode: 0o755},
		"notexec":                                {Data: exe, Mode: 0o644},
		"node_modules/.package-lock.json":        {Data: []byte("{}")},
		"node_modules/a/package-lock.json":       {Data: []byte("{}")},
		"sub/package-lock.json":                  {Data: []byte("{}")},
		"sub/node_modules/x/package.json":        {Data: []byte("{}")},
		"sub/deep/requirements.txt":              {Data: []byte("")},
		".hidden/package-lock.json":              {Data: []byte("{}")},
		"vendor/package-lock.json":               {Data: []byte("{}")},
		".git/package-lock.json":                 {Data: []byte("{}")},
		"sub/node_modules/y/node_modules/z/a.js": {Data: []byte("")},
	}
	parsers := []Parser{
		nameParser{"package-lock.json"},
		nameParser{"requirements.txt"},
		nameParser{"node_modules"},
		elfParser{nameParser{"go-binary"}},
	}
	paths := func(fs []Found) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Path+"="+f.Parser.Name())
		}
		return out
	}

	got, err := Find(context.Background(), fsys, false, parsers)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app=go-binary", "node_modules=node_modules", "package-lock.json=package-lock.json"}
	if diff := cmp.Diff(want, paths(got)); diff != "" {
		t.Errorf("Find, top only (-want +got):\n%s", diff)
	}

	got, err = Find(context.Background(), fsys, true, parsers)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"app=go-binary", "node_modules=node_modules", "package-lock.json=package-lock.json",
		"sub/deep/requirements.txt=requirements.txt", "sub/node_modules=node_modules", "sub/package-lock.json=package-lock.json",
	}
	if diff := cmp.Diff(want, paths(got)); diff != "" {
		t.Errorf("Find, recursive (-want +got):\n%s", diff)
	}

	if ps := ForFile(fsys, "app", parsers); ps == nil || ps.Name() != "go-binary" {
		t.Errorf("ForFile(app) = %v", ps)
	}
	if ps := ForFile(fsys, "README.md", parsers); ps != nil {
		t.Errorf("ForFile(README.md) = %v, want nil", ps.Name())
	}
	var _ fs.FS = fsys
}

func TestLines(t *testing.T) {
	data := []byte("a\nbb\n\nccc")
	l := NewLines(data)
	for off, want := range map[int64]int{0: 1, 1: 1, 2: 2, 4: 2, 5: 3, 6: 4, 9: 4} {
		if got := l.At(off); got != want {
			t.Errorf("At(%d) = %d, want %d", off, got, want)
		}
	}
}

func TestReadBounded(t *testing.T) {
	old := maxFileBytes
	maxFileBytes = 8
	defer func() { maxFileBytes = old }()
	fsys := fstest.MapFS{"small": {Data: []byte("12345678")}, "big": {Data: []byte("123456789")}}
	if _, err := (File{FS: fsys, Path: "small"}).ReadFile(); err != nil {
		t.Errorf("small: %v", err)
	}
	if _, err := (File{FS: fsys, Path: "big"}).ReadFile(); err == nil {
		t.Errorf("big: no error")
	}
}
