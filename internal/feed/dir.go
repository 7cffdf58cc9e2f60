package feed

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
)

// readDir reads every .json file below the directory src.
//
// The tree is walked through os.Root, one Root per directory, so that every
// open is relative to a directory already open and cannot leave the tree
// whatever the names in it. Symbolic links are not followed: a link named
// *.json is reported, other links are skipped like other non-JSON files.
//
// Listing directories and opening files cost system calls that would make
// a single walking goroutine the bottleneck (the OpenSSF layout has a
// directory per package), so subdirectories are listed ahead of the walk
// on other goroutines and files are opened by the pipeline's workers; only
// the order of the walk is sequential.
func readDir(ctx context.Context, src string, fn func(Item) error, b bounds) error {
	root, err := os.OpenRoot(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, pathErr(err))
	}
	// The first listing is the source's own: if it fails, the source cannot
	// be read, which is an error rather than an item.
	ents, err := list(root)
	if err != nil {
		root.Close()
		return fmt.Errorf("read %s: %w", src, err)
	}
	w := &walker{src: strings.TrimRight(src, string(filepath.Separator)), b: b, ahead: max(16, 2*runtime.GOMAXPROCS(0))}
	if w.src == "" {
		w.src = string(filepath.Separator) // the file system root
	}
	return pipeline(ctx, src, func(ctx context.Context, emit emitFunc) error {
		return w.walk(ctx, emit, newDir(root), ents, "", 0)
	}, fn, nil)
}

type walker struct {
	src   string // the source as given, for origins
	b     bounds
	ahead int // subdirectories listed ahead of the walk, per directory
}

// origin returns the message name of rel, a slash-separated path below the
// source.
func (w *walker) origin(rel string) string {
	sep := string(filepath.Separator)
	if strings.HasSuffix(w.src, sep) {
		return w.src + filepath.FromSlash(rel)
	}
	return w.src + sep + filepath.FromSlash(rel)
}

// dir is an open directory shared by the walk and the jobs that open files
// in it; the last to release it closes it.
type dir struct {
	root *os.Root
	refs atomic.Int64
}

func newDir(r *os.Root) *dir {
	d := &dir{root: r}
	d.refs.Store(1)
	return d
}

func (d *dir) acquire() { d.refs.Add(1) }

func (d *dir) release() {
	if d.refs.Add(-1) == 0 {
		d.root.Close()
	}
}

// list returns the entries of the directory of r, sorted by name.
func list(r *os.Root) ([]fs.DirEntry, error) {
	f, err := r.Open(".")
	if err != nil {
		return nil, pathErr(err)
	}
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, pathErr(err)
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, nil
}

// A listing is a subdirectory opened and listed ahead of the walk.
type listing struct {
	done chan struct{}
	dir  *dir // holds one reference for the walk; nil on error
	ents []fs.DirEntry
	err  error
}

// start opens and lists the subdirectory name of parent on a new goroutine.
// parent must stay open until the listing is done.
func start(parent *dir, name string) *listing {
	l := &listing{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sub, err := parent.root.OpenRoot(name)
		if err != nil {
			l.err = fmt.Errorf("directory not read: %w", pathErr(err))
			return
		}
		ents, err := list(sub)
		if err != nil {
			sub.Close()
			l.err = fmt.Errorf("directory not read: %w", err)
			return
		}
		l.dir, l.ents = newDir(sub), ents
	}()
	return l
}

// walk emits a job for each file of the directory d, whose entries are ents
// and whose path below the source is rel, and walks its subdirectories in
// place, in the order of ents. It releases the walk's reference to d.
func (w *walker) walk(ctx context.Context, emit emitFunc, d *dir, ents []fs.DirEntry, rel string, depth int) error {
	pending := map[int]*listing{} // subdirectories listed ahead, by index
	next := 0                     // the next entry to consider listing ahead
	defer func() {
		for _, l := range pending {
			<-l.done
			if l.dir != nil {
				l.dir.release()
			}
		}
		d.release()
	}()
	withdrawn := withdrawnPath(rel)
	for i, e := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		if depth < w.b.treeDepth {
			for ; next < len(ents) && next <= i+w.ahead; next++ {
				if ents[next].IsDir() {
					pending[next] = start(d, ents[next].Name())
				}
			}
		}
		name := e.Name()
		path := name
		if rel != "" {
			path = rel + "/" + name
		}
		it := Item{Origin: w.origin(path), Withdrawn: withdrawn}
		typ := e.Type()
		switch {
		case typ.IsDir():
			l := pending[i]
			delete(pending, i)
			if err := w.subdir(ctx, emit, l, path, depth+1); err != nil {
				return err
			}
			continue
		case !strings.HasSuffix(name, ".json"):
			continue // not a record, whatever it is
		case typ&fs.ModeSymlink != 0:
			it.Err = fmt.Errorf("%w: a symbolic link, not followed", ErrNotRegular)
		case !typ.IsRegular():
			it.Err = fmt.Errorf("%w (%s)", ErrNotRegular, typ)
		}
		j := &job{it: it}
		if it.Err == nil {
			d.acquire()
			j.abort = d.release
			j.load = func() ([]byte, int64, error) {
				defer d.release()
				f, err := d.root.Open(name)
				if err != nil {
					return nil, 0, pathErr(err)
				}
				defer f.Close()
				return readRecordFile(f, w.b.recordBytes)
			}
		}
		if err := emit(j); err != nil {
			return err
		}
	}
	return nil
}

// subdir walks the subdirectory at path, listed ahead by l; nil l means it
// was not listed because it is nested too deep. A subdirectory that cannot
// be read becomes an item.
func (w *walker) subdir(ctx context.Context, emit emitFunc, l *listing, path string, depth int) error {
	it := Item{Origin: w.origin(path), Withdrawn: withdrawnPath(path)}
	if l == nil {
		it.Err = fmt.Errorf("directory nested deeper than %d levels, not read", w.b.treeDepth)
		return emit(&job{it: it})
	}
	<-l.done
	if l.err != nil {
		it.Err = l.err
		return emit(&job{it: it})
	}
	return w.walk(ctx, emit, l.dir, l.ents, path, depth)
}

// readRecordFile reads an open record file of at most max bytes.
func readRecordFile(f *os.File, max int64) ([]byte, int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, pathErr(err)
	}
	if !fi.Mode().IsRegular() { // replaced since it was listed
		return nil, 0, fmt.Errorf("%w (%s)", ErrNotRegular, fi.Mode().Type())
	}
	if fi.Size() > max {
		return nil, 0, tooLarge(max)
	}
	data, err := readAll(f, fi.Size(), max)
	return data, int64(len(data)), err
}
