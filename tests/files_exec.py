#!/usr/bin/env python3
"""guest-file-* and guest-exec: round trips on temp files, the memory bound
of a 48 MiB read, and execs that misbehave.  With /usr/sbin/qemu-ga
installed, the file round trip is also run on it and the replies compared.

    tests/files_exec.py ./tinyqga [--no-ref] [--quick]

Ends with "N passed, M failed, K skipped".
"""
import base64
import json
import os
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import Agent, Run, Session  # noqa: E402


def b64(b):
    return base64.b64encode(b).decode()


def ret(r):
    return r.get('return') if isinstance(r, dict) else None


def err(r):
    return (r.get('error') or {}).get('desc') if isinstance(r, dict) else None


def file_roundtrip(q, path):
    """The same steps on any agent; the replies with the handle masked."""
    out = []
    h = ret(q('guest-file-open', path=path, mode='w+'))
    for step in (('guest-file-write', dict(buf_b64=b64(b'Hello World!\n\0'))),
                 ('guest-file-read', {}),
                 ('guest-file-seek', dict(offset=0, whence='set')),
                 ('guest-file-read', dict(count=5)),
                 ('guest-file-read', dict(count=100)),
                 ('guest-file-read', {}),
                 ('guest-file-seek', dict(offset=-3, whence=2)),
                 ('guest-file-read', {}),
                 ('guest-file-seek', dict(offset=20, whence='cur')),
                 ('guest-file-write', dict(buf_b64=b64(b'tail'), count=2)),
                 ('guest-file-flush', {}),
                 ('guest-file-seek', dict(offset=0, whence=0)),
                 ('guest-file-read', dict(count=64)),
                 ('guest-file-close', {}),
                 ('guest-file-read', {})):
        out.append(q(step[0], handle=h, **step[1]))
    return [json.dumps(x).replace(str(h), 'H') for x in out], h


