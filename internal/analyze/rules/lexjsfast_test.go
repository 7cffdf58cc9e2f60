package rules

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// lexJSFastSeeds are the sources of TestLexJS, the seeds of FuzzLexJS, and
// code that exercises the corners where lexJSFast must follow lexJS.
var lexJSFastSeeds = []string{
	// TestLexJS
	`a = "x" // hi`,
	"a /* x\n y */ b",
	`re = /\/\//g; f() // c`,
	`x = /'/; y = 'a'`,
	`x = /[/"]/; y = 1 // c`,
	`a = b / c; d = e / f // c`,
	`x = (a) / 2 / 3; s = '//'`,
	`if (a) /"/.test(b); eval(c); "x"`,
	"{}\n/'/.test(x) // c",
	`x = {} / 2; y = "a"`,
	`return /a'/.test(x) // c`,
	`a++ / 2; b = '//'`,
	`x.return / 2 / 3 // c`,
	"t = `a ${ `b // ${c}` } // d` // e",
	"t = `${ /`/.source }` // c",
	"#!/usr/bin/env node\nx = 1 // c",
	"x = a <!-- b; eval(c)\ny = 1 // c",
	"a = 'it\n// c",
	`fs.chmodSync(f, 0755) // c`,
	`x = 3px; y = "a" // c`,
	`const m = new Map<string, number>(); // c`,
	`@dec class A {} // c`,
	"a = 1 /* x\nb = 2",
	`a = "\"//" // c`,
	// FuzzLexJS
	"a = /re/g // c", "`a${`b${c}`}`", "if (a) /'/.test(b)", "x = 'a\n/* b", "#!/bin/node\n<!-- x\n--> y", "0755 3px @d",
	// Corners.
	"x = a\n--> y\n/* c */ --> z\n--> w",
	"`${ a <!-- b\n }` /x/",
	"a = 1 / 2; b = /* c */ /re/; c = x / y / z",
	"if (x) /a/.test(y); while (z) /b/g; for (;;) /c/; with (o) /d/",
	"x.if (a) / 2 / 3; y.for {} / 2",
	"class A { m() {} } /x/; ({}) / 2; a => {} /y/",
	"x = 0x1Fn / 2 + 0b101 / 3 + 0o17 / 4 + 1_000 / 5 + .5e-3 / 6 + 1e / 7 + 08.5 / 8",
	"x = 3in y; z = 3.toString(); w = 3..toString(); v = 1.n",
	"#priv in obj; this.#x / 2; #!x; # y",
	"a ?= b; c ~= 'd'; e ??= f; g?.h / 2; i?.5:6",
	"x = `a\\`b${'}'}c${`${d}`}e` / 2; y = `unterminated",
	"s = 'a\\\nb' + \"c\\\r\nd\" + 'e\\\u2028f' + '\\'' // c",
	"r = /[/]/ + /\\// + /a/gimsuy + /[\\]/]/ // c",
	"x = a / b\ny = /re\n/ 2",
	"\ufeffvar a = 1;\u00a0// c\u2028x = /r/\u2029// d",
	"// c\u2028/re/; /* a\u2028 */ --> b",
	"var \\u0061b = 1 / 2; \\u{62}c / 3; \\x",
	"x = y\r\n/re/.test(z) // \r c",
	"do /a/.test(b); while (c) ; else /x/; typeof /y/; case /z/:",
	"a = b\n++c / d; e = f-- / 2",
	"x = (a, b) => ({}) / 2; y = async () => {} /z/",
	"`${`${`${x}`}`}` / 2 + `${{a: 1}}` / 3 + `${(}` / 4",
	"`${ / }` /",
	"a /* unterminated \xe2\x80",
	"x = /a\xe2\x80",
	"'\\\xe2\x80",
	"\n\xe2\x80",
	"é = 1",
	"x = /a/é",
}

// lexJSRef runs lexJS as lexSpans does: a panic counts as no spans.
func lexJSRef(data []byte) (spans []lexSpan, panicked bool) {
	defer func() {
		if recover() != nil {
			spans, panicked = nil, true
		}
	}()
	return lexJS(data), false
}

// checkLexJSFast checks that lexJSFast, where it accepts data, finds
// what lexJS does; it returns whether lexJSFast accepted data.
func checkLexJSFast(t testing.TB, name string, data []byte) bool {
	t.Helper()
	got, ok := lexJSFast(data)
	if !ok {
		return false
	}
	want, panicked := lexJSRef(data)
	return compareLexJSFast(t, name, data, got, want, panicked)
}

func compareLexJSFast(t testing.TB, name string, data []byte, got, want []lexSpan, panicked bool) bool {
	t.Helper()
	if panicked {
		t.Errorf("%s: lexJS panics, lexJSFast accepts %q", name, jsHead(data))
		return true
	}
	if !slices.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		var g, w lexSpan
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		lo := max(0, int(min(g.lo, w.lo))-60)
		if i == len(got) || i == len(want) {
			lo = max(0, int(max(g.lo, w.lo))-60)
		}
		hi := min(len(data), lo+200)
		t.Errorf("%s: span %d: lexJSFast %+v, lexJS %+v; near %d:\n%q\nfast: %s\nref:  %s", name, i, g, w, lo, data[lo:hi],
			mask(string(data), got)[lo:hi], mask(string(data), want)[lo:hi])
	}
	return true
}

