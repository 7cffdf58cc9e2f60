package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// streamNew copies an upstream archive body to w while hashing it with
// SHA-256 and writing it to a temporary file, for registries that publish
// no digest (the Go module proxy: the go command checks go.sum and the
// checksum database itself). The file is stored under the digest it hashed
// to once the whole body, at most max bytes, has been read.
func (b *blobStore) streamNew(w io.Writer, body io.Reader, max int64) (Digest, int64, error) {
	tmp, err := os.CreateTemp(b.dir, ".part-*")
	if err != nil {
		return Digest{}, 0, fmt.Errorf("proxy cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h, tmp), io.LimitReader(body, max+1))
	if err != nil {
		return Digest{}, n, err
	}
	if n > max {
		return Digest{}, n, fmt.Errorf("archive larger than %d bytes", max)
	}
	d := Digest{Algo: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	if err := tmp.Close(); err != nil {
		return d, n, fmt.Errorf("proxy cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), b.path(d)); err != nil {
		return d, n, fmt.Errorf("proxy cache: %w", err)
	}
	return d, n, nil
}

// indexDir holds the index files that name stored archives by key.
const indexDir = "index"

// indexPath is the file for key. The file is named by the key's hash, so
// that no part of a name from a request or an upstream becomes a path.
func (b *blobStore) indexPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(b.dir, indexDir, hex.EncodeToString(sum[:]))
}

// putIndex records that key (such as "go:example.com/m@v1.0.0") names the
// stored archive with digest d.
func (b *blobStore) putIndex(key string, d Digest) error {
	if !d.valid() {
		return fmt.Errorf("proxy cache: bad digest %q", d.String())
	}
	p := b.indexPath(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("proxy cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".part-*")
	if err != nil {
		return fmt.Errorf("proxy cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(d.String() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("proxy cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("proxy cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("proxy cache: %w", err)
	}
	return nil
}

// openIndex returns the stored archive that key names, or nil.
func (b *blobStore) openIndex(key string) *os.File {
	data, err := os.ReadFile(b.indexPath(key))
	if err != nil || len(data) > 256 {
		return nil
	}
	algo, hx, ok := strings.Cut(strings.TrimSpace(string(data)), "-")
	if !ok {
		return nil
	}
	return b.open(Digest{Algo: algo, Hex: hx})
}
