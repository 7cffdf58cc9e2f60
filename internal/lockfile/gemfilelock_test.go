package lockfile

import (
	"testing"

	"github.com/sapperhq/sapper/internal/ecosystem"
)

func TestGemfileLock(t *testing.T) {
	gem := func(path, name, version string, line int, src Source) Package {
		return Package{Ecosystem: ecosystem.RubyGems, Name: name, Version: version, Location: fixtureAt(path, line), Source: src}
	}
	public := Source{Kind: Registry}
	const rails, private, multi, crlf = "rails/Gemfile.lock", "private/Gemfile.lock", "multiremote/Gemfile.lock", "crlf/gems.locked"
	railsGit := Source{Kind: Git, URL: "https://github.com/rails/rails.git"}
	acme := Source{Kind: Registry, URL: "https://gems.acme.example/private/"}
	runOtherCases(t, gemfileLockParser{}, "gem", []otherCase{
		{
			name: "git-path-gem-platforms",
			path: rails,
			want: []Package{
				gem(rails, "rails", "7.2.0.alpha", 6, railsGit),
				gem(rails, "billing", "0.1.0", 13, Source{Kind: Path, URL: "engines/billing"}),
				gem(rails, "actionpack", "7.1.3", 19, public),
				gem(rails, "nokogiri", "1.16.2", 21, public),
				gem(rails, "nokogiri", "1.16.2", 23, public),
				gem(rails, "racc", "1.7.3", 25, public),
				gem(rails, "rack", "3.0.9", 26, public),
				gem(rails, "rspec", "3.13.0", 27, public),
				gem(rails, "sqlite3", "1.7.2", 28, public),
			},
		},
		{
			name: "private-registry-and-plugin",
			path: private,
			want: []Package{
				gem(private, "acme-auth", "2.1.0", 4, acme),
				gem(private, "rake", "13.1.0", 9, public),
				gem(private, "acme-plugged", "0.0.1", 15, Source{Kind: Registry, URL: "https://github.com/acme/bundler-source-plugin"}),
			},
		},
		{
			// Bundler may take any gem of the section from rubygems.org.
			name: "several-remotes",
			path: multi,
			want: []Package{
				gem(multi, "acme-auth", "2.1.0", 5, public),
				gem(multi, "rake", "13.1.0", 6, public),
			},
		},
		{
			name: "crlf-gems-locked",
			path: crlf,
			want: []Package{gem(crlf, "rack", "3.0.9", 4, public)},
		},
		{name: "bad-spec", path: "badspec/Gemfile.lock", wantErr: `badspec/Gemfile.lock:5: GEM section: "broken gem (1.0)" is not a gem as name (version)`},
		{name: "no-version", path: "noversion/Gemfile.lock", wantErr: `noversion/Gemfile.lock:4: GEM section: gem "rake" has no version`},
		{name: "bad-indentation", path: "badindent/Gemfile.lock", wantErr: "badindent/Gemfile.lock:4: GEM section: unexpected indentation of 5 spaces"},
	})
}

func TestRubyGemsOrg(t *testing.T) {
	tests := map[string]bool{
		"https://rubygems.org/":          true,
		"https://rubygems.org":           true,
		"http://rubygems.org/":           true,
		"https://index.rubygems.org/":    true,
		"https://RubyGems.org/":          true,
		"https://rubygems.org.evil.com/": false,
		"https://evil.com/rubygems.org/": false,
		"https://rubygems.org/private/":  false,
		"git://rubygems.org/":            false,
		"":                               false,
	}
	for remote, want := range tests {
		if got := rubyGemsOrg(remote); got != want {
			t.Errorf("rubyGemsOrg(%q) = %v, want %v", remote, got, want)
		}
	}
}

func FuzzGemfileLock(f *testing.F) { fuzzOther(f, gemfileLockParser{}, "gem", "Gemfile.lock") }
