// Package registry reads the metadata a package registry publishes about a
// package (the npm packument, PyPI's JSON API, crates.io's API) and turns it
// into findings, the "registry signals": a deprecated or yanked version, a
// version younger than a set age, a brand-new package with a single version,
// a publisher or maintainer change since the previous version, install
// scripts that appear in this version, an npm manifest that disagrees with
// the package.json inside the tarball, and a private name that exists on the
// public registry (dependency confusion).
//
// Which version is "previous": the highest version below this one in the
// ecosystem's version order (not by publication time, so that a backport
// is compared with its own line); a stable version is compared with the
// previous stable version when there is one, so that a canary published by
// a bot does not make every release look like a change of hands.
//
// Every finding has the action warn; the policy raises or silences it. The
// severities and summaries are documented in docs/registry.md.
//
// Registry answers are untrusted input: bodies are bounded, names are
// checked and escaped into URLs (never concatenated raw), redirects to other
// hosts are refused, requests time out, and a malformed answer is an error
// that names the registry, the URL and what is wrong. Answers are cached in
// a directory, one file per URL, for a TTL; a corrupt cache entry is
// ignored and fetched again.
package registry
