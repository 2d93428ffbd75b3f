#!/usr/bin/env python3
"""The command lists people read match the binary.

    tests/docs.py ./tinyqga

README's command table and tinyqga.8's COMMANDS section name every command
`BINARY -b help` lists (a full build), none it does not, and README puts
each in the group (cmds/GROUP.c) that declares it.  Both use short forms
("guest-file-open, -close", "guest-ssh-get-/add-/remove-authorized-keys"),
expanded here as a reader would.  Ends with "N passed, M failed, K skipped".
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Run  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def expand(text):
    """Command names in a comma-separated cell, short forms expanded."""
    names = []
    base = None
    for part in (p.strip().strip('`.') for p in text.split(',')):
        m = re.fullmatch(r'(guest(?:-[a-z]+)*?-)((?:[a-z]+-/)+[a-z]+-)([a-z-]+)', part)
        if m:   # guest-ssh-get-/add-/remove-authorized-keys
            for verb in m.group(2).split('/'):
                names.append(m.group(1) + verb + m.group(3))
        elif part.startswith('guest-'):
            names.append(part)
            base = part[:part.rindex('-')]
        elif part.startswith('-') and base:
            names.append(base + part)
    return names


def readme_table():
    """{command: group} from README's command table, rows that are built."""
    rows = {}
    text = open(os.path.join(ROOT, 'README.md')).read()
    table = text[text.index('| command | group | status |'):]
    for line in table.splitlines()[2:]:
        if not line.startswith('|'):
            break
        cells = [c.strip() for c in line.strip('|').split('|')]
        if 'not built' in cells[2]:
            continue
        for name in expand(cells[0]):
            rows[name] = cells[1]
    return rows


def man_commands():
    text = open(os.path.join(ROOT, 'tinyqga.8')).read()
    sect = text[text.index('.SH COMMANDS'):]
    sect = sect[:sect.index('\n.', sect.index(':\n'))]
    body = sect[sect.index(':\n') + 2:]
    body = body[:body.index('.\n')]        # the list ends with a full stop
    return expand(body.replace('\n', ' '))


def declared_in(group, name):
    path = os.path.join(ROOT, 'cmds', group + '.c')
    return os.path.exists(path) and re.search(r'^QGA_COMMAND0?\([0-9]+, *\w+, *"%s"' % re.escape(name),
                                              open(path).read(), re.M) is not None


def main():
    r = Run()
    binary = sys.argv[1]
    built = subprocess.run([binary, '-b', 'help'], capture_output=True, text=True, timeout=10)
    built = set(built.stdout.split())
    r.check('-b help lists the commands', len(built) > 30, sorted(built))
    readme = readme_table()
    r.check('README: the command table names what the binary holds', set(readme) == built,
            ('missing', sorted(built - set(readme)), 'not built', sorted(set(readme) - built)))
    wrong = sorted(n for n, g in readme.items() if not declared_in(g, n))
    r.check('README: each command in the group that declares it', not wrong, wrong)
    man = man_commands()
    r.check('tinyqga.8: COMMANDS names what the binary holds', set(man) == built,
            ('missing', sorted(built - set(man)), 'not built', sorted(set(man) - built)))
    r.check('tinyqga.8: no command twice', len(man) == len(set(man)),
            sorted(n for n in man if man.count(n) > 1))
    # the expansion itself, so a lenient parser cannot make the checks pass
    r.check('short forms expand as a reader reads them',
            expand('guest-file-open, -close') == ['guest-file-open', 'guest-file-close'] and
            expand('guest-ssh-get-/add-/remove-authorized-keys') ==
            ['guest-ssh-get-authorized-keys', 'guest-ssh-add-authorized-keys',
             'guest-ssh-remove-authorized-keys'], expand('guest-file-open, -close'))
    sys.exit(r.done())


if __name__ == '__main__':
    main()
