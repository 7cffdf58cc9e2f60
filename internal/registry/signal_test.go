package registry

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// TestPrevious: each line lists releases as VERSION@DAY (the day it was
// published, which plays no part; no @ for an unknown time), then
// "; CURRENT -> PREVIOUS".
func TestPrevious(t *testing.T) {
	lines := []string{
		"1.0.0@1 1.1.0@2 1.2.0@3; 1.2.0 -> 1.1.0",
		"1.0.0@1 1.1.0@2 1.2.0@3; 1.0.0 -> none",
		"1.0.0@1 2.0.0@2 1.0.1@3; 1.0.1 -> 1.0.0",      // a backport is compared with its own line
		"1.0.0@1 2.0.0@2 1.0.1@3; 2.0.0 -> 1.0.1",      // version order, not time
		"1.0.0@1 1.1.0-rc.1@2 1.1.0@3; 1.1.0 -> 1.0.0", // stable with stable
		"1.1.0-rc.1@2 1.1.0@3; 1.1.0 -> 1.1.0-rc.1",    // unless there is none
		"1.0.0@1 1.1.0-rc.1@2 1.1.0-rc.2@3; 1.1.0-rc.2 -> 1.1.0-rc.1",
		"1.0.0@5 1.1.0@2; 1.1.0 -> 1.0.0",
		"1.0.0 1.1.0; 1.1.0 -> 1.0.0", // no times: version order
		"1.0.0 1.1.0@2; 1.1.0 -> 1.0.0",
		"bogus@1 1.0.0@2; 1.0.0 -> none",
		"1.0.0@1 bogus@2; bogus -> none",
	}
	for _, line := range lines {
		list, rest, _ := strings.Cut(line, ";")
		cur, want, _ := strings.Cut(strings.TrimSpace(rest), " -> ")
		var rels []*release
		for _, f := range strings.Fields(list) {
			id, day, ok := strings.Cut(f, "@")
			var at time.Time
			if ok {
				d, _ := strconv.Atoi(day)
				at = now.AddDate(0, 0, d)
			}
			rels = append(rels, parseRelease(ecosystem.NPM, id, at))
		}
		got := "none"
		if p := previous(rels, find(ecosystem.NPM, rels, cur)); p != nil {
			got = p.id
		}
		if got != want {
			t.Errorf("%s: previous = %s", line, got)
		}
	}
}

func TestAgo(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Hour:                   "in the future (the registry's clock or data is wrong)",
		30 * time.Second:             "less than a minute ago",
		time.Minute:                  "1 minute ago",
		59 * time.Minute:             "59 minutes ago",
		time.Hour:                    "1 hour ago",
		47 * time.Hour:               "47 hours ago",
		48 * time.Hour:               "2 days ago",
		400 * 24 * time.Hour:         "400 days ago",
		5*time.Hour + 59*time.Minute: "5 hours ago",
	} {
		if got := ago(d); got != want {
			t.Errorf("ago(%s) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]string{72 * time.Hour: "72h", 90 * time.Minute: "90m", 1500 * time.Millisecond: "1.5s"} {
		if got := span(d); got != want {
			t.Errorf("span(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestSnippet(t *testing.T) {
	if got := snippet("a\x1b[2Jb\n"); got != `a\x1b[2Jb\n` {
		t.Errorf("snippet escapes to %q", got)
	}
	if got := snippet(strings.Repeat("é", 300)); !strings.HasSuffix(got, "…") || len([]rune(got)) != 159 {
		t.Errorf("snippet of a long script: %d runes", len([]rune(got)))
	}
}
