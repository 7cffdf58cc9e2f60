package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/analyze"
)

// lexCase is one lexer test: want marks each byte of src as code '.',
// comment 'c' or string 's'; line breaks are not marked (they stand for
// themselves in want).
type lexCase struct {
	name, src, want string
}

// mask renders spans over src the way lexCase.want is written.
func mask(src string, spans []lexSpan) string {
	b := []byte(strings.Repeat(".", len(src)))
	for _, s := range spans {
		for i := s.lo; i < s.hi; i++ {
			b[i] = map[spanClass]byte{inComment: 'c', inString: 's'}[s.class]
		}
	}
	for i := range src {
		if src[i] == '\n' || src[i] == '\r' {
			b[i] = src[i]
		}
	}
	return string(b)
}

func runLexCases(t *testing.T, lex func([]byte) []lexSpan, tests []lexCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := lex([]byte(tt.src))
			if len(tt.want) != len(tt.src) {
				t.Fatalf("bad test: want is %d bytes, src %d; got\n%s", len(tt.want), len(tt.src), mask(tt.src, spans))
			}
			checkSpans(t, len(tt.src), spans)
			if got := mask(tt.src, spans); got != tt.want {
				t.Errorf("spans of\n%s\n(-want +got):\n%s", tt.src, cmp.Diff(strings.Split(tt.want, "\n"), strings.Split(got, "\n")))
			}
		})
	}
}

// checkSpans checks what every lexer promises: spans are sorted,
// non-empty, non-overlapping, within the data, of a known class.
func checkSpans(t testing.TB, n int, spans []lexSpan) {
	t.Helper()
	prev := int32(0)
	for i, s := range spans {
		if s.lo < prev || s.hi <= s.lo || int(s.hi) > n || (s.class != inComment && s.class != inString) {
			t.Fatalf("span %d %+v is out of order, empty, out of [0, %d] or of no class (spans %+v)", i, s, n, spans)
		}
		prev = s.hi
	}
}

func TestLexJS(t *testing.T) {
	runLexCases(t, lexJS, []lexCase{
		{"comment", `a = "x" // hi`,
			`....sss.ccccc`},
		{"block-comment", "a /* x\n y */ b",
			"..cccc\nccccc.."},
		{"regex-with-slashes", `re = /\/\//g; f() // c`,
			`.....sssssss......cccc`},
		{"regex-with-quote", `x = /'/; y = 'a'`,
			`....sss......sss`},
		{"regex-class-slash", `x = /[/"]/; y = 1 // c`,
			`....ssssss........cccc`},
		{"division", `a = b / c; d = e / f // c`,
			`.....................cccc`},
		{"division-after-paren", `x = (a) / 2 / 3; s = '//'`,
			`.....................ssss`},
		{"regex-after-if", `if (a) /"/.test(b); eval(c); "x"`,
			`.......sss...................sss`},
		{"regex-after-block", "{}\n/'/.test(x) // c",
			"..\nsss.........cccc"},
		{"division-after-object", `x = {} / 2; y = "a"`,
			`................sss`},
		{"regex-after-return", `return /a'/.test(x) // c`,
			`.......ssss.........cccc`},
		{"division-after-incr", `a++ / 2; b = '//'`,
			`.............ssss`},
		{"keyword-property", `x.return / 2 / 3 // c`,
			`.................cccc`},
		{"template-nested", "t = `a ${ `b // ${c}` } // d` // e",
			"....sss...ssssss....s..ssssss.cccc"},
		{"template-regex-in-expression", "t = `${ /`/.source }` // c",
			"....s...sss.........s.cccc"},
		{"hashbang", "#!/usr/bin/env node\nx = 1 // c",
			"ccccccccccccccccccc\n......cccc"},
		{"html-comment-is-code", "x = a <!-- b; eval(c)\ny = 1 // c",
			".....................\n......cccc"},
		{"unterminated-string", "a = 'it\n// c",
			".......\ncccc"},
		{"legacy-octal", `fs.chmodSync(f, 0755) // c`,
			`......................cccc`},
		{"number-then-word", `x = 3px; y = "a" // c`,
			`.............sss.cccc`},
		{"typescript-generic", `const m = new Map<string, number>(); // c`,
			`.....................................cccc`},
		{"decorator", `@dec class A {} // c`,
			`................cccc`},
		{"unterminated-comment", "a = 1 /* x\nb = 2",
			"..........\n....."},
		{"string-escapes", `a = "\"//" // c`,
			`....ssssss.cccc`},
	})
}

