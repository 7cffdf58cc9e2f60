// Package feedtest generates synthetic OSV records of malicious packages, in
// the shape and layout of the OpenSSF Malicious Packages Repository, for
// tests and benchmarks of code that imports them.
//
// Records are about 2 KB, like real ones: a summary, per-source details,
// database_specific origins with hashes and import times, either a list of
// versions or an introduced:"0" range, some aliases, credits and references.
// Ecosystems follow the real distribution: mostly npm, then PyPI, then
// RubyGems, NuGet, Go, crates.io and Maven. About 3% of records are
// withdrawn. Output depends only on the arguments.
package feedtest

import (
	"archive/zip"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"os"
	"path"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// File is one generated record and where the OpenSSF layout keeps it.
type File struct {
	// Path is the slash-separated path below the repository root, such as
	// "osv/malicious/npm/left-pad/MAL-2024-17.json".
	Path string
	// ID is the record's ID, such as "MAL-2024-17".
	ID string
	// Ecosystem and Name are the affected package.
	Ecosystem ecosystem.Ecosystem
	Name      string
	// Withdrawn is set for a record with a withdrawn time, kept under
	// osv/withdrawn/.
	Withdrawn bool
	// Data is the record as indented JSON.
	Data []byte
}

// Files returns the n records that Generate writes for seed, in index order.
func Files(n int, seed int64) iter.Seq[File] {
	return func(yield func(File) bool) {
		for i := range n {
			if !yield(file(i, seed)) {
				return
			}
		}
	}
}

// Generate writes n records into dir in the layout of the OpenSSF Malicious
// Packages Repository: osv/malicious/<ecosystem>/<name>/MAL-YYYY-N.json and,
// for withdrawn ones, osv/withdrawn/<ecosystem>/<name>/MAL-YYYY-N.json.
// It creates dir if needed.
func Generate(dir string, n int, seed int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	defer root.Close()
	made := map[string]bool{}
	for f := range Files(n, seed) {
		if d := path.Dir(f.Path); !made[d] {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("generate: %w", err)
			}
			made[d] = true
		}
		if err := root.WriteFile(f.Path, f.Data, 0o644); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
	}
	return nil
}

// GenerateZip writes n records into a new zip archive at path, as osv.dev's
// all.zip: one deflated <ID>.json entry per record, without directories.
func GenerateZip(path string, n int, seed int64) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(out)
	for f := range Files(n, seed) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.ID + ".json", Method: zip.Deflate, Modified: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			out.Close()
			return fmt.Errorf("generate %s: %w", path, err)
		}
		if _, err := w.Write(f.Data); err != nil {
			out.Close()
			return fmt.Errorf("generate %s: %w", path, err)
		}
	}
	if err := zw.Close(); err != nil {
		out.Close()
		return fmt.Errorf("generate %s: %w", path, err)
	}
	return out.Close()
}

// Record returns record i for seed as a record of ecosystem eco that is not
// withdrawn. eco should be one of the ecosystems the generator knows (npm,
// PyPI, RubyGems, NuGet, Go, crates.io, Maven); others get npm-style names.
func Record(i int, eco ecosystem.Ecosystem, seed int64) []byte {
	s := newSpec(i, seed)
	s.eco = eco
	s.name = packageName(s.rng, eco, i)
	s.withdrawn = false
	return s.marshal()
}

// ecosystems and their weights in the real repository, in percent.
var ecosystems = []struct {
	eco    ecosystem.Ecosystem
	dir    string // directory name in the layout
	weight float64
}{
	{ecosystem.NPM, "npm", 80},
	{ecosystem.PyPI, "pypi", 13.5},
	{ecosystem.RubyGems, "rubygems", 2.6},
	{ecosystem.NuGet, "nuget", 2.2},
	{ecosystem.Go, "go", 0.9},
	{ecosystem.CratesIO, "crates-io", 0.5},
	{ecosystem.Maven, "maven", 0.3},
}

