#!/usr/bin/python3
"""gfsdeploy bench, the node side: facts for the health gate and the measurements that
need a loop on the node itself (one SSH round trip per measurement, not per operation).

  bench_node.py facts MOUNTPOINT DEVICE RESOURCE...   JSON: cluster, DRBD, DLM, mount, versions
  bench_node.py coherence lead|echo DIR ROUNDS SECONDS
  bench_node.py meta DIR PREFIX COUNT

It runs in the interpreter pcs runs on, Python 2.7 (EL7) to 3.12, so it keeps to what all of
them have.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

try:
    from shutil import which
except ImportError:  # Python 2
    from distutils.spawn import find_executable as which

clock = getattr(time, "monotonic", time.time)


def out(argv):
    try:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as e:
        return {"code": 127, "text": str(e)}
    # A hung tool (crm_mon on a node losing quorum) must not hang the bench.
    timer = threading.Timer(120, process.kill)
    timer.start()
    try:
        text = process.communicate()[0]
    finally:
        timer.cancel()
    return {"code": process.returncode, "text": text.decode("utf-8", "replace").strip()}


def first_line(argv):
    r = out(argv)
    return r["text"].splitlines()[0] if r["code"] == 0 and r["text"] else "unknown"


def drbd_version():
    try:
        with open("/proc/drbd") as f:
            return f.readline().strip()
    except (IOError, OSError):
        return first_line(["drbdadm", "--version"])


def facts(mountpoint, device, resources):
    drbd = {}
    for r in resources:
        # A resource that is down makes drbdadm print a kernel error instead of a state: empty.
        drbd[r] = {}
        for k in ("role", "dstate", "cstate"):
            state = out(["drbdadm", k, r])
            drbd[r][k] = state["text"] if state["code"] == 0 else ""
    journals = out(["gfs2_edit", "-p", "journals", device])
    return {
        "crm_mon": out(["crm_mon", "-1", "--output-as=xml"]),
        "drbd": drbd,
        "dlm": out(["dlm_tool", "ls"]),
        "mount": out(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-M", mountpoint]),
        "tunegfs2": out(["tunegfs2", "-l", device]),
        "tools": {t: which(t) is not None for t in ("fio", "iperf3", "ping_pong", "ping")},
        "journals": sum(1 for line in journals["text"].splitlines() if re.match(r"journal[0-9]", line)) if journals["code"] == 0 else -1,
        "versions": {
            "kernel": os.uname()[2],
            "drbd": drbd_version(),
            "gfs2Utils": first_line(["mkfs.gfs2", "-V"]),
            "pacemaker": first_line(["pacemakerd", "--version"]),
            "corosync": first_line(["corosync", "-v"]),
        },
    }


def read_round(path):
    """The round number last written to PATH, or 0. A read on GFS2 takes the inode's glock
    shared, which makes the writer's node flush and give it up: that is what is measured."""
    try:
        with open(path, "rb") as f:
            data = f.read(32)
        return int(data.split(b"\n")[0] or b"0")
    except (IOError, OSError, ValueError):
        return 0


def write_round(path, n):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(fd, ("%d\n" % n).encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def coherence(role, directory, rounds, seconds):
    """lead writes round k to `ping` and waits to see k in `pong`; echo answers each ping.
    Only the lead's clock is used, so the two nodes' clocks never need to agree."""
    ping = os.path.join(directory, "ping")
    pong = os.path.join(directory, "pong")
    deadline = clock() + seconds
    samples = []
    if role == "lead":
        for k in range(1, rounds + 1):
            t0 = clock()
            write_round(ping, k)
            while read_round(pong) < k:
                if clock() > deadline:
                    print(json.dumps({"role": role, "samples": samples}))
                    return
                time.sleep(0.0005)
            samples.append(int((clock() - t0) * 1e6))
    else:
        answered = 0
        while answered < rounds and clock() < deadline:
            k = read_round(ping)
            if k > answered:
                write_round(pong, k)
                answered = k
            else:
                time.sleep(0.0005)
        samples = [answered]
    print(json.dumps({"role": role, "samples": samples}))


def meta(directory, prefix, count):
    """create, stat and unlink COUNT empty files; the rate of all three kinds together."""
    names = [os.path.join(directory, "%s-%06d" % (prefix, i)) for i in range(count)]
    t0 = clock()
    for n in names:
        os.close(os.open(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    for n in names:
        os.stat(n)
    for n in names:
        os.unlink(n)
    elapsed = clock() - t0
    print(json.dumps({"ops": 3 * count, "seconds": elapsed}))


def main(argv):
    if len(argv) >= 3 and argv[0] == "facts":
        print(json.dumps(facts(argv[1], argv[2], argv[3:])))
    elif len(argv) == 5 and argv[0] == "coherence" and argv[1] in ("lead", "echo"):
        coherence(argv[1], argv[2], int(argv[3]), float(argv[4]))
    elif len(argv) == 4 and argv[0] == "meta":
        meta(argv[1], argv[2], int(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
