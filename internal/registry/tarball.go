package registry

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/limits"
	"github.com/sapperhq/sapper/internal/version"
)

// maxManifestBytes bounds the package.json read from a tarball.
const maxManifestBytes = 8 << 20

// tarballTimeouts is how many request timeouts a tarball download gets.
const tarballTimeouts = 6

// tarballInfo is what the manifest comparison needs from a tarball; it is
// cached by the tarball's digest, which the download verified.
type tarballInfo struct {
	Manifest   json.RawMessage `json:"manifest"`
	BindingGyp bool            `json:"binding_gyp"`
}

// manifestConfusion downloads the tarball of m and compares its
// package.json with m, the registry's manifest of the same version.
func (c *Client) manifestConfusion(ctx context.Context, pkg finding.Package, m *manifest) (finding.Finding, bool, error) {
	info, err := c.tarball(ctx, m)
	if err != nil {
		return finding.Finding{}, false, fmt.Errorf("%s: compare the tarball's package.json: %w", pkg, err)
	}
	tm, err := decodeManifest(info.Manifest)
	if err != nil {
		return finding.Finding{}, false, fmt.Errorf("%s: the tarball's package.json: %w", pkg, err)
	}
	diffs := compareManifests(m, tm, info.BindingGyp)
	if len(diffs) == 0 {
		return finding.Finding{}, false, nil
	}
	return newFinding(pkg, finding.ManifestConfusion, finding.SeverityHigh,
		"the registry's manifest disagrees with the package.json in the tarball: "+strings.Join(diffs, "; ")), true, nil
}

// compareManifests lists the differences that change what an install
// does: name, version, install scripts and dependencies. npm merges
// optionalDependencies into dependencies when it publishes, so both sides
// are compared merged.
func compareManifests(reg, tar *manifest, tarGyp bool) []string {
	var diffs []string
	show := func(s string) string {
		if s == "" {
			return "none"
		}
		return quote(s, 80)
	}
	if reg.name != tar.name {
		diffs = append(diffs, fmt.Sprintf("name: registry %s, package.json %s", show(reg.name), show(tar.name)))
	}
	if version.Canonical(ecosystem.NPM, reg.version) != version.Canonical(ecosystem.NPM, tar.version) {
		diffs = append(diffs, fmt.Sprintf("version: registry %s, package.json %s", show(reg.version), show(tar.version)))
	}
	rs, ts := installScripts(reg, false), installScripts(tar, tarGyp)
	for _, k := range installKeys {
		if rs[k] != ts[k] {
			diffs = append(diffs, fmt.Sprintf("scripts.%s: registry %s, package.json %s", k, show(rs[k]), show(ts[k])))
		}
	}
	rd, td := merged(reg), merged(tar)
	var onlyTar, onlyReg, differ []string
	for _, n := range slices.Sorted(maps.Keys(td)) {
		r, ok := rd[n]
		switch {
		case !ok:
			onlyTar = append(onlyTar, n+"@"+td[n])
		case r != td[n]:
			differ = append(differ, fmt.Sprintf("%s (registry %s, package.json %s)", n, r, td[n]))
		}
	}
	for _, n := range slices.Sorted(maps.Keys(rd)) {
		if _, ok := td[n]; !ok {
			onlyReg = append(onlyReg, n+"@"+rd[n])
		}
	}
	if len(onlyTar) > 0 {
		diffs = append(diffs, "dependencies only in package.json: "+names(onlyTar))
	}
	if len(onlyReg) > 0 {
		diffs = append(diffs, "dependencies only in the registry: "+names(onlyReg))
	}
	if len(differ) > 0 {
		diffs = append(diffs, "dependency ranges differ: "+names(differ))
	}
	return diffs
}

func merged(m *manifest) map[string]string {
	out := maps.Clone(m.deps)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, m.optDeps)
	return out
}

// tarball returns the package.json of m's tarball, downloaded from the
// registry's own host and checked against m's integrity.
func (c *Client) tarball(ctx context.Context, m *manifest) (*tarballInfo, error) {
	u, err := c.tarballURL(m.tarball)
	if err != nil {
		return nil, err
	}
	d, err := parseSRI(m.integrity, m.shasum)
	if err != nil {
		return nil, err
	}
	key := "tarball-" + d.algo + "-" + hex.EncodeToString(d.sum) + ".json"
	if info := c.tarballCached(key); info != nil {
		return info, nil
	}
	host := hostOf(u)
	rctx, cancel := context.WithTimeout(ctx, tarballTimeouts*c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Error{Host: host, URL: u, Err: err}
	}
	req.Header.Set("User-Agent", UserAgent)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, c.transportError(ctx, rctx, host, u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, &Error{Host: host, URL: u, Err: fmt.Errorf("tarball %w", ErrNotFound)}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, &Error{Host: host, URL: u, Unreachable: true, Err: fmt.Errorf("answered %s", resp.Status)}
	case resp.StatusCode != http.StatusOK:
		return nil, &Error{Host: host, URL: u, Err: fmt.Errorf("answered %s", resp.Status)}
	}
	h := d.hasher()
	body := &countingReader{r: io.LimitReader(resp.Body, limits.MaxPackageBytes+1)}
	tee := io.TeeReader(body, h)
	info, terr := readTarball(tee)
	// Hash the whole download, whatever the archive held past the manifest.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return nil, c.transportError(ctx, rctx, host, u, err)
	}
	if body.n > limits.MaxPackageBytes {
		return nil, &Error{Host: host, URL: u, Err: fmt.Errorf("tarball larger than %d bytes", int64(limits.MaxPackageBytes))}
	}
	if got := h.Sum(nil); subtle.ConstantTimeCompare(got, d.sum) != 1 {
		return nil, &Error{Host: host, URL: u, Err: fmt.Errorf("%s digest mismatch: the registry says %x, the download is %x", d.algo, d.sum, got)}
	}
	if terr != nil {
		return nil, &Error{Host: host, URL: u, Err: terr}
	}
	if c.CacheDir != "" {
		if b, err := json.Marshal(info); err == nil {
			_ = writeAtomic(c.CacheDir, key, b)
		}
	}
	return info, nil
}