func TestLexPython(t *testing.T) {
	runLexCases(t, lexPython, []lexCase{
		{"comment", `x = 1 # c`,
			`......ccc`},
		{"hash-in-string", `s = "a # b" # c`,
			`....sssssss.ccc`},
		{"triple-quoted", "s = \"\"\"a # b\n'c\"\"\"  # d",
			"....ssssssss\nsssss..ccc"},
		{"fstring", `f"a{x}b" # c`,
			`sss...ss.ccc`},
		{"fstring-nested-quotes", `f"{d["k"]}"`,
			`ss...sss..s`},
		{"fstring-format-spec", `f"{x:>{w}}"`,
			`ss...s....s`},
		{"fstring-doubled-braces", `f"{{x}}" # c`,
			`ssssssss.ccc`},
		{"fstring-comment-in-field", "f\"\"\"{x # c\n}\"\"\" # d",
			"ssss...ccc\n.sss.ccc"},
		{"fstring-named-escape", `f"\N{DASH}{x}"`,
			`ssssssssss...s`},
		{"raw-fstring-brace", `rf"\{x}"`,
			`ssss...s`},
		{"tstring", `t"{x}" # c`,
			`ss...s.ccc`},
		{"raw-escaped-quote", `r"\"" # c`,
			`sssss.ccc`},
		{"raw-double-backslash", `r'\\' # c`,
			`sssss.ccc`},
		{"prefixes", `Rb"#" + bR'#' + U"#" # c`,
			`sssss...sssss...ssss.ccc`},
		{"not-a-prefix", `xr"#" # c`,
			`..sss.ccc`},
		{"unterminated-single", "s = 'abc\nx = 1 # c",
			"....ssss\n......ccc"},
		{"escaped-newline", "s = 'a\\\n# b' # c",
			"....sss\nssss.ccc"},
		{"unterminated-triple", "s = '''a\n# b",
			"....ssss\nsss"},
		{"carriage-return", "x = 1 # c\ry = 2 # d",
			"......ccc\r......ccc"},
		{"line-continuation", "x = 1 + \\\n  2 # c",
			".........\n....ccc"},
	})
	if spans := lexPython([]byte("# -*- coding: utf-7 -*-\nx = 1 #+AAo-exec(y)\n")); spans != nil {
		t.Errorf("a UTF-7 file was lexed: %+v", spans)
	}
	if spans := lexPython([]byte("# -*- coding: latin-1 -*-\n")); len(spans) != 1 {
		t.Errorf("a Latin-1 file was not lexed: %+v", spans)
	}
}

func TestLexPTH(t *testing.T) {
	runLexCases(t, lexPTH, []lexCase{
		{"lines", "import os; exec('#') # c\n# comment\n/some/path\n\nimport\tsys",
			"................sss..ccc\nccccccccc\nssssssssss\n\n.........."},
		{"carriage-return", "# c\rimport os",
			"ccc\r........."},
		{"triple-quote-is-one-line", "import x; y = '''\nimport os",
			"..............sss\n........."},
		{"indented-import-is-a-path", " import os",
			"ssssssssss"},
	})
}

func TestLexGo(t *testing.T) {
	runLexCases(t, lexGo, []lexCase{
		{"comment", `x := "// not" // c`,
			`.....ssssssss.cccc`},
		{"raw-string", "a := `\r\n// x`\n// c",
			".....s\r\nsssss\ncccc"},
		{"char", `c := '"' // c`,
			`.....sss.cccc`},
		{"block-comment", "/* a\r\nb */ x",
			"cccc\r\ncccc.."},
	})
}

