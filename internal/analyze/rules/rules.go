// Package rules holds sapper's built-in analysis rules and loads a user's.
//
// Most rules are data: one YAML file per rule in builtin/ (the format is
// described in README.md), embedded in the binary and run together by one
// pattern engine with a single literal prefilter pass per file. Detectors
// that patterns cannot express (entropy, invisible Unicode, blobs that
// decode to code, obfuscated identifiers, misplaced minified code, native
// binaries) are Go code, listed in Default.
package rules

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/sapperhq/sapper/internal/analyze"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Default returns the built-in rules: the YAML rules of builtin/ as one
// pattern set, then the Go detectors.
func Default() ([]analyze.Rule, error) {
	set, err := loadFS("builtin", builtinFS, "builtin")
	if err != nil {
		return nil, fmt.Errorf("built-in rules: %w", err)
	}
	return append([]analyze.Rule{set}, detectors()...), nil
}

// detectors lists the Go-coded rules.
func detectors() []analyze.Rule {
	return []analyze.Rule{
		newInvisibleUnicode(),
		newHighEntropy(),
		newEncodedCode(),
		newObfuscatedJS(),
		newMisplacedMinified(),
		newNativeBinary(),
		newGoInit(),
		newImageTrailer(),
		newManifestMismatch(),
	}
}

// Load reads the rules in dir (every *.yaml and *.yml file in it, not its
// subdirectories), validates them — unknown keys, bad regular expressions,
// missing fields and tests are errors naming the file and line — and runs
// each rule's own test cases, so that a rule that does not find what it
// says it finds is an error too.
func Load(dir string) ([]analyze.Rule, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	defer root.Close()
	set, err := loadFS("rules", root.FS(), ".")
	if err != nil {
		return nil, fmt.Errorf("load rules from %s: %w", dir, err)
	}
	if err := set.selfTest(context.Background()); err != nil {
		return nil, fmt.Errorf("load rules from %s: %w", dir, err)
	}
	return []analyze.Rule{set}, nil
}

func loadFS(name string, fsys fs.FS, dir string) (*patternSet, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var rs []*patternRule
	for _, e := range ents {
		ext := path.Ext(e.Name())
		if !e.Type().IsRegular() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		p := path.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		if info.Size() > MaxRuleFileBytes {
			return nil, fmt.Errorf("%s: rule file is larger than %d bytes", e.Name(), MaxRuleFileBytes)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		r, err := parseRule(e.Name(), data)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("no rule files (*.yaml) in %s", dir)
	}
	slices.SortFunc(rs, func(a, b *patternRule) int { return strings.Compare(a.id, b.id) })
	return newPatternSet(name, rs)
}

// selfTest runs every rule's test cases through the whole set: a positive
// case must produce a finding of its rule, a negative case must not.
func (s *patternSet) selfTest(ctx context.Context) error {
	for _, r := range s.rules {
		for i, f := range r.positive {
			if !hasRule(ctx, s, f, r.id) {
				return fmt.Errorf("%s: rule %s: tests.positive[%d] (%s) is not found", r.source, r.id, i, f.Path)
			}
		}
		for i, f := range r.negative {
			if hasRule(ctx, s, f, r.id) {
				return fmt.Errorf("%s: rule %s: tests.negative[%d] (%s) is found", r.source, r.id, i, f.Path)
			}
		}
	}
	return nil
}

func hasRule(ctx context.Context, s *patternSet, f analyze.File, id string) bool {
	fs, _ := s.Check(ctx, f)
	for _, fd := range fs {
		if fd.Rule == id {
			return true
		}
	}
	return false
}
