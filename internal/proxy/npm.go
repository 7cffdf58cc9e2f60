package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/finding"
)

// The npm registry protocol, under /npm/:
//
//	GET /npm/<name>                      packument (full, or abbreviated for
//	GET /npm/@scope%2fname               Accept: application/vnd.npm.install-v1+json)
//	GET /npm/<name>/<version-or-tag>     version document
//	GET /npm/<name>/-/<name>-<v>.tgz     tarball (scoped: /npm/@scope/name/-/name-<v>.tgz)
//	GET /npm/-/...                       ping, dist-tags, search, keys
//
// A blocked version stays in the packument, marked deprecated with the
// reason (npm then prefers other versions, and prints the reason when a
// pinned install picks it), and its tarball answers 403 with the reason
// in a JSON "error", which npm prints; dist-tags that point at it move to
// the highest allowed version. Tarball URLs are rewritten to the proxy.

const (
	// npmAbbreviated is the media type of abbreviated ("corgi") packuments.
	npmAbbreviated = "application/vnd.npm.install-v1+json"
	// npmAbbreviatedAccept is what npm itself asks for.
	npmAbbreviatedAccept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
	// maxNPMName is the longest package name npm accepts.
	maxNPMName = 214
)

// npmError is an answer other than the document asked for: a status and
// the message the client prints.
type npmError struct {
	status int
	msg    string
}

func (e *npmError) Error() string { return e.msg }

func npmErrorf(status int, format string, args ...any) error {
	return &npmError{status: status, msg: fmt.Sprintf(format, args...)}
}

// errAbort is a response that failed after its status was sent: the
// connection is cut so that the client cannot take it for a whole one.
var errAbort = errors.New("response aborted")

// npmAudit is what one request decided, for the audit log.
type npmAudit struct {
	name, version string
	d             Decision
}

// serveNPM answers the npm registry protocol. Handlers return errors; this
// maps them to JSON answers and records every request in the audit log.
func (s *Server) serveNPM(w http.ResponseWriter, r *http.Request) {
	var a npmAudit
	err := s.npm(w, r, &a)
	if err != nil {
		status, msg := http.StatusInternalServerError, "sapper proxy: internal error"
		var ne *npmError
		var ue *UpstreamError
		switch {
		case errors.As(err, &ne):
			status, msg = ne.status, ne.msg
		case errors.As(err, &ue):
			status, msg = http.StatusBadGateway, "sapper proxy: "+ue.Error()
			s.log.Warn("npm upstream failed", "client", clientAddr(r), "path", r.URL.Path, "err", err)
		case errors.Is(err, errAbort):
			msg = err.Error()
			s.log.Warn("npm response aborted", "client", clientAddr(r), "path", r.URL.Path, "err", err)
		case r.Context().Err() != nil:
			msg = "client went away: " + err.Error()
		default:
			s.log.Error("npm request failed", "client", clientAddr(r), "path", r.URL.Path, "err", err)
		}
		switch {
		case status == http.StatusNotFound:
			a.d.Reason = msg
		case !a.d.Blocked():
			// Nothing was served: record the refusal as a block.
			a.d = Decision{Action: finding.Block, Reason: msg}
		}
		if !errors.Is(err, errAbort) {
			writeNPMError(w, status, msg)
		}
	}
	s.record(r, ecoNPM, a.name, a.version, a.d)
	if errors.Is(err, errAbort) {
		panic(http.ErrAbortHandler)
	}
}

