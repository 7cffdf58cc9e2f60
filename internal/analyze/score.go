package analyze

import (
	"math"
	"slices"

	"github.com/sapperhq/sapper/internal/finding"
)

// Categories of rule findings. Capabilities say what code can do; alone
// they are normal for real packages. Threats are behaviour that real
// packages do not have.
const (
	// Capabilities.
	CatNetwork          = "network"
	CatProcess          = "process-execution"
	CatCredentials      = "filesystem-credentials-read"
	CatEnvironment      = "environment-read"
	CatObfuscation      = "obfuscation"
	CatInstallHook      = "install-hook"
	CatBinary           = "binary"
	CatFingerprint      = "fingerprinting"
	CatCodeFromStrings  = "dynamic-code"
	CatManifestMismatch = "manifest-mismatch" // a manifest disagreeing with the files; packaging mistakes do it too

	// Threats.
	CatReverseShell     = "reverse-shell"
	CatExfilEndpoint    = "exfiltration-endpoint"
	CatSelfPropagation  = "self-propagation"
	CatDownloadExecute  = "download-execute"
	CatPersistence      = "persistence"
	CatObfuscatedExec   = "obfuscated-execution"
	CatHiddenCode       = "hidden-code"
	CatClipboardHijack  = "clipboard-hijack"
	CatSpyware          = "spyware" // keyloggers, screen capture
	CatArchiveTampering = "archive"
	CatSabotage         = "sabotage" // protestware that hangs or wipes on purpose
)

// threatCategories are threats on their own.
var threatCategories = map[string]bool{
	CatReverseShell:    true,
	CatExfilEndpoint:   true,
	CatSelfPropagation: true,
	CatDownloadExecute: true,
	CatPersistence:     true,
	CatObfuscatedExec:  true,
	CatHiddenCode:      true,
	CatClipboardHijack: true,
	CatSpyware:         true,
	CatSabotage:        true,
}

// IsThreat reports whether a finding of category at severity is a threat
// on its own: a threat category, or any category at critical severity
// (a rule author's way of saying "this alone is malware").
func IsThreat(category string, sev finding.Severity) bool {
	return threatCategories[category] || sev >= finding.SeverityCritical
}

// combos are pairs of capabilities that, in the same file, make a threat,
// with the threat's base value.
var combos = []struct {
	a, b  string
	value float64
}{
	{CatCredentials, CatNetwork, 8},   // steal and send
	{CatEnvironment, CatNetwork, 8},   // dump env and send: secrets, CI tokens
	{CatInstallHook, CatNetwork, 6},   // phones home at install
	{CatInstallHook, CatProcess, 5.5}, // runs commands at install
	{CatObfuscation, CatProcess, 6},   // hidden command
	{CatObfuscation, CatCodeFromStrings, 6},
	{CatObfuscation, CatNetwork, 5},     // hidden endpoint
	{CatObfuscation, CatInstallHook, 5}, // hidden install code
	{CatCredentials, CatObfuscation, 5}, // hidden credential access
	{CatCodeFromStrings, CatNetwork, 5}, // runs code it fetched
	{CatNetwork, CatProcess, 4.5},       // download and execute
	{CatFingerprint, CatNetwork, 4.5},   // recon beacon
	{CatInstallHook, CatCodeFromStrings, 5},
}

