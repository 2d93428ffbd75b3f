#!/usr/bin/env python3
"""What real hosts do: each profile that claims a host (profiles.mk) is built
into build/hosts/tinyqga-PROFILE and driven the way that host drives
qemu-ga: the commands it requires in guest-info, then the calls its pollers,
probes, snapshot and backup code make.  The command lists here are written
from the hosts' own source (cited beside each), not read from profiles.mk,
so a profile that loses a command fails here.

Nothing here changes this machine: freeze, thaw and fstrim run only when
root can loop-mount a scratch ext4, and the agent then sees that one mount
(TINYQGA_SYSROOT, as tests/system.py does); guest-set-time is only sent a
time it must refuse; shutdown, suspend and passwords are only checked to be
enabled.

    tests/hosts.py

Ends with "N passed, M failed, K skipped".
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Agent, Run, Session  # noqa: E402
from files_exec import b64, ret, err  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# KubeVirt pkg/virt-handler/guestagent.go requiredGuestAgentCommands: without
# every one enabled the VMI never gets the AgentConnected condition.
KUBEVIRT_REQUIRED = [
    'guest-ping', 'guest-get-time', 'guest-info', 'guest-shutdown',
    'guest-network-get-interfaces', 'guest-get-fsinfo', 'guest-get-host-name',
    'guest-get-users', 'guest-get-timezone', 'guest-get-osinfo',
]
# same file: sshRelatedGuestAgentCommands and passwordRelatedGuestAgentCommands,
# required when the VMI has qemuGuestAgent access credentials
KUBEVIRT_CREDENTIALS = [
    'guest-ssh-get-authorized-keys', 'guest-ssh-add-authorized-keys',
    'guest-ssh-remove-authorized-keys', 'guest-set-user-password',
]
# the rest of what virt-launcher sends (see profiles.mk for the callers)
KUBEVIRT_CALLED = [
    'guest-fsfreeze-status', 'guest-fsfreeze-freeze', 'guest-fsfreeze-thaw',
    'guest-get-load', 'guest-exec', 'guest-exec-status', 'guest-set-time',
]
# pkg/virt-launcher/virtwrap/cmd-server/vmstats.go agentDataFields (the
# VMStatsCollector), each sent with no arguments
KUBEVIRT_STATS = [
    'guest-get-load', 'guest-get-cpustats', 'guest-get-diskstats', 'guest-get-time',
    'guest-get-vcpus', 'guest-get-memory-block-info', 'guest-get-users',
    'guest-get-osinfo', 'guest-get-disks', 'guest-get-host-name', 'guest-get-timezone',
    'guest-network-get-route', 'guest-network-get-interfaces', 'guest-get-memory-blocks',
]

# Proxmox qemu-server src/PVE/API2/Qemu/Agent.pm $guest_agent_commands (one
# endpoint and `qm guest cmd` name each), with guest- in front
PROXMOX_CMD = [
    'guest-ping', 'guest-get-time', 'guest-info', 'guest-fsfreeze-status',
    'guest-fsfreeze-freeze', 'guest-fsfreeze-thaw', 'guest-fstrim',
    'guest-network-get-interfaces', 'guest-get-vcpus', 'guest-get-fsinfo',
    'guest-get-memory-blocks', 'guest-get-memory-block-info', 'guest-suspend-hybrid',
    'guest-suspend-ram', 'guest-suspend-disk', 'guest-shutdown', 'guest-get-host-name',
    'guest-get-osinfo', 'guest-get-users', 'guest-get-timezone',
]
# the same file's exec, exec-status, file-read (open, seek, read, close),
# file-write (open, write, close) and set-user-password endpoints
PROXMOX_OTHER = [
    'guest-exec', 'guest-exec-status', 'guest-file-open', 'guest-file-seek',
    'guest-file-read', 'guest-file-close', 'guest-file-write', 'guest-set-user-password',
]
# the GET endpoints: no arguments, nothing changed
PROXMOX_GET = [
    'guest-get-time', 'guest-info', 'guest-network-get-interfaces', 'guest-get-vcpus',
    'guest-get-fsinfo', 'guest-get-memory-blocks', 'guest-get-memory-block-info',
    'guest-get-host-name', 'guest-get-osinfo', 'guest-get-users', 'guest-get-timezone',
]

# libvirt src/qemu/qemu_agent.c: what the qemu driver sends for virsh's
# agent commands (shutdown/reboot --mode agent, domfsfreeze/thaw, domfstrim,
# dompmsuspend, guestvcpus, domtime, domfsinfo, domifaddr --source agent,
# set-user-password, guestinfo, get/set-user-sshkeys)
LIBVIRT_CALLED = [
    'guest-sync', 'guest-shutdown', 'guest-fsfreeze-freeze', 'guest-fsfreeze-freeze-list',
    'guest-fsfreeze-thaw', 'guest-fstrim', 'guest-suspend-ram', 'guest-suspend-disk',
    'guest-suspend-hybrid', 'guest-get-vcpus', 'guest-set-vcpus', 'guest-get-time',
    'guest-set-time', 'guest-get-fsinfo', 'guest-network-get-interfaces',
    'guest-set-user-password', 'guest-get-users', 'guest-get-osinfo', 'guest-get-timezone',
    'guest-get-host-name', 'guest-get-disks', 'guest-get-load',
    'guest-ssh-get-authorized-keys', 'guest-ssh-add-authorized-keys',
    'guest-ssh-remove-authorized-keys',
]
# virsh guestinfo (virDomainGetGuestInfo) with every type
LIBVIRT_GUESTINFO = [
    'guest-get-users', 'guest-get-osinfo', 'guest-get-timezone', 'guest-get-host-name',
    'guest-get-fsinfo', 'guest-get-disks', 'guest-network-get-interfaces', 'guest-get-load',
]

# a command each host never sends: the profile must leave it out
OUTSIDE = {'kubevirt': 'guest-file-open', 'proxmox': 'guest-ssh-add-authorized-keys',
           'libvirt': 'guest-exec'}


def build(r, profile):
    out = os.path.join(ROOT, 'build/hosts/tinyqga-' + profile)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    p = subprocess.run(['make', '-s', '--no-print-directory', 'PROFILE=' + profile,
                        'tinyqga-static-one', 'OUT=' + out], cwd=ROOT,
                       capture_output=True, text=True)
    ok = p.returncode == 0 and os.access(out, os.X_OK)
    r.check('%s: builds (%s bytes)' % (profile, os.path.getsize(out) if ok else '-'), ok,
            p.stderr[-400:])
    return out if ok else None


def enabled(q):
    info = ret(q('guest-info')) or {}
    return {c['name']: c['enabled'] for c in info.get('supported_commands', [])}


def check_enabled(r, name, q, want):
    have = enabled(q)
    missing = [c for c in want if not have.get(c)]
    r.check(name, not missing, 'not enabled: %s' % missing)


def check_returns(r, name, q, cmds):
    bad = []
    for c in cmds:
        rep = q(c)
        if 'return' not in rep:
            bad.append((c, rep))
    r.check(name, not bad, bad)


def check_outside(r, profile, q):
    c = OUTSIDE[profile]
    rep = q(c)
    r.check('%s: %s is left out (CommandNotFound, not in guest-info)' % (profile, c),
            (rep.get('error') or {}).get('class') == 'CommandNotFound' and c not in enabled(q), rep)


def exec_wait(q, path, args, **kw):
    """guest-exec, then guest-exec-status until exited (virtwrap/agent/exec.go,
    QemuServer/Agent.pm qemu_exec_status)."""
    pid = (ret(q('guest-exec', path=path, arg=args, **kw)) or {}).get('pid')
    if not pid:
        return None
    end = time.monotonic() + 10
    while time.monotonic() < end:
        st = ret(q('guest-exec-status', pid=pid))
        if not st or st.get('exited'):
            return st
        time.sleep(0.05)
    return None


def set_time_refused(q):
    """guest-set-time with a time it must refuse: present and parsing, and
    this machine's clock untouched (no time at all would run hwclock -s)."""
    return err(q('guest-set-time', time=-1)) == 'Invalid time'


