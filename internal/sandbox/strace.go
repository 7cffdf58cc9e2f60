package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// gVisor's strace, as runsc --strace --debug-log-format=json writes it to
// the sandbox's boot log: one JSON object a line, the event in "msg":
//
//	[   1:   1] sh X openat(AT_FDCWD /work, 0x7fe9aecb80b1 /etc/ld.so.cache, O_RDONLY|O_CLOEXEC, 0o0) = 3 (0x3) (232.404µs)
//	[   5:   5] python3 X connect(0x3 socket:[5], 0x7f4d327de810 {Family: AF_INET, Addr: 127.0.0.1, Port: 9}, 0x10) = 0 (0x0) errno=111 (connection refused) (347.014µs)
//	[  12:  12] node X execve(0x7fd34a32ed50 /usr/bin/sleep, 0x57c4ae0 ["sleep", "30"], 0x57c0ee0 ["PATH=/usr/bin"]) = 0 (0x0) (1.2ms)
//
// "[pid: tid] comm", E on entry and X on exit with the result. Paths are
// printed raw, unquoted: a path may contain ", " and so look like more
// arguments. The parser splits arguments by their grammar and, where a
// line reads more than one way, records every reading: a file name
// crafted to confuse the parser makes more events, never fewer. The JSON
// format keeps a newline in a path from splitting a line (the text format
// does not). Glog text lines (I1124 06:57:47.811661 5136 strace.go:570]
// ...) are read too.

// Bounds on what one phase's trace records; past them events are counted
// in Phase.Dropped.
const (
	maxTraceLine = 1 << 20 // bytes of one log line parsed; the rest is cut
	maxFiles     = 10_000  // distinct paths
	maxNotable   = 1_000   // further paths outside the usual trees, past maxFiles
	maxCommands  = 1_000   // distinct argvs
	maxSockets   = 1_000   // distinct address, port, protocol
	maxDNS       = 256     // names or resolver addresses
	maxArgs      = 256     // argv elements kept per command
	maxArgBytes  = 4096    // bytes kept per argv element
	maxTracked   = 100_000 // processes, descriptors and sockets tracked at once
	maxReadings  = 16      // readings of one ambiguous line
	splitBudget  = 4096    // steps spent on the readings of one line
)

// maxCommBytes is the most bytes a process name takes in a message: 15,
// as U+FFFD replacements in the JSON log.
const maxCommBytes = 15 * 3

// initPID is the container's first process in the sandbox's PID
// namespace: the phase's main process.
const initPID = 1

// Linux errno values the parser looks at.
const (
	errnoEPERM  = 1
	errnoEACCES = 13
	errnoEROFS  = 30
)

// tracer turns one phase's strace lines into events.
type tracer struct {
	cwd     string // the phase's working directory in the guest
	started bool   // the container's process ran (made a traced syscall)

	files     []File
	fileIdx   map[string]int
	commands  []Command
	cmdSeen   map[string]bool
	sockets   []Socket
	sockSeen  map[Socket]bool
	dnsNames  []string
	dnsAddrs  []string
	dnsSeen   map[string]bool
	lingering []Command
	dropped   int

	links      map[string]string  // guest paths of symlinks and hard links to what they name
	procs      map[int]*proc      // live processes by PID
	exited     map[int]bool       // processes seen to end
	clone3     map[int]bool       // PIDs created by clone3: a thread or a process
	socks      map[int]*sockState // sockets by inode
	fds        int                // descriptors tracked in procs
	mainExited bool
}

// proc is what the tracer knows of one live process.
type proc struct {
	argv  []string
	cwd   string
	paths map[int]string // paths of descriptors from open
	socks map[int]string // protocols of socket descriptors
}

type sockState struct {
	proto string
	port  int // the peer's, once connected
}

// newTracer returns a tracer for a phase that runs argv in guest
// directory cwd.
func newTracer(cwd string, argv []string) *tracer {
	t := &tracer{
		cwd:      cwd,
		fileIdx:  map[string]int{},
		cmdSeen:  map[string]bool{},
		sockSeen: map[Socket]bool{},
		dnsSeen:  map[string]bool{},
		links:    map[string]string{},
		procs:    map[int]*proc{},
		exited:   map[int]bool{},
		clone3:   map[int]bool{},
		socks:    map[int]*sockState{},
	}
	t.procs[initPID] = &proc{cwd: cwd, argv: boundArgv(argv)}
	return t
}

// readTrace feeds t the log lines of r until r ends or a line equal to
// stop is read, and returns r's error (nil at the end or at stop).
func (t *tracer) readTrace(r io.Reader, stop []byte) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if len(long) < maxTraceLine {
				long = append(long, chunk[:min(len(chunk), maxTraceLine-len(long))]...)
			} else {
				long = append(long[:maxTraceLine], 0) // mark as cut
			}
			continue
		case err != nil && len(chunk) == 0 && len(long) == 0:
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		line, cut := chunk, false
		if long != nil {
			cut = len(long) > maxTraceLine
			if !cut && len(long)+len(chunk) <= maxTraceLine {
				line = append(long, chunk...)
			} else {
				line, cut = long[:min(len(long), maxTraceLine)], true
			}
			long = nil
		}
		line = bytes.TrimRight(line, "\r\n")
		if stop != nil && bytes.Equal(line, stop) {
			return nil
		}
		t.line(line, cut)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// line handles one log line; cut says it was longer than maxTraceLine.
func (t *tracer) line(b []byte, cut bool) {
	if msg, ok := logMessage(b, cut); ok {
		t.message(msg, cut)
	}
}