// Score turns findings into a 0-10 risk score and a verdict. It is
// deterministic and depends only on each finding's category, severity and
// path:
//
//	threat value of a finding that is a threat on its own (IsThreat):
//	    low 2, medium 4.5, high 6, critical 8.5
//	threat value of two capabilities in the SAME file (see combos):
//	    base x the mean of the two sides' factors (low 0.5, medium 0.8,
//	    high or critical 1)
//	file threat T(f) = the largest of those values in file f, plus 0.5 for
//	    every other category present in f (more evidence), when T(f) > 0
//	threat = max T(f) + 0.5 per other file with T > 0 (at most +1.5)
//	    + 1 when the threat runs at install time: the package has an
//	    install hook in another file, or the threat's file is a hook and
//	    holds a threat on its own
//	capability = sum over capability categories in the package of the
//	    highest severity seen: low 0.25, medium 0.5, high 1; at most 3.5
//	score = min(10, max(threat, capability)), rounded to one decimal
//
// Verdict: score >= 7 malicious, >= 4 suspicious, else benign.
// Capabilities alone therefore never pass 3.5: benign. Findings without a
// category (archive problems without one) count as a capability of their
// own category "" at their severity.
func Score(fs []finding.Finding) (float64, Verdict) {
	type fileSig struct {
		caps    map[string]finding.Severity // capability category -> max severity
		cats    map[string]bool             // every category
		threat  float64                     // best threat-alone value
		hasHook bool
		// threatOther: a threat on its own that is not the hook itself
		// (download-execute in extconf.rb, not a critical install hook).
		threatOther bool
	}
	files := map[string]*fileSig{}
	pkgCaps := map[string]finding.Severity{}
	hookFiles := map[string]bool{}
	for _, f := range fs {
		path, _ := locOf(f)
		s := files[path]
		if s == nil {
			s = &fileSig{caps: map[string]finding.Severity{}, cats: map[string]bool{}}
			files[path] = s
		}
		s.cats[f.Category] = true
		if f.Category == CatInstallHook {
			s.hasHook = true
			hookFiles[path] = true
		}
		if IsThreat(f.Category, f.Severity) {
			s.threat = max(s.threat, threatAlone(f.Severity))
			s.threatOther = s.threatOther || f.Category != CatInstallHook
			continue
		}
		s.caps[f.Category] = max(s.caps[f.Category], f.Severity)
		pkgCaps[f.Category] = max(pkgCaps[f.Category], f.Severity)
	}

	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths) // map order must not change float sums

	var best float64
	var bestPath string
	var threatFiles int
	for _, p := range paths {
		s := files[p]
		t := s.threat
		for _, c := range combos {
			sa, oka := s.caps[c.a]
			sb, okb := s.caps[c.b]
			if !oka || !okb {
				continue
			}
			t = max(t, c.value*(comboFactor(sa)+comboFactor(sb))/2)
		}
		if t == 0 {
			continue
		}
		t += 0.5 * float64(len(s.cats)-1)
		threatFiles++
		if t > best {
			best, bestPath = t, p
		}
	}
	threat := best
	if threatFiles > 1 {
		threat += min(1.5, 0.5*float64(threatFiles-1))
	}
	if threat > 0 {
		for p := range hookFiles {
			// The threat runs at install time: the hook is another file,
			// or the threat file is itself a hook (extconf.rb, setup.py)
			// with a threat of its own, not merely the hook's combination.
			if p != bestPath || files[bestPath].threatOther {
				threat++
				break
			}
		}
	}

	var capability float64
	for _, sev := range pkgCaps {
		capability += capWeight(sev)
	}
	capability = min(3.5, capability)

	score := min(10, max(threat, capability))
	score = math.Round(score*10) / 10
	return score, VerdictFor(score)
}

// VerdictFor maps a score to a verdict.
func VerdictFor(score float64) Verdict {
	switch {
	case score >= 7:
		return Malicious
	case score >= 4:
		return Suspicious
	}
	return Benign
}

func threatAlone(s finding.Severity) float64 {
	switch {
	case s >= finding.SeverityCritical:
		return 8.5
	case s == finding.SeverityHigh:
		return 6
	case s == finding.SeverityMedium:
		return 4.5
	}
	return 2
}

func comboFactor(s finding.Severity) float64 {
	switch {
	case s >= finding.SeverityHigh:
		return 1
	case s == finding.SeverityMedium:
		return 0.8
	}
	return 0.5
}

func capWeight(s finding.Severity) float64 {
	switch {
	case s >= finding.SeverityHigh:
		return 1
	case s == finding.SeverityMedium:
		return 0.5
	}
	return 0.25
}
