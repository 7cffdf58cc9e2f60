package proxy

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/sapperhq/sapper/internal/finding"
)

// Analyzer judges an archive stored at path (an npm tarball): a block
// decision keeps it from clients. Config.Analyze is nil unless the policy
// asks ([proxy] analyze = true); the CLI passes sapper analyze's static
// rules.
type Analyzer func(ctx context.Context, path string) (Decision, error)

// analyzeArchive fetches an archive into the store when it is not there,
// and returns the analysis verdict for its digest, computed once per
// digest. It fails closed: an archive it cannot fetch or analyse is
// blocked unless the configuration fails open.
func (s *Server) analyzeArchive(ctx context.Context, rawURL string, d Digest) Decision {
	if v, ok := s.verdicts.Load(d.String()); ok {
		return v.(Decision)
	}
	unchecked := func(err error) Decision {
		if s.cfg.FailOpen {
			return Decision{Action: finding.Warn, Reason: "not analysed (fail-open): " + err.Error()}
		}
		return Decision{Action: finding.Block, Reason: "sapper could not analyse the archive, and fails closed: " + err.Error()}
	}
	if f := s.blobs.open(d); f != nil {
		f.Close()
	} else {
		ctx, cancel := context.WithTimeout(ctx, ArchiveTimeout)
		defer cancel()
		resp, err := s.up.get(ctx, rawURL, nil)
		if err != nil {
			return unchecked(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return unchecked(fmt.Errorf("upstream answered HTTP %d for %s", resp.StatusCode, rawURL))
		}
		if _, err := s.blobs.stream(io.Discard, resp.Body, d, MaxArchiveBytes); err != nil {
			return unchecked(err)
		}
	}
	dec, err := s.cfg.Analyze(ctx, s.blobs.path(d))
	if err != nil {
		return unchecked(err)
	}
	s.verdicts.Store(d.String(), dec)
	return dec
}
