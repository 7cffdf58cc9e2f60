package match

import (
	"slices"

	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/osv"
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
		out = append(out, newFinding(r.Query, finding.Vulnerable, finding.SeverityUnknown, finding.Warn, vuln))
	}
	return out
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
