#!/usr/bin/env python3
"""The distribution packages.

- debian/: built with dpkg-buildpackage in a copy of the tree, lintian
  (no errors; warnings and overrides listed), the files of the .deb, and
  an install into a fresh root (busybox sh, stubs for the systemd helpers)
  where it replaces a stand-in for Debian's qemu-guest-agent, then a purge;
- packaging/rpm/tinyqga.spec: built with rpmbuild (Debian's rpm), its
  files, provides and conflicts;
- packaging/buildroot and packaging/alpine/APKBUILD: neither Buildroot nor
  abuild is here, so their variables are checked statically and their
  build and install steps run with stand-ins for the build system's;
- the Containerfile: checked, its root assembled from its COPY lines and
  its entrypoint run chrooted on a unix socket; built when podman or
  buildah is installed.

    tests/distro.py

A missing tool is a SKIP line (tests/deps installs them).  Ends with
"N passed, M failed, K skipped".
"""
import glob
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Run, answers, ask, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT = '/dev/virtio-ports/org.qemu.guest_agent.0'
R = Run()
skip = R.skip


def check(name, ok, detail=''):
    return R.check(name, ok, '' if ok else str(detail)[-2000:])


def run(argv, **kw):
    kw.setdefault('capture_output', True)
    kw.setdefault('text', True)
    return subprocess.run(argv, **kw)


def missing(*tools):
    return [t for t in tools if not shutil.which(t)]


def version():
    text = open(os.path.join(ROOT, 'options.h')).read()
    return re.search(r'#define TINYQGA_VERSION "([^"]+)"', text).group(1)


def qga_version():
    """What guest-info reports: the Makefile's default QGA_VERSION."""
    text = open(os.path.join(ROOT, 'Makefile')).read()
    return re.search(r'^QGA_VERSION \?= (\S+)$', text, re.M).group(1)


def tree_files():
    """The tree's files as git sees them (tracked and new, not ignored),
    else every file outside build/ and .git."""
    r = run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=ROOT)
    if r.returncode == 0:
        files = [f for f in r.stdout.split('\0') if f]
    else:
        files = []
        for d, dirs, fs in os.walk(ROOT):
            rel = os.path.relpath(d, ROOT)
            if rel == '.':
                dirs[:] = [x for x in dirs if x not in ('build', '.git')]
            files += [os.path.normpath(os.path.join(rel, f)) for f in fs
                      if not (rel == '.' and f in ('tinyqga', 'tinyqga-static', '.git'))]
    return sorted(f for f in files if os.path.lexists(os.path.join(ROOT, f)))


def copy_tree(dst):
    for f in tree_files():
        os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dst, f), follow_symlinks=False)


def elf_static(path):
    """An ELF file with no interpreter and no dynamic section."""
    with open(path, 'rb') as f:
        h = f.read(64)
        if h[:4] != b'\x7fELF':
            return False
        is64, end = h[4] == 2, '<' if h[5] == 1 else '>'
        if is64:
            phoff, = struct.unpack(end + 'Q', h[32:40])
            phentsize, phnum = struct.unpack(end + 'HH', h[54:58])
        else:
            phoff, = struct.unpack(end + 'I', h[28:32])
            phentsize, phnum = struct.unpack(end + 'HH', h[42:46])
        f.seek(phoff)
        for _ in range(phnum):
            ph = f.read(phentsize)
            if struct.unpack(end + 'I', ph[:4])[0] in (2, 3):  # PT_DYNAMIC, PT_INTERP
                return False
    return True


def unit_exec(unit_text):
    text = unit_text.replace('\\\n', ' ')
    line = next(l for l in text.splitlines() if l.startswith('ExecStart='))
    return line.split('=', 1)[1].lstrip('-@+!:').split()[0]


def in_root(root, path, depth=0):
    """path resolved inside root, symlinks followed there (not on the host)."""
    p = os.path.join(root, path.lstrip('/'))
    if os.path.islink(p) and depth < 8:
        t = os.readlink(p)
        t = t if t.startswith('/') else os.path.join(os.path.dirname(path), t)
        return in_root(root, os.path.normpath(t), depth + 1)
    return p


def runs_version(binary, ver):
    r = run([binary, '-V'])
    return r.returncode == 0 and ver in r.stdout + r.stderr


