# Inert fixture for sapper's strace parser tests: every file under /work
# or the sandbox home, every address 127.0.0.1 or ::1, every name .invalid.
import ctypes, os, signal, socket

os.chdir("/work")
open("/home/sandbox/.aws/credentials").read()
open("plain.txt", "w").write("x")
open("a b, c.txt", "w").write("x")               # ", " in a path
open("nl\nx, O_RDONLY, 0o0", "w").write("x")     # newline and fake flags
os.rename("a b, c.txt", "renamed.txt")
os.unlink("renamed.txt")
os.unlink("nl\nx, O_RDONLY, 0o0")
os.mkdir("d")
fd = os.open("d", os.O_RDONLY)
os.close(os.open("f", os.O_RDWR | os.O_CREAT, dir_fd=fd))
os.rename("f", "g", src_dir_fd=fd, dst_dir_fd=fd)
os.unlink("g", dir_fd=fd)
os.close(fd)
os.rmdir("d")
os.symlink("/home/sandbox/.ssh/id_rsa", "/work/key")
for p in ("/usr/evil", "/etc/evil"):
    try:
        open(p, "w")
    except OSError:
        pass
try:
    open("/root/.ssh/id_rsa")
except OSError:
    pass
os.chdir("/home/sandbox")
open(".ssh/id_ed25519").read()                    # relative to a chdir

s = socket.socket()
try:
    s.connect(("127.0.0.1", 9))
except OSError:
    pass
s6 = socket.socket(socket.AF_INET6)
try:
    s6.connect(("::1", 9))
except OSError:
    pass
u = socket.socket(socket.AF_UNIX)
try:
    u.connect("\0abstract-sapper")
except OSError:
    pass
srv = socket.socket()
srv.bind(("127.0.0.1", 8123))
d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05query\x07invalid\x00\x00\x01\x00\x01"
d.sendmsg([q], [], 0, ("127.0.0.1", 53))
d.sendto(b"hi", ("127.0.0.1", 9999))
try:
    socket.getaddrinfo("lookup.invalid", 80)
except OSError:
    pass

# A child killed by a signal and reaped with waitid: not lingering.
p = os.fork()
if p == 0:
    os.kill(os.getpid(), signal.SIGKILL)
os.waitid(os.P_PID, p, os.WEXITED)
# A child that execs and exits, reaped with wait4.
p = os.fork()
if p == 0:
    os.execv("/bin/sh", ["sh", "-c", "echo 'q\"uo\\te' >/dev/null"])
os.waitpid(p, 0)
# A process name that looks like a syscall.
ctypes.CDLL(None).prctl(15, b"a X openat(b", 0, 0, 0)
open("/home/sandbox/.npmrc").read()
# A detached process outliving the main one.
if os.fork() == 0:
    os.setsid()
    os.execv("/bin/sleep", ["sleep", "30"])
