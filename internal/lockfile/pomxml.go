package lockfile

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/limits"
)

// pomXMLParser reads a Maven pom.xml (https://maven.apache.org/pom.html):
// the direct dependencies of <project><dependencies>, named
// "groupId:artifactId". Versions go through the interpolation Maven does
// within one file: ${name} from <properties>, ${project.version},
// ${project.groupId} and ${project.parent.version} (the parent's values when
// the project inherits them), and a missing version is taken from the
// file's own <dependencyManagement>. A version that stays unresolved (it
// comes from a parent POM or a BOM) or is a range is reported as "".
// Dependencies of profiles, plugins and dependencyManagement are not
// packages of the project.
type pomXMLParser struct{}

var _ Parser = pomXMLParser{}

func (pomXMLParser) Name() string { return "pom.xml" }

func (pomXMLParser) Match(p string) bool { return base(p) == "pom.xml" }

const (
	// pomMaxPasses bounds the rounds of ${...} expansion: properties that
	// refer to properties nest a few levels deep in real projects.
	pomMaxPasses = 16
	// pomMaxValue bounds the length of an expanded value, against
	// properties that double at each round.
	pomMaxValue = 4096
)

// pomDep is one <dependency> as written.
type pomDep struct {
	line                         int
	groupID, artifactID, version string
	scope, systemPath            string
}

// pomModel is what one pom.xml says about itself and its dependencies.
type pomModel struct {
	groupID, artifactID, version string
	parentGroupID, parentVersion string
	properties                   map[string]string
	deps, managed                []pomDep
}

