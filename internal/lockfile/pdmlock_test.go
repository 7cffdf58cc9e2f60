package lockfile

import "testing"

func TestPDMLock(t *testing.T) {
	const lock = "pdm.lock"
	pyRun(t, pdmLockParser{}, []pyCase{
		{
			name: "groups-sources",
			file: lock,
			want: []Package{
				pyPkg(lock, 13, "certifi", "2024.2.2", pyPublic),
				pyPkg(lock, 23, "requests", "2.31.0", pyPublic),
				pyPkg(lock, 35, "requests", "2.31.0", pyPublic),
				pyDev(pyPkg(lock, 40, "pytest", "8.1.1", pyPublic)),
				pyPkg(lock, 47, "mylib", "1.2.0", Source{Kind: Git, URL: "https://github.com/example/mylib.git"}),
				pyPkg(lock, 56, "locallib", "0.1.0", Source{Kind: Path, URL: "./locallib"}),
				pyPkg(lock, 64, "urlpkg", "0.3.0", Source{Kind: URL, URL: "https://example.com/urlpkg-0.3.0.tar.gz"}),
			},
		},
	})
}

func FuzzPDMLock(f *testing.F) {
	pyFuzz(f, pdmLockParser{}, "pdm.lock", "pdm.lock", "poetry.lock")
}