func ecoDir(e ecosystem.Ecosystem) string {
	for _, x := range ecosystems {
		if x.eco == e {
			return x.dir
		}
	}
	return strings.ToLower(string(e))
}

// spec is what is random about one record.
type spec struct {
	i         int
	rng       *rand.Rand
	eco       ecosystem.Ecosystem
	name      string
	withdrawn bool
}

func rngFor(i int, seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(i)))
}

// newSpec picks the ecosystem and name of record i. One record in ten
// reports the same package as the record before it, as packages with
// several reports are common.
func newSpec(i int, seed int64) *spec {
	base := i
	if i%10 == 1 {
		base = i - 1
	}
	r := rngFor(base, seed)
	eco := pickEcosystem(r)
	name := packageName(r, eco, base)
	s := &spec{i: i, rng: rngFor(i, seed^0x5eed), eco: eco, name: name}
	s.withdrawn = s.rng.Float64() < 0.034
	return s
}

func pickEcosystem(r *rand.Rand) ecosystem.Ecosystem {
	x := r.Float64() * 100
	for _, e := range ecosystems {
		if x < e.weight {
			return e.eco
		}
		x -= e.weight
	}
	return ecosystem.NPM
}

func file(i int, seed int64) File {
	s := newSpec(i, seed)
	data := s.marshal()
	top := "malicious"
	if s.withdrawn {
		top = "withdrawn"
	}
	dirName := s.name
	if s.eco == ecosystem.PyPI || s.eco == ecosystem.NuGet {
		dirName = strings.ToLower(dirName)
	}
	return File{
		Path:      path.Join("osv", top, ecoDir(s.eco), dirName, s.id()+".json"),
		ID:        s.id(),
		Ecosystem: s.eco,
		Name:      s.name,
		Withdrawn: s.withdrawn,
		Data:      data,
	}
}

func (s *spec) id() string { return fmt.Sprintf("MAL-%d-%d", 2022+s.i%4, s.i+1) }

var words = strings.Fields(`
	access admin analytics api async auth axios babel backend bot bridge
	browser build cache canvas chain chart cli client cloud color common
	config core crypto data date debug deploy dev discord docs editor env
	event express fetch file form format frontend gateway graph helper hook
	http icon image json kit layout lib loader logger mail market media
	mongo native net node notify oauth panel parser pay player plugin
	portal proxy query react redis request router runtime schema sdk
	server service shared socket sql store stream style sync table test
	theme token tool ui util validator vue wallet web widget worker
`)

func word(r *rand.Rand) string { return words[r.IntN(len(words))] }

