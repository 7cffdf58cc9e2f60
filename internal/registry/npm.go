package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

// packument is the part of an npm packument
// (https://github.com/npm/registry/blob/main/docs/REGISTRY-API.md#getpackage)
// that the signals need. Versions stay raw until one is needed: old
// packuments hold versions of every shape.
type packument struct {
	url      string
	Versions map[string]json.RawMessage
	// times are time[version]; created is time.created.
	times   map[string]time.Time
	created time.Time
}

// decodePackument decodes the packument body fetched from u.
func decodePackument(u string, body []byte) (*packument, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, malformed(u, "packument", err)
	}
	if top == nil {
		return nil, malformed(u, "packument: not an object", nil)
	}
	doc := &packument{url: u, times: map[string]time.Time{}}
	if raw, ok := top["versions"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &doc.Versions); err != nil {
			return nil, malformed(u, "packument: versions", err)
		}
	}
	if raw, ok := top["time"]; ok && !isNull(raw) {
		var times map[string]json.RawMessage
		if err := json.Unmarshal(raw, &times); err != nil {
			return nil, malformed(u, "packument: time", err)
		}
		for k, v := range times {
			// time.unpublished is an object; skip what is not a time.
			if t, ok := parseTime(looseString(v)); ok {
				doc.times[k] = t
			}
		}
	}
	doc.created = doc.times["created"]
	if doc.created.IsZero() {
		for v := range doc.Versions {
			if t := doc.times[v]; !t.IsZero() && (doc.created.IsZero() || t.Before(doc.created)) {
				doc.created = t
			}
		}
	}
	return doc, nil
}

// manifest is the part of a version's manifest (in the packument, or the
// package.json of the tarball) the signals read. Fields of the wrong type
// read as absent rather than failing: real old packuments have them.
type manifest struct {
	name, version string
	deprecated    string
	isDeprecated  bool
	scripts       map[string]string
	deps, optDeps map[string]string
	publisher     string
	maintainers   []string // nil when absent
	gypfile       *bool
	tarball       string
	integrity     string
	shasum        string
}

// decodeManifest decodes a version manifest; only a value that is not a
// JSON object is an error.
func decodeManifest(raw []byte) (*manifest, error) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("not an object")
	}
	m := &manifest{
		name:        looseString(f["name"]),
		version:     looseString(f["version"]),
		scripts:     looseMap(f["scripts"], false),
		deps:        looseDeps(f["dependencies"]),
		optDeps:     looseDeps(f["optionalDependencies"]),
		publisher:   person(f["_npmUser"]),
		maintainers: people(f["maintainers"]),
	}
	switch d := f["deprecated"]; {
	case looseString(d) != "":
		m.deprecated, m.isDeprecated = looseString(d), true
	case string(d) == "true":
		m.isDeprecated = true
	}
	switch string(f["gypfile"]) {
	case "true":
		m.gypfile = new(true)
	case "false":
		m.gypfile = new(false)
	}
	var dist map[string]json.RawMessage
	if json.Unmarshal(f["dist"], &dist) == nil {
		m.tarball = looseString(dist["tarball"])
		m.integrity = looseString(dist["integrity"])
		m.shasum = looseString(dist["shasum"])
	}
	return m, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// looseString is raw as a string, or "" when it is not one.
func looseString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// looseMap reads an object of strings; a value of another type is kept as
// its JSON text, so that it still compares, when keep is set, and dropped
// otherwise.
func looseMap(raw json.RawMessage, keep bool) map[string]string {
	var f map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &f) != nil {
		return nil
	}
	m := make(map[string]string, len(f))
	for k, v := range f {
		switch s := looseString(v); {
		case s != "" || string(v) == `""`:
			m[k] = s
		case keep:
			m[k] = string(v)
		}
	}
	return m
}

// looseDeps reads dependencies: an object of ranges, or the array of
// names some very old packages have (any version).
func looseDeps(raw json.RawMessage) map[string]string {
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		m := map[string]string{}
		for _, v := range list {
			if s := looseString(v); s != "" {
				m[s] = "*"
			}
		}
		return m
	}
	m := looseMap(raw, true)
	for k, v := range m {
		m[k] = strings.TrimSpace(v)
	}
	return m
}

// person reads {"name": ...} or the old "Name <email> (url)".
func person(raw json.RawMessage) string {
	if s := looseString(raw); s != "" {
		if i := strings.IndexAny(s, "<("); i >= 0 {
			s = s[:i]
		}
		return strings.TrimSpace(s)
	}
	var p map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &p) != nil {
		return ""
	}
	return strings.TrimSpace(looseString(p["name"]))
}

// people reads a list of persons; nil when raw is not a list.
func people(raw json.RawMessage) []string {
	var list []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	out := []string{}
	for _, p := range list {
		if n := person(p); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// parseTime reads an RFC 3339 time, as the registries write them.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// PyPI's upload_time has no zone; it is UTC.
		if t, err = time.Parse("2006-01-02T15:04:05.999999999", s); err != nil {
			return time.Time{}, false
		}
	}
	return t.UTC(), true
}

// npmURL is the packument URL of name; a scoped name keeps its "@" and
// its slash is escaped, as the npm client does ("@scope%2fname").
func (c *Client) npmURL(name string) string {
	return strings.TrimRight(c.NPM, "/") + "/" + strings.Replace(url.PathEscape(name), "%2F", "%2f", 1)
}

