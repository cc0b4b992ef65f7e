"""``carbonspot validate imc``: the IMC cost model against 7 silicon chips (zigzag-model.md §8.6)."""

from __future__ import annotations

import argparse
from pathlib import Path

from carbonspot.cli._output import print_json, print_table
from carbonspot.errors import InputError

# What the columns of the ``validate imc`` table are (docs/validation.md has the same legend).
IMC_LEGEND: tuple[str, ...] = (
    "type: analog (AIMC) or digital (DIMC); nm: the chip's technology node",
    "area_mm2, tclk_ns, fJ/MAC: the model's area (mm²), clock period (ns), energy per MAC (fJ)",
    "rep_area, rep_tclk, rep_fJ/MAC: the same three as the chip's paper reports them",
    "area_%, tclk_%, energy_%: model / reported x 100 (100 = exact; above 100 the model "
    "overestimates)",
    "energy_validated False: the measurement's sparsity is unknown, so energy_% is no check",
    "zigzag_imc_%: area_%/tclk_%/energy_% as ZigZag-IMC publishes them for the same chips",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``validate imc``."""
    parser = subparsers.add_parser(
        "validate",
        help="compare the models with measured silicon",
        description="Compare CarbonSpot's models with published chip measurements.",
    )
    sub = parser.add_subparsers(dest="validate_command", metavar="TARGET")
    imc = sub.add_parser(
        "imc",
        help="IMC area, clock and energy/MAC vs 7 chips (ZigZag-IMC validation set)",
    )
    imc.add_argument("--format", default="table", choices=("table", "json"))
    imc.add_argument("--plot", metavar="FILE", help="write a bar chart (png, pdf or svg)")
    imc.set_defaults(func=run_imc)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_imc(args: argparse.Namespace) -> int:
    """Print the per-chip comparison; optionally draw the validation figure."""
    from carbonspot.hardware.validation import validate_imc

    results = validate_imc()
    if args.plot:
        from carbonspot.report.validation_plot import plot_imc_validation

        path = Path(args.plot)
        if path.suffix.lower() not in (".png", ".pdf", ".svg"):
            raise InputError(
                "unsupported plot format", field="--plot", allowed=[".png", ".pdf", ".svg"]
            )
        if not path.parent.exists():
            raise InputError("directory does not exist", source=str(path.parent), field="--plot")
        plot_imc_validation(results, path)
    if args.format == "json":
        print_json(
            [
                {
                    "chip": r.chip,
                    "area_ratio": r.area_ratio,
                    "tclk_ratio": r.tclk_ratio,
                    "energy_ratio": r.energy_ratio,
                    "energy_validated": r.energy_validated,
                    "source": r.source,
                    "area_mm2": r.area_mm2,
                    "reported_area_mm2": r.reported_area_mm2,
                    "tclk_ns": r.tclk_ns,
                    "reported_tclk_ns": r.reported_tclk_ns,
                    "energy_fj_per_mac": r.energy_fj_per_mac,
                    "reported_energy_fj_per_mac": r.reported_energy_fj_per_mac,
                    "zigzag_imc_ratios": dict(
                        zip(("area", "tclk", "energy"), r.published_ratios, strict=True)
                    ),
                }
                for r in results
            ]
        )
        return 0
    print_table(
        [
            {
                "chip": r.chip,
                "type": r.imc_type,
                "nm": r.node_nm,
                "area_mm2": r.area_mm2,
                "rep_area": r.reported_area_mm2,
                "area_%": 100 * r.area_ratio,
                "tclk_ns": r.tclk_ns,
                "rep_tclk": r.reported_tclk_ns,
                "tclk_%": 100 * r.tclk_ratio,
                "fJ/MAC": r.energy_fj_per_mac,
                "rep_fJ/MAC": r.reported_energy_fj_per_mac,
                "energy_%": 100 * r.energy_ratio,
                "energy_validated": r.energy_validated,
                "zigzag_imc_%": "/".join(f"{100 * v:.0f}" for v in r.published_ratios),
            }
            for r in results
        ]
    )
    print("\n".join(IMC_LEGEND))
    return 0
