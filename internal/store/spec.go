package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/sapperhq/sapper/internal/osv"
)

// A spec is the compact binary form of one affected entry of one record: just
// what matching needs (ID, summary, aliases, flags, versions, ranges). The
// index is built from specs at open, so decoding them must be cheap: strings
// are length-prefixed, integers are varints, there is no JSON.
//
//	spec   = 1:format flags:uvarint modified:varint(unix ns) id summary
//	         nAliases:uvarint alias* nVersions:uvarint version* nRanges:uvarint range*
//	         nSeverities:uvarint (type score)* severityLabel
//	range  = type:byte nEvents:uvarint (kind:byte value)*
//	string = len:uvarint bytes
//
// The severities are the record's and the affected entry's CVSS vectors;
// the label is a database's own word for the severity ("HIGH", "MODERATE")
// from database_specific or ecosystem_specific, "" when there is none.
const specFormat = 1

const (
	flagWithdrawn = 1 << iota
	flagMalicious
)

var rangeTypes = []osv.RangeType{osv.RangeSemVer, osv.RangeEcosystem, osv.RangeGit}

const (
	evIntroduced = iota
	evFixed
	evLastAffected
	evLimit
)

var errBadSpec = errors.New("corrupt index entry")

// trimmedDatabaseSpecific rebuilds, for an index entry, the parts of
// database_specific that matching reads: the severity label, and CWE-506 for
// records marked as malware that way rather than by a MAL- ID, so that
// osv.Vulnerability.IsMalicious answers the same for both.
func trimmedDatabaseSpecific(label string, cweMalware bool) json.RawMessage {
	if label == "" && !cweMalware {
		return nil
	}
	ds := map[string]any{}
	if label != "" {
		ds["severity"] = label
	}
	if cweMalware {
		ds["cwe_ids"] = []string{"CWE-506"}
	}
	b, _ := json.Marshal(ds)
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodeSpec encodes affected entry a of record v.
func encodeSpec(v *osv.Vulnerability, a *osv.Affected, withdrawn, malicious bool) []byte {
	b := make([]byte, 0, 64+len(v.Summary))
	b = append(b, specFormat)
	var flags uint64
	if withdrawn {
		flags |= flagWithdrawn
	}
	if malicious {
		flags |= flagMalicious
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendVarint(b, v.Modified.UnixNano())
	b = appendString(b, v.ID)
	b = appendString(b, v.Summary)
	b = binary.AppendUvarint(b, uint64(len(v.Aliases)))
	for _, s := range v.Aliases {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Versions)))
	for _, s := range a.Versions {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Ranges)))
	for _, r := range a.Ranges {
		t := byte(0)
		for i, rt := range rangeTypes {
			if r.Type == rt {
				t = byte(i)
			}
		}
		b = append(b, t)
		b = binary.AppendUvarint(b, uint64(len(r.Events)))
		for _, e := range r.Events {
			switch {
			case e.Introduced != "":
				b = appendString(append(b, evIntroduced), e.Introduced)
			case e.Fixed != "":
				b = appendString(append(b, evFixed), e.Fixed)
			case e.LastAffected != "":
				b = appendString(append(b, evLastAffected), e.LastAffected)
			default:
				b = appendString(append(b, evLimit), e.Limit)
			}
		}
	}
	b = binary.AppendUvarint(b, uint64(len(v.Severity)+len(a.Severity)))
	for _, sv := range append(v.Severity[:len(v.Severity):len(v.Severity)], a.Severity...) {
		b = appendString(b, sv.Type)
		b = appendString(b, sv.Score)
	}
	return appendString(b, osv.SeverityWord(a.EcosystemSpecific, a.DatabaseSpecific, v.DatabaseSpecific))
}

// specReader decodes a spec held in a string, so that the strings it
// returns share the index's memory instead of each taking an allocation.
// The first error sticks; callers check err once.
type specReader struct {
	b   string
	err error
}

func (r *specReader) uvarint() uint64 {
	var x uint64
	for i, shift := 0, uint(0); i < len(r.b) && i < binary.MaxVarintLen64; i, shift = i+1, shift+7 {
		c := r.b[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				break // overflow
			}
			r.b = r.b[i+1:]
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
	}
	r.err = errBadSpec
	return 0
}

func (r *specReader) varint() int64 {
	ux := r.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (r *specReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errBadSpec
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *specReader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errBadSpec
		return ""
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// count reads a list length, refusing one longer than the bytes left could hold.
func (r *specReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errBadSpec
		return 0
	}
	return int(n)
}

// decodeSpec decodes a spec into a trimmed record holding one affected entry
// for (eco, name), and reports the record's flags.
func decodeSpec(b string, eco, name string) (v *osv.Vulnerability, withdrawn bool, err error) {
	r := specReader{b: b}
	if r.byte() != specFormat || r.err != nil {
		return nil, false, errBadSpec
	}
	flags := r.uvarint()
	v = &osv.Vulnerability{Modified: time.Unix(0, r.varint()).UTC()}
	v.ID = r.string()
	v.Summary = r.string()
	if n := r.count(); n > 0 {
		v.Aliases = make([]string, n)
		for i := range v.Aliases {
			v.Aliases[i] = r.string()
		}
	}
	a := osv.Affected{Package: osv.Package{Ecosystem: eco, Name: name}}
	if n := r.count(); n > 0 {
		a.Versions = make([]string, n)
		for i := range a.Versions {
			a.Versions[i] = r.string()
		}
	}
	if n := r.count(); n > 0 {
		a.Ranges = make([]osv.Range, n)
		for i := range a.Ranges {
			t := int(r.byte())
			if t >= len(rangeTypes) {
				return nil, false, errBadSpec
			}
			a.Ranges[i].Type = rangeTypes[t]
			a.Ranges[i].Events = make([]osv.Event, r.count())
			for j := range a.Ranges[i].Events {
				e := &a.Ranges[i].Events[j]
				switch kind := r.byte(); kind {
				case evIntroduced:
					e.Introduced = r.string()
				case evFixed:
					e.Fixed = r.string()
				case evLastAffected:
					e.LastAffected = r.string()
				case evLimit:
					e.Limit = r.string()
				default:
					return nil, false, errBadSpec
				}
			}
		}
	}
	if n := r.count(); n > 0 {
		v.Severity = make([]osv.Severity, n)
		for i := range v.Severity {
			v.Severity[i] = osv.Severity{Type: r.string(), Score: r.string()}
		}
	}
	label := r.string()
	if r.err != nil {
		return nil, false, r.err
	}
	v.Affected = []osv.Affected{a}
	withdrawn = flags&flagWithdrawn != 0
	if withdrawn {
		v.Withdrawn = v.Modified
	}
	v.DatabaseSpecific = trimmedDatabaseSpecific(label, flags&flagMalicious != 0 && !v.IsMalicious())
	return v, withdrawn, nil
}
