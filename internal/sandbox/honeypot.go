package sandbox

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
)

// honeypot is a fake credential file in the sandbox's home. Every value
// says "sapper honeypot" so that nobody mistakes one for a real secret,
// and so that it is recognisable where it turns up (an argv, a payload).
type honeypot struct {
	rel  string // path under the home
	mode os.FileMode
	data string
}

// Fake credential values, also exported to the environment.
const (
	honeyAWSKey    = "AKIASAPPERHONEYPOT00"
	honeyAWSSecret = "sapperHoneypotSecretKey0000000000000000a"
	honeyGitHub    = "ghp_sapperHoneypot0000000000000000000000"
	honeyNPM       = "npm_sapperHoneypot0000000000000000000000"
	honeyPyPI      = "pypi-sapperHoneypot000000000000000000000"
)

var honeypots = []honeypot{
	{".ssh/id_rsa", 0o600, "-----BEGIN OPENSSH PRIVATE KEY-----\nsapper-honeypot: this is not a key; reading it is recorded\n-----END OPENSSH PRIVATE KEY-----\n"},
	{".ssh/id_ed25519", 0o600, "-----BEGIN OPENSSH PRIVATE KEY-----\nsapper-honeypot: this is not a key; reading it is recorded\n-----END OPENSSH PRIVATE KEY-----\n"},
	{".aws/credentials", 0o600, "[default]\naws_access_key_id = " + honeyAWSKey + "\naws_secret_access_key = " + honeyAWSSecret + "\n"},
	{".aws/config", 0o600, "# sapper honeypot\n[default]\nregion = us-east-1\n"},
	{".npmrc", 0o600, "//registry.npmjs.org/:_authToken=" + honeyNPM + "\n"},
	{".pypirc", 0o600, "[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = " + honeyPyPI + "\n"},
	{".env", 0o600, "AWS_ACCESS_KEY_ID=" + honeyAWSKey + "\nAWS_SECRET_ACCESS_KEY=" + honeyAWSSecret + "\nGITHUB_TOKEN=" + honeyGitHub + "\nDATABASE_URL=postgres://sapper:honeypot@db.invalid/app\n"},
	{".netrc", 0o600, "machine github.com login sapper-honeypot password " + honeyGitHub + "\n"},
	{".git-credentials", 0o600, "https://sapper-honeypot:" + honeyGitHub + "@github.com\n"},
	{".docker/config.json", 0o600, `{"auths":{"https://index.docker.io/v1/":{"auth":"c2FwcGVyOmhvbmV5cG90"}},"_comment":"sapper honeypot"}` + "\n"},
	{".kube/config", 0o600, "apiVersion: v1\nkind: Config\nusers:\n- name: sapper-honeypot\n  user:\n    token: sapperHoneypotKubeToken\n"},
	{".config/gcloud/application_default_credentials.json", 0o600, `{"type":"authorized_user","client_id":"sapper-honeypot.apps.googleusercontent.invalid","client_secret":"sapperHoneypot","refresh_token":"sapperHoneypot"}` + "\n"},
	{".config/gh/hosts.yml", 0o600, "github.com:\n    oauth_token: " + honeyGitHub + "\n    user: sapper-honeypot\n"},
	{".gem/credentials", 0o600, "---\n:rubygems_api_key: rubygems_sapperHoneypot000000000000000000000000\n"},
	{".cargo/credentials.toml", 0o600, "[registry]\ntoken = \"cio_sapperHoneypot\"\n"},
}

// HoneypotPaths returns the guest paths of the fake credential files
// planted in every sandbox's home. Reading one is a signal: nothing an
// install or import legitimately does reads them (npm is pointed away
// from ~/.npmrc, see HoneypotEnv).
func HoneypotPaths() []string {
	out := make([]string, len(honeypots))
	for i, h := range honeypots {
		out[i] = path.Join(GuestHome, h.rel)
	}
	return out
}

// HoneypotEnv returns the fake cloud and registry credentials put in
// every phase's environment, as NAME=value. Their values turning up in a
// command line or a payload is a signal.
func HoneypotEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + honeyAWSKey,
		"AWS_SECRET_ACCESS_KEY=" + honeyAWSSecret,
		"GITHUB_TOKEN=" + honeyGitHub,
		"NPM_TOKEN=" + honeyNPM,
		"PYPI_TOKEN=" + honeyPyPI,
		"GOOGLE_APPLICATION_CREDENTIALS=" + GuestHome + "/.config/gcloud/application_default_credentials.json",
	}
}

// baseEnv is the environment of every phase before the honeypots and
// Options.Env. NPM_CONFIG_USERCONFIG keeps npm itself from reading the
// ~/.npmrc honeypot (it reads its user config at every start), so that a
// read of ~/.npmrc is the package's doing.
func baseEnv(pathEnv string) []string {
	return []string{
		"PATH=" + pathEnv,
		"HOME=" + GuestHome,
		"USER=" + guestUser,
		"LOGNAME=" + guestUser,
		"SHELL=/bin/sh",
		"LANG=C.UTF-8",
		"TERM=dumb",
		"TMPDIR=/tmp",
		"NPM_CONFIG_USERCONFIG=/dev/null",
		"NPM_CONFIG_UPDATE_NOTIFIER=false",
		"NPM_CONFIG_FUND=false",
		"NPM_CONFIG_AUDIT=false",
	}
}

// writeHoneypots plants the honeypots under the host directory home.
func writeHoneypots(home string) error {
	for _, h := range honeypots {
		p := filepath.Join(home, filepath.FromSlash(h.rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return fmt.Errorf("honeypot %s: %w", h.rel, err)
		}
		if err := os.WriteFile(p, []byte(h.data), h.mode); err != nil {
			return fmt.Errorf("honeypot %s: %w", h.rel, err)
		}
	}
	return nil
}
