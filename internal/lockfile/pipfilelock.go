package lockfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// pipfileLockParser reads Pipfile.lock files (pipenv,
// https://pipenv.pypa.io/en/latest/pipfile.html): a JSON object whose
// "default" and "develop" sections map package names to entries. A
// registry entry has "version": "==1.0" and the name of the index it comes
// from ("index", one of _meta.sources); other entries name a "git"
// repository, a local "path" or a "file" URL. "develop" packages are Dev.
type pipfileLockParser struct{}

var _ Parser = pipfileLockParser{}

func (pipfileLockParser) Name() string { return "Pipfile.lock" }

func (pipfileLockParser) Match(p string) bool { return base(p) == "Pipfile.lock" }

type pipfileMeta struct {
	Sources []pipfileSource `json:"sources"`
}

type pipfileSource struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type pipfileEntry struct {
	Version  string `json:"version"`
	Index    string `json:"index"`
	Git      string `json:"git"`
	Hg       string `json:"hg"`
	Svn      string `json:"svn"`
	Bzr      string `json:"bzr"`
	Path     string `json:"path"`
	File     string `json:"file"`
	Editable bool   `json:"editable"`
}

func (pipfileLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "%w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}
	lines := NewLines(data)
	if err := pyJSONDepth(f, data, lines); err != nil {
		return nil, err
	}
	// Check the syntax first: the offsets of a syntax error are exact
	// only when decoding the whole document.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, Errorf(f, lines.At(se.Offset), "invalid JSON: %v", err)
		}
		return nil, Errorf(f, 0, "invalid JSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	// fail reports err, met decoding what; at is the offset where the key
	// of the value being decoded ends, to which the offsets of type errors
	// are relative.
	fail := func(what string, at int64, err error) error {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field != "" {
				what += "." + te.Field
			}
			return Errorf(f, lines.At(pyJSONValueStart(data, at)+te.Offset), "%s: found a JSON %s, want %s", what, te.Value, pyJSONWant(te.Type))
		}
		return Errorf(f, lines.At(dec.InputOffset()), "%s: %v", what, err)
	}
	if err := pyJSONDelim(dec, '{'); err != nil {
		return nil, fail("Pipfile.lock", 0, err)
	}
	type entry struct {
		pkg   Package
		index string
	}
	var (
		meta    pipfileMeta
		entries []entry
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail("Pipfile.lock", 0, err)
		}
		section, _ := tok.(string)
		at := dec.InputOffset()
		switch section {
		case "_meta":
			if err := dec.Decode(&meta); err != nil {
				return nil, fail("_meta", at, err)
			}
		case "default", "develop":
			if err := pyJSONDelim(dec, '{'); err != nil {
				return nil, fail(section, at, err)
			}
			for dec.More() {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				tok, err := dec.Token()
				if err != nil {
					return nil, fail(section, 0, err)
				}
				name, _ := tok.(string)
				keyEnd := dec.InputOffset()
				line := lines.At(keyEnd)
				var e pipfileEntry
				if err := dec.Decode(&e); err != nil {
					return nil, fail(section+"."+name, keyEnd, err)
				}
				if name == "" {
					return nil, Errorf(f, line, "%s: a package with an empty name", section)
				}
				p := Package{
					Ecosystem: ecosystem.PyPI,
					Name:      name,
					Location:  Location{Path: f.Display, Line: line},
					Dev:       section == "develop",
				}
				p.Version, p.Source = pipfileVersionSource(e)
				entries = append(entries, entry{p, e.Index})
			}
			if _, err := dec.Token(); err != nil { // the closing }
				return nil, fail(section, 0, err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fail(quoteShort(section), at, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return nil, fail("Pipfile.lock", 0, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(f, lines.At(dec.InputOffset()), "data after the top-level object")
	}

	// An entry's index names one of _meta.sources; without one, pipenv
	// uses the first source, which is a private registry only when it is
	// the only source (the rule requirements files follow too).
	urls := map[string]string{}
	for _, s := range meta.Sources {
		urls[s.Name] = s.URL
	}
	pkgs := make([]Package, 0, len(entries))
	for _, e := range entries {
		if e.pkg.Source.Kind == Registry {
			switch {
			case e.index != "":
				e.pkg.Source = pyRegistry(urls[e.index])
			case len(meta.Sources) == 1:
				e.pkg.Source = pyRegistry(meta.Sources[0].URL)
			}
		}
		pkgs = append(pkgs, e.pkg)
	}
	return pkgs, nil
}

// pipfileVersionSource returns the version and source of an entry; the
// source of a registry package is resolved later from its index.
func pipfileVersionSource(e pipfileEntry) (string, Source) {
	version := ""
	if v, ok := strings.CutPrefix(e.Version, "==="); ok {
		version = v
	} else if v, ok := strings.CutPrefix(e.Version, "=="); ok {
		version = v
	}
	switch {
	case e.Git != "":
		src, _, _ := pyLocation(e.Git)
		if src.Kind != Git { // "https://github.com/..." without git+
			src = Source{Kind: Git, URL: pyRedact(strings.TrimSpace(e.Git))}
		}
		return version, src
	case e.Hg != "" || e.Svn != "" || e.Bzr != "":
		return version, Source{Kind: URL, URL: pyRedact(e.Hg + e.Svn + e.Bzr)}
	case e.Path != "":
		return version, Source{Kind: Path, URL: e.Path}
	case e.File != "":
		src, _, _ := pyLocation(e.File)
		return version, src
	}
	return version, Source{Kind: Registry}
}

// pyJSONDelim reads the next token of dec and checks it is the delimiter d.
func pyJSONDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return fmt.Errorf("found %s, want %s", pyJSONKind(tok), pyJSONKind(d))
	}
	return nil
}

// pyJSONKind names the kind of a JSON token for a message.
func pyJSONKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' || t == '}' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}

// pyJSONValueStart returns where a decoder's buffer for the value after a
// key ending at off starts: after the colon.
func pyJSONValueStart(data []byte, off int64) int64 {
	i := off
	for i < int64(len(data)) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	if i < int64(len(data)) && data[i] == ':' {
		return i + 1
	}
	return off
}

// pyJSONWant names the JSON a Go type decodes from, for a message.
func pyJSONWant(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	}
	return "a number"
}

// pyJSONDepth refuses JSON whose objects and arrays nest deeper than
// limits.MaxNesting, before a decoder recurses into them.
func pyJSONDepth(f File, data []byte, lines *Lines) error {
	depth := 0
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if depth++; depth > limits.MaxNesting {
				return Errorf(f, lines.At(int64(i)), "JSON nested more than %d deep", limits.MaxNesting)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
