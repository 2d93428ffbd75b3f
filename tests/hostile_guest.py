#!/usr/bin/env python3
"""Untrusted peers: nothing in the guest, and no resource a host can use
up, wedges the agent.  FIFOs, devices and a 1 TiB sparse file through
guest-file-*; the descriptors and environment of exec children and of
helpers (a fake chpasswd in PATH); a helper that hangs; the limits on
handles, children, unread statuses, captured output and argument sizes.

    tests/hostile_guest.py ./tinyqga

Prints PASS/FAIL/SKIP lines and ends with "N passed, M failed, K skipped".
"""
import base64
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from files_exec import b64, err, ret, wait_exit  # noqa: E402
import lib  # noqa: E402
from lib import SLOW, Run, Session, alive  # noqa: E402

# strerror(EMFILE): glibc's words, then musl's
EMFILE = ["failed to open file '/dev/null' (mode: 'r'): " + t
          for t in ('Too many open files', 'No file descriptors available')]
HELPER_TIMEOUT = 10                     # HELPER_TIMEOUT_MS in options.h


def Agent(binary, env=None, pass_fds=(), nofile=None):
    """An agent (state in DIR/st) with what a test wants it to inherit:
    environment, descriptors, fd limit."""
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    return lib.Agent(binary, env=env, pass_fds=pass_fds, preexec_fn=limit if nofile else None,
                     statedir='st')


def timed(q, cmd, **args):
    t = time.monotonic()
    rep = q(cmd, **args)
    return rep, time.monotonic() - t


def pings_fast(q, limit=1.0):
    rep, took = timed(q, 'guest-ping')
    return rep == {'return': {}} and took < limit * SLOW


def open_fds(listing):
    """fd numbers of an `ls -l /proc/X/fd` listing, less the one ls reads."""
    fds = []
    for line in listing.splitlines():
        parts = line.split()
        if '->' in parts and not parts[-1].startswith('/proc/'):
            fds.append(int(parts[parts.index('->') - 1]))
    return sorted(fds)


