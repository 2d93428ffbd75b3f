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

Ends with "N passed, M failed, K skipped".
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import Agent, Run, Session  # noqa: E402

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
    c = Session(sock)
    done = since_connect = 0
    batch = b''.join(SIMPLE[i % len(SIMPLE)] for i in range(90))
    while done < total:
        c.s.sendall(batch)
        replies = c.replies(90)
        for i, r in enumerate(replies):
            key = b'"error"' if SIMPLE[i % len(SIMPLE)] in (SIMPLE[5], SIMPLE[6], SIMPLE[7],
                                                            SIMPLE[8], SIMPLE[9]) else b'"return"'
            if key not in r:
                raise RuntimeError('unexpected reply %r to %r' % (r[:200], SIMPLE[i % len(SIMPLE)]))
        h = c('guest-file-open', path=path)['return']
        data = c('guest-file-read', handle=h, count=4096)['return']
        if data['count'] != 1000:
            raise RuntimeError('file read %r' % data)
        c('guest-file-close', handle=h)
        pid = c('guest-exec', path='/bin/true')['return']['pid']
        n = 5
        while not c('guest-exec-status', pid=pid)['return']['exited']:
            n += 1
            time.sleep(0.0005)
        done += 90 + n
        counts['requests'] += 90 + n
        since_connect += 90 + n
        if since_connect >= 1000:
            c.close()
            c = Session(sock)
            counts['reconnects'] += 1
            since_connect = 0
    c.close()


def main():
    binary = lib.binary(sys.argv[1:])
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    r = Run()
    path = os.path.join(lib.ROOT, 'data')
    with open(path, 'wb') as f:
        f.write(b'x' * 1000)
    agent = Agent(binary, ['-b', 'guest-get-osinfo'], pidfile=True)
    counts = {'requests': 0, 'reconnects': 0}
    try:
        t0 = time.monotonic()
        session(agent.sock, total // 10, path, counts)
        time.sleep(0.3)
        before = snapshot(agent.pid)
        session(agent.sock, total - total // 10, path, counts)
        time.sleep(0.3)
        after = snapshot(agent.pid)
        secs = time.monotonic() - t0
        print('# %d requests, %d reconnects in %.1f s; after warm-up RSS %d kB, %d fds, '
              '%d children; at the end RSS %d kB, %d fds, %d children' %
              (counts['requests'], counts['reconnects'], secs, *before, *after))
        r.check('RSS flat after warm-up', after[0] <= before[0] + 4 + before[0] // 16,
                '%d -> %d kB' % (before[0], after[0]))
        r.check('open fds the same', after[1] == before[1], '%d -> %d' % (before[1], after[1]))
        r.check('no child process left', after[2] == 0 and before[2] == 0,
                '%d, %d' % (before[2], after[2]))
        r.check('agent still up', agent.proc.poll() is None)
    except Exception as e:     # noqa: BLE001 - any failure is one failed check
        r.check('soak session', False, e)
    finally:
        agent.stop()
    return r.done()


if __name__ == '__main__':
    sys.exit(main())