# ---------------------------------------------------------------- debian
def debian(tmp, ver):
    r = run(['dpkg-parsechangelog', '-l', os.path.join(ROOT, 'debian/changelog'), '-S', 'Version'])
    if r.returncode == 0:
        check('debian/changelog: version %s-1 (options.h)' % ver, r.stdout.strip() == ver + '-1', r.stdout)
    control = open(os.path.join(ROOT, 'debian/control')).read()
    check('debian/control: compat 13, Rules-Requires-Root: no, musl-tools, '
          'Provides/Conflicts/Replaces qemu-guest-agent',
          'debhelper-compat (= 13)' in control and 'Rules-Requires-Root: no' in control and
          'musl-tools' in control and all(re.search(r'^%s: qemu-guest-agent$' % k, control, re.M)
                                          for k in ('Provides', 'Conflicts', 'Replaces')))
    lic = open(os.path.join(ROOT, 'LICENSE')).read()
    body = lic[lic.index('Permission'):].split()
    cr = open(os.path.join(ROOT, 'debian/copyright')).read()
    words = [w for w in cr[cr.index('Permission'):].split() if w != '.']
    check('debian/copyright: LICENSE\'s text', words == body)

    lack = missing('dpkg-buildpackage', 'dh', 'musl-gcc', 'fakeroot')
    if lack:
        skip('debian package', 'not installed: ' + ' '.join(lack))
        return
    src = os.path.join(tmp, 'deb', 'src')
    copy_tree(src)
    t = time.time()
    r = run(['dpkg-buildpackage', '-b', '-us', '-uc'], cwd=src)
    arch = run(['dpkg', '--print-architecture']).stdout.strip()
    deb = os.path.join(tmp, 'deb', 'tinyqga_%s-1_%s.deb' % (ver, arch))
    check('dpkg-buildpackage -b -us -uc: %s (%.0f s)' % (os.path.basename(deb), time.time() - t),
          r.returncode == 0 and os.path.exists(deb), r.stdout[-1500:] + r.stderr[-1500:])
    if not os.path.exists(deb):
        return

    if missing('lintian'):
        skip('lintian', 'not installed')
    else:
        changes = deb[:-4] + '.changes'
        # the verdict from a plain run: with --show-overrides lintian
        # 2.116 exits 2 whenever a tag is overridden
        verdict = run(['lintian', '--fail-on', 'error', changes])
        r = run(['lintian', '--display-info', '--show-overrides', changes])
        tags = [l for l in r.stdout.splitlines() if re.match(r'^[EWIPXO]: ', l)]
        for l in tags:
            print('  lintian', l)
        errors = [l for l in tags if l.startswith('E: ')]
        check('lintian: no errors (%d warnings, %d overridden)' %
              (sum(l.startswith('W: ') for l in tags), sum(l.startswith('O: ') for l in tags)),
              not errors and verdict.returncode == 0, errors or verdict.stdout + verdict.stderr)

    r = run(['dpkg-deb', '-c', deb])
    entries = {}
    for l in r.stdout.splitlines():
        f = l.split(None, 5)
        name, _, target = f[5].partition(' -> ')
        entries[name.lstrip('.')] = (f[0], f[1], target)
    unitdir = '/lib/systemd/system/'
    want = {
        '/usr/sbin/tinyqga': lambda e: e[0] == '-rwxr-xr-x',
        '/usr/sbin/qemu-ga': lambda e: e[0][0] == 'l' and e[2] == 'tinyqga',
        '/usr/share/man/man8/tinyqga.8.gz': lambda e: e[0][0] == '-',
        '/usr/share/man/man8/qemu-ga.8.gz': lambda e: e[2] == 'tinyqga.8.gz',
        unitdir + 'qemu-guest-agent.service': lambda e: e[0][0] == '-',
        '/lib/udev/rules.d/60-qemu-guest-agent.rules': lambda e: e[0][0] == '-',
        '/usr/share/doc/tinyqga/copyright': lambda e: True,
    }
    bad = [w for w, ok in want.items() if w not in entries or not ok(entries[w])]
    check('dpkg-deb -c: tinyqga (0755), qemu-ga -> tinyqga, man pages, unit, udev rule, copyright',
          not bad, (bad, entries))
    check('dpkg-deb -c: every file root/root', all(e[1] == 'root/root' for e in entries.values()))
    fields = {k: run(['dpkg-deb', '-f', deb, k]).stdout.strip()
              for k in ('Version', 'Provides', 'Conflicts', 'Replaces', 'Built-Using', 'Depends')}
    check('control: Provides, Conflicts, Replaces qemu-guest-agent; Built-Using musl; no library depends',
          all(fields[k] == 'qemu-guest-agent' for k in ('Provides', 'Conflicts', 'Replaces')) and
          re.fullmatch(r'musl \(= [^ ,]+\)', fields['Built-Using']) and 'lib' not in fields['Depends'],
          fields)

    x = os.path.join(tmp, 'deb', 'x')
    run(['dpkg-deb', '-x', deb, x])
    binary = os.path.join(x, 'usr/sbin/tinyqga')
    check('/usr/sbin/tinyqga: static ELF, runs, version %s' % ver,
          elf_static(binary) and runs_version(binary, ver))
    unit = open(os.path.join(x, unitdir.lstrip('/'), 'qemu-guest-agent.service')).read()
    rule = open(os.path.join(x, 'lib/udev/rules.d/60-qemu-guest-agent.rules')).read()
    check('unit ExecStart=/usr/sbin/tinyqga, in the package; the udev rule wants that unit',
          unit_exec(unit) == '/usr/sbin/tinyqga' and
          'ENV{SYSTEMD_WANTS}="qemu-guest-agent.service"' in rule and
          'ATTR{name}=="org.qemu.guest_agent.0"' in rule)
    fresh_root(tmp, deb, ver)


