package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tdewolff/parse/v2"
	htmllex "github.com/tdewolff/parse/v2/html"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/version"
)

// Bounds on what a simple page may hold, on top of MaxMetadataBytes.
const (
	// pypiMaxFiles bounds the files of one project page (the largest
	// projects on PyPI have a few tens of thousands).
	pypiMaxFiles = 200_000
	// pypiMaxName bounds a project name.
	pypiMaxName = 256
	// pypiMaxFilename bounds a file name, as file systems do.
	pypiMaxFilename = 255
	// pypiMaxField bounds an href or attribute the proxy keeps; a longer
	// URL makes its file unusable, a longer text is cut.
	pypiMaxField = 8 << 10
)

// pypiPage is a project's simple page as the upstream published it,
// decoded from PEP 691 JSON or PEP 503 HTML. The metadata cache keeps it;
// decisions are made on every request, so that a new record applies at
// once.
type pypiPage struct {
	name     string // PEP 503 normalised
	notFound bool   // the upstream answered 404 or 410
	files    []pypiFile
	// versions is PEP 700's list of versions, nil when the upstream gave
	// none (API version 1.0, or HTML).
	versions []string
	// skipped counts entries dropped for a file name the proxy cannot
	// use in a URL (a slash, a control character, too long).
	skipped int
}

// pypiFile is one file of a simple page.
// See https://peps.python.org/pep-0691/#project-detail.
type pypiFile struct {
	filename string
	// url is the absolute upstream URL, without fragment; "" when the
	// upstream's URL was unusable (the file is then refused).
	url  string
	host string // of url
	// sha256 is the lower-case hex hash; "" when the upstream gave none.
	sha256         string
	requiresPython string
	yanked         bool
	yankedReason   string
	// metadataSHA256 is the hash of the core metadata file (PEP 658 and
	// PEP 714); "" when there is none, or none with a sha256.
	metadataSHA256 string
	gpgSig         *bool
	// uploadTime is PEP 700's upload-time, zero when absent; badTime
	// reports one that does not parse.
	uploadTime    time.Time
	uploadTimeRaw string
	badTime       bool
	size          int64 // -1 when unknown
	// version is read from the file name; "" when it cannot be (a file
	// type pip does not install, a name of another project, a version
	// that is not PEP 440).
	version string
}

// find returns the file named filename with hash sha256 ("" for none).
func (p *pypiPage) find(filename, sha256 string) *pypiFile {
	for i := range p.files {
		if f := &p.files[i]; f.filename == filename && f.sha256 == sha256 {
			return f
		}
	}
	return nil
}

// size estimates the memory p holds, for the metadata cache's bound.
func (p *pypiPage) size() int {
	n := 128 + len(p.name)
	for i := range p.files {
		f := &p.files[i]
		n += 200 + len(f.filename) + len(f.url) + len(f.requiresPython) + len(f.yankedReason) + len(f.uploadTimeRaw) + len(f.version)
	}
	for _, v := range p.versions {
		n += 16 + len(v)
	}
	return n
}

// pypiValidName reports whether name is a valid project name (PEP 508:
// letters and digits, with ".", "-" and "_" between them).
func pypiValidName(name string) bool {
	if name == "" || len(name) > pypiMaxName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (c != '.' && c != '-' && c != '_' || i == 0 || i == len(name)-1) {
			return false
		}
	}
	return true
}

// pypiValidFilename reports whether a file name can be one segment of a
// proxy URL and a file name on a client's disk.
func pypiValidFilename(name string) bool {
	if name == "" || len(name) > pypiMaxFilename || name == "." || name == ".." {
		return false
	}
	for _, c := range []byte(name) {
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return false
		}
	}
	return true
}

