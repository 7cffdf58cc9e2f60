package names

import (
	"strings"
	"unicode/utf8"
)

// confusables maps lower-case letters of other scripts, and Latin letters
// with diacritics, to the ASCII letter they are mistaken for. It is a
// hand-picked subset of Unicode's confusables.txt (UTS #39) covering the
// letters that pass for ASCII in a package name; registries that allow only
// ASCII names (npm, PyPI, crates.io, Go) make this matter where names are
// shown or typed rather than where they are published: lockfiles, manifests,
// documentation.
var confusables = map[rune]byte{
	// Cyrillic.
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'һ': 'h', 'і': 'i', 'ї': 'i', 'ј': 'j', 'к': 'k',
	'ӏ': 'l', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'г': 'r', 'ѕ': 's', 'т': 't',
	'ѵ': 'v', 'ԝ': 'w', 'х': 'x', 'у': 'y', 'ү': 'y', 'ԁ': 'd', 'ɡ': 'g', 'ь': 'b',
	// Greek.
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w', 'ϲ': 'c', 'ϳ': 'j',
	// Latin look-alikes and small capitals.
	'ɑ': 'a', 'ɩ': 'i', 'ı': 'i', 'ɪ': 'i', 'ʟ': 'l', 'ʏ': 'y', 'ᴄ': 'c', 'ᴏ': 'o', 'ᴠ': 'v',
	'ᴡ': 'w', 'ᴢ': 'z', 'ſ': 's', 'ƅ': 'b', 'ǀ': 'l', 'ℓ': 'l',
	// Latin with diacritics.
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ā': 'a', 'ă': 'a', 'ą': 'a',
	'ç': 'c', 'ć': 'c', 'ĉ': 'c', 'ċ': 'c', 'č': 'c', 'ď': 'd', 'đ': 'd',
	'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e', 'ē': 'e', 'ĕ': 'e', 'ė': 'e', 'ę': 'e', 'ě': 'e',
	'ĝ': 'g', 'ğ': 'g', 'ġ': 'g', 'ģ': 'g', 'ĥ': 'h', 'ħ': 'h',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ĩ': 'i', 'ī': 'i', 'ĭ': 'i', 'į': 'i', 'ĵ': 'j',
	'ķ': 'k', 'ĺ': 'l', 'ļ': 'l', 'ľ': 'l', 'ŀ': 'l', 'ł': 'l', 'ñ': 'n', 'ń': 'n', 'ņ': 'n', 'ň': 'n',
	'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o', 'ø': 'o', 'ō': 'o', 'ŏ': 'o', 'ő': 'o',
	'ŕ': 'r', 'ŗ': 'r', 'ř': 'r', 'ś': 's', 'ŝ': 's', 'ş': 's', 'š': 's', 'ţ': 't', 'ť': 't', 'ŧ': 't',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ũ': 'u', 'ū': 'u', 'ŭ': 'u', 'ů': 'u', 'ű': 'u', 'ų': 'u',
	'ŵ': 'w', 'ý': 'y', 'ÿ': 'y', 'ŷ': 'y', 'ź': 'z', 'ż': 'z', 'ž': 'z',
	// Punctuation that passes for a separator.
	'‐': '-', '‑': '-', '‒': '-', '–': '-', '—': '-', '―': '-', '−': '-', '․': '.', '＿': '_',
}

// invisible runes vanish from a name as displayed.
func invisible(r rune) bool {
	switch r {
	case '\u00ad', '\u034f', '\u061c', '\u115f', '\u1160', '\u17b4', '\u17b5', '\u180e',
		'\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u2060', '\u2061', '\u2062',
		'\u2063', '\u2064', '\ufeff':
		return true
	}
	return false
}

// toASCII maps a lower-case name with non-ASCII letters to the ASCII name it
// passes for, and reports whether every rune could be mapped.
func toASCII(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteByte(byte(r))
		case invisible(r):
		case r >= 0xff01 && r <= 0xff5e: // fullwidth ASCII
			c := byte(r - 0xff01 + '!')
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		case r >= 0x1d400 && r < 0x1d6a4: // mathematical alphanumeric letters, 13 styles of A-Z a-z
			b.WriteByte("abcdefghijklmnopqrstuvwxyz"[(r-0x1d400)%52%26])
		case r >= 0x1d7ce && r <= 0x1d7ff: // mathematical digits, 5 styles of 0-9
			b.WriteByte(byte('0' + (r-0x1d7ce)%10))
		default:
			c, ok := confusables[r]
			if !ok {
				return "", false
			}
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
