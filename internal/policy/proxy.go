package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// Proxy is the [proxy] table of sapper.toml, for "sapper proxy":
//
//	[proxy]
//	quarantine = "48h"        # hold back versions younger than this
//	fail-open = false         # serve unchecked answers when the database or an upstream cannot be checked
//	analyze = false           # run the static rules on each tarball's first fetch; block a malicious verdict
//	upstreams = { npm = "https://npm.mirror.example", pypi = "https://pypi.mirror.example/simple", go = "https://goproxy.example" }
//
//	[[proxy.exempt]]          # a version the quarantine lets through
//	package = "npm:lodash@4.17.22"
//	reason = "security fix we need today"
//	expires = 2026-12-01
type Proxy struct {
	Quarantine time.Duration
	FailOpen   bool
	Analyze    bool
	// Upstreams maps "npm", "pypi", "go" and "sumdb" to base URLs.
	Upstreams map[string]string
	Exempt    []Exemption
}

// Exemption lets a package, or one version of it, past the quarantine.
type Exemption struct {
	Ecosystem ecosystem.Ecosystem
	Name      string
	Version   string // "" for every version
	Reason    string
	Expires   time.Time
	Line      int
}

// proxyFile mirrors [proxy].
type proxyFile struct {
	Quarantine string            `toml:"quarantine"`
	FailOpen   bool              `toml:"fail-open"`
	Analyze    bool              `toml:"analyze"`
	Upstreams  map[string]string `toml:"upstreams"`
	Exempt     []struct {
		Package string `toml:"package"`
		Reason  string `toml:"reason"`
		Expires any    `toml:"expires"`
	} `toml:"exempt"`
}

func parseProxy(cfg *Config, data []byte, f proxyFile) error {
	path := cfg.Path
	bad := func(line int, format string, args ...any) error {
		return &Error{Path: path, Line: line, Msg: "proxy: " + fmt.Sprintf(format, args...)}
	}
	p := Proxy{FailOpen: f.FailOpen, Analyze: f.Analyze}
	if f.Quarantine != "" {
		d, err := parseAge(f.Quarantine)
		if err != nil {
			return bad(lineOf(data, "quarantine", 0), "quarantine: %v", err)
		}
		p.Quarantine = d
	}
	for k, v := range f.Upstreams {
		switch k {
		case "npm", "pypi", "go", "sumdb":
		default:
			return bad(lineOf(data, "upstreams", 0), "upstreams: unknown protocol %q (want npm, pypi, go or sumdb)", k)
		}
		if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
			return bad(lineOf(data, "upstreams", 0), "upstreams.%s: %q is not an http(s) URL", k, v)
		}
		if p.Upstreams == nil {
			p.Upstreams = map[string]string{}
		}
		p.Upstreams[k] = v
	}
	for i, ex := range f.Exempt {
		line := lineOf(data, "[[proxy.exempt]]", i)
		out := Exemption{Reason: strings.TrimSpace(ex.Reason), Line: line}
		var err error
		if out.Ecosystem, out.Name, out.Version, err = parsePackage(ex.Package); err != nil {
			return bad(line, "exempt: package %q: %v", ex.Package, err)
		}
		if out.Reason == "" {
			return bad(line, `exempt: needs a "reason": say why this version cannot wait, for the next reader`)
		}
		if out.Expires, err = parseDate(ex.Expires); err != nil {
			return bad(line, "exempt: expires: %v", err)
		}
		p.Exempt = append(p.Exempt, out)
	}
	cfg.Proxy = p
	return nil
}

// QuarantineExempt returns the exemption that lets a version past the
// quarantine as of now; expired exemptions do not.
func (c *Config) QuarantineExempt(eco ecosystem.Ecosystem, name, version string, now time.Time) (Exemption, bool) {
	if c == nil {
		return Exemption{}, false
	}
	for _, ex := range c.Proxy.Exempt {
		if ex.Ecosystem != eco || ecosystem.Normalize(eco, ex.Name) != ecosystem.Normalize(eco, name) {
			continue
		}
		if ex.Version != "" && ex.Version != version {
			continue
		}
		if !ex.Expires.IsZero() && !now.Before(ex.Expires) {
			continue
		}
		return ex, true
	}
	return Exemption{}, false
}
