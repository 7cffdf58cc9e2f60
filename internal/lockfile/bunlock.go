package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// bunLockParser reads bun.lock, Bun's text lockfile: JSON with trailing
// commas (and, tolerated here, comments) whose "packages" map holds
// arrays such as ["lodash@4.17.21", "", {...}, "sha512-..."]. The binary
// bun.lockb is not read.
type bunLockParser struct{}

var _ Parser = bunLockParser{}

func (bunLockParser) Name() string { return "bun.lock" }

func (bunLockParser) Match(p string) bool { return base(p) == "bun.lock" }

func (bunLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "%w", err)
	}
	return parseBunLock(ctx, f, data)
}

func parseBunLock(ctx context.Context, f File, data []byte) ([]Package, error) {
	data, err := npmText(f, data)
	if err != nil {
		return nil, err
	}
	if data, err = bunClean(f, data); err != nil {
		return nil, err
	}
	j := newNPMJSON(f, data)
	if err := j.open("the top level", 1); err != nil {
		return nil, err
	}
	var inv npmInventory
	for j.dec.More() {
		key, line, err := j.key()
		if err != nil {
			return nil, err
		}
		if key == "packages" {
			err = j.bunPackages(ctx, line, &inv)
		} else {
			err = j.skip(line)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := j.end(); err != nil {
		return nil, err
	}
	return inv.pkgs, nil
}

// bunPackages reads the "packages" map: install path to an array whose
// first element is name@version (or name@spec for git, file, link,
// tarball and workspace packages) and, for registry packages, whose
// second is the tarball URL, "" for the default registry.
func (j *npmJSON) bunPackages(ctx context.Context, line int, inv *npmInventory) error {
	if err := j.open(`"packages"`, line); err != nil {
		return err
	}
	for n := 0; j.dec.More(); n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		key, line, err := j.key()
		if err != nil {
			return err
		}
		what := fmt.Sprintf("packages[%q]", key)
		var elems []json.RawMessage
		if err := j.decode(&elems, line, what); err != nil {
			return err
		}
		if len(elems) == 0 {
			return Errorf(j.f, line, "%s: want [name@version, ...], got an empty or null value", what)
		}
		var id string
		if err := json.Unmarshal(elems[0], &id); err != nil {
			return Errorf(j.f, line, "%s: first element: want a name@version string", what)
		}
		name, spec, ok := npmSplitSpec(id)
		if !ok || name == "" {
			return Errorf(j.f, line, "%s: %q is not name@version", what, yarnShort(id))
		}
		p := Package{
			Ecosystem: ecosystem.NPM,
			Name:      name,
			Location:  Location{Path: j.f.Display, Line: line},
		}
		switch {
		case strings.HasPrefix(spec, "workspace:"), strings.HasPrefix(spec, "root:"):
			continue // the project itself
		case strings.ContainsAny(spec, ":/"):
			p.Source = npmSpecSource(spec)
		default:
			p.Version = spec
			p.Source = Source{Kind: Registry}
			var reg string
			if len(elems) > 1 && json.Unmarshal(elems[1], &reg) == nil && reg != "" {
				p.Source = bunRegistry(reg)
			}
		}
		inv.add(p)
	}
	return j.close(`"packages"`)
}

// bunRegistry classifies the registry element of a package: a tarball URL
// or the base URL of a registry.
func bunRegistry(s string) Source {
	src := npmResolved(s)
	if src.Kind == URL {
		return Source{Kind: Registry, URL: npmRedact(strings.TrimSuffix(s, "/"))}
	}
	return src
}

// bunClean returns a copy of JSONC data that encoding/json accepts: line
// and block comments and trailing commas become spaces, newlines stay, so
// byte offsets and lines are those of the original. It tracks strings, so
// "//" inside a URL is left alone.
func bunClean(f File, data []byte) ([]byte, error) {
	out := bytes.Clone(data)
	comma := -1 // a comma that a closing bracket would make trailing
	var prev byte
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case c == '"':
			for i++; i < len(out) && out[i] != '"'; i++ {
				if out[i] == '\\' {
					i++
				}
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
			continue
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			n := bytes.Index(out[i+2:], []byte("*/"))
			if n < 0 {
				return nil, Errorf(f, bytes.Count(data[:i], []byte("\n"))+1, "unterminated /* comment")
			}
			for end := i + 2 + n + 2; i < end; i++ {
				if out[i] != '\n' {
					out[i] = ' '
				}
			}
			i--
			continue
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == ',' && prev != ',' && prev != '{' && prev != '[' && prev != 0:
			comma = i
			prev = c
			continue
		case (c == '}' || c == ']') && comma >= 0:
			out[comma] = ' '
		}
		comma = -1
		prev = c
	}
	return out, nil
}