class Scratch:
    """A loop-mounted ext4 the agent sees as the only mount, or None."""

    def __init__(self):
        self.ok = False
        self.loopdev = None
        self.d = tempfile.mkdtemp(prefix='tqga-hosts-')
        self.mnt = self.d + '/mnt'
        self.sysroot = self.d + '/root'
        if os.getuid() != 0 or not shutil.which('losetup') or not shutil.which('mkfs.ext4'):
            self.why = 'needs root, losetup and mkfs.ext4'
            return
        os.makedirs(self.mnt)
        img = self.d + '/img'
        subprocess.check_call(['truncate', '-s', '32M', img])
        subprocess.check_call(['mkfs.ext4', '-q', img])
        loop = subprocess.run(['losetup', '-f', '--show', img], capture_output=True, text=True)
        if loop.returncode != 0:
            self.why = 'no loop device here'
            return
        self.loopdev = loop.stdout.strip()
        if subprocess.call(['mount', self.loopdev, self.mnt]) != 0:
            self.why = 'cannot mount the loop device'
            return
        line = [l for l in open('/proc/self/mountinfo') if ' %s ' % self.mnt in l][0]
        os.makedirs(self.sysroot + '/proc/self')
        with open(self.sysroot + '/proc/self/mountinfo', 'w') as f:
            f.write(line)
        self.ok = True

    def agent(self, binary):
        return Agent(binary, env=dict(os.environ, TINYQGA_SYSROOT=self.sysroot))

    def close(self):
        if self.ok:
            subprocess.call(['fsfreeze', '-u', self.mnt], stderr=subprocess.DEVNULL)
            subprocess.call(['umount', self.mnt])
        if self.loopdev:
            subprocess.call(['losetup', '-d', self.loopdev])
        shutil.rmtree(self.d, ignore_errors=True)


