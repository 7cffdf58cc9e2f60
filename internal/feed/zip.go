package feed

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// readZip reads every .json entry of the zip archive in r, of size bytes,
// named src. Entries are read in memory, never extracted.
func readZip(ctx context.Context, r io.ReaderAt, size int64, src string, fn func(Item) error, b bounds) error {
	zr, err := zip.NewReader(r, size)
	if errors.Is(err, zip.ErrInsecurePath) {
		err = nil // entry names are checked one by one below
	}
	if err != nil {
		return fmt.Errorf("read %s: not a valid zip archive (truncated or corrupt?): %w", src, err)
	}
	if len(zr.File) > b.archiveEntries {
		return fmt.Errorf("read %s: %d entries, over the limit of %d", src, len(zr.File), b.archiveEntries)
	}
	var total int64
	account := func(n int64) error {
		total += n
		if total > b.archiveBytes {
			return fmt.Errorf("read %s: over the limit of %d uncompressed bytes for an archive", src, b.archiveBytes)
		}
		return nil
	}
	return pipeline(ctx, src, func(ctx context.Context, emit emitFunc) error {
		for _, f := range zr.File {
			if err := ctx.Err(); err != nil {
				return err
			}
			j := zipJob(src, f, b)
			if j == nil {
				continue
			}
			if err := emit(j); err != nil {
				return err
			}
		}
		return nil
	}, fn, account)
}

// zipJob returns the job that reads the entry f, or nil for an entry that is
// no record (a directory, a file not named *.json).
func zipJob(src string, f *zip.File, b bounds) *job {
	name := f.Name
	it := Item{Origin: src + "!" + name}
	if !safeName(name) {
		it.Err = fmt.Errorf("%w %q (\"..\", absolute or with a backslash), not read", ErrUnsafeName, name)
		return &job{it: it}
	}
	mode := f.Mode()
	if mode.IsDir() || strings.HasSuffix(name, "/") || !strings.HasSuffix(name, ".json") {
		return nil
	}
	it.Withdrawn = withdrawnPath(path.Dir(name))
	switch {
	case mode&fs.ModeSymlink != 0:
		it.Err = fmt.Errorf("%w: a symbolic link, not read", ErrNotRegular)
		return &job{it: it}
	case !mode.IsRegular():
		it.Err = fmt.Errorf("%w (%s), not read", ErrNotRegular, mode.Type())
		return &job{it: it}
	}
	return &job{it: it, load: func() ([]byte, int64, error) {
		return readEntry(f, b)
	}}
}

// readEntry reads the entry f under the per-entry bounds. It returns the
// bytes read even on error, for the archive-wide bound.
func readEntry(f *zip.File, b bounds) ([]byte, int64, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, 0, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	// archive/zip fails a read past the size in the header, so the header
	// is an upper bound on what rc delivers; min keeps a lying one cheap.
	hint := int64(min(f.UncompressedSize64, uint64(b.recordBytes)))
	rr := &ratioReader{r: rc, compressed: int64(min(f.CompressedSize64, 1<<62)), b: b}
	data, err := readAll(rr, hint, b.recordBytes)
	if rr.bomb {
		err = fmt.Errorf("%w: compressed more than %d:1 (a zip bomb?), not read", ErrTooLarge, b.ratio)
	}
	return data, rr.n, err
}

// ratioReader counts the bytes read from an entry and fails once they pass
// both an eighth of the record limit and ratio times the compressed size.
type ratioReader struct {
	r          io.Reader
	compressed int64
	b          bounds
	n          int64
	bomb       bool
}

func (r *ratioReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if r.n > r.b.recordBytes/8 && r.n/r.b.ratio > r.compressed {
		r.bomb = true
		return n, errBomb
	}
	return n, err
}

var errBomb = errors.New("compression ratio over the limit")

// safeName reports whether an entry name stays inside a directory it would
// be extracted to: relative, slash-separated, without ".." elements, NUL
// bytes or a drive letter. Names are used in messages only, but an archive
// with such names was made to attack someone.
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
