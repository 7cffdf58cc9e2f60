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
	for i := 0; i < len(data); {
		if !isB64Byte(data[i]) {
			i++
			continue
		}
		j := i
		for j < len(data) && isB64Byte(data[j]) {
			j++
		}
		if j-i >= h.minLen && !dataURI(data, i) {
			if e := entropy(data[i:j]); e >= h.minBits {
				return []finding.Finding{newFinding(h.Name(), analyze.CatObfuscation, finding.SeverityLow,
					fmt.Sprintf("high-entropy string of %d bytes (%.1f bits/byte): packed or encrypted data", j-i, e),
					f, i, j)}, nil
			}
		}
		i = j
	}
	return nil, nil
}
