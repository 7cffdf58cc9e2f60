package lockfile

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestNuGetLock(t *testing.T) {
	nuget := func(path, name, version string, line int) Package {
		return Package{Ecosystem: ecosystem.NuGet, Name: name, Version: version, Location: fixtureAt(path, line)}
	}
	project := func(p Package) Package {
		p.Source = Source{Kind: Path}
		return p
	}
	const basic, central, bom = "basic/packages.lock.json", "central/packages.lock.json", "bom/packages.lock.json"
	runOtherCases(t, nugetLockParser{}, "nuget", []otherCase{
		{
			// Newtonsoft.Json and the project (in another case) repeat
			// for net8.0 and are reported once; System.Runtime differs.
			name: "frameworks-deduplicated",
			path: basic,
			want: []Package{
				nuget(basic, "Newtonsoft.Json", "13.0.3", 5),
				nuget(basic, "Serilog", "3.1.1", 11),
				nuget(basic, "System.Runtime", "4.3.0", 17),
				project(nuget(basic, "acme.core", "", 25)),
				nuget(basic, "System.Runtime", "4.3.1", 39),
			},
		},
		{
			name: "central-transitive",
			path: central,
			want: []Package{
				nuget(central, "Azure.Identity", "1.10.4", 5),
				nuget(central, "Azure.Core", "1.37.0", 11),
			},
		},
		{
			name: "byte-order-mark",
			path: bom,
			want: []Package{nuget(bom, "NUnit", "3.14.0", 1)},
		},
		{name: "wrong-type", path: "badtype/packages.lock.json", wantErr: `badtype/packages.lock.json:7: package "Newtonsoft.Json": resolved is array, want a string`},
		{name: "trailing-data", path: "trailing/packages.lock.json", wantErr: "trailing/packages.lock.json:5: data after the lockfile object"},
	})
}

func FuzzNuGetLock(f *testing.F) { fuzzOther(f, nugetLockParser{}, "nuget", "packages.lock.json") }