def files(r, b, ref):
    d = tempfile.mkdtemp(prefix='tqga-files-')
    st = d + '/state'
    a = Agent(b, ['-t', st])
    q = Session(a)
    try:
        got, h = file_roundtrip(q, d + '/rt.bin')
        r.check('handles start at 1000', h == 1000, h)
        r.check('round trip: hole after a seek past the end',
                open(d + '/rt.bin', 'rb').read() == b'Hello World!\n\0' + b'\0' * 20 + b'ta', got)
        r.check('read at end of file: count 0, eof, ""', '{"return": {"count": 0, "buf-b64": "", "eof": true}}'
                in got, got)
        r.check('reading exactly what is left: eof false', got[3] == json.dumps(
            {'return': {'count': 5, 'buf-b64': b64(b'Hello'), 'eof': False}}), got[3])
        r.check('closed handle', got[-1] == json.dumps({'error': {'class': 'GenericError',
                                                                   'desc': "handle 'H' has not been found"}}))
        if ref:
            os.makedirs(d + '/refstate')     # qemu-ga 7.2 does not create it
            rq = Agent(ref, ['-t', d + '/refstate'])
            rs = Session(rq)
            try:
                want, _ = file_roundtrip(rs, d + '/rt-ref.bin')
            finally:
                rs.close()
                rq.stop()
            r.check('round trip replies identical to qemu-ga', got == want,
                    [(x, y) for x, y in zip(got, want) if x != y])

        # every mode qemu-ga accepts, and what each does to an existing file
        modes = {'r': (b'old', False), 'rb': (b'old', False), 'r+': (b'new', False),
                 'rb+': (b'new', False), 'r+b': (b'new', False), 'w': (b'new', True),
                 'wb': (b'new', True), 'w+': (b'new', True), 'wb+': (b'new', True),
                 'w+b': (b'new', True), 'a': (b'oldnew', False), 'ab': (b'oldnew', False),
                 'a+': (b'oldnew', False), 'ab+': (b'oldnew', False), 'a+b': (b'oldnew', False)}
        ok = True
        for mode, (want, _) in modes.items():
            p = d + '/m-' + mode.replace('+', 'p')
            open(p, 'wb').write(b'old')
            fh = ret(q('guest-file-open', path=p, mode=mode))
            w = q('guest-file-write', handle=fh, buf_b64=b64(b'new'))
            q('guest-file-close', handle=fh)
            data = open(p, 'rb').read()
            if mode.startswith('r') and '+' not in mode:
                ok &= err(w) == 'failed to write to file: Bad file descriptor' and data == b'old'
            else:
                ok &= data == want and ret(w) == {'count': 3, 'eof': False}
        r.check('every open mode as qemu-ga', ok)
        for bad in ('x', 're', 'rw', ''):
            e = err(q('guest-file-open', path=d + '/x', mode=bad))
            ok &= e == "invalid file open mode '%s'" % bad
        r.check('bad modes refused, nothing created', ok and not os.path.exists(d + '/x'))

        fh = ret(q('guest-file-open', path=d + '/new.txt', mode='w'))
        q('guest-file-close', handle=fh)
        r.check('new files are 0644 (qemu-ga: 0666)',
                stat.S_IMODE(os.stat(d + '/new.txt').st_mode) == 0o644)
        r.check('missing file', err(q('guest-file-open', path=d + '/no/such')) ==
                "failed to open file '%s/no/such' (mode: 'r'): No such file or directory" % d)
        fh = ret(q('guest-file-open', path=d))
        r.check('a directory opens, reading it fails', err(q('guest-file-read', handle=fh)) ==
                'failed to read file: Is a directory')
        q('guest-file-close', handle=fh)

        fh = ret(q('guest-file-open', path=d + '/new.txt', mode='r'))
        r.check('seek errors and whence forms',
                err(q('guest-file-seek', handle=fh, offset=-1, whence='set')) ==
                'failed to seek file: Invalid argument' and
                err(q('guest-file-seek', handle=fh, offset=0, whence=3)) == 'invalid whence code 3' and
                err(q('guest-file-seek', handle=fh, offset=0, whence='bad')) ==
                "Parameter 'whence' does not accept value 'bad'" and
                err(q('guest-file-seek', handle=fh, offset=0, whence=True)) ==
                "Invalid parameter type for 'whence', expected: GuestFileWhence" and
                ret(q('guest-file-seek', handle=fh, offset=0, whence='end')) == {'eof': False, 'position': 0})
        r.check('count limits', err(q('guest-file-read', handle=fh, count=48 * 2**20 + 1)) ==
                "value '50331649' is invalid for argument count" and
                err(q('guest-file-read', handle=fh, count=-1)) == "value '-1' is invalid for argument count")
        r.check('bad base64', err(q('guest-file-write', handle=fh, buf_b64='a b')) ==
                'Base64 data contains invalid characters')
        q('guest-file-close', handle=fh)
        r.check('unknown handle', err(q('guest-file-flush', handle=42)) == "handle '42' has not been found")

        # the agent's own descriptors are out of reach
        fds = os.listdir('/proc/%d/fd' % a.proc.pid)
        reached = [fd for fd in fds if ret(q('guest-file-open', path='/proc/self/fd/' + fd, mode='r+'))
                   not in (None,) and not os.readlink('/proc/%d/fd/%s' % (a.proc.pid, fd)).startswith(('/dev/', '/proc/'))]
        r.check("/proc/self/fd/N never reaches the agent's own files or sockets", reached == [], reached)

        # permission denied, with the agent as an ordinary user
        if os.getuid() == 0:
            os.chmod(d, 0o755)
            os.makedirs(d + '/u')
            os.chown(d + '/u', 65534, 65534)
            open(d + '/u/secret', 'w').write('x')
            os.chmod(d + '/u/secret', 0)
            ua = Agent(b, user=65534)
            uq = Session(ua)
            r.check('permission denied', err(uq('guest-file-open', path=d + '/u/secret')) ==
                    "failed to open file '%s/u/secret' (mode: 'r'): Permission denied" % d)
            uq.close()
            ua.stop()

        # 48 MiB read: sent as it is read, memory stays flat
        big = d + '/big'
        with open(big, 'wb') as f:
            f.write(os.urandom(1 << 20) * 48)
        fh = ret(q('guest-file-open', path=big))
        rss = lambda k: int([l for l in open('/proc/%d/status' % a.proc.pid) if l.startswith(k)][0].split()[1])
        q('guest-ping')
        idle = rss('VmRSS:')
        rep = q('guest-file-read', handle=fh, count=48 << 20)
        peak = rss('VmHWM:')
        data = base64.b64decode(ret(rep)['buf-b64'])
        r.check('48 MiB read: all of it, eof false', ret(rep)['count'] == 48 << 20 and
                data == open(big, 'rb').read() and ret(rep)['eof'] is False)
        r.check('48 MiB read: peak RSS at most 1 MiB above idle', peak - idle <= 1024,
                '%d kB idle, %d kB peak' % (idle, peak))
        rep = q('guest-file-read', handle=fh, count=10)
        r.check('then at end of file', ret(rep) == {'count': 0, 'buf-b64': '', 'eof': True}, rep)
        q('guest-file-seek', handle=fh, offset=-5, whence='end')
        rep = q('guest-file-read', handle=fh, count=1 << 20)
        r.check('a read across the end: what is there, eof', ret(rep)['count'] == 5 and ret(rep)['eof'])
        q('guest-file-close', handle=fh)
    finally:
        q.close()
        a.stop()

    a = Agent(b, ['-t', st])
    q = Session(a)
    try:
        fh = ret(q('guest-file-open', path=d + '/again', mode='w'))
        n = sum(1 for x in os.listdir(d) if x.startswith('m-')) + 7
        r.check('handles never reused after a restart', fh is not None and fh > 1000 + n - 3, fh)
        r.check('state file updated atomically, no temp left',
                open(st + '/qga.state').read() == '[global]\nfd_counter=%d\n' % (fh + 1) and
                sorted(os.listdir(st)) == ['qga.state'], os.listdir(st))
    finally:
        q.close()
        a.stop()


