package registry

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/version"
)

// release is one version of a package as the registry describes it.
type release struct {
	id string          // the version as the registry spells it
	v  version.Version // nil when it does not parse
	at time.Time       // publish time, zero when unknown
	// publisher published it ("" when unknown); maintainers are the
	// package's maintainers at that time (nil when unknown).
	publisher   string
	maintainers []string
}

// before reports whether r comes before cur in version order.
func (r *release) before(cur *release) bool {
	return r.v != nil && cur.v != nil && r.v.Compare(cur.v) < 0
}

// previous returns the release cur is compared with: the highest version
// below cur in version order. A stable cur is compared with a stable
// version when there is one. It returns nil for the lowest version, or
// when cur's version does not parse.
//
// Version order, not publication time: a backport 1.0.1 published after
// 2.0.0 is compared with 1.0.0, its own line, and the answer does not
// depend on times a mirror may not keep faithfully.
func previous(rels []*release, cur *release) *release {
	if cur.v == nil {
		return nil
	}
	var best, bestStable *release
	for _, r := range rels {
		if r == cur || !r.before(cur) {
			continue
		}
		if best == nil || r.v.Compare(best.v) > 0 {
			best = r
		}
		if !prerelease(r.v) && (bestStable == nil || r.v.Compare(bestStable.v) > 0) {
			bestStable = r
		}
	}
	if !prerelease(cur.v) && bestStable != nil {
		return bestStable
	}
	return best
}

// prerelease reports whether a semantic version has a prerelease part.
func prerelease(v version.Version) bool {
	s, _, _ := strings.Cut(v.String(), "+")
	return strings.Contains(s, "-")
}

// parseRelease parses id as a version of e, leaving v nil when it does not parse.
func parseRelease(e ecosystem.Ecosystem, id string, at time.Time) *release {
	v, _ := version.Parse(e, id)
	return &release{id: id, v: v, at: at}
}

// find returns the release whose version is id, or else one equal to it
// in the order of ecosystem e ("v1.0.0" is npm's "1.0.0").
func find(e ecosystem.Ecosystem, rels []*release, id string) *release {
	for _, r := range rels {
		if r.id == id {
			return r
		}
	}
	want := version.Canonical(e, id)
	for _, r := range rels {
		if r.v != nil && r.v.String() == want {
			return r
		}
	}
	return nil
}

func newFinding(pkg finding.Package, kind finding.Kind, sev finding.Severity, summary string) finding.Finding {
	return finding.Finding{Kind: kind, Severity: sev, Package: pkg, Action: finding.Warn, Summary: summary}
}

// ageSignals returns the new-release finding of cur and the new-package
// finding of a package whose only release is cur, created at created.
func ageSignals(pkg finding.Package, opt Options, now time.Time, cur *release, releases int, created time.Time) []finding.Finding {
	var out []finding.Finding
	if min := opt.minAge(); min > 0 && !cur.at.IsZero() {
		if age := now.Sub(cur.at); age < min {
			out = append(out, newFinding(pkg, finding.NewRelease, finding.SeverityMedium,
				fmt.Sprintf("published %s (younger than %s)", ago(age), span(min))))
		}
	}
	if max := opt.newPackageAge(); max > 0 && releases == 1 && !created.IsZero() {
		if age := now.Sub(created); age < max {
			out = append(out, newFinding(pkg, finding.NewPackage, finding.SeverityMedium,
				fmt.Sprintf("brand-new package: %s is its only version, created %s", cur.id, ago(age))))
		}
	}
	return out
}

