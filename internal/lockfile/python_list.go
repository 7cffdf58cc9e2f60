package lockfile

// pythonParsers returns the parsers of this family; see Default.
func pythonParsers() []Parser { return nil }
