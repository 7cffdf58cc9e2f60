package sandbox

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// requireRunsc skips a test that needs runsc and root, with how to get
// them; under CI (the CI variable set) it fails instead.
func requireRunsc(t testing.TB) {
	t.Helper()
	err := Available("")
	if err == nil && os.Geteuid() != 0 {
		err = errNotRoot
	}
	if err == nil {
		return
	}
	if os.Getenv("SAPPER_REQUIRE_RUNSC") == "1" { // set by .ci/run where gVisor works
		t.Fatalf("CI needs runsc and root: %v", err)
	}
	t.Skipf("needs gVisor's runsc, as root (Debian: apt-get install runsc): %v", err)
}

func testSandbox(t testing.TB, opt Options) *Sandbox {
	t.Helper()
	requireRunsc(t)
	sb, err := New(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(sb.dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("sandbox directory %s left: %v", sb.dir, err)
		}
		for _, pattern := range []string{"/sys/fs/cgroup/*/sapper-" + sb.id + "-*", "/sys/fs/cgroup/*/*/*/sapper-" + sb.id + "-*"} {
			if left, _ := filepath.Glob(pattern); len(left) > 0 {
				t.Errorf("cgroups left: %q", left)
			}
		}
	})
	return sb
}

func runPhase(t testing.TB, sb *Sandbox, argv ...string) Phase {
	t.Helper()
	ph, err := sb.Run(context.Background(), "test", argv, "")
	if err != nil {
		t.Fatal(err)
	}
	if !containersGone(t, sb) {
		t.Errorf("container left after phase %q", argv)
	}
	return ph
}

// containersGone reports whether runsc lists no container of sb.
func containersGone(t testing.TB, sb *Sandbox) bool {
	t.Helper()
	out, err := sb.control("list", "-quiet")
	if err != nil {
		t.Fatalf("runsc list: %v: %s", err, out)
	}
	return strings.TrimSpace(out) == ""
}

func phaseHasFile(ph Phase, p string, read, write bool) bool {
	return slices.ContainsFunc(ph.Files, func(f File) bool {
		return f.Path == p && (!read || f.Read) && (!write || f.Write) && !f.Denied
	})
}

func phaseHasCommand(ph Phase, argv ...string) bool {
	return slices.ContainsFunc(ph.Commands, func(c Command) bool { return slices.Equal(c.Argv, argv) })
}

