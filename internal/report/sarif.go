package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sapperhq/sapper/internal/finding"
)

// SARIF writes the report as a SARIF 2.1.0 log that GitHub code scanning
// accepts: one run, one rule per kind of finding, one result per finding,
// each with a file and a start line (GitHub rejects results without), and
// partial fingerprints so that the same finding in a later run is the same
// alert. Input errors and warnings become tool execution notifications.
//
// The SARIF types below are the subset of the specification sapper uses:
// https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
type SARIF struct {
	// Tool is the driver name; "" means "sapper".
	Tool string
	// Version is the driver version; "" leaves it out.
	Version string
}

var _ Writer = SARIF{}

const (
	sarifVersion = "2.1.0"
	// sarifSchema is the OASIS schema the output validates against (a copy
	// is in testdata/).
	sarifSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// informationURI is the driver's home page.
	informationURI = "https://github.com/sapperhq/sapper"
	// noLocationURI stands in for the artifact of findings that have no
	// file, such as those of "sapper check".
	noLocationURI = "sapper-check"
	// fingerprintKey names sapper's partial fingerprint; bump the version
	// if what it hashes changes.
	fingerprintKey = "sapperFinding/v1"
)

// sarifLog is §3.13 sarifLog.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

// sarifRun is §3.14 run.
type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

// sarifTool is §3.18 tool.
type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

// sarifDriver is §3.19 toolComponent.
type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

// sarifRule is §3.49 reportingDescriptor.
type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name,omitempty"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

// sarifText is §3.12 multiformatMessageString and §3.11 message.
type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

// sarifRuleConfig is §3.50 reportingConfiguration.
type sarifRuleConfig struct {
	Level string `json:"level"`
}

// sarifRuleProperty is the rule's property bag (§3.8) with the keys GitHub
// reads: tags, and security-severity, a CVSS-like score as a string.
type sarifRuleProperty struct {
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
}

// sarifInvocation is §3.20 invocation.
type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

// sarifNotification is §3.58 notification.
type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

// sarifResult is §3.27 result.
type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

// sarifResultProps is the result's property bag: the finding's fields that
// SARIF has no place for, for consumers that filter on them.
type sarifResultProps struct {
	Severity  string   `json:"severity"`
	Action    string   `json:"action,omitempty"`
	Ecosystem string   `json:"ecosystem"`
	Package   string   `json:"package"`
	Version   string   `json:"version,omitempty"`
	PURL      string   `json:"purl,omitempty"`
	IDs       []string `json:"ids,omitempty"`
	Aliases   []string `json:"aliases,omitempty"`
	Fixed     string   `json:"fixed,omitempty"`
}

// sarifLocation is §3.28 location.
type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

// sarifPhysicalLocation is §3.29 physicalLocation.
type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

// sarifArtifactLocation is §3.4 artifactLocation.
type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

// sarifRegion is §3.30 region.
type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// ruleText describes one kind of finding.
type ruleText struct {
	name, short, full, help, helpMarkdown, tag string
	level                                      string
}