// pypiSdistExts are the source archive extensions pip installs from.
var pypiSdistExts = []string{".tar.gz", ".zip", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma", ".tgz", ".tar"}

// pypiFileVersion reads the version of project from a file name: a wheel
// (PEP 427: name-version[-build]-python-abi-platform.whl) or a source
// archive (name-version.tar.gz and the like), whose name part normalises
// to project. It returns "" for other files, names of other projects and
// versions that are not PEP 440, which the proxy cannot check.
func pypiFileVersion(project, filename string) string {
	var v string
	if stem, ok := strings.CutSuffix(filename, ".whl"); ok {
		parts := strings.Split(stem, "-")
		if len(parts) != 5 && len(parts) != 6 || ecosystem.Normalize(ecosystem.PyPI, parts[0]) != project {
			return ""
		}
		v = parts[1]
	} else {
		stem := ""
		for _, ext := range pypiSdistExts {
			if len(filename) > len(ext) && strings.EqualFold(filename[len(filename)-len(ext):], ext) {
				stem = filename[:len(filename)-len(ext)]
				break
			}
		}
		// As pip does: the first "-" after which the rest is a version
		// and before which the name is project's.
		for i := 0; i < len(stem); i++ {
			if stem[i] == '-' && ecosystem.Normalize(ecosystem.PyPI, stem[:i]) == project {
				v = stem[i+1:]
				break
			}
		}
	}
	if v == "" {
		return ""
	}
	if _, err := version.Parse(ecosystem.PyPI, v); err != nil {
		return ""
	}
	return v
}

// pypiHash reads a sha256 hash in hex, returning it in lower case, or "".
func pypiHash(s string) string {
	if len(s) != 64 {
		return ""
	}
	s = strings.ToLower(s)
	if strings.Trim(s, "0123456789abcdef") != "" {
		return ""
	}
	return s
}

// pypiFileURL resolves a file's URL against the page's and drops its
// fragment, which it returns. The URL is "" when it is not http(s).
func pypiFileURL(base *url.URL, href string) (u, fragment string) {
	if len(href) > pypiMaxField {
		return "", ""
	}
	ref, err := url.Parse(href)
	if err != nil {
		return "", ""
	}
	abs := base.ResolveReference(ref)
	fragment = abs.Fragment
	abs.Fragment, abs.RawFragment = "", ""
	if abs.Scheme != "http" && abs.Scheme != "https" || abs.Host == "" || abs.User != nil {
		return "", fragment
	}
	return abs.String(), fragment
}

// pypiBaseName is the file name in a URL's path, "" when there is none.
func pypiBaseName(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	// As pip does: the last segment of the escaped path, unescaped, so
	// that an escaped "/" stays in the name (and makes it invalid).
	p := u.EscapedPath()
	if p == "" || strings.HasSuffix(p, "/") {
		return ""
	}
	name, err := url.PathUnescape(path.Base(p))
	if err != nil {
		return ""
	}
	return name
}

// pypiCut cuts s to at most pypiMaxField bytes, on a rune boundary.
func pypiCut(s string) string {
	if len(s) <= pypiMaxField {
		return s
	}
	s = s[:pypiMaxField]
	for len(s) > 0 && s[len(s)-1]&0xc0 == 0x80 {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0x80 {
		s = s[:len(s)-1]
	}
	return s + "..."
}

// add finishes a decoded file and appends it to p, or counts it as
// skipped when its name cannot be used.
func (p *pypiPage) add(f pypiFile) error {
	if !pypiValidFilename(f.filename) {
		p.skipped++
		return nil
	}
	if len(p.files) >= pypiMaxFiles {
		return fmt.Errorf("more than %d files", pypiMaxFiles)
	}
	f.version = pypiFileVersion(p.name, f.filename)
	if u, err := url.Parse(f.url); err == nil && f.url != "" {
		f.host = u.Host
	} else {
		f.url = ""
	}
	f.requiresPython = pypiCut(f.requiresPython)
	f.yankedReason = pypiCut(f.yankedReason)
	if f.uploadTimeRaw != "" {
		t, err := time.Parse(time.RFC3339Nano, f.uploadTimeRaw)
		f.uploadTime, f.badTime = t, err != nil
		f.uploadTimeRaw = pypiCut(f.uploadTimeRaw)
	}
	p.files = append(p.files, f)
	return nil
}

// pypiAPIVersion checks an API version (PEP 629): major version 1 only.
func pypiAPIVersion(v string) error {
	major, _, _ := strings.Cut(v, ".")
	if major != "1" {
		return fmt.Errorf("unsupported repository API version %q (sapper reads version 1)", pypiCut(v))
	}
	return nil
}

// pypiJSONPage is a PEP 691 project page.
type pypiJSONPage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Name     string         `json:"name"`
	Files    []pypiJSONFile `json:"files"`
	Versions []string       `json:"versions"`
}

// pypiJSONFile is a file of a PEP 691 project page; "yanked" and the
// metadata fields are either booleans or a string (a hash map).
type pypiJSONFile struct {
	Filename         string            `json:"filename"`
	URL              string            `json:"url"`
	Hashes           map[string]string `json:"hashes"`
	RequiresPython   *string           `json:"requires-python"`
	Yanked           json.RawMessage   `json:"yanked"`
	CoreMetadata     json.RawMessage   `json:"core-metadata"`
	DistInfoMetadata json.RawMessage   `json:"dist-info-metadata"`
	GPGSig           *bool             `json:"gpg-sig"`
	UploadTime       *string           `json:"upload-time"`
	Size             *int64            `json:"size"`
}

// pypiParseJSON decodes a PEP 691 project page of project served at base.
func pypiParseJSON(body []byte, base *url.URL, project string) (*pypiPage, error) {
	var jp pypiJSONPage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&jp); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode JSON: data after the page")
	}
	if err := pypiAPIVersion(jp.Meta.APIVersion); err != nil {
		return nil, err
	}
	if jp.Name != "" && ecosystem.Normalize(ecosystem.PyPI, jp.Name) != project {
		return nil, fmt.Errorf("page is for project %q, not %q", pypiCut(jp.Name), project)
	}
	p := &pypiPage{name: project, versions: jp.Versions}
	for i := range jp.Files {
		jf := &jp.Files[i]
		f := pypiFile{filename: jf.Filename, size: -1, gpgSig: jf.GPGSig}
		f.url, _ = pypiFileURL(base, jf.URL)
		// A malformed hash counts as none: the file is refused, the
		// rest of the page stays usable.
		f.sha256 = pypiHash(jf.Hashes["sha256"])
		if jf.RequiresPython != nil {
			f.requiresPython = *jf.RequiresPython
		}
		var err error
		if f.yanked, f.yankedReason, err = pypiJSONYanked(jf.Yanked); err != nil {
			return nil, fmt.Errorf("file %q: yanked: %w", pypiCut(jf.Filename), err)
		}
		meta := jf.CoreMetadata
		if len(meta) == 0 || string(meta) == "null" {
			meta = jf.DistInfoMetadata
		}
		if f.metadataSHA256, err = pypiJSONMetadata(meta); err != nil {
			return nil, fmt.Errorf("file %q: core-metadata: %w", pypiCut(jf.Filename), err)
		}
		if jf.UploadTime != nil {
			f.uploadTimeRaw = *jf.UploadTime
			if f.uploadTimeRaw == "" {
				f.badTime = true
			}
		}
		if jf.Size != nil {
			f.size = *jf.Size
		}
		if err := p.add(f); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// pypiJSONYanked reads PEP 691's "yanked": absent, a boolean or a reason.
func pypiJSONYanked(raw json.RawMessage) (bool, string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, "", nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return false, "", errors.New("neither a boolean nor a string")
	}
	return true, s, nil
}

