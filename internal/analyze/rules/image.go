package rules

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// imageTrailer finds a payload appended to an image: data after a PNG's
// IEND chunk, a JPEG's end-of-image marker, a GIF's trailer, or a BMP's or
// WebP's declared size, when that data is code, a base64 or hex blob, a
// compressed stream or an executable (requests-darwin-lite, PyPI 2024,
// hid a binary in a PNG this way). Image viewers ignore such data; only a
// loader that knows the offset reads it. Images are recognised by their
// magic bytes whatever their name, and never decoded: the chunk structure
// is walked by hand in one pass, every length checked against the data.
// Other trailers (a second JPEG, a phone's motion-photo video, padding)
// are not reported.
type imageTrailer struct {
	minTrailing int // fewest trailing bytes, whitespace and NULs aside, looked at
	maxLook     int // most trailing bytes classified
}

var _ analyze.Rule = (*imageTrailer)(nil)

func newImageTrailer() *imageTrailer { return &imageTrailer{minTrailing: 16, maxLook: 64 << 10} }

func (*imageTrailer) Name() string { return "image-appended-data" }

func (r *imageTrailer) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	format, end := imageEnd(f.Data)
	if format == "" {
		return nil, nil
	}
	trail := bytes.TrimLeft(f.Data[end:], " \t\r\n\x00")
	if len(bytes.TrimRight(trail, " \t\r\n\x00")) < r.minTrailing {
		return nil, nil
	}
	look := trail[:min(len(trail), r.maxLook)]
	what := trailerKind(look)
	if what == "" {
		return nil, nil
	}
	return []finding.Finding{{
		Kind:     analyze.SuspiciousCode,
		Severity: finding.SeverityHigh,
		Summary:  fmt.Sprintf("%s image with %d bytes of %s after its end: a payload hidden in an image", format, len(f.Data)-end, what),
		Rule:     r.Name(),
		Category: analyze.CatHiddenCode,
		Location: &finding.Location{Path: f.Path},
		Snippet:  analyze.EscapeSnippet(string(look[:min(len(look), 60)])),
	}}, nil
}

// trailerCodeMarkers are what code looks like. Unlike codeMarkers they
// leave out URLs, which metadata packets some tools append also hold.
var trailerCodeMarkers = [][]byte{
	[]byte("eval("), []byte("exec("), []byte("require("), []byte("import "), []byte("function"),
	[]byte("child_process"), []byte("subprocess"), []byte("os.system"), []byte("/bin/sh"), []byte("#!/"),
	[]byte("powershell"), []byte("Invoke-Expression"), []byte("__import__"), []byte("def "), []byte("<script"),
}

// trailerKind says what data after an image is, when it is something a
// loader would run: "code", "a base64 blob", "a zlib stream", "an ELF
// executable", ...; "" otherwise.
func trailerKind(b []byte) string {
	if f := executableFormat(b); f != "" {
		return "an " + f + " executable"
	}
	switch {
	case len(b) >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8:
		return "a gzip stream"
	case len(b) >= 2 && b[0] == 0x78 && (b[1] == 0x01 || b[1] == 0x5e || b[1] == 0x9c || b[1] == 0xda):
		return "a zlib stream"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "a zip archive"
	case bytes.HasPrefix(b, []byte("\xfd7zXZ\x00")), bytes.HasPrefix(b, []byte("7z\xbc\xaf\x27\x1c")):
		return "an xz or 7z archive"
	}
	printable := 0
	for _, c := range b {
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' {
			printable++
		}
	}
	if printable*10 < len(b)*9 {
		return ""
	}
	for _, m := range trailerCodeMarkers {
		if bytes.Contains(b, m) {
			return "code"
		}
	}
	// A blob: most of the text is one run of base64 (or hex) characters.
	longest, run := 0, 0
	for _, c := range b {
		if isB64Byte(c) {
			run++
			longest = max(longest, run)
		} else if c != '\n' && c != '\r' {
			run = 0
		}
	}
	if longest >= 64 && longest*4 >= len(bytes.TrimSpace(b))*3 {
		return "a base64 blob"
	}
	return ""
}

