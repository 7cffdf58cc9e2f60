package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/term"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/lockfile"
	"github.com/sapperhq/sapper/internal/match"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/policy"
	"github.com/sapperhq/sapper/internal/purl"
	"github.com/sapperhq/sapper/internal/report"
)

func runScan(ctx context.Context, args []string, e *env) error {
	flags := newFlags("scan", e)
	dbFlag := dbFlag(flags)
	format := formatFlag(flags, "table", "json", "sarif", "markdown")
	configPath := flags.String("config", "", "policy `file` (default: sapper.toml found upward from the first PATH)")
	var failOn policy.Level
	flags.TextVar(&failOn, "fail-on", policy.Level(""), "exit 1 on findings at or above `LEVEL`: block, warn, critical, high, medium, low, any, none (default: the policy's, else block)")
	recursive := flags.Bool("recursive", false, "also scan subdirectories (not hidden ones, vendor, node_modules' contents)")
	flags.BoolVar(recursive, "r", false, "short for --recursive")
	sf := addSignalFlags(flags, true)
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), "Usage: sapper scan [--db PATH] [--format table|json|sarif|markdown] [--config FILE] [--fail-on LEVEL] [--recursive] [--online] [--no-names] PATH...\n\n")
		flags.PrintDefaults()
	}
	paths, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	w, err := reportWriter(*format, e)
	if err != nil {
		return err
	}
	cfg, err := loadPolicy(*configPath, paths[0])
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

	// Inventory first: unreadable inputs are reported, the rest scanned.
	rep := &report.Report{}
	inv := inventory{cfg: cfg}
	parsers := lockfile.Default()
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return failure(err)
		}
		if err := inv.add(ctx, p, *recursive, parsers, rep); err != nil {
			return err
		}
	}

	dbPath, err := e.dbPath(*dbFlag)
	if err != nil {
		return err
	}
	st, err := openOrSync(ctx, dbPath, e)
	if err != nil {
		return err
	}
	defer st.Close()

	notes := map[string]bool{}
	var findings []finding.Finding
	for _, k := range inv.order {
		if err := ctx.Err(); err != nil {
			return failure(err)
		}
		res, err := match.Lookup(ctx, st, match.Query{Ecosystem: k.eco, Name: k.name, Version: k.version})
		if err != nil {
			return failure(err)
		}
		for _, n := range res.Notes {
			if !notes[n] {
				notes[n] = true
				rep.Warnings = append(rep.Warnings, n)
			}
		}
		found := match.Findings(res)
		if k.version == "" {
			found = unpinnedFindings(found, res, k)
		}
		for _, f := range found {
			f.Package.PURL = purl.String(k.eco, k.name, k.version)
			for _, loc := range inv.locations[k] {
				f.Location = &finding.Location{Path: loc.Path, Line: loc.Line}
				findings = append(findings, f)
			}
		}
	}
	findings = append(findings, inv.signals(ctx, sig)...)
	if err := ctx.Err(); err != nil {
		return failure(err)
	}
	if !sf.online {
		fmt.Fprintln(e.stderr, offlineNote)
	}
	rep.PackagesScanned = inv.packages
	pol := policy.Evaluate(findings, cfg, time.Now())
	rep.Findings = pol.Findings
	rep.Ignored = len(pol.Ignored)
	rep.Warnings = append(append(pol.Warnings, rep.Warnings...), sig.warnings...)
	if inv.skipped > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d packages from git, local paths, URLs or private registries were not matched against public records by name", inv.skipped))
	}
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

// loadPolicy reads --config, or sapper.toml found upward from the first
// scanned path; an invalid file is a usage error naming file and line.
func loadPolicy(configPath, first string) (*policy.Config, error) {
	if configPath == "" {
		dir := first
		if fi, err := os.Stat(first); err == nil && !fi.IsDir() {
			dir = filepath.Dir(first)
		}
		if configPath = policy.Find(dir); configPath == "" {
			return &policy.Config{FailOn: policy.FailBlock}, nil
		}
	}
	cfg, err := policy.Load(configPath)
	if err != nil {
		return nil, inputError(fmt.Errorf("invalid policy: %w", err))
	}
	return cfg, nil
}

// pkgKey identifies a package version to match once, however many files
// list it.
type pkgKey struct {
	eco           ecosystem.Ecosystem
	name, version string
}

// inventory collects the packages of every scanned file.
type inventory struct {
	order     []pkgKey
	locations map[pkgKey][]lockfile.Location
	packages  int // occurrences, all files
	skipped   int // not from the public registry, or private by policy
	cfg       *policy.Config
	// private are the packages private by policy, for the
	// dependency-confusion check.
	private []pkgKey
}