def on_scratch(r, name, scratch, binary, steps):
    """Run steps(q) against an agent that sees only the scratch mount."""
    if not scratch.ok:
        r.skip(name, scratch.why)
        return
    a = scratch.agent(binary)
    q = Session(a)
    try:
        steps(q)
    finally:
        q('guest-fsfreeze-thaw')
        q.close()
        a.stop()


def kubevirt(r, b, scratch):
    a = Agent(b)
    q = Session(a)
    try:
        check_enabled(r, 'kubevirt: guest-info lists the required commands enabled', q,
                      KUBEVIRT_REQUIRED)
        check_enabled(r, 'kubevirt: ssh key and password commands enabled', q, KUBEVIRT_CREDENTIALS)
        check_enabled(r, 'kubevirt: freeze, thaw, get-load, exec, set-time enabled', q,
                      KUBEVIRT_CALLED)
        # agent_poller.go: guest-info, guest-get-fsinfo, guest-fsfreeze-status,
        # and libvirt's guest info (interfaces, osinfo, host name, timezone,
        # users, load)
        check_returns(r, 'kubevirt: agent poller round succeeds', q,
                      ['guest-info', 'guest-get-fsinfo', 'guest-fsfreeze-status',
                       'guest-network-get-interfaces', 'guest-get-osinfo', 'guest-get-host-name',
                       'guest-get-timezone', 'guest-get-users', 'guest-get-load'])
        r.check('kubevirt: fsfreeze-status is "thawed"', ret(q('guest-fsfreeze-status')) == 'thawed')
        # GuestAgentPing probe, then an exec probe as virt-probe sends it
        r.check('kubevirt: guest-ping probe', q('guest-ping') == {'return': {}})
        st = exec_wait(q, '/bin/true', [], capture_output=True)
        r.check('kubevirt: exec probe /bin/true exits 0', st and st.get('exitcode') == 0, st)
        st = exec_wait(q, '/bin/sh', ['-c', 'echo ready; exit 3'], capture_output=True)
        r.check('kubevirt: failing exec probe: exit code and output',
                st and st.get('exitcode') == 3 and st.get('out-data') == b64(b'ready\n'), st)
        r.check('kubevirt: guest-set-time present (refuses a bad time, clock untouched)',
                set_time_refused(q))
        check_returns(r, 'kubevirt: VM stats collector commands succeed', q, KUBEVIRT_STATS)
        check_outside(r, 'kubevirt', q)
    finally:
        q.close()
        a.stop()

    def snapshot(q):
        # storage/fsfreeze.go FreezeVMI: status, freeze; the poller keeps
        # asking status and guest-info while frozen; UnfreezeVMI: status, thaw
        ok = ret(q('guest-fsfreeze-status')) == 'thawed' and ret(q('guest-fsfreeze-freeze')) == 1
        ok = ok and ret(q('guest-fsfreeze-status')) == 'frozen' and 'return' in q('guest-info')
        ok = ok and ret(q('guest-fsfreeze-thaw')) == 1 and ret(q('guest-fsfreeze-status')) == 'thawed'
        r.check('kubevirt: online snapshot: status, freeze, frozen, thaw, thawed', ok)
    on_scratch(r, 'kubevirt snapshot freeze', scratch, b, snapshot)


