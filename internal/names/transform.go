package names

import (
	"slices"
	"strings"
)

// The transformations a Match names, from the strongest evidence of
// imitation to the weakest. Each is a string so that JSON output and policy
// files can name it.
const (
	Omitted         = "omitted character"  // lodah for lodash
	Repeated        = "repeated character" // loddash
	Inserted        = "inserted character" // a neighbouring key hit too (lodasjh), or a stray letter in a long name
	Swapped         = "swapped characters" // lodahs
	NeighbouringKey = "neighbouring key"   // lodasg (g is next to h on a QWERTY keyboard)
	LookAlike       = "visual look-alike"  // 1odash: rn for m, vv for w, 1 for l, 0 for o
	Confusable      = "Unicode confusable" // Cyrillic а for Latin a, fullwidth letters
	Separators      = "separators changed" // lo-dash, body_parser, bodyparser for body-parser
	WordOrder       = "word order"         // parser-body for body-parser
	OwnerLookAlike  = "owner look-alike"   // github.com/boltdb-go/bolt for github.com/boltdb/bolt
	ScopeLookAlike  = "scope look-alike"   // @babel-js/core for @babel/core
	Affix           = "affix decoration"   // lodash-js, node-lodash, python-requests
	Version         = "version decoration" // lodash2, lodash-v4
	ScopeConfusion  = "scope confusion"    // @evil/lodash for lodash
	ScopeRemoved    = "scope removed"      // eslint-plugin for @typescript-eslint/eslint-plugin
	OwnerChanged    = "owner changed"      // github.com/someone/cobra for github.com/spf13/cobra
)

// strength orders transformations for choosing between two matches of the
// same target: the lower, the stronger.
var strength = map[string]int{
	Confusable: 0, LookAlike: 1, Swapped: 2, Omitted: 3, Repeated: 4, NeighbouringKey: 5,
	Inserted: 6, Separators: 7, OwnerLookAlike: 9, ScopeLookAlike: 9, WordOrder: 10,
	Version: 11, Affix: 12, ScopeConfusion: 13, ScopeRemoved: 13, OwnerChanged: 14,
}

// weak lists the transformations that are reported at medium severity: they
// also describe many legitimate companion packages (plugins, wrappers, forks).
var weak = map[string]bool{WordOrder: true, Affix: true, Version: true, ScopeConfusion: true, ScopeRemoved: true, OwnerChanged: true}

// keyboard is a QWERTY layout, one row a string, offset as on a keyboard.
var keyboard = [...]string{"1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm"}

// adjacent[a] holds the keys next to key a.
var adjacent = func() [128]string {
	var adj [128]string
	// Row r's key at column c touches row r-1 at columns c and c+1 and row
	// r+1 at columns c-1 and c: rows are shifted right by about half a key.
	for r, row := range keyboard {
		for c := range len(row) {
			var s []byte
			add := func(rr, cc int) {
				if rr >= 0 && rr < len(keyboard) && cc >= 0 && cc < len(keyboard[rr]) {
					s = append(s, keyboard[rr][cc])
				}
			}
			add(r, c-1)
			add(r, c+1)
			add(r-1, c)
			add(r-1, c+1)
			add(r+1, c-1)
			add(r+1, c)
			adj[row[c]] = string(s)
		}
	}
	return adj
}()

// neighbours reports whether a and b are next to each other on a QWERTY keyboard.
func neighbours(a, b byte) bool {
	return a < 128 && strings.IndexByte(adjacent[a], b) >= 0
}

// lookAlikeByte maps single characters that look alike in common fonts to one
// representative: "1" is "l" and "0" is "o". (Names are compared in lower
// case, where "i" has its dot and "l" and "I" cannot be confused.)
func lookAlikeByte(c byte) byte {
	switch c {
	case '1':
		return 'l'
	case '0':
		return 'o'
	}
	return c
}

