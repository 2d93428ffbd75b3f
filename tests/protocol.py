#!/usr/bin/env python3
"""Protocol tests: start an agent with -m unix-listen and check its replies
byte for byte.

The expected bytes below are what qemu-ga 7.2 (Debian's /usr/sbin/qemu-ga)
sends for the same input, so these tests need no qemu-ga.  Where tinyqga
follows newer QEMU or does better on purpose, the case says so.  When
/usr/sbin/qemu-ga is installed (or --ref PATH is given) every reply case is
also sent to a live qemu-ga and the two agents' bytes are compared.

    tests/protocol.py ./tinyqga [--ref /usr/sbin/qemu-ga | --no-ref] [-k NAME]

Ends with "N passed, M failed, K skipped"; exit status 1 if anything failed.
TINYQGA_TEST_SLOW=N (make check-asan, check-valgrind) stretches every wait
N times and leaves out the resident-memory bounds, which an instrumented
agent cannot meet.
Python 3 standard library only.
"""
import json
import os
import select
import socket
import stat
import subprocess
import sys
import tempfile
import time

AFTER = b'{"execute":"guest-ping","id":"after"}'
AFTER_R = b'{"return": {}, "id": "after"}\n'
OK = b'{"return": {}}\n'
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import SLOW, Run  # noqa: E402


def E(desc, id_=None):
    if isinstance(desc, str):
        desc = desc.encode()
    pre = b'{"id": ' + id_ + b', ' if id_ is not None else b'{'
    return pre + b'"error": {"class": "GenericError", "desc": "' + desc + b'"}}\n'


def CNF(desc, id_=None):
    pre = b'{"id": ' + id_ + b', ' if id_ is not None else b'{'
    return pre + b'"error": {"class": "CommandNotFound", "desc": "' + desc.encode() + b'"}}\n'


def P(detail):
    return E(b'JSON parse error, ' + (detail.encode() if isinstance(detail, str) else detail))


def STRAY(tok):
    return P(b"stray '" + tok + b"'")


NOTOBJ = E('QMP input must be a JSON object')
EXPV = P('expecting value')
MiB = 1 << 20

# (name, bytes sent, bytes expected).  Every case leaves the parser clean.
CASES = [
    # requests and replies
    ('ping', b'{"execute":"guest-ping"}', OK),
    ('ping empty arguments', b'{"execute":"guest-ping","arguments":{}}', OK),
    ('sync', b'{"execute":"guest-sync","arguments":{"id":1234567}}', b'{"return": 1234567}\n'),
    ('sync int64 edges', b'{"execute":"guest-sync","arguments":{"id":-9223372036854775808}}'
     b'{"execute":"guest-sync","arguments":{"id":9223372036854775807}}',
     b'{"return": -9223372036854775808}\n{"return": 9223372036854775807}\n'),
    ('sync-delimited', b'{"execute":"guest-sync-delimited","arguments":{"id":4711}}',
     b'\xff{"return": 4711}\n'),
    ('sync-delimited after 0xff', b'\xff{"execute":"guest-sync-delimited","arguments":{"id":42}}',
     STRAY(b'\\uFFFD') + b'\xff{"return": 42}\n'),
    ('sync-delimited error has no 0xff', b'{"execute":"guest-sync-delimited","arguments":{}}' + AFTER,
     E("Parameter 'id' is missing") + AFTER_R),
    ('sync-delimited then ping', b'{"execute":"guest-sync-delimited","arguments":{"id":1}}'
     b'{"execute":"guest-ping"}', b'\xff{"return": 1}\n' + OK),
    ('single quotes', b"{'execute':'guest-ping','id':'sq\\'x'}", b'{"return": {}, "id": "sq\'x"}\n'),
    ('escaped command name', b'{"execute":"guest-p\\u0069ng"}', OK),
    ('pipelined', AFTER + b'\n' + AFTER + AFTER + b' \r\n\t' + AFTER, AFTER_R * 4),

    # id echo (2.3): any value, in QDict order; never on parse errors
    ('id string', b'{"execute":"guest-ping","id":"abc"}', b'{"return": {}, "id": "abc"}\n'),
    ('id null', b'{"execute":"guest-ping","id":null}', b'{"return": {}, "id": null}\n'),
    ('id object order', b'{"execute":"guest-ping","id":{"b":1,"a":2,"zz":[1,{"x":null,"y":true}],"execute":0}}',
     b'{"return": {}, "id": {"a": 2, "execute": 0, "zz": [1, {"x": null, "y": true}], "b": 1}}\n'),
    ('id numbers', b'{"execute":"guest-ping","id":[0.1,1E5,-0,5e-324,18446744073709551615,'
     b'18446744073709551616,-9223372036854775809,1e-400,-0.0]}',
     b'{"return": {}, "id": [0.10000000000000001, 100000, 0, 4.9406564584124654e-324, '
     b'18446744073709551615, 1.8446744073709552e+19, -9.2233720368547758e+18, 0, -0]}\n'),
    ('id strings', b'{"execute":"guest-ping","id":"a\\u0000b\xc0\x80 \\ud83d\\ude00 \xe2\x82\xac\\t\x7f/"}',
     b'{"return": {}, "id": "a\\u0000b\\u0000 \\uD83D\\uDE00 \\u20AC\\t\\u007F/"}\n'),
    ('id on unknown command', b'{"execute":"nope","id":7}',
     CNF('The command nope has not been found', b'7')),
    ('id on missing execute', b'{"id":5}', E("QMP input lacks member 'execute'", b'5')),
    ('id on argument error', b'{"execute":"guest-sync","arguments":{"id":"x"},"id":[1]}',
     E("Invalid parameter type for 'id', expected: integer", b'[1]')),

    # dispatch errors (2.5)
    ('unknown command', b'{"execute":"guest-no-such-command"}',
     CNF('The command guest-no-such-command has not been found')),
    ('empty command name', b'{"execute":""}', CNF('The command  has not been found')),
    ('case-sensitive', b'{"execute":"GUEST-PING"}', CNF('The command GUEST-PING has not been found')),
    ('nul in command name', b'{"execute":"guest-ping\\u0000"}',
     CNF('The command guest-ping\\u0000 has not been found')),
    ('long command name', b'{"execute":"' + b'x' * 100000 + b'"}',
     CNF('The command ' + 'x' * 100000 + ' has not been found')),
    ('missing execute', b'{}{"arguments":{}}', E("QMP input lacks member 'execute'") * 2),
    ('execute not a string', b'{"execute":1}{"execute":["x"]}',
     E("QMP input member 'execute' must be a string") * 2),
    ('arguments not an object', b'{"execute":"guest-ping","arguments":[]}{"execute":"guest-ping","arguments":null}',
     E("QMP input member 'arguments' must be an object") * 2),
    ('unexpected member', b'{"execute":"guest-ping","foo":1}{"exec-oob":"guest-ping"}{"execute":"guest-ping","":1}',
     E("QMP input member 'foo' is unexpected") + E("QMP input member 'exec-oob' is unexpected")
     + E("QMP input member '' is unexpected")),
    ('members checked in QDict order', b'{"execute":1,"arguments":[],"foo":2}{"arguments":[],"foo":2}',
     E("QMP input member 'execute' must be a string") + E("QMP input member 'arguments' must be an object")),
    ('missing argument first', b'{"execute":"guest-sync","arguments":{"foo":1}}', E("Parameter 'id' is missing")),
    ('unexpected argument', b'{"execute":"guest-ping","arguments":{"foo":42}}', E("Parameter 'foo' is unexpected")),
    ('long argument name', b'{"execute":"guest-ping","arguments":{"' + b'y' * 70000 + b'":1}}',
     E("Parameter '" + 'y' * 70000 + "' is unexpected")),
    ('argument types', b''.join(b'{"execute":"guest-sync","arguments":{"id":%s}}' % v for v in
                                (b'1.5', b'1e3', b'null', b'true', b'"1"', b'9223372036854775808',
                                 b'18446744073709551615', b'[]', b'{}')),
     E("Invalid parameter type for 'id', expected: integer") * 9),
    ('duplicate key', b'{"execute":"guest-ping","execute":"guest-info"}{"execute":"guest-ping","arguments":{"a":1,"a":2}}',
     P('duplicate key') * 2),

    # top level non-objects (2.5)
    ('top-level values', b'[] "x" 42\nnull\ntrue [{"execute":"guest-ping"}]' + AFTER, NOTOBJ * 6 + AFTER_R),
    ('scalar needs a delimiter', b'1' + AFTER, NOTOBJ + AFTER_R),

    # parse errors and recovery (2.5, 2.6)
    ('missing colon', b'{"execute" "guest-ping"}' + AFTER, P('missing : in object pair') + AFTER_R),
    ('trailing comma', b'{"execute":"guest-ping",}' + AFTER, EXPV + AFTER_R),
    ('bare word', b'{"execute":guest-ping}' + AFTER, STRAY(b'-p') + EXPV + AFTER_R),
    ('extra closer', b'{"execute":"guest-ping"}}' + AFTER, OK + EXPV + AFTER_R),
    ('control byte in string', b'{"execute":"guest-ping","id":"\x01"}' + AFTER,
     STRAY(b'\\"\\u0001') + EXPV + AFTER_R),
    ('newline in string', b'{"execute":"guest-ping","id":"a\nb"}' + AFTER, STRAY(b'\\"a\\n') + EXPV + AFTER_R),
    ('leading zero', b'{"execute":"guest-ping","id":01}' + AFTER, STRAY(b'01') + EXPV + AFTER_R),
    ('bad numbers', b'+1 -.5 [1.} 0x10 ' + AFTER, STRAY(b'+') + STRAY(b'1.}') + AFTER_R),
    ('minus dot', b'-.5 ' + AFTER, STRAY(b'-.') + AFTER_R),
    ('zero then letters', b'[0x10]' + AFTER, P("expected separator in list") + AFTER_R),
    ('keywords', b'{"a":abc}{"a":nulltrue}{"a":tru}True ' + AFTER,
     P("invalid keyword 'abc'") + P("invalid keyword 'nulltrue'") + P("invalid keyword 'tru'")
     + STRAY(b'T') + AFTER_R),
    ('long keyword is cut at 1023', b'{"a":' + b'k' * 5000 + b'}' + AFTER,
     P("invalid keyword '" + 'k' * (1023 - len("invalid keyword '"))) + AFTER_R),
    ('separators', b'[1 2]{"a":1 "b":2}{1:2}' + AFTER,
     P('expected separator in list') + P('expected separator in dict')
     + P('key is not a string in object') + AFTER_R),
    ('lone closers', b'] } : ,' + AFTER, EXPV * 4 + AFTER_R),
    ('nul byte', b'\x00' + AFTER, STRAY(b'') + AFTER_R),
    ('nul in string', b'{"execute":"guest-ping","id":"ab\x00cd"}' + AFTER, STRAY(b'\\"ab') + EXPV + AFTER_R),
    ('recovery ends at control byte', b'\x01 abc\x02 def' + AFTER,
     STRAY(b'\\u0001') + STRAY(b'\\u0002') + AFTER_R),
    ('string escapes', b'{"execute":"guest-ping","id":"\\x41"}{"execute":"guest-ping","id":"\\ud83d"}'
     b'{"execute":"guest-ping","id":"\\u12"}{"execute":"guest-ping","id":"\\uFFFE"}' + AFTER,
     P('invalid escape sequence in string') + P('\\\\ud83d is not a valid Unicode character')
     + P('\\\\u12\\" is not a valid Unicode character') + P('\\\\uFFFE is not a valid Unicode character')
     + AFTER_R),
    ('invalid utf-8', b'{"execute":"guest-ping","id":"a\xc3(b"}{"execute":"guest-ping","id":"\xed\xa0\x80"}' + AFTER,
     P('invalid UTF-8 sequence in string') * 2 + AFTER_R),

    # 0xFF resets (2.7, 2.8)
    ('0xff', b'\xff' + AFTER, STRAY(b'\\uFFFD') + AFTER_R),
    ('0xff mid string', b'{"execute":"guest-pi\xff' + AFTER, STRAY(b'\\"guest-pi\\uFFFD') + AFTER_R),
    ('0xff mid nesting', b'{"execute":"guest-ping","id":[[[\xff' + AFTER, STRAY(b'\\uFFFD') + AFTER_R),
    ('0xfe', b'{"execute":\xfe' + AFTER, STRAY(b'\\uFFFD') + AFTER_R),
    ('0xff storm', b'\xff' * 1000 + AFTER, STRAY(b'\\uFFFD') * 1000 + AFTER_R),

    # limits (2.6)
    ('nesting 1024 passes', b'{"execute":"guest-ping","id":' + b'[' * 1023 + b']' * 1023 + b'}',
     b'{"return": {}, "id": ' + b'[' * 1023 + b']' * 1023 + b'}\n'),
    ('nesting 1025 fails', b'{"execute":"guest-ping","id":' + b'[' * 1024 + b']' * 1024 + b'}' + AFTER,
     E('JSON nesting depth limit exceeded') + EXPV * 1025 + AFTER_R),
    ('nesting 2000', b'[' * 2000 + b']' * 2000 + AFTER,
     E('JSON nesting depth limit exceeded') + NOTOBJ + EXPV * 1025 + AFTER_R),
    ('nesting left open, then 0xff', b'[' * 2000 + b'\xff' + AFTER,
     E('JSON nesting depth limit exceeded') + STRAY(b'\\uFFFD') + AFTER_R),
    # the limit trips again every 1025 brackets, as in qemu-ga
    ('nesting 1,000,000, then 0xff', b'[' * 1000000 + b'\xff' + AFTER,
     E('JSON nesting depth limit exceeded') * 975 + STRAY(b'\\uFFFD') + AFTER_R),
    ('token count', b'[' + b'[],' * (2 * MiB) + b'1]' + AFTER,
     E('JSON token count limit exceeded') + EXPV + (NOTOBJ + EXPV) * 1398102 + AFTER_R),
    ('16 MiB string echoed', b'{"execute":"guest-ping","id":"' + b'a' * (16 * MiB) + b'"}',
     b'{"return": {}, "id": "' + b'a' * (16 * MiB) + b'"}\n'),
    ('message just under 64 MiB', b'{"execute":"guest-ping","id":"' + b'a' * (64 * MiB - 40) + b'"}',
     b'{"return": {}, "id": "' + b'a' * (64 * MiB - 40) + b'"}\n'),
    ('message over 64 MiB, then 0xff', b'{"execute":"guest-ping","id":"x","a":"' + b'b' * (63 * MiB)
     + b'","c":"' + b'c' * (2 * MiB) + b'\xff' + AFTER,
     STRAY(b'\\"' + b'c' * (2 * MiB) + b'\\uFFFD') + AFTER_R),
    ('64 MiB of whitespace', b' ' * (64 * MiB + 2) + AFTER, AFTER_R),
    ('10,000 digits', b'{"execute":"guest-ping","id":' + b'1' * 10000 + b'}' + AFTER,
     b'{"return": {}, "id": inf}\n' + AFTER_R),
]