// imageEnd recognises a PNG, JPEG, GIF, BMP or WebP image by its magic
// bytes and returns its format and the offset where the image ends; ""
// when data is not one of them or its structure is broken before the end.
func imageEnd(data []byte) (string, int) {
	format, end := "", -1
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		format, end = "PNG", pngEnd(data)
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		format, end = "JPEG", jpegEnd(data)
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		format, end = "GIF", gifEnd(data)
	case bytes.HasPrefix(data, []byte("BM")):
		format, end = "BMP", bmpEnd(data)
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WEBP":
		format, end = "WebP", webpEnd(data)
	}
	if end < 0 || end > len(data) {
		return "", 0
	}
	return format, end
}

// Each xxxEnd returns the offset just after the image, or -1 when the
// structure is broken first; imageEnd then reports no format.

func pngEnd(data []byte) int {
	off := 8
	for off+12 <= len(data) {
		n := binary.BigEndian.Uint32(data[off:])
		if uint64(n) > uint64(len(data)-off-12) {
			return -1
		}
		next := off + 12 + int(n)
		if string(data[off+4:off+8]) == "IEND" {
			return next
		}
		off = next
	}
	return -1
}

func jpegEnd(data []byte) int {
	off := 2
	for off+1 < len(data) {
		if data[off] != 0xff {
			return -1
		}
		if data[off+1] == 0xff { // fill byte
			off++
			continue
		}
		marker := data[off+1]
		off += 2
		switch {
		case marker == 0xd9: // EOI
			return off
		case marker == 0x01 || marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7):
			continue // no length
		}
		if off+2 > len(data) {
			return -1
		}
		n := int(binary.BigEndian.Uint16(data[off:]))
		if n < 2 || off+n > len(data) {
			return -1
		}
		off += n
		if marker != 0xda { // not SOS
			continue
		}
		// Entropy-coded data runs to the next marker that is not a
		// stuffed 0xff00 or a restart marker.
		for off+1 < len(data) {
			if data[off] == 0xff {
				m := data[off+1]
				if m != 0 && m != 0xff && (m < 0xd0 || m > 0xd7) {
					break
				}
			}
			off++
		}
	}
	return -1
}

func gifEnd(data []byte) int {
	if len(data) < 13 {
		return -1
	}
	off := 13
	if data[10]&0x80 != 0 {
		off += 3 << (data[10]&7 + 1) // global colour table
	}
	skipBlocks := func() bool { // data sub-blocks, up to the empty one
		for off < len(data) {
			n := int(data[off])
			off += 1 + n
			if n == 0 {
				return true
			}
		}
		return false
	}
	for off < len(data) {
		switch data[off] {
		case 0x3b: // trailer
			return off + 1
		case 0x21: // extension: label, then sub-blocks
			off += 2
			if !skipBlocks() {
				return -1
			}
		case 0x2c: // image descriptor, local colour table, LZW code size, sub-blocks
			if off+10 > len(data) {
				return -1
			}
			packed := data[off+9]
			off += 10
			if packed&0x80 != 0 {
				off += 3 << (packed&7 + 1)
			}
			off++
			if !skipBlocks() {
				return -1
			}
		default:
			return -1
		}
	}
	return -1
}

func bmpEnd(data []byte) int {
	if len(data) < 18 {
		return -1
	}
	size := binary.LittleEndian.Uint32(data[2:])
	switch binary.LittleEndian.Uint32(data[14:]) { // DIB header sizes
	case 12, 40, 52, 56, 64, 108, 124:
	default:
		return -1
	}
	if size < 26 || uint64(size) > uint64(len(data)) {
		return -1
	}
	return int(size)
}

func webpEnd(data []byte) int {
	end := 8 + uint64(binary.LittleEndian.Uint32(data[4:]))
	end += end & 1 // RIFF chunks are padded to even sizes
	if end > uint64(len(data)) {
		return -1
	}
	return int(end)
}
