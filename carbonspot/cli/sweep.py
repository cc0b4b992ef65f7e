"""``carbonspot sweep FILE.yaml --out results.csv [--jobs N]``: grid design-space sweep."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from carbonspot.errors import InputError
from carbonspot.formatting import CARBON_LEGEND
from carbonspot.search.files.sweep_file import load_sweep_file, write_rows_csv
from carbonspot.search.sweep import default_jobs, run_sweep


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` sub-command."""
    p = subparsers.add_parser(
        "sweep",
        help="evaluate every design of a design-space YAML file into a CSV",
        description=(
            "Evaluate the Cartesian product of a design-space file (templates x parameter "
            "lists x workloads) in parallel and write one CSV row per (workload, design) plus "
            "a 'geo' row per design (geometric mean over the workloads). See docs/sweep.md."
        ),
    )
    p.add_argument("file", metavar="FILE.yaml", help="design-space file")
    p.add_argument("--out", required=True, metavar="CSV", help="where to write the results")
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help=f"worker processes (default: the number of cores, here {default_jobs()})",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the sweep, write the CSV and print a summary (and the carbon unit) to stderr."""
    if args.jobs is not None and args.jobs < 1:
        raise InputError("must be at least 1", field="--jobs")
    spec = load_sweep_file(args.file)
    start = time.perf_counter()
    bar = None

    def on_start(total: int) -> None:
        nonlocal bar
        tqdm.monitor_interval = 0  # no monitor thread alive when the pool forks
        bar = tqdm(
            total=total, unit="design", file=sys.stderr, desc=spec.name, disable=args.no_progress
        )

    def on_done(done: int) -> None:
        if bar is not None:
            bar.update(done - bar.n)

    try:
        outcome = run_sweep(spec, jobs=args.jobs, on_design_done=on_done, on_start=on_start)
    finally:
        if bar is not None:
            bar.close()
    write_rows_csv(outcome.rows, args.out, outcome.columns())
    elapsed = time.perf_counter() - start
    n_rows = outcome.workload_rows
    msg = (
        f"{spec.name}: {outcome.designs_evaluated} of {outcome.designs_total} designs evaluated, "
        f"{len(outcome.skipped)} skipped (rejected by the template), "
        f"{n_rows} workload rows ({outcome.infeasible_rows} infeasible) + "
        f"{len(outcome.rows) - n_rows} geo rows -> {args.out} in {elapsed:.1f} s"
    )
    print(msg, file=sys.stderr)
    print(CARBON_LEGEND, file=sys.stderr)
    return 0
