package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/analyze/rules"
	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/fetch"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/match"
	"github.com/sapperhq/sapper/internal/policy"
	"github.com/sapperhq/sapper/internal/report"
	"github.com/sapperhq/sapper/internal/sandbox"
	"github.com/sapperhq/sapper/internal/store"
)

func runAnalyze(ctx context.Context, args []string, e *env) error {
	flags := newFlags("analyze", e)
	format := formatFlag(flags, "table", "json", "sarif")
	rulesDir := flags.String("rules", "", "`DIR` of extra rules in sapper's rule format (see internal/analyze/rules/README.md)")
	failOn := flags.String("fail-on", "malicious", "exit 1 when a verdict reaches `LEVEL`: suspicious, malicious, or none")
	dbFlag := dbFlag(flags)
	configPath := flags.String("config", "", "policy `file` with [[allow]] entries (default: sapper.toml found upward from the first local TARGET, else the current directory)")
	sf := addSignalFlags(flags, true)
	sf.tarball = true
	df := addDynamicFlags(flags)
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), "Usage: sapper analyze [--format table|json|sarif] [--rules DIR] [--fail-on LEVEL] [--online] [--no-names] [--dynamic [--jobs N]] TARGET...\n\nTARGET is a package archive (.tgz, .whl, .tar.gz, .zip, .crate, .gem) or a directory.\n\n")
		flags.PrintDefaults()
	}
	targets, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if err := checkFormat(*format, "table", "json", "sarif"); err != nil {
		return err
	}
	threshold, err := verdictLevel(*failOn)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		return usageErrorf("analyze: no target given (an archive such as left-pad-1.3.0.tgz, or a directory)")
	}
	if err := df.check(); err != nil {
		return err
	}
	first := "."
	if _, err := fetch.ParseSpec(targets[0]); errors.Is(err, fetch.ErrNotRemote) {
		first = targets[0]
	}
	cfg, err := loadPolicy(*configPath, first)
	if err != nil {
		return err
	}
	sig, err := newSignaller(cfg, sf, e)
	if err != nil {
		return err
	}
	rs, err := rules.Default()
	if err != nil {
		return failure(fmt.Errorf("load built-in rules: %w", err))
	}
	if *rulesDir != "" {
		extra, err := rules.Load(*rulesDir)
		if err != nil {
			return inputError(fmt.Errorf("load --rules: %w", err))
		}
		rs = append(rs, extra...)
	}
	// The database, when there is one, names versions already reported.
	var db *store.Store
	if path, err := e.dbPath(*dbFlag); err == nil {
		if st, err := store.Open(ctx, path, store.Options{}); err == nil {
			db = st
			defer st.Close()
		}
	}

	// Targets are opened and analysed on GOMAXPROCS workers (fetching,
	// decompressing and matching overlap); results keep the order given.
	results := make([]analyze.Result, len(targets))
	failed := make([]bool, len(targets))
	dyn := make([]*sandbox.Dynamic, len(targets))
	dynFailed := make([]bool, len(targets))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(df.workers(runtime.GOMAXPROCS(0)), len(targets)) {
		wg.Go(func() {
			for i := range next {
				t := targets[i]
				tg, err := openTarget(ctx, t)
				if err != nil {
					failed[i] = true
					results[i] = analyze.Result{Target: t, Errors: []string{err.Error()}}
					continue
				}
				res := analyze.Run(ctx, tg, rs)
				applyAllows(&res, tg, cfg)
				dyn[i], dynFailed[i] = df.run(ctx, tg, &res)
				addNameChecks(ctx, sig, cfg, &res)
				if db != nil {
					citeDatabase(ctx, db, &res)
				}
				results[i] = res
			}
		})
	}
	for i := range targets {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return failure(err)
	}
	unreadable := 0
	for _, f := range failed {
		if f {
			unreadable++
		}
	}

	for _, w := range sig.warnings {
		e.log.Warn(w)
	}
	if err := writeAnalysis(e.stdout, *format, results, dyn, e); err != nil {
		return failure(err)
	}
	for _, r := range results {
		if threshold != "" && verdictRank(r.Verdict) >= verdictRank(threshold) {
			return errFindings
		}
	}
	if unreadable > 0 {
		return usageErrorf("%d of the targets could not be read", unreadable)
	}
	if n := countTrue(dynFailed); n > 0 {
		return failure(fmt.Errorf("the dynamic analysis of %d of the targets failed (see their errors)", n))
	}
	return nil
}

