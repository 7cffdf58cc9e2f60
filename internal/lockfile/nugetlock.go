package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// nugetLockParser reads NuGet's packages.lock.json, versions 1 and 2
// (https://learn.microsoft.com/nuget/consume-packages/package-references-in-project-files#locking-dependencies):
// for each target framework ("net8.0", "net8.0/win-x64"), every package with
// its resolved version. Entries of type "Project" are the solution's own
// projects. A package locked for several frameworks is reported once, at its
// first entry.
type nugetLockParser struct{}

var _ Parser = nugetLockParser{}

func (nugetLockParser) Name() string { return "packages.lock.json" }

func (nugetLockParser) Match(p string) bool { return base(p) == "packages.lock.json" }

type nugetEntry struct {
	Type     string `json:"type"`
	Resolved string `json:"resolved"`
}

func (nugetLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}
	lines := NewLines(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(context string, err error) error {
		return jsonErrorOr(f, data, lines, dec, context, err)
	}
	if ok, err := jsonExpectDelim(dec, '{'); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("found null where the lockfile object should start")
		}
		return nil, fail("", err)
	}

	type key struct {
		name, version string
		kind          SourceKind
	}
	seen := make(map[key]bool)
	var pkgs []Package
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail("", err)
		}
		if tok != "dependencies" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail("", err)
			}
			continue
		}
		ok, err := jsonExpectDelim(dec, '{')
		if err != nil {
			return nil, fail("dependencies", err)
		}
		if !ok {
			continue
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, fail("dependencies", err)
			}
			framework, _ := tok.(string)
			ok, err := jsonExpectDelim(dec, '{')
			if err != nil {
				return nil, fail("framework "+quoteShort(framework), err)
			}
			if !ok {
				continue
			}
			for dec.More() {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				tok, err := dec.Token()
				if err != nil {
					return nil, fail("framework "+quoteShort(framework), err)
				}
				name, _ := tok.(string)
				line := lines.At(dec.InputOffset() - 1)
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return nil, fail("package "+quoteShort(name), err)
				}
				start := dec.InputOffset() - int64(len(raw))
				var e nugetEntry
				if err := json.Unmarshal(raw, &e); err != nil {
					return nil, jsonError(f, data, lines, start, "package "+quoteShort(name), err)
				}
				if name == "" {
					return nil, Errorf(f, line, "framework %s: package with an empty name", quoteShort(framework))
				}
				p := Package{
					Ecosystem: ecosystem.NuGet,
					Name:      name,
					Version:   e.Resolved,
					Location:  Location{Path: f.Display, Line: line},
				}
				if e.Type == "Project" {
					p.Source = Source{Kind: Path}
				}
				k := key{ecosystem.Normalize(ecosystem.NuGet, name), e.Resolved, p.Source.Kind}
				if seen[k] {
					continue
				}
				seen[k] = true
				pkgs = append(pkgs, p)
			}
			if _, err := dec.Token(); err != nil { // '}' of the framework
				return nil, fail("", err)
			}
		}
		if _, err := dec.Token(); err != nil { // '}' of dependencies
			return nil, fail("", err)
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return nil, fail("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(f, lines.At(dec.InputOffset()), "data after the lockfile object")
	}
	return pkgs, nil
}