// rules describes the kinds sapper knows; other kinds get a generic rule.
var rules = map[finding.Kind]ruleText{
	finding.Malicious: {
		name:  "MaliciousPackage",
		short: "Malicious package version",
		full: "The package version is reported as malware (an OSV MAL- record, as the OpenSSF " +
			"Malicious Packages project publishes). Installing it can run an attacker's code.",
		help: "Remove the package, or pin a version that is not reported. Treat any machine that " +
			"installed this version as compromised: rotate the credentials it could reach.",
		helpMarkdown: "**Remove the package**, or pin a version that is not reported.\n\n" +
			"Treat any machine that installed this version as compromised: rotate the credentials it " +
			"could reach. The record linked from the result says what the malware does.",
		tag:   "malicious-package",
		level: "error",
	},
	finding.Vulnerable: {
		name:  "VulnerablePackage",
		short: "Package version with a known vulnerability",
		full:  "The package version is affected by a published vulnerability (an OSV record such as GHSA- or CVE-).",
		help:  "Upgrade to a version that fixes the vulnerability, or confirm the vulnerable code is not reachable and ignore the finding with a reason.",
		helpMarkdown: "**Upgrade** to a version that fixes the vulnerability (the result names it when known), " +
			"or confirm the vulnerable code is not reachable and ignore the finding with a reason in the sapper config file.",
		tag:   "vulnerability",
		level: "warning",
	},
	finding.Typosquat: {
		name:  "TyposquatName",
		short: "Package name imitates a popular package",
		full: "The package name is one typing mistake, look-alike character, separator, affix or scope away " +
			"from a much more popular package's name: the way most malicious packages reach developers.",
		help: "Check that you meant this package and not the popular one it imitates; replace it if not.",
		helpMarkdown: "**Check that you meant this package** and not the popular one named in the result; " +
			"replace it if not. A reviewed look-alike can be silenced in sapper.toml (`[signals.typosquat]`).",
		tag:   "typosquat",
		level: "warning",
	},
	finding.Deprecated:          signalRule("Deprecated", "Deprecated package version", "The registry marks this version deprecated; its message says why."),
	finding.Yanked:              signalRule("Yanked", "Yanked package version", "The version was yanked from its registry, often because it was broken or compromised."),
	finding.NewRelease:          signalRule("NewRelease", "Very new release", "The version is younger than the policy's minimum age: hijacked releases are usually found within days."),
	finding.NewPackage:          signalRule("NewPackage", "Brand-new package", "The package is brand new, with a single version: most malicious packages are."),
	finding.MaintainerChange:    signalRule("MaintainerChange", "Publisher or maintainers changed", "The publisher or maintainer set changed since the previous version: what an account takeover looks like from the consumer's side."),
	finding.InstallScript:       signalRule("InstallScriptAdded", "Install script added", "This version runs an install script that the previous version did not."),
	finding.ManifestConfusion:   signalRule("ManifestConfusion", "Registry manifest disagrees with the package", "The manifest the registry serves disagrees with the package.json inside the tarball (scripts or dependencies): what the registry shows is not what installs."),
	finding.DependencyConfusion: signalRule("DependencyConfusion", "Private name exists on the public registry", "A name the policy marks private exists on the public registry, where a resolver may pick it instead of the private package."),
}

// signalRule describes a registry signal.
func signalRule(name, short, full string) ruleText {
	return ruleText{
		name: name, short: short, full: full,
		help:         "Review the package version before trusting it; the policy file can raise this signal to block or silence it with a reason.",
		helpMarkdown: "**Review the package version** before trusting it; `[signals.KIND]` in sapper.toml raises this signal to block or silences it, with a reason.",
		tag:          "registry-signal",
		level:        "warning",
	}
}

// securitySeverity maps a severity to the score GitHub ranks alerts by.
var securitySeverity = map[finding.Severity]string{
	finding.SeverityCritical: "9.8",
	finding.SeverityHigh:     "7.5",
	finding.SeverityMedium:   "5.5",
	finding.SeverityLow:      "3.0",
}

