"""Helpers that scripts/bench and scripts/bench_dist.py share: running a command with its peak
RSS, reading collab's JSON epoch lines, medians."""
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def log(*x):
    print(*x, file=sys.stderr, flush=True)


def run(cmd, env=None):
    """Runs cmd; returns its stdout and wall seconds."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"bench: {shlex.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return proc.stdout.decode(), time.perf_counter() - started


def run_with_rss(cmd, env=None):
    """Runs cmd; returns its stdout, wall seconds and peak RSS in MiB (from its own rusage)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)  # reaps it: the rusage is this child's alone
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {shlex.join(cmd)} failed: {err.decode()[-500:]}")
    return out.decode(), wall, usage.ru_maxrss / 1024


def epochs_of(out):
    return [json.loads(l) for l in out.splitlines() if l.startswith("{") and "epoch" in l]


def med(xs):
    return statistics.median(xs) if xs else float("nan")
