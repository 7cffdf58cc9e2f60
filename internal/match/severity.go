package match

import (
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/osv"
)

// Severity rates a vulnerability record: the highest CVSS base score among
// its severity entries (v3.0, v3.1, v4.0 vectors; CVSS v2 is not rated),
// else the database's own word in database_specific.severity (GitHub's
// CRITICAL, HIGH, MODERATE, LOW; others' critical, important, medium...),
// else SeverityUnknown. Malformed vectors are skipped, never an error: the
// record still matches.
func Severity(v *osv.Vulnerability) finding.Severity {
	best := -1.0
	for _, s := range v.Severity {
		if score, ok := cvssScore(s); ok && score > best {
			best = score
		}
	}
	for _, a := range v.Affected {
		for _, s := range a.Severity {
			if score, ok := cvssScore(s); ok && score > best {
				best = score
			}
		}
	}
	if best >= 0 {
		return fromScore(best)
	}
	return fromLabel(databaseSeverity(v))
}

func cvssScore(s osv.Severity) (float64, bool) {
	if len(s.Score) > 256 {
		return 0, false
	}
	switch {
	case strings.HasPrefix(s.Score, "CVSS:3.1/"):
		if c, err := gocvss31.ParseVector(s.Score); err == nil {
			return c.BaseScore(), true
		}
	case strings.HasPrefix(s.Score, "CVSS:3.0/"):
		if c, err := gocvss30.ParseVector(s.Score); err == nil {
			return c.BaseScore(), true
		}
	case strings.HasPrefix(s.Score, "CVSS:4.0/"):
		if c, err := gocvss40.ParseVector(s.Score); err == nil {
			return c.Score(), true
		}
	}
	return 0, false
}

// fromScore maps a CVSS score to the qualitative ratings of the CVSS
// specification: 9.0-10 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
func fromScore(score float64) finding.Severity {
	switch {
	case score >= 9.0:
		return finding.SeverityCritical
	case score >= 7.0:
		return finding.SeverityHigh
	case score >= 4.0:
		return finding.SeverityMedium
	case score > 0:
		return finding.SeverityLow
	}
	return finding.SeverityUnknown
}

func fromLabel(label string) finding.Severity {
	switch strings.ToLower(label) {
	case "critical":
		return finding.SeverityCritical
	case "high", "important":
		return finding.SeverityHigh
	case "moderate", "medium":
		return finding.SeverityMedium
	case "low", "negligible":
		return finding.SeverityLow
	}
	return finding.SeverityUnknown
}

// databaseSeverity reads the database's own rating: the affected entries'
// ecosystem_specific or database_specific severity, else the record's.
func databaseSeverity(v *osv.Vulnerability) string {
	for _, a := range v.Affected {
		if s := osv.SeverityWord(a.EcosystemSpecific, a.DatabaseSpecific); s != "" {
			return s
		}
	}
	return osv.SeverityWord(v.DatabaseSpecific)
}