func jsHead(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}

func TestLexJSFastSeeds(t *testing.T) {
	accepted := 0
	for _, s := range lexJSFastSeeds {
		if checkLexJSFast(t, fmt.Sprintf("%q", s), []byte(s)) {
			accepted++
		}
	}
	if data := bundle(1 << 20); !checkLexJSFast(t, "bundle", data) {
		t.Error("lexJSFast gives up on the bundle")
	}
	t.Logf("lexJSFast accepts %d of %d seeds", accepted, len(lexJSFastSeeds))
}

func FuzzLexJSFast(f *testing.F) {
	for _, s := range lexJSFastSeeds {
		f.Add([]byte(s))
	}
	f.Add(bundle(1 << 10))
	f.Fuzz(func(t *testing.T, data []byte) {
		if spans, ok := lexJSFast(data); ok {
			checkSpans(t, len(data), spans)
		}
		checkLexJSFast(t, "input", data)
		// The same bytes read as a list of tokens, to reach the
		// corners of the regular expression heuristic sooner.
		checkLexJSFast(t, "tokens", jsTokenSoup(data))
	})
}

// jsSoupTokens are pieces of JavaScript, and of things that are not,
// for jsTokenSoup.
var jsSoupTokens = append(strings.Fields(`
	a b1 $ _x \u0061 \u{62}c \x if while for with else do try finally of in instanceof typeof void
	delete new return throw case await yield extends let async get this true null function class var
	. ?. ... ( ) [ ] { } ; , : ? => = == === ! != !== < <= << <<= > >= >> >>= >>> >>>= + += ++ - -= --
	* *= ** **= % %= & &= && &&= | |= || ||= ^ ^= ~ ~= ?= ?? ??= / /= /a/ /[/]/g /\// // /* */ /*x*/
	' " 'a' "b" 'c\'' "\\" <!-- --> # #a #! @ \ 0 1 12 0x1F 0b1 0o7
	07 08 1e 1e5 1e+ .5 .e 1_0 1_ 10n 0n 3px 1.5.5 .. 0.x
`), "`", "`a`", "`a${", "}b${", "}`", "${x}", "\u2028", "\u2029", "\u00a0", "\ufeff", "\xe2\x80", "\xe2",
	"é", "\x00", "\x01", "\x7f", "\v", "\f")

// jsTokenSoup reads each byte of data as a token of jsSoupTokens or a
// separator.
func jsTokenSoup(data []byte) []byte {
	seps := []string{"", " ", "\n", "\r\n", "\t", "\r"}
	var b []byte
	for i, c := range data {
		if c >= 0xF0 {
			b = append(b, seps[int(c)%len(seps)]...)
			continue
		}
		b = append(b, jsSoupTokens[int(c)%len(jsSoupTokens)]...)
		if i%3 == 0 {
			b = append(b, ' ')
		}
	}
	return b
}

func TestLexJSFastTokenSoup(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	accepted, runs := 0, 20000
	if testing.Short() {
		runs = 2000
	}
	for range runs {
		data := make([]byte, 1+r.IntN(60))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		if checkLexJSFast(t, "soup", jsTokenSoup(data)) {
			accepted++
		}
	}
	t.Logf("lexJSFast accepts %d of %d", accepted, runs)
}

func TestLexJSFastNesting(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("(", maxJSNesting+5) + strings.Repeat(")", maxJSNesting+8) + " /a/ // c",
		"if " + strings.Repeat("(", maxJSNesting+5) + strings.Repeat(")", maxJSNesting+5) + " /a/ // c",
		strings.Repeat("{", maxJSNesting+5) + strings.Repeat("}", maxJSNesting+8) + " /a/ // c",
		"x = " + strings.Repeat("{", maxJSNesting+5) + strings.Repeat("}", maxJSNesting+5) + " /a/ // c",
		strings.Repeat("`${", 1000) + strings.Repeat("}`", 1000) + " /a/ // c",
	} {
		if !checkLexJSFast(t, "nesting", []byte(s)) {
			t.Errorf("lexJSFast gives up on %.40q...", s)
		}
	}
}

// lexJSFastStats counts files and bytes lexJSFast accepts.
type lexJSFastStats struct {
	files, bytes, okFiles, okBytes int
	fallbacks                      []string
	// timeFast and timeRef are the time lexSpans takes on the files
	// with lexJSFast first (falling back to lexJS) and with lexJS only.
	timeFast, timeRef time.Duration
}

