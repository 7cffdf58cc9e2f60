package lockfile

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestPnpmLock(t *testing.T) {
	npmRunCases(t, pnpmLockParser{}, []npmCase{
		{"pnpm-v5", "pnpm-lock.yaml"},
		{"pnpm-v6", "pnpm-lock.yaml"},
		{"pnpm-v9", "pnpm-lock.yaml"},
		{"pnpm-v9-multidoc", "pnpm-lock.yaml"},
	})
}

// TestPnpmLockInline covers malformed input, one small file each.
func TestPnpmLockInline(t *testing.T) {
	npmRunInline(t, pnpmLockParser{}, "pnpm-lock.yaml", []npmInline{
		{"empty", "", ""},
		{"null", "~\n", ""},
		{"no-packages", "lockfileVersion: '9.0'\n", ""},
		{"empty-packages", "lockfileVersion: '9.0'\npackages: {}\n", ""},
		{"null-packages", "lockfileVersion: '9.0'\npackages:\n", ""},
		{"null-entry", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n", "pnpm-lock.yaml:3 a@1.0.0 registry\n"},
		{"no-version", "packages:\n  /a/1.0.0:\n    resolution: {integrity: x}\n", "pnpm-lock.yaml:2 a@1.0.0 registry\n"},
		{"v5-scoped-peer-hash", "lockfileVersion: 5.3\npackages:\n  /@s/a/1.0.0_4f3c2b1a:\n    dev: true\n", "pnpm-lock.yaml:3 @s/a@1.0.0 registry dev\n"},
		{"top-sequence", "- a\n", "! pnpm-lock.yaml:1: want a mapping at the top level, got a sequence"},
		{"packages-sequence", "lockfileVersion: '9.0'\npackages:\n  - a\n", "! pnpm-lock.yaml:3: packages: want a mapping, got a sequence"},
		{"entry-scalar", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: yes\n", "! pnpm-lock.yaml:3: packages[\"a@1.0.0\"]: want a mapping, got a scalar"},
		{"bad-key", "lockfileVersion: '9.0'\npackages:\n  a:\n    resolution: {integrity: x}\n", "! pnpm-lock.yaml:3: package key \"a\" is not name@version or /name/version"},
		{"bad-v5-key", "lockfileVersion: 5.4\npackages:\n  /a/b/c/1.0.0:\n    dev: false\n", "! pnpm-lock.yaml:3: package key \"/a/b/c/1.0.0\" is not name@version or /name/version"},
		{"sequence-key", "lockfileVersion: '9.0'\npackages:\n  [a]: {}\n", "! pnpm-lock.yaml:3: packages: want a package key, got a sequence"},
		{"bad-version", "lockfileVersion: nine\n", "! pnpm-lock.yaml:1: lockfileVersion \"nine\" is not a number"},
		{"version-mapping", "lockfileVersion: {a: 1}\n", "! pnpm-lock.yaml:1: lockfileVersion: want a string, got a mapping"},
		{"resolution-scalar", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: x\n", "! pnpm-lock.yaml:4: resolution: want a mapping, got a scalar"},
		{"tarball-mapping", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {tarball: {}}\n", "! pnpm-lock.yaml:4: tarball: want a string, got a mapping"},
		{"syntax", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n resolution: x\n", "! pnpm-lock.yaml:3: invalid YAML: did not find expected key"},
		{"alias-loop", "lockfileVersion: '9.0'\npackages: &p\n  a@1.0.0: *p\n", "pnpm-lock.yaml:3 a@1.0.0 registry\n"},
		{"bad-utf8", "lockfileVersion: '9.0'\n\xc3\x28: x\n", "! pnpm-lock.yaml:2: invalid UTF-8 at byte 23"},
		{"too-many-docs", strings.Repeat("---\na: 1\n", pnpmMaxDocuments+1), fmt.Sprintf("! pnpm-lock.yaml:%d: more than %d YAML documents", 2*pnpmMaxDocuments+1, pnpmMaxDocuments)},
	})
}

func TestPnpmKey(t *testing.T) {
	tests := []struct {
		major         int
		key           string
		name, version string
	}{
		{5, "/a/1.0.0", "a", "1.0.0"},
		{5, "/@s/a/1.0.0_b@2.0.0+c@3.0.0", "@s/a", "1.0.0"},
		{6, "/a@1.0.0(b@2.0.0)(c@3.0.0)", "a", "1.0.0"},
		{6, "/@s/a@1.0.0", "@s/a", "1.0.0"},
		{9, "@s/a@1.0.0(@s/b@2.0.0)", "@s/a", "1.0.0"},
		{9, "a@file:../a", "a", "file:../a"},
		{0, "/a/1.0.0", "a", "1.0.0"},
		{0, "/a@1.0.0", "a", "1.0.0"},
	}
	for _, tt := range tests {
		name, version, ok := pnpmKey(tt.major, tt.key)
		if !ok || name != tt.name || version != tt.version {
			t.Errorf("pnpmKey(%d, %q) = %q, %q, %v; want %q, %q", tt.major, tt.key, name, version, ok, tt.name, tt.version)
		}
	}
	for _, key := range []string{"", "/", "a", "/a", "@s/a", "/a/", "/@s/1.0.0", "@1.0.0", "a@"} {
		if name, version, ok := pnpmKey(5, key); ok {
			t.Errorf("pnpmKey(5, %q) = %q, %q, true; want false", key, name, version)
		}
		if name, version, ok := pnpmKey(9, key); ok {
			t.Errorf("pnpmKey(9, %q) = %q, %q, true; want false", key, name, version)
		}
	}
}

func FuzzPnpmLock(f *testing.F) {
	npmSeeds(f, "pnpm-lock.yaml", "lock.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		file := npmMapFile("pnpm-lock.yaml", data)
		pkgs, err := pnpmLockParser{}.Parse(context.Background(), file)
		npmCheckResult(t, file.Display, pkgs, err)
	})
}
