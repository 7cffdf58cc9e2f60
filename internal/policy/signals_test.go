package policy

import (
	"strings"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

func TestParseSignals(t *testing.T) {
	data := `
[signals.typosquat]
action = "block"
reason = "no look-alike names"

[signals.new-release]
min-age = "3d"
reason = "let hijacked releases surface first"

[signals.deprecated]
action = "off"
reason = "we track deprecations elsewhere"

[names]
lists = { "crates.io" = "crates.txt" }
`
	cfg, err := Parse("/proj/sapper.toml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Signals[finding.Typosquat]; got.Action != SignalBlock || got.Line != 2 {
		t.Errorf("typosquat = %+v, want block at line 2", got)
	}
	if got := cfg.Signals[finding.NewRelease]; got.Action != SignalWarn || got.MinAge != 72*time.Hour {
		t.Errorf("new-release = %+v, want warn with 72h", got)
	}
	if got := cfg.MinAge(time.Hour); got != 72*time.Hour {
		t.Errorf("MinAge = %v, want 72h", got)
	}
	if got := (*Config)(nil).MinAge(time.Hour); got != time.Hour {
		t.Errorf("nil MinAge = %v, want the default", got)
	}
	if !cfg.SignalOff(finding.Deprecated) || cfg.SignalOff(finding.Typosquat) {
		t.Error("SignalOff: want deprecated off, typosquat on")
	}
	if got := cfg.Names.Lists[ecosystem.CratesIO]; got != "/proj/crates.txt" {
		t.Errorf("names list = %q, want it relative to the policy file", got)
	}
	if cfg.Names.Off {
		t.Error("names checks are off without check = false")
	}
	off, err := Parse("sapper.toml", []byte("[names]\ncheck = false\n"))
	if err != nil || !off.Names.Off {
		t.Errorf("check = false: Off = %v, err = %v", off != nil && off.Names.Off, err)
	}
}

func TestParseSignalErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"unknown-signal", "[signals.malicious]\naction = \"warn\"\nreason = \"r\"\n", `sapper.toml:1: signals.malicious: unknown signal`},
		{"bad-action", "[signals.typosquat]\naction = \"allow\"\nreason = \"r\"\n", `signals.typosquat: action "allow": want block, warn or off`},
		{"no-reason", "\n[signals.yanked]\naction = \"block\"\n", `sapper.toml:2: signals.yanked: needs a "reason"`},
		{"min-age-elsewhere", "[signals.yanked]\nmin-age = \"1h\"\nreason = \"r\"\n", `"min-age" applies to new-release only`},
		{"bad-age", "[signals.new-release]\nmin-age = \"soon\"\nreason = \"r\"\n", `min-age: "soon" is not a duration`},
		{"bad-list-ecosystem", "[names]\nlists = { cobol = \"x.txt\" }\n", `names.lists:`},
		{"unknown-key", "[signals.typosquat]\nlevel = \"block\"\nreason = \"r\"\n", `unknown key "signals.typosquat.level"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("sapper.toml", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEvaluateSignals(t *testing.T) {
	cfg, err := Parse("sapper.toml", []byte(`
[signals.typosquat]
action = "block"
reason = "no look-alikes"

[signals.new-release]
action = "off"
reason = "we pin and review"

[signals.deprecated]
action = "warn"
reason = "tracked"
`))
	if err != nil {
		t.Fatal(err)
	}
	pkg := finding.Package{Ecosystem: "npm", Name: "lodahs", Version: "1.0.0"}
	in := []finding.Finding{
		{Kind: finding.Typosquat, Action: finding.Warn, Package: pkg, Target: "lodash"},
		{Kind: finding.NewRelease, Action: finding.Warn, Package: pkg},
		{Kind: finding.Malicious, Action: finding.Block, Package: pkg, IDs: []string{"MAL-1"}},
		{Kind: finding.Deprecated, Action: finding.Block, Package: pkg},
	}
	res := Evaluate(in, cfg, time.Now())
	if len(res.Findings) != 3 || len(res.Ignored) != 1 {
		t.Fatalf("findings %d ignored %d, want 3 and 1", len(res.Findings), len(res.Ignored))
	}
	for _, f := range res.Findings {
		if f.Action != finding.Block {
			t.Errorf("%s: action %s, want block (raised by policy, or a block never lowered)", f.Kind, f.Action)
		}
	}
	if ig := res.Ignored[0]; ig.Finding.Kind != finding.NewRelease || ig.Reason != "we pin and review" {
		t.Errorf("ignored = %+v", ig)
	}
}
