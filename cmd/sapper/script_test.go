package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/sapperhq/sapper/internal/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sapper": func() {
			os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScript runs the end-to-end CLI scripts in testdata/script: commands,
// stdout/stderr regexps, "! sapper ..." for expected failure. $EXAMPLES is
// the repository's examples directory and $SAMPLE the real OSV sample in
// ../shared (scripts that need it skip without it).
func TestScript(t *testing.T) {
	examples, err := filepath.Abs("../../examples")
	if err != nil {
		t.Fatal(err)
	}
	sample, _ := filepath.Abs("../../../shared/data/osv-sample")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			env.Setenv("SAMPLE", sample)
			env.Setenv("SAPPER_DB", filepath.Join(env.WorkDir, "sapper.db"))
			env.Setenv("SAPPER_SOURCES", "http://127.0.0.1:1/unreachable.zip")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "sample" {
				_, err := os.Stat(sample)
				return err == nil, nil
			}
			return false, nil
		},
	})
}
