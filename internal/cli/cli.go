// Package cli implements the sapper command line: subcommands, their flags,
// and exit codes. Main runs the whole program in-process, so tests drive it
// exactly as a user would.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/sapperhq/sapper/internal/store"
)

// Exit codes, as DESIGN.md's command-line contract gives them.
const (
	exitOK       = 0 // nothing to report
	exitFindings = 1 // findings at or above --fail-on
	exitUsage    = 2 // usage error or unreadable input
	exitFailure  = 3 // operational failure: database missing, network
)

// exitError carries the exit code for an error up to Main, which alone turns
// errors into exit codes.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is an error in how sapper was called (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// inputError is an input sapper cannot read (exit 2).
func inputError(err error) error { return &exitError{code: exitUsage, err: err} }

// failure is an operational failure (exit 3).
func failure(err error) error { return &exitError{code: exitFailure, err: err} }

// errFindings reports that findings were printed (exit 1); Main prints nothing more.
var errFindings = &exitError{code: exitFindings, err: errors.New("findings reported")}

// env is what every command gets: the streams and a logger on stderr.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	log            *slog.Logger
}

// Version is the sapper version, set with -ldflags "-X ...cli.Version=v1.2.3".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

const usage = `sapper keeps malicious open-source packages out of your software.

Usage:
  sapper scan    [--db PATH] [--format table|json|sarif|markdown] [--config FILE]
                 [--fail-on LEVEL] [--recursive] [--online] [--no-names] PATH...
                 scan lockfiles, manifests, SBOMs
  sapper check   [--db PATH] [--format table|json] [--online] [--no-names] PKG...
                 check packages against the database, names and registries
  sapper analyze [--format table|json|sarif] [--rules DIR] [--fail-on LEVEL] [--online]
                 [--dynamic [--jobs N]] TARGET...
                 analyse package archives, directories, or npm:name@version: static rules,
                 and with --dynamic install and import them in a gVisor sandbox
  sapper serve   [--db PATH] [--addr 127.0.0.1:8080]        serve the OSV-compatible API
  sapper proxy   [--db PATH] [--addr 127.0.0.1:8081] [--config FILE]
                 registry firewall for npm (/npm/), PyPI (/pypi/simple/), Go (/go)
  sapper audit   [--db PATH] [--since T] [--package PKG] [--known-malicious]
                 who fetched what through the proxy, and what it decided
  sapper db import [--db PATH] [--strict] SOURCE...          import OSV records (directory, .zip, .json)
  sapper db sync   [--db PATH] [--source URL]...             download records over HTTP
  sapper db stats  [--db PATH] [--format table|json]         count the records
  sapper db export [--db PATH] --format osv-zip OUTDIR       write OUTDIR/osv-scalibr/<Ecosystem>/all.zip
  sapper db show   [--db PATH] ID                            print a record by ID or alias
  sapper version

PKG is a package URL (pkg:npm/left-pad@1.3.0) or ECOSYSTEM:NAME@VERSION
(npm:left-pad@1.3.0, pypi:requests@2.31.0, go:golang.org/x/text@v0.3.7,
crates.io:serde@1.0.0, rubygems:rails@7.0.0, nuget:Newtonsoft.Json@13.0.1,
maven:org.apache.logging.log4j:log4j-core@2.14.1); "-" reads one a line from stdin.

--db defaults to $SAPPER_DB, else sapper/sapper.db in the user cache directory.

Exit codes: 0 nothing to report, 1 findings, 2 usage or unreadable input,
3 operational failure (no database, network).
`

// Main runs sapper with args (without the program name) and returns the exit
// code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return main(ctx, args, &env{
		stdin:  stdin,
		stdout: stdout,
		stderr: stderr,
		log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{
			// A person reads these lines; the time adds nothing.
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		})),
	})
}

func main(ctx context.Context, args []string, e *env) int {
	err := run(ctx, args, e)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		ee = &exitError{code: exitFailure, err: err}
	}
	if ee != errFindings {
		fmt.Fprintf(e.stderr, "sapper: %v\n", err)
	}
	return ee.code
}

func run(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return usageErrorf("no command given")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "check":
		return runCheck(ctx, rest, e)
	case "scan":
		return runScan(ctx, rest, e)
	case "analyze":
		return runAnalyze(ctx, rest, e)
	case "serve":
		return runServe(ctx, rest, e)
	case "proxy":
		return runProxy(ctx, rest, e)
	case "audit":
		return runAudit(ctx, rest, e)
	case "db":
		return runDB(ctx, rest, e)
	case "version", "--version", "-version":
		fmt.Fprintf(e.stdout, "sapper %s\n", version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	default:
		fmt.Fprint(e.stderr, usage)
		return usageErrorf("unknown command %q", cmd)
	}
}

func runDB(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return usageErrorf("db: no subcommand given (import, sync, stats, export, show)")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "import":
		return runImport(ctx, rest, e)
	case "sync":
		return runSync(ctx, rest, e)
	case "stats":
		return runStats(ctx, rest, e)
	case "export":
		return runExport(ctx, rest, e)
	case "show":
		return runShow(ctx, rest, e)
	default:
		return usageErrorf("db: unknown subcommand %q (want import, sync, stats, export, show)", cmd)
	}
}

// newFlags returns a flag set for a subcommand that reports to stderr.
func newFlags(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("sapper "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args, allowing flags after positional arguments
// ("sapper check npm:x@1 --format json"), and wraps errors as usage errors.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErrorf("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// dbFlag registers --db.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "", "database `path` (default $SAPPER_DB, else the user cache directory)")
}

// formatFlag registers --format with the given choices, the first the default.
func formatFlag(fs *flag.FlagSet, choices ...string) *string {
	return fs.String("format", choices[0], "output format: "+strings.Join(choices, ", "))
}

func checkFormat(format string, choices ...string) error {
	for _, c := range choices {
		if format == c {
			return nil
		}
	}
	return usageErrorf("unknown --format %q (want %s)", format, strings.Join(choices, " or "))
}

// dbPath resolves --db.
func (e *env) dbPath(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	p, err := store.DefaultPath()
	if err != nil {
		return "", failure(err)
	}
	return p, nil
}

// openStore opens the existing database that --db (flagValue) names; a
// missing one is an operational failure with a hint.
func (e *env) openStore(ctx context.Context, flagValue string) (*store.Store, error) {
	path, err := e.dbPath(flagValue)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, path, store.Options{})
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, failure(fmt.Errorf("%w\n%s", err, importHint))
	}
	if err != nil {
		return nil, failure(err)
	}
	return st, nil
}

const importHint = `create one with "sapper db sync" (downloads the OpenSSF malicious-packages data),
or offline with "sapper db import DIR|FILE.zip|FILE.json" (this repository ships examples/malicious-packages)`
