package policy

import (
	"fmt"
	pathpkg "path"
	"slices"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

// Level is the --fail-on threshold: which findings make the exit code 1.
type Level string

// The levels.
const (
	// FailBlock fails on findings whose action is block (the default).
	FailBlock Level = "block"
	// FailWarn fails on findings whose action is warn or block.
	FailWarn Level = "warn"
	// FailCritical, FailHigh, FailMedium and FailLow fail on findings of
	// at least that severity.
	FailCritical Level = "critical"
	FailHigh     Level = "high"
	FailMedium   Level = "medium"
	FailLow      Level = "low"
	// FailAny fails on any finding.
	FailAny Level = "any"
	// FailNone never fails.
	FailNone Level = "none"
)

// ParseLevel parses a level; "" is the default, block.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToLower(strings.TrimSpace(s)))
	switch l {
	case "":
		return FailBlock, nil
	case FailBlock, FailWarn, FailCritical, FailHigh, FailMedium, FailLow, FailAny, FailNone:
		return l, nil
	}
	return "", fmt.Errorf("unknown level %q (want block, warn, critical, high, medium, low, any or none)", s)
}

// UnmarshalText implements encoding.TextUnmarshaler, for flag.TextVar.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (l Level) MarshalText() ([]byte, error) {
	if l == "" {
		return []byte(FailBlock), nil
	}
	return []byte(l), nil
}

// Reached reports whether f is at or above the level.
func (l Level) Reached(f finding.Finding) bool {
	sev := func(min finding.Severity) bool { return f.Severity >= min || f.Action == finding.Block }
	switch l {
	case FailBlock, "":
		return f.Action == finding.Block
	case FailWarn:
		return f.Action == finding.Block || f.Action == finding.Warn
	case FailCritical:
		return sev(finding.SeverityCritical)
	case FailHigh:
		return sev(finding.SeverityHigh)
	case FailMedium:
		return sev(finding.SeverityMedium)
	case FailLow:
		return sev(finding.SeverityLow)
	case FailAny:
		return true
	}
	return false
}

// Ignored is a finding the policy ignored, and why.
type Ignored struct {
	Finding finding.Finding
	Reason  string
}

// Result is the policy applied to a set of findings.
type Result struct {
	// Findings are the findings that stand.
	Findings []finding.Finding
	// Ignored are the findings ignored by a rule that has not expired.
	Ignored []Ignored
	// Warnings are about the policy itself, such as expired ignores.
	Warnings []string
}

// Evaluate applies the ignores of cfg (nil: the default policy) to findings
// as of now. An ignore by record ID removes that record from a finding and
// the finding once none of its records is left; an ignore by package removes
// the package's findings. An expired ignore applies to nothing and is
// reported in the warnings.
func Evaluate(findings []finding.Finding, cfg *Config, now time.Time) Result {
	if cfg == nil {
		return Result{Findings: findings}
	}
	var res Result
	var live []Ignore
	for _, ig := range cfg.Ignores {
		if !ig.Expires.IsZero() && !now.Before(ig.Expires) {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s:%d: the ignore of %s expired on %s; its findings are reported again (reason given: %s)",
				cfg.Path, ig.Line, ig.subject(), ig.Expires.Format(time.DateOnly), ig.Reason))
			continue
		}
		live = append(live, ig)
	}
next:
	for _, f := range findings {
		f, why, keep := cfg.applySignal(f)
		if !keep {
			res.Ignored = append(res.Ignored, Ignored{Finding: f, Reason: why})
			continue
		}
		for _, ig := range live {
			if ig.Name != "" && ig.matchesPackage(f.Package) {
				res.Ignored = append(res.Ignored, Ignored{Finding: f, Reason: ig.Reason})
				continue next
			}
		}
		if len(f.IDs) == 0 {
			res.Findings = append(res.Findings, f)
			continue
		}
		kept := f
		kept.IDs = nil
		var reasons []string
		for _, id := range f.IDs {
			names := []string{id}
			if len(f.IDs) == 1 {
				// The aliases are this one record's, so an ignore by
				// alias (GHSA- for a MAL- record) applies too.
				names = append(names, f.Aliases...)
			}
			if ig, ok := ignoreFor(live, names); ok {
				reasons = append(reasons, ig.Reason)
				continue
			}
			kept.IDs = append(kept.IDs, id)
		}
		if len(kept.IDs) == 0 {
			res.Ignored = append(res.Ignored, Ignored{Finding: f, Reason: strings.Join(reasons, "; ")})
			continue
		}
		res.Findings = append(res.Findings, kept)
	}
	return res
}

// ignoreFor returns the live ignore by ID that names one of names.
func ignoreFor(live []Ignore, names []string) (Ignore, bool) {
	for _, ig := range live {
		if ig.ID != "" && slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, ig.ID) }) {
			return ig, true
		}
	}
	return Ignore{}, false
}

func (ig Ignore) subject() string {
	if ig.ID != "" {
		return ig.ID
	}
	s := string(ig.Ecosystem) + ":" + ig.Name
	if ig.Version != "" {
		s += "@" + ig.Version
	}
	return s
}

func (ig Ignore) matchesPackage(p finding.Package) bool {
	if string(ig.Ecosystem) != p.Ecosystem {
		return false
	}
	if ecosystem.Normalize(ig.Ecosystem, ig.Name) != ecosystem.Normalize(ig.Ecosystem, p.Name) {
		return false
	}
	return ig.Version == "" || ig.Version == p.Version
}

// IsPrivate reports whether a package is the organisation's own: an npm
// scope, a name prefix, or a registry that the policy names. Private
// packages are never matched against public records: a public record about
// a package of the same name is about someone else's package.
func (c *Config) IsPrivate(eco ecosystem.Ecosystem, name, registry string) bool {
	if c == nil {
		return false
	}
	if eco == ecosystem.NPM {
		for _, s := range c.Private.Scopes {
			if strings.HasPrefix(name, s+"/") {
				return true
			}
		}
	}
	for _, p := range c.Private.Prefixes {
		if e, rest, ok := strings.Cut(p, ":"); ok {
			pe, err := ecosystem.FromPrefix(e)
			if err != nil || pe != eco {
				continue
			}
			p = rest
		}
		if strings.HasPrefix(ecosystem.Normalize(eco, name), ecosystem.Normalize(eco, p)) {
			return true
		}
	}
	if registry != "" {
		for _, r := range c.Private.Registries {
			if strings.HasPrefix(strings.TrimSuffix(registry, "/")+"/", strings.TrimSuffix(r, "/")+"/") {
				return true
			}
		}
	}
	return false
}

// Allowed returns the allow entry that accepts a finding of rule on the file
// at path, whose content hashes to sha256 (hex), in package (eco, name,
// version); ok is false when none does.
func (c *Config) Allowed(eco ecosystem.Ecosystem, name, version, path, rule, sha256 string) (Allow, bool) {
	if c == nil {
		return Allow{}, false
	}
	for _, a := range c.Allows {
		if a.Ecosystem != eco || ecosystem.Normalize(eco, a.Name) != ecosystem.Normalize(eco, name) {
			continue
		}
		if a.Version != "" && a.Version != version {
			continue
		}
		if ok, _ := pathpkg.Match(a.Path, path); !ok || a.Rule != rule || a.SHA256 != strings.ToLower(sha256) {
			continue
		}
		return a, true
	}
	return Allow{}, false
}
