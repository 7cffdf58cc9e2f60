package lockfile

import (
	"context"
	"testing"
)

func TestBunLock(t *testing.T) {
	npmRunCases(t, bunLockParser{}, []npmCase{
		{"bun-workspaces", "bun.lock"},
	})
}

// TestBunLockInline covers malformed input, one small file each.
func TestBunLockInline(t *testing.T) {
	npmRunInline(t, bunLockParser{}, "bun.lock", []npmInline{
		{"minimal", `{"packages": {"a": ["a@1.0.0"]}}`, "bun.lock:1 a@1.0.0 registry\n"},
		{"trailing-commas", "{\"packages\": {\"a\": [\"a@1.0.0\", \"\",],},}", "bun.lock:1 a@1.0.0 registry\n"},
		{"comma-then-comment", "{\"packages\": {\"a\": [\"a@1.0.0\"], // x\n}}", "bun.lock:1 a@1.0.0 registry\n"},
		{"slashes-in-strings", "{\"packages\": {\"a\": [\"a@1.0.0\", \"https://r.example.com/\", {\"x\": \"/* not a comment */ // nor this\"}]}}", "bun.lock:1 a@1.0.0 registry https://r.example.com\n"},
		{"escaped-quote", "{\"packages\": {\"a\\\"//\": [\"a@1.0.0\"]}}", "bun.lock:1 a@1.0.0 registry\n"},
		{"block-comment-lines", "{\n/*\n\n*/\"packages\": {\n\"a\": [\"a@1.0.0\"]}}", "bun.lock:5 a@1.0.0 registry\n"},
		{"no-packages", `{"lockfileVersion": 1}`, ""},
		{"lone-comma", `{"packages": {,}}`, "! bun.lock:1: invalid JSON: invalid character ','"},
		{"double-comma", `{"packages": {"a": ["a@1.0.0",,]}}`, "! bun.lock:1: invalid JSON: invalid character ',' looking for beginning of value"},
		{"unterminated-comment", "{\n/* x", "! bun.lock:2: unterminated /* comment"},
		{"unterminated-string", "{\"packages", "! bun.lock:1: unexpected end of file"},
		{"object-entry", `{"packages": {"a": {}}}`, "! bun.lock:1: packages[\"a\"]: want array, got object"},
		{"empty-entry", `{"packages": {"a": []}}`, "! bun.lock:1: packages[\"a\"]: want [name@version, ...], got an empty or null value"},
		{"null-entry", `{"packages": {"a": null}}`, "! bun.lock:1: packages[\"a\"]: want [name@version, ...], got an empty or null value"},
		{"number-id", `{"packages": {"a": [1]}}`, "! bun.lock:1: packages[\"a\"]: first element: want a name@version string"},
		{"bad-id", `{"packages": {"a": ["a"]}}`, "! bun.lock:1: packages[\"a\"]: \"a\" is not name@version"},
		{"packages-array", `{"packages": []}`, "! bun.lock:1: \"packages\": want an object, got an array"},
		{"bad-utf8", "{\"packages\": {\"\xff\": []}}", "! bun.lock:1: invalid UTF-8 at byte 15"},
	})
}

func TestBunClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{`[1,]`, `[1 ]`},
		{"[1, // c\n]", "[1      \n]"},
		{"[1 /* a\nb */, 2]", "[1     \n    , 2]"},
		{`{"a,": "]", }`, `{"a,": "]"  }`},
		{`["\\", ]`, `["\\"  ]`},
		{`[,]`, `[,]`},
		{`{"a":1,,}`, `{"a":1,,}`},
		{`"//"`, `"//"`},
	}
	for _, tt := range tests {
		got, err := bunClean(npmMapFile("bun.lock", nil), []byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("bunClean(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzBunLock(f *testing.F) {
	npmSeeds(f, "bun.lock")
	f.Fuzz(func(t *testing.T, data []byte) {
		file := npmMapFile("bun.lock", data)
		pkgs, err := bunLockParser{}.Parse(context.Background(), file)
		npmCheckResult(t, file.Display, pkgs, err)
		cleaned, err := bunClean(file, data)
		if err == nil && len(cleaned) != len(data) {
			t.Fatalf("bunClean changed the length from %d to %d", len(data), len(cleaned))
		}
	})
}
