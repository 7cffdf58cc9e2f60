package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/match"
	"github.com/sapperhq/sapper/internal/purl"
	"github.com/sapperhq/sapper/internal/store"
)

// queryRequest is one query of the OSV API.
// See https://google.github.io/osv.dev/post-v1-query/.
type queryRequest struct {
	Package *packageRequest `json:"package"`
	Version string          `json:"version"`
	// Commit is part of the OSV API; commit queries are refused.
	Commit string `json:"commit"`
	// PageToken is part of the OSV API; this server returns every result
	// at once and so never issues one.
	PageToken string `json:"page_token"`
}

// packageRequest names the package of a query: ecosystem and name, or purl.
type packageRequest struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl"`
}

// batchRequest is the body of /v1/querybatch.
// See https://google.github.io/osv.dev/post-v1-querybatch/.
type batchRequest struct {
	Queries queryList `json:"queries"`
}

// queryList decodes a JSON array of queries, refusing more than
// limits.MaxBatchQueries as soon as it meets one more, so that a small body
// of many empty queries cannot cost much memory.
type queryList []queryRequest

func (l *queryList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return badRequest(`field "queries": want an array of queries`)
	}
	for dec.More() {
		if len(*l) == limits.MaxBatchQueries {
			return badRequest("too many queries: at most %d in one batch; split it", limits.MaxBatchQueries)
		}
		var q queryRequest
		if err := dec.Decode(&q); err != nil {
			return badRequest("queries[%d]: %s", len(*l), decodeMessage(err))
		}
		*l = append(*l, q)
	}
	return nil
}

// vulnSummary is a record in a batch result: ID and modified time only.
type vulnSummary struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type batchResult struct {
	Vulns []vulnSummary `json:"vulns,omitempty"`
}

type batchResponse struct {
	Results []batchResult `json:"results"`
}

// query serves POST /v1/query: the full records affecting one package
// version, as imported, or {} when there are none.
func (s *Server) query(w http.ResponseWriter, r *http.Request) error {
	var req queryRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	q, err := req.matchQuery()
	if err != nil {
		return err
	}
	res, err := match.Lookup(r.Context(), s.db, q)
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	if len(res.Vulns) == 0 {
		writeJSON(w, http.StatusOK, []byte("{}\n"))
		return nil
	}
	var buf bytes.Buffer
	buf.WriteString(`{"vulns":[`)
	for i, v := range res.Vulns {
		raw, err := s.record(r, v.ID)
		if err != nil {
			return err
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(raw)
	}
	buf.WriteString("]}\n")
	writeJSON(w, http.StatusOK, buf.Bytes())
	return nil
}

// record returns the stored JSON of the record with ID id (not of records
// that merely carry id as an alias).
func (s *Server) record(r *http.Request, id string) ([]byte, error) {
	rs, err := s.db.Get(r.Context(), id)
	if err != nil {
		// The index named it, so even "not found" is the server's fault.
		return nil, &httpError{status: http.StatusInternalServerError, err: fmt.Errorf("query: %w", err)}
	}
	for _, rec := range rs {
		if rec.ID == id {
			return storedJSON(rec)
		}
	}
	return nil, fmt.Errorf("query: record %s is in the index but not in the database", id)
}

// storedJSON returns a record's stored JSON ready to embed in a response:
// without a byte order mark or surrounding space, and checked to be JSON.
func storedJSON(rec store.Raw) ([]byte, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(rec.JSON, []byte("\xef\xbb\xbf")))
	if !json.Valid(b) {
		return nil, fmt.Errorf("record %s: stored JSON is invalid", rec.ID)
	}
	return b, nil
}

// queryBatch serves POST /v1/querybatch: for each query, in order, the IDs
// and modified times of the records affecting it.
func (s *Server) queryBatch(w http.ResponseWriter, r *http.Request) error {
	var req batchRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	qs := make([]match.Query, len(req.Queries))
	for i := range req.Queries {
		q, err := req.Queries[i].matchQuery()
		if err != nil {
			var he *httpError
			if errors.As(err, &he) {
				he.msg = fmt.Sprintf("queries[%d]: %s", i, he.msg)
			}
			return err
		}
		qs[i] = q
	}
	resp := batchResponse{Results: make([]batchResult, len(qs))}
	for i, q := range qs {
		res, err := match.Lookup(r.Context(), s.db, q)
		if err != nil {
			return fmt.Errorf("query batch: %w", err)
		}
		if len(res.Vulns) > 0 {
			vs := make([]vulnSummary, len(res.Vulns))
			for j, v := range res.Vulns {
				vs[j] = vulnSummary{ID: v.ID, Modified: v.Modified.UTC()}
			}
			resp.Results[i].Vulns = vs
		}
		if i%64 == 63 {
			if err := r.Context().Err(); err != nil {
				return fmt.Errorf("query batch: %w", err)
			}
		}
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("query batch: %w", err)
	}
	writeJSON(w, http.StatusOK, append(b, '\n'))
	return nil
}

