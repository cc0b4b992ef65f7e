"""The report's figures, drawn with matplotlib's object API on the Agg canvas (no pyplot state,
no windows): each function takes a :class:`~carbonspot.report.design_set.DesignSet` (and the
selections) and returns a :class:`matplotlib.figure.Figure`, or ``None`` when the source lacks
the data for it. :func:`carbonspot.report.write.write_report` saves them.

Conventions: every axis label has its unit; an axis whose positive data spans a decade or more
is logarithmic; legends sit outside the axes so they never hide a point; selected designs are
drawn as hollow markers of different shapes and sizes, so designs picked for several roles stay
visible.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from carbonspot.formatting import shorten_names
from carbonspot.report import select
from carbonspot.report.design_set import DesignSet, format_bytes

DPI = 120
ROLE_STYLE: dict[str, dict[str, object]] = {
    "fastest": {"marker": "*", "color": "#d62728", "s": 420},
    "highest_tops_per_w": {"marker": "D", "color": "#9467bd", "s": 80},
    "lowest_energy": {"marker": "s", "color": "#1f77b4", "s": 230},
    "lowest_carbon_ca": {"marker": "^", "color": "#2ca02c", "s": 300},
    "lowest_carbon_pa": {"marker": "v", "color": "#17becf", "s": 300},
    "knee": {"marker": "o", "color": "#ff7f0e", "s": 520},
}
GROUP_COLORS = {
    "operational": "#e45756",
    "die": "#4c78a8",
    "package": "#f2a541",
    "dram": "#72b7b2",
    "ssd": "#b279a2",
    "other": "#9d9d9d",
}
PART_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d"]
ACC_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "h", "<", ">"]


# --------------------------------------------------------------------------------------------
# helpers


def spans_decades(values: Sequence[float] | np.ndarray, ratio: float = 10.0) -> bool:
    """True when the positive finite values span at least ``ratio`` (→ log axis)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    return len(v) > 1 and v.max() / v.min() >= ratio and (v > 0).all()


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick_text(v: float, _pos: object = None) -> str:
    """Readable tick: plain numbers between 1e-3 and 1e4, else m×10^e in mathtext."""
    if v <= 0 or not math.isfinite(v):
        return ""
    if 1e-3 <= v < 1e4:
        return f"{v:g}"
    e = math.floor(math.log10(v) + 1e-9)
    m = v / 10**e
    # Unicode superscripts, not mathtext: same look, a fraction of the layout time.
    power = "10" + str(e).translate(_SUPERSCRIPT)
    if abs(m - 1) < 1e-6:
        return power
    return f"{m:.2g}×{power}"


def log_axis(ax, axis: str, values: np.ndarray | None = None) -> None:
    """Log scale with readable ticks: 1-2-5 ticks over short spans, decades over long ones."""
    from matplotlib.ticker import LogLocator, NullFormatter, NullLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    subs: tuple[float, ...] = (1.0,)
    if values is not None:
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v) & (v > 0)]
        ratio = v.max() / v.min() if len(v) else 1.0
        # Horizontal labels are wide: fewer ticks on x than on y for the same span.
        if ratio < (10.0 if axis == "x" else 1e3):
            subs = (1.0, 2.0, 5.0)
        elif ratio < (100.0 if axis == "x" else 1e5):
            subs = (1.0, 3.0)
    target.set_major_locator(LogLocator(base=10, subs=subs))
    target.set_major_formatter(FuncFormatter(_tick_text))
    target.set_minor_formatter(NullFormatter())
    if subs != (1.0,):  # labelled 1-2-5 or 1-3 ticks already; minor ticks would only add cost
        target.set_minor_locator(NullLocator())


