package proxy

// The PyPI simple repository API (PEP 503 HTML, PEP 691 JSON) under
// /pypi/simple/ and the files it links under /pypi/files/.
//
// A version the proxy holds back (known-malicious, quarantined, or one it
// cannot check) stays on the project page with its files marked yanked,
// the reason naming the record, and its downloads answer 403. Measured
// with pip 23.2 against a stub index:
//
//   - a file removed from the page makes a pinned "pip download pkg==1.0.1"
//     print only "Could not find a version that satisfies the requirement
//     pkg==1.0.1 (from versions: 1.0.0, 1.1.0)": nothing names the record;
//   - a file kept but yanked (PEP 592) is never picked by an unpinned
//     install, which quietly gets the highest version that is not yanked;
//     a pinned one picks it, and pip prints "Reason for being yanked:
//     <reason>" once it has resolved, but only if it resolves from the
//     core metadata file (PEP 658): when it has to download the archive
//     to resolve, the 403 comes first and pip prints only "HTTP error 403
//     while getting <url>".
//
// So every held-back file with a readable version advertises a core
// metadata file that the proxy writes itself (name and version, no
// dependencies: no upstream bytes) and serves even for a blocked version;
// pip then resolves, prints the yank reason with the MAL- ID, and fails
// on the 403 of the archive (TestPyPIPipE2E checks this). Nothing pip
// runs or installs comes from a held-back version. When every version is
// held back, an unpinned install finds none ("No matching distribution
// found"), without the reason: pip prints no yank reasons then.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

// The media types of the simple API (PEP 691).
const (
	pypiTypeJSON       = "application/vnd.pypi.simple.v1+json"
	pypiTypeHTML       = "application/vnd.pypi.simple.v1+html"
	pypiTypeJSONLatest = "application/vnd.pypi.simple.latest+json"
	pypiTypeHTMLLatest = "application/vnd.pypi.simple.latest+html"
	pypiTypeText       = "text/html"
	// pypiUpstreamAccept asks the upstream for JSON, which carries
	// upload times (PEP 700) for the quarantine, and takes HTML from
	// mirrors that have only that.
	pypiUpstreamAccept = pypiTypeJSON + ", " + pypiTypeHTML + ";q=0.2, " + pypiTypeText + ";q=0.01"
)

// pypiNoHash stands for the hash in the URL of a file the upstream
// published no sha256 for; such files are served only by a proxy that
// fails open.
const pypiNoHash = "nohash"

// pypiError is a request the proxy answers with an error status.
type pypiError struct {
	status int
	msg    string // for the client: what is wrong, what to do
}

func (e *pypiError) Error() string { return e.msg }

