package match

import (
	"slices"

	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/version"
)

// Findings turns a result into findings: one "malicious" finding for all the
// malware records that affect the package (critical, block), and one
// "vulnerable" finding for all the other records (warn).
func Findings(r Result) []finding.Finding {
	var mal, vuln []*osv.Vulnerability
	for _, v := range r.Vulns {
		if v.IsMalicious() {
			mal = append(mal, v)
		} else {
			vuln = append(vuln, v)
		}
	}
	var out []finding.Finding
	if len(mal) > 0 {
		out = append(out, newFinding(r.Query, finding.Malicious, finding.SeverityCritical, finding.Block, mal))
	}
	if len(vuln) > 0 {
		sev := finding.SeverityUnknown
		for _, v := range vuln {
			sev = max(sev, Severity(v))
		}
		f := newFinding(r.Query, finding.Vulnerable, sev, finding.Warn, vuln)
		f.Fixed = fixedVersion(r, vuln)
		out = append(out, f)
	}
	return out
}

// fixedVersion returns the lowest version that fixes every record in vulns,
// or "" when one of them names no fix or the versions cannot be ordered.
func fixedVersion(r Result, vulns []*osv.Vulnerability) string {
	var best version.Version
	for _, v := range vulns {
		s, ok := r.Fixed[v.ID]
		if !ok {
			return ""
		}
		fv, err := version.Parse(r.Query.Ecosystem, s)
		if err != nil {
			return ""
		}
		if best == nil || fv.Compare(best) > 0 {
			best = fv
		}
	}
	if best == nil {
		return ""
	}
	for _, v := range vulns {
		if s := r.Fixed[v.ID]; version.Canonical(r.Query.Ecosystem, s) == best.String() {
			return s // as the record writes it
		}
	}
	return best.String()
}

func newFinding(q Query, kind finding.Kind, sev finding.Severity, act finding.Action, vulns []*osv.Vulnerability) finding.Finding {
	f := finding.Finding{
		Kind:     kind,
		Severity: sev,
		Action:   act,
		Package: finding.Package{
			Ecosystem: string(q.Ecosystem),
			Name:      q.Name,
			Version:   q.Version,
			PURL:      q.PURL,
		},
		Location: q.Location,
	}
	for _, v := range vulns {
		f.IDs = append(f.IDs, v.ID)
		f.Aliases = append(f.Aliases, v.Aliases...)
		if f.Summary == "" {
			f.Summary = v.Summary
		}
	}
	slices.Sort(f.IDs)
	slices.Sort(f.Aliases)
	f.Aliases = slices.Compact(f.Aliases)
	return f
}
