// Package report writes findings for people and programs: a table for a
// terminal and JSON with a schema version. Every format implements Writer;
// the command picks one with --format. Findings are sorted first so that
// output is stable and diffable.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

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

// ForFormat returns the writer for a --format value.
func ForFormat(format string) (Writer, error) {
	switch format {
	case "table", "":
		return Table{}, nil
	case "json":
		return JSON{}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want table or json)", format)
}

// Sort orders findings: most severe first, then by ecosystem, name, version
// and kind.
func Sort(fs []finding.Finding) {
	slices.SortStableFunc(fs, func(a, b finding.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Package.Ecosystem, b.Package.Ecosystem),
			cmp.Compare(a.Package.Name, b.Package.Name),
			cmp.Compare(a.Package.Version, b.Package.Version),
			cmp.Compare(a.Kind, b.Kind),
		)
	})
}

// JSON writes the report as one JSON document.
type JSON struct{}

// Write implements Writer.
func (JSON) Write(w io.Writer, r *Report) error {
	out := *r
	out.SchemaVersion = SchemaVersion
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if out.Errors == nil {
		out.Errors = []InputError{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Table writes an aligned table and a one-line summary.
type Table struct{}

// Write implements Writer.
func (Table) Write(w io.Writer, r *Report) error {
	if len(r.Findings) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PACKAGE\tVERSION\tECOSYSTEM\tKIND\tSEVERITY\tACTION\tID\tSUMMARY")
		for _, f := range r.Findings {
			ver := f.Package.Version
			if ver == "" {
				ver = "(any)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				f.Package.Name, ver, f.Package.Ecosystem, f.Kind, f.Severity, f.Action,
				strings.Join(f.IDs, ","), oneLine(f.Summary, 80))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s: %s\n", e.Input, e.Message)
	}
	_, err := fmt.Fprintln(w, summary(r))
	return err
}

func summary(r *Report) string {
	mal := 0
	for _, f := range r.Findings {
		if f.Kind == finding.Malicious {
			mal++
		}
	}
	pkgs := plural(r.PackagesScanned, "package", "packages")
	s := fmt.Sprintf("%s checked: %s", pkgs, plural(len(r.Findings), "finding", "findings"))
	if mal > 0 {
		s += fmt.Sprintf(" (%d malicious)", mal)
	}
	if len(r.Findings) == 0 {
		s = fmt.Sprintf("%s checked: no known malicious or vulnerable versions", pkgs)
	}
	if len(r.Errors) > 0 {
		s += fmt.Sprintf(", %s", plural(len(r.Errors), "error", "errors"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// oneLine folds s onto one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
