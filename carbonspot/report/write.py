"""Write a report folder: the comparison table (CSV + text), every PNG and an index page.

:func:`build_report` computes everything (selections, table, sentences, figures) without
touching the disk; :func:`write_report` saves it under ``out_dir`` as ``comparison.csv``,
``comparison.txt``, ``*.png`` and ``index.md`` or ``index.html``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from carbonspot.design import param_applies
from carbonspot.errors import InputError
from carbonspot.formatting import format_value
from carbonspot.report import plots, select
from carbonspot.report.design_set import DesignSet
from carbonspot.report.sources import layer_rows

FORMATS = ("md", "html")
SHORT_ROLE = plots.SHORT_ROLES  # the same names in the table and in the figures


@dataclass
class Figure:
    """One figure of the report: file name, one-line caption and the matplotlib figure."""

    name: str
    caption: str
    figure: object


@dataclass
class Report:
    """Everything a report shows, before or after it is written."""

    source: DesignSet
    selections: dict[str, object]
    table: pd.DataFrame
    sentences: list[str]
    figures: list[Figure]
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def n_designs(self) -> int:
        """Designs in the source."""
        return len(self.source.designs)

    @property
    def n_eligible(self) -> int:
        """Feasible designs that meet the deadline and constraints."""
        return int(select.eligible_mask(self.source.designs).sum())


# --------------------------------------------------------------------------------------------
# the side-by-side table


def _templates(table: pd.DataFrame) -> list[str | None]:
    """The template of each selected design (``acc_type`` or ``template``), if the table has it."""
    for col in ("acc_type", "template"):
        if col in table.columns:
            return [None if pd.isna(v) else str(v) for v in table[col]]
    return [None] * len(table)


def side_by_side(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The comparison as text cells: one column per selection, one row per quantity.

    A parameter that does not apply to a design's template (``adc_bits`` of a DIMC) shows as
    ``-``; rows of parameters that apply to none of the designs are left out.
    """
    header = ["quantity", *[SHORT_ROLE.get(str(k), str(k)) for k in table.index]]
    templates = _templates(table)
    params = table.attrs.get("params", [])
    rows: list[list[str]] = []
    for col in table.columns:
        if col == "role":
            continue
        if col.endswith("_vs_fastest"):
            metric = col[: -len("_vs_fastest")]
            label = f"{select.metric_label(metric).split(' [')[0]} ÷ fastest"
            cells = [f"{float(v):.3g}×" if math.isfinite(float(v)) else "-" for v in table[col]]
        else:
            if col in ("design", "trial"):
                label = col
            elif col == "objective":
                label = "mapper objective"
            elif col in params:
                label = col
            else:
                label = select.metric_label(col)
            cells = [format_value(v) for v in table[col]]
            if col in params:
                applies = [t is None or param_applies(t, col) for t in templates]
                if not any(applies):
                    continue
                cells = [c if ok else "-" for c, ok in zip(cells, applies, strict=True)]
        rows.append([label, *cells])
    return header, rows