func TestLexShell(t *testing.T) {
	runLexCases(t, lexShell, []lexCase{
		{"quoted-hash", `echo '#' # c`,
			`.....sss.ccc`},
		{"not-comments", `echo $# ${#x} ${x#y} a#b # c`,
			`.........................ccc`},
		{"command-substitution", `echo "a $(echo "#") b" # c`,
			`.....sss.......sss.sss.ccc`},
		{"empty-quotes", "case $t in\n'') x ;; # c\nesac",
			"..........\nss.......ccc\n...."},
		{"backslash", `echo \# x # c`,
			`..........ccc`},
		{"ansi-c", `echo $'it\'s' # c`,
			`.....ssssssss.ccc`},
		{"heredoc", "cat <<EOF\n# not\nEOF\n# c",
			".........\nsssss\n...\nccc"},
		{"heredoc-quoted-strip", "cat <<-'END' > f; echo # c\n\t# x\n\tEND\nx",
			".......................ccc\nssss\n....\n."},
		{"here-string", "cat <<< '#' # c",
			"........sss.ccc"},
		{"arithmetic-shift", "echo $(( 1 << 2 )) # c\nx",
			"...................ccc\n."},
		{"comment-after-operator", "a;# c\nb|#d",
			"..ccc\n..cc"},
		{"multiline-string", "x='a\n# b' # c",
			"..ss\nssss.ccc"},
	})
}

func TestLexPowerShell(t *testing.T) {
	runLexCases(t, lexPowerShell, []lexCase{
		{"quoted-hash", `Write-Host 'a # b' # c`,
			`...........sssssss.ccc`},
		{"block-comment", "<# a\n #> $x = 1",
			"cccc\nccc......."},
		{"subexpression", `"a $("#") b" # c`,
			`sss..sss.sss.ccc`},
		{"here-string", "@\"\n# x \"\n\"@ # c",
			"ss\nsssss\nss.ccc"},
		{"word-hash", `a#b # c`,
			`....ccc`},
		{"escape", "`# x # c",
			".....ccc"},
		{"doubled-quote", `'it''s' # c`,
			`sssssss.ccc`},
		{"typographic-quotes", "\u2018 # \u2019 # c",
			"sssssssss.ccc"},
	})
}

func TestLexRuby(t *testing.T) {
	runLexCases(t, lexRuby, []lexCase{
		{"comment", `x = 'a#b' # c`,
			`....sssss.ccc`},
		{"interpolation", `"a#{b}c" # d`,
			`ss....ss.ccc`},
		{"begin-end", "=begin\nx\n=end\ny # c",
			"cccccc\nc\ncccc\n..ccc"},
		{"end-data", "x\n__END__\n# data",
			".\nsssssss\nssssss"},
		{"heredoc", "x = <<~EOS\n  # not\n  EOS\n# c",
			"..........\nsssssss\n.....\nccc"},
		{"percent-literal", `%q(a (#) b) # c`,
			`sssssssssss.ccc`},
		{"regex-hash", `x =~ /#/ # c`,
			`.....sss.ccc`},
		{"regex-quote", `line.gsub(/'/, "") # c`,
			`..........sss..ss..ccc`},
		{"regex-method-arg", `s.split /'/ # c`,
			`........sss.ccc`},
		{"regex-not-on-one-line", "a = b /2\n# c",
			"........\nccc"},
		{"division", `a = b / c # '`,
			`..........ccc`},
		{"backticks-are-code", "`echo #{x}` # c",
			"............ccc"},
		{"special-globals", `$' + $" # c`,
			`........ccc`},
		{"char-literal", `c == ?# # c`,
			`.....ss.ccc`},
		{"shift", `a << b # c`,
			`.......ccc`},
	})
	if spans := lexRuby([]byte("# encoding: Shift_JIS\nx = 1 # c\n")); spans != nil {
		t.Errorf("a Shift_JIS file was lexed: %+v", spans)
	}
}

