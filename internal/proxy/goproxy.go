package proxy

// The Go module proxy protocol (https://go.dev/ref/mod#goproxy-protocol)
// and the checksum database pass-through
// (https://go.dev/design/25530-sumdb#proxying-a-checksum-database).
//
// Status codes matter to the go command. With GOPROXY="a,b" it tries b
// only after a 404 or 410 from a; any other status stops it and shows the
// plain-text body after "server response:". So a blocked version is 403,
// never 404: a 404 would send the go command on to the next proxy, or to
// "direct", and fetch the blocked version from somewhere else. Upstream
// 404 and 410 are passed on as they are. A path that is not a canonical
// module path or version is 400: no go command sends one, and it must not
// fall through to another source either.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"

	"github.com/sapperhq/sapper/internal/finding"
)

// Bounds on Go module proxy answers.
const (
	// goMaxZipBytes is the go command's own limit on a module zip.
	goMaxZipBytes = modzip.MaxZipFile
	// goMaxModBytes is the go command's limit on a go.mod file.
	goMaxModBytes   = modzip.MaxGoMod
	goMaxInfoBytes  = 1 << 20
	goMaxListBytes  = 16 << 20
	goMaxSumDBBytes = 4 << 20
	// goMaxListVersions bounds the versions of one @v/list (the largest
	// real modules have a few thousand).
	goMaxListVersions = 20000
	// goInfoFetches bounds the concurrent .info requests made to learn
	// the versions' times for the quarantine.
	goInfoFetches = 8
	// goMaxMessage bounds the text of an error answer: the go command
	// prints at most 8 lines of 81 bytes after "server response:".
	goMaxMessage = 600
	// goMaxWithheld bounds the versions named in the audit entry of a
	// list request.
	goMaxWithheld = 10
)

// goSumDBName is the one checksum database the proxy passes through.
const goSumDBName = "sum.golang.org"

// goInfo is the JSON answer of .info and @latest. Other fields (Origin)
// are passed on as the upstream wrote them.
type goInfo struct {
	Version string
	Time    time.Time
}

// goListEntry is one version of an @v/list answer.
type goListEntry struct {
	version string
	line    string // as served: the version, and the upstream's time if it gave one
}

// goDoc is a cached upstream answer: its status (200, 404 or 410), its
// body, and for status 200 what it parsed to.
type goDoc struct {
	status int
	body   []byte
	info   goInfo        // .info and @latest
	list   []goListEntry // @v/list
}

// goRequest is a parsed GOPROXY request path.
type goRequest struct {
	kind    string // "list", "latest", "info", "mod" or "zip"
	mod     string // module path
	escMod  string // module path, escaped as in URLs
	ver     string // version, for info, mod and zip ("" otherwise)
	escVer  string
	isExact bool // ver is a canonical version of mod (info may ask for a query such as a branch)
}

// goError is a request the Go handlers refuse: the status and the plain
// text the go command prints after "server response:".
type goError struct {
	status int
	msg    string
	err    error // the cause, for the log
	// sent reports that the answer had begun when it failed, so that only
	// aborting the connection can tell the client.
	sent bool
	// passedOn is an upstream's 404 or 410.
	passedOn bool
}

func (e *goError) Error() string { return e.msg }
func (e *goError) Unwrap() error { return e.err }

func goBadRequest(format string, args ...any) *goError {
	return &goError{status: http.StatusBadRequest, msg: "sapper proxy: " + fmt.Sprintf(format, args...)}
}

// goBlocked is the answer for a blocked module or version; the text names
// the records.
func goBlocked(mod, ver string, d Decision) *goError {
	what := mod
	if ver != "" {
		what += "@" + ver
	}
	return &goError{status: http.StatusForbidden, msg: "sapper blocked " + what + ": " + goPlain(d.Reason, max(goMaxMessage-len(what)-20, 200))}
}

// goPassOn passes an upstream 404 or 410 on, with the upstream's text.
func goPassOn(doc *goDoc) *goError {
	msg := goPlain(string(doc.body), goMaxMessage)
	if msg == "" {
		msg = http.StatusText(doc.status)
	}
	return &goError{status: doc.status, msg: msg, passedOn: true}
}

