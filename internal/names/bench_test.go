package names

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// benchNames is a realistic mix for one ecosystem: a third popular names
// (from every part of the list), a third typos of them, a third names the
// list does not know.
func benchNames(c *Checker, eco string, n int) []string {
	ix := c.lists[eco]
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 0, n)
	for i := range n {
		name := ix.names[r.IntN(len(ix.names))]
		switch i % 3 {
		case 0:
		case 1: // a typo: swap, omit or double a character
			b := []byte(name)
			j := r.IntN(len(b))
			switch {
			case j+1 < len(b) && r.IntN(2) == 0:
				b[j], b[j+1] = b[j+1], b[j]
			case r.IntN(2) == 0:
				b = append(b[:j], b[j+1:]...)
			default:
				b = append(b[:j+1], b[j:]...)
			}
			name = string(b)
		case 2: // unknown: a made-up name of plausible length
			name = "acme-" + name[:len(name)/2] + "-" + strconv.Itoa(r.IntN(1000))
		}
		out = append(out, name)
	}
	return out
}

// BenchmarkCheck checks a mix of npm, PyPI and Go names, and each
// ecosystem's alone; names/s is the figure of docs/names.md.
func BenchmarkCheck(b *testing.B) {
	c, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	type q struct{ eco, name string }
	all := map[string][]q{}
	for _, eco := range []string{"npm", "PyPI", "Go"} {
		for _, n := range benchNames(c, eco, 3000) {
			all[eco] = append(all[eco], q{eco, n})
			all["mix"] = append(all["mix"], q{eco, n})
		}
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(all["mix"]), func(i, j int) { all["mix"][i], all["mix"][j] = all["mix"][j], all["mix"][i] })
	for _, set := range []string{"mix", "npm", "PyPI", "Go"} {
		qs := all[set]
		b.Run(set, func(b *testing.B) {
			b.ReportAllocs()
			flagged := 0
			for i := range b.N {
				x := qs[i%len(qs)]
				if _, ok := c.Check(x.eco, x.name); ok {
					flagged++
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "names/s")
			b.ReportMetric(float64(flagged)/float64(b.N), "flagged/name")
		})
	}
}

// BenchmarkDefault builds the Checker of the embedded lists from scratch,
// as Default does once, and reports the heap it keeps.
func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	var keep *Checker
	for b.Loop() {
		c, err := loadDefault()
		if err != nil {
			b.Fatal(err)
		}
		keep = c
	}
	b.StopTimer()
	keep = nil
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	keep, _ = loadDefault()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB-retained")
}
