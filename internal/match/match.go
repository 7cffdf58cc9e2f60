// Package match decides which OSV records affect a package version and turns
// the matches into findings.
//
// It reads records through Source, which it declares and the caller fills
// (the store, or a fake in tests); it never touches a database itself.
package match

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/osv"
	"github.com/sapperhq/sapper/internal/version"
)

// Source returns the records naming a package. The records may be trimmed to
// the affected entries for that package; withdrawn records must be left out.
type Source interface {
	Lookup(ctx context.Context, eco ecosystem.Ecosystem, name string) ([]*osv.Vulnerability, error)
}

// Query is a package version to match. An empty Version matches every record
// naming the package.
type Query struct {
	Ecosystem ecosystem.Ecosystem
	Name      string
	Version   string
	// PURL and Location are copied into findings.
	PURL     string
	Location *finding.Location
}

// Result is what matching one query found.
type Result struct {
	Query Query
	// Vulns are the records affecting the package version, sorted by ID.
	Vulns []*osv.Vulnerability
	// Fixed maps a record ID to the lowest version above the queried one
	// that its ranges say fixes it, for records that name one.
	Fixed map[string]string
	// Notes say what could not be evaluated (ranges of an ecosystem sapper
	// cannot order, a version that does not parse), so that a reader knows
	// the result may be incomplete.
	Notes []string
}

// Lookup returns the records of src that affect q.
func Lookup(ctx context.Context, src Source, q Query) (Result, error) {
	res := Result{Query: q}
	vulns, err := src.Lookup(ctx, q.Ecosystem, q.Name)
	if err != nil {
		return res, fmt.Errorf("look up %s:%s: %w", q.Ecosystem, q.Name, err)
	}
	if len(vulns) == 0 {
		return res, nil
	}
	m := newMatcher(q)
	for _, v := range vulns {
		if v.IsWithdrawn() {
			continue
		}
		m.fixed = ""
		if m.affects(v) {
			res.Vulns = append(res.Vulns, v)
			if m.fixed != "" {
				if res.Fixed == nil {
					res.Fixed = map[string]string{}
				}
				res.Fixed[v.ID] = m.fixed
			}
		}
	}
	slices.SortFunc(res.Vulns, func(a, b *osv.Vulnerability) int { return strings.Compare(a.ID, b.ID) })
	res.Notes = m.notes
	return res, nil
}

// Affects reports whether record v affects version of package (eco, name).
// Notes say what could not be evaluated.
func Affects(v *osv.Vulnerability, eco ecosystem.Ecosystem, name, ver string) (bool, []string) {
	m := newMatcher(Query{Ecosystem: eco, Name: name, Version: ver})
	ok := m.affects(v)
	return ok, m.notes
}

// matcher evaluates records against one query, parsing its version once.
type matcher struct {
	q         Query
	name      string // normalised
	canonical string
	parsed    version.Version
	parseErr  error
	notes     []string
	fixed     string // set by inRange: the fix of the range that matched
}

func newMatcher(q Query) *matcher {
	m := &matcher{q: q, name: ecosystem.Normalize(q.Ecosystem, q.Name)}
	if q.Version != "" {
		m.canonical = version.Canonical(q.Ecosystem, q.Version)
		if version.Ordered(q.Ecosystem) {
			m.parsed, m.parseErr = version.Parse(q.Ecosystem, q.Version)
		}
	}
	return m
}

func (m *matcher) note(s string) {
	if !slices.Contains(m.notes, s) {
		m.notes = append(m.notes, s)
	}
}

func (m *matcher) affects(v *osv.Vulnerability) bool {
	for i := range v.Affected {
		a := &v.Affected[i]
		eco, err := ecosystem.Parse(a.Package.Ecosystem)
		if err != nil || eco != m.q.Ecosystem || ecosystem.Normalize(eco, a.Package.Name) != m.name {
			continue
		}
		if m.q.Version == "" {
			return true
		}
		for _, s := range a.Versions {
			if s == m.q.Version || version.Canonical(eco, s) == m.canonical {
				return true
			}
		}
		for j := range a.Ranges {
			if m.inRange(v.ID, &a.Ranges[j]) {
				return true
			}
		}
	}
	return false
}

