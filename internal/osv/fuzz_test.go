package osv

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that Decode never panics on hostile input, and that a
// record it accepts survives a round trip: encoded again, it decodes again
// and encodes to the same bytes. Seeds are the records in testdata.
func FuzzDecode(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds in testdata/*.json")
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Decode(data)
		if err != nil {
			if v != nil {
				t.Fatalf("Decode returned a record and the error %v", err)
			}
			return
		}
		enc, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		v2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v\n%s", err, enc)
		}
		enc2, err := json.Marshal(v2)
		if err != nil {
			t.Fatalf("second encoding: %v", err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the record:\nfirst:  %s\nsecond: %s", enc, enc2)
		}
		if v.IsWithdrawn() != v2.IsWithdrawn() || v.IsMalicious() != v2.IsMalicious() {
			t.Fatalf("round trip changed withdrawn or malicious")
		}
	})
}
