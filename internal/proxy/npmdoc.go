package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1" // a marker digest for blocked versions, see render
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sapperhq/sapper/internal/version"
)

// npmDoc is a packument as the proxy serves it: decoded, every version
// decided, rendered. The metadata cache keeps it for the TTL.
type npmDoc struct {
	notFound    bool // the upstream answered 404 or 410
	contentType string
	// versions are the versions the document keeps, by version string.
	versions map[string]*npmVersion
	// tags are the dist-tags as served, after moving off blocked versions.
	tags map[string]string
	// held says which versions are held back, for the audit log.
	held string
	// body is the rendered document split where the proxy's base URL goes.
	body [][]byte
	etag string
	// rendered is body joined for the base URL last served (see forBase).
	rendered atomic.Pointer[npmRendered]
	size     int
	// pk is the decoded document, between decoding and rendering.
	pk *npmPackument
}

// npmVersion is one version of a packument.
type npmVersion struct {
	v version.Version
	// tarball is the upstream URL of the archive.
	tarball string
	// digest is the archive's strongest published hash; digestErr says why
	// there is none.
	digest    Digest
	digestErr error
	// info and decision are what the version was decided with, and on.
	info          VersionInfo
	decision      Decision
	installScript bool
	// json is the version object as served, with npmMark for the base URL.
	json []byte
}

// npmMark stands for the proxy's base URL in rendered documents, which are
// shared by clients that reach the proxy by different names. It is random
// so that no upstream text can contain it.
var npmMark, npmMarkJSON = newNPMMark()

func newNPMMark() (string, string) {
	mark := "\x00sapper-base-" + rand.Text() + "\x00"
	return mark, jsonString(mark)
}

// npmDoc returns the packument of name, abbreviated or full, from the
// metadata cache or the upstream.
func (s *Server) npmDoc(ctx context.Context, name string, abbreviated bool) (*npmDoc, error) {
	key := "npm\x00full\x00" + name
	if abbreviated {
		key = "npm\x00abbr\x00" + name
	}
	v, err := s.meta.get(key, func() (any, int, error) {
		// One client going away must not fail the others waiting on
		// the same fetch.
		doc, err := s.fetchNPMDoc(context.WithoutCancel(ctx), name, abbreviated)
		if err != nil {
			return nil, 0, err
		}
		return doc, doc.size, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*npmDoc), nil
}

// fetchNPMDoc fetches, decodes, decides and renders a packument.
func (s *Server) fetchNPMDoc(ctx context.Context, name string, abbreviated bool) (*npmDoc, error) {
	u := s.npmURL.String() + "/" + npmEscape(name)
	accept := "application/json"
	if abbreviated {
		accept = npmAbbreviatedAccept
	}
	body, hdr, status, err := s.up.getMetadata(ctx, u, http.Header{"Accept": {accept}})
	if err != nil {
		return nil, err
	}
	switch status {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusGone:
		return &npmDoc{notFound: true, size: 64}, nil
	default:
		return nil, &UpstreamError{URL: u, Status: status}
	}
	doc, err := s.decodeNPMDoc(ctx, name, body)
	if err != nil {
		return nil, &UpstreamError{URL: u, Err: err}
	}
	doc.contentType = "application/json"
	if strings.HasPrefix(hdr.Get("Content-Type"), npmAbbreviated) {
		doc.contentType = npmAbbreviated
	}
	if s.cfg.Quarantine > 0 && doc.contentType == npmAbbreviated {
		// Abbreviated packuments have no publication times.
		full, err := s.npmDoc(ctx, name, false)
		if err != nil {
			return nil, err
		}
		if full.notFound {
			return nil, &UpstreamError{URL: u, Err: errors.New("no full packument, so no publication times for the quarantine")}
		}
		for v, ver := range doc.versions {
			if fv := full.versions[v]; fv != nil {
				ver.info.Published = fv.info.Published
			}
		}
	}
	if err := s.decideNPMDoc(ctx, name, doc); err != nil {
		return nil, err
	}
	if err := doc.render(name); err != nil {
		return nil, err
	}
	doc.size += len(body)
	return doc, nil
}

// npmPackument is the part of a decoded packument the proxy changes; the
// rest passes through as it came.
type npmPackument struct {
	top      map[string]json.RawMessage
	versions map[string]map[string]json.RawMessage
}

// decodeNPMDoc decodes a packument, keeping every field. Versions that
// are not semantic versions, or whose object names another version, are
// left out: npm ignores the first, and the second would be decided under
// one version and installed as another.
func (s *Server) decodeNPMDoc(ctx context.Context, name string, body []byte) (*npmDoc, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("malformed packument: %w", err)
	}
	if top == nil {
		return nil, errors.New("malformed packument: not a JSON object")
	}
	var rawVersions map[string]json.RawMessage
	if err := unmarshalField(top, "versions", &rawVersions); err != nil {
		return nil, err
	}
	var times map[string]string
	if raw, ok := top["time"]; ok {
		// "time" also holds "created", "modified" and, for unpublished
		// packages, an object: keep what reads as a string.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("malformed packument: time: %w", err)
		}
		times = map[string]string{}
		for k, v := range m {
			var t string
			if json.Unmarshal(v, &t) == nil {
				times[k] = t
			}
		}
	}
	var rawTags map[string]json.RawMessage
	if err := unmarshalField(top, "dist-tags", &rawTags); err != nil {
		return nil, err
	}

	doc := &npmDoc{versions: make(map[string]*npmVersion, len(rawVersions)), tags: map[string]string{}}
	for k, v := range rawTags {
		var t string
		if json.Unmarshal(v, &t) == nil {
			doc.tags[k] = t
		}
	}
	pk := &npmPackument{top: top, versions: make(map[string]map[string]json.RawMessage, len(rawVersions))}
	for v, raw := range rawVersions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf("malformed packument: version %q is not an object", limitString(v, 64))
		}
		pv, err := version.Parse(ecoNPM, v)
		if err != nil {
			s.log.Warn("npm packument: version left out", "package", name, "version", limitString(v, 64), "err", err)
			continue
		}
		if own, ok := stringField(obj, "version"); ok && own != v {
			s.log.Warn("npm packument: version left out: its object names another", "package", name, "version", limitString(v, 64), "names", limitString(own, 64))
			continue
		}
		ver := &npmVersion{v: pv}
		var dist map[string]json.RawMessage
		if err := unmarshalField(obj, "dist", &dist); err != nil {
			return nil, fmt.Errorf("version %s: %w", limitString(v, 64), err)
		}
		ver.tarball, _ = stringField(dist, "tarball")
		if ver.tarball == "" {
			ver.tarball = s.npmURL.String() + "/" + name + "/-/" + npmFile(name, v)
		}
		ver.digest, ver.digestErr = npmDigest(dist)
		ver.installScript = npmInstallScript(obj)
		if t, ok := times[v]; ok {
			ver.info.Published, _ = time.Parse(time.RFC3339, t)
		}
		doc.versions[v] = ver
		pk.versions[v] = obj
	}
	doc.size = 256 * len(doc.versions)
	doc.pk = pk
	return doc, nil
}

