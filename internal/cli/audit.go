package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/match"
	"github.com/sapperhq/sapper/internal/report"
	"github.com/sapperhq/sapper/internal/store"
)

func runAudit(ctx context.Context, args []string, e *env) error {
	fs := newFlags("audit", e)
	dbFlag := dbFlag(fs)
	format := formatFlag(fs, "table", "json")
	since := fs.String("since", "", "entries at or after `T`: a date (2026-11-01), an RFC 3339 time, or an age (24h, 7d)")
	pkg := fs.String("package", "", "entries about `PKG`: ECOSYSTEM:NAME or ECOSYSTEM:NAME@VERSION (npm:left-pad@1.3.0)")
	decision := fs.String("decision", "", "entries with this `DECISION`: allow, warn or block")
	malicious := fs.Bool("known-malicious", false, "only versions the database reports as malicious now: who already fetched them")
	limit := fs.Int("limit", 0, "at most `N` entries (0: all)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: sapper audit [--db PATH] [--since T] [--package PKG] [--decision D] [--known-malicious] [--format table|json]\n\n"+
			"Who fetched which package version through \"sapper proxy\", when, and what the proxy decided.\n\n")
		fs.PrintDefaults()
	}
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("audit: unexpected arguments %q (use --package)", rest)
	}
	if err := checkFormat(*format, "table", "json"); err != nil {
		return err
	}
	f := store.AuditFilter{Decision: *decision, Limit: *limit}
	if *since != "" {
		if f.Since, err = parseSince(*since, time.Now()); err != nil {
			return usageErrorf("--since: %v", err)
		}
	}
	if *pkg != "" {
		q, err := parsePackage(*pkg)
		if err != nil {
			return usageErrorf("--package %q: %v", *pkg, err)
		}
		f.Ecosystem, f.Name, f.Version = q.Ecosystem, q.Name, q.Version
	}
	switch *decision {
	case "", "allow", "warn", "block":
	default:
		return usageErrorf("--decision %q: want allow, warn or block", *decision)
	}
	st, err := e.openStore(ctx, *dbFlag)
	if err != nil {
		return err
	}
	defer st.Close()

	type row struct {
		store.AuditEntry
		IDs []string `json:"ids,omitempty"`
	}
	var rows []row
	known := map[string][]string{} // eco:name@version -> malicious record IDs, when --known-malicious
	err = st.Audit(ctx, f, func(a store.AuditEntry) error {
		r := row{AuditEntry: a}
		if *malicious {
			if a.Version == "" || a.Decision == "block" {
				return nil // nothing was served, or it was blocked already
			}
			key := string(a.Ecosystem) + ":" + a.Name + "@" + a.Version
			ids, ok := known[key]
			if !ok {
				res, err := match.Lookup(ctx, st, match.Query{Ecosystem: a.Ecosystem, Name: a.Name, Version: a.Version})
				if err != nil {
					return err
				}
				for _, fd := range match.Findings(res) {
					if fd.Kind == finding.Malicious {
						ids = append(ids, fd.IDs...)
					}
				}
				known[key] = ids
			}
			if len(ids) == 0 {
				return nil
			}
			r.IDs = ids
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return failure(err)
	}
	if *format == "json" {
		type jsonRow struct {
			Time      time.Time `json:"time"`
			Client    string    `json:"client"`
			Ecosystem string    `json:"ecosystem"`
			Name      string    `json:"name"`
			Version   string    `json:"version,omitempty"`
			Decision  string    `json:"decision"`
			Reason    string    `json:"reason,omitempty"`
			Path      string    `json:"path"`
			IDs       []string  `json:"ids,omitempty"`
		}
		out := struct {
			SchemaVersion string    `json:"schema_version"`
			Entries       []jsonRow `json:"entries"`
		}{SchemaVersion: report.SchemaVersion, Entries: []jsonRow{}}
		for _, r := range rows {
			out.Entries = append(out.Entries, jsonRow{r.Time, r.Client, string(r.Ecosystem), r.Name, r.Version, r.Decision, r.Reason, r.Path, r.IDs})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCLIENT\tECOSYSTEM\tPACKAGE\tVERSION\tDECISION\tREASON")
	for _, r := range rows {
		reason := r.Reason
		if len(r.IDs) > 0 {
			reason = "now reported: " + strings.Join(r.IDs, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format(time.DateTime), clean(r.Client), r.Ecosystem,
			clean(r.Name), clean(r.Version), r.Decision, clean(reason))
	}
	if err := tw.Flush(); err != nil {
		return failure(err)
	}
	fmt.Fprintf(e.stdout, "%d entries\n", len(rows))
	if *malicious && len(rows) > 0 {
		return errFindings
	}
	return nil
}

// parseSince parses a date, an RFC 3339 time, or an age before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && days >= 0 && fmt.Sprint(days) == n {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-01), a time (RFC 3339) or an age (24h, 7d)", s)
}

// clean makes registry-supplied text safe for a terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