// logMessage returns the message of a JSON or glog text log line.
func logMessage(b []byte, cut bool) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	if b[0] == '{' {
		const head = `{"msg":"`
		if bytes.HasPrefix(b, []byte(head)) {
			return jsonStringPrefix(b[len(head):]), true
		}
		if cut {
			return "", false
		}
		var v struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(b, &v) != nil {
			return "", false
		}
		return v.Msg, true
	}
	// I1124 06:57:47.811661    5136 strace.go:570] msg
	if c := b[0]; c != 'I' && c != 'W' && c != 'E' && c != 'D' {
		return "", false
	}
	i := bytes.Index(b, []byte("] "))
	if i < 0 || bytes.IndexByte(b[:i], ':') < 0 {
		return "", false
	}
	return string(b[i+2:]), true
}

// jsonStringPrefix decodes the JSON string that b starts inside, up to
// its closing quote or the end of b (a cut line).
func jsonStringPrefix(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			return sb.String()
		case c != '\\':
			r, n := utf8.DecodeRune(b[i:])
			sb.WriteRune(r)
			i += n
			continue
		case i+1 >= len(b):
			return sb.String()
		}
		e := b[i+1]
		i += 2
		switch e {
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := hex4(b[i:])
			if !ok {
				return sb.String()
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if len(b) >= i+6 && b[i] == '\\' && b[i+1] == 'u' {
					if r2, ok := hex4(b[i+2:]); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							sb.WriteRune(d)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		default: // \" \\ \/
			sb.WriteByte(e)
		}
	}
	return sb.String()
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return rune(v), err == nil
}

// traced are the syscalls whose events the tracer records.
var traced = map[string]bool{
	"open": true, "openat": true, "openat2": true, "creat": true, "truncate": true,
	"unlink": true, "unlinkat": true, "rmdir": true, "rename": true, "renameat": true, "renameat2": true,
	"mkdir": true, "mkdirat": true, "symlink": true, "symlinkat": true, "link": true, "linkat": true,
	"chdir": true, "fchdir": true, "execve": true, "execveat": true,
	"clone": true, "clone3": true, "fork": true, "vfork": true, "exit_group": true, "wait4": true, "waitid": true,
	"socket": true, "connect": true, "bind": true, "sendto": true, "sendmsg": true, "sendmmsg": true,
	"kill": true,
}

// message handles one log message; cut says its line was cut.
func (t *tracer) message(msg string, cut bool) {
	// A started process shows in the trace: it at least exits. (runsc's
	// "EXEC: [argv]" comes before the program is loaded and may fail.)
	pid, tid, rest, ok := taskPrefix(msg)
	if !ok {
		return
	}
	t.started = true
	t.task(pid, tid)
	// rest is "comm E name(args" with comm up to 15 bytes, which the
	// process chooses: try each " E name(" or " X name(" near its start.
	for i := 0; i < len(rest) && i <= maxCommBytes; i++ {
		if i+3 > len(rest) || rest[i] != ' ' || rest[i+2] != ' ' || (rest[i+1] != 'E' && rest[i+1] != 'X') {
			continue
		}
		call := rest[i+3:]
		paren := strings.IndexByte(call, '(')
		if paren <= 0 || paren > 16 || !traced[call[:paren]] {
			continue
		}
		t.call(pid, rest[i+1] == 'X', cut, call[:paren], call[paren+1:])
	}
}

// taskPrefix parses "[ pid: tid] " off msg.
func taskPrefix(msg string) (pid, tid int, rest string, ok bool) {
	if !strings.HasPrefix(msg, "[") {
		return 0, 0, "", false
	}
	end := strings.Index(msg, "] ")
	if end < 0 || end > 32 {
		return 0, 0, "", false
	}
	p, q, found := strings.Cut(msg[1:end], ":")
	if !found {
		return 0, 0, "", false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(p))
	tid, err2 := strconv.Atoi(strings.TrimSpace(q))
	if err1 != nil || err2 != nil || pid <= 0 || tid <= 0 {
		return 0, 0, "", false
	}
	return pid, tid, msg[end+2:], true
}

// task notes that thread tid of process pid ran.
func (t *tracer) task(pid, tid int) {
	if tid != pid && t.clone3[tid] {
		delete(t.procs, tid) // clone3 made a thread, not a process
		delete(t.clone3, tid)
	}
	if _, ok := t.procs[pid]; !ok && !t.exited[pid] && !t.mainExited && len(t.procs) < maxTracked {
		t.procs[pid] = &proc{cwd: t.cwd}
	}
}

// setFD remembers what descriptor fd of process pid is: the path it
// was opened at, or a socket's protocol.
func (t *tracer) setFD(pid, fd int, p, proto string) {
	pr := t.procs[pid]
	if pr == nil {
		return
	}
	m := &pr.socks
	v := proto
	if p != "" {
		m, v = &pr.paths, p
	}
	if *m == nil {
		*m = map[int]string{}
	}
	if _, ok := (*m)[fd]; !ok {
		if t.fds >= maxTracked {
			return
		}
		t.fds++
	}
	(*m)[fd] = v
}

// result is a syscall's return: value and errno (0 for success).
type result struct {
	exit  bool // an exit (X) line: ret and errno are known
	ret   int64
	errno int
}

func (r result) ok() bool { return r.exit && r.errno == 0 }

