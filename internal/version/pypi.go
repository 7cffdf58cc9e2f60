package version

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"strings"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

// pypiVersion is a PEP 440 version.
type pypiVersion struct {
	v pep440.Version
	// canon is the PEP 440 normal form with the trailing zeros of the
	// release dropped ("1" for "1.0.0") and local numbers without leading
	// zeros; PEP 440 compares such versions equal.
	canon string
	// epoch and release are the numbers of the version, the release
	// without trailing zeros as in the library's comparison key.
	epoch   uint64
	release []uint64
}

var _ Version = (*pypiVersion)(nil)

var errNotPEP440 = errors.New("not a PEP 440 version")

// localSeparators turns the local version separators "-" and "_" into ".".
var localSeparators = strings.NewReplacer("-", ".", "_", ".")

// parsePyPI parses a PEP 440 version.
func parsePyPI(s string) (Version, error) {
	in := s
	// Library bug: PEP 440 reads "-" and "_" between local version segments
	// as ".", but the library splits the local version on "." only, so it
	// ordered "1.0+ubuntu-1" after "1.0+ubuntu.1" instead of equal to it.
	if i := strings.IndexByte(s, '+'); i >= 0 && strings.ContainsAny(s[i:], "-_") {
		in = s[:i] + localSeparators.Replace(s[i:])
	}
	v, err := pep440.Parse(in)
	if err != nil {
		return nil, errNotPEP440
	}

	base := v.BaseVersion()        // "[N!]1.2.3"
	rest := v.String()[len(base):] // "a1.post2.dev3+local", normalised
	epoch, release := "", base
	if i := strings.IndexByte(base, '!'); i >= 0 {
		epoch, release = base[:i+1], base[i+1:]
	}
	for strings.HasSuffix(release, ".0") {
		release = release[:len(release)-len(".0")]
	}
	p := &pypiVersion{v: v}
	if epoch != "" {
		p.epoch, _ = strconv.ParseUint(epoch[:len(epoch)-1], 10, 64) // the library parsed it
	}
	if release != "0" {
		for n := range strings.SplitSeq(release, ".") {
			u, _ := strconv.ParseUint(n, 10, 64)
			p.release = append(p.release, u)
		}
	}
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		local, err := canonicalLocal(rest[i+1:])
		if err != nil {
			return nil, err
		}
		rest = rest[:i+1] + local
	}
	p.canon = epoch + release + rest
	if p.canon == s {
		p.canon = s // share the caller's string rather than keep a copy
	}
	return p, nil
}

// canonicalLocal writes the numbers of a lower-case, dot-separated local
// version without leading zeros, which PEP 440 ignores ("01" is 1).
func canonicalLocal(local string) (string, error) {
	segs := strings.Split(local, ".")
	for i, seg := range segs {
		if digits(seg) != len(seg) {
			continue
		}
		n, err := strconv.ParseUint(seg, 10, 64)
		if err != nil {
			// The library would read it as text, which sorts before numbers.
			return "", errors.New("local version number too large")
		}
		segs[i] = strconv.FormatUint(n, 10)
	}
	return strings.Join(segs, "."), nil
}

// Compare implements Version.
func (a *pypiVersion) Compare(other Version) int {
	b, ok := other.(*pypiVersion)
	if !ok {
		mismatch(a, other)
	}
	if a.canon == b.canon {
		return 0
	}
	// Most versions differ in epoch or release, which are plain numbers;
	// the library's Compare formats both versions first, which is slow.
	if c := cmp.Compare(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := slices.Compare(a.release, b.release); c != 0 {
		return c
	}
	// Only pre, post and dev releases and local versions differ: leave them
	// to the library. Library bug: its Compare pads the receiver's release
	// with zeros to the other's length by appending to a slice that shares
	// memory with the receiver, a data race when two goroutines compare the
	// same version; releases of equal length, as here, need no padding.
	return a.v.Compare(b.v)
}

// String implements Version.
func (a *pypiVersion) String() string { return a.canon }
