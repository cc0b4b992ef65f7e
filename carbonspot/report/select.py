"""Pick the designs users ask about and put them side by side (pure: no I/O).

The input is the neutral *designs frame* (:mod:`carbonspot.report.design_set`) built from a sweep
CSV or a study: one row per design, with

- parameter columns (their names in ``df.attrs["params"]``; inferred when absent),
- metric columns named with their units (``latency_ns``, ``energy_pj``, ``area_mm2``,
  ``tclk_ns``, ``tops_per_w``, ``carbon_ca_g``, ``carbon_pa_g``, ...),
- breakdown columns (``carbon_ca_<part>_g``, ``energy_<part>_pj``, ...),
- feasibility: ``feasible`` and, when present, ``meets_period`` and ``constraints_ok``,
- an optional ``design`` label column,
- the search objectives in ``df.attrs["objectives"]`` as ``[(column, "min"|"max"), ...]``.

``select_designs`` answers "which is the fastest, the most energy-efficient, the greenest under
CA and under PA, and the balanced (knee) design?" among the *eligible* designs (feasible, meeting
the frame deadline and every constraint). ``compare`` lays them out with their ratios to the most
performant design, and ``summary_sentences`` says in words what the carbon-optimal design costs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carbonspot.errors import InputError
from carbonspot.formatting import CARBON_UNIT


@dataclass(frozen=True)
class Role:
    """One selection: the metric column it optimises, its direction and a human title."""

    key: str
    column: str
    direction: str  # "min" or "max"
    title: str


# Order = column order of the comparison table; the first role is the reference for ratios.
ROLES: tuple[Role, ...] = (
    Role("fastest", "latency_ns", "min", "most performant (lowest latency)"),
    Role("highest_tops_per_w", "tops_per_w", "max", "highest TOP/s/W"),
    Role("lowest_energy", "energy_pj", "min", "most energy-efficient (lowest energy)"),
    Role("lowest_carbon_ca", "carbon_ca_g", "min", "most carbon-efficient under CA"),
    Role("lowest_carbon_pa", "carbon_pa_g", "min", "most carbon-efficient under PA"),
)
KNEE = Role("knee", "", "min", "knee of the Pareto front")
REFERENCE_ROLE = "fastest"

# Default objectives of a source that does not name its own (a sweep).
DEFAULT_OBJECTIVES: tuple[tuple[str, str], ...] = (
    ("latency_ns", "min"),
    ("energy_pj", "min"),
    ("carbon_ca_g", "min"),
    ("carbon_pa_g", "min"),
)

# Headline metrics of the comparison table, in order.
TABLE_METRICS: tuple[str, ...] = (
    "latency_ns",
    "latency_cycles",
    "energy_pj",
    "area_mm2",
    "tclk_ns",
    "tops_per_w",
    "tops",
    "tops_per_mm2",
    "carbon_ca_g",
    "carbon_pa_g",
)
# Metrics whose ratio to the most performant design the table reports.
RATIO_METRICS: tuple[str, ...] = (
    "latency_ns",
    "energy_pj",
    "area_mm2",
    "tclk_ns",
    "tops_per_w",
    "carbon_ca_g",
    "carbon_pa_g",
)

# Human names and units for labels (plots and tables).
METRIC_LABELS: dict[str, str] = {
    "latency_ns": "latency [ns]",
    "latency_cycles": "latency [cycles]",
    "energy_pj": "energy [pJ]",
    "area_mm2": "area [mm²]",
    "tclk_ns": "clock period [ns]",
    "tops_per_w": "TOP/s/W",
    "tops": "TOP/s",
    "tops_per_mm2": "TOP/s/mm²",
    "carbon_ca_g": f"carbon CA [{CARBON_UNIT}]",
    "carbon_pa_g": f"carbon PA [{CARBON_UNIT}]",
    "edp": "energy-delay product [pJ·ns]",
    "edp_pj_ns": "energy-delay product [pJ·ns]",
    "power_mw": "power [mW]",
}

NON_PARAM_COLUMNS = frozenset(
    {
        "design",
        "design_id",
        "workload",
        "feasible",
        "meets_period",
        "constraints_ok",
        "reason",
        "number",
        "state",
        "ops",
        "edp",
        "edp_pj_ns",
        "power_mw",
        "n_workloads",
        "suite",
        "preset",
        "mapper",
        "period_s",
        "pa_chips",
        "pa_feasible",
        "yield",
    }
)

_BREAKDOWN_PATTERNS: dict[str, re.Pattern[str]] = {
    "carbon_ca": re.compile(r"^carbon_ca_(?P<part>.+)_g$"),
    "carbon_pa": re.compile(r"^carbon_pa_(?P<part>.+)_g$"),
    "energy": re.compile(r"^energy_(?P<part>.+)_pj$"),
    "latency": re.compile(r"^latency_(?P<part>.+)_cycles$"),
    "area": re.compile(r"^area_(?P<part>.+)_mm2$"),
    "tclk": re.compile(r"^tclk_(?P<part>.+)_ns$"),
}
# Parts that are really other quantities (e.g. ``carbon_ca_ex_pkg_g`` is a total, not a part).
_NOT_PARTS = {"ex_pkg", "total", "sum", "per_w", "per_mm2", "die", "embodied"}


def metric_label(column: str) -> str:
    """Axis/table label with units for a metric column."""
    if column in METRIC_LABELS:
        return METRIC_LABELS[column]
    for kind, pattern in _BREAKDOWN_PATTERNS.items():
        m = pattern.match(column)
        if m:
            unit = {"energy": "pJ", "latency": "cycles", "area": "mm²", "tclk": "ns"}.get(
                kind, CARBON_UNIT
            )
            name = {"carbon_ca": "carbon CA", "carbon_pa": "carbon PA"}.get(kind, kind)
            return f"{name} {m['part'].replace('_', ' ')} [{unit}]"
    return column.replace("_", " ")


def breakdown_columns(df: pd.DataFrame, kind: str) -> dict[str, str]:
    """Breakdown columns of one kind (``carbon_ca``, ``carbon_pa``, ``energy``, ``latency``,
    ``area`` or ``tclk``) as ``{part: column}``, numeric columns only, in frame order."""
    pattern = _BREAKDOWN_PATTERNS[kind]
    out: dict[str, str] = {}
    for col in df.columns:
        m = pattern.match(str(col))
        if not m or m["part"] in _NOT_PARTS:
            continue
        if kind == "energy" and m["part"].startswith("delay"):
            continue
        if pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            out[m["part"]] = str(col)
    return out


# The paper's bar-chart split (carbonspot-model.md §3.4 plot_performance_bar), when the source
# has these aggregate columns; otherwise every part of the kind.
AGGREGATE_PARTS: dict[str, tuple[str, ...]] = {
    "energy": ("array", "mem"),
    "latency": ("mac", "stall"),
    "area": ("array", "mem"),
}


def bar_parts(df: pd.DataFrame, kind: str) -> dict[str, str]:
    """Non-overlapping breakdown columns of one kind: the aggregate split when present."""
    parts = breakdown_columns(df, kind)
    agg = AGGREGATE_PARTS.get(kind)
    if agg and all(a in parts for a in agg):
        return {a: parts[a] for a in agg}
    return parts


# Carbon parts grouped the way the paper draws them: carbonspot-model.md §2.2
# (opcf → operational; soc_epa/soc_gpa/soc_mpa → die; package; dram).
CARBON_GROUPS: tuple[str, ...] = ("operational", "die", "package", "dram", "ssd")


def carbon_group(part: str) -> str:
    """Which of operational / die / package / dram a carbon breakdown part belongs to."""
    p = part.lower()
    if "ssd" in p:
        return "ssd"
    if "dram" in p:
        return "dram"
    if "pkg" in p or "packag" in p:
        return "package"
    if p.startswith("op") or "operational" in p:
        return "operational"
    if any(k in p for k in ("soc", "die", "epa", "gpa", "mpa", "embodied", "fab", "chip")):
        return "die"
    return "other"


def carbon_breakdown(df: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Carbon of every design grouped into operational / die / package / dram [g CO₂-eq].

    ``scenario`` is ``"ca"`` or ``"pa"``. Columns with no breakdown give an empty frame.
    """
    parts = breakdown_columns(df, f"carbon_{scenario}")
    groups: dict[str, pd.Series] = {}
    for part, col in parts.items():
        g = carbon_group(part)
        groups[g] = groups.get(g, 0.0) + df[col].astype(float)
    # Drop optional groups that are zero everywhere (e.g. no SSD charged).
    for g in ("ssd", "other"):
        if g in groups and not (groups[g].fillna(0.0) != 0.0).any():
            del groups[g]
    order = [g for g in (*CARBON_GROUPS, "other") if g in groups]
    return pd.DataFrame({g: groups[g] for g in order}, index=df.index)