// unmarshalField decodes an optional field of an object.
func unmarshalField(obj map[string]json.RawMessage, key string, dst any) error {
	raw, ok := obj[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("malformed packument: %s: %w", key, err)
	}
	return nil
}

// stringField returns a string field of an object.
func stringField(obj map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := obj[key]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// npmDigest returns the strongest hash a dist object publishes: the
// integrity's sha512 (or sha256, sha1), else the hex SHA-1 shasum.
func npmDigest(dist map[string]json.RawMessage) (Digest, error) {
	if sri, ok := stringField(dist, "integrity"); ok && sri != "" {
		if d, err := ParseIntegrity(sri); err == nil {
			return d, nil
		}
	}
	if sum, ok := stringField(dist, "shasum"); ok {
		if d := (Digest{Algo: "sha1", Hex: strings.ToLower(sum)}); d.valid() {
			return d, nil
		}
	}
	return Digest{}, errors.New("the packument publishes no usable integrity or shasum for the tarball")
}

// npmInstallScript reports whether a version object runs scripts at
// install: scripts.preinstall, install or postinstall in a full packument,
// hasInstallScript in an abbreviated one.
func npmInstallScript(obj map[string]json.RawMessage) bool {
	if b, ok := obj["hasInstallScript"]; ok && string(b) == "true" {
		return true
	}
	var scripts map[string]json.RawMessage
	if unmarshalField(obj, "scripts", &scripts) != nil {
		return false
	}
	for _, k := range []string{"preinstall", "install", "postinstall"} {
		if _, ok := scripts[k]; ok {
			return true
		}
	}
	return false
}

// decideNPMDoc decides every version of a packument, in version order so
// that each knows whether it adds an install script, and moves the
// dist-tags off blocked versions.
func (s *Server) decideNPMDoc(ctx context.Context, name string, doc *npmDoc) error {
	order := doc.order()
	var held []string
	for i, v := range order {
		if err := ctx.Err(); err != nil {
			return err
		}
		ver := doc.versions[v]
		ver.info.AddsInstallScript = i > 0 && ver.installScript && !doc.versions[order[i-1]].installScript
		ver.decision = s.Decide(ctx, ecoNPM, name, v, ver.info)
		if ver.decision.Blocked() {
			held = append(held, v+": "+ver.decision.Reason)
		}
	}
	if len(held) > 0 {
		const show = 5
		msg := fmt.Sprintf("held back %d versions: ", len(held))
		if len(held) > show {
			held = append(held[:show], "...")
		}
		doc.held = msg + strings.Join(held, "; ")
	}
	for tag, v := range doc.tags {
		ver := doc.versions[v]
		if ver != nil && !ver.decision.Blocked() {
			continue
		}
		if alt := doc.bestAllowed(order, tag, ver); alt != "" {
			doc.tags[tag] = alt
		} else if ver == nil {
			// It points at nothing the document keeps.
			delete(doc.tags, tag)
		}
		// Every version is blocked: the tag stays, so that a client
		// following it gets the tarball's error, which names the reason.
	}
	return nil
}

// order returns the versions in ascending version order.
func (d *npmDoc) order() []string {
	order := make([]string, 0, len(d.versions))
	for v := range d.versions {
		order = append(order, v)
	}
	slices.SortFunc(order, func(a, b string) int {
		if c := d.versions[a].v.Compare(d.versions[b].v); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return order
}

// bestAllowed picks the version a dist-tag moves to when its version is
// blocked: the highest allowed version not above it, else the highest
// allowed at all; stable versions first for "latest" and for tags on a
// stable version. "" when every version is blocked.
func (d *npmDoc) bestAllowed(order []string, tag string, tagged *npmVersion) string {
	stable := tag == "latest" || tagged != nil && !prerelease(tagged.v)
	type pass struct{ capped, stableOnly bool }
	passes := []pass{{true, stable}, {true, false}, {false, stable}, {false, false}}
	for _, p := range passes {
		if p.capped && tagged == nil {
			continue
		}
		for i := len(order) - 1; i >= 0; i-- {
			ver := d.versions[order[i]]
			switch {
			case ver.decision.Blocked(),
				p.capped && ver.v.Compare(tagged.v) > 0,
				p.stableOnly && prerelease(ver.v):
				continue
			}
			return order[i]
		}
	}
	return ""
}

// prerelease reports whether an npm version has a prerelease part.
func prerelease(v version.Version) bool {
	return strings.Contains(v.String(), "-")
}

// render writes the document as served: tarball URLs point at the proxy
// (npmMark standing for its base URL), blocked versions are deprecated
// with the reason, and dist-tags are moved.
func (d *npmDoc) render(name string) error {
	pk := d.pk
	d.pk = nil
	out := make(map[string]json.RawMessage, len(d.versions))
	for v, ver := range d.versions {
		obj := pk.versions[v]
		var dist map[string]json.RawMessage
		if err := unmarshalField(obj, "dist", &dist); err != nil {
			return err
		}
		if dist == nil {
			dist = map[string]json.RawMessage{}
		}
		var err error
		if dist["tarball"], err = marshalJSON(npmMark + "/" + name + "/-/" + npmFile(name, v)); err != nil {
			return err
		}
		if ver.decision.Blocked() {
			// npm's cache is keyed by integrity: with the real one, a
			// client that fetched the version before it was reported
			// installs it from its cache without asking. A digest of
			// the block message matches no cached tarball, so the
			// client asks for the tarball and gets the 403 with the
			// reason; and the real tarball, from anywhere, would fail it.
			marker := []byte(blockedMessage(name, v, ver.decision))
			s512, s1 := sha512.Sum512(marker), sha1.Sum(marker)
			if dist["integrity"], err = marshalJSON("sha512-" + base64.StdEncoding.EncodeToString(s512[:])); err != nil {
				return err
			}
			if dist["shasum"], err = marshalJSON(hex.EncodeToString(s1[:])); err != nil {
				return err
			}
			delete(dist, "signatures")
		}
		if obj["dist"], err = marshalJSON(dist); err != nil {
			return err
		}
		if ver.decision.Blocked() {
			if obj["deprecated"], err = marshalJSON(blockedMessage(name, v, ver.decision)); err != nil {
				return err
			}
		}
		if ver.json, err = marshalJSON(obj); err != nil {
			return err
		}
		out[v] = ver.json
		d.size += len(ver.json)
	}
	top := pk.top
	var err error
	if top["versions"], err = marshalJSON(out); err != nil {
		return err
	}
	if top["dist-tags"], err = marshalJSON(d.tags); err != nil {
		return err
	}
	body, err := marshalJSON(top)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	d.etag = hex.EncodeToString(sum[:12])
	d.body = bytes.Split(body, []byte(npmMarkJSON))
	// The split body, and one copy joined for a base URL (forBase).
	d.size += 2 * len(body)
	return nil
}

// marshalJSON encodes v as JSON without escaping HTML characters, which
// npm does not need and which only makes documents larger.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