def _bar_floor(ax, values: np.ndarray, factor: float = 3.0) -> None:
    """Bars on a log axis start at the axis bottom: put it a factor below the smallest bar
    so that every bar shows a visible height."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if len(v):
        ax.set_ylim(bottom=v.min() / factor)


def _set_scale(ax, axis: str, values: np.ndarray) -> bool:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    log = len(v) > 1 and (v > 0).all() and spans_decades(v)
    if log:
        log_axis(ax, axis, v)
    else:
        ax.ticklabel_format(axis=axis, style="sci", scilimits=(-3, 4), useMathText=True)
    return log


def _new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _role_legend_handles(roles: Sequence[str]) -> list[Line2D]:
    titles = select.role_titles()
    handles = []
    for role in roles:
        st = ROLE_STYLE.get(role, {"marker": "o", "color": "k", "s": 100})
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=st["marker"],
                markersize=math.sqrt(float(st["s"])) * 0.75,
                markerfacecolor="none",
                markeredgecolor=st["color"],
                markeredgewidth=2,
                label=titles.get(role, role),
            )
        )
    return handles


def _mark_selected(
    ax, df: pd.DataFrame, selections: Mapping[str, object], cols: Sequence[str], transform=None
) -> None:
    for role, idx in selections.items():
        st = ROLE_STYLE.get(role, {"marker": "o", "color": "k", "s": 100})
        coords = [float(df.at[idx, c]) for c in cols]
        if transform is not None:
            coords = transform(coords)
        ax.scatter(
            *[[c] for c in coords],
            marker=st["marker"],
            s=st["s"],
            facecolors="none",
            edgecolors=st["color"],
            linewidths=2,
            zorder=5,
            clip_on=False,
        )


def _front_2d(x: np.ndarray, y: np.ndarray, xdir: str, ydir: str) -> np.ndarray:
    """Indices of the 2-D non-dominated points, sorted by x."""
    from carbonspot.search.pareto import pareto_mask

    F = np.column_stack([x if xdir == "min" else -x, y if ydir == "min" else -y])
    idx = np.flatnonzero(pareto_mask(F))
    return idx[np.argsort(x[idx], kind="stable")]


# Short names of the selections: the report table's headers and the figures' design labels.
SHORT_ROLES = {
    "fastest": "fastest",
    "highest_tops_per_w": "best TOP/s/W",
    "lowest_energy": "lowest energy",
    "lowest_carbon_ca": "lowest CA carbon",
    "lowest_carbon_pa": "lowest PA carbon",
    "knee": "knee",
}


def _bar_labels(df: pd.DataFrame, selections: Mapping[str, object]) -> tuple[list, list[str]]:
    """Unique selected designs (in role order), each labelled by its first selection's name.

    Tick labels are ``fastest``, ``lowest PA carbon``, ``knee``, ... (never ``D1``, ``D2``: those are
    array dimensions); :func:`_design_key_text` gives the matching key
    (``fastest = <design> (<every selection it holds>)``).
    """
    order: list = []
    labels: list[str] = []
    for role, idx in selections.items():
        if idx not in order:
            order.append(idx)
            labels.append(SHORT_ROLES.get(role, role))
    return order, labels


def _design_key_text(df: pd.DataFrame, selections: Mapping[str, object]) -> str:
    order, keys = _bar_labels(df, selections)
    lines = []
    for key, idx in zip(keys, order, strict=True):
        roles = [SHORT_ROLES.get(r, r) for r, i in selections.items() if i == idx]
        lines.append(f"{key} = {select.design_label(df, idx)} ({', '.join(roles)})")
    return "\n".join(lines)


def _add_key(fig: Figure, df: pd.DataFrame, selections: Mapping[str, object]) -> None:
    fig.supxlabel(
        _design_key_text(df, selections), x=0.01, ha="left", fontsize=8, family="monospace"
    )


def _wrap(text: str, width: int) -> str:
    out_lines = []
    for line in text.split("\n"):
        words, cur = line.split(" "), ""
        for w in words:
            if cur and len(cur) + 1 + len(w) > width:
                out_lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}".strip()
        out_lines.append(cur)
    return "\n".join(out_lines)


def _stacked_bars(
    ax,
    labels: list[str],
    parts: Mapping[str, np.ndarray],
    colors: Sequence[str],
    ylabel: str,
    title: str,
) -> None:
    """Stacked bars; when the totals span a decade, grouped bars on a log axis instead."""
    x = np.arange(len(labels))
    names = list(parts)
    values = np.array([np.nan_to_num(np.asarray(parts[n], dtype=float)) for n in names])
    totals = values.sum(axis=0)
    nonzero = values[values > 0]
    if len(names) > 1 and (spans_decades(totals) or spans_decades(nonzero, 1e3)):
        width = 0.8 / len(names)
        for k, name in enumerate(names):
            v = values[k]
            ax.bar(
                x - 0.4 + width * (k + 0.5),
                np.where(v > 0, v, np.nan),
                width,
                label=name,
                color=colors[k % len(colors)],
            )
        ax.scatter(
            x,
            np.where(totals > 0, totals, np.nan),
            marker="_",
            s=900,
            color="k",
            linewidths=2,
            zorder=4,
            label="total",
            clip_on=False,
        )
        log_axis(ax, "y", np.concatenate([values[values > 0], totals[totals > 0]]))
        _bar_floor(ax, values[values > 0])
        title += " (parts side by side, log scale; — = total)"
    else:
        bottom = np.zeros(len(labels))
        for k, name in enumerate(names):
            # zero-height segments would pin the y limit at their bottom (sticky edge): skip them
            m = values[k] > 0
            ax.bar(
                x[m], values[k][m], 0.6, bottom=bottom[m], label=name, color=colors[k % len(colors)]
            )
            bottom += values[k]
        if len(names) == 1 and spans_decades(totals):
            log_axis(ax, "y", totals)
            _bar_floor(ax, totals)
        else:
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4), useMathText=True)
        ax.margins(y=0.12)
    ax.set_xticks(x, [_wrap(label, 10) for label in labels], fontsize=9)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)


# --------------------------------------------------------------------------------------------
# Pareto fronts


def pareto_pairs(ds: DesignSet, selections: Mapping[str, object]) -> Figure | None:
    """Every pair of objectives: all designs, the 2-D front of eligible ones, selections."""
    df = ds.designs
    objs = ds.objectives
    if len(objs) < 2:
        return None
    pairs = list(itertools.combinations(objs, 2))
    ncols = min(3, len(pairs))
    nrows = math.ceil(len(pairs) / ncols)
    fig = _new_figure(4.6 * ncols, 3.9 * nrows + 1.2)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    ok = select.eligible_mask(df)
    for ax, ((cx, dx), (cy, dy)) in zip(axes, pairs, strict=False):
        x = df[cx].to_numpy(dtype=float)
        y = df[cy].to_numpy(dtype=float)
        finite = np.isfinite(x) & np.isfinite(y)
        bad = finite & ~ok
        ax.scatter(x[bad], y[bad], s=14, marker="x", color="#bbbbbb", linewidths=0.8, zorder=1)
        ax.scatter(x[ok], y[ok], s=16, color="#6baed6", alpha=0.8, zorder=2, linewidths=0)
        if ok.any():
            sub = np.flatnonzero(ok)
            front = sub[_front_2d(x[ok], y[ok], dx, dy)]
            ax.plot(
                x[front], y[front], "-", color="#08306b", lw=1.2, drawstyle="steps-post", zorder=3
            )
            ax.scatter(x[front], y[front], s=22, color="#08306b", zorder=4)
        _mark_selected(ax, df, selections, (cx, cy))
        _set_scale(ax, "x", x[finite])
        _set_scale(ax, "y", y[finite])
        ax.set_xlabel(select.metric_label(cx) + ("" if dx == "min" else " (higher is better)"))
        ax.set_ylabel(select.metric_label(cy) + ("" if dy == "min" else " (higher is better)"))
        ax.grid(alpha=0.3, which="major")
        ax.margins(0.08)
    for ax in axes[len(pairs) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], linestyle="none", marker="o", color="#6baed6", label="feasible design"),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="x",
            color="#bbbbbb",
            label="misses the deadline or a constraint",
        ),
        Line2D([], [], marker="o", color="#08306b", markersize=5, label="Pareto front of the pair"),
        *_role_legend_handles(list(selections)),
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(5, len(handles)),
        fontsize=8,
        frameon=False,
    )
    fig.suptitle(f"Pareto fronts — {ds.name} ({_scope(ds)})", fontsize=11)
    return fig


def _scope(ds: DesignSet) -> str:
    if ds.workload == "geo":
        return "geometric mean over the workloads"
    return f"workload {ds.workload}"


def _scaled_label(label: str, exponent: int) -> str:
    """``energy [pJ]`` scaled by 10^6 → ``energy [10⁶ pJ]``."""
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    if label.endswith("]") and "[" in label:
        head, unit = label[:-1].split("[", 1)
        return f"{head}[{power} {unit}]"
    return f"{label} [×{power}]"


def pareto_3d(ds: DesignSet, selections: Mapping[str, object]) -> Figure | None:
    """3-D latency–energy–carbon scatter (CA and PA side by side), selections marked."""
    df = ds.designs
    carbons = [c for c in ("carbon_ca_g", "carbon_pa_g") if c in df.columns]
    if not carbons or not {"latency_ns", "energy_pj"} <= set(df.columns):
        return None
    fig = _new_figure(6.0 * len(carbons), 5.4)
    ok = select.eligible_mask(df)
    from carbonspot.search.pareto import pareto_mask

    for k, cc in enumerate(carbons):
        ax = fig.add_subplot(1, len(carbons), k + 1, projection="3d")
        cols = ["latency_ns", "energy_pj", cc]
        raw = np.column_stack([df[c].to_numpy(dtype=float) for c in cols])
        finite = np.isfinite(raw).all(axis=1)
        logs = [spans_decades(raw[finite, j]) and (raw[finite, j] > 0).all() for j in range(3)]

        # Linear axes are scaled by a power of ten named in the label (3-D axes place their
        # offset text over the axis label).
        scales = []
        for j in range(3):
            top = np.nanmax(np.abs(raw[finite, j])) if finite.any() else 1.0
            e = math.floor(math.log10(top)) if top > 0 and not logs[j] else 0
            scales.append(0 if -2 <= e <= 3 else e)

        def tr(v, logs=logs, scales=scales):
            return [
                math.log10(x) if lg else x / 10.0**sc
                for x, lg, sc in zip(v, logs, scales, strict=True)
            ]

        P = np.array([tr(r) for r in raw[finite]]) if finite.any() else np.empty((0, 3))
        okf = ok[finite]
        front = np.zeros(len(P), dtype=bool)
        if okf.any():
            front[np.flatnonzero(okf)[pareto_mask(raw[finite][okf])]] = True
        if (~okf).any():
            ax.scatter(*P[~okf].T, s=10, marker="x", color="#bbbbbb", depthshade=False)
        ax.scatter(*P[okf & ~front].T, s=12, color="#6baed6", alpha=0.7, depthshade=False)
        ax.scatter(*P[front].T, s=24, color="#08306b", depthshade=False)
        _mark_selected(ax, df, selections, cols, transform=tr)
        labels = [select.metric_label(c) for c in cols]
        labels = [
            f"log₁₀ {lbl}" if lg else (_scaled_label(lbl, sc) if sc else lbl)
            for lbl, lg, sc in zip(labels, logs, scales, strict=True)
        ]
        ax.set_xlabel(labels[0], fontsize=8, labelpad=6)
        ax.set_ylabel(labels[1], fontsize=8, labelpad=6)
        ax.set_zlabel(labels[2], fontsize=8, labelpad=8)
        ax.tick_params(labelsize=7)
        ax.set_title(f"{'CA' if cc == 'carbon_ca_g' else 'PA'} carbon", fontsize=10)
        ax.view_init(elev=22, azim=-55)
        ax.set_box_aspect(None, zoom=0.92)
    handles = [
        Line2D([], [], linestyle="none", marker="o", color="#6baed6", label="feasible design"),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            color="#08306b",
            label="Pareto front (latency, energy, carbon)",
        ),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="x",
            color="#bbbbbb",
            label="misses the deadline or a constraint",
        ),
        *_role_legend_handles(list(selections)),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    fig.suptitle(f"Latency–energy–carbon — {ds.name} ({_scope(ds)})", fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------
# the paper's Figure 2


def _colour_param(df: pd.DataFrame, params: Sequence[str]) -> str | None:
    for p in params:
        if "sram" in p.lower():
            return p
    for p in params:
        if pd.api.types.is_numeric_dtype(df[p]) and df[p].nunique() > 1:
            return p
    return None


def _marker_param(df: pd.DataFrame, params: Sequence[str]) -> str | None:
    for p in ("acc_type", "template"):
        if p in params:
            return p
    for p in params:
        if not pd.api.types.is_numeric_dtype(df[p]) and 1 < df[p].nunique() <= len(ACC_MARKERS):
            return p
    return None


def carbon_scatter(ds: DesignSet, selections: Mapping[str, object]) -> Figure | None:
    """CA vs PA carbon of every design, coloured by SRAM size, marker by accelerator type."""
    df = ds.designs
    if not {"carbon_ca_g", "carbon_pa_g"} <= set(df.columns):
        return None
    x = df["carbon_ca_g"].to_numpy(dtype=float)
    y = df["carbon_pa_g"].to_numpy(dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return None
    ok = select.eligible_mask(df)
    params = ds.params
    cparam = _colour_param(df, params)
    mparam = _marker_param(df, params)
    fig = _new_figure(8.6, 6.6)
    ax = fig.add_subplot()
    if cparam is not None:
        levels = np.sort(pd.unique(df[cparam].dropna().to_numpy()))
        cmap = ListedColormap([tuple(c) for c in _viridis(len(levels))], name="levels")
        norm = BoundaryNorm(np.arange(len(levels) + 1) - 0.5, len(levels))
        code = np.searchsorted(levels, df[cparam].to_numpy())
    else:
        levels, cmap, norm, code = None, None, None, np.zeros(len(df), dtype=int)
    groups = list(dict.fromkeys(df[mparam])) if mparam else [None]
    for g_i, g in enumerate(groups):
        in_g = (df[mparam] == g).to_numpy() if mparam else np.ones(len(df), dtype=bool)
        marker = ACC_MARKERS[g_i % len(ACC_MARKERS)]
        for good in (True, False):
            m = in_g & finite & (ok if good else ~ok)
            if not m.any():
                continue
            kw = {"c": code[m], "cmap": cmap, "norm": norm} if cparam else {"color": "#4c78a8"}
            if good:
                sc = ax.scatter(
                    x[m], y[m], marker=marker, s=46, edgecolors="k", linewidths=0.4, zorder=3, **kw
                )
            else:
                sc = ax.scatter(
                    x[m], y[m], marker=marker, s=46, zorder=2, alpha=0.35, linewidths=0, **kw
                )
            if cparam and good:
                mappable = sc
    carbon_roles = {
        r: i
        for r, i in selections.items()
        if r in ("fastest", "lowest_carbon_ca", "lowest_carbon_pa", "knee")
    }
    _mark_selected(ax, df, carbon_roles, ("carbon_ca_g", "carbon_pa_g"))
    _set_scale(ax, "x", x[finite])
    _set_scale(ax, "y", y[finite])
    ax.margins(0.08)
    ax.set_xlabel("carbon per inference, CA (continuous-active) [g CO₂-eq]")
    ax.set_ylabel("carbon per inference, PA (periodically-active) [g CO₂-eq]")
    ax.grid(alpha=0.3, which="major")
    if cparam is not None and "mappable" in locals():
        cb = fig.colorbar(mappable, ax=ax, ticks=np.arange(len(levels)), pad=0.01)
        tick_text = [format_bytes(v) if "bytes" in cparam else str(v) for v in levels]
        cb.ax.set_yticklabels(tick_text, fontsize=8)
        cb.set_label("SRAM size" if "sram" in cparam else cparam)
    handles = []
    if mparam:
        handles += [
            Line2D(
                [],
                [],
                linestyle="none",
                marker=ACC_MARKERS[i % len(ACC_MARKERS)],
                color="#555555",
                label=str(g),
            )
            for i, g in enumerate(groups)
        ]
    if (~ok & finite).any():
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                color="#555555",
                alpha=0.35,
                label="faded: misses the deadline or a constraint",
            )
        )
    handles += _role_legend_handles(list(carbon_roles))
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    ax.set_title(f"CA vs PA carbon — {ds.name} ({_scope(ds)})", fontsize=11)
    return fig


def _viridis(n: int) -> np.ndarray:
    from matplotlib import colormaps

    return colormaps["viridis"](np.linspace(0.05, 0.95, max(n, 1)))


# --------------------------------------------------------------------------------------------
# breakdown bars


def carbon_breakdown(ds: DesignSet, selections: Mapping[str, object]) -> Figure | None:
    """Operational / die / package / DRAM carbon of the selected designs, CA and PA."""
    df = ds.designs
    frames = {s: select.carbon_breakdown(df, s) for s in ("ca", "pa")}
    frames = {s: f for s, f in frames.items() if not f.empty}
    if not frames or not selections:
        return None
    order, labels = _bar_labels(df, selections)
    fig = _new_figure(max(7.0, 1.6 * len(order) * len(frames)), 5.2)
    axes = fig.subplots(1, len(frames), squeeze=False).ravel()
    for ax, (scen, frame) in zip(axes, frames.items(), strict=True):
        sub = frame.loc[order]
        parts = {g: sub[g].to_numpy() for g in sub.columns}
        _stacked_bars(
            ax,
            labels,
            parts,
            [GROUP_COLORS.get(g, "#999999") for g in parts],
            "carbon per inference [g CO₂-eq]",
            f"{scen.upper()} carbon",
        )
    handles = [
        Line2D(
            [],
            [],
            linestyle="none",
            marker="s",
            markersize=10,
            color=GROUP_COLORS[g],
            label=g if g != "dram" else "DRAM",
        )
        for g in next(iter(frames.values())).columns
    ]
    fig.legend(handles=handles, loc="outside right center", ncols=1, fontsize=9, frameon=False)
    fig.suptitle(f"Carbon breakdown of the selected designs ({_scope(ds)})", fontsize=10)
    _add_key(fig, df, selections)
    return fig


def performance_bars(ds: DesignSet, selections: Mapping[str, object]) -> Figure | None:
    """The paper's performance bars: energy, latency, clock, area, inference time, TOP/s/W."""
    df = ds.designs
    if not selections:
        return None
    order, labels = _bar_labels(df, selections)
    panels: list[tuple[str, str, str, str]] = [
        ("energy", "energy_pj", "energy per inference [pJ]", "energy"),
        ("latency", "latency_cycles", "latency [cycles]", "latency"),
        ("tclk", "tclk_ns", "clock period [ns]", "clock period"),
        ("area", "area_mm2", "area [mm²]", "area"),
        ("", "latency_ns", "inference time [ns]", "inference time"),
        ("", "tops_per_w", "TOP/s/W", "energy efficiency"),
    ]
    panels = [p for p in panels if p[1] in df.columns]
    ncols = 3
    nrows = math.ceil(len(panels) / ncols)
    fig = _new_figure(max(11.0, 1.25 * len(order) * ncols), 4.4 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, (kind, total, ylabel, title) in zip(axes, panels, strict=False):
        parts = select.bar_parts(df, kind) if kind else {}
        sub = df.loc[order]
        part_values = sub[list(parts.values())] if parts else None
        # A part a template does not have (NaN) is zero for that design, as long as the design
        # has some part of the kind.
        values = {}
        if parts and part_values.notna().any(axis=1).all():
            values = {p: sub[c].fillna(0.0).to_numpy(dtype=float) for p, c in parts.items()}
            values = {p: v for p, v in values.items() if (v != 0).any()}
        if values:
            _stacked_bars(ax, labels, values, PART_COLORS, ylabel, title)
            ax.legend(
                fontsize=7,
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                frameon=False,
                markerscale=0.3,
            )
        else:
            _stacked_bars(
                ax, labels, {total: sub[total].to_numpy(dtype=float)}, ["#4c78a8"], ylabel, title
            )
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(f"Performance of the selected designs ({_scope(ds)})", fontsize=11)
    _add_key(fig, df, selections)
    return fig


def per_workload(ds: DesignSet, selections: Mapping[str, object]) -> Figure | None:
    """Latency, energy and CA/PA carbon of the selected designs on each workload."""
    pw = ds.per_workload
    if pw is None or pw.empty or not selections:
        return None
    order, _ = _bar_labels(ds.designs, selections)
    labels = _design_key_text(ds.designs, selections).split("\n")
    workloads = list(dict.fromkeys(pw["workload"]))
    metrics = [
        m for m in ("latency_ns", "energy_pj", "carbon_ca_g", "carbon_pa_g") if m in pw.columns
    ]
    fig = _new_figure(max(10.0, 1.1 * len(workloads) * 2), 3.4 * math.ceil(len(metrics) / 2) + 1)
    axes = fig.subplots(math.ceil(len(metrics) / 2), 2, squeeze=False).ravel()
    x = np.arange(len(workloads))
    width = 0.8 / len(order)
    for ax, m in zip(axes, metrics, strict=False):
        allv = []
        for k, idx in enumerate(order):
            rows = pw[pw["design_id"] == idx].set_index("workload")
            v = np.array(
                [float(rows[m].get(w, np.nan)) if w in rows.index else np.nan for w in workloads]
            )
            allv.append(v)
            ax.bar(
                x - 0.4 + width * (k + 0.5),
                v,
                width,
                color=PART_COLORS[k % len(PART_COLORS)],
                label=labels[k],
            )
        if _set_scale(ax, "y", np.concatenate(allv)):
            _bar_floor(ax, np.concatenate(allv))
        ax.set_xticks(x, workloads)
        ax.set_ylabel(select.metric_label(m))
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.1)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    handles, lbls = axes[0].get_legend_handles_labels()
    fig.legend(handles, lbls, loc="outside lower center", ncols=1, fontsize=8, frameon=False)
    fig.suptitle("Selected designs on each workload", fontsize=11)
    return fig


