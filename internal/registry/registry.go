package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

// Defaults of a Client made by New, and of a zero Options.
const (
	DefaultNPM     = "https://registry.npmjs.org"
	DefaultPyPI    = "https://pypi.org"
	DefaultCrates  = "https://crates.io"
	DefaultTTL     = time.Hour
	DefaultTimeout = 10 * time.Second
	// DefaultMinAge is the age below which a version is a new release.
	// Most malicious versions are reported and taken down within hours to
	// a few days of their publication; three days lets that happen first.
	DefaultMinAge = 72 * time.Hour
	// DefaultNewPackageAge is the age below which a package whose only
	// version is the one checked is a new package.
	DefaultNewPackageAge = 30 * 24 * time.Hour
)

// UserAgent is sent with every request (crates.io refuses requests without one).
const UserAgent = "sapper (https://github.com/sapperhq/sapper)"

// maxMetadataBytes bounds a registry's JSON answer: the packuments of the
// largest npm packages are tens of megabytes (the same bound as package fetch).
const maxMetadataBytes = 128 << 20

// Client reads registry metadata. It is safe for concurrent use. The zero
// value works with the defaults but no base URLs: use New.
type Client struct {
	// HTTP does the requests; nil means http.DefaultClient. Its redirect
	// policy is replaced by one that refuses a redirect to another host or
	// from https to http.
	HTTP *http.Client
	// Base URLs of the registries, without a trailing slash.
	NPM, PyPI, Crates string
	// CacheDir keeps answers, one file per URL; "" means no cache.
	CacheDir string
	// TTL is how long a cached answer is used without asking again;
	// zero means DefaultTTL.
	TTL time.Duration
	// Timeout bounds one metadata request, body included; zero means
	// DefaultTimeout. A tarball download gets six times as long.
	Timeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// maxBody overrides maxMetadataBytes in tests.
	maxBody int64

	mu      sync.Mutex
	flights map[string]*flight // requests in progress, by cache key
}

// New returns a client for the public registries, caching in cacheDir
// ("" for no cache).
func New(cacheDir string) *Client {
	return &Client{
		HTTP:     &http.Client{},
		NPM:      DefaultNPM,
		PyPI:     DefaultPyPI,
		Crates:   DefaultCrates,
		CacheDir: cacheDir,
		TTL:      DefaultTTL,
		Timeout:  DefaultTimeout,
	}
}

// Options select the signals of Signals.
type Options struct {
	// MinAge: a version published less than MinAge ago is a new-release
	// finding. Zero means DefaultMinAge; a negative value turns the
	// signal off.
	MinAge time.Duration
	// NewPackageAge: a package whose only version is the one checked and
	// that was created less than NewPackageAge ago is a new-package
	// finding. Zero means DefaultNewPackageAge; negative turns it off.
	NewPackageAge time.Duration
	// Tarball downloads the npm tarball to compare its package.json with
	// the registry's manifest (manifest-confusion findings). It costs a
	// download per version; other ecosystems ignore it.
	Tarball bool
}

func (o Options) minAge() time.Duration {
	if o.MinAge == 0 {
		return DefaultMinAge
	}
	return o.MinAge
}

func (o Options) newPackageAge() time.Duration {
	if o.NewPackageAge == 0 {
		return DefaultNewPackageAge
	}
	return o.NewPackageAge
}

var (
	// ErrUnsupported is returned, wrapped, for an ecosystem whose registry
	// metadata sapper does not read.
	ErrUnsupported = errors.New("registry signals not supported")
	// ErrNotFound is wrapped by the error for a package or version that
	// the registry does not have.
	ErrNotFound = errors.New("not found on the registry")
	// ErrUnreachable is matched (errors.Is) by the error for a registry
	// that could not be reached, timed out or answered with a server
	// error: the caller can say so once and go on without its signals.
	ErrUnreachable = errors.New("registry unreachable")
)

// Error is a failed registry request or an answer that cannot be used.
type Error struct {
	// Host is the registry's host, as "registry.npmjs.org".
	Host string
	// URL is the URL asked for.
	URL string
	// Unreachable is set when the registry could not be reached, timed
	// out or answered with a server error (5xx, 429).
	Unreachable bool
	Err         error
}

