"""Answer a batch of read-only commands in one process: gfsdeploy's node reads.

Input, on stdin: one line of JSON {"commands": [...], "stdin": INDEX or null}, then the
bytes to feed to command INDEX (a secret to compare, never on a command line). Each command
is {"argv": [...]} or {"path": FILE} (a file's content; exit 3 when it is missing).
Output: a JSON list with {"code", "stdout", "stderr", "ms"} per command, in order; "ms" is how
long the command took here, which `-v` shows for the slowest reads.

Under QEMU TCG every process start costs a few hundred milliseconds, and a node's state is
about eighty small reads. The common ones are answered here, in this process, exactly as
the command would print them (stat, test, sha256sum, uname, blockdev, findmnt, dpkg-query,
a file); the systemctl ones are all answered from one `systemctl show`; the rest run as they are, side by
side in threads. gfsdeploy's tests compare every in-process answer with the real command's.

It runs in the interpreter the node has, Python 2.7 (EL7) to 3.13, so it keeps to what all
of them have.
"""
from __future__ import print_function

import grp
import hashlib
import io
import json
import os
import pwd
import re
import stat
import subprocess
import sys
import threading
import time

# A few at a time: two dozen tools started at once on a 2-vCPU guest under TCG starved the
# cluster's own monitors (a DRBD monitor timed out in the e2e bring-up).
RUNNING = threading.BoundedSemaphore(3)
READ_SCRIPT = '[ -e "$1" ] || exit 3; exec cat -- "$1"'
ENABLED = ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated", "transient")


def text(data):
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def result(code, stdout="", stderr=""):
    return {"code": code, "stdout": text(stdout), "stderr": text(stderr)}


def timed(answer, *args):
    """answer(*args), with how long it took in ms; None stays None (not answered here)."""
    started = time.time()
    r = answer(*args)
    if r is not None:
        r["ms"] = int(round((time.time() - started) * 1000))
    return r


def run(argv, data=None):
    try:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        return result(127, "", "%s: %s\n" % (argv[0], e.strerror))
    out, err = process.communicate(data if data is not None else b"")
    return result(process.returncode if process.returncode >= 0 else 128 - process.returncode, out, err)


def read_file(path):
    if not os.path.exists(path):
        return result(3)
    try:
        with open(path, "rb") as f:
            return result(0, f.read())
    except (IOError, OSError) as e:
        return result(1, "", "cat: %s: %s\n" % (path, e.strerror))


