"""What every suite shares.

Run counts PASS, FAIL and SKIP lines and ends a suite with
"N passed, M failed, K skipped".  Temp dirs: importing this module makes
one root per suite process (tempfile's default dir and the TMPDIR of the
programs it runs from then on), removed at exit, also on failure, SIGINT, SIGTERM or SIGHUP.  binary() copies the
binary under test into that root, where a test's unprivileged user can run
it wherever the checkout lives.  Agent runs it on a unix socket in its own
temp dir and is ready once a guest-ping is answered; Session talks to it
request by request; ask sends one request on a connection of its own.
"""

import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SLOW = float(os.environ.get('TINYQGA_TEST_SLOW', '1'))
PING = b'{"execute":"guest-ping"}'
OK = b'{"return": {}}\n'


class Run:
    def __init__(self, only=()):
        self.passed = self.failed = self.skipped = 0
        self.only = list(only)

    def want(self, name):
        return not self.only or any(o in name for o in self.only)

    def check(self, name, ok, detail=''):
        if ok:
            self.passed += 1
            print('PASS', name)
        else:
            self.failed += 1
            print('FAIL', name, detail)
        return ok

    def skip(self, name, why):
        self.skipped += 1
        print('SKIP %s: %s' % (name, why))

    def done(self):
        """The suite's last line; its exit status."""
        print('%d passed, %d failed, %d skipped' % (self.passed, self.failed, self.skipped))
        return 1 if self.failed else 0


def _on_signal(sig, frame):
    raise SystemExit(128 + sig)     # unwinds: finally blocks and atexit run


def _make_root():
    name = os.path.splitext(os.path.basename(sys.argv[0] or 'suite'))[0]
    root = tempfile.mkdtemp(prefix='tqga-%s-' % name)
    os.chmod(root, 0o755)           # a test's unprivileged user walks through it
    owner = os.getpid()             # not a forked child's exit

    def remove():
        if os.getpid() == owner:
            shutil.rmtree(root, ignore_errors=True)
    atexit.register(remove)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    tempfile.tempdir = root
    os.environ['TMPDIR'] = root     # and the tools a suite runs (lintian's leftovers)
    return root


ROOT = _make_root()


def binary(args, default='./tinyqga'):
    """The binary named by the first argument unless it is an option, copied
    into ROOT/bin (both 0755): a checkout under /root (0700) is out of
    reach of the users the tests run it as."""
    name = args[0] if args and not args[0].startswith('-') else default
    d = os.path.join(ROOT, 'bin')
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    dst = os.path.join(d, os.path.basename(name))
    shutil.copy(name, dst)
    os.chmod(dst, 0o755)
    return dst


