// Package fetch downloads a package archive from its registry for analysis
// ("npm:left-pad@1.3.0", "go:golang.org/x/text@v0.3.7", "pypi:", "crates.io:",
// "rubygems:"), checks it against the digest the registry publishes, and
// keeps it in a cache directory named by that digest, so that the same
// version is downloaded once.
//
// Registry answers are untrusted input: bodies are bounded, names are
// escaped into URLs (never concatenated raw), and a digest mismatch is an
// error, never a warning.
package fetch

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// maxMetadataBytes bounds a registry's JSON answer (the npm packuments of
// the largest packages are tens of megabytes).
const maxMetadataBytes = 128 << 20

// Client fetches package archives. The zero value is not usable: use New.
type Client struct {
	HTTP *http.Client
	// Base URLs of the registries; New sets the public ones.
	NPM, GoProxy, PyPI, Crates, CratesIndex, RubyGems string
	// Cache is the directory archives are kept in, by digest.
	Cache string
}

// New returns a client for the public registries, caching in cache.
func New(cache string) *Client {
	return &Client{
		HTTP:        &http.Client{},
		NPM:         "https://registry.npmjs.org",
		GoProxy:     "https://proxy.golang.org",
		PyPI:        "https://pypi.org",
		Crates:      "https://static.crates.io",
		CratesIndex: "https://index.crates.io",
		RubyGems:    "https://rubygems.org",
		Cache:       cache,
	}
}

// Spec is a parsed "ecosystem:name@version".
type Spec struct {
	Ecosystem ecosystem.Ecosystem
	Name      string
	Version   string
}

// ErrNotRemote is returned by ParseSpec for a target that is not a remote
// package, such as a path.
var ErrNotRemote = errors.New("not a remote package")

// ParseSpec parses "npm:name@version" and the like. A target without a
// known ecosystem prefix is ErrNotRemote (it is a path).
func ParseSpec(s string) (Spec, error) {
	prefix, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Spec{}, ErrNotRemote
	}
	var eco ecosystem.Ecosystem
	switch strings.ToLower(prefix) {
	case "npm":
		eco = ecosystem.NPM
	case "go":
		eco = ecosystem.Go
	case "pypi":
		eco = ecosystem.PyPI
	case "crates.io", "cargo":
		eco = ecosystem.CratesIO
	case "rubygems", "gem":
		eco = ecosystem.RubyGems
	default:
		return Spec{}, ErrNotRemote
	}
	i := strings.LastIndex(rest, "@")
	if i <= 0 || i == len(rest)-1 {
		return Spec{}, fmt.Errorf("%q: want %s:NAME@VERSION with an exact version", s, prefix)
	}
	sp := Spec{Ecosystem: eco, Name: rest[:i], Version: rest[i+1:]}
	if strings.ContainsAny(sp.Name+sp.Version, " \t\r\n?#") || strings.Contains(sp.Version, "/") {
		return Spec{}, fmt.Errorf("%q: invalid name or version", s)
	}
	return sp, nil
}

// Fetch downloads the archive of sp (or finds it in the cache) and returns
// its path and file name suffix (".tgz", ".zip", ".crate", ".gem", ".whl",
// ".tar.gz") so that the reader knows its format.
func (c *Client) Fetch(ctx context.Context, sp Spec) (string, error) {
	var (
		archive string
		dg      digest
		ext     string
		err     error
	)
	switch sp.Ecosystem {
	case ecosystem.NPM:
		archive, dg, err = c.npm(ctx, sp)
		ext = ".tgz"
	case ecosystem.Go:
		archive, dg, err = c.goModule(sp)
		ext = ".zip"
	case ecosystem.PyPI:
		archive, dg, ext, err = c.pypi(ctx, sp)
	case ecosystem.CratesIO:
		archive, dg, err = c.crate(ctx, sp)
		ext = ".crate"
	case ecosystem.RubyGems:
		archive, dg, err = c.rubygems(ctx, sp)
		ext = ".gem"
	default:
		return "", fmt.Errorf("fetch %s packages: %w", sp.Ecosystem, ecosystem.ErrUnsupported)
	}
	if err != nil {
		return "", err
	}
	return c.download(ctx, archive, dg, ext)
}

// digest is what a registry says an archive hashes to; a zero digest means
// the registry publishes none (the Go proxy: its checksum database is for
// provenance checks, not here), and the archive is cached by its own
// SHA-256.
type digest struct {
	algo string // "sha512", "sha256", "sha1"
	sum  []byte
}