func pypiErrorf(status int, format string, args ...any) *pypiError {
	return &pypiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// pypiAbort is a failure after the response started: the connection is
// cut so that the client cannot take a short body for a whole one.
type pypiAbort struct{ err error }

func (e *pypiAbort) Error() string { return "response cut short: " + e.err.Error() }
func (e *pypiAbort) Unwrap() error { return e.err }

// pypiAudit is what the audit log records about a request.
type pypiAudit struct {
	name, version string
	d             Decision
}

// servePyPI answers the simple API below /pypi (which http.StripPrefix
// took off the path). Every request is recorded; errors are logged and
// answered here.
func (s *Server) servePyPI(w http.ResponseWriter, r *http.Request) {
	a := &pypiAudit{}
	defer func() { s.record(r, ecoPyPI, a.name, a.version, a.d) }()
	err := s.pypi(w, r, a)
	if err == nil {
		return
	}
	var abort *pypiAbort
	if errors.As(err, &abort) {
		s.log.Error("pypi: response cut short", "client", clientAddr(r), "path", requestPath(r), "err", abort.err)
		a.d = Decision{Action: finding.Block, Reason: "response cut short: " + abort.err.Error()}
		panic(http.ErrAbortHandler) // the deferred record runs
	}
	status, msg := http.StatusInternalServerError, "internal error"
	var pe *pypiError
	var ue *UpstreamError
	switch {
	case errors.As(err, &pe):
		status, msg = pe.status, pe.msg
	case errors.As(err, &ue):
		status, msg = http.StatusBadGateway, "the upstream's answer cannot be used, and sapper fails closed: "+ue.Error()
	}
	if !a.d.Blocked() { // a blocked decision's 403 is logged by record
		a.d = Decision{Action: finding.Block, Reason: fmt.Sprintf("HTTP %d: %s", status, msg)}
		level := slog.LevelWarn
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "pypi: request refused", "client", clientAddr(r), "path", requestPath(r), "status", status, "err", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "sapper proxy: %s\n", msg)
}

// pypi routes a request: /simple/, /simple/<project>/ and
// /files/<project>/<sha256>/<filename>[.metadata].
func (s *Server) pypi(w http.ResponseWriter, r *http.Request, a *pypiAudit) error {
	if err := pypiCheckEscapes(r.URL.EscapedPath()); err != nil {
		return err
	}
	p := r.URL.Path
	switch {
	case p == "/simple":
		return pypiRedirect(w, "simple/")
	case p == "/simple/":
		return s.pypiIndex(w, r)
	case strings.HasPrefix(p, "/simple/"):
		return s.pypiProjectPage(w, r, strings.TrimPrefix(p, "/simple/"), a)
	case strings.HasPrefix(p, "/files/"):
		return s.pypiFileRequest(w, r, strings.TrimPrefix(p, "/files/"), a)
	}
	return pypiErrorf(http.StatusNotFound, "no such PyPI endpoint %q: the simple index is at /pypi/simple/", pypiCut(p))
}

// pypiCheckEscapes refuses percent-escapes a client has no reason to
// send: of unreserved characters (%2e for ".", %2d for "-", %41 for "A"),
// which only disguise a name, and of "/" inside a segment. ServeHTTP has
// already refused bad escapes, NUL and dot segments.
func pypiCheckEscapes(escaped string) error {
	for i := 0; i < len(escaped); i++ {
		if escaped[i] != '%' {
			continue
		}
		if i+2 >= len(escaped) {
			return pypiErrorf(http.StatusBadRequest, "bad escape in path")
		}
		b, err := hex.DecodeString(escaped[i+1 : i+3])
		if err != nil {
			return pypiErrorf(http.StatusBadRequest, "bad escape in path")
		}
		c := b[0]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			return pypiErrorf(http.StatusBadRequest, "non-canonical escape %q in path: write %q as itself", escaped[i:i+3], string(c))
		}
	}
	return nil
}

// pypiRedirect answers 301 with a Location relative to the request, so
// that it holds whatever prefix the proxy is mounted under.
func pypiRedirect(w http.ResponseWriter, loc string) error {
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusMovedPermanently)
	return nil
}

// pypiFormat is a representation of a simple page.
type pypiFormat struct {
	json        bool
	contentType string
}

var (
	pypiFormatText = pypiFormat{false, "text/html; charset=utf-8"}
	pypiFormatHTML = pypiFormat{false, pypiTypeHTML}
	pypiFormatJSON = pypiFormat{true, pypiTypeJSON}
)

// pypiNegotiate picks the representation an Accept header (and PEP 691's
// optional "format" query parameter) asks for: the highest quality, then
// the most specific match, then text/html, the v1 HTML, JSON. It returns
// false when none is acceptable.
func pypiNegotiate(r *http.Request) (pypiFormat, bool) {
	if f := r.URL.Query().Get("format"); f != "" {
		switch f {
		case pypiTypeJSON, pypiTypeJSONLatest:
			return pypiFormatJSON, true
		case pypiTypeHTML, pypiTypeHTMLLatest:
			return pypiFormatHTML, true
		case pypiTypeText:
			return pypiFormatText, true
		}
		return pypiFormat{}, false
	}
	accept := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(accept) == "" {
		return pypiFormatText, true
	}
	offers := []struct {
		f     pypiFormat
		types []string
	}{
		{pypiFormatText, []string{pypiTypeText}},
		{pypiFormatHTML, []string{pypiTypeHTML, pypiTypeHTMLLatest}},
		{pypiFormatJSON, []string{pypiTypeJSON, pypiTypeJSONLatest}},
	}
	type score struct {
		q    float64
		spec int
	}
	best, bestScore := -1, score{}
	for i, o := range offers {
		sc := score{q: -1, spec: -1}
		ranges := 0
		for rng := range strings.SplitSeq(accept, ",") {
			if ranges++; ranges > 64 {
				break
			}
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
			if err != nil {
				continue
			}
			spec := -1
			switch {
			case slices.Contains(o.types, mt):
				spec = 2
			case mt == "*/*":
				spec = 0
			case strings.HasSuffix(mt, "/*") && strings.HasPrefix(o.types[0], strings.TrimSuffix(mt, "*")):
				spec = 1
			}
			if spec <= sc.spec {
				continue
			}
			q := 1.0
			if v, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					q = 0
				}
			}
			sc = score{q, spec}
		}
		if sc.q <= 0 {
			continue
		}
		if best < 0 || sc.q > bestScore.q || sc.q == bestScore.q && sc.spec > bestScore.spec {
			best, bestScore = i, sc
		}
	}
	if best < 0 {
		return pypiFormat{}, false
	}
	return offers[best].f, true
}

