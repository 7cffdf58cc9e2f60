package rules

import (
	"bytes"
	"context"
	"encoding/binary"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// nativeBinary finds executables (ELF, PE, Mach-O) shipped in a package.
// In interpreted ecosystems (npm, PyPI, RubyGems) a prebuilt executable
// runs code nobody can review; native addons are common enough that this
// is a capability, not a threat.
type nativeBinary struct{}

var _ analyze.Rule = (*nativeBinary)(nil)

func newNativeBinary() *nativeBinary { return &nativeBinary{} }

func (*nativeBinary) Name() string { return "native-binary" }

// executableFormat names the executable format of data, or "".
func executableFormat(data []byte) string {
	if len(data) < 8 {
		return ""
	}
	switch {
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		return "ELF"
	case bytes.HasPrefix(data, []byte("MZ")) && len(data) >= 0x40:
		off := int(binary.LittleEndian.Uint32(data[0x3c:]))
		if off >= 0 && off+4 <= len(data) && bytes.Equal(data[off:off+4], []byte("PE\x00\x00")) {
			return "PE"
		}
	}
	switch binary.BigEndian.Uint32(data) {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
		return "Mach-O"
	case 0xcafebabe: // fat Mach-O; a Java class has its version (>= 45) here
		if n := binary.BigEndian.Uint32(data[4:]); n > 0 && n < 20 {
			return "Mach-O"
		}
	}
	return ""
}

func (n *nativeBinary) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	format := executableFormat(f.Data)
	if format == "" {
		return nil, nil
	}
	return []finding.Finding{{
		Kind:     analyze.SuspiciousCode,
		Severity: finding.SeverityMedium,
		Summary:  format + " executable in the package: prebuilt native code that cannot be reviewed",
		Rule:     n.Name(),
		Category: analyze.CatBinary,
		Location: &finding.Location{Path: f.Path},
		Snippet:  format,
	}}, nil
}
