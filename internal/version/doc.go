// Package version parses, orders and canonicalises package versions the way
// each ecosystem's own tools do, so that OSV records (explicit versions lists
// and SEMVER or ECOSYSTEM ranges) can be matched against package versions.
//
// Package version leans on libraries written for each scheme and wraps them
// thinly where they stray from the rules they implement:
//
//   - npm and crates.io: Semantic Versioning 2.0 (github.com/aquasecurity/go-npm-version);
//     npm also takes a leading "v" or "=", as node-semver's loose mode does.
//   - PyPI: PEP 440 (github.com/aquasecurity/go-pep440-version): epochs,
//     pre, post and dev releases, local versions, any case; "1.0" equals "1.0.0".
//   - Go: golang.org/x/mod/semver; "1.2.3" (as OSV writes it) and "v1.2.3" (as Go
//     tools write it) are the same version, and so are "v2.0.0+incompatible" and
//     "v2.0.0", as semver.Compare says.
//   - RubyGems: Gem::Version (github.com/aquasecurity/go-gem-version checks the syntax);
//     "1.0" equals "1.0.0" and "1.0.a" sorts before "1.0".
//   - Maven: ComparableVersion (github.com/masahiro331/go-mvn-version); "1.0"
//     equals "1.0.0", and "1.0-alpha" and "1.0-SNAPSHOT" sort before "1.0".
//     Like ComparableVersion before Maven 3.9 and like OSV's own Maven
//     ordering, it is not transitive for ".RC1"-style qualifiers.
//   - NuGet: NuGet.Versioning's NuGetVersion, implemented here for want of a library.
//   - Pub and Hex: Semantic Versioning 2.0 only, Pub with its ordering of
//     build metadata ("1.0.0" < "1.0.0+1" < "1.0.0+2").
//   - Packagist: semantic versions without a prerelease only, as Composer
//     orders prereleases its own way ("1.0.0-patch1" comes after "1.0.0").
//
// A Packagist, Pub or Hex version outside these forms fails with an error
// wrapping [ErrUnordered], as does any version of another ecosystem. Except
// for Pub, build metadata after "+" (which is not a PEP 440 local version)
// plays no part in ordering.
//
// Versions come from untrusted files: Parse rejects strings longer than 256
// bytes and turns a panic in a library into an error.
package version
