package sandbox

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sapperhq/sapper/internal/analyze"
)

// BenchmarkAnalyzeNPM is the wall time of the dynamic analysis of a small
// npm package, sandbox start included: its postinstall (a node script)
// and require phases. Target: <= 5 s (docs/benchmarks.md).
func BenchmarkAnalyzeNPM(b *testing.B) {
	needRunsc(b)
	for _, fx := range []struct {
		name  string
		files map[string]string
	}{{"postinstall+require", npmEvil}, {"require", npmPlain}} {
		b.Run(fx.name, func(b *testing.B) {
			tg := target(b, fx.files)
			for b.Loop() {
				if _, err := Analyze(context.Background(), tg, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAnalyzeParallel analyses 8 small npm packages (a postinstall
// and require each) with jobs sandboxes at once, and reports packages per
// second.
func BenchmarkAnalyzeParallel(b *testing.B) {
	needRunsc(b)
	var tgs []*analyze.Target
	for i := range 8 {
		files := map[string]string{}
		for k, v := range npmEvil {
			files[k] = v
		}
		files["package.json"] = fmt.Sprintf(`{"name":"fixture-%d","version":"1.0.0","scripts":{"postinstall":"node x.js"}}`, i)
		tgs = append(tgs, target(b, files))
	}
	for _, jobs := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				slots := make(chan struct{}, jobs)
				var wg sync.WaitGroup
				for _, tg := range tgs {
					slots <- struct{}{}
					wg.Go(func() {
						defer func() { <-slots }()
						if _, err := Analyze(context.Background(), tg, Options{}); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				total += time.Since(start)
			}
			b.ReportMetric(float64(len(tgs)*b.N)/total.Seconds(), "packages/s")
		})
	}
}

// BenchmarkAnalyzePyPI is the wall time of a small wheel's install (pip)
// and import phases, sandbox start included.
func BenchmarkAnalyzePyPI(b *testing.B) {
	needRunsc(b)
	if !onPATH("python3", phasePATH(Options{})) {
		b.Skip("python3 is not installed")
	}
	tg := target(b, pyPlainWheel)
	for b.Loop() {
		if _, err := Analyze(context.Background(), tg, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