// writeNPMError writes the JSON error body npm prints after the status.
func writeNPMError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("ETag")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// npm routes one request (the path has lost its /npm prefix).
func (s *Server) npm(w http.ResponseWriter, r *http.Request, a *npmAudit) error {
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if segs[0] == "-" {
		return s.npmSpecial(w, r, segs[1:], a)
	}
	name, rest, err := npmPathName(segs)
	a.name = name
	if err != nil {
		if a.name == "" {
			a.name = limitString(strings.TrimPrefix(r.URL.Path, "/"), 256)
		}
		return npmErrorf(http.StatusBadRequest, "sapper proxy: %v", err)
	}
	switch {
	case len(rest) == 0:
		return s.npmPackument(w, r, name, a)
	case len(rest) == 1:
		v, err := npmPathSegment(rest[0])
		if err != nil {
			return npmErrorf(http.StatusBadRequest, "sapper proxy: %v", err)
		}
		a.version = v
		return s.npmVersionDoc(w, r, name, v, a)
	case len(rest) == 2 && rest[0] == "-":
		file, err := npmPathSegment(rest[1])
		if err != nil {
			return npmErrorf(http.StatusBadRequest, "sapper proxy: %v", err)
		}
		return s.npmTarball(w, r, name, file, a)
	}
	return npmErrorf(http.StatusNotFound, "sapper proxy: no such npm endpoint: %s", limitString(r.URL.Path, 256))
}

// npmPathName reads the package name off the escaped path segments: "name",
// "@scope%2fname" (any case; "%40" for "@" too) or "@scope" "name". It
// refuses any other escape and names npm would not publish.
func npmPathName(segs []string) (name string, rest []string, err error) {
	first := segs[0]
	if strings.HasPrefix(first, "%40") {
		first = "@" + first[3:]
	}
	switch {
	case first == "":
		return "", nil, errors.New("no package name in the path")
	case first[0] != '@':
		name, rest = first, segs[1:]
	default:
		scope, pkg, ok := cutScope(first)
		if ok {
			name, rest = scope+"/"+pkg, segs[1:]
		} else if len(segs) > 1 {
			name, rest = first+"/"+segs[1], segs[2:]
		} else {
			return "", nil, fmt.Errorf("scoped name %q has no package part (want @scope/name)", limitString(first, 64))
		}
	}
	if strings.Contains(name, "%") {
		return "", nil, fmt.Errorf("package name %q: escape other than %%2f (\"/\") or a leading %%40 (\"@\")", limitString(name, 64))
	}
	if err := checkNPMName(name); err != nil {
		return "", nil, err
	}
	return name, rest, nil
}

// npmPathSegment reads a version, tag or file name segment: it needs no
// escapes and has none.
func npmPathSegment(seg string) (string, error) {
	if seg == "" || len(seg) > 512 {
		return "", errors.New("empty or overlong path segment")
	}
	for i := 0; i < len(seg); i++ {
		if !npmNameByte(seg[i]) && seg[i] != '+' {
			return "", fmt.Errorf("path segment %q: character %q not allowed", limitString(seg, 64), seg[i])
		}
	}
	return seg, nil
}

// cutScope splits "@scope%2fname" at its escaped slash, in either case.
func cutScope(s string) (scope, name string, found bool) {
	i := strings.Index(s, "%2f")
	if j := strings.Index(s, "%2F"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+3:], true
}

// checkNPMName checks a package name as npm does for names it accepts
// (validate-npm-package-name): at most 214 characters, URL-safe, no
// leading dot or underscore, an optional @scope/. Upper case is allowed
// for the old packages that have it.
func checkNPMName(name string) error {
	if name == "" || len(name) > maxNPMName {
		return fmt.Errorf("package name must be 1 to %d characters", maxNPMName)
	}
	parts := []string{name}
	if name[0] == '@' {
		scope, pkg, ok := strings.Cut(name[1:], "/")
		if !ok {
			return fmt.Errorf("scoped name %q has no package part (want @scope/name)", limitString(name, 64))
		}
		parts = []string{scope, pkg}
	}
	for _, p := range parts {
		switch {
		case p == "":
			return fmt.Errorf("package name %q has an empty part", limitString(name, 64))
		case p[0] == '.' || p[0] == '_':
			return fmt.Errorf("package name %q starts with %q", limitString(name, 64), p[0])
		case strings.EqualFold(p, "node_modules") || strings.EqualFold(p, "favicon.ico"):
			return fmt.Errorf("package name %q is reserved", p)
		}
		for i := 0; i < len(p); i++ {
			if !npmNameByte(p[i]) {
				return fmt.Errorf("package name %q: character %q is not URL-safe", limitString(name, 64), p[i])
			}
		}
	}
	return nil
}

