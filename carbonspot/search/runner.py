"""Run a study: every solver's evaluations become optuna trials in one storage.

One :class:`StudySession` per process connects a :class:`~carbonspot.search.spec.StudySpec` to
a storage. Solvers:

* ``optuna-nsga2`` / ``optuna-tpe``: optuna samplers in an ask/tell loop.
* ``nsga2``: pymoo NSGA-II over mixed variables (``MixedVariableGA`` with rank-and-crowding
  survival and binary tournament), driven by ask/tell; its population and random state are
  checkpointed in the study's system attributes after every generation, so a killed run resumes
  from its last generation.
* ``grid``: every design of the finite space in file order.

Rules shared by all solvers (they make resumption and many workers safe):

* a design is identified by :func:`~carbonspot.search.space.design_key` and stored in the
  trial's ``design_key`` user attribute; no design is evaluated when a COMPLETE trial already
  has it, and of two trials claiming the same design the later one yields (PRUNED with
  ``skipped`` = why);
* the budget counts COMPLETE trials of the study, over all processes; a process starts a
  trial only while COMPLETE + RUNNING < budget;
* RUNNING trials of dead processes are failed on start-up and periodically (heartbeat);
* a trial's result (attributes, constraints, state and values) is one storage write
  (:func:`~carbonspot.search.storage.finish_trial`), made as soon as its design is evaluated,
  and the designs of a batch are claimed in one write: a killed process loses at most the
  evaluations in flight, never a completed trial.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import math
import multiprocessing as mp
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from carbonspot.errors import InputError
from carbonspot.search import storage as st
from carbonspot.search.objective import Evaluation, MemoObjective
from carbonspot.search.pareto import normalised_hypervolume, pareto_mask
from carbonspot.search.space import design_key
from carbonspot.search.spec import StudySpec

SPEC_ATTR = "carbonspot:spec"
PYMOO_ATTR = "carbonspot:pymoo"
MAX_DUPLICATE_STREAK = 200
STALE_CHECK_S = 10.0


@dataclass
class RunOutcome:
    """What one process did."""

    n_complete: int
    n_evaluated: int
    stopped: str
    failed_stale: list[int] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now()


def evaluation_from_trial(t: FrozenTrial) -> Evaluation | None:
    """Rebuild an :class:`Evaluation` from a COMPLETE trial written by a study."""
    ua = t.user_attrs
    if "design_key" not in ua or t.values is None:
        return None
    cons = {
        k.split(":", 1)[1]: float(v)
        for k, v in t.system_attrs.items()
        if k.startswith("constraints:")
    }
    return Evaluation(
        key=ua["design_key"],
        design=dict(ua.get("design", {})),
        values=list(t.values),
        constraints=cons,
        feasible=bool(ua.get("feasible", True)),
        reason=str(ua.get("reason", "")),
        metrics=dict(ua.get("metrics", {})),
        workloads=dict(ua.get("workloads", {})),
    )


def make_sampler(spec: StudySpec, seed: int) -> optuna.samplers.BaseSampler:
    """The optuna sampler of a solver (pymoo and grid use a placeholder random sampler)."""
    if spec.solver == "optuna-nsga2":
        return optuna.samplers.NSGAIISampler(
            population_size=int(spec.option("pop_size", 24)), seed=seed
        )
    if spec.solver == "optuna-tpe":
        return optuna.samplers.TPESampler(
            n_startup_trials=int(spec.option("n_startup_trials", 10)),
            seed=seed,
            multivariate=True,
        )
    return optuna.samplers.RandomSampler(seed=seed)


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
    if study.user_attrs.get(SPEC_ATTR) != summary:  # the latest run's settings (budget, solver)
        study.set_user_attr(SPEC_ATTR, summary)
    return study


class StudySession:
    """One process's view of a study: storage, optuna study, memo and budget accounting."""

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
        self.is_sampler = spec.solver.startswith("optuna-")
        self.storage = st.open_storage(self.url, retry_stale=self.is_sampler)
        self.seed = spec.seed if seed is None else seed
        self.sampler = make_sampler(spec, self.seed)
        self.study = open_study(spec, self.storage, self.sampler)
        self.study_id = self.study._study_id
        self.memo: MemoObjective = spec.memo_objective(metrics_fn)
        self.progress = progress
        self.heartbeat = st.Heartbeat(self.storage)
        self.worker = st.worker_info()
        self._seen: set[int] = set()
        self._last_stale = 0.0
        self.failed_stale: list[int] = []
        self.n_evaluated = 0
        self.budget = spec.n_trials
        self.space_size = spec.space.size()

    # --- storage views --------------------------------------------------------------------
    def trials(self, states: Sequence[TrialState]) -> list[FrozenTrial]:
        """Trials in ``states`` (not copied: read only)."""
        return self.storage.get_all_trials(self.study_id, deepcopy=False, states=tuple(states))

    def sync(self) -> list[FrozenTrial]:
        """Load evaluations completed by any process into the memo; returns COMPLETE trials."""
        complete = self.trials((TrialState.COMPLETE,))
        for t in complete:
            if t.number in self._seen:
                continue
            self._seen.add(t.number)
            ev = evaluation_from_trial(t)
            if ev is not None:
                self.memo.remember(ev)
        return complete

    def check_stale(self, force: bool = False) -> None:
        """Fail RUNNING trials of dead processes (at most every few seconds)."""
        now = time.monotonic()
        if force or now - self._last_stale > STALE_CHECK_S:
            self._last_stale = now
            self.failed_stale += st.fail_stale(self.study, retry=self.is_sampler)

    def _yield_reasons(
        self, claims: Sequence[tuple[int, str]], trials: Sequence[FrozenTrial]
    ) -> list[str | None]:
        """For each claim ``(number, key)``: why it must not evaluate its design, or ``None``.

        A claim yields to a COMPLETE trial with the same design, to any other RUNNING trial
        holding the same design, and when COMPLETE trials plus earlier RUNNING ones already
        fill the budget. One pass over ``trials`` (O(trials + claims)).

        Yielding to *any* other holder, not only to an earlier one, closes the race where the
        later trial checks before the earlier one has written its claim: two processes that
        see each other both yield (the design is proposed again later), but two processes can
        never both evaluate it.
        """
        n_complete = 0
        running_numbers: list[int] = []
        holders_by_key: dict[str, list[int]] = {}
        complete_by_key: dict[str, int] = {}
        for t in trials:
            key = t.user_attrs.get("design_key")
            if t.state == TrialState.COMPLETE:
                n_complete += 1
                if key is not None:
                    complete_by_key.setdefault(key, t.number)
            else:
                running_numbers.append(t.number)
            if key is not None:
                holders_by_key.setdefault(key, []).append(t.number)
        running_numbers.sort()
        out: list[str | None] = []
        for number, key in claims:
            done = complete_by_key.get(key)
            if done is not None and done != number:
                out.append(f"duplicate of trial {done}")
                continue
            others = [n for n in holders_by_key.get(key, ()) if n != number]
            if others:
                out.append(f"duplicate of trial {min(others)}")
                continue
            earlier_running = bisect.bisect_left(running_numbers, number)
            if n_complete + earlier_running >= self.budget:
                out.append("budget reached")
                continue
            out.append(None)
        return out

    def n_complete(self) -> int:
        """COMPLETE trials of the study (all processes)."""
        return len(self.trials((TrialState.COMPLETE,)))

    def exhausted(self) -> bool:
        """True when every design of a finite space has been evaluated."""
        if self.space_size is None or len(self.memo.cache) < self.space_size:
            return False
        # the memo may hold designs of an earlier version of the study file: check the space
        return all(design_key(d) in self.memo.cache for d in self.spec.space.grid())

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self)

    # --- writing trials ---------------------------------------------------------------------
    def _finish(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> None:
        """End a RUNNING trial: attributes, state and values in one storage write.

        Replaces ``Study.tell`` (which re-reads and deep-copies the trial): the optuna samplers
        still get their ``after_trial`` call; pymoo and grid use a placeholder sampler.
        """
        if self.is_sampler:
            frozen = self.storage.get_trial(trial_id)
            self.sampler.after_trial(self.study, frozen, state, values)
        st.finish_trial(self.storage, trial_id, state, values, user_attrs, system_attrs)

    def _write(
        self, trial_id: int, number: int, ev: Evaluation, written: tuple[str, ...] = ("design_key",)
    ) -> None:
        attrs = {k: v for k, v in ev.user_attrs().items() if k not in written}
        constraints = {f"constraints:{k}": float(v) for k, v in ev.constraints.items()}
        self._finish(trial_id, TrialState.COMPLETE, ev.values, attrs, constraints)
        self._seen.add(number)

    def _skip(self, trial_id: int, number: int, reason: str) -> None:
        self._finish(trial_id, TrialState.PRUNED, None, {"skipped": reason})

    def _fail(self, trial_id: int, number: int, message: str) -> None:
        self._finish(trial_id, TrialState.FAIL, None, {"failed_reason": message})

    def _running_template(self, design: Mapping[str, Any]) -> FrozenTrial:
        """A RUNNING trial holding a fixed design, this process as its worker (pymoo and grid)."""
        space = self.spec.space
        params = space.trial_params(design)
        dists: dict[str, BaseDistribution] = space.distributions(params)
        return FrozenTrial(
            number=-1,
            state=TrialState.RUNNING,
            value=None,
            values=None,
            datetime_start=_now(),
            datetime_complete=None,
            params=params,
            distributions=dists,
            user_attrs={"design_key": design_key(design), "design": dict(design)},
            system_attrs={st.WORKER_ATTR: self.worker, st.HEARTBEAT_ATTR: time.time()},
            intermediate_values={},
            trial_id=-1,
        )

    def _claim(self, designs: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
        """RUNNING trials for ``designs``, created in one storage write: ``(trial_id, number)``."""
        templates = [self._running_template(d) for d in designs]
        return st.create_running_trials(self.storage, self.study_id, templates)

    # --- optuna samplers ----------------------------------------------------------------------
    def run_sampler(self, max_new: int | None = None) -> RunOutcome:
        """ask/tell loop of an optuna sampler until the study's budget is reached."""
        self.check_stale(force=True)
        streak = 0
        stopped = "budget reached"
        space = self.spec.space
        while True:
            self.check_stale()
            complete = self.sync()
            self._tick()
            if len(complete) >= self.budget:
                break
            if self.exhausted():
                stopped = f"all {self.space_size} designs evaluated"
                break
            if max_new is not None and self.n_evaluated >= max_new:
                stopped = f"{max_new} new trials done"
                break
            running = self.trials((TrialState.RUNNING,))
            if len(complete) + len(running) >= self.budget:
                time.sleep(0.05)
                continue
            trial = self.study.ask()
            tid = trial._trial_id
            self.heartbeat.add(tid, attrs={st.WORKER_ATTR: self.worker})  # one write
            try:
                design = space.suggest(trial)
                key = design_key(design)
                trial.set_user_attr("design_key", key)
                reason = self._yield_reasons(
                    [(trial.number, key)], self.trials((TrialState.COMPLETE, TrialState.RUNNING))
                )[0]
                if reason is not None:
                    self._skip(tid, trial.number, reason)
                    streak += 1
                    if streak >= MAX_DUPLICATE_STREAK:
                        stopped = (
                            f"the sampler proposed {streak} evaluated designs in a row "
                            "(space nearly exhausted)"
                        )
                        break
                    continue
                streak = 0
                ev = self.memo.evaluate(design)
                self.n_evaluated += 1
                self._write(tid, trial.number, ev)
            except InputError as exc:
                self._fail(tid, trial.number, str(exc))
                raise
            except Exception as exc:
                self._fail(tid, trial.number, f"{type(exc).__name__}: {exc}")
                raise
            finally:
                self.heartbeat.remove(tid)
        self.heartbeat.stop()
        return RunOutcome(self.n_complete(), self.n_evaluated, stopped, self.failed_stale)

    # --- fixed designs (pymoo, grid) ---------------------------------------------------------
    def evaluate_designs(
        self,
        designs: Sequence[Mapping[str, Any]],
        pool: Any = None,
    ) -> list[Evaluation | None]:
        """Evaluations of ``designs``: memo hits are free, new designs become trials.

        ``None`` marks a design not evaluated now: the budget is used up, or another process
        is evaluating it (ask again later).
        """
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
        live = self.trials((TrialState.COMPLETE, TrialState.RUNNING))
        room = self.budget - len(live)
        running_keys = {
            t.user_attrs.get("design_key") for t in live if t.state == TrialState.RUNNING
        }
        keys = [key for key in todo if key not in running_keys][: max(0, room)]
        if not keys:
            return out
        made = self._claim([todo[key][0] for key in keys])
        claims = [(tid, number, key) for (tid, number), key in zip(made, keys, strict=True)]
        live = self.trials((TrialState.COMPLETE, TrialState.RUNNING))
        mine = []
        reasons = self._yield_reasons([(number, key) for _, number, key in claims], live)
        for (tid, number, key), reason in zip(claims, reasons, strict=True):
            if reason is None:
                mine.append((tid, number, key))
                self.heartbeat.add(tid, beat_now=False)
            else:
                self._skip(tid, number, reason)
        designs_now = [todo[key][0] for _, _, key in mine]
        done = 0
        try:
            if pool is not None and len(designs_now) > 1:
                evs = pool.imap(_pool_evaluate, designs_now)  # in order, as they finish
            else:
                evs = (self.memo.compute(d) for d in designs_now)
            for (tid, number, key), ev in zip(mine, evs, strict=True):
                # written at once: a killed process loses only the evaluations in flight
                self.memo.remember(ev)
                self._write(tid, number, ev, written=("design_key", "design"))
                self.heartbeat.remove(tid)
                done += 1
                self.n_evaluated += 1
                for i in todo[key][1]:
                    out[i] = ev
        except BaseException as exc:
            for tid, number, _ in mine[done:]:
                self.heartbeat.remove(tid)
                with contextlib.suppress(Exception):  # finished meanwhile, e.g. failed as stale
                    self._fail(tid, number, f"{type(exc).__name__}: {exc}")
            raise
        self._tick()
        return out

    def run_grid(self, pool: Any = None, batch: int = 16) -> RunOutcome:
        """Every design of the grid in file order, until the budget is reached."""
        self.check_stale(force=True)
        stopped = "budget reached"
        while True:
            self.sync()
            self._tick()
            if self.n_complete() >= self.budget:
                break
            # lazily, in file order: a budget far below the grid's size never enumerates it all
            pending = (d for d in self.spec.space.grid() if design_key(d) not in self.memo.cache)
            progressed = False
            n_pending = 0
            while chunk := list(itertools.islice(pending, batch)):
                n_pending += len(chunk)
                before = self.n_evaluated
                res = self.evaluate_designs(chunk, pool)
                progressed = progressed or self.n_evaluated > before
                if self.n_complete() >= self.budget:
                    break
                if (
                    any(r is None for r in res)
                    and self.n_complete() + len(self.trials((TrialState.RUNNING,))) >= self.budget
                ):
                    break
            if n_pending == 0:
                stopped = f"all {self.space_size} designs evaluated"
                break
            if not progressed:
                time.sleep(0.2)  # the rest is being evaluated by other processes
        self.heartbeat.stop()
        return RunOutcome(self.n_complete(), self.n_evaluated, stopped, self.failed_stale)

    def run_nsga2(self, pool: Any = None) -> RunOutcome:
        """pymoo NSGA-II (mixed variables) in ask/tell form, checkpointed every generation."""
        from carbonspot.search.solvers.nsga2 import PymooNSGA2

        self.check_stale(force=True)
        solver = PymooNSGA2(self, pool)
        stopped = solver.run()
        self.heartbeat.stop()
        return RunOutcome(self.n_complete(), self.n_evaluated, stopped, self.failed_stale)

    def run(self, pool: Any = None, max_new: int | None = None) -> RunOutcome:
        """Run this process's part of the study with the spec's solver."""
        if self.spec.solver == "grid":
            return self.run_grid(pool)
        if self.spec.solver == "nsga2":
            return self.run_nsga2(pool)
        return self.run_sampler(max_new)

    # --- results --------------------------------------------------------------------------------
    def front(self) -> tuple[list[FrozenTrial], np.ndarray]:
        """Feasible COMPLETE trials on the Pareto front and their minimised objective matrix."""
        return pareto_front(self.study, self.spec)


# --- pool workers (fork: the parent's memo objective is inherited) --------------------------

_POOL_MEMO: dict[str, MemoObjective] = {}


def _pool_init(memo: MemoObjective) -> None:
    _POOL_MEMO["memo"] = memo


def _pool_evaluate(design: Mapping[str, Any]) -> Evaluation:
    return _POOL_MEMO["memo"].compute(design)


def make_pool(memo: MemoObjective, jobs: int) -> Any:
    """A process pool evaluating designs with ``memo``'s metrics function (``None`` if 1 job)."""
    if jobs <= 1:
        return None
    ctx = mp.get_context("fork")
    return ctx.Pool(jobs, initializer=_pool_init, initargs=(memo,))


# --- fronts and hypervolume ---------------------------------------------------------------


def trial_matrix(
    trials: Sequence[FrozenTrial], directions: Sequence[str]
) -> tuple[list[FrozenTrial], np.ndarray]:
    """Feasible COMPLETE trials and their objective matrix as minimisation."""
    sign = np.array([1.0 if d == "minimize" else -1.0 for d in directions])
    keep = []
    for t in trials:
        if t.state != TrialState.COMPLETE or t.values is None:
            continue
        cons = [v for k, v in t.system_attrs.items() if k.startswith("constraints:")]
        if any(v > 0 for v in cons):
            continue
        if not all(math.isfinite(v) for v in t.values):
            continue
        keep.append(t)
    F = np.array([t.values for t in keep], dtype=float).reshape(len(keep), len(directions))
    return keep, F * sign


def directions_of(study: optuna.Study) -> list[str]:
    """Study directions as ``minimize``/``maximize`` strings."""
    return [
        "minimize" if d == optuna.study.StudyDirection.MINIMIZE else "maximize"
        for d in study.directions
    ]


def pareto_front(study: optuna.Study, spec: StudySpec | None = None) -> tuple[list, np.ndarray]:
    """Feasible Pareto-optimal trials of a study (sorted by the first objective)."""
    trials = study._storage.get_all_trials(
        study._study_id, deepcopy=False, states=(TrialState.COMPLETE,)
    )
    feas, F = trial_matrix(trials, directions_of(study))
    if not feas:
        return [], F
    mask = pareto_mask(F)
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(F[idx, 0], kind="stable")]
    # one trial per distinct objective vector
    seen: set[tuple[float, ...]] = set()
    out = []
    for i in idx:
        k = tuple(F[i])
        if k not in seen:
            seen.add(k)
            out.append(i)
    return [feas[i] for i in out], F[out]


def study_hypervolume(study: optuna.Study) -> tuple[int, float]:
    """(front size, hypervolume of the front normalised by all feasible trials, ref 1.1)."""
    trials = study._storage.get_all_trials(
        study._study_id, deepcopy=False, states=(TrialState.COMPLETE,)
    )
    _, F = trial_matrix(trials, directions_of(study))
    if len(F) == 0:
        return 0, 0.0
    front = F[pareto_mask(F)]
    ideal, nadir = F.min(axis=0), F.max(axis=0)
    return len(np.unique(front, axis=0)), normalised_hypervolume(front, ideal, nadir)


def worker_seed(base: int, index: int) -> int:
    """Seed of worker ``index`` (0 = the base seed itself)."""
    return base + 7919 * index


def pid_seed() -> int:
    """A seed for a worker started without ``--seed`` (distinct per process)."""
    return (os.getpid() * 2654435761 + int(time.time() * 1000)) % (2**31)
