// Package feed reads OSV records from the places they are published: a
// directory tree of JSON files (the OpenSSF Malicious Packages Repository's
// osv/malicious/<ecosystem>/<name>/MAL-*.json and osv/withdrawn/... layout,
// or any other), a zip archive (osv.dev's per-ecosystem all.zip, or a GitHub
// repository archive), or a single JSON file; and it downloads them over
// HTTP with conditional requests.
//
// Every source is treated as hostile. Directories are walked through os.Root
// without following symbolic links, archives are read in memory and never
// extracted, and every size is bounded by the constants of package limits. A
// bad file becomes an Item with an error that the caller reports and skips; only
// a source that cannot be read at all makes Read fail.
//
// Records are decoded in parallel and delivered in a deterministic order,
// with a bounded number of files in flight.
package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/osv"
)

// Item is one record read from a source, or a problem with one file of it.
type Item struct {
	// Vuln is the decoded record; nil when Err != nil.
	Vuln *osv.Vulnerability
	// Raw is the record's bytes as read (the file content); nil when Err != nil.
	Raw []byte
	// Origin says where the record came from, for messages:
	// "<source>/osv/malicious/npm/x/MAL-1.json" or "<zip path>!<entry name>".
	Origin string
	// Withdrawn is set when Vuln has a withdrawn time, or when the file sits
	// in the withdrawn directory of the OpenSSF layout below the source
	// (osv/withdrawn/..., or withdrawn/... when the source is osv/). A
	// package directory named "withdrawn" (osv/malicious/npm/withdrawn/)
	// does not count.
	Withdrawn bool
	// Err is the problem with this file: invalid JSON, a field of the wrong
	// type, a missing ID, an unknown ecosystem, over the size limit, an
	// unsafe entry name... It does not repeat Origin, so that
	// Origin + ": " + Err.Error() reads as one message.
	Err error
}

// Errors that Item.Err wraps, for callers that count problems by kind.
var (
	// ErrTooLarge marks a file over limits.MaxRecordBytes, or an archive
	// entry compressed more than limits.MaxCompressionRatio.
	ErrTooLarge = errors.New("over the size limit")
	// ErrUnsafeName marks an archive entry whose name could escape a
	// directory if extracted ("../", an absolute path, a backslash); such an
	// entry is never read.
	ErrUnsafeName = errors.New("unsafe entry name")
	// ErrNotRegular marks a symbolic link or other non-regular file named
	// *.json; links are not followed.
	ErrNotRegular = errors.New("not a regular file")
)

// bounds are the limits Read applies; tests shrink them.
type bounds struct {
	recordBytes    int64 // per file or entry
	archiveEntries int   // per zip
	archiveBytes   int64 // uncompressed, per zip
	ratio          int64 // uncompressed:compressed, per entry over recordBytes/8
	treeDepth      int   // directories below the source
}

var defaultBounds = bounds{
	recordBytes:    limits.MaxRecordBytes,
	archiveEntries: limits.MaxArchiveEntries,
	archiveBytes:   limits.MaxArchiveBytes,
	ratio:          limits.MaxCompressionRatio,
	treeDepth:      limits.MaxTreeDepth,
}

// Read reads every OSV record in src, which is a directory tree of .json
// files (any layout, including osv/malicious/<ecosystem>/<name>/MAL-*.json
// and osv/withdrawn/...), a .zip archive (osv.dev's per-ecosystem all.zip
// with flat <ID>.json entries, or a GitHub repository archive whose entries
// are nested under a top directory), or a single .json file. A file with
// another extension is recognised by its content.
//
// Read calls fn once per item, in a deterministic order: lexical path order
// for directories (as fs.WalkDir), archive order for zips. fn runs on the
// goroutine that called Read. If fn returns an error, Read stops and returns
// it.
//
// Read returns an error, wrapping the source path, only when the source
// itself cannot be read: missing, not a directory, zip or JSON file, a
// corrupt zip directory, over an archive-wide limit, or ctx cancelled.
// Problems with single files are reported as items with Err set.
func Read(ctx context.Context, src string, fn func(Item) error) error {
	return read(ctx, src, fn, defaultBounds)
}

