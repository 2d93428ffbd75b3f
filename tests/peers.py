#!/usr/bin/env python3
"""Untrusted peers of the listening channels: the attack is tried and must
fail.

    tests/peers.py ./tinyqga

unix-listen: the agent runs as root, its socket is made 0666 (a wrong
umask or chmod), and a process that setuid()s to an unprivileged uid
connects: it must get no reply, the log must say why, and root must still
be served.  --peer-uids / --peer-gids (and the config keys) let it in.
Also the options themselves: --dump-conf, bad values, and that no prefix
qemu-ga accepts became ambiguous.  vsock-listen is tried in tests/vm/run,
where the guest kernel has a loopback transport.

Needs root for the setuid child: otherwise those checks print SKIP.
Ends with "N passed, M failed, K skipped".
"""
import os
import re
import socket
import sys
import tempfile

NOBODY = 65534
# qemu-ga's long options (getopt_long accepts any unambiguous prefix)
QEMU_GA_LONGS = ['help', 'version', 'verbose', 'logfile', 'pidfile', 'fsfreeze-hook', 'method',
                 'path', 'daemonize', 'blacklist', 'block-rpcs', 'allow-rpcs', 'statedir',
                 'retry-path', 'config', 'dump-conf']


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import OK, PING, Run, ask, wait_for  # noqa: E402
from cli import run  # noqa: E402