// pypiJSONMetadata reads "core-metadata": absent, a boolean or a map of
// hashes. Only a sha256 counts: the proxy checks what it serves.
func pypiJSONMetadata(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return "", nil
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", errors.New("neither a boolean nor a map of hashes")
	}
	return pypiHash(m["sha256"]), nil
}

// pypiParseHTML reads a PEP 503 project page of project served at base:
// one anchor per file, its href carrying "#sha256=<hex>" and its data-
// attributes PEP 592's yanked, PEP 345's requires-python and PEP 658's
// metadata. The lexer is a tolerant HTML5 tokeniser; the page is bounded
// by MaxMetadataBytes and its files by pypiMaxFiles.
func pypiParseHTML(body []byte, base *url.URL, project string) (*pypiPage, error) {
	p := &pypiPage{name: project}
	l := htmllex.NewLexer(parse.NewInputBytes(body))
	var (
		tag   string            // the start tag being read
		attrs map[string]string // its attributes, for a, base and meta
		inA   bool
		a     map[string]string // the open anchor's attributes
		text  strings.Builder   // and its text
	)
	finish := func() error {
		if !inA {
			return nil
		}
		inA = false
		href, ok := a["href"]
		if !ok {
			return nil
		}
		return p.add(pypiHTMLFile(base, href, a, strings.TrimSpace(text.String())))
	}
	for {
		tt, _ := l.Next()
		switch tt {
		case htmllex.ErrorToken:
			if err := l.Err(); err != io.EOF {
				return nil, fmt.Errorf("parse HTML: %w", err)
			}
			if err := finish(); err != nil {
				return nil, err
			}
			return p, nil
		case htmllex.StartTagToken:
			tag = string(l.Text())
			attrs = nil
			if tag == "a" || tag == "base" || tag == "meta" {
				attrs = map[string]string{}
			}
		case htmllex.AttributeToken:
			if attrs == nil || !pypiHTMLAttrs[string(l.AttrKey())] {
				continue
			}
			k := string(l.AttrKey())
			if _, dup := attrs[k]; !dup { // HTML: the first one counts
				attrs[k] = pypiAttr(l.AttrVal())
			}
		case htmllex.StartTagCloseToken, htmllex.StartTagVoidToken:
			switch tag {
			case "a":
				if err := finish(); err != nil {
					return nil, err
				}
				inA, a = true, attrs
				text.Reset()
			case "base":
				if h, ok := attrs["href"]; ok {
					if u, err := url.Parse(h); err == nil {
						base = base.ResolveReference(u)
					}
				}
			case "meta":
				if attrs["name"] == "pypi:repository-version" {
					if err := pypiAPIVersion(attrs["content"]); err != nil {
						return nil, err
					}
				}
			}
			tag, attrs = "", nil
		case htmllex.TextToken:
			if inA && text.Len() < pypiMaxFilename+1 {
				text.Write(l.Text()[:min(len(l.Text()), pypiMaxFilename+1-text.Len())])
			}
		case htmllex.EndTagToken:
			if bytes.EqualFold(bytes.TrimSpace(l.Text()), []byte("a")) {
				if err := finish(); err != nil {
					return nil, err
				}
			}
		}
	}
}

