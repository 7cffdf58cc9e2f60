package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestBar(w io.Writer, label string, total int64, u unit) (*Bar, *clock) {
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return newBar(w, label, total, u, true, c.now), c
}

// frames splits terminal output into the lines drawn with "\r".
func frames(s string) []string {
	var out []string
	for _, f := range strings.Split(s, "\r") {
		if f != "" {
			out = append(out, strings.TrimRight(f, " "))
		}
	}
	return out
}

func TestBarFormat(t *testing.T) {
	tests := []struct {
		name  string
		unit  unit
		total int64
		steps []int64 // Set values, one second apart
		want  []string
	}{
		{
			name:  "bytes_known_total",
			unit:  unitBytes,
			total: 4 << 20,
			steps: []int64{1 << 20, 4 << 20},
			want: []string{
				"sync  25% [#####---------------] 1.0 MiB/4.0 MiB 1.0 MiB/s",
				"sync 100% [####################] 4.0 MiB/4.0 MiB 2.0 MiB/s",
				"sync 100% [####################] 4.0 MiB/4.0 MiB 2.0 MiB/s\n",
			},
		},
		{
			name:  "bytes_unknown_total",
			unit:  unitBytes,
			steps: []int64{512, 3 << 10},
			want: []string{
				"sync 512 B 512 B/s",
				"sync 3.0 KiB 1.5 KiB/s",
				"sync 3.0 KiB 1.5 KiB/s\n",
			},
		},
		{
			name:  "items_known_total",
			unit:  unitItems,
			total: 200,
			steps: []int64{50, 120},
			want: []string{
				"sync  25% [#####---------------] 50/200 50/s",
				"sync  60% [############--------] 120/200 60/s",
				"sync  60% [############--------] 120/200 60/s\n",
			},
		},
		{
			name:  "items_unknown_total",
			unit:  unitItems,
			steps: []int64{7},
			want: []string{
				"sync 7 7/s",
				"sync 7 7/s\n",
			},
		},
		{
			name:  "over_total",
			unit:  unitItems,
			total: 10,
			steps: []int64{15},
			want: []string{
				"sync 100% [####################] 15/10 15/s",
				"sync 100% [####################] 15/10 15/s\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			b, c := newTestBar(&buf, "sync", tt.total, tt.unit)
			for _, n := range tt.steps {
				c.advance(time.Second)
				b.Set(n)
			}
			b.Done()
			b.Done() // a second Done does nothing
			if diff := cmp.Diff(tt.want, frames(buf.String())); diff != "" {
				t.Errorf("frames (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBarThrottle(t *testing.T) {
	var buf bytes.Buffer
	b, c := newTestBar(&buf, "x", 0, unitItems)
	b.Add(1) // too early: nothing drawn before the first interval
	for range 100 {
		c.advance(10 * time.Millisecond)
		b.Add(1)
	}
	// One second at 10 ms steps: a redraw every 100 ms.
	if got := strings.Count(buf.String(), "\r"); got != 10 {
		t.Errorf("drew %d frames in one second, want 10:\n%q", got, buf.String())
	}
}

func TestBarBlanksLongerLine(t *testing.T) {
	var buf bytes.Buffer
	b, c := newTestBar(&buf, "x", 0, unitBytes)
	c.advance(time.Second)
	b.Set(5 << 20) // "x 5.0 MiB 5.0 MiB/s"
	c.advance(time.Second)
	b.Set(0) // "x 0 B 0 B/s", padded to the previous width
	want := "\rx 5.0 MiB 5.0 MiB/s\rx 0 B 0 B/s        "
	if got := buf.String(); got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestBarNotTerminal(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "x", 10) // a buffer is no terminal
	b.Add(5)
	b.Set(10)
	b.Done()
	if buf.Len() != 0 {
		t.Errorf("bar wrote %q to a non-terminal, want nothing", buf.String())
	}
	if got := b.Count(); got != 10 {
		t.Errorf("Count() = %d, want 10", got)
	}

	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b = NewCount(f, "x", 0) // a regular file is no terminal either
	b.Add(3)
	b.Done()
	if fi, err := f.Stat(); err != nil || fi.Size() != 0 {
		t.Errorf("bar wrote to a regular file: size %v, %v", fi.Size(), err)
	}
}

func TestNilBar(t *testing.T) {
	var b *Bar
	b.Add(1)
	b.Set(2)
	b.SetTotal(3)
	b.Done()
	if got := b.Count(); got != 0 {
		t.Errorf("nil Count() = %d, want 0", got)
	}
	got, err := io.ReadAll(b.Reader(strings.NewReader("abc")))
	if err != nil || string(got) != "abc" {
		t.Errorf("nil Reader read %q, %v; want \"abc\", nil", got, err)
	}
}

func TestReaderConcurrent(t *testing.T) {
	var buf bytes.Buffer
	b, c := newTestBar(&buf, "x", 0, unitBytes)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.advance(time.Millisecond)
				if _, err := io.Copy(io.Discard, b.Reader(strings.NewReader("0123456789"))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if got := b.Count(); got != 8*100*10 {
		t.Errorf("Count() = %d, want %d", got, 8*100*10)
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{12_900_000, "12.3 MiB"},
		{5 << 30, "5.0 GiB"},
		{3 << 50, "3072.0 TiB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.n); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