def per_layer(layers: pd.DataFrame, title: str) -> Figure | None:
    """Energy and latency of every layer of one design (one row of panels per workload).

    ``layers`` has columns ``workload``, ``layer``, ``energy_pj``, ``latency_cycles`` and
    optionally the breakdown columns (``energy_array_pj``, ``energy_mem_pj``,
    ``latency_mac_cycles``, ``latency_stall_cycles``).
    """
    if layers is None or layers.empty:
        return None
    workloads = list(dict.fromkeys(layers["workload"]))
    nmax = max(int((layers["workload"] == w).sum()) for w in workloads)
    fig = _new_figure(max(10.0, 0.28 * nmax * 2 + 4), 3.3 * len(workloads) + 0.8)
    axes = fig.subplots(len(workloads), 2, squeeze=False)
    for r, w in enumerate(workloads):
        sub = layers[layers["workload"] == w].reset_index(drop=True)
        names = [str(n) for n in sub["layer"]]
        for c, (kind, total, ylabel) in enumerate(
            (
                ("energy", "energy_pj", "energy [pJ]"),
                ("latency", "latency_cycles", "latency [cycles]"),
            )
        ):
            ax = axes[r, c]
            parts = select.bar_parts(sub, kind)
            xs = np.arange(len(sub))
            if parts and sub[list(parts.values())].notna().all().all():
                bottom = np.zeros(len(sub))
                for k, (p, col) in enumerate(parts.items()):
                    v = sub[col].to_numpy(dtype=float)
                    m = v > 0
                    ax.bar(xs[m], v[m], 0.75, bottom=bottom[m], color=PART_COLORS[k], label=p)
                    bottom += v
            else:
                ax.bar(
                    xs, sub[total].to_numpy(dtype=float), 0.75, color=PART_COLORS[0], label=total
                )
            tot = sub[total].to_numpy(dtype=float)
            if spans_decades(tot, 20.0):
                log_axis(ax, "y", tot)
                _bar_floor(ax, tot)
            else:
                ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4), useMathText=True)
            ax.set_xticks(xs, shorten_names(names), rotation=60, ha="right", fontsize=7)
            ax.set_ylabel(ylabel)
            ax.set_title(f"{w}: {kind} per layer", fontsize=9)
            ax.grid(axis="y", alpha=0.3)
            ax.margins(x=0.01, y=0.08)
            if r == 0:
                ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.suptitle(title, fontsize=11)
    return fig


