#!/usr/bin/env python3
"""Command line, config file, daemon mode, pid file, log, state directory
and retry path: tinyqga as a drop-in for qemu-ga's invocation.

    tests/cli.py ./tinyqga [--no-ref]

When /usr/sbin/qemu-ga is installed, --dump-conf output is also read back
by it.  Ends with "N passed, M failed, K skipped".
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import OK, Run, alive, answers, ask, wait_for  # noqa: E402
import lib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNIT_ARGS = ['--method=virtio-serial', '--path=/dev/virtio-ports/org.qemu.guest_agent.0',
             '--blacklist=guest-file-open,guest-file-close,guest-file-read,guest-file-write,'
             'guest-file-seek,guest-file-flush,guest-exec,guest-exec-status',
             '-F/etc/qemu-ga/fsfreeze-hook']
# What qemu-ga -D prints for the distro unit's line (7.2, plus newer allow-rpcs).
UNIT_DUMP = '''[general]
daemon=false
method=virtio-serial
path=/dev/virtio-ports/org.qemu.guest_agent.0
pidfile=/var/run/qemu-ga.pid
fsfreeze-hook=/etc/qemu-ga/fsfreeze-hook
statedir=/var/run
verbose=false
retry-path=false
block-rpcs=guest-exec-status,guest-exec,guest-file-flush,guest-file-seek,guest-file-write,guest-file-read,guest-file-close,guest-file-open
allow-rpcs=
'''


def run(binary, *args, env=None, cwd=None, timeout=10):
    e = dict(os.environ, QGA_CONF='/nonexistent/qemu-ga.conf')
    e.update(env or {})
    p = subprocess.run([binary] + list(args), capture_output=True, env=e, cwd=cwd, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def options(r, b, ref):
    rc, out, err = run(b, '-D', *UNIT_ARGS)
    r.check('distro unit line parses as qemu-ga does', rc == 0 and out == UNIT_DUMP, out + err)

    rc, out, _ = run(b, '--help')
    longs = set(re.findall(r'--[a-z-]+', out))
    r.check('--help names every option', rc == 0 and longs >= {
        '--method', '--path', '--logfile', '--pidfile', '--fsfreeze-hook', '--statedir',
        '--verbose', '--version', '--daemonize', '--block-rpcs', '--allow-rpcs',
        '--dump-conf', '--retry-path', '--config', '--help'}, sorted(longs))
    rc, out, _ = run(b, '-b', '?')
    r.check('-b ? lists commands', rc == 0 and 'guest-ping\n' in out, out)

    # getopt's syntax: clusters, attached values, prefixes, --name value
    rc, out, _ = run(b, '-vdD', '-munix-listen', '--pa', '/s', '--stat=/st', '-Fhook', '--fsfree')
    r.check('clustered, attached and abbreviated options', rc == 0 and
            'verbose=true' in out and 'daemon=true' in out and 'method=unix-listen' in out and
            'path=/s\n' in out and 'statedir=/st' in out and
            'fsfreeze-hook=/etc/qemu/fsfreeze-hook' in out, out)
    rc, out, _ = run(b, '-D', '-F', 'x')
    r.check('-F takes its argument only attached',
            rc == 0 and 'fsfreeze-hook=/etc/qemu/fsfreeze-hook' in out, out)
    rc, out, _ = run(b, '-D', '-b', 'a,b', '--block-rpcs', 'c', '-a', ',x,,y,')
    r.check('lists: each comma string reversed, then appended; empty names dropped',
            rc == 0 and 'block-rpcs=b,a,c\n' in out and 'allow-rpcs=y,x\n' in out, out)
    rc, out, _ = run(b, '-D', '-m', 'isa-serial')
    r.check('default path follows the method', 'path=/dev/ttyS0\n' in out, out)
    rc, out, _ = run(b, '-D', '-m', 'unix-listen')
    r.check('no path line when there is no default', rc == 0 and '\npath=' not in out, out)

    for args, what in ((['--bogus'], 'unknown long option'), (['-x'], 'unknown short option'),
                       (['-m'], 'missing argument'), (['--version=1'], 'argument to a flag'),
                       (['--ver'], 'ambiguous prefix')):
        rc, out, err = run(b, *args)
        r.check('bad invocation (%s): exit 1, says so on stderr' % what,
                rc == 1 and "try '" in err and '--help' in err and not out, (rc, err))
    d = tempfile.mkdtemp()
    rc, _, err = run(b, '-m', 'bogus', '-p', d + '/s', '-t', d + '/state', '-d', '-f', d + '/pid')
    r.check('bad method: exit 1, one line, nothing left behind',
            rc == 1 and err.count('\n') == 1 and 'bogus' in err and os.listdir(d) == [], (err, os.listdir(d)))
    rc, _, err = run(b, '-m', 'unix-listen', '-p', d + '/no/dir/s', '-t', d + '/state', '-d', '-f', d + '/pid')
    r.check('unusable path: exit 1, nothing left behind',
            rc == 1 and 'no/dir/s' in err and os.listdir(d) == [], (err, os.listdir(d)))


def config(r, b, ref):
    d = tempfile.mkdtemp()
    conf = os.path.join(d, 'qga.conf')

    def write(text):
        with open(conf, 'w') as f:
            f.write(text)

    write('# comment\n[other]\nmethod=isa-serial\n[general]\n daemon = true\nmethod=unix-listen\n'
          'path=/from/file\nverbose=1\nblock-rpcs=a,b\nallow-rpcs=guest-ping\nunknown-key=x\n'
          'statedir=\\s/with\\sescapes\n')
    rc, out, err = run(b, '-c', conf, '-D')
    r.check('config file: [general] keys read, other groups and unknown keys ignored',
            rc == 0 and 'daemon=true' in out and 'method=unix-listen' in out and
            'path=/from/file' in out and 'verbose=true' in out and 'block-rpcs=b,a\n' in out and
            'allow-rpcs=guest-ping\n' in out and 'statedir=\\s/with escapes\n' in out, out + err)
    rc, out, err = run(b, '-D', '-p', '/from/cli', '-b', 'c', env={'QGA_CONF': conf})
    r.check('$QGA_CONF read; options beat the file, lists append',
            rc == 0 and 'path=/from/cli\n' in out and 'block-rpcs=b,a,c\n' in out, out + err)
    rc, out, err = run(b, '-D', '-c', conf, '-m', 'vsock-listen', '-c', conf)
    r.check('-c read first wherever it stands', rc == 0 and 'method=vsock-listen' in out, out)

    rc, _, err = run(b, '-c', os.path.join(d, 'missing.conf'), '-D')
    r.check('-c with a missing file is an error', rc == 1 and 'missing.conf' in err, err)
    rc, out, _ = run(b, '-D', env={'QGA_CONF': os.path.join(d, 'missing.conf')})
    r.check('a missing default config is ignored', rc == 0 and 'method=virtio-serial' in out, out)
    for text, what in (('[general]\nretry-path=yes\n', 'bad boolean'),
                       ('[general]\ngarbage line\n', 'malformed line'),
                       ('method=x\n', 'key before any group'),
                       ('[general]\npath=a\\qb\n', 'bad escape')):
        write(text)
        rc, out, err = run(b, '-c', conf, '-D')
        r.check('bad config (%s): exit 1, one line naming the file' % what,
                rc == 1 and not out and err.count('\n') == 1 and conf in err, err)

    # --dump-conf round trip, through tinyqga and through qemu-ga
    rc, out1, _ = run(b, '-D', '-m', 'unix-listen', '-p', '/s p', '-l', '/log', '-f', '/pid',
                      '-t', '/st', '-v', '-r', '-d', '-b', 'guest-ping,guest-info', '-a', 'guest-sync',
                      '-F/hook')
    write(out1)
    rc, out2, err = run(b, '-c', conf, '-D')

    def norm(text):     # RPC lists are sets: reading one back reverses it
        return sorted(re.sub(r'(rpcs=)(.*)', lambda m: m[1] + ','.join(sorted(m[2].split(','))), line)
                      for line in text.splitlines() if not line.startswith('allow-rpcs='))
    r.check('--dump-conf read back by tinyqga gives the same settings',
            rc == 0 and norm(out1) == norm(out2) and 'allow-rpcs=guest-sync' in out2, (out1, out2, err))
    if ref:
        p = subprocess.run([ref, '-D'], capture_output=True, env=dict(os.environ, QGA_CONF=conf))
        # 7.2 has no allow list; everything else must read back the same
        r.check('--dump-conf read back by qemu-ga gives the same settings',
                p.returncode == 0 and norm(p.stdout.decode()) == norm(out1), p.stdout.decode())


def daemon(r, b):
    d = tempfile.mkdtemp()
    sock, pidf, st = d + '/s', d + '/run/pid', d + '/state/deep'
    os.mkdir(d + '/run')
    rc, out, err = run(b, '-d', '-m', 'unix-listen', '-p', sock, '-t', st, '-f', pidf,
                       '-l', d + '/log', '-v', cwd=d)
    pid = int(open(pidf).read()) if os.path.exists(pidf) else 0
    r.check('-d: parent exits 0 once the daemon runs, pid file holds its pid',
            rc == 0 and pid and alive(pid), (rc, err))
    if not pid:
        return
    try:
        r.check('daemon answers', ask(sock) == OK)
        r.check('daemon is a session leader in /', os.getsid(pid) == pid and
                os.readlink('/proc/%d/cwd' % pid) == '/')
        r.check('daemon stdio is /dev/null',
                all(os.readlink('/proc/%d/fd/%d' % (pid, i)) == '/dev/null' for i in range(3)))
        r.check('pid file is 0600', stat.S_IMODE(os.stat(pidf).st_mode) == 0o600)
        r.check('state directory created 0700', stat.S_IMODE(os.stat(st).st_mode) == 0o700)
        r.check('state file is 0600 (only root reads the handle counter)',
                stat.S_IMODE(os.stat(st + '/qga.state').st_mode) == 0o600)
        r.check('qga.state as qemu-ga writes it',
                open(st + '/qga.state').read() == '[global]\nfd_counter=1000\n')
        rc, _, err = run(b, '-d', '-m', 'unix-listen', '-p', d + '/s2', '-t', st, '-f', pidf)
        r.check('second instance with the same pid file refused, first untouched',
                rc == 1 and 'another instance' in err and not os.path.exists(d + '/s2') and
                ask(sock) == OK and int(open(pidf).read()) == pid, err)
        log = open(d + '/log').read()
        r.check('-l -v: timestamped lines, commands logged',
                re.search(r'^\d+\.\d{6}: debug: ', log, re.M) and 'guest-ping called' in log, log)
    finally:
        os.kill(pid, signal.SIGTERM)
    r.check('SIGTERM: daemon exits, pid file removed',
            wait_for(lambda: not alive(pid)) and not os.path.exists(pidf))

    os.symlink(d + '/elsewhere', d + '/link.pid')
    rc, _, err = run(b, '-d', '-m', 'unix-listen', '-p', sock, '-t', st, '-f', d + '/link.pid')
    r.check('pid file is never opened through a symlink',
            rc == 1 and not os.path.exists(d + '/elsewhere') and 'link.pid' in err, err)
    open(d + '/stale.pid', 'w').write('99999\n')
    rc, _, err = run(b, '-d', '-m', 'unix-listen', '-p', sock, '-t', st, '-f', d + '/stale.pid')
    pid = int(open(d + '/stale.pid').read())
    r.check('a stale pid file is taken over', rc == 0 and pid != 99999 and alive(pid), err)
    os.kill(pid, signal.SIGINT)
    r.check('SIGINT exits too', wait_for(lambda: not alive(pid)))


def closed_stdio(r, b):
    """Started with fds 0-2 closed: what the agent opens must not land
    there and then be covered by /dev/null."""
    def close_stdio():
        os.close(0); os.close(1); os.close(2)

    def close_stdin():
        os.close(0)

    def cpu(pid):
        return sum(int(x) for x in open('/proc/%d/stat' % pid).read().split()[13:15])

    d = tempfile.mkdtemp()
    sock, pidf = d + '/s', d + '/pid'
    e = dict(os.environ, QGA_CONF='/nonexistent/qemu-ga.conf')
    subprocess.run([b, '-d', '-m', 'unix-listen', '-p', sock, '-t', d, '-f', pidf],
                   env=e, preexec_fn=close_stdio, timeout=10)
    pid = int(open(pidf).read()) if wait_for(lambda: os.path.exists(pidf) and
                                             open(pidf).read().strip()) else 0
    r.check('closed stdio: daemon starts', pid and alive(pid))
    if not pid:
        return
    try:
        c0 = cpu(pid)
        try:
            got = ask(sock)
        except OSError as ex:
            got = repr(ex)
        r.check('closed stdio: daemon answers guest-ping', got == OK, got)
        time.sleep(1)
        r.check('closed stdio: daemon costs no CPU', cpu(pid) - c0 <= 10, cpu(pid) - c0)
    finally:
        os.kill(pid, signal.SIGTERM)
    r.check('closed stdio: SIGTERM ends the daemon', wait_for(lambda: not alive(pid)))
    if alive(pid):
        os.kill(pid, signal.SIGKILL)

    subprocess.run([b, '-d', '-m', 'unix-listen', '-p', sock, '-t', d, '-f', pidf],
                   env=e, preexec_fn=close_stdin, capture_output=True, timeout=10)
    pid = int(open(pidf).read()) if wait_for(lambda: os.path.exists(pidf) and
                                             open(pidf).read().strip()) else 0
    try:
        rc, _, err = run(b, '-d', '-m', 'unix-listen', '-p', d + '/s2', '-t', d, '-f', pidf)
        r.check('closed stdin: a second instance with the same pid file is refused',
                pid and rc == 1 and 'another instance' in err, (rc, err))
        if rc == 0:
            p2 = int(open(pidf).read() or 0)
            if p2 and p2 != pid:
                os.kill(p2, signal.SIGKILL)
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not pid or not alive(pid))


def foreground(r, b):
    d = tempfile.mkdtemp()
    sock = d + '/s'
    p = subprocess.Popen([b, '-m', 'unix-listen', '-p', sock, '-t', 'rel/state'], cwd=d,
                         stderr=subprocess.PIPE)
    # the state directory is made after the channel opens: ready is a reply
    ready = wait_for(lambda: answers(sock))
    r.check('relative state directory created from the start directory',
            ready and os.path.isdir(d + '/rel/state'), (ready, os.listdir(d)))
    r.check('no pid file without -d', not os.path.exists('/var/run/qemu-ga.pid') or
            int(open('/var/run/qemu-ga.pid').read() or 0) != p.pid)
    p.send_signal(signal.SIGTERM)
    r.check('foreground SIGTERM exits 0', p.wait(5) == 0)

    # -r: the channel comes back after it went away
    sock = d + '/later/s'
    p = subprocess.Popen([b, '-r', '-m', 'unix-listen', '-p', sock, '-t', d], stderr=subprocess.PIPE)
    time.sleep(0.5)
    r.check('-r: starts although the path cannot be used yet', p.poll() is None)
    os.mkdir(d + '/later')
    r.check('-r: listens once the path can be used', wait_for(lambda: answers(sock), 8))
    os.unlink(sock)
    r.check('-r: a removed socket path is recreated', wait_for(lambda: answers(sock), 8))
    before = sum(int(x) for x in open('/proc/%d/stat' % p.pid).read().split()[13:15])
    time.sleep(2)
    after = sum(int(x) for x in open('/proc/%d/stat' % p.pid).read().split()[13:15])
    r.check('-r: waiting costs no CPU', after - before <= 2, after - before)
    p.send_signal(signal.SIGTERM)
    r.check('-r: SIGTERM exits 0', p.wait(5) == 0)


def defined(path, pattern):
    with open(os.path.join(ROOT, path)) as f:
        return re.search(pattern, f.read(), re.M).group(1)


def info_version(b, args=()):
    """guest-info's version from a short-lived agent on a unix socket."""
    a = lib.Agent(b, args)
    try:
        return json.loads(ask(a.sock, b'{"execute":"guest-info"}'))['return']['version']
    except (OSError, ValueError, KeyError):
        return None
    finally:
        a.stop()


def version(r, b):
    """qemu-ga's version for hosts (make QGA_VERSION=), tinyqga's beside it."""
    qga = defined('Makefile', r'^QGA_VERSION \?= (\S+)$')
    own = defined('options.h', r'^#define TINYQGA_VERSION "([^"]+)"$')
    rc, out, _ = run(b, '-V')
    r.check('-V: qemu-ga\'s line with the default QGA_VERSION, then tinyqga\'s own, exit 0',
            rc == 0 and out == 'QEMU Guest Agent %s\ntinyqga %s\n' % (qga, own), out)
    got = info_version(b)
    r.check('guest-info version is the default QGA_VERSION %s' % qga, got == qga, got)

    for bad in ('10.2.0"', '10..2', '.10', '10.', '10 2', '10.2-rc1', ''):
        p = subprocess.run(['make', '-n', '--no-print-directory', 'QGA_VERSION=' + bad, 'tinyqga'],
                           cwd=ROOT, capture_output=True, text=True)
        r.check('make QGA_VERSION=%r fails the build' % bad,
                p.returncode != 0 and 'QGA_VERSION' in p.stderr, p.stderr)

    # another value, into a binary of its own: core alone builds fastest
    if not shutil.which('musl-gcc'):
        print('note: musl-gcc not found, QGA_VERSION=7.2.22 build not tested')
        return
    out = os.path.join(ROOT, 'build/ver/tinyqga')
    os.makedirs(os.path.dirname(out), exist_ok=True)
    gen = [os.path.join(ROOT, 'build/gen', f) for f in ('commands.h', 'config.h')]
    for f in gen:
        if os.path.exists(f):
            shutil.copy2(f, f + '.ver')
    try:
        p = subprocess.run(['make', '-s', '--no-print-directory', 'CMDS=core', 'QGA_VERSION=7.2.22',
                            'tinyqga-static-one', 'OUT=' + out], cwd=ROOT,
                           capture_output=True, text=True)
    finally:
        # put build/gen back as it was, its times too, so ./tinyqga stays up to date
        for f in gen:
            if os.path.exists(f + '.ver'):
                os.replace(f + '.ver', f)
    r.check('make QGA_VERSION=7.2.22 builds', p.returncode == 0, p.stderr[-400:])
    if p.returncode:
        return
    rc, out_v, _ = run(out, '-V')
    r.check('QGA_VERSION=7.2.22: -V says both versions',
            rc == 0 and out_v == 'QEMU Guest Agent 7.2.22\ntinyqga %s\n' % own, out_v)
    got = info_version(out)
    r.check('QGA_VERSION=7.2.22: guest-info version is 7.2.22', got == '7.2.22', got)


def main():
    args = sys.argv[1:]
    b = lib.binary(args)
    ref = None if '--no-ref' in args or not os.access('/usr/sbin/qemu-ga', os.X_OK) else '/usr/sbin/qemu-ga'
    r = Run()
    options(r, b, ref)
    version(r, b)
    config(r, b, ref)
    daemon(r, b)
    closed_stdio(r, b)
    foreground(r, b)
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