// add parses the dependency files at p (a file or a directory).
func (inv *inventory) add(ctx context.Context, p string, recursive bool, parsers []lockfile.Parser, rep *report.Report) error {
	fi, err := os.Stat(p)
	if err != nil {
		rep.Errors = append(rep.Errors, report.InputError{Input: p, Message: err.Error()})
		return nil
	}
	dir, single := p, ""
	if !fi.IsDir() {
		dir, single = filepath.Dir(p), filepath.Base(p)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		rep.Errors = append(rep.Errors, report.InputError{Input: p, Message: err.Error()})
		return nil
	}
	defer root.Close()
	fsys := root.FS()

	var found []lockfile.Found
	if single != "" {
		ps := lockfile.ForFile(fsys, single, parsers)
		if ps == nil {
			rep.Errors = append(rep.Errors, report.InputError{Input: p, Message: "not a dependency file sapper reads (lockfiles, manifests, SBOMs, Go binaries: see docs/scan.md)"})
			return nil
		}
		found = []lockfile.Found{{Path: single, Parser: ps}}
	} else if found, err = lockfile.Find(ctx, fsys, recursive, parsers); err != nil {
		if errors.Is(err, context.Canceled) {
			return failure(err)
		}
		rep.Errors = append(rep.Errors, report.InputError{Input: p, Message: err.Error()})
	}
	for _, fd := range found {
		display := filepath.ToSlash(filepath.Join(dir, filepath.FromSlash(fd.Path)))
		if dir == "." {
			display = fd.Path
		}
		pkgs, err := fd.Parser.Parse(ctx, lockfile.File{FS: fsys, Path: fd.Path, Display: display})
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return failure(err)
			}
			if errors.Is(err, lockfile.ErrNotGoBinary) && single == "" {
				continue // an executable found by the walk that is not Go: not a dependency file
			}
			rep.Errors = append(rep.Errors, report.InputError{Input: display, Message: parseMessage(display, err)})
			continue
		}
		for _, pkg := range pkgs {
			inv.addPackage(pkg)
		}
	}
	return nil
}

// parseMessage drops the path a *lockfile.Error repeats, keeping its line.
func parseMessage(display string, err error) string {
	var le *lockfile.Error
	if errors.As(err, &le) && le.Path == display {
		if le.Line > 0 {
			return fmt.Sprintf("line %d: %v", le.Line, le.Err)
		}
		return le.Err.Error()
	}
	return err.Error()
}

func (inv *inventory) addPackage(pkg lockfile.Package) {
	inv.packages++
	k := pkgKey{pkg.Ecosystem, pkg.Name, pkg.Version}
	if inv.locations == nil {
		inv.locations = map[pkgKey][]lockfile.Location{}
	}
	_, seen := inv.locations[k]
	inv.locations[k] = append(inv.locations[k], pkg.Location)
	if !pkg.Source.Public() || inv.cfg.IsPrivate(pkg.Ecosystem, pkg.Name, pkg.Source.URL) {
		inv.skipped++
		if !seen && pkg.Source.Public() {
			inv.private = append(inv.private, k) // from the public registry's address space: can be confused
		}
		return
	}
	if !seen {
		inv.order = append(inv.order, k)
	}
}

// signals runs the name checks and registry signals over the inventory,
// one finding per location the package is listed at.
func (inv *inventory) signals(ctx context.Context, sig *signaller) []finding.Finding {
	asPkg := func(k pkgKey) finding.Package {
		return finding.Package{Ecosystem: string(k.eco), Name: k.name, Version: k.version, PURL: purl.String(k.eco, k.name, k.version)}
	}
	var pub, priv []finding.Package
	for _, k := range inv.order {
		pub = append(pub, asPkg(k))
	}
	for _, k := range inv.private {
		priv = append(priv, asPkg(k))
	}
	keys := append(slices.Clone(inv.order), inv.private...)
	var out []finding.Finding
	for i, fs := range sig.check(ctx, pub, priv) {
		for _, f := range fs {
			for _, loc := range inv.locations[keys[i]] {
				f.Location = &finding.Location{Path: loc.Path, Line: loc.Line}
				out = append(out, f)
			}
		}
	}
	return out
}

// unpinnedFindings keeps, for a package the file does not pin to a version
// (a manifest range, an unpinned requirement), what is worth saying without
// one: malicious records. A record that makes every version malicious
// keeps its block; one about some versions only becomes a warning, since
// the install may resolve to a safe version. Vulnerabilities need a version
// and are dropped.
func unpinnedFindings(found []finding.Finding, res match.Result, k pkgKey) []finding.Finding {
	var out []finding.Finding
	for _, f := range found {
		if f.Kind != finding.Malicious {
			continue
		}
		all := slices.ContainsFunc(res.Vulns, func(v *osv.Vulnerability) bool {
			return v.IsMalicious() && match.AffectsAllVersions(v, k.eco, k.name)
		})
		if !all {
			f.Action = finding.Warn
			f.Summary = cmp.Or(f.Summary, "malicious versions exist") + " (no version pinned: check which version installs)"
		}
		out = append(out, f)
	}
	return out
}

// reportWriter returns the writer for --format, with colour when stdout is
// a terminal and NO_COLOR is unset (https://no-color.org).
func reportWriter(format string, e *env) (report.Writer, error) {
	w, err := report.ForFormat(format, report.Options{Color: colorOutput(e.stdout), Version: version()})
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return w, nil
}

func colorOutput(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
