"""One process's run of a study: open the study, then let the spec's solver search it.

A :class:`StudySession` connects a :class:`~carbonspot.search.spec.StudySpec` to a storage
(:func:`open_study` creates or loads the optuna study and records the study file's summary in
the ``carbonspot:spec`` study attribute) and gives the solver its narrow view of the run
(:class:`~carbonspot.search.solvers.base.SolverContext`): every evaluation becomes an optuna
trial through the session's :class:`~carbonspot.search.trials.TrialLedger`, so any number of
processes and solvers share one study, and a killed run resumes from the storage.

RUNNING trials of dead processes are failed on start-up and periodically (heartbeat). A
``KeyboardInterrupt`` (SIGINT, or :class:`~carbonspot.search.trials.RunInterrupted` for SIGTERM)
ends this process's trials in flight as interrupted, not failed; signals caught by
:func:`~carbonspot.search.runner.interrupt_signals` are acted on at the session's safe points
(between evaluations, never inside a storage write), so the evaluation in progress is kept.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from carbonspot.errors import InputError
from carbonspot.search import attrs
from carbonspot.search import storage as st
from carbonspot.search.objective import Evaluation, MemoObjective
from carbonspot.search.pareto import pareto_front
from carbonspot.search.pool import WorkerPool
from carbonspot.search.solvers import Solver, solver_class
from carbonspot.search.space import DesignSpace, design_key
from carbonspot.search.spec import StudySpec
from carbonspot.search.trials import Termination, TrialLedger, raise_if_interrupted, signal_of

STALE_CHECK_S = 10.0


@dataclass
class RunOutcome:
    """What one process did."""

    n_complete: int
    n_evaluated: int
    stopped: str
    failed_stale: list[int] = field(default_factory=list)


def spec_summary(spec: StudySpec) -> dict[str, Any]:
    """What the study stores about its file (shown by ``status`` and the dashboard)."""
    return {
        "source": spec.source,
        "objectives": [[o.name, o.direction, o.column] for o in spec.objectives],
        "constraints": [c.name for c in spec.constraints],
        "variables": spec.space.names,
        "fixed": dict(spec.space.fixed),
        "suite": spec.suite,
        "workloads": list(spec.workloads),
        "preset": spec.preset,
        "mapper": spec.mapper,
        "solver": spec.solver,
        "n_trials": spec.n_trials,
        "seed": spec.seed,
    }


def open_study(
    spec: StudySpec, storage: optuna.storages.BaseStorage, sampler: optuna.samplers.BaseSampler
) -> optuna.Study:
    """Create the study or load it (same objectives required); the sampler is always explicit."""
    try:
        study = optuna.create_study(
            study_name=spec.name,
            storage=storage,
            sampler=sampler,
            directions=spec.directions,
            load_if_exists=True,
        )
    except Exception as exc:  # sqlalchemy / journal errors opening the study
        if isinstance(exc, InputError):
            raise
        raise InputError(f"cannot open study {spec.name!r}: {exc}", field="--storage") from None
    wanted = [
        optuna.study.StudyDirection.MINIMIZE
        if d == "minimize"
        else optuna.study.StudyDirection.MAXIMIZE
        for d in spec.directions
    ]
    if list(study.directions) != wanted:
        raise InputError(
            f"study {spec.name!r} already exists in this storage with "
            f"{len(study.directions)} other objective direction(s); rename the study or use "
            "another storage",
            source=spec.source,
            field="objectives",
        )
    if study.metric_names is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names(spec.metric_names)
    summary = spec_summary(spec)
    if study.user_attrs.get(attrs.SPEC_ATTR) != summary:  # the latest run's settings
        study.set_user_attr(attrs.SPEC_ATTR, summary)
    return study


def compute_design(memo: MemoObjective, design: Mapping[str, Any]) -> Evaluation:
    """Evaluate one design with ``memo``'s metrics function (the task of a pool worker)."""
    return memo.compute(design)


