// Package report writes findings for people and programs: a table for a
// terminal, JSON with a schema version, SARIF for code-scanning services and
// Markdown for a pull-request comment. Every format implements Writer; the
// command picks one with --format. Callers sort findings with Sort first so
// that output is stable and diffable; writers keep that order.
//
// Everything in a report may come from a hostile source (package names and
// versions from lockfiles, summaries from OSV records, paths from the file
// system), so each writer neutralises what its format would otherwise
// interpret: control characters on a terminal, Markdown and HTML in a
// comment. JSON and SARIF rely on JSON string escaping.
package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/sapperhq/sapper/internal/finding"
)

// SchemaVersion is the version of the JSON output; it changes only when a
// field changes meaning or disappears.
const SchemaVersion = "1"

// Report is the result of checking or scanning a set of packages.
type Report struct {
	SchemaVersion   string            `json:"schema_version"`
	PackagesScanned int               `json:"packages_scanned"`
	Findings        []finding.Finding `json:"findings"`
	Errors          []InputError      `json:"errors"`
	// Ignored counts findings the policy ignored (with a reason).
	Ignored int `json:"ignored,omitempty"`
	// Warnings are things the reader should know that are not findings:
	// expired ignores, ranges that could not be evaluated.
	Warnings []string `json:"warnings,omitempty"`
}

// InputError is an input that could not be checked.
type InputError struct {
	Input   string `json:"input"`
	Message string `json:"message"`
}

// Writer writes a report in one format.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// Options configure the writers that ForFormat returns.
type Options struct {
	// Color turns on ANSI colours in the table. The command sets it when
	// stdout is a terminal and NO_COLOR is unset.
	Color bool
	// Tool and Version name the program in SARIF's tool.driver; Tool
	// defaults to "sapper".
	Tool    string
	Version string
}

// Formats lists the --format values ForFormat accepts.
var Formats = []string{"table", "json", "sarif", "markdown"}

// ForFormat returns the writer for a --format value; "" means table.
func ForFormat(format string, opts Options) (Writer, error) {
	switch format {
	case "table", "":
		return Table{Color: opts.Color}, nil
	case "json":
		return JSON{}, nil
	case "sarif":
		return SARIF{Tool: opts.Tool, Version: opts.Version}, nil
	case "markdown":
		return Markdown{}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want table, json, sarif or markdown)", format)
}

// Sort orders findings: malicious packages first, then most severe first,
// then by ecosystem, name, version, kind and location.
func Sort(fs []finding.Finding) {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(
			worse(a, b),
			cmp.Compare(a.Package.Ecosystem, b.Package.Ecosystem),
			cmp.Compare(a.Package.Name, b.Package.Name),
			cmp.Compare(a.Package.Version, b.Package.Version),
			cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(findingPath(a), findingPath(b)),
			cmp.Compare(findingLine(a), findingLine(b)),
		)
	})
}

// worse compares how bad two findings are: negative when a is worse than b.
// Malicious packages are worse than anything else, then severity decides.
func worse(a, b finding.Finding) int {
	return cmp.Or(
		-cmpBool(a.Kind == finding.Malicious, b.Kind == finding.Malicious),
		cmp.Compare(b.Severity, a.Severity),
	)
}

func findingPath(f finding.Finding) string {
	if f.Location == nil {
		return ""
	}
	return f.Location.Path
}

func findingLine(f finding.Finding) int {
	if f.Location == nil {
		return 0
	}
	return f.Location.Line
}

// summary is the one-line count that ends the table and opens the Markdown
// comment. Scripts match its wording: change it with care.
func summary(r *Report) string {
	mal := countMalicious(r.Findings)
	pkgs := plural(r.PackagesScanned, "package", "packages")
	s := fmt.Sprintf("%s checked: %s", pkgs, plural(len(r.Findings), "finding", "findings"))
	if mal > 0 {
		s += fmt.Sprintf(" (%d malicious)", mal)
	}
	if len(r.Findings) == 0 {
		s = fmt.Sprintf("%s checked: no known malicious or vulnerable versions", pkgs)
	}
	if r.Ignored > 0 {
		s += fmt.Sprintf(", %d ignored", r.Ignored)
	}
	if len(r.Errors) > 0 {
		s += ", " + plural(len(r.Errors), "error", "errors")
	}
	return s
}

func countMalicious(fs []finding.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Kind == finding.Malicious {
			n++
		}
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
