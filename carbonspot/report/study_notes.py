"""The dashboard's view of a finished run: the study note and the Pareto-front trials' figures.

Written at the end of a run (``carbonspot study run``, :func:`annotate_study`), so the study
loop pays nothing for them; the per-trial notes and numeric attributes are written with each
trial (:mod:`carbonspot.search.notes`).

* **Study note** (optuna-dashboard's note, :func:`optuna_dashboard.save_note`): the report's
  comparison (:func:`carbonspot.report.select.compare`) — the most performant design against the
  carbon-optimal ones under CA and under PA and the report's other picks, with their ratios to
  the most performant one — and the report's sentences (:func:`~carbonspot.report.select.summary_sentences`).
* **Artifacts** in an optuna :class:`~optuna.artifacts.FileSystemArtifactStore` beside the
  journal (:func:`carbonspot.search.storage.artifact_dir`): each Pareto-front trial (at most
  ``max_trials``, the report's picks first) gets the report's carbon-breakdown and per-workload
  figures of its design next to the most performant and the carbon-optimal designs; the study
  gets the report's comparison figure and its Pareto-front pairs (axes with units). A finished
  trial's artifact is listed where optuna-dashboard lists those of finished trials (the study
  system attribute ``dashboard:artifacts:<trial_id>:<artifact_id>``: optuna's own
  ``upload_artifact`` writes a trial system attribute, which a finished trial no longer takes);
  the study's go through :func:`optuna.artifacts.upload_artifact`.

Drawing is the cost (a few tenths of a second per figure), so a run that ends with the same
picks keeps the figures of the trials still chosen and draws only those of newly chosen ones
(trials that left the choice lose theirs), and the study's figures are drawn again only when the
front or the picks changed.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from carbonspot.errors import InputError
from carbonspot.formatting import format_value
from carbonspot.report import plots, select
from carbonspot.report.design_set import DesignSet
from carbonspot.report.study_source import study_design_set
from carbonspot.search.attrs import parse_trial
from carbonspot.search.pareto import pareto_front

MAX_TRIALS = 4  # Pareto-front trials that get figures, by default (the picks, mostly)
FIGURE_DPI = 80  # small PNGs: the dashboard shows them at page width
FIGURES_ATTR = "carbonspot:figures"  # study system attribute: the figures this module wrote
TRIAL_ARTIFACT_PREFIX = "dashboard:artifacts:"  # optuna-dashboard: artifacts of finished trials
PICKS = ("fastest", "lowest_carbon_ca", "lowest_carbon_pa")  # the designs each figure shows
# Figures of a front trial: artifact file name -> report plot.
TRIAL_FIGURES = {
    "carbon_breakdown.png": plots.carbon_breakdown,
    "per_workload.png": plots.per_workload,
}
# Figures of the study: artifact file name -> report plot (drawn with all the report's picks).
STUDY_FIGURES = {
    "comparison_carbon_breakdown.png": plots.carbon_breakdown,
    "pareto_pairs.png": plots.pareto_pairs,
}
NOTE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("latency_ns", "latency [ns]"),
    ("energy_pj", "energy [pJ]"),
    ("area_mm2", "area [mm²]"),
    ("carbon_ca_g", "CA [g]"),
    ("carbon_pa_g", "PA [g]"),
)
RATIO_COLUMNS: tuple[tuple[str, str], ...] = (
    ("latency_ns_vs_fastest", "latency ×"),
    ("carbon_ca_g_vs_fastest", "CA ×"),
    ("carbon_pa_g_vs_fastest", "PA ×"),
)


@dataclass
class Annotations:
    """What :func:`annotate_study` wrote."""

    note: bool  # the study note
    front: int  # Pareto-front trials
    trials: int  # front trials that carry figures
    drawn: int  # figures drawn by this call (trial and study figures)
    artifact_dir: Path


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return "-"
    return format_value(value)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(":--" if i < 3 else "--:" for i in range(len(header))) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def study_note(ds: DesignSet, n_trials: Mapping[str, int], front: int, figures: str) -> str:
    """The study note: counts, the report's comparison with ratios, and its sentences."""
    name = ds.name
    scope = (
        f"the geometric mean over {ds.per_workload['workload'].nunique()} workloads"
        if ds.per_workload is not None and ds.workload == "geo"
        else f"workload {ds.workload}"
    )
    counts = ", ".join(f"{v} {k}" for k, v in n_trials.items() if v)
    lines = [
        f"## {name}: the most performant design against the carbon-optimal ones",
        "",
        f"Trials: {counts or 'none'}; Pareto front: {front} designs. Every number is per "
        f"inference ({scope}); carbon in g CO₂-eq, CA = continuous-active, PA = "
        "periodically-active. Written at the end of the last run of the study.",
        "",
    ]
    try:
        idx = select.select_indices(ds.designs)
    except InputError as exc:
        return "\n".join([*lines, f"No comparison yet: {exc}", ""])
    table = select.compare(ds.designs, idx)
    titles = select.role_titles()
    header = ["selection", "trial", "design"]
    header += [h for c, h in NOTE_COLUMNS if c in table.columns]
    header += [h for c, h in RATIO_COLUMNS if c in table.columns]
    rows = []
    for key, row in table.iterrows():
        number = ds.designs.at[idx[str(key)], "number"]
        cells = [titles.get(str(key), str(key)), str(int(number)), str(row["design"])]
        cells += [_cell(row[c]) for c, _ in NOTE_COLUMNS if c in table.columns]
        cells += [
            f"{float(row[c]):.3g}×" if np.isfinite(row[c]) else "-"
            for c, _ in RATIO_COLUMNS
            if c in table.columns
        ]
        rows.append(cells)
    lines += _md_table(header, rows)
    lines += ["", "Ratios (×) are to the most performant design.", ""]
    lines += [f"- {s}" for s in select.summary_sentences(table)]
    lines += ["", figures, ""]
    return "\n".join(lines)