class StudySession:
    """One process's view of a study: storage, optuna study, memo, trials and stop rule.

    It is the :class:`~carbonspot.search.solvers.base.SolverContext` of its solver.
    """

    def __init__(
        self,
        spec: StudySpec,
        storage_url: str | None = None,
        metrics_fn: Callable[[Mapping[str, Any]], Any] | None = None,
        seed: int | None = None,
        progress: Callable[[StudySession], None] | None = None,
    ) -> None:
        self.spec = spec
        self.url = storage_url or str(spec.default_storage_path())
        self.seed = spec.seed if seed is None else seed
        self.solver: Solver = solver_class(spec.solver)(dict(spec.solver_options), self.seed)
        uses_sampler = self.solver.uses_optuna_sampler
        self.storage = st.open_storage(self.url, retry_stale=uses_sampler)
        self.sampler = self.solver.sampler()
        self.study = open_study(spec, self.storage, self.sampler)
        self.study_id = self.study._study_id
        self.memo: MemoObjective = spec.memo_objective(metrics_fn)
        self.progress = progress
        self.heartbeat = st.Heartbeat(self.storage)
        self.worker = st.worker_info()
        self.ledger = TrialLedger(
            self.storage,
            self.study,
            spec.space,
            self.worker,
            sampler=self.sampler if uses_sampler else None,
        )
        self.space_size = spec.space.size()
        self.termination = Termination(spec.n_trials, self.space_size)
        self._seen: set[int] = set()
        self._last_stale = 0.0
        self._pool: WorkerPool[MemoObjective] | None = None
        self.failed_stale: list[int] = []
        self.n_evaluated = 0

    @property
    def budget(self) -> int:
        """COMPLETE trials the study stops at (all processes)."""
        return self.termination.budget

    # --- running ------------------------------------------------------------------------------
    def worker_pool(self, jobs: int) -> WorkerPool[MemoObjective]:
        """A pool of ``jobs`` processes evaluating designs with this session's metrics function
        (``jobs <= 1``: evaluations stay in this process)."""
        return WorkerPool(self.memo, jobs)

    def run(
        self, pool: WorkerPool[MemoObjective] | None = None, max_new: int | None = None
    ) -> RunOutcome:
        """Run this process's part of the study with the spec's solver.

        ``pool`` evaluates batches of fixed designs (solvers that propose one trial at a time
        ignore it); ``max_new`` caps the designs this run evaluates.
        """
        self.termination = Termination(self.spec.n_trials, self.space_size, max_new)
        self._pool = pool
        self.check_stale(force=True)
        try:
            stopped = self.solver.run(self)
        finally:
            self._pool = None
            self.heartbeat.stop()
        return RunOutcome(self.n_complete(), self.n_evaluated, stopped, self.failed_stale)

    # --- storage views --------------------------------------------------------------------------
    def trials(self, states: Sequence[TrialState]) -> list[FrozenTrial]:
        """Trials in ``states`` (not copied: read only)."""
        return self.ledger.trials(states)

    def n_complete(self) -> int:
        """COMPLETE trials of the study (all processes)."""
        return self.ledger.n_complete()

    def sync(self) -> list[FrozenTrial]:
        """Load evaluations completed by any process into the memo; returns COMPLETE trials."""
        complete = self.trials((TrialState.COMPLETE,))
        for t in complete:
            if t.number in self._seen:
                continue
            self._seen.add(t.number)
            ev = attrs.evaluation_from_trial(t)
            if ev is not None:
                self.memo.remember(ev)
        return complete

    def check_stale(self, force: bool = False) -> None:
        """Fail RUNNING trials of dead processes (at most every few seconds)."""
        now = time.monotonic()
        if force or now - self._last_stale > STALE_CHECK_S:
            self._last_stale = now
            self.failed_stale += st.fail_stale(self.study, retry=self.solver.uses_optuna_sampler)

    def exhausted(self) -> bool:
        """True when every design of a finite space has been evaluated."""
        if self.space_size is None or len(self.memo.cache) < self.space_size:
            return False
        # the memo may hold designs of an earlier version of the study file: check the space
        return all(design_key(d) in self.memo.cache for d in self.spec.space.grid())

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self)

    def _record(self, trial_id: int, number: int, ev: Evaluation, written: Sequence[str]) -> None:
        self.ledger.complete(trial_id, ev, written)
        self._seen.add(number)

    # --- SolverContext ------------------------------------------------------------------------
    @property
    def space(self) -> DesignSpace:
        """The design space searched."""
        return self.spec.space

    @property
    def n_objectives(self) -> int:
        """Number of objectives."""
        return len(self.spec.objectives)

    @property
    def constraint_names(self) -> tuple[str, ...]:
        """Constraint keys of the evaluations: ``feasible``, then the study's constraints."""
        return ("feasible", *(c.name for c in self.spec.constraints))

    def refresh(self) -> None:
        """Fail stale trials (rate-limited), load others' evaluations, report progress."""
        raise_if_interrupted()
        self.check_stale()
        self.sync()
        self._tick()

    def stop_reason(self, exhausted: bool | None = None) -> str | None:
        """The stop rule (:class:`~carbonspot.search.trials.Termination`) on the study now."""
        raise_if_interrupted()
        return self.termination.reason(
            self.n_complete(),
            self.n_evaluated,
            (lambda: exhausted) if exhausted is not None else self.exhausted,
        )

    def has_room(self) -> bool:
        """True while COMPLETE + RUNNING trials (all processes) leave room in the budget."""
        return self.ledger.has_room(self.budget)

    def evaluated_keys(self) -> Collection[str]:
        """Keys of every evaluation in the memo (a live view)."""
        return self.memo.cache.keys()

    def minimised(self, values: Sequence[float]) -> list[float]:
        """Objective values as minimisation (maximised objectives negated)."""
        return self.memo.minimised(values)

    def load_checkpoint(self, tag: str) -> dict[str, Any] | None:
        """This seed's solver checkpoint (a study system attribute), ``None`` if none."""
        key = attrs.checkpoint_attr(tag, self.seed)
        return self.storage.get_study_system_attrs(self.study_id).get(key)

    def save_checkpoint(self, tag: str, state: Mapping[str, Any]) -> None:
        """Save this seed's solver checkpoint (one study system attribute)."""
        key = attrs.checkpoint_attr(tag, self.seed)
        self.storage.set_study_system_attr(self.study_id, key, dict(state))

    def wait(self, seconds: float) -> None:
        """Sleep while other processes work."""
        raise_if_interrupted()
        time.sleep(seconds)
        raise_if_interrupted()

    def evaluate_proposal(self) -> str | None:
        """One trial of the study's optuna sampler: evaluated (``None``) or skipped (why)."""
        raise_if_interrupted()
        trial = self.study.ask()
        tid = trial._trial_id
        self.heartbeat.add(tid, attrs={attrs.WORKER_ATTR: self.worker})  # one write
        try:
            design = self.spec.space.suggest(trial)
            key = design_key(design)
            trial.set_user_attr(attrs.DESIGN_KEY, key)
            reason = self.ledger.yield_reason(trial.number, key, self.budget)
            if reason is not None:
                self.ledger.skip(tid, reason)
                return reason
            ev = self.memo.evaluate(design)
            self.n_evaluated += 1
            self._record(tid, trial.number, ev, (attrs.DESIGN_KEY,))
            return None
        except KeyboardInterrupt as exc:
            with contextlib.suppress(Exception):  # finished before the signal came
                self.ledger.interrupt(tid, signal_of(exc))
            raise
        except InputError as exc:
            self.ledger.fail(tid, str(exc))
            raise
        except Exception as exc:
            self.ledger.fail(tid, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            self.heartbeat.remove(tid)

    def evaluate_designs(self, designs: Sequence[Mapping[str, Any]]) -> list[Evaluation | None]:
        """Evaluations of ``designs``: memo hits are free, new designs become trials.

        ``None`` marks a design not evaluated now: the budget is used up, or another process
        is evaluating it (ask again later). New designs go to the run's pool when there is
        more than one.
        """
        raise_if_interrupted()
        self.check_stale()
        self.sync()
        out: list[Evaluation | None] = [None] * len(designs)
        todo: dict[str, tuple[Mapping[str, Any], list[int]]] = {}
        for i, d in enumerate(designs):
            key = design_key(d)
            hit = self.memo.cache.get(key)
            if hit is not None:
                out[i] = hit
            else:
                todo.setdefault(key, (d, []))[1].append(i)
        if not todo:
            return out
        mine = self.ledger.claim({key: d for key, (d, _) in todo.items()}, self.budget)
        for c in mine:
            self.heartbeat.add(c.trial_id, beat_now=False)
        designs_now = [todo[c.key][0] for c in mine]
        pool = self._pool
        done = 0
        try:
            if pool is not None and pool.parallel and len(designs_now) > 1:
                evs = pool.imap(compute_design, designs_now)  # in order, as they finish
            else:
                evs = (self.memo.compute(d) for d in designs_now)
            for c, ev in zip(mine, evs, strict=True):
                # written at once: a killed process loses only the evaluations in flight
                self.memo.remember(ev)
                self._record(c.trial_id, c.number, ev, (attrs.DESIGN_KEY, attrs.DESIGN))
                self.heartbeat.remove(c.trial_id)
                done += 1
                self.n_evaluated += 1
                for i in todo[c.key][1]:
                    out[i] = ev
                raise_if_interrupted()  # the rest of the batch is ended as interrupted
        except BaseException as exc:
            for c in mine[done:]:
                self.heartbeat.remove(c.trial_id)
                with contextlib.suppress(Exception):  # finished meanwhile, e.g. failed as stale
                    if isinstance(exc, KeyboardInterrupt):
                        self.ledger.interrupt(c.trial_id, signal_of(exc))
                    else:
                        self.ledger.fail(c.trial_id, f"{type(exc).__name__}: {exc}")
            raise
        self._tick()
        return out

    # --- results --------------------------------------------------------------------------------
    def front(self) -> tuple[list[FrozenTrial], np.ndarray]:
        """Feasible COMPLETE trials on the Pareto front and their minimised objective matrix."""
        return pareto_front(self.study)