// packageName returns a package name in the style of eco; i keeps names of
// different records apart.
func packageName(r *rand.Rand, eco ecosystem.Ecosystem, i int) string {
	a, b := word(r), word(r)
	switch eco {
	case ecosystem.PyPI:
		return fmt.Sprintf("%s%s_%s%d", a, b, word(r), i)
	case ecosystem.RubyGems, ecosystem.CratesIO:
		return fmt.Sprintf("%s_%s-%d", a, b, i)
	case ecosystem.NuGet:
		return fmt.Sprintf("%s.%s.%s%d", title(a), title(b), title(word(r)), i)
	case ecosystem.Go:
		return fmt.Sprintf("github.com/%s%s%d/%s", a, b, i, word(r))
	case ecosystem.Maven:
		return fmt.Sprintf("io.github.%s%d:%s-%s", a, i, b, word(r))
	default: // npm
		if r.IntN(8) == 0 {
			return fmt.Sprintf("@%s-%s/%s-%d", a, b, word(r), i)
		}
		return fmt.Sprintf("%s-%s-%d", a, b, i)
	}
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// The JSON shape of a record, in the field order of the real files.
type (
	record struct {
		Modified         string      `json:"modified"`
		Published        string      `json:"published"`
		Withdrawn        string      `json:"withdrawn,omitempty"`
		SchemaVersion    string      `json:"schema_version"`
		ID               string      `json:"id"`
		Aliases          []string    `json:"aliases,omitempty"`
		Summary          string      `json:"summary"`
		Details          string      `json:"details"`
		Affected         []affected  `json:"affected"`
		References       []reference `json:"references,omitempty"`
		Credits          []credit    `json:"credits,omitempty"`
		DatabaseSpecific dbSpecific  `json:"database_specific"`
	}
	affected struct {
		Package          pkg       `json:"package"`
		Ranges           []rng     `json:"ranges,omitempty"`
		Versions         []string  `json:"versions,omitempty"`
		DatabaseSpecific *cweBlock `json:"database_specific,omitempty"`
	}
	pkg struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		PURL      string `json:"purl,omitempty"`
	}
	rng struct {
		Type   string  `json:"type"`
		Events []event `json:"events"`
	}
	event struct {
		Introduced string `json:"introduced"`
	}
	cweBlock struct {
		CWEs []cwe `json:"cwes"`
	}
	cwe struct {
		ID          string `json:"cweId"`
		Description string `json:"description"`
		Name        string `json:"name"`
	}
	reference struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	}
	credit struct {
		Name    string   `json:"name"`
		Type    string   `json:"type"`
		Contact []string `json:"contact"`
	}
	dbSpecific struct {
		IOCs    *iocs    `json:"iocs,omitempty"`
		Origins []origin `json:"malicious-packages-origins"`
	}
	iocs struct {
		URLs []string `json:"urls"`
	}
	origin struct {
		ID           string   `json:"id,omitempty"`
		ImportTime   string   `json:"import_time"`
		ModifiedTime string   `json:"modified_time"`
		Ranges       []rng    `json:"ranges,omitempty"`
		SHA256       string   `json:"sha256"`
		Source       string   `json:"source"`
		Versions     []string `json:"versions,omitempty"`
	}
)

// sources of reports, with their credits and the text of their details.
var sources = []struct {
	name, credit, contact, text string
}{
	{"reversing-labs", "ReversingLabs", "https://www.reversinglabs.com", ""},
	{"ghsa-malware", "", "", "Any computer that has this package installed or running should be considered fully compromised. All secrets and keys stored on that computer should be rotated immediately from a different computer. The package should be removed, but as full control of the computer may have been given to an outside entity, there is no guarantee that removing the package will remove all malicious software resulting from installing it.\n"},
	{"checkmarx", "Checkmarx", "supplychainsecurity@checkmarx.com", "The package %[1]s downloads and runs a second-stage payload when it is installed, and sends the machine's environment variables, hostname and user name to a remote server.\n"},
	{"ossf-package-analysis", "OpenSSF: Package Analysis", "https://github.com/ossf/package-analysis", "The OpenSSF Package Analysis project identified '%[1]s' @ %[2]s (%[3]s) as malicious.\n\nIt is considered malicious because:\n\n- The package communicates with a domain associated with malicious activity.\n- The package executes one or more commands associated with malicious behavior.\n"},
	{"google-open-source-security", "Google Open Source Security Team", "https://github.com/google/oss-malware", "Malicious typosquatting package targeting Linux and macOS systems, used as a loader to download and run another malicious payload.\n"},
}

const detailsHead = "\n---\n_-= Per source details. Do not edit below this line.=-_\n"

