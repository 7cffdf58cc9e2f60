package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	packageurl "github.com/package-url/packageurl-go"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/purl"
)

// sbomParsers returns the parsers of this family; see Default.
func sbomParsers() []Parser {
	return []Parser{cycloneDXParser{}, spdxParser{}}
}

// This file also holds what the SBOM parsers (cyclonedx.go, spdx.go) share:
// a linear index of the JSON document, which gives the lines the decoding
// libraries do not keep and bounds the nesting before they see the bytes, and
// the mapping of package URLs to packages and sources.

// sbomMaxDepth bounds the nesting of objects and arrays in an SBOM. A
// CycloneDX BOM spends two levels (an array and an object) per level of
// nested components, plus a few for the fields of the deepest one, so this
// admits the limits.MaxNesting levels of components that sbomIndex allows.
const sbomMaxDepth = 2*limits.MaxNesting + 16

// sbomSkips counts the entries of an SBOM that yield no package: they name
// nothing sapper can match. Parse drops the counts (the Parser contract has
// no place for them); tests check them.
type sbomSkips struct {
	// NoPURL counts components or packages without a package URL.
	NoPURL int
	// Unsupported counts those whose package URL type has no ecosystem in
	// sapper (pkg:deb, pkg:apk, pkg:oci, pkg:github, ...).
	Unsupported int
}

// sbomIndexOptions says what sbomIndex keeps.
type sbomIndexOptions struct {
	// Members names the object members whose string values' lines are kept
	// ("purl", "referenceLocator").
	Members []string
	// Arrays names the top-level arrays whose elements' offsets are kept.
	Arrays []string
	// Nest, when set, names the member whose arrays may nest at most
	// limits.MaxNesting deep ("components").
	Nest string
}

// sbomIndex is what one linear pass over the bytes of a JSON document
// records: the line of each wanted member, the top-level string members,
// and where each element of the wanted top-level arrays starts, so that
// errors the libraries report relative to an element can be placed in the
// file.
//
// Members are found by their path from the top, such as components, 0,
// components, 2, purl: a tree of nodes, numbered from the top object's 0,
// holds the paths that lead to wanted members. A parser walks down it beside
// the decoded document (Member, Elem), at constant cost per step, where
// building and hashing whole paths would cost their depth at every step.
type sbomIndex struct {
	lines *Lines
	// nodes numbers the nodes of the tree by parent and step (a member name
	// folded by sbomFold, or an array index in decimal).
	nodes map[sbomStep]int
	// at maps the node of a wanted string member to the line of its value.
	at map[int]int
	// top holds the top-level members whose values are strings.
	top map[string]sbomString
	// starts maps a wanted top-level array to where its elements are.
	starts map[string][]sbomStart
}

// sbomString is a string value and its line.
type sbomString struct {
	Value string
	Line  int
}

// sbomStart is where an element of a top-level array is.
type sbomStart struct {
	// Offset is the offset of the element's first byte.
	Offset int64
	// Scalar is set for a string, number or literal, all on one line.
	Scalar bool
}

// sbomStep is a step down the tree of an sbomIndex.
type sbomStep struct {
	parent int
	step   string
}

// sbomFrame is an open object or array during sbomIndex's pass.
type sbomFrame struct {
	object  bool
	wantKey bool   // object: the next string is a member name
	key     []byte // object: the current member name, unescaped
	index   int    // array: the index of the current element
	nest    int    // how many Nest arrays are open, this one included
	node    int    // its node in the tree, or -1 while it leads to no wanted member
}

// newSBOMIndex checks that data is one JSON object, valid UTF-8, nested at
// most sbomMaxDepth deep, and indexes it. kind names the format in messages.
func newSBOMIndex(ctx context.Context, f File, data []byte, kind string, opt sbomIndexOptions) (*sbomIndex, error) {
	idx := &sbomIndex{
		lines:  NewLines(data),
		nodes:  make(map[sbomStep]int),
		at:     make(map[int]int),
		top:    make(map[string]sbomString),
		starts: make(map[string][]sbomStart),
	}
	if off := invalidUTF8(data); off >= 0 {
		return nil, Errorf(f, idx.lines.At(int64(off)), "invalid UTF-8 at byte %d", off)
	}
	first := bytes.TrimLeft(data, " \t\r\n")
	if len(first) == 0 {
		return nil, Errorf(f, 0, "empty file: not a %s", kind)
	}
	if first[0] != '{' {
		return nil, Errorf(f, idx.lines.At(int64(len(data)-len(first))), "not a %s: the top level is not a JSON object", kind)
	}
	// json.Valid is one pass without allocations; the scan below then only
	// meets valid JSON. Decoding into nothing finds where it is not.
	if !json.Valid(data) {
		var v struct{}
		err := json.Unmarshal(data, &v)
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line := idx.lines.At(syn.Offset)
			switch msg := syn.Error(); {
			case msg == "unexpected end of JSON input":
				return nil, Errorf(f, line, "unexpected end of file")
			case strings.HasSuffix(msg, "exceeded max depth"):
				return nil, Errorf(f, line, "objects and arrays nested more than %d deep", sbomMaxDepth)
			}
			return nil, Errorf(f, line, "invalid JSON: %s", strings.TrimPrefix(syn.Error(), "json: "))
		}
		return nil, Errorf(f, 0, "invalid JSON: %v", err)
	}
	if err := idx.scan(ctx, f, data, opt); err != nil {
		return nil, err
	}
	return idx, nil
}

