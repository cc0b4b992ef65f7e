"""Bar chart of the IMC silicon validation (like ZigZag-IMC's ``model_validation.png``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from carbonspot.hardware.validation import ChipResult


def plot_imc_validation(results: Sequence[ChipResult], path: Path) -> None:
    """Three panels (area, clock, energy/MAC): grey = reported, stacked colours = model parts,
    model/reported percentage above each pair. Written with the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    x = np.arange(len(results))
    names = [r.chip for r in results]
    panels = (
        ("Area (mm²)", "area_breakdown_mm2", "reported_area_mm2", "area_ratio"),
        ("Clock period (ns)", None, "reported_tclk_ns", "tclk_ratio"),
        (
            "Energy (fJ/MAC)",
            "energy_breakdown_fj_per_mac",
            "reported_energy_fj_per_mac",
            "energy_ratio",
        ),
    )
    parts = sorted(
        {k for r in results for k in r.area_breakdown_mm2}
        | {k for r in results for k in r.energy_breakdown_fj_per_mac}
    )
    colours = {p: plt.cm.tab10(i % 10) for i, p in enumerate(parts)}
    for ax, (title, bd_attr, rep_attr, ratio_attr) in zip(axes, panels, strict=True):
        rep = np.array([getattr(r, rep_attr) for r in results])
        ax.bar(x - 0.2, rep, 0.4, color="0.6", label="reported")
        if bd_attr is None:
            model = np.array([r.tclk_ns for r in results])
            ax.bar(x + 0.2, model, 0.4, color="0.2", label="model (clock)")
        else:
            bottom = np.zeros(len(results))
            for part in parts:
                vals = np.array([getattr(r, bd_attr).get(part, 0.0) for r in results])
                if vals.any():
                    ax.bar(x + 0.2, vals, 0.4, bottom=bottom, color=colours[part], label=part)
                    bottom += vals
            model = bottom
        for i, r in enumerate(results):
            ratio = getattr(r, ratio_attr)
            mark = "" if (ratio_attr != "energy_ratio" or r.energy_validated) else "*"
            ax.annotate(
                f"{100 * ratio:.0f}%{mark}",
                (x[i], max(rep[i], model[i]) * 1.15),
                ha="center",
                fontsize=8,
            )
        ax.set_yscale("log")
        ax.set_xticks(x, names, rotation=30)
        ax.set_title(title)
        ax.set_ylim(top=max(rep.max(), model.max()) * 4)
    handles: dict = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="center right", fontsize=8)
    fig.suptitle(
        "IMC model vs silicon (model/reported; * energy not validated: sparsity unknown)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    fig.savefig(path, dpi=150)
    plt.close(fig)