def _front_order(front_ids: Sequence[str], picks: Mapping[str, object], limit: int) -> list[int]:
    """Positions in ``front_ids`` that get figures: the picks first, then evenly spread."""
    chosen: list[int] = []
    for role in (*PICKS, *(r for r in picks if r not in PICKS)):
        design = str(picks[role]) if role in picks else None
        if design in front_ids:
            pos = front_ids.index(design)
            if pos not in chosen:
                chosen.append(pos)
    rest = [i for i in range(len(front_ids)) if i not in chosen]
    room = max(0, limit - len(chosen))
    if rest and room:
        spread = np.unique(np.linspace(0, len(rest) - 1, min(room, len(rest))).round().astype(int))
        chosen += [rest[i] for i in spread]
    return chosen[:limit]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    return buf.getvalue()


def _meta(artifact_id: str, filename: str) -> dict[str, Any]:
    return {
        "artifact_id": artifact_id,
        "filename": filename,
        "mimetype": "image/png",
        "encoding": None,
    }


def _study_figures(study: Any, store: Any, ds: DesignSet, picks: Mapping[str, object]) -> int:
    """Draw the study's figures; a figure uploaded before is overwritten in place."""
    import optuna

    existing = {m.filename: m.artifact_id for m in optuna.artifacts.get_all_artifact_meta(study)}
    drawn = 0
    for filename, plot in STUDY_FIGURES.items():
        fig = plot(ds, picks)
        if fig is None:
            continue
        data = _png(fig)
        drawn += 1
        if filename in existing:
            store.write(existing[filename], io.BytesIO(data))
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / filename
            path.write_bytes(data)
            optuna.artifacts.upload_artifact(
                artifact_store=store, file_path=str(path), study_or_trial=study
            )
    return drawn


