package rules

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/sapperhq/sapper/internal/analyze"
)

// bundle generates a JavaScript bundle of about n bytes that looks like a
// webpack build: many small modules, some requires, some long lines.
func bundle(n int) []byte {
	var b bytes.Buffer
	b.WriteString("(function(modules){var installed={};function __req(id){return modules[id].call(this)}})({\n")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%d:function(module,exports,__req){\"use strict\";var a%d=__req(%d);", i, i, i+1)
		if i%20 == 0 {
			b.WriteString("var http=require(\"http\"),cp=require(\"child_process\");var env=Object.keys(process.env);")
		}
		fmt.Fprintf(&b, "exports.fn%d=function(x,y){if(!x){throw new TypeError(\"expected x at %d\")}return a%d.map(function(e){return e+y*%d})};", i, i, i, i)
		if i%7 == 0 {
			b.WriteString("var url=\"https://registry.example.invalid/api/v1/items?limit=10\";process.env.NODE_ENV===\"production\"&&console.log(url);")
		}
		if i%3 == 0 {
			b.WriteString("\n")
		}
		b.WriteString("},")
	}
	b.WriteString("})\n")
	return b.Bytes()
}

func BenchmarkRules(b *testing.B) {
	rs, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	f := analyze.File{Path: "dist/bundle.js", Kind: analyze.JavaScript, Data: bundle(5 << 20)}
	for _, tc := range []struct {
		name string
		file analyze.File
	}{
		{"bundle", f},
		{"lib", analyze.File{Path: "lib/index.js", Kind: analyze.JavaScript, Data: f.Data}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			b.SetBytes(int64(len(tc.file.Data)))
			for b.Loop() {
				for _, r := range rs {
					if _, err := r.Check(ctx, tc.file); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	for _, r := range rs {
		b.Run("rule="+r.Name(), func(b *testing.B) {
			ctx := context.Background()
			b.SetBytes(int64(len(f.Data)))
			for b.Loop() {
				if _, err := r.Check(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