func read(ctx context.Context, src string, fn func(Item) error, b bounds) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, pathErr(err))
	}
	switch {
	case fi.IsDir():
		err = readDir(ctx, src, fn, b)
	case !fi.Mode().IsRegular():
		err = fmt.Errorf("read %s: not a directory, .zip or .json file", src)
	default:
		err = readFile(ctx, src, fn, b)
	}
	return err
}

// readFile reads a zip or a single JSON file, chosen by extension or, for
// other names, by the first bytes.
func readFile(ctx context.Context, src string, fn func(Item) error, b bounds) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, pathErr(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read %s: %w", src, pathErr(err))
	}
	kind := strings.ToLower(filepath.Ext(src))
	if kind != ".zip" && kind != ".json" {
		kind, err = sniff(f)
		if err != nil {
			return fmt.Errorf("read %s: %w", src, err)
		}
	}
	if kind == ".zip" {
		return readZip(ctx, f, fi.Size(), src, fn, b)
	}
	// A single JSON file: one item, whatever is wrong with it. Directories
	// above a source do not make a record withdrawn, only its own field.
	it := Item{Origin: src}
	if fi.Size() > b.recordBytes {
		it.Err = tooLarge(b.recordBytes)
	} else if data, err := readAll(f, fi.Size(), b.recordBytes); err != nil {
		it.Err = err
	} else {
		it = decode(it, data)
	}
	return fn(it)
}

// sniff tells a zip from a JSON file by the first bytes, for a file whose
// name says neither (a download saved under a temporary name).
func sniff(f *os.File) (string, error) {
	var head [512]byte
	n, err := f.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
		return "", err
	}
	h := head[:n]
	if bytes.HasPrefix(h, []byte("PK\x03\x04")) || bytes.HasPrefix(h, []byte("PK\x05\x06")) {
		return ".zip", nil
	}
	h = bytes.TrimLeft(bytes.TrimPrefix(h, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(h) > 0 && h[0] == '{' {
		return ".json", nil
	}
	return "", errors.New("not a directory, .zip or .json file")
}

// decode fills it from the record data.
func decode(it Item, data []byte) Item {
	v, err := osv.Decode(data)
	if err != nil {
		it.Err = err
		return it
	}
	it.Vuln, it.Raw = v, data
	it.Withdrawn = it.Withdrawn || v.IsWithdrawn()
	return it
}

// readAll reads all of r, at most max bytes; sizeHint is the expected size.
// More than max bytes is ErrTooLarge, whatever the hint said: r is read
// through a LimitReader, so a hostile r costs at most max+1 bytes.
func readAll(r io.Reader, sizeHint, max int64) ([]byte, error) {
	if sizeHint < 0 || sizeHint > max {
		sizeHint = max
	}
	r = io.LimitReader(r, max+1)
	buf := make([]byte, 0, min(sizeHint+1, 1<<20)) // +1 to see EOF without growing
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			return nil, tooLarge(max)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, readErr(err)
		}
	}
}

func tooLarge(max int64) error {
	return fmt.Errorf("%w of %d bytes", ErrTooLarge, max)
}

// readErr describes a failed read, "read: input/output error" or
// "read: zip: checksum error".
func readErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pathErr(err)
	}
	return fmt.Errorf("read: %w", err)
}

// pathErr drops the path of an *fs.PathError, which names the file with a
// path the caller does not know (relative to an os.Root) or already names.
// The result still matches fs.ErrNotExist and the like.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// withdrawnPath reports whether a slash-separated directory path, relative
// to the source, is a withdrawn directory of the OpenSSF layout. The first
// directory named "malicious" or "withdrawn" that is at the top of the path
// or inside a directory named "osv" decides, so a package named "withdrawn"
// (osv/malicious/npm/withdrawn/...) is not taken as withdrawn: marking a
// record withdrawn stops it from matching, and package names are chosen by
// attackers.
func withdrawnPath(dir string) bool {
	if dir == "." || dir == "" {
		return false
	}
	parts := strings.Split(dir, "/")
	for i, p := range parts {
		if (p == "withdrawn" || p == "malicious") && (i == 0 || parts[i-1] == "osv") {
			return p == "withdrawn"
		}
	}
	return false
}
