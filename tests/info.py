#!/usr/bin/env python3
"""Read-only guest information: each command checked against facts this
test reads on its own (not through tinyqga's code), reply shapes and key
order checked against qemu-ga's stored replies, and odd machines played
by fixture trees under $TINYQGA_SYSROOT.

    tests/info.py ./tinyqga

Ends with "N passed, M failed, K skipped".
"""
import json
import os
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import Agent, Run, ask  # noqa: E402


def call(agent, cmd, raw=False):
    """One request, one reply line."""
    out = ask(agent.sock, lib.request(cmd, {}), timeout=10)
    return out if raw else json.loads(out)


def keys_in_order(raw, first_object_keys):
    """The keys of the first object of a reply, in the order sent."""
    obj = json.loads(raw)['return']
    if isinstance(obj, list):
        obj = obj[0]
    return list(obj.keys()) == first_object_keys


def in_order(keys, order):
    """keys appear in qemu-ga's order (a subsequence of it)."""
    pos = [order.index(k) for k in keys]
    return pos == sorted(pos)


# qemu-ga's member order for each reply type (its QDict hash order), taken
# from qemu-ga 7.2's replies and, for newer members, from newest QEMU.
ORDER = {
    'osinfo': ['name', 'kernel-release', 'version', 'variant', 'pretty-name', 'version-id',
               'variant-id', 'kernel-version', 'machine', 'id'],
    'vcpu': ['online', 'can-offline', 'logical-id'],
    'memblk': ['online', 'can-offline', 'phys-index'],
    'cpustats': ['cpu', 'guestnice', 'idle', 'steal', 'iowait', 'system', 'guest', 'nice', 'irq',
                 'type', 'user', 'softirq'],
    'diskstats': ['name', 'stats', 'minor', 'major'],
    'netif': ['name', 'ip-addresses', 'statistics', 'hardware-address'],
    'ipaddr': ['ip-address-type', 'ip-address', 'prefix'],
    'netstats': ['tx-packets', 'tx-errs', 'rx-bytes', 'rx-dropped', 'rx-packets', 'rx-errs',
                 'tx-bytes', 'tx-dropped'],
    'fsinfo': ['name', 'total-bytes', 'total-bytes-privileged', 'mountpoint', 'disk',
               'used-bytes', 'type'],
    'diskaddr': ['ccw-address', 'serial', 'bus-type', 'bus', 'unit', 'pci-controller', 'dev',
                 'target'],
    'pci': ['bus', 'slot', 'domain', 'function'],
    'disk': ['name', 'smart', 'dependencies', 'partition', 'address', 'alias'],
    'route': ['flags', 'source', 'metric', 'refcnt', 'window', 'version', 'nexthop', 'iface',
              'destination', 'desprefixlen', 'irtt', 'gateway', 'srcprefixlen', 'use', 'mtu',
              'mask'],
}