# Cases whose input takes the reference seconds: not repeated against it.
SLOW_ON_REF = {'token count', 'message just under 64 MiB', 'message over 64 MiB, then 0xff',
               '64 MiB of whitespace'}


def Agent(binary, extra=(), env=None):
    return lib.Agent(binary, extra, env=env, pidfile=True)


def show(b, n=160):
    b = bytes(b)
    return repr(b[:n]) + ('...(%d bytes)' % len(b) if len(b) > n else '')


def first_diff(a, b):
    n = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    return 'at byte %d: got %s, want %s' % (n, show(a[max(0, n - 40):n + 80]), show(b[max(0, n - 40):n + 80]))


def reply_cases(run, binary, ref):
    agent = Agent(binary)
    refagent = Agent(ref) if ref else None
    try:
        for name, data, want in CASES:
            if not run.want(name):
                continue
            got = agent.exchange(data, len(want))
            run.check(name, got == want, first_diff(got, want))
            if len(data) < 4096 and b'0xff' not in name.encode():
                got1 = agent.exchange(data, len(want), chunk=1)
                run.check(name + ' (1-byte writes)', got1 == want, first_diff(got1, want))
            if refagent and name not in SLOW_ON_REF:
                r = refagent.exchange(data, len(want), timeout=5)
                run.check(name + ' (same bytes as qemu-ga)', got == r, first_diff(got, r))
        if run.want('liveness'):
            t = time.monotonic()
            got = agent.exchange(AFTER, len(AFTER_R))
            run.check('answers within a second after all of the above',
                      got == AFTER_R and time.monotonic() - t < 1.0 * SLOW)
        if run.want('memory') and SLOW == 1:
            # the 64 MiB values above are gone: only the tokenizer's small
            # buffer and the process's own pages remain
            run.check('memory released after 64 MiB messages', agent.rss_kb() < 8192,
                      '%d kB' % agent.rss_kb())
    finally:
        run.check('exits 0 on SIGTERM', agent.stop() == 0)
        if refagent:
            refagent.stop()


def connection_cases(run, binary):
    a = Agent(binary)
    try:
        if run.want('socket'):
            mode = stat.S_IMODE(os.stat(a.sock).st_mode)
            run.check('socket is 0600', mode == 0o600, oct(mode))

        if run.want('reconnect'):
            # qemu-ga carries a half-sent request over to the next client
            # ({"return": {}, "id": "carried"}); tinyqga starts each client
            # clean, so the leftover is plain garbage to the new one
            s = a.connect()
            s.sendall(b'{"execute":"guest-ping",')
            time.sleep(0.1)
            s.close()
            got = a.exchange(b'"id":"carried"}' + AFTER, 4 * len(NOTOBJ))
            want = NOTOBJ + EXPV + NOTOBJ + EXPV + AFTER_R
            run.check('new client starts with a clean parser', got == want, first_diff(got, want))

        if run.want('one client'):
            s1 = a.connect()
            s1.sendall(AFTER)
            first = s1.recv(100)
            s2 = a.connect()
            s2.sendall(AFTER)
            r, _, _ = select.select([s2], [], [], 0.3)
            waited = not r
            s1.close()
            s2.settimeout(2)
            second = s2.recv(100)
            s2.close()
            run.check('one client at a time, the next served after',
                      first == AFTER_R and waited and second == AFTER_R)

        if run.want('reset'):
            # qemu-ga 7.2 exits on the ECONNRESET this causes
            s = a.connect()
            s.sendall(b'{"execute":"guest-ping"}')
            time.sleep(0.2)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b'\1\0\0\0\0\0\0\0')
            s.close()
            time.sleep(0.1)
            run.check('survives a client closing with a reply unread',
                      a.proc.poll() is None and a.exchange(AFTER, len(AFTER_R)) == AFTER_R)

        if run.want('churn'):
            for _ in range(200):
                a.connect().close()
            run.check('connect/close churn', a.exchange(AFTER, len(AFTER_R)) == AFTER_R)

        if run.want('churn'):
            # a host that connects and disconnects as fast as it can
            end = time.monotonic() + 2
            n = 0
            while time.monotonic() < end:
                s = a.connect()
                if n % 3 == 0:
                    s.sendall(b'{"execute":"guest-info"}')    # and leaves
                s.close()
                n += 1
            t = time.monotonic()
            ok = a.exchange(AFTER, len(AFTER_R)) == AFTER_R
            run.check('tight connect/disconnect loop (%d), then answers within 1 s' % n,
                      ok and time.monotonic() - t < 1.0 * SLOW and
                      (SLOW > 1 or a.rss_kb() < 8192))

        if run.want('random chunks'):
            # every reply case back to back, cut at random places
            import random
            rnd = random.Random(1234)
            small = [(d, w) for n, d, w in CASES if len(d) < 4096 and b'\xff' not in d
                     and d.rstrip().endswith(b'}') and w.endswith(b'\n')]
            data = b''.join(d for d, _ in small) + AFTER
            want = b''.join(w for _, w in small) + AFTER_R
            s = a.connect()
            out = bytearray()
            i = 0
            while i < len(data):
                k = rnd.randint(1, 300)
                s.sendall(data[i:i + k])
                i += k
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    out += s.recv(1 << 20)
            s.settimeout(2 * SLOW)
            try:
                while len(out) < len(want):
                    d = s.recv(1 << 20)
                    if not d:
                        break
                    out += d
            except OSError:
                pass
            s.close()
            run.check('%d requests cut in random chunks: the same replies' % len(small),
                      bytes(out) == want, first_diff(bytes(out), want))

        if run.want('differential'):
            # random JSON from Python's encoder, echoed back as the id: the
            # echo must decode, with Python's json, to the value sent
            import json
            import random
            rnd = random.Random(99)
            chars = 'aZ09 "\\/\b\f\n\r\t\x01\x1f\x7f\u00e9\u20ac\U0001F600\'{}[],:'

            def value(depth):
                k = rnd.randrange(8 if depth < 6 else 5)
                if k == 0:
                    return rnd.randrange(-2**63, 2**63)
                if k == 1:
                    return rnd.choice([0.0, -2.5, 1e300, 5e-324, rnd.uniform(-1e6, 1e6)])
                if k == 2:
                    return ''.join(rnd.choice(chars) for _ in range(rnd.randrange(12)))
                if k == 3:
                    return rnd.choice([True, False, None])
                if k == 4:
                    return rnd.randrange(2**63, 2**64)      # uint64 range
                if k in (5, 6):
                    return {''.join(rnd.choice(chars) for _ in range(rnd.randrange(1, 6))):
                            value(depth + 1) for _ in range(rnd.randrange(4))}
                return [value(depth + 1) for _ in range(rnd.randrange(4))]
            bad = []
            s = a.connect()
            s.settimeout(5 * SLOW)
            buf = b''
            for i in range(500):
                v = value(0)
                text = json.dumps(v, ensure_ascii=rnd.random() < 0.5)
                s.sendall(b'{"execute":"guest-ping","id":' + text.encode() + b'}')
                while b'\n' not in buf:
                    buf += s.recv(1 << 16)
                line, buf = buf.split(b'\n', 1)
                got = json.loads(line).get('id', 'no id')
                if got != v:
                    bad.append((text, line))
            s.close()
            run.check('500 random values echoed as Python\'s json reads them', not bad, bad[:2])

        if run.want('never reads'):
            # a host that writes and never reads: the replies fill the
            # socket, the agent waits OUT_STALL_MS (10 s) for progress, then
            # drops that client; memory stays bounded meanwhile
            s = a.connect()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            req = b'{"execute":"guest-info"}' * 2000
            sent = 0
            end = time.monotonic() + 3
            while sent < len(req) and time.monotonic() < end:
                try:
                    sent += s.send(req[sent:])
                except BlockingIOError:
                    time.sleep(0.01)
            time.sleep(1)
            rss_stalled = a.rss_kb()
            t = time.monotonic()
            got = a.exchange(AFTER, len(AFTER_R), timeout=15)
            waited = time.monotonic() - t
            s.close()
            run.check('host that never reads: dropped after the stall, next host served',
                      got == AFTER_R and waited < 14 * SLOW, '%r after %.1f s' % (got, waited))
            run.check('memory bounded while the host does not read',
                      SLOW > 1 or rss_stalled < 8192, '%d kB' % rss_stalled)

        if run.want('half-close'):
            s = a.connect()
            s.sendall(AFTER)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(2)
            run.check('half-closed client gets its reply', s.recv(100) == AFTER_R)
            s.close()

        if run.want('fds'):
            def fds():
                a.exchange(AFTER, len(AFTER_R))
                time.sleep(0.2)     # let the agent see the close
                return len(os.listdir('/proc/%d/fd' % a.proc.pid))
            before = fds()
            for _ in range(50):
                a.exchange(AFTER, len(AFTER_R))
            after = fds()
            run.check('no fd leak across connections', before == after, '%d -> %d' % (before, after))
    finally:
        run.check('still exits 0 on SIGTERM', a.stop() == 0)


