package report

import (
	"encoding/json"
	"io"

	"github.com/sapperhq/sapper/internal/finding"
)

// JSON writes the report as one JSON document with a schema_version; empty
// lists are written as [] rather than null.
type JSON struct{}

var _ Writer = JSON{}

// Write implements Writer.
func (JSON) Write(w io.Writer, r *Report) error {
	out := *r
	out.SchemaVersion = SchemaVersion
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	if out.Errors == nil {
		out.Errors = []InputError{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
