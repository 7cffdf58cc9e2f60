// Package progress draws a one-line progress bar on a terminal, for long
// downloads and imports. It draws only when its writer is a terminal and
// prints nothing otherwise, so logs and redirected stderr stay clean.
//
// A Bar is safe for concurrent use, and a nil *Bar does nothing, so code that
// reports progress need not check whether anyone is watching.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// interval is the least time between two redraws (about 10 a second).
const interval = 100 * time.Millisecond

// width is the number of cells of the bar itself.
const width = 20

// unit says what a Bar counts.
type unit int

const (
	unitBytes unit = iota // sizes shown as "1.5 MiB"
	unitItems             // counts shown as "1234"
)

// Bar is a progress bar for one operation. Create it with New or NewCount,
// report with Add or Set, and finish with Done.
type Bar struct {
	w     io.Writer
	label string
	unit  unit
	term  bool             // draw at all; false when w is not a terminal
	now   func() time.Time // clock, replaced in tests
	start time.Time

	n     atomic.Int64
	total atomic.Int64
	next  atomic.Int64 // earliest time of the next redraw, in ns since start

	mu    sync.Mutex // serialises drawing
	width int        // length of the last line drawn, to blank it out
	done  bool
}

// New returns a bar that counts bytes towards total and draws on w when w is
// a terminal. A total <= 0 means unknown: the bar then shows the count and
// the rate only.
func New(w io.Writer, label string, total int64) *Bar {
	return newBar(w, label, total, unitBytes, isTerminal(w), time.Now)
}

// NewCount is like New for a bar that counts items, such as records, rather
// than bytes.
func NewCount(w io.Writer, label string, total int64) *Bar {
	return newBar(w, label, total, unitItems, isTerminal(w), time.Now)
}

func newBar(w io.Writer, label string, total int64, u unit, terminal bool, now func() time.Time) *Bar {
	b := &Bar{w: w, label: label, unit: u, term: terminal, now: now, start: now()}
	b.total.Store(total)
	b.next.Store(int64(interval))
	return b
}

// isTerminal reports whether w is an *os.File open on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// Add adds n to the count and redraws if the last redraw is old enough.
func (b *Bar) Add(n int64) {
	if b == nil {
		return
	}
	b.n.Add(n)
	b.tick()
}

// Set sets the count to n and redraws if the last redraw is old enough.
func (b *Bar) Set(n int64) {
	if b == nil {
		return
	}
	b.n.Store(n)
	b.tick()
}

// SetTotal sets the total, for a bar created before the total was known
// (a download learns it from the response). A total <= 0 means unknown.
func (b *Bar) SetTotal(total int64) {
	if b == nil {
		return
	}
	b.total.Store(total)
}

// Count returns the count so far.
func (b *Bar) Count() int64 {
	if b == nil {
		return 0
	}
	return b.n.Load()
}

// Done draws the final state and ends the line. It prints nothing when the
// writer is not a terminal. Calls after the first do nothing.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if b.term {
		b.draw()
		io.WriteString(b.w, "\n")
	}
}

// Reader returns a reader that reads from r and adds the bytes read to the
// count.
func (b *Bar) Reader(r io.Reader) io.Reader {
	return &reader{r: r, b: b}
}

type reader struct {
	r io.Reader
	b *Bar
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.b.Add(int64(n))
	return n, err
}

// tick redraws when the bar draws at all and the throttle allows it. The
// common case costs a clock read and two atomic loads.
func (b *Bar) tick() {
	if !b.term {
		return
	}
	t := int64(b.now().Sub(b.start))
	next := b.next.Load()
	if t < next || !b.next.CompareAndSwap(next, t+int64(interval)) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.done {
		b.draw()
	}
}

// draw writes the current line over the previous one. b.mu is held.
func (b *Bar) draw() {
	line := b.line(b.now().Sub(b.start))
	pad := b.width - len(line)
	b.width = len(line)
	if pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	io.WriteString(b.w, "\r"+line)
}

// line formats the bar for an elapsed time:
//
//	label  45% [#########-----------] 12.3 MiB/27.1 MiB 4.5 MiB/s
//	label 12.3 MiB 4.5 MiB/s
func (b *Bar) line(elapsed time.Duration) string {
	n, total := b.n.Load(), b.total.Load()
	var s strings.Builder
	s.WriteString(b.label)
	if total > 0 {
		frac := float64(n) / float64(total)
		frac = min(max(frac, 0), 1)
		cells := int(frac * width)
		fmt.Fprintf(&s, " %3d%% [%s%s] %s/%s", int(frac*100),
			strings.Repeat("#", cells), strings.Repeat("-", width-cells),
			b.format(n), b.format(total))
	} else {
		fmt.Fprintf(&s, " %s", b.format(n))
	}
	if elapsed > 0 {
		rate := int64(float64(n) / elapsed.Seconds())
		fmt.Fprintf(&s, " %s/s", b.format(rate))
	}
	return s.String()
}

func (b *Bar) format(n int64) string {
	if b.unit == unitItems {
		return fmt.Sprint(n)
	}
	return formatBytes(n)
}

// formatBytes formats n with binary prefixes and one decimal: "512 B",
// "1.5 KiB", "12.3 MiB".
func formatBytes(n int64) string {
	const k = 1024
	if n < k {
		return fmt.Sprintf("%d B", n)
	}
	v := float64(n)
	for _, p := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= k
		if v < k || p == "TiB" {
			return fmt.Sprintf("%.1f %s", v, p)
		}
	}
	panic("unreachable")
}
