package feed

import (
	"bytes"
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
	"github.com/sapperhq/sapper/internal/feed/feedtest"
)

// fuzzBounds are small, so that a bomb or a long archive trips them fast.
var fuzzBounds = bounds{
	recordBytes:    64 << 10,
	archiveEntries: 64,
	archiveBytes:   1 << 20,
	ratio:          200,
	treeDepth:      8,
}

// FuzzZip feeds arbitrary bytes to the zip reader. It must not panic, must
// return a record or an error for each item, and must stay within the
// bounds: no more items than entries allowed, no more bytes delivered than
// the archive allows, no record over the record limit.
func FuzzZip(f *testing.F) {
	rec := feedtest.Record(0, ecosystem.NPM, 1)
	valid := zipBytes(f, []entry{
		{Name: "MAL-2022-1.json", Data: rec},
		{Name: "MAL-2023-2.json", Data: feedtest.Record(1, ecosystem.PyPI, 1), Store: true},
	})
	f.Add(valid)
	f.Add(zipBytes(f, []entry{
		{Name: "repo-main/"},
		{Name: "repo-main/osv/withdrawn/npm/x/MAL-2022-1.json", Data: rec},
		{Name: "repo-main/osv/malicious/npm/y.json/"},
		{Name: "repo-main/README.md", Data: []byte("readme")},
	}))
	f.Add(zipBytes(f, []entry{
		{Name: "../evil.json", Data: rec},
		{Name: "/abs.json", Data: rec},
		{Name: `back\slash.json`, Data: rec},
		{Name: "dup.json", Data: rec},
		{Name: "dup.json", Data: rec},
		{Name: "link.json", Data: []byte("dup.json"), Mode: 0o120777},
		{Name: "lying.json", Data: rec, Claim: 10},
	}))
	f.Add(zipBytes(f, []entry{{Name: "bomb.json", Data: bomb(200 << 10)}}))
	f.Add(zipBytes(f, nil))
	f.Add(valid[:len(valid)/2])
	f.Add([]byte("PK\x05\x06"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		b := fuzzBounds
		items := 0
		var delivered int64
		err := readZip(t.Context(), bytes.NewReader(data), int64(len(data)), "fuzz.zip", func(it Item) error {
			items++
			if (it.Vuln == nil) == (it.Err == nil) {
				t.Fatalf("%s: Vuln %v and Err %v: want exactly one", it.Origin, it.Vuln != nil, it.Err)
			}
			if int64(len(it.Raw)) > b.recordBytes {
				t.Fatalf("%s: %d bytes, over the record limit %d", it.Origin, len(it.Raw), b.recordBytes)
			}
			delivered += int64(len(it.Raw))
			return nil
		}, b)
		if items > b.archiveEntries {
			t.Fatalf("%d items, over the entry limit %d (err %v)", items, b.archiveEntries, err)
		}
		if delivered > b.archiveBytes {
			t.Fatalf("%d bytes delivered, over the archive limit %d (err %v)", delivered, b.archiveBytes, err)
		}
	})
}
