package lockfile

// pythonParsers returns the parsers of this family (pip, Poetry, Pipenv,
// uv, PDM, PEP 751); see Default.
func pythonParsers() []Parser {
	return []Parser{
		requirementsParser{},
		poetryLockParser{},
		pipfileLockParser{},
		uvLockParser{},
		pdmLockParser{},
		pylockParser{},
	}
}