def objectives(df: pd.DataFrame) -> list[tuple[str, str]]:
    """The source's objectives ``[(column, direction)]`` that exist in the frame."""
    objs = df.attrs.get("objectives") or DEFAULT_OBJECTIVES
    out = [(str(c), str(d)) for c, d in objs if c in df.columns]
    for c, d in out:
        if d not in ("min", "max"):
            raise InputError(f"objective {c!r} has direction {d!r}", allowed=["min", "max"])
    return out


def param_columns(df: pd.DataFrame) -> list[str]:
    """Design-parameter columns: ``df.attrs["params"]`` or every column that is not a metric."""
    if df.attrs.get("params"):
        return [c for c in df.attrs["params"] if c in df.columns]
    known = set(TABLE_METRICS) | set(METRIC_LABELS) | NON_PARAM_COLUMNS
    out = []
    for col in df.columns:
        c = str(col)
        if c in known or any(p.match(c) for p in _BREAKDOWN_PATTERNS.values()):
            continue
        if c.startswith(
            ("carbon_", "energy_", "latency_", "area_", "tclk_", "tops", "embodied_", "wl:")
        ):
            continue
        out.append(c)
    return out


def _bool_column(df: pd.DataFrame, column: str) -> np.ndarray:
    if column not in df.columns:
        return np.ones(len(df), dtype=bool)
    values = df[column]
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        truthy = values.astype(str).str.strip().str.lower().isin(["true", "1", "yes"])
        return truthy.to_numpy(dtype=bool)
    return values.fillna(False).astype(bool).to_numpy()


def eligible_mask(df: pd.DataFrame) -> np.ndarray:
    """Designs that are feasible, meet the frame deadline and satisfy every constraint."""
    mask = _bool_column(df, "feasible") & _bool_column(df, "meets_period")
    mask &= _bool_column(df, "constraints_ok")
    for col, _ in objectives(df):
        mask &= np.isfinite(pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float))
    return mask


def objective_matrix(df: pd.DataFrame, objs: Sequence[tuple[str, str]] | None = None) -> np.ndarray:
    """Objective values as a (designs × objectives) array to minimise (max columns negated)."""
    objs = list(objs) if objs is not None else objectives(df)
    cols = [df[c].to_numpy(dtype=float) * (1.0 if d == "min" else -1.0) for c, d in objs]
    return np.column_stack(cols) if cols else np.empty((len(df), 0))


def explain_empty(df: pd.DataFrame, what: str = "source") -> str:
    """A plain sentence for a source with no eligible design (used in the InputError)."""
    if len(df) == 0:
        return f"the {what} has no designs (no completed trials or rows)"
    counts = []
    if "feasible" in df.columns:
        counts.append(f"{int((~_bool_column(df, 'feasible')).sum())} infeasible")
    if "meets_period" in df.columns:
        counts.append(f"{int((~_bool_column(df, 'meets_period')).sum())} miss the frame deadline")
    if "constraints_ok" in df.columns:
        counts.append(f"{int((~_bool_column(df, 'constraints_ok')).sum())} violate a constraint")
    reasons = ""
    if "reason" in df.columns:
        top = df["reason"].dropna().astype(str)
        top = top[top.str.len() > 0].value_counts().head(3)
        if len(top):
            reasons = "; most common reasons: " + "; ".join(f"{r} ({n}×)" for r, n in top.items())
    detail = ", ".join(counts) if counts else "none has finite objective values"
    return (
        f"no feasible design in the {what}: all {len(df)} designs are excluded ({detail}){reasons}"
    )


def _argbest(values: np.ndarray, direction: str, tiebreak: np.ndarray) -> int:
    """Index of the best value; ties go to the best tie-break row (lexicographic), then the first."""
    v = values if direction == "min" else -values
    best = np.nanmin(v)
    tied = np.flatnonzero(v <= best + 1e-12 * max(abs(best), 1e-300))
    if len(tied) == 1 or tiebreak.shape[1] == 0:
        return int(tied[0])
    order = np.lexsort(tiebreak[tied].T[::-1])
    return int(tied[order[0]])