def files_cases(r, b, d):
    a = Agent(b)
    q = Session(a)
    try:
        # a FIFO: opened without waiting for a writer, read without waiting
        fifo = d + '/fifo'
        os.mkfifo(fifo)
        fh, took = timed(q, 'guest-file-open', path=fifo)
        fh = ret(fh)
        r.check('FIFO with no writer: open returns at once', fh is not None and took < 1 * SLOW, fh)
        r.check('FIFO open: the agent answers guest-ping', pings_fast(q))
        rep, took = timed(q, 'guest-file-read', handle=fh, count=4096)
        r.check('FIFO with no writer: read is end of file at once',
                ret(rep) == {'count': 0, 'buf-b64': '', 'eof': True} and took < 1 * SLOW, rep)
        w = os.open(fifo, os.O_WRONLY)
        rep, took = timed(q, 'guest-file-read', handle=fh, count=4096)
        r.check('FIFO with a silent writer: read fails at once, as qemu-ga',
                err(rep) == 'failed to read file: Resource temporarily unavailable' and
                took < 1 * SLOW, rep)
        os.write(w, b'abc')
        rep, took = timed(q, 'guest-file-read', handle=fh, count=1 << 20)
        r.check('FIFO: what is there is returned, no wait for the count',
                ret(rep) == {'count': 3, 'buf-b64': b64(b'abc'), 'eof': False} and took < 1 * SLOW, rep)
        os.close(w)
        q('guest-file-close', handle=fh)
        rep, took = timed(q, 'guest-file-open', path=fifo, mode='w')
        r.check('FIFO with no reader, for writing: ENXIO at once, as qemu-ga',
                err(rep) == "failed to open file '%s' (mode: 'w'): No such device or address" % fifo and
                took < 1 * SLOW, rep)
        rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        wh = ret(q('guest-file-open', path=fifo, mode='w'))
        rep, took = timed(q, 'guest-file-write', handle=wh, buf_b64=b64(b'x' * (1 << 20)))
        r.check('FIFO nobody reads: a 1 MiB write returns what fitted',
                ret(rep) is not None and 0 < ret(rep)['count'] < 1 << 20 and took < 1 * SLOW, rep)
        rep = q('guest-file-write', handle=wh, buf_b64=b64(b'y'))
        r.check('FIFO full: the next write fails at once',
                err(rep) == 'failed to write to file: Resource temporarily unavailable', rep)
        q('guest-file-close', handle=wh)
        os.close(rfd)

        # a directory: opens, reading it fails, as qemu-ga
        dh = ret(q('guest-file-open', path=d))
        r.check('directory: opens, read is qemu-ga\'s error',
                err(q('guest-file-read', handle=dh)) == 'failed to read file: Is a directory')
        q('guest-file-close', handle=dh)

        # 1 TiB sparse: opens, the largest read is streamed
        sparse = d + '/sparse'
        with open(sparse, 'wb') as f:
            f.truncate(1 << 40)
        q('guest-ping')
        idle = a.status('VmRSS:')
        sh = ret(q('guest-file-open', path=sparse))
        rep, took = timed(q, 'guest-file-read', handle=sh, count=48 << 20)
        peak = a.status('VmHWM:')
        data = base64.b64decode(ret(rep)['buf-b64']) if ret(rep) else b''
        r.check('1 TiB sparse file: a 48 MiB read returns it all in a few s',
                ret(rep) and ret(rep)['count'] == 48 << 20 and len(data) == 48 << 20 and
                data.count(0) == len(data) and ret(rep)['eof'] is False and took < 5 * SLOW,
                '%.1f s' % took)
        r.check('1 TiB sparse file: agent peak RSS under 2 MiB above idle', peak - idle < 2048,
                '%d kB idle, %d kB peak' % (idle, peak))
        r.check('1 TiB sparse file: count over 48 MiB refused',
                err(q('guest-file-read', handle=sh, count=(48 << 20) + 1)) ==
                "value '50331649' is invalid for argument count")
        r.check('1 TiB sparse file: seek to its end',
                ret(q('guest-file-seek', handle=sh, offset=0, whence='end')) ==
                {'eof': False, 'position': 1 << 40})
        q('guest-file-close', handle=sh)
        del data

        # devices: bounded by count, memory given back
        zh = ret(q('guest-file-open', path='/dev/zero'))
        rep, took = timed(q, 'guest-file-read', handle=zh, count=48 << 20)
        peak = a.status('VmHWM:')
        r.check('/dev/zero: a read stops at count (48 MiB)',
                ret(rep) and ret(rep)['count'] == 48 << 20 and took < 5 * SLOW, '%.1f s' % took)
        r.check('/dev/zero: peak RSS bounded by count (< idle + 64 MiB)', peak - idle < 64 << 10,
                '%d kB idle, %d kB peak' % (idle, peak))
        q('guest-ping')
        now = a.status('VmRSS:')
        r.check('/dev/zero: the buffer is given back', now - idle < 2048, '%d kB idle, %d kB now' % (idle, now))
        q('guest-file-close', handle=zh)
        uh = ret(q('guest-file-open', path='/dev/urandom'))
        rep, took = timed(q, 'guest-file-read', handle=uh, count=1 << 20)
        r.check('/dev/urandom: a read stops at count', ret(rep) and ret(rep)['count'] == 1 << 20 and
                took < 2 * SLOW, rep if not ret(rep) else '%.1f s' % took)
        q('guest-file-close', handle=uh)

        # handles: 1024 at once, then EMFILE; the agent goes on
        hs = []
        for _ in range(1024):
            h = ret(q('guest-file-open', path='/dev/null'))
            if h is None:
                break
            hs.append(h)
        rep = q('guest-file-open', path='/dev/null')
        r.check('1024 handles, the next open: Too many open files',
                len(hs) == 1024 and err(rep) in EMFILE, (len(hs), rep))
        ex = ret(q('guest-exec', path='/bin/echo', arg=['still'], capture_output=True))
        s = ret(wait_exit(q, ex['pid'])) if ex else None
        r.check('all handles taken: ping and exec still work', pings_fast(q) and s and
                base64.b64decode(s.get('out-data', '')) == b'still\n', s)
        for h in hs:
            q('guest-file-close', handle=h)
        r.check('handles closed: open works again', ret(q('guest-file-open', path='/dev/null')) is not None)
    finally:
        q.close()
        a.stop()

    # a low fd limit (systemd's soft 1024): handles stop early enough that
    # exec children, the state file and a reconnecting host still get fds
    a = Agent(b, nofile=1024)
    q = Session(a)
    try:
        hs = []
        for _ in range(1100):
            rep = q('guest-file-open', path='/dev/null')
            if ret(rep) is None:
                break
            hs.append(ret(rep))
        r.check('RLIMIT_NOFILE 1024: handles stop with EMFILE before the fds run out',
                0 < len(hs) < 1024 and err(rep) in EMFILE, (len(hs), rep))
        pids = [ret(q('guest-exec', path='/bin/sleep', arg=['0.3'], capture_output=True)) for _ in range(200)]
        r.check('then 200 capturing children still start', all(pids), [p for p in pids if not p][:1])
        for p in pids:
            if p:
                wait_exit(q, p['pid'])
        q.close()
        q = Session(a)      # a new conversation: accept needs an fd
        r.check('then a reconnecting host is answered', pings_fast(q))
        q('guest-file-close', handle=hs.pop())
        r.check('then a new handle is committed to the state file',
                ret(q('guest-file-open', path='/dev/null')) is not None)
    finally:
        q.close()
        a.stop()


