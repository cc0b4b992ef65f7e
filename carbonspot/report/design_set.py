"""The report's neutral *designs frame* (:class:`DesignSet`), its labels and geo breakdowns.

Both sources (:mod:`carbonspot.report.sources` for sweep CSVs,
:mod:`carbonspot.report.study_source` for studies) become a :class:`DesignSet`: ``designs`` has
one row per design (parameters, metrics with units in their names, breakdowns,
``feasible``/``meets_period``/``constraints_ok``, a ``design`` label), ``per_workload`` keeps the
rows of every workload for the per-workload plots, and ``history`` (studies only) lists the
finished trials in order for the hypervolume curve. Selection (:mod:`carbonspot.report.select`)
and plotting (:mod:`carbonspot.report.plots`) only ever see this frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from carbonspot.report.select import breakdown_columns, param_columns
from carbonspot.report.select import objectives as source_objectives

GEO = "geo"
# Breakdown kind → the total it breaks down (for filling geo rows, which carry no breakdown).
BREAKDOWN_TOTALS = {
    "energy": "energy_pj",
    "latency": "latency_cycles",
    "area": "area_mm2",
    "tclk": "tclk_ns",
    "carbon_ca": "carbon_ca_g",
    "carbon_pa": "carbon_pa_g",
}


@dataclass
class DesignSet:
    """Designs of one source, ready for selection and plots."""

    kind: str  # "sweep" or "study"
    name: str
    designs: pd.DataFrame  # one row per design, index = design id
    per_workload: pd.DataFrame | None = None  # one row per (design, workload); column design_id
    workload: str = GEO  # which rows summarise a design: "geo" or a workload name
    history: pd.DataFrame | None = None  # studies: finished trials in trial order
    preset: str | None = None
    mapper_objective: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def params(self) -> list[str]:
        """Parameter columns of the designs."""
        return param_columns(self.designs)

    @property
    def objectives(self) -> list[tuple[str, str]]:
        """Objectives ``[(column, "min"|"max")]`` of the source."""
        return source_objectives(self.designs)


# --------------------------------------------------------------------------------------------
# labels


def format_bytes(n: float) -> str:
    """``131072`` → ``128 KiB``."""
    if n is None or (isinstance(n, float) and not math.isfinite(n)):
        return "?"
    n = float(n)
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            v = n / scale
            return f"{v:.0f} {unit}" if v.is_integer() else f"{v:.3g} {unit}"
    return f"{n:.0f} B"


def _fmt_value(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "-"
        if float(v).is_integer():
            return str(int(v))
        return f"{float(v):.4g}"
    return str(v)


def design_label(row: pd.Series, params: list[str]) -> str:
    """A short human label from the parameter values, e.g. ``dimc d=64 SRAM 128 KiB``."""
    from carbonspot.design import param_applies

    template = str(row.get("acc_type", row.get("template", "")))
    parts: list[str] = []
    for p in params:
        v = row.get(p)
        if v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(float(v))):
            continue
        if not param_applies(template, p):  # e.g. adc_bits of a DIMC design
            continue
        if p in ("acc_type", "template"):
            parts.insert(0, str(v))
        elif p == "sram_bytes":
            parts.append(f"SRAM {format_bytes(v)}")
        elif p == "dim":
            parts.append(f"d={_fmt_value(v)}")
        else:
            parts.append(f"{p}={_fmt_value(v)}")
    return " ".join(parts) if parts else str(row.name)


def label_params(df: pd.DataFrame, params: list[str]) -> list[str]:
    """Parameters worth naming in a label: the template and those that vary between designs."""
    out = [p for p in params if p in ("acc_type", "template") or df[p].nunique(dropna=True) > 1]
    return out or list(params)


def add_labels(df: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Insert the ``design`` label column first."""
    shown = label_params(df, params)
    df.insert(0, "design", [design_label(r, shown) for _, r in df.iterrows()])
    return df


# --------------------------------------------------------------------------------------------
# geo breakdowns


def fill_breakdowns(summary: pd.DataFrame, per_workload: pd.DataFrame) -> pd.DataFrame:
    """Give summary (geo) rows a breakdown that adds up to their total.

    A geometric mean of parts does not add up to the geometric mean of totals, so the sweep
    leaves geo breakdowns empty. Here each part of a geo row is its total times the *mean share*
    of that part over the design's workloads (each workload weighs equally, as in the
    geometric mean). Rows that already have a breakdown are left as they are.
    """
    out = summary.copy()
    if per_workload is None or per_workload.empty:
        return out
    groups = per_workload.groupby("design_id", sort=False)
    for kind, total_col in BREAKDOWN_TOTALS.items():
        if total_col not in out.columns or total_col not in per_workload.columns:
            continue
        parts = breakdown_columns(per_workload, kind)
        if not parts:
            continue
        cols = [c for c in parts.values()]
        for c in cols:
            if c not in out.columns:
                out[c] = np.nan
        tot = per_workload[total_col].astype(float).replace(0.0, np.nan)
        shares = per_workload[cols].astype(float).div(tot, axis=0)
        shares["design_id"] = per_workload["design_id"].to_numpy()
        mean_share = shares.groupby("design_id", sort=False)[cols].mean()
        missing = out[cols].isna().all(axis=1) & out.index.isin(mean_share.index)
        idx = out.index[missing]
        if len(idx):
            filled = mean_share.loc[idx].mul(out.loc[idx, total_col].astype(float), axis=0)
            out.loc[idx, cols] = filled.to_numpy()
    del groups
    return out
