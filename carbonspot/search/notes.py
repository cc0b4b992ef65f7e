"""Markdown notes of a study's trials, in optuna-dashboard's note format.

optuna-dashboard shows a trial's note on the trial's page. It keeps notes as study system
attributes: ``dashboard:<trial_id>:note_ver`` (the version, bumped by each edit in the dashboard)
and ``dashboard:<trial_id>:note_str:<i>`` (the body in pieces of at most 2,045 characters);
``optuna_dashboard.save_note`` writes them one call at a time. A study writes each trial's note
in the same storage append as the trial's result (:func:`note_attrs`, used by
:class:`~carbonspot.search.trials.TrialLedger`), so the notes add no storage round trip to the
study loop. The study's own note (the report's comparison) is written at the end of a run by
:mod:`carbonspot.report.study_notes`.

Every number of a note is per inference, with its unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from carbonspot.formatting import format_value
from carbonspot.search.attrs import SCENARIOS, carbon_split
from carbonspot.search.objective import Evaluation

NOTE_PREFIX = "dashboard:"
NOTE_PIECE_CHARS = 2045  # optuna-dashboard's SYSTEM_ATTR_MAX_LENGTH
CARBON_UNIT = "g CO₂-eq per inference"
SCENARIO_NAMES = {"ca": "CA (continuous-active)", "pa": "PA (periodically-active)"}

# Headline rows of a trial note: (metric, label, unit).
HEADLINE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("latency_ns", "latency", "ns"),
    ("latency_cycles", "latency in cycles", "cycles"),
    ("tclk_ns", "clock period", "ns"),
    ("energy_pj", "energy", "pJ"),
    ("area_mm2", "area", "mm²"),
    ("tops_per_w", "energy efficiency", "TOP/s/W"),
    ("power_mw", "power (continuous run)", "mW"),
    ("carbon_ca_g", "carbon, CA", "g CO₂-eq"),
    ("carbon_pa_g", "carbon, PA", "g CO₂-eq"),
)
# Columns of the per-workload table: (column of the workload row, header).
WORKLOAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("latency_ns", "latency [ns]"),
    ("energy_pj", "energy [pJ]"),
    ("tops_per_w", "TOP/s/W"),
    ("carbon_ca_operational_g", "operational [g]"),  # the same under CA and PA
    ("carbon_ca_g", "CA total [g]"),
    ("carbon_pa_g", "PA total [g]"),
)


def note_ver_key(trial_id: int | None) -> str:
    """The note-version key of a trial (``None``: of the study)."""
    return f"{NOTE_PREFIX}note_ver" if trial_id is None else f"{NOTE_PREFIX}{trial_id}:note_ver"


def note_str_prefix(trial_id: int | None) -> str:
    """The prefix of the keys holding the pieces of a note (``None``: the study's)."""
    return f"{NOTE_PREFIX}note_str:" if trial_id is None else f"{NOTE_PREFIX}{trial_id}:note_str:"


def note_attrs(trial_id: int | None, body: str, version: int = 1) -> dict[str, Any]:
    """The study system attributes holding ``body`` as the note of a trial (or the study).

    ``version`` 1 is a new note; optuna-dashboard accepts an edit only as the next version.
    """
    prefix = note_str_prefix(trial_id)
    pieces = {
        f"{prefix}{i}": body[start : start + NOTE_PIECE_CHARS]
        for i, start in enumerate(range(0, len(body), NOTE_PIECE_CHARS))
    }
    return {note_ver_key(trial_id): version, **pieces}


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format_value(value)


def _table(header: list[str], rows: list[list[str]], align: str) -> list[str]:
    """A Markdown table; ``align`` has one letter per column: ``l`` or ``r``."""
    marks = [":--" if a == "l" else "--:" for a in align]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(marks) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def design_line(design: Mapping[str, Any]) -> str:
    """The design in one line: the template in bold, then every parameter."""
    template = design.get("template")
    parts = [f"**{template}**"] if template is not None else []
    parts += [f"{k} = {_cell(v)}" for k, v in design.items() if k != "template"]
    return " · ".join(parts)


def _scope(workloads: Mapping[str, Any]) -> str:
    names = list(workloads)
    if len(names) == 1:
        return f"on workload {names[0]}"
    if not names:
        return ""
    return f"geometric mean over {len(names)} workloads ({', '.join(names)})"


def _carbon_rows(metrics: Mapping[str, Any], split: Mapping[str, float]) -> list[list[str]]:
    rows = []
    for scen in SCENARIOS:
        total = metrics.get(f"carbon_{scen}_g")
        op = split.get(f"carbon_{scen}_operational_g")
        emb = split.get(f"carbon_{scen}_embodied_g")
        share = "-"
        if emb is not None and isinstance(total, (int, float)) and total:
            share = f"{100.0 * emb / float(total):.3g} %"
        rows.append([SCENARIO_NAMES[scen], _cell(op), _cell(emb), _cell(total), share])
    return rows


def trial_note(ev: Evaluation) -> str:
    """The note of a COMPLETE trial: design, headline metrics, carbon split, per workload."""
    lines = [design_line(ev.design), ""]
    if not ev.feasible:
        lines.append(f"**Infeasible:** {ev.reason or 'no reason recorded'}")
        return "\n".join(lines) + "\n"
    scope = _scope(ev.workloads)
    lines.append(f"**Per inference**{', ' + scope if scope else ''}:")
    lines.append("")
    rows = [
        [label, _cell(ev.metrics.get(col)), unit]
        for col, label, unit in HEADLINE_ROWS
        if col in ev.metrics
    ]
    lines += _table(["metric", "value", "unit"], rows, "lrl")
    split = carbon_split(ev.metrics, ev.workloads)
    if split:
        lines += [
            "",
            f"**Carbon split** ({CARBON_UNIT}): operational = electricity; embodied = share of "
            "making the die, package and memory",
            "",
        ]
        lines += _table(
            ["scenario", "operational", "embodied", "total", "embodied share"],
            _carbon_rows(ev.metrics, split),
            "lrrrr",
        )
    if ev.workloads:
        cols = [(c, h) for c, h in WORKLOAD_COLUMNS if any(c in r for r in ev.workloads.values())]
        lines += ["", "**Per workload** (per inference; carbon in g CO₂-eq)", ""]
        rows = [
            [str(name), *(_cell(row.get(c)) for c, _ in cols)] for name, row in ev.workloads.items()
        ]
        lines += _table(["workload", *(h for _, h in cols)], rows, "l" + "r" * len(cols))
    return "\n".join(lines) + "\n"


def interrupted_note(signal_name: str) -> str:
    """The note of a trial a signal stopped while its design was being evaluated."""
    return (
        f"**Interrupted** by {signal_name} while its design was being evaluated. This is not a "
        "failure of the design: running the study again resumes it, and the design is "
        "evaluated again when the solver proposes it.\n"
    )
