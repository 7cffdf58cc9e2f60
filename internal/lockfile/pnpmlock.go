package lockfile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// pnpmLockParser reads pnpm-lock.yaml: lockfileVersion 5 (package keys
// /name/1.0.0_peer@1), 6 (/name@1.0.0(peer@1)) and 9 (name@1.0.0 in
// "packages", peer variants in "snapshots"). Peer suffixes are dropped;
// the "resolution" of each package says where it comes from.
type pnpmLockParser struct{}

var _ Parser = pnpmLockParser{}

func (pnpmLockParser) Name() string { return "pnpm-lock.yaml" }

func (pnpmLockParser) Match(p string) bool { return base(p) == "pnpm-lock.yaml" }

func (pnpmLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "%w", err)
	}
	return parsePnpmLock(ctx, f, data)
}

// pnpmMaxDocuments bounds the YAML documents read from one file; pnpm
// writes one, or two when it also locks its own dependencies.
const pnpmMaxDocuments = 8

func parsePnpmLock(ctx context.Context, f File, data []byte) ([]Package, error) {
	data, err := npmText(f, data)
	if err != nil {
		return nil, err
	}
	var inv npmInventory
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, npmYAMLError(f, err)
		}
		if n >= pnpmMaxDocuments {
			return nil, Errorf(f, doc.Line, "more than %d YAML documents", pnpmMaxDocuments)
		}
		if err := pnpmDocument(ctx, f, &doc, &inv); err != nil {
			return nil, err
		}
	}
	return inv.pkgs, nil
}

func pnpmDocument(ctx context.Context, f File, doc *yaml.Node, inv *npmInventory) error {
	if len(doc.Content) == 0 {
		return nil
	}
	root := npmYAMLDeref(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return Errorf(f, root.Line, "want a mapping at the top level, got %s", npmYAMLKind(root))
	}
	v, err := npmYAMLString(f, root, "lockfileVersion")
	if err != nil {
		return err
	}
	// "5.4", '6.0', '9.0'; versions 7 and 8 were never released but keyed
	// packages as 9 does.
	major := 0
	if v != "" {
		m, _, _ := strings.Cut(v, ".")
		if major, err = strconv.Atoi(m); err != nil || major < 1 {
			return Errorf(f, npmYAMLField(root, "lockfileVersion").Line, "lockfileVersion %q is not a number", yarnShort(v))
		}
	}
	pkgs := npmYAMLField(root, "packages")
	if pkgs == nil || pkgs.Kind == yaml.ScalarNode && pkgs.Tag == "!!null" {
		return nil
	}
	if pkgs.Kind != yaml.MappingNode {
		return Errorf(f, pkgs.Line, "packages: want a mapping, got %s", npmYAMLKind(pkgs))
	}
	for i := 0; i+1 < len(pkgs.Content); i += 2 {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		k, v := pkgs.Content[i], npmYAMLDeref(pkgs.Content[i+1])
		p, err := pnpmPackage(f, major, k, v)
		if err != nil {
			return err
		}
		inv.add(p)
	}
	return nil
}

// pnpmPackage reads one entry of "packages".
func pnpmPackage(f File, major int, k, v *yaml.Node) (Package, error) {
	key := k.Value
	if k.Kind != yaml.ScalarNode || key == "" {
		return Package{}, Errorf(f, k.Line, "packages: want a package key, got %s", npmYAMLKind(k))
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		v = &yaml.Node{Kind: yaml.MappingNode}
	}
	if v.Kind != yaml.MappingNode {
		return Package{}, Errorf(f, k.Line, "packages[%q]: want a mapping, got %s", yarnShort(key), npmYAMLKind(v))
	}
	p := Package{
		Ecosystem: ecosystem.NPM,
		Location:  Location{Path: f.Display, Line: k.Line},
	}
	// Packages from outside the registry carry their name and version.
	name, err := npmYAMLString(f, v, "name")
	if err != nil {
		return Package{}, err
	}
	version, err := npmYAMLString(f, v, "version")
	if err != nil {
		return Package{}, err
	}
	spec := ""
	if name == "" {
		var ok bool
		p.Name, spec, ok = pnpmKey(major, key)
		if !ok {
			return Package{}, Errorf(f, k.Line, "package key %q is not name@version or /name/version", yarnShort(key))
		}
		// A version that is a spec (file:, a tarball or git URL) is not
		// a version.
		if !strings.Contains(spec, ":") {
			p.Version = spec
		}
	} else {
		p.Name = name
	}
	if version != "" {
		p.Version = version
	}
	dev, err := npmYAMLString(f, v, "dev")
	if err != nil {
		return Package{}, err
	}
	p.Dev = dev == "true"
	res := npmYAMLField(v, "resolution")
	switch {
	case res == nil || res.Kind == yaml.ScalarNode && res.Tag == "!!null":
		p.Source = npmSpecSource(spec)
	case res.Kind != yaml.MappingNode:
		return Package{}, Errorf(f, res.Line, "resolution: want a mapping, got %s", npmYAMLKind(res))
	default:
		if p.Source, err = pnpmResolution(f, res, spec); err != nil {
			return Package{}, err
		}
	}
	return p, nil
}

// pnpmResolution reads a resolution: {integrity} for the registry,
// {tarball}, {type: git, repo, commit} or {type: directory, directory}.
func pnpmResolution(f File, res *yaml.Node, spec string) (Source, error) {
	var fields [5]string
	for i, key := range []string{"type", "tarball", "repo", "commit", "directory"} {
		s, err := npmYAMLString(f, res, key)
		if err != nil {
			return Source{}, err
		}
		fields[i] = s
	}
	typ, tarball, repo, commit, dir := fields[0], fields[1], fields[2], fields[3], fields[4]
	switch {
	case typ == "git" || repo != "":
		u := repo
		if commit != "" {
			u += "#" + commit
		}
		return Source{Kind: Git, URL: npmRedact(u)}, nil
	case typ == "directory" || dir != "":
		return Source{Kind: Path, URL: dir}, nil
	case tarball != "":
		return npmResolved(tarball), nil
	}
	return npmSpecSource(spec), nil
}

// pnpmKey splits a package key into name and version (or spec), dropping
// the leading '/' of versions 5 and 6 and peer suffixes: "_peer@1" in 5,
// "(peer@1)" later.
func pnpmKey(major int, key string) (name, version string, ok bool) {
	k, slash := strings.CutPrefix(key, "/")
	if slash && major > 0 && major < 6 {
		return pnpmSlashKey(k)
	}
	name, version, ok = npmSplitSpec(k)
	if !ok {
		if slash && major == 0 {
			return pnpmSlashKey(k)
		}
		return "", "", false
	}
	if i := strings.IndexByte(version, '('); i >= 0 {
		version = version[:i]
	}
	return name, version, name != "" && version != ""
}

// pnpmSlashKey splits a version 5 key without its '/': name/1.0.0_peer or
// @scope/name/1.0.0_peer.
func pnpmSlashKey(k string) (name, version string, ok bool) {
	i := strings.LastIndexByte(k, '/')
	if i <= 0 {
		return "", "", false
	}
	name, version = k[:i], k[i+1:]
	version, _, _ = strings.Cut(version, "_")
	if strings.HasPrefix(name, "@") != strings.Contains(name, "/") || strings.Count(name, "/") > 1 {
		return "", "", false
	}
	return name, version, name != "" && version != ""
}
