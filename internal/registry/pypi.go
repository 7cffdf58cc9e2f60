package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/version"
)

// pypiFile is a distribution file of a release in PyPI's JSON API
// (https://docs.pypi.org/api/json/).
type pypiFile struct {
	Filename     string  `json:"filename"`
	UploadTime   string  `json:"upload_time"`
	UploadTimeTZ string  `json:"upload_time_iso_8601"`
	Yanked       bool    `json:"yanked"`
	YankedReason *string `json:"yanked_reason"`
}

func (f pypiFile) uploaded() (time.Time, bool) {
	if t, ok := parseTime(f.UploadTimeTZ); ok {
		return t, true
	}
	return parseTime(f.UploadTime)
}

// pypiRelease is the answer of GET /pypi/{name}/{version}/json.
type pypiRelease struct {
	Info struct {
		Name         string  `json:"name"`
		Version      string  `json:"version"`
		Yanked       bool    `json:"yanked"`
		YankedReason *string `json:"yanked_reason"`
	} `json:"info"`
	URLs []pypiFile `json:"urls"`
}

// pypiProjectDoc is the answer of GET /pypi/{name}/json; only its
// releases are read.
type pypiProjectDoc struct {
	Info struct {
		Name string `json:"name"`
	} `json:"info"`
	Releases map[string][]pypiFile `json:"releases"`
}

func decodePyPIRelease(u string, body []byte) (*pypiRelease, error) {
	var doc pypiRelease
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, malformed(u, "PyPI release JSON", err)
	}
	return &doc, nil
}

func decodePyPIProject(u string, body []byte) (*pypiProjectDoc, error) {
	var doc pypiProjectDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, malformed(u, "PyPI project JSON", err)
	}
	return &doc, nil
}

// pypiBase is the JSON API URL of a project, by its PEP 503 name (PyPI
// redirects other spellings there).
func (c *Client) pypiBase(name string) string {
	return strings.TrimRight(c.PyPI, "/") + "/pypi/" + url.PathEscape(ecosystem.Normalize(ecosystem.PyPI, name))
}

func (c *Client) pypiProject(ctx context.Context, name string) (*pypiProjectDoc, error) {
	u := c.pypiBase(name) + "/json"
	body, err := c.get(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	return decodePyPIProject(u, body)
}

func (c *Client) pypiRelease(ctx context.Context, name, ver string) (*pypiRelease, error) {
	u := c.pypiBase(name) + "/" + url.PathEscape(ver) + "/json"
	body, err := c.get(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	return decodePyPIRelease(u, body)
}

func (c *Client) pypiSignals(ctx context.Context, pkg finding.Package, opt Options) ([]finding.Finding, error) {
	rel, err := c.pypiRelease(ctx, pkg.Name, pkg.Version)
	var project *pypiProjectDoc
	if errors.Is(err, ErrNotFound) {
		// PyPI knows "1.0" only as it was uploaded, maybe as "1.0.0":
		// look for an equal version among the releases.
		project, err = c.pypiProject(ctx, pkg.Name)
		if err != nil {
			return nil, err
		}
		id := pypiFind(project, pkg.Version)
		if id == "" {
			u := c.pypiBase(pkg.Name) + "/json"
			return nil, &Error{Host: hostOf(u), URL: u, Err: fmt.Errorf("version %s %w", pkg.Version, ErrNotFound)}
		}
		rel, err = c.pypiRelease(ctx, pkg.Name, id)
	}
	if err != nil {
		return nil, err
	}
	return c.pypiFindings(ctx, pkg, opt, rel, project)
}

// pypiFindings computes the signals from a release; it fetches the
// project for the new-package signal only when the release is young
// enough for it (project may be nil).
func (c *Client) pypiFindings(ctx context.Context, pkg finding.Package, opt Options, rel *pypiRelease, project *pypiProjectDoc) ([]finding.Finding, error) {
	var out []finding.Finding
	yanked, reason := rel.Info.Yanked, rel.Info.YankedReason
	if !yanked && len(rel.URLs) > 0 {
		yanked = true
		for _, f := range rel.URLs {
			yanked = yanked && f.Yanked
			if f.YankedReason != nil && reason == nil {
				reason = f.YankedReason
			}
		}
	}
	if yanked {
		out = append(out, yank(pkg, reason))
	}
	id := rel.Info.Version
	if id == "" {
		id = pkg.Version
	}
	cur := &release{id: id, at: earliest(rel.URLs)}
	now := c.now()
	releases, created := 0, time.Time{}
	if max := opt.newPackageAge(); max > 0 && !cur.at.IsZero() && now.Sub(cur.at) < max {
		if project == nil {
			var err error
			if project, err = c.pypiProject(ctx, pkg.Name); err != nil {
				return nil, err
			}
		}
		releases = len(project.Releases)
		for _, files := range project.Releases {
			if t := earliest(files); !t.IsZero() && (created.IsZero() || t.Before(created)) {
				created = t
			}
		}
	}
	out = append(out, ageSignals(pkg, opt, now, cur, releases, created)...)
	return out, nil
}

// pypiFind returns the release key of project equal to v, or "".
func pypiFind(project *pypiProjectDoc, v string) string {
	want := version.Canonical(ecosystem.PyPI, v)
	for _, id := range slices.Sorted(maps.Keys(project.Releases)) {
		if version.Canonical(ecosystem.PyPI, id) == want {
			return id
		}
	}
	return ""
}

// earliest returns the earliest upload time of files.
func earliest(files []pypiFile) time.Time {
	var t time.Time
	for _, f := range files {
		if u, ok := f.uploaded(); ok && (t.IsZero() || u.Before(t)) {
			t = u
		}
	}
	return t
}

func yank(pkg finding.Package, reason *string) finding.Finding {
	summary := "yanked (no reason given)"
	if reason != nil && strings.TrimSpace(*reason) != "" {
		summary = "yanked: " + quote(*reason, 200)
	}
	return newFinding(pkg, finding.Yanked, finding.SeverityMedium, summary)
}
