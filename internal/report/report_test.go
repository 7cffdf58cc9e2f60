package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/sapperhq/sapper/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenFormats are the outputs each testdata/*.txtar case holds, one file
// per format, next to its input report.json.
var goldenFormats = []struct {
	file   string
	format string
	opts   Options
}{
	{"table", "table", Options{}},
	{"table-color", "table", Options{Color: true}},
	{"json", "json", Options{}},
	{"sarif", "sarif", Options{Version: "1.2.3"}},
	{"markdown", "markdown", Options{}},
}

// goldenCase is one testdata/*.txtar file.
type goldenCase struct {
	name    string
	path    string
	archive *txtar.Archive
	report  *Report
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no testdata/*.txtar cases")
	}
	var cases []goldenCase
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar"), path: p, archive: a}
		for _, f := range a.Files {
			if f.Name == "report.json" {
				dec := json.NewDecoder(bytes.NewReader(f.Data))
				dec.DisallowUnknownFields()
				c.report = new(Report)
				if err := dec.Decode(c.report); err != nil {
					t.Fatalf("%s: report.json: %v", p, err)
				}
			}
		}
		if c.report == nil {
			t.Fatalf("%s: no report.json", p)
		}
		cases = append(cases, c)
	}
	return cases
}

func render(t *testing.T, format string, opts Options, r *Report) string {
	t.Helper()
	w, err := ForFormat(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			if *update {
				files := []txtar.File{{Name: "report.json", Data: file(c.archive, "report.json")}}
				for _, g := range goldenFormats {
					files = append(files, txtar.File{Name: g.file, Data: []byte(render(t, g.format, g.opts, c.report))})
				}
				c.archive.Files = files
				if err := os.WriteFile(c.path, txtar.Format(c.archive), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for _, g := range goldenFormats {
				t.Run(g.file, func(t *testing.T) {
					want := string(file(c.archive, g.file))
					got := render(t, g.format, g.opts, c.report)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("%s: %s output (-want +got):\n%s", c.path, g.file, diff)
					}
				})
			}
		})
	}
}

func file(a *txtar.Archive, name string) []byte {
	for _, f := range a.Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}

// TestWritersKeepReport checks that no writer changes the report it is given.
func TestWritersKeepReport(t *testing.T) {
	for _, c := range goldenCases(t) {
		for _, g := range goldenFormats {
			t.Run(c.name+"/"+g.file, func(t *testing.T) {
				want, _ := json.Marshal(c.report)
				render(t, g.format, g.opts, c.report)
				got, _ := json.Marshal(c.report)
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("report changed (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestTableControlCharacters checks that nothing from a report reaches the
// terminal as a control character: only newlines, and with colour only the
// table's own SGR sequences.
func TestTableControlCharacters(t *testing.T) {
	sgr := strings.NewReplacer(sgrReset, "", sgrBold, "", sgrDim, "", sgrRed, "", sgrYellow, "")
	for _, c := range goldenCases(t) {
		for _, color := range []bool{false, true} {
			out := render(t, "table", Options{Color: color}, c.report)
			if color {
				out = sgr.Replace(out)
			}
			for i, r := range out {
				if r != '\n' && (r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidi(r)) {
					t.Errorf("%s (color %v): control character %U at byte %d in %q", c.name, color, r, i, out)
				}
			}
		}
	}
}

func TestEmptyJSON(t *testing.T) {
	got := render(t, "json", Options{}, &Report{PackagesScanned: 2})
	want := "{\n  \"schema_version\": \"1\",\n  \"packages_scanned\": 2,\n  \"findings\": [],\n  \"errors\": []\n}\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestForFormat(t *testing.T) {
	tests := []struct {
		format string
		opts   Options
		want   Writer
	}{
		{"", Options{}, Table{}},
		{"table", Options{Color: true}, Table{Color: true}},
		{"json", Options{Color: true}, JSON{}},
		{"sarif", Options{Tool: "sapper-ci", Version: "1.0.0"}, SARIF{Tool: "sapper-ci", Version: "1.0.0"}},
		{"markdown", Options{}, Markdown{}},
	}
	for _, tt := range tests {
		t.Run("format="+tt.format, func(t *testing.T) {
			got, err := ForFormat(tt.format, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ForFormat(%q) (-want +got):\n%s", tt.format, diff)
			}
		})
	}
	for _, format := range []string{"xml", "TABLE", "md", "sarif "} {
		if _, err := ForFormat(format, Options{}); err == nil {
			t.Errorf("ForFormat(%q): no error", format)
		}
	}
}

func TestSummary(t *testing.T) {
	mal := finding.Finding{Kind: finding.Malicious, Severity: finding.SeverityCritical}
	vuln := finding.Finding{Kind: finding.Vulnerable, Severity: finding.SeverityHigh}
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"none", Report{PackagesScanned: 2}, "2 packages checked: no known malicious or vulnerable versions"},
		{"one", Report{PackagesScanned: 1, Findings: []finding.Finding{vuln}}, "1 package checked: 1 finding"},
		{"malicious", Report{PackagesScanned: 11, Findings: []finding.Finding{mal, mal, vuln}}, "11 packages checked: 3 findings (2 malicious)"},
		{"errors", Report{Errors: make([]InputError, 3)}, "0 packages checked: no known malicious or vulnerable versions, 3 errors"},
		{"ignored", Report{PackagesScanned: 4, Findings: []finding.Finding{mal}, Ignored: 2, Errors: make([]InputError, 1)},
			"4 packages checked: 1 finding (1 malicious), 2 ignored, 1 error"},
		{"ignored-only", Report{PackagesScanned: 4, Ignored: 1}, "4 packages checked: no known malicious or vulnerable versions, 1 ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summary(&tt.r)); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSort(t *testing.T) {
	f := func(kind finding.Kind, sev finding.Severity, name, path string, line int) finding.Finding {
		out := finding.Finding{Kind: kind, Severity: sev, Package: finding.Package{Ecosystem: "npm", Name: name, Version: "1.0.0"}}
		if path != "" {
			out.Location = &finding.Location{Path: path, Line: line}
		}
		return out
	}
	in := []finding.Finding{
		f(finding.Vulnerable, finding.SeverityLow, "a", "", 0),
		f(finding.Vulnerable, finding.SeverityCritical, "b", "", 0),
		f(finding.Malicious, finding.SeverityUnknown, "c", "", 0),
		f(finding.Malicious, finding.SeverityCritical, "d", "y.json", 2),
		f(finding.Malicious, finding.SeverityCritical, "d", "x.json", 9),
		f(finding.Malicious, finding.SeverityCritical, "d", "x.json", 3),
	}
	Sort(in)
	var got []string
	for _, x := range in {
		got = append(got, x.Package.Name+" "+findingPath(x)+":"+strconv.Itoa(findingLine(x)))
	}
	want := []string{"d x.json:3", "d x.json:9", "d y.json:2", "c :0", "b :0", "a :0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sort (-want +got):\n%s", diff)
	}
}

func TestGroupByFile(t *testing.T) {
	f := func(kind finding.Kind, sev finding.Severity, name, path string) finding.Finding {
		out := finding.Finding{Kind: kind, Severity: sev, Package: finding.Package{Ecosystem: "npm", Name: name}}
		if path != "" {
			out.Location = &finding.Location{Path: path}
		}
		return out
	}
	fs := []finding.Finding{
		f(finding.Malicious, finding.SeverityCritical, "m1", "z/package-lock.json"),
		f(finding.Vulnerable, finding.SeverityCritical, "v1", "a/package-lock.json"),
		f(finding.Vulnerable, finding.SeverityCritical, "v2", "b/package-lock.json"),
		f(finding.Vulnerable, finding.SeverityHigh, "v3", "z/package-lock.json"),
		f(finding.Vulnerable, finding.SeverityLow, "v4", ""),
		f(finding.Vulnerable, finding.SeverityLow, "v5", "c/package-lock.json"),
	}
	var got []string
	for _, g := range groupByFile(fs) {
		var names []string
		for _, l := range g.lines {
			names = append(names, l.cells[colName])
		}
		got = append(got, g.path+": "+strings.Join(names, " "))
	}
	want := []string{
		": v4",
		"z/package-lock.json: m1 v3",
		"a/package-lock.json: v1",
		"b/package-lock.json: v2",
		"c/package-lock.json: v5",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groupByFile (-want +got):\n%s", diff)
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain text", "plain text"},
		{"  two\nlines\r\n\tand tabs  ", "two lines and tabs"},
		{"red \x1b[31mtext\x1b[0m", `red \x1b[31mtext\x1b[0m`},
		{"title \x1b]0;pwned\x07", `title \x1b]0;pwned\x07`},
		{"del\x7f c1\u009b31m", `del\x7f c1\u009b31m`},
		{"bidi \u202egnp.exe \u2066x\u2069", `bidi \u202egnp.exe \u2066x\u2069`},
		{"invalid \xff utf-8", "invalid \ufffd utf-8"},
		{"unicode ünïcødé 日本", "unicode ünïcødé 日本"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, clean(tt.in)); diff != "" {
			t.Errorf("clean(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"text-plain", mdText, "Malicious code in web3.js (npm)", "Malicious code in web3.js (npm)"},
		{"text-pipe", mdText, "a | b", `a \| b`},
		{"text-backslash-pipe", mdText, `a \| b`, `a \\\| b`},
		{"text-html", mdText, `<script>alert("x")</script> & co`, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"},
		{"text-entity", mdText, "&lt;b&gt;", "&amp;lt;b&amp;gt;"},
		{"text-link", mdText, "[x](http://e) ![i](http://e/i)", `\[x\](http://e) \!\[i\](http://e/i)`},
		{"text-emphasis", mdText, "*a* _b_ ~~c~~ `d` $e$ #1", "\\*a\\* \\_b\\_ \\~\\~c\\~\\~ \\`d\\` \\$e\\$ \\#1"},
		{"text-newline", mdText, "one\n\n# two", `one \# two`},
		{"code-plain", codeSpan, "@solana/web3.js", "`@solana/web3.js`"},
		{"code-empty", codeSpan, "", ""},
		{"code-backtick", codeSpan, "a`b", "`` a`b ``"},
		{"code-backticks", codeSpan, "``", "``` `` ```"},
		{"code-pipe", codeSpan, "a|b", "`a\\|b`"},
		{"code-html", codeSpan, "<b>&amp;", "`<b>&amp;`"},
		{"code-control", codeSpan, "a\x1b[2Jb\nc", "`a\\x1b[2Jb c`"},
		{"link", osvLink, "MAL-2024-11183", "[MAL-2024-11183](https://osv.dev/vulnerability/MAL-2024-11183)"},
		{"link-hostile", osvLink, "X) [y](http://evil", `X) \[y\](http://evil`},
		{"link-scheme", osvLink, "javascript:alert(1)", "javascript:alert(1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.fn(tt.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestMarkdownLimits checks that a large report still fits in a comment.
func TestMarkdownLimits(t *testing.T) {
	r := &Report{PackagesScanned: 1000}
	for i := range markdownRows + 5 {
		r.Findings = append(r.Findings, finding.Finding{Kind: finding.Vulnerable, Severity: finding.SeverityHigh,
			Package: finding.Package{Ecosystem: "npm", Name: "pkg" + strconv.Itoa(i), Version: "1.0.0"},
			IDs:     []string{"GHSA-xxxx-xxxx-xxxx"}, Summary: strings.Repeat("long summary ", 100)})
	}
	for range markdownNotes + 2 {
		r.Errors = append(r.Errors, InputError{Input: "x", Message: "bad"})
	}
	out := render(t, "markdown", Options{}, r)
	got := []int{strings.Count(out, "\n| **high** |"), strings.Count(out, "\n- error: "), len(out)}
	want := []int{markdownRows, markdownNotes, len(out)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows, errors listed (-want +got):\n%s", diff)
	}
	for _, s := range []string{"5 more findings not shown", "- and 2 more errors\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if len(out) > 65536 {
		t.Errorf("comment is %d bytes, more than GitHub takes", len(out))
	}
}
