package rules

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

const (
	// matchWindow is how far from a literal a pattern is searched: every
	// match must contain one of its rule's literals and be at most this
	// long. Bounding the window keeps regular expressions off the bulk
	// of a large bundle.
	matchWindow = 256
	// lineReach is how far a window is stretched to reach the start or
	// end of its line, so that ^ and $ in (?m) mode mean what they say.
	lineReach = 128
	// maxFindingsPerRule bounds the findings one rule reports in one file.
	maxFindingsPerRule = 10
)

// patternSet runs many pattern rules over a file with a single prefilter
// pass: one Aho-Corasick matcher over all the rules' literals (ignoring
// ASCII case; a hit is checked exactly for rules that do not set
// ignore_case) finds which rules can match and where; only those rules' regular expressions run,
// and only on windows around the literals' occurrences.
type patternSet struct {
	name    string
	rules   []*patternRule
	ac      *acMatcher
	litRule []int    // literal index -> rule index
	lits    []string // the literals, for case-sensitive rules
	// byKind lists, per kind, the rules that apply to every file of the
	// kind; pathRules are the rules that apply by path too, checked per
	// file. Looking rules up once per file keeps per-rule work off the
	// many small files of a package.
	byKind    map[analyze.Kind][]int
	pathRules []int
}

var _ analyze.Rule = (*patternSet)(nil)

func newPatternSet(name string, rs []*patternRule) (*patternSet, error) {
	s := &patternSet{name: name, rules: rs}
	seen := map[string]string{}
	for i, r := range rs {
		if prev, ok := seen[r.id]; ok {
			return nil, fmt.Errorf("%s: rule id %q is also used by %s", r.source, r.id, prev)
		}
		seen[r.id] = r.source
		for _, l := range r.literals {
			s.lits = append(s.lits, l)
			s.litRule = append(s.litRule, i)
		}
	}
	s.ac = newACMatcher(s.lits)
	s.byKind = map[analyze.Kind][]int{}
	for _, k := range analyze.Kinds {
		f := analyze.File{Kind: k}
		for i, r := range rs {
			if len(r.paths) == 0 && r.applies(&f) || r.kinds[k] {
				s.byKind[k] = append(s.byKind[k], i)
			}
		}
	}
	for i, r := range rs {
		if len(r.paths) > 0 {
			s.pathRules = append(s.pathRules, i)
		}
	}
	return s, nil
}

func (s *patternSet) Name() string { return s.name }

type span struct{ lo, hi int }

type match struct{ start, end int }

// Check implements analyze.Rule.
func (s *patternSet) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	return s.check(ctx, f, nil)
}

