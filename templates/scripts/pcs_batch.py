#!/usr/bin/python3 -Es
"""Run many pcs commands in one Python process.

pcs spends about a second (20+ s in a slow VM) importing itself, so gfsdeploy runs a whole
CIB stage through one interpreter. Input on stdin: a JSON list of argv lists (without the
leading "pcs"). Output on stdout: one JSON object per command {"line", "rc", "seconds"};
stops at the first failure. Exit code: that failure's, else 0.

It runs in the interpreter pcs itself runs on: Python 2.7 (EL7, pcs 0.9), 3.6 (EL8, pcs
0.10) or 3.9+ (EL9, Debian 12, Ubuntu 24.04, pcs 0.11), so it keeps to what all of them have.
"""
import json
import sys
import time

if sys.version_info[0] < 3:
    # Python 2's pcs prints byte strings, which io.StringIO refuses.
    from StringIO import StringIO
else:
    from io import StringIO

try:
    # pcs 0.11 moved its entry point (pcs.entry_points.cli); the metadata names it.
    import importlib.metadata as metadata
    pcs_main = next(e for e in metadata.distribution("pcs").entry_points if e.name == "pcs").load()
except ImportError:
    # Python < 3.8 has no importlib.metadata; pcs 0.9.155+ and 0.10 start at pcs.app.main.
    from pcs.app import main as pcs_main

clock = getattr(time, "monotonic", time.time)
prefix = sys.argv[1:]
failed = 0
for number, argv in enumerate(json.load(sys.stdin), 1):
    if sys.version_info[0] < 3:
        # json gives unicode on Python 2; pcs 0.9 compares its arguments with byte strings.
        argv = [a.encode("utf-8") for a in argv]
    sys.argv = ["pcs"] + prefix + argv
    started = clock()
    captured = StringIO()
    real_stdout, sys.stdout = sys.stdout, captured
    try:
        pcs_main()
        rc = 0
    except SystemExit as done:
        rc = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        sys.stdout = real_stdout
    sys.stdout.write(json.dumps({"line": number, "rc": rc, "seconds": round(clock() - started, 3), "stdout": captured.getvalue()[-2000:]}) + "\n")
    sys.stdout.flush()
    if rc:
        failed = rc
        break
sys.exit(failed)
