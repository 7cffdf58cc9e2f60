package policy

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

// SignalKinds are the kinds of finding whose action a policy may set:
// name checks and registry signals. The database's verdicts (malicious,
// vulnerable) and the analyzer's are not among them, so that no policy line
// can turn a known-malicious block into a warning.
var SignalKinds = []finding.Kind{
	finding.Typosquat,
	finding.Deprecated,
	finding.Yanked,
	finding.NewRelease,
	finding.NewPackage,
	finding.MaintainerChange,
	finding.InstallScript,
	finding.ManifestConfusion,
	finding.DependencyConfusion,
}

// SignalAction is what a policy does with one kind of signal.
type SignalAction string

// The signal actions.
const (
	SignalBlock SignalAction = "block" // the finding blocks (fails the default --fail-on)
	SignalWarn  SignalAction = "warn"  // the default: reported, does not fail
	SignalOff   SignalAction = "off"   // silenced: reported as ignored, with the reason
)

// Signal is the policy for one kind of signal:
//
//	[signals.typosquat]
//	action = "block"
//	reason = "no look-alike names in our dependencies"
//
//	[signals.new-release]
//	action = "warn"
//	min-age = "72h"      # new-release only: how young a version counts as new
//	reason = "give the community three days to spot a hijacked release"
type Signal struct {
	Kind   finding.Kind
	Action SignalAction
	Reason string
	// MinAge is, for new-release, the age under which a version is new;
	// zero for the default.
	MinAge time.Duration
	Line   int
}

// Names configures the name checks:
//
//	[names]
//	check = false                               # turn them off (default on)
//	lists = { "crates.io" = "popular-crates.txt" } # a user's popular-name list per ecosystem
type Names struct {
	// Off turns the name checks off.
	Off bool
	// Lists maps an ecosystem to a list file, one name per line, most
	// popular first; paths are relative to the policy file.
	Lists map[ecosystem.Ecosystem]string
}

// signalFile mirrors one [signals.KIND] table.
type signalFile struct {
	Action string `toml:"action"`
	Reason string `toml:"reason"`
	MinAge string `toml:"min-age"`
}

// namesFile mirrors [names].
type namesFile struct {
	Check *bool             `toml:"check"`
	Lists map[string]string `toml:"lists"`
}

// parseSignals validates the [signals.*] tables and [names].
func parseSignals(cfg *Config, data []byte, signals map[string]signalFile, names namesFile) error {
	path := cfg.Path
	keys := make([]string, 0, len(signals))
	for k := range signals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := signals[k]
		line := lineOf(data, "[signals."+k+"]", 0)
		bad := func(format string, args ...any) error {
			return &Error{Path: path, Line: line, Msg: "signals." + k + ": " + fmt.Sprintf(format, args...)}
		}
		kind := finding.Kind(k)
		if !slices.Contains(SignalKinds, kind) {
			return bad("unknown signal (known: %s)", kindList())
		}
		out := Signal{Kind: kind, Action: SignalAction(strings.ToLower(strings.TrimSpace(s.Action))), Reason: strings.TrimSpace(s.Reason), Line: line}
		switch out.Action {
		case "":
			out.Action = SignalWarn
		case SignalBlock, SignalWarn, SignalOff:
		default:
			return bad("action %q: want block, warn or off", s.Action)
		}
		if out.Reason == "" {
			return bad(`needs a "reason": say why this signal is raised or silenced, for the next reader`)
		}
		if s.MinAge != "" {
			if kind != finding.NewRelease {
				return bad(`"min-age" applies to new-release only`)
			}
			d, err := parseAge(s.MinAge)
			if err != nil {
				return bad("min-age: %v", err)
			}
			out.MinAge = d
		}
		if cfg.Signals == nil {
			cfg.Signals = map[finding.Kind]Signal{}
		}
		cfg.Signals[kind] = out
	}
	if names.Check != nil && !*names.Check {
		cfg.Names.Off = true
	}
	for e, p := range names.Lists {
		eco, err := ecosystem.FromPrefix(e)
		if err != nil {
			return &Error{Path: path, Line: lineOf(data, "lists", 0), Msg: fmt.Sprintf("names.lists: %v", err)}
		}
		if p == "" {
			return &Error{Path: path, Line: lineOf(data, "lists", 0), Msg: fmt.Sprintf("names.lists: no file for %s", e)}
		}
		if !filepath.IsAbs(p) && path != "" {
			p = filepath.Join(filepath.Dir(path), p)
		}
		if cfg.Names.Lists == nil {
			cfg.Names.Lists = map[ecosystem.Ecosystem]string{}
		}
		cfg.Names.Lists[eco] = p
	}
	return nil
}

// parseAge parses "72h", "90m" or "3d".
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err != nil || days < 0 || fmt.Sprint(days) != n {
			return 0, fmt.Errorf("%q is not a duration (want 72h, 90m or 3d)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (want 72h, 90m or 3d)", s)
	}
	return d, nil
}

func kindList() string {
	var s []string
	for _, k := range SignalKinds {
		s = append(s, string(k))
	}
	return strings.Join(s, ", ")
}

// MinAge returns the age under which a release counts as new: the policy's
// [signals.new-release] min-age, else def.
func (c *Config) MinAge(def time.Duration) time.Duration {
	if c != nil {
		if s, ok := c.Signals[finding.NewRelease]; ok && s.MinAge > 0 {
			return s.MinAge
		}
	}
	return def
}

// SignalOff reports whether the policy silences a kind of signal, so that
// the caller need not compute it.
func (c *Config) SignalOff(k finding.Kind) bool {
	if c == nil {
		return false
	}
	s, ok := c.Signals[k]
	return ok && s.Action == SignalOff
}

// applySignal sets a signal finding's action from the policy; ok is false
// when the policy silences it. Findings of other kinds are unchanged.
func (c *Config) applySignal(f finding.Finding) (finding.Finding, string, bool) {
	s, has := c.Signals[f.Kind]
	if !has {
		return f, "", true
	}
	switch s.Action {
	case SignalOff:
		return f, s.Reason, false
	case SignalBlock:
		f.Action = finding.Block
	case SignalWarn:
		if f.Action != finding.Block { // never turn a block into a warning
			f.Action = finding.Warn
		}
	}
	return f, s.Reason, true
}
