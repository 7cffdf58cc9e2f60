// Command upstream serves one saved npm packument (full, and an abbreviated
// form derived from it) on 127.0.0.1, with its tarball URLs rewritten to
// itself, for load tests of sapper proxy on loopback only.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address (loopback only)")
	file := flag.String("packument", "/tmp/pbench/express.json", "saved packument")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("refusing non-loopback address %q", *addr)
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		log.Fatal(err)
	}
	name := doc["name"].(string)
	base := "http://" + *addr
	versions := doc["versions"].(map[string]any)
	abbrVersions := map[string]any{}
	keep := []string{"name", "version", "dependencies", "optionalDependencies", "devDependencies", "peerDependencies",
		"peerDependenciesMeta", "bundleDependencies", "bin", "directories", "dist", "engines", "_hasShrinkwrap",
		"hasInstallScript", "deprecated", "cpu", "os", "funding", "license"}
	for v, o := range versions {
		obj := o.(map[string]any)
		if dist, ok := obj["dist"].(map[string]any); ok {
			dist["tarball"] = base + "/" + name + "/-/" + name + "-" + v + ".tgz"
		}
		a := map[string]any{}
		for _, k := range keep {
			if x, ok := obj[k]; ok {
				a[k] = x
			}
		}
		if s, ok := obj["scripts"].(map[string]any); ok {
			if s["preinstall"] != nil || s["install"] != nil || s["postinstall"] != nil {
				a["hasInstallScript"] = true
			}
		}
		abbrVersions[v] = a
	}
	full := marshal(doc)
	modified := ""
	if t, ok := doc["time"].(map[string]any); ok {
		modified, _ = t["modified"].(string)
	}
	abbr := marshal(map[string]any{"name": name, "dist-tags": doc["dist-tags"], "modified": modified, "versions": abbrVersions})
	log.Printf("serving %s on %s: full %d bytes, abbreviated %d bytes, %d versions", name, base, len(full), len(abbr), len(versions))
	http.HandleFunc("/"+name, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		body, ct := full, "application/json"
		if strings.Contains(r.Header.Get("Accept"), "application/vnd.npm.install-v1+json") {
			body, ct = abbr, "application/vnd.npm.install-v1+json"
		}
		h.Set("Content-Type", ct)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}

func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}