// scan indexes data, which is valid JSON with an object at the top.
func (idx *sbomIndex) scan(ctx context.Context, f File, data []byte, opt sbomIndexOptions) error {
	member := func(key []byte, names []string) bool {
		for _, n := range names {
			if bytes.EqualFold(key, []byte(n)) { // encoding/json's match
				return true
			}
		}
		return false
	}
	var stack []sbomFrame
	for i, n := 0, 0; i < len(data); n++ {
		if n%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c := data[i]
		switch c {
		case ' ', '\t', '\r', '\n', ':':
			i++
			continue
		case ',':
			if len(stack) > 0 {
				if fr := &stack[len(stack)-1]; fr.object {
					fr.wantKey = true
				} else {
					fr.index++
				}
			}
			i++
			continue
		case '}', ']':
			if len(stack) == 0 {
				return Errorf(f, idx.lines.At(int64(i)), "invalid JSON")
			}
			stack = stack[:len(stack)-1]
			i++
			continue
		}

		// A member name or a value begins at i.
		end := i + 1
		switch c {
		case '"':
			end = sbomStringEnd(data, i)
		case '{', '[':
		default: // a number or literal
			for end < len(data) && !strings.ContainsRune(",]} \t\r\n", rune(data[end])) {
				end++
			}
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].wantKey {
			stack[top].key = sbomUnquote(data[i:end])
			stack[top].wantKey = false
			i = end
			continue
		}
		if top == 0 && c == '[' && member(stack[0].key, opt.Arrays) {
			// A repeated member replaces the earlier one, as for encoding/json.
			delete(idx.starts, sbomFold(string(stack[0].key)))
		}
		if top == 1 && !stack[1].object && member(stack[0].key, opt.Arrays) {
			k := sbomFold(string(stack[0].key))
			idx.starts[k] = append(idx.starts[k], sbomStart{Offset: int64(i), Scalar: c != '{' && c != '['})
		}
		switch c {
		case '{', '[':
			fr := sbomFrame{object: c == '{', wantKey: c == '{', node: -1}
			if top < 0 {
				fr.node = 0
			}
			if top >= 0 {
				fr.nest = stack[top].nest
				if c == '[' && opt.Nest != "" && stack[top].object && member(stack[top].key, []string{opt.Nest}) {
					fr.nest++
				}
			}
			if fr.nest > limits.MaxNesting {
				return Errorf(f, idx.lines.At(int64(i)), "%q nested more than %d deep", opt.Nest, limits.MaxNesting)
			}
			if len(stack) >= sbomMaxDepth {
				return Errorf(f, idx.lines.At(int64(i)), "objects and arrays nested more than %d deep", sbomMaxDepth)
			}
			stack = append(stack, fr)
		case '"':
			if top >= 0 && stack[top].object {
				if member(stack[top].key, opt.Members) {
					idx.at[idx.nodeOf(stack)] = idx.lines.At(int64(i))
				}
				if top == 0 {
					idx.top[sbomFold(string(stack[0].key))] = sbomString{
						Value: string(sbomUnquote(data[i:end])),
						Line:  idx.lines.At(int64(i)),
					}
				}
			}
		}
		i = end
	}
	return nil
}

// sbomStringEnd returns the offset just past the JSON string that starts
// at data[i], or len(data).
func sbomStringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(data)
}

// sbomUnquote returns the contents of the JSON string q, unescaped; q
// itself, without its quotes, when it has no escapes.
func sbomUnquote(q []byte) []byte {
	if len(q) < 2 {
		return nil
	}
	if bytes.IndexByte(q, '\\') < 0 {
		return q[1 : len(q)-1]
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return nil // cannot happen: the document is valid
	}
	return []byte(s)
}

