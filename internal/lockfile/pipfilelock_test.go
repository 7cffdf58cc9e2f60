package lockfile

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestPipfileLock(t *testing.T) {
	const lock = "Pipfile.lock"
	pyRun(t, pipfileLockParser{}, []pyCase{
		{
			name: "sections-sources",
			file: lock,
			want: []Package{
				pyPkg(lock, 24, "certifi", "2024.2.2", pyPublic),
				pyPkg(lock, 33, "internal-tool", "1.0.0", pyInternal),
				pyPkg(lock, 38, "mylib", "", Source{Kind: Git, URL: "https://github.com/example/mylib.git"}),
				pyPkg(lock, 42, "locallib", "", Source{Kind: Path, URL: "./locallib"}),
				pyPkg(lock, 46, "urlpkg", "", Source{Kind: URL, URL: "https://example.com/urlpkg-0.3.0.tar.gz"}),
				pyPkg(lock, 49, "requests", "2.31.0", pyPublic),
				pyDev(pyPkg(lock, 60, "pytest", "8.1.1", pyPublic)),
			},
		},
		{name: "truncated", file: "bad/Pipfile-truncated.lock", wantErr: "bad/Pipfile-truncated.lock:4: invalid JSON: unexpected end of JSON input"},
		{name: "section-array", file: "bad/Pipfile-section.lock", wantErr: "bad/Pipfile-section.lock:3: default: found an array, want an object"},
		{name: "entry-string", file: "bad/Pipfile-entry.lock", wantErr: "bad/Pipfile-entry.lock:4: default.requests: found a JSON string, want an object"},
		{name: "version-number", file: "bad/Pipfile-version.lock", wantErr: "bad/Pipfile-version.lock:3: default.six.version: found a JSON number, want a string"},
		{name: "trailing", file: "bad/Pipfile-trailing.lock", wantErr: "bad/Pipfile-trailing.lock:4: invalid JSON: invalid character '{' after top-level value"},
		{name: "empty", file: "bad/Pipfile-empty.lock", wantErr: "bad/Pipfile-empty.lock:1: invalid JSON: unexpected end of JSON input"},
		{name: "array", file: "bad/Pipfile-array.lock", wantErr: "bad/Pipfile-array.lock:1: Pipfile.lock: found an array, want an object"},
	})
}

func TestPipfileLockInline(t *testing.T) {
	tests := []struct {
		name, data string
		want       []Package
		wantErr    string
	}{
		{
			name: "only-source-private",
			data: `{"_meta": {"sources": [{"name": "corp", "url": "https://pypi.internal.example.com/simple"}]},
"default": {"a": {"version": "==1"}, "b": {"version": "===2", "index": "corp"}}}`,
			want: []Package{pyPkg("f", 2, "a", "1", pyInternal), pyPkg("f", 2, "b", "2", pyInternal)},
		},
		{
			name: "meta-after-sections",
			data: `{"default": {"a": {"version": "==1", "index": "pypi"}},
"_meta": {"sources": [{"name": "pypi", "url": "https://pypi.org/simple"}, {"name": "corp", "url": "https://x.example"}]}}`,
			want: []Package{pyPkg("f", 1, "a", "1", pyPublic)},
		},
		{
			name: "vcs-path-file",
			data: `{"default": {
"g": {"git": "git+ssh://git@github.com/a/g.git", "ref": "v1"},
"h": {"hg": "https://hg.example.com/h"},
"f": {"file": "./dist/f-1.0.tar.gz"},
"null": null,
"star": {"version": "*"}
}, "other": [1, {"x": 2}]}`,
			want: []Package{
				pyPkg("f", 2, "g", "", Source{Kind: Git, URL: "ssh://github.com/a/g.git"}),
				pyPkg("f", 3, "h", "", Source{Kind: URL, URL: "https://hg.example.com/h"}),
				pyPkg("f", 4, "f", "", Source{Kind: Path, URL: "./dist/f-1.0.tar.gz"}),
				pyPkg("f", 5, "null", "", pyPublic),
				pyPkg("f", 6, "star", "", pyPublic),
			},
		},
		{name: "empty-name", data: `{"default": {"": {}}}`, wantErr: "f:1: default: a package with an empty name"},
		{name: "meta-type", data: "{\"_meta\":\n {\"sources\": {}}}", wantErr: "f:2: _meta.sources: found a JSON object, want an array"},
		{name: "nested", data: `{"default": {"a": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}`, wantErr: "f:1: JSON nested more than 64 deep"},
		{name: "very-nested", data: strings.Repeat("[", 1<<20), wantErr: "f:1: JSON nested more than 64 deep"},
		{name: "nested-in-string", data: `{"default": {"a": {"version": "==1", "x": "` + strings.Repeat("[", 100) + `"}}}`, want: []Package{pyPkg("f", 1, "a", "1", pyPublic)}},
		{name: "invalid-utf8", data: "{\"default\": {\n\"a\xff\": {}}}", wantErr: "f:2: invalid UTF-8 at byte 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := File{FS: fstest.MapFS{"f": {Data: []byte(tt.data)}}, Path: "f", Display: "f"}
			got, err := pipfileLockParser{}.Parse(context.Background(), f)
			pyCheckError(t, err, tt.wantErr)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzPipfileLock(f *testing.F) {
	pyFuzz(f, pipfileLockParser{}, "Pipfile.lock", "Pipfile.lock", "bad/Pipfile-truncated.lock", "bad/Pipfile-entry.lock", "bad/Pipfile-version.lock")
}
