package sandbox

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// The OCI runtime spec fields the sandbox sets, as runsc reads them
// (https://github.com/opencontainers/runtime-spec/blob/main/config.md).
type ociSpec struct {
	Version  string     `json:"ociVersion"`
	Process  ociProcess `json:"process"`
	Root     ociRoot    `json:"root"`
	Hostname string     `json:"hostname"`
	Mounts   []ociMount `json:"mounts"`
	Linux    ociLinux   `json:"linux"`
}

// ociProcess is the spec's "process".
type ociProcess struct {
	Terminal        bool            `json:"terminal"`
	User            ociUser         `json:"user"`
	Args            []string        `json:"args"`
	Env             []string        `json:"env"`
	Cwd             string          `json:"cwd"`
	Capabilities    ociCapabilities `json:"capabilities"`
	Rlimits         []ociRlimit     `json:"rlimits"`
	NoNewPrivileges bool            `json:"noNewPrivileges"`
}

// ociUser is the spec's "process.user".
type ociUser struct {
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
}

// ociCapabilities is the spec's "process.capabilities": all empty.
type ociCapabilities struct {
	Bounding    []string `json:"bounding"`
	Effective   []string `json:"effective"`
	Inheritable []string `json:"inheritable"`
	Permitted   []string `json:"permitted"`
	Ambient     []string `json:"ambient"`
}

// ociRlimit is one of the spec's "process.rlimits".
type ociRlimit struct {
	Type string `json:"type"`
	Hard uint64 `json:"hard"`
	Soft uint64 `json:"soft"`
}

// ociRoot is the spec's "root".
type ociRoot struct {
	Path     string `json:"path"`
	Readonly bool   `json:"readonly"`
}

// ociMount is one of the spec's "mounts".
type ociMount struct {
	Destination string   `json:"destination"`
	Type        string   `json:"type"`
	Source      string   `json:"source"`
	Options     []string `json:"options,omitempty"`
}

// ociLinux is the spec's "linux".
type ociLinux struct {
	Namespaces  []ociNamespace `json:"namespaces"`
	Resources   *ociResources  `json:"resources,omitempty"`
	CgroupsPath string         `json:"cgroupsPath,omitempty"`
}

// ociNamespace is one of the spec's "linux.namespaces".
type ociNamespace struct {
	Type string `json:"type"`
}

// ociResources is the spec's "linux.resources".
type ociResources struct {
	Memory *ociMemory `json:"memory,omitempty"`
	Pids   *ociPids   `json:"pids,omitempty"`
}

type ociMemory struct {
	Limit int64 `json:"limit"`
}

type ociPids struct {
	Limit int64 `json:"limit"`
}

// The guest user: not root, owning the work directory and the home.
const (
	guestUID  = 1000
	guestGID  = 1000
	guestUser = "sandbox"
)

// maxOpenFiles is the guest's RLIMIT_NOFILE.
const maxOpenFiles = 4096

// hostPIDsPerGuest is how many host tasks one guest process costs on the
// ptrace platform (a stub process and its threads): the host pids cgroup
// allows PIDs times this, plus the sandbox's own threads.
const (
	hostPIDsPerGuest = 16
	hostPIDsBase     = 128
)

// phaseSpec is what varies between phases.
type phaseSpec struct {
	argv    []string
	env     []string
	cwd     string
	memory  int64
	pids    int
	cgroups string // cgroupsPath, "" to make none
}

