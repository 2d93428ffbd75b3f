#!/usr/bin/env python3
"""Paths the agent opens or creates as root that another guest user could
plant in advance: symlinks, hard links, FIFOs, devices and directories
where files are expected, and directories others can write to.  Each case
plants the object (as root, in a temp tree; uid 65534 plays the user),
then checks that the attack fails: nothing written outside, the target's
content, inode and mode unchanged, a clear error where there is one, and
guest-ping answered within a bound afterwards.

    tests/hostile_paths.py ./tinyqga

Needs root.  Ends with "N passed, M failed, K skipped".
"""
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import Agent, Run, Session  # noqa: E402
from files_exec import ret, err, b64  # noqa: E402

USER = 65534            # plays the unprivileged user
BOUND = 5               # seconds within which anything must answer
SECRET = 'root:$6$secret$hash:19000:0:99999:7:::\n'


def plant(kind, path, target):
    """Put a hostile object of this kind at path: a FIFO, a symlink or a
    hard link to target, or a directory.  False for any other kind."""
    make = {'fifo': lambda: os.mkfifo(path), 'symlink': lambda: os.symlink(target, path),
            'hardlink': lambda: os.link(target, path), 'dir': lambda: os.mkdir(path)}.get(kind)
    if make:
        make()
    return bool(make)


