package lockfile

import (
	"context"
	"strings"
	"testing"
)

func TestYarnLock(t *testing.T) {
	npmRunCases(t, yarnLockParser{}, []npmCase{
		{"yarn-v1", "yarn.lock"},
		{"yarn-berry", "yarn.lock"},
	})
}

// TestYarnLockInline covers malformed input, one small file each.
func TestYarnLockInline(t *testing.T) {
	npmRunInline(t, yarnLockParser{}, "yarn.lock", []npmInline{
		{"empty", "", ""},
		{"comments-only", "# yarn lockfile v1\n\n", ""},
		{"crlf", "# yarn lockfile v1\r\n\r\na@^1:\r\n  version \"1.0.0\"\r\n", "yarn.lock:3 a@1.0.0 registry\n"},
		{"no-colon", "a@^1\n  version \"1.0.0\"\n", "! yarn.lock:1: want an entry like name@range:, got \"a@^1\""},
		{"no-version", "a@^1:\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.0.0.tgz\"\n", "! yarn.lock:1: entry \"a@^1\" has no version"},
		{"no-range", "a:\n  version \"1.0.0\"\n", "! yarn.lock:1: spec \"a\" is not name@range"},
		{"field-first", "  version \"1.0.0\"\n", "! yarn.lock:1: indented line outside an entry"},
		{"tab", "a@^1:\n\tversion \"1.0.0\"\n", "! yarn.lock:2: indented with a tab; yarn.lock indents with spaces"},
		{"dedent", "a@^1:\n    version \"1.0.0\"\n  resolved \"x\"\n", "! yarn.lock:3: indented 2 spaces, want 4"},
		{"unterminated", "\"a@^1:\n  version \"1.0.0\"\n", "! yarn.lock:1: unterminated quoted string \"a@^1"},
		{"bad-escape", "\"a@^1\\q\":\n  version \"1.0.0\"\n", "! yarn.lock:1: bad quoted string \"a@^1\\q\""},
		{"empty-spec", "a@^1, , b@^2:\n  version \"1.0.0\"\n", "! yarn.lock:1: empty spec in entry \"a@^1, , b@^2\""},
		{"junk-after-quote", "\"a@^1\" x:\n  version \"1.0.0\"\n", "! yarn.lock:1: want a comma between specs in entry \"\\\"a@^1\\\" x\""},
		{"junk-after-value", "a@^1:\n  version \"1.0.0\" x\n", "! yarn.lock:2: unexpected \" x\" after the value of version"},
		{"bad-utf8", "a@^1:\n  version \"1.0.\xff\"\n", "! yarn.lock:2: invalid UTF-8 at byte 21"},
		{"berry-not-mapping", "__metadata:\n  version: 6\n\"a@npm:^1\": [1]\n", "! yarn.lock:3: entry \"a@npm:^1\": want a mapping, got a sequence"},
		{"berry-no-resolution", "__metadata:\n  version: 6\n\"a@npm:^1\":\n  version: 1.0.0\n", "! yarn.lock:3: entry \"a@npm:^1\" has no resolution"},
		{"berry-bad-resolution", "__metadata:\n  version: 6\n\"a@npm:^1\":\n  resolution: \"a\"\n", "! yarn.lock:3: entry \"a@npm:^1\": resolution \"a\" is not name@reference"},
		{"berry-resolution-type", "__metadata:\n  version: 6\n\"a@npm:^1\":\n  resolution: {x: 1}\n", "! yarn.lock:4: resolution: want a string, got a mapping"},
		{"berry-syntax", "__metadata:\n  version: 6\n\"a@npm:^1\":\n  resolution: \"a@npm:1.0.0\n", "! yarn.lock:4: invalid YAML: found unexpected end of stream"},
		{"berry-bad-patch", "__metadata:\n  version: 6\n\"a@patch:x\":\n  resolution: \"a@patch:a@npm%zz1.0.0#p\"\n", "! yarn.lock:3: entry \"a@patch:x\": bad patch: locator \"patch:a@npm%zz1.0.0#p\""},
		{"berry-virtual", "__metadata:\n  version: 6\n\"a@virtual:x\":\n  resolution: \"a@virtual:0123#npm:1.0.0\"\n", "yarn.lock:3 a@1.0.0 registry\n"},
		{"berry-alias", "__metadata:\n  version: 6\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:a@1.0.0\"\n  dev: x\n", "yarn.lock:3 a@1.0.0 registry\n"},
		{"berry-anchor", "__metadata:\n  version: 6\n\"a@npm:^1\": &e\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n\"b@npm:^1\": *e\n", "yarn.lock:3 a@1.0.0 registry\n"},
	})
}

func TestBerryLocatorDepth(t *testing.T) {
	loc := "a@npm:1.0.0"
	for range 100 {
		loc = "a@virtual:0#" + strings.TrimPrefix(loc, "a@")
	}
	if _, _, err := berryLocator(loc, 0); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("berryLocator(deep) error = %v, want nesting error", err)
	}
}

func FuzzYarnLock(f *testing.F) {
	npmSeeds(f, "yarn.lock")
	f.Fuzz(func(t *testing.T, data []byte) {
		file := npmMapFile("yarn.lock", data)
		pkgs, err := yarnLockParser{}.Parse(context.Background(), file)
		npmCheckResult(t, file.Display, pkgs, err)
	})
}