def ask_as(sock, uid, gid, timeout=3):
    """guest-ping from a child that dropped to uid/gid: ('connected',
    reply bytes), or (what failed, errno text)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(timeout)
            try:
                s.connect(sock)
            except OSError as e:
                os.write(w, b'connect:' + str(e).encode())
                os._exit(0)
            try:
                s.sendall(PING)
                out = s.recv(65536)
                os.write(w, b'connected:' + out)
            except (ConnectionResetError, BrokenPipeError):
                os.write(w, b'connected:')     # closed before or with our ping unread
            except OSError as e:
                os.write(w, b'error:' + str(e).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b''
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    what, _, rest = data.partition(b':')
    return what.decode(), rest


def Agent(b, *extra):
    """tinyqga on DIR/qga.sock in a directory others may enter, logging
    to DIR/log."""
    return lib.Agent(b, extra, env=dict(os.environ, QGA_CONF='/nonexistent'), dir_mode=0o755,
                     sock_name='qga.sock', logfile=True)


def options(r, b):
    rc, out, err = run(b, '-D', '-m', 'unix-listen', '-p', '/s', '--peer-cids=1,3',
                       '--peer-u', '1000,,5', '--peer-g=7')
    r.check('--dump-conf prints the peer keys that are set', rc == 0 and
            'peer-cids=1,3\n' in out and 'peer-uids=1000,5\n' in out and 'peer-gids=7\n' in out,
            out + err)
    rc, out, _ = run(b, '-D')
    r.check('--dump-conf without them stays qemu-ga\'s (no peer keys)',
            rc == 0 and 'peer-' not in out, out)
    d = tempfile.mkdtemp()
    conf = d + '/qga.conf'
    with open(conf, 'w') as f:
        f.write('[general]\npeer-cids=3\npeer-uids=65534\npeer-gids=100,101\n')
    rc, out, err = run(b, '-c', conf, '-D', '--peer-cids=4')
    r.check('config keys read; options add to the file\'s list', rc == 0 and
            'peer-cids=3,4\n' in out and 'peer-uids=65534\n' in out and
            'peer-gids=100,101\n' in out, out + err)
    with open(conf, 'w') as f:
        f.write(out)
    rc, out2, err = run(b, '-c', conf, '-D')
    r.check('--dump-conf reads back to the same peer lists', rc == 0 and out2 == out, (out, out2, err))
    for bad in ('x', '-1', '1;2', '4294967296', '1 2', ','.join(['1'] * 65)):
        rc, out, err = run(b, '-D', '--peer-uids=' + bad)
        r.check('bad --peer-uids %.20r: exit 1, one line' % bad,
                rc == 1 and not out and err.count('\n') == 1 and 'peer-uids' in err, (rc, err))
        with open(conf, 'w') as f:
            f.write('[general]\npeer-cids=%s\n' % bad)
        rc, out, err = run(b, '-c', conf, '-D')
        r.check('bad peer-cids %.20r in the file: exit 1, one line naming it' % bad,
                rc == 1 and not out and err.count('\n') == 1 and conf in err, (rc, err))
    r.check('--help documents them', all(o in run(b, '--help')[1]
                                         for o in ('--peer-cids', '--peer-uids', '--peer-gids')))
    # every prefix qemu-ga accepts still names the same option here
    broken = []
    flags = ('help', 'version', 'verbose', 'daemonize', 'retry-path', 'dump-conf')
    for name in QEMU_GA_LONGS:
        for n in range(1, len(name) + 1):
            pre = name[:n]
            hits = {o for o in QEMU_GA_LONGS if o.startswith(pre)}
            # getopt_long: unique, exact, or all the same option (-b)
            if pre != name and len(hits) > 1 and hits != {'block-rpcs', 'blacklist'}:
                continue
            rc, out, err = run(b, '-D', '--' + pre if name in flags else '--%s=x' % pre)
            if 'ambiguous' in err or 'unrecognized' in err:
                broken.append(pre)
    r.check('no prefix qemu-ga accepts became ambiguous', not broken, broken)


def unix_peers(r, b):
    if os.geteuid() != 0:
        r.skip('unix-listen peers', 'needs root to setuid a client')
        return
    a = Agent(b)
    try:
        os.chmod(a.sock, 0o666)     # the mistake the check must survive
        what, out = ask_as(a.sock, NOBODY, NOBODY)
        r.check('socket 0666, uid %d connects: closed, no reply' % NOBODY,
                what == 'connected' and out == b'', (what, out))
        r.check('the refusal is logged with the uid', wait_for(
            lambda: re.search(r': error: refused unix peer uid %d gid %d' % (NOBODY, NOBODY),
                              a.log_text())), a.log_text())
        r.check('one line per refused peer', a.log_text().count('refused') == 1, a.log_text())
        r.check('root is still served afterwards', ask(a.sock) == OK)
        what, out = ask_as(a.sock, NOBODY, NOBODY)
        r.check('and the next untrusted peer is refused again', what == 'connected' and out == b'',
                (what, out))
        r.check('the agent keeps running', a.proc.poll() is None and ask(a.sock) == OK)
    finally:
        r.check('SIGTERM exits 0', a.stop() == 0)

    a = Agent(b, '--peer-uids=%d' % NOBODY)
    try:
        os.chmod(a.sock, 0o666)
        r.check('--peer-uids names the uid: it is served', ask_as(a.sock, NOBODY, NOBODY) ==
                ('connected', OK))
        res = ask_as(a.sock, NOBODY - 1, NOBODY - 1)
        r.check('another uid still refused', res == ('connected', b''), res)
        r.check('no refusal logged for the listed uid', a.log_text().count('refused') == 1,
                a.log_text())
    finally:
        a.stop()

    a = Agent(b, '--peer-gids=%d' % NOBODY)
    try:
        os.chmod(a.sock, 0o666)
        r.check('--peer-gids names the primary gid: uid %d is served' % (NOBODY - 1),
                ask_as(a.sock, NOBODY - 1, NOBODY) == ('connected', OK))
        r.check('the same uid with another gid is refused',
                ask_as(a.sock, NOBODY - 1, NOBODY - 1) == ('connected', b''))
    finally:
        a.stop()

    conf = tempfile.mkdtemp() + '/qga.conf'
    with open(conf, 'w') as f:
        f.write('[general]\npeer-uids=%d\n' % NOBODY)
    a = Agent(b, '-c', conf)
    try:
        r.check('the socket is still created 0600', os.stat(a.sock).st_mode & 0o777 == 0o600)
        os.chmod(a.sock, 0o666)
        r.check('peer-uids from the config file: served', ask_as(a.sock, NOBODY, NOBODY) ==
                ('connected', OK))
    finally:
        a.stop()


def main():
    args = sys.argv[1:]
    b = lib.binary(args)
    r = Run()
    options(r, b)
    unix_peers(r, b)
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
