"""Run a study with ``jobs`` processes on this machine: the public entry point, :func:`run_study`.

The pieces, one concept per module: :mod:`~carbonspot.search.session` (a process's run of a
study), :mod:`~carbonspot.search.trials` (claims, budget, the stop rule),
:mod:`~carbonspot.search.solvers` (the solvers by name), :mod:`~carbonspot.search.pool`
(evaluation workers), :mod:`~carbonspot.search.attrs` (what a trial stores) and
:mod:`~carbonspot.search.pareto` (fronts).

A run stopped by SIGINT or SIGTERM (:func:`interrupt_signals` turns both into
:class:`~carbonspot.search.trials.RunInterrupted`) ends its trials in flight as interrupted,
keeps every completed trial and raises :class:`~carbonspot.search.trials.RunInterrupted` with
the counts; running the study again resumes it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Any

from optuna.trial import TrialState

from carbonspot.errors import InputError
from carbonspot.search import storage as st
from carbonspot.search.pool import start_context
from carbonspot.search.session import RunOutcome, StudySession
from carbonspot.search.spec import StudySpec
from carbonspot.search.trials import (
    RunInterrupted,
    clear_signals,
    defer_signal,
    interrupt_running,
    raise_if_interrupted,
    signal_of,
)

__all__ = [
    "RunInterrupted",
    "StudyRun",
    "interrupt_signals",
    "pid_seed",
    "run_study",
    "worker_seed",
]
INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)
CHILD_STOP_S = 10.0  # how long an interrupted run waits for its workers to end their trials


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


@contextlib.contextmanager
def interrupt_signals(announce: bool = True) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM stop the study run of this process cleanly.

    The first signal is kept until the study loop's next safe point (after the evaluation in
    progress, never inside a storage write), where it raises :class:`RunInterrupted`; a second
    one while the first waits raises at once. Processes forked inside the block inherit the
    handler: in an evaluation pool worker SIGINT is ignored (the process owning the study
    decides, and terminates the pool) and SIGTERM ends the worker. Outside the main thread
    nothing is installed (Python delivers signals to the main thread only). ``announce``: say
    on stderr that the run is stopping (the process a user started; its workers stay quiet).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        if os.getpid() != owner:
            if signum != signal.SIGINT:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
            return
        name = signal.Signals(signum).name
        if not defer_signal(name):
            raise RunInterrupted(name)
        if announce:
            message = (
                f"\ncarbonspot: {name}: stopping after the evaluations in flight (signal "
                "again to stop at once)\n"
            )
            os.write(2, message.encode())

    clear_signals()
    previous = {s: signal.signal(s, handler) for s in INTERRUPT_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        clear_signals()


def _worker_process(spec: StudySpec, url: str, seed: int) -> None:
    """A worker of ``run_study``: on a signal it ends its trial as interrupted and exits."""
    with interrupt_signals(announce=False):
        try:
            StudySession(spec, url, seed=seed).run()
            raise_if_interrupted()
        except KeyboardInterrupt as exc:
            code = getattr(signal, signal_of(exc), signal.SIGINT)
            sys.exit(128 + int(code))


def _interrupted(
    exc: KeyboardInterrupt, session: StudySession, children: list[Any], since: float
) -> RunInterrupted:
    """Stop the workers, mark the run's trials left RUNNING, count what the study kept."""
    for p in children:
        if p.is_alive():
            p.terminate()  # SIGTERM: each ends its own trial as interrupted
    deadline = time.monotonic() + CHILD_STOP_S
    for p in children:
        p.join(max(0.0, deadline - time.monotonic()))
    out = RunInterrupted(signal_of(exc))
    out.storage_url = session.url
    # a fresh storage: the session's may have been cut short in the middle of a write
    storage = st.open_storage(session.url, retry_stale=False)
    pids = [os.getpid(), *(p.pid for p in children if p.pid is not None)]
    out.n_interrupted = interrupt_running(storage, session.study_id, pids, out.signal_name, since)
    done = storage.get_all_trials(session.study_id, deepcopy=False, states=(TrialState.COMPLETE,))
    out.n_complete = len(done)
    return out


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

    A ``KeyboardInterrupt`` (SIGINT; SIGTERM too inside :func:`interrupt_signals`) stops the
    workers, ends the run's RUNNING trials as interrupted and raises :class:`RunInterrupted`
    with the study's completed and the run's interrupted trial counts.
    """
    if jobs <= 0:
        raise InputError("must be a positive integer", field="--jobs")
    since = time.time()
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
        raise_if_interrupted()  # a signal during the last evaluations
        for p in children:
            p.join()
    except KeyboardInterrupt as exc:
        if pool is not None:
            pool.terminate()
        raise _interrupted(exc, session, children, since) from None
    finally:
        if pool is not None:
            pool.terminate()
        for p in children:
            if p.is_alive():
                p.terminate()
    failed = sum(1 for p in children if p.exitcode not in (0, None))
    return StudyRun(session, outcome, failed)
