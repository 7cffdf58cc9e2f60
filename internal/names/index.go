package names

import (
	"math/bits"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// index is one ecosystem's popular names with the lookup structures Check
// uses. It is immutable once built.
type index struct {
	eco    string
	names  []string // as listed, most popular first; a name's id is its position
	folded []string // the comparison form of each name (see fold)
	ranked bool     // false: the list's order says nothing about popularity
	// exact maps a folded name to its id. Of names that fold alike
	// (JSONStream and jsonstream, gopkg.in/yaml.v2 and .v3) only the most
	// popular is kept.
	exact map[string]int32
	// del is the symmetric-delete index for one-edit transformations: an
	// open-addressing hash table holding, for every folded name, its hash
	// and the hash of every string one deletion away from it, with the
	// name's id (see oneEdits).
	del []slot
	// Keys for the transformations that are not one edit, each mapping to
	// the two most popular names with that key (or -1).
	sep, look, word map[string]pair
	// repos maps "host/repo" of a Go module path on a code host, or the
	// unscoped part of a scoped npm name, to the names with that key, most
	// popular first (see ownedKey).
	repos map[string][]int32
	// owners holds, for each npm scope or Go repository owner, how many
	// names it has and the most popular.
	owners map[string]ownerNames
}

// ownerNames is how many names an owner has in the list, and its best.
type ownerNames struct{ n, best int32 }

// slot is an entry of index.del: the top 32 bits of a hash, and an id
// (-1 for an empty slot).
type slot struct {
	key uint32
	id  int32
}

// pair holds the ids of the two most popular names sharing a key.
type pair [2]int32

func (p *pair) add(id int32) {
	switch {
	case p[0] < 0:
		p[0] = id
	case p[1] < 0 && p[0] != id:
		p[1] = id
	}
}

func addKey(m map[string]pair, k string, id int32) {
	if k == "" {
		return
	}
	p, ok := m[k]
	if !ok {
		p = pair{-1, -1}
	}
	p.add(id)
	m[k] = p
}

// newIndex builds the index of names, most popular first.
func newIndex(eco string, names []string, ranked bool) *index {
	ix := &index{
		eco:    eco,
		ranked: ranked,
		exact:  make(map[string]int32, len(names)),
		sep:    make(map[string]pair, len(names)),
		look:   make(map[string]pair, len(names)),
		word:   make(map[string]pair),
	}
	switch ecosystem.Ecosystem(eco) {
	case ecosystem.Go:
		ix.repos = make(map[string][]int32, len(names))
		ix.owners = make(map[string]ownerNames)
	case ecosystem.NPM:
		ix.repos = make(map[string][]int32)
		ix.owners = make(map[string]ownerNames)
	}
	type entry struct {
		h  uint64
		id int32
	}
	total := 0
	for _, n := range names {
		total += len(n) + 1
	}
	dels := make([]entry, 0, total)
	for _, name := range names {
		f, conf := fold(eco, name)
		if f == "" || conf || len(f) > maxNameLen {
			continue
		}
		if _, dup := ix.exact[f]; dup {
			continue
		}
		id := int32(len(ix.names))
		ix.names = append(ix.names, name)
		ix.folded = append(ix.folded, f)
		ix.exact[f] = id
		deletions(f, func(h uint64) { dels = append(dels, entry{h, id}) })
		addKey(ix.sep, sepless(f), id)
		addKey(ix.look, visual(f), id)
		addKey(ix.word, words(f), id)
		if ix.repos != nil {
			if k := ownedKey(eco, f); k != "" {
				ix.repos[k] = append(ix.repos[k], id)
				o := ix.owners[owner(eco, f)]
				if o.n == 0 {
					o.best = id
				}
				o.n++
				ix.owners[owner(eco, f)] = o
			}
		}
	}
	// At most two thirds full, so that probes stay short: most end in
	// the cache line where they start.
	size := 1 << max(4, bits.Len(uint(len(dels)+len(dels)/2)))
	ix.del = make([]slot, size)
	for j := range ix.del {
		ix.del[j].id = -1
	}
	mask := uint64(size - 1)
	for _, e := range dels {
		j := e.h & mask
		for ix.del[j].id >= 0 {
			j = (j + 1) & mask
		}
		ix.del[j] = slot{uint32(e.h >> 32), e.id}
	}
	return ix
}

// rank returns the popularity rank of id for the gate: its position from 1,
// or 1 for every name of an unranked list.
func (ix *index) rank(id int32) int {
	if !ix.ranked {
		return 1
	}
	return int(id) + 1
}

// oneEdits calls f with the id of every name that may be one edit from s
// (and possibly some that are not: hashes collide, and two deletions at
// different places can coincide); the caller checks with oneEdit.
func (ix *index) oneEdits(s string, f func(id int32)) {
	mask := uint64(len(ix.del) - 1)
	deletions(s, func(h uint64) {
		key := uint32(h >> 32)
		for j := h & mask; ix.del[j].id >= 0; j = (j + 1) & mask {
			if ix.del[j].key == key {
				f(ix.del[j].id)
			}
		}
	})
}

// deletions calls f with the hash of s and of each distinct string one
// deletion away from s, in O(len(s)): a polynomial hash lets the hash of s
// without s[i] be computed from the hashes of s[:i] and s[i+1:]. Equal
// strings have equal hashes; unequal ones rarely do, and the caller checks.
func deletions(s string, f func(h uint64)) {
	const base = 1099511628211 // odd, so powers never vanish mod 2^64
	n := len(s)
	if n > maxNameLen {
		return
	}
	var prefix [maxNameLen + 1]uint64 // prefix[i] is the hash of s[:i]
	for i := range n {
		prefix[i+1] = prefix[i]*base + uint64(s[i]) + 1
	}
	f(mix(prefix[n], n))
	var suffix, pow uint64 = 0, 1 // the hash of s[i+1:], and base^len(s[i+1:])
	for i := n - 1; i >= 0; i-- {
		// Deleting either of a run of equal bytes gives one string: hash
		// it once, at the run's first byte.
		if i == 0 || s[i] != s[i-1] {
			f(mix(prefix[i]*pow+suffix, n-1))
		}
		suffix += (uint64(s[i]) + 1) * pow
		pow *= base
	}
}

// mix finishes a hash (MurmurHash3's fmix64) so that all its bits depend
// on every byte, and on the length.
func mix(h uint64, n int) uint64 {
	h ^= uint64(n) * 0x9e3779b97f4a7c15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// fold returns the form in which names of eco are compared: lower case, the
// registry's own normalisation (PEP 503 for PyPI, "_" as "-" for crates.io),
// Go module paths cut to their repository and without a major version
// suffix; and letters of other scripts mapped to the ASCII letters they pass
// for, in which case conf is true. A name with runes that cannot be mapped
// folds to "".
func fold(eco, name string) (f string, conf bool) {
	f = name
	for i := 0; i < len(f); i++ {
		if f[i] >= 0x80 {
			a, ok := toASCII(strings.ToLower(f))
			if !ok {
				return "", false
			}
			f, conf = a, true
			break
		}
	}
	switch ecosystem.Ecosystem(eco) {
	case ecosystem.PyPI:
		f = ecosystem.Normalize(ecosystem.PyPI, f)
	case ecosystem.CratesIO:
		f = ecosystem.Normalize(ecosystem.CratesIO, f)
	case ecosystem.Go:
		f = strings.ToLower(goTrim(f))
	default:
		f = strings.ToLower(f)
	}
	return f, conf
}
