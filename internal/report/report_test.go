package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sample() *Report {
	fs := []finding.Finding{
		{Kind: finding.Vulnerable, Severity: finding.SeverityUnknown, Action: finding.Warn,
			Package: finding.Package{Ecosystem: "npm", Name: "express", Version: "4.0.0"},
			IDs:     []string{"GHSA-1111-2222-3333"}, Summary: "Open redirect\nin express"},
		{Kind: finding.Malicious, Severity: finding.SeverityCritical, Action: finding.Block,
			Package: finding.Package{Ecosystem: "npm", Name: "@solana/web3.js", Version: "1.95.7", PURL: "pkg:npm/%40solana/web3.js@1.95.7"},
			IDs:     []string{"MAL-2024-11183"}, Aliases: []string{"GHSA-2mhj-xmf4-pr8m"}, Summary: "Malicious code in @solana/web3.js (npm)"},
		{Kind: finding.Malicious, Severity: finding.SeverityCritical, Action: finding.Block,
			Package: finding.Package{Ecosystem: "PyPI", Name: "nasrtox"}, IDs: []string{"MAL-2025-1"}},
	}
	Sort(fs)
	return &Report{PackagesScanned: 3, Findings: fs,
		Errors: []InputError{{Input: "bogus", Message: "want ECOSYSTEM:NAME@VERSION"}}}
}

func TestGolden(t *testing.T) {
	for _, format := range []string{"table", "json"} {
		t.Run(format, func(t *testing.T) {
			w, err := ForFormat(format)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := w.Write(&buf, sample()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "sample."+format)
			if *update {
				os.WriteFile(golden, buf.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), buf.String()); diff != "" {
				t.Errorf("%s output (-want +got):\n%s", format, diff)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	var buf bytes.Buffer
	JSON{}.Write(&buf, &Report{PackagesScanned: 2})
	want := "{\n  \"schema_version\": \"1\",\n  \"packages_scanned\": 2,\n  \"findings\": [],\n  \"errors\": []\n}\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := ForFormat("xml"); err == nil {
		t.Errorf("ForFormat(xml): no error")
	}
}
