"""Trials of a study as one process claims and finishes them, and the rule that stops a run.

Rules shared by every solver (they make resumption and many workers safe):

* a design is identified by :func:`~carbonspot.search.space.design_key`, stored in the trial's
  ``design_key`` user attribute; no design is evaluated when a COMPLETE trial already has it,
  and a claim on a design another trial holds yields (PRUNED, ``skipped`` = why), see
  :func:`yield_reasons`;
* the budget counts COMPLETE trials of the study, over all processes; a process starts a
  trial only while COMPLETE + RUNNING < budget (:meth:`TrialLedger.has_room`);
* a trial's result (attributes, constraints, state and values) is one storage write
  (:func:`~carbonspot.search.storage.finish_trial`) and the designs of a batch are claimed in
  one write (:meth:`TrialLedger.claim`): a killed process loses at most the evaluations in
  flight, never a completed trial;
* a run stops by one rule, :class:`Termination` (budget reached, finite space exhausted, or
  this run's own cap), asked by every solver between batches;
* a SIGINT or SIGTERM (:class:`RunInterrupted`) ends the trials in flight FAIL with
  ``carbonspot:interrupted`` = the signal (:meth:`TrialLedger.interrupt`,
  :func:`interrupt_running`), so readers tell them from failures; running again resumes.

A COMPLETE trial's dashboard note (:func:`~carbonspot.search.notes.trial_note`) is written in
the same append as its result.
"""

from __future__ import annotations

import bisect
import contextlib
import socket
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import optuna
from optuna.distributions import BaseDistribution
from optuna.trial import FrozenTrial, TrialState

from carbonspot.search import attrs, notes
from carbonspot.search import storage as st
from carbonspot.search.objective import Evaluation
from carbonspot.search.space import DesignSpace

BUDGET_REACHED = "budget reached"
LIVE = (TrialState.COMPLETE, TrialState.RUNNING)


class RunInterrupted(KeyboardInterrupt):
    """A SIGINT or SIGTERM stopped a study run (a ``KeyboardInterrupt``: Ctrl-C semantics hold).

    Raised by the signal handler with the signal's name; the runner raises it again with what
    the study kept: its ``n_complete`` trials and the ``n_interrupted`` trials this run marked
    interrupted, in the storage ``storage_url``.
    """

    def __init__(self, signal_name: str = "SIGINT") -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name
        self.n_complete: int | None = None
        self.n_interrupted = 0
        self.storage_url: str | None = None


def signal_of(exc: BaseException) -> str:
    """The signal behind an interrupt: :class:`RunInterrupted`'s, else SIGINT (Ctrl-C)."""
    return getattr(exc, "signal_name", "SIGINT")


# Signals received (by the handler of runner.interrupt_signals) that the study loop has not
# acted on yet. The loop acts at safe points (raise_if_interrupted), never inside a storage
# write or a lock, so a signal cannot tear the journal or leave its lock file behind. Process
# state, as signal dispositions are.
_PENDING: list[str] = []


def defer_signal(signal_name: str) -> bool:
    """Keep a signal for the next safe point; False when one is pending already (stop now)."""
    if _PENDING:
        return False
    _PENDING.append(signal_name)
    return True


def clear_signals() -> None:
    """Forget signals not acted on (a new run, or the end of one)."""
    _PENDING.clear()


def raise_if_interrupted() -> None:
    """At a safe point of the study loop: raise :class:`RunInterrupted` for a pending signal."""
    if _PENDING:
        raise RunInterrupted(_PENDING.pop())


@dataclass(frozen=True)
class Termination:
    """When a run stops (asked between batches, like pymoo's ``Termination``).

    ``budget`` counts the COMPLETE trials of the study (all processes); ``space_size`` is the
    number of designs of a finite space (``None``: infinite); ``max_new`` caps the designs this
    run evaluates (``None``: no cap).
    """

    budget: int
    space_size: int | None = None
    max_new: int | None = None

    def reason(
        self, n_complete: int, n_evaluated: int, exhausted: Callable[[], bool]
    ) -> str | None:
        """Why the run must stop now, or ``None`` to go on.

        ``exhausted()`` (every design of the space evaluated) is only called when the budget is
        not reached: it may walk the whole space.
        """
        if n_complete >= self.budget:
            return BUDGET_REACHED
        if exhausted():
            return f"all {self.space_size} designs evaluated"
        if self.max_new is not None and n_evaluated >= self.max_new:
            return f"{self.max_new} new trials done"
        return None


