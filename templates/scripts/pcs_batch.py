#!/usr/bin/python3 -Es
"""Run many pcs commands in one Python process.

pcs spends about a second (20+ s in a slow VM) importing itself, so gfsdeploy runs a whole
CIB stage through one interpreter. Input on stdin: a JSON list of argv lists (without the
leading "pcs"). Output on stdout: one JSON object per command {"line", "rc", "seconds"};
stops at the first failure. Exit code: that failure's, else 0.
"""
import contextlib
import importlib.metadata
import io
import json
import sys
import time

entry = next(e for e in importlib.metadata.distribution("pcs").entry_points if e.name == "pcs")
pcs_main = entry.load()
prefix = sys.argv[1:]
failed = 0
for number, argv in enumerate(json.load(sys.stdin), 1):
    sys.argv = ["pcs", *prefix, *argv]
    started = time.monotonic()
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            pcs_main()
        rc = 0
    except SystemExit as done:
        rc = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    print(json.dumps({"line": number, "rc": rc, "seconds": round(time.monotonic() - started, 3), "stdout": captured.getvalue()[-2000:]}), flush=True)
    if rc:
        failed = rc
        break
sys.exit(failed)
