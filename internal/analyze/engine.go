package analyze

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/sapperhq/sapper/internal/finding"
)

// SuspiciousCode is the finding kind of every rule finding.
const SuspiciousCode finding.Kind = "suspicious-code"

// Verdict is the conclusion about a package.
type Verdict string

// The verdicts, from least to most severe.
const (
	Benign     Verdict = "benign"
	Suspicious Verdict = "suspicious"
	Malicious  Verdict = "malicious"
)

// Result is what the analysis of one target found.
type Result struct {
	// Target is what the user gave (Target.Name).
	Target  string
	Package Package
	Verdict Verdict
	// Score is the 0-10 risk score (see Score).
	Score    float64
	Findings []finding.Finding
	// Errors are rules that failed or panicked, and a cancelled run; a
	// result with errors is incomplete.
	Errors []string
	// Allowed counts findings a reviewed allowlist accepted (the caller
	// applies it; see policy.Config.Allowed).
	Allowed int
}

// Run runs every rule over every file of t, and scores what they find.
// Rules decide themselves which kinds of file they look at; a PackageRule
// then looks at the whole target once. A rule that fails or panics is
// reported in Result.Errors and the others go on; a cancelled ctx stops
// the run between files or package rules, with what was found so far and
// the cancellation in Errors.
func Run(ctx context.Context, t *Target, rules []Rule) Result {
	res := Result{Target: t.Name, Package: t.Package}
	pkg := finding.Package{Ecosystem: t.Package.Ecosystem, Name: t.Package.Name, Version: t.Package.Version}
	for _, f := range t.Findings {
		fillFinding(&f, pkg, "")
		res.Findings = append(res.Findings, f)
	}
	// Files are checked on GOMAXPROCS workers; each file's results land in
	// its own slot, so the output does not depend on scheduling.
	type fileResult struct {
		findings []finding.Finding
		errs     []string
	}
	out := make([]fileResult, len(t.Files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(t.Files))) {
		wg.Go(func() {
			for i := range next {
				f := t.Files[i]
				for _, r := range rules {
					fs, err := check(ctx, r, f)
					if err != nil {
						out[i].errs = append(out[i].errs, err.Error())
					}
					for _, fd := range fs {
						fillFinding(&fd, pkg, f.Path)
						if fd.Kind == "" {
							fd.Kind = SuspiciousCode
						}
						out[i].findings = append(out[i].findings, fd)
					}
				}
			}
		})
	}
	stopped := false
	for i, f := range t.Files {
		if err := ctx.Err(); err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("analysis stopped before %s: %v", f.Path, err))
			stopped = true
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for _, r := range out {
		res.Findings = append(res.Findings, r.findings...)
		res.Errors = append(res.Errors, r.errs...)
	}
	for _, r := range rules {
		pr, ok := r.(PackageRule)
		if !ok || stopped {
			continue
		}
		if err := ctx.Err(); err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("analysis stopped before package rule %s: %v", pr.Name(), err))
			stopped = true
			continue
		}
		fs, err := checkPackage(ctx, pr, t)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
		}
		for _, fd := range fs {
			fillFinding(&fd, pkg, "")
			if fd.Kind == "" {
				fd.Kind = SuspiciousCode
			}
			res.Findings = append(res.Findings, fd)
		}
	}
	SortFindings(res.Findings)
	res.Score, res.Verdict = Score(res.Findings)
	return res
}

// check runs one rule on one file, turning a panic into an error.
func check(ctx context.Context, r Rule, f File) (fs []finding.Finding, err error) {
	name := "rule"
	defer func() {
		if p := recover(); p != nil {
			fs = nil
			err = fmt.Errorf("rule %s on %s: panic: %v", name, f.Path, p)
		}
	}()
	name = r.Name()
	fs, err = r.Check(ctx, f)
	if err != nil {
		err = fmt.Errorf("rule %s on %s: %w", name, f.Path, err)
	}
	return fs, err
}

// checkPackage runs one package rule on t, turning a panic into an error.
func checkPackage(ctx context.Context, r PackageRule, t *Target) (fs []finding.Finding, err error) {
	name := "rule"
	defer func() {
		if p := recover(); p != nil {
			fs = nil
			err = fmt.Errorf("rule %s on %s: panic: %v", name, t.Name, p)
		}
	}()
	name = r.Name()
	fs, err = r.CheckPackage(ctx, t)
	if err != nil {
		err = fmt.Errorf("rule %s on %s: %w", name, t.Name, err)
	}
	return fs, err
}

// fillFinding completes a finding with what the engine knows: the
// package, a location in the file when the rule gave none, and a snippet
// made safe to print.
func fillFinding(fd *finding.Finding, pkg finding.Package, path string) {
	if fd.Package.Ecosystem == "" && fd.Package.Name == "" {
		fd.Package = pkg
	}
	if fd.Location == nil && path != "" {
		fd.Location = &finding.Location{Path: path}
	} else if fd.Location != nil && fd.Location.Path == "" {
		loc := *fd.Location
		loc.Path = path
		fd.Location = &loc
	}
	fd.Snippet = EscapeSnippet(fd.Snippet)
}

// SortFindings orders findings for output: most severe first, then by
// path, line, rule and snippet, so that output is stable and diffable.
func SortFindings(fs []finding.Finding) {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		ap, al := locOf(a)
		bp, bl := locOf(b)
		return cmp.Or(
			cmp.Compare(ap, bp),
			cmp.Compare(al, bl),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Snippet, b.Snippet),
		)
	})
}

func locOf(f finding.Finding) (string, int) {
	if f.Location == nil {
		return "", 0
	}
	return f.Location.Path, f.Location.Line
}