// npmNameByte reports whether c may appear in a package name: what
// encodeURIComponent leaves alone.
func npmNameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!'()*", c) >= 0
}

// npmEscape writes a name as the registry's path wants it: @scope%2fname.
func npmEscape(name string) string {
	return strings.Replace(name, "/", "%2f", 1)
}

// npmFile is the tarball file name the proxy serves a version under.
func npmFile(name, version string) string {
	_, pkg, ok := strings.Cut(name, "/")
	if !ok {
		pkg = name
	}
	return pkg + "-" + version + ".tgz"
}

// npmBase is the proxy's npm base URL as the client reached it.
func (s *Server) npmBase(r *http.Request) (string, error) {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/npm", nil
	}
	host := r.Host
	if host == "" || len(host) > 255 {
		return "", npmErrorf(http.StatusBadRequest, "sapper proxy: no usable Host header")
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-:[]", c) >= 0) {
			return "", npmErrorf(http.StatusBadRequest, "sapper proxy: bad Host header %q", limitString(host, 64))
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + host + "/npm", nil
}

// blockedMessage is the text a client prints for a blocked version.
func blockedMessage(name, version string, d Decision) string {
	if version == "" {
		return fmt.Sprintf("sapper blocked %s: %s", name, d.Reason)
	}
	return fmt.Sprintf("sapper blocked %s@%s: %s", name, version, d.Reason)
}

// npmPackument answers GET /npm/<name>.
func (s *Server) npmPackument(w http.ResponseWriter, r *http.Request, name string, a *npmAudit) error {
	ctx := r.Context()
	a.d = s.Decide(ctx, ecoNPM, name, "", VersionInfo{})
	if a.d.Blocked() {
		return npmErrorf(http.StatusForbidden, "%s", blockedMessage(name, "", a.d))
	}
	base, err := s.npmBase(r)
	if err != nil {
		return err
	}
	abbreviated := strings.Contains(r.Header.Get("Accept"), npmAbbreviated)
	doc, err := s.npmDoc(ctx, name, abbreviated)
	if err != nil {
		return err
	}
	if doc.notFound {
		return npmErrorf(http.StatusNotFound, "Not found")
	}
	if doc.held != "" && a.d.Action == finding.Allow {
		a.d.Reason = doc.held
	}
	doc.write(w, r, base)
	return nil
}

// npmVersionDoc answers GET /npm/<name>/<version-or-tag> from the full
// packument.
func (s *Server) npmVersionDoc(w http.ResponseWriter, r *http.Request, name, spec string, a *npmAudit) error {
	ctx := r.Context()
	base, err := s.npmBase(r)
	if err != nil {
		return err
	}
	doc, err := s.npmDoc(ctx, name, false)
	if err != nil {
		return err
	}
	if doc.notFound {
		return npmErrorf(http.StatusNotFound, "Not found")
	}
	v := spec
	if t, ok := doc.tags[spec]; ok {
		v = t
	}
	ver := doc.versions[v]
	if ver == nil {
		return npmErrorf(http.StatusNotFound, "sapper proxy: %s has no version or tag %q", name, spec)
	}
	a.version = v
	a.d = s.Decide(ctx, ecoNPM, name, v, ver.info)
	if a.d.Blocked() {
		return npmErrorf(http.StatusForbidden, "%s", blockedMessage(name, v, a.d))
	}
	baseJSON := jsonString(base)
	body := []byte(strings.ReplaceAll(string(ver.json), npmMarkJSON, baseJSON))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-cache")
	w.Write(body)
	return nil
}

