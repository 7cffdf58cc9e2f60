package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/store"
)

func TestAuditCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sapper.db")
	t.Setenv("SAPPER_DB", db)
	if code, _, stderr := runCLI(t, "", "db", "import", "../../examples/malicious-packages"); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err = st.RecordAudit(context.Background(), []store.AuditEntry{
		// Fetched before the record arrived: the incident's question.
		{Time: now.Add(-48 * time.Hour), Client: "10.1.2.3", Ecosystem: ecosystem.NPM, Name: "@solana/web3.js", Version: "1.95.7", Decision: "allow", Path: "/npm/@solana/web3.js/-/web3.js-1.95.7.tgz"},
		{Time: now.Add(-time.Hour), Client: "10.1.2.4", Ecosystem: ecosystem.NPM, Name: "@solana/web3.js", Version: "1.95.7", Decision: "block", Reason: "MAL-2024-11183", Path: "/npm/@solana/web3.js/-/web3.js-1.95.7.tgz"},
		{Time: now.Add(-time.Hour), Client: "10.1.2.5", Ecosystem: ecosystem.NPM, Name: "left-pad", Version: "1.3.0", Decision: "allow", Path: "/npm/left-pad/-/left-pad-1.3.0.tgz"},
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, _ := runCLI(t, "", "audit")
	if code != 0 || !strings.Contains(stdout, "3 entries") {
		t.Errorf("audit: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "", "audit", "--package", "npm:left-pad")
	if code != 0 || !strings.Contains(stdout, "10.1.2.5") || strings.Contains(stdout, "10.1.2.3") {
		t.Errorf("audit --package: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "", "audit", "--since", "24h")
	if code != 0 || !strings.Contains(stdout, "2 entries") {
		t.Errorf("audit --since 24h: exit %d\n%s", code, stdout)
	}
	// Who already pulled a version now known to be malicious: exit 1.
	code, stdout, _ = runCLI(t, "", "audit", "--known-malicious")
	if code != 1 || !strings.Contains(stdout, "10.1.2.3") || !strings.Contains(stdout, "now reported: MAL-2024-11183") ||
		strings.Contains(stdout, "10.1.2.4") || strings.Contains(stdout, "left-pad") {
		t.Errorf("audit --known-malicious: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "", "audit", "--format", "json", "--decision", "block")
	if code != 0 || !strings.Contains(stdout, `"schema_version": "1"`) || !strings.Contains(stdout, `"client": "10.1.2.4"`) {
		t.Errorf("audit json: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := runCLI(t, "", "audit", "--since", "last tuesday"); code != 2 || !strings.Contains(stderr, "not a date") {
		t.Errorf("bad --since: exit %d %s", code, stderr)
	}
}
