package sandbox

import (
	"fmt"
	"net"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// The behaviour rules, by finding Rule.
const (
	RuleHoneypotRead    = "dyn-honeypot-read"     // a credential file under a home directory read
	RuleSensitiveRead   = "dyn-sensitive-read"    // /etc/passwd, /etc/shadow, browser profiles, wallets, shell history
	RuleShell           = "dyn-shell"             // a shell run by the package's code
	RuleDownloader      = "dyn-downloader"        // curl, wget and the like
	RuleNetcat          = "dyn-netcat"            // nc, ncat, socat, telnet
	RuleNetworkInstall  = "dyn-network-install"   // a connection attempted at install time
	RuleNetworkImport   = "dyn-network-import"    // a connection attempted when loaded
	RuleDNS             = "dyn-dns"               // a name looked up
	RulePersistence     = "dyn-persistence-write" // shell profiles, cron, systemd, autostart, authorized_keys
	RuleDetachedProcess = "dyn-detached-process"  // a process outliving its phase
)

// maxPerRule bounds the findings of one rule in one phase; the last one
// says how many more there were.
const maxPerRule = 20

// Findings turns the events of d's phases into findings for analyze.Score,
// with the categories of the static rules so that both add up: evidence
// at Location.Path "dynamic:<phase>", the event as Snippet. What every
// install does is not a finding: reading the package's own files and the
// runtime's, the command sapper started for the phase (the lifecycle
// script's "sh -c"), local sockets to nothing.
func Findings(d Dynamic) []finding.Finding {
	var out []finding.Finding
	for _, ph := range d.Phases {
		c := collector{phase: ph.Name, seen: map[string]bool{}, count: map[string]int{}}
		install := InstallPhase(ph.Name)
		for _, f := range ph.Files {
			fileRules(&c, f)
		}
		ran := d.ran(ph.Name)
		for _, cmd := range ph.Commands {
			if len(cmd.Argv) == 0 {
				continue
			}
			if i := slices.IndexFunc(ran, func(r []string) bool { return sameArgv(r, cmd.Argv) }); i >= 0 {
				ran = slices.Delete(ran, i, i+1) // expected, once
				continue
			}
			commandRules(&c, cmd.Argv)
		}
		netSev, netRule := finding.SeverityHigh, RuleNetworkInstall
		if !install {
			netSev, netRule = finding.SeverityMedium, RuleNetworkImport
		}
		for _, s := range ph.Sockets {
			if s.Protocol == "unix" {
				if strings.HasSuffix(s.Address, "/docker.sock") {
					c.add(RuleSensitiveRead, analyze.CatCredentials, finding.SeverityHigh, s.Address, "talks to the Docker daemon")
				}
				continue
			}
			if s.Address == "" && s.Port == 0 {
				continue
			}
			addr := s.Address
			if ip, err := netip.ParseAddr(addr); err == nil && ip.Is6() {
				addr = "[" + addr + "]"
			}
			ev := fmt.Sprintf("%s:%d", addr, s.Port)
			if slices.Contains(ph.DNS, ev) {
				continue // a query to the resolver: dyn-dns says it
			}
			c.add(netRule, analyze.CatNetwork, netSev, ev, "connects to the network while "+what(ph.Name))
		}
		for _, name := range ph.DNS {
			msg := "looks up a host name while "
			if _, _, err := net.SplitHostPort(name); err == nil {
				msg = "queries the DNS resolver (the name is not traced) while "
			}
			c.add(RuleDNS, analyze.CatNetwork, netSev, name, msg+what(ph.Name))
		}
		for _, cmd := range ph.Lingering {
			c.add(RuleDetachedProcess, analyze.CatProcess, finding.SeverityMedium, strings.Join(cmd.Argv, " "),
				"leaves a process running after "+what(ph.Name)+" (detached or daemonised)")
		}
		out = append(out, c.done()...)
	}
	return out
}

// ran returns the commands sapper started for phase name, with what they
// run in turn: "env VAR=... sh -c script" runs "sh -c script".
func (d Dynamic) ran(name string) [][]string {
	var out [][]string
	for _, r := range d.Runs {
		if r.Phase != name || len(r.Argv) == 0 {
			continue
		}
		out = append(out, r.Argv)
		if path.Base(r.Argv[0]) == "env" {
			i := 1
			for i < len(r.Argv) && strings.Contains(r.Argv[i], "=") && !strings.HasPrefix(r.Argv[i], "-") {
				i++
			}
			if i < len(r.Argv) {
				out = append(out, r.Argv[i:])
				// "sh -c 'bash install.sh'": the script's one simple
				// command is the script itself, not a shell it started.
				if in := r.Argv[i:]; len(in) == 3 && in[1] == "-c" && !strings.ContainsAny(in[2], "|&;<>()$`\\\"'*?[#~=%{}\n") {
					if f := strings.Fields(in[2]); len(f) > 0 {
						out = append(out, f)
					}
				}
			}
		}
	}
	return out
}

// sameArgv compares argv as executed with argv as started: argv[0] may
// have been resolved on PATH.
func sameArgv(want, got []string) bool {
	return len(want) == len(got) && path.Base(want[0]) == path.Base(got[0]) && slices.Equal(want[1:], got[1:])
}

func what(phase string) string {
	if InstallPhase(phase) {
		return "installing (" + phase + ")"
	}
	return "being loaded (" + phase + ")"
}

// collector gathers one phase's findings, once per rule and event, at
// most maxPerRule per rule.
type collector struct {
	phase string
	out   []finding.Finding
	seen  map[string]bool
	count map[string]int
}

func (c *collector) add(rule, cat string, sev finding.Severity, snippet, summary string) {
	key := rule + "\x00" + snippet
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.count[rule]++
	if c.count[rule] > maxPerRule {
		return
	}
	c.out = append(c.out, finding.Finding{
		Kind:     analyze.SuspiciousCode,
		Severity: sev,
		Action:   finding.Warn,
		Summary:  summary,
		Location: &finding.Location{Path: "dynamic:" + c.phase},
		Rule:     rule,
		Category: cat,
		Snippet:  analyze.EscapeSnippet(snippet),
	})
}

func (c *collector) done() []finding.Finding {
	for rule, n := range c.count {
		if n <= maxPerRule {
			continue
		}
		for i := len(c.out) - 1; i >= 0; i-- {
			if c.out[i].Rule == rule {
				c.out[i].Snippet += fmt.Sprintf(" (and %d more)", n-maxPerRule)
				break
			}
		}
	}
	return c.out
}

// homeRel returns p relative to a home directory (the sandbox's, root's
// or any /home/NAME), and whether p is under one.
func homeRel(p string) (string, bool) {
	for _, h := range []string{GuestHome + "/", "/root/"} {
		if rel, ok := strings.CutPrefix(p, h); ok {
			return rel, true
		}
	}
	if rest, ok := strings.CutPrefix(p, "/home/"); ok {
		if _, rel, ok := strings.Cut(rest, "/"); ok {
			return rel, true
		}
	}
	return "", false
}

// underAny reports whether rel is one of prefixes, or below one that ends
// in "/".
func underAny(rel string, prefixes []string) bool {
	for _, p := range prefixes {
		if rel == p || strings.HasSuffix(p, "/") && (strings.HasPrefix(rel, p) || rel == strings.TrimSuffix(p, "/")) {
			return true
		}
	}
	return false
}

// credentialFiles are credentials under a home directory, where the
// sandbox plants honeypots: no install or import reads them.
var credentialFiles = []string{
	".ssh/", ".aws/", ".azure/", ".config/gcloud/", ".kube/", ".docker/config.json",
	".npmrc", ".yarnrc", ".yarnrc.yml", ".pypirc", ".netrc", ".git-credentials", ".config/git/credentials",
	".gnupg/", ".config/gh/", ".config/hub", ".cargo/credentials", ".cargo/credentials.toml", ".gem/credentials",
	".local/share/keyrings/", ".password-store/", ".vault-token", ".terraform.d/credentials.tfrc.json",
	".config/solana/id.json", ".env",
}

// sensitiveHome are private data under a home directory other than
// credential files: browser profiles, wallets, shell history.
var sensitiveHome = []string{
	".mozilla/", ".config/google-chrome/", ".config/chromium/", ".config/BraveSoftware/",
	".config/microsoft-edge/", ".config/opera/", ".config/vivaldi/", "snap/firefox/", "snap/chromium/",
	".bitcoin/", ".electrum/", ".ethereum/", ".litecoin/", ".dogecoin/", ".monero/", ".config/Exodus/",
	".config/atomic/", ".config/Electrum/", ".config/Ledger Live/", ".local/share/io.parity.ethereum/",
	".bash_history", ".zsh_history", ".python_history", ".node_repl_history", ".psql_history", ".mysql_history",
	".config/discord/", ".config/Slack/", ".config/Signal/", ".local/share/TelegramDesktop/",
}

// sensitiveSystem are system files that hold accounts and secrets.
var sensitiveSystem = []string{
	"/etc/passwd", "/etc/shadow", "/etc/gshadow", "/etc/master.passwd", "/etc/sudoers", "/etc/sudoers.d/",
	"/var/run/docker.sock", "/run/docker.sock", "/var/lib/docker/",
}

// persistenceHome are files under a home directory that make code run
// again later: shell start-up files, autostart, user services.
var persistenceHome = []string{
	".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zprofile", ".zshenv",
	".zlogin", ".config/fish/", ".config/autostart/", ".config/systemd/", ".local/share/systemd/",
	".ssh/authorized_keys", ".ssh/rc", ".xinitrc", ".xprofile", ".xsessionrc", ".config/environment.d/",
	"Library/LaunchAgents/",
}

// persistenceSystem are their system-wide counterparts.
var persistenceSystem = []string{
	"/etc/profile", "/etc/profile.d/", "/etc/bash.bashrc", "/etc/zsh/", "/etc/environment",
	"/etc/crontab", "/etc/cron.d/", "/etc/cron.hourly/", "/etc/cron.daily/", "/etc/cron.weekly/", "/etc/cron.monthly/",
	"/var/spool/cron/", "/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/etc/init.d/", "/etc/rc.local",
	"/etc/xdg/autostart/", "/etc/ld.so.preload", "/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/sudoers.d/",
	"/etc/ssh/", "/usr/local/bin/", "/usr/bin/", "/bin/",
}

// fileRules checks one file event.
func fileRules(c *collector, f File) {
	p := path.Clean(f.Path)
	if !path.IsAbs(p) {
		return // relative to a directory the event does not name: the package's own files
	}
	rel, inHome := homeRel(p)
	if f.Read {
		switch {
		case inHome && underAny(rel, credentialFiles), slices.Contains(HoneypotPaths(), p):
			c.add(RuleHoneypotRead, analyze.CatCredentials, finding.SeverityCritical, p, "reads a credential file of the home directory")
		case inHome && underAny(rel, sensitiveHome), underAny(p, sensitiveSystem):
			c.add(RuleSensitiveRead, analyze.CatCredentials, finding.SeverityHigh, p, "reads accounts, browser data, wallets or shell history")
		}
	}
	if f.Write || f.Delete {
		persistent := inHome && underAny(rel, persistenceHome) || underAny(p, persistenceSystem) ||
			strings.Contains(p, "/site-packages/") && !strings.HasPrefix(p, GuestWork+"/") &&
				(strings.HasSuffix(p, ".pth") || strings.HasSuffix(p, "/sitecustomize.py") || strings.HasSuffix(p, "/usercustomize.py"))
		if persistent {
			how := "writes"
			if f.Delete && !f.Write {
				how = "deletes"
			}
			c.add(RulePersistence, analyze.CatPersistence, finding.SeverityHigh, p, how+" a file that runs code later, outside the package")
		}
	}
}

// shells, downloaders and netcats by program name.
var (
	shells      = []string{"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "csh", "tcsh", "pwsh", "powershell", "powershell.exe", "cmd.exe"}
	downloaders = []string{"curl", "wget", "aria2c", "fetch", "lwp-download", "axel", "ftp", "tftp"}
	netcats     = []string{"nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "socat", "telnet"}
)

// commandRules checks one command that the package's code executed.
func commandRules(c *collector, argv []string) {
	prog := path.Base(argv[0])
	args := argv[1:]
	if prog == "busybox" && len(args) > 0 {
		prog, args = path.Base(args[0]), args[1:]
	}
	line := strings.Join(argv, " ")
	switch {
	case slices.Contains(shells, prog):
		c.add(RuleShell, analyze.CatProcess, finding.SeverityHigh, line, "runs a shell")
		if strings.HasPrefix(prog, "pwsh") || strings.HasPrefix(prog, "powershell") {
			if l := strings.ToLower(line); strings.Contains(l, "downloadstring") || strings.Contains(l, "invoke-webrequest") ||
				strings.Contains(l, "iwr ") || strings.Contains(l, "downloadfile") {
				c.add(RuleDownloader, analyze.CatDownloadExecute, finding.SeverityCritical, line, "downloads with PowerShell")
			}
		}
	case slices.Contains(downloaders, prog):
		if hasURL(args) {
			c.add(RuleDownloader, analyze.CatDownloadExecute, finding.SeverityCritical, line, "downloads from the network")
		} else {
			c.add(RuleDownloader, analyze.CatProcess, finding.SeverityHigh, line, "runs a download tool")
		}
	case slices.Contains(netcats, prog):
		sev := finding.SeverityHigh
		for _, a := range args {
			if a == "-e" || a == "-c" || strings.HasPrefix(a, "--exec") || strings.HasPrefix(a, "--sh-exec") ||
				strings.HasPrefix(strings.ToLower(a), "exec:") || strings.HasPrefix(strings.ToLower(a), "system:") {
				sev = finding.SeverityCritical
			}
		}
		c.add(RuleNetcat, analyze.CatReverseShell, sev, line, "runs a raw network tool")
	}
}

// hasURL reports whether a downloader's arguments name something to
// fetch: a URL, or a host name.
func hasURL(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if strings.Contains(a, "://") {
			return true
		}
		host, _, _ := strings.Cut(a, "/")
		host, _, _ = strings.Cut(host, ":")
		if strings.Count(host, ".") >= 1 && !strings.HasPrefix(host, ".") && !strings.HasSuffix(host, ".") && !strings.ContainsAny(host, " =") {
			if _, err := netip.ParseAddr(host); err == nil {
				return true
			}
			if tld := host[strings.LastIndexByte(host, '.')+1:]; len(tld) >= 2 && !strings.ContainsAny(tld, "0123456789") {
				// "example.com/x", not "out.tar.gz"? Both look alike; a
				// file argument next to a URL is caught by the URL.
				if !slices.Contains([]string{"gz", "tgz", "zip", "tar", "json", "txt", "sh", "js", "py", "bin", "exe", "log", "xz", "bz2"}, tld) {
					return true
				}
			}
		}
	}
	return false
}