def yield_reasons(
    claims: Sequence[tuple[int, str]], trials: Sequence[FrozenTrial], budget: int
) -> list[str | None]:
    """For each claim ``(number, key)``: why it must not evaluate its design, or ``None``.

    A claim yields to a COMPLETE trial with the same design, to any other RUNNING trial
    holding the same design, and when COMPLETE trials plus earlier RUNNING ones already fill
    the budget. One pass over ``trials`` (COMPLETE and RUNNING ones; O(trials + claims)).

    Yielding to *any* other holder, not only to an earlier one, closes the race where the
    later trial checks before the earlier one has written its claim: two processes that see
    each other both yield (the design is proposed again later), but two processes can never
    both evaluate it.
    """
    n_complete = 0
    running_numbers: list[int] = []
    holders_by_key: dict[str, list[int]] = {}
    complete_by_key: dict[str, int] = {}
    for t in trials:
        key = t.user_attrs.get(attrs.DESIGN_KEY)
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
        if n_complete + earlier_running >= budget:
            out.append(BUDGET_REACHED)
            continue
        out.append(None)
    return out


class Claim(NamedTuple):
    """A RUNNING trial this process holds for one design."""

    trial_id: int
    number: int
    key: str


class TrialLedger:
    """The trials of one study as this process reads, claims and finishes them.

    ``sampler`` is the optuna sampler proposing the designs (it is told every finished trial,
    as ``Study.tell`` would); ``None`` for solvers that propose fixed designs.
    """

    def __init__(
        self,
        storage: optuna.storages.BaseStorage,
        study: optuna.Study,
        space: DesignSpace,
        worker: Mapping[str, Any],
        sampler: optuna.samplers.BaseSampler | None = None,
    ) -> None:
        self.storage = storage
        self.study = study
        self.study_id = study._study_id
        self.space = space
        self.worker = dict(worker)
        self.sampler = sampler

    # --- reads --------------------------------------------------------------------------------
    def trials(self, states: Sequence[TrialState]) -> list[FrozenTrial]:
        """Trials in ``states`` (not copied: read only)."""
        return self.storage.get_all_trials(self.study_id, deepcopy=False, states=tuple(states))

    def n_complete(self) -> int:
        """COMPLETE trials of the study (all processes)."""
        return len(self.trials((TrialState.COMPLETE,)))

    def has_room(self, budget: int) -> bool:
        """True while COMPLETE + RUNNING trials (all processes) leave room in ``budget``."""
        return len(self.trials(LIVE)) < budget

    def yield_reason(self, number: int, key: str, budget: int) -> str | None:
        """Why trial ``number`` must not evaluate design ``key`` now (``None``: go ahead)."""
        return yield_reasons([(number, key)], self.trials(LIVE), budget)[0]

    # --- claims -------------------------------------------------------------------------------
    def _running_template(self, design: Mapping[str, Any]) -> FrozenTrial:
        """A RUNNING trial holding a fixed design, this process as its worker."""
        params = self.space.trial_params(design)
        dists: dict[str, BaseDistribution] = self.space.distributions(params)
        return FrozenTrial(
            number=-1,
            state=TrialState.RUNNING,
            value=None,
            values=None,
            datetime_start=datetime.now(),
            datetime_complete=None,
            params=params,
            distributions=dists,
            user_attrs=attrs.claim_attrs(design),
            system_attrs={attrs.WORKER_ATTR: self.worker, attrs.HEARTBEAT_ATTR: time.time()},
            intermediate_values={},
            trial_id=-1,
        )

    def claim(self, designs: Mapping[str, Mapping[str, Any]], budget: int) -> list[Claim]:
        """Claim designs (by key, in order) as far as ``budget`` leaves room.

        Designs another process is evaluating are left alone (ask again later). The claims are
        created in one storage write; those that must yield (:func:`yield_reasons`) are ended
        PRUNED at once. Returns the claims this process evaluates, in order.
        """
        live = self.trials(LIVE)
        room = budget - len(live)
        running = {
            t.user_attrs.get(attrs.DESIGN_KEY) for t in live if t.state == TrialState.RUNNING
        }
        keys = [key for key in designs if key not in running][: max(0, room)]
        if not keys:
            return []
        templates = [self._running_template(designs[key]) for key in keys]
        made = st.create_running_trials(self.storage, self.study_id, templates)
        claims = [Claim(tid, number, key) for (tid, number), key in zip(made, keys, strict=True)]
        reasons = yield_reasons([(c.number, c.key) for c in claims], self.trials(LIVE), budget)
        mine = []
        for c, reason in zip(claims, reasons, strict=True):
            if reason is None:
                mine.append(c)
            else:
                self.skip(c.trial_id, reason)
        return mine

    # --- results ------------------------------------------------------------------------------
    def finish(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        note: str | None = None,
    ) -> None:
        """End a RUNNING trial: attributes, dashboard ``note``, state and values in one write.

        Replaces ``Study.tell`` (which re-reads and deep-copies the trial); the sampler, if
        any, still gets its ``after_trial`` call.
        """
        if self.sampler is not None:
            frozen = self.storage.get_trial(trial_id)
            self.sampler.after_trial(self.study, frozen, state, values)
        st.finish_trial(
            self.storage,
            trial_id,
            state,
            values,
            user_attrs,
            system_attrs,
            study_system_attrs=None if note is None else notes.note_attrs(trial_id, note),
            study_id=self.study_id,
        )

    def complete(
        self, trial_id: int, ev: Evaluation, written: Sequence[str] = (attrs.DESIGN_KEY,)
    ) -> None:
        """Store ``ev`` as the trial's result with its note (``written``: user attributes it
        already has)."""
        user, system = attrs.result_attrs(ev, written)
        self.finish(trial_id, TrialState.COMPLETE, ev.values, user, system, notes.trial_note(ev))

    def skip(self, trial_id: int, reason: str) -> None:
        """End a claim that yields (PRUNED, ``skipped`` = why)."""
        self.finish(trial_id, TrialState.PRUNED, None, {attrs.SKIPPED: reason})

    def fail(self, trial_id: int, message: str) -> None:
        """End a trial whose evaluation raised (FAIL, ``failed_reason`` = the error)."""
        self.finish(trial_id, TrialState.FAIL, None, {attrs.FAILED_REASON: message})

    def interrupt(self, trial_id: int, signal_name: str) -> None:
        """End a trial a signal stopped (FAIL, ``carbonspot:interrupted`` = the signal)."""
        self.finish(
            trial_id,
            TrialState.FAIL,
            None,
            attrs.interrupted_attrs(signal_name),
            note=notes.interrupted_note(signal_name),
        )


