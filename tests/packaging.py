#!/usr/bin/env python3
"""make install and the files of packaging/: what lands where, that the man
page renders, and that the systemd unit's command line is one tinyqga
accepts as the distributions fill it in; the socket-activated units'
addresses, and the unix one's service run on a socket handed over as
systemd hands it (tests/activation.py's way).

    tests/packaging.py BINARY

Ends with "N passed, M failed, K skipped".
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import Run  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
R = Run()
check = R.check


def unit_argv(unit, env):
    """ExecStart= of the unit, continuation lines joined, ${VAR} filled
    from env as systemd does (unset: empty)."""
    text = open(unit).read().replace('\\\n', ' ')
    line = next(l for l in text.splitlines() if l.startswith('ExecStart='))
    argv = line.split('=', 1)[1].split()
    out = []
    for a in argv:
        for k in ('BLACKLIST_RPC', 'FSFREEZE_HOOK_PATHNAME'):
            a = a.replace('${%s}' % k, env.get(k, ''))
        out.append(a)
    return out


def socket_units(d, binary):
    """The socket-activated pairs: what each .socket listens on, and each
    service's command line as systemd runs it (the unix one for real, on
    a socket handed over as systemd does)."""
    sysd = os.path.join(d, 'usr/lib/systemd/system')
    for kind, listen in (('unix', ['ListenStream=/run/qemu-ga.sock', 'SocketMode=0600']),
                         ('vsock', ['ListenStream=vsock::'])):
        sock = open(os.path.join(sysd, 'tinyqga-%s.socket' % kind)).read()
        svc = os.path.join(sysd, 'tinyqga-%s.service' % kind)
        body = open(svc).read()
        argv = unit_argv(svc, {})
        check('tinyqga-%s.socket: %s, WantedBy=sockets.target' % (kind, ', '.join(listen)),
              all(l in sock for l in listen) and 'WantedBy=sockets.target' in sock, sock)
        check('tinyqga-%s.service: @SBINDIR@ filled in, needs its socket, no --path' % kind,
              '@' not in body and 'ExecStart=/usr/sbin/tinyqga' in body and
              'Requires=tinyqga-%s.socket' % kind in body and
              not any(a.startswith(('--path', '-p')) for a in argv), body)
        argv[0] = binary
        r = subprocess.run(argv + ['-D'], capture_output=True, text=True,
                           env=dict(os.environ, QGA_CONF='/nonexistent'))
        check('tinyqga-%s.service command line: accepted, %s-listen, its own statedir' % (kind, kind),
              r.returncode == 0 and 'method=%s-listen\n' % kind in r.stdout and
              '\npath=' not in r.stdout and 'statedir=/run/tinyqga-%s\n' % kind in r.stdout,
              r.stdout + r.stderr)
    # the unix service as systemd starts it, its statedir moved to a temporary one
    import activation
    t = tempfile.mkdtemp(prefix='tqga-pkg-')
    try:
        argv = [a if not a.startswith('--statedir=') else '--statedir=' + t + '/state'
                for a in unit_argv(os.path.join(sysd, 'tinyqga-unix.service'), {})]
        s = activation.listener(t + '/qga.sock')
        pid, err = activation.start(binary, argv[1:], s.fileno())
        try:
            ok = lib.ask(t + '/qga.sock') == lib.OK
        except OSError as e:
            ok = repr(e)
        os.kill(pid, 15)
        rc = activation.wait_status(pid)
        text = activation.read_all(err)
        check('tinyqga-unix.service command line on a socket handed over as systemd does: '
              'served, exit 0, socket file kept',
              ok is True and rc == 0 and os.path.exists(t + '/qga.sock'), (ok, rc, text))
        s.close()
    finally:
        shutil.rmtree(t, ignore_errors=True)


def main():
    binary = os.path.abspath(sys.argv[1])
    d = tempfile.mkdtemp(prefix='tqga-install-')
    try:
        r = subprocess.run(['make', '-s', '--no-print-directory', 'install-bin', 'BIN=' + binary,
                            'DESTDIR=' + d, 'PREFIX=/usr', 'QEMU_GA_LINK=yes',
                            'UNITS=systemd openrc initramfs-tools dracut'],
                           cwd=ROOT, capture_output=True, text=True)
        want = ['usr/sbin/tinyqga', 'usr/share/man/man8/tinyqga.8',
                'usr/lib/systemd/system/qemu-guest-agent.service', 'etc/init.d/tinyqga',
                'etc/initramfs-tools/hooks/tinyqga', 'etc/initramfs-tools/scripts/init-top/tinyqga',
                'etc/initramfs-tools/scripts/init-bottom/tinyqga',
                'usr/lib/dracut/modules.d/99tinyqga/module-setup.sh'] + \
            ['usr/lib/systemd/system/tinyqga-%s.%s' % (k, t)
             for k in ('unix', 'vsock') for t in ('socket', 'service')]
        missing = [w for w in want if not os.path.exists(os.path.join(d, w))]
        check('make install DESTDIR= PREFIX=/usr UNITS=...: every file in place',
              r.returncode == 0 and not missing, (r.stderr, missing))
        check('QEMU_GA_LINK=yes: qemu-ga is a link to tinyqga',
              os.readlink(os.path.join(d, 'usr/sbin/qemu-ga')) == 'tinyqga')
        unit = os.path.join(d, 'usr/lib/systemd/system/qemu-guest-agent.service')
        body = open(unit).read()
        check('unit: @SBINDIR@ filled in, bound to the port device, restarts',
              '@' not in body and 'ExecStart=/usr/sbin/tinyqga' in body and
              'BindsTo=dev-virtio\\x2dports-org.qemu.guest_agent.0.device' in body and
              'Restart=always' in body and 'EnvironmentFile=-/etc/sysconfig/qemu-ga' in body)
        argv = unit_argv(unit, {})
        argv[0] = binary
        r = subprocess.run(argv + ['-D'], capture_output=True, text=True,
                           env=dict(os.environ, QGA_CONF='/nonexistent'))
        check('unit command line with /etc/sysconfig/qemu-ga missing: accepted, '
              'default hook, nothing blocked', r.returncode == 0 and
              'fsfreeze-hook=/etc/qemu/fsfreeze-hook\n' in r.stdout and
              'block-rpcs=\n' in r.stdout, r.stdout + r.stderr)
        argv = unit_argv(unit, {'BLACKLIST_RPC': 'guest-file-open,guest-exec',
                                'FSFREEZE_HOOK_PATHNAME': '/etc/qemu/hook.sh'})
        argv[0] = binary
        r = subprocess.run(argv + ['-D'], capture_output=True, text=True,
                           env=dict(os.environ, QGA_CONF='/nonexistent'))
        check('unit command line with BLACKLIST_RPC and FSFREEZE_HOOK_PATHNAME set',
              r.returncode == 0 and 'fsfreeze-hook=/etc/qemu/hook.sh\n' in r.stdout and
              'guest-file-open' in r.stdout and 'guest-exec' in r.stdout, r.stdout + r.stderr)
        socket_units(d, binary)
        if shutil.which('man'):
            r = subprocess.run(['man', '--warnings', '-l', os.path.join(d, 'usr/share/man/man8/tinyqga.8')],
                               capture_output=True, text=True, env=dict(os.environ, MANWIDTH='80'))
            check('man -l tinyqga.8 renders without warnings',
                  r.returncode == 0 and 'DIFFERENCES FROM QEMU-GA' in r.stdout and not r.stderr.strip(),
                  r.stderr[:500])
        else:
            R.skip('man page rendering', 'man not installed')
        for f in ('etc/init.d/tinyqga', 'etc/initramfs-tools/scripts/init-top/tinyqga',
                  'etc/initramfs-tools/hooks/tinyqga'):
            r = subprocess.run(['sh', '-n', os.path.join(d, f)], capture_output=True, text=True)
            check('%s: valid sh' % f, r.returncode == 0, r.stderr)
        r = subprocess.run(['make', '-s', '--no-print-directory', 'uninstall', 'DESTDIR=' + d,
                            'PREFIX=/usr'], cwd=ROOT, capture_output=True, text=True)
        left = [os.path.join(p, f) for p, _, fs in os.walk(d) for f in fs]
        check('make uninstall removes every file', r.returncode == 0 and not left, left)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return R.done()


if __name__ == '__main__':
    sys.exit(main())
