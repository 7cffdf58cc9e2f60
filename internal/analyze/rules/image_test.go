package rules

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/analyze"
)

func testImage() image.Image {
	img := image.NewPaletted(image.Rect(0, 0, 16, 16), color.Palette{color.Black, color.White})
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 2)
	}
	return img
}

func encodeImage(t testing.TB, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, testImage())
	case "jpeg":
		err = jpeg.Encode(&b, testImage(), nil)
	case "gif":
		err = gif.Encode(&b, testImage(), nil)
	case "bmp":
		// A 1x1 24-bit BMP: file header, BITMAPINFOHEADER, one padded pixel.
		d := make([]byte, 58)
		copy(d, "BM")
		binary.LittleEndian.PutUint32(d[2:], 58)
		binary.LittleEndian.PutUint32(d[10:], 54)
		binary.LittleEndian.PutUint32(d[14:], 40)
		binary.LittleEndian.PutUint32(d[18:], 1)
		binary.LittleEndian.PutUint32(d[22:], 1)
		binary.LittleEndian.PutUint16(d[26:], 1)
		binary.LittleEndian.PutUint16(d[28:], 24)
		return d
	case "webp":
		// A RIFF container with one (empty, odd-sized) chunk: only the
		// RIFF size matters here.
		d := []byte("RIFF\x00\x00\x00\x00WEBPVP8L\x01\x00\x00\x00\x2f\x00")
		binary.LittleEndian.PutUint32(d[4:], uint32(len(d)-8))
		return d
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zlibOf(s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func img(path string, parts ...[]byte) analyze.File {
	return analyze.File{Path: path, Kind: analyze.Binary, Data: bytes.Join(parts, nil)}
}

func TestImageTrailer(t *testing.T) {
	pngData, jpegData, gifData := encodeImage(t, "png"), encodeImage(t, "jpeg"), encodeImage(t, "gif")
	code := []byte("import base64, subprocess\nsubprocess.run(['true'])\n")
	blob := []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("\x00\x01 not code at all \xfe"), 10)))
	// An APP1 segment holding an end-of-image marker and code: inside the
	// structure, not after it.
	app1 := append([]byte("\xff\xe1\x00\x00"), append([]byte("\xff\xd9"), code...)...)
	binary.BigEndian.PutUint16(app1[2:], uint16(len(app1)-2))
	jpegInner := append(append([]byte{}, jpegData[:2]...), append(app1, jpegData[2:]...)...)
	xmp := []byte(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>`)
	const hit = "image-appended-data:high:0"
	tests := []struct {
		name string
		file analyze.File
		want []string
	}{
		{"png", img("logo.png", pngData), nil},
		{"png newline", img("logo.png", pngData, []byte("\n")), nil},
		{"png code", img("logo.png", pngData, code), []string{hit}},
		{"png base64", img("docs/logo.png", pngData, []byte("\n"), blob), []string{hit}},
		{"png zlib", img("logo.png", pngData, zlibOf(string(code))), []string{hit}},
		{"png elf", img("logo.png", pngData, []byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{1, 2, 3, 4}, 16)), []string{hit}},
		{"png named js", img("index.js", pngData, code), []string{hit}},
		{"png xmp", img("logo.png", pngData, xmp), nil},
		{"png zeros", img("logo.png", pngData, make([]byte, 4096)), nil},
		{"png truncated", img("logo.png", pngData[:len(pngData)-20]), nil},
		{"png huge chunk length", img("logo.png", pngData[:8], []byte("\xff\xff\xff\xf0IDAT"), code), nil},
		{"jpeg", img("a.jpg", jpegData), nil},
		{"jpeg code", img("a.jpg", jpegData, code), []string{hit}},
		{"jpeg second image", img("a.jpg", jpegData, jpegData), nil},
		{"jpeg eoi in app segment", img("a.jpg", jpegInner), nil},
		{"jpeg eoi in app segment, code after", img("a.jpg", jpegInner, code), []string{hit}},
		{"gif", img("a.gif", gifData), nil},
		{"gif code", img("a.gif", gifData, code), []string{hit}},
		{"bmp", img("a.bmp", encodeImage(t, "bmp")), nil},
		{"bmp code", img("a.bmp", encodeImage(t, "bmp"), code), []string{hit}},
		{"webp code", img("a.webp", encodeImage(t, "webp"), code), []string{hit}},
		{"text starting BM", analyze.File{Path: "x.txt", Kind: analyze.Text, Data: []byte("BMW cars and import os")}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			got := lines(t, newImageTrailer(), tt.file)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzImageEnd(f *testing.F) {
	for _, format := range []string{"png", "jpeg", "gif", "bmp", "webp"} {
		f.Add(encodeImage(f, format))
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x00IEND\x00\x00\x00\x00import os"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\xff\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		format, end := imageEnd(data)
		if format != "" && (end < 0 || end > len(data)) {
			t.Fatalf("imageEnd = %s, %d for %d bytes", format, end, len(data))
		}
		_ = trailerKind(data)
	})
}