def interrupt_running(
    storage: optuna.storages.BaseStorage,
    study_id: int,
    pids: Collection[int],
    signal_name: str,
    since: float = 0.0,
) -> int:
    """Mark interrupted the RUNNING trials of processes ``pids`` on this host; count them.

    Counts too the trials those processes (started after ``since``, a ``time.time()``) marked
    interrupted themselves, so the count is the run's. Used after a run stopped by a signal,
    on a freshly opened storage: the trials still RUNNING are those the processes could not end
    themselves (a child stopped before it could, a claim not yet in the evaluation loop).
    """
    host = socket.gethostname()
    wanted = {int(p) for p in pids}
    n = 0
    for t in storage.get_all_trials(study_id, deepcopy=False):
        info = t.system_attrs.get(attrs.WORKER_ATTR)
        if not isinstance(info, dict) or info.get("host") != host:
            continue
        if int(info.get("pid", -1)) not in wanted or float(info.get("start", 0.0)) < since:
            continue
        if t.state == TrialState.RUNNING:
            with contextlib.suppress(Exception):  # finished meanwhile
                st.finish_trial(
                    storage,
                    t._trial_id,
                    TrialState.FAIL,
                    None,
                    attrs.interrupted_attrs(signal_name),
                    study_system_attrs=notes.note_attrs(
                        t._trial_id, notes.interrupted_note(signal_name)
                    ),
                    study_id=study_id,
                )
                n += 1
        elif t.state == TrialState.FAIL and t.user_attrs.get(attrs.INTERRUPTED):
            n += 1
    return n