func TestRunEvents(t *testing.T) {
	sb := testSandbox(t, Options{})
	script := "cat ~/.ssh/id_rsa >/dev/null; sh -c true; bash -c 'exec 3<>/dev/tcp/127.0.0.1/9' 2>/dev/null; echo done"
	ph := runPhase(t, sb, "sh", "-c", script)
	if ph.ExitCode != 0 || ph.TimedOut || strings.TrimSpace(ph.Output) != "done" {
		t.Errorf("exit %d, timed out %v, output %q", ph.ExitCode, ph.TimedOut, ph.Output)
	}
	if !phaseHasFile(ph, GuestHome+"/.ssh/id_rsa", true, false) {
		t.Errorf("honeypot read not recorded: %+v", withoutRuntime(ph.Files))
	}
	if !phaseHasCommand(ph, "sh", "-c", "true") {
		t.Errorf("sh -c true not recorded: %+v", ph.Commands)
	}
	if !slices.Contains(ph.Sockets, Socket{Address: "127.0.0.1", Port: 9, Protocol: "tcp"}) {
		t.Errorf("socket to 127.0.0.1:9 not recorded: %+v", ph.Sockets)
	}

	plain := runPhase(t, sb, "true")
	if plain.ExitCode != 0 || len(plain.Commands) != 0 || len(plain.Sockets) != 0 || len(plain.DNS) != 0 || len(plain.Lingering) != 0 {
		t.Errorf("true: %+v", plain)
	}
	for _, f := range plain.Files {
		if strings.HasPrefix(f.Path, GuestHome) || f.Write || f.Delete {
			t.Errorf("true touched %+v", f)
		}
	}

	// Phases share the work directory: what one writes, the next reads.
	if err := os.WriteFile(filepath.Join(sb.WorkDir(), "pkg.txt"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runPhase(t, sb, "sh", "-c", "echo from install >> pkg.txt && mkdir -p node_modules && echo x > node_modules/y")
	ph = runPhase(t, sb, "cat", "pkg.txt", "node_modules/y")
	if ph.Output != "from the host\nfrom install\nx\n" {
		t.Errorf("second phase read %q", ph.Output)
	}
	if ph := runPhase(t, sb, "sh", "-c", "exit 7"); ph.ExitCode != 7 {
		t.Errorf("exit code %d, want 7", ph.ExitCode)
	}

	// A link made in one phase and read through in the next.
	runPhase(t, sb, "ln", "-s", GuestHome, "h")
	ph = runPhase(t, sb, "cat", "h/.aws/credentials")
	if !phaseHasFile(ph, GuestHome+"/.aws/credentials", true, false) {
		t.Errorf("read through a link not recorded: %+v", withoutRuntime(ph.Files))
	}
}

func TestRunDNS(t *testing.T) {
	sb := testSandbox(t, Options{})
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3 to resolve names with")
	}
	ph := runPhase(t, sb, "python3", "-c", `
import socket
try:
    socket.getaddrinfo("lookup.invalid", 80)
except OSError:
    pass
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05query\x07invalid\x00\x00\x01\x00\x01"
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendmsg([q], [], 0, ("127.0.0.1", 53))
`)
	for _, want := range []string{"query.invalid", "127.0.0.1:53"} {
		if !slices.Contains(ph.DNS, want) {
			t.Errorf("DNS %q lacks %q", ph.DNS, want)
		}
	}
	if !phaseHasFile(ph, "/etc/resolv.conf", true, false) {
		t.Errorf("/etc/resolv.conf read not recorded")
	}
}

func TestRunTimeout(t *testing.T) {
	sb := testSandbox(t, Options{Timeout: 2 * time.Second})
	start := time.Now()
	ph := runPhase(t, sb, "sh", "-c", "sleep 30 & sleep 30")
	if !ph.TimedOut {
		t.Errorf("not timed out: %+v", ph)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v to time out at 2s", d)
	}
	if len(ph.Lingering) != 0 {
		t.Errorf("a killed phase reports lingering %+v", ph.Lingering)
	}
	if !phaseHasCommand(ph, "sleep", "30") {
		t.Errorf("events of the killed phase lost: %+v", ph.Commands)
	}
	// The sandbox still runs phases.
	if ph := runPhase(t, sb, "true"); ph.TimedOut || ph.ExitCode != 0 {
		t.Errorf("after a timeout: %+v", ph)
	}
}

func TestRunCancel(t *testing.T) {
	sb := testSandbox(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	_, err := sb.Run(ctx, "test", []string{"sleep", "30"}, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if !containersGone(t, sb) {
		t.Error("container left after cancel")
	}
}

func TestRunLingering(t *testing.T) {
	sb := testSandbox(t, Options{})
	tests := []struct {
		name   string
		script string
		want   bool
	}{
		{"background", "sleep 30 & echo started", true},
		{"nohup", "nohup sleep 30 >/dev/null 2>&1 & sleep 0.2", true},
		{"setsid", "setsid sleep 30 >/dev/null 2>&1 < /dev/null & sleep 0.2", true},
		{"double-fork", "(sleep 30 &) ; sleep 0.2", true},
		{"waited", "sleep 0.1 & wait", false},
		{"killed", "sleep 30 & kill $!; wait", false},
		{"foreground", "sh -c 'sleep 0.1'; true", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ph := runPhase(t, sb, "sh", "-c", tt.script)
			if got := len(ph.Lingering) > 0; got != tt.want {
				t.Errorf("lingering %+v, want some: %v", ph.Lingering, tt.want)
			}
			if tt.want && tt.name != "background" && !slices.ContainsFunc(ph.Lingering, func(c Command) bool { return slices.Equal(c.Argv, []string{"sleep", "30"}) }) {
				t.Errorf("lingering %+v lacks sleep 30", ph.Lingering)
			}
		})
	}
}

func TestRunIsolation(t *testing.T) {
	t.Setenv("SAPPER_HOST_SECRET", "host-secret-value")
	sb := testSandbox(t, Options{})
	// The host's secrets: root's home, the host's /etc/shadow, the
	// caller's environment.
	ph := runPhase(t, sb, "sh", "-c", `
for f in /root/.ssh /root/.bash_history /etc/shadow /etc/ssh /etc/ssl/private; do
	if ls "$f" >/dev/null 2>&1; then echo "visible $f"; fi
done
env | grep -q SAPPER_HOST_SECRET && echo "visible env"
id -u
cat /etc/hostname`)
	if ph.Output != "1000\nsandbox\n" {
		t.Errorf("guest saw the host (want only uid 1000 and hostname sandbox):\n%s", ph.Output)
	}
	// Read-only but for /work, the home and /tmp.
	ph = runPhase(t, sb, "sh", "-c", `
for d in / /usr /usr/local /etc /bin /lib /root /sys /proc/sys; do
	if (echo x > "$d/sapper-probe") 2>/dev/null; then echo "wrote $d"; fi
done
for d in /work /home/sandbox /tmp; do
	(echo x > "$d/sapper-probe") 2>/dev/null || echo "cannot write $d"
done`)
	if ph.Output != "" {
		t.Errorf("writes outside /work, the home and /tmp:\n%s", ph.Output)
	}
	if _, err := os.Stat(filepath.Join(sb.WorkDir(), "sapper-probe")); err != nil {
		t.Errorf("write to /work did not reach the host: %v", err)
	}
	if _, err := os.Stat("/usr/sapper-probe"); err == nil {
		t.Errorf("the guest wrote the host's /usr")
	}
	// No network: only the loopback.
	ph = runPhase(t, sb, "sh", "-c", "ls /sys/class/net 2>/dev/null || cat /proc/net/dev")
	if strings.Contains(ph.Output, "eth") {
		t.Errorf("guest has a network interface:\n%s", ph.Output)
	}
}

func TestRunLimits(t *testing.T) {
	sb := testSandbox(t, Options{PIDs: 16, Memory: 256 << 20})
	ph := runPhase(t, sb, "sh", "-c", "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo forked $i")
	if strings.Contains(ph.Output, "forked 40") && ph.ExitCode == 0 {
		t.Errorf("40 processes under PIDs 16: %+v", ph)
	}
	t.Logf("40 processes under PIDs 16: exit %d, %q", ph.ExitCode, tail(ph.Output, 200))
	if _, err := exec.LookPath("python3"); err == nil && sb.rt.cgroups {
		ph = runPhase(t, sb, "python3", "-c", "b = bytearray(512 << 20); print(len(b))")
		if ph.ExitCode == 0 {
			t.Errorf("512 MiB under Memory 256 MiB: %+v", ph)
		}
		t.Logf("512 MiB under Memory 256 MiB: exit %d, %q", ph.ExitCode, tail(ph.Output, 200))
	}
}

func TestRunErrors(t *testing.T) {
	sb := testSandbox(t, Options{})
	_, err := sb.Run(context.Background(), "test", []string{"/nonexistent/program"}, "")
	if err == nil || !strings.Contains(err.Error(), "did not start") || !strings.Contains(err.Error(), "nonexistent") {
		t.Errorf("Run(missing program) = %v", err)
	}
	if _, err := sb.Run(context.Background(), "test", nil, ""); err == nil {
		t.Error("Run(no argv) succeeded")
	}
	if !containersGone(t, sb) {
		t.Error("container left after a failed start")
	}
	_, err = New(context.Background(), Options{Runsc: "/nonexistent/runsc"})
	if !errors.Is(err, ErrNoRunsc) || !strings.Contains(err.Error(), "apt-get install runsc") {
		t.Errorf("New without runsc = %v, want ErrNoRunsc", err)
	}
	if err := Available("/nonexistent/runsc"); !errors.Is(err, ErrNoRunsc) {
		t.Errorf("Available = %v", err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Run(context.Background(), "test", []string{"true"}, ""); err == nil {
		t.Error("Run after Close succeeded")
	}
}

func TestRunOutputBounded(t *testing.T) {
	sb := testSandbox(t, Options{})
	ph := runPhase(t, sb, "sh", "-c", "yes | head -c 1000000")
	if len(ph.Output) > maxOutput+100 || !strings.HasSuffix(ph.Output, "[output truncated]") {
		t.Errorf("output of %d bytes, ends %q", len(ph.Output), ph.Output[max(0, len(ph.Output)-40):])
	}
}

// TestPhaseStartTime measures a trivial phase: sandbox start, true,
// teardown. The budget for a small npm package's install and import is
// 5 s with both phases' starts.
func TestPhaseStartTime(t *testing.T) {
	sb := testSandbox(t, Options{})
	var total time.Duration
	const n = 5
	for range n {
		start := time.Now()
		runPhase(t, sb, "true")
		total += time.Since(start)
	}
	avg := total / n
	t.Logf("trivial phase (start, true, teardown): %v on average over %d, platform %s", avg, n, sb.rt.platform)
	if avg > 2*time.Second {
		t.Errorf("a trivial phase takes %v", avg)
	}
}

func BenchmarkPhaseTrue(b *testing.B) {
	sb := testSandbox(b, Options{})
	for b.Loop() {
		if _, err := sb.Run(context.Background(), "bench", []string{"true"}, ""); err != nil {
			b.Fatal(err)
		}
	}
}
