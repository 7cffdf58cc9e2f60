package rules

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// MaxRuleFileBytes is the largest rule file read.
const MaxRuleFileBytes = 1 << 20

// ruleFile is one rule as written in YAML (see README.md).
type ruleFile struct {
	ID          string   `yaml:"id"`
	Category    string   `yaml:"category"`
	Severity    string   `yaml:"severity"`
	Description string   `yaml:"description"`
	Kinds       []string `yaml:"kinds"`
	Paths       []string `yaml:"paths"`
	Literals    []string `yaml:"literals"`
	IgnoreCase  bool     `yaml:"ignore_case"`
	Word        bool     `yaml:"word"`
	Patterns    []string `yaml:"patterns"`
	All         []string `yaml:"all"`
	Exclude     []string `yaml:"exclude"`
	In          string   `yaml:"in"`
	Tests       struct {
		Positive []testCase `yaml:"positive"`
		Negative []testCase `yaml:"negative"`
	} `yaml:"tests"`
}

type testCase struct {
	Kind    string `yaml:"kind"`
	Path    string `yaml:"path"`
	Content string `yaml:"content"`
}

// patternRule is a compiled rule file.
type patternRule struct {
	id, category, description string
	severity                  finding.Severity
	kinds                     map[analyze.Kind]bool
	firstKind                 analyze.Kind
	paths                     []string
	literals                  []string
	ignoreCase                bool
	word                      bool // literals count only at the start of a word
	patterns, all, exclude    []*regexp.Regexp
	scope                     scope // where matches count: the rule's "in"
	positive, negative        []analyze.File
	source                    string // file name, for errors
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)

var knownKinds = map[analyze.Kind]bool{
	analyze.JavaScript: true, analyze.Python: true, analyze.PTH: true, analyze.Go: true,
	analyze.Ruby: true, analyze.Rust: true, analyze.Shell: true, analyze.PowerShell: true,
	analyze.Batch: true, analyze.Manifest: true, analyze.Binary: true, analyze.Text: true,
}

// errorAt formats an error naming the rule file and line.
func errorAt(name string, line int, format string, args ...any) error {
	if line > 0 {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
}

// parseRule decodes and validates one rule file. name is used in errors.
func parseRule(name string, data []byte) (*patternRule, error) {
	if len(data) > MaxRuleFileBytes {
		return nil, errorAt(name, 0, "rule file is larger than %d bytes", MaxRuleFileBytes)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errorAt(name, 0, "want a YAML mapping with id, category, severity, ...")
	}
	top := doc.Content[0]
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var rf ruleFile
	if err := dec.Decode(&rf); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %s", name, strings.Join(te.Errors, "; "))
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	line := func(key string, idx int) int { return nodeLine(top, key, idx) }

	r := &patternRule{id: rf.ID, category: rf.Category, description: strings.TrimSpace(rf.Description), source: name}
	switch {
	case !idRE.MatchString(rf.ID):
		return nil, errorAt(name, line("id", -1), "id %q: want lower-case letters, digits and dashes", rf.ID)
	case rf.Category == "":
		return nil, errorAt(name, line("category", -1), "missing category")
	case r.description == "":
		return nil, errorAt(name, line("description", -1), "missing description")
	}
	sev, err := finding.ParseSeverity(rf.Severity)
	if err != nil || sev == finding.SeverityUnknown {
		return nil, errorAt(name, line("severity", -1), "severity %q: want low, medium, high or critical", rf.Severity)
	}
	r.severity = sev
	for i, k := range rf.Kinds {
		if !knownKinds[analyze.Kind(k)] {
			return nil, errorAt(name, line("kinds", i), "unknown kind %q", k)
		}
		if r.kinds == nil {
			r.kinds = map[analyze.Kind]bool{}
			r.firstKind = analyze.Kind(k)
		}
		r.kinds[analyze.Kind(k)] = true
	}
	for i, p := range rf.Paths {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return nil, errorAt(name, line("paths", i), "bad path glob %q", p)
		}
	}
	r.paths = rf.Paths
	if len(rf.Literals) == 0 {
		return nil, errorAt(name, line("literals", -1), "missing literals: every rule needs at least one")
	}
	for i, l := range rf.Literals {
		if len(l) < 3 {
			return nil, errorAt(name, line("literals", i), "literal %q is shorter than 3 bytes", l)
		}
	}
	r.literals = rf.Literals
	r.ignoreCase = rf.IgnoreCase
	r.word = rf.Word
	if len(rf.Patterns) == 0 && len(rf.All) == 0 {
		return nil, errorAt(name, line("patterns", -1), "missing patterns (or all)")
	}
	compile := func(key string, srcs []string) ([]*regexp.Regexp, error) {
		var out []*regexp.Regexp
		for i, s := range srcs {
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, errorAt(name, line(key, i), "%s: %v", key, err)
			}
			out = append(out, re)
		}
		return out, nil
	}
	if r.patterns, err = compile("patterns", rf.Patterns); err != nil {
		return nil, err
	}
	if r.all, err = compile("all", rf.All); err != nil {
		return nil, err
	}
	if r.exclude, err = compile("exclude", rf.Exclude); err != nil {
		return nil, err
	}
	if r.scope, err = ruleScope(rf.In, r.kinds); err != nil {
		return nil, errorAt(name, line("in", -1), "%v", err)
	}
	if len(rf.Tests.Positive) == 0 || len(rf.Tests.Negative) == 0 {
		return nil, errorAt(name, line("tests", -1), "every rule needs tests: at least one positive and one negative case")
	}
	for _, set := range []struct {
		key   string
		cases []testCase
		out   *[]analyze.File
	}{{"positive", rf.Tests.Positive, &r.positive}, {"negative", rf.Tests.Negative, &r.negative}} {
		for i, tc := range set.cases {
			f, err := r.testFile(tc)
			if err != nil {
				return nil, errorAt(name, testLine(top, set.key, i), "tests.%s[%d]: %v", set.key, i, err)
			}
			*set.out = append(*set.out, f)
		}
	}
	return r, nil
}

