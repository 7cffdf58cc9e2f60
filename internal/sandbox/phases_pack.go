package sandbox

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"strings"
	"time"

	"github.com/sapperhq/sapper/internal/analyze"
)

// The installers want archives, but a Target holds files: buildWheel and
// buildGem pack them again, as the package's own archive had them (the
// archive reader already refused what an installer should not see).

// packable reports whether f goes into a rebuilt archive: read, and not a
// file of an archive nested in the package.
func packable(f analyze.File) bool {
	return !strings.Contains(f.Path, "!/") && !(f.Data == nil && f.Size > 0)
}

// buildWheel zips t's files into a wheel for pip.
func buildWheel(t *analyze.Target) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range t.Files {
		if !packable(f) {
			continue
		}
		h := &zip.FileHeader{Name: f.Path, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()}
		h.SetMode(0o644)
		if f.Executable {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildGem packs t's files into a .gem: a tar of metadata.gz (the gem
// specification, metadata.yaml) and data.tar.gz (every other file).
func buildGem(t *analyze.Target) ([]byte, error) {
	var data bytes.Buffer
	gz := gzip.NewWriter(&data)
	tw := tar.NewWriter(gz)
	var meta []byte
	for _, f := range t.Files {
		if !packable(f) {
			continue
		}
		if f.Path == "metadata.yaml" {
			meta = f.Data
			continue
		}
		mode := int64(0o644)
		if f.Executable {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.Path, Mode: mode, Size: int64(len(f.Data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	var metaGz bytes.Buffer
	mz := gzip.NewWriter(&metaGz)
	if _, err := mz.Write(meta); err != nil {
		return nil, err
	}
	if err := mz.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	ow := tar.NewWriter(&out)
	for _, e := range []struct {
		name string
		data []byte
	}{{"metadata.gz", metaGz.Bytes()}, {"data.tar.gz", data.Bytes()}} {
		if err := ow.WriteHeader(&tar.Header{Name: e.name, Mode: 0o444, Size: int64(len(e.data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := ow.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := ow.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