func (pomXMLParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	// Not textOf: a POM may declare ISO-8859-1, and the XML decoder
	// checks UTF-8 itself.
	data = bytes.TrimPrefix(data, utf8BOM)
	m, err := readPOM(ctx, f, data)
	if err != nil {
		return nil, err
	}

	props := make(map[string]string, len(m.properties)+12)
	for k, v := range m.properties {
		props[k] = v
	}
	group, version := m.groupID, m.version
	if group == "" {
		group = m.parentGroupID
	}
	if version == "" {
		version = m.parentVersion
	}
	for _, prefix := range []string{"project.", "pom.", ""} {
		props[prefix+"groupId"] = group
		props[prefix+"artifactId"] = m.artifactID
		props[prefix+"version"] = version
	}
	props["project.parent.groupId"] = m.parentGroupID
	props["project.parent.version"] = m.parentVersion
	props["parent.groupId"] = m.parentGroupID
	props["parent.version"] = m.parentVersion

	managed := make(map[string]string, len(m.managed))
	for _, d := range m.managed {
		name := pomExpand(props, d.groupID) + ":" + pomExpand(props, d.artifactID)
		if _, ok := managed[name]; !ok {
			managed[name] = d.version
		}
	}

	pkgs := make([]Package, 0, len(m.deps))
	for _, d := range m.deps {
		if d.groupID == "" || d.artifactID == "" {
			return nil, Errorf(f, d.line, "dependency without groupId or artifactId")
		}
		name := pomExpand(props, d.groupID) + ":" + pomExpand(props, d.artifactID)
		v := d.version
		if v == "" {
			v = managed[name]
		}
		p := Package{
			Ecosystem: ecosystem.Maven,
			Name:      name,
			Version:   pomVersion(pomExpand(props, v)),
			Location:  Location{Path: f.Display, Line: d.line},
			Dev:       d.scope == "test",
		}
		if d.scope == "system" {
			p.Source = Source{Kind: Path, URL: pomExpand(props, d.systemPath)}
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// readPOM decodes the parts of a POM that name its dependencies.
func readPOM(ctx context.Context, f File, data []byte) (*pomModel, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = pomCharsetReader
	m := &pomModel{properties: make(map[string]string)}
	var (
		stack []string        // local names of the open elements
		text  strings.Builder // character data of the open element
		dep   *pomDep         // the <dependency> being read
		root  bool            // whether <project> was seen
	)
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				return nil, Errorf(f, syn.Line, "%s", syn.Msg)
			}
			line, _ := d.InputPos()
			return nil, Errorf(f, line, "%s", strings.TrimPrefix(err.Error(), "xml: "))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				line, _ := d.InputPos()
				if root {
					return nil, Errorf(f, line, "a second root element <%s>", t.Name.Local)
				}
				if t.Name.Local != "project" {
					return nil, Errorf(f, line, "root element is <%s>, not <project>", t.Name.Local)
				}
				root = true
			}
			if len(stack) >= limits.MaxNesting {
				line, _ := d.InputPos()
				return nil, Errorf(f, line, "elements nested deeper than %d", limits.MaxNesting)
			}
			stack = append(stack, t.Name.Local)
			text.Reset()
			if pomAt(stack, "project", "dependencies", "dependency") ||
				pomAt(stack, "project", "dependencyManagement", "dependencies", "dependency") {
				line, _ := d.InputPos()
				dep = &pomDep{line: line}
			}
		case xml.CharData:
			if text.Len() < pomMaxValue {
				text.Write(t)
			}
		case xml.EndElement:
			value := strings.TrimSpace(text.String())
			text.Reset()
			switch {
			case len(stack) == 2:
				switch stack[1] {
				case "groupId":
					m.groupID = value
				case "artifactId":
					m.artifactID = value
				case "version":
					m.version = value
				}
			case len(stack) == 3 && stack[1] == "parent":
				switch stack[2] {
				case "groupId":
					m.parentGroupID = value
				case "version":
					m.parentVersion = value
				}
			case len(stack) == 3 && stack[1] == "properties":
				m.properties[stack[2]] = value
			case dep != nil && pomAt(stack, "project", "dependencies", "dependency"):
				m.deps = append(m.deps, *dep)
				dep = nil
			case dep != nil && pomAt(stack, "project", "dependencyManagement", "dependencies", "dependency"):
				m.managed = append(m.managed, *dep)
				dep = nil
			case dep != nil && (pomAt(stack[:len(stack)-1], "project", "dependencies", "dependency") ||
				pomAt(stack[:len(stack)-1], "project", "dependencyManagement", "dependencies", "dependency")):
				switch stack[len(stack)-1] {
				case "groupId":
					dep.groupID = value
				case "artifactId":
					dep.artifactID = value
				case "version":
					dep.version = value
				case "scope":
					dep.scope = value
				case "systemPath":
					dep.systemPath = value
				}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if !root {
		return nil, Errorf(f, 0, "no <project> element")
	}
	return m, nil
}

// pomAt reports whether the open elements are exactly path.
func pomAt(stack []string, path ...string) bool {
	if len(stack) != len(path) {
		return false
	}
	for i := range path {
		if stack[i] != path[i] {
			return false
		}
	}
	return true
}

// pomProperty matches one ${name} reference.
var pomProperty = regexp.MustCompile(`\$\{([^${}]+)\}`)

// pomExpand replaces ${name} references in s from props, round after round
// as values refer to other properties, within bounds; references it cannot
// resolve stay as written.
func pomExpand(props map[string]string, s string) string {
	for range pomMaxPasses {
		if !strings.Contains(s, "${") {
			return s
		}
		next := pomProperty.ReplaceAllStringFunc(s, func(ref string) string {
			if v, ok := props[ref[2:len(ref)-1]]; ok && v != "" {
				return v
			}
			return ref
		})
		if next == s || len(next) > pomMaxValue {
			return s
		}
		s = next
	}
	return s
}

// pomExactRange matches a range of one version, "[1.2.3]".
var pomExactRange = regexp.MustCompile(`^\[\s*([^\[\](),\s]+)\s*\]$`)

// pomVersion returns the version a dependency pins: v itself, the single
// version of "[1.2.3]", or "" for a range or an unresolved reference.
func pomVersion(v string) string {
	if strings.Contains(v, "${") {
		return ""
	}
	if m := pomExactRange.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	if strings.ContainsAny(v, "[](),") {
		return ""
	}
	return v
}

// pomCharsetReader decodes the encodings other than UTF-8 that POMs
// declare: ISO-8859-1 (Latin-1) and its subset US-ASCII.
func pomCharsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1":
		return &latin1Reader{r: input}, nil
	case "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported encoding %s", quoteShort(charset))
}

// latin1Reader turns ISO-8859-1 bytes into UTF-8.
type latin1Reader struct {
	r       io.Reader
	pending []byte // UTF-8 not yet returned
	buf     [512]byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		n, err := l.r.Read(l.buf[:])
		if n == 0 {
			return 0, err
		}
		out := make([]byte, 0, 2*n)
		for _, b := range l.buf[:n] {
			out = append(out, string(rune(b))...)
		}
		l.pending = out
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}