// maxIDLen bounds the IDs looked up; longer ones cannot be stored.
const maxIDLen = 256

// vuln serves GET /v1/vulns/{id}: the record with that ID, or else the
// first record by ID that carries it as an alias, as imported.
func (s *Server) vuln(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	notFound := &httpError{status: http.StatusNotFound, msg: fmt.Sprintf("no record with ID or alias %q", id)}
	if len(id) > maxIDLen {
		return notFound
	}
	rs, err := s.db.Get(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && len(rs) == 0 {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("get record: %w", err)
	}
	rec := rs[0] // Get sorts by ID
	for _, x := range rs {
		if x.ID == id {
			rec = x
			break
		}
	}
	b, err := storedJSON(rec)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, append(b, '\n'))
	return nil
}

// healthz serves GET /healthz: {"status":"ok","records":N}, N cached and
// updated when the database changes.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	n := s.records.Load()
	if n < 0 { // Serve has not counted them (yet)
		st, err := s.db.Stats(r.Context())
		if err != nil {
			return &httpError{status: http.StatusServiceUnavailable, msg: "database unavailable", err: fmt.Errorf("count records: %w", err)}
		}
		n = int64(st.Records)
		s.records.CompareAndSwap(-1, n) // unless the refresh loop was quicker
	}
	writeJSON(w, http.StatusOK, []byte(`{"status":"ok","records":`+strconv.FormatInt(n, 10)+"}\n"))
	return nil
}

// matchQuery validates a query and turns it into a match.Query, as osv.dev
// does: a package by ecosystem and name or by purl; a version in the purl
// or in "version", not both.
func (q *queryRequest) matchQuery() (match.Query, error) {
	switch {
	case q.Commit != "":
		return match.Query{}, badRequest("commit queries are not supported: query by package and version")
	case q.PageToken != "":
		return match.Query{}, badRequest("invalid page_token: this server returns every result at once and issues no page tokens")
	case q.Package == nil:
		return match.Query{}, badRequest(`missing "package": give {"ecosystem":...,"name":...} or {"purl":...}`)
	}
	p := q.Package
	if p.PURL != "" {
		if p.Name != "" || p.Ecosystem != "" {
			return match.Query{}, badRequest(`"package" has a purl and a name or ecosystem: give one or the other`)
		}
		pk, err := purl.Parse(p.PURL)
		if err != nil {
			return match.Query{}, badRequest("package.purl: %v", err)
		}
		v := q.Version
		if pk.Version != "" {
			if v != "" {
				return match.Query{}, badRequest(`version given in both package.purl and "version": give it once`)
			}
			v = pk.Version
		}
		return match.Query{Ecosystem: pk.Ecosystem, Name: pk.Name, Version: v, PURL: p.PURL}, nil
	}
	if p.Ecosystem == "" {
		return match.Query{}, badRequest(`missing package.ecosystem (an OSV ecosystem such as "npm", "PyPI", "Go")`)
	}
	eco, err := ecosystem.Parse(p.Ecosystem)
	if err != nil {
		return match.Query{}, badRequest("package.ecosystem: %v; OSV ecosystem names are case-sensitive, such as \"npm\", \"PyPI\", \"Go\", \"crates.io\"", err)
	}
	if p.Name == "" {
		return match.Query{}, badRequest("missing package.name")
	}
	return match.Query{Ecosystem: eco, Name: p.Name, Version: q.Version}, nil
}

// decodeJSON decodes a request body holding one JSON object into v,
// refusing fields v does not have, trailing data, and content types that
// are clearly not JSON.
func decodeJSON(r *http.Request, v any) error {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return decodeError(err)
		}
		return badRequest("unexpected data after the JSON object")
	}
	return nil
}

// decodeError turns an error of encoding/json into one for the client.
func decodeError(err error) error {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &mbe):
		return fmt.Errorf("read request: %w", err)
	case errors.Is(err, io.EOF):
		return badRequest("empty request body: want a JSON object")
	}
	return badRequest("%s", decodeMessage(err))
}

// decodeMessage describes a JSON decoding error in terms of the request.
func decodeMessage(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end of body"
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("want a JSON object, got %s", te.Value)
		}
		return fmt.Sprintf("field %q: want %s, got %s", te.Field, te.Type.Kind(), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") + ` (a query has "package", "version", "commit", "page_token"; a package has "ecosystem", "name", "purl")`
	}
	return "malformed request: " + strings.TrimPrefix(err.Error(), "json: ")
}

// checkContentType refuses a Content-Type that is clearly not JSON. It is
// lenient: no Content-Type, text/plain, and the form type that `curl -d`
// sends (as in osv.dev's examples) are accepted.
func checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		switch {
		case mt == "application/json", mt == "text/json", strings.HasSuffix(mt, "+json"),
			mt == "text/plain", mt == "application/x-www-form-urlencoded", mt == "application/octet-stream":
			return nil
		}
	}
	return &httpError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Type %q is not JSON: send application/json", ct)}
}
