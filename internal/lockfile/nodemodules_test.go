package lockfile

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/limits"
)

func TestNodeModules(t *testing.T) {
	npmRunCases(t, nodeModulesParser{}, []npmCase{
		{"nodemodules-walk", "node_modules"},
		{"nodemodules-hidden", "node_modules"},
		{"nodemodules-pnpm", "node_modules"},
		{"nodemodules-badjson", "node_modules"},
	})
}

func TestNodeModulesMatch(t *testing.T) {
	for p, want := range map[string]bool{
		"node_modules":         true,
		"web/node_modules":     true,
		"node_modules/a":       false,
		"node_modules.json":    false,
		"package-lock.json":    false,
		"my_node_modules":      false,
		"node_modules/.bin/..": false,
	} {
		if got := (nodeModulesParser{}).Match(p); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestNodeModulesLinks covers symbolic links, which fixtures in git keep
// badly: a workspace link is a local package whose own tree is not walked;
// a pnpm link into .pnpm is a registry package.
func TestNodeModulesLinks(t *testing.T) {
	pj := func(name, version string) *fstest.MapFile {
		return &fstest.MapFile{Data: fmt.Appendf(nil, "{\"name\": %q,\n\"version\": %q}", name, version)}
	}
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink}
	}
	fsys := fstest.MapFS{
		"packages/lib/package.json":                    pj("lib", "0.1.0"),
		"packages/lib/node_modules/inner/package.json": pj("inner", "1.0.0"),
		"node_modules/lib":                             link("../packages/lib"),
		"node_modules/@s/lib2":                         link("../../packages/lib"),
		"node_modules/react":                           link(".pnpm/react@18.2.0/node_modules/react"),
		"node_modules/.pnpm/react@18.2.0/node_modules/react/package.json": pj("react", "18.2.0"),
		"node_modules/dangling":  link("../nowhere"),
		"node_modules/file-link": link("../packages/lib/package.json"),
	}
	got, err := nodeModulesParser{}.Parse(context.Background(), File{FS: fsys, Path: "node_modules", Display: "node_modules"})
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"node_modules/@s/lib2/package.json:2 lib@0.1.0 path ../../packages/lib\n" +
		"node_modules/lib/package.json:2 lib@0.1.0 path ../packages/lib\n" +
		"node_modules/react/package.json:2 react@18.2.0 registry\n"
	if diff := cmp.Diff(want, npmFormat(".", got)); diff != "" {
		t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
	}
}

func TestNodeModulesLimits(t *testing.T) {
	deep := fstest.MapFS{}
	dir := "node_modules"
	for i := range limits.MaxNesting + 2 {
		dir += fmt.Sprintf("/p%d", i)
		deep[dir+"/package.json"] = &fstest.MapFile{Data: []byte(`{"version": "1.0.0"}`)}
		dir += "/node_modules"
	}
	_, err := nodeModulesParser{}.Parse(context.Background(), File{FS: deep, Path: "node_modules", Display: "node_modules"})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("node_modules nested more than %d deep", limits.MaxNesting)) {
		t.Errorf("deep tree: error = %v, want a nesting error", err)
	}

	wide := fstest.MapFS{}
	for i := range 20 {
		wide[fmt.Sprintf("node_modules/p%d/package.json", i)] = &fstest.MapFile{Data: []byte(`{"version": "1.0.0"}`)}
	}
	w := nodeModulesWalker{ctx: context.Background(), f: File{FS: wide, Path: "node_modules", Display: "node_modules"}, max: 10}
	if err := w.dir("", 0); err == nil || !strings.Contains(err.Error(), "more than 10 directories and package.json files") {
		t.Errorf("wide tree: error = %v, want a count error", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (nodeModulesParser{}).Parse(ctx, File{FS: wide, Path: "node_modules", Display: "node_modules"}); err != context.Canceled {
		t.Errorf("canceled: error = %v, want context.Canceled", err)
	}

	if _, err := (nodeModulesParser{}).Parse(context.Background(), File{FS: fstest.MapFS{}, Path: "node_modules", Display: "node_modules"}); err == nil {
		t.Error("missing node_modules: no error")
	}
}
