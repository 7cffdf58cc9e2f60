// Package osv holds the types of the Open Source Vulnerability format
// (https://ossf.github.io/osv-schema/), a decoder that validates records read
// from untrusted files, and no I/O.
//
// The OpenSSF Malicious Packages Repository publishes its reports in this
// format, with IDs starting "MAL-"; osv.dev publishes ordinary vulnerability
// records (GHSA-, PYSEC-, GO-, RUSTSEC-, ...) in it too.
package osv

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Vulnerability is one OSV record.
// See https://ossf.github.io/osv-schema/#id-modified-fields.
type Vulnerability struct {
	// SchemaVersion is the OSV schema version the record follows.
	SchemaVersion string `json:"schema_version,omitempty"`
	// ID is the record's identifier, such as "MAL-2024-1234" or "GHSA-xxxx-xxxx-xxxx".
	ID string `json:"id"`
	// Modified is when the record was last changed; a newer Modified wins on import.
	Modified time.Time `json:"modified"`
	// Published is when the record was first published.
	Published time.Time `json:"published,omitzero"`
	// Withdrawn is when the record was withdrawn; a withdrawn record never matches.
	Withdrawn time.Time `json:"withdrawn,omitzero"`
	// Aliases are IDs of the same issue in other databases.
	Aliases []string `json:"aliases,omitempty"`
	// Related are IDs of closely related records.
	Related []string `json:"related,omitempty"`
	// Upstream are IDs of records this one derives from.
	Upstream []string `json:"upstream,omitempty"`
	// Summary is a one-line description.
	Summary string `json:"summary,omitempty"`
	// Details is a longer description, in CommonMark.
	Details string `json:"details,omitempty"`
	// Severity lists severity scores (CVSS vectors and the like).
	Severity []Severity `json:"severity,omitempty"`
	// Affected lists the packages and versions the record applies to.
	Affected []Affected `json:"affected,omitempty"`
	// References are links to more information.
	References []Reference `json:"references,omitempty"`
	// Credits name who found, reported or analysed the issue.
	Credits []Credit `json:"credits,omitempty"`
	// DatabaseSpecific is free-form data from the publishing database.
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Affected is one entry of a record's affected list.
// See https://ossf.github.io/osv-schema/#affected-fields.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Package identifies an affected package.
// See https://ossf.github.io/osv-schema/#affectedpackage-field.
type Package struct {
	// Ecosystem is the OSV ecosystem, possibly with a ":suffix" ("Debian:12").
	Ecosystem string `json:"ecosystem"`
	// Name is the package name as the ecosystem writes it.
	Name string `json:"name"`
	// PURL is the package URL, when given.
	PURL string `json:"purl,omitempty"`
}

// RangeType is the type of a range's version strings.
type RangeType string

// The range types of the OSV schema.
const (
	RangeSemVer    RangeType = "SEMVER"
	RangeEcosystem RangeType = "ECOSYSTEM"
	RangeGit       RangeType = "GIT"
)

// Range is a list of events that say which versions are affected.
// See https://ossf.github.io/osv-schema/#affectedranges-field.
type Range struct {
	Type             RangeType       `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one point of a range. Exactly one field is set.
// See https://ossf.github.io/osv-schema/#affectedrangesevents-fields.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Severity is a severity score.
// See https://ossf.github.io/osv-schema/#severity-field.
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Reference is a link to more information.
// See https://ossf.github.io/osv-schema/#references-field.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Credit names a person or organisation credited for the record.
// See https://ossf.github.io/osv-schema/#credits-fields.
type Credit struct {
	Name    string   `json:"name"`
	Contact []string `json:"contact,omitempty"`
	Type    string   `json:"type,omitempty"`
}

// IsWithdrawn reports whether the record has been withdrawn.
func (v *Vulnerability) IsWithdrawn() bool { return !v.Withdrawn.IsZero() }

// IsMalicious reports whether the record reports a malicious package rather
// than an ordinary vulnerability: a "MAL-" ID or alias, which is how the
// OpenSSF Malicious Packages Repository and osv.dev mark malware, or CWE-506
// (embedded malicious code) in database_specific.cwe_ids, which is how GitHub
// advisories mark it.
func (v *Vulnerability) IsMalicious() bool {
	if strings.HasPrefix(v.ID, "MAL-") {
		return true
	}
	for _, a := range v.Aliases {
		if strings.HasPrefix(a, "MAL-") {
			return true
		}
	}
	if len(v.DatabaseSpecific) == 0 || !bytes.Contains(v.DatabaseSpecific, []byte("CWE-506")) {
		return false
	}
	var ds struct {
		CWEIDs []string `json:"cwe_ids"`
	}
	if json.Unmarshal(v.DatabaseSpecific, &ds) != nil {
		return false
	}
	return slices.Contains(ds.CWEIDs, "CWE-506")
}

// SeverityWord returns the first "severity" string found in the given
// database_specific or ecosystem_specific objects: a database's own rating
// ("CRITICAL", "MODERATE", "medium"), or "" when none has one.
func SeverityWord(objects ...json.RawMessage) string {
	for _, raw := range objects {
		if !bytes.Contains(raw, []byte(`"severity"`)) {
			continue
		}
		var ds struct {
			Severity any `json:"severity"`
		}
		if json.Unmarshal(raw, &ds) != nil {
			continue
		}
		if s, ok := ds.Severity.(string); ok && s != "" && len(s) <= 32 {
			return s
		}
	}
	return ""
}
