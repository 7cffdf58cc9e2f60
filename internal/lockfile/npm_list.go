package lockfile

// npmParsers returns the parsers of this family; see Default.
func npmParsers() []Parser {
	return []Parser{
		packageLockParser{},
		yarnLockParser{},
		pnpmLockParser{},
		bunLockParser{},
		nodeModulesParser{},
	}
}
