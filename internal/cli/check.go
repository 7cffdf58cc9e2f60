package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/match"
	"github.com/sapperhq/sapper/internal/policy"
	"github.com/sapperhq/sapper/internal/purl"
	"github.com/sapperhq/sapper/internal/report"
	"github.com/sapperhq/sapper/internal/store"
)

func runCheck(ctx context.Context, args []string, e *env) error {
	fs := newFlags("check", e)
	dbFlag := dbFlag(fs)
	format := formatFlag(fs, "table", "json")
	configPath := fs.String("config", "", "policy `file` (default: sapper.toml found upward from the current directory)")
	var failOn policy.Level
	fs.TextVar(&failOn, "fail-on", policy.Level(""), "exit 1 on findings at or above `LEVEL`: block, warn, critical, high, medium, low, any, none (default: the policy's, else block)")
	sf := addSignalFlags(fs, true)
	sf.tarball = true
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: sapper check [--db PATH] [--format table|json] [--online] [--no-names] [--fail-on LEVEL] PKG...\n\nPKG is pkg:npm/name@1.0.0 or npm:name@1.0.0; - reads one PKG a line from stdin.\n\n")
		fs.PrintDefaults()
	}
	pkgs, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	w, err := reportWriter(*format, e)
	if err != nil {
		return err
	}
	if len(pkgs) == 0 {
		return usageErrorf("check: no packages given (try: sapper check npm:left-pad@1.3.0)")
	}
	inputs, err := readInputs(pkgs, e.stdin)
	if err != nil {
		return err
	}
	cfg, err := loadPolicy(*configPath, ".")
	if err != nil {
		return err
	}
	if failOn == "" {
		failOn = cfg.FailOn
	}
	sig, err := newSignaller(cfg, sf, e)
	if err != nil {
		return err
	}

	path, err := e.dbPath(*dbFlag)
	if err != nil {
		return err
	}
	st, err := openOrSync(ctx, path, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if empty, err := st.Empty(ctx); err != nil {
		return failure(err)
	} else if empty {
		e.log.Warn("the database has no records, so nothing can match; fill it with \"sapper db sync\" or \"sapper db import\"", "db", st.Path())
	}

	rep := &report.Report{}
	notes := map[string]bool{}
	var findings []finding.Finding
	var public, private []finding.Package
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return failure(err)
		}
		q, err := parsePackage(in)
		if err != nil {
			rep.Errors = append(rep.Errors, report.InputError{Input: in, Message: err.Error()})
			continue
		}
		rep.PackagesScanned++
		pkg := finding.Package{Ecosystem: string(q.Ecosystem), Name: q.Name, Version: q.Version, PURL: q.PURL}
		if cfg.IsPrivate(q.Ecosystem, q.Name, "") {
			private = append(private, pkg)
			continue // the organisation's own: public records are about someone else's
		}
		public = append(public, pkg)
		res, err := match.Lookup(ctx, st, q)
		if err != nil {
			return failure(err)
		}
		for _, n := range res.Notes {
			if !notes[n] {
				notes[n] = true
				e.log.Warn(n)
			}
		}
		findings = append(findings, match.Findings(res)...)
	}
	for _, fs := range sig.check(ctx, public, private) {
		findings = append(findings, fs...)
	}
	if err := ctx.Err(); err != nil {
		return failure(err)
	}
	if !sf.online {
		fmt.Fprintln(e.stderr, offlineNote)
	}
	pol := policy.Evaluate(findings, cfg, time.Now())
	rep.Findings = pol.Findings
	rep.Ignored = len(pol.Ignored)
	rep.Warnings = append(append(rep.Warnings, pol.Warnings...), sig.warnings...)
	report.Sort(rep.Findings)
	if err := w.Write(e.stdout, rep); err != nil {
		return failure(fmt.Errorf("write report: %w", err))
	}
	for _, f := range rep.Findings {
		if failOn.Reached(f) {
			return errFindings
		}
	}
	if len(rep.Errors) > 0 {
		return usageErrorf("%d of the inputs could not be read", len(rep.Errors))
	}
	return nil
}

// readInputs expands "-" into the lines of stdin (blank lines and # comments
// skipped).
func readInputs(args []string, stdin io.Reader) ([]string, error) {
	var out []string
	for _, a := range args {
		if a != "-" {
			out = append(out, a)
			continue
		}
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 0, 4096), limits.MaxLineBytes)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if len(out) >= limits.MaxCheckInputs {
				return nil, usageErrorf("stdin: more than %d packages", limits.MaxCheckInputs)
			}
			out = append(out, line)
		}
		if err := sc.Err(); err != nil {
			return nil, inputError(fmt.Errorf("read stdin: %w", err))
		}
	}
	return out, nil
}

// parsePackage parses a package URL or ECOSYSTEM:NAME@VERSION into a query.
// The version is optional; without one, every record naming the package
// matches.
func parsePackage(s string) (match.Query, error) {
	if strings.HasPrefix(s, "pkg:") {
		p, err := purl.Parse(s)
		if err != nil {
			return match.Query{}, err
		}
		return match.Query{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, PURL: s}, nil
	}
	prefix, rest, ok := cutEcosystem(s)
	if !ok {
		return match.Query{}, errors.New("want ECOSYSTEM:NAME@VERSION (npm:left-pad@1.3.0) or a package URL (pkg:npm/left-pad@1.3.0)")
	}
	eco, err := ecosystem.FromPrefix(prefix)
	if err != nil {
		return match.Query{}, err
	}
	name, ver := splitVersion(eco, rest)
	if name == "" {
		return match.Query{}, errors.New("no package name")
	}
	if strings.ContainsAny(name, " \t") || strings.ContainsAny(ver, " \t") {
		return match.Query{}, errors.New("package name or version contains white space")
	}
	return match.Query{Ecosystem: eco, Name: name, Version: ver, PURL: purl.String(eco, name, ver)}, nil
}

// cutEcosystem splits "crates.io:serde@1" or "npm:x@1" at the ecosystem's
// colon; Maven names contain colons of their own.
func cutEcosystem(s string) (prefix, rest string, ok bool) {
	prefix, rest, ok = strings.Cut(s, ":")
	return prefix, rest, ok && prefix != "" && rest != ""
}

// splitVersion splits NAME@VERSION at the last "@" that is not the first
// character (npm scopes start with "@"); PyPI also accepts NAME==VERSION.
func splitVersion(eco ecosystem.Ecosystem, s string) (name, ver string) {
	if eco == ecosystem.PyPI {
		if n, v, ok := strings.Cut(s, "=="); ok {
			return strings.TrimSpace(n), strings.TrimSpace(v)
		}
	}
	if i := strings.LastIndex(s, "@"); i > 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// openOrSync opens the database at path; when there is none yet it first
// downloads one from the default sources, as other scanners fetch theirs.
func openOrSync(ctx context.Context, path string, e *env) (*store.Store, error) {
	st, err := store.Open(ctx, path, store.Options{})
	if err == nil {
		return st, nil
	}
	if !errors.Is(err, store.ErrNoDatabase) {
		return nil, failure(err)
	}
	fmt.Fprintf(e.stderr, "sapper: no database at %s yet; downloading one (sapper db sync)\n", path)
	if err := syncSources(ctx, path, defaultSources(), e); err != nil {
		return nil, failure(fmt.Errorf("no database at %s, and downloading one failed: %v\n%s", path, err, importHint))
	}
	st, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		return nil, failure(err)
	}
	return st, nil
}
