package rules

// acMatcher finds every occurrence of a set of literals in one pass over
// the input, ignoring ASCII case (Aho-Corasick, compiled to a DFA over a
// reduced alphabet: the bytes that occur in some literal, plus one class
// for every other byte).
type acMatcher struct {
	class  [256]uint8
	nclass int
	// delta[state*nclass+class] is the next state, premultiplied by
	// nclass so that the scan loop needs no multiplication, and stored
	// as -(next*nclass)-1 when literals end in the next state, so that
	// the loop needs no second lookup to know it has nothing to report.
	delta []int32
	out   [][]int32 // literals that end in a state, its suffixes' included
	lens  []int     // length of each literal
}

func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

func newACMatcher(lits []string) *acMatcher {
	m := &acMatcher{lens: make([]int, len(lits))}
	// Classes: 0 is "no literal has this byte".
	for _, l := range lits {
		for i := 0; i < len(l); i++ {
			c := lowerASCII(l[i])
			if m.class[c] == 0 {
				m.nclass++
				m.class[c] = uint8(m.nclass)
			}
		}
	}
	m.nclass++
	if m.nclass > 256 {
		panic("rules: literal alphabet too large") // cannot happen: at most 255 distinct lower-cased bytes + 1
	}
	for b := 'A'; b <= 'Z'; b++ {
		m.class[b] = m.class[b+'a'-'A']
	}

	// Trie.
	nc := m.nclass
	goTo := [][]int32{make([]int32, nc)} // -1 = no edge
	for i := range goTo[0] {
		goTo[0][i] = -1
	}
	m.out = [][]int32{nil}
	for li, l := range lits {
		m.lens[li] = len(l)
		s := int32(0)
		for i := 0; i < len(l); i++ {
			c := m.class[l[i]]
			if goTo[s][c] < 0 {
				row := make([]int32, nc)
				for j := range row {
					row[j] = -1
				}
				goTo = append(goTo, row)
				m.out = append(m.out, nil)
				goTo[s][c] = int32(len(goTo) - 1)
			}
			s = goTo[s][c]
		}
		m.out[s] = append(m.out[s], int32(li))
	}

	// Breadth-first: fail links, and complete the transition function.
	n := len(goTo)
	fail := make([]int32, n)
	m.delta = make([]int32, n*nc)
	queue := make([]int32, 0, n)
	for c := 0; c < nc; c++ {
		if t := goTo[0][c]; t >= 0 {
			m.delta[c] = t
			queue = append(queue, t)
		} else {
			m.delta[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if f := fail[s]; len(m.out[f]) > 0 {
			m.out[s] = append(m.out[s], m.out[f]...)
		}
		for c := 0; c < nc; c++ {
			t := goTo[s][c]
			if t < 0 {
				m.delta[int(s)*nc+c] = m.delta[int(fail[s])*nc+c]
				continue
			}
			m.delta[int(s)*nc+c] = t
			fail[t] = m.delta[int(fail[s])*nc+c]
			queue = append(queue, t)
		}
	}
	for i, t := range m.delta {
		if len(m.out[t]) > 0 {
			m.delta[i] = -t*int32(nc) - 1
		} else {
			m.delta[i] = t * int32(nc)
		}
	}
	return m
}

// scan calls hit(literal, end) for every occurrence of every literal in
// data, in order of end offset.
func (m *acMatcher) scan(data []byte, hit func(lit int, end int)) {
	nc := int32(m.nclass)
	delta, out, class := m.delta, m.out, &m.class
	s := int32(0) // the state, premultiplied by nc
	for i, b := range data {
		s = delta[s+int32(class[b])]
		if s < 0 {
			s = -s - 1
			for _, l := range out[s/nc] {
				hit(int(l), i+1)
			}
		}
	}
}