// npmTarball answers GET /npm/<name>/-/<file>.tgz: the version is decided
// afresh, then the archive comes from the store by digest or streams from
// upstream, checked against the registry's integrity.
func (s *Server) npmTarball(w http.ResponseWriter, r *http.Request, name, file string, a *npmAudit) error {
	ctx := r.Context()
	prefix := strings.TrimSuffix(npmFile(name, ""), ".tgz")
	if !strings.HasPrefix(file, prefix) || !strings.HasSuffix(file, ".tgz") || len(file) <= len(prefix)+len(".tgz") {
		return npmErrorf(http.StatusNotFound, "sapper proxy: %q is not a tarball name of %s", file, name)
	}
	v := file[len(prefix) : len(file)-len(".tgz")]
	a.version = v
	// The abbreviated packument has what a tarball needs (npm has usually
	// just fetched it); with a quarantine it carries the full one's times.
	doc, err := s.npmDoc(ctx, name, true)
	if err != nil {
		return err
	}
	var ver *npmVersion
	if !doc.notFound {
		ver = doc.versions[v]
	}
	if ver == nil {
		return npmErrorf(http.StatusNotFound, "sapper proxy: %s has no version %q", name, v)
	}
	a.d = s.Decide(ctx, ecoNPM, name, v, ver.info)
	if a.d.Blocked() {
		return npmErrorf(http.StatusForbidden, "%s", blockedMessage(name, v, a.d))
	}
	if s.cfg.Analyze != nil && ver.digestErr == nil {
		// Analysis needs the whole archive before the client gets any of
		// it: fetch it into the store, analyse it once per digest, then
		// serve it from the store like any stored archive.
		switch ad := s.analyzeArchive(ctx, ver.tarball, ver.digest); {
		case ad.Blocked():
			a.d = ad
			return npmErrorf(http.StatusForbidden, "%s", blockedMessage(name, v, a.d))
		case ad.Action == finding.Warn && a.d.Action != finding.Warn:
			a.d = ad
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	if ver.digestErr != nil {
		if !s.cfg.FailOpen {
			a.d = Decision{Action: finding.Block, Reason: ver.digestErr.Error()}
			return npmErrorf(http.StatusBadGateway, "sapper proxy: %s@%s cannot be checked, and sapper fails closed: %v", name, v, ver.digestErr)
		}
		a.d = Decision{Action: finding.Warn, Reason: "not verified (fail-open): " + ver.digestErr.Error()}
	} else if f := s.blobs.open(ver.digest); f != nil {
		defer f.Close()
		h.Set("ETag", `"`+ver.digest.String()+`"`)
		http.ServeContent(w, r, "", time.Time{}, f)
		return nil
	}
	if r.Method == http.MethodHead {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ArchiveTimeout)
	defer cancel()
	resp, err := s.up.get(ctx, ver.tarball, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return npmErrorf(http.StatusNotFound, "sapper proxy: upstream has no tarball for %s@%s (HTTP %d)", name, v, resp.StatusCode)
	}
	if resp.ContentLength > MaxArchiveBytes {
		return &UpstreamError{URL: ver.tarball, Err: fmt.Errorf("tarball larger than %d bytes", MaxArchiveBytes)}
	}
	if resp.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	tw := &trackWriter{w: w}
	if ver.digestErr != nil {
		_, err = io.Copy(tw, io.LimitReader(resp.Body, MaxArchiveBytes))
	} else {
		_, err = s.blobs.stream(tw, resp.Body, ver.digest, MaxArchiveBytes)
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrDigest) {
		a.d = Decision{Action: finding.Block, Reason: fmt.Sprintf("tarball does not match the registry's integrity %s", ver.digest)}
	}
	if tw.wrote {
		return fmt.Errorf("%w: tarball %s@%s: %v", errAbort, name, v, err)
	}
	return &UpstreamError{URL: ver.tarball, Err: fmt.Errorf("tarball of %s@%s: %w", name, v, err)}
}

// trackWriter notes whether anything reached the client.
type trackWriter struct {
	w     http.ResponseWriter
	wrote bool
}

func (t *trackWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		t.wrote = true
	}
	return t.w.Write(p)
}

func (t *trackWriter) Flush() {
	if f, ok := t.w.(http.Flusher); ok {
		f.Flush()
	}
}

// npmSpecial answers the registry's /-/ endpoints that clients call.
func (s *Server) npmSpecial(w http.ResponseWriter, r *http.Request, segs []string, a *npmAudit) error {
	path := strings.Join(segs, "/")
	switch {
	case path == "ping":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}\n")
		return nil
	case path == "whoami":
		return npmErrorf(http.StatusUnauthorized, "sapper proxy: no logins: the proxy serves packages, read-only")
	case len(segs) >= 3 && segs[0] == "package" && segs[len(segs)-1] == "dist-tags":
		name, rest, err := npmPathName(segs[1:])
		a.name = name
		if err != nil {
			return npmErrorf(http.StatusBadRequest, "sapper proxy: %v", err)
		}
		if len(rest) != 1 {
			return npmErrorf(http.StatusNotFound, "sapper proxy: no such npm endpoint")
		}
		a.d = s.Decide(r.Context(), ecoNPM, name, "", VersionInfo{})
		if a.d.Blocked() {
			return npmErrorf(http.StatusForbidden, "%s", blockedMessage(name, "", a.d))
		}
		doc, err := s.npmDoc(r.Context(), name, true)
		if err != nil {
			return err
		}
		if doc.notFound {
			return npmErrorf(http.StatusNotFound, "Not found")
		}
		b, err := marshalJSON(doc.tags)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
		return nil
	case path == "v1/search" || path == "npm/v1/keys":
		// Harmless listings, passed through: npm search, npm audit signatures.
		u := s.npmURL.String() + "/-/" + path
		if q := r.URL.Query().Encode(); q != "" {
			u += "?" + q
		}
		body, hdr, status, err := s.up.getMetadata(r.Context(), u, http.Header{"Accept": {"application/json"}})
		if err != nil {
			return err
		}
		if !json.Valid(body) {
			return &UpstreamError{URL: u, Err: errors.New("malformed JSON")}
		}
		w.Header().Set("Content-Type", "application/json")
		if ct := hdr.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(status)
		w.Write(body)
		return nil
	}
	return npmErrorf(http.StatusNotFound, "sapper proxy: /-/%s is not an endpoint the proxy serves", limitString(path, 128))
}