def live(r, b):
    a = Agent(b)
    try:
        rep = call(a, 'guest-get-host-name')['return']
        r.check('host name', rep == {'host-name': socket.gethostname()}, rep)

        raw = call(a, 'guest-get-osinfo', raw=True)
        rep = json.loads(raw)['return']
        u = os.uname()
        rel = {}
        for path in ('/etc/os-release', '/usr/lib/os-release'):
            if os.path.exists(path):
                for line in open(path):
                    k, _, v = line.strip().partition('=')
                    rel[k] = v.strip('"')
                break
        r.check('osinfo: uname and os-release', rep.get('kernel-release') == u.release and
                rep.get('kernel-version') == u.version and rep.get('machine') == u.machine and
                rep.get('id') == rel.get('ID') and rep.get('pretty-name') == rel.get('PRETTY_NAME'), rep)
        r.check('osinfo key order', in_order(list(rep), ORDER['osinfo']), list(rep))

        t = call(a, 'guest-get-time')['return']
        r.check('time: now, in ns, from microseconds', abs(t / 1e9 - time.time()) < 5 and t % 1000 == 0, t)

        rep = call(a, 'guest-get-timezone')['return']
        lt = time.localtime()
        r.check('timezone', rep == {'zone': time.strftime('%Z', lt), 'offset': lt.tm_gmtoff}, rep)

        rep = call(a, 'guest-get-load')['return']
        la = [float(x) for x in open('/proc/loadavg').read().split()[:3]]
        r.check('load: /proc/loadavg', list(rep) == ['load15m', 'load5m', 'load1m'] and
                all(abs(x - y) < 1.0 for x, y in zip([rep['load1m'], rep['load5m'], rep['load15m']], la)), rep)

        rep = call(a, 'guest-get-vcpus')['return']
        cpus = {}
        for e in os.listdir('/sys/devices/system/cpu'):
            if e.startswith('cpu') and e[3:].isdigit():
                f = '/sys/devices/system/cpu/%s/online' % e
                cpus[int(e[3:])] = (open(f).read()[0] != '0', True) if os.path.exists(f) else (True, False)
        got = {c['logical-id']: (c['online'], c['can-offline']) for c in rep}
        r.check('vcpus: every cpuN, online and can-offline', got == cpus, (got, cpus))
        r.check('vcpus key order', all(list(c) == ORDER['vcpu'] for c in rep))

        mdir = '/sys/devices/system/memory'
        rep = call(a, 'guest-get-memory-block-info')
        if os.path.exists(mdir + '/block_size_bytes'):
            r.check('memory block size', rep['return'] == {'size': int(open(mdir + '/block_size_bytes').read(), 16)}, rep)
            rep = call(a, 'guest-get-memory-blocks')['return']
            blocks = {int(e[6:]) for e in os.listdir(mdir) if e.startswith('memory') and e[6:].isdigit()}
            r.check('memory blocks: every memoryN', {m['phys-index'] for m in rep} == blocks and
                    all(list(m) == ORDER['memblk'] for m in rep), len(rep))

        rep = call(a, 'guest-get-cpustats')['return']
        lines = [l.split() for l in open('/proc/stat') if l.startswith('cpu') and l[3].isdigit()]
        hz = os.sysconf('SC_CLK_TCK')
        r.check('cpustats: a record per cpuN line, milliseconds',
                [c['cpu'] for c in rep] == [int(l[0][3:]) for l in lines] and
                all(c['type'] == 'linux' and c['idle'] >= int(l[4]) * 1000 // hz - 10000
                    for c, l in zip(rep, lines)), rep[:1])
        r.check('cpustats key order', all(in_order(list(c), ORDER['cpustats']) for c in rep))

        rep = call(a, 'guest-get-diskstats')['return']
        want = [l.split()[2] for l in open('/proc/diskstats')
                if len(l.split()) - 3 == 4 or len(l.split()) - 3 >= 11]
        r.check('diskstats: a record per /proc/diskstats line', [d['name'] for d in rep] == want,
                ([d['name'] for d in rep], want))
        r.check('diskstats key order', all(list(d) == ORDER['diskstats'] for d in rep))

        check_network(r, a)
        check_routes(r, a)
        check_fsinfo(r, a)
        check_disks(r, a)
    finally:
        a.stop()


def check_network(r, a):
    rep = call(a, 'guest-network-get-interfaces')['return']
    names = [n for _, n in sorted(socket.if_nameindex())]
    r.check('interfaces: every link, in index order', [i['name'] for i in rep][:len(names)] == names,
            ([i['name'] for i in rep], names))
    v6 = {}
    for line in open('/proc/net/if_inet6'):
        f = line.split()
        addr = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(f[0]))
        v6.setdefault(f[5], set()).add((addr, int(f[2], 16)))
    ok = True
    for i in rep:
        mac_file = '/sys/class/net/%s/address' % i['name']
        if os.path.exists(mac_file) and 'hardware-address' in i:
            ok &= i['hardware-address'] == open(mac_file).read().strip()[:17]
        got6 = {(x['ip-address'], x['prefix']) for x in i.get('ip-addresses', [])
                if x['ip-address-type'] == 'ipv6'}
        ok &= got6 == v6.get(i['name'], set())
        ok &= ('statistics' in i) == ('ip-addresses' in i)
        ok &= in_order(list(i), ORDER['netif'])
        for x in i.get('ip-addresses', []):
            ok &= list(x) == ORDER['ipaddr']
        if 'statistics' in i:
            ok &= list(i['statistics']) == ORDER['netstats']
    r.check('interfaces: MACs, IPv6 addresses and prefixes, statistics only with addresses', ok, rep)
    lo = [i for i in rep if i['name'] == 'lo']
    r.check('loopback: 127.0.0.1/8', lo and {'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1',
                                              'prefix': 8} in lo[0].get('ip-addresses', []), lo)