// goPlain makes s safe to show: valid UTF-8, one line of printable
// characters, at most n bytes (and "...").
func goPlain(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsGraphic(r) {
			return r
		}
		return ' '
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		i := max(n, 0)
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "..."
	}
	return s
}

// goAudit is what the audit entry of a request says.
type goAudit struct {
	mod, ver string
	d        Decision
}

// serveGo serves the Go module proxy protocol under /go/, and the checksum
// database under /go/sumdb/, where the go command looks for it.
func (s *Server) serveGo(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/sumdb/"); ok {
		s.serveSumDBPath(w, r, rest)
		return
	}
	var a goAudit
	s.goFinish(w, r, &a, s.handleGo(w, r, &a))
}

// serveSumDB serves the checksum database pass-through under /sumdb/.
func (s *Server) serveSumDB(w http.ResponseWriter, r *http.Request) {
	s.serveSumDBPath(w, r, strings.TrimPrefix(r.URL.Path, "/"))
}

func (s *Server) serveSumDBPath(w http.ResponseWriter, r *http.Request, rest string) {
	var a goAudit
	s.goFinish(w, r, &a, s.handleSumDB(w, r, rest, &a))
}

// goFinish answers a failed request, logs what went wrong, and records
// every request in the audit log.
func (s *Server) goFinish(w http.ResponseWriter, r *http.Request, a *goAudit, err error) {
	if err != nil {
		var ge *goError
		if !errors.As(err, &ge) {
			ge = &goError{status: http.StatusBadGateway, msg: "sapper proxy: " + goPlain(err.Error(), goMaxMessage), err: err}
			var ue *UpstreamError
			if !errors.As(err, &ue) {
				ge.status = http.StatusInternalServerError
			}
		}
		switch {
		case ge.status == http.StatusForbidden:
			// The decision is in a.d, and record logs it.
		case ge.passedOn:
			a.d = Decision{Action: finding.Allow, Reason: "upstream: " + ge.msg}
		case ge.status < 500:
			a.d = Decision{Action: finding.Block, Reason: ge.msg}
			s.log.Warn("Go proxy: refused request", "client", clientAddr(r), "path", r.URL.EscapedPath(), "err", ge.msg)
		default:
			a.d = Decision{Action: finding.Block, Reason: ge.msg}
			s.log.Error("Go proxy: request failed", "client", clientAddr(r), "path", r.URL.EscapedPath(), "module", a.mod, "version", a.ver, "err", ge.msg)
		}
		if ge.sent {
			s.record(r, ecoGo, a.mod, a.ver, a.d)
			// The status line is gone: only a broken connection tells
			// the client that the body is incomplete.
			panic(http.ErrAbortHandler)
		}
		http.Error(w, ge.msg, ge.status)
	}
	if a.d.Action == "" {
		a.d.Action = finding.Allow
	}
	s.record(r, ecoGo, a.mod, a.ver, a.d)
}

// handleGo serves one GOPROXY request.
func (s *Server) handleGo(w http.ResponseWriter, r *http.Request, a *goAudit) error {
	req, err := parseGoRequest(r.URL)
	a.mod, a.ver = req.mod, req.ver
	if err != nil {
		return err
	}
	ctx := r.Context()
	// The module as a whole: no database (fail closed), or a name the
	// policy blocks.
	if d := s.Decide(ctx, ecoGo, req.mod, "", VersionInfo{}); d.Blocked() {
		a.d = d
		return goBlocked(req.mod, "", d)
	}
	switch req.kind {
	case "list":
		return s.serveGoList(ctx, w, req, a)
	case "latest":
		return s.serveGoLatest(ctx, w, req, a)
	case "info":
		return s.serveGoInfo(ctx, w, req, a)
	case "mod":
		return s.serveGoMod(ctx, w, req, a)
	default:
		return s.serveGoZip(ctx, w, r, req, a)
	}
}