// call handles one syscall event; body is what follows "name(". A cut
// line has lost its result: it counts as a success, so that padding an
// execve's environment past maxTraceLine hides nothing.
func (t *tracer) call(pid int, exit, cut bool, name, body string) {
	args, res, ok := splitResult(body, exit)
	if cut {
		args, res, ok = body, result{exit: true}, true
	}
	if !ok {
		return
	}
	switch name {
	case "open", "openat", "openat2", "creat":
		t.open(pid, name, args, res)
	case "truncate":
		if res.exit {
			for _, a := range splitArgs(args, kPath, kHex) {
				t.file(t.resolve(pid, "", a[0]), false, true, false, res.errno)
			}
		}
	case "unlink", "rmdir":
		if res.exit {
			for _, a := range splitArgs(args, kPath) {
				t.remove(t.resolve(pid, "", a[0]), res.errno)
			}
		}
	case "unlinkat":
		if res.exit {
			for _, a := range splitArgs(args, kFD, kPath, kRest) {
				t.remove(t.resolve(pid, a[0], a[1]), res.errno)
			}
		}
	case "mkdir":
		if res.exit {
			for _, a := range splitArgs(args, kPath, kMode) {
				t.fileNoFollow(t.resolve(pid, "", a[0]), false, true, false, res.errno)
			}
		}
	case "mkdirat":
		if res.exit {
			for _, a := range splitArgs(args, kFD, kPath, kMode) {
				t.fileNoFollow(t.resolve(pid, a[0], a[1]), false, true, false, res.errno)
			}
		}
	case "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat":
		if res.exit {
			t.move(pid, name, args, res)
		}
	case "chdir", "fchdir":
		if res.ok() {
			t.chdir(pid, name, args)
		}
	case "execve", "execveat":
		if res.ok() {
			t.exec(pid, name, args)
		}
	case "clone", "clone3", "fork", "vfork":
		if res.ok() && res.ret > 0 {
			thread := name == "clone" && strings.Contains(firstArg(args), "CLONE_THREAD")
			if !thread {
				t.fork(pid, int(res.ret), name == "clone3")
			}
		}
	case "exit_group":
		t.exitProc(pid)
	case "wait4":
		if res.ok() && res.ret > 0 {
			t.exitProc(int(res.ret))
		}
	case "kill":
		// kill(0x5, SIGKILL): a certain death (other signals may be
		// handled).
		if a := strings.Split(args, ", "); res.ok() && len(a) == 2 && a[1] == "SIGKILL" {
			if n, err := strconv.ParseInt(strings.TrimPrefix(a[0], "0x"), 16, 32); err == nil && n > 1 {
				t.exitProc(int(n))
			}
		}
	case "waitid":
		if res.ok() {
			t.waitid(args)
		}
	case "socket":
		if res.ok() && res.ret >= 0 {
			t.socket(pid, int(res.ret), args)
		}
	case "connect", "bind", "sendto":
		t.connect(pid, name, args)
	case "sendmsg":
		if !exit {
			t.sendmsg(pid, args)
		}
	}
}

// splitResult splits an event's body into its arguments and result.
func splitResult(body string, exit bool) (string, result, bool) {
	if !exit {
		return strings.TrimSuffix(body, ")"), result{}, true
	}
	// args) = 3 (0x3) errno=2 (no such file or directory) (1.2µs)
	i := strings.LastIndex(body, ") = ")
	if i < 0 {
		return "", result{}, false
	}
	args, tail := body[:i], body[i+4:]
	num, tail, _ := strings.Cut(tail, " ")
	ret, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return "", result{}, false
	}
	r := result{exit: true, ret: ret}
	if _, e, found := strings.Cut(tail, " errno="); found {
		e, _, _ = strings.Cut(e, " ")
		if r.errno, err = strconv.Atoi(e); err != nil {
			return "", result{}, false
		}
	}
	return args, r, true
}

// firstArg returns args up to its first ", ".
func firstArg(args string) string {
	a, _, _ := strings.Cut(args, ", ")
	return a
}

// open handles open, openat, openat2 and creat.
func (t *tracer) open(pid int, name, args string, res result) {
	if !res.exit {
		return
	}
	var readings [][]string // dirfd, path, flags
	switch name {
	case "open":
		for _, a := range splitArgs(args, kPath, kFlags, kMode) {
			readings = append(readings, []string{"", a[0], a[1]})
		}
	case "creat":
		for _, a := range splitArgs(args, kPath, kMode) {
			readings = append(readings, []string{"", a[0], "O_WRONLY|O_CREAT|O_TRUNC"})
		}
	case "openat":
		for _, a := range splitArgs(args, kFD, kPath, kFlags, kMode) {
			readings = append(readings, a[:3])
		}
	case "openat2":
		// The open_how is printed as a struct or an address: take its
		// flags where shown, else count a read.
		for _, a := range splitArgs(args, kFD, kPath, kRest) {
			flags := "O_RDONLY"
			if i := strings.Index(a[2], "O_"); i >= 0 {
				flags = strings.FieldsFunc(a[2][i:], func(r rune) bool { return r == ',' || r == ' ' || r == '}' })[0]
			}
			readings = append(readings, []string{a[0], a[1], flags})
		}
	}
	for _, a := range readings {
		p := t.resolve(pid, a[0], a[1])
		if p == "" {
			continue
		}
		read, write := openFlags(a[2])
		t.file(p, read, write, false, res.errno)
		// Reopening a descriptor through /proc/self/fd/N or /dev/fd/N
		// (after an O_PATH open, say) opens what it names.
		if fd, ok := procFD(p, pid); ok {
			if pr := t.procs[pid]; pr != nil && pr.paths[fd] != "" {
				t.file(pr.paths[fd], read, write, false, res.errno)
			}
		}
		if res.ok() && res.ret >= 0 {
			t.setFD(pid, int(res.ret), p, "")
		}
	}
}

