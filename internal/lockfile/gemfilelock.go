package lockfile

import (
	"bytes"
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// gemfileLockParser reads Bundler's Gemfile.lock (and gems.locked), a line
// format of sections (https://bundler.io/man/gemfile.5.html and Bundler's
// LockfileParser):
//
//	GEM
//	  remote: https://rubygems.org/
//	  specs:
//	    nokogiri (1.13.0-x86_64-linux)
//	      racc (~> 1.4)
//
// In the source sections (GEM, GIT, PATH, PLUGIN SOURCE), the lines indented
// by four spaces are the locked gems, "name (version[-platform])"; those
// indented by six are their own requirements and are not packages. Other
// sections (PLATFORMS, DEPENDENCIES, CHECKSUMS, ...) name no new versions.
type gemfileLockParser struct{}

var _ Parser = gemfileLockParser{}

func (gemfileLockParser) Name() string { return "Gemfile.lock" }

func (gemfileLockParser) Match(p string) bool {
	b := base(p)
	return b == "Gemfile.lock" || b == "gems.locked"
}

// gemSpecLine matches a locked gem: its name, version and platform, as
// Bundler's NAME_VERSION pattern (the version stops at the first "-").
var gemSpecLine = regexp.MustCompile(`^    ([^ ()]+)(?: \(([^-()]*)(?:-([^()]*))?\))?!?$`)

// gemSection is the source section being read.
type gemSection struct {
	kind    string // "GEM", "GIT", "PATH", "PLUGIN SOURCE"; "" outside one
	remotes []string
}

// source returns where the gems of the section come from.
func (s gemSection) source() Source {
	remote := ""
	if len(s.remotes) > 0 {
		remote = s.remotes[0]
	}
	switch s.kind {
	case "GIT":
		return Source{Kind: Git, URL: remote}
	case "PATH":
		return Source{Kind: Path, URL: remote}
	case "PLUGIN SOURCE":
		return Source{Kind: Registry, URL: remote}
	}
	// Old lockfiles list several remotes in one GEM section, and Bundler
	// may take any gem from any of them: that is how dependency confusion
	// works, so a section that lists rubygems.org at all counts as public.
	if len(s.remotes) == 0 {
		return Source{Kind: Registry}
	}
	for _, r := range s.remotes {
		if rubyGemsOrg(r) {
			return Source{Kind: Registry}
		}
	}
	return Source{Kind: Registry, URL: remote}
}

// rubyGemsOrg reports whether remote is the public RubyGems registry.
func rubyGemsOrg(remote string) bool {
	u, err := url.Parse(remote)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return false
	}
	switch strings.ToLower(u.Hostname()) {
	case "rubygems.org", "www.rubygems.org", "index.rubygems.org":
		return u.Path == "" || u.Path == "/"
	}
	return false
}

func (gemfileLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}

	var pkgs []Package
	var sec gemSection
	// specs holds the packages of the section, whose source is known once
	// the whole section is read (remote lines come first in practice).
	var specs []Package
	flush := func() {
		src := sec.source()
		for i := range specs {
			specs[i].Source = src
		}
		pkgs = append(pkgs, specs...)
		specs = nil
	}
	n := 0
	for raw := range bytes.Lines(data) {
		n++
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line := strings.TrimRight(string(raw), "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if line[0] != ' ' {
			flush()
			switch line {
			case "GEM", "GIT", "PATH", "PLUGIN SOURCE":
				sec = gemSection{kind: line}
			default:
				sec = gemSection{}
			}
			continue
		}
		if sec.kind == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch indent {
		case 2:
			key, val, ok := strings.Cut(line[2:], ":")
			if !ok {
				return nil, Errorf(f, n, "%s section: %s is not a key: value line", sec.kind, quoteShort(line[2:]))
			}
			if key == "remote" {
				sec.remotes = append(sec.remotes, strings.TrimSpace(val))
			}
		case 4:
			m := gemSpecLine.FindStringSubmatch(line)
			if m == nil {
				return nil, Errorf(f, n, "%s section: %s is not a gem as name (version)", sec.kind, quoteShort(line[4:]))
			}
			if m[2] == "" {
				return nil, Errorf(f, n, "%s section: gem %s has no version", sec.kind, quoteShort(m[1]))
			}
			specs = append(specs, Package{
				Ecosystem: ecosystem.RubyGems,
				Name:      m[1],
				Version:   m[2],
				Location:  Location{Path: f.Display, Line: n},
			})
		case 6:
			// A requirement of the gem above.
		default:
			return nil, Errorf(f, n, "%s section: unexpected indentation of %d spaces", sec.kind, indent)
		}
	}
	flush()
	return pkgs, nil
}
