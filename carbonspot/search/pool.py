"""A process pool that maps a picklable function over items, each worker holding one state.

``WorkerPool(state, jobs)`` starts ``jobs`` processes that each get ``state`` once, when they
start; :meth:`WorkerPool.imap` then runs ``fn(state, item)`` in them, results in item order as
they finish. With ``jobs <= 1`` no process is started and ``fn(state, item)`` runs here, so
callers have one code path for any number of jobs. Used by a study (``state`` = its memoised
objective, ``fn`` evaluates one design) and usable by the sweep (``state`` = its loaded
workloads and settings, ``fn`` evaluates one design on them).

Workers are forked where the platform can fork: they inherit the imported modules and the
state without pickling it (fast start, and the state need not be picklable). Elsewhere the
platform's default start method is used and ``state`` must pickle. ``fn`` is always sent by
reference (a module-level function) with each item.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

StateT = TypeVar("StateT")
ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

# The state of the pool this worker process serves. multiprocessing hands a worker's
# initializer result to its tasks only through module state, so it lives here: set once by
# _init_worker in each *worker* process (never in the process that owns the pool, where it stays
# empty) and read by _run_task.
_WORKER_STATE: dict[str, Any] = {}


def _init_worker(state: Any) -> None:
    _WORKER_STATE["state"] = state


def _run_task(task: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    fn, item = task
    return fn(_WORKER_STATE["state"], item)


def start_context() -> mp.context.BaseContext:
    """``fork`` where available (inherited modules and state), else the platform default."""
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else None)


class WorkerPool(Generic[StateT]):
    """``jobs`` worker processes holding ``state``; ``jobs <= 1``: work in this process."""

    def __init__(self, state: StateT, jobs: int) -> None:
        self.state = state
        self.jobs = max(1, int(jobs))
        self._pool: Any = None
        self._closed = False
        if self.jobs > 1:
            self._pool = start_context().Pool(
                self.jobs, initializer=_init_worker, initargs=(state,)
            )

    @property
    def parallel(self) -> bool:
        """True when work goes to worker processes (``jobs > 1``)."""
        return self._pool is not None

    def imap(
        self,
        fn: Callable[[StateT, ItemT], ResultT],
        items: Iterable[ItemT],
        chunksize: int = 1,
    ) -> Iterator[ResultT]:
        """``fn(state, item)`` for every item, in item order, each as soon as it is done.

        ``fn`` must be a module-level function (it is pickled by name); an exception in a
        worker is raised here when its result is reached.
        """
        if self._closed:
            raise RuntimeError("the worker pool was terminated")
        if self._pool is None:
            return (fn(self.state, item) for item in items)
        return self._pool.imap(_run_task, ((fn, item) for item in items), chunksize=chunksize)

    def terminate(self) -> None:
        """Stop the workers at once (work in flight is lost)."""
        self._closed = True
        if self._pool is not None:
            self._pool.terminate()

    def __enter__(self) -> WorkerPool[StateT]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.terminate()
