// Package names checks package names for typosquatting and namesquatting:
// a name that imitates a more popular package's, such as lodahs for lodash,
// @evil/lodash, python-requests or github.com/boltdb-go/bolt.
//
// A Checker holds, for each ecosystem, a list of popular names, most popular
// first. The lists for npm, PyPI, Go and RubyGems are embedded (data/, made
// by "go run ./internal/names/gen"; docs/names.md gives their sources and
// dates), and a user can add a list for any ecosystem with WithList, which
// is the only way to check crates.io names.
//
// Check links a name to a popular one by the transformations typosquats use,
// not by bare edit distance: an omitted, repeated, inserted or swapped
// character, a neighbouring key, a visual look-alike or Unicode confusable,
// separators added, removed or changed, words reordered, an affix or version
// added, an npm scope added, changed or removed, or a Go repository owner
// changed. A popularity gate keeps popular names from flagging each other: a
// listed name is flagged only when its target is at least a hundred times
// more popular, and never for the weak transformations (affixes, versions,
// word order, scopes, owners), which also describe legitimate companion
// packages. An allowlist of reviewed look-alike pairs (data/allowlist.txt)
// is part of the data.
//
// Checks need no network. docs/names.md has the measured false-positive
// rates, the recall on real typosquats and the speed.
package names