def format_text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned plain-text table (first column left, the others right-aligned)."""
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [cells[0].ljust(widths[0])]
        parts += [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def esc(c: str) -> str:
        return c.replace("|", "\\|").replace("\n", " ")

    out = [
        "| " + " | ".join(esc(h) for h in header) + " |",
        "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "\n".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i else ''}>{html.escape(c)}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table>\n<thead><tr>{th}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n"


# --------------------------------------------------------------------------------------------
# building


PlotFn = Callable[[DesignSet, dict], object]
PLOTS: tuple[tuple[str, str, PlotFn], ...] = (
    (
        "pareto_pairs.png",
        "Pareto fronts for every pair of objectives; selected designs marked.",
        plots.pareto_pairs,
    ),
    (
        "pareto_3d.png",
        "Latency–energy–carbon in 3-D (CA and PA); Pareto front dark, selected designs marked.",
        plots.pareto_3d,
    ),
    (
        "carbon_ca_vs_pa.png",
        "CA vs PA carbon of every design, coloured by SRAM size, marker by accelerator type "
        "(the paper's Figure 2).",
        plots.carbon_scatter,
    ),
    (
        "carbon_breakdown.png",
        "Carbon of the selected designs split into operational, die, package and DRAM "
        "(for geo rows: each part's mean share over the workloads times the geo total).",
        plots.carbon_breakdown,
    ),
    (
        "performance_bars.png",
        "Energy, latency, clock, area, inference time and TOP/s/W of the selected designs, "
        "with their breakdowns (a zero part has no bar on a log axis).",
        plots.performance_bars,
    ),
    (
        "per_workload.png",
        "Latency, energy and carbon of the selected designs on each workload.",
        plots.per_workload,
    ),
)


def _layer_design(selections: dict[str, object], prefer: str | None) -> tuple[str, object]:
    for role in ([prefer] if prefer else []) + ["knee", "fastest", *selections]:
        if role in selections:
            return role, selections[role]
    if prefer:
        raise InputError(f"no selection {prefer!r}", field="--layers-of", allowed=list(selections))
    raise InputError("no design selected")


def build_report(
    ds: DesignSet,
    layers_of: str | None = None,
    per_layer: bool = True,
    presets: Sequence[str] | None = None,
) -> Report:
    """Select, compare and draw; raises :class:`InputError` when nothing is eligible.

    ``layers_of`` names the selection whose layers are drawn (default: the knee).
    ``per_layer=False`` skips the per-layer figure (it re-runs the cost model on one design).
    """
    df = ds.designs
    what = f"{ds.kind} {ds.name}"
    if len(df) == 0 or not select.eligible_mask(df).any():
        raise InputError(select.explain_empty(df, what=what))
    sel = select.select_indices(df)
    table = select.compare(df, sel)
    sentences = select.summary_sentences(table)
    notes = list(ds.notes)
    figures: list[Figure] = []
    for name, caption, fn in PLOTS:
        fig = fn(ds, sel)
        if fig is None:
            notes.append(f"{name} not drawn: the source lacks the data for it")
            continue
        figures.append(Figure(name, caption, fig))
    if per_layer:
        role, idx = _layer_design(sel, layers_of)
        label = select.design_label(df, idx)
        try:
            layers, how = layer_rows(ds, idx, presets=presets)
        except InputError as exc:
            notes.append(f"per_layer.png not drawn: {exc}")
        except Exception as exc:  # noqa: BLE001 - an optional figure must not sink the report
            notes.append(
                f"per_layer.png not drawn: re-evaluating the design failed "
                f"({type(exc).__name__}: {exc})"
            )
        else:
            fig = plots.per_layer(
                layers, f"Per-layer energy and latency — {label} ({SHORT_ROLE.get(role, role)})"
            )
            if fig is not None:
                figures.append(
                    Figure(
                        "per_layer.png",
                        f"Per-layer energy and latency of the {SHORT_ROLE.get(role, role)} design "
                        f"({label}); {how}.",
                        fig,
                    )
                )
    if ds.kind == "study":
        fig = plots.hypervolume_curve(ds)
        if fig is None:
            notes.append("hypervolume.png not drawn: no eligible trial")
        else:
            figures.append(
                Figure(
                    "hypervolume.png",
                    "Hypervolume of the feasible trials so far against the trial number.",
                    fig,
                )
            )
    return Report(ds, sel, table, sentences, figures, notes)


def inference_note(ds: DesignSet) -> str | None:
    """What "per inference" means when the source's workloads are LLM steps (else None)."""
    from carbonspot.workload.zoo.llm import inference_unit

    if ds.workload != "geo":
        names = [ds.workload]
    elif ds.per_workload is not None and "workload" in ds.per_workload.columns:
        names = list(dict.fromkeys(str(w) for w in ds.per_workload["workload"]))
    else:
        return None
    units = {inference_unit(n) for n in names}
    if not names or None in units:
        return None
    if len(units) == 1:
        return f"one inference = {units.pop()}"
    decode = all("generated token" in u for u in units)
    return (
        "one inference = "
        + ("one generated token" if decode else "one LLM step")
        + (" (" + "; ".join(f"{n}: {inference_unit(n)}" for n in names) + ")")
    )


