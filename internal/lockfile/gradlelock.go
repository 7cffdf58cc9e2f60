package lockfile

import (
	"bytes"
	"context"
	"path"
	"strings"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

// gradleLockParser reads Gradle dependency lock files
// (https://docs.gradle.org/current/userguide/dependency_locking.html): the
// per-project gradle.lockfile (and buildscript-gradle.lockfile,
// settings-gradle.lockfile) with one "group:artifact:version=configurations"
// line per module, and the one-file-per-configuration layout of Gradle 6,
// gradle/dependency-locks/<configuration>.lockfile, with "group:artifact:version"
// lines. A module locked in test configurations only is a development
// dependency. The "empty=" line lists configurations that lock nothing.
type gradleLockParser struct{}

var _ Parser = gradleLockParser{}

func (gradleLockParser) Name() string { return "gradle.lockfile" }

func (gradleLockParser) Match(p string) bool {
	b := base(p)
	if b == "gradle.lockfile" || strings.HasSuffix(b, "-gradle.lockfile") {
		return true
	}
	return strings.HasSuffix(b, ".lockfile") && path.Base(path.Dir(p)) == "dependency-locks"
}

// gradleTestConfiguration reports whether a configuration resolves test
// dependencies only: testCompileClasspath, testRuntimeClasspath,
// androidTestRuntimeClasspath, debugUnitTestCompileClasspath,
// integrationTestRuntimeClasspath and the like.
func gradleTestConfiguration(c string) bool {
	return strings.HasPrefix(c, "test") || strings.Contains(c, "Test")
}

func (gradleLockParser) Parse(ctx context.Context, f File) ([]Package, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}
	// In the Gradle 6 layout the configuration is the file name.
	fileConf := ""
	if b := base(f.Path); b != "gradle.lockfile" && !strings.HasSuffix(b, "-gradle.lockfile") {
		fileConf = strings.TrimSuffix(b, ".lockfile")
	}

	var pkgs []Package
	n := 0
	for raw := range bytes.Lines(data) {
		n++
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' {
			continue
		}
		coords, confs, hasConfs := strings.Cut(line, "=")
		if coords == "empty" && hasConfs {
			continue
		}
		parts := strings.Split(coords, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, Errorf(f, n, "%s is not group:artifact:version", quoteShort(coords))
		}
		var dev bool
		switch {
		case hasConfs && confs != "":
			dev = true
			for c := range strings.SplitSeq(confs, ",") {
				if !gradleTestConfiguration(strings.TrimSpace(c)) {
					dev = false
					break
				}
			}
		case fileConf != "":
			dev = gradleTestConfiguration(fileConf)
		}
		pkgs = append(pkgs, Package{
			Ecosystem: ecosystem.Maven,
			Name:      parts[0] + ":" + parts[1],
			Version:   parts[2],
			Location:  Location{Path: f.Display, Line: n},
			Dev:       dev,
		})
	}
	return pkgs, nil
}
