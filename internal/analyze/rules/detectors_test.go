package rules

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/analyze"
)

// lines returns "rule:line" for each finding of r on f.
func lines(t *testing.T, r analyze.Rule, f analyze.File) []string {
	t.Helper()
	fs, err := r.Check(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fd := range fs {
		out = append(out, fd.Rule+":"+fd.Severity.String()+":"+itoa(fd.Location.Line))
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }

func js(path, src string) analyze.File {
	return analyze.File{Path: path, Kind: analyze.JavaScript, Data: []byte(src)}
}

func TestDetectors(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString([]byte("require('child_process').exec('true')"))
	random := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00\x01 binary noise \xff\xfe", 4)))
	highEnt := base64.StdEncoding.EncodeToString(pseudoRandom(600))
	tests := []struct {
		name string
		rule analyze.Rule
		file analyze.File
		want []string
	}{
		{"bidi override", newInvisibleUnicode(), js("a.js", "x\nif (isAdmin) { /*\u202e } \u2066if (true)*/\n"), []string{"invisible-unicode:high:2", "invisible-unicode:high:2"}},
		{"zero width in identifier", newInvisibleUnicode(), js("a.js", "const a\u200bb = 1"), []string{"invisible-unicode:medium:1"}},
		{"hangul filler identifier", newInvisibleUnicode(), js("a.js", "const {timeout,\u3164} = req.query;"), []string{"invisible-unicode:high:1"}},
		{"emoji joiner is fine", newInvisibleUnicode(), js("a.js", "const s = '👩\u200d💻';"), nil},
		{"bom is fine", newInvisibleUnicode(), js("a.js", "\ufeffconst a = 1"), nil},
		{"unicode in text is not code", newInvisibleUnicode(), analyze.File{Path: "README.md", Kind: analyze.Text, Data: []byte("\u202e")}, nil},

		{"high entropy", newHighEntropy(), js("a.js", "const k = '"+highEnt+"';"), []string{"high-entropy-string:low:1"}},
		{"data uri is fine", newHighEntropy(), js("a.js", "const k = 'data:image/png;base64,"+highEnt+"';"), nil},
		{"bundle is fine", newHighEntropy(), js("dist/a.js", "const k = '"+highEnt+"';"), nil},
		{"short is fine", newHighEntropy(), js("a.js", "const k = '"+highEnt[:100]+"';"), nil},

		{"base64 of code", newEncodedCode(), js("a.js", "x\nconst p = '"+payload+"';"), []string{"encoded-code:high:2"}},
		{"hex of code", newEncodedCode(), analyze.File{Path: "a.py", Kind: analyze.Python, Data: []byte("p = '" + hexOf("import os;os.system('true')") + "'")}, []string{"encoded-code:high:1"}},
		{"base64 of noise", newEncodedCode(), js("a.js", "const p = '"+random+"';"), nil},
		{"source map is fine", newEncodedCode(), js("a.js", "//# sourceMappingURL=data:application/json;base64,"+payload), nil},

		{"jsfuck", newObfuscatedJS(), js("a.js", strings.Repeat("[]+!![]+(![]+[])[+[]]", 20)), []string{"obfuscated-javascript:high:1"}},
		{"_0x identifiers", newObfuscatedJS(), js("a.js", strings.Repeat("var _0x1a2b=_0x3c4d[0x1];", 40)), []string{"obfuscated-javascript:medium:1"}},
		{"few _0x in big file", newObfuscatedJS(), js("a.js", strings.Repeat("var _0x1a2b=1;", 20)+strings.Repeat("x", 100000)), nil},
		{"plain js", newObfuscatedJS(), js("a.js", "if (a && (b || !c)) { f([1, 2]); }"), nil},

		{"minified in lib", newMisplacedMinified(), js("lib/index.js", strings.Repeat("a=1;", 1000)), []string{"misplaced-minified-code:low:1"}},
		{"minified python", newMisplacedMinified(), analyze.File{Path: "x/__init__.py", Kind: analyze.Python, Data: []byte("import os\n" + strings.Repeat("a=1;", 1000))}, []string{"misplaced-minified-code:medium:2"}},
		{"min.js is fine", newMisplacedMinified(), js("lib/index.min.js", strings.Repeat("a=1;", 1000)), nil},
		{"dist is fine", newMisplacedMinified(), js("dist/index.js", strings.Repeat("a=1;", 1000)), nil},
		{"normal lines", newMisplacedMinified(), js("index.js", strings.Repeat("a = 1;\n", 1000)), nil},

		{"elf", newNativeBinary(), analyze.File{Path: "bin/x", Kind: analyze.Binary, Data: []byte("\x7fELF\x02\x01\x01\x00rest")}, []string{"native-binary:medium:0"}},
		{"mach-o", newNativeBinary(), analyze.File{Path: "x.node", Kind: analyze.Binary, Data: []byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01")}, []string{"native-binary:medium:0"}},
		{"pe", newNativeBinary(), analyze.File{Path: "x.exe", Kind: analyze.Binary, Data: pe()}, []string{"native-binary:medium:0"}},
		{"java class is not mach-o", newNativeBinary(), analyze.File{Path: "X.class", Kind: analyze.Binary, Data: []byte("\xca\xfe\xba\xbe\x00\x00\x00\x34rest")}, nil},
		{"png", newNativeBinary(), analyze.File{Path: "x.png", Kind: analyze.Binary, Data: []byte("\x89PNG\r\n\x1a\nrest")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lines(t, tt.rule, tt.file)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&15])
	}
	return b.String()
}

func pe() []byte {
	b := make([]byte, 0x80)
	copy(b, "MZ")
	b[0x3c] = 0x40
	copy(b[0x40:], "PE\x00\x00")
	return b
}

// pseudoRandom returns n deterministic bytes that look random.
func pseudoRandom(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
