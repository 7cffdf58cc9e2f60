package sandbox

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestSpecGolden(t *testing.T) {
	s := &Sandbox{
		rootfs: "/sandbox/rootfs",
		mounts: []ociMount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/usr", Type: "bind", Source: "/usr", Options: []string{"rbind", "ro", "nosuid", "nodev"}},
			{Destination: GuestWork, Type: "bind", Source: "/sandbox/work", Options: []string{"rbind", "rw", "nosuid", "nodev"}},
		},
	}
	sp := s.spec(phaseSpec{
		argv:    []string{"sh", "-c", "true"},
		env:     []string{"PATH=/usr/bin:/bin", "HOME=" + GuestHome},
		cwd:     GuestWork,
		memory:  1 << 30,
		pids:    256,
		cgroups: "sapper-0123456789ab-1",
	})
	dir := t.TempDir()
	if err := writeSpec(dir, sp); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "config.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("config.json (-want +got), go test -update rewrites it:\n%s", diff)
	}

	// Without cgroups: no cgroupsPath and no pids limit, but still the
	// memory (the guest's total memory) and RLIMIT_NPROC.
	sp = s.spec(phaseSpec{argv: []string{"true"}, cwd: GuestWork, memory: 1 << 20, pids: 8})
	if sp.Linux.CgroupsPath != "" || sp.Linux.Resources.Pids != nil || sp.Linux.Resources.Memory.Limit != 1<<20 {
		t.Errorf("without cgroups: %+v", sp.Linux)
	}
	if !slices.Contains(sp.Process.Rlimits, ociRlimit{Type: "RLIMIT_NPROC", Hard: 8, Soft: 8}) {
		t.Errorf("rlimits %+v lack RLIMIT_NPROC 8", sp.Process.Rlimits)
	}
}

func TestBuildRoot(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "runtime")
	if err := os.Mkdir(extra, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Sandbox{rootfs: filepath.Join(dir, "rootfs"), work: filepath.Join(dir, "work"), home: filepath.Join(dir, "home")}
	if err := os.Mkdir(s.rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.buildRoot([]string{extra}); err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(s.rootfs, "etc")
	passwd, err := os.ReadFile(filepath.Join(etc, "passwd"))
	if err != nil || !strings.Contains(string(passwd), guestUser+":x:1000:1000:") {
		t.Errorf("guest /etc/passwd: %q, %v", passwd, err)
	}
	resolv, _ := os.ReadFile(filepath.Join(etc, "resolv.conf"))
	if !strings.Contains(string(resolv), "nameserver 127.0.0.1\n") {
		t.Errorf("guest /etc/resolv.conf: %q", resolv)
	}
	// Nothing of the host's secrets.
	for _, name := range []string{"shadow", "gshadow", "ssh", "sudoers", "ssl/private"} {
		if _, err := os.Lstat(filepath.Join(etc, name)); err == nil {
			t.Errorf("guest /etc/%s exists", name)
		}
	}
	// The host's program directories: symlinks mirrored, directories
	// mounted read-only.
	byDest := map[string]ociMount{}
	for _, m := range s.mounts {
		byDest[m.Destination] = m
	}
	for _, d := range hostRootDirs {
		fi, err := os.Lstat("/" + d)
		if err != nil {
			continue
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			want, _ := os.Readlink("/" + d)
			if got, err := os.Readlink(filepath.Join(s.rootfs, d)); err != nil || got != want {
				t.Errorf("guest /%s -> %q, %v; want -> %q", d, got, err, want)
			}
			continue
		}
		if m, ok := byDest["/"+d]; !ok || !slices.Contains(m.Options, "ro") {
			t.Errorf("host /%s: mount %+v, want read-only", d, m)
		}
	}
	for dest, opt := range map[string]string{"/usr": "ro", extra: "ro", GuestWork: "rw", GuestHome: "rw"} {
		m, ok := byDest[dest]
		if !ok || !slices.Contains(m.Options, opt) {
			t.Errorf("mount %s: %+v, want %s", dest, m, opt)
		}
	}
	for _, m := range s.mounts {
		if m.Destination == "/etc" || m.Source == "/etc" || m.Source == "/root" || m.Source == "/home" || m.Source == "/" {
			t.Errorf("mounts the host's %s", m.Source)
		}
	}
}

func TestContainsSecrets(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/etc", true},
		{"/etc/ssl", true},
		{"/root", true},
		{"/root/.ssh", true},
		{"/root/.aws/x", true},
		{"/root/.local/share", true},
		{"/root/.pyenv/versions/3.11.7", false},
		{"/root/.nvm/versions/node/v20.0.0", false},
		{"/home", true},
		{"/home/alice", true},
		{"/home/alice/.gnupg", true},
		{"/home/alice/.rbenv/versions/3.3.0", false},
		{"/opt", true},
		{"/opt/node", false},
		{"/var", true},
		{"/var/lib/gems/3.1.0", false},
		{"/proc/self", true},
		{"/usr/local/go", false},
	}
	for _, tt := range tests {
		if got := containsSecrets(tt.path, "/root"); got != tt.want {
			t.Errorf("containsSecrets(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestCheckMounts(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink("/etc", link); err != nil {
		t.Fatal(err)
	}
	got, err := checkMounts([]string{dir, "/usr/lib", dir})
	if err != nil || !slices.Equal(got, []string{dir}) {
		t.Errorf("checkMounts: %q, %v; want [%s]", got, err, dir)
	}
	for _, bad := range []string{"/", "/etc", "/root", "relative", link, filepath.Join(dir, "missing")} {
		if got, err := checkMounts([]string{bad}); err == nil {
			t.Errorf("checkMounts(%q) = %q, want an error", bad, got)
		}
	}
}

func TestRuntimeMounts(t *testing.T) {
	ms := RuntimeMounts()
	if _, err := checkMounts(ms); err != nil {
		t.Errorf("RuntimeMounts() = %q: %v", ms, err)
	}
	p := guestPATH(ms)
	if !strings.HasSuffix(p, strings.Join(standardPath, ":")) {
		t.Errorf("guest PATH %q", p)
	}
	t.Logf("runtime mounts %q, guest PATH %s", ms, p)
}

func TestHoneypots(t *testing.T) {
	home := t.TempDir()
	if err := writeHoneypots(home); err != nil {
		t.Fatal(err)
	}
	paths := HoneypotPaths()
	for _, want := range []string{"/.ssh/id_rsa", "/.aws/credentials", "/.npmrc", "/.pypirc", "/.env"} {
		if !slices.Contains(paths, GuestHome+want) {
			t.Errorf("HoneypotPaths() lacks %s", GuestHome+want)
		}
	}
	for _, p := range paths {
		data, err := os.ReadFile(filepath.Join(home, strings.TrimPrefix(p, GuestHome)))
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.Contains(bytes.ToLower(data), []byte("honeypot")) {
			t.Errorf("%s does not say it is a honeypot: %q", p, data)
		}
	}
	for _, kv := range HoneypotEnv() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" || !strings.Contains(strings.ToLower(v), "honeypot") && !strings.HasPrefix(v, GuestHome) {
			t.Errorf("HoneypotEnv: %q", kv)
		}
	}
	b, _ := json.Marshal(HoneypotEnv())
	if !bytes.Contains(b, []byte("AWS_ACCESS_KEY_ID=AKIA")) {
		t.Errorf("HoneypotEnv() lacks an AWS key: %s", b)
	}
}