func (c *Client) tarballCached(key string) *tarballInfo {
	if c.CacheDir == "" {
		return nil
	}
	f, err := os.Open(filepath.Join(c.CacheDir, key))
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := readBounded(f, 2*maxManifestBytes)
	if err != nil {
		return nil
	}
	var info tarballInfo
	if json.Unmarshal(b, &info) != nil || len(info.Manifest) == 0 {
		return nil
	}
	return &info
}

// tarballURL checks that a dist.tarball URL is on the registry's own host,
// so that metadata cannot send sapper anywhere else.
func (c *Client) tarballURL(s string) (string, error) {
	base, err := url.Parse(c.NPM)
	if err != nil {
		return "", fmt.Errorf("npm registry URL %q: %w", c.NPM, err)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("tarball URL %s is not an http(s) URL", quote(s, 120))
	}
	if !strings.EqualFold(u.Host, base.Host) || (u.Scheme == "http" && base.Scheme != "http") || u.User != nil {
		return "", fmt.Errorf("tarball URL %s is not on %s; not downloaded", quote(s, 120), base.Host)
	}
	return u.String(), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readTarball reads an npm tarball and returns the package.json npm would
// install: the last regular file named package.json one directory down
// (npm strips the first directory, whatever its name, and a later entry
// overwrites an earlier one), and whether binding.gyp sits beside it.
func readTarball(r io.Reader) (*tarballInfo, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("tarball is not gzip: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(&limitedReader{r: zr, left: limits.MaxPackageBytes})
	info := &tarballInfo{}
	for n := 0; ; n++ {
		if n >= limits.MaxPackageEntries {
			return nil, fmt.Errorf("tarball has more than %d entries", limits.MaxPackageEntries)
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read tarball: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		switch topLevel(h.Name) {
		case "package.json":
			b, err := readBounded(tr, maxManifestBytes)
			if err != nil {
				return nil, fmt.Errorf("tarball %s: %w", h.Name, err)
			}
			info.Manifest = b
		case "binding.gyp":
			info.BindingGyp = true
		}
	}
	if info.Manifest == nil {
		return nil, errors.New("no package.json in the tarball")
	}
	return info, nil
}

// topLevel returns the name of an entry in the package's top directory,
// or "" for one deeper or not in a directory.
func topLevel(name string) string {
	var parts []string
	for p := range strings.SplitSeq(name, "/") {
		if p != "" && !(p == "." && len(parts) == 0) {
			parts = append(parts, p)
		}
	}
	if len(parts) != 2 {
		return ""
	}
	return parts[1]
}

// limitedReader fails, rather than ending quietly, past its bound: an
// archive that expands beyond it is refused.
type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("tarball expands beyond %d bytes", int64(limits.MaxPackageBytes))
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// digest is what the registry says the tarball hashes to.
type digest struct {
	algo string // "sha512", "sha256", "sha1"
	sum  []byte
}

func (d digest) hasher() hash.Hash {
	switch d.algo {
	case "sha512":
		return sha512.New()
	case "sha256":
		return sha256.New()
	default:
		return sha1.New()
	}
}

// parseSRI reads dist.integrity (Subresource Integrity), preferring its
// strongest hash, else the SHA-1 dist.shasum of old versions. SHA-1 is
// accepted here, unlike in package fetch, because nothing downloaded is
// run or trusted: the tarball is only compared with the manifest.
func parseSRI(sri, shasum string) (digest, error) {
	var best digest
	for part := range strings.FieldsSeq(sri) {
		algo, b64, ok := strings.Cut(part, "-")
		if !ok {
			continue
		}
		b64, _, _ = strings.Cut(b64, "?")
		sum, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue // as an unknown algorithm: another part may do
		}
		switch {
		case algo == "sha512" && len(sum) == sha512.Size:
			best = digest{"sha512", sum}
		case algo == "sha256" && len(sum) == sha256.Size && best.algo != "sha512":
			best = digest{"sha256", sum}
		}
	}
	if best.sum != nil {
		return best, nil
	}
	if sum, err := hex.DecodeString(shasum); err == nil && len(sum) == sha1.Size {
		return digest{"sha1", sum}, nil
	}
	if sri != "" {
		return digest{}, fmt.Errorf("no usable hash in dist.integrity %s", quote(sri, 120))
	}
	return digest{}, errors.New("the registry gives no usable integrity for this version's tarball")
}