// pypiIndex answers the root of the simple API with an empty project
// list: installers ask for projects by name, and the upstream's full list
// (hundreds of thousands of names on PyPI) would tell them nothing the
// proxy has checked.
func (s *Server) pypiIndex(w http.ResponseWriter, r *http.Request) error {
	f, ok := pypiNegotiate(r)
	if !ok {
		return pypiErrorf(http.StatusNotAcceptable, "no representation of the simple index matches Accept: ask for %s or %s", pypiTypeJSON, pypiTypeText)
	}
	var body []byte
	if f.json {
		body = []byte(`{"meta":{"api-version":"1.1"},"projects":[]}` + "\n")
	} else {
		body = []byte("<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.1\">\n<title>Simple index</title>\n</head>\n<body>\n<!-- sapper proxy: projects are listed only by name: /pypi/simple/<project>/ -->\n</body>\n</html>\n")
	}
	pypiWrite(w, f.contentType, body)
	return nil
}

func pypiWrite(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Vary", "Accept")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// pypiProjectPage answers /simple/<rest>: the project's files, decided.
func (s *Server) pypiProjectPage(w http.ResponseWriter, r *http.Request, rest string, a *pypiAudit) error {
	name, tail, slash := strings.Cut(rest, "/")
	if tail != "" {
		return pypiErrorf(http.StatusNotFound, "no such page: a project page is /pypi/simple/<project>/")
	}
	if !pypiValidName(name) {
		return pypiErrorf(http.StatusBadRequest, "%q is not a valid project name (PEP 508: letters, digits, and . - _ between them)", pypiCut(name))
	}
	norm := ecosystem.Normalize(ecosystem.PyPI, name)
	a.name = norm
	switch {
	case !slash:
		return pypiRedirect(w, norm+"/")
	case name != norm: // as PyPI does: one URL per project (PEP 503)
		return pypiRedirect(w, "../"+norm+"/")
	}
	format, ok := pypiNegotiate(r)
	if !ok {
		return pypiErrorf(http.StatusNotAcceptable, "no representation of the page matches Accept: ask for %s or %s", pypiTypeJSON, pypiTypeText)
	}
	page, err := s.pypiPage(r.Context(), norm)
	if err != nil {
		return err
	}
	if page.notFound {
		return pypiErrorf(http.StatusNotFound, "no project %q upstream", norm)
	}
	entries := s.pypiDecidePage(r.Context(), page)
	a.d = pypiPageDecision(entries)
	var body []byte
	if format.json {
		body = pypiRenderJSON(page, entries, s.pypiFilesBase())
	} else {
		body = pypiRenderHTML(page, entries, s.pypiFilesBase())
	}
	pypiWrite(w, format.contentType, body)
	return nil
}

// pypiPage returns the upstream's page for project, from the metadata
// cache or the upstream. The fetch is shared by concurrent requests, so
// it does not end when the first client goes away (the upstream client
// has its own timeout).
func (s *Server) pypiPage(ctx context.Context, project string) (*pypiPage, error) {
	v, err := s.meta.get("pypi:"+project, func() (any, int, error) {
		p, err := s.pypiFetch(context.WithoutCancel(ctx), project)
		if err != nil {
			return nil, 0, err
		}
		if p.skipped > 0 {
			s.log.Warn("pypi: files with unusable names left out", "project", project, "files", p.skipped)
		}
		return p, p.size(), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*pypiPage), nil
}

// pypiFetch fetches and decodes the upstream's page for project.
func (s *Server) pypiFetch(ctx context.Context, project string) (*pypiPage, error) {
	u := s.pypiURL.JoinPath(project)
	u.Path += "/"
	u.RawPath = ""
	raw := u.String()
	body, h, status, err := s.up.getMetadata(ctx, raw, http.Header{"Accept": {pypiUpstreamAccept}})
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusNotFound, http.StatusGone:
		return &pypiPage{name: project, notFound: true}, nil
	case http.StatusOK:
	default:
		return nil, &UpstreamError{URL: raw, Status: status}
	}
	ct, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		ct = ""
	}
	var p *pypiPage
	switch {
	case ct == pypiTypeJSON || ct == pypiTypeJSONLatest || ct == "application/json":
		p, err = pypiParseJSON(body, u, project)
	case ct == pypiTypeHTML || ct == pypiTypeHTMLLatest || ct == pypiTypeText || ct == "":
		p, err = pypiParseHTML(body, u, project)
	default:
		err = fmt.Errorf("unexpected content type %q", pypiCut(ct))
	}
	if err != nil {
		return nil, &UpstreamError{URL: raw, Err: fmt.Errorf("malformed simple page: %w", err)}
	}
	return p, nil
}