func (d digest) hasher() hash.Hash {
	switch d.algo {
	case "sha512":
		return sha512.New()
	default:
		return sha256.New()
	}
}

// download fetches u into the cache, verifying d. The file is written to a
// temporary name and renamed when complete and verified.
func (c *Client) download(ctx context.Context, u string, d digest, ext string) (string, error) {
	if d.sum != nil {
		p := filepath.Join(c.Cache, d.algo+"-"+hex.EncodeToString(d.sum)+ext)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if err := os.MkdirAll(c.Cache, 0o755); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	resp, err := c.get(ctx, u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	tmp, err := os.CreateTemp(c.Cache, "download-*")
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := d.hasher()
	own := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h, own), io.LimitReader(resp.Body, limits.MaxPackageBytes+1))
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", u, err)
	}
	if n > limits.MaxPackageBytes {
		return "", fmt.Errorf("fetch %s: larger than %d bytes", u, limits.MaxPackageBytes)
	}
	if d.sum != nil && !equal(h.Sum(nil), d.sum) {
		return "", fmt.Errorf("fetch %s: %s digest mismatch: the registry says %x, the download is %x", u, d.algo, d.sum, h.Sum(nil))
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	name := "sha256-" + hex.EncodeToString(own.Sum(nil)) + ext
	if d.sum != nil {
		name = d.algo + "-" + hex.EncodeToString(d.sum) + ext
	}
	p := filepath.Join(c.Cache, name)
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	return p, nil
}

func equal(a, b []byte) bool { return hex.EncodeToString(a) == hex.EncodeToString(b) }

// get issues a GET and checks the status.
func (c *Client) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("User-Agent", "sapper (https://github.com/sapperhq/sapper)")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("fetch %s: %s", u, resp.Status)
	}
	return resp, nil
}

// getJSON fetches u and decodes a bounded JSON body into v.
func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	resp, err := c.get(ctx, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes+1))
	if err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	if len(body) > maxMetadataBytes {
		return fmt.Errorf("fetch %s: answer larger than %d bytes", u, maxMetadataBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("fetch %s: %w", u, err)
	}
	return nil
}

// npm reads the version document and its dist.integrity (Subresource
// Integrity, "sha512-<base64>"; very old versions only have dist.shasum).
func (c *Client) npm(ctx context.Context, sp Spec) (string, digest, error) {
	name := url.PathEscape(sp.Name) // "@scope/name" -> "@scope%2Fname"
	var doc struct {
		Dist struct {
			Tarball   string `json:"tarball"`
			Integrity string `json:"integrity"`
			Shasum    string `json:"shasum"`
		} `json:"dist"`
	}
	if err := c.getJSON(ctx, c.NPM+"/"+name+"/"+url.PathEscape(sp.Version), &doc); err != nil {
		return "", digest{}, err
	}
	d, err := parseIntegrity(doc.Dist.Integrity, doc.Dist.Shasum)
	if err != nil {
		return "", digest{}, fmt.Errorf("npm:%s@%s: %w", sp.Name, sp.Version, err)
	}
	tarball := doc.Dist.Tarball
	if !strings.HasPrefix(tarball, "https://") && !strings.HasPrefix(tarball, "http://") {
		return "", digest{}, fmt.Errorf("npm:%s@%s: tarball URL %q is not http(s)", sp.Name, sp.Version, tarball)
	}
	return tarball, d, nil
}

// parseIntegrity reads an SRI string, preferring its strongest hash.
func parseIntegrity(sri, shasum string) (digest, error) {
	var best digest
	for _, part := range strings.Fields(sri) {
		algo, b64, ok := strings.Cut(part, "-")
		if !ok {
			continue
		}
		if i := strings.IndexByte(b64, '?'); i >= 0 {
			b64 = b64[:i]
		}
		sum, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return digest{}, fmt.Errorf("bad integrity %q", part)
		}
		switch {
		case algo == "sha512":
			best = digest{"sha512", sum}
		case algo == "sha256" && best.algo != "sha512":
			best = digest{"sha256", sum}
		}
	}
	if best.sum != nil {
		return best, nil
	}
	if shasum != "" {
		return digest{}, errors.New("the registry gives only a SHA-1 shasum for this version, too weak to trust")
	}
	return digest{}, errors.New("the registry gives no integrity for this version")
}