def standin_qga(tmp, arch):
    """Debian's qemu-guest-agent as installed here, its files in a package
    of the same name and version with no maintainer scripts."""
    r = run(['dpkg-query', '-W', '-f', '${db:Status-Abbrev} ${Version}', 'qemu-guest-agent'])
    if r.returncode or not r.stdout.startswith('ii'):
        return None
    d = os.path.join(tmp, 'standin')
    for f in run(['dpkg-query', '-L', 'qemu-guest-agent']).stdout.split('\n'):
        if f and not os.path.isdir(f) and (os.path.islink(f) or os.path.isfile(f)):
            os.makedirs(d + os.path.dirname(f), exist_ok=True)
            shutil.copy2(f, d + f, follow_symlinks=False)
    os.makedirs(os.path.join(d, 'DEBIAN'))
    with open(os.path.join(d, 'DEBIAN/control'), 'w') as c:
        c.write('Package: qemu-guest-agent\nVersion: %s\nArchitecture: %s\n'
                'Maintainer: tests/distro.py <root@localhost>\n'
                'Description: stand-in: the installed qemu-guest-agent\'s files\n'
                % (r.stdout.split()[1], arch))
    out = os.path.join(tmp, 'qemu-guest-agent-standin.deb')
    r = run(['dpkg-deb', '--root-owner-group', '-b', d, out])
    return out if r.returncode == 0 else None


