package lockfile

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestComposerLock(t *testing.T) {
	const basic = "basic/composer.lock"
	pkg := func(name, version string, line int) Package {
		return Package{Ecosystem: ecosystem.Packagist, Name: name, Version: version, Location: fixtureAt(basic, line)}
	}
	shared := pkg("acme/shared", "dev-main", 36)
	shared.Source = Source{Kind: Path, URL: "../shared"}
	phpunit := pkg("phpunit/phpunit", "10.5.10", 49)
	phpunit.Dev = true
	runOtherCases(t, composerLockParser{}, "composer", []otherCase{
		{
			name: "packages-and-dev",
			path: basic,
			want: []Package{
				pkg("monolog/monolog", "3.5.0", 9),
				pkg("psr/log", "3.0.0", 30),
				shared,
				pkg("symfony/polyfill-ctype", "v1.29.0", 46),
				phpunit,
			},
		},
		{name: "wrong-type", path: "badtype/composer.lock", wantErr: "badtype/composer.lock:6: packages[2]: version is number, want a string"},
		{name: "no-name", path: "noname/composer.lock", wantErr: "noname/composer.lock:4: packages[2] has no name"},
		{name: "packages-not-array", path: "notobject/composer.lock", wantErr: `notobject/composer.lock:2: packages: found "{" where "[" should start`},
		{name: "truncated", path: "truncated/composer.lock", wantErr: "truncated/composer.lock:4: unexpected end of file"},
	})
}

func FuzzComposerLock(f *testing.F) { fuzzOther(f, composerLockParser{}, "composer", "composer.lock") }
