package report

import (
	"bufio"
	"cmp"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sapperhq/sapper/internal/finding"
)

// Table writes findings for people: grouped by the file they were found in
// (files with the worst findings first), one aligned line per finding that
// starts with path:line, then input errors, warnings and a one-line
// summary. Findings without a location, as from "sapper check", come first
// and without a heading; when there are only those, a header row names the
// columns.
// Every string from the report is folded onto one line with control
// characters escaped, so nothing in it can move the cursor or recolour the
// terminal.
type Table struct {
	// Color marks severities and actions with ANSI colours: red for
	// critical findings and blocks, yellow for warnings, dim for unknown
	// severities.
	Color bool
}

var _ Writer = Table{}

// summaryWidth is how many runes of a summary the table shows.
const summaryWidth = 80

// ANSI Select Graphic Rendition sequences.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "\x1b[1m"
	sgrDim    = "\x1b[2m"
	sgrRed    = "\x1b[31m"
	sgrYellow = "\x1b[33m"
)

// Table columns, in order.
const (
	colLocation = iota
	colName
	colVersion
	colEcosystem
	colKind
	colSeverity
	colAction
	colIDs
	colSummary
	numCols
)

// tableHeader heads the columns of a table without file groups, the output
// of "sapper check".
var tableHeader = tableLine{cells: [numCols]string{"", "PACKAGE", "VERSION", "ECOSYSTEM", "KIND", "SEVERITY", "ACTION", "ID", "SUMMARY"}}

type tableLine struct {
	cells [numCols]string
	style string // SGR for the severity and action cells
}

type fileGroup struct {
	path  string
	worst finding.Finding
	lines []tableLine
}

// Write implements Writer.
func (t Table) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	groups := groupByFile(r.Findings)
	var width [numCols]int
	for _, g := range groups {
		for _, l := range g.lines {
			for i, c := range l.cells {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
	}
	if len(groups) == 1 && groups[0].path == "" {
		for i, c := range tableHeader.cells {
			if width[i] > 0 {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
		t.writeLine(bw, "", tableHeader, width)
	}
	for _, g := range groups {
		indent := ""
		if g.path != "" {
			bw.WriteString(t.paint(sgrBold, clean(g.path)))
			bw.WriteByte('\n')
			indent = "  "
		}
		for _, l := range g.lines {
			t.writeLine(bw, indent, l, width)
		}
		bw.WriteByte('\n')
	}
	for _, e := range r.Errors {
		bw.WriteString(t.paint(sgrRed, "error:"))
		bw.WriteString(" " + clean(e.Input) + ": " + clean(e.Message) + "\n")
	}
	for _, m := range r.Warnings {
		bw.WriteString(t.paint(sgrYellow, "warning:"))
		bw.WriteString(" " + clean(m) + "\n")
	}
	bw.WriteString(summary(r) + "\n")
	return bw.Flush()
}

func (t Table) writeLine(bw *bufio.Writer, indent string, l tableLine, width [numCols]int) {
	var b strings.Builder
	b.WriteString(indent)
	for i, c := range l.cells {
		if width[i] == 0 {
			continue // a column no line uses, such as locations for check
		}
		if i == colSummary {
			b.WriteString(c)
			break
		}
		if i == colSeverity || i == colAction {
			b.WriteString(t.paint(l.style, c))
		} else {
			b.WriteString(c)
		}
		b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2))
	}
	bw.WriteString(strings.TrimRight(b.String(), " "))
	bw.WriteByte('\n')
}

// paint wraps s in an SGR sequence when colour is on.
func (t Table) paint(sgr, s string) string {
	if !t.Color || sgr == "" || s == "" {
		return s
	}
	return sgr + s + sgrReset
}

// groupByFile splits findings by Location.Path, keeping their order within
// a file. Findings without a location come first; files follow in order of
// their worst finding, then by path.
func groupByFile(fs []finding.Finding) []fileGroup {
	var groups []fileGroup
	index := map[string]int{}
	for _, f := range fs {
		p := findingPath(f)
		i, ok := index[p]
		if !ok {
			i = len(groups)
			index[p] = i
			groups = append(groups, fileGroup{path: p, worst: f})
		}
		g := &groups[i]
		if worse(f, g.worst) < 0 {
			g.worst = f
		}
		g.lines = append(g.lines, newTableLine(f))
	}
	slices.SortStableFunc(groups, func(a, b fileGroup) int {
		return cmp.Or(
			-cmpBool(a.path == "", b.path == ""),
			worse(a.worst, b.worst),
			cmp.Compare(a.path, b.path),
		)
	})
	return groups
}

func newTableLine(f finding.Finding) tableLine {
	var l tableLine
	if f.Location != nil && f.Location.Path != "" {
		l.cells[colLocation] = clean(f.Location.Path)
		if f.Location.Line > 0 {
			l.cells[colLocation] += ":" + strconv.Itoa(f.Location.Line)
		}
	}
	l.cells[colName] = clean(f.Package.Name)
	l.cells[colVersion] = clean(f.Package.Version)
	if l.cells[colVersion] == "" {
		l.cells[colVersion] = "(any)"
	}
	l.cells[colEcosystem] = clean(f.Package.Ecosystem)
	l.cells[colKind] = clean(string(f.Kind))
	l.cells[colSeverity] = f.Severity.String()
	l.cells[colAction] = clean(string(f.Action))
	ids := make([]string, len(f.IDs))
	for i, id := range f.IDs {
		ids[i] = clean(id)
	}
	l.cells[colIDs] = strings.Join(ids, ",")
	sum := truncate(clean(f.Summary), summaryWidth)
	if f.Fixed != "" {
		sum = strings.TrimSpace(sum + " (fixed in " + clean(f.Fixed) + ")")
	}
	l.cells[colSummary] = sum
	switch {
	case f.Action == finding.Block || f.Severity == finding.SeverityCritical:
		l.style = sgrRed
	case f.Action == finding.Warn:
		l.style = sgrYellow
	case f.Severity == finding.SeverityUnknown:
		l.style = sgrDim
	}
	return l
}
