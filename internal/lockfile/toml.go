package lockfile

import (
	"errors"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/sapperhq/sapper/internal/limits"
)

// readTOML reads f, checks that it is UTF-8 text, and returns the tables
// of its top-level array of tables named key (see tomlTables).
func readTOML(f File, key string) ([]*tomlTable, error) {
	data, err := f.ReadFile()
	if err != nil {
		return nil, Errorf(f, 0, "read: %w", err)
	}
	if data, err = textOf(f, data); err != nil {
		return nil, err
	}
	return tomlTables(f, data, key)
}

// tomlTables decodes the TOML document data and returns the tables of its
// top-level array of tables named key ([[package]]), in order, each with
// its line.
//
// The document is decoded into maps, not structs: go-toml matches keys to
// struct fields ignoring case, so "NAME" would override "name" and
// [[PACKAGE]] restart the package list, letting a crafted file show sapper
// other packages than the installer reads. Keys are matched exactly here,
// as the installers do.
//
// The decoder gives no positions, so a first pass over the syntax tree
// (pelletier/go-toml/v2/unstable) finds the lines of the tables. It also
// bounds what the decoder would recurse on: arrays and inline tables
// nested deeper, and dotted keys longer, than limits.MaxNesting are
// refused.
func tomlTables(f File, data []byte, key string) ([]*tomlTable, error) {
	var lines []int
	nl := NewLines(data)
	var p unstable.Parser
	p.Reset(data)
	root := true // no table header seen yet
	type item struct {
		n     *unstable.Node
		depth int
	}
	var stack []item
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.KeyValue && e.Kind != unstable.Table && e.Kind != unstable.ArrayTable {
			continue
		}
		if err := tomlKey(f, nl, e); err != nil {
			return nil, err
		}
		// first is the first part of the key, single whether it is the
		// only one.
		k := e.Key()
		k.Next()
		first := k.Node()
		single := !k.Next()
		keyLine := nl.At(int64(first.Raw.Offset))
		isKey := string(first.Data) == key
		switch e.Kind {
		case unstable.Table:
			root = false
			if isKey && single {
				return nil, Errorf(f, keyLine, "[%s] is a table; want [[%s]], an array of tables", key, key)
			}
			continue
		case unstable.ArrayTable:
			root = false
			if isKey && single {
				lines = append(lines, keyLine)
			}
			continue
		}
		val := e.Value()
		if root && isKey {
			if !single || val.Kind != unstable.Array {
				return nil, Errorf(f, keyLine, "%s is not an array of tables", key)
			}
			it := val.Children()
			for it.Next() {
				lines = append(lines, nl.At(int64(it.Node().Raw.Offset)))
			}
		}
		// Walk the value without recursion, bounding its depth.
		stack = append(stack[:0], item{val, 0})
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if it.depth > limits.MaxNesting {
				return nil, Errorf(f, keyLine, "values nested more than %d deep", limits.MaxNesting)
			}
			switch it.n.Kind {
			case unstable.Array:
				c := it.n.Children()
				for c.Next() {
					stack = append(stack, item{c.Node(), it.depth + 1})
				}
			case unstable.InlineTable:
				c := it.n.Children()
				for c.Next() {
					kv := c.Node()
					if kv.Kind != unstable.KeyValue {
						continue
					}
					if err := tomlKey(f, nl, kv); err != nil {
						return nil, err
					}
					stack = append(stack, item{kv.Value(), it.depth + 1})
				}
			}
		}
	}
	if err := p.Error(); err != nil {
		line := 0
		var pe *unstable.ParserError
		if errors.As(err, &pe) && pe.Highlight != nil {
			if off := cap(data) - cap(pe.Highlight); off >= 0 && off <= len(data) {
				line = nl.At(int64(off))
			}
		}
		return nil, Errorf(f, line, "invalid TOML: %v", tomlMessage(err))
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			if k := de.Key(); len(k) > 0 {
				return nil, Errorf(f, line, "invalid TOML at key %s: %v", quoteShort(strings.Join(k, ".")), tomlMessage(err))
			}
			return nil, Errorf(f, line, "invalid TOML: %v", tomlMessage(err))
		}
		return nil, Errorf(f, 0, "invalid TOML: %v", tomlMessage(err))
	}
	v, ok := doc[key]
	if !ok {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, Errorf(f, 0, "%s is %s, want an array of tables", key, tomlKind(v))
	}
	tables := make([]*tomlTable, len(arr))
	for i, e := range arr {
		line := 0
		if len(lines) == len(arr) {
			line = lines[i]
		}
		m, ok := e.(map[string]any)
		if !ok {
			return nil, Errorf(f, line, "%s: element %d is %s, want a table", key, i+1, tomlKind(e))
		}
		tables[i] = &tomlTable{f: f, line: line, path: key, m: m, err: new(error)}
	}
	return tables, nil
}

// tomlTable reads a decoded TOML table of file f, declared at line, at path
// in the document ("package", "package.source"). The first value of a
// wrong type is kept in err; later reads return zero values.
type tomlTable struct {
	f    File
	line int
	path string
	m    map[string]any
	err  *error
}

// fail records the first error of t's package.
func (t *tomlTable) fail(key, want string, v any) {
	if *t.err == nil {
		*t.err = Errorf(t.f, t.line, "%s.%s is %s, want %s", t.path, key, tomlKind(v), want)
	}
}

// Err returns the first error met reading t or its subtables.
func (t *tomlTable) Err() error { return *t.err }

// str returns the string at key, "" when there is none.
func (t *tomlTable) str(key string) string {
	v, ok := t.m[key]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		t.fail(key, "a string", v)
	}
	return s
}

// strs returns the array of strings at key.
func (t *tomlTable) strs(key string) []string {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		t.fail(key, "an array of strings", v)
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			t.fail(key, "an array of strings", v)
			return nil
		}
		out = append(out, s)
	}
	return out
}

// has reports whether t has key.
func (t *tomlTable) has(key string) bool {
	_, ok := t.m[key]
	return ok
}

// table returns the table at key, or nil when there is none.
func (t *tomlTable) table(key string) *tomlTable {
	v, ok := t.m[key]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.fail(key, "a table", v)
		return nil
	}
	return &tomlTable{f: t.f, line: t.line, path: t.path + "." + key, m: m, err: t.err}
}

// tomlKind names the TOML type of a decoded value, for a message.
func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return "a date or time"
}

// tomlKey refuses dotted keys with more than limits.MaxNesting parts.
func tomlKey(f File, nl *Lines, n *unstable.Node) error {
	k := n.Key()
	for i := 0; k.Next(); i++ {
		if i >= limits.MaxNesting {
			return Errorf(f, nl.At(int64(k.Node().Raw.Offset)), "key with more than %d parts", limits.MaxNesting)
		}
	}
	return nil
}

// tomlMessage returns the message of a go-toml error without its "toml: "
// prefix.
func tomlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "toml: ")
}