def report_text(rep: Report) -> str:
    """The comparison as the CLI prints it: summary line, table, sentences and notes."""
    header, rows = side_by_side(rep.table)
    ds = rep.source
    scope = (
        "geometric mean over the workloads" if ds.workload == "geo" else (f"workload {ds.workload}")
    )
    unit = inference_note(ds)
    lines = [
        f"{ds.kind} {ds.name}: {rep.n_designs} design{'' if rep.n_designs == 1 else 's'}, {rep.n_eligible} feasible "
        f"(meet the deadline and constraints); metrics: {scope}",
        *([unit] if unit else []),
        "",
        format_text_table(header, rows),
        *rep.sentences,
    ]
    return "\n".join(lines).rstrip() + "\n"


def _index_markdown(rep: Report, header, rows) -> str:
    ds = rep.source
    scope = (
        "geometric mean over the workloads"
        if ds.workload == "geo"
        else (f"workload `{ds.workload}`")
    )
    out = [
        f"# CarbonSpot report: {ds.name}",
        "",
        f"Source: {ds.kind} `{ds.name}` — {rep.n_designs} designs, {rep.n_eligible} feasible "
        f"(meeting the frame deadline and constraints). Metrics: {scope}.",
        *(
            [f"Units: {inference_note(ds)}; carbon, energy and latency are per inference."]
            if inference_note(ds)
            else []
        ),
        "",
        "## Selected designs",
        "",
        *[f"- {s}" for s in rep.sentences],
        "",
        _markdown_table(header, rows),
        "The same table as CSV: [comparison.csv](comparison.csv).",
        "",
        "## Figures",
        "",
    ]
    for f in rep.figures:
        out += [f"![{f.caption}]({f.name})", "", f"*{f.caption}*", ""]
    if rep.notes:
        out += ["## Notes", "", *[f"- {n}" for n in rep.notes], ""]
    return "\n".join(out)


def _index_html(rep: Report, header, rows) -> str:
    ds = rep.source
    scope = (
        "geometric mean over the workloads" if ds.workload == "geo" else (f"workload {ds.workload}")
    )
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        "<html lang=en><head><meta charset=utf-8>",
        f"<title>CarbonSpot report: {e(ds.name)}</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;"
        "padding:2px 6px}td.num{text-align:right}img{max-width:100%}"
        "figure{margin:1.5em 0}</style></head><body>",
        f"<h1>CarbonSpot report: {e(ds.name)}</h1>",
        f"<p>Source: {e(ds.kind)} <code>{e(ds.name)}</code> — {rep.n_designs} designs, "
        f"{rep.n_eligible} feasible (meeting the frame deadline and constraints). "
        f"Metrics: {e(scope)}.</p>",
        "<h2>Selected designs</h2>",
        "<ul>" + "".join(f"<li>{e(s)}</li>" for s in rep.sentences) + "</ul>",
        _html_table(header, rows),
        '<p>The same table as CSV: <a href="comparison.csv">comparison.csv</a>.</p>',
        "<h2>Figures</h2>",
    ]
    for f in rep.figures:
        parts.append(
            f'<figure><img src="{e(f.name)}" alt="{e(f.caption)}">'
            f"<figcaption>{e(f.caption)}</figcaption></figure>"
        )
    if rep.notes:
        parts += [
            "<h2>Notes</h2>",
            "<ul>" + "".join(f"<li>{e(n)}</li>" for n in rep.notes) + "</ul>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(rep: Report, out_dir: str | Path, fmt: str = "md") -> list[Path]:
    """Save the report's table, figures and index page under ``out_dir``; returns the files."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", field="--format", allowed=FORMATS)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a directory", field="--out", source=str(out))
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    csv_path = out / "comparison.csv"
    rep.table.to_csv(csv_path)
    files.append(csv_path)
    txt_path = out / "comparison.txt"
    txt_path.write_text(report_text(rep))
    files.append(txt_path)
    for f in rep.figures:
        path = out / f.name
        f.figure.savefig(path, dpi=plots.DPI)
        files.append(path)
    header, rows = side_by_side(rep.table)
    if fmt == "md":
        index = out / "index.md"
        index.write_text(_index_markdown(rep, header, rows))
    else:
        index = out / "index.html"
        index.write_text(_index_html(rep, header, rows))
    files.append(index)
    rep.files = files
    return files
