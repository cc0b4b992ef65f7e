"""Read an optuna study written by ``carbonspot study`` into a :class:`DesignSet`.

Each finished trial carries (issue 6) its parameters, objective values (named by
``study.metric_names``), constraint values (≤ 0 = satisfied) and user attributes ``design``,
``feasible``, ``reason``, ``metrics`` (the summary row's headline metrics) and ``workloads``
(each workload's full row, breakdowns included), parsed by
:func:`carbonspot.search.attrs.parse_trial`. Nothing is re-evaluated. A design evaluated by
several trials appears once in ``designs`` (its first trial) and every time in ``history``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbonspot.errors import InputError
from carbonspot.report.design_set import GEO, DesignSet, add_labels, fill_breakdowns
from carbonspot.report.select import compare, select_indices, summary_sentences
from carbonspot.search.attrs import parse_trial
from carbonspot.search.objective import OBJECTIVES

# Study objective names → metric columns; used when a study has no metric names.
OBJECTIVE_COLUMNS = {name: column for name, (column, _, _) in OBJECTIVES.items()}
MAPPER_OBJECTIVE_PARAM = "objective"
_NOT_NUMERIC = ("meets_period", "mapper")  # trial metrics kept as they are (not as floats)


def open_storage(url: str | None, name: str, project_dir: Path | None = None) -> Any:
    """The study's storage: a URL, a journal file path, or the embedded default journal.

    Unlike a study run, a report never creates a storage: a missing journal is an error.
    """
    from carbonspot.search import storage as st

    if url is None or st.is_journal(url):
        path = st.journal_path(url) if url else st.default_journal_path(name, project_dir)
        if not path.is_file():
            hint = "" if url else " (run the study first, or give --storage URL)"
            raise InputError(f"no study storage at {path}{hint}", field="--storage")
        url = str(path)
    return st.open_storage(url, retry_stale=False)


def _study_name_and_dir(source: str) -> tuple[str, Path | None]:
    """A study name, or a study YAML file whose name and project folder are used."""
    path = Path(source)
    if source.endswith((".yaml", ".yml")):
        from carbonspot.search.files.study_file import load_study_file

        spec = load_study_file(path)
        return spec.name, Path(spec.project_dir)
    return source, None


def _finite_or_nan(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def load_study(source: str, storage: str | None = None, workload: str | None = None) -> DesignSet:
    """Load a study by name (or study file) from ``storage`` (default: the embedded journal)."""
    import optuna

    name, project_dir = _study_name_and_dir(source)
    store = open_storage(storage, name, project_dir)
    try:
        study = optuna.load_study(
            study_name=name, storage=store, sampler=optuna.samplers.RandomSampler()
        )
    except KeyError:
        names = optuna.get_all_study_names(store)
        raise InputError(
            f"no study named {name!r} in the storage", field="SOURCE", allowed=names or None
        ) from None
    return study_design_set(study, workload)


def study_design_set(study: Any, workload: str | None = None) -> DesignSet:
    """A loaded ``optuna.Study`` written by ``carbonspot study`` as a :class:`DesignSet`."""
    import optuna

    name = study.study_name
    metric_names = list(study.metric_names or [])
    directions = [
        "min" if d == optuna.study.StudyDirection.MINIMIZE else "max" for d in study.directions
    ]
    if not metric_names or len(metric_names) != len(directions):
        metric_names = [f"objective_{i}" for i in range(len(directions))]
    columns = [OBJECTIVE_COLUMNS.get(m, m) for m in metric_names]

    records: list[dict[str, Any]] = []
    wl_rows: list[dict[str, Any]] = []
    n_other = 0
    seen: set[str] = set()
    param_names: dict[str, None] = {}
    for t in study.get_trials(deepcopy=False):
        if t.state != optuna.trial.TrialState.COMPLETE:
            n_other += 1
            continue
        a = parse_trial(t)
        design = a.full_design(t.params)
        key = a.design_key or json.dumps(design, sort_keys=True, default=str)
        rec: dict[str, Any] = {"number": t.number, "design_id": key}
        # Column order: the template, the searched variables (file order), then fixed values.
        ordered = [k for k in ("template",) if k in design]
        ordered += [k for k in t.params if k in design and k not in ordered]
        ordered += [k for k in design if k not in ordered]
        rec.update({k: design[k] for k in ordered})
        param_names.update(dict.fromkeys(ordered))
        rec.update({k: v if k in _NOT_NUMERIC else _finite_or_nan(v) for k, v in a.metrics.items()})
        for col, v in zip(columns, t.values or [], strict=False):
            if col not in rec or not np.isfinite(_finite_or_nan(rec[col])):
                rec[col] = _finite_or_nan(v)
        rec["feasible"] = a.feasible is not False  # no record: taken as feasible
        rec["reason"] = a.reason
        rec["constraints_ok"] = all(v <= 0 for v in a.constraints.values())
        records.append(rec)
        if key in seen:
            continue
        seen.add(key)
        for wname, wrow in a.workloads.items():
            wl_rows.append(
                {"design_id": key, "workload": str(wname), **{k: v for k, v in wrow.items()}}
            )

    params = list(param_names)
    history = pd.DataFrame.from_records(records)
    per_workload = pd.DataFrame.from_records(wl_rows) if wl_rows else None
    objectives = list(zip(columns, directions, strict=True))
    notes = []
    if n_other:
        notes.append(f"{n_other} trial(s) not complete (running, failed or pruned) are left out")

    if history.empty:
        designs = pd.DataFrame(columns=["design", "feasible", *columns])
        designs.attrs.update(params=[], objectives=objectives)
        return DesignSet("study", name, designs, None, GEO, history=None, notes=notes)

    history.attrs.update(params=params, objectives=objectives)
    workloads = sorted(per_workload["workload"].unique()) if per_workload is not None else []
    summary_name = GEO if len(workloads) != 1 else workloads[0]
    if workload is not None:
        if workload not in workloads:
            raise InputError(
                f"the study has no workload {workload!r}", field="--workload", allowed=workloads
            )
        summary_name = workload
        # Summaries come from that workload's rows; the trials' objectives no longer apply
        # unless the study ran on that workload alone.
        designs = _workload_summary(history, per_workload, workload, params)
    else:
        designs = history.drop_duplicates("design_id").set_index("design_id")
        if per_workload is not None:
            designs = fill_breakdowns(designs, per_workload)
    designs.index.name = "design_id"
    designs = add_labels(designs, params)
    designs.attrs.update(params=params, objectives=objectives)
    hist = history.sort_values("number").reset_index(drop=True)
    hist.attrs.update(params=params, objectives=objectives)
    return DesignSet("study", name, designs, per_workload, summary_name, history=hist, notes=notes)


def _workload_summary(
    history: pd.DataFrame, per_workload: pd.DataFrame, workload: str, params: list[str]
) -> pd.DataFrame:
    first = history.drop_duplicates("design_id").set_index("design_id")
    rows = per_workload[per_workload["workload"] == workload].set_index("design_id")
    keep = [
        c for c in ("number", *params, "feasible", "reason", "constraints_ok") if c in first.columns
    ]
    out = first[keep].join(rows.drop(columns=["workload"]), how="left")
    if "feasible" in rows.columns:
        out["feasible"] = out["feasible"].astype(bool) & rows["feasible"].reindex(out.index).fillna(
            False
        ).astype(bool)
    return out


def select_in_study(study: Any) -> tuple[dict[str, pd.Series], pd.DataFrame, list[str]]:
    """The report's selections for a loaded study (for ``carbonspot study pareto``).

    Returns ``(selections, comparison table, sentences)``: ``selections`` maps ``fastest``,
    ``highest_tops_per_w``, ``lowest_energy``, ``lowest_carbon_ca``, ``lowest_carbon_pa`` and
    ``knee`` to design rows (each has a ``number`` = its first trial); the table is
    :func:`carbonspot.report.select.compare`'s. Raises :class:`InputError` when no trial is
    feasible.
    """
    ds = study_design_set(study)
    idx = select_indices(ds.designs)
    table = compare(ds.designs, idx)
    table.insert(1, "trial", [int(ds.designs.at[i, "number"]) for i in idx.values()])
    sel = {role: ds.designs.loc[i] for role, i in idx.items()}
    return sel, table, summary_sentences(table)
