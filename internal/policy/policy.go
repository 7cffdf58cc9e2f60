// Package policy applies a project's rules to findings: which findings fail
// the build (fail-on), which are ignored (by record ID or package, each with
// a reason and an optional expiry), and which packages are private and so
// never matched against public records by name.
//
// The rules live in sapper.toml, found upward from the scanned path or
// named with --config:
//
//	fail-on = "block"        # block | warn | critical | high | medium | low | any | none
//
//	[[ignore]]
//	id = "GHSA-xxxx-xxxx-xxxx"   # or: package = "npm:left-pad" / "npm:left-pad@1.3.0"
//	reason = "not reachable: we never call merge()"
//	expires = 2027-01-31         # optional; after it the finding is reported again
//
//	[[allow]]                    # sapper analyze: a reviewed finding, pinned to the file's content
//	package = "npm:esbuild"
//	path = "install.js"          # a glob (path.Match)
//	rule = "js-child-process"
//	sha256 = "..."               # of the file: a changed file is analysed afresh
//	reason = "runs its own platform binary, reviewed 2026-11-24"
//
//	[private]
//	scopes = ["@acme"]                     # npm scopes
//	prefixes = ["acme-", "pypi:acme_"]     # name prefixes, optionally per ecosystem
//	registries = ["https://npm.acme.example/"]
//
//	[signals.typosquat]          # name checks and registry signals: block | warn (default) | off
//	action = "block"
//	reason = "no look-alike names in our dependencies"
//
//	[names]
//	lists = { "crates.io" = "popular-crates.txt" }   # popular names of an ecosystem sapper has no list for
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

// FileName is the policy file sapper looks for.
const FileName = "sapper.toml"

// Config is a parsed policy file. The zero Config is the default policy:
// fail on block-level findings, ignore nothing, nothing private.
type Config struct {
	// Path is the file the config was read from; "" for the default.
	Path    string
	FailOn  Level
	Ignores []Ignore
	Allows  []Allow
	Private Private
	// Signals sets the action of name checks and registry signals, by kind.
	Signals map[finding.Kind]Signal
	Names   Names
	// Proxy holds the settings of "sapper proxy".
	Proxy Proxy
}

// Allow accepts, for "sapper analyze", a finding a person has reviewed: one
// rule on files matching a path glob of one package, pinned to the file's
// SHA-256. A path alone is not enough: attackers put payloads where
// excluded folders are, so a changed file is analysed afresh.
type Allow struct {
	Ecosystem ecosystem.Ecosystem
	Name      string
	Version   string // "" for every version
	Path      string // path.Match glob
	Rule      string
	SHA256    string // lower-case hex
	Reason    string
	Line      int
}

// Ignore silences findings of one record or one package.
type Ignore struct {
	// ID is a record ID or alias ("GHSA-...", "MAL-...").
	ID string
	// Ecosystem, Name and Version name a package; Version "" is every version.
	Ecosystem ecosystem.Ecosystem
	Name      string
	Version   string
	// Reason is why, for the next reader; required.
	Reason string
	// Expires is the first day the ignore no longer applies; zero for never.
	Expires time.Time
	// Line is where the ignore is written, for messages.
	Line int
}

// Private names packages that are the organisation's own.
type Private struct {
	Scopes     []string
	Prefixes   []string
	Registries []string
}

// Error is a problem with a policy file, at a line when known.
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// file mirrors sapper.toml.
type file struct {
	FailOn string `toml:"fail-on"`
	Ignore []struct {
		ID      string `toml:"id"`
		Package string `toml:"package"`
		Reason  string `toml:"reason"`
		Expires any    `toml:"expires"`
	} `toml:"ignore"`
	Allow []struct {
		Package string `toml:"package"`
		Path    string `toml:"path"`
		Rule    string `toml:"rule"`
		SHA256  string `toml:"sha256"`
		Reason  string `toml:"reason"`
	} `toml:"allow"`
	Private struct {
		Scopes     []string `toml:"scopes"`
		Prefixes   []string `toml:"prefixes"`
		Registries []string `toml:"registries"`
	} `toml:"private"`
	Signals map[string]signalFile `toml:"signals"`
	Names   namesFile             `toml:"names"`
	Proxy   proxyFile             `toml:"proxy"`
}

// maxConfigBytes bounds a policy file.
const maxConfigBytes = 1 << 20

// Find looks for sapper.toml in dir and its parents and returns its path,
// or "" when there is none.
func Find(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, FileName)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load reads and validates the policy file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	return Parse(path, data)
}

