package proxy

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/version"
)

// pypiCheckPage checks what the rest of the proxy relies on in a decoded
// page: usable file names, hashes that are hashes, versions that parse
// and belong to the project, absolute http(s) URLs.
func pypiCheckPage(t *testing.T, p *pypiPage) {
	t.Helper()
	if len(p.files) > pypiMaxFiles {
		t.Fatalf("%d files", len(p.files))
	}
	for _, f := range p.files {
		if !pypiValidFilename(f.filename) {
			t.Errorf("file name %q kept", f.filename)
		}
		for _, h := range []string{f.sha256, f.metadataSHA256} {
			if h != "" && pypiHash(h) != h {
				t.Errorf("hash %q kept", h)
			}
		}
		if f.version != "" {
			if _, err := version.Parse(ecosystem.PyPI, f.version); err != nil || pypiFileVersion(p.name, f.filename) != f.version {
				t.Errorf("version %q of %q", f.version, f.filename)
			}
		}
		if f.url != "" {
			u, err := url.Parse(f.url)
			if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Fragment != "" {
				t.Errorf("URL %q kept", f.url)
			}
		}
	}
}

func FuzzPyPIParseHTML(f *testing.F) {
	sum := strings.Repeat("0f", 32)
	for _, s := range []string{
		`<a href="../../packages/evil_pkg-1.0.0-py3-none-any.whl#sha256=` + sum + `" data-requires-python="&gt;=3.7" data-yanked="x" data-dist-info-metadata="sha256=` + sum + `">evil_pkg-1.0.0-py3-none-any.whl</a><br/>`,
		`<html><head><base href="https://m.example/x/"><meta name="pypi:repository-version" content="1.0"></head><body><a href=evil-pkg-1.0.tar.gz>evil-pkg-1.0.tar.gz</a>`,
		`<script><a href="x"></script><!-- <a href="y"> --><a href='a%2Fb.whl'><a href="javascript:x">`,
		`<a href="evil_pkg-1.0.0-py3-none-any.whl" data-yanked="unterminated`,
		"<a href=\"\x00\">\x00</a><svg><a href=\"z\"></svg>",
	} {
		f.Add([]byte(s))
	}
	base, _ := url.Parse("https://pypi.example/simple/evil-pkg/")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := pypiParseHTML(body, base, "evil-pkg")
		if err != nil {
			return
		}
		pypiCheckPage(t, p)
	})
}

func FuzzPyPIParseJSON(f *testing.F) {
	sum := strings.Repeat("0f", 32)
	for _, s := range []string{
		`{"meta": {"api-version": "1.1"}, "name": "evil-pkg", "versions": ["1.0.0"], "files": [{"filename": "evil_pkg-1.0.0-py3-none-any.whl", "url": "/packages/evil_pkg-1.0.0-py3-none-any.whl", "hashes": {"sha256": "` + sum + `"}, "requires-python": ">=3.7", "yanked": "reason", "core-metadata": {"sha256": "` + sum + `"}, "upload-time": "2024-01-01T00:00:00.000000Z", "size": 10}]}`,
		`{"meta": {"api-version": "1.0"}, "name": "Evil.Pkg", "files": [{"filename": "evil-pkg-1.0.tar.gz", "url": "https://files.example/evil-pkg-1.0.tar.gz#frag", "hashes": {}, "yanked": true, "dist-info-metadata": true, "gpg-sig": false}]}`,
		`{"meta": {"api-version": "1.0"}, "files": [{"filename": "../x", "url": "javascript:1", "hashes": {"sha256": "zz"}}]}`,
	} {
		f.Add([]byte(s))
	}
	base, _ := url.Parse("https://pypi.example/simple/evil-pkg/")
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := pypiParseJSON(body, base, "evil-pkg")
		if err != nil {
			return
		}
		pypiCheckPage(t, p)
	})
}

func FuzzPyPIFileVersion(f *testing.F) {
	f.Add("evil-pkg", "evil_pkg-1.0.0-py3-none-any.whl")
	f.Add("evil-pkg", "Evil.Pkg-1!2.0.post1+local-py3-none-any.whl")
	f.Add("a-b", "a-b-c-1.0.tar.gz")
	f.Add("zope-interface", "zope.interface-6.0.zip")
	f.Fuzz(func(t *testing.T, project, filename string) {
		v := pypiFileVersion(project, filename)
		if v == "" {
			return
		}
		if _, err := version.Parse(ecosystem.PyPI, v); err != nil {
			t.Errorf("version %q of %q does not parse: %v", v, filename, err)
		}
		if !strings.Contains(filename, v) {
			t.Errorf("version %q is not in %q", v, filename)
		}
	})
}
