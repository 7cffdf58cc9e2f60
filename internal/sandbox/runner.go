package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults for the zero values of Options.
const (
	defaultMemory  = 1 << 30
	defaultPIDs    = 256
	defaultTimeout = 60 * time.Second
)

// Bounds on runsc's side of a phase.
const (
	maxOutput         = 64 << 10         // bytes of a phase's stdout and stderr kept
	maxErrorOutput    = 2 << 10          // bytes of runsc's output in an error
	killWait          = 5 * time.Second  // for runsc run to return once its container is killed
	controlTimeout    = 30 * time.Second // one runsc kill, delete, list or probe
	traceDrainTimeout = 10 * time.Second // for the trace reader to finish after teardown
)

// hostPATH is the environment runsc itself runs with: nothing of the
// caller's.
const hostPATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// tracedSyscalls are the syscalls given to --strace-syscalls: what the
// tracer records and nothing more, which keeps the log small. Every
// runsc knows these; tracedOptional are added when runsc lists them (an
// unknown name stops the sandbox from starting).
var (
	tracedSyscalls = []string{
		"open", "openat", "creat", "truncate", "unlink", "unlinkat", "rmdir",
		"rename", "renameat", "renameat2", "mkdir", "mkdirat", "symlink", "symlinkat", "link", "linkat",
		"chdir", "fchdir", "execve", "execveat",
		"clone", "clone3", "fork", "vfork", "exit_group", "wait4", "waitid",
		"socket", "connect", "bind", "sendto", "sendmsg", "sendmmsg", "kill",
	}
	tracedOptional = []string{"openat2"}
)

// runscInfo is an installed runsc and what it supports here.
type runscInfo struct {
	path     string
	platform string // ptrace or systrap
	syscalls string // the --strace-syscalls value
	cgroups  bool   // runsc can make the sandbox's cgroups
}

// errNotRoot explains that runsc needs root.
var errNotRoot = errors.New("the sandbox needs root: runsc (gVisor) starts its containers as root; run sapper as root (or under sudo) for dynamic analysis")

func available(runsc string) error {
	_, err := lookRunsc(runsc)
	return err
}

func lookRunsc(runsc string) (string, error) {
	if runsc == "" {
		runsc = "runsc"
	}
	p, err := exec.LookPath(runsc)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoRunsc, err)
	}
	return p, nil
}

var (
	probeMu sync.Mutex
	probed  = map[string]runscInfo{} // by path and requested platform
)

// probe finds out, once per runsc and platform, what runsc supports:
// systrap where it is listed and starts, else ptrace; the optional
// syscalls it can trace; whether it can make cgroups.
func probe(ctx context.Context, runsc, platform string) (runscInfo, error) {
	probeMu.Lock()
	defer probeMu.Unlock()
	key := runsc + "\x00" + platform
	if rt, ok := probed[key]; ok {
		return rt, nil
	}
	rt := runscInfo{path: runsc, platform: platform, cgroups: cgroupsUsable()}
	if _, err := runscCmd(ctx, runsc, "--version"); err != nil {
		return runscInfo{}, fmt.Errorf("run %s --version: %w", runsc, err)
	}
	if rt.platform == "" {
		rt.platform = "ptrace"
		if out, err := runscCmd(ctx, runsc, "help", "platforms"); err == nil && slices.Contains(strings.Fields(out), "systrap") && systrapWorks(ctx, runsc) {
			rt.platform = "systrap"
		}
	}
	names := slices.Clone(tracedSyscalls)
	if out, err := runscCmd(ctx, runsc, "help", "syscalls"); err == nil {
		words := strings.Fields(out)
		for _, s := range tracedOptional {
			if slices.Contains(words, s) {
				names = append(names, s)
			}
		}
	}
	rt.syscalls = strings.Join(names, ",")
	probed[key] = rt
	return rt, nil
}

// noCgroups notes for later sandboxes that runsc cannot make cgroups.
func noCgroups(runsc string) {
	probeMu.Lock()
	defer probeMu.Unlock()
	for k, rt := range probed {
		if rt.path == runsc {
			rt.cgroups = false
			probed[k] = rt
		}
	}
}

// systrapWorks starts a throwaway sandbox on the systrap platform running
// the host's /bin/true (not package code).
func systrapWorks(ctx context.Context, runsc string) bool {
	dir, err := os.MkdirTemp("", "sapper-probe-")
	if err != nil {
		return false
	}
	defer os.RemoveAll(dir)
	_, err = runscCmd(ctx, runsc, "--root", dir, "--network=none", "--platform=systrap", "--ignore-cgroups", "do", "/bin/true")
	return err == nil
}

// cgroupsUsable reports whether runsc can make the sandbox's memory and
// pids cgroups: root, and the controllers writable (cgroup v1) or
// enabled (v2).
func cgroupsUsable() bool {
	if os.Geteuid() != 0 {
		return false
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		f := strings.Fields(string(b))
		return slices.Contains(f, "memory") && slices.Contains(f, "pids")
	}
	const wOK = 2
	for _, c := range []string{"memory", "pids"} {
		if syscall.Access("/sys/fs/cgroup/"+c, wOK) != nil {
			return false
		}
	}
	return true
}

