package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// errRedirect marks a redirect the client refuses to follow.
var errRedirect = errors.New("refused redirect")

// errNoPackage is the error of a 404: every URL asked for is a package's.
var errNoPackage = fmt.Errorf("package %w", ErrNotFound)

// maxRedirects is the most redirects followed for one request.
const maxRedirects = 5

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) ttl() time.Duration {
	if c.TTL > 0 {
		return c.TTL
	}
	return DefaultTTL
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// httpClient returns c.HTTP with a redirect policy that stays on the host
// asked and never goes from https to http.
func (c *Client) httpClient() *http.Client {
	base := c.HTTP
	if base == nil {
		base = http.DefaultClient
	}
	hc := *base
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		switch {
		case len(via) > maxRedirects:
			return fmt.Errorf("%w: more than %d redirects", errRedirect, maxRedirects)
		case !strings.EqualFold(req.URL.Host, first.Host):
			return fmt.Errorf("%w to another host: %s", errRedirect, req.URL.Redacted())
		case req.URL.Scheme != first.Scheme && req.URL.Scheme != "https":
			return fmt.Errorf("%w from %s to %s", errRedirect, first.Scheme, req.URL.Scheme)
		}
		return nil
	}
	return &hc
}

// flight is a request in progress, which others asking for the same URL
// wait for rather than asking again (a lockfile often holds several
// versions of one package, and a packument can be megabytes).
type flight struct {
	done chan struct{}
	body []byte
	err  error
}

// get returns the body of u, from the cache when fresh. accept is the
// Accept header; the registry's name in errors comes from u. A 404 or 410
// is an *Error wrapping ErrNotFound.
func (c *Client) get(ctx context.Context, u, accept string) ([]byte, error) {
	key := cacheKey(accept, u)
	for {
		c.mu.Lock()
		f, ok := c.flights[key]
		if !ok {
			f = &flight{done: make(chan struct{})}
			if c.flights == nil {
				c.flights = map[string]*flight{}
			}
			c.flights[key] = f
			c.mu.Unlock()
			f.body, f.err = c.fetch(ctx, u, accept, key)
			c.mu.Lock()
			delete(c.flights, key)
			c.mu.Unlock()
			close(f.done)
			return f.body, f.err
		}
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("GET %s: %w", u, ctx.Err())
		}
		// A request that ended with its own caller's cancellation says
		// nothing about this caller's: ask again.
		if f.err == nil || !errors.Is(f.err, context.Canceled) && !errors.Is(f.err, context.DeadlineExceeded) || ctx.Err() != nil {
			return f.body, f.err
		}
	}
}

// fetch is get without the sharing of requests in progress.
func (c *Client) fetch(ctx context.Context, u, accept, key string) ([]byte, error) {
	host := hostOf(u)
	ent, fresh := c.cacheRead(key, u, accept)
	if fresh {
		if ent.Status == http.StatusNotFound {
			return nil, &Error{Host: host, URL: u, Err: errNoPackage}
		}
		return ent.body, nil
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Error{Host: host, URL: u, Err: err}
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", accept)
	if ent != nil && ent.ETag != "" && ent.Status == http.StatusOK {
		req.Header.Set("If-None-Match", ent.ETag)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, c.transportError(ctx, rctx, host, u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && ent != nil && ent.ETag != "":
		ent.Fetched = c.now()
		c.cacheWrite(key, ent)
		return ent.body, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		c.cacheWrite(key, &cacheEntry{URL: u, Accept: accept, Fetched: c.now(), Status: http.StatusNotFound})
		return nil, &Error{Host: host, URL: u, Err: errNoPackage}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, &Error{Host: host, URL: u, Unreachable: true, Err: fmt.Errorf("answered %s", resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return nil, &Error{Host: host, URL: u, Err: fmt.Errorf("answered %s", resp.Status)}
	}
	limit := int64(maxMetadataBytes)
	if c.maxBody > 0 {
		limit = c.maxBody
	}
	body, err := readBounded(resp.Body, limit)
	if err != nil {
		if !errors.Is(err, errTooLarge) {
			return nil, c.transportError(ctx, rctx, host, u, err)
		}
		return nil, &Error{Host: host, URL: u, Err: err}
	}
	c.cacheWrite(key, &cacheEntry{
		URL: u, Accept: accept, Fetched: c.now(), Status: http.StatusOK,
		ETag: resp.Header.Get("ETag"), body: body,
	})
	return body, nil
}

// transportError classifies a failed request: the caller's cancellation
// or deadline is returned as such, a refused redirect is an ordinary error,
// and anything else (no route, refused connection, TLS, the request's own
// timeout rctx) is unreachable.
func (c *Client) transportError(ctx, rctx context.Context, host, u string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is in Error already
	}
	switch {
	case errors.Is(err, errRedirect):
		return &Error{Host: host, URL: u, Err: err}
	case ctx.Err() != nil:
		return fmt.Errorf("GET %s: %w", u, ctx.Err())
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return &Error{Host: host, URL: u, Unreachable: true, Err: fmt.Errorf("no answer within %s", c.timeout())}
	}
	return &Error{Host: host, URL: u, Unreachable: true, Err: err}
}

var errTooLarge = errors.New("answer too large")

// readBounded reads r to the end, failing past limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: larger than %d bytes", errTooLarge, limit)
	}
	return b, nil
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Host
}

// malformed is the error for an answer that is not what the registry
// documents.
func malformed(u, what string, err error) error {
	if err != nil {
		return &Error{Host: hostOf(u), URL: u, Err: fmt.Errorf("malformed %s: %w", what, err)}
	}
	return &Error{Host: hostOf(u), URL: u, Err: fmt.Errorf("malformed %s", what)}
}

// quote quotes s for a message, cutting it at n runes.
func quote(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return strconv.Quote(string(r[:n])) + "…"
	}
	return strconv.Quote(s)
}
