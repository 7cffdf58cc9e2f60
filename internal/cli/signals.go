package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/names"
	"github.com/sapperhq/sapper/internal/policy"
	"github.com/sapperhq/sapper/internal/registry"
)

// signalFlags are the options of name checks and registry signals that
// check, scan and analyze share.
type signalFlags struct {
	noNames bool
	online  bool
	minAge  time.Duration
	// tarball asks, online, for the npm manifest-confusion check, which
	// downloads each package's tarball (check sets it; scan does not).
	tarball bool
}

// addSignalFlags registers --no-names and, when online is true, --online
// and --min-age.
func addSignalFlags(fs *flag.FlagSet, online bool) *signalFlags {
	sf := &signalFlags{}
	fs.BoolVar(&sf.noNames, "no-names", false, "skip the name checks (typosquatting)")
	if online {
		fs.BoolVar(&sf.online, "online", false, "also fetch registry metadata for registry signals: deprecated, yanked, new releases, maintainer changes, added install scripts, dependency confusion")
		fs.DurationVar(&sf.minAge, "min-age", 0, "with --online, versions younger than `AGE` are new releases (default: the policy's, else 72h)")
	}
	return sf
}

// signaller computes the name checks and, online, the registry signals of
// packages, under a policy.
type signaller struct {
	cfg   *policy.Config
	names *names.Checker   // nil when the checks are off
	reg   *registry.Client // nil offline
	opt   registry.Options
	e     *env

	mu          sync.Mutex
	unreachable map[string]bool // ecosystems whose registry did not answer
	warnings    []string
}

// newSignaller prepares the checks that sf and cfg ask for. A popular-name
// list named in the policy that cannot be read is an input error.
func newSignaller(cfg *policy.Config, sf *signalFlags, e *env) (*signaller, error) {
	s := &signaller{cfg: cfg, e: e, unreachable: map[string]bool{}}
	if !sf.noNames && !cfg.Names.Off && !cfg.SignalOff(finding.Typosquat) {
		c, err := names.Default()
		if err != nil {
			return nil, failure(fmt.Errorf("load the popular-name lists: %w", err))
		}
		for _, eco := range slices.Sorted(maps.Keys(cfg.Names.Lists)) {
			p := cfg.Names.Lists[eco]
			f, err := os.Open(p)
			if err != nil {
				return nil, inputError(fmt.Errorf("%s: names.lists: %w", cfg.Path, err))
			}
			list, err := names.ReadList(f)
			f.Close()
			if err != nil {
				return nil, inputError(fmt.Errorf("%s: %w", p, err))
			}
			c = c.WithList(string(eco), list)
		}
		s.names = c
	}
	if sf.online {
		cache, err := os.UserCacheDir()
		if err != nil {
			return nil, failure(fmt.Errorf("registry cache: %w", err))
		}
		s.reg = registry.New(filepath.Join(cache, "sapper", "registry"))
		if u := os.Getenv("SAPPER_NPM_REGISTRY"); u != "" {
			s.reg.NPM = strings.TrimSuffix(u, "/")
		}
		if u := os.Getenv("SAPPER_PYPI"); u != "" {
			s.reg.PyPI = strings.TrimSuffix(u, "/")
		}
		if u := os.Getenv("SAPPER_CRATES"); u != "" {
			s.reg.Crates = strings.TrimSuffix(u, "/")
		}
		s.opt.MinAge = cfg.MinAge(sf.minAge)
		if sf.minAge > 0 {
			s.opt.MinAge = sf.minAge
		}
		s.opt.Tarball = sf.tarball && !cfg.SignalOff(finding.ManifestConfusion)
	}
	return s, nil
}

// signalWorkers bounds the registry requests in flight.
const signalWorkers = 8

// check returns the signals of pkgs (public packages) and of private (the
// policy's private names, checked for dependency confusion when online).
// Findings come back in the order of pkgs; failures to reach a registry
// are said once and recorded in s.warnings.
func (s *signaller) check(ctx context.Context, pkgs, private []finding.Package) [][]finding.Finding {
	out := make([][]finding.Finding, len(pkgs)+len(private))
	if s.names != nil {
		for i, p := range pkgs {
			if m, ok := s.names.Check(p.Ecosystem, p.Name); ok {
				out[i] = append(out[i], m.Finding(p))
			}
		}
	}
	if s.reg == nil {
		return out
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(signalWorkers, len(out)) {
		wg.Go(func() {
			for i := range next {
				if i < len(pkgs) {
					out[i] = append(out[i], s.registrySignals(ctx, pkgs[i])...)
					continue
				}
				if f, ok := s.dependencyConfusion(ctx, private[i-len(pkgs)]); ok {
					out[i] = append(out[i], f)
				}
			}
		})
	}
	for i := range out {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func (s *signaller) registrySignals(ctx context.Context, p finding.Package) []finding.Finding {
	if p.Version == "" || s.skip(p.Ecosystem) {
		return nil
	}
	fs, err := s.reg.Signals(ctx, p, s.opt)
	if err != nil {
		s.fail(p, err) // what was found before the error stands
	}
	return fs
}

func (s *signaller) dependencyConfusion(ctx context.Context, p finding.Package) (finding.Finding, bool) {
	if s.skip(p.Ecosystem) || s.cfg.SignalOff(finding.DependencyConfusion) {
		return finding.Finding{}, false
	}
	ok, err := s.reg.Exists(ctx, p.Ecosystem, p.Name)
	if err != nil {
		s.fail(p, err)
		return finding.Finding{}, false
	}
	if !ok {
		return finding.Finding{}, false
	}
	return registry.DependencyConfusion(p), true
}

// skip reports whether the ecosystem's registry already failed to answer.
func (s *signaller) skip(eco string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unreachable[eco]
}

// fail records a registry failure: an unreachable registry is said once and
// not asked again; an ecosystem without registry signals is silent; other
// errors are a warning about the package.
func (s *signaller) fail(p finding.Package, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, registry.ErrUnsupported):
		if !s.unreachable[p.Ecosystem] {
			s.unreachable[p.Ecosystem] = true
			s.warnings = append(s.warnings, fmt.Sprintf("registry signals are not available for %s packages", p.Ecosystem))
		}
	case errors.Is(err, registry.ErrUnreachable):
		if !s.unreachable[p.Ecosystem] {
			s.unreachable[p.Ecosystem] = true
			s.warnings = append(s.warnings, fmt.Sprintf("registry signals for %s were skipped: %v", p.Ecosystem, err))
		}
	case errors.Is(err, context.Canceled):
	default:
		s.warnings = append(s.warnings, fmt.Sprintf("registry signals for %s: %v", p, err))
	}
}

// offlineNote is said once when registry signals were not fetched.
// It is a plain line on stderr, for a person, like the progress bar.
const offlineNote = "sapper: registry signals (deprecated, yanked, new releases, maintainer changes, added install scripts) need --online; skipped"