func (s *lexJSFastStats) check(t *testing.T, name string, data []byte) {
	s.files++
	s.bytes += len(data)
	t0 := time.Now()
	got, ok := lexJSFast(data)
	t1 := time.Now()
	want, panicked := lexJSRef(data)
	t2 := time.Now()
	s.timeRef += t2.Sub(t1)
	s.timeFast += t1.Sub(t0)
	if !ok {
		s.timeFast += t2.Sub(t1)
	}
	if ok && compareLexJSFast(t, name, data, got, want, panicked) {
		s.okFiles++
		s.okBytes += len(data)
	} else if len(data) > 100<<10 {
		s.fallbacks = append(s.fallbacks, fmt.Sprintf("%s (%d KiB)", name, len(data)>>10))
	}
}

func (s *lexJSFastStats) report(t *testing.T) {
	if s.files == 0 {
		t.Skip("no JavaScript files")
	}
	t.Logf("%d files, %.1f MB; lexJSFast falls back on %d files (%.2f%%), %.2f MB (%.2f%% of bytes)",
		s.files, float64(s.bytes)/1e6, s.files-s.okFiles, 100*float64(s.files-s.okFiles)/float64(s.files),
		float64(s.bytes-s.okBytes)/1e6, 100*float64(s.bytes-s.okBytes)/float64(max(s.bytes, 1)))
	mb := float64(s.bytes) / 1e6
	t.Logf("lexJS %.0f MB/s; lexJSFast, with its fallbacks, %.0f MB/s", mb/s.timeRef.Seconds(), mb/s.timeFast.Seconds())
	for _, f := range s.fallbacks {
		t.Logf("large fallback: %s", f)
	}
}

func isJSName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".js", ".mjs", ".cjs":
		return true
	}
	return false
}

// TestLexJSFastInstalled compares lexJSFast with lexJS on the JavaScript
// installed with Node.js and npm.
func TestLexJSFastInstalled(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var s lexJSFastStats
	for _, root := range []string{"/usr/lib/node_modules", "/usr/share/nodejs", "/usr/local/lib/node_modules"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() || !isJSName(p) {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			s.check(t, p, data)
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	s.report(t)
}

// TestLexJSFastCorpus compares lexJSFast with lexJS on the npm tarballs
// cached by sapper, when SAPPER_LEXJS_CORPUS is set (to 1, or to the
// directory of the tarballs).
func TestLexJSFastCorpus(t *testing.T) {
	dir := os.Getenv("SAPPER_LEXJS_CORPUS")
	if dir == "" {
		t.Skip("SAPPER_LEXJS_CORPUS is not set")
	}
	if dir == "1" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(home, ".cache", "sapper", "packages")
	}
	tgzs, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if err != nil || len(tgzs) == 0 {
		t.Skipf("no tarballs in %s", dir)
	}
	var s lexJSFastStats
	for _, p := range tgzs {
		if err := eachTarJS(p, func(name string, data []byte) {
			s.check(t, filepath.Base(p)+":"+name, data)
		}); err != nil {
			t.Logf("%s: %v", p, err)
		}
	}
	s.report(t)
}

// eachTarJS calls f with every JavaScript file of the gzipped tarball p.
func eachTarJS(p string, f func(name string, data []byte)) error {
	file, err := os.Open(p)
	if err != nil {
		return err
	}
	defer file.Close()
	zr, err := gzip.NewReader(file)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg || !isJSName(h.Name) || h.Size > 64<<20 {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		f(h.Name, data)
	}
}

func BenchmarkLexJSFast(b *testing.B) {
	data := bundle(5 << 20)
	for _, tc := range []struct {
		name string
		lex  func([]byte) []lexSpan
	}{
		{"lexJS", lexJS},
		{"lexJSFast", func(d []byte) []lexSpan {
			spans, ok := lexJSFast(d)
			if !ok {
				b.Fatal("lexJSFast gives up on the bundle")
			}
			return spans
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				tc.lex(data)
			}
		})
	}
}

// BenchmarkLexJSFastCorpus measures both lexers on the JavaScript of the
// tarballs of TestLexJSFastCorpus, when SAPPER_LEXJS_CORPUS is set.
func BenchmarkLexJSFastCorpus(b *testing.B) {
	dir := os.Getenv("SAPPER_LEXJS_CORPUS")
	if dir == "" {
		b.Skip("SAPPER_LEXJS_CORPUS is not set")
	}
	if dir == "1" {
		home, err := os.UserHomeDir()
		if err != nil {
			b.Fatal(err)
		}
		dir = filepath.Join(home, ".cache", "sapper", "packages")
	}
	tgzs, _ := filepath.Glob(filepath.Join(dir, "*.tgz"))
	var files [][]byte
	size := 0
	for _, p := range tgzs {
		_ = eachTarJS(p, func(_ string, data []byte) {
			files = append(files, data)
			size += len(data)
		})
	}
	if len(files) == 0 {
		b.Skipf("no JavaScript in %s", dir)
	}
	for _, tc := range []struct {
		name string
		lex  func([]byte) []lexSpan
	}{
		{"lexJS", lexJS},
		{"lexJSFast", func(d []byte) []lexSpan {
			if spans, ok := lexJSFast(d); ok {
				return spans
			}
			return lexJS(d)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, f := range files {
					tc.lex(f)
				}
			}
		})
	}
}
