package names

import (
	"slices"
	"strings"
)

// codeHosts are the hosts whose module paths are host/owner/repository, so
// that a path below the repository names a package or a nested module of it.
var codeHosts = map[string]bool{
	"github.com": true, "gitlab.com": true, "bitbucket.org": true, "codeberg.org": true, "gitee.com": true,
}

// goTrim cuts a Go module or package path on a code host to
// host/owner/repository and removes a major version suffix ("/v2",
// gopkg.in's ".v3"), keeping letter case: the paths of one repository then
// compare equal.
func goTrim(p string) string {
	p = strings.TrimSuffix(p, "/")
	host, rest, _ := strings.Cut(p, "/")
	if codeHosts[strings.ToLower(host)] {
		if owner, sub, ok := strings.Cut(rest, "/"); ok {
			repo, _, _ := strings.Cut(sub, "/")
			return host + "/" + owner + "/" + repo
		}
		return p
	}
	if i := strings.LastIndexByte(p, '/'); i > 0 && isMajor(p[i+1:]) {
		return p[:i]
	}
	if strings.EqualFold(host, "gopkg.in") {
		if i := strings.LastIndexByte(p, '.'); i > 0 && isMajor(p[i+1:]) {
			return p[:i]
		}
	}
	return p
}

// isMajor reports whether s is a major version element: v2, v10.
func isMajor(s string) bool { return len(s) > 1 && s[0] == 'v' && allDigits(s[1:]) }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// codeHostPath splits a folded module path on a code host into its host,
// owner and repository.
func codeHostPath(f string) (host, owner, repo string, ok bool) {
	host, rest, ok := strings.Cut(f, "/")
	if !ok || !codeHosts[host] {
		return "", "", "", false
	}
	owner, repo, ok = strings.Cut(rest, "/")
	if !ok || owner == "" || repo == "" || strings.IndexByte(repo, '/') >= 0 {
		return "", "", "", false
	}
	return host, owner, repo, true
}

// ownerDecorations are what typosquats add to a repository owner's name to
// look official: github.com/boltdb-go/bolt for github.com/boltdb/bolt.
var ownerDecorations = []string{"go", "golang", "js", "node", "npm", "py", "dev", "io", "hq", "inc", "org", "official", "team", "labs", "lib", "oss", "pkg"}

// relatedOwner reports whether owner a looks like a spelling of owner b:
// one edit apart, equal without separators or look-alike characters, or b
// with a decoration ("boltdb-go", "go-boltdb", "boltdbhq").
func relatedOwner(a, b string) bool {
	if d := len(a) - len(b); -3 <= d && d <= 3 {
		if oneEdit(a, b, true, 0) != "" || oneEdit(b, a, true, 0) != "" {
			return true
		}
		if sepless(a) == sepless(b) || visual(a) == visual(b) {
			return true
		}
	}
	if len(b) < 3 {
		return false
	}
	if rest, ok := strings.CutPrefix(a, b); ok && len(rest) > 0 {
		if isSep(rest[0]) {
			rest = rest[1:]
		}
		return slices.Contains(ownerDecorations, rest)
	}
	if rest, ok := strings.CutSuffix(a, b); ok && len(rest) > 0 {
		if isSep(rest[len(rest)-1]) {
			rest = rest[:len(rest)-1]
		}
		return slices.Contains(ownerDecorations, rest)
	}
	return false
}
