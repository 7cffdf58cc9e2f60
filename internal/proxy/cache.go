package proxy

import (
	"container/list"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// metaCacheBytes bounds the metadata kept in memory.
const metaCacheBytes = 256 << 20

// metaEntry is one cached upstream answer, already rewritten or decoded
// as its protocol wants (the value is the protocol's).
type metaEntry struct {
	key     string
	value   any
	size    int
	fetched time.Time
}

// metaCache keeps recent upstream metadata for a TTL, bounded in bytes,
// least recently used first out. Safe for concurrent use.
type metaCache struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	size  int
	now   func() time.Time
	order *list.List // of *metaEntry, most recent at the front
	items map[string]*list.Element
	// flights share one upstream request between concurrent misses.
	flights map[string]*flight
}

type flight struct {
	done  chan struct{}
	value any
	size  int
	err   error
}

func newMetaCache(ttl time.Duration, max int, now func() time.Time) *metaCache {
	return &metaCache{ttl: ttl, max: max, now: now, order: list.New(), items: map[string]*list.Element{}, flights: map[string]*flight{}}
}

// get returns the value for key, calling fetch on a miss or an expired
// entry (once for concurrent callers). fetch returns the value and its
// size in bytes; errors are not cached.
func (c *metaCache) get(key string, fetch func() (any, int, error)) (any, error) {
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*metaEntry)
		if c.now().Sub(e.fetched) < c.ttl {
			c.order.MoveToFront(el)
			c.mu.Unlock()
			return e.value, nil
		}
	}
	if f, ok := c.flights[key]; ok {
		c.mu.Unlock()
		<-f.done
		return f.value, f.err
	}
	f := &flight{done: make(chan struct{})}
	c.flights[key] = f
	c.mu.Unlock()

	f.value, f.size, f.err = fetch()
	close(f.done)

	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.flights, key)
	if f.err == nil {
		c.put(key, f.value, f.size)
	}
	return f.value, f.err
}

func (c *metaCache) put(key string, v any, size int) {
	if el, ok := c.items[key]; ok {
		c.size -= el.Value.(*metaEntry).size
		c.order.Remove(el)
		delete(c.items, key)
	}
	if size > c.max {
		return
	}
	c.items[key] = c.order.PushFront(&metaEntry{key: key, value: v, size: size, fetched: c.now()})
	c.size += size
	for c.size > c.max {
		el := c.order.Back()
		e := el.Value.(*metaEntry)
		c.order.Remove(el)
		delete(c.items, e.key)
		c.size -= e.size
	}
}

// blobStore keeps archives on disk by digest, so that a version is
// downloaded once and served from disk after.
type blobStore struct {
	dir string
}

func newBlobStore(dir string) (*blobStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("proxy cache: %w", err)
	}
	return &blobStore{dir: dir}, nil
}

// Digest names an archive by its hash, as registries publish it:
// algorithm "sha512", "sha256" or "sha1", and the hash in hex.
type Digest struct {
	Algo string
	Hex  string
}

// ParseIntegrity parses an npm "integrity" string (SRI: sha512-BASE64),
// taking the strongest hash it lists.
func ParseIntegrity(sri string) (Digest, error) {
	var best Digest
	for f := range strings.FieldsSeq(sri) {
		algo, b64, ok := strings.Cut(f, "-")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			continue
		}
		d := Digest{Algo: algo, Hex: hex.EncodeToString(raw)}
		if d.valid() && strength(d.Algo) > strength(best.Algo) {
			best = d
		}
	}
	if best.Algo == "" {
		return Digest{}, fmt.Errorf("integrity %q has no sha512, sha256 or sha1 hash", sri)
	}
	return best, nil
}

func strength(algo string) int {
	return map[string]int{"sha1": 1, "sha256": 2, "sha512": 3}[algo]
}

func (d Digest) valid() bool {
	n := map[string]int{"sha1": 40, "sha256": 64, "sha512": 128}[d.Algo]
	return n > 0 && len(d.Hex) == n && strings.Trim(d.Hex, "0123456789abcdef") == ""
}

func (d Digest) String() string { return d.Algo + "-" + d.Hex }

func (d Digest) newHash() hash.Hash {
	switch d.Algo {
	case "sha512":
		return sha512.New()
	case "sha256":
		return sha256.New()
	}
	return newSHA1()
}

func (b *blobStore) path(d Digest) string {
	return filepath.Join(b.dir, d.Algo+"-"+d.Hex)
}

// open returns the stored archive with digest d, or nil.
func (b *blobStore) open(d Digest) *os.File {
	if !d.valid() {
		return nil
	}
	f, err := os.Open(b.path(d))
	if err != nil {
		return nil
	}
	return f
}

// ErrDigest is an archive whose bytes do not hash to what the registry
// published.
var ErrDigest = errors.New("archive does not match the registry's digest")

// stream copies an upstream archive body to w while hashing it and
// writing it to a temporary file; the file becomes the stored copy only
// when the whole body hashed to d. The client has then received every
// byte but the last chunk is held back until the digest is checked: on a
// mismatch the copy stops short, so the client's own integrity check
// fails too, and nothing is stored.
func (b *blobStore) stream(w io.Writer, body io.Reader, d Digest, max int64) (int64, error) {
	if !d.valid() {
		return 0, fmt.Errorf("proxy cache: bad digest %q", d.String())
	}
	tmp, err := os.CreateTemp(b.dir, ".part-*")
	if err != nil {
		return 0, fmt.Errorf("proxy cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := d.newHash()
	hw := &holdBack{w: w}
	n, err := io.Copy(io.MultiWriter(hw, h, tmp), io.LimitReader(body, max+1))
	if err != nil {
		return n, err
	}
	if n > max {
		return n, fmt.Errorf("archive larger than %d bytes", max)
	}
	if hex.EncodeToString(h.Sum(nil)) != d.Hex {
		return n, ErrDigest
	}
	if err := hw.flush(); err != nil {
		return n, err
	}
	if err := tmp.Close(); err != nil {
		return n, err
	}
	return n, os.Rename(tmp.Name(), b.path(d))
}

// holdBack writes through to w all but the last holdBytes, which it
// writes on flush: a client never gets a whole archive that failed the
// digest check.
type holdBack struct {
	w    io.Writer
	held []byte
}

const holdBytes = 32 << 10

func (h *holdBack) Write(p []byte) (int, error) {
	h.held = append(h.held, p...)
	if len(h.held) > 2*holdBytes {
		out := h.held[:len(h.held)-holdBytes]
		if _, err := h.w.Write(out); err != nil {
			return 0, err
		}
		h.held = append(h.held[:0], h.held[len(out):]...)
		if f, ok := h.w.(http.Flusher); ok {
			f.Flush()
		}
	}
	return len(p), nil
}

func (h *holdBack) flush() error {
	_, err := h.w.Write(h.held)
	h.held = nil
	return err
}
