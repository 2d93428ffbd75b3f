#!/usr/bin/env python3
"""Write the fuzzers' seed corpus: every input of tests/protocol.py under
64 KiB, plus requests for each command with typical arguments, into DIR;
for fuzz_config (key file text, NUL, argv words each ended by NUL)
the invocations of tests/cli.py and tests/peers.py, into DIR-config; and
for fuzz_sysfiles (the guest files it writes, in its order, each ended by
its separator) this machine's own files and small hand-made ones, into
DIR-sysfiles.

    tests/fuzz/seeds.py DIR
"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import cli  # noqa: E402
import protocol  # noqa: E402

REQUESTS = [
    b'{"execute":"guest-sync","arguments":{"id":1234}}',
    b'\xff{"execute":"guest-sync-delimited","arguments":{"id":1}}',
    b'{"execute":"guest-info","id":{"a":[1,2.5,null,true]}}',
    b'{"execute":"guest-file-open","arguments":{"path":"/etc/hostname","mode":"r"}}',
    b'{"execute":"guest-file-read","arguments":{"handle":1000,"count":4096}}',
    b'{"execute":"guest-file-write","arguments":{"handle":1000,"buf-b64":"aGVsbG8=","count":3}}',
    b'{"execute":"guest-file-seek","arguments":{"handle":1000,"offset":0,"whence":"set"}}',
    b'{"execute":"guest-exec","arguments":{"path":"/bin/true","arg":["-x"],"env":["A=B"],'
    b'"input-data":"eA==","capture-output":"merged"}}',
    b'{"execute":"guest-exec-status","arguments":{"pid":1}}',
    b'{"execute":"guest-set-time","arguments":{"time":1700000000000000000}}',
    b'{"execute":"guest-shutdown","arguments":{"mode":"reboot"}}',
    b'{"execute":"guest-fsfreeze-freeze-list","arguments":{"mountpoints":["/mnt"]}}',
    b'{"execute":"guest-fstrim","arguments":{"minimum":4096}}',
    b'{"execute":"guest-set-vcpus","arguments":{"vcpus":[{"logical-id":0,"online":true}]}}',
    b'{"execute":"guest-set-memory-blocks","arguments":{"mem-blks":[{"phys-index":1,'
    b'"online":false}]}}',
    b'{"execute":"guest-set-user-password","arguments":{"username":"u","password":"cA==",'
    b'"crypted":false}}',
    b'{"execute":"guest-ssh-add-authorized-keys","arguments":{"username":"u",'
    b'"keys":["ssh-ed25519 AAAA"],"reset":true}}',
    b'{"execute":"guest-get-fsinfo"}{"execute":"guest-get-disks"}',
    b'{"execute":"guest-network-get-interfaces"}{"execute":"guest-get-cpustats"}',
]


CONFIGS = [
    (b'', cli.UNIT_ARGS + ['-D']),
    (b'', ['-vdD', '-munix-listen', '--pa', '/s', '--stat=/st', '-Fhook', '--fsfree']),
    (b'', ['-D', '-b', 'a,b', '--block-rpcs', 'c', '-a', ',x,,y,', '--blackl=d']),
    (b'', ['-D', '-m', 'vsock-listen', '-p', '2:4711', '--peer-cids=1,3', '--peer-u', '1000,,5',
           '--peer-g=7', '--thaw-after=60', '--', '-x']),
    (b'', ['--bogus', '-x', '--ver', '-m']),
    (b'', ['-b', '?']),
    (b'', ['-h']),
    (b'# comment\n[other]\nmethod=isa-serial\n[general]\n daemon = true\nmethod=unix-listen\n'
     b'path=/from/file\nverbose=1\nblock-rpcs=a,b\nallow-rpcs=guest-ping\nunknown-key=x\n'
     b'statedir=\\s/with\\sescapes\n', ['-D', '-p', '/from/cli', '-b', 'c']),
    (b'[general]\r\npeer-cids=1,2\r\npeer-uids=0,65534\npeer-gids=100,\nthaw-after=5\n'
     b'retry-path=false\nlogfile=/l\npidfile=/p\nfsfreeze-hook=/h\nblacklist=x\n',
     ['-D', '--peer-cids=3']),
    (b'[general]\nretry-path=yes\n', ['-D']),
    (b'[general]\ngarbage line\n', []),
    (b'method=x\n', []),
    (b'[general]\npath=a\\qb\nkey[de]=v\n[general\n', ['-D']),
]


def config_seed(text, argv):
    return text + b'\0' + b''.join(w.encode() + b'\0' for w in argv)


# fuzz_sysfiles.c's files[] and SEP
SYSFILES = ['/etc/passwd', '/etc/shadow', None, '/proc/self/mountinfo',
            '/etc/os-release', '/proc/net/route', '/proc/net/ipv6_route', '/proc/net/dev',
            '/proc/diskstats', '/proc/stat', '/proc/loadavg', '/var/run/utmp']
SEP = b'--8<--\n'
FUZZ_USER = b'tqfuzz'


def utmp_record(kind, user, line=b'pts/0', host=b'10.0.2.2', sec=1700000000, usec=250000):
    """glibc's struct utmp on 64-bit Linux: 384 bytes."""
    return (struct.pack('<hxxi32s4s32s256shhiii4i20x', kind, 4242, line, b'ts/0', user, host,
                        0, 0, 0, sec, usec, 0x0100000a, 0, 0, 0))