FAKE_HELPER = r'''#!/usr/bin/python3
import json, os, sys, time
d = os.path.dirname(os.path.abspath(__file__))
fds = {}
for f in os.listdir('/proc/self/fd'):
    try:
        fds[f] = os.readlink('/proc/self/fd/' + f)
    except OSError:
        pass
env = open('/proc/self/environ', 'rb').read().split(b'\0')
json.dump({'fds': {k: v for k, v in fds.items() if not v.startswith('/proc/')},
           'env': sorted(e.decode() for e in env if e),
           'stdin': sys.stdin.read(), 'pid': os.getpid()}, open(d + '/record', 'w'))
mode = open(d + '/mode').read().strip() if os.path.exists(d + '/mode') else ''
if mode in ('hang', 'orphan'):
    if os.fork() == 0:          # a grandchild holding stdout
        open(d + '/grandchild', 'w').write(str(os.getpid()))
        time.sleep(1000)
        os._exit(0)
    if mode == 'orphan':
        print('bye', flush=True)
        sys.exit(3)
    time.sleep(1000)
'''


def children_cases(r, b, d):
    fake = d + '/bin'
    os.makedirs(fake)
    open(fake + '/chpasswd', 'w').write(FAKE_HELPER)
    os.chmod(fake + '/chpasswd', 0o755)
    leak_r, leak_w = os.pipe()          # not close-on-exec: the agent inherits it
    env = {'PATH': fake + ':/usr/sbin:/usr/bin:/sbin:/bin', 'AGENT_SECRET': 'x', 'NOTIFY_SOCKET': '/x'}
    a = Agent(b, env=env, pass_fds=(leak_r, leak_w))
    q = Session(a)
    try:
        fh = ret(q('guest-file-open', path=d + '/held', mode='w'))
        ex = ret(q('guest-exec', path='/bin/sh', arg=['-c', 'ls -l /proc/self/fd'], capture_output=True))
        s = ret(wait_exit(q, ex['pid']))
        listing = base64.b64decode(s.get('out-data', '')).decode()
        r.check('exec child: fds 0-2 only (not the channel, listener, handles, nor what the '
                'agent inherited)', open_fds(listing) == [0, 1, 2], listing)
        ex = ret(q('guest-exec', path='/bin/sh', arg=['-c', 'cat /proc/$$/environ'], capture_output=True))
        s = ret(wait_exit(q, ex['pid']))
        got = base64.b64decode(s.get('out-data', '')).split(b'\0')
        r.check('exec child without env: PATH only', [e for e in got if e] ==
                [('PATH=' + env['PATH']).encode()], got)
        q('guest-file-close', handle=fh)

        # a helper: the fake chpasswd records what it got
        rep = q('guest-set-user-password', username='nobody', password=b64(b'pw'), crypted=False)
        rec = json.load(open(fake + '/record')) if os.path.exists(fake + '/record') else {}
        r.check('helper (chpasswd) ran and succeeded', rep == {'return': {}} and rec, rep)
        r.check('helper: fds 0-2 only', sorted(rec.get('fds', {})) == ['0', '1', '2'], rec.get('fds'))
        r.check('helper: environment is PATH only (not AGENT_SECRET, NOTIFY_SOCKET)',
                rec.get('env') == ['PATH=' + env['PATH']], rec.get('env'))
        r.check('helper: input is the password line', rec.get('stdin') == 'nobody:pw\n', rec.get('stdin'))

        # a helper that exits while its child holds the output pipe
        open(fake + '/mode', 'w').write('orphan')
        rep, took = timed(q, 'guest-set-user-password', username='nobody', password=b64(b'pw'),
                          crypted=False)
        r.check('helper exits, a grandchild keeps its stdout: answered at once',
                err(rep) == 'child process has failed to set user password: bye\n' and took < 2 * SLOW,
                (rep, took))
        try:
            os.kill(int(open(fake + '/grandchild').read()), signal.SIGKILL)
        except (OSError, ValueError):
            pass

        # a helper that never ends: killed with its group after the bound
        open(fake + '/mode', 'w').write('hang')
        os.unlink(fake + '/grandchild')
        rep, took = timed(q, 'guest-set-user-password', username='nobody', password=b64(b'pw'),
                          crypted=False)
        r.check('helper that hangs: error after %d s' % HELPER_TIMEOUT,
                err(rep) == 'child process has failed to set user password: no result after %d s'
                % HELPER_TIMEOUT and HELPER_TIMEOUT - 0.5 < took < HELPER_TIMEOUT + 3 * SLOW, (rep, took))
        r.check('helper that hangs: the agent answers right after', pings_fast(q))
        time.sleep(0.2)
        hung = json.load(open(fake + '/record'))['pid']
        gc = int(open(fake + '/grandchild').read()) if os.path.exists(fake + '/grandchild') else 0
        r.check('helper that hangs: it and its child are killed', not alive(hung) and gc and not alive(gc),
                (hung, gc))
        os.unlink(fake + '/mode')
        r.check('helpers: no child left, no zombie', a.children() == [], a.children())
    finally:
        q.close()
        a.stop()
        os.close(leak_r)
        os.close(leak_w)


