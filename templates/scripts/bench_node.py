#!/usr/bin/python3
"""gfsdeploy bench, the node side: the measurements that need a loop on the node itself (one
SSH round trip per measurement, not per operation). The health gate reads the nodes like
every other command, through gfsdeploy's read batch.

  bench_node.py coherence lead|echo DIR ROUNDS SECONDS
  bench_node.py meta DIR PREFIX COUNT

It runs in the interpreter pcs runs on, Python 2.7 (EL7) to 3.13, so it keeps to what all of
them have.
"""
import json
import os
import sys
import time

clock = getattr(time, "monotonic", time.time)


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
    if len(argv) == 5 and argv[0] == "coherence" and argv[1] in ("lead", "echo"):
        coherence(argv[1], argv[2], int(argv[3]), float(argv[4]))
    elif len(argv) == 4 and argv[0] == "meta":
        meta(argv[1], argv[2], int(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
