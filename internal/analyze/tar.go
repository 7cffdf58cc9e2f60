package analyze

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
)

// readTarGz reads the gzip-compressed tar stream in, the archive at a.
func (r *reader) readTarGz(in io.Reader, a place) error {
	cr := &countReader{r: in}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		return fmt.Errorf("not a gzip stream (truncated or corrupt?): %w", err)
	}
	return r.readTarStream(&meter{r: zr, rd: r, compressed: func() int64 { return cr.n }}, a)
}

// readTar reads the plain tar stream in, the archive at a.
func (r *reader) readTar(in io.Reader, a place) error {
	return r.readTarStream(&meter{r: in, rd: r}, a)
}

func (r *reader) readTarStream(m *meter, a place) error {
	tr := tar.NewReader(m)
	last := a.name
	for !r.stop {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if r.stopped(m, last) {
				return nil
			}
			if last == a.name {
				return fmt.Errorf("not a valid tar archive (truncated or corrupt?): %w", err)
			}
			return fmt.Errorf("not a valid tar archive (truncated or corrupt?) after %q: %w", escape(last), err)
		}
		last = a.nestedName(hdr.Name)
		if !r.count(last) {
			return nil
		}
		if err := r.tarEntry(tr, m, hdr, a); err != nil {
			if r.stopped(m, last) {
				return nil
			}
			return fmt.Errorf("read %q: truncated or corrupt archive: %w", escape(last), err)
		}
	}
	return nil
}

// tarEntry reads the entry of hdr, or reports why not. It returns the
// errors of the stream only.
func (r *reader) tarEntry(tr *tar.Reader, m *meter, hdr *tar.Header, a place) error {
	written := a.nestedName(hdr.Name)
	if !safeName(hdr.Name) {
		traversal(r, written)
		return nil
	}
	name := cleanName(hdr.Name)
	if name == "" {
		return nil
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeGNUSparse, tar.TypeCont:
	case tar.TypeDir:
		return nil
	case tar.TypeSymlink, tar.TypeLink:
		r.report(ruleLink, written, "a symbolic or hard link, which can point outside the package when extracted; not read",
			written+" -> "+hdr.Linkname)
		return nil
	default:
		r.report(ruleSpecialFile, written, fmt.Sprintf("a special file (tar type %q: device, FIFO or unknown); not read", hdr.Typeflag), "")
		return nil
	}
	if hdr.Size > r.b.fileBytes {
		r.report(ruleFileTooLarge, written, fmt.Sprintf("a file of %d bytes, over the limit of %d; not read", hdr.Size, r.b.fileBytes), "")
		return nil
	}
	exec := hdr.Mode&0o111 != 0
	if a.gem && a.depth == 0 {
		switch name {
		case "data.tar.gz":
			// The gem's files: one level of nesting, at the top of the package.
			if a.depth+1 > r.b.nesting {
				r.report(ruleNesting, written, fmt.Sprintf("an archive nested more than %d deep; not opened", r.b.nesting), "")
				return nil
			}
			if err := r.readTarGz(tr, place{depth: 1, name: "data.tar.gz"}); err != nil && r.ctx.Err() == nil {
				r.report(ruleTruncated, written, "the gem's data.tar.gz is truncated or corrupt; the rest of it was not read: "+err.Error(), "")
			}
			return nil
		case "metadata.gz":
			data, err := r.gunzip(tr, written)
			if err != nil {
				return err
			}
			if data != nil {
				r.add(entry{File: File{Path: "metadata.yaml", Data: data, Size: int64(len(data))}, written: written}, a)
			}
			return nil
		}
	}
	data, err := readData(tr, hdr.Size, r.b.fileBytes)
	if err != nil {
		return err
	}
	r.add(entry{
		File:    File{Path: a.prefix + name, Data: data, Size: int64(len(data)), Executable: exec},
		written: written,
		nested:  a.depth > 0,
	}, a)
	return nil
}

// gunzip decompresses a single gzip-compressed file (a gem's metadata.gz)
// under the limits. It returns nil data after reporting a finding, and an
// error only for errors of the stream in.
func (r *reader) gunzip(in io.Reader, written string) ([]byte, error) {
	cr := &countReader{r: in}
	zr, err := gzip.NewReader(cr)
	if err != nil {
		r.report(ruleCorruptEntry, written, "not a valid gzip file: "+err.Error(), "")
		return nil, nil
	}
	m := &meter{r: zr, rd: r, compressed: func() int64 { return cr.n }}
	data, err := readData(m, 0, r.b.fileBytes)
	switch {
	case r.stopped(m, written):
		return nil, nil
	case err == errFileTooLarge:
		r.report(ruleFileTooLarge, written, fmt.Sprintf("decompresses to more than %d bytes; not read", r.b.fileBytes), "")
		return nil, nil
	case err != nil:
		r.report(ruleCorruptEntry, written, "not a valid gzip file: "+err.Error(), "")
		return nil, nil
	}
	return data, nil
}
