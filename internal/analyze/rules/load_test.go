package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sapperhq/sapper/internal/analyze"
)

const goodRule = `id: my-rule
category: network
severity: medium
description: a test rule
kinds: [javascript]
literals: ['example.invalid']
patterns:
  - 'https://[\w.]*example\.invalid'
tests:
  positive:
    - content: 'fetch("https://x.example.invalid")'
  negative:
    - content: 'fetch("https://example.test")'
`

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		rule    string
		wantErr string // substring; "" for success
	}{
		{"good", goodRule, ""},
		{"unknown key", strings.Replace(goodRule, "kinds:", "kindz:", 1), "r.yaml: line 5: field kindz not found"},
		{"bad regexp", strings.Replace(goodRule, `'https://[\w.]*example\.invalid'`, `'https://(example'`, 1), "r.yaml:8: patterns: error parsing regexp"},
		{"missing tests", goodRule[:strings.Index(goodRule, "tests:")], "r.yaml: every rule needs tests"},
		{"no negative", goodRule[:strings.Index(goodRule, "  negative:")], "r.yaml:9: every rule needs tests"},
		{"bad severity", strings.Replace(goodRule, "severity: medium", "severity: huge", 1), "r.yaml:3: severity \"huge\""},
		{"unknown kind", strings.Replace(goodRule, "[javascript]", "[cobol]", 1), "r.yaml:5: unknown kind \"cobol\""},
		{"short literal", strings.Replace(goodRule, "'example.invalid'", "'ex'", 1), "r.yaml:6: literal \"ex\""},
		{"bad id", strings.Replace(goodRule, "my-rule", "My Rule", 1), "r.yaml:1: id \"My Rule\""},
		{"failing positive", strings.Replace(goodRule, `'fetch("https://x.example.invalid")'`, `'nothing.example.invalid'`, 1), "rule my-rule: tests.positive[0]"},
		{"failing negative", strings.Replace(goodRule, `'fetch("https://example.test")'`, `'"https://example.invalid"'`, 1), "rule my-rule: tests.negative[0]"},
		{"not yaml", "id: [", "r.yaml: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(tt.rule), 0o644); err != nil {
				t.Fatal(err)
			}
			rs, err := Load(dir)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				fs, _ := rs[0].Check(context.Background(), analyze.File{Path: "a.js", Kind: analyze.JavaScript, Data: []byte("\n\nget('https://api.example.invalid/x')")})
				if len(fs) != 1 || fs[0].Rule != "my-rule" || fs[0].Location.Line != 3 {
					t.Errorf("findings = %+v, want one of my-rule on line 3", fs)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadDuplicateID(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.yaml", "b.yml"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(goodRule), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `rule id "my-rule" is also used`) {
		t.Errorf("Load error = %v, want a duplicate id", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load of a missing directory: no error")
	}
}

// TestACMatcher checks the prefilter against a naive search.
func TestACMatcher(t *testing.T) {
	lits := []string{"he", "she", "his", "hers", "HERS", "child_process", "a"[:0] + "xyz"}
	m := newACMatcher(lits)
	text := "ushers said she was HIS; Child_Process xyzxyz"
	type hit struct{ lit, end int }
	var got []hit
	m.scan([]byte(text), func(l, end int) { got = append(got, hit{l, end}) })
	var want []hit
	lower := strings.ToLower(text)
	for end := 1; end <= len(text); end++ {
		for l, lit := range lits {
			ll := strings.ToLower(lit)
			if end >= len(ll) && lower[end-len(ll):end] == ll {
				want = append(want, hit{l, end})
			}
		}
	}
	key := func(hs []hit) map[hit]bool {
		m := map[hit]bool{}
		for _, h := range hs {
			m[h] = true
		}
		return m
	}
	if len(got) != len(want) {
		t.Fatalf("got %d hits %v, want %d %v", len(got), got, len(want), want)
	}
	g := key(got)
	for _, h := range want {
		if !g[h] {
			t.Errorf("missing hit %+v", h)
		}
	}
}
