package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
)

// Bounds on upstream answers.
const (
	// MaxMetadataBytes bounds a metadata answer (npm packuments of the
	// largest packages are tens of megabytes).
	MaxMetadataBytes = 128 << 20
	// UpstreamTimeout bounds a metadata request; archives stream under
	// ArchiveTimeout.
	UpstreamTimeout = 30 * time.Second
	ArchiveTimeout  = 10 * time.Minute
	// MaxArchiveBytes bounds an archive streamed through the proxy.
	MaxArchiveBytes = 1 << 30
)

// ErrUpstreamHost is a request for a host that is not a configured
// upstream: the proxy is not an open proxy.
var ErrUpstreamHost = errors.New("not a configured upstream host")

// UpstreamError is an upstream's answer the proxy cannot use.
type UpstreamError struct {
	URL    string
	Status int // 0 when there was no answer
	Err    error
}

func (e *UpstreamError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("upstream %s: HTTP %d", e.URL, e.Status)
	}
	return fmt.Sprintf("upstream %s: %v", e.URL, e.Err)
}

func (e *UpstreamError) Unwrap() error { return e.Err }

// upstream is the HTTP client to the configured registries only.
type upstream struct {
	http  *http.Client
	hosts []string
}

func newUpstream(c *http.Client, hosts []string) *upstream {
	u := &upstream{hosts: hosts}
	base := c
	if base == nil {
		base = &http.Client{}
	}
	cl := *base
	cl.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if !u.allowed(req.URL.Host) {
			return fmt.Errorf("redirect to %s: %w", req.URL.Host, ErrUpstreamHost)
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("redirect from https to http")
		}
		return nil
	}
	u.http = &cl
	return u
}

func (u *upstream) allowed(host string) bool {
	return slices.Contains(u.hosts, host)
}

// get requests rawURL from an upstream. A 404 comes back as a response
// (callers pass it on); other non-200 answers are errors. The caller
// closes the body.
func (u *upstream) get(ctx context.Context, rawURL string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &UpstreamError{URL: rawURL, Err: err}
	}
	if !u.allowed(req.URL.Host) {
		return nil, &UpstreamError{URL: rawURL, Err: ErrUpstreamHost}
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("User-Agent", "sapper-proxy (https://github.com/sapperhq/sapper)")
	resp, err := u.http.Do(req)
	if err != nil {
		return nil, &UpstreamError{URL: rawURL, Err: err}
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNotFound, http.StatusGone, http.StatusNotModified:
		return resp, nil
	}
	resp.Body.Close()
	return nil, &UpstreamError{URL: rawURL, Status: resp.StatusCode}
}

// getMetadata fetches a metadata document whole, bounded, with a timeout.
// status is the upstream's (200 or 404/410).
func (u *upstream) getMetadata(ctx context.Context, rawURL string, header http.Header) (body []byte, h http.Header, status int, err error) {
	// Metadata fetches are shared by every client waiting for the same
	// document (see metaCache): one client hanging up must not fail the
	// others, so the fetch keeps its own timeout instead of the caller's
	// cancellation.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), UpstreamTimeout)
	defer cancel()
	resp, err := u.get(ctx, rawURL, header)
	if err != nil {
		return nil, nil, 0, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, MaxMetadataBytes+1))
	if err != nil {
		return nil, nil, 0, &UpstreamError{URL: rawURL, Err: err}
	}
	if len(body) > MaxMetadataBytes {
		return nil, nil, 0, &UpstreamError{URL: rawURL, Err: fmt.Errorf("answer larger than %d bytes", MaxMetadataBytes)}
	}
	return body, resp.Header, resp.StatusCode, nil
}
