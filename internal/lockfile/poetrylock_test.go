package lockfile

import "testing"

func TestPoetryLock(t *testing.T) {
	const lock, v1 = "poetry.lock", "poetry-v1/poetry.lock"
	pyRun(t, poetryLockParser{}, []pyCase{
		{
			name: "v2-groups-sources",
			file: lock,
			want: []Package{
				pyPkg(lock, 3, "certifi", "2024.2.2", pyPublic),
				pyDev(pyPkg(lock, 15, "pytest", "8.1.1", pyPublic)),
				pyPkg(lock, 33, "Mylib", "1.2.0", Source{Kind: Git, URL: "https://github.com/example/mylib.git"}),
				pyPkg(lock, 49, "locallib", "0.1.0", Source{Kind: Path, URL: "../locallib"}),
				pyPkg(lock, 63, "wheelpkg", "0.1.0", Source{Kind: Path, URL: "vendor/wheelpkg-0.1.0-py3-none-any.whl"}),
				pyPkg(lock, 78, "urlpkg", "0.3.0", Source{Kind: URL, URL: "https://example.com/urlpkg-0.3.0.tar.gz"}),
				pyPkg(lock, 91, "internal-tool", "1.0.0", pyInternal),
				pyPkg(lock, 105, "idna", "3.6", pyPublic),
			},
		},
		{
			name: "v1-category",
			file: v1,
			want: []Package{
				pyPkg(v1, 1, "six", "1.16.0", pyPublic),
				pyDev(pyPkg(v1, 9, "black", "24.3.0", pyPublic)),
			},
		},
		{name: "truncated", file: "bad/poetry-truncated.lock", wantErr: "bad/poetry-truncated.lock:6: invalid TOML: basic strings cannot have new lines"},
		{name: "wrong-type", file: "bad/poetry-type.lock", wantErr: "bad/poetry-type.lock:5: package.name is an integer, want a string"},
		{name: "no-name", file: "bad/poetry-noname.lock", wantErr: "bad/poetry-noname.lock:5: [[package]] without a name"},
		{name: "plain-table", file: "bad/poetry-table.lock", wantErr: "bad/poetry-table.lock:1: [package] is a table; want [[package]], an array of tables"},
	})
}

func TestPoetrySource(t *testing.T) {
	tests := []struct {
		typ, url string
		want     Source
	}{
		{"legacy", "https://pypi.org/simple/", pyPublic},
		{"legacy", "https://u:p@pypi.internal.example.com/simple", pyInternal},
		{"git", "git@github.com:a/b.git", Source{Kind: Git, URL: "git@github.com:a/b.git"}},
		{"hg", "https://example.com", pyPublic},
	}
	for _, tt := range tests {
		if got := poetrySourceOf(tt.typ, tt.url); got != tt.want {
			t.Errorf("poetrySourceOf(%q, %q) = %+v, want %+v", tt.typ, tt.url, got, tt.want)
		}
	}
}

func FuzzPoetryLock(f *testing.F) {
	pyFuzz(f, poetryLockParser{}, "poetry.lock", "poetry.lock", "poetry-v1/poetry.lock", "bad/poetry-truncated.lock", "bad/poetry-type.lock")
}
