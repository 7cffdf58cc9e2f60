package rules

import (
	"bytes"
	"context"
	"fmt"
	"math"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// highEntropy finds long runs of base64-alphabet characters with a high
// Shannon entropy in code files outside bundles: packed or encrypted
// payloads. Data URIs (", base64,") are normal and skipped.
type highEntropy struct {
	minLen  int     // shortest run considered
	minBits float64 // entropy floor, bits per byte
}

var _ analyze.Rule = (*highEntropy)(nil)

func newHighEntropy() *highEntropy { return &highEntropy{minLen: 512, minBits: 5.3} }

func (*highEntropy) Name() string { return "high-entropy-string" }

func isB64Byte(b byte) bool { return b64Bytes[b] }

// b64Bytes and identBytes are lookup tables: these tests run on every byte
// of every code file.
var b64Bytes, identBytes = func() (b64, ident [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		ident[c] = b == '_' || b == '$' || ('0' <= b && b <= '9') || ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
		b64[c] = ident[c] && b != '$' || b == '+' || b == '/' || b == '-' || b == '='
	}
	return b64, ident
}()

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s []byte) float64 {
	var counts [256]int
	for _, b := range s {
		counts[b]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// dataURI reports whether the run starting at i follows "base64,".
func dataURI(data []byte, i int) bool {
	return bytes.HasSuffix(data[max(0, i-8):i], []byte("base64,"))
}

func (h *highEntropy) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	if !codeKinds[f.Kind] || bundlePath(f.Path) {
		return nil, nil
	}
	data := f.Data
	for from := 0; ; {
		i, j, ok := nextRun(data, from, &b64Bytes, h.minLen)
		if !ok {
			break
		}
		if !dataURI(data, i) {
			if e := entropy(data[i:j]); e >= h.minBits {
				return []finding.Finding{newFinding(h.Name(), analyze.CatObfuscation, finding.SeverityLow,
					fmt.Sprintf("high-entropy string of %d bytes (%.1f bits/byte): packed or encrypted data", j-i, e),
					f, i, j)}, nil
			}
		}
		from = j
	}
	return nil, nil
}

// nextRun returns the first run of at least minLen bytes of set in data at
// or after from: [start, end). It looks at the last byte of each window of
// minLen first, and so skips most of the input in steps of minLen: code
// has few long runs of any one alphabet.
func nextRun(data []byte, from int, set *[256]bool, minLen int) (start, end int, ok bool) {
	minLen = max(minLen, 1)
	i, good := from, from // data[i:good] is known to be in set
	for i+minLen <= len(data) {
		p := i + minLen - 1
		if !set[data[p]] {
			i = p + 1
			good = i
			continue
		}
		q := p - 1
		for q >= good && set[data[q]] {
			q--
		}
		if q >= good {
			i, good = q+1, p+1
			continue
		}
		j := p + 1
		for j < len(data) && set[data[j]] {
			j++
		}
		return i, j, true
	}
	return 0, 0, false
}