// ago says how long ago something happened age ago.
func ago(age time.Duration) string {
	switch {
	case age < 0:
		return "in the future (the registry's clock or data is wrong)"
	case age < time.Minute:
		return "less than a minute ago"
	case age < time.Hour:
		return plural(int(age/time.Minute), "minute") + " ago"
	case age < 48*time.Hour:
		return plural(int(age/time.Hour), "hour") + " ago"
	default:
		return plural(int(age/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// span writes a configured duration the way it is usually set: "72h".
func span(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// maintainerChange compares the publisher and maintainers of cur with
// those of prev, the version before it; rels are all releases, to tell a
// newcomer from someone who published lower versions.
//
// A publisher who never published the package before and was not a
// maintainer of prev is high; one who was a maintainer but never published
// is medium; one who published earlier versions is low. Maintainers that
// all leave while others arrive are high; a newcomer among the maintainers
// is medium; anything else (a maintainer leaves, a former one returns) low.
func maintainerChange(pkg finding.Package, rels []*release, cur, prev *release) (finding.Finding, bool) {
	if prev == nil {
		return finding.Finding{}, false
	}
	published := map[string]bool{}
	seen := map[string]bool{}
	for _, r := range rels {
		if r == cur || !r.before(cur) {
			continue
		}
		if r.publisher != "" {
			published[norm(r.publisher)] = true
			seen[norm(r.publisher)] = true
		}
		for _, m := range r.maintainers {
			seen[norm(m)] = true
		}
	}
	var parts []string
	sev := finding.SeverityUnknown
	raise := func(s finding.Severity) { sev = max(sev, s) }

	if cur.publisher != "" && prev.publisher != "" && norm(cur.publisher) != norm(prev.publisher) {
		p := norm(cur.publisher)
		switch {
		case published[p]:
			raise(finding.SeverityLow)
			parts = append(parts, fmt.Sprintf("publisher changed from %s to %s, who published lower versions", prev.publisher, cur.publisher))
		case slices.ContainsFunc(prev.maintainers, func(m string) bool { return norm(m) == p }):
			raise(finding.SeverityMedium)
			parts = append(parts, fmt.Sprintf("publisher changed from %s to %s, a maintainer who never published this package before", prev.publisher, cur.publisher))
		default:
			raise(finding.SeverityHigh)
			parts = append(parts, fmt.Sprintf("publisher changed from %s to %s, who never published this package before", prev.publisher, cur.publisher))
		}
	}

	if cur.maintainers != nil && prev.maintainers != nil {
		added, removed := diffNames(prev.maintainers, cur.maintainers)
		kept := len(prev.maintainers) - len(removed)
		switch {
		case len(added) == 0 && len(removed) == 0:
		case len(added) > 0 && kept == 0 && len(prev.maintainers) > 0:
			raise(finding.SeverityHigh)
			parts = append(parts, fmt.Sprintf("maintainers replaced: %s -> %s", names(removed), names(added)))
		default:
			newcomer := slices.ContainsFunc(added, func(m string) bool { return !seen[norm(m)] })
			if newcomer {
				raise(finding.SeverityMedium)
			} else {
				raise(finding.SeverityLow)
			}
			var s []string
			if len(added) > 0 {
				s = append(s, "added "+names(added))
			}
			if len(removed) > 0 {
				s = append(s, "removed "+names(removed))
			}
			parts = append(parts, "maintainers "+strings.Join(s, ", "))
		}
	}
	if len(parts) == 0 {
		return finding.Finding{}, false
	}
	return newFinding(pkg, finding.MaintainerChange, sev,
		strings.Join(parts, "; ")+fmt.Sprintf(" (since %s)", prev.id)), true
}

func norm(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// diffNames returns the names in b but not a, and in a but not b.
func diffNames(a, b []string) (added, removed []string) {
	in := func(list []string, n string) bool {
		return slices.ContainsFunc(list, func(m string) bool { return norm(m) == norm(n) })
	}
	for _, n := range b {
		if !in(a, n) && !in(added, n) {
			added = append(added, n)
		}
	}
	for _, n := range a {
		if !in(b, n) && !in(removed, n) {
			removed = append(removed, n)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

// names lists up to five names.
func names(list []string) string {
	const most = 5
	if len(list) > most {
		return strings.Join(list[:most], ", ") + fmt.Sprintf(" and %d more", len(list)-most)
	}
	return strings.Join(list, ", ")
}

// downloads matches a script that fetches something from the network.
var downloads = regexp.MustCompile(`(?i)\b(curl|wget|invoke-webrequest|iwr|invoke-restmethod|irm|certutil|bitsadmin)\b|\b(https?|ftp)://`)

// snippet makes s printable evidence, at most 160 characters.
func snippet(s string) string {
	const most = 158
	r := []rune(s)
	cut := len(r) > most
	if cut {
		r = r[:most]
	}
	q := strconv.Quote(string(r))
	q = q[1 : len(q)-1]
	if cut {
		q += "…"
	}
	return q
}
