package analyze

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/limits"
)

// bounds are the limits Open applies to one target. They come from package
// limits; tests lower them.
type bounds struct {
	packageBytes int64 // uncompressed bytes read, nested archives included
	entries      int   // entries seen, directories and nested entries included
	fileBytes    int64 // one file's content
	nesting      int   // archives inside archives
	ratio        int64 // uncompressed:compressed, once past ratioFloor
	ratioFloor   int64 // bytes a stream or entry may expand to before ratio applies
	treeDepth    int   // directory nesting of a directory target
}

// defaultBounds are the bounds Open uses.
var defaultBounds = bounds{
	packageBytes: limits.MaxPackageBytes,
	entries:      limits.MaxPackageEntries,
	fileBytes:    limits.MaxPackageFileBytes,
	nesting:      limits.MaxArchiveNesting,
	ratio:        limits.MaxCompressionRatio,
	ratioFloor:   limits.MaxRecordBytes / 8,
	treeDepth:    limits.MaxTreeDepth,
}

// Open opens the package at path, an archive or a directory, and reads
// every file of it into memory under the limits of package limits. Nothing
// is extracted and nothing from the package is run.
//
// The format is detected from the content (gzip, zip or tar magic) and the
// name: an npm .tgz, a PyPI wheel (.whl) or sdist (.tar.gz, .zip), a Go
// module zip as the module proxy serves it, a crate (.crate), a gem (.gem),
// or a directory, read through os.Root without following symbolic links.
// The top directory npm, sdists and crates wrap their files in
// ("package/", "name-version/") and the "module@version/" prefix of Go
// module zips are stripped from File.Path. Archives inside the package
// (a gem's data.tar.gz, a .tgz or .zip shipped as a file) are opened too,
// up to limits.MaxArchiveNesting deep; their files are named
// "outer.tgz!/inner/path", except the files of a gem's data.tar.gz, which
// are the gem's own files.
//
// Hostile archives do not fail Open: path traversal, absolute names,
// links, special files, oversized files, compression bombs, duplicate
// names and archives over the entry, byte or nesting limits become
// Target.Findings of kind "archive", and the entry is not read. A
// truncated or corrupt archive fails Open with an error naming the file,
// unless some files were read before the damage: then the target holds
// them and a finding "archive-truncated" says what is missing.
func Open(ctx context.Context, path string) (*Target, error) {
	return open(ctx, path, defaultBounds)
}

// format is how a target is stored.
type format int

const (
	formatUnknown format = iota
	formatTarGz          // npm .tgz, sdist .tar.gz, .crate
	formatTar            // plain tar
	formatGem            // plain tar of metadata.gz and data.tar.gz
	formatZip            // wheel, sdist .zip, Go module zip
)