// pypiEntry is a file of a page with the proxy's decision.
type pypiEntry struct {
	f *pypiFile
	d Decision
	// heldMeta is the hash of the core metadata the proxy writes for a
	// held-back file; "" for files served as they are.
	heldMeta string
}

// pypiDecidePage decides every file of page, each version once.
func (s *Server) pypiDecidePage(ctx context.Context, page *pypiPage) []pypiEntry {
	memo := map[string]Decision{}
	out := make([]pypiEntry, len(page.files))
	for i := range page.files {
		f := &page.files[i]
		out[i] = pypiEntry{f: f, d: s.pypiDecide(ctx, page.name, f, memo)}
		if out[i].d.Blocked() && f.version != "" {
			out[i].heldMeta = pypiHeldMetadataHash(page.name, f.version)
		}
	}
	return out
}

// pypiDecide decides one file: its version (the database, the name
// checks, the quarantine by its own upload time: a file added to an old
// release is as new as its upload), then what the proxy needs to check
// it: a version it can read, a sha256, an upstream host it may contact.
// memo, if not nil, keeps decisions by version across a page.
func (s *Server) pypiDecide(ctx context.Context, project string, f *pypiFile, memo map[string]Decision) Decision {
	if f.version == "" {
		return s.pypiUnchecked(Decision{Action: finding.Allow}, fmt.Sprintf("sapper cannot read a %s version of %s from the file name %q", ecosystem.PyPI, project, f.filename))
	}
	key := f.version
	if s.cfg.Quarantine > 0 {
		key += "\x00" + f.uploadTime.String()
	}
	d, ok := memo[key]
	if !ok {
		d = s.Decide(ctx, ecoPyPI, project, f.version, VersionInfo{Published: f.uploadTime})
		if memo != nil {
			memo[key] = d
		}
	}
	switch {
	case d.Blocked():
		return d
	case f.url == "":
		return Decision{Action: finding.Block, Reason: "the upstream's URL for " + f.filename + " is not an http(s) URL"}
	case s.cfg.Quarantine > 0 && f.badTime:
		d = s.pypiUnchecked(d, fmt.Sprintf("the upstream's upload time %q of %s does not parse, so the quarantine cannot be checked", f.uploadTimeRaw, f.filename))
	}
	if d.Blocked() {
		return d
	}
	if f.sha256 == "" {
		d = s.pypiUnchecked(d, "the upstream published no sha256 hash of "+f.filename+", so its integrity cannot be checked")
	}
	if !s.up.allowed(f.host) {
		return Decision{Action: finding.Block, Reason: fmt.Sprintf("%s is on host %q, which is not a configured upstream (add it to the PyPI file hosts)", f.filename, f.host)}
	}
	return d
}

// pypiUnchecked adds to d that something could not be checked: a block,
// unless the proxy fails open, which serves with a warning.
func (s *Server) pypiUnchecked(d Decision, why string) Decision {
	if !s.cfg.FailOpen {
		return Decision{Action: finding.Block, Reason: why + "; sapper fails closed"}
	}
	d.Action = finding.Warn
	if d.Reason != "" {
		d.Reason += "; "
	}
	d.Reason += "not checked (fail-open): " + why
	return d
}

