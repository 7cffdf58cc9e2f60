package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path"
	"strings"

	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/progress"
)

// Cond carries the validators of a previous download of the same URL.
type Cond struct {
	// ETag is the entity tag of the previous response, sent as If-None-Match.
	ETag string
	// LastModified is the Last-Modified header of the previous response,
	// sent as If-Modified-Since.
	LastModified string
}

// Result is the outcome of a Download.
type Result struct {
	// Path is the downloaded file, which the caller removes when done with
	// it; "" when NotModified.
	Path string
	// NotModified is set when the server answered 304 Not Modified: the
	// copy downloaded before is current.
	NotModified bool
	// Cond carries the validators of this response, to send next time.
	Cond Cond
	// Bytes is the size of the downloaded file.
	Bytes int64
}

// Download fetches url into a new temporary file in dir (created with
// os.CreateTemp), using a conditional request (If-None-Match /
// If-Modified-Since) when cond is set.
//
// It returns NotModified=true and no file on 304. It verifies the status (a
// non-2xx is an error naming the URL and status), bounds the size
// (limits.MaxDownloadBytes), honours ctx, and reports progress to p (may be
// nil), setting its total when the response has a Content-Length; the
// caller calls p.Done. On error, no file is left behind.
//
// The file keeps the extension of the URL's path, when it has one, so that
// Read can tell a .zip from a .json by name; Read also recognises either by
// content. A nil client means http.DefaultClient.
func Download(ctx context.Context, client *http.Client, url, dir string, cond Cond, p *progress.Bar) (Result, error) {
	return download(ctx, client, url, dir, cond, p, limits.MaxDownloadBytes)
}

func download(ctx context.Context, client *http.Client, url, dir string, cond Cond, p *progress.Bar, max int64) (res Result, err error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{}, fmt.Errorf("download %s: %w", url, err)
	}
	if cond.ETag != "" {
		req.Header.Set("If-None-Match", cond.ETag)
	}
	if cond.LastModified != "" {
		req.Header.Set("If-Modified-Since", cond.LastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("download %s: %w", url, describe(ctx, err))
	}
	defer resp.Body.Close()

	got := Cond{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		// A 304 may repeat the validators; keep the old ones otherwise.
		if got.ETag == "" {
			got.ETag = cond.ETag
		}
		if got.LastModified == "" {
			got.LastModified = cond.LastModified
		}
		return Result{NotModified: true, Cond: got}, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return Result{}, fmt.Errorf("download %s: server answered %s", url, resp.Status)
	}
	if resp.ContentLength > max {
		return Result{}, fmt.Errorf("download %s: %d bytes, over the limit of %d", url, resp.ContentLength, max)
	}
	if resp.ContentLength > 0 {
		p.SetTotal(resp.ContentLength)
	}

	f, err := os.CreateTemp(dir, "sapper-download-*"+urlExt(req.URL.Path))
	if err != nil {
		return Result{}, fmt.Errorf("download %s: %w", url, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, p.Reader(io.LimitReader(resp.Body, max+1)))
	if err != nil {
		return Result{}, fmt.Errorf("download %s: after %d bytes: %w", url, n, describe(ctx, err))
	}
	if n > max {
		return Result{}, fmt.Errorf("download %s: over the limit of %d bytes", url, max)
	}
	// net/http reports a body shorter than its Content-Length as an
	// unexpected EOF; check again in case a transport does not.
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return Result{}, fmt.Errorf("download %s: truncated: got %d of %d bytes", url, n, resp.ContentLength)
	}
	if err = f.Close(); err != nil {
		return Result{}, fmt.Errorf("download %s: %w", url, err)
	}
	return Result{Path: f.Name(), Cond: got, Bytes: n}, nil
}

// urlExt returns the extension of a URL path if it is one Read knows.
func urlExt(p string) string {
	switch ext := strings.ToLower(path.Ext(p)); ext {
	case ".zip", ".json":
		return ext
	}
	return ""
}

// describe turns an error of the request or the body into the terms of
// the download: cancelled, truncated, or the network error itself, without
// the *url.Error wrapper that repeats the method and URL.
func describe(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ue *neturl.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", err)
	}
	return err
}