def wait_for(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def alive(pid):
    """pid is a process, not a zombie."""
    try:
        return open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def read_reply(s, buf=b''):
    """One reply line from socket s, 0xff delimiters before it skipped:
    (line, what came after it).  A large reply is gathered in chunks, not
    by growing one bytes object.  EOFError if the agent closes first."""
    parts, d = [], buf.lstrip(b'\xff')
    while b'\n' not in d:
        parts.append(d)
        d = s.recv(1 << 20)
        if not d:
            raise EOFError('agent closed the connection')
        if not any(parts):
            d = d.lstrip(b'\xff')
    head, rest = d.split(b'\n', 1)
    parts.append(head)
    return b''.join(parts), rest


def request(cmd, args):
    req = {'execute': cmd}
    if args:
        req['arguments'] = {k.replace('_', '-'): v for k, v in args.items()}
    return json.dumps(req).encode()


def ask(sock, data=PING, timeout=3):
    """Send data on a connection of its own; what came back up to the
    first newline, or up to the agent's close (b'': closed unanswered)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        s.sendall(data)
        out = b''
        while b'\n' not in out:
            d = s.recv(65536)
            if not d:
                break
            out += d
        return out
    finally:
        s.close()


def answers(sock, timeout=3):
    """A guest-ping on sock is answered {"return": {}}."""
    try:
        return ask(sock, PING, timeout) == OK
    except OSError:
        return False


class Agent:
    """tinyqga (or qemu-ga) with -m unix-listen -p DIR/sock -t DIR (or
    DIR/statedir, or statedir if absolute) and extra, in its own temp dir
    DIR; -f DIR/pid and -l DIR/log if asked; its stderr in DIR/stderr; as
    uid and gid `user` if given.
    Ready once a guest-ping on the socket is answered (any reply: a test
    may block guest-ping)."""

    def __init__(self, binary, extra=(), env=None, statedir=None, dir_mode=None,
                 sock_name='sock', pidfile=False, logfile=False, pass_fds=(),
                 preexec_fn=None, user=None, ready=True):
        self.dir = tempfile.mkdtemp(prefix='tqga-agent-')
        if dir_mode is not None:
            os.chmod(self.dir, dir_mode)
        if user is not None:        # run as uid and gid `user`, in a dir of its own
            os.chown(self.dir, user, user)

            def drop(then=preexec_fn):
                os.setgroups([])
                os.setgid(user)
                os.setuid(user)
                if then:
                    then()
            preexec_fn = drop
        self.sock = os.path.join(self.dir, sock_name)
        self.log = os.path.join(self.dir, 'log')
        self.stderr = os.path.join(self.dir, 'stderr')
        self.pidfile = os.path.join(self.dir, 'pid')
        extra = ((['-f', self.pidfile] if pidfile else []) +
                 (['-l', self.log] if logfile else []) + list(extra))
        with open(self.stderr, 'wb') as err:
            self.proc = subprocess.Popen(
                [binary, '-m', 'unix-listen', '-p', self.sock,
                 '-t', os.path.join(self.dir, statedir) if statedir else self.dir] +
                extra, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                env=env, pass_fds=pass_fds, preexec_fn=preexec_fn)
        self.pid = self.proc.pid
        if ready:
            self.wait_ready()

    def wait_ready(self, timeout=5.0):
        end = time.monotonic() + timeout * SLOW
        while True:
            try:
                if ask(self.sock, PING, timeout=timeout * SLOW):
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError('agent did not start: %r' % self.stderr_text())
            time.sleep(0.01)

    def connect(self):
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        return s

    def exchange(self, data, want_len=None, timeout=2.0, chunk=None):
        """Send data on a connection of its own (in a thread, so big
        replies cannot deadlock us) and read until want_len bytes or
        `timeout` seconds of silence; then close politely (shut down our
        side, drain theirs)."""
        # a reply still owed may take long on an instrumented agent; a
        # silence is only waited out
        timeout *= SLOW if want_len is None else SLOW * 6
        s = self.connect()

        def send():
            try:
                if chunk:
                    for i in range(0, len(data), chunk):
                        s.sendall(data[i:i + chunk])
                else:
                    s.sendall(data)
            except OSError:
                pass
        t = threading.Thread(target=send)
        t.start()
        out = bytearray()
        while want_len is None or len(out) < want_len:
            r, _, _ = select.select([s], [], [], timeout)
            if not r:
                break
            d = s.recv(1 << 20)
            if not d:
                break
            out += d
        t.join()
        s.shutdown(socket.SHUT_WR)
        s.settimeout(0.2)
        try:
            while s.recv(1 << 16):
                pass
        except OSError:
            pass
        s.close()
        return bytes(out)

    def stderr_text(self):
        try:
            return open(self.stderr, errors='replace').read()
        except OSError:
            return ''

    def log_text(self):
        try:
            return open(self.log).read()
        except OSError:
            return ''

    def status(self, key):
        """A number from /proc/PID/status, e.g. 'VmRSS:' in kB."""
        with open('/proc/%d/status' % self.pid) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])

    def rss_kb(self):
        return self.status('VmRSS:')

    def children(self):
        """(pid, state) of the agent's children; state Z is a zombie."""
        kids = []
        for p in os.listdir('/proc'):
            try:
                f = open('/proc/%s/stat' % p).read().rsplit(')', 1)[1].split()
            except (OSError, IndexError):
                continue
            if f[1] == str(self.pid):
                kids.append((int(p), f[0]))
        return kids

    def stop(self):
        """SIGTERM (SIGKILL after 5 s), remove DIR; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


class Session:
    """One connection (to an Agent or a socket path), request by request."""

    def __init__(self, agent, timeout=30):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout * SLOW)
        self.s.connect(agent if isinstance(agent, str) else agent.sock)
        self.rest = b''

    def raw(self, data):
        """Send bytes, return the reply line."""
        self.s.sendall(data)
        line, self.rest = read_reply(self.s, self.rest)
        return line

    def __call__(self, cmd, **args):
        return json.loads(self.raw(request(cmd, args)))

    def replies(self, n):
        """The next n reply lines (for requests sent pipelined)."""
        out = []
        for _ in range(n):
            line, self.rest = read_reply(self.s, self.rest)
            out.append(line)
        return out

    def close(self):
        self.s.close()
