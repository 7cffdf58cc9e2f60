package lockfile

import (
	"strings"
)

// This file holds what the Python parsers share: index and URL
// classification and file-name parsing. Text checks are in read.go, TOML
// decoding with lines in toml.go.

// pyPublicHosts are the hosts of the public Python Package Index. Test PyPI
// (test.pypi.org) is another registry and is not among them.
var pyPublicHosts = map[string]bool{
	"pypi.org":        true,
	"www.pypi.org":    true,
	"pypi.python.org": true,
}

// pyURLHost returns the lower-cased host of an absolute URL
// ("scheme://[userinfo@]host[:port]/..."), or "" when u has none.
func pyURLHost(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") { // IPv6 literal
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			return strings.ToLower(rest[:i+1])
		}
		return ""
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return strings.ToLower(rest)
}

// pyPublicIndex reports whether the index or registry URL u is the public
// PyPI.
func pyPublicIndex(u string) bool {
	return pyPublicHosts[pyURLHost(strings.TrimSpace(u))]
}

// pyRegistry returns the source of a package from the index at u: the public
// registry when u is "" or PyPI, else a registry with its URL.
func pyRegistry(u string) Source {
	u = strings.TrimSpace(u)
	if u == "" || pyPublicIndex(u) {
		return Source{Kind: Registry}
	}
	return Source{Kind: Registry, URL: pyRedact(u)}
}

// pyRedact removes the user information of a URL ("https://user:token@host"),
// which often holds a credential, so that it never reaches a report. Strings
// that are not absolute URLs are returned unchanged.
func pyRedact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	end := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		end = i
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return u
	}
	return scheme + "://" + rest[at+1:]
}

// pyVCS maps the version-control schemes pip knows ("git+https", "hg",
// "svn+ssh", ...) to their system.
func pyVCS(scheme string) string {
	vcs, _, _ := strings.Cut(scheme, "+")
	switch vcs {
	case "git", "hg", "svn", "bzr":
		return vcs
	}
	return ""
}

// pyScheme returns the lower-cased URL scheme of s ("git+https", "file"),
// or "" when s does not start with one. A Windows drive ("C:\...") is not a
// scheme.
func pyScheme(s string) string {
	i := strings.IndexByte(s, ':')
	if i < 2 {
		return ""
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return ""
		}
	}
	return strings.ToLower(s[:i])
}

// pyLocation classifies a URL or local path from which a package is
// installed: a VCS URL ("git+https://...", also "git://"), an archive URL,
// a file: URL or a local path. It returns the source, and the name and
// version when the location tells them: a "#egg=name" fragment, a wheel
// file name (name-version-tags.whl) or a source archive name
// (name-version.tar.gz).
func pyLocation(loc string) (src Source, name, version string) {
	loc = strings.TrimSpace(loc)
	body, frag, _ := strings.Cut(loc, "#")
	for _, kv := range strings.Split(frag, "&") {
		if v, ok := strings.CutPrefix(kv, "egg="); ok {
			name = pyStripExtras(v)
		}
	}
	scheme := pyScheme(body)
	switch vcs := pyVCS(scheme); {
	case vcs == "git":
		if strings.HasPrefix(scheme, "git+") {
			body = body[len("git+"):]
		}
		return Source{Kind: Git, URL: pyRedact(body)}, name, ""
	case vcs != "":
		// Mercurial, Subversion and Bazaar repositories: no SourceKind of
		// their own, and not a registry.
		if strings.HasPrefix(scheme, vcs+"+") {
			body = body[len(vcs)+1:]
		}
		return Source{Kind: URL, URL: pyRedact(body)}, name, ""
	case scheme == "file":
		src = Source{Kind: Path, URL: body}
	case scheme == "":
		src = Source{Kind: Path, URL: body}
	default:
		src = Source{Kind: URL, URL: pyRedact(body)}
	}
	if name == "" {
		file := body
		if i := strings.IndexAny(file, "?"); i >= 0 {
			file = file[:i]
		}
		file = file[strings.LastIndexAny(file, `/\`)+1:]
		name, version = pyArchiveName(file)
	}
	return src, name, version
}

// pyArchiveSuffixes are the archive extensions pip installs from.
var pyArchiveSuffixes = []string{".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar.lz", ".tlz", ".tar", ".zip"}

// pyIsArchive reports whether a path names a wheel or source archive.
func pyIsArchive(p string) bool {
	p = strings.ToLower(p)
	if strings.HasSuffix(p, ".whl") {
		return true
	}
	for _, s := range pyArchiveSuffixes {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	return false
}

// pyArchiveName returns the name and version a distribution file name
// carries: a wheel is "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl"
// (the wheel specification), a source archive "{name}-{version}.tar.gz"
// (PEP 625), split at the last "-" followed by a digit.
func pyArchiveName(file string) (name, version string) {
	lower := strings.ToLower(file)
	if strings.HasSuffix(lower, ".whl") {
		parts := strings.Split(file[:len(file)-len(".whl")], "-")
		if len(parts) != 5 && len(parts) != 6 || !pyValidName(parts[0]) || parts[1] == "" {
			return "", ""
		}
		return parts[0], parts[1]
	}
	for _, s := range pyArchiveSuffixes {
		if !strings.HasSuffix(lower, s) {
			continue
		}
		stem := file[:len(file)-len(s)]
		for i := len(stem) - 2; i > 0; i-- {
			if stem[i] == '-' && '0' <= stem[i+1] && stem[i+1] <= '9' {
				if pyValidName(stem[:i]) {
					return stem[:i], stem[i+1:]
				}
				return "", ""
			}
		}
		return "", ""
	}
	return "", ""
}

// pyValidName reports whether name is a valid distribution name (PEP 508:
// letters, digits, ".", "_" and "-", starting and ending with a letter or
// digit).
func pyValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// pyStripExtras removes a trailing "[extra,...]" from a name or path.
func pyStripExtras(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "]") {
		if i := strings.LastIndexByte(s, '['); i >= 0 {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}
