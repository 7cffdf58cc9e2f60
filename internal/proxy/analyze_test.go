package proxy

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sapperhq/sapper/internal/finding"
)

// With an analyzer, a tarball is judged once per digest on its first
// fetch, before any client gets it; a block keeps it from everyone.
func TestNPMAnalyzeFirstFetch(t *testing.T) {
	up := newNPMUpstream(t, npmTestPkg())
	want110 := up.tarballs["/pkg/-/pkg-1.1.0.tgz"]
	var calls atomic.Int32
	analyzer := func(ctx context.Context, path string) (Decision, error) {
		calls.Add(1)
		data, err := os.ReadFile(path)
		if err != nil {
			return Decision{}, err
		}
		// The fake analyzer calls 1.0.0 malicious, by its bytes.
		if bytes.Equal(data, up.tarballs["/pkg/-/pkg-1.0.0.tgz"]) {
			return Decision{Action: finding.Block, Reason: "sapper analyze: malicious (score 9.0): js-eval-decoded"}, nil
		}
		return Decision{Action: finding.Allow}, nil
	}
	nt := newNPMTest(t, up, Config{DB: npmTestDB(), Analyze: analyzer})

	for range 2 {
		code, _, body := nt.get("/npm/pkg/-/pkg-1.0.0.tgz")
		if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "sapper analyze: malicious") {
			t.Fatalf("analysed-malicious tarball: %d %s", code, body)
		}
	}
	for range 2 {
		code, _, body := nt.get("/npm/pkg/-/pkg-1.1.0.tgz")
		if code != http.StatusOK || !bytes.Equal(body, want110) {
			t.Fatalf("clean tarball: %d, %d bytes", code, len(body))
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("analyzer ran %d times, want once per digest (2)", n)
	}
	if n := up.hit("/pkg/-/pkg-1.0.0.tgz") + up.hit("/pkg/-/pkg-1.1.0.tgz"); n != 2 {
		t.Errorf("upstream fetched %d times, want once per tarball", n)
	}
	// The database's verdict comes first: a known-malicious version is
	// never fetched for analysis.
	if code, _, _ := nt.get("/npm/pkg/-/pkg-1.2.0.tgz"); code != http.StatusForbidden || up.hit("/pkg/-/pkg-1.2.0.tgz") != 0 {
		t.Errorf("known-malicious: %d, upstream hits %d", code, up.hit("/pkg/-/pkg-1.2.0.tgz"))
	}
}

// An analyzer that fails blocks (fail closed).
func TestNPMAnalyzeFailsClosed(t *testing.T) {
	up := newNPMUpstream(t, npmTestPkg())
	broken := func(ctx context.Context, path string) (Decision, error) {
		return Decision{}, os.ErrPermission
	}
	nt := newNPMTest(t, up, Config{DB: npmTestDB(), Analyze: broken})
	code, _, body := nt.get("/npm/pkg/-/pkg-1.1.0.tgz")
	if code != http.StatusForbidden || !strings.Contains(npmErrorText(t, body), "could not analyse") {
		t.Errorf("broken analyzer: %d %s", code, body)
	}
}