// spec returns the OCI config of one phase's container.
func (s *Sandbox) spec(p phaseSpec) ociSpec {
	sp := ociSpec{
		Version: "1.0.2",
		Process: ociProcess{
			User: ociUser{UID: guestUID, GID: guestGID},
			Args: p.argv,
			Env:  p.env,
			Cwd:  p.cwd,
			Capabilities: ociCapabilities{
				Bounding: []string{}, Effective: []string{}, Inheritable: []string{}, Permitted: []string{}, Ambient: []string{},
			},
			Rlimits: []ociRlimit{
				{Type: "RLIMIT_NOFILE", Hard: maxOpenFiles, Soft: maxOpenFiles},
				{Type: "RLIMIT_NPROC", Hard: uint64(p.pids), Soft: uint64(p.pids)},
				{Type: "RLIMIT_CORE", Hard: 0, Soft: 0},
			},
			NoNewPrivileges: true,
		},
		Root:     ociRoot{Path: s.rootfs, Readonly: true},
		Hostname: "sandbox",
		Mounts:   s.mounts,
		Linux: ociLinux{
			Namespaces: []ociNamespace{{"pid"}, {"network"}, {"ipc"}, {"uts"}, {"mount"}},
			// The memory limit also sets the guest's total memory.
			Resources: &ociResources{Memory: &ociMemory{Limit: p.memory}},
		},
	}
	if p.cgroups != "" {
		sp.Linux.CgroupsPath = p.cgroups
		sp.Linux.Resources.Pids = &ociPids{Limit: int64(p.pids*hostPIDsPerGuest + hostPIDsBase)}
	}
	return sp
}

// writeSpec writes sp as dir/config.json.
func writeSpec(dir string, sp ociSpec) error {
	b, err := json.MarshalIndent(sp, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), append(b, '\n'), 0o644)
}

// Guest /etc: written by the sandbox, nothing of the host's but what
// programs need to start. The host's /etc is never mounted: it holds
// secrets (shadow, ssh host keys, TLS private keys, tokens in configs).
var guestEtc = map[string]string{
	"passwd":        "root:x:0:0:root:/root:/bin/sh\n" + guestUser + ":x:1000:1000:sandbox:" + GuestHome + ":/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	"group":         "root:x:0:\n" + guestUser + ":x:1000:\nnogroup:x:65534:\n",
	"hostname":      "sandbox\n",
	"hosts":         "127.0.0.1\tlocalhost sandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	"resolv.conf":   "# DNS goes nowhere: queries show as sockets to 127.0.0.1:53 and fail.\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
	"nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n",
}

// hostEtc are host /etc entries copied (or, for symlinks, mirrored) into
// the guest: loader cache, time zone, OS release, protocol tables, the
// OpenSSL config. None holds secrets.
var hostEtc = []string{
	"ld.so.cache", "localtime", "timezone", "os-release", "debian_version", "lsb-release",
	"protocols", "services", "ssl/openssl.cnf", "mime.types",
}

// maxEtcCopy bounds a host /etc file copied into the guest.
const maxEtcCopy = 4 << 20

// hostRootDirs are the top-level host directories of programs: each is
// mirrored as a symlink where the host's is one (merged /usr), else
// mounted read-only.
var hostRootDirs = []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"}

// buildRoot makes the guest's read-only root under s.rootfs and the
// container's mounts.
func (s *Sandbox) buildRoot(extra []string) error {
	root := s.rootfs
	for _, d := range []string{"etc", "tmp", "proc", "dev", "sys", "work", "home/" + guestUser, "root", "var/tmp", "run"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return err
	}
	mounts := []ociMount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs"},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "nodev", "mode=1777"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}},
	}
	ro := func(p string) ociMount {
		return ociMount{Destination: p, Type: "bind", Source: p, Options: []string{"rbind", "ro", "nosuid", "nodev"}}
	}
	for _, d := range hostRootDirs {
		host := "/" + d
		fi, err := os.Lstat(host)
		switch {
		case err != nil:
			continue
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(host)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, filepath.Join(root, d)); err != nil {
				return err
			}
		case fi.IsDir():
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				return err
			}
			mounts = append(mounts, ro(host))
		}
	}
	if err := s.buildEtc(); err != nil {
		return err
	}
	if fi, err := os.Stat("/etc/ssl/certs"); err == nil && fi.IsDir() {
		if err := os.MkdirAll(filepath.Join(root, "etc/ssl/certs"), 0o755); err != nil {
			return err
		}
		mounts = append(mounts, ro("/etc/ssl/certs"))
	}
	for _, m := range extra {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(m)), 0o755); err != nil {
			return err
		}
		mounts = append(mounts, ro(m))
	}
	mounts = append(mounts,
		ociMount{Destination: GuestWork, Type: "bind", Source: s.work, Options: []string{"rbind", "rw", "nosuid", "nodev"}},
		ociMount{Destination: GuestHome, Type: "bind", Source: s.home, Options: []string{"rbind", "rw", "nosuid", "nodev"}},
	)
	s.mounts = mounts
	return nil
}