// runscCmd runs runsc with args for a short probe and returns its
// output, bounded.
func runscCmd(ctx context.Context, runsc string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, runsc, args...)
	cmd.Env = []string{hostPATH}
	cmd.Dir = "/"
	out := &boundedBuffer{max: 256 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = killWait
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%w: %s", err, tail(out.String(), maxErrorOutput))
	}
	return out.String(), nil
}

func newSandbox(ctx context.Context, opt Options) (_ *Sandbox, err error) {
	runsc, err := lookRunsc(opt.Runsc)
	if err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errNotRoot
	}
	if opt.Memory <= 0 {
		opt.Memory = defaultMemory
	}
	if opt.PIDs <= 0 {
		opt.PIDs = defaultPIDs
	}
	if opt.Timeout <= 0 {
		opt.Timeout = defaultTimeout
	}
	if opt.Platform != "" && opt.Platform != "ptrace" && opt.Platform != "systrap" && opt.Platform != "kvm" {
		return nil, fmt.Errorf("sandbox: unknown platform %q (ptrace, systrap or kvm)", opt.Platform)
	}
	mounts := opt.Mounts
	if mounts == nil {
		mounts = RuntimeMounts()
	}
	if mounts, err = checkMounts(mounts); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	opt.Mounts = mounts
	rt, err := probe(ctx, runsc, opt.Platform)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	dir, err := os.MkdirTemp("", "sapper-sandbox-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	s := &Sandbox{
		opt:    opt,
		dir:    dir,
		work:   filepath.Join(dir, "work"),
		home:   filepath.Join(dir, "home"),
		rt:     &rt,
		id:     randomHex(6),
		rootfs: filepath.Join(dir, "rootfs"),
		path:   guestPATH(mounts),
		links:  map[string]string{},
	}
	for _, d := range []struct {
		path string
		mode fs.FileMode
	}{{s.work, 0o755}, {s.home, 0o700}, {s.rootfs, 0o755}, {filepath.Join(dir, "state"), 0o700}, {filepath.Join(dir, "phases"), 0o700}} {
		if err := os.Mkdir(d.path, d.mode); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	if err := s.buildRoot(mounts); err != nil {
		return nil, fmt.Errorf("sandbox: guest root: %w", err)
	}
	if err := writeHoneypots(s.home); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// guestDir returns the guest directory of a phase: dir relative to /work,
// or absolute.
func guestDir(dir string) string {
	if dir == "" {
		return GuestWork
	}
	if path.IsAbs(dir) {
		return path.Clean(dir)
	}
	return path.Join(GuestWork, dir)
}

func (s *Sandbox) run(ctx context.Context, name string, argv []string, dir string) (Phase, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Phase{}, errors.New("sandbox: run after close")
	}
	if len(argv) == 0 {
		return Phase{}, fmt.Errorf("sandbox: phase %s: no command", name)
	}
	if err := ctx.Err(); err != nil {
		return Phase{}, fmt.Errorf("sandbox: phase %s: %w", name, err)
	}
	// What the caller put in the work directory (as root) becomes the
	// guest user's. No package code runs between phases, so nothing
	// races this walk.
	for _, d := range []string{s.work, s.home} {
		if err := chownTree(d, guestUID, guestGID); err != nil {
			return Phase{}, fmt.Errorf("sandbox: %w", err)
		}
	}
	ph, started, err := s.phase(ctx, name, argv, guestDir(dir), s.rt.cgroups)
	if err == nil && !started && s.rt.cgroups && strings.Contains(ph.Output, "cgroup") {
		// runsc could not make the cgroups after all: limits by rlimits
		// only (RLIMIT_NPROC; memory by gVisor's total memory).
		s.rt.cgroups = false
		noCgroups(s.rt.path)
		ph, started, err = s.phase(ctx, name, argv, guestDir(dir), false)
	}
	if err != nil {
		return ph, err
	}
	if !started {
		return ph, fmt.Errorf("sandbox: phase %s did not start: %s", name, tail(ph.Output, maxErrorOutput))
	}
	return ph, nil
}