func (e *Error) Error() string {
	if e.Unreachable {
		return fmt.Sprintf("%s unreachable: GET %s: %v", e.Host, e.URL, e.Err)
	}
	return fmt.Sprintf("%s: GET %s: %v", e.Host, e.URL, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnreachable) true for an unreachable registry.
func (e *Error) Is(target error) bool { return target == ErrUnreachable && e.Unreachable }

// Signals returns the registry signals of one package version, in a fixed
// order. Ecosystems without metadata support return an error wrapping
// ErrUnsupported; a package or version the registry does not have, one
// wrapping ErrNotFound.
//
// When opt.Tarball is set and only the tarball comparison fails, Signals
// returns the metadata findings together with the error.
func (c *Client) Signals(ctx context.Context, pkg finding.Package, opt Options) ([]finding.Finding, error) {
	eco := ecosystem.Ecosystem(pkg.Ecosystem)
	switch eco {
	case ecosystem.NPM, ecosystem.PyPI, ecosystem.CratesIO:
	default:
		return nil, fmt.Errorf("%s: %w for %s", pkg, ErrUnsupported, pkg.Ecosystem)
	}
	if err := checkName(eco, pkg.Name); err != nil {
		return nil, err
	}
	if err := checkVersion(pkg.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", pkg, err)
	}
	switch eco {
	case ecosystem.NPM:
		return c.npmSignals(ctx, pkg, opt)
	case ecosystem.PyPI:
		return c.pypiSignals(ctx, pkg, opt)
	default:
		return c.crateSignals(ctx, pkg, opt)
	}
}

// Exists reports whether name exists on the public registry of the
// ecosystem ("npm", "PyPI", "crates.io"), for dependency confusion. An npm
// package whose versions were all unpublished does not exist: it cannot be
// installed.
func (c *Client) Exists(ctx context.Context, eco, name string) (bool, error) {
	e := ecosystem.Ecosystem(eco)
	switch e {
	case ecosystem.NPM, ecosystem.PyPI, ecosystem.CratesIO:
	default:
		return false, fmt.Errorf("%s:%s: %w for %s", eco, name, ErrUnsupported, eco)
	}
	if err := checkName(e, name); err != nil {
		return false, err
	}
	var err error
	switch e {
	case ecosystem.NPM:
		var doc *packument
		doc, err = c.packument(ctx, name)
		if err == nil {
			return len(doc.Versions) > 0, nil
		}
	case ecosystem.PyPI:
		_, err = c.pypiProject(ctx, name)
	default:
		_, err = c.crate(ctx, name)
	}
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// DependencyConfusion returns the finding for pkg, a name that the
// project's configuration calls private (by scope or prefix) but that
// Exists on the public registry: an install that looks at the public
// registry may get someone else's package.
func DependencyConfusion(pkg finding.Package) finding.Finding {
	return finding.Finding{
		Kind:     finding.DependencyConfusion,
		Severity: finding.SeverityHigh,
		Package:  pkg,
		Action:   finding.Warn,
		Summary: fmt.Sprintf("%s is private by the configuration but exists on the public %s registry: an install may fetch the public package",
			pkg.Name, pkg.Ecosystem),
	}
}

// checkName refuses names that cannot be a package of e, before any of
// them goes near a URL.
func checkName(e ecosystem.Ecosystem, name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%s:%s: invalid package name: %s", e, quote(name, 64), why)
	}
	switch {
	case name == "":
		return bad("empty")
	case len(name) > 256:
		return bad("longer than 256 bytes")
	case strings.Contains(name, ".."):
		return bad(`contains ".."`)
	}
	for _, r := range name {
		if r < 0x21 || r == 0x7f || r >= 0x80 && (r < 0xa0 || r == 0xfffd) {
			return bad("contains a space or control character")
		}
	}
	switch e {
	case ecosystem.NPM:
		if len(name) > 214 {
			return bad("longer than 214 bytes")
		}
		if strings.ContainsAny(name, `\%?#`) {
			return bad(`contains \, %, ? or #`)
		}
		if scope, rest, ok := strings.Cut(name, "/"); ok {
			if len(scope) < 2 || scope[0] != '@' || rest == "" || strings.Contains(rest, "/") {
				return bad("a slash only separates @scope and name")
			}
		} else if name[0] == '@' {
			return bad("a scope without a name")
		}
	case ecosystem.PyPI:
		for _, r := range name {
			if !(isAlnum(r) || r == '.' || r == '_' || r == '-') {
				return bad("PyPI names have letters, digits, '.', '_' and '-' only")
			}
		}
	case ecosystem.CratesIO:
		if len(name) > 64 {
			return bad("longer than 64 bytes")
		}
		for _, r := range name {
			if !(isAlnum(r) || r == '_' || r == '-') {
				return bad("crate names have letters, digits, '_' and '-' only")
			}
		}
	}
	return nil
}

// checkVersion refuses versions that could change the meaning of a URL.
func checkVersion(v string) error {
	switch {
	case v == "":
		return errors.New("a registry check needs an exact version")
	case len(v) > 256:
		return errors.New("invalid version: longer than 256 bytes")
	case strings.Contains(v, ".."):
		return fmt.Errorf("invalid version %s", quote(v, 64))
	}
	for _, r := range v {
		if r < 0x21 || r >= 0x7f || strings.ContainsRune(`/\?#%`, r) {
			return fmt.Errorf("invalid version %s", quote(v, 64))
		}
	}
	return nil
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}