// ruleScope reads a rule's "in". Without one, a rule whose kinds are all
// code kinds looks at code and strings (not comments), and any other rule
// (one with manifest, text or binary kinds, or with paths only) looks
// everywhere. An explicit "in" is allowed on any rule: it applies to the
// files that have a lexer (see lexSpans), whichever rule finds them, so a
// rule for setup.py by path can still skip its comments.
func ruleScope(in string, kinds map[analyze.Kind]bool) (scope, error) {
	if in != "" {
		s, ok := scopeNames[in]
		if !ok {
			return 0, fmt.Errorf("in %q: want code, code-and-strings or any", in)
		}
		return s, nil
	}
	if len(kinds) == 0 {
		return scopeAny, nil
	}
	for k := range kinds {
		if !codeKinds[k] {
			return scopeAny, nil
		}
	}
	return scopeCodeAndStrings, nil
}

// testFile turns a test case into a File: the kind defaults to the rule's
// first kind, and the path to "test".
func (r *patternRule) testFile(tc testCase) (analyze.File, error) {
	k := analyze.Kind(tc.Kind)
	if k == "" {
		k = r.firstKind
	}
	if k == "" {
		k = analyze.Text
	}
	if !knownKinds[k] {
		return analyze.File{}, fmt.Errorf("unknown kind %q", tc.Kind)
	}
	p := tc.Path
	if p == "" {
		p = "test"
	}
	if tc.Content == "" {
		return analyze.File{}, fmt.Errorf("missing content")
	}
	return analyze.File{Path: p, Kind: k, Data: []byte(tc.Content), Size: int64(len(tc.Content))}, nil
}

// nodeLine finds the line of key in a mapping, or of its idx-th item when
// idx >= 0 and the value is a sequence; 0 when it is not there.
func nodeLine(m *yaml.Node, key string, idx int) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		v := m.Content[i+1]
		if idx >= 0 && v.Kind == yaml.SequenceNode && idx < len(v.Content) {
			return v.Content[idx].Line
		}
		return m.Content[i].Line
	}
	return 0
}

func testLine(top *yaml.Node, key string, idx int) int {
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "tests" {
			if l := nodeLine(top.Content[i+1], key, idx); l > 0 {
				return l
			}
			return top.Content[i].Line
		}
	}
	return 0
}

// applies reports whether the rule looks at f: its kind is one of the
// rule's kinds, or its path matches one of the rule's globs (a glob
// without "/" matches the base name). A rule with neither looks at every
// file that is not binary.
func (r *patternRule) applies(f *analyze.File) bool {
	if len(r.kinds) == 0 && len(r.paths) == 0 {
		return f.Kind != analyze.Binary
	}
	if r.kinds[f.Kind] {
		return true
	}
	return matchPath(r.paths, f.Path)
}

func matchPath(globs []string, p string) bool {
	base := path.Base(p)
	for _, g := range globs {
		target := p
		if !strings.Contains(g, "/") {
			target = base
		}
		if ok, _ := path.Match(g, target); ok {
			return true
		}
	}
	return false
}
