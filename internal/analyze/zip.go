package analyze

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// readZip reads the zip archive in ra, of size bytes, the archive at a.
// Zip archives are read through their central directory, so a damaged
// entry is a finding and the others are still read.
func (r *reader) readZip(ra io.ReaderAt, size int64, a place) error {
	zr, err := zip.NewReader(ra, size)
	if errors.Is(err, zip.ErrInsecurePath) {
		err = nil // entry names are checked one by one below
	}
	if err != nil {
		return fmt.Errorf("not a valid zip archive (truncated or corrupt?): %w", err)
	}
	for _, f := range zr.File {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if !r.count(a.nestedName(f.Name)) {
			return nil
		}
		r.zipEntry(f, a)
	}
	return nil
}

// zipEntry reads the entry f, or reports why not.
func (r *reader) zipEntry(f *zip.File, a place) {
	written := a.nestedName(f.Name)
	if !safeName(f.Name) {
		traversal(r, written)
		return
	}
	name := cleanName(f.Name)
	mode := f.Mode()
	if name == "" || mode.IsDir() || strings.HasSuffix(f.Name, "/") {
		return
	}
	switch {
	case mode&fs.ModeSymlink != 0:
		r.report(ruleLink, written, "a symbolic link, which can point outside the package when extracted; not read", "")
		return
	case !mode.IsRegular():
		r.report(ruleSpecialFile, written, fmt.Sprintf("a special file (%s); not read", mode.Type()), "")
		return
	case f.UncompressedSize64 > uint64(r.b.fileBytes):
		r.report(ruleFileTooLarge, written, fmt.Sprintf("a file of %d bytes, over the limit of %d; not read", f.UncompressedSize64, r.b.fileBytes), "")
		return
	}
	rc, err := f.Open()
	if err != nil {
		r.report(ruleCorruptEntry, written, "an entry that cannot be read: "+err.Error(), "")
		return
	}
	defer rc.Close()
	compressed := int64(min(f.CompressedSize64, 1<<62))
	m := &meter{r: rc, rd: r, compressed: func() int64 { return compressed }}
	// archive/zip fails a read past the size in the header, so the header
	// bounds what rc delivers; readData bounds it again.
	data, err := readData(m, int64(f.UncompressedSize64), r.b.fileBytes)
	switch {
	case r.stopped(m, written):
		return
	case err == errFileTooLarge:
		r.report(ruleFileTooLarge, written, fmt.Sprintf("a file of more than %d bytes; not read", r.b.fileBytes), "")
		return
	case err != nil:
		r.report(ruleCorruptEntry, written, "an entry that cannot be read: "+err.Error(), "")
		return
	}
	r.add(entry{
		File:    File{Path: a.prefix + name, Data: data, Size: int64(len(data)), Executable: mode&0o111 != 0},
		written: written,
		nested:  a.depth > 0,
	}, a)
}