// marshal builds the record for s as indented JSON, like the real files.
func (s *spec) marshal() []byte {
	r := s.rng
	modified := time.Date(2022+s.i%4, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
	published := modified.Add(-time.Duration(r.IntN(60*24)) * time.Hour)
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	importTS := func(t time.Time) string {
		return t.Add(time.Duration(r.IntN(3600)) * time.Second).Add(time.Duration(r.IntN(1e9))).Format(time.RFC3339Nano)
	}

	rec := record{
		Modified:      ts(modified),
		Published:     ts(published),
		SchemaVersion: "1.5.0",
		ID:            s.id(),
		Summary:       fmt.Sprintf("Malicious code in %s (%s)", s.name, s.eco),
	}
	if s.withdrawn {
		rec.Withdrawn = ts(modified)
	}

	var versions []string
	var ranges []rng
	if r.IntN(2) == 0 {
		for range 1 + r.IntN(4) {
			versions = append(versions, fmt.Sprintf("%d.%d.%d", r.IntN(10), r.IntN(20), r.IntN(30)))
		}
	} else {
		typ := "ECOSYSTEM"
		switch s.eco {
		case ecosystem.NPM, ecosystem.Go, ecosystem.CratesIO:
			typ = "SEMVER"
		}
		ranges = []rng{{Type: typ, Events: []event{{Introduced: "0"}}}}
	}
	aff := affected{Package: pkg{Ecosystem: string(s.eco), Name: s.name}, Ranges: ranges, Versions: versions}
	if t := ecosystem.PURLType(s.eco); t != "" && r.IntN(2) == 0 {
		aff.Package.PURL = "pkg:" + t + "/" + strings.ReplaceAll(s.name, "@", "%40")
	}

	var details strings.Builder
	details.WriteString(detailsHead)
	nsrc := 1 // most reports have one source, some two or three
	if x := r.IntN(10); x >= 6 {
		nsrc = 2 + x/9
	}
	credited := map[string]bool{}
	for k := range nsrc {
		src := sources[r.IntN(len(sources))]
		var sum [32]byte
		for b := range sum {
			sum[b] = byte(r.Uint32())
		}
		sha := hex.EncodeToString(sum[:])
		o := origin{
			ImportTime:   importTS(published),
			ModifiedTime: ts(published.Add(time.Duration(k) * time.Hour)),
			SHA256:       sha,
			Source:       src.name,
			Versions:     versions,
			Ranges:       ranges,
		}
		switch src.name {
		case "reversing-labs":
			o.ID = fmt.Sprintf("RLMA-%d-%05d", 2022+s.i%4, r.IntN(100000))
		case "ghsa-malware":
			alias := ghsa(r)
			o.ID = alias
			rec.Aliases = append(rec.Aliases, alias)
			rec.References = append(rec.References, reference{"ADVISORY", "https://github.com/advisories/" + alias})
			aff.DatabaseSpecific = &cweBlock{[]cwe{{"CWE-506", "The product contains code that appears to be malicious in nature.", "Embedded Malicious Code"}}}
		}
		rec.DatabaseSpecific.Origins = append(rec.DatabaseSpecific.Origins, o)
		if src.text != "" {
			v := "0"
			if len(versions) > 0 {
				v = versions[0]
			}
			fmt.Fprintf(&details, "\n## Source: %s (%s)\n", src.name, sha)
			fmt.Fprintf(&details, src.text, s.name, v, strings.ToLower(string(s.eco)))
		}
		if src.credit != "" && !credited[src.credit] {
			credited[src.credit] = true
			rec.Credits = append(rec.Credits, credit{Name: src.credit, Type: "FINDER", Contact: []string{src.contact}})
		}
	}
	rec.Details = details.String()
	rec.Affected = []affected{aff}
	if r.IntN(4) == 0 {
		host := word(r) + "-" + word(r) + ".example"
		rec.DatabaseSpecific.IOCs = &iocs{URLs: []string{"https://" + host + "/payload.sh", "https://" + host + "/" + word(r) + ".exe"}}
		rec.References = append(rec.References, reference{"ARTICLE", "https://blog." + word(r) + ".example/" + strings.ReplaceAll(s.name, "/", "-")})
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rec); err != nil {
		panic(err) // only strings and slices: cannot fail
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func ghsa(r *rand.Rand) string {
	const alphabet = "23456789cfghjmpqrvwx"
	part := func() string {
		var b [4]byte
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b[:])
	}
	return "GHSA-" + part() + "-" + part() + "-" + part()
}