// Parse validates a policy file's contents; path is used in messages.
func Parse(path string, data []byte) (*Config, error) {
	if len(data) > maxConfigBytes {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("larger than %d bytes", maxConfigBytes)}
	}
	var f file
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, tomlError(path, err)
	}
	cfg := &Config{Path: path}
	var err error
	if cfg.FailOn, err = ParseLevel(f.FailOn); err != nil {
		return nil, &Error{Path: path, Line: lineOf(data, "fail-on", 0), Msg: "fail-on: " + err.Error()}
	}
	for i, ig := range f.Ignore {
		line := lineOf(data, "[[ignore]]", i)
		bad := func(format string, args ...any) error {
			return &Error{Path: path, Line: line, Msg: "ignore: " + fmt.Sprintf(format, args...)}
		}
		out := Ignore{ID: ig.ID, Reason: strings.TrimSpace(ig.Reason), Line: line}
		switch {
		case ig.ID == "" && ig.Package == "":
			return nil, bad(`needs an "id" (a record ID such as GHSA-...) or a "package" (such as "npm:left-pad@1.3.0")`)
		case ig.ID != "" && ig.Package != "":
			return nil, bad(`give "id" or "package", not both`)
		case out.Reason == "":
			return nil, bad(`needs a "reason": say why the finding does not apply, for the next reader`)
		}
		if ig.Package != "" {
			if out.Ecosystem, out.Name, out.Version, err = parsePackage(ig.Package); err != nil {
				return nil, bad("package %q: %v", ig.Package, err)
			}
		}
		if out.Expires, err = parseDate(ig.Expires); err != nil {
			return nil, bad("expires: %v", err)
		}
		cfg.Ignores = append(cfg.Ignores, out)
	}
	for i, al := range f.Allow {
		line := lineOf(data, "[[allow]]", i)
		bad := func(format string, args ...any) error {
			return &Error{Path: path, Line: line, Msg: "allow: " + fmt.Sprintf(format, args...)}
		}
		out := Allow{Path: al.Path, Rule: al.Rule, SHA256: strings.ToLower(al.SHA256), Reason: strings.TrimSpace(al.Reason), Line: line}
		switch {
		case al.Package == "" || al.Path == "" || al.Rule == "":
			return nil, bad(`needs "package", "path" and "rule"`)
		case len(out.SHA256) != 64 || strings.Trim(out.SHA256, "0123456789abcdef") != "":
			return nil, bad(`needs "sha256", the file's SHA-256 in hex: a path alone is not enough, since payloads hide where paths are excluded`)
		case out.Reason == "":
			return nil, bad(`needs a "reason": say who reviewed what, for the next reader`)
		}
		if _, err := pathpkg.Match(al.Path, ""); err != nil {
			return nil, bad("path %q: %v", al.Path, err)
		}
		if out.Ecosystem, out.Name, out.Version, err = parsePackage(al.Package); err != nil {
			return nil, bad("package %q: %v", al.Package, err)
		}
		cfg.Allows = append(cfg.Allows, out)
	}
	cfg.Private = Private(f.Private)
	for _, s := range cfg.Private.Scopes {
		if !strings.HasPrefix(s, "@") || strings.Contains(s, "/") {
			return nil, &Error{Path: path, Line: lineOf(data, "scopes", 0), Msg: fmt.Sprintf("private.scopes: %q is not an npm scope (want \"@name\")", s)}
		}
	}
	for _, r := range cfg.Private.Registries {
		if !strings.HasPrefix(r, "https://") && !strings.HasPrefix(r, "http://") {
			return nil, &Error{Path: path, Line: lineOf(data, "registries", 0), Msg: fmt.Sprintf("private.registries: %q is not an http(s) URL", r)}
		}
	}
	if err := parseSignals(cfg, data, f.Signals, f.Names); err != nil {
		return nil, err
	}
	if err := parseProxy(cfg, data, f.Proxy); err != nil {
		return nil, err
	}
	return cfg, nil
}

// tomlError turns go-toml's errors into an *Error with the line.
func tomlError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		e := strict.Errors[0]
		row, _ := e.Position()
		return &Error{Path: path, Line: row, Msg: fmt.Sprintf("unknown key %q (known: fail-on, [[ignore]] id/package/reason/expires, [[allow]] package/path/rule/sha256/reason, [private] scopes/prefixes/registries, [signals.KIND] action/reason/min-age, [names] check/lists, [proxy] quarantine/fail-open/analyze/upstreams, [[proxy.exempt]] package/reason/expires)", strings.Join(e.Key(), "."))}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		return &Error{Path: path, Line: row, Msg: de.Error()}
	}
	return &Error{Path: path, Msg: err.Error()}
}

// lineOf returns the line of the n-th (0-based) line that starts with
// prefix, or 0.
func lineOf(data []byte, prefix string, n int) int {
	for i, l := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(bytes.TrimSpace(l), []byte(prefix)) {
			if n == 0 {
				return i + 1
			}
			n--
		}
	}
	return 0
}

func parseDate(v any) (time.Time, error) {
	switch d := v.(type) {
	case nil:
		return time.Time{}, nil
	case toml.LocalDate:
		return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC), nil
	case string:
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", d)
		}
		return t, nil
	default:
		return time.Time{}, fmt.Errorf("want a date such as 2027-01-31, got %v", v)
	}
}

// parsePackage parses "npm:name", "npm:name@1.0.0" or "pypi:name==1.0".
func parsePackage(s string) (ecosystem.Ecosystem, string, string, error) {
	prefix, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return "", "", "", errors.New(`want ECOSYSTEM:NAME or ECOSYSTEM:NAME@VERSION`)
	}
	eco, err := ecosystem.FromPrefix(prefix)
	if err != nil {
		return "", "", "", err
	}
	name, ver := rest, ""
	if n, v, ok := strings.Cut(rest, "=="); ok && eco == ecosystem.PyPI {
		name, ver = n, v
	} else if i := strings.LastIndex(rest, "@"); i > 0 {
		name, ver = rest[:i], rest[i+1:]
	}
	return eco, name, ver, nil
}
