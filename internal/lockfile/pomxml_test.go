package lockfile

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestPomXML(t *testing.T) {
	mvn := func(path, name, version string, line int) Package {
		return Package{Ecosystem: ecosystem.Maven, Name: name, Version: version, Location: fixtureAt(path, line)}
	}
	const basic, parent, selfref, latin1 = "basic/pom.xml", "parent/pom.xml", "selfref/pom.xml", "latin1/pom.xml"
	junit := mvn(basic, "junit:junit", "4.13.2", 73)
	junit.Dev = true
	ojdbc := mvn(basic, "com.oracle:ojdbc", "8", 79)
	ojdbc.Source = Source{Kind: Path, URL: "${project.basedir}/lib/ojdbc8.jar"}
	runOtherCases(t, pomXMLParser{}, "maven", []otherCase{
		{
			name: "properties-management-scopes",
			path: basic,
			want: []Package{
				mvn(basic, "com.fasterxml.jackson.core:jackson-databind", "2.16.1", 34),
				// A property defined after the one that uses it.
				mvn(basic, "org.slf4j:slf4j-api", "2.0.12", 45),
				// The version from the file's dependencyManagement.
				mvn(basic, "com.google.guava:guava", "33.0.0-jre", 50),
				// Managed by an imported BOM this file does not hold.
				mvn(basic, "org.springframework.boot:spring-boot-starter-web", "", 54),
				mvn(basic, "com.acme:app-core", "1.4.0", 58),
				mvn(basic, "org.apache.commons:commons-lang3", "", 63),
				mvn(basic, "commons-io:commons-io", "2.15.1", 68),
				junit,
				ojdbc,
			},
		},
		{
			name: "inherited-from-parent",
			path: parent,
			want: []Package{
				mvn(parent, "com.acme:acme-common", "7.1.0", 11),
				mvn(parent, "com.acme:acme-api", "7.1.0", 16),
				mvn(parent, "io.netty:netty-all", "", 21),
			},
		},
		{
			name: "self-referencing-properties",
			path: selfref,
			want: []Package{
				mvn(selfref, "a:loop", "", 14),
				mvn(selfref, "a:pingpong", "", 15),
				mvn(selfref, "a:grow", "", 16),
				mvn(selfref, "a:double", "", 17),
				mvn(selfref, "a:revision", "1.0.0-SNAPSHOT", 18),
			},
		},
		{
			name: "iso-8859-1",
			path: latin1,
			want: []Package{mvn(latin1, "org.slf4j:slf4j-api", "2.0.12", 8)},
		},
		{name: "not-a-pom", path: "notpom/pom.xml", wantErr: "notpom/pom.xml:2: root element is <settings>, not <project>"},
		{name: "mismatched-tags", path: "badxml/pom.xml", wantErr: "badxml/pom.xml:6: element <dependency> closed by </dependecy>"},
		{name: "no-group", path: "nogroup/pom.xml", wantErr: "nogroup/pom.xml:3: dependency without groupId or artifactId"},
	})
}

func TestPomExpand(t *testing.T) {
	props := map[string]string{
		"a":     "1",
		"b":     "${a}.2",
		"c":     "${b}.3",
		"self":  "${self}",
		"twice": "${twice}${twice}",
		"empty": "",
	}
	tests := []struct{ in, want string }{
		{"${a}", "1"},
		{"${c}", "1.2.3"},
		{"v${a}-${b}", "v1-1.2"},
		{"${missing}", "${missing}"},
		{"${self}", "${self}"},
		{"${empty}", "${empty}"},
		{"${", "${"},
		{"${}", "${}"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := pomExpand(props, tt.in); got != tt.want {
			t.Errorf("pomExpand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := pomExpand(props, "${twice}"); len(got) > pomMaxValue {
		t.Errorf("pomExpand(${twice}) is %d bytes, over %d", len(got), pomMaxValue)
	}
}

func TestPomVersion(t *testing.T) {
	tests := map[string]string{
		"1.2.3":         "1.2.3",
		"[1.2.3]":       "1.2.3",
		"[ 1.2.3 ]":     "1.2.3",
		"[1.0,2.0)":     "",
		"(,1.0]":        "",
		"[1.0,)":        "",
		"[1.0],[1.2]":   "",
		"${x}":          "",
		"1.0-${suffix}": "",
		"":              "",
	}
	for in, want := range tests {
		if got := pomVersion(in); got != want {
			t.Errorf("pomVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzPomXML(f *testing.F) { fuzzOther(f, pomXMLParser{}, "maven", "pom.xml") }
