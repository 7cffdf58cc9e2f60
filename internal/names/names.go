package names

import (
	"fmt"
	"maps"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

// params are the gate and thresholds; docs/names.md gives the measurements
// behind each value.
type params struct {
	// ratio: a listed name is flagged only when the target is at least
	// ratio times more popular (rank 5 against rank 500 with ratio 100).
	ratio int
	// topN: a name not in the list is compared with the topN most popular.
	topN int
	// weakTopN: the weak transformations (word order, affix, version,
	// scope confusion and removal, owner changed) compare with the
	// weakTopN most popular only.
	weakTopN int
	// minLen is the shortest target, folded, that typo transformations
	// apply to: two names of three letters one edit apart are common.
	minLen int
	// minInsert is the shortest target for which a stray character that
	// is not a neighbouring key counts as a typo.
	minInsert int
	// minRoot is the shortest popular name the weak transformations apply
	// to: "lib-io" is not a decoration of "io".
	minRoot int
}

var defaultParams = params{ratio: 100, topN: 1 << 30, weakTopN: 300, minLen: 5, minInsert: 7, minRoot: 4}

// maxNameLen bounds the names compared: npm allows 214 bytes, and Go module
// paths in practice stay far below this.
const maxNameLen = 512

// Checker checks package names against lists of popular names. It is
// immutable once built and safe for concurrent use.
type Checker struct {
	lists map[string]*index
	allow map[pairKey]bool
	p     params
}

// pairKey is an allowlisted (ecosystem, name, target), names folded.
type pairKey struct{ eco, name, target string }

// New returns a Checker for lists, which maps an ecosystem, named as package
// ecosystem names it ("npm", "PyPI", "Go", "RubyGems", "crates.io"), to its
// popular names, most popular first; of names that fold alike (see Check)
// the first counts. The embedded allowlist of legitimate look-alike pairs
// applies; the embedded lists do not (see Default).
func New(lists map[string][]string) *Checker {
	c := &Checker{lists: make(map[string]*index, len(lists)), allow: embeddedAllowlist(), p: defaultParams}
	for eco, names := range lists {
		c.lists[eco] = newIndex(eco, names, true)
	}
	return c
}

// WithList returns a copy of c in which names, most popular first, are
// added to the list of ecosystem. The two lists interleave (the first of
// each, then the second of each, ...), so a name in both keeps the better
// of its places, and Match.TargetRank is a position in the merged list.
// Use it for an ecosystem without an embedded list (crates.io) or to
// protect a company's own package names.
func (c *Checker) WithList(eco string, names []string) *Checker {
	d := &Checker{lists: maps.Clone(c.lists), allow: c.allow, p: c.p}
	old := c.lists[eco]
	if old == nil {
		d.lists[eco] = newIndex(eco, names, true)
		return d
	}
	merged := make([]string, 0, len(old.names)+len(names))
	for i := 0; i < max(len(old.names), len(names)); i++ {
		if i < len(old.names) {
			merged = append(merged, old.names[i])
		}
		if i < len(names) {
			merged = append(merged, names[i])
		}
	}
	d.lists[eco] = newIndex(eco, merged, old.ranked)
	return d
}

// Match is a popular name that a checked name imitates.
type Match struct {
	// Target is the popular name, as the list spells it.
	Target string
	// Transformation says how the names are linked: one of the constants
	// of this package, such as Swapped ("swapped characters").
	Transformation string
	// TargetRank is the target's position in its list, from 1. (The
	// RubyGems list is not ordered by popularity: there it is only a
	// position.)
	TargetRank int
}

// Finding returns the typosquat finding for pkg, whose name m matched.
// Severity is high, or medium for the weak transformations, which also
// describe many legitimate companion packages: word order, affix and
// version decoration, an npm scope added or removed, and a changed Go
// repository owner. The action is always warn: a name alone is not proof.
func (m Match) Finding(pkg finding.Package) finding.Finding {
	sev := finding.SeverityHigh
	if weak[m.Transformation] {
		sev = finding.SeverityMedium
	}
	return finding.Finding{
		Kind:           finding.Typosquat,
		Severity:       sev,
		Package:        pkg,
		Summary:        fmt.Sprintf("name %q imitates %q (%s)", pkg.Name, m.Target, m.Transformation),
		Action:         finding.Warn,
		Target:         m.Target,
		Transformation: m.Transformation,
	}
}

// Check reports whether name, in ecosystem eco, imitates a more popular
// name of that ecosystem's list, and which. Names are compared folded:
// lower case, PEP 503 for PyPI, "_" as "-" for crates.io, Go paths cut to
// their repository and without a major version. A name in the list is
// flagged only for a typo of a name at least a hundred times more popular;
// a name outside it is compared with the whole list for typos and with the
// 300 most popular names for the weak transformations.
func (c *Checker) Check(eco, name string) (Match, bool) {
	return c.check(eco, name, false)
}

// search is the state of one Check.
type search struct {
	c       *Checker
	ix      *index
	f       string // the name, folded
	scope   string // npm scope or Go host/owner of the name, "" if none
	limit   int32  // targets with ids below limit may match
	weakLim int32  // ... for weak transformations
	best    int32
	tr      string
	// knownOwner: the name's npm scope or Go owner has names in the list.
	knownOwner bool
}

// check is Check; with unknown, a listed name is treated as if it were not
// listed (the leave-one-out measurement of docs/names.md).
func (c *Checker) check(eco, name string, unknown bool) (Match, bool) {
	ix := c.lists[eco]
	if ix == nil || name == "" || len(name) > maxNameLen {
		return Match{}, false
	}
	f, conf := fold(eco, name)
	if f == "" {
		return Match{}, false
	}
	s := search{c: c, ix: ix, f: f, best: -1}
	n := int32(len(ix.names))
	own := int32(-1)
	if id, ok := ix.exact[f]; ok && !conf {
		own = id
	}
	switch {
	case own >= 0 && !unknown:
		// A popular name is its own package: only typos of a far more
		// popular name count, and no decoration.
		s.limit = int32(ix.rank(own) / c.p.ratio)
	case own >= 0:
		// Leave-one-out: the name as if the list stopped just above it.
		if ix.ranked {
			n = own
		}
		fallthrough
	default:
		s.limit = int32(min(c.p.topN, int(n)))
		s.weakLim = int32(min(c.p.weakTopN, int(n)))
		if !ix.ranked {
			s.weakLim = n
		}
	}
	if s.limit == 0 && s.weakLim == 0 {
		return Match{}, false
	}
	s.scope = owner(eco, f)
	// An owner with names in the list is established: a new name of
	// theirs is not imitating another owner's.
	s.knownOwner = s.scope != "" && ix.owners[s.scope].n > 0
	if unknown && own >= 0 && s.scope != "" {
		s.knownOwner = ix.owners[s.scope].n > 1
	}

	if id, ok := ix.exact[f]; ok && conf {
		s.consider(id, Confusable)
	}
	ix.oneEdits(f, func(id int32) {
		if id >= s.limit || len(ix.folded[id]) < c.p.minLen {
			return
		}
		if tr := oneEdit(f, ix.folded[id], eco == string(ecosystem.Go), c.p.minInsert); tr != "" {
			s.consider(id, tr)
		}
	})
	s.keyed(ix.sep, sepless(f), Separators)
	s.keyed(ix.look, visual(f), LookAlike)
	if w := words(f); w != "" {
		p, ok := ix.word[w]
		for i := 0; ok && i < 2 && p[i] >= 0; i++ {
			if t := ix.folded[p[i]]; t != f && sepless(t) != sepless(f) {
				s.consider(p[i], WordOrder)
			}
		}
	}
	if s.weakLim > 0 {
		s.weakChecks(eco)
	}
	if ix.repos != nil {
		s.owners(eco)
	}
	if s.best < 0 {
		return Match{}, false
	}
	tr := s.tr
	if conf {
		tr = Confusable
	}
	return Match{Target: ix.names[s.best], Transformation: tr, TargetRank: int(s.best) + 1}, true
}

// keyed considers the names sharing key k with the name.
func (s *search) keyed(m map[string]pair, k, tr string) {
	p, ok := m[k]
	for i := 0; ok && i < 2 && p[i] >= 0; i++ {
		if t := s.ix.folded[p[i]]; t != s.f && len(sepless(t)) >= s.c.p.minLen-1 {
			s.consider(p[i], tr)
		}
	}
}

// weakChecks looks for decorations of a popular name: affixes and versions,
// and for npm an unknown scope added to a popular unscoped name or a
// popular scoped name without its scope.
func (s *search) weakChecks(eco string) {
	ix, f := s.ix, s.f
	if eco == string(ecosystem.Go) {
		return
	}
	if eco == string(ecosystem.NPM) && strings.HasPrefix(f, "@") {
		scope, bare, ok := strings.Cut(f[1:], "/")
		if !ok || scope == "types" { // @types/x is DefinitelyTyped's, for any x
			return
		}
		if id, ok := ix.exact[bare]; ok && len(bare) >= s.c.p.minRoot && !s.knownOwner {
			s.consider(id, ScopeConfusion)
		}
		return
	}
	if eco == string(ecosystem.NPM) && len(f) >= s.c.p.minRoot {
		// The unscoped part of a popular scoped name, or a popular scope's
		// name: eslint-plugin for @typescript-eslint/eslint-plugin,
		// fortawesome for @fortawesome/fontawesome-svg-core.
		for _, id := range ix.repos[f] {
			if !strings.HasPrefix(ix.folded[id], "@types/") { // @types/x is named after x
				s.consider(id, ScopeRemoved)
				break
			}
		}
		if o, ok := ix.owners["@"+f]; ok {
			s.consider(o.best, ScopeRemoved)
		}
	}
	undecorate(f, func(root string, version bool) bool {
		if len(root) < s.c.p.minRoot {
			return false
		}
		if id, ok := ix.exact[root]; ok {
			if version {
				s.consider(id, Version)
			} else {
				s.consider(id, Affix)
			}
		}
		return false
	})
}

// owners looks for an npm scope or a Go repository owner changed in front
// of a popular name: @babel-js/core for @babel/core, and
// github.com/boltdb-go/bolt for github.com/boltdb/bolt.
func (s *search) owners(eco string) {
	if s.scope == "" || s.knownOwner {
		return
	}
	key := ownedKey(eco, s.f)
	for _, id := range s.ix.repos[key] {
		if id >= max(s.limit, s.weakLim) {
			break
		}
		o := owner(eco, s.ix.folded[id])
		if o == s.scope {
			continue
		}
		if relatedOwner(ownerName(s.scope), ownerName(o)) {
			if eco == string(ecosystem.Go) {
				s.consider(id, OwnerLookAlike)
			} else {
				s.consider(id, ScopeLookAlike)
			}
		} else if eco == string(ecosystem.Go) && len(key)-strings.IndexByte(key, '/')-1 >= s.c.p.minRoot {
			s.consider(id, OwnerChanged)
		}
	}
}

// consider records target id, linked by transformation tr, if it passes
// the gate and beats the best so far.
func (s *search) consider(id int32, tr string) {
	lim := s.limit
	if weak[tr] {
		lim = s.weakLim
	}
	if id >= lim {
		return
	}
	if s.best >= 0 && (id > s.best || id == s.best && strength[tr] >= strength[s.tr]) {
		return
	}
	t := s.ix.folded[id]
	if t == s.f && tr != Confusable {
		return
	}
	// Only the owner of an npm scope or a repository owner publishes
	// under it: a look-alike from the same owner is not an imitation.
	if s.scope != "" && owner(s.ix.eco, t) == s.scope {
		return
	}
	if s.c.allow[pairKey{s.ix.eco, s.f, t}] {
		return
	}
	s.best, s.tr = id, tr
}

// owner returns who controls the namespace a folded name is in: "@scope"
// of an npm scoped name, "host/owner" of a Go module on a code host, or "".
func owner(eco, f string) string {
	switch ecosystem.Ecosystem(eco) {
	case ecosystem.NPM:
		if strings.HasPrefix(f, "@") {
			if i := strings.IndexByte(f, '/'); i > 0 {
				return f[:i]
			}
		}
	case ecosystem.Go:
		if host, o, _, ok := codeHostPath(f); ok {
			return f[:len(host)+1+len(o)]
		}
	}
	return ""
}

// ownerName is the owner's own name: "babel" of "@babel", "spf13" of
// "github.com/spf13".
func ownerName(o string) string {
	if i := strings.LastIndexByte(o, '/'); i >= 0 {
		return o[i+1:]
	}
	return strings.TrimPrefix(o, "@")
}

// ownedKey is the key under which index.repos files a name with an owner:
// "host/repo" of a Go module, the unscoped name of an npm scoped name.
func ownedKey(eco, f string) string {
	switch ecosystem.Ecosystem(eco) {
	case ecosystem.NPM:
		if strings.HasPrefix(f, "@") {
			if _, bare, ok := strings.Cut(f, "/"); ok {
				return bare
			}
		}
	case ecosystem.Go:
		if host, _, repo, ok := codeHostPath(f); ok {
			return host + "/" + repo
		}
	}
	return ""
}