// phase runs one container and reports whether its process started.
func (s *Sandbox) phase(ctx context.Context, name string, argv []string, cwd string, cgroups bool) (Phase, bool, error) {
	s.phases++
	ph := Phase{Name: name}
	id := fmt.Sprintf("sapper-%s-%d", s.id, s.phases)
	bundle := filepath.Join(s.dir, "phases", strconv.Itoa(s.phases))
	logs := filepath.Join(bundle, "logs")
	if err := os.MkdirAll(logs, 0o700); err != nil {
		return ph, false, fmt.Errorf("sandbox: %w", err)
	}
	defer os.RemoveAll(bundle) // after teardown (deferred later, run first)
	env := append(baseEnv(s.path), HoneypotEnv()...)
	env = append(env, s.opt.Env...)
	p := phaseSpec{argv: argv, env: env, cwd: cwd, memory: s.opt.Memory, pids: s.opt.PIDs}
	if cgroups {
		p.cgroups = id // relative: under runsc's own cgroup, removed with the container
	}
	if err := writeSpec(bundle, s.spec(p)); err != nil {
		return ph, false, fmt.Errorf("sandbox: %w", err)
	}

	// The sandbox's boot log, where the strace goes, is a FIFO read as
	// it is written: bounded memory, no log on disk.
	fifo := filepath.Join(logs, "runsc.boot")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		return ph, false, fmt.Errorf("sandbox: %w", err)
	}
	trace, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return ph, false, fmt.Errorf("sandbox: %w", err)
	}
	defer trace.Close()
	tr := newTracer(cwd, argv)
	tr.links = s.links // links made in earlier phases still lead where they did
	stop := []byte(`{"msg":"sapper-trace-end-` + randomHex(8) + `"}`)
	traced := make(chan struct{})
	go func() {
		defer close(traced)
		tr.readTrace(trace, stop)
	}()

	args := []string{
		"--root", filepath.Join(s.dir, "state"),
		"--network=none",
		"--platform=" + s.rt.platform,
		"--strace", "--strace-syscalls=" + s.rt.syscalls,
		"--debug-log=" + logs + "/runsc.%COMMAND%", "--debug-log-format=json",
	}
	if !cgroups {
		args = append(args, "--ignore-cgroups")
	}
	args = append(args, "run", "--bundle", bundle, id)
	cmd := exec.Command(s.rt.path, args...)
	cmd.Env = []string{hostPATH}
	cmd.Dir = bundle
	out := &boundedBuffer{max: maxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = killWait

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return ph, false, fmt.Errorf("sandbox: start runsc: %w", err)
	}
	torndown := false
	teardown := func() {
		if !torndown {
			torndown = true
			s.control("delete", "-force", id)
		}
	}
	defer teardown() // also on a panic

	waited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(waited)
	}()
	timer := time.NewTimer(s.opt.Timeout)
	defer timer.Stop()
	select {
	case <-waited:
	case <-timer.C:
		ph.TimedOut = true
	case <-ctx.Done():
	}
	select {
	case <-waited:
	default:
		s.control("kill", "--all", id, "KILL")
		select {
		case <-waited:
		case <-time.After(killWait):
			cmd.Process.Kill() // the sandbox is --attached to runsc run: it goes too
			<-waited
		}
	}
	ph.DurationMS = time.Since(start).Milliseconds()
	teardown()

	// The sandbox is gone: nothing but the stop line follows in the
	// FIFO. The deadlines keep a stuck reader from holding the phase.
	trace.SetWriteDeadline(time.Now().Add(traceDrainTimeout))
	trace.Write(append(append([]byte{'\n'}, stop...), '\n'))
	select {
	case <-traced:
	case <-time.After(traceDrainTimeout):
	}
	trace.Close()
	<-traced

	ph.ExitCode = exitCode(cmd.ProcessState)
	ph.Output = out.String()
	tr.finish(ph.TimedOut)
	tr.fill(&ph)
	if err := ctx.Err(); err != nil && !ph.TimedOut {
		return ph, tr.started, fmt.Errorf("sandbox: phase %s: %w", name, err)
	}
	return ph, tr.started, nil
}

// exitCode is the phase's exit status as runsc reports it: the
// container process's code, or 128 plus the signal that killed it.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// control runs a runsc control command against the sandbox's containers,
// bounded in time whatever the caller's context: teardown must happen.
func (s *Sandbox) control(args ...string) (string, error) {
	cmd := exec.Command(s.rt.path, append([]string{"--root", filepath.Join(s.dir, "state")}, args...)...)
	cmd.Env = []string{hostPATH}
	cmd.Dir = "/"
	out := &boundedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = killWait
	if err := cmd.Start(); err != nil {
		return "", err
	}
	t := time.AfterFunc(controlTimeout, func() { cmd.Process.Kill() })
	defer t.Stop()
	err := cmd.Wait()
	return out.String(), err
}

func (s *Sandbox) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	// Phases delete their containers; this catches any a crash left.
	if out, err := s.control("list", "-quiet"); err == nil {
		if ids := strings.Fields(out); len(ids) > 0 {
			s.control(append([]string{"delete", "-force"}, ids...)...)
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("sandbox: remove %s: %w", s.dir, err)
	}
	return nil
}

// chownTree gives everything under root, not following symlinks, to
// uid:gid.
func chownTree(root string, uid, gid int) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// boundedBuffer keeps the first max bytes written to it and drops the
// rest, noting that it did; safe for concurrent use (a command's stdout
// and stderr).
type boundedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
	cut bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := p
	if room := b.max - b.buf.Len(); len(q) > room {
		q, b.cut = q[:max(room, 0)], true
	}
	b.buf.Write(q)
	return len(p), nil
}

// String returns what b kept, marked when it dropped some.
func (b *boundedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.ToValidUTF8(b.buf.String(), "\uFFFD")
	if b.cut {
		s += "\n[output truncated]"
	}
	return s
}

// tail returns the end of s, at most n bytes.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "..." + strings.ToValidUTF8(s[len(s)-n:], "")
	}
	return s
}