def limits_cases(r, b):
    a = Agent(b)
    q = Session(a)
    try:
        # running children: 256, then an error; the agent goes on
        pids = []
        for _ in range(256):
            rep = q('guest-exec', path='/bin/sleep', arg=['30'])
            if not ret(rep):
                break
            pids.append(ret(rep)['pid'])
        rep = q('guest-exec', path='/bin/true')
        r.check('256 running children, the next exec fails',
                len(pids) == 256 and err(rep) == 'too many processes whose status has not been read (256)',
                (len(pids), rep))
        r.check('256 running children: ping answers', pings_fast(q))
        for p in pids:
            os.kill(p, signal.SIGKILL)
        done = [ret(wait_exit(q, p)) for p in pids]
        r.check('killed children report signal 9', all(s == {'signal': 9, 'exited': True} for s in done),
                [s for s in done if s != {'signal': 9, 'exited': True}][:1])

        # exited children whose status nobody reads: 256, then an error
        pids = [ret(q('guest-exec', path='/bin/true'))['pid'] for _ in range(256)]
        time.sleep(0.5)
        rep = q('guest-exec', path='/bin/true')
        r.check('256 unread statuses, the next exec fails',
                err(rep) == 'too many processes whose status has not been read (256)', rep)
        zombies = [k for k in a.children() if k[1] == 'Z']
        r.check('unread statuses: reaped, no zombie', zombies == [], len(zombies))
        wait_exit(q, pids.pop())
        r.check('one status read: exec works again', ret(q('guest-exec', path='/bin/true')) is not None)
        for p in pids:
            wait_exit(q, p)

        # endless output: 16 MiB kept per stream, the rest read and dropped
        q('guest-ping')
        idle = a.status('VmRSS:')
        ex = ret(q('guest-exec', path='/bin/sh', capture_output='separated',
                   arg=['-c', 'cat /dev/zero & cat /dev/zero >&2']))
        time.sleep(1.5)
        lat = max(timed(q, 'guest-ping')[1] for _ in range(5))
        rss = a.status('VmRSS:')
        r.check('endless stdout+stderr: ping answers under 0.5 s', lat < 0.5 * SLOW, '%.3f s' % lat)
        r.check('endless stdout+stderr: RSS under idle + 2 x 16 MiB + 4 MiB',
                rss - idle < (32 + 4) << 10, '%d kB idle, %d kB now' % (idle, rss))
        r.check('endless output: still running', ret(q('guest-exec-status', pid=ex['pid'])) == {'exited': False})
        subprocess.call(['pkill', '-KILL', '-P', str(ex['pid'])])
        try:
            os.kill(ex['pid'], signal.SIGKILL)
        except ProcessLookupError:      # reaped already: its cat were its last
            pass
        s = ret(wait_exit(q, ex['pid']))
        r.check('endless output: 16 MiB of each, truncated',
                s and len(base64.b64decode(s.get('out-data', ''))) == 16 << 20 and
                len(base64.b64decode(s.get('err-data', ''))) == 16 << 20 and
                s.get('out-truncated') is True and s.get('err-truncated') is True,
                s and {k: v for k, v in s.items() if not k.endswith('-data')})

        # argument and environment sizes: the kernel's E2BIG, then on
        big = 'a' * (200 << 10)
        rep = q('guest-exec', path='/bin/true', arg=[big])
        r.check('a 200 KiB argument: Argument list too long',
                err(rep) == "failed to execute '/bin/true': Argument list too long", rep)
        rep = q('guest-exec', path='/bin/true', arg=['b' * 4096] * 2048)
        r.check('8 MiB of arguments: Argument list too long',
                err(rep) == "failed to execute '/bin/true': Argument list too long", rep)
        rep = q('guest-exec', path='/bin/true', env=['X=' + big])
        r.check('a 200 KiB environment entry: Argument list too long',
                err(rep) == "failed to execute '/bin/true': Argument list too long", rep)
        ex = ret(q('guest-exec', path='/bin/sh', arg=['-c', 'exit $#', '-'] + ['c'] * 100000))
        s = ret(wait_exit(q, ex['pid'])) if ex else None
        r.check('100000 small arguments pass', s == {'exitcode': 100000 % 256, 'exited': True}, s)
        r.check('after the limits: ping answers', pings_fast(q))
        time.sleep(0.2)
        r.check('no child left, no zombie', a.children() == [], a.children())
    finally:
        q.close()
        a.stop()