// buildEtc writes the guest's /etc.
func (s *Sandbox) buildEtc() error {
	etc := filepath.Join(s.rootfs, "etc")
	for name, data := range guestEtc {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	for _, name := range hostEtc {
		if err := mirrorEtc("/etc/"+name, filepath.Join(etc, filepath.FromSlash(name))); err != nil {
			return err
		}
	}
	// Debian's alternatives: /usr/bin/awk -> /etc/alternatives/awk -> ...
	ents, err := os.ReadDir("/etc/alternatives")
	if err != nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(etc, "alternatives"), 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		if e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		if err := mirrorEtc("/etc/alternatives/"+e.Name(), filepath.Join(etc, "alternatives", e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// mirrorEtc copies host file src to dst, or recreates it if a symlink;
// a missing, irregular or large src is skipped.
func mirrorEtc(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return nil
		}
		return os.Symlink(target, dst)
	case fi.Mode().IsRegular() && fi.Size() <= maxEtcCopy && fi.Mode().Perm()&0o004 != 0:
		data, err := os.ReadFile(src)
		if err != nil {
			return nil
		}
		return os.WriteFile(dst, data, 0o644)
	}
	return nil
}

// mountedTrees are guest paths already mounted or made by the sandbox: an
// extra mount under one is redundant or would hide it.
var mountedTrees = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc", "/dev", "/sys", GuestWork, GuestHome}

// secretTrees are host directories whose contents, or parents, never go
// into the guest.
var secretTrees = []string{"/etc", "/root", "/home", "/var", "/run", "/proc", "/sys", "/dev", "/tmp", "/boot", "/srv", "/mnt", "/media", "/opt"}

// checkMounts validates extra mounts: absolute, existing directories, not
// "/" nor a directory that holds or contains host secrets. Mounts under a
// tree the guest already has are dropped.
func checkMounts(ms []string) ([]string, error) {
	home, _ := os.UserHomeDir()
	var out []string
	for _, m := range ms {
		if !path.IsAbs(m) {
			return nil, fmt.Errorf("mount %q: not an absolute path", m)
		}
		m = path.Clean(m)
		real, err := filepath.EvalSymlinks(m)
		if err != nil {
			return nil, fmt.Errorf("mount %s: %w", m, err)
		}
		if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("mount %s: not a directory", m)
		}
		for _, p := range []string{m, real} {
			if p == "/" || containsSecrets(p, home) {
				return nil, fmt.Errorf("mount %s: would expose host secrets; mount the runtime's own directory", m)
			}
		}
		if slices.ContainsFunc(mountedTrees, func(t string) bool { return within(m, t) }) || slices.Contains(out, m) {
			continue
		}
		out = append(out, m)
	}
	return out, nil
}

// containsSecrets reports whether p is a secret tree or a parent of one,
// is inside /etc, /proc, /sys or /dev, or is in a home directory (the
// user's, /root/..., /home/NAME/...) outside the trees where version
// managers keep runtimes (~/.pyenv, ~/.nvm, ...): never the credentials
// beside them.
func containsSecrets(p, home string) bool {
	trees := secretTrees
	if home != "" && home != "/" {
		trees = append(slices.Clone(trees), path.Clean(home))
	}
	for _, t := range trees {
		if within(t, p) {
			return true
		}
	}
	for _, t := range []string{"/proc", "/sys", "/dev", "/etc"} {
		if within(p, t) {
			return true
		}
	}
	var rel string
	switch {
	case home != "" && home != "/" && within(p, path.Clean(home)):
		rel = strings.TrimPrefix(p, path.Clean(home)+"/")
	case within(p, "/root"):
		rel = strings.TrimPrefix(p, "/root/")
	case within(p, "/home"):
		_, rel, _ = strings.Cut(strings.TrimPrefix(p, "/home/"), "/")
	default:
		return false
	}
	first, _, _ := strings.Cut(rel, "/")
	return !slices.Contains(runtimeHomeDirs, first)
}

// runtimeHomeDirs are the directories under a home where version
// managers keep language runtimes.
// (Not ~/.local, ~/.cargo or ~/.gem: they hold keyrings and registry
// credentials.)
var runtimeHomeDirs = []string{".pyenv", ".nvm", ".rbenv", ".rvm", ".asdf", ".volta", ".fnm", ".rustup", "go", "sdk", ".goenv", ".nodenv", ".rubies"}

// within reports whether p is dir or below it.
func within(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

// runtimes are the host's language runtimes: directories to mount and
// their bin directories for the guest's PATH.
type runtimes struct {
	mounts []string
	bins   []string
}

// RuntimeMounts returns the host directories, outside /usr, /lib* and
// /bin, that the language runtimes node, python3, ruby and go need in the
// guest, such as a pyenv or nvm tree. It resolves the runtimes on the
// host PATH and asks python3, ruby and go for their prefixes by running
// the host's own interpreters (never package code). The result is cached.
func RuntimeMounts() []string { return slices.Clone(hostRuntimes().mounts) }

var hostRuntimes = sync.OnceValue(findRuntimes)

// runtimeProbeTimeout bounds one query of a host runtime.
const runtimeProbeTimeout = 10 * time.Second

func findRuntimes() runtimes {
	var rs runtimes
	add := func(dir string) {
		if dir == "" || !path.IsAbs(dir) {
			return
		}
		dir = path.Clean(dir)
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		} else {
			return
		}
		if ms, err := checkMounts([]string{dir}); err == nil && len(ms) == 1 && !slices.Contains(rs.mounts, dir) {
			rs.mounts = append(rs.mounts, dir)
		}
		if bin := path.Join(dir, "bin"); isDir(bin) && !slices.Contains(rs.bins, bin) && !slices.Contains(standardPath, bin) {
			rs.bins = append(rs.bins, bin)
		}
	}
	if p, err := exec.LookPath("node"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			add(path.Dir(path.Dir(real)))
		}
	}
	if p, err := exec.LookPath("python3"); err == nil {
		// -I: isolated, no user site, no PYTHON* variables, no cwd.
		for _, d := range queryRuntime(p, "-I", "-c", "import sys; print(sys.prefix); print(sys.base_prefix)") {
			add(d)
		}
	}
	if p, err := exec.LookPath("ruby"); err == nil {
		for _, d := range queryRuntime(p, "--disable=gems", "-rrbconfig", "-e", `puts RbConfig::CONFIG["prefix"]`) {
			add(d)
		}
		for _, d := range queryRuntime(p, "-e", "puts Gem.default_dir") {
			if isDir(d) {
				add(d)
			}
		}
	}
	if p, err := exec.LookPath("go"); err == nil {
		for _, d := range queryRuntime(p, "env", "GOROOT") {
			add(d)
		}
	}
	return rs
}

// queryRuntime runs a host runtime to ask where it lives and returns the
// lines it printed, from "/" with a bounded time and output.
func queryRuntime(prog string, args ...string) []string {
	cmd := exec.Command(prog, args...)
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=")
	out := &boundedBuffer{max: 64 << 10}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		return nil
	}
	t := time.AfterFunc(runtimeProbeTimeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	t.Stop()
	if err != nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// standardPath is the guest PATH after the runtimes' bin directories.
var standardPath = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// guestPATH returns the guest's PATH: the bin directories of the extra
// mounts and of the host runtimes, then the standard ones.
func guestPATH(mounts []string) string {
	var dirs []string
	for _, m := range mounts {
		if bin := path.Join(m, "bin"); isDir(bin) {
			dirs = append(dirs, bin)
		}
	}
	for _, b := range hostRuntimes().bins {
		if !slices.Contains(dirs, b) && (within(b, "/usr") || slices.ContainsFunc(mounts, func(m string) bool { return within(b, m) })) {
			dirs = append(dirs, b)
		}
	}
	return strings.Join(append(dirs, standardPath...), ":")
}