// pypiPageDecision sums up a page's decisions for the audit log: a block
// when no file can be served, else allow or warn, naming the versions
// held back.
func pypiPageDecision(entries []pypiEntry) Decision {
	var d Decision
	d.Action = finding.Allow
	var held []string
	served := 0
	for _, e := range entries {
		switch {
		case e.d.Blocked():
			v := e.f.version
			if v == "" {
				v = e.f.filename
			}
			r := v + " (" + e.d.Reason + ")"
			if !slices.Contains(held, r) {
				held = append(held, r)
			}
			for _, id := range e.d.IDs {
				if !slices.Contains(d.IDs, id) {
					d.IDs = append(d.IDs, id)
				}
			}
		case e.d.Action == finding.Warn:
			served++
			if d.Action != finding.Warn {
				d.Action, d.Reason = finding.Warn, e.d.Reason
			}
		default:
			served++
		}
	}
	if len(entries) > 0 && served == 0 {
		d.Action = finding.Block
	}
	if len(held) > 0 {
		const show = 10
		list := strings.Join(held[:min(len(held), show)], ", ")
		if len(held) > show {
			list += fmt.Sprintf(" and %d more", len(held)-show)
		}
		if d.Reason != "" {
			d.Reason += "; "
		}
		d.Reason += "held back: " + list
	}
	slices.Sort(d.IDs)
	return d
}

// pypiYankReason is what a client reads for a held-back file (pip prints
// it after "Reason for being yanked:").
func pypiYankReason(e pypiEntry) string {
	r := "blocked by sapper: " + e.d.Reason
	if e.f.yanked {
		r += " (also yanked upstream"
		if e.f.yankedReason != "" {
			r += ": " + e.f.yankedReason
		}
		r += ")"
	}
	return r
}

// pypiFilesBase is where the pages link files: Config.PublicURL's
// /pypi/files/ when it is set, else a URL relative to the project page
// (/pypi/simple/<project>/), which holds whatever host and prefix the
// client reached the proxy by.
func (s *Server) pypiFilesBase() string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/pypi/files/"
	}
	return "../../files/"
}

// pypiFileHref is the proxy's URL of a file.
func pypiFileHref(base, project string, f *pypiFile) string {
	h := f.sha256
	if h == "" {
		h = pypiNoHash
	}
	return base + project + "/" + h + "/" + url.PathEscape(f.filename)
}

// pypiRenderHTML writes a PEP 503 page (with the PEP 592, 629, 658 and
// 714 attributes).
func pypiRenderHTML(page *pypiPage, entries []pypiEntry, filesBase string) []byte {
	var b bytes.Buffer
	b.Grow(256 + 500*len(entries))
	name := html.EscapeString(page.name)
	b.WriteString("<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.1\">\n<title>Links for ")
	b.WriteString(name)
	b.WriteString("</title>\n</head>\n<body>\n<h1>Links for ")
	b.WriteString(name)
	b.WriteString("</h1>\n")
	for _, e := range entries {
		f := e.f
		b.WriteString(`<a href="`)
		b.WriteString(html.EscapeString(pypiFileHref(filesBase, page.name, f)))
		if f.sha256 != "" {
			b.WriteString("#sha256=")
			b.WriteString(f.sha256)
		}
		b.WriteByte('"')
		if f.requiresPython != "" {
			b.WriteString(` data-requires-python="`)
			b.WriteString(html.EscapeString(f.requiresPython))
			b.WriteByte('"')
		}
		meta := f.metadataSHA256
		if e.d.Blocked() {
			meta = e.heldMeta
		}
		if meta != "" {
			b.WriteString(` data-dist-info-metadata="sha256=`)
			b.WriteString(meta)
			b.WriteString(`" data-core-metadata="sha256=`)
			b.WriteString(meta)
			b.WriteByte('"')
		}
		if f.gpgSig != nil {
			b.WriteString(` data-gpg-sig="`)
			b.WriteString(strconv.FormatBool(*f.gpgSig))
			b.WriteByte('"')
		}
		switch {
		case e.d.Blocked():
			b.WriteString(` data-yanked="`)
			b.WriteString(html.EscapeString(pypiYankReason(e)))
			b.WriteByte('"')
		case f.yanked:
			b.WriteString(` data-yanked="`)
			b.WriteString(html.EscapeString(f.yankedReason))
			b.WriteByte('"')
		}
		b.WriteByte('>')
		b.WriteString(html.EscapeString(f.filename))
		b.WriteString("</a><br>\n")
	}
	b.WriteString("</body>\n</html>\n")
	return b.Bytes()
}