def fresh_root(tmp, deb, ver):
    name = 'fresh root'
    if os.geteuid() != 0:
        return skip(name, 'dpkg --root runs maintainer scripts chrooted: needs root')
    bb = shutil.which('busybox')
    if not bb or not elf_static(bb):
        return skip(name, 'no static busybox for the root\'s /bin/sh (busybox-static)')
    root = os.path.join(tmp, 'root')
    for d in ('bin', 'usr/bin', 'usr/sbin', 'lib', 'etc', 'tmp', 'run',
              'var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers'):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for f in ('status', 'available'):
        open(os.path.join(root, 'var/lib/dpkg', f), 'w').close()
    os.makedirs(os.path.join(root, 'dev'))
    try:
        os.mknod(os.path.join(root, 'dev/null'), stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:  # no CAP_MKNOD: a file takes the scripts' >/dev/null as well
        open(os.path.join(root, 'dev/null'), 'w').close()
    shutil.copy(bb, os.path.join(root, 'bin/busybox'))
    os.symlink('busybox', os.path.join(root, 'bin/sh'))
    # what debhelper's snippets call, logged: no systemd runs in there
    for s in ('deb-systemd-helper', 'deb-systemd-invoke', 'systemctl', 'update-rc.d', 'invoke-rc.d'):
        p = os.path.join(root, 'usr/bin', s)
        with open(p, 'w') as f:
            f.write('#!/bin/sh\necho "${0##*/} $*" >>/stubs.log\nexit 0\n')
        os.chmod(p, 0o755)
    admin = os.path.join(root, 'var/lib/dpkg')
    env = dict(os.environ, PATH='/usr/sbin:/usr/bin:/sbin:/bin')

    def status(pkg):
        return run(['dpkg-query', '--admindir=' + admin, '-W', '-f', '${db:Status-Abbrev}', pkg]).stdout.strip()

    arch = run(['dpkg', '--print-architecture']).stdout.strip()
    standin = standin_qga(tmp, arch)
    if standin:
        r = run(['dpkg', '--root=' + root, '--force-depends', '-i', standin], env=env)
        qga = os.path.join(root, 'usr/sbin/qemu-ga')
        check('fresh root: the stand-in qemu-guest-agent (Debian\'s files) installed',
              r.returncode == 0 and status('qemu-guest-agent') == 'ii' and
              os.path.isfile(qga) and not os.path.islink(qga), r.stdout + r.stderr)
    else:
        skip('replacing qemu-guest-agent', 'Debian\'s qemu-guest-agent is not installed here')
    r = run(['dpkg', '--root=' + root, '--force-depends', '-i', deb], env=env)
    log = open(os.path.join(root, 'stubs.log')).read() if os.path.exists(os.path.join(root, 'stubs.log')) else ''
    check('dpkg --root -i tinyqga: installed, postinst enabled qemu-guest-agent.service',
          r.returncode == 0 and status('tinyqga') == 'ii' and
          "deb-systemd-helper enable qemu-guest-agent.service" in log, r.stdout + r.stderr + log)
    if standin:
        owner = run(['dpkg-query', '--admindir=' + admin, '-S',
                     '/lib/udev/rules.d/60-qemu-guest-agent.rules']).stdout
        check('it replaced qemu-guest-agent: removed, /usr/sbin/qemu-ga -> tinyqga, '
              'unit and udev rule now tinyqga\'s',
              status('qemu-guest-agent') in ('rc', 'un', '') and
              os.readlink(os.path.join(root, 'usr/sbin/qemu-ga')) == 'tinyqga' and
              owner.startswith('tinyqga:'), (status('qemu-guest-agent'), owner, r.stdout))
    unit = open(os.path.join(root, 'lib/systemd/system/qemu-guest-agent.service')).read()
    exe = in_root(root, unit_exec(unit))
    check('the unit\'s ExecStart names a static binary of that root that runs',
          os.path.isfile(exe) and elf_static(exe) and runs_version(exe, ver), exe)
    qga = in_root(root, '/usr/sbin/qemu-ga')
    check('/usr/sbin/qemu-ga there resolves to it', os.path.samefile(qga, exe))
    r = run(['dpkg', '--root=' + root, '--purge', 'tinyqga'], env=env)
    log = open(os.path.join(root, 'stubs.log')).read()
    left = [f for f in ('usr/sbin/tinyqga', 'usr/sbin/qemu-ga', 'lib/systemd/system/qemu-guest-agent.service',
                        'lib/udev/rules.d/60-qemu-guest-agent.rules')
            if os.path.lexists(os.path.join(root, f))]
    check('dpkg --purge tinyqga: its files gone, unit state purged',
          r.returncode == 0 and not left and 'deb-systemd-helper purge qemu-guest-agent.service' in log,
          (left, r.stdout + r.stderr, log))


# ---------------------------------------------------------------- rpm
def rpm(tmp, ver):
    spec = os.path.join(ROOT, 'packaging/rpm/tinyqga.spec')
    text = open(spec).read()
    sv = re.search(r'^Version:\s*(\S+)', text, re.M).group(1)
    check('tinyqga.spec: Version %s (options.h); Provides and Conflicts qemu-guest-agent' % ver,
          sv == ver and re.search(r'^Provides:\s*qemu-guest-agent$', text, re.M) and
          re.search(r'^Conflicts:\s*qemu-guest-agent$', text, re.M), sv)
    if missing('rpmbuild', 'rpm'):
        return skip('rpm package', 'rpmbuild not installed (Debian: rpm)')
    top = os.path.join(tmp, 'rpm')
    os.makedirs(os.path.join(top, 'SOURCES'))
    with tarfile.open(os.path.join(top, 'SOURCES', 'tinyqga-%s.tar.gz' % ver), 'w:gz') as t:
        for f in tree_files():
            t.add(os.path.join(ROOT, f), 'tinyqga-%s/%s' % (ver, f), recursive=False)
    t0 = time.time()
    # --nodeps: Debian's rpm database is empty; gcc and make are dpkg's
    r = run(['rpmbuild', '-bb', '--nodeps', '--define', '_topdir ' + top, spec])
    rpms = glob.glob(os.path.join(top, 'RPMS', '*', 'tinyqga-%s-1*.rpm' % ver))
    check('rpmbuild -bb tinyqga.spec (%.0f s)' % (time.time() - t0),
          r.returncode == 0 and len(rpms) == 1, r.stdout[-1500:] + r.stderr[-1500:])
    if len(rpms) != 1:
        return
    pkg = rpms[0]
    r = run(['rpm', '-qp', '--qf', '[%{FILEMODES:perms} %{FILENAMES} %{FILELINKTOS}\n]', pkg])
    files = {}
    for l in r.stdout.splitlines():
        f = l.split()
        files[f[1]] = (f[0], f[2] if len(f) > 2 else '')
    want = {
        '/usr/sbin/tinyqga': lambda e: e[0] == '-rwxr-xr-x',
        '/usr/sbin/qemu-ga': lambda e: e[0][0] == 'l' and e[1] == 'tinyqga',
        '/usr/lib/systemd/system/qemu-guest-agent.service': lambda e: e[0][0] == '-',
        '/usr/lib/udev/rules.d/99-qemu-guest-agent.rules': lambda e: e[0][0] == '-',
    }
    bad = [w for w, ok in want.items() if w not in files or not ok(files[w])]
    man = [f for f in files if f.startswith('/usr/share/man/man8/tinyqga.8')]
    check('rpm -qpl: tinyqga (0755), qemu-ga -> tinyqga, man page, unit, udev rule, LICENSE',
          not bad and man and any(f.endswith('/LICENSE') for f in files), (bad, files))
    prov = run(['rpm', '-qp', '--provides', pkg]).stdout.split('\n')
    conf = run(['rpm', '-qp', '--conflicts', pkg]).stdout.split('\n')
    check('rpm -qp --provides/--conflicts: qemu-guest-agent',
          'qemu-guest-agent' in prov and 'qemu-guest-agent' in conf, (prov, conf))
    if missing('rpm2cpio', 'cpio'):
        return skip('rpm contents', 'rpm2cpio or cpio not installed')
    x = os.path.join(top, 'x')
    os.makedirs(x)
    p = subprocess.Popen(['rpm2cpio', pkg], stdout=subprocess.PIPE)
    run(['cpio', '-idm', '--quiet'], stdin=p.stdout, cwd=x)
    p.wait()
    unit = open(os.path.join(x, 'usr/lib/systemd/system/qemu-guest-agent.service')).read()
    exe = in_root(x, unit_exec(unit))
    check('rpm: the unit\'s ExecStart names its static binary, which runs',
          os.path.isfile(exe) and elf_static(exe) and runs_version(exe, ver), exe)


# ---------------------------------------------------------------- buildroot
def mk_vars(text):
    out = {}
    for m in re.finditer(r'^([A-Z0-9_]+)\s*[:+?]?=\s*(.*?)\s*$', text, re.M):
        out[m.group(1)] = m.group(2)
    return out


def makefile_warn():
    return re.search(r'^WARN = (.*)$', open(os.path.join(ROOT, 'Makefile')).read(), re.M).group(1).split()


def buildroot(tmp, tree, ver):
    br = os.path.join(ROOT, 'packaging/buildroot')
    pkg = os.path.join(br, 'package/tinyqga')
    desc = open(os.path.join(br, 'external.desc')).read()
    top = open(os.path.join(br, 'Config.in')).read()
    cfg = open(os.path.join(pkg, 'Config.in')).read()
    mk = open(os.path.join(pkg, 'tinyqga.mk')).read()
    v = mk_vars(mk)
    check('buildroot: external.desc names TINYQGA; Config.in sources the package\'s',
          re.search(r'^name: TINYQGA$', desc, re.M) and
          '"$BR2_EXTERNAL_TINYQGA_PATH/package/tinyqga/Config.in"' in top)
    check('buildroot Config.in: BR2_PACKAGE_TINYQGA, bool, help',
          re.search(r'^config BR2_PACKAGE_TINYQGA\n\tbool "tinyqga"\n', cfg, re.M) and '\thelp\n' in cfg)
    profiles = re.search(r'^PROFILES = (.*)$', open(os.path.join(ROOT, 'profiles.mk')).read(), re.M).group(1).split()
    named = re.search(r'profiles.mk\):(.*?)\.', cfg, re.S)
    check('buildroot Config.in: the profiles it names are profiles.mk\'s',
          named and set(re.findall(r'[a-z]+', named.group(1))) - {'or'} == set(profiles),
          named and named.group(1))
    files = re.findall(r'\$\(TINYQGA_PKGDIR\)/?([\w./-]+)', mk)
    srcs = re.findall(r'\$\(@D\)/([\w./-]+)', mk)
    gone = [f for f in files if not os.path.exists(os.path.join(pkg, f))] + \
        [f for f in srcs if f != 'tinyqga' and not os.path.exists(os.path.join(ROOT, f))]
    lic = v.get('TINYQGA_LICENSE_FILES', '').split()
    other = [k for k in v if not k.startswith('TINYQGA_')]
    check('tinyqga.mk: VERSION %s, SITE, LICENSE MIT with its files, generic-package, '
          'TARGET_CC/TARGET_DIR, TINYQGA_ names only, referenced files exist' % ver,
          v.get('TINYQGA_VERSION') == ver and v.get('TINYQGA_SITE') and
          v.get('TINYQGA_LICENSE') == 'MIT' and open(os.path.join(ROOT, 'LICENSE')).read().startswith('MIT') and
          lic and all(os.path.exists(os.path.join(ROOT, f)) for f in lic) and
          mk.rstrip().endswith('$(eval $(generic-package))') and
          '$(TARGET_CC)' in mk and '$(TARGET_DIR)' in mk and not other and not gone,
          (v, other, gone))
    warn = re.search(r'WARN="([^"]*)"', mk).group(1).split()
    check('tinyqga.mk: WARN is the Makefile\'s without -Werror',
          warn == [w for w in makefile_warn() if w != '-Werror'], warn)
    s50 = os.path.join(pkg, 'S50tinyqga')
    check('S50tinyqga: valid sh, executable', run(['sh', '-n', s50]).returncode == 0 and os.access(s50, os.X_OK))

    # The package's steps, as Buildroot would run them, with its variables
    # stood in for: the host compiler as TARGET_CC, the minimal profile.
    if missing('make', 'cc'):
        return skip('buildroot steps', 'make or cc missing')
    target = os.path.join(tmp, 'br-target')
    stub = os.path.join(tmp, 'br-stub.mk')
    with open(stub, 'w') as f:
        f.write('BR2_EXTERNAL_TINYQGA_PATH := %s/packaging/buildroot\n' % tree)
        f.write('TINYQGA_PKGDIR := $(BR2_EXTERNAL_TINYQGA_PATH)/package/tinyqga/\n'
                'TARGET_CC := cc\nTARGET_CFLAGS := -Os\nTARGET_LDFLAGS :=\n'
                'TARGET_MAKE_ENV := PATH="$(PATH)"\nTARGET_DIR := %s\nINSTALL := install\n'
                'BR2_PACKAGE_TINYQGA_PROFILE := "minimal"\n'
                'qstrip = $(strip $(subst ",,$(1)))\ngeneric-package :=\n'
                'include $(TINYQGA_PKGDIR)tinyqga.mk\n'
                '%s/.stamp_built:\n'
                '\t$(TINYQGA_BUILD_CMDS)\n\t$(TINYQGA_INSTALL_TARGET_CMDS)\n'
                '\t$(TINYQGA_INSTALL_INIT_SYSV)\n\t$(TINYQGA_INSTALL_INIT_SYSTEMD)\n'
                '\t$(TINYQGA_INSTALL_INIT_OPENRC)\n' % (target, tree))
    r = run(['make', '-s', '--no-print-directory', '-f', stub, tree + '/.stamp_built'])
    got = {f: os.path.lexists(os.path.join(target, f)) for f in (
        'usr/sbin/tinyqga', 'etc/init.d/S50tinyqga', 'usr/lib/systemd/system/qemu-guest-agent.service',
        'usr/lib/udev/rules.d/60-qemu-guest-agent.rules', 'etc/init.d/tinyqga')}
    check('buildroot steps (stand-in variables): build, install, sysv/systemd/openrc files',
          r.returncode == 0 and all(got.values()) and
          os.readlink(os.path.join(target, 'usr/sbin/qemu-ga')) == 'tinyqga', (got, r.stdout + r.stderr))
    if r.returncode:
        return
    exe = os.path.join(target, 'usr/sbin/tinyqga')
    rpcs = run([exe, '-b', 'help']).stdout.split()
    check('buildroot: BR2_PACKAGE_TINYQGA_PROFILE=minimal built the minimal profile',
          'guest-shutdown' in rpcs and 'guest-exec' not in rpcs, rpcs)
    unit = open(os.path.join(target, 'usr/lib/systemd/system/qemu-guest-agent.service')).read()
    openrc = open(os.path.join(target, 'etc/init.d/tinyqga')).read()
    check('buildroot: unit and OpenRC script name /usr/sbin/tinyqga',
          unit_exec(unit) == '/usr/sbin/tinyqga' and 'command="/usr/sbin/tinyqga"' in openrc)
    args = re.search(r'^TINYQGA_ARGS="([^"]*)"', open(os.path.join(target, 'etc/init.d/S50tinyqga')).read(), re.M)
    r = run([exe, '-d', '-r', '-f', '/var/run/qemu-ga.pid'] + args.group(1).split() + ['-D'],
            env=dict(os.environ, QGA_CONF='/nonexistent'))
    check('S50tinyqga\'s command line is accepted (-D)', r.returncode == 0 and
          'path=%s\n' % PORT in r.stdout and 'retry-path=true' in r.stdout, r.stdout + r.stderr)


# ---------------------------------------------------------------- alpine
APK_VARS = ('pkgname', 'pkgver', 'pkgrel', 'pkgdesc', 'url', 'arch', 'license', 'depends',
            'makedepends', 'subpackages', 'source', 'sha512sums')


def alpine(tmp, tree, ver):
    apkbuild = os.path.join(ROOT, 'packaging/alpine/APKBUILD')
    r = run(['sh', '-n', apkbuild])
    check('APKBUILD: valid sh', r.returncode == 0, r.stderr)
    script = ('. "$1"; for v in %s; do eval "printf \'%%s=%%s\\0\' $v \\"\\$$v\\""; done; '
              'for f in prepare build check package; do type $f >/dev/null 2>&1 && printf "fn=%%s\\0" $f; done'
              % ' '.join(APK_VARS))
    r = run(['sh', '-c', script, 'sh', apkbuild], env=dict(os.environ, srcdir='/src', startdir='/start'))
    v, fns = {}, []
    for item in r.stdout.split('\0'):
        if '=' in item:
            k, _, val = item.partition('=')
            fns.append(val) if k == 'fn' else v.setdefault(k, val)
    req = [k for k in ('pkgname', 'pkgver', 'pkgrel', 'pkgdesc', 'url', 'arch', 'license') if not v.get(k)]
    check('APKBUILD: %s set; pkgver %s (options.h); license MIT; build, package' % (', '.join(APK_VARS[:7]), ver),
          not req and v['pkgname'] == 'tinyqga' and v['pkgver'] == ver and v['pkgrel'].isdigit() and
          v['license'] == 'MIT' and len(v['pkgdesc']) <= 128 and {'build', 'package'} <= set(fns),
          (req, v, fns))
    sums = dict(reversed(l.split()) for l in v.get('sha512sums', '').strip().splitlines())
    srcs = v.get('source', '').split()
    bad = [s for s in srcs if s not in sums or run(['sha512sum', os.path.join(ROOT, 'packaging/alpine', s)])
           .stdout.split()[0] != sums[s]]
    check('APKBUILD: every source has its sha512sum, and it matches', srcs and not bad and
          set(sums) == set(srcs), (bad, sums))
    check('APKBUILD: conflicts with Alpine\'s qemu-guest-agent', '!qemu-guest-agent' in v.get('depends', '').split())

    # prepare, build, check and package as abuild runs them, with its
    # variables stood in for (the host's compiler; musl-gcc for _static=1)
    modes = [('0', 'cc')] + ([('1', 'musl-gcc')] if shutil.which('musl-gcc') else [])
    for static, cc in modes:
        base = os.path.join(tmp, 'apk' + static)
        startdir = os.path.join(tree, 'packaging/alpine')
        sh = ('set -e; default_prepare() { :; }; . "$startdir/APKBUILD"; mkdir -p "$srcdir" "$pkgdir"; '
              'for s in $source; do cp "$startdir/$s" "$srcdir/"; done; '
              'cd "$srcdir"; prepare; cd "$builddir"; build; check; package')
        env = dict(os.environ, startdir=startdir, srcdir=base + '/src', pkgdir=base + '/pkg',
                   CC=cc, CFLAGS='-Os', LDFLAGS='', _static=static)
        r = run(['sh', '-c', sh], env=env)
        pkgdir = base + '/pkg'
        got = {f: os.path.lexists(os.path.join(pkgdir, f)) for f in (
            'usr/sbin/tinyqga', 'usr/share/man/man8/tinyqga.8', 'etc/init.d/tinyqga', 'etc/conf.d/tinyqga')}
        ok = r.returncode == 0 and all(got.values())
        exe = os.path.join(pkgdir, 'usr/sbin/tinyqga')
        check('APKBUILD steps, _static=%s (stand-in variables, CC=%s): binary%s, qemu-ga link, man page, '
              'OpenRC script and conf.d' % (static, cc, ' (static)' if static == '1' else ''),
              ok and os.readlink(os.path.join(pkgdir, 'usr/sbin/qemu-ga')) == 'tinyqga' and
              runs_version(exe, ver) and (static == '0' or elf_static(exe)) and
              'command="/usr/sbin/tinyqga"' in open(os.path.join(pkgdir, 'etc/init.d/tinyqga')).read(),
              (got, r.stdout[-1500:] + r.stderr[-1500:]))


# ---------------------------------------------------------------- container
def container(tmp, tree, ver):
    cf = open(os.path.join(ROOT, 'Containerfile')).read()
    ins = []
    for l in cf.replace('\\\n', ' ').splitlines():
        l = l.strip()
        if l and not l.startswith('#'):
            k, _, rest = l.partition(' ')
            ins.append((k.upper(), rest.strip()))
    copies = [i[1].split() for i in ins if i[0] == 'COPY']
    ep = [json.loads(i[1]) for i in ins if i[0] == 'ENTRYPOINT']
    check('Containerfile: FROM scratch, COPY tinyqga-static, ENTRYPOINT (exec form) the agent '
          'on the virtio-serial port',
          ins and ins[0] == ('FROM', 'scratch') and copies == [['tinyqga-static', ep[0][0] if ep else '']] and
          len(ep) == 1 and ep[0][1:] == ['-m', 'virtio-serial', '-p', PORT], ins)
    ignore = [l.strip() for l in open(os.path.join(ROOT, '.containerignore'))
              if l.strip() and not l.startswith('#')]
    check('.containerignore: only the static binary goes to the build', ignore == ['*', '!tinyqga-static'])
    if missing('musl-gcc'):
        return skip('container root', 'musl-gcc not installed')
    r = run(['make', '-s', 'tinyqga-static'], cwd=tree)
    if r.returncode:
        return check('make static for the container', False, r.stderr)
    exe = ep[0][0]
    r = run([os.path.join(tree, 'tinyqga-static')] + ep[0][1:] + ['-D'], env=dict(os.environ, QGA_CONF='/x'))
    check('ENTRYPOINT\'s command line is accepted (-D)', r.returncode == 0 and
          'method=virtio-serial\npath=%s\n' % PORT in r.stdout, r.stdout + r.stderr)
    if os.geteuid() != 0:
        skip('container root run', 'chroot needs root')
    else:
        root = os.path.join(tmp, 'ctr')
        for src, dst in copies:
            os.makedirs(os.path.dirname(root + dst), exist_ok=True)
            shutil.copy2(os.path.join(tree, src), root + dst)
        p = subprocess.Popen(['chroot', root, exe, '-m', 'unix-listen', '-p', '/qga.sock'],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: answers(root + '/qga.sock'))
            reply = ask(root + '/qga.sock', b'{"execute":"guest-info"}\n', timeout=5)
        except OSError as e:
            reply = str(e).encode()
        finally:
            p.terminate()
            p.wait()
        check('the image\'s root (its COPY lines alone), entrypoint chrooted on a unix socket: '
              'guest-info answers', b'"version": "%s"' % qga_version().encode() in reply, reply[:300])
    tool = shutil.which('podman') or shutil.which('buildah')
    if not tool:
        return skip('container build', 'neither podman nor buildah is installed')
    tag = 'localhost/tinyqga-distro-test:%d' % os.getpid()
    argv = [tool, 'build'] if tool.endswith('podman') else [tool, 'bud']
    r = run(argv + ['-f', 'Containerfile', '-t', tag, '.'], cwd=tree)
    check('%s build -f Containerfile' % os.path.basename(tool), r.returncode == 0, r.stdout + r.stderr)
    run([tool, 'rmi', tag])


def main():
    ver = version()
    tmp = tempfile.mkdtemp(prefix='tqga-distro-')
    try:
        tree = os.path.join(tmp, 'tree')
        copy_tree(tree)
        debian(tmp, ver)
        rpm(tmp, ver)
        buildroot(tmp, tree, ver)
        alpine(tmp, tree, ver)
        container(tmp, tree, ver)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return R.done()


if __name__ == '__main__':
    sys.exit(main())
