package version

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// nugetVersion is a NuGet package version, parsed as NuGet.Versioning's
// NuGetVersion.TryParse parses it and ordered as its VersionComparer.Default
// orders it (https://learn.microsoft.com/nuget/concepts/package-versioning).
// No Go library implements these rules.
type nugetVersion struct {
	nums   [4]int32     // major, minor, patch, revision; missing parts are 0
	labels []nugetLabel // prerelease labels; nil for a release
	canon  string
}

// nugetLabel is one dot-separated prerelease label.
type nugetLabel struct {
	text string // in lower case; comparison ignores case
	n    int32
	num  bool // the label is a number (Int32.TryParse succeeds)
}

var _ Version = (*nugetVersion)(nil)

// parseNuGet parses a NuGet version: "1.2", "1.2.3", "1.2.3.4", each with
// optional "-label.label" and "+metadata". Leading zeros in the numbers are
// allowed ("1.01" is "1.1"), a leading "v" is not.
func parseNuGet(s string) (Version, error) {
	s = strings.TrimSpace(s)
	ver, labels, meta := s, "", ""
	hasLabels, hasMeta := false, false
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		ver = s[:i]
		if s[i] == '-' {
			labels, meta, hasMeta = strings.Cut(s[i+1:], "+")
			hasLabels = true
		} else {
			meta, hasMeta = s[i+1:], true
		}
	}

	var v nugetVersion
	parts := strings.Split(ver, ".")
	if len(parts) > len(v.nums) {
		return nil, fmt.Errorf("more than %d numbers", len(v.nums))
	}
	for i, p := range parts {
		// System.Version.TryParse would also take spaces around a number
		// and a sign before it ("1. +2"); NuGet's documentation does not.
		n, err := strconv.ParseUint(p, 10, 31)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number from 0 to %d", p, math.MaxInt32)
		}
		v.nums[i] = int32(n)
	}

	if hasLabels {
		for l := range strings.SplitSeq(labels, ".") {
			if !validNuGetPart(l) || len(l) > 1 && l[0] == '0' && digits(l) == len(l) {
				return nil, fmt.Errorf("invalid prerelease label %q", l)
			}
			label := nugetLabel{text: strings.ToLower(l)}
			// As Int32.TryParse, which also reads "-1" as a number and
			// leaves numbers beyond an int32 as text.
			if n, err := strconv.ParseInt(l, 10, 32); err == nil {
				label = nugetLabel{n: int32(n), num: true}
			}
			v.labels = append(v.labels, label)
		}
	}
	if hasMeta {
		for m := range strings.SplitSeq(meta, ".") {
			if !validNuGetPart(m) {
				return nil, fmt.Errorf("invalid build metadata %q", m)
			}
		}
	}
	v.canon = v.format()
	return &v, nil
}

// validNuGetPart reports whether s is a non-empty run of ASCII letters,
// digits and "-", as NuGet.Versioning's IsValidPart requires.
func validNuGetPart(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

// format returns NuGet's normalised form, "1.2.3[.4][-labels]" without
// metadata, with labels in lower case and numeric labels as numbers.
func (v *nugetVersion) format() string {
	b := make([]byte, 0, 16)
	n := 3
	if v.nums[3] != 0 {
		n = 4
	}
	for i := range n {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(v.nums[i]), 10)
	}
	for i, l := range v.labels {
		if i == 0 {
			b = append(b, '-')
		} else {
			b = append(b, '.')
		}
		if l.num {
			b = strconv.AppendInt(b, int64(l.n), 10)
		} else {
			b = append(b, l.text...)
		}
	}
	return string(b)
}

// Compare implements Version, as VersionComparer.Default does.
func (a *nugetVersion) Compare(other Version) int {
	b, ok := other.(*nugetVersion)
	if !ok {
		mismatch(a, other)
	}
	for i := range a.nums {
		if c := cmp.Compare(a.nums[i], b.nums[i]); c != 0 {
			return c
		}
	}
	switch {
	case a.labels == nil && b.labels == nil:
		return 0
	case a.labels == nil:
		return 1 // a release is newer than its prereleases
	case b.labels == nil:
		return -1
	}
	for i := range max(len(a.labels), len(b.labels)) {
		if i == len(a.labels) {
			return -1 // fewer labels, all equal: "1.0.0-a" < "1.0.0-a.1"
		}
		if i == len(b.labels) {
			return 1
		}
		l, r := a.labels[i], b.labels[i]
		var c int
		switch {
		case l.num && r.num:
			c = cmp.Compare(l.n, r.n)
		case l.num:
			c = -1 // numbers before text
		case r.num:
			c = 1
		default:
			c = strings.Compare(l.text, r.text)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// String implements Version.
func (a *nugetVersion) String() string { return a.canon }
