"""The study objective: design → metrics (memoised) → objective values and constraint values.

The metrics come from a *metrics function* ``design -> DesignMetrics``. The real one,
:class:`DesignEvaluator`, runs :class:`carbonspot.design.DesignPipeline` (the pipeline
shared with ``evaluate``, ``sweep`` and the reports); tests of the search plumbing may pass any other
function with the same shape. An infeasible design (the template rejects it or a layer cannot be
mapped) is never an exception: it gets objective values ``inf`` (worst) and a violated
``feasible`` constraint, so every solver ranks it behind every feasible design.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from carbonspot.design import (
    CARBON_COLUMNS,
    GEO,
    PERFORMANCE_COLUMNS,
    DesignPipeline,
    load_workloads,
)
from carbonspot.mapper.exhaustive import DEFAULT_MAPPER
from carbonspot.search.space import MAPPER_OBJECTIVE, TEMPLATE, design_key

if TYPE_CHECKING:
    from carbonspot.evaluate import Evaluator

# Study objective name → (metric column, default direction, unit).
OBJECTIVES: dict[str, tuple[str, str, str]] = {
    "latency": ("latency_ns", "minimize", "ns"),
    "energy": ("energy_pj", "minimize", "pJ"),
    "carbon_ca": ("carbon_ca_g", "minimize", "g"),
    "carbon_pa": ("carbon_pa_g", "minimize", "g"),
    "area": ("area_mm2", "minimize", "mm2"),
    "edp": ("edp_pj_ns", "minimize", "pJ*ns"),
    "tops_per_w": ("tops_per_w", "maximize", "TOP/s/W"),
}
DIRECTIONS = ("minimize", "maximize")

# Constraint name → metric column it bounds from above (``meets_period`` is a boolean).
CONSTRAINTS: dict[str, str] = {
    "max_area_mm2": "area_mm2",
    "max_power_mw": "power_mw",
    "max_latency_ns": "latency_ns",
    "max_energy_pj": "energy_pj",
    "meets_period": "meets_period",
}
# Columns of the summary row kept in the trial's ``metrics`` user attribute (the per-workload
# rows keep every column but the identity ones), ending with the mapper that produced them.
HEADLINE = (
    *(c for c in PERFORMANCE_COLUMNS if c not in ("ops", "tops_per_mm2")),
    "power_mw",
    "edp_pj_ns",
    *CARBON_COLUMNS,
    "meets_period",
    "period_s",
    "mapper",
)
_SKIP_COLUMNS = {"workload", "acc_type", "sram_bytes", "dim", "suite", "feasible", "reason"}


@dataclass
class DesignMetrics:
    """What the metrics function returns for one design.

    ``summary`` is the row the objectives read (the ``geo`` row over several workloads, else the
    single workload's row); ``workloads`` maps workload name → its full flat row (breakdowns
    included).
    """

    summary: dict[str, Any]
    workloads: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        """True when the cost model could evaluate the design on every workload."""
        return bool(self.summary.get("feasible", False))

    @property
    def reason(self) -> str:
        """Why the design is infeasible ('' when feasible)."""
        return str(self.summary.get("reason") or "")


MetricsFunction = Callable[[Mapping[str, Any]], DesignMetrics]


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def derived(row: Mapping[str, Any]) -> dict[str, Any]:
    """Row plus derived columns: ``edp_pj_ns`` and ``power_mw`` (= pJ/ns, continuous run)."""
    out = dict(row)
    e, t = row.get("energy_pj"), row.get("latency_ns")
    if _finite(e) and _finite(t):
        out.setdefault("edp_pj_ns", float(e) * float(t))
        out.setdefault("power_mw", float(e) / float(t) if t else math.inf)
    return out


def _jsonable(value: Any) -> Any:
    if type(value) is float:  # most cells: skip the generic checks
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def compact_row(row: Mapping[str, Any], headline_only: bool = False) -> dict[str, Any]:
    """JSON-safe copy of a row (NaN → None), optionally the headline columns only."""
    keys = HEADLINE if headline_only else [k for k in row if k not in _SKIP_COLUMNS]
    return {k: _jsonable(row[k]) for k in keys if k in row}


class DesignEvaluator:
    """Metrics function of a study: a :class:`DesignPipeline` on the study's workloads.

    The pipeline is the one ``sweep`` uses, so a design gets the same rows (and the same
    carbon, DRAM rule included) in a study as in a sweep. ``mapper`` is the per-layer search
    of every evaluation (one per evaluator, so the memo of a study, keyed by design, never
    mixes mappers within a process). Picklable (the pipeline and the workloads are made lazily
    in each process) so ``--jobs`` worker processes can use it.
    """

    def __init__(
        self,
        preset: str,
        workloads: Sequence[str],
        suite: str | None,
        carbon: Mapping[str, Any] | None = None,
        period_s: float | Mapping[str, float] | None = None,
        default_objective: str = "edp",
        mapper: str = DEFAULT_MAPPER,
        data_locality: bool = True,
    ) -> None:
        self.preset = preset
        self.mapper = mapper
        self.data_locality = data_locality
        self.workload_names = tuple(workloads)
        self.suite = suite
        self.carbon = dict(carbon or {})
        self.period_s = period_s
        self.default_objective = default_objective
        self._workloads: list[Any] | None = None
        self._pipelines: dict[str, DesignPipeline] = {}
        self._evaluator: Evaluator | None = None  # the mapper's caches, one per process

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_workloads"] = None
        state["_pipelines"] = {}
        state["_evaluator"] = None
        return state

    def pipeline(self, objective: str | None = None) -> DesignPipeline:
        """The pipeline of designs with mapper objective ``objective`` (default: the study's)."""
        objective = objective or self.default_objective
        if objective not in self._pipelines:
            self._pipelines[objective] = DesignPipeline.from_overrides(
                self.preset,
                objective,
                self.mapper,
                self.carbon,
                period_s=self.period_s,
                suite=self.suite,
                data_locality=self.data_locality,
            )
        return self._pipelines[objective]

    def __call__(self, design: Mapping[str, Any]) -> DesignMetrics:
        if self._workloads is None:
            self._workloads = load_workloads(self.suite, self.workload_names)
        if self._evaluator is None:
            from carbonspot.evaluate import Evaluator  # the cost model: loaded on first use

            self._evaluator = Evaluator()
        params = {k: v for k, v in design.items() if k not in (TEMPLATE, MAPPER_OBJECTIVE)}
        pipeline = self.pipeline(design.get(MAPPER_OBJECTIVE))
        rows = pipeline.rows(
            str(design[TEMPLATE]), params, self._workloads, evaluator=self._evaluator
        )
        per = {str(r["workload"]): derived(r) for r in rows if r.get("workload") != GEO}
        geo = [r for r in rows if r.get("workload") == GEO]
        summary = derived(geo[0]) if geo else next(iter(per.values()))
        return DesignMetrics(summary=summary, workloads=per)


@dataclass(frozen=True)
class Objective:
    """One study objective: name (see :data:`OBJECTIVES`) and direction."""

    name: str
    direction: str

    @property
    def column(self) -> str:
        """Metric column the objective reads."""
        return OBJECTIVES[self.name][0]

    @property
    def label(self) -> str:
        """Display name with unit, e.g. ``latency_ns``."""
        return self.column


@dataclass(frozen=True)
class Constraint:
    """``column <= bound`` (or ``meets_period`` must hold); violation > 0 means infeasible."""

    name: str
    bound: float | bool

    def violation(self, summary: Mapping[str, Any], feasible: bool) -> float:
        """Normalised violation: ``(value - bound) / bound`` (≤ 0 when satisfied)."""
        if not feasible:
            return 1.0
        column = CONSTRAINTS[self.name]
        value = summary.get(column)
        if self.name == "meets_period":
            return 0.0 if (not self.bound or bool(value)) else 1.0
        if not _finite(value):
            return 1.0
        bound = float(self.bound)
        return (float(value) - bound) / bound if bound > 0 else float(value) - bound


@dataclass
class Evaluation:
    """A design's outcome as stored in a trial: values, constraints and user attributes."""

    key: str
    design: dict[str, Any]
    values: list[float]
    constraints: dict[str, float]
    feasible: bool
    reason: str
    metrics: dict[str, Any]
    workloads: dict[str, dict[str, Any]]

    @property
    def violation(self) -> float:
        """Total positive constraint violation (0 = feasible under every constraint)."""
        return float(sum(max(0.0, v) for v in self.constraints.values()))

    def user_attrs(self) -> dict[str, Any]:
        """The optuna user attributes of the trial (JSON values only)."""
        return {
            "design_key": self.key,
            "design": self.design,
            "feasible": self.feasible,
            "reason": self.reason,
            "metrics": self.metrics,
            "workloads": self.workloads,
        }


def evaluation_from_metrics(
    design: Mapping[str, Any],
    metrics: DesignMetrics,
    objectives: Sequence[Objective],
    constraints: Sequence[Constraint],
) -> Evaluation:
    """Objective values (worst = ``inf`` when infeasible) and constraints of a design."""
    summary = metrics.summary
    feasible = metrics.feasible
    values = []
    for obj in objectives:
        v = summary.get(obj.column)
        if not feasible or not _finite(v):
            values.append(math.inf if obj.direction == "minimize" else -math.inf)
            feasible = feasible and _finite(v)
        else:
            values.append(float(v))
    cons = {"feasible": 0.0 if feasible else 1.0}
    for c in constraints:
        cons[c.name] = float(c.violation(summary, feasible))
    reason = metrics.reason
    if not feasible and not reason:
        reason = "the cost model returned no value for an objective"
    return Evaluation(
        key=design_key(design),
        design=dict(design),
        values=values,
        constraints=cons,
        feasible=feasible,
        reason=reason,
        metrics=compact_row(summary, headline_only=True),
        workloads={name: compact_row(row) for name, row in metrics.workloads.items()},
    )


class MemoObjective:
    """design → :class:`Evaluation`, memoised by canonical design key in this process."""

    def __init__(
        self,
        metrics_fn: MetricsFunction,
        objectives: Sequence[Objective],
        constraints: Sequence[Constraint] = (),
    ) -> None:
        self.metrics_fn = metrics_fn
        self.objectives = tuple(objectives)
        self.constraints = tuple(constraints)
        self.cache: dict[str, Evaluation] = {}
        self.n_evaluated = 0

    def evaluate(self, design: Mapping[str, Any]) -> Evaluation:
        """Evaluate a design (cached: a design is evaluated at most once per process)."""
        key = design_key(design)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        ev = self.compute(design)
        self.cache[key] = ev
        return ev

    def compute(self, design: Mapping[str, Any]) -> Evaluation:
        """Evaluate without the cache (used by pool workers)."""
        metrics = self.metrics_fn(design)
        self.n_evaluated += 1
        return evaluation_from_metrics(design, metrics, self.objectives, self.constraints)

    def remember(self, ev: Evaluation) -> None:
        """Add an evaluation found in the storage (e.g. by another process)."""
        self.cache.setdefault(ev.key, ev)

    def minimised(self, values: Sequence[float]) -> list[float]:
        """Values as minimisation (maximised objectives negated)."""
        return [
            float(v) if o.direction == "minimize" else -float(v)
            for v, o in zip(values, self.objectives, strict=True)
        ]
