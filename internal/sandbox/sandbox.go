// Package sandbox runs package code inside gVisor (runsc) and records what
// it does: files opened for read, write or delete, programs executed,
// sockets and DNS queries, processes that outlive their phase. Package code
// never runs outside the sandbox: without runsc, New fails with
// ErrNoRunsc and there is no fallback.
//
// A Sandbox is a fresh writable work directory and home (with honeypot
// credentials) on the host, mounted into one gVisor container per phase
// over a read-only view of the host's /usr, /lib*, /bin and the language
// runtimes; no network (--network=none), limits on memory, processes and
// time, and the container always torn down. Phases share the work
// directory and home, so "install" then "import" sees what install left.
// The guest's /etc is written by the sandbox (the host's holds secrets),
// its resolver is 127.0.0.1 so that lookups show and fail, and package
// code runs as uid 1000, which owns /work and the home.
//
// Events come from gVisor's own strace (runsc --strace, a chosen set of
// syscalls), read from a FIFO as the sandbox writes it (strace.go).
//
// Behaviour rules (behaviour.go) turn a phase's events into findings for
// the same score and verdict as the static rules.
package sandbox

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrNoRunsc is returned when gVisor's runsc is not installed; its text
// says how to install it.
var ErrNoRunsc = errors.New("gVisor's runsc is not installed (Debian: apt-get install runsc); sapper never runs package code outside the sandbox")

// Options configure a Sandbox. Zero values mean the defaults.
type Options struct {
	// Runsc is the runsc binary (default: "runsc" on PATH).
	Runsc string
	// Platform is gVisor's platform (default: "systrap" where the
	// installed runsc has it and it starts, else "ptrace").
	Platform string
	// Memory bounds the container's memory in bytes (default 1 GiB),
	// through the sandbox's memory cgroup where the host lets runsc
	// make one.
	Memory int64
	// PIDs bounds its processes (default 256): RLIMIT_NPROC of the
	// guest user, which gVisor enforces, and a host pids cgroup as a
	// backstop.
	PIDs int
	// Timeout bounds each phase (default 60 s).
	Timeout time.Duration
	// Mounts are extra host directories mounted read-only at the same
	// path (language runtimes outside /usr, such as a pyenv tree); nil
	// means RuntimeMounts(). Directories that hold or contain host
	// secrets (/, /etc, /root, /home, the user's home) are refused.
	Mounts []string
	// Env is added to each phase's environment (after the honeypot
	// variables).
	Env []string
}

// Phase is what one phase did: the JSON under a result's "dynamic".
type Phase struct {
	Name       string    `json:"name"`
	ExitCode   int       `json:"exit_code"`
	DurationMS int64     `json:"duration_ms"`
	TimedOut   bool      `json:"timed_out,omitempty"`
	Files      []File    `json:"files"`
	Commands   []Command `json:"commands"`
	Sockets    []Socket  `json:"sockets"`
	// DNS are the host names looked up where the trace shows the query
	// (a sendmsg), then the resolver addresses queried ("127.0.0.1:53"):
	// glibc's and c-ares's sendto and sendmmsg are traced without their
	// payload, so most lookups show as the resolver's address only.
	DNS []string `json:"dns"`
	// Lingering are processes still running when the phase's main
	// process exited (detached or daemonised).
	Lingering []Command `json:"lingering,omitempty"`
	// Output is the phase's stdout and stderr, bounded.
	Output string `json:"output,omitempty"`
	// Dropped counts events not recorded past the bounds on files,
	// commands, sockets and names per phase (a flood of them is itself
	// suspect).
	Dropped int `json:"dropped,omitempty"`
}

// File is one path the phase touched, with how. Making a link or
// symlink to a file counts as reading it, and a path opened through a
// link the sandbox's phases made is also recorded as the file it names
// (as is /proc/self/fd/N as the descriptor's path); an O_PATH open
// counts as a read.
type File struct {
	Path   string `json:"path"`
	Read   bool   `json:"read"`
	Write  bool   `json:"write"`
	Delete bool   `json:"delete"`
	// Denied is set when every access was refused (EACCES, EPERM,
	// EROFS): an attempt. Accesses that failed for a missing file are
	// not recorded.
	Denied bool `json:"denied,omitempty"`
}

// Command is one program executed.
type Command struct {
	Argv []string `json:"argv"`
}

// Socket is one connection attempt (or bind, or send).
type Socket struct {
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"` // tcp, udp, unix
}

// Sandbox is a work directory and home that phases run in.
type Sandbox struct {
	opt  Options
	dir  string // host directory holding work/, home/, bundles and logs
	work string // host path of the guest's /work
	home string // host path of the guest's home

	rt     *runscInfo        // the runsc binary and what it supports
	id     string            // random, unique on the host: names containers and cgroups
	rootfs string            // host path of the guest's read-only root
	mounts []ociMount        // the container's mounts, the same for every phase
	path   string            // the guest's PATH
	links  map[string]string // symlinks and hard links the phases made, for the tracer

	mu     sync.Mutex // serialises Run and Close
	phases int
	closed bool
}

// Guest paths.
const (
	GuestWork = "/work"
	GuestHome = "/home/sandbox"
)

// Available reports whether runsc can be run, with ErrNoRunsc when it is
// missing.
func Available(runsc string) error { return available(runsc) }

// New prepares a sandbox: a fresh work directory and a home with
// honeypots. Close removes it.
func New(ctx context.Context, opt Options) (*Sandbox, error) { return newSandbox(ctx, opt) }

// WorkDir is the host path of the guest's /work: copy the package there
// before running phases.
func (s *Sandbox) WorkDir() string { return s.work }

// Run runs argv in a fresh container as one phase, in guest directory dir
// (relative to /work, or absolute in the guest), and returns its events.
// The container is always torn down. A phase that exits non-zero is not an
// error; a sandbox that cannot be started is.
func (s *Sandbox) Run(ctx context.Context, name string, argv []string, dir string) (Phase, error) {
	return s.run(ctx, name, argv, dir)
}

// Close tears down and removes the sandbox's directories.
func (s *Sandbox) Close() error { return s.close() }
