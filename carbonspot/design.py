"""One design → flat result rows: the one pipeline every command evaluates designs with.

A *design* is an accelerator template name plus its parameters (``{"dim": 128,
"sram_bytes": 131072}``). A :class:`DesignPipeline` holds what the designs of a run share
(preset, mapper objective, mapper, carbon parameters and the DRAM rule, periods); its
:meth:`~DesignPipeline.rows` builds the accelerator once per workload (the template may keep
weights on chip only when they fit, carbonspot-model.md §3.3), maps and costs every workload,
adds carbon (CA and PA, each workload's own period) and returns one flat row per workload plus
a ``geo`` row: the geometric mean over the workloads, as in the paper (carbonspot-model.md
§2.3) but with the design's own area and clock instead of the last workload's (§13 item 12).
:func:`evaluate_design` is the same for one design.

Rows are plain dicts of scalars so they go straight into a CSV, a DataFrame or an optuna
objective. Nothing here raises for an infeasible design or layer: such rows carry
``feasible=False`` and the ``reason``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from carbonspot.cost.results import WorkloadResult
from carbonspot.errors import InputError
from carbonspot.mapper.exhaustive import DEFAULT_MAPPER, MAPPERS, OBJECTIVES
from carbonspot.presets import DEFAULT_PRESET, get_preset
from carbonspot.workload.model import Workload

if TYPE_CHECKING:
    from carbonspot.carbon.model import CarbonParams
    from carbonspot.evaluate import Evaluator
    from carbonspot.hardware.model import Accelerator

GEO = "geo"

# Headline performance of a workload (:func:`performance_columns`), in CSV order.
PERFORMANCE_COLUMNS: tuple[str, ...] = (
    "ops",
    "energy_pj",
    "latency_cycles",
    "tclk_ns",
    "latency_ns",
    "area_mm2",
    "tops_per_w",
    "tops",
    "tops_per_mm2",
)
CARBON_COLUMNS: tuple[str, ...] = ("carbon_ca_g", "carbon_pa_g")  # per inference, CA and PA
# Columns every row has, in CSV order. Breakdown columns (``energy_<part>_pj`` …,
# ``carbon_<part>_g``) follow, in first-seen order.
BASE_COLUMNS: tuple[str, ...] = (
    "workload",
    "acc_type",
    "sram_bytes",
    "dim",
    *PERFORMANCE_COLUMNS,
    "feasible",
    "reason",
    "period_s",
    "meets_period",
    *CARBON_COLUMNS,
)
# Headline metrics averaged geometrically in the ``geo`` row (carbonspot-model.md §2.3).
GEO_METRICS: tuple[str, ...] = (
    *PERFORMANCE_COLUMNS,
    "period_s",
    *CARBON_COLUMNS,
    "carbon_ca_ex_pkg_g",
    "carbon_pa_ex_pkg_g",
)
# Carbon keys that set the DRAM capacity charged (see :meth:`DesignPipeline.carbon_for`).
CARBON_DRAM_KEYS: tuple[str, ...] = ("dram_gb", "dram_mb")

Row = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Seams to the other models (hardware templates, cost model + mapper, carbon model)
# --------------------------------------------------------------------------------------------


def design_spec(template: str, params: Mapping[str, object]) -> str:
    """Template spec string ``NAME:key=value,...`` for a template and its parameters."""
    if not params:
        return template
    return f"{template}:" + ",".join(f"{k}={_spec_value(v)}" for k, v in params.items())


def _spec_value(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build_accelerator(
    template: str,
    params: Mapping[str, object],
    preset: str,
    workload: Workload | None = None,
) -> Accelerator:
    """The accelerator of a design (raises :class:`InputError` when the template rejects it).

    ``workload`` lets the template keep weights in on-chip SRAM when they fit.
    """
    from carbonspot.hardware.templates import build_template

    weight_bytes = workload.weight_bytes if workload is not None else None
    return build_template(
        template,
        dict(params),
        preset,
        workload_weight_bytes=weight_bytes,
        spec=design_spec(template, params),
    )


def resolve_carbon_params(
    preset: str, overrides: Mapping[str, object] | None = None, source: str | None = None
) -> CarbonParams:
    """Carbon parameters of a preset with user overrides applied (carbon model's validation)."""
    from carbonspot.carbon.params import get_carbon_params

    return get_carbon_params(preset, dict(overrides or {}), source=source)


def with_dram_gb(carbon_params: CarbonParams, dram_gb: object) -> CarbonParams:
    """Carbon parameters charging ``dram_gb`` GB of DRAM (a design's own DRAM capacity)."""
    try:
        value = float(dram_gb)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return carbon_params  # the template reports the bad value itself
    if value == getattr(carbon_params, "dram_gb", None):
        return carbon_params
    return dataclasses.replace(carbon_params, dram_gb=value)


def with_dram_type(carbon_params: CarbonParams, dram_type: object) -> CarbonParams:
    """Carbon parameters charging the carbon per GB of a design's ``dram_type``.

    The type's ``carbon_dram`` row of ``carbon/memory_cps.csv`` (hardware/memory.py
    ``dram_types``) replaces the preset's DRAM, in CA and PA alike; the ``default`` type (and
    no type) keeps the carbon parameters as they are.
    """
    from carbonspot.carbon.params import memory_table
    from carbonspot.hardware.memory import dram_types

    kind = dram_types().get(str(dram_type).strip().lower()) if dram_type else None
    if kind is None or kind.carbon_dram is None:
        return carbon_params
    g_per_gb = memory_table("dram")[kind.carbon_dram]
    return dataclasses.replace(
        carbon_params,
        dram_type=kind.carbon_dram,
        dram_g_per_gb=g_per_gb,
        dram_pa_type=None,
        dram_g_per_gb_pa=None,
    )


def _carbon_columns(result: WorkloadResult, period_s: float | None, carbon_params) -> Row:
    from carbonspot.carbon import model as carbon

    period_ns = float("nan") if period_s is None else period_s * 1e9
    cols = carbon.carbon_columns(
        result.energy_pj,
        result.latency_cycles * result.tclk_ns,
        result.area_mm2,
        period_ns,
        carbon_params,
    )
    row: Row = {}
    for key, value in cols.items():
        item = value.item() if hasattr(value, "item") and value.size == 1 else value
        row[key] = bool(item) if key in ("meets_period", "pa_feasible") else float(item)
    return row


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def column_key(part: str) -> str:
    """A breakdown part name as a column fragment: ``mem:sram:I`` → ``mem_sram_I``."""
    return re.sub(r"[^0-9A-Za-z]+", "_", str(part)).strip("_")


def _is_mem(part: str) -> bool:
    return str(part).startswith("mem")


def breakdown_columns(result: WorkloadResult) -> Row:
    """Flat breakdown columns of a workload result.

    Aggregates first (``energy_array_pj``, ``energy_mem_pj``, ``latency_mac_cycles``,
    ``latency_stall_cycles`` = every cycle beyond the ideal ones, ``area_array_mm2``,
    ``area_mem_mm2`` — the paper's bar-chart split), then every part
    (``energy_mem_sram_I_pj`` …); a part whose name equals an aggregate's gets ``part_`` in
    front (``latency_part_stall_cycles``).
    """
    row: Row = {}
    energy = result.energy_breakdown_pj or {}
    if energy:
        row["energy_array_pj"] = sum(v for k, v in energy.items() if not _is_mem(k))
        row["energy_mem_pj"] = sum(v for k, v in energy.items() if _is_mem(k))
    latency = result.latency_breakdown_cycles or {}
    if latency:
        mac = latency.get("mac_computation", latency.get("ideal", float("nan")))
        row["latency_mac_cycles"] = mac
        row["latency_stall_cycles"] = sum(
            v for k, v in latency.items() if k not in ("mac_computation", "ideal")
        )
    area = result.area_breakdown_mm2 or {}
    if area:
        row["area_array_mm2"] = sum(v for k, v in area.items() if not _is_mem(k))
        row["area_mem_mm2"] = sum(v for k, v in area.items() if _is_mem(k))
    aggregates = set(row)
    for name, parts, unit in (
        ("energy", energy, "pj"),
        ("latency", latency, "cycles"),
        ("area", area, "mm2"),
        ("tclk", result.tclk_breakdown_ns or {}, "ns"),
    ):
        for part, value in parts.items():
            key = f"{name}_{column_key(part)}_{unit}"
            if key in aggregates:  # e.g. the "stall" part vs. the stall aggregate
                key = f"{name}_part_{column_key(part)}_{unit}"
            row[key] = value
    return row


def _safe_ratio(num: float, den: float) -> float:
    try:
        value = num / den
    except ZeroDivisionError:
        return float("nan")
    return value


def performance_columns(result: WorkloadResult) -> Row:
    """Headline performance columns of a workload result (NaN where undefined)."""
    latency_ns = result.latency_cycles * result.tclk_ns
    tops = _safe_ratio(result.ops, latency_ns * 1000.0)  # ops/ps = TOP/s
    return {
        "ops": result.ops,
        "energy_pj": result.energy_pj,
        "latency_cycles": result.latency_cycles,
        "tclk_ns": result.tclk_ns,
        "latency_ns": latency_ns,
        "area_mm2": result.area_mm2,
        "tops_per_w": _safe_ratio(result.ops, result.energy_pj),  # ops/pJ = TOP/s/W
        "tops": tops,
        "tops_per_mm2": _safe_ratio(tops, result.area_mm2),
    }


def design_columns(template: str, params: Mapping[str, object]) -> Row:
    """Identity columns of a design: ``acc_type``, ``sram_bytes``, ``dim`` and every parameter."""
    row: Row = {"acc_type": template}
    row["sram_bytes"] = params.get("sram_bytes")
    row["dim"] = params.get("dim")
    for key, value in params.items():
        row.setdefault(key, value)
    return row


def param_applies(template: str, name: str) -> bool:
    """False for a template parameter that ``template`` does not take or takes without using.

    From :data:`~carbonspot.hardware.templates.TEMPLATE_PARAMETERS`: the templates that take
    a parameter, and those that accept it unused (``unused_on``: ``adc_bits`` on ``dimc``, a
    DIMC has no ADC). Names that are no template parameter
    (``acc_type``, ``objective``) and any parameter of an accelerator that is not a template
    (a hardware YAML) apply.
    """
    from carbonspot.hardware.templates import TEMPLATE_PARAMETERS, TEMPLATE_PARAMS

    if template not in TEMPLATE_PARAMS or all(p.name != name for p in TEMPLATE_PARAMETERS):
        return True
    p = TEMPLATE_PARAMS[template].get(name)
    if p is None:
        return False
    return template not in p.unused_on


def shown_params(template: str, params: Mapping[str, object]) -> dict[str, object]:
    """The parameters of a design worth showing: those that apply to its template."""
    return {k: v for k, v in params.items() if param_applies(template, k)}


def _empty_row(workload: str, template: str, params: Mapping[str, object], reason: str) -> Row:
    row: Row = {"workload": workload, **design_columns(template, params)}
    for col in BASE_COLUMNS:
        row.setdefault(col, float("nan"))
    row["feasible"] = False
    row["reason"] = reason
    row["meets_period"] = False
    return row


def workload_period_s(
    workload: Workload, period_s: float | Mapping[str, float] | None
) -> float | None:
    """The period of a workload: an override (a number, or by workload name) or its own."""
    if isinstance(period_s, Mapping):
        value = period_s.get(workload.name)
        return float(value) if value is not None else workload.period_s
    if period_s is not None:
        return float(period_s)
    return workload.period_s


def result_row(
    result: WorkloadResult,
    template: str,
    params: Mapping[str, object],
    period_s: float | None,
    carbon_params,
) -> Row:
    """One flat row for a costed workload: identity, performance, carbon and breakdowns."""
    row: Row = {"workload": result.workload, **design_columns(template, params)}
    row.update(performance_columns(result))
    row["feasible"] = bool(result.feasible)
    row["reason"] = result.reason or ""
    row["period_s"] = float("nan") if period_s is None else period_s
    if result.feasible:
        row.update(_carbon_columns(result, period_s, carbon_params))
    else:
        row["meets_period"] = False
        row["carbon_ca_g"] = float("nan")
        row["carbon_pa_g"] = float("nan")
    for col in BASE_COLUMNS:
        row.setdefault(col, float("nan"))
    row.update(breakdown_columns(result))
    return row


def geometric_mean(values: Sequence[float]) -> float:
    """Geometric mean; 0 if any value is 0, NaN if any is negative or not finite."""
    if not values:
        return float("nan")
    total = 0.0
    for v in values:
        v = float(v)
        if not math.isfinite(v) or v < 0:
            return float("nan")
        if v == 0:
            return 0.0
        total += math.log(v)
    return math.exp(total / len(values))


def geo_row(rows: Sequence[Row], template: str, params: Mapping[str, object]) -> Row:
    """The ``geo`` row of a design: geometric mean of the headline metrics over ``rows``.

    Feasible only when every workload is; ``meets_period`` is True only when every workload
    meets its own period. Breakdown columns are left empty (a geometric mean of parts does not
    add up to the geometric mean of the total).
    """
    row: Row = {"workload": GEO, **design_columns(template, params)}
    infeasible = [r["workload"] for r in rows if not r.get("feasible")]
    for col in BASE_COLUMNS:
        row.setdefault(col, float("nan"))
    row["feasible"] = bool(rows) and not infeasible
    row["reason"] = f"infeasible workload(s): {', '.join(infeasible)}" if infeasible else ""
    row["meets_period"] = bool(rows) and all(bool(r.get("meets_period")) for r in rows)
    if row["feasible"]:
        for col in GEO_METRICS:
            if all(col in r for r in rows):
                row[col] = geometric_mean([r[col] for r in rows])
    return row


def _identity(params: Mapping[str, object], acc) -> Mapping[str, object]:
    """``params`` plus the template's resolved ``sram_bytes`` and square ``dim`` if not given."""
    resolved = dict(getattr(acc, "params", ()) or ())
    extra: dict[str, object] = {}
    if "sram_bytes" not in params and "sram_bytes" in resolved:
        extra["sram_bytes"] = resolved["sram_bytes"]
    if (
        "dim" not in params
        and resolved.get("d1") is not None
        and resolved.get("d1") == resolved.get("d2")
    ):
        extra["dim"] = resolved["d1"]
    return {**params, **extra} if extra else params


def load_workloads(suite: str | None, names: Sequence[str] = ()) -> list[Workload]:
    """The workloads of a run: a zoo suite, else each zoo name or model path, in order."""
    from carbonspot.workload import zoo

    if suite is not None:
        return list(zoo.suite(suite))
    return [zoo.load_workload(name) for name in names]


def carbon_sets_dram(overrides: Mapping[str, object]) -> bool:
    """True when carbon overrides set the DRAM capacity charged (``dram_gb`` or ``dram_mb``)."""
    return any(key in overrides for key in CARBON_DRAM_KEYS)


@dataclass(frozen=True)
class DesignPipeline:
    """Template + parameters + workloads → flat rows: the one path of every command.

    ``evaluate``, ``sweep``, the studies and the reports all evaluate designs through it. It
    holds what every design of a run shares: the model ``preset``, the mapper's per-layer
    ``objective``, the ``mapper``, the carbon parameters and whether the user fixed the DRAM
    capacity they charge (:meth:`carbon_for`), period overrides (a number or
    ``{workload: seconds}``) and the ``suite`` label of the rows. Make one with
    :meth:`from_overrides` (carbon overrides as the user wrote them); ``carbon_params=None`` is
    the preset's. Frozen and picklable: a sweep hands it to its worker processes.
    """

    preset: str = DEFAULT_PRESET
    objective: str = "edp"
    mapper: str = DEFAULT_MAPPER
    carbon_params: CarbonParams | None = None  # set by __post_init__ when None
    carbon_fixes_dram: bool = False
    period_s: float | Mapping[str, float] | None = None
    suite: str | None = None
    data_locality: bool = True  # evaluate_workload(data_locality=...): False = zigzag-dse's

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(
                f"unknown objective {self.objective!r}", field="objective", allowed=OBJECTIVES
            )
        if self.mapper not in MAPPERS:
            raise InputError(f"unknown mapper {self.mapper!r}", field="mapper", allowed=MAPPERS)
        if self.carbon_params is None:
            object.__setattr__(self, "carbon_params", resolve_carbon_params(self.preset))

    @classmethod
    def from_overrides(
        cls,
        preset: str = DEFAULT_PRESET,
        objective: str = "edp",
        mapper: str = DEFAULT_MAPPER,
        carbon: Mapping[str, object] | None = None,
        *,
        carbon_preset: str | None = None,
        source: str | None = None,
        period_s: float | Mapping[str, float] | None = None,
        suite: str | None = None,
        data_locality: bool = True,
    ) -> DesignPipeline:
        """A pipeline whose carbon parameters are ``carbon_preset`` (default: ``preset``) plus
        the user's ``carbon`` overrides (``source`` names them in errors)."""
        overrides = dict(carbon or {})
        carbon_params = resolve_carbon_params(carbon_preset or preset, overrides, source=source)
        return cls(
            preset=preset,
            objective=objective,
            mapper=mapper,
            carbon_params=carbon_params,
            carbon_fixes_dram=carbon_sets_dram(overrides),
            period_s=period_s,
            suite=suite,
            data_locality=data_locality,
        )

    def carbon_for(self, params: Mapping[str, object]) -> CarbonParams:
        """The carbon parameters a design is charged with: the one DRAM rule of every command.

        The DRAM capacity charged is the one the carbon overrides set (``dram_gb`` or
        ``dram_mb``), else the design's own ``dram_gb`` (the DRAM it is built with), else the
        preset's. Its carbon per GB is that of the design's ``dram_type`` when the design names
        one (:func:`with_dram_type`), else the carbon parameters' ``dram``.
        """
        carbon = self.carbon_params
        if not self.carbon_fixes_dram and "dram_gb" in params:
            carbon = with_dram_gb(carbon, params["dram_gb"])
        return with_dram_type(carbon, params.get("dram_type"))

    def period_for(self, workload: Workload) -> float | None:
        """The period of ``workload``: the pipeline's override or the workload's own."""
        return workload_period_s(workload, self.period_s)

    def build(
        self, template: str, params: Mapping[str, object], workload: Workload | None = None
    ) -> Accelerator:
        """The accelerator of a design (raises :class:`InputError` when the template rejects it)."""
        return build_accelerator(template, params, self.preset, workload)

    def evaluate(
        self,
        acc: Accelerator,
        workload: Workload,
        mapping: Any = None,
        evaluator: Evaluator | None = None,
    ) -> WorkloadResult:
        """Map and cost ``workload`` on ``acc`` (``mapping`` fixes the spatial mapping).

        ``evaluator``: the :class:`carbonspot.evaluate.Evaluator` whose caches to use (one per
        process; ``None`` = the process's default one).
        """
        from carbonspot.evaluate import evaluate_workload

        return evaluate_workload(
            acc,
            workload,
            objective=self.objective,
            preset=self.preset,
            mapping=mapping,
            mapper=self.mapper,
            evaluator=evaluator,
            data_locality=self.data_locality,
        )

    def results(
        self,
        template: str,
        params: Mapping[str, object],
        workloads: Sequence[Workload],
        evaluator: Evaluator | None = None,
    ) -> list[WorkloadResult]:
        """Each workload's cost-model result, layers included (per-layer detail of a report).

        Raises :class:`InputError` when the template rejects the design.
        """
        return [
            self.evaluate(self.build(template, params, w), w, None, evaluator) for w in workloads
        ]

    def row(
        self,
        result: WorkloadResult,
        template: str,
        params: Mapping[str, object],
        workload: Workload,
    ) -> Row:
        """One workload's flat row; ``params`` name the design and decide the DRAM charged."""
        carbon_params = self.carbon_for(params)
        row = result_row(result, template, params, self.period_for(workload), carbon_params)
        return self._labelled(row)

    def failed_row(
        self, template: str, params: Mapping[str, object], workload: Workload, reason: str
    ) -> Row:
        """The row of a workload the design could not be built or mapped for (``feasible=False``)."""
        row = _empty_row(workload.name, template, params, reason)
        period = self.period_for(workload)
        row["period_s"] = float("nan") if period is None else period
        return self._labelled(row)

    def rows(
        self,
        template: str,
        params: Mapping[str, object],
        workloads: Sequence[Workload],
        geo: bool = True,
        evaluator: Evaluator | None = None,
    ) -> list[Row]:
        """One design on every workload: a row per workload, then a ``geo`` row.

        The template builds the accelerator once per workload (it may keep weights on chip only
        when they fit, carbonspot-model.md §3.3). A template rejection or an unmappable layer
        gives a row with ``feasible=False`` and the ``reason``; nothing is raised for those.
        ``geo=False`` (or a single workload) leaves the ``geo`` row out; ``evaluator`` as in
        :meth:`evaluate`.
        """
        rows: list[Row] = []
        ident = params
        for workload in workloads:
            try:
                acc = self.build(template, params, workload)
            except InputError as exc:
                rows.append(self.failed_row(template, params, workload, f"invalid design: {exc}"))
                continue
            try:
                result = self.evaluate(acc, workload, evaluator=evaluator)
            except InputError as exc:
                rows.append(self.failed_row(template, params, workload, f"infeasible: {exc}"))
                continue
            ident = _identity(params, acc)
            rows.append(self.row(result, template, ident, workload))
        if geo and len(rows) > 1:
            rows.append(self._labelled(geo_row(rows, template, ident)))
        return rows

    def _labelled(self, row: Row) -> Row:
        """``row`` plus the models that produced it (reports re-evaluate with them)."""
        if self.suite is not None:
            row["suite"] = self.suite
        row["preset"] = get_preset(self.preset).name
        row["mapper_objective"] = self.objective
        row["mapper"] = self.mapper
        return row


def evaluate_design(
    template: str,
    params: Mapping[str, object],
    workloads: Sequence[Workload],
    preset: str = DEFAULT_PRESET,
    objective: str = "edp",
    carbon_params=None,
    suite: str | None = None,
    period_s: float | Mapping[str, float] | None = None,
    geo: bool = True,
    carbon_dram_from_design: bool = True,
    mapper: str = DEFAULT_MAPPER,
) -> list[Row]:
    """One design's rows (:meth:`DesignPipeline.rows`) with a pipeline of these settings.

    ``carbon_params`` comes from :func:`resolve_carbon_params` (``None`` = the preset's);
    ``carbon_dram_from_design=False`` charges its DRAM capacity for every design (as when the
    user's carbon overrides set one, :meth:`DesignPipeline.carbon_for`).
    """
    pipeline = DesignPipeline(
        preset=preset,
        objective=objective,
        mapper=mapper,
        carbon_params=carbon_params,
        carbon_fixes_dram=not carbon_dram_from_design,
        period_s=period_s,
        suite=suite,
    )
    return pipeline.rows(template, params, workloads, geo=geo)


def row_columns(rows: Sequence[Row], first: Sequence[str] = ()) -> list[str]:
    """Column order for a table of rows: ``first``, :data:`BASE_COLUMNS`, then first-seen."""
    columns: list[str] = []
    seen: set[str] = set()
    for col in (*first, *BASE_COLUMNS):
        if col not in seen:
            columns.append(col)
            seen.add(col)
    for row in rows:
        for col in row:
            if col not in seen:
                columns.append(col)
                seen.add(col)
    return columns