def check_routes(r, a):
    rep = call(a, 'guest-network-get-route')['return']
    v4 = [l.split() for l in open('/proc/net/route').readlines()[1:] if len(l.split()) >= 11]
    got4 = [x for x in rep if x['version'] == 4]

    def quad(h):
        return socket.inet_ntoa(struct.pack('<I', int(h, 16)))
    r.check('routes: IPv4 from /proc/net/route',
            [(x['iface'], x['destination'], x['gateway'], x['mask'], x['flags'], x['metric']) for x in got4] ==
            [(f[0], quad(f[1]), quad(f[2]), quad(f[7]), int(f[3], 16), int(f[6])) for f in v4], got4)
    if os.path.exists('/proc/net/ipv6_route'):
        v6 = [l.split() for l in open('/proc/net/ipv6_route') if len(l.split()) >= 10]
        got6 = [x for x in rep if x['version'] == 6]
        r.check('routes: IPv6 from /proc/net/ipv6_route, prefix lengths as strings',
                [(x['destination'], x['desprefixlen'], x['nexthop'], x['iface']) for x in got6] ==
                [(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(f[0])), str(int(f[1], 16)),
                  socket.inet_ntop(socket.AF_INET6, bytes.fromhex(f[4])), f[9]) for f in v6], got6[:2])
    r.check('routes key order', all(in_order(list(x), ORDER['route']) for x in rep))


def block_mounts():
    seen, out = set(), []
    for line in open('/proc/self/mountinfo'):
        f = line.split()
        sep = f.index('-')
        major, minor = map(int, f[2].split(':'))
        if major == 0 or (major, minor) in seen:
            continue
        seen.add((major, minor))
        out.append((f[4].encode().decode('unicode_escape'), f[sep + 1], major, minor))
    return out


def check_fsinfo(r, a):
    rep = call(a, 'guest-get-fsinfo')['return']
    want = block_mounts()[::-1]
    r.check('fsinfo: block-device mounts, newest first, binds once',
            [(f['mountpoint'], f['type']) for f in rep] == [(m[0], m[1]) for m in want], rep)
    ok = True
    for f, m in zip(rep, want):
        st = os.statvfs(m[0])
        ok &= f['total-bytes-privileged'] == st.f_blocks * st.f_frsize
        ok &= abs(f['used-bytes'] - (st.f_blocks - st.f_bfree) * st.f_frsize) < 64 << 20
        sysp = '/sys/dev/block/%d:%d' % (m[2], m[3])
        if os.path.exists(sysp):
            ok &= f['name'] == os.path.basename(os.path.realpath(sysp))
        ok &= in_order(list(f), ORDER['fsinfo'])
        for d in f['disk']:
            ok &= in_order(list(d), ORDER['diskaddr']) and list(d['pci-controller']) == ORDER['pci']
            ok &= all(k in d for k in ('bus', 'target', 'unit', 'pci-controller', 'bus-type'))
    r.check('fsinfo: sizes from statvfs, names from sysfs, every disk with bus/target/unit', ok, rep)


def check_disks(r, a):
    rep = call(a, 'guest-get-disks')['return']
    want = set()
    for e in os.listdir('/sys/block'):
        if open('/sys/block/%s/size' % e).read().strip() == '0':
            continue
        want.add('/dev/' + e)
        for p in os.listdir('/sys/block/' + e):
            if p.startswith(e) and os.path.exists('/sys/block/%s/%s/partition' % (e, p)):
                want.add('/dev/' + p)
    r.check('disks: every sized disk and partition', {d['name'] for d in rep} == want,
            ({d['name'] for d in rep}, want))
    r.check('disks key order', all(in_order(list(d), ORDER['disk']) for d in rep))