def proxmox(r, b, scratch):
    a = Agent(b)
    q = Session(a)
    d = tempfile.mkdtemp(prefix='tqga-hosts-pve-')
    try:
        check_enabled(r, 'proxmox: every `qm guest cmd` command enabled', q, PROXMOX_CMD)
        check_enabled(r, 'proxmox: exec, file-read/-write, passwd commands enabled', q, PROXMOX_OTHER)
        r.check('proxmox: qga_check_running (guest-ping)', q('guest-ping') == {'return': {}})
        check_returns(r, 'proxmox: the GET endpoints succeed', q, PROXMOX_GET)
        r.check('proxmox: fsfreeze-status', ret(q('guest-fsfreeze-status')) == 'thawed')
        # `qm guest exec -- /bin/echo hi`: exec with capture, exec-status
        st = exec_wait(q, '/bin/echo', ['hi'], capture_output=True)
        r.check('proxmox: qm guest exec', st and st.get('exitcode') == 0 and
                st.get('out-data') == b64(b'hi\n'), st)
        # Agent.pm file-write: open wb, write, close
        path = d + '/f'
        h = ret(q('guest-file-open', path=path, mode='wb'))
        ok = h is not None and 'return' in q('guest-file-write', handle=h, buf_b64=b64(b'0123456789'))
        ok = ok and 'return' in q('guest-file-close', handle=h)
        r.check('proxmox: file-write', ok and open(path, 'rb').read() == b'0123456789')
        # Agent.pm file-read with offset: open, seek set, read chunks to eof, close
        h = ret(q('guest-file-open', path=path))
        ok = h is not None and 'return' in q('guest-file-seek', handle=h, offset=4, whence='set')
        rd = ret(q('guest-file-read', handle=h, count=1024 * 1024)) or {}
        ok = ok and rd.get('buf-b64') == b64(b'456789') and rd.get('eof') is True
        ok = ok and 'return' in q('guest-file-close', handle=h)
        r.check('proxmox: file-read at an offset', ok, rd)
        check_outside(r, 'proxmox', q)
    finally:
        q.close()
        a.stop()
        shutil.rmtree(d, ignore_errors=True)

    def backup(q):
        # QemuServer/Agent.pm guest_fs_freeze, guest_fs_is_frozen,
        # guest_fs_thaw (vzdump, snapshots), then fstrim as after a disk move
        ok = ret(q('guest-fsfreeze-freeze')) == 1 and ret(q('guest-fsfreeze-status')) == 'frozen'
        ok = ok and ret(q('guest-fsfreeze-thaw')) == 1 and ret(q('guest-fsfreeze-status')) == 'thawed'
        r.check('proxmox: backup freeze, status, thaw', ok)
        rep = ret(q('guest-fstrim')) or {}
        r.check('proxmox: fstrim after a move', [p.get('path') for p in rep.get('paths', [])] ==
                [scratch.mnt], rep)
    on_scratch(r, 'proxmox backup freeze', scratch, b, backup)


def libvirt(r, b, scratch):
    a = Agent(b)
    q = Session(a)
    try:
        check_enabled(r, 'libvirt: every command the qemu driver sends enabled', q, LIBVIRT_CALLED)
        r.check('libvirt: guest-sync with an id', ret(q('guest-sync', id=123456789)) == 123456789)
        check_returns(r, 'libvirt: virsh guestinfo (every type)', q, LIBVIRT_GUESTINFO)
        check_returns(r, 'libvirt: domtime, guestvcpus, domifaddr --source agent', q,
                      ['guest-get-time', 'guest-get-vcpus', 'guest-network-get-interfaces'])
        r.check('libvirt: guest-set-time present (refuses a bad time, clock untouched)',
                set_time_refused(q))
        rep = q('guest-ssh-get-authorized-keys', username='root')
        r.check('libvirt: get-user-sshkeys root', 'return' in rep or
                (rep.get('error') or {}).get('class') == 'GenericError', rep)
        check_outside(r, 'libvirt', q)
    finally:
        q.close()
        a.stop()

    def quiesce(q):
        # domfsfreeze --mountpoint, domfsthaw, domfstrim
        ok = ret(q('guest-fsfreeze-freeze-list', mountpoints=[scratch.mnt])) == 1
        ok = ok and ret(q('guest-fsfreeze-thaw')) == 1
        ok = ok and ret(q('guest-fsfreeze-freeze')) == 1 and ret(q('guest-fsfreeze-thaw')) == 1
        r.check('libvirt: domfsfreeze --mountpoint, domfsthaw, snapshot --quiesce', ok)
        rep = ret(q('guest-fstrim', minimum=0)) or {}
        r.check('libvirt: domfstrim', [p.get('path') for p in rep.get('paths', [])] == [scratch.mnt],
                rep)
    on_scratch(r, 'libvirt freeze', scratch, b, quiesce)


def main():
    r = Run([])
    scratch = Scratch()
    try:
        for profile, drive in (('kubevirt', kubevirt), ('proxmox', proxmox), ('libvirt', libvirt)):
            b = build(r, profile)
            if b:
                drive(r, b, scratch)
    finally:
        scratch.close()
        # leave build/gen as a plain `make` wants it (bench/run does the same)
        subprocess.run(['make', '-s', '--no-print-directory', 'build/gen/commands.h',
                        'build/gen/config.h'], cwd=ROOT)
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