# --------------------------------------------------------------------------------------------
# studies


def hypervolume_curve(ds: DesignSet) -> Figure | None:
    """Hypervolume of the eligible trials so far against the trial number (studies only).

    Objectives are normalised with the ideal and nadir of all eligible trials and the reference
    point at 1.1 in every objective, so the curve ends at the final front's normalised volume.
    """
    hist = ds.history
    objs = ds.objectives
    if hist is None or hist.empty or len(objs) < 1:
        return None
    from carbonspot.search.pareto import normalised_hypervolume

    F = select.objective_matrix(hist, objs)
    ok = select.eligible_mask(hist) & np.isfinite(F).all(axis=1)
    numbers = hist["number"].to_numpy() if "number" in hist.columns else np.arange(len(hist))
    if not ok.any():
        return None
    ideal = F[ok].min(axis=0)
    nadir = F[ok].max(axis=0)
    n = len(hist)
    checkpoints = np.unique(np.linspace(1, n, min(n, 300)).round().astype(int))
    hv = []
    for k in checkpoints:
        m = ok[:k]
        hv.append(normalised_hypervolume(F[:k][m], ideal, nadir) if m.any() else 0.0)
    fig = _new_figure(7.5, 4.6)
    ax = fig.add_subplot()
    ax.plot(
        numbers[checkpoints - 1],
        hv,
        "-",
        color="#08306b",
        lw=1.5,
        marker="o" if len(checkpoints) <= 60 else None,
        markersize=3,
    )
    ax.set_xlabel("trial number")
    ax.set_ylabel("hypervolume (normalised objectives, ref = 1.1)")
    names = ", ".join(select.metric_label(c) for c, _ in objs)
    ax.set_title(_wrap(f"Hypervolume vs trials — {ds.name}\nobjectives: {names}", 90), fontsize=9)
    ax.grid(alpha=0.3)
    ax.margins(0.04)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.3g}"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig
