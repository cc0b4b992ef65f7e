"""Wall time and peak memory of the paper-tiny sweep (or any sweep file), first run, cold cache.

Runs ``carbonspot sweep FILE --out TMP.csv --jobs N`` in a fresh Python process (so no result
is cached), and prints:

* wall time of the whole command (start-up, workload loading, all designs, CSV writing), and
  the CPU time (user + system) of the command and its workers — on a busy machine
  CPU / jobs is a better guess of the quiet wall time than the wall time itself;
* peak RSS from ``resource.getrusage(RUSAGE_CHILDREN)`` — the largest single process of the
  sweep (the CLI or one worker);
* peak total RSS of the sweep's process tree (CLI + workers), sampled every 20 ms from
  ``/proc`` (Linux only) — the number to compare with the 2 GB target;
* the CSV's row counts, as a sanity check.

    python benchmarks/bench_sweep.py                         # studies/paper-tiny.yaml, all cores
    python benchmarks/bench_sweep.py --jobs 2 --repeat 3
    python benchmarks/bench_sweep.py --file studies/paper-mobile.yaml

Targets (issue 4): paper-tiny in <= 30 s wall on a 2-core machine, < 2 GB peak. Numbers taken
on a busy machine are not meaningful; run it on a quiet one.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _tree_rss_bytes(root: int) -> int:
    """Total RSS of ``root`` and all its descendants (Linux /proc), 0 if unavailable."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            with open(f"/proc/{pid}/statm") as fh:
                rss[pid] = int(fh.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, ()))
    return total


class _Sampler(threading.Thread):
    def __init__(self, pid: int, interval_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval_s = pid, interval_s
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(self.pid))
            self.stop.wait(self.interval_s)


def run_once(sweep_file: Path, jobs: int | None) -> dict[str, float]:
    """One cold sweep in a child process; wall time, peak memory, row counts."""
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        out = Path(tmp) / "results.csv"
        cmd = [sys.executable, "-m", "carbonspot", "sweep", str(sweep_file), "--out", str(out),
               "--no-progress"]  # fmt: skip
        if jobs:
            cmd += ["--jobs", str(jobs)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        sampler = _Sampler(proc.pid)
        sampler.start()
        _, err = proc.communicate()
        wall = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
        if proc.returncode != 0:
            raise SystemExit(f"sweep failed (exit {proc.returncode}): {err.strip()}")
        with out.open() as fh:
            rows = list(csv.DictReader(fh))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    geo = sum(1 for r in rows if r["workload"] == "geo")
    cpu = (usage.ru_utime - before.ru_utime) + (usage.ru_stime - before.ru_stime)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "max_process_rss_mb": usage.ru_maxrss / 1024,  # Linux: kB
        "peak_tree_rss_mb": sampler.peak / 2**20,
        "rows": len(rows) - geo,
        "geo_rows": geo,
        "infeasible": sum(1 for r in rows if r["workload"] != "geo" and r["feasible"] != "True"),
        "summary": err.strip().splitlines()[-1] if err.strip() else "",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", type=Path, default=REPO / "studies" / "paper-tiny.yaml")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    ap.add_argument("--repeat", type=int, default=1, help="independent cold runs")
    args = ap.parse_args(argv)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"sweep file: {args.file}  jobs: {args.jobs or cores}  cores: {cores}")
    walls = []
    for i in range(args.repeat):
        r = run_once(args.file, args.jobs)
        walls.append(r["wall_s"])
        print(
            f"run {i + 1}: wall {r['wall_s']:.2f} s, CPU {r['cpu_s']:.1f} s, peak RSS tree {r['peak_tree_rss_mb']:.0f} MB, "
            f"largest process {r['max_process_rss_mb']:.0f} MB, {r['rows']} rows "
            f"({r['infeasible']} infeasible) + {r['geo_rows']} geo"
        )
        print(f"  {r['summary']}")
    if args.repeat > 1:
        print(f"wall: min {min(walls):.2f} s, median {sorted(walls)[len(walls) // 2]:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