def put(path, data='', mode=0o600, uid=0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(data)
    os.chmod(path, mode)
    os.chown(path, uid, uid)


def ident(path):
    """What must not change about a target: inode, mode, owner, content."""
    st = os.lstat(path)
    data = open(path, 'rb').read() if stat.S_ISREG(st.st_mode) else None
    return (st.st_ino, st.st_mode, st.st_uid, st.st_gid, data)


def run(b, args, env=None):
    """Start an agent that should refuse; (rc, stderr) or (None, 'hung')."""
    try:
        p = subprocess.run([b, '-m', 'unix-listen'] + args, capture_output=True, text=True,
                           timeout=BOUND, env=env)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return None, 'hung'


def pings(q):
    t = time.monotonic()
    return ret(q('guest-ping')) == {} and time.monotonic() - t < BOUND


class Case:
    """A temp tree removed even on failure; agents stopped."""

    def __init__(self, r, name):
        self.r, self.name = r, name
        self.d = tempfile.mkdtemp(prefix='tqga-hostile-')
        os.chmod(self.d, 0o755)
        self.agents = []

    def __enter__(self):
        return self

    def __exit__(self, typ, val, tb):
        for a in self.agents:
            try:
                a.stop()
            except Exception:
                pass
        shutil.rmtree(self.d, ignore_errors=True)
        if typ is not None and typ is not KeyboardInterrupt:
            self.r.check(self.name, False, 'exception: %r' % val)
            return True

    def agent(self, extra=(), env=None):
        a = Agent(self.b, list(extra), env=env)
        self.agents.append(a)
        return a, Session(a)


def statedir(r, b):
    for mode, uid, why in ((0o700, USER, 'owned by another user'),
                           (0o777, 0, 'writable by group or others'),
                           (0o1777, 0, 'writable by group or others'),
                           (0o770, 0, 'writable by group or others')):
        name = 'state dir %o owned by %d: refused at start, saying why' % (mode, uid)
        with Case(r, name) as c:
            st = c.d + '/st'
            os.mkdir(st)
            os.chmod(st, mode)
            os.chown(st, uid, uid)
            rc, e = run(b, ['-p', c.d + '/s', '-t', st])
            r.check(name, rc == 1 and why in e and os.listdir(st) == [] and
                    not os.path.exists(c.d + '/s'), (rc, e))

    for kind in ('fifo', 'symlink', 'hardlink'):
        name = 'qga.state as a %s: start not blocked, target untouched, replaced by a file' % kind
        with Case(r, name) as c:
            c.b = b
            st = c.d + '/st'
            os.mkdir(st, 0o700)
            put(c.d + '/shadow', SECRET, 0o640)
            before = ident(c.d + '/shadow')
            plant(kind, st + '/qga.state', c.d + '/shadow')
            t = time.monotonic()
            a, q = c.agent(['-t', st])
            h = ret(q('guest-file-open', path=c.d + '/f', mode='w'))
            r.check(name, time.monotonic() - t < BOUND and pings(q) and isinstance(h, int) and
                    ident(c.d + '/shadow') == before and
                    stat.S_ISREG(os.lstat(st + '/qga.state').st_mode) and
                    os.lstat(st + '/qga.state').st_nlink == 1, h)
            q.close()

    for kind in ('fifo', 'symlink', 'hardlink', 'dir'):
        name = 'qga.state.isfrozen as a %s: not taken as frozen, not blocked' % kind
        with Case(r, name) as c:
            c.b = b
            st = c.d + '/st'
            os.mkdir(st, 0o700)
            put(c.d + '/shadow', SECRET, 0o640)
            before = ident(c.d + '/shadow')
            plant(kind, st + '/qga.state.isfrozen', c.d + '/shadow')
            a, q = c.agent(['-t', st])
            r.check(name, pings(q) and ret(q('guest-fsfreeze-status')) == 'thawed' and
                    ident(c.d + '/shadow') == before)
            q.close()


def pidfile(r, b):
    for kind in ('fifo', 'symlink', 'hardlink', 'owned by the user', 'dir'):
        name = 'pid file as a %s: refused at once, target untouched' % kind
        with Case(r, name) as c:
            pid, target = c.d + '/pid', c.d + '/shadow'
            put(target, SECRET, 0o640)
            if not plant(kind, pid, target):
                put(pid, '1\n', 0o644, USER)
            before, pbefore = ident(target), os.lstat(pid)
            rc, e = run(b, ['-p', c.d + '/s', '-t', c.d + '/st', '-d', '-f', pid])
            r.check(name, rc == 1 and 'cannot use pid file' in e and ident(target) == before and
                    os.lstat(pid).st_ino == pbefore.st_ino and not os.path.exists(c.d + '/s'), (rc, e))

    name = 'pid file replaced while the daemon runs: the other file is not removed at exit'
    with Case(r, name) as c:
        pid = c.d + '/pid'
        rc, e = run(b, ['-p', c.d + '/s', '-t', c.d + '/st', '-d', '-f', pid])
        n = int(open(pid).read())
        os.rename(pid, c.d + '/moved')
        put(pid, 'someone else\n')
        os.kill(n, signal.SIGTERM)
        for _ in range(BOUND * 20):
            if not os.path.exists('/proc/%d' % n):
                break
            time.sleep(0.05)
        r.check(name, rc == 0 and open(pid).read() == 'someone else\n', (rc, e))

    name = 'relative pid file: removed where it was made, after the daemon\'s chdir("/")'
    with Case(r, name) as c:
        p = subprocess.run([b, '-m', 'unix-listen', '-p', c.d + '/s', '-t', c.d + '/st', '-d',
                            '-f', 'rel.pid'], cwd=c.d, capture_output=True, timeout=BOUND)
        n = int(open(c.d + '/rel.pid').read())
        os.kill(n, signal.SIGTERM)
        for _ in range(BOUND * 20):
            if not os.path.exists(c.d + '/rel.pid'):
                break
            time.sleep(0.05)
        r.check(name, p.returncode == 0 and not os.path.exists(c.d + '/rel.pid'))


def logfile(r, b):
    for kind, why in (('fifo', 'not a regular file'), ('symlink', 'symbolic link'),
                      ('hardlink', 'hard link'), ('file of the user', 'owned by another user'),
                      ('dir', 'not a regular file')):
        name = 'log file as a %s: refused at once, saying why, target untouched' % kind
        with Case(r, name) as c:
            log, target = c.d + '/log', c.d + '/passwd'
            put(target, 'root:x:0:0::/root:/bin/sh\n', 0o644)
            if not plant(kind, log, target):
                put(log, '', 0o666, USER)
            before = ident(target)
            rc, e = run(b, ['-p', c.d + '/s', '-t', c.d + '/st', '-l', log, '-v'])
            r.check(name, rc == 1 and why in e and ident(target) == before and
                    not os.path.exists(c.d + '/s'), (rc, e))

    name = 'log file past 4 MiB: truncated with a note, newest lines kept'
    with Case(r, name) as c:
        c.b = b
        log = c.d + '/log'
        put(log, 'x' * ((4 << 20) - 100) + '\n')
        a, q = c.agent(['-l', log, '-v'])
        for _ in range(20):
            q('guest-ping')
        size = os.path.getsize(log)
        text = open(log).read()
        r.check(name, pings(q) and size < 4096 and 'log file truncated: it reached 4194304 bytes' in text
                and 'guest-ping called' in text, size)
        q.close()


def users(r, b):
    env_root = tempfile.mkdtemp(prefix='tqga-hostile-users-')
    os.chmod(env_root, 0o755)
    home = env_root + '/home/alice'
    put(env_root + '/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'
        'alice:x:%d:%d::/home/alice:/bin/sh\n' % (USER, USER), 0o644)
    put(env_root + '/etc/shadow', SECRET + 'alice:!:19000:0:99999:7:::\n', 0o640)
    os.makedirs(home)
    os.chown(home, USER, USER)
    outside = env_root + '/outside'
    os.makedirs(outside)
    put(outside + '/secret', SECRET, 0o640)
    env = dict(os.environ, TINYQGA_SYSROOT=env_root, PATH='/nonexistent')
    a = Agent(b, env=env)
    q = Session(a)
    ssh, ak = home + '/.ssh', home + '/.ssh/authorized_keys'

    def fresh_ssh():
        shutil.rmtree(ssh, ignore_errors=True)
        if os.path.lexists(ssh):
            os.unlink(ssh)
        os.mkdir(ssh, 0o700)
        os.chown(ssh, USER, USER)

    def attempt(what):
        """get, add, remove: the replies, and how long they took in all"""
        t = time.monotonic()
        reps = [q('guest-ssh-get-authorized-keys', username='alice'),
                q('guest-ssh-add-authorized-keys', username='alice', keys=['ssh-ed25519 AAAA x']),
                q('guest-ssh-remove-authorized-keys', username='alice', keys=['k'])]
        return reps, time.monotonic() - t

    try:
        for kind, why in (('fifo', 'not a regular file'), ('hardlink', 'hard link'),
                          ('symlink', 'symbolic link'), ('dir', 'not a regular file'),
                          ('file of another user', 'owned by another user')):
            name = 'authorized_keys as a %s: clear errors for get, add and remove, no hang, ' \
                   'no content shown, target untouched' % kind
            fresh_ssh()
            target = outside + '/secret'
            if not plant(kind, ak, target):
                put(ak, 'ssh-rsa AAAA theirs\n', 0o600, 4321)
            before = ident(target)
            reps, secs = attempt(kind)
            errs = [err(x) or '' for x in reps]
            r.check(name, all(e.startswith("failed to read '/home/alice/.ssh/authorized_keys': ") and
                              why in e for e in errs) and 'secret' not in repr(reps) and
                    secs < BOUND and ident(target) == before and pings(q), (reps, secs))

        name = 'add with reset over a planted FIFO or symlink: the name replaced, a file of ' \
               'the user, nothing followed'
        ok = True
        for kind in ('fifo', 'symlink'):
            fresh_ssh()
            (os.mkfifo(ak) if kind == 'fifo' else os.symlink(outside + '/secret', ak))
            before = ident(outside + '/secret')
            rep = q('guest-ssh-add-authorized-keys', username='alice', keys=['k1'], reset=True)
            st = os.lstat(ak)
            ok &= (ret(rep) == {} and stat.S_ISREG(st.st_mode) and st.st_uid == USER and
                   open(ak).read() == 'k1' and ident(outside + '/secret') == before)
        r.check(name, ok and pings(q))

        name = '~/.ssh as a symlink out of the home, or a FIFO: refused, nothing written outside'
        ok = True
        for kind in ('symlink', 'fifo'):
            shutil.rmtree(ssh, ignore_errors=True)
            (os.symlink(outside, ssh) if kind == 'symlink' else os.mkfifo(ssh))
            before = sorted(os.listdir(outside))
            t = time.monotonic()
            reps, secs = attempt(kind)
            ok &= ('error' in reps[1] and sorted(os.listdir(outside)) == before and secs < BOUND)
            os.unlink(ssh)
        r.check(name, ok and pings(q), reps)

        name = 'add creates ~/.ssh and the file as the user (fchown), 0700 and 0600'
        shutil.rmtree(ssh, ignore_errors=True)
        rep = q('guest-ssh-add-authorized-keys', username='alice', keys=['k2'])
        r.check(name, ret(rep) == {} and os.stat(ssh).st_uid == USER and os.stat(ak).st_uid == USER
                and stat.S_IMODE(os.stat(ssh).st_mode) == 0o700 and
                stat.S_IMODE(os.stat(ak).st_mode) == 0o600, rep)

        name = 'a root-owned world-readable authorized_keys is still read (admin-managed)'
        put(ak, 'k-admin\n', 0o644, 0)
        r.check(name, ret(q('guest-ssh-get-authorized-keys', username='alice')) == {'keys': ['k-admin']})

        # /etc: only root can plant here, so this is defence in depth
        etc = env_root + '/etc'
        for kind in ('hardlink', 'fifo', 'symlink'):
            name = '/etc/.pwd.lock as a %s: a clear error, shadow\'s mode and content unchanged, ' \
                   'no hang' % kind
            lock = etc + '/.pwd.lock'
            if os.path.lexists(lock):
                os.unlink(lock)
            {'hardlink': lambda: os.link(etc + '/shadow', lock), 'fifo': lambda: os.mkfifo(lock),
             'symlink': lambda: os.symlink(outside + '/secret', lock)}[kind]()
            before, sbefore = ident(etc + '/shadow'), ident(outside + '/secret')
            t = time.monotonic()
            rep = q('guest-set-user-password', username='alice', password=b64(b'pw'), crypted=False)
            secs = time.monotonic() - t
            r.check(name, (err(rep) or '').startswith('failed to set user password: /etc/.pwd.lock: ')
                    and ident(etc + '/shadow') == before and ident(outside + '/secret') == sbefore and
                    secs < BOUND and pings(q), (rep, secs))
            os.unlink(lock)

        for kind in ('fifo', 'symlink', 'hardlink'):
            name = '/etc/shadow+ as a %s: bounded wait, clear error, it and shadow untouched' % kind
            tmp = etc + '/shadow+'
            {'hardlink': lambda: os.link(outside + '/secret', tmp), 'fifo': lambda: os.mkfifo(tmp),
             'symlink': lambda: os.symlink(outside + '/secret', tmp)}[kind]()
            before, sbefore, tbefore = ident(etc + '/shadow'), ident(outside + '/secret'), os.lstat(tmp)
            t = time.monotonic()
            rep = q('guest-set-user-password', username='alice', password=b64(b'pw'), crypted=False)
            secs = time.monotonic() - t
            r.check(name, err(rep) == 'failed to set user password: /etc/shadow+ exists: another '
                    'program is changing /etc/shadow (or left it behind)' and
                    ident(etc + '/shadow') == before and ident(outside + '/secret') == sbefore and
                    os.lstat(tmp).st_ino == tbefore.st_ino and secs < BOUND and pings(q), (rep, secs))
            os.unlink(tmp)
    finally:
        q.close()
        a.stop()
        shutil.rmtree(env_root, ignore_errors=True)


def hook(r, b):
    """guest-fsfreeze-freeze with an empty mount list: only the hook acts."""
    def setup(c):
        root = c.d + '/root'
        put(root + '/proc/self/mountinfo', '', 0o644)
        os.chmod(root, 0o755)
        return dict(os.environ, TINYQGA_SYSROOT=root)

    def script(path, c, mode=0o755, uid=0):
        put(path, '#!/bin/sh\necho "$1" >> %s/ran\n' % c.d, mode, uid)

    cases = (
        ('hook owned by the user', 'not owned by root', lambda c, h: script(h, c, 0o755, USER)),
        ('hook writable by others', 'writable by group or others', lambda c, h: script(h, c, 0o777)),
        ('hook group-writable', 'writable by group or others', lambda c, h: script(h, c, 0o775)),
        ('hook in a directory of the user', 'not owned by root',
         lambda c, h: (script(h, c), os.chown(os.path.dirname(h), USER, USER))),
        ('hook in a world-writable directory', 'writable by group or others',
         lambda c, h: (script(h, c), os.chmod(os.path.dirname(h), 0o777))),
        ('hook a hard link in a sticky shared directory', 'hard link',
         lambda c, h: (script(c.d + '/real', c), os.chmod(os.path.dirname(h), 0o1777),
                       os.link(c.d + '/real', h))),
        ('hook a FIFO', 'not a regular file', lambda c, h: os.mkfifo(h)),
    )
    for what, why, plant in cases:
        name = '%s: freeze refused with a clear error, hook not run, nothing frozen' % what
        with Case(r, name) as c:
            c.b = b
            env = setup(c)
            os.makedirs(c.d + '/hooks')
            os.chmod(c.d + '/hooks', 0o755)
            h = c.d + '/hooks/hook'
            plant(c, h)
            a, q = c.agent(['-F' + h], env=env)
            t = time.monotonic()
            rep = q('guest-fsfreeze-freeze')
            e = err(rep) or ''
            r.check(name, e.startswith("refusing fsfreeze hook '%s': " % h) and why in e and
                    not os.path.exists(c.d + '/ran') and ret(q('guest-fsfreeze-status')) == 'thawed'
                    and time.monotonic() - t < BOUND and pings(q), rep)
            q.close()

    name = 'a root hook in root directories runs (also through a symlink in a root directory)'
    with Case(r, name) as c:
        c.b = b
        env = setup(c)
        os.makedirs(c.d + '/hooks')
        script(c.d + '/hooks/hook', c)
        os.symlink(c.d + '/hooks/hook', c.d + '/link')
        a, q = c.agent(['-F' + c.d + '/link'], env=env)
        rep = q('guest-fsfreeze-freeze')
        r.check(name, ret(rep) == 0 and open(c.d + '/ran').read() == 'freeze\n' and pings(q), rep)
        q.close()
    # a hook that never ends is killed after HELPER_HOOK_TIMEOUT_MS (10 min,
    # hooks flush databases): too long here; tests/hostile_guest.py runs the
    # same bounded wait on a hanging chpasswd (10 s)
    r.skip('hook that never ends', 'its bound is 10 min; the same wait is tested on a hanging '
           'helper in tests/hostile_guest.py')


def main():
    b = lib.binary(sys.argv[1:])
    r = Run([])
    if os.getuid() != 0:
        r.skip('hostile paths', 'planting files of another user needs root')
        return r.done()
    Case.b = b
    for suite in (statedir, pidfile, logfile, users, hook):
        try:
            suite(r, b)
        except Exception as e:     # one broken suite must not hide the others
            r.check(suite.__name__, False, 'exception: %r' % e)
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
