package lockfile

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestGoMod(t *testing.T) {
	goPkg := func(path, name, version string, line int) Package {
		return Package{Ecosystem: ecosystem.Go, Name: name, Version: version, Location: fixtureAt(path, line)}
	}
	local := func(p Package, dir string) Package {
		p.Source = Source{Kind: Path, URL: dir}
		return p
	}
	const basic, replace = "basic/go.mod", "replace/go.mod"
	runOtherCases(t, goModParser{}, "go", []otherCase{
		{
			name: "basic",
			path: basic,
			want: []Package{
				goPkg(basic, "github.com/google/uuid", "v1.6.0", 7),
				goPkg(basic, "golang.org/x/mod", "v0.17.0", 10),
				goPkg(basic, "github.com/pkg/errors", "v0.9.1", 11),
				goPkg(basic, "github.com/docker/docker", "v24.0.7+incompatible", 12),
				goPkg(basic, "golang.org/x/exp", "v0.0.0-20240506185415-9bf2ced13842", 13),
			},
		},
		{
			name: "replace-and-exclude",
			path: replace,
			want: []Package{
				goPkg(replace, "github.com/fork/logrus", "v1.9.3", 17),
				local(goPkg(replace, "github.com/foo/bar", "v1.2.3", 20), "../bar"),
				// The replace names another version: it does not apply.
				goPkg(replace, "github.com/foo/baz", "v0.4.0", 9),
				local(goPkg(replace, "example.com/local", "v0.0.0-00010101000000-000000000000", 22), "./local"),
				goPkg(replace, "golang.org/x/net", "v0.21.0", 23),
				// A replace of the exact version wins over one of all.
				goPkg(replace, "golang.org/x/text", "v0.14.1", 24),
				// github.com/excluded/mod v1.0.0 is excluded; mod2 v1.1.0 is not.
				goPkg(replace, "github.com/excluded/mod2", "v1.1.0", 14),
			},
		},
		{name: "no-requirements", path: "empty/go.mod"},
		{name: "bad-version", path: "badversion/go.mod", wantErr: `badversion/go.mod:7: require github.com/pkg/errors: version "latest" invalid: must be of the form v1.2.3`},
		{name: "unknown-directive", path: "unknown/go.mod", wantErr: "unknown/go.mod:5: unknown directive: frobnicate"},
		{name: "truncated", path: "truncated/go.mod", wantErr: "truncated/go.mod:7:"},
	})
}

func FuzzGoMod(f *testing.F) { fuzzOther(f, goModParser{}, "go", "go.mod") }
