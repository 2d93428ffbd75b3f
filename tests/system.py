#!/usr/bin/env python3
"""Commands that change the guest, each on things this test owns: a
loop-mounted ext4 image (freeze, thaw, trim), fixture trees under
$TINYQGA_SYSROOT (passwd, shadow, authorized_keys, cpu, memory, power),
private mount and PID namespaces (shutdown).  The clock is never set:
only guest-set-time's refusals are checked here.

    tests/system.py ./tinyqga

Ends with "N passed, M failed, K skipped".
"""
import json
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


def put(root, path, data, mode=None):
    full = root + path
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, 'w') as f:
        f.write(data)
    if mode is not None:
        os.chmod(full, mode)


def check_crypt(plain, h):
    """The hash verifies with the system's crypt (libcrypt), where there is one."""
    try:
        import ctypes
        import ctypes.util
        lib = ctypes.CDLL(ctypes.util.find_library('crypt') or 'libcrypt.so.1')
        lib.crypt.restype = ctypes.c_char_p
        return lib.crypt(plain.encode(), h.encode()).decode() == h
    except OSError:
        return True         # nothing to check against here


def snapshot(d):
    """Names, inodes, modes and contents of a directory's files."""
    out = {}
    for n in sorted(os.listdir(d)):
        st = os.stat(os.path.join(d, n))
        with open(os.path.join(d, n), 'rb') as f:
            out[n] = (st.st_ino, st.st_mode, st.st_uid, st.st_gid, f.read())
    return out