func TestLexSpansByKind(t *testing.T) {
	src := []byte("x = 1 // c\n")
	tests := []struct {
		path string
		kind analyze.Kind
		want int // spans
	}{
		{"a.js", analyze.JavaScript, 1},
		{"a.jsx", analyze.JavaScript, 0}, // JSX text is not JavaScript
		{"a.tsx", analyze.JavaScript, 0},
		{"a.rs", analyze.Rust, 0}, // no lexer
		{"package.json", analyze.Manifest, 0},
		{"a.txt", analyze.Text, 0},
	}
	for _, tt := range tests {
		f := analyze.File{Path: tt.path, Kind: tt.kind, Data: src}
		if got := len(lexSpans(&f)); got != tt.want {
			t.Errorf("%s (%s): %d spans, want %d", tt.path, tt.kind, got, tt.want)
		}
	}
	utf16 := analyze.File{Path: "a.ps1", Kind: analyze.PowerShell, Data: []byte("\xff\xfe#\x00 \x00")}
	if got := lexSpans(&utf16); got != nil {
		t.Errorf("UTF-16 file lexed: %+v", got)
	}
}

func TestSpanList(t *testing.T) {
	var l spanList
	l.add(0, 2, inString)
	l.add(2, 4, inString)  // touches: merged
	l.add(3, 6, inComment) // overlaps: clipped to 4-6
	l.add(5, 5, inComment) // empty
	l.add(7, 9, inCode)    // code is not a span
	l.add(8, 9, inString)
	want := []lexSpan{{0, 4, inString}, {4, 6, inComment}, {8, 9, inString}}
	if diff := cmp.Diff(want, l.s, cmp.AllowUnexported(lexSpan{})); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}

// lexFuzz checks what every lexer promises, on any input.
func lexFuzz(f *testing.F, lex func([]byte) []lexSpan, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSpans(t, len(data), lex(data))
	})
}

func FuzzLexJS(f *testing.F) {
	lexFuzz(f, lexJS, "a = /re/g // c", "`a${`b${c}`}`", "if (a) /'/.test(b)", "x = 'a\n/* b", "#!/bin/node\n<!-- x\n--> y", "0755 3px @d")
}

func FuzzLexPython(f *testing.F) {
	lexFuzz(f, lexPython, `f"{x:{y}}" # c`, `rb'\'' """a`, "f'{a['b']!r:>{w}}'\\\n", `f"\N{DASH}{{"`, "# coding: utf-7\n")
}

func FuzzLexPTH(f *testing.F) {
	lexFuzz(f, lexPTH, "import os; x = '''\n# c\r/path\r\nimport\tsys")
}

func FuzzLexGo(f *testing.F) {
	lexFuzz(f, lexGo, "package p // c\nvar s = `a\r\nb` + \"\\\"\" + '\\''", "/* x")
}

func FuzzLexShell(f *testing.F) {
	lexFuzz(f, lexShell, "echo $# ${#x} \"$(echo \"#\")\" <<-'E'\n\tx\n\tE\n# c", "$(( 1 << 2 )) $'a\\'' `x`")
}

func FuzzLexPowerShell(f *testing.F) {
	lexFuzz(f, lexPowerShell, "<# a #> \"$(\"#\")\" 'a''b' @\"\n\"@ `# \u2018x\u2019")
}

func FuzzLexRuby(f *testing.F) {
	lexFuzz(f, lexRuby, "=begin\n=end\nx = <<~E\n E\n%q(a(b)) /#/ \"#{`x`}\" ?# $'\n__END__\n")
}

// pythonSource generates Python of about n bytes: functions with
// docstrings, comments, f-strings and calls.
func pythonSource(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "def fn%d(x, y=%d):\n    \"\"\"Return x plus y.\n\n    Example: fn%d(1) # => %d\n    \"\"\"\n", i, i, i, i+1)
		fmt.Fprintf(&b, "    # add them up\n    s = f'{x!r:>{y}} and {y}' + r\"\\d+\" + 'it\\'s'\n    return requests.get(\"https://example.invalid/%d\", params={\"q\": s})\n\n", i)
	}
	return []byte(b.String())
}

func BenchmarkLex(b *testing.B) {
	for _, tc := range []struct {
		name string
		lex  func([]byte) []lexSpan
		data []byte
	}{
		{"javascript", lexJS, bundle(5 << 20)},
		{"python", lexPython, pythonSource(1 << 20)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			b.ReportAllocs()
			for b.Loop() {
				tc.lex(tc.data)
			}
		})
	}
}
