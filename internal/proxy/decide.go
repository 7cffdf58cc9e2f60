package proxy

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/match"
	"github.com/sapperhq/sapper/internal/policy"
)

// Decision is what the proxy does with one package version.
type Decision struct {
	// Action is allow, warn (served, and recorded as a warning) or block.
	Action finding.Action
	// Reason says why, for the client's error message and the audit
	// log: the records' IDs and summaries, the look-alike name, the
	// quarantine. Empty for a plain allow.
	Reason string
	// IDs are the records behind a block, such as MAL-2024-11183.
	IDs []string
}

// Blocked reports whether d keeps the version from clients.
func (d Decision) Blocked() bool { return d.Action == finding.Block }

// VersionInfo is what the upstream's metadata says about a version, for
// the decisions that need it.
type VersionInfo struct {
	// Published is when the version was published; zero when unknown
	// (then the quarantine cannot apply).
	Published time.Time
	// AddsInstallScript reports that the version runs install scripts
	// the previous version did not.
	AddsInstallScript bool
}

// Decide decides one version of a package (version "" decides the package
// as a whole: its name). It never returns allow for something it could
// not check, unless the configuration fails open.
func (s *Server) Decide(ctx context.Context, eco ecosystem.Ecosystem, name, version string, info VersionInfo) Decision {
	var fs []finding.Finding
	if s.cfg.DB == nil {
		if !s.cfg.FailOpen {
			return Decision{Action: finding.Block, Reason: "sapper has no readable database, and fails closed: run \"sapper db sync\""}
		}
		fs = append(fs, finding.Finding{Kind: "unchecked", Action: finding.Warn, Summary: "not checked: no database (fail-open)"})
	} else if version != "" {
		res, err := match.Lookup(ctx, s.cfg.DB, match.Query{Ecosystem: eco, Name: name, Version: version})
		switch {
		case err != nil && !s.cfg.FailOpen:
			return Decision{Action: finding.Block, Reason: fmt.Sprintf("sapper could not check the version, and fails closed: %v", err)}
		case err != nil:
			fs = append(fs, finding.Finding{Kind: "unchecked", Action: finding.Warn, Summary: fmt.Sprintf("not checked (fail-open): %v", err)})
		}
		for _, f := range match.Findings(res) {
			if f.Kind == finding.Malicious {
				fs = append(fs, f)
			}
		}
	}
	pkg := finding.Package{Ecosystem: string(eco), Name: name, Version: version}
	if s.cfg.Names != nil {
		if m, ok := s.cfg.Names.Check(string(eco), name); ok {
			fs = append(fs, m.Finding(pkg))
		}
	}
	if q := s.cfg.Quarantine; q > 0 && version != "" && !info.Published.IsZero() {
		if age := s.now().Sub(info.Published); age < q && !s.exempt(eco, name, version) {
			fs = append(fs, finding.Finding{Kind: "quarantine", Action: finding.Block, Package: pkg,
				Summary: fmt.Sprintf("quarantined: published %s ago, younger than the %s quarantine", roundAge(age), q)})
		}
	}
	if info.AddsInstallScript {
		fs = append(fs, finding.Finding{Kind: finding.InstallScript, Action: finding.Warn, Package: pkg,
			Summary: "adds an install script the previous version did not have"})
	}
	for i := range fs {
		fs[i].Package = pkg
	}
	return decision(policy.Evaluate(fs, s.cfg.Policy, s.now()).Findings)
}

// decision folds findings into one decision: the most restrictive
// action, with the reasons of the findings that have it.
func decision(fs []finding.Finding) Decision {
	d := Decision{Action: finding.Allow}
	rank := map[finding.Action]int{finding.Allow: 0, finding.Warn: 1, finding.Block: 2}
	for _, f := range fs {
		a := cmp.Or(f.Action, finding.Warn)
		if rank[a] > rank[d.Action] {
			d = Decision{Action: a}
		}
	}
	if d.Action == finding.Allow {
		return d
	}
	var reasons []string
	for _, f := range fs {
		if cmp.Or(f.Action, finding.Warn) != d.Action {
			continue
		}
		r := f.Summary
		if len(f.IDs) > 0 {
			r = strings.Join(f.IDs, ", ") + " (" + f.Summary + ")"
			d.IDs = append(d.IDs, f.IDs...)
		}
		reasons = append(reasons, r)
	}
	slices.Sort(d.IDs)
	d.IDs = slices.Compact(d.IDs)
	d.Reason = strings.Join(reasons, "; ")
	return d
}

// exempt reports whether the policy exempts a version from the quarantine.
func (s *Server) exempt(eco ecosystem.Ecosystem, name, version string) bool {
	_, ok := s.cfg.Policy.QuarantineExempt(eco, name, version, s.now())
	return ok
}

func roundAge(d time.Duration) time.Duration {
	if d > time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}