def fixture(r, b):
    root = tempfile.mkdtemp(prefix='tqga-root-')

    def put(path, data, mode='w'):
        full = root + path
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, mode) as f:
            f.write(data)

    # mounts: escapes, a bind mount, tmpfs and proc skipped, 300 of them
    lines = ['22 1 0:21 / /proc rw - proc proc rw',
             '27 1 8:1 / / rw - ext4 /dev/sda1 rw',
             '28 27 8:2 / /with\\040space\\011tab rw shared:1 master:2 - xfs /dev/sda2 rw',
             '29 27 8:1 /sub /bind rw - ext4 /dev/sda1 rw',
             '30 27 0:30 / /tmp rw - tmpfs tmpfs rw']
    lines += ['%d 27 9:%d / /m%d rw - ext4 /dev/md%d rw' % (100 + i, i, i, i) for i in range(300)]
    put('/proc/self/mountinfo', '\n'.join(lines) + '\n')
    # diskstats: a 4-counter partition line, a short line, 17 counters
    put('/proc/diskstats', '   8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n'
        '   8 1 sda1 10 20 30 40\n   8 2 sdb 1 2\n   8 3 sdc 1 2 3 4 5 6 7 8 9 10 11\n')
    # /proc/stat: an old kernel without guest counters
    put('/proc/stat', 'cpu  1 2 3 4\ncpu0 100 200 300 400 500\nintr 1\n')
    put('/proc/loadavg', '0.50 1.25 2.00 1/100 42\n')
    # utmp: two logins of alice (earliest kept) and one of bob
    rec = b''
    for user, sec, usec in (('alice', 2000, 500000), ('bob', 1500, 0), ('alice', 1000, 250000)):
        r_ = bytearray(384)
        struct.pack_into('<h', r_, 0, 7)
        r_[44:44 + len(user)] = user.encode()
        struct.pack_into('<ii', r_, 340, sec, usec)
        rec += bytes(r_)
    dead = bytearray(384)
    struct.pack_into('<h', dead, 0, 8)
    put('/var/run/utmp', rec + bytes(dead), 'wb')
    put('/sys/devices/system/memory/block_size_bytes', '8000000\n')
    os.makedirs(root + '/sys/devices/system/cpu/cpu0')
    os.makedirs(root + '/sys/devices/system/cpu/cpu1')
    put('/sys/devices/system/cpu/cpu1/online', '0\n')
    osrel = '/os-release-test'      # $QGA_OS_RELEASE, under the test root too
    with open(root + osrel, 'w') as f:
        f.write('ID=qemu-ga-test\nNAME=QEMU-GA\nPRETTY_NAME="QEMU Guest Agent test"\nVERSION="Test 1"\n'
                'VERSION_ID=1\nVARIANT="Unit test \\"\\\'\\$\\`\\\\ and \\\\\\\\ etc."\nVARIANT_ID=unit-test\n'
                '# a comment\nBUILD_ID=x\n')
    env = dict(os.environ, TINYQGA_SYSROOT=root, QGA_OS_RELEASE=osrel)
    a = Agent(b, env=env)
    try:
        rep = call(a, 'guest-get-fsinfo')['return']
        names = [f['mountpoint'] for f in rep]
        r.check('fixture fsinfo: escapes undone, bind mount once, no tmpfs/proc, 300 md mounts',
                names[-2:] == ['/with space\ttab', '/'] and '/bind' not in names and
                '/tmp' not in names and len(rep) == 302 and rep[-1]['disk'] == [], names[-3:])
        rep = call(a, 'guest-get-diskstats')['return']
        r.check('fixture diskstats: 17, 4 and 11 counter lines; short lines skipped',
                [d['name'] for d in rep] == ['sda', 'sda1', 'sdc'] and len(rep[0]['stats']) == 17 and
                rep[1]['stats'] == {'write-ios': 30, 'read-ios': 10, 'write-sectors': 40, 'read-sectors': 20}
                and len(rep[2]['stats']) == 11, rep)
        rep = call(a, 'guest-get-cpustats')['return']
        hz = os.sysconf('SC_CLK_TCK')
        r.check('fixture cpustats: optional counters only when present',
                rep == [{'cpu': 0, 'idle': 400 * 1000 // hz, 'iowait': 500 * 1000 // hz,
                         'system': 300 * 1000 // hz, 'nice': 200 * 1000 // hz, 'type': 'linux',
                         'user': 100 * 1000 // hz}], rep)
        raw = call(a, 'guest-get-load', raw=True)
        r.check('fixture load: doubles as glibc reads /proc/loadavg',
                raw == b'{"return": {"load15m": 2, "load5m": 1.25, "load1m": 0.5}}\n', raw)
        rep = call(a, 'guest-get-users')['return']
        r.check('fixture users: earliest login per user', rep == [
            {'login-time': 1000.25, 'user': 'alice'}, {'login-time': 1500, 'user': 'bob'}], rep)
        rep = call(a, 'guest-get-vcpus')['return']
        r.check('fixture vcpus', sorted((c['logical-id'], c['online'], c['can-offline']) for c in rep) ==
                [(0, True, False), (1, False, True)], rep)
        rep = call(a, 'guest-get-memory-blocks')
        r.check('fixture memory: no blocks is an error', rep.get('error', {}).get('desc') ==
                'guest reported zero memory blocks!', rep)
        rep = call(a, 'guest-get-memory-block-info')['return']
        r.check('fixture memory block size (hex)', rep == {'size': 0x8000000}, rep)
        raw = call(a, 'guest-get-osinfo', raw=True)
        rep = json.loads(raw)['return']
        r.check('fixture osinfo: $QGA_OS_RELEASE and its quoting, as test-qga',
                rep['id'] == 'qemu-ga-test' and rep['name'] == 'QEMU-GA' and
                rep['pretty-name'] == 'QEMU Guest Agent test' and rep['version'] == 'Test 1' and
                rep['version-id'] == '1' and rep['variant'] == 'Unit test "\'$`\\ and \\\\ etc.' and
                rep['variant-id'] == 'unit-test', rep)
        rep = call(a, 'guest-network-get-route')
        r.check('fixture routes: missing /proc/net/route is an error', rep.get('error', {}).get('desc') ==
                'open("/proc/net/route"): No such file or directory', rep)
    finally:
        a.stop()

    # nothing at all: no utmp, no memory directory, no os-release
    empty = tempfile.mkdtemp(prefix='tqga-empty-')
    a = Agent(b, env=dict(os.environ, TINYQGA_SYSROOT=empty, QGA_OS_RELEASE='/none'))
    try:
        r.check('no utmp: no users', call(a, 'guest-get-users') == {'return': []})
        r.check('no memory directory: no blocks', call(a, 'guest-get-memory-blocks') == {'return': []})
        rep = call(a, 'guest-get-osinfo')['return']
        r.check('no os-release: uname fields only', set(rep) == {'kernel-release', 'kernel-version', 'machine'}, rep)
        rep = call(a, 'guest-get-fsinfo')
        r.check('no mountinfo: an error, not a crash', 'error' in rep, rep)
        # newest QEMU's texts (commit 578988e684 and its g_dir_open listing)
        enoent = ': No such file or directory'
        for cmd, want in (('guest-get-diskstats', "Could not open '/proc/diskstats'" + enoent),
                          ('guest-get-cpustats', "Could not open '/proc/stat'" + enoent),
                          ('guest-get-vcpus', 'failed to list entries: /sys/devices/system/cpu' + enoent),
                          ('guest-get-memory-block-info', 'open("/sys/devices/system/memory/")' + enoent)):
            rep = call(a, cmd)
            r.check('missing file: %s says %r' % (cmd, want), rep.get('error', {}).get('desc') == want, rep)
        r.check('still alive', call(a, 'guest-ping') == {'return': {}})
    finally:
        a.stop()

    # unreadable entries: an "online" that is a directory, an empty "state",
    # no block_size_bytes; a block without "state" is online and fixed
    bad = tempfile.mkdtemp(prefix='tqga-bad-')
    os.makedirs(bad + '/sys/devices/system/cpu/cpu0/online')
    os.makedirs(bad + '/sys/devices/system/memory/memory0')
    open(bad + '/sys/devices/system/memory/memory0/state', 'w').close()
    os.makedirs(bad + '/sys/devices/system/memory/memory1')
    a = Agent(b, env=dict(os.environ, TINYQGA_SYSROOT=bad, QGA_OS_RELEASE='/none'))
    try:
        for cmd, want in (('guest-get-vcpus', 'pread("/sys/devices/system/cpu/cpu0//online"): '
                                              'Is a directory'),
                          ('guest-get-memory-blocks', 'pread sysfs file "state": unexpected EOF'),
                          ('guest-get-memory-block-info',
                           'open sysfs file "block_size_bytes": No such file or directory')):
            rep = call(a, cmd)
            r.check('unreadable: %s says %r' % (cmd, want), rep.get('error', {}).get('desc') == want, rep)
        os.unlink(bad + '/sys/devices/system/memory/memory0/state')
        rep = call(a, 'guest-get-memory-blocks')
        r.check('memory blocks without "state": online, cannot go offline',
                sorted((m['phys-index'], m['online'], m['can-offline']) for m in rep.get('return', [])) ==
                [(0, True, False), (1, True, False)], rep)
    finally:
        a.stop()


def main():
    b = lib.binary(sys.argv[1:])
    r = Run([])
    live(r, b)
    fixture(r, b)
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