def pid_reuse_cases(r, b):
    """A exited, status unread; B given A's pid through ns_last_pid: the
    status of that pid is A's first, then B's (audit 20, item 9)."""
    if os.getuid() != 0 or not os.access('/proc/sys/kernel/ns_last_pid', os.W_OK):
        r.skip('pid reuse', 'needs root and /proc/sys/kernel/ns_last_pid')
        return
    a = Agent(b)
    q = Session(a)
    try:
        got = None
        for _ in range(20):     # another process may take the pid first
            pa = ret(q('guest-exec', path='/bin/sh', arg=['-c', 'exit 3']))['pid']
            time.sleep(0.3)     # A exits and is reaped; nobody reads it
            with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
                f.write(str(pa - 1))
            pb = ret(q('guest-exec', path='/bin/sh', arg=['-c', 'sleep 0.2; exit 5']))['pid']
            if pb == pa:
                time.sleep(0.5)
                got = [ret(q('guest-exec-status', pid=pa)) for _ in range(2)]
                break
            wait_exit(q, pa)
            wait_exit(q, pb)
        r.check('pid reused: the oldest unread status first (A, then B)',
                got == [{'exited': True, 'exitcode': 3}, {'exited': True, 'exitcode': 5}], got)
    finally:
        q.close()
        a.stop()


