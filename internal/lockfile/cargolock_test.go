package lockfile

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestCargoLock(t *testing.T) {
	crate := func(path, name, version string, line int, src Source) Package {
		return Package{Ecosystem: ecosystem.CratesIO, Name: name, Version: version, Location: fixtureAt(path, line), Source: src}
	}
	public := Source{Kind: Registry}
	local := Source{Kind: Path}
	const v3, v1, sparse, multi = "v3/Cargo.lock", "v1/Cargo.lock", "sparse/Cargo.lock", "multiline/Cargo.lock"
	runOtherCases(t, cargoLockParser{}, "cargo", []otherCase{
		{
			name: "v3-workspace-git-private",
			path: v3,
			want: []Package{
				crate(v3, "app", "0.1.0", 5, local),
				crate(v3, "my-macros", "0.1.0", 15, local),
				crate(v3, "serde", "1.0.197", 19, public),
				crate(v3, "private-crate", "2.0.0", 25, Source{Kind: Registry, URL: "https://dl.cloudsmith.io/basic/acme/crates/cargo/index.git"}),
				crate(v3, "gitdep", "0.3.0", 31, Source{Kind: Git, URL: "https://github.com/acme/gitdep?branch=main#0123456789abcdef0123456789abcdef01234567"}),
				crate(v3, "serde", "0.9.15", 36, public),
			},
		},
		{
			name: "v1-metadata",
			path: v1,
			want: []Package{
				crate(v1, "app", "0.1.0", 1, local),
				crate(v1, "libc", "0.2.40", 8, public),
			},
		},
		{
			name: "v4-sparse-directory",
			path: sparse,
			want: []Package{
				crate(sparse, "anyhow", "1.0.86", 3, public),
				crate(sparse, "internal", "0.2.0", 9, Source{Kind: Registry, URL: "https://cargo.acme.example/index/"}),
				crate(sparse, "vendored", "1.0.0", 14, Source{Kind: Path, URL: "/home/ci/vendor"}),
			},
		},
		{
			name: "header-in-multiline-string",
			path: multi,
			want: []Package{
				crate(multi, "a", "1.0.0", 3, local),
				crate(multi, "b", "2.0.0", 10, local),
			},
		},
		{
			// Keys are case-sensitive, as cargo reads them.
			name: "case-folded-keys",
			path: "casefold/Cargo.lock",
			want: []Package{crate("casefold/Cargo.lock", "evil-crate", "0.1.0", 5, public)},
		},
		{name: "wrong-type", path: "badtype/Cargo.lock", wantErr: "badtype/Cargo.lock:7: package.name is an integer, want a string"},
		{name: "no-name", path: "noname/Cargo.lock", wantErr: "noname/Cargo.lock:7: package 2 has no name"},
		{name: "unknown-source", path: "badsource/Cargo.lock", wantErr: `badsource/Cargo.lock:3: package odd: source "ftp+ftp://example.com/index" is of an unknown kind`},
		{name: "syntax", path: "syntax/Cargo.lock", wantErr: "syntax/Cargo.lock:5:"},
	})
}

func FuzzCargoLock(f *testing.F) { fuzzOther(f, cargoLockParser{}, "cargo", "Cargo.lock") }
