package analyze

import (
	"bytes"
	"path"
	"strings"
)

// kindOf says what the file at the slash-separated path p with content data
// holds. The order of the checks is part of the contract, because hostile
// packages try to make a scanner skip a file:
//
//  1. Executable magic (ELF, PE, Mach-O) makes a file Binary whatever its
//     name, so a native payload named index.js is still a bundled binary.
//  2. A code extension or name (.js, .py, .pth, .rb, Rakefile, .sh, ...)
//     decides next, even if the content has NUL bytes: the interpreter
//     runs the file by its name, so a NUL in a comment must not hide it.
//  3. Manifest only for manifests that are not code: package.json,
//     setup.cfg, pyproject.toml, Cargo.toml, go.mod, METADATA, PKG-INFO and
//     a gem's metadata.yaml. Manifests that are code keep their language
//     (setup.py is Python, *.gemspec is Ruby, build.rs is Rust); rules
//     that care find them by path.
//  4. NUL bytes in the first 8 KB make a file Binary.
//  5. A #! line naming sh, bash, zsh, dash, node, python, ruby or pwsh
//     gives the script's language.
//  6. Anything else is Text.
func kindOf(p string, data []byte) Kind {
	if execMagic(data) {
		return Binary
	}
	base := path.Base(p)
	if k, ok := nameKinds[base]; ok {
		return k
	}
	if isTypeDeclaration(base) {
		return Text // TypeScript declarations: types and comments, nothing runs
	}
	if k, ok := extKinds[strings.ToLower(path.Ext(base))]; ok {
		return k
	}
	head := data[:min(len(data), 8<<10)]
	if bytes.IndexByte(head, 0) >= 0 {
		return Binary
	}
	if k, ok := shebangKind(head); ok {
		return k
	}
	return Text
}

var extKinds = map[string]Kind{
	".js": JavaScript, ".mjs": JavaScript, ".cjs": JavaScript, ".jsx": JavaScript,
	".ts": JavaScript, ".tsx": JavaScript, ".mts": JavaScript, ".cts": JavaScript,
	".py": Python, ".pyw": Python,
	".pth": PTH,
	".go":  Go,
	".rb":  Ruby, ".gemspec": Ruby,
	".rs": Rust,
	".sh": Shell, ".bash": Shell, ".zsh": Shell,
	".ps1": PowerShell, ".psm1": PowerShell, ".psd1": PowerShell,
	".bat": Batch, ".cmd": Batch,
}

var nameKinds = map[string]Kind{
	"Rakefile": Ruby, "Gemfile": Ruby,
	"package.json": Manifest, "setup.cfg": Manifest, "pyproject.toml": Manifest,
	"Cargo.toml": Manifest, "go.mod": Manifest, "METADATA": Manifest,
	"PKG-INFO": Manifest, "metadata.yaml": Manifest,
}

// execMagic reports whether data starts like an ELF, PE or Mach-O
// executable (or a fat Mach-O, whose magic Java class files share).
func execMagic(data []byte) bool {
	for _, m := range [...]string{
		"\x7fELF",
		"\xfe\xed\xfa\xce", "\xce\xfa\xed\xfe", // Mach-O 32-bit
		"\xfe\xed\xfa\xcf", "\xcf\xfa\xed\xfe", // Mach-O 64-bit
		"\xca\xfe\xba\xbe", // fat Mach-O
	} {
		if bytes.HasPrefix(data, []byte(m)) {
			return true
		}
	}
	// PE: "MZ", then at 0x3c the offset of "PE\0\0".
	if len(data) >= 0x40 && data[0] == 'M' && data[1] == 'Z' {
		off := int(data[0x3c]) | int(data[0x3d])<<8 | int(data[0x3e])<<16 | int(data[0x3f])<<24
		return off >= 0 && off+4 <= len(data) && string(data[off:off+4]) == "PE\x00\x00"
	}
	return false
}

// shebangKind reads the interpreter of a #! line: "#!/bin/sh",
// "#!/usr/bin/env -S bash -e", "#!/usr/bin/python3".
func shebangKind(head []byte) (Kind, bool) {
	if !bytes.HasPrefix(head, []byte("#!")) {
		return "", false
	}
	line, _, _ := bytes.Cut(head[2:], []byte("\n"))
	fields := strings.Fields(string(line))
	for i, f := range fields {
		prog := path.Base(f)
		if (i == 0 && prog == "env") || strings.HasPrefix(f, "-") {
			continue
		}
		switch strings.TrimRight(prog, "0123456789.") {
		case "sh", "bash", "zsh", "dash", "ash", "ksh":
			return Shell, true
		case "node", "nodejs", "deno", "bun":
			return JavaScript, true
		case "python", "pypy":
			return Python, true
		case "ruby":
			return Ruby, true
		case "pwsh", "powershell":
			return PowerShell, true
		}
		return "", false
	}
	return "", false
}

// isTypeDeclaration reports whether a file name is a TypeScript declaration
// file (.d.ts, .d.mts, .d.cts), which holds types and documentation and is
// never executed.
func isTypeDeclaration(base string) bool {
	b := strings.ToLower(base)
	return strings.HasSuffix(b, ".d.ts") || strings.HasSuffix(b, ".d.mts") || strings.HasSuffix(b, ".d.cts")
}
