// Package limits holds every bound sapper puts on untrusted input in one place:
// record and file sizes, archive entries and ratios, download sizes, HTTP
// bodies and batch sizes. Everything sapper reads may be hostile; these keep a
// hostile input from costing more than the largest real one.
package limits

import "time"

const (
	// MaxRecordBytes is the largest OSV record file accepted. The largest
	// real records (kernel CVEs with hundreds of commits) are well under 2 MiB.
	MaxRecordBytes = 8 << 20

	// MaxArchiveEntries is the most entries read from one zip archive.
	// osv.dev's largest all.zip has about 200,000.
	MaxArchiveEntries = 2_000_000

	// MaxArchiveBytes is the most uncompressed bytes read from one archive.
	MaxArchiveBytes = 16 << 30

	// MaxCompressionRatio is the largest uncompressed:compressed ratio
	// accepted for an archive entry larger than MaxRecordBytes/8; JSON
	// compresses about 10:1, a zip bomb by thousands.
	MaxCompressionRatio = 200

	// MaxTreeDepth is the deepest directory nesting read below an import
	// source. The OpenSSF layout nests records at most six directories deep
	// (osv/malicious/go/github.com/owner/repo/MAL-*.json).
	MaxTreeDepth = 32

	// MaxDownloadBytes is the largest file sapper downloads when syncing.
	MaxDownloadBytes = 4 << 30

	// MaxRequestBytes is the largest HTTP request body the server reads.
	MaxRequestBytes = 16 << 20

	// MaxBatchQueries is the most queries in one /v1/querybatch request, as osv.dev.
	MaxBatchQueries = 1000

	// MaxCheckInputs is the most package arguments one check reads from stdin.
	MaxCheckInputs = 5_000_000

	// MaxLineBytes is the longest line read from a list on stdin.
	MaxLineBytes = 64 << 10

	// MaxLockfileBytes is the largest dependency file (lockfile, manifest,
	// SBOM, Go binary) read. A 25,000-package package-lock.json is about
	// 15 MB.
	MaxLockfileBytes = 256 << 20

	// MaxNesting is the deepest nesting of objects, arrays or includes a
	// dependency file may use (package-lock v1 "dependencies" trees,
	// requirements -r chains, YAML documents).
	MaxNesting = 64

	// MaxScanFiles is the most dependency files one scan reads.
	MaxScanFiles = 100_000

	// MaxPackageBytes is the most uncompressed bytes read from one package
	// archive under analysis, all files and nested archives together.
	MaxPackageBytes = 512 << 20

	// MaxPackageEntries is the most entries read from one package archive.
	MaxPackageEntries = 100_000

	// MaxPackageFileBytes is the largest single file of a package that is
	// analysed; a larger one becomes a finding and is not read.
	MaxPackageFileBytes = 64 << 20

	// MaxArchiveNesting is how deep archives inside archives are opened
	// (a gem's data.tar.gz is one level).
	MaxArchiveNesting = 3

	// RequestTimeout bounds the time the server spends on one request.
	RequestTimeout = 30 * time.Second
)