def select_indices(df: pd.DataFrame) -> dict[str, object]:
    """Like :func:`select_designs` but returns index labels of ``df``."""
    if len(df) == 0:
        raise InputError(explain_empty(df))
    mask = eligible_mask(df)
    if not mask.any():
        raise InputError(explain_empty(df))
    sub = df[mask]
    objs = objectives(df)
    F = objective_matrix(sub, objs)
    out: dict[str, object] = {}
    for role in ROLES:
        if role.column not in sub.columns:
            continue
        values = pd.to_numeric(sub[role.column], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(values).any():
            continue
        values = np.where(
            np.isfinite(values), values, np.inf if role.direction == "min" else -np.inf
        )
        out[role.key] = sub.index[_argbest(values, role.direction, F)]
    if F.shape[1] >= 2:
        from carbonspot.search.pareto import knee_index, pareto_mask

        front = np.flatnonzero(pareto_mask(F))
        out[KNEE.key] = sub.index[front[int(knee_index(F[front]))]]
    return out


def select_designs(df: pd.DataFrame) -> dict[str, pd.Series]:
    """The designs users ask about, among eligible (feasible, deadline-meeting) ones.

    Keys: ``fastest`` (lowest latency), ``highest_tops_per_w``, ``lowest_energy``,
    ``lowest_carbon_ca``, ``lowest_carbon_pa`` and ``knee`` (knee of the Pareto front of the
    source's objectives). A key is left out when its metric is absent. Ties are broken by the
    objectives in order, then by row order, so the answer is deterministic.
    Raises :class:`InputError` when the frame is empty or no design is eligible.
    """
    return {role: df.loc[idx] for role, idx in select_indices(df).items()}


def role_titles() -> dict[str, str]:
    """Human titles of the selection keys."""
    return {r.key: r.title for r in (*ROLES, KNEE)}


def design_label(df: pd.DataFrame, idx: object) -> str:
    """A short label of one design (its ``design`` column, else the index)."""
    if "design" in df.columns:
        return str(df.at[idx, "design"])
    return str(idx)


def compare(df: pd.DataFrame, selections: Mapping[str, object] | None = None) -> pd.DataFrame:
    """Side-by-side table of the selected designs, one row per selection key.

    Columns: ``role`` (title), ``design``, the parameters, the headline metrics, the CA and PA
    carbon grouped into operational/die/package/dram (``carbon_ca_operational_g``, ...), the
    raw breakdown columns, and ``<metric>_vs_fastest`` = value / value of the most performant
    design. ``selections`` maps keys to index labels (default: :func:`select_indices`).
    """
    sel = dict(selections) if selections is not None else select_indices(df)
    params = param_columns(df)
    metrics = [m for m in TABLE_METRICS if m in df.columns]
    ca = carbon_breakdown(df, "ca")
    pa = carbon_breakdown(df, "pa")
    raw = [
        c for kind in ("energy", "latency", "area", "tclk") for c in bar_parts(df, kind).values()
    ]
    titles = role_titles()
    ref_idx = sel.get(REFERENCE_ROLE)
    rows = []
    for key, idx in sel.items():
        row: dict[str, object] = {"role": titles.get(key, key), "design": design_label(df, idx)}
        for p in params:
            row[p] = df.at[idx, p]
        for m in metrics:
            row[m] = float(df.at[idx, m])
        for frame, scen in ((ca, "ca"), (pa, "pa")):
            for g in frame.columns:
                row[f"carbon_{scen}_{g}_g"] = float(frame.at[idx, g])
        for c in raw:
            row[c] = float(df.at[idx, c])
        if ref_idx is not None:
            for m in RATIO_METRICS:
                if m in df.columns:
                    ref = float(df.at[ref_idx, m])
                    row[f"{m}_vs_fastest"] = float(df.at[idx, m]) / ref if ref else math.nan
        rows.append(row)
    table = pd.DataFrame(rows, index=pd.Index(list(sel), name="selection"))
    table.attrs["params"] = params
    return table


def summary_sentences(table: pd.DataFrame) -> list[str]:
    """ "The carbon-optimal design costs x× latency and saves y% carbon", for CA and for PA.

    ``table`` is the output of :func:`compare`.
    """
    if REFERENCE_ROLE not in table.index:
        return []
    out = []
    fast = table.loc[REFERENCE_ROLE]
    for key, scen in (("lowest_carbon_ca", "CA"), ("lowest_carbon_pa", "PA")):
        col = f"carbon_{scen.lower()}_g"
        if key not in table.index or col not in table.columns:
            continue
        row = table.loc[key]
        lat_x = float(row["latency_ns"]) / float(fast["latency_ns"])
        saved = 100.0 * (1.0 - float(row[col]) / float(fast[col]))
        if row["design"] == fast["design"]:
            out.append(
                f"Under {scen}, the most performant design ({fast['design']}) is also the "
                f"carbon-optimal one: no latency is traded for carbon."
            )
            continue
        out.append(
            f"Under {scen}, the carbon-optimal design ({row['design']}) costs {lat_x:.3g}× "
            f"latency and saves {saved:.3g}% carbon compared with the most performant design "
            f"({fast['design']})."
        )
    return out