// pypiRenderJSON writes a PEP 691 page: API version 1.1 (PEP 700) when
// the upstream gave the versions list, else 1.0. It writes the JSON by
// hand: this is the page pip asks for, on every resolve, and reflection
// was half the time of a cached page.
func pypiRenderJSON(page *pypiPage, entries []pypiEntry, filesBase string) []byte {
	b := make([]byte, 0, 256+700*len(entries))
	api := "1.0"
	if page.versions != nil {
		api = "1.1"
	}
	b = append(b, `{"meta":{"api-version":"`...)
	b = append(b, api...)
	b = append(b, `"},"name":`...)
	b = pypiAppendJSON(b, page.name)
	b = append(b, `,"files":[`...)
	for i, e := range entries {
		f := e.f
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"filename":`...)
		b = pypiAppendJSON(b, f.filename)
		b = append(b, `,"url":`...)
		b = pypiAppendJSON(b, pypiFileHref(filesBase, page.name, f))
		b = append(b, `,"hashes":{`...)
		if f.sha256 != "" {
			b = append(b, `"sha256":"`...)
			b = append(b, f.sha256...)
			b = append(b, '"')
		}
		b = append(b, '}')
		if f.requiresPython != "" {
			b = append(b, `,"requires-python":`...)
			b = pypiAppendJSON(b, f.requiresPython)
		}
		b = append(b, `,"yanked":`...)
		meta := f.metadataSHA256
		switch {
		case e.d.Blocked():
			b = pypiAppendJSON(b, pypiYankReason(e))
			meta = e.heldMeta
		case f.yanked && f.yankedReason != "":
			b = pypiAppendJSON(b, f.yankedReason)
		default:
			b = strconv.AppendBool(b, f.yanked)
		}
		if meta != "" {
			for _, k := range []string{`,"core-metadata":{"sha256":"`, `,"dist-info-metadata":{"sha256":"`} {
				b = append(b, k...)
				b = append(b, meta...)
				b = append(b, `"}`...)
			}
		}
		if f.gpgSig != nil {
			b = append(b, `,"gpg-sig":`...)
			b = strconv.AppendBool(b, *f.gpgSig)
		}
		if f.uploadTimeRaw != "" && !f.badTime {
			b = append(b, `,"upload-time":`...)
			b = pypiAppendJSON(b, f.uploadTimeRaw)
		}
		if f.size >= 0 && page.versions != nil {
			b = append(b, `,"size":`...)
			b = strconv.AppendInt(b, f.size, 10)
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if page.versions != nil {
		b = append(b, `,"versions":[`...)
		for i, v := range page.versions {
			if i > 0 {
				b = append(b, ',')
			}
			b = pypiAppendJSON(b, v)
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// pypiAppendJSON appends s as a JSON string.
func pypiAppendJSON(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // never fails for a string
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// pypiHeldMetadata is the core metadata file (PEP 658) the proxy serves
// for a held-back file: enough for pip to resolve the pinned version and
// print why it is held back, before the archive's 403. project is a
// normalised name and version a PEP 440 version read from a valid file
// name, so neither holds a line break.
func pypiHeldMetadata(project, version string) []byte {
	return []byte("Metadata-Version: 2.1\nName: " + project + "\nVersion: " + version + "\nSummary: withheld by the sapper proxy\n")
}

func pypiHeldMetadataHash(project, version string) string {
	sum := sha256.Sum256(pypiHeldMetadata(project, version))
	return hex.EncodeToString(sum[:])
}

// pypiFileRequest answers /files/<project>/<sha256>/<filename>, and the
// core metadata at <filename>.metadata. The file must be on the project's
// page with that hash, and is decided again here: a client may ask for
// any URL, whatever page it saw.
func (s *Server) pypiFileRequest(w http.ResponseWriter, r *http.Request, rest string, a *pypiAudit) error {
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return pypiErrorf(http.StatusNotFound, "no such file: files are /pypi/files/<project>/<sha256>/<filename>, as project pages link them")
	}
	project, hash, filename := parts[0], parts[1], parts[2]
	if !pypiValidName(project) || ecosystem.Normalize(ecosystem.PyPI, project) != project {
		return pypiErrorf(http.StatusBadRequest, "%q is not a normalised project name", pypiCut(project))
	}
	a.name = project
	if hash == pypiNoHash {
		hash = ""
	} else if pypiHash(hash) != hash {
		return pypiErrorf(http.StatusBadRequest, "%q is not a sha256 hash in lower-case hex", pypiCut(hash))
	}
	filename, metadata := strings.CutSuffix(filename, ".metadata")
	if !pypiValidFilename(filename) {
		return pypiErrorf(http.StatusBadRequest, "%q is not a valid file name", pypiCut(filename))
	}
	a.version = pypiFileVersion(project, filename)

	page, err := s.pypiPage(r.Context(), project)
	if err != nil {
		// A version the database blocks is refused without the page.
		if a.version != "" {
			if d := s.Decide(r.Context(), ecoPyPI, project, a.version, VersionInfo{}); d.Blocked() {
				a.d = d
				return pypiBlocked(project, a.version, filename, d)
			}
		}
		return err
	}
	if page.notFound {
		return pypiErrorf(http.StatusNotFound, "no project %q upstream", project)
	}
	f := page.find(filename, hash)
	if f == nil {
		return pypiErrorf(http.StatusNotFound, "%s is not on the page of %s with that hash: fetch the project page again", filename, project)
	}
	d := s.pypiDecide(r.Context(), project, f, nil)
	a.d = d
	if d.Blocked() {
		if metadata && f.version != "" {
			pypiServeBytes(w, r, pypiHeldMetadata(project, f.version))
			return nil
		}
		return pypiBlocked(project, f.version, filename, d)
	}
	if metadata {
		if f.metadataSHA256 == "" {
			return pypiErrorf(http.StatusNotFound, "the upstream published no core metadata with a sha256 for %s", filename)
		}
		mu, err := url.Parse(f.url)
		if err != nil {
			return err
		}
		mu.Path += ".metadata"
		mu.RawPath = ""
		return s.pypiServeBlob(w, r, mu.String(), f.metadataSHA256)
	}
	return s.pypiServeBlob(w, r, f.url, f.sha256)
}

// pypiBlocked is the 403 for a held-back file, naming the reason and the
// record.
func pypiBlocked(project, version, filename string, d Decision) error {
	v := version
	if v == "" {
		v = filename
	}
	return &pypiError{status: http.StatusForbidden, msg: fmt.Sprintf("blocked %s %s (%s): %s", project, v, filename, d.Reason)}
}

// pypiServeBytes answers with a small body the proxy made.
func pypiServeBytes(w http.ResponseWriter, r *http.Request, body []byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// pypiServeBlob answers with the file at rawURL whose sha256 is hash:
// from the store when it is there, else streamed from the upstream
// through the store, which checks the hash and keeps the tail back until
// it matches. A file with no hash ("", only when failing open) is
// streamed unchecked and not stored.
func (s *Server) pypiServeBlob(w http.ResponseWriter, r *http.Request, rawURL, hash string) error {
	d := Digest{Algo: "sha256", Hex: hash}
	w.Header().Set("Content-Type", "application/octet-stream")
	if hash != "" {
		if f := s.blobs.open(d); f != nil {
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return fmt.Errorf("proxy cache: %w", err)
			}
			http.ServeContent(w, r, "", fi.ModTime(), f)
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), ArchiveTimeout)
	defer cancel()
	resp, err := s.up.get(ctx, rawURL, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &pypiError{status: http.StatusBadGateway, msg: fmt.Sprintf("the upstream has no file at %s (HTTP %d)", rawURL, resp.StatusCode)}
	}
	if resp.ContentLength > MaxArchiveBytes {
		return &pypiError{status: http.StatusBadGateway, msg: fmt.Sprintf("the upstream's file at %s is larger than %d bytes", rawURL, int64(MaxArchiveBytes))}
	}
	if resp.ContentLength >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if hash == "" {
		n, err := io.Copy(w, io.LimitReader(resp.Body, MaxArchiveBytes+1))
		switch {
		case err != nil:
			return &pypiAbort{err}
		case n > MaxArchiveBytes:
			return &pypiAbort{fmt.Errorf("file larger than %d bytes", int64(MaxArchiveBytes))}
		}
		return nil
	}
	if _, err := s.blobs.stream(w, resp.Body, d, MaxArchiveBytes); err != nil {
		return &pypiAbort{fmt.Errorf("%s: %w", rawURL, err)}
	}
	return nil
}