def annotate_study(
    study: Any, artifact_dir: str | Path, max_trials: int = MAX_TRIALS
) -> Annotations:
    """Write the study note and the figures of the Pareto-front trials (end of a run).

    ``max_trials`` front trials get figures (0: no figures, the note only).
    """
    import optuna
    from optuna_dashboard import save_note

    artifact_dir = Path(artifact_dir)
    ds = study_design_set(study)
    trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
    counts = {"complete": 0, "failed": 0, "interrupted": 0, "pruned": 0, "running": 0}
    for t in trials:
        key = t.state.name.lower()
        if t.state == optuna.trial.TrialState.FAIL:
            key = "interrupted" if parse_trial(t).interrupted else "failed"
        counts[key] = counts.get(key, 0) + 1
    front, _ = pareto_front(study)
    try:
        picks = select.select_indices(ds.designs) if len(ds.designs) else {}
    except InputError:
        picks = {}
    system = study._storage.get_study_system_attrs(study._study_id)
    record = system.get(FIGURES_ATTR) or {}
    drawn = 0
    with_figures = 0
    if max_trials > 0 and front and picks:
        artifact_dir.mkdir(parents=True, exist_ok=True)
        store = optuna.artifacts.FileSystemArtifactStore(artifact_dir)
        new, drawn, with_figures = _trial_figures(
            study, store, ds, front, picks, record, max_trials
        )
        new["front"] = sorted(t._trial_id for t in front)
        if drawn or new["front"] != record.get("front"):
            drawn += _study_figures(study, store, ds, picks)
        study._storage.set_study_system_attr(study._study_id, FIGURES_ATTR, new)
    figures = (
        f"Figures: {with_figures} Pareto-front trials carry the report's figures of their design "
        "next to the most performant and the carbon-optimal ones (each trial's Artifacts; "
        f"listed in the study system attribute `{FIGURES_ATTR}`); the study carries the "
        "comparison and the Pareto-front pairs (Study Artifacts)."
        if with_figures
        else "Figures: none (a run with `--figures 0`, or no feasible design yet)."
    )
    save_note(study, study_note(ds, counts, len(front), figures))
    return Annotations(True, len(front), with_figures, drawn, artifact_dir)


def _trial_figures(
    study: Any,
    store: Any,
    ds: DesignSet,
    front: Sequence[Any],
    picks: Mapping[str, object],
    record: Mapping[str, Any],
    max_trials: int,
) -> tuple[dict[str, Any], int, int]:
    """Figures of the chosen front trials: (the new record, figures drawn, trials with figures)."""
    storage, study_id = study._storage, study._study_id
    designs = ds.designs
    front_ids = [parse_trial(t).design_key or "" for t in front]
    chosen = [front[i] for i in _front_order(front_ids, picks, max_trials)]
    context = {role: picks[role] for role in PICKS if role in picks}
    signature = {role: str(v) for role, v in context.items()}
    same_picks = record.get("picks") == signature
    old: dict[str, dict[str, str]] = dict(record.get("trials") or {})
    new: dict[str, dict[str, str]] = {}
    drawn = 0
    for t in chosen:
        key = parse_trial(t).design_key
        if key not in designs.index:
            continue
        tid = str(t._trial_id)
        ids = dict(old.get(tid) or {})
        if same_picks and ids:  # drawn with the same picks by an earlier run
            new[tid] = ids
            continue
        selections = {f"trial {t.number}": key, **context}
        for filename, plot in TRIAL_FIGURES.items():
            fig = plot(ds, selections)
            if fig is None:
                continue
            artifact_id = ids.get(filename) or str(uuid.uuid4())
            store.write(artifact_id, io.BytesIO(_png(fig)))
            drawn += 1
            if filename not in ids:
                storage.set_study_system_attr(
                    study_id,
                    f"{TRIAL_ARTIFACT_PREFIX}{tid}:{artifact_id}",
                    json.dumps(_meta(artifact_id, filename)),
                )
                ids[filename] = artifact_id
        new[tid] = ids
    for tid, ids in old.items():  # trials that left the front, or lost their place
        if tid in new:
            continue
        for artifact_id in ids.values():
            with contextlib.suppress(Exception):
                store.remove(artifact_id)
            storage.set_study_system_attr(
                study_id, f"{TRIAL_ARTIFACT_PREFIX}{tid}:{artifact_id}", json.dumps(None)
            )
    return {"picks": signature, "trials": new}, drawn, len(new)


def figure_trials(study: Any) -> dict[int, list[str]]:
    """Trial number → the figure file names :func:`annotate_study` attached to it."""
    record = study._storage.get_study_system_attrs(study._study_id).get(FIGURES_ATTR) or {}
    by_id = {str(t._trial_id): t.number for t in study.get_trials(deepcopy=False)}
    return {
        by_id[tid]: sorted(ids) for tid, ids in (record.get("trials") or {}).items() if tid in by_id
    }
