package rules

import "testing"

// naiveRun is nextRun's specification: the first maximal run of set bytes,
// at or after from, that is at least minLen long.
func naiveRun(data []byte, from int, set *[256]bool, minLen int) (int, int, bool) {
	for i := from; i < len(data); {
		if !set[data[i]] {
			i++
			continue
		}
		j := i
		for j < len(data) && set[data[j]] {
			j++
		}
		if j-i >= minLen {
			return i, j, true
		}
		i = j
	}
	return 0, 0, false
}

func TestNextRun(t *testing.T) {
	tests := []struct {
		data   string
		minLen int
	}{
		{"", 3}, {"abc", 3}, {"ab", 3}, {"ab cd efg", 3}, {"ab+cdefgh ijk", 4},
		{"a b c d e f", 1}, {"  abcdef  ", 6}, {"abcde!abcdef", 6}, {"xx!!!xxxxxxxx!", 8},
	}
	for _, tt := range tests {
		i, j, ok := nextRun([]byte(tt.data), 0, &b64Bytes, tt.minLen)
		wi, wj, wok := naiveRun([]byte(tt.data), 0, &b64Bytes, tt.minLen)
		if i != wi || j != wj || ok != wok {
			t.Errorf("nextRun(%q, %d) = %d, %d, %v; want %d, %d, %v", tt.data, tt.minLen, i, j, ok, wi, wj, wok)
		}
	}
}

func FuzzNextRun(f *testing.F) {
	f.Add([]byte("ab cd efg"), 3, 0)
	f.Add([]byte("[]()!+ [][]"), 4, 1)
	f.Fuzz(func(t *testing.T, data []byte, minLen, from int) {
		minLen = 1 + abs(minLen)%64
		from = abs(from) % (len(data) + 1)
		for _, set := range []*[256]bool{&b64Bytes, &jsfuckBytes} {
			i, j, ok := nextRun(data, from, set, minLen)
			wi, wj, wok := naiveRun(data, from, set, minLen)
			if i != wi || j != wj || ok != wok {
				t.Fatalf("nextRun(%q, from %d, %d) = %d, %d, %v; want %d, %d, %v", data, from, minLen, i, j, ok, wi, wj, wok)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
