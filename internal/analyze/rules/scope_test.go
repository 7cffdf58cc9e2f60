package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/analyze"
)

// scopeRule is a rule file with the kinds, in, literal and pattern
// filled in by fmt.Sprintf.
const scopeRule = `id: test-rule
category: dynamic-code
severity: high
description: a test rule
kinds: [%s]
%s
literals: ['%s']
patterns: ['%s']
tests:
  positive: [{content: x}]
  negative: [{content: y}]
`

func TestRuleScope(t *testing.T) {
	tests := []struct {
		kinds, in string
		want      scope
		wantErr   string
	}{
		{"javascript, python", "", scopeCodeAndStrings, ""},
		{"rust, batch, shell", "", scopeCodeAndStrings, ""}, // code kinds, some without a lexer
		{"javascript, manifest", "", scopeAny, ""},
		{"text", "", scopeAny, ""},
		{"javascript", "in: code", scopeCode, ""},
		{"javascript", "in: any", scopeAny, ""},
		{"manifest", "in: code-and-strings", scopeCodeAndStrings, ""},
		{"javascript", "in: sometimes", 0, `r.yaml:6: in "sometimes": want code, code-and-strings or any`},
	}
	for _, tt := range tests {
		t.Run(tt.kinds+"/"+tt.in, func(t *testing.T) {
			r, err := parseRule("r.yaml", fmt.Appendf(nil, scopeRule, tt.kinds, tt.in, "eval", `eval\(`))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.scope != tt.want {
				t.Errorf("scope = %d, want %d", r.scope, tt.want)
			}
		})
	}
	r, err := parseRule("r.yaml", []byte("id: test-rule\ncategory: c\nseverity: low\ndescription: d\npaths: [setup.py]\nliterals: [abc]\npatterns: [abc]\ntests: {positive: [{content: x}], negative: [{content: y}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r.scope != scopeAny {
		t.Errorf("a rule with paths only: scope %d, want any", r.scope)
	}
}

// TestScope runs rules of each scope over code, comments and strings.
func TestScope(t *testing.T) {
	type rule struct{ kinds, in, literal, pattern string }
	eval := rule{"javascript, python", "", "eval", `\beval\s*\(\s*atob\(`}
	evalCode := rule{"javascript, python", "in: code", "eval", `\beval\s*\(\s*atob\(`}
	evalAny := rule{"javascript, python", "in: any", "eval", `\beval\s*\(\s*atob\(`}
	unref := rule{"javascript", "", "unref", `\bspawn\s*\([^;]{0,300}\)\s*\.unref\s*\(\s*\)`}
	unrefCode := rule{"javascript", "in: code", "unref", `\bspawn\s*\([^;]{0,300}\)\s*\.unref\s*\(\s*\)`}
	get := rule{"python", "in: code", "requests.", `requests\.get\(f["'']`} // '' is a quote in YAML
	tests := []struct {
		name string
		rule rule
		path string
		src  string
		want []int // lines of findings
	}{
		{"code", eval, "a.js", "x = 1\neval(atob(y))", []int{2}},
		{"line-comment", eval, "a.js", "// eval(atob(y))", nil},
		{"block-comment", eval, "a.js", "/*\n eval(atob(y)) */", nil},
		{"string-in-default", eval, "a.js", `s = "eval(atob(y))"`, []int{1}},
		{"string-in-code", evalCode, "a.js", `throw new Error("do not eval(atob(y))")`, nil},
		{"template-code-in-code", evalCode, "a.js", "s = `${eval(atob(y))}`", []int{1}},
		{"comment-in-any", evalAny, "a.js", "// eval(atob(y))", []int{1}},
		{"comment-inside-code", evalCode, "a.js", "eval/* x */(atob(y))", []int{1}},
		{"python-comment", eval, "a.py", "# eval(atob(y))\n", nil},
		{"python-docstring", get, "a.py", "def f():\n    \"\"\"Call requests.get(f\"{u}\").\"\"\"\n", nil},
		{"python-code", get, "a.py", "requests.get(f\"https://x.invalid/{d}\")", []int{1}},
		{"no-lexer", eval, "a.txt", "// eval(atob(y))", nil}, // not a kind of the rule
		{"jsx-is-code", eval, "a.jsx", "// eval(atob(y))", []int{1}},
		{"comment-prefix-cannot-swallow", unref, "a.js", "/* spawn( */ spawn(x).unref()", []int{1}},
		{"string-prefix-cannot-swallow", unrefCode, "a.js", `x = "spawn(", spawn(y).unref()`, []int{1}},
		{"comments-do-not-use-the-quota", eval, "a.js", strings.Repeat("// eval(atob(y))\n", 25) + "eval(atob(z))", []int{26}},
		{"strings-do-not-use-the-quota", evalCode, "a.js", strings.Repeat("'eval(atob(y))'\n", 25) + "eval(atob(z))", []int{26}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseRule("r.yaml", fmt.Appendf(nil, scopeRule, tt.rule.kinds, tt.rule.in, tt.rule.literal, tt.rule.pattern))
			if err != nil {
				t.Fatal(err)
			}
			s, err := newPatternSet("test", []*patternRule{r})
			if err != nil {
				t.Fatal(err)
			}
			f := analyze.File{Path: tt.path, Kind: kindByExt(tt.path), Data: []byte(tt.src)}
			fs, err := s.Check(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, fd := range fs {
				got = append(got, fd.Location.Line)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("finding lines in\n%s\n(-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

// TestScopeAll checks that every "all" pattern must match in scope.
func TestScopeAll(t *testing.T) {
	rule := "id: test-rule\ncategory: c\nseverity: low\ndescription: d\nkinds: [javascript]\nin: code\nliterals: [foo, bar]\nall: ['\\bfoo\\(', '\\bbar\\(']\ntests: {positive: [{content: x}], negative: [{content: y}]}\n"
	r, err := parseRule("r.yaml", []byte(rule))
	if err != nil {
		t.Fatal(err)
	}
	s, err := newPatternSet("test", []*patternRule{r})
	if err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]int{
		"foo()\nbar()":          1,
		"foo()\n// bar()":       0,
		"foo()\n'bar()'":        0,
		"'foo()'; foo()\nbar()": 1,
	} {
		fs, _ := s.Check(context.Background(), analyze.File{Path: "a.js", Kind: analyze.JavaScript, Data: []byte(src)})
		if len(fs) != want {
			t.Errorf("%q: %d findings, want %d", src, len(fs), want)
		}
	}
}

func kindByExt(p string) analyze.Kind {
	switch {
	case strings.HasSuffix(p, ".py"):
		return analyze.Python
	case strings.HasSuffix(p, ".txt"):
		return analyze.Text
	}
	return analyze.JavaScript
}

// TestWordLiterals checks that a rule with "word: true" ignores a literal
// inside a longer identifier, even when its pattern alone would match.
func TestWordLiterals(t *testing.T) {
	for _, tt := range []struct {
		word bool
		code string
		want bool
	}{
		{true, "new Function(code)", true},
		{true, "x.Function(code)", true},
		{true, "isFunction(code)", false},
		{false, "isFunction(code)", true},
	} {
		y := fmt.Sprintf("id: word-rule\ncategory: dynamic-code\nseverity: low\ndescription: d\nkinds: [javascript]\nin: any\nword: %v\n"+
			"literals: ['Function(']\npatterns: ['Function\\(']\ntests: {positive: [{content: 'Function(x)'}], negative: [{content: y}]}\n", tt.word)
		r, err := parseRule("r.yaml", []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		set, err := newPatternSet("t", []*patternRule{r})
		if err != nil {
			t.Fatal(err)
		}
		fs, _ := set.Check(t.Context(), analyze.File{Path: "a.js", Kind: analyze.JavaScript, Data: []byte(tt.code)})
		if got := len(fs) > 0; got != tt.want {
			t.Errorf("word %v, %q: found %v, want %v", tt.word, tt.code, got, tt.want)
		}
	}
}