func open(ctx context.Context, name string, b bounds) (*Target, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	r := &reader{ctx: ctx, b: b}
	if fi.IsDir() {
		if err := r.readDir(name); err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		return r.target(name, layoutDir), nil
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("open %s: not a regular file or directory (%s)", name, fi.Mode().Type())
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	at := place{depth: 0, name: name}
	lay := layoutArchive
	switch detect(name, head) {
	case formatTarGz:
		err = r.readTarGz(f, at)
	case formatTar:
		err = r.readTar(f, at)
	case formatGem:
		at.gem = true
		lay = layoutGem
		err = r.readTar(f, at)
	case formatZip:
		err = r.readZip(f, fi.Size(), at)
	default:
		return nil, fmt.Errorf("open %s: not a package archive (want a gzip tar, tar or zip file, or a directory)", name)
	}
	if err != nil {
		if ctx.Err() != nil || len(r.files) == 0 {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		r.report(ruleTruncated, filepath.Base(name), "the archive is truncated or corrupt after "+
			strconv.Itoa(len(r.files))+" files; the rest was not read: "+err.Error(), "")
	}
	return r.target(name, lay), nil
}

// detect tells the format of a file from its first bytes and its name.
func detect(name string, head []byte) format {
	lower := strings.ToLower(name)
	switch {
	case bytes.HasPrefix(head, []byte("\x1f\x8b")):
		return formatTarGz
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return formatZip
	case isTar(head) || strings.HasSuffix(lower, ".tar") || strings.HasSuffix(lower, ".gem"):
		if strings.HasSuffix(lower, ".gem") {
			return formatGem
		}
		return formatTar
	}
	return formatUnknown
}

// isTar reports whether head starts with a POSIX or GNU tar header.
func isTar(head []byte) bool {
	return len(head) >= 262 && string(head[257:262]) == "ustar"
}

// Rules of the findings Open reports; all have Kind "archive".
const (
	rulePathTraversal  = "archive-path-traversal"
	ruleLink           = "archive-link"
	ruleSpecialFile    = "archive-special-file"
	ruleFileTooLarge   = "archive-file-too-large"
	ruleRatio          = "archive-compression-ratio"
	ruleTooManyEntries = "archive-too-many-entries"
	ruleTooLarge       = "archive-too-large"
	ruleNesting        = "archive-nesting-too-deep"
	ruleDuplicate      = "archive-duplicate-entry"
	ruleTruncated      = "archive-truncated"
	ruleCorruptEntry   = "archive-corrupt-entry"
	ruleTreeTooDeep    = "archive-tree-too-deep"
	ruleUnreadable     = "archive-unreadable"
)

// Errors a meter stops a stream with.
var (
	errTooLarge     = errors.New("over the limit of uncompressed bytes for a package")
	errBomb         = errors.New("compression ratio over the limit (a compression bomb?)")
	errFileTooLarge = errors.New("over the limit of bytes for one file")
)

// reader collects the files and findings of one target.
type reader struct {
	ctx      context.Context
	b        bounds
	files    []entry
	findings []finding.Finding
	entries  int   // entries seen
	used     int64 // uncompressed bytes read
	stop     bool  // a package-wide limit was hit: read no more
}

// entry is a file read, before the top directory is stripped.
type entry struct {
	File
	// written is the name as the archive writes it, for findings.
	written string
	// nested is true for files of nested archives: no top directory to strip.
	nested bool
}

// place says where an archive being read sits.
type place struct {
	prefix string // prepended to the paths of its files: "" or "outer.tgz!/"
	depth  int    // 0 for the target, 1 for an archive inside it, ...
	name   string // for messages: the target's path or the nested path
	gem    bool   // the outer tar of a gem
}

// nestedName is how an entry of the archive at a is named in findings.
func (a place) nestedName(name string) string {
	if a.prefix == "" {
		return name
	}
	return a.prefix + name
}

// report adds a finding about the entry written (the name as the archive
// has it) of rule, with a summary and a snippet (the name when empty).
func (r *reader) report(rule, written, summary, snippet string) {
	if snippet == "" {
		snippet = written
	}
	r.findings = append(r.findings, finding.Finding{
		Kind:     "archive",
		Severity: finding.SeverityHigh,
		Action:   finding.Warn,
		Summary:  summary,
		Location: &finding.Location{Path: escape(written)},
		Rule:     rule,
		Category: "archive",
		Snippet:  escape(snippet),
	})
}

// count counts one entry and reports whether it may be read.
func (r *reader) count(written string) bool {
	if r.stop {
		return false
	}
	r.entries++
	if r.entries > r.b.entries {
		r.stop = true
		r.report(ruleTooManyEntries, written, fmt.Sprintf("the package has more than %d entries; the rest was not read", r.b.entries), "")
		return false
	}
	return true
}

// stopped turns the error a meter stopped with into a finding about the
// entry written and reports whether it did; err is the reader's error.
func (r *reader) stopped(m *meter, written string) bool {
	switch m.err {
	case errTooLarge:
		r.stop = true
		r.report(ruleTooLarge, written, fmt.Sprintf("the package expands to more than %d bytes; the rest was not read", r.b.packageBytes), "")
	case errBomb:
		r.report(ruleRatio, written, fmt.Sprintf("compressed more than %d:1 (a compression bomb?); reading stopped there", r.b.ratio), "")
	default:
		return false
	}
	return true
}

// add records a file read and opens it if it is an archive itself.
func (r *reader) add(e entry, at place) {
	r.files = append(r.files, e)
	if !archiveName(e.Path) {
		return
	}
	f := formatOf(e.Data)
	if f == formatUnknown {
		return
	}
	if at.depth+1 > r.b.nesting {
		r.report(ruleNesting, e.written, fmt.Sprintf("an archive nested more than %d deep; not opened", r.b.nesting), "")
		return
	}
	in := place{prefix: e.Path + "!/", depth: at.depth + 1, name: e.written}
	var err error
	switch f {
	case formatTarGz:
		err = r.readTarGz(bytes.NewReader(e.Data), in)
	case formatTar:
		err = r.readTar(bytes.NewReader(e.Data), in)
	case formatZip:
		err = r.readZip(bytes.NewReader(e.Data), int64(len(e.Data)), in)
	}
	if err != nil && r.ctx.Err() == nil {
		r.report(ruleTruncated, e.written, "a nested archive is truncated or corrupt; the rest of it was not read: "+err.Error(), "")
	}
}

// archiveName reports whether a file's name says it is an archive worth
// opening.
func archiveName(p string) bool {
	p = strings.ToLower(p)
	for _, ext := range [...]string{".tgz", ".tar.gz", ".tar", ".zip", ".whl", ".egg", ".jar", ".gem", ".crate"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// formatOf tells an archive's format from its content alone.
func formatOf(data []byte) format {
	switch {
	case bytes.HasPrefix(data, []byte("\x1f\x8b")):
		return formatTarGz
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return formatZip
	case isTar(data):
		return formatTar
	}
	return formatUnknown
}

// meter counts the uncompressed bytes of a stream against the package's
// limit and, for a compressed stream, the compression ratio. Once over a
// limit it fails every read with err.
type meter struct {
	r          io.Reader
	rd         *reader
	n          int64
	compressed func() int64 // compressed bytes behind n; nil if not compressed
	err        error
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.r.Read(p)
	m.n += int64(n)
	m.rd.used += int64(n)
	switch {
	case m.rd.used > m.rd.b.packageBytes:
		m.err = errTooLarge
	case m.compressed != nil && m.n > m.rd.b.ratioFloor && m.n/m.rd.b.ratio > m.compressed():
		m.err = errBomb
	}
	if m.err != nil {
		return n, m.err
	}
	return n, err
}

// maxSizeHint bounds the first allocation for a file's content.
const maxSizeHint = 16 << 20

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readData reads a file's content, at most max bytes. size is the declared
// size, trusted only as a hint for the first allocation, up to
// maxSizeHint: a lie costs that much for the time of one read, and most
// files, bundles included, are read without growing a buffer.
func readData(r io.Reader, size, max int64) ([]byte, error) {
	if size < 0 {
		size = 0
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, max, maxSizeHint)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(buf.Len()) > max {
		return nil, errFileTooLarge
	}
	b := buf.Bytes()
	if cap(b)-len(b) > len(b)/4+bytes.MinRead {
		b = bytes.Clone(b) // do not keep up to twice the file in memory
	}
	return b, nil
}

// safeName reports whether an entry name stays inside a directory it would
// be extracted to: relative, slash-separated, without ".." elements, NUL
// bytes or a drive letter.
func safeName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") {
		return false
	}
	if len(name) >= 2 && name[1] == ':' && ('a' <= name[0]|0x20 && name[0]|0x20 <= 'z') {
		return false // C:x
	}
	for elem := range strings.SplitSeq(name, "/") {
		if elem == ".." {
			return false
		}
	}
	return true
}

// cleanName turns a safe entry name into a file path: "./a//b/" is "a/b".
// It returns "" for a name of the archive root itself.
func cleanName(name string) string {
	p := path.Clean(name)
	if p == "." {
		return ""
	}
	return p
}

// escape makes an entry name or snippet safe to print: control characters
// and non-ASCII runes (bidi overrides, homoglyphs) escaped, at most 256
// bytes.
func escape(s string) string {
	q := strconv.QuoteToASCII(s)
	q = q[1 : len(q)-1]
	if len(q) > 256 {
		q = q[:253] + "..."
	}
	return q
}

func traversal(r *reader, written string) {
	r.report(rulePathTraversal, written, "an entry name that is absolute, has \"..\", a backslash, a NUL or a drive letter, and would be written outside the package when extracted; not read", "")
}
