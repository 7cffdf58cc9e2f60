package names

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Limits on a user-supplied list file.
const (
	// MaxListNames is the most names ReadList accepts; the largest
	// embedded list has about 18,000.
	MaxListNames = 200_000
	// MaxLineBytes is the longest line ReadList accepts.
	MaxLineBytes = 1024
)

// ErrList is wrapped by every error ReadList returns for a malformed list.
var ErrList = errors.New("bad name list")

// ReadList reads a list of popular names: one name a line, most popular
// first; "#" starts a comment, blank lines are skipped, and a name repeated
// keeps its first place. Errors name the offending line.
func ReadList(r io.Reader) ([]string, error) {
	names, _, err := readList(r, MaxListNames)
	return names, err
}

// readList is ReadList returning also the "# key: value" header lines that
// come before the first name.
func readList(r io.Reader, maxNames int) ([]string, map[string]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), MaxLineBytes)
	var names []string
	header := map[string]string{}
	seen := map[string]bool{}
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if !utf8.ValidString(text) {
			return nil, nil, fmt.Errorf("%w: line %d: not UTF-8", ErrList, line)
		}
		name, comment, _ := strings.Cut(text, "#")
		name = strings.TrimSpace(name)
		if name == "" {
			if len(names) == 0 {
				if k, v, ok := strings.Cut(comment, ":"); ok {
					header[strings.TrimSpace(k)] = strings.TrimSpace(v)
				}
			}
			continue
		}
		if i := strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
			return nil, nil, fmt.Errorf("%w: line %d: %q is not one name (want one name a line)", ErrList, line, name)
		}
		if seen[name] {
			continue
		}
		if len(names) == maxNames {
			return nil, nil, fmt.Errorf("%w: line %d: more than %d names", ErrList, line, maxNames)
		}
		seen[name] = true
		names = append(names, name)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, fmt.Errorf("%w: line %d: longer than %d bytes", ErrList, line+1, MaxLineBytes)
		}
		return nil, nil, fmt.Errorf("read name list: line %d: %w", line+1, err)
	}
	return names, header, nil
}

// data holds the popular-name lists, one gzip file an ecosystem, made by
// "go run ./internal/names/gen" (see docs/names.md), and the allowlist.
//
//go:embed data/*.txt.gz data/allowlist.txt
var data embed.FS

var (
	defaultOnce    sync.Once
	defaultChecker *Checker
	defaultErr     error
)

// Default returns the Checker for the embedded lists. They are parsed and
// indexed on the first call only; later calls return the same Checker.
func Default() (*Checker, error) {
	defaultOnce.Do(func() { defaultChecker, defaultErr = loadDefault() })
	return defaultChecker, defaultErr
}

// List describes an embedded list.
type List struct {
	Ecosystem string
	// Source and Date say where the list comes from and when it was taken.
	Source, Date string
	// Ranked is false when the list's order says nothing about popularity.
	Ranked bool
	Names  []string
}

// Embedded returns the embedded lists.
func Embedded() ([]List, error) {
	files, err := data.ReadDir("data")
	if err != nil {
		return nil, err
	}
	var lists []List
	for _, fi := range files {
		if !strings.HasSuffix(fi.Name(), ".txt.gz") {
			continue
		}
		b, err := data.ReadFile("data/" + fi.Name())
		if err != nil {
			return nil, err
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("embedded list %s: %w", fi.Name(), err)
		}
		names, h, err := readList(zr, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("embedded list %s: %w", fi.Name(), err)
		}
		if h["ecosystem"] == "" {
			return nil, fmt.Errorf("embedded list %s: no \"# ecosystem:\" header", fi.Name())
		}
		lists = append(lists, List{
			Ecosystem: h["ecosystem"], Source: h["source"], Date: h["date"],
			Ranked: h["ranked"] != "no", Names: names,
		})
	}
	return lists, nil
}

func loadDefault() (*Checker, error) {
	lists, err := Embedded()
	if err != nil {
		return nil, err
	}
	c := &Checker{lists: make(map[string]*index, len(lists)), allow: embeddedAllowlist(), p: defaultParams}
	for _, l := range lists {
		c.lists[l.Ecosystem] = newIndex(l.Ecosystem, l.Names, l.Ranked)
	}
	return c, nil
}

// AllowPair is a reviewed pair of names that look alike but are both
// legitimate, with the reason.
type AllowPair struct {
	Ecosystem, Name, Target, Reason string
}

// Allowlist returns the embedded allowlist (data/allowlist.txt): lines of
// "ecosystem name target reason...".
func Allowlist() ([]AllowPair, error) {
	b, err := data.ReadFile("data/allowlist.txt")
	if err != nil {
		return nil, err
	}
	return parseAllowlist(b)
}

func parseAllowlist(b []byte) ([]AllowPair, error) {
	var pairs []AllowPair
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 4 {
			return nil, fmt.Errorf("allowlist line %d: want \"ecosystem name target reason\"", i+1)
		}
		pairs = append(pairs, AllowPair{f[0], f[1], f[2], strings.Join(f[3:], " ")})
	}
	return pairs, nil
}

var (
	allowOnce sync.Once
	allowMap  map[pairKey]bool
)

// embeddedAllowlist returns the embedded allowlist as a set of folded pairs.
// The allowlist is part of the package: a malformed one fails its test.
func embeddedAllowlist() map[pairKey]bool {
	allowOnce.Do(func() {
		allowMap = map[pairKey]bool{}
		pairs, _ := Allowlist()
		for _, p := range pairs {
			n, _ := fold(p.Ecosystem, p.Name)
			t, _ := fold(p.Ecosystem, p.Target)
			allowMap[pairKey{p.Ecosystem, n, t}] = true
		}
	})
	return allowMap
}