// write sends the rendered packument with tarball URLs under base.
func (d *npmDoc) write(w http.ResponseWriter, r *http.Request, base string) {
	out := d.forBase(jsonString(base))
	h := w.Header()
	h.Set("Content-Type", d.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", out.etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, out.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(out.body)))
	if r.Method == http.MethodHead {
		return
	}
	// One Write: the body goes to the connection in one system call
	// instead of one per few kilobytes, as the pieces of d.body would.
	w.Write(out.body)
}

// npmRendered is a packument joined for one base URL.
type npmRendered struct {
	baseJSON string
	body     []byte
	etag     string
}

// forBase returns the document joined for baseJSON (the base URL as JSON
// string content). The last one joined is kept: clients mostly reach the
// proxy by one name, so a cached packument is joined once, not per
// request. Concurrent callers may each join it; the result is the same.
func (d *npmDoc) forBase(baseJSON string) *npmRendered {
	if out := d.rendered.Load(); out != nil && out.baseJSON == baseJSON {
		return out
	}
	hb := fnv.New64a()
	io.WriteString(hb, baseJSON)
	out := &npmRendered{
		baseJSON: baseJSON,
		body:     bytes.Join(d.body, []byte(baseJSON)),
		etag:     `"` + d.etag + "-" + strconv.FormatUint(hb.Sum64(), 36) + `"`,
	}
	d.rendered.Store(out)
	return out
}

// jsonString is s encoded as the inside of a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// limitString cuts s for messages and logs.
func limitString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