def exec_total_cases(r, b):
    """17 children writing fast: 17 x 16 MiB is over the 256 MiB held for
    all children together (audit 20, item 13)."""
    a = Agent(b)
    q = Session(a)
    try:
        idle = a.status('VmRSS:')
        pids = [ret(q('guest-exec', path='/bin/cat', arg=['/dev/zero'], capture_output=True))['pid']
                for _ in range(17)]
        time.sleep(4)
        rss = a.status('VmRSS:')
        # the agent is reading and dropping 17 endless streams meanwhile:
        # on a loaded machine a ping can take a while, but it is answered
        fast = pings_fast(q, 5.0)
        rep = q('guest-exec', path='/bin/cat', input_data=b64(b'x' * 1024))
        r.check('output holding the whole total: an exec with input-data is refused',
                err(rep) == 'input-data of 1024 bytes: over the 256 MiB held for all children '
                '(268435456 in use)', rep)
        for p in pids:
            os.kill(p, signal.SIGKILL)
        done = [ret(wait_exit(q, p)) for p in pids]
        kept = sum(len(s.get('out-data', '')) * 3 // 4 for s in done)
        # 256 MiB is what is held at once: a status read frees its buffers,
        # and the children not yet read may then take what is left in their
        # pipes (at most a pipe's 64 KiB each, as the writers are dead)
        r.check('17 children of endless output: at most 256 MiB kept in all, the rest '
                'marked truncated, the agent answers',
                240 << 20 <= kept <= (256 << 20) + 16 * (64 << 10) + 64 and all(s.get('out-truncated') for s in done) and
                rss - idle < 300 << 10 and fast,
                (kept >> 20, (rss - idle) >> 10, [bool(s.get('out-truncated')) for s in done], fast))
        r.check('statuses read: input-data accepted again',
                ret(q('guest-exec', path='/bin/cat', input_data=b64(b'x' * 1024))) is not None)
    finally:
        q.close()
        a.stop()


def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def channel_cases(r, b):
    """The listener out of descriptors, and a host that reads too slowly."""
    a = Agent(b)
    try:
        # accept4 fails with EMFILE while a client waits in the backlog:
        # the listener stays readable, so the loop must pause, not spin
        used = len(os.listdir('/proc/%d/fd' % a.proc.pid))
        soft, hard = resource.prlimit(a.proc.pid, resource.RLIMIT_NOFILE)
        resource.prlimit(a.proc.pid, resource.RLIMIT_NOFILE, (used, hard))
        waiting = a.connect()
        waiting.sendall(b'{"execute":"guest-ping"}')
        cpu = cpu_seconds(a.proc.pid)
        time.sleep(2)
        spent = cpu_seconds(a.proc.pid) - cpu
        resource.prlimit(a.proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
        waiting.settimeout(5 * SLOW)
        try:
            got = waiting.recv(100)
        except OSError as e:
            got = repr(e)
        waiting.close()
        r.check('accept out of descriptors: the loop pauses (under 0.2 s CPU in 2 s), '
                'the client is served once descriptors are back',
                spent < 0.2 and got == b'{"return": {}}\n', (spent, got))

        # a host that reads 256 KiB every 4 s (64 KiB/s) keeps a 40 MiB
        # reply going forever if only stalls count; the whole reply's time
        # is bounded (OUT_STALL_MS + 1 s per MiB written, OUT_MIN_RATE)
        big = os.path.join(a.dir, 'big')
        with open(big, 'wb') as f:
            f.write(os.urandom(40 << 20))
        q = Session(a)
        h = q('guest-file-open', path=big)['return']
        q.s.sendall(lib.request('guest-file-read', {'handle': h, 'count': 40 << 20}))
        start = time.monotonic()
        closed = False
        while time.monotonic() - start < 40:
            q.s.settimeout(10)
            try:
                d = q.s.recv(256 << 10)
            except OSError:
                d = b''
            if not d:
                closed = True
                break
            time.sleep(4)
        took = time.monotonic() - start
        q.close()
        r.check('a host reading a 40 MiB reply at 64 KiB/s is dropped within 25 s, '
                'and the next one is served',
                closed and took < 25 and lib.answers(a.sock), (closed, took))
    finally:
        a.stop()


def main():
    args = sys.argv[1:]
    b = lib.binary(args)
    r = Run([])
    d = tempfile.mkdtemp(prefix='tqga-hostile-')
    try:
        files_cases(r, b, d)
        if os.getuid() == 0 and os.access('/usr/bin/python3', os.X_OK):
            children_cases(r, b, d)
        else:
            r.skip('helpers', 'a fake chpasswd needs root (guest-set-user-password) and /usr/bin/python3')
        limits_cases(r, b)
        pid_reuse_cases(r, b)
        exec_total_cases(r, b)
        channel_cases(r, b)
    except Exception:           # a crash is a failure, not a hang
        import traceback
        r.check('suite ran to the end', False, traceback.format_exc().replace('\n', ' | '))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
