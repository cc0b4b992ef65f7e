"""Run a study with ``jobs`` processes on this machine: the public entry point, :func:`run_study`.

The pieces, one concept per module: :mod:`~carbonspot.search.session` (a process's run of a
study), :mod:`~carbonspot.search.trials` (claims, budget, the stop rule),
:mod:`~carbonspot.search.solvers` (the solvers by name), :mod:`~carbonspot.search.pool`
(evaluation workers), :mod:`~carbonspot.search.attrs` (what a trial stores) and
:mod:`~carbonspot.search.pareto` (fronts).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from carbonspot.errors import InputError
from carbonspot.search.pool import start_context
from carbonspot.search.session import RunOutcome, StudySession
from carbonspot.search.spec import StudySpec

__all__ = [
    "StudyRun",
    "pid_seed",
    "run_study",
    "worker_seed",
]


@dataclass
class StudyRun:
    """A finished :func:`run_study`: the main process's session and outcome."""

    session: StudySession
    outcome: RunOutcome
    failed_workers: int = 0  # extra worker processes that exited with an error


def worker_seed(base: int, index: int) -> int:
    """Seed of worker ``index`` (0 = the base seed itself)."""
    return base + 7919 * index


def pid_seed() -> int:
    """A seed for a worker started without ``--seed`` (distinct per process)."""
    return (os.getpid() * 2654435761 + int(time.time() * 1000)) % (2**31)


def _worker_process(spec: StudySpec, url: str, seed: int) -> None:
    StudySession(spec, url, seed=seed).run()


def run_study(
    spec: StudySpec,
    storage_url: str | None = None,
    jobs: int = 1,
    seed: int | None = None,
    progress: Callable[[StudySession], Any] | None = None,
) -> StudyRun:
    """Run the study of ``spec`` with ``jobs`` processes until its stop rule ends it.

    Solvers that ask an optuna sampler one trial at a time get ``jobs - 1`` more processes on
    the same storage, each with its own sampler seed (:func:`worker_seed`); the others propose
    batches of designs and evaluate them in a pool of ``jobs`` workers. ``progress`` is called
    with the main session as trials finish.
    """
    if jobs <= 0:
        raise InputError("must be a positive integer", field="--jobs")
    session = StudySession(spec, storage_url, seed=seed, progress=progress)
    children = []
    pool = None
    try:
        if jobs > 1 and session.solver.uses_optuna_sampler:
            for j in range(1, jobs):
                p = start_context().Process(
                    target=_worker_process, args=(spec, session.url, worker_seed(session.seed, j))
                )
                p.start()
                children.append(p)
        elif jobs > 1:
            pool = session.worker_pool(jobs)
        outcome = session.run(pool=pool)
        for p in children:
            p.join()
    finally:
        if pool is not None:
            pool.terminate()
        for p in children:
            if p.is_alive():
                p.terminate()
    failed = sum(1 for p in children if p.exitcode not in (0, None))
    return StudyRun(session, outcome, failed)
