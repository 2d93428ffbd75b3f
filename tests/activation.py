#!/usr/bin/env python3
"""systemd socket activation: tinyqga started the way systemd starts a
socket-activated service.  The test binds and listens on a unix socket,
forks, puts the socket on descriptor 3 of the child, sets LISTEN_FDS=1
and LISTEN_PID to the child's own pid, and execs the agent with
`-m unix-listen` and no -p.

    tests/activation.py ./tinyqga

Checked: the agent answers on the inherited socket, one client after
another; it leaves the socket file in place at exit (systemd owns it);
guest-exec children see no LISTEN_* variable and do not hold the socket;
-m/-p that contradict the socket are set aside with a warning; LISTEN_PID
of another process means no activation; a descriptor 3 that is no
listening unix stream socket, or LISTEN_FDS=2, ends the agent with one
line and status 1; a listener shut down under the agent ends it; peers are
filtered as on a socket of the agent's own (the uid check needs root,
else SKIP).  Ends with "N passed, M failed, K skipped".
"""
import base64
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import OK, Run, Session, answers, ask, wait_for  # noqa: E402
from peers import NOBODY, ask_as  # noqa: E402

LISTEN_VARS = ('LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES')


def start(b, args, fd3, listen_pid=None, listen_fds='1'):
    """Fork and exec the agent as systemd would: fd3 on descriptor 3 (None:
    descriptor 3 closed), LISTEN_PID the child's pid unless given.
    Returns (pid, read end of its stderr)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(w, 2)
            if fd3 is None:
                try:
                    os.close(3)
                except OSError:
                    pass
            else:
                if fd3 != 3:
                    os.dup2(fd3, 3)
                os.set_inheritable(3, True)    # dup2 onto itself keeps CLOEXEC
            env = dict(os.environ, QGA_CONF='/nonexistent', LISTEN_FDS=listen_fds,
                       LISTEN_FDNAMES='qga',
                       LISTEN_PID=str(os.getpid() if listen_pid is None else listen_pid))
            os.execve(b, [b] + list(args), env)
        finally:
            os._exit(127)
    os.close(w)
    return pid, r


def wait_status(pid, timeout=5.0):
    """Exit status, or None if still running after timeout."""
    end = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > end:
            return None
        time.sleep(0.02)


def read_all(fd):
    out = b''
    os.set_blocking(fd, False)
    try:
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            out += chunk
    except BlockingIOError:
        pass
    os.close(fd)
    return out.decode(errors='replace')


def listener(path):
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    os.chmod(path, 0o600)       # SocketMode=0600
    s.listen(4)
    return s


class Activated:
    """An activated agent on DIR/qga.sock, logging to DIR/log."""

    def __init__(self, b, *extra, sock_path=None):
        self.d = tempfile.mkdtemp(prefix='tqga-act-')
        os.chmod(self.d, 0o755)
        self.sock = sock_path or self.d + '/qga.sock'
        self.log = self.d + '/log'
        self.pidfile = self.d + '/pid'
        self.lsock = listener(self.sock)
        self.pid, self.err = start(b, ['-m', 'unix-listen', '-t', self.d, '-f', self.pidfile,
                                       '-l', self.log] + list(extra), self.lsock.fileno())
        self.status = None

    def log_text(self):
        try:
            return open(self.log).read()
        except OSError:
            return ''

    def stop(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.status = wait_status(self.pid)
            if self.status is None:
                os.kill(self.pid, signal.SIGKILL)
                wait_status(self.pid)
        return self.status

    def cleanup(self):
        self.stop()
        self.lsock.close()
        read_all(self.err)
        shutil.rmtree(self.d, ignore_errors=True)


def exec_output(q, path, args):
    pid = q('guest-exec', path=path, arg=args, **{'capture-output': True})['return']['pid']
    end = time.monotonic() + 10
    while time.monotonic() < end:
        st = q('guest-exec-status', pid=pid)['return']
        if st.get('exited'):
            return base64.b64decode(st.get('out-data', '')).decode(errors='replace')
        time.sleep(0.05)
    return None


def serving(r, b):
    a = Activated(b, '-v')
    try:
        r.check('activated, no -p: guest-ping answered on the inherited socket',
                ask(a.sock) == OK, a.log_text())
        q = Session(a.sock, timeout=5)
        info = q('guest-info')
        r.check('guest-info answered', 'version' in info.get('return', {}), info)
        q.close()
        r.check('a second connection after the first closed is served', ask(a.sock) == OK)
        r.check('the log names the method and the socket',
                re.search(r'serving unix-listen on %s\n' % re.escape(a.sock), a.log_text()),
                a.log_text())
        r.check('no warning when -m agrees and no -p', 'warning' not in a.log_text(),
                a.log_text())
        q = Session(a.sock, timeout=5)
        env = exec_output(q, '/usr/bin/env', [])
        r.check('guest-exec /usr/bin/env: no LISTEN_* variable',
                env is not None and not any(v in env for v in LISTEN_VARS), env)
        ino = 'socket:[%d]' % os.fstat(a.lsock.fileno()).st_ino
        fds = exec_output(q, '/bin/sh', ['-c', 'for f in /proc/$$/fd/*; do readlink $f; done'])
        r.check('a guest-exec child does not hold the inherited socket',
                fds is not None and ino not in fds, (ino, fds))
        q.close()
        r.check('SIGTERM: exit 0', a.stop() == 0, a.log_text())
        r.check('the socket file is left in place (systemd owns it)', os.path.exists(a.sock))
    finally:
        a.cleanup()

    # as under systemd: the socket stays, the next start takes it again
    a = Activated(b, '-d')
    try:
        r.check('-d: the parent exits 0', wait_status(a.pid) == 0, a.log_text())
        a.status = 0
        r.check('-d: the daemon serves the inherited socket', ask(a.sock) == OK, a.log_text())
        dpid = int(open(a.pidfile).read())
        os.kill(dpid, signal.SIGTERM)
        r.check('-d: SIGTERM ends the daemon, pid file gone, socket file kept',
                wait_for(lambda: not os.path.exists(a.pidfile)) and os.path.exists(a.sock))
    finally:
        a.cleanup()


def conflicts(r, b):
    d = tempfile.mkdtemp(prefix='tqga-act-')
    a = Activated(b, '-v', '-m', 'vsock-listen', '-p', d + '/other.sock')
    try:
        r.check('-m vsock-listen -p PATH with a unix socket: the socket wins, served',
                ask(a.sock) == OK, a.log_text())
        log = a.log_text()
        r.check('each set-aside option is one warning line (-v)',
                'warning: socket activation: method vsock-listen ignored' in log and
                'warning: socket activation: path %s/other.sock ignored' % d in log, log)
        r.check('the socket named by -p was not created', os.listdir(d) == [], os.listdir(d))
    finally:
        a.cleanup()
        shutil.rmtree(d, ignore_errors=True)
    a = Activated(b, '-m', 'bogus')
    try:
        r.check('-m with an unknown method: set aside too, as qemu-ga', ask(a.sock) == OK,
                a.log_text())
    finally:
        a.cleanup()


def not_activated(r, b):
    d = tempfile.mkdtemp(prefix='tqga-act-')
    try:
        s = listener(d + '/qga.sock')
        # LISTEN_PID of another process: the variables are not for us
        pid, err = start(b, ['-m', 'unix-listen', '-t', d, '-f', d + '/pid'], s.fileno(),
                         listen_pid=1)
        rc, text = wait_status(pid), read_all(err)
        r.check('LISTEN_PID not ours: ignored, -p required as without activation',
                rc == 1 and text == 'critical: must specify a path for this channel\n', (rc, text))
        pid, err = start(b, ['-m', 'unix-listen', '-t', d, '-f', d + '/pid'], s.fileno(),
                         listen_fds='0')
        rc, text = wait_status(pid), read_all(err)
        r.check('LISTEN_FDS=0: no activation', rc == 1 and 'must specify a path' in text,
                (rc, text))
        # ignored variables are still not handed on
        sock2 = d + '/own.sock'
        pid, err = start(b, ['-m', 'unix-listen', '-p', sock2, '-t', d, '-f', d + '/pid',
                             '-l', d + '/log'], s.fileno(), listen_pid=1)
        try:
            wait_for(lambda: answers(sock2))
            r.check('LISTEN_PID not ours, -p given: its own socket served',
                    ask(sock2) == OK, open(d + '/log').read())
            q = Session(sock2, timeout=5)
            env = exec_output(q, '/usr/bin/env', [])
            q.close()
            r.check('and the ignored LISTEN_* are not handed to guest-exec',
                    env is not None and not any(v in env for v in LISTEN_VARS), env)
        finally:
            os.kill(pid, signal.SIGTERM)
            wait_status(pid)
            read_all(err)
        s.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def bad_descriptors(r, b):
    d = tempfile.mkdtemp(prefix='tqga-act-')
    try:
        args = ['-m', 'unix-listen', '-t', d, '-f', d + '/pid']
        f = open(d + '/file', 'w')
        unbound = socket.socket(socket.AF_UNIX)
        connected = socket.socketpair()
        dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        dgram.bind(d + '/dgram')
        tcp = socket.socket(socket.AF_INET)
        tcp.bind(('127.0.0.1', 0))
        tcp.listen(1)
        good = listener(d + '/good.sock')
        cases = [(f.fileno(), '1', 'is not a socket', 'a regular file'),
                 (None, '1', 'is not open', 'closed'),
                 (unbound.fileno(), '1', 'is not listening', 'a socket not listening'),
                 (connected[0].fileno(), '1', 'is not listening', 'a connected socket'),
                 (dgram.fileno(), '1', 'is not a stream socket', 'a datagram socket'),
                 (tcp.fileno(), '1', 'is neither a unix nor a vsock socket', 'a TCP listener'),
                 (good.fileno(), '2', 'LISTEN_FDS=2', 'LISTEN_FDS=2')]
        for fd, nfds, want, what in cases:
            pid, err = start(b, args, fd, listen_fds=nfds)
            rc, text = wait_status(pid), read_all(err)
            r.check('descriptor 3 %s: exit 1, one line saying so' % what,
                    rc == 1 and text.count('\n') == 1 and text.startswith('critical: ') and
                    want in text, (rc, text))
        r.check('nothing left behind by the refusals',
                sorted(os.listdir(d)) == ['dgram', 'file', 'good.sock'], os.listdir(d))
        for s in (unbound, connected[0], connected[1], dgram, tcp, good):
            s.close()
        f.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def failures(r, b):
    a = Activated(b)
    try:
        r.check('served before the listener is shut down', ask(a.sock) == OK)
        a.lsock.shutdown(socket.SHUT_RDWR)     # the other holder, as systemd could
        a.status = wait_status(a.pid)
        r.check('listener shut down: the agent ends (status 0, as qemu-ga without -r)',
                a.status == 0, (a.status, a.log_text()))
        r.check('the log says it cannot be reopened',
                'inherited from systemd, it cannot be reopened' in a.log_text(), a.log_text())
        r.check('the socket file is left in place', os.path.exists(a.sock))
    finally:
        a.cleanup()
    a = Activated(b, '-r')
    try:
        r.check('-r: served', ask(a.sock) == OK)
        a.lsock.shutdown(socket.SHUT_RDWR)
        a.status = wait_status(a.pid)
        r.check('-r: an inherited listener is not reopened, the agent ends',
                a.status == 0, (a.status, a.log_text()))
        r.check('-r: no retry attempted', 'restarting' not in a.log_text(), a.log_text())
    finally:
        a.cleanup()
    # state directory unusable after the channel is taken: exit 1, systemd's socket kept
    d = tempfile.mkdtemp(prefix='tqga-act-')
    try:
        s = listener(d + '/qga.sock')
        open(d + '/notadir', 'w').close()
        pid, err = start(b, ['-m', 'unix-listen', '-t', d + '/notadir/state', '-f', d + '/pid'],
                         s.fileno())
        rc, text = wait_status(pid), read_all(err)
        r.check('unusable state directory: exit 1, the inherited socket file not removed',
                rc == 1 and os.path.exists(d + '/qga.sock'), (rc, text))
        s.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def peers(r, b):
    if os.geteuid() != 0:
        r.skip('refused peers on the inherited socket', 'needs root to setuid a client')
        return
    a = Activated(b)
    try:
        os.chmod(a.sock, 0o666)     # a SocketMode= too wide
        what, out = ask_as(a.sock, NOBODY, NOBODY)
        r.check('inherited socket 0666, uid %d connects: closed, no reply' % NOBODY,
                what == 'connected' and out == b'', (what, out))
        r.check('the refusal is logged with the uid and the socket', wait_for(
            lambda: re.search(r'refused unix peer uid %d gid %d .* on %s' %
                              (NOBODY, NOBODY, re.escape(a.sock)), a.log_text())), a.log_text())
        r.check('root is still served afterwards', ask(a.sock) == OK)
    finally:
        a.cleanup()
    a = Activated(b, '--peer-uids=%d' % NOBODY)
    try:
        os.chmod(a.sock, 0o666)
        r.check('--peer-uids applies to the inherited socket too',
                ask_as(a.sock, NOBODY, NOBODY) == ('connected', OK))
    finally:
        a.cleanup()


def main():
    args = sys.argv[1:]
    b = lib.binary(args)
    r = Run()
    for part in (serving, conflicts, not_activated, bad_descriptors, failures, peers):
        try:
            part(r, b)
        except Exception as e:     # a broken part is a failure, the others still run
            r.check('%s ran to the end' % part.__name__, False, repr(e))
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