def read_or_empty(path):
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError:
        return b''


def no_hashes(shadow):
    """A shadow file with every password field replaced: never a real hash in a seed."""
    out = []
    for line in shadow.splitlines(keepends=True):
        f = line.split(b':')
        if len(f) > 1:
            f[1] = b'$6$seedsalt$' + b'x' * 86 if f[1][:1] == b'$' else f[1]
        out.append(b':'.join(f))
    return b''.join(out)


def sysfiles_seeds():
    """This machine's files (authorized_keys made up), with the fuzz user's
    lines and, where the machine has none, a utmp added;
    then variants: absent files, hand-made edge cases."""
    real = [read_or_empty(p) if p else b'' for p in SYSFILES]
    real[0] += FUZZ_USER + b':!:0:0:fuzz:/home/elsewhere:/bin/sh\n'
    real[1] = no_hashes(real[1]) + FUZZ_USER + b':$6$old$old:19000:0:99999:7:::\n'
    real[2] = (b'# keys\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOld old@host\n\n'
               b'  ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC fuzz@remove \r\n')
    if not real[11]:
        real[11] = (utmp_record(2, b'reboot', b'~') + utmp_record(7, b'root') +
                    utmp_record(7, b'alice', sec=1690000000) + utmp_record(7, b'root', sec=1600000000))
    seeds = [SEP.join(real)]
    seeds.append(SEP.join(real[:4]))    # the rest absent
    seeds.append(b'')                   # only the fuzz user's passwd line
    odd = [b'tqfuzz:x:1000:1000::/home/x\nbad\x00line:x:1:1::/:\ntqfuzz\n',
           b'tqfuzz:*:1:0:99999:7:::\ntqfuzz:second\n',
           b'\n#\n\r\n' + b'k' * 9000 + b'\nssh-ed25519 A',
           b'36 1 0:1 / / rw - ext4 /dev/vda rw\n37 36 0:2 / /a\\040b rw - btrfs /dev/vdb rw\n'
           b'1 2 3\n',
           b'ID=x\nNAME="a \\"b\\""\nVERSION_ID=\'1\'\nPRETTY_NAME\n=\n',
           b'Iface\tDestination\tGateway\neth0\t00000000\t0102000A\t0003\t0\t0\t0\tFFFFFFFF\n',
           b'00000000000000000000000000000000 00 00000000000000000000000000000000 00 '
           b'fe800000000000000000000000000001 ffffffff 00000001 00000000 00000001 eth0\n',
           b'Inter-|\n face |\n  lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\neth0:99999999999999999999999\n',
           b'   8       0 vda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n 1 2\n',
           b'cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 18446744073709551615 2\ncpux\n',
           b'0.50 1.5e3 nan 1/2 3\n',
           utmp_record(7, b'x' * 32) + b'\x07\x00' + b'\xff' * 100]
    seeds.append(SEP.join(odd))
    return seeds


def write_all(out, inputs):
    os.makedirs(out, exist_ok=True)
    for data in inputs:
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print('%d seeds in %s' % (len(inputs), out))


def main():
    out = sys.argv[1]
    write_all(out, [c[1] for c in protocol.CASES if len(c[1]) < 65536] + REQUESTS)
    write_all(out + '-config', [config_seed(t, a) for t, a in CONFIGS])
    write_all(out + '-sysfiles', sysfiles_seeds())

if __name__ == '__main__':
    main()
