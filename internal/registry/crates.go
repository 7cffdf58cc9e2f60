package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/finding"
)

// crateDoc is the answer of crates.io's GET /api/v1/crates/{name}, as far
// as the signals read it.
type crateDoc struct {
	Crate struct {
		Name      string `json:"name"`
		CreatedAt string `json:"created_at"`
	} `json:"crate"`
	Versions []crateVersion `json:"versions"`
}

type crateVersion struct {
	Num         string  `json:"num"`
	CreatedAt   string  `json:"created_at"`
	Yanked      bool    `json:"yanked"`
	YankMessage *string `json:"yank_message"`
	PublishedBy *struct {
		Login string `json:"login"`
	} `json:"published_by"`
}

func decodeCrate(u string, body []byte) (*crateDoc, error) {
	var doc crateDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, malformed(u, "crates.io crate JSON", err)
	}
	if doc.Crate.Name == "" {
		return nil, malformed(u, "crates.io crate JSON: no crate.name", nil)
	}
	return &doc, nil
}

func (c *Client) crateURL(name string) string {
	return strings.TrimRight(c.Crates, "/") + "/api/v1/crates/" + url.PathEscape(name)
}

func (c *Client) crate(ctx context.Context, name string) (*crateDoc, error) {
	u := c.crateURL(name)
	body, err := c.get(ctx, u, "application/json")
	if err != nil {
		return nil, err
	}
	return decodeCrate(u, body)
}

func (c *Client) crateSignals(ctx context.Context, pkg finding.Package, opt Options) ([]finding.Finding, error) {
	doc, err := c.crate(ctx, pkg.Name)
	if err != nil {
		return nil, err
	}
	out, ok := crateFindings(doc, pkg, opt, c.now())
	if !ok {
		u := c.crateURL(pkg.Name)
		return nil, &Error{Host: hostOf(u), URL: u, Err: fmt.Errorf("version %s %w", pkg.Version, ErrNotFound)}
	}
	return out, nil
}

// crateFindings computes the signals of pkg from its crate document; it
// reports false when the document lacks the version.
func crateFindings(doc *crateDoc, pkg finding.Package, opt Options, now time.Time) ([]finding.Finding, bool) {
	rels := make([]*release, 0, len(doc.Versions))
	byRel := map[*release]*crateVersion{}
	for i := range doc.Versions {
		v := &doc.Versions[i]
		at, _ := parseTime(v.CreatedAt)
		r := parseRelease(ecosystem.CratesIO, v.Num, at)
		if v.PublishedBy != nil {
			r.publisher = v.PublishedBy.Login
		}
		rels = append(rels, r)
		byRel[r] = v
	}
	cur := find(ecosystem.CratesIO, rels, pkg.Version)
	if cur == nil {
		return nil, false
	}
	var out []finding.Finding
	if v := byRel[cur]; v.Yanked {
		out = append(out, yank(pkg, v.YankMessage))
	}
	created, ok := parseTime(doc.Crate.CreatedAt)
	if !ok {
		created = cur.at
	}
	out = append(out, ageSignals(pkg, opt, now, cur, len(doc.Versions), created)...)
	if f, ok := maintainerChange(pkg, rels, cur, previous(rels, cur)); ok {
		out = append(out, f)
	}
	return out, true
}