// addNameChecks adds the name checks of the target's package, and with
// --online its registry signals, to its result, under the policy's signal
// actions. They are evidence for the reader; the score is the code's.
func addNameChecks(ctx context.Context, sig *signaller, cfg *policy.Config, res *analyze.Result) {
	p := res.Package
	if p.Name == "" {
		return
	}
	pkg := finding.Package{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version}
	var fs []finding.Finding
	for _, f := range sig.check(ctx, []finding.Package{pkg}, nil) {
		fs = append(fs, f...)
	}
	if len(fs) == 0 {
		return
	}
	for i := range fs {
		cat := "registry"
		if fs[i].Kind == finding.Typosquat {
			cat = "name"
		}
		fs[i].Rule, fs[i].Category, fs[i].Snippet = string(fs[i].Kind), cat, fs[i].Summary
	}
	res.Findings = append(res.Findings, policy.Evaluate(fs, cfg, time.Now()).Findings...)
	analyze.SortFindings(res.Findings)
}

// verdictLevel parses --fail-on for analyze; "" means never.
func verdictLevel(s string) (analyze.Verdict, error) {
	switch v := analyze.Verdict(strings.ToLower(s)); v {
	case analyze.Suspicious, analyze.Malicious:
		return v, nil
	case "none", "never":
		return "", nil
	}
	return "", usageErrorf("unknown --fail-on %q (want suspicious, malicious or none)", s)
}

func verdictRank(v analyze.Verdict) int {
	switch v {
	case analyze.Malicious:
		return 2
	case analyze.Suspicious:
		return 1
	}
	return 0
}

// applyAllows drops the findings that the policy's [[allow]] entries
// accept (rule, path glob and the file's exact content) and scores again.
func applyAllows(res *analyze.Result, tg *analyze.Target, cfg *policy.Config) {
	if cfg == nil || len(cfg.Allows) == 0 {
		return
	}
	eco, err := ecosystem.Parse(res.Package.Ecosystem)
	if err != nil {
		return
	}
	sums := map[string]string{}
	for _, f := range tg.Files {
		if f.Data != nil {
			h := sha256.Sum256(f.Data)
			sums[f.Path] = hex.EncodeToString(h[:])
		}
	}
	kept := res.Findings[:0]
	for _, f := range res.Findings {
		if f.Location != nil && f.Rule != "" {
			if sum, ok := sums[f.Location.Path]; ok {
				if _, ok := cfg.Allowed(eco, res.Package.Name, res.Package.Version, f.Location.Path, f.Rule, sum); ok {
					res.Allowed++
					continue
				}
			}
		}
		kept = append(kept, f)
	}
	res.Findings = kept
	res.Score, res.Verdict = analyze.Score(res.Findings)
}

// citeDatabase makes a target whose version the database reports as
// malicious malicious, whatever the rules found, and cites the records.
func citeDatabase(ctx context.Context, db *store.Store, res *analyze.Result) {
	p := res.Package
	eco, err := ecosystem.Parse(p.Ecosystem)
	if err != nil || p.Name == "" || p.Version == "" {
		return
	}
	m, err := match.Lookup(ctx, db, match.Query{Ecosystem: eco, Name: p.Name, Version: p.Version})
	if err != nil {
		res.Errors = append(res.Errors, err.Error())
		return
	}
	for _, f := range match.Findings(m) {
		if f.Kind != finding.Malicious {
			continue
		}
		f.Rule, f.Category = "known-malicious", "database"
		f.Snippet = f.Summary
		res.Findings = append([]finding.Finding{f}, res.Findings...)
		res.Verdict = analyze.Malicious
		res.Score = 10
	}
}

// analysisJSON is the JSON shape of analyze's output.
type analysisJSON struct {
	SchemaVersion string           `json:"schema_version"`
	Results       []analysisResult `json:"results"`
}

type analysisResult struct {
	Target   string            `json:"target"`
	Package  analyze.Package   `json:"package"`
	Verdict  analyze.Verdict   `json:"verdict"`
	Score    float64           `json:"score"`
	Findings []analysisFinding `json:"findings"`
	Errors   []string          `json:"errors"`
	// Allowed counts findings accepted by the policy's [[allow]] entries.
	Allowed int `json:"allowed,omitempty"`
	// Dynamic is what the target did in the sandbox, with --dynamic.
	Dynamic *sandbox.Dynamic `json:"dynamic,omitempty"`
}