// nodeOf returns the node of the current value of stack, adding it and
// the nodes of the open objects and arrays to the tree.
func (idx *sbomIndex) nodeOf(stack []sbomFrame) int {
	for k := 1; k < len(stack); k++ {
		if stack[k].node < 0 {
			stack[k].node = idx.add(stack[k-1])
		}
	}
	return idx.add(stack[len(stack)-1])
}

// add returns the node of the current value of fr, whose node is known,
// adding it to the tree.
func (idx *sbomIndex) add(fr sbomFrame) int {
	var st sbomStep
	if fr.object {
		st = sbomStep{fr.node, sbomFold(string(fr.key))}
	} else {
		st = sbomStep{fr.node, strconv.Itoa(fr.index)}
	}
	n, ok := idx.nodes[st]
	if !ok {
		n = len(idx.nodes) + 1
		idx.nodes[st] = n
	}
	return n
}

// Member returns the node of member name of the object at node, or -1
// when no wanted member is below it. The top object is node 0.
func (idx *sbomIndex) Member(node int, name string) int {
	return idx.step(sbomStep{node, sbomFold(name)})
}

// Elem returns the node of element i of the array at node, or -1.
func (idx *sbomIndex) Elem(node, i int) int {
	return idx.step(sbomStep{node, strconv.Itoa(i)})
}

func (idx *sbomIndex) step(st sbomStep) int {
	if st.parent < 0 {
		return -1
	}
	if n, ok := idx.nodes[st]; ok {
		return n
	}
	return -1
}

// Line returns the line of the wanted string member at node, or 0.
func (idx *sbomIndex) Line(node int) int { return idx.at[node] }

// Top returns the top-level string member name.
func (idx *sbomIndex) Top(name string) (sbomString, bool) {
	s, ok := idx.top[sbomFold(name)]
	return s, ok
}

// sbomFold folds a member name as encoding/json does to match it to a
// struct field (its foldName: ASCII letters to upper case, other runes to
// the smallest of their case-folding set), so that the index finds the
// members the decoder reads: "PURL" and "purl" are one field to it.
func sbomFold(s string) string {
	ascii, lower := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		ascii = ascii && c < utf8.RuneSelf
		lower = lower || 'a' <= c && c <= 'z'
	}
	switch {
	case ascii && !lower:
		return s
	case ascii:
		return strings.ToUpper(s)
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z':
			r -= 'a' - 'A'
		case r >= utf8.RuneSelf:
			for {
				f := unicode.SimpleFold(r)
				if f <= r {
					r = f
					break
				}
				r = f
			}
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// ElemError places err, from decoding element i of top-level array name on
// its own, at its line in the file: offsets in errors of encoding/json are
// relative to the bytes decoded.
func (idx *sbomIndex) ElemError(f File, name string, i int, err error) error {
	starts := idx.starts[sbomFold(name)]
	if i >= len(starts) { // cannot happen: the index saw every element
		return Errorf(f, 0, "%s[%d]: %s", name, i, sbomMessage(err))
	}
	off := starts[i].Offset
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) && !starts[i].Scalar {
		off += typ.Offset
	}
	return Errorf(f, idx.lines.At(off), "%s[%d]: %s", name, i, sbomMessage(err))
}

// DecodeError places err, from decoding the whole document, at its line.
func (idx *sbomIndex) DecodeError(f File, err error) error {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return Errorf(f, idx.lines.At(typ.Offset), "%s", sbomMessage(err))
	}
	return Errorf(f, 0, "%s", sbomMessage(err))
}

