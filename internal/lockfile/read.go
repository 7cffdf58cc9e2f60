package lockfile

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/sapperhq/sapper/internal/limits"
)

// maxFileBytes is limits.MaxLockfileBytes; tests lower it.
var maxFileBytes int64 = limits.MaxLockfileBytes

// readBounded reads name from fsys, refusing files over maxFileBytes.
func readBounded(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		if size = fi.Size(); size > maxFileBytes {
			return nil, fmt.Errorf("%w: %d bytes, over the limit of %d", ErrTooLarge, size, maxFileBytes)
		}
	}
	// Read into a buffer of the file's size, not one grown by doubling:
	// lockfiles are read whole. Whatever follows (a file that grew, or one
	// whose size is not known) is read after it, still bounded.
	b := make([]byte, size)
	n, err := io.ReadFull(f, b)
	switch {
	case err == io.ErrUnexpectedEOF:
		b = b[:n]
	case err != nil && err != io.EOF:
		return nil, err
	}
	rest, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1-int64(len(b))))
	if err != nil {
		return nil, err
	}
	b = append(b, rest...)
	if int64(len(b)) > maxFileBytes {
		return nil, fmt.Errorf("%w: over the limit of %d bytes", ErrTooLarge, maxFileBytes)
	}
	return b, nil
}

// Lines maps byte offsets of a file to 1-based line numbers, for parsers
// whose decoder reports offsets (encoding/json's Decoder.InputOffset). It
// indexes the newlines once, so each lookup is a binary search: parsing
// stays linear in the file size.
type Lines struct {
	newlines []int
}

// NewLines indexes the newlines of data.
func NewLines(data []byte) *Lines {
	l := &Lines{}
	for i, c := range data {
		if c == '\n' {
			l.newlines = append(l.newlines, i)
		}
	}
	return l
}

// At returns the 1-based line of byte offset off.
func (l *Lines) At(off int64) int {
	return sort.SearchInts(l.newlines, int(off)) + 1
}

// utf8BOM is the byte order mark some Windows tools put before UTF-8 text.
var utf8BOM = []byte("\xef\xbb\xbf")

// textOf checks that data is UTF-8 text and returns it without a leading
// byte order mark. The error names the line of the first invalid byte: the
// decoders would otherwise replace it silently or fail with less detail.
func textOf(f File, data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if utf8.Valid(data) {
		return data, nil
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return nil, Errorf(f, bytes.Count(data[:i], []byte("\n"))+1, "invalid UTF-8 at byte %d", i)
		}
		i += n
	}
	return data, nil
}

// quoteShort quotes s for an error message, cut to a readable length: the
// values quoted come from hostile files.
func quoteShort(s string) string {
	const limit = 80
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
