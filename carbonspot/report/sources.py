"""Load a report's source, a sweep CSV or an optuna study, as a :class:`DesignSet`.

:func:`load_source` dispatches: a CSV path is read here (:func:`load_sweep`), a study name or
study file by :mod:`carbonspot.report.study_source`. The frame itself, its labels and geo
breakdowns live in :mod:`carbonspot.report.design_set`. Per-layer detail (:func:`layer_rows`)
re-evaluates one design, since neither source stores layers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from carbonspot.errors import InputError
from carbonspot.mapper.exhaustive import DEFAULT_MAPPER, MAPPERS
from carbonspot.report.design_set import GEO, DesignSet, add_labels, fill_breakdowns
from carbonspot.report.select import DEFAULT_OBJECTIVES, param_columns
from carbonspot.report.study_source import load_study

__all__ = [  # DesignSet and GEO re-exported for code that imported them from here
    "GEO",
    "SWEEP_REQUIRED",
    "DesignSet",
    "design_mapper",
    "design_template_params",
    "is_sweep_path",
    "layer_rows",
    "load_source",
    "load_sweep",
    "sweep_frame",
]

SWEEP_REQUIRED = ("workload", "acc_type", "feasible", "latency_ns", "energy_pj")


# --------------------------------------------------------------------------------------------
# sweep CSV


def is_sweep_path(source: str) -> bool:
    """True when SOURCE names a CSV file rather than a study."""
    if source.lower().endswith((".yaml", ".yml")):
        return False  # a study file
    return source.lower().endswith(".csv") or Path(source).is_file()


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError("no such file", source=str(path))
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV ({exc})", source=str(path)) from None
    return df


def sweep_frame(rows: pd.DataFrame, name: str = "sweep", workload: str | None = None) -> DesignSet:
    """Build a :class:`DesignSet` from sweep rows (a DataFrame with the sweep's columns).

    By default each design is summarised by its ``geo`` row (geometric mean over the suite);
    with no geo rows and a single workload, by that workload; ``workload`` picks one.
    """
    if rows.empty:
        designs = pd.DataFrame(columns=list(SWEEP_REQUIRED))
        designs.attrs["objectives"] = list(DEFAULT_OBJECTIVES)
        return DesignSet("sweep", name, designs, workload=workload or GEO)
    missing = [c for c in SWEEP_REQUIRED if c not in rows.columns]
    if missing:
        raise InputError(
            f"not a sweep result: missing column(s) {', '.join(missing)}",
            source=name,
            allowed=SWEEP_REQUIRED,
        )
    rows = rows.copy()
    rows["workload"] = rows["workload"].astype(str)
    params = [c for c in param_columns(rows) if c != "workload"]
    # Design id: the parameter values, so per-workload rows and summary rows match.
    key = rows[params].astype(str).agg("|".join, axis=1) if params else rows.index.astype(str)
    rows["design_id"] = key.to_numpy()
    workloads = list(dict.fromkeys(rows["workload"]))
    real = [w for w in workloads if w != GEO]
    if workload is None:
        if GEO in workloads:
            workload = GEO
        elif len(real) == 1:
            workload = real[0]
        else:
            raise InputError(
                "the sweep has several workloads and no geo rows: pick one",
                source=name,
                field="--workload",
                allowed=real,
            )
    elif workload not in workloads:
        raise InputError(
            f"no rows for workload {workload!r}", source=name, field="--workload", allowed=workloads
        )
    per_workload = rows[rows["workload"] != GEO].reset_index(drop=True)
    summary = rows[rows["workload"] == workload].drop_duplicates("design_id").set_index("design_id")
    summary.index.name = "design_id"
    if workload == GEO:
        summary = fill_breakdowns(summary, per_workload)
    summary = add_labels(summary, params)
    summary.attrs["params"] = params
    summary.attrs["objectives"] = list(DEFAULT_OBJECTIVES)
    preset = None
    if "preset" in rows.columns and rows["preset"].nunique() == 1:
        preset = str(rows["preset"].iloc[0])
    return DesignSet("sweep", name, summary, per_workload, workload, preset=preset)


def load_sweep(path: str | Path, workload: str | None = None) -> DesignSet:
    """Read a sweep CSV written by ``carbonspot sweep`` into a :class:`DesignSet`."""
    path = Path(path)
    return sweep_frame(_read_csv(path), name=path.name, workload=workload)


# --------------------------------------------------------------------------------------------
# entry point


def load_source(source: str, storage: str | None = None, workload: str | None = None) -> DesignSet:
    """A sweep CSV path or a study name (with ``storage``) as a :class:`DesignSet`."""
    if is_sweep_path(source):
        if storage is not None:
            raise InputError("--storage applies to studies, not to a sweep CSV", field="--storage")
        return load_sweep(source, workload)
    return load_study(source, storage=storage, workload=workload)


# --------------------------------------------------------------------------------------------
# per-layer detail (re-evaluated: neither source stores layers)


def _clean_param(v: object) -> object:
    if isinstance(v, (float, np.floating)) and math.isfinite(float(v)) and float(v).is_integer():
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def design_template_params(
    ds: DesignSet, design_id: object
) -> tuple[str, dict[str, object], str | None]:
    """(template, template parameters, mapper objective) of one design of the set."""
    row = ds.designs.loc[design_id]
    params: dict[str, object] = {}
    template = None
    mapper = None
    for p in ds.params:
        v = row.get(p)
        if v is None or (isinstance(v, (float, np.floating)) and not math.isfinite(float(v))):
            continue
        if p in ("acc_type", "template"):
            template = str(v)
        elif p in ("objective", "mapper_objective"):
            mapper = str(v)
        else:
            params[p] = _clean_param(v)
    if template is None:
        raise InputError("the source does not say which template a design uses", field="acc_type")
    return template, params, mapper


def design_mapper(ds: DesignSet, design_id: object) -> str:
    """The per-layer search that produced a design's row: its ``mapper`` column.

    Sources written before the column existed (or by other tools) get the default mapper
    (both mappers return the same optimum).
    """
    value = ds.designs.loc[design_id].get("mapper") if "mapper" in ds.designs.columns else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DEFAULT_MAPPER
    if value not in MAPPERS:
        raise InputError(
            f"unknown mapper {value!r}", source=ds.name, field="mapper", allowed=MAPPERS
        )
    return str(value)


def _layer_records(result) -> list[dict[str, object]]:
    from types import SimpleNamespace

    from carbonspot.design import breakdown_columns

    out = []
    for lr in result.layers:
        ns = SimpleNamespace(
            energy_breakdown_pj=lr.energy_breakdown_pj,
            latency_breakdown_cycles=lr.latency_breakdown_cycles,
            area_breakdown_mm2={},
            tclk_breakdown_ns={},
        )
        out.append(
            {
                "workload": result.workload,
                "layer": lr.layer,
                "operator": lr.operator,
                "feasible": lr.feasible,
                "energy_pj": lr.energy_pj,
                "latency_cycles": lr.latency_cycles,
                **breakdown_columns(ns),
            }
        )
    return out


def layer_rows(
    ds: DesignSet,
    design_id: object,
    presets: Sequence[str] | None = None,
    mapper_objective: str | None = None,
) -> tuple[pd.DataFrame, str]:
    """Per-layer energy and latency of one design, re-evaluated with the cost model.

    Neither a sweep CSV nor a study stores layers, so the design is evaluated again on its
    workloads (all of them, or the one the report is about), with the mapper recorded in the
    design's row (:func:`design_mapper`). A source that does not record its preset: each
    preset in ``presets`` is tried in turn and the first whose workload energies match the
    source's (within 0.1 %) is used. Returns the rows and a note on how they were obtained
    (which preset and mapper, and whether the totals match the source).
    """
    from carbonspot.design import DesignPipeline
    from carbonspot.workload import zoo

    template, params, objective = design_template_params(ds, design_id)
    objective = mapper_objective or objective or ds.mapper_objective or "edp"
    mapper = design_mapper(ds, design_id)
    if ds.workload != GEO:
        names = [ds.workload]
    elif ds.per_workload is not None and not ds.per_workload.empty:
        names = list(dict.fromkeys(ds.per_workload["workload"]))
    else:
        raise InputError("the source names no workload to evaluate per layer")
    expected: dict[str, float] = {}
    if ds.per_workload is not None and "energy_pj" in ds.per_workload.columns:
        mine = ds.per_workload[ds.per_workload["design_id"] == design_id]
        expected = {
            str(w): float(e) for w, e in zip(mine["workload"], mine["energy_pj"], strict=True)
        }
    workloads = [zoo.load_workload(n) for n in names]
    tried = list(presets or ([ds.preset] if ds.preset else ["corrected", "carbonspot2025"]))
    best: tuple[float, list, str] | None = None
    for preset in tried:
        records: list[dict[str, object]] = []
        mismatch = 0.0
        pipeline = DesignPipeline(preset=preset, objective=objective, mapper=mapper)
        for wl, result in zip(
            workloads, pipeline.results(template, params, workloads), strict=True
        ):
            records.extend(_layer_records(result))
            ref = expected.get(wl.name)
            if ref and math.isfinite(ref) and math.isfinite(result.energy_pj):
                mismatch = max(mismatch, abs(result.energy_pj - ref) / ref)
        note = f"re-evaluated with preset {preset}, mapper objective {objective}, mapper {mapper}"
        if not expected or mismatch <= 1e-3:
            return pd.DataFrame.from_records(records), note
        note += f"; workload energies differ from the source by up to {100 * mismatch:.2g}%"
        if best is None or mismatch < best[0]:
            best = (mismatch, records, note)
    assert best is not None
    return pd.DataFrame.from_records(best[1]), best[2]
