package lockfile

import (
	"context"
	"encoding/json"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/sapperhq/sapper/internal/limits"
)

// cycloneDXParser reads CycloneDX BOMs in JSON, specification versions 1.2
// (the first with a JSON format) to 1.7, decoding components with
// github.com/CycloneDX/cyclonedx-go (https://cyclonedx.org/specification/overview/).
//
// Every component with a package URL is a package, nested components
// included, at the line of its "purl". metadata.component, the project the
// BOM describes, is not, and neither are the tools that made the BOM or the
// ancestors, descendants and variants of a component's pedigree: they are
// not part of what the project installs. Components without a package URL
// (files, operating systems, container images) or with one of a type sapper
// has no ecosystem for (pkg:deb, pkg:apk, ...) name nothing to match and are
// skipped.
type cycloneDXParser struct{}

var _ Parser = cycloneDXParser{}

func (cycloneDXParser) Name() string { return "CycloneDX JSON" }

// Match takes the names the specification recommends (bom.json, *.cdx.json)
// and those of common tools (cyclonedx.json, *.bom.json, *.cyclonedx.json),
// not any JSON file: sbom.json may as well be SPDX.
func (cycloneDXParser) Match(p string) bool {
	return sbomMatch(p, []string{"bom.json", "cyclonedx.json"},
		[]string{".cdx.json", ".bom.json", ".cyclonedx.json"})
}

func (cycloneDXParser) Parse(ctx context.Context, f File) ([]Package, error) {
	pkgs, _, err := parseCycloneDX(ctx, f)
	return pkgs, err
}

// cdxDocument is what is decoded of a BOM at once: its top-level
// components are decoded one by one, so that an error in one has a line.
// The rest (metadata, services, vulnerabilities, ...) names no installed
// package and is not decoded at all.
type cdxDocument struct {
	Components []json.RawMessage `json:"components"`
}

// parseCycloneDX is Parse, also counting the components skipped.
func parseCycloneDX(ctx context.Context, f File) ([]Package, sbomSkips, error) {
	var skips sbomSkips
	data, err := sbomText(f)
	if err != nil {
		return nil, skips, err
	}
	idx, err := newSBOMIndex(ctx, f, data, "CycloneDX BOM", sbomIndexOptions{
		Members: []string{"purl"},
		Arrays:  []string{"components"},
		Nest:    "components",
	})
	if err != nil {
		return nil, skips, err
	}
	if err := cdxCheckHeader(f, idx); err != nil {
		return nil, skips, err
	}
	var doc cdxDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, skips, idx.DecodeError(f, err)
	}
	w := cdxWalker{ctx: ctx, f: f, idx: idx, skips: &skips}
	top := idx.Member(0, "components")
	for i, raw := range doc.Components {
		var c cdx.Component
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, skips, idx.ElemError(f, "components", i, err)
		}
		if err := w.walk(&c, idx.Elem(top, i), 1); err != nil {
			return nil, skips, err
		}
	}
	return w.pkgs, skips, nil
}

// cdxCheckHeader checks that the document says it is a CycloneDX BOM of a
// specification version with a JSON format.
func cdxCheckHeader(f File, idx *sbomIndex) error {
	format, ok := idx.Top("bomFormat")
	if !ok {
		return Errorf(f, 0, `not a CycloneDX BOM: no "bomFormat" string`)
	}
	if format.Value != "CycloneDX" {
		return Errorf(f, format.Line, `not a CycloneDX BOM: bomFormat is %s, not "CycloneDX"`, quoteSBOM(format.Value))
	}
	sv, ok := idx.Top("specVersion")
	if !ok {
		return Errorf(f, format.Line, `no "specVersion" string`)
	}
	for v := cdx.SpecVersion1_2; v <= cdx.SpecVersion1_7; v++ {
		if v.String() == sv.Value {
			return nil
		}
	}
	return Errorf(f, sv.Line, "CycloneDX specVersion %s is not supported (want %s to %s in JSON)",
		quoteSBOM(sv.Value), cdx.SpecVersion1_2, cdx.SpecVersion1_7)
}

// cdxWalker collects the packages of a tree of components.
type cdxWalker struct {
	ctx   context.Context
	f     File
	idx   *sbomIndex
	skips *sbomSkips
	pkgs  []Package
	n     int // components seen
}

// walk adds c, at node of the index and nested depth deep, and the
// components nested in it.
func (w *cdxWalker) walk(c *cdx.Component, node, depth int) error {
	if w.n++; w.n%1024 == 0 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	if depth > limits.MaxNesting { // sbomIndex refuses such a document
		return Errorf(w.f, 0, "components nested more than %d deep", limits.MaxNesting)
	}
	if c.PackageURL == "" {
		w.skips.NoPURL++
	} else {
		p, ok, err := sbomPackage(w.f, w.idx.Line(w.idx.Member(node, "purl")), c.PackageURL, c.Version)
		switch {
		case err != nil:
			return err
		case !ok:
			w.skips.Unsupported++
		default:
			p.Dev = cdxDev(c)
			w.pkgs = append(w.pkgs, p)
		}
	}
	if c.Components == nil {
		return nil
	}
	nested := w.idx.Member(node, "components")
	for j := range *c.Components {
		if err := w.walk(&(*c.Components)[j], w.idx.Elem(nested, j), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// cdxNPMDevelopment is the property of the CycloneDX property taxonomy
// (https://github.com/CycloneDX/cyclonedx-property-taxonomy, cdx:npm) that
// npm and cdxgen set on development dependencies.
const cdxNPMDevelopment = "cdx:npm:package:development"

// cdxDev reports whether c is a development-only dependency: its scope is
// "excluded" (not part of the runtime) or its npm property says so.
func cdxDev(c *cdx.Component) bool {
	if c.Scope == cdx.ScopeExcluded {
		return true
	}
	if c.Properties == nil {
		return false
	}
	for _, pr := range *c.Properties {
		if pr.Name == cdxNPMDevelopment && pr.Value == "true" {
			return true
		}
	}
	return false
}
