package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// Bounds on a single record. Records come from untrusted files; these keep a
// hostile one from costing more than a large real one.
const (
	maxIDLen       = 128
	maxNameLen     = 1024
	maxVersionLen  = 256
	maxAffected    = 10_000
	maxListLen     = 100_000 // versions, events, aliases per list
	maxSummaryLen  = 16 << 10
	maxDetailsSize = 2 << 20
)

// Decode parses one OSV record from data and validates it (see Validate).
// Errors say which field is wrong and how, for example
// `field "affected[0].package.ecosystem": unsupported ecosystem "pypi"`.
func Decode(data []byte) (*Vulnerability, error) {
	var v Vulnerability
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // tolerate a UTF-8 BOM
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, describeJSONError(err)
	}
	if err := v.Validate(); err != nil {
		return nil, err
	}
	return &v, nil
}

// describeJSONError rewrites encoding/json's errors into the terms of the
// record: which field, what was expected.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return fmt.Errorf("invalid record: want a JSON object, got %s", te.Value)
		}
		return fmt.Errorf("field %q: want %s, got %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	// time.Time parse errors and the like.
	return fmt.Errorf("invalid record: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	default:
		return goKind
	}
}

// FieldError says which field of a record is invalid and why.
type FieldError struct {
	Field   string
	Problem string
	Err     error // optional cause, such as ecosystem.ErrUnsupported
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("field %q: %s", e.Field, e.Problem)
}

func (e *FieldError) Unwrap() error { return e.Err }

// Validate checks what sapper relies on: an ID that is safe as a file name,
// a modified time, known ecosystems, well-formed ranges, and bounded sizes.
// Fields sapper does not read are not checked.
func (v *Vulnerability) Validate() error {
	if v.ID == "" {
		return &FieldError{Field: "id", Problem: "missing"}
	}
	if err := validID(v.ID); err != nil {
		return &FieldError{Field: "id", Problem: err.Error()}
	}
	if v.Modified.IsZero() {
		return &FieldError{Field: "modified", Problem: "missing"}
	}
	if len(v.Summary) > maxSummaryLen {
		return &FieldError{Field: "summary", Problem: fmt.Sprintf("longer than %d bytes", maxSummaryLen)}
	}
	if len(v.Details) > maxDetailsSize {
		return &FieldError{Field: "details", Problem: fmt.Sprintf("longer than %d bytes", maxDetailsSize)}
	}
	if len(v.Aliases) > maxListLen {
		return &FieldError{Field: "aliases", Problem: fmt.Sprintf("more than %d entries", maxListLen)}
	}
	for i, a := range v.Aliases {
		if err := validID(a); err != nil {
			return &FieldError{Field: fmt.Sprintf("aliases[%d]", i), Problem: err.Error()}
		}
	}
	if len(v.Affected) > maxAffected {
		return &FieldError{Field: "affected", Problem: fmt.Sprintf("more than %d entries", maxAffected)}
	}
	for i := range v.Affected {
		if err := v.Affected[i].validate(fmt.Sprintf("affected[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (a *Affected) validate(field string) error {
	p := a.Package
	if p.Ecosystem == "" && p.Name == "" && p.PURL == "" {
		// The schema allows affected entries with ranges of GIT type only.
		for j, r := range a.Ranges {
			if r.Type != RangeGit {
				return &FieldError{Field: fmt.Sprintf("%s.ranges[%d].type", field, j), Problem: "a range without a package must be GIT"}
			}
		}
	} else {
		if _, err := ecosystem.Parse(p.Ecosystem); err != nil {
			return &FieldError{Field: field + ".package.ecosystem", Problem: err.Error(), Err: err}
		}
		if p.Name == "" {
			return &FieldError{Field: field + ".package.name", Problem: "missing"}
		}
		if len(p.Name) > maxNameLen {
			return &FieldError{Field: field + ".package.name", Problem: fmt.Sprintf("longer than %d bytes", maxNameLen)}
		}
	}
	if len(a.Versions) > maxListLen {
		return &FieldError{Field: field + ".versions", Problem: fmt.Sprintf("more than %d entries", maxListLen)}
	}
	for j, s := range a.Versions {
		if s == "" || len(s) > maxVersionLen {
			return &FieldError{Field: fmt.Sprintf("%s.versions[%d]", field, j), Problem: fmt.Sprintf("empty or longer than %d bytes", maxVersionLen)}
		}
	}
	for j := range a.Ranges {
		if err := a.Ranges[j].validate(fmt.Sprintf("%s.ranges[%d]", field, j)); err != nil {
			return err
		}
	}
	return nil
}

func (r *Range) validate(field string) error {
	switch r.Type {
	case RangeSemVer, RangeEcosystem:
	case RangeGit:
		if r.Repo == "" {
			return &FieldError{Field: field + ".repo", Problem: "missing for a GIT range"}
		}
	default:
		return &FieldError{Field: field + ".type", Problem: fmt.Sprintf("unknown range type %q (want SEMVER, ECOSYSTEM or GIT)", r.Type)}
	}
	if len(r.Events) == 0 {
		return &FieldError{Field: field + ".events", Problem: "empty"}
	}
	if len(r.Events) > maxListLen {
		return &FieldError{Field: field + ".events", Problem: fmt.Sprintf("more than %d entries", maxListLen)}
	}
	for k, e := range r.Events {
		n, long := 0, false
		for _, s := range [...]string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if s != "" {
				n++
				long = long || len(s) > maxVersionLen
			}
		}
		if n != 1 {
			return &FieldError{Field: fmt.Sprintf("%s.events[%d]", field, k), Problem: "want exactly one of introduced, fixed, last_affected, limit"}
		}
		if long {
			return &FieldError{Field: fmt.Sprintf("%s.events[%d]", field, k), Problem: fmt.Sprintf("version longer than %d bytes", maxVersionLen)}
		}
	}
	return nil
}

// validID accepts the characters OSV databases use in IDs. IDs become file
// names on export, so "/", "\", ".." and control characters are refused.
func validID(id string) error {
	if len(id) > maxIDLen {
		return fmt.Errorf("longer than %d bytes", maxIDLen)
	}
	if id == "" || id == "." || id == ".." || strings.Contains(id, "..") {
		return fmt.Errorf("%q is not a valid ID", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':':
		default:
			return fmt.Errorf("%q contains %q (IDs use letters, digits, '-', '_', '.', ':')", id, c)
		}
	}
	return nil
}
