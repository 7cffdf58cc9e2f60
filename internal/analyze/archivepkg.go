package analyze

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
)

// layout is how the files of a target are laid out.
type layout int

const (
	layoutArchive layout = iota // a top directory or module@version/ prefix may wrap the files
	layoutGem                   // the files of a gem's data.tar.gz, at the top
	layoutDir                   // a directory: paths as they are
)

// target builds the Target of the files read: strips the top directory,
// keeps the last of duplicate paths, gives kinds and names the package.
func (r *reader) target(name string, lay layout) *Target {
	t := &Target{Name: name}
	strip, goPrefix := stripper(r.files, name, lay)
	index := make(map[string]int, len(r.files))
	for _, e := range r.files {
		e.Path = strip(e.Path)
		e.Kind = kindOf(e.Path, e.Data)
		if i, ok := index[e.Path]; ok {
			r.report(ruleDuplicate, e.written, "an entry whose path appears more than once; installers keep the last copy and the first may hide from reviewers", "")
			t.Files[i] = e.File
			continue
		}
		index[e.Path] = len(t.Files)
		t.Files = append(t.Files, e.File)
	}
	t.Findings = r.findings
	t.Package = identify(t.Files, name, lay, goPrefix)
	return t
}

// stripper returns the function that strips the wrapping of archive paths
// and, for a Go module zip, its "module@version/" prefix.
//
// A common top directory is stripped when every file is below it, as pip,
// cargo and npm see sdists, crates and npm tarballs. npm strips the first
// path element of every entry whatever it is (tar's --strip 1), so an npm
// tarball (one with package/package.json) whose entries are spread over
// several top directories has the first element stripped from each, and
// files that land on the same path are reported as duplicates. Wheels and
// gems have no wrapping.
func stripper(files []entry, name string, lay layout) (func(string) string, string) {
	none := func(p string) string { return p }
	if lay != layoutArchive || len(files) == 0 || strings.HasSuffix(strings.ToLower(name), ".whl") {
		return none, ""
	}
	if prefix := goModulePrefix(files); prefix != "" {
		return func(p string) string { return strings.TrimPrefix(p, prefix) }, prefix
	}
	first := func(p string) string {
		if _, rest, ok := strings.Cut(p, "/"); ok {
			return rest
		}
		return p
	}
	top, _, _ := strings.Cut(files[0].Path, "/")
	common, npm := true, false
	for _, e := range files {
		dir, rest, ok := strings.Cut(e.Path, "/")
		if !ok || dir != top {
			common = false
		}
		if dir == "package" && rest == "package.json" {
			npm = true
		}
		if ok && !e.nested && strings.HasSuffix(dir, ".dist-info") && rest == "METADATA" {
			return none, "" // a wheel by another name
		}
	}
	if common || npm {
		return first, ""
	}
	return none, ""
}

// goModulePrefix returns the "module@version/" prefix every file of a Go
// module zip has, or "".
func goModulePrefix(files []entry) string {
	p := files[0].Path
	at := strings.Index(p, "@v")
	if at <= 0 {
		return ""
	}
	slash := strings.IndexByte(p[at:], '/')
	if slash < 0 {
		return ""
	}
	prefix := p[:at+slash+1]
	for _, e := range files {
		if !strings.HasPrefix(e.Path, prefix) {
			return ""
		}
	}
	return prefix
}