// inRange evaluates a SEMVER or ECOSYSTEM range as the OSV schema describes
// (https://ossf.github.io/osv-schema/#evaluation): walking the events in
// version order, "introduced" turns the range on, "fixed" (at or below the
// version) and "last_affected" (below it) turn it off; a "limit" at or below
// the version excludes it. GIT ranges name commits, not versions, and never
// match a package version.
func (m *matcher) inRange(id string, r *osv.Range) bool {
	if r.Type == osv.RangeGit {
		return false
	}
	if everyVersion(r) {
		return true
	}
	if !version.Ordered(m.q.Ecosystem) {
		m.note(fmt.Sprintf("ranges of ecosystem %s are not evaluated (sapper cannot order its versions); only explicit versions lists were matched", m.q.Ecosystem))
		return false
	}
	if m.parseErr != nil {
		m.note(fmt.Sprintf("version %q does not parse as a %s version, so ranges were not evaluated: %v", m.q.Version, m.q.Ecosystem, m.parseErr))
		return false
	}
	affected := false
	events := sortedEvents(m.q.Ecosystem, r.Events)
	for _, e := range events {
		switch {
		case e.ev.Introduced != "":
			if e.ev.Introduced == "0" || (e.v != nil && m.parsed.Compare(e.v) >= 0) {
				affected = true
			}
		case e.ev.Fixed != "":
			if e.v != nil && m.parsed.Compare(e.v) >= 0 {
				affected = false
			}
		case e.ev.LastAffected != "":
			if e.v != nil && m.parsed.Compare(e.v) > 0 {
				affected = false
			}
		case e.ev.Limit != "":
			if e.ev.Limit != "*" && e.v != nil && m.parsed.Compare(e.v) >= 0 {
				return false
			}
		}
		if e.v == nil && e.ev.Introduced != "0" && e.ev.Limit != "*" {
			m.note(fmt.Sprintf("%s: range event version does not parse as a %s version; event skipped", id, m.q.Ecosystem))
		}
	}
	if affected {
		// The fix is the first "fixed" above the version.
		for _, e := range events {
			if e.ev.Fixed != "" && e.v != nil && m.parsed.Compare(e.v) < 0 {
				m.fixed = e.ev.Fixed
				break
			}
		}
	}
	return affected
}

// AffectsAllVersions reports whether v affects every version of package
// (eco, name): an affected entry for it with a range that is only
// `introduced: "0"`. Such records (most malicious-package reports) need no
// version to apply.
func AffectsAllVersions(v *osv.Vulnerability, eco ecosystem.Ecosystem, name string) bool {
	norm := ecosystem.Normalize(eco, name)
	for i := range v.Affected {
		a := &v.Affected[i]
		if e, err := ecosystem.Parse(a.Package.Ecosystem); err != nil || e != eco || ecosystem.Normalize(eco, a.Package.Name) != norm {
			continue
		}
		for j := range a.Ranges {
			if a.Ranges[j].Type != osv.RangeGit && everyVersion(&a.Ranges[j]) {
				return true
			}
		}
	}
	return false
}

// everyVersion reports whether r is the malicious-package idiom
// `introduced: "0"` with nothing after it, which needs no version ordering:
// every version, including ones that do not parse, is affected.
func everyVersion(r *osv.Range) bool {
	return len(r.Events) == 1 && r.Events[0].Introduced == "0"
}

type event struct {
	ev osv.Event
	v  version.Version // nil for "0", "*" and versions that do not parse
}

// sortedEvents parses the events' versions and sorts them ascending, with
// introduced "0" first and unparsable versions last (they are skipped).
func sortedEvents(eco ecosystem.Ecosystem, evs []osv.Event) []event {
	out := make([]event, len(evs))
	for i, e := range evs {
		out[i].ev = e
		s := e.Introduced + e.Fixed + e.LastAffected + e.Limit // exactly one is set
		if s != "0" && s != "*" {
			out[i].v, _ = version.Parse(eco, s)
		}
	}
	slices.SortStableFunc(out, func(a, b event) int {
		az, bz := a.ev.Introduced == "0", b.ev.Introduced == "0"
		switch {
		case az || bz:
			return boolCmp(bz, az)
		case a.v == nil || b.v == nil:
			return boolCmp(a.v == nil, b.v == nil)
		}
		return a.v.Compare(b.v)
	})
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
