package version

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// versionFiles maps each testdata/<name>-versions.txt to its ecosystem.
var versionFiles = map[string]ecosystem.Ecosystem{
	"npm":       ecosystem.NPM,
	"cratesio":  ecosystem.CratesIO,
	"packagist": ecosystem.Packagist,
	"pub":       ecosystem.Pub,
	"hex":       ecosystem.Hex,
	"pypi":      ecosystem.PyPI,
	"go":        ecosystem.Go,
	"rubygems":  ecosystem.RubyGems,
	"maven":     ecosystem.Maven,
	"nuget":     ecosystem.NuGet,
}

// comparison is one line of a versions file: "a < b", "a = b" or "a > b".
type comparison struct {
	line int
	a, b string
	want int
}

// readComparisons reads testdata/<name>-versions.txt, skipping blank lines
// and "#" comments.
func readComparisons(t testing.TB, name string) []comparison {
	t.Helper()
	path := filepath.Join("testdata", name+"-versions.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cs []comparison
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		ops := map[string]int{"<": -1, "=": 0, ">": 1}
		want, ok := ops[fields[min(1, len(fields)-1)]]
		if len(fields) != 3 || !ok {
			t.Fatalf("%s:%d: want \"A < B\", \"A = B\" or \"A > B\", got %q", path, n, line)
		}
		cs = append(cs, comparison{line: n, a: fields[0], b: fields[2], want: want})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cs
}

func mustParse(t *testing.T, e ecosystem.Ecosystem, s string) Version {
	t.Helper()
	v, err := Parse(e, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOrdering checks every line of the versions files both ways round, and
// that Canonical agrees: equal for "=" lines, different otherwise.
func TestOrdering(t *testing.T) {
	for name, e := range versionFiles {
		t.Run(name, func(t *testing.T) {
			for _, c := range readComparisons(t, name) {
				a, b := mustParse(t, e, c.a), mustParse(t, e, c.b)
				if got := a.Compare(b); got != c.want {
					t.Errorf("line %d: Compare(%q, %q) = %d, want %d", c.line, c.a, c.b, got, c.want)
				}
				if got := b.Compare(a); got != -c.want {
					t.Errorf("line %d: reversed, Compare(%q, %q) = %d, want %d", c.line, c.b, c.a, got, -c.want)
				}
				ca, cb := Canonical(e, c.a), Canonical(e, c.b)
				if (ca == cb) != (c.want == 0) {
					t.Errorf("line %d: Canonical gives %q and %q for a comparison of %d", c.line, ca, cb, c.want)
				}
				if ca != a.String() || cb != b.String() {
					t.Errorf("line %d: Canonical gives %q and %q, String gives %q and %q", c.line, ca, cb, a, b)
				}
			}
		})
	}
}

// TestTotalOrder sorts every version of each file and checks that the
// result is consistent, which catches orderings that are not transitive.
func TestTotalOrder(t *testing.T) {
	for name, e := range versionFiles {
		t.Run(name, func(t *testing.T) {
			var vs []Version
			for _, c := range readComparisons(t, name) {
				vs = append(vs, mustParse(t, e, c.a), mustParse(t, e, c.b))
			}
			if e == ecosystem.Maven {
				// ComparableVersion is not transitive where "." meets a
				// qualifier: 1.0.0.RC1 < 1 < 1-1 < 1.0.0.RC1 (see
				// testdata/maven-versions.txt). Leave those versions out.
				vs = slices.DeleteFunc(vs, func(v Version) bool {
					s := v.String()
					for i := 1; i < len(s); i++ {
						if s[i-1] == '.' && isLetter(s[i]) {
							return true
						}
					}
					return false
				})
			}
			slices.SortStableFunc(vs, Version.Compare)
			for i := range vs {
				for j := i + 1; j < len(vs); j++ {
					if vs[i].Compare(vs[j]) > 0 || vs[j].Compare(vs[i]) < 0 {
						t.Errorf("sorted %q before %q, but it compares greater", vs[i], vs[j])
					}
				}
			}
		})
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		e        ecosystem.Ecosystem
		in, want string
	}{
		{ecosystem.NPM, "1.2.3", "1.2.3"},
		{ecosystem.NPM, "v1.2.3", "1.2.3"},
		{ecosystem.NPM, "=1.2.3-rc.1+build.5", "1.2.3-rc.1"},
		{ecosystem.NPM, "1.2", "1.2"}, // not semver: unchanged
		{ecosystem.CratesIO, "1.0.0+build", "1.0.0"},
		{ecosystem.CratesIO, "v1.0.0", "v1.0.0"},
		{ecosystem.Packagist, "v1.0.0", "1.0.0"},
		{ecosystem.Packagist, "1.0", "1.0"},
		{ecosystem.Packagist, "1.0.0-beta.1", "1.0.0-beta.1"},
		{ecosystem.Pub, "1.0.0+001.b", "1.0.0+1.b"},
		{ecosystem.Hex, "1.0.0+001.b", "1.0.0"},
		{ecosystem.PyPI, "1.0", "1"},
		{ecosystem.PyPI, "1.0.0", "1"},
		{ecosystem.PyPI, "0.0", "0"},
		{ecosystem.PyPI, "01.020.0", "1.20"},
		{ecosystem.PyPI, "1.0.1", "1.0.1"},
		{ecosystem.PyPI, " 1.0-1 ", "1.post1"},
		{ecosystem.PyPI, "0!1.0RC1", "1rc1"},
		{ecosystem.PyPI, "1!2.0.0-alpha-3.dev", "1!2a3.dev0"},
		{ecosystem.PyPI, "v1.0+Ubuntu-01", "1+ubuntu.1"},
		{ecosystem.PyPI, "not a version", "not a version"},
		{ecosystem.Go, "1.2.3", "v1.2.3"},
		{ecosystem.Go, "v1.2.3", "v1.2.3"},
		{ecosystem.Go, "v1.2", "v1.2.0"},
		{ecosystem.Go, "2.0.0+incompatible", "v2.0.0"},
		{ecosystem.Go, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20191109021931-daa7c04131f5"},
		{ecosystem.Go, "go1.21", "go1.21"},
		{ecosystem.RubyGems, "1.0", "1"},
		{ecosystem.RubyGems, "1.0.0-rc1", "1.pre.rc.1"},
		{ecosystem.RubyGems, "1.0.0.beta2", "1.beta.2"},
		{ecosystem.RubyGems, "0.0.a", "0.a"},
		{ecosystem.RubyGems, "0.0", "0"},
		{ecosystem.Maven, "1.0", "1"},
		{ecosystem.Maven, "1.0.0-SNAPSHOT", "1-snapshot"},
		{ecosystem.Maven, "1.0-RC1", "1-rc-1"},
		{ecosystem.Maven, "1.0-cr1", "1-rc-1"},
		{ecosystem.Maven, "1.0.RELEASE", "1"},
		{ecosystem.Maven, "1.final.1", "1.ga.1"},
		{ecosystem.Maven, "1-0-1", "1-0-1"},
		{ecosystem.Maven, "0.0", "0"},
		{ecosystem.Maven, "31.1-jre", "31.1-jre"},
		{ecosystem.NuGet, "1.0", "1.0.0"},
		{ecosystem.NuGet, "1.0.0.0", "1.0.0"},
		{ecosystem.NuGet, "1.0.0.1", "1.0.0.1"},
		{ecosystem.NuGet, "01.002.0003", "1.2.3"},
		{ecosystem.NuGet, "1.0.0-BETA.01a+Meta", "1.0.0-beta.01a"},
		{ecosystem.NuGet, "v1.0.0", "v1.0.0"},
		{"Debian", "1:2.3-4", "1:2.3-4"},
		{ecosystem.PyPI, strings.Repeat("1", 300), strings.Repeat("1", 300)},
	}
	for _, tt := range tests {
		if got := Canonical(tt.e, tt.in); got != tt.want {
			t.Errorf("Canonical(%s, %q) = %q, want %q", tt.e, tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		e         ecosystem.Ecosystem
		in        string
		unordered bool
	}{
		{e: ecosystem.NPM, in: ""},
		{e: ecosystem.NPM, in: "1.2"},
		{e: ecosystem.NPM, in: "01.2.3"},
		{e: ecosystem.NPM, in: "1.2.3-01"},
		{e: ecosystem.NPM, in: "1.2.3-"},
		{e: ecosystem.NPM, in: "1.2.3-alpha_1"},
		{e: ecosystem.NPM, in: "1.0.0-99999999999999999999"},
		{e: ecosystem.NPM, in: "99999999999999999999.0.0"},
		{e: ecosystem.NPM, in: strings.Repeat("1", 257)},
		{e: ecosystem.CratesIO, in: "v1.2.3"},
		{e: ecosystem.CratesIO, in: "=1.2.3"},
		{e: ecosystem.PyPI, in: "1.0-foo"},
		{e: ecosystem.PyPI, in: "1.0+"},
		{e: ecosystem.PyPI, in: "1.0+abc..1"},
		{e: ecosystem.PyPI, in: "1.0+99999999999999999999"},
		{e: ecosystem.PyPI, in: "99999999999999999999.0"},
		{e: ecosystem.Go, in: "1.2.3.4"},
		{e: ecosystem.Go, in: "V1.2.3"},
		{e: ecosystem.Go, in: "v01.2.3"},
		{e: ecosystem.Go, in: "go1.21"},
		{e: ecosystem.RubyGems, in: "1.0-"},
		{e: ecosystem.RubyGems, in: "a.1"},
		{e: ecosystem.RubyGems, in: "   "},
		{e: ecosystem.RubyGems, in: "1" + strings.Repeat("-a", 60)}, // ".pre." makes it 361 bytes
		{e: ecosystem.Maven, in: "1.0 beta"},
		{e: ecosystem.Maven, in: "1.0-\u00e9"},
		{e: ecosystem.Maven, in: "1.99999999999999999999"},
		{e: ecosystem.NuGet, in: "v1.0.0"},
		{e: ecosystem.NuGet, in: "1.0.0.0.0"},
		{e: ecosystem.NuGet, in: "1..0"},
		{e: ecosystem.NuGet, in: "1.0.0-01"},
		{e: ecosystem.NuGet, in: "1.0.0-"},
		{e: ecosystem.NuGet, in: "1.0.0+"},
		{e: ecosystem.NuGet, in: "1.0.0-beta..1"},
		{e: ecosystem.NuGet, in: "1.0.0-be_ta"},
		{e: ecosystem.NuGet, in: "1.0.0+me_ta"},
		{e: ecosystem.NuGet, in: "2147483648.0"},
		{e: ecosystem.NuGet, in: "-1.0"},
		{e: ecosystem.Packagist, in: "1.0", unordered: true},
		{e: ecosystem.Packagist, in: "dev-master", unordered: true},
		{e: ecosystem.Packagist, in: "1.0.0-RC1", unordered: true},
		{e: ecosystem.Packagist, in: "v1.0.0-patch1", unordered: true},
		{e: ecosystem.Pub, in: "1.0.0.0", unordered: true},
		{e: ecosystem.Hex, in: "x", unordered: true},
		{e: "Debian", in: "1.0", unordered: true},
		{e: "nonsense", in: "1.0", unordered: true},
	}
	for _, tt := range tests {
		v, err := Parse(tt.e, tt.in)
		if err == nil {
			t.Errorf("Parse(%s, %q) = %q, want an error", tt.e, tt.in, v)
			continue
		}
		if got := errors.Is(err, ErrUnordered); got != tt.unordered {
			t.Errorf("Parse(%s, %q): errors.Is(%v, ErrUnordered) = %t, want %t", tt.e, tt.in, err, got, tt.unordered)
		}
		in := tt.in
		if len(in) > 64 {
			in = in[:64]
		}
		if msg := err.Error(); !strings.Contains(msg, string(tt.e)) || !strings.Contains(msg, in) {
			t.Errorf("Parse(%s, %q): error %q does not name the ecosystem and the string", tt.e, tt.in, msg)
		}
		if got := Canonical(tt.e, tt.in); got != tt.in {
			t.Errorf("Canonical(%s, %q) = %q, want it unchanged", tt.e, tt.in, got)
		}
	}
}

func TestParseLength(t *testing.T) {
	long := "1" + strings.Repeat(".0", 127) + "0" // 256 bytes
	if len(long) != maxLen {
		t.Fatalf("len = %d", len(long))
	}
	v, err := Parse(ecosystem.PyPI, long)
	if err != nil {
		t.Fatalf("Parse of %d bytes: %v", len(long), err)
	}
	if got := v.String(); got != "1" {
		t.Errorf("String() = %q, want %q", got, "1")
	}
	if _, err := Parse(ecosystem.PyPI, long+"0"); err == nil {
		t.Errorf("Parse of %d bytes succeeded, want an error", len(long)+1)
	}
}

func TestOrdered(t *testing.T) {
	var got []ecosystem.Ecosystem
	for _, e := range ecosystem.All() {
		if Ordered(e) {
			got = append(got, e)
		}
	}
	want := []ecosystem.Ecosystem{
		ecosystem.Go, ecosystem.Hex, ecosystem.Maven, ecosystem.NuGet, ecosystem.Packagist,
		ecosystem.Pub, ecosystem.PyPI, ecosystem.RubyGems, ecosystem.CratesIO, ecosystem.NPM,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ordered ecosystems (-want +got):\n%s", diff)
	}
}

// TestConcurrentCompare compares shared versions from several goroutines;
// run with -race, it guards the workaround in pypiVersion.Compare.
func TestConcurrentCompare(t *testing.T) {
	for name, e := range versionFiles {
		t.Run(name, func(t *testing.T) {
			var vs []Version
			for _, c := range readComparisons(t, name) {
				vs = append(vs, mustParse(t, e, c.a), mustParse(t, e, c.b))
			}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for _, a := range vs {
						for _, b := range vs {
							a.Compare(b)
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestCompareMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("comparing an npm and a PyPI version did not panic")
		}
	}()
	a := mustParse(t, ecosystem.NPM, "1.0.0")
	b := mustParse(t, ecosystem.PyPI, "1.0.0")
	a.Compare(b)
}

// benchVersions are typical versions of each ecosystem: three plain ones,
// then three others.
var benchVersions = map[ecosystem.Ecosystem][]string{
	ecosystem.NPM:      {"1.2.3", "4.17.21", "0.0.1", "v2.0.0", "1.0.0-beta.11", "3.0.0-rc.1+build.5"},
	ecosystem.PyPI:     {"1.0", "2.31.0", "0.9.1", "1.0rc1", "1.0.post1", "1!2.0.dev3+local.1"},
	ecosystem.Go:       {"1.2.3", "v1.2.3", "v0.0.0-20191109021931-daa7c04131f5", "v2.0.0+incompatible", "v1.2.4-pre", "0.17.0"},
	ecosystem.Maven:    {"1.0", "2.13.4.2", "2.17.1", "1.0-SNAPSHOT", "5.3.18.RELEASE", "31.1-jre"},
	ecosystem.NuGet:    {"1.0.0", "13.0.1", "4.7.2.1", "1.0.0-beta", "6.0.0-preview.7.21377.19", "1.0.0-rc.1+meta"},
	ecosystem.RubyGems: {"1.0", "7.0.4.1", "1.13.10", "7.0.0.alpha1", "1.0.0-rc1", "2.0.0.beta.2"},
	ecosystem.CratesIO: {"1.0.0", "0.4.20", "1.18.4", "1.0.0-alpha.1", "0.11.0+wasi-snapshot-preview1", "0.3.0-pre"},
}

func BenchmarkParse(b *testing.B) {
	for e, vs := range benchVersions {
		b.Run(string(e), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := Parse(e, vs[i%len(vs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	for e, vs := range benchVersions {
		b.Run(string(e), func(b *testing.B) {
			parsed := make([]Version, len(vs))
			for i, s := range vs {
				v, err := Parse(e, s)
				if err != nil {
					b.Fatal(err)
				}
				parsed[i] = v
			}
			for i := 0; b.Loop(); i++ {
				parsed[i%len(parsed)].Compare(parsed[(i+1)%len(parsed)])
			}
		})
	}
}

// BenchmarkCanonical times plain versions ("1.2.3"), which take a fast path,
// apart from the others (benchVersions[e][3:]).
func BenchmarkCanonical(b *testing.B) {
	for e, vs := range benchVersions {
		for _, kind := range []struct {
			name string
			vs   []string
		}{{"plain", vs[:3]}, {"other", vs[3:]}} {
			b.Run(string(e)+"/"+kind.name, func(b *testing.B) {
				for i := 0; b.Loop(); i++ {
					Canonical(e, kind.vs[i%len(kind.vs)])
				}
			})
		}
	}
}