def name_of(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return "UNKNOWN"


def stat_line(path):
    try:
        st = os.stat(path)
    except OSError as e:
        return result(1, "", "stat: cannot statx '%s': %s\n" % (path, e.strerror))
    return result(0, "%o %s %s\n" % (stat.S_IMODE(st.st_mode), name_of(pwd.getpwuid, st.st_uid), name_of(grp.getgrgid, st.st_gid)))


def test(flag, path):
    try:
        st = os.stat(path)
    except OSError:
        return result(1)
    ok = {"-e": True, "-b": stat.S_ISBLK(st.st_mode), "-s": st.st_size > 0}[flag]
    return result(0 if ok else 1)


def sha256(path):
    try:
        with open(path, "rb") as f:
            return result(0, "%s  %s\n" % (hashlib.sha256(f.read()).hexdigest(), path))
    except (IOError, OSError) as e:
        return result(1, "", "sha256sum: %s: %s\n" % (path, e.strerror))


def device_size(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        return result(1, "", "blockdev: cannot open %s: %s\n" % (path, e.strerror))
    try:
        return result(0, "%d\n" % os.lseek(fd, 0, os.SEEK_END))
    finally:
        os.close(fd)


def unescape(field):
    # mountinfo writes space, tab, newline and backslash in paths as \ooo octal.
    out, i = "", 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out += chr(int(field[i + 1:i + 4], 8))
            i += 4
        else:
            out += field[i]
            i += 1
    return out


def fstype_at(mountpoint):
    found = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            dash = fields.index("-")
            if unescape(fields[4]) == mountpoint:
                found = fields[dash + 1]
    return result(0, found + "\n") if found is not None else result(1)


def unit_states(units):
    """systemctl is-enabled/is-active for every unit from one `systemctl show` (which answers
    in the order asked), or None when it cannot answer them all: then each command runs."""
    if not units:
        return {}
    shown = run(["systemctl", "show", "--property=Id,LoadState,UnitFileState,ActiveState", "--"] + units)
    blocks = shown["stdout"].strip("\n").split("\n\n")
    if shown["code"] != 0 or len(blocks) != len(units):
        return None
    states = {}
    for unit, block in zip(units, blocks):
        props = dict(line.split("=", 1) for line in block.split("\n") if "=" in line)
        # systemctl names a unit given without a type as its .service.
        if props.get("Id") != (unit if "." in unit else unit + ".service"):
            return None
        file_state = props.get("UnitFileState", "")
        if props.get("LoadState") == "not-found" and file_state == "":
            enabled = result(1, "", "Failed to get unit file state for %s: No such file or directory\n" % unit)
        else:
            enabled = result(0 if file_state in ENABLED else 1, file_state + "\n")
        active = props.get("ActiveState", "")
        states[unit] = {"is-enabled": enabled, "is-active": result(0 if active == "active" else 3, active + "\n")}
    return states


DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_UPDATES = "/var/lib/dpkg/updates"
WANT = {"unknown": "u", "install": "i", "hold": "h", "deinstall": "r", "purge": "p"}
STATE = {"not-installed": "n", "config-files": "c", "half-installed": "H", "unpacked": "U",
         "half-configured": "F", "triggers-awaited": "W", "triggers-pending": "t", "installed": "i"}
PLAIN_NAME = re.compile(r"^[a-z0-9][a-z0-9.+-]*$")
FIELD = re.compile(r"\$\{([^}]*)\}|\\(.)|([^$\\]+|.)", re.S)


STANZAS = {}


def dpkg_stanzas():
    """Every package's status stanza by name (a list: a package of several architectures has
    more than one), read once a batch; None when dpkg-query itself must answer, because the
    database has journal entries not yet folded in (dpkg-query reads those too)."""
    if "all" not in STANZAS:
        STANZAS["all"] = None
        try:
            if os.listdir(DPKG_UPDATES):
                return None
            with io.open(DPKG_STATUS, encoding="utf-8", errors="replace") as f:
                stanzas = f.read().split("\n\n")
        except (IOError, OSError):
            return None
        index = {}
        for stanza in stanzas:
            # dpkg writes Package first; the other fields are parsed only for what is asked.
            first = stanza.lstrip("\n").split("\n", 1)[0]
            if first.startswith("Package:"):
                index.setdefault(first[8:].strip(), []).append(stanza)
        STANZAS["all"] = index
    return STANZAS["all"]


def dpkg_packages(names):
    """The status fields of `names` (name -> fields), or None when dpkg-query itself must
    answer: a name that is a pattern, unknown, not installed or there more than once."""
    index = dpkg_stanzas()
    if index is None or not all(PLAIN_NAME.match(n) for n in names):
        return None
    found = {}
    for name in names:
        stanzas = index.get(name, [])
        if len(stanzas) != 1:
            return None
        fields = {}
        for line in stanzas[0].split("\n"):
            if line[:1] not in ("", " ", "\t") and ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        status = fields.get("Status", "").split()
        if len(status) != 3 or status[0] not in WANT or status[2] not in STATE or status[2] == "not-installed":
            return None
        found[name] = fields
    return found


def dpkg_format(fmt, fields):
    """fmt (dpkg-query's -f) filled in from one package's fields; None for what is not handled here."""
    out = ""
    for name, escaped, literal in FIELD.findall(fmt):
        if literal:
            out += literal
        elif escaped:
            if escaped not in ("n", "t", "\\"):
                return None
            out += {"n": "\n", "t": "\t", "\\": "\\"}[escaped]
        elif name == "db:Status-Abbrev":
            want, flag, state = fields["Status"].split()
            out += WANT[want] + STATE[state] + (" " if flag == "ok" else "R")
        elif name in ("Package", "Version"):
            out += fields.get(name, "")
        else:
            return None
    return out


def dpkg_query(fmt, names):
    """`dpkg-query -W -f=FMT NAMES...` for installed packages, in dpkg-query's order (by name)."""
    found = dpkg_packages(names)
    if found is None or not names:
        return None
    lines = [dpkg_format(fmt, found[name]) for name in sorted(set(names))]
    if None in lines:
        return None
    return result(0, "".join(lines))


# cib.ts asks for pcs's version on any distribution this way: where dpkg-query answers, the
# shell never reaches rpm.
DPKG_OR_RPM = re.compile(r"^dpkg-query -W -f='([^']*)' ([a-z0-9][a-z0-9.+-]*) 2>/dev/null \|\| rpm -q \S+$")


SCRIPT_DIR = "/var/lib/gfsdeploy/scripts/"


class Stdin(object):
    """Standard input for Python run in this process: bytes, read as Python 2 and 3 scripts read them."""

    def __init__(self, data):
        self.buffer = io.BytesIO(data)

    def read(self, *size):
        return self.buffer.read(*size)


def text_buffer():
    """What print writes to: Python 2's print takes str and unicode, which only its StringIO holds both of."""
    if sys.version_info[0] >= 3:
        return io.StringIO()
    from StringIO import StringIO
    return StringIO()


def python_here(argv, data):
    """Python that this interpreter can run itself (`-c CODE`, or a gfsdeploy script), run
    here: a Python start costs more than the script. None when it must run as a process."""
    if len(argv) < 2 or os.path.realpath(argv[0]) != os.path.realpath(sys.executable):
        return None
    if argv[1] == "-c" and len(argv) >= 3:
        name, code, args = "-c", argv[2], argv[3:]
    elif argv[1].startswith(SCRIPT_DIR):
        try:
            with open(argv[1]) as f:
                name, code, args = argv[1], f.read(), argv[2:]
        except (IOError, OSError) as e:
            return result(2, "", "%s: can't open file '%s': [Errno %d] %s\n" % (argv[0], argv[1], e.errno, e.strerror))
    else:
        return None
    out, err = text_buffer(), text_buffer()
    saved = sys.argv, sys.stdin, sys.stdout, sys.stderr
    sys.argv, sys.stdin, sys.stdout, sys.stderr = [name] + args, Stdin(data or b""), out, err
    code_ = 0
    try:
        exec(compile(code, name, "exec", 0, True), {"__name__": "__main__", "__file__": name})
    except SystemExit as e:
        if e.code is None:
            code_ = 0
        elif isinstance(e.code, int):
            code_ = e.code
        else:
            err.write(str(e.code) + "\n")
            code_ = 1
    except Exception as e:
        err.write("%s: %s\n" % (type(e).__name__, e))
        code_ = 1
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved
    return result(code_, out.getvalue(), err.getvalue())


def in_process(argv):
    """The answer to argv computed here, or None when it must run."""
    if len(argv) == 5 and argv[:3] == ["sh", "-c", READ_SCRIPT] and argv[3] == "gfsdeploy-read":
        return read_file(argv[4])
    if len(argv) == 3 and argv[0] == "test" and argv[1] in ("-e", "-b", "-s"):
        return test(argv[1], argv[2])
    if len(argv) == 4 and argv[:3] == ["stat", "-c", "%a %U %G"]:
        return stat_line(argv[3])
    if len(argv) == 2 and argv[0] == "sha256sum":
        return sha256(argv[1])
    if argv == ["uname", "-n"]:
        return result(0, os.uname()[1] + "\n")
    if len(argv) == 3 and argv[:2] == ["blockdev", "--getsize64"]:
        return device_size(argv[2])
    if len(argv) == 6 and argv[:5] == ["findmnt", "-n", "-o", "FSTYPE", "--mountpoint"]:
        return fstype_at(argv[5])
    if len(argv) >= 4 and argv[:2] == ["dpkg-query", "-W"] and argv[2].startswith("-f="):
        return dpkg_query(argv[2][3:], argv[3:])
    if len(argv) == 3 and argv[:2] == ["sh", "-c"] and DPKG_OR_RPM.match(argv[2]):
        fmt, name = DPKG_OR_RPM.match(argv[2]).groups()
        return dpkg_query(fmt, [name])
    return None


def main():
    stdin = getattr(sys.stdin, "buffer", sys.stdin)
    request = json.loads(text(stdin.readline()))
    secret = stdin.read()
    commands = request["commands"]
    results = [None] * len(commands)
    units = []
    for c in commands:
        if "argv" in c and len(c["argv"]) == 3 and c["argv"][:2] in (["systemctl", "is-enabled"], ["systemctl", "is-active"]) and c["argv"][2] not in units:
            units.append(c["argv"][2])
    started = time.time()
    states = unit_states(units)
    show_ms = int(round((time.time() - started) * 1000))
    threads = []
    pythons = []
    for i, c in enumerate(commands):
        if "path" in c:
            results[i] = timed(read_file, c["path"])
            continue
        argv = c["argv"]
        if states is not None and len(argv) == 3 and argv[0] == "systemctl" and argv[2] in states and argv[1] in states[argv[2]]:
            # The first answer carries the cost of the one `systemctl show` behind them all.
            results[i] = dict(states[argv[2]][argv[1]], ms=show_ms)
            show_ms = 0
            continue
        here = timed(in_process, argv)
        if here is not None:
            results[i] = here
            continue
        if len(argv) >= 2 and os.path.realpath(argv[0]) == os.path.realpath(sys.executable):
            pythons.append(i)
            continue

        def work(i=i, argv=argv):
            with RUNNING:
                results[i] = timed(run, argv, secret if request.get("stdin") == i else None)

        thread = threading.Thread(target=work)
        thread.start()
        threads.append(thread)
    # One at a time, in this thread, while the processes run: they share sys.argv and stdout.
    for i in pythons:
        argv = commands[i]["argv"]
        data = secret if request.get("stdin") == i else None
        results[i] = timed(python_here, argv, data) or timed(run, argv, data)
    for thread in threads:
        thread.join()
    print(json.dumps(results))


main()