def own_channel(r, b):
    """guest-file-open never reaches the agent's channel (a serial line
    through its path or /proc/self/fd/N), listener, log or pid file."""
    import pty
    import select
    d = tempfile.mkdtemp(prefix='tqga-own-')
    m, s = pty.openpty()
    tty = os.ttyname(s)
    p = subprocess.Popen([b, '-m', 'isa-serial', '-p', tty, '-t', d],
                         stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    buf = [b'']

    def q(cmd, **args):
        req = {'execute': cmd}
        if args:
            req['arguments'] = {k.replace('_', '-'): v for k, v in args.items()}
        os.write(m, json.dumps(req).encode() + b'\n')
        end = time.monotonic() + 5
        while b'\n' not in buf[0] and time.monotonic() < end:
            if select.select([m], [], [], 0.5)[0]:
                buf[0] += os.read(m, 65536)
        line, _, buf[0] = buf[0].partition(b'\n')
        return json.loads(line) if line.strip() else None

    try:
        time.sleep(0.5)
        q('guest-ping')
        buf[0] = b''
        chan = [fd for fd in os.listdir('/proc/%d/fd' % p.pid)
                if os.readlink('/proc/%d/fd/%s' % (p.pid, fd)) == tty]
        got = [q('guest-file-open', path=tty, mode='r+')] + \
              [q('guest-file-open', path='/proc/self/fd/' + fd, mode='w') for fd in chan]
        r.check("isa-serial: the channel's tty, by path or /proc/self/fd/N, is refused",
                chan and all(x and 'Permission denied' in (err(x) or '') for x in got), (chan, got))
        r.check('isa-serial: an ordinary file still opens',
                isinstance(ret(q('guest-file-open', path=d + '/plain', mode='w')), int))
    finally:
        p.terminate()
        p.wait()
        os.close(m)
        os.close(s)

    sock, pidf, log = d + '/s', d + '/pid', d + '/log'
    subprocess.run([b, '-d', '-m', 'unix-listen', '-p', sock, '-t', d, '-f', pidf, '-l', log],
                   timeout=10, capture_output=True)
    pid = int(open(pidf).read())

    try:
        sq = Session(sock)
        got = {path: sq('guest-file-open', path=path, mode='a') for path in (sock, pidf, log)}
        r.check('unix-listen: the socket path, the pid file and the log are refused',
                all(ret(x) is None for x in got.values()), got)
        sq.close()
    finally:
        os.kill(pid, 15)


def wait_exit(q, pid, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        rep = q('guest-exec-status', pid=pid)
        if 'error' in rep or ret(rep).get('exited'):
            return rep
        time.sleep(0.02)
    return rep


def exec_cases(r, b, quick):
    a = Agent(b)
    q = Session(a)
    sh = '/bin/sh'
    try:
        def run(args, capture=None, **kw):
            params = {'path': sh, 'arg': ['-c', args]}
            if capture is not None:
                params['capture-output'] = capture
            params.update(kw)
            rep = q('guest-exec', **params)
            return wait_exit(q, ret(rep)['pid']) if ret(rep) else rep

        s = ret(run('echo out; echo err >&2; exit 3', True))
        r.check('capture true: both streams, exit code', s == {
            'exitcode': 3, 'err-data': b64(b'err\n'), 'out-data': b64(b'out\n'),
            'err-truncated': False, 'out-truncated': False, 'exited': True}, s)
        s = ret(run('echo out; echo err >&2', 'merged'))
        r.check('merged', s == {'exitcode': 0, 'out-data': b64(b'out\nerr\n'), 'out-truncated': False,
                                'exited': True}, s)
        s = ret(run('echo out; echo err >&2', 'stdout'))
        r.check('stdout only', s == {'exitcode': 0, 'out-data': b64(b'out\n'), 'out-truncated': False,
                                     'exited': True}, s)
        s = ret(run('echo out; echo err >&2', 'stderr'))
        r.check('stderr only (then stdout again works)', s == {'exitcode': 0, 'err-data': b64(b'err\n'),
                                                               'err-truncated': False, 'exited': True}, s)
        s = ret(run('echo out', 'none'))
        r.check('none', s == {'exitcode': 0, 'exited': True}, s)
        s = ret(run('kill -9 $$'))
        r.check('killed: signal, no exitcode', s == {'signal': 9, 'exited': True}, s)
        s = ret(run('cat', True, input_data=b64(b'fed in')))
        r.check('input-data reaches stdin', s['out-data'] == b64(b'fed in'), s)
        s = ret(q('guest-exec', path='env', env=['A=1', 'PATH=/usr/bin:/bin'], capture_output=True))
        s = ret(wait_exit(q, s['pid']))
        r.check('env replaces the environment; PATH from it',
                base64.b64decode(s['out-data']) == b'A=1\nPATH=/usr/bin:/bin\n', s)
        # looked for as qemu-ga's g_spawn does: env's PATH, else the agent's
        s = q('guest-exec', path='env', env=['PATH=/nonexistent'], capture_output=True)
        r.check("the program is looked for along env's PATH (as qemu-ga)",
                err(s) == "failed to execute 'env': No such file or directory", s)
        s = ret(q('guest-exec', path='env', env=['A=1'], capture_output=True))
        s = ret(wait_exit(q, s['pid']))
        r.check("env without PATH: the agent's PATH is searched (as qemu-ga)",
                base64.b64decode(s['out-data']) == b'A=1\n', s)
        # isolation: nothing of the agent's reaches the host's programs
        s = ret(q('guest-exec', path='env', capture_output=True))
        s = ret(wait_exit(q, s['pid']))
        r.check("no env: PATH only, none of the agent's environment (qemu-ga: all of it)",
                base64.b64decode(s['out-data']) == ('PATH=%s\n' % os.environ['PATH']).encode(), s)
        d = tempfile.mkdtemp()
        fh = ret(q('guest-file-open', path=d + '/held', mode='w'))
        s = ret(q('guest-exec', path='/bin/ls', arg=['/proc/self/fd'], capture_output=True))
        s = ret(wait_exit(q, s['pid']))
        q('guest-file-close', handle=fh)
        r.check('children get fds 0, 1 and 2 only (3 is ls reading the list)',
                base64.b64decode(s['out-data']) == b'0\n1\n2\n3\n', s)
        s = ret(run('head -c 17000000 /dev/zero', True))
        r.check('output capped at 16 MiB, truncated', len(base64.b64decode(s['out-data'])) == 16 << 20 and
                s['out-truncated'] is True, {k: v for k, v in s.items() if k != 'out-data'})
        s = ret(run('head -c 16777216 /dev/zero', True))
        r.check('exactly 16 MiB is not truncated', s['out-truncated'] is False)

        rep = q('guest-exec', path='/nonexistent/binary')
        r.check('missing binary', err(rep) == "failed to execute '/nonexistent/binary': No such file or directory", rep)
        d = tempfile.mkdtemp()
        open(d + '/noexec', 'w').write('#!/bin/sh\n')
        rep = q('guest-exec', path=d + '/noexec')
        r.check('not executable', err(rep) == "failed to execute '%s/noexec': Permission denied" % d, rep)
        r.check('unknown pid', err(q('guest-exec-status', pid=1)) == "Invalid parameter 'pid'")
        r.check('bad base64 runs nothing', err(q('guest-exec', path='/bin/true', input_data='@@')) ==
                'Base64 data contains invalid characters')
        r.check('arguments checked', err(q('guest-exec', path='/bin/true', arg=[1])) ==
                "Invalid parameter type for 'arg[0]', expected: string" and
                err(q('guest-exec', path='/bin/true', capture_output='yes')) ==
                "Parameter 'capture-output' does not accept value 'yes'")

        # a child that never reads its input and one that floods: the agent answers meanwhile
        slow = ret(q('guest-exec', path='/bin/sleep', arg=['3'], input_data=b64(b'x' * (4 << 20))))
        flood = ret(q('guest-exec', path='/bin/sh', arg=['-c', 'head -c 40000000 /dev/zero; sleep 1'],
                      capture_output=True))
        t = time.monotonic()
        r.check('agent answers while children block', q('guest-ping') == {'return': {}} and
                time.monotonic() - t < 1)
        r.check('running: exited false only', q('guest-exec-status', pid=slow['pid']) ==
                {'return': {'exited': False}})
        s = ret(wait_exit(q, flood['pid']))
        r.check('flood: truncated, agent memory bounded', s['out-truncated'] is True)
        s = ret(wait_exit(q, slow['pid']))
        r.check('unread input: child exits normally', s == {'exitcode': 0, 'exited': True}, s)

        # many execs: no zombie, no fd left behind
        fds_before = len(os.listdir('/proc/%d/fd' % a.proc.pid))
        n = 200 if quick else 1000
        pids = []
        for i in range(n):
            kind = i % 4
            if kind == 0:
                rep = q('guest-exec', path='/bin/true')
            elif kind == 1:
                rep = q('guest-exec', path=sh, arg=['-c', 'kill -TERM $$'])
            elif kind == 2:
                rep = q('guest-exec', path=sh, arg=['-c', 'head -c 100000 /dev/zero'], capture_output=True)
            else:
                rep = q('guest-exec', path='/bin/true', input_data=b64(b'y' * 70000))
            pids.append(ret(rep)['pid'])
            if len(pids) >= 100:
                for p in pids:
                    wait_exit(q, p)
                pids = []
        for p in pids:
            wait_exit(q, p)
        time.sleep(0.2)
        fds_after = len(os.listdir('/proc/%d/fd' % a.proc.pid))
        kids = [state for _, state in a.children()]     # Z for a zombie
        r.check('%d execs: no fd left open' % n, fds_after == fds_before, (fds_before, fds_after))
        r.check('%d execs: no child left, no zombie' % n, kids == [], kids)
    finally:
        q.close()
        a.stop()


def syslog_lines(r, b):
    """The lines qemu-ga sends to syslog (tinyqga's -v log shows them at
    debug level), in newest qemu-ga's words."""
    d = tempfile.mkdtemp(prefix='tqga-slog-')
    log = d + '/log'
    a = Agent(b, ['-t', d + '/state', '-v', '-l', log])
    q = Session(a)
    try:
        open(d + '/f', 'w').write('x')
        fh = ret(q('guest-file-open', path=d + '/f'))
        q('guest-file-write', handle=fh, buf_b64=b64(b'y'))        # read-only: fails
        q('guest-file-close', handle=fh)
        wh = ret(q('guest-file-open', path=d + '/g', mode='w'))
        q('guest-file-read', handle=wh)                            # write-only: fails
        q('guest-file-close', handle=wh)
        q('guest-file-open', path=d + '/h', mode='bad')
        q('guest-exec-status', pid=4294967297)
        q('guest-shutdown', mode='nope')
    finally:
        q.close()
        a.stop()
    got = [line.split(': debug: ', 1)[1] for line in open(log).read().splitlines()
           if ': debug: guest-' in line]
    want = ['guest-ping called',                   # the Agent's ready check
            'guest-file-open called, filepath: %s/f, mode: r' % d, 'guest-file-open, handle: %d' % fh,
            'guest-file-write failed, handle: %d' % fh, 'guest-file-close called, handle: %d' % fh,
            'guest-file-open called, filepath: %s/g, mode: w' % d, 'guest-file-open, handle: %d' % wh,
            'guest-file-read failed, handle: %d' % wh, 'guest-file-close called, handle: %d' % wh,
            'guest-file-open called, filepath: %s/h, mode: bad' % d,
            'guest-exec-status called, pid: 1', 'guest-shutdown called, mode: nope']
    r.check('syslog lines: file open, handle, failed read/write, close, exec-status pid as uint32',
            got == want, (got, want))


def main():
    args = sys.argv[1:]
    b = lib.binary(args)
    ref = None if '--no-ref' in args or not os.access('/usr/sbin/qemu-ga', os.X_OK) else '/usr/sbin/qemu-ga'
    r = Run([])
    files(r, b, ref)
    own_channel(r, b)
    syslog_lines(r, b)
    exec_cases(r, b, '--quick' in args)
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
