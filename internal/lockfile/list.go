package lockfile

// Default returns the built-in parsers, in the order they are tried.
func Default() []Parser {
	var ps []Parser
	ps = append(ps, npmParsers()...)
	ps = append(ps, pythonParsers()...)
	ps = append(ps, otherParsers()...)
	ps = append(ps, sbomParsers()...)
	return ps
}
