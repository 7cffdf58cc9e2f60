package analyze

import (
	"testing"

	"github.com/sapperhq/sapper/internal/finding"
)

func fd(path, category string, sev finding.Severity) finding.Finding {
	return finding.Finding{Category: category, Severity: sev, Location: &finding.Location{Path: path}}
}

const (
	low  = finding.SeverityLow
	med  = finding.SeverityMedium
	high = finding.SeverityHigh
	crit = finding.SeverityCritical
)

func TestScore(t *testing.T) {
	tests := []struct {
		name    string
		fs      []finding.Finding
		score   float64
		verdict Verdict
	}{
		{"nothing", nil, 0, Benign},
		{"one capability", []finding.Finding{fd("a.js", CatNetwork, low)}, 0.3, Benign},
		{"many capabilities in different files", []finding.Finding{
			fd("a.js", CatNetwork, high), fd("b.js", CatProcess, high), fd("c.js", CatCredentials, high),
			fd("d.js", CatEnvironment, high), fd("e.js", CatObfuscation, high), fd("package.json", CatInstallHook, high),
		}, 3.5, Benign},
		{"credentials and network in one file", []finding.Finding{
			fd("a.js", CatCredentials, high), fd("a.js", CatNetwork, high),
		}, 8.5, Malicious},
		{"credentials high and network low", []finding.Finding{
			fd("a.js", CatCredentials, high), fd("a.js", CatNetwork, low),
		}, 6.5, Suspicious},
		{"and an install hook elsewhere", []finding.Finding{
			fd("a.js", CatCredentials, high), fd("a.js", CatNetwork, low), fd("package.json", CatInstallHook, med),
		}, 7.5, Malicious},
		{"env and network", []finding.Finding{
			fd("a.js", CatEnvironment, high), fd("a.js", CatNetwork, low),
		}, 6.5, Suspicious}, // 8 x (1 + 0.5) / 2 + 0.5
		{"threat alone: reverse shell", []finding.Finding{fd("x.sh", CatReverseShell, crit)}, 8.5, Malicious},
		{"threat alone: webhook", []finding.Finding{fd("a.js", CatExfilEndpoint, high)}, 6, Suspicious},
		{"webhook with credentials", []finding.Finding{
			fd("a.js", CatExfilEndpoint, high), fd("a.js", CatCredentials, high),
		}, 6.5, Suspicious},
		{"stealer", []finding.Finding{
			fd("a.js", CatExfilEndpoint, high), fd("a.js", CatCredentials, high), fd("a.js", CatNetwork, low),
		}, 7, Malicious},
		{"critical capability is a threat", []finding.Finding{fd("evil.pth", CatInstallHook, crit)}, 8.5, Malicious},
		{"two threat files", []finding.Finding{
			fd("a.js", CatExfilEndpoint, high), fd("b.js", CatPersistence, high),
		}, 6.5, Suspicious},
		{"capped at 10", []finding.Finding{
			fd("a.js", CatReverseShell, crit), fd("a.js", CatPersistence, crit), fd("a.js", CatSelfPropagation, crit),
			fd("a.js", CatCredentials, high), fd("a.js", CatNetwork, high), fd("b.js", CatDownloadExecute, crit),
			fd("c.js", CatDownloadExecute, crit), fd("package.json", CatInstallHook, high),
		}, 10, Malicious},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			score, verdict := Score(tt.fs)
			if score != tt.score || verdict != tt.verdict {
				t.Errorf("Score = %v, %v; want %v, %v", score, verdict, tt.score, tt.verdict)
			}
			// Deterministic whatever the order.
			rev := make([]finding.Finding, len(tt.fs))
			for i, f := range tt.fs {
				rev[len(tt.fs)-1-i] = f
			}
			if s2, _ := Score(rev); s2 != score {
				t.Errorf("reversed order: score %v, want %v", s2, score)
			}
		})
	}
}
