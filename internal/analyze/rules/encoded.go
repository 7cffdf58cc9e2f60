package rules

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// encodedCode decodes base64 and hex blobs in code files and reports the
// ones that decode to code: the payload of a "decode, then eval" chain.
// Data URIs and source maps are skipped. The bytes decoded per file are
// bounded, so the rule stays linear.
type encodedCode struct {
	minLen    int // shortest blob, in encoded bytes
	maxDecode int // most encoded bytes decoded per blob
	budget    int // most encoded bytes decoded per file
}

var _ analyze.Rule = (*encodedCode)(nil)

func newEncodedCode() *encodedCode {
	return &encodedCode{minLen: 40, maxDecode: 64 << 10, budget: 4 << 20}
}

func (*encodedCode) Name() string { return "encoded-code" }

// codeMarkers are what decoded code looks like.
var codeMarkers = [][]byte{
	[]byte("eval("), []byte("exec("), []byte("require("), []byte("import "), []byte("function"),
	[]byte("child_process"), []byte("subprocess"), []byte("os.system"), []byte("/bin/sh"),
	[]byte("powershell"), []byte("Invoke-Expression"), []byte("__import__"), []byte("http://"), []byte("https://"),
}

func looksLikeCode(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	printable := 0
	for _, c := range b {
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' {
			printable++
		}
	}
	if printable*10 < len(b)*9 {
		return false
	}
	for _, m := range codeMarkers {
		if bytes.Contains(b, m) {
			return true
		}
	}
	return false
}

func isHexByte(b byte) bool {
	return ('0' <= b && b <= '9') || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F')
}

func (e *encodedCode) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	if !codeKinds[f.Kind] {
		return nil, nil
	}
	data := f.Data
	budget := e.budget
	var out []finding.Finding
	for from := 0; budget > 0; {
		i, j, ok := nextRun(data, from, &b64Bytes, e.minLen)
		if !ok {
			break
		}
		from = j
		if !dataURI(data, i) {
			blob := data[i:min(j, i+e.maxDecode)]
			budget -= len(blob)
			if dec, how := decodeBlob(blob); dec != nil && looksLikeCode(dec) {
				cat, sev, what := analyze.CatObfuscation, finding.SeverityHigh, " blob decodes to code: "
				if isURL(dec) {
					// An address hidden from readers is an endpoint the
					// author did not want seen; sent to, it is a threat.
					cat, what = analyze.CatHiddenCode, " blob decodes to a URL: "
					if hasNetworkCall(data) {
						sev = finding.SeverityCritical
					}
				}
				out = append(out, newFinding(e.Name(), cat, sev,
					how+what+analyze.EscapeSnippet(string(dec[:min(len(dec), 60)])), f, i, j))
				if len(out) == maxFindingsPerRule {
					break
				}
			}
		}
	}
	return out, nil
}

// decodeBlob decodes blob as hex when it is all hex digits, else as
// standard or URL base64 (padded or not); nil when it is neither.
func decodeBlob(blob []byte) ([]byte, string) {
	allHex := len(blob)%2 == 0
	for _, b := range blob {
		if !isHexByte(b) {
			allHex = false
			break
		}
	}
	if allHex {
		dec := make([]byte, len(blob)/2)
		if _, err := hex.Decode(dec, blob); err == nil {
			return dec, "hex"
		}
	}
	s := bytes.TrimRight(blob, "=")
	s = s[:len(s)/4*4+min(len(s)%4, 3)]
	if len(s)%4 == 1 {
		s = s[:len(s)-1]
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		dec := make([]byte, enc.DecodedLen(len(s)))
		if n, err := enc.Decode(dec, s); err == nil {
			return dec[:n], "base64"
		}
	}
	return nil, ""
}

// isURL reports whether decoded bytes are just an http(s) URL.
func isURL(b []byte) bool {
	b = bytes.TrimSpace(b)
	return (bytes.HasPrefix(b, []byte("http://")) || bytes.HasPrefix(b, []byte("https://"))) && !bytes.ContainsAny(b, " \n\t;(")
}

// networkCalls are calls that send or fetch over the network, in the
// languages the rule reads.
var networkCalls = [][]byte{
	[]byte(".get("), []byte(".request("), []byte("fetch("), []byte("urlopen("), []byte("requests."),
	[]byte("http.Get("), []byte("XMLHttpRequest"), []byte("Net::HTTP"), []byte("WebClient"), []byte("Invoke-WebRequest"),
}

func hasNetworkCall(data []byte) bool {
	for _, c := range networkCalls {
		if bytes.Contains(data, c) {
			return true
		}
	}
	return false
}
