#!/usr/bin/env python3
"""Write the fuzzers' seed corpus: every input of tests/protocol.py under
64 KiB, plus requests for each command with typical arguments, into DIR;
and for fuzz_config (key file text, NUL, argv words each ended by NUL)
the invocations of tests/cli.py and tests/peers.py, into DIR-config.

    tests/fuzz/seeds.py DIR
"""
import hashlib
import os
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

if __name__ == '__main__':
    main()