def serial_cases(run, binary):
    """isa-serial on a pty: raw line, requests in, replies out."""
    import pty
    import termios
    m, s = pty.openpty()
    p = subprocess.Popen([binary, '-m', 'isa-serial', '-p', os.ttyname(s)],
                         stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 3 * SLOW     # until the agent has set it up
        while True:
            time.sleep(0.05)
            lflag = termios.tcgetattr(s)[3]
            if not (lflag & (termios.ECHO | termios.ICANON)) or time.monotonic() > end:
                break
        time.sleep(0.1)     # and flushed what was pending before it
        run.check('isa-serial line made raw (no echo, no canonical mode)',
                  not (lflag & (termios.ECHO | termios.ICANON)), oct(lflag))
        os.write(m, b'{"execute":"guest-ping","id":"tty"}\r\n' + AFTER)
        out = b''
        end = time.monotonic() + 2 * SLOW
        while len(out) < 58 and time.monotonic() < end:
            r, _, _ = select.select([m], [], [], 0.5)
            if r:
                out += os.read(m, 4096)
        run.check('isa-serial answers', out == b'{"return": {}, "id": "tty"}\n' + AFTER_R, out)
    finally:
        p.terminate()
        p.wait()
        os.close(m)
        os.close(s)


EIO_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>
/* the first read() on a tty fails with EIO, as a serial line's may */
ssize_t read(int fd, void *buf, size_t n)
{
	static ssize_t (*real)(int, void *, size_t);
	static int done;
	if (!real)
		real = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (!done && isatty(fd)) {
		done = 1;
		errno = EIO;
		return -1;
	}
	return real(fd, buf, n);
}
"""


def serial_eio_cases(run, binary):
    """isa-serial -r: a read error fails the line, which is opened again."""
    import pty
    import shutil
    head = open(binary, 'rb').read(1 << 20)
    if b'ld-linux' not in head or b'libasan' in head or b'valgrind' in head or \
            os.environ.get('ASAN_OPTIONS') or not shutil.which('gcc'):
        run.skip('isa-serial EIO', 'needs a plain dynamic build and gcc for the LD_PRELOAD shim')
        return
    d = tempfile.mkdtemp()
    with open(d + '/eio.c', 'w') as f:
        f.write(EIO_SHIM)
    if subprocess.run(['gcc', '-shared', '-fPIC', '-o', d + '/eio.so', d + '/eio.c', '-ldl'],
                      capture_output=True).returncode:
        run.skip('isa-serial EIO', 'shim does not build')
        return
    m, s = pty.openpty()
    p = subprocess.Popen([binary, '-r', '-m', 'isa-serial', '-p', os.ttyname(s), '-l', d + '/log'],
                         stdin=subprocess.DEVNULL, env=dict(os.environ, LD_PRELOAD=d + '/eio.so'))
    try:
        time.sleep(0.3 * SLOW)
        out = b''
        end = time.monotonic() + 8 * SLOW
        while b'"id": "eio"' not in out and time.monotonic() < end:
            os.write(m, b'{"execute":"guest-ping","id":"eio"}\n')
            r, _, _ = select.select([m], [], [], 1)
            if r:
                out += os.read(m, 4096)
        log = open(d + '/log').read()
        run.check('isa-serial -r: reopened after a read error, answers again',
                  b'{"return": {}, "id": "eio"}' in out and p.poll() is None, (out, log))
        run.check('isa-serial -r: a failed line is logged once, not every second',
                  log.count('restarting') <= 2, log)
    finally:
        p.terminate()
        p.wait()
        os.close(m)
        os.close(s)


def cli_cases(run, binary):
    def cmd(*args):
        p = subprocess.run([binary] + list(args), capture_output=True, timeout=10 * SLOW)
        return p.returncode, p.stdout, p.stderr

    rc, out, _ = cmd('-V')
    run.check('-V', rc == 0 and out.startswith(b'QEMU Guest Agent '), out)
    rc, out, _ = cmd('-b', 'help')
    names = out.decode().split()
    run.check('-b help lists the commands', rc == 0 and names[:3] ==
              ['guest-sync-delimited', 'guest-sync', 'guest-ping'] and 'guest-info' in names, out)
    rc2, out2, _ = cmd('--allow-rpcs=?')
    run.check('-a ? lists the same', rc2 == 0 and out2 == out)
    rc, _, err = cmd('--no-such-option')
    run.check('unknown option exits 1', rc == 1 and b'--help' in err, err)
    rc, _, err = cmd('-m', 'unix-listen')
    run.check('unix-listen needs a path', rc == 1 and b'must specify a path for this channel' in err, err)
    rc, _, err = cmd('-m', 'bogus', '-p', '/tmp/x')
    run.check('bad method exits 1', rc == 1, err)
    rc, _, err = cmd('-m', 'unix-listen', '-p', '/nonexistent/dir/sock')
    run.check('unusable socket path exits 1', rc == 1, err)

    # guest-info lists exactly what -b help lists, newest first
    a = Agent(binary)
    try:
        import json
        info = json.loads(a.exchange(b'{"execute":"guest-info"}', timeout=1))['return']
        sc = info['supported_commands']
        run.check('guest-info lists the built commands, reversed',
                  [c['name'] for c in sc] == names[::-1] and
                  all(c['enabled'] and c['success-response'] == (c['name'] != 'guest-shutdown' and
                      not c['name'].startswith('guest-suspend')) for c in sc), sc)
        raw = a.exchange(b'{"execute":"guest-info"}', timeout=1)
        run.check('guest-info key order as qemu-ga',
                  raw.startswith(b'{"return": {"version": "') and
                  b'"supported_commands": [{"enabled": true, "name": "' in raw, raw[:120])
    finally:
        a.stop()

    # policy: disabled commands are CommandNotFound, before argument checks
    a = Agent(binary, ['-b', 'guest-ping,no-such-command', '--block-rpcs', 'guest-sync'])
    try:
        got = a.exchange(b'{"execute":"guest-ping","id":1}{"execute":"guest-sync","arguments":{"bad":1}}'
                         b'{"execute":"guest-sync-delimited","arguments":{"id":3}}', timeout=1)
        # newer QEMU's text; 7.2 said only "Command guest-ping has been disabled"
        want = (CNF('Command guest-ping has been disabled: the command is not allowed', b'1')
                + CNF('Command guest-sync has been disabled: the command is not allowed')
                + b'\xff{"return": 3}\n')
        run.check('-b disables, lists combine, unknown names ignored', got == want, first_diff(got, want))
        got = a.exchange(b'{"execute":"guest-info"}', timeout=1)
        run.check('guest-info shows enabled: false',
                  b'{"enabled": false, "name": "guest-ping", "success-response": true}' in got and
                  b'{"enabled": true, "name": "guest-info", "success-response": true}' in got, got[:200])
    finally:
        a.stop()
    a = Agent(binary, ['-a', 'guest-ping,guest-info', '-b', 'guest-info'])
    try:
        got = a.exchange(b'{"execute":"guest-ping"}{"execute":"guest-sync","arguments":{"id":1}}'
                         b'{"execute":"guest-info"}', timeout=1)
        want = (OK + CNF('Command guest-sync has been disabled: the command is not allowed')
                + CNF('Command guest-info has been disabled: the command is not allowed'))
        run.check('-a allows only what it lists, -b beats -a', got == want, first_diff(got, want))
    finally:
        a.stop()


def large_file_cases(run, binary):
    """Offsets past 4 GiB: on 32-bit builds (i686, armhf under qemu-user in
    tests/cross) an off_t of 32 bits would land a seek to 2^32 + 5 at 5."""
    a = Agent(binary)
    path = os.path.join(a.dir, 'sparse')
    far = (1 << 32) + 5
    try:
        def ask(cmd, **args):
            req = {'execute': cmd, 'arguments': args} if args else {'execute': cmd}
            return json.loads(a.exchange(json.dumps(req).encode()).decode() or 'null')
        h = ask('guest-file-open', path=path, mode='w+')['return']
        seek = ask('guest-file-seek', handle=h, offset=far, whence='set')
        ask('guest-file-write', handle=h, **{'buf-b64': 'eA=='})
        back = ask('guest-file-seek', handle=h, offset=-1, whence='cur')
        read = ask('guest-file-read', handle=h, count=1)
        ask('guest-file-close', handle=h)
        size = os.path.getsize(path)
        run.check('seek past 4 GiB: lands there, writes there, reads back',
                  seek == {'return': {'position': far, 'eof': False}} and size == far + 1 and
                  back.get('return', {}).get('position') == far and
                  read.get('return', {}).get('buf-b64') == 'eA==', (seek, size, back, read))
    finally:
        a.stop()


def main():
    args = sys.argv[1:]
    binary = lib.binary(args)
    if args and not args[0].startswith('-'):
        args.pop(0)
    ref = '/usr/sbin/qemu-ga' if os.access('/usr/sbin/qemu-ga', os.X_OK) else None
    only = []
    while args:
        a = args.pop(0)
        if a == '--ref':
            ref = args.pop(0)
        elif a == '--no-ref':
            ref = None
        elif a == '-k':
            only.append(args.pop(0))
    run = Run(only)
    print('# protocol tests of %s%s' % (binary, ', compared live with ' + ref if ref else ''))
    reply_cases(run, binary, ref)
    connection_cases(run, binary)
    if not only:
        serial_cases(run, binary)
        serial_eio_cases(run, binary)
        cli_cases(run, binary)
        large_file_cases(run, binary)
    return run.done()


if __name__ == '__main__':
    sys.exit(main())
