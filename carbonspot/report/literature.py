"""Literature study: carbon per inference of published chips, its table, JSON and figure.

The figure re-draws the original's (carbonspot-model.md §2.1): x = TOP/s/W, y = g CO2-eq per
inference (both log), one pie marker per chip (green = operational, red = embodied share),
CA left and PA right. Unlike the original, the axes fit every point, the labels are placed so
they do not overlap, and the best chips are computed and circled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from carbonspot.carbon.chips import Chip
from carbonspot.carbon.literature import Suite, literature_carbon, select_best
from carbonspot.carbon.model import CarbonParams

OPERATIONAL_COLOR = "#2ca02c"  # the original's colours (expr.py:24-57)
EMBODIED_COLOR = "#d62728"


@dataclass
class LiteratureResult:
    """Per-chip carbon (arrays aligned with ``chips``) and the computed selections."""

    chips: list[Chip]
    suite: Suite
    params: CarbonParams
    carbon: dict[str, np.ndarray]
    best: dict[str, int]  # indices into chips
    include_package_dram: bool

    def chip_id(self, key: str) -> int | str:
        """Id of the chip selected as ``key`` (e.g. ``most_performant``)."""
        return self.chips[self.best[key]].id

    def chip_label(self, key: str) -> str:
        """Short name of the chip selected as ``key`` (e.g. ``most_performant``)."""
        return self.chips[self.best[key]].label


def evaluate_literature(
    chips: list[Chip], suite: Suite, params: CarbonParams, *, include_package_dram: bool = False
) -> LiteratureResult:
    """Carbon of every chip for ``suite`` and the most performant / carbon-efficient chips.

    When the PA rule is ``deadline`` (and the preset does not reproduce the original), chips
    whose latency exceeds the period are not eligible as most carbon-efficient in PA.
    """
    tops_per_w = np.array([c.tops_per_w for c in chips])
    carbon = literature_carbon(
        tops_per_w,
        np.array([c.tops for c in chips]),
        np.array([c.tops_per_mm2 for c in chips]),
        np.array([c.node_nm for c in chips]),
        suite,
        params,
        include_package_dram=include_package_dram,
    )
    eligible = None
    if params.pa_overrun == "deadline" and not params.literature_ignores_overrun:
        eligible = carbon["meets_period"]
    best = select_best(tops_per_w, carbon, pa_eligible=eligible)
    return LiteratureResult(chips, suite, params, carbon, best, include_package_dram)


def _node(node_nm: float) -> int | float:
    return int(node_nm) if float(node_nm).is_integer() else node_nm


def literature_json(res: LiteratureResult) -> dict[str, Any]:
    """The JSON document of ``carbonspot literature --format json``."""
    c = res.carbon
    chips = [
        {
            "id": chip.id,
            "name": chip.label,
            "reference": chip.reference,
            "type": chip.type,
            "node_nm": _node(chip.node_nm),
            "tops_per_w": chip.tops_per_w,
            "tops": chip.tops,
            "area_mm2": float(c["area_mm2"][i]),
            "latency_ns": float(c["latency_ns"][i]),
            "carbon_ca_g": float(c["carbon_ca_g"][i]),
            "carbon_pa_g": float(c["carbon_pa_g"][i]),
            "operational_share_ca": float(c["operational_share_ca"][i]),
            "operational_share_pa": float(c["operational_share_pa"][i]),
            "meets_period": bool(c["meets_period"][i]),
        }
        for i, chip in enumerate(res.chips)
    ]
    return {
        "suite": res.suite.name,
        "ops_per_inference": res.suite.ops_per_inference,
        "period_ns": res.suite.period_ns,
        "preset": res.params.preset,
        "include_package_dram": res.include_package_dram,
        "chips": chips,
        "most_performant": res.chip_id("most_performant"),
        "most_carbon_efficient_ca": res.chip_id("most_carbon_efficient_ca"),
        "most_carbon_efficient_pa": res.chip_id("most_carbon_efficient_pa"),
    }


TABLE_COLUMNS = (
    "chip",
    "type",
    "node_nm",
    "tops_per_w",
    "area_mm2",
    "carbon_ca_g",
    "op_pct_ca",
    "carbon_pa_g",
    "op_pct_pa",
    "meets_period",
    "best",
)


def literature_rows(res: LiteratureResult) -> list[dict[str, Any]]:
    """Rows for the text table; ``best`` names the selections a chip holds."""
    c = res.carbon
    marks: dict[int, list[str]] = {}
    for key, label in (
        ("most_performant", "perf"),
        ("most_carbon_efficient_ca", "CA"),
        ("most_carbon_efficient_pa", "PA"),
    ):
        marks.setdefault(res.best[key], []).append(label)
    return [
        {
            "chip": chip.label,
            "id": chip.id,
            "type": chip.type,
            "node_nm": _node(chip.node_nm),
            "tops_per_w": chip.tops_per_w,
            "area_mm2": float(c["area_mm2"][i]),
            "carbon_ca_g": float(c["carbon_ca_g"][i]),
            "op_pct_ca": 100.0 * float(c["operational_share_ca"][i]),
            "carbon_pa_g": float(c["carbon_pa_g"][i]),
            "op_pct_pa": 100.0 * float(c["operational_share_pa"][i]),
            "meets_period": bool(c["meets_period"][i]),
            "best": ",".join(marks.get(i, [])),
        }
        for i, chip in enumerate(res.chips)
    ]


REFERENCE_COLUMNS = ("chip", "id", "reference")


def reference_rows(res: LiteratureResult) -> list[dict[str, Any]]:
    """The chips' references for the text table: short name, id (for the built-in chips the
    citation number ``[n]`` of the paper's figure) and a link; chips without one are left out."""
    return [
        {"chip": chip.label, "id": f"[{chip.id}]", "reference": chip.reference}
        for chip in res.chips
        if chip.reference
    ]


