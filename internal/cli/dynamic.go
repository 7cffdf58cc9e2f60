package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
	"github.com/sapperhq/sapper/internal/sandbox"
)

// dynamicFlags are analyze's --dynamic and --jobs.
type dynamicFlags struct {
	enabled bool
	jobs    int
	// slots bounds the sandboxes running at once to jobs.
	slots chan struct{}
}

func addDynamicFlags(fs *flag.FlagSet) *dynamicFlags {
	df := &dynamicFlags{}
	fs.BoolVar(&df.enabled, "dynamic", false, "also install and load each target in a gVisor sandbox (runsc) and score what it does")
	fs.IntVar(&df.jobs, "jobs", 1, "with --dynamic, run `N` sandboxes at once")
	return df
}

// check validates the flags and, with --dynamic, that runsc is there,
// before any work: without it sapper runs no package code at all.
func (df *dynamicFlags) check() error {
	if df.jobs < 1 {
		return usageErrorf("--jobs %d: want 1 or more", df.jobs)
	}
	if !df.enabled {
		return nil
	}
	if err := sandbox.Available(""); err != nil {
		return failure(err)
	}
	df.slots = make(chan struct{}, df.jobs)
	return nil
}

// workers is how many targets analyze works on at once: enough for
// --jobs sandboxes.
func (df *dynamicFlags) workers(n int) int {
	if df.enabled {
		return max(n, df.jobs)
	}
	return n
}

// run analyses tg in the sandbox, adds the behaviour findings to res and
// scores res again over all its findings. It returns nil without
// --dynamic, and reports whether the sandbox failed.
func (df *dynamicFlags) run(ctx context.Context, tg *analyze.Target, res *analyze.Result) (d *sandbox.Dynamic, failed bool) {
	if !df.enabled {
		return nil, false
	}
	select {
	case df.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false
	}
	dyn, err := sandbox.Analyze(ctx, tg, sandbox.Options{})
	<-df.slots
	if err != nil {
		res.Errors = append(res.Errors, fmt.Sprintf("dynamic analysis: %v", err))
		return &dyn, ctx.Err() == nil
	}
	pkg := finding.Package{Ecosystem: res.Package.Ecosystem, Name: res.Package.Name, Version: res.Package.Version}
	for _, f := range sandbox.Findings(dyn) {
		f.Package = pkg
		res.Findings = append(res.Findings, f)
	}
	analyze.SortFindings(res.Findings)
	res.Score, res.Verdict = analyze.Score(res.Findings)
	return &dyn, false
}

// writeDynamicTable prints one line per phase of d, then why nothing ran
// and the notes.
func writeDynamicTable(w io.Writer, d *sandbox.Dynamic) {
	if d == nil {
		return
	}
	for _, ph := range d.Phases {
		extra := ""
		if ph.TimedOut {
			extra = ", timed out"
		}
		if n := len(ph.Lingering); n > 0 {
			extra += fmt.Sprintf(", %d left running", n)
		}
		fmt.Fprintf(w, "  dynamic %s: exit %d in %d ms, %d files, %d commands, %d sockets, %d DNS lookups%s\n",
			ph.Name, ph.ExitCode, ph.DurationMS, len(ph.Files), len(ph.Commands), len(ph.Sockets), len(ph.DNS), extra)
	}
	if d.Skipped != "" {
		fmt.Fprintf(w, "  dynamic: not run: %s\n", d.Skipped)
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "  dynamic note: %s\n", strings.TrimSpace(n))
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
