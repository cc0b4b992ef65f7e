"""The attributes a study writes on its trials and on the study, and the one parser of them.

A study stores everything about a design in optuna attributes, so any optuna tool (the
dashboard, ``optuna.load_study``) reads the results and a resumed run rebuilds its memo from
them. The keys are named here once; the runner writes them through :func:`claim_attrs` and
:func:`result_attrs`, and every reader (the memo sync, ``study status/export/pareto``, the
report) parses a trial with :func:`parse_trial`.

Trial user attributes: ``design_key`` (canonical design, :func:`~carbonspot.search.space.design_key`),
``design``, ``feasible``, ``reason`` (why infeasible), ``metrics`` (the summary row's headline
metrics), ``workloads`` (each workload's full row); ``skipped`` on a PRUNED claim that yielded
and ``failed_reason`` on a FAIL trial. Trial system attributes: ``constraints:<name>`` (optuna's
constraint format, ≤ 0 = satisfied), this process's identity and heartbeat. Study attributes:
the study file summary (user) and the pymoo checkpoint of each seed (system).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from carbonspot.search.objective import Evaluation
from carbonspot.search.space import design_key

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

# --- trial user attributes ----------------------------------------------------------------
DESIGN_KEY = "design_key"
DESIGN = "design"
FEASIBLE = "feasible"
REASON = "reason"
METRICS = "metrics"
WORKLOADS = "workloads"
SKIPPED = "skipped"
FAILED_REASON = "failed_reason"

# --- trial system attributes ----------------------------------------------------------------
CONSTRAINT_PREFIX = "constraints:"  # optuna's format: ``constraints:<name>`` -> value
WORKER_ATTR = "carbonspot:worker"  # {"host", "pid", "start"} of the process running the trial
HEARTBEAT_ATTR = "carbonspot:heartbeat"  # time.time() of the last beat

# --- study attributes -------------------------------------------------------------------------
SPEC_ATTR = "carbonspot:spec"  # user attribute: the study file's summary (latest run)
CHECKPOINT_PREFIX = "carbonspot"  # system attribute ``carbonspot:<solver tag>:<seed>``


def checkpoint_attr(tag: str, seed: int) -> str:
    """Study system attribute holding a solver's checkpoint, e.g. ``carbonspot:pymoo:0``."""
    return f"{CHECKPOINT_PREFIX}:{tag}:{seed}"


@dataclass(frozen=True)
class TrialAttrs:
    """What a study stored on one trial, parsed (missing attributes are empty)."""

    design_key: str | None
    design: dict[str, Any]  # the ``design`` attribute ({} when absent)
    feasible: bool | None  # None: the trial records no evaluation
    reason: str  # why the design is infeasible ('' when feasible)
    skipped: str  # why a claim yielded to another trial (PRUNED trials)
    failed_reason: str  # why the trial failed (FAIL trials)
    metrics: dict[str, Any]
    workloads: dict[str, dict[str, Any]]
    constraints: dict[str, float]  # ≤ 0 = satisfied

    @property
    def note(self) -> str:
        """Why the trial ended as it did: infeasible, skipped or failed ('' otherwise)."""
        return self.reason or self.skipped or self.failed_reason

    def full_design(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The whole design (fixed values included): the canonical key, else ``design``, else
        the trial's ``params``."""
        if isinstance(self.design_key, str):
            try:
                design = json.loads(self.design_key)
            except ValueError:
                design = None
            if isinstance(design, dict):
                return design
        return dict(self.design or params)


def constraint_values(system_attrs: Mapping[str, Any]) -> dict[str, float]:
    """``{name: value}`` of the ``constraints:<name>`` system attributes."""
    n = len(CONSTRAINT_PREFIX)
    return {k[n:]: float(v) for k, v in system_attrs.items() if k.startswith(CONSTRAINT_PREFIX)}


def parse_trial(t: FrozenTrial) -> TrialAttrs:
    """The attributes a study wrote on trial ``t``."""
    ua = t.user_attrs
    key = ua.get(DESIGN_KEY)
    feasible = ua.get(FEASIBLE)
    return TrialAttrs(
        design_key=None if key is None else str(key),
        design=dict(ua.get(DESIGN) or {}),
        feasible=None if feasible is None else bool(feasible),
        reason=str(ua.get(REASON) or ""),
        skipped=str(ua.get(SKIPPED) or ""),
        failed_reason=str(ua.get(FAILED_REASON) or ""),
        metrics=dict(ua.get(METRICS) or {}),
        workloads=dict(ua.get(WORKLOADS) or {}),
        constraints=constraint_values(t.system_attrs),
    )


def evaluation_from_trial(t: FrozenTrial) -> Evaluation | None:
    """The :class:`Evaluation` a COMPLETE study trial stores (``None`` if it stores none)."""
    if DESIGN_KEY not in t.user_attrs or t.values is None:
        return None
    a = parse_trial(t)
    return Evaluation(
        key=str(a.design_key),
        design=a.design,
        values=list(t.values),
        constraints=a.constraints,
        feasible=a.feasible is not False,
        reason=a.reason,
        metrics=a.metrics,
        workloads=a.workloads,
    )


# --- writing ----------------------------------------------------------------------------------


def claim_attrs(design: Mapping[str, Any]) -> dict[str, Any]:
    """User attributes of a RUNNING trial claiming ``design``."""
    return {DESIGN_KEY: design_key(design), DESIGN: dict(design)}


def result_attrs(
    ev: Evaluation, written: Sequence[str] = (DESIGN_KEY,)
) -> tuple[dict[str, Any], dict[str, float]]:
    """(user, system) attributes of a COMPLETE trial, without the user attributes ``written``
    already (by its claim)."""
    user = {
        DESIGN_KEY: ev.key,
        DESIGN: ev.design,
        FEASIBLE: ev.feasible,
        REASON: ev.reason,
        METRICS: ev.metrics,
        WORKLOADS: ev.workloads,
    }
    system = {f"{CONSTRAINT_PREFIX}{k}": float(v) for k, v in ev.constraints.items()}
    return {k: v for k, v in user.items() if k not in written}, system