// sbomMessage returns the message of err, from a library that may quote
// the hostile file at any length, cut to a readable length.
func sbomMessage(err error) string {
	const max = 300
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if len(msg) <= max {
		return msg
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "..."
}

// utf8BOMPrefix is the byte order mark some Windows tools write first.
var utf8BOMPrefix = []byte("\xef\xbb\xbf")

// invalidUTF8 returns the offset of the first byte of data that is not
// UTF-8, or -1.
func invalidUTF8(data []byte) int {
	if utf8.Valid(data) {
		return -1
	}
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// sbomPackage turns the package URL s, found at line, into a package. It
// returns ok false, and no error, for a package URL of a type sapper has no
// ecosystem for. version is used when the package URL has none.
func sbomPackage(f File, line int, s, version string) (p Package, ok bool, err error) {
	s = strings.TrimSpace(s)
	pp, err := purl.Parse(s)
	if errors.Is(err, ecosystem.ErrUnsupported) {
		return Package{}, false, nil
	}
	if err != nil {
		return Package{}, false, Errorf(f, line, "%s", sbomMessage(err))
	}
	p = Package{
		Ecosystem: pp.Ecosystem,
		Name:      pp.Name,
		Version:   pp.Version,
		Location:  Location{Path: f.Display, Line: line},
	}
	if p.Version == "" {
		p.Version = version
	}
	if strings.Contains(s, "?") {
		q, err := packageurl.FromString(s)
		if err != nil { // purl.Parse accepted it
			return Package{}, false, Errorf(f, line, "parse package URL %s: %v", quoteSBOM(s), err)
		}
		p.Source = purlSource(p.Ecosystem, q.Qualifiers.Map())
	}
	return p, true, nil
}

// purlSource says where a package comes from by the qualifiers of its
// package URL (https://github.com/package-url/purl-spec, "Known
// qualifiers"): repository_url names the registry, vcs_url a repository it
// was installed from, download_url the archive it was fetched as. A URL on
// the ecosystem's public registry says nothing more than no URL.
func purlSource(eco ecosystem.Ecosystem, q map[string]string) Source {
	if u := q["repository_url"]; u != "" && !publicRegistry(eco, u) {
		return Source{Kind: Registry, URL: u}
	}
	if u := q["vcs_url"]; u != "" {
		return Source{Kind: Git, URL: u}
	}
	if u := q["download_url"]; u != "" && !publicRegistry(eco, u) {
		if gitURL(u) {
			return Source{Kind: Git, URL: u}
		}
		return Source{Kind: URL, URL: u}
	}
	return Source{}
}

// publicHosts lists the hosts of each ecosystem's public registry: its
// index, its API and where its archives are served from.
var publicHosts = map[ecosystem.Ecosystem][]string{
	ecosystem.NPM:       {"registry.npmjs.org", "registry.yarnpkg.com"},
	ecosystem.PyPI:      {"pypi.org", "pypi.python.org", "files.pythonhosted.org"},
	ecosystem.Maven:     {"repo.maven.apache.org", "repo1.maven.org"},
	ecosystem.Go:        {"proxy.golang.org"},
	ecosystem.CratesIO:  {"crates.io", "index.crates.io", "static.crates.io"},
	ecosystem.RubyGems:  {"rubygems.org", "index.rubygems.org"},
	ecosystem.NuGet:     {"api.nuget.org", "www.nuget.org", "nuget.org"},
	ecosystem.Packagist: {"packagist.org", "repo.packagist.org"},
	ecosystem.Pub:       {"pub.dev", "pub.dartlang.org"},
	ecosystem.Hex:       {"hex.pm", "repo.hex.pm"},
}

// publicRegistry reports whether URL u is on the public registry of eco.
// The purl spec allows a repository_url without a scheme
// ("repo.spring.io/release").
func publicRegistry(eco ecosystem.Ecosystem, u string) bool {
	if !strings.Contains(u, "://") {
		u = "https://" + u
	}
	pu, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := strings.ToLower(pu.Hostname())
	for _, h := range publicHosts[eco] {
		if host == h {
			return true
		}
	}
	return false
}

// gitURL reports whether u names a git repository rather than an archive.
func gitURL(u string) bool {
	l := strings.ToLower(u)
	for _, p := range []string{"git+", "git://", "git@", "ssh://"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	if i := strings.IndexAny(l, "?#"); i >= 0 {
		l = l[:i]
	}
	return strings.HasSuffix(l, ".git")
}

// quoteSBOM quotes s, from a hostile file, for a message, cut to a readable
// length.
func quoteSBOM(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// sbomMatch reports whether the base name of p, in any case, is one of
// names or ends with one of suffixes.
func sbomMatch(p string, names, suffixes []string) bool {
	b := strings.ToLower(base(p))
	for _, n := range names {
		if b == n {
			return true
		}
	}
	for _, s := range suffixes {
		if strings.HasSuffix(b, s) && len(b) > len(s) {
			return true
		}
	}
	return false
}

// sbomText reads f, drops a leading byte order mark, and returns the bytes.
func sbomText(f File) ([]byte, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")) {
		// What Windows PowerShell 5 writes for "syft ... > bom.json".
		return nil, Errorf(f, 0, "the file is UTF-16: write it as UTF-8 (in PowerShell, with Out-File -Encoding utf8 rather than >)")
	}
	return bytes.TrimPrefix(data, utf8BOMPrefix), nil
}
