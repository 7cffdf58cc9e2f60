// Sapper keeps malicious open-source packages out of software: it keeps a
// database of OSV reports of malicious packages, checks packages against it,
// and serves it as an OSV-compatible API.
//
// # Usage
//
//	sapper scan    [--db PATH] [--format table|json|sarif|markdown] [--config FILE] [--fail-on LEVEL] [--recursive] PATH...
//	sapper check   [--db PATH] [--format table|json] PKG...
//	sapper analyze [--format table|json|sarif] [--rules DIR] [--fail-on LEVEL] TARGET...
//	sapper serve   [--db PATH] [--addr 127.0.0.1:8080]
//	sapper db import [--db PATH] [--strict] SOURCE...
//	sapper db sync   [--db PATH] [--source URL]...
//	sapper db stats  [--db PATH] [--format table|json]
//	sapper db export [--db PATH] --format osv-zip OUTDIR
//	sapper db show   [--db PATH] ID
//
// PKG is a package URL (pkg:npm/left-pad@1.3.0) or ECOSYSTEM:NAME@VERSION
// (npm:left-pad@1.3.0); "-" reads one a line from standard input.
//
// Exit codes: 0 nothing to report, 1 findings, 2 usage or unreadable input,
// 3 operational failure.
package main
