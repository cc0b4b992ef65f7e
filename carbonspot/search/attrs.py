"""The attributes a study writes on its trials and on the study, and the one parser of them.

A study stores everything about a design in optuna attributes, so any optuna tool (the
dashboard, ``optuna.load_study``) reads the results and a resumed run rebuilds its memo from
them. The keys are named here once; the runner writes them through :func:`claim_attrs` and
:func:`result_attrs`, and every reader (the memo sync, ``study status/export/pareto``, the
report) parses a trial with :func:`parse_trial`.

Trial user attributes: ``design_key`` (canonical design, :func:`~carbonspot.search.space.design_key`),
``design``, ``feasible``, ``reason`` (why infeasible), the headline metrics as one number each
(:data:`NUMERIC_ATTRS`, per inference: the dashboard's trial table sorts by them), ``metrics``
(the summary row's headline metrics as one JSON object), ``workloads`` (each workload's full
row); ``skipped`` on a PRUNED claim that yielded and ``failed_reason`` on a FAIL trial, with
``carbonspot:interrupted`` (the signal) when a SIGINT or SIGTERM stopped it rather than an error.
Trial system attributes: ``constraints:<name>`` (optuna's constraint format, ≤ 0 = satisfied),
this process's identity and heartbeat. Study attributes: the study file summary (user) and the
pymoo checkpoint of each seed (system). Trial and study notes are optuna-dashboard's study
system attributes (:mod:`carbonspot.search.notes`).
"""

from __future__ import annotations

import json
import math
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
INTERRUPTED = "carbonspot:interrupted"  # FAIL trials a signal stopped: "SIGINT" or "SIGTERM"

# Numeric user attributes: headline metrics of the summary row (the geometric mean over the
# workloads, or the single workload's row), per inference, one finite number each.
NUMERIC_METRICS: tuple[str, ...] = (
    "latency_ns",
    "energy_pj",
    "area_mm2",
    "tops_per_w",
    "power_mw",
    "carbon_ca_g",
    "carbon_pa_g",
)
# The carbon split of the summary row [g CO₂-eq per inference], CA and PA: operational (the
# energy's carbon) and embodied (die, package, DRAM, SSD). See :func:`carbon_split`.
CARBON_SPLIT: tuple[str, ...] = (
    "carbon_ca_operational_g",
    "carbon_ca_embodied_g",
    "carbon_pa_operational_g",
    "carbon_pa_embodied_g",
)
NUMERIC_ATTRS: tuple[str, ...] = (*NUMERIC_METRICS, *CARBON_SPLIT)
SCENARIOS: tuple[str, ...] = ("ca", "pa")

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
    interrupted: str  # the signal that stopped the trial ('' when none did)
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
        interrupted=str(ua.get(INTERRUPTED) or ""),
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


# --- numbers of a trial -------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def carbon_split(
    metrics: Mapping[str, Any], workloads: Mapping[str, Mapping[str, Any]]
) -> dict[str, float]:
    """Operational and embodied carbon of the summary row [g CO₂-eq per inference].

    Keys :data:`CARBON_SPLIT`. Each workload row has its own breakdown
    (``carbon_<ca|pa>_operational_g``). Over several workloads the summary's operational carbon
    is the geometric mean of theirs (the rule of the summary's totals, so it is the same under
    CA and PA, as in the model) and the embodied carbon is the rest of the summary's total; for
    one workload both are that workload's. Empty when the rows carry no breakdown.
    """
    out: dict[str, float] = {}
    for scen in SCENARIOS:
        total = _number(metrics.get(f"carbon_{scen}_g"))
        found = [_number(row.get(f"carbon_{scen}_operational_g")) for row in workloads.values()]
        ops = [op for op in found if op is not None]
        if total is None or not ops or len(ops) < len(found):
            continue
        operational = 0.0
        if min(ops) > 0.0:
            operational = min(total, math.exp(sum(math.log(op) for op in ops) / len(ops)))
        out[f"carbon_{scen}_operational_g"] = operational
        out[f"carbon_{scen}_embodied_g"] = total - operational
    return out


def numeric_attrs(ev: Evaluation) -> dict[str, float]:
    """The numeric user attributes of an evaluation (:data:`NUMERIC_ATTRS`, finite values).

    None for an infeasible design: its numbers would sort among the real ones.
    """
    if not ev.feasible:
        return {}
    out = {k: v for k in NUMERIC_METRICS if (v := _number(ev.metrics.get(k))) is not None}
    out.update(carbon_split(ev.metrics, ev.workloads))
    return out


# --- writing ----------------------------------------------------------------------------------


def claim_attrs(design: Mapping[str, Any]) -> dict[str, Any]:
    """User attributes of a RUNNING trial claiming ``design``."""
    return {DESIGN_KEY: design_key(design), DESIGN: dict(design)}


def result_attrs(
    ev: Evaluation, written: Sequence[str] = (DESIGN_KEY,)
) -> tuple[dict[str, Any], dict[str, float]]:
    """(user, system) attributes of a COMPLETE trial, without the user attributes ``written``
    already (by its claim).

    The numeric attributes come before the JSON ones, so the dashboard's trial table shows their
    columns first.
    """
    user = {
        DESIGN_KEY: ev.key,
        DESIGN: ev.design,
        FEASIBLE: ev.feasible,
        **numeric_attrs(ev),
        REASON: ev.reason,
        METRICS: ev.metrics,
        WORKLOADS: ev.workloads,
    }
    system = {f"{CONSTRAINT_PREFIX}{k}": float(v) for k, v in ev.constraints.items()}
    return {k: v for k, v in user.items() if k not in written}, system


def interrupted_attrs(signal_name: str) -> dict[str, str]:
    """User attributes of a RUNNING trial a signal stopped (it is ended FAIL with them)."""
    return {
        FAILED_REASON: f"interrupted by {signal_name} (not a failure: running the study again "
        "resumes it)",
        INTERRUPTED: signal_name,
    }
