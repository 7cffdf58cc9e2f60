package lockfile

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestGradleLock(t *testing.T) {
	mvn := func(path, name, version string, line int, dev bool) Package {
		return Package{Ecosystem: ecosystem.Maven, Name: name, Version: version, Location: fixtureAt(path, line), Dev: dev}
	}
	const basic = "basic/gradle.lockfile"
	const legacyTest = "legacy/gradle/dependency-locks/testRuntimeClasspath.lockfile"
	const legacyMain = "legacy/gradle/dependency-locks/compileClasspath.lockfile"
	runOtherCases(t, gradleLockParser{}, "gradle", []otherCase{
		{
			name: "configurations",
			path: basic,
			want: []Package{
				mvn(basic, "com.fasterxml.jackson.core:jackson-databind", "2.16.1", 4, false),
				mvn(basic, "com.google.guava:guava", "33.0.0-jre", 5, false),
				mvn(basic, "junit:junit", "4.13.2", 6, true),
				mvn(basic, "androidx.test:runner", "1.5.2", 7, true),
				mvn(basic, "org.projectlombok:lombok", "1.18.30", 8, false),
			},
		},
		{
			name: "gradle6-test-configuration",
			path: legacyTest,
			want: []Package{
				mvn(legacyTest, "junit:junit", "4.12", 4, true),
				mvn(legacyTest, "org.hamcrest:hamcrest-core", "1.3", 5, true),
			},
		},
		{
			name: "gradle6-main-configuration",
			path: legacyMain,
			want: []Package{mvn(legacyMain, "org.slf4j:slf4j-api", "1.7.30", 1, false)},
		},
		{name: "bad-coordinates", path: "bad/gradle.lockfile", wantErr: `bad/gradle.lockfile:3: "com.google.guava:guava" is not group:artifact:version`},
	})
}

func FuzzGradleLock(f *testing.F) { fuzzOther(f, gradleLockParser{}, "gradle", "gradle.lockfile") }