// parseGoRequest parses the path of a GOPROXY request (the /go prefix
// removed). Module paths and versions must be in the canonical escaped
// form the go command sends: "!" before upper-case letters turned lower,
// no percent-escapes.
func parseGoRequest(u *url.URL) (goRequest, error) {
	p := u.EscapedPath()
	if strings.Contains(p, "%") {
		return goRequest{}, goBadRequest("percent-escape in a Go module proxy path %q: module paths and versions are escaped with \"!\" only", goPlain(p, 200))
	}
	p, ok := strings.CutPrefix(p, "/")
	if !ok {
		return goRequest{}, goBadRequest("not a Go module proxy path")
	}
	var req goRequest
	if esc, ok := strings.CutSuffix(p, "/@latest"); ok {
		req.kind, req.escMod = "latest", esc
	} else {
		esc, file, ok := strings.Cut(p, "/@v/")
		if !ok {
			return goRequest{}, &goError{status: http.StatusNotFound, msg: "sapper proxy: not a Go module proxy path: want <module>/@v/list, <module>/@v/<version>.info, .mod, .zip or <module>/@latest"}
		}
		req.escMod = esc
		if file == "list" {
			req.kind = "list"
		} else {
			for _, ext := range []string{".info", ".mod", ".zip"} {
				if v, ok := strings.CutSuffix(file, ext); ok {
					req.kind, req.escVer = ext[1:], v
					break
				}
			}
			if req.kind == "" {
				return goRequest{}, &goError{status: http.StatusNotFound, msg: "sapper proxy: not a Go module proxy file: want list, <version>.info, .mod or .zip"}
			}
		}
	}
	mod, err := module.UnescapePath(req.escMod)
	if err != nil {
		return goRequest{}, goBadRequest("bad module path: %s", goPlain(err.Error(), 300))
	}
	if esc, err := module.EscapePath(mod); err != nil || esc != req.escMod {
		return goRequest{}, goBadRequest("module path %q is not escaped canonically (want %q)", goPlain(req.escMod, 200), esc)
	}
	req.mod = mod
	if req.kind == "list" || req.kind == "latest" {
		return req, nil
	}
	ver, err := module.UnescapeVersion(req.escVer)
	if err != nil {
		return goRequest{}, goBadRequest("bad version: %s", goPlain(err.Error(), 300))
	}
	if esc, err := module.EscapeVersion(ver); err != nil || esc != req.escVer {
		return goRequest{}, goBadRequest("version %q is not escaped canonically", goPlain(req.escVer, 200))
	}
	req.ver = ver
	req.isExact = module.Check(mod, ver) == nil && module.CanonicalVersion(ver) == ver
	if !req.isExact && req.kind != "info" {
		// Only .info resolves queries (branches, commits); .mod and .zip
		// name versions.
		return req, goBadRequest("%s@%s: .%s needs a canonical version of the module", mod, goPlain(ver, 200), req.kind)
	}
	return req, nil
}

// goUpstreamURL returns the upstream URL of a file of an escaped module path.
func (s *Server) goUpstreamURL(escMod, file string) string {
	return s.goURL.String() + "/" + escMod + "/" + file
}