// pypiHTMLAttrs are the attributes the parser keeps (of a, base and meta).
var pypiHTMLAttrs = map[string]bool{
	"href": true, "name": true, "content": true,
	"data-requires-python": true, "data-yanked": true, "data-core-metadata": true,
	"data-dist-info-metadata": true, "data-gpg-sig": true,
}

// pypiAttr unquotes and unescapes an attribute value as the lexer gives
// it (with its quotes).
func pypiAttr(raw []byte) string {
	if n := len(raw); n > 0 && (raw[0] == '"' || raw[0] == '\'') {
		if n > 1 && raw[n-1] == raw[0] {
			raw = raw[1 : n-1]
		} else {
			raw = raw[1:] // unterminated at the end of the page
		}
	}
	if len(raw) > pypiMaxField+1 {
		raw = raw[:pypiMaxField+1] // too long for an href either way
	}
	return html.UnescapeString(string(raw))
}

// pypiHTMLFile makes a file of an anchor. pip names a file by its URL,
// not by the anchor's text, and so does the proxy; the text is used only
// when the URL has no file name.
func pypiHTMLFile(base *url.URL, href string, a map[string]string, text string) pypiFile {
	f := pypiFile{size: -1}
	var frag string
	f.url, frag = pypiFileURL(base, href)
	if f.filename = pypiBaseName(f.url); f.filename == "" {
		f.filename = text
	}
	if algo, h, ok := strings.Cut(frag, "="); ok && algo == "sha256" {
		f.sha256 = pypiHash(h)
	}
	f.requiresPython = a["data-requires-python"]
	f.yankedReason, f.yanked = a["data-yanked"]
	meta, ok := a["data-core-metadata"]
	if !ok {
		meta = a["data-dist-info-metadata"]
	}
	if algo, h, ok := strings.Cut(meta, "="); ok && algo == "sha256" {
		f.metadataSHA256 = pypiHash(h)
	}
	if g, ok := a["data-gpg-sig"]; ok {
		if b, err := strconv.ParseBool(g); err == nil {
			f.gpgSig = &b
		}
	}
	return f
}
