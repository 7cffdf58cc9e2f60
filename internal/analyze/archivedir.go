package analyze

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// readDir reads the files below the directory dir through os.Root, so
// that nothing outside it is read even if it changes while it is read.
// Symbolic links are reported, not followed; .git directories are
// skipped.
func (r *reader) readDir(dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	fsys := root.FS()
	walkErr := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if cerr := r.ctx.Err(); cerr != nil {
			return cerr
		}
		if r.stop {
			return fs.SkipAll
		}
		if err != nil {
			if p == "." {
				return err
			}
			r.report(ruleUnreadable, p, "cannot be read: "+err.Error(), "")
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if p == "." {
			return nil
		}
		if !r.count(p) {
			return fs.SkipAll
		}
		switch t := d.Type(); {
		case d.IsDir():
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			if strings.Count(p, "/")+1 >= r.b.treeDepth {
				r.report(ruleTreeTooDeep, p, fmt.Sprintf("directories nested more than %d deep; not read", r.b.treeDepth), "")
				return fs.SkipDir
			}
			return nil
		case t&fs.ModeSymlink != 0:
			target, _ := root.Readlink(p)
			r.report(ruleLink, p, "a symbolic link, which can point outside the package; not followed", p+" -> "+target)
			return nil
		case !t.IsRegular():
			r.report(ruleSpecialFile, p, fmt.Sprintf("a special file (%s); not read", t), "")
			return nil
		}
		r.dirFile(fsys, p)
		return nil
	})
	if errors.Is(walkErr, fs.SkipAll) {
		walkErr = nil
	}
	return walkErr
}

// dirFile reads the regular file p of fsys.
func (r *reader) dirFile(fsys fs.FS, p string) {
	f, err := fsys.Open(p)
	if err != nil {
		r.report(ruleUnreadable, p, "cannot be read: "+err.Error(), "")
		return
	}
	defer f.Close()
	info, err := f.Stat()
	switch {
	case err != nil:
		r.report(ruleUnreadable, p, "cannot be read: "+err.Error(), "")
		return
	case !info.Mode().IsRegular():
		r.report(ruleSpecialFile, p, fmt.Sprintf("changed into a special file (%s) while read; not read", info.Mode().Type()), "")
		return
	case info.Size() > r.b.fileBytes:
		r.report(ruleFileTooLarge, p, fmt.Sprintf("a file of %d bytes, over the limit of %d; not read", info.Size(), r.b.fileBytes), "")
		return
	}
	m := &meter{r: f, rd: r}
	data, err := readData(m, info.Size(), r.b.fileBytes)
	switch {
	case r.stopped(m, p):
		return
	case err == errFileTooLarge:
		r.report(ruleFileTooLarge, p, fmt.Sprintf("a file of more than %d bytes (it grew while read); not read", r.b.fileBytes), "")
		return
	case err != nil:
		r.report(ruleUnreadable, p, "cannot be read: "+err.Error(), "")
		return
	}
	r.add(entry{
		File:    File{Path: p, Data: data, Size: int64(len(data)), Executable: info.Mode()&0o111 != 0},
		written: p,
	}, place{name: p})
}
