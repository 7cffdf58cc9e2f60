package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestAudit(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	entries := []AuditEntry{
		{Time: t0, Client: "10.0.0.1", Ecosystem: ecosystem.NPM, Name: "left-pad", Version: "1.3.0", Decision: "allow", Path: "/npm/left-pad/-/left-pad-1.3.0.tgz"},
		{Time: t0.Add(time.Minute), Client: "10.0.0.2", Ecosystem: ecosystem.PyPI, Name: "Foo_Bar", Version: "1.0", Decision: "block", Reason: "MAL-1", Path: "/pypi/files/x"},
		{Time: t0.Add(2 * time.Minute), Client: "10.0.0.3", Ecosystem: ecosystem.PyPI, Name: "foo-bar", Version: "1.1", Decision: "allow", Path: "/pypi/files/y"},
	}
	if err := s.RecordAudit(ctx, entries); err != nil {
		t.Fatal(err)
	}
	collect := func(f AuditFilter) []AuditEntry {
		var got []AuditEntry
		if err := s.Audit(ctx, f, func(e AuditEntry) error { got = append(got, e); return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := collect(AuditFilter{}); len(got) != 3 || !got[0].Time.Equal(t0) || got[1].Reason != "MAL-1" {
		t.Errorf("all: %+v", got)
	}
	// Names are compared normalised: Foo_Bar and foo-bar are one PyPI package.
	if got := collect(AuditFilter{Ecosystem: ecosystem.PyPI, Name: "foo.bar"}); len(got) != 2 || got[0].Name != "Foo_Bar" {
		t.Errorf("by package: %+v", got)
	}
	if got := collect(AuditFilter{Since: t0.Add(90 * time.Second)}); len(got) != 1 || got[0].Client != "10.0.0.3" {
		t.Errorf("since: %+v", got)
	}
	if got := collect(AuditFilter{Decision: "block", Limit: 5}); len(got) != 1 || got[0].Version != "1.0" {
		t.Errorf("decision: %+v", got)
	}
}
