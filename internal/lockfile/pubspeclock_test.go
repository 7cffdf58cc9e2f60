package lockfile

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestPubspecLock(t *testing.T) {
	pub := func(path, name, version string, line int, src Source, dev bool) Package {
		return Package{Ecosystem: ecosystem.Pub, Name: name, Version: version, Location: fixtureAt(path, line), Source: src, Dev: dev}
	}
	const flutter, legacy = "flutter/pubspec.lock", "legacy/pubspec.lock"
	public := Source{}
	runOtherCases(t, pubspecLockParser{}, "pub", []otherCase{
		{
			name: "flutter-app",
			path: flutter,
			want: []Package{
				pub(flutter, "async", "2.11.0", 4, public, false),
				pub(flutter, "http", "1.2.0", 22, public, false),
				pub(flutter, "lints", "3.0.0", 30, public, true),
				pub(flutter, "acme_ui", "4.2.0", 38, Source{Kind: Registry, URL: "https://dart.acme.example/api/"}, false),
				pub(flutter, "shared", "0.0.1", 46, Source{Kind: Path, URL: "../shared"}, false),
				pub(flutter, "forked", "1.0.1", 53, Source{Kind: Git, URL: "https://github.com/acme/forked.git"}, false),
			},
		},
		{
			name: "pub-dartlang-org",
			path: legacy,
			want: []Package{
				pub(legacy, "path", "1.8.0", 4, public, false),
				pub(legacy, "meta", "1.3.0", 11, public, false),
			},
		},
		{name: "no-packages", path: "empty/pubspec.lock"},
		{name: "wrong-type", path: "badtype/pubspec.lock", wantErr: `badtype/pubspec.lock:10: package "http" version is a sequence, want a scalar`},
		{name: "alias", path: "alias/pubspec.lock", wantErr: `alias/pubspec.lock:6: package "http" is an alias`},
		{name: "syntax", path: "syntax/pubspec.lock", wantErr: "syntax/pubspec.lock:1: did not find expected key"},
	})
}

func FuzzPubspecLock(f *testing.F) { fuzzOther(f, pubspecLockParser{}, "pub", "pubspec.lock") }
