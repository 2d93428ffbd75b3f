#!/usr/bin/env python3
"""Soak test: a long mixed session must leave no trace in the agent.

Requests go over unix-listen in rounds of 100: 90 pipelined in one write
(ping, info, sync, get-time, host name, an unknown command, a disabled
command, bad JSON of three kinds), then a file open/read/close and a
guest-exec of /bin/true polled until it exits.  Every 1,000 requests the
client reconnects.  After a warm-up of a tenth of the requests the agent's
VmRSS, open fds and child processes are noted; at the end they must be the
same (RSS within one page of slack per 64 kB).

    tests/soak.py BINARY [REQUESTS]      (default 100,000; the note in the
                                          issue reports a 1,000,000 run)

Ends with "N passed, M failed".
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

SIMPLE = [
    b'{"execute":"guest-ping"}',
    b'{"execute":"guest-info"}',
    b'{"execute":"guest-sync","arguments":{"id":7}}',
    b'{"execute":"guest-get-time"}',
    b'{"execute":"guest-get-host-name"}',
    b'{"execute":"guest-no-such-command"}',
    b'{"execute":"guest-get-osinfo"}',          # disabled with -b below
    b'{"execute":"guest-ping","arguments":[]}',
    b'[1,2,3]',
    b'{"execute":1}',
]


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        for _ in range(500):
            try:
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.01)
        self.buf = b''

    def lines(self, n):
        out = []
        while len(out) < n:
            while b'\n' not in self.buf:
                d = self.s.recv(1 << 20)
                if not d:
                    raise RuntimeError('agent closed the connection')
                self.buf += d
            line, self.buf = self.buf.split(b'\n', 1)
            out.append(line)
        return out

    def call(self, name, **args):
        req = {'execute': name}
        if args:
            req['arguments'] = args
        self.s.sendall(json.dumps(req).encode())
        return json.loads(self.lines(1)[0])

    def close(self):
        self.s.close()


def snapshot(pid):
    with open('/proc/%d/status' % pid) as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith('VmRSS:'))
    fds = len(os.listdir('/proc/%d/fd' % pid))
    children = 0
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                with open('/proc/%s/stat' % p) as f:
                    if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                        children += 1
            except (OSError, IndexError, ValueError):
                pass
    return rss, fds, children


def session(sock, total, path, counts):
    """Send `total` requests; returns how many replies were checked."""
    c = Client(sock)
    done = since_connect = 0
    batch = b''.join(SIMPLE[i % len(SIMPLE)] for i in range(90))
    while done < total:
        c.s.sendall(batch)
        replies = c.lines(90)
        for i, r in enumerate(replies):
            key = b'"error"' if SIMPLE[i % len(SIMPLE)] in (SIMPLE[5], SIMPLE[6], SIMPLE[7],
                                                            SIMPLE[8], SIMPLE[9]) else b'"return"'
            if key not in r:
                raise RuntimeError('unexpected reply %r to %r' % (r[:200], SIMPLE[i % len(SIMPLE)]))
        h = c.call('guest-file-open', path=path)['return']
        data = c.call('guest-file-read', handle=h, count=4096)['return']
        if data['count'] != 1000:
            raise RuntimeError('file read %r' % data)
        c.call('guest-file-close', handle=h)
        pid = c.call('guest-exec', path='/bin/true')['return']['pid']
        n = 5
        while not c.call('guest-exec-status', pid=pid)['return']['exited']:
            n += 1
            time.sleep(0.0005)
        done += 90 + n
        counts['requests'] += 90 + n
        since_connect += 90 + n
        if since_connect >= 1000:
            c.close()
            c = Client(sock)
            counts['reconnects'] += 1
            since_connect = 0
    c.close()


def main():
    binary = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    passed = failed = 0
    d = tempfile.mkdtemp(prefix='tqga-soak-')
    sock = os.path.join(d, 'sock')
    path = os.path.join(d, 'data')
    with open(path, 'wb') as f:
        f.write(b'x' * 1000)
    agent = subprocess.Popen([binary, '-m', 'unix-listen', '-p', sock, '-t', d,
                              '-f', os.path.join(d, 'pid'), '-b', 'guest-get-osinfo'],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    counts = {'requests': 0, 'reconnects': 0}
    try:
        t0 = time.monotonic()
        session(sock, total // 10, path, counts)
        time.sleep(0.3)
        before = snapshot(agent.pid)
        session(sock, total - total // 10, path, counts)
        time.sleep(0.3)
        after = snapshot(agent.pid)
        secs = time.monotonic() - t0
        print('# %d requests, %d reconnects in %.1f s; after warm-up RSS %d kB, %d fds, '
              '%d children; at the end RSS %d kB, %d fds, %d children' %
              (counts['requests'], counts['reconnects'], secs, *before, *after))
        checks = [
            ('RSS flat after warm-up', after[0] <= before[0] + 4 + before[0] // 16,
             '%d -> %d kB' % (before[0], after[0])),
            ('open fds the same', after[1] == before[1], '%d -> %d' % (before[1], after[1])),
            ('no child process left', after[2] == 0 and before[2] == 0,
             '%d, %d' % (before[2], after[2])),
            ('agent still up', agent.poll() is None, ''),
        ]
        for name, ok, detail in checks:
            print('%s %s %s' % ('PASS' if ok else 'FAIL', name, '' if ok else detail))
            passed += ok
            failed += not ok
    except Exception as e:     # noqa: BLE001 - any failure is one failed check
        print('FAIL soak session: %s' % e)
        failed += 1
    finally:
        agent.terminate()
        agent.wait()
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
