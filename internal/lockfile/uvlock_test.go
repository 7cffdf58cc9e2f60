package lockfile

import "testing"

func TestUVLock(t *testing.T) {
	const lock = "uv.lock"
	pyRun(t, uvLockParser{}, []pyCase{
		{
			name: "sources-project-skipped",
			file: lock,
			want: []Package{
				pyPkg(lock, 11, "anyio", "4.3.0", pyPublic),
				pyPkg(lock, 47, "internal-tool", "1.0.0", pyInternal),
				pyPkg(lock, 52, "httpx", "0.27.0", Source{Kind: Git, URL: "https://github.com/encode/httpx?rev=master#4b5a92e88e03443c2619f0905d756b159f9f0222"}),
				pyPkg(lock, 57, "member", "0.2.0", Source{Kind: Path, URL: "packages/member"}),
				pyPkg(lock, 62, "locallib", "0.1.0", Source{Kind: Path, URL: "../locallib"}),
				pyPkg(lock, 67, "wheelpkg", "0.1.0", Source{Kind: Path, URL: "vendor/wheelpkg-0.1.0-py3-none-any.whl"}),
				pyPkg(lock, 72, "urlpkg", "0.3.0", Source{Kind: URL, URL: "https://example.com/urlpkg-0.3.0.tar.gz"}),
				pyPkg(lock, 77, "dynamic", "", Source{Kind: Path, URL: "packages/dynamic"}),
			},
		},
		{name: "duplicate-key", file: "bad/uv-duplicate.lock", wantErr: `bad/uv-duplicate.lock:3: invalid TOML at key "name": key name is already defined`},
		{name: "source-string", file: "bad/uv-source.lock", wantErr: "bad/uv-source.lock:1: package.source is a string, want a table"},
	})
}

func FuzzUVLock(f *testing.F) {
	pyFuzz(f, uvLockParser{}, "uv.lock", "uv.lock", "bad/uv-duplicate.lock", "bad/uv-source.lock")
}
