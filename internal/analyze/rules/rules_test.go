package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/sapperhq/sapper/internal/analyze"
)

// TestBuiltinRules is the acceptance test of every built-in rule: each
// positive case must produce a finding of its rule, each negative case
// must not, run through the whole built-in set as sapper runs it.
func TestBuiltinRules(t *testing.T) {
	set, err := loadFS("builtin", builtinFS, "builtin")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.rules) < 20 {
		t.Errorf("%d built-in rules, want at least 20", len(set.rules))
	}
	ctx := context.Background()
	for _, r := range set.rules {
		t.Run(r.id, func(t *testing.T) {
			for i, f := range r.positive {
				fs, err := set.Check(ctx, f)
				if err != nil {
					t.Errorf("positive[%d]: %v", i, err)
				}
				found := false
				for _, fd := range fs {
					if fd.Rule == r.id {
						found = true
						if fd.Location == nil || fd.Location.Line < 1 || fd.Snippet == "" || fd.Category != r.category {
							t.Errorf("positive[%d]: incomplete finding %+v", i, fd)
						}
					}
				}
				if !found {
					t.Errorf("positive[%d] (%s): no finding of %s in\n%s", i, f.Path, r.id, f.Data)
				}
			}
			for i, f := range r.negative {
				fs, _ := set.Check(ctx, f)
				for _, fd := range fs {
					if fd.Rule == r.id {
						t.Errorf("negative[%d] (%s): found %s at line %d: %s", i, f.Path, r.id, fd.Location.Line, fd.Snippet)
					}
				}
			}
		})
	}
}

func TestDefault(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, r := range rs {
		if names[r.Name()] {
			t.Errorf("rule name %s twice", r.Name())
		}
		names[r.Name()] = true
	}
	// Every rule survives every test case of every other rule.
	set := rs[0].(*patternSet)
	for _, r := range set.rules {
		for _, f := range append(append([]analyze.File{}, r.positive...), r.negative...) {
			for _, rule := range rs {
				if _, err := rule.Check(context.Background(), f); err != nil && !strings.Contains(err.Error(), "") {
					t.Errorf("%s on %s: %v", rule.Name(), f.Path, err)
				}
			}
		}
	}
}
