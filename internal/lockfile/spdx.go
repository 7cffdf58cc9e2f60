package lockfile

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_2"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// spdxParser reads SPDX 2.2 and 2.3 documents in JSON
// (https://spdx.github.io/spdx-spec/v2.3/), decoding packages and
// relationships with the types of github.com/spdx/tools-golang.
//
// A package with an external reference of type "purl" in the
// PACKAGE-MANAGER category is a package, at the line of its
// referenceLocator. The package the document DESCRIBES (the project, the
// scanned directory or image) is skipped quietly when it has no package URL;
// other packages without one, or with one of a type sapper has no ecosystem
// for, name nothing to match and are skipped too.
//
// The library's json.Read is not used: it decodes the whole document into an
// interface{} tree before decoding it again into structs (ten times the
// file in memory, for a 256 MiB file), and its Document.UnmarshalJSON drops
// null relationships one by one, quadratic in their number. Decoding the
// members read into the same library types avoids both and leaves out the
// files and snippets, the bulk of a large document.
type spdxParser struct{}

var _ Parser = spdxParser{}

func (spdxParser) Name() string { return "SPDX JSON" }

// Match takes spdx.json and the *.spdx.json names the specification
// recommends for the JSON format.
func (spdxParser) Match(p string) bool {
	return sbomMatch(p, []string{"spdx.json"}, []string{".spdx.json"})
}

func (spdxParser) Parse(ctx context.Context, f File) ([]Package, error) {
	pkgs, _, err := parseSPDX(ctx, f)
	return pkgs, err
}

// spdxDocument is what is decoded of a document at once; the elements of
// its arrays are decoded one by one, so that an error in one has a line.
type spdxDocument struct {
	DocumentDescribes []json.RawMessage `json:"documentDescribes"`
	Packages          []json.RawMessage `json:"packages"`
	Relationships     []json.RawMessage `json:"relationships"`
}

// The top-level arrays decoded.
const (
	spdxDescribes     = "documentDescribes"
	spdxPackages      = "packages"
	spdxRelationships = "relationships"
)

// parseSPDX is Parse, also counting the packages skipped.
func parseSPDX(ctx context.Context, f File) ([]Package, sbomSkips, error) {
	var skips sbomSkips
	data, err := sbomText(f)
	if err != nil {
		return nil, skips, err
	}
	idx, err := newSBOMIndex(ctx, f, data, "SPDX document", sbomIndexOptions{
		Members: []string{"referenceLocator"},
		Arrays:  []string{spdxDescribes, spdxPackages, spdxRelationships},
	})
	if err != nil {
		return nil, skips, err
	}
	if err := spdxCheckHeader(f, idx); err != nil {
		return nil, skips, err
	}
	var doc spdxDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, skips, idx.DecodeError(f, err)
	}
	roots, dev, err := spdxRelations(ctx, f, idx, &doc)
	if err != nil {
		return nil, skips, err
	}

	var pkgs []Package
	top := idx.Member(0, spdxPackages)
	for i, raw := range doc.Packages {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, skips, err
			}
		}
		var sp v2_3.Package
		if err := json.Unmarshal(raw, &sp); err != nil {
			return nil, skips, idx.ElemError(f, spdxPackages, i, err)
		}
		id := string(sp.PackageSPDXIdentifier)
		refs := idx.Member(idx.Elem(top, i), "externalRefs")
		found, unsupported := false, false
		for j, ref := range sp.PackageExternalReferences {
			if ref == nil || !strings.EqualFold(ref.RefType, common.TypePackageManagerPURL) ||
				!strings.EqualFold(ref.Category, common.CategoryPackageManager) {
				continue
			}
			line := idx.Line(idx.Member(idx.Elem(refs, j), "referenceLocator"))
			p, ok, err := sbomPackage(f, line, ref.Locator, sp.PackageVersion)
			if err != nil {
				return nil, skips, err
			}
			if !ok {
				unsupported = true
				continue
			}
			p.Dev = dev[id]
			pkgs = append(pkgs, p)
			found = true
			break // more package URLs name the same package
		}
		switch {
		case found:
		case unsupported:
			skips.Unsupported++
		case !roots[id]:
			skips.NoPURL++
		}
	}
	return pkgs, skips, nil
}

// spdxCheckHeader checks that the document says it is SPDX 2.2 or 2.3.
func spdxCheckHeader(f File, idx *sbomIndex) error {
	v, ok := idx.Top("spdxVersion")
	if !ok {
		if _, ok := idx.Top("@context"); ok {
			return Errorf(f, 0, "SPDX 3 (JSON-LD) is not supported: write SPDX 2.3 JSON instead")
		}
		return Errorf(f, 0, `not an SPDX document: no "spdxVersion" string`)
	}
	if v.Value != v2_2.Version && v.Value != v2_3.Version {
		return Errorf(f, v.Line, "spdxVersion %s is not supported (want %s or %s)",
			quoteSBOM(v.Value), v2_2.Version, v2_3.Version)
	}
	return nil
}

// spdxRelations returns the SPDX identifiers (without "SPDXRef-") of the
// elements the document describes, and of the packages that are
// development dependencies of another, from documentDescribes (SPDX 2.2) and
// the relationships.
func spdxRelations(ctx context.Context, f File, idx *sbomIndex, doc *spdxDocument) (roots, dev map[string]bool, err error) {
	roots, dev = make(map[string]bool), make(map[string]bool)
	spdxID, _ := idx.Top("SPDXID")
	self := strings.TrimPrefix(spdxID.Value, "SPDXRef-")
	for i, raw := range doc.DocumentDescribes {
		if string(raw) == "null" { // the library's UnmarshalJSON refuses it
			continue
		}
		var id common.DocElementID
		if err := json.Unmarshal(raw, &id); err != nil {
			return nil, nil, idx.ElemError(f, spdxDescribes, i, err)
		}
		if id.DocumentRefID == "" {
			roots[string(id.ElementRefID)] = true
		}
	}
	local := func(id common.DocElementID) bool { return id.DocumentRefID == "" && id.SpecialID == "" }
	for i, raw := range doc.Relationships {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		var r v2_3.Relationship
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, nil, idx.ElemError(f, spdxRelationships, i, err)
		}
		if !local(r.RefA) || !local(r.RefB) {
			continue
		}
		a, b := string(r.RefA.ElementRefID), string(r.RefB.ElementRefID)
		switch strings.ToUpper(r.Relationship) {
		case common.TypeRelationshipDescribe:
			if a == self {
				roots[b] = true
			}
		case common.TypeRelationshipDescribeBy:
			if b == self {
				roots[a] = true
			}
		case common.TypeRelationshipDevDependencyOf:
			dev[a] = true
		}
	}
	return roots, dev, nil
}
