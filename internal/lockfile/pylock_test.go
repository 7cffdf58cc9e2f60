package lockfile

import "testing"

func TestPylock(t *testing.T) {
	const lock = "pylock.toml"
	pyRun(t, pylockParser{}, []pyCase{
		{
			name: "pep751",
			file: lock,
			want: []Package{
				pyPkg(lock, 6, "attrs", "25.1.0", pyPublic),
				pyPkg(lock, 19, "numpy", "2.2.3", pyInternal),
				pyPkg(lock, 27, "pip", "", Source{Kind: Git, URL: "https://github.com/pypa/pip.git"}),
				pyPkg(lock, 34, "hgpkg", "", Source{Kind: URL, URL: "https://hg.example.com/repo"}),
				pyPkg(lock, 38, "local", "", Source{Kind: Path, URL: "./local"}),
				pyPkg(lock, 44, "archived", "1.0", Source{Kind: URL, URL: "https://example.com/archived-1.0.tar.gz"}),
			},
		},
		{name: "not-tables", file: "bad/pylock-type.toml", wantErr: "bad/pylock-type.toml:2: packages is not an array of tables"},
	})
}

func TestPylockSource(t *testing.T) {
	tests := []struct {
		table map[string]any
		want  Source
	}{
		{map[string]any{}, pyPublic},
		{map[string]any{"vcs": map[string]any{"type": "git", "path": "../repo"}}, Source{Kind: Path, URL: "../repo"}},
		{map[string]any{"archive": map[string]any{"path": "dist/a-1.0.tar.gz"}}, Source{Kind: Path, URL: "dist/a-1.0.tar.gz"}},
		{map[string]any{"archive": map[string]any{"url": "file:///dist/a-1.0.tar.gz"}}, Source{Kind: Path, URL: "file:///dist/a-1.0.tar.gz"}},
		{map[string]any{"archive": map[string]any{"url": "git+https://x.example/a.tar.gz"}}, Source{Kind: URL, URL: "https://x.example/a.tar.gz"}},
	}
	for _, tt := range tests {
		tb := &tomlTable{path: "packages", m: tt.table, err: new(error)}
		if got := pylockSource(tb); got != tt.want || tb.Err() != nil {
			t.Errorf("pylockSource(%v) = %+v, %v; want %+v", tt.table, got, tb.Err(), tt.want)
		}
	}
}

func FuzzPylock(f *testing.F) {
	pyFuzz(f, pylockParser{}, "pylock.toml", "pylock.toml", "bad/pylock-type.toml")
}