# --------------------------------------------------------------------------------------------
# figure


def _log_limits(values: np.ndarray, pad_decades: float) -> tuple[float, float]:
    lo, hi = np.log10(np.min(values)), np.log10(np.max(values))
    if hi - lo < 1.0:  # at least one decade, so major ticks label the axis
        mid = (hi + lo) / 2
        lo, hi = mid - 0.5, mid + 0.5
    return 10 ** (lo - pad_decades), 10 ** (hi + pad_decades)


def _place_labels(ax: Any, xs: np.ndarray, ys: np.ndarray, texts: list[str], r_px: float) -> None:
    """Put each label next to its marker where it overlaps no other label or marker."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    pts = to_px(np.column_stack([xs, ys]))
    axbox = ax.get_window_extent(renderer)
    placed: list[tuple[float, float, float, float]] = []
    markers = [(px - r_px, py - r_px, px + r_px, py + r_px) for px, py in pts]

    def overlaps(b: tuple[float, float, float, float], others: list) -> bool:
        return any(b[0] < o[2] and o[0] < b[2] and b[1] < o[3] and o[1] < b[3] for o in others)

    order = np.argsort(-pts[:, 1])  # top to bottom
    for i in order:
        px, py = pts[i]
        probe = ax.annotate(texts[i], (xs[i], ys[i]), fontsize=7)
        bb = probe.get_window_extent(renderer)
        probe.remove()
        w, h = bb.width + 2, bb.height + 1
        candidates = []
        for k in range(0, 12):
            for sign in (1, -1) if k else (1,):
                dy = sign * k * h * 0.6
                candidates.append((px + r_px + 2, py + dy - h / 2))  # right
                candidates.append((px - r_px - 2 - w, py + dy - h / 2))  # left
                candidates.append(
                    (
                        px - w / 2,
                        py + r_px + 1 + abs(dy) if sign > 0 else py - r_px - 1 - h - abs(dy),
                    )
                )
        choice = None
        for cx, cy in candidates:
            box = (cx, cy, cx + w, cy + h)
            inside = (
                axbox.x0 <= box[0]
                and box[2] <= axbox.x1
                and axbox.y0 <= box[1]
                and box[3] <= axbox.y1
            )
            if inside and not overlaps(box, placed) and not overlaps(box, markers):
                choice = box
                break
        if choice is None:  # no free spot: fall back to the right of the marker
            choice = (px + r_px + 2, py - h / 2, px + r_px + 2 + w, py + h / 2)
        placed.append(choice)
        lx, ly = ax.transData.inverted().transform((choice[0] + 1, choice[1]))
        far = abs(choice[1] + h / 2 - py) > 1.5 * h or (choice[0] > px + r_px + 4 + w)
        ax.annotate(
            texts[i],
            (xs[i], ys[i]),
            xytext=(lx, ly),
            textcoords="data",
            fontsize=7,
            ha="left",
            va="bottom",
            arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "0.5"} if far else None,
        )


def plot_literature(res: LiteratureResult, path: str | Path) -> Path:
    """Write the two-panel (CA | PA) pie-marker figure to ``path`` (format from the suffix)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Patch, Wedge
    from matplotlib.ticker import NullFormatter
    from matplotlib.transforms import ScaledTranslation

    c = res.carbon
    x = np.array([chip.tops_per_w for chip in res.chips])
    xlim = _log_limits(x, 0.3)
    labels = [chip.label for chip in res.chips]
    # PA panel: say which chips cannot finish an inference within the period
    labels_pa = [
        t + ("" if ok else " (misses period)")
        for t, ok in zip(labels, c["meets_period"], strict=True)
    ]
    r_in = 0.075  # pie radius, inches
    fig = Figure(figsize=(11, 5.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)  # own y range per panel: CA and PA differ by decades
    fig.subplots_adjust(left=0.075, right=0.985, top=0.83, bottom=0.1, wspace=0.16)
    titles = {"ca": "Continuous-active (CA)", "pa": "Periodically-active (PA)"}
    best_keys = {"ca": "most_carbon_efficient_ca", "pa": "most_carbon_efficient_pa"}
    for ax, sc in zip(axes, ("ca", "pa"), strict=True):
        y = c[f"carbon_{sc}_g"]
        share = c[f"operational_share_{sc}"]
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*xlim)
        ax.set_ylim(*_log_limits(y, 0.3))
        ax.grid(True, which="major", lw=0.4, alpha=0.5)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(titles[sc], fontsize=10)
        ax.set_xlabel("TOP/s/W (INT8-normalised)")
        for i in range(len(res.chips)):
            offset = fig.dpi_scale_trans + ScaledTranslation(x[i], y[i], ax.transData)
            op_deg = 360.0 * float(share[i])
            ax.add_patch(
                Wedge(
                    (0, 0), r_in, 90, 90 + op_deg, transform=offset, fc=OPERATIONAL_COLOR, ec="none"
                )
            )
            ax.add_patch(
                Wedge(
                    (0, 0), r_in, 90 + op_deg, 450, transform=offset, fc=EMBODIED_COLOR, ec="none"
                )
            )
            ax.add_patch(Circle((0, 0), r_in, transform=offset, fill=False, ec="k", lw=0.5))
        for key, style in (
            (best_keys[sc], {"ec": "#1f77b4", "lw": 1.6}),
            ("most_performant", {"ec": "#ff7f0e", "lw": 1.2, "ls": "--"}),
        ):
            i = res.best[key]
            offset = fig.dpi_scale_trans + ScaledTranslation(x[i], y[i], ax.transData)
            rr = r_in * (1.7 if key == "most_performant" else 1.4)
            ax.add_patch(Circle((0, 0), rr, transform=offset, fill=False, **style))
        fig.canvas.draw()
        _place_labels(ax, x, y, labels if sc == "ca" else labels_pa, r_px=r_in * fig.dpi * 1.8)
    for ax in axes:
        ax.set_ylabel("g CO$_2$-eq per inference")
    handles = [
        Patch(fc=OPERATIONAL_COLOR, label="operational share"),
        Patch(fc=EMBODIED_COLOR, label="embodied share"),
        Line2D(
            [],
            [],
            color="#1f77b4",
            lw=1.6,
            marker="o",
            ms=9,
            mfc="none",
            ls="none",
            label="most carbon-efficient (per panel)",
        ),
        Line2D(
            [],
            [],
            color="#ff7f0e",
            lw=1.2,
            marker="o",
            ms=11,
            mfc="none",
            ls="none",
            label="most performant (max TOP/s/W)",
        ),
    ]
    fig.legend(
        handles=handles,
        loc="upper center",
        ncol=4,
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, 0.94),
    )
    s = res.suite
    fig.suptitle(
        f"Carbon per inference of published IMC chips — {s.name} suite "
        f"({s.ops_per_inference:.4g} ops, period {s.period_ns / 1e6:.4g} ms; preset {res.params.preset})",
        fontsize=10,
        y=0.995,
    )
    out = Path(path)
    fig.savefig(out, dpi=150)
    return out
