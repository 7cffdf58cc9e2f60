package registry

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"time"
)

// cacheEntry is one cached answer. On disk it is a JSON header line
// followed by the body; the header's size and digest catch a truncated or
// altered body, and its URL a hash collision or a misplaced file.
type cacheEntry struct {
	URL     string    `json:"url"`
	Accept  string    `json:"accept"`
	Fetched time.Time `json:"fetched"`
	Status  int       `json:"status"` // 200, or 404 for "not found"
	ETag    string    `json:"etag,omitempty"`
	Size    int       `json:"size"`
	SHA256  string    `json:"sha256"`
	body    []byte
}

// maxCacheHeader bounds the header line of a cache file.
const maxCacheHeader = 64 << 10

func cacheKey(accept, u string) string {
	h := sha256.Sum256([]byte(accept + "\n" + u))
	return hex.EncodeToString(h[:])
}

// cacheRead returns the cached entry for key, if any and intact, and
// whether it is fresh. An unreadable or corrupt entry is no entry.
func (c *Client) cacheRead(key, u, accept string) (*cacheEntry, bool) {
	if c.CacheDir == "" {
		return nil, false
	}
	f, err := os.Open(filepath.Join(c.CacheDir, key+".json"))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	br := bufio.NewReader(io.LimitReader(f, maxCacheHeader+maxMetadataBytes+1))
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, false
	}
	var ent cacheEntry
	if json.Unmarshal(line, &ent) != nil || ent.URL != u || ent.Accept != accept ||
		ent.Size < 0 || ent.Size > maxMetadataBytes {
		return nil, false
	}
	ent.body = make([]byte, ent.Size)
	if _, err := io.ReadFull(br, ent.body); err != nil {
		return nil, false
	}
	if n, _ := br.Read(make([]byte, 1)); n != 0 {
		return nil, false // trailing bytes
	}
	if sum := sha256.Sum256(ent.body); hex.EncodeToString(sum[:]) != ent.SHA256 {
		return nil, false
	}
	if ent.Status != 200 && ent.Status != 404 {
		return nil, false
	}
	age := c.now().Sub(ent.Fetched)
	return &ent, age >= 0 && age < c.ttl()
}

// cacheWrite stores ent under key, atomically: a temporary file renamed
// into place. A cache that cannot be written is skipped: it costs a
// request next time, not a result.
func (c *Client) cacheWrite(key string, ent *cacheEntry) {
	if c.CacheDir == "" {
		return
	}
	ent.Size = len(ent.body)
	sum := sha256.Sum256(ent.body)
	ent.SHA256 = hex.EncodeToString(sum[:])
	head, err := json.Marshal(ent)
	if err != nil || bytes.IndexByte(head, '\n') >= 0 {
		return
	}
	_ = writeAtomic(c.CacheDir, key+".json", append(head, '\n'), ent.body)
}

// writeAtomic writes the parts to dir/name through a temporary file.
func writeAtomic(dir, name string, parts ...[]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	for _, p := range parts {
		if _, err := tmp.Write(p); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}