type analysisFinding struct {
	Rule     string           `json:"rule"`
	Category string           `json:"category"`
	Severity finding.Severity `json:"severity"`
	Path     string           `json:"path,omitempty"`
	Line     int              `json:"line,omitempty"`
	Snippet  string           `json:"snippet,omitempty"`
	IDs      []string         `json:"ids,omitempty"`
	// Target and Transformation are a typosquat's: the name imitated, and how.
	Target         string `json:"target,omitempty"`
	Transformation string `json:"transformation,omitempty"`
}

// writeAnalysis writes results; dyn, when not nil, holds each result's
// dynamic analysis.
func writeAnalysis(w io.Writer, format string, results []analyze.Result, dyn []*sandbox.Dynamic, e *env) error {
	switch format {
	case "json":
		out := analysisJSON{SchemaVersion: report.SchemaVersion, Results: []analysisResult{}}
		for i, r := range results {
			ar := analysisResult{Target: r.Target, Package: r.Package, Verdict: r.Verdict, Score: r.Score,
				Findings: []analysisFinding{}, Errors: r.Errors, Allowed: r.Allowed}
			if dyn != nil {
				ar.Dynamic = dyn[i]
			}
			if ar.Errors == nil {
				ar.Errors = []string{}
			}
			for _, f := range r.Findings {
				af := analysisFinding{Rule: f.Rule, Category: f.Category, Severity: f.Severity, Snippet: f.Snippet, IDs: f.IDs,
					Target: f.Target, Transformation: f.Transformation}
				if f.Location != nil {
					af.Path, af.Line = f.Location.Path, f.Location.Line
				}
				ar.Findings = append(ar.Findings, af)
			}
			out.Results = append(out.Results, ar)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "sarif":
		rep := &report.Report{}
		for _, r := range results {
			rep.Findings = append(rep.Findings, r.Findings...)
			for _, msg := range r.Errors {
				rep.Errors = append(rep.Errors, report.InputError{Input: r.Target, Message: msg})
			}
		}
		rw, err := reportWriter("sarif", e)
		if err != nil {
			return err
		}
		return rw.Write(w, rep)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		name := r.Target
		if r.Package.Name != "" {
			name = fmt.Sprintf("%s (%s %s@%s)", r.Target, r.Package.Ecosystem, r.Package.Name, r.Package.Version)
		}
		if len(r.Errors) > 0 && r.Verdict == "" {
			fmt.Fprintf(tw, "%s: could not be read: %s\n", name, strings.Join(r.Errors, "; "))
			continue
		}
		allowed := ""
		if r.Allowed > 0 {
			allowed = fmt.Sprintf(", %d allowed by policy", r.Allowed)
		}
		fmt.Fprintf(tw, "%s: %s (score %.1f/10, %d findings%s)\n", name, r.Verdict, r.Score, len(r.Findings), allowed)
		for _, f := range r.Findings {
			loc := ""
			if f.Location != nil {
				loc = f.Location.Path
				if f.Location.Line > 0 {
					loc = fmt.Sprintf("%s:%d", loc, f.Location.Line)
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", f.Severity, f.Rule, f.Category, loc, f.Snippet)
		}
		if dyn != nil {
			writeDynamicTable(tw, dyn[i])
		}
		for _, msg := range r.Errors {
			fmt.Fprintf(tw, "  error: %s\n", msg)
		}
	}
	return tw.Flush()
}

// openTarget opens a local archive or directory, or fetches
// "npm:name@version" and the like from the registry (cached by digest in
// the user cache directory) and opens that.
func openTarget(ctx context.Context, t string) (*analyze.Target, error) {
	sp, err := fetch.ParseSpec(t)
	if errors.Is(err, fetch.ErrNotRemote) {
		return analyze.Open(ctx, t)
	}
	if err != nil {
		return nil, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return nil, err
	}
	c := fetch.New(filepath.Join(cache, "sapper", "packages"))
	if u := os.Getenv("SAPPER_NPM_REGISTRY"); u != "" {
		c.NPM = strings.TrimSuffix(u, "/")
	}
	if u := os.Getenv("SAPPER_GOPROXY"); u != "" {
		c.GoProxy = strings.TrimSuffix(u, "/")
	}
	p, err := c.Fetch(ctx, sp)
	if err != nil {
		return nil, err
	}
	tg, err := analyze.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	tg.Name = t
	if tg.Package.Name == "" {
		tg.Package = analyze.Package{Ecosystem: string(sp.Ecosystem), Name: sp.Name, Version: sp.Version}
	}
	return tg, nil
}