// check runs the rules over f; only is, when not nil, the one rule to run
// (for tests).
func (s *patternSet) check(ctx context.Context, f analyze.File, only *patternRule) ([]finding.Finding, error) {
	data := f.Data
	if len(data) == 0 {
		return nil, nil
	}
	applicable := make([]bool, len(s.rules))
	anyRule := false
	mark := func(i int) {
		if only == nil || s.rules[i] == only {
			applicable[i], anyRule = true, true
		}
	}
	for _, i := range s.byKind[f.Kind] {
		mark(i)
	}
	for _, i := range s.pathRules {
		if !applicable[i] && s.rules[i].applies(&f) {
			mark(i)
		}
	}
	if !anyRule {
		return nil, nil
	}
	windows := make([][]span, len(s.rules))
	s.ac.scan(data, func(lit, end int) {
		ri := s.litRule[lit]
		if !applicable[ri] {
			return
		}
		start := end - s.ac.lens[lit]
		if !s.rules[ri].ignoreCase && string(data[start:end]) != s.lits[lit] {
			return // the matcher ignores case; this rule does not
		}
		if s.rules[ri].word && start > 0 && identBytes[data[start-1]] {
			return // "isFunction(" is not "Function("
		}
		w := span{max(0, start-matchWindow), min(len(data), end+matchWindow)}
		ws := windows[ri]
		if n := len(ws); n > 0 && w.lo <= ws[n-1].hi {
			ws[n-1].lo = min(ws[n-1].lo, w.lo)
			ws[n-1].hi = max(ws[n-1].hi, w.hi)
			return
		}
		windows[ri] = append(ws, w)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []finding.Finding
	var errs []error
	lexed := &fileSpans{f: &f} // lexed when a rule first asks
	for i, ws := range windows {
		if len(ws) == 0 {
			continue
		}
		r := s.rules[i]
		fs, err := safeMatch(r, f, snapWindows(data, ws), lexed)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, fs...)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%w", joinErrs(errs))
	}
	return out, nil
}

func joinErrs(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	msg := errs[0].Error()
	for _, e := range errs[1:] {
		msg += "; " + e.Error()
	}
	return fmt.Errorf("%s", msg)
}

func safeMatch(r *patternRule, f analyze.File, ws []span, lexed *fileSpans) (fs []finding.Finding, err error) {
	defer func() {
		if p := recover(); p != nil {
			fs, err = nil, fmt.Errorf("rule %s: panic: %v", r.id, p)
		}
	}()
	return r.match(f, ws, lexed), nil
}

// snapWindows stretches windows to nearby line boundaries and merges the
// ones that overlap.
func snapWindows(data []byte, ws []span) []span {
	for i := range ws {
		w := &ws[i]
		from := max(0, w.lo-lineReach)
		if j := bytes.LastIndexByte(data[from:w.lo], '\n'); j >= 0 {
			w.lo = from + j + 1
		} else if from == 0 {
			w.lo = 0
		}
		to := min(len(data), w.hi+lineReach)
		if j := bytes.IndexByte(data[w.hi:to], '\n'); j >= 0 {
			w.hi += j
		} else if to == len(data) {
			w.hi = len(data)
		}
	}
	slices.SortFunc(ws, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	out := ws[:1]
	for _, w := range ws[1:] {
		last := &out[len(out)-1]
		if w.lo <= last.hi {
			last.hi = max(last.hi, w.hi)
			continue
		}
		out = append(out, w)
	}
	return out
}

// match runs the rule's regular expressions on the windows of data. In a
// rule with a scope, comments are blanked out (see fileSpans.text), and,
// for scope code, a match that starts in a string literal does not count.
// lexed lexes f the first time a rule with a scope asks.
func (r *patternRule) match(f analyze.File, ws []span, lexed *fileSpans) []finding.Finding {
	data := f.Data
	var text []byte
	switch {
	case r.scope == scopeAny || lexed.done || lexed.commentsNear(ws):
		text = lexed.text(r.scope)
	case r.scope == scopeCodeAndStrings:
		// No comment starts or ends in the windows: blanking comments
		// would change nothing the patterns read, so the file need not
		// be lexed.
		text = data
	case !r.matchesRaw(data, ws):
		// Scope code, no comments near: strings can only remove
		// matches, and there are none.
		return nil
	default:
		text = lexed.text(r.scope)
	}
	var ms []match
	for i, re := range r.all {
		found := false
		r.eachMatch(re, text, ws, lexed, 1, func(m match) bool {
			if i == 0 && len(r.patterns) == 0 {
				// All the "all" patterns matched: report the first match of the first.
				ms = append(ms, m)
			}
			found = true
			return false
		})
		if !found {
			return nil
		}
	}
	for _, re := range r.patterns {
		n := 0 // matches of re; the first few are enough
		r.eachMatch(re, text, ws, lexed, 2*maxFindingsPerRule+1, func(m match) bool {
			if n++; n > 2*maxFindingsPerRule {
				return false
			}
			if !r.excluded(text[m.start:m.end]) {
				ms = append(ms, m)
			}
			return true
		})
	}
	if len(ms) == 0 {
		return nil
	}
	slices.SortFunc(ms, func(a, b match) int { return cmp.Compare(a.start, b.start) })
	var out []finding.Finding
	line, pos, lastLine := 1, 0, 0
	for _, m := range ms {
		line += bytes.Count(data[pos:m.start], []byte{'\n'})
		pos = m.start
		if line == lastLine {
			continue // one finding per rule and line
		}
		lastLine = line
		out = append(out, finding.Finding{
			Kind:     analyze.SuspiciousCode,
			Severity: r.severity,
			Summary:  r.description,
			Rule:     r.id,
			Category: r.category,
			Location: &finding.Location{Path: f.Path, Line: line},
			Snippet:  analyze.Snippet(data, m.start, m.end),
		})
		if len(out) == maxFindingsPerRule {
			break
		}
	}
	return out
}

// eachMatch calls fn with the matches of re in the windows of text, in
// order, until fn returns false; limit is how many fn can want from one
// window (-1 for all). For a rule of scope code, a match that
// starts in a string literal is skipped, and when it reaches past the
// string the search starts again after the string, so that a string
// cannot swallow the code that follows it. The restarts read at most four
// times the window again, so a window full of strings stays linear.
func (r *patternRule) eachMatch(re *regexp.Regexp, text []byte, ws []span, lexed *fileSpans, limit int, fn func(match) bool) {
	for _, w := range ws {
		lo, budget := w.lo, 4*(w.hi-w.lo)
	search:
		for lo < w.hi {
			budget -= w.hi - lo
			n := limit
			if r.scope == scopeCode {
				n = -1 // matches in strings do not count
			}
			for _, loc := range re.FindAllIndex(text[lo:w.hi], n) {
				m := match{lo + loc[0], lo + loc[1]}
				if r.scope == scopeCode {
					if s, ok := lexed.stringAt(m.start); ok {
						if int(s.hi) < m.end && budget >= w.hi-int(s.hi) {
							lo = int(s.hi)
							continue search
						}
						continue
					}
				}
				if !fn(m) {
					return
				}
			}
			break
		}
	}
}

// matchesRaw reports whether any of the rule's regular expressions
// matches in the windows of data as it is.
func (r *patternRule) matchesRaw(data []byte, ws []span) bool {
	for _, w := range ws {
		for _, re := range r.all {
			if re.Match(data[w.lo:w.hi]) {
				return true
			}
		}
		for _, re := range r.patterns {
			if re.Match(data[w.lo:w.hi]) {
				return true
			}
		}
	}
	return false
}

func (r *patternRule) excluded(text []byte) bool {
	for _, re := range r.exclude {
		if re.Match(text) {
			return true
		}
	}
	return false
}