func (c *Client) packument(ctx context.Context, name string) (*packument, error) {
	u := c.npmURL(name)
	body, err := c.get(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	return decodePackument(u, body)
}

func (c *Client) npmSignals(ctx context.Context, pkg finding.Package, opt Options) ([]finding.Finding, error) {
	doc, err := c.packument(ctx, pkg.Name)
	if err != nil {
		return nil, err
	}
	return c.npmFindings(ctx, doc, pkg, opt)
}

// npmFindings computes the signals of pkg from its packument.
func (c *Client) npmFindings(ctx context.Context, doc *packument, pkg finding.Package, opt Options) ([]finding.Finding, error) {
	rels := make([]*release, 0, len(doc.Versions))
	for id, raw := range doc.Versions {
		r := parseRelease(ecosystem.NPM, id, doc.times[id])
		var who struct {
			NPMUser     json.RawMessage `json:"_npmUser"`
			Maintainers json.RawMessage `json:"maintainers"`
		}
		if json.Unmarshal(raw, &who) == nil {
			r.publisher, r.maintainers = person(who.NPMUser), people(who.Maintainers)
		}
		rels = append(rels, r)
	}
	// Map order is random: sort so that ties break the same way each run.
	slices.SortFunc(rels, func(a, b *release) int { return strings.Compare(a.id, b.id) })
	cur := find(ecosystem.NPM, rels, pkg.Version)
	if cur == nil {
		return nil, &Error{Host: hostOf(doc.url), URL: doc.url, Err: fmt.Errorf("version %s %w", pkg.Version, ErrNotFound)}
	}
	m, err := decodeManifest(doc.Versions[cur.id])
	if err != nil {
		return nil, malformed(doc.url, fmt.Sprintf("packument: versions[%s]", quote(cur.id, 64)), err)
	}

	var out []finding.Finding
	if m.isDeprecated {
		out = append(out, deprecation(pkg, m.deprecated))
	}
	out = append(out, ageSignals(pkg, opt, c.now(), cur, len(doc.Versions), doc.created)...)
	prev := previous(rels, cur)
	if f, ok := maintainerChange(pkg, rels, cur, prev); ok {
		out = append(out, f)
	}
	var pm *manifest
	if prev != nil {
		pm, _ = decodeManifest(doc.Versions[prev.id])
	}
	// Without a previous version, cur is the lowest, unless its version
	// does not parse and there is no telling; a previous version that
	// cannot be read cannot be compared with.
	if (prev == nil && cur.v != nil) || pm != nil {
		if f, ok := installScriptChange(pkg, m, pm, prev); ok {
			out = append(out, f)
		}
	}
	if opt.Tarball {
		f, ok, err := c.manifestConfusion(ctx, pkg, m)
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// alarming matches a deprecation message that speaks of a security problem.
var alarming = regexp.MustCompile(`(?i)secur|malware|malicious|compromis|vulnerab|hijack|backdoor|exploit|\bCVE-\d`)

func deprecation(pkg finding.Package, msg string) finding.Finding {
	sev := finding.SeverityLow
	if alarming.MatchString(msg) {
		sev = finding.SeverityMedium
	}
	summary := "deprecated (no message)"
	if msg != "" {
		summary = "deprecated: " + quote(msg, 200)
	}
	return newFinding(pkg, finding.Deprecated, sev, summary)
}

// installKeys are the scripts npm runs when it installs a package from a
// registry (prepare runs only for git dependencies).
var installKeys = []string{"preinstall", "install", "postinstall"}

// installScripts returns the install-time scripts of m, with npm's
// implicit "node-gyp rebuild" when the package has a binding.gyp (gyp, or
// the registry's gypfile flag) and no install or preinstall script of its own.
func installScripts(m *manifest, gyp bool) map[string]string {
	out := map[string]string{}
	for _, k := range installKeys {
		if s, ok := m.scripts[k]; ok && strings.TrimSpace(s) != "" {
			out[k] = s
		}
	}
	if m.gypfile != nil {
		gyp = *m.gypfile
	}
	if gyp && out["install"] == "" && out["preinstall"] == "" {
		out["install"] = "node-gyp rebuild"
	}
	return out
}

// installScriptChange reports install scripts that cur has and prev had
// not, or had with another command. The lowest version of a package (prev
// nil) with install scripts is reported too.
func installScriptChange(pkg finding.Package, cur, pm *manifest, prev *release) (finding.Finding, bool) {
	cs := installScripts(cur, false)
	ps := map[string]string{}
	if prev != nil && pm != nil {
		ps = installScripts(pm, false)
	}
	var parts []string
	var evidence string
	sev := finding.SeverityMedium
	for _, k := range installKeys {
		s, ok := cs[k]
		if !ok {
			continue
		}
		p, had := ps[k]
		switch {
		case prev == nil:
			parts = append(parts, fmt.Sprintf("%s: %s", k, quote(s, 120)))
		case !had:
			parts = append(parts, fmt.Sprintf("adds install script %s: %s", k, quote(s, 120)))
		case p != s:
			parts = append(parts, fmt.Sprintf("changes install script %s from %s to %s", k, quote(p, 60), quote(s, 120)))
		default:
			continue
		}
		if evidence == "" {
			evidence = snippet(k + ": " + s)
		}
		if downloads.MatchString(s) {
			sev = finding.SeverityHigh
		}
	}
	if len(parts) == 0 {
		return finding.Finding{}, false
	}
	summary := "the lowest version has install scripts: " + strings.Join(parts, "; ")
	if prev != nil {
		summary = strings.Join(parts, "; ") + fmt.Sprintf(" (since %s)", prev.id)
	}
	f := newFinding(pkg, finding.InstallScript, sev, summary)
	f.Snippet = evidence
	return f, true
}
