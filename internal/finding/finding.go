// Package finding is the result vocabulary every stage of sapper shares: a
// Finding says what is wrong with which package, how bad it is and what to do
// about it. The database match produces "malicious" and "vulnerable" findings;
// later stages add typosquats, deprecations, install scripts and provenance
// problems with the same type.
package finding

import (
	"fmt"
	"strings"
)

// Kind says what a finding is about. The set is open: stages add kinds.
type Kind string

// The kinds sapper produces.
const (
	// Malicious: the package version is reported as malware (a MAL- record).
	Malicious Kind = "malicious"
	// Vulnerable: the package version has a known vulnerability.
	Vulnerable Kind = "vulnerable"
	// Typosquat: the name imitates a more popular package's (Target).
	Typosquat Kind = "typosquat"
	// Registry signals, read from the registry's metadata.
	Deprecated          Kind = "deprecated"           // the registry marks the version deprecated
	Yanked              Kind = "yanked"               // the version was yanked (PyPI, crates.io)
	NewRelease          Kind = "new-release"          // the version is younger than the set age
	NewPackage          Kind = "new-package"          // a brand-new package with a single version
	MaintainerChange    Kind = "maintainer-change"    // the publisher or maintainer set changed since the previous version
	InstallScript       Kind = "install-script"       // install scripts appear in this version but not the previous one
	ManifestConfusion   Kind = "manifest-confusion"   // the registry's manifest disagrees with the package's own
	DependencyConfusion Kind = "dependency-confusion" // a private name exists on the public registry
)

// Severity orders findings from informational to critical.
type Severity int

// Severities, from least to most severe.
const (
	SeverityUnknown Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"unknown", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity parses a severity name, ignoring case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", s)
}

// MarshalText encodes the severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Action is what sapper recommends doing about a finding.
type Action string

// The actions, from least to most restrictive.
const (
	Allow Action = "allow"
	Warn  Action = "warn"
	Block Action = "block"
)

// Package identifies the package version a finding is about.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
	PURL      string `json:"purl,omitempty"`
}

func (p Package) String() string {
	if p.Version == "" {
		return p.Ecosystem + ":" + p.Name
	}
	return p.Ecosystem + ":" + p.Name + "@" + p.Version
}

// Location is where a package was found: a file and line, when known.
type Location struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
}

// Finding is one problem with one package version.
type Finding struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	Package  Package  `json:"package"`
	// IDs are the records behind the finding (MAL-..., GHSA-...).
	IDs []string `json:"ids,omitempty"`
	// Aliases are the records' aliases.
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`
	Action  Action   `json:"action"`
	// Fixed is the lowest version that fixes a vulnerability, when known.
	Fixed    string    `json:"fixed,omitempty"`
	Location *Location `json:"location,omitempty"`
	// Rule and Category name the analysis rule behind a finding of
	// "sapper analyze", and Snippet shows the evidence (control characters
	// escaped), so that a person can check it.
	Rule     string `json:"rule,omitempty"`
	Category string `json:"category,omitempty"`
	Snippet  string `json:"snippet,omitempty"`
	// Target is, for a typosquat, the popular name imitated, and
	// Transformation how the two names are linked ("omitted character",
	// "scope confusion", ...).
	Target         string `json:"target,omitempty"`
	Transformation string `json:"transformation,omitempty"`
}
