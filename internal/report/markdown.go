package report

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/sapperhq/sapper/internal/finding"
)

// Markdown writes the report as a pull-request comment in GitHub Flavored
// Markdown: a heading that says what was found, the summary line, one table
// of findings, and input errors and warnings folded into a <details>
// block. Every string from the report is folded onto one line and escaped,
// so a package name or summary cannot break the table, inject HTML, links,
// images or formatting.
type Markdown struct{}

var _ Writer = Markdown{}

const (
	// markdownRows caps the table so the comment stays under the size a
	// code host accepts (GitHub's limit is 65536 characters).
	markdownRows = 100
	// markdownNotes caps the errors and warnings listed.
	markdownNotes = 50
	// markdownSummaryWidth is how many runes of a summary a row shows.
	markdownSummaryWidth = 160
	osvURL               = "https://osv.dev/vulnerability/"
)

// Write implements Writer.
func (Markdown) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "### %s\n\n%s\n", headline(r), summary(r))
	if len(r.Findings) > 0 {
		bw.WriteString("\n| Severity | Kind | Package | Version | File:line | IDs | Summary |\n")
		bw.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
		for i, f := range r.Findings {
			if i == markdownRows {
				fmt.Fprintf(bw, "\n%s not shown; run sapper with --format table or sarif to see them all.\n",
					plural(len(r.Findings)-markdownRows, "more finding", "more findings"))
				break
			}
			writeRow(bw, f)
		}
	}
	if len(r.Errors) > 0 || len(r.Warnings) > 0 {
		var what []string
		if len(r.Errors) > 0 {
			what = append(what, plural(len(r.Errors), "error", "errors"))
		}
		if len(r.Warnings) > 0 {
			what = append(what, plural(len(r.Warnings), "warning", "warnings"))
		}
		fmt.Fprintf(bw, "\n<details>\n<summary>%s</summary>\n\n", strings.Join(what, ", "))
		writeNotes(bw, "error", len(r.Errors), func(i int) string {
			return mdText(r.Errors[i].Input) + ": " + mdText(r.Errors[i].Message)
		})
		writeNotes(bw, "warning", len(r.Warnings), func(i int) string { return mdText(r.Warnings[i]) })
		bw.WriteString("\n</details>\n")
	}
	return bw.Flush()
}

// headline is the status line of the comment; it contains only counts.
func headline(r *Report) string {
	mal := countMalicious(r.Findings)
	other := len(r.Findings) - mal
	switch {
	case mal > 0 && other > 0:
		return fmt.Sprintf("sapper found %s and %s", plural(mal, "malicious package", "malicious packages"),
			plural(other, "other finding", "other findings"))
	case mal > 0:
		return "sapper found " + plural(mal, "malicious package", "malicious packages")
	case other > 0:
		return "sapper found " + plural(other, "finding", "findings")
	}
	return "sapper: no findings"
}

func writeRow(bw *bufio.Writer, f finding.Finding) {
	loc := ""
	if f.Location != nil && f.Location.Path != "" {
		loc = f.Location.Path
		if f.Location.Line > 0 {
			loc += ":" + strconv.Itoa(f.Location.Line)
		}
	}
	ids := make([]string, len(f.IDs))
	for i, id := range f.IDs {
		ids[i] = osvLink(id)
	}
	sum := mdText(truncate(clean(f.Summary), markdownSummaryWidth))
	if f.Fixed != "" {
		sum = strings.TrimSpace(sum + " (fixed in " + mdText(f.Fixed) + ")")
	}
	ver := codeSpan(f.Package.Version)
	if ver == "" {
		ver = "(any)"
	}
	sev := f.Severity.String()
	if f.Severity >= finding.SeverityHigh || f.Kind == finding.Malicious {
		sev = "**" + sev + "**"
	}
	cells := []string{sev, mdText(string(f.Kind)), codeSpan(f.Package.Name) + " (" + mdText(f.Package.Ecosystem) + ")",
		ver, codeSpan(loc), strings.Join(ids, ", "), sum}
	bw.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

func writeNotes(bw *bufio.Writer, label string, n int, text func(int) string) {
	for i := range n {
		if i == markdownNotes {
			fmt.Fprintf(bw, "- and %d more %ss\n", n-markdownNotes, label)
			return
		}
		fmt.Fprintf(bw, "- %s: %s\n", label, text(i))
	}
}

// codeSpan shows untrusted text verbatim as inline code on one line: HTML,
// entities and Markdown are not interpreted inside code, and GitHub does not
// turn "@scope" in a package name into a mention there. The fence is one
// backtick longer than the longest run of backticks inside, and pipes are
// escaped so the text stays in its table cell.
func codeSpan(s string) string {
	s = clean(s)
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	s = strings.ReplaceAll(s, "|", `\|`)
	if longest > 0 {
		s = " " + s + " "
	}
	return fence + s + fence
}

// osvID is what a record ID must look like to become a link.
var osvID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9._:-]+$`)

// osvLink links a record ID to its page on osv.dev; an ID that does not
// look like one is shown as escaped text.
func osvLink(id string) string {
	if len(id) > 100 || !osvID.MatchString(id) {
		return mdText(id)
	}
	return "[" + mdText(id) + "](" + osvURL + url.PathEscape(id) + ")"
}

// mdText makes untrusted text inert inline Markdown on one line (clean
// folds it and escapes control characters): HTML's special characters
// become entities, the characters that start GFM inline syntax (emphasis,
// code, links, images, strikethrough, math, table cells, escapes) are
// backslash-escaped, and mentions are broken. Bare http:// URLs stay
// autolinked by GitHub, showing their own address.
func mdText(s string) string {
	s = clean(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '@':
			// A zero-width space after "@" keeps GitHub from turning
			// "@someone" into a mention that notifies them (as Renovate
			// does in release notes).
			b.WriteString("@&#8203;")
		case '\\', '`', '*', '_', '[', ']', '|', '~', '$', '!', '#':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
