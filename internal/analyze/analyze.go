// Package analyze reads a package the way a security researcher would:
// it opens the archive (npm .tgz, PyPI wheel and sdist, Go module zip,
// crate, gem, or a directory) safely in memory, runs rules over its files,
// and turns what they find into a 0-10 risk score and a verdict with
// evidence a person can check.
//
// The engine owns walking, opening and limits; rules only look at the
// files it read (see Rule and PackageRule). Archive entries are never
// extracted: path traversal, absolute paths, links, bombs and oversized
// files become findings.
package analyze

import (
	"context"

	"github.com/sapperhq/sapper/internal/finding"
)

// Kind is what a file holds, for rules that apply to some kinds only.
type Kind string

// The kinds of files rules look at.
const (
	JavaScript Kind = "javascript" // .js .mjs .cjs .jsx .ts .tsx ...
	Python     Kind = "python"     // .py .pyw, and .pth files (Kind PTH)
	PTH        Kind = "pth"        // Python path configuration files, run at interpreter start
	Go         Kind = "go"
	Ruby       Kind = "ruby" // .rb .gemspec Rakefile Gemfile
	Rust       Kind = "rust" // .rs (build.rs included)
	Shell      Kind = "shell"
	PowerShell Kind = "powershell"
	Batch      Kind = "batch"    // .bat .cmd
	Manifest   Kind = "manifest" // manifests that are not code: package.json, setup.cfg, pyproject.toml, Cargo.toml, go.mod, gem metadata.yaml, METADATA, PKG-INFO (setup.py is Python, *.gemspec Ruby)
	Binary     Kind = "binary"   // ELF, PE, Mach-O, and other non-text content
	Text       Kind = "text"     // anything else that is text
)

// Kinds lists every kind.
var Kinds = []Kind{JavaScript, Python, PTH, Go, Ruby, Rust, Shell, PowerShell, Batch, Manifest, Binary, Text}

// File is one file of a package, read into memory under the limits.
type File struct {
	// Path is the slash-separated path inside the package, as the archive
	// names it, after the top directory npm, sdists and crates use and the
	// module@version/ prefix of Go module zips; files of an archive inside
	// the archive are named "outer.tgz!/inner/path".
	Path string
	Kind Kind
	// Data is the content. A file over limits.MaxPackageFileBytes is not
	// read at all: it is a finding of the target instead.
	Data []byte
	// Size is the declared size.
	Size int64
	// Executable reports the archive's executable bit.
	Executable bool
}

// Package names the package a target is, when known.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
}

// Target is an opened package.
type Target struct {
	// Name is what the user gave: a path or "npm:name@version".
	Name    string
	Package Package
	Files   []File
	// Findings are problems of the archive itself: traversal, links,
	// bombs, files over the limits.
	Findings []finding.Finding
}

// Rule looks at one file and reports what it finds. Rules are pure: they
// must not touch the file system or the network, and must stay linear in
// the file's size. Findings carry Rule, Category, Severity, Location (path
// and line) and Snippet; the engine fills in the package.
type Rule interface {
	Name() string
	Check(ctx context.Context, f File) ([]finding.Finding, error)
}

// PackageRule is a Rule that also looks at a target as a whole, for what
// no single file shows (a manifest naming a file the package does not
// ship). Run calls CheckPackage once per target, after the per-file rules.
// Like Check, it is pure and linear, and it must not change t.
type PackageRule interface {
	Rule
	CheckPackage(ctx context.Context, t *Target) ([]finding.Finding, error)
}
