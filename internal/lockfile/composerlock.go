package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// composerLockParser reads Composer's composer.lock
// (https://getcomposer.org/doc/01-basic-usage.md#commit-your-composer-lock-file-to-version-control):
// the "packages" and, as development dependencies, "packages-dev" arrays.
// Versions are kept as written ("v1.2.3", "dev-main"). Composer records no
// repository per package: a package whose dist is a "path" is a local
// directory, every other one is taken as coming from Packagist, whatever its
// source (most are git checkouts of the repository Packagist points to).
type composerLockParser struct{}

var _ Parser = composerLockParser{}

func (composerLockParser) Name() string { return "composer.lock" }

func (composerLockParser) Match(p string) bool { return base(p) == "composer.lock" }

type composerPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Dist    *struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"dist"`
	Source *struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"source"`
}

func (composerLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}
	lines := NewLines(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) error { return jsonError(f, data, lines, 0, "", err) }
	if ok, err := jsonExpectDelim(dec, '{'); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("found null where the lockfile object should start")
		}
		return nil, jsonErrorOr(f, data, lines, dec, "", err)
	}
	var pkgs []Package
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		key, _ := tok.(string)
		if key != "packages" && key != "packages-dev" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(err)
			}
			continue
		}
		ok, err := jsonExpectDelim(dec, '[')
		if err != nil {
			return nil, jsonErrorOr(f, data, lines, dec, key, err)
		}
		if !ok {
			continue // null
		}
		for i := 1; dec.More(); i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, fail(err)
			}
			start := dec.InputOffset() - int64(len(raw))
			line := lines.At(start)
			var cp composerPackage
			if err := json.Unmarshal(raw, &cp); err != nil {
				return nil, jsonError(f, data, lines, start, fmt.Sprintf("%s[%d]", key, i), err)
			}
			if cp.Name == "" {
				return nil, Errorf(f, line, "%s[%d] has no name", key, i)
			}
			p := Package{
				Ecosystem: ecosystem.Packagist,
				Name:      cp.Name,
				Version:   cp.Version,
				Location:  Location{Path: f.Display, Line: line},
				Dev:       key == "packages-dev",
			}
			switch {
			case cp.Dist != nil && cp.Dist.Type == "path":
				p.Source = Source{Kind: Path, URL: cp.Dist.URL}
			case cp.Dist == nil && cp.Source != nil && cp.Source.Type == "path":
				p.Source = Source{Kind: Path, URL: cp.Source.URL}
			}
			pkgs = append(pkgs, p)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return nil, fail(err)
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(f, lines.At(dec.InputOffset()), "data after the lockfile object")
	}
	return pkgs, nil
}
