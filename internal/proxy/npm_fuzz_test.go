package proxy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/osv"
)

// FuzzNPMPackument feeds upstream packuments through decoding, deciding and
// rendering: no panic, valid JSON out, and the blocked version 1.0.1 never
// served plain nor left under a dist-tag while another version is allowed.
func FuzzNPMPackument(f *testing.F) {
	f.Add([]byte(`{"name":"pkg","dist-tags":{"latest":"1.0.1"},"versions":{"1.0.0":{"version":"1.0.0","dist":{"integrity":"sha512-AAAA","tarball":"x"}},"1.0.1":{"dist":{}}}}`))
	f.Add([]byte(`{"versions":{"1.0.1":{"version":"1.0.1","deprecated":false,"dist":{"tarball":"\u0000"}}},"dist-tags":{"a":"1.0.1","b":"9"},"time":{"1.0.1":"2020-01-01T00:00:00Z","unpublished":{}}}`))
	f.Add([]byte(`{"versions":{"v1.0.1":{},"1.0.1":{"scripts":{"install":"x"}},"01.0.0":{}},"versions":{}}`))
	f.Add([]byte(`{"versions":null,"dist-tags":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"80":"A","dist-tAgs":{"0":"00000"},"versions":{"0.0.0":{"00000":{}},"00000":{"0000":{}}}}`))
	db := &fakeDB{vulns: []*osv.Vulnerability{malRecord("MAL-2026-0009", ecosystem.NPM, "pkg", "1.0.1")}}
	s, err := New(Config{DB: db, CacheDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := t.Context()
		doc, err := s.decodeNPMDoc(ctx, "pkg", body)
		if err != nil {
			return
		}
		if err := s.decideNPMDoc(ctx, "pkg", doc); err != nil {
			t.Fatal(err)
		}
		if err := doc.render("pkg"); err != nil {
			t.Fatalf("render: %v", err)
		}
		out := []byte(strings.Join(bytesToStrings(doc.body), "http://proxy.test/npm"))
		// Decoded as npm does (JSON.parse): keys match exactly.
		var top map[string]json.RawMessage
		if err := json.Unmarshal(out, &top); err != nil {
			t.Fatalf("rendered document does not decode: %v\n%s", err, out)
		}
		var got struct {
			DistTags map[string]string
			Versions map[string]map[string]json.RawMessage
		}
		if err := unmarshalField(top, "dist-tags", &got.DistTags); err != nil {
			t.Fatal(err)
		}
		if err := unmarshalField(top, "versions", &got.Versions); err != nil {
			t.Fatal(err)
		}
		allowed := false
		for v, obj := range got.Versions {
			var dist map[string]json.RawMessage
			if err := unmarshalField(obj, "dist", &dist); err != nil {
				t.Fatal(err)
			}
			tarball, _ := stringField(dist, "tarball")
			if want := "http://proxy.test/npm/pkg/-/pkg-" + v + ".tgz"; tarball != want {
				t.Errorf("%s: tarball %q, want %q", v, tarball, want)
			}
			blocked := doc.versions[v].decision.Blocked()
			dep, _ := stringField(obj, "deprecated")
			if blocked && !strings.Contains(dep, "MAL-2026-0009") {
				t.Errorf("blocked %s served with deprecated = %q", v, dep)
			}
			allowed = allowed || !blocked
		}
		for tag, v := range got.DistTags {
			ver := doc.versions[v]
			if ver == nil && allowed {
				t.Errorf("dist-tag %s points at %q, which is not served", tag, v)
			}
			if ver != nil && ver.decision.Blocked() && allowed {
				t.Errorf("dist-tag %s points at blocked %s while another version is allowed", tag, v)
			}
		}
	})
}

func bytesToStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// FuzzNPMPathName checks that a name read off a request path is one npm
// could publish, with nothing that could escape its place in a URL.
func FuzzNPMPathName(f *testing.F) {
	for _, s := range []string{"pkg", "@scope%2fpkg", "%40scope%2Fpkg", "@scope/pkg", "..", "%2e%2e", "@s%2f..", "a%00", "@s%2fa%2fb", "pkg/-/pkg-1.0.0.tgz", "@\x83%2f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		name, _, err := npmPathName(strings.Split(path, "/"))
		if err != nil {
			return
		}
		if err := checkNPMName(name); err != nil {
			t.Errorf("accepted %q: %v", name, err)
		}
		if strings.ContainsAny(name, "%\\\x00 ?#") || strings.Count(name, "/") > 1 {
			t.Errorf("accepted %q", name)
		}
		for _, part := range strings.Split(name, "/") {
			if part == "" || part[0] == '.' {
				t.Errorf("accepted %q with part %q", name, part)
			}
		}
	})
}