// goGet fetches a small upstream document whole: at most limit bytes,
// within UpstreamTimeout.
func (s *Server) goGet(ctx context.Context, rawURL string, limit int64) (goDoc, error) {
	ctx, cancel := context.WithTimeout(ctx, UpstreamTimeout)
	defer cancel()
	resp, err := s.up.get(ctx, rawURL, nil)
	if err != nil {
		return goDoc{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusGone {
		return goDoc{}, &UpstreamError{URL: rawURL, Status: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return goDoc{}, &UpstreamError{URL: rawURL, Err: err}
	}
	if int64(len(body)) > limit {
		return goDoc{}, &UpstreamError{URL: rawURL, Err: fmt.Errorf("answer larger than %d bytes", limit)}
	}
	return goDoc{status: resp.StatusCode, body: body}, nil
}

// goCached is goGet through the metadata cache. parse checks a 200
// answer and fills in what it parses to; an answer that does not parse
// is an error, and is not cached.
func (s *Server) goCached(ctx context.Context, key, rawURL string, limit int64, parse func(*goDoc) error) (*goDoc, error) {
	v, err := s.meta.get(key, func() (any, int, error) {
		doc, err := s.goGet(ctx, rawURL, limit)
		if err != nil {
			return nil, 0, err
		}
		if doc.status == http.StatusOK && parse != nil {
			if err := parse(&doc); err != nil {
				return nil, 0, &UpstreamError{URL: rawURL, Err: err}
			}
		}
		return &doc, len(key) + len(doc.body) + 64*len(doc.list) + 128, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*goDoc), nil
}

// goFetchInfo fetches the .info of a version (or @latest, with escVer "").
func (s *Server) goFetchInfo(ctx context.Context, mod, escMod, escVer string) (*goDoc, error) {
	file := "@latest"
	if escVer != "" {
		file = "@v/" + escVer + ".info"
	}
	return s.goCached(ctx, "go:"+escMod+"/"+file, s.goUpstreamURL(escMod, file), goMaxInfoBytes, func(doc *goDoc) error {
		var err error
		doc.info, err = parseGoInfo(mod, doc.body)
		return err
	})
}

// parseGoInfo parses a .info answer: a canonical version of mod, and a time.
func parseGoInfo(mod string, body []byte) (goInfo, error) {
	var info goInfo
	if err := json.Unmarshal(body, &info); err != nil {
		return goInfo{}, fmt.Errorf("malformed .info: %v", err)
	}
	if err := module.Check(mod, info.Version); err != nil || module.CanonicalVersion(info.Version) != info.Version {
		return goInfo{}, fmt.Errorf("malformed .info: %q is not a canonical version of %s", goPlain(info.Version, 100), mod)
	}
	if info.Time.IsZero() {
		return goInfo{}, errors.New("malformed .info: no Time")
	}
	return info, nil
}

// goFetchList fetches and parses a module's @v/list.
func (s *Server) goFetchList(ctx context.Context, mod, escMod string) (*goDoc, error) {
	return s.goCached(ctx, "go:"+escMod+"/@v/list", s.goUpstreamURL(escMod, "@v/list"), goMaxListBytes, func(doc *goDoc) error {
		var bad int
		doc.list, bad = parseGoList(mod, doc.body)
		if bad > 0 {
			s.log.Warn("Go proxy: upstream list has lines that are not versions of the module; left out", "module", mod, "lines", bad)
		}
		if len(doc.list) > goMaxListVersions {
			return fmt.Errorf("list of more than %d versions", goMaxListVersions)
		}
		return nil
	})
}

// parseGoList parses an @v/list answer, one version a line, optionally
// followed by its time (as the go command reads it). Lines that are not
// canonical versions of mod are left out and counted.
func parseGoList(mod string, body []byte) (list []goListEntry, bad int) {
	seen := map[string]bool{}
	for line := range strings.SplitSeq(string(body), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		v := f[0]
		if module.Check(mod, v) != nil || module.CanonicalVersion(v) != v {
			bad++
			continue
		}
		if seen[v] {
			continue
		}
		seen[v] = true
		e := goListEntry{version: v, line: v}
		if len(f) >= 2 {
			if _, err := time.Parse(time.RFC3339, f[1]); err == nil {
				e.line += " " + f[1]
			}
		}
		list = append(list, e)
	}
	return list, bad
}

// goDecideVersion decides mod@ver. With the quarantine on it needs the
// version's time, from its .info; a version whose .info the upstream does
// not have is not found.
func (s *Server) goDecideVersion(ctx context.Context, mod, escMod, ver string) (Decision, error) {
	d := s.Decide(ctx, ecoGo, mod, ver, VersionInfo{})
	if d.Blocked() || s.cfg.Quarantine <= 0 {
		return d, nil
	}
	escVer, err := module.EscapeVersion(ver)
	if err != nil {
		return Decision{}, goBadRequest("bad version %q", goPlain(ver, 200))
	}
	doc, err := s.goFetchInfo(ctx, mod, escMod, escVer)
	if err != nil {
		if !s.cfg.FailOpen {
			return Decision{}, err
		}
		return Decision{Action: finding.Warn, Reason: fmt.Sprintf("not checked against the quarantine (fail-open): %v", err)}, nil
	}
	if doc.status != http.StatusOK {
		return Decision{}, goPassOn(doc)
	}
	if doc.info.Version != ver {
		return Decision{}, &UpstreamError{URL: s.goUpstreamURL(escMod, "@v/"+escVer+".info"), Err: fmt.Errorf("answered for version %s", doc.info.Version)}
	}
	return s.Decide(ctx, ecoGo, mod, ver, VersionInfo{Published: doc.info.Time}), nil
}

// goDecided is a listed version and its decision.
type goDecided struct {
	goListEntry
	d Decision
}

// goDecideList decides every listed version. With the quarantine on it
// needs the versions' times, from their .info files, fetched a few at a
// time (and cached); a listed version whose .info the upstream does not
// have is left out, and one whose .info cannot be read fails the list
// (unless the configuration fails open).
func (s *Server) goDecideList(ctx context.Context, req goRequest, list []goListEntry) ([]goDecided, error) {
	out := make([]goDecided, len(list))
	for i, e := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out[i] = goDecided{goListEntry: e, d: s.Decide(ctx, ecoGo, req.mod, e.version, VersionInfo{})}
	}
	if s.cfg.Quarantine <= 0 {
		return out, nil
	}
	errs := make([]error, len(list))
	sem := make(chan struct{}, goInfoFetches)
	var wg sync.WaitGroup
	for i := range out {
		if out[i].d.Blocked() {
			continue // blocked whatever its age
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i].d, errs[i] = s.goDecideVersion(ctx, req.mod, req.escMod, out[i].version)
		})
	}
	wg.Wait()
	for i := range out {
		var ge *goError
		switch {
		case errs[i] == nil:
		case errors.As(errs[i], &ge) && (ge.status == http.StatusNotFound || ge.status == http.StatusGone):
			out[i].d = Decision{Action: finding.Block, Reason: "listed, but the upstream has no .info for it"}
		default:
			return nil, errs[i]
		}
	}
	return out, nil
}

// serveGoList serves @v/list without the versions the policy blocks, so that
// resolvers never pick them.
func (s *Server) serveGoList(ctx context.Context, w http.ResponseWriter, req goRequest, a *goAudit) error {
	doc, err := s.goFetchList(ctx, req.mod, req.escMod)
	if err != nil {
		return err
	}
	if doc.status != http.StatusOK {
		return goPassOn(doc)
	}
	decided, err := s.goDecideList(ctx, req, doc.list)
	if err != nil {
		return err
	}
	var b strings.Builder
	var withheld []string
	a.d = Decision{Action: finding.Allow}
	for _, e := range decided {
		if e.d.Blocked() {
			if len(withheld) < goMaxWithheld {
				withheld = append(withheld, e.version+": "+e.d.Reason)
			}
			a.d.IDs = append(a.d.IDs, e.d.IDs...)
			continue
		}
		if e.d.Action == finding.Warn && a.d.Action != finding.Warn {
			a.d.Action, a.d.Reason = finding.Warn, e.version+": "+e.d.Reason
		}
		b.WriteString(e.line)
		b.WriteByte('\n')
	}
	if n := countBlocked(decided); n > 0 {
		r := fmt.Sprintf("withheld %d of %d versions: %s", n, len(decided), strings.Join(withheld, "; "))
		if n > len(withheld) {
			r += "; ..."
		}
		a.d.Reason = strings.TrimPrefix(a.d.Reason+"; "+r, "; ")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, b.String())
	return nil
}

func countBlocked(ds []goDecided) int {
	n := 0
	for _, d := range ds {
		if d.d.Blocked() {
			n++
		}
	}
	return n
}

// serveGoLatest serves @latest. When the upstream's latest version is blocked
// it answers with the highest allowed version of the list instead, as the
// go command would pick from the filtered list.
func (s *Server) serveGoLatest(ctx context.Context, w http.ResponseWriter, req goRequest, a *goAudit) error {
	doc, err := s.goFetchInfo(ctx, req.mod, req.escMod, "")
	if err != nil {
		return err
	}
	if doc.status != http.StatusOK {
		return goPassOn(doc)
	}
	a.ver = doc.info.Version
	d := s.Decide(ctx, ecoGo, req.mod, doc.info.Version, VersionInfo{Published: doc.info.Time})
	if !d.Blocked() {
		a.d = d
		return writeGoInfo(w, doc.body)
	}
	list, err := s.goFetchList(ctx, req.mod, req.escMod)
	if err != nil {
		return err
	}
	var decided []goDecided
	if list.status == http.StatusOK {
		if decided, err = s.goDecideList(ctx, req, list.list); err != nil {
			return err
		}
	}
	best := -1
	for i, e := range decided {
		if !e.d.Blocked() && !module.IsPseudoVersion(e.version) && (best < 0 || goNewer(e.version, decided[best].version)) {
			best = i
		}
	}
	if best < 0 {
		a.d = d
		return goBlocked(req.mod, doc.info.Version, d)
	}
	v := decided[best].version
	escVer, err := module.EscapeVersion(v)
	if err != nil {
		return err
	}
	info, err := s.goFetchInfo(ctx, req.mod, req.escMod, escVer)
	if err != nil {
		return err
	}
	if info.status != http.StatusOK || info.info.Version != v {
		return &UpstreamError{URL: s.goUpstreamURL(req.escMod, "@v/"+escVer+".info"), Err: fmt.Errorf("no .info for listed version %s", v)}
	}
	a.ver = v
	a.d = decided[best].d
	a.d.Reason = strings.TrimPrefix(a.d.Reason+"; latest "+doc.info.Version+" is blocked ("+d.Reason+"): served "+v, "; ")
	a.d.IDs = append(a.d.IDs, d.IDs...)
	return writeGoInfo(w, info.body)
}

// goNewer reports whether version v is a better latest than w: a release
// beats a pre-release, then the higher version wins.
func goNewer(v, w string) bool {
	vr, wr := semver.Prerelease(v) == "", semver.Prerelease(w) == ""
	if vr != wr {
		return vr
	}
	return semver.Compare(v, w) > 0
}

func writeGoInfo(w http.ResponseWriter, body []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
	return nil
}

// serveGoInfo serves a version's .info. A query (a branch, a commit) is
// resolved by the upstream, and the version it resolves to is decided.
func (s *Server) serveGoInfo(ctx context.Context, w http.ResponseWriter, req goRequest, a *goAudit) error {
	if req.isExact {
		if d := s.Decide(ctx, ecoGo, req.mod, req.ver, VersionInfo{}); d.Blocked() {
			a.d = d
			return goBlocked(req.mod, req.ver, d)
		}
	}
	doc, err := s.goFetchInfo(ctx, req.mod, req.escMod, req.escVer)
	if err != nil {
		return err
	}
	if doc.status != http.StatusOK {
		return goPassOn(doc)
	}
	if req.isExact && doc.info.Version != req.ver {
		return &UpstreamError{URL: s.goUpstreamURL(req.escMod, "@v/"+req.escVer+".info"), Err: fmt.Errorf("answered for version %s", doc.info.Version)}
	}
	a.ver = doc.info.Version
	d := s.Decide(ctx, ecoGo, req.mod, doc.info.Version, VersionInfo{Published: doc.info.Time})
	a.d = d
	if d.Blocked() {
		return goBlocked(req.mod, doc.info.Version, d)
	}
	return writeGoInfo(w, doc.body)
}

// serveGoMod serves a version's go.mod.
func (s *Server) serveGoMod(ctx context.Context, w http.ResponseWriter, req goRequest, a *goAudit) error {
	d, err := s.goDecideVersion(ctx, req.mod, req.escMod, req.ver)
	if err != nil {
		return err
	}
	a.d = d
	if d.Blocked() {
		return goBlocked(req.mod, req.ver, d)
	}
	file := "@v/" + req.escVer + ".mod"
	doc, err := s.goCached(ctx, "go:"+req.escMod+"/"+file, s.goUpstreamURL(req.escMod, file), goMaxModBytes, func(doc *goDoc) error {
		if !utf8.Valid(doc.body) {
			return errors.New("malformed go.mod: not UTF-8")
		}
		if _, err := modfile.ParseLax("go.mod", doc.body, nil); err != nil {
			return fmt.Errorf("malformed go.mod: %v", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if doc.status != http.StatusOK {
		return goPassOn(doc)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(doc.body)
	return nil
}

// serveGoZip serves a version's zip: from the blob store when it is there, or
// streamed from the upstream into it. The Go proxy publishes no digest
// (the go command checks go.sum and the checksum database); the zip is
// stored by the SHA-256 computed while streaming, under an index entry
// for module@version.
func (s *Server) serveGoZip(ctx context.Context, w http.ResponseWriter, r *http.Request, req goRequest, a *goAudit) error {
	d, err := s.goDecideVersion(ctx, req.mod, req.escMod, req.ver)
	if err != nil {
		return err
	}
	a.d = d
	if d.Blocked() {
		return goBlocked(req.mod, req.ver, d)
	}
	key := "go:" + req.mod + "@" + req.ver
	if f := s.blobs.openIndex(key); f != nil {
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.Size() <= goMaxZipBytes {
			w.Header().Set("Content-Type", "application/zip")
			http.ServeContent(w, r, "", st.ModTime(), f)
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, ArchiveTimeout)
	defer cancel()
	rawURL := s.goUpstreamURL(req.escMod, "@v/"+req.escVer+".zip")
	resp, err := s.up.get(ctx, rawURL, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, goMaxMessage))
		return goPassOn(&goDoc{status: resp.StatusCode, body: body})
	case resp.StatusCode != http.StatusOK:
		return &UpstreamError{URL: rawURL, Status: resp.StatusCode}
	case resp.ContentLength > goMaxZipBytes:
		return &UpstreamError{URL: rawURL, Err: fmt.Errorf("zip of %d bytes is larger than the go command's limit of %d", resp.ContentLength, goMaxZipBytes)}
	}
	w.Header().Set("Content-Type", "application/zip")
	if resp.ContentLength >= 0 {
		w.Header().Set("Content-Length", fmt.Sprint(resp.ContentLength))
	}
	cw := &countingWriter{w: w}
	digest, _, err := s.blobs.streamNew(cw, resp.Body, goMaxZipBytes)
	if err != nil {
		err = &UpstreamError{URL: rawURL, Err: err}
		if cw.n > 0 {
			return &goError{status: http.StatusBadGateway, msg: "sapper proxy: " + err.Error(), err: err, sent: true}
		}
		return err
	}
	if err := s.blobs.putIndex(key, digest); err != nil {
		s.log.Error("Go proxy: zip not indexed in the cache", "module", req.mod, "version", req.ver, "err", err)
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// goTilePath matches the tile paths of a checksum database
// (golang.org/x/mod/sumdb/tlog: tile/H/L/NNN..., data tiles, partial tiles).
var goTilePath = regexp.MustCompile(`^tile/[0-9]{1,2}/(data|[0-9]{1,2})(/x[0-9]{3})*/[0-9]{3}(\.p/[0-9]{1,3})?$`)

// handleSumDB passes checksum database requests for sum.golang.org to the
// configured SumDB upstream. The go command first asks for
// <GOPROXY>/sumdb/sum.golang.org/supported, and on a 200 sends its lookups
// and tile requests here instead of to the database; it verifies the
// signed answers itself.
func (s *Server) handleSumDB(w http.ResponseWriter, r *http.Request, rest string, a *goAudit) error {
	if strings.Contains(r.URL.EscapedPath(), "%") {
		return goBadRequest("percent-escape in a checksum database path")
	}
	name, p, _ := strings.Cut(rest, "/")
	if name != goSumDBName {
		return &goError{status: http.StatusNotFound, msg: "sapper proxy: only the " + goSumDBName + " checksum database is proxied"}
	}
	a.mod = goSumDBName
	switch {
	case p == "supported":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		return nil
	case p == "latest", goTilePath.MatchString(p):
	case strings.HasPrefix(p, "lookup/"):
		escMod, escVer, ok := strings.Cut(strings.TrimPrefix(p, "lookup/"), "@")
		if !ok {
			return goBadRequest("checksum database lookup wants <module>@<version>")
		}
		mod, err := module.UnescapePath(escMod)
		if err != nil {
			return goBadRequest("bad module path: %s", goPlain(err.Error(), 300))
		}
		ver, err := module.UnescapeVersion(escVer)
		if err != nil {
			return goBadRequest("bad version: %s", goPlain(err.Error(), 300))
		}
		e1, err1 := module.EscapePath(mod)
		e2, err2 := module.EscapeVersion(ver)
		if err1 != nil || err2 != nil || e1 != escMod || e2 != escVer {
			return goBadRequest("checksum database lookup %q is not escaped canonically", goPlain(p, 200))
		}
		a.mod, a.ver = mod, ver
	default:
		return &goError{status: http.StatusNotFound, msg: "sapper proxy: not a checksum database path"}
	}
	rawURL := s.sumdbURL.String() + "/" + p
	doc, err := s.goCached(r.Context(), "sumdb:"+p, rawURL, goMaxSumDBBytes, nil)
	if err != nil {
		return err
	}
	if doc.status != http.StatusOK {
		return goPassOn(doc)
	}
	if strings.HasPrefix(p, "tile/") {
		w.Header().Set("Content-Type", "application/octet-stream")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.Write(doc.body)
	return nil
}