// Open flags by value, for flags printed in hex.
const (
	oAccMode = 0o3
	oCreat   = 0o100
	oTrunc   = 0o1000
	oAppend  = 0o2000
	oPath    = 0o10000000
	oTmpFile = 0o20000000
)

// procFD returns N of /proc/self/fd/N, /proc/PID/fd/N (of pid itself)
// and /dev/fd/N.
func procFD(p string, pid int) (int, bool) {
	var rest string
	switch {
	case strings.HasPrefix(p, "/dev/fd/"):
		rest = p[len("/dev/fd/"):]
	case strings.HasPrefix(p, "/proc/"):
		who, r, ok := strings.Cut(p[len("/proc/"):], "/fd/")
		if !ok || who != "self" && who != "thread-self" && who != strconv.Itoa(pid) {
			return 0, false
		}
		rest = r
	default:
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// openFlags classifies printed open flags ("O_RDONLY|O_CLOEXEC",
// "O_WRONLY|O_CREAT|0x8000"). An O_PATH open counts as a read: it can
// become one through /proc/self/fd.
func openFlags(s string) (read, write bool) {
	var v uint64
	for _, f := range strings.Split(s, "|") {
		switch f {
		case "O_WRONLY":
			v |= 1
		case "O_RDWR":
			v |= 2
		case "O_CREAT":
			v |= oCreat
		case "O_TRUNC":
			v |= oTrunc
		case "O_APPEND":
			v |= oAppend
		case "O_PATH":
			v |= oPath
		case "O_TMPFILE":
			v |= oTmpFile
		default:
			if n, err := strconv.ParseUint(strings.TrimPrefix(f, "0x"), 16, 64); err == nil && strings.HasPrefix(f, "0x") {
				v |= n
			}
		}
	}
	if v&oPath != 0 {
		return true, false
	}
	acc := v & oAccMode
	write = acc == 1 || acc == 2 || v&(oCreat|oTrunc|oAppend|oTmpFile) != 0
	read = acc == 0 || acc == 2
	return read, write
}

// move handles rename, link and symlink and their *at forms.
func (t *tracer) move(pid int, name, args string, res result) {
	type pair struct{ from, to string }
	var ps []pair
	switch name {
	case "rename", "link":
		for _, a := range splitArgs(args, kPath, kPath) {
			ps = append(ps, pair{t.resolve(pid, "", a[0]), t.resolve(pid, "", a[1])})
		}
	case "renameat", "renameat2", "linkat":
		kinds := []argKind{kFD, kPath, kHex, kPath}
		if name != "renameat" {
			kinds = append(kinds, kRest)
		}
		for _, a := range splitArgs(args, kinds...) {
			ps = append(ps, pair{t.resolve(pid, a[0], a[1]), t.resolve(pid, t.fdArg(pid, a[2], a[0]), a[3])})
		}
	case "symlink":
		for _, a := range splitArgs(args, kPath, kPath) {
			to := t.resolve(pid, "", a[1])
			ps = append(ps, pair{symlinkTarget(to, pathArg(a[0])), to})
		}
	case "symlinkat":
		for _, a := range splitArgs(args, kPath, kFD, kPath) {
			to := t.resolve(pid, a[1], a[2])
			ps = append(ps, pair{symlinkTarget(to, pathArg(a[0])), to})
		}
	}
	for _, p := range ps {
		if p.from == "" || p.to == "" {
			continue
		}
		switch name {
		case "rename", "renameat", "renameat2":
			t.fileNoFollow(p.from, false, false, true, res.errno)
			if target, ok := t.links[p.from]; ok && res.errno == 0 {
				delete(t.links, p.from)
				t.link(p.to, target)
			}
		default:
			// A link names a file anew: count it as read, and remember
			// it, so that a read through the link is a read of the file.
			t.file(p.from, true, false, false, res.errno)
			if res.errno == 0 {
				t.link(p.to, p.from)
			}
		}
		t.fileNoFollow(p.to, false, true, false, res.errno)
	}
}

// remove records the removal of p, which is no longer a link.
func (t *tracer) remove(p string, errno int) {
	t.fileNoFollow(p, false, false, true, errno)
	if errno == 0 {
		delete(t.links, p)
	}
}

// link remembers that guest path p names target.
func (t *tracer) link(p, target string) {
	if p != target && len(t.links) < maxTracked {
		t.links[p] = target
	}
}

// maxLinkDepth bounds the links followed for one path.
const maxLinkDepth = 8

// throughLinks returns what p names through the links made in the sandbox
// (the longest linked prefix, replaced, repeatedly), or "".
func (t *tracer) throughLinks(p string) string {
	if len(t.links) == 0 {
		return ""
	}
	orig := p
	for range maxLinkDepth {
		q, found := p, false
		for {
			if target, ok := t.links[q]; ok {
				p, found = path.Join(target, strings.TrimPrefix(p, q)), true
				break
			}
			if q == "/" || q == "." || q == "" {
				break
			}
			q = path.Dir(q)
		}
		if !found {
			break
		}
	}
	if p == orig {
		return ""
	}
	return p
}

// symlinkTarget resolves a symlink's target against the link's directory.
func symlinkTarget(link, target string) string {
	if target == "" {
		return ""
	}
	if path.IsAbs(target) {
		return path.Clean(target)
	}
	return path.Join(path.Dir(link), target)
}

// chdir follows a process's working directory.
func (t *tracer) chdir(pid int, name, args string) {
	pr := t.procs[pid]
	if pr == nil {
		return
	}
	switch name {
	case "chdir":
		if a := splitArgs(args, kPath); len(a) == 1 {
			if p := t.resolve(pid, "", a[0][0]); p != "" {
				pr.cwd = p
			}
		}
	case "fchdir":
		if _, p := fdArgPath(args); path.IsAbs(p) {
			pr.cwd = path.Clean(p)
		}
	}
}

// exec records a program executed.
func (t *tracer) exec(pid int, name, args string) {
	var file string
	var argv []string
	switch name {
	case "execve":
		a := splitArgs(args, kPath, kVec, kVec)
		if len(a) > 0 {
			file, argv = pathArg(a[0][0]), vecArg(a[0][1])
		} else {
			file, argv = lenientExec(args)
		}
	case "execveat":
		a := splitArgs(args, kFD, kPath, kVec, kVec, kRest)
		if len(a) > 0 {
			file, argv = t.resolve(pid, a[0][0], a[0][1]), vecArg(a[0][2])
		} else {
			_, rest, _ := strings.Cut(args, ", ")
			file, argv = lenientExec(rest)
		}
	}
	if len(argv) == 0 {
		if file == "" {
			return
		}
		argv = []string{file}
	}
	argv = boundArgv(argv)
	if pr := t.procs[pid]; pr != nil {
		pr.argv = argv
	}
	key := strings.Join(argv, "\x00")
	if t.cmdSeen[key] {
		return
	}
	if len(t.commands) >= maxCommands {
		t.dropped++
		return
	}
	t.cmdSeen[key] = true
	t.commands = append(t.commands, Command{Argv: argv})
}

// lenientExec reads what it can of an execve whose line was cut: the
// path and the complete elements of argv.
func lenientExec(args string) (string, []string) {
	i := strings.Index(args, ", 0x")
	if i < 0 {
		return pathArg(args), nil
	}
	file := pathArg(args[:i])
	rest := args[i+2:]
	sp := strings.IndexByte(rest, ' ')
	if sp < 0 || !strings.HasPrefix(rest[sp+1:], "[") {
		return file, nil
	}
	argv, _, _ := parseVec(rest[sp+1:])
	if len(argv) > 0 {
		argv = append(argv, "...")
	}
	return file, argv
}

func boundArgv(argv []string) []string {
	if len(argv) > maxArgs {
		argv = append(argv[:maxArgs:maxArgs], "...")
	}
	out := make([]string, len(argv))
	for i, a := range argv {
		if len(a) > maxArgBytes {
			a = strings.ToValidUTF8(a[:maxArgBytes], "") + "..."
		}
		out[i] = a
	}
	return out
}

// fork notes a new process child of pid. The child may have run, even
// ended, before its parent's clone returned and was logged.
func (t *tracer) fork(pid, child int, maybeThread bool) {
	if t.exited[child] {
		return
	}
	pr := t.procs[child]
	if pr == nil {
		if t.mainExited || len(t.procs) >= maxTracked {
			return
		}
		pr = &proc{cwd: t.cwd}
		t.procs[child] = pr
		if maybeThread {
			t.clone3[child] = true
		}
	}
	if parent := t.procs[pid]; parent != nil && pr.argv == nil {
		pr.argv, pr.cwd = parent.argv, parent.cwd
	}
}

// exitProc notes that process pid ended.
func (t *tracer) exitProc(pid int) {
	if pid == initPID && !t.mainExited {
		t.snapshot()
	}
	if pr := t.procs[pid]; pr != nil {
		t.fds -= len(pr.paths) + len(pr.socks)
	}
	delete(t.procs, pid)
	delete(t.clone3, pid)
	if len(t.exited) < maxTracked {
		t.exited[pid] = true
	}
}

// waitid handles waitid(P_PID, pid, ...) reaping pid.
func (t *tracer) waitid(args string) {
	f := strings.Split(args, ", ")
	if len(f) < 4 || f[0] != "0x1" {
		return
	}
	id, err1 := strconv.ParseInt(strings.TrimPrefix(f[1], "0x"), 16, 64)
	opts, err2 := strconv.ParseUint(strings.TrimPrefix(f[3], "0x"), 16, 64)
	const wnohang, wnowait = 0x1, 0x1000000
	if err1 != nil || err2 != nil || opts&(wnohang|wnowait) != 0 {
		return
	}
	t.exitProc(int(id))
}

// snapshot records the processes alive when the main process exits.
func (t *tracer) snapshot() {
	t.mainExited = true
	pids := make([]int, 0, len(t.procs))
	for pid := range t.procs {
		if pid != initPID {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	seen := map[string]bool{}
	for _, pid := range pids {
		argv := t.procs[pid].argv
		if len(argv) == 0 {
			argv = []string{"pid " + strconv.Itoa(pid)}
		}
		key := strings.Join(argv, "\x00")
		if seen[key] || len(t.lingering) >= maxCommands {
			continue
		}
		seen[key] = true
		t.lingering = append(t.lingering, Command{Argv: argv})
	}
}

// socket notes a socket descriptor's protocol.
func (t *tracer) socket(pid, fd int, args string) {
	f := strings.Split(args, ", ")
	if len(f) < 2 {
		return
	}
	proto := ""
	switch {
	case f[0] == "AF_UNIX":
		proto = "unix"
	case strings.Contains(f[1], "SOCK_STREAM"):
		proto = "tcp"
	case strings.Contains(f[1], "SOCK_DGRAM"):
		proto = "udp"
	case strings.Contains(f[1], "SOCK_RAW"):
		proto = "raw"
	}
	t.setFD(pid, fd, "", proto)
}

// sock returns the state of the socket that args' first argument
// ("0x3 socket:[5]") names.
func (t *tracer) sock(pid int, args string) *sockState {
	fd, rest := fdArgPath(args)
	inode, ok := strings.CutPrefix(rest, "socket:[")
	if !ok {
		return nil
	}
	inode, _, _ = strings.Cut(inode, "]")
	n, err := strconv.Atoi(inode)
	if err != nil {
		return nil
	}
	s := t.socks[n]
	if s == nil {
		if len(t.socks) >= maxTracked {
			return nil
		}
		s = &sockState{}
		if pr := t.procs[pid]; pr != nil {
			s.proto = pr.socks[fd]
		}
		t.socks[n] = s
	}
	return s
}

// connect handles connect, bind and sendto.
func (t *tracer) connect(pid int, name, args string) {
	s := t.sock(pid, args)
	family, addr, port, ok := sockaddr(args)
	if !ok {
		return
	}
	proto := ""
	if s != nil {
		proto = s.proto
	}
	switch family {
	case "AF_UNIX":
		if addr == "" {
			return
		}
		t.socket1(Socket{Address: addr, Protocol: "unix"})
		return
	case "AF_INET", "AF_INET6":
	default:
		return
	}
	if name == "bind" && port == 0 {
		return // an ephemeral port: a client's
	}
	if s != nil && name == "connect" {
		s.port = port
	}
	t.socket1(Socket{Address: addr, Port: port, Protocol: proto})
	if port == 53 && name != "bind" {
		t.dns("", hostPort(addr, port))
		if name == "sendto" {
			if payload, ok := quotedPayload(args); ok {
				t.dns(dnsQuestion(payload, proto == "tcp"), "")
			}
		}
	}
}

func hostPort(addr string, port int) string {
	if strings.Contains(addr, ":") {
		addr = "[" + addr + "]"
	}
	return addr + ":" + strconv.Itoa(port)
}

// sendmsg reads DNS questions from the payloads that a sendmsg entry
// shows: to a socket connected to port 53, or a well-formed query on UDP.
func (t *tracer) sendmsg(pid int, args string) {
	s := t.sock(pid, args)
	if s == nil {
		return
	}
	var payload []byte
	rest := args
	for {
		i := strings.Index(rest, `, "`)
		if i < 0 {
			break
		}
		q, err := strconv.QuotedPrefix(rest[i+2:])
		if err != nil {
			break
		}
		if u, err := strconv.Unquote(q); err == nil {
			payload = append(payload, u...)
		}
		rest = rest[i+2+len(q):]
	}
	if len(payload) == 0 {
		return
	}
	if s.port == 53 || s.proto == "udp" {
		if name := dnsQuestion(payload, s.proto == "tcp"); name != "" {
			t.dns(name, "")
		}
	}
}

// quotedPayload returns the data of a sendto whose buffer is printed
// ("0x3 socket:[5], 0x7f.. "data", 0x1d, ...").
func quotedPayload(args string) ([]byte, bool) {
	i := strings.Index(args, `"`)
	if i < 0 {
		return nil, false
	}
	q, err := strconv.QuotedPrefix(args[i:])
	if err != nil {
		return nil, false
	}
	u, err := strconv.Unquote(q)
	return []byte(u), err == nil
}

// dnsQuestion returns the first question's name of DNS query msg, or ""
// when msg is not a well-formed query.
func dnsQuestion(msg []byte, tcp bool) string {
	if tcp && len(msg) >= 2 {
		msg = msg[2:]
	}
	if len(msg) < 12+1+4 {
		return ""
	}
	flags := int(msg[2])<<8 | int(msg[3])
	qd := int(msg[4])<<8 | int(msg[5])
	if flags&0x8000 != 0 || (flags>>11)&0xf != 0 || qd == 0 {
		return ""
	}
	var labels []string
	i, total := 12, 0
	for {
		if i >= len(msg) {
			return ""
		}
		n := int(msg[i])
		i++
		if n == 0 {
			break
		}
		if n > 63 || i+n > len(msg) {
			return ""
		}
		label := msg[i : i+n]
		for _, c := range label {
			if c <= ' ' || c >= 0x7f || c == '.' {
				return ""
			}
		}
		labels = append(labels, strings.ToLower(string(label)))
		total += n + 1
		if total > 255 {
			return ""
		}
		i += n
	}
	if i+4 > len(msg) || len(labels) == 0 {
		return ""
	}
	return strings.Join(labels, ".")
}

// sockaddr parses the "{Family: AF_INET, Addr: 127.0.0.1, Port: 9}" in
// args; a Unix socket's Addr is quoted.
func sockaddr(args string) (family, addr string, port int, ok bool) {
	i := strings.Index(args, "{Family: ")
	if i < 0 {
		return "", "", 0, false
	}
	s := args[i+len("{Family: "):]
	j := strings.IndexAny(s, ",}")
	if j < 0 {
		return "", "", 0, false
	}
	family, s = s[:j], s[j:]
	s, found := strings.CutPrefix(s, ", Addr: ")
	if !found {
		return family, "", 0, true
	}
	if family == "AF_UNIX" {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", 0, false
		}
		a, err := strconv.Unquote(q)
		if err != nil {
			return "", "", 0, false
		}
		a = strings.TrimRight(a, "\x00")
		if strings.HasPrefix(a, "\x00") {
			a = "@" + a[1:] // abstract
		}
		return family, strings.ToValidUTF8(a, "\uFFFD"), 0, true
	}
	k := strings.IndexAny(s, ",}")
	if k < 0 {
		return "", "", 0, false
	}
	addr, s = s[:k], s[k:]
	if p, found := strings.CutPrefix(s, ", Port: "); found {
		p, _, _ = strings.Cut(p, "}")
		port, _ = strconv.Atoi(p)
	}
	if addr == "" {
		addr = "0.0.0.0"
		if family == "AF_INET6" {
			addr = "::"
		}
	}
	return family, addr, port, true
}

func (t *tracer) socket1(s Socket) {
	if t.sockSeen[s] {
		return
	}
	if len(t.sockets) >= maxSockets {
		t.dropped++
		return
	}
	t.sockSeen[s] = true
	t.sockets = append(t.sockets, s)
}

// dns records a name looked up, or the resolver addressed.
func (t *tracer) dns(name, server string) {
	key, list := name, &t.dnsNames
	if name == "" {
		key, list = "@"+server, &t.dnsAddrs
	}
	if key == "" || key == "@" || t.dnsSeen[key] {
		return
	}
	if len(t.dnsNames)+len(t.dnsAddrs) >= maxDNS {
		t.dropped++
		return
	}
	t.dnsSeen[key] = true
	*list = append(*list, strings.TrimPrefix(key, "@"))
}

// usualTrees are where a phase's own reads and writes go; past maxFiles
// only paths outside them are recorded.
var usualTrees = []string{GuestWork + "/", "/tmp/", "/usr/", "/lib/", "/lib64/", "/bin/", "/sbin/", "/proc/", "/dev/", "/sys/"}

// file records an access to guest path p. A failed access is recorded
// only when it was refused (EACCES, EPERM, EROFS): a missing file is the
// runtime's search, a refusal an attempt. Through links the sandbox made,
// p may name another file: that is recorded too. Opens follow a link in
// p's last component; unlink, rename, mkdir and link do not (nofollow).
func (t *tracer) file(p string, read, write, del bool, errno int) {
	t.fileAt(p, read, write, del, errno, true)
}

func (t *tracer) fileNoFollow(p string, read, write, del bool, errno int) {
	t.fileAt(p, read, write, del, errno, false)
}

func (t *tracer) fileAt(p string, read, write, del bool, errno int, follow bool) {
	if p == "" {
		return
	}
	denied := false
	switch errno {
	case 0:
	case errnoEACCES, errnoEPERM, errnoEROFS:
		denied = true
	default:
		return
	}
	alias := ""
	if follow {
		alias = t.throughLinks(p)
	} else if dir := t.throughLinks(path.Dir(p)); dir != "" {
		alias = path.Join(dir, path.Base(p))
	}
	if alias != "" {
		t.file1(alias, read, write, del, denied)
	}
	t.file1(p, read, write, del, denied)
}

func (t *tracer) file1(p string, read, write, del, denied bool) {
	if i, ok := t.fileIdx[p]; ok {
		f := &t.files[i]
		f.Read = f.Read || read
		f.Write = f.Write || write
		f.Delete = f.Delete || del
		f.Denied = f.Denied && denied
		return
	}
	if len(t.files) >= maxFiles {
		notable := !slices.ContainsFunc(usualTrees, func(tree string) bool { return strings.HasPrefix(p, tree) })
		if !notable || len(t.files) >= maxFiles+maxNotable {
			t.dropped++
			return
		}
	}
	t.fileIdx[p] = len(t.files)
	t.files = append(t.files, File{Path: p, Read: read, Write: write, Delete: del, Denied: denied})
}

// resolve makes path argument parg ("0x7f.. name") absolute: against the
// directory of descriptor argument fdarg ("AT_FDCWD /work", "0x3 /work/d"),
// or the process's working directory when fdarg is "".
func (t *tracer) resolve(pid int, fdarg, parg string) string {
	p := pathArg(parg)
	if p == "" {
		return ""
	}
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	dir := ""
	if fdarg != "" {
		fd, fdpath := fdArgPath(fdarg)
		cwd := strings.HasPrefix(fdarg, "AT_FDCWD")
		switch {
		case path.IsAbs(fdpath):
			dir = path.Clean(fdpath)
			if pr := t.procs[pid]; pr != nil && cwd {
				pr.cwd = dir
			}
		case !cwd:
			if pr := t.procs[pid]; pr != nil {
				dir = pr.paths[fd]
			}
		}
	}
	if !path.IsAbs(dir) {
		if pr := t.procs[pid]; pr != nil {
			dir = pr.cwd
		} else {
			dir = t.cwd
		}
	}
	return path.Join(dir, p)
}

// fdArg returns the descriptor argument for a bare descriptor number h
// ("0x3", "0xffffffffffffff9c" for AT_FDCWD), with the path of other, an
// argument of the same call that names the same descriptor with its path.
func (t *tracer) fdArg(pid int, h, other string) string {
	if h == "AT_FDCWD" || h == "0xffffffffffffff9c" || h == "-100" {
		return "AT_FDCWD"
	}
	fd, _ := fdArgPath(h)
	if ofd, opath := fdArgPath(other); fd == ofd && opath != "" {
		return other
	}
	return h
}

// fdArgPath splits a descriptor argument "0x3 /work/d" into 3 and
// "/work/d"; AT_FDCWD is -100.
func fdArgPath(s string) (int, string) {
	tok, p, _ := strings.Cut(s, " ")
	if tok == "AT_FDCWD" {
		return -100, p
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(tok, "0x"), 16, 64)
	if err != nil || !strings.HasPrefix(tok, "0x") {
		if n, err := strconv.Atoi(tok); err == nil {
			return n, p
		}
		return -1, p
	}
	return int(int32(n)), p
}

// pathArg returns the path of a path argument "0x7f.. /etc/hosts".
func pathArg(s string) string {
	_, p, found := strings.Cut(s, " ")
	if !found || strings.HasPrefix(p, "(error") {
		return ""
	}
	return p
}

// vecArg returns the strings of a vector argument `0x55.. ["a", "b"]`.
func vecArg(s string) []string {
	_, v, _ := strings.Cut(s, " ")
	out, _, _ := parseVec(v)
	return out
}

// parseVec parses a printed string vector `["a", "b\n"]` at the start of
// s and returns its elements, the bytes consumed and whether it was
// complete.
func parseVec(s string) ([]string, int, bool) {
	if !strings.HasPrefix(s, "[") {
		return nil, 0, false
	}
	var out []string
	i := 1
	for {
		if strings.HasPrefix(s[i:], "]") {
			return out, i + 1, true
		}
		if len(out) > 0 {
			if !strings.HasPrefix(s[i:], ", ") {
				return out, i, false
			}
			i += 2
		}
		if strings.HasPrefix(s[i:], "...]") {
			return append(out, "..."), i + 4, true
		}
		q, err := strconv.QuotedPrefix(s[i:])
		if err != nil {
			return out, i, false
		}
		u, err := strconv.Unquote(q)
		if err != nil {
			return out, i, false
		}
		out = append(out, u)
		i += len(q)
	}
}

// argKind is the grammar of one printed syscall argument.
type argKind int

const (
	kFD    argKind = iota // AT_FDCWD /dir, 0x3 /dir, 0x3
	kPath                 // 0x7f.. /some/path (raw, anything)
	kHex                  // 0x3, 12, AT_FDCWD, null
	kFlags                // O_RDONLY|O_CLOEXEC, 0x0
	kMode                 // 0o644
	kVec                  // 0x55.. ["a", "b"], 0x0 null, 0x55.. {error ...}
	kRest                 // anything, last
)

// splitArgs returns the readings of args as len(kinds) arguments of those
// kinds, split at ", ": at most maxReadings, within splitBudget steps.
func splitArgs(args string, kinds ...argKind) [][]string {
	var out [][]string
	budget := splitBudget
	acc := make([]string, 0, len(kinds))
	var rec func(s string, kinds []argKind)
	rec = func(s string, kinds []argKind) {
		if len(out) >= maxReadings || budget <= 0 {
			return
		}
		budget--
		if len(kinds) == 1 {
			if matchArg(kinds[0], s) {
				out = append(out, append(slices.Clone(acc), s))
			}
			return
		}
		for i := 0; i < len(s) && budget > 0; {
			j := strings.Index(s[i:], ", ")
			if j < 0 {
				return
			}
			j += i
			i = j + 2
			budget--
			if !startsArg(kinds[1], s[j+2:]) || !matchArg(kinds[0], s[:j]) {
				continue
			}
			acc = append(acc, s[:j])
			rec(s[j+2:], kinds[1:])
			acc = acc[:len(acc)-1]
		}
	}
	rec(args, kinds)
	return out
}

// startsArg reports whether s may begin an argument of kind k.
func startsArg(k argKind, s string) bool {
	switch k {
	case kFD, kHex:
		return strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "AT_FDCWD") || strings.HasPrefix(s, "null") ||
			len(s) > 0 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9')
	case kPath, kVec:
		return strings.HasPrefix(s, "0x")
	case kFlags:
		return len(s) > 0 && (s[0] >= 'A' && s[0] <= 'Z' || s[0] >= '0' && s[0] <= '9')
	case kMode:
		return strings.HasPrefix(s, "0o")
	}
	return true
}

// matchArg reports whether s is a whole argument of kind k.
func matchArg(k argKind, s string) bool {
	switch k {
	case kFD:
		tok, _, _ := strings.Cut(s, " ")
		return tok == "AT_FDCWD" || isNum(tok)
	case kPath:
		tok, _, _ := strings.Cut(s, " ")
		return strings.HasPrefix(tok, "0x") && isNum(tok)
	case kHex:
		return s == "AT_FDCWD" || s == "null" || isNum(s)
	case kFlags:
		if s == "" {
			return false
		}
		for _, c := range s {
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '|' || c == 'x' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	case kMode:
		if len(s) < 3 || !strings.HasPrefix(s, "0o") {
			return false
		}
		for _, c := range s[2:] {
			if c < '0' || c > '7' {
				return false
			}
		}
		return true
	case kVec:
		tok, v, found := strings.Cut(s, " ")
		if !strings.HasPrefix(tok, "0x") || !isNum(tok) {
			return false
		}
		if !found || v == "null" || strings.HasPrefix(v, "{error") && strings.HasSuffix(v, "}") {
			return true
		}
		_, n, ok := parseVec(v)
		return ok && n == len(v)
	}
	return true
}

// isNum reports whether s is a hex (0x...) or decimal number.
func isNum(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	hex := false
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		digits, hex = h, true
	}
	if digits == "" {
		return false
	}
	for _, c := range digits {
		if !(c >= '0' && c <= '9' || hex && c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// finish completes the events: when the main process's exit was not
// seen (killed by a signal) and the phase did not time out, the
// processes alive at the end of the trace are the lingering ones.
func (t *tracer) finish(timedOut bool) {
	if !t.mainExited && !timedOut {
		t.snapshot()
	}
}

// fill copies the events into ph.
func (t *tracer) fill(ph *Phase) {
	ph.Files = append([]File{}, t.files...)
	ph.Commands = append([]Command{}, t.commands...)
	ph.Sockets = append([]Socket{}, t.sockets...)
	ph.DNS = append(append([]string{}, t.dnsNames...), t.dnsAddrs...)
	ph.Lingering = append([]Command(nil), t.lingering...)
	ph.Dropped = t.dropped
}