def users(r, b):
    if os.getuid() != 0:
        r.skip('users', 'files are given to another user, which needs root')
        return
    root = tempfile.mkdtemp(prefix='tqga-users-')
    home = '/home/alice'
    put(root, '/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nalice:x:1234:1234::%s:/bin/sh\n' % home)
    put(root, '/etc/shadow', 'root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n', 0o640)
    os.makedirs(root + home)
    env = dict(os.environ, TINYQGA_SYSROOT=root, PATH='/nonexistent')
    a = Agent(b, env=env)
    q = Session(a)
    try:
        ak = root + home + '/.ssh/authorized_keys'
        r.check('ssh: add creates ~/.ssh 0700 and the file 0600, owned by the user',
                ret(q('guest-ssh-add-authorized-keys', username='alice', keys=['key2'])) == {} and
                stat.S_IMODE(os.stat(root + home + '/.ssh').st_mode) == 0o700 and
                stat.S_IMODE(os.stat(ak).st_mode) == 0o600 and os.stat(ak).st_uid == 1234)
        q('guest-ssh-add-authorized-keys', username='alice', keys=['key1', 'key2'])
        r.check('ssh: no duplicate, no trailing newline', open(ak).read() == 'key2\nkey1')
        q('guest-ssh-add-authorized-keys', username='alice', keys=['k3'], reset=True)
        r.check('ssh: reset replaces', open(ak).read() == 'k3')
        q('guest-ssh-add-authorized-keys', username='alice', keys=[], reset=True)
        r.check('ssh: reset with no keys leaves an empty file', open(ak).read() == '')
        with open(ak, 'w') as f:
            f.write('# comment\n  key1  \nkey2\n\nkey1\n')
        r.check('ssh: get strips, skips comments and blanks, last first',
                ret(q('guest-ssh-get-authorized-keys', username='alice')) ==
                {'keys': ['key1', 'key2', 'key1']})
        q('guest-ssh-remove-authorized-keys', username='alice', keys=['absent'])
        r.check('ssh: removing an absent key leaves the file as it was',
                open(ak).read() == '# comment\n  key1  \nkey2\n\nkey1\n')
        q('guest-ssh-remove-authorized-keys', username='alice', keys=['key1'])
        r.check('ssh: remove drops exact lines only, keeps comments and the trailing newline',
                open(ak).read() == '# comment\n  key1  \nkey2\n\n')
        q('guest-ssh-add-authorized-keys', username='alice', keys=['new'])
        r.check('ssh: a file ending in a newline gains a blank line (as qemu-ga)',
                open(ak).read() == '# comment\n  key1  \nkey2\n\n\nnew')
        r.check('ssh: key checks', err(q('guest-ssh-add-authorized-keys', username='alice',
                                         keys=['a\nb'])) == "invalid OpenSSH public key: 'a\nb'" and
                err(q('guest-ssh-add-authorized-keys', username='alice', keys=['#x'])) ==
                "invalid OpenSSH public key: '#x'")
        r.check('ssh: unknown user', err(q('guest-ssh-get-authorized-keys', username='bob')) ==
                "failed to lookup user 'bob': Success")
        # keys per request bounded: de-duplication compares each key with
        # every line (audit 20, item 5: 40,000 keys took 6.5 s)
        before_ak = open(ak).read()
        t0 = time.time()
        rep = q('guest-ssh-add-authorized-keys', username='alice',
                keys=['ssh-ed25519 AAAA%d' % i for i in range(40000)])
        r.check('ssh: 40,000 keys refused at once, the file untouched',
                err(rep) == 'too many keys: 40000, at most 256 per request' and
                time.time() - t0 < 3 and open(ak).read() == before_ak, rep)
        t0 = time.time()
        keys = ['ssh-ed25519 B%d' % i for i in range(128)]
        rep = q('guest-ssh-add-authorized-keys', username='alice', keys=keys + keys)
        rep2 = q('guest-ssh-remove-authorized-keys', username='alice', keys=keys)
        r.check('ssh: 256 keys (128 twice) added once each and removed, within 3 s',
                ret(rep) == {} and ret(rep2) == {} and time.time() - t0 < 3 and
                open(ak).read() == before_ak, (rep, rep2, time.time() - t0, open(ak).read()[-40:]))
        # a planted symlink must not redirect the write
        shutil.rmtree(root + home + '/.ssh')
        os.makedirs(root + '/elsewhere')
        os.symlink(root + '/elsewhere', root + home + '/.ssh')
        rep = q('guest-ssh-add-authorized-keys', username='alice', keys=['evil'])
        r.check('ssh: ~/.ssh as a symlink is refused, nothing written through it',
                'error' in rep and os.listdir(root + '/elsewhere') == [], rep)

        # passwords: no chpasswd in PATH, so /etc/shadow is written directly
        rep = q('guest-set-user-password', username='alice', password=b64(b'$6$x$hash'), crypted=True)
        sh = open(root + '/etc/shadow').read().splitlines()
        r.check('password: crypted hash into /etc/shadow, other lines untouched',
                ret(rep) == {} and sh[0] == 'root:*:19000:0:99999:7:::' and
                sh[1].startswith('alice:$6$x$hash:') and sh[1].endswith(':0:99999:7:::') and
                stat.S_IMODE(os.stat(root + '/etc/shadow').st_mode) == 0o640, (rep, sh))
        rep = q('guest-set-user-password', username='alice', password=b64(b'secret'), crypted=False)
        sh = open(root + '/etc/shadow').read().splitlines()
        h = sh[1].split(':')[1]
        r.check('password: plaintext hashed with SHA-512 crypt and a random salt',
                ret(rep) == {} and h.startswith('$6$') and len(h) == 3 + 16 + 1 + 86 and
                check_crypt('secret', h), (rep, h))
        r.check('password: no temp file left', sorted(os.listdir(root + '/etc')) in
                (['.pwd.lock', 'passwd', 'shadow'], ['passwd', 'shadow']), os.listdir(root + '/etc'))
        r.check('password: checks', err(q('guest-set-user-password', username='a:b', password='', crypted=False)) ==
                'forbidden characters in username' and
                err(q('guest-set-user-password', username='alice', password=b64(b'a\nb'), crypted=False)) ==
                'forbidden characters in raw password' and
                err(q('guest-set-user-password', username='alice', password='!', crypted=False)) ==
                'Base64 data contains invalid characters' and
                err(q('guest-set-user-password', username='alice', password=b64(b'$6$a:b'), crypted=True)) ==
                'forbidden characters in crypted password' and
                'empty crypted password' in err(q('guest-set-user-password', username='alice',
                                                  password='', crypted=True)))
        r.check('password: the lock file is created 0600',
                stat.S_IMODE(os.stat(root + '/etc/.pwd.lock').st_mode) == 0o600)
        files = snapshot(root + '/etc')
        rep = q('guest-set-user-password', username='nobody', password=b64(b'$1$x'), crypted=True)
        r.check('password: unknown user refused with qemu-ga\'s prefix, files untouched',
                err(rep) == "child process has failed to set user password: user 'nobody' does not exist"
                and snapshot(root + '/etc') == files, rep)
        os.chmod(root + '/etc/.pwd.lock', 0o644)
        q('guest-set-user-password', username='alice', password=b64(b'$6$x$hash'), crypted=True)
        r.check('password: an existing lock file readable by others is made 0600',
                stat.S_IMODE(os.stat(root + '/etc/.pwd.lock').st_mode) == 0o600)
        # shadow has the user, passwd's field is "x": only shadow changes
        ino = os.stat(root + '/etc/passwd').st_ino
        q('guest-set-user-password', username='alice', password=b64(b'$6$y$hash'), crypted=True)
        r.check('password: passwd left alone (not even rewritten) when its field is already "x"',
                os.stat(root + '/etc/passwd').st_ino == ino and
                open(root + '/etc/shadow').read().splitlines()[1].startswith('alice:$6$y$hash:'))
        # a busybox tool at work holds /etc/passwd+ (its new file, made O_EXCL)
        put(root, '/etc/shadow+', 'busybox was here\n')
        files = snapshot(root + '/etc')
        t = time.monotonic()
        rep = q('guest-set-user-password', username='alice', password=b64(b'x'), crypted=False)
        secs = time.monotonic() - t
        r.check('password: /etc/shadow+ of another program: bounded wait, clear error, both files '
                'as they were, agent answers after',
                err(rep) == 'failed to set user password: /etc/shadow+ exists: another program is '
                'changing /etc/shadow (or left it behind)' and 2 < secs < 5 and
                snapshot(root + '/etc') == files and ret(q('guest-ping')) == {}, (rep, secs))
        os.unlink(root + '/etc/shadow+')
        # a lock held elsewhere: a bounded wait, a clear error, the agent stays
        with open(root + '/etc/.pwd.lock', 'w') as held:
            import fcntl
            fcntl.lockf(held, fcntl.LOCK_EX)
            t = time.monotonic()
            rep = q('guest-set-user-password', username='alice', password=b64(b'x'), crypted=False)
            secs = time.monotonic() - t
        r.check('password: lock held by another process: error within 5 s, agent answers after',
                err(rep) == 'failed to set user password: /etc/.pwd.lock is held by another process'
                and 2 < secs < 5 and ret(q('guest-ping')) == {}, (rep, secs))
        # no /etc/shadow (busybox images): the hash goes into /etc/passwd
        before = open(root + '/etc/shadow').read()
        os.unlink(root + '/etc/shadow')
        os.chmod(root + '/etc/passwd', 0o644)
        os.chown(root + '/etc/passwd', 0, 1234)
        rep = q('guest-set-user-password', username='alice', password=b64(b'secret'), crypted=False)
        pw = open(root + '/etc/passwd').read().splitlines()
        f = pw[1].split(':')
        st = os.stat(root + '/etc/passwd')
        r.check('password without /etc/shadow: SHA-512 crypt in /etc/passwd, other fields, lines, '
                'owner and mode kept', ret(rep) == {} and pw[0] == 'root:x:0:0:root:/root:/bin/sh' and
                f[0] == 'alice' and f[1].startswith('$6$') and check_crypt('secret', f[1]) and
                f[2:] == ['1234', '1234', '', '/home/alice', '/bin/sh'] and
                stat.S_IMODE(st.st_mode) == 0o644 and st.st_gid == 1234 and
                sorted(os.listdir(root + '/etc')) == ['.pwd.lock', 'passwd'], (rep, pw))
        rep = q('guest-set-user-password', username='alice', password=b64(b'$6$s$h'), crypted=True)
        r.check('password without /etc/shadow: crypted hash as given',
                ret(rep) == {} and open(root + '/etc/passwd').read().splitlines()[1] ==
                'alice:$6$s$h:1234:1234::/home/alice:/bin/sh', rep)
        r.check('password without /etc/shadow: unknown user refused, /etc/passwd untouched',
                err(q('guest-set-user-password', username='bob', password=b64(b'x'), crypted=False)) ==
                "child process has failed to set user password: user 'bob' does not exist" and
                open(root + '/etc/passwd').read().splitlines()[1] ==
                'alice:$6$s$h:1234:1234::/home/alice:/bin/sh')
        # over the size limit (no shadow): refused, passwd untouched
        pw_before = open(root + '/etc/passwd').read()
        with open(root + '/etc/passwd', 'a') as f:
            f.write('#' * (4 << 20))
        big = snapshot(root + '/etc')
        rep = q('guest-set-user-password', username='alice', password=b64(b'x'), crypted=False)
        r.check('password: /etc/passwd over 4 MiB is refused, not truncated, no temp left',
                err(rep) == 'failed to set user password: /etc/passwd is larger than 4194304 bytes, '
                'left as it was' and snapshot(root + '/etc') == big, rep)
        with open(root + '/etc/passwd', 'w') as f:
            f.write(pw_before)
        # shadow without the user's line: passwd's field, as busybox and shadow-utils
        put(root, '/etc/shadow', 'root:*:19000:0:99999:7:::\n', 0o640)
        rep = q('guest-set-user-password', username='alice', password=b64(b'$6$p$w'), crypted=True)
        r.check('password: user not in /etc/shadow: the hash into /etc/passwd, shadow untouched',
                ret(rep) == {} and open(root + '/etc/passwd').read().splitlines()[1] ==
                'alice:$6$p$w:1234:1234::/home/alice:/bin/sh' and
                open(root + '/etc/shadow').read() == 'root:*:19000:0:99999:7:::\n', rep)
        # the user in shadow but a hash in passwd: shadow gets it, passwd "x" (as busybox)
        put(root, '/etc/shadow', 'root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n', 0o640)
        rep = q('guest-set-user-password', username='alice', password=b64(b'$6$q$v'), crypted=True)
        r.check('password: shadow updated and the old hash in passwd replaced by "x"',
                ret(rep) == {} and open(root + '/etc/passwd').read().splitlines() ==
                ['root:x:0:0:root:/root:/bin/sh', 'alice:x:1234:1234::/home/alice:/bin/sh'] and
                open(root + '/etc/shadow').read().splitlines()[1].startswith('alice:$6$q$v:') and
                stat.S_IMODE(os.stat(root + '/etc/passwd').st_mode) == 0o644 and
                os.stat(root + '/etc/passwd').st_gid == 1234 and
                sorted(os.listdir(root + '/etc')) == ['.pwd.lock', 'passwd', 'shadow'], rep)
        # the user's line last, without a newline or a third field: parsed
        # within its own bounds (audit issue 20, item 4; ASan caught the read)
        put(root, '/etc/shadow', 'root:*:19000:0:99999:7:::\nalice:!', 0o640)
        rep = q('guest-set-user-password', username='alice', password=b64(b'$6$t$u'), crypted=True)
        day = int(time.time() // 86400)
        r.check('password: last shadow line "alice:!" without newline: rewritten well-formed',
                ret(rep) == {} and open(root + '/etc/shadow').read() in
                ['root:*:19000:0:99999:7:::\nalice:$6$t$u:%d\n' % d for d in (day, day + 1)],
                (rep, open(root + '/etc/shadow').read()))
        # plaintext capped as libxcrypt's CRYPT_MAX_PASSPHRASE_SIZE: SHA-512
        # crypt's cost grows with the square of the length (audit 20, item 5)
        put(root, '/etc/shadow', before, 0o640)
        t0 = time.time()
        rep = q('guest-set-user-password', username='alice', password=b64(b'p' * 65536), crypted=False)
        r.check('password: plaintext of 64 KiB refused at once, shadow untouched',
                err(rep) == 'failed to set user password: password longer than 511 bytes' and
                time.time() - t0 < 2 and open(root + '/etc/shadow').read() == before, rep)
        rep = q('guest-set-user-password', username='alice', password=b64(b'p' * 511), crypted=False)
        h = open(root + '/etc/shadow').read().splitlines()[1].split(':')[1]
        r.check('password: plaintext of 511 bytes accepted', ret(rep) == {} and
                check_crypt('p' * 511, h), rep)
        # over the size limit: refused, the file untouched
        with open(root + '/etc/shadow', 'w') as f:
            f.write(before + '#' * (4 << 20))
        rep = q('guest-set-user-password', username='alice', password=b64(b'x'), crypted=False)
        r.check('password: /etc/shadow over 4 MiB is refused and left as it was',
                'larger than' in err(rep) and os.path.getsize(root + '/etc/shadow') ==
                len(before) + (4 << 20) and sorted(os.listdir(root + '/etc')) ==
                ['.pwd.lock', 'passwd', 'shadow'], rep)
    finally:
        q.close()
        a.stop()


def sysfs(r, b):
    root = tempfile.mkdtemp(prefix='tqga-sys-')
    for i, online in ((0, None), (1, '1'), (2, '0')):
        os.makedirs(root + '/sys/devices/system/cpu/cpu%d' % i)
        if online is not None:
            put(root, '/sys/devices/system/cpu/cpu%d/online' % i, online)
    os.makedirs(root + '/sys/devices/system/cpu/cpu3')     # an "online" that cannot be opened
    os.symlink('online', root + '/sys/devices/system/cpu/cpu3/online')
    put(root, '/sys/devices/system/cpu/cpu4/online', '')    # nor read
    for i, state in ((1, 'online'), (2, 'offline')):
        put(root, '/sys/devices/system/memory/memory%d/state' % i, state + '\n')
    put(root, '/sys/power/state', 'freeze mem disk\n')
    put(root, '/sys/power/disk', '[platform] shutdown reboot suspend\n')
    a = Agent(b, env=dict(os.environ, TINYQGA_SYSROOT=root, PATH='/nonexistent'))
    q = Session(a)
    try:
        rep = q('guest-set-vcpus', vcpus=[{'logical-id': 2, 'online': True}, {'logical-id': 1, 'online': False},
                                          {'logical-id': 0, 'online': False}, {'logical-id': 1, 'online': True}])
        r.check('set-vcpus: in order, stops at the first failure, counts what was done',
                ret(rep) == 2 and open(root + '/sys/devices/system/cpu/cpu2/online').read() == '1' and
                open(root + '/sys/devices/system/cpu/cpu1/online').read() == '0', rep)
        r.check('set-vcpus: the first failing is an error',
                err(q('guest-set-vcpus', vcpus=[{'logical-id': 0, 'online': False}])) ==
                "logical processor #0 can't be offlined" and
                err(q('guest-set-vcpus', vcpus=[{'logical-id': 7, 'online': True}])) ==
                "Could not open '/sys/devices/system/cpu/cpu7/': No such file or directory" and
                err(q('guest-set-vcpus', vcpus=[{'logical-id': 3, 'online': True}])) in (
                    'could not open /sys/devices/system/cpu/cpu3//online: ' + loop
                    for loop in ('Too many levels of symbolic links', 'Symbolic link loop')) and
                err(q('guest-set-vcpus', vcpus=[{'logical-id': 4, 'online': True}])) ==
                'pread("/sys/devices/system/cpu/cpu4//online"): unexpected EOF' and
                ret(q('guest-set-vcpus', vcpus=[])) == 0)
        rep = ret(q('guest-set-memory-blocks', **{'mem-blks': [
            {'phys-index': 2, 'online': True}, {'phys-index': 1, 'online': True}, {'phys-index': 9, 'online': False}]}))
        r.check('set-memory-blocks: a result per block', rep == [
            {'response': 'success', 'phys-index': 2}, {'response': 'success', 'phys-index': 1},
            {'response': 'not-found', 'error-code': 2, 'phys-index': 9}] and
            open(root + '/sys/devices/system/memory/memory2/state').read().startswith('online'), rep)
        q.close()       # one client at a time: the raw exchanges below
        raw = a.exchange(b'{"execute":"guest-suspend-ram"}{"execute":"guest-ping"}', timeout=2)
        r.check('suspend-ram: no systemd or pm-utils, the kernel offers mem: written, no reply',
                raw == b'{"return": {}}\n' and open(root + '/sys/power/state').read().startswith('mem'), raw)
        put(root, '/sys/power/state', 'freeze mem disk\n')
        raw = a.exchange(b'{"execute":"guest-suspend-hybrid"}{"execute":"guest-ping"}', timeout=2)
        # fixture files are overwritten in place, not replaced as sysfs does
        r.check('suspend-hybrid: through /sys/power/disk=suspend', raw == b'{"return": {}}\n' and
                open(root + '/sys/power/disk').read().startswith('suspend') and
                open(root + '/sys/power/state').read().startswith('disk'), raw)
        put(root, '/sys/power/state', 'freeze\n')
        q = Session(a)
        r.check('suspend: nothing supported', err(q('guest-suspend-disk')) ==
                'the requested suspend mode is not supported by the guest')
        r.check('set-time refusals (the clock is left alone)',
                err(q('guest-set-time', time=-1)) == 'Invalid time' and
                err(q('guest-set-time', time=4000000000 * 10**9)) == 'Invalid time')
        r.check('shutdown: bad mode, qemu-ga text', err(q('guest-shutdown', mode='off')) ==
                'mode is invalid (valid values are: halt|powerdown|reboot')
    finally:
        q.close()
        a.stop()


def shutdown(r, b):
    """The agent in a PID namespace of its own, as in a container on the
    guest: the container's programs and reboot(2) would end only the
    container, so it goes to /proc/sysrq-trigger.  That file is always a
    fixture here (bound over the real one, or the agent never starts):
    the real one would power this machine off."""
    if os.getuid() != 0 or subprocess.call(['unshare', '-m', '-p', '-f', '--mount-proc', 'true'],
                                           stderr=subprocess.DEVNULL) != 0:
        r.skip('shutdown', 'needs root and unshare for private mount and PID namespaces')
        return
    d = tempfile.mkdtemp(prefix='tqga-shutdown-')
    sbin = d + '/sbin'
    os.makedirs(sbin)
    put(d, '/sbin/poweroff', '#!/bin/sh\necho "$@" > %s/ran\n' % d, 0o755)
    put(d, '/rq/sysrq', '')
    a = Agent.__new__(Agent)
    a.sock = d + '/s'

    def start(ro=False):
        """The agent in new PID and mount namespaces, its /proc a tmpfs of
        links into a real procfs but for sysrq-trigger, a link to the
        fixture (on a read-only bind mount if ro).  Works whether or not
        this kernel has sysrq; the real file is never reachable."""
        if os.path.exists(d + '/s'):
            os.unlink(d + '/s')
        fix = d + '/fix'
        os.makedirs(fix + '/real', exist_ok=True)
        script = ('set -e; mount --bind {sbin} /sbin; mount -t proc proc {fix}/real; '
                  'mount -t tmpfs tmpfs /proc; for e in {fix}/real/*; do ln -s $e /proc/${{e##*/}}; done; '
                  'rm /proc/sysrq-trigger 2>/dev/null || true; ln -s {d}/rq/sysrq /proc/sysrq-trigger; '
                  '{ro}exec {b} -m unix-listen -p {d}/s -t {d}').format(
            sbin=sbin, fix=fix, d=d, b=b,
            ro='mount --bind {r} {r}; mount -o remount,bind,ro {r}; '.format(r=d + '/rq') if ro else '')
        p = subprocess.Popen(['unshare', '-m', '-p', '-f', '--kill-child',
                              'sh', '-c', script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(d + '/s'):
                break
            time.sleep(0.05)
        return p

    try:
        p = start()
        raw = a.exchange(b'{"execute":"guest-shutdown"}{"execute":"guest-ping"}', timeout=2)
        r.check('in a PID namespace: power-off through sysrq \'o\', not the container\'s poweroff; '
                'no reply', raw == b'{"return": {}}\n' and open(d + '/rq/sysrq').read() == 'o' and
                not os.path.exists(d + '/ran'), raw)
        raw = a.exchange(b'{"execute":"guest-shutdown","arguments":{"mode":"reboot"}}', timeout=2)
        r.check('in a PID namespace: reboot through sysrq \'b\'',
                raw == b'' and open(d + '/rq/sysrq').read() == 'b', raw)
        rep = json.loads(a.exchange(b'{"execute":"guest-shutdown","arguments":{"mode":"halt"}}',
                                    timeout=2))
        r.check('in a PID namespace: halt is refused, saying why',
                'PID namespace' in rep['error']['desc'] and 'halt is not possible' in rep['error']['desc'],
                rep)
        p.kill()
        p.wait()
        p = start(ro=True)
        rep = json.loads(a.exchange(b'{"execute":"guest-shutdown"}', timeout=2))
        r.check('in a PID namespace, sysrq read-only: a clear error, and the agent stays',
                rep['error']['desc'].endswith('/proc/sysrq-trigger: Read-only file system') and
                a.exchange(b'{"execute":"guest-ping"}', timeout=2) == b'{"return": {}}\n', rep)
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def freeze(r, b):
    if os.getuid() != 0 or not shutil.which('losetup') or not shutil.which('mkfs.ext4'):
        r.skip('freeze', 'needs root, losetup and mkfs.ext4')
        return
    d = tempfile.mkdtemp(prefix='tqga-freeze-')
    img, mnt = d + '/img', d + '/mnt'
    os.makedirs(mnt)
    subprocess.check_call(['truncate', '-s', '32M', img])
    subprocess.check_call(['mkfs.ext4', '-q', img])
    loop = subprocess.run(['losetup', '-f', '--show', img], capture_output=True, text=True)
    if loop.returncode != 0 or subprocess.call(['mount', loop.stdout.strip(), mnt]) != 0:
        r.skip('freeze', 'no loop device here')
        return
    loopdev = loop.stdout.strip()
    a = None
    try:
        # only the test's filesystem is in the mount list the agent sees
        root = d + '/root'
        line = [l for l in open('/proc/self/mountinfo') if ' %s ' % mnt in l][0]
        put(root, '/proc/self/mountinfo', line)
        hook = d + '/hook'
        put(d, '/hook', '#!/bin/sh\nif touch %s/probe 2>/dev/null; then w=rw; else w=ro; fi\n'
            'echo "$1" >> %s/hook.log\n' % (d, d), 0o755)
        st = d + '/state'
        env = dict(os.environ, TINYQGA_SYSROOT=root)
        a = Agent(b, ['-t', st, '-F' + hook, '--thaw-after=3', '-v', '-l', d + '/agent.log'], env=env)
        q = Session(a)
        r.check('freeze: one filesystem frozen', ret(q('guest-fsfreeze-freeze')) == 1 and
                ret(q('guest-fsfreeze-status')) == 'frozen' and os.path.exists(st + '/qga.state.isfrozen'))
        r.check('frozen: only the freeze-safe commands', err(q('guest-get-time')) ==
                'Command guest-get-time has been disabled: the command is not allowed' and
                q('guest-ping') == {'return': {}} and 'return' in q('guest-info'))
        a.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        r.check('frozen: SIGTERM ignored', a.proc.poll() is None)
        r.check('thaw: count, thawed, hook ran freeze then thaw',
                ret(q('guest-fsfreeze-thaw')) == 1 and ret(q('guest-fsfreeze-status')) == 'thawed' and
                open(d + '/hook.log').read() == 'freeze\nthaw\n' and not os.path.exists(st + '/qga.state.isfrozen'))
        r.check('freeze-list: a list matching nothing freezes nothing, no thaw hook',
                ret(q('guest-fsfreeze-freeze-list', mountpoints=['/nope'])) == 0 and
                ret(q('guest-fsfreeze-status')) == 'thawed' and
                open(d + '/hook.log').read() == 'freeze\nthaw\nfreeze\n')
        r.check('freeze-list by mount point', ret(q('guest-fsfreeze-freeze-list', mountpoints=[mnt])) == 1)
        time.sleep(4)
        r.check('auto-thaw after --thaw-after', ret(q('guest-fsfreeze-status')) == 'thawed' and
                open(d + '/hook.log').read().endswith('freeze\nthaw\n'))
        rep = ret(q('guest-fstrim', minimum=0))
        r.check('fstrim: per path, trimmed bytes', rep and rep['paths'][0]['path'] == mnt and
                'trimmed' in rep['paths'][0] and list(rep['paths'][0]) == ['minimum', 'path', 'trimmed'], rep)
        # what qemu-ga sends to syslog (the -v log shows it), none while frozen
        slog = [l.split(': debug: ', 1)[1] for l in open(d + '/agent.log').read().splitlines()
                if ': debug: guest-fs' in l or ': debug: executing' in l]
        hf, ht = "executing fsfreeze hook with arg 'freeze'", "executing fsfreeze hook with arg 'thaw'"
        want = ['guest-fsfreeze called', hf, 'guest-fsthaw called', ht, 'guest-fsfreeze called', hf,
                'guest-fsfreeze called', hf, 'guest-fsthaw called', ht, 'guest-fstrim called']
        r.check('syslog lines: freeze, hook, thaw (also the auto-thaw), trim', slog == want, (slog, want))
        # a restart while frozen stays frozen
        q('guest-fsfreeze-freeze')
        q.close()
        a.proc.kill()
        a.proc.wait()
        a = Agent(b, ['-t', st], env=env)
        q = Session(a)
        r.check('restart while frozen: starts frozen, thaw works',
                ret(q('guest-fsfreeze-status')) == 'frozen' and ret(q('guest-fsfreeze-thaw')) == 1)
        q.close()
    finally:
        subprocess.call(['fsfreeze', '-u', mnt], stderr=subprocess.DEVNULL)
        if a:
            a.stop()
        subprocess.call(['umount', mnt])
        subprocess.call(['losetup', '-d', loopdev])


def logins(r, b):
    """guest-get-users from systemd-logind's session files where utmp is
    absent or empty (Debian 13 writes none)."""
    root = tempfile.mkdtemp(prefix='tqga-logins-')

    def session(name, user, realtime, cls='user', state='active'):
        put(root, '/run/systemd/sessions/' + name,
            '# This is private data. Do not parse.\nUID=1000\nUSER=%s\nACTIVE=1\nSTATE=%s\n'
            'REMOTE=0\nCLASS=%s\nSCOPE=session-%s.scope\nREALTIME=%d\nMONOTONIC=1\n' % (
                user, state, cls, name, realtime))
    session('3', 'alice', 1700000300000000)
    session('2', 'alice', 1700000100250000)
    session('c1', 'bob', 1700000200500000)
    session('g', 'gdm', 1700000000000000, cls='greeter')
    session('m', 'alice', 1600000000000000, cls='manager')
    session('x', 'carol', 1700000000000000, state='closing')
    session('o', 'carol', 1700000000000000, state='opening')
    session('i', 'carol', 1700000000000000, cls='user-incomplete')
    session('bg', 'carol', 1700000000000000, cls='background')
    session('.#5Ab12', 'alice', 1000000000000000)     # logind's temp file before its rename
    session('r', 'root', 1700000400000001, cls='user-early', state='online')
    put(root, '/run/systemd/sessions/big', 'USER=mallory\nCLASS=user\nREALTIME=1\n' + 'x' * 100000)
    head = 'USER=%s\nCLASS=user\nREALTIME=1700000600000000\n'
    put(root, '/run/systemd/sessions/over', (head % 'mallory').ljust(4097, 'x'))  # cap + 1
    put(root, '/run/systemd/sessions/fits', (head % 'dave').ljust(4096, 'x'))     # the cap
    put(root, '/run/systemd/sessions/junk', '\x00\x01garbage\nUSER\nCLASS=\n=\n')
    put(root, '/run/systemd/sessions/badtime', 'USER=mallory\nCLASS=user\nREALTIME=12x\n')
    put(root, '/run/systemd/sessions/notime', 'USER=mallory\nCLASS=user\n')
    os.mkfifo(root + '/run/systemd/sessions/fifo')
    os.mkfifo(root + '/run/systemd/sessions/3.ref')
    os.makedirs(root + '/run/systemd/sessions/dir')
    long_name = 'u' * 40
    session('l', long_name, 1700000500000000)
    os.makedirs(root + '/var/run')
    a = Agent(b, env=dict(os.environ, TINYQGA_SYSROOT=root))
    q = Session(a)
    try:
        t = time.monotonic()
        got = ret(q('guest-get-users'))
        secs = time.monotonic() - t
        r.check('users without utmp: logind login sessions, the earliest per user; greeter, manager, '
                'background, incomplete, opening and closing sessions, temp, oversized, garbage '
                'and FIFO files skipped, quickly',
                sorted(got, key=lambda u: u['user']) == [
                    {'login-time': 1700000100.25, 'user': 'alice'},
                    {'login-time': 1700000200.5, 'user': 'bob'},
                    {'login-time': 1700000600.0, 'user': 'dave'},
                    {'login-time': 1700000400.000001, 'user': 'root'},
                    {'login-time': 1700000500.0, 'user': long_name}] and secs < 2, (got, secs))
        # a utmp without user records (only boot time): logind is still asked
        boot = bytearray(384)
        boot[0:2] = (2).to_bytes(2, 'little')
        with open(root + '/var/run/utmp', 'wb') as f:
            f.write(bytes(boot))
        r.check('users: a utmp without user records falls back to logind',
                len(ret(q('guest-get-users'))) == 5)
        # a utmp with a user in it wins
        rec = bytearray(384)
        rec[0:2] = (7).to_bytes(2, 'little')
        rec[44:48] = b'dave'
        rec[340:344] = (1600000000).to_bytes(4, 'little')
        with open(root + '/var/run/utmp', 'wb') as f:
            f.write(bytes(boot) + bytes(rec))
        r.check('users: utmp first, logind ignored when utmp has users',
                ret(q('guest-get-users')) == [{'login-time': 1600000000.0, 'user': 'dave'}])
    finally:
        q.close()
        a.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    b = lib.binary(sys.argv[1:])
    r = Run([])
    users(r, b)
    logins(r, b)
    sysfs(r, b)
    freeze(r, b)
    shutdown(r, b)
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