// goModule is the module proxy's zip URL (https://go.dev/ref/mod#goproxy-protocol).
func (c *Client) goModule(sp Spec) (string, digest, error) {
	path, err := module.EscapePath(sp.Name)
	if err != nil {
		return "", digest{}, fmt.Errorf("go:%s: %w", sp.Name, err)
	}
	ver, err := module.EscapeVersion(sp.Version)
	if err != nil {
		return "", digest{}, fmt.Errorf("go:%s@%s: %w", sp.Name, sp.Version, err)
	}
	return c.GoProxy + "/" + path + "/@v/" + ver + ".zip", digest{}, nil
}

// pypi picks the sdist (setup.py runs at install) or else the first wheel
// of a release, with its SHA-256.
func (c *Client) pypi(ctx context.Context, sp Spec) (string, digest, string, error) {
	var doc struct {
		URLs []struct {
			URL         string            `json:"url"`
			Filename    string            `json:"filename"`
			PackageType string            `json:"packagetype"`
			Digests     map[string]string `json:"digests"`
		} `json:"urls"`
	}
	if err := c.getJSON(ctx, c.PyPI+"/pypi/"+url.PathEscape(sp.Name)+"/"+url.PathEscape(sp.Version)+"/json", &doc); err != nil {
		return "", digest{}, "", err
	}
	for _, want := range []string{"sdist", "bdist_wheel"} {
		for _, u := range doc.URLs {
			if u.PackageType != want {
				continue
			}
			sum, err := hex.DecodeString(u.Digests["sha256"])
			if err != nil || len(sum) != sha256.Size {
				return "", digest{}, "", fmt.Errorf("pypi:%s@%s: %s has no valid sha256", sp.Name, sp.Version, u.Filename)
			}
			ext := ".whl"
			switch {
			case strings.HasSuffix(u.Filename, ".tar.gz"):
				ext = ".tar.gz"
			case strings.HasSuffix(u.Filename, ".zip"):
				ext = ".zip"
			}
			return u.URL, digest{"sha256", sum}, ext, nil
		}
	}
	return "", digest{}, "", fmt.Errorf("pypi:%s@%s: no sdist or wheel", sp.Name, sp.Version)
}

// rubygems reads the version's SHA-256 from the v2 API.
func (c *Client) rubygems(ctx context.Context, sp Spec) (string, digest, error) {
	var doc struct {
		SHA string `json:"sha"`
	}
	name, ver := url.PathEscape(sp.Name), url.PathEscape(sp.Version)
	if err := c.getJSON(ctx, c.RubyGems+"/api/v2/rubygems/"+name+"/versions/"+ver+".json", &doc); err != nil {
		return "", digest{}, err
	}
	sum, err := hex.DecodeString(doc.SHA)
	if err != nil || len(sum) != sha256.Size {
		return "", digest{}, fmt.Errorf("rubygems:%s@%s: no valid sha", sp.Name, sp.Version)
	}
	return c.RubyGems + "/gems/" + name + "-" + ver + ".gem", digest{"sha256", sum}, nil
}

// crate reads the version's checksum from the sparse index
// (https://doc.rust-lang.org/cargo/reference/registry-index.html).
func (c *Client) crate(ctx context.Context, sp Spec) (string, digest, error) {
	name := strings.ToLower(sp.Name)
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", digest{}, fmt.Errorf("crates.io:%s: invalid crate name", sp.Name)
		}
	}
	var prefix string
	switch len(name) {
	case 0:
		return "", digest{}, fmt.Errorf("crates.io: empty crate name")
	case 1, 2:
		prefix = fmt.Sprint(len(name))
	case 3:
		prefix = "3/" + name[:1]
	default:
		prefix = name[:2] + "/" + name[2:4]
	}
	resp, err := c.get(ctx, c.CratesIndex+"/"+prefix+"/"+name)
	if err != nil {
		return "", digest{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes))
	if err != nil {
		return "", digest{}, fmt.Errorf("crates.io:%s: %w", sp.Name, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		var entry struct {
			Vers  string `json:"vers"`
			Cksum string `json:"cksum"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || entry.Vers != sp.Version {
			continue
		}
		sum, err := hex.DecodeString(entry.Cksum)
		if err != nil || len(sum) != sha256.Size {
			return "", digest{}, fmt.Errorf("crates.io:%s@%s: bad checksum in the index", sp.Name, sp.Version)
		}
		n, v := url.PathEscape(sp.Name), url.PathEscape(sp.Version)
		return c.Crates + "/crates/" + n + "/" + n + "-" + v + ".crate", digest{"sha256", sum}, nil
	}
	return "", digest{}, fmt.Errorf("crates.io:%s@%s: version not in the index", sp.Name, sp.Version)
}