func isSep(c byte) bool { return c == '-' || c == '_' || c == '.' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// oneEdit classifies how n differs from t when they are one edit apart
// (Damerau-Levenshtein distance 1). It returns "" when they are not, or when
// the edit is not one that typing or misreading produces: a substitution of
// an unrelated letter, or, unless digits is set, a digit added, dropped or
// changed, which is how versions differ (vue2 and vue3, psycopg and
// psycopg2). minInsert is the shortest target for which a stray letter that
// is not a neighbouring key counts.
func oneEdit(n, t string, digits bool, minInsert int) string {
	ln, lt := len(n), len(t)
	switch {
	case ln == lt-1: // n omits one character of t
		i := 0
		for i < ln && n[i] == t[i] {
			i++
		}
		if n[i:] != t[i+1:] {
			return ""
		}
		switch {
		case shortWord(t, i):
			return ""
		case isSep(t[i]):
			return Separators
		case isDigit(t[i]) && !digits:
			return "" // a version: psycopg and psycopg2
		}
		return Omitted
	case ln == lt+1: // n inserts one character into t
		i := 0
		for i < lt && n[i] == t[i] {
			i++
		}
		if n[i+1:] != t[i:] || shortWord(n, i) {
			return ""
		}
		c := n[i]
		// The position of an inserted repeat is ambiguous (loddash): the
		// scan stops at the second copy, so look on both sides.
		if (i > 0 && n[i-1] == c) || (i+1 < ln && n[i+1] == c) {
			return Repeated
		}
		switch {
		case isSep(c):
			return Separators
		case isDigit(c) && !digits:
			return ""
		}
		if (i > 0 && neighbours(c, n[i-1])) || (i+1 < ln && neighbours(c, n[i+1])) {
			return Inserted
		}
		if lt >= minInsert {
			return Inserted
		}
		return ""
	case ln == lt:
		i := 0
		for i < ln && n[i] == t[i] {
			i++
		}
		if i == ln || shortWord(t, i) {
			return ""
		}
		if i+1 < ln && n[i] == t[i+1] && n[i+1] == t[i] && n[i+2:] == t[i+2:] {
			if n[i] == n[i+1] {
				return ""
			}
			return Swapped
		}
		if n[i+1:] != t[i+1:] {
			return ""
		}
		a, b := n[i], t[i]
		switch {
		case lookAlikeByte(a) == lookAlikeByte(b):
			return LookAlike
		case isSep(a) && isSep(b):
			return Separators
		case isDigit(a) && isDigit(b) && !digits:
			return "" // a version: vue2 and vue3, es2015 and es2016
		case neighbours(a, b):
			return NeighbouringKey
		}
	}
	return ""
}

// shortWord reports whether s[i] is in a word of at most three letters of
// a name of several words ("-", "_", "." and "/" separate them): an edit
// there makes a different word, as in aws-sdk-sns and aws-sdk-sms, or
// mypy-boto3-m2 and mypy-boto3-mq, rather than a typo.
func shortWord(s string, i int) bool {
	if isSep(s[i]) || s[i] == '/' {
		return false
	}
	start, end := i, i+1
	for start > 0 && !isSep(s[start-1]) && s[start-1] != '/' {
		start--
	}
	for end < len(s) && !isSep(s[end]) && s[end] != '/' {
		end++
	}
	return end-start <= 3 && end-start < len(s)
}

// sepless removes the separators "-", "_" and "." from s.
func sepless(s string) string {
	if strings.IndexAny(s, "-_.") < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if !isSep(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// visual maps s to a skeleton in which characters and pairs that look alike
// are one: "rn" and "m", "vv" and "w", "1" and "l", "0" and "o". Separators
// are kept.
func visual(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i+1 < len(s) {
			switch s[i : i+2] {
			case "rn":
				b = append(b, 'm')
				i++
				continue
			case "vv":
				b = append(b, 'w')
				i++
				continue
			}
		}
		b = append(b, lookAlikeByte(c))
	}
	return string(b)
}

// words returns s's words ("-", "_" and "." separate them) sorted and joined
// by "-", or "" when s has fewer than two words.
func words(s string) string {
	if strings.IndexAny(s, "-_.") < 0 {
		return ""
	}
	ws := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	if len(ws) < 2 {
		return ""
	}
	slices.Sort(ws)
	return strings.Join(ws, "-")
}

// prefixes and suffixes are the decorations added to a popular name to make
// a plausible companion: node-lodash, lodash-js, python-requests, serde-rs.
// A separator between the decoration and the name is optional.
var (
	prefixes = []string{"node", "nodejs", "js", "python", "python3", "py", "go", "golang", "lib", "rust", "ruby"}
	suffixes = []string{"js", "node", "nodejs", "py", "python", "python3", "rs", "rust", "sys", "cli", "lib", "core", "api", "sdk", "go", "golang", "ts", "dev"}
)

// undecorate calls f with each name n could be decorated from, and whether
// the decoration was a version number, until f returns true.
func undecorate(n string, f func(root string, version bool) bool) {
	trimSep := func(s string, atEnd bool) string {
		if s == "" {
			return s
		}
		if atEnd && isSep(s[len(s)-1]) {
			return s[:len(s)-1]
		}
		if !atEnd && isSep(s[0]) {
			return s[1:]
		}
		return s
	}
	for _, p := range prefixes {
		if strings.HasPrefix(n, p) {
			if r := trimSep(n[len(p):], false); r != "" && f(r, false) {
				return
			}
		}
	}
	for _, s := range suffixes {
		if strings.HasSuffix(n, s) {
			if r := trimSep(n[:len(n)-len(s)], true); r != "" && f(r, false) {
				return
			}
		}
	}
	// Version numbers: lodash2, lodash-2, lodash-v4, lodash_v4.2.
	i := len(n)
	for i > 0 && (isDigit(n[i-1]) || n[i-1] == '.') {
		i--
	}
	if i < len(n) && i > 0 && isDigit(n[len(n)-1]) {
		r := n[:i]
		if len(r) > 1 && r[len(r)-1] == 'v' && isSep(r[len(r)-2]) {
			r = r[:len(r)-1]
		}
		if r = trimSep(r, true); r != "" && f(r, true) {
			return
		}
	}
}