// identify names the package the files are, as far as they say.
func identify(files []File, name string, lay layout, goPrefix string) Package {
	root := make(map[string][]byte)
	var wheelMetadata []byte
	for _, f := range files {
		if !strings.Contains(f.Path, "/") {
			root[f.Path] = f.Data
		} else if dir, rest, _ := strings.Cut(f.Path, "/"); rest == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			wheelMetadata = f.Data
		}
	}
	lower := strings.ToLower(name)
	switch {
	case goPrefix != "":
		mod, ver, _ := strings.Cut(strings.TrimSuffix(goPrefix, "/"), "@")
		return Package{Ecosystem: "Go", Name: mod, Version: ver}
	case lay == layoutGem || root["metadata.yaml"] != nil && bytes.Contains(root["metadata.yaml"], []byte("Gem::Specification")):
		p := gemMetadata(root["metadata.yaml"])
		p.Ecosystem = "RubyGems"
		return p
	case strings.HasSuffix(lower, ".whl"):
		p := pythonMetadata(wheelMetadata)
		p.Ecosystem = "PyPI"
		return p
	case strings.HasSuffix(lower, ".crate"):
		p := cargoManifest(root["Cargo.toml"])
		p.Ecosystem = "crates.io"
		return p
	case root["package.json"] != nil:
		var m struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		}
		_ = json.Unmarshal(root["package.json"], &m) // best effort
		return Package{Ecosystem: "npm", Name: m.Name, Version: m.Version}
	case root["PKG-INFO"] != nil || wheelMetadata != nil:
		data := root["PKG-INFO"]
		if data == nil {
			data = wheelMetadata
		}
		p := pythonMetadata(data)
		p.Ecosystem = "PyPI"
		return p
	case root["Cargo.toml"] != nil:
		p := cargoManifest(root["Cargo.toml"])
		p.Ecosystem = "crates.io"
		return p
	case root["go.mod"] != nil && lay == layoutDir:
		return Package{Ecosystem: "Go", Name: goModulePath(root["go.mod"])}
	}
	return Package{}
}

// lines calls fn for each line of data, up to the first 1 MiB.
func lines(data []byte, fn func(line string) bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && fn(strings.TrimRight(sc.Text(), "\r")) {
	}
}

// pythonMetadata reads Name: and Version: of the header of a wheel's
// METADATA or an sdist's PKG-INFO (core metadata, an RFC 822 header).
func pythonMetadata(data []byte) Package {
	var p Package
	lines(data, func(line string) bool {
		if line == "" {
			return false // the body, a description, starts
		}
		k, v, ok := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch {
		case !ok:
		case strings.EqualFold(k, "Name") && p.Name == "":
			p.Name = v
		case strings.EqualFold(k, "Version") && p.Version == "":
			p.Version = v
		}
		return true
	})
	return p
}

// cargoManifest reads name and version of the [package] table of a
// Cargo.toml, as cargo writes it into a crate: `key = "value"` lines.
func cargoManifest(data []byte) Package {
	var p Package
	inPackage := false
	lines(data, func(line string) bool {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			inPackage = line == "[package]"
			return true
		}
		k, v, ok := strings.Cut(line, "=")
		if !inPackage || !ok {
			return true
		}
		v = unquote(v)
		switch strings.TrimSpace(k) {
		case "name":
			p.Name = v
		case "version":
			p.Version = v
		}
		return true
	})
	return p
}

// gemMetadata reads name and version of a gem's metadata (YAML):
//
//	name: rake
//	version: !ruby/object:Gem::Version
//	  version: 13.0.6
func gemMetadata(data []byte) Package {
	var p Package
	inVersion := false
	lines(data, func(line string) bool {
		indented := strings.HasPrefix(line, " ")
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			return true
		}
		v = strings.TrimSpace(v)
		switch {
		case !indented && k == "name" && p.Name == "":
			p.Name = unquote(v)
		case !indented && k == "version":
			inVersion = strings.Contains(v, "Gem::Version")
			if !inVersion && p.Version == "" {
				p.Version = unquote(v)
			}
		case indented && inVersion && k == "version":
			p.Version = unquote(v)
			inVersion = false
		case !indented:
			inVersion = false
		}
		return true
	})
	return p
}

// goModulePath reads the module line of a go.mod.
func goModulePath(data []byte) string {
	var mod string
	lines(data, func(line string) bool {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			mod = unquote(rest)
			return false
		}
		return true
	})
	return mod
}

// unquote trims spaces, a trailing comment and one pair of quotes.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') {
		if end := strings.IndexByte(s[1:], s[0]); end >= 0 {
			return s[1 : 1+end]
		}
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