// Write implements Writer.
func (s SARIF) Write(w io.Writer, r *Report) error {
	tool := s.Tool
	if tool == "" {
		tool = "sapper"
	}
	kinds := ruleOrder(r.Findings)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           tool,
			Version:        s.Version,
			InformationURI: informationURI,
			Rules:          make([]sarifRule, len(kinds)),
		}},
		Invocations: []sarifInvocation{invocation(r)},
		Results:     make([]sarifResult, 0, len(r.Findings)),
	}
	index := map[finding.Kind]int{}
	for i, k := range kinds {
		index[k] = i
		run.Tool.Driver.Rules[i] = newRule(k, r.Findings)
	}
	for _, f := range r.Findings {
		run.Results = append(run.Results, newResult(f, index[f.Kind]))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

// ruleOrder lists the kinds present: malicious first, then by name.
func ruleOrder(fs []finding.Finding) []finding.Kind {
	var kinds []finding.Kind
	for _, f := range fs {
		if !slices.Contains(kinds, f.Kind) {
			kinds = append(kinds, f.Kind)
		}
	}
	slices.SortFunc(kinds, func(a, b finding.Kind) int {
		if c := -cmpBool(a == finding.Malicious, b == finding.Malicious); c != 0 {
			return c
		}
		return strings.Compare(string(a), string(b))
	})
	return kinds
}

// newRule describes kind k. GitHub takes an alert's severity from its rule,
// so the rule's security-severity is that of the worst finding of the kind.
func newRule(k finding.Kind, fs []finding.Finding) sarifRule {
	t, ok := rules[k]
	if !ok {
		kind := clean(string(k))
		t = ruleText{
			short: "sapper finding: " + kind,
			full:  "sapper reports a problem of kind " + kind + " with the package version.",
			help:  "Review the package version and the records the result names.",
			level: "warning",
		}
		t.helpMarkdown = t.help
	}
	sev := finding.SeverityUnknown
	for _, f := range fs {
		if f.Kind == k {
			sev = max(sev, f.Severity)
		}
	}
	tags := []string{"security", "supply-chain"}
	if t.tag != "" {
		tags = append(tags, t.tag)
	}
	return sarifRule{
		ID:                   string(k),
		Name:                 t.name,
		ShortDescription:     sarifText{Text: t.short},
		FullDescription:      sarifText{Text: t.full},
		Help:                 sarifText{Text: t.help, Markdown: t.helpMarkdown},
		DefaultConfiguration: sarifRuleConfig{Level: t.level},
		Properties: sarifRuleProperty{
			Tags:             tags,
			Precision:        "very-high",
			SecuritySeverity: securitySeverity[sev],
		},
	}
}

func newResult(f finding.Finding, ruleIndex int) sarifResult {
	uri, line := noLocationURI, 1
	if f.Location != nil && f.Location.Path != "" {
		uri = artifactURI(f.Location.Path)
		line = max(f.Location.Line, 1)
	}
	return sarifResult{
		RuleID:    string(f.Kind),
		RuleIndex: ruleIndex,
		Level:     sarifLevel(f.Action),
		Message:   sarifText{Text: sarifEscape(resultMessage(f))},
		Locations: []sarifLocation{{PhysicalLocation: sarifPhysicalLocation{
			ArtifactLocation: sarifArtifactLocation{URI: uri},
			Region:           sarifRegion{StartLine: line},
		}}},
		PartialFingerprints: map[string]string{fingerprintKey: fingerprint(f, uri)},
		Properties: sarifResultProps{
			Severity:  f.Severity.String(),
			Action:    string(f.Action),
			Ecosystem: f.Package.Ecosystem,
			Package:   f.Package.Name,
			Version:   f.Package.Version,
			PURL:      f.Package.PURL,
			IDs:       f.IDs,
			Aliases:   f.Aliases,
			Fixed:     f.Fixed,
		},
	}
}

func sarifLevel(a finding.Action) string {
	switch a {
	case finding.Block:
		return "error"
	case finding.Warn:
		return "warning"
	}
	return "note"
}

// resultMessage names the package, version, records and summary on one
// line: "npm package express 4.0.0 is vulnerable (GHSA-...): summary".
func resultMessage(f finding.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s package %s", clean(f.Package.Ecosystem), clean(f.Package.Name))
	if f.Package.Version != "" {
		b.WriteString(" " + clean(f.Package.Version))
	} else {
		b.WriteString(" (any version)")
	}
	b.WriteString(" is " + clean(string(f.Kind)))
	if len(f.IDs) > 0 {
		ids := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ids[i] = clean(id)
		}
		b.WriteString(" (" + strings.Join(ids, ", ") + ")")
	}
	if s := clean(f.Summary); s != "" {
		b.WriteString(": " + s)
	}
	if f.Fixed != "" {
		b.WriteString("; fixed in " + clean(f.Fixed))
	}
	return b.String()
}

// artifactURI turns a file path into a relative URI reference with forward
// slashes, percent-encoding what a URI cannot hold.
func artifactURI(p string) string {
	u := url.URL{Path: filepath.ToSlash(p)}
	return u.String()
}

// fingerprint is a stable hash of what makes a finding the same finding in
// another run: kind, package and file, but not the line, which moves as the
// lockfile changes.
func fingerprint(f finding.Finding, uri string) string {
	h := sha256.New()
	for _, s := range []string{string(f.Kind), f.Package.Ecosystem, f.Package.Name, f.Package.Version, uri} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func invocation(r *Report) sarifInvocation {
	inv := sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, e := range r.Errors {
		inv.Notifications = append(inv.Notifications, sarifNotification{
			Level:   "error",
			Message: sarifText{Text: sarifEscape(clean(e.Input) + ": " + clean(e.Message))},
		})
	}
	for _, m := range r.Warnings {
		inv.Notifications = append(inv.Notifications, sarifNotification{
			Level:   "warning",
			Message: sarifText{Text: sarifEscape(clean(m))},
		})
	}
	return inv
}

// sarifEscape escapes square brackets in a plain-text message so that
// "[text](uri)" from a hostile summary is not an embedded link (SARIF
// §3.11.6), which viewers would render with text of the attacker's choice.
func sarifEscape(s string) string {
	return strings.NewReplacer("[", `\[`, "]", `\]`).Replace(s)
}
